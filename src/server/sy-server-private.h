/* sy-server-private.h — what sy-server-run.c needs of SyServer.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "sy-server.h"

G_BEGIN_DECLS

/* The router thread's context while the server runs, else NULL. Any thread. */
GMainContext *sy_server_ref_context  (SyServer *self);
/* Router thread: TRUE once shutting down (no new exchanges). */
gboolean      sy_server_is_stopping  (SyServer *self);

G_END_DECLS
