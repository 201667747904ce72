/* sy-history.h — the request history: SQLite on its own writer thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The same declaration as <sqlite3.h>'s, so that users of this header need not
 * include it. */
typedef struct sqlite3 sqlite3;

/* One routed request. Strings may be NULL. Numbers < 0 mean "unknown" (NULL in SQL). */
typedef struct {
  char    *request_id;       /* "sy-…", unique */
  gint64   started_at_us;    /* g_get_real_time () at arrival */
  char    *client;           /* token label or User-Agent */
  char    *surface;          /* "chat.completions", "messages", "responses" */
  char    *requested_model;  /* what the client asked for */
  char    *profile;          /* profile name, if any */
  char    *provider;         /* provider that answered (or last tried) */
  char    *model;            /* upstream model */
  gboolean stream;
  int      status;           /* HTTP status sent to the client; 499 client gone */
  char    *error;            /* final error message, NULL on success */
  char    *attempts_json;    /* JSON array: [{"provider","model","status","error","ms"}] */
  char    *route_json;       /* JSON object with the routing reasons */
  gint64   prompt_tokens;
  gint64   completion_tokens;
  gint64   cached_tokens;
  gint64   cache_write_tokens;
  gint64   reasoning_tokens;
  gboolean cost_known;       /* FALSE: all cost columns NULL */
  double   cost;
  double   cost_input;
  double   cost_output;
  double   cost_cache_read;
  double   cost_cache_write;
  double   ttft_ms;          /* < 0 unknown */
  double   total_ms;
  double   tokens_per_s;     /* < 0 unknown */
  char    *request_body;     /* NULL when body storage is off */
  char    *response_body;
} SyHistoryRecord;

/* Numbers start unknown (-1), status 0, cost_known FALSE with cost parts 0,
 * started_at_us the current time. */
SyHistoryRecord *sy_history_record_new  (void);
void             sy_history_record_free (SyHistoryRecord *record);
SyHistoryRecord *sy_history_record_copy (const SyHistoryRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyHistoryRecord, sy_history_record_free)

#define SY_TYPE_HISTORY (sy_history_get_type ())
G_DECLARE_FINAL_TYPE (SyHistory, sy_history, SY, HISTORY, GObject)

/* Opens (creating if needed, with parent directories) and migrates the database,
 * then starts the writer thread. A database from a newer version fails with
 * G_IO_ERROR_READ_ONLY and a clear message. */
SyHistory *sy_history_new    (const char      *path,
                              GError         **error);
const char *sy_history_get_path (SyHistory *self);

/* Queues @record (takes ownership); never blocks on SQLite. */
void       sy_history_record (SyHistory       *self,
                              SyHistoryRecord *record);

/* Blocks until everything queued before the call is committed. */
void       sy_history_flush  (SyHistory       *self);

/* Flushes and stops the writer thread; further records are dropped. Idempotent;
 * dispose calls it. */
void       sy_history_close  (SyHistory       *self);

/* For readers of the history outside SyHistory (statistics, spend). Opens @path
 * read-only with a busy timeout, on a connection for one thread at a time.
 * Returns TRUE with *@out_db NULL when there is no history yet: no file, or one
 * created but never migrated. A file that is not a Switchyard history database
 * fails with G_IO_ERROR_INVALID_DATA; one from a newer version is accepted, as
 * by the readers below. Close *@out_db with sqlite3_close (). */
gboolean   sy_history_open_read_only (const char  *path,
                                      sqlite3    **out_db,
                                      GError     **error);

/* Sets @error from the SQLite result @rc (with sqlite3_errmsg (@db) when @db is
 * not NULL), naming the file @path, in G_IO_ERROR. */
void       sy_history_set_sqlite_error (GError     **error,
                                        sqlite3     *db,
                                        int          rc,
                                        const char  *path);

/* Reading, for the GUI and tests. Each call opens its own read-only connection
 * (SQLITE_OPEN_READONLY), so it may run on any thread, while a writer is open, and
 * on a database from a newer version. Never use them on the GTK main thread. */

/* The newest @limit rows (0: all), newest first, bodies included.
 * Returns a GPtrArray of SyHistoryRecord*, or NULL with @error set. */
GPtrArray *sy_history_read_recent (const char  *path,
                                   guint        limit,
                                   GError     **error);

gboolean   sy_history_read_count  (const char  *path,
                                   gint64      *out_count,
                                   GError     **error);

/* ----------------------------------------------------------------- browsing
 *
 * The History page's queries. Blocking, for worker threads; each call opens its
 * own read-only connection. Search looks in the prompt text of requests whose
 * bodies are stored (an FTS5 index the writer keeps: system, instructions and
 * message text, without images or tool definitions). */

typedef enum {
  SY_HISTORY_STATUS_ANY,
  SY_HISTORY_STATUS_SUCCEEDED,   /* 2xx */
  SY_HISTORY_STATUS_FAILED,      /* anything else but 499 */
  SY_HISTORY_STATUS_CANCELLED,   /* 499: the client left */
} SyHistoryStatus;

typedef struct {
  gint64           from_us;     /* [from_us, to_us) of started_at; 0 and */
  gint64           to_us;       /* G_MAXINT64 for all */
  const char      *search;      /* words of the prompt, all must occur (those of
                                 * 3 characters or more as prefixes, shorter ones
                                 * whole); NULL or blank: no search */
  const char      *client;      /* exact values; NULL: any */
  const char      *provider;
  const char      *model;       /* "provider/model" */
  const char      *profile;
  SyHistoryStatus  status;
  double           min_cost;    /* USD: cost above this; < 0: any */
} SyHistoryFilter;

/* Every filter off. */
void       sy_history_filter_init (SyHistoryFilter *filter);

/* The ids of the matching requests, newest first (started_at, then id): a
 * GArray of gint64, empty when there is no history. */
GArray    *sy_history_query_ids   (const char             *path,
                                   const SyHistoryFilter  *filter,
                                   GCancellable           *cancellable,
                                   GError                **error);

/* The matching requests with ids above @after_id, newest first: what arrived
 * since a query whose largest id was @after_id. */
GArray    *sy_history_query_ids_after (const char             *path,
                                       const SyHistoryFilter  *filter,
                                       gint64                  after_id,
                                       GError                **error);

/* The ids of @base, in its order, whose prompt text matches @search (as
 * SyHistoryFilter.search): for a list that has the ids of its other filters
 * already and only the search changed — the index is read in its own order
 * and @base is walked once, however many requests match. A blank @search
 * gives a copy of @base. */
GArray    *sy_history_search_within (const char    *path,
                                     const char    *search,
                                     GArray        *base,
                                     GCancellable  *cancellable,
                                     GError       **error);

/* The requests @ids[0 .. @n_ids) in that order, without bodies: a GPtrArray of
 * SyHistoryRecord *, NULL where an id is no longer in the history. */
GPtrArray *sy_history_read_ids    (const char    *path,
                                   const gint64  *ids,
                                   guint          n_ids,
                                   GError       **error);

/* Request @request_id's stored bodies (either may be NULL: not stored or
 * pruned). FALSE only on errors. */
gboolean   sy_history_read_bodies (const char  *path,
                                   const char  *request_id,
                                   char       **out_request,
                                   char       **out_response,
                                   GError     **error);

/* The distinct values of a filterable column, sorted, NULLs left out: "client",
 * "provider", "model" ("provider/model") or "profile". */
GStrv      sy_history_distinct    (const char  *path,
                                   const char  *column,
                                   GError     **error);

/* The text of a request body that search indexes, in any of the three client
 * formats (Chat Completions, Anthropic Messages, Responses): NULL when there is
 * none. At most 256 KiB. */
char      *sy_history_prompt_text (const char  *request_body);

/* Deletes the bodies (and their search text) of requests that started before
 * @before_us; the requests themselves stay. In batches, each its own
 * transaction, so the writer thread is never held up long. *@out_pruned (may be
 * NULL) gets the number of requests whose bodies went. */
gboolean   sy_history_prune_bodies (const char  *path,
                                    gint64       before_us,
                                    gint64      *out_pruned,
                                    GError     **error);

/* Keeps bodies for @max_age_us (0: forever): the writer thread prunes older ones
 * when set and then every hour. The router sets it from config
 * ("history": {"body_days": N}). */
void       sy_history_set_body_max_age (SyHistory *self,
                                        gint64     max_age_us);

/* Comparisons from the window's Compare page and the user's ratings of them.
 * Blocking, on any thread (each call opens its own connection; SQLite's
 * busy timeout waits for the writer thread). */

typedef struct {
  char   *id;
  gint64  created_at_us;
  char   *json;           /* the comparison as the window saved it */
} SyComparisonRow;

void       sy_comparison_row_free (SyComparisonRow *row);

/* Creates or replaces comparison @id. */
gboolean   sy_history_save_comparison  (const char  *path,
                                        const char  *id,
                                        gint64       created_at_us,
                                        const char  *json,
                                        GError     **error);
/* The newest @limit comparisons (0: all), newest first: SyComparisonRow *. */
GPtrArray *sy_history_read_comparisons (const char  *path,
                                        guint        limit,
                                        GError     **error);
/* @model's score in comparison @comparison_id (1 to 5; 0 removes it). */
gboolean   sy_history_save_rating      (const char  *path,
                                        const char  *comparison_id,
                                        const char  *model,
                                        int          score,
                                        GError     **error);

G_END_DECLS
