/* sy-insights.h — the Dashboard's aggregates over the request history, and its export and import.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sy-config.h"

G_BEGIN_DECLS

/* Every function here blocks on SQLite: call them from a worker thread
 * (g_task_run_in_thread), never from the GTK main loop. Each opens its own
 * connection to the history at @path, so they may run in parallel with each
 * other and with the history's writer. A missing or never-written history
 * gives empty results, not an error.
 *
 * Ranges are [@from_us, @to_us) in µs since the epoch (UTC), like started_at;
 * pass 0 and G_MAXINT64 for "all". Day and hour boundaries are local to @tz
 * (NULL: the local zone). Costs are USD; a request whose cost is unknown
 * counts as 0 and is counted as unpriced. A "model" is "provider/model". */

typedef enum {
  SY_INSIGHTS_BY_MODEL,
  SY_INSIGHTS_BY_PROVIDER,
  SY_INSIGHTS_BY_CLIENT,
  SY_INSIGHTS_BY_PROFILE,
} SyInsightsGroup;

typedef struct {
  char   *day;                /* local date, "YYYY-MM-DD" */
  gint64  day_start_us;       /* its first instant in the range */
  char   *group;              /* NULL: the requests had none (no profile, …) */
  double  cost;
  gint64  requests;
  gint64  unpriced;
  gint64  prompt_tokens;
  gint64  completion_tokens;
} SySpendRow;

void       sy_spend_row_free (SySpendRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SySpendRow, sy_spend_row_free)

/* Spend per local day and group, ordered by day then group (NULL last); only
 * days and groups that had requests. A GPtrArray of SySpendRow *, or NULL with
 * @error set. */
GPtrArray *sy_insights_spend_per_day (const char       *path,
                                      gint64            from_us,
                                      gint64            to_us,
                                      GTimeZone        *tz,
                                      SyInsightsGroup   group,
                                      GError          **error);

typedef struct {
  char   *model;              /* "provider/model" */
  gint64  requests;           /* priced requests in the range */
  double  cost;
  gint64  tokens;             /* their prompt + completion tokens */
  double  usd_per_mtok;       /* cost per million of those tokens */
} SyModelCost;

typedef struct {
  /* The periods containing @now_us, whatever the range: */
  double       today;
  double       week;            /* ISO week: since Monday 00:00 */
  double       month;
  double       projected_month; /* month / elapsed fraction of the month */

  /* Over [from_us, to_us): */
  gint64       requests;
  gint64       unpriced;
  double       cost;
  /* Ranked by usd_per_mtok among models with priced tokens; NULL when none. */
  SyModelCost *cheapest;
  SyModelCost *most_expensive;
  gint64       cached_tokens;
  /* What cache reads saved against the input price, priced with @config;
   * cached tokens of models it has no price for are in cached_unpriced. */
  double       cache_saved;
  gint64       cached_unpriced;
} SyInsightsTotals;

void              sy_insights_totals_free (SyInsightsTotals *totals);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyInsightsTotals, sy_insights_totals_free)

/* @config (may be NULL: cache_saved stays 0) is only read; pass one nobody
 * modifies while this runs. */
SyInsightsTotals *sy_insights_totals (const char  *path,
                                      gint64       from_us,
                                      gint64       to_us,
                                      gint64       now_us,
                                      GTimeZone   *tz,
                                      SyConfig    *config,
                                      GError     **error);

/* Exact (nearest-rank) percentiles over successful (status 200) requests;
 * < 0 where no request had the value. */
typedef struct {
  char   *model;
  gint64  requests;
  double  total_p50;
  double  total_p90;
  double  total_p99;
  double  ttft_p50;
  double  ttft_p90;
  double  ttft_p99;
  double  tokens_per_s_p50;
} SyLatencyRow;

void       sy_latency_row_free (SyLatencyRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyLatencyRow, sy_latency_row_free)

/* Per model with successful requests in the range, by model. A GPtrArray of
 * SyLatencyRow *. */
GPtrArray *sy_insights_latency (const char  *path,
                                gint64       from_us,
                                gint64       to_us,
                                GError     **error);

typedef struct {
  char   *provider;           /* NULL: refused before a provider was chosen */
  gint64  requests;           /* all of them, 499 included */
  gint64  errors;             /* status outside 2xx, except 499 (client gone) */
  double  rate;               /* errors / requests */
} SyErrorRow;

void       sy_error_row_free (SyErrorRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyErrorRow, sy_error_row_free)

/* Per provider with requests in the range, by provider (NULL last). A
 * GPtrArray of SyErrorRow *. */
GPtrArray *sy_insights_error_rates (const char  *path,
                                    gint64       from_us,
                                    gint64       to_us,
                                    GError     **error);

typedef struct {
  gint64 start_us;            /* the local hour's first instant in the range */
  int    hour;                /* 0 to 23, local */
  gint64 requests;
} SyHourCount;

/* Requests per local hour, every hour from the first request in the range to
 * the last (zeros included), in order: a GArray of SyHourCount. On the day
 * clocks go back, the repeated hour has two entries. */
GArray    *sy_insights_requests_per_hour (const char  *path,
                                          gint64       from_us,
                                          gint64       to_us,
                                          GTimeZone   *tz,
                                          GError     **error);

/* ------------------------------------------------------------ export, import */

typedef enum {
  SY_EXPORT_CSV,              /* RFC 4180, header row, CRLF */
  SY_EXPORT_JSON_LINES,       /* one object per request */
} SyExportFormat;

/* Writes the requests of the range, oldest first: every column of the history
 * but its internal row id, plus started_at_utc (ISO 8601, for people; import
 * ignores it), plus request_body and response_body when @bodies. In CSV an empty
 * unquoted field is NULL and "" an empty string. The rows are one snapshot.
 * @out_rows (may be NULL) gets how many were written. */
gboolean   sy_insights_export         (const char      *path,
                                       gint64           from_us,
                                       gint64           to_us,
                                       SyExportFormat   format,
                                       gboolean         bodies,
                                       GOutputStream   *out,
                                       gint64          *out_rows,
                                       GCancellable    *cancellable,
                                       GError         **error);

/* The same into @file_path (created private, replaced only once complete). */
gboolean   sy_insights_export_to_file (const char      *path,
                                       gint64           from_us,
                                       gint64           to_us,
                                       SyExportFormat   format,
                                       gboolean         bodies,
                                       const char      *file_path,
                                       gint64          *out_rows,
                                       GCancellable    *cancellable,
                                       GError         **error);

#define SY_IMPORT_MAX_NOTES 100

typedef struct {
  gint64     imported;
  gint64     skipped;         /* request_id already in the history */
  gint64     invalid;
  GPtrArray *notes;           /* char *: "line N: why", the first SY_IMPORT_MAX_NOTES */
} SyImportResult;

void            sy_import_result_free (SyImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyImportResult, sy_import_result_free)

/* Merges an export (CSV or JSON Lines, told apart by the first byte) into the
 * history at @path, creating or migrating it first. A row whose request_id is
 * already there is skipped, so importing a file twice keeps each row once; an
 * invalid record is counted and noted, and the import goes on. Writes on a
 * connection of its own in BEGIN IMMEDIATE transactions of a few hundred rows,
 * waiting for another writer. On a fatal error (unreadable input, a CSV header
 * without request_id and started_at, SQLite failing) returns NULL: the rows
 * committed before it stay, and importing the file again completes it. */
SyImportResult *sy_insights_import      (const char    *path,
                                         GInputStream  *in,
                                         GCancellable  *cancellable,
                                         GError       **error);
SyImportResult *sy_insights_import_file (const char    *path,
                                         const char    *file_path,
                                         GCancellable  *cancellable,
                                         GError       **error);

G_END_DECLS
