/* sy-test-util.c — helpers shared by the test programs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-test-util.h"

#include <glib/gstdio.h>

char *
sy_test_mkdtemp (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("switchyard-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFile *child;

      while (g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) && child != NULL)
        rm_rf (child);
    }
  g_file_delete (file, NULL, NULL);
}

void
sy_test_rmdir (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  rm_rf (file);
}
