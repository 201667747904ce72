/* test-gui-profiles.c — the Profiles page driven as a user would, checked on disk and through the router.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sy-gui-test-util.h"
#include "sy-model-row.h"

#define CONFIG \
  "{\"server\": {\"port\": 0}," \
  " \"providers\": [{\"id\": \"openai\", \"base_url\": \"@MOCK@\", \"key_env\": \"SY_TEST_KEY\"}]," \
  " \"profiles\": [" \
  "   {\"name\": \"work\", \"strategy\": \"fallback\"," \
  "    \"models\": [\"openai/gpt-4.1-mini\", \"openai/gpt-4.1\"]," \
  "    \"x-team-note\": \"kept\", \"budget\": {\"daily\": 1.5}}," \
  "   {\"name\": \"cheap\", \"strategy\": \"cheapest\", \"models\": [\"openai/gpt-4.1-nano\"]}]," \
  " \"default_profile\": \"work\"," \
  " \"aliases\": {\"w\": \"work\"}," \
  " \"x-future\": {\"answer\": 42}}"

typedef struct {
  SyTestProc *mock;
  SyGuiTest  *gui;
  GtkWidget  *page;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_setenv ("SY_TEST_KEY", "sk-test-profiles", TRUE);
  fixture->mock = sy_test_mock_start (NULL);
  fixture->gui = sy_gui_test_new (CONFIG, fixture->mock);
  sy_window_show_page (fixture->gui->window, "profiles");
  fixture->page = sy_window_get_page (fixture->gui->window, "profiles");
  g_assert_nonnull (fixture->page);
  sy_gui_test_run_for (100);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_pointer (&fixture->gui, sy_gui_test_free);
  sy_test_proc_stop (fixture->mock);
  g_clear_pointer (&fixture->mock, sy_test_proc_free);
}

/* ------------------------------------------------------------------- helpers */

static GtkWidget *
find (GtkWidget  *root,
      GType       type,
      const char *name)
{
  GtkWidget *widget = sy_gui_test_find (root, type, name);

  if (widget == NULL)
    g_error ("No %s named “%s”", g_type_name (type), name);
  return widget;
}

static char *
config_text (Fixture *fixture)
{
  char *text = NULL;

  g_assert_true (g_file_get_contents (fixture->gui->config_path, &text, NULL, NULL));
  return text;
}

static JsonObject *
config_profile (JsonNode   *config,
                const char *name)
{
  JsonArray *profiles = json_object_get_array_member (json_node_get_object (config), "profiles");

  for (guint i = 0; i < json_array_get_length (profiles); i++)
    {
      JsonObject *profile = json_array_get_object_element (profiles, i);

      if (g_strcmp0 (json_object_get_string_member (profile, "name"), name) == 0)
        return profile;
    }
  return NULL;
}

/* "a,b" for the profile's models on disk, NULL when the profile is not there. */
static char *
disk_models (Fixture    *fixture,
             const char *name)
{
  g_autoptr(JsonNode) config = sy_gui_test_read_config (fixture->gui);
  JsonObject *profile = config_profile (config, name);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) models = NULL;
  JsonArray *array;

  if (profile == NULL)
    return NULL;
  array = json_object_get_array_member (profile, "models");
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_strv_builder_add (builder, json_array_get_string_element (array, i));
  models = g_strv_builder_end (builder);
  return g_strjoinv (",", models);
}

/* Names of the profiles on disk, in order, joined with ",". */
static char *
disk_profiles (Fixture *fixture)
{
  g_autoptr(JsonNode) config = sy_gui_test_read_config (fixture->gui);
  JsonArray *profiles = json_object_get_array_member (json_node_get_object (config), "profiles");
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (profiles); i++)
    g_string_append_printf (names, "%s%s", i > 0 ? "," : "",
                            json_object_get_string_member (json_array_get_object_element (profiles, i),
                                                           "name"));
  return g_string_free (g_steal_pointer (&names), FALSE);
}

typedef struct {
  Fixture    *fixture;
  char     *(*read) (Fixture *fixture, const char *arg);
  const char *arg;
  const char *expected;
} DiskWait;

static gboolean
disk_matches (gpointer data)
{
  DiskWait *wait = data;
  g_autofree char *value = wait->read (wait->fixture, wait->arg);

  return g_strcmp0 (value, wait->expected) == 0;
}

static char *
read_models (Fixture    *fixture,
             const char *name)
{
  return disk_models (fixture, name);
}

static char *
read_profiles (Fixture    *fixture,
               const char *unused)
{
  return disk_profiles (fixture);
}

static char *
read_member (Fixture    *fixture,
             const char *path)
{
  g_autoptr(JsonNode) config = sy_gui_test_read_config (fixture->gui);
  JsonNode *node = sy_test_json_path (config, path);

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

/* The file is written before the config is put in force. */
static gboolean
in_force (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr(JsonNode) disk = sy_gui_test_read_config (fixture->gui);
  g_autoptr(JsonNode) used = json_node_init_object (json_node_alloc (),
                                                    sy_config_get_root (sy_services_get_config (fixture->gui->services)));

  return json_node_equal (disk, used);
}

static void
wait_disk (Fixture     *fixture,
           char      *(*read) (Fixture *fixture, const char *arg),
           const char  *arg,
           const char  *expected)
{
  DiskWait wait = { fixture, read, arg, expected };
  g_autofree char *what = g_strdup_printf ("config.json to hold %s = %s", arg ? arg : "profiles",
                                           expected ? expected : "(nothing)");

  sy_gui_test_wait (disk_matches, &wait, 10, what);
  sy_gui_test_wait (in_force, fixture, 10, "the config on disk to be in force");
}

/* Waits a while and checks nothing was written. */
static void
assert_disk_unchanged (Fixture    *fixture,
                       const char *before)
{
  g_autofree char *after = NULL;

  sy_gui_test_run_for (300);
  after = config_text (fixture);
  g_assert_cmpstr (after, ==, before);
}

static void
select_profile (Fixture    *fixture,
                const char *name)
{
  GtkWidget *label = find (fixture->page, GTK_TYPE_LABEL, name);
  GtkWidget *row = gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW);

  g_assert_nonnull (row);
  g_assert_true (gtk_widget_activate (row));
  sy_gui_test_run_for (50);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find (fixture->page, ADW_TYPE_ENTRY_ROW, "Name"))),
                   ==, name);
}

/* The text of the error shown in the group that holds @control, NULL when none. */
static const char *
shown_error (GtkWidget *control)
{
  GtkWidget *group = gtk_widget_get_ancestor (control, ADW_TYPE_PREFERENCES_GROUP);
  GtkWidget *root = group != NULL ? group : gtk_widget_get_parent (gtk_widget_get_parent (control));
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();

  g_ptr_array_add (stack, root);
  while (stack->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (stack, stack->len - 1);

      if (GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "error") &&
          gtk_widget_get_visible (widget))
        return gtk_label_get_text (GTK_LABEL (widget));
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        g_ptr_array_add (stack, child);
    }
  return NULL;
}

static GtkWidget *
find_dialog (void)
{
  return GTK_WIDGET (sy_gui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static gboolean
dialog_gone (gpointer data)
{
  return find_dialog () == NULL;
}

static GtkWidget *
wait_dialog (void)
{
  sy_gui_test_wait (dialog_shown, NULL, 10, "a dialog");
  return find_dialog ();
}

static void
press_button (GtkWidget  *root,
              const char *name)
{
  GtkWidget *button = find (root, GTK_TYPE_BUTTON, name);

  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (gtk_widget_activate (button));
}

static gpointer
find_controller (GtkWidget *widget,
                 GType      type)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;
    }
  return NULL;
}

/* Presses @accel on @widget through its own keyboard shortcuts: the binding the
 * user's key press goes through. */
static void
press_shortcut (GtkWidget  *widget,
                const char *accel)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          g_autofree char *trigger = gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));

          if (g_str_equal (trigger, accel))
            {
              g_assert_true (gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                                           GTK_SHORTCUT_ACTION_EXCLUSIVE, widget,
                                                           gtk_shortcut_get_arguments (shortcut)));
              return;
            }
        }
    }
  g_error ("No shortcut %s on %s", accel, G_OBJECT_TYPE_NAME (widget));
}

/* Sends a chat request for the profile "work" and returns the model the mock got. */
static char *
routed_model (Fixture *fixture,
              guint    port)
{
  const char *token = sy_config_get_token (sy_services_get_config (fixture->gui->services));
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(JsonNode) body = NULL;

  response = sy_test_chat (port, token,
                           "{\"model\": \"work\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
  g_assert_cmpuint (response->status, ==, 200);
  body = sy_test_mock_last_body (fixture->mock);
  return g_strdup (sy_test_json_string (body, "model"));
}

static void
assert_unknown_fields_kept (Fixture *fixture)
{
  g_autoptr(JsonNode) config = sy_gui_test_read_config (fixture->gui);
  JsonObject *work = config_profile (config, "work");

  g_assert_cmpint (sy_test_json_int (config, "x-future.answer"), ==, 42);
  g_assert_cmpstr (sy_test_json_string (config, "aliases.w"), ==, "work");
  g_assert_cmpstr (sy_test_json_string (config, "providers.0.key_env"), ==, "SY_TEST_KEY");
  if (work != NULL)
    {
      g_assert_cmpstr (json_object_get_string_member (work, "x-team-note"), ==, "kept");
      g_assert_cmpfloat (json_object_get_double_member (json_object_get_object_member (work, "budget"),
                                                        "daily"), ==, 1.5);
    }
}

/* ---------------------------------------------------------------------- tests */

static void
test_reorder_keyboard (Fixture       *fixture,
                       gconstpointer  data)
{
  guint port = sy_gui_test_start_endpoint (fixture->gui);
  g_autofree char *first = routed_model (fixture, port);
  GtkWidget *row;
  GtkWidget *focus;

  g_assert_cmpstr (first, ==, "gpt-4.1-mini");

  /* Alt+Up on the focused second model puts it first. */
  row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1");
  gtk_widget_grab_focus (row);
  press_shortcut (row, "<Alt>Up");
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1,openai/gpt-4.1-mini");

  /* The focus follows the model the user moved. */
  focus = gtk_window_get_focus (GTK_WINDOW (fixture->gui->window));
  g_assert_nonnull (focus);
  row = gtk_widget_get_ancestor (focus, SY_TYPE_MODEL_ROW);
  g_assert_nonnull (row);
  g_assert_cmpstr (sy_model_row_get_model_id (SY_MODEL_ROW (row)), ==, "openai/gpt-4.1");

  /* The running router uses the new order for the next request, no restart. */
  g_clear_pointer (&first, g_free);
  first = routed_model (fixture, port);
  g_assert_cmpstr (first, ==, "gpt-4.1");

  /* The Move Down button puts it back. */
  press_button (row, "Move Down");
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1-mini,openai/gpt-4.1");
  g_clear_pointer (&first, g_free);
  first = routed_model (fixture, port);
  g_assert_cmpstr (first, ==, "gpt-4.1-mini");

  /* Alt+Down on the first model. */
  row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1-mini");
  press_shortcut (row, "<Alt>Down");
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1,openai/gpt-4.1-mini");

  /* The top model cannot move up; the bottom one cannot move down. */
  row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1");
  g_assert_false (gtk_widget_is_sensitive (find (row, GTK_TYPE_BUTTON, "Move Up")));
  row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1-mini");
  g_assert_false (gtk_widget_is_sensitive (find (row, GTK_TYPE_BUTTON, "Move Down")));

  assert_unknown_fields_kept (fixture);
}

static void
test_reorder_drag_and_drop (Fixture       *fixture,
                            gconstpointer  data)
{
  guint port = sy_gui_test_start_endpoint (fixture->gui);
  GtkWidget *source_row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1");
  GtkWidget *target_row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1-mini");
  GtkDragSource *drag = find_controller (source_row, GTK_TYPE_DRAG_SOURCE);
  GtkDropTarget *drop = find_controller (target_row, GTK_TYPE_DROP_TARGET);
  g_autoptr(GdkContentProvider) content = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autofree char *first = NULL;
  gboolean accepted = FALSE;

  g_assert_nonnull (drag);
  g_assert_nonnull (drop);

  /* What the dragged row offers, dropped on the upper half of the first row. */
  g_signal_emit_by_name (drag, "prepare", 20.0, 10.0, &content);
  g_assert_nonnull (content);
  g_value_init (&value, SY_TYPE_MODEL_ROW);
  g_assert_true (gdk_content_provider_get_value (content, &value, &error));
  g_assert_no_error (error);
  g_signal_emit_by_name (drop, "drop", &value, 20.0, 1.0, &accepted);
  g_assert_true (accepted);

  wait_disk (fixture, read_models, "work", "openai/gpt-4.1,openai/gpt-4.1-mini");
  first = routed_model (fixture, port);
  g_assert_cmpstr (first, ==, "gpt-4.1");

  /* Dropping the first row below the last one moves it to the end. */
  source_row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1");
  target_row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1-mini");
  drop = find_controller (target_row, GTK_TYPE_DROP_TARGET);
  g_value_set_object (&value, source_row);
  g_signal_emit_by_name (drop, "drop", &value, 20.0,
                         (double) MAX (gtk_widget_get_height (target_row), 2) - 1, &accepted);
  g_assert_true (accepted);
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1-mini,openai/gpt-4.1");
  g_clear_pointer (&first, g_free);
  first = routed_model (fixture, port);
  g_assert_cmpstr (first, ==, "gpt-4.1-mini");

  /* A row dropped on itself changes nothing. */
  target_row = find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1");
  drop = find_controller (target_row, GTK_TYPE_DROP_TARGET);
  g_value_set_object (&value, target_row);
  g_signal_emit_by_name (drop, "drop", &value, 20.0, 1.0, &accepted);
  g_assert_false (accepted);
  assert_unknown_fields_kept (fixture);
}

static void
test_profiles_lifecycle (Fixture       *fixture,
                         gconstpointer  data)
{
  GtkWidget *dialog;
  GtkWidget *entry;

  /* New: the name is asked for in a dialog. */
  press_button (fixture->page, "New Profile");
  dialog = wait_dialog ();
  entry = find (dialog, ADW_TYPE_ENTRY_ROW, "Name");
  gtk_editable_set_text (GTK_EDITABLE (entry), "research");
  press_button (dialog, "_Create");
  wait_disk (fixture, read_profiles, NULL, "work,cheap,research");
  wait_disk (fixture, read_member, "profiles.2.strategy", "fallback");
  sy_gui_test_wait (dialog_gone, NULL, 10, "the dialog to close");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find (fixture->page, ADW_TYPE_ENTRY_ROW, "Name"))),
                   ==, "research");

  /* Duplicate: right after the original, with everything it holds. */
  select_profile (fixture, "work");
  press_button (fixture->page, "Duplicate Profile");
  wait_disk (fixture, read_profiles, NULL, "work,work-copy,cheap,research");
  wait_disk (fixture, read_models, "work-copy", "openai/gpt-4.1-mini,openai/gpt-4.1");
  wait_disk (fixture, read_member, "profiles.1.x-team-note", "kept");
  wait_disk (fixture, read_member, "profiles.1.budget.daily", "1.5");

  /* Default: the switch of the profile shown. */
  g_assert_true (gtk_widget_activate (find (fixture->page, ADW_TYPE_ACTION_ROW, "Default Profile")));
  wait_disk (fixture, read_member, "default_profile", "work-copy");

  /* Rename: the default follows the new name. */
  entry = find (fixture->page, ADW_TYPE_ENTRY_ROW, "Name");
  gtk_editable_set_text (GTK_EDITABLE (entry), "team");
  g_signal_emit_by_name (entry, "apply");
  wait_disk (fixture, read_profiles, NULL, "work,team,cheap,research");
  wait_disk (fixture, read_member, "default_profile", "team");

  /* Delete after confirming; cancelling keeps the profile. */
  select_profile (fixture, "research");
  press_button (fixture->page, "Delete Profile");
  dialog = wait_dialog ();
  press_button (dialog, "_Cancel");
  sy_gui_test_wait (dialog_gone, NULL, 10, "the dialog to close");
  sy_gui_test_run_for (200);
  wait_disk (fixture, read_profiles, NULL, "work,team,cheap,research");

  press_button (fixture->page, "Delete Profile");
  dialog = wait_dialog ();
  press_button (dialog, "_Delete");
  wait_disk (fixture, read_profiles, NULL, "work,team,cheap");
  sy_gui_test_wait (dialog_gone, NULL, 10, "the dialog to close");

  /* Deleting the default profile leaves no default behind. */
  select_profile (fixture, "team");
  press_button (fixture->page, "Delete Profile");
  dialog = wait_dialog ();
  press_button (dialog, "_Delete");
  wait_disk (fixture, read_profiles, NULL, "work,cheap");
  wait_disk (fixture, read_member, "default_profile", NULL);
  sy_gui_test_wait (dialog_gone, NULL, 10, "the dialog to close");

  /* The default switch sets it back. */
  select_profile (fixture, "work");
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (adw_action_row_get_activatable_widget (
    ADW_ACTION_ROW (find (fixture->page, ADW_TYPE_ACTION_ROW, "Default Profile"))))));
  g_assert_true (gtk_widget_activate (find (fixture->page, ADW_TYPE_ACTION_ROW, "Default Profile")));
  wait_disk (fixture, read_member, "default_profile", "work");

  assert_unknown_fields_kept (fixture);
}

static void
test_invalid_edits (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *before = config_text (fixture);
  GtkWidget *name = find (fixture->page, ADW_TYPE_ENTRY_ROW, "Name");
  GtkWidget *add = find (fixture->page, ADW_TYPE_ENTRY_ROW, "Add Model (provider/model)");
  GtkWidget *price = find (fixture->page, ADW_TYPE_ENTRY_ROW, "Maximum Price (USD per Million Tokens)");
  GtkWidget *dialog;
  GtkWidget *entry;
  static const char * const bad_names[] = { "cheap", "a/b", "openai", "w", "   " };

  /* Names: taken, with a slash, a provider, an alias, empty. */
  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++)
    {
      gtk_editable_set_text (GTK_EDITABLE (name), bad_names[i]);
      g_assert_null (shown_error (name));
      g_signal_emit_by_name (name, "apply");
      g_assert_true (gtk_widget_has_css_class (name, "error"));
      g_assert_nonnull (shown_error (name));
      assert_disk_unchanged (fixture, before);
    }
  g_assert_true (strstr (shown_error (name), "“/”") == NULL); /* the last one: empty */
  gtk_editable_set_text (GTK_EDITABLE (name), "cheap");
  g_signal_emit_by_name (name, "apply");
  g_assert_nonnull (strstr (shown_error (name), "already exists"));
  /* Typing again clears the message. */
  gtk_editable_set_text (GTK_EDITABLE (name), "chea");
  g_assert_false (gtk_widget_has_css_class (name, "error"));
  g_assert_null (shown_error (name));
  gtk_editable_set_text (GTK_EDITABLE (name), "work");
  g_signal_emit_by_name (name, "apply");
  assert_disk_unchanged (fixture, before);

  /* Models: an unknown provider, no provider, a model already listed. */
  gtk_editable_set_text (GTK_EDITABLE (add), "nope/gpt-x");
  g_signal_emit_by_name (add, "apply");
  g_assert_true (gtk_widget_has_css_class (add, "error"));
  g_assert_nonnull (strstr (shown_error (add), "nope"));
  assert_disk_unchanged (fixture, before);
  gtk_editable_set_text (GTK_EDITABLE (add), "gpt-4.1");
  g_signal_emit_by_name (add, "apply");
  g_assert_nonnull (shown_error (add));
  gtk_editable_set_text (GTK_EDITABLE (add), "openai/gpt-4.1");
  g_signal_emit_by_name (add, "apply");
  g_assert_nonnull (shown_error (add));
  assert_disk_unchanged (fixture, before);
  g_assert_null (sy_gui_test_find (fixture->page, SY_TYPE_MODEL_ROW, "nope/gpt-x"));

  /* A price below zero, or not a number. */
  gtk_editable_set_text (GTK_EDITABLE (price), "-1");
  g_signal_emit_by_name (price, "apply");
  g_assert_true (gtk_widget_has_css_class (price, "error"));
  g_assert_nonnull (shown_error (price));
  gtk_editable_set_text (GTK_EDITABLE (price), "cheap");
  g_signal_emit_by_name (price, "apply");
  g_assert_nonnull (shown_error (price));
  assert_disk_unchanged (fixture, before);

  /* The new-profile dialog refuses a taken name before anything is created. */
  press_button (fixture->page, "New Profile");
  dialog = wait_dialog ();
  entry = find (dialog, ADW_TYPE_ENTRY_ROW, "Name");
  gtk_editable_set_text (GTK_EDITABLE (entry), "work");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_assert_nonnull (strstr (shown_error (entry), "already exists"));
  g_assert_false (gtk_widget_is_sensitive (find (dialog, GTK_TYPE_BUTTON, "_Create")));
  gtk_editable_set_text (GTK_EDITABLE (entry), "openai");
  g_assert_nonnull (shown_error (entry));
  g_assert_false (gtk_widget_is_sensitive (find (dialog, GTK_TYPE_BUTTON, "_Create")));
  press_button (dialog, "_Cancel");
  sy_gui_test_wait (dialog_gone, NULL, 10, "the dialog to close");
  assert_disk_unchanged (fixture, before);

  /* A model the catalog does not know is fine when its provider exists. */
  gtk_editable_set_text (GTK_EDITABLE (add), "openai/gpt-9-preview");
  g_signal_emit_by_name (add, "apply");
  g_assert_null (shown_error (add));
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1-mini,openai/gpt-4.1,openai/gpt-9-preview");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (add)), ==, "");
  assert_unknown_fields_kept (fixture);
}

static void
test_strategy_and_filters (Fixture       *fixture,
                           gconstpointer  data)
{
  AdwComboRow *strategy = ADW_COMBO_ROW (find (fixture->page, ADW_TYPE_COMBO_ROW, "Strategy"));
  GListModel *labels = adw_combo_row_get_model (strategy);
  g_autofree char *before_subtitle = g_strdup (adw_action_row_get_subtitle (ADW_ACTION_ROW (strategy)));
  GtkWidget *price;
  GtkWidget *providers;
  GtkWidget *row;
  guint cheapest = GTK_INVALID_LIST_POSITION;

  /* The labels are words, each explained. */
  for (guint i = 0; i < g_list_model_get_n_items (labels); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (labels), i), "Cheapest"))
      cheapest = i;
  g_assert_cmpuint (cheapest, !=, GTK_INVALID_LIST_POSITION);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (labels),
                                               adw_combo_row_get_selected (strategy)), ==, "In Order");

  adw_combo_row_set_selected (strategy, cheapest);
  wait_disk (fixture, read_member, "profiles.0.strategy", "cheapest");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (strategy)), !=, before_subtitle);

  /* The other profile keeps its own; going back to it shows it. */
  select_profile (fixture, "cheap");
  adw_combo_row_set_selected (strategy, 0);
  wait_disk (fixture, read_member, "profiles.1.strategy", "fallback");
  wait_disk (fixture, read_member, "profiles.0.strategy", "cheapest");
  select_profile (fixture, "work");
  g_assert_cmpuint (adw_combo_row_get_selected (strategy), ==, cheapest);

  /* Filters. */
  g_assert_true (gtk_widget_activate (find (fixture->page, ADW_TYPE_ACTION_ROW, "Local Models Only")));
  wait_disk (fixture, read_member, "profiles.0.local_only", "true");
  g_assert_true (gtk_widget_activate (find (fixture->page, ADW_TYPE_ACTION_ROW, "Local Models Only")));
  wait_disk (fixture, read_member, "profiles.0.local_only", NULL);

  providers = find (fixture->page, ADW_TYPE_EXPANDER_ROW, "Only These Providers");
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (providers), TRUE);
  wait_disk (fixture, read_member, "profiles.0.providers", "[\"openai\"]");
  row = find (providers, ADW_TYPE_ACTION_ROW, "Anthropic");
  g_assert_true (gtk_widget_activate (row));
  wait_disk (fixture, read_member, "profiles.0.providers", "[\"openai\",\"anthropic\"]");
  adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (providers), FALSE);
  wait_disk (fixture, read_member, "profiles.0.providers", NULL);

  price = find (fixture->page, ADW_TYPE_ENTRY_ROW, "Maximum Price (USD per Million Tokens)");
  gtk_editable_set_text (GTK_EDITABLE (price), "2,5");
  g_signal_emit_by_name (price, "apply");
  wait_disk (fixture, read_member, "profiles.0.max_price", "2.5");
  gtk_editable_set_text (GTK_EDITABLE (price), "");
  g_signal_emit_by_name (price, "apply");
  wait_disk (fixture, read_member, "profiles.0.max_price", NULL);

  g_assert_true (gtk_widget_activate (find (fixture->page, ADW_TYPE_ACTION_ROW, "Rescue Broken Streams")));
  wait_disk (fixture, read_member, "profiles.0.rescue", "true");

  /* A model picked from the catalog is appended; removing one takes it out. */
  row = find (fixture->page, ADW_TYPE_ACTION_ROW, "GPT-4o mini");
  g_assert_true (gtk_widget_activate (row));
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1-mini,openai/gpt-4.1,openai/gpt-4o-mini");
  press_button (find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1"), "Remove");
  wait_disk (fixture, read_models, "work", "openai/gpt-4.1-mini,openai/gpt-4o-mini");

  assert_unknown_fields_kept (fixture);
}

/* Another page's edit reaches this one without a restart, and the reverse. */
static void
test_follows_config (Fixture       *fixture,
                     gconstpointer  data)
{
  SyServices *services = fixture->gui->services;
  g_autoptr(JsonObject) root = sy_services_dup_config_root (services);
  JsonObject *work = json_array_get_object_element (json_object_get_array_member (root, "profiles"), 0);
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(JsonArray) models = json_array_new ();

  json_array_add_string_element (models, "openai/o3");
  json_object_set_array_member (work, "models", json_array_ref (models));
  sy_services_update_config_async (services, root, NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  g_assert_true (sy_services_update_config_finish (services, result, NULL));
  sy_gui_test_run_for (50);

  g_assert_nonnull (sy_gui_test_find (fixture->page, SY_TYPE_MODEL_ROW, "openai/o3"));
  g_assert_null (sy_gui_test_find (fixture->page, SY_TYPE_MODEL_ROW, "openai/gpt-4.1"));
}

int
main (int argc, char *argv[])
{
  sy_gui_test_init (&argc, &argv);

  g_test_add ("/gui/profiles/reorder-keyboard", Fixture, NULL,
              fixture_setup, test_reorder_keyboard, fixture_teardown);
  g_test_add ("/gui/profiles/reorder-drag-and-drop", Fixture, NULL,
              fixture_setup, test_reorder_drag_and_drop, fixture_teardown);
  g_test_add ("/gui/profiles/lifecycle", Fixture, NULL,
              fixture_setup, test_profiles_lifecycle, fixture_teardown);
  g_test_add ("/gui/profiles/invalid-edits", Fixture, NULL,
              fixture_setup, test_invalid_edits, fixture_teardown);
  g_test_add ("/gui/profiles/strategy-and-filters", Fixture, NULL,
              fixture_setup, test_strategy_and_filters, fixture_teardown);
  g_test_add ("/gui/profiles/follows-config", Fixture, NULL,
              fixture_setup, test_follows_config, fixture_teardown);
  return g_test_run ();
}
