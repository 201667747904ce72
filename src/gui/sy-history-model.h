/* sy-history-model.h — every request in the history matching a filter, as a
 * GListModel of SyActivityItem read a page at a time on worker threads.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sy-activity-item.h"
#include "sy-history.h"

G_BEGIN_DECLS

#define SY_TYPE_HISTORY_MODEL (sy_history_model_get_type ())
G_DECLARE_FINAL_TYPE (SyHistoryModel, sy_history_model, SY, HISTORY_MODEL, GObject)

/* Requests read per page. */
#define SY_HISTORY_MODEL_PAGE 100

SyHistoryModel *sy_history_model_new        (const char            *history_path);
const char     *sy_history_model_get_path   (SyHistoryModel        *self);

/* Runs @filter (copied) on a worker thread; the list is replaced when it is done.
 * "loading" is TRUE meanwhile; "error" is the reason a query failed, or NULL. */
void            sy_history_model_set_filter (SyHistoryModel        *self,
                                             const SyHistoryFilter *filter);
/* Puts requests recorded since the last query at the top (the filter
 * applies). */
void            sy_history_model_refresh    (SyHistoryModel        *self);

/* Stops: what is still being read is dropped (the page went; the history may
 * be going too). Tasks in flight keep the model alive until they end. */
void            sy_history_model_close      (SyHistoryModel        *self);

gboolean        sy_history_model_get_loading (SyHistoryModel       *self);
const char     *sy_history_model_get_error   (SyHistoryModel       *self);
/* Rows read from the database since the model was made, for tests: pages are
 * read when shown, not all at once. */
guint           sy_history_model_get_rows_read (SyHistoryModel     *self);

G_END_DECLS
