/* main.c — `switchyard` opens the window, `switchyard serve` runs the router headless.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-history.h"
#include "sy-json.h"
#include "sy-keys.h"
#include "sy-planner.h"
#include "sy-server.h"
#include "sy-application.h"

#define EXIT_USAGE 2

static gboolean
quit_on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static char *
default_history_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "switchyard", "history.db", NULL);
}

static int
serve (const char *config_path,
       const char *db_path,
       int         port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(SyKeys) keys = NULL;
  g_autoptr(SyServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *history_path = NULL;
  guint sigint_id, sigterm_id;

  catalog = sy_catalog_new_default (&error);
  if (catalog == NULL)
    {
      g_printerr ("switchyard: %s\n", error->message);
      return 1;
    }

  config = sy_config_load (config_path, catalog, &error);
  if (config == NULL)
    {
      g_printerr ("switchyard: %s\n", error->message);
      return EXIT_USAGE;
    }

  history_path = db_path != NULL ? g_strdup (db_path) : default_history_path ();
  history = sy_history_new (history_path, &error);
  if (history == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY))
    {
      /* A newer Switchyard's history is left as it is; routing still works. */
      g_printerr ("switchyard: %s: %s; %s\n", history_path, error->message,
                  _("requests will not be recorded"));
      g_clear_error (&error);
    }
  else if (history == NULL)
    {
      g_printerr ("switchyard: %s: %s\n", history_path, error->message);
      return 1;
    }

  keys = sy_keys_new ();
  server = sy_server_new (config, keys, history);
  if (!sy_server_start (server, port, &error))
    {
      g_printerr ("switchyard: %s\n", error->message);
      return 1;
    }

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, quit_on_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_on_signal, loop);

  g_print ("listening on http://127.0.0.1:%u/v1\n", sy_server_get_port (server));
  fflush (stdout);

  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  sy_server_stop (server);
  if (history != NULL)
    sy_history_close (history);
  return 0;
}

/* A sample hub request as `route --explain` describes it. */
static JsonObject *
sample_request (const char *model,
                gboolean    tools,
                gboolean    images,
                const char *prompt,
                int         max_tokens)
{
  JsonObject *request = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonObject *message = json_object_new ();
  const char *text = prompt != NULL ? prompt : "Hello!";

  json_object_set_string_member (request, "model", model);
  json_object_set_string_member (message, "role", "user");
  if (images)
    {
      JsonArray *parts = json_array_new ();
      JsonObject *part = json_object_new ();
      JsonObject *image = json_object_new ();
      JsonObject *image_url = json_object_new ();

      json_object_set_string_member (part, "type", "text");
      json_object_set_string_member (part, "text", text);
      json_array_add_object_element (parts, part);
      json_object_set_string_member (image_url, "url", "https://example.com/image.png");
      json_object_set_string_member (image, "type", "image_url");
      json_object_set_object_member (image, "image_url", image_url);
      json_array_add_object_element (parts, image);
      json_object_set_array_member (message, "content", parts);
    }
  else
    json_object_set_string_member (message, "content", text);
  json_array_add_object_element (messages, message);
  json_object_set_array_member (request, "messages", messages);
  if (tools)
    {
      static const char example[] = "[{\"type\":\"function\",\"function\":{\"name\":\"example\","
                                    "\"parameters\":{\"type\":\"object\"}}}]";
      g_autoptr(JsonNode) node = sy_json_parse (example, strlen (example), NULL);
      json_object_set_member (request, "tools", json_node_copy (node));
    }
  if (max_tokens > 0)
    json_object_set_int_member (request, "max_tokens", max_tokens);
  return request;
}

/* `switchyard route --explain MODEL`: the plan for a sample request, with the
 * reasons, without sending anything. */
static int
route_explain (const char *config_path,
               const char *db_path,
               const char *model,
               gboolean    tools,
               gboolean    images,
               const char *prompt,
               int         max_tokens,
               const char *profile_header)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyStats) stats = sy_stats_new ();
  g_autoptr(SyBudget) budget = sy_budget_new ();
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(SyRequestFacts) facts = NULL;
  g_autoptr(SyPlan) plan = NULL;
  g_autofree char *history_path = db_path != NULL ? g_strdup (db_path) : default_history_path ();
  JsonObject *explanation;
  JsonArray *candidates;

  catalog = sy_catalog_new_default (&error);
  config = catalog != NULL ? sy_config_load (config_path, catalog, &error) : NULL;
  if (config == NULL)
    {
      g_printerr ("switchyard: %s\n", error->message);
      return EXIT_USAGE;
    }
  /* Measurements are read, never written: the history may belong to a router
   * that is running. */
  if (g_file_test (history_path, G_FILE_TEST_EXISTS))
    {
      if (!sy_stats_seed (stats, history_path, &error) && error != NULL)
        g_clear_error (&error);
      if (!sy_budget_seed (budget, history_path, &error) && error != NULL)
        g_clear_error (&error);
    }

  request = sample_request (model, tools, images, prompt, max_tokens);
  facts = sy_request_facts_new (request, "switchyard route", profile_header);
  plan = sy_planner_plan (config, stats, budget, facts, g_get_real_time (), -1);
  explanation = plan->explanation;

  g_print (_("Request: model \"%s\", about %" PRId64 " prompt tokens\n"), model, (int64_t) facts->prompt_tokens);
  if (tools)
    g_print ("%s\n", _("  The request offers tools."));
  if (images)
    g_print ("%s\n", _("  The request carries an image."));
  if (sy_json_get_string (explanation, "rule") != NULL)
    g_print (_("Rule: %s\n"), sy_json_get_string (explanation, "rule"));
  if (sy_json_get_string (explanation, "alias") != NULL)
    g_print (_("Alias: %s\n"), sy_json_get_string (explanation, "alias"));
  if (plan->profile != NULL)
    g_print (_("Profile: %s, strategy %s\n"), plan->profile,
             sy_json_get_string (explanation, "strategy") ?: "fallback");

  candidates = sy_json_get_array (explanation, "candidates");
  if (candidates != NULL && json_array_get_length (candidates) > 0)
    g_print ("%s\n", _("Candidates:"));
  for (guint i = 0; candidates != NULL && i < json_array_get_length (candidates); i++)
    {
      JsonObject *candidate = sy_json_array_get_object (candidates, i);
      const char *removed = sy_json_get_string (candidate, "removed");
      JsonNode *score = json_object_get_member (candidate, "score");
      gboolean cheapest = g_strcmp0 (sy_json_get_string (explanation, "strategy"), "cheapest") == 0;
      g_autofree char *score_text = NULL;

      if (score == NULL || !JSON_NODE_HOLDS_VALUE (score))
        score_text = g_strdup (_("not measured"));
      else if (cheapest)
        score_text = g_strdup_printf (_("estimated $%.6f"), json_node_get_double (score));
      else
        score_text = g_strdup_printf (_("score %g"), json_node_get_double (score));

      if (removed != NULL)
        g_print ("  %-45s %s %s\n", sy_json_get_string (candidate, "model"), _("removed:"), removed);
      else
        g_print ("  %-45s %s\n", sy_json_get_string (candidate, "model"), score_text);
    }
  if (sy_json_get_int (explanation, "more", 0) > 0)
    g_print (_("  … and %" PRId64 " more\n"), (int64_t) sy_json_get_int (explanation, "more", 0));
  {
    JsonArray *budgets = sy_json_get_array (explanation, "budget");

    for (guint i = 0; budgets != NULL && i < json_array_get_length (budgets); i++)
      {
        JsonObject *check = sy_json_array_get_object (budgets, i);

        /* "Budget: auto, daily: $0.12 spent + $0.0008 for this request of $1.00 (ok)" */
        g_print (_("Budget: %s, %s: $%.4f spent + $%.4f for this request of $%.2f (%s)\n"),
                 sy_json_get_string (check, "scope"), sy_json_get_string (check, "period"),
                 sy_json_get_double (check, "spent", 0), sy_json_get_double (check, "estimate", 0),
                 sy_json_get_double (check, "cap", 0), sy_json_get_string (check, "result"));
      }
  }
  for (guint i = 0; plan->notices != NULL && i < plan->notices->len; i++)
    g_print (_("Notice: %s\n"), (const char *) g_ptr_array_index (plan->notices, i));

  if (plan->status != 0)
    {
      g_print (_("Refused with HTTP %u: %s\n"), plan->status, plan->error);
      return 1;
    }
  g_print ("%s", _("Plan:"));
  for (guint i = 0; i < plan->entries->len; i++)
    {
      SyPlanEntry *entry = g_ptr_array_index (plan->entries, i);
      g_print ("%s %s/%s", i == 0 ? "" : " ->", entry->provider_id, entry->model);
    }
  g_print ("\n");
  if (plan->estimate_usd >= 0)
    g_print (_("Estimated cost of the first: $%.6f\n"), plan->estimate_usd);
  return 0;
}

/* An uninstalled build (make run, the tests) uses the schema compiled in its
 * build directory. */
static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_autoptr(GSettingsSchemaSource) built =
        g_settings_schema_source_new_from_directory (SCHEMA_BUILD_DIR, source, FALSE, NULL);

      if (built != NULL)
        schema = g_settings_schema_source_lookup (built, APP_ID, FALSE);
    }
  if (schema == NULL)
    {
      g_warning ("Settings schema %s is not installed: window size and style are not kept", APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static int
run_window (const char *config_path,
            const char *db_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyKeys) keys = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(SyServices) services = NULL;
  g_autoptr(SyApplication) app = NULL;
  g_autofree char *history_path = db_path != NULL ? g_strdup (db_path) : default_history_path ();
  char *app_argv[] = { (char *) "switchyard", NULL };

  catalog = sy_catalog_new_default (&error);
  config = catalog != NULL ? sy_config_load (config_path, catalog, &error) : NULL;
  if (config == NULL)
    {
      g_printerr ("switchyard: %s\n", error->message);
      return EXIT_USAGE;
    }
  keys = sy_keys_new ();
  settings = open_settings ();
  services = sy_services_new (catalog, config, keys, history_path, settings);
  app = sy_application_new (services);
  /* Options were parsed above; GApplication sees none of them. */
  return g_application_run (G_APPLICATION (app), 1, app_argv);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *db_path = NULL;
  gboolean version = FALSE;
  int port = -1;
  g_autofree char *explain = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *profile_header = NULL;
  gboolean tools = FALSE;
  gboolean images = FALSE;
  int max_tokens = 0;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, N_("Config file (default: XDG config dir)"), N_("FILE") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("History database (default: XDG data dir)"), N_("FILE") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Port on 127.0.0.1; 0 picks a free one"), N_("N") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { "explain", 0, 0, G_OPTION_ARG_STRING, &explain, N_("route: the model (or profile, alias) to plan for"), N_("MODEL") },
    { "tools", 0, 0, G_OPTION_ARG_NONE, &tools, N_("route: the sample request offers tools"), NULL },
    { "images", 0, 0, G_OPTION_ARG_NONE, &images, N_("route: the sample request carries an image"), NULL },
    { "prompt", 0, 0, G_OPTION_ARG_STRING, &prompt, N_("route: the sample request's text"), N_("TEXT") },
    { "max-tokens", 0, 0, G_OPTION_ARG_INT, &max_tokens, N_("route: the sample request's output limit"), N_("N") },
    { "profile-header", 0, 0, G_OPTION_ARG_STRING, &profile_header,
      N_("route: as if the request had this x-switchyard-profile header"), N_("NAME") },
    { NULL }
  };

  /* stdout carries the one "listening on" line that scripts read; logs go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("[serve | route --explain MODEL] — your personal model router"));
  g_option_context_set_summary (context,
                                _("Without a command, opens the window. "
                                  "\"serve\" runs the router without a window. "
                                  "\"route --explain MODEL\" prints how a request would be routed, and why, "
                                  "without sending it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("switchyard: %s (see --help)\n", error->message);
      return EXIT_USAGE;
    }

  if (version)
    {
      g_print ("switchyard %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (port < -1 || port > 65535)
    {
      g_printerr ("switchyard: %s\n", _("--port must be from 0 to 65535"));
      return EXIT_USAGE;
    }

  if (argc == 2 && g_str_equal (argv[1], "route"))
    {
      if (explain == NULL)
        {
          g_printerr ("switchyard: %s\n", _("route needs --explain MODEL"));
          return EXIT_USAGE;
        }
      return route_explain (config_path, db_path, explain, tools, images, prompt, max_tokens, profile_header);
    }

  if (argc > 2 || (argc == 2 && g_strcmp0 (argv[1], "serve") != 0))
    {
      g_printerr ("switchyard: %s '%s' (see --help)\n", _("unknown command"), argv[1]);
      return EXIT_USAGE;
    }

  if (argc == 1)
    {
      if (g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL)
        return run_window (config_path, db_path);
      g_printerr ("%s\n", _("No display found: starting the headless router (switchyard serve)."));
    }

  return serve (config_path, db_path, port);
}
