/* sy-cost.h — prices and the cost of one request under a provider's billing rules.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Prices are USD per million tokens. A negative value means "not known". */
typedef struct {
  double input;
  double output;
  double cached_input;    /* < 0: cache reads billed at input price */
  double cache_write;     /* < 0: cache writes billed at input price */
  /* Long-context tier: when the prompt (all input tokens, cached included) exceeds
   * tier_threshold tokens, the whole request is billed at the tier prices.
   * tier_threshold == 0 means the model has no tier. Tier prices < 0 fall back to
   * the base prices. */
  gint64 tier_threshold;
  double tier_input;
  double tier_output;
  double tier_cached_input;
  double tier_cache_write;
} SyPrice;

/* Usage normalised to the hub (OpenAI) convention:
 * prompt_tokens counts every input token, including cache reads and cache writes;
 * completion_tokens counts every output token, including reasoning tokens. */
typedef struct {
  gint64 prompt_tokens;
  gint64 completion_tokens;
  gint64 cached_tokens;       /* cache reads, part of prompt_tokens */
  gint64 cache_write_tokens;  /* cache writes, part of prompt_tokens */
  gint64 reasoning_tokens;    /* part of completion_tokens */
} SyUsage;

typedef struct {
  gboolean known;             /* FALSE: price unknown, cost is null, never 0 */
  double total;
  double input;               /* uncached input */
  double output;              /* output incl. reasoning */
  double cache_read;
  double cache_write;
} SyCost;

void     sy_price_init_unknown (SyPrice *price);
gboolean sy_price_is_known     (const SyPrice *price);

/* Fills @cost; returns cost->known. */
gboolean sy_cost_compute       (const SyPrice *price,
                                const SyUsage *usage,
                                SyCost        *cost);

G_END_DECLS
