/* test-planner.c — request facts, rules, aliases, filters, strategies, budgets and
 * the explanation of each plan.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>

#include "sy-config.h"
#include "sy-json.h"
#include "sy-planner.h"
#include "sy-test-util.h"

#define NOW_US   ((gint64) 1750000000 * G_USEC_PER_SEC)
#define MONO_US  ((gint64) 5000 * G_USEC_PER_SEC)

static SyCatalog *catalog;

#define UNKNOWN_FORMAT \
  "Unknown model '%s': use provider/model (for example openai/gpt-4.1-mini), " \
  "a profile name, or a model name from the catalog; GET /v1/models lists them"

static SyConfig *
config_new (const char *json)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr(GError) error = NULL;
  SyConfig *config;

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  config = sy_config_load (path, catalog, &error);
  g_assert_no_error (error);
  sy_test_rmdir (dir);
  return config;
}

/* Profiles without "models" (every catalog model) go in after loading. */
static void
config_add_profile (SyConfig   *config,
                    const char *json)
{
  g_autoptr(JsonNode) node = sy_test_json_parse (json);
  JsonObject *root = sy_config_get_root (config);
  JsonArray *profiles = sy_json_get_array (root, "profiles");

  if (profiles == NULL)
    {
      profiles = json_array_new ();
      json_object_set_array_member (root, "profiles", profiles);
    }
  json_array_add_element (profiles, json_node_copy (node));
}

static SyRequestFacts *
facts_new (const char *hub_json,
           const char *client,
           const char *profile_header)
{
  g_autoptr(JsonNode) hub = sy_test_json_parse (hub_json);
  return sy_request_facts_new (json_node_get_object (hub), client, profile_header);
}

static SyPlan *
plan_for (SyConfig   *config,
          SyStats    *stats,
          SyBudget   *budget,
          const char *hub_json)
{
  g_autoptr(SyRequestFacts) facts = facts_new (hub_json, NULL, NULL);
  return sy_planner_plan (config, stats, budget, facts, NOW_US, MONO_US);
}

static char *
request (const char *model)
{
  return g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                          model);
}

static SyPlan *
plan_model (SyConfig   *config,
            SyStats    *stats,
            SyBudget   *budget,
            const char *model)
{
  g_autofree char *hub = request (model);
  return plan_for (config, stats, budget, hub);
}

/* The entries as "provider/model,provider/model". */
static char *
entries_string (SyPlan *plan)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < plan->entries->len; i++)
    {
      SyPlanEntry *entry = g_ptr_array_index (plan->entries, i);
      g_string_append_printf (out, "%s%s/%s", i > 0 ? "," : "", entry->provider_id, entry->model);
    }
  return g_string_free (out, FALSE);
}

static void
assert_entries (SyPlan     *plan,
                const char *expected)
{
  g_autofree char *got = entries_string (plan);

  g_assert_cmpuint (plan->status, ==, 0);
  g_assert_cmpstr (got, ==, expected);
}

static JsonObject *
explained_candidate (SyPlan     *plan,
                     const char *id)
{
  JsonArray *candidates = sy_json_get_array (plan->explanation, "candidates");

  g_assert_nonnull (candidates);
  for (guint i = 0; i < json_array_get_length (candidates); i++)
    {
      JsonObject *candidate = sy_json_array_get_object (candidates, i);
      if (g_strcmp0 (sy_json_get_string (candidate, "model"), id) == 0)
        return candidate;
    }
  g_error ("%s is not in the explanation", id);
  return NULL;
}

static const char *
removed_reason (SyPlan     *plan,
                const char *id)
{
  return sy_json_get_string (explained_candidate (plan, id), "removed");
}

/* ------------------------------------------------------------------ facts */

static void
test_facts (void)
{
  g_autoptr(SyRequestFacts) facts = facts_new (
    "{\"model\":\"auto\",\"max_completion_tokens\":300,"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
    "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{}}},"
    "\"reasoning_effort\":\"low\","
    "\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look at this\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]},"
    "{\"role\":\"assistant\",\"content\":\"ok\"}]}", "curl/8.0", "work");
  g_autoptr(SyRequestFacts) plain = facts_new (
    "{\"model\":\"x\",\"max_tokens\":77,\"tools\":[],\"reasoning_effort\":\"none\","
    "\"response_format\":{\"type\":\"json_object\"},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"0123456789abcdef\"}]}", NULL, NULL);
  g_autoptr(SyRequestFacts) empty = sy_request_facts_new (NULL, NULL, NULL);

  g_assert_cmpstr (facts->requested, ==, "auto");
  g_assert_cmpstr (facts->client, ==, "curl/8.0");
  g_assert_cmpstr (facts->profile_header, ==, "work");
  g_assert_true (facts->needs_tools);
  g_assert_true (facts->needs_images);
  g_assert_true (facts->needs_json_schema);
  g_assert_true (facts->needs_reasoning);
  g_assert_cmpint (facts->max_output, ==, 300);
  g_assert_cmpstr (facts->prompt_text, ==, "be brief\nlook at this\nok");
  /* 24 bytes of text: about 6 tokens, the image's data URL not counted as text. */
  g_assert_cmpint (facts->prompt_tokens, ==, 6);

  g_assert_false (plain->needs_tools);
  g_assert_false (plain->needs_images);
  g_assert_false (plain->needs_json_schema);
  g_assert_false (plain->needs_reasoning);
  g_assert_cmpint (plain->max_output, ==, 77);
  g_assert_cmpint (plain->prompt_tokens, ==, 4);
  g_assert_null (plain->client);

  g_assert_null (empty->requested);
  g_assert_cmpint (empty->prompt_tokens, ==, 0);

  sy_request_facts_free (NULL);
  sy_plan_free (NULL);
}

/* ------------------------------------------------------------ resolution */

static void
test_direct_untouched (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"rules\":[],\"profiles\":[{\"name\":\"p\",\"models\":[\"openai/gpt-4o\"],"
    "\"deny_providers\":[\"groq\"]}]}");
  /* Images and tools to a model that has neither: sent as asked. */
  g_autoptr(SyPlan) plan = plan_for (config, NULL, NULL,
    "{\"model\":\"groq/llama-3.1-8b-instant\",\"tools\":[{\"type\":\"function\"}],"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}");
  g_autoptr(SyPlan) fresh = plan_model (config, NULL, NULL, "openai/brand-new-model");
  g_autoptr(SyPlan) bare = plan_model (config, NULL, NULL, "llama-3.1-8b-instant");
  g_autoptr(SyPlan) slashed = plan_model (config, NULL, NULL, "meta-llama/Llama-3.3-70B-Instruct-Turbo");

  assert_entries (plan, "groq/llama-3.1-8b-instant");
  g_assert_null (plan->profile);
  g_assert_true (sy_json_get_bool (plan->explanation, "direct", FALSE));
  g_assert_cmpstr (sy_json_get_string (plan->explanation, "winner"), ==, "groq/llama-3.1-8b-instant");
  g_assert_cmpfloat (plan->estimate_usd, >, 0);
  g_assert_cmpuint (plan->budget_ticket, ==, 0);

  /* Providers add models every week: forwarded, price unknown. */
  assert_entries (fresh, "openai/brand-new-model");
  g_assert_cmpfloat (fresh->estimate_usd, <, 0);

  assert_entries (bare, "groq/llama-3.1-8b-instant");
  g_assert_null (bare->profile);
  assert_entries (slashed, "together/meta-llama/Llama-3.3-70B-Instruct-Turbo");
}

static void
test_unknown_404 (void)
{
  g_autoptr(SyConfig) config = config_new ("{\"profiles\":[]}");
  g_autoptr(SyConfig) with_default = config_new ("{\"default_profile\":\"missing\"}");
  g_autoptr(SyPlan) plan = plan_model (config, NULL, NULL, "nope-model");
  g_autoptr(SyPlan) provider = plan_model (config, NULL, NULL, "nosuchprovider/model");
  g_autoptr(SyPlan) nothing = plan_for (config, NULL, NULL, "{\"messages\":[]}");
  g_autoptr(SyPlan) missing = plan_for (with_default, NULL, NULL, "{\"model\":\"\",\"messages\":[]}");
  g_autofree char *expected = g_strdup_printf (UNKNOWN_FORMAT, "nope-model");
  g_autofree char *expected_provider = g_strdup_printf (UNKNOWN_FORMAT, "nosuchprovider/model");
  g_autofree char *expected_nothing = g_strdup_printf (UNKNOWN_FORMAT, "");
  g_autofree char *expected_missing = g_strdup_printf (UNKNOWN_FORMAT, "missing");

  g_assert_cmpuint (plan->status, ==, 404);
  g_assert_cmpstr (plan->error, ==, expected);
  g_assert_cmpuint (plan->entries->len, ==, 0);
  g_assert_cmpuint (provider->status, ==, 404);
  g_assert_cmpstr (provider->error, ==, expected_provider);
  g_assert_cmpuint (nothing->status, ==, 404);
  g_assert_cmpstr (nothing->error, ==, expected_nothing);
  g_assert_cmpuint (missing->status, ==, 404);
  g_assert_cmpstr (missing->error, ==, expected_missing);
  g_assert_cmpstr (plan->summary, ==, "refused=404");
}

static void
test_default_profile (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"default_profile\":\"main\",\"profiles\":[{\"name\":\"main\",\"strategy\":\"fallback\","
    "\"models\":[\"anthropic/claude-haiku-4-5\",\"gpt-4.1-mini\",\"nowhere-model\"]}]}");
  g_autoptr(SyPlan) plan = plan_for (config, NULL, NULL,
                                     "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_autoptr(SyPlan) named = plan_model (config, NULL, NULL, "main");

  /* Listed order, bare names expanded, unknown entries explained. */
  assert_entries (plan, "anthropic/claude-haiku-4-5,openai/gpt-4.1-mini");
  g_assert_cmpstr (plan->profile, ==, "main");
  g_assert_cmpstr (removed_reason (plan, "nowhere-model"), ==, "no provider offers this model");
  assert_entries (named, "anthropic/claude-haiku-4-5,openai/gpt-4.1-mini");
  g_assert_cmpstr (sy_json_get_string (named->explanation, "strategy"), ==, "fallback");
}

static void
test_aliases (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"default_profile\":\"main\",\"profiles\":["
    "{\"name\":\"main\",\"models\":[\"openai/gpt-4o\"]},"
    "{\"name\":\"quick\",\"models\":[\"groq/llama-3.1-8b-instant\"]}],"
    "\"aliases\":{\"fast\":\"quick\",\"mine\":\"anthropic/claude-haiku-4-5\",\"loop\":\"loop\"}}");
  g_autoptr(SyConfig) bare = config_new ("{}");
  g_autoptr(SyPlan) auto_plan = plan_model (config, NULL, NULL, "auto");
  g_autoptr(SyPlan) fast = plan_model (config, NULL, NULL, "fast");
  g_autoptr(SyPlan) mine = plan_model (config, NULL, NULL, "mine");
  g_autoptr(SyPlan) loop = plan_model (config, NULL, NULL, "loop");
  g_autoptr(SyPlan) cheap = plan_model (bare, NULL, NULL, "cheap");
  g_autoptr(SyPlan) auto_bare = plan_model (bare, NULL, NULL, "auto");
  g_autoptr(SyPlan) fast_bare = plan_model (bare, NULL, NULL, "fast");
  GPtrArray *models = sy_catalog_get_models (catalog);
  const SyModelInfo *first = g_ptr_array_index (models, 0);
  SyPlanEntry *entry;

  /* Built-in auto: the default profile. */
  assert_entries (auto_plan, "openai/gpt-4o");
  g_assert_cmpstr (auto_plan->profile, ==, "main");
  g_assert_cmpstr (sy_json_get_string (auto_plan->explanation, "alias"), ==, "auto");

  /* A user alias overrides the built-in one. */
  assert_entries (fast, "groq/llama-3.1-8b-instant");
  g_assert_cmpstr (fast->profile, ==, "quick");
  g_assert_cmpstr (sy_json_get_string (fast->explanation, "alias"), ==, "fast");
  g_assert_nonnull (strstr (fast->summary, "alias=fast"));

  assert_entries (mine, "anthropic/claude-haiku-4-5");
  g_assert_null (mine->profile);

  g_assert_cmpuint (loop->status, ==, 404);

  /* Built-in cheap (and auto without a default): the cheapest over every catalog model. */
  g_assert_cmpuint (cheap->status, ==, 0);
  g_assert_cmpstr (cheap->profile, ==, "cheap");
  g_assert_cmpstr (sy_json_get_string (cheap->explanation, "strategy"), ==, "cheapest");
  g_assert_cmpuint (cheap->entries->len, ==, models->len);
  entry = g_ptr_array_index (cheap->entries, 0);
  g_assert_cmpstr (entry->provider_id, ==, "groq");
  g_assert_cmpstr (entry->model, ==, "llama-3.1-8b-instant");
  g_assert_cmpuint (auto_bare->status, ==, 0);
  g_assert_cmpstr (auto_bare->profile, ==, "auto");
  g_assert_cmpstr (sy_json_get_string (auto_bare->explanation, "strategy"), ==, "cheapest");
  g_assert_cmpuint (auto_bare->entries->len, ==, models->len);

  /* Built-in fast with nothing measured: catalog order. */
  g_assert_cmpstr (sy_json_get_string (fast_bare->explanation, "strategy"), ==, "fastest");
  entry = g_ptr_array_index (fast_bare->entries, 0);
  g_assert_cmpstr (entry->provider_id, ==, first->provider);
  g_assert_cmpstr (entry->model, ==, first->model);
}

/* --------------------------------------------------------------- strategies */

static void
test_cheapest (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"prices\":{\"openai/twin-a\":{\"input\":0.2,\"output\":0.2},"
    "\"openai/twin-b\":{\"input\":0.2,\"output\":0.2}},"
    "\"profiles\":[{\"name\":\"c\",\"strategy\":\"cheapest\",\"models\":["
    "\"openai/mystery\",\"openai/gpt-4o\",\"openai/twin-b\",\"groq/llama-3.1-8b-instant\","
    "\"openai/twin-a\",\"anthropic/claude-opus-4-1\"]}]}");
  g_autoptr(SyPlan) plan = plan_model (config, NULL, NULL, "c");
  JsonObject *winner;

  /* Cheapest known first, equal prices in listed order, unknown price last. */
  assert_entries (plan, "groq/llama-3.1-8b-instant,openai/twin-b,openai/twin-a,openai/gpt-4o,"
                        "anthropic/claude-opus-4-1,openai/mystery");
  winner = explained_candidate (plan, "groq/llama-3.1-8b-instant");
  /* 1 prompt token at $0.05/M + 500 output tokens at $0.08/M. */
  g_assert_cmpfloat_with_epsilon (sy_json_get_double (winner, "score", -1),
                                  (1 * 0.05 + 500 * 0.08) / 1e6, 1e-12);
  g_assert_cmpfloat_with_epsilon (plan->estimate_usd, (1 * 0.05 + 500 * 0.08) / 1e6, 1e-12);
  g_assert_true (sy_json_node_is_null (sy_json_member (explained_candidate (plan, "openai/mystery"),
                                                       "score")));
  g_assert_cmpstr (plan->summary, ==,
                   "profile=c strategy=cheapest winner=groq/llama-3.1-8b-instant removed=0");
}

static void
test_cheapest_expected_output (void)
{
  /* A long answer makes the cheap-output model win over the cheap-input one. */
  g_autoptr(SyConfig) config = config_new (
    "{\"prices\":{\"openai/in-cheap\":{\"input\":0.01,\"output\":10},"
    "\"openai/out-cheap\":{\"input\":1,\"output\":1}},"
    "\"profiles\":[{\"name\":\"short\",\"strategy\":\"cheapest\",\"expected_output\":1,"
    "\"models\":[\"openai/out-cheap\",\"openai/in-cheap\"]},"
    "{\"name\":\"long\",\"strategy\":\"cheapest\","
    "\"models\":[\"openai/in-cheap\",\"openai/out-cheap\"]}]}");
  g_autoptr(GString) big = g_string_new ("{\"model\":\"short\",\"messages\":[{\"role\":\"user\",\"content\":\"");
  g_autoptr(SyPlan) short_plan = NULL;
  g_autoptr(SyPlan) long_plan = plan_model (config, NULL, NULL, "long");

  for (guint i = 0; i < 4000; i++)
    g_string_append_c (big, 'x');
  g_string_append (big, "\"}]}");
  short_plan = plan_for (config, NULL, NULL, big->str);

  assert_entries (short_plan, "openai/in-cheap,openai/out-cheap");
  assert_entries (long_plan, "openai/out-cheap,openai/in-cheap");
}

static void
record_many (SyStats    *stats,
             const char *provider,
             const char *model,
             double      ttft_ms,
             double      tps)
{
  for (guint i = 0; i < 5; i++)
    sy_stats_record (stats, provider, model, 200, ttft_ms, tps, MONO_US - 100 * G_USEC_PER_SEC + i);
}

static void
test_fastest (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"ttft\",\"strategy\":\"fastest\",\"models\":["
    "\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\",\"groq/llama-3.1-8b-instant\",\"mistral/mistral-small-latest\"]},"
    "{\"name\":\"tps\",\"strategy\":\"fastest\",\"fastest_by\":\"tokens_per_s\",\"models\":["
    "\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\",\"groq/llama-3.1-8b-instant\",\"mistral/mistral-small-latest\"]}]}");
  g_autoptr(SyStats) stats = sy_stats_new ();
  g_autoptr(SyPlan) ttft = NULL;
  g_autoptr(SyPlan) tps = NULL;
  g_autoptr(SyPlan) unmeasured = plan_model (config, NULL, NULL, "ttft");

  record_many (stats, "openai", "gpt-4o", 900, 40);
  record_many (stats, "anthropic", "claude-haiku-4-5", 300, 120);
  record_many (stats, "groq", "llama-3.1-8b-instant", 100, 80);

  ttft = plan_model (config, stats, NULL, "ttft");
  tps = plan_model (config, stats, NULL, "tps");

  /* Measured ones by their figure, the unmeasured last in listed order. */
  assert_entries (ttft, "groq/llama-3.1-8b-instant,anthropic/claude-haiku-4-5,openai/gpt-4o,"
                        "mistral/mistral-small-latest");
  g_assert_cmpfloat_with_epsilon (sy_json_get_double (explained_candidate (ttft, "groq/llama-3.1-8b-instant"),
                                                      "score", -1), 100, 1e-9);
  g_assert_true (sy_json_node_is_null (sy_json_member (explained_candidate (ttft, "mistral/mistral-small-latest"),
                                                       "score")));
  assert_entries (tps, "anthropic/claude-haiku-4-5,groq/llama-3.1-8b-instant,openai/gpt-4o,"
                       "mistral/mistral-small-latest");
  g_assert_cmpfloat_with_epsilon (sy_json_get_double (explained_candidate (tps, "anthropic/claude-haiku-4-5"),
                                                      "score", -1), 120, 1e-9);
  g_assert_cmpstr (sy_json_get_string (tps->explanation, "strategy"), ==, "fastest");

  /* No statistics at all: listed order. */
  assert_entries (unmeasured, "openai/gpt-4o,anthropic/claude-haiku-4-5,groq/llama-3.1-8b-instant,"
                              "mistral/mistral-small-latest");
}

static void
test_best (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"b\",\"strategy\":\"best\",\"models\":["
    "\"openai/custom-model\",\"groq/llama-3.1-8b-instant\",\"anthropic/claude-haiku-4-5\",\"openai/gpt-4o\"]}]}");
  g_autoptr(SyPlan) plan = plan_model (config, NULL, NULL, "b");

  /* Until ratings exist: catalog order, models the catalog lacks last. */
  assert_entries (plan, "openai/gpt-4o,anthropic/claude-haiku-4-5,groq/llama-3.1-8b-instant,"
                        "openai/custom-model");
  g_assert_cmpstr (sy_json_get_string (plan->explanation, "strategy"), ==, "best");
}

static void
test_balance (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"w\",\"strategy\":\"balance\",\"models\":["
    "\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\",\"groq/llama-3.1-8b-instant\"],"
    "\"weights\":{\"openai/gpt-4o\":0,\"anthropic/claude-haiku-4-5\":3}}]}");
  guint firsts[2] = { 0, 0 };
  const guint runs = 4000;

  g_random_set_seed (20240601);
  for (guint i = 0; i < runs; i++)
    {
      g_autoptr(SyPlan) plan = plan_model (config, NULL, NULL, "w");
      g_autofree char *got = entries_string (plan);

      g_assert_cmpuint (plan->status, ==, 0);
      /* The weight-0 model never appears; the other follows as the fallback. */
      if (g_str_equal (got, "anthropic/claude-haiku-4-5,groq/llama-3.1-8b-instant"))
        firsts[0]++;
      else if (g_str_equal (got, "groq/llama-3.1-8b-instant,anthropic/claude-haiku-4-5"))
        firsts[1]++;
      else
        g_error ("unexpected balance plan %s", got);

      if (i == 0)
        {
          g_assert_cmpstr (removed_reason (plan, "openai/gpt-4o"), ==, "weight 0");
          g_assert_cmpfloat (sy_json_get_double (explained_candidate (plan, "anthropic/claude-haiku-4-5"),
                                                 "score", -1), ==, 3);
          g_assert_cmpstr (sy_json_get_string (plan->explanation, "strategy"), ==, "balance");
        }
    }

  /* 3 : 1. */
  g_assert_cmpuint (firsts[0], >, runs * 70 / 100);
  g_assert_cmpuint (firsts[0], <, runs * 80 / 100);
  g_assert_cmpuint (firsts[0] + firsts[1], ==, runs);
}

/* ----------------------------------------------------------------- filters */

static void
test_capability_filters (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"all\",\"models\":["
    "\"google/gemini-2.0-flash-lite\",\"groq/llama-3.1-8b-instant\",\"anthropic/claude-haiku-4-5\","
    "\"openai/gpt-4o\",\"openai/gpt-5-mini\",\"openai/not-in-catalog\"]}]}");
  g_autoptr(SyPlan) tools = plan_for (config, NULL, NULL,
    "{\"model\":\"all\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"messages\":[]}");
  g_autoptr(SyPlan) images = plan_for (config, NULL, NULL,
    "{\"model\":\"all\",\"messages\":[{\"role\":\"tool\",\"content\":[{\"type\":\"image_url\","
    "\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]}");
  g_autoptr(SyPlan) schema = plan_for (config, NULL, NULL,
    "{\"model\":\"all\",\"response_format\":{\"type\":\"json_schema\"},\"messages\":[]}");
  g_autoptr(SyPlan) reasoning = plan_for (config, NULL, NULL,
    "{\"model\":\"all\",\"reasoning_effort\":\"high\",\"messages\":[]}");

  assert_entries (tools, "groq/llama-3.1-8b-instant,anthropic/claude-haiku-4-5,openai/gpt-4o,"
                         "openai/gpt-5-mini,openai/not-in-catalog");
  g_assert_cmpstr (removed_reason (tools, "google/gemini-2.0-flash-lite"), ==, "does not support tools");
  g_assert_nonnull (strstr (tools->summary, "removed=1"));

  assert_entries (images, "google/gemini-2.0-flash-lite,anthropic/claude-haiku-4-5,openai/gpt-4o,"
                          "openai/gpt-5-mini,openai/not-in-catalog");
  g_assert_cmpstr (removed_reason (images, "groq/llama-3.1-8b-instant"), ==, "does not support images");

  assert_entries (schema, "google/gemini-2.0-flash-lite,openai/gpt-4o,openai/gpt-5-mini,"
                          "openai/not-in-catalog");
  g_assert_cmpstr (removed_reason (schema, "anthropic/claude-haiku-4-5"), ==, "does not support json_schema");
  g_assert_cmpstr (removed_reason (schema, "groq/llama-3.1-8b-instant"), ==, "does not support json_schema");

  assert_entries (reasoning, "anthropic/claude-haiku-4-5,openai/gpt-5-mini,openai/not-in-catalog");
  g_assert_cmpstr (removed_reason (reasoning, "openai/gpt-4o"), ==, "does not support reasoning");
  g_assert_cmpuint (sy_json_get_int (reasoning->explanation, "removed", -1), ==, 3);
}

static void
test_context_filter (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"ctx\",\"models\":["
    "\"together/Qwen/Qwen2.5-72B-Instruct-Turbo\",\"openai/gpt-4.1-mini\",\"openai/unknown-window\"]}]}");
  g_autoptr(GString) hub = g_string_new ("{\"model\":\"ctx\",\"max_tokens\":1000,"
                                         "\"messages\":[{\"role\":\"user\",\"content\":\"");
  g_autoptr(SyPlan) plan = NULL;
  const char *reason;

  /* 128,000 bytes: about 32,000 tokens, plus 1000 out, over a 32,768 window. */
  for (guint i = 0; i < 128000; i++)
    g_string_append_c (hub, 'y');
  g_string_append (hub, "\"}]}");
  plan = plan_for (config, NULL, NULL, hub->str);

  assert_entries (plan, "openai/gpt-4.1-mini,openai/unknown-window");
  reason = removed_reason (plan, "together/Qwen/Qwen2.5-72B-Instruct-Turbo");
  g_assert_cmpstr (reason, ==, "context window 32768 < 33000 tokens (prompt estimate + max output)");
}

static void
test_provider_filters (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":["
    "{\"name\":\"allow\",\"providers\":[\"anthropic\",\"groq\"],"
    "\"models\":[\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\",\"groq/llama-3.1-8b-instant\"]},"
    "{\"name\":\"deny\",\"deny_providers\":[\"openai\"],"
    "\"models\":[\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\"]},"
    "{\"name\":\"local\",\"local_only\":true,"
    "\"models\":[\"openai/gpt-4o\",\"ollama/llama3.2\",\"lmstudio/qwen\"]},"
    "{\"name\":\"thrifty\",\"max_price\":5.0,"
    "\"models\":[\"openai/gpt-4o\",\"openai/gpt-4o-mini\",\"openai/mystery\",\"ollama/llama3.2\"]}]}");
  g_autoptr(SyPlan) allow = plan_model (config, NULL, NULL, "allow");
  g_autoptr(SyPlan) deny = plan_model (config, NULL, NULL, "deny");
  g_autoptr(SyPlan) local = plan_model (config, NULL, NULL, "local");
  g_autoptr(SyPlan) thrifty = plan_model (config, NULL, NULL, "thrifty");

  assert_entries (allow, "anthropic/claude-haiku-4-5,groq/llama-3.1-8b-instant");
  g_assert_cmpstr (removed_reason (allow, "openai/gpt-4o"), ==, "provider not in the profile's \"providers\"");

  assert_entries (deny, "anthropic/claude-haiku-4-5");
  g_assert_cmpstr (removed_reason (deny, "openai/gpt-4o"), ==, "provider in the profile's \"deny_providers\"");

  assert_entries (local, "ollama/llama3.2,lmstudio/qwen");
  g_assert_cmpstr (removed_reason (local, "openai/gpt-4o"), ==, "not a local provider (local_only)");
  /* Local models cost nothing. */
  g_assert_cmpfloat (local->estimate_usd, ==, 0);

  /* gpt-4o: (2.5 + 10) / 2 = 6.25 per million. */
  assert_entries (thrifty, "openai/gpt-4o-mini,ollama/llama3.2");
  g_assert_cmpstr (removed_reason (thrifty, "openai/gpt-4o"), ==,
                   "price 6.25 per million tokens over max_price 5.00");
  g_assert_cmpstr (removed_reason (thrifty, "openai/mystery"), ==, "price unknown (max_price 5.00)");
}

static void
test_every_model_profile (void)
{
  g_autoptr(SyConfig) config = config_new ("{}");
  g_autoptr(SyPlan) plan = NULL;
  GPtrArray *models = sy_catalog_get_models (catalog);
  guint anthropic = 0;

  config_add_profile (config, "{\"name\":\"claude\",\"providers\":[\"anthropic\"]}");
  plan = plan_model (config, NULL, NULL, "claude");

  g_assert_cmpuint (plan->status, ==, 0);
  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);
      anthropic += g_str_equal (info->provider, "anthropic");
    }
  g_assert_cmpuint (plan->entries->len, ==, anthropic);
  g_assert_cmpuint (sy_json_get_int (plan->explanation, "removed", -1), ==, models->len - anthropic);
  for (guint i = 0; i < plan->entries->len; i++)
    g_assert_cmpstr (((SyPlanEntry *) g_ptr_array_index (plan->entries, i))->provider_id, ==, "anthropic");
}

static void
test_no_candidate_left (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"tiny\",\"models\":[\"groq/llama-3.1-8b-instant\"]}]}");
  g_autoptr(SyPlan) plan = plan_for (config, NULL, NULL,
    "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
    "\"image_url\":{\"url\":\"x\"}}]}]}");

  g_assert_cmpuint (plan->status, ==, 404);
  g_assert_cmpuint (plan->entries->len, ==, 0);
  g_assert_nonnull (strstr (plan->error, "tiny"));
  g_assert_cmpstr (removed_reason (plan, "groq/llama-3.1-8b-instant"), ==, "does not support images");
}

static void
test_health (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"h\",\"models\":[\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\"]},"
    "{\"name\":\"one\",\"models\":[\"openai/gpt-4o\"]}]}");
  g_autoptr(SyStats) stats = sy_stats_new ();
  g_autoptr(SyPlan) plan = NULL;
  g_autoptr(SyPlan) probe = NULL;
  g_autoptr(SyPlan) later = NULL;
  g_autoptr(SyRequestFacts) facts = facts_new ("{\"model\":\"h\",\"messages\":[]}", NULL, NULL);

  sy_stats_set_health (stats, 3, 60, 120);
  for (guint i = 0; i < 3; i++)
    sy_stats_record (stats, "openai", "gpt-4o", 503, -1, -1, MONO_US - 10 * G_USEC_PER_SEC + i);

  plan = plan_model (config, stats, NULL, "h");
  assert_entries (plan, "anthropic/claude-haiku-4-5");
  g_assert_true (g_str_has_prefix (removed_reason (plan, "openai/gpt-4o"), "cooling down until "));

  /* Every candidate cooling: probe them rather than refuse, and say so. */
  probe = plan_model (config, stats, NULL, "one");
  assert_entries (probe, "openai/gpt-4o");
  g_assert_nonnull (sy_json_get_string (probe->explanation, "health"));
  g_assert_nonnull (strstr (probe->summary, "cooling=all"));

  /* After the cool-down it is tried again. */
  later = sy_planner_plan (config, stats, NULL, facts, NOW_US, MONO_US + 200 * G_USEC_PER_SEC);
  assert_entries (later, "openai/gpt-4o,anthropic/claude-haiku-4-5");
}

/* ------------------------------------------------------------------- rules */

static const char *rules_config =
  "{\"profiles\":["
  "{\"name\":\"main\",\"models\":[\"openai/gpt-4o\"]},"
  "{\"name\":\"work\",\"models\":[\"anthropic/claude-haiku-4-5\"]},"
  "{\"name\":\"agent\",\"models\":[\"anthropic/claude-sonnet-4-5\"]},"
  "{\"name\":\"tooling\",\"models\":[\"groq/llama-3.1-8b-instant\"]},"
  "{\"name\":\"vision\",\"models\":[\"google/gemini-2.5-flash\"]},"
  "{\"name\":\"long\",\"models\":[\"google/gemini-2.5-pro\"]},"
  "{\"name\":\"local\",\"local_only\":true,\"models\":[\"ollama/llama3.2\"]}],"
  "\"rules\":["
  "{\"when\":{\"prompt_matches\":\"(?i)BEGIN [A-Z ]*PRIVATE KEY|/home/[^/]+/private/\"},\"profile\":\"local\"},"
  "{\"when\":{\"header\":\"work\",\"tools\":true},\"profile\":\"work\"},"
  "{\"when\":{\"client\":\"^claude-cli/\"},\"profile\":\"agent\"},"
  "{\"when\":{\"tools\":true},\"profile\":\"tooling\"},"
  "{\"when\":{\"images\":true},\"profile\":\"vision\"},"
  "{\"when\":{\"prompt_tokens_over\":1000},\"profile\":\"long\"}]}";

static SyPlan *
plan_with (SyConfig   *config,
           const char *hub,
           const char *client,
           const char *header)
{
  g_autoptr(SyRequestFacts) facts = facts_new (hub, client, header);
  return sy_planner_plan (config, NULL, NULL, facts, NOW_US, MONO_US);
}

static void
test_rules (void)
{
  g_autoptr(SyConfig) config = config_new (rules_config);
  const char *tools_hub = "{\"model\":\"main\",\"tools\":[{\"type\":\"function\"}],\"messages\":[]}";
  g_autoptr(SyPlan) plain = plan_with (config, "{\"model\":\"main\",\"messages\":[]}", "curl/8", NULL);
  g_autoptr(SyPlan) header = plan_with (config, tools_hub, NULL, "work");
  g_autoptr(SyPlan) header_only = plan_with (config, "{\"model\":\"main\",\"messages\":[]}", NULL, "work");
  g_autoptr(SyPlan) client = plan_with (config, "{\"model\":\"main\",\"messages\":[]}", "claude-cli/2.0 (external)", NULL);
  g_autoptr(SyPlan) tools = plan_with (config, tools_hub, NULL, NULL);
  g_autoptr(SyPlan) images = plan_with (config,
    "{\"model\":\"main\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
    "\"image_url\":{\"url\":\"x\"}}]}]}", NULL, NULL);
  g_autoptr(GString) big = g_string_new ("{\"model\":\"main\",\"messages\":[{\"role\":\"user\",\"content\":\"");
  g_autoptr(SyPlan) large = NULL;
  g_autoptr(SyPlan) fence = NULL;
  g_autoptr(SyPlan) fence_tool = NULL;

  for (guint i = 0; i < 4100; i++)
    g_string_append_c (big, 'z');
  g_string_append (big, "\"}]}");
  large = plan_with (config, big->str, NULL, NULL);

  assert_entries (plain, "openai/gpt-4o");
  g_assert_null (sy_json_get_string (plain->explanation, "rule"));

  /* All conditions must hold: the header alone does not pick "work"... */
  assert_entries (header, "anthropic/claude-haiku-4-5");
  g_assert_cmpstr (sy_json_get_string (header->explanation, "rule"), ==, "rules[1]");
  /* ...and then x-switchyard-profile names a profile. */
  assert_entries (header_only, "anthropic/claude-haiku-4-5");
  g_assert_null (sy_json_get_string (header_only->explanation, "rule"));
  g_assert_cmpstr (sy_json_get_string (header_only->explanation, "profile_header"), ==, "work");

  assert_entries (client, "anthropic/claude-sonnet-4-5");
  g_assert_cmpstr (sy_json_get_string (client->explanation, "rule"), ==, "rules[2]");
  assert_entries (tools, "groq/llama-3.1-8b-instant");
  g_assert_cmpstr (sy_json_get_string (tools->explanation, "rule"), ==, "rules[3]");
  assert_entries (images, "google/gemini-2.5-flash");
  assert_entries (large, "google/gemini-2.5-pro");
  g_assert_nonnull (strstr (large->summary, "rule=rules[5]"));

  /* The privacy fence holds whatever model was asked for, tools or not. */
  fence = plan_with (config,
    "{\"model\":\"openai/gpt-4o\",\"tools\":[{\"type\":\"function\"}],\"messages\":["
    "{\"role\":\"user\",\"content\":\"here: -----BEGIN RSA PRIVATE KEY-----\"}]}", "claude-cli/2.0", "work");
  assert_entries (fence, "ollama/llama3.2");
  g_assert_cmpstr (fence->profile, ==, "local");
  g_assert_cmpstr (sy_json_get_string (fence->explanation, "rule"), ==, "rules[0]");
  g_assert_cmpstr (sy_json_get_string (fence->explanation, "requested"), ==, "openai/gpt-4o");
  /* What a tool read counts too. */
  fence_tool = plan_with (config,
    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"tool\",\"tool_call_id\":\"1\","
    "\"content\":[{\"type\":\"text\",\"text\":\"cat /home/ann/private/notes.txt\"}]}]}", NULL, NULL);
  assert_entries (fence_tool, "ollama/llama3.2");
}

static void
test_invalid_regex (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"main\",\"models\":[\"openai/gpt-4o\"]},"
    "{\"name\":\"other\",\"models\":[\"anthropic/claude-haiku-4-5\"]}],"
    "\"rules\":[{\"when\":{\"prompt_matches\":\"(unclosed[\"},\"profile\":\"other\"},"
    "{\"when\":{\"client\":\"^ok$\"},\"profile\":\"other\"}]}");
  g_autoptr(SyPlan) first = NULL;
  g_autoptr(SyPlan) second = NULL;
  g_autoptr(SyPlan) matched = NULL;

  g_test_expect_message ("switchyard-planner", G_LOG_LEVEL_WARNING, "*invalid regular expression*");
  first = plan_with (config, "{\"model\":\"main\",\"messages\":[{\"role\":\"user\",\"content\":\"(unclosed[\"}]}",
                     NULL, NULL);
  g_test_assert_expected_messages ();
  assert_entries (first, "openai/gpt-4o");

  /* Warned once: a second warning would abort the test. */
  second = plan_with (config, "{\"model\":\"main\",\"messages\":[]}", NULL, NULL);
  assert_entries (second, "openai/gpt-4o");
  matched = plan_with (config, "{\"model\":\"main\",\"messages\":[]}", "ok", NULL);
  assert_entries (matched, "anthropic/claude-haiku-4-5");
  g_assert_cmpstr (sy_json_get_string (matched->explanation, "rule"), ==, "rules[1]");
}

/* ----------------------------------------------------------------- budgets */

static const char *budget_config =
  "{\"profiles\":["
  "{\"name\":\"smart\",\"models\":[\"openai/gpt-4o\"],"
  "\"budget\":{\"daily\":1.0,\"monthly\":20.0,\"over\":\"downgrade\",\"downgrade_to\":\"frugal\"}},"
  "{\"name\":\"strict\",\"models\":[\"openai/gpt-4o\"],\"budget\":{\"daily\":1.0,\"notify_at\":0.5}},"
  "{\"name\":\"frugal\",\"models\":[\"groq/llama-3.1-8b-instant\"],\"budget\":{\"daily\":0.5}},"
  "{\"name\":\"free\",\"models\":[\"anthropic/claude-haiku-4-5\"]}]}";

static void
test_budget_notice (void)
{
  g_autoptr(SyConfig) config = config_new (budget_config);
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(SyPlan) quiet = NULL;
  g_autoptr(SyPlan) plan = NULL;
  g_autoptr(SyPlan) strict = NULL;
  double before;

  quiet = plan_model (config, NULL, budget, "smart");
  g_assert_cmpuint (quiet->notices->len, ==, 0);
  g_assert_cmpuint (quiet->budget_ticket, !=, 0);
  g_assert_cmpfloat (quiet->estimate_usd, >, 0);
  /* The estimate is held until settled. */
  g_assert_cmpfloat_with_epsilon (sy_budget_spent (budget, "smart", SY_BUDGET_DAY, NOW_US),
                                  quiet->estimate_usd, 1e-12);
  sy_budget_settle (budget, quiet->budget_ticket, 0, NOW_US);

  sy_budget_reserve (budget, "smart", 0.82, NOW_US);
  before = sy_budget_spent (budget, "smart", SY_BUDGET_DAY, NOW_US);
  plan = plan_model (config, NULL, budget, "smart");
  g_assert_cmpuint (plan->status, ==, 0);
  g_assert_cmpuint (plan->notices->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (plan->notices, 0), ==,
                   "profile smart: 82 % of its daily budget of $1.00");
  g_assert_cmpuint (plan->budget_ticket, !=, 0);
  g_assert_cmpfloat_with_epsilon (sy_budget_spent (budget, "smart", SY_BUDGET_DAY, NOW_US),
                                  before + plan->estimate_usd, 1e-12);
  g_assert_nonnull (sy_json_get_array (plan->explanation, "budget"));

  /* notify_at 0.5 for "strict". */
  sy_budget_reserve (budget, "strict", 0.6, NOW_US);
  strict = plan_model (config, NULL, budget, "strict");
  g_assert_cmpuint (strict->notices->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (strict->notices, 0), ==,
                   "profile strict: 60 % of its daily budget of $1.00");
}

static void
test_budget_refuse (void)
{
  g_autoptr(SyConfig) config = config_new (budget_config);
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(SyPlan) plan = NULL;
  g_autoptr(SyPlan) unbudgeted = NULL;

  sy_budget_reserve (budget, "strict", 1.25, NOW_US);
  plan = plan_model (config, NULL, budget, "strict");
  g_assert_cmpuint (plan->status, ==, 402);
  g_assert_cmpuint (plan->entries->len, ==, 0);
  g_assert_cmpuint (plan->budget_ticket, ==, 0);
  g_assert_cmpstr (plan->error, ==, "Budget exceeded: profile strict has spent $1.25 of its daily budget of $1.00");
  g_assert_nonnull (strstr (plan->summary, "refused=402"));
  g_assert_cmpstr (sy_json_get_string (plan->explanation, "error"), ==, plan->error);

  /* A profile without a budget and no overall budget: nothing reserved. */
  unbudgeted = plan_model (config, NULL, budget, "free");
  g_assert_cmpuint (unbudgeted->status, ==, 0);
  g_assert_cmpuint (unbudgeted->budget_ticket, ==, 0);
}

static void
test_budget_downgrade (void)
{
  g_autoptr(SyConfig) config = config_new (budget_config);
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(SyPlan) plan = NULL;
  g_autoptr(SyPlan) refused = NULL;
  JsonObject *why;

  sy_budget_reserve (budget, "smart", 0.999, NOW_US);
  plan = plan_model (config, NULL, budget, "smart");
  assert_entries (plan, "groq/llama-3.1-8b-instant");
  g_assert_cmpstr (plan->profile, ==, "frugal");
  g_assert_cmpuint (plan->budget_ticket, !=, 0);
  why = sy_json_get_object (plan->explanation, "downgraded");
  g_assert_nonnull (why);
  g_assert_cmpstr (sy_json_get_string (why, "from"), ==, "smart");
  g_assert_cmpstr (sy_json_get_string (why, "to"), ==, "frugal");
  g_assert_nonnull (strstr (sy_json_get_string (why, "reason"), "$1.00"));
  g_assert_cmpstr (sy_json_get_string (plan->explanation, "profile"), ==, "frugal");
  g_assert_nonnull (strstr (plan->summary, "profile=frugal"));
  g_assert_nonnull (strstr (plan->summary, "downgraded_from=smart"));

  /* The downgrade target over its own budget refuses. */
  sy_budget_reserve (budget, "frugal", 0.6, NOW_US);
  refused = plan_model (config, NULL, budget, "smart");
  g_assert_cmpuint (refused->status, ==, 402);
  g_assert_cmpstr (refused->error, ==, "Budget exceeded: profile frugal has spent $0.60 of its daily budget of $0.50");
}

static void
test_budget_overall (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"budget\":{\"monthly\":10.0,\"over\":\"downgrade\",\"downgrade_to\":\"local\"},"
    "\"profiles\":[{\"name\":\"main\",\"models\":[\"openai/gpt-4o\"]},"
    "{\"name\":\"local\",\"models\":[\"ollama/llama3.2\"]}]}");
  g_autoptr(SyConfig) refusing = config_new ("{\"budget\":{\"daily\":2.0}}");
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(SyPlan) notice = NULL;
  g_autoptr(SyPlan) direct = NULL;
  g_autoptr(SyPlan) down = NULL;
  g_autoptr(SyPlan) refused = NULL;

  sy_budget_reserve (budget, "main", 8.5, NOW_US);
  notice = plan_model (config, NULL, budget, "main");
  g_assert_cmpuint (notice->status, ==, 0);
  g_assert_cmpuint (notice->notices->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (notice->notices, 0), ==, "overall: 85 % of the monthly budget of $10.00");

  /* A direct provider/model counts against the overall budget too. */
  direct = plan_model (config, NULL, budget, "openai/gpt-4o");
  g_assert_cmpuint (direct->status, ==, 0);
  g_assert_cmpuint (direct->budget_ticket, !=, 0);

  sy_budget_reserve (budget, NULL, 2.0, NOW_US);
  down = plan_model (config, NULL, budget, "main");
  assert_entries (down, "ollama/llama3.2");
  g_assert_cmpstr (down->profile, ==, "local");

  sy_budget_reserve (budget, NULL, 3.0, NOW_US);
  refused = plan_model (refusing, NULL, budget, "openai/gpt-4o");
  g_assert_cmpuint (refused->status, ==, 402);
  g_assert_true (g_str_has_prefix (refused->error, "Budget exceeded: $"));
  g_assert_nonnull (strstr (refused->error, "overall daily budget of $2.00"));
}

/* ------------------------------------------------------------- explanation */

static void
test_explanation (void)
{
  g_autoptr(SyConfig) config = config_new (
    "{\"profiles\":[{\"name\":\"auto\",\"strategy\":\"cheapest\",\"deny_providers\":[\"openai\"],"
    "\"models\":[\"openai/gpt-4o\",\"anthropic/claude-haiku-4-5\",\"groq/llama-3.1-8b-instant\","
    "\"google/gemini-2.0-flash-lite\"]}],"
    "\"rules\":[{\"when\":{\"tools\":true},\"profile\":\"auto\"}]}");
  g_autoptr(SyPlan) plan = plan_for (config, NULL, NULL,
    "{\"model\":\"whatever\",\"tools\":[{\"type\":\"function\"}],\"messages\":[]}");
  g_autofree char *text = sy_json_object_to_string (plan->explanation);
  g_autoptr(JsonNode) root = sy_test_json_parse (text);
  JsonArray *candidates;

  assert_entries (plan, "groq/llama-3.1-8b-instant,anthropic/claude-haiku-4-5");
  g_assert_cmpstr (plan->summary, ==,
                   "profile=auto strategy=cheapest winner=groq/llama-3.1-8b-instant removed=2 rule=rules[0]");
  for (const char *c = plan->summary; *c != '\0'; c++)
    g_assert_true (*c >= 0x20 && *c < 0x7f);

  g_assert_null (strchr (text, '\n'));
  g_assert_cmpstr (sy_test_json_string (root, "profile"), ==, "auto");
  g_assert_cmpstr (sy_test_json_string (root, "strategy"), ==, "cheapest");
  g_assert_cmpstr (sy_test_json_string (root, "rule"), ==, "rules[0]");
  g_assert_cmpstr (sy_test_json_string (root, "requested"), ==, "whatever");
  g_assert_cmpstr (sy_test_json_string (root, "winner"), ==, "groq/llama-3.1-8b-instant");
  g_assert_cmpuint (sy_test_json_length (root, "candidates"), ==, 4);
  /* Trial order first, then the removed ones with their reasons. */
  g_assert_cmpstr (sy_test_json_string (root, "candidates.0.model"), ==, "groq/llama-3.1-8b-instant");
  g_assert_cmpstr (sy_test_json_string (root, "candidates.1.model"), ==, "anthropic/claude-haiku-4-5");
  g_assert_cmpfloat (sy_test_json_double (root, "candidates.0.score"), <,
                     sy_test_json_double (root, "candidates.1.score"));
  g_assert_cmpstr (sy_test_json_string (root, "candidates.2.removed"), ==,
                   "provider in the profile's \"deny_providers\"");
  g_assert_cmpstr (sy_test_json_string (root, "candidates.3.removed"), ==, "does not support tools");
  candidates = sy_json_get_array (plan->explanation, "candidates");
  g_assert_null (sy_json_member (json_array_get_object_element (candidates, 0), "removed"));

  /* Names outside printable ASCII do not break the header. */
  {
    g_autoptr(SyConfig) odd = config_new (
      "{\"profiles\":[{\"name\":\"caf\xc3\xa9 plan\",\"models\":[\"openai/gpt-4o\"]}]}");
    g_autoptr(SyPlan) odd_plan = plan_model (odd, NULL, NULL, "caf\xc3\xa9 plan");

    g_assert_cmpstr (odd_plan->summary, ==,
                     "profile=caf___plan strategy=fallback winner=openai/gpt-4o removed=0");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_setenv ("SWITCHYARD_TOKEN", "sy-test", TRUE);
  g_test_init (&argc, &argv, NULL);
  catalog = sy_catalog_new_default (&error);
  g_assert_no_error (error);

  g_test_add_func ("/planner/facts", test_facts);
  g_test_add_func ("/planner/direct-untouched", test_direct_untouched);
  g_test_add_func ("/planner/unknown-404", test_unknown_404);
  g_test_add_func ("/planner/default-profile", test_default_profile);
  g_test_add_func ("/planner/aliases", test_aliases);
  g_test_add_func ("/planner/strategy/cheapest", test_cheapest);
  g_test_add_func ("/planner/strategy/cheapest-expected-output", test_cheapest_expected_output);
  g_test_add_func ("/planner/strategy/fastest", test_fastest);
  g_test_add_func ("/planner/strategy/best", test_best);
  g_test_add_func ("/planner/strategy/balance", test_balance);
  g_test_add_func ("/planner/filter/capabilities", test_capability_filters);
  g_test_add_func ("/planner/filter/context", test_context_filter);
  g_test_add_func ("/planner/filter/providers-price", test_provider_filters);
  g_test_add_func ("/planner/filter/every-model", test_every_model_profile);
  g_test_add_func ("/planner/filter/none-left", test_no_candidate_left);
  g_test_add_func ("/planner/filter/health", test_health);
  g_test_add_func ("/planner/rules", test_rules);
  g_test_add_func ("/planner/rules/invalid-regex", test_invalid_regex);
  g_test_add_func ("/planner/budget/notice", test_budget_notice);
  g_test_add_func ("/planner/budget/refuse", test_budget_refuse);
  g_test_add_func ("/planner/budget/downgrade", test_budget_downgrade);
  g_test_add_func ("/planner/budget/overall", test_budget_overall);
  g_test_add_func ("/planner/explanation", test_explanation);

  ret = g_test_run ();
  g_object_unref (catalog);
  return ret;
}
