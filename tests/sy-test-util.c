/* sy-test-util.c — helpers shared by the test programs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-test-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sys/prctl.h>

#include "sy-history.h"
#include "sy-json.h"

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

void
sy_test_db_fixture_setup (SyTestDbFixture *fixture,
                          gconstpointer    data)
{
  fixture->dir = sy_test_mkdtemp ();
  fixture->path = g_build_filename (fixture->dir, "history.db", NULL);
}

void
sy_test_db_fixture_teardown (SyTestDbFixture *fixture,
                             gconstpointer    data)
{
  sy_test_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

/* Children die with the test: a failed assertion must not leave servers behind
 * holding the test runner's pipes open. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static guint
read_listening_port (GSubprocess *process)
{
  GInputStream *out = g_subprocess_get_stdout_pipe (process);
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (out);
  g_autofree char *line = NULL;
  const char *colon;

  /* Read byte by byte up to the newline so nothing after it is buffered away. */
  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (data), 1);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (data), FALSE);
  line = g_data_input_stream_read_line (data, NULL, NULL, NULL);
  g_assert_nonnull (line);
  colon = strstr (line, "://127.0.0.1:");
  g_assert_true (g_str_has_prefix (line, "listening on http"));
  g_assert_nonnull (colon);
  return (guint) g_ascii_strtoull (colon + strlen ("://127.0.0.1:"), NULL, 10);
}

SyTestProc *
sy_test_mock_start (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *bin = g_getenv ("MOCK_UPSTREAM_BIN");
  SyTestProc *proc = g_new0 (SyTestProc, 1);

  g_assert_nonnull (bin);
  g_ptr_array_add (argv, (char *) bin);
  g_ptr_array_add (argv, (char *) "--port");
  g_ptr_array_add (argv, (char *) "0");
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    proc->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  }
  g_assert_no_error (error);
  proc->port = read_listening_port (proc->process);
  return proc;
}

SyTestProc *
sy_test_serve_start (const char          *config_json,
                     SyTestProc          *mock,
                     const char * const  *env)
{
  return sy_test_serve_start_seeded (config_json, mock, env, NULL, NULL);
}

SyTestProc *
sy_test_serve_start_seeded (const char          *config_json,
                            SyTestProc          *mock,
                            const char * const  *env,
                            void               (*seed) (const char *db_path, gpointer data),
                            gpointer             seed_data)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  const char *bin = g_getenv ("SWITCHYARD_BIN");
  SyTestProc *proc = g_new0 (SyTestProc, 1);
  const char * const passed[] = {
    "PATH", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "G_SLICE", "G_DEBUG", "TMPDIR",
  };

  g_assert_nonnull (bin);
  proc->dir = sy_test_mkdtemp ();
  proc->config_path = g_build_filename (proc->dir, "config.json", NULL);
  proc->db_path = g_build_filename (proc->dir, "history.db", NULL);

  if (mock != NULL)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1", mock->port);
      g_auto(GStrv) parts = g_strsplit (config_json, "@MOCK@", -1);
      config = g_strjoinv (url, parts);
    }
  else
    config = g_strdup (config_json);
  g_assert_true (g_file_set_contents (proc->config_path, config, -1, NULL));
  if (seed != NULL)
    seed (proc->db_path, seed_data);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  proc->log_path = g_build_filename (proc->dir, "serve.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, proc->log_path);
  /* A clean environment: no session bus (no keyring), no keys from the caller. */
  g_subprocess_launcher_set_environ (launcher, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (passed); i++)
    if (g_getenv (passed[i]) != NULL)
      g_subprocess_launcher_setenv (launcher, passed[i], g_getenv (passed[i]), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", proc->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", proc->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", proc->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", proc->dir, TRUE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (env[i], "=", 2);
      g_subprocess_launcher_setenv (launcher, kv[0], kv[1] != NULL ? kv[1] : "", TRUE);
    }

  proc->process = g_subprocess_launcher_spawn (launcher, &error, bin, "serve",
                                               "--config", proc->config_path,
                                               "--db", proc->db_path,
                                               "--port", "0", NULL);
  g_assert_no_error (error);
  proc->port = read_listening_port (proc->process);
  return proc;
}

void
sy_test_proc_stop (SyTestProc *proc)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (proc->process, SIGTERM);
  g_subprocess_wait (proc->process, NULL, &error);
  g_assert_no_error (error);

  /* A serve that did not exit cleanly (a sanitizer report, a crash) shows the
   * end of its log before the assertion fails. */
  if (g_subprocess_get_if_signaled (proc->process))
    g_test_message ("child died of signal %d", g_subprocess_get_term_sig (proc->process));
  if ((!g_subprocess_get_if_exited (proc->process) || g_subprocess_get_exit_status (proc->process) != 0) &&
      proc->log_path != NULL)
    {
      g_autofree char *log = NULL;
      gsize length = 0;

      if (g_file_get_contents (proc->log_path, &log, &length, NULL))
        {
          g_auto(GStrv) lines = g_strsplit (length > 8000 ? log + length - 8000 : log, "\n", -1);

          for (guint i = 0; lines[i] != NULL; i++)
            g_test_message ("serve: %s", lines[i]);
        }
    }

  g_assert_true (g_subprocess_get_if_exited (proc->process));
  g_assert_cmpint (g_subprocess_get_exit_status (proc->process), ==, 0);
}

void
sy_test_proc_kill (SyTestProc *proc)
{
  g_subprocess_force_exit (proc->process);
  g_subprocess_wait (proc->process, NULL, NULL);
}

void
sy_test_proc_free (SyTestProc *proc)
{
  if (proc == NULL)
    return;
  if (proc->process != NULL && !g_subprocess_get_if_exited (proc->process) &&
      !g_subprocess_get_if_signaled (proc->process))
    sy_test_proc_kill (proc);
  g_clear_object (&proc->process);
  if (proc->dir != NULL)
    sy_test_rmdir (proc->dir);
  g_free (proc->dir);
  g_free (proc->db_path);
  g_free (proc->config_path);
  g_free (proc->log_path);
  g_free (proc);
}

void
sy_test_response_free (SyTestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response->body);
  g_free (response);
}

static SoupSession *
test_session (void)
{
  return soup_session_new_with_options ("timeout", 60, "max-conns-per-host", 64, NULL);
}

/* "Name: value" strings, NULL-terminated; may be NULL. */
static void
add_headers (SoupMessageHeaders  *headers,
             const char * const  *extra_headers)
{
  for (guint i = 0; extra_headers != NULL && extra_headers[i] != NULL; i++)
    {
      g_auto(GStrv) kv = g_strsplit (extra_headers[i], ": ", 2);
      soup_message_headers_append (headers, kv[0], kv[1]);
    }
}

SyTestResponse *
sy_test_http (guint               port,
              const char         *method,
              const char         *path,
              const char         *token,
              const char         *content_type,
              const char         *body,
              const char * const *extra_headers)
{
  g_autoptr(SoupSession) session = test_session ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  SyTestResponse *response = g_new0 (SyTestResponse, 1);

  if (token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  add_headers (headers, extra_headers);
  if (body != NULL)
    {
      g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, content_type, request);
    }

  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  response->length = g_bytes_get_size (bytes);
  response->json = sy_json_parse (response->body, response->length, NULL);
  return response;
}

SyTestResponse *
sy_test_chat (guint       port,
              const char *token,
              const char *body)
{
  return sy_test_http (port, "POST", "/v1/chat/completions", token, "application/json", body, NULL);
}

guint
sy_test_raw_http (guint        port,
                  const char  *request,
                  gsize        length,
                  char       **raw_out)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  GOutputStream *out;
  GInputStream *in;
  guint8 buffer[8192];
  gssize n;
  guint status = 0;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, &error);
  g_assert_no_error (error);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  /* The server may answer and close before it read everything (413): a failed
   * write is fine as long as a response arrives. */
  g_output_stream_write_all (out, request, length, NULL, NULL, NULL);
  g_socket_shutdown (g_socket_connection_get_socket (connection), FALSE, TRUE, NULL);
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 30);
  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    g_byte_array_append (raw, buffer, (guint) n);
  g_byte_array_append (raw, (const guint8 *) "", 1);

  if (raw->len > 12 && g_str_has_prefix ((const char *) raw->data, "HTTP/1."))
    status = (guint) g_ascii_strtoull ((const char *) raw->data + 9, NULL, 10);
  if (raw_out != NULL)
    *raw_out = g_strdup ((const char *) raw->data);
  return status;
}

GPtrArray *
sy_test_stream (guint                port,
                const char          *token,
                const char          *body,
                guint               *status_out,
                SoupMessageHeaders **headers_out,
                GArray             **times_out)
{
  return sy_test_stream_at (port, "/v1/chat/completions", token, body, NULL,
                            status_out, headers_out, times_out);
}

GPtrArray *
sy_test_stream_at (guint                port,
                   const char          *path,
                   const char          *token,
                   const char          *body,
                   const char * const  *extra_headers,
                   guint               *status_out,
                   SoupMessageHeaders **headers_out,
                   GArray             **times_out)
{
  g_autoptr(SoupSession) session = test_session ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  GPtrArray *events = g_ptr_array_new_with_free_func (g_free);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  char *line;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  add_headers (soup_message_get_request_headers (msg), extra_headers);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  in = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  if (status_out != NULL)
    *status_out = soup_message_get_status (msg);
  if (headers_out != NULL)
    *headers_out = soup_message_headers_ref (soup_message_get_response_headers (msg));

  data = g_data_input_stream_new (in);
  while ((line = g_data_input_stream_read_line (data, NULL, NULL, NULL)) != NULL)
    {
      if (g_str_has_prefix (line, "data: ") || g_str_has_prefix (line, ":"))
        {
          gint64 now = g_get_monotonic_time ();
          g_ptr_array_add (events, g_strdup (line[0] == ':' ? line : line + 6));
          g_array_append_val (times, now);
        }
      else if (*line != '\0')
        g_ptr_array_add (events, g_strdup (line));  /* not SSE (an error body): keep it */
      g_free (line);
    }

  if (times_out != NULL)
    *times_out = times;
  else
    g_array_unref (times);
  return events;
}

static void
mock_post (SyTestProc *mock,
           const char *path,
           const char *body)
{
  g_autoptr(SyTestResponse) response =
    sy_test_http (mock->port, "POST", path, NULL, "application/json", body, NULL);

  g_assert_cmpuint (response->status, ==, 200);
}

void
sy_test_mock_faults (SyTestProc *mock,
                     const char *faults_json)
{
  mock_post (mock, "/_mock/faults", faults_json);
}

void
sy_test_mock_reset (SyTestProc *mock)
{
  mock_post (mock, "/_mock/reset", "{}");
}

JsonNode *
sy_test_mock_requests (SyTestProc *mock)
{
  g_autoptr(SyTestResponse) response =
    sy_test_http (mock->port, "GET", "/_mock/requests", NULL, NULL, NULL, NULL);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (response->json);
  return json_node_ref (response->json);
}

JsonNode *
sy_test_mock_last_body (SyTestProc *mock)
{
  g_autoptr(JsonNode) requests = sy_test_mock_requests (mock);
  guint count = (guint) sy_test_json_double (requests, "count");
  g_autofree char *last = g_strdup_printf ("requests.%u.body", count - 1);

  g_assert_cmpuint (count, >, 0);
  return json_node_copy (sy_test_json_path (requests, last));
}

JsonNode *
sy_test_json_path (JsonNode   *root,
                   const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; node != NULL && parts[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_OBJECT (node))
        node = json_object_get_member (json_node_get_object (node), parts[i]);
      else if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          guint index = (guint) g_ascii_strtoull (parts[i], NULL, 10);
          node = index < json_array_get_length (array) ? json_array_get_element (array, index) : NULL;
        }
      else
        node = NULL;
    }
  return node;
}

const char *
sy_test_json_string (JsonNode   *root,
                     const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

double
sy_test_json_double (JsonNode   *root,
                     const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NAN;
  return json_node_get_double (node);
}

gint64
sy_test_json_int (JsonNode   *root,
                  const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_VALUE (node));
  return json_node_get_int (node);
}

guint
sy_test_json_length (JsonNode   *root,
                     const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  g_assert_nonnull (node);
  if (JSON_NODE_HOLDS_ARRAY (node))
    return json_array_get_length (json_node_get_array (node));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_get_size (json_node_get_object (node));
}

gboolean
sy_test_json_is_null (JsonNode   *root,
                      const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

JsonNode *
sy_test_json_parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = sy_json_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

JsonNode *
sy_test_json_node_take (JsonObject *object)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_unref (object);
  return node;
}

GPtrArray *
sy_test_history (const char *db_path)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = sy_history_read_recent (db_path, 0, &error);

  g_assert_no_error (error);
  return rows;
}

SyHistoryRecord *
sy_test_only_row (SyTestProc  *serve,
                  GPtrArray  **rows_out)
{
  sy_test_proc_stop (serve);
  *rows_out = sy_test_history (serve->db_path);
  g_assert_cmpuint ((*rows_out)->len, ==, 1);
  return g_ptr_array_index (*rows_out, 0);
}

guint
sy_test_count_prefix (GPtrArray  *events,
                      const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (events, i), prefix);
  return n;
}

void
sy_test_got_result (GObject      *object,
                    GAsyncResult *result,
                    gpointer      slot)
{
  GAsyncResult **out = slot;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

/* The thread-default context, never the global one when a thread pushed its own. */
GAsyncResult *
sy_test_wait_result (GAsyncResult **slot)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  while (*slot == NULL)
    g_main_context_iteration (context, TRUE);
  return g_steal_pointer (slot);
}

void
sy_test_keys_store (SyKeys     *keys,
                    const char *provider_id,
                    const char *secret)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sy_keys_store_async (keys, provider_id, secret, NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  g_assert_true (sy_keys_store_finish (keys, result, &error));
  g_assert_no_error (error);
}

void
sy_test_keys_clear (SyKeys     *keys,
                    const char *provider_id)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sy_keys_clear_async (keys, provider_id, NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  g_assert_true (sy_keys_clear_finish (keys, result, &error));
  g_assert_no_error (error);
}
