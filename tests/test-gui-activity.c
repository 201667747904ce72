/* test-gui-activity.c — placeholder until the Activity tests are written. */
#include "config.h"
#include "sy-gui-test-util.h"

static void
test_window_builds (void)
{
  g_autoptr(SyGuiTest) test = sy_gui_test_new ("{}", NULL);
  g_assert_nonnull (sy_window_get_page (test->window, "activity"));
}

int
main (int argc, char *argv[])
{
  sy_gui_test_init (&argc, &argv);
  g_test_add_func ("/gui/activity/window-builds", test_window_builds);
  return g_test_run ();
}
