/* bench-plan.c — how long planning a request takes: 200 candidate models, with
 * statistics and spend seeded from a history of 1,000,000 requests.
 *   bench-plan DB_PATH   (the database is generated once, then reused)
 * Prints "plan_p50_us N", "plan_p90_us N" and the seeding times, one per line.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-history.h"
#include "sy-json.h"
#include "sy-planner.h"

#define ROWS       1000000
#define CANDIDATES 200
#define RUNS       20000

/* Model i of the 200: catalog models first, then priced custom ones. */
static char *
candidate (SyCatalog *catalog,
           guint      i)
{
  GPtrArray *models = sy_catalog_get_models (catalog);

  if (i < models->len)
    return g_strdup (((const SyModelInfo *) g_ptr_array_index (models, i))->id);
  return g_strdup_printf ("bench/model-%u", i);
}

static void
generate (const char *path,
          SyCatalog  *catalog)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (path, &error);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 now = g_get_real_time ();

  g_assert_no_error (error);
  sy_history_close (history);
  g_clear_object (&history);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_exec (db, "PRAGMA journal_mode=WAL; BEGIN", NULL, NULL, NULL);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                   "INSERT INTO requests (request_id, started_at, surface, profile, provider, model,"
                   " stream, status, ttft_ms, total_ms, tokens_per_s, prompt_tokens, completion_tokens, cost)"
                   " VALUES (?1, ?2, 'chat.completions', 'bench', ?3, ?4, 1, ?5, ?6, ?7, ?8, 1000, 200, ?9)",
                   -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < ROWS; i++)
    {
      g_autofree char *id = g_strdup_printf ("bench-%u", i);
      g_autofree char *entry = candidate (catalog, i % CANDIDATES);
      g_auto(GStrv) parts = g_strsplit (entry, "/", 2);

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      /* A year of history, newest last. */
      sqlite3_bind_int64 (stmt, 2, now - (gint64) (ROWS - i) * 31 * G_USEC_PER_SEC);
      sqlite3_bind_text (stmt, 3, parts[0], -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, parts[1], -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 5, i % 50 == 0 ? 503 : 200);
      sqlite3_bind_double (stmt, 6, 100 + (i * 7919) % 900);
      sqlite3_bind_double (stmt, 7, 1000 + (i * 104729) % 4000);
      sqlite3_bind_double (stmt, 8, 20 + (i * 31) % 200);
      sqlite3_bind_double (stmt, 9, 0.0001 * (1 + i % 7));
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (db);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = sy_catalog_new_default (&error);
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyStats) stats = sy_stats_new ();
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GArray) times = g_array_sized_new (FALSE, FALSE, sizeof (double), RUNS);
  g_autofree char *dir = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(SyRequestFacts) facts = NULL;
  const char *request_json =
    "{\"model\":\"bench\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
    "{\"role\":\"user\",\"content\":\"Say hello to the benchmark.\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}]}";
  gint64 t0;

  if (argc != 2)
    {
      g_printerr ("usage: %s DB_PATH\n", argv[0]);
      return 2;
    }
  g_assert_nonnull (catalog);
  if (!g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      t0 = g_get_monotonic_time ();
      generate (argv[1], catalog);
      printf ("generate_s %.1f\n", (g_get_monotonic_time () - t0) / 1e6);
    }

  /* A cheapest profile over 200 candidates, with a budget, a rule and a deny
   * filter: the planner's full path. */
  g_string_append (json, "{\"server\":{\"token\":\"bench\"},\"providers\":[{\"id\":\"bench\",\"kind\":\"openai\","
                         "\"base_url\":\"http://127.0.0.1:9/v1\"}],\"prices\":{");
  for (guint i = sy_catalog_get_models (catalog)->len; i < CANDIDATES; i++)
    g_string_append_printf (json, "%s\"bench/model-%u\":{\"input\":%g,\"output\":%g}",
                            i == sy_catalog_get_models (catalog)->len ? "" : ",", i, 0.1 + i * 0.01, 0.2 + i * 0.02);
  g_string_append (json, "},\"profiles\":[{\"name\":\"bench\",\"strategy\":\"cheapest\",\"deny_providers\":[\"xai\"],"
                         "\"budget\":{\"monthly\":1000000},\"models\":[");
  for (guint i = 0; i < CANDIDATES; i++)
    {
      g_autofree char *entry = candidate (catalog, i);
      g_string_append_printf (json, "%s\"%s\"", i == 0 ? "" : ",", entry);
    }
  g_string_append (json, "]}],\"rules\":[{\"when\":{\"prompt_matches\":\"PRIVATE KEY\"},\"profile\":\"bench\"}]}");

  dir = g_dir_make_tmp ("switchyard-bench-plan-XXXXXX", &error);
  g_assert_no_error (error);
  config_path = g_build_filename (dir, "config.json", NULL);
  g_assert_true (g_file_set_contents (config_path, json->str, -1, NULL));
  config = sy_config_load (config_path, catalog, &error);
  g_assert_no_error (error);

  t0 = g_get_monotonic_time ();
  g_assert_true (sy_stats_seed (stats, argv[1], &error));
  printf ("stats_seed_ms %.1f\n", (g_get_monotonic_time () - t0) / 1e3);
  t0 = g_get_monotonic_time ();
  g_assert_true (sy_budget_seed (budget, argv[1], &error));
  printf ("budget_seed_ms %.1f\n", (g_get_monotonic_time () - t0) / 1e3);

  request = sy_json_parse (request_json, strlen (request_json), NULL);
  facts = sy_request_facts_new (json_node_get_object (request), "bench", NULL);
  for (guint i = 0; i < RUNS; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(SyPlan) plan = sy_planner_plan (config, stats, budget, facts, g_get_real_time (), -1);
      double us = (double) (g_get_monotonic_time () - start);

      if (plan->status != 0)
        g_error ("refused: %s", plan->error);
      g_assert_cmpuint (plan->entries->len, >, 100);
      sy_budget_settle (budget, plan->budget_ticket, 0, g_get_real_time ());
      g_array_append_val (times, us);
    }
  g_array_sort (times, compare_doubles);
  printf ("plan_p50_us %.1f\n", g_array_index (times, double, RUNS / 2));
  printf ("plan_p90_us %.1f\n", g_array_index (times, double, RUNS * 9 / 10));

  g_unlink (config_path);
  g_rmdir (dir);
  return 0;
}
