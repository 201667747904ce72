/* sy-budget.c — spend per profile and overall for the local day and month, with
 * reservations for requests in flight.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-budget"

#include "sy-planner.h"
#include "sy-history.h"

#include <math.h>
#include <string.h>
#include <sqlite3.h>

/* How long a loaded local zone is trusted before /etc/localtime is read again. */
#define TZ_REFRESH_US   (60 * G_USEC_PER_SEC)

/* SyBudget is used from the router thread only and takes no locks: a call
 * from any other thread is a bug. Seeding reads the disk and belongs before
 * serving.
 *
 * Recorded spend lives in buckets keyed by the start of their local period
 * (µs since the epoch of local midnight, or of local midnight on the 1st), so a
 * rollover needs no reset: the new period simply has no bucket yet. Buckets
 * older than the previous period are dropped; the previous one is kept so a
 * small backward clock step across midnight loses nothing.
 *
 * Reservations belong to no period: an outstanding one counts in whatever
 * period is current, because settling records into the period of the settle.
 *
 * Every plan asks for the spend, so the local zone and the bounds of the
 * current periods are cached: loading the zone stats /etc/localtime and a
 * period start takes a few GDateTimes. The zone is reloaded when $TZ changes
 * and at least once a minute (an edited /etc/localtime), which also forgets
 * the cached bounds. */

typedef struct {
  gint64      start;     /* the key: this bucket's period start */
  double      total;
  GHashTable *profiles;  /* char * → double * */
} Bucket;

typedef struct {
  char   *profile;       /* NULL: overall only */
  double  estimate;
} Reservation;

typedef struct {
  gint64 start;              /* period_start () of every instant in [start, end) */
  gint64 end;                /* 0: nothing cached */
  gint64 previous;           /* period_start () of start - 1 */
} Span;

struct _SyBudget {
  GHashTable *buckets[2];    /* SyBudgetPeriod → (gint64 * start → Bucket *) */
  GHashTable *reservations;  /* guint64 * ticket → Reservation * */
  guint64     last_ticket;

  /* cached local zone and period bounds */
  GTimeZone  *tz;
  char       *tz_env;        /* $TZ when tz was loaded */
  gint64      tz_loaded_us;  /* monotonic */
  Span        spans[2];      /* SyBudgetPeriod → bounds in tz */
};

static Bucket *
bucket_new (gint64 start)
{
  Bucket *bucket = g_new0 (Bucket, 1);

  bucket->start = start;
  bucket->profiles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return bucket;
}

static void
bucket_free (gpointer data)
{
  Bucket *bucket = data;

  g_hash_table_unref (bucket->profiles);
  g_free (bucket);
}

static void
bucket_add (Bucket     *bucket,
            const char *profile,
            double      usd)
{
  double *spent;

  bucket->total += usd;
  if (profile == NULL)
    return;

  spent = g_hash_table_lookup (bucket->profiles, profile);
  if (spent == NULL)
    {
      spent = g_new0 (double, 1);
      g_hash_table_insert (bucket->profiles, g_strdup (profile), spent);
    }
  *spent += usd;
}

static void
reservation_free (gpointer data)
{
  Reservation *reservation = data;

  g_free (reservation->profile);
  g_free (reservation);
}

static GHashTable *
buckets_new (void)
{
  /* The key points into the bucket, so only the value needs freeing. */
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, bucket_free);
}

/* A cost that can be added: unknown (< 0) and NaN count as nothing. */
static double
sane_usd (double usd)
{
  return isfinite (usd) && usd > 0 ? usd : 0;
}

/* Local midnight of the day, or of the 1st of the month, containing @now_us. */
static gint64
period_start (GTimeZone      *tz,
              SyBudgetPeriod  period,
              gint64          now_us)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) start = NULL;
  gint64 seconds = now_us / G_USEC_PER_SEC;

  if (now_us % G_USEC_PER_SEC < 0)
    seconds--;

  utc = g_date_time_new_from_unix_utc (seconds);
  if (utc == NULL)
    return 0;
  now = g_date_time_to_timezone (utc, tz);
  if (now == NULL)
    return 0;

  /* Where local midnight falls in a DST gap, GLib moves it to the first
   * existing time, which is still the first instant of that local day. */
  start = g_date_time_new (tz,
                           g_date_time_get_year (now),
                           g_date_time_get_month (now),
                           period == SY_BUDGET_DAY ? g_date_time_get_day_of_month (now) : 1,
                           0, 0, 0);
  if (start == NULL)
    return 0;

  return g_date_time_to_unix (start) * G_USEC_PER_SEC;
}

static GTimeZone *
budget_tz (SyBudget *budget)
{
  const char *env = g_getenv ("TZ");
  gint64 mono_us = g_get_monotonic_time ();

  if (budget->tz == NULL || g_strcmp0 (env, budget->tz_env) != 0 ||
      mono_us - budget->tz_loaded_us >= TZ_REFRESH_US)
    {
      g_clear_pointer (&budget->tz, g_time_zone_unref);
      budget->tz = g_time_zone_new_local ();
      g_free (budget->tz_env);
      budget->tz_env = g_strdup (env);
      budget->tz_loaded_us = mono_us;
      memset (budget->spans, 0, sizeof budget->spans);
    }
  return budget->tz;
}

/* period_start () for @now_us, from the cached bounds when they hold it; an
 * instant before the cached period (a clock stepping back) just recomputes. */
static const Span *
current_span (SyBudget       *budget,
              SyBudgetPeriod  period,
              gint64          now_us)
{
  GTimeZone *tz = budget_tz (budget);
  Span *span = &budget->spans[period];

  if (span->end == 0 || now_us < span->start || now_us >= span->end)
    {
      /* Each period ends where the next one starts; 32 days past the 1st is
       * always inside the next month, and 26 hours past midnight inside the
       * next day. */
      span->start = period_start (tz, period, now_us);
      span->end = period_start (tz, period, span->start + (period == SY_BUDGET_DAY
                                                           ? 26 * G_TIME_SPAN_HOUR
                                                           : 32 * G_TIME_SPAN_DAY));
      span->previous = period_start (tz, period, span->start - 1);
      /* A failed conversion (0) caches nothing usable: end <= start never matches. */
      if (span->end <= span->start || now_us < span->start || now_us >= span->end)
        span->end = 0;
    }
  return span;
}

/* The bucket of @period containing @now_us, dropping those before the
 * previous period. */
static Bucket *
current_bucket (SyBudget       *budget,
                SyBudgetPeriod  period,
                gint64          now_us,
                gboolean        create)
{
  GHashTable *buckets = budget->buckets[period];
  const Span *span = current_span (budget, period, now_us);
  gint64 start = span->start;
  Bucket *bucket;

  if (g_hash_table_size (buckets) > 1)
    {
      gint64 previous = span->previous;
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, buckets);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (((Bucket *) value)->start < previous)
          g_hash_table_iter_remove (&iter);
    }

  bucket = g_hash_table_lookup (buckets, &start);
  if (bucket == NULL && create)
    {
      bucket = bucket_new (start);
      g_hash_table_insert (buckets, &bucket->start, bucket);
    }

  return bucket;
}

SyBudget *
sy_budget_new (void)
{
  SyBudget *budget = g_new0 (SyBudget, 1);

  budget->buckets[SY_BUDGET_DAY] = buckets_new ();
  budget->buckets[SY_BUDGET_MONTH] = buckets_new ();
  budget->reservations = g_hash_table_new_full (g_int64_hash, g_int64_equal,
                                                g_free, reservation_free);
  return budget;
}

void
sy_budget_free (SyBudget *budget)
{
  if (budget == NULL)
    return;

  g_clear_pointer (&budget->buckets[SY_BUDGET_DAY], g_hash_table_unref);
  g_clear_pointer (&budget->buckets[SY_BUDGET_MONTH], g_hash_table_unref);
  g_clear_pointer (&budget->reservations, g_hash_table_unref);
  g_clear_pointer (&budget->tz, g_time_zone_unref);
  g_free (budget->tz_env);
  g_free (budget);
}

/* One pass over this month's rows on the started_at index, summed per profile
 * and split into "today" and "earlier this month". Rows after the end of the
 * month (a clock that was ahead) belong to no current period. */
static const char seed_sql[] =
  "SELECT profile,"
  "       started_at >= ?2 AND started_at < ?3 AS today,"
  "       sum(cost)"
  "  FROM requests"
  " WHERE started_at >= ?1 AND started_at < ?4 AND cost IS NOT NULL"
  " GROUP BY profile, today";

gboolean
sy_budget_seed (SyBudget    *budget,
                const char  *db_path,
                GError     **error)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  gint64 now_us = g_get_real_time ();
  gint64 month_start = period_start (tz, SY_BUDGET_MONTH, now_us);
  gint64 day_start = period_start (tz, SY_BUDGET_DAY, now_us);
  Bucket *month = NULL;
  Bucket *day = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;
  gint64 day_end;
  gint64 month_end;
  int rc;

  g_return_val_if_fail (budget != NULL, FALSE);
  g_return_val_if_fail (db_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!sy_history_open_read_only (db_path, &db, error))
    return FALSE;
  /* No history yet: nothing was spent. */
  if (db == NULL)
    return TRUE;

  /* Each period ends where the next one starts; 32 days past the 1st is always
   * inside the next month, and 26 hours past midnight inside the next day. */
  day_end = period_start (tz, SY_BUDGET_DAY, day_start + 26 * G_TIME_SPAN_HOUR);
  month_end = period_start (tz, SY_BUDGET_MONTH, month_start + 32 * G_TIME_SPAN_DAY);

  rc = sqlite3_prepare_v2 (db, seed_sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, month_start);
      sqlite3_bind_int64 (stmt, 2, day_start);
      sqlite3_bind_int64 (stmt, 3, day_end);
      sqlite3_bind_int64 (stmt, 4, month_end);

      month = bucket_new (month_start);
      day = bucket_new (day_start);

      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *profile = (const char *) sqlite3_column_text (stmt, 0);
          gboolean today = sqlite3_column_int (stmt, 1) != 0;
          double usd = sane_usd (sqlite3_column_double (stmt, 2));

          bucket_add (month, profile, usd);
          if (today)
            bucket_add (day, profile, usd);
        }
    }

  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, db_path);
      g_clear_pointer (&month, bucket_free);
      g_clear_pointer (&day, bucket_free);
    }

  sqlite3_finalize (stmt);
  sqlite3_close (db);

  if (month == NULL)
    return FALSE;

  /* The history already holds whatever was settled in these periods, so its
   * sums replace what was recorded here rather than adding to it. */
  g_hash_table_replace (budget->buckets[SY_BUDGET_MONTH], &month->start, month);
  g_hash_table_replace (budget->buckets[SY_BUDGET_DAY], &day->start, day);

  return TRUE;
}

double
sy_budget_spent (SyBudget       *budget,
                 const char     *profile,
                 SyBudgetPeriod  period,
                 gint64          now_us)
{
  GHashTableIter iter;
  gpointer value;
  Bucket *bucket;
  double spent = 0;

  g_return_val_if_fail (budget != NULL, 0);
  g_return_val_if_fail (period == SY_BUDGET_DAY || period == SY_BUDGET_MONTH, 0);

  bucket = current_bucket (budget, period, now_us, FALSE);
  if (bucket != NULL)
    {
      if (profile == NULL)
        spent = bucket->total;
      else
        {
          double *recorded = g_hash_table_lookup (bucket->profiles, profile);

          if (recorded != NULL)
            spent = *recorded;
        }
    }

  /* Summed afresh rather than kept as a running total: a handful are in flight
   * at once, and adding then subtracting the same estimate would leave
   * rounding residue behind. */
  g_hash_table_iter_init (&iter, budget->reservations);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Reservation *reservation = value;

      if (profile == NULL || g_strcmp0 (profile, reservation->profile) == 0)
        spent += reservation->estimate;
    }

  return spent;
}

guint64
sy_budget_reserve (SyBudget   *budget,
                   const char *profile,
                   double      estimate_usd,
                   gint64      now_us)
{
  Reservation *reservation;
  guint64 *ticket;

  g_return_val_if_fail (budget != NULL, 0);

  /* 0 means "nothing reserved" to the planner; a guint64 will not wrap. */
  budget->last_ticket++;

  reservation = g_new0 (Reservation, 1);
  reservation->profile = g_strdup (profile);
  reservation->estimate = sane_usd (estimate_usd);

  ticket = g_new (guint64, 1);
  *ticket = budget->last_ticket;
  g_hash_table_insert (budget->reservations, ticket, reservation);

  return budget->last_ticket;
}

void
sy_budget_settle (SyBudget *budget,
                  guint64   ticket,
                  double    actual_usd,
                  gint64    now_us)
{
  Reservation *reservation;
  double usd = sane_usd (actual_usd);

  g_return_if_fail (budget != NULL);

  reservation = g_hash_table_lookup (budget->reservations, &ticket);
  if (reservation == NULL)
    return;

  /* A request planned before midnight and finished after it costs today. */
  bucket_add (current_bucket (budget, SY_BUDGET_DAY, now_us, TRUE), reservation->profile, usd);
  bucket_add (current_bucket (budget, SY_BUDGET_MONTH, now_us, TRUE), reservation->profile, usd);

  g_hash_table_remove (budget->reservations, &ticket);
}
