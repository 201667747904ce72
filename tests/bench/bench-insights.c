/* bench-insights.c — how long the Dashboard's aggregates take over a year of
 * 1,000,000 requests, and what the history costs on disk per request.
 *   bench-insights DB_PATH   (the database is generated once, then reused)
 * Prints "dashboard_30d_ms N", "db_bytes_per_request N" and details, one per line.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>

#include "sy-history.h"
#include "sy-insights.h"

#define ROWS  1000000
#define RUNS  7
#define DAYS  30

typedef struct {
  const char *provider;
  const char *model;
  double      input;         /* USD per million tokens; < 0: unpriced */
  double      output;
  double      cached_input;  /* < 0: billed as input */
  guint       weight;
} BenchModel;

static const BenchModel models[] = {
  { "openai", "gpt-4.1-mini", 0.40, 1.60, 0.10, 30 },
  { "openai", "gpt-4.1", 2.00, 8.00, 0.50, 8 },
  { "openai", "gpt-4.1-nano", 0.10, 0.40, 0.025, 10 },
  { "openai", "o4-mini", 1.10, 4.40, 0.275, 5 },
  { "anthropic", "claude-sonnet-4-5", 3.00, 15.00, 0.30, 15 },
  { "anthropic", "claude-haiku-4-5", 1.00, 5.00, 0.10, 10 },
  { "google", "gemini-2.5-flash", 0.30, 2.50, 0.075, 8 },
  { "google", "gemini-2.5-pro", 1.25, 10.00, 0.31, 3 },
  { "groq", "llama-3.3-70b-versatile", 0.59, 0.79, -1, 4 },
  { "openrouter", "deepseek/deepseek-r1", 0.55, 2.19, -1, 2 },
  { "mistral", "mistral-small-latest", 0.10, 0.30, -1, 2 },
  { "ollama", "qwen3:8b", -1, -1, -1, 3 },
};

static const char * const clients[] = {
  "claude-cli/2.1.197 (external, sdk-cli)",
  "codex_exec/0.171.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.171.0)",
  "aider/0.86.1",
  "Continue/1.2.3",
  "curl/7.88.1",
  "python-requests/2.31.0",
};
static const char * const surfaces[] = { "chat.completions", "messages", "responses" };
static const char * const profiles[] = { NULL, NULL, "auto", "cheap", "fast", "coding" };

static const BenchModel *
pick_model (GRand *rand)
{
  guint total = 0;
  guint r;

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    total += models[i].weight;
  r = g_rand_int_range (rand, 0, (gint32) total);
  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    {
      if (r < models[i].weight)
        return &models[i];
      r -= models[i].weight;
    }
  g_assert_not_reached ();
}

static void
bind_cost (sqlite3_stmt *stmt,
           int           index,
           gboolean      known,
           double        usd)
{
  if (known)
    sqlite3_bind_double (stmt, index, usd);
  else
    sqlite3_bind_null (stmt, index);
}

/* A year of requests, newest last, as the router would have recorded them
 * without bodies: attempts always, the route explanation for profiles. */
static void
generate (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (path, &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 now = g_get_real_time ();

  g_assert_no_error (error);
  sy_history_close (history);
  g_clear_object (&history);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144; BEGIN", NULL, NULL, NULL);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                   "INSERT INTO requests (request_id, started_at, client, surface, requested_model,"
                   " profile, provider, model, stream, status, error, attempts, route,"
                   " prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,"
                   " reasoning_tokens, cost, cost_input, cost_output, cost_cache_read,"
                   " cost_cache_write, ttft_ms, total_ms, tokens_per_s)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
                   " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
                   -1, &stmt, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < ROWS; i++)
    {
      const BenchModel *m = pick_model (rand);
      const char *profile = profiles[g_rand_int_range (rand, 0, G_N_ELEMENTS (profiles))];
      g_autofree char *id = g_strdup_printf ("sy-%08x%08x", g_rand_int (rand), g_rand_int (rand));
      g_autofree char *requested = profile != NULL
                                   ? g_strdup (profile)
                                   : g_strdup_printf ("%s/%s", m->provider, m->model);
      g_autofree char *attempts = NULL;
      g_autofree char *route = NULL;
      double r = g_rand_double (rand);
      int status = r < 0.02 ? 502 + 27 * (i % 2) : r < 0.025 ? 429 : r < 0.03 ? 499 : 200;
      gint64 prompt = g_rand_int_range (rand, 200, 20000);
      gint64 completion = g_rand_int_range (rand, 20, 2000);
      gint64 cached = g_rand_double (rand) < 0.3 ? prompt / 2 : 0;
      double ttft = g_rand_double_range (rand, 150, 3000);
      double tps = g_rand_double_range (rand, 20, 200);
      gboolean priced = m->input >= 0;
      double cached_price = m->cached_input >= 0 ? m->cached_input : m->input;
      double cost_input = (prompt - cached) * m->input / 1e6;
      double cost_cache = cached * cached_price / 1e6;
      double cost_output = completion * m->output / 1e6;

      attempts = g_strdup_printf ("[{\"provider\":\"%s\",\"model\":\"%s\",\"status\":%d,"
                                  "%s\"ms\":%.1f}]",
                                  m->provider, m->model, status,
                                  status == 200 ? ""
                                                : "\"error\":\"upstream answered with an error\",",
                                  ttft);
      if (profile != NULL)
        route = g_strdup_printf ("{\"requested\":\"%s\",\"profile\":\"%s\","
                                 "\"strategy\":\"cheapest\","
                                 "\"candidates\":[{\"model\":\"%s/%s\",\"score\":0.0002006},"
                                 "{\"model\":\"google/gemini-2.5-flash-lite\","
                                 "\"score\":0.0002006},"
                                 "{\"model\":\"openai/gpt-4.1-mini\","
                                 "\"score\":0.00080239999999999999}],"
                                 "\"removed\":0,\"winner\":\"%s/%s\"}",
                                 profile, profile, m->provider, m->model, m->provider, m->model);
      if (status != 200)
        completion = 0;

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, now - (gint64) (ROWS - i) * 31536 * G_TIME_SPAN_MILLISECOND);
      sqlite3_bind_text (stmt, 3, clients[i % G_N_ELEMENTS (clients)], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, surfaces[i % G_N_ELEMENTS (surfaces)], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, requested, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 6, profile, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, m->provider, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, m->model, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 9, i % 3 != 0);
      sqlite3_bind_int (stmt, 10, status);
      if (status != 200)
        sqlite3_bind_text (stmt, 11, "openai: upstream answered with an error", -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 11);
      sqlite3_bind_text (stmt, 12, attempts, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 13, route, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 14, prompt);
      sqlite3_bind_int64 (stmt, 15, completion);
      sqlite3_bind_int64 (stmt, 16, cached);
      sqlite3_bind_int64 (stmt, 17, 0);
      sqlite3_bind_int64 (stmt, 18, 0);
      bind_cost (stmt, 19, priced, cost_input + cost_cache + (status == 200 ? cost_output : 0));
      bind_cost (stmt, 20, priced, cost_input);
      bind_cost (stmt, 21, priced, status == 200 ? cost_output : 0);
      bind_cost (stmt, 22, priced, cost_cache);
      bind_cost (stmt, 23, priced, 0);
      if (status == 200)
        {
          sqlite3_bind_double (stmt, 24, ttft);
          sqlite3_bind_double (stmt, 25, ttft + completion * 1000 / tps);
          sqlite3_bind_double (stmt, 26, tps);
        }
      else
        {
          sqlite3_bind_null (stmt, 24);
          sqlite3_bind_double (stmt, 25, ttft);
          sqlite3_bind_null (stmt, 26);
        }
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static gint64
newest (const char *path)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  rows = sy_history_read_recent (path, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  return ((SyHistoryRecord *) g_ptr_array_index (rows, 0))->started_at_us;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof (double));

  qsort (sorted, n, sizeof (double), compare_doubles);
  return sorted[n / 2];
}

enum { PART_SPEND, PART_TOTALS, PART_LATENCY, PART_ERRORS, PART_HOURS, N_PARTS };
static const char * const part_names[N_PARTS] = { "spend", "totals", "latency", "errors", "hours" };

/* Everything the Dashboard draws for one range, each part timed, as the GUI
 * would run it: one worker after another, each with its own connection. */
static void
dashboard (const char *path,
           gint64      from_us,
           gint64      to_us,
           gint64      now_us,
           GTimeZone  *tz,
           double     *ms)
{
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gint64 t;

  {
    g_autoptr(GPtrArray) rows = sy_insights_spend_per_day (path, from_us, to_us, tz,
                                                           SY_INSIGHTS_BY_MODEL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, >, 0);
  }
  t = g_get_monotonic_time ();
  ms[PART_SPEND] = (t - t0) / 1e3;
  t0 = t;
  {
    g_autoptr(SyInsightsTotals) totals = sy_insights_totals (path, from_us, to_us, now_us, tz,
                                                             NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (totals->requests, >, 0);
  }
  t = g_get_monotonic_time ();
  ms[PART_TOTALS] = (t - t0) / 1e3;
  t0 = t;
  {
    g_autoptr(GPtrArray) rows = sy_insights_latency (path, from_us, to_us, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, ==, G_N_ELEMENTS (models));
  }
  t = g_get_monotonic_time ();
  ms[PART_LATENCY] = (t - t0) / 1e3;
  t0 = t;
  {
    g_autoptr(GPtrArray) rows = sy_insights_error_rates (path, from_us, to_us, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rows->len, >, 0);
  }
  t = g_get_monotonic_time ();
  ms[PART_ERRORS] = (t - t0) / 1e3;
  t0 = t;
  {
    g_autoptr(GArray) hours = sy_insights_requests_per_hour (path, from_us, to_us, tz, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hours->len, >, 0);
  }
  ms[PART_HOURS] = (g_get_monotonic_time () - t0) / 1e3;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  double parts[N_PARTS][RUNS];
  double totals[RUNS];
  double all[N_PARTS];
  double all_ms = 0;
  GStatBuf st;
  gint64 count = 0;
  gint64 to_us;
  gint64 from_us;
  gint64 t0;

  if (argc != 2)
    {
      g_printerr ("usage: %s DB_PATH\n", argv[0]);
      return 2;
    }
  if (!g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      t0 = g_get_monotonic_time ();
      generate (argv[1]);
      printf ("generate_s %.1f\n", (g_get_monotonic_time () - t0) / 1e6);
    }
  /* A database generated before a migration gets it here, once. */
  history = sy_history_new (argv[1], &error);
  g_assert_no_error (error);
  sy_history_close (history);
  g_clear_object (&history);

  g_assert_true (sy_history_read_count (argv[1], &count, &error));
  g_assert_cmpint (g_stat (argv[1], &st), ==, 0);
  printf ("rows %" G_GINT64_FORMAT "\n", count);
  printf ("db_bytes_per_request %.0f\n", (double) st.st_size / (double) count);

  /* The last 30 days of the data, whenever it was generated. */
  to_us = newest (argv[1]) + 1;
  from_us = to_us - DAYS * G_TIME_SPAN_DAY;

  /* The first run also pays for the process's first SQLite and GTimeZone
   * work, and for pages not in the OS cache yet: reported apart. */
  for (guint run = 0; run < RUNS; run++)
    {
      double ms[N_PARTS];

      dashboard (argv[1], from_us, to_us, to_us - 1, tz, ms);
      totals[run] = 0;
      for (guint p = 0; p < N_PARTS; p++)
        {
          parts[p][run] = ms[p];
          totals[run] += ms[p];
        }
      if (run == 0)
        printf ("dashboard_30d_first_ms %.1f\n", totals[0]);
    }
  printf ("dashboard_30d_ms %.1f\n", median (totals + 1, RUNS - 1));
  for (guint p = 0; p < N_PARTS; p++)
    printf ("%s_30d_ms %.1f\n", part_names[p], median (parts[p] + 1, RUNS - 1));

  t0 = g_get_monotonic_time ();
  {
    g_autoptr(GPtrArray) rows = sy_insights_spend_per_day (argv[1], from_us, to_us, tz,
                                                           SY_INSIGHTS_BY_CLIENT, &error);
    g_assert_no_error (error);
  }
  printf ("spend_by_client_30d_ms %.1f\n", (g_get_monotonic_time () - t0) / 1e3);

  dashboard (argv[1], 0, G_MAXINT64, to_us - 1, tz, all);
  for (guint p = 0; p < N_PARTS; p++)
    all_ms += all[p];
  printf ("dashboard_all_ms %.1f\n", all_ms);

  t0 = g_get_monotonic_time ();
  {
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
    gint64 n_rows = 0;

    g_assert_true (sy_insights_export (argv[1], from_us, to_us, SY_EXPORT_CSV, FALSE, out,
                                       &n_rows, NULL, &error));
    g_assert_no_error (error);
    printf ("export_csv_30d_ms %.1f\n", (g_get_monotonic_time () - t0) / 1e3);
    printf ("export_csv_30d_rows %" G_GINT64_FORMAT "\n", n_rows);
  }
  return 0;
}
