/* test-gui-activity.c — the Endpoint and Activity pages of the real window: the endpoint
 * started from its switch serves real HTTP, requests show up live with their figures.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sy-activity-item.h"
#include "sy-gui-test-util.h"
#include "sy-json.h"

#define TOKEN "sy-gui-test-token-0123456789abcdef"
#define KEY "sk-gui-test-key-abcdef"
#define PROMPT "Hello from the GUI test"

static SyTestProc *mock;

static char *
config_for_port (guint port)
{
  return g_strdup_printf ("{\"server\":{\"port\":%u,\"token\":\"" TOKEN "\"},"
                          " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_GUI_KEY\"}],"
                          " \"profiles\":[{\"name\":\"auto\",\"models\":[\"openai/gpt-4.1-mini\"]}],"
                          " \"default_profile\":\"auto\"}", port);
}

static SyGuiTest *
new_test (guint port)
{
  g_autofree char *config = config_for_port (port);

  return sy_gui_test_new (config, mock);
}

static GtkWidget *
page (SyGuiTest  *test,
      const char *name)
{
  sy_window_show_page (test->window, name);
  sy_gui_test_run_for (50);
  return sy_window_get_page (test->window, name);
}

static AdwActionRow *
row (GtkWidget  *root,
     const char *title)
{
  GtkWidget *found = sy_gui_test_find (root, ADW_TYPE_ACTION_ROW, title);

  g_assert_nonnull (found);
  return ADW_ACTION_ROW (found);
}

static gboolean
endpoint_settled (gpointer data)
{
  SyEndpoint *endpoint = data;

  return !sy_endpoint_get_busy (endpoint) &&
         (sy_endpoint_get_running (endpoint) || sy_endpoint_get_error (endpoint) != NULL);
}

/* Turns the endpoint on as a user does: the switch row on the Endpoint page. */
static guint
switch_on (SyGuiTest *test)
{
  SyEndpoint *endpoint = sy_services_get_endpoint (test->services);
  AdwActionRow *serve = row (page (test, "endpoint"), "Serve on This Computer");

  g_assert_false (gtk_switch_get_active (GTK_SWITCH (adw_action_row_get_activatable_widget (serve))));
  adw_action_row_activate (serve);
  sy_gui_test_wait (endpoint_settled, endpoint, 30, "the endpoint to start");
  return sy_endpoint_get_port (endpoint);
}

typedef struct {
  GListModel *model;
  guint       count;
  const char *status;    /* NULL: any finished item */
} ItemsWanted;

static SyActivityItem *
item_at (GListModel *model,
         guint       position)
{
  g_autoptr(SyActivityItem) item = g_list_model_get_item (model, position);
  return item;   /* the model keeps it */
}

static char *
prop (gpointer    object,
      const char *name)
{
  char *value = NULL;

  g_object_get (object, name, &value, NULL);
  return value;
}

static gboolean
have_items (gpointer data)
{
  ItemsWanted *wanted = data;
  guint n = g_list_model_get_n_items (wanted->model);

  if (n < wanted->count)
    return FALSE;
  for (guint i = 0; i < wanted->count; i++)
    {
      SyActivityItem *item = item_at (wanted->model, i);
      g_autofree char *status = prop (item, "status");

      if (wanted->status == NULL ? !sy_activity_item_get_finished (item) : g_strcmp0 (status, wanted->status) != 0)
        return FALSE;
    }
  return TRUE;
}

static GtkColumnView *
column_view (GtkWidget *root)
{
  if (GTK_IS_COLUMN_VIEW (root))
    return GTK_COLUMN_VIEW (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkColumnView *found = column_view (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A request sent with libsoup shows up in Activity with its route, tokens, cost
 * and timings, and its row opens the bodies and the route explanation. */
static void
test_request_shows_up (void)
{
  g_autoptr(SyGuiTest) test = new_test (0);
  g_autoptr(SyTestResponse) response = NULL;
  g_autofree char *status = NULL, *route = NULL, *cost = NULL, *tokens = NULL, *ttft = NULL, *duration = NULL;
  g_autofree char *requested = NULL;
  GtkWidget *activity;
  GListModel *model;
  SyActivityItem *item;
  guint port;

  port = switch_on (test);
  g_assert_cmpuint (port, >, 0);
  g_assert_true (sy_endpoint_get_running (sy_services_get_endpoint (test->services)));

  activity = page (test, "activity");
  model = G_LIST_MODEL (gtk_column_view_get_model (column_view (activity)));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  response = sy_test_chat (port, TOKEN, "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":"
                                        "[{\"role\":\"user\",\"content\":\"" PROMPT "\"}]}");
  g_assert_cmpuint (response->status, ==, 200);

  sy_gui_test_wait (have_items, &(ItemsWanted) { model, 1, "200" }, 30, "the request in Activity");
  item = item_at (model, 0);
  status = prop (item, "status");
  route = prop (item, "route");
  cost = prop (item, "cost");
  tokens = prop (item, "tokens");
  ttft = prop (item, "ttft");
  duration = prop (item, "duration");
  requested = prop (item, "requested-model");
  g_assert_cmpstr (requested, ==, "openai/gpt-4.1-mini");
  g_assert_cmpstr (route, ==, "openai/gpt-4.1-mini");
  /* The figures the client was told. */
  {
    g_autofree char *expected_tokens = g_strdup_printf ("%" G_GINT64_FORMAT " → %" G_GINT64_FORMAT,
                                                        sy_test_json_int (response->json, "usage.prompt_tokens"),
                                                        sy_test_json_int (response->json, "usage.completion_tokens"));
    double client_cost = sy_test_json_double (response->json, "usage.cost");

    g_assert_cmpstr (tokens, ==, expected_tokens);
    g_assert_true (client_cost > 0);
    g_assert_cmpfloat_with_epsilon (g_ascii_strtod (cost + 1, NULL), client_cost, 1e-6);
  }
  g_assert_true (g_str_has_suffix (ttft, " ms") || g_str_has_suffix (ttft, " s"));
  g_assert_true (g_str_has_suffix (duration, " ms") || g_str_has_suffix (duration, " s"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (gtk_widget_get_first_child (activity))), ==, "list");

  /* Selecting the row shows the request body and the route. */
  gtk_selection_model_select_item (gtk_column_view_get_model (column_view (activity)), 0, TRUE);
  sy_gui_test_wait_detail (activity, "request", PROMPT, 10);
  sy_gui_test_wait_detail (activity, "response", "Hello", 10);
  sy_gui_test_wait_detail (activity, "route", "\"attempts\"", 10);
}

typedef struct {
  guint  port;
  guint  status;
  GPtrArray *events;
} StreamJob;

static gpointer
stream_thread (gpointer data)
{
  StreamJob *job = data;

  job->events = sy_test_stream (job->port, TOKEN,
                                "{\"model\":\"auto\",\"stream\":true,\"messages\":"
                                "[{\"role\":\"user\",\"content\":\"" PROMPT "\"}]}",
                                &job->status, NULL, NULL);
  return NULL;
}

/* A stream is listed while it runs (before its answer is complete), then gets its
 * figures; a profile name is routed and shown with the model that answered. */
static void
test_stream_is_live (void)
{
  g_autoptr(SyGuiTest) test = new_test (0);
  StreamJob job = { 0 };
  GListModel *model;
  GThread *thread;
  g_autofree char *route = NULL, *ttft = NULL;

  job.port = switch_on (test);
  model = G_LIST_MODEL (gtk_column_view_get_model (column_view (page (test, "activity"))));
  sy_test_mock_faults (mock, "[{\"kind\":\"drip\",\"delay_ms\":150}]");

  thread = g_thread_new ("stream", stream_thread, &job);
  sy_gui_test_wait (have_items, &(ItemsWanted) { model, 1, "Streaming" }, 30, "the stream listed while it runs");
  sy_gui_test_wait (have_items, &(ItemsWanted) { model, 1, "200" }, 30, "the stream finished");
  g_thread_join (thread);
  g_assert_cmpuint (job.status, ==, 200);
  g_ptr_array_unref (job.events);

  route = prop (item_at (model, 0), "route");
  ttft = prop (item_at (model, 0), "ttft");
  g_assert_cmpstr (route, ==, "openai/gpt-4.1-mini");
  g_assert_cmpstr (ttft, !=, "—");
  sy_test_mock_reset (mock);
}

/* A busy port is said plainly on the page; choosing another port starts it. */
static void
test_port_in_use (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(SyGuiTest) test = NULL;
  g_autoptr(JsonNode) saved = NULL;
  SyEndpoint *endpoint;
  GtkWidget *endpoint_page;
  AdwActionRow *status;
  GtkAdjustment *adjustment;
  guint busy_port;

  busy_port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  test = new_test (busy_port);
  endpoint = sy_services_get_endpoint (test->services);

  switch_on (test);
  endpoint_page = page (test, "endpoint");
  status = row (endpoint_page, "Status");
  g_assert_false (sy_endpoint_get_running (endpoint));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (status), "already in use"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (status), "error"));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (adw_action_row_get_activatable_widget (row (endpoint_page, "Serve on This Computer")))));

  /* Port 0: any free one. The edit is saved, and the endpoint starts on it. */
  adjustment = gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (adw_action_row_get_activatable_widget (row (endpoint_page, "Port"))));
  gtk_adjustment_set_value (adjustment, 0);
  sy_gui_test_wait ((gboolean (*) (gpointer)) sy_endpoint_get_running, endpoint, 30, "the endpoint on a free port");
  g_assert_cmpuint (sy_endpoint_get_port (endpoint), !=, busy_port);
  g_assert_null (strstr (adw_action_row_get_subtitle (status), "already in use"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (status), "error"));
  saved = sy_gui_test_read_config (test);
  g_assert_cmpint (sy_test_json_int (saved, "server.port"), ==, 0);
}

typedef struct {
  GdkClipboard *clipboard;
  char         *text;
  gboolean      done;
} ClipboardRead;

static void
clipboard_read (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  ClipboardRead *read = data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  read->done = TRUE;
}

static gboolean
clipboard_done (gpointer data)
{
  return ((ClipboardRead *) data)->done;
}

static char *
clipboard_text (GtkWidget *widget)
{
  ClipboardRead read = { gtk_widget_get_clipboard (widget), NULL, FALSE };

  gdk_clipboard_read_text_async (read.clipboard, NULL, clipboard_read, &read);
  sy_gui_test_wait (clipboard_done, &read, 10, "the clipboard");
  return read.text;
}

static gboolean
token_changed (gpointer data)
{
  SyGuiTest *test = data;

  return g_strcmp0 (sy_config_get_token (sy_services_get_config (test->services)), TOKEN) != 0;
}

static AdwMessageDialog *
find_dialog (void)
{
  return ADW_MESSAGE_DIALOG (sy_gui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

/* Regenerating the token (after a confirmation) writes it to config, the running
 * endpoint refuses the old one at once and takes the new one; copy buttons copy the
 * full token and ready snippets, while the page shows only a masked token. */
static void
test_token_and_snippets (void)
{
  g_autoptr(SyGuiTest) test = new_test (0);
  g_autoptr(SyTestResponse) old_refused = NULL;
  g_autoptr(SyTestResponse) new_accepted = NULL;
  g_autoptr(JsonNode) saved = NULL;
  g_autofree char *copied_token = NULL;
  g_autofree char *copied_snippet = NULL;
  g_autofree char *copied_url = NULL;
  g_autofree char *expected_url = NULL;
  const char *body = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  GtkWidget *endpoint_page;
  AdwMessageDialog *dialog;
  const char *new_token;
  guint port;

  port = switch_on (test);
  endpoint_page = page (test, "endpoint");

  /* No full token on screen: not in the token row, not in a snippet. */
  g_assert_null (strstr (adw_action_row_get_subtitle (row (endpoint_page, "Token")), TOKEN));
  for (guint i = 0; i < 5; i++)
    {
      const char *titles[] = { "curl", "OpenAI SDKs", "Claude Code", "Codex CLI", "Continue" };
      GtkWidget *snippet = sy_gui_test_find (endpoint_page, ADW_TYPE_EXPANDER_ROW, titles[i]);
      GtkWidget *label;

      g_assert_nonnull (snippet);
      label = sy_gui_test_find (snippet, GTK_TYPE_LABEL, NULL);
      g_assert_null (label == NULL ? NULL : strstr (gtk_label_get_label (GTK_LABEL (label)), TOKEN));
    }

  gtk_widget_activate_action (endpoint_page, "endpoint.regenerate-token", NULL);
  sy_gui_test_run_for (100);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "regenerate");
  sy_gui_test_wait (token_changed, test, 10, "the new token");
  new_token = sy_config_get_token (sy_services_get_config (test->services));
  g_assert_true (g_str_has_prefix (new_token, "sy-"));

  saved = sy_gui_test_read_config (test);
  g_assert_cmpstr (sy_test_json_string (saved, "server.token"), ==, new_token);
  /* The endpoint kept running and took the new token without a restart. */
  g_assert_cmpuint (sy_endpoint_get_port (sy_services_get_endpoint (test->services)), ==, port);
  old_refused = sy_test_chat (port, TOKEN, body);
  g_assert_cmpuint (old_refused->status, ==, 401);
  new_accepted = sy_test_chat (port, new_token, body);
  g_assert_cmpuint (new_accepted->status, ==, 200);

  gtk_widget_activate_action (endpoint_page, "endpoint.copy-token", NULL);
  copied_token = clipboard_text (endpoint_page);
  g_assert_cmpstr (copied_token, ==, new_token);

  expected_url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  gtk_widget_activate_action (endpoint_page, "endpoint.copy-url", NULL);
  copied_url = clipboard_text (endpoint_page);
  g_assert_cmpstr (copied_url, ==, expected_url);

  gtk_widget_activate_action (endpoint_page, "endpoint.copy-snippet", "s", "claude-code");
  copied_snippet = clipboard_text (endpoint_page);
  g_assert_nonnull (strstr (copied_snippet, "ANTHROPIC_BASE_URL=http://127.0.0.1:"));
  g_assert_nonnull (strstr (copied_snippet, new_token));
  g_assert_null (strstr (copied_snippet, "/v1\n"));   /* Claude Code appends /v1 itself */
}

static gboolean
endpoint_stopped (gpointer data)
{
  return !sy_endpoint_get_busy (data) && !sy_endpoint_get_running (data);
}

/* Turning the switch off stops the endpoint: connections are refused. */
static void
test_switch_off (void)
{
  g_autoptr(SyGuiTest) test = new_test (0);
  SyEndpoint *endpoint = sy_services_get_endpoint (test->services);
  guint port = switch_on (test);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  AdwActionRow *serve = row (page (test, "endpoint"), "Serve on This Computer");

  g_assert_true (gtk_switch_get_active (GTK_SWITCH (adw_action_row_get_activatable_widget (serve))));
  /* The switch slides (an animation) before it turns off. */
  adw_action_row_activate (serve);
  sy_gui_test_wait (endpoint_stopped, endpoint, 30, "the endpoint to stop");
  g_assert_false (sy_endpoint_get_running (endpoint));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (adw_action_row_get_activatable_widget (serve))));
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("SY_GUI_KEY", KEY, TRUE);
  sy_gui_test_init (&argc, &argv);
  mock = sy_test_mock_start (NULL);

  g_test_add_func ("/gui/activity/request-shows-up", test_request_shows_up);
  g_test_add_func ("/gui/activity/stream-is-live", test_stream_is_live);
  g_test_add_func ("/gui/endpoint/port-in-use", test_port_in_use);
  g_test_add_func ("/gui/endpoint/token-and-snippets", test_token_and_snippets);
  g_test_add_func ("/gui/endpoint/switch-off", test_switch_off);

  status = g_test_run ();
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
