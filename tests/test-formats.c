/* test-formats.c — what reaches the provider: passthrough keeps everything the
 * client sent but the model, translation carries what the provider's format can
 * hold, and the OpenAI-compatible providers' quirks are applied and noted.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-history.h"
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-formats-token"

static SyTestProc *mock;
static SyTestProc *serve;

static const char * const anthropic_headers[] = { "anthropic-version: 2023-06-01", NULL };

/* Every member of @sent reached the upstream with the same value, but "model". */
static void
assert_same_but_model (JsonNode   *sent,
                       JsonNode   *received,
                       const char *model)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  g_assert_cmpstr (sy_test_json_string (received, "model"), ==, model);
  json_object_iter_init (&iter, json_node_get_object (sent));
  while (json_object_iter_next (&iter, &name, &value))
    {
      JsonNode *other = json_object_get_member (json_node_get_object (received), name);

      if (g_str_equal (name, "model"))
        continue;
      g_assert_nonnull (other);
      g_assert_true (json_node_equal (value, other));
    }
  g_assert_cmpuint (json_object_get_size (json_node_get_object (received)), ==,
                    json_object_get_size (json_node_get_object (sent)));
}

/* Anthropic to Anthropic: fields Switchyard does not know (cache_control,
 * top_k, metadata, a beta's container) travel untouched. */
static void
test_anthropic_passthrough (void)
{
  const char *body =
    "{\"model\":\"anthropic/claude-sonnet-4-5\",\"max_tokens\":300,\"top_k\":5,"
    "\"metadata\":{\"user_id\":\"u-42\"},\"container\":\"cntr_1\","
    "\"system\":[{\"type\":\"text\",\"text\":\"Be brief.\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\","
    "\"cache_control\":{\"type\":\"ephemeral\",\"ttl\":\"1h\"}}]}]}";
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(JsonNode) sent = sy_json_parse (body, strlen (body), NULL);
  g_autoptr(JsonNode) received = NULL;

  sy_test_mock_reset (mock);
  response = sy_test_http (serve->port, "POST", "/v1/messages", TOKEN, "application/json", body,
                           anthropic_headers);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (sy_test_json_string (response->json, "type"), ==, "message");
  received = sy_test_mock_last_body (mock);
  assert_same_but_model (sent, received, "claude-sonnet-4-5");
}

/* Chat Completions to an OpenAI-compatible provider: the same, with only the
 * output limit renamed for OpenAI's reasoning models. */
static void
test_chat_passthrough (void)
{
  const char *body =
    "{\"model\":\"openai/gpt-4.1-mini\",\"logit_bias\":{\"50256\":-100},\"seed\":7,\"user\":\"u-42\","
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"name\":\"ann\"}],\"prediction\":{\"type\":\"content\",\"content\":\"x\"}}";
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, body);
  g_autoptr(JsonNode) sent = sy_json_parse (body, strlen (body), NULL);
  g_autoptr(JsonNode) received = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  received = sy_test_mock_last_body (mock);
  assert_same_but_model (sent, received, "gpt-4.1-mini");
}

/* Mistral refuses fields it does not know: they are dropped, seed is renamed,
 * and history says what was changed. */
static void
test_mistral_quirks (void)
{
  const char *body =
    "{\"model\":\"mistral/mistral-small-latest\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
    "\"seed\":7,\"user\":\"u-42\",\"max_completion_tokens\":99,\"temperature\":0.2,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(JsonNode) received = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;
  guint status = 0;

  sy_test_mock_reset (mock);
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  received = sy_test_mock_last_body (mock);
  g_assert_null (sy_test_json_path (received, "stream_options"));
  g_assert_null (sy_test_json_path (received, "user"));
  g_assert_null (sy_test_json_path (received, "seed"));
  g_assert_null (sy_test_json_path (received, "max_completion_tokens"));
  g_assert_cmpfloat (sy_test_json_double (received, "random_seed"), ==, 7);
  g_assert_cmpfloat (sy_test_json_double (received, "max_tokens"), ==, 99);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (received, "temperature"), 0.2, 1e-9);
  g_assert_true (sy_test_json_path (received, "stream") != NULL &&
                 json_node_get_boolean (sy_test_json_path (received, "stream")));

  /* History is written in batches: wait for the row. */
  row = NULL;
  for (guint tries = 0; row == NULL && tries < 100; tries++)
    {
      g_clear_pointer (&rows, g_ptr_array_unref);
      rows = sy_test_history (serve->db_path);
      for (guint i = 0; i < rows->len && row == NULL; i++)
        if (g_strcmp0 (((SyHistoryRecord *) g_ptr_array_index (rows, i))->provider, "mistral") == 0)
          row = g_ptr_array_index (rows, i);
      if (row == NULL)
        g_usleep (50 * 1000);
    }
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (row->attempts_json, "dropped \\\"user\\\""));
  g_assert_nonnull (strstr (row->attempts_json, "dropped \\\"stream_options\\\""));
  g_assert_nonnull (strstr (row->attempts_json, "random_seed"));
  g_assert_nonnull (strstr (row->attempts_json, "sent the output limit as \\\"max_tokens\\\""));
}

/* Sends @body as a Chat Completions client; what reached the upstream. */
static JsonNode *
chat_upstream_body (const char *body)
{
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_mock_reset (mock);
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  return sy_test_mock_last_body (mock);
}

/* OpenAI's own API gets max_completion_tokens, noted in history. */
static void
test_openai_output_limit (void)
{
  g_autoptr(JsonNode) received = chat_upstream_body (
    "{\"model\":\"openai/gpt-4.1-mini\",\"max_tokens\":55,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

  g_assert_null (sy_test_json_path (received, "max_tokens"));
  g_assert_cmpfloat (sy_test_json_double (received, "max_completion_tokens"), ==, 55);
}

/* Claude Code asks for effort and 32000 output tokens whatever the model: a model
 * that does not reason gets no reasoning_effort (OpenAI refuses it), and the
 * limit is lowered to the model's (gpt-4.1-mini: 32768). */
static void
test_fit_to_model (void)
{
  g_autoptr(JsonNode) received = chat_upstream_body (
    "{\"model\":\"openai/gpt-4.1-mini\",\"reasoning_effort\":\"high\",\"max_tokens\":100000,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_autoptr(JsonNode) reasoning = NULL;

  g_assert_null (sy_test_json_path (received, "reasoning_effort"));
  g_assert_cmpfloat (sy_test_json_double (received, "max_completion_tokens"), ==, 32768);

  /* A model that reasons keeps it. */
  reasoning = chat_upstream_body (
    "{\"model\":\"openai/o4-mini\",\"reasoning_effort\":\"high\","
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_assert_cmpstr (sy_test_json_string (reasoning, "reasoning_effort"), ==, "high");
}

/* A request Anthropic cannot take (n > 1) skips that candidate with a 400 that
 * says why, in the caller's format. */
static void
test_untranslatable (void)
{
  const char *body = "{\"model\":\"anthropic/claude-sonnet-4-5\",\"n\":2,"
                     "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, body);

  g_assert_cmpuint (response->status, ==, 400);
  g_assert_nonnull (strstr (sy_test_json_string (response->json, "error.message"), "n > 1"));
}

/* Anthropic's required max_tokens comes from the catalog when the caller (here
 * a Chat Completions client) gave none. */
static void
test_anthropic_max_tokens (void)
{
  g_autoptr(JsonNode) received = chat_upstream_body (
    "{\"model\":\"anthropic/claude-3-5-haiku-latest\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

  g_assert_cmpfloat (sy_test_json_double (received, "max_tokens"), ==, 8192);
}

int
main (int   argc,
      char *argv[])
{
  static const char * const env[] = {
    "OPENAI_API_KEY=sk-formats-openai-0000", "ANTHROPIC_API_KEY=sk-ant-formats-0000",
    "MISTRAL_API_KEY=formats-mistral-0000", NULL,
  };
  const char *config =
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\",\"max_retries\":0},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"anthropic\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"mistral\",\"base_url\":\"@MOCK@\"}]}";
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/formats/passthrough/anthropic", test_anthropic_passthrough);
  g_test_add_func ("/formats/passthrough/chat", test_chat_passthrough);
  g_test_add_func ("/formats/quirks/mistral", test_mistral_quirks);
  g_test_add_func ("/formats/quirks/openai-output-limit", test_openai_output_limit);
  g_test_add_func ("/formats/translate/untranslatable", test_untranslatable);
  g_test_add_func ("/formats/translate/fit-to-model", test_fit_to_model);
  g_test_add_func ("/formats/translate/anthropic-max-tokens", test_anthropic_max_tokens);

  mock = sy_test_mock_start (NULL);
  serve = sy_test_serve_start (config, mock, env);
  status = g_test_run ();
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
