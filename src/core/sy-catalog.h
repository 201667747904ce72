/* sy-catalog.h — the built-in catalog of providers and models with their prices.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include "sy-cost.h"

G_BEGIN_DECLS

typedef enum {
  SY_CAP_TOOLS       = 1 << 0,
  SY_CAP_VISION      = 1 << 1,
  SY_CAP_JSON_SCHEMA = 1 << 2,
  SY_CAP_REASONING   = 1 << 3,
} SyCapabilities;

typedef struct {
  char           *id;             /* "openai/gpt-4.1-mini" */
  char           *provider;       /* "openai" */
  char           *model;          /* "gpt-4.1-mini", sent upstream as is */
  char           *name;           /* display name */
  SyPrice         price;
  gint64          context_window;
  gint64          max_output;
  SyCapabilities  caps;
} SyModelInfo;

typedef struct {
  char     *id;           /* "openai" */
  char     *name;         /* "OpenAI" */
  char     *kind;         /* wire format: "openai", "anthropic", "gemini" */
  char     *base_url;     /* ends with the API version segment */
  char     *key_env;      /* usual variable, NULL for local servers */
  gboolean  local;        /* zero-cost local server (Ollama, LM Studio) */
} SyProviderPreset;

#define SY_TYPE_CATALOG (sy_catalog_get_type ())
G_DECLARE_FINAL_TYPE (SyCatalog, sy_catalog, SY, CATALOG, GObject)

/* The catalog compiled into the binary (resource
 * /io/github/switchyard/Switchyard/catalog.json). */
SyCatalog              *sy_catalog_new_default   (GError     **error);
SyCatalog              *sy_catalog_new_from_data (const char  *json,
                                                  gssize       length,
                                                  GError     **error);

const char             *sy_catalog_get_prices_date (SyCatalog *self);

/* Array of const SyModelInfo *, owned by the catalog, in catalog order. */
GPtrArray              *sy_catalog_get_models     (SyCatalog  *self);
/* Array of const SyProviderPreset *, owned by the catalog, in catalog order. */
GPtrArray              *sy_catalog_get_presets    (SyCatalog  *self);

const SyProviderPreset *sy_catalog_get_preset     (SyCatalog  *self,
                                                   const char *provider_id);
const SyModelInfo      *sy_catalog_lookup         (SyCatalog  *self,
                                                   const char *provider_id,
                                                   const char *model);
/* Models named @model (bare name, no provider) across providers, catalog order.
 * Returns a new array of const SyModelInfo * (free the array only). */
/* The price to bill @model at on @provider_id: the catalog's price for a known
 * model, zero for every model of a local provider (Ollama, LM Studio), otherwise
 * unknown (sy_price_is_known () is FALSE). Returns whether the price is known. */
gboolean                sy_catalog_get_price      (SyCatalog  *self,
                                                   const char *provider_id,
                                                   const char *model,
                                                   SyPrice    *out_price);
GPtrArray              *sy_catalog_find_bare      (SyCatalog  *self,
                                                   const char *model);

G_END_DECLS
