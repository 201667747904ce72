/* bench-compare.c — the real window's Compare page with four columns streaming at
 * 200+ tokens/s each: how long each frame's work takes meanwhile.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Run under an X server (tests/bench/window.sh does): builds the window over a
 * temp config whose four providers point at a mock upstream that streams 400
 * one-word chunks 4 ms apart (a little over 200 tokens/s with the router's own
 * time), types a prompt, presses Run, and measures with the window's frame clock
 * probe until every column is done. Prints key value lines.
 *
 * `bench-compare --screenshots DIR` instead writes DIR/compare-{running,finished}-
 * {light,dark}.png: three columns (slower streams), mid-stream and finished. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>

#include "sy-compare-page.h"
#include "sy-gui-test-util.h"

static GtkTextView *
first_editable_text_view (GtkWidget *root)
{
  if (GTK_IS_TEXT_VIEW (root) && gtk_text_view_get_editable (GTK_TEXT_VIEW (root)))
    return GTK_TEXT_VIEW (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkTextView *found = first_editable_text_view (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
columns_done (gpointer data)
{
  SyComparePage *page = data;

  for (guint i = 0; i < sy_compare_page_get_n_columns (page); i++)
    if (sy_compare_column_get_running (sy_compare_page_get_column (page, i)) ||
        sy_compare_column_get_record (sy_compare_page_get_column (page, i)) == NULL)
      return FALSE;
  return TRUE;
}

static void
save_png (GtkWidget  *window,
          const char *dir,
          const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int width = gtk_widget_get_width (window), height = gtk_widget_get_height (window);

  /* A window between two frames may have nothing to show yet: try again after
   * the next ones. */
  for (guint attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (snapshot);
      if (node == NULL)
        sy_gui_test_run_for (50);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  printf ("wrote %s\n", path);
}

static gboolean
some_text (gpointer data)
{
  SyComparePage *page = data;

  for (guint i = 0; i < sy_compare_page_get_n_columns (page); i++)
    {
      const char *answer = sy_compare_column_get_answer (sy_compare_page_get_column (page, i));
      if (answer == NULL || strlen (answer) < 300)
        return FALSE;
    }
  return TRUE;
}

static int
screenshots (const char *dir)
{
  const char *mock_args[] = { "--chunks", "120", "--chunk-delay-ms", "40", NULL };
  const char *models[] = { "openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5", "google/gemini-2.5-flash", NULL };
  const char *styles[] = { "light", "dark" };
  SyTestProc *mock = sy_test_mock_start (mock_args);

  g_setenv ("SY_BENCH_KEY", "sk-bench", TRUE);
  for (guint s = 0; s < G_N_ELEMENTS (styles); s++)
    {
      SyGuiTest *test;
      SyComparePage *page;
      g_autofree char *running = g_strdup_printf ("compare-running-%s.png", styles[s]);
      g_autofree char *finished = g_strdup_printf ("compare-finished-%s.png", styles[s]);

      adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                          s == 0 ? ADW_COLOR_SCHEME_FORCE_LIGHT : ADW_COLOR_SCHEME_FORCE_DARK);
      test = sy_gui_test_new ("{\"server\":{\"port\":0},"
                              " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_BENCH_KEY\"},"
                              "  {\"id\":\"anthropic\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_BENCH_KEY\"},"
                              "  {\"id\":\"google\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_BENCH_KEY\"}]}",
                              mock);
      gtk_window_set_default_size (GTK_WINDOW (test->window), 1280, 800);
      sy_window_show_page (test->window, "compare");
      page = SY_COMPARE_PAGE (sy_window_get_page (test->window, "compare"));
      sy_compare_page_set_models (page, models);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (first_editable_text_view (GTK_WIDGET (page))),
                                "Explain in a few sentences how a model router picks a model.", -1);
      sy_gui_test_run_for (500);
      gtk_widget_activate_action (GTK_WIDGET (page), "compare.run", NULL);
      sy_gui_test_wait (some_text, page, 60, "text in every column");
      sy_gui_test_run_for (200);
      save_png (GTK_WIDGET (test->window), dir, running);
      sy_gui_test_wait (columns_done, page, 120, "the columns to finish");
      sy_gui_test_run_for (500);
      save_png (GTK_WIDGET (test->window), dir, finished);
      sy_gui_test_free (test);
    }
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  const char *mock_args[] = { "--chunks", "400", "--chunk-delay-ms", "4", NULL };
  const char *models[] = { "openai/gpt-4.1", "openai/gpt-4.1-mini", "anthropic/claude-haiku-4-5",
                           "google/gemini-2.5-flash", NULL };
  g_autofree char *probe = g_build_filename (g_get_tmp_dir (), "sy-bench-compare-probe.json", NULL);
  g_autofree char *result = NULL;
  SyTestProc *mock;
  SyGuiTest *test;
  SyComparePage *page;
  GtkTextView *prompt;
  gint64 t0;

  if (argc == 3 && g_str_equal (argv[1], "--screenshots"))
    {
      const char *dir = argv[2];
      argc = 1;
      sy_gui_test_init (&argc, &argv);
      return screenshots (dir);
    }

  g_setenv ("SY_BENCH_KEY", "sk-bench", TRUE);
  g_setenv ("SWITCHYARD_FRAME_PROBE", probe, TRUE);
  g_unlink (probe);
  sy_gui_test_init (&argc, &argv);
  mock = sy_test_mock_start (mock_args);
  test = sy_gui_test_new ("{\"server\":{\"port\":0},"
                          " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_BENCH_KEY\"},"
                          "  {\"id\":\"anthropic\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_BENCH_KEY\"},"
                          "  {\"id\":\"google\",\"base_url\":\"@MOCK@\",\"key_env\":\"SY_BENCH_KEY\"}]}",
                          mock);
  gtk_window_set_default_size (GTK_WINDOW (test->window), 1400, 860);
  sy_window_show_page (test->window, "compare");
  page = SY_COMPARE_PAGE (sy_window_get_page (test->window, "compare"));
  sy_compare_page_set_models (page, models);
  prompt = first_editable_text_view (GTK_WIDGET (page));
  g_assert_nonnull (prompt);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (prompt),
                            "Explain, with a code example, how a router picks a model.", -1);
  sy_gui_test_run_for (1500);   /* the probe counts from one second after mapping */

  t0 = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (page), "compare.run", NULL);
  sy_gui_test_wait (columns_done, page, 120, "the four columns to finish");
  printf ("compare_columns %u\n", sy_compare_page_get_n_columns (page));
  printf ("compare_run_s %.2f\n", (g_get_monotonic_time () - t0) / 1e6);
  for (guint i = 0; i < sy_compare_page_get_n_columns (page); i++)
    {
      const SyHistoryRecord *record = sy_compare_column_get_record (sy_compare_page_get_column (page, i));
      printf ("column_%u_tokens_per_s %.0f\n", i, record->tokens_per_s);
    }

  gtk_window_destroy (GTK_WINDOW (test->window));
  g_clear_object (&test->window);
  if (g_file_get_contents (probe, &result, NULL, NULL))
    printf ("probe %s", result);
  sy_gui_test_free (test);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  g_unlink (probe);
  return 0;
}
