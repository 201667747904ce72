/* sy-surface-openai.c — the OpenAI-compatible surface: chat completions and models.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-http.h"
#include "sy-json.h"
#include "sy-surface-openai.h"

/* One client waiting on an exchange. */
typedef struct {
  SoupServerMessage *msg;
  SyExchange        *exchange;
  GSource           *watch;
  gboolean           gone;        /* the client left (its socket hung up) */
  gboolean           soup_gone;   /* libsoup already dropped the connection */
  gboolean           streaming;
  gboolean           answered;
} Client;

static void
set_route_headers (Client *client)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (client->msg);
  SyExchange *ex = client->exchange;
  g_autofree char *attempts = g_strdup_printf ("%u", sy_exchange_get_attempts (ex));

  soup_message_headers_replace (headers, "x-switchyard-request-id", sy_exchange_get_request_id (ex));
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
                   const char *data,
                   JsonObject *chunk,
                   gpointer    user_data)
{
  Client *client = user_data;

  if (!client->gone)
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
sink_stream_error (SyExchange *ex,
                   guint       status,
                   const char *type,
                   const char *message,
                   gpointer    data)
{
  Client *client = data;
  g_autofree char *json = NULL;

  if (client->gone)
    return;
  /* OpenAI's SDKs raise an APIError for a chunk that carries "error". */
  json = sy_http_error_json (SY_ERROR_SHAPE_OPENAI, status, type, message);
  append (client, g_strconcat ("data: ", json, "\n\n", NULL));
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
  sy_http_send_error (client->msg, SY_ERROR_SHAPE_OPENAI, status, type, message);
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
        sy_http_send_error (client->msg, SY_ERROR_SHAPE_OPENAI, 499, "client_closed_request",
                            _("The client disconnected"));
      else
        sy_http_send_error (client->msg, SY_ERROR_SHAPE_OPENAI, 503, "api_error",
                            _("Switchyard is shutting down"));
      soup_server_message_unpause (client->msg);
    }
  g_object_unref (client->msg);
  sy_exchange_unref (client->exchange);
  g_free (client);
}

static const SyExchangeSink openai_sink = {
  .stream_start = sink_stream_start,
  .stream_event = sink_stream_event,
  .stream_keepalive = sink_stream_keepalive,
  .stream_error = sink_stream_error,
  .respond = sink_respond,
  .fail = sink_fail,
  .done = sink_done,
};

static gboolean
check_chat_request (JsonNode    *root,
                    char       **message)
{
  JsonObject *object;
  JsonArray *messages;
  JsonNode *stream;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      *message = g_strdup (_("The request body must be a JSON object"));
      return FALSE;
    }
  object = json_node_get_object (root);
  if (sy_json_get_string (object, "model") == NULL)
    {
      *message = g_strdup (_("\"model\" is required: a provider/model, a profile or a model name"));
      return FALSE;
    }
  messages = sy_json_get_array (object, "messages");
  if (messages == NULL || json_array_get_length (messages) == 0)
    {
      *message = g_strdup (_("\"messages\" must be a non-empty list"));
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *entry = json_array_get_element (messages, i);
      if (!JSON_NODE_HOLDS_OBJECT (entry) ||
          sy_json_get_string (json_node_get_object (entry), "role") == NULL)
        {
          *message = g_strdup_printf (_("messages[%u] must be an object with a \"role\""), i);
          return FALSE;
        }
    }
  stream = json_object_get_member (object, "stream");
  if (stream != NULL && !JSON_NODE_HOLDS_NULL (stream) &&
      (!JSON_NODE_HOLDS_VALUE (stream) || json_node_get_value_type (stream) != G_TYPE_BOOLEAN))
    {
      *message = g_strdup (_("\"stream\" must be true or false"));
      return FALSE;
    }
  return TRUE;
}

static void
chat_handler (SoupServer        *soup_server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           data)
{
  SyServer *server = data;
  SoupMessageBody *request_body;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  const char *user_agent;
  Client *client;

  if (!g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_POST))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 405, "invalid_request_error",
                          _("Use POST for /v1/chat/completions"));
      return;
    }

  request_body = soup_server_message_get_request_body (msg);
  bytes = soup_message_body_flatten (request_body);
  root = sy_json_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (root == NULL)
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error", error->message);
      return;
    }
  if (!check_chat_request (root, &message))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error", message);
      return;
    }

  user_agent = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "User-Agent");
  client = g_new0 (Client, 1);
  client->msg = g_object_ref (msg);
  client->exchange = sy_exchange_new (sy_server_get_router (server), "chat.completions",
                                      user_agent, root, bytes, &openai_sink, client);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), client);
  watch_client (client);

  soup_server_message_pause (msg);
  sy_exchange_start (client->exchange);
}

static JsonObject *
model_entry (const char *id,
             const char *owned_by,
             gint64      context_length)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "id", id);
  json_object_set_string_member (entry, "object", "model");
  json_object_set_int_member (entry, "created", 0);
  json_object_set_string_member (entry, "owned_by", owned_by);
  if (context_length > 0)
    json_object_set_int_member (entry, "context_length", context_length);
  return entry;
}

/* Profiles first, then every catalog model as provider/model. */
static JsonArray *
list_models (SyConfig *config)
{
  GPtrArray *models = sy_catalog_get_models (sy_config_get_catalog (config));
  JsonArray *profiles = sy_json_get_array (sy_config_get_root (config), "profiles");
  JsonArray *list = json_array_new ();

  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      JsonObject *profile = json_array_get_object_element (profiles, i);
      json_array_add_object_element (list, model_entry (sy_json_get_string (profile, "name"),
                                                        "switchyard", 0));
    }
  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);
      json_array_add_object_element (list, model_entry (info->id, info->provider,
                                                        info->context_window));
    }
  return list;
}

/* GET /v1/models, and GET /v1/models/ID for one of them (IDs may hold slashes). */
static void
models_handler (SoupServer        *soup_server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           data)
{
  SyServer *server = data;
  SyConfig *config = sy_router_get_config (sy_server_get_router (server));
  g_autoptr(JsonArray) list = list_models (config);
  g_autofree char *id = g_str_has_prefix (path, "/v1/models/")
                        ? g_uri_unescape_string (path + strlen ("/v1/models/"), NULL) : NULL;
  g_autoptr(JsonObject) root = NULL;

  if (!g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_GET))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 405, "invalid_request_error",
                          _("Use GET for /v1/models"));
      return;
    }

  if (id != NULL && !g_utf8_validate (id, -1, NULL))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error",
                          _("A model id must be UTF-8"));
      return;
    }

  if (id != NULL)
    {
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *entry = json_array_get_object_element (list, i);
          if (g_strcmp0 (sy_json_get_string (entry, "id"), id) == 0)
            {
              sy_http_send_json (msg, 200, sy_json_object_to_string (entry));
              return;
            }
        }
      {
        g_autofree char *message = g_strdup_printf (_("No model '%s': GET /v1/models lists them"), id);
        sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 404, "not_found_error", message);
      }
      return;
    }

  root = json_object_new ();
  json_object_set_string_member (root, "object", "list");
  json_object_set_array_member (root, "data", json_array_ref (list));
  sy_http_send_json (msg, 200, sy_json_object_to_string (root));
}

void
sy_surface_openai_register (SyServer *server)
{
  sy_server_add_route (server, "/v1/chat/completions", chat_handler);
  sy_server_add_route (server, "/v1/models", models_handler);
}
