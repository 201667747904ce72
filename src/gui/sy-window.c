/* sy-window.c — the main window: a view stack of the pages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-activity-page.h"
#include "sy-history-page.h"
#include "sy-compare-page.h"
#include "sy-dashboard-page.h"
#include "sy-endpoint-page.h"
#include "sy-frame-probe.h"
#include "sy-profiles-page.h"
#include "sy-providers-page.h"
#include "sy-window.h"

struct _SyWindow
{
  AdwApplicationWindow parent_instance;

  /* template widgets */
  AdwToastOverlay     *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  AdwViewSwitcherBar  *switcher_bar;
  AdwViewStack        *stack;
  GtkImage            *endpoint_indicator;

  /* owned references */
  SyServices          *services;
};

G_DEFINE_FINAL_TYPE (SyWindow, sy_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SERVICES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Alt+1 … Alt+7 follow this order, as the switcher shows it. */
static const char * const page_order[] = {
  "providers", "compare", "activity", "history", "dashboard", "profiles", "endpoint",
};

typedef GtkWidget *(*PageNew) (SyServices *services);

/* Pages are built when first shown: the window appears without waiting for the
 * ones the user has not opened. */
static void
add_page (SyWindow   *self,
          PageNew     page_new,
          const char *name,
          const char *title,
          const char *icon_name)
{
  GtkWidget *holder = adw_bin_new ();
  AdwViewStackPage *page = adw_view_stack_add_titled (self->stack, holder, name, title);

  g_object_set_data (G_OBJECT (holder), "sy-page-new", page_new);
  adw_view_stack_page_set_icon_name (page, icon_name);
}

static GtkWidget *
ensure_page (SyWindow  *self,
             GtkWidget *holder)
{
  PageNew page_new;

  if (holder == NULL)
    return NULL;
  if (adw_bin_get_child (ADW_BIN (holder)) == NULL)
    {
      page_new = g_object_get_data (G_OBJECT (holder), "sy-page-new");
      adw_bin_set_child (ADW_BIN (holder), page_new (self->services));
    }
  return adw_bin_get_child (ADW_BIN (holder));
}

static void
update_indicator (SyWindow *self)
{
  SyEndpoint *endpoint = sy_services_get_endpoint (self->services);
  g_autofree char *tooltip = NULL;
  const char *icon;

  if (sy_endpoint_get_running (endpoint))
    {
      icon = "network-transmit-receive-symbolic";
      tooltip = g_strdup_printf (_("Serving on %s"), sy_endpoint_get_base_url (endpoint));
    }
  else if (sy_endpoint_get_error (endpoint) != NULL)
    {
      icon = "network-offline-symbolic";
      tooltip = g_strdup_printf (_("Local endpoint stopped: %s"), sy_endpoint_get_error (endpoint));
    }
  else
    {
      icon = "network-idle-symbolic";
      tooltip = g_strdup (_("Local endpoint stopped"));
    }
  gtk_image_set_from_icon_name (self->endpoint_indicator, icon);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->endpoint_indicator), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->endpoint_indicator),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, tooltip, -1);
}

static void
page_changed (SyWindow *self)
{
  GSettings *settings = sy_services_get_settings (self->services);
  const char *name = adw_view_stack_get_visible_child_name (self->stack);

  ensure_page (self, adw_view_stack_get_visible_child (self->stack));
  if (settings != NULL && name != NULL)
    g_settings_set_string (settings, "last-page", name);
}

static void
sy_window_constructed (GObject *object)
{
  SyWindow *self = SY_WINDOW (object);
  SyEndpoint *endpoint = sy_services_get_endpoint (self->services);
  GSettings *settings = sy_services_get_settings (self->services);

  G_OBJECT_CLASS (sy_window_parent_class)->constructed (object);

  add_page (self, sy_providers_page_new, "providers", _("Providers"), "dialog-password-symbolic");
  add_page (self, sy_compare_page_new, "compare", _("Compare"), "view-dual-symbolic");
  add_page (self, sy_activity_page_new, "activity", _("Activity"), "network-transmit-receive-symbolic");
  add_page (self, sy_history_page_new, "history", _("History"), "document-open-recent-symbolic");
  add_page (self, sy_dashboard_page_new, "dashboard", _("Dashboard"), "x-office-spreadsheet-symbolic");
  add_page (self, sy_profiles_page_new, "profiles", _("Profiles"), "view-list-ordered-symbolic");
  add_page (self, sy_endpoint_page_new, "endpoint", _("Endpoint"), "network-server-symbolic");

  if (settings != NULL)
    {
      g_autofree char *last = g_settings_get_string (settings, "last-page");

      gtk_window_set_default_size (GTK_WINDOW (self),
                                   g_settings_get_int (settings, "window-width"),
                                   g_settings_get_int (settings, "window-height"));
      if (g_settings_get_boolean (settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      if (adw_view_stack_get_child_by_name (self->stack, last) != NULL)
        adw_view_stack_set_visible_child_name (self->stack, last);
    }
  ensure_page (self, adw_view_stack_get_visible_child (self->stack));
  g_signal_connect_object (self->stack, "notify::visible-child-name",
                           G_CALLBACK (page_changed), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (endpoint, "notify::running", G_CALLBACK (update_indicator), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (endpoint, "notify::error", G_CALLBACK (update_indicator), self,
                           G_CONNECT_SWAPPED);
  update_indicator (self);
  sy_frame_probe_attach (GTK_WINDOW (self));
}

/* On close and on quit (which destroys the window without asking it to close). */
static void
save_window_state (SyWindow *self)
{
  GtkWindow *window = GTK_WINDOW (self);
  GSettings *settings = self->services != NULL ? sy_services_get_settings (self->services) : NULL;

  if (settings != NULL && gtk_widget_get_realized (GTK_WIDGET (self)))
    {
      int width, height;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_delay (settings);
      g_settings_set_int (settings, "window-width", width);
      g_settings_set_int (settings, "window-height", height);
      g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));
      g_settings_apply (settings);
    }
}

static void
sy_window_dispose (GObject *object)
{
  SyWindow *self = SY_WINDOW (object);

  /* The switchers let go of the stack before it goes: libadwaita 1.2 crashes
   * when a switcher outlives the stack's pages model. */
  if (self->switcher_title != NULL)
    adw_view_switcher_title_set_stack (self->switcher_title, NULL);
  if (self->switcher_bar != NULL)
    adw_view_switcher_bar_set_stack (self->switcher_bar, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_WINDOW);

  G_OBJECT_CLASS (sy_window_parent_class)->dispose (object);
}

/* Closed, hidden to keep serving, or destroyed by Quit: the size is saved while
 * the window still has one. */
static void
sy_window_unrealize (GtkWidget *widget)
{
  save_window_state (SY_WINDOW (widget));
  GTK_WIDGET_CLASS (sy_window_parent_class)->unrealize (widget);
}

static gboolean
sy_window_close_request (GtkWindow *window)
{
  save_window_state (SY_WINDOW (window));
  return GTK_WINDOW_CLASS (sy_window_parent_class)->close_request (window);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  sy_window_show_page (SY_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
sy_window_finalize (GObject *object)
{
  SyWindow *self = SY_WINDOW (object);

  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_window_parent_class)->finalize (object);
}

static void
sy_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  SyWindow *self = SY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SERVICES:
      self->services = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  SyWindow *self = SY_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SERVICES:
      g_value_set_object (value, self->services);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_window_class_init (SyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = sy_window_constructed;
  object_class->dispose = sy_window_dispose;
  object_class->finalize = sy_window_finalize;
  object_class->set_property = sy_window_set_property;
  object_class->get_property = sy_window_get_property;
  window_class->close_request = sy_window_close_request;
  widget_class->unrealize = sy_window_unrealize;

  properties[PROP_SERVICES] =
    g_param_spec_object ("services", NULL, NULL, SY_TYPE_SERVICES,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/switchyard/Switchyard/sy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, SyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, SyWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, SyWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, SyWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, SyWindow, endpoint_indicator);

  gtk_widget_class_install_action (widget_class, "win.page", "s", show_page_action);
  for (guint i = 0; i < G_N_ELEMENTS (page_order); i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                         "win.page", "s", page_order[i]);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
sy_window_init (SyWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

SyWindow *
sy_window_new (GtkApplication *application,
               SyServices     *services)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  return g_object_new (SY_TYPE_WINDOW,
                       "application", application,
                       "services", services,
                       NULL);
}

SyServices *
sy_window_get_services (SyWindow *self)
{
  g_return_val_if_fail (SY_IS_WINDOW (self), NULL);
  return self->services;
}

void
sy_window_show_page (SyWindow   *self,
                     const char *name)
{
  g_return_if_fail (SY_IS_WINDOW (self));

  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

GtkWidget *
sy_window_get_page (SyWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (SY_IS_WINDOW (self), NULL);
  return ensure_page (self, adw_view_stack_get_child_by_name (self->stack, name));
}

void
sy_window_add_toast (SyWindow   *self,
                     const char *message)
{
  g_autofree char *escaped = NULL;

  g_return_if_fail (SY_IS_WINDOW (self));
  /* An AdwToast 1.2 title is Pango markup; names and error messages are text. */
  escaped = g_markup_escape_text (message, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

void
sy_window_toast_for (GtkWidget  *widget,
                     const char *message)
{
  GtkRoot *root;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  root = gtk_widget_get_root (widget);
  if (SY_IS_WINDOW (root))
    sy_window_add_toast (SY_WINDOW (root), message);
  else
    g_message ("%s", message);
}
