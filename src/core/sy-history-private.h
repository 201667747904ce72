/* sy-history-private.h — what sy-history.c shares with the other readers and
 * writers of the history file (sy-history-browse.c, sy-insights.c).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "sy-history.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Indexes a stored request body for search: bind ?1 the request's rowid and ?2
 * its body. Needs sy_history_register_functions () on the connection. */
#define SY_HISTORY_INDEX_PROMPT_SQL \
  "INSERT INTO prompts (rowid, text) SELECT ?1, t FROM (SELECT sy_prompt_text (?2) AS t)" \
  " WHERE t IS NOT NULL"

/* The SQL functions our writers use: sy_prompt_text (body). */
int              sy_history_register_functions (sqlite3 *db);

/* The columns of a record without bodies, for sy_history_read_record () with
 * @with_bodies FALSE, from "requests r"; with bodies, append
 * ", b.request, b.response" and join "bodies b". */
#define SY_HISTORY_RECORD_COLUMNS \
  "r.request_id, r.started_at, r.client, r.surface, r.requested_model," \
  " r.profile, r.provider, r.model, r.stream, r.status, r.error, r.attempts, r.route," \
  " r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.cache_write_tokens," \
  " r.reasoning_tokens, r.cost, r.cost_input, r.cost_output, r.cost_cache_read," \
  " r.cost_cache_write, r.ttft_ms, r.total_ms, r.tokens_per_s"

SyHistoryRecord *sy_history_read_record (sqlite3_stmt *stmt,
                                         gboolean      with_bodies);

/* A read-only connection that fails (G_IO_ERROR_NOT_FOUND) when there is no
 * history yet, unlike sy_history_open_read_only (). */
sqlite3         *sy_history_open_reader (const char  *path,
                                         GError     **error);

/* The schema version of @db's file (PRAGMA user_version). */
gboolean         sy_history_get_version (sqlite3     *db,
                                         const char  *path,
                                         gint64      *out_version,
                                         GError     **error);

/* Deletes bodies of requests started before @before_us, in batches of their own
 * transactions (see sy_history_prune_bodies ()). */
gboolean         sy_history_prune_on    (sqlite3     *db,
                                         const char  *path,
                                         gint64       before_us,
                                         gint64      *out_pruned,
                                         GError     **error);

G_END_DECLS
