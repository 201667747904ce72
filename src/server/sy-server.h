/* sy-server.h — the local endpoint: a SoupServer and the router on their own thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "sy-config.h"
#include "sy-history.h"
#include "sy-keys.h"
#include "sy-ratings.h"
#include "sy-router.h"

G_BEGIN_DECLS

#define SY_TYPE_SERVER (sy_server_get_type ())
G_DECLARE_FINAL_TYPE (SyServer, sy_server, SY, SERVER, GObject)

#define SY_SERVER_NO_LISTEN (-2)

SyServer *sy_server_new        (SyConfig   *config,
                                SyKeys     *keys,
                                SyHistory  *history);

/* Starts the router thread and listens on 127.0.0.1 and ::1. @port -1 takes the
 * config's port, 0 a free one, SY_SERVER_NO_LISTEN none (the router only serves
 * sy_server_run ()). Returns once listening, or FALSE with @error (for
 * example the port is in use). */
gboolean  sy_server_start      (SyServer   *self,
                                int         port,
                                GError    **error);
guint     sy_server_get_port   (SyServer   *self);

/* Any thread: requests from now on use @config, and the endpoint checks its token.
 * The port changes only with a restart. @config must not be modified afterwards. */
void      sy_server_set_config (SyServer   *self,
                                SyConfig   *config);

/* Any thread: the "best" strategy ranks by @ratings from the next request on
 * (takes ownership). */
void      sy_server_set_ratings (SyServer   *self,
                                 SyRatings  *ratings);

/* A request from inside the app (the window's Compare page): @hub_request
 * (Chat Completions; streamed whatever it says) goes through the same router,
 * planning, retries, history and events as an endpoint client's, with @client
 * as its client. The callbacks run on the thread-default main context of the
 * caller, deltas coalesced (at most one call per main-loop turn);
 * finished () comes exactly once, last, with the record history got (status
 * 499 after @cancellable was cancelled, upstream cancelled with it) and
 * @error the failure's message or NULL. @destroy (may be NULL) frees @data after
 * finished (). Needs a started server (listening or not). */
typedef struct {
  void (*delta)    (const char            *content,
                    const char            *reasoning,
                    gpointer               data);
  void (*finished) (const SyHistoryRecord *record,
                    const char            *error,
                    gpointer               data);
} SyRunSink;

void      sy_server_run        (SyServer         *self,
                                JsonObject       *hub_request,
                                const char       *client,
                                const SyRunSink  *sink,
                                gpointer          data,
                                GDestroyNotify    destroy,
                                GCancellable     *cancellable);

/* Before sy_server_start (): live request events, called on the router thread
 * (see sy_router_set_observer ()). */
void      sy_server_set_observer (SyServer          *self,
                                  SyRequestObserver  observer,
                                  gpointer           user_data);

/* Cancels requests in flight (each recorded), stops listening and joins the thread. */
void      sy_server_stop       (SyServer   *self);

/* Router-thread only: for the API surfaces. A route gets the security guards
 * before its handler, which receives the SyServer as user data. */
void        sy_server_add_route  (SyServer          *self,
                                  const char        *path,
                                  SoupServerCallback callback);
SyRouter   *sy_server_get_router (SyServer *self);
const char *sy_server_get_token  (SyServer *self);

G_END_DECLS
