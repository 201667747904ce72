/* sy-what-if.h — what a range of the request history would have cost under other prices or another profile.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sy-config.h"

G_BEGIN_DECLS

/* Like the Dashboard's aggregates (sy-insights.h), every function here but
 * the price table loaders blocks on SQLite: call them from a worker thread,
 * never from the GTK main loop. Each opens its own read-only connection to
 * the history at @path. A missing or never-written history gives an empty
 * result, not an error.
 *
 * A what-if re-prices the requests of [@from_us, @to_us) (µs since the epoch,
 * UTC, like started_at; 0 and G_MAXINT64 for all) that have tokens: status
 * 200 and a recorded prompt_tokens. Every other request cost nothing to
 * re-price and is left out, of the recorded totals too.
 *
 * The approximation: a request is re-priced with the tokens it recorded
 * (prompt, completion, cached, cache write; reasoning tokens are billed as
 * part of completion), as if another model would have read and written
 * exactly as many. Tokenizers, cache hits and answer lengths differ between
 * models, so a what-if under another profile is an estimate, not a bill.
 *
 * Costs are USD. A recorded cost that is unknown counts as 0 and is counted
 * in recorded_unpriced; a request the what-if cannot price (no model, no
 * price for it) counts as 0 and is counted in what_if_unpriced. A "model" is
 * "provider/model". */

typedef struct {
  char   *model;              /* as recorded; NULL: the request recorded none */
  char   *what_if_model;      /* the model the what-if bills; NULL: none (the
                               * profile refused the request, or the recorded
                               * model is unknown and prices were asked for) */
  gint64  requests;
  gint64  recorded_unpriced;  /* of @requests, recorded without a cost */
  gint64  what_if_unpriced;   /* of @requests, that the what-if could not price */
  double  recorded_cost;
  double  what_if_cost;
} SyWhatIfRow;

void sy_what_if_row_free (SyWhatIfRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyWhatIfRow, sy_what_if_row_free)

typedef struct {
  gint64     requests;          /* requests with tokens in the range */
  gint64     recorded_unpriced;
  gint64     what_if_unpriced;
  double     recorded_cost;
  double     what_if_cost;
  /* SyWhatIfRow *, owned by the array: one per (model, what_if_model) pair,
   * by recorded cost, highest first (then by requests, then by name). */
  GPtrArray *rows;
} SyWhatIf;

void sy_what_if_free (SyWhatIf *what_if);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyWhatIf, sy_what_if_free)

/* Every request on the model it recorded, priced by @prices
 * (sy_config_get_price (): its "prices", then the catalog). Pass the config
 * in force for today's prices, or one from sy_what_if_load_prices () for a
 * price table. @prices is only read; pass one nobody modifies while this
 * runs. @cancellable (may be NULL) stops it with G_IO_ERROR_CANCELLED. */
SyWhatIf *sy_what_if_prices  (const char    *path,
                              gint64         from_us,
                              gint64         to_us,
                              SyConfig      *prices,
                              GCancellable  *cancellable,
                              GError       **error);

/* Every request on the model sy_planner_plan () puts first for it under
 * @profile (one of @config's "profiles", else G_IO_ERROR_NOT_FOUND), priced
 * by @config like sy_what_if_prices (). The request the planner sees names
 * the profile and has the recorded prompt_tokens, a max_output of the
 * recorded completion tokens, and nothing else: no client, header, tools,
 * images, prompt text, statistics nor budget. So a rule applies when its
 * conditions hold for such a request (one testing the client, a header or the
 * prompt text never does); "fastest" keeps the profile's order and "best" the
 * catalog's (they rank by measurements and ratings, which belong to the
 * moment, not to the request's day); "balance" draws once per distinct pair
 * of prompt and completion token counts. A plan that refuses the request (no
 * candidate fits its context) leaves it unpriced, what_if_model NULL.
 * Requests with the same counts share a plan, and so do boxes of counts
 * whose plans cannot differ (see sy-what-if.c): for a month of a
 * million-request year, 4 to 2,000 plans rather than 80,000. Plans are made
 * on a private copy of @config (the planner keeps a cache on the config it
 * plans with), so @config is only read; pass one nobody modifies while this
 * runs. */
SyWhatIf *sy_what_if_profile (const char    *path,
                              gint64         from_us,
                              gint64         to_us,
                              SyConfig      *config,
                              const char    *profile,
                              GCancellable  *cancellable,
                              GError       **error);

/* ------------------------------------------------------------ price tables */

/* A config that is @base (only read; its catalog shared) with the prices of
 * a price table added over its own "prices": for sy_what_if_prices (). The
 * table is a JSON object, either config-shaped (its "prices" member is the
 * table; everything else in it is ignored) or the table itself:
 *
 *   { "openai/gpt-4.1-mini": { "input": 0.40, "output": 1.60, "cached_input": 0.10 }, … }
 *
 * USD per million tokens; "input" and "output" are required, "cached_input"
 * and "cache_write" optional (unset: billed at the input price), every one a
 * number >= 0. Long-context tiers are not read: a model the table prices has
 * no tier, one it does not price keeps the catalog's. Invalid JSON, another
 * shape, a key that is not "provider/model", a missing or negative price or
 * an empty table fails with SY_CONFIG_ERROR_INVALID and a message that names
 * @file_path and the problem; a file that cannot be read, with its
 * G_FILE_ERROR. Blocks on reading the file; parses with the depth check of
 * sy_json_parse (). */
SyConfig *sy_what_if_load_prices        (SyConfig     *base,
                                         const char   *file_path,
                                         GError      **error);

/* The same from the file's contents @data (@length bytes), read elsewhere
 * (g_file_load_contents_async ()); @name (the file's display name) is what
 * error messages call it. Does not block on I/O. */
SyConfig *sy_what_if_load_prices_data   (SyConfig     *base,
                                         const char   *data,
                                         gsize         length,
                                         const char   *name,
                                         GError      **error);

G_END_DECLS
