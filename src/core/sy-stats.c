/* sy-stats.c — live latency, throughput, error rate and health per provider+model,
 * seeded from the history database and fed by every finished attempt.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-stats"

#include "sy-planner.h"
#include "sy-history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#define RING_SIZE          100
#define EWMA_ALPHA         0.2
#define SEED_DAYS          30

/* The distinct (provider, model) pairs are found by seeking the index
 * requests_provider_model from one key to the next (a loose index scan), then
 * each pair's newest rows are read off the same index: the cost grows with the
 * number of pairs, not with the number of rows. */
static const char next_provider_sql[] =
  "SELECT provider FROM requests WHERE provider > ?1 ORDER BY provider LIMIT 1";
static const char next_model_sql[] =
  "SELECT model FROM requests WHERE provider = ?1 AND model > ?2 ORDER BY model LIMIT 1";
static const char newest_sql[] =
  "SELECT status, ttft_ms, tokens_per_s FROM requests"
  " WHERE provider = ?1 AND model = ?2 AND started_at >= ?3"
  " ORDER BY started_at DESC, id DESC LIMIT ?4";

typedef struct {
  double values[RING_SIZE];
  guint  len;
  guint  next;
} Ring;

typedef enum {
  OUTCOME_IGNORED,      /* 499: the client left; says nothing of the provider */
  OUTCOME_SUCCESS,
  OUTCOME_CLIENT_FAULT, /* 4xx other than 408/429: the request was at fault */
  OUTCOME_FAILURE,
} Outcome;

typedef struct {
  /* measurements */
  guint   samples;
  double  ttft_ewma;        /* < 0 until the first known value */
  double  tps_ewma;
  Ring    ttft;             /* known values of the last RING_SIZE successes */
  Ring    tps;
  gboolean failed[RING_SIZE];  /* the last RING_SIZE samples, as a ring */
  guint   outcomes_len;
  guint   outcomes_next;
  guint   outcomes_failed;

  /* percentiles, recomputed on read after a change */
  gboolean dirty;
  double  ttft_p50;
  double  ttft_p90;
  double  tps_p50;

  /* health, monotonic µs */
  GArray  *failure_times;   /* gint64, ascending, all within the window */
  gboolean cooled;          /* tripped; cooling until cooling_until, then probing */
  gint64   cooling_until;
} Entry;

struct _SyStats
{
  /* "provider/model" → Entry */
  GHashTable *entries;
  SyRatings  *ratings;     /* from Compare, may be NULL */

  /* health settings */
  guint  failures;
  gint64 window_us;
  gint64 cooldown_us;

  /* The latest cooling_until ever set: before it nothing cools, and the
   * planner asks for every candidate of every request. */
  gint64 cooling_until_max;
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_clear_pointer (&entry->failure_times, g_array_unref);
  g_free (entry);
}

static Entry *
entry_new (void)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->ttft_ewma = -1;
  entry->tps_ewma = -1;
  entry->ttft_p50 = -1;
  entry->ttft_p90 = -1;
  entry->tps_p50 = -1;
  entry->failure_times = g_array_new (FALSE, FALSE, sizeof (gint64));

  return entry;
}

static char *
make_key (const char *provider,
          const char *model)
{
  return g_strconcat (provider, "/", model, NULL);
}

static Entry *
lookup (SyStats    *stats,
        const char *provider,
        const char *model)
{
  g_autofree char *key = make_key (provider, model);

  return g_hash_table_lookup (stats->entries, key);
}

static Entry *
lookup_or_add (SyStats    *stats,
               const char *provider,
               const char *model)
{
  g_autofree char *key = make_key (provider, model);
  Entry *entry = g_hash_table_lookup (stats->entries, key);

  if (entry == NULL)
    {
      entry = entry_new ();
      g_hash_table_insert (stats->entries, g_steal_pointer (&key), entry);
    }
  return entry;
}

static Outcome
classify (guint status)
{
  if (status >= 200 && status < 300)
    return OUTCOME_SUCCESS;
  if (status == 499)
    return OUTCOME_IGNORED;
  /* Connection errors and timeouts reach us as 502/504, so every 5xx (529
   * included) and anything unexpected counts against the provider. */
  if (status >= 400 && status < 500 && status != 408 && status != 429)
    return OUTCOME_CLIENT_FAULT;
  return OUTCOME_FAILURE;
}

static gboolean
is_known (double value)
{
  return isfinite (value) && value >= 0;
}

static void
ring_push (Ring   *ring,
           double  value)
{
  ring->values[ring->next] = value;
  ring->next = (ring->next + 1) % RING_SIZE;
  if (ring->len < RING_SIZE)
    ring->len++;
}

static double
ewma (double previous,
      double value)
{
  if (previous < 0)
    return value;
  return EWMA_ALPHA * value + (1 - EWMA_ALPHA) * previous;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Linear interpolation between the closest ranks (numpy's default, a
 * spreadsheet's PERCENTILE): with values 10, 20, 30, 40 the p50 is 25. */
static double
percentile (const double *sorted,
            guint         n,
            double        p)
{
  double rank;
  guint lower;

  if (n == 0)
    return -1;

  rank = p * (n - 1);
  lower = (guint) floor (rank);
  if (lower + 1 >= n)
    return sorted[n - 1];
  return sorted[lower] + (rank - lower) * (sorted[lower + 1] - sorted[lower]);
}

static void
entry_update_percentiles (Entry *entry)
{
  double sorted[RING_SIZE];

  if (!entry->dirty)
    return;

  /* Ring order does not matter once sorted: the first len slots are the live ones. */
  memcpy (sorted, entry->ttft.values, entry->ttft.len * sizeof (double));
  qsort (sorted, entry->ttft.len, sizeof (double), compare_doubles);
  entry->ttft_p50 = percentile (sorted, entry->ttft.len, 0.5);
  entry->ttft_p90 = percentile (sorted, entry->ttft.len, 0.9);

  memcpy (sorted, entry->tps.values, entry->tps.len * sizeof (double));
  qsort (sorted, entry->tps.len, sizeof (double), compare_doubles);
  entry->tps_p50 = percentile (sorted, entry->tps.len, 0.5);

  entry->dirty = FALSE;
}

/* The measurements of one sample; health is separate, since seeded samples have
 * no monotonic time. */
static void
entry_add_sample (Entry   *entry,
                  Outcome  outcome,
                  double   ttft_ms,
                  double   tokens_per_s)
{
  gboolean failed = outcome == OUTCOME_FAILURE;

  g_assert (outcome != OUTCOME_IGNORED);

  entry->samples++;

  if (entry->outcomes_len == RING_SIZE)
    entry->outcomes_failed -= entry->failed[entry->outcomes_next] ? 1 : 0;
  else
    entry->outcomes_len++;
  entry->failed[entry->outcomes_next] = failed;
  entry->outcomes_failed += failed ? 1 : 0;
  entry->outcomes_next = (entry->outcomes_next + 1) % RING_SIZE;

  if (outcome != OUTCOME_SUCCESS)
    return;

  if (is_known (ttft_ms))
    {
      entry->ttft_ewma = ewma (entry->ttft_ewma, ttft_ms);
      ring_push (&entry->ttft, ttft_ms);
      entry->dirty = TRUE;
    }
  if (is_known (tokens_per_s))
    {
      entry->tps_ewma = ewma (entry->tps_ewma, tokens_per_s);
      ring_push (&entry->tps, tokens_per_s);
      entry->dirty = TRUE;
    }
}

static void
entry_cool (SyStats *stats,
            Entry   *entry,
            gint64   now_us)
{
  entry->cooled = TRUE;
  entry->cooling_until = now_us + stats->cooldown_us;
  stats->cooling_until_max = MAX (stats->cooling_until_max, entry->cooling_until);
  g_array_set_size (entry->failure_times, 0);
}

static void
entry_update_health (SyStats *stats,
                     Entry   *entry,
                     Outcome  outcome,
                     gint64   now_us)
{
  GArray *times = entry->failure_times;
  guint stale = 0;

  if (outcome != OUTCOME_SUCCESS && outcome != OUTCOME_FAILURE)
    return;

  if (entry->cooled)
    {
      /* Answers to requests sent before the cool-down began say nothing new. */
      if (now_us < entry->cooling_until)
        return;

      /* This was the probe. */
      if (outcome == OUTCOME_SUCCESS)
        entry->cooled = FALSE;
      else
        entry_cool (stats, entry, now_us);
      return;
    }

  if (outcome == OUTCOME_SUCCESS || stats->failures == 0)
    return;

  while (stale < times->len && g_array_index (times, gint64, stale) < now_us - stats->window_us)
    stale++;
  g_array_remove_range (times, 0, stale);
  g_array_append_val (times, now_us);

  if (times->len >= stats->failures)
    entry_cool (stats, entry, now_us);
}

SyStats *
sy_stats_new (void)
{
  SyStats *stats = g_new0 (SyStats, 1);

  stats->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  stats->cooling_until_max = G_MININT64;
  sy_stats_set_health (stats, 3, 60, 120);

  return stats;
}

void
sy_stats_free (SyStats *stats)
{
  if (stats == NULL)
    return;

  g_clear_pointer (&stats->entries, g_hash_table_unref);
  g_clear_pointer (&stats->ratings, sy_ratings_free);
  g_free (stats);
}

void
sy_stats_set_ratings (SyStats   *stats,
                      SyRatings *ratings)
{
  g_return_if_fail (stats != NULL);

  g_clear_pointer (&stats->ratings, sy_ratings_free);
  stats->ratings = ratings;
}

SyRatings *
sy_stats_get_ratings (SyStats *stats)
{
  g_return_val_if_fail (stats != NULL, NULL);
  return stats->ratings;
}

void
sy_stats_set_health (SyStats *stats,
                     guint    failures,
                     double   window_s,
                     double   cooldown_s)
{
  g_return_if_fail (stats != NULL);

  /* failures 0 turns the breaker off. */
  stats->failures = failures;
  stats->window_us = is_known (window_s) ? (gint64) (window_s * G_USEC_PER_SEC) : 0;
  stats->cooldown_us = is_known (cooldown_s) ? (gint64) (cooldown_s * G_USEC_PER_SEC) : 0;
}

/* sqlite3_stmt and sqlite3 have no autoptr of their own. */
typedef sqlite3_stmt SyStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyStmt, sqlite3_finalize)
typedef sqlite3 SyDb;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyDb, sqlite3_close)

/* Steps @stmt for one text value, copied into @out (NULL when there is no row).
 * Returns an SQLite code: SQLITE_OK when a row or no row was found. */
static int
step_text (sqlite3_stmt  *stmt,
           char         **out)
{
  int rc = sqlite3_step (stmt);

  g_clear_pointer (out, g_free);
  if (rc == SQLITE_ROW)
    *out = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);

  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

typedef struct {
  guint  status;
  double ttft_ms;
  double tokens_per_s;
} SeedRow;

static double
column_real (sqlite3_stmt *stmt,
             int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return -1;
  return sqlite3_column_double (stmt, column);
}

/* The newest rows of one pair, fed oldest first so the EWMA ends on the latest. */
static int
seed_pair (SyStats      *stats,
           sqlite3_stmt *newest,
           const char   *provider,
           const char   *model,
           gint64        since_us)
{
  SeedRow rows[RING_SIZE];
  guint n = 0;
  int rc;

  sqlite3_bind_text (newest, 1, provider, -1, SQLITE_STATIC);
  sqlite3_bind_text (newest, 2, model, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (newest, 3, since_us);
  sqlite3_bind_int (newest, 4, RING_SIZE);

  while ((rc = sqlite3_step (newest)) == SQLITE_ROW && n < RING_SIZE)
    {
      /* NULL status: nothing was sent yet, so nothing to learn. */
      if (sqlite3_column_type (newest, 0) == SQLITE_NULL)
        continue;
      rows[n].status = (guint) CLAMP (sqlite3_column_int64 (newest, 0), 0, G_MAXUINT);
      rows[n].ttft_ms = column_real (newest, 1);
      rows[n].tokens_per_s = column_real (newest, 2);
      n++;
    }
  sqlite3_reset (newest);
  sqlite3_clear_bindings (newest);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return rc;

  for (guint i = n; i > 0; i--)
    {
      const SeedRow *row = &rows[i - 1];
      Outcome outcome = classify (row->status);

      if (outcome != OUTCOME_IGNORED)
        entry_add_sample (lookup_or_add (stats, provider, model),
                          outcome, row->ttft_ms, row->tokens_per_s);
    }

  return SQLITE_OK;
}

gboolean
sy_stats_seed (SyStats     *stats,
               const char  *db_path,
               GError     **error)
{
  g_autoptr(SyDb) db = NULL;
  g_autoptr(SyStmt) next_provider = NULL;
  g_autoptr(SyStmt) next_model = NULL;
  g_autoptr(SyStmt) newest = NULL;
  g_autofree char *provider = NULL;
  gint64 since_us = g_get_real_time () - (gint64) SEED_DAYS * 24 * 3600 * G_USEC_PER_SEC;
  int rc;

  g_return_val_if_fail (stats != NULL, FALSE);
  g_return_val_if_fail (db_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!sy_history_open_read_only (db_path, &db, error))
    return FALSE;
  /* A first start has no history yet. */
  if (db == NULL)
    return TRUE;

  /* All reads in one transaction: one consistent snapshot even while the
   * history thread writes. */
  if ((rc = sqlite3_prepare_v2 (db, next_provider_sql, -1, &next_provider, NULL)) != SQLITE_OK ||
      (rc = sqlite3_prepare_v2 (db, next_model_sql, -1, &next_model, NULL)) != SQLITE_OK ||
      (rc = sqlite3_prepare_v2 (db, newest_sql, -1, &newest, NULL)) != SQLITE_OK ||
      (rc = sqlite3_exec (db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, db_path);
      return FALSE;
    }

  /* '' sorts before every other text, and NULL providers (requests refused
   * before routing) never compare greater. */
  provider = g_strdup ("");
  for (;;)
    {
      g_autofree char *model = NULL;

      sqlite3_bind_text (next_provider, 1, provider, -1, SQLITE_TRANSIENT);
      if ((rc = step_text (next_provider, &provider)) != SQLITE_OK)
        break;
      if (provider == NULL)
        break;

      model = g_strdup ("");
      for (;;)
        {
          sqlite3_bind_text (next_model, 1, provider, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (next_model, 2, model, -1, SQLITE_TRANSIENT);
          if ((rc = step_text (next_model, &model)) != SQLITE_OK || model == NULL)
            break;
          if ((rc = seed_pair (stats, newest, provider, model, since_us)) != SQLITE_OK)
            break;
        }
      if (rc != SQLITE_OK)
        break;
    }

  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, db_path);
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  g_debug ("Seeded %u provider+model statistics from %s",
           g_hash_table_size (stats->entries), db_path);
  return TRUE;
}

void
sy_stats_record (SyStats    *stats,
                 const char *provider,
                 const char *model,
                 guint       status,
                 double      ttft_ms,
                 double      tokens_per_s,
                 gint64      now_us)
{
  Outcome outcome = classify (status);
  Entry *entry;

  g_return_if_fail (stats != NULL);
  g_return_if_fail (provider != NULL);
  g_return_if_fail (model != NULL);

  if (outcome == OUTCOME_IGNORED)
    return;

  entry = lookup_or_add (stats, provider, model);
  entry_add_sample (entry, outcome, ttft_ms, tokens_per_s);
  entry_update_health (stats, entry, outcome, now_us);
}

static gboolean
entry_get (Entry        *entry,
           SyModelStats *out)
{
  *out = (SyModelStats) {
    .samples = 0,
    .ttft_ewma_ms = -1,
    .ttft_p50_ms = -1,
    .ttft_p90_ms = -1,
    .tps_ewma = -1,
    .tps_p50 = -1,
    .error_rate = -1,
  };

  if (entry == NULL || entry->samples == 0)
    return FALSE;

  entry_update_percentiles (entry);

  out->samples = entry->samples;
  out->ttft_ewma_ms = entry->ttft_ewma;
  out->ttft_p50_ms = entry->ttft_p50;
  out->ttft_p90_ms = entry->ttft_p90;
  out->tps_ewma = entry->tps_ewma;
  out->tps_p50 = entry->tps_p50;
  out->error_rate = (double) entry->outcomes_failed / entry->outcomes_len;

  return TRUE;
}

gboolean
sy_stats_get (SyStats      *stats,
              const char   *provider,
              const char   *model,
              SyModelStats *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (stats == NULL || provider == NULL || model == NULL)
    entry_get (NULL, out);

  g_return_val_if_fail (stats != NULL, FALSE);
  g_return_val_if_fail (provider != NULL, FALSE);
  g_return_val_if_fail (model != NULL, FALSE);

  return entry_get (lookup (stats, provider, model), out);
}

gboolean
sy_stats_get_by_id (SyStats      *stats,
                    const char   *id,
                    SyModelStats *out)
{
  g_return_val_if_fail (out != NULL, FALSE);

  if (stats == NULL || id == NULL)
    entry_get (NULL, out);

  g_return_val_if_fail (stats != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  return entry_get (g_hash_table_lookup (stats->entries, id), out);
}

static gboolean
entry_is_cooling (Entry  *entry,
                  gint64  now_us,
                  gint64 *until_us)
{
  if (entry == NULL || !entry->cooled || now_us >= entry->cooling_until)
    return FALSE;

  if (until_us != NULL)
    *until_us = entry->cooling_until;
  return TRUE;
}

gboolean
sy_stats_is_cooling (SyStats    *stats,
                     const char *provider,
                     const char *model,
                     gint64      now_us,
                     gint64     *until_us)
{
  if (until_us != NULL)
    *until_us = 0;

  g_return_val_if_fail (stats != NULL, FALSE);
  g_return_val_if_fail (provider != NULL, FALSE);
  g_return_val_if_fail (model != NULL, FALSE);

  return entry_is_cooling (lookup (stats, provider, model), now_us, until_us);
}

gboolean
sy_stats_is_cooling_by_id (SyStats    *stats,
                           const char *id,
                           gint64      now_us,
                           gint64     *until_us)
{
  if (until_us != NULL)
    *until_us = 0;

  g_return_val_if_fail (stats != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (now_us >= stats->cooling_until_max)
    return FALSE;
  return entry_is_cooling (g_hash_table_lookup (stats->entries, id), now_us, until_us);
}
