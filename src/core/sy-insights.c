/* sy-insights.c — the Dashboard's aggregates over the request history, and its export and import.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-insights"

#include "sy-insights.h"
#include "sy-history-private.h"
#include "sy-json.h"

#include <math.h>
#include <string.h>
#include <sqlite3.h>

#define BUSY_TIMEOUT_MS    5000
#define BEGIN_ATTEMPTS     3
#define IMPORT_BATCH_ROWS  500
#define EXPORT_FLUSH_BYTES (64 * 1024)
/* Year 9999 ends here: GDateTime's limit, and far past any real request. */
#define MAX_STARTED_AT_US  G_GINT64_CONSTANT (253402300799999999)


/* Most aggregates walk the distinct (provider, model) pairs with a loose scan
 * of requests_provider_model, then read each pair's rows in the range from the
 * covering index requests_insights (provider, model, started_at, then every
 * number they need). SQLite's GROUP BY sorts its input rows, which costs more
 * than the scan itself; per pair, the rows arrive already grouped. */
static const char first_provider_sql[] =
  "SELECT min (provider) FROM requests";
static const char next_provider_sql[] =
  "SELECT min (provider) FROM requests WHERE provider > ?1";
static const char has_null_provider_sql[] =
  "SELECT 1 FROM requests WHERE provider IS NULL LIMIT 1";
static const char first_model_sql[] =
  "SELECT min (model) FROM requests WHERE provider IS ?1";
static const char next_model_sql[] =
  "SELECT min (model) FROM requests WHERE provider IS ?1 AND model > ?2";
static const char has_null_model_sql[] =
  "SELECT 1 FROM requests WHERE provider IS ?1 AND model IS NULL LIMIT 1";

#define PAIR_RANGE "provider IS ?1 AND model IS ?2 AND started_at >= ?3 AND started_at < ?4"

static const char first_in_range_sql[] =
  "SELECT started_at FROM requests WHERE started_at >= ?1 AND started_at < ?2"
  " ORDER BY started_at LIMIT 1";
static const char last_in_range_sql[] =
  "SELECT started_at FROM requests WHERE started_at >= ?1 AND started_at < ?2"
  " ORDER BY started_at DESC LIMIT 1";

/* Day or hour buckets live in a temporary table whose rowid is their order, so
 * a join grouped by it streams without a sort. */
static const char create_buckets_sql[] =
  "CREATE TEMP TABLE IF NOT EXISTS insights_buckets ("
  "  id INTEGER PRIMARY KEY, start INTEGER NOT NULL, stop INTEGER NOT NULL);"
  "DELETE FROM temp.insights_buckets";
static const char insert_bucket_sql[] =
  "INSERT INTO temp.insights_buckets (id, start, stop) VALUES (?1, ?2, ?3)";

static const char pair_spend_sql[] =
  "SELECT b.id, total (r.cost), count (*), count (r.cost),"
  "       ifnull (sum (r.prompt_tokens), 0), ifnull (sum (r.completion_tokens), 0)"
  "  FROM temp.insights_buckets AS b CROSS JOIN requests AS r"
  " WHERE r.provider IS ?1 AND r.model IS ?2"
  "   AND r.started_at >= b.start AND r.started_at < b.stop"
  " GROUP BY b.id";
/* Clients and profiles have no index: these sort, and read the table. */
static const char client_spend_sql[] =
  "SELECT b.id, r.client, total (r.cost), count (*), count (r.cost),"
  "       ifnull (sum (r.prompt_tokens), 0), ifnull (sum (r.completion_tokens), 0)"
  "  FROM temp.insights_buckets AS b CROSS JOIN requests AS r"
  " WHERE r.started_at >= b.start AND r.started_at < b.stop"
  " GROUP BY b.id, r.client";
static const char profile_spend_sql[] =
  "SELECT b.id, r.profile, total (r.cost), count (*), count (r.cost),"
  "       ifnull (sum (r.prompt_tokens), 0), ifnull (sum (r.completion_tokens), 0)"
  "  FROM temp.insights_buckets AS b CROSS JOIN requests AS r"
  " WHERE r.started_at >= b.start AND r.started_at < b.stop"
  " GROUP BY b.id, r.profile";

/* Per local day, split at the ends of the range: today, this week and this
 * month are sums of whole buckets, and so is the range. */
static const char pair_totals_sql[] =
  "SELECT b.id, count (*), count (r.cost), total (r.cost),"
  "       ifnull (sum (ifnull (r.prompt_tokens, 0) + ifnull (r.completion_tokens, 0))"
  "               FILTER (WHERE r.cost IS NOT NULL), 0),"
  "       ifnull (sum (r.cached_tokens), 0)"
  "  FROM temp.insights_buckets AS b CROSS JOIN requests AS r"
  " WHERE r.provider IS ?1 AND r.model IS ?2"
  "   AND r.started_at >= b.start AND r.started_at < b.stop"
  " GROUP BY b.id";

/* The values come off the covering index in time order; nearest ranks are
 * then picked in C. Sorting in SQL (ORDER BY, or ROW_NUMBER () OVER a
 * partition) costs SQLite 3.40 about half a microsecond a row and value, ten
 * times the scan: 160 ms for a month of a million-row year. */
static const char pair_latency_sql[] =
  "SELECT total_ms, ttft_ms, tokens_per_s"
  "  FROM requests WHERE " PAIR_RANGE " AND status = 200";

static const char pair_errors_sql[] =
  "SELECT count (*),"
  "       count (*) FILTER (WHERE ifnull (status, 0) NOT BETWEEN 200 AND 299"
  "                           AND ifnull (status, 0) <> 499)"
  "  FROM requests WHERE " PAIR_RANGE;

static const char hour_counts_sql[] =
  "SELECT b.id, count (r.started_at)"
  "  FROM temp.insights_buckets AS b"
  "  LEFT JOIN requests AS r ON r.started_at >= b.start AND r.started_at < b.stop"
  " GROUP BY b.id";

/* ------------------------------------------------------------------ helpers */

void
sy_spend_row_free (SySpendRow *row)
{
  if (row == NULL)
    return;
  g_free (row->day);
  g_free (row->group);
  g_free (row);
}

void
sy_latency_row_free (SyLatencyRow *row)
{
  if (row == NULL)
    return;
  g_free (row->model);
  g_free (row);
}

void
sy_error_row_free (SyErrorRow *row)
{
  if (row == NULL)
    return;
  g_free (row->provider);
  g_free (row);
}

static void
model_cost_free (SyModelCost *cost)
{
  if (cost == NULL)
    return;
  g_free (cost->model);
  g_free (cost);
}

void
sy_insights_totals_free (SyInsightsTotals *totals)
{
  if (totals == NULL)
    return;
  model_cost_free (totals->cheapest);
  model_cost_free (totals->most_expensive);
  g_free (totals);
}

void
sy_import_result_free (SyImportResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->notes, g_ptr_array_unref);
  g_free (result);
}

/* NULL sorts last. */
static int
compare_nullable (const char *a,
                  const char *b)
{
  if (a == NULL || b == NULL)
    return (a == NULL) - (b == NULL);
  return strcmp (a, b);
}

static char *
model_name (const char *provider,
            const char *model)
{
  if (provider == NULL || model == NULL)
    return NULL;
  return g_strconcat (provider, "/", model, NULL);
}

static gboolean
fail_sqlite (GError     **error,
             sqlite3     *db,
             int          rc,
             const char  *path)
{
  sy_history_set_sqlite_error (error, db, rc, path);
  return FALSE;
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         const char  *path,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      fail_sqlite (error, db, rc, path);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* A read-only connection, or TRUE with *@out_db NULL when there is no history. */
static gboolean
open_reader (const char  *path,
             sqlite3    **out_db,
             GError     **error)
{
  if (!sy_history_open_read_only (path, out_db, error))
    return FALSE;
  /* The bucket table is small; keep it off the disk. */
  if (*out_db != NULL)
    sqlite3_exec (*out_db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
  return TRUE;
}

static gboolean
fail_time (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "A time is outside the years 1970 to 9999");
  return FALSE;
}

static gboolean
check_time (gint64       t_us,
            GError     **error)
{
  return (t_us >= 0 && t_us <= MAX_STARTED_AT_US) || fail_time (error);
}

static GDateTime *
local_time (GTimeZone *tz,
            gint64     t_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t_us / G_USEC_PER_SEC);

  return utc != NULL ? g_date_time_to_timezone (utc, tz) : NULL;
}

/* Local midnight of the day containing @t_us (0 <= @t_us <= MAX_STARTED_AT_US),
 * or of the 1st of its month. Where midnight falls in a DST gap, GLib moves it
 * to the first existing time, which is still the first instant of that day. */
static gint64
local_day_start (GTimeZone *tz,
                 gint64     t_us,
                 gboolean   month)
{
  g_autoptr(GDateTime) local = local_time (tz, t_us);
  g_autoptr(GDateTime) start = NULL;

  if (local == NULL)
    return -1;
  start = g_date_time_new (tz, g_date_time_get_year (local), g_date_time_get_month (local),
                           month ? 1 : g_date_time_get_day_of_month (local), 0, 0, 0);
  return start != NULL ? g_date_time_to_unix (start) * G_USEC_PER_SEC : -1;
}

/* Each day ends where the next starts; 26 hours past midnight is always inside
 * the next day (days are 23 to 25 hours), and 32 days past the 1st inside the
 * next month. */
static gint64
next_local_day (GTimeZone *tz,
                gint64     t_us,
                gboolean   month)
{
  gint64 start = local_day_start (tz, t_us, month);

  if (start < 0)
    return -1;
  return local_day_start (tz, start + (month ? 32 * G_TIME_SPAN_DAY : 26 * G_TIME_SPAN_HOUR),
                          month);
}

/* Subtracting the local minutes and seconds, rather than building hh:00 in
 * @tz, keeps the two 02:00s of a night when clocks go back apart. */
static gint64
local_hour_start (GTimeZone *tz,
                  gint64     t_us)
{
  g_autoptr(GDateTime) local = local_time (tz, t_us);

  if (local == NULL)
    return -1;
  return (t_us / G_USEC_PER_SEC - g_date_time_get_minute (local) * 60
          - g_date_time_get_second (local)) * G_USEC_PER_SEC;
}

static gint64
next_local_hour (GTimeZone *tz,
                 gint64     t_us)
{
  gint64 start = local_hour_start (tz, t_us);
  gint64 next;

  if (start < 0)
    return -1;
  next = local_hour_start (tz, start + G_TIME_SPAN_HOUR);
  /* A zone shifting by half an hour can put the next "hour start" behind us. */
  return next > t_us ? next : start + G_TIME_SPAN_HOUR;
}

typedef struct {
  gint64 start;
  gint64 stop;
  int    hour;       /* hours: the local hour of start */
  char   day[16];    /* days: the local date of start */
} Bucket;

/* Local days or hours covering the requests in [@from_us, @to_us): from the
 * start of the first request's day or hour (not before @from_us) to the last
 * request, also split at the @n_cuts instants @cuts. Loads them into
 * temp.insights_buckets. Returns FALSE with @error set, or TRUE with no
 * buckets when the range holds no request. */
static gboolean
make_buckets (sqlite3       *db,
              const char    *path,
              GTimeZone     *tz,
              gint64         from_us,
              gint64         to_us,
              gboolean       hours,
              const gint64  *cuts,
              guint          n_cuts,
              GArray        *buckets,
              GError       **error)
{
  g_autoptr(sqlite3_stmt) first = NULL;
  g_autoptr(sqlite3_stmt) last = NULL;
  g_autoptr(sqlite3_stmt) insert = NULL;
  gint64 first_us;
  gint64 last_us;
  gint64 start;
  int rc;

  first = prepare (db, first_in_range_sql, path, error);
  if (first == NULL)
    return FALSE;
  last = prepare (db, last_in_range_sql, path, error);
  if (last == NULL)
    return FALSE;
  sqlite3_bind_int64 (first, 1, from_us);
  sqlite3_bind_int64 (first, 2, to_us);
  sqlite3_bind_int64 (last, 1, from_us);
  sqlite3_bind_int64 (last, 2, to_us);

  rc = sqlite3_step (first);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return fail_sqlite (error, db, rc, path);
  first_us = sqlite3_column_int64 (first, 0);
  rc = sqlite3_step (last);
  if (rc != SQLITE_ROW)
    return fail_sqlite (error, db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, path);
  last_us = sqlite3_column_int64 (last, 0);
  if (!check_time (first_us, error) || !check_time (last_us, error))
    return FALSE;

  start = MAX (from_us, hours ? local_hour_start (tz, first_us)
                              : local_day_start (tz, first_us, FALSE));
  while (start <= last_us)
    {
      g_autoptr(GDateTime) local = local_time (tz, start);
      gint64 next = hours ? next_local_hour (tz, start) : next_local_day (tz, start, FALSE);
      Bucket bucket = { start, 0, 0, "" };

      if (local == NULL || next <= start)
        return fail_time (error);
      for (guint i = 0; i < n_cuts; i++)
        if (cuts[i] > start && cuts[i] < next)
          next = cuts[i];
      bucket.stop = MIN (next, to_us);
      bucket.hour = g_date_time_get_hour (local);
      if (!hours)
        {
          g_autofree char *day = g_date_time_format (local, "%Y-%m-%d");

          g_strlcpy (bucket.day, day, sizeof bucket.day);
        }
      g_array_append_val (buckets, bucket);
      start = next;
    }

  rc = sqlite3_exec (db, create_buckets_sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return fail_sqlite (error, db, rc, path);
  insert = prepare (db, insert_bucket_sql, path, error);
  if (insert == NULL)
    return FALSE;
  /* One transaction for all the inserts; it writes to the temp schema only. */
  rc = sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  for (guint i = 0; rc == SQLITE_OK && i < buckets->len; i++)
    {
      const Bucket *bucket = &g_array_index (buckets, Bucket, i);

      sqlite3_bind_int64 (insert, 1, i);
      sqlite3_bind_int64 (insert, 2, bucket->start);
      sqlite3_bind_int64 (insert, 3, bucket->stop);
      rc = sqlite3_step (insert);
      sqlite3_reset (insert);
      if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    }
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      fail_sqlite (error, db, rc, path);
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  char *provider;   /* either may be NULL */
  char *model;
} Pair;

static void
pair_free (gpointer data)
{
  Pair *pair = data;

  g_free (pair->provider);
  g_free (pair->model);
  g_free (pair);
}

static void
add_pair (GPtrArray  *pairs,
          const char *provider,
          const char *model)
{
  Pair *pair = g_new0 (Pair, 1);

  pair->provider = g_strdup (provider);
  pair->model = g_strdup (model);
  g_ptr_array_add (pairs, pair);
}

/* Steps @stmt for one nullable text, copied into *@out_text. Resets @stmt. */
static gboolean
step_text (sqlite3       *db,
           const char    *path,
           sqlite3_stmt  *stmt,
           char         **out_text,
           gboolean      *out_row,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  *out_text = NULL;
  if (out_row != NULL)
    *out_row = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW)
    *out_text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fail_sqlite (error, db, rc, path);
  return TRUE;
}

/* Every (provider, model) ever recorded, in index order, NULLs included: a few
 * index seeks per pair, whatever the number of rows. */
static GPtrArray *
collect_pairs (sqlite3     *db,
               const char  *path,
               GError     **error)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (pair_free);
  g_autoptr(sqlite3_stmt) first_provider = prepare (db, first_provider_sql, path, error);
  g_autoptr(sqlite3_stmt) next_provider = NULL;
  g_autoptr(sqlite3_stmt) null_provider = NULL;
  g_autoptr(sqlite3_stmt) first_model = NULL;
  g_autoptr(sqlite3_stmt) next_model = NULL;
  g_autoptr(sqlite3_stmt) null_model = NULL;
  g_autofree char *provider = NULL;
  gboolean any;

  if (first_provider == NULL ||
      (next_provider = prepare (db, next_provider_sql, path, error)) == NULL ||
      (null_provider = prepare (db, has_null_provider_sql, path, error)) == NULL ||
      (first_model = prepare (db, first_model_sql, path, error)) == NULL ||
      (next_model = prepare (db, next_model_sql, path, error)) == NULL ||
      (null_model = prepare (db, has_null_model_sql, path, error)) == NULL)
    return NULL;

  /* Requests refused before routing have neither. */
  {
    g_autofree char *unused = NULL;

    if (!step_text (db, path, null_provider, &unused, &any, error))
      return NULL;
    if (any)
      add_pair (pairs, NULL, NULL);
  }

  if (!step_text (db, path, first_provider, &provider, NULL, error))
    return NULL;
  while (provider != NULL)
    {
      g_autofree char *model = NULL;
      g_autofree char *unused = NULL;
      char *next = NULL;

      sqlite3_bind_text (null_model, 1, provider, -1, SQLITE_STATIC);
      if (!step_text (db, path, null_model, &unused, &any, error))
        return NULL;
      if (any)
        add_pair (pairs, provider, NULL);

      sqlite3_bind_text (first_model, 1, provider, -1, SQLITE_STATIC);
      if (!step_text (db, path, first_model, &model, NULL, error))
        return NULL;
      while (model != NULL)
        {
          char *next_name = NULL;

          add_pair (pairs, provider, model);
          sqlite3_bind_text (next_model, 1, provider, -1, SQLITE_STATIC);
          sqlite3_bind_text (next_model, 2, model, -1, SQLITE_STATIC);
          if (!step_text (db, path, next_model, &next_name, NULL, error))
            return NULL;
          g_free (model);
          model = next_name;
        }

      sqlite3_bind_text (next_provider, 1, provider, -1, SQLITE_STATIC);
      if (!step_text (db, path, next_provider, &next, NULL, error))
        return NULL;
      g_free (provider);
      provider = next;
    }

  return g_steal_pointer (&pairs);
}

static void
bind_pair_range (sqlite3_stmt *stmt,
                 const Pair   *pair,
                 gint64        from_us,
                 gint64        to_us)
{
  sqlite3_reset (stmt);
  sqlite3_bind_text (stmt, 1, pair->provider, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, pair->model, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, from_us);
  sqlite3_bind_int64 (stmt, 4, to_us);
}

/* --------------------------------------------------------- spend per day */

static int
compare_spend_rows (gconstpointer a,
                    gconstpointer b)
{
  const SySpendRow *x = *(SySpendRow * const *) a;
  const SySpendRow *y = *(SySpendRow * const *) b;

  if (x->day_start_us != y->day_start_us)
    return x->day_start_us < y->day_start_us ? -1 : 1;
  return compare_nullable (x->group, y->group);
}

/* Adds one SQL result row (the bucket id in column 0; cost, requests, priced,
 * prompt and completion tokens from @column on) to the row of @group. */
static void
add_spend (GHashTable   *index,
           GPtrArray    *rows,
           GArray       *buckets,
           const char   *group,
           sqlite3_stmt *stmt,
           int           column)
{
  gint64 id = sqlite3_column_int64 (stmt, 0);
  g_autofree char *key = NULL;
  const Bucket *bucket;
  SySpendRow *row;

  if (id < 0 || id >= buckets->len)
    return;
  bucket = &g_array_index (buckets, Bucket, id);
  key = g_strdup_printf ("%" G_GINT64_FORMAT "%c%s", id, group != NULL ? '+' : '-',
                         group != NULL ? group : "");
  row = g_hash_table_lookup (index, key);
  if (row == NULL)
    {
      row = g_new0 (SySpendRow, 1);
      row->day = g_strdup (bucket->day);
      row->day_start_us = bucket->start;
      row->group = g_strdup (group);
      g_ptr_array_add (rows, row);
      g_hash_table_insert (index, g_steal_pointer (&key), row);
    }
  row->cost += sqlite3_column_double (stmt, column);
  row->requests += sqlite3_column_int64 (stmt, column + 1);
  row->unpriced += sqlite3_column_int64 (stmt, column + 1)
                   - sqlite3_column_int64 (stmt, column + 2);
  row->prompt_tokens += sqlite3_column_int64 (stmt, column + 3);
  row->completion_tokens += sqlite3_column_int64 (stmt, column + 4);
}

GPtrArray *
sy_insights_spend_per_day (const char       *path,
                           gint64            from_us,
                           gint64            to_us,
                           GTimeZone        *tz,
                           SyInsightsGroup   group,
                           GError          **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_spend_row_free);
  g_autoptr(GHashTable) index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) buckets = g_array_new (FALSE, FALSE, sizeof (Bucket));
  g_autoptr(GTimeZone) local = NULL;
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) pairs = NULL;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (group <= SY_INSIGHTS_BY_PROFILE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();

  if (!open_reader (path, &db, error))
    return NULL;
  if (db == NULL || from_us >= to_us)
    return g_steal_pointer (&rows);
  if (!make_buckets (db, path, tz, from_us, to_us, FALSE, NULL, 0, buckets, error))
    return NULL;
  if (buckets->len == 0)
    return g_steal_pointer (&rows);

  if (group == SY_INSIGHTS_BY_CLIENT || group == SY_INSIGHTS_BY_PROFILE)
    {
      stmt = prepare (db, group == SY_INSIGHTS_BY_CLIENT ? client_spend_sql : profile_spend_sql,
                      path, error);
      if (stmt == NULL)
        return NULL;
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        add_spend (index, rows, buckets, (const char *) sqlite3_column_text (stmt, 1), stmt, 2);
    }
  else
    {
      pairs = collect_pairs (db, path, error);
      if (pairs == NULL)
        return NULL;
      stmt = prepare (db, pair_spend_sql, path, error);
      if (stmt == NULL)
        return NULL;
      for (guint i = 0; i < pairs->len && rc == SQLITE_DONE; i++)
        {
          const Pair *pair = g_ptr_array_index (pairs, i);
          g_autofree char *name = group == SY_INSIGHTS_BY_MODEL
                                  ? model_name (pair->provider, pair->model)
                                  : g_strdup (pair->provider);

          sqlite3_reset (stmt);
          sqlite3_bind_text (stmt, 1, pair->provider, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, pair->model, -1, SQLITE_STATIC);
          while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
            add_spend (index, rows, buckets, name, stmt, 1);
        }
    }
  if (rc != SQLITE_DONE)
    {
      fail_sqlite (error, db, rc, path);
      return NULL;
    }

  g_ptr_array_sort (rows, compare_spend_rows);
  return g_steal_pointer (&rows);
}

/* ------------------------------------------------------------------ totals */

/* Local Monday 00:00 of the ISO week containing @t_us. */
static gint64
local_week_start (GTimeZone *tz,
                  gint64     t_us)
{
  g_autoptr(GDateTime) local = local_time (tz, t_us);
  g_autoptr(GDateTime) monday = NULL;

  if (local == NULL)
    return -1;
  /* Whole calendar days back keep the wall-clock time across a DST change. */
  monday = g_date_time_add_days (local, 1 - g_date_time_get_day_of_week (local));
  if (monday == NULL)
    return -1;
  return local_day_start (tz, g_date_time_to_unix (monday) * G_USEC_PER_SEC, FALSE);
}

static SyModelCost *
model_cost_new (const Pair *pair,
                gint64      priced,
                double      cost,
                gint64      tokens)
{
  SyModelCost *model_cost = g_new0 (SyModelCost, 1);

  model_cost->model = model_name (pair->provider, pair->model);
  model_cost->requests = priced;
  model_cost->cost = cost;
  model_cost->tokens = tokens;
  model_cost->usd_per_mtok = cost * 1e6 / tokens;
  return model_cost;
}

static gboolean
in_period (const Bucket *bucket,
           const gint64  period[2])
{
  return bucket->start >= period[0] && bucket->start < period[1];
}

SyInsightsTotals *
sy_insights_totals (const char  *path,
                    gint64       from_us,
                    gint64       to_us,
                    gint64       now_us,
                    GTimeZone   *tz,
                    SyConfig    *config,
                    GError     **error)
{
  g_autoptr(SyInsightsTotals) totals = g_new0 (SyInsightsTotals, 1);
  g_autoptr(GArray) buckets = g_array_new (FALSE, FALSE, sizeof (Bucket));
  g_autoptr(GTimeZone) local = NULL;
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) pairs = NULL;
  gint64 day[2], week[2], month[2];
  gint64 cuts[2];
  gint64 lo, hi;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (config == NULL || SY_IS_CONFIG (config), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();
  if (!check_time (now_us, error))
    return NULL;

  day[0] = local_day_start (tz, now_us, FALSE);
  day[1] = next_local_day (tz, now_us, FALSE);
  week[0] = local_week_start (tz, now_us);
  /* Eight days on from Monday 00:00 is inside next week, whatever DST does. */
  week[1] = week[0] < 0 ? -1 : local_week_start (tz, week[0] + 8 * G_TIME_SPAN_DAY);
  month[0] = local_day_start (tz, now_us, TRUE);
  month[1] = next_local_day (tz, now_us, TRUE);
  if (day[0] < 0 || day[1] < 0 || week[0] < 0 || week[1] < 0 || month[0] < 0 || month[1] < 0)
    {
      fail_time (error);
      return NULL;
    }

  if (!open_reader (path, &db, error))
    return NULL;
  if (db == NULL)
    return g_steal_pointer (&totals);

  if (from_us >= to_us)
    from_us = to_us = day[0];
  lo = MIN (MIN (from_us, week[0]), month[0]);
  hi = MAX (MAX (to_us, week[1]), month[1]);
  cuts[0] = from_us;
  cuts[1] = to_us;
  if (!make_buckets (db, path, tz, lo, hi, FALSE, cuts, G_N_ELEMENTS (cuts), buckets, error))
    return NULL;
  if (buckets->len == 0)
    return g_steal_pointer (&totals);

  pairs = collect_pairs (db, path, error);
  if (pairs == NULL || (stmt = prepare (db, pair_totals_sql, path, error)) == NULL)
    return NULL;

  for (guint i = 0; i < pairs->len; i++)
    {
      const Pair *pair = g_ptr_array_index (pairs, i);
      gint64 priced = 0, tokens = 0, cached = 0;
      double cost = 0;
      int rc;

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, pair->provider, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, pair->model, -1, SQLITE_STATIC);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);
          const Bucket *bucket;
          double usd = sqlite3_column_double (stmt, 3);

          if (id < 0 || id >= buckets->len)
            continue;
          bucket = &g_array_index (buckets, Bucket, id);
          if (in_period (bucket, day))
            totals->today += usd;
          if (in_period (bucket, week))
            totals->week += usd;
          if (in_period (bucket, month))
            totals->month += usd;
          /* Buckets are cut at both ends of the range: wholly in or out. */
          if (bucket->start >= from_us && bucket->start < to_us)
            {
              totals->requests += sqlite3_column_int64 (stmt, 1);
              priced += sqlite3_column_int64 (stmt, 2);
              totals->unpriced += sqlite3_column_int64 (stmt, 1) - sqlite3_column_int64 (stmt, 2);
              cost += usd;
              tokens += sqlite3_column_int64 (stmt, 4);
              cached += sqlite3_column_int64 (stmt, 5);
            }
        }
      if (rc != SQLITE_DONE)
        {
          fail_sqlite (error, db, rc, path);
          return NULL;
        }

      totals->cost += cost;
      totals->cached_tokens += cached;

      if (pair->provider != NULL && pair->model != NULL && tokens > 0)
        {
          double per_mtok = cost * 1e6 / tokens;

          if (totals->cheapest == NULL || per_mtok < totals->cheapest->usd_per_mtok)
            {
              model_cost_free (totals->cheapest);
              totals->cheapest = model_cost_new (pair, priced, cost, tokens);
            }
          if (totals->most_expensive == NULL || per_mtok > totals->most_expensive->usd_per_mtok)
            {
              model_cost_free (totals->most_expensive);
              totals->most_expensive = model_cost_new (pair, priced, cost, tokens);
            }
        }

      if (cached > 0)
        {
          SyPrice price;

          /* Long-context tiers are ignored: the base prices say what a cache
           * read saves on most requests. */
          if (config != NULL && pair->provider != NULL && pair->model != NULL &&
              sy_config_get_price (config, pair->provider, pair->model, &price) &&
              price.input >= 0)
            {
              if (price.cached_input >= 0 && price.cached_input < price.input)
                totals->cache_saved += cached * (price.input - price.cached_input) / 1e6;
            }
          else
            totals->cached_unpriced += cached;
        }
    }

  totals->projected_month = totals->month;
  if (now_us > month[0])
    totals->projected_month = totals->month * (double) (month[1] - month[0])
                              / (double) (now_us - month[0]);

  return g_steal_pointer (&totals);
}

/* ----------------------------------------------------------------- latency */

/* Nearest rank: the smallest value with at least @percent % of the @values
 * at or below it, the one of rank ⌈n·p/100⌉. Reorders @values; < 0 when empty. */
static double
nearest_rank (GArray *values,
              int     percent)
{
  double *v = (double *) (void *) values->data;
  gssize k = ((gssize) values->len * percent + 99) / 100 - 1;
  gssize lo = 0;
  gssize hi = (gssize) values->len - 1;

  if (values->len == 0)
    return -1;

  /* Hoare's FIND (Wirth's formulation): partition around v[k] until it is in
   * its sorted place. */
  while (lo < hi)
    {
      double pivot = v[k];
      gssize i = lo;
      gssize j = hi;

      do
        {
          while (v[i] < pivot)
            i++;
          while (pivot < v[j])
            j--;
          if (i <= j)
            {
              double swap = v[i];

              v[i++] = v[j];
              v[j--] = swap;
            }
        }
      while (i <= j);
      if (j < k)
        lo = i;
      if (k < i)
        hi = j;
    }
  return v[k];
}

static void
append_known (GArray       *values,
              sqlite3_stmt *stmt,
              int           column)
{
  if (sqlite3_column_type (stmt, column) != SQLITE_NULL)
    {
      double value = sqlite3_column_double (stmt, column);

      g_array_append_val (values, value);
    }
}

static int
compare_latency_rows (gconstpointer a,
                      gconstpointer b)
{
  const SyLatencyRow *x = *(SyLatencyRow * const *) a;
  const SyLatencyRow *y = *(SyLatencyRow * const *) b;

  return compare_nullable (x->model, y->model);
}

GPtrArray *
sy_insights_latency (const char  *path,
                     gint64       from_us,
                     gint64       to_us,
                     GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_latency_row_free);
  g_autoptr(GArray) total_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) ttft_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) tokens_per_s = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) pairs = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!open_reader (path, &db, error))
    return NULL;
  if (db == NULL || from_us >= to_us)
    return g_steal_pointer (&rows);

  pairs = collect_pairs (db, path, error);
  if (pairs == NULL || (stmt = prepare (db, pair_latency_sql, path, error)) == NULL)
    return NULL;

  for (guint i = 0; i < pairs->len; i++)
    {
      const Pair *pair = g_ptr_array_index (pairs, i);
      SyLatencyRow *row;
      gint64 requests = 0;
      int rc;

      if (pair->provider == NULL || pair->model == NULL)
        continue;

      g_array_set_size (total_ms, 0);
      g_array_set_size (ttft_ms, 0);
      g_array_set_size (tokens_per_s, 0);
      bind_pair_range (stmt, pair, from_us, to_us);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          requests++;
          append_known (total_ms, stmt, 0);
          append_known (ttft_ms, stmt, 1);
          append_known (tokens_per_s, stmt, 2);
        }
      if (rc != SQLITE_DONE)
        {
          fail_sqlite (error, db, rc, path);
          return NULL;
        }
      if (requests == 0)
        continue;

      row = g_new0 (SyLatencyRow, 1);
      row->model = model_name (pair->provider, pair->model);
      row->requests = requests;
      row->total_p50 = nearest_rank (total_ms, 50);
      row->total_p90 = nearest_rank (total_ms, 90);
      row->total_p99 = nearest_rank (total_ms, 99);
      row->ttft_p50 = nearest_rank (ttft_ms, 50);
      row->ttft_p90 = nearest_rank (ttft_ms, 90);
      row->ttft_p99 = nearest_rank (ttft_ms, 99);
      row->tokens_per_s_p50 = nearest_rank (tokens_per_s, 50);
      g_ptr_array_add (rows, row);
    }

  g_ptr_array_sort (rows, compare_latency_rows);
  return g_steal_pointer (&rows);
}

/* ------------------------------------------------------------- error rates */

static int
compare_error_rows (gconstpointer a,
                    gconstpointer b)
{
  const SyErrorRow *x = *(SyErrorRow * const *) a;
  const SyErrorRow *y = *(SyErrorRow * const *) b;

  return compare_nullable (x->provider, y->provider);
}

GPtrArray *
sy_insights_error_rates (const char  *path,
                         gint64       from_us,
                         gint64       to_us,
                         GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_error_row_free);
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) pairs = NULL;
  SyErrorRow *row = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!open_reader (path, &db, error))
    return NULL;
  if (db == NULL || from_us >= to_us)
    return g_steal_pointer (&rows);

  pairs = collect_pairs (db, path, error);
  if (pairs == NULL || (stmt = prepare (db, pair_errors_sql, path, error)) == NULL)
    return NULL;

  /* Pairs come grouped by provider, so one row per run of pairs. */
  for (guint i = 0; i < pairs->len; i++)
    {
      const Pair *pair = g_ptr_array_index (pairs, i);
      gint64 requests;
      int rc;

      bind_pair_range (stmt, pair, from_us, to_us);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          fail_sqlite (error, db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, path);
          return NULL;
        }
      requests = sqlite3_column_int64 (stmt, 0);
      if (requests == 0)
        continue;
      if (row == NULL || g_strcmp0 (row->provider, pair->provider) != 0)
        {
          row = g_new0 (SyErrorRow, 1);
          row->provider = g_strdup (pair->provider);
          g_ptr_array_add (rows, row);
        }
      row->requests += requests;
      row->errors += sqlite3_column_int64 (stmt, 1);
    }

  for (guint i = 0; i < rows->len; i++)
    {
      row = g_ptr_array_index (rows, i);
      row->rate = (double) row->errors / (double) row->requests;
    }
  g_ptr_array_sort (rows, compare_error_rows);
  return g_steal_pointer (&rows);
}

/* ------------------------------------------------------ requests per hour */

GArray *
sy_insights_requests_per_hour (const char  *path,
                               gint64       from_us,
                               gint64       to_us,
                               GTimeZone   *tz,
                               GError     **error)
{
  g_autoptr(GArray) counts = g_array_new (FALSE, TRUE, sizeof (SyHourCount));
  g_autoptr(GArray) buckets = g_array_new (FALSE, FALSE, sizeof (Bucket));
  g_autoptr(GTimeZone) local = NULL;
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (tz == NULL)
    tz = local = g_time_zone_new_local ();

  if (!open_reader (path, &db, error))
    return NULL;
  if (db == NULL || from_us >= to_us)
    return g_steal_pointer (&counts);
  if (!make_buckets (db, path, tz, from_us, to_us, TRUE, NULL, 0, buckets, error))
    return NULL;
  if (buckets->len == 0)
    return g_steal_pointer (&counts);

  g_array_set_size (counts, buckets->len);
  for (guint i = 0; i < buckets->len; i++)
    {
      SyHourCount *count = &g_array_index (counts, SyHourCount, i);

      count->start_us = g_array_index (buckets, Bucket, i).start;
      count->hour = g_array_index (buckets, Bucket, i).hour;
    }

  stmt = prepare (db, hour_counts_sql, path, error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);

      if (id >= 0 && id < counts->len)
        g_array_index (counts, SyHourCount, id).requests = sqlite3_column_int64 (stmt, 1);
    }
  if (rc != SQLITE_DONE)
    {
      fail_sqlite (error, db, rc, path);
      return NULL;
    }
  return g_steal_pointer (&counts);
}

/* ------------------------------------------------------------------ export */

typedef enum {
  FIELD_TEXT,
  FIELD_INT,
  FIELD_COUNT,     /* an integer >= 0 */
  FIELD_REAL,      /* a finite number >= 0 */
  FIELD_BOOL,
} FieldType;

typedef struct {
  const char *name;
  FieldType   type;
} Field;

/* The requests table in its own order (without the row id), then the bodies.
 * Export and import both follow this list. */
static const Field fields[] = {
  { "request_id", FIELD_TEXT },
  { "started_at", FIELD_INT },
  { "client", FIELD_TEXT },
  { "surface", FIELD_TEXT },
  { "requested_model", FIELD_TEXT },
  { "profile", FIELD_TEXT },
  { "provider", FIELD_TEXT },
  { "model", FIELD_TEXT },
  { "stream", FIELD_BOOL },
  { "status", FIELD_COUNT },
  { "error", FIELD_TEXT },
  { "attempts", FIELD_TEXT },
  { "route", FIELD_TEXT },
  { "prompt_tokens", FIELD_COUNT },
  { "completion_tokens", FIELD_COUNT },
  { "cached_tokens", FIELD_COUNT },
  { "cache_write_tokens", FIELD_COUNT },
  { "reasoning_tokens", FIELD_COUNT },
  { "cost", FIELD_REAL },
  { "cost_input", FIELD_REAL },
  { "cost_output", FIELD_REAL },
  { "cost_cache_read", FIELD_REAL },
  { "cost_cache_write", FIELD_REAL },
  { "ttft_ms", FIELD_REAL },
  { "total_ms", FIELD_REAL },
  { "tokens_per_s", FIELD_REAL },
  { "request_body", FIELD_TEXT },
  { "response_body", FIELD_TEXT },
};

enum {
  F_REQUEST_ID = 0,
  F_STARTED_AT = 1,
  F_STREAM = 8,
  N_REQUEST_FIELDS = 26,
  F_REQUEST_BODY = 26,
  F_RESPONSE_BODY = 27,
  N_FIELDS = G_N_ELEMENTS (fields),
};
G_STATIC_ASSERT (N_FIELDS == F_RESPONSE_BODY + 1);

/* Written after started_at, for people reading the file; import ignores it. */
#define STARTED_AT_UTC "started_at_utc"

static char *
build_select_sql (gboolean bodies)
{
  GString *sql = g_string_new ("SELECT ");

  for (guint i = 0; i < N_REQUEST_FIELDS; i++)
    g_string_append_printf (sql, "%sr.%s", i > 0 ? ", " : "", fields[i].name);
  if (bodies)
    g_string_append (sql, ", b.request, b.response FROM requests AS r"
                          " LEFT JOIN bodies AS b ON b.request_id = r.id");
  else
    g_string_append (sql, " FROM requests AS r");
  g_string_append (sql, " WHERE r.started_at >= ?1 AND r.started_at < ?2"
                        " ORDER BY r.started_at, r.id");
  return g_string_free (sql, FALSE);
}

/* The shortest of %.15g and %.17g that reads back as @value. */
static void
append_double (GString *out,
               double   value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.15g", value);
  if (g_ascii_strtod (buf, NULL) != value)
    g_ascii_formatd (buf, sizeof buf, "%.17g", value);
  g_string_append (out, buf);
}

static void
append_utc (GString *out,
            gint64   t_us)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *text = NULL;

  if (t_us < 0 || t_us > MAX_STARTED_AT_US)
    return;
  utc = g_date_time_new_from_unix_utc (t_us / G_USEC_PER_SEC);
  text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");
  g_string_append_printf (out, "%s.%06dZ", text, (int) (t_us % G_USEC_PER_SEC));
}

/* SQLite keeps whatever bytes it was given; the files we write are UTF-8. */
static const char *
valid_utf8 (const char  *text,
            char       **owned)
{
  if (g_utf8_validate (text, -1, NULL))
    return text;
  *owned = g_utf8_make_valid (text, -1);
  return *owned;
}

static void
append_json_string (GString    *out,
                    const char *text)
{
  g_autofree char *owned = NULL;

  g_string_append_c (out, '"');
  for (const char *p = valid_utf8 (text, &owned); *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
}

/* RFC 4180; an empty string is quoted, so that an empty field can be NULL. */
static void
append_csv_string (GString    *out,
                   const char *text)
{
  g_autofree char *owned = NULL;
  const char *valid = valid_utf8 (text, &owned);

  if (*valid != '\0' && strpbrk (valid, ",\"\r\n") == NULL)
    {
      g_string_append (out, valid);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = valid; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_value (GString        *out,
              sqlite3_stmt   *stmt,
              guint           column,
              SyExportFormat  format)
{
  gboolean json = format == SY_EXPORT_JSON_LINES;
  double real;

  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    {
      if (json)
        g_string_append (out, "null");
      return;
    }

  switch (fields[column].type)
    {
    case FIELD_TEXT:
      if (json)
        append_json_string (out, (const char *) sqlite3_column_text (stmt, column));
      else
        append_csv_string (out, (const char *) sqlite3_column_text (stmt, column));
      break;
    case FIELD_INT:
    case FIELD_COUNT:
      g_string_append_printf (out, "%" G_GINT64_FORMAT,
                              (gint64) sqlite3_column_int64 (stmt, column));
      break;
    case FIELD_REAL:
      real = sqlite3_column_double (stmt, column);
      if (isfinite (real))
        append_double (out, real);
      else if (json)
        g_string_append (out, "null");
      break;
    case FIELD_BOOL:
      if (json)
        g_string_append (out, sqlite3_column_int (stmt, column) != 0 ? "true" : "false");
      else
        g_string_append_c (out, sqlite3_column_int (stmt, column) != 0 ? '1' : '0');
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
append_row (GString        *out,
            sqlite3_stmt   *stmt,
            guint           n_fields,
            SyExportFormat  format)
{
  gboolean json = format == SY_EXPORT_JSON_LINES;

  if (json)
    g_string_append_c (out, '{');
  for (guint i = 0; i < n_fields; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      if (json)
        g_string_append_printf (out, "\"%s\":", fields[i].name);
      append_value (out, stmt, i, format);

      if (i == F_STARTED_AT)
        {
          g_string_append_c (out, ',');
          if (json)
            g_string_append (out, "\"" STARTED_AT_UTC "\":\"");
          append_utc (out, sqlite3_column_int64 (stmt, i));
          if (json)
            g_string_append_c (out, '"');
        }
    }
  g_string_append (out, json ? "}\n" : "\r\n");
}

static gboolean
flush_out (GOutputStream  *out,
           GString        *buffer,
           GCancellable   *cancellable,
           GError        **error)
{
  gboolean ok = g_output_stream_write_all (out, buffer->str, buffer->len, NULL, cancellable, error);

  g_string_truncate (buffer, 0);
  return ok;
}

gboolean
sy_insights_export (const char      *path,
                    gint64           from_us,
                    gint64           to_us,
                    SyExportFormat   format,
                    gboolean         bodies,
                    GOutputStream   *out,
                    gint64          *out_rows,
                    GCancellable    *cancellable,
                    GError         **error)
{
  g_autoptr(GString) buffer = g_string_sized_new (EXPORT_FLUSH_BYTES + 4096);
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *sql = NULL;
  guint n_fields = bodies ? N_FIELDS : N_REQUEST_FIELDS;
  gint64 n_rows = 0;
  int rc = SQLITE_DONE;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (format == SY_EXPORT_CSV || format == SY_EXPORT_JSON_LINES, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_rows != NULL)
    *out_rows = 0;

  if (!open_reader (path, &db, error))
    return FALSE;

  if (format == SY_EXPORT_CSV)
    {
      for (guint i = 0; i < n_fields; i++)
        {
          g_string_append_printf (buffer, "%s%s", i > 0 ? "," : "", fields[i].name);
          if (i == F_STARTED_AT)
            g_string_append (buffer, "," STARTED_AT_UTC);
        }
      g_string_append (buffer, "\r\n");
    }

  if (db != NULL && from_us < to_us)
    {
      sql = build_select_sql (bodies);
      stmt = prepare (db, sql, path, error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, from_us);
      sqlite3_bind_int64 (stmt, 2, to_us);

      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          append_row (buffer, stmt, n_fields, format);
          n_rows++;
          if (buffer->len >= EXPORT_FLUSH_BYTES &&
              !flush_out (out, buffer, cancellable, error))
            return FALSE;
        }
      if (rc != SQLITE_DONE)
        return fail_sqlite (error, db, rc, path);
    }

  if (!flush_out (out, buffer, cancellable, error) ||
      !g_output_stream_flush (out, cancellable, error))
    return FALSE;

  if (out_rows != NULL)
    *out_rows = n_rows;
  return TRUE;
}

gboolean
sy_insights_export_to_file (const char      *path,
                            gint64           from_us,
                            gint64           to_us,
                            SyExportFormat   format,
                            gboolean         bodies,
                            const char      *file_path,
                            gint64          *out_rows,
                            GCancellable    *cancellable,
                            GError         **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GCancellable) abandon = NULL;
  gboolean existed;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (file_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  file = g_file_new_for_path (file_path);
  existed = g_file_query_exists (file, NULL);
  /* The export holds prompts and answers, as the history does. */
  stream = g_file_replace (file, NULL, FALSE,
                           G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                           cancellable, error);
  if (stream == NULL)
    return FALSE;

  if (sy_insights_export (path, from_us, to_us, format, bodies, G_OUTPUT_STREAM (stream),
                          out_rows, cancellable, error) &&
      g_output_stream_close (G_OUTPUT_STREAM (stream), cancellable, error))
    return TRUE;

  /* Closing a replacing stream with a cancelled cancellable keeps the file
   * that was there; a file we created is half written and goes. */
  abandon = g_cancellable_new ();
  g_cancellable_cancel (abandon);
  g_output_stream_close (G_OUTPUT_STREAM (stream), abandon, NULL);
  if (!existed)
    g_file_delete (file, NULL, NULL);
  if (out_rows != NULL)
    *out_rows = 0;
  return FALSE;
}

/* ------------------------------------------------------------------ import */

typedef struct {
  GInputStream *in;
  GCancellable *cancellable;
  GError       *error;
  guint64       line;       /* of the next byte, from 1 */
  gsize         pos;
  gsize         len;
  gboolean      eof;
  guchar        buf[64 * 1024];
} Reader;

static gboolean
reader_fill (Reader *reader)
{
  gssize n;

  if (reader->pos < reader->len)
    return TRUE;
  if (reader->eof)
    return FALSE;
  n = g_input_stream_read (reader->in, reader->buf, sizeof reader->buf,
                           reader->cancellable, &reader->error);
  if (n <= 0)
    {
      reader->eof = TRUE;
      return FALSE;
    }
  reader->pos = 0;
  reader->len = (gsize) n;
  return TRUE;
}

/* The next byte, or -1 at the end (or on a read error, left in reader->error). */
static int
reader_peek (Reader *reader)
{
  return reader_fill (reader) ? reader->buf[reader->pos] : -1;
}

static int
reader_get (Reader *reader)
{
  int c = reader_peek (reader);

  if (c >= 0)
    {
      reader->pos++;
      if (c == '\n')
        reader->line++;
    }
  return c;
}

/* One CSV record into @values (char *) and @quoted (gboolean). Returns FALSE
 * at the end of the input. *@bad says what was malformed, if anything. */
static gboolean
read_csv_record (Reader      *reader,
                 GPtrArray   *values,
                 GArray      *quoted,
                 const char **bad)
{
  g_autoptr(GString) value = g_string_new (NULL);
  gboolean in_quotes = FALSE;
  gboolean was_quoted = FALSE;
  gboolean after_quote = FALSE;
  int c = reader_get (reader);

  g_ptr_array_set_size (values, 0);
  g_array_set_size (quoted, 0);
  *bad = NULL;
  if (c < 0)
    return FALSE;

  for (;; c = reader_get (reader))
    {
      gboolean end_value = FALSE;
      gboolean end_record = FALSE;

      if (in_quotes)
        {
          if (c < 0)
            {
              *bad = "a quoted field is not closed";
              end_value = end_record = TRUE;
            }
          else if (c == '"' && reader_peek (reader) == '"')
            g_string_append_c (value, (char) reader_get (reader));
          else if (c == '"')
            {
              in_quotes = FALSE;
              after_quote = TRUE;
            }
          else
            g_string_append_c (value, (char) c);
        }
      else if (c == ',')
        end_value = TRUE;
      else if (c == '\r' || c == '\n' || c < 0)
        {
          if (c == '\r' && reader_peek (reader) == '\n')
            reader_get (reader);
          end_value = end_record = TRUE;
        }
      else if (c == '"' && value->len == 0 && !was_quoted)
        in_quotes = was_quoted = TRUE;
      else
        {
          if (*bad == NULL && (c == '"' || after_quote))
            *bad = after_quote ? "text after a closing quote"
                               : "a quote inside an unquoted field";
          g_string_append_c (value, (char) c);
        }

      if (end_value)
        {
          g_ptr_array_add (values, g_strndup (value->str, value->len));
          g_array_append_val (quoted, was_quoted);
          g_string_truncate (value, 0);
          in_quotes = was_quoted = after_quote = FALSE;
        }
      if (end_record)
        return TRUE;
    }
}

/* One line without its end into @line. Returns FALSE at the end of the input. */
static gboolean
read_line (Reader  *reader,
           GString *line)
{
  int c = reader_get (reader);

  g_string_truncate (line, 0);
  if (c < 0)
    return FALSE;
  for (; c >= 0 && c != '\n'; c = reader_get (reader))
    g_string_append_c (line, (char) c);
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);
  return TRUE;
}

typedef struct {
  gboolean    null;
  gint64      integer;
  double      real;
  const char *text;     /* owned by the record being read */
} Value;

static gboolean
check_count (guint        field,
             gint64       value,
             const char **why)
{
  if (field == F_STARTED_AT ? value < 0 || value > MAX_STARTED_AT_US : value < 0)
    {
      *why = "is out of range";
      return FALSE;
    }
  return TRUE;
}

/* A CSV field: @text as read, @quoted if it was in quotes. */
static gboolean
parse_csv_value (guint        field,
                 const char  *text,
                 gboolean     quoted,
                 Value       *value,
                 const char **why)
{
  char *end = NULL;

  value->null = FALSE;
  if (*text == '\0' && (!quoted || fields[field].type != FIELD_TEXT))
    {
      value->null = TRUE;
      return TRUE;
    }

  switch (fields[field].type)
    {
    case FIELD_TEXT:
      value->text = text;
      if (!g_utf8_validate (text, -1, NULL))
        {
          *why = "is not UTF-8";
          return FALSE;
        }
      return TRUE;
    case FIELD_INT:
    case FIELD_COUNT:
      if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value->integer, NULL))
        {
          *why = "is not an integer";
          return FALSE;
        }
      return check_count (field, value->integer, why);
    case FIELD_REAL:
      value->real = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (value->real) || value->real < 0 ||
          g_ascii_isspace (*text))
        {
          *why = "is not a number >= 0";
          return FALSE;
        }
      return TRUE;
    case FIELD_BOOL:
      if (strcmp (text, "1") == 0 || g_ascii_strcasecmp (text, "true") == 0)
        value->integer = 1;
      else if (strcmp (text, "0") == 0 || g_ascii_strcasecmp (text, "false") == 0)
        value->integer = 0;
      else
        {
          *why = "is not 0 or 1";
          return FALSE;
        }
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
parse_json_value (guint        field,
                  JsonNode    *node,
                  Value       *value,
                  const char **why)
{
  GType type;
  double real;

  value->null = node == NULL || JSON_NODE_HOLDS_NULL (node);
  if (value->null)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    {
      *why = "is not a string, number or boolean";
      return FALSE;
    }
  type = json_node_get_value_type (node);

  switch (fields[field].type)
    {
    case FIELD_TEXT:
      if (type != G_TYPE_STRING)
        {
          *why = "is not a string";
          return FALSE;
        }
      value->text = json_node_get_string (node);
      return TRUE;
    case FIELD_INT:
    case FIELD_COUNT:
      /* A spreadsheet or jq may have turned 5 into 5.0. */
      real = type == G_TYPE_DOUBLE ? json_node_get_double (node) : NAN;
      if (type == G_TYPE_INT64)
        value->integer = json_node_get_int (node);
      else if (real == floor (real) && fabs (real) < 9e18)
        value->integer = (gint64) real;
      else
        {
          *why = "is not an integer";
          return FALSE;
        }
      return check_count (field, value->integer, why);
    case FIELD_REAL:
      if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
        {
          *why = "is not a number";
          return FALSE;
        }
      value->real = json_node_get_double (node);
      if (!isfinite (value->real) || value->real < 0)
        {
          *why = "is not a number >= 0";
          return FALSE;
        }
      return TRUE;
    case FIELD_BOOL:
      if (type == G_TYPE_BOOLEAN)
        value->integer = json_node_get_boolean (node);
      else if (type == G_TYPE_INT64 && (guint64) json_node_get_int (node) <= 1)
        value->integer = json_node_get_int (node);
      else
        {
          *why = "is not a boolean";
          return FALSE;
        }
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  const char     *path;
  sqlite3        *db;
  sqlite3_stmt   *insert_request;
  sqlite3_stmt   *insert_body;
  sqlite3_stmt   *insert_prompt;
  gboolean        in_transaction;
  guint           batch;
  SyImportResult *result;
} Importer;

static void
note_invalid (Importer   *importer,
              guint64     line,
              const char *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
note_invalid (Importer   *importer,
              guint64     line,
              const char *format,
              ...)
{
  GPtrArray *notes = importer->result->notes;
  va_list args;

  importer->result->invalid++;
  if (notes->len >= SY_IMPORT_MAX_NOTES)
    return;
  va_start (args, format);
  {
    g_autofree char *why = g_strdup_vprintf (format, args);

    g_ptr_array_add (notes, g_strdup_printf ("line %" G_GUINT64_FORMAT ": %s", line, why));
  }
  va_end (args);
}

static gboolean
importer_commit (Importer  *importer,
                 GError   **error)
{
  int rc;

  if (!importer->in_transaction)
    return TRUE;
  importer->in_transaction = FALSE;
  importer->batch = 0;
  rc = sqlite3_exec (importer->db, "COMMIT", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      fail_sqlite (error, importer->db, rc, importer->path);
      sqlite3_exec (importer->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
importer_begin (Importer  *importer,
                GError   **error)
{
  int rc = SQLITE_OK;

  if (importer->in_transaction)
    return TRUE;
  /* busy_timeout already waits inside each attempt. */
  for (guint attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++)
    {
      rc = sqlite3_exec (importer->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if ((rc & 0xff) != SQLITE_BUSY)
        break;
    }
  if (rc != SQLITE_OK)
    return fail_sqlite (error, importer->db, rc, importer->path);
  importer->in_transaction = TRUE;
  return TRUE;
}

static void
bind_value (sqlite3_stmt *stmt,
            int           index,
            guint         field,
            const Value  *value)
{
  if (value->null)
    {
      /* The schema wants a stream flag. */
      if (field == F_STREAM)
        sqlite3_bind_int (stmt, index, 0);
      else
        sqlite3_bind_null (stmt, index);
      return;
    }
  switch (fields[field].type)
    {
    case FIELD_TEXT:
      sqlite3_bind_text (stmt, index, value->text, -1, SQLITE_STATIC);
      break;
    case FIELD_INT:
    case FIELD_COUNT:
    case FIELD_BOOL:
      sqlite3_bind_int64 (stmt, index, value->integer);
      break;
    case FIELD_REAL:
      sqlite3_bind_double (stmt, index, value->real);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Stores one parsed record, or notes why it cannot be stored. */
static gboolean
import_values (Importer   *importer,
               guint64     line,
               Value      *values,
               GError    **error)
{
  int rc;

  if (values[F_REQUEST_ID].null || *values[F_REQUEST_ID].text == '\0')
    {
      note_invalid (importer, line, "request_id is missing");
      return TRUE;
    }
  if (values[F_STARTED_AT].null)
    {
      note_invalid (importer, line, "started_at is missing");
      return TRUE;
    }

  if (!importer_begin (importer, error))
    return FALSE;

  for (guint i = 0; i < N_REQUEST_FIELDS; i++)
    bind_value (importer->insert_request, i + 1, i, &values[i]);
  rc = sqlite3_step (importer->insert_request);
  sqlite3_reset (importer->insert_request);
  sqlite3_clear_bindings (importer->insert_request);
  if (rc != SQLITE_DONE)
    return fail_sqlite (error, importer->db, rc, importer->path);

  if (sqlite3_changes (importer->db) == 0)
    importer->result->skipped++;
  else
    {
      importer->result->imported++;
      if (!values[F_REQUEST_BODY].null || !values[F_RESPONSE_BODY].null)
        {
          sqlite3_bind_int64 (importer->insert_body, 1, sqlite3_last_insert_rowid (importer->db));
          bind_value (importer->insert_body, 2, F_REQUEST_BODY, &values[F_REQUEST_BODY]);
          bind_value (importer->insert_body, 3, F_RESPONSE_BODY, &values[F_RESPONSE_BODY]);
          rc = sqlite3_step (importer->insert_body);
          sqlite3_reset (importer->insert_body);
          sqlite3_clear_bindings (importer->insert_body);
          if (rc != SQLITE_DONE)
            return fail_sqlite (error, importer->db, rc, importer->path);
        }
      if (!values[F_REQUEST_BODY].null)
        {
          /* Searchable like a request the router recorded. */
          sqlite3_bind_int64 (importer->insert_prompt, 1, sqlite3_last_insert_rowid (importer->db));
          bind_value (importer->insert_prompt, 2, F_REQUEST_BODY, &values[F_REQUEST_BODY]);
          rc = sqlite3_step (importer->insert_prompt);
          sqlite3_reset (importer->insert_prompt);
          sqlite3_clear_bindings (importer->insert_prompt);
          if (rc != SQLITE_DONE)
            return fail_sqlite (error, importer->db, rc, importer->path);
        }
    }

  if (++importer->batch >= IMPORT_BATCH_ROWS)
    return importer_commit (importer, error);
  return TRUE;
}

static void
values_init (Value *values)
{
  for (guint i = 0; i < N_FIELDS; i++)
    values[i] = (Value) { .null = TRUE };
}

static gboolean
import_csv (Importer      *importer,
            Reader        *reader,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GPtrArray) record = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) quoted = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autoptr(GArray) columns = g_array_new (FALSE, FALSE, sizeof (int));
  gboolean seen[N_FIELDS] = { FALSE, };
  const char *bad = NULL;
  guint64 line = reader->line;

  /* The header names the columns; unknown ones (started_at_utc) are skipped. */
  if (!read_csv_record (reader, record, quoted, &bad) || reader->error != NULL)
    return reader->error == NULL;
  for (guint i = 0; i < record->len; i++)
    {
      const char *name = g_ptr_array_index (record, i);
      int column = -1;

      for (guint f = 0; f < N_FIELDS; f++)
        if (strcmp (name, fields[f].name) == 0)
          column = (int) f;
      if (column >= 0 && seen[column])
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Line %" G_GUINT64_FORMAT ": the column %s appears twice", line, name);
          return FALSE;
        }
      if (column >= 0)
        seen[column] = TRUE;
      g_array_append_val (columns, column);
    }
  if (bad != NULL || !seen[F_REQUEST_ID] || !seen[F_STARTED_AT])
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "This is not a Switchyard export: its first line does not"
                           " name the columns request_id and started_at");
      return FALSE;
    }

  for (;;)
    {
      Value values[N_FIELDS];
      const char *why = NULL;
      guint failed = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      line = reader->line;
      if (!read_csv_record (reader, record, quoted, &bad) || reader->error != NULL)
        break;
      /* A blank line. */
      if (record->len == 1 && !g_array_index (quoted, gboolean, 0) &&
          *(const char *) g_ptr_array_index (record, 0) == '\0')
        continue;
      if (bad != NULL)
        {
          note_invalid (importer, line, "%s", bad);
          continue;
        }
      if (record->len != columns->len)
        {
          note_invalid (importer, line, "%u fields where the header has %u",
                        record->len, columns->len);
          continue;
        }

      values_init (values);
      for (guint i = 0; i < record->len && why == NULL; i++)
        {
          int column = g_array_index (columns, int, i);

          if (column >= 0 &&
              !parse_csv_value (column, g_ptr_array_index (record, i),
                                g_array_index (quoted, gboolean, i), &values[column], &why))
            failed = column;
        }
      if (why != NULL)
        {
          note_invalid (importer, line, "%s %s", fields[failed].name, why);
          continue;
        }
      if (!import_values (importer, line, values, error))
        return FALSE;
    }
  return reader->error == NULL;
}

static gboolean
import_json_lines (Importer      *importer,
                   Reader        *reader,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (;;)
    {
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(GError) parse_error = NULL;
      Value values[N_FIELDS];
      JsonObject *object;
      const char *why = NULL;
      guint failed = 0;
      guint64 line = reader->line;
      gboolean blank = TRUE;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!read_line (reader, text) || reader->error != NULL)
        break;
      for (gsize i = 0; i < text->len && blank; i++)
        blank = g_ascii_isspace (text->str[i]);
      if (blank)
        continue;

      node = sy_json_parse (text->str, text->len, &parse_error);
      if (node == NULL)
        {
          note_invalid (importer, line, "not JSON: %s", parse_error->message);
          continue;
        }
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          note_invalid (importer, line, "not a JSON object");
          continue;
        }
      object = json_node_get_object (node);

      values_init (values);
      for (guint f = 0; f < N_FIELDS && why == NULL; f++)
        if (!parse_json_value (f, sy_json_member (object, fields[f].name), &values[f], &why))
          failed = f;
      if (why != NULL)
        {
          note_invalid (importer, line, "%s %s", fields[failed].name, why);
          continue;
        }
      if (!import_values (importer, line, values, error))
        return FALSE;
    }
  return reader->error == NULL;
}

static char *
build_insert_sql (void)
{
  GString *sql = g_string_new ("INSERT INTO requests (");

  for (guint i = 0; i < N_REQUEST_FIELDS; i++)
    g_string_append_printf (sql, "%s%s", i > 0 ? ", " : "", fields[i].name);
  g_string_append (sql, ") VALUES (");
  for (guint i = 0; i < N_REQUEST_FIELDS; i++)
    g_string_append_printf (sql, "%s?%u", i > 0 ? ", " : "", i + 1);
  g_string_append (sql, ") ON CONFLICT (request_id) DO NOTHING");
  return g_string_free (sql, FALSE);
}

/* The history's own connection setup, for a writer of our own: the file
 * exists and is migrated by now. */
static sqlite3 *
open_writer (const char  *path,
             GError     **error)
{
  g_autoptr(SyHistory) history = NULL;
  sqlite3 *db = NULL;
  int rc;

  /* Creates the file, refuses someone else's or a newer one, migrates. */
  history = sy_history_new (path, error);
  if (history == NULL)
    return NULL;
  sy_history_close (history);

  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (db, TRUE);
      sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
      sy_history_register_functions (db);
      rc = sqlite3_exec (db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                         NULL, NULL, NULL);
    }
  if (rc != SQLITE_OK)
    {
      fail_sqlite (error, db, rc, path);
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

SyImportResult *
sy_insights_import (const char    *path,
                    GInputStream  *in,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(SyImportResult) result = g_new0 (SyImportResult, 1);
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) insert_request = NULL;
  g_autoptr(sqlite3_stmt) insert_body = NULL;
  g_autoptr(sqlite3_stmt) insert_prompt = NULL;
  g_autofree char *insert_sql = NULL;
  g_autofree Reader *reader = NULL;
  Importer importer = { 0, };
  gboolean ok;
  int c;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (G_IS_INPUT_STREAM (in), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result->notes = g_ptr_array_new_with_free_func (g_free);

  db = open_writer (path, error);
  if (db == NULL)
    return NULL;
  insert_sql = build_insert_sql ();
  insert_request = prepare (db, insert_sql, path, error);
  if (insert_request == NULL)
    return NULL;
  insert_body = prepare (db, "INSERT INTO bodies (request_id, request, response)"
                             " VALUES (?1, ?2, ?3)", path, error);
  if (insert_body == NULL)
    return NULL;
  insert_prompt = prepare (db, SY_HISTORY_INDEX_PROMPT_SQL, path, error);
  if (insert_prompt == NULL)
    return NULL;

  importer.path = path;
  importer.db = db;
  importer.insert_request = insert_request;
  importer.insert_body = insert_body;
  importer.insert_prompt = insert_prompt;
  importer.result = result;

  reader = g_new0 (Reader, 1);
  reader->in = in;
  reader->cancellable = cancellable;
  reader->line = 1;

  /* A UTF-8 byte order mark, as spreadsheets write, then blank lines. */
  if (reader_peek (reader) == 0xef)
    {
      reader_get (reader);
      if (reader_get (reader) != 0xbb || reader_get (reader) != 0xbf)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "This is not a Switchyard export: it does not start as text");
          return NULL;
        }
    }
  while ((c = reader_peek (reader)) >= 0 && g_ascii_isspace (c))
    reader_get (reader);

  if (c == '{')
    ok = import_json_lines (&importer, reader, cancellable, error);
  else
    ok = import_csv (&importer, reader, cancellable, error);

  /* The parsers stop without an error of their own when reading failed. */
  if (reader->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&reader->error));
      ok = FALSE;
    }
  if (ok)
    ok = importer_commit (&importer, error);
  else if (importer.in_transaction)
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);

  if (!ok)
    return NULL;
  if (result->invalid > result->notes->len)
    g_ptr_array_add (result->notes,
                     g_strdup_printf ("%" G_GINT64_FORMAT " more invalid lines",
                                      result->invalid - (gint64) result->notes->len));
  return g_steal_pointer (&result);
}

SyImportResult *
sy_insights_import_file (const char    *path,
                         const char    *file_path,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) in = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (file_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  file = g_file_new_for_path (file_path);
  in = g_file_read (file, cancellable, error);
  if (in == NULL)
    return NULL;
  return sy_insights_import (path, G_INPUT_STREAM (in), cancellable, error);
}
