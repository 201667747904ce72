/* sy-gui-test-util.c — building the real window in tests: services on a temp config, waiting.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sy-gui-test-util.h"
#include "sy-json.h"

void
sy_gui_test_init (int    *argc,
                  char ***argv)
{
  /* The app's schema, compiled in the build tree; nothing is written to dconf. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_test_init (argc, argv, NULL);
  adw_init ();

  /* What GtkApplication loads from the resource base path for the app. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, "/io/github/switchyard/Switchyard/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
}

static GSettings *
test_settings (void)
{
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GError) error = NULL;

  source = g_settings_schema_source_new_from_directory (SCHEMA_BUILD_DIR,
                                                        g_settings_schema_source_get_default (),
                                                        FALSE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, APP_ID, FALSE);
  g_assert_nonnull (schema);
  return g_settings_new_full (schema, NULL, NULL);
}

SyGuiTest *
sy_gui_test_new (const char *config_json,
                 SyTestProc *mock)
{
  SyGuiTest *test = sy_gui_test_new_services (config_json, mock);

  test->window = g_object_ref_sink (sy_window_new (NULL, test->services));
  gtk_window_present (GTK_WINDOW (test->window));
  sy_gui_test_run_for (100);
  return test;
}

SyGuiTest *
sy_gui_test_new_services (const char *config_json,
                          SyTestProc *mock)
{
  SyGuiTest *test = g_new0 (SyGuiTest, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyKeys) keys = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *text = NULL;

  test->dir = sy_test_mkdtemp ();
  test->config_path = g_build_filename (test->dir, "config.json", NULL);
  test->db_path = g_build_filename (test->dir, "history.db", NULL);
  if (mock != NULL)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1", mock->port);
      g_auto(GStrv) parts = g_strsplit (config_json, "@MOCK@", -1);
      text = g_strjoinv (url, parts);
    }
  else
    text = g_strdup (config_json);
  g_assert_true (g_file_set_contents (test->config_path, text, -1, NULL));

  catalog = sy_catalog_new_default (&error);
  g_assert_no_error (error);
  config = sy_config_load (test->config_path, catalog, &error);
  g_assert_no_error (error);
  keys = sy_keys_new ();
  settings = test_settings ();
  test->services = sy_services_new (catalog, config, keys, test->db_path, settings);
  return test;
}

static gboolean
endpoint_stopped (gpointer data)
{
  return !sy_endpoint_get_busy (data);
}

void
sy_gui_test_free (SyGuiTest *test)
{
  SyEndpoint *endpoint;

  if (test == NULL)
    return;
  endpoint = sy_services_get_endpoint (test->services);
  sy_gui_test_wait (endpoint_stopped, endpoint, 30, "the endpoint to settle");
  if (test->window != NULL)
    gtk_window_destroy (GTK_WINDOW (test->window));
  g_clear_object (&test->window);
  sy_endpoint_shutdown (endpoint);
  sy_gui_test_run_for (50);
  g_clear_object (&test->services);
  sy_test_rmdir (test->dir);
  g_free (test->dir);
  g_free (test->config_path);
  g_free (test->db_path);
  g_free (test);
}

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
sy_gui_test_wait (gboolean  (*done) (gpointer data),
                  gpointer    data,
                  double      timeout_s,
                  const char *what)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add ((guint) (timeout_s * 1000), timed_out, &expired);

  while (!done (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("Timed out after %.0f s waiting for %s", timeout_s, what);
  g_source_remove (id);
}

void
sy_gui_test_run_for (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, timed_out, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
endpoint_settled (gpointer data)
{
  SyEndpoint *endpoint = data;

  return !sy_endpoint_get_busy (endpoint) &&
         (sy_endpoint_get_running (endpoint) || sy_endpoint_get_error (endpoint) != NULL);
}

guint
sy_gui_test_start_endpoint (SyGuiTest *test)
{
  SyEndpoint *endpoint = sy_services_get_endpoint (test->services);

  sy_endpoint_start_async (endpoint, NULL, NULL, NULL);
  sy_gui_test_wait (endpoint_settled, endpoint, 30, "the endpoint to start");
  g_assert_cmpstr (sy_endpoint_get_error (endpoint), ==, NULL);
  return sy_endpoint_get_port (endpoint);
}

JsonNode *
sy_gui_test_read_config (SyGuiTest *test)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (test->config_path, &text, NULL, NULL));
  return sy_test_json_parse (text);
}

static const char *
widget_name (GtkWidget *widget)
{
  const char *text = NULL;

  if (ADW_IS_PREFERENCES_ROW (widget))
    text = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));
  else if (GTK_IS_BUTTON (widget))
    text = gtk_button_get_label (GTK_BUTTON (widget));
  else if (GTK_IS_LABEL (widget))
    text = gtk_label_get_label (GTK_LABEL (widget));
  if (text == NULL || *text == '\0')
    text = gtk_widget_get_tooltip_text (widget);
  return text;
}

GtkWidget *
sy_gui_test_find (GtkWidget  *root,
                  GType       type,
                  const char *name)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) && g_strcmp0 (widget_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = sy_gui_test_find (child, type, name);
      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWindow *
sy_gui_test_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (window))
        return GTK_WINDOW (window);
    }
  return NULL;
}

static gboolean
chooser_shown (gpointer data)
{
  return sy_gui_test_find_toplevel (GTK_TYPE_FILE_CHOOSER) != NULL;
}

static gboolean
chooser_has_file (gpointer data)
{
  GtkWindow *chooser = sy_gui_test_find_toplevel (GTK_TYPE_FILE_CHOOSER);
  g_autoptr(GFile) file = chooser != NULL ? gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser)) : NULL;

  return file != NULL && g_file_equal (file, data);
}

void
sy_gui_test_choose_file (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GtkFileChooser *chooser;

  sy_gui_test_wait (chooser_shown, NULL, 10, "the file chooser");
  chooser = GTK_FILE_CHOOSER (sy_gui_test_find_toplevel (GTK_TYPE_FILE_CHOOSER));
  /* A save chooser first goes to its initial folder, asynchronously: a
   * folder set before it got there would be left. */
  sy_gui_test_run_for (500);
  if (gtk_file_chooser_get_action (chooser) == GTK_FILE_CHOOSER_ACTION_SAVE)
    {
      g_autoptr(GFile) folder = g_file_get_parent (file);
      g_autofree char *name = g_file_get_basename (file);

      g_assert_true (gtk_file_chooser_set_current_folder (chooser, folder, NULL));
      gtk_file_chooser_set_current_name (chooser, name);
    }
  else
    g_assert_true (gtk_file_chooser_set_file (chooser, file, NULL));
  sy_gui_test_wait (chooser_has_file, file, 10, "the file chosen");
  gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
}

GtkWidget *
sy_gui_test_find_by (GtkWidget      *root,
                     gboolean      (*match) (GtkWidget *widget, gconstpointer data),
                     gconstpointer   data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = sy_gui_test_find_by (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
has_type (GtkWidget     *widget,
          gconstpointer  type)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (type));
}

GtkWidget *
sy_gui_test_find_type (GtkWidget *root,
                       GType      type)
{
  return sy_gui_test_find_by (root, has_type, GSIZE_TO_POINTER (type));
}

static gboolean
stack_with_page (GtkWidget     *widget,
                 gconstpointer  name)
{
  return GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), name) != NULL;
}

typedef struct {
  GtkWidget  *root;
  const char *tab;
  const char *needle;
} DetailWait;

static gboolean
detail_shows (gpointer data)
{
  DetailWait *wait = data;
  GtkWidget *stack = sy_gui_test_find_by (wait->root, stack_with_page, wait->tab);
  GtkWidget *view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  g_assert_nonnull (stack);
  view = sy_gui_test_find_type (gtk_stack_get_child_by_name (GTK_STACK (stack), wait->tab), GTK_TYPE_TEXT_VIEW);
  g_assert_nonnull (view);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  return strstr (text, wait->needle) != NULL;
}

void
sy_gui_test_wait_detail (GtkWidget  *root,
                         const char *tab,
                         const char *needle,
                         double      timeout_s)
{
  DetailWait wait = { root, tab, needle };
  g_autofree char *what = g_strdup_printf ("\"%s\" in the %s tab", needle, tab);

  sy_gui_test_wait (detail_shows, &wait, timeout_s, what);
}
