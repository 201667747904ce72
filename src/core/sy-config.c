/* sy-config.c — config.json: server settings, providers, profiles and price overrides.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-config"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/random.h>

#include "sy-config.h"
#include "sy-json.h"

struct _SyConfig
{
  GObject     parent_instance;

  /* owned references */
  SyCatalog  *catalog;
  JsonNode   *root;

  /* state */
  char       *path;
};

G_DEFINE_FINAL_TYPE (SyConfig, sy_config, G_TYPE_OBJECT)

G_DEFINE_QUARK (sy-config-error-quark, sy_config_error)

void
sy_provider_free (SyProvider *provider)
{
  if (provider == NULL)
    return;
  g_free (provider->id);
  g_free (provider->kind);
  g_free (provider->base_url);
  g_free (provider->key_env);
  g_free (provider->default_env);
  g_free (provider->ca_file);
  g_free (provider);
}

void
sy_profile_free (SyProfile *profile)
{
  if (profile == NULL)
    return;
  g_free (profile->name);
  g_free (profile->strategy);
  g_strfreev (profile->models);
  g_free (profile);
}

static void
sy_config_finalize (GObject *object)
{
  SyConfig *self = SY_CONFIG (object);

  g_clear_object (&self->catalog);
  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (sy_config_parent_class)->finalize (object);
}

static void
sy_config_class_init (SyConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sy_config_finalize;
}

static void
sy_config_init (SyConfig *self)
{
}

char *
sy_config_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "switchyard", "config.json", NULL);
}

char *
sy_config_new_token (void)
{
  guint8 bytes[24];
  GString *token = g_string_new ("sy-");
  gsize filled = 0;

  while (filled < sizeof bytes)
    {
      ssize_t n = getrandom (bytes + filled, sizeof bytes - filled, 0);
      if (n < 0 && errno == EINTR)
        continue;
      g_assert (n > 0);
      filled += (gsize) n;
    }
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (token, "%02x", bytes[i]);
  memset (bytes, 0, sizeof bytes);
  return g_string_free (token, FALSE);
}

static JsonObject *
ensure_object (JsonObject *parent,
               const char *member)
{
  JsonObject *child = sy_json_get_object (parent, member);

  if (child == NULL)
    {
      child = json_object_new ();
      json_object_set_object_member (parent, member, child);
    }
  return child;
}

/* Checks the parts the router reads, so a typo is one clear line at start-up
 * rather than a surprise on the first request. */
static gboolean
validate (JsonObject  *root,
          GError     **error)
{
  JsonNode *node;
  JsonObject *server = sy_json_get_object (root, "server");

  if (json_object_has_member (root, "server") && server == NULL)
    goto bad_server;
  if (server != NULL && (node = json_object_get_member (server, "port")) != NULL)
    {
      gint64 port = sy_json_get_int (server, "port", -1);
      if (!JSON_NODE_HOLDS_VALUE (node) || port < 0 || port > 65535)
        {
          g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                       _("server.port must be a number from 0 to 65535"));
          return FALSE;
        }
    }
  if (server != NULL && json_object_has_member (server, "token") &&
      sy_json_get_string (server, "token") == NULL)
    goto bad_server;

  if ((node = json_object_get_member (root, "providers")) != NULL)
    {
      JsonArray *providers = sy_json_get_array (root, "providers");
      if (providers == NULL)
        {
          g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                       _("providers must be a list"));
          return FALSE;
        }
      for (guint i = 0; i < json_array_get_length (providers); i++)
        {
          JsonNode *entry = json_array_get_element (providers, i);
          JsonObject *provider = JSON_NODE_HOLDS_OBJECT (entry) ? json_node_get_object (entry) : NULL;
          const char *kind = sy_json_get_string (provider, "kind");

          if (sy_json_get_string (provider, "id") == NULL)
            {
              g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                           _("providers[%u] needs an \"id\""), i);
              return FALSE;
            }
          if (kind != NULL && !g_str_equal (kind, "openai") &&
              !g_str_equal (kind, "anthropic") && !g_str_equal (kind, "gemini"))
            {
              g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                           _("provider \"%s\": kind must be openai, anthropic or gemini"),
                           sy_json_get_string (provider, "id"));
              return FALSE;
            }
        }
    }

  if (json_object_has_member (root, "profiles"))
    {
      JsonArray *profiles = sy_json_get_array (root, "profiles");
      if (profiles == NULL)
        {
          g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                       _("profiles must be a list"));
          return FALSE;
        }
      for (guint i = 0; i < json_array_get_length (profiles); i++)
        {
          JsonNode *entry = json_array_get_element (profiles, i);
          JsonObject *profile = JSON_NODE_HOLDS_OBJECT (entry) ? json_node_get_object (entry) : NULL;

          /* Without "models" a profile chooses among every catalog model. */
          if (sy_json_get_string (profile, "name") == NULL ||
              (json_object_has_member (profile, "models") && sy_json_get_array (profile, "models") == NULL))
            {
              g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                           _("profiles[%u] needs a \"name\", and \"models\" (if given) must be a list"), i);
              return FALSE;
            }
        }
    }

  if (json_object_has_member (root, "history"))
    {
      JsonObject *history = sy_json_get_object (root, "history");
      JsonNode *days = history != NULL ? json_object_get_member (history, "body_days") : NULL;
      JsonNode *store = history != NULL ? json_object_get_member (history, "store_bodies") : NULL;

      if (history == NULL ||
          (days != NULL && (!JSON_NODE_HOLDS_VALUE (days) ||
                            (json_node_get_value_type (days) != G_TYPE_INT64 &&
                             json_node_get_value_type (days) != G_TYPE_DOUBLE) ||
                            json_node_get_double (days) < 0)) ||
          (store != NULL && (!JSON_NODE_HOLDS_VALUE (store) ||
                             json_node_get_value_type (store) != G_TYPE_BOOLEAN)))
        {
          g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                       _("history must be an object: store_bodies true or false, body_days a number of days (0 keeps bodies)"));
          return FALSE;
        }
    }

  return TRUE;

bad_server:
  g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
               _("server must be an object with a numeric port and a string token"));
  return FALSE;
}

SyConfig *
sy_config_load (const char  *path,
                SyCatalog   *catalog,
                GError     **error)
{
  g_autoptr(SyConfig) self = g_object_new (SY_TYPE_CONFIG, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  JsonObject *root;
  JsonObject *server;

  g_return_val_if_fail (SY_IS_CATALOG (catalog), NULL);

  self->catalog = g_object_ref (catalog);
  self->path = path != NULL ? g_strdup (path) : sy_config_default_path ();

  if (g_file_get_contents (self->path, &contents, &length, &local_error))
    {
      g_autoptr(GError) parse_error = NULL;

      self->root = sy_json_parse (contents, length, &parse_error);
      if (self->root == NULL || !JSON_NODE_HOLDS_OBJECT (self->root))
        {
          g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                       _("%s: %s"), self->path,
                       parse_error != NULL ? parse_error->message : _("the top level must be an object"));
          return NULL;
        }
    }
  else if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_autoptr(JsonObject) empty = json_object_new ();
      self->root = json_node_init_object (json_node_alloc (), empty);
    }
  else
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  root = json_node_get_object (self->root);
  if (!validate (root, &local_error))
    {
      g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID,
                   "%s: %s", self->path, local_error->message);
      return NULL;
    }

  server = ensure_object (root, "server");
  if (sy_json_get_string (server, "token") == NULL)
    {
      g_autofree char *token = sy_config_new_token ();

      json_object_set_string_member (server, "token", token);
      if (!json_object_has_member (server, "port"))
        json_object_set_int_member (server, "port", SY_DEFAULT_PORT);
      if (!sy_config_save (self, error))
        return NULL;
    }

  return g_steal_pointer (&self);
}

SyConfig *
sy_config_new_from_root (const char  *path,
                         SyCatalog   *catalog,
                         JsonObject  *root,
                         GError     **error)
{
  g_autoptr(SyConfig) self = g_object_new (SY_TYPE_CONFIG, NULL);
  JsonObject *copy;

  g_return_val_if_fail (SY_IS_CATALOG (catalog), NULL);
  g_return_val_if_fail (root != NULL, NULL);

  self->catalog = g_object_ref (catalog);
  self->path = path != NULL ? g_strdup (path) : sy_config_default_path ();
  /* Deep: the editor's later changes never reach a config the router thread reads. */
  copy = sy_json_object_deep_copy (root, error);
  if (copy == NULL)
    return NULL;
  self->root = json_node_init_object (json_node_alloc (), copy);
  json_object_unref (copy);
  if (!validate (json_node_get_object (self->root), error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
sy_config_save (SyConfig  *self,
                GError   **error)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  g_return_val_if_fail (SY_IS_CONFIG (self), FALSE);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, self->root);
  data = json_generator_to_data (generator, &length);

  /* Temp file + rename, created 0600 before any byte is written: the file holds
   * the endpoint token. */
  return g_file_set_contents_full (self->path, data, (gssize) length,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

const char *
sy_config_get_path (SyConfig *self)
{
  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);
  return self->path;
}

JsonObject *
sy_config_get_root (SyConfig *self)
{
  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);
  return json_node_get_object (self->root);
}

SyCatalog *
sy_config_get_catalog (SyConfig *self)
{
  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);
  return self->catalog;
}

static JsonObject *
server_object (SyConfig *self)
{
  return sy_json_get_object (json_node_get_object (self->root), "server");
}

guint
sy_config_get_port (SyConfig *self)
{
  g_return_val_if_fail (SY_IS_CONFIG (self), SY_DEFAULT_PORT);
  return (guint) sy_json_get_int (server_object (self), "port", SY_DEFAULT_PORT);
}

const char *
sy_config_get_token (SyConfig *self)
{
  const char *env = g_getenv ("SWITCHYARD_TOKEN");

  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);
  if (env != NULL && *env != '\0')
    return env;
  return sy_json_get_string (server_object (self), "token");
}

double
sy_config_get_server_double (SyConfig   *self,
                             const char *member,
                             double      fallback)
{
  double value;

  g_return_val_if_fail (SY_IS_CONFIG (self), fallback);
  value = sy_json_get_double (server_object (self), member, -1);
  return value >= 0 ? value : fallback;
}

gboolean
sy_config_get_store_bodies (SyConfig *self)
{
  g_return_val_if_fail (SY_IS_CONFIG (self), TRUE);
  return sy_json_get_bool (sy_json_get_object (json_node_get_object (self->root), "history"),
                           "store_bodies", TRUE);
}

double
sy_config_get_body_days (SyConfig *self)
{
  double days;

  g_return_val_if_fail (SY_IS_CONFIG (self), 0);
  days = sy_json_get_double (sy_json_get_object (json_node_get_object (self->root), "history"),
                             "body_days", 0);
  return days > 0 ? days : 0;
}

static JsonObject *
find_config_provider (SyConfig   *self,
                      const char *id)
{
  JsonArray *providers = sy_json_get_array (json_node_get_object (self->root), "providers");

  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    {
      JsonObject *provider = json_array_get_object_element (providers, i);
      if (g_strcmp0 (sy_json_get_string (provider, "id"), id) == 0)
        return provider;
    }
  return NULL;
}

static void
set_str (char       **field,
         const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static SyProvider *
make_provider (const SyProviderPreset *preset,
               JsonObject             *overlay,
               const char             *id)
{
  SyProvider *provider = g_new0 (SyProvider, 1);
  const char *value;

  provider->id = g_strdup (id);
  provider->kind = g_strdup (preset != NULL ? preset->kind : "openai");
  provider->base_url = g_strdup (preset != NULL ? preset->base_url : NULL);
  provider->default_env = g_strdup (preset != NULL ? preset->key_env : NULL);
  provider->local = preset != NULL && preset->local;

  if (overlay != NULL)
    {
      if ((value = sy_json_get_string (overlay, "kind")) != NULL)
        set_str (&provider->kind, value);
      if ((value = sy_json_get_string (overlay, "base_url")) != NULL)
        set_str (&provider->base_url, value);
      if ((value = sy_json_get_string (overlay, "key_env")) != NULL)
        set_str (&provider->key_env, value);
      if ((value = sy_json_get_string (overlay, "ca_file")) != NULL)
        set_str (&provider->ca_file, value);
      provider->local = sy_json_get_bool (overlay, "local", provider->local);
    }

  /* The adapter appends "/chat/completions" etc.; a trailing slash would double it. */
  if (provider->base_url != NULL)
    {
      gsize len = strlen (provider->base_url);
      while (len > 0 && provider->base_url[len - 1] == '/')
        provider->base_url[--len] = '\0';
    }

  return provider;
}

SyProvider *
sy_config_dup_provider (SyConfig   *self,
                        const char *id)
{
  const SyProviderPreset *preset;
  JsonObject *overlay;

  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  preset = sy_catalog_get_preset (self->catalog, id);
  overlay = find_config_provider (self, id);
  if (preset == NULL && overlay == NULL)
    return NULL;
  return make_provider (preset, overlay, id);
}

GPtrArray *
sy_config_dup_providers (SyConfig *self)
{
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_provider_free);
  GPtrArray *presets;
  JsonArray *providers;

  g_return_val_if_fail (SY_IS_CONFIG (self), result);

  presets = sy_catalog_get_presets (self->catalog);
  for (guint i = 0; i < presets->len; i++)
    {
      const SyProviderPreset *preset = g_ptr_array_index (presets, i);
      g_ptr_array_add (result, make_provider (preset, find_config_provider (self, preset->id),
                                              preset->id));
    }

  providers = sy_json_get_array (json_node_get_object (self->root), "providers");
  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    {
      JsonObject *provider = json_array_get_object_element (providers, i);
      const char *id = sy_json_get_string (provider, "id");

      if (id != NULL && sy_catalog_get_preset (self->catalog, id) == NULL)
        g_ptr_array_add (result, make_provider (NULL, provider, id));
    }

  return result;
}

SyProfile *
sy_config_dup_profile (SyConfig   *self,
                       const char *name)
{
  JsonArray *profiles;

  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);

  profiles = sy_json_get_array (json_node_get_object (self->root), "profiles");
  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      JsonObject *object = json_array_get_object_element (profiles, i);
      JsonArray *models = sy_json_get_array (object, "models");
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      SyProfile *profile;

      if (g_strcmp0 (sy_json_get_string (object, "name"), name) != 0 || models == NULL)
        continue;

      for (guint j = 0; j < json_array_get_length (models); j++)
        {
          JsonNode *entry = json_array_get_element (models, j);
          if (JSON_NODE_HOLDS_VALUE (entry) && json_node_get_value_type (entry) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (entry));
        }

      profile = g_new0 (SyProfile, 1);
      profile->name = g_strdup (name);
      profile->strategy = g_strdup (sy_json_get_string (object, "strategy") ?: "fallback");
      profile->models = g_strv_builder_end (builder);
      return profile;
    }

  return NULL;
}

const char *
sy_config_get_default_profile (SyConfig *self)
{
  g_return_val_if_fail (SY_IS_CONFIG (self), NULL);
  return sy_json_get_string (json_node_get_object (self->root), "default_profile");
}

gboolean
sy_config_get_price (SyConfig   *self,
                     const char *provider_id,
                     const char *model,
                     SyPrice    *out_price)
{
  g_autofree char *key = NULL;
  JsonObject *prices;
  JsonObject *price;

  g_return_val_if_fail (SY_IS_CONFIG (self), FALSE);
  g_return_val_if_fail (out_price != NULL, FALSE);

  key = g_strdup_printf ("%s/%s", provider_id, model);
  prices = sy_json_get_object (json_node_get_object (self->root), "prices");
  price = sy_json_get_object (prices, key);
  if (price != NULL)
    {
      sy_price_init_unknown (out_price);
      out_price->input = sy_json_get_double (price, "input", -1);
      out_price->output = sy_json_get_double (price, "output", -1);
      out_price->cached_input = sy_json_get_double (price, "cached_input", -1);
      out_price->cache_write = sy_json_get_double (price, "cache_write", -1);
      if (sy_price_is_known (out_price))
        return TRUE;
    }

  return sy_catalog_get_price (self->catalog, provider_id, model, out_price);
}
