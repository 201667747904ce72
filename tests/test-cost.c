/* test-cost.c — request costs under each provider's billing rules, with catalog prices.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#include <math.h>

#include "sy-catalog.h"
#include "sy-cost.h"
#include "sy-test-util.h"

#define EPSILON 1e-6

/* Usage is in the hub convention: prompt counts cache reads and cache writes,
 * completion counts reasoning. Each expected value is the provider's published
 * price list applied by hand (USD per million tokens), written out literally so
 * that a wrong price in catalog.json fails here too. */
typedef struct {
  const char *label;
  const char *provider;
  const char *model;
  gint64      prompt;
  gint64      completion;
  gint64      cached;
  gint64      cache_write;
  gint64      reasoning;
  gboolean    known;
  double      expected;
} CostCase;

static const CostCase cases[] = {
  /* OpenAI: cached input is a discounted share of prompt_tokens. */
  { "openai-plain", "openai", "gpt-4.1-mini", 1000, 500, 0, 0, 0, TRUE,
    (1000 * 0.40 + 500 * 1.60) / 1e6 },
  { "openai-cached", "openai", "gpt-4.1-mini", 1000, 200, 400, 0, 0, TRUE,
    (600 * 0.40 + 400 * 0.10 + 200 * 1.60) / 1e6 },
  { "openai-gpt41-cached", "openai", "gpt-4.1", 10000, 1000, 8000, 0, 0, TRUE,
    (2000 * 2.00 + 8000 * 0.50 + 1000 * 8.00) / 1e6 },
  { "openai-nano-million", "openai", "gpt-4.1-nano", 1000000, 1000000, 0, 0, 0, TRUE,
    (1000000 * 0.10 + 1000000 * 0.40) / 1e6 },
  { "openai-4o-cached", "openai", "gpt-4o", 2000, 300, 1024, 0, 0, TRUE,
    (976 * 2.50 + 1024 * 1.25 + 300 * 10.00) / 1e6 },
  { "openai-4o-mini", "openai", "gpt-4o-mini", 50000, 2000, 0, 0, 0, TRUE,
    (50000 * 0.15 + 2000 * 0.60) / 1e6 },
  { "openai-gpt5-reasoning", "openai", "gpt-5", 3000, 5000, 2048, 0, 4000, TRUE,
    (952 * 1.25 + 2048 * 0.125 + 5000 * 10.00) / 1e6 },
  { "openai-gpt5-mini-reasoning", "openai", "gpt-5-mini", 12000, 8000, 0, 0, 6000, TRUE,
    (12000 * 0.25 + 8000 * 2.00) / 1e6 },
  { "openai-gpt5-nano", "openai", "gpt-5-nano", 100, 50, 0, 0, 0, TRUE,
    (100 * 0.05 + 50 * 0.40) / 1e6 },
  { "openai-gpt51-cached", "openai", "gpt-5.1", 200000, 1000, 150000, 0, 0, TRUE,
    (50000 * 1.25 + 150000 * 0.125 + 1000 * 10.00) / 1e6 },
  { "openai-o3-reasoning", "openai", "o3", 5000, 12000, 1000, 0, 10000, TRUE,
    (4000 * 2.00 + 1000 * 0.50 + 12000 * 8.00) / 1e6 },
  { "openai-o4-mini-reasoning", "openai", "o4-mini", 8000, 2000, 0, 0, 1800, TRUE,
    (8000 * 1.10 + 2000 * 4.40) / 1e6 },
  { "openai-o3-mini-cached", "openai", "o3-mini", 1000, 3000, 512, 0, 2900, TRUE,
    (488 * 1.10 + 512 * 0.55 + 3000 * 4.40) / 1e6 },

  /* Anthropic: reads at 0.1x input, 5-minute writes at 1.25x input. */
  { "anthropic-read-write", "anthropic", "claude-sonnet-4-5", 12000, 500, 8000, 2000, 0, TRUE,
    (2000 * 3.00 + 8000 * 0.30 + 2000 * 3.75 + 500 * 15.00) / 1e6 },
  { "anthropic-plain", "anthropic", "claude-sonnet-4-5", 1000, 1000, 0, 0, 0, TRUE,
    (1000 * 3.00 + 1000 * 15.00) / 1e6 },
  { "anthropic-long-context", "anthropic", "claude-sonnet-4-5", 250000, 2000, 200000, 10000, 0, TRUE,
    (40000 * 6.00 + 200000 * 0.60 + 10000 * 7.50 + 2000 * 22.50) / 1e6 },
  { "anthropic-at-200k-is-base", "anthropic", "claude-sonnet-4-5", 200000, 100, 0, 0, 0, TRUE,
    (200000 * 3.00 + 100 * 15.00) / 1e6 },
  { "anthropic-above-200k-is-tier", "anthropic", "claude-sonnet-4-5", 200001, 100, 0, 0, 0, TRUE,
    (200001 * 6.00 + 100 * 22.50) / 1e6 },
  { "anthropic-sonnet4-long", "anthropic", "claude-sonnet-4-0", 300000, 1000, 0, 0, 0, TRUE,
    (300000 * 6.00 + 1000 * 22.50) / 1e6 },
  { "anthropic-opus41-write", "anthropic", "claude-opus-4-1", 10000, 2000, 0, 5000, 0, TRUE,
    (5000 * 15.00 + 5000 * 18.75 + 2000 * 75.00) / 1e6 },
  { "anthropic-opus41-read", "anthropic", "claude-opus-4-1", 100000, 1000, 90000, 0, 0, TRUE,
    (10000 * 15.00 + 90000 * 1.50 + 1000 * 75.00) / 1e6 },
  { "anthropic-opus45-thinking", "anthropic", "claude-opus-4-5", 20000, 3000, 15000, 4000, 1000, TRUE,
    (1000 * 5.00 + 15000 * 0.50 + 4000 * 6.25 + 3000 * 25.00) / 1e6 },
  { "anthropic-haiku45-read", "anthropic", "claude-haiku-4-5", 5000, 500, 4000, 0, 0, TRUE,
    (1000 * 1.00 + 4000 * 0.10 + 500 * 5.00) / 1e6 },
  { "anthropic-haiku45-write", "anthropic", "claude-haiku-4-5", 5000, 100, 0, 5000, 0, TRUE,
    (5000 * 1.25 + 100 * 5.00) / 1e6 },
  { "anthropic-haiku35-all-cached", "anthropic", "claude-3-5-haiku-latest", 3000, 400, 2000, 1000, 0, TRUE,
    (0 * 0.80 + 2000 * 0.08 + 1000 * 1.00 + 400 * 4.00) / 1e6 },
  { "anthropic-opus4", "anthropic", "claude-opus-4-0", 1000, 1000, 0, 0, 0, TRUE,
    (1000 * 15.00 + 1000 * 75.00) / 1e6 },

  /* Google: 2.5 Pro and 3 Pro bill the whole request higher above 200k prompt tokens. */
  { "gemini-pro-short", "google", "gemini-2.5-pro", 100000, 1000, 0, 0, 0, TRUE,
    (100000 * 1.25 + 1000 * 10.00) / 1e6 },
  { "gemini-pro-at-200k", "google", "gemini-2.5-pro", 200000, 500, 0, 0, 0, TRUE,
    (200000 * 1.25 + 500 * 10.00) / 1e6 },
  { "gemini-pro-long-thinking", "google", "gemini-2.5-pro", 300000, 2000, 0, 0, 1500, TRUE,
    (300000 * 2.50 + 2000 * 15.00) / 1e6 },
  { "gemini-pro-long-cached", "google", "gemini-2.5-pro", 250000, 1000, 100000, 0, 0, TRUE,
    (150000 * 2.50 + 100000 * 0.25 + 1000 * 15.00) / 1e6 },
  { "gemini-pro-short-cached", "google", "gemini-2.5-pro", 50000, 100, 40000, 0, 0, TRUE,
    (10000 * 1.25 + 40000 * 0.125 + 100 * 10.00) / 1e6 },
  { "gemini-flash-thinking", "google", "gemini-2.5-flash", 10000, 3000, 0, 0, 2500, TRUE,
    (10000 * 0.30 + 3000 * 2.50) / 1e6 },
  { "gemini-flash-cached", "google", "gemini-2.5-flash", 10000, 100, 8000, 0, 0, TRUE,
    (2000 * 0.30 + 8000 * 0.03 + 100 * 2.50) / 1e6 },
  { "gemini-flash-no-tier", "google", "gemini-2.5-flash", 300000, 100, 0, 0, 0, TRUE,
    (300000 * 0.30 + 100 * 2.50) / 1e6 },
  { "gemini-flash-lite", "google", "gemini-2.5-flash-lite", 1000000, 100000, 0, 0, 0, TRUE,
    (1000000 * 0.10 + 100000 * 0.40) / 1e6 },
  { "gemini-20-flash-cached", "google", "gemini-2.0-flash", 20000, 500, 10000, 0, 0, TRUE,
    (10000 * 0.10 + 10000 * 0.025 + 500 * 0.40) / 1e6 },
  { "gemini-3-pro-short", "google", "gemini-3-pro-preview", 150000, 2000, 0, 0, 0, TRUE,
    (150000 * 2.00 + 2000 * 12.00) / 1e6 },
  { "gemini-3-pro-long-cached", "google", "gemini-3-pro-preview", 250000, 2000, 50000, 0, 0, TRUE,
    (200000 * 4.00 + 50000 * 0.40 + 2000 * 18.00) / 1e6 },
  /* No cache price listed: cached tokens are billed at the input price. */
  { "gemini-20-flash-lite-no-cache-price", "google", "gemini-2.0-flash-lite", 1000, 100, 500, 0, 0, TRUE,
    (1000 * 0.075 + 100 * 0.30) / 1e6 },

  /* DeepSeek: cache hits at the hit price, misses at the input price. */
  { "deepseek-chat-hit", "deepseek", "deepseek-chat", 10000, 1000, 8000, 0, 0, TRUE,
    (2000 * 0.28 + 8000 * 0.028 + 1000 * 0.42) / 1e6 },
  { "deepseek-chat-miss", "deepseek", "deepseek-chat", 1000000, 0, 0, 0, 0, TRUE,
    (1000000 * 0.28) / 1e6 },
  { "deepseek-reasoner-hit", "deepseek", "deepseek-reasoner", 5000, 6000, 4096, 0, 5000, TRUE,
    (904 * 0.28 + 4096 * 0.028 + 6000 * 0.42) / 1e6 },

  /* Groq */
  { "groq-llama70b", "groq", "llama-3.3-70b-versatile", 2000, 1000, 0, 0, 0, TRUE,
    (2000 * 0.59 + 1000 * 0.79) / 1e6 },
  { "groq-llama8b", "groq", "llama-3.1-8b-instant", 100000, 10000, 0, 0, 0, TRUE,
    (100000 * 0.05 + 10000 * 0.08) / 1e6 },
  { "groq-gpt-oss-reasoning", "groq", "openai/gpt-oss-120b", 4000, 3000, 0, 0, 2000, TRUE,
    (4000 * 0.15 + 3000 * 0.60) / 1e6 },
  { "groq-cached-without-cache-price", "groq", "llama-3.1-8b-instant", 1000, 100, 500, 0, 0, TRUE,
    (1000 * 0.05 + 100 * 0.08) / 1e6 },

  /* Mistral */
  { "mistral-large", "mistral", "mistral-large-latest", 10000, 2000, 0, 0, 0, TRUE,
    (10000 * 2.00 + 2000 * 6.00) / 1e6 },
  { "mistral-small", "mistral", "mistral-small-latest", 1000, 500, 0, 0, 0, TRUE,
    (1000 * 0.10 + 500 * 0.30) / 1e6 },
  { "mistral-medium", "mistral", "mistral-medium-latest", 4000, 4000, 0, 0, 0, TRUE,
    (4000 * 0.40 + 4000 * 2.00) / 1e6 },
  { "mistral-codestral", "mistral", "codestral-latest", 30000, 1000, 0, 0, 0, TRUE,
    (30000 * 0.30 + 1000 * 0.90) / 1e6 },

  /* Together */
  { "together-llama70b", "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 5000, 1000, 0, 0, 0, TRUE,
    (5000 * 0.88 + 1000 * 0.88) / 1e6 },
  { "together-r1-reasoning", "together", "deepseek-ai/DeepSeek-R1", 1000, 8000, 0, 0, 7000, TRUE,
    (1000 * 3.00 + 8000 * 7.00) / 1e6 },
  { "together-qwen-coder", "together", "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8", 20000, 2000, 0, 0, 0, TRUE,
    (20000 * 2.00 + 2000 * 2.00) / 1e6 },

  /* xAI: Grok 4 doubles above 128k prompt tokens; its tier lists no cache price. */
  { "xai-grok4-cached", "xai", "grok-4", 10000, 2000, 5000, 0, 0, TRUE,
    (5000 * 3.00 + 5000 * 0.75 + 2000 * 15.00) / 1e6 },
  { "xai-grok4-long", "xai", "grok-4", 200000, 1000, 0, 0, 0, TRUE,
    (200000 * 6.00 + 1000 * 30.00) / 1e6 },
  { "xai-grok4-long-cached-base-price", "xai", "grok-4", 150000, 500, 100000, 0, 0, TRUE,
    (50000 * 6.00 + 100000 * 0.75 + 500 * 30.00) / 1e6 },
  { "xai-grok3-mini-reasoning", "xai", "grok-3-mini", 2000, 1000, 0, 0, 800, TRUE,
    (2000 * 0.30 + 1000 * 0.50) / 1e6 },
  { "xai-code-fast-cached", "xai", "grok-code-fast-1", 50000, 3000, 45000, 0, 0, TRUE,
    (5000 * 0.20 + 45000 * 0.02 + 3000 * 1.50) / 1e6 },
  { "xai-grok4-fast-long", "xai", "grok-4-fast-reasoning", 130000, 1000, 0, 0, 0, TRUE,
    (130000 * 0.40 + 1000 * 1.00) / 1e6 },

  /* OpenRouter passes provider prices through. */
  { "openrouter-sonnet", "openrouter", "anthropic/claude-sonnet-4.5", 12000, 500, 8000, 2000, 0, TRUE,
    (2000 * 3.00 + 8000 * 0.30 + 2000 * 3.75 + 500 * 15.00) / 1e6 },
  { "openrouter-gpt41-mini", "openrouter", "openai/gpt-4.1-mini", 1000, 200, 400, 0, 0, TRUE,
    (600 * 0.40 + 400 * 0.10 + 200 * 1.60) / 1e6 },
  { "openrouter-gemini-flash", "openrouter", "google/gemini-2.5-flash", 10000, 3000, 0, 0, 0, TRUE,
    (10000 * 0.30 + 3000 * 2.50) / 1e6 },

  /* Zero usage is a known zero, not unknown. */
  { "zero-usage", "openai", "gpt-4.1", 0, 0, 0, 0, 0, TRUE, 0.0 },

  /* Unknown price: known is FALSE and nothing is billed. */
  { "unknown-model", "openai", "gpt-imaginary", 1000, 1000, 0, 0, 0, FALSE, 0.0 },
  { "unknown-provider", "acme", "model-x", 1000, 1000, 0, 0, 0, FALSE, 0.0 },

  /* Local servers cost nothing, whatever the model. */
  { "local-ollama", "ollama", "llama3.2:3b", 1000000, 1000000, 0, 0, 0, TRUE, 0.0 },
  { "local-lmstudio-cached", "lmstudio", "qwen2.5-7b-instruct", 5000, 5000, 1000, 0, 0, TRUE, 0.0 },

  /* Inconsistent counts are clamped; no part goes negative. */
  { "clamp-cached-over-prompt", "openai", "gpt-4.1-mini", 1000, 100, 2000, 0, 0, TRUE,
    (0 * 0.40 + 1000 * 0.10 + 100 * 1.60) / 1e6 },
  { "clamp-negative-prompt", "openai", "gpt-4.1-mini", -5, 100, 0, 0, 0, TRUE,
    (100 * 1.60) / 1e6 },
  { "clamp-write-over-rest", "anthropic", "claude-sonnet-4-5", 1000, 0, 800, 500, 0, TRUE,
    (0 * 3.00 + 800 * 0.30 + 200 * 3.75) / 1e6 },
  { "clamp-negative-completion", "openai", "gpt-4o", 1000, -100, 0, 0, 0, TRUE,
    (1000 * 2.50) / 1e6 },
  { "clamp-negative-cached", "openai", "gpt-4o", 1000, 0, -50, -7, 0, TRUE,
    (1000 * 2.50) / 1e6 },
};

static SyCatalog *catalog;

static void
test_cost_case (gconstpointer data)
{
  const CostCase *c = data;
  SyUsage usage = {
    .prompt_tokens = c->prompt,
    .completion_tokens = c->completion,
    .cached_tokens = c->cached,
    .cache_write_tokens = c->cache_write,
    .reasoning_tokens = c->reasoning,
  };
  SyPrice price;
  SyCost cost;
  gboolean price_known;

  price_known = sy_catalog_get_price (catalog, c->provider, c->model, &price);
  g_assert_cmpint (price_known, ==, c->known);
  g_assert_cmpint (sy_cost_compute (&price, &usage, &cost), ==, c->known);
  g_assert_cmpint (cost.known, ==, c->known);

  if (fabs (cost.total - c->expected) >= EPSILON)
    g_error ("%s: cost %.9f, expected %.9f", c->label, cost.total, c->expected);

  g_assert_cmpfloat (cost.input, >=, 0);
  g_assert_cmpfloat (cost.output, >=, 0);
  g_assert_cmpfloat (cost.cache_read, >=, 0);
  g_assert_cmpfloat (cost.cache_write, >=, 0);
  g_assert_cmpfloat (fabs (cost.input + cost.output + cost.cache_read + cost.cache_write
                           - cost.total), <, 1e-12);
}

static void
test_cost_parts (void)
{
  SyPrice price;
  SyCost cost;
  SyUsage usage = { .prompt_tokens = 12000, .completion_tokens = 500,
                    .cached_tokens = 8000, .cache_write_tokens = 2000 };

  g_assert_true (sy_catalog_get_price (catalog, "anthropic", "claude-sonnet-4-5", &price));
  g_assert_true (sy_cost_compute (&price, &usage, &cost));
  g_assert_cmpfloat_with_epsilon (cost.input, 2000 * 3.00 / 1e6, 1e-12);
  g_assert_cmpfloat_with_epsilon (cost.cache_read, 8000 * 0.30 / 1e6, 1e-12);
  g_assert_cmpfloat_with_epsilon (cost.cache_write, 2000 * 3.75 / 1e6, 1e-12);
  g_assert_cmpfloat_with_epsilon (cost.output, 500 * 15.00 / 1e6, 1e-12);
}

static void
test_cost_unknown (void)
{
  SyPrice price;
  SyCost cost;
  SyUsage usage = { .prompt_tokens = 1000, .completion_tokens = 1000 };

  sy_price_init_unknown (&price);
  g_assert_false (sy_price_is_known (&price));
  g_assert_cmpint (price.tier_threshold, ==, 0);
  g_assert_false (sy_cost_compute (&price, &usage, &cost));
  g_assert_false (cost.known);
  g_assert_cmpfloat (cost.total, ==, 0);

  /* Input known but output not is still unknown. */
  price.input = 1.0;
  g_assert_false (sy_price_is_known (&price));
  g_assert_false (sy_cost_compute (&price, &usage, &cost));

  price.output = NAN;
  g_assert_false (sy_price_is_known (&price));
  g_assert_false (sy_cost_compute (&price, &usage, &cost));

  price.output = 2.0;
  g_assert_true (sy_price_is_known (&price));
  g_assert_true (sy_cost_compute (&price, &usage, &cost));
  g_assert_cmpfloat_with_epsilon (cost.total, (1000 * 1.0 + 1000 * 2.0) / 1e6, 1e-12);

  /* A missing price or usage never counts as free. */
  g_assert_false (sy_cost_compute (NULL, &usage, &cost));
  g_assert_false (cost.known);
  g_assert_false (sy_cost_compute (&price, NULL, &cost));
  g_assert_false (cost.known);
}

static void
test_cost_tier_fallback (void)
{
  SyPrice price;
  SyCost cost;
  SyUsage usage = { .prompt_tokens = 1000, .completion_tokens = 100,
                    .cached_tokens = 400, .cache_write_tokens = 100 };

  sy_price_init_unknown (&price);
  price.input = 1.0;
  price.output = 4.0;
  price.cached_input = 0.1;
  price.cache_write = 1.25;
  price.tier_threshold = 500;
  price.tier_input = 2.0;
  /* tier_output, tier_cached_input, tier_cache_write unset: base prices apply. */

  g_assert_true (sy_cost_compute (&price, &usage, &cost));
  g_assert_cmpfloat_with_epsilon (cost.total,
                                  (500 * 2.0 + 400 * 0.1 + 100 * 1.25 + 100 * 4.0) / 1e6,
                                  EPSILON);

  /* No cache prices at all: reads and writes billed at the (tier) input price. */
  price.cached_input = -1;
  price.cache_write = -1;
  g_assert_true (sy_cost_compute (&price, &usage, &cost));
  g_assert_cmpfloat_with_epsilon (cost.total, (1000 * 2.0 + 100 * 4.0) / 1e6, EPSILON);

  /* Below the threshold the tier does not apply. */
  usage.prompt_tokens = 500;
  g_assert_true (sy_cost_compute (&price, &usage, &cost));
  g_assert_cmpfloat_with_epsilon (cost.total, (500 * 1.0 + 100 * 4.0) / 1e6, EPSILON);

  /* Tier threshold 0 means no tier, whatever the tier prices say. */
  usage.prompt_tokens = 1000000;
  price.tier_threshold = 0;
  g_assert_true (sy_cost_compute (&price, &usage, &cost));
  g_assert_cmpfloat_with_epsilon (cost.total, (1000000 * 1.0 + 100 * 4.0) / 1e6, EPSILON);
}

static void
test_cost_table_size (void)
{
  /* The table is the specification: keep it broad. */
  g_assert_cmpuint (G_N_ELEMENTS (cases), >=, 50);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  catalog = sy_catalog_new_default (&error);
  g_assert_no_error (error);
  g_assert_nonnull (catalog);

  g_test_add_func ("/cost/table-size", test_cost_table_size);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/cost/table/%02u-%s", i, cases[i].label);

      g_test_add_data_func (path, &cases[i], test_cost_case);
    }
  g_test_add_func ("/cost/parts", test_cost_parts);
  g_test_add_func ("/cost/unknown", test_cost_unknown);
  g_test_add_func ("/cost/tier-fallback", test_cost_tier_fallback);

  ret = g_test_run ();
  g_clear_object (&catalog);
  return ret;
}
