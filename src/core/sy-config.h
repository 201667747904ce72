/* sy-config.h — config.json: server settings, providers, profiles and price overrides.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "sy-catalog.h"

G_BEGIN_DECLS

#define SY_CONFIG_ERROR (sy_config_error_quark ())
typedef enum {
  SY_CONFIG_ERROR_INVALID,
} SyConfigError;
GQuark sy_config_error_quark (void);

#define SY_DEFAULT_PORT 8377

/* A provider as the router uses it: the catalog preset overlaid by config. */
typedef struct {
  char     *id;
  char     *kind;         /* "openai", "anthropic", "gemini" */
  char     *base_url;
  char     *key_env;      /* configured variable, may be NULL */
  char     *default_env;  /* the provider's usual variable, may be NULL */
  char     *ca_file;      /* PEM file of extra CAs to trust for this provider, may be NULL */
  gboolean  local;
} SyProvider;

void sy_provider_free (SyProvider *provider);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyProvider, sy_provider_free)

typedef struct {
  char  *name;
  char  *strategy;        /* "fallback" for now */
  GStrv  models;          /* "provider/model" entries, in order */
} SyProfile;

void sy_profile_free (SyProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyProfile, sy_profile_free)

#define SY_TYPE_CONFIG (sy_config_get_type ())
G_DECLARE_FINAL_TYPE (SyConfig, sy_config, SY, CONFIG, GObject)

/* A fresh endpoint token: "sy-" and 48 hex digits from the system's random source. */
char       *sy_config_new_token      (void);

/* The default location: $XDG_CONFIG_HOME/switchyard/config.json. */
char       *sy_config_default_path   (void);

/* Loads @path (NULL: the default location). A missing file starts from defaults;
 * a config without a token gets one generated and the file is written (0600). */
SyConfig   *sy_config_load           (const char  *path,
                                      SyCatalog   *catalog,
                                      GError     **error);
/* A config with a deep copy of @root, checked as sy_config_load () checks a file,
 * that saves to @path: for an editor that builds the next config from the current
 * one (sy_config_get_root ()) and hands it to the router. Writes nothing. */
SyConfig   *sy_config_new_from_root  (const char  *path,
                                      SyCatalog   *catalog,
                                      JsonObject  *root,
                                      GError     **error);
gboolean    sy_config_save           (SyConfig    *self,
                                      GError     **error);
const char *sy_config_get_path       (SyConfig    *self);

/* The whole document; unknown fields are kept as they were. */
JsonObject *sy_config_get_root       (SyConfig    *self);

guint       sy_config_get_port       (SyConfig    *self);
/* $SWITCHYARD_TOKEN when set, else server.token. */
const char *sy_config_get_token      (SyConfig    *self);
/* server.<member> as a number, @fallback when absent or not a positive number. */
double      sy_config_get_server_double (SyConfig *self,
                                         const char *member,
                                         double    fallback);
gboolean    sy_config_get_store_bodies (SyConfig  *self);
/* "history": {"body_days": N}: bodies older than N days are pruned; 0 (or
 * absent) keeps them. */
double      sy_config_get_body_days    (SyConfig  *self);

/* Providers: every catalog preset, overlaid and extended by config "providers". */
GPtrArray  *sy_config_dup_providers  (SyConfig    *self);
SyProvider *sy_config_dup_provider   (SyConfig    *self,
                                      const char  *id);
SyProfile  *sy_config_dup_profile    (SyConfig    *self,
                                      const char  *name);
const char *sy_config_get_default_profile (SyConfig *self);

/* The price for @provider/@model: config "prices" first, then the catalog. */
gboolean    sy_config_get_price      (SyConfig    *self,
                                      const char  *provider_id,
                                      const char  *model,
                                      SyPrice     *out_price);

SyCatalog  *sy_config_get_catalog    (SyConfig    *self);

G_END_DECLS
