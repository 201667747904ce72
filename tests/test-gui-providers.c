/* test-gui-providers.c — the Providers page driven like a user: keys, Test, local servers, custom providers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "sy-gui-test-util.h"

#define OPENAI_KEY    "sk-test-0123456789abcdefWXYZ"
#define ANTHROPIC_KEY "sk-ant-test-fedcba9876543210QRST"
#define GEMINI_KEY    "AIzaTest-00112233445566778899"
#define BAD_KEY       "invalid-key-5566778899aabbccLMNO"
#define CUSTOM_KEY    "gw-test-aabbccddeeff00112233JKLM"
#define ENV_KEY       "sk-env-99887766554433221100ENVK"

/* The providers the tests touch, and every variable a key could come from. */
static const char * const test_ids[] = { "openai", "anthropic", "google", "groq", "ollama", "r-d-gateway" };
static const char * const key_vars[] = {
  "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GROQ_API_KEY", "MISTRAL_API_KEY",
  "DEEPSEEK_API_KEY", "TOGETHER_API_KEY", "XAI_API_KEY", "OPENROUTER_API_KEY",
};

/* Helpers */

static GtkWidget *
page_of (SyGuiTest *test)
{
  return sy_window_get_page (test->window, "providers");
}

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

static const char *
subtitle_of (GtkWidget *row)
{
  if (ADW_IS_EXPANDER_ROW (row))
    return adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row));
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

typedef struct {
  GtkWidget  *row;
  const char *prefix;
  char       *seen;
} Expect;

static gboolean
subtitle_starts (gpointer data)
{
  Expect *expect = data;
  const char *subtitle = subtitle_of (expect->row);

  /* What the row said on the way, for the log when the wait times out. */
  if (g_strcmp0 (subtitle, expect->seen) != 0)
    {
      g_free (expect->seen);
      expect->seen = g_strdup (subtitle);
      g_test_message ("“%s” says “%s”",
                      adw_preferences_row_get_title (ADW_PREFERENCES_ROW (expect->row)), subtitle);
    }
  return subtitle != NULL && g_str_has_prefix (subtitle, expect->prefix);
}

static void
wait_subtitle (GtkWidget  *row,
               const char *prefix)
{
  Expect expect = { row, prefix, NULL };
  g_autofree char *what = g_strdup_printf ("“%s” to say “%s…”",
                                           adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                           prefix);

  sy_gui_test_wait (subtitle_starts, &expect, 30, what);
  g_free (expect.seen);
}

static gboolean
is_mapped (gpointer widget)
{
  return gtk_widget_get_mapped (widget);
}

/* Opens a row as a user would before reaching inside it. */
static void
expand (GtkWidget *row)
{
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  sy_gui_test_wait (is_mapped, find (row, ADW_TYPE_ACTION_ROW, "Connection"), 10,
                    "the row to open");
}

/* A click, with the button's pressed state like a mouse or Space gives it. */
static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_get_mapped (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  gtk_widget_activate (button);
}

static void
enter_key (GtkWidget  *row,
           const char *key)
{
  GtkWidget *entry = find (row, ADW_TYPE_PASSWORD_ENTRY_ROW, "API Key");

  g_assert_true (gtk_widget_get_mapped (entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), key);
  g_signal_emit_by_name (entry, "apply");
}

/* The key as a fresh SyKeys (no cache) reads it from the real keyring. */
static char *
keyring_lookup (const char *provider_id)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  SyKeySource source;
  char *secret;

  sy_keys_lookup_async (keys, provider_id, NULL, NULL, NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  secret = sy_keys_lookup_finish (keys, result, &source, &error);
  g_assert_no_error (error);
  g_assert_true (secret == NULL || source == SY_KEY_SOURCE_KEYRING);
  return secret;
}

static void
forget_keys (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();

  for (guint i = 0; i < G_N_ELEMENTS (test_ids); i++)
    sy_test_keys_clear (keys, test_ids[i]);
}

/* Any text the window shows (labels, entries, tooltips) holding @needle. */
static gboolean
shows_text (GtkWidget  *widget,
            const char *needle)
{
  const char *tooltip = gtk_widget_get_tooltip_text (widget);

  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;
  if (GTK_IS_EDITABLE (widget) && strstr (gtk_editable_get_text (GTK_EDITABLE (widget)), needle) != NULL)
    return TRUE;
  if (tooltip != NULL && strstr (tooltip, needle) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_text (child, needle))
      return TRUE;
  return FALSE;
}

static gboolean
bytes_hold (const char *data,
            gsize       length,
            const char *needle)
{
  gsize size = strlen (needle);

  /* Not strstr: SQLite files are full of NUL bytes. */
  for (gsize i = 0; i + size <= length; i++)
    if (memcmp (data + i, needle, size) == 0)
      return TRUE;
  return FALSE;
}

/* Whether any file under @dir holds @needle (the config, the history, their WAL). */
static gboolean
dir_holds (const char *dir,
           const char *needle)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (handle);
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_DIR) ? dir_holds (path, needle)
          : g_file_get_contents (path, &contents, &length, NULL) && bytes_hold (contents, length, needle))
        return TRUE;
    }
  return FALSE;
}

static void
assert_key_nowhere (SyGuiTest  *test,
                    const char *key)
{
  g_autofree char *config = NULL;

  g_assert_true (g_file_get_contents (test->config_path, &config, NULL, NULL));
  g_assert_null (strstr (config, key));
  g_assert_false (dir_holds (test->dir, key));
  g_assert_false (shows_text (GTK_WIDGET (test->window), key));
}

static AdwMessageDialog *
find_dialog (void)
{
  return ADW_MESSAGE_DIALOG (sy_gui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL && gtk_widget_get_mapped (GTK_WIDGET (find_dialog ()));
}

static gboolean
no_dialog (gpointer data)
{
  return find_dialog () == NULL;
}

/* The last request the mock got on @path, with its headers. */
static JsonObject *
last_request (SyTestProc *mock,
              const char *path)
{
  g_autoptr(JsonNode) log = sy_test_mock_requests (mock);
  JsonArray *requests = json_node_get_array (sy_test_json_path (log, "requests"));

  for (guint i = json_array_get_length (requests); i > 0; i--)
    {
      JsonObject *request = json_array_get_object_element (requests, i - 1);

      if (g_strcmp0 (json_object_get_string_member (request, "path"), path) == 0)
        return json_object_ref (request);
    }
  g_error ("The mock got no request on %s", path);
}

static const char *
header_of (JsonObject *request,
           const char *name)
{
  return json_object_get_string_member_with_default (json_object_get_object_member (request, "headers"),
                                                     name, NULL);
}

typedef struct {
  SyGuiTest  *test;
  const char *id;
  gboolean    present;
} ConfigExpect;

static gboolean
config_has_provider (gpointer data)
{
  ConfigExpect *expect = data;
  g_autoptr(JsonNode) config = sy_gui_test_read_config (expect->test);
  JsonNode *providers = sy_test_json_path (config, "providers");
  gboolean found = FALSE;

  for (guint i = 0; providers != NULL && i < json_array_get_length (json_node_get_array (providers)); i++)
    {
      JsonObject *entry = json_array_get_object_element (json_node_get_array (providers), i);

      found |= g_strcmp0 (json_object_get_string_member_with_default (entry, "id", NULL), expect->id) == 0;
    }
  return found == expect->present;
}

typedef struct {
  GtkWidget  *root;
  GType       type;
  const char *name;
} Lookup;

static gboolean
found (gpointer data)
{
  Lookup *lookup = data;

  return sy_gui_test_find (lookup->root, lookup->type, lookup->name) != NULL;
}

/* For what appears once the new config is in force, a moment after it is on disk. */
static GtkWidget *
wait_find (GtkWidget  *root,
           GType       type,
           const char *name)
{
  Lookup lookup = { root, type, name };
  g_autofree char *what = g_strdup_printf ("a %s named “%s”", g_type_name (type), name);

  sy_gui_test_wait (found, &lookup, 10, what);
  return sy_gui_test_find (root, type, name);
}

static gboolean
widget_gone (gpointer data)
{
  GtkWidget **widget = data;

  return *widget == NULL;
}

/* Tests */

static void
test_key_to_keyring (void)
{
  g_autoptr(SyGuiTest) test = NULL;
  g_autofree char *stored = NULL;
  GtkWidget *row, *entry, *key_row;

  forget_keys ();
  test = sy_gui_test_new ("{}", NULL);
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "OpenAI");
  wait_subtitle (row, "No key");
  expand (row);
  key_row = find (row, ADW_TYPE_ACTION_ROW, "Stored Key");
  g_assert_false (gtk_widget_get_visible (key_row));

  enter_key (row, OPENAI_KEY);
  wait_subtitle (row, "Key in the keyring");

  stored = keyring_lookup ("openai");
  g_assert_cmpstr (stored, ==, OPENAI_KEY);
  entry = find (row, ADW_TYPE_PASSWORD_ENTRY_ROW, "API Key");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  /* Shown masked: the vendor prefix and the last four characters only. */
  g_assert_true (gtk_widget_get_visible (key_row));
  g_assert_cmpstr (subtitle_of (key_row), ==, "sk-…WXYZ");
  g_assert_true (gtk_widget_get_visible (find (key_row, GTK_TYPE_BUTTON, "Remove Key")));
  g_assert_false (gtk_info_bar_get_revealed (GTK_INFO_BAR (find (page_of (test), GTK_TYPE_INFO_BAR, NULL))));
  assert_key_nowhere (test, OPENAI_KEY);
}

static void
test_remove_key (void)
{
  g_autoptr(SyGuiTest) test = NULL;
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autofree char *stored = NULL;
  GtkWidget *row, *key_row;

  forget_keys ();
  sy_test_keys_store (keys, "anthropic", ANTHROPIC_KEY);
  test = sy_gui_test_new ("{}", NULL);
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "Anthropic");
  wait_subtitle (row, "Key in the keyring");
  expand (row);
  key_row = find (row, ADW_TYPE_ACTION_ROW, "Stored Key");
  g_assert_cmpstr (subtitle_of (key_row), ==, "sk-…QRST");

  click (find (key_row, GTK_TYPE_BUTTON, "Remove Key"));
  wait_subtitle (row, "No key");
  stored = keyring_lookup ("anthropic");
  g_assert_null (stored);
  g_assert_false (gtk_widget_get_visible (key_row));
}

static void
test_connection (void)
{
  g_autoptr(SyGuiTest) test = NULL;
  SyTestProc *mock = sy_test_mock_start (NULL);
  SyKeys *keys;
  GtkWidget *row, *connection;
  const char *subtitle;

  forget_keys ();
  test = sy_gui_test_new ("{\"providers\":["
                          "{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
                          "{\"id\":\"anthropic\",\"base_url\":\"@MOCK@\"},"
                          "{\"id\":\"google\",\"base_url\":\"@MOCK@beta\"},"
                          "{\"id\":\"groq\",\"base_url\":\"http://127.0.0.1:1/v1\"}]}", mock);
  keys = sy_services_get_keys (test->services);

  /* No key: the provider's refusal, said as such. */
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "OpenAI");
  expand (row);
  connection = find (row, ADW_TYPE_ACTION_ROW, "Connection");
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "No key: refused (HTTP 401)");
  {
    g_autoptr(JsonObject) request = last_request (mock, "/v1/models");
    g_assert_null (header_of (request, "authorization"));
  }

  /* A wrong key: the provider's error, without the key it echoed. */
  sy_test_keys_store (keys, "openai", BAD_KEY);
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "Failed (HTTP 401)");
  subtitle = subtitle_of (connection);
  g_assert_nonnull (strstr (subtitle, "Incorrect API key provided"));
  g_assert_null (strstr (subtitle, "inva"));
  assert_key_nowhere (test, BAD_KEY);

  /* The right one: it works, with the number of models and the time it took. */
  sy_test_keys_store (keys, "openai", OPENAI_KEY);
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "Works: 3 models in ");
  g_assert_true (g_str_has_suffix (subtitle_of (connection), " ms"));
  {
    g_autoptr(JsonObject) request = last_request (mock, "/v1/models");
    g_assert_cmpstr (header_of (request, "authorization"), ==, "Bearer " OPENAI_KEY);
  }

  /* Anthropic's headers and list. */
  sy_test_keys_store (keys, "anthropic", ANTHROPIC_KEY);
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "Anthropic");
  expand (row);
  connection = find (row, ADW_TYPE_ACTION_ROW, "Connection");
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "Works: 2 models in ");
  {
    g_autoptr(JsonObject) request = last_request (mock, "/v1/models");
    g_assert_cmpstr (header_of (request, "x-api-key"), ==, ANTHROPIC_KEY);
    g_assert_cmpstr (header_of (request, "anthropic-version"), ==, "2023-06-01");
    g_assert_null (header_of (request, "authorization"));
  }

  /* Gemini's: the key in x-goog-api-key, never in the URL. */
  sy_test_keys_store (keys, "google", GEMINI_KEY);
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "Google Gemini");
  expand (row);
  connection = find (row, ADW_TYPE_ACTION_ROW, "Connection");
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "Works: 4 models in ");
  {
    g_autoptr(JsonObject) request = last_request (mock, "/v1beta/models");
    const char *query = json_object_get_string_member_with_default (request, "query", "");

    g_assert_cmpstr (header_of (request, "x-goog-api-key"), ==, GEMINI_KEY);
    g_assert_null (strstr (query, "key="));
  }

  /* Nobody there. */
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "Groq");
  expand (row);
  connection = find (row, ADW_TYPE_ACTION_ROW, "Connection");
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "Failed: ");

  g_clear_pointer (&test, sy_gui_test_free);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
}

static gboolean
port_answers (guint port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

static void
test_local_server (void)
{
  g_autoptr(SyGuiTest) test = NULL;
  const char *keyless[] = { "--keyless", NULL };
  SyTestProc *mock = sy_test_mock_start (keyless);
  GtkWidget *row, *group;

  forget_keys ();
  test = sy_gui_test_new ("{\"providers\":[{\"id\":\"ollama\",\"base_url\":\"@MOCK@\"}]}", mock);

  /* Found without the user asking: no click anywhere. */
  row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "Ollama");
  wait_subtitle (row, "Running: 3 models");
  g_assert_true (gtk_widget_get_visible (row));
  group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);
  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)), ==, "Local Servers");
  g_assert_false (gtk_widget_get_visible (find (group, ADW_TYPE_ACTION_ROW, "No Local Server Running")));

  /* A server that is not running and not configured stays out of sight. */
  if (!port_answers (1234))
    {
      GtkWidget *lmstudio = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "LM Studio");

      wait_subtitle (lmstudio, "Not running");
      g_assert_false (gtk_widget_get_visible (lmstudio));
    }

  /* Stopped: found out when the page shows again. Configured, it stays to say so. */
  sy_test_proc_kill (mock);
  sy_window_show_page (test->window, "endpoint");
  sy_gui_test_run_for (50);
  sy_window_show_page (test->window, "providers");
  wait_subtitle (row, "Not running");
  g_assert_true (gtk_widget_get_visible (row));

  g_clear_pointer (&test, sy_gui_test_free);
  sy_test_proc_free (mock);
}

static void
test_custom_provider (void)
{
  g_autoptr(SyGuiTest) test = NULL;
  g_autoptr(JsonNode) config = NULL;
  g_autofree char *url = NULL;
  g_autofree char *stored = NULL;
  SyTestProc *mock = sy_test_mock_start (NULL);
  AdwMessageDialog *dialog;
  GtkWidget *row = NULL, *connection, *name, *id, *base_url;
  ConfigExpect added;

  forget_keys ();
  test = sy_gui_test_new ("{}", mock);
  g_assert_true (gtk_widget_get_visible (find (page_of (test), ADW_TYPE_ACTION_ROW, "No Custom Providers")));

  click (find (page_of (test), GTK_TYPE_BUTTON, "Add Custom Provider…"));
  sy_gui_test_wait (dialog_shown, NULL, 10, "the Add Custom Provider dialog");
  dialog = find_dialog ();
  name = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "Name");
  id = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "ID, as in “id/model”");
  base_url = find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "Base URL");

  gtk_editable_set_text (GTK_EDITABLE (name), "R&D <Gateway>");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (id)), ==, "r-d-gateway");
  gtk_editable_set_text (GTK_EDITABLE (base_url), "not a URL");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "add"));
  /* An id that is a preset's is refused too. */
  gtk_editable_set_text (GTK_EDITABLE (id), "openai");
  url = g_strdup_printf ("http://127.0.0.1:%u/v1/", mock->port);
  gtk_editable_set_text (GTK_EDITABLE (base_url), url);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "add"));
  gtk_editable_set_text (GTK_EDITABLE (id), "r-d-gateway");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "add"));
  click (find (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "_Add"));

  added = (ConfigExpect) { test, "r-d-gateway", TRUE };
  sy_gui_test_wait (config_has_provider, &added, 30, "config.json to list r-d-gateway");
  config = sy_gui_test_read_config (test);
  g_assert_cmpstr (sy_test_json_string (config, "providers.0.name"), ==, "R&D <Gateway>");
  g_assert_cmpstr (sy_test_json_string (config, "providers.0.kind"), ==, "openai");
  /* Without the trailing slash: the adapters append "/chat/completions". */
  g_assert_true (g_str_has_suffix (url, "/v1/"));
  url[strlen (url) - 1] = '\0';
  g_assert_cmpstr (sy_test_json_string (config, "providers.0.base_url"), ==, url);
  sy_gui_test_wait (no_dialog, NULL, 10, "the dialog to close");

  /* It is a provider like the others: a key, a Test. */
  row = wait_find (page_of (test), ADW_TYPE_EXPANDER_ROW, "R&D <Gateway>");
  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP))),
                   ==, "Custom Providers");
  g_assert_false (gtk_widget_get_visible (find (page_of (test), ADW_TYPE_ACTION_ROW, "No Custom Providers")));
  expand (row);
  enter_key (row, CUSTOM_KEY);
  wait_subtitle (row, "Key in the keyring");
  connection = find (row, ADW_TYPE_ACTION_ROW, "Connection");
  click (find (connection, GTK_TYPE_BUTTON, "Test"));
  wait_subtitle (connection, "Works: 3 models in ");
  assert_key_nowhere (test, CUSTOM_KEY);

  /* Removed, after a confirmation: out of the config, its key out of the keyring. */
  g_object_add_weak_pointer (G_OBJECT (row), (gpointer *) &row);
  click (find (row, GTK_TYPE_BUTTON, "Remove…"));
  sy_gui_test_wait (dialog_shown, NULL, 10, "the confirmation");
  click (find (GTK_WIDGET (find_dialog ()), GTK_TYPE_BUTTON, "_Remove"));
  added.present = FALSE;
  sy_gui_test_wait (config_has_provider, &added, 30, "config.json to drop r-d-gateway");
  sy_gui_test_wait (widget_gone, &row, 10, "the row to go");
  sy_gui_test_run_for (500);
  stored = keyring_lookup ("r-d-gateway");
  g_assert_null (stored);

  g_clear_pointer (&test, sy_gui_test_free);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
}

static gboolean
info_bar_revealed (gpointer bar)
{
  return gtk_info_bar_get_revealed (bar);
}

/* Runs in a child whose session bus address leads nowhere (see main ()). */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(SyGuiTest) test = NULL;
      GtkWidget *bar, *row;

      g_setenv ("OPENAI_API_KEY", ENV_KEY, TRUE);
      test = sy_gui_test_new ("{}", NULL);
      bar = find (page_of (test), GTK_TYPE_INFO_BAR, NULL);
      sy_gui_test_wait (info_bar_revealed, bar, 30, "the no-keyring banner");
      g_assert_true (shows_text (bar, "gnome-keyring"));
      sy_gui_test_wait (is_mapped, find (bar, GTK_TYPE_BUTTON, "Check Again"), 10,
                        "the banner's Check Again button");

      /* Keys still come from the environment, as the banner says. */
      row = find (page_of (test), ADW_TYPE_EXPANDER_ROW, "OpenAI");
      wait_subtitle (row, "From $OPENAI_API_KEY");
      g_assert_false (shows_text (GTK_WIDGET (test->window), ENV_KEY));
      return;
    }

  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  /* The no-keyring child must not reach the bus even once: libadwaita connects to
   * it in adw_init (the settings portal) and GDBus keeps that connection. */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--GTestSubprocess"))
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/switchyard-test-no-bus", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (key_vars); i++)
    g_unsetenv (key_vars[i]);

  sy_gui_test_init (&argc, &argv);
  g_test_add_func ("/gui/providers/key-to-keyring", test_key_to_keyring);
  g_test_add_func ("/gui/providers/remove-key", test_remove_key);
  g_test_add_func ("/gui/providers/test-connection", test_connection);
  g_test_add_func ("/gui/providers/local-server", test_local_server);
  g_test_add_func ("/gui/providers/custom-provider", test_custom_provider);
  g_test_add_func ("/gui/providers/no-keyring", test_no_keyring);
  return g_test_run ();
}
