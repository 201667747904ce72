/* sy-server.c — the local endpoint: a SoupServer and the router on their own thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-guards.h"
#include "sy-http.h"
#include "sy-json.h"
#include "sy-server-private.h"
#include "sy-surface-anthropic.h"
#include "sy-surface-openai.h"
#include "sy-surface-responses.h"

struct _SyServer
{
  GObject       parent_instance;

  /* owned references */
  SyConfig     *config;
  SyKeys       *keys;
  SyHistory    *history;
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;

  SyRequestObserver observer;
  gpointer      observer_data;

  /* router thread only */
  SyRouter     *router;
  gboolean      stopping;
  SoupServer   *soup_server;

  /* start-up handshake */
  GMutex        mutex;
  GCond         cond;
  gboolean      ready;
  GError       *start_error;
  int           requested_port;
  guint         port;
  char         *token;
};

G_DEFINE_FINAL_TYPE (SyServer, sy_server, G_TYPE_OBJECT)

static void
sy_server_dispose (GObject *object)
{
  SyServer *self = SY_SERVER (object);

  sy_server_stop (self);

  G_OBJECT_CLASS (sy_server_parent_class)->dispose (object);
}

static void
sy_server_finalize (GObject *object)
{
  SyServer *self = SY_SERVER (object);

  g_clear_object (&self->config);
  g_clear_object (&self->keys);
  g_clear_object (&self->history);
  g_clear_error (&self->start_error);
  g_free (self->token);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (sy_server_parent_class)->finalize (object);
}

static void
sy_server_class_init (SyServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sy_server_dispose;
  object_class->finalize = sy_server_finalize;
}

static void
sy_server_init (SyServer *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
}

SyServer *
sy_server_new (SyConfig  *config,
               SyKeys    *keys,
               SyHistory *history)
{
  SyServer *self;

  g_return_val_if_fail (SY_IS_CONFIG (config), NULL);
  g_return_val_if_fail (SY_IS_KEYS (keys), NULL);

  self = g_object_new (SY_TYPE_SERVER, NULL);
  self->config = g_object_ref (config);
  self->keys = g_object_ref (keys);
  self->history = history != NULL ? g_object_ref (history) : NULL;
  return self;
}

SyRouter *
sy_server_get_router (SyServer *self)
{
  return self->router;
}

const char *
sy_server_get_token (SyServer *self)
{
  return self->token;
}

guint
sy_server_get_port (SyServer *self)
{
  g_return_val_if_fail (SY_IS_SERVER (self), 0);
  return self->port;
}

/* A request refused from its headers alone is answered on the raw connection, so
 * its body (perhaps 40 MiB, perhaps never-ending) is never read into memory. The
 * rest of the body is drained for a moment before closing: closing a socket with
 * unread input sends a reset that can destroy the answer before the client reads it. */
typedef struct {
  GIOStream *stream;
  GSocket   *socket;
  GBytes    *answer;
  guint8     drain[16 * 1024];
  gsize      drained;
  gint64     deadline;
} Refusal;

static void
refusal_free (Refusal *refusal)
{
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_object_unref (refusal->socket);
  g_bytes_unref (refusal->answer);
  g_free (refusal);
}

static void
refusal_drained (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Refusal *refusal = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0 || g_get_monotonic_time () > refusal->deadline ||
      (refusal->drained += (gsize) n) > 4 * (gsize) SY_MAX_BODY_BYTES)
    {
      refusal_free (refusal);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream),
                             refusal->drain, sizeof refusal->drain, G_PRIORITY_LOW,
                             NULL, refusal_drained, refusal);
}

static void
refusal_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Refusal *refusal = data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      refusal_free (refusal);
      return;
    }
  g_socket_shutdown (refusal->socket, FALSE, TRUE, NULL);
  refusal->deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream),
                             refusal->drain, sizeof refusal->drain, G_PRIORITY_LOW,
                             NULL, refusal_drained, refusal);
}

static void
refuse (SoupServerMessage *msg,
        guint              status,
        char              *body)
{
  Refusal *refusal = g_new0 (Refusal, 1);
  char *answer;
  gsize length;

  answer = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: %zu\r\n"
                            "Connection: close\r\n"
                            "\r\n%s",
                            status, soup_status_get_phrase (status), strlen (body), body);
  g_free (body);
  length = strlen (answer);
  refusal->answer = g_bytes_new_take (answer, length);
  refusal->socket = g_object_ref (soup_server_message_get_socket (msg));
  refusal->stream = soup_server_message_steal_connection (msg);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (refusal->stream),
                                   g_bytes_get_data (refusal->answer, NULL), length,
                                   G_PRIORITY_DEFAULT, NULL, refusal_written, refusal);
}

/* Bodies without Content-Length are measured as they arrive: past the cap the
 * request is answered 413 at once on the raw connection, like a refusal from the
 * headers, and the rest of the body is never kept. */
static void
too_large_chunk (SoupServerMessage *msg,
                 GBytes            *chunk,
                 gpointer           data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *path;

  if (body->length <= SY_MAX_BODY_BYTES)
    return;

  g_signal_handlers_disconnect_by_func (msg, too_large_chunk, data);
  path = g_uri_get_path (soup_server_message_get_uri (msg));
  refuse (msg, 413, sy_http_error_json (sy_http_shape_for_path (path), 413, "invalid_request_error",
                                        _("The request body is larger than 32 MiB")));
}

static void
early_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           data)
{
  SyServer *self = data;
  g_autofree char *body = NULL;
  guint status = 0;

  if (!sy_guards_check_headers (msg, self->port, self->token, &status, &body))
    {
      refuse (msg, status, g_steal_pointer (&body));
      return;
    }
  /* A Content-Length was already checked; only chunked bodies need measuring. */
  if (soup_message_headers_get_encoding (soup_server_message_get_request_headers (msg)) ==
      SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (too_large_chunk), NULL);
}

static void
health_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           data)
{
  sy_http_send_json (msg, 200, g_strdup ("{\"status\":\"ok\"}"));
}

static void
default_handler (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           data)
{
  g_autofree char *message = g_strdup_printf (_("No route %s %s: the endpoint serves "
                                                "/v1/chat/completions, /v1/models and /health"),
                                              soup_server_message_get_method (msg), path);

  sy_http_send_error (msg, sy_http_shape_for_path (path), 404, "not_found_error", message);
}

void
sy_server_add_route (SyServer          *self,
                     const char        *path,
                     SoupServerCallback callback)
{
  /* libsoup looks early handlers up by the same path as the handler: a catch-all
   * early handler would not see requests for registered paths. */
  soup_server_add_early_handler (self->soup_server, path, early_handler, self, NULL);
  soup_server_add_handler (self->soup_server, path, callback, self, NULL);
}

static gboolean
listen_loopback (SyServer  *self,
                 guint      port,
                 GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSList) listeners = NULL;

  /* Both loopbacks; a machine without IPv6 still gets 127.0.0.1. */
  if (!soup_server_listen_local (self->soup_server, port, 0, &local_error))
    {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      soup_server_disconnect (self->soup_server);
      g_clear_error (&local_error);
      if (!soup_server_listen_local (self->soup_server, port, SOUP_SERVER_LISTEN_IPV4_ONLY, &local_error))
        {
          g_set_error (error, G_IO_ERROR, local_error->code,
                       _("Cannot listen on 127.0.0.1:%u: %s"), port, local_error->message);
          return FALSE;
        }
    }

  /* Read the port off the listening socket: soup_server_get_uris () in libsoup
   * 3.2 leaks the addresses it looks up. */
  listeners = soup_server_get_listeners (self->soup_server);
  self->port = port;
  if (listeners != NULL)
    {
      g_autoptr(GSocketAddress) address = g_socket_get_local_address (listeners->data, NULL);
      if (G_IS_INET_SOCKET_ADDRESS (address))
        self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
    }
  return TRUE;
}

static gpointer
router_thread (gpointer data)
{
  SyServer *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = NULL;
  guint port;

  g_main_context_push_thread_default (self->context);

  g_mutex_lock (&self->mutex);
  config = g_object_ref (self->config);
  g_mutex_unlock (&self->mutex);
  self->router = sy_router_new (config, self->keys, self->history);
  sy_router_set_observer (self->router, self->observer, self->observer_data);
  self->soup_server = soup_server_new ("server-header", "Switchyard/" PACKAGE_VERSION, NULL);
  sy_server_add_route (self, NULL, default_handler);
  sy_server_add_route (self, "/health", health_handler);
  sy_surface_openai_register (self);
  sy_surface_anthropic_register (self);
  sy_surface_responses_register (self);

  port = self->requested_port >= 0 ? (guint) self->requested_port : sy_config_get_port (config);
  if (self->requested_port != SY_SERVER_NO_LISTEN && !listen_loopback (self, port, &error))
    {
      g_mutex_lock (&self->mutex);
      self->start_error = g_steal_pointer (&error);
      self->ready = TRUE;
      g_cond_signal (&self->cond);
      g_mutex_unlock (&self->mutex);
      goto out;
    }

  g_mutex_lock (&self->mutex);
  self->ready = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->mutex);

  g_main_loop_run (self->loop);

out:
  /* Requests in flight are answered (503) and recorded, and their answers written,
   * before the connections close. */
  self->stopping = TRUE;
  sy_router_cancel_all (self->router);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  soup_server_disconnect (self->soup_server);
  g_clear_object (&self->router);
  /* Let cancelled operations deliver their callbacks before the context goes. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_clear_object (&self->soup_server);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

GMainContext *
sy_server_ref_context (SyServer *self)
{
  GMainContext *context = NULL;

  g_mutex_lock (&self->mutex);
  if (self->context != NULL)
    context = g_main_context_ref (self->context);
  g_mutex_unlock (&self->mutex);
  return context;
}

gboolean
sy_server_is_stopping (SyServer *self)
{
  return self->stopping;
}

typedef struct {
  SyServer  *server;
  SyRatings *ratings;
} RatingsSwap;

static void
ratings_swap_free (gpointer data)
{
  RatingsSwap *swap = data;

  g_object_unref (swap->server);
  sy_ratings_free (swap->ratings);
  g_free (swap);
}

static gboolean
ratings_swap_apply (gpointer data)
{
  RatingsSwap *swap = data;

  if (swap->server->router != NULL)
    sy_router_set_ratings (swap->server->router, g_steal_pointer (&swap->ratings));
  return G_SOURCE_REMOVE;
}

void
sy_server_set_ratings (SyServer  *self,
                       SyRatings *ratings)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_if_fail (SY_IS_SERVER (self));
  g_return_if_fail (ratings != NULL);

  context = sy_server_ref_context (self);
  if (context != NULL)
    {
      g_autoptr(GSource) source = g_idle_source_new ();
      RatingsSwap *swap = g_new0 (RatingsSwap, 1);

      swap->server = g_object_ref (self);
      swap->ratings = ratings;
      g_source_set_priority (source, G_PRIORITY_HIGH);
      g_source_set_callback (source, ratings_swap_apply, swap, ratings_swap_free);
      g_source_attach (source, context);
    }
  else
    /* A server that is not running reads the ratings from history when it starts. */
    sy_ratings_free (ratings);
}

gboolean
sy_server_start (SyServer  *self,
                 int        port,
                 GError   **error)
{
  g_return_val_if_fail (SY_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->thread == NULL, FALSE);

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->token, g_free);
  self->token = g_strdup (sy_config_get_token (self->config));
  self->requested_port = port;
  self->ready = FALSE;
  g_clear_error (&self->start_error);
  self->context = g_main_context_new ();
  self->stopping = FALSE;
  g_mutex_unlock (&self->mutex);
  self->loop = g_main_loop_new (self->context, FALSE);
  self->thread = g_thread_new ("sy-router", router_thread, self);

  g_mutex_lock (&self->mutex);
  while (!self->ready)
    g_cond_wait (&self->cond, &self->mutex);
  g_mutex_unlock (&self->mutex);

  if (self->start_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&self->start_error));
      sy_server_stop (self);
      return FALSE;
    }
  return TRUE;
}

void
sy_server_set_observer (SyServer          *self,
                        SyRequestObserver  observer,
                        gpointer           user_data)
{
  g_return_if_fail (SY_IS_SERVER (self));
  g_return_if_fail (self->thread == NULL);

  self->observer = observer;
  self->observer_data = user_data;
}

typedef struct {
  SyServer *server;
  SyConfig *config;
} ConfigSwap;

static void
config_swap_free (gpointer data)
{
  ConfigSwap *swap = data;

  g_object_unref (swap->server);
  g_object_unref (swap->config);
  g_free (swap);
}

static gboolean
config_swap_apply (gpointer data)
{
  ConfigSwap *swap = data;
  SyServer *self = swap->server;

  if (self->router != NULL)
    sy_router_set_config (self->router, swap->config);
  /* The guards read the token on this thread. */
  g_free (self->token);
  self->token = g_strdup (sy_config_get_token (swap->config));
  return G_SOURCE_REMOVE;
}

void
sy_server_set_config (SyServer *self,
                      SyConfig *config)
{
  g_return_if_fail (SY_IS_SERVER (self));
  g_return_if_fail (SY_IS_CONFIG (config));

  g_autoptr(GMainContext) context = NULL;

  g_mutex_lock (&self->mutex);
  g_set_object (&self->config, config);
  if (self->context != NULL)
    context = g_main_context_ref (self->context);
  g_mutex_unlock (&self->mutex);

  /* A thread that is starting takes the new config itself; one that is running
   * gets it on its own context. */
  if (context != NULL)
    {
      g_autoptr(GSource) source = g_idle_source_new ();
      ConfigSwap *swap = g_new0 (ConfigSwap, 1);

      swap->server = g_object_ref (self);
      swap->config = g_object_ref (config);
      g_source_set_priority (source, G_PRIORITY_HIGH);
      g_source_set_callback (source, config_swap_apply, swap, config_swap_free);
      g_source_attach (source, context);
    }
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
sy_server_stop (SyServer *self)
{
  g_autoptr(GMainContext) context = NULL;

  g_return_if_fail (SY_IS_SERVER (self));

  if (self->thread == NULL)
    return;

  {
    g_autoptr(GSource) source = g_idle_source_new ();
    g_source_set_callback (source, quit_loop, g_main_loop_ref (self->loop),
                           (GDestroyNotify) g_main_loop_unref);
    g_source_attach (source, self->context);
  }
  g_thread_join (g_steal_pointer (&self->thread));

  g_mutex_lock (&self->mutex);
  g_clear_pointer (&self->loop, g_main_loop_unref);
  context = g_steal_pointer (&self->context);
  g_mutex_unlock (&self->mutex);

  /* Work posted while the thread was ending (a run from the window) is told
   * the router is gone, here, rather than never; nothing is posted after the
   * context was taken away above. */
  g_main_context_push_thread_default (context);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
}
