/* test-gui-dashboard.c — the Dashboard page of the real window over a history of known
 * requests: totals, each chart's data, range and group, empty history, rendering,
 * export and import, and the What If.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "sy-chart.h"
#include "sy-dashboard-page.h"
#include "sy-gui-test-util.h"
#include "sy-history.h"
#include "sy-what-if.h"

#define CONFIG "{\"server\":{\"port\":0,\"token\":\"sy-gui-test-token-0123456789abcdef\"}," \
               " \"providers\":[{\"id\":\"openai\",\"base_url\":\"http://127.0.0.1:1/v1\"}," \
               "              {\"id\":\"anthropic\",\"base_url\":\"http://127.0.0.1:1/v1\"}]," \
               " \"profiles\":[{\"name\":\"auto\",\"models\":[\"openai/gpt-4.1-mini\"]}]," \
               " \"default_profile\":\"auto\", \"budget\":{\"monthly\":10}}"

static const char * const chart_titles[] = {
  "Spend per Day", "Month-to-Date Spend", "Total Latency per Model",
  "Time to First Token per Model", "Tokens per Second per Model",
  "Error Rate per Provider", "Requests per Hour",
};

static gint64
today_start_us (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) start = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now), 0, 0, 0);

  return g_date_time_to_unix (start) * G_USEC_PER_SEC;
}

static char *
today_string (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return g_date_time_format (now, "%Y-%m-%d");
}

static void
add (SyHistory  *history,
     gint64      started_at_us,
     const char *provider,
     const char *model,
     const char *client,
     const char *profile,
     int         status,
     double      cost,
     double      ttft_ms,
     double      total_ms,
     double      tokens_per_s)
{
  SyHistoryRecord *record = sy_history_record_new ();
  static guint serial;

  record->request_id = g_strdup_printf ("sy-dashboard-%u", ++serial);
  record->started_at_us = started_at_us;
  record->surface = g_strdup ("chat.completions");
  record->requested_model = g_strdup (model);
  record->provider = g_strdup (provider);
  record->model = g_strdup (model);
  record->client = g_strdup (client);
  record->profile = g_strdup (profile);
  record->status = status;
  if (status != 200)
    record->error = g_strdup ("upstream failed");
  record->prompt_tokens = status == 200 ? 1000 : -1;
  record->completion_tokens = status == 200 ? 500 : -1;
  record->cost_known = cost >= 0;
  if (cost >= 0)
    {
      record->cost = cost;
      record->cost_input = cost / 2;
      record->cost_output = cost / 2;
    }
  record->ttft_ms = ttft_ms;
  record->total_ms = total_ms;
  record->tokens_per_s = tokens_per_s;
  sy_history_record (history, record);
}

/* Three requests today (just after midnight: in every range), one 40 days ago. */
static void
fill_history (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (path, &error);
  gint64 today = today_start_us ();

  g_assert_no_error (error);
  add (history, today + 1 * G_USEC_PER_SEC, "openai", "gpt-4.1-mini", "cli-a", "auto",
       200, 1.25, 100, 1000, 50);
  add (history, today + 2 * G_USEC_PER_SEC, "anthropic", "claude-x", "cli-b", NULL,
       200, 0.50, 200, 2000, 25);
  add (history, today + 3 * G_USEC_PER_SEC, "anthropic", "claude-x", "cli-b", NULL,
       500, -1, -1, 50, -1);
  add (history, g_get_real_time () - 40 * G_TIME_SPAN_DAY, "openai", "gpt-4.1-mini", "cli-a", "auto",
       200, 3.00, 300, 3000, 40);
  sy_history_flush (history);
  sy_history_close (history);
}

/* ------------------------------------------------------------------ finding */

static gboolean
is_chart (GtkWidget     *widget,
          gconstpointer  title)
{
  return SY_IS_CHART (widget) && g_strcmp0 (sy_chart_get_title (SY_CHART (widget)), title) == 0;
}

static gboolean
is_label (GtkWidget     *widget,
          gconstpointer  text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

static SyChart *
chart (GtkWidget  *page,
       const char *title)
{
  GtkWidget *found = sy_gui_test_find_by (page, is_chart, title);

  g_assert_nonnull (found);
  return SY_CHART (found);
}

/* The value shown under a total's title, as a screen reader reads the card. */
static const char *
total (GtkWidget  *page,
       const char *title)
{
  GtkWidget *label = sy_gui_test_find_by (page, is_label, title);

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (gtk_widget_get_next_sibling (label)));
}

/* The line under a total's value. */
static const char *
total_detail (GtkWidget  *page,
              const char *title)
{
  GtkWidget *label = sy_gui_test_find_by (page, is_label, title);

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (gtk_widget_get_next_sibling (gtk_widget_get_next_sibling (label))));
}

static GtkDropDown *
dropdown (GtkWidget  *page,
          const char *label_text)
{
  GtkWidget *label = sy_gui_test_find_by (page, is_label, label_text);

  g_assert_nonnull (label);
  return GTK_DROP_DOWN (gtk_label_get_mnemonic_widget (GTK_LABEL (label)));
}

static gboolean
loaded (gpointer data)
{
  return !sy_dashboard_page_get_loading (data);
}

static GtkWidget *
show_dashboard (SyGuiTest *test)
{
  GtkWidget *page;

  sy_window_show_page (test->window, "dashboard");
  page = sy_window_get_page (test->window, "dashboard");
  g_assert_true (SY_IS_DASHBOARD_PAGE (page));
  sy_gui_test_run_for (50);
  sy_gui_test_wait (loaded, page, 30, "the dashboard to load");
  return page;
}

/* Local calendar days from the day @days_ago × 24 hours ago to today (the
 * history's oldest request was written that long ago). */
static guint
days_since (int days_ago)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local (g_date_time_to_unix (now) -
                                                               (gint64) days_ago * 24 * 3600);
  g_autoptr(GDate) today = g_date_new_dmy (g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                                           g_date_time_get_year (now));
  g_autoptr(GDate) first = g_date_new_dmy (g_date_time_get_day_of_month (then), g_date_time_get_month (then),
                                           g_date_time_get_year (then));

  return (guint) g_date_days_between (first, today);
}

static void
select_and_wait (GtkWidget  *page,
                 const char *label,
                 guint       position)
{
  gtk_drop_down_set_selected (dropdown (page, label), position);
  g_assert_true (sy_dashboard_page_get_loading (SY_DASHBOARD_PAGE (page)));
  sy_gui_test_wait (loaded, page, 30, "the dashboard to reload");
}

static void
assert_value (SyChart *c,
              guint    series,
              guint    category,
              double   expected)
{
  g_assert_cmpfloat_with_epsilon (sy_chart_get_value (c, series, category), expected, 1e-9);
}

/* ------------------------------------------------------------------ rendering */

static GdkTexture *
render (GtkWidget *widget)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GskRenderNode) node = NULL;
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));

  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);
  /* The paintable has no node until the widget has drawn once. */
  for (int attempt = 0; attempt < 40 && node == NULL; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (snapshot);
      if (node == NULL)
        sy_gui_test_run_for (50);
    }
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* Renders @widget as the window would and counts the pixels unlike the first one. */
static guint
drawn_pixels (GtkWidget *widget)
{
  g_autoptr(GdkTexture) texture = render (widget);
  int width = gdk_texture_get_width (texture), height = gdk_texture_get_height (texture);
  g_autofree guchar *pixels = g_malloc ((gsize) width * height * 4);
  guint different = 0;

  gdk_texture_download (texture, pixels, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    for (int c = 0; c < 4; c++)
      if (ABS (pixels[i * 4 + c] - pixels[c]) > 24)
        {
          different++;
          break;
        }
  return different;
}

static void
check_rendering (GtkWidget *page)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK };

  for (guint s = 0; s < G_N_ELEMENTS (schemes); s++)
    {
      adw_style_manager_set_color_scheme (manager, schemes[s]);
      g_assert_true (adw_style_manager_get_dark (manager) == (schemes[s] == ADW_COLOR_SCHEME_FORCE_DARK));
      sy_gui_test_run_for (100);
      /* SY_TEST_SCREENSHOTS=dir keeps the whole window, for a look. */
      if (g_getenv ("SY_TEST_SCREENSHOTS") != NULL)
        {
          g_autoptr(GdkTexture) shot = render (gtk_widget_get_ancestor (page, GTK_TYPE_WINDOW));
          g_autofree char *name = g_strdup_printf ("dashboard-%s-%s.png", g_test_get_path () + 11,
                                                   s == 0 ? "light" : "dark");
          g_autofree char *path = g_build_filename (g_getenv ("SY_TEST_SCREENSHOTS"), name, NULL);

          g_assert_true (gdk_texture_save_to_png (shot, path));
        }
      for (guint i = 0; i < G_N_ELEMENTS (chart_titles); i++)
        {
          guint n = drawn_pixels (GTK_WIDGET (chart (page, chart_titles[i])));

          if (g_test_verbose ())
            g_test_message ("%s, %s: %u pixels drawn", chart_titles[i],
                            s == 0 ? "light" : "dark", n);
          g_assert_cmpuint (n, >, 40);
        }
    }
  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
}

/* Sends @keyval to @widget's key controller, as a key press on the focused widget. */
static gboolean
press (GtkWidget *widget,
       guint      keyval)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        g_signal_emit_by_name (controller, "key-pressed", keyval, 0, 0, &handled);
    }
  return handled;
}

/* ------------------------------------------------------------------ tests */

static SyGuiTest *
new_test (gboolean with_history)
{
  SyGuiTest *test = sy_gui_test_new_services (CONFIG, NULL);

  if (with_history)
    fill_history (test->db_path);
  test->window = g_object_ref_sink (sy_window_new (NULL, test->services));
  gtk_window_set_default_size (GTK_WINDOW (test->window), 1100, 760);
  gtk_window_present (GTK_WINDOW (test->window));
  sy_gui_test_run_for (100);
  return test;
}

/* The default range (30 days) grouped by model: today's three requests. */
static void
test_charts_with_data (void)
{
  g_autoptr(SyGuiTest) test = new_test (TRUE);
  g_autofree char *today = today_string ();
  GtkWidget *page = show_dashboard (test);
  SyChart *c;

  g_assert_cmpuint (gtk_drop_down_get_selected (dropdown (page, "Range")), ==, 2);
  g_assert_cmpstr (total (page, "Today"), ==, "$1.75");
  g_assert_cmpstr (total (page, "This Week"), ==, "$1.75");
  g_assert_cmpstr (total (page, "This Month"), ==, "$1.75");
  /* The model's name; its provider with the price below. */
  g_assert_cmpstr (total (page, "Cheapest Model"), ==, "claude-x");
  g_assert_true (g_str_has_prefix (total_detail (page, "Cheapest Model"), "anthropic · $"));
  g_assert_cmpstr (total (page, "Most Expensive Model"), ==, "gpt-4.1-mini");
  g_assert_true (g_str_has_prefix (total_detail (page, "Most Expensive Model"), "openai · $"));

  c = chart (page, "Spend per Day");
  g_assert_false (sy_chart_is_empty (c));
  g_assert_cmpint (sy_chart_get_kind (c), ==, SY_CHART_STACKED_BAR);
  g_assert_cmpuint (sy_chart_get_n_categories (c), ==, 1);
  g_assert_cmpstr (sy_chart_get_category_label (c, 0), ==, today);
  g_assert_cmpuint (sy_chart_get_n_series (c), ==, 2);
  g_assert_cmpstr (sy_chart_get_series_name (c, 0), ==, "anthropic/claude-x");
  g_assert_cmpstr (sy_chart_get_series_name (c, 1), ==, "openai/gpt-4.1-mini");
  assert_value (c, 0, 0, 0.50);
  assert_value (c, 1, 0, 1.25);

  c = chart (page, "Month-to-Date Spend");
  g_assert_cmpint (sy_chart_get_kind (c), ==, SY_CHART_LINE);
  g_assert_cmpuint (sy_chart_get_n_series (c), ==, 2);
  g_assert_cmpstr (sy_chart_get_category_label (c, sy_chart_get_n_categories (c) - 1), ==, today);
  assert_value (c, 0, sy_chart_get_n_categories (c) - 1, 1.75);
  assert_value (c, 1, 0, 10);

  c = chart (page, "Total Latency per Model");
  g_assert_cmpint (sy_chart_get_kind (c), ==, SY_CHART_HORIZONTAL_BAR);
  g_assert_cmpuint (sy_chart_get_n_categories (c), ==, 2);
  g_assert_cmpstr (sy_chart_get_category_label (c, 0), ==, "anthropic/claude-x");
  g_assert_cmpstr (sy_chart_get_series_name (c, 2), ==, "p99");
  assert_value (c, 0, 0, 2000);
  assert_value (c, 0, 1, 1000);

  c = chart (page, "Time to First Token per Model");
  assert_value (c, 1, 0, 200);
  assert_value (c, 1, 1, 100);

  c = chart (page, "Tokens per Second per Model");
  g_assert_cmpuint (sy_chart_get_n_categories (c), ==, 2);
  assert_value (c, 0, 0, 25);
  assert_value (c, 0, 1, 50);

  c = chart (page, "Error Rate per Provider");
  g_assert_cmpuint (sy_chart_get_n_categories (c), ==, 2);
  g_assert_cmpstr (sy_chart_get_category_label (c, 0), ==, "anthropic");
  g_assert_cmpstr (sy_chart_get_category_label (c, 1), ==, "openai");
  assert_value (c, 0, 0, 0.5);
  assert_value (c, 0, 1, 0);

  /* Keyboard: focus the chart, then Left/Right walk its categories. */
  c = chart (page, "Error Rate per Provider");
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (c)));
  g_assert_true (press (GTK_WIDGET (c), GDK_KEY_Right));
  g_assert_cmpint (sy_chart_get_highlight (c), ==, 0);
  g_assert_true (press (GTK_WIDGET (c), GDK_KEY_Right));
  g_assert_true (press (GTK_WIDGET (c), GDK_KEY_Right));
  g_assert_cmpint (sy_chart_get_highlight (c), ==, 1);
  g_assert_true (press (GTK_WIDGET (c), GDK_KEY_Home));
  g_assert_cmpint (sy_chart_get_highlight (c), ==, 0);
  g_assert_false (press (GTK_WIDGET (c), GDK_KEY_a));

  c = chart (page, "Requests per Hour");
  g_assert_cmpint (sy_chart_get_kind (c), ==, SY_CHART_HISTOGRAM);
  g_assert_cmpuint (sy_chart_get_n_categories (c), ==, 1);
  assert_value (c, 0, 0, 3);

  check_rendering (page);
}

/* All adds the request of 40 days ago; grouping by provider renames the series. */
static void
test_range_and_group (void)
{
  g_autoptr(SyGuiTest) test = new_test (TRUE);
  GtkWidget *page = show_dashboard (test);
  SyChart *spend = chart (page, "Spend per Day");
  SyChart *latency = chart (page, "Total Latency per Model");
  double sum = 0;

  select_and_wait (page, "Range", 3);
  /* Every day from the oldest request's to today's, the 39 without requests
   * included. */
  g_assert_cmpuint (sy_chart_get_n_categories (spend), ==, days_since (40) + 1);
  for (guint s = 0; s < sy_chart_get_n_series (spend); s++)
    for (guint d = 0; d < sy_chart_get_n_categories (spend); d++)
      sum += sy_chart_get_value (spend, s, d);
  g_assert_cmpfloat_with_epsilon (sum, 4.75, 1e-9);
  /* Nearest rank of {1000, 3000}. */
  assert_value (latency, 0, 1, 1000);
  assert_value (latency, 2, 1, 3000);
  /* All of history counts requests per day (4 in all, 3 of them today). */
  {
    SyChart *days = chart (page, "Requests per Day");
    guint n = sy_chart_get_n_categories (days);
    double requests = 0;

    g_assert_cmpuint (n, ==, days_since (40) + 1);
    for (guint d = 0; d < n; d++)
      requests += sy_chart_get_value (days, 0, d);
    g_assert_cmpfloat (requests, ==, 4);
    assert_value (days, 0, n - 1, 3);
    assert_value (days, 0, 0, 1);
    assert_value (days, 0, 1, 0);
  }
  /* The periods of the totals do not depend on the range. */
  g_assert_cmpstr (total (page, "Today"), ==, "$1.75");

  select_and_wait (page, "Group By", 1);
  g_assert_cmpuint (sy_chart_get_n_series (spend), ==, 2);
  g_assert_cmpstr (sy_chart_get_series_name (spend, 0), ==, "anthropic");
  g_assert_cmpstr (sy_chart_get_series_name (spend, 1), ==, "openai");
  assert_value (spend, 1, 0, 3.00);

  select_and_wait (page, "Group By", 3);
  g_assert_cmpstr (sy_chart_get_series_name (spend, 0), ==, "auto");
  g_assert_cmpstr (sy_chart_get_series_name (spend, 1), ==, "None");

  select_and_wait (page, "Range", 0);
  g_assert_cmpuint (sy_chart_get_n_categories (spend), ==, 1);
  g_assert_cmpuint (sy_chart_get_n_categories (chart (page, "Requests per Hour")), ==, 1);
}

/* Twelve models: the eight that cost most keep their own series, by name; the
 * other four share "Other". */
static void
test_many_groups (void)
{
  g_autoptr(SyGuiTest) test = sy_gui_test_new_services (CONFIG, NULL);
  g_autoptr(GError) error = NULL;
  GtkWidget *page;
  SyChart *spend;
  double other = 0;

  {
    g_autoptr(SyHistory) history = sy_history_new (test->db_path, &error);
    g_assert_no_error (error);
    for (guint i = 1; i <= 12; i++)
      {
        g_autofree char *model = g_strdup_printf ("model-%02u", i);

        add (history, today_start_us () + i * G_USEC_PER_SEC, "openai", model, "cli", NULL,
             200, i * 1.0, 10, 100, 10);
        if (i <= 4)
          other += i;
      }
    sy_history_close (history);
  }
  test->window = g_object_ref_sink (sy_window_new (NULL, test->services));
  gtk_window_present (GTK_WINDOW (test->window));
  page = show_dashboard (test);
  spend = chart (page, "Spend per Day");

  g_assert_cmpuint (sy_chart_get_n_series (spend), ==, 9);
  for (guint s = 0; s < 8; s++)
    {
      g_autofree char *name = g_strdup_printf ("openai/model-%02u", s + 5);

      g_assert_cmpstr (sy_chart_get_series_name (spend, s), ==, name);
      assert_value (spend, s, 0, s + 5.0);
    }
  g_assert_cmpstr (sy_chart_get_series_name (spend, 8), ==, "Other");
  assert_value (spend, 8, 0, other);
}

static void
test_empty_history (void)
{
  g_autoptr(SyGuiTest) test = new_test (FALSE);
  GtkWidget *page = show_dashboard (test);

  g_assert_cmpstr (total (page, "Today"), ==, "$0.00");
  g_assert_cmpstr (total (page, "This Month"), ==, "$0.00");
  g_assert_cmpstr (total (page, "Projected Month"), ==, "$0.00");
  g_assert_cmpstr (total (page, "Saved by Cache"), ==, "$0.00");
  for (guint i = 0; i < G_N_ELEMENTS (chart_titles); i++)
    g_assert_true (sy_chart_is_empty (chart (page, chart_titles[i])));

  for (guint r = 0; r < 4; r++)
    {
      select_and_wait (page, "Range", r);
      for (guint i = 0; i < G_N_ELEMENTS (chart_titles); i++)
        {
          /* All of history counts requests per day. */
          const char *title = r == 3 && g_str_equal (chart_titles[i], "Requests per Hour")
                              ? "Requests per Day" : chart_titles[i];

          g_assert_true (sy_chart_is_empty (chart (page, title)));
        }
    }
  select_and_wait (page, "Range", 2);
  check_rendering (page);
}

/* ------------------------------------------------------------------ export, import */

/* Clicks @button_label on @page and answers its file chooser with @path, as a user would. */
static void
choose_file (GtkWidget  *page,
             const char *button_label,
             const char *path)
{
  GtkWidget *button = sy_gui_test_find (page, GTK_TYPE_BUTTON, button_label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_focusable (button));
  g_assert_true (gtk_widget_get_sensitive (button));
  gtk_widget_activate (button);
  sy_gui_test_choose_file (path);
}

typedef struct {
  SyGuiTest  *test;
  const char *text;
} ToastWait;

static GtkWidget *
toast_label (SyGuiTest  *test,
             const char *text)
{
  return sy_gui_test_find (GTK_WIDGET (test->window), GTK_TYPE_LABEL, text);
}

static gboolean
toast_shown (gpointer data)
{
  ToastWait *wait = data;

  return toast_label (wait->test, wait->text) != NULL;
}

static gboolean
toast_hidden (gpointer data)
{
  return !toast_shown (data);
}

/* Waits for the toast saying @text, then for its timeout, so that the next
 * one shows. (Dismissing it from its close button crashes libadwaita 1.2
 * when the hide animation is skipped.) */
static void
expect_toast (SyGuiTest  *test,
              const char *text)
{
  ToastWait wait = { test, text };

  sy_gui_test_wait (toast_shown, &wait, 30, text);
  sy_gui_test_wait (toast_hidden, &wait, 30, "the toast to hide");
}

static const char * const total_names[] = {
  "Today", "This Week", "This Month", "Cheapest Model", "Most Expensive Model", "Saved by Cache",
};

static void
assert_same_totals (GtkWidget *page,
                    GtkWidget *other)
{
  for (guint i = 0; i < G_N_ELEMENTS (total_names); i++)
    g_assert_cmpstr (total (page, total_names[i]), ==, total (other, total_names[i]));
  assert_value (chart (other, "Requests per Hour"), 0, 0,
                sy_chart_get_value (chart (page, "Requests per Hour"), 0, 0));
}

static guint
count_lines (const char *path)
{
  g_autofree char *text = NULL;
  guint lines = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  for (const char *c = text; *c != '\0'; c++)
    lines += *c == '\n';
  return lines;
}

/* The range's requests go out to a file and back in: into the same history
 * they are all there already; into an empty one they make the same totals. */
static void
test_export_import (void)
{
  g_autoptr(SyGuiTest) test = new_test (TRUE);
  GtkWidget *page = show_dashboard (test);
  g_autofree char *csv = g_build_filename (test->dir, "switchyard-history-30d.csv", NULL);
  g_autofree char *jsonl = g_build_filename (test->dir, "history.jsonl", NULL);
  g_autofree char *today = NULL, *month = NULL;
  g_autoptr(SyGuiTest) fresh = NULL;
  GtkWidget *fresh_page;

  today = g_strdup (total (page, "Today"));
  month = g_strdup (total (page, "This Month"));

  /* The default range, 30 days: today's three requests, not the one of 40 days ago. */
  choose_file (page, "_Export…", csv);
  expect_toast (test, "Exported 3 requests");
  g_assert_true (g_file_test (csv, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_lines (csv), ==, 1 + 3);

  /* A .jsonl name chooses JSON Lines: no header, one object a line. */
  choose_file (page, "_Export…", jsonl);
  expect_toast (test, "Exported 3 requests");
  g_assert_cmpuint (count_lines (jsonl), ==, 3);
  {
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (jsonl, &text, NULL, NULL));
    g_assert_true (text[0] == '{');
  }

  choose_file (page, "_Import…", csv);
  expect_toast (test, "Imported 0 requests, skipped 3 already there");
  sy_gui_test_wait (loaded, page, 30, "the dashboard to reload");
  g_assert_cmpstr (total (page, "Today"), ==, today);
  g_assert_cmpstr (total (page, "This Month"), ==, month);

  /* A line that is no request is counted, and the rest goes in. */
  {
    g_autofree char *text = NULL, *broken = NULL;
    g_autofree char *broken_path = g_build_filename (test->dir, "broken.jsonl", NULL);

    g_assert_true (g_file_get_contents (jsonl, &text, NULL, NULL));
    broken = g_strconcat (text, "not json\n", NULL);
    g_assert_true (g_file_set_contents (broken_path, broken, -1, NULL));
    choose_file (page, "_Import…", broken_path);
    expect_toast (test, "Imported 0 requests, skipped 3 already there, 1 invalid line");
    sy_gui_test_wait (loaded, page, 30, "the dashboard to reload");
  }

  fresh = new_test (FALSE);
  fresh_page = show_dashboard (fresh);
  g_assert_cmpstr (total (fresh_page, "Today"), ==, "$0.00");
  choose_file (fresh_page, "_Import…", csv);
  expect_toast (fresh, "Imported 3 requests, skipped 0 already there");
  sy_gui_test_wait (loaded, fresh_page, 30, "the dashboard to reload");
  assert_same_totals (page, fresh_page);
  g_assert_cmpstr (total (fresh_page, "Today"), ==, "$1.75");
}

/* ------------------------------------------------------------------ what if */

/* The history's requests with tokens are 1,000 prompt and 500 completion
 * tokens each; the catalog prices openai/gpt-4.1-mini at $0.40 and $1.60 a
 * million: 400 + 800 µ$ a request. anthropic/claude-x has no price. */
#define MINI_USD 0.0012

static gboolean
is_what_if_summary (GtkWidget     *widget,
                    gconstpointer  data)
{
  const char *text = GTK_IS_LABEL (widget) ? gtk_label_get_text (GTK_LABEL (widget)) : NULL;

  return text != NULL && (g_str_has_prefix (text, "Recorded: ") || g_str_equal (text, "—") ||
                          g_str_equal (text, "No requests with tokens in this range"));
}

static gboolean
is_list_box (GtkWidget     *widget,
             gconstpointer  data)
{
  return GTK_IS_LIST_BOX (widget);
}

static const char *
what_if_summary (GtkWidget *page)
{
  GtkWidget *label = sy_gui_test_find_by (page, is_what_if_summary, NULL);

  g_assert_nonnull (label);
  return gtk_label_get_text (GTK_LABEL (label));
}

/* The cells of the table's row @i, joined with "|". */
static char *
what_if_row (GtkWidget *page,
             int        i)
{
  GtkWidget *list = sy_gui_test_find_by (page, is_list_box, NULL);
  GtkListBoxRow *row;
  GString *text = g_string_new (NULL);

  g_assert_nonnull (list);
  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i);
  if (row == NULL)
    return g_string_free (text, FALSE);
  g_assert_true (gtk_widget_get_focusable (GTK_WIDGET (row)));
  for (GtkWidget *cell = gtk_widget_get_first_child (gtk_list_box_row_get_child (row)); cell != NULL;
       cell = gtk_widget_get_next_sibling (cell))
    g_string_append_printf (text, "%s%s", text->len > 0 ? "|" : "", gtk_label_get_text (GTK_LABEL (cell)));
  return g_string_free (text, FALSE);
}

static char *
expected_summary (double recorded,
                  double what_if)
{
  g_autofree char *r = sy_chart_format_value (SY_CHART_UNIT_USD, recorded);
  g_autofree char *w = sy_chart_format_value (SY_CHART_UNIT_USD, what_if);
  g_autofree char *d = sy_chart_format_value (SY_CHART_UNIT_USD, recorded - what_if);
  g_autofree char *pct = sy_chart_format_value (SY_CHART_UNIT_PERCENT, (recorded - what_if) / recorded);

  return g_strdup_printf ("Recorded: %s · What if: %s · Difference: −%s (−%s)", r, w, d, pct);
}

static void
assert_what_if_row (GtkWidget  *page,
                    int         i,
                    const char *expected)
{
  g_autofree char *row = what_if_row (page, i);

  g_assert_cmpstr (row, ==, expected);
}

typedef struct {
  GtkWidget  *page;
  const char *text;
} LabelWait;

static gboolean
label_shown (gpointer data)
{
  LabelWait *wait = data;

  return loaded (wait->page) && sy_gui_test_find_by (wait->page, is_label, wait->text) != NULL &&
         gtk_widget_get_visible (sy_gui_test_find_by (wait->page, is_label, wait->text));
}

/* What the profile "auto" would have cost, and today's prices, and a price
 * table, for the range, worked out from the generated history by hand and
 * by the core, and read off the page. */
static void
test_what_if (void)
{
  g_autoptr(SyGuiTest) test = new_test (TRUE);
  GtkWidget *page = show_dashboard (test);
  GtkDropDown *compare = dropdown (page, "Compare With");
  GListModel *items = gtk_drop_down_get_model (compare);
  g_autofree char *summary = NULL;
  g_autofree char *table_path = g_build_filename (test->dir, "prices.json", NULL);
  g_autofree char *bad_path = g_build_filename (test->dir, "broken.json", NULL);
  g_autoptr(GError) error = NULL;

  /* Keyboard and screen readers: a labelled control, items by name. */
  g_assert_true (gtk_widget_grab_focus (GTK_WIDGET (compare)));
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 3);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==, "Today’s Prices");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 1), ==, "Profile “auto”");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 2), ==, "Price Table File…");
  g_assert_cmpuint (gtk_drop_down_get_selected (compare), ==, 0);

  /* Today's prices over 30 days: claude-x cannot be priced. */
  summary = expected_summary (1.75, MINI_USD);
  g_assert_cmpstr (what_if_summary (page), ==, summary);
  g_clear_pointer (&summary, g_free);
  g_assert_true (label_shown (&(LabelWait) { page, "1 request could not be priced in the what-if: they count as $0." }));

  /* Profile "auto" sends both of today's requests to gpt-4.1-mini. */
  select_and_wait (page, "Compare With", 1);
  {
    g_autoptr(SyWhatIf) core = sy_what_if_profile (test->db_path, g_get_real_time () - 30 * G_TIME_SPAN_DAY,
                                                   G_MAXINT64, sy_services_get_config (test->services),
                                                   "auto", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpint (core->requests, ==, 2);
    g_assert_cmpfloat_with_epsilon (core->recorded_cost, 1.25 + 0.50, 1e-9);
    g_assert_cmpfloat_with_epsilon (core->what_if_cost, 2 * MINI_USD, 1e-9);
    summary = expected_summary (core->recorded_cost, core->what_if_cost);
  }
  g_assert_cmpstr (summary, ==, "Recorded: $1.75 · What if: $0.0024 · Difference: −$1.75 (−99.9 %)");
  g_assert_cmpstr (what_if_summary (page), ==, summary);
  g_clear_pointer (&summary, g_free);
  assert_what_if_row (page, 0, "openai/gpt-4.1-mini → openai/gpt-4.1-mini|1|$1.25|$0.0012");
  assert_what_if_row (page, 1, "anthropic/claude-x → openai/gpt-4.1-mini|1|$0.50|$0.0012");
  assert_what_if_row (page, 2, "");
  g_assert_false (gtk_widget_get_visible (sy_gui_test_find (page, GTK_TYPE_BUTTON, "_Choose File…")));

  /* The range changes, the what-if follows: the request of 40 days ago too. */
  select_and_wait (page, "Range", 3);
  sy_gui_test_wait (loaded, page, 30, "the what-if to reload");
  summary = expected_summary (1.25 + 0.50 + 3.00, 3 * MINI_USD);
  g_assert_cmpstr (what_if_summary (page), ==, summary);
  g_clear_pointer (&summary, g_free);
  assert_what_if_row (page, 0, "openai/gpt-4.1-mini → openai/gpt-4.1-mini|2|$4.25|$0.0024");

  /* A price table gives claude-x a price: 1,000 × $1 + 500 × $2 a million. */
  g_assert_true (g_file_set_contents (table_path,
    "{\"anthropic/claude-x\": {\"input\": 1, \"output\": 2}}", -1, NULL));
  gtk_drop_down_set_selected (compare, 2);
  sy_gui_test_choose_file (table_path);
  sy_gui_test_wait (label_shown, &(LabelWait) { page, "Prices from prices.json" }, 30,
                    "the price table to be read");
  sy_gui_test_wait (loaded, page, 30, "the what-if with the price table");
  summary = expected_summary (4.75, 2 * MINI_USD + 0.002);
  g_assert_cmpstr (what_if_summary (page), ==, summary);
  g_clear_pointer (&summary, g_free);
  assert_what_if_row (page, 1, "anthropic/claude-x → anthropic/claude-x|1|$0.50|$0.0020");
  g_assert_true (gtk_widget_get_visible (sy_gui_test_find (page, GTK_TYPE_BUTTON, "_Choose File…")));

  /* Another file, not a price table: said so, with the file's name. */
  g_assert_true (g_file_set_contents (bad_path, "{\"claude-x\": {\"input\": 1, \"output\": 2}}", -1, NULL));
  gtk_widget_activate (sy_gui_test_find (page, GTK_TYPE_BUTTON, "_Choose File…"));
  sy_gui_test_choose_file (bad_path);
  sy_gui_test_wait (label_shown, &(LabelWait) { page, "Prices from broken.json" }, 30,
                    "the broken table to be read");
  sy_gui_test_wait (label_shown,
                    &(LabelWait) { page, "Could not work out the what-if: broken.json: “claude-x” is not "
                                         "a model name of the form provider/model" },
                    30, "the error");
  g_assert_cmpstr (what_if_summary (page), ==, "—");
  assert_what_if_row (page, 0, "");

  /* Back to the profile: the error goes. */
  select_and_wait (page, "Compare With", 1);
  summary = expected_summary (4.75, 3 * MINI_USD);
  g_assert_cmpstr (what_if_summary (page), ==, summary);
}

/* The chart on its own: nice ticks are internal, but the data model, keyboard
 * highlight and value formatting are what people and tests see. */
static void
test_chart_widget (void)
{
  GtkWidget *widget = g_object_ref_sink (sy_chart_new ("Test"));
  SyChart *c = SY_CHART (widget);
  const char *categories[] = { "a", "b", "c" };
  const char *series[] = { "one", "two" };
  const double values[] = { 1, 2, NAN, 4, 5, 6 };
  g_autofree char *usd = sy_chart_format_value (SY_CHART_UNIT_USD, 0.004);
  g_autofree char *pct = sy_chart_format_value (SY_CHART_UNIT_PERCENT, 0.125);
  g_autofree char *ms = sy_chart_format_value (SY_CHART_UNIT_MS, 1500);

  g_assert_true (sy_chart_is_empty (c));
  g_assert_true (gtk_widget_get_focusable (widget));
  sy_chart_set_data (c, SY_CHART_BAR, 3, categories, 2, series, values);
  g_assert_false (sy_chart_is_empty (c));
  g_assert_true (isnan (sy_chart_get_value (c, 0, 2)));
  assert_value (c, 1, 2, 6);
  g_assert_cmpint (sy_chart_get_highlight (c), ==, -1);
  sy_chart_clear (c);
  g_assert_true (sy_chart_is_empty (c));

  g_assert_cmpstr (usd, ==, "$0.0040");
  g_assert_cmpstr (pct, ==, "12.5 %");
  g_assert_cmpstr (ms, ==, "1.50 s");
  g_object_unref (widget);
}

int
main (int   argc,
      char *argv[])
{
  /* Formatting and dates as the assertions expect them. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("LANGUAGE", "C", TRUE);
  sy_gui_test_init (&argc, &argv);

  g_test_add_func ("/dashboard/chart-widget", test_chart_widget);
  g_test_add_func ("/dashboard/charts-with-data", test_charts_with_data);
  g_test_add_func ("/dashboard/range-and-group", test_range_and_group);
  g_test_add_func ("/dashboard/many-groups", test_many_groups);
  g_test_add_func ("/dashboard/empty-history", test_empty_history);
  g_test_add_func ("/dashboard/export-import", test_export_import);
  g_test_add_func ("/dashboard/what-if", test_what_if);
  return g_test_run ();
}
