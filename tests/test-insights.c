/* test-insights.c — Dashboard aggregates, export and import over generated histories.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-test"

#include <math.h>
#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-history.h"
#include "sy-insights.h"
#include "sy-test-util.h"

typedef SyTestDbFixture Fixture;

static guint n_requests;

static GTimeZone *
zone (const char *identifier)
{
  GTimeZone *tz = g_time_zone_new_identifier (identifier);

  g_assert_nonnull (tz);
  return tz;
}

/* µs since the epoch of a wall-clock time in @tz (not an ambiguous one). */
static gint64
at (GTimeZone *tz,
    int        year,
    int        month,
    int        day,
    int        hour,
    int        minute)
{
  g_autoptr(GDateTime) dt = g_date_time_new (tz, year, month, day, hour, minute, 0);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static gint64
utc (int year,
     int month,
     int day,
     int hour,
     int minute)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();

  return at (tz, year, month, day, hour, minute);
}

/* A successful request with 100 prompt and 20 completion tokens; @cost < 0 is
 * unknown. @provider NULL: refused before routing. */
static SyHistoryRecord *
request_new (gint64      started_at_us,
             const char *provider,
             const char *model,
             int         status,
             double      cost)
{
  SyHistoryRecord *record = sy_history_record_new ();

  record->request_id = g_strdup_printf ("sy-insights-%u", n_requests++);
  record->started_at_us = started_at_us;
  record->surface = g_strdup ("chat.completions");
  record->requested_model = provider != NULL ? g_strdup_printf ("%s/%s", provider, model)
                                             : g_strdup ("nowhere/none");
  record->provider = g_strdup (provider);
  record->model = g_strdup (model);
  record->status = status;
  record->cost_known = cost >= 0;
  record->cost = MAX (cost, 0);
  record->prompt_tokens = 100;
  record->completion_tokens = 20;
  record->total_ms = 1000;
  return record;
}

static SyHistory *
open_history (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  SyHistory *history = sy_history_new (fixture->path, &error);

  g_assert_no_error (error);
  return history;
}

static void
add (SyHistory  *history,
     gint64      started_at_us,
     const char *provider,
     const char *model,
     int         status,
     double      cost)
{
  sy_history_record (history, request_new (started_at_us, provider, model, status, cost));
}

static GPtrArray *
spend (Fixture         *fixture,
       gint64           from_us,
       gint64           to_us,
       GTimeZone       *tz,
       SyInsightsGroup  group)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = sy_insights_spend_per_day (fixture->path, from_us, to_us, tz, group, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rows);
  return rows;
}

static const SySpendRow *
spend_row (GPtrArray *rows,
           guint      i)
{
  g_assert_cmpuint (i, <, rows->len);
  return g_ptr_array_index (rows, i);
}

static void
assert_spend (const SySpendRow *row,
              const char       *day,
              const char       *group,
              double            cost,
              gint64            requests,
              gint64            unpriced)
{
  g_assert_cmpstr (row->day, ==, day);
  g_assert_cmpstr (row->group, ==, group);
  assert_usd (row->cost, cost);
  g_assert_cmpint (row->requests, ==, requests);
  g_assert_cmpint (row->unpriced, ==, unpriced);
}

/* ------------------------------------------------------------------ empty */

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(GError) error = NULL;

  /* No file at all, then a history that was created but holds nothing. */
  for (guint pass = 0; pass < 2; pass++)
    {
      g_autoptr(GPtrArray) rows = NULL;
      g_autoptr(GPtrArray) latency = NULL;
      g_autoptr(GPtrArray) errors = NULL;
      g_autoptr(GArray) hours = NULL;
      g_autoptr(SyInsightsTotals) totals = NULL;
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
      g_autoptr(GBytes) bytes = NULL;
      gint64 n_rows = -1;

      if (pass == 1)
        {
          g_autoptr(SyHistory) history = open_history (fixture);

          sy_history_close (history);
        }
      else
        g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

      for (SyInsightsGroup group = SY_INSIGHTS_BY_MODEL; group <= SY_INSIGHTS_BY_PROFILE; group++)
        {
          g_autoptr(GPtrArray) grouped = spend (fixture, ALL_FROM, ALL_TO, tz, group);

          g_assert_cmpuint (grouped->len, ==, 0);
        }
      rows = spend (fixture, ALL_FROM, ALL_TO, NULL, SY_INSIGHTS_BY_MODEL);
      g_assert_cmpuint (rows->len, ==, 0);

      totals = sy_insights_totals (fixture->path, ALL_FROM, ALL_TO, utc (2025, 5, 5, 12, 0),
                                   tz, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (totals);
      g_assert_cmpint (totals->requests, ==, 0);
      g_assert_cmpfloat (totals->month, ==, 0);
      g_assert_cmpfloat (totals->projected_month, ==, 0);
      g_assert_null (totals->cheapest);
      g_assert_null (totals->most_expensive);

      latency = sy_insights_latency (fixture->path, ALL_FROM, ALL_TO, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (latency->len, ==, 0);
      errors = sy_insights_error_rates (fixture->path, ALL_FROM, ALL_TO, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (errors->len, ==, 0);
      hours = sy_insights_requests_per_hour (fixture->path, ALL_FROM, ALL_TO, tz, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (hours->len, ==, 0);

      g_assert_true (sy_insights_export (fixture->path, ALL_FROM, ALL_TO, SY_EXPORT_JSON_LINES,
                                         TRUE, out, &n_rows, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (n_rows, ==, 0);
      g_assert_true (g_output_stream_close (out, NULL, NULL));
      bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
      g_assert_cmpuint (g_bytes_get_size (bytes), ==, 0);
    }

  /* Not a history: an error, not an empty result. */
  g_assert_true (g_file_set_contents (fixture->path, "plain text, not SQLite at all", -1, NULL));
  g_assert_null (sy_insights_spend_per_day (fixture->path, ALL_FROM, ALL_TO, tz,
                                            SY_INSIGHTS_BY_MODEL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* ----------------------------------------------------------- spend per day */

static void
test_exact_cents (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) rows = NULL;
  gint64 noon = utc (2025, 6, 2, 12, 0);

  /* 1000 × 1 ¢ and 1000 × ½ ¢ on one model, 333 × 0.1 ¢ and 7 unknown on another. */
  for (guint i = 0; i < 1000; i++)
    {
      add (history, noon + i * G_USEC_PER_SEC, "openai", "gpt-a", 200, 0.01);
      add (history, noon + i * G_USEC_PER_SEC, "openai", "gpt-a", 200, 0.005);
    }
  for (guint i = 0; i < 333; i++)
    add (history, noon - i * G_USEC_PER_SEC, "openai", "gpt-b", 200, 0.001);
  for (guint i = 0; i < 7; i++)
    add (history, noon, "openai", "gpt-b", 200, -1);
  sy_history_close (history);

  rows = spend (fixture, ALL_FROM, ALL_TO, tz, SY_INSIGHTS_BY_MODEL);
  g_assert_cmpuint (rows->len, ==, 2);
  assert_spend (spend_row (rows, 0), "2025-06-02", "openai/gpt-a", 15.00, 2000, 0);
  assert_spend (spend_row (rows, 1), "2025-06-02", "openai/gpt-b", 0.333, 340, 7);
  g_assert_cmpint (spend_row (rows, 0)->prompt_tokens, ==, 200000);
  g_assert_cmpint (spend_row (rows, 0)->completion_tokens, ==, 40000);
  g_assert_cmpint (spend_row (rows, 1)->prompt_tokens, ==, 34000);
  g_assert_cmpint (spend_row (rows, 0)->day_start_us, ==, utc (2025, 6, 2, 0, 0));
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = spend (fixture, ALL_FROM, ALL_TO, tz, SY_INSIGHTS_BY_PROVIDER);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_spend (spend_row (rows, 0), "2025-06-02", "openai", 15.333, 2340, 7);
}

/* 23:30 and 00:30 local are two days in New York and one day in UTC. */
static void
test_day_boundaries (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GTimeZone) ny = zone ("America/New_York");
  g_autoptr(GTimeZone) tz_utc = g_time_zone_new_utc ();
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) rows = NULL;

  add (history, at (ny, 2025, 1, 15, 21, 0), "openai", "gpt-a", 200, 0.001);
  add (history, at (ny, 2025, 1, 15, 22, 30), "openai", "gpt-a", 200, 0.01);
  add (history, at (ny, 2025, 1, 15, 23, 30), "openai", "gpt-a", 200, 0.02);
  add (history, at (ny, 2025, 1, 16, 0, 30), "openai", "gpt-a", 200, 0.04);
  add (history, at (ny, 2025, 1, 16, 1, 30), "openai", "gpt-a", 200, 0.08);
  add (history, at (ny, 2025, 1, 16, 2, 30), "openai", "gpt-a", 200, 0.16);
  sy_history_close (history);

  rows = spend (fixture, ALL_FROM, ALL_TO, ny, SY_INSIGHTS_BY_MODEL);
  g_assert_cmpuint (rows->len, ==, 2);
  assert_spend (spend_row (rows, 0), "2025-01-15", "openai/gpt-a", 0.031, 3, 0);
  assert_spend (spend_row (rows, 1), "2025-01-16", "openai/gpt-a", 0.28, 3, 0);
  g_assert_cmpint (spend_row (rows, 0)->day_start_us, ==, at (ny, 2025, 1, 15, 0, 0));
  g_assert_cmpint (spend_row (rows, 1)->day_start_us, ==, at (ny, 2025, 1, 16, 0, 0));
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* In UTC everything from 21:00 New York time on is the 16th. */
  rows = spend (fixture, ALL_FROM, ALL_TO, tz_utc, SY_INSIGHTS_BY_MODEL);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_spend (spend_row (rows, 0), "2025-01-16", "openai/gpt-a", 0.311, 6, 0);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* A range from 22:00 to 02:00 crosses midnight: two partial days, the first
   * starting at the range, and nothing outside it. */
  rows = spend (fixture, at (ny, 2025, 1, 15, 22, 0), at (ny, 2025, 1, 16, 2, 0), ny,
                SY_INSIGHTS_BY_MODEL);
  g_assert_cmpuint (rows->len, ==, 2);
  assert_spend (spend_row (rows, 0), "2025-01-15", "openai/gpt-a", 0.03, 2, 0);
  assert_spend (spend_row (rows, 1), "2025-01-16", "openai/gpt-a", 0.12, 2, 0);
  g_assert_cmpint (spend_row (rows, 0)->day_start_us, ==, at (ny, 2025, 1, 15, 22, 0));
  g_assert_cmpint (spend_row (rows, 1)->day_start_us, ==, at (ny, 2025, 1, 16, 0, 0));
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* The end of a range is excluded. */
  rows = spend (fixture, at (ny, 2025, 1, 15, 22, 30), at (ny, 2025, 1, 15, 23, 30), ny,
                SY_INSIGHTS_BY_MODEL);
  g_assert_cmpuint (rows->len, ==, 1);
  assert_spend (spend_row (rows, 0), "2025-01-15", "openai/gpt-a", 0.01, 1, 0);
}

/* Paris: 30 March 2025 has 23 hours, 26 October 2025 has 25. */
static void
test_dst_days (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GTimeZone) paris = zone ("Europe/Paris");
  g_autoptr(GTimeZone) tz_utc = g_time_zone_new_utc ();
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) rows = NULL;

  add (history, at (paris, 2025, 3, 29, 23, 59), "openai", "gpt-a", 200, 0.5);
  add (history, at (paris, 2025, 3, 30, 0, 30), "openai", "gpt-a", 200, 0.01);
  add (history, at (paris, 2025, 3, 30, 1, 59), "openai", "gpt-a", 200, 0.01);
  add (history, at (paris, 2025, 3, 30, 3, 0), "openai", "gpt-a", 200, 0.01);
  add (history, at (paris, 2025, 3, 30, 23, 59), "openai", "gpt-a", 200, 0.01);
  add (history, at (paris, 2025, 3, 31, 0, 0), "openai", "gpt-a", 200, 0.2);
  /* 02:30 twice on 26 October: 00:30 and 01:30 UTC. */
  add (history, at (paris, 2025, 10, 26, 0, 0), "openai", "gpt-a", 200, 0.001);
  add (history, utc (2025, 10, 26, 0, 30), "openai", "gpt-a", 200, 0.001);
  add (history, utc (2025, 10, 26, 1, 30), "openai", "gpt-a", 200, 0.001);
  add (history, at (paris, 2025, 10, 26, 23, 59), "openai", "gpt-a", 200, 0.001);
  add (history, at (paris, 2025, 10, 27, 0, 0), "openai", "gpt-a", 200, 0.3);
  sy_history_close (history);

  rows = spend (fixture, ALL_FROM, ALL_TO, paris, SY_INSIGHTS_BY_PROVIDER);
  g_assert_cmpuint (rows->len, ==, 5);
  assert_spend (spend_row (rows, 0), "2025-03-29", "openai", 0.5, 1, 0);
  assert_spend (spend_row (rows, 1), "2025-03-30", "openai", 0.04, 4, 0);
  assert_spend (spend_row (rows, 2), "2025-03-31", "openai", 0.2, 1, 0);
  assert_spend (spend_row (rows, 3), "2025-10-26", "openai", 0.004, 4, 0);
  assert_spend (spend_row (rows, 4), "2025-10-27", "openai", 0.3, 1, 0);
  g_assert_cmpint (spend_row (rows, 2)->day_start_us - spend_row (rows, 1)->day_start_us,
                   ==, 23 * G_TIME_SPAN_HOUR);
  g_assert_cmpint (spend_row (rows, 4)->day_start_us - spend_row (rows, 3)->day_start_us,
                   ==, 25 * G_TIME_SPAN_HOUR);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* In UTC the Paris midnights are the evening before. */
  rows = spend (fixture, ALL_FROM, ALL_TO, tz_utc, SY_INSIGHTS_BY_PROVIDER);
  g_assert_cmpuint (rows->len, ==, 4);
  assert_spend (spend_row (rows, 0), "2025-03-29", "openai", 0.51, 2, 0);
  assert_spend (spend_row (rows, 1), "2025-03-30", "openai", 0.23, 4, 0);
  assert_spend (spend_row (rows, 2), "2025-10-25", "openai", 0.001, 1, 0);
  assert_spend (spend_row (rows, 3), "2025-10-26", "openai", 0.303, 4, 0);
}

static void
test_group_by (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(SyHistory) history = open_history (fixture);
  gint64 t = utc (2025, 4, 1, 9, 0);
  SyHistoryRecord *record;
  struct {
    SyInsightsGroup group;
    struct { const char *name; double cost; gint64 requests, unpriced, prompt; } rows[4];
  } cases[] = {
    { SY_INSIGHTS_BY_MODEL, { { "anthropic/claude", 0.04, 2, 1, 300 },
                              { "openai/gpt-a", 0.01, 1, 0, 100 },
                              { "openai/gpt-b", 0.02, 1, 0, 100 },
                              { NULL, 0, 1, 1, 100 } } },
    { SY_INSIGHTS_BY_PROVIDER, { { "anthropic", 0.04, 2, 1, 300 }, { "openai", 0.03, 2, 0, 200 },
                                 { NULL, 0, 1, 1, 100 } } },
    { SY_INSIGHTS_BY_CLIENT, { { "cli-1", 0.05, 2, 0, 200 }, { "cli-2", 0.02, 2, 1, 200 },
                               { NULL, 0, 1, 1, 200 } } },
    { SY_INSIGHTS_BY_PROFILE, { { "auto", 0.05, 2, 0, 200 }, { "fast", 0, 1, 1, 200 },
                                { NULL, 0.02, 2, 1, 200 } } },
  };

  record = request_new (t, "openai", "gpt-a", 200, 0.01);
  record->client = g_strdup ("cli-1");
  record->profile = g_strdup ("auto");
  sy_history_record (history, record);
  record = request_new (t, "openai", "gpt-b", 200, 0.02);
  record->client = g_strdup ("cli-2");
  sy_history_record (history, record);
  record = request_new (t, "anthropic", "claude", 200, 0.04);
  record->client = g_strdup ("cli-1");
  record->profile = g_strdup ("auto");
  sy_history_record (history, record);
  record = request_new (t, "anthropic", "claude", 200, -1);
  record->profile = g_strdup ("fast");
  record->prompt_tokens = 200;
  sy_history_record (history, record);
  record = request_new (t, NULL, NULL, 400, -1);
  record->client = g_strdup ("cli-2");
  sy_history_record (history, record);
  sy_history_close (history);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GPtrArray) rows = spend (fixture, ALL_FROM, ALL_TO, tz, cases[c].group);
      guint n = 0;

      while (n < G_N_ELEMENTS (cases[c].rows) && cases[c].rows[n].requests > 0)
        n++;
      g_test_message ("group %d", cases[c].group);
      g_assert_cmpuint (rows->len, ==, n);
      for (guint i = 0; i < n; i++)
        {
          assert_spend (spend_row (rows, i), "2025-04-01", cases[c].rows[i].name,
                        cases[c].rows[i].cost, cases[c].rows[i].requests,
                        cases[c].rows[i].unpriced);
          g_assert_cmpint (spend_row (rows, i)->prompt_tokens, ==, cases[c].rows[i].prompt);
        }
    }
}

/* ------------------------------------------------------------------ totals */

static SyConfig *
load_config (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = sy_catalog_new_default (&error);
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  SyConfig *config;

  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (path,
    "{\"server\":{\"token\":\"sy-test\"},"
    "\"prices\":{\"openai/cache-test\":{\"input\":1.0,\"output\":2.0,\"cached_input\":0.25},"
    "\"openai/no-discount\":{\"input\":1.0,\"output\":2.0}}}", -1, NULL));
  config = sy_config_load (path, catalog, &error);
  g_assert_no_error (error);
  return config;
}

static void
test_totals (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GTimeZone) paris = zone ("Europe/Paris");
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(SyInsightsTotals) totals = NULL;
  g_autoptr(SyConfig) config = load_config (fixture->dir);
  g_autoptr(GError) error = NULL;
  /* Wednesday 2 April 2025: the ISO week began on Monday 31 March, last month. */
  gint64 now = at (paris, 2025, 4, 2, 15, 0);
  SyHistoryRecord *record;
  double month_fraction;

  add (history, at (paris, 2025, 3, 30, 23, 59), "openai", "gpt-a", 200, 1.00);   /* last week */
  add (history, at (paris, 2025, 3, 31, 0, 1), "openai", "gpt-a", 200, 0.10);     /* this week */
  add (history, at (paris, 2025, 4, 1, 0, 0), "openai", "gpt-a", 200, 0.02);      /* this month */
  add (history, at (paris, 2025, 4, 1, 23, 59), "openai", "gpt-a", 200, 0.005);
  add (history, at (paris, 2025, 4, 2, 0, 0), "openai", "gpt-b", 200, 0.003);     /* today */
  add (history, at (paris, 2025, 4, 2, 14, 0), "openai", "gpt-b", 200, 0.004);
  add (history, at (paris, 2025, 4, 2, 14, 30), "local", "llama", 200, -1);
  add (history, at (paris, 2025, 5, 1, 12, 0), "openai", "gpt-a", 200, 9.00);     /* next month */

  /* Cache reads: 1 M priced at 1.00 − 0.25 a million, 0.5 M with no discount,
   * and 2 M of a model with no price. */
  record = request_new (at (paris, 2025, 4, 2, 10, 0), "openai", "cache-test", 200, 0);
  record->cached_tokens = 1000000;
  sy_history_record (history, record);
  record = request_new (at (paris, 2025, 4, 2, 10, 0), "openai", "no-discount", 200, -1);
  record->cached_tokens = 500000;
  sy_history_record (history, record);
  record = request_new (at (paris, 2025, 4, 2, 10, 0), "local", "llama", 200, -1);
  record->cached_tokens = 2000000;
  sy_history_record (history, record);
  sy_history_close (history);

  totals = sy_insights_totals (fixture->path, at (paris, 2025, 3, 31, 0, 0), now, now, paris,
                               config, &error);
  g_assert_no_error (error);
  assert_usd (totals->today, 0.007);
  assert_usd (totals->week, 0.132);
  assert_usd (totals->month, 0.032);
  /* April has 30 days; 1 day 15 hours of it had gone (no DST change in it). */
  month_fraction = (24.0 + 15.0) / (30 * 24.0);
  assert_usd (totals->projected_month, 0.032 / month_fraction);

  /* The range is this week up to now: 2 + 1 + 1 + 3 cache rows. */
  g_assert_cmpint (totals->requests, ==, 9);
  g_assert_cmpint (totals->unpriced, ==, 3);
  assert_usd (totals->cost, 0.132);
  /* gpt-a: 0.125 for 360 tokens; gpt-b: 0.007 for 240; cache-test: 0 for 120. */
  g_assert_nonnull (totals->cheapest);
  g_assert_cmpstr (totals->cheapest->model, ==, "openai/cache-test");
  assert_usd (totals->cheapest->usd_per_mtok, 0);
  g_assert_nonnull (totals->most_expensive);
  g_assert_cmpstr (totals->most_expensive->model, ==, "openai/gpt-a");
  g_assert_cmpint (totals->most_expensive->requests, ==, 3);
  g_assert_cmpint (totals->most_expensive->tokens, ==, 360);
  assert_usd (totals->most_expensive->usd_per_mtok, 0.125 * 1e6 / 360);

  g_assert_cmpint (totals->cached_tokens, ==, 3500000);
  assert_usd (totals->cache_saved, 0.75);
  g_assert_cmpint (totals->cached_unpriced, ==, 2000000);
  g_clear_pointer (&totals, sy_insights_totals_free);

  /* Without prices, nothing is priced; a range of only gpt-b ranks it both ways. */
  totals = sy_insights_totals (fixture->path, at (paris, 2025, 4, 2, 0, 0),
                               at (paris, 2025, 4, 2, 1, 0), now, paris, NULL, &error);
  g_assert_no_error (error);
  assert_usd (totals->month, 0.032);
  g_assert_cmpint (totals->requests, ==, 1);
  g_assert_cmpstr (totals->cheapest->model, ==, "openai/gpt-b");
  g_assert_cmpstr (totals->most_expensive->model, ==, "openai/gpt-b");
  assert_usd (totals->cache_saved, 0);
  g_clear_pointer (&totals, sy_insights_totals_free);

  /* In New York "now" is 09:00 on the 2nd: Paris's midnight request of the
   * 2nd was the evening before, and its midnight one of 1 April still March. */
  {
    g_autoptr(GTimeZone) ny = zone ("America/New_York");

    totals = sy_insights_totals (fixture->path, 0, 1, now, ny, NULL, &error);
    g_assert_no_error (error);
    assert_usd (totals->today, 0.004);
    assert_usd (totals->month, 0.012);
    g_assert_cmpint (totals->requests, ==, 0);
  }
}

/* ----------------------------------------------------------------- latency */

static void
test_latency (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t = utc (2025, 2, 3, 10, 0);
  const SyLatencyRow *row;

  /* 1..100 in a scrambled order (37 is prime to 100), with ttft only on half of
   * them (1..50) and tokens/s 10, 20, … 1000; failures are slower and ignored. */
  for (guint i = 0; i < 100; i++)
    {
      guint v = (i * 37) % 100 + 1;
      SyHistoryRecord *record = request_new (t + i, "openai", "gpt-a", 200, 0.001);

      record->total_ms = v;
      record->ttft_ms = v <= 50 ? (double) v : -1;
      record->tokens_per_s = v * 10;
      sy_history_record (history, record);
    }
  for (guint i = 0; i < 20; i++)
    {
      SyHistoryRecord *record = request_new (t + i, "openai", "gpt-a", i % 2 ? 500 : 499, -1);

      record->total_ms = 100000;
      record->ttft_ms = 100000;
      sy_history_record (history, record);
    }
  /* One sample: every percentile is it. */
  {
    SyHistoryRecord *record = request_new (t, "anthropic", "claude", 200, 0.001);

    record->total_ms = 1234.5;
    sy_history_record (history, record);
  }
  /* Only failures: no row. */
  add (history, t, "google", "gemini", 503, -1);
  /* Outside the range. */
  add (history, t - G_TIME_SPAN_DAY, "openai", "gpt-a", 200, 0.001);
  sy_history_close (history);

  rows = sy_insights_latency (fixture->path, t, t + G_TIME_SPAN_HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);

  row = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (row->model, ==, "anthropic/claude");
  g_assert_cmpint (row->requests, ==, 1);
  g_assert_cmpfloat (row->total_p50, ==, 1234.5);
  g_assert_cmpfloat (row->total_p90, ==, 1234.5);
  g_assert_cmpfloat (row->total_p99, ==, 1234.5);
  g_assert_cmpfloat (row->ttft_p50, <, 0);
  g_assert_cmpfloat (row->ttft_p99, <, 0);
  g_assert_cmpfloat (row->tokens_per_s_p50, <, 0);

  row = g_ptr_array_index (rows, 1);
  g_assert_cmpstr (row->model, ==, "openai/gpt-a");
  g_assert_cmpint (row->requests, ==, 100);
  g_assert_cmpfloat (row->total_p50, ==, 50);
  g_assert_cmpfloat (row->total_p90, ==, 90);
  g_assert_cmpfloat (row->total_p99, ==, 99);
  g_assert_cmpfloat (row->ttft_p50, ==, 25);
  g_assert_cmpfloat (row->ttft_p90, ==, 45);
  g_assert_cmpfloat (row->ttft_p99, ==, 50);
  g_assert_cmpfloat (row->tokens_per_s_p50, ==, 500);
  g_clear_pointer (&rows, g_ptr_array_unref);

  /* The first 10 of the scrambled order: 1, 38, 75, 12, 49, 86, 23, 60, 97, 34. */
  rows = sy_insights_latency (fixture->path, t, t + 10, &error);
  g_assert_no_error (error);
  row = g_ptr_array_index (rows, 1);
  g_assert_cmpint (row->requests, ==, 10);
  g_assert_cmpfloat (row->total_p50, ==, 38);
  g_assert_cmpfloat (row->total_p90, ==, 86);
  g_assert_cmpfloat (row->total_p99, ==, 97);
  /* ttft of 1, 12, 23, 34, 38, 49: ranks 3, 6, 6. */
  g_assert_cmpfloat (row->ttft_p50, ==, 23);
  g_assert_cmpfloat (row->ttft_p90, ==, 49);
  g_assert_cmpfloat (row->ttft_p99, ==, 49);
}

/* ------------------------------------------------------------- error rates */

static void
test_error_rates (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  gint64 t = utc (2025, 2, 3, 10, 0);
  static const int openai[] = { 200, 200, 200, 201, 200, 200, 499, 500, 529, 429 };
  const SyErrorRow *row;

  for (guint i = 0; i < G_N_ELEMENTS (openai); i++)
    add (history, t, "openai", i % 2 ? "gpt-a" : "gpt-b", openai[i], -1);
  for (guint i = 0; i < 4; i++)
    add (history, t, "anthropic", "claude", 200, -1);
  add (history, t, NULL, NULL, 400, -1);
  add (history, t, NULL, NULL, 404, -1);
  add (history, t + G_TIME_SPAN_DAY, "anthropic", "claude", 500, -1);
  sy_history_close (history);

  rows = sy_insights_error_rates (fixture->path, t, t + G_TIME_SPAN_HOUR, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3);

  row = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (row->provider, ==, "anthropic");
  g_assert_cmpint (row->requests, ==, 4);
  g_assert_cmpint (row->errors, ==, 0);
  g_assert_cmpfloat (row->rate, ==, 0);

  /* 500, 529 and 429 over all ten, the client that left included. */
  row = g_ptr_array_index (rows, 1);
  g_assert_cmpstr (row->provider, ==, "openai");
  g_assert_cmpint (row->requests, ==, 10);
  g_assert_cmpint (row->errors, ==, 3);
  g_assert_cmpfloat_with_epsilon (row->rate, 0.3, 1e-12);

  row = g_ptr_array_index (rows, 2);
  g_assert_null (row->provider);
  g_assert_cmpint (row->requests, ==, 2);
  g_assert_cmpfloat (row->rate, ==, 1);
}

/* ---------------------------------------------------------- hours */

static void
test_hours (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GTimeZone) paris = zone ("Europe/Paris");
  g_autoptr(GTimeZone) tz_utc = g_time_zone_new_utc ();
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GArray) hours = NULL;
  g_autoptr(GError) error = NULL;
  gint64 day_start = at (paris, 2025, 10, 26, 0, 0);
  gint64 day_end = at (paris, 2025, 10, 27, 0, 0);
  static const int fall_back_hours[] = { 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                         13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23 };

  add (history, at (paris, 2025, 10, 26, 0, 30), "openai", "gpt-a", 200, -1);
  add (history, at (paris, 2025, 10, 26, 0, 45), "openai", "gpt-a", 200, -1);
  add (history, utc (2025, 10, 26, 0, 30), "openai", "gpt-a", 200, -1);   /* 02:30 CEST */
  add (history, utc (2025, 10, 26, 1, 30), "openai", "gpt-a", 500, -1);   /* 02:30 CET */
  add (history, utc (2025, 10, 26, 1, 59), "anthropic", "claude", 200, -1);
  add (history, at (paris, 2025, 10, 26, 23, 0), NULL, NULL, 400, -1);
  /* 30 March: no 02:00 at all. */
  add (history, at (paris, 2025, 3, 30, 0, 10), "openai", "gpt-a", 200, -1);
  add (history, at (paris, 2025, 3, 30, 23, 50), "openai", "gpt-a", 200, -1);
  sy_history_close (history);

  hours = sy_insights_requests_per_hour (fixture->path, day_start, day_end, paris, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hours->len, ==, G_N_ELEMENTS (fall_back_hours));
  for (guint i = 0; i < hours->len; i++)
    {
      const SyHourCount *hour = &g_array_index (hours, SyHourCount, i);
      gint64 want = i == 0 ? 2 : i == 2 ? 1 : i == 3 ? 2 : i == 24 ? 1 : 0;

      g_assert_cmpint (hour->hour, ==, fall_back_hours[i]);
      g_assert_cmpint (hour->start_us, ==, day_start + (gint64) i * G_TIME_SPAN_HOUR);
      g_assert_cmpint (hour->requests, ==, want);
    }
  g_clear_pointer (&hours, g_array_unref);

  /* The same instants in UTC hours: 22:30 on the 25th to 22:00 on the 26th. */
  hours = sy_insights_requests_per_hour (fixture->path, day_start, day_end, tz_utc, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hours->len, ==, 25);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 0).hour, ==, 22);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 0).requests, ==, 2);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 2).requests, ==, 1);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 3).requests, ==, 2);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 24).hour, ==, 22);
  g_clear_pointer (&hours, g_array_unref);

  hours = sy_insights_requests_per_hour (fixture->path, at (paris, 2025, 3, 30, 0, 0),
                                         at (paris, 2025, 3, 31, 0, 0), paris, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hours->len, ==, 23);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 1).hour, ==, 1);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 2).hour, ==, 3);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 0).requests, ==, 1);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 22).requests, ==, 1);
  g_assert_cmpint (g_array_index (hours, SyHourCount, 22).hour, ==, 23);
}

/* ---------------------------------------------------------- export, import */

static const char tricky_client[] = "tool, \"quoted\"\nsecond line\r\n";

/* Rows that exercise every column: NULLs, empty strings, quotes, newlines,
 * non-ASCII text, bodies or not, odd doubles. */
static void
fill_varied (SyHistory *history,
             guint      n)
{
  for (guint i = 0; i < n; i++)
    {
      gint64 t = utc (2025, 7, 1, 0, 0) + (gint64) i * 997 * G_USEC_PER_SEC;
      SyHistoryRecord *record = request_new (t, i % 5 == 4 ? NULL : "openai",
                                             i % 5 == 4 ? NULL : (i % 2 ? "gpt-a" : "gpt-b"),
                                             i % 7 == 0 ? 500 : 200,
                                             i % 3 == 0 ? -1 : 0.1 + 0.2 * i);

      switch (i % 4)
        {
        case 0:
          record->client = g_strdup (tricky_client);
          break;
        case 1:
          record->client = g_strdup ("");
          break;
        case 2:
          record->client = g_strdup ("Ünïcødé ✓ client");
          break;
        default:
          break;
        }
      record->profile = i % 2 ? g_strdup ("auto") : NULL;
      record->stream = i % 2 == 0;
      record->error = record->status != 200 ? g_strdup ("upstream said \"no\", twice") : NULL;
      record->attempts_json = g_strdup ("[{\"provider\":\"openai\",\"status\":200,\"ms\":10.7}]");
      if (i % 2)
        record->route_json = g_strdup ("{\"profile\":\"auto\",\"winner\":\"openai/gpt-a\"}");
      record->cached_tokens = i % 3 == 1 ? 64 : -1;
      record->cache_write_tokens = i % 3 == 2 ? 0 : -1;
      record->reasoning_tokens = i;
      if (record->cost_known)
        {
          record->cost_input = record->cost / 3;
          record->cost_output = record->cost - record->cost / 3;
          record->cost_cache_read = 1e-7;
          record->cost_cache_write = 0;
        }
      record->ttft_ms = i % 2 ? 123.456 + i : -1;
      record->total_ms = 1000.0 / 3 + i;
      record->tokens_per_s = i % 2 ? 57.1 : -1;
      if (i % 3 != 2)
        {
          record->request_body =
            g_strdup_printf ("{\"messages\":[{\"content\":\"line\\n%u, \\\"q\\\"\"}]}", i);
          record->response_body = i % 2 ? g_strdup ("data: {\"x\":1}\n\ndata: [DONE]\n") : NULL;
        }
      sy_history_record (history, record);
    }
}

static int
compare_records_by_id (gconstpointer a,
                       gconstpointer b)
{
  return strcmp ((*(SyHistoryRecord * const *) a)->request_id,
                 (*(SyHistoryRecord * const *) b)->request_id);
}

static GPtrArray *
read_all (const char *path)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = sy_history_read_recent (path, 0, &error);

  g_assert_no_error (error);
  g_ptr_array_sort (records, compare_records_by_id);
  return records;
}

static void
assert_same_records (GPtrArray *a,
                     GPtrArray *b,
                     gboolean   bodies)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      const SyHistoryRecord *x = g_ptr_array_index (a, i);
      const SyHistoryRecord *y = g_ptr_array_index (b, i);

      g_assert_cmpstr (x->request_id, ==, y->request_id);
      g_assert_cmpint (x->started_at_us, ==, y->started_at_us);
      g_assert_cmpstr (x->client, ==, y->client);
      g_assert_cmpstr (x->surface, ==, y->surface);
      g_assert_cmpstr (x->requested_model, ==, y->requested_model);
      g_assert_cmpstr (x->profile, ==, y->profile);
      g_assert_cmpstr (x->provider, ==, y->provider);
      g_assert_cmpstr (x->model, ==, y->model);
      g_assert_cmpint (x->stream, ==, y->stream);
      g_assert_cmpint (x->status, ==, y->status);
      g_assert_cmpstr (x->error, ==, y->error);
      g_assert_cmpstr (x->attempts_json, ==, y->attempts_json);
      g_assert_cmpstr (x->route_json, ==, y->route_json);
      g_assert_cmpint (x->prompt_tokens, ==, y->prompt_tokens);
      g_assert_cmpint (x->completion_tokens, ==, y->completion_tokens);
      g_assert_cmpint (x->cached_tokens, ==, y->cached_tokens);
      g_assert_cmpint (x->cache_write_tokens, ==, y->cache_write_tokens);
      g_assert_cmpint (x->reasoning_tokens, ==, y->reasoning_tokens);
      g_assert_cmpint (x->cost_known, ==, y->cost_known);
      /* Bit for bit: the export writes doubles that read back exactly. */
      g_assert_cmpfloat (x->cost, ==, y->cost);
      g_assert_cmpfloat (x->cost_input, ==, y->cost_input);
      g_assert_cmpfloat (x->cost_output, ==, y->cost_output);
      g_assert_cmpfloat (x->cost_cache_read, ==, y->cost_cache_read);
      g_assert_cmpfloat (x->cost_cache_write, ==, y->cost_cache_write);
      g_assert_cmpfloat (x->ttft_ms, ==, y->ttft_ms);
      g_assert_cmpfloat (x->total_ms, ==, y->total_ms);
      g_assert_cmpfloat (x->tokens_per_s, ==, y->tokens_per_s);
      if (bodies)
        {
          g_assert_cmpstr (x->request_body, ==, y->request_body);
          g_assert_cmpstr (x->response_body, ==, y->response_body);
        }
      else
        {
          g_assert_null (y->request_body);
          g_assert_null (y->response_body);
        }
    }
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  static const struct { SyExportFormat format; gboolean bodies; const char *name; } cases[] = {
    { SY_EXPORT_CSV, TRUE, "with-bodies.csv" },
    { SY_EXPORT_JSON_LINES, TRUE, "with-bodies.jsonl" },
    { SY_EXPORT_CSV, FALSE, "metadata.csv" },
    { SY_EXPORT_JSON_LINES, FALSE, "metadata.jsonl" },
  };
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) original = NULL;

  fill_varied (history, 60);
  sy_history_close (history);
  original = read_all (fixture->path);
  g_assert_cmpuint (original->len, ==, 60);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree char *file = g_build_filename (fixture->dir, cases[c].name, NULL);
      g_autofree char *db_name = g_strdup_printf ("imported-%u.db", c);
      g_autofree char *fresh = g_build_filename (fixture->dir, db_name, NULL);
      g_autoptr(SyImportResult) result = NULL;
      g_autoptr(GPtrArray) imported = NULL;
      g_autoptr(GError) error = NULL;
      gint64 n_rows = 0;

      g_test_message ("%s", cases[c].name);
      g_assert_true (sy_insights_export_to_file (fixture->path, ALL_FROM, ALL_TO, cases[c].format,
                                                 cases[c].bodies, file, &n_rows, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (n_rows, ==, 60);

      result = sy_insights_import_file (fresh, file, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (result->imported, ==, 60);
      g_assert_cmpint (result->skipped, ==, 0);
      g_assert_cmpint (result->invalid, ==, 0);
      g_assert_cmpuint (result->notes->len, ==, 0);
      g_clear_pointer (&result, sy_import_result_free);

      imported = read_all (fresh);
      assert_same_records (original, imported, cases[c].bodies);
      g_clear_pointer (&imported, g_ptr_array_unref);

      /* Again: every row is already there. */
      result = sy_insights_import_file (fresh, file, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (result->imported, ==, 0);
      g_assert_cmpint (result->skipped, ==, 60);
      imported = read_all (fresh);
      g_assert_cmpuint (imported->len, ==, 60);
      g_clear_pointer (&result, sy_import_result_free);

      /* And into the history it came from: nothing new. */
      result = sy_insights_import_file (fixture->path, file, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (result->imported, ==, 0);
      g_assert_cmpint (result->skipped, ==, 60);
    }

  /* A range exports only its rows: the first ten are 997 s apart. */
  {
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
    g_autoptr(GError) error = NULL;
    gint64 n_rows = 0;

    g_assert_true (sy_insights_export (fixture->path, utc (2025, 7, 1, 0, 0),
                                       utc (2025, 7, 1, 0, 0) + (gint64) 10 * 997 * G_USEC_PER_SEC,
                                       SY_EXPORT_JSON_LINES, FALSE, out, &n_rows, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (n_rows, ==, 10);
  }
}

static char *
export_string (const char     *path,
               SyExportFormat  format,
               gboolean        bodies)
{
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;

  g_assert_true (sy_insights_export (path, ALL_FROM, ALL_TO, format, bodies, out, NULL, NULL,
                                     &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, NULL));
  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

static void
test_csv_quoting (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autofree char *csv = NULL;
  g_autofree char *jsonl = NULL;
  g_auto(GStrv) lines = NULL;
  SyHistoryRecord *record;

  record = request_new (utc (2025, 7, 1, 12, 0), "openai", "gpt-a", 200, 0.01);
  record->request_id = (g_free (record->request_id), g_strdup ("sy-q1"));
  record->client = g_strdup (tricky_client);
  sy_history_record (history, record);
  record = request_new (utc (2025, 7, 1, 12, 1), "openai", "gpt-a", 200, -1);
  record->request_id = (g_free (record->request_id), g_strdup ("sy-q2"));
  record->client = g_strdup ("");
  record->request_body = g_strdup ("hi");
  sy_history_record (history, record);
  sy_history_close (history);

  csv = export_string (fixture->path, SY_EXPORT_CSV, FALSE);
  lines = g_strsplit (csv, "\r\n", -1);
  g_assert_cmpstr (lines[0], ==,
                   "request_id,started_at,started_at_utc,client,surface,requested_model,profile,"
                   "provider,model,stream,status,error,attempts,route,prompt_tokens,"
                   "completion_tokens,cached_tokens,cache_write_tokens,reasoning_tokens,cost,"
                   "cost_input,cost_output,cost_cache_read,cost_cache_write,ttft_ms,total_ms,"
                   "tokens_per_s");
  /* The quoted client holds a CRLF of its own, so the first record spans
   * lines[1] and lines[2]. */
  g_assert_true (g_str_has_prefix (lines[1], "sy-q1,1751371200000000,2025-07-01T12:00:00.000000Z,"
                                             "\"tool, \"\"quoted\"\"\nsecond line"));
  g_assert_true (g_str_has_prefix (lines[2], "\",chat.completions,openai/gpt-a,,openai,gpt-a,0,200,"
                                             ",,,100,20,,,,0.01,0,0,0,0,,1000,"));
  /* An empty client is "", an unknown cost is nothing. */
  g_assert_true (g_str_has_prefix (lines[3], "sy-q2,1751371260000000,2025-07-01T12:01:00.000000Z,"
                                             "\"\",chat.completions,"));
  g_assert_true (g_str_has_suffix (lines[3], ",100,20,,,,,,,,,,1000,"));
  g_assert_cmpstr (lines[4], ==, "");
  g_assert_null (lines[5]);
  g_clear_pointer (&lines, g_strfreev);
  g_clear_pointer (&csv, g_free);

  csv = export_string (fixture->path, SY_EXPORT_CSV, TRUE);
  g_assert_nonnull (strstr (csv, ",tokens_per_s,request_body,response_body\r\n"));
  g_assert_nonnull (strstr (csv, ",1000,,hi,\r\n"));

  jsonl = export_string (fixture->path, SY_EXPORT_JSON_LINES, TRUE);
  lines = g_strsplit (jsonl, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_true (g_str_has_prefix (lines[0],
                                   "{\"request_id\":\"sy-q1\",\"started_at\":1751371200000000,"
                                   "\"started_at_utc\":\"2025-07-01T12:00:00.000000Z\","
                                   "\"client\":\"tool, \\\"quoted\\\"\\nsecond line\\r\\n\","));
  g_assert_nonnull (strstr (lines[0], "\"stream\":false,\"status\":200,\"error\":null,"));
  g_assert_nonnull (strstr (lines[1], "\"cost\":null,"));
  g_assert_true (g_str_has_suffix (lines[1], "\"request_body\":\"hi\",\"response_body\":null}"));
}

static SyImportResult *
import_text (const char  *path,
             const char  *text,
             GError     **error)
{
  g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data (text, -1, NULL);

  return sy_insights_import (path, in, NULL, error);
}

static void
assert_note (SyImportResult *result,
             guint           i,
             const char     *note)
{
  g_assert_cmpuint (i, <, result->notes->len);
  g_assert_cmpstr (g_ptr_array_index (result->notes, i), ==, note);
}

static void
test_import_invalid (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(SyImportResult) result = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  const SyHistoryRecord *record;

  result = import_text (fixture->path,
                        "\xef\xbb\xbfrequest_id,started_at,client,status,whatever\r\n"
                        "sy-a,1700000000000000,ok,200,x\r\n"
                        "sy-b,abc,bad,200,x\r\n"
                        "sy-c,1700000000000001,\"multi\nline, \"\"q\"\"\",200,x\n"
                        "sy-d,1700000000000002,short,x\r\n"
                        "\r\n"
                        ",1700000000000003,,200,x\r\n"
                        "sy-f,1700000000000004,x,-5,x\r\n"
                        "sy-g,1700000000000005,x\"y,200,x\r\n"
                        "sy-e,1700000000000006,\"unclosed,200,x\r\n",
                        &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->imported, ==, 2);
  g_assert_cmpint (result->skipped, ==, 0);
  g_assert_cmpint (result->invalid, ==, 6);
  g_assert_cmpuint (result->notes->len, ==, 6);
  assert_note (result, 0, "line 3: started_at is not an integer");
  assert_note (result, 1, "line 6: 4 fields where the header has 5");
  assert_note (result, 2, "line 8: request_id is missing");
  assert_note (result, 3, "line 9: status is out of range");
  assert_note (result, 4, "line 10: a quote inside an unquoted field");
  assert_note (result, 5, "line 11: a quoted field is not closed");
  g_clear_pointer (&result, sy_import_result_free);

  records = read_all (fixture->path);
  g_assert_cmpuint (records->len, ==, 2);
  record = g_ptr_array_index (records, 1);
  g_assert_cmpstr (record->request_id, ==, "sy-c");
  g_assert_cmpstr (record->client, ==, "multi\nline, \"q\"");
  g_assert_cmpint (record->status, ==, 200);
  g_assert_false (record->cost_known);
  g_assert_cmpint (record->prompt_tokens, ==, -1);
  g_clear_pointer (&records, g_ptr_array_unref);

  result = import_text (fixture->path,
                        "{\"request_id\":\"sy-j1\",\"started_at\":1700000000000000}\n"
                        "not json\n"
                        "\n"
                        "{\"request_id\":\"sy-j2\",\"started_at\":\"soon\"}\n"
                        "[1,2]\n"
                        "{\"request_id\":\"sy-j3\",\"started_at\":1700000000000001,\"cost\":-1}\n"
                        "{\"request_id\":\"sy-j4\",\"started_at\":1700000000000002,\"stream\":true,"
                        "\"client\":\"x\",\"cost\":0.25,\"unknown\":[1]}\r\n"
                        "{\"request_id\":\"sy-a\",\"started_at\":1700000000000000}\n",
                        &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->imported, ==, 2);
  g_assert_cmpint (result->skipped, ==, 1);
  g_assert_cmpint (result->invalid, ==, 4);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (result->notes, 0), "line 2: not JSON: "));
  assert_note (result, 1, "line 4: started_at is not an integer");
  assert_note (result, 2, "line 5: not a JSON object");
  assert_note (result, 3, "line 6: cost is not a number >= 0");

  records = read_all (fixture->path);
  g_assert_cmpuint (records->len, ==, 4);
  record = g_ptr_array_index (records, 3);
  g_assert_cmpstr (record->request_id, ==, "sy-j4");
  g_assert_true (record->stream);
  g_assert_true (record->cost_known);
  g_assert_cmpfloat (record->cost, ==, 0.25);
  g_clear_pointer (&result, sy_import_result_free);

  /* Not an export at all: an error, and nothing written. */
  result = import_text (fixture->path, "name,age\nalice,42\n", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (result);
  g_clear_error (&error);

  /* An empty file imports nothing. */
  result = import_text (fixture->path, "", &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->imported + result->skipped + result->invalid, ==, 0);
}

/* More invalid lines than notes: the rest are counted in one last note. */
static void
test_import_many_invalid (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GString) text = g_string_new ("request_id,started_at\n");
  g_autoptr(SyImportResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last = NULL;

  for (guint i = 0; i < 250; i++)
    g_string_append_printf (text, "sy-%u,%s\n", i, i % 2 ? "1700000000000000" : "x");
  result = import_text (fixture->path, text->str, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->imported, ==, 125);
  g_assert_cmpint (result->invalid, ==, 125);
  g_assert_cmpuint (result->notes->len, ==, SY_IMPORT_MAX_NOTES + 1);
  assert_note (result, SY_IMPORT_MAX_NOTES - 1, "line 200: started_at is not an integer");
  assert_note (result, SY_IMPORT_MAX_NOTES, "25 more invalid lines");
}

typedef struct {
  const char     *path;
  const char     *text;
  SyImportResult *result;
  GError         *error;
} ImportJob;

static gpointer
import_thread (gpointer data)
{
  ImportJob *job = data;

  job->result = import_text (job->path, job->text, &job->error);
  return NULL;
}

/* Another writer holds the lock for a while: the import waits for it. */
static void
test_import_waits_for_writer (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GPtrArray) records = NULL;
  ImportJob job = { fixture->path, "request_id,started_at\nsy-w1,1700000000000000\n", NULL, NULL };
  sqlite3 *db = NULL;
  GThread *thread;

  add (history, utc (2025, 1, 1, 0, 0), "openai", "gpt-a", 200, 0.01);
  sy_history_close (history);

  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READWRITE, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE;"
                                     " INSERT INTO requests (request_id, started_at)"
                                     " VALUES ('sy-w0', 1)", NULL, NULL, NULL), ==, SQLITE_OK);
  thread = g_thread_new ("import", import_thread, &job);
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_thread_join (thread);

  g_assert_no_error (job.error);
  g_assert_cmpint (job.result->imported, ==, 1);
  sy_import_result_free (job.result);
  records = read_all (fixture->path);
  g_assert_cmpuint (records->len, ==, 3);
}

/* A failed export leaves a file that was there as it was, and no new one. */
static void
test_export_failure_keeps_file (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autofree char *not_history = g_build_filename (fixture->dir, "not-a-history.db", NULL);
  g_autofree char *existing = g_build_filename (fixture->dir, "existing.csv", NULL);
  g_autofree char *created = g_build_filename (fixture->dir, "created.csv", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  guint n_files = 0;

  g_assert_true (g_file_set_contents (not_history, "this is not SQLite", -1, NULL));
  g_assert_true (g_file_set_contents (existing, "before", -1, NULL));

  g_assert_false (sy_insights_export_to_file (not_history, ALL_FROM, ALL_TO, SY_EXPORT_CSV, FALSE,
                                              existing, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (sy_insights_export_to_file (not_history, ALL_FROM, ALL_TO, SY_EXPORT_CSV, FALSE,
                                              created, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (existing, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "before");
  g_assert_false (g_file_test (created, G_FILE_TEST_EXISTS));
  dir = g_dir_open (fixture->dir, 0, NULL);
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, sy_test_db_fixture_setup, func, sy_test_db_fixture_teardown)

  ADD ("/insights/empty", test_empty);
  ADD ("/insights/spend/exact-cents", test_exact_cents);
  ADD ("/insights/spend/day-boundaries", test_day_boundaries);
  ADD ("/insights/spend/dst-days", test_dst_days);
  ADD ("/insights/spend/group-by", test_group_by);
  ADD ("/insights/totals", test_totals);
  ADD ("/insights/latency", test_latency);
  ADD ("/insights/error-rates", test_error_rates);
  ADD ("/insights/hours", test_hours);
  ADD ("/insights/export/round-trip", test_round_trip);
  ADD ("/insights/export/csv-quoting", test_csv_quoting);
  ADD ("/insights/export/failure-keeps-file", test_export_failure_keeps_file);
  ADD ("/insights/import/invalid", test_import_invalid);
  ADD ("/insights/import/many-invalid", test_import_many_invalid);
  ADD ("/insights/import/waits-for-writer", test_import_waits_for_writer);

  return g_test_run ();
}
