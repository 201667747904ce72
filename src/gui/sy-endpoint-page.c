/* sy-endpoint-page.c — the Endpoint page: on/off, port, token, base URL, snippets for tools.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-a11y.h"
#include "sy-endpoint-page.h"
#include "sy-json.h"
#include "sy-window.h"

struct _SyEndpointPage
{
  AdwBin               parent_instance;

  /* template widgets */
  AdwActionRow        *status_row;
  GtkImage            *status_icon;
  GtkSwitch           *serve_switch;
  GtkSpinButton       *port_spin;
  GtkAdjustment       *port_adjustment;
  GtkSwitch           *keep_switch;
  AdwActionRow        *url_row;
  AdwActionRow        *token_row;
  AdwPreferencesGroup *snippets_group;

  /* owned references */
  SyServices          *services;
  GCancellable        *cancellable;
  GPtrArray           *snippet_labels;   /* GtkLabel *, in snippet order */

  /* state */
  guint                port_timeout;
};

G_DEFINE_FINAL_TYPE (SyEndpointPage, sy_endpoint_page, ADW_TYPE_BIN)

typedef enum {
  SNIPPET_CURL,
  SNIPPET_OPENAI,
  SNIPPET_CLAUDE_CODE,
  SNIPPET_CODEX,
  SNIPPET_CONTINUE,
  N_SNIPPETS
} Snippet;

static const char *snippet_ids[N_SNIPPETS] = { "curl", "openai", "claude-code", "codex", "continue" };

static SyEndpoint *
get_endpoint (SyEndpointPage *self)
{
  return sy_services_get_endpoint (self->services);
}

static const char *
current_token (SyEndpointPage *self)
{
  return sy_config_get_token (sy_services_get_config (self->services));
}

/* "sy-1234…cdef": enough to tell tokens apart on screen, not enough to use. */
static char *
mask_token (const char *token)
{
  gsize length = token != NULL ? strlen (token) : 0;

  if (length < 12)
    return g_strdup ("••••");
  return g_strdup_printf ("%.7s…%s", token, token + length - 4);
}

static char *
base_url (SyEndpointPage *self)
{
  const char *running = sy_endpoint_get_base_url (get_endpoint (self));

  if (running != NULL)
    return g_strdup (running);
  return g_strdup_printf ("http://127.0.0.1:%u/v1", sy_config_get_port (sy_services_get_config (self->services)));
}

static const char *
snippet_model (SyEndpointPage *self)
{
  const char *profile = sy_config_get_default_profile (sy_services_get_config (self->services));

  return profile != NULL ? profile : "auto";
}

static char *
snippet_text (SyEndpointPage *self,
              Snippet         snippet,
              const char     *token)
{
  g_autofree char *url = base_url (self);
  g_autofree char *origin = g_strndup (url, strlen (url) - strlen ("/v1"));
  const char *model = snippet_model (self);

  switch (snippet)
    {
    case SNIPPET_CURL:
      return g_strdup_printf ("curl %s/chat/completions \\\n"
                              "  -H \"Authorization: Bearer %s\" \\\n"
                              "  -H \"Content-Type: application/json\" \\\n"
                              "  -d '{\"model\": \"%s\", \"messages\": "
                              "[{\"role\": \"user\", \"content\": \"Hello!\"}]}'",
                              url, token, model);
    case SNIPPET_OPENAI:
      return g_strdup_printf ("export OPENAI_BASE_URL=%s\n"
                              "export OPENAI_API_KEY=%s\n"
                              "# then, in code: model=\"%s\"",
                              url, token, model);
    case SNIPPET_CLAUDE_CODE:
      return g_strdup_printf ("export ANTHROPIC_BASE_URL=%s\n"
                              "export ANTHROPIC_API_KEY=%s\n"
                              "claude --model %s",
                              origin, token, model);
    case SNIPPET_CODEX:
      return g_strdup_printf ("# ~/.codex/config.toml\n"
                              "model = \"%s\"\n"
                              "model_provider = \"switchyard\"\n\n"
                              "[model_providers.switchyard]\n"
                              "name = \"Switchyard\"\n"
                              "base_url = \"%s\"\n"
                              "env_key = \"SWITCHYARD_TOKEN\"\n"
                              "wire_api = \"responses\"\n\n"
                              "# in the shell:\n"
                              "export SWITCHYARD_TOKEN=%s",
                              model, url, token);
    case SNIPPET_CONTINUE:
      return g_strdup_printf ("# ~/.continue/config.yaml\n"
                              "models:\n"
                              "  - name: Switchyard %s\n"
                              "    provider: openai\n"
                              "    model: %s\n"
                              "    apiBase: %s\n"
                              "    apiKey: %s",
                              model, model, url, token);
    case N_SNIPPETS:
    default:
      g_assert_not_reached ();
    }
}

static void
update_texts (SyEndpointPage *self)
{
  g_autofree char *url = base_url (self);
  g_autofree char *masked = mask_token (current_token (self));
  gboolean from_env = g_getenv ("SWITCHYARD_TOKEN") != NULL;

  adw_action_row_set_subtitle (self->url_row, url);
  if (from_env)
    {
      g_autofree char *subtitle = g_strdup_printf (_("%s, from $SWITCHYARD_TOKEN"), masked);
      adw_action_row_set_subtitle (self->token_row, subtitle);
    }
  else
    adw_action_row_set_subtitle (self->token_row, masked);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "endpoint.regenerate-token", !from_env);

  for (guint i = 0; i < self->snippet_labels->len; i++)
    {
      g_autofree char *text = snippet_text (self, i, masked);
      gtk_label_set_text (g_ptr_array_index (self->snippet_labels, i), text);
    }
}

static void
update_state (SyEndpointPage *self)
{
  SyEndpoint *endpoint = get_endpoint (self);
  gboolean running = sy_endpoint_get_running (endpoint);
  gboolean busy = sy_endpoint_get_busy (endpoint);
  const char *error = sy_endpoint_get_error (endpoint);
  g_autofree char *subtitle = NULL;
  const char *icon;

  if (busy)
    {
      /* A stop forgets the server at once: the switch tells which way it goes. */
      subtitle = g_strdup (gtk_switch_get_active (self->serve_switch) ? _("Starting…") : _("Stopping…"));
      icon = "network-idle-symbolic";
    }
  else if (running)
    {
      subtitle = g_strdup_printf (_("Listening on %s"), sy_endpoint_get_base_url (endpoint));
      icon = "network-transmit-receive-symbolic";
    }
  else if (error != NULL)
    {
      subtitle = g_strdup_printf (_("Not running: %s"), error);
      icon = "dialog-warning-symbolic";
    }
  else
    {
      subtitle = g_strdup (_("Stopped: tools cannot connect"));
      icon = "network-offline-symbolic";
    }

  adw_action_row_set_subtitle (self->status_row, subtitle);
  gtk_image_set_from_icon_name (self->status_icon, icon);
  if (error != NULL && !running && !busy)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_row), "error");

  /* The switch shows what is true, not what was last clicked. */
  if (!busy && gtk_switch_get_active (self->serve_switch) != running)
    gtk_switch_set_active (self->serve_switch, running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->serve_switch), !busy);
  update_texts (self);
}

static void
config_changed (SyEndpointPage *self)
{
  guint port = sy_config_get_port (sy_services_get_config (self->services));

  if (self->port_timeout == 0 && (guint) gtk_adjustment_get_value (self->port_adjustment) != port)
    gtk_adjustment_set_value (self->port_adjustment, port);
  update_texts (self);
}

static void
endpoint_done (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GError) error = NULL;

  /* A failure shows in the status row (the endpoint's "error"). */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Endpoint: %s", error->message);
}

static void
serve_toggled (SyEndpointPage *self)
{
  SyEndpoint *endpoint = get_endpoint (self);
  GSettings *settings = sy_services_get_settings (self->services);
  gboolean active = gtk_switch_get_active (self->serve_switch);

  if (sy_endpoint_get_busy (endpoint) || active == sy_endpoint_get_running (endpoint))
    return;
  if (settings != NULL)
    g_settings_set_boolean (settings, "endpoint-enabled", active);
  if (active)
    sy_endpoint_start_async (endpoint, self->cancellable, endpoint_done, NULL);
  else
    sy_endpoint_stop_async (endpoint, self->cancellable, endpoint_done, NULL);
}

typedef struct {
  SyEndpointPage *page;
  gboolean        restart;
} SaveData;

static void
restarted_stop (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(SyEndpointPage) self = data;

  sy_endpoint_stop_finish (SY_ENDPOINT (source), result, NULL);
  sy_endpoint_start_async (SY_ENDPOINT (source), self->cancellable, endpoint_done, NULL);
}

static void
port_saved (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(SyEndpointPage) self = data;
  g_autoptr(GError) error = NULL;
  SyEndpoint *endpoint;

  if (!sy_services_update_config_finish (SY_SERVICES (source), result, &error))
    {
      sy_window_toast_for (GTK_WIDGET (self), error->message);
      return;
    }
  endpoint = get_endpoint (self);
  /* The new port needs a new listener; the error or the new URL shows above. */
  if (sy_endpoint_get_running (endpoint) && !sy_endpoint_get_busy (endpoint))
    sy_endpoint_stop_async (endpoint, self->cancellable, restarted_stop, g_object_ref (self));
  else if (sy_endpoint_get_error (endpoint) != NULL && !sy_endpoint_get_busy (endpoint))
    sy_endpoint_start_async (endpoint, self->cancellable, endpoint_done, NULL);
}

static void
update_server (SyEndpointPage *self,
               const char     *member,
               JsonNode       *value,
               GAsyncReadyCallback callback)
{
  g_autoptr(JsonObject) root = sy_services_dup_config_root (self->services);
  JsonObject *server = sy_json_get_object (root, "server");

  if (server == NULL)
    {
      server = json_object_new ();
      json_object_set_object_member (root, "server", server);
    }
  json_object_set_member (server, member, value);
  sy_services_update_config_async (self->services, root, self->cancellable, callback, g_object_ref (self));
}

/* Typing 8377 passes through 8, 83, 837: the port is saved once typing pauses. */
static gboolean
save_port (gpointer data)
{
  SyEndpointPage *self = data;
  guint port = (guint) gtk_adjustment_get_value (self->port_adjustment);

  self->port_timeout = 0;
  if (port == sy_config_get_port (sy_services_get_config (self->services)))
    return G_SOURCE_REMOVE;
  update_server (self, "port", json_node_init_int (json_node_alloc (), port), port_saved);
  return G_SOURCE_REMOVE;
}

static void
port_changed (SyEndpointPage *self)
{
  g_clear_handle_id (&self->port_timeout, g_source_remove);
  if ((guint) gtk_adjustment_get_value (self->port_adjustment) ==
      sy_config_get_port (sy_services_get_config (self->services)))
    return;
  self->port_timeout = g_timeout_add (700, save_port, self);
}

static void
copy_text (SyEndpointPage *self,
           const char     *text,
           const char     *toast)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  sy_window_toast_for (GTK_WIDGET (self), toast);
}

static void
copy_url_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  SyEndpointPage *self = SY_ENDPOINT_PAGE (widget);
  g_autofree char *url = base_url (self);

  copy_text (self, url, _("Base URL copied"));
}

static void
copy_token_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  SyEndpointPage *self = SY_ENDPOINT_PAGE (widget);

  copy_text (self, current_token (self), _("Token copied"));
}

static void
copy_snippet_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  SyEndpointPage *self = SY_ENDPOINT_PAGE (widget);
  const char *id = g_variant_get_string (parameter, NULL);

  for (guint i = 0; i < N_SNIPPETS; i++)
    if (g_str_equal (id, snippet_ids[i]))
      {
        g_autofree char *text = snippet_text (self, i, current_token (self));
        copy_text (self, text, _("Copied, with the token"));
      }
}

static void
token_saved (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(SyEndpointPage) self = data;
  g_autoptr(GError) error = NULL;

  if (!sy_services_update_config_finish (SY_SERVICES (source), result, &error))
    sy_window_toast_for (GTK_WIDGET (self), error->message);
  else
    sy_window_toast_for (GTK_WIDGET (self), _("New token in force: update your tools"));
}

static void
regenerate_response (AdwMessageDialog *dialog,
                     const char       *response,
                     SyEndpointPage   *self)
{
  g_autofree char *token = NULL;

  if (!g_str_equal (response, "regenerate"))
    return;
  token = sy_config_new_token ();
  update_server (self, "token", json_node_init_string (json_node_alloc (), token), token_saved);
}

static void
regenerate_token_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  SyEndpointPage *self = SY_ENDPOINT_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Regenerate the Token?"),
                                                       _("Tools that use the current token are refused "
                                                         "until they are given the new one.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "regenerate", _("_Regenerate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "regenerate", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (regenerate_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_snippets (SyEndpointPage *self)
{
  const char *titles[N_SNIPPETS] = {
    _("curl"), _("OpenAI SDKs"), _("Claude Code"), _("Codex CLI"), _("Continue"),
  };
  const char *subtitles[N_SNIPPETS] = {
    _("A first request from the terminal"),
    _("Python and Node read these variables"),
    _("Claude Code speaks the Anthropic API to the endpoint"),
    _("Codex speaks the Responses API to the endpoint"),
    _("The Continue extension for VS Code and JetBrains"),
  };

  for (guint i = 0; i < N_SNIPPETS; i++)
    {
      GtkWidget *row = adw_expander_row_new ();
      GtkWidget *label = gtk_label_new (NULL);
      GtkWidget *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
      g_autofree char *tooltip = g_strdup_printf (_("Copy the %s Snippet"), titles[i]);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), titles[i]);
      sy_a11y_name_expander_row (ADW_EXPANDER_ROW (row), titles[i]);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitles[i]);

      gtk_widget_set_valign (copy, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (copy, "flat");
      gtk_widget_set_tooltip_text (copy, tooltip);
      gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (copy), "endpoint.copy-snippet");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (copy), "s", snippet_ids[i]);
      adw_expander_row_add_action (ADW_EXPANDER_ROW (row), copy);

      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "snippet");
      gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL, titles[i], -1);
      {
        GtkWidget *label_row = gtk_list_box_row_new ();
        g_autofree char *name = g_strdup_printf (_("%s snippet"), titles[i]);

        gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (label_row), label);
        gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (label_row), FALSE);
        gtk_accessible_update_property (GTK_ACCESSIBLE (label_row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
        adw_expander_row_add_row (ADW_EXPANDER_ROW (row), label_row);
      }
      g_ptr_array_add (self->snippet_labels, label);

      adw_preferences_group_add (self->snippets_group, row);
    }
}

static void
sy_endpoint_page_dispose (GObject *object)
{
  SyEndpointPage *self = SY_ENDPOINT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->port_timeout, g_source_remove);
  /* AdwBin unparents its child in its own dispose: gone first, the template's
   * references are the last. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_ENDPOINT_PAGE);
  g_clear_pointer (&self->snippet_labels, g_ptr_array_unref);
  g_clear_object (&self->services);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sy_endpoint_page_parent_class)->dispose (object);
}

static void
sy_endpoint_page_class_init (SyEndpointPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_endpoint_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-endpoint-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, status_row);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, serve_switch);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, port_spin);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, port_adjustment);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, keep_switch);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, url_row);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, token_row);
  gtk_widget_class_bind_template_child (widget_class, SyEndpointPage, snippets_group);

  gtk_widget_class_install_action (widget_class, "endpoint.copy-url", NULL, copy_url_action);
  gtk_widget_class_install_action (widget_class, "endpoint.copy-token", NULL, copy_token_action);
  gtk_widget_class_install_action (widget_class, "endpoint.copy-snippet", "s", copy_snippet_action);
  gtk_widget_class_install_action (widget_class, "endpoint.regenerate-token", NULL,
                                   regenerate_token_action);
}

static void
sy_endpoint_page_init (SyEndpointPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->snippet_labels = g_ptr_array_new ();
}

GtkWidget *
sy_endpoint_page_new (SyServices *services)
{
  SyEndpointPage *self;
  SyEndpoint *endpoint;
  GSettings *settings;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_ENDPOINT_PAGE, NULL);
  self->services = g_object_ref (services);
  endpoint = sy_services_get_endpoint (services);
  settings = sy_services_get_settings (services);

  add_snippets (self);
  gtk_adjustment_set_value (self->port_adjustment, sy_config_get_port (sy_services_get_config (services)));
  if (settings != NULL)
    g_settings_bind (settings, "keep-serving", self->keep_switch, "active", G_SETTINGS_BIND_DEFAULT);
  else
    gtk_widget_set_sensitive (GTK_WIDGET (self->keep_switch), FALSE);

  update_state (self);
  g_signal_connect_object (endpoint, "notify::running", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (endpoint, "notify::busy", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (endpoint, "notify::error", G_CALLBACK (update_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (services, "notify::config", G_CALLBACK (config_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->serve_switch, "notify::active", G_CALLBACK (serve_toggled), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->port_adjustment, "value-changed", G_CALLBACK (port_changed), self,
                           G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}
