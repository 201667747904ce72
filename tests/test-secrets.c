/* test-secrets.c — a canary provider key in a real keyring never leaks from `switchyard serve`.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#include "config.h"

#define G_LOG_DOMAIN "test-secrets"

#include <signal.h>
#include <string.h>

#include "sy-keys.h"
#include "sy-test-util.h"

#define TOKEN "sy-test-token"
#define CONFIG \
  "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"}," \
  "\"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"}," \
  "{\"id\":\"groq\",\"base_url\":\"@MOCK@\"}]}"
#define CHAT_BODY \
  "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
#define STREAM_BODY \
  "{\"model\":\"openai/gpt-4.1-mini\",\"stream\":true," \
  "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

static SyKeys     *keys;
static char       *canary;          /* sk-canary-<32 hex> */
static char       *canary_prefix;   /* its first 12 characters */
static SyTestProc *mock;
static SyTestProc *serve;
static GString    *bodies;          /* every response body the tests received */
static char       *serve_env_bus;
static gboolean    serve_stopped;

static SyTestProc *
start_serve (const char *config,
             const char *extra_env)
{
  const char * const env[] = { serve_env_bus, "G_MESSAGES_DEBUG=all", extra_env, NULL };

  return sy_test_serve_start (config, mock, env);
}

/* Keeps @body for the final check and asserts it holds no part of the canary. */
static void
assert_clean_body (const char *body,
                   gsize       length)
{
  g_string_append_len (bodies, body, (gssize) length);
  g_string_append_c (bodies, '\n');
  g_assert_null (g_strstr_len (body, (gssize) length, canary));
  g_assert_null (g_strstr_len (body, (gssize) length, canary_prefix));
  g_assert_null (g_strstr_len (body, (gssize) length, canary + strlen ("sk-canary-")));
}

/* The last request the mock received. */
static JsonNode *
mock_last_request (JsonNode **requests_out)
{
  JsonNode *requests = sy_test_mock_requests (mock);
  JsonNode *list = sy_test_json_path (requests, "requests");
  JsonArray *array;

  *requests_out = requests;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return NULL;
  array = json_node_get_array (list);
  if (json_array_get_length (array) == 0)
    return NULL;
  return json_array_get_element (array, json_array_get_length (array) - 1);
}

static void
assert_mock_saw_key (const char *key)
{
  g_autoptr(JsonNode) requests = NULL;
  JsonNode *last = mock_last_request (&requests);
  g_autofree char *expected = g_strconcat ("Bearer ", key, NULL);

  g_assert_nonnull (last);
  g_assert_cmpstr (sy_test_json_string (last, "headers.authorization"), ==, expected);
}

/* @path's bytes (when it exists) contain neither the canary nor its random part. */
static void
assert_file_clean (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *hex = canary + strlen ("sk-canary-");

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_message ("%s: absent", path);
      return;
    }
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_test_message ("%s: %zu bytes", path, length);
  g_assert_null (memmem (contents, length, canary, strlen (canary)));
  g_assert_null (memmem (contents, length, hex, strlen (hex)));
}

static void
assert_files_clean (SyTestProc *proc)
{
  g_autofree char *wal = g_strconcat (proc->db_path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (proc->db_path, "-shm", NULL);

  assert_file_clean (proc->db_path);
  assert_file_clean (wal);
  assert_file_clean (shm);
  assert_file_clean (proc->config_path);
  assert_file_clean (proc->log_path);
}

/* ------------------------------------------------------------------ tests */

static void
test_keyring_key_used (void)
{
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_mock_reset (mock);
  response = sy_test_chat (serve->port, TOKEN, CHAT_BODY);
  assert_clean_body (response->body, response->length);
  g_assert_cmpuint (response->status, ==, 200);
  assert_mock_saw_key (canary);
}

static void
test_keyring_wins_over_env (void)
{
  SyTestProc *other = start_serve (CONFIG, "OPENAI_API_KEY=sk-env-other-0123456789");
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_mock_reset (mock);
  response = sy_test_chat (other->port, TOKEN, CHAT_BODY);
  assert_clean_body (response->body, response->length);
  g_assert_cmpuint (response->status, ==, 200);
  assert_mock_saw_key (canary);

  sy_test_proc_stop (other);
  assert_files_clean (other);
  sy_test_proc_free (other);
}

static void
test_upstream_401 (void)
{
  g_autofree char *faults = g_strdup_printf (
    "[{\"kind\":\"status\",\"status\":401,\"body\":{\"error\":{"
    "\"message\":\"Incorrect API key provided: %s. You can find your API key at "
    "https://platform.openai.com/account/api-keys.\","
    "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}}]", canary);
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_mock_reset (mock);
  sy_test_mock_faults (mock, faults);
  response = sy_test_chat (serve->port, TOKEN, CHAT_BODY);
  g_test_message ("401: %s", response->body);
  assert_clean_body (response->body, response->length);
  g_assert_cmpuint (response->status, ==, 401);
  g_assert_nonnull (sy_test_json_string (response->json, "error.message"));
  /* The upstream is told the real key; only what comes back is cleaned. */
  assert_mock_saw_key (canary);
}

static void
test_upstream_500 (void)
{
  g_autofree char *one = g_strdup_printf (
    "{\"kind\":\"status\",\"status\":500,\"body\":{\"error\":{"
    "\"message\":\"Internal error while checking key %s (request failed)\","
    "\"type\":\"server_error\",\"code\":null}}}", canary);
  g_autofree char *faults = g_strdup_printf ("[%s,%s,%s,%s,%s,%s]", one, one, one, one, one, one);
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_mock_reset (mock);
  sy_test_mock_faults (mock, faults);
  response = sy_test_chat (serve->port, TOKEN, CHAT_BODY);
  g_test_message ("500: %s", response->body);
  assert_clean_body (response->body, response->length);
  g_assert_cmpuint (response->status, >=, 500);
  g_assert_nonnull (sy_test_json_string (response->json, "error.message"));
  sy_test_mock_reset (mock);
}

static void
test_upstream_stream_errors (void)
{
  g_autofree char *unauthorized = g_strdup_printf (
    "[{\"kind\":\"status\",\"status\":401,\"body\":{\"error\":{"
    "\"message\":\"Incorrect API key provided: %s.\",\"type\":\"invalid_request_error\","
    "\"code\":\"invalid_api_key\"}}}]", canary);
  const char *kinds[] = { "[{\"kind\":\"cut\"}]", "[{\"kind\":\"malformed\"}]", unauthorized };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autoptr(GPtrArray) events = NULL;
      g_autofree char *joined = NULL;
      guint status = 0;

      sy_test_mock_reset (mock);
      sy_test_mock_faults (mock, kinds[i]);
      events = sy_test_stream (serve->port, TOKEN, STREAM_BODY, &status, NULL, NULL);
      g_ptr_array_add (events, NULL);
      joined = g_strjoinv ("\n", (char **) events->pdata);
      g_test_message ("stream %s: %u, %u lines", kinds[i], status, events->len - 1);
      assert_clean_body (joined, strlen (joined));
      if (i == 2)
        g_assert_cmpuint (status, ==, 401);
    }
  sy_test_mock_reset (mock);
}

static void
test_missing_key (void)
{
  g_autoptr(SyTestResponse) response = NULL;
  const char *message;

  sy_test_mock_reset (mock);
  response = sy_test_chat (serve->port, TOKEN,
                           "{\"model\":\"groq/llama-3.3-70b-versatile\","
                           "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_test_message ("no groq key: %u %s", response->status, response->body);
  assert_clean_body (response->body, response->length);
  g_assert_cmpuint (response->status, ==, 401);
  message = sy_test_json_string (response->json, "error.message");
  g_assert_nonnull (message);
  g_assert_nonnull (sy_test_json_string (response->json, "error.type"));
  g_assert_nonnull (sy_test_json_path (response->json, "error.code"));
  g_assert_nonnull (message != NULL ? strstr (message, "groq") : NULL);
  g_assert_nonnull (message != NULL ? strstr (message, "GROQ_API_KEY") : NULL);
  /* Nothing was sent upstream without a key. */
  {
    g_autoptr(JsonNode) requests = sy_test_mock_requests (mock);
    g_assert_cmpint ((gint) sy_test_json_double (requests, "count"), ==, 0);
  }
}

static void
test_key_env (void)
{
  const char *config =
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
    "\"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"MY_OPENAI_KEY\"}]}";
  g_autofree char *env_key = g_strdup_printf ("sk-myenv-%08x%08x", g_random_int (), g_random_int ());
  g_autofree char *assignment = g_strconcat ("MY_OPENAI_KEY=", env_key, NULL);
  SyTestProc *other;
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_keys_clear (keys, "openai");
  other = start_serve (config, assignment);
  sy_test_mock_reset (mock);
  response = sy_test_chat (other->port, TOKEN, CHAT_BODY);
  g_assert_cmpuint (response->status, ==, 200);
  assert_mock_saw_key (env_key);
  g_assert_null (strstr (response->body, env_key));

  sy_test_proc_stop (other);
  {
    g_autofree char *log = NULL;
    gsize length = 0;

    g_assert_true (g_file_get_contents (other->log_path, &log, &length, NULL));
    g_assert_null (memmem (log, length, env_key, strlen (env_key)));
  }
  sy_test_proc_free (other);
  sy_test_keys_store (keys, "openai", canary);
}

/* After SIGTERM (history written), nothing on disk and nothing received holds it. */
static void
test_nothing_at_rest (void)
{
  g_autoptr(GPtrArray) rows = NULL;

  sy_test_proc_stop (serve);
  serve_stopped = TRUE;
  rows = sy_test_history (serve->db_path);
  g_test_message ("%u history rows", rows->len);
  g_assert_cmpuint (rows->len, >=, 5);
  assert_files_clean (serve);
  g_assert_null (strstr (bodies->str, canary));
  g_assert_null (strstr (bodies->str, canary_prefix));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_assert_nonnull (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
  serve_env_bus = g_strconcat ("DBUS_SESSION_BUS_ADDRESS=", g_getenv ("DBUS_SESSION_BUS_ADDRESS"), NULL);
  canary = g_strdup_printf ("sk-canary-%08x%08x%08x%08x", g_random_int (), g_random_int (),
                            g_random_int (), g_random_int ());
  canary_prefix = g_strndup (canary, 12);
  bodies = g_string_new (NULL);

  keys = sy_keys_new ();
  sy_test_keys_store (keys, "openai", canary);
  sy_test_keys_clear (keys, "groq");

  mock = sy_test_mock_start (NULL);
  serve = start_serve (CONFIG, NULL);

  g_test_add_func ("/secrets/keyring-key-used", test_keyring_key_used);
  g_test_add_func ("/secrets/keyring-wins-over-env", test_keyring_wins_over_env);
  g_test_add_func ("/secrets/upstream-401", test_upstream_401);
  g_test_add_func ("/secrets/upstream-500", test_upstream_500);
  g_test_add_func ("/secrets/upstream-stream-errors", test_upstream_stream_errors);
  g_test_add_func ("/secrets/missing-key", test_missing_key);
  g_test_add_func ("/secrets/key-env", test_key_env);
  g_test_add_func ("/secrets/nothing-at-rest", test_nothing_at_rest);

  /* Report every broken rule, not only the first; set-up failures above stay fatal. */
  g_test_set_nonfatal_assertions ();
  status = g_test_run ();

  if (!serve_stopped)
    sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  sy_test_keys_clear (keys, "openai");
  g_clear_object (&keys);
  g_string_free (bodies, TRUE);
  g_free (canary);
  g_free (canary_prefix);
  g_free (serve_env_bus);
  return status;
}
