/* test-matrix.c — every client format against every upstream format, over real HTTP
 * through `switchyard serve` and the mock upstream: 3 surfaces × 3 upstreams ×
 * {plain, streamed, tool call round trip, image input, JSON schema, upstream error}.
 * Each case asserts what the client reads in its own format: the same text, the
 * same tool call, usage and a cost that matches the catalog's prices.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "sy-catalog.h"
#include "sy-cost.h"
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-matrix-token"
#define TEXT  "Hello from mock. w1 w2"   /* the mock's answer with --chunks 5 */
#define IMAGE "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
#define WEATHER_SCHEMA "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}"

typedef enum { SURFACE_CHAT, SURFACE_MESSAGES, SURFACE_RESPONSES, N_SURFACES } Surface;
typedef enum { UPSTREAM_OPENAI, UPSTREAM_ANTHROPIC, UPSTREAM_GEMINI, N_UPSTREAMS } Upstream;
typedef enum { CASE_PLAIN, CASE_STREAMED, CASE_TOOLS, CASE_IMAGE, CASE_SCHEMA, CASE_ERROR, N_CASES } Case;

static const char * const surface_names[] = { "chat", "messages", "responses" };
static const char * const surface_paths[] = { "/v1/chat/completions", "/v1/messages", "/v1/responses" };
static const char * const upstream_names[] = { "openai", "anthropic", "gemini" };
static const char * const upstream_models[] = {
  "openai/gpt-4.1-mini", "anthropic/claude-sonnet-4-5", "google/gemini-2.5-flash",
};
static const char * const upstream_providers[] = { "openai", "anthropic", "google" };
static const char * const case_names[] = { "plain", "streamed", "tools", "image", "schema", "error" };

static const char * const anthropic_headers[] = { "anthropic-version: 2023-06-01", NULL };

static SyTestProc *mock;
static SyTestProc *serve;
static SyCatalog *catalog;

typedef struct {
  Surface  surface;
  Upstream upstream;
  Case     kase;
} Cell;

/* What a client read, whatever its format. */
typedef struct {
  guint    status;
  char    *text;
  char    *tool_id;
  char    *tool_name;
  char    *tool_arguments;
  SyUsage  usage;
  gboolean have_usage;
  gboolean have_cost;
  double   cost;
  char    *error_message;
  char    *provider;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_free (answer->text);
  g_free (answer->tool_id);
  g_free (answer->tool_name);
  g_free (answer->tool_arguments);
  g_free (answer->error_message);
  g_free (answer->provider);
  memset (answer, 0, sizeof *answer);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

/* ------------------------------------------------------------ requests */

static char *
tools_json (Surface surface)
{
  switch (surface)
    {
    case SURFACE_CHAT:
      return g_strdup ("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                       "\"description\":\"The weather in a city\",\"parameters\":" WEATHER_SCHEMA "}}]");
    case SURFACE_MESSAGES:
      return g_strdup ("[{\"name\":\"get_weather\",\"description\":\"The weather in a city\","
                       "\"input_schema\":" WEATHER_SCHEMA "}]");
    case SURFACE_RESPONSES:
    case N_SURFACES:
    default:
      return g_strdup ("[{\"type\":\"function\",\"name\":\"get_weather\","
                       "\"description\":\"The weather in a city\",\"parameters\":" WEATHER_SCHEMA "}]");
    }
}

/* The first request of a case. */
static char *
build_request (Surface     surface,
               Case        kase,
               const char *model)
{
  gboolean stream = kase == CASE_STREAMED;
  const char *stream_member = stream ? ",\"stream\":true" : "";
  g_autofree char *tools = tools_json (surface);

  switch (surface)
    {
    case SURFACE_CHAT:
      switch (kase)
        {
        case CASE_TOOLS:
          return g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":"
                                  "\"call tool: the weather in Paris\"}],\"tools\":%s}", model, tools);
        case CASE_IMAGE:
          return g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":["
                                  "{\"type\":\"text\",\"text\":\"Describe this\"},"
                                  "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64," IMAGE "\"}}]}]}",
                                  model);
        case CASE_SCHEMA:
          return g_strdup_printf ("{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"Which city?\"}],"
                                  "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"weather\","
                                  "\"schema\":" WEATHER_SCHEMA "}}}", model);
        default:
          return g_strdup_printf ("{\"model\":\"%s\"%s,\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                                  "{\"role\":\"user\",\"content\":\"Say hello\"}]}", model, stream_member);
        }

    case SURFACE_MESSAGES:
      switch (kase)
        {
        case CASE_TOOLS:
          return g_strdup_printf ("{\"model\":\"%s\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\",\"content\":"
                                  "\"call tool: the weather in Paris\"}],\"tools\":%s}", model, tools);
        case CASE_IMAGE:
          return g_strdup_printf ("{\"model\":\"%s\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\",\"content\":["
                                  "{\"type\":\"text\",\"text\":\"Describe this\"},"
                                  "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\","
                                  "\"data\":\"" IMAGE "\"}}]}]}", model);
        case CASE_SCHEMA:
          return g_strdup_printf ("{\"model\":\"%s\",\"max_tokens\":256,\"messages\":[{\"role\":\"user\",\"content\":"
                                  "\"Which city?\"}],\"output_format\":{\"type\":\"json_schema\",\"schema\":"
                                  WEATHER_SCHEMA "}}", model);
        default:
          return g_strdup_printf ("{\"model\":\"%s\"%s,\"max_tokens\":256,\"system\":\"Be brief.\","
                                  "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}", model, stream_member);
        }

    case SURFACE_RESPONSES:
    case N_SURFACES:
    default:
      switch (kase)
        {
        case CASE_TOOLS:
          return g_strdup_printf ("{\"model\":\"%s\",\"input\":\"call tool: the weather in Paris\",\"tools\":%s}",
                                  model, tools);
        case CASE_IMAGE:
          return g_strdup_printf ("{\"model\":\"%s\",\"input\":[{\"role\":\"user\",\"content\":["
                                  "{\"type\":\"input_text\",\"text\":\"Describe this\"},"
                                  "{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64," IMAGE "\"}]}]}",
                                  model);
        case CASE_SCHEMA:
          return g_strdup_printf ("{\"model\":\"%s\",\"input\":\"Which city?\",\"text\":{\"format\":{"
                                  "\"type\":\"json_schema\",\"name\":\"weather\",\"schema\":" WEATHER_SCHEMA "}}}",
                                  model);
        default:
          return g_strdup_printf ("{\"model\":\"%s\"%s,\"instructions\":\"Be brief.\",\"input\":\"Say hello\"}",
                                  model, stream_member);
        }
    }
}

/* The second turn of a tool call: the call and its result sent back. */
static char *
build_tool_result (Surface       surface,
                   const char   *model,
                   const Answer *call)
{
  g_autofree char *tools = tools_json (surface);
  g_autoptr(JsonNode) id = json_node_init_string (json_node_alloc (), call->tool_id);
  g_autoptr(JsonNode) arguments = json_node_init_string (json_node_alloc (), call->tool_arguments);
  g_autofree char *id_json = sy_json_to_string (id);
  g_autofree char *arguments_json = sy_json_to_string (arguments);

  switch (surface)
    {
    case SURFACE_CHAT:
      return g_strdup_printf ("{\"model\":\"%s\",\"tools\":%s,\"messages\":["
                              "{\"role\":\"user\",\"content\":\"call tool: the weather in Paris\"},"
                              "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":%s,\"type\":\"function\","
                              "\"function\":{\"name\":\"get_weather\",\"arguments\":%s}}]},"
                              "{\"role\":\"tool\",\"tool_call_id\":%s,\"content\":\"{\\\"temp_c\\\":21}\"}]}",
                              model, tools, id_json, arguments_json, id_json);
    case SURFACE_MESSAGES:
      return g_strdup_printf ("{\"model\":\"%s\",\"max_tokens\":256,\"tools\":%s,\"messages\":["
                              "{\"role\":\"user\",\"content\":\"call tool: the weather in Paris\"},"
                              "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":%s,"
                              "\"name\":\"get_weather\",\"input\":%s}]},"
                              "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":%s,"
                              "\"content\":\"{\\\"temp_c\\\":21}\"}]}]}",
                              model, tools, id_json, call->tool_arguments, id_json);
    case SURFACE_RESPONSES:
    case N_SURFACES:
    default:
      return g_strdup_printf ("{\"model\":\"%s\",\"tools\":%s,\"input\":["
                              "{\"role\":\"user\",\"content\":\"call tool: the weather in Paris\"},"
                              "{\"type\":\"function_call\",\"call_id\":%s,\"name\":\"get_weather\",\"arguments\":%s},"
                              "{\"type\":\"function_call_output\",\"call_id\":%s,\"output\":\"{\\\"temp_c\\\":21}\"}]}",
                              model, tools, id_json, arguments_json, id_json);
    }
}

/* ------------------------------------------------------------- answers */

static void
append (char      **to,
        const char *text)
{
  char *joined;

  if (text == NULL)
    return;
  joined = g_strconcat (*to != NULL ? *to : "", text, NULL);
  g_free (*to);
  *to = joined;
}

static void
set (char      **to,
     const char *text)
{
  if (text != NULL)
    {
      g_free (*to);
      *to = g_strdup (text);
    }
}

/* Usage and cost from a usage object in @surface's format. */
static void
read_usage (Answer     *answer,
            Surface     surface,
            JsonObject *usage)
{
  JsonNode *cost;

  if (usage == NULL)
    return;
  answer->have_usage = TRUE;
  switch (surface)
    {
    case SURFACE_CHAT:
      answer->usage.prompt_tokens = sy_json_get_int (usage, "prompt_tokens", -1);
      answer->usage.completion_tokens = sy_json_get_int (usage, "completion_tokens", -1);
      answer->usage.cached_tokens = sy_json_get_int (sy_json_get_object (usage, "prompt_tokens_details"),
                                                     "cached_tokens", 0);
      break;
    case SURFACE_MESSAGES:
      answer->usage.cached_tokens = sy_json_get_int (usage, "cache_read_input_tokens", 0);
      answer->usage.cache_write_tokens = sy_json_get_int (usage, "cache_creation_input_tokens", 0);
      answer->usage.prompt_tokens = sy_json_get_int (usage, "input_tokens", -1) +
                                    answer->usage.cached_tokens + answer->usage.cache_write_tokens;
      answer->usage.completion_tokens = sy_json_get_int (usage, "output_tokens", -1);
      break;
    case SURFACE_RESPONSES:
    case N_SURFACES:
    default:
      answer->usage.prompt_tokens = sy_json_get_int (usage, "input_tokens", -1);
      answer->usage.completion_tokens = sy_json_get_int (usage, "output_tokens", -1);
      answer->usage.cached_tokens = sy_json_get_int (sy_json_get_object (usage, "input_tokens_details"),
                                                     "cached_tokens", 0);
      break;
    }
  cost = json_object_get_member (usage, "cost");
  answer->have_cost = cost != NULL && JSON_NODE_HOLDS_VALUE (cost);
  answer->cost = answer->have_cost ? json_node_get_double (cost) : 0;
}

static void
read_body (Answer     *answer,
           Surface     surface,
           JsonObject *body)
{
  switch (surface)
    {
    case SURFACE_CHAT:
      {
        JsonArray *choices = sy_json_get_array (body, "choices");
        JsonObject *message = choices != NULL && json_array_get_length (choices) > 0
                              ? sy_json_get_object (json_array_get_object_element (choices, 0), "message") : NULL;
        JsonArray *calls = sy_json_get_array (message, "tool_calls");

        set (&answer->text, sy_json_get_string (message, "content"));
        if (calls != NULL && json_array_get_length (calls) > 0)
          {
            JsonObject *call = json_array_get_object_element (calls, 0);
            set (&answer->tool_id, sy_json_get_string (call, "id"));
            set (&answer->tool_name, sy_json_get_string (sy_json_get_object (call, "function"), "name"));
            set (&answer->tool_arguments, sy_json_get_string (sy_json_get_object (call, "function"), "arguments"));
          }
      }
      break;

    case SURFACE_MESSAGES:
      {
        JsonArray *content = sy_json_get_array (body, "content");

        g_assert_cmpstr (sy_json_get_string (body, "type"), ==, "message");
        for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
          {
            JsonObject *block = json_array_get_object_element (content, i);
            const char *type = sy_json_get_string (block, "type");

            if (g_strcmp0 (type, "text") == 0)
              append (&answer->text, sy_json_get_string (block, "text"));
            else if (g_strcmp0 (type, "tool_use") == 0)
              {
                g_autoptr(JsonNode) input = json_node_init_object (json_node_alloc (), sy_json_get_object (block, "input"));
                g_autofree char *arguments = sy_json_to_string (input);
                set (&answer->tool_id, sy_json_get_string (block, "id"));
                set (&answer->tool_name, sy_json_get_string (block, "name"));
                set (&answer->tool_arguments, arguments);
              }
          }
      }
      break;

    case SURFACE_RESPONSES:
    case N_SURFACES:
    default:
      {
        JsonArray *output = sy_json_get_array (body, "output");

        g_assert_cmpstr (sy_json_get_string (body, "object"), ==, "response");
        for (guint i = 0; output != NULL && i < json_array_get_length (output); i++)
          {
            JsonObject *item = json_array_get_object_element (output, i);
            const char *type = sy_json_get_string (item, "type");

            if (g_strcmp0 (type, "message") == 0)
              {
                JsonArray *parts = sy_json_get_array (item, "content");
                for (guint j = 0; parts != NULL && j < json_array_get_length (parts); j++)
                  append (&answer->text, sy_json_get_string (json_array_get_object_element (parts, j), "text"));
              }
            else if (g_strcmp0 (type, "function_call") == 0)
              {
                set (&answer->tool_id, sy_json_get_string (item, "call_id"));
                set (&answer->tool_name, sy_json_get_string (item, "name"));
                set (&answer->tool_arguments, sy_json_get_string (item, "arguments"));
              }
          }
      }
      break;
    }
  read_usage (answer, surface, sy_json_get_object (body, "usage"));
}

/* One streamed event's data, in @surface's format. */
static void
read_event (Answer     *answer,
            Surface     surface,
            JsonObject *event)
{
  const char *type = sy_json_get_string (event, "type");

  switch (surface)
    {
    case SURFACE_CHAT:
      {
        JsonArray *choices = sy_json_get_array (event, "choices");
        JsonObject *delta = choices != NULL && json_array_get_length (choices) > 0
                            ? sy_json_get_object (json_array_get_object_element (choices, 0), "delta") : NULL;
        JsonArray *calls = sy_json_get_array (delta, "tool_calls");

        append (&answer->text, sy_json_get_string (delta, "content"));
        if (calls != NULL && json_array_get_length (calls) > 0)
          {
            JsonObject *call = json_array_get_object_element (calls, 0);
            JsonObject *function = sy_json_get_object (call, "function");
            set (&answer->tool_id, sy_json_get_string (call, "id"));
            set (&answer->tool_name, sy_json_get_string (function, "name"));
            append (&answer->tool_arguments, sy_json_get_string (function, "arguments"));
          }
        if (sy_json_get_object (event, "usage") != NULL)
          read_usage (answer, surface, sy_json_get_object (event, "usage"));
        g_assert_null (json_object_get_member (event, "error"));
      }
      break;

    case SURFACE_MESSAGES:
      g_assert_cmpstr (type, !=, "error");
      if (g_strcmp0 (type, "content_block_start") == 0)
        {
          JsonObject *block = sy_json_get_object (event, "content_block");
          if (g_strcmp0 (sy_json_get_string (block, "type"), "tool_use") == 0)
            {
              set (&answer->tool_id, sy_json_get_string (block, "id"));
              set (&answer->tool_name, sy_json_get_string (block, "name"));
            }
        }
      else if (g_strcmp0 (type, "content_block_delta") == 0)
        {
          JsonObject *delta = sy_json_get_object (event, "delta");
          append (&answer->text, sy_json_get_string (delta, "text"));
          append (&answer->tool_arguments, sy_json_get_string (delta, "partial_json"));
        }
      else if (g_strcmp0 (type, "message_start") == 0)
        read_usage (answer, surface, sy_json_get_object (sy_json_get_object (event, "message"), "usage"));
      else if (g_strcmp0 (type, "message_delta") == 0)
        {
          /* As Anthropic's SDK accumulates: message_delta's output tokens (and
           * input figures, when it has them) update message_start's usage. */
          JsonObject *usage = sy_json_get_object (event, "usage");
          SyUsage start = answer->usage;

          read_usage (answer, surface, usage);
          if (!json_object_has_member (usage, "input_tokens"))
            {
              answer->usage.prompt_tokens = start.prompt_tokens;
              answer->usage.cached_tokens = start.cached_tokens;
              answer->usage.cache_write_tokens = start.cache_write_tokens;
            }
        }
      break;

    case SURFACE_RESPONSES:
    case N_SURFACES:
    default:
      g_assert_cmpstr (type, !=, "response.failed");
      if (g_strcmp0 (type, "response.output_text.delta") == 0)
        append (&answer->text, sy_json_get_string (event, "delta"));
      else if (g_strcmp0 (type, "response.output_item.added") == 0)
        {
          JsonObject *item = sy_json_get_object (event, "item");
          if (g_strcmp0 (sy_json_get_string (item, "type"), "function_call") == 0)
            {
              set (&answer->tool_id, sy_json_get_string (item, "call_id"));
              set (&answer->tool_name, sy_json_get_string (item, "name"));
            }
        }
      else if (g_strcmp0 (type, "response.function_call_arguments.delta") == 0)
        append (&answer->tool_arguments, sy_json_get_string (event, "delta"));
      else if (g_strcmp0 (type, "response.completed") == 0)
        read_usage (answer, surface, sy_json_get_object (sy_json_get_object (event, "response"), "usage"));
      break;
    }
}

static void
ask (Surface     surface,
     const char *body,
     gboolean    stream,
     Answer     *answer)
{
  const char * const *headers = surface == SURFACE_MESSAGES ? anthropic_headers : NULL;

  memset (answer, 0, sizeof *answer);
  if (!stream)
    {
      g_autoptr(SyTestResponse) response =
        sy_test_http (serve->port, "POST", surface_paths[surface], TOKEN, "application/json", body, headers);

      answer->status = response->status;
      g_assert_nonnull (response->json);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (response->json));
      set (&answer->provider, soup_message_headers_get_one (response->headers, "x-switchyard-provider"));
      if (response->status != 200)
        {
          set (&answer->error_message, sy_test_json_string (response->json, "error.message"));
          if (surface == SURFACE_MESSAGES)
            g_assert_cmpstr (sy_test_json_string (response->json, "type"), ==, "error");
          return;
        }
      read_body (answer, surface, json_node_get_object (response->json));
      return;
    }

  {
    g_autoptr(GPtrArray) events = NULL;
    g_autoptr(SoupMessageHeaders) response_headers = NULL;
    const char *last_name = NULL;
    gboolean ended = FALSE;

    events = sy_test_stream_at (serve->port, surface_paths[surface], TOKEN, body, headers,
                                &answer->status, &response_headers, NULL);
    g_assert_cmpstr (soup_message_headers_get_content_type (response_headers, NULL), ==, "text/event-stream");
    for (guint i = 0; i < events->len; i++)
      {
        const char *data = g_ptr_array_index (events, i);
        g_autoptr(JsonNode) node = NULL;

        if (data[0] == ':')
          continue;
        if (g_str_has_prefix (data, "event: "))
          {
            last_name = data + strlen ("event: ");
            continue;
          }
        if (g_str_equal (data, "[DONE]"))
          {
            g_assert_cmpint (surface, ==, SURFACE_CHAT);
            ended = TRUE;
            continue;
          }
        node = sy_json_parse (data, strlen (data), NULL);
        g_assert_nonnull (node);
        g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
        /* Named events carry their name as "type" too. */
        if (last_name != NULL)
          g_assert_cmpstr (sy_test_json_string (node, "type"), ==, last_name);
        read_event (answer, surface, json_node_get_object (node));
        if (surface == SURFACE_MESSAGES && g_strcmp0 (last_name, "message_stop") == 0)
          ended = TRUE;
        if (surface == SURFACE_RESPONSES && g_strcmp0 (last_name, "response.completed") == 0)
          ended = TRUE;
        last_name = NULL;
      }
    g_assert_true (ended);
  }
}

/* The cost the catalog's prices give for the usage the client was told. */
static void
assert_usage_and_cost (const Answer *answer,
                       Upstream      upstream)
{
  g_auto(GStrv) parts = g_strsplit (upstream_models[upstream], "/", 2);
  SyPrice price;
  SyCost expected;

  g_assert_true (answer->have_usage);
  g_assert_cmpint (answer->usage.prompt_tokens, >, 0);
  g_assert_cmpint (answer->usage.completion_tokens, >, 0);
  g_assert_true (answer->have_cost);
  g_assert_true (sy_catalog_get_price (catalog, parts[0], parts[1], &price));
  sy_cost_compute (&price, &answer->usage, &expected);
  g_assert_cmpfloat (answer->cost, >, 0);
  g_assert_cmpfloat_with_epsilon (answer->cost, expected.total, 1e-9);
}

static void
assert_upstream_saw_image (Upstream upstream)
{
  g_autoptr(JsonNode) request = sy_test_mock_last_body (mock);
  g_autofree char *text = sy_json_to_string (request);

  /* The image arrived intact, in the upstream's own block. */
  g_assert_nonnull (strstr (text, IMAGE));
  switch (upstream)
    {
    case UPSTREAM_OPENAI:
      g_assert_nonnull (strstr (text, "\"image_url\""));
      break;
    case UPSTREAM_ANTHROPIC:
      g_assert_nonnull (strstr (text, "\"media_type\":\"image/png\""));
      break;
    case UPSTREAM_GEMINI:
    case N_UPSTREAMS:
    default:
      g_assert_nonnull (strstr (text, "\"inlineData\""));
      g_assert_nonnull (strstr (text, "\"mimeType\":\"image/png\""));
      break;
    }
}

static void
assert_upstream_saw_tool_result (Upstream upstream)
{
  g_autoptr(JsonNode) request = sy_test_mock_last_body (mock);
  g_autofree char *text = sy_json_to_string (request);

  g_assert_nonnull (strstr (text, "temp_c"));
  switch (upstream)
    {
    case UPSTREAM_OPENAI:
      g_assert_nonnull (strstr (text, "\"tool_call_id\""));
      break;
    case UPSTREAM_ANTHROPIC:
      g_assert_nonnull (strstr (text, "\"tool_result\""));
      g_assert_nonnull (strstr (text, "\"tool_use_id\""));
      break;
    case UPSTREAM_GEMINI:
    case N_UPSTREAMS:
    default:
      g_assert_nonnull (strstr (text, "\"functionResponse\""));
      g_assert_nonnull (strstr (text, "\"get_weather\""));
      break;
    }
}

static void
assert_tool_call (const Answer *answer)
{
  g_autoptr(JsonNode) arguments = NULL;

  g_assert_cmpstr (answer->tool_name, ==, "get_weather");
  g_assert_nonnull (answer->tool_id);
  g_assert_cmpstr (answer->tool_id, !=, "");
  g_assert_nonnull (answer->tool_arguments);
  arguments = sy_json_parse (answer->tool_arguments, strlen (answer->tool_arguments), NULL);
  g_assert_nonnull (arguments);
  g_assert_cmpstr (sy_test_json_string (arguments, "city"), ==, "Paris");
}

static void
test_cell (gconstpointer data)
{
  const Cell *cell = data;
  const char *model = upstream_models[cell->upstream];
  g_autofree char *body = build_request (cell->surface, cell->kase, model);
  g_auto(Answer) answer = { 0 };

  sy_test_mock_reset (mock);
  if (cell->kase == CASE_ERROR)
    sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":529,\"count\":1}]");

  ask (cell->surface, body, cell->kase == CASE_STREAMED, &answer);

  if (cell->kase == CASE_ERROR)
    {
      /* The upstream's failure, in the client's error shape with its status. */
      g_assert_cmpuint (answer.status, ==, 529);
      g_assert_nonnull (answer.error_message);
      g_assert_nonnull (strstr (answer.error_message, "529"));
      return;
    }

  g_assert_cmpuint (answer.status, ==, 200);
  assert_usage_and_cost (&answer, cell->upstream);
  if (cell->kase != CASE_STREAMED)
    g_assert_cmpstr (answer.provider, ==, upstream_providers[cell->upstream]);

  switch (cell->kase)
    {
    case CASE_PLAIN:
    case CASE_STREAMED:
      g_assert_cmpstr (answer.text, ==, TEXT);
      g_assert_null (answer.tool_name);
      break;

    case CASE_IMAGE:
      g_assert_cmpstr (answer.text, ==, TEXT);
      assert_upstream_saw_image (cell->upstream);
      break;

    case CASE_SCHEMA:
      {
        g_autoptr(JsonNode) json = NULL;

        g_assert_nonnull (answer.text);
        json = sy_json_parse (answer.text, strlen (answer.text), NULL);
        g_assert_nonnull (json);
        g_assert_cmpstr (sy_test_json_string (json, "city"), ==, "Paris");
        g_assert_null (answer.tool_name);
      }
      break;

    case CASE_TOOLS:
      {
        g_autofree char *second = NULL;
        g_auto(Answer) final = { 0 };

        assert_tool_call (&answer);
        second = build_tool_result (cell->surface, model, &answer);
        ask (cell->surface, second, FALSE, &final);
        g_assert_cmpuint (final.status, ==, 200);
        g_assert_cmpstr (final.text, ==, TEXT);
        assert_upstream_saw_tool_result (cell->upstream);
        assert_usage_and_cost (&final, cell->upstream);
      }
      break;

    case CASE_ERROR:
    case N_CASES:
    default:
      g_assert_not_reached ();
    }
}

/* Streaming tool calls too: argument deltas reassemble into the same call. */
static void
test_streamed_tool_call (gconstpointer data)
{
  const Cell *cell = data;
  const char *model = upstream_models[cell->upstream];
  g_autofree char *body = build_request (cell->surface, CASE_TOOLS, model);
  g_autofree char *streamed = NULL;
  g_auto(Answer) answer = { 0 };

  sy_test_mock_reset (mock);
  /* "stream": true added as the request's first member. */
  streamed = g_strconcat ("{\"stream\":true,", body + 1, NULL);
  ask (cell->surface, streamed, TRUE, &answer);
  g_assert_cmpuint (answer.status, ==, 200);
  assert_tool_call (&answer);
  assert_usage_and_cost (&answer, cell->upstream);
}

/* A stream that fails after its first content: the client reads its own format's
 * error at the end (OpenAI: a chunk with "error"; Anthropic: an "error" event;
 * Responses: response.failed), after the text that came before. */
static void
test_midstream_error (gconstpointer data)
{
  const Cell *cell = data;
  g_autofree char *body = build_request (cell->surface, CASE_STREAMED, upstream_models[cell->upstream]);
  const char * const *headers = cell->surface == SURFACE_MESSAGES ? anthropic_headers : NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  const char *last = NULL;
  guint status = 0;

  sy_test_mock_reset (mock);
  /* After the first few events of the upstream's own stream (Anthropic counts
   * message_start and ping): some text is out by then. */
  sy_test_mock_faults (mock, cell->upstream == UPSTREAM_ANTHROPIC
                       ? "[{\"kind\":\"error_event\",\"after_chunks\":5}]"
                       : "[{\"kind\":\"error_event\",\"after_chunks\":3}]");
  events = sy_test_stream_at (serve->port, surface_paths[cell->surface], TOKEN, body, headers, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);

  for (guint i = 0; i < events->len; i++)
    {
      const char *event = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) node = NULL;

      if (event[0] == ':' || g_str_has_prefix (event, "event: "))
        continue;
      g_assert_cmpstr (event, !=, "[DONE]");
      node = sy_json_parse (event, strlen (event), NULL);
      g_assert_nonnull (node);
      if (cell->surface == SURFACE_CHAT && sy_test_json_string (node, "choices.0.delta.content") != NULL)
        g_string_append (text, sy_test_json_string (node, "choices.0.delta.content"));
      if (cell->surface == SURFACE_MESSAGES && sy_test_json_string (node, "delta.text") != NULL)
        g_string_append (text, sy_test_json_string (node, "delta.text"));
      if (cell->surface == SURFACE_RESPONSES &&
          g_strcmp0 (sy_test_json_string (node, "type"), "response.output_text.delta") == 0)
        g_string_append (text, sy_test_json_string (node, "delta"));
      last = event;
    }

  g_assert_cmpuint (text->len, >, 0);
  g_assert_true (g_str_has_prefix (TEXT, text->str));
  g_assert_nonnull (last);
  {
    g_autoptr(JsonNode) end = sy_json_parse (last, strlen (last), NULL);

    switch (cell->surface)
      {
      case SURFACE_CHAT:
        g_assert_nonnull (strstr (sy_test_json_string (end, "error.message"), "mid-stream"));
        break;
      case SURFACE_MESSAGES:
        g_assert_cmpstr (sy_test_json_string (end, "type"), ==, "error");
        g_assert_nonnull (strstr (sy_test_json_string (end, "error.message"), "mid-stream"));
        break;
      case SURFACE_RESPONSES:
      case N_SURFACES:
      default:
        g_assert_cmpstr (sy_test_json_string (end, "type"), ==, "response.failed");
        g_assert_cmpstr (sy_test_json_string (end, "response.status"), ==, "failed");
        g_assert_nonnull (strstr (sy_test_json_string (end, "response.error.message"), "mid-stream"));
        break;
      }
  }
}

int
main (int   argc,
      char *argv[])
{
  static const char * const env[] = {
    "OPENAI_API_KEY=sk-matrix-openai-0000", "ANTHROPIC_API_KEY=sk-ant-matrix-0000",
    "GEMINI_API_KEY=AIza-matrix-0000", NULL,
  };
  static const char * const mock_args[] = { "--chunks", "5", NULL };
  const char *config =
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\",\"max_retries\":0},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"anthropic\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"google\",\"base_url\":\"@MOCK@\"}]}";
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);
  int status;

  g_test_init (&argc, &argv, NULL);

  catalog = sy_catalog_new_default (NULL);
  g_assert_nonnull (catalog);

  for (Surface surface = 0; surface < N_SURFACES; surface++)
    for (Upstream upstream = 0; upstream < N_UPSTREAMS; upstream++)
      {
        for (Case kase = 0; kase < N_CASES; kase++)
          {
            Cell *cell = g_new0 (Cell, 1);
            g_autofree char *path = g_strdup_printf ("/matrix/%s/%s/%s", surface_names[surface],
                                                     upstream_names[upstream], case_names[kase]);
            cell->surface = surface;
            cell->upstream = upstream;
            cell->kase = kase;
            g_ptr_array_add (cells, cell);
            g_test_add_data_func (path, cell, test_cell);
          }
        {
          Cell *cell = g_new0 (Cell, 1);
          g_autofree char *path = g_strdup_printf ("/matrix/%s/%s/streamed-tools", surface_names[surface],
                                                   upstream_names[upstream]);
          cell->surface = surface;
          cell->upstream = upstream;
          g_ptr_array_add (cells, cell);
          g_test_add_data_func (path, cell, test_streamed_tool_call);
        }
        {
          Cell *cell = g_new0 (Cell, 1);
          g_autofree char *path = g_strdup_printf ("/matrix/%s/%s/midstream-error", surface_names[surface],
                                                   upstream_names[upstream]);
          cell->surface = surface;
          cell->upstream = upstream;
          g_ptr_array_add (cells, cell);
          g_test_add_data_func (path, cell, test_midstream_error);
        }
      }

  mock = sy_test_mock_start (mock_args);
  serve = sy_test_serve_start (config, mock, env);
  status = g_test_run ();
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  g_clear_object (&catalog);
  return status;
}
