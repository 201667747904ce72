/* main.c — `switchyard` opens the window, `switchyard serve` runs the router headless.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-history.h"
#include "sy-keys.h"
#include "sy-server.h"

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
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, N_("Config file (default: XDG config dir)"), N_("FILE") },
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, N_("History database (default: XDG data dir)"), N_("FILE") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("Port on 127.0.0.1; 0 picks a free one"), N_("N") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };

  /* stdout carries the one "listening on" line that scripts read; logs go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("[serve] — your personal model router"));
  g_option_context_set_summary (context,
                                _("Without a command, opens the window. "
                                  "\"serve\" runs the router without a window."));
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

  if (argc > 2 || (argc == 2 && g_strcmp0 (argv[1], "serve") != 0))
    {
      g_printerr ("switchyard: %s '%s' (see --help)\n", _("unknown command"), argv[1]);
      return EXIT_USAGE;
    }

  if (argc == 1)
    g_printerr ("%s\n", _("The Switchyard window is not part of this build yet: "
                          "starting the headless router (switchyard serve)."));

  return serve (config_path, db_path, port);
}
