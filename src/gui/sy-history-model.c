/* sy-history-model.c — the History page's list: the matching ids are read at
 * once (8 bytes a request), the requests themselves a page at a time when the
 * list asks for them, on a worker thread, newest page asked for first. Rows not
 * read yet are placeholders that fill in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include "sy-history-model.h"

/* Items kept; past this, those farthest from where the list was last read go. */
#define MAX_CACHED (SY_HISTORY_MODEL_PAGE * 60)

struct _SyHistoryModel
{
  GObject       parent_instance;

  char         *path;

  /* the filter in force, its strings owned */
  SyHistoryFilter filter;
  char         *search;
  char         *client;
  char         *provider;
  char         *model;
  char         *profile;

  GArray       *ids;           /* gint64, newest first */
  GArray       *base_ids;      /* the same without the search, while valid … */
  char         *base_key;      /* … for these other filters (filter_key ()) */
  gint64        max_id;        /* the largest in @ids: refresh () asks for newer */
  GHashTable   *items;         /* id → SyActivityItem */
  GHashTable   *positions;     /* id → position when it was made (for eviction) */
  GArray       *wanted;        /* page numbers asked for, newest last */
  GHashTable   *pending;       /* page numbers in @wanted or loading */
  gboolean      reading;       /* a page task runs */
  guint         last_position;
  guint         generation;    /* bumped by each new filter: older results are dropped */
  guint         rows_read;

  GCancellable *query_cancellable;
  gboolean      closed;        /* queries and pages still running are dropped */
  gboolean      loading;
  gboolean      refreshing;
  char         *error;
};

static void sy_history_model_list_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SyHistoryModel, sy_history_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, sy_history_model_list_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_ERROR,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void read_next_page (SyHistoryModel *self);

/* ------------------------------------------------------------------ filter */

typedef struct {
  char            *path;
  SyHistoryFilter  filter;
  char            *search, *client, *provider, *model, *profile;
  gint64           after_id;
  guint            generation;
  char            *key;        /* filter_key () of the filter */
  GArray          *base;       /* in: the ids without the search, if known; out: them */
} Query;

/* What the filters other than the search are: while it stays the same, a new
 * search narrows the ids they found instead of querying again. */
static char *
filter_key (const SyHistoryFilter *filter)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%s|%s|%s|%s|%d|%.17g",
                          filter->from_us, filter->to_us,
                          filter->client ? filter->client : "\x01",
                          filter->provider ? filter->provider : "\x01",
                          filter->model ? filter->model : "\x01",
                          filter->profile ? filter->profile : "\x01",
                          (int) filter->status, filter->min_cost);
}

static void
query_free (Query *query)
{
  g_free (query->key);
  g_clear_pointer (&query->base, g_array_unref);
  g_free (query->path);
  g_free (query->search);
  g_free (query->client);
  g_free (query->provider);
  g_free (query->model);
  g_free (query->profile);
  g_free (query);
}

static Query *
query_new (SyHistoryModel *self,
           gint64          after_id)
{
  Query *query = g_new0 (Query, 1);

  query->path = g_strdup (self->path);
  query->filter = self->filter;
  query->filter.search = query->search = g_strdup (self->search);
  query->filter.client = query->client = g_strdup (self->client);
  query->filter.provider = query->provider = g_strdup (self->provider);
  query->filter.model = query->model = g_strdup (self->model);
  query->filter.profile = query->profile = g_strdup (self->profile);
  query->after_id = after_id;
  query->generation = self->generation;
  query->key = filter_key (&query->filter);
  if (after_id == 0 && self->base_ids != NULL && g_strcmp0 (self->base_key, query->key) == 0)
    query->base = g_array_ref (self->base_ids);
  return query;
}

static gint64
largest (GArray *ids)
{
  gint64 max = 0;

  for (guint i = 0; i < ids->len; i++)
    max = MAX (max, g_array_index (ids, gint64, i));
  return max;
}

static void
query_worker (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Query *query = task_data;
  GError *error = NULL;
  GArray *ids;

  if (query->after_id > 0)
    ids = sy_history_query_ids_after (query->path, &query->filter, query->after_id, &error);
  else
    {
      /* The other filters' ids once, then each search narrows them. */
      SyHistoryFilter without_search = query->filter;

      without_search.search = NULL;
      if (query->base == NULL)
        query->base = sy_history_query_ids (query->path, &without_search, cancellable, &error);
      else
        {
          /* Requests recorded since (by the router, another process, an
           * import) go on top, as refresh () puts them. */
          g_autoptr(GArray) newer = sy_history_query_ids_after (query->path, &without_search,
                                                                largest (query->base), &error);

          if (newer == NULL)
            g_clear_pointer (&query->base, g_array_unref);
          else if (newer->len > 0)
            {
              g_array_append_vals (newer, query->base->data, query->base->len);
              g_array_unref (query->base);
              query->base = g_steal_pointer (&newer);
            }
        }
      ids = query->base == NULL ? NULL
            : sy_history_search_within (query->path, query->filter.search, query->base, cancellable, &error);
    }
  if (ids == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, ids, (GDestroyNotify) g_array_unref);
}


static void
set_error (SyHistoryModel *self,
           const char     *message)
{
  if (g_strcmp0 (self->error, message) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
query_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(SyHistoryModel) self = data;
  Query *query = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_task_propagate_pointer (G_TASK (result), &error);
  guint old_n = self->ids->len;

  if (query->generation != self->generation || self->closed)
    return;   /* a newer filter is on its way, or the list is gone */

  if (query->after_id > 0)
    {
      self->refreshing = FALSE;
      if (ids == NULL || ids->len == 0)
        return;
      g_array_prepend_vals (self->ids, ids->data, ids->len);
      /* The other filters' ids lack the new requests: found again next time. */
      g_clear_pointer (&self->base_ids, g_array_unref);
      g_clear_pointer (&self->base_key, g_free);
      self->max_id = MAX (self->max_id, largest (ids));
      /* Cached items are found by id, so they stay valid; the pages being
       * read were asked for by position and will be asked for again. */
      self->last_position += ids->len;
      g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, ids->len);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      return;
    }

  g_clear_object (&self->query_cancellable);
  self->loading = FALSE;
  if (ids == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_error (self, error->message);
      ids = g_array_new (FALSE, FALSE, sizeof (gint64));
    }
  else
    set_error (self, NULL);

  g_array_unref (self->ids);
  self->ids = g_steal_pointer (&ids);
  g_clear_pointer (&self->base_ids, g_array_unref);
  g_clear_pointer (&self->base_key, g_free);
  if (query->base != NULL && self->error == NULL)
    {
      self->base_ids = g_array_ref (query->base);
      self->base_key = g_strdup (query->key);
    }
  self->max_id = largest (self->ids);
  g_hash_table_remove_all (self->items);
  g_hash_table_remove_all (self->positions);
  g_hash_table_remove_all (self->pending);
  g_array_set_size (self->wanted, 0);
  self->last_position = 0;

  g_object_freeze_notify (G_OBJECT (self));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->ids->len);
  if (old_n != self->ids->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_thaw_notify (G_OBJECT (self));
}

/* g_set_str () is GLib 2.76. */
static void
replace_str (char       **slot,
             const char  *value)
{
  char *copy = g_strdup (value);

  g_free (*slot);
  *slot = copy;
}

void
sy_history_model_set_filter (SyHistoryModel        *self,
                             const SyHistoryFilter *filter)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SY_IS_HISTORY_MODEL (self));
  g_return_if_fail (filter != NULL);

  replace_str (&self->search, filter->search);
  replace_str (&self->client, filter->client);
  replace_str (&self->provider, filter->provider);
  replace_str (&self->model, filter->model);
  replace_str (&self->profile, filter->profile);
  self->filter = *filter;
  self->filter.search = self->search;
  self->filter.client = self->client;
  self->filter.provider = self->provider;
  self->filter.model = self->model;
  self->filter.profile = self->profile;

  self->generation++;
  self->refreshing = FALSE;
  g_cancellable_cancel (self->query_cancellable);
  g_clear_object (&self->query_cancellable);
  self->query_cancellable = g_cancellable_new ();

  if (!self->loading)
    {
      self->loading = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
  task = g_task_new (NULL, self->query_cancellable, query_done, g_object_ref (self));
  g_task_set_task_data (task, query_new (self, 0), (GDestroyNotify) query_free);
  g_task_run_in_thread (task, query_worker);
}

void
sy_history_model_refresh (SyHistoryModel *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SY_IS_HISTORY_MODEL (self));

  /* A query in progress will see the new requests anyway. */
  if (self->loading || self->refreshing)
    return;
  if (self->max_id == 0)
    {
      sy_history_model_set_filter (self, &self->filter);
      return;
    }
  self->refreshing = TRUE;
  task = g_task_new (NULL, NULL, query_done, g_object_ref (self));
  g_task_set_task_data (task, query_new (self, self->max_id), (GDestroyNotify) query_free);
  g_task_run_in_thread (task, query_worker);
}

/* ------------------------------------------------------------------- pages */

typedef struct {
  char   *path;
  GArray *ids;
  guint   generation;
} PageRead;

static void
page_read_free (PageRead *read)
{
  g_free (read->path);
  g_array_unref (read->ids);
  g_free (read);
}

static void
page_worker (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  PageRead *read = task_data;
  GError *error = NULL;
  GPtrArray *records = sy_history_read_ids (read->path, (const gint64 *) (gpointer) read->ids->data,
                                            read->ids->len, &error);

  if (records == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, records, (GDestroyNotify) g_ptr_array_unref);
}

/* Drops the items farthest from where the list is read, once there are too
 * many. Items the list still shows stay alive with the list's references. */
static void
evict (SyHistoryModel *self)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (self->items) <= MAX_CACHED)
    return;
  g_hash_table_iter_init (&iter, self->positions);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint position = GPOINTER_TO_UINT (value);
      guint distance = position > self->last_position ? position - self->last_position
                                                      : self->last_position - position;

      if (distance > MAX_CACHED / 4)
        {
          g_hash_table_remove (self->items, key);
          g_hash_table_iter_remove (&iter);
        }
    }
}

static void
page_done (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(SyHistoryModel) self = data;
  PageRead *read = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = g_task_propagate_pointer (G_TASK (result), &error);

  self->reading = FALSE;
  if (self->closed)
    return;
  if (read->generation == self->generation)
    {
      if (records == NULL)
        g_warning ("Could not read history: %s", error->message);
      else
        {
          /* One record per id asked for, NULL for one deleted meanwhile. */
          for (guint i = 0; i < records->len && i < read->ids->len; i++)
            {
              gint64 id = g_array_index (read->ids, gint64, i);
              SyActivityItem *item = g_hash_table_lookup (self->items, &id);
              SyHistoryRecord *record = g_ptr_array_index (records, i);

              if (record == NULL)
                continue;
              self->rows_read++;
              if (item != NULL && sy_activity_item_is_placeholder (item))
                sy_activity_item_update (item, g_steal_pointer (&g_ptr_array_index (records, i)));
            }
        }
      evict (self);
    }
  read_next_page (self);
}

static void
read_next_page (SyHistoryModel *self)
{
  g_autoptr(GTask) task = NULL;
  PageRead *read;
  guint page;
  guint start, end;

  while (!self->reading && self->wanted->len > 0)
    {
      page = g_array_index (self->wanted, guint, self->wanted->len - 1);
      g_array_set_size (self->wanted, self->wanted->len - 1);
      g_hash_table_remove (self->pending, GUINT_TO_POINTER (page + 1));

      start = page * SY_HISTORY_MODEL_PAGE;
      end = MIN (start + SY_HISTORY_MODEL_PAGE, self->ids->len);
      if (start >= end)
        continue;
      /* Scrolled past long ago: read again if it is shown again. */
      if ((start > self->last_position && start - self->last_position > MAX_CACHED / 4) ||
          (end < self->last_position && self->last_position - end > MAX_CACHED / 4))
        continue;

      read = g_new0 (PageRead, 1);
      read->path = g_strdup (self->path);
      read->generation = self->generation;
      read->ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), end - start);
      for (guint position = start; position < end; position++)
        {
          gint64 id = g_array_index (self->ids, gint64, position);
          SyActivityItem *item = g_hash_table_lookup (self->items, &id);

          if (item == NULL)
            {
              item = sy_activity_item_new_placeholder ();
              g_hash_table_insert (self->items, g_memdup2 (&id, sizeof id), item);
              g_hash_table_insert (self->positions, g_memdup2 (&id, sizeof id), GUINT_TO_POINTER (position));
            }
          if (!sy_activity_item_is_placeholder (item))
            continue;
          g_array_append_val (read->ids, id);
        }
      if (read->ids->len == 0)
        {
          page_read_free (read);
          continue;
        }

      self->reading = TRUE;
      task = g_task_new (NULL, NULL, page_done, g_object_ref (self));
      g_task_set_task_data (task, read, (GDestroyNotify) page_read_free);
      g_task_run_in_thread (task, page_worker);
    }
}

static void
want_page (SyHistoryModel *self,
           guint           page)
{
  /* Keys are page + 1: a hash table of pointers cannot hold 0. */
  if (g_hash_table_contains (self->pending, GUINT_TO_POINTER (page + 1)))
    return;
  g_hash_table_add (self->pending, GUINT_TO_POINTER (page + 1));
  g_array_append_val (self->wanted, page);
  read_next_page (self);
}

/* --------------------------------------------------------------- the list */

static GType
sy_history_model_get_item_type (GListModel *list)
{
  return SY_TYPE_ACTIVITY_ITEM;
}

static guint
sy_history_model_get_n_items (GListModel *list)
{
  return SY_HISTORY_MODEL (list)->ids->len;
}

static gpointer
sy_history_model_get_item (GListModel *list,
                           guint       position)
{
  SyHistoryModel *self = SY_HISTORY_MODEL (list);
  SyActivityItem *item;
  gint64 id;

  if (position >= self->ids->len)
    return NULL;
  id = g_array_index (self->ids, gint64, position);
  self->last_position = position;
  item = g_hash_table_lookup (self->items, &id);
  if (item == NULL)
    {
      item = sy_activity_item_new_placeholder ();
      g_hash_table_insert (self->items, g_memdup2 (&id, sizeof id), item);
      g_hash_table_insert (self->positions, g_memdup2 (&id, sizeof id), GUINT_TO_POINTER (position));
    }
  if (sy_activity_item_is_placeholder (item))
    want_page (self, position / SY_HISTORY_MODEL_PAGE);
  return g_object_ref (item);
}

static void
sy_history_model_list_init (GListModelInterface *iface)
{
  iface->get_item_type = sy_history_model_get_item_type;
  iface->get_n_items = sy_history_model_get_n_items;
  iface->get_item = sy_history_model_get_item;
}

/* ----------------------------------------------------------------- object */

static void
sy_history_model_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SyHistoryModel *self = SY_HISTORY_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->ids->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_history_model_dispose (GObject *object)
{
  SyHistoryModel *self = SY_HISTORY_MODEL (object);

  sy_history_model_close (self);

  G_OBJECT_CLASS (sy_history_model_parent_class)->dispose (object);
}

static void
sy_history_model_finalize (GObject *object)
{
  SyHistoryModel *self = SY_HISTORY_MODEL (object);

  g_clear_pointer (&self->ids, g_array_unref);
  g_clear_pointer (&self->base_ids, g_array_unref);
  g_free (self->base_key);
  g_clear_pointer (&self->items, g_hash_table_unref);
  g_clear_pointer (&self->positions, g_hash_table_unref);
  g_clear_pointer (&self->wanted, g_array_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_free (self->path);
  g_free (self->search);
  g_free (self->client);
  g_free (self->provider);
  g_free (self->model);
  g_free (self->profile);
  g_free (self->error);

  G_OBJECT_CLASS (sy_history_model_parent_class)->finalize (object);
}

static void
sy_history_model_class_init (SyHistoryModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sy_history_model_get_property;
  object_class->dispose = sy_history_model_dispose;
  object_class->finalize = sy_history_model_finalize;

  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                                                   G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                   G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sy_history_model_init (SyHistoryModel *self)
{
  sy_history_filter_init (&self->filter);
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->items = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);
  self->positions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->wanted = g_array_new (FALSE, FALSE, sizeof (guint));
  self->pending = g_hash_table_new (NULL, NULL);
}

void
sy_history_model_close (SyHistoryModel *self)
{
  g_return_if_fail (SY_IS_HISTORY_MODEL (self));

  self->closed = TRUE;
  g_cancellable_cancel (self->query_cancellable);
  g_clear_object (&self->query_cancellable);
}

SyHistoryModel *
sy_history_model_new (const char *history_path)
{
  SyHistoryModel *self;

  g_return_val_if_fail (history_path != NULL, NULL);

  self = g_object_new (SY_TYPE_HISTORY_MODEL, NULL);
  self->path = g_strdup (history_path);
  return self;
}

const char *
sy_history_model_get_path (SyHistoryModel *self)
{
  g_return_val_if_fail (SY_IS_HISTORY_MODEL (self), NULL);
  return self->path;
}

gboolean
sy_history_model_get_loading (SyHistoryModel *self)
{
  g_return_val_if_fail (SY_IS_HISTORY_MODEL (self), FALSE);
  return self->loading;
}

const char *
sy_history_model_get_error (SyHistoryModel *self)
{
  g_return_val_if_fail (SY_IS_HISTORY_MODEL (self), NULL);
  return self->error;
}

guint
sy_history_model_get_rows_read (SyHistoryModel *self)
{
  g_return_val_if_fail (SY_IS_HISTORY_MODEL (self), 0);
  return self->rows_read;
}
