/* sy-history-browse.c — the History page's queries: filters, search over
 * prompt text, pages of requests by id, bodies of one request.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-history"

#include "config.h"

#include <string.h>

#include "sy-history-private.h"

/* Words this long or longer are looked for as prefixes. */
#define PREFIX_CHARS 3

/* Ids bound per statement when reading a page. */
#define READ_IDS_CHUNK 256

void
sy_history_filter_init (SyHistoryFilter *filter)
{
  g_return_if_fail (filter != NULL);

  memset (filter, 0, sizeof *filter);
  filter->to_us = G_MAXINT64;
  filter->status = SY_HISTORY_STATUS_ANY;
  filter->min_cost = -1;
}

/* An FTS5 query from what a person typed: every word must occur, each as a
 * prefix when it has PREFIX_CHARS characters or more (the index keeps their
 * prefixes of that length: schema 4); quotes and operators are taken
 * literally. NULL when nothing is left. */
static char *
build_match (const char *search)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(GString) match = g_string_new (NULL);

  if (search == NULL)
    return NULL;
  words = g_strsplit_set (search, " \t\r\n", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      if (words[i][0] == '\0')
        continue;
      if (match->len > 0)
        g_string_append_c (match, ' ');
      g_string_append_c (match, '"');
      for (const char *p = words[i]; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (match, '"');
          g_string_append_c (match, *p);
        }
      /* A word of one or two letters would be the start of most words
       * (and slow to look up): it is looked for whole. */
      g_string_append (match, g_utf8_strlen (words[i], -1) >= PREFIX_CHARS ? "\"*" : "\"");
    }
  if (match->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&match), FALSE);
}

static gboolean
split_model (const char  *model,
             char       **out_provider,
             const char **out_model)
{
  const char *slash = model != NULL ? strchr (model, '/') : NULL;

  if (slash == NULL)
    return FALSE;
  *out_provider = g_strndup (model, slash - model);
  *out_model = slash + 1;
  return TRUE;
}

static int
interrupt_when_cancelled (void *data)
{
  return g_cancellable_is_cancelled (data) ? 1 : 0;
}

static void
bind_named_text (sqlite3_stmt *stmt,
                 const char   *name,
                 const char   *value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
}

static void
bind_named_int64 (sqlite3_stmt *stmt,
                  const char   *name,
                  gint64        value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_int64 (stmt, index, value);
}

/* Opens @path for reading: TRUE with *@out_db NULL when there is no history
 * yet. A @search needs the index of schema 4. */
static gboolean
open_browse (const char  *path,
             gboolean     search,
             sqlite3    **out_db,
             GError     **error)
{
  g_autoptr(sqlite3) db = NULL;
  gint64 version = 0;

  *out_db = NULL;
  if (!sy_history_open_read_only (path, &db, error))
    return FALSE;
  if (db == NULL)
    return TRUE;
  if (!sy_history_get_version (db, path, &version, error))
    return FALSE;
  if (search && version < 4)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "This history has no search index yet: start Switchyard once to add it");
      return FALSE;
    }
  *out_db = g_steal_pointer (&db);
  return TRUE;
}

static GArray *
query_ids (const char             *path,
           const SyHistoryFilter  *filter,
           gint64                  after_id,
           GCancellable           *cancellable,
           GError                **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GString) sql = NULL;
  g_autofree char *match = NULL;
  g_autofree char *provider_of_model = NULL;
  const char *model = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (filter != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  match = build_match (filter->search);
  if (!open_browse (path, match != NULL, &db, error))
    return NULL;
  if (db == NULL)
    return g_steal_pointer (&ids);

  sql = g_string_new ("SELECT r.id FROM requests r WHERE r.started_at >= :from AND r.started_at < :to");
  if (filter->client != NULL)
    g_string_append (sql, " AND r.client = :client");
  if (filter->provider != NULL)
    g_string_append (sql, " AND r.provider = :provider");
  if (filter->model != NULL)
    {
      if (split_model (filter->model, &provider_of_model, &model))
        g_string_append (sql, " AND r.provider = :model_provider AND r.model = :model");
      else
        g_string_append (sql, " AND r.model = :model");
    }
  if (filter->profile != NULL)
    g_string_append (sql, " AND r.profile = :profile");
  switch (filter->status)
    {
    case SY_HISTORY_STATUS_SUCCEEDED:
      g_string_append (sql, " AND r.status BETWEEN 200 AND 299");
      break;
    case SY_HISTORY_STATUS_FAILED:
      g_string_append (sql, " AND r.status NOT BETWEEN 200 AND 299 AND r.status <> 499");
      break;
    case SY_HISTORY_STATUS_CANCELLED:
      g_string_append (sql, " AND r.status = 499");
      break;
    case SY_HISTORY_STATUS_ANY:
    default:
      break;
    }
  if (filter->min_cost >= 0)
    g_string_append (sql, " AND r.cost > :min_cost");
  if (match != NULL)
    g_string_append (sql, " AND r.id IN (SELECT rowid FROM prompts WHERE prompts MATCH :match)");
  if (after_id > 0)
    g_string_append (sql, " AND r.id > :after");
  g_string_append (sql, " ORDER BY r.started_at DESC, r.id DESC");

  rc = sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return NULL;
    }
  bind_named_int64 (stmt, ":from", filter->from_us);
  bind_named_int64 (stmt, ":to", filter->to_us);
  bind_named_text (stmt, ":client", filter->client);
  bind_named_text (stmt, ":provider", filter->provider);
  bind_named_text (stmt, ":model_provider", provider_of_model);
  bind_named_text (stmt, ":model", model != NULL ? model : filter->model);
  bind_named_text (stmt, ":profile", filter->profile);
  bind_named_text (stmt, ":match", match);
  bind_named_int64 (stmt, ":after", after_id);
  if (filter->min_cost >= 0)
    sqlite3_bind_double (stmt, sqlite3_bind_parameter_index (stmt, ":min_cost"), filter->min_cost);

  if (cancellable != NULL)
    sqlite3_progress_handler (db, 10000, interrupt_when_cancelled, cancellable);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (ids, id);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return NULL;
    }
  return g_steal_pointer (&ids);
}

GArray *
sy_history_query_ids (const char             *path,
                      const SyHistoryFilter  *filter,
                      GCancellable           *cancellable,
                      GError                **error)
{
  SyHistoryFilter without_search;
  g_autoptr(GArray) base = NULL;
  g_autofree char *match = NULL;

  g_return_val_if_fail (filter != NULL, NULL);

  /* With many matches, joining the index to the table costs a lookup a match
   * and a sort (a common word: 300 ms over a million requests); the ids of
   * the other filters, in order from their index, narrowed by the matches
   * read in the index's own order, cost about the same whatever the search. */
  match = build_match (filter->search);
  if (match == NULL)
    return query_ids (path, filter, 0, cancellable, error);
  without_search = *filter;
  without_search.search = NULL;
  base = query_ids (path, &without_search, 0, cancellable, error);
  if (base == NULL)
    return NULL;
  return sy_history_search_within (path, filter->search, base, cancellable, error);
}

GArray *
sy_history_query_ids_after (const char             *path,
                            const SyHistoryFilter  *filter,
                            gint64                  after_id,
                            GError                **error)
{
  return query_ids (path, filter, MAX (after_id, 0), NULL, error);
}

GArray *
sy_history_search_within (const char    *path,
                          const char    *search,
                          GArray        *base,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GArray) ids = NULL;
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *match = NULL;
  g_autofree guint8 *found = NULL;
  gint64 max_id = 0;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (base != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  match = build_match (search);
  ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), match == NULL ? base->len : 0);
  if (match == NULL)
    {
      g_array_append_vals (ids, base->data, base->len);
      return g_steal_pointer (&ids);
    }
  for (guint i = 0; i < base->len; i++)
    max_id = MAX (max_id, g_array_index (base, gint64, i));
  if (max_id == 0)
    return g_steal_pointer (&ids);

  if (!open_browse (path, TRUE, &db, error))
    return NULL;
  if (db == NULL)
    return g_steal_pointer (&ids);

  /* The index answers in rowid order, fast; the order of @base (newest
   * first) is kept by marking the matches in a bitmap and walking @base. */
  found = g_malloc0 ((gsize) (max_id / 8 + 1));
  rc = sqlite3_prepare_v2 (db, "SELECT rowid FROM prompts WHERE prompts MATCH ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
      if (cancellable != NULL)
        sqlite3_progress_handler (db, 10000, interrupt_when_cancelled, cancellable);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);

          if (id > 0 && id <= max_id)
            found[id / 8] |= (guint8) (1u << (id % 8));
        }
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return NULL;
    }
  for (guint i = 0; i < base->len; i++)
    {
      gint64 id = g_array_index (base, gint64, i);

      if (id > 0 && (found[id / 8] & (1u << (id % 8))) != 0)
        g_array_append_val (ids, id);
    }
  return g_steal_pointer (&ids);
}

GPtrArray *
sy_history_read_ids (const char    *path,
                     const gint64  *ids,
                     guint          n_ids,
                     GError       **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_history_record_free);
  g_autoptr(GHashTable) by_id = NULL;
  g_autoptr(sqlite3) db = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (n_ids == 0)
    return g_steal_pointer (&records);
  db = sy_history_open_reader (path, error);
  if (db == NULL)
    return NULL;

  by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                 (GDestroyNotify) sy_history_record_free);
  for (guint start = 0; start < n_ids; start += READ_IDS_CHUNK)
    {
      guint n = MIN (READ_IDS_CHUNK, n_ids - start);
      g_autoptr(GString) sql = g_string_new ("SELECT " SY_HISTORY_RECORD_COLUMNS ", r.id"
                                             " FROM requests r WHERE r.id IN (");
      g_autoptr(sqlite3_stmt) stmt = NULL;
      int rc;

      for (guint i = 0; i < n; i++)
        g_string_append (sql, i == 0 ? "?" : ",?");
      g_string_append_c (sql, ')');
      rc = sqlite3_prepare_v2 (db, sql->str, -1, &stmt, NULL);
      if (rc != SQLITE_OK)
        {
          sy_history_set_sqlite_error (error, db, rc, path);
          return NULL;
        }
      for (guint i = 0; i < n; i++)
        sqlite3_bind_int64 (stmt, (int) i + 1, ids[start + i]);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_hash_table_insert (by_id, g_memdup2 ((gint64[]) { sqlite3_column_int64 (stmt, 26) }, sizeof (gint64)),
                             sy_history_read_record (stmt, FALSE));
      if (rc != SQLITE_DONE)
        {
          sy_history_set_sqlite_error (error, db, rc, path);
          return NULL;
        }
    }

  for (guint i = 0; i < n_ids; i++)
    {
      gpointer key = NULL, record = NULL;

      if (g_hash_table_steal_extended (by_id, &ids[i], &key, &record))
        g_free (key);
      g_ptr_array_add (records, record);
    }
  return g_steal_pointer (&records);
}

gboolean
sy_history_read_bodies (const char  *path,
                        const char  *request_id,
                        char       **out_request,
                        char       **out_response,
                        GError     **error)
{
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (path != NULL && request_id != NULL, FALSE);
  g_return_val_if_fail (out_request != NULL && out_response != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out_request = NULL;
  *out_response = NULL;
  db = sy_history_open_reader (path, error);
  if (db == NULL)
    return FALSE;
  rc = sqlite3_prepare_v2 (db,
                           "SELECT b.request, b.response FROM requests r"
                           " JOIN bodies b ON b.request_id = r.id WHERE r.request_id = ?1",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, request_id, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  if (rc == SQLITE_ROW)
    {
      *out_request = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *out_response = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      return TRUE;
    }
  if (rc == SQLITE_DONE)
    return TRUE;
  sy_history_set_sqlite_error (error, db, rc, path);
  return FALSE;
}

GStrv
sy_history_distinct (const char  *path,
                     const char  *column,
                     GError     **error)
{
  static const struct {
    const char *column;
    const char *sql;
  } queries[] = {
    { "client", "SELECT DISTINCT client FROM requests WHERE client IS NOT NULL ORDER BY 1" },
    { "provider", "SELECT DISTINCT provider FROM requests WHERE provider IS NOT NULL ORDER BY 1" },
    { "model", "SELECT DISTINCT provider || '/' || model FROM requests"
               " WHERE provider IS NOT NULL AND model IS NOT NULL ORDER BY 1" },
    { "profile", "SELECT DISTINCT profile FROM requests WHERE profile IS NOT NULL ORDER BY 1" },
  };
  g_autoptr(GStrvBuilder) values = g_strv_builder_new ();
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  const char *sql = NULL;
  int rc;

  g_return_val_if_fail (path != NULL && column != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    if (g_str_equal (column, queries[i].column))
      sql = queries[i].sql;
  g_return_val_if_fail (sql != NULL, NULL);

  if (!sy_history_open_read_only (path, &db, error))
    return NULL;
  if (db == NULL)
    return g_strv_builder_end (values);
  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_strv_builder_add (values, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return NULL;
    }
  return g_strv_builder_end (values);
}
