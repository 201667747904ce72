/* test-config.c — config.json: defaults, token, validation, overlays, prices, atomic 0600 writes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>

#include "sy-config.h"
#include "sy-json.h"
#include "sy-test-util.h"

static SyCatalog *catalog;

static char *
write_config (const char *dir,
              const char *json)
{
  char *path = g_build_filename (dir, "config.json", NULL);

  g_assert_true (g_file_set_contents (path, json, -1, NULL));
  return path;
}

static void
test_first_start (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "nested", "switchyard", "config.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyConfig) again = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GDir) listing = NULL;
  GStatBuf st;
  const char *name;
  guint files = 0;

  g_unsetenv ("SWITCHYARD_TOKEN");
  config = sy_config_load (path, catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sy_config_get_port (config), ==, SY_DEFAULT_PORT);
  token = g_strdup (sy_config_get_token (config));
  g_assert_true (g_str_has_prefix (token, "sy-"));
  g_assert_cmpuint (strlen (token), ==, 3 + 48);

  /* Written at once, private, and the token survives a reload. */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  again = sy_config_load (path, catalog, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sy_config_get_token (again), ==, token);

  /* No temp file left beside it. */
  {
    g_autofree char *parent = g_path_get_dirname (path);
    listing = g_dir_open (parent, 0, NULL);
    while ((name = g_dir_read_name (listing)) != NULL)
      files++;
    g_assert_cmpuint (files, ==, 1);
  }

  sy_test_rmdir (dir);
}

static void
test_unknown_fields_kept (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = write_config (dir, "{\"future\":{\"a\":[1,2]},\"server\":{\"port\":9000,\"extra\":true}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = sy_config_load (path, catalog, &error);
  g_autofree char *contents = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;

  g_assert_no_error (error);
  g_assert_cmpuint (sy_config_get_port (config), ==, 9000);
  g_assert_true (sy_config_save (config, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  root = sy_json_parse (contents, strlen (contents), &error);
  g_assert_no_error (error);
  object = json_node_get_object (root);
  g_assert_nonnull (sy_json_get_array (sy_json_get_object (object, "future"), "a"));
  g_assert_true (sy_json_get_bool (sy_json_get_object (object, "server"), "extra", FALSE));
  g_assert_nonnull (sy_json_get_string (sy_json_get_object (object, "server"), "token"));
  sy_test_rmdir (dir);
}

static void
test_invalid (void)
{
  static const char * const bad[] = {
    "{\"server\": [1,",
    "[]",
    "{\"server\":{\"port\":\"eighty\"}}",
    "{\"server\":{\"port\":70000}}",
    "{\"server\":{\"token\":5}}",
    "{\"providers\":{}}",
    "{\"providers\":[{\"kind\":\"openai\"}]}",
    "{\"providers\":[{\"id\":\"x\",\"kind\":\"soap\"}]}",
    "{\"profiles\":[{\"name\":\"p\",\"models\":\"openai/gpt-4.1\"}]}",
    "{\"profiles\":[{\"models\":[]}]}",
    "{\"profiles\":\"auto\"}",
  };
  g_autofree char *dir = sy_test_mkdtemp ();

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = write_config (dir, bad[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(SyConfig) config = sy_config_load (path, catalog, &error);

      g_assert_null (config);
      g_assert_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID);
      /* One clear line that names the file. */
      g_assert_nonnull (strstr (error->message, path));
      g_assert_null (strchr (error->message, '\n'));
    }
  sy_test_rmdir (dir);
}

static void
test_providers (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = write_config (dir,
    "{\"providers\":[{\"id\":\"openai\",\"base_url\":\"http://127.0.0.1:5/v1/\",\"key_env\":\"MY_KEY\"},"
    "                {\"id\":\"mine\",\"base_url\":\"http://127.0.0.1:6/v1\"}],"
    " \"profiles\":[{\"name\":\"auto\",\"models\":[\"openai/gpt-4.1-mini\",\"mine/x\"]}],"
    " \"default_profile\":\"auto\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = sy_config_load (path, catalog, &error);
  g_autoptr(SyProvider) openai = NULL;
  g_autoptr(SyProvider) mine = NULL;
  g_autoptr(SyProvider) anthropic = NULL;
  g_autoptr(SyProvider) ollama = NULL;
  g_autoptr(SyProfile) profile = NULL;
  g_autoptr(GPtrArray) all = NULL;

  g_assert_no_error (error);

  /* Config overlays the preset; the trailing slash is dropped. */
  openai = sy_config_dup_provider (config, "openai");
  g_assert_cmpstr (openai->kind, ==, "openai");
  g_assert_cmpstr (openai->base_url, ==, "http://127.0.0.1:5/v1");
  g_assert_cmpstr (openai->key_env, ==, "MY_KEY");
  g_assert_cmpstr (openai->default_env, ==, "OPENAI_API_KEY");

  mine = sy_config_dup_provider (config, "mine");
  g_assert_cmpstr (mine->kind, ==, "openai");
  g_assert_null (mine->default_env);

  anthropic = sy_config_dup_provider (config, "anthropic");
  g_assert_cmpstr (anthropic->kind, ==, "anthropic");
  g_assert_cmpstr (anthropic->base_url, ==, "https://api.anthropic.com/v1");
  ollama = sy_config_dup_provider (config, "ollama");
  g_assert_true (ollama->local);
  g_assert_null (sy_config_dup_provider (config, "nobody"));

  all = sy_config_dup_providers (config);
  g_assert_cmpuint (all->len, ==, sy_catalog_get_presets (catalog)->len + 1);

  profile = sy_config_dup_profile (config, "auto");
  g_assert_cmpstr (profile->strategy, ==, "fallback");
  g_assert_cmpuint (g_strv_length (profile->models), ==, 2);
  g_assert_cmpstr (profile->models[1], ==, "mine/x");
  g_assert_cmpstr (sy_config_get_default_profile (config), ==, "auto");
  g_assert_null (sy_config_dup_profile (config, "other"));
  sy_test_rmdir (dir);
}

static void
test_prices (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = write_config (dir,
    "{\"prices\":{\"openai/gpt-4.1-mini\":{\"input\":0.2,\"output\":0.8},"
    "             \"mine/x\":{\"input\":1,\"output\":2,\"cached_input\":0.5}}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = sy_config_load (path, catalog, &error);
  SyPrice price;

  g_assert_no_error (error);
  /* Config wins over the catalog. */
  g_assert_true (sy_config_get_price (config, "openai", "gpt-4.1-mini", &price));
  g_assert_cmpfloat (price.input, ==, 0.2);
  g_assert_cmpfloat (price.output, ==, 0.8);
  g_assert_true (sy_config_get_price (config, "mine", "x", &price));
  g_assert_cmpfloat (price.cached_input, ==, 0.5);
  /* Otherwise the catalog's price, zero for local servers, unknown for the rest. */
  g_assert_true (sy_config_get_price (config, "openai", "gpt-4.1", &price));
  g_assert_cmpfloat (price.input, >, 0);
  g_assert_true (sy_config_get_price (config, "ollama", "llama3.2", &price));
  g_assert_cmpfloat (price.input, ==, 0);
  g_assert_false (sy_config_get_price (config, "openai", "gpt-9-preview", &price));
  sy_test_rmdir (dir);
}

static void
test_token_from_environment (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *path = write_config (dir, "{\"server\":{\"token\":\"sy-from-config\"}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = sy_config_load (path, catalog, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (sy_config_get_token (config), ==, "sy-from-config");
  g_setenv ("SWITCHYARD_TOKEN", "sy-from-env", TRUE);
  g_assert_cmpstr (sy_config_get_token (config), ==, "sy-from-env");
  g_unsetenv ("SWITCHYARD_TOKEN");
  sy_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  catalog = sy_catalog_new_default (&error);
  g_assert_no_error (error);

  g_test_add_func ("/config/first-start", test_first_start);
  g_test_add_func ("/config/unknown-fields-kept", test_unknown_fields_kept);
  g_test_add_func ("/config/invalid", test_invalid);
  g_test_add_func ("/config/providers", test_providers);
  g_test_add_func ("/config/prices", test_prices);
  g_test_add_func ("/config/token-from-environment", test_token_from_environment);

  ret = g_test_run ();
  g_object_unref (catalog);
  return ret;
}
