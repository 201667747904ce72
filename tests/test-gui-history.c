/* test-gui-history.c — the History page of the real window over a history of
 * known requests: paged reading, search, every filter, the detail, live
 * requests, and what the history keeps (body storage, pruning).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "sy-activity-item.h"
#include "sy-gui-test-util.h"
#include "sy-history-page.h"
#include "sy-request-detail.h"

#define TOKEN "sy-gui-test-token-0123456789abcdef"
#define KEY "sk-gui-test-key-abcdef"
#define CONFIG "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"}," \
               " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_GUI_KEY\"}]," \
               " \"profiles\":[{\"name\":\"auto\",\"models\":[\"openai/gpt-4.1-mini\"]}]," \
               " \"default_profile\":\"auto\", \"unknown_member\": {\"kept\": true}}"

/* 2,500 requests, one a minute, ending an hour ago: every 10th failed, every
 * 25th from "aider", every 3rd with its bodies and a prompt naming a fruit. */
#define N_ROWS 2500

static SyTestProc *mock;

static void set_days    (SyGuiTest *test, GtkWidget *page, int days);
static void wait_pruned (GtkWidget *page);

static const char * const fruits[] = { "apple", "banana", "cherry" };

static gint64
row_time (guint i)
{
  static gint64 end;

  if (end == 0)
    end = (g_get_real_time () / G_USEC_PER_SEC - 3600) * G_USEC_PER_SEC;
  return end - (gint64) (N_ROWS - 1 - i) * 60 * G_USEC_PER_SEC;
}

static void
fill_history (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (path, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < N_ROWS; i++)
    {
      SyHistoryRecord *r = sy_history_record_new ();

      r->request_id = g_strdup_printf ("sy-row-%04u", i);
      r->started_at_us = row_time (i);
      r->client = g_strdup (i % 25 == 0 ? "aider/0.86" : "curl/7.88");
      r->surface = g_strdup ("chat.completions");
      r->requested_model = g_strdup ("auto");
      r->profile = g_strdup ("auto");
      r->provider = g_strdup (i % 2 ? "openai" : "anthropic");
      r->model = g_strdup (i % 2 ? "gpt-4.1-mini" : "claude-haiku-4-5");
      r->status = i % 10 == 0 ? 502 : 200;
      r->prompt_tokens = 1000 + i;
      r->completion_tokens = 10;
      r->cost_known = TRUE;
      r->cost = i / 1000.0;
      r->total_ms = 500;
      if (i % 3 == 0)
        {
          r->request_body = g_strdup_printf ("{\"messages\":[{\"role\":\"user\",\"content\":"
                                             "\"Tell me about the %s number %u\"}]}", fruits[i / 3 % 3], i);
          r->response_body = g_strdup_printf ("{\"answer\":\"row %u\"}", i);
        }
      sy_history_record (history, r);
    }
  sy_history_close (history);
}

static SyHistoryModel *
model_of (GtkWidget *page)
{
  return sy_history_page_get_model (SY_HISTORY_PAGE (page));
}

static gboolean
settled (gpointer data)
{
  return !sy_history_model_get_loading (model_of (data));
}

static GtkWidget *
show_history (SyGuiTest *test)
{
  GtkWidget *page;

  sy_window_show_page (test->window, "history");
  page = sy_window_get_page (test->window, "history");
  g_assert_true (SY_IS_HISTORY_PAGE (page));
  sy_gui_test_run_for (50);
  sy_gui_test_wait (settled, page, 30, "the history to load");
  return page;
}

static gboolean
shows_text (GtkWidget     *widget,
            gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_str_equal (gtk_label_get_text (GTK_LABEL (widget)), text);
}

static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  return sy_gui_test_find_by (root, shows_text, text);
}

/* The control of @type that the label showing @text names: its mnemonic
 * widget, or the control beside it. */
static GtkWidget *
find_labelled (GtkWidget  *root,
               GType       type,
               const char *text)
{
  GtkWidget *label = find_label (root, text);
  GtkWidget *control;

  g_assert_nonnull (label);
  control = gtk_label_get_mnemonic_widget (GTK_LABEL (label));
  if (control == NULL)
    control = gtk_widget_get_next_sibling (label);
  g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (control, type));
  return control;
}

static gboolean
menu_button_starting (GtkWidget     *widget,
                      gconstpointer  prefix)
{
  return GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_label (GTK_MENU_BUTTON (widget)) != NULL &&
         g_str_has_prefix (gtk_menu_button_get_label (GTK_MENU_BUTTON (widget)), prefix);
}

static GtkWidget *
find_menu_button (GtkWidget  *root,
                  const char *prefix)
{
  return sy_gui_test_find_by (root, menu_button_starting, prefix);
}

static GtkWidget *find_stack_page (GtkWidget *root, const char *name);

/* The count line under the toolbar: the label just above the list's stack. */
static char *
count_line (GtkWidget *page)
{
  GtkWidget *stack = gtk_widget_get_parent (find_stack_page (page, "list"));
  GtkWidget *label = gtk_widget_get_prev_sibling (stack);

  g_assert_true (GTK_IS_LABEL (label));
  return g_strdup (gtk_label_get_text (GTK_LABEL (label)));
}

static void
search_for (GtkWidget  *page,
            const char *text)
{
  GtkWidget *entry = sy_gui_test_find_type (page, GTK_TYPE_SEARCH_ENTRY);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  /* search-changed comes after GtkSearchEntry's delay. */
  sy_gui_test_run_for (400);
  sy_gui_test_wait (settled, page, 30, "the search");
}

static void
assert_count (GtkWidget *page,
              guint      expected)
{
  g_autofree char *line = count_line (page);
  g_autofree char *want = g_strdup_printf ("%u request%s", expected, expected == 1 ? "" : "s");

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model_of (page))), ==, expected);
  g_assert_cmpstr (line, ==, want);
}

typedef struct {
  GListModel *model;
  guint       position;
} Slot;

static gboolean
slot_loaded (gpointer data)
{
  Slot *slot = data;
  g_autoptr(SyActivityItem) item = g_list_model_get_item (slot->model, slot->position);

  return item != NULL && !sy_activity_item_is_placeholder (item);
}

/* The request at @position once its page is read. */
static const SyHistoryRecord *
record_at (GtkWidget *page,
           guint      position)
{
  Slot slot = { G_LIST_MODEL (model_of (page)), position };
  g_autoptr(SyActivityItem) item = NULL;

  sy_gui_test_wait (slot_loaded, &slot, 30, "a page of the history");
  item = g_list_model_get_item (slot.model, position);
  return sy_activity_item_get_record (item);
}

static void
test_browse (void)
{
  g_autoptr(SyGuiTest) test = sy_gui_test_new (CONFIG, mock);
  GtkWidget *page;
  GtkWidget *scrolled;
  GtkAdjustment *adjustment;
  const SyHistoryRecord *r;
  guint read_at_top;

  fill_history (test->db_path);
  page = show_history (test);
  assert_count (page, N_ROWS);

  /* Newest first, as the list shows it. */
  r = record_at (page, 0);
  g_assert_cmpstr (r->request_id, ==, "sy-row-2499");
  g_assert_cmpint (r->started_at_us, ==, row_time (N_ROWS - 1));
  sy_gui_test_run_for (200);
  /* Only what is shown was read, not every row. */
  read_at_top = sy_history_model_get_rows_read (model_of (page));
  g_assert_cmpuint (read_at_top, >=, 1);
  g_assert_cmpuint (read_at_top, <=, 3 * SY_HISTORY_MODEL_PAGE);

  /* Scrolling to the end reads the end. */
  scrolled = sy_gui_test_find_type (page, GTK_TYPE_SCROLLED_WINDOW);
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  sy_gui_test_run_for (300);
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  r = record_at (page, N_ROWS - 1);
  g_assert_cmpstr (r->request_id, ==, "sy-row-0000");
  g_assert_cmpint (r->status, ==, 502);
  g_assert_cmpuint (sy_history_model_get_rows_read (model_of (page)), <, N_ROWS / 2);
}

static void
test_search_and_filters (void)
{
  g_autoptr(SyGuiTest) test = sy_gui_test_new (CONFIG, mock);
  GtkWidget *page;
  GtkWidget *cost;
  GtkWidget *from;
  GtkWidget *status;
  GtkWidget *client;
  GtkWidget *filters;
  g_autoptr(GDateTime) last_day = NULL;
  g_autofree char *last_day_text = NULL;
  guint expected;

  fill_history (test->db_path);
  page = show_history (test);

  /* Rows i % 3 == 0 name fruits[i / 3 % 3]: "banana" is in i = 3, 12, 21, … */
  search_for (page, "banana");
  expected = 0;
  for (guint i = 0; i < N_ROWS; i++)
    expected += i % 3 == 0 && i / 3 % 3 == 1;
  assert_count (page, expected);
  search_for (page, "Bana");   /* a prefix, any case */
  assert_count (page, expected);
  search_for (page, "banana 1005");   /* row 1005 names a cherry */
  assert_count (page, 0);
  search_for (page, "banana 1011");
  assert_count (page, 1);
  g_assert_cmpstr (record_at (page, 0)->request_id, ==, "sy-row-1011");
  search_for (page, "durian");
  assert_count (page, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (gtk_widget_get_parent (find_stack_page (page, "list")))), ==, "empty");
  search_for (page, "");
  assert_count (page, N_ROWS);

  /* The filters, as the popover offers them. */
  filters = find_menu_button (page, "Filters");
  g_assert_nonnull (filters);
  gtk_menu_button_popup (GTK_MENU_BUTTON (filters));
  sy_gui_test_run_for (300);

  status = find_labelled (page, GTK_TYPE_DROP_DOWN, "Status");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (status), 2);   /* Failed */
  sy_gui_test_wait (settled, page, 30, "the status filter");
  assert_count (page, N_ROWS / 10);
  g_assert_cmpstr (gtk_menu_button_get_label (GTK_MENU_BUTTON (filters)), ==, "Filters (1)");

  /* Clients come from the history itself. */
  client = find_labelled (page, GTK_TYPE_DROP_DOWN, "Client");
  {
    GListModel *choices;

    sy_gui_test_run_for (200);
    choices = gtk_drop_down_get_model (GTK_DROP_DOWN (client));
    g_assert_cmpuint (g_list_model_get_n_items (choices), ==, 3);
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (choices), 1), ==, "aider/0.86");
  }
  gtk_drop_down_set_selected (GTK_DROP_DOWN (client), 1);
  sy_gui_test_wait (settled, page, 30, "the client filter");
  /* Failed (i % 10 == 0) from aider (i % 25 == 0): i % 50 == 0. */
  assert_count (page, N_ROWS / 50);

  /* Cost above $2.00 (cost is i / 1000): i > 2000. */
  cost = find_labelled (page, GTK_TYPE_ENTRY, "Cost Above (USD)");
  gtk_editable_set_text (GTK_EDITABLE (cost), "2");
  sy_gui_test_wait (settled, page, 30, "the cost filter");
  expected = 0;
  for (guint i = 2001; i < N_ROWS; i++)
    expected += i % 50 == 0;
  assert_count (page, expected);
  gtk_editable_set_text (GTK_EDITABLE (cost), "two");
  g_assert_true (gtk_widget_has_css_class (cost, "error"));
  gtk_editable_set_text (GTK_EDITABLE (cost), "");

  /* From the day of the last request: only that day's. */
  from = find_labelled (page, GTK_TYPE_ENTRY, "From");
  last_day = g_date_time_new_from_unix_local (row_time (N_ROWS - 1) / G_USEC_PER_SEC);
  last_day_text = g_date_time_format (last_day, "%Y-%m-%d");
  gtk_editable_set_text (GTK_EDITABLE (from), last_day_text);
  sy_gui_test_wait (settled, page, 30, "the date filter");
  {
    g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (last_day),
                                                           g_date_time_get_month (last_day),
                                                           g_date_time_get_day_of_month (last_day), 0, 0, 0);
    gint64 start = g_date_time_to_unix (midnight) * G_USEC_PER_SEC;

    expected = 0;
    for (guint i = 0; i < N_ROWS; i++)
      expected += i % 50 == 0 && row_time (i) >= start;
    assert_count (page, expected);
  }
  /* The last day picked in the To calendar: the same requests. */
  {
    GtkWidget *to = find_labelled (page, GTK_TYPE_ENTRY, "To");
    GtkWidget *button = gtk_widget_get_next_sibling (to);
    GtkWidget *calendar;

    g_assert_true (GTK_IS_MENU_BUTTON (button));
    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    sy_gui_test_run_for (100);
    calendar = gtk_popover_get_child (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
    gtk_calendar_select_day (GTK_CALENDAR (calendar), last_day);
    g_signal_emit_by_name (calendar, "day-selected");   /* as a click on the day does */
    g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (to)), ==, last_day_text);
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)))));
    sy_gui_test_wait (settled, page, 30, "the date range");
    assert_count (page, expected);
    gtk_editable_set_text (GTK_EDITABLE (to), "");
    sy_gui_test_wait (settled, page, 30, "the date range");
  }
  gtk_editable_set_text (GTK_EDITABLE (from), "yesterday");
  g_assert_true (gtk_widget_has_css_class (from, "error"));

  /* Clear Filters brings everything back. */
  g_signal_emit_by_name (sy_gui_test_find (page, GTK_TYPE_BUTTON, "C_lear Filters"), "clicked");
  sy_gui_test_wait (settled, page, 30, "clearing the filters");
  assert_count (page, N_ROWS);
  g_assert_cmpstr (gtk_menu_button_get_label (GTK_MENU_BUTTON (filters)), ==, "Filters");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (filters));
}

static gboolean
stack_with_page (GtkWidget     *widget,
                 gconstpointer  name)
{
  return GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), name) != NULL;
}

/* The child named @name of the first stack that has one. */
static GtkWidget *
find_stack_page (GtkWidget  *root,
                 const char *name)
{
  GtkWidget *stack = sy_gui_test_find_by (root, stack_with_page, name);

  return stack != NULL ? gtk_stack_get_child_by_name (GTK_STACK (stack), name) : NULL;
}

static void
select_row (GtkWidget *page,
            guint      position)
{
  GtkWidget *view = sy_gui_test_find_type (page, GTK_TYPE_COLUMN_VIEW);
  GtkSelectionModel *selection = gtk_column_view_get_model (GTK_COLUMN_VIEW (view));

  gtk_selection_model_select_item (selection, position, TRUE);
}

static void
test_detail (void)
{
  g_autoptr(SyGuiTest) test = sy_gui_test_new (CONFIG, mock);
  GtkWidget *page;
  GtkWidget *detail;

  fill_history (test->db_path);
  page = show_history (test);
  detail = sy_gui_test_find_type (page, SY_TYPE_REQUEST_DETAIL);

  /* Row 2499 (= 3 × 833) has its bodies, read from the database when
   * selected. */
  search_for (page, "number 2499");
  assert_count (page, 1);
  record_at (page, 0);
  select_row (page, 0);
  sy_gui_test_wait_detail (detail, "request", "Tell me about the", 30);
  sy_gui_test_wait_detail (detail, "request", "number 2499", 30);
  sy_gui_test_wait_detail (detail, "response", "row 2499", 30);

  /* Row 2498 was recorded without bodies. */
  search_for (page, "");
  g_assert_cmpstr (record_at (page, 1)->request_id, ==, "sy-row-2498");
  select_row (page, 1);
  sy_gui_test_wait_detail (detail, "request", "Not stored", 30);
  sy_gui_test_wait_detail (detail, "response", "Not stored", 30);

  /* Without a running router, bodies past the age go when asked. */
  set_days (test, page, 1);
  search_for (page, "banana 30");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model_of (page))), >, 0);
  g_signal_emit_by_name (sy_gui_test_find (page, GTK_TYPE_BUTTON, "_Delete Older Bodies Now"), "clicked");
  wait_pruned (page);
  search_for (page, "banana 2496");
  assert_count (page, 1);
}

typedef struct {
  GtkWidget  *page;
  const char *request_id;
} TopWait;

static gboolean
on_top (gpointer data)
{
  TopWait *wait = data;
  GListModel *model = G_LIST_MODEL (model_of (wait->page));
  g_autoptr(SyActivityItem) item = g_list_model_get_n_items (model) > 0 ? g_list_model_get_item (model, 0) : NULL;

  return item != NULL && !sy_activity_item_is_placeholder (item) &&
         g_strcmp0 (sy_activity_item_get_record (item)->requested_model, wait->request_id) == 0;
}

static void
set_days (SyGuiTest *test,
          GtkWidget *page,
          int        days)
{
  g_autoptr(JsonNode) config = NULL;
  GtkWidget *spin = find_labelled (page, GTK_TYPE_SPIN_BUTTON, "Delete bodies after (days, 0 keeps them)");
  GtkWidget *button = sy_gui_test_find (page, GTK_TYPE_BUTTON, "_Delete Older Bodies Now");
  JsonObject *history;

  g_assert_false (gtk_widget_get_sensitive (button));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), days);
  g_assert_true (gtk_widget_get_sensitive (button));
  sy_gui_test_run_for (500);
  config = sy_gui_test_read_config (test);
  history = json_object_get_object_member (json_node_get_object (config), "history");
  g_assert_cmpint (json_object_get_int_member (history, "body_days"), ==, days);
}

/* Waits for row 30's text to leave the search index. */
static void
wait_pruned (GtkWidget *page)
{
  for (guint i = 0; i < 50 && g_list_model_get_n_items (G_LIST_MODEL (model_of (page))) > 0; i++)
    search_for (page, i % 2 ? "banana 30" : "banana  30");
  assert_count (page, 0);
}

/* Requests routed while the page is open appear at the top; body storage and
 * pruning edit the config and the history. */
static void
test_live_and_storage (void)
{
  g_autoptr(SyGuiTest) test = sy_gui_test_new (CONFIG, mock);
  g_autoptr(SyTestResponse) first = NULL;
  g_autoptr(SyTestResponse) second = NULL;
  g_autoptr(JsonNode) config = NULL;
  GtkWidget *page;
  GtkWidget *bodies;
  GtkWidget *detail;
  JsonObject *history;
  TopWait top;
  guint port;

  fill_history (test->db_path);
  page = show_history (test);
  detail = sy_gui_test_find_type (page, SY_TYPE_REQUEST_DETAIL);
  port = sy_gui_test_start_endpoint (test);

  first = sy_test_chat (port, TOKEN, "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":"
                                     "[{\"role\":\"user\",\"content\":\"live kiwi question\"}]}");
  g_assert_cmpuint (first->status, ==, 200);
  top.page = page;
  top.request_id = "openai/gpt-4.1-mini";
  sy_gui_test_wait (on_top, &top, 30, "the live request at the top");
  assert_count (page, N_ROWS + 1);
  search_for (page, "kiwi");
  assert_count (page, 1);
  select_row (page, 0);
  sy_gui_test_wait_detail (detail, "request", "live kiwi question", 30);

  /* Turning body storage off is saved in the config (other members kept) and
   * the next request keeps metadata only. */
  bodies = find_labelled (page, GTK_TYPE_SWITCH, "Keep request and response bodies");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (bodies)));
  gtk_switch_set_active (GTK_SWITCH (bodies), FALSE);
  sy_gui_test_run_for (500);
  config = sy_gui_test_read_config (test);
  history = json_object_get_object_member (json_node_get_object (config), "history");
  g_assert_nonnull (history);
  g_assert_false (json_object_get_boolean_member (history, "store_bodies"));
  g_assert_true (json_object_has_member (json_node_get_object (config), "unknown_member"));

  second = sy_test_chat (port, TOKEN, "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":"
                                      "[{\"role\":\"user\",\"content\":\"second kiwi question\"}]}");
  g_assert_cmpuint (second->status, ==, 200);
  search_for (page, "");
  sy_gui_test_run_for (1500);
  sy_gui_test_wait (settled, page, 30, "the history");
  assert_count (page, N_ROWS + 2);
  search_for (page, "kiwi");
  assert_count (page, 1);   /* the second one has no text to search */
  search_for (page, "");
  select_row (page, 0);
  sy_gui_test_wait_detail (detail, "request", "Not stored", 30);

  /* Keeping bodies one day: the running router has the history prune older
   * ones by itself. Row 30 (41 hours ago) loses its searchable text; row 2496
   * (an hour ago) and the live one keep theirs. */
  search_for (page, "banana 30");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model_of (page))), >, 0);
  set_days (test, page, 1);
  wait_pruned (page);
  search_for (page, "banana 2496");
  assert_count (page, 1);
  search_for (page, "kiwi");
  assert_count (page, 1);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("SY_GUI_KEY", KEY, TRUE);
  sy_gui_test_init (&argc, &argv);
  mock = sy_test_mock_start (NULL);

  g_test_add_func ("/gui/history/browse", test_browse);
  g_test_add_func ("/gui/history/search-and-filters", test_search_and_filters);
  g_test_add_func ("/gui/history/detail", test_detail);
  g_test_add_func ("/gui/history/live-and-storage", test_live_and_storage);

  status = g_test_run ();
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
