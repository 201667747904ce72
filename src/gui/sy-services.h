/* sy-services.h — what the window's pages share: catalog, config, keys, settings, endpoint.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-endpoint.h"
#include "sy-keys.h"

G_BEGIN_DECLS

#define SY_TYPE_SERVICES (sy_services_get_type ())
G_DECLARE_FINAL_TYPE (SyServices, sy_services, SY, SERVICES, GObject)

/* @settings may be NULL (tests without the schema use a memory backend). */
SyServices *sy_services_new             (SyCatalog  *catalog,
                                         SyConfig   *config,
                                         SyKeys     *keys,
                                         const char *history_path,
                                         GSettings  *settings);

SyCatalog  *sy_services_get_catalog     (SyServices *self);
SyKeys     *sy_services_get_keys        (SyServices *self);
GSettings  *sy_services_get_settings    (SyServices *self);
SyEndpoint *sy_services_get_endpoint    (SyServices *self);
const char *sy_services_get_history_path (SyServices *self);

/* The config in force: never modified; replaced (notify::config) after each edit. */
SyConfig   *sy_services_get_config      (SyServices *self);

/* A deep copy of the config document, to edit and hand to update_config. */
JsonObject *sy_services_dup_config_root (SyServices *self);

/* Checks @root, writes it atomically (on a worker thread) and puts it in force:
 * the pages are told through notify::config and the running router takes it for
 * the next request. Edits are written in the order they were made. */
void        sy_services_update_config_async  (SyServices          *self,
                                              JsonObject          *root,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    sy_services_update_config_finish (SyServices          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
