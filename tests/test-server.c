/* test-server.c — the OpenAI-compatible endpoint end to end: answers, streams, routing, history.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "sy-history.h"
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-test-token"
#define KEY   "sk-test-0123456789"
#define PLAIN "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"
#define STREAMED "{\"model\":\"openai/gpt-4.1-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}"

static SyTestProc *mock;
static SyTestProc *slow_mock;   /* 100 ms between chunks */

static const char *config_json =
  "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
  " \"unknown_field\":{\"kept\":true},"
  " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
  "               {\"id\":\"down\",\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:9/v1\",\"key_env\":\"DOWN_KEY\"},"
  "               {\"id\":\"groq\",\"base_url\":\"@MOCK@\"},"
  "               {\"id\":\"openrouter\",\"base_url\":\"@MOCK@\",\"key_env\":\"DOWN_KEY\"}],"
  " \"profiles\":[{\"name\":\"auto\",\"strategy\":\"fallback\","
  "                \"models\":[\"down/some-model\",\"openai/gpt-4.1-mini\"]},"
  "               {\"name\":\"to-openrouter\",\"models\":[\"openai/gpt-4.1-mini\",\"openrouter/openai/gpt-4.1-mini\"]}]}";

static const char * const serve_env[] = { "OPENAI_API_KEY=" KEY, "DOWN_KEY=sk-down-key-0000", NULL };

static char *
stream_text (GPtrArray *events)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      const char *data = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) node = NULL;
      const char *content;

      if (data[0] == ':' || g_str_equal (data, "[DONE]"))
        continue;
      node = sy_json_parse (data, strlen (data), NULL);
      g_assert_nonnull (node);
      content = sy_test_json_string (node, "choices.0.delta.content");
      if (content != NULL)
        g_string_append (text, content);
    }
  return g_string_free (text, FALSE);
}


static SyHistoryRecord *
find_row (GPtrArray  *rows,
          const char *request_id)
{
  for (guint i = 0; i < rows->len; i++)
    {
      SyHistoryRecord *row = g_ptr_array_index (rows, i);
      if (g_strcmp0 (row->request_id, request_id) == 0)
        return row;
    }
  g_assert_not_reached ();
}

static void
test_plain (void)
{
  SyTestProc *serve = sy_test_serve_start (config_json, mock, serve_env);
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, PLAIN);
  g_autoptr(JsonNode) upstream = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;
  double cost;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (response->json);
  g_assert_cmpstr (sy_test_json_string (response->json, "object"), ==, "chat.completion");
  g_assert_cmpstr (sy_test_json_string (response->json, "provider"), ==, "openai");
  g_assert_cmpstr (sy_test_json_string (response->json, "choices.0.message.content"), ==,
                   "Hello from mock. w1 w2");
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "x-switchyard-provider"), ==, "openai");
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "x-switchyard-model"), ==, "gpt-4.1-mini");
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "x-switchyard-attempts"), ==, "1");
  g_assert_true (g_str_has_prefix (soup_message_headers_get_one (response->headers, "x-switchyard-request-id"), "sy-"));

  /* usage carries the cost at the catalog's gpt-4.1-mini price. */
  cost = sy_test_json_double (response->json, "usage.cost");
  {
    double prompt = sy_test_json_double (response->json, "usage.prompt_tokens");
    double completion = sy_test_json_double (response->json, "usage.completion_tokens");
    g_assert_cmpfloat (prompt, >, 0);
    g_assert_cmpfloat (completion, ==, 5);
    g_assert_cmpfloat (fabs (cost - (prompt * 0.40 + completion * 1.60) / 1e6), <, 1e-12);
    g_assert_cmpfloat (fabs (sy_test_json_double (response->json, "usage.cost_details.output") -
                             completion * 1.60 / 1e6), <, 1e-12);
  }

  /* What went upstream: the user's key, the model rewritten, nothing else lost. */
  upstream = sy_test_mock_requests (mock);
  {
    guint count = (guint) sy_test_json_double (upstream, "count");
    g_autofree char *last = g_strdup_printf ("requests.%u", count - 1);
    JsonNode *request = sy_test_json_path (upstream, last);
    g_autofree char *auth_path = g_strdup ("headers.authorization");

    g_assert_cmpstr (sy_test_json_string (request, auth_path), ==, "Bearer " KEY);
    g_assert_cmpstr (sy_test_json_string (request, "body.model"), ==, "gpt-4.1-mini");
    g_assert_cmpstr (sy_test_json_string (request, "body.messages.0.content"), ==, "Say hello");
  }

  sy_test_proc_stop (serve);
  rows = sy_test_history (serve->db_path);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (row->request_id, ==, soup_message_headers_get_one (response->headers, "x-switchyard-request-id"));
  g_assert_cmpstr (row->surface, ==, "chat.completions");
  g_assert_cmpstr (row->requested_model, ==, "openai/gpt-4.1-mini");
  g_assert_cmpstr (row->provider, ==, "openai");
  g_assert_cmpstr (row->model, ==, "gpt-4.1-mini");
  g_assert_cmpint (row->status, ==, 200);
  g_assert_cmpint (row->completion_tokens, ==, 5);
  g_assert_cmpint (row->prompt_tokens, >, 0);
  g_assert_true (row->cost_known);
  g_assert_cmpfloat (fabs (row->cost - cost), <, 1e-12);
  g_assert_cmpfloat (row->total_ms, >, 0);
  g_assert_cmpfloat (row->ttft_ms, >, 0);
  g_assert_nonnull (strstr (row->request_body, "Say hello"));
  g_assert_nonnull (strstr (row->response_body, "Hello from mock."));
  sy_test_proc_free (serve);
}

static void
test_stream (void)
{
  SyTestProc *serve = sy_test_serve_start (config_json, slow_mock, serve_env);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GArray) times = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) last = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) upstream = NULL;
  SyHistoryRecord *row;
  guint status = 0;
  const char *data;
  gint64 first_content, done;

  events = sy_test_stream (serve->port, TOKEN, STREAMED, &status, &headers, &times);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, "text/event-stream");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "x-switchyard-provider"), ==, "openai");

  /* role chunk, 5 content chunks, finish chunk, usage chunk, [DONE] */
  g_assert_cmpuint (events->len, ==, 9);
  g_assert_cmpstr (g_ptr_array_index (events, 8), ==, "[DONE]");
  text = stream_text (events);
  g_assert_cmpstr (text, ==, "Hello from mock. w1 w2");

  data = g_ptr_array_index (events, 7);
  last = sy_json_parse (data, strlen (data), NULL);
  g_assert_cmpfloat (sy_test_json_double (last, "usage.completion_tokens"), ==, 5);
  g_assert_cmpfloat (sy_test_json_double (last, "usage.cost"), >, 0);

  /* Relayed as they arrive: the mock spaces chunks 100 ms apart, so the first
   * content chunk must reach us long before [DONE]. */
  first_content = g_array_index (times, gint64, 1);
  done = g_array_index (times, gint64, 8);
  g_assert_cmpint (done - first_content, >=, 400 * 1000);

  /* The router asked upstream for usage although the client did not. */
  upstream = sy_test_mock_requests (slow_mock);
  {
    guint count = (guint) sy_test_json_double (upstream, "count");
    g_autofree char *path = g_strdup_printf ("requests.%u.body.stream_options.include_usage", count - 1);
    JsonNode *include = sy_test_json_path (upstream, path);
    g_assert_nonnull (include);
    g_assert_true (json_node_get_boolean (include));
  }

  sy_test_proc_stop (serve);
  rows = sy_test_history (serve->db_path);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  g_assert_true (row->stream);
  g_assert_cmpint (row->status, ==, 200);
  g_assert_cmpint (row->completion_tokens, ==, 5);
  g_assert_true (row->cost_known);
  g_assert_cmpfloat (row->ttft_ms, >, 0);
  g_assert_cmpfloat (row->total_ms, >, row->ttft_ms + 300);
  g_assert_cmpfloat (row->tokens_per_s, >, 0);
  sy_test_proc_free (serve);
}

static void
test_models_and_health (void)
{
  SyTestProc *serve = sy_test_serve_start (config_json, mock, serve_env);
  g_autoptr(SyTestResponse) models = sy_test_http (serve->port, "GET", "/v1/models", TOKEN, NULL, NULL, NULL);
  g_autoptr(SyTestResponse) health = sy_test_http (serve->port, "GET", "/health", NULL, NULL, NULL, NULL);
  JsonArray *data;
  gboolean saw_profile = FALSE, saw_model = FALSE;

  g_assert_cmpuint (models->status, ==, 200);
  g_assert_cmpstr (sy_test_json_string (models->json, "object"), ==, "list");
  data = json_node_get_array (sy_test_json_path (models->json, "data"));
  g_assert_cmpuint (json_array_get_length (data), >=, 40);
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      const char *id = sy_json_get_string (json_array_get_object_element (data, i), "id");
      saw_profile |= g_strcmp0 (id, "auto") == 0;
      saw_model |= g_strcmp0 (id, "openai/gpt-4.1-mini") == 0;
    }
  g_assert_true (saw_profile);
  g_assert_true (saw_model);

  g_assert_cmpuint (health->status, ==, 200);
  g_assert_cmpstr (sy_test_json_string (health->json, "status"), ==, "ok");

  /* One model, by its id, slashes plain or escaped as SDKs send them. */
  {
    static const char * const paths[] = { "/v1/models/openai/gpt-4.1-mini", "/v1/models/openai%2Fgpt-4.1-mini" };
    g_autoptr(SyTestResponse) missing = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr(SyTestResponse) one = sy_test_http (serve->port, "GET", paths[i], TOKEN, NULL, NULL, NULL);
        g_assert_cmpuint (one->status, ==, 200);
        g_assert_cmpstr (sy_test_json_string (one->json, "id"), ==, "openai/gpt-4.1-mini");
        g_assert_cmpstr (sy_test_json_string (one->json, "owned_by"), ==, "openai");
      }
    missing = sy_test_http (serve->port, "GET", "/v1/models/nope/none", TOKEN, NULL, NULL, NULL);
    g_assert_cmpuint (missing->status, ==, 404);
    g_assert_nonnull (sy_test_json_string (missing->json, "error.message"));
  }

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_routing (void)
{
  SyTestProc *serve = sy_test_serve_start (config_json, mock, serve_env);
  g_autoptr(SyTestResponse) bare = NULL;
  g_autoptr(SyTestResponse) profile = NULL;
  g_autoptr(SyTestResponse) unknown = NULL;
  g_autoptr(SyTestResponse) unknown_provider = NULL;
  g_autoptr(SyTestResponse) new_model = NULL;
  g_autoptr(SyTestResponse) no_key = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  /* A bare name goes to a provider that offers it and has a key. */
  bare = sy_test_chat (serve->port, TOKEN,
                       "{\"model\":\"gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (bare->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (bare->headers, "x-switchyard-provider"), ==, "openai");

  /* The profile's first provider refuses connections: fall back to the second. */
  profile = sy_test_chat (serve->port, TOKEN,
                          "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (profile->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (profile->headers, "x-switchyard-provider"), ==, "openai");
  g_assert_cmpstr (soup_message_headers_get_one (profile->headers, "x-switchyard-attempts"), ==, "4");

  /* OpenRouter's `models` list: the fallbacks of this one request. */
  {
    g_autoptr(SyTestResponse) listed = sy_test_chat (serve->port, TOKEN,
      "{\"model\":\"down/some-model\",\"models\":[\"down/some-model\",\"openai/gpt-4.1-mini\"],"
      "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    g_autoptr(SyTestResponse) bad_list = sy_test_chat (serve->port, TOKEN,
      "{\"model\":\"openai/gpt-4.1-mini\",\"models\":[\"nope/x\"],"
      "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    g_autoptr(JsonNode) upstream = sy_test_mock_requests (mock);
    guint count = (guint) sy_test_json_double (upstream, "count");
    g_autofree char *last = g_strdup_printf ("requests.%u.body.models", count - 1);

    g_assert_cmpuint (listed->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (listed->headers, "x-switchyard-provider"), ==, "openai");
    /* down (connection refused) tried 3 times, then openai; down listed twice
     * is tried once. */
    g_assert_cmpstr (soup_message_headers_get_one (listed->headers, "x-switchyard-attempts"), ==, "4");
    /* The list is the router's, not the provider's. */
    g_assert_null (sy_test_json_path (upstream, last));
    g_assert_cmpuint (bad_list->status, ==, 404);
  }

  /* More than 8 fallbacks in one request is refused. */
  {
    g_autoptr(SyTestResponse) too_many = sy_test_chat (serve->port, TOKEN,
      "{\"model\":\"openai/gpt-4.1-mini\",\"models\":[\"a/1\",\"a/2\",\"a/3\",\"a/4\",\"a/5\","
      "\"a/6\",\"a/7\",\"a/8\",\"a/9\"],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    g_assert_cmpuint (too_many->status, ==, 400);
  }

  /* OpenRouter's extensions survive a failed attempt elsewhere and reach it. */
  {
    g_autoptr(SyTestResponse) via = NULL;
    g_autoptr(JsonNode) upstream = NULL;
    guint count;
    g_autofree char *last = NULL;
    g_autofree char *before = NULL;

    sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":503,\"count\":3}]");
    via = sy_test_chat (serve->port, TOKEN,
      "{\"model\":\"to-openrouter\",\"provider\":{\"data_collection\":\"deny\"},"
      "\"usage\":{\"include\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    g_assert_cmpuint (via->status, ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (via->headers, "x-switchyard-provider"), ==, "openrouter");
    upstream = sy_test_mock_requests (mock);
    count = (guint) sy_test_json_double (upstream, "count");
    last = g_strdup_printf ("requests.%u.body", count - 1);
    before = g_strdup_printf ("requests.%u.body", count - 2);
    g_assert_cmpstr (sy_test_json_string (sy_test_json_path (upstream, last), "provider.data_collection"), ==, "deny");
    g_assert_nonnull (sy_test_json_path (sy_test_json_path (upstream, last), "usage"));
    g_assert_cmpstr (sy_test_json_string (sy_test_json_path (upstream, last), "model"), ==, "openai/gpt-4.1-mini");
    g_assert_null (sy_test_json_path (sy_test_json_path (upstream, before), "provider"));
  }

  /* OpenRouter's request extensions reach only OpenRouter, or OpenAI would 400. */
  {
    g_autoptr(SyTestResponse) extended = sy_test_chat (serve->port, TOKEN,
      "{\"model\":\"openai/gpt-4.1-mini\",\"transforms\":[\"middle-out\"],\"route\":\"fallback\","
      "\"provider\":{\"order\":[\"OpenAI\"]},\"usage\":{\"include\":true},\"temperature\":0.5,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    g_autoptr(JsonNode) upstream = sy_test_mock_requests (mock);
    guint count = (guint) sy_test_json_double (upstream, "count");
    g_autofree char *body = g_strdup_printf ("requests.%u.body", count - 1);
    JsonNode *sent = sy_test_json_path (upstream, body);

    g_assert_cmpuint (extended->status, ==, 200);
    g_assert_null (sy_test_json_path (sent, "transforms"));
    g_assert_null (sy_test_json_path (sent, "route"));
    g_assert_null (sy_test_json_path (sent, "provider"));
    g_assert_null (sy_test_json_path (sent, "usage"));
    g_assert_cmpfloat (sy_test_json_double (sent, "temperature"), ==, 0.5);
  }

  unknown = sy_test_chat (serve->port, TOKEN,
                          "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (unknown->status, ==, 404);
  g_assert_nonnull (strstr (sy_test_json_string (unknown->json, "error.message"), "/v1/models"));

  unknown_provider = sy_test_chat (serve->port, TOKEN,
                                   "{\"model\":\"nope/xyz\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (unknown_provider->status, ==, 404);

  /* A model the catalog does not know is still forwarded; its cost is unknown. */
  new_model = sy_test_chat (serve->port, TOKEN,
                            "{\"model\":\"openai/gpt-9-preview\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (new_model->status, ==, 200);
  g_assert_true (JSON_NODE_HOLDS_NULL (sy_test_json_path (new_model->json, "usage.cost")));

  /* groq has no key anywhere: 401 naming it and how to add one. */
  no_key = sy_test_chat (serve->port, TOKEN,
                         "{\"model\":\"groq/llama-3.3-70b-versatile\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (no_key->status, ==, 401);
  g_assert_nonnull (strstr (sy_test_json_string (no_key->json, "error.message"), "groq"));
  g_assert_nonnull (strstr (sy_test_json_string (no_key->json, "error.message"), "GROQ_API_KEY"));

  sy_test_proc_stop (serve);
  rows = sy_test_history (serve->db_path);
  g_assert_cmpuint (rows->len, ==, 11);
  {
    SyHistoryRecord *row = find_row (rows, soup_message_headers_get_one (profile->headers, "x-switchyard-request-id"));
    g_assert_cmpstr (row->profile, ==, "auto");
    g_assert_nonnull (strstr (row->attempts_json, "\"down\""));
    row = find_row (rows, soup_message_headers_get_one (new_model->headers, "x-switchyard-request-id"));
    g_assert_false (row->cost_known);
    g_assert_cmpint (row->completion_tokens, ==, 5);
  }
  sy_test_proc_free (serve);
}

static void
test_config (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *db_path = g_build_filename (dir, "history.db", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) root = NULL;
  GStatBuf st;
  int status = 0;
  const char *bin = g_getenv ("SWITCHYARD_BIN");

  /* A bad flag and a broken config exit 2 with one clear line. */
  {
    const char *argv[] = { bin, "serve", "--no-such-flag", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
    g_assert_nonnull (strstr (err, "no-such-flag"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *argv[] = { bin, "serve", "--config", config_path, "--db", db_path, NULL };
    g_assert_true (g_file_set_contents (config_path, "{\"server\": [1,", -1, NULL));
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
    g_assert_nonnull (strstr (err, config_path));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* First start: a token is generated and kept in a 0600 config, unknown fields kept. */
  {
    SyTestProc *serve;
    g_autofree char *json = NULL;

    json = g_strdup ("{}");
    serve = sy_test_serve_start (json, NULL, NULL);
    sy_test_proc_stop (serve);
    g_assert_true (g_file_get_contents (serve->config_path, &contents, NULL, NULL));
    root = sy_json_parse (contents, strlen (contents), NULL);
    g_assert_true (g_str_has_prefix (sy_test_json_string (root, "server.token"), "sy-"));
    g_assert_cmpuint (strlen (sy_test_json_string (root, "server.token")), >=, 40);
    g_assert_cmpint (g_stat (serve->config_path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    sy_test_proc_free (serve);
    g_clear_pointer (&contents, g_free);
    g_clear_pointer (&root, json_node_unref);
  }
  {
    SyTestProc *serve = sy_test_serve_start ("{\"mine\":{\"x\":1},\"server\":{\"port\":0}}", NULL, NULL);
    const char * const env[] = { "SWITCHYARD_TOKEN=sy-from-env", NULL };
    SyTestProc *serve_env_token;
    g_autoptr(SyTestResponse) with_env = NULL;

    sy_test_proc_stop (serve);
    g_assert_true (g_file_get_contents (serve->config_path, &contents, NULL, NULL));
    root = sy_json_parse (contents, strlen (contents), NULL);
    g_assert_cmpfloat (sy_test_json_double (root, "mine.x"), ==, 1);
    g_assert_nonnull (sy_test_json_string (root, "server.token"));
    sy_test_proc_free (serve);

    /* SWITCHYARD_TOKEN overrides the config's token. */
    serve_env_token = sy_test_serve_start ("{\"server\":{\"port\":0,\"token\":\"sy-config\"}}", NULL, env);
    with_env = sy_test_http (serve_env_token->port, "GET", "/v1/models", "sy-from-env", NULL, NULL, NULL);
    g_assert_cmpuint (with_env->status, ==, 200);
    g_clear_pointer (&with_env, sy_test_response_free);
    with_env = sy_test_http (serve_env_token->port, "GET", "/v1/models", "sy-config", NULL, NULL, NULL);
    g_assert_cmpuint (with_env->status, ==, 401);
    sy_test_proc_stop (serve_env_token);
    sy_test_proc_free (serve_env_token);
  }

  sy_test_rmdir (dir);
}

static void
test_crash_and_signals (void)
{
  SyTestProc *serve = sy_test_serve_start (config_json, mock, serve_env);
  g_autoptr(GPtrArray) rows = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count = 0;
  const guint n = 60;

  /* Rows older than one batch window (50 ms) are committed; the last ones may be
   * the batch in flight. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, PLAIN);
      g_assert_cmpuint (response->status, ==, 200);
      if (i == n / 2)
        g_usleep (300 * 1000);
    }

  /* kill -9 loses at most the batch in flight and never corrupts the file. */
  sy_test_proc_kill (serve);
  g_assert_cmpint (sqlite3_open_v2 (serve->db_path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_assert_true (sy_history_read_count (serve->db_path, &count, NULL));
  g_assert_cmpint (count, >=, n / 2 + 1);
  g_assert_cmpint (count, <=, n);

  /* The same files serve again; SIGINT stops cleanly with every row written. */
  {
    const char *bin = g_getenv ("SWITCHYARD_BIN");
    g_autoptr(GSubprocess) process = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GDataInputStream) out = NULL;
    g_autofree char *line = NULL;
    guint port;

    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    const char * const passed[] = { "PATH", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "G_SLICE" };

    /* No key in the environment, no session bus: nothing to authenticate with. */
    g_subprocess_launcher_set_environ (launcher, NULL);
    for (guint i = 0; i < G_N_ELEMENTS (passed); i++)
      if (g_getenv (passed[i]) != NULL)
        g_subprocess_launcher_setenv (launcher, passed[i], g_getenv (passed[i]), TRUE);
    g_subprocess_launcher_setenv (launcher, "HOME", serve->dir, TRUE);
    process = g_subprocess_launcher_spawn (launcher, &error, bin, "serve",
                                           "--config", serve->config_path, "--db", serve->db_path,
                                           "--port", "0", NULL);
    g_assert_no_error (error);
    out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
    line = g_data_input_stream_read_line (out, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
    port = (guint) g_ascii_strtoull (line + strlen ("listening on http://127.0.0.1:"), NULL, 10);
    for (guint i = 0; i < 5; i++)
      {
        g_autoptr(SyTestResponse) response = sy_test_chat (port, TOKEN, PLAIN);
        /* No OPENAI_API_KEY in this environment and no keyring: a clear 401. */
        g_assert_cmpuint (response->status, ==, 401);
      }
    g_subprocess_send_signal (process, SIGINT);
    g_assert_true (g_subprocess_wait (process, NULL, NULL));
    g_assert_true (g_subprocess_get_if_exited (process));
    g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  }
  rows = sy_test_history (serve->db_path);
  g_assert_cmpint (rows->len, ==, count + 5);
  g_assert_cmpint (((SyHistoryRecord *) g_ptr_array_index (rows, 0))->status, ==, 401);

  sy_test_proc_free (serve);
}

typedef struct {
  guint      port;
  GPtrArray *events;
} Parallel;

static gpointer
stream_in_thread (gpointer data)
{
  Parallel *job = data;

  job->events = sy_test_stream (job->port, TOKEN, STREAMED, NULL, NULL, NULL);
  return NULL;
}

static void
test_parallel_streams (void)
{
  SyTestProc *serve = sy_test_serve_start (config_json, slow_mock, serve_env);
  Parallel jobs[16];
  GThread *threads[G_N_ELEMENTS (jobs)];
  gint64 t0 = g_get_monotonic_time ();
  double elapsed;

  /* Each stream takes about 0.8 s upstream (8 events, 100 ms apart). Sixteen at
   * once to the same provider must run side by side, not a few at a time as
   * libsoup's default connection limits would have it. */
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i].port = serve->port;
      jobs[i].events = NULL;
      threads[i] = g_thread_new ("stream", stream_in_thread, &jobs[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_autofree char *text = NULL;

      g_thread_join (threads[i]);
      g_assert_cmpuint (jobs[i].events->len, ==, 9);
      text = stream_text (jobs[i].events);
      g_assert_cmpstr (text, ==, "Hello from mock. w1 w2");
      g_ptr_array_unref (jobs[i].events);
    }
  elapsed = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("16 parallel streams: %.2f s", elapsed);
  /* queued two at a time this would take over 7 s */
  g_assert_cmpfloat (elapsed, <, 6.0);

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_long_profile_without_keys (void)
{
  g_autoptr(GString) config = g_string_new ("{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
                                            "\"profiles\":[{\"name\":\"long\",\"models\":[");
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(SyTestResponse) after = NULL;
  SyTestProc *serve;

  /* Candidates that cannot be tried are passed over in a loop: thousands of them
   * cost neither the stack nor the other requests. */
  for (guint i = 0; i < 5000; i++)
    g_string_append_printf (config, "%s\"groq/model-%u\"", i > 0 ? "," : "", i);
  g_string_append (config, "]}]}");
  serve = sy_test_serve_start (config->str, NULL, NULL);

  response = sy_test_chat (serve->port, TOKEN,
                           "{\"model\":\"long\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpuint (response->status, ==, 401);
  g_assert_nonnull (strstr (sy_test_json_string (response->json, "error.message"), "GROQ_API_KEY"));
  after = sy_test_http (serve->port, "GET", "/health", NULL, NULL, NULL, NULL);
  g_assert_cmpuint (after->status, ==, 200);

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_bodies_off (void)
{
  SyTestProc *serve = sy_test_serve_start (
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},\"history\":{\"store_bodies\":false},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"}]}", mock, serve_env);
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, PLAIN);
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;

  g_assert_cmpuint (response->status, ==, 200);
  sy_test_proc_stop (serve);
  rows = sy_test_history (serve->db_path);
  g_assert_cmpuint (rows->len, ==, 1);
  row = g_ptr_array_index (rows, 0);
  /* Metadata only. */
  g_assert_cmpint (row->completion_tokens, ==, 5);
  g_assert_true (row->cost_known);
  g_assert_null (row->request_body);
  g_assert_null (row->response_body);
  sy_test_proc_free (serve);
}

static void
test_newer_history (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *db_path = g_build_filename (dir, "history.db", NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *log = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  sqlite3 *db = NULL;
  guint port;

  /* A history written by a later Switchyard (schema 99) is left alone: serve
   * still routes, says why nothing is recorded, and the file keeps its rows. */
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA application_id = 1398362692; PRAGMA user_version = 99;"
                                     "CREATE TABLE future (x); INSERT INTO future VALUES (1);",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  config = g_strdup_printf ("{\"server\":{\"token\":\"" TOKEN "\"},"
                            "\"providers\":[{\"id\":\"openai\",\"base_url\":\"http://127.0.0.1:%u/v1\"}]}",
                            mock->port);
  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
  g_subprocess_launcher_setenv (launcher, "OPENAI_API_KEY", KEY, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("SWITCHYARD_BIN"), "serve",
                                         "--config", config_path, "--db", db_path, "--port", "0", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  port = (guint) g_ascii_strtoull (line + strlen ("listening on http://127.0.0.1:"), NULL, 10);
  {
    g_autoptr(SyTestResponse) response = sy_test_chat (port, TOKEN, PLAIN);
    g_assert_cmpuint (response->status, ==, 200);
  }
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, NULL));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  {
    GInputStream *err = g_subprocess_get_stderr_pipe (process);
    g_autoptr(GDataInputStream) data = g_data_input_stream_new (err);
    log = g_data_input_stream_read_upto (data, "", 0, NULL, NULL, NULL);
  }
  g_assert_nonnull (log);
  g_assert_nonnull (strstr (log, "newer Switchyard"));
  g_assert_nonnull (strstr (log, "will not be recorded"));

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  {
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM future", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 1);
    sqlite3_finalize (stmt);
  }
  sqlite3_close (db);
  sy_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  const char * const slow[] = { "--chunk-delay-ms", "100", NULL };
  int ret;

  g_test_init (&argc, &argv, NULL);

  mock = sy_test_mock_start (NULL);
  slow_mock = sy_test_mock_start (slow);

  g_test_add_func ("/server/plain", test_plain);
  g_test_add_func ("/server/stream", test_stream);
  g_test_add_func ("/server/models-and-health", test_models_and_health);
  g_test_add_func ("/server/routing", test_routing);
  g_test_add_func ("/server/config", test_config);
  g_test_add_func ("/server/crash-and-signals", test_crash_and_signals);
  g_test_add_func ("/server/newer-history", test_newer_history);
  g_test_add_func ("/server/bodies-off", test_bodies_off);
  g_test_add_func ("/server/long-profile-without-keys", test_long_profile_without_keys);
  g_test_add_func ("/server/parallel-streams", test_parallel_streams);

  ret = g_test_run ();

  sy_test_proc_stop (mock);
  sy_test_proc_stop (slow_mock);
  sy_test_proc_free (mock);
  sy_test_proc_free (slow_mock);
  return ret;
}
