/* test-rescue.c — a stream cut after its text reached the client goes on on the
 * next candidate, when the profile allows it, as one answer in every client format.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-history.h"
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-test-token"
#define CONTINUE_INSTRUCTION "Continue exactly where your previous answer stopped, without repeating anything."
/* The mock answers "Hello", " from", " mock.", " w1", " w2"; a cut after 4 events
 * lets the role delta and the first three words through. */
#define CUT "{\"kind\":\"cut\",\"after_chunks\":4}"
#define FIRST_PART "Hello from mock."
#define WHOLE_ANSWER "Hello from mock. w1 w2"

static SyTestProc *mock;

static const char * const serve_env[] = {
  "OPENAI_API_KEY=sk-test-openai-key", "GROQ_API_KEY=gsk-test-groq-key", NULL
};
static const char * const anthropic_headers[] = { "anthropic-version: 2023-06-01", NULL };

static SyTestProc *
start_serve (void)
{
  static const char config[] =
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"groq\",\"base_url\":\"@MOCK@\"}],"
    " \"profiles\":[{\"name\":\"resilient\",\"rescue\":true,"
    "                \"models\":[\"openai/gpt-4.1-mini\",\"groq/llama-3.3-70b-versatile\"]},"
    "              {\"name\":\"plain\","
    "                \"models\":[\"openai/gpt-4.1-mini\",\"groq/llama-3.3-70b-versatile\"]}]}";

  sy_test_mock_reset (mock);
  return sy_test_serve_start (config, mock, serve_env);
}

static char *
chat_body (const char *model)
{
  return g_strdup_printf ("{\"model\":\"%s\",\"stream\":true,"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}", model);
}

static guint
count_equal (GPtrArray  *events,
             const char *line)
{
  guint n = 0;

  for (guint i = 0; i < events->len; i++)
    n += g_str_equal (g_ptr_array_index (events, i), line);
  return n;
}

/* The text of a Chat Completions stream. */
static char *
chat_text (GPtrArray *events)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      const char *data = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) node = NULL;
      const char *content;

      if (data[0] != '{')
        continue;
      node = sy_test_json_parse (data);
      content = sy_test_json_string (node, "choices.0.delta.content");
      if (content != NULL)
        g_string_append (text, content);
    }
  return g_string_free (text, FALSE);
}

/* The "data:" payloads of the events named @name, parsed, in order. */
static GPtrArray *
named_events (GPtrArray  *events,
              const char *name)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_autofree char *line = g_strconcat ("event: ", name, NULL);

  for (guint i = 0; i + 1 < events->len; i++)
    if (g_str_equal (g_ptr_array_index (events, i), line))
      g_ptr_array_add (found, sy_test_json_parse (g_ptr_array_index (events, i + 1)));
  return found;
}

/* The mock's second request continued the first: the same conversation, the part
 * already sent as an assistant message, then the instruction. */
static void
assert_continuation_request (const char *model)
{
  g_autoptr(JsonNode) requests = sy_test_mock_requests (mock);

  g_assert_cmpfloat (sy_test_json_double (requests, "count"), ==, 2);
  g_assert_cmpstr (sy_test_json_string (requests, "requests.0.body.model"), ==, "gpt-4.1-mini");
  g_assert_cmpuint (sy_test_json_length (requests, "requests.0.body.messages"), ==, 1);

  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.path"), ==, "/v1/chat/completions");
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.model"), ==, model);
  g_assert_true (json_node_get_boolean (sy_test_json_path (requests, "requests.1.body.stream")));
  g_assert_cmpuint (sy_test_json_length (requests, "requests.1.body.messages"), ==, 3);
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.messages.0.role"), ==, "user");
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.messages.0.content"), ==, "Say hello");
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.messages.1.role"), ==, "assistant");
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.messages.1.content"), ==, FIRST_PART);
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.messages.2.role"), ==, "user");
  g_assert_cmpstr (sy_test_json_string (requests, "requests.1.body.messages.2.content"), ==,
                   CONTINUE_INSTRUCTION);
}

/* History: status 200 from groq, the broken attempt marked rescued with what it
 * had sent, every later one marked as a continuation. */
static JsonNode *
assert_seam (SyHistoryRecord *row,
             guint            n_attempts)
{
  JsonNode *attempts = sy_test_json_parse (row->attempts_json);
  g_autofree char *last_status = g_strdup_printf ("%u.status", n_attempts - 1);

  g_assert_cmpint (row->status, ==, 200);
  g_assert_null (row->error);
  g_assert_cmpstr (row->profile, ==, "resilient");
  g_assert_cmpstr (row->provider, ==, "groq");
  g_assert_cmpstr (row->model, ==, "llama-3.3-70b-versatile");

  g_assert_cmpuint (sy_test_json_length (attempts, ""), ==, n_attempts);
  g_assert_cmpstr (sy_test_json_string (attempts, "0.provider"), ==, "openai");
  g_assert_true (json_node_get_boolean (sy_test_json_path (attempts, "0.rescued")));
  g_assert_cmpint (sy_test_json_int (attempts, "0.chars_sent"), ==, strlen (FIRST_PART));
  g_assert_null (sy_test_json_path (attempts, "0.continuation"));
  for (guint i = 1; i < n_attempts; i++)
    {
      g_autofree char *path = g_strdup_printf ("%u.continuation", i);
      g_autofree char *provider = g_strdup_printf ("%u.provider", i);

      g_assert_true (json_node_get_boolean (sy_test_json_path (attempts, path)));
      g_assert_cmpstr (sy_test_json_string (attempts, provider), ==, "groq");
    }
  g_assert_cmpint (sy_test_json_int (attempts, last_status), ==, 200);

  /* The broken part's estimate (16 characters, about 4 a token) plus the
   * continuation's 5 tokens; both models are priced. */
  g_assert_cmpint (row->completion_tokens, ==, (strlen (FIRST_PART) + 3) / 4 + 5);
  g_assert_cmpint (row->prompt_tokens, >, 0);
  g_assert_true (row->cost_known);
  g_assert_cmpfloat (row->cost, >, 0);
  return attempts;
}

static void
test_chat_rescued (void)
{
  SyTestProc *serve = start_serve ();
  g_autofree char *body = chat_body ("resilient");
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) usage_chunk = NULL;
  g_autoptr(JsonNode) attempts = NULL;
  SyHistoryRecord *row;
  guint status = 0;

  sy_test_mock_faults (mock, "[" CUT "]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);

  /* One answer: the first part, then the continuation, one end, no error. */
  text = chat_text (events);
  g_assert_cmpstr (text, ==, FIRST_PART WHOLE_ANSWER);
  g_assert_cmpuint (count_equal (events, "[DONE]"), ==, 1);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
  g_assert_cmpuint (sy_test_count_prefix (events, "{\"error\""), ==, 0);
  for (guint i = 0; i < events->len; i++)
    g_assert_null (strstr (g_ptr_array_index (events, i), "\"error\""));

  /* The usage chunk counts both parts and names who finished the answer. */
  usage_chunk = sy_test_json_parse (g_ptr_array_index (events, events->len - 2));
  g_assert_cmpint (sy_test_json_int (usage_chunk, "usage.completion_tokens"), ==,
                   (strlen (FIRST_PART) + 3) / 4 + 5);
  g_assert_cmpstr (sy_test_json_string (usage_chunk, "provider"), ==, "groq");
  g_assert_cmpfloat (sy_test_json_double (usage_chunk, "usage.cost"), >, 0);

  assert_continuation_request ("llama-3.3-70b-versatile");

  row = sy_test_only_row (serve, &rows);
  attempts = assert_seam (row, 2);
  g_assert_cmpint (row->prompt_tokens, ==, sy_test_json_int (usage_chunk, "usage.prompt_tokens"));
  g_assert_cmpfloat_with_epsilon (row->cost, sy_test_json_double (usage_chunk, "usage.cost"), 1e-12);
  sy_test_proc_free (serve);
}

static void
test_without_rescue (void)
{
  SyTestProc *serve = start_serve ();
  g_autofree char *body = chat_body ("plain");
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) requests = NULL;
  g_autoptr(JsonNode) last = NULL;
  SyHistoryRecord *row;
  guint status = 0;

  /* As before: the part sent, an in-stream error, the end. */
  sy_test_mock_faults (mock, "[" CUT "]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (events->len, ==, 5);
  g_assert_cmpuint (count_equal (events, "[DONE]"), ==, 0);
  last = sy_test_json_parse (g_ptr_array_index (events, events->len - 1));
  g_assert_nonnull (strstr (sy_test_json_string (last, "error.message"), "openai"));

  requests = sy_test_mock_requests (mock);
  g_assert_cmpfloat (sy_test_json_double (requests, "count"), ==, 1);

  row = sy_test_only_row (serve, &rows);
  g_assert_cmpint (row->status, ==, 502);
  g_assert_cmpstr (row->provider, ==, "openai");
  g_assert_null (strstr (row->attempts_json, "rescued"));
  g_assert_cmpint (row->completion_tokens, >, 0);
  sy_test_proc_free (serve);
}

static void
test_anthropic_client_rescued (void)
{
  SyTestProc *serve = start_serve ();
  static const char body[] =
    "{\"model\":\"resilient\",\"max_tokens\":256,\"stream\":true,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) deltas = NULL;
  g_autoptr(GPtrArray) message_deltas = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(JsonNode) attempts = NULL;
  guint status = 0;

  /* The Anthropic client is served by an OpenAI-format upstream, translated: the
   * continuation goes on through the same encoder. */
  sy_test_mock_faults (mock, "[" CUT "]");
  events = sy_test_stream_at (serve->port, "/v1/messages", TOKEN, body, anthropic_headers,
                              &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (count_equal (events, "event: message_start"), ==, 1);
  g_assert_cmpuint (count_equal (events, "event: message_stop"), ==, 1);
  g_assert_cmpuint (count_equal (events, "event: content_block_start"), ==, 1);
  g_assert_cmpuint (count_equal (events, "event: error"), ==, 0);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 2), ==, "event: message_stop");

  deltas = named_events (events, "content_block_delta");
  for (guint i = 0; i < deltas->len; i++)
    g_string_append (text, sy_test_json_string (g_ptr_array_index (deltas, i), "delta.text"));
  g_assert_cmpstr (text->str, ==, FIRST_PART WHOLE_ANSWER);
  message_deltas = named_events (events, "message_delta");
  g_assert_cmpuint (message_deltas->len, ==, 1);
  g_assert_cmpint (sy_test_json_int (g_ptr_array_index (message_deltas, 0), "usage.output_tokens"), ==,
                   (strlen (FIRST_PART) + 3) / 4 + 5);

  assert_continuation_request ("llama-3.3-70b-versatile");
  attempts = assert_seam (sy_test_only_row (serve, &rows), 2);
  sy_test_proc_free (serve);
}

static void
test_responses_client_rescued (void)
{
  SyTestProc *serve = start_serve ();
  static const char body[] = "{\"model\":\"resilient\",\"stream\":true,\"input\":\"Say hello\"}";
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) deltas = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(JsonNode) attempts = NULL;
  guint status = 0;

  sy_test_mock_faults (mock, "[" CUT "]");
  events = sy_test_stream_at (serve->port, "/v1/responses", TOKEN, body, NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (count_equal (events, "event: response.created"), ==, 1);
  g_assert_cmpuint (count_equal (events, "event: response.completed"), ==, 1);
  g_assert_cmpuint (count_equal (events, "event: response.failed"), ==, 0);

  deltas = named_events (events, "response.output_text.delta");
  for (guint i = 0; i < deltas->len; i++)
    g_string_append (text, sy_test_json_string (g_ptr_array_index (deltas, i), "delta"));
  g_assert_cmpstr (text->str, ==, FIRST_PART WHOLE_ANSWER);

  attempts = assert_seam (sy_test_only_row (serve, &rows), 2);
  sy_test_proc_free (serve);
}

static void
test_continuation_retried_before_content (void)
{
  SyTestProc *serve = start_serve ();
  g_autofree char *body = chat_body ("resilient");
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) attempts = NULL;
  guint status = 0;

  /* The continuation's first try fails before it sends anything: it is retried
   * like any attempt, and the client still sees one answer. */
  sy_test_mock_faults (mock, "[" CUT ",{\"kind\":\"status\",\"status\":503}]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  text = chat_text (events);
  g_assert_cmpstr (text, ==, FIRST_PART WHOLE_ANSWER);
  g_assert_cmpuint (count_equal (events, "[DONE]"), ==, 1);
  g_assert_cmpuint (sy_test_count_prefix (events, "{\"error\""), ==, 0);

  attempts = assert_seam (sy_test_only_row (serve, &rows), 3);
  g_assert_cmpint (sy_test_json_int (attempts, "1.status"), ==, 503);
  sy_test_proc_free (serve);
}

static void
test_continuation_broken_too (void)
{
  SyTestProc *serve = start_serve ();
  g_autofree char *body = chat_body ("resilient");
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) attempts = NULL;
  g_autoptr(JsonNode) last = NULL;
  SyHistoryRecord *row;
  guint status = 0;

  /* A rescue happens once: a continuation cut after its own text ends the stream
   * with the in-stream error, and history counts both parts. */
  sy_test_mock_faults (mock, "[" CUT "," CUT "]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  text = chat_text (events);
  g_assert_cmpstr (text, ==, FIRST_PART FIRST_PART);
  g_assert_cmpuint (count_equal (events, "[DONE]"), ==, 0);
  last = sy_test_json_parse (g_ptr_array_index (events, events->len - 1));
  g_assert_nonnull (strstr (sy_test_json_string (last, "error.message"), "groq"));

  row = sy_test_only_row (serve, &rows);
  g_assert_cmpint (row->status, ==, 502);
  g_assert_cmpstr (row->provider, ==, "groq");
  attempts = sy_test_json_parse (row->attempts_json);
  g_assert_cmpuint (sy_test_json_length (attempts, ""), ==, 2);
  g_assert_true (json_node_get_boolean (sy_test_json_path (attempts, "0.rescued")));
  g_assert_true (json_node_get_boolean (sy_test_json_path (attempts, "1.continuation")));
  g_assert_null (sy_test_json_path (attempts, "1.rescued"));
  g_assert_cmpint (row->completion_tokens, ==, 2 * ((strlen (FIRST_PART) + 3) / 4));
  sy_test_proc_free (serve);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  mock = sy_test_mock_start (NULL);

  g_test_add_func ("/rescue/chat", test_chat_rescued);
  g_test_add_func ("/rescue/not-allowed", test_without_rescue);
  g_test_add_func ("/rescue/anthropic-client", test_anthropic_client_rescued);
  g_test_add_func ("/rescue/responses-client", test_responses_client_rescued);
  g_test_add_func ("/rescue/continuation-retried", test_continuation_retried_before_content);
  g_test_add_func ("/rescue/continuation-broken-too", test_continuation_broken_too);

  ret = g_test_run ();

  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return ret;
}
