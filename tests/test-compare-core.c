/* test-compare-core.c — what Compare stands on: Elo ratings from judgements, comparisons
 * and ratings in history, the "best" strategy, and requests run through the router from
 * inside the app.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "sy-history.h"
#include "sy-json.h"
#include "sy-planner.h"
#include "sy-ratings.h"
#include "sy-server.h"
#include "sy-test-util.h"

#define KEY "sk-compare-core-key"

static SyTestProc *mock;      /* streams 40 chunks, 15 ms apart */

/* ------------------------------------------------------------------- Elo */

static void
test_elo (void)
{
  g_autoptr(SyRatings) ratings = sy_ratings_new ();
  const char *pair[] = { "a/one", "b/two" };
  const char *three[] = { "a/one", "b/two", "c/three" };
  const SyRating *one, *two, *three_r;
  g_autoptr(GPtrArray) board = NULL;

  /* Equal ratings, one win: ±K/2. */
  sy_ratings_add (ratings, pair, (int[]) { 5, 2 }, 2);
  one = sy_ratings_lookup (ratings, "a/one");
  two = sy_ratings_lookup (ratings, "b/two");
  g_assert_cmpfloat_with_epsilon (one->elo, SY_RATING_START + 16, 1e-9);
  g_assert_cmpfloat_with_epsilon (two->elo, SY_RATING_START - 16, 1e-9);
  g_assert_cmpuint (one->wins, ==, 1);
  g_assert_cmpuint (two->losses, ==, 1);

  /* The next game is scored from 1516 vs 1484: the favourite gains less. */
  sy_ratings_add (ratings, pair, (int[]) { 4, 1 }, 2);
  {
    double expected = 1.0 / (1.0 + pow (10, (1484.0 - 1516.0) / 400.0));
    g_assert_cmpfloat_with_epsilon (one->elo, 1516 + 32 * (1 - expected), 1e-9);
  }

  /* Three columns: every pair is a game; points are neither made nor lost; an
   * unrated column (0) plays no game. */
  sy_ratings_add (ratings, three, (int[]) { 1, 3, 3 }, 3);
  three_r = sy_ratings_lookup (ratings, "c/three");
  g_assert_nonnull (three_r);
  g_assert_cmpuint (three_r->ties, ==, 1);
  g_assert_cmpuint (three_r->wins, ==, 1);
  g_assert_cmpfloat_with_epsilon (one->elo + two->elo + three_r->elo, 3 * SY_RATING_START, 1e-9);
  sy_ratings_add (ratings, three, (int[]) { 0, 5, 0 }, 3);
  g_assert_cmpuint (two->judged, ==, 4);   /* judged, but with nobody to play */

  board = sy_ratings_leaderboard (ratings);
  g_assert_cmpuint (board->len, ==, 3);
  for (guint i = 1; i < board->len; i++)
    g_assert_cmpfloat (((SyRating *) board->pdata[i - 1])->elo, >=, ((SyRating *) board->pdata[i])->elo);
  g_assert_null (sy_ratings_lookup (ratings, "never/judged"));
}

/* ------------------------------------------------- comparisons in history */

static void
test_history (SyTestDbFixture *fixture,
              gconstpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SyRatings) seeded = sy_ratings_new ();
  g_autoptr(SyRatings) replayed = sy_ratings_new ();
  g_autoptr(SyHistory) history = sy_history_new (fixture->path, &error);
  const char *pair[] = { "openai/gpt-4.1", "openai/gpt-4.1-mini" };

  g_assert_no_error (error);
  /* The writer thread holds its connection meanwhile: the busy timeout waits. */
  g_assert_true (sy_history_save_comparison (fixture->path, "cmp-1", 1000, "{\"prompt\":\"one\"}", &error));
  g_assert_true (sy_history_save_comparison (fixture->path, "cmp-2", 2000, "{\"prompt\":\"two\"}", &error));
  g_assert_true (sy_history_save_comparison (fixture->path, "cmp-1", 1000, "{\"prompt\":\"one, again\"}", &error));
  g_assert_no_error (error);

  rows = sy_history_read_comparisons (fixture->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  g_assert_cmpstr (((SyComparisonRow *) rows->pdata[0])->id, ==, "cmp-2");
  g_assert_cmpstr (((SyComparisonRow *) rows->pdata[1])->json, ==, "{\"prompt\":\"one, again\"}");
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = sy_history_read_comparisons (fixture->path, 1, &error);
  g_assert_cmpuint (rows->len, ==, 1);

  /* Ratings replay in the order of the comparisons; a changed rating replaces
   * the old one, 0 removes it. */
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-2", pair[0], 2, &error));
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-2", pair[1], 4, &error));
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-1", pair[0], 5, &error));
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-1", pair[1], 1, &error));
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-1", pair[1], 3, &error));
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-3", pair[1], 2, &error));
  g_assert_true (sy_history_save_rating (fixture->path, "cmp-3", pair[1], 0, &error));
  g_assert_no_error (error);

  g_assert_true (sy_ratings_seed (seeded, fixture->path, &error));
  g_assert_no_error (error);
  sy_ratings_add (replayed, pair, (int[]) { 5, 3 }, 2);   /* cmp-1 first */
  sy_ratings_add (replayed, pair, (int[]) { 2, 4 }, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat_with_epsilon (sy_ratings_lookup (seeded, pair[i])->elo,
                                      sy_ratings_lookup (replayed, pair[i])->elo, 1e-9);
      g_assert_cmpuint (sy_ratings_lookup (seeded, pair[i])->judged, ==, 2);
    }
  sy_history_close (history);
}

/* ------------------------------------------------------- "best" strategy */

static const char best_config[] =
  "{\"server\":{\"port\":0,\"token\":\"sy-core\"},"
  " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_CORE_KEY\"},"
  "               {\"id\":\"dead\",\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:9/v1\",\"key_env\":\"SY_CORE_KEY\"}],"
  " \"profiles\":[{\"name\":\"top\",\"strategy\":\"best\",\"models\":[\"openai/gpt-4.1\",\"openai/gpt-4.1-mini\"]}]}";

static char *
first_of_plan (SyConfig  *config,
               SyStats   *stats)
{
  g_autoptr(JsonNode) request = sy_test_json_parse ("{\"model\":\"top\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_autoptr(SyRequestFacts) facts = sy_request_facts_new (json_node_get_object (request), NULL, NULL);
  g_autoptr(SyPlan) plan = sy_planner_plan (config, stats, NULL, facts, g_get_real_time (), -1);
  SyPlanEntry *entry;

  g_assert_cmpuint (plan->status, ==, 0);
  entry = g_ptr_array_index (plan->entries, 0);
  return g_strdup_printf ("%s/%s", entry->provider_id, entry->model);
}

static SyConfig *
load_config (const char *json,
             char      **dir_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = sy_catalog_new_default (&error);
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1", mock->port);
  g_auto(GStrv) parts = g_strsplit (json, "@MOCK@", -1);
  g_autofree char *text = g_strjoinv (url, parts);
  SyConfig *config;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  config = sy_config_load (path, catalog, &error);
  g_assert_no_error (error);
  *dir_out = g_steal_pointer (&dir);
  return config;
}

/* Until the user judged, the catalog's order decides; then the ratings do, both
 * ways. */
static void
test_best_follows_ratings (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(SyConfig) config = load_config (best_config, &dir);
  g_autoptr(SyStats) stats = sy_stats_new ();
  const char *pair[] = { "openai/gpt-4.1", "openai/gpt-4.1-mini" };
  SyRatings *ratings;
  g_autofree char *unrated = NULL, *mini_won = NULL, *full_won = NULL;

  unrated = first_of_plan (config, stats);
  g_assert_cmpstr (unrated, ==, "openai/gpt-4.1");

  ratings = sy_ratings_new ();
  sy_ratings_add (ratings, pair, (int[]) { 1, 5 }, 2);
  sy_stats_set_ratings (stats, ratings);
  mini_won = first_of_plan (config, stats);
  g_assert_cmpstr (mini_won, ==, "openai/gpt-4.1-mini");

  ratings = sy_ratings_new ();
  sy_ratings_add (ratings, pair, (int[]) { 5, 1 }, 2);
  sy_stats_set_ratings (stats, ratings);
  full_won = first_of_plan (config, stats);
  g_assert_cmpstr (full_won, ==, "openai/gpt-4.1");
  sy_test_rmdir (dir);
}

/* ----------------------------------------------------- runs from the app */

typedef struct {
  GString         *text;
  GArray          *arrivals;    /* gint64 µs of each delta */
  SyHistoryRecord *record;
  char            *error;
  gboolean         finished;
  gboolean         destroyed;
} Column;

static void
column_delta (const char *content,
              const char *reasoning,
              gpointer    data)
{
  Column *column = data;
  gint64 now = g_get_monotonic_time ();

  g_assert_false (column->finished);
  if (content != NULL)
    g_string_append (column->text, content);
  g_array_append_val (column->arrivals, now);
}

static void
column_finished (const SyHistoryRecord *record,
                 const char            *error,
                 gpointer               data)
{
  Column *column = data;

  g_assert_false (column->finished);
  column->finished = TRUE;
  column->record = record != NULL ? sy_history_record_copy (record) : NULL;
  column->error = g_strdup (error);
}

static void
column_destroy (gpointer data)
{
  Column *column = data;

  g_assert_true (column->finished);
  column->destroyed = TRUE;
}

static const SyRunSink column_sink = { column_delta, column_finished };

static void
column_clear (Column *column)
{
  g_string_free (column->text, TRUE);
  g_array_unref (column->arrivals);
  g_clear_pointer (&column->record, sy_history_record_free);
  g_free (column->error);
}

static void
run (SyServer     *server,
     const char   *model,
     Column       *column,
     GCancellable *cancellable)
{
  g_autofree char *json = g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\","
                                           "\"content\":\"Compare me\"}]}", model);
  g_autoptr(JsonNode) request = sy_test_json_parse (json);

  column->text = g_string_new (NULL);
  column->arrivals = g_array_new (FALSE, FALSE, sizeof (gint64));
  sy_server_run (server, json_node_get_object (request), "test", &column_sink, column, column_destroy,
                 cancellable);
}

static gboolean
all_finished (Column *columns,
              guint   n)
{
  for (guint i = 0; i < n; i++)
    if (!columns[i].destroyed)
      return FALSE;
  return TRUE;
}

static void
wait_columns (Column *columns,
              guint   n)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!all_finished (columns, n))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, TRUE);
    }
}

static SyServer *
start_quiet_server (SyConfig  *config,
                    SyHistory *history)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(GError) error = NULL;
  SyServer *server = sy_server_new (config, keys, history);

  g_assert_true (sy_server_start (server, SY_SERVER_NO_LISTEN, &error));
  g_assert_no_error (error);
  return server;
}

/* Three columns stream at once (their deltas interleave), each gets the text and
 * the figures history got; a column whose provider is down fails alone. */
static void
test_runs_stream_together (SyTestDbFixture *fixture,
                           gconstpointer    data)
{
  g_autofree char *dir = NULL;
  g_autoptr(SyConfig) config = load_config (best_config, &dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (fixture->path, &error);
  g_autoptr(SyServer) server = start_quiet_server (config, history);
  const char *models[] = { "openai/gpt-4.1", "openai/gpt-4.1-mini", "openai/gpt-4.1-nano", "dead/some-model" };
  Column columns[4] = { 0 };
  gint64 first_end = G_MAXINT64, last_start = 0;

  for (guint i = 0; i < 4; i++)
    run (server, models[i], &columns[i], NULL);
  wait_columns (columns, 4);

  for (guint i = 0; i < 3; i++)
    {
      SyHistoryRecord *record = columns[i].record;
      g_autofree char *model = g_strdup (strchr (models[i], '/') + 1);
      SyPrice price;
      double expected;

      g_assert_null (columns[i].error);
      g_assert_nonnull (record);
      g_assert_cmpint (record->status, ==, 200);
      g_assert_cmpstr (record->model, ==, model);
      g_assert_cmpstr (record->surface, ==, "compare");
      g_assert_true (g_str_has_prefix (columns[i].text->str, "Hello from mock."));
      g_assert_cmpuint (columns[i].arrivals->len, >, 3);
      g_assert_true (record->stream);
      g_assert_cmpint (record->completion_tokens, >, 0);
      g_assert_true (sy_config_get_price (config, "openai", model, &price));
      expected = (record->prompt_tokens * price.input + record->completion_tokens * price.output) / 1e6;
      g_assert_true (record->cost_known);
      g_assert_cmpfloat_with_epsilon (record->cost, expected, 1e-9);
      g_assert_cmpfloat (record->ttft_ms, >=, 0);

      first_end = MIN (first_end, g_array_index (columns[i].arrivals, gint64, columns[i].arrivals->len - 1));
      last_start = MAX (last_start, g_array_index (columns[i].arrivals, gint64, 0));
    }
  /* Concurrent: every stream had started before any had ended. */
  g_assert_cmpint (last_start, <, first_end);

  g_assert_nonnull (columns[3].error);
  g_assert_nonnull (columns[3].record);
  g_assert_cmpint (columns[3].record->status, >=, 500);
  g_assert_cmpuint (columns[3].text->len, ==, 0);

  sy_server_stop (server);
  sy_history_close (history);
  {
    g_autoptr(GPtrArray) rows = sy_test_history (fixture->path);
    g_assert_cmpuint (rows->len, ==, 4);
  }
  for (guint i = 0; i < 4; i++)
    column_clear (&columns[i]);
  sy_test_rmdir (dir);
}

/* Stop: every run is cancelled upstream and ends 499; nothing arrives after. */
static void
test_runs_cancel (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(SyConfig) config = load_config (best_config, &dir);
  g_autoptr(SyServer) server = start_quiet_server (config, NULL);
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  Column columns[3] = { 0 };

  for (guint i = 0; i < 3; i++)
    run (server, "openai/gpt-4.1-mini", &columns[i], stop);
  /* Let text start to arrive, then Stop. */
  while (columns[0].arrivals->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (stop);
  wait_columns (columns, 3);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_nonnull (columns[i].record);
      g_assert_cmpint (columns[i].record->status, ==, 499);
      /* 40 chunks at 15 ms: a finished answer would be much longer. */
      g_assert_cmpuint (columns[i].text->len, <, strlen ("Hello from mock.") + 40 * 3);
      column_clear (&columns[i]);
    }
  sy_server_stop (server);
  sy_test_rmdir (dir);
}

/* New ratings reach a running router: the "best" profile's next run follows. */
static void
test_runs_follow_ratings (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(SyConfig) config = load_config (best_config, &dir);
  g_autoptr(SyServer) server = start_quiet_server (config, NULL);
  const char *pair[] = { "openai/gpt-4.1", "openai/gpt-4.1-mini" };
  SyRatings *ratings = sy_ratings_new ();
  Column before = { 0 }, after = { 0 };

  run (server, "top", &before, NULL);
  wait_columns (&before, 1);
  g_assert_cmpstr (before.record->model, ==, "gpt-4.1");

  sy_ratings_add (ratings, pair, (int[]) { 2, 5 }, 2);
  sy_server_set_ratings (server, ratings);
  run (server, "top", &after, NULL);
  wait_columns (&after, 1);
  g_assert_cmpstr (after.record->model, ==, "gpt-4.1-mini");
  g_assert_cmpstr (after.record->profile, ==, "top");

  column_clear (&before);
  column_clear (&after);
  sy_server_stop (server);
  sy_test_rmdir (dir);
}

/* A run on a server that is not running ends at once, with a reason. */
static void
test_run_without_router (void)
{
  g_autofree char *dir = NULL;
  g_autoptr(SyConfig) config = load_config (best_config, &dir);
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(SyServer) server = sy_server_new (config, keys, NULL);
  Column column = { 0 };

  run (server, "top", &column, NULL);
  wait_columns (&column, 1);
  g_assert_nonnull (column.error);
  g_assert_null (column.record);
  column_clear (&column);
  sy_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  const char *mock_args[] = { "--chunks", "40", "--chunk-delay-ms", "15", NULL };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_setenv ("SY_CORE_KEY", KEY, TRUE);
  mock = sy_test_mock_start (mock_args);

  g_test_add_func ("/compare/elo", test_elo);
  g_test_add ("/compare/history", SyTestDbFixture, NULL, sy_test_db_fixture_setup, test_history,
              sy_test_db_fixture_teardown);
  g_test_add_func ("/compare/best-follows-ratings", test_best_follows_ratings);
  g_test_add ("/compare/runs-stream-together", SyTestDbFixture, NULL, sy_test_db_fixture_setup,
              test_runs_stream_together, sy_test_db_fixture_teardown);
  g_test_add_func ("/compare/runs-cancel", test_runs_cancel);
  g_test_add_func ("/compare/runs-follow-ratings", test_runs_follow_ratings);
  g_test_add_func ("/compare/run-without-router", test_run_without_router);

  status = g_test_run ();
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
