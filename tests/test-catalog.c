/* test-catalog.c — the built-in catalog loads, is complete and rejects bad data.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include <math.h>
#include <string.h>

#include "sy-catalog.h"
#include "sy-test-util.h"

static SyCatalog *
load_default (void)
{
  g_autoptr(GError) error = NULL;
  SyCatalog *catalog = sy_catalog_new_default (&error);

  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  return catalog;
}

static void
test_catalog_loads (void)
{
  g_autoptr(SyCatalog) catalog = load_default ();
  const char *date = sy_catalog_get_prices_date (catalog);
  g_autoptr(GDateTime) parsed = NULL;
  g_autofree char *iso = NULL;
  GPtrArray *models = sy_catalog_get_models (catalog);
  guint priced = 0;

  g_assert_nonnull (date);
  iso = g_strdup_printf ("%sT00:00:00Z", date);
  parsed = g_date_time_new_from_iso8601 (iso, NULL);
  g_assert_nonnull (parsed);
  g_assert_cmpint (g_date_time_get_year (parsed), >=, 2025);

  g_assert_cmpuint (models->len, >=, 45);
  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);

      if (sy_price_is_known (&info->price))
        priced++;
    }
  g_assert_cmpuint (priced, >=, 40);
}

static const struct {
  const char *id;
  const char *kind;
  const char *base_url;
  const char *key_env;
  gboolean    local;
  gboolean    has_models;
} expected_presets[] = {
  { "openai", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY", FALSE, TRUE },
  { "anthropic", "anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", FALSE, TRUE },
  { "google", "gemini", "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY", FALSE, TRUE },
  { "groq", "openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY", FALSE, TRUE },
  { "mistral", "openai", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", FALSE, TRUE },
  { "deepseek", "openai", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", FALSE, TRUE },
  { "together", "openai", "https://api.together.xyz/v1", "TOGETHER_API_KEY", FALSE, TRUE },
  { "xai", "openai", "https://api.x.ai/v1", "XAI_API_KEY", FALSE, TRUE },
  { "openrouter", "openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", FALSE, TRUE },
  { "ollama", "openai", "http://127.0.0.1:11434/v1", NULL, TRUE, FALSE },
  { "lmstudio", "openai", "http://127.0.0.1:1234/v1", NULL, TRUE, FALSE },
};

static void
test_catalog_presets (void)
{
  g_autoptr(SyCatalog) catalog = load_default ();
  GPtrArray *presets = sy_catalog_get_presets (catalog);
  GPtrArray *models = sy_catalog_get_models (catalog);

  g_assert_cmpuint (presets->len, >=, G_N_ELEMENTS (expected_presets));

  for (guint i = 0; i < G_N_ELEMENTS (expected_presets); i++)
    {
      const SyProviderPreset *preset = sy_catalog_get_preset (catalog, expected_presets[i].id);
      guint n_models = 0;

      g_assert_nonnull (preset);
      g_assert_cmpstr (preset->id, ==, expected_presets[i].id);
      g_assert_nonnull (preset->name);
      g_assert_cmpstr (preset->kind, ==, expected_presets[i].kind);
      g_assert_cmpstr (preset->base_url, ==, expected_presets[i].base_url);
      g_assert_cmpstr (preset->key_env, ==, expected_presets[i].key_env);
      g_assert_cmpint (preset->local, ==, expected_presets[i].local);

      for (guint j = 0; j < models->len; j++)
        {
          const SyModelInfo *info = g_ptr_array_index (models, j);

          if (g_str_equal (info->provider, preset->id))
            n_models++;
        }
      if (expected_presets[i].has_models)
        g_assert_cmpuint (n_models, >=, 2);
    }

  g_assert_null (sy_catalog_get_preset (catalog, "acme"));
  g_assert_null (sy_catalog_get_preset (catalog, NULL));
}

static void
test_catalog_models_consistent (void)
{
  g_autoptr(SyCatalog) catalog = load_default ();
  GPtrArray *models = sy_catalog_get_models (catalog);

  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);
      const SyProviderPreset *preset = sy_catalog_get_preset (catalog, info->provider);
      g_autofree char *id = g_strconcat (info->provider, "/", info->model, NULL);
      const SyPrice *p = &info->price;

      if (g_test_verbose ())
        g_test_message ("checking %s", info->id);
      g_assert_nonnull (preset);
      g_assert_cmpstr (info->id, ==, id);
      g_assert_true (sy_catalog_lookup (catalog, info->provider, info->model) == info);
      g_assert_nonnull (info->name);
      g_assert_cmpstr (info->name, !=, "");
      g_assert_cmpint (info->context_window, >, 0);
      g_assert_cmpint (info->max_output, >, 0);
      g_assert_cmpint (info->max_output, <=, info->context_window);

      if (!sy_price_is_known (p))
        continue;

      /* Sanity bounds that catch a misplaced decimal point. */
      g_assert_cmpfloat (p->input, <, 100);
      g_assert_cmpfloat (p->output, <, 200);
      g_assert_cmpfloat (p->output, >=, p->input * 0.5);
      if (p->cached_input >= 0)
        g_assert_cmpfloat (p->cached_input, <=, p->input);
      if (g_str_equal (preset->kind, "anthropic") || g_str_has_prefix (info->model, "anthropic/"))
        {
          /* Anthropic: 5-minute cache writes 1.25x, reads 0.1x the input price. */
          g_assert_cmpfloat_with_epsilon (p->cache_write, p->input * 1.25, 1e-9);
          g_assert_cmpfloat_with_epsilon (p->cached_input, p->input * 0.1, 1e-9);
        }
      if (p->tier_threshold > 0)
        {
          g_assert_cmpfloat (p->tier_input, >, p->input);
          g_assert_cmpfloat (p->tier_output, >=, p->output);
        }
    }
}

static void
test_catalog_capabilities (void)
{
  g_autoptr(SyCatalog) catalog = load_default ();
  const SyModelInfo *info;

  info = sy_catalog_lookup (catalog, "openai", "gpt-4.1-mini");
  g_assert_nonnull (info);
  g_assert_cmpint (info->caps, ==, SY_CAP_TOOLS | SY_CAP_VISION | SY_CAP_JSON_SCHEMA);
  g_assert_cmpint (info->context_window, ==, 1047576);
  g_assert_cmpint (info->max_output, ==, 32768);
  g_assert_cmpstr (info->name, ==, "GPT-4.1 mini");

  info = sy_catalog_lookup (catalog, "openai", "o3");
  g_assert_nonnull (info);
  g_assert_true (info->caps & SY_CAP_REASONING);

  info = sy_catalog_lookup (catalog, "deepseek", "deepseek-chat");
  g_assert_nonnull (info);
  g_assert_false (info->caps & SY_CAP_VISION);
  g_assert_false (info->caps & SY_CAP_REASONING);

  info = sy_catalog_lookup (catalog, "deepseek", "deepseek-reasoner");
  g_assert_nonnull (info);
  g_assert_true (info->caps & SY_CAP_REASONING);

  info = sy_catalog_lookup (catalog, "anthropic", "claude-sonnet-4-5");
  g_assert_nonnull (info);
  g_assert_true (info->caps & SY_CAP_TOOLS);
  g_assert_true (info->caps & SY_CAP_VISION);

  info = sy_catalog_lookup (catalog, "google", "gemini-2.5-pro");
  g_assert_nonnull (info);
  g_assert_cmpint (info->price.tier_threshold, ==, 200000);
  g_assert_cmpfloat_with_epsilon (info->price.tier_input, 2.50, 1e-9);
  g_assert_cmpfloat_with_epsilon (info->price.tier_output, 15.00, 1e-9);
  g_assert_cmpfloat (info->price.cache_write, <, 0);

  info = sy_catalog_lookup (catalog, "openrouter", "anthropic/claude-sonnet-4.5");
  g_assert_nonnull (info);
  g_assert_cmpstr (info->id, ==, "openrouter/anthropic/claude-sonnet-4.5");
  g_assert_cmpstr (info->model, ==, "anthropic/claude-sonnet-4.5");

  g_assert_null (sy_catalog_lookup (catalog, "openai", "gpt-imaginary"));
  g_assert_null (sy_catalog_lookup (catalog, "openai", NULL));
  g_assert_null (sy_catalog_lookup (catalog, NULL, "gpt-4.1"));
  /* "provider/model" is not a bare model name. */
  g_assert_null (sy_catalog_lookup (catalog, "openai", "openai/gpt-4.1"));
}

static void
test_catalog_find_bare (void)
{
  g_autoptr(SyCatalog) catalog = load_default ();
  g_autoptr(GPtrArray) found = NULL;
  const SyModelInfo *info;

  found = sy_catalog_find_bare (catalog, "gpt-4.1-mini");
  g_assert_cmpuint (found->len, ==, 1);
  info = g_ptr_array_index (found, 0);
  g_assert_cmpstr (info->id, ==, "openai/gpt-4.1-mini");
  g_clear_pointer (&found, g_ptr_array_unref);

  /* The same open model on two hosts, in catalog order. */
  found = sy_catalog_find_bare (catalog, "openai/gpt-oss-120b");
  g_assert_cmpuint (found->len, ==, 2);
  info = g_ptr_array_index (found, 0);
  g_assert_cmpstr (info->provider, ==, "groq");
  info = g_ptr_array_index (found, 1);
  g_assert_cmpstr (info->provider, ==, "together");
  g_clear_pointer (&found, g_ptr_array_unref);

  found = sy_catalog_find_bare (catalog, "no-such-model");
  g_assert_nonnull (found);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);

  found = sy_catalog_find_bare (catalog, NULL);
  g_assert_cmpuint (found->len, ==, 0);
}

static void
test_catalog_prices (void)
{
  g_autoptr(SyCatalog) catalog = load_default ();
  SyPrice price;

  g_assert_true (sy_catalog_get_price (catalog, "openai", "gpt-4.1-mini", &price));
  g_assert_cmpfloat_with_epsilon (price.input, 0.40, 1e-9);
  g_assert_cmpfloat_with_epsilon (price.output, 1.60, 1e-9);
  g_assert_cmpfloat_with_epsilon (price.cached_input, 0.10, 1e-9);

  /* Unknown model or provider: unknown, never zero. */
  g_assert_false (sy_catalog_get_price (catalog, "openai", "gpt-imaginary", &price));
  g_assert_false (sy_price_is_known (&price));
  g_assert_cmpfloat (price.input, <, 0);
  g_assert_false (sy_catalog_get_price (catalog, "acme", "gpt-4.1-mini", &price));
  g_assert_false (sy_price_is_known (&price));
  g_assert_false (sy_catalog_get_price (catalog, NULL, NULL, &price));

  /* Local servers: every model is free. */
  g_assert_true (sy_catalog_get_price (catalog, "ollama", "llama3.2", &price));
  g_assert_cmpfloat (price.input, ==, 0);
  g_assert_cmpfloat (price.output, ==, 0);
  g_assert_cmpfloat (price.cached_input, ==, 0);
  g_assert_cmpfloat (price.cache_write, ==, 0);
  g_assert_cmpint (price.tier_threshold, ==, 0);
  g_assert_true (sy_catalog_get_price (catalog, "lmstudio", "anything", NULL));
  g_assert_true (sy_catalog_get_price (catalog, "openai", "gpt-4o", NULL));
  g_assert_false (sy_catalog_get_price (catalog, "openai", "gpt-imaginary", NULL));
}

#define GOOD_PROVIDERS \
  "\"providers\": [{\"id\": \"openai\", \"kind\": \"openai\", " \
  "\"base_url\": \"https://api.openai.com/v1\", \"key_env\": \"OPENAI_API_KEY\"}]"

static void
test_catalog_minimal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  const SyModelInfo *info;
  const SyProviderPreset *preset;
  SyPrice price;
  const char *json =
    "{" GOOD_PROVIDERS ", \"models\": ["
    "  {\"provider\": \"openai\", \"model\": \"no-price\"},"
    "  {\"provider\": \"openai\", \"model\": \"null-price\", \"price\": null},"
    "  {\"provider\": \"openai\", \"model\": \"int-price\", \"name\": \"Int\","
    "   \"price\": {\"input\": 1, \"output\": 2, \"tiers\": [{\"above\": 1000, \"output\": 3}]}}"
    "]}";

  catalog = sy_catalog_new_from_data (json, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  g_assert_null (sy_catalog_get_prices_date (catalog));
  g_assert_cmpuint (sy_catalog_get_models (catalog)->len, ==, 3);

  preset = sy_catalog_get_preset (catalog, "openai");
  g_assert_cmpstr (preset->name, ==, "openai");
  g_assert_false (preset->local);

  info = sy_catalog_lookup (catalog, "openai", "no-price");
  g_assert_cmpstr (info->name, ==, "no-price");
  g_assert_cmpint (info->caps, ==, 0);
  g_assert_false (sy_price_is_known (&info->price));
  g_assert_false (sy_catalog_get_price (catalog, "openai", "no-price", &price));
  g_assert_false (sy_catalog_get_price (catalog, "openai", "null-price", &price));

  g_assert_true (sy_catalog_get_price (catalog, "openai", "int-price", &price));
  g_assert_cmpfloat (price.input, ==, 1.0);
  g_assert_cmpfloat (price.output, ==, 2.0);
  g_assert_cmpfloat (price.cached_input, <, 0);
  g_assert_cmpint (price.tier_threshold, ==, 1000);
  g_assert_cmpfloat (price.tier_input, <, 0);
  g_assert_cmpfloat (price.tier_output, ==, 3.0);
}

static const struct {
  const char *json;
  const char *in_message;  /* the offending entry, named in the error */
} bad_catalogs[] = {
  { "", NULL },
  { "{", NULL },
  { "[]", NULL },
  { "null", NULL },
  { "{\"providers\": 3, \"models\": []}", NULL },
  { "{\"providers\": []}", NULL },
  { "{" GOOD_PROVIDERS ", \"models\": {}}", NULL },
  { "{\"providers\": [{\"id\": \"x\", \"kind\": \"carrier-pigeon\", \"base_url\": \"https://x\"}], "
    "\"models\": []}", "provider “x”" },
  { "{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\"}], \"models\": []}", "provider “x”" },
  { "{\"providers\": [{\"kind\": \"openai\", \"base_url\": \"https://x\"}], \"models\": []}",
    "provider #0" },
  { "{\"providers\": [{\"id\": \"a/b\", \"kind\": \"openai\", \"base_url\": \"https://x\"}], "
    "\"models\": []}", "provider “a/b”" },
  { "{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"https://x\", "
    "\"local\": \"yes\"}], \"models\": []}", "provider “x”" },
  { "{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"https://x\"}, "
    "{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"https://y\"}], \"models\": []}",
    "provider “x”" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"acme\", \"model\": \"bad-model\"}]}",
    "acme/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\"}]}", "model #0" },
  { "{" GOOD_PROVIDERS ", \"models\": [42]}", "model #0" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"price\": {\"input\": -1, \"output\": 2}}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"price\": {\"input\": \"0.40\", \"output\": 2}}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"price\": {\"input\": 1}}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"price\": 5}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"price\": {\"input\": 1, \"output\": 2, \"tiers\": [{\"above\": 0, \"input\": 2}]}}]}",
    "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"price\": {\"input\": 1, \"output\": 2, \"tiers\": [{\"above\": 10}, {\"above\": 20}]}}]}",
    "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"capabilities\": [\"telepathy\"]}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"capabilities\": \"tools\"}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"context_window\": 1.5}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\", "
    "\"max_output\": -3}]}", "openai/bad-model" },
  { "{" GOOD_PROVIDERS ", \"models\": [{\"provider\": \"openai\", \"model\": \"bad-model\"}, "
    "{\"provider\": \"openai\", \"model\": \"bad-model\"}]}", "openai/bad-model" },
};

static void
test_catalog_bad_data (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_catalogs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(SyCatalog) catalog = NULL;

      if (g_test_verbose ())
        g_test_message ("bad catalog #%u: %s", i, bad_catalogs[i].json);
      catalog = sy_catalog_new_from_data (bad_catalogs[i].json, -1, &error);
      g_assert_null (catalog);
      g_assert_nonnull (error);
      g_assert_nonnull (error->message);
      if (bad_catalogs[i].in_message != NULL
          && strstr (error->message, bad_catalogs[i].in_message) == NULL)
        g_error ("error “%s” does not name “%s”", error->message, bad_catalogs[i].in_message);
    }
}

static void
test_catalog_deep_nesting (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  g_autoptr(GString) json = g_string_new ("{\"providers\": ");

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (json, '[');

  catalog = sy_catalog_new_from_data (json->str, (gssize) json->len, &error);
  g_assert_null (catalog);
  g_assert_nonnull (error);
}

static void
test_catalog_length (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  const char *json = "{" GOOD_PROVIDERS ", \"models\": []} trailing garbage";

  /* An explicit length stops before the garbage. */
  catalog = sy_catalog_new_from_data (json, (gssize) (strchr (json, '}' ) - json), &error);
  g_assert_null (catalog);
  g_clear_error (&error);

  catalog = sy_catalog_new_from_data (json, (gssize) (strstr (json, " trailing") - json), &error);
  g_assert_no_error (error);
  g_assert_nonnull (catalog);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/catalog/loads", test_catalog_loads);
  g_test_add_func ("/catalog/presets", test_catalog_presets);
  g_test_add_func ("/catalog/models-consistent", test_catalog_models_consistent);
  g_test_add_func ("/catalog/capabilities", test_catalog_capabilities);
  g_test_add_func ("/catalog/find-bare", test_catalog_find_bare);
  g_test_add_func ("/catalog/prices", test_catalog_prices);
  g_test_add_func ("/catalog/minimal", test_catalog_minimal);
  g_test_add_func ("/catalog/bad-data", test_catalog_bad_data);
  g_test_add_func ("/catalog/deep-nesting", test_catalog_deep_nesting);
  g_test_add_func ("/catalog/length", test_catalog_length);

  return g_test_run ();
}
