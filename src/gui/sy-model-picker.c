/* sy-model-picker.c — a popover to choose a model or a profile, searchable, with prices.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-json.h"
#include "sy-model-picker.h"

struct _SyModelPicker
{
  GtkPopover      parent_instance;

  /* widgets */
  GtkSearchEntry *search;
  GtkListBox     *list;

  /* owned references */
  SyServices     *services;
  SyConfig       *built_for;    /* the config the rows show */
};

G_DEFINE_FINAL_TYPE (SyModelPicker, sy_model_picker, GTK_TYPE_POPOVER)

enum {
  CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
format_usd (double value)
{
  if (value == 0)
    return g_strdup ("$0");
  return g_strdup_printf (value < 0.1 ? "$%.3f" : "$%.2f", value);
}

char *
sy_model_picker_describe_price (SyConfig   *config,
                                const char *model)
{
  g_autoptr(SyProfile) profile = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *input = NULL;
  g_autofree char *output = NULL;
  const char *slash;
  SyPrice price;

  g_return_val_if_fail (SY_IS_CONFIG (config), NULL);
  g_return_val_if_fail (model != NULL, NULL);

  profile = sy_config_dup_profile (config, model);
  if (profile != NULL)
    {
      if (profile->models == NULL || profile->models[0] == NULL)
        return g_strdup (_("price unknown"));
      model = profile->models[0];
    }
  slash = strchr (model, '/');
  if (slash == NULL)
    return g_strdup (_("price unknown"));
  provider = g_strndup (model, (gsize) (slash - model));
  if (!sy_config_get_price (config, provider, slash + 1, &price) || !sy_price_is_known (&price))
    return g_strdup (_("price unknown"));
  input = format_usd (price.input);
  output = format_usd (price.output);
  /* Translators: prices in US dollars, e.g. "$0.40 in, $1.60 out per million tokens" */
  return g_strdup_printf (_("%s in, %s out per million tokens"), input, output);
}

char *
sy_model_picker_describe (SyServices *services,
                          const char *model)
{
  const char *slash;
  g_autofree char *provider = NULL;
  const SyModelInfo *info;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);
  g_return_val_if_fail (model != NULL, NULL);

  slash = strchr (model, '/');
  if (slash == NULL)
    return g_strdup (model);
  provider = g_strndup (model, (gsize) (slash - model));
  info = sy_catalog_lookup (sy_services_get_catalog (services), provider, slash + 1);
  return g_strdup (info != NULL ? info->name : slash + 1);
}

/* ------------------------------------------------------------------- rows */

static void
add_row (SyModelPicker *self,
         const char    *section,
         const char    *model,
         const char    *title,
         const char    *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *search = g_strdup_printf ("%s %s", model, title);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "model", g_strdup (model), g_free);
  g_object_set_data (G_OBJECT (row), "section", (gpointer) section);
  g_object_set_data_full (G_OBJECT (row), "search", g_utf8_casefold (search, -1), g_free);
  gtk_list_box_append (self->list, row);
}

static void
add_model_row (SyModelPicker     *self,
               const char        *section,
               const SyModelInfo *info)
{
  g_autofree char *price = sy_model_picker_describe_price (self->built_for, info->id);
  /* Translators: a model's id and its price */
  g_autofree char *subtitle = g_strdup_printf (_("%s · %s"), info->id, price);

  add_row (self, section, info->id, info->name, subtitle);
}

static void
rebuild (SyModelPicker *self)
{
  static const char *profiles_section = N_("Profiles");
  static const char *configured_section = N_("Your Providers");
  static const char *other_section = N_("Other Models");
  SyConfig *config = sy_services_get_config (self->services);
  GPtrArray *models = sy_catalog_get_models (sy_services_get_catalog (self->services));
  JsonObject *root = sy_config_get_root (config);
  JsonArray *profiles = sy_json_get_array (root, "profiles");
  JsonArray *providers = sy_json_get_array (root, "providers");
  g_autoptr(GPtrArray) configured = g_ptr_array_new ();
  GtkListBoxRow *row;

  g_set_object (&self->built_for, config);
  while ((row = gtk_list_box_get_row_at_index (self->list, 0)) != NULL)
    gtk_list_box_remove (self->list, GTK_WIDGET (row));

  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      const char *name = sy_json_get_string (sy_json_array_get_object (profiles, i), "name");
      g_autofree char *price = NULL;
      g_autofree char *subtitle = NULL;

      if (name == NULL)
        continue;
      price = sy_model_picker_describe_price (config, name);
      /* Translators: "profile · <price of its first model>" */
      subtitle = g_strdup_printf (_("profile · %s"), price);
      add_row (self, profiles_section, name, name, subtitle);
    }

  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    {
      const char *id = sy_json_get_string (sy_json_array_get_object (providers, i), "id");

      if (id != NULL)
        g_ptr_array_add (configured, (gpointer) id);
    }
  for (guint p = 0; p < configured->len; p++)
    for (guint i = 0; i < models->len; i++)
      {
        const SyModelInfo *info = g_ptr_array_index (models, i);

        if (g_str_equal (info->provider, g_ptr_array_index (configured, p)))
          add_model_row (self, configured_section, info);
      }
  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);

      if (!g_ptr_array_find_with_equal_func (configured, info->provider, g_str_equal, NULL))
        add_model_row (self, other_section, info);
    }
}

static void
update_header (GtkListBoxRow *row,
               GtkListBoxRow *before,
               gpointer       data)
{
  const char *section = g_object_get_data (G_OBJECT (row), "section");
  GtkWidget *header;

  if (before != NULL && g_object_get_data (G_OBJECT (before), "section") == section)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }
  if (gtk_list_box_row_get_header (row) != NULL)
    return;
  header = gtk_label_new (_(section));
  gtk_label_set_xalign (GTK_LABEL (header), 0);
  gtk_widget_add_css_class (header, "heading");
  gtk_widget_set_margin_start (header, 12);
  gtk_widget_set_margin_top (header, 12);
  gtk_widget_set_margin_bottom (header, 6);
  gtk_list_box_row_set_header (row, header);
}

static gboolean
filter_row (GtkListBoxRow *row,
            gpointer       data)
{
  SyModelPicker *self = data;
  g_autofree char *needle = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (self->search)), -1);

  return strstr (g_object_get_data (G_OBJECT (row), "search"), needle) != NULL;
}

static void
search_changed (SyModelPicker *self)
{
  gtk_list_box_invalidate_filter (self->list);
  gtk_list_box_invalidate_headers (self->list);
}

static void
row_activated (SyModelPicker *self,
               GtkListBoxRow *row)
{
  g_autofree char *model = g_strdup (g_object_get_data (G_OBJECT (row), "model"));

  gtk_popover_popdown (GTK_POPOVER (self));
  g_signal_emit (self, signals[CHOSEN], 0, model);
}

static void
search_activated (SyModelPicker *self)
{
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->list, i)) != NULL; i++)
    if (gtk_widget_get_child_visible (GTK_WIDGET (row)))
      {
        row_activated (self, row);
        return;
      }
}

static void
stop_search (SyModelPicker *self)
{
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
sy_model_picker_show (GtkWidget *widget)
{
  SyModelPicker *self = SY_MODEL_PICKER (widget);

  if (self->built_for != sy_services_get_config (self->services))
    rebuild (self);
  gtk_editable_set_text (GTK_EDITABLE (self->search), "");
  GTK_WIDGET_CLASS (sy_model_picker_parent_class)->show (widget);
  gtk_widget_grab_focus (GTK_WIDGET (self->search));
}

static void
sy_model_picker_dispose (GObject *object)
{
  SyModelPicker *self = SY_MODEL_PICKER (object);

  g_clear_object (&self->services);
  g_clear_object (&self->built_for);

  G_OBJECT_CLASS (sy_model_picker_parent_class)->dispose (object);
}

static void
sy_model_picker_class_init (SyModelPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_model_picker_dispose;
  widget_class->show = sy_model_picker_show;

  signals[CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
sy_model_picker_init (SyModelPicker *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search, "placeholder-text", _("Search models"), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Search models"), -1);
  g_signal_connect_object (self->search, "search-changed", G_CALLBACK (search_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search, "activate", G_CALLBACK (search_activated), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search, "stop-search", G_CALLBACK (stop_search), self,
                           G_CONNECT_SWAPPED);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_list_box_set_filter_func (self->list, filter_row, self, NULL);
  gtk_list_box_set_header_func (self->list, update_header, NULL, NULL);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "navigation-sidebar");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Models"), -1);
  g_signal_connect_object (self->list, "row-activated", G_CALLBACK (row_activated), self,
                           G_CONNECT_SWAPPED);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 420);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->list));
  gtk_widget_set_size_request (scrolled, 340, -1);

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->search));
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_popover_set_child (GTK_POPOVER (self), box);
}

GtkWidget *
sy_model_picker_new (SyServices *services)
{
  SyModelPicker *self;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_MODEL_PICKER, NULL);
  self->services = g_object_ref (services);
  return GTK_WIDGET (self);
}
