/* test-history.c — the history database: round trip, migrations, threads, crashes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-test"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>

#include "sy-history.h"
#include "sy-test-util.h"

#define APPLICATION_ID 0x53595244

static const char *self_exe;

typedef SyTestDbFixture Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dir = sy_test_mkdtemp ();
  /* A missing parent directory exercises the 0700 mkdir. */
  fixture->path = g_build_filename (fixture->dir, "data", "switchyard", "history.db", NULL);
}

static sqlite3 *
open_raw (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  return db;
}

static gint64
raw_int (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static char *
raw_text (sqlite3    *db,
          const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

/* A record whose every field depends on @i, covering NULLs and unknowns. */
static SyHistoryRecord *
make_record (const char *prefix,
             guint       i)
{
  SyHistoryRecord *r = sy_history_record_new ();

  r->request_id = g_strdup_printf ("%s-%u", prefix, i);
  r->started_at_us = G_GINT64_CONSTANT (1700000000000000) + i * 1000;
  r->client = i % 7 == 0 ? NULL : g_strdup_printf ("client %u ünïcode", i % 3);
  r->surface = g_strdup (i % 2 ? "chat.completions" : "messages");
  r->requested_model = g_strdup_printf ("auto-%u", i % 5);
  r->profile = i % 4 == 0 ? NULL : g_strdup ("auto");
  r->provider = g_strdup (i % 3 ? "openai" : "anthropic");
  r->model = g_strdup_printf ("model-%u", i % 11);
  r->stream = i % 2 == 0;
  r->status = i % 10 == 0 ? 502 : (i % 13 == 0 ? -1 : 200);
  r->error = i % 10 == 0 ? g_strdup ("upstream said '); DROP TABLE requests; --") : NULL;
  r->attempts_json = g_strdup_printf ("[{\"provider\":\"openai\",\"model\":\"m\",\"status\":%u,\"error\":null,\"ms\":%u}]",
                                      200 + i % 3, i);
  r->route_json = i % 9 == 0 ? NULL : g_strdup ("{\"strategy\":\"fallback\",\"reasons\":[\"first\"]}");
  r->prompt_tokens = i % 17 == 0 ? -1 : 1000 + (gint64) i;
  r->completion_tokens = i % 19 == 0 ? -5 : 10 * (gint64) i;
  r->cached_tokens = i % 3 == 0 ? 0 : i;
  r->cache_write_tokens = i % 5 == 0 ? -1 : (gint64) i / 2;
  r->reasoning_tokens = i % 6 == 0 ? -1 : (gint64) i % 100;
  r->cost_known = i % 8 != 0;
  r->cost = 0.000123 * i + 1.0 / 3.0;
  r->cost_input = 0.0001 * i;
  r->cost_output = 0.0002 * i;
  r->cost_cache_read = i % 16 == 1 ? -1 : 0.00001 * i;
  r->cost_cache_write = 0;
  r->ttft_ms = i % 14 == 0 ? -1 : 12.5 + i;
  r->total_ms = 100.25 * (i + 1);
  r->tokens_per_s = i % 15 == 0 ? -1 : 55.5 + i / 7.0;
  r->request_body = i % 4 == 3 ? NULL : g_strdup_printf ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi %u\"}]}", i);
  r->response_body = i % 4 >= 2 ? NULL : g_strdup_printf ("{\"choices\":[%u]}", i);

  return r;
}

static void
assert_number (gint64 got,
               gint64 expected)
{
  g_assert_cmpint (got, ==, expected < 0 ? -1 : expected);
}

static void
assert_real (double got,
             double expected)
{
  if (expected < 0)
    g_assert_cmpfloat (got, ==, -1);
  else
    g_assert_cmpfloat (got, ==, expected);
}

static void
assert_same_record (const SyHistoryRecord *got,
                    const SyHistoryRecord *want)
{
  g_assert_cmpstr (got->request_id, ==, want->request_id);
  g_assert_cmpint (got->started_at_us, ==, want->started_at_us);
  g_assert_cmpstr (got->client, ==, want->client);
  g_assert_cmpstr (got->surface, ==, want->surface);
  g_assert_cmpstr (got->requested_model, ==, want->requested_model);
  g_assert_cmpstr (got->profile, ==, want->profile);
  g_assert_cmpstr (got->provider, ==, want->provider);
  g_assert_cmpstr (got->model, ==, want->model);
  g_assert_cmpint (got->stream, ==, want->stream);
  assert_number (got->status, want->status);
  g_assert_cmpstr (got->error, ==, want->error);
  g_assert_cmpstr (got->attempts_json, ==, want->attempts_json);
  g_assert_cmpstr (got->route_json, ==, want->route_json);
  assert_number (got->prompt_tokens, want->prompt_tokens);
  assert_number (got->completion_tokens, want->completion_tokens);
  assert_number (got->cached_tokens, want->cached_tokens);
  assert_number (got->cache_write_tokens, want->cache_write_tokens);
  assert_number (got->reasoning_tokens, want->reasoning_tokens);
  g_assert_cmpint (got->cost_known, ==, want->cost_known);
  if (want->cost_known)
    {
      assert_real (got->cost, want->cost);
      assert_real (got->cost_input, want->cost_input);
      assert_real (got->cost_output, want->cost_output);
      assert_real (got->cost_cache_read, want->cost_cache_read);
      assert_real (got->cost_cache_write, want->cost_cache_write);
    }
  assert_real (got->ttft_ms, want->ttft_ms);
  assert_real (got->total_ms, want->total_ms);
  assert_real (got->tokens_per_s, want->tokens_per_s);
  g_assert_cmpstr (got->request_body, ==, want->request_body);
  g_assert_cmpstr (got->response_body, ==, want->response_body);
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  const guint n = 1000;
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  guint with_body = 0;
  gint64 started;
  sqlite3 *db;

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sy_history_get_path (history), ==, fixture->path);

  started = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    sy_history_record (history, make_record ("rt", i));
  sy_history_flush (history);
  g_test_message ("%u rows recorded and flushed in %.1f ms", n,
                  (g_get_monotonic_time () - started) / 1000.0);

  /* Readable while the writer is still open: the GUI's situation. */
  rows = sy_history_read_recent (fixture->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, n);

  for (guint k = 0; k < n; k++)
    {
      /* Newest first. */
      guint i = n - 1 - k;
      g_autoptr(SyHistoryRecord) want = make_record ("rt", i);

      assert_same_record (g_ptr_array_index (rows, k), want);
      if (want->request_body != NULL || want->response_body != NULL)
        with_body++;
    }
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = sy_history_read_recent (fixture->path, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 10);
  g_assert_cmpstr (((SyHistoryRecord *) g_ptr_array_index (rows, 0))->request_id, ==, "rt-999");

  sy_history_close (history);

  db = open_raw (fixture->path);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM bodies"), ==, with_body);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM requests WHERE cost IS NULL"), ==, n / 8);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM requests WHERE cost IS NULL"
                                " AND (cost_input IS NOT NULL OR cost_output IS NOT NULL"
                                " OR cost_cache_read IS NOT NULL OR cost_cache_write IS NOT NULL)"),
                   ==, 0);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM requests WHERE completion_tokens < 0"
                                " OR prompt_tokens < 0 OR status < 0 OR ttft_ms < 0"),
                   ==, 0);
  /* The hostile error string is data, not SQL. */
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM requests WHERE error LIKE '%DROP TABLE%'"),
                   ==, n / 10);
  /* Deleting a request deletes its body. */
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON;"
                                     "DELETE FROM requests WHERE request_id = 'rt-1'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM bodies"), ==, with_body - 1);
  sqlite3_close (db);

  /* Records after close are dropped, and close is idempotent. */
  sy_history_record (history, make_record ("late", 0));
  sy_history_flush (history);
  sy_history_close (history);
}

static void
test_duplicate_id (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  gint64 count = 0;

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);

  /* A repeated request_id loses only that row, not its batch. */
  g_test_expect_message ("switchyard-history", G_LOG_LEVEL_WARNING, "*dup-1*UNIQUE*");
  sy_history_record (history, make_record ("dup", 0));
  sy_history_record (history, make_record ("dup", 1));
  sy_history_record (history, make_record ("dup", 1));
  sy_history_record (history, make_record ("dup", 2));
  sy_history_flush (history);
  g_test_assert_expected_messages ();

  g_assert_true (sy_history_read_count (fixture->path, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 3);
}

static void
test_file_mode_and_wal (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autofree char *parent = g_path_get_dirname (fixture->path);
  g_autofree char *wal = g_strconcat (fixture->path, "-wal", NULL);
  g_autofree char *mode = NULL;
  GStatBuf st;
  sqlite3 *db;

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  sy_history_record (history, make_record ("m", 1));
  sy_history_flush (history);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  db = open_raw (fixture->path);
  mode = raw_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  sqlite3_close (db);

  sy_history_close (history);

  /* A file someone loosened is private again after opening. */
  g_assert_cmpint (g_chmod (fixture->path, 0644), ==, 0);
  g_clear_object (&history);
  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_migrations (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  gint64 count = 0;
  sqlite3 *db;

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 5; i++)
    sy_history_record (history, make_record ("mig", i));
  g_clear_object (&history);

  db = open_raw (fixture->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 4);
  g_assert_cmpint (raw_int (db, "PRAGMA application_id"), ==, APPLICATION_ID);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                " AND name LIKE 'requests_%'"), ==, 4);
  sqlite3_close (db);

  /* Reopening an existing v1 file keeps its rows. */
  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  sy_history_record (history, make_record ("mig", 5));
  sy_history_close (history);
  g_assert_true (sy_history_read_count (fixture->path, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 6);
  g_clear_object (&history);

  /* From a newer version: refused, and left as it was. */
  db = open_raw (fixture->path);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  history = sy_history_new (fixture->path, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY);
  g_assert_cmpstr (error->message, ==,
                   "history.db was written by a newer Switchyard (schema 99); "
                   "open it with that version");
  g_clear_error (&error);
  db = open_raw (fixture->path);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, 99);
  sqlite3_close (db);
  /* The read API still works on it. */
  g_assert_true (sy_history_read_count (fixture->path, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count, ==, 6);
}

static void
test_not_ours (Fixture       *fixture,
               gconstpointer  data)
{
  static const char text[] = "this is a text file, not a database\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *parent = g_path_get_dirname (fixture->path);
  g_autofree char *other = g_build_filename (parent, "other.db", NULL);
  g_autofree char *foreign = g_build_filename (parent, "foreign.db", NULL);
  g_autofree char *missing = g_build_filename (parent, "missing.db", NULL);
  GPtrArray *rows;
  gint64 count;
  sqlite3 *db;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fixture->path, text, -1, NULL));

  history = sy_history_new (fixture->path, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, text);

  rows = sy_history_read_recent (fixture->path, 0, &error);
  g_assert_null (rows);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Another application's database, by application_id ... */
  db = open_raw (other);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA application_id = 42; PRAGMA user_version = 1",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  history = sy_history_new (other, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* ... or with tables and no application_id at all. */
  db = open_raw (foreign);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE t (x)", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  history = sy_history_new (foreign, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (sy_history_read_count (foreign, &count, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (sy_history_read_count (missing, &count, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

typedef struct {
  SyHistory *history;
  guint      thread;
} ThreadData;

#define N_THREADS 8
#define ROWS_PER_THREAD 500

static gpointer
record_thread (gpointer user_data)
{
  ThreadData *td = user_data;
  g_autofree char *prefix = g_strdup_printf ("t%u", td->thread);

  for (guint i = 0; i < ROWS_PER_THREAD; i++)
    {
      sy_history_record (td->history, make_record (prefix, i));
      /* Some threads flush as they go, racing with the others. */
      if (td->thread % 2 == 0 && i % 97 == 0)
        sy_history_flush (td->history);
    }
  return NULL;
}

static void
test_threads (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GThread *threads[N_THREADS];
  ThreadData td[N_THREADS];

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);

  for (guint t = 0; t < N_THREADS; t++)
    {
      td[t].history = history;
      td[t].thread = t;
      threads[t] = g_thread_new ("recorder", record_thread, &td[t]);
    }
  for (guint t = 0; t < N_THREADS; t++)
    g_thread_join (threads[t]);

  sy_history_flush (history);

  rows = sy_history_read_recent (fixture->path, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, N_THREADS * ROWS_PER_THREAD);
  for (guint k = 0; k < rows->len; k++)
    {
      SyHistoryRecord *r = g_ptr_array_index (rows, k);

      g_assert_true (g_hash_table_add (seen, r->request_id));
    }
  for (guint t = 0; t < N_THREADS; t++)
    for (guint i = 0; i < ROWS_PER_THREAD; i++)
      {
        g_autofree char *id = g_strdup_printf ("t%u-%u", t, i);

        g_assert_true (g_hash_table_contains (seen, id));
      }
}

/* The child side of test_crash: records forever, reporting each flush. */
static int
run_writer (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autofree char *prefix = g_strdup_printf ("crash-%d", (int) getpid ());

  history = sy_history_new (path, &error);
  if (history == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  for (guint i = 1; ; i++)
    {
      SyHistoryRecord *record = make_record (prefix, i);

      /* Every crash row has a body, so a row without one would be torn. */
      if (record->request_body == NULL)
        record->request_body = g_strdup ("{}");
      sy_history_record (history, record);
      if (i % 100 == 0)
        {
          sy_history_flush (history);
          printf ("%u\n", i);
          fflush (stdout);
        }
    }

  return 0;
}

static void
test_crash (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *parent = g_path_get_dirname (fixture->path);
  gint64 expected = 0;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);

  for (guint round = 0; round < 3; round++)
    {
      const char *argv[] = { self_exe, "--writer", fixture->path, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(GInputStream) stdout_stream = NULL;
      g_autoptr(GDataInputStream) lines = NULL;
      g_autofree char *check = NULL;
      gint64 flushed = 0;
      gint64 count;
      GPid pid;
      int out_fd;
      int status;
      sqlite3 *db;

      g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                               G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                               &pid, NULL, &out_fd, NULL, &error));
      g_assert_no_error (error);

      stdout_stream = g_unix_input_stream_new (out_fd, TRUE);
      lines = g_data_input_stream_new (stdout_stream);
      while (flushed < 2000)
        {
          g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, &error);

          g_assert_no_error (error);
          g_assert_nonnull (line);
          flushed = g_ascii_strtoll (line, NULL, 10);
        }

      /* Let the child run on a little so the kill lands at a random point,
       * often in the middle of a batch or a commit. */
      g_usleep (g_test_rand_int_range (0, 30000));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));
      g_spawn_close_pid (pid);

      expected += flushed;

      db = open_raw (fixture->path);
      check = raw_text (db, "PRAGMA integrity_check");
      g_assert_cmpstr (check, ==, "ok");
      count = raw_int (db, "SELECT count(*) FROM requests");
      g_test_message ("round %u: %" G_GINT64_FORMAT " rows, at least %" G_GINT64_FORMAT
                      " flushed", round, count, expected);
      g_assert_cmpint (count, >=, expected);
      /* No partial rows: every row is complete and has the body written with it. */
      g_assert_cmpint (raw_int (db, "SELECT count(*) FROM requests WHERE request_id IS NULL"
                                    " OR surface IS NULL OR model IS NULL"
                                    " OR attempts IS NULL OR total_ms IS NULL"), ==, 0);
      g_assert_cmpint (raw_int (db, "SELECT count(*) FROM requests r LEFT JOIN bodies b"
                                    " ON b.request_id = r.id WHERE b.request IS NULL"), ==, 0);
      g_assert_cmpint (raw_int (db, "SELECT count(*) FROM bodies b LEFT JOIN requests r"
                                    " ON b.request_id = r.id WHERE r.id IS NULL"), ==, 0);
      sqlite3_close (db);

      /* The next round continues from the rows really stored. */
      expected = count;
    }
}

static void
test_perf (Fixture       *fixture,
           gconstpointer  data)
{
  const guint n = 100000;
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  gint64 started;
  double seconds;

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);

  started = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    sy_history_record (history, make_record ("perf", i));
  sy_history_flush (history);
  seconds = (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC;

  g_test_minimized_result (seconds, "%u rows in %.2f s: %.0f rows/s", n, seconds, n / seconds);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_str_equal (argv[1], "--writer"))
    return run_writer (argv[2]);

  self_exe = argv[0];

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, sy_test_db_fixture_teardown)

  ADD ("/history/round-trip", test_round_trip);
  ADD ("/history/duplicate-id", test_duplicate_id);
  ADD ("/history/file-mode-wal", test_file_mode_and_wal);
  ADD ("/history/migrations", test_migrations);
  ADD ("/history/not-ours", test_not_ours);
  ADD ("/history/threads", test_threads);
  ADD ("/history/crash", test_crash);
  if (g_test_perf ())
    ADD ("/history/perf", test_perf);

#undef ADD

  return g_test_run ();
}
