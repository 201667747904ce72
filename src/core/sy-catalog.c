/* sy-catalog.c — the built-in catalog of providers and models with their prices.
 * SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "switchyard"

#include "sy-catalog.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "sy-json.h"

#define CATALOG_RESOURCE "/io/github/switchyard/Switchyard/catalog.json"

struct _SyCatalog
{
  GObject     parent_instance;

  /* owned */
  char       *prices_date;
  GPtrArray  *models;          /* SyModelInfo *, catalog order */
  GPtrArray  *presets;         /* SyProviderPreset *, catalog order */
  GHashTable *models_by_id;    /* "provider/model" (info->id) → SyModelInfo * */
  GHashTable *presets_by_id;   /* preset->id → SyProviderPreset * */
};

G_DEFINE_FINAL_TYPE (SyCatalog, sy_catalog, G_TYPE_OBJECT)

static const struct {
  const char     *name;
  SyCapabilities  cap;
} capability_names[] = {
  { "tools",       SY_CAP_TOOLS },
  { "vision",      SY_CAP_VISION },
  { "json_schema", SY_CAP_JSON_SCHEMA },
  { "reasoning",   SY_CAP_REASONING },
};

static void
model_info_free (gpointer data)
{
  SyModelInfo *info = data;

  g_free (info->id);
  g_free (info->provider);
  g_free (info->model);
  g_free (info->name);
  g_free (info);
}

static void
preset_free (gpointer data)
{
  SyProviderPreset *preset = data;

  g_free (preset->id);
  g_free (preset->name);
  g_free (preset->kind);
  g_free (preset->base_url);
  g_free (preset->key_env);
  g_free (preset);
}

static void
sy_catalog_finalize (GObject *object)
{
  SyCatalog *self = SY_CATALOG (object);

  /* The tables borrow keys and values from the arrays: drop them first. */
  g_clear_pointer (&self->models_by_id, g_hash_table_unref);
  g_clear_pointer (&self->presets_by_id, g_hash_table_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_pointer (&self->presets, g_ptr_array_unref);
  g_clear_pointer (&self->prices_date, g_free);

  G_OBJECT_CLASS (sy_catalog_parent_class)->finalize (object);
}

static void
sy_catalog_class_init (SyCatalogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sy_catalog_finalize;
}

static void
sy_catalog_init (SyCatalog *self)
{
  self->models = g_ptr_array_new_with_free_func (model_info_free);
  self->presets = g_ptr_array_new_with_free_func (preset_free);
  self->models_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->presets_by_id = g_hash_table_new (g_str_hash, g_str_equal);
}

/* Parsing helpers. Each returns FALSE with @error set; @what names the entry. */

static gboolean
catalog_error (GError     **error,
               const char  *what,
               const char  *problem)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "Catalog: %s: %s", what, problem);
  return FALSE;
}

static gboolean
get_member_string (JsonObject  *object,
                   const char  *member,
                   gboolean     required,
                   const char  *what,
                   char       **out,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *problem = NULL;

  *out = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      problem = g_strdup_printf ("“%s” is missing", member);
      return catalog_error (error, what, problem);
    }

  if (!sy_json_node_is_string (node)
      || *json_node_get_string (node) == '\0')
    {
      problem = g_strdup_printf ("“%s” must be a non-empty string", member);
      return catalog_error (error, what, problem);
    }

  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* A price in USD per million tokens; absent or null leaves @out at -1 unless
 * @required. */
static gboolean
get_member_price (JsonObject  *object,
                  const char  *member,
                  gboolean     required,
                  const char  *what,
                  double      *out,
                  GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *problem = NULL;
  double value;

  *out = -1;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      problem = g_strdup_printf ("price “%s” is missing", member);
      return catalog_error (error, what, problem);
    }

  if (!sy_json_node_is_number (node))
    {
      problem = g_strdup_printf ("price “%s” must be a number", member);
      return catalog_error (error, what, problem);
    }

  value = json_node_get_double (node);
  if (!isfinite (value) || value < 0)
    {
      problem = g_strdup_printf ("price “%s” must be zero or more", member);
      return catalog_error (error, what, problem);
    }

  *out = value;
  return TRUE;
}

static gboolean
get_member_count (JsonObject  *object,
                  const char  *member,
                  const char  *what,
                  gint64      *out,
                  GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *problem = NULL;

  *out = 0;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0)
    {
      problem = g_strdup_printf ("“%s” must be a whole number, zero or more", member);
      return catalog_error (error, what, problem);
    }

  *out = json_node_get_int (node);
  return TRUE;
}

static gboolean
parse_price (JsonNode     *node,
             const char   *what,
             SyPrice      *price,
             GError      **error)
{
  JsonObject *object;
  JsonNode *tiers_node;
  JsonArray *tiers;
  JsonNode *tier_node;
  JsonObject *tier;
  gint64 above;

  sy_price_init_unknown (price);

  /* No price (or null) is allowed: the model's cost is then unknown. */
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return catalog_error (error, what, "“price” must be an object or null");

  object = json_node_get_object (node);
  if (!get_member_price (object, "input", TRUE, what, &price->input, error)
      || !get_member_price (object, "output", TRUE, what, &price->output, error)
      || !get_member_price (object, "cached_input", FALSE, what, &price->cached_input, error)
      || !get_member_price (object, "cache_write", FALSE, what, &price->cache_write, error))
    return FALSE;

  tiers_node = json_object_get_member (object, "tiers");
  if (tiers_node == NULL || JSON_NODE_HOLDS_NULL (tiers_node))
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (tiers_node))
    return catalog_error (error, what, "“tiers” must be an array");

  tiers = json_node_get_array (tiers_node);
  if (json_array_get_length (tiers) == 0)
    return TRUE;
  /* SyPrice carries one long-context tier, which is all any provider uses. */
  if (json_array_get_length (tiers) > 1)
    return catalog_error (error, what, "only one price tier is supported");

  tier_node = json_array_get_element (tiers, 0);
  if (!JSON_NODE_HOLDS_OBJECT (tier_node))
    return catalog_error (error, what, "a price tier must be an object");

  tier = json_node_get_object (tier_node);
  if (!get_member_count (tier, "above", what, &above, error))
    return FALSE;
  if (above <= 0)
    return catalog_error (error, what, "a price tier needs “above” greater than 0");

  price->tier_threshold = above;
  return get_member_price (tier, "input", FALSE, what, &price->tier_input, error)
         && get_member_price (tier, "output", FALSE, what, &price->tier_output, error)
         && get_member_price (tier, "cached_input", FALSE, what, &price->tier_cached_input, error)
         && get_member_price (tier, "cache_write", FALSE, what, &price->tier_cache_write, error);
}

static gboolean
parse_capabilities (JsonNode        *node,
                    const char      *what,
                    SyCapabilities  *caps,
                    GError         **error)
{
  JsonArray *array;
  guint n;

  *caps = 0;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return catalog_error (error, what, "“capabilities” must be an array of strings");

  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      const char *name;
      gboolean found = FALSE;

      if (!sy_json_node_is_string (element))
        return catalog_error (error, what, "“capabilities” must be an array of strings");

      name = json_node_get_string (element);
      for (guint j = 0; j < G_N_ELEMENTS (capability_names); j++)
        {
          if (g_str_equal (name, capability_names[j].name))
            {
              *caps |= capability_names[j].cap;
              found = TRUE;
              break;
            }
        }

      if (!found)
        {
          g_autofree char *problem = g_strdup_printf ("unknown capability “%s”", name);
          return catalog_error (error, what, problem);
        }
    }

  return TRUE;
}

static gboolean
parse_provider (SyCatalog  *self,
                JsonNode   *node,
                guint       index,
                GError    **error)
{
  g_autofree char *what = g_strdup_printf ("provider #%u", index);
  g_autofree char *problem = NULL;
  SyProviderPreset *preset;
  JsonObject *object;
  JsonNode *local;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return catalog_error (error, what, "must be an object");

  object = json_node_get_object (node);
  preset = g_new0 (SyProviderPreset, 1);
  /* Owned by the array from here, so every early return frees it. */
  g_ptr_array_add (self->presets, preset);

  if (!get_member_string (object, "id", TRUE, what, &preset->id, error))
    return FALSE;

  g_free (what);
  what = g_strdup_printf ("provider “%s”", preset->id);

  if (strchr (preset->id, '/') != NULL)
    return catalog_error (error, what, "the id must not contain “/”");
  if (g_hash_table_contains (self->presets_by_id, preset->id))
    return catalog_error (error, what, "listed twice");

  if (!get_member_string (object, "name", FALSE, what, &preset->name, error)
      || !get_member_string (object, "kind", TRUE, what, &preset->kind, error)
      || !get_member_string (object, "base_url", TRUE, what, &preset->base_url, error)
      || !get_member_string (object, "key_env", FALSE, what, &preset->key_env, error))
    return FALSE;

  if (preset->name == NULL)
    preset->name = g_strdup (preset->id);

  if (!g_str_equal (preset->kind, "openai")
      && !g_str_equal (preset->kind, "anthropic")
      && !g_str_equal (preset->kind, "gemini"))
    {
      problem = g_strdup_printf ("unknown kind “%s”", preset->kind);
      return catalog_error (error, what, problem);
    }

  if (!g_str_has_prefix (preset->base_url, "https://")
      && !g_str_has_prefix (preset->base_url, "http://"))
    return catalog_error (error, what, "“base_url” must be an http(s) URL");

  local = json_object_get_member (object, "local");
  if (local != NULL && !JSON_NODE_HOLDS_NULL (local))
    {
      if (!sy_json_node_is_bool (local))
        return catalog_error (error, what, "“local” must be true or false");
      preset->local = json_node_get_boolean (local);
    }

  g_hash_table_insert (self->presets_by_id, preset->id, preset);
  return TRUE;
}

static gboolean
parse_model (SyCatalog  *self,
             JsonNode   *node,
             guint       index,
             GError    **error)
{
  g_autofree char *what = g_strdup_printf ("model #%u", index);
  g_autofree char *problem = NULL;
  SyModelInfo *info;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return catalog_error (error, what, "must be an object");

  object = json_node_get_object (node);
  info = g_new0 (SyModelInfo, 1);
  sy_price_init_unknown (&info->price);
  g_ptr_array_add (self->models, info);

  if (!get_member_string (object, "provider", TRUE, what, &info->provider, error)
      || !get_member_string (object, "model", TRUE, what, &info->model, error))
    return FALSE;

  info->id = g_strconcat (info->provider, "/", info->model, NULL);
  g_free (what);
  what = g_strdup_printf ("model “%s”", info->id);

  if (!g_hash_table_contains (self->presets_by_id, info->provider))
    {
      problem = g_strdup_printf ("no provider “%s” in the catalog", info->provider);
      return catalog_error (error, what, problem);
    }
  if (g_hash_table_contains (self->models_by_id, info->id))
    return catalog_error (error, what, "listed twice");

  if (!get_member_string (object, "name", FALSE, what, &info->name, error)
      || !get_member_count (object, "context_window", what, &info->context_window, error)
      || !get_member_count (object, "max_output", what, &info->max_output, error)
      || !parse_capabilities (json_object_get_member (object, "capabilities"), what,
                              &info->caps, error)
      || !parse_price (json_object_get_member (object, "price"), what, &info->price, error))
    return FALSE;

  if (info->name == NULL)
    info->name = g_strdup (info->model);

  g_hash_table_insert (self->models_by_id, info->id, info);
  return TRUE;
}

static gboolean
parse_catalog (SyCatalog   *self,
               JsonNode    *root,
               GError     **error)
{
  JsonObject *object;
  JsonArray *providers;
  JsonArray *models;
  JsonNode *member;
  guint n;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return catalog_error (error, "document", "must be a JSON object");

  object = json_node_get_object (root);

  if (!get_member_string (object, "prices_date", FALSE, "document", &self->prices_date, error))
    return FALSE;

  member = json_object_get_member (object, "providers");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return catalog_error (error, "document", "“providers” must be an array");
  providers = json_node_get_array (member);

  member = json_object_get_member (object, "models");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return catalog_error (error, "document", "“models” must be an array");
  models = json_node_get_array (member);

  /* Providers first: every model must name a provider that exists. */
  n = json_array_get_length (providers);
  for (guint i = 0; i < n; i++)
    if (!parse_provider (self, json_array_get_element (providers, i), i, error))
      return FALSE;

  n = json_array_get_length (models);
  for (guint i = 0; i < n; i++)
    if (!parse_model (self, json_array_get_element (models, i), i, error))
      return FALSE;

  return TRUE;
}

SyCatalog *
sy_catalog_new_from_data (const char  *json,
                          gssize       length,
                          GError     **error)
{
  g_autoptr(SyCatalog) self = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length < 0)
    length = strlen (json);

  root = sy_json_parse (json, (gsize) length, error);
  if (root == NULL)
    return NULL;

  self = g_object_new (SY_TYPE_CATALOG, NULL);
  if (!parse_catalog (self, root, error))
    return NULL;

  return g_steal_pointer (&self);
}

SyCatalog *
sy_catalog_new_default (GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gconstpointer data;
  gsize size;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bytes = g_resources_lookup_data (CATALOG_RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &size);
  return sy_catalog_new_from_data (data, (gssize) size, error);
}

const char *
sy_catalog_get_prices_date (SyCatalog *self)
{
  g_return_val_if_fail (SY_IS_CATALOG (self), NULL);

  return self->prices_date;
}

GPtrArray *
sy_catalog_get_models (SyCatalog *self)
{
  g_return_val_if_fail (SY_IS_CATALOG (self), NULL);

  return self->models;
}

GPtrArray *
sy_catalog_get_presets (SyCatalog *self)
{
  g_return_val_if_fail (SY_IS_CATALOG (self), NULL);

  return self->presets;
}

const SyProviderPreset *
sy_catalog_get_preset (SyCatalog  *self,
                       const char *provider_id)
{
  g_return_val_if_fail (SY_IS_CATALOG (self), NULL);

  if (provider_id == NULL)
    return NULL;

  return g_hash_table_lookup (self->presets_by_id, provider_id);
}

const SyModelInfo *
sy_catalog_lookup (SyCatalog  *self,
                   const char *provider_id,
                   const char *model)
{
  g_autofree char *id = NULL;

  g_return_val_if_fail (SY_IS_CATALOG (self), NULL);

  if (provider_id == NULL || model == NULL)
    return NULL;

  /* Provider ids hold no '/', so "provider/model" is unambiguous even when the
   * model name has slashes of its own (OpenRouter, Together). */
  id = g_strconcat (provider_id, "/", model, NULL);
  return g_hash_table_lookup (self->models_by_id, id);
}

GPtrArray *
sy_catalog_find_bare (SyCatalog  *self,
                      const char *model)
{
  GPtrArray *found;

  g_return_val_if_fail (SY_IS_CATALOG (self), NULL);

  found = g_ptr_array_new ();
  if (model == NULL)
    return found;

  for (guint i = 0; i < self->models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (self->models, i);

      if (g_str_equal (info->model, model))
        g_ptr_array_add (found, (gpointer) info);
    }

  return found;
}

gboolean
sy_catalog_get_price (SyCatalog  *self,
                      const char *provider_id,
                      const char *model,
                      SyPrice    *out_price)
{
  const SyProviderPreset *preset;
  const SyModelInfo *info;
  SyPrice price;

  g_return_val_if_fail (SY_IS_CATALOG (self), FALSE);

  sy_price_init_unknown (&price);

  preset = sy_catalog_get_preset (self, provider_id);
  if (preset != NULL && preset->local)
    {
      /* A model on the user's own machine costs nothing, whatever it is. */
      price.input = 0;
      price.output = 0;
      price.cached_input = 0;
      price.cache_write = 0;
    }
  else if ((info = sy_catalog_lookup (self, provider_id, model)) != NULL)
    {
      price = info->price;
    }

  if (out_price != NULL)
    *out_price = price;

  return sy_price_is_known (&price);
}
