/* replay.c — runs a fuzz target's LLVMFuzzerTestOneInput on corpus files, without
 * libFuzzer, so that `make check` replays the corpus with any compiler.
 * Usage: replay-TARGET FILE-OR-DIRECTORY...; prints TAP, one case per file.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-replay"

#include "fuzz-util.h"

#include <stdio.h>
#include <string.h>

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Adds @path, or the regular files directly in it sorted by name (stable case
 * numbers), to @files. */
static gboolean
collect (const char  *path,
         GPtrArray   *files,
         GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) found = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return TRUE;
    }

  dir = g_dir_open (path, 0, error);
  if (dir == NULL)
    return FALSE;

  found = g_ptr_array_new ();
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      char *file = g_build_filename (path, name, NULL);

      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (found, file);
      else
        g_free (file);
    }
  g_ptr_array_sort (found, compare_paths);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (files, g_ptr_array_index (found, i));
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  guint failed = 0;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
      return 2;
    }

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!collect (argv[i], files, &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
    }

  /* An empty plan would read as a skip, and a skipped replay checked nothing. */
  if (files->len == 0)
    {
      printf ("1..1\nnot ok 1 - no corpus files found\n");
      return 1;
    }

  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);
      g_autoptr(GError) error = NULL;
      g_autofree char *contents = NULL;
      g_autofree guint8 *exact = NULL;
      gsize length;

      if (!g_file_get_contents (file, &contents, &length, &error))
        {
          printf ("not ok %u - %s # %s\n", i + 1, file, error->message);
          failed++;
          continue;
        }

      /* A crash or a failed assertion ends the process: the case in flight is
       * the one the log names last. */
      printf ("# replaying %s (%" G_GSIZE_FORMAT " bytes)\n", file, length);
      fflush (stdout);
      /* libFuzzer's buffers end where the input does, with no NUL after it, so
       * that ASan sees a read past the end: copy to match. */
      exact = g_malloc (MAX (length, 1));
      memcpy (exact, contents, length);
      LLVMFuzzerTestOneInput (exact, length);
      printf ("ok %u - %s\n", i + 1, file);
      fflush (stdout);
    }

  return failed > 0 ? 1 : 0;
}
