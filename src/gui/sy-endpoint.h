/* sy-endpoint.h — the local endpoint as the window sees it: start, stop, live activity.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "sy-config.h"
#include "sy-keys.h"

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

/* SyActivityItem, newest first: requests seen since the app started (the newest
 * 1000), updated as they finish. */
GListModel *sy_endpoint_get_activity   (SyEndpoint   *self);

G_END_DECLS
