/* sy-endpoint.h — the local endpoint as the window sees it: start, stop, live activity.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sy-config.h"
#include "sy-keys.h"
#include "sy-ratings.h"
#include "sy-server.h"

G_BEGIN_DECLS

#define SY_TYPE_ENDPOINT (sy_endpoint_get_type ())
G_DECLARE_FINAL_TYPE (SyEndpoint, sy_endpoint, SY, ENDPOINT, GObject)

SyEndpoint *sy_endpoint_new            (SyKeys       *keys,
                                        const char   *history_path);

/* Requests from now on use @config (also while stopped: the next start does). */
void        sy_endpoint_set_config     (SyEndpoint   *self,
                                        SyConfig     *config);

/* Opens the history and starts the router thread, both on a worker thread; fails
 * with the reason (port in use…), also kept in the "error" property. */
void        sy_endpoint_start_async    (SyEndpoint          *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean    sy_endpoint_start_finish   (SyEndpoint          *self,
                                        GAsyncResult        *result,
                                        GError             **error);
/* Requests in flight are answered and recorded first; joins on a worker thread. */
void        sy_endpoint_stop_async     (SyEndpoint          *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean    sy_endpoint_stop_finish    (SyEndpoint          *self,
                                        GAsyncResult        *result,
                                        GError             **error);
/* For the app's shutdown: stops and flushes the history, blocking. */
void        sy_endpoint_shutdown       (SyEndpoint   *self);

gboolean    sy_endpoint_get_running    (SyEndpoint   *self);
gboolean    sy_endpoint_get_busy       (SyEndpoint   *self);
guint       sy_endpoint_get_port       (SyEndpoint   *self);
/* "http://127.0.0.1:PORT/v1" while running, else NULL. */
const char *sy_endpoint_get_base_url   (SyEndpoint   *self);
/* The last start failure, NULL when none. */
const char *sy_endpoint_get_error      (SyEndpoint   *self);

/* Compare: @hub_request through the router exactly as an endpoint client's
 * request goes (see sy_server_run ()), whether or not the endpoint listens: when
 * it is off, a router that does not listen is started for it (and stopped with
 * the endpoint object). Callbacks on the main context. */
void        sy_endpoint_run            (SyEndpoint          *self,
                                        JsonObject          *hub_request,
                                        const SyRunSink     *sink,
                                        gpointer             data,
                                        GDestroyNotify       destroy,
                                        GCancellable        *cancellable);

/* Comparisons and ratings in the history database, on worker threads. A rating
 * (1 to 5, 0 removes it) is in force for the "best" strategy of every router of
 * this endpoint when the call finishes. */
void        sy_endpoint_save_comparison_async  (SyEndpoint          *self,
                                                const char          *id,
                                                gint64               created_at_us,
                                                JsonObject          *comparison,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    sy_endpoint_save_comparison_finish (SyEndpoint          *self,
                                                GAsyncResult        *result,
                                                GError             **error);
void        sy_endpoint_rate_async             (SyEndpoint          *self,
                                                const char          *comparison_id,
                                                const char          *model,
                                                int                  score,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    sy_endpoint_rate_finish            (SyEndpoint          *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* The ratings as they stand (for a leaderboard): a SyRatings to free. */
void        sy_endpoint_read_ratings_async     (SyEndpoint          *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
SyRatings  *sy_endpoint_read_ratings_finish    (SyEndpoint          *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* The newest @limit saved comparisons: a GPtrArray of SyComparisonRow. */
void        sy_endpoint_read_comparisons_async (SyEndpoint          *self,
                                                guint                limit,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
GPtrArray  *sy_endpoint_read_comparisons_finish (SyEndpoint         *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);

/* SyActivityItem, newest first: requests seen since the app started (the newest
 * 1000), updated as they finish. */
GListModel *sy_endpoint_get_activity   (SyEndpoint   *self);

G_END_DECLS
