/* test-gui-compare.c — the Compare page of the real window: columns stream at once through the
 * router, show what the mock served, stop together, and their ratings route the "best" profile.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gtksourceview/gtksource.h>

#include "sy-compare-page.h"
#include "sy-gui-test-util.h"
#include "sy-json.h"
#include "sy-markdown-view.h"
#include "sy-ratings.h"

#define TOKEN "sy-gui-test-token-0123456789abcdef"
#define KEY "sk-gui-compare-key-abcdef"
#define CHUNKS 12
#define PROMPT "Compare these models on one question, please"

#define MODEL_A "openai/gpt-4.1-mini"
#define MODEL_B "groq/llama-3.1-8b-instant"
#define MODEL_C "deepseek/deepseek-chat"
#define MODEL_DEAD "dead/ghost-model"

static SyTestProc *mock;
static guint closed_port;

/* @extra: more members of the config, each after a comma. */
static SyGuiTest *
new_test_with (const char *extra)
{
  g_autofree char *config =
    g_strdup_printf ("{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
                     " \"providers\":["
                     "  {\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_CMP_KEY\"},"
                     "  {\"id\":\"groq\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_CMP_KEY\"},"
                     "  {\"id\":\"deepseek\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_CMP_KEY\"},"
                     "  {\"id\":\"dead\",\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:%u/v1\","
                     "   \"key_env\":\"SY_CMP_KEY\"}],"
                     " \"profiles\":[{\"name\":\"judged\",\"strategy\":\"best\","
                     "   \"models\":[\"" MODEL_A "\",\"" MODEL_B "\"]}]%s}", closed_port, extra);

  sy_test_mock_reset (mock);
  return sy_gui_test_new (config, mock);
}

static SyGuiTest *
new_test (void)
{
  return new_test_with ("");
}

static SyComparePage *
compare_page (SyGuiTest          *test,
              const char * const *models)
{
  SyComparePage *page;

  sy_window_show_page (test->window, "compare");
  sy_gui_test_run_for (50);
  page = SY_COMPARE_PAGE (sy_window_get_page (test->window, "compare"));
  sy_compare_page_set_models (page, models);
  sy_gui_test_run_for (50);
  return page;
}

/* The prompt: the page's one editable source view. */
static void
type_prompt (SyComparePage *page,
             const char    *text)
{
  GtkWidget *view = sy_gui_test_find_type (GTK_WIDGET (page), GTK_SOURCE_TYPE_VIEW);

  g_assert_nonnull (view);
  g_assert_true (gtk_text_view_get_editable (GTK_TEXT_VIEW (view)));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)), text, -1);
}

static void
click (GtkWidget  *root,
       const char *label)
{
  GtkWidget *button = sy_gui_test_find (root, GTK_TYPE_BUTTON, label);

  g_assert_nonnull (button);
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
page_idle (gpointer data)
{
  return !sy_compare_page_get_busy (data);
}

static void
wait_idle (SyComparePage *page,
           const char    *what)
{
  sy_gui_test_wait (page_idle, page, 60, what);
}

/* ------------------------------------------------------------- markdown */

static const char markdown[] =
  "# Title\n"
  "\n"
  "Some *emphasis*, **strong**, `code` and a [link](https://example.org).\n"
  "\n"
  "- one\n"
  "- two\n"
  "  - nested\n"
  "\n"
  "1. first\n"
  "\n"
  "2. second\n"
  "\n"
  "```python\n"
  "def f(x):\n"
  "\n"
  "    return x * 2\n"
  "```\n"
  "\n"
  "> quoted\n"
  "\n"
  "---\n"
  "\n"
  "| a | b |\n"
  "|---|---|\n"
  "| 1 | 2 |\n"
  "\n"
  "Done &amp; dusted.\n";

static GPtrArray *
source_views (GtkWidget *root)
{
  GPtrArray *found = g_ptr_array_new ();
  GPtrArray *todo = g_ptr_array_new ();

  g_ptr_array_add (todo, root);
  while (todo->len > 0)
    {
      GtkWidget *widget = g_ptr_array_steal_index (todo, 0);

      if (GTK_SOURCE_IS_VIEW (widget))
        g_ptr_array_add (found, widget);
      for (GtkWidget *child = gtk_widget_get_last_child (widget); child != NULL;
           child = gtk_widget_get_prev_sibling (child))
        g_ptr_array_insert (todo, 0, child);
    }
  g_ptr_array_unref (todo);
  return found;
}

/* Streaming a document a few bytes at a time shows what rendering it whole
 * shows, and an open code block grows in place. */
static void
test_markdown (void)
{
  GtkWidget *whole = g_object_ref_sink (sy_markdown_view_new ());
  GtkWidget *streamed = g_object_ref_sink (sy_markdown_view_new ());
  g_autofree char *whole_text = NULL;
  g_autofree char *streamed_text = NULL;
  g_autoptr(GPtrArray) views = NULL;
  GtkWidget *open_code = NULL;
  gsize length = strlen (markdown);
  const char *code_start = strstr (markdown, "def f");

  sy_markdown_view_set_text (SY_MARKDOWN_VIEW (whole), markdown);
  whole_text = sy_markdown_view_dup_shown_text (SY_MARKDOWN_VIEW (whole));
  g_assert_nonnull (strstr (whole_text, "Title\nSome emphasis, strong, code and a link."));
  g_assert_nonnull (strstr (whole_text, "• one\n• two\n◦ nested"));
  g_assert_nonnull (strstr (whole_text, "1. first\n2. second"));
  g_assert_nonnull (strstr (whole_text, "def f(x):\n\n    return x * 2"));
  g_assert_nonnull (strstr (whole_text, "a  │  b\n1  │  2"));
  g_assert_nonnull (strstr (whole_text, "Done & dusted."));

  views = source_views (whole);
  g_assert_cmpuint (views->len, ==, 1);
  g_assert_cmpstr (gtk_source_language_get_id (gtk_source_buffer_get_language (
                     GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (views->pdata[0])))), ==, "python3");

  for (gsize end = 1; end <= length; end += 3)
    {
      g_autofree char *prefix = g_strndup (markdown, MIN (end, length));
      g_autoptr(GPtrArray) now = NULL;

      sy_markdown_view_set_text (SY_MARKDOWN_VIEW (streamed), prefix);
      now = source_views (streamed);
      /* Inside the fence, after its first line: the same view throughout. */
      if (end > (gsize) (code_start - markdown) + 12 && strstr (prefix, "* 2\n```") == NULL)
        {
          g_assert_cmpuint (now->len, ==, 1);
          if (open_code == NULL)
            open_code = now->pdata[0];
          g_assert_true (open_code == now->pdata[0]);
        }
    }
  sy_markdown_view_set_text (SY_MARKDOWN_VIEW (streamed), markdown);
  streamed_text = sy_markdown_view_dup_shown_text (SY_MARKDOWN_VIEW (streamed));
  g_assert_cmpstr (streamed_text, ==, whole_text);

  /* Text that is not a continuation starts over. */
  sy_markdown_view_set_text (SY_MARKDOWN_VIEW (streamed), "Other *text*");
  g_clear_pointer (&streamed_text, g_free);
  streamed_text = sy_markdown_view_dup_shown_text (SY_MARKDOWN_VIEW (streamed));
  g_assert_cmpstr (streamed_text, ==, "Other text");

  g_object_unref (whole);
  g_object_unref (streamed);
}

/* -------------------------------------------------------------- streaming */

typedef struct {
  SyCompareColumn *column;
  GArray          *times;     /* gint64, monotonic µs of each delta */
  gsize            length;
} Arrivals;

static void
answer_grew (SyCompareColumn *column,
             GParamSpec      *pspec,
             Arrivals        *arrivals)
{
  gsize length = strlen (sy_compare_column_get_answer (column));
  gint64 now = g_get_monotonic_time ();

  if (length > arrivals->length)
    g_array_append_val (arrivals->times, now);
  arrivals->length = length;
}

static gboolean
all_streaming (gpointer data)
{
  SyComparePage *page = data;

  for (guint i = 0; i < sy_compare_page_get_n_columns (page); i++)
    if (*sy_compare_column_get_answer (sy_compare_page_get_column (page, i)) == '\0')
      return FALSE;
  return TRUE;
}

static char *
expected_cost_text (double cost)
{
  if (cost == 0)
    return g_strdup ("$0");
  return g_strdup_printf (cost < 0.01 ? "$%.6f" : "$%.4f", cost);
}

/* The record's figures are what the mock served and the column shows; the cost
 * is the catalog price of those tokens. */
static void
check_figures (SyGuiTest       *test,
               SyCompareColumn *column,
               gint64           prompt_tokens)
{
  const SyHistoryRecord *r = sy_compare_column_get_record (column);
  const char *model = sy_compare_column_get_model (column);
  const char *slash = strchr (model, '/');
  g_autofree char *provider = g_strndup (model, (gsize) (slash - model));
  g_autofree char *tokens = g_strdup_printf ("%" G_GINT64_FORMAT " → %d tokens", prompt_tokens, CHUNKS);
  g_autofree char *cost_text = NULL;
  const char *figures = sy_compare_column_get_figures (column);
  SyPrice price;
  double expected;

  g_assert_nonnull (r);
  g_test_message ("%s: status %d, %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT " tokens, cost %g (%s), "
                  "first token %.0f ms, %.0f ms, %.0f tokens/s; shown: %s", model, r->status, r->prompt_tokens,
                  r->completion_tokens, r->cost, r->cost_known ? "known" : "unknown", r->ttft_ms, r->total_ms,
                  r->tokens_per_s, sy_compare_column_get_figures (column));
  g_assert_cmpint (r->status, ==, 200);
  g_assert_null (sy_compare_column_get_error (column));
  g_assert_cmpstr (r->provider, ==, provider);
  g_assert_cmpstr (r->model, ==, slash + 1);
  g_assert_cmpint (r->completion_tokens, ==, CHUNKS);
  g_assert_cmpint (r->prompt_tokens, ==, prompt_tokens);
  g_assert_true (r->ttft_ms >= 0 && r->total_ms >= r->ttft_ms);

  g_assert_true (sy_config_get_price (sy_services_get_config (test->services), provider, slash + 1, &price));
  expected = (prompt_tokens * price.input + CHUNKS * price.output) / 1e6;
  g_assert_true (r->cost_known);
  g_assert_cmpfloat_with_epsilon (r->cost, expected, 1e-9);

  cost_text = expected_cost_text (r->cost);
  g_assert_nonnull (figures);
  g_assert_nonnull (strstr (figures, tokens));
  g_assert_nonnull (strstr (figures, cost_text));
  g_assert_nonnull (strstr (figures, "First token "));
  g_assert_true (g_str_has_prefix (sy_compare_column_get_answer (column), "Hello from mock."));
}

static void
comparisons_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  GPtrArray **rows = data;
  g_autoptr(GError) error = NULL;

  *rows = sy_endpoint_read_comparisons_finish (SY_ENDPOINT (source), result, &error);
  g_assert_no_error (error);
}

static gboolean
pointer_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static GPtrArray *
read_comparisons (SyGuiTest *test)
{
  GPtrArray *rows = NULL;

  sy_endpoint_read_comparisons_async (sy_services_get_endpoint (test->services), 0, NULL,
                                      comparisons_read, &rows);
  sy_gui_test_wait (pointer_set, &rows, 30, "the saved comparisons");
  return rows;
}

/* Three columns stream at once (their deltas interleave), each with the
 * figures the mock served; the run is saved as a comparison. */
static void
test_concurrent (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, MODEL_C, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  Arrivals arrivals[3] = { 0 };
  g_autoptr(GPtrArray) saved = NULL;
  g_autoptr(JsonNode) comparison = NULL;
  gint64 latest_first = 0, earliest_last = G_MAXINT64;
  gint64 prompt_tokens = MAX (1, (gint64) strlen (PROMPT) / 4);

  g_assert_cmpuint (sy_compare_page_get_n_columns (page), ==, 3);
  type_prompt (page, PROMPT);

  /* The cost preview: prompt bytes / 4 in, 500 out, at the catalog price. */
  sy_gui_test_run_for (300);
  {
    SyPrice price;
    double cost;
    g_autofree char *text = NULL;

    g_assert_true (sy_config_get_price (sy_services_get_config (test->services), "openai", "gpt-4.1-mini", &price));
    cost = (prompt_tokens * price.input + 500 * price.output) / 1e6;
    text = g_strdup_printf (cost < 0.01 ? "Estimate ≈ $%.5f" : "Estimate ≈ $%.3f", cost);
    g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (sy_compare_page_get_column (page, 0)), GTK_TYPE_LABEL, text));
  }

  for (guint i = 0; i < 3; i++)
    {
      arrivals[i].column = sy_compare_page_get_column (page, i);
      arrivals[i].times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_signal_connect (arrivals[i].column, "notify::answer", G_CALLBACK (answer_grew), &arrivals[i]);
    }

  sy_test_mock_faults (mock, "[{\"kind\":\"drip\",\"delay_ms\":100,\"count\":3}]");
  click (GTK_WIDGET (page), "_Run");
  g_assert_true (sy_compare_column_get_running (arrivals[0].column));
  sy_gui_test_wait (all_streaming, page, 30, "every column streaming");
  wait_idle (page, "the run to finish and be saved");

  for (guint i = 0; i < 3; i++)
    {
      GArray *times = arrivals[i].times;

      g_signal_handlers_disconnect_by_func (arrivals[i].column, answer_grew, &arrivals[i]);
      g_test_message ("column %u: %u deltas", i, times->len);
      /* Deltas are coalesced per main-loop turn: a slow machine sees fewer. */
      g_assert_cmpuint (times->len, >=, 3);
      latest_first = MAX (latest_first, g_array_index (times, gint64, 0));
      earliest_last = MIN (earliest_last, g_array_index (times, gint64, times->len - 1));
      check_figures (test, arrivals[i].column, prompt_tokens);
      g_array_unref (times);
    }
  /* Every column had begun before any had ended. */
  g_assert_cmpint (latest_first, <, earliest_last);

  saved = read_comparisons (test);
  g_assert_cmpuint (saved->len, ==, 1);
  g_assert_cmpstr (((SyComparisonRow *) saved->pdata[0])->id, ==, sy_compare_page_get_comparison_id (page));
  comparison = sy_test_json_parse (((SyComparisonRow *) saved->pdata[0])->json);
  g_assert_cmpstr (sy_test_json_string (comparison, "prompt"), ==, PROMPT);
  g_assert_cmpuint (sy_test_json_length (comparison, "columns"), ==, 3);
  g_assert_cmpstr (sy_test_json_string (comparison, "columns.1.model"), ==, MODEL_B);
  g_assert_cmpstr (sy_test_json_string (comparison, "columns.1.messages.1.role"), ==, "assistant");
  g_assert_cmpint (sy_test_json_int (comparison, "columns.2.figures.completion_tokens"), ==, CHUNKS);
  g_assert_cmpstr (sy_test_json_string (comparison, "columns.0.request_ids.0"), ==,
                   sy_compare_column_get_record (arrivals[0].column)->request_id);

  /* A follow-up keeps each column's conversation. */
  type_prompt (page, "And a follow-up?");
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the follow-up");
  {
    g_autoptr(JsonNode) body = sy_test_mock_last_body (mock);

    g_assert_cmpuint (sy_test_json_length (body, "messages"), ==, 3);
    g_assert_cmpstr (sy_test_json_string (body, "messages.0.content"), ==, PROMPT);
    g_assert_cmpstr (sy_test_json_string (body, "messages.1.role"), ==, "assistant");
    g_assert_cmpstr (sy_test_json_string (body, "messages.2.content"), ==, "And a follow-up?");
  }
  g_assert_cmpuint (json_array_get_length (sy_compare_column_get_messages (arrivals[2].column)), ==, 4);
}

/* A column whose provider cannot be reached shows its error; the others answer. */
static void
test_failing_column (void)
{
  static const char * const models[] = { MODEL_A, MODEL_DEAD, MODEL_B, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  SyCompareColumn *dead;

  type_prompt (page, PROMPT);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run with a failing column");

  dead = sy_compare_page_get_column (page, 1);
  g_assert_nonnull (sy_compare_column_get_error (dead));
  g_assert_true (g_str_has_prefix (sy_compare_column_get_error (dead), "Failed: "));
  g_assert_false (sy_compare_column_get_succeeded (dead));
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (dead), GTK_TYPE_LABEL, sy_compare_column_get_error (dead)));
  for (guint i = 0; i < 3; i += 2)
    {
      SyCompareColumn *column = sy_compare_page_get_column (page, i);

      g_assert_true (sy_compare_column_get_succeeded (column));
      check_figures (test, column, MAX (1, (gint64) strlen (PROMPT) / 4));
    }
}

static gboolean
every_column_has_text (gpointer data)
{
  return all_streaming (data);
}

/* Stop ends every column: each request is recorded as cancelled (499) long
 * before its stream would have ended, and reached the mock. */
static void
test_stop (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, MODEL_C, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  g_autoptr(JsonNode) requests = NULL;
  JsonArray *list;
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();

  sy_test_mock_faults (mock, "[{\"kind\":\"drip\",\"delay_ms\":400,\"count\":3}]");
  type_prompt (page, PROMPT);
  click (GTK_WIDGET (page), "_Run");
  sy_gui_test_wait (every_column_has_text, page, 30, "every column streaming");
  click (GTK_WIDGET (page), "_Stop");
  wait_idle (page, "the columns to stop");

  for (guint i = 0; i < 3; i++)
    {
      SyCompareColumn *column = sy_compare_page_get_column (page, i);
      const SyHistoryRecord *r = sy_compare_column_get_record (column);

      g_assert_nonnull (r);
      g_assert_cmpint (r->status, ==, 499);
      g_assert_cmpstr (sy_compare_column_get_error (column), ==, "Stopped");
      g_assert_true (r->total_ms < CHUNKS * 400);
      g_assert_cmpuint (json_array_get_length (sy_compare_column_get_messages (column)), ==, 0);
    }

  requests = sy_test_mock_requests (mock);
  list = json_node_get_array (sy_test_json_path (requests, "requests"));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *entry = json_array_get_object_element (list, i);

      if (g_strcmp0 (sy_json_get_string (entry, "path"), "/v1/chat/completions") == 0)
        g_ptr_array_add (seen, (gpointer) sy_json_get_string (sy_json_get_object (entry, "body"), "model"));
    }
  g_assert_cmpuint (seen->len, ==, 3);
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "gpt-4.1-mini", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "llama-3.1-8b-instant", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "deepseek-chat", g_str_equal, NULL));
}

/* Closing the window while every column streams cancels the runs; their
 * ends find the page gone. */
static void
test_close_while_running (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);

  sy_test_mock_faults (mock, "[{\"kind\":\"drip\",\"delay_ms\":300,\"count\":2}]");
  type_prompt (page, PROMPT);
  click (GTK_WIDGET (page), "_Run");
  sy_gui_test_wait (every_column_has_text, page, 30, "every column streaming");
  gtk_window_destroy (GTK_WINDOW (test->window));
  g_clear_object (&test->window);
  sy_gui_test_run_for (500);
}

/* ---------------------------------------------------------------- picker */

static GtkListBoxRow *
picker_row (GtkMenuButton *button,
            const char    *model)
{
  GtkPopover *popover;
  GtkListBox *list;
  GtkListBoxRow *row;

  gtk_menu_button_popup (button);
  sy_gui_test_run_for (100);
  popover = gtk_menu_button_get_popover (button);
  g_assert_nonnull (popover);
  list = GTK_LIST_BOX (sy_gui_test_find_type (GTK_WIDGET (popover), GTK_TYPE_LIST_BOX));
  for (int i = 0; (row = gtk_list_box_get_row_at_index (list, i)) != NULL; i++)
    if (g_strcmp0 (g_object_get_data (G_OBJECT (row), "model"), model) == 0)
      return row;
  return NULL;
}

/* Columns are added from the picker (profiles first, then the configured
 * providers' models), and a column swaps its model from its title. */
static void
test_picker (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  GtkWidget *add = sy_gui_test_find (GTK_WIDGET (page), GTK_TYPE_MENU_BUTTON, "Add a Model to Compare");
  GtkWidget *change;
  GtkListBoxRow *row;

  g_assert_nonnull (add);
  row = picker_row (GTK_MENU_BUTTON (add), "judged");
  g_assert_nonnull (row);
  g_assert_cmpint (gtk_list_box_row_get_index (row), ==, 0);
  row = picker_row (GTK_MENU_BUTTON (add), MODEL_C);
  g_assert_nonnull (row);
  g_signal_emit_by_name (gtk_widget_get_parent (GTK_WIDGET (row)), "row-activated", row);
  sy_gui_test_run_for (50);
  g_assert_cmpuint (sy_compare_page_get_n_columns (page), ==, 3);
  g_assert_cmpstr (sy_compare_column_get_model (sy_compare_page_get_column (page, 2)), ==, MODEL_C);

  change = sy_gui_test_find (GTK_WIDGET (sy_compare_page_get_column (page, 0)), GTK_TYPE_MENU_BUTTON, "Change Model");
  g_assert_nonnull (change);
  row = picker_row (GTK_MENU_BUTTON (change), "judged");
  g_assert_nonnull (row);
  g_signal_emit_by_name (gtk_widget_get_parent (GTK_WIDGET (row)), "row-activated", row);
  sy_gui_test_run_for (300);
  g_assert_cmpstr (sy_compare_column_get_model (sy_compare_page_get_column (page, 0)), ==, "judged");
  /* A profile is estimated at its first model's price. */
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (sy_compare_page_get_column (page, 0)), GTK_TYPE_LABEL,
                                      "Estimate ≈ $0.00080"));
}

/* ---------------------------------------------------------- attachments */

static gboolean
attachments_at (gpointer data)
{
  GtkFlowBox *box = data;

  return gtk_flow_box_get_child_at_index (box, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (box), "want")) - 1) != NULL;
}

/* Chooses @path in the file chooser the Attach button opens, as a user would. */
static void
attach (SyComparePage *page,
        const char    *path,
        guint          count)
{
  GtkWidget *box;

  gtk_widget_activate_action (GTK_WIDGET (page), "compare.attach", NULL);
  sy_gui_test_choose_file (path);
  box = sy_gui_test_find_type (GTK_WIDGET (page), GTK_TYPE_FLOW_BOX);
  g_object_set_data (G_OBJECT (box), "want", GUINT_TO_POINTER (count));
  sy_gui_test_wait (attachments_at, box, 10, "the attachment");
}

/* An image goes as a data: URL in an image_url part, a text file inlined as a
 * text part, both after the prompt. */
static void
test_attachments (void)
{
  static const char * const models[] = { MODEL_A, NULL };
  static const guchar png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R' };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  g_autofree char *image = g_build_filename (test->dir, "chart.png", NULL);
  g_autofree char *notes = g_build_filename (test->dir, "notes.txt", NULL);
  g_autofree char *base64 = g_base64_encode (png, sizeof png);
  g_autofree char *data_url = g_strconcat ("data:image/png;base64,", base64, NULL);
  g_autoptr(JsonNode) body = NULL;

  g_assert_true (g_file_set_contents (image, (const char *) png, sizeof png, NULL));
  g_assert_true (g_file_set_contents (notes, "line one\nline two\n", -1, NULL));
  attach (page, image, 1);
  attach (page, notes, 2);
  type_prompt (page, "Describe these");
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run with attachments");
  g_assert_true (sy_compare_column_get_succeeded (sy_compare_page_get_column (page, 0)));

  body = sy_test_mock_last_body (mock);
  g_assert_cmpuint (sy_test_json_length (body, "messages.0.content"), ==, 3);
  g_assert_cmpstr (sy_test_json_string (body, "messages.0.content.0.text"), ==, "Describe these");
  g_assert_cmpstr (sy_test_json_string (body, "messages.0.content.1.type"), ==, "image_url");
  g_assert_cmpstr (sy_test_json_string (body, "messages.0.content.1.image_url.url"), ==, data_url);
  g_assert_cmpstr (sy_test_json_string (body, "messages.0.content.2.type"), ==, "text");
  g_assert_cmpstr (sy_test_json_string (body, "messages.0.content.2.text"), ==,
                   "notes.txt\n```\nline one\nline two\n```");
  /* Sent once: the composer is empty again. */
  g_assert_null (gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (sy_gui_test_find_type (GTK_WIDGET (page), GTK_TYPE_FLOW_BOX)), 0));
}

/* ------------------------------------------------------------- judging */

typedef struct {
  const SyHistoryRecord *record;
  SyHistoryRecord       *copy;
  gboolean               done;
} RunResult;

static void
sink_delta (const char *content,
            const char *reasoning,
            gpointer    data)
{
}

static void
sink_finished (const SyHistoryRecord *record,
               const char            *error,
               gpointer               data)
{
  RunResult *result = data;

  g_assert_null (error);
  result->copy = sy_history_record_copy (record);
  result->done = TRUE;
}

static gboolean
run_done (gpointer data)
{
  return ((RunResult *) data)->done;
}

/* A request for the "best" profile through the same router: the provider/model
 * it went to. */
static char *
best_choice (SyGuiTest *test)
{
  static const SyRunSink sink = { sink_delta, sink_finished };
  g_autoptr(JsonNode) request = sy_test_json_parse ("{\"model\":\"judged\",\"messages\":"
                                                    "[{\"role\":\"user\",\"content\":\"which one?\"}]}");
  g_autoptr(JsonNode) body = NULL;
  RunResult result = { 0 };
  char *choice;

  sy_endpoint_run (sy_services_get_endpoint (test->services), json_node_get_object (request), &sink,
                   &result, NULL, NULL);
  sy_gui_test_wait (run_done, &result, 30, "the request to the best profile");
  g_assert_cmpint (result.copy->status, ==, 200);
  choice = g_strdup_printf ("%s/%s", result.copy->provider, result.copy->model);
  body = sy_test_mock_last_body (mock);
  g_assert_cmpstr (sy_test_json_string (body, "model"), ==, result.copy->model);
  sy_history_record_free (result.copy);
  return choice;
}

static void
ratings_read (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  SyRatings **ratings = data;
  g_autoptr(GError) error = NULL;

  *ratings = sy_endpoint_read_ratings_finish (SY_ENDPOINT (source), result, &error);
  g_assert_no_error (error);
}

static SyRatings *
read_ratings (SyGuiTest *test)
{
  SyRatings *ratings = NULL;

  sy_endpoint_read_ratings_async (sy_services_get_endpoint (test->services), NULL, ratings_read, &ratings);
  sy_gui_test_wait (pointer_set, &ratings, 30, "the ratings");
  return ratings;
}

static void
assert_leader (SyRatings  *ratings,
               const char *first,
               const char *second)
{
  g_autoptr(GPtrArray) board = sy_ratings_leaderboard (ratings);

  g_assert_cmpuint (board->len, ==, 2);
  g_assert_cmpstr (((SyRating *) board->pdata[0])->model, ==, first);
  g_assert_cmpstr (((SyRating *) board->pdata[1])->model, ==, second);
  g_assert_cmpfloat (((SyRating *) board->pdata[0])->elo, >, ((SyRating *) board->pdata[1])->elo);
}

typedef struct {
  GtkListBox *list;
  const char *first;
} BoardWanted;

static gboolean
board_shows (gpointer data)
{
  BoardWanted *wanted = data;
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (wanted->list, 0);

  return row != NULL && gtk_list_box_get_row_at_index (wanted->list, 1) != NULL &&
         g_strcmp0 (g_object_get_data (G_OBJECT (row), "sy-model"), wanted->first) == 0;
}

static GtkListBox *
leaderboard (SyComparePage *page)
{
  GtkWidget *label = sy_gui_test_find (GTK_WIDGET (page), GTK_TYPE_LABEL, "Rate answers or pick the best one to rank models");

  g_assert_nonnull (label);
  return GTK_LIST_BOX (gtk_widget_get_parent (label));
}

/* Picking A as best, then rating B above A in a second comparison: each
 * judgement is stored, re-read in leaderboard order, and moves the "best"
 * profile's choice. */
static void
test_ratings_route_best (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  g_autoptr(SyRatings) after_first = NULL;
  g_autoptr(SyRatings) after_second = NULL;
  g_autoptr(SyRatings) seeded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *first_choice = NULL;
  g_autofree char *second_choice = NULL;
  g_autofree char *first_id = NULL;
  GtkWidget *best;

  type_prompt (page, PROMPT);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the first comparison");
  first_id = g_strdup (sy_compare_page_get_comparison_id (page));

  best = sy_gui_test_find (GTK_WIDGET (sy_compare_page_get_column (page, 0)), GTK_TYPE_TOGGLE_BUTTON,
                           "Pick as the Best Answer");
  g_assert_nonnull (best);
  g_assert_true (gtk_widget_is_sensitive (best));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (best), TRUE);
  g_assert_cmpint (sy_compare_column_get_score (sy_compare_page_get_column (page, 0)), ==, 5);
  g_assert_cmpint (sy_compare_column_get_score (sy_compare_page_get_column (page, 1)), ==, 3);
  wait_idle (page, "the ratings of the first comparison");
  sy_gui_test_wait (board_shows, &(BoardWanted) { leaderboard (page), MODEL_A }, 30, "A leading the leaderboard");

  after_first = read_ratings (test);
  assert_leader (after_first, MODEL_A, MODEL_B);
  g_assert_cmpuint (sy_ratings_lookup (after_first, MODEL_A)->wins, ==, 1);
  g_assert_cmpuint (sy_ratings_lookup (after_first, MODEL_B)->losses, ==, 1);
  first_choice = best_choice (test);
  g_assert_cmpstr (first_choice, ==, MODEL_A);

  /* A second comparison: B five stars, A one. */
  gtk_widget_activate_action (GTK_WIDGET (page), "compare.new", NULL);
  g_assert_null (sy_compare_page_get_comparison_id (page));
  type_prompt (page, "A second question");
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the second comparison");
  g_assert_cmpstr (sy_compare_page_get_comparison_id (page), !=, first_id);
  gtk_widget_activate_action (GTK_WIDGET (sy_compare_page_get_column (page, 1)), "column.rate", "i", 5);
  gtk_widget_activate_action (GTK_WIDGET (sy_compare_page_get_column (page, 0)), "column.rate", "i", 1);
  wait_idle (page, "the ratings of the second comparison");
  sy_gui_test_wait (board_shows, &(BoardWanted) { leaderboard (page), MODEL_B }, 30, "B leading the leaderboard");

  after_second = read_ratings (test);
  assert_leader (after_second, MODEL_B, MODEL_A);
  second_choice = best_choice (test);
  g_assert_cmpstr (second_choice, ==, MODEL_B);

  /* On disk: a fresh replay of the history ranks them the same. */
  seeded = sy_ratings_new ();
  g_assert_true (sy_ratings_seed (seeded, test->db_path, &error));
  g_assert_no_error (error);
  assert_leader (seeded, MODEL_B, MODEL_A);
}

/* ----------------------------------------------------------- route this way */

static AdwMessageDialog *
find_dialog (void)
{
  return ADW_MESSAGE_DIALOG (sy_gui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
}

static gboolean
profile_written (gpointer data)
{
  SyGuiTest *test = data;
  g_autoptr(SyProfile) profile = sy_config_dup_profile (sy_services_get_config (test->services),
                                                        "compare-llama-3.1-8b-instant");

  return profile != NULL;
}

/* From the winning column: a fallback profile with the winner first. */
static void
test_route_this_way (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, MODEL_C, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  g_autoptr(JsonNode) saved = NULL;
  g_autoptr(SyProfile) judged = NULL;
  AdwMessageDialog *dialog;
  JsonArray *profiles;
  JsonObject *profile = NULL;

  type_prompt (page, PROMPT);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run");

  gtk_widget_activate_action (GTK_WIDGET (sy_compare_page_get_column (page, 1)), "column.route", NULL);
  sy_gui_test_run_for (100);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "save");
  sy_gui_test_wait (profile_written, test, 30, "the profile in force");

  saved = sy_gui_test_read_config (test);
  profiles = json_node_get_array (sy_test_json_path (saved, "profiles"));
  for (guint i = 0; i < json_array_get_length (profiles); i++)
    if (g_strcmp0 (sy_json_get_string (json_array_get_object_element (profiles, i), "name"),
                   "compare-llama-3.1-8b-instant") == 0)
      profile = json_array_get_object_element (profiles, i);
  g_assert_nonnull (profile);
  g_assert_cmpstr (sy_json_get_string (profile, "strategy"), ==, "fallback");
  g_assert_cmpuint (json_array_get_length (sy_json_get_array (profile, "models")), ==, 3);
  g_assert_cmpstr (json_array_get_string_element (sy_json_get_array (profile, "models"), 0), ==, MODEL_B);
  g_assert_cmpstr (json_array_get_string_element (sy_json_get_array (profile, "models"), 1), ==, MODEL_A);
  g_assert_cmpstr (json_array_get_string_element (sy_json_get_array (profile, "models"), 2), ==, MODEL_C);
  /* The other profiles are kept. */
  judged = sy_config_dup_profile (sy_services_get_config (test->services), "judged");
  g_assert_nonnull (judged);
}

#define RULE_PROMPT "Write a limerick about Kubernetes and a pelican"
#define RULE_WORDS "(?i)\\b(kubernetes|limerick)\\b"
#define RULE_EDITED "(?i)\\b(kubernetes|limerick|pelican)\\b"
#define RULE_PROFILE "compare-llama-3.1-8b-instant"

static AdwMessageDialog *
open_route_dialog (SyComparePage *page,
                   guint          column)
{
  AdwMessageDialog *dialog;

  gtk_widget_activate_action (GTK_WIDGET (sy_compare_page_get_column (page, column)), "column.route", NULL);
  sy_gui_test_run_for (100);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  return dialog;
}

/* Picks "For Prompts Like This One" as a keyboard user would (activating its
 * row); returns the entry of the words to match, shown only then. */
static GtkEditable *
choose_rule (AdwMessageDialog *dialog)
{
  GtkWidget *row = sy_gui_test_find (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, "For Prompts Like This One");
  GtkWidget *tool_row = sy_gui_test_find (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, "When a Tool Asks for It");
  GtkWidget *words = sy_gui_test_find (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "Words to Match");

  g_assert_nonnull (row);
  g_assert_nonnull (tool_row);
  g_assert_nonnull (words);
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (tool_row)))));
  g_assert_false (gtk_widget_is_visible (words));
  g_assert_true (gtk_widget_get_focusable (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row))));
  adw_action_row_activate (ADW_ACTION_ROW (row));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (row)))));
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (adw_action_row_get_activatable_widget (ADW_ACTION_ROW (tool_row)))));
  g_assert_true (gtk_widget_is_visible (words));
  return GTK_EDITABLE (words);
}

typedef struct {
  SyGuiTest  *test;
  const char *pattern;
} RuleWanted;

static gboolean
rule_in_force (gpointer data)
{
  RuleWanted *wanted = data;
  JsonObject *root = sy_config_get_root (sy_services_get_config (wanted->test->services));
  JsonObject *first = sy_json_array_get_object (sy_json_get_array (root, "rules"), 0);

  return g_strcmp0 (sy_json_get_string (sy_json_get_object (first, "when"), "prompt_matches"), wanted->pattern) == 0;
}

/* The rules on disk: ours first with @pattern, then the one the config had. */
static void
check_rules (SyGuiTest  *test,
             const char *pattern)
{
  g_autoptr(JsonNode) saved = sy_gui_test_read_config (test);

  g_assert_cmpuint (sy_test_json_length (saved, "rules"), ==, 2);
  g_assert_cmpstr (sy_test_json_string (saved, "rules.0.profile"), ==, RULE_PROFILE);
  g_assert_cmpuint (sy_test_json_length (saved, "rules.0.when"), ==, 1);
  g_assert_cmpstr (sy_test_json_string (saved, "rules.0.when.prompt_matches"), ==, pattern);
  g_assert_cmpstr (sy_test_json_string (saved, "rules.1.profile"), ==, "judged");
  g_assert_cmpstr (sy_test_json_string (saved, "rules.1.when.header"), ==, "elsewhere");
  g_assert_cmpstr (sy_test_json_string (saved, "rules.1.note"), ==, "kept");
  g_assert_true (json_node_get_boolean (sy_test_json_path (saved, "x-unknown.kept")));
  g_assert_cmpstr (sy_test_json_string (saved, "profiles.1.name"), ==, RULE_PROFILE);
  g_assert_cmpstr (sy_test_json_string (saved, "profiles.1.models.0"), ==, MODEL_B);
}

/* A request through the running endpoint asking for MODEL_A: the model the
 * mock was asked for. */
static char *
routed_model (guint       port,
              const char *prompt)
{
  g_autofree char *body = g_strdup_printf ("{\"model\":\"" MODEL_A "\",\"messages\":"
                                           "[{\"role\":\"user\",\"content\":\"%s\"}]}", prompt);
  g_autoptr(SyTestResponse) response = sy_test_chat (port, TOKEN, body);
  g_autoptr(JsonNode) sent = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  sent = sy_test_mock_last_body (mock);
  return g_strdup (sy_test_json_string (sent, "model"));
}

/* "For prompts like this one": a rule on the prompt's longest words, first
 * among the rules, that sends matching requests to the profile whatever model
 * they name; saving again updates it. */
static void
test_route_rule (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, NULL };
  g_autoptr(SyGuiTest) test =
    new_test_with (",\"rules\":[{\"when\":{\"header\":\"elsewhere\"},\"profile\":\"judged\",\"note\":\"kept\"}],"
                   "\"x-unknown\":{\"kept\":true}");
  SyComparePage *page = compare_page (test, models);
  guint port = sy_gui_test_start_endpoint (test);
  AdwMessageDialog *dialog;
  GtkEditable *words;
  GtkWidget *preview;
  g_autofree char *matched = NULL;
  g_autofree char *edited = NULL;
  g_autofree char *unmatched = NULL;

  type_prompt (page, RULE_PROMPT);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run");

  dialog = open_route_dialog (page, 1);
  words = choose_rule (dialog);
  g_assert_cmpstr (gtk_editable_get_text (words), ==, RULE_WORDS);
  preview = sy_gui_test_find (GTK_WIDGET (dialog), GTK_TYPE_LABEL,
                              "Rule 1: requests matching " RULE_WORDS " go to “" RULE_PROFILE "”");
  g_assert_nonnull (preview);
  g_assert_true (gtk_widget_is_visible (preview));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "save"));
  click (GTK_WIDGET (dialog), "_Create Profile");
  sy_gui_test_wait (rule_in_force, &(RuleWanted) { test, RULE_WORDS }, 30, "the rule in force");
  check_rules (test, RULE_WORDS);

  matched = routed_model (port, "Another LIMERICK, about cats");
  g_assert_cmpstr (matched, ==, "llama-3.1-8b-instant");
  unmatched = routed_model (port, "Tell me about the weather");
  g_assert_cmpstr (unmatched, ==, "gpt-4.1-mini");

  /* Again, with a word more: the same rule, in the same place. */
  sy_gui_test_run_for (100);
  g_assert_null (find_dialog ());
  dialog = open_route_dialog (page, 1);
  words = choose_rule (dialog);
  gtk_editable_set_text (words, RULE_EDITED);
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (dialog), GTK_TYPE_LABEL,
                                      "Rule 1: requests matching " RULE_EDITED " go to “" RULE_PROFILE "”"));
  click (GTK_WIDGET (dialog), "_Update Profile");
  sy_gui_test_wait (rule_in_force, &(RuleWanted) { test, RULE_EDITED }, 30, "the updated rule in force");
  check_rules (test, RULE_EDITED);
  edited = routed_model (port, "a pelican, please");
  g_assert_cmpstr (edited, ==, "llama-3.1-8b-instant");
  g_clear_pointer (&unmatched, g_free);
  unmatched = routed_model (port, "Tell me about the weather");
  g_assert_cmpstr (unmatched, ==, "gpt-4.1-mini");
}

/* Save stays off while the words are no regular expression, or while the rule
 * would have no condition at all; the entry says why. */
static void
test_route_rule_invalid (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  AdwMessageDialog *dialog;
  GtkEditable *words;
  g_autoptr(JsonNode) saved = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) regex = NULL;

  type_prompt (page, RULE_PROMPT);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run");

  dialog = open_route_dialog (page, 0);
  words = choose_rule (dialog);
  gtk_editable_set_text (words, "(?i)\\b(kubernetes|limerick");
  regex = g_regex_new ("(?i)\\b(kubernetes|limerick", G_REGEX_OPTIMIZE, 0, &error);
  g_assert_null (regex);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (words), "error"));
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (dialog), GTK_TYPE_LABEL, error->message));

  gtk_editable_set_text (words, "");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (dialog), GTK_TYPE_LABEL,
                                      "Enter words to match: a rule without conditions would take every request"));

  /* Answering anyway writes nothing. */
  gtk_editable_set_text (words, "(unclosed");
  adw_message_dialog_response (dialog, "save");
  gtk_window_destroy (GTK_WINDOW (dialog));
  sy_gui_test_run_for (200);
  saved = sy_gui_test_read_config (test);
  g_assert_null (sy_test_json_path (saved, "rules"));
  g_assert_cmpuint (sy_test_json_length (saved, "profiles"), ==, 1);

  /* A valid expression turns Save back on. */
  dialog = open_route_dialog (page, 0);
  words = choose_rule (dialog);
  gtk_editable_set_text (words, "(?i)pelican");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (words), "error"));
  click (GTK_WIDGET (dialog), "_Cancel");
  sy_gui_test_run_for (100);
  g_assert_null (find_dialog ());
}

/* A long prompt with an image: the rule asks for both, the length at half the
 * prompt's estimate in round hundreds. */
static void
test_route_rule_long (void)
{
  static const char * const models[] = { MODEL_A, MODEL_B, NULL };
  static const guchar png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R' };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  g_autofree char *image = g_build_filename (test->dir, "chart.png", NULL);
  g_autoptr(GString) prompt = g_string_new (NULL);
  AdwMessageDialog *dialog;
  GtkEditable *words;

  /* 9000 bytes: about 2250 tokens, so "over 1100". */
  for (guint i = 0; i < 500; i++)
    g_string_append (prompt, "lorem ipsum dolor ");
  g_assert_true (g_file_set_contents (image, (const char *) png, sizeof png, NULL));
  attach (page, image, 1);
  type_prompt (page, prompt->str);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run");

  dialog = open_route_dialog (page, 0);
  words = choose_rule (dialog);
  g_assert_cmpstr (gtk_editable_get_text (words), ==, "(?i)\\b(lorem|ipsum)\\b");
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (dialog), GTK_TYPE_LABEL,
                                      "Rule 1: requests with images, over 1100 tokens, matching "
                                      "(?i)\\b(lorem|ipsum)\\b go to “compare-gpt-4.1-mini”"));
  /* Without words the other conditions still make a rule. */
  gtk_editable_set_text (words, "");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "save"));
  g_assert_nonnull (sy_gui_test_find (GTK_WIDGET (dialog), GTK_TYPE_LABEL,
                                      "Rule 1: requests with images, over 1100 tokens go to “compare-gpt-4.1-mini”"));
  click (GTK_WIDGET (dialog), "_Cancel");
  sy_gui_test_run_for (100);
}

static gboolean
list_has_rows (gpointer data)
{
  return gtk_list_box_get_row_at_index (data, 0) != NULL;
}

/* Reopening a saved comparison brings back its columns and conversation. */
static void
test_reopen (void)
{
  static const char * const models[] = { MODEL_A, MODEL_C, NULL };
  g_autoptr(SyGuiTest) test = new_test ();
  SyComparePage *page = compare_page (test, models);
  g_autoptr(GPtrArray) saved = NULL;
  g_autofree char *id = NULL;
  GtkWidget *recent_button;
  GtkPopover *popover;
  GtkListBox *list;
  GtkListBoxRow *row;

  type_prompt (page, PROMPT);
  click (GTK_WIDGET (page), "_Run");
  wait_idle (page, "the run");
  id = g_strdup (sy_compare_page_get_comparison_id (page));

  gtk_widget_activate_action (GTK_WIDGET (page), "compare.new", NULL);
  g_assert_cmpuint (json_array_get_length (sy_compare_column_get_messages (sy_compare_page_get_column (page, 0))), ==, 0);

  recent_button = sy_gui_test_find (GTK_WIDGET (page), GTK_TYPE_MENU_BUTTON, "Reopen a Saved Comparison");
  g_assert_nonnull (recent_button);
  gtk_menu_button_popup (GTK_MENU_BUTTON (recent_button));
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (recent_button));
  list = GTK_LIST_BOX (sy_gui_test_find_type (GTK_WIDGET (popover), GTK_TYPE_LIST_BOX));
  sy_gui_test_wait (list_has_rows, list, 30, "the recent list");
  row = gtk_list_box_get_row_at_index (list, 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, PROMPT);
  g_signal_emit_by_name (list, "row-activated", row);
  sy_gui_test_run_for (50);

  g_assert_cmpstr (sy_compare_page_get_comparison_id (page), ==, id);
  g_assert_cmpuint (sy_compare_page_get_n_columns (page), ==, 2);
  g_assert_cmpstr (sy_compare_column_get_model (sy_compare_page_get_column (page, 1)), ==, MODEL_C);
  g_assert_cmpuint (json_array_get_length (sy_compare_column_get_messages (sy_compare_page_get_column (page, 1))), ==, 2);
  check_figures (test, sy_compare_page_get_column (page, 0), MAX (1, (gint64) strlen (PROMPT) / 4));
}

int
main (int   argc,
      char *argv[])
{
  static const char * const mock_args[] = { "--chunks", G_STRINGIFY (CHUNKS), NULL };
  int status;

  g_setenv ("SY_CMP_KEY", KEY, TRUE);
  sy_gui_test_init (&argc, &argv);
  mock = sy_test_mock_start (mock_args);
  {
    /* A port nothing listens on: the "dead" provider. */
    g_autoptr(GSocketListener) listener = g_socket_listener_new ();
    g_autoptr(GError) error = NULL;

    closed_port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
    g_assert_no_error (error);
    g_socket_listener_close (listener);
  }

  g_test_add_func ("/gui/compare/markdown", test_markdown);
  g_test_add_func ("/gui/compare/concurrent", test_concurrent);
  g_test_add_func ("/gui/compare/failing-column", test_failing_column);
  g_test_add_func ("/gui/compare/stop", test_stop);
  g_test_add_func ("/gui/compare/close-while-running", test_close_while_running);
  g_test_add_func ("/gui/compare/attachments", test_attachments);
  g_test_add_func ("/gui/compare/picker", test_picker);
  g_test_add_func ("/gui/compare/ratings-route-best", test_ratings_route_best);
  g_test_add_func ("/gui/compare/route-this-way", test_route_this_way);
  g_test_add_func ("/gui/compare/route-rule", test_route_rule);
  g_test_add_func ("/gui/compare/route-rule-invalid", test_route_rule_invalid);
  g_test_add_func ("/gui/compare/route-rule-long", test_route_rule_long);
  g_test_add_func ("/gui/compare/reopen", test_reopen);

  status = g_test_run ();
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
