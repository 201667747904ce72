/* sy-compare-column.h — one model's side of a comparison: its conversation, live figures, rating.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_COMPARE_COLUMN (sy_compare_column_get_type ())
G_DECLARE_FINAL_TYPE (SyCompareColumn, sy_compare_column, SY, COMPARE_COLUMN, AdwBin)

/* What a run sends besides the conversation. */
typedef struct {
  const char *system;        /* NULL or empty: none */
  double      temperature;   /* < 0: the model's default */
  gint64      max_tokens;    /* <= 0: the model's default */
} SyCompareSettings;

/* Signals, for the page: "rerun-requested", "route-requested", "remove-requested",
 * "rated" (int score, 0 to 5) and "picked" (the user chose this answer as best).
 * Properties: "model", "running" and "answer" (notified as each delta arrives). */
SyCompareColumn *sy_compare_column_new          (SyServices              *services,
                                                 const char              *model);

const char      *sy_compare_column_get_model    (SyCompareColumn         *self);
/* Swapping the model keeps the conversation: the next turn goes to @model. */
void             sy_compare_column_set_model    (SyCompareColumn         *self,
                                                 const char              *model);

/* A new turn: @user_message (a Chat Completions user message) is sent after the
 * conversation so far; @shown is what the transcript shows of it. */
void             sy_compare_column_run          (SyCompareColumn         *self,
                                                 JsonObject              *user_message,
                                                 const char              *shown,
                                                 const SyCompareSettings *settings);
/* The last turn again (replacing its answer); FALSE when there is none. */
gboolean         sy_compare_column_rerun        (SyCompareColumn         *self,
                                                 const SyCompareSettings *settings);
void             sy_compare_column_stop         (SyCompareColumn         *self);
/* Forgets the conversation (a new comparison). */
void             sy_compare_column_clear        (SyCompareColumn         *self);

gboolean         sy_compare_column_get_running  (SyCompareColumn         *self);
/* The last turn's answer so far, its error (NULL when it did not fail), and the
 * record history got when it finished (NULL before). */
const char      *sy_compare_column_get_answer   (SyCompareColumn         *self);
const char      *sy_compare_column_get_error    (SyCompareColumn         *self);
const SyHistoryRecord *sy_compare_column_get_record (SyCompareColumn     *self);
/* The last turn ended with an answer. */
gboolean         sy_compare_column_get_succeeded (SyCompareColumn        *self);
/* The figures as shown: first token, speed, tokens, cost, time. */
const char      *sy_compare_column_get_figures  (SyCompareColumn         *self);
/* "provider/model" that answered (a profile's choice), else the column's model. */
char            *sy_compare_column_dup_rated_model (SyCompareColumn      *self);
/* The conversation (user and assistant messages), not counting a failed turn. */
JsonArray       *sy_compare_column_get_messages (SyCompareColumn         *self);
/* Estimated prompt tokens the next turn resends: the conversation so far
 * (text at about four bytes a token, an image at SY_COMPARE_IMAGE_TOKENS). */
gint64           sy_compare_column_get_history_tokens (SyCompareColumn   *self);

#define SY_COMPARE_IMAGE_TOKENS 1000

/* The same estimate for one Chat Completions message. */
gint64           sy_compare_estimate_message_tokens (JsonObject          *message);

/* The cost preview in the header. */
void             sy_compare_column_set_estimate (SyCompareColumn         *self,
                                                 const char              *text,
                                                 const char              *tooltip);

/* Judging: the page enables it once the run is saved. */
void             sy_compare_column_set_judging  (SyCompareColumn         *self,
                                                 gboolean                 enabled);
int              sy_compare_column_get_score    (SyCompareColumn         *self);
void             sy_compare_column_set_score    (SyCompareColumn         *self,
                                                 int                      score);
gboolean         sy_compare_column_get_best     (SyCompareColumn         *self);
void             sy_compare_column_set_best     (SyCompareColumn         *self,
                                                 gboolean                 best);

/* The column as a comparison saves it, and back. */
JsonObject      *sy_compare_column_to_json      (SyCompareColumn         *self);
void             sy_compare_column_load         (SyCompareColumn         *self,
                                                 JsonObject              *saved);

G_END_DECLS
