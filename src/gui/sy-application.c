/* sy-application.c — the app: one window over the shared services, the endpoint's lifetime.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "sy-activity-item.h"
#include "sy-application.h"
#include "sy-planner.h"
#include "sy-window.h"

struct _SyApplication
{
  AdwApplication parent_instance;

  /* owned references */
  SyServices    *services;

  /* state */
  gboolean       held;       /* the window is closed, the endpoint keeps serving */
};

G_DEFINE_FINAL_TYPE (SyApplication, sy_application, ADW_TYPE_APPLICATION)

static void
apply_style (GSettings  *settings,
             const char *key,
             gpointer    data)
{
  g_autofree char *variant = g_settings_get_string (settings, "style-variant");
  AdwColorScheme scheme = ADW_COLOR_SCHEME_DEFAULT;

  if (g_str_equal (variant, "light"))
    scheme = ADW_COLOR_SCHEME_FORCE_LIGHT;
  else if (g_str_equal (variant, "dark"))
    scheme = ADW_COLOR_SCHEME_FORCE_DARK;
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), scheme);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       data)
{
  GtkApplication *app = data;
  static const char *developers[] = { "The Switchyard developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "application-name", _("Switchyard"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Switchyard developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("A personal model router: your keys, your models, one local endpoint"),
                        "website", "https://github.com/switchyard/switchyard",
                        "issue-url", "https://github.com/switchyard/switchyard/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: put your names here, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       data)
{
  SyApplication *self = data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Windows go first (their state is saved), then the app and its endpoint. */
  while (windows != NULL)
    {
      GtkWindow *window = windows->data;
      windows = windows->next;
      gtk_window_destroy (window);
    }
  if (self->held)
    {
      self->held = FALSE;
      g_application_release (G_APPLICATION (self));
    }
  g_application_quit (G_APPLICATION (self));
}

/* Closing the window while "Keep serving in the background" is on hides it and
 * keeps the app (and the endpoint) alive; launching Switchyard again shows it. */
static gboolean
window_close_request (GtkWindow     *window,
                      SyApplication *self)
{
  GSettings *settings = sy_services_get_settings (self->services);
  SyEndpoint *endpoint = sy_services_get_endpoint (self->services);
  g_autoptr(GNotification) notification = NULL;

  if (settings == NULL || !g_settings_get_boolean (settings, "keep-serving") ||
      !sy_endpoint_get_running (endpoint))
    return FALSE;

  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  if (!self->held)
    {
      self->held = TRUE;
      g_application_hold (G_APPLICATION (self));
    }
  notification = g_notification_new (_("Switchyard keeps serving"));
  g_notification_set_body (notification, sy_endpoint_get_base_url (endpoint));
  g_application_send_notification (G_APPLICATION (self), "background", notification);
  return TRUE;
}

static void
sy_application_activate (GApplication *application)
{
  SyApplication *self = SY_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (sy_window_new (GTK_APPLICATION (self), self->services));
      g_signal_connect (window, "close-request", G_CALLBACK (window_close_request), self);
    }
  if (self->held)
    {
      self->held = FALSE;
      g_application_release (application);
      g_application_withdraw_notification (application, "background");
    }
  gtk_window_present (window);
}

static void
endpoint_started (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(GError) error = NULL;

  /* The Endpoint page shows the reason (the "error" property). */
  if (!sy_endpoint_start_finish (SY_ENDPOINT (source), result, &error))
    g_message ("Local endpoint not started: %s", error->message);
}

/* Budget notifications: 50, 80 and 100 % of a cap, each once per day or month.
 * What was shown is kept in GSettings, so a restart does not repeat it. */
static void
request_finished (SyEndpoint     *endpoint,
                  SyActivityItem *item,
                  SyApplication  *self)
{
  GSettings *settings = sy_services_get_settings (self->services);
  const SyHistoryRecord *record = sy_activity_item_get_record (item);
  g_autoptr(GPtrArray) alerts = NULL;
  g_auto(GStrv) sent = NULL;
  g_autoptr(GStrvBuilder) keep = NULL;
  g_auto(GStrv) kept = NULL;
  gboolean changed = FALSE;

  if (settings == NULL || record->route_json == NULL)
    return;
  alerts = sy_budget_alerts (record->route_json, g_get_real_time (), NULL);
  if (alerts->len == 0)
    return;

  sent = g_settings_get_strv (settings, "budget-alerts-sent");
  keep = g_strv_builder_new ();
  for (guint i = 0; sent[i] != NULL; i++)
    g_strv_builder_add (keep, sent[i]);

  for (guint i = 0; i < alerts->len; i++)
    {
      SyBudgetAlert *alert = g_ptr_array_index (alerts, i);
      g_autoptr(GNotification) notification = NULL;
      g_autofree char *title = NULL;
      g_autofree char *body = NULL;
      g_autofree char *id = NULL;
      const char *scope;

      if (g_strv_contains ((const char * const *) sent, alert->key))
        continue;
      scope = g_str_equal (alert->scope, "overall") ? _("All requests") : alert->scope;
      if (alert->threshold >= 100)
        title = g_strdup_printf (g_str_equal (alert->period, "monthly")
                                 ? _("Monthly budget reached: %s") : _("Daily budget reached: %s"), scope);
      else
        title = g_strdup_printf (g_str_equal (alert->period, "monthly")
                                 ? _("%d %% of the monthly budget: %s") : _("%d %% of the daily budget: %s"),
                                 alert->threshold, scope);
      body = g_strdup_printf (_("$%.2f of $%.2f spent"), alert->spent, alert->cap);
      notification = g_notification_new (title);
      g_notification_set_body (notification, body);
      id = g_strdup_printf ("budget-%s-%s", alert->scope, alert->period);
      g_application_send_notification (G_APPLICATION (self), id, notification);
      g_strv_builder_add (keep, alert->key);
      changed = TRUE;
    }
  if (!changed)
    return;

  /* Keys of past periods are dropped: only this day's and month's stay. */
  kept = g_strv_builder_end (keep);
  {
    g_autoptr(GStrvBuilder) current = g_strv_builder_new ();
    g_autoptr(GDateTime) now = g_date_time_new_now_local ();
    g_autofree char *day = g_date_time_format (now, "|%Y-%m-%d|");
    g_autofree char *month = g_date_time_format (now, "|%Y-%m|");
    g_auto(GStrv) pruned = NULL;

    for (guint i = 0; kept[i] != NULL; i++)
      if (strstr (kept[i], day) != NULL || strstr (kept[i], month) != NULL)
        g_strv_builder_add (current, kept[i]);
    pruned = g_strv_builder_end (current);
    g_settings_set_strv (settings, "budget-alerts-sent", (const char * const *) pruned);
  }
}

/* SIGINT and SIGTERM quit like Ctrl+Q: requests in flight are answered and
 * recorded, the window's state saved. */
static gboolean
quit_on_signal (gpointer data)
{
  g_action_group_activate_action (G_ACTION_GROUP (data), "quit", NULL);
  return G_SOURCE_CONTINUE;
}

static void
sy_application_startup (GApplication *application)
{
  SyApplication *self = SY_APPLICATION (application);
  GSettings *settings = sy_services_get_settings (self->services);
  static const GActionEntry entries[] = {
    { "about", about_action },
    { "quit", quit_action },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (sy_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  g_unix_signal_add (SIGINT, quit_on_signal, self);
  g_unix_signal_add (SIGTERM, quit_on_signal, self);

  g_signal_connect_object (sy_services_get_endpoint (self->services), "request-finished",
                           G_CALLBACK (request_finished), self, 0);
  if (settings != NULL)
    {
      g_autoptr(GAction) style = g_settings_create_action (settings, "style-variant");

      g_action_map_add_action (G_ACTION_MAP (self), style);
      g_signal_connect_object (settings, "changed::style-variant", G_CALLBACK (apply_style), self, 0);
      apply_style (settings, NULL, NULL);
      if (g_settings_get_boolean (settings, "endpoint-enabled"))
        sy_endpoint_start_async (sy_services_get_endpoint (self->services), NULL, endpoint_started, NULL);
    }
}

static void
sy_application_shutdown (GApplication *application)
{
  SyApplication *self = SY_APPLICATION (application);

  /* Requests in flight are answered and recorded before the process ends. */
  sy_endpoint_shutdown (sy_services_get_endpoint (self->services));
  g_settings_sync ();

  G_APPLICATION_CLASS (sy_application_parent_class)->shutdown (application);
}

static void
sy_application_finalize (GObject *object)
{
  SyApplication *self = SY_APPLICATION (object);

  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_application_parent_class)->finalize (object);
}

static void
sy_application_class_init (SyApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = sy_application_finalize;
  app_class->activate = sy_application_activate;
  app_class->startup = sy_application_startup;
  app_class->shutdown = sy_application_shutdown;
}

static void
sy_application_init (SyApplication *self)
{
}

SyApplication *
sy_application_new (SyServices *services)
{
  SyApplication *self;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       /* Development builds (….Devel) share the resources. */
                       "resource-base-path", "/io/github/switchyard/Switchyard",
                       NULL);
  self->services = g_object_ref (services);
  return self;
}
