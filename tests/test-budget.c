/* test-budget.c — SyBudget: seeding from history, local-time periods, reservations.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-test"

#include <math.h>
#include <glib/gstdio.h>

#include "sy-history.h"
#include "sy-planner.h"
#include "sy-test-util.h"

/* The whole program runs in a zone whose midnight is not UTC's, so every
 * period boundary below is a local one (set in main before any GTimeZone). */
#define TEST_ZONE "America/New_York"

typedef SyTestDbFixture Fixture;

/* µs since the epoch of a local wall-clock time. */
static gint64
local_us (int year,
          int month,
          int day,
          int hour,
          int minute)
{
  g_autoptr(GDateTime) dt = g_date_time_new_local (year, month, day, hour, minute, 0);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

/* Local midnight of the day (or the 1st) containing @now_us, computed here
 * independently of the code under test. */
static gint64
local_start (gint64   now_us,
             gboolean month)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);

  return local_us (g_date_time_get_year (now), g_date_time_get_month (now),
                   month ? 1 : g_date_time_get_day_of_month (now), 0, 0);
}

static void
settle_now (SyBudget   *budget,
            const char *profile,
            double      usd,
            gint64      now_us)
{
  guint64 ticket = sy_budget_reserve (budget, profile, usd, now_us);

  g_assert_cmpuint (ticket, !=, 0);
  sy_budget_settle (budget, ticket, usd, now_us);
}

/* ------------------------------------------------------------------ seeding */

static void
add_row (SyHistory  *history,
         guint      *n,
         gint64      started_at_us,
         const char *profile,
         double      cost)
{
  SyHistoryRecord *record = sy_history_record_new ();

  record->request_id = g_strdup_printf ("sy-budget-%u", (*n)++);
  record->started_at_us = started_at_us;
  record->surface = g_strdup ("chat.completions");
  record->profile = g_strdup (profile);
  record->provider = g_strdup ("openai");
  record->model = g_strdup ("gpt-test");
  record->status = 200;
  record->cost_known = cost >= 0;
  record->cost = cost >= 0 ? cost : 0;
  sy_history_record (history, record);
}

static void
test_seed (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(SyBudget) budget = NULL;
  gint64 now = g_get_real_time ();
  gint64 day_start = local_start (now, FALSE);
  gint64 month_start = local_start (now, TRUE);
  gint64 yesterday = day_start - G_TIME_SPAN_HOUR;
  gint64 next_month = local_start (month_start + 32 * G_TIME_SPAN_DAY, TRUE);
  gboolean yesterday_in_month = yesterday >= month_start;
  gboolean earlier_day = day_start > month_start;
  guint n = 0;

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);

  /* Today: 0.25 + 0.10 auto, 0.05 cheap, 0.01 without a profile, one unknown. */
  add_row (history, &n, day_start, "auto", 0.25);
  add_row (history, &n, day_start + G_USEC_PER_SEC, "auto", 0.10);
  add_row (history, &n, day_start + 2 * G_USEC_PER_SEC, "cheap", 0.05);
  add_row (history, &n, day_start + 3 * G_USEC_PER_SEC, NULL, 0.01);
  add_row (history, &n, day_start + 4 * G_USEC_PER_SEC, "auto", -1);
  /* Local yesterday, though the same UTC date as local midnight (05:00Z or
   * 04:00Z): only a local day boundary leaves it out of today. */
  add_row (history, &n, day_start - 1, "auto", 1.00);
  add_row (history, &n, yesterday, "cheap", 0.50);
  /* Earlier this month, when today is not the 1st. */
  if (earlier_day)
    add_row (history, &n, month_start, "cheap", 2.00);
  /* Last month and next month count nowhere. */
  add_row (history, &n, month_start - 1, "auto", 7.00);
  add_row (history, &n, month_start - 3 * G_TIME_SPAN_DAY, NULL, 9.00);
  add_row (history, &n, next_month, "auto", 11.00);
  sy_history_flush (history);

  budget = sy_budget_new ();
  g_assert_true (sy_budget_seed (budget, fixture->path, &error));
  g_assert_no_error (error);

  /* The seed reads the clock itself; a midnight between the two readings
   * would move every expectation. */
  if (local_start (g_get_real_time (), FALSE) != day_start)
    {
      g_test_skip ("the local day changed while seeding");
      return;
    }

  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.35);
  assert_usd (sy_budget_spent (budget, "cheap", SY_BUDGET_DAY, now), 0.05);
  assert_usd (sy_budget_spent (budget, "other", SY_BUDGET_DAY, now), 0);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 0.41);

  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, now),
              0.35 + (yesterday_in_month ? 1.00 : 0));
  assert_usd (sy_budget_spent (budget, "cheap", SY_BUDGET_MONTH, now),
              0.05 + (yesterday_in_month ? 0.50 : 0) + (earlier_day ? 2.00 : 0));
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, now),
              0.41 + (yesterday_in_month ? 1.50 : 0) + (earlier_day ? 2.00 : 0));

  /* Seeding again replaces what the history says rather than adding to it. */
  g_assert_true (sy_budget_seed (budget, fixture->path, &error));
  g_assert_no_error (error);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 0.41);

  /* Seeded spend rolls over like any other: tomorrow starts at nothing. */
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY,
                               local_start (day_start + 26 * G_TIME_SPAN_HOUR, FALSE)), 0);

  /* The seeds above ran while the writer still held the database open; after
   * it closed the file reads the same. */
  sy_history_close (history);
  g_clear_object (&history);
  g_clear_pointer (&budget, sy_budget_free);

  budget = sy_budget_new ();
  g_assert_true (sy_budget_seed (budget, fixture->path, &error));
  g_assert_no_error (error);
  if (local_start (g_get_real_time (), FALSE) == day_start)
    assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.35);
}

static void
test_seed_missing (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 now = g_get_real_time ();

  g_assert_true (sy_budget_seed (budget, fixture->path, &error));
  g_assert_no_error (error);
  /* Only read: no file appears. */
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 0);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, now), 0);
}

static void
test_seed_not_a_database (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 now = g_get_real_time ();
  guint64 ticket;

  g_assert_true (g_file_set_contents (fixture->path, "not a database, only text\n", -1, &error));
  g_assert_no_error (error);

  ticket = sy_budget_reserve (budget, "auto", 0.5, now);
  g_assert_false (sy_budget_seed (budget, fixture->path, &error));
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_IO_ERROR);

  /* A failed seed leaves the budget as it was. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.5);
  sy_budget_settle (budget, ticket, 0.25, now);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.25);
}

/* ------------------------------------------------------------------ periods */

static void
test_zone_in_effect (void)
{
  /* Guards the tests below: without zone data they would prove nothing. */
  g_autoptr(GDateTime) winter = g_date_time_new_local (2026, 1, 15, 12, 0, 0);
  g_autoptr(GDateTime) summer = g_date_time_new_local (2026, 7, 15, 12, 0, 0);

  g_assert_cmpint (g_date_time_get_utc_offset (winter), ==, -5 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (g_date_time_get_utc_offset (summer), ==, -4 * G_TIME_SPAN_HOUR);
}

static void
test_day_rollover (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 evening = local_us (2026, 3, 10, 19, 30);     /* 23:30Z */
  gint64 late = local_us (2026, 3, 10, 23, 0);         /* 03:00Z on the 11th */
  gint64 midnight = local_us (2026, 3, 11, 0, 0);      /* 04:00Z on the 11th */

  settle_now (budget, "auto", 0.25, evening);
  settle_now (budget, NULL, 0.05, evening);

  /* The UTC date changed between these, the local one did not. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, late), 0.25);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, late), 0.30);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, midnight - 1), 0.25);

  /* Local midnight: a new day, the same month. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, midnight), 0);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, midnight), 0);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, midnight), 0.25);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, midnight), 0.30);

  /* The new day fills on its own; the month keeps adding. */
  settle_now (budget, "auto", 0.10, midnight + G_TIME_SPAN_MINUTE);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, midnight + G_TIME_SPAN_HOUR), 0.10);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, midnight + G_TIME_SPAN_HOUR), 0.35);

  /* Two days on, both earlier days are gone. */
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, local_us (2026, 3, 12, 9, 0)), 0);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, local_us (2026, 3, 12, 9, 0)), 0.40);
}

static void
test_utc_midnight_is_not_a_boundary (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 utc_midnight = local_us (2026, 3, 10, 20, 0);   /* 00:00Z on the 11th */

  g_assert_cmpint (utc_midnight % G_TIME_SPAN_DAY, ==, 0);

  settle_now (budget, "auto", 0.20, utc_midnight - G_TIME_SPAN_MINUTE);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, utc_midnight + G_TIME_SPAN_MINUTE), 0.20);
  settle_now (budget, "auto", 0.30, utc_midnight + G_TIME_SPAN_MINUTE);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, utc_midnight + G_TIME_SPAN_HOUR), 0.50);
}

static void
test_month_rollover (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 last_evening = local_us (2026, 1, 31, 18, 0);
  gint64 utc_first = local_us (2026, 1, 31, 19, 30);     /* 00:30Z on Feb 1 */
  gint64 first = local_us (2026, 2, 1, 0, 0);            /* 05:00Z */

  settle_now (budget, "auto", 3.00, last_evening);
  settle_now (budget, "cheap", 0.75, last_evening);

  /* February in UTC, still January here. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, utc_first), 3.00);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, utc_first), 3.75);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, first - 1), 3.75);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, first - 1), 3.75);

  /* Local midnight on the 1st starts both a day and a month. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, first), 0);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, first), 0);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, first), 0);

  settle_now (budget, "auto", 1.25, local_us (2026, 2, 14, 12, 0));
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, local_us (2026, 2, 28, 23, 59)), 1.25);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, local_us (2026, 2, 28, 23, 59)), 0);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, local_us (2026, 3, 1, 0, 0)), 0);
}

static void
test_dst_days (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  /* 2026-03-08 has 23 hours here, 2026-11-01 has 25. */
  gint64 spring = local_us (2026, 3, 8, 0, 10);
  gint64 fall = local_us (2026, 11, 1, 0, 10);

  g_assert_cmpint (local_us (2026, 3, 9, 0, 0) - local_us (2026, 3, 8, 0, 0), ==, 23 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (local_us (2026, 11, 2, 0, 0) - local_us (2026, 11, 1, 0, 0), ==, 25 * G_TIME_SPAN_HOUR);

  settle_now (budget, "auto", 0.40, spring);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, local_us (2026, 3, 8, 23, 50)), 0.40);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, local_us (2026, 3, 9, 0, 0)), 0);

  /* 24 h 40 min after the spend and still the same local day. */
  settle_now (budget, "auto", 0.60, fall);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, local_us (2026, 11, 1, 23, 50)), 0.60);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, local_us (2026, 11, 2, 0, 0)), 0);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, local_us (2026, 11, 30, 23, 59)), 0.60);
}

/* A zone east of UTC with a half-hour offset, in a child process that sets its
 * own TZ: the periods follow whatever the local zone is. */
static void
test_other_zone (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(SyBudget) budget = NULL;
      gint64 before;
      gint64 after;

      g_setenv ("TZ", "Asia/Kolkata", TRUE);
      before = local_us (2026, 5, 10, 23, 50);   /* 18:20Z */
      after = local_us (2026, 5, 11, 0, 10);     /* 18:40Z, same UTC day */
      g_assert_cmpint (after - before, ==, 20 * G_TIME_SPAN_MINUTE);
      g_assert_cmpint (local_us (2026, 5, 11, 0, 0) % G_TIME_SPAN_DAY, ==,
                       G_TIME_SPAN_DAY - 5 * G_TIME_SPAN_HOUR - 30 * G_TIME_SPAN_MINUTE);

      budget = sy_budget_new ();
      settle_now (budget, "auto", 0.15, before);
      assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, before + G_TIME_SPAN_MINUTE), 0.15);
      assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, after), 0);
      assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, after), 0.15);

      /* The 1st of June, 00:10 IST, is still May 31 in UTC. */
      assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, local_us (2026, 6, 1, 0, 10)), 0);
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------- reservations */

static void
test_reservations_visible (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 now = local_us (2026, 4, 20, 10, 0);
  guint64 a;
  guint64 b;

  a = sy_budget_reserve (budget, "auto", 0.50, now);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.50);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, now), 0.50);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 0.50);
  assert_usd (sy_budget_spent (budget, "cheap", SY_BUDGET_DAY, now), 0);

  /* Without a profile it weighs on the overall total alone. */
  b = sy_budget_reserve (budget, NULL, 0.20, now);
  g_assert_cmpuint (b, !=, a);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 0.70);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.50);

  /* Settling replaces the estimate by the actual cost, up or down. */
  sy_budget_settle (budget, a, 0.30, now + G_TIME_SPAN_SECOND);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now + G_TIME_SPAN_SECOND), 0.30);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now + G_TIME_SPAN_SECOND), 0.50);

  sy_budget_settle (budget, b, 0.45, now + 2 * G_TIME_SPAN_SECOND);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now + 2 * G_TIME_SPAN_SECOND), 0.75);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, now + 2 * G_TIME_SPAN_SECOND), 0.75);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now + 2 * G_TIME_SPAN_SECOND), 0.30);
}

static void
test_failed_and_unknown_costs (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 now = local_us (2026, 4, 20, 10, 0);
  guint64 a = sy_budget_reserve (budget, "auto", 1.00, now);
  guint64 b = sy_budget_reserve (budget, "auto", -1, now);
  guint64 c = sy_budget_reserve (budget, "auto", NAN, now);

  /* An unknown estimate holds nothing but still gets a ticket. */
  g_assert_cmpuint (b, !=, 0);
  g_assert_cmpuint (c, !=, 0);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 1.00);

  /* A failed request costs 0: the estimate is released, nothing recorded. */
  sy_budget_settle (budget, a, 0, now);
  sy_budget_settle (budget, b, -1, now);
  sy_budget_settle (budget, c, NAN, now);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, now), 0);
}

static void
test_interleaved (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 now = local_us (2026, 4, 20, 10, 0);
  guint64 a;
  guint64 b;

  /* Two requests planned in parallel see each other's estimates. */
  a = sy_budget_reserve (budget, "auto", 0.40, now);
  b = sy_budget_reserve (budget, "auto", 0.60, now);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 1.00);

  /* They finish in the other order. */
  sy_budget_settle (budget, b, 0.55, now + 1);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now + 1), 0.95);
  sy_budget_settle (budget, a, 0.35, now + 2);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now + 2), 0.90);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now + 2), 0.90);

  /* A second settle of either is a no-op. */
  sy_budget_settle (budget, a, 0.35, now + 3);
  sy_budget_settle (budget, b, 5.00, now + 3);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now + 3), 0.90);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, now + 3), 0.90);
}

/* Random reserve/settle sequences against a plain ledger: recorded plus
 * outstanding, never a cost counted twice. */
static void
test_random_sequences (void)
{
  const char *profiles[] = { "auto", "cheap", NULL };
  gint64 now = local_us (2026, 4, 20, 10, 0);

  for (guint round = 0; round < 50; round++)
    {
      g_autoptr(SyBudget) budget = sy_budget_new ();
      g_autoptr(GArray) open = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr(GHashTable) estimates = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
      g_autoptr(GHashTable) owners = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
      g_autoptr(GArray) settled = g_array_new (FALSE, FALSE, sizeof (guint64));
      double recorded[3] = { 0, 0, 0 };

      for (guint step = 0; step < 200; step++)
        {
          double outstanding[3] = { 0, 0, 0 };
          double total;
          guint choice = g_test_rand_int_range (0, 10);

          if (choice < 5 || open->len == 0)
            {
              int p = g_test_rand_int_range (0, 3);
              double cents = g_test_rand_int_range (0, 500) / 100.0;
              guint64 ticket = sy_budget_reserve (budget, profiles[p], cents, now);

              g_assert_cmpuint (ticket, !=, 0);
              g_assert_false (g_hash_table_contains (estimates, &ticket));
              g_array_append_val (open, ticket);
              g_hash_table_insert (estimates, g_memdup2 (&ticket, sizeof ticket),
                                   g_memdup2 (&cents, sizeof cents));
              g_hash_table_insert (owners, g_memdup2 (&ticket, sizeof ticket), GINT_TO_POINTER (p));
            }
          else if (choice < 9)
            {
              guint i = g_test_rand_int_range (0, open->len);
              guint64 ticket = g_array_index (open, guint64, i);
              int p = GPOINTER_TO_INT (g_hash_table_lookup (owners, &ticket));
              double cents = g_test_rand_int_range (0, 500) / 100.0;

              sy_budget_settle (budget, ticket, cents, now);
              recorded[p] += cents;
              g_array_remove_index_fast (open, i);
              g_array_append_val (settled, ticket);
            }
          else if (settled->len > 0)
            {
              guint i = g_test_rand_int_range (0, settled->len);

              /* Again: must change nothing. */
              sy_budget_settle (budget, g_array_index (settled, guint64, i), 9.99, now);
            }

          for (guint i = 0; i < open->len; i++)
            {
              guint64 ticket = g_array_index (open, guint64, i);
              int p = GPOINTER_TO_INT (g_hash_table_lookup (owners, &ticket));

              outstanding[p] += *(double *) g_hash_table_lookup (estimates, &ticket);
            }

          assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), recorded[0] + outstanding[0]);
          assert_usd (sy_budget_spent (budget, "cheap", SY_BUDGET_MONTH, now), recorded[1] + outstanding[1]);
          total = recorded[0] + recorded[1] + recorded[2] + outstanding[0] + outstanding[1] + outstanding[2];
          assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), total);
          assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, now), total);
        }
    }
}

static void
test_settle_after_midnight (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 yesterday = local_us (2026, 6, 14, 23, 50);
  gint64 today = local_us (2026, 6, 15, 0, 20);
  guint64 ticket = sy_budget_reserve (budget, "auto", 1.00, yesterday);

  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, yesterday), 1.00);
  /* Still outstanding after midnight: it will be settled today. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, today - G_TIME_SPAN_MINUTE), 1.00);

  sy_budget_settle (budget, ticket, 0.40, today);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, today), 0.40);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, today), 0.40);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, today), 0.40);
  /* Nothing of it landed in yesterday. */
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, yesterday), 0);

  /* Across a month end it counts in the new month. */
  ticket = sy_budget_reserve (budget, "auto", 2.00, local_us (2026, 6, 30, 23, 59));
  sy_budget_settle (budget, ticket, 1.50, local_us (2026, 7, 1, 0, 1));
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, local_us (2026, 7, 1, 0, 2)), 1.50);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_MONTH, local_us (2026, 6, 30, 23, 59)), 0.40);
}

static void
test_unknown_ticket (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  gint64 now = local_us (2026, 4, 20, 10, 0);
  guint64 ticket = sy_budget_reserve (budget, "auto", 0.25, now);

  sy_budget_settle (budget, 0, 3.00, now);
  sy_budget_settle (budget, ticket + 1000, 3.00, now);
  sy_budget_settle (budget, G_MAXUINT64, 3.00, now);
  assert_usd (sy_budget_spent (budget, "auto", SY_BUDGET_DAY, now), 0.25);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_MONTH, now), 0.25);

  sy_budget_settle (budget, ticket, 0.20, now);
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 0.20);
}

static void
test_tickets_unique (void)
{
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gint64 now = local_us (2026, 4, 20, 10, 0);

  for (guint i = 0; i < 2000; i++)
    {
      guint64 ticket = sy_budget_reserve (budget, i % 2 ? "auto" : NULL, 0.01, now);

      g_assert_cmpuint (ticket, !=, 0);
      g_assert_true (g_hash_table_add (seen, g_memdup2 (&ticket, sizeof ticket)));
      /* Settled tickets are not handed out again either. */
      if (i % 3 == 0)
        sy_budget_settle (budget, ticket, 0.01, now);
    }
  assert_usd (sy_budget_spent (budget, NULL, SY_BUDGET_DAY, now), 20.00);
}

/* The thresholds a request reached, from its route explanation: the highest one
 * per cap, 100 % when refused, keyed by local day or month so that a caller warns
 * once per period. */
static void
test_alerts (void)
{
  g_autoptr(GTimeZone) paris = g_time_zone_new_identifier ("Europe/Paris");
  /* 2026-11-27 23:30 in Paris is 22:30 UTC. */
  g_autoptr(GDateTime) when = g_date_time_new (paris, 2026, 11, 27, 23, 30, 0);
  gint64 now = g_date_time_to_unix (when) * G_USEC_PER_SEC;
  const char *route =
    "{\"profile\":\"auto\",\"budget\":["
    "{\"scope\":\"auto\",\"period\":\"daily\",\"cap\":1.0,\"spent\":0.40,\"estimate\":0.15,\"result\":\"ok\"},"
    "{\"scope\":\"overall\",\"period\":\"monthly\",\"cap\":10.0,\"spent\":8.5,\"estimate\":0.1,\"result\":\"notice\"},"
    "{\"scope\":\"cheap\",\"period\":\"daily\",\"cap\":1.0,\"spent\":0.1,\"estimate\":0.1,\"result\":\"ok\"},"
    "{\"scope\":\"work\",\"period\":\"daily\",\"cap\":1.0,\"spent\":0.99,\"estimate\":0.05,\"result\":\"over\"}]}";
  g_autoptr(GPtrArray) alerts = sy_budget_alerts (route, now, paris);
  g_autoptr(GPtrArray) none = sy_budget_alerts ("{\"budget\":[]}", now, paris);
  g_autoptr(GPtrArray) broken = sy_budget_alerts ("{not json", now, paris);
  g_autoptr(GPtrArray) missing = sy_budget_alerts (NULL, now, paris);
  SyBudgetAlert *alert;

  g_assert_cmpuint (alerts->len, ==, 3);   /* "cheap" at 20 % warns of nothing */
  alert = g_ptr_array_index (alerts, 0);
  g_assert_cmpint (alert->threshold, ==, 50);
  g_assert_cmpfloat_with_epsilon (alert->percent, 55, 1e-9);
  g_assert_cmpstr (alert->key, ==, "auto|daily|2026-11-27|50");   /* the local day, not UTC's */
  alert = g_ptr_array_index (alerts, 1);
  g_assert_cmpint (alert->threshold, ==, 80);
  g_assert_cmpstr (alert->key, ==, "overall|monthly|2026-11|80");
  alert = g_ptr_array_index (alerts, 2);
  g_assert_cmpint (alert->threshold, ==, 100);
  g_assert_cmpstr (alert->scope, ==, "work");
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (broken->len, ==, 0);
  g_assert_cmpuint (missing->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  /* Before anything can create a GTimeZone. */
  g_setenv ("TZ", TEST_ZONE, TRUE);

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, sy_test_db_fixture_setup, func, sy_test_db_fixture_teardown)

  ADD ("/budget/seed", test_seed);
  ADD ("/budget/seed-missing", test_seed_missing);
  ADD ("/budget/seed-not-a-database", test_seed_not_a_database);

#undef ADD

  g_test_add_func ("/budget/zone-in-effect", test_zone_in_effect);
  g_test_add_func ("/budget/day-rollover", test_day_rollover);
  g_test_add_func ("/budget/utc-midnight", test_utc_midnight_is_not_a_boundary);
  g_test_add_func ("/budget/month-rollover", test_month_rollover);
  g_test_add_func ("/budget/dst-days", test_dst_days);
  g_test_add_func ("/budget/other-zone", test_other_zone);
  g_test_add_func ("/budget/reservations-visible", test_reservations_visible);
  g_test_add_func ("/budget/failed-and-unknown-costs", test_failed_and_unknown_costs);
  g_test_add_func ("/budget/interleaved", test_interleaved);
  g_test_add_func ("/budget/random-sequences", test_random_sequences);
  g_test_add_func ("/budget/settle-after-midnight", test_settle_after_midnight);
  g_test_add_func ("/budget/unknown-ticket", test_unknown_ticket);
  g_test_add_func ("/budget/tickets-unique", test_tickets_unique);
  g_test_add_func ("/budget/alerts", test_alerts);

  return g_test_run ();
}
