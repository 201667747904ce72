/* sy-endpoint.c — the local endpoint as the window sees it: start, stop, live activity.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-activity-item.h"
#include "sy-endpoint.h"
#include "sy-history.h"
#include "sy-json.h"
#include "sy-server.h"

/* The live list keeps the newest requests; older ones are in the history. */
#define ACTIVITY_LIMIT 1000

struct _SyEndpoint
{
  GObject     parent_instance;

  /* owned references */
  SyKeys     *keys;
  SyConfig   *config;
  SyHistory  *history;     /* opened by the first start, on a worker thread */
  SyServer   *server;      /* while running */
  SyServer   *quiet;       /* a router that does not listen, for runs while stopped */
  GListStore *activity;
  GHashTable *items;       /* request id → SyActivityItem, those in @activity */

  /* state */
  char       *history_path;
  char       *base_url;
  char       *error;
  guint       port;
  gboolean    busy;
  gboolean    quiet_starting;
  GPtrArray  *waiting_runs;   /* PendingRun *, until the quiet router runs */

  /* router thread → main thread: records waiting for the idle below */
  GMutex      pending_lock;
  GPtrArray  *pending;
  guint       pending_idle;
};

G_DEFINE_FINAL_TYPE (SyEndpoint, sy_endpoint, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RUNNING,
  PROP_BUSY,
  PROP_PORT,
  PROP_BASE_URL,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  REQUEST_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
sy_endpoint_dispose (GObject *object)
{
  SyEndpoint *self = SY_ENDPOINT (object);

  sy_endpoint_shutdown (self);
  g_clear_handle_id (&self->pending_idle, g_source_remove);
  g_clear_pointer (&self->waiting_runs, g_ptr_array_unref);

  G_OBJECT_CLASS (sy_endpoint_parent_class)->dispose (object);
}

static void
sy_endpoint_finalize (GObject *object)
{
  SyEndpoint *self = SY_ENDPOINT (object);

  g_clear_object (&self->keys);
  g_clear_object (&self->config);
  g_clear_object (&self->activity);
  g_clear_pointer (&self->items, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_mutex_clear (&self->pending_lock);
  g_free (self->history_path);
  g_free (self->base_url);
  g_free (self->error);

  G_OBJECT_CLASS (sy_endpoint_parent_class)->finalize (object);
}

static void
sy_endpoint_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SyEndpoint *self = SY_ENDPOINT (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, sy_endpoint_get_running (self));
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_endpoint_class_init (SyEndpointClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sy_endpoint_dispose;
  object_class->finalize = sy_endpoint_finalize;
  object_class->get_property = sy_endpoint_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A request ended (its item is in the activity list, up to date). */
  signals[REQUEST_FINISHED] =
    g_signal_new ("request-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, SY_TYPE_ACTIVITY_ITEM);
}

static void
sy_endpoint_init (SyEndpoint *self)
{
  self->activity = g_list_store_new (SY_TYPE_ACTIVITY_ITEM);
  self->items = g_hash_table_new (g_str_hash, g_str_equal);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_history_record_free);
  g_mutex_init (&self->pending_lock);
}

SyEndpoint *
sy_endpoint_new (SyKeys     *keys,
                 const char *history_path)
{
  SyEndpoint *self;

  g_return_val_if_fail (SY_IS_KEYS (keys), NULL);

  self = g_object_new (SY_TYPE_ENDPOINT, NULL);
  self->keys = g_object_ref (keys);
  self->history_path = g_strdup (history_path);
  return self;
}

void
sy_endpoint_set_config (SyEndpoint *self,
                        SyConfig   *config)
{
  g_return_if_fail (SY_IS_ENDPOINT (self));
  g_return_if_fail (SY_IS_CONFIG (config));

  g_set_object (&self->config, config);
  if (self->server != NULL)
    sy_server_set_config (self->server, config);
  if (self->quiet != NULL)
    sy_server_set_config (self->quiet, config);
}

/* ------------------------------------------------------------ live activity */

static void
drop_oldest (SyEndpoint *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->activity));

  if (n <= ACTIVITY_LIMIT)
    return;
  for (guint i = ACTIVITY_LIMIT; i < n; i++)
    {
      g_autoptr(SyActivityItem) item = g_list_model_get_item (G_LIST_MODEL (self->activity), i);
      g_hash_table_remove (self->items, sy_activity_item_get_record (item)->request_id);
    }
  g_list_store_splice (self->activity, ACTIVITY_LIMIT, n - ACTIVITY_LIMIT, NULL, 0);
}

/* Arrivals are added in one splice per batch: at 100 requests a second the list
 * changes a few times a frame, not a hundred. */
static gboolean
deliver_pending (gpointer data)
{
  SyEndpoint *self = data;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(GPtrArray) arrivals = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) finished = g_ptr_array_new_with_free_func (g_object_unref);

  g_mutex_lock (&self->pending_lock);
  batch = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_history_record_free);
  self->pending_idle = 0;
  g_mutex_unlock (&self->pending_lock);

  for (guint i = 0; i < batch->len; i++)
    {
      SyHistoryRecord *record = g_ptr_array_index (batch, i);
      SyActivityItem *item = g_hash_table_lookup (self->items, record->request_id);

      g_ptr_array_index (batch, i) = NULL;
      if (item != NULL)
        sy_activity_item_update (item, record);
      else
        {
          item = sy_activity_item_new (record);
          g_hash_table_insert (self->items, record->request_id, item);
          g_ptr_array_add (arrivals, item);
        }
      if (sy_activity_item_get_finished (item))
        g_ptr_array_add (finished, g_object_ref (item));
    }

  if (arrivals->len > 0)
    {
      /* Newest first. */
      for (guint i = 0; i < arrivals->len / 2; i++)
        {
          gpointer tmp = arrivals->pdata[i];
          arrivals->pdata[i] = arrivals->pdata[arrivals->len - 1 - i];
          arrivals->pdata[arrivals->len - 1 - i] = tmp;
        }
      g_list_store_splice (self->activity, 0, 0, arrivals->pdata, arrivals->len);
      drop_oldest (self);
    }
  for (guint i = 0; i < finished->len; i++)
    g_signal_emit (self, signals[REQUEST_FINISHED], 0, g_ptr_array_index (finished, i));
  return G_SOURCE_REMOVE;
}

/* Router thread. */
static void
observe_request (const SyHistoryRecord *record,
                 gpointer               data)
{
  SyEndpoint *self = data;

  g_mutex_lock (&self->pending_lock);
  g_ptr_array_add (self->pending, sy_history_record_copy (record));
  if (self->pending_idle == 0)
    {
      g_autoptr(GSource) source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_callback (source, deliver_pending, g_object_ref (self), g_object_unref);
      self->pending_idle = g_source_attach (source, g_main_context_default ());
    }
  g_mutex_unlock (&self->pending_lock);
}

/* ------------------------------------------------------------ start and stop */

static void
set_busy (SyEndpoint *self,
          gboolean    busy)
{
  if (self->busy == busy)
    return;
  self->busy = busy;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
set_error (SyEndpoint *self,
           const char *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

typedef struct {
  SyConfig  *config;
  SyKeys    *keys;
  SyHistory *history;
  char      *history_path;
  SyServer  *server;
  gpointer   endpoint;   /* the observer's data; the endpoint outlives the server */
  int        port;       /* -1: the config's; SY_SERVER_NO_LISTEN for runs only */
} StartData;

static void
start_data_free (StartData *data)
{
  g_clear_object (&data->config);
  g_clear_object (&data->keys);
  g_clear_object (&data->history);
  g_clear_object (&data->server);
  g_free (data->history_path);
  g_free (data);
}

static void start_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable);

/* ------------------------------------------------------------------ runs */

typedef struct {
  JsonObject     *request;
  SyRunSink       sink;
  gpointer        data;
  GDestroyNotify  destroy;
  GCancellable   *cancellable;
} PendingRun;

static void
pending_run_free (gpointer data)
{
  PendingRun *run = data;

  json_object_unref (run->request);
  g_clear_object (&run->cancellable);
  g_free (run);
}

#define RUN_CLIENT "Switchyard Compare"

static void
pending_run_fail (PendingRun *run,
                  const char *message)
{
  run->sink.finished (NULL, message, run->data);
  if (run->destroy != NULL)
    run->destroy (run->data);
}

static void
quiet_started (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  SyEndpoint *self = SY_ENDPOINT (source);
  StartData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = g_steal_pointer (&self->waiting_runs);

  self->quiet_starting = FALSE;
  if (data->history != NULL && self->history == NULL)
    self->history = g_object_ref (data->history);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      self->quiet = g_steal_pointer (&data->server);
      if (self->config != data->config)
        sy_server_set_config (self->quiet, self->config);
    }

  for (guint i = 0; runs != NULL && i < runs->len; i++)
    {
      PendingRun *run = g_ptr_array_index (runs, i);
      SyServer *server = self->server != NULL ? self->server : self->quiet;

      if (server != NULL)
        sy_server_run (server, run->request, RUN_CLIENT, &run->sink, run->data, run->destroy,
                       run->cancellable);
      else
        pending_run_fail (run, error != NULL ? error->message : _("The router could not start"));
    }
}

void
sy_endpoint_run (SyEndpoint      *self,
                 JsonObject      *hub_request,
                 const SyRunSink *sink,
                 gpointer         data,
                 GDestroyNotify   destroy,
                 GCancellable    *cancellable)
{
  g_autoptr(GTask) worker = NULL;
  PendingRun *run;
  StartData *start;

  g_return_if_fail (SY_IS_ENDPOINT (self));
  g_return_if_fail (hub_request != NULL && sink != NULL && sink->finished != NULL);

  if (self->server != NULL || self->quiet != NULL)
    {
      sy_server_run (self->server != NULL ? self->server : self->quiet, hub_request, RUN_CLIENT,
                     sink, data, destroy, cancellable);
      return;
    }

  /* The endpoint is off: a router that does not listen serves the window. */
  run = g_new0 (PendingRun, 1);
  run->request = json_object_ref (hub_request);
  run->sink = *sink;
  run->data = data;
  run->destroy = destroy;
  run->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  if (self->waiting_runs == NULL)
    self->waiting_runs = g_ptr_array_new_with_free_func (pending_run_free);
  g_ptr_array_add (self->waiting_runs, run);
  if (self->quiet_starting)
    return;

  self->quiet_starting = TRUE;
  start = g_new0 (StartData, 1);
  start->config = g_object_ref (self->config);
  start->keys = g_object_ref (self->keys);
  start->history = self->history != NULL ? g_object_ref (self->history) : NULL;
  start->history_path = g_strdup (self->history_path);
  start->endpoint = self;
  start->port = SY_SERVER_NO_LISTEN;
  worker = g_task_new (self, NULL, quiet_started, NULL);
  g_task_set_task_data (worker, start, (GDestroyNotify) start_data_free);
  g_task_run_in_thread (worker, start_worker);
}

/* ----------------------------------------------- comparisons and ratings */

typedef struct {
  char   *path;
  char   *id;
  char   *model;
  char   *json;
  gint64  created_at_us;
  int     score;
  guint   limit;
} HistoryJob;

static void
history_job_free (gpointer data)
{
  HistoryJob *job = data;

  g_free (job->path);
  g_free (job->id);
  g_free (job->model);
  g_free (job->json);
  g_free (job);
}

static GTask *
history_task (SyEndpoint          *self,
              gpointer             tag,
              HistoryJob          *job,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  job->path = g_strdup (self->history_path);
  g_task_set_task_data (task, job, history_job_free);
  return task;
}

static void
save_comparison_worker (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  GError *error = NULL;

  if (sy_history_save_comparison (job->path, job->id, job->created_at_us, job->json, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
sy_endpoint_save_comparison_async (SyEndpoint          *self,
                                   const char          *id,
                                   gint64               created_at_us,
                                   JsonObject          *comparison,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) node = NULL;
  HistoryJob *job;

  g_return_if_fail (SY_IS_ENDPOINT (self));
  g_return_if_fail (id != NULL && comparison != NULL);

  job = g_new0 (HistoryJob, 1);
  job->id = g_strdup (id);
  job->created_at_us = created_at_us;
  node = json_node_init_object (json_node_alloc (), comparison);
  job->json = sy_json_to_string (node);
  task = history_task (self, sy_endpoint_save_comparison_async, job, cancellable, callback, user_data);
  g_task_run_in_thread (task, save_comparison_worker);
}

gboolean
sy_endpoint_save_comparison_finish (SyEndpoint    *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
read_ratings_worker (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  g_autoptr(SyRatings) ratings = sy_ratings_new ();
  GError *error = NULL;

  if (job->model != NULL && !sy_history_save_rating (job->path, job->id, job->model, job->score, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!sy_ratings_seed (ratings, job->path, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&ratings), (GDestroyNotify) sy_ratings_free);
}

/* A rating in force: every router of this endpoint ranks "best" by it. */
static void
rated (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  SyEndpoint *self = SY_ENDPOINT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(SyRatings) ratings = NULL;
  GError *error = NULL;

  ratings = g_task_propagate_pointer (G_TASK (result), &error);
  if (ratings == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (self->server != NULL)
    sy_server_set_ratings (self->server, sy_ratings_copy (ratings));
  if (self->quiet != NULL)
    sy_server_set_ratings (self->quiet, sy_ratings_copy (ratings));
  g_task_return_boolean (task, TRUE);
}

void
sy_endpoint_rate_async (SyEndpoint          *self,
                        const char          *comparison_id,
                        const char          *model,
                        int                  score,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  HistoryJob *job;

  g_return_if_fail (SY_IS_ENDPOINT (self));
  g_return_if_fail (comparison_id != NULL && model != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_endpoint_rate_async);
  job = g_new0 (HistoryJob, 1);
  job->id = g_strdup (comparison_id);
  job->model = g_strdup (model);
  job->score = score;
  /* Not cancellable once asked: the user's rating is written. */
  worker = history_task (self, sy_endpoint_rate_async, job, NULL, rated, g_steal_pointer (&task));
  g_task_run_in_thread (worker, read_ratings_worker);
}

gboolean
sy_endpoint_rate_finish (SyEndpoint    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sy_endpoint_read_ratings_async (SyEndpoint          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SY_IS_ENDPOINT (self));

  task = history_task (self, sy_endpoint_read_ratings_async, g_new0 (HistoryJob, 1), cancellable,
                       callback, user_data);
  g_task_run_in_thread (task, read_ratings_worker);
}

SyRatings *
sy_endpoint_read_ratings_finish (SyEndpoint    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
read_comparisons_worker (GTask        *task,
                         gpointer      source,
                         gpointer      task_data,
                         GCancellable *cancellable)
{
  HistoryJob *job = task_data;
  GError *error = NULL;
  GPtrArray *rows = sy_history_read_comparisons (job->path, job->limit, &error);

  if (rows == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

void
sy_endpoint_read_comparisons_async (SyEndpoint          *self,
                                    guint                limit,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  HistoryJob *job;

  g_return_if_fail (SY_IS_ENDPOINT (self));

  job = g_new0 (HistoryJob, 1);
  job->limit = limit;
  task = history_task (self, sy_endpoint_read_comparisons_async, job, cancellable, callback, user_data);
  g_task_run_in_thread (task, read_comparisons_worker);
}

GPtrArray *
sy_endpoint_read_comparisons_finish (SyEndpoint    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
start_worker (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  StartData *data = task_data;
  g_autoptr(GError) error = NULL;

  if (data->history == NULL && data->history_path != NULL)
    {
      data->history = sy_history_new (data->history_path, &error);
      if (data->history == NULL)
        {
          /* Routing works without recording; the reason goes to the log. */
          g_warning ("%s: %s", data->history_path, error->message);
          g_clear_error (&error);
        }
    }

  data->server = sy_server_new (data->config, data->keys, data->history);
  sy_server_set_observer (data->server, observe_request, data->endpoint);
  if (!sy_server_start (data->server, data->port, &error))
    {
      g_clear_object (&data->server);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
start_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SyEndpoint *self = SY_ENDPOINT (source);
  g_autoptr(GTask) task = user_data;
  StartData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (data->history != NULL && self->history == NULL)
    self->history = g_object_ref (data->history);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        {
          g_autofree char *plain =
            g_strdup_printf (_("Port %u is already in use by another program: choose another "
                               "port, or stop the other program"),
                             sy_config_get_port (data->config));
          g_free (error->message);
          error->message = g_steal_pointer (&plain);
        }
      set_error (self, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  self->server = g_steal_pointer (&data->server);
  /* An edit made while starting is in force from the first request. */
  if (self->config != data->config)
    sy_server_set_config (self->server, self->config);
  self->port = sy_server_get_port (self->server);
  g_free (self->base_url);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%u/v1", self->port);
  set_error (self, NULL);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_thaw_notify (G_OBJECT (self));
  g_task_return_boolean (task, TRUE);
}

void
sy_endpoint_start_async (SyEndpoint          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  StartData *data;

  g_return_if_fail (SY_IS_ENDPOINT (self));
  g_return_if_fail (self->config != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_endpoint_start_async);

  if (self->server != NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The endpoint is starting or stopping"));
      return;
    }

  data = g_new0 (StartData, 1);
  data->config = g_object_ref (self->config);
  data->keys = g_object_ref (self->keys);
  data->history = self->history != NULL ? g_object_ref (self->history) : NULL;
  data->history_path = g_strdup (self->history_path);
  data->endpoint = self;
  data->port = -1;

  set_busy (self, TRUE);
  worker = g_task_new (self, NULL, start_done, g_steal_pointer (&task));
  g_task_set_task_data (worker, data, (GDestroyNotify) start_data_free);
  g_task_run_in_thread (worker, start_worker);
}

gboolean
sy_endpoint_start_finish (SyEndpoint    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
stop_worker (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  sy_server_stop (task_data);
  g_task_return_boolean (task, TRUE);
}

static void
stop_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  SyEndpoint *self = SY_ENDPOINT (source);
  g_autoptr(GTask) task = user_data;

  set_busy (self, FALSE);
  g_task_return_boolean (task, TRUE);
}

static void
forget_server (SyEndpoint *self)
{
  g_clear_object (&self->server);
  g_clear_pointer (&self->base_url, g_free);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
sy_endpoint_stop_async (SyEndpoint          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;

  g_return_if_fail (SY_IS_ENDPOINT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_endpoint_stop_async);
  if (self->server == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  set_busy (self, TRUE);
  worker = g_task_new (self, NULL, stop_done, g_steal_pointer (&task));
  /* The server is forgotten at once: "running" turns off while it drains. */
  g_task_set_task_data (worker, g_object_ref (self->server), g_object_unref);
  forget_server (self);
  g_task_run_in_thread (worker, stop_worker);
}

gboolean
sy_endpoint_stop_finish (SyEndpoint    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
sy_endpoint_shutdown (SyEndpoint *self)
{
  g_return_if_fail (SY_IS_ENDPOINT (self));

  if (self->server != NULL)
    {
      sy_server_stop (self->server);
      forget_server (self);
    }
  if (self->quiet != NULL)
    {
      sy_server_stop (self->quiet);
      g_clear_object (&self->quiet);
    }
  if (self->history != NULL)
    {
      sy_history_close (self->history);
      g_clear_object (&self->history);
    }
}

gboolean
sy_endpoint_get_running (SyEndpoint *self)
{
  g_return_val_if_fail (SY_IS_ENDPOINT (self), FALSE);
  return self->server != NULL;
}

gboolean
sy_endpoint_get_busy (SyEndpoint *self)
{
  g_return_val_if_fail (SY_IS_ENDPOINT (self), FALSE);
  return self->busy;
}

guint
sy_endpoint_get_port (SyEndpoint *self)
{
  g_return_val_if_fail (SY_IS_ENDPOINT (self), 0);
  return self->port;
}

const char *
sy_endpoint_get_base_url (SyEndpoint *self)
{
  g_return_val_if_fail (SY_IS_ENDPOINT (self), NULL);
  return self->base_url;
}

const char *
sy_endpoint_get_error (SyEndpoint *self)
{
  g_return_val_if_fail (SY_IS_ENDPOINT (self), NULL);
  return self->error;
}

GListModel *
sy_endpoint_get_activity (SyEndpoint *self)
{
  g_return_val_if_fail (SY_IS_ENDPOINT (self), NULL);
  return G_LIST_MODEL (self->activity);
}
