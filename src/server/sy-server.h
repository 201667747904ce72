/* sy-server.h — the local endpoint: a SoupServer and the router on their own thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "sy-config.h"
#include "sy-history.h"
#include "sy-keys.h"
#include "sy-router.h"

G_BEGIN_DECLS

#define SY_TYPE_SERVER (sy_server_get_type ())
G_DECLARE_FINAL_TYPE (SyServer, sy_server, SY, SERVER, GObject)

SyServer *sy_server_new        (SyConfig   *config,
                                SyKeys     *keys,
                                SyHistory  *history);

/* Starts the router thread and listens on 127.0.0.1 and ::1. @port < 0 takes the
 * config's port, 0 a free one. Returns once listening, or FALSE with @error (for
 * example the port is in use). */
gboolean  sy_server_start      (SyServer   *self,
                                int         port,
                                GError    **error);
guint     sy_server_get_port   (SyServer   *self);

/* Any thread: requests from now on use @config, and the endpoint checks its token.
 * The port changes only with a restart. @config must not be modified afterwards. */
void      sy_server_set_config (SyServer   *self,
                                SyConfig   *config);

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
