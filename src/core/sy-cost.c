/* sy-cost.c — prices and the cost of one request under a provider's billing rules.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "switchyard"

#include "sy-cost.h"

#include <string.h>

#define TOKENS_PER_UNIT 1e6

void
sy_price_init_unknown (SyPrice *price)
{
  g_return_if_fail (price != NULL);

  price->input = -1;
  price->output = -1;
  price->cached_input = -1;
  price->cache_write = -1;
  price->tier_threshold = 0;
  price->tier_input = -1;
  price->tier_output = -1;
  price->tier_cached_input = -1;
  price->tier_cache_write = -1;
}

gboolean
sy_price_is_known (const SyPrice *price)
{
  /* Written so that NaN counts as unknown. */
  return price != NULL && price->input >= 0 && price->output >= 0;
}

static inline gboolean
price_set (double value)
{
  return value >= 0;
}

gboolean
sy_cost_compute (const SyPrice *price,
                 const SyUsage *usage,
                 SyCost        *cost)
{
  double input, output, cache_read, cache_write;
  gint64 prompt, completion, cached, written, uncached;

  g_return_val_if_fail (cost != NULL, FALSE);

  memset (cost, 0, sizeof *cost);

  if (usage == NULL || !sy_price_is_known (price))
    return FALSE;

  input = price->input;
  output = price->output;
  cache_read = price->cached_input;
  cache_write = price->cache_write;

  /* Upstreams sometimes report counts that do not add up (cache counts larger
   * than the prompt, negative values from a buggy proxy): clamp so that every
   * part stays within the prompt and no part is ever negative. */
  prompt = MAX (usage->prompt_tokens, 0);
  completion = MAX (usage->completion_tokens, 0);
  cached = CLAMP (usage->cached_tokens, 0, prompt);
  written = CLAMP (usage->cache_write_tokens, 0, prompt - cached);
  uncached = prompt - cached - written;

  if (price->tier_threshold > 0 && prompt > price->tier_threshold)
    {
      if (price_set (price->tier_input))
        input = price->tier_input;
      if (price_set (price->tier_output))
        output = price->tier_output;
      if (price_set (price->tier_cached_input))
        cache_read = price->tier_cached_input;
      if (price_set (price->tier_cache_write))
        cache_write = price->tier_cache_write;
    }

  if (!price_set (cache_read))
    cache_read = input;
  if (!price_set (cache_write))
    cache_write = input;

  cost->known = TRUE;
  cost->input = (double) uncached * input / TOKENS_PER_UNIT;
  cost->cache_read = (double) cached * cache_read / TOKENS_PER_UNIT;
  cost->cache_write = (double) written * cache_write / TOKENS_PER_UNIT;
  /* Reasoning tokens are part of completion_tokens and billed as output. */
  cost->output = (double) completion * output / TOKENS_PER_UNIT;
  cost->total = cost->input + cost->cache_read + cost->cache_write + cost->output;

  return TRUE;
}
