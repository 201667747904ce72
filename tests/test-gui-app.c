/* test-gui-app.c — the application: the endpoint starts with it, keeps serving with the
 * window closed when the user asked for it; the style follows the menu.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sy-application.h"
#include "sy-gui-test-util.h"

#define TOKEN "sy-gui-app-token-0123456789abcdef"

static gboolean
endpoint_running (gpointer data)
{
  return sy_endpoint_get_running (data);
}

static GtkWindow *
app_window (GtkApplication *app)
{
  GList *windows = gtk_application_get_windows (app);

  return windows != NULL ? windows->data : NULL;
}

static guint
health_status (guint port)
{
  g_autoptr(SyTestResponse) response = sy_test_http (port, "GET", "/health", NULL, NULL, NULL, NULL);

  return response->status;
}

/* With "Keep Serving in the Background", closing the window hides it and the
 * endpoint keeps answering; launching again shows the same window. Without it,
 * closing the window destroys it. */
static gboolean
alert_recorded (gpointer data)
{
  g_auto(GStrv) sent = g_settings_get_strv (data, "budget-alerts-sent");

  return sent[0] != NULL;
}

static void
test_lifecycle (void)
{
  SyTestProc *mock = sy_test_mock_start (NULL);
  /* A daily cap that the first request's estimate (its prompt and 500 output
   * tokens of gpt-4.1-mini) takes past half. */
  g_autoptr(SyGuiTest) test = sy_gui_test_new_services ("{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
                                                        " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\","
                                                        "                 \"key_env\":\"SY_APP_KEY\"}],"
                                                        " \"budget\":{\"daily\":0.0012}}", mock);
  g_autoptr(SyApplication) app = sy_application_new (test->services);
  SyEndpoint *endpoint = sy_services_get_endpoint (test->services);
  GSettings *settings = sy_services_get_settings (test->services);
  g_autoptr(GError) error = NULL;
  GtkWindow *window;
  guint port;

  g_assert_nonnull (settings);

  g_settings_set_boolean (settings, "keep-serving", TRUE);
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = app_window (GTK_APPLICATION (app));
  g_assert_nonnull (window);

  /* The style menu forces dark or light through AdwStyleManager. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "style-variant", g_variant_new_string ("dark"));
  g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  {
    g_autofree char *variant = g_settings_get_string (settings, "style-variant");
    g_assert_cmpstr (variant, ==, "dark");
  }
  g_action_group_activate_action (G_ACTION_GROUP (app), "style-variant", g_variant_new_string ("light"));
  g_assert_false (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  g_action_group_activate_action (G_ACTION_GROUP (app), "style-variant", g_variant_new_string ("default"));
  g_assert_cmpint (adw_style_manager_get_color_scheme (adw_style_manager_get_default ()), ==,
                   ADW_COLOR_SCHEME_DEFAULT);

  /* "Local endpoint enabled" (the default) starts it with the app. */
  sy_gui_test_wait (endpoint_running, endpoint, 30, "the endpoint to start with the app");
  port = sy_endpoint_get_port (endpoint);

  /* A request past half the daily budget notifies once (the key is kept so a
   * second request of the same day does not notify again). */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SyTestResponse) response =
        sy_test_chat (port, TOKEN, "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      g_assert_cmpuint (response->status, ==, 200);
      sy_gui_test_wait (alert_recorded, settings, 10, "the budget alert");
      sy_gui_test_run_for (200);
    }
  {
    g_auto(GStrv) sent = g_settings_get_strv (settings, "budget-alerts-sent");
    g_autoptr(GDateTime) today = g_date_time_new_now_local ();
    g_autofree char *prefix = g_date_time_format (today, "overall|daily|%Y-%m-%d|");

    g_assert_cmpuint (g_strv_length (sent), ==, 1);
    g_assert_true (g_str_has_prefix (sent[0], prefix));
    g_assert_true (g_str_has_suffix (sent[0], "|50") || g_str_has_suffix (sent[0], "|80"));
  }

  gtk_window_close (window);
  sy_gui_test_run_for (100);
  g_assert_true (app_window (GTK_APPLICATION (app)) == window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (sy_endpoint_get_running (endpoint));
  g_assert_cmpuint (health_status (port), ==, 200);

  g_application_activate (G_APPLICATION (app));
  g_assert_true (app_window (GTK_APPLICATION (app)) == window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  /* Without the setting, closing really closes. */
  g_settings_set_boolean (settings, "keep-serving", FALSE);
  gtk_window_close (window);
  sy_gui_test_run_for (100);
  g_assert_null (app_window (GTK_APPLICATION (app)));
  g_application_activate (G_APPLICATION (app));
  g_assert_nonnull (app_window (GTK_APPLICATION (app)));

  /* Quit destroys the windows (their state is saved) before the app ends. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  g_assert_null (app_window (GTK_APPLICATION (app)));

  sy_endpoint_shutdown (endpoint);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("SY_APP_KEY", "sk-app-key", TRUE);
  sy_gui_test_init (&argc, &argv);
  /* The test's session bus has no notification server: GLib warns that the
   * "keeps serving" notification went nowhere. Criticals stay fatal. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);

  g_test_add_func ("/gui/app/keep-serving-and-style", test_lifecycle);
  return g_test_run ();
}
