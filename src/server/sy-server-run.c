/* sy-server-run.c — requests from inside the app (Compare) through the server's router.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-json.h"
#include "sy-server-private.h"

/* Shared by the caller's thread and the router thread; refcounted: one
 * reference for each side, one for each posted source. */
typedef struct {
  gint          refs;
  SyServer     *server;
  JsonNode     *request;
  char         *client;
  SyRunSink     sink;
  gpointer      data;
  GDestroyNotify destroy;
  GMainContext *caller;
  GCancellable *cancellable;
  gulong        cancel_id;

  /* router thread */
  SyExchange   *exchange;

  /* under lock: what the caller has not been given yet */
  GMutex        lock;
  GString      *content;
  GString      *reasoning;
  gboolean      delivery_posted;
  gboolean      done;
  SyHistoryRecord *record;
  char         *error;

  /* caller thread */
  gboolean      finished;
} Run;

static Run *
run_ref (Run *run)
{
  g_atomic_int_inc (&run->refs);
  return run;
}

static void
run_unref (gpointer data)
{
  Run *run = data;

  if (!g_atomic_int_dec_and_test (&run->refs))
    return;
  g_clear_object (&run->server);
  g_clear_pointer (&run->request, json_node_unref);
  g_free (run->client);
  g_clear_pointer (&run->caller, g_main_context_unref);
  g_clear_object (&run->cancellable);
  g_string_free (run->content, TRUE);
  g_string_free (run->reasoning, TRUE);
  g_clear_pointer (&run->record, sy_history_record_free);
  g_free (run->error);
  g_mutex_clear (&run->lock);
  g_free (run);
}

static void
post (GMainContext *context,
      GSourceFunc   func,
      Run          *run)
{
  g_autoptr(GSource) source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, run_ref (run), run_unref);
  g_source_attach (source, context);
}

/* Caller thread: hands over what arrived since the last turn. */
static gboolean
deliver (gpointer data)
{
  Run *run = data;
  g_autofree char *content = NULL;
  g_autofree char *reasoning = NULL;
  gboolean done;

  g_mutex_lock (&run->lock);
  run->delivery_posted = FALSE;
  if (run->content->len > 0)
    content = g_strndup (run->content->str, run->content->len);
  if (run->reasoning->len > 0)
    reasoning = g_strndup (run->reasoning->str, run->reasoning->len);
  g_string_truncate (run->content, 0);
  g_string_truncate (run->reasoning, 0);
  done = run->done;
  g_mutex_unlock (&run->lock);

  if (run->finished)
    return G_SOURCE_REMOVE;
  if ((content != NULL || reasoning != NULL) && run->sink.delta != NULL)
    run->sink.delta (content, reasoning, run->data);
  if (done)
    {
      run->finished = TRUE;
      if (run->cancellable != NULL)
        g_cancellable_disconnect (run->cancellable, run->cancel_id);
      run->sink.finished (run->record, run->error, run->data);
      if (run->destroy != NULL)
        run->destroy (run->data);
      run_unref (run);   /* the caller's side */
    }
  return G_SOURCE_REMOVE;
}

/* Router thread, under no lock. */
static void
schedule_delivery (Run *run)
{
  gboolean post_now;

  g_mutex_lock (&run->lock);
  post_now = !run->delivery_posted;
  run->delivery_posted = TRUE;
  g_mutex_unlock (&run->lock);
  if (post_now)
    post (run->caller, deliver, run);
}

static void
append_delta (Run        *run,
              const char *content,
              const char *reasoning)
{
  if (content == NULL && reasoning == NULL)
    return;
  g_mutex_lock (&run->lock);
  if (content != NULL)
    g_string_append (run->content, content);
  if (reasoning != NULL)
    g_string_append (run->reasoning, reasoning);
  g_mutex_unlock (&run->lock);
  schedule_delivery (run);
}

static void
set_error (Run        *run,
           const char *message)
{
  g_mutex_lock (&run->lock);
  if (run->error == NULL)
    run->error = g_strdup (message);
  g_mutex_unlock (&run->lock);
}

static void
sink_stream_start (SyExchange *ex,
                   gpointer    data)
{
}

static void
sink_stream_event (SyExchange *ex,
                   const char *event,
                   const char *data,
                   gpointer    user_data)
{
  Run *run = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *chunk, *delta;
  JsonArray *choices;

  if (g_str_equal (data, "[DONE]"))
    return;
  node = sy_json_parse (data, strlen (data), NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  chunk = json_node_get_object (node);
  if (sy_json_get_object (chunk, "error") != NULL)
    {
      set_error (run, sy_json_get_string (sy_json_get_object (chunk, "error"), "message"));
      return;
    }
  /* The last chunk carries only usage, with no choices. */
  choices = sy_json_get_array (chunk, "choices");
  if (choices == NULL || json_array_get_length (choices) == 0)
    return;
  delta = sy_json_get_object (sy_json_array_get_object (choices, 0), "delta");
  append_delta (run, sy_json_get_string (delta, "content"),
                sy_json_get_string (delta, "reasoning_content") ?: sy_json_get_string (delta, "reasoning"));
}

static void
sink_stream_keepalive (SyExchange *ex,
                       gpointer    data)
{
}

static void
sink_respond (SyExchange *ex,
              JsonObject *body,
              const char *json,
              gpointer    data)
{
  JsonArray *choices = sy_json_get_array (body, "choices");
  JsonObject *message;

  if (choices == NULL || json_array_get_length (choices) == 0)
    return;
  message = sy_json_get_object (sy_json_array_get_object (choices, 0), "message");
  append_delta (data, sy_json_get_string (message, "content"),
                sy_json_get_string (message, "reasoning_content"));
}

static void
sink_fail (SyExchange *ex,
           guint       status,
           const char *type,
           const char *message,
           const char *retry_after,
           gpointer    data)
{
  set_error (data, message);
}

static void
sink_done (SyExchange *ex,
           gpointer    data)
{
  Run *run = data;
  const SyHistoryRecord *record = sy_exchange_get_record (ex);

  g_mutex_lock (&run->lock);
  run->record = record != NULL ? sy_history_record_copy (record) : NULL;
  if (run->error == NULL && record != NULL && record->error != NULL)
    run->error = g_strdup (record->error);
  run->done = TRUE;
  g_mutex_unlock (&run->lock);

  g_clear_pointer (&run->exchange, sy_exchange_unref);
  schedule_delivery (run);
  run_unref (run);   /* the router's side */
}

static const SyExchangeSink run_sink = {
  .stream_start = sink_stream_start,
  .stream_event = sink_stream_event,
  .stream_keepalive = sink_stream_keepalive,
  .respond = sink_respond,
  .fail = sink_fail,
  .done = sink_done,
};

/* Ends a run that never reached the router (no server, or it is stopping). */
static void
fail_unstarted (Run        *run,
                const char *message)
{
  g_mutex_lock (&run->lock);
  run->error = g_strdup (message);
  run->done = TRUE;
  g_mutex_unlock (&run->lock);
  schedule_delivery (run);
  run_unref (run);   /* the router's side */
}

/* Router thread. */
static gboolean
run_start (gpointer data)
{
  Run *run = data;
  SyRouter *router = sy_server_get_router (run->server);

  if (router == NULL || sy_server_is_stopping (run->server))
    {
      fail_unstarted (run, _("The router is stopping"));
      return G_SOURCE_REMOVE;
    }
  if (run->cancellable != NULL && g_cancellable_is_cancelled (run->cancellable))
    {
      fail_unstarted (run, _("Cancelled"));
      return G_SOURCE_REMOVE;
    }
  run->exchange = sy_exchange_new (router, SY_WIRE_CHAT, "compare", run->client, run->request, NULL,
                                   NULL, &run_sink, run);
  sy_exchange_keep_record (run->exchange);
  sy_exchange_start (run->exchange);
  return G_SOURCE_REMOVE;
}

/* Router thread. */
static gboolean
run_cancel (gpointer data)
{
  Run *run = data;

  if (run->exchange != NULL)
    sy_exchange_client_gone (run->exchange);
  return G_SOURCE_REMOVE;
}

/* Any thread. */
static void
cancelled (GCancellable *cancellable,
           Run          *run)
{
  GMainContext *context = sy_server_ref_context (run->server);

  if (context != NULL)
    {
      post (context, run_cancel, run);
      g_main_context_unref (context);
    }
}

void
sy_server_run (SyServer        *self,
               JsonObject      *hub_request,
               const char      *client,
               const SyRunSink *sink,
               gpointer         data,
               GDestroyNotify   destroy,
               GCancellable    *cancellable)
{
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(JsonObject) request = NULL;
  JsonObject *options;
  Run *run;

  g_return_if_fail (SY_IS_SERVER (self));
  g_return_if_fail (hub_request != NULL);
  g_return_if_fail (sink != NULL && sink->finished != NULL);

  /* Streamed, with usage in the last chunk: text arrives as it is written. The
   * router thread gets a tree of its own, which the caller may go on changing. */
  request = sy_json_object_deep_copy (hub_request, NULL);
  g_return_if_fail (request != NULL);
  json_object_set_boolean_member (request, "stream", TRUE);
  options = json_object_new ();
  json_object_set_boolean_member (options, "include_usage", TRUE);
  json_object_set_object_member (request, "stream_options", options);

  run = g_new0 (Run, 1);
  run->refs = 2;   /* the caller's side and the router's */
  g_mutex_init (&run->lock);
  run->server = g_object_ref (self);
  run->client = g_strdup (client != NULL ? client : "Switchyard");
  run->sink = *sink;
  run->data = data;
  run->destroy = destroy;
  run->caller = g_main_context_ref_thread_default ();
  run->content = g_string_new (NULL);
  run->reasoning = g_string_new (NULL);
  run->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;

  run->request = json_node_init_object (json_node_alloc (), request);

  context = sy_server_ref_context (self);
  if (context == NULL)
    {
      fail_unstarted (run, _("The router is not running"));
      return;
    }
  if (run->cancellable != NULL)
    run->cancel_id = g_cancellable_connect (run->cancellable, G_CALLBACK (cancelled), run, NULL);
  post (context, run_start, run);
}
