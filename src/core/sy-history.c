/* sy-history.c — the request history: SQLite on its own writer thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-history"

#include "sy-history-private.h"
#include "sy-json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

/* 'SYRD' in the database header, so we never migrate someone else's file. */
#define SY_HISTORY_APPLICATION_ID 0x53595244
#define BATCH_MAX_ROWS            256
#define BATCH_WINDOW_US           (50 * G_TIME_SPAN_MILLISECOND)
#define BUSY_TIMEOUT_MS           5000
#define BEGIN_ATTEMPTS            3
/* Bodies older than the configured age are pruned this often (and when the age
 * is set). */
#define PRUNE_INTERVAL_US         (G_TIME_SPAN_HOUR)
#define PRUNE_BATCH_ROWS          1000
/* Search indexes the start of a long prompt. */
#define PROMPT_TEXT_MAX           (256 * 1024)

/* migrations[i] takes the schema from version i to i + 1; each runs in one
 * transaction. Append only: a released entry never changes. */
static const char * const migrations[] = {
  /* 1 */
  "CREATE TABLE requests ("
  "  id                 INTEGER PRIMARY KEY,"
  "  request_id         TEXT UNIQUE,"
  "  started_at         INTEGER NOT NULL,"   /* µs since the epoch, UTC */
  "  client             TEXT,"
  "  surface            TEXT,"
  "  requested_model    TEXT,"
  "  profile            TEXT,"
  "  provider           TEXT,"
  "  model              TEXT,"
  "  stream             INTEGER NOT NULL DEFAULT 0,"
  "  status             INTEGER,"
  "  error              TEXT,"
  "  attempts           TEXT,"               /* JSON array */
  "  route              TEXT,"               /* JSON object */
  "  prompt_tokens      INTEGER,"
  "  completion_tokens  INTEGER,"
  "  cached_tokens      INTEGER,"
  "  cache_write_tokens INTEGER,"
  "  reasoning_tokens   INTEGER,"
  "  cost               REAL,"               /* USD; NULL when the price is unknown */
  "  cost_input         REAL,"
  "  cost_output        REAL,"
  "  cost_cache_read    REAL,"
  "  cost_cache_write   REAL,"
  "  ttft_ms            REAL,"
  "  total_ms           REAL,"
  "  tokens_per_s       REAL"
  ");"
  "CREATE TABLE bodies ("
  "  request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,"
  "  request    TEXT,"
  "  response   TEXT"
  ");"
  "CREATE INDEX requests_started_at ON requests(started_at);"
  "CREATE INDEX requests_provider_model ON requests(provider, model, started_at);"
  "CREATE INDEX requests_status ON requests(status);",
  /* 2: comparisons from the window's Compare page, and the user's ratings. A
   * rating may be written before its comparison (both come from worker threads),
   * so no foreign key. */
  "CREATE TABLE comparisons ("
  "  id          TEXT PRIMARY KEY,"
  "  created_at  INTEGER NOT NULL,"         /* µs since the epoch, UTC */
  "  body        TEXT NOT NULL"              /* JSON object */
  ");"
  "CREATE INDEX comparisons_created_at ON comparisons(created_at);"
  "CREATE TABLE ratings ("
  "  comparison_id TEXT NOT NULL,"
  "  model         TEXT NOT NULL,"           /* provider/model */
  "  score         INTEGER NOT NULL,"        /* 1 to 5 */
  "  rated_at      INTEGER NOT NULL,"
  "  PRIMARY KEY (comparison_id, model)"
  ");",
  /* 3: the Dashboard reads each provider/model's rows in a time range from this
   * index alone, never from the table (sy-insights.c). */
  "CREATE INDEX requests_insights ON requests(provider, model, started_at, status, cost,"
  " prompt_tokens, completion_tokens, cached_tokens, total_ms, ttft_ms, tokens_per_s);",
  /* 4: search over prompt text (sy_prompt_text () of each stored request body),
   * for the History page, with an index of 3-character prefixes (a word being
   * typed is looked up as one). Rows go with their body: pruned, deleted with
   * it. */
  "CREATE VIRTUAL TABLE prompts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 2',"
  " prefix = '3');"
  "CREATE TRIGGER bodies_prompt_delete AFTER DELETE ON bodies BEGIN"
  "  DELETE FROM prompts WHERE rowid = old.request_id;"
  " END;"
  "CREATE TRIGGER bodies_prompt_update AFTER UPDATE OF request ON bodies BEGIN"
  "  DELETE FROM prompts WHERE rowid = old.request_id;"
  "  INSERT INTO prompts (rowid, text) SELECT new.request_id, t"
  "   FROM (SELECT sy_prompt_text (new.request) AS t) WHERE t IS NOT NULL;"
  " END;"
  "INSERT INTO prompts (rowid, text) SELECT request_id, t FROM"
  " (SELECT request_id, sy_prompt_text (request) AS t FROM bodies WHERE request IS NOT NULL)"
  " WHERE t IS NOT NULL;",
};

#define SCHEMA_VERSION ((gint64) G_N_ELEMENTS (migrations))

static const char insert_request_sql[] =
  "INSERT INTO requests (request_id, started_at, client, surface, requested_model,"
  " profile, provider, model, stream, status, error, attempts, route,"
  " prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,"
  " reasoning_tokens, cost, cost_input, cost_output, cost_cache_read,"
  " cost_cache_write, ttft_ms, total_ms, tokens_per_s)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
  " ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";

static const char insert_body_sql[] =
  "INSERT INTO bodies (request_id, request, response) VALUES (?1, ?2, ?3)";

/* Column order shared by read_record (). */
static const char select_recent_sql[] =
  "SELECT " SY_HISTORY_RECORD_COLUMNS ", b.request, b.response"
  " FROM requests r LEFT JOIN bodies b ON b.request_id = r.id"
  " ORDER BY r.started_at DESC, r.id DESC LIMIT ?1";

/* Queue items are SyHistoryRecord pointers or one of these markers. */
static char flush_marker;
static char stop_marker;
static char prune_marker;

struct _SyHistory
{
  GObject parent_instance;

  /* owned */
  char        *path;
  GAsyncQueue *queue;
  GThread     *thread;

  /* handed to the writer thread by sy_history_new (); only it uses them after */
  sqlite3      *db;
  sqlite3_stmt *insert_request;
  sqlite3_stmt *insert_body;
  sqlite3_stmt *insert_prompt;
  gint64        last_prune_us;   /* monotonic; the writer thread's */

  /* state under @lock: flush tickets handed out and flush markers written */
  GMutex   lock;
  GCond    cond;
  GCond    wake;     /* ends the batch window early */
  gboolean urgent;
  guint64  flush_tickets;
  guint64  flush_done;
  gboolean stopped;
  gint64   body_max_age_us;   /* 0: keep bodies */

  int closed;  /* atomic */
};

G_DEFINE_FINAL_TYPE (SyHistory, sy_history, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

SyHistoryRecord *
sy_history_record_new (void)
{
  SyHistoryRecord *record = g_new0 (SyHistoryRecord, 1);

  record->started_at_us = g_get_real_time ();
  record->prompt_tokens = -1;
  record->completion_tokens = -1;
  record->cached_tokens = -1;
  record->cache_write_tokens = -1;
  record->reasoning_tokens = -1;
  record->ttft_ms = -1;
  record->total_ms = -1;
  record->tokens_per_s = -1;

  return record;
}

void
sy_history_record_free (SyHistoryRecord *record)
{
  if (record == NULL)
    return;

  g_free (record->request_id);
  g_free (record->client);
  g_free (record->surface);
  g_free (record->requested_model);
  g_free (record->profile);
  g_free (record->provider);
  g_free (record->model);
  g_free (record->error);
  g_free (record->attempts_json);
  g_free (record->route_json);
  g_free (record->request_body);
  g_free (record->response_body);
  g_free (record);
}

SyHistoryRecord *
sy_history_record_copy (const SyHistoryRecord *record)
{
  SyHistoryRecord *copy;

  g_return_val_if_fail (record != NULL, NULL);

  copy = g_memdup2 (record, sizeof *record);
  copy->request_id = g_strdup (record->request_id);
  copy->client = g_strdup (record->client);
  copy->surface = g_strdup (record->surface);
  copy->requested_model = g_strdup (record->requested_model);
  copy->profile = g_strdup (record->profile);
  copy->provider = g_strdup (record->provider);
  copy->model = g_strdup (record->model);
  copy->error = g_strdup (record->error);
  copy->attempts_json = g_strdup (record->attempts_json);
  copy->route_json = g_strdup (record->route_json);
  copy->request_body = g_strdup (record->request_body);
  copy->response_body = g_strdup (record->response_body);
  return copy;
}

static void
queue_item_free (gpointer item)
{
  if (item != &flush_marker && item != &stop_marker && item != &prune_marker)
    sy_history_record_free (item);
}

/* ------------------------------------------------------------- prompt text */

/* Members whose string value is text a person wrote or read: Chat Completions'
 * and Anthropic's "content" and "text" (plain or in parts), "system",
 * Responses' "instructions" and "input". */
static gboolean
is_text_member (const char *name)
{
  static const char * const names[] = { "content", "text", "system", "instructions", "input", "prompt" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      return TRUE;
  return FALSE;
}

/* Members that hold no prompt text: definitions, images, audio, files. */
static gboolean
is_skipped_member (const char *name)
{
  static const char * const names[] = { "tools", "tool_choice", "functions", "image_url", "source",
                                        "input_audio", "file", "response_format", "metadata" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      return TRUE;
  return FALSE;
}

static void
append_text (GString    *out,
             const char *text)
{
  if (text[0] == '\0')
    return;
  if (out->len > 0)
    g_string_append_c (out, '\n');
  g_string_append (out, text);
}

/* Appends the text under @node: members in the order written, except that at
 * the top (@top) the system prompt and instructions come first. */
static void
collect_text (JsonNode *node,
              gboolean  top,
              GString  *out)
{
  if (out->len >= PROMPT_TEXT_MAX)
    return;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        collect_text (json_array_get_element (array, i), FALSE, out);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      static const char * const first[] = { "system", "instructions" };
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      for (guint pass = top ? 0 : 1; pass < 2; pass++)
        for (GList *l = members; l != NULL; l = l->next)
          {
            const char *name = l->data;
            JsonNode *member = json_object_get_member (object, name);
            gboolean is_first = g_str_equal (name, first[0]) || g_str_equal (name, first[1]);

            if (is_skipped_member (name) || (top && is_first != (pass == 0)))
              continue;
            if (JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
              {
                if (is_text_member (name))
                  append_text (out, json_node_get_string (member));
              }
            else
              collect_text (member, FALSE, out);
          }
    }
}

char *
sy_history_prompt_text (const char *request_body)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) out = NULL;
  const char *end;

  if (request_body == NULL)
    return NULL;
  root = sy_json_parse (request_body, strlen (request_body), NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  out = g_string_new (NULL);
  collect_text (root, TRUE, out);
  if (out->len == 0)
    return NULL;
  if (out->len > PROMPT_TEXT_MAX)
    {
      /* Cut at a character boundary. */
      g_utf8_validate (out->str, PROMPT_TEXT_MAX, &end);
      g_string_truncate (out, end - out->str);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
prompt_text_function (sqlite3_context  *context,
                      int               argc,
                      sqlite3_value   **argv)
{
  g_autofree char *text = NULL;

  if (sqlite3_value_type (argv[0]) == SQLITE_TEXT)
    text = sy_history_prompt_text ((const char *) sqlite3_value_text (argv[0]));
  if (text == NULL)
    sqlite3_result_null (context);
  else
    sqlite3_result_text (context, g_steal_pointer (&text), -1, g_free);
}

int
sy_history_register_functions (sqlite3 *db)
{
  return sqlite3_create_function_v2 (db, "sy_prompt_text", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                     NULL, prompt_text_function, NULL, NULL, NULL);
}

void
sy_history_set_sqlite_error (GError     **error,
                             sqlite3     *db,
                             int          rc,
                             const char  *path)
{
  g_autofree char *name = g_path_get_basename (path);
  const char *message = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);
  int code;

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = G_IO_ERROR_INVALID_DATA;
      break;
    case SQLITE_FULL:
      code = G_IO_ERROR_NO_SPACE;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = G_IO_ERROR_BUSY;
      break;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      code = G_IO_ERROR_PERMISSION_DENIED;
      break;
    case SQLITE_CANTOPEN:
      code = G_IO_ERROR_NOT_FOUND;
      break;
    default:
      code = G_IO_ERROR_FAILED;
      break;
    }

  g_set_error (error, G_IO_ERROR, code, "%s: %s", name, message);
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          const char  *path,
          GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return FALSE;
    }
  return TRUE;
}

/* Runs a statement returning one integer, such as "PRAGMA user_version". */
static gboolean
query_int (sqlite3     *db,
           const char  *sql,
           const char  *path,
           gint64      *out_value,
           GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      sqlite3_finalize (stmt);
      return FALSE;
    }

  *out_value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return TRUE;
}

static gboolean
check_newer (gint64       version,
             const char  *path,
             GError     **error)
{
  if (version > SCHEMA_VERSION)
    {
      g_autofree char *name = g_path_get_basename (path);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
                   "%s was written by a newer Switchyard (schema %" G_GINT64_FORMAT
                   "); open it with that version", name, version);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_not_ours (const char  *path,
              GError     **error)
{
  g_autofree char *name = g_path_get_basename (path);

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s is not a Switchyard history database", name);
  return FALSE;
}

/* Accepts our own file (any version, the caller checks) or an empty one. */
static gboolean
check_identity (sqlite3     *db,
                const char  *path,
                gint64      *out_version,
                GError     **error)
{
  gint64 app_id;
  gint64 version;
  gint64 n_objects;

  /* The first read is where a file that is not a database fails. */
  if (!query_int (db, "PRAGMA application_id", path, &app_id, error) ||
      !query_int (db, "PRAGMA user_version", path, &version, error))
    return FALSE;

  if (app_id == 0)
    {
      if (!query_int (db, "SELECT count(*) FROM sqlite_schema", path, &n_objects, error))
        return FALSE;
      if (version != 0 || n_objects != 0)
        return set_not_ours (path, error);
    }
  else if ((guint32) app_id != SY_HISTORY_APPLICATION_ID)
    return set_not_ours (path, error);

  *out_version = version;
  return TRUE;
}

static gboolean
migrate (sqlite3     *db,
         const char  *path,
         GError     **error)
{
  for (;;)
    {
      g_autofree char *bump = NULL;
      gint64 version;

      /* Read the version under the write lock: another process may have migrated
       * since our last look. */
      if (!exec_sql (db, "BEGIN IMMEDIATE", path, error))
        return FALSE;

      if (!query_int (db, "PRAGMA user_version", path, &version, error) ||
          !check_newer (version, path, error))
        goto fail;

      if (version == SCHEMA_VERSION)
        return exec_sql (db, "COMMIT", path, error);

      /* PRAGMAs take no parameters; both values are our own integers. */
      bump = g_strdup_printf ("PRAGMA application_id = %d; PRAGMA user_version = %"
                              G_GINT64_FORMAT,
                              SY_HISTORY_APPLICATION_ID, version + 1);

      if (!exec_sql (db, migrations[version], path, error) ||
          !exec_sql (db, bump, path, error) ||
          !exec_sql (db, "COMMIT", path, error))
        goto fail;

      g_debug ("%s: migrated to schema %" G_GINT64_FORMAT, path, version + 1);
    }

fail:
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* A connection used by one thread only (SQLite's own mutexes are not needed),
 * waiting up to BUSY_TIMEOUT_MS for another writer. */
static sqlite3 *
open_connection (const char  *path,
                 int          flags,
                 GError     **error)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  return db;
}

static sqlite3 *
open_write_connection (const char  *path,
                       GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;
  gint64 version = 0;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

  /* Create the file ourselves so it starts 0600; SQLite gives the -wal and -shm
   * files the mode of the database. */
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not open %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  g_close (fd, NULL);

  /* Only the writer thread uses this connection once handed over, so SQLite's
   * own mutexes are not needed. */
  db = open_connection (path, SQLITE_OPEN_READWRITE, error);
  if (db == NULL)
    return NULL;
  sqlite3_extended_result_codes (db, TRUE);
  sy_history_register_functions (db);

  if (!check_identity (db, path, &version, error) ||
      !check_newer (version, path, error) ||
      !exec_sql (db,
                 "PRAGMA journal_mode = WAL;"
                 "PRAGMA synchronous = NORMAL;"
                 "PRAGMA foreign_keys = ON;",
                 path, error) ||
      !migrate (db, path, error))
    {
      sqlite3_close (db);
      return NULL;
    }

  /* The file holds prompts and answers: keep it private even if an older copy
   * was created with a looser umask. */
  if (g_chmod (path, 0600) != 0)
    g_debug ("Could not chmod %s: %s", path, g_strerror (errno));

  return db;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *value)
{
  /* The record outlives the step, so SQLite need not copy; NULL binds NULL. */
  sqlite3_bind_text (stmt, index, value, -1, SQLITE_STATIC);
}

static void
bind_count (sqlite3_stmt *stmt,
            int           index,
            gint64        value)
{
  if (value < 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_int64 (stmt, index, value);
}

static void
bind_real (sqlite3_stmt *stmt,
           int           index,
           double        value)
{
  if (!isfinite (value) || value < 0)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_double (stmt, index, value);
}

static void
bind_record (sqlite3_stmt          *stmt,
             const SyHistoryRecord *record)
{
  gboolean known = record->cost_known;

  bind_text (stmt, 1, record->request_id);
  sqlite3_bind_int64 (stmt, 2, record->started_at_us);
  bind_text (stmt, 3, record->client);
  bind_text (stmt, 4, record->surface);
  bind_text (stmt, 5, record->requested_model);
  bind_text (stmt, 6, record->profile);
  bind_text (stmt, 7, record->provider);
  bind_text (stmt, 8, record->model);
  sqlite3_bind_int (stmt, 9, record->stream ? 1 : 0);
  bind_count (stmt, 10, record->status);
  bind_text (stmt, 11, record->error);
  bind_text (stmt, 12, record->attempts_json);
  bind_text (stmt, 13, record->route_json);
  bind_count (stmt, 14, record->prompt_tokens);
  bind_count (stmt, 15, record->completion_tokens);
  bind_count (stmt, 16, record->cached_tokens);
  bind_count (stmt, 17, record->cache_write_tokens);
  bind_count (stmt, 18, record->reasoning_tokens);
  bind_real (stmt, 19, known ? record->cost : -1);
  bind_real (stmt, 20, known ? record->cost_input : -1);
  bind_real (stmt, 21, known ? record->cost_output : -1);
  bind_real (stmt, 22, known ? record->cost_cache_read : -1);
  bind_real (stmt, 23, known ? record->cost_cache_write : -1);
  bind_real (stmt, 24, record->ttft_ms);
  bind_real (stmt, 25, record->total_ms);
  bind_real (stmt, 26, record->tokens_per_s);
}

/* Returns FALSE when the transaction is gone and the batch must be abandoned. */
static gboolean
insert_one (SyHistory             *self,
            const SyHistoryRecord *record)
{
  int rc;

  bind_record (self->insert_request, record);
  rc = sqlite3_step (self->insert_request);
  sqlite3_reset (self->insert_request);

  if (rc == SQLITE_DONE &&
      (record->request_body != NULL || record->response_body != NULL))
    {
      sqlite3_bind_int64 (self->insert_body, 1, sqlite3_last_insert_rowid (self->db));
      bind_text (self->insert_body, 2, record->request_body);
      bind_text (self->insert_body, 3, record->response_body);
      rc = sqlite3_step (self->insert_body);
      sqlite3_reset (self->insert_body);

      if (rc == SQLITE_DONE && record->request_body != NULL)
        {
          sqlite3_bind_int64 (self->insert_prompt, 1, sqlite3_last_insert_rowid (self->db));
          bind_text (self->insert_prompt, 2, record->request_body);
          rc = sqlite3_step (self->insert_prompt);
          sqlite3_reset (self->insert_prompt);
        }
    }

  if (rc == SQLITE_DONE)
    return TRUE;

  /* A constraint failure (a repeated request_id) undoes only that statement; an
   * I/O error or a full disk may end the whole transaction. */
  g_warning ("Could not store request %s: %s",
             record->request_id ? record->request_id : "(no id)",
             sqlite3_errmsg (self->db));

  return !sqlite3_get_autocommit (self->db);
}

static void
write_batch (SyHistory *self,
             GPtrArray *batch)
{
  int rc = SQLITE_OK;

  if (batch->len == 0)
    return;

  /* busy_timeout already waits 5 s inside each attempt. */
  for (guint attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++)
    {
      rc = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if ((rc & 0xff) != SQLITE_BUSY)
        break;
    }
  if (rc != SQLITE_OK)
    goto fail;

  for (guint i = 0; i < batch->len; i++)
    {
      if (!insert_one (self, g_ptr_array_index (batch, i)))
        {
          rc = sqlite3_extended_errcode (self->db);
          goto fail;
        }
    }

  rc = sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    return;

fail:
  g_warning ("History lost %u requests: %s", batch->len, sqlite3_errstr (rc));
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
close_db (SyHistory *self)
{
  g_clear_pointer (&self->insert_request, sqlite3_finalize);
  g_clear_pointer (&self->insert_body, sqlite3_finalize);
  g_clear_pointer (&self->insert_prompt, sqlite3_finalize);
  if (self->db != NULL)
    {
      /* Best effort: sqlite3_close () checkpoints fully when it is the last
       * connection; with readers open, this keeps the WAL from growing. */
      sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
      sqlite3_close (self->db);
      self->db = NULL;
    }
}

/* Prunes bodies past the configured age when @force or an hour has passed. */
static void
maybe_prune (SyHistory *self,
             gboolean   force)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();
  gint64 max_age;
  gint64 pruned = 0;

  g_mutex_lock (&self->lock);
  max_age = self->body_max_age_us;
  g_mutex_unlock (&self->lock);

  if (max_age <= 0 || (!force && now - self->last_prune_us < PRUNE_INTERVAL_US))
    return;
  self->last_prune_us = now;
  if (!sy_history_prune_on (self->db, self->path, g_get_real_time () - max_age, &pruned, &error))
    g_warning ("Could not prune old bodies: %s", error->message);
  else if (pruned > 0)
    g_debug ("Pruned the bodies of %" G_GINT64_FORMAT " requests", pruned);
}

static gpointer
writer_thread (gpointer data)
{
  SyHistory *self = data;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (queue_item_free);
  gboolean running = TRUE;

  while (running)
    {
      gpointer item = g_async_queue_timeout_pop (self->queue, PRUNE_INTERVAL_US);
      gint64 deadline = g_get_monotonic_time () + BATCH_WINDOW_US;

      if (item == NULL || item == &prune_marker)
        {
          maybe_prune (self, item != NULL);
          continue;
        }

      /* Let the batch fill for the window without waking on every row: pushes do
       * not signal `wake`; only a full batch, flush () and close () do. */
      if (item != &flush_marker && item != &stop_marker)
        {
          g_mutex_lock (&self->lock);
          while (!self->urgent && g_async_queue_length (self->queue) < BATCH_MAX_ROWS)
            if (!g_cond_wait_until (&self->wake, &self->lock, deadline))
              break;
          self->urgent = FALSE;
          g_mutex_unlock (&self->lock);
        }

      /* Gather what is queued until the batch is full or a marker arrives; a
       * marker always ends the batch so flush () returns promptly. */
      while (item != &flush_marker && item != &stop_marker)
        {
          if (item == &prune_marker)
            {
              /* Pruned after this batch (below). */
              self->last_prune_us = G_MININT64 / 2;
              item = g_async_queue_try_pop (self->queue);
              if (item == NULL)
                break;
              continue;
            }
          g_ptr_array_add (batch, item);
          item = NULL;
          if (batch->len >= BATCH_MAX_ROWS)
            break;
          item = g_async_queue_try_pop (self->queue);
          if (item == NULL)
            break;
        }

      write_batch (self, batch);
      g_ptr_array_set_size (batch, 0);
      maybe_prune (self, FALSE);

      if (item == &flush_marker)
        {
          g_mutex_lock (&self->lock);
          self->flush_done++;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->lock);
        }
      else if (item == &stop_marker)
        running = FALSE;
    }

  close_db (self);

  g_mutex_lock (&self->lock);
  self->stopped = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  return NULL;
}

SyHistory *
sy_history_new (const char  *path,
                GError     **error)
{
  g_autoptr(SyHistory) self = NULL;
  sqlite3 *db;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  db = open_write_connection (path, error);
  if (db == NULL)
    return NULL;

  self = g_object_new (SY_TYPE_HISTORY, NULL);
  self->path = g_strdup (path);
  self->db = db;

  rc = sqlite3_prepare_v3 (db, insert_request_sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &self->insert_request, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v3 (db, insert_body_sql, -1, SQLITE_PREPARE_PERSISTENT,
                             &self->insert_body, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v3 (db, SY_HISTORY_INDEX_PROMPT_SQL, -1, SQLITE_PREPARE_PERSISTENT,
                             &self->insert_prompt, NULL);
  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      close_db (self);
      g_atomic_int_set (&self->closed, TRUE);
      return NULL;
    }

  self->thread = g_thread_new ("sy-history", writer_thread, self);

  return g_steal_pointer (&self);
}

const char *
sy_history_get_path (SyHistory *self)
{
  g_return_val_if_fail (SY_IS_HISTORY (self), NULL);

  return self->path;
}

static void
wake_writer (SyHistory *self)
{
  g_mutex_lock (&self->lock);
  self->urgent = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
}

void
sy_history_record (SyHistory       *self,
                   SyHistoryRecord *record)
{
  g_return_if_fail (SY_IS_HISTORY (self));
  g_return_if_fail (record != NULL);

  /* A record racing with close () may land behind the stop marker; finalize
   * frees it with the queue. */
  if (g_atomic_int_get (&self->closed))
    {
      sy_history_record_free (record);
      return;
    }

  g_async_queue_push (self->queue, record);
  if (g_async_queue_length (self->queue) >= BATCH_MAX_ROWS)
    wake_writer (self);
}

void
sy_history_flush (SyHistory *self)
{
  guint64 ticket;

  g_return_if_fail (SY_IS_HISTORY (self));

  if (g_atomic_int_get (&self->closed))
    return;

  /* Tickets are taken in order and markers are written in queue order, so once
   * @ticket markers are done, one of them was queued after everything this
   * caller queued before the call. */
  g_mutex_lock (&self->lock);
  ticket = ++self->flush_tickets;
  g_mutex_unlock (&self->lock);

  g_async_queue_push (self->queue, &flush_marker);
  wake_writer (self);

  g_mutex_lock (&self->lock);
  while (self->flush_done < ticket && !self->stopped)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

void
sy_history_set_body_max_age (SyHistory *self,
                             gint64     max_age_us)
{
  gboolean changed;

  g_return_if_fail (SY_IS_HISTORY (self));

  g_mutex_lock (&self->lock);
  changed = self->body_max_age_us != MAX (max_age_us, 0);
  self->body_max_age_us = MAX (max_age_us, 0);
  g_mutex_unlock (&self->lock);

  if (changed && max_age_us > 0 && !g_atomic_int_get (&self->closed))
    g_async_queue_push (self->queue, &prune_marker);
}

gboolean
sy_history_get_version (sqlite3     *db,
                        const char  *path,
                        gint64      *out_version,
                        GError     **error)
{
  return query_int (db, "PRAGMA user_version", path, out_version, error);
}

gboolean
sy_history_prune_on (sqlite3     *db,
                     const char  *path,
                     gint64       before_us,
                     gint64      *out_pruned,
                     GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  gint64 pruned = 0;
  int rc;

  rc = sqlite3_prepare_v2 (db,
                           "DELETE FROM bodies WHERE request_id IN"
                           " (SELECT b.request_id FROM bodies b JOIN requests r ON r.id = b.request_id"
                           "  WHERE r.started_at < ?1 LIMIT ?2)",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, before_us);
  sqlite3_bind_int (stmt, 2, PRUNE_BATCH_ROWS);

  /* One transaction per batch: the writer thread (another connection) waits at
   * most one batch. */
  while (exec_sql (db, "BEGIN IMMEDIATE", path, error))
    {
      int changes;

      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      changes = sqlite3_changes (db);
      if (rc != SQLITE_DONE)
        sy_history_set_sqlite_error (error, db, rc, path);
      if (rc != SQLITE_DONE || !exec_sql (db, "COMMIT", path, error))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          break;
        }
      pruned += changes;
      if (changes < PRUNE_BATCH_ROWS)
        {
          ok = TRUE;
          break;
        }
    }
  sqlite3_finalize (stmt);

  if (out_pruned != NULL)
    *out_pruned = pruned;
  return ok;
}

gboolean
sy_history_prune_bodies (const char  *path,
                         gint64       before_us,
                         gint64      *out_pruned,
                         GError     **error)
{
  sqlite3 *db;
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (out_pruned != NULL)
    *out_pruned = 0;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  db = open_write_connection (path, error);
  if (db == NULL)
    return FALSE;
  ok = sy_history_prune_on (db, path, before_us, out_pruned, error);
  sqlite3_close (db);
  return ok;
}

void
sy_history_close (SyHistory *self)
{
  gpointer item;

  g_return_if_fail (SY_IS_HISTORY (self));

  if (!g_atomic_int_compare_and_exchange (&self->closed, FALSE, TRUE))
    return;

  if (self->thread != NULL)
    {
      /* Everything queued before the stop marker is written before the thread
       * ends. */
      g_async_queue_push (self->queue, &stop_marker);
      wake_writer (self);
      g_thread_join (g_steal_pointer (&self->thread));
    }

  while ((item = g_async_queue_try_pop (self->queue)) != NULL)
    queue_item_free (item);
}

static void
sy_history_dispose (GObject *object)
{
  SyHistory *self = SY_HISTORY (object);

  sy_history_close (self);

  G_OBJECT_CLASS (sy_history_parent_class)->dispose (object);
}

static void
sy_history_finalize (GObject *object)
{
  SyHistory *self = SY_HISTORY (object);

  g_assert (self->thread == NULL);
  g_assert (self->db == NULL);

  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_cond_clear (&self->wake);

  G_OBJECT_CLASS (sy_history_parent_class)->finalize (object);
}

static void
sy_history_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SyHistory *self = SY_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_history_class_init (SyHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sy_history_dispose;
  object_class->finalize = sy_history_finalize;
  object_class->get_property = sy_history_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sy_history_init (SyHistory *self)
{
  self->queue = g_async_queue_new_full (queue_item_free);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_cond_init (&self->wake);
}

/* Reading */

gboolean
sy_history_open_read_only (const char  *path,
                           sqlite3    **out_db,
                           GError     **error)
{
  sqlite3 *db = NULL;
  gint64 app_id;
  gint64 n_objects;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out_db != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *out_db = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;

  db = open_connection (path, SQLITE_OPEN_READONLY, error);
  if (db == NULL)
    return FALSE;

  /* The first read is where a file that is not a database fails. */
  if (!query_int (db, "PRAGMA application_id", path, &app_id, error))
    goto fail;

  if (app_id == 0)
    {
      if (!query_int (db, "SELECT count(*) FROM sqlite_schema", path, &n_objects, error))
        goto fail;
      /* Created by a writer that has not migrated it yet. */
      if (n_objects == 0)
        {
          sqlite3_close (db);
          return TRUE;
        }
    }
  if ((guint32) app_id != SY_HISTORY_APPLICATION_ID)
    {
      set_not_ours (path, error);
      goto fail;
    }

  *out_db = db;
  return TRUE;

fail:
  sqlite3_close (db);
  return FALSE;
}

/* Unlike the seeding readers, these fail when there is no history. */
sqlite3 *
sy_history_open_reader (const char  *path,
                        GError     **error)
{
  sqlite3 *db = NULL;

  /* SQLITE_OPEN_READONLY without CREATE still reports a missing file only as
   * "unable to open"; say it plainly. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "%s does not exist", path);
      return NULL;
    }

  if (!sy_history_open_read_only (path, &db, error))
    return NULL;
  if (db == NULL)
    set_not_ours (path, error);

  return db;
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gint64
column_count (sqlite3_stmt *stmt,
              int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return -1;
  return sqlite3_column_int64 (stmt, column);
}

static double
column_real (sqlite3_stmt *stmt,
             int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return -1;
  return sqlite3_column_double (stmt, column);
}

SyHistoryRecord *
sy_history_read_record (sqlite3_stmt *stmt,
                        gboolean      with_bodies)
{
  SyHistoryRecord *record = sy_history_record_new ();

  record->request_id = column_text (stmt, 0);
  record->started_at_us = sqlite3_column_int64 (stmt, 1);
  record->client = column_text (stmt, 2);
  record->surface = column_text (stmt, 3);
  record->requested_model = column_text (stmt, 4);
  record->profile = column_text (stmt, 5);
  record->provider = column_text (stmt, 6);
  record->model = column_text (stmt, 7);
  record->stream = sqlite3_column_int (stmt, 8) != 0;
  record->status = (int) column_count (stmt, 9);
  record->error = column_text (stmt, 10);
  record->attempts_json = column_text (stmt, 11);
  record->route_json = column_text (stmt, 12);
  record->prompt_tokens = column_count (stmt, 13);
  record->completion_tokens = column_count (stmt, 14);
  record->cached_tokens = column_count (stmt, 15);
  record->cache_write_tokens = column_count (stmt, 16);
  record->reasoning_tokens = column_count (stmt, 17);
  record->cost_known = sqlite3_column_type (stmt, 18) != SQLITE_NULL;
  if (record->cost_known)
    {
      record->cost = column_real (stmt, 18);
      record->cost_input = column_real (stmt, 19);
      record->cost_output = column_real (stmt, 20);
      record->cost_cache_read = column_real (stmt, 21);
      record->cost_cache_write = column_real (stmt, 22);
    }
  record->ttft_ms = column_real (stmt, 23);
  record->total_ms = column_real (stmt, 24);
  record->tokens_per_s = column_real (stmt, 25);
  if (with_bodies)
    {
      record->request_body = column_text (stmt, 26);
      record->response_body = column_text (stmt, 27);
    }

  return record;
}

GPtrArray *
sy_history_read_recent (const char  *path,
                        guint        limit,
                        GError     **error)
{
  g_autoptr(GPtrArray) records = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  db = sy_history_open_reader (path, error);
  if (db == NULL)
    return NULL;

  records = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_history_record_free);

  rc = sqlite3_prepare_v2 (db, select_recent_sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      /* A negative LIMIT means no limit. */
      sqlite3_bind_int64 (stmt, 1, limit == 0 ? -1 : (gint64) limit);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (records, sy_history_read_record (stmt, TRUE));
    }

  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      g_clear_pointer (&records, g_ptr_array_unref);
    }

  sqlite3_finalize (stmt);
  sqlite3_close (db);

  return g_steal_pointer (&records);
}

gboolean
sy_history_read_count (const char  *path,
                       gint64      *out_count,
                       GError     **error)
{
  gboolean ok;
  sqlite3 *db;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (out_count != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  db = sy_history_open_reader (path, error);
  if (db == NULL)
    return FALSE;

  ok = query_int (db, "SELECT count(*) FROM requests", path, out_count, error);
  sqlite3_close (db);

  return ok;
}

/* ------------------------------------------------------------ comparisons */

void
sy_comparison_row_free (SyComparisonRow *row)
{
  if (row == NULL)
    return;
  g_free (row->id);
  g_free (row->json);
  g_free (row);
}

/* One statement on a write connection of its own (the writer thread holds
 * another; the busy timeout waits for it): prepare, the caller binds, then
 * step_and_close () runs it in autocommit and closes. */
static sqlite3_stmt *
prepare_write (const char  *path,
               const char  *sql,
               sqlite3    **out_db,
               GError     **error)
{
  sqlite3 *db = open_write_connection (path, error);
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (db == NULL)
    return NULL;
  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      sqlite3_close (db);
      return NULL;
    }
  *out_db = db;
  return stmt;
}

static gboolean
step_and_close (sqlite3       *db,
                sqlite3_stmt  *stmt,
                const char    *path,
                GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    sy_history_set_sqlite_error (error, db, rc, path);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rc == SQLITE_DONE;
}

gboolean
sy_history_save_comparison (const char  *path,
                            const char  *id,
                            gint64       created_at_us,
                            const char  *json,
                            GError     **error)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (path != NULL && id != NULL && json != NULL, FALSE);

  stmt = prepare_write (path,
                        "INSERT INTO comparisons (id, created_at, body) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                        &db, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, created_at_us);
  sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
  return step_and_close (db, stmt, path, error);
}

gboolean
sy_history_save_rating (const char  *path,
                        const char  *comparison_id,
                        const char  *model,
                        int          score,
                        GError     **error)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (path != NULL && comparison_id != NULL && model != NULL, FALSE);

  if (score <= 0)
    stmt = prepare_write (path, "DELETE FROM ratings WHERE comparison_id = ?1 AND model = ?2",
                          &db, error);
  else
    stmt = prepare_write (path,
                          "INSERT INTO ratings (comparison_id, model, score, rated_at)"
                          " VALUES (?1, ?2, ?3, ?4)"
                          " ON CONFLICT (comparison_id, model) DO UPDATE SET"
                          " score = excluded.score, rated_at = excluded.rated_at",
                          &db, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, comparison_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, model, -1, SQLITE_STATIC);
  if (score > 0)
    {
      sqlite3_bind_int (stmt, 3, MIN (score, 5));
      sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
    }
  return step_and_close (db, stmt, path, error);
}

GPtrArray *
sy_history_read_comparisons (const char  *path,
                             guint        limit,
                             GError     **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_comparison_row_free);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 version = 0;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (!sy_history_open_read_only (path, &db, error))
    return NULL;
  if (db == NULL)
    return g_steal_pointer (&rows);
  /* A history from before comparisons has none. */
  if (!query_int (db, "PRAGMA user_version", path, &version, error))
    {
      sqlite3_close (db);
      return NULL;
    }
  if (version < 2)
    {
      sqlite3_close (db);
      return g_steal_pointer (&rows);
    }

  rc = sqlite3_prepare_v2 (db, "SELECT id, created_at, body FROM comparisons"
                               " ORDER BY created_at DESC, id DESC LIMIT ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          SyComparisonRow *row = g_new0 (SyComparisonRow, 1);

          row->id = column_text (stmt, 0);
          row->created_at_us = sqlite3_column_int64 (stmt, 1);
          row->json = column_text (stmt, 2);
          g_ptr_array_add (rows, row);
        }
    }
  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      sqlite3_finalize (stmt);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_steal_pointer (&rows);
}
