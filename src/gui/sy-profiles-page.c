/* sy-profiles-page.c — the Profiles page: routing profiles, their strategy, models and filters.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <math.h>
#include <glib/gi18n.h>

#include "sy-json.h"
#include "sy-model-row.h"
#include "sy-a11y.h"
#include "sy-profiles-page.h"
#include "sy-window.h"

struct _SyProfilesPage
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkStack            *main_stack;
  AdwLeaflet          *leaflet;
  GtkWidget           *content;
  GtkListBox          *profile_list;
  AdwPreferencesGroup *general_group;
  AdwEntryRow         *name_row;
  GtkLabel            *name_error;
  GtkSwitch           *default_switch;
  AdwComboRow         *strategy_row;
  GtkSwitch           *rescue_switch;
  AdwPreferencesGroup *models_group;
  GtkListBox          *model_list;
  GtkLabel            *model_placeholder;
  AdwEntryRow         *add_row;
  GtkLabel            *model_error;
  GtkPopover          *catalog_popover;
  GtkSearchEntry      *catalog_search;
  GtkListBox          *catalog_list;
  AdwExpanderRow      *providers_row;
  GtkSwitch           *local_switch;
  AdwEntryRow         *price_row;
  GtkLabel            *price_error;

  /* owned references */
  SyServices          *services;
  GCancellable        *cancellable;
  JsonObject          *root;            /* shown: the config in force, or a newer edit */
  GPtrArray           *provider_checks; /* GtkCheckButton in providers_row */
  GQueue               model_ops;       /* ModelOp, run from an idle */

  /* state */
  char                *selected;        /* the profile the user chose */
  char                *shown;           /* the profile the details were filled for */
  GStrv                shown_names;
  GStrv                shown_models;
  GStrv                shown_providers;
  guint                pending;         /* edits handed out and not yet written */
  gboolean             updating;        /* widgets being set from the document */
  int                  focus_model;     /* row to focus after the next rebuild, or -1 */
  guint                model_ops_id;
};

G_DEFINE_FINAL_TYPE (SyProfilesPage, sy_profiles_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SERVICES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const struct {
  const char *id;
  const char *label;
  const char *description;
} strategies[] = {
  { "fallback", N_("In Order"),
    N_("Tries the models from the top, and the next one when a model fails") },
  { "cheapest", N_("Cheapest"),
    N_("Tries the lowest estimated cost first, from the catalog and your prices") },
  { "fastest", N_("Fastest"),
    N_("Tries the quickest first, as measured on your own requests") },
  { "best", N_("Best Rated"),
    N_("Tries your best rated models first, from your ratings in Compare") },
  { "balance", N_("Balanced"),
    N_("Spreads requests over the models by weight; the others stand by") },
};

static void refresh (SyProfilesPage *self);

/* ------------------------------------------------------------ document helpers */

static JsonObject *
copy_object (JsonObject *object)
{
  JsonObject *copy = sy_json_object_deep_copy (object, NULL);

  g_assert (copy != NULL);
  return copy;
}

static JsonObject *
find_profile (JsonObject *root,
              const char *name,
              guint      *position)
{
  JsonArray *profiles = sy_json_get_array (root, "profiles");

  for (guint i = 0; name != NULL && profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      JsonObject *profile = sy_json_array_get_object (profiles, i);

      if (g_strcmp0 (sy_json_get_string (profile, "name"), name) == 0)
        {
          if (position != NULL)
            *position = i;
          return profile;
        }
    }
  return NULL;
}

static GStrv
string_list (JsonArray *array)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (sy_json_node_is_string (node))
        g_strv_builder_add (builder, json_node_get_string (node));
    }
  return g_strv_builder_end (builder);
}

static void
set_string_list (JsonObject         *object,
                 const char         *member,
                 const char * const *strings)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strings != NULL && strings[i] != NULL; i++)
    json_array_add_string_element (array, strings[i]);
  json_object_set_array_member (object, member, array);
}

static gboolean
strv_equal0 (const char * const *a,
             const char * const *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal (a, b);
}

/* The profile names in the sidebar, in config order. */
static GStrv
profile_names (JsonObject *root)
{
  JsonArray *profiles = sy_json_get_array (root, "profiles");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      const char *name = sy_json_get_string (sy_json_array_get_object (profiles, i), "name");

      if (name != NULL)
        g_strv_builder_add (builder, name);
    }
  return g_strv_builder_end (builder);
}

static gboolean
provider_exists (SyProfilesPage *self,
                 const char     *id)
{
  JsonArray *providers = sy_json_get_array (self->root, "providers");

  if (sy_catalog_get_preset (sy_services_get_catalog (self->services), id) != NULL)
    return TRUE;
  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    if (g_strcmp0 (sy_json_get_string (sy_json_array_get_object (providers, i), "id"), id) == 0)
      return TRUE;
  return FALSE;
}

/* Every provider a profile can name: the catalog presets, then the config's own. */
static void
known_providers (SyProfilesPage  *self,
                 GStrv           *ids_out,
                 GStrv           *names_out)
{
  GPtrArray *presets = sy_catalog_get_presets (sy_services_get_catalog (self->services));
  JsonArray *providers = sy_json_get_array (self->root, "providers");
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  for (guint i = 0; i < presets->len; i++)
    {
      const SyProviderPreset *preset = g_ptr_array_index (presets, i);

      g_strv_builder_add (ids, preset->id);
      g_strv_builder_add (names, preset->name);
    }
  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    {
      JsonObject *provider = sy_json_array_get_object (providers, i);
      const char *id = sy_json_get_string (provider, "id");

      if (id == NULL || sy_catalog_get_preset (sy_services_get_catalog (self->services), id) != NULL)
        continue;
      g_strv_builder_add (ids, id);
      g_strv_builder_add (names, sy_json_get_string (provider, "name") ?: id);
    }
  *ids_out = g_strv_builder_end (ids);
  *names_out = g_strv_builder_end (names);
}

/* Renaming a profile takes the places that name it along. */
static void
rename_references (JsonObject *root,
                   const char *old_name,
                   const char *new_name)
{
  JsonObject *aliases = sy_json_get_object (root, "aliases");
  JsonArray *rules = sy_json_get_array (root, "rules");
  JsonArray *profiles = sy_json_get_array (root, "profiles");
  JsonObject *budget;

  if (g_strcmp0 (sy_json_get_string (root, "default_profile"), old_name) == 0)
    json_object_set_string_member (root, "default_profile", new_name);

  if (aliases != NULL)
    {
      g_autoptr(GList) members = json_object_get_members (aliases);

      for (GList *l = members; l != NULL; l = l->next)
        if (g_strcmp0 (sy_json_get_string (aliases, l->data), old_name) == 0)
          json_object_set_string_member (aliases, l->data, new_name);
    }

  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    {
      JsonObject *rule = sy_json_array_get_object (rules, i);

      if (g_strcmp0 (sy_json_get_string (rule, "profile"), old_name) == 0)
        json_object_set_string_member (rule, "profile", new_name);
    }

  budget = sy_json_get_object (root, "budget");
  if (g_strcmp0 (sy_json_get_string (budget, "downgrade_to"), old_name) == 0)
    json_object_set_string_member (budget, "downgrade_to", new_name);
  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      budget = sy_json_get_object (sy_json_array_get_object (profiles, i), "budget");
      if (g_strcmp0 (sy_json_get_string (budget, "downgrade_to"), old_name) == 0)
        json_object_set_string_member (budget, "downgrade_to", new_name);
    }
}

/* ------------------------------------------------------------------ validation */

/* NULL when @name may name a profile (@current: the profile being renamed). */
static char *
check_name (SyProfilesPage *self,
            const char     *name,
            const char     *current)
{
  if (*name == '\0')
    return g_strdup (_("Enter a name"));
  if (strchr (name, '/') != NULL)
    return g_strdup (_("A name cannot contain “/”: it separates a provider from its model"));
  if (provider_exists (self, name))
    return g_strdup_printf (_("“%s” is a provider; choose another name"), name);
  if (g_strcmp0 (name, current) != 0 && find_profile (self->root, name, NULL) != NULL)
    return g_strdup_printf (_("A profile named “%s” already exists"), name);
  /* Aliases are resolved before profiles: a profile behind one could not be reached. */
  if (sy_json_get_string (sy_json_get_object (self->root, "aliases"), name) != NULL)
    return g_strdup_printf (_("“%s” is already an alias; choose another name"), name);
  return NULL;
}

static char *
check_model (SyProfilesPage     *self,
             const char         *model_id,
             const char * const *listed)
{
  const char *slash = strchr (model_id, '/');
  g_autofree char *provider = NULL;

  if (slash == NULL || slash == model_id || slash[1] == '\0')
    return g_strdup (_("Write the model as provider/model, for example openai/gpt-4.1-mini"));
  provider = g_strndup (model_id, (gsize) (slash - model_id));
  if (!provider_exists (self, provider))
    return g_strdup_printf (_("There is no provider “%s”. Add it on the Providers page first."),
                            provider);
  if (listed != NULL && g_strv_contains (listed, model_id))
    return g_strdup_printf (_("%s is already in this profile"), model_id);
  return NULL;
}

static void
set_error (GtkWidget  *control,
           GtkLabel   *label,
           const char *message)
{
  if (message != NULL)
    {
      gtk_widget_add_css_class (control, "error");
      gtk_label_set_text (label, message);
      gtk_widget_set_visible (GTK_WIDGET (label), TRUE);
      gtk_accessible_update_state (GTK_ACCESSIBLE (control),
                                   GTK_ACCESSIBLE_STATE_INVALID, GTK_ACCESSIBLE_INVALID_TRUE, -1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (control),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
    }
  else if (gtk_widget_has_css_class (control, "error"))
    {
      gtk_widget_remove_css_class (control, "error");
      gtk_widget_set_visible (GTK_WIDGET (label), FALSE);
      gtk_accessible_reset_state (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_STATE_INVALID);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (control), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

static gboolean
focus_within (gpointer widget)
{
  return (gtk_widget_get_state_flags (widget) & GTK_STATE_FLAG_FOCUS_WITHIN) != 0;
}

/* ----------------------------------------------------------------------- saving */

static void
show_toast (SyProfilesPage *self,
            const char     *message)
{
  sy_window_toast_for (GTK_WIDGET (self), message);
}

static void
sync_from_services (SyProfilesPage *self)
{
  g_clear_pointer (&self->root, json_object_unref);
  self->root = sy_services_dup_config_root (self->services);
  refresh (self);
}

static void
config_updated (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SyProfilesPage *self;
  g_autoptr(GError) error = NULL;
  gboolean ok = sy_services_update_config_finish (SY_SERVICES (source), result, &error);

  /* Cancelled: the page is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = SY_PROFILES_PAGE (user_data);
  if (!ok)
    {
      g_autofree char *message = g_strdup_printf (_("Could not save profiles: %s"), error->message);
      show_toast (self, message);
    }

  g_assert (self->pending > 0);
  /* Until the last edit is written, the page's own document is the newest. */
  if (--self->pending == 0)
    sync_from_services (self);
}

/* Puts @root (an edited copy) on screen and saves it. */
static void
commit (SyProfilesPage *self,
        JsonObject     *root)
{
  g_clear_pointer (&self->root, json_object_unref);
  self->root = json_object_ref (root);
  self->pending++;
  refresh (self);
  sy_services_update_config_async (self->services, root, self->cancellable, config_updated, self);
}

static void
config_changed (SyProfilesPage *self)
{
  if (self->pending == 0)
    sync_from_services (self);
}

/* The copy to edit and the profile shown in it. */
static JsonObject *
begin_edit (SyProfilesPage  *self,
            JsonObject     **profile_out)
{
  JsonObject *root = copy_object (self->root);

  *profile_out = find_profile (root, self->shown, NULL);
  if (*profile_out == NULL)
    g_clear_pointer (&root, json_object_unref);
  return root;
}

/* --------------------------------------------------------------------- sidebar */

static GtkListBoxRow *
sidebar_row (SyProfilesPage *self,
             const char     *name)
{
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->profile_list, i)) != NULL; i++)
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "profile"), name) == 0)
      return row;
  return NULL;
}

static GtkWidget *
new_sidebar_row (const char *name)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (name);
  GtkWidget *star = gtk_image_new_from_icon_name ("starred-symbolic");

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_tooltip_text (star, _("Default profile"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (star),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Default profile"), -1);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), star);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "profile", g_strdup (name), g_free);
  g_object_set_data (G_OBJECT (row), "star", star);
  return row;
}

static void
update_sidebar (SyProfilesPage *self)
{
  g_auto(GStrv) names = profile_names (self->root);
  const char *default_name = sy_json_get_string (self->root, "default_profile");
  gboolean had_focus = focus_within (self->profile_list);
  GtkListBoxRow *row;

  if (self->selected == NULL || !g_strv_contains ((const char * const *) names, self->selected))
    {
      g_free (self->selected);
      if (default_name != NULL && g_strv_contains ((const char * const *) names, default_name))
        self->selected = g_strdup (default_name);
      else
        self->selected = g_strdup (names[0]);
    }

  if (!strv_equal0 ((const char * const *) names, (const char * const *) self->shown_names))
    {
      while ((row = gtk_list_box_get_row_at_index (self->profile_list, 0)) != NULL)
        gtk_list_box_remove (self->profile_list, GTK_WIDGET (row));
      for (guint i = 0; names[i] != NULL; i++)
        gtk_list_box_append (self->profile_list, new_sidebar_row (names[i]));
      g_strfreev (self->shown_names);
      self->shown_names = g_strdupv (names);
    }

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->profile_list, i)) != NULL; i++)
    {
      const char *name = g_object_get_data (G_OBJECT (row), "profile");
      gboolean is_default = g_strcmp0 (name, default_name) == 0;
      g_autofree char *label = NULL;

      gtk_widget_set_visible (g_object_get_data (G_OBJECT (row), "star"), is_default);
      label = is_default ? g_strdup_printf (_("%s, default profile"), name) : g_strdup (name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
    }

  row = sidebar_row (self, self->selected);
  if (row != NULL && gtk_list_box_get_selected_row (self->profile_list) != row)
    gtk_list_box_select_row (self->profile_list, row);
  if (row != NULL && had_focus && !focus_within (self->profile_list))
    gtk_widget_grab_focus (GTK_WIDGET (row));
}

static void
profile_row_selected (SyProfilesPage *self,
                      GtkListBoxRow  *row)
{
  const char *name;

  if (self->updating || row == NULL)
    return;
  name = g_object_get_data (G_OBJECT (row), "profile");
  if (g_strcmp0 (name, self->selected) == 0)
    return;
  g_free (self->selected);
  self->selected = g_strdup (name);
  refresh (self);
}

static void
profile_row_activated (SyProfilesPage *self,
                       GtkListBoxRow  *row)
{
  profile_row_selected (self, row);
  /* Folded, the list is gone from view: the focus goes where the user went. */
  if (adw_leaflet_get_folded (self->leaflet))
    {
      adw_leaflet_set_visible_child (self->leaflet, self->content);
      gtk_widget_child_focus (self->content, GTK_DIR_TAB_FORWARD);
    }
}

/* ---------------------------------------------------------------------- models */

static char *
format_usd (double value)
{
  if (value == 0)
    return g_strdup ("$0");
  return g_strdup_printf (value < 0.1 ? "$%.3f" : "$%.2f", value);
}

/* "$0.40 in, $1.60 out per million tokens": the config's prices first, then the catalog's. */
static char *
describe_price (SyProfilesPage *self,
                const char     *provider,
                const char     *model)
{
  g_autofree char *model_id = g_strdup_printf ("%s/%s", provider, model);
  JsonObject *override = sy_json_get_object (sy_json_get_object (self->root, "prices"), model_id);
  g_autofree char *input = NULL;
  g_autofree char *output = NULL;
  SyPrice price;

  sy_price_init_unknown (&price);
  if (override != NULL)
    {
      price.input = sy_json_get_double (override, "input", -1);
      price.output = sy_json_get_double (override, "output", -1);
    }
  if ((price.input < 0 || price.output < 0) &&
      !sy_catalog_get_price (sy_services_get_catalog (self->services), provider, model, &price))
    return g_strdup (_("price unknown"));

  input = format_usd (price.input);
  output = format_usd (price.output);
  /* Translators: prices in US dollars, e.g. "$0.40 in, $1.60 out per million tokens" */
  return g_strdup_printf (_("%s in, %s out per million tokens"), input, output);
}

static char *
describe_model (SyProfilesPage *self,
                const char     *model_id)
{
  const char *slash = strchr (model_id, '/');
  g_autofree char *provider = NULL;
  g_autofree char *cost = NULL;
  const SyModelInfo *info;

  if (slash == NULL)
    return g_strdup (_("Not a provider/model name: requests skip it"));
  provider = g_strndup (model_id, (gsize) (slash - model_id));
  if (!provider_exists (self, provider))
    return g_strdup_printf (_("No provider “%s”: requests skip this model"), provider);

  info = sy_catalog_lookup (sy_services_get_catalog (self->services), provider, slash + 1);
  cost = describe_price (self, provider, slash + 1);
  /* Translators: a model's name and its price */
  return g_strdup_printf (_("%s · %s"), info != NULL ? info->name : _("Not in the catalog"), cost);
}

typedef enum {
  MODEL_OP_MOVE,
  MODEL_OP_REMOVE,
} ModelOpKind;

typedef struct {
  ModelOpKind  kind;
  char        *profile;
  char        *model_id;   /* the model at @from when asked: a stale request is dropped */
  guint        from;
  guint        to;
} ModelOp;

static void
model_op_free (ModelOp *op)
{
  g_free (op->profile);
  g_free (op->model_id);
  g_free (op);
}

static void
run_model_op (SyProfilesPage *self,
              ModelOp        *op)
{
  g_autoptr(JsonObject) root = NULL;
  g_auto(GStrv) models = NULL;
  JsonObject *profile;
  guint n;
  char *moved;

  root = copy_object (self->root);
  profile = find_profile (root, op->profile, NULL);
  if (profile == NULL)
    return;
  models = string_list (sy_json_get_array (profile, "models"));
  n = g_strv_length (models);
  if (op->from >= n || g_strcmp0 (models[op->from], op->model_id) != 0)
    return;

  moved = models[op->from];
  memmove (&models[op->from], &models[op->from + 1], (n - op->from) * sizeof (char *));
  if (op->kind == MODEL_OP_REMOVE)
    {
      g_free (moved);
      self->focus_model = n > 1 ? (int) MIN (op->from, n - 2) : -1;
    }
  else
    {
      guint to = MIN (op->to, n - 1);

      memmove (&models[to + 1], &models[to], (n - 1 - to) * sizeof (char *));
      models[to] = moved;
      self->focus_model = (int) to;
    }

  set_string_list (profile, "models", (const char * const *) models);
  commit (self, root);
}

/* Rows ask from their own signal handlers (a click, a drop): the list they are
 * in is rebuilt only once those have returned. */
static gboolean
run_model_ops (gpointer data)
{
  SyProfilesPage *self = data;
  ModelOp *op;

  self->model_ops_id = 0;
  while ((op = g_queue_pop_head (&self->model_ops)) != NULL)
    {
      run_model_op (self, op);
      model_op_free (op);
    }
  return G_SOURCE_REMOVE;
}

static void
queue_model_op (SyProfilesPage *self,
                ModelOpKind     kind,
                SyModelRow     *row,
                guint           to)
{
  ModelOp *op = g_new0 (ModelOp, 1);

  op->kind = kind;
  op->profile = g_strdup (self->shown);
  op->model_id = g_strdup (sy_model_row_get_model_id (row));
  op->from = sy_model_row_get_position (row);
  op->to = to;
  g_queue_push_tail (&self->model_ops, op);
  if (self->model_ops_id == 0)
    self->model_ops_id = g_idle_add (run_model_ops, self);
}

static void
model_row_move (SyModelRow     *row,
                int             delta,
                SyProfilesPage *self)
{
  guint from = sy_model_row_get_position (row);

  if (delta < 0 && from == 0)
    return;
  queue_model_op (self, MODEL_OP_MOVE, row, from + (guint) delta);
}

static void
model_row_remove (SyModelRow     *row,
                  SyProfilesPage *self)
{
  queue_model_op (self, MODEL_OP_REMOVE, row, 0);
}

static void
model_row_dropped (SyModelRow     *target,
                   SyModelRow     *source,
                   gboolean        after,
                   SyProfilesPage *self)
{
  guint from = sy_model_row_get_position (source);
  guint to = sy_model_row_get_position (target) + (after ? 1 : 0);

  /* @to counts the source row itself when it lies above. */
  if (from < to)
    to--;
  if (from != to)
    queue_model_op (self, MODEL_OP_MOVE, source, to);
}

static GtkWidget *
find_actionable (GtkWidget  *widget,
                 const char *action_name)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_actionable (child, action_name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
rebuild_models (SyProfilesPage     *self,
                const char * const *models)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  g_autofree char *focus_action = NULL;
  int focus_row = -1;
  guint n = g_strv_length ((char **) models);
  GtkListBoxRow *row;

  if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self->model_list)))
    {
      GtkWidget *model_row = gtk_widget_get_ancestor (focus, SY_TYPE_MODEL_ROW);

      if (model_row != NULL)
        focus_row = (int) sy_model_row_get_position (SY_MODEL_ROW (model_row));
      if (GTK_IS_ACTIONABLE (focus))
        focus_action = g_strdup (gtk_actionable_get_action_name (GTK_ACTIONABLE (focus)));
      if (self->focus_model >= 0)
        focus_row = self->focus_model;
    }
  else
    focus = NULL;
  self->focus_model = -1;

  while ((row = gtk_list_box_get_row_at_index (self->model_list, 0)) != NULL)
    gtk_list_box_remove (self->model_list, GTK_WIDGET (row));

  for (guint i = 0; i < n; i++)
    {
      GtkWidget *model_row = sy_model_row_new (models[i]);
      g_autofree char *subtitle = describe_model (self, models[i]);

      adw_action_row_set_subtitle (ADW_ACTION_ROW (model_row), subtitle);
      sy_model_row_set_position (SY_MODEL_ROW (model_row), i, n);
      g_signal_connect_object (model_row, "move", G_CALLBACK (model_row_move), self, 0);
      g_signal_connect_object (model_row, "remove", G_CALLBACK (model_row_remove), self, 0);
      g_signal_connect_object (model_row, "dropped", G_CALLBACK (model_row_dropped), self, 0);
      gtk_list_box_append (self->model_list, model_row);
    }

  g_strfreev (self->shown_models);
  self->shown_models = g_strdupv ((char **) models);

  if (focus == NULL)
    return;
  if (n == 0)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->add_row));
      return;
    }
  row = gtk_list_box_get_row_at_index (self->model_list, CLAMP (focus_row, 0, (int) n - 1));
  /* The button pressed keeps the focus while it can still be pressed. */
  if (focus_action != NULL)
    {
      GtkWidget *button = find_actionable (GTK_WIDGET (row), focus_action);

      if (button != NULL && gtk_widget_is_sensitive (button))
        {
          gtk_widget_grab_focus (button);
          return;
        }
    }
  gtk_widget_grab_focus (GTK_WIDGET (row));
}

static void
update_models (SyProfilesPage *self,
               JsonObject     *profile,
               gboolean        same)
{
  JsonArray *array = sy_json_get_array (profile, "models");
  g_auto(GStrv) models = string_list (array);
  const char *strategy = sy_json_get_string (profile, "strategy");

  gtk_label_set_text (self->model_placeholder,
                      array == NULL
                      ? _("No list: every catalog model is a candidate. Add models to choose them yourself.")
                      : _("No models yet: requests to this profile fail until you add one."));
  adw_preferences_group_set_description (self->models_group,
                                         strategy == NULL || g_str_equal (strategy, "fallback")
                                         ? _("Tried from the top. Drag a model, or press Alt+↑ or Alt+↓ on it, to change the order.")
                                         : _("The candidates of the strategy; among equals, and as fallbacks, the order counts. Drag a model, or press Alt+↑ or Alt+↓ on it, to change it."));

  if (!same || !strv_equal0 ((const char * const *) models, (const char * const *) self->shown_models))
    rebuild_models (self, (const char * const *) models);
}

static gboolean
add_model (SyProfilesPage *self,
           const char     *model_id)
{
  g_autoptr(JsonObject) root = NULL;
  g_auto(GStrv) models = NULL;
  g_autofree char *error = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) added = NULL;
  JsonObject *profile;

  root = begin_edit (self, &profile);
  if (root == NULL)
    return FALSE;
  models = string_list (sy_json_get_array (profile, "models"));
  error = check_model (self, model_id, (const char * const *) models);
  set_error (GTK_WIDGET (self->add_row), self->model_error, error);
  if (error != NULL)
    return FALSE;

  g_strv_builder_addv (builder, (const char **) models);
  g_strv_builder_add (builder, model_id);
  added = g_strv_builder_end (builder);
  set_string_list (profile, "models", (const char * const *) added);
  commit (self, root);
  return TRUE;
}

static void
add_applied (SyProfilesPage *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_row))));

  if (*text == '\0')
    return;
  if (add_model (self, text))
    {
      self->updating = TRUE;
      gtk_editable_set_text (GTK_EDITABLE (self->add_row), "");
      self->updating = FALSE;
    }
}

/* --------------------------------------------------------------- catalog picker */

static void
build_catalog (SyProfilesPage *self)
{
  GPtrArray *models = sy_catalog_get_models (sy_services_get_catalog (self->services));

  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *cost = describe_price (self, info->provider, info->model);
      /* Translators: a model's id and its price */
      g_autofree char *line = g_strdup_printf (_("%s · %s"), info->id, cost);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), info->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), line);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "model-id", g_strdup (info->id), g_free);
      g_object_set_data_full (G_OBJECT (row), "search",
                              g_utf8_casefold (g_strdup_printf ("%s %s", info->id, info->name), -1),
                              g_free);
      gtk_list_box_append (self->catalog_list, row);
    }
}

static gboolean
catalog_filter (GtkListBoxRow *row,
                gpointer       data)
{
  SyProfilesPage *self = data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->catalog_search));
  g_autofree char *needle = g_utf8_casefold (text, -1);

  return strstr (g_object_get_data (G_OBJECT (row), "search"), needle) != NULL;
}

static void
catalog_shown (SyProfilesPage *self)
{
  GtkListBoxRow *row;

  gtk_editable_set_text (GTK_EDITABLE (self->catalog_search), "");
  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->catalog_list, i)) != NULL; i++)
    {
      const char *model_id = g_object_get_data (G_OBJECT (row), "model-id");

      gtk_widget_set_sensitive (GTK_WIDGET (row),
                                self->shown_models == NULL ||
                                !g_strv_contains ((const char * const *) self->shown_models, model_id));
    }
  gtk_list_box_invalidate_filter (self->catalog_list);
}

static void
catalog_search_changed (SyProfilesPage *self)
{
  gtk_list_box_invalidate_filter (self->catalog_list);
}

static void
catalog_row_activated (SyProfilesPage *self,
                       GtkListBoxRow  *row)
{
  const char *model_id = g_object_get_data (G_OBJECT (row), "model-id");

  gtk_popover_popdown (self->catalog_popover);
  add_model (self, model_id);
}

static void
catalog_search_activated (SyProfilesPage *self)
{
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->catalog_list, i)) != NULL; i++)
    if (gtk_widget_get_child_visible (GTK_WIDGET (row)) && gtk_widget_get_sensitive (GTK_WIDGET (row)))
      {
        catalog_row_activated (self, row);
        return;
      }
}

/* ------------------------------------------------------------------- strategy */

static guint
strategy_position (const char *id)
{
  for (guint i = 0; i < G_N_ELEMENTS (strategies); i++)
    if (g_strcmp0 (strategies[i].id, id) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static void
strategy_item_setup (GtkSignalListItemFactory *factory,
                     GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *description = gtk_label_new (NULL);
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_xalign (GTK_LABEL (description), 0);
  gtk_label_set_wrap (GTK_LABEL (description), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (description), 40);
  gtk_widget_add_css_class (description, "dim-label");
  gtk_widget_add_css_class (description, "caption");
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (texts), title);
  gtk_box_append (GTK_BOX (texts), description);
  gtk_box_append (GTK_BOX (box), texts);
  gtk_box_append (GTK_BOX (box), check);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Selected"), -1);
  gtk_list_item_set_child (item, box);
}

static void
strategy_item_bind (GtkSignalListItemFactory *factory,
                    GtkListItem              *item,
                    SyProfilesPage           *self)
{
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *texts = gtk_widget_get_first_child (box);
  GtkWidget *title = gtk_widget_get_first_child (texts);
  GtkWidget *description = gtk_widget_get_next_sibling (title);
  guint position = gtk_list_item_get_position (item);

  if (position >= G_N_ELEMENTS (strategies))
    return;
  gtk_label_set_text (GTK_LABEL (title), _(strategies[position].label));
  gtk_label_set_text (GTK_LABEL (description), _(strategies[position].description));
  gtk_widget_set_opacity (gtk_widget_get_last_child (box),
                          adw_combo_row_get_selected (self->strategy_row) == position ? 1 : 0);
}

static void
setup_strategies (SyProfilesPage *self)
{
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  for (guint i = 0; i < G_N_ELEMENTS (strategies); i++)
    gtk_string_list_append (labels, _(strategies[i].label));
  g_signal_connect (factory, "setup", G_CALLBACK (strategy_item_setup), NULL);
  g_signal_connect_object (factory, "bind", G_CALLBACK (strategy_item_bind), self, 0);
  adw_combo_row_set_expression (self->strategy_row,
                                gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string"));
  adw_combo_row_set_list_factory (self->strategy_row, factory);
  adw_combo_row_set_model (self->strategy_row, G_LIST_MODEL (labels));
}

static void
strategy_selected (SyProfilesPage *self)
{
  guint position = adw_combo_row_get_selected (self->strategy_row);
  g_autoptr(JsonObject) root = NULL;
  JsonObject *profile;

  if (self->updating || position >= G_N_ELEMENTS (strategies))
    return;
  root = begin_edit (self, &profile);
  if (root == NULL ||
      g_strcmp0 (sy_json_get_string (profile, "strategy") ?: "fallback", strategies[position].id) == 0)
    return;
  json_object_set_string_member (profile, "strategy", strategies[position].id);
  commit (self, root);
}

/* ------------------------------------------------------------- general settings */

static void
entry_changed (GtkEditable    *editable,
               SyProfilesPage *self)
{
  if (self->updating)
    return;
  if (editable == GTK_EDITABLE (self->name_row))
    set_error (GTK_WIDGET (self->name_row), self->name_error, NULL);
  else if (editable == GTK_EDITABLE (self->add_row))
    set_error (GTK_WIDGET (self->add_row), self->model_error, NULL);
  else if (editable == GTK_EDITABLE (self->price_row))
    set_error (GTK_WIDGET (self->price_row), self->price_error, NULL);
}

static void
name_applied (SyProfilesPage *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autofree char *error = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonObject *profile;

  if (self->shown == NULL)
    return;
  if (g_str_equal (name, self->shown))
    {
      set_error (GTK_WIDGET (self->name_row), self->name_error, NULL);
      return;
    }
  error = check_name (self, name, self->shown);
  set_error (GTK_WIDGET (self->name_row), self->name_error, error);
  if (error != NULL)
    return;

  root = begin_edit (self, &profile);
  if (root == NULL)
    return;
  json_object_set_string_member (profile, "name", name);
  rename_references (root, self->shown, name);
  g_free (self->selected);
  self->selected = g_strdup (name);
  g_free (self->shown);
  self->shown = g_strdup (name);
  commit (self, root);
}

static void
default_toggled (SyProfilesPage *self)
{
  g_autoptr(JsonObject) root = NULL;
  JsonObject *profile;

  if (self->updating)
    return;
  root = begin_edit (self, &profile);
  if (root == NULL)
    return;
  if (gtk_switch_get_active (self->default_switch))
    json_object_set_string_member (root, "default_profile", self->shown);
  else if (g_strcmp0 (sy_json_get_string (root, "default_profile"), self->shown) == 0)
    json_object_remove_member (root, "default_profile");
  else
    return;
  commit (self, root);
}

/* Optional flags are written only when on: their absence means off. */
static void
set_flag (SyProfilesPage *self,
          const char     *member,
          gboolean        value)
{
  g_autoptr(JsonObject) root = NULL;
  JsonObject *profile;

  if (self->updating)
    return;
  root = begin_edit (self, &profile);
  if (root == NULL || sy_json_get_bool (profile, member, FALSE) == value)
    return;
  if (value)
    json_object_set_boolean_member (profile, member, TRUE);
  else
    json_object_remove_member (profile, member);
  commit (self, root);
}

static void
rescue_toggled (SyProfilesPage *self)
{
  set_flag (self, "rescue", gtk_switch_get_active (self->rescue_switch));
}

static void
local_toggled (SyProfilesPage *self)
{
  set_flag (self, "local_only", gtk_switch_get_active (self->local_switch));
}

/* -------------------------------------------------------------------- filters */

static void
providers_enabled (SyProfilesPage *self)
{
  g_autoptr(JsonObject) root = NULL;
  JsonObject *profile;
  gboolean enabled = adw_expander_row_get_enable_expansion (self->providers_row);

  if (self->updating)
    return;
  root = begin_edit (self, &profile);
  if (root == NULL || json_object_has_member (profile, "providers") == enabled)
    return;

  if (enabled)
    {
      /* Start from the providers the profile uses, so turning the filter on
       * does not rule out its own models. */
      g_auto(GStrv) models = string_list (sy_json_get_array (profile, "models"));
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) ids = NULL;
      g_autoptr(GPtrArray) used = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; models[i] != NULL; i++)
        {
          const char *slash = strchr (models[i], '/');
          g_autofree char *provider = slash != NULL ? g_strndup (models[i], (gsize) (slash - models[i])) : NULL;

          if (provider != NULL && provider_exists (self, provider) &&
              !g_ptr_array_find_with_equal_func (used, provider, g_str_equal, NULL))
            g_ptr_array_add (used, g_steal_pointer (&provider));
        }
      for (guint i = 0; i < used->len; i++)
        g_strv_builder_add (builder, g_ptr_array_index (used, i));
      ids = g_strv_builder_end (builder);
      set_string_list (profile, "providers", (const char * const *) ids);
    }
  else
    json_object_remove_member (profile, "providers");
  commit (self, root);
}

static void
provider_toggled (GtkCheckButton *check,
                  SyProfilesPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "provider-id");
  gboolean active = gtk_check_button_get_active (check);
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) listed = NULL;
  g_auto(GStrv) ids = NULL;
  JsonObject *profile;

  if (self->updating)
    return;
  root = begin_edit (self, &profile);
  if (root == NULL)
    return;
  listed = string_list (sy_json_get_array (profile, "providers"));
  if (g_strv_contains ((const char * const *) listed, id) == active)
    return;
  /* Entries the page does not show (a provider since removed) stay. */
  for (guint i = 0; listed[i] != NULL; i++)
    if (!g_str_equal (listed[i], id))
      g_strv_builder_add (builder, listed[i]);
  if (active)
    g_strv_builder_add (builder, id);
  ids = g_strv_builder_end (builder);
  set_string_list (profile, "providers", (const char * const *) ids);
  commit (self, root);
}

static void
update_provider_filter (SyProfilesPage *self,
                        JsonObject     *profile)
{
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) names = NULL;
  JsonArray *array = sy_json_get_array (profile, "providers");
  g_auto(GStrv) listed = string_list (array);
  g_autoptr(GPtrArray) listed_names = g_ptr_array_new ();
  g_autofree char *subtitle = NULL;

  known_providers (self, &ids, &names);
  if (!strv_equal0 ((const char * const *) ids, (const char * const *) self->shown_providers))
    {
      for (guint i = 0; i < self->provider_checks->len; i++)
        {
          GtkWidget *row = gtk_widget_get_ancestor (g_ptr_array_index (self->provider_checks, i),
                                                    ADW_TYPE_ACTION_ROW);
          adw_expander_row_remove (self->providers_row, row);
        }
      g_ptr_array_set_size (self->provider_checks, 0);

      for (guint i = 0; ids[i] != NULL; i++)
        {
          GtkWidget *row = adw_action_row_new ();
          GtkWidget *check = gtk_check_button_new ();

          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), names[i]);
          if (!g_str_equal (names[i], ids[i]))
            adw_action_row_set_subtitle (ADW_ACTION_ROW (row), ids[i]);
          gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
          gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, names[i], -1);
          g_object_set_data_full (G_OBJECT (check), "provider-id", g_strdup (ids[i]), g_free);
          g_signal_connect_object (check, "toggled", G_CALLBACK (provider_toggled), self, 0);
          adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
          adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
          adw_expander_row_add_row (self->providers_row, row);
          g_ptr_array_add (self->provider_checks, check);
        }
      g_strfreev (self->shown_providers);
      self->shown_providers = g_strdupv (ids);
    }

  for (guint i = 0; i < self->provider_checks->len; i++)
    {
      gboolean active = g_strv_contains ((const char * const *) listed, ids[i]);

      gtk_check_button_set_active (g_ptr_array_index (self->provider_checks, i), active);
      if (active)
        g_ptr_array_add (listed_names, names[i]);
    }
  g_ptr_array_add (listed_names, NULL);

  if (array == NULL)
    subtitle = g_strdup (_("Any provider"));
  else if (listed[0] == NULL)
    subtitle = g_strdup (_("None: no model can be used"));
  else if (listed_names->len == 1)
    subtitle = g_strjoinv (", ", listed);
  else
    subtitle = g_strjoinv (", ", (char **) listed_names->pdata);
  adw_expander_row_set_subtitle (self->providers_row, subtitle);
  adw_expander_row_set_enable_expansion (self->providers_row, array != NULL);
}

static void
price_applied (SyProfilesPage *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->price_row))));
  g_autoptr(JsonObject) root = NULL;
  JsonObject *profile;
  double value = -1;

  if (*text != '\0')
    {
      char *end = NULL;

      /* Either decimal separator, whatever the locale. */
      g_strdelimit (text, ",", '.');
      value = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (value) || value < 0)
        {
          set_error (GTK_WIDGET (self->price_row), self->price_error,
                     _("Enter a price of 0 or more, such as 2.5, or leave it empty for no limit"));
          return;
        }
    }
  set_error (GTK_WIDGET (self->price_row), self->price_error, NULL);

  root = begin_edit (self, &profile);
  if (root == NULL)
    return;
  if (value < 0 ? !json_object_has_member (profile, "max_price")
                : sy_json_get_double (profile, "max_price", -1) == value)
    return;
  if (value < 0)
    json_object_remove_member (profile, "max_price");
  else
    json_object_set_double_member (profile, "max_price", value);
  commit (self, root);
}

/* --------------------------------------------------------------------- details */

static void
update_details (SyProfilesPage *self,
                JsonObject     *profile)
{
  const char *name = sy_json_get_string (profile, "name");
  const char *strategy = sy_json_get_string (profile, "strategy") ?: "fallback";
  gboolean same = g_strcmp0 (self->shown, name) == 0;
  g_autofree char *title = g_markup_escape_text (name, -1);
  g_autofree char *description = NULL;
  guint position;

  g_free (self->shown);
  self->shown = g_strdup (name);

  adw_preferences_group_set_title (self->general_group, title);
  description = g_markup_printf_escaped (_("Tools use it by sending “%s” as their model."), name);
  adw_preferences_group_set_description (self->general_group, description);

  /* What the user is typing, or was told is wrong, stays. */
  if (!same || (!focus_within (self->name_row) &&
                !gtk_widget_has_css_class (GTK_WIDGET (self->name_row), "error")))
    {
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
      set_error (GTK_WIDGET (self->name_row), self->name_error, NULL);
    }
  gtk_switch_set_active (self->default_switch,
                         g_strcmp0 (sy_json_get_string (self->root, "default_profile"), name) == 0);

  position = strategy_position (strategy);
  adw_combo_row_set_selected (self->strategy_row, position);
  if (position != GTK_INVALID_LIST_POSITION)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->strategy_row),
                                 _(strategies[position].description));
  else
    {
      g_autofree char *unknown = g_strdup_printf (_("“%s” is not a strategy this version knows"),
                                                  strategy);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->strategy_row), unknown);
    }
  gtk_switch_set_active (self->rescue_switch, sy_json_get_bool (profile, "rescue", FALSE));

  update_models (self, profile, same);
  if (!same)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->add_row), "");
      set_error (GTK_WIDGET (self->add_row), self->model_error, NULL);
    }

  update_provider_filter (self, profile);
  gtk_switch_set_active (self->local_switch, sy_json_get_bool (profile, "local_only", FALSE));
  if (!same || (!focus_within (self->price_row) &&
                !gtk_widget_has_css_class (GTK_WIDGET (self->price_row), "error")))
    {
      double max_price = sy_json_get_double (profile, "max_price", -1);
      g_autofree char *text = max_price >= 0 ? g_strdup_printf ("%g", max_price) : g_strdup ("");

      gtk_editable_set_text (GTK_EDITABLE (self->price_row), text);
      set_error (GTK_WIDGET (self->price_row), self->price_error, NULL);
    }
}

static void
refresh (SyProfilesPage *self)
{
  JsonObject *profile;

  self->updating = TRUE;
  update_sidebar (self);
  profile = find_profile (self->root, self->selected, NULL);
  gtk_stack_set_visible_child_name (self->main_stack, profile != NULL ? "profiles" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "profiles.duplicate", profile != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "profiles.delete", profile != NULL);
  if (profile != NULL)
    update_details (self, profile);
  else
    g_clear_pointer (&self->shown, g_free);
  self->updating = FALSE;
}

/* ----------------------------------------------------------- profile actions */

static void
select_and_show (SyProfilesPage *self,
                 const char     *name)
{
  g_free (self->selected);
  self->selected = g_strdup (name);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->content);
}

static void
create_profile (SyProfilesPage *self,
                const char     *name)
{
  g_autoptr(JsonObject) root = copy_object (self->root);
  JsonArray *profiles = sy_json_get_array (root, "profiles");
  JsonObject *profile = json_object_new ();

  if (profiles == NULL)
    {
      profiles = json_array_new ();
      json_object_set_array_member (root, "profiles", profiles);
    }
  json_object_set_string_member (profile, "name", name);
  json_object_set_string_member (profile, "strategy", "fallback");
  json_object_set_array_member (profile, "models", json_array_new ());
  json_array_add_object_element (profiles, profile);

  select_and_show (self, name);
  commit (self, root);
  gtk_widget_grab_focus (GTK_WIDGET (self->add_row));
}

static void
new_name_changed (GtkEditable    *entry,
                  SyProfilesPage *self)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (gtk_widget_get_ancestor (GTK_WIDGET (entry),
                                                                          ADW_TYPE_MESSAGE_DIALOG));
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autofree char *error = check_name (self, name, NULL);

  adw_message_dialog_set_response_enabled (dialog, "create", error == NULL);
  /* An empty name is not yet a mistake. */
  set_error (GTK_WIDGET (entry), g_object_get_data (G_OBJECT (entry), "error-label"),
             *name != '\0' ? error : NULL);
}

static void
new_response (AdwMessageDialog *dialog,
              const char       *response,
              SyProfilesPage   *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  g_autofree char *error = NULL;

  if (!g_str_equal (response, "create"))
    return;
  error = check_name (self, name, NULL);
  if (error == NULL)
    create_profile (self, name);
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *entry = adw_entry_row_new ();
  GtkWidget *error = gtk_label_new (NULL);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("New Profile"),
                                   _("Tools ask for a profile by its name, as their model."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "create", _("_Create"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "create",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "create", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "create");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("Name"));
  adw_entry_row_set_activates_default (ADW_ENTRY_ROW (entry), TRUE);
  gtk_list_box_append (GTK_LIST_BOX (list), entry);
  gtk_label_set_wrap (GTK_LABEL (error), TRUE);
  gtk_label_set_xalign (GTK_LABEL (error), 0);
  gtk_widget_add_css_class (error, "error");
  gtk_widget_set_visible (error, FALSE);
  gtk_box_append (GTK_BOX (box), list);
  gtk_box_append (GTK_BOX (box), error);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  g_object_set_data (G_OBJECT (entry), "error-label", error);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_signal_connect_object (entry, "changed", G_CALLBACK (new_name_changed), self, 0);
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static char *
copy_name (SyProfilesPage *self,
           const char     *name)
{
  for (guint i = 1;; i++)
    {
      /* Translators: the name of a duplicated profile; keep it one word, no "/" */
      g_autofree char *candidate = i == 1 ? g_strdup_printf (_("%s-copy"), name)
                                          : g_strdup_printf (_("%s-copy-%u"), name, i);
      g_autofree char *error = check_name (self, candidate, NULL);

      if (error == NULL)
        return g_steal_pointer (&candidate);
    }
}

static void
duplicate_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (widget);
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(JsonArray) reordered = json_array_new ();
  g_autofree char *name = NULL;
  JsonArray *profiles;
  JsonObject *profile;
  JsonObject *copy;
  guint position = 0;

  if (self->shown == NULL)
    return;
  root = copy_object (self->root);
  profile = find_profile (root, self->shown, &position);
  if (profile == NULL)
    return;
  name = copy_name (self, self->shown);
  /* Everything the profile holds comes along, fields this version does not know too. */
  copy = copy_object (profile);
  json_object_set_string_member (copy, "name", name);

  /* json-glib 1.6 arrays have no insert: the copy goes right after its original. */
  profiles = sy_json_get_array (root, "profiles");
  for (guint i = 0; i < json_array_get_length (profiles); i++)
    {
      json_array_add_element (reordered, json_node_copy (json_array_get_element (profiles, i)));
      if (i == position)
        json_array_add_object_element (reordered, copy);
    }
  json_object_set_array_member (root, "profiles", g_steal_pointer (&reordered));

  select_and_show (self, name);
  commit (self, root);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
}

static void
delete_response (AdwMessageDialog *dialog,
                 const char       *response,
                 SyProfilesPage   *self)
{
  const char *name = g_object_get_data (G_OBJECT (dialog), "profile");
  g_autoptr(JsonObject) root = NULL;
  g_auto(GStrv) names = NULL;
  guint position = 0;
  guint n;

  if (!g_str_equal (response, "delete"))
    return;
  root = copy_object (self->root);
  if (find_profile (root, name, &position) == NULL)
    return;
  json_array_remove_element (sy_json_get_array (root, "profiles"), position);
  if (g_strcmp0 (sy_json_get_string (root, "default_profile"), name) == 0)
    json_object_remove_member (root, "default_profile");

  /* The neighbour takes the selection, as in a list the user deletes from. */
  names = profile_names (root);
  n = g_strv_length (names);
  g_free (self->selected);
  self->selected = n > 0 ? g_strdup (names[MIN (position, n - 1)]) : NULL;
  commit (self, root);

  if (n > 0)
    {
      GtkListBoxRow *row = sidebar_row (self, self->selected);

      if (row != NULL)
        gtk_widget_grab_focus (GTK_WIDGET (row));
    }
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->shown == NULL)
    return;
  heading = g_strdup_printf (_("Delete “%s”?"), self->shown);
  if (g_strcmp0 (sy_json_get_string (self->root, "default_profile"), self->shown) == 0)
    body = g_strdup_printf (_("Tools that ask for “%s” will get an error. It is the default "
                              "profile: requests that name no model will use the built-in "
                              "choice instead."), self->shown);
  else
    body = g_strdup_printf (_("Tools that ask for “%s” will get an error."), self->shown);

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "profile", g_strdup (self->shown), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (widget);
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->profile_list);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  if (row != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (row));
}

/* ---------------------------------------------------------------------- object */

static void
sy_profiles_page_constructed (GObject *object)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (object);

  G_OBJECT_CLASS (sy_profiles_page_parent_class)->constructed (object);

  g_assert (SY_IS_SERVICES (self->services));
  self->root = sy_services_dup_config_root (self->services);

  self->updating = TRUE;
  setup_strategies (self);
  build_catalog (self);
  self->updating = FALSE;
  gtk_list_box_set_filter_func (self->catalog_list, catalog_filter, self, NULL);

  g_signal_connect_object (self->services, "notify::config", G_CALLBACK (config_changed), self,
                           G_CONNECT_SWAPPED);
  refresh (self);
}

static void
sy_profiles_page_dispose (GObject *object)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->model_ops_id, g_source_remove);
  g_queue_clear_full (&self->model_ops, (GDestroyNotify) model_op_free);
  /* The bin lets go of its child first: disposing the template unparents
   * main_stack behind AdwBin's back otherwise. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_PROFILES_PAGE);
  g_clear_object (&self->services);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->root, json_object_unref);
  g_clear_pointer (&self->provider_checks, g_ptr_array_unref);

  G_OBJECT_CLASS (sy_profiles_page_parent_class)->dispose (object);
}

static void
sy_profiles_page_finalize (GObject *object)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (object);

  g_clear_pointer (&self->selected, g_free);
  g_clear_pointer (&self->shown, g_free);
  g_clear_pointer (&self->shown_names, g_strfreev);
  g_clear_pointer (&self->shown_models, g_strfreev);
  g_clear_pointer (&self->shown_providers, g_strfreev);

  G_OBJECT_CLASS (sy_profiles_page_parent_class)->finalize (object);
}

static void
sy_profiles_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (object);

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
sy_profiles_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SyProfilesPage *self = SY_PROFILES_PAGE (object);

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
sy_profiles_page_class_init (SyProfilesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = sy_profiles_page_constructed;
  object_class->dispose = sy_profiles_page_dispose;
  object_class->finalize = sy_profiles_page_finalize;
  object_class->get_property = sy_profiles_page_get_property;
  object_class->set_property = sy_profiles_page_set_property;

  properties[PROP_SERVICES] =
    g_param_spec_object ("services", NULL, NULL, SY_TYPE_SERVICES,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SY_TYPE_MODEL_ROW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-profiles-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, main_stack);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, content);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, profile_list);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, general_group);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, name_row);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, name_error);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, default_switch);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, strategy_row);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, rescue_switch);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, models_group);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, model_list);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, model_placeholder);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, add_row);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, model_error);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, catalog_popover);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, catalog_search);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, catalog_list);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, providers_row);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, local_switch);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, price_row);
  gtk_widget_class_bind_template_child (widget_class, SyProfilesPage, price_error);

  gtk_widget_class_bind_template_callback (widget_class, name_applied);
  gtk_widget_class_bind_template_callback (widget_class, entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, default_toggled);
  gtk_widget_class_bind_template_callback (widget_class, strategy_selected);
  gtk_widget_class_bind_template_callback (widget_class, rescue_toggled);
  gtk_widget_class_bind_template_callback (widget_class, add_applied);
  gtk_widget_class_bind_template_callback (widget_class, catalog_shown);
  gtk_widget_class_bind_template_callback (widget_class, catalog_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, catalog_search_activated);
  gtk_widget_class_bind_template_callback (widget_class, catalog_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, providers_enabled);
  gtk_widget_class_bind_template_callback (widget_class, local_toggled);
  gtk_widget_class_bind_template_callback (widget_class, price_applied);

  gtk_widget_class_install_action (widget_class, "profiles.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "profiles.duplicate", NULL, duplicate_action);
  gtk_widget_class_install_action (widget_class, "profiles.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "profiles.back", NULL, back_action);
}

static void
sy_profiles_page_init (SyProfilesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sy_a11y_name_expander_row (self->providers_row,
                             adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->providers_row)));

  self->cancellable = g_cancellable_new ();
  self->provider_checks = g_ptr_array_new ();
  self->focus_model = -1;
  g_queue_init (&self->model_ops);
  g_signal_connect_object (self->profile_list, "row-selected", G_CALLBACK (profile_row_selected),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profile_list, "row-activated", G_CALLBACK (profile_row_activated),
                           self, G_CONNECT_SWAPPED);
}

GtkWidget *
sy_profiles_page_new (SyServices *services)
{
  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  return g_object_new (SY_TYPE_PROFILES_PAGE, "services", services, NULL);
}
