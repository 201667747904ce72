/* bench-history.c — the History page over a year of 1,000,000 requests: how
 * long a search over prompt text takes, and how smooth the list scrolls.
 *   bench-history --search DB_PATH   FTS searches (no display needed)
 *   bench-history --scroll DB_PATH   the real window's History page (under an
 *                                    X server: tests/bench/window.sh runs it)
 * Prints "key value" lines.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * DB_PATH is generated once, then reused: tests/gen-history (next to this
 * program) writes the requests, without bodies; then every request gets a
 * searchable prompt in the search index only (`prompts`, rowid = requests.id):
 * 20 to 60 words drawn from a fixed vocabulary with a Zipf distribution
 * (seeded, so the same every time). What the generation took and the index's
 * size are kept in DB_PATH.gen and printed by every --search run.
 *
 * --search times sy_history_search_within () — what the page runs when the
 * search changes and the other filters' ids are known ("typed") — and
 * sy_history_query_ids () — when the filters change too, its own connection
 * each time — for a rare, a medium and a common
 * word, two words, a prefix and one letter (what is searched after the first
 * key press), each alone and with a provider and the last 30 days: the median
 * of RUNS runs after one warm-up run (the file in the OS cache), with the
 * number of matches. "match_only" is the FTS5 query alone (count(*) of
 * MATCH), to tell the index's share from the rest.
 *
 * --scroll builds the real window on the database, shows History and measures
 * each frame's work, from the frame clock's before-paint to the end of its
 * paint, in three parts: moving the list (gtk_adjustment_set_value (), where
 * GtkListView rebinds its rows), the layout phase, the paint phase. (The app's
 * own probe, src/gui/sy-frame-probe.c, starts after GTK's layout handler has
 * run, so it sees the paint only; its figures are printed for comparison.)
 * Opening the page, until the first rows are painted filled in; then scrolling
 * the list, one adjustment step a frame, for SCROLL_S seconds (a mouse wheel
 * turned fast, 3 rows a frame, then kinetic flings from a page a frame down);
 * then dragging the scrollbar to 25 %, 50 %, 90 % and the end (each drag
 * DRAG_FRAMES frames long), waiting each time until the rows shown are filled
 * in. Also: the cells the columns' factories made and bound, the rows the
 * model read, the resident memory, how late a 10 ms main-loop timer ran. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sy-activity-item.h"
#include "sy-gui-test-util.h"
#include "sy-history-page.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define RUNS            7
#define SEED            20261127
#define FILTER_DAYS     30
#define FILTER_PROVIDER "google"
#define SCROLL_S        4.0
#define WHEEL_S         1.5
#define DRAG_FRAMES     12
#define FILL_TIMEOUT_S  10.0

/* ---------------------------------------------------------------- vocabulary */

/* The words of developers' prompts, most frequent first; past these, rarer
 * identifiers made of two of them ("parsertimeout"). */
static const char * const base_words[] = {
  "the", "to", "a", "and", "of", "in", "is", "this", "for", "it", "that", "with", "i", "you", "function",
  "on", "how", "can", "what", "be", "code", "file", "not", "error", "an", "from", "are", "use", "my",
  "if", "do", "test", "should", "we", "when", "add", "make", "fix", "return", "but", "data", "value",
  "why", "have", "or", "all", "new", "by", "type", "at", "class", "one", "so", "write", "there",
  "list", "name", "method", "string", "instead", "please", "only", "change", "need", "into", "now",
  "user", "line", "call", "using", "variable", "does", "array", "object", "first", "work", "get",
  "set", "just", "like", "would", "also", "than", "which", "then", "because", "still", "after",
  "output", "input", "run", "build", "check", "update", "refactor", "explain", "example", "create",
  "component", "module", "import", "package", "version", "config", "configuration", "console",
  "context", "connection", "convert", "const", "container", "content", "condition", "concurrency",
  "server", "client", "request", "response", "query", "database", "table", "index", "column", "row",
  "key", "map", "loop", "parse", "parser", "format", "json", "yaml", "http", "api", "endpoint",
  "route", "router", "handler", "event", "callback", "promise", "async", "await", "thread", "lock",
  "memory", "cache", "buffer", "stream", "socket", "timeout", "retry", "log", "logger", "message",
  "exception", "stack", "trace", "debug", "bug", "crash", "fails", "failing", "passes", "assert",
  "mock", "unit", "integration", "coverage", "lint", "warning", "compile", "compiler", "linker",
  "library", "dependency", "install", "docker", "image", "deploy", "pipeline", "branch", "commit",
  "merge", "rebase", "diff", "patch", "review", "comment", "docstring", "readme", "documentation",
  "interface", "struct", "enum", "pointer", "reference", "null", "undefined", "integer", "float",
  "boolean", "regex", "pattern", "match", "search", "sort", "filter", "reduce", "iterate", "recursion",
  "algorithm", "complexity", "performance", "slow", "fast", "optimize", "benchmark", "profile",
  "widget", "window", "button", "layout", "style", "css", "html", "render", "state", "props", "hook",
  "react", "vue", "rust", "python", "javascript", "typescript", "golang", "java", "kotlin", "swift",
  "shell", "bash", "script", "command", "argument", "option", "flag", "path", "directory", "folder",
  "permission", "token", "secret", "password", "auth", "login", "session", "cookie", "header",
  "payload", "schema", "migration", "transaction", "rollback", "sqlite", "postgres",
  "kubernetes", "cluster", "node", "graph", "tree", "queue", "heap", "hash", "tuple",
  "generic", "template", "macro", "closure", "lambda", "iterator", "generator", "decorator",
  "inheritance", "trait", "implement", "override", "abstract", "static", "private", "public",
  "summary", "translate", "rename", "delete", "remove", "move", "copy", "split", "join", "trim",
  "upload", "download", "email", "notification", "payment", "invoice", "customer", "order", "cart",
  "report", "chart", "metric", "dashboard", "alert", "monitor", "latency", "throughput", "scale",
};

typedef struct {
  GPtrArray *words;   /* char *, rank order */
  double    *cdf;     /* P(rank <= i) */
} Vocabulary;

#define N_WORDS 8000

static void
vocabulary_init (Vocabulary *vocabulary)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED + 1);
  guint n_base = G_N_ELEMENTS (base_words);
  double total = 0;

  vocabulary->words = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_base; i++)
    if (g_hash_table_add (seen, (gpointer) base_words[i]))
      g_ptr_array_add (vocabulary->words, g_strdup (base_words[i]));
  while (vocabulary->words->len < N_WORDS)
    {
      /* Identifiers are made of content words, not of "the" or "a". */
      const char *a = base_words[g_rand_int_range (rand, 14, (gint32) n_base)];
      const char *b = base_words[g_rand_int_range (rand, 14, (gint32) n_base)];
      char *word = g_strconcat (a, b, NULL);

      if (a == b || g_hash_table_contains (seen, word))
        {
          g_free (word);
          continue;
        }
      g_hash_table_add (seen, word);
      g_ptr_array_add (vocabulary->words, word);
    }
  vocabulary->cdf = g_new (double, N_WORDS);
  for (guint i = 0; i < N_WORDS; i++)
    {
      total += 1.0 / (i + 1);   /* Zipf, s = 1 */
      vocabulary->cdf[i] = total;
    }
  for (guint i = 0; i < N_WORDS; i++)
    vocabulary->cdf[i] /= total;
}

static void
vocabulary_clear (Vocabulary *vocabulary)
{
  g_clear_pointer (&vocabulary->words, g_ptr_array_unref);
  g_clear_pointer (&vocabulary->cdf, g_free);
}

static const char *
vocabulary_draw (const Vocabulary *vocabulary,
                 GRand            *rand)
{
  double r = g_rand_double (rand);
  guint lo = 0, hi = N_WORDS - 1;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (vocabulary->cdf[mid] < r)
        lo = mid + 1;
      else
        hi = mid;
    }
  return g_ptr_array_index (vocabulary->words, lo);
}

/* ---------------------------------------------------------------- the database */

/* Removes @path's -wal, -shm and -journal files, and @path itself when @all. */
static void
remove_db (const char *path,
           gboolean    all)
{
  static const char * const suffixes[] = { "-wal", "-shm", "-journal", "" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes) - !all; i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

static void
exec_or_die (sqlite3    *db,
             const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* Sizes of the search index's tables, in bytes: the index itself
 * (prompts_data, prompts_idx) and the text it keeps (prompts_content,
 * prompts_docsize). FALSE when this SQLite has no dbstat. */
static gboolean
fts_sizes (sqlite3 *db,
           gint64  *index_bytes,
           gint64  *text_bytes)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  *index_bytes = *text_bytes = 0;
  if (sqlite3_prepare_v2 (db, "SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE"
                              " AND name LIKE 'prompts%'", -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      gint64 bytes = sqlite3_column_int64 (stmt, 1);

      if (g_str_equal (name, "prompts_data") || g_str_equal (name, "prompts_idx"))
        *index_bytes += bytes;
      else if (g_str_equal (name, "prompts_content") || g_str_equal (name, "prompts_docsize"))
        *text_bytes += bytes;
    }
  return TRUE;
}

/* Gives every request a prompt of 20 to 60 Zipf-drawn words, in the search
 * index only; prints what it took. */
static void
add_prompts (const char *path,
             GString    *report)
{
  Vocabulary vocabulary = { 0 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GString) text = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 t0 = g_get_monotonic_time ();
  gint64 words = 0, index_bytes, text_bytes;
  GStatBuf st;

  vocabulary_init (&vocabulary);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  exec_or_die (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-524288");
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT id FROM requests ORDER BY id", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  sqlite3_finalize (stmt);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO prompts (rowid, text) VALUES (?1, ?2)", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  exec_or_die (db, "BEGIN");
  for (guint i = 0; i < ids->len; i++)
    {
      guint n = (guint) g_rand_int_range (rand, 20, 61);

      g_string_truncate (text, 0);
      for (guint w = 0; w < n; w++)
        {
          if (w > 0)
            g_string_append_c (text, ' ');
          g_string_append (text, vocabulary_draw (&vocabulary, rand));
        }
      words += n;
      sqlite3_bind_int64 (stmt, 1, g_array_index (ids, gint64, i));
      sqlite3_bind_text (stmt, 2, text->str, (int) text->len, SQLITE_STATIC);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("%s: %s", path, sqlite3_errmsg (db));
      sqlite3_reset (stmt);
      /* A few transactions, as the history thread would commit them, not one
       * of a million rows. */
      if ((i + 1) % 250000 == 0)
        exec_or_die (db, "COMMIT; BEGIN");
    }
  exec_or_die (db, "COMMIT");
  sqlite3_finalize (stmt);
  g_string_append_printf (report, "gen_prompts_s %.1f\n", (g_get_monotonic_time () - t0) / 1e6);
  exec_or_die (db, "PRAGMA wal_checkpoint(TRUNCATE)");
  g_string_append_printf (report, "gen_prompt_words_avg %.1f\n", (double) words / MAX (ids->len, 1));
  if (fts_sizes (db, &index_bytes, &text_bytes))
    {
      g_string_append_printf (report, "fts_index_bytes %" G_GINT64_FORMAT "\n", index_bytes);
      g_string_append_printf (report, "fts_index_bytes_per_request %.0f\n",
                              (double) index_bytes / MAX (ids->len, 1));
      g_string_append_printf (report, "fts_text_bytes %" G_GINT64_FORMAT "\n", text_bytes);
    }
  sqlite3_close (db);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_string_append_printf (report, "gen_db_bytes %" G_GINT64_FORMAT "\n", (gint64) st.st_size);
  vocabulary_clear (&vocabulary);
}

/* Generates @path unless a complete one is there (its DB_PATH.gen is written
 * last); prints what the generation took and measured. */
static void
ensure_db (const char *path)
{
  g_autofree char *gen_path = g_strconcat (path, ".gen", NULL);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe != NULL ? g_path_get_dirname (exe) : g_strdup (".");
  g_autofree char *gen_history = g_build_filename (dir, "gen-history", NULL);
  g_autofree char *out = NULL;
  g_autofree char *report_text = NULL;
  g_autoptr(GString) report = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *argv[] = { gen_history, tmp, "--rows", "1000000", "--days", "365", "--seed", "7", NULL };
  int status = 0;

  if (g_file_test (path, G_FILE_TEST_EXISTS) && g_file_get_contents (gen_path, &report_text, NULL, NULL))
    {
      fputs (report_text, stdout);
      return;
    }
  g_printerr ("bench-history: generating %s (1,000,000 requests, then their prompts; once) ...\n", path);
  remove_db (path, TRUE);
  remove_db (tmp, TRUE);
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("%s: %s", gen_history, error->message);
  {
    g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      if (g_str_has_prefix (lines[i], "generate_s "))
        g_string_append_printf (report, "gen_requests_s %s\n", lines[i] + strlen ("generate_s "));
  }
  add_prompts (tmp, report);
  remove_db (tmp, FALSE);
  if (g_rename (tmp, path) != 0)
    g_error ("cannot rename %s to %s", tmp, path);
  g_assert_true (g_file_set_contents (gen_path, report->str, -1, NULL));
  fputs (report->str, stdout);
}

/* -------------------------------------------------------------------- search */

typedef struct {
  const char *name;
  const char *text;    /* or NULL: the word of rank @rank */
  guint       rank;
} Search;

/* What a person looks for: a word few prompts have (an identifier), one in
 * some, one in a quarter of them, two words, a prefix, and the first letter
 * typed (the page searches as one types). */
static const Search searches[] = {
  { "rare", NULL, 3000 },
  { "medium", NULL, 150 },
  { "common", "function", 0 },
  { "two_words", "error test", 0 },
  { "prefix", "con", 0 },
  { "one_letter", "c", 0 },
};

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return values[n / 2];
}

/* The page's query: its own connection, ids newest first. */
static double
time_query (const char            *path,
            const SyHistoryFilter *filter,
            guint                 *out_matches)
{
  double ms[RUNS];

  for (guint run = 0; run <= RUNS; run++)   /* the first warms the OS cache */
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) ids = NULL;
      gint64 t0 = g_get_monotonic_time ();

      ids = sy_history_query_ids (path, filter, NULL, &error);
      g_assert_no_error (error);
      if (run > 0)
        ms[run - 1] = (g_get_monotonic_time () - t0) / 1e3;
      *out_matches = ids->len;
    }
  return median (ms, RUNS);
}

/* The FTS5 query alone, as sy-history-browse.c builds it from the words:
 * each quoted, a prefix from three characters on. */
static double
time_match_only (sqlite3    *db,
                 const char *words)
{
  g_auto(GStrv) split = g_strsplit (words, " ", -1);
  g_autoptr(GString) match = g_string_new (NULL);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  double ms[RUNS];

  for (guint i = 0; split[i] != NULL; i++)
    g_string_append_printf (match, "%s\"%s\"%s", i > 0 ? " " : "", split[i],
                            g_utf8_strlen (split[i], -1) >= 3 ? "*" : "");
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM prompts WHERE prompts MATCH ?1", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, match->str, -1, SQLITE_STATIC);
  for (guint run = 0; run <= RUNS; run++)
    {
      gint64 t0 = g_get_monotonic_time ();

      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      if (run > 0)
        ms[run - 1] = (g_get_monotonic_time () - t0) / 1e3;
      sqlite3_reset (stmt);
    }
  return median (ms, RUNS);
}

/* What the page runs when only the search changes: the ids of its other
 * filters are known (@base), the search narrows them. */
static double
time_typed (const char *path,
            const char *text,
            GArray     *base,
            guint      *out_matches)
{
  double ms[RUNS];

  for (guint run = 0; run <= RUNS; run++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) ids = NULL;
      gint64 t0 = g_get_monotonic_time ();

      ids = sy_history_search_within (path, text, base, NULL, &error);
      g_assert_no_error (error);
      if (run > 0)
        ms[run - 1] = (g_get_monotonic_time () - t0) / 1e3;
      *out_matches = ids->len;
    }
  return median (ms, RUNS);
}

static gint64
query_int64 (sqlite3    *db,
             const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static int
bench_search (const char *path)
{
  Vocabulary vocabulary = { 0 };
  g_autoptr(sqlite3) db = NULL;
  SyHistoryFilter all, recent;
  gint64 rows, newest;
  guint matches;
  double ms;

  vocabulary_init (&vocabulary);
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  rows = query_int64 (db, "SELECT count(*) FROM requests");
  newest = query_int64 (db, "SELECT max(started_at) FROM requests");
  printf ("history_rows %" G_GINT64_FORMAT "\n", rows);

  sy_history_filter_init (&all);
  sy_history_filter_init (&recent);
  recent.provider = FILTER_PROVIDER;
  recent.from_us = newest + 1 - FILTER_DAYS * G_TIME_SPAN_DAY;

  /* Without a search: what the page runs when it opens, and with the filter. */
  ms = time_query (path, &all, &matches);
  printf ("history_ids_ms_all %.1f\nhistory_ids_matches_all %u\n", ms, matches);
  ms = time_query (path, &recent, &matches);
  printf ("history_ids_ms_filtered %.1f\nhistory_ids_matches_filtered %u\n", ms, matches);

  /* A page of the list, as the model reads it when it is shown. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) ids = sy_history_query_ids (path, &all, NULL, &error);
    static const double at[] = { 0, 0.25, 0.5, 0.9 };
    double page_ms[G_N_ELEMENTS (at) * RUNS];

    g_assert_no_error (error);
    for (guint run = 0; run < RUNS; run++)
      for (guint i = 0; i < G_N_ELEMENTS (at); i++)
        {
          guint start = MIN ((guint) (at[i] * ids->len) + run * 100, ids->len - 100);
          gint64 t0 = g_get_monotonic_time ();
          g_autoptr(GPtrArray) records = sy_history_read_ids (path, &g_array_index (ids, gint64, start), 100, &error);

          g_assert_no_error (error);
          page_ms[run * G_N_ELEMENTS (at) + i] = (g_get_monotonic_time () - t0) / 1e3;
        }
    printf ("history_read_page_ms %.1f\n", median (page_ms, G_N_ELEMENTS (page_ms)));
    printf ("history_read_page_max_ms %.1f\n", page_ms[G_N_ELEMENTS (page_ms) - 1]);
  }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) base_all = sy_history_query_ids (path, &all, NULL, &error);
    g_autoptr(GArray) base_recent = sy_history_query_ids (path, &recent, NULL, &error);

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
      {
        const char *text = searches[i].text != NULL ? searches[i].text
                                                    : g_ptr_array_index (vocabulary.words, searches[i].rank - 1);

        ms = time_typed (path, text, base_all, &matches);
        printf ("history_fts_typed_ms_%s %.1f\nhistory_fts_typed_matches_%s %u\n", searches[i].name, ms,
                searches[i].name, matches);
        ms = time_typed (path, text, base_recent, &matches);
        printf ("history_fts_typed_filtered_ms_%s %.1f\nhistory_fts_typed_filtered_matches_%s %u\n",
                searches[i].name, ms, searches[i].name, matches);
        fflush (stdout);
      }
  }

  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    {
      const char *text = searches[i].text != NULL ? searches[i].text
                                                  : g_ptr_array_index (vocabulary.words, searches[i].rank - 1);
      g_autofree char *shown = g_strdelimit (g_strdup (text), " ", '+');
      SyHistoryFilter filter = all;

      printf ("history_fts_query_%s %s\n", searches[i].name, shown);
      filter.search = text;
      ms = time_query (path, &filter, &matches);
      printf ("history_fts_ms_%s %.1f\nhistory_fts_matches_%s %u\n", searches[i].name, ms,
              searches[i].name, matches);
      printf ("history_fts_match_only_ms_%s %.1f\n", searches[i].name, time_match_only (db, text));
      filter = recent;
      filter.search = text;
      ms = time_query (path, &filter, &matches);
      printf ("history_fts_filtered_ms_%s %.1f\nhistory_fts_filtered_matches_%s %u\n", searches[i].name, ms,
              searches[i].name, matches);
      fflush (stdout);
    }
  vocabulary_clear (&vocabulary);
  return 0;
}

/* -------------------------------------------------------------------- scroll */

typedef enum {
  PHASE_NONE,
  PHASE_OPEN,
  PHASE_SCROLL,
  PHASE_JUMPS,
  N_PHASES
} Phase;

static const char * const phase_names[N_PHASES] = { NULL, "open", "scroll", "jumps" };

/* One frame's work, ms. The frame clock runs GTK's own layout and paint
 * handlers before ours (they were connected when the window was realized), so
 * ours mark their ends; "before-paint" comes first in every frame that does
 * anything. */
typedef struct {
  double total;    /* from before-paint (the frame's first signal) to the end of paint */
  double list;     /* in gtk_adjustment_set_value (): the list moves and binds its rows */
  double layout;   /* then to the end of the layout phase */
  double paint;    /* the paint phase: snapshot and render */
} Frame;

typedef struct {
  SyHistoryModel *model;
  GtkAdjustment  *adjustment;
  Phase           phase;
  GArray         *frames[N_PHASES];    /* Frame */
  GArray         *late[N_PHASES];      /* double, ms the 10 ms timer ran late */
  guint           setups[N_PHASES];    /* cells made by the columns' factories */
  guint           binds[N_PHASES];     /* cells bound to a request */

  /* the frame being drawn */
  gint64          frame_counter;
  gint64          t_start, t_list_start, t_list_end, t_layout;

  gint64          next_tick;

  /* scrolling */
  gint64          scroll_start;
  double          velocity;            /* px a frame, flings */
  double          scrolled_px;

  /* a drag of the scrollbar */
  gboolean        dragging;
  guint           drag_frame;
  double          drag_from, drag_to;

  /* waiting for the rows shown to be filled in */
  gboolean        want_filled;
  gint64          wait_from;
  gint64          filled_at;
  gint64          ids_at;              /* the model's query returned */
} Scroll;

static void
frame_begin (Scroll        *s,
             GdkFrameClock *clock)
{
  gint64 counter = gdk_frame_clock_get_frame_counter (clock);

  if (s->t_start != 0 && s->frame_counter == counter)
    return;
  s->frame_counter = counter;
  s->t_start = g_get_monotonic_time ();
  s->t_list_start = s->t_list_end = s->t_layout = 0;
}

static void
frame_layout_done (GdkFrameClock *clock,
                   Scroll        *s)
{
  frame_begin (s, clock);
  s->t_layout = g_get_monotonic_time ();
}

static double
row_height (Scroll *s)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (s->model));

  return n > 0 ? gtk_adjustment_get_upper (s->adjustment) / n : 0;
}

/* Whether the rows in view are filled in. Asks the model for the positions
 * the list has just asked for (no page is read twice). */
static gboolean
visible_filled (Scroll *s)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (s->model));
  double height = row_height (s);
  double value = gtk_adjustment_get_value (s->adjustment);
  guint first, last;

  if (n == 0 || height <= 0)
    return FALSE;
  /* Whole rows only: the estimate may be off by a fraction of a row. */
  first = MIN ((guint) (value / height) + 1, n - 1);
  last = MIN ((guint) ((value + gtk_adjustment_get_page_size (s->adjustment)) / height), n) - 1;
  for (guint position = first; position <= last && position >= first; position++)
    {
      g_autoptr(SyActivityItem) item = g_list_model_get_item (G_LIST_MODEL (s->model), position);

      if (item == NULL || sy_activity_item_is_placeholder (item))
        return FALSE;
    }
  return TRUE;
}

static void
frame_painted (GdkFrameClock *clock,
               Scroll        *s)
{
  gint64 now = g_get_monotonic_time ();
  Frame frame;
  gint64 layout_from;

  if (s->t_start == 0)
    return;
  layout_from = s->t_list_end != 0 ? s->t_list_end : s->t_start;
  frame.total = (now - s->t_start) / 1e3;
  frame.list = s->t_list_end != 0 ? (s->t_list_end - s->t_list_start) / 1e3 : 0;
  frame.layout = s->t_layout != 0 ? (s->t_layout - layout_from) / 1e3 : 0;
  frame.paint = (now - (s->t_layout != 0 ? s->t_layout : layout_from)) / 1e3;
  s->t_start = 0;
  if (s->phase != PHASE_NONE)
    g_array_append_val (s->frames[s->phase], frame);
  if (s->want_filled && s->filled_at == 0 && visible_filled (s))
    s->filled_at = now;
}

static gboolean
timer_tick (gpointer data)
{
  Scroll *s = data;
  gint64 now = g_get_monotonic_time ();
  double late = MAX (0, (now - s->next_tick) / 1e3);

  if (s->phase != PHASE_NONE)
    g_array_append_val (s->late[s->phase], late);
  s->next_tick = now + 10 * 1000;
  return G_SOURCE_CONTINUE;
}

static void
scroll_to (Scroll *s,
           double  value)
{
  s->t_list_start = g_get_monotonic_time ();
  gtk_adjustment_set_value (s->adjustment, value);
  s->t_list_end = g_get_monotonic_time ();
}

/* Once a frame, in its update phase: where the list is scrolled to. */
static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  Scroll *s = data;
  double value = gtk_adjustment_get_value (s->adjustment);
  double page = gtk_adjustment_get_page_size (s->adjustment);
  double max = gtk_adjustment_get_upper (s->adjustment) - page;
  double height = row_height (s);

  frame_begin (s, clock);
  if (s->phase == PHASE_SCROLL)
    {
      double step;

      if (g_get_monotonic_time () - s->scroll_start < WHEEL_S * G_USEC_PER_SEC)
        step = 3 * height;   /* a wheel turned fast */
      else
        {
          /* Flings: a page a frame, slowing down, flung again. */
          if (s->velocity < 3 * height)
            s->velocity = page;
          step = s->velocity;
          s->velocity *= 0.94;
        }
      step = MIN (step, max - value);
      s->scrolled_px += step;
      scroll_to (s, value + step);
    }
  else if (s->dragging)
    {
      s->drag_frame++;
      scroll_to (s, s->drag_from + (s->drag_to - s->drag_from) * s->drag_frame / DRAG_FRAMES);
      if (s->drag_frame >= DRAG_FRAMES)
        {
          /* Released: from here until the rows shown are filled in. */
          s->dragging = FALSE;
          s->wait_from = g_get_monotonic_time ();
          s->want_filled = TRUE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
released (gpointer data)
{
  return !((Scroll *) data)->dragging;
}

static gboolean
is_filled (gpointer data)
{
  return ((Scroll *) data)->filled_at != 0;
}

/* Waits until the rows in view are painted filled in (at once when they are
 * already); returns how long it took, ms. */
static double
wait_filled (Scroll     *s,
             const char *what)
{
  if (s->wait_from == 0)
    {
      s->wait_from = g_get_monotonic_time ();
      s->want_filled = TRUE;
      if (visible_filled (s))
        s->filled_at = s->wait_from;
    }
  sy_gui_test_wait (is_filled, s, FILL_TIMEOUT_S, what);
  return (s->filled_at - s->wait_from) / 1e3;
}

static void
wait_reset (Scroll *s)
{
  s->want_filled = FALSE;
  s->wait_from = s->filled_at = 0;
}

static void
model_loading (SyHistoryModel *model,
               GParamSpec     *pspec,
               Scroll         *s)
{
  if (!sy_history_model_get_loading (model) && s->ids_at == 0)
    s->ids_at = g_get_monotonic_time ();
}

static void
count_setup (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             Scroll                   *s)
{
  s->setups[s->phase]++;
}

static void
count_bind (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            Scroll                   *s)
{
  s->binds[s->phase]++;
}

static double
status_mb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, field)) == NULL)
    return 0;
  return g_ascii_strtod (line + strlen (field), NULL) / 1024;
}

/* p50 and max of one part of the frames. */
static void
print_part (const char *prefix,
            const char *part,
            GArray     *frames,
            gsize       offset)
{
  g_autofree double *values = g_new (double, frames->len);

  for (guint i = 0; i < frames->len; i++)
    values[i] = G_STRUCT_MEMBER (double, &g_array_index (frames, Frame, i), offset);
  qsort (values, frames->len, sizeof (double), compare_doubles);
  printf ("%s_%s_p50_ms %.2f\n%s_%s_max_ms %.2f\n", prefix, part, values[frames->len / 2], prefix, part,
          values[frames->len - 1]);
}

static void
print_frames (const char *prefix,
              GArray     *frames,
              guint       setups,
              guint       binds)
{
  guint n = frames->len, over = 0;
  g_autofree double *total = g_new (double, MAX (n, 1));

  printf ("%s_frames %u\n", prefix, n);
  if (n == 0)
    return;
  for (guint i = 0; i < n; i++)
    {
      total[i] = g_array_index (frames, Frame, i).total;
      over += total[i] > 16;
    }
  qsort (total, n, sizeof (double), compare_doubles);
  printf ("%s_frame_p50_ms %.2f\n", prefix, total[n / 2]);
  printf ("%s_frame_p99_ms %.2f\n", prefix, total[MIN (n - 1, (guint) (0.99 * n))]);
  printf ("%s_frame_max_ms %.2f\n", prefix, total[n - 1]);
  printf ("%s_frames_over_16ms %u/%u\n", prefix, over, n);
  print_part (prefix, "list", frames, G_STRUCT_OFFSET (Frame, list));
  print_part (prefix, "layout", frames, G_STRUCT_OFFSET (Frame, layout));
  print_part (prefix, "paint", frames, G_STRUCT_OFFSET (Frame, paint));
  printf ("%s_cells_made_per_frame %.1f\n%s_cells_bound_per_frame %.1f\n", prefix, (double) setups / n, prefix,
          (double) binds / n);
}

static int
bench_scroll (const char *path)
{
  static const double targets[] = { 0.25, 0.5, 0.9, 1.0 };
  g_autofree char *probe = g_build_filename (g_get_tmp_dir (), "sy-bench-history-probe.json", NULL);
  g_autofree char *probe_result = NULL;
  g_autoptr(SyServices) services = NULL;
  g_autoptr(GArray) moving = NULL;
  Scroll s = { 0 };
  SyGuiTest *test;
  GtkWidget *page;
  GtkColumnView *view;
  GListModel *columns;
  GdkFrameClock *clock;
  gulong handlers[4];
  guint timer_id, tick_id;
  gint64 shown_at;

  g_setenv ("SWITCHYARD_FRAME_PROBE", probe, TRUE);
  g_unlink (probe);
  for (guint p = 0; p < N_PHASES; p++)
    {
      s.frames[p] = g_array_new (FALSE, FALSE, sizeof (Frame));
      s.late[p] = g_array_new (FALSE, FALSE, sizeof (double));
    }

  /* The index the page reads its ids from, in the OS cache as after any
   * earlier use (this machine may have dropped it since). */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) ids = NULL;
    SyHistoryFilter all;
    gint64 t0 = g_get_monotonic_time ();

    sy_history_filter_init (&all);
    ids = sy_history_query_ids (path, &all, NULL, &error);
    g_assert_no_error (error);
    printf ("history_warm_up_ids_ms %.1f\n", (g_get_monotonic_time () - t0) / 1e3);
  }

  /* A test's services on the generated history instead of an empty one (the
   * endpoint is not started: nothing writes to it). */
  test = sy_gui_test_new_services ("{\"server\":{\"port\":0}}", NULL);
  services = sy_services_new (sy_services_get_catalog (test->services), sy_services_get_config (test->services),
                              sy_services_get_keys (test->services), path,
                              sy_services_get_settings (test->services));
  g_object_unref (test->services);
  test->services = g_object_ref (services);
  test->window = g_object_ref_sink (sy_window_new (NULL, test->services));
  gtk_window_set_default_size (GTK_WINDOW (test->window), 1400, 860);
  gtk_window_present (GTK_WINDOW (test->window));
  sy_gui_test_run_for (1500);   /* built, shown, idle */
  printf ("history_rss_before_mb %.0f\n", status_mb ("VmRSS:"));

  page = sy_window_get_page (test->window, "history");
  s.model = sy_history_page_get_model (SY_HISTORY_PAGE (page));
  view = GTK_COLUMN_VIEW (sy_gui_test_find_type (page, GTK_TYPE_COLUMN_VIEW));
  g_assert_nonnull (view);
  s.adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  g_assert_nonnull (s.adjustment);
  columns = gtk_column_view_get_columns (view);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      GtkListItemFactory *factory = gtk_column_view_column_get_factory (column);

      g_signal_connect (factory, "setup", G_CALLBACK (count_setup), &s);
      g_signal_connect (factory, "bind", G_CALLBACK (count_bind), &s);
    }
  printf ("history_columns %u\n", g_list_model_get_n_items (columns));

  clock = gtk_widget_get_frame_clock (GTK_WIDGET (test->window));
  handlers[0] = g_signal_connect_swapped (clock, "before-paint", G_CALLBACK (frame_begin), &s);
  handlers[1] = g_signal_connect (clock, "layout", G_CALLBACK (frame_layout_done), &s);
  handlers[2] = g_signal_connect_swapped (clock, "paint", G_CALLBACK (frame_begin), &s);
  handlers[3] = g_signal_connect_after (clock, "paint", G_CALLBACK (frame_painted), &s);
  s.next_tick = g_get_monotonic_time () + 10 * 1000;
  timer_id = g_timeout_add (10, timer_tick, &s);
  g_signal_connect (s.model, "notify::loading", G_CALLBACK (model_loading), &s);

  /* Open: shown → the ids of the whole history → the first rows painted. */
  s.phase = PHASE_OPEN;
  shown_at = g_get_monotonic_time ();
  s.wait_from = shown_at;
  s.want_filled = TRUE;
  sy_window_show_page (test->window, "history");
  wait_filled (&s, "the first rows of History");
  printf ("history_open_items %u\n", g_list_model_get_n_items (G_LIST_MODEL (s.model)));
  printf ("history_open_ids_ms %.1f\n", (s.ids_at - shown_at) / 1e3);
  printf ("history_open_ms %.1f\n", (s.filled_at - shown_at) / 1e3);
  printf ("history_open_rows_read %u\n", sy_history_model_get_rows_read (s.model));
  wait_reset (&s);
  sy_gui_test_run_for (500);
  s.phase = PHASE_NONE;
  printf ("history_row_height_px %.1f\nhistory_rows_in_view %.1f\n", row_height (&s),
          gtk_adjustment_get_page_size (s.adjustment) / row_height (&s));

  /* Scrolling, a step a frame. */
  tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (view), scroll_tick, &s, NULL);
  sy_gui_test_run_for (200);
  s.scroll_start = g_get_monotonic_time ();
  s.phase = PHASE_SCROLL;
  sy_gui_test_run_for ((guint) (SCROLL_S * 1000));
  s.phase = PHASE_NONE;
  printf ("history_scroll_rows %.0f\n", s.scrolled_px / row_height (&s));
  printf ("history_scroll_rows_read %u\n", sy_history_model_get_rows_read (s.model));
  printf ("history_scroll_fill_after_ms %.1f\n", wait_filled (&s, "the rows after scrolling"));
  wait_reset (&s);
  sy_gui_test_run_for (300);

  /* Dragging the scrollbar to 25 %, 50 %, 90 %, the end. */
  s.phase = PHASE_JUMPS;
  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      double max = gtk_adjustment_get_upper (s.adjustment) - gtk_adjustment_get_page_size (s.adjustment);

      s.drag_from = gtk_adjustment_get_value (s.adjustment);
      s.drag_to = targets[i] * max;
      s.drag_frame = 0;
      s.dragging = TRUE;   /* the tick sets wait_from when it lets go */
      sy_gui_test_wait (released, &s, FILL_TIMEOUT_S, "the end of a drag");
      printf ("history_jump_fill_ms_%.0f %.1f\n", targets[i] * 100, wait_filled (&s, "the rows after a jump"));
      wait_reset (&s);
      sy_gui_test_run_for (300);
    }
  s.phase = PHASE_NONE;
  printf ("history_rows_read %u\n", sy_history_model_get_rows_read (s.model));
  printf ("history_rss_mb %.0f\nhistory_rss_peak_mb %.0f\n", status_mb ("VmRSS:"), status_mb ("VmHWM:"));

  for (guint p = PHASE_OPEN; p < N_PHASES; p++)
    {
      g_autofree char *prefix = g_strconcat ("history_", phase_names[p], NULL);

      print_frames (prefix, s.frames[p], s.setups[p], s.binds[p]);
      g_array_sort (s.late[p], compare_doubles);
      if (s.late[p]->len > 0)
        printf ("%s_loop_late_max_ms %.1f\n", prefix, g_array_index (s.late[p], double, s.late[p]->len - 1));
    }
  /* Scrolling and dragging together. */
  moving = g_array_copy (s.frames[PHASE_SCROLL]);
  g_array_append_vals (moving, s.frames[PHASE_JUMPS]->data, s.frames[PHASE_JUMPS]->len);
  {
    guint over = 0;

    for (guint i = 0; i < moving->len; i++)
      over += g_array_index (moving, Frame, i).total > 16;
    printf ("history_frames_over_16ms %u/%u\n", over, moving->len);
  }

  gtk_widget_remove_tick_callback (GTK_WIDGET (view), tick_id);
  g_source_remove (timer_id);
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    g_signal_handler_disconnect (clock, handlers[i]);
  g_signal_handlers_disconnect_by_func (s.model, model_loading, &s);
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      GtkListItemFactory *factory = gtk_column_view_column_get_factory (column);

      g_signal_handlers_disconnect_by_data (factory, &s);
    }

  /* The app's own probe, over the same run (it times from the end of the
   * layout phase: see the report). */
  gtk_window_destroy (GTK_WINDOW (test->window));
  g_clear_object (&test->window);
  if (g_file_get_contents (probe, &probe_result, NULL, NULL))
    printf ("probe %s", probe_result);
  sy_gui_test_free (test);
  g_unlink (probe);
  for (guint p = 0; p < N_PHASES; p++)
    {
      g_array_unref (s.frames[p]);
      g_array_unref (s.late[p]);
    }
  return 0;
}

/* ---------------------------------------------------------------------- main */

int
main (int   argc,
      char *argv[])
{
  const char *mode, *path;

  if (argc != 3 || (!g_str_equal (argv[1], "--search") && !g_str_equal (argv[1], "--scroll")))
    {
      g_printerr ("usage: %s --search|--scroll DB_PATH\n", argv[0]);
      return 2;
    }
  mode = argv[1];
  path = argv[2];
  setvbuf (stdout, NULL, _IOLBF, 0);
  ensure_db (path);
  if (g_str_equal (mode, "--search"))
    return bench_search (path);
  argc = 1;
  sy_gui_test_init (&argc, &argv);
  return bench_scroll (path);
}
