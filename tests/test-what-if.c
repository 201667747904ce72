/* test-what-if.c — re-pricing a generated history under other prices and other profiles.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-test"

#include <string.h>
#include <glib/gstdio.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-history.h"
#include "sy-json.h"
#include "sy-planner.h"
#include "sy-test-util.h"
#include "sy-what-if.h"

typedef SyTestDbFixture Fixture;

/* Prices in USD per million tokens, chosen so that every expected figure
 * below can be worked out by hand:
 *   alpha/big    2.00 in, 8.00 out, 0.50 cached
 *   alpha/small  0.40 in, 1.60 out, 0.10 cached; an 8,000-token context
 *   beta/mid     1.00 in, 5.00 out, 0.10 cached, 1.25 cache write; above
 *                50,000 prompt tokens 2.00, 10.00, 0.20, 2.50
 *   beta/wordy   1.50 in, 0.50 out (dear prompts, cheap answers)
 *   gamma/free-text  no price anywhere
 *   gamma/custom     0.25 in, 0.75 out, from the config's "prices" */
static const char catalog_json[] =
  "{\"providers\": ["
  "  {\"id\": \"alpha\", \"kind\": \"openai\", \"base_url\": \"https://alpha.invalid/v1\"},"
  "  {\"id\": \"beta\", \"kind\": \"anthropic\", \"base_url\": \"https://beta.invalid/v1\"},"
  "  {\"id\": \"gamma\", \"kind\": \"openai\", \"base_url\": \"https://gamma.invalid/v1\"}],"
  " \"models\": ["
  "  {\"provider\": \"alpha\", \"model\": \"big\", \"context_window\": 100000,"
  "   \"price\": {\"input\": 2.0, \"output\": 8.0, \"cached_input\": 0.5}},"
  "  {\"provider\": \"alpha\", \"model\": \"small\", \"context_window\": 8000,"
  "   \"price\": {\"input\": 0.4, \"output\": 1.6, \"cached_input\": 0.1}},"
  "  {\"provider\": \"beta\", \"model\": \"mid\", \"context_window\": 200000,"
  "   \"price\": {\"input\": 1.0, \"output\": 5.0, \"cached_input\": 0.1, \"cache_write\": 1.25,"
  "               \"tiers\": [{\"above\": 50000, \"input\": 2.0, \"output\": 10.0,"
  "                           \"cached_input\": 0.2, \"cache_write\": 2.5}]}},"
  "  {\"provider\": \"beta\", \"model\": \"wordy\", \"context_window\": 200000,"
  "   \"price\": {\"input\": 1.5, \"output\": 0.5}},"
  "  {\"provider\": \"gamma\", \"model\": \"free-text\"}]}";

static const char config_json[] =
  "{\"server\": {\"token\": \"sy-test\"},"
  " \"profiles\": ["
  "  {\"name\": \"fallback\", \"models\": [\"alpha/small\", \"beta/mid\"]},"
  "  {\"name\": \"cheapest\", \"strategy\": \"cheapest\","
  "   \"models\": [\"alpha/small\", \"beta/wordy\", \"beta/mid\"]},"
  "  {\"name\": \"nowhere\", \"models\": [\"alpha/small\"]},"
  "  {\"name\": \"balanced\", \"strategy\": \"balance\", \"models\": [\"alpha/small\", \"beta/wordy\"],"
  "   \"weights\": {\"beta/wordy\": 0}}],"
  " \"prices\": {\"gamma/custom\": {\"input\": 0.25, \"output\": 0.75}}}";

static guint n_requests;

static gint64
utc (int year,
     int month,
     int day,
     int hour,
     int minute)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (year, month, day, hour, minute, 0);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC;
}

static SyConfig *
config_from (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = sy_catalog_new_from_data (catalog_json, -1, &error);
  g_autoptr(JsonNode) root = NULL;
  SyConfig *config;

  g_assert_no_error (error);
  root = sy_json_parse (json, strlen (json), &error);
  g_assert_no_error (error);
  config = sy_config_new_from_root ("/nonexistent/config.json", catalog,
                                    json_node_get_object (root), &error);
  g_assert_no_error (error);
  return config;
}

static SyHistory *
open_history (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  SyHistory *history = sy_history_new (fixture->path, &error);

  g_assert_no_error (error);
  return history;
}

/* A request with tokens; @cost < 0 is unknown, @prompt < 0 none recorded. */
static void
add (SyHistory  *history,
     gint64      started_at_us,
     const char *id,
     int         status,
     gint64      prompt,
     gint64      completion,
     gint64      cached,
     gint64      cache_write,
     double      cost)
{
  SyHistoryRecord *record = sy_history_record_new ();
  g_auto(GStrv) parts = g_strsplit (id, "/", 2);

  record->request_id = g_strdup_printf ("sy-what-if-%u", n_requests++);
  record->started_at_us = started_at_us;
  record->surface = g_strdup ("chat.completions");
  record->requested_model = g_strdup (id);
  record->provider = g_strdup (parts[0]);
  record->model = g_strdup (parts[1]);
  record->status = status;
  record->prompt_tokens = prompt;
  record->completion_tokens = completion;
  record->cached_tokens = cached;
  record->cache_write_tokens = cache_write;
  record->cost_known = cost >= 0;
  record->cost = MAX (cost, 0);
  record->total_ms = 1000;
  sy_history_record (history, record);
}

/* Eight requests with tokens at noon on 2 June 2025 (one a second), and two
 * without: one failed, one with no token counts. Their recorded costs are
 * made up (last year's prices): the what-if never reads them but to add
 * them up. */
static void
fill (Fixture *fixture)
{
  g_autoptr(SyHistory) history = open_history (fixture);
  gint64 t = utc (2025, 6, 2, 12, 0);

  add (history, t + 1 * G_USEC_PER_SEC, "alpha/big", 200, 1000, 500, 0, 0, 0.006);
  add (history, t + 2 * G_USEC_PER_SEC, "alpha/big", 200, 10000, 1000, 4000, 0, 0.025);
  add (history, t + 3 * G_USEC_PER_SEC, "beta/mid", 200, 60000, 2000, 10000, 5000, 0.1);
  add (history, t + 4 * G_USEC_PER_SEC, "gamma/free-text", 200, 3000, 300, 0, 0, -1);
  add (history, t + 5 * G_USEC_PER_SEC, "gamma/custom", 200, 2000, 1000, 0, 0, 0.001);
  add (history, t + 6 * G_USEC_PER_SEC, "beta/wordy", 200, 4100, 3900, 0, 0, 0.014);
  add (history, t + 7 * G_USEC_PER_SEC, "beta/mid", 200, 1000, 7000, 0, 0, 0.036);
  add (history, t + 8 * G_USEC_PER_SEC, "alpha/big", 200, 1000, 600, 0, 0, 0.0068);
  add (history, t + 9 * G_USEC_PER_SEC, "alpha/small", 500, 500, 100, 0, 0, 0.0004);
  add (history, t + 10 * G_USEC_PER_SEC, "alpha/small", 200, -1, -1, -1, -1, -1);
  sy_history_close (history);
}

static void
assert_row (SyWhatIf   *what_if,
            guint       i,
            const char *model,
            const char *what_if_model,
            gint64      requests,
            double      recorded,
            double      cost)
{
  const SyWhatIfRow *row;

  g_assert_cmpuint (i, <, what_if->rows->len);
  row = g_ptr_array_index (what_if->rows, i);
  g_assert_cmpstr (row->model, ==, model);
  g_assert_cmpstr (row->what_if_model, ==, what_if_model);
  g_assert_cmpint (row->requests, ==, requests);
  assert_usd (row->recorded_cost, recorded);
  assert_usd (row->what_if_cost, cost);
}

/* Recorded: 0.006 + 0.025 + 0.1 + 0.001 + 0.014 + 0.036 + 0.0068, one unknown. */
static void
assert_recorded (SyWhatIf *what_if)
{
  g_assert_cmpint (what_if->requests, ==, 8);
  g_assert_cmpint (what_if->recorded_unpriced, ==, 1);
  assert_usd (what_if->recorded_cost, 0.1888);
}

static SyWhatIf *
prices (Fixture  *fixture,
        SyConfig *config)
{
  g_autoptr(GError) error = NULL;
  SyWhatIf *what_if = sy_what_if_prices (fixture->path, ALL_FROM, ALL_TO, config, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (what_if);
  return what_if;
}

static SyWhatIf *
profile (Fixture    *fixture,
         SyConfig   *config,
         const char *name)
{
  g_autoptr(GError) error = NULL;
  SyWhatIf *what_if = sy_what_if_profile (fixture->path, ALL_FROM, ALL_TO, config, name, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (what_if);
  return what_if;
}

/* ------------------------------------------------------------------ prices */

/* Today's prices: each request on its own model, at the catalog's or the config's price. */
static void
test_todays_prices (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(SyWhatIf) what_if = NULL;

  fill (fixture);
  what_if = prices (fixture, config);
  assert_recorded (what_if);
  /* big 1000/500: 2,000 + 4,000 µ$
   * big 10000/1000, 4000 cached: 6,000 × 2 + 4,000 × 0.5 + 1,000 × 8 = 22,000 µ$
   * mid 60000 (above the tier)/2000, 10,000 cached, 5,000 written:
   *   45,000 × 2 + 10,000 × 0.2 + 5,000 × 2.5 + 2,000 × 10 = 124,500 µ$
   * free-text: no price; custom 2000/1000: 500 + 750 µ$
   * wordy 4100/3900: 6,150 + 1,950 µ$; mid 1000/7000: 1,000 + 35,000 µ$
   * big 1000/600: 2,000 + 4,800 µ$ */
  assert_usd (what_if->what_if_cost, 0.006 + 0.022 + 0.1245 + 0.00125 + 0.0081 + 0.036 + 0.0068);
  g_assert_cmpint (what_if->what_if_unpriced, ==, 1);

  g_assert_cmpuint (what_if->rows->len, ==, 5);
  assert_row (what_if, 0, "beta/mid", "beta/mid", 2, 0.136, 0.1605);
  assert_row (what_if, 1, "alpha/big", "alpha/big", 3, 0.0378, 0.0348);
  assert_row (what_if, 2, "beta/wordy", "beta/wordy", 1, 0.014, 0.0081);
  assert_row (what_if, 3, "gamma/custom", "gamma/custom", 1, 0.001, 0.00125);
  assert_row (what_if, 4, "gamma/free-text", "gamma/free-text", 1, 0, 0);
  g_assert_cmpint (((SyWhatIfRow *) what_if->rows->pdata[4])->recorded_unpriced, ==, 1);
  g_assert_cmpint (((SyWhatIfRow *) what_if->rows->pdata[4])->what_if_unpriced, ==, 1);
  g_assert_cmpint (((SyWhatIfRow *) what_if->rows->pdata[0])->what_if_unpriced, ==, 0);
}

static char *
write_file (Fixture    *fixture,
            const char *name,
            const char *contents)
{
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

/* A price table: big and mid at other prices, the rest as before. */
static void
test_price_table (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  const char *tables[] = {
    /* bare */
    "{\"alpha/big\": {\"input\": 1, \"output\": 4.0, \"cached_input\": 0.25},"
    " \"beta/mid\": {\"input\": 0.5, \"output\": 2.5}}",
    /* config-shaped, whose other members do not matter */
    "{\"server\": {\"port\": 1}, \"profiles\": [],"
    " \"prices\": {\"alpha/big\": {\"input\": 1, \"output\": 4.0, \"cached_input\": 0.25},"
    "              \"beta/mid\": {\"input\": 0.5, \"output\": 2.5}}}",
  };

  fill (fixture);
  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *path = write_file (fixture, "prices.json", tables[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(SyConfig) table = sy_what_if_load_prices (config, path, &error);
      g_autoptr(SyWhatIf) what_if = NULL;
      SyPrice price;

      g_assert_no_error (error);
      g_assert_nonnull (table);
      /* The base is untouched, and the table keeps the base's own prices. */
      g_assert_true (sy_config_get_price (config, "alpha", "big", &price));
      g_assert_cmpfloat (price.input, ==, 2.0);
      g_assert_true (sy_config_get_price (table, "gamma", "custom", &price));
      g_assert_cmpfloat (price.input, ==, 0.25);
      g_assert_cmpint (sy_config_get_port (table), ==, sy_config_get_port (config));

      what_if = prices (fixture, table);
      assert_recorded (what_if);
      /* big 1000/500: 1,000 + 2,000; 10000/1000 with 4,000 cached at the
       * cached price: 6,000 + 1,000 + 4,000; 1000/600: 1,000 + 2,400 µ$.
       * mid has no tier and no cache prices in the table: everything on the
       * prompt at 0.5: 60,000 × 0.5 + 2,000 × 2.5 = 35,000 µ$; 1000/7000:
       * 500 + 17,500 µ$. wordy (not in the table) at the catalog's 8,100 µ$,
       * custom at the config's 1,250 µ$, free-text unpriced. */
      assert_usd (what_if->what_if_cost, 0.003 + 0.011 + 0.0034 + 0.035 + 0.018 + 0.0081 + 0.00125);
      g_assert_cmpint (what_if->what_if_unpriced, ==, 1);
      assert_row (what_if, 0, "beta/mid", "beta/mid", 2, 0.136, 0.053);
      assert_row (what_if, 1, "alpha/big", "alpha/big", 3, 0.0378, 0.0174);
    }
}

/* ---------------------------------------------------------------- profiles */

/* small first, mid when small's 8,000-token context cannot hold prompt + output. */
static void
test_fallback_profile (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(SyWhatIf) what_if = NULL;

  fill (fixture);
  what_if = profile (fixture, config, "fallback");
  assert_recorded (what_if);
  /* On small at 0.4/1.6, the cache at 0.1: 1000/500 → 1,200; 3000/300 →
   * 1,680; 2000/1000 → 2,400; 4100/3900 (8,000 tokens: just fits) → 7,880;
   * 1000/7000 → 11,600; 1000/600 → 1,360 µ$. On mid: 10000/1000 with 4,000
   * cached → 6,000 + 400 + 5,000 = 11,400; 60000/2000 → 124,500 µ$ (tier). */
  assert_usd (what_if->what_if_cost,
              0.0012 + 0.00168 + 0.0024 + 0.00788 + 0.0116 + 0.00136 + 0.0114 + 0.1245);
  g_assert_cmpint (what_if->what_if_unpriced, ==, 0);

  g_assert_cmpuint (what_if->rows->len, ==, 7);
  assert_row (what_if, 0, "beta/mid", "beta/mid", 1, 0.1, 0.1245);
  assert_row (what_if, 1, "beta/mid", "alpha/small", 1, 0.036, 0.0116);
  assert_row (what_if, 2, "alpha/big", "beta/mid", 1, 0.025, 0.0114);
  assert_row (what_if, 3, "beta/wordy", "alpha/small", 1, 0.014, 0.00788);
  assert_row (what_if, 4, "alpha/big", "alpha/small", 2, 0.0128, 0.00256);
  assert_row (what_if, 5, "gamma/custom", "alpha/small", 1, 0.001, 0.0024);
  assert_row (what_if, 6, "gamma/free-text", "alpha/small", 1, 0, 0.00168);
}

/* The cheapest estimate (prompt and completion at list prices) picks; the
 * bill then counts the cache. 1000/500 and 1000/7000 have the same prompt
 * and go to different models. */
static void
test_cheapest_profile (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(SyWhatIf) what_if = NULL;

  fill (fixture);
  what_if = profile (fixture, config, "cheapest");
  assert_recorded (what_if);
  /* Estimates in µ$ (small / wordy / mid):
   *   1000/500    1,200 / 1,750 / 3,500        → small 1,200
   *   10000/1000  too big / 15,500 / 15,000    → mid 11,400 (cache)
   *   60000/2000  too big / 91,000 / 140,000   → wordy 91,000 (mid's tier)
   *   3000/300    1,680 / 4,650 / …            → small 1,680
   *   2000/1000   2,400 / 3,500 / 7,000        → small 2,400
   *   4100/3900   7,880 / 8,100 / …            → small 7,880
   *   1000/7000   11,600 / 5,000 / 36,000      → wordy 5,000
   *   1000/600    1,360 / 1,800 / 4,000        → small 1,360 */
  assert_usd (what_if->what_if_cost,
              0.0012 + 0.0114 + 0.091 + 0.00168 + 0.0024 + 0.00788 + 0.005 + 0.00136);
  g_assert_cmpint (what_if->what_if_unpriced, ==, 0);
  assert_row (what_if, 0, "beta/mid", "beta/wordy", 2, 0.136, 0.096);
  assert_row (what_if, 1, "alpha/big", "beta/mid", 1, 0.025, 0.0114);

  /* Cheaper answers on small turn 1000/7000 over to it. */
  {
    g_autoptr(SyConfig) table = NULL;
    g_autoptr(SyWhatIf) cheaper = NULL;
    g_autoptr(GError) error = NULL;
    const char *json = "{\"alpha/small\": {\"input\": 0.4, \"output\": 0.5}}";

    table = sy_what_if_load_prices_data (config, json, strlen (json), "cheaper.json", &error);
    g_assert_no_error (error);
    cheaper = profile (fixture, table, "cheapest");
    /* 1000/7000 → small 400 + 3,500; 4100/3900 → 1,640 + 1,950; 60000/2000
     * still wordy; the others small, now at 0.5 an output token. */
    assert_usd (cheaper->what_if_cost,
                0.00065 + 0.0114 + 0.091 + 0.00135 + 0.0013 + 0.00359 + 0.0039 + 0.0007);
  }
}

/* A profile whose only model is too small for two requests leaves them unpriced. */
static void
test_refusing_profile (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(SyWhatIf) what_if = NULL;
  const SyWhatIfRow *refused;

  fill (fixture);
  what_if = profile (fixture, config, "nowhere");
  assert_recorded (what_if);
  assert_usd (what_if->what_if_cost, 0.0012 + 0.00168 + 0.0024 + 0.00788 + 0.0116 + 0.00136);
  g_assert_cmpint (what_if->what_if_unpriced, ==, 2);
  /* 60000/2000 and 10000/1000: no model. */
  assert_row (what_if, 0, "beta/mid", NULL, 1, 0.1, 0);
  assert_row (what_if, 2, "alpha/big", NULL, 1, 0.025, 0);
  refused = g_ptr_array_index (what_if->rows, 0);
  g_assert_cmpint (refused->what_if_unpriced, ==, 1);
  g_assert_cmpfloat (refused->what_if_cost, ==, 0);

  /* "balance" draws at random, each pair on its own; with wordy weighing
   * nothing, the draw always gives small, and the same refusals. */
  {
    g_autoptr(SyWhatIf) balanced = profile (fixture, config, "balanced");

    assert_usd (balanced->what_if_cost, what_if->what_if_cost);
    g_assert_cmpint (balanced->what_if_unpriced, ==, 2);
    g_assert_cmpuint (balanced->rows->len, ==, what_if->rows->len);
  }
}

static void
test_unknown_profile (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(SyWhatIf) what_if = NULL;

  fill (fixture);
  /* Not a profile of the config, though the planner would route it. */
  for (guint i = 0; i < 3; i++)
    {
      const char *names[] = { "no-such-profile", "alpha/big", "" };

      what_if = sy_what_if_profile (fixture->path, ALL_FROM, ALL_TO, config, names[i], NULL, &error);
      g_assert_null (what_if);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (error->message, names[i]));
      g_assert_nonnull (strstr (error->message, "profile"));
      g_clear_error (&error);
    }
}

/* --------------------------------------------------- what the planner would do */

static void
fill_box (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (path, &error);
  gint64 t = utc (2025, 6, 2, 12, 0);

  g_assert_no_error (error);
  /* The corners of a box of counts, and a request inside it. */
  add (history, t, "alpha/big", 200, 1000, 1500, 0, 0, 0.01);
  add (history, t, "alpha/big", 200, 1000, 9000, 0, 0, 0.01);
  add (history, t, "alpha/big", 200, 9000, 1500, 0, 0, 0.01);
  add (history, t, "alpha/big", 200, 9000, 9000, 0, 0, 0.01);
  add (history, t, "alpha/big", 200, 4500, 2000, 0, 0, 0.01);
  sy_history_close (history);
}

/* Where the plans at the four corners of the counts agree and a request
 * inside is still planned otherwise: wordy is the cheapest at every corner,
 * small (dear answers, an 8,000-token context) only inside, where it fits.
 * Then a rule sends prompts over 5,000 tokens to wordy alone. */
static void
test_inside_the_corners (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(SyConfig) ruled = config_from (
    "{\"server\": {\"token\": \"sy-test\"},"
    " \"rules\": [{\"when\": {\"prompt_tokens_over\": 5000}, \"profile\": \"wordy\"}],"
    " \"profiles\": ["
    "  {\"name\": \"cheapest\", \"strategy\": \"cheapest\","
    "   \"models\": [\"alpha/small\", \"beta/wordy\", \"beta/mid\"]},"
    "  {\"name\": \"wordy\", \"models\": [\"beta/wordy\"]}]}");
  g_autoptr(SyWhatIf) what_if = NULL;
  g_autoptr(SyWhatIf) ruled_what_if = NULL;
  g_autoptr(GError) error = NULL;

  fill_box (fixture->path);

  /* Estimates (small / wordy): 1000/1500 2,800 / 2,250; 1000/9000 too big /
   * 6,000; 9000/1500 too big / 14,250; 9000/9000 too big / 18,000; inside,
   * 4500/2000: 5,000 / 7,750. */
  what_if = profile (fixture, config, "cheapest");
  assert_usd (what_if->what_if_cost, 0.00225 + 0.006 + 0.01425 + 0.018 + 0.005);
  g_assert_cmpuint (what_if->rows->len, ==, 2);
  assert_row (what_if, 0, "alpha/big", "beta/wordy", 4, 0.04, 0.0405);
  assert_row (what_if, 1, "alpha/big", "alpha/small", 1, 0.01, 0.005);

  /* With the rule, the right-hand corners are wordy's by the rule, and the
   * plans at the smallest and largest sums remove nothing: only the rule's
   * threshold tells the inside from them. */
  ruled_what_if = sy_what_if_profile (fixture->path, ALL_FROM, ALL_TO, ruled, "cheapest", NULL, &error);
  g_assert_no_error (error);
  assert_usd (ruled_what_if->what_if_cost, 0.00225 + 0.006 + 0.01425 + 0.018 + 0.005);
  assert_row (ruled_what_if, 1, "alpha/big", "alpha/small", 1, 0.01, 0.005);
}


/* The what-if plans far fewer times than there are requests: it must give
 * what planning each request on its own gives. A randomised history crosses
 * a rule's threshold, a tier, context windows, a completion of 0 and prices
 * where the cheapest model changes. */
static void
test_same_as_planning_each (Fixture       *fixture,
                            gconstpointer  data)
{
  static const char *models[] = { "alpha/big", "alpha/small", "beta/mid", "beta/wordy", "gamma/free-text" };
  g_autoptr(SyConfig) config = config_from (
    "{\"server\": {\"token\": \"sy-test\"},"
    " \"rules\": [{\"when\": {\"prompt_tokens_over\": 30000.5}, \"profile\": \"long\"}],"
    " \"profiles\": ["
    "  {\"name\": \"cheapest\", \"strategy\": \"cheapest\", \"expected_output\": 20000,"
    "   \"models\": [\"alpha/small\", \"beta/wordy\", \"beta/mid\", \"alpha/big\"]},"
    "  {\"name\": \"fallback\", \"models\": [\"alpha/small\", \"alpha/big\", \"beta/mid\"]},"
    "  {\"name\": \"long\", \"strategy\": \"cheapest\", \"models\": [\"beta/mid\", \"alpha/big\"]}]}");
  g_autoptr(SyHistory) history = open_history (fixture);
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  g_autoptr(GArray) requests = g_array_new (FALSE, FALSE, sizeof (gint64) * 4);

  for (guint i = 0; i < 600; i++)
    {
      gint64 r[4];

      r[0] = g_rand_int_range (rand, 0, 3) == 0 ? g_rand_int_range (rand, 0, 9000)
                                                 : g_rand_int_range (rand, 0, 120000);
      r[1] = g_rand_int_range (rand, 0, 8) == 0 ? 0 : g_rand_int_range (rand, 1, 12000);
      r[2] = g_rand_int_range (rand, 0, 2) == 0 ? r[0] / 3 : 0;
      r[3] = g_rand_int_range (rand, 0, G_N_ELEMENTS (models));
      add (history, utc (2025, 6, 2, 12, 0) + i, models[r[3]], 200, r[0], r[1], r[2], 0, 0.01);
      g_array_append_val (requests, r);
    }
  sy_history_close (history);

  for (guint p = 0; p < 2; p++)
    {
      const char *name = p == 0 ? "cheapest" : "fallback";
      g_autoptr(SyWhatIf) what_if = profile (fixture, config, name);
      g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_autoptr(GHashTable) winners = g_hash_table_new (g_str_hash, g_str_equal);
      double total = 0;
      gint64 unpriced = 0;

      for (guint i = 0; i < requests->len; i++)
        {
          const gint64 *r = &g_array_index (requests, gint64, i * 4);
          SyRequestFacts facts = { .requested = (char *) name, .prompt_tokens = r[0], .max_output = r[1] };
          g_autoptr(SyPlan) plan = sy_planner_plan (config, NULL, NULL, &facts, g_get_real_time (), 0);
          SyUsage usage = { .prompt_tokens = r[0], .completion_tokens = r[1], .cached_tokens = r[2] };
          g_autofree char *key = NULL;
          const SyPlanEntry *entry;
          double *sum;
          SyPrice price;
          SyCost cost = { 0 };

          if (plan->status != 0 || plan->entries->len == 0)
            {
              unpriced++;
              key = g_strdup_printf ("%s>", models[r[3]]);
            }
          else
            {
              entry = g_ptr_array_index (plan->entries, 0);
              g_assert_true (sy_config_get_price (config, entry->provider_id, entry->model, &price));
              g_assert_true (sy_cost_compute (&price, &usage, &cost));
              total += cost.total;
              key = g_strdup_printf ("%s>%s/%s", models[r[3]], entry->provider_id, entry->model);
            }
          sum = g_hash_table_lookup (expected, key);
          if (sum == NULL)
            {
              sum = g_new0 (double, 1);
              g_hash_table_insert (expected, g_steal_pointer (&key), sum);
            }
          *sum += plan->status == 0 ? cost.total : 0;
        }

      g_assert_cmpint (what_if->requests, ==, requests->len);
      assert_usd (what_if->what_if_cost, total);
      g_assert_cmpint (what_if->what_if_unpriced, ==, unpriced);
      g_assert_cmpuint (what_if->rows->len, ==, g_hash_table_size (expected));
      for (guint i = 0; i < what_if->rows->len; i++)
        {
          const SyWhatIfRow *row = g_ptr_array_index (what_if->rows, i);
          g_autofree char *key = g_strdup_printf ("%s>%s", row->model,
                                                  row->what_if_model != NULL ? row->what_if_model : "");
          double *sum = g_hash_table_lookup (expected, key);

          g_assert_nonnull (sum);
          assert_usd (row->what_if_cost, *sum);
          if (row->what_if_model != NULL)
            g_hash_table_add (winners, row->what_if_model);
        }
      /* The history did reach several choices. */
      g_assert_cmpuint (g_hash_table_size (winners), >=, 3);
    }
}

/* ----------------------------------------------------- ranges, empty, errors */

static void
test_range (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(SyHistory) history = open_history (fixture);
  gint64 from = utc (2025, 6, 1, 0, 0), to = utc (2025, 6, 2, 0, 0);
  g_autoptr(GError) error = NULL;

  /* Just before, first instant, last instant, end (excluded): each 1000/500 on big. */
  add (history, from - 1, "alpha/big", 200, 1000, 500, 0, 0, 1.0);
  add (history, from, "alpha/big", 200, 1000, 500, 0, 0, 0.1);
  add (history, to - 1, "alpha/big", 200, 1000, 500, 0, 0, 0.01);
  add (history, to, "alpha/big", 200, 1000, 500, 0, 0, 10.0);
  sy_history_close (history);

  {
    g_autoptr(SyWhatIf) what_if = sy_what_if_prices (fixture->path, from, to, config, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (what_if->requests, ==, 2);
    assert_usd (what_if->recorded_cost, 0.11);
    assert_usd (what_if->what_if_cost, 2 * 0.006);
  }
  {
    g_autoptr(SyWhatIf) what_if = sy_what_if_profile (fixture->path, from, to, config, "fallback",
                                                      NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (what_if->requests, ==, 2);
    assert_usd (what_if->recorded_cost, 0.11);
    assert_usd (what_if->what_if_cost, 2 * 0.0012);
  }
  {
    g_autoptr(SyWhatIf) what_if = sy_what_if_prices (fixture->path, to + 1, G_MAXINT64, config,
                                                     NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (what_if->requests, ==, 0);
    g_assert_cmpuint (what_if->rows->len, ==, 0);
  }
}

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(GError) error = NULL;

  /* No file, then a history that was created but holds nothing. */
  for (guint pass = 0; pass < 2; pass++)
    {
      g_autoptr(SyWhatIf) by_prices = NULL;
      g_autoptr(SyWhatIf) by_profile = NULL;

      if (pass == 1)
        {
          g_autoptr(SyHistory) history = open_history (fixture);

          sy_history_close (history);
        }
      by_prices = prices (fixture, config);
      by_profile = profile (fixture, config, "cheapest");
      g_assert_cmpint (by_prices->requests, ==, 0);
      g_assert_cmpint (by_profile->requests, ==, 0);
      g_assert_cmpfloat (by_prices->recorded_cost, ==, 0);
      g_assert_cmpfloat (by_profile->what_if_cost, ==, 0);
      g_assert_cmpuint (by_prices->rows->len, ==, 0);
      g_assert_cmpuint (by_profile->rows->len, ==, 0);
    }

  /* Not a history: an error, not an empty result. */
  g_assert_true (g_file_set_contents (fixture->path, "plain text, not SQLite at all", -1, NULL));
  g_assert_null (sy_what_if_prices (fixture->path, ALL_FROM, ALL_TO, config, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  fill (fixture);
  g_cancellable_cancel (cancellable);
  g_assert_null (sy_what_if_prices (fixture->path, ALL_FROM, ALL_TO, config, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (sy_what_if_profile (fixture->path, ALL_FROM, ALL_TO, config, "fallback",
                                     cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* ------------------------------------------------------------ price tables */

static void
test_invalid_tables (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(SyConfig) config = config_from (config_json);
  g_autoptr(GString) deep = g_string_new (NULL);
  const struct {
    const char *json;
    const char *problem;
  } cases[] = {
    { "", "empty" },
    { "{\"a/b\": {\"input\": 1, \"output\": 2}", "Invalid JSON" },
    { "{\"a/b\": {\"input\": 1, \"output\": 2}} {}", "more than one value" },
    { "[1, 2]", "JSON object" },
    { "{}", "no prices" },
    { "{\"prices\": {}}", "no prices" },
    { "{\"prices\": [1]}", "“prices” member must be an object" },
    { "{\"gpt-4.1\": {\"input\": 1, \"output\": 2}}", "“gpt-4.1” is not a model name" },
    { "{\"/x\": {\"input\": 1, \"output\": 2}}", "“/x” is not a model name" },
    { "{\"a/b\": 1.5}", "price of “a/b” must be an object" },
    { "{\"a/b\": {\"input\": 1}}", "“a/b” needs “input” and “output”" },
    { "{\"a/b\": {\"input\": -1, \"output\": 2}}", "“a/b” needs “input” and “output”" },
    { "{\"a/b\": {\"input\": \"1\", \"output\": 2}}", "“a/b” needs “input” and “output”" },
    { "{\"a/b\": {\"input\": 1, \"output\": 2}, \"c/d\": {\"input\": 1, \"output\": 2, \"cached_input\": null}}",
      "“cached_input” and “cache_write” prices of “c/d”" },
    { "{\"a/b\": {\"input\": 1, \"output\": 2, \"cache_write\": -0.5}}", "prices of “a/b”" },
    { NULL, "nest" },
  };

  for (guint i = 0; i < 600; i++)
    g_string_append_c (deep, '[');

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *json = cases[i].json != NULL ? cases[i].json : deep->str;
      g_autofree char *path = write_file (fixture, "bad prices.json", json);
      g_autoptr(GError) error = NULL;
      g_autoptr(SyConfig) table = sy_what_if_load_prices (config, path, &error);

      if (g_test_verbose ())
        g_test_message ("%s", error != NULL ? error->message : "(no error)");
      g_assert_null (table);
      g_assert_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, cases[i].problem));
    }

  {
    g_autofree char *missing = g_build_filename (fixture->dir, "missing.json", NULL);
    g_autoptr(GError) error = NULL;

    g_assert_null (sy_what_if_load_prices (config, missing, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull (strstr (error->message, missing));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, sy_test_db_fixture_setup, func, sy_test_db_fixture_teardown)

  ADD ("/what-if/prices/today", test_todays_prices);
  ADD ("/what-if/prices/table", test_price_table);
  ADD ("/what-if/prices/invalid-tables", test_invalid_tables);
  ADD ("/what-if/profile/fallback", test_fallback_profile);
  ADD ("/what-if/profile/cheapest", test_cheapest_profile);
  ADD ("/what-if/profile/refusing", test_refusing_profile);
  ADD ("/what-if/profile/unknown", test_unknown_profile);
  ADD ("/what-if/profile/inside-the-corners", test_inside_the_corners);
  ADD ("/what-if/profile/same-as-planning-each", test_same_as_planning_each);
  ADD ("/what-if/range", test_range);
  ADD ("/what-if/empty", test_empty);
  ADD ("/what-if/cancelled", test_cancelled);

  return g_test_run ();
}
