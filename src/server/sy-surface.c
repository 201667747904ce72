/* sy-surface.c — what every API surface shares: reading the request, and a client
 * waiting on an exchange (the sink the router answers through).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-json.h"
#include "sy-surface.h"

/* One client waiting on an exchange. */
typedef struct {
  SoupServerMessage *msg;
  SyExchange        *exchange;
  GSource           *watch;
  gboolean           gone;        /* the client left (its socket hung up) */
  gboolean           soup_gone;   /* libsoup already dropped the connection */
  gboolean           streaming;
  gboolean           answered;
  SyErrorShape       shape;
} Client;

static void
set_route_headers (Client *client)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (client->msg);
  SyExchange *ex = client->exchange;
  g_autofree char *attempts = g_strdup_printf ("%u", sy_exchange_get_attempts (ex));

  soup_message_headers_replace (headers, "x-switchyard-request-id", sy_exchange_get_request_id (ex));
  if (sy_exchange_get_route (ex) != NULL)
    soup_message_headers_replace (headers, "x-switchyard-route", sy_exchange_get_route (ex));
  /* Headers sent for a keep-alive, before any answer, cannot name who will answer:
   * history records it. */
  if (sy_exchange_is_stream (ex) && !sy_exchange_content_sent (ex))
    return;
  soup_message_headers_replace (headers, "x-switchyard-attempts", attempts);
  if (sy_exchange_get_provider (ex) != NULL)
    soup_message_headers_replace (headers, "x-switchyard-provider", sy_exchange_get_provider (ex));
  if (sy_exchange_get_model (ex) != NULL)
    soup_message_headers_replace (headers, "x-switchyard-model", sy_exchange_get_model (ex));
}

static void
append (Client     *client,
        char       *text)
{
  SoupMessageBody *body = soup_server_message_get_response_body (client->msg);

  soup_message_body_append (body, SOUP_MEMORY_TAKE, text, strlen (text));
  soup_server_message_unpause (client->msg);
}

static void
sink_stream_start (SyExchange *ex,
                   gpointer    data)
{
  Client *client = data;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (client->msg);

  if (client->gone)
    return;
  client->streaming = TRUE;
  soup_server_message_set_status (client->msg, 200, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (headers, "Content-Type", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  set_route_headers (client);
  soup_server_message_unpause (client->msg);
}

static void
sink_stream_event (SyExchange *ex,
                   const char *event,
                   const char *data,
                   gpointer    user_data)
{
  Client *client = user_data;

  if (client->gone)
    return;
  if (event != NULL)
    append (client, g_strconcat ("event: ", event, "\ndata: ", data, "\n\n", NULL));
  else
    append (client, g_strconcat ("data: ", data, "\n\n", NULL));
}

static void
sink_stream_keepalive (SyExchange *ex,
                       gpointer    data)
{
  Client *client = data;

  if (!client->gone)
    append (client, g_strdup (": keep-alive\n\n"));
}

static void
sink_respond (SyExchange *ex,
              JsonObject *body,
              const char *json,
              gpointer    data)
{
  Client *client = data;

  if (client->gone)
    return;
  client->answered = TRUE;
  set_route_headers (client);
  sy_http_send_json (client->msg, 200, g_strdup (json));
  soup_server_message_unpause (client->msg);
}

static void
sink_fail (SyExchange *ex,
           guint       status,
           const char *type,
           const char *message,
           const char *retry_after,
           gpointer    data)
{
  Client *client = data;

  if (client->gone)
    return;
  client->answered = TRUE;
  set_route_headers (client);
  if (retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (client->msg),
                                  "Retry-After", retry_after);
  sy_http_send_error (client->msg, client->shape, status, type, message);
  soup_server_message_unpause (client->msg);
}

static void
client_left (Client *client)
{
  if (client->gone)
    return;
  client->gone = TRUE;
  sy_exchange_client_gone (client->exchange);
}

static void
on_disconnected (SoupServerMessage *msg,
                 Client            *client)
{
  client->soup_gone = TRUE;
  client_left (client);
}

/* libsoup reads nothing from a connection while its request is being answered, so
 * it would only notice a client that left at the next write — never, for an
 * upstream that is silent. Watch the socket: readable with nothing to read is EOF.
 * A client that only shut down its sending side looks the same and is treated as
 * gone too, as nginx does by default; HTTP clients do not half-close. */
static gboolean
on_socket_event (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      data)
{
  Client *client = data;
  g_autoptr(GError) error = NULL;
  char byte;
  GInputVector vector = { &byte, 1 };
  int flags = G_SOCKET_MSG_PEEK;
  gssize n;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  if (n > 0 || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      /* A pipelined request, not a hang-up: stop watching rather than spin. */
      if (n > 0)
        g_clear_pointer (&client->watch, g_source_unref);
      return n > 0 ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
    }

  g_clear_pointer (&client->watch, g_source_unref);
  client_left (client);
  return G_SOURCE_REMOVE;
}

static void
watch_client (Client *client)
{
  GSocket *socket = soup_server_message_get_socket (client->msg);

  if (socket == NULL)
    return;
  client->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (client->watch, (GSourceFunc) on_socket_event, client, NULL);
  g_source_attach (client->watch, g_main_context_get_thread_default ());
}

static void
sink_done (SyExchange *ex,
           gpointer    data)
{
  Client *client = data;

  if (client->watch != NULL)
    {
      g_source_destroy (client->watch);
      g_clear_pointer (&client->watch, g_source_unref);
    }
  g_signal_handlers_disconnect_by_data (client->msg, client);
  /* Every message libsoup still holds must be finished, or its connection stays
   * open forever: a stream gets its last chunk, an unanswered request an answer
   * that nobody may read (the client left, or the server is stopping). */
  if (!client->soup_gone && client->streaming)
    {
      soup_message_body_complete (soup_server_message_get_response_body (client->msg));
      soup_server_message_unpause (client->msg);
    }
  else if (!client->soup_gone && !client->answered)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (client->msg),
                                    "Connection", "close");
      if (client->gone)
        sy_http_send_error (client->msg, client->shape, 499, "client_closed_request",
                            _("The client disconnected"));
      else
        sy_http_send_error (client->msg, client->shape, 503, "api_error",
                            _("Switchyard is shutting down"));
      soup_server_message_unpause (client->msg);
    }
  g_object_unref (client->msg);
  sy_exchange_unref (client->exchange);
  g_free (client);
}

static const SyExchangeSink surface_sink = {
  .stream_start = sink_stream_start,
  .stream_event = sink_stream_event,
  .stream_keepalive = sink_stream_keepalive,
  .respond = sink_respond,
  .fail = sink_fail,
  .done = sink_done,
};

SyErrorShape
sy_surface_shape (SyWire wire)
{
  return wire == SY_WIRE_ANTHROPIC ? SY_ERROR_SHAPE_ANTHROPIC : SY_ERROR_SHAPE_OPENAI;
}

gboolean
sy_surface_stream_ok (JsonObject *request)
{
  JsonNode *stream = sy_json_member (request, "stream");

  return sy_json_node_is_null (stream) || sy_json_node_is_bool (stream);
}

JsonNode *
sy_surface_read_json (SoupServerMessage  *msg,
                      SyWire              wire,
                      const char         *route,
                      GBytes            **bytes_out)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (!g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_POST))
    {
      g_autofree char *message = g_strdup_printf (_("Use POST for %s"), route);

      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      sy_http_send_error (msg, sy_surface_shape (wire), 405, "invalid_request_error", message);
      return NULL;
    }

  bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  root = sy_json_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (root == NULL)
    {
      sy_http_send_error (msg, sy_surface_shape (wire), 400, "invalid_request_error", error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      json_node_unref (root);
      sy_http_send_error (msg, sy_surface_shape (wire), 400, "invalid_request_error",
                          _("The request body must be a JSON object"));
      return NULL;
    }
  *bytes_out = g_steal_pointer (&bytes);
  return root;
}

void
sy_surface_route (SyServer          *server,
                  SoupServerMessage *msg,
                  SyWire             wire,
                  const char        *surface,
                  JsonNode          *request,
                  JsonNode          *hub,
                  GBytes            *raw_body)
{
  const char *user_agent = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                         "User-Agent");
  Client *client = g_new0 (Client, 1);

  client->msg = g_object_ref (msg);
  client->shape = sy_surface_shape (wire);
  client->exchange = sy_exchange_new (sy_server_get_router (server), wire, surface, user_agent,
                                      request, hub, raw_body, &surface_sink, client);
  sy_exchange_set_profile_header (client->exchange,
                                  soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                                "x-switchyard-profile"));
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), client);
  watch_client (client);

  soup_server_message_pause (msg);
  sy_exchange_start (client->exchange);
}
