/* sy-planner.h — deciding where a request goes: the facts of a request, live
 * statistics and health per provider+model, budgets, and the planner that turns a
 * profile (strategy, filters, rules, aliases) into an explained plan.
 *
 * Config (config.json), every part optional:
 *
 *   "profiles": [{
 *     "name": "auto",
 *     "strategy": "fallback" | "cheapest" | "fastest" | "best" | "balance",
 *     "models": ["provider/model", …],   candidates; absent: every catalog model
 *                                        of every provider (keys are checked later)
 *     "fastest_by": "ttft" | "tokens_per_s",          (fastest; default ttft)
 *     "weights": {"provider/model": 3, …},            (balance; default 1 each)
 *     "providers": ["openai", …],   allow list       \
 *     "deny_providers": ["xai"],    deny list         | filters
 *     "local_only": true,                             |
 *     "max_price": 5.0,             USD per million tokens, input+output average
 *     "expected_output": 500,       tokens, for pricing (cheapest; default 500)
 *     "rescue": true,               continue a broken stream on the next candidate
 *     "budget": {"daily": 1.0, "monthly": 20.0, "notify_at": 0.8,
 *                "over": "downgrade" | "refuse", "downgrade_to": "cheap"}
 *   }],
 *   "rules": [{"when": {"header": "profile-name", "client": "regex",
 *                       "tools": true, "images": true,
 *                       "prompt_tokens_over": 50000, "prompt_matches": "regex"},
 *              "profile": "local"}],   checked for every request, first match wins, all
 *                                       conditions given must hold; the rule's profile
 *                                       replaces what the request named (a privacy
 *                                       fence holds whatever model was asked for)
 *   "aliases": {"fast": "profile or provider/model", …},   built in: auto, fast, cheap
 *   "budget": {…},                         overall caps, same members as a profile's
 *   "health": {"failures": 3, "window": 60, "cooldown": 120}   (seconds)
 *
 * Everything here runs on the router thread unless said otherwise.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "sy-config.h"
#include "sy-ratings.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------ request facts */

/* What a request carries that routing may look at. */
typedef struct {
  char     *requested;         /* "model" as sent, NULL when absent */
  char     *client;            /* token label or User-Agent, may be NULL */
  char     *profile_header;    /* x-switchyard-profile, may be NULL */
  gboolean  needs_tools;       /* tools offered */
  gboolean  needs_images;      /* an image part anywhere */
  gboolean  needs_json_schema; /* response_format json_schema */
  gboolean  needs_reasoning;   /* reasoning_effort asked */
  gint64    prompt_tokens;     /* estimate: about 4 bytes a token of message text */
  gint64    max_output;        /* max_tokens / max_completion_tokens, 0 when absent */
  char     *prompt_text;       /* system + user + assistant text, joined with "\n" */
} SyRequestFacts;

/* Facts of a hub (Chat Completions) request; @client and @profile_header copied. */
SyRequestFacts *sy_request_facts_new  (JsonObject *hub,
                                       const char *client,
                                       const char *profile_header);
void            sy_request_facts_free (SyRequestFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyRequestFacts, sy_request_facts_free)

/* ---------------------------------------------------------------- statistics */

/* What this user measured of one provider+model. Unknown figures are < 0. */
typedef struct {
  guint  samples;          /* requests seen (successes and failures) */
  double ttft_ewma_ms;     /* time to first token (streams) or answer, EWMA α = 0.2 */
  double ttft_p50_ms;      /* over the last 100 successes */
  double ttft_p90_ms;
  double tps_ewma;         /* tokens/s of streams, EWMA */
  double tps_p50;
  double error_rate;       /* failures / samples over the last 100 */
} SyModelStats;

typedef struct _SyStats SyStats;

SyStats  *sy_stats_new        (void);
void      sy_stats_free       (SyStats *stats);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyStats, sy_stats_free)

/* Health: @failures failures within @window_s seconds cool a provider+model down
 * for @cooldown_s; after that one request may probe it (a success heals, a
 * failure cools it again). Defaults 3, 60, 120. */
void      sy_stats_set_health (SyStats *stats,
                               guint    failures,
                               double   window_s,
                               double   cooldown_s);

/* The user's ratings from Compare, for the "best" strategy (takes @ratings; NULL
 * forgets them). */
void       sy_stats_set_ratings (SyStats   *stats,
                                 SyRatings *ratings);
SyRatings *sy_stats_get_ratings (SyStats   *stats);

/* Seeds from the history database (read-only; the last 100 requests of every
 * provider+model in the last 30 days). A missing file is no error. Call before
 * serving: it reads the disk. */
gboolean  sy_stats_seed       (SyStats     *stats,
                               const char  *db_path,
                               GError     **error);

/* One finished attempt. @status 200 is a success; 499 (client gone) is ignored;
 * other statuses are failures. @ttft_ms / @tokens_per_s < 0 when unknown.
 * @now_us is g_get_monotonic_time () (tests pass their own). */
void      sy_stats_record     (SyStats    *stats,
                               const char *provider,
                               const char *model,
                               guint       status,
                               double      ttft_ms,
                               double      tokens_per_s,
                               gint64      now_us);

/* FALSE (and @out all unknown, samples 0) when nothing was measured. */
gboolean  sy_stats_get        (SyStats      *stats,
                               const char   *provider,
                               const char   *model,
                               SyModelStats *out);

/* TRUE while cooling down; @until_us (may be NULL) gets the end. A cooled-down
 * provider+model past its cool-down is not cooling: the next request probes it. */
gboolean  sy_stats_is_cooling (SyStats    *stats,
                               const char *provider,
                               const char *model,
                               gint64      now_us,
                               gint64     *until_us);

/* sy_stats_get () and sy_stats_is_cooling () by "provider/model", the key the
 * statistics are kept under: for callers that hold it already, nothing is
 * formatted per call. */
gboolean  sy_stats_get_by_id  (SyStats      *stats,
                               const char   *id,
                               SyModelStats *out);
gboolean  sy_stats_is_cooling_by_id (SyStats    *stats,
                                     const char *id,
                                     gint64      now_us,
                                     gint64     *until_us);

/* ------------------------------------------------------------------- budgets */

typedef enum {
  SY_BUDGET_DAY,
  SY_BUDGET_MONTH,
} SyBudgetPeriod;

typedef struct _SyBudget SyBudget;

SyBudget *sy_budget_new        (void);
void      sy_budget_free       (SyBudget *budget);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyBudget, sy_budget_free)

/* Reads today's and this month's spend (local time) per profile and overall
 * from the history database (read-only). A missing file is no error. */
gboolean  sy_budget_seed       (SyBudget    *budget,
                                const char  *db_path,
                                GError     **error);

/* USD spent in the period containing @now_us (g_get_real_time ()), recorded
 * plus reserved; @profile NULL for the overall total. */
double    sy_budget_spent      (SyBudget       *budget,
                                const char     *profile,
                                SyBudgetPeriod  period,
                                gint64          now_us);

/* Holds @estimate_usd against @profile (and the overall total) until settled:
 * requests planned in parallel see each other's estimates. Returns a ticket. */
guint64   sy_budget_reserve    (SyBudget   *budget,
                                const char *profile,
                                double      estimate_usd,
                                gint64      now_us);
/* Replaces the reservation by what the request really cost (0 when unknown or
 * failed). */
void      sy_budget_settle     (SyBudget *budget,
                                guint64   ticket,
                                double    actual_usd,
                                gint64    now_us);

/* ------------------------------------------------------------ budget alerts */

/* A budget threshold (50, 80 or 100 % of a cap) a request reached. */
typedef struct {
  char   *scope;      /* profile name or "overall" */
  char   *period;     /* "daily" or "monthly" */
  int     threshold;  /* 50, 80 or 100 */
  double  percent;    /* of the cap, with this request's estimate */
  double  spent;      /* USD before this request */
  double  cap;
  char   *key;        /* "scope|period|2026-11-27|80": the same for every request of
                       * the period that reaches it, so a caller warns once */
} SyBudgetAlert;

void       sy_budget_alert_free (SyBudgetAlert *alert);

/* From a request's route explanation (history's route_json: its "budget"
 * checks), the highest threshold each checked cap reached; a refused request has
 * reached 100 %. Periods are local days and months of @tz (NULL: local) at
 * @now_us. A GPtrArray of SyBudgetAlert *, empty when nothing was reached. */
GPtrArray *sy_budget_alerts     (const char *route_json,
                                 gint64      now_us,
                                 GTimeZone  *tz);

/* ------------------------------------------------------------------- planner */

/* Read-only: the strings are not allocated on their own (a plan packs its
 * entries and their strings into one block); free entries only through the
 * array. */
typedef struct {
  char       *provider_id;
  char       *model;
} SyPlanEntry;

typedef struct {
  GPtrArray  *entries;       /* SyPlanEntry *, in order of trial; may be empty */
  char       *profile;       /* profile used, NULL for a direct provider/model */
  gboolean    rescue;        /* the profile allows mid-stream rescue */
  double      estimate_usd;  /* estimated cost of the first entry, < 0 unknown */
  guint64     budget_ticket; /* 0: nothing reserved */
  guint       status;        /* 0: go; else the HTTP status to refuse with (402, 404) */
  char       *error;         /* the refusal's message */
  GPtrArray  *notices;       /* char *: budget thresholds crossed ("auto: 80 % of the
                              * daily budget"), for history and the GUI */
  JsonObject *explanation;   /* {"profile", "strategy", "rule", "alias",
                              *  "candidates": [{"model", "score", "removed"}],
                              *  "more", "removed", "winner", "budget"}
                              * "candidates" lists the first 16 entries in order of
                              * trial, then every removed candidate with its reason;
                              * "more" (only when > 0) counts the entries not listed
                              * and "removed" the removed ones. Candidate objects may
                              * be sealed and shared between plans (json-glib counts
                              * references without atomics): read them, do not
                              * modify them, and free the plan on the router
                              * thread. */
  char       *summary;       /* one line for x-switchyard-route */
} SyPlan;

void      sy_plan_free (SyPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyPlan, sy_plan_free)

/* The plan for @facts: rules first, then x-switchyard-profile (a profile name),
 * then what the request named: an alias, a profile, provider/model (that entry
 * alone, no filters), or a bare model name (every catalog provider offering it);
 * nothing named → default_profile. Then the profile's filters and strategy,
 * health, budget (reserving the estimate when a budget applies).
 * @stats and @budget may be NULL (no statistics, no budgets). @now_us is
 * g_get_real_time (); the monotonic clock for health is taken inside unless
 * @mono_us >= 0. Never NULL: a refusal is a plan with a status.
 * What does not depend on the request (providers, each profile's expanded
 * candidates, prices, filters) is computed once and kept on @config: a new
 * root, profile or "models"/"providers"/"prices" member is noticed, an edit
 * inside one of those in place is not. */
SyPlan   *sy_planner_plan (SyConfig             *config,
                           SyStats              *stats,
                           SyBudget             *budget,
                           const SyRequestFacts *facts,
                           gint64                now_us,
                           gint64                mono_us);

G_END_DECLS
