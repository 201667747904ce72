/* test-translate-responses.c — tests for the OpenAI Responses client side:
 * requests to the hub, completions to response objects, and the event encoder.
 * Every stream is checked against a small model of the SDK's accumulator.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-translate-responses"

#include "sy-test-util.h"
#include "sy-json.h"
#include "sy-sse.h"
#include "sy-translate.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

/* The hub request for @json, which must translate. */
static JsonNode *
to_hub (const char *json)
{
  g_autoptr(JsonNode) request = sy_test_json_parse (json);
  g_autoptr(GError) error = NULL;
  JsonObject *hub = sy_responses_request_to_hub (json_node_get_object (request), &error);

  g_assert_no_error (error);
  g_assert_nonnull (hub);
  return sy_test_json_node_take (hub);
}

/* Asserts @json is refused as invalid with a message containing @needle. */
static void
assert_refused (const char *json,
                const char *needle)
{
  g_autoptr(JsonNode) request = sy_test_json_parse (json);
  g_autoptr(GError) error = NULL;
  JsonObject *hub = sy_responses_request_to_hub (json_node_get_object (request), &error);

  g_assert_null (hub);
  g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID);
  if (strstr (error->message, needle) == NULL)
    g_error ("expected \"%s\" in \"%s\"", needle, error->message);
}

static JsonNode *
from_hub (const char *json)
{
  g_autoptr(JsonNode) completion = sy_test_json_parse (json);

  return sy_test_json_node_take (sy_responses_response_from_hub (json_node_get_object (completion)));
}

#define STR(root, path) sy_test_json_string ((root), (path))

static gboolean
has (JsonNode   *root,
     const char *path)
{
  return sy_test_json_path (root, path) != NULL;
}

static gboolean
flag (JsonNode   *root,
      const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_BOOLEAN);
  return json_node_get_boolean (node);
}

/* ------------------------------------------------------------------ requests */

static void
test_request_string_input (void)
{
  g_autoptr(JsonNode) hub = to_hub ("{\"model\":\"openai/gpt-4.1-mini\",\"input\":\"Say hi\","
                                    "\"stream\":true,\"store\":false,\"metadata\":{\"k\":\"v\"}}");

  g_assert_cmpstr (STR (hub, "model"), ==, "openai/gpt-4.1-mini");
  g_assert_true (flag (hub, "stream"));
  g_assert_cmpuint (sy_test_json_length (hub, "messages"), ==, 1);
  g_assert_cmpstr (STR (hub, "messages.0.role"), ==, "user");
  g_assert_cmpstr (STR (hub, "messages.0.content"), ==, "Say hi");
  g_assert_false (has (hub, "store"));
  g_assert_false (has (hub, "metadata"));
  g_assert_false (has (hub, "input"));
}

static void
test_request_items (void)
{
  g_autoptr(JsonNode) hub = to_hub (
    "{\"model\":\"m\",\"instructions\":\"You are terse.\","
    " \"input\":["
    "  {\"role\":\"developer\",\"content\":[{\"type\":\"input_text\",\"text\":\"Use metric units.\"}]},"
    "  {\"type\":\"message\",\"role\":\"user\",\"content\":["
    "     {\"type\":\"input_text\",\"text\":\"What is in these?\"},"
    "     {\"type\":\"input_image\",\"image_url\":\"https://example.com/a.png\",\"detail\":\"high\"},"
    "     {\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"original\"}]},"
    "  {\"type\":\"reasoning\",\"id\":\"rs_1\",\"summary\":[],\"encrypted_content\":\"gAAAA\"},"
    "  {\"type\":\"message\",\"id\":\"msg_1\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":["
    "     {\"type\":\"output_text\",\"text\":\"A cat \",\"annotations\":[]},"
    "     {\"type\":\"refusal\",\"refusal\":\"and nothing else.\"}]},"
    "  {\"role\":\"system\",\"content\":\"Be kind.\"},"
    "  {\"role\":\"user\",\"content\":\"Thanks\"}"
    " ],\"max_output_tokens\":256,\"temperature\":0.2,\"top_p\":0.9,\"user\":\"u-1\","
    " \"include\":[\"reasoning.encrypted_content\"]}");

  g_assert_cmpuint (sy_test_json_length (hub, "messages"), ==, 6);
  g_assert_cmpstr (STR (hub, "messages.0.role"), ==, "system");
  g_assert_cmpstr (STR (hub, "messages.0.content"), ==, "You are terse.");
  g_assert_cmpstr (STR (hub, "messages.1.role"), ==, "system");
  g_assert_cmpstr (STR (hub, "messages.1.content"), ==, "Use metric units.");

  g_assert_cmpstr (STR (hub, "messages.2.role"), ==, "user");
  g_assert_cmpuint (sy_test_json_length (hub, "messages.2.content"), ==, 3);
  g_assert_cmpstr (STR (hub, "messages.2.content.0.type"), ==, "text");
  g_assert_cmpstr (STR (hub, "messages.2.content.0.text"), ==, "What is in these?");
  g_assert_cmpstr (STR (hub, "messages.2.content.1.type"), ==, "image_url");
  g_assert_cmpstr (STR (hub, "messages.2.content.1.image_url.url"), ==, "https://example.com/a.png");
  g_assert_cmpstr (STR (hub, "messages.2.content.1.image_url.detail"), ==, "high");
  g_assert_cmpstr (STR (hub, "messages.2.content.2.image_url.url"), ==, "data:image/png;base64,iVBORw0KGgo=");
  g_assert_false (has (hub, "messages.2.content.2.image_url.detail"));

  /* The reasoning item left no trace; assistant history is plain text. */
  g_assert_cmpstr (STR (hub, "messages.3.role"), ==, "assistant");
  g_assert_cmpstr (STR (hub, "messages.3.content"), ==, "A cat and nothing else.");
  g_assert_false (has (hub, "messages.3.tool_calls"));
  g_assert_cmpstr (STR (hub, "messages.4.role"), ==, "system");
  g_assert_cmpstr (STR (hub, "messages.4.content"), ==, "Be kind.");
  g_assert_cmpstr (STR (hub, "messages.5.content"), ==, "Thanks");

  g_assert_cmpint (sy_test_json_int (hub, "max_tokens"), ==, 256);
  g_assert_false (has (hub, "max_output_tokens"));
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (hub, "temperature"), 0.2, 1e-9);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (hub, "top_p"), 0.9, 1e-9);
  g_assert_cmpstr (STR (hub, "user"), ==, "u-1");
  g_assert_false (has (hub, "include"));
  g_assert_false (has (hub, "instructions"));
}

/* A Codex-style agent turn: the model called two tools in parallel after some
 * text, the client ran them and sends everything back. */
static void
test_request_function_round_trip (void)
{
  g_autoptr(JsonNode) hub = to_hub (
    "{\"model\":\"m\",\"instructions\":\"You are a coding agent.\",\"stream\":true,"
    " \"input\":["
    "  {\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"List and count files\"}]},"
    "  {\"type\":\"reasoning\",\"id\":\"rs_9\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"plan\"}]},"
    "  {\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Checking.\",\"annotations\":[]}]},"
    "  {\"type\":\"function_call\",\"id\":\"fc_a\",\"call_id\":\"call_A\",\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":\\\"ls\\\"}\",\"status\":\"completed\"},"
    "  {\"type\":\"function_call\",\"id\":\"fc_b\",\"call_id\":\"call_B\",\"name\":\"shell\",\"arguments\":\"{\\\"cmd\\\":\\\"wc -l\\\"}\"},"
    "  {\"type\":\"function_call_output\",\"call_id\":\"call_A\",\"output\":\"a.c\\nb.c\"},"
    "  {\"type\":\"function_call_output\",\"call_id\":\"call_B\",\"output\":["
    "     {\"type\":\"input_text\",\"text\":\"2 \"},{\"type\":\"input_text\",\"text\":\"total\"}]},"
    "  {\"type\":\"function_call\",\"call_id\":\"call_C\",\"name\":\"done\",\"arguments\":\"{}\"},"
    "  {\"type\":\"function_call_output\",\"call_id\":\"call_C\",\"output\":\"ok\"}"
    " ],"
    " \"tools\":[{\"type\":\"function\",\"name\":\"shell\",\"description\":\"Run a command\",\"strict\":false,"
    "            \"parameters\":{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\"}}}},"
    "           {\"type\":\"function\",\"name\":\"done\",\"parameters\":null,\"strict\":true}],"
    " \"tool_choice\":\"auto\",\"parallel_tool_calls\":true}");

  g_assert_cmpuint (sy_test_json_length (hub, "messages"), ==, 7);
  g_assert_cmpstr (STR (hub, "messages.0.role"), ==, "system");
  g_assert_cmpstr (STR (hub, "messages.1.role"), ==, "user");
  g_assert_cmpstr (STR (hub, "messages.1.content.0.text"), ==, "List and count files");

  /* The assistant text and both calls are one turn. */
  g_assert_cmpstr (STR (hub, "messages.2.role"), ==, "assistant");
  g_assert_cmpstr (STR (hub, "messages.2.content"), ==, "Checking.");
  g_assert_cmpuint (sy_test_json_length (hub, "messages.2.tool_calls"), ==, 2);
  g_assert_cmpstr (STR (hub, "messages.2.tool_calls.0.id"), ==, "call_A");
  g_assert_cmpstr (STR (hub, "messages.2.tool_calls.0.type"), ==, "function");
  g_assert_cmpstr (STR (hub, "messages.2.tool_calls.0.function.name"), ==, "shell");
  g_assert_cmpstr (STR (hub, "messages.2.tool_calls.0.function.arguments"), ==, "{\"cmd\":\"ls\"}");
  g_assert_cmpstr (STR (hub, "messages.2.tool_calls.1.id"), ==, "call_B");
  g_assert_cmpstr (STR (hub, "messages.2.tool_calls.1.function.arguments"), ==, "{\"cmd\":\"wc -l\"}");

  g_assert_cmpstr (STR (hub, "messages.3.role"), ==, "tool");
  g_assert_cmpstr (STR (hub, "messages.3.tool_call_id"), ==, "call_A");
  g_assert_cmpstr (STR (hub, "messages.3.content"), ==, "a.c\nb.c");
  g_assert_cmpstr (STR (hub, "messages.4.tool_call_id"), ==, "call_B");
  g_assert_cmpstr (STR (hub, "messages.4.content"), ==, "2 total");

  /* A call after tool results opens a new assistant turn with null content. */
  g_assert_cmpstr (STR (hub, "messages.5.role"), ==, "assistant");
  g_assert_true (sy_test_json_is_null (hub, "messages.5.content"));
  g_assert_cmpuint (sy_test_json_length (hub, "messages.5.tool_calls"), ==, 1);
  g_assert_cmpstr (STR (hub, "messages.5.tool_calls.0.id"), ==, "call_C");
  g_assert_cmpstr (STR (hub, "messages.6.tool_call_id"), ==, "call_C");

  g_assert_cmpuint (sy_test_json_length (hub, "tools"), ==, 2);
  g_assert_cmpstr (STR (hub, "tools.0.type"), ==, "function");
  g_assert_cmpstr (STR (hub, "tools.0.function.name"), ==, "shell");
  g_assert_cmpstr (STR (hub, "tools.0.function.description"), ==, "Run a command");
  g_assert_false (flag (hub, "tools.0.function.strict"));
  g_assert_cmpstr (STR (hub, "tools.0.function.parameters.properties.cmd.type"), ==, "string");
  g_assert_false (has (hub, "tools.0.name"));
  g_assert_cmpstr (STR (hub, "tools.1.function.name"), ==, "done");
  g_assert_false (has (hub, "tools.1.function.parameters"));
  g_assert_true (flag (hub, "tools.1.function.strict"));
  g_assert_cmpstr (STR (hub, "tool_choice"), ==, "auto");
  g_assert_true (flag (hub, "parallel_tool_calls"));
}

static void
test_request_text_format (void)
{
  g_autoptr(JsonNode) schema = to_hub (
    "{\"model\":\"m\",\"input\":\"Extract\",\"text\":{\"format\":{\"type\":\"json_schema\","
    " \"name\":\"person\",\"description\":\"A person\",\"strict\":true,"
    " \"schema\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
    "            \"required\":[\"name\"],\"additionalProperties\":false}},\"verbosity\":\"low\"}}");
  g_autoptr(JsonNode) object = to_hub ("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_object\"}}}");
  g_autoptr(JsonNode) text = to_hub ("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"text\"}}}");

  g_assert_cmpstr (STR (schema, "response_format.type"), ==, "json_schema");
  g_assert_cmpstr (STR (schema, "response_format.json_schema.name"), ==, "person");
  g_assert_cmpstr (STR (schema, "response_format.json_schema.description"), ==, "A person");
  g_assert_true (flag (schema, "response_format.json_schema.strict"));
  g_assert_cmpstr (STR (schema, "response_format.json_schema.schema.properties.name.type"), ==, "string");
  g_assert_false (flag (schema, "response_format.json_schema.schema.additionalProperties"));
  g_assert_false (has (schema, "text"));

  g_assert_cmpstr (STR (object, "response_format.type"), ==, "json_object");
  g_assert_cmpuint (sy_test_json_length (object, "response_format"), ==, 1);
  g_assert_false (has (text, "response_format"));

  assert_refused ("{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"schema\":{}}}}",
                  "text.format.name");
  assert_refused ("{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"grammar\"}}}", "text.format.type");
}

static void
test_request_reasoning (void)
{
  static const struct { const char *effort; const char *hub; } cases[] = {
    { "minimal", "low" },
    { "low", "low" },
    { "medium", "medium" },
    { "high", "high" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf ("{\"model\":\"o4-mini\",\"input\":\"Think\","
                                               "\"reasoning\":{\"effort\":\"%s\",\"summary\":\"auto\"}}",
                                               cases[i].effort);
      g_autoptr(JsonNode) hub = to_hub (json);

      g_assert_cmpstr (STR (hub, "reasoning_effort"), ==, cases[i].hub);
      g_assert_false (has (hub, "reasoning"));
    }

  {
    g_autoptr(JsonNode) hub = to_hub ("{\"input\":\"x\",\"reasoning\":{\"effort\":null}}");

    g_assert_false (has (hub, "reasoning_effort"));
  }
  assert_refused ("{\"input\":\"x\",\"reasoning\":{\"effort\":\"extreme\"}}", "reasoning.effort");
}

static void
test_request_tools_dropped (void)
{
  g_autoptr(JsonNode) hub = to_hub (
    "{\"model\":\"m\",\"input\":\"Weather in Paris?\","
    " \"tools\":[{\"type\":\"web_search\"},"
    "           {\"type\":\"file_search\",\"vector_store_ids\":[\"vs_1\"]},"
    "           {\"type\":\"local_shell\"},"
    "           {\"type\":\"custom\",\"name\":\"apply_patch\",\"format\":{\"type\":\"text\"}},"
    "           {\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"},\"strict\":true},"
    "           {\"type\":\"mcp\",\"server_label\":\"x\",\"server_url\":\"https://x\"}],"
    " \"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"}}");
  g_autoptr(JsonNode) only_hosted = to_hub ("{\"input\":\"x\",\"tools\":[{\"type\":\"web_search_preview\"}],"
                                            "\"tool_choice\":\"auto\"}");

  g_assert_cmpuint (sy_test_json_length (hub, "tools"), ==, 1);
  g_assert_cmpstr (STR (hub, "tools.0.function.name"), ==, "get_weather");
  g_assert_cmpstr (STR (hub, "tool_choice.type"), ==, "function");
  g_assert_cmpstr (STR (hub, "tool_choice.function.name"), ==, "get_weather");

  g_assert_false (has (only_hosted, "tools"));
  g_assert_false (has (only_hosted, "tool_choice"));
  /* OpenAI refuses parallel_tool_calls without tools ("only allowed when
   * 'tools' are specified"); with only hosted tools there are none left. */
  {
    g_autoptr(JsonNode) hosted_parallel = to_hub ("{\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}],"
                                                  "\"tool_choice\":\"auto\",\"parallel_tool_calls\":false}");
    g_autoptr(JsonNode) no_tools = to_hub ("{\"input\":\"x\",\"parallel_tool_calls\":true}");

    g_assert_false (has (hosted_parallel, "parallel_tool_calls"));
    g_assert_false (has (no_tools, "parallel_tool_calls"));
  }

  assert_refused ("{\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"},{\"type\":\"function\",\"name\":\"f\"}],"
                  "\"tool_choice\":{\"type\":\"web_search_preview\"}}", "web_search_preview");
  assert_refused ("{\"input\":\"x\",\"tools\":[{\"type\":\"file_search\"}],\"tool_choice\":{\"type\":\"file_search\"}}",
                  "tool_choice");
  assert_refused ("{\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}],\"tool_choice\":\"required\"}",
                  "tool_choice");
  assert_refused ("{\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"description\":\"no name\"}]}",
                  "tools[0].name");
}

static void
test_request_refused (void)
{
  static const struct { const char *json; const char *needle; } cases[] = {
    { "{\"model\":\"m\",\"input\":\"more\",\"previous_response_id\":\"resp_123\"}", "stateless" },
    { "{\"model\":\"m\",\"input\":\"more\",\"previous_response_id\":\"resp_123\"}", "previous_response_id" },
    { "{\"model\":\"m\",\"input\":\"more\",\"conversation\":\"conv_1\"}", "conversation" },
    { "{\"model\":\"m\",\"input\":\"more\",\"conversation\":{\"id\":\"conv_1\"}}", "stateless" },
    { "{\"model\":\"m\",\"input\":\"more\",\"background\":true}", "background" },
    { "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"a\"},{\"type\":\"item_reference\",\"id\":\"msg_1\"}]}",
      "input[1]" },
    { "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},"
      "{\"type\":\"computer_call_output\",\"call_id\":\"c\"}]}", "input[2]: unsupported item type 'computer_call_output'" },
    { "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"a\"},"
      "{\"type\":\"input_file\",\"file_id\":\"file-1\"}]}]}", "input[0].content[1]: input_file" },
    { "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"file_id\":\"file-1\"}]}]}",
      "input[0].content[0]" },
    { "{\"model\":\"m\",\"input\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "input[0].role" },
    { "{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":42}]}", "input[0].content" },
    { "{\"model\":\"m\",\"input\":[\"hello\"]}", "input[0]" },
    { "{\"model\":\"m\",\"input\":[{\"type\":\"function_call\",\"name\":\"f\",\"arguments\":\"{}\"}]}",
      "input[0].call_id" },
    { "{\"model\":\"m\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":7}]}",
      "input[0].output" },
    { "{\"model\":\"m\",\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\","
      "\"output\":[{\"type\":\"input_image\",\"image_url\":\"https://x\"}]}]}", "input[0].output[0]" },
    { "{\"model\":\"m\"}", "input" },
    { "{\"model\":\"m\",\"input\":\"\"}", "input" },
    { "{\"model\":\"m\",\"input\":[]}", "input" },
    { "{\"model\":\"m\",\"input\":[{\"type\":\"reasoning\",\"summary\":[]}]}", "input" },
    { "{\"model\":\"m\",\"input\":{\"role\":\"user\"}}", "input" },
    { "{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":\"many\"}", "max_output_tokens" },
    { "{\"model\":\"m\",\"input\":\"x\",\"temperature\":\"hot\"}", "temperature" },
    { "{\"model\":\"m\",\"input\":\"x\",\"instructions\":[\"a\"]}", "instructions" },
    { "{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":\"sometimes\"}", "tool_choice" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_refused (cases[i].json, cases[i].needle);
}

static void
test_request_lenient (void)
{
  /* Nulls mean "not given"; instructions alone make a conversation. */
  g_autoptr(JsonNode) hub = to_hub ("{\"model\":\"m\",\"instructions\":\"Greet me.\",\"previous_response_id\":null,"
                                    "\"conversation\":null,\"background\":false,\"temperature\":null,"
                                    "\"max_output_tokens\":null,\"tools\":null,\"text\":null,\"reasoning\":null}");

  g_assert_cmpuint (sy_test_json_length (hub, "messages"), ==, 1);
  g_assert_cmpstr (STR (hub, "messages.0.role"), ==, "system");
  g_assert_false (has (hub, "temperature"));
  g_assert_false (has (hub, "max_tokens"));
  g_assert_false (has (hub, "tools"));
  g_assert_false (has (hub, "background"));
}

/* ----------------------------------------------------------------- responses */

static void
assert_envelope (JsonNode   *response,
                 const char *status)
{
  g_assert_true (g_str_has_prefix (STR (response, "id"), "resp_"));
  g_assert_cmpuint (strlen (STR (response, "id")), ==, 5 + 24);
  g_assert_cmpstr (STR (response, "object"), ==, "response");
  g_assert_cmpstr (STR (response, "status"), ==, status);
  g_assert_true (has (response, "created_at"));
  g_assert_true (has (response, "error"));
  g_assert_true (has (response, "incomplete_details"));
  g_assert_true (sy_test_json_is_null (response, "instructions"));
  g_assert_cmpuint (sy_test_json_length (response, "metadata"), ==, 0);
  g_assert_true (flag (response, "parallel_tool_calls"));
  g_assert_true (sy_test_json_is_null (response, "temperature"));
  g_assert_true (sy_test_json_is_null (response, "top_p"));
  g_assert_cmpstr (STR (response, "tool_choice"), ==, "auto");
  g_assert_cmpuint (sy_test_json_length (response, "tools"), ==, 0);
  g_assert_cmpstr (STR (response, "text.format.type"), ==, "text");
  g_assert_cmpstr (STR (response, "truncation"), ==, "disabled");
  g_assert_true (has (response, "output"));
}

static void
test_response_text (void)
{
  g_autoptr(JsonNode) response = from_hub (
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1730000000,\"model\":\"gpt-4.1-mini\","
    " \"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello there.\"},"
    "              \"finish_reason\":\"stop\"}],"
    " \"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}");

  assert_envelope (response, "completed");
  g_assert_cmpint (sy_test_json_int (response, "created_at"), ==, 1730000000);
  g_assert_cmpstr (STR (response, "model"), ==, "gpt-4.1-mini");
  g_assert_true (sy_test_json_is_null (response, "error"));
  g_assert_true (sy_test_json_is_null (response, "incomplete_details"));
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 1);
  g_assert_cmpstr (STR (response, "output.0.type"), ==, "message");
  g_assert_true (g_str_has_prefix (STR (response, "output.0.id"), "msg_"));
  g_assert_cmpstr (STR (response, "output.0.status"), ==, "completed");
  g_assert_cmpstr (STR (response, "output.0.role"), ==, "assistant");
  g_assert_cmpuint (sy_test_json_length (response, "output.0.content"), ==, 1);
  g_assert_cmpstr (STR (response, "output.0.content.0.type"), ==, "output_text");
  g_assert_cmpstr (STR (response, "output.0.content.0.text"), ==, "Hello there.");
  g_assert_cmpuint (sy_test_json_length (response, "output.0.content.0.annotations"), ==, 0);
  g_assert_cmpuint (sy_test_json_length (response, "output.0.content.0.logprobs"), ==, 0);
  g_assert_cmpint (sy_test_json_int (response, "usage.input_tokens"), ==, 12);
  g_assert_cmpint (sy_test_json_int (response, "usage.output_tokens"), ==, 3);
  g_assert_cmpint (sy_test_json_int (response, "usage.total_tokens"), ==, 15);
  g_assert_cmpint (sy_test_json_int (response, "usage.input_tokens_details.cached_tokens"), ==, 0);
  g_assert_cmpint (sy_test_json_int (response, "usage.output_tokens_details.reasoning_tokens"), ==, 0);
  g_assert_false (has (response, "usage.cost"));
}

static void
test_response_tool_calls (void)
{
  g_autoptr(JsonNode) response = from_hub (
    "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"created\":1730000001,\"model\":\"m\","
    " \"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
    "   \"reasoning_content\":\"Need both cities.\","
    "   \"tool_calls\":["
    "     {\"id\":\"call_P\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
    "     {\"id\":\"call_L\",\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}]},"
    "   \"finish_reason\":\"tool_calls\"}]}");

  assert_envelope (response, "completed");
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 3);
  g_assert_cmpstr (STR (response, "output.0.type"), ==, "reasoning");
  g_assert_true (g_str_has_prefix (STR (response, "output.0.id"), "rs_"));
  g_assert_cmpstr (STR (response, "output.0.summary.0.type"), ==, "summary_text");
  g_assert_cmpstr (STR (response, "output.0.summary.0.text"), ==, "Need both cities.");

  g_assert_cmpstr (STR (response, "output.1.type"), ==, "function_call");
  g_assert_true (g_str_has_prefix (STR (response, "output.1.id"), "fc_"));
  g_assert_cmpstr (STR (response, "output.1.call_id"), ==, "call_P");
  g_assert_cmpstr (STR (response, "output.1.name"), ==, "weather");
  g_assert_cmpstr (STR (response, "output.1.arguments"), ==, "{\"city\":\"Paris\"}");
  g_assert_cmpstr (STR (response, "output.1.status"), ==, "completed");
  g_assert_cmpstr (STR (response, "output.2.call_id"), ==, "call_L");
  g_assert_cmpstr (STR (response, "output.2.arguments"), ==, "{\"city\":\"Lyon\"}");
  g_assert_cmpstr (STR (response, "output.1.id"), !=, STR (response, "output.2.id"));
  /* No usage from the upstream: null, not invented zeros. */
  g_assert_true (sy_test_json_is_null (response, "usage"));
}

static void
test_response_incomplete (void)
{
  g_autoptr(JsonNode) length = from_hub (
    "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Once upon a\"},"
    "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}");
  g_autoptr(JsonNode) filtered = from_hub (
    "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
    "\"finish_reason\":\"content_filter\"}]}");
  g_autoptr(JsonNode) empty = from_hub ("{\"model\":\"m\",\"choices\":[]}");

  assert_envelope (length, "incomplete");
  g_assert_cmpstr (STR (length, "incomplete_details.reason"), ==, "max_output_tokens");
  g_assert_cmpstr (STR (length, "output.0.content.0.text"), ==, "Once upon a");
  g_assert_cmpstr (STR (length, "output.0.status"), ==, "incomplete");
  g_assert_cmpint (sy_test_json_int (length, "usage.total_tokens"), ==, 9);

  assert_envelope (filtered, "incomplete");
  g_assert_cmpstr (STR (filtered, "incomplete_details.reason"), ==, "content_filter");
  g_assert_cmpuint (sy_test_json_length (filtered, "output"), ==, 0);

  assert_envelope (empty, "completed");
  g_assert_cmpuint (sy_test_json_length (empty, "output"), ==, 0);
}

static void
test_response_usage (void)
{
  g_autoptr(JsonNode) priced = from_hub (
    "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\","
    "  \"refusal\":null},\"finish_reason\":\"stop\"}],"
    " \"usage\":{\"prompt_tokens\":2000,\"completion_tokens\":700,\"total_tokens\":2700,"
    "   \"prompt_tokens_details\":{\"cached_tokens\":1500,\"cache_write_tokens\":100},"
    "   \"completion_tokens_details\":{\"reasoning_tokens\":640},"
    "   \"cost\":0.0123,\"cost_details\":{\"input\":0.001,\"output\":0.011,\"cache_read\":0.0003,\"cache_write\":0}}}");
  g_autoptr(JsonNode) unpriced = from_hub (
    "{\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
    "\"cost\":null,\"cost_details\":null}}");

  g_assert_cmpint (sy_test_json_int (priced, "usage.input_tokens"), ==, 2000);
  g_assert_cmpint (sy_test_json_int (priced, "usage.input_tokens_details.cached_tokens"), ==, 1500);
  g_assert_cmpint (sy_test_json_int (priced, "usage.input_tokens_details.cache_write_tokens"), ==, 100);
  g_assert_cmpint (sy_test_json_int (priced, "usage.output_tokens"), ==, 700);
  g_assert_cmpint (sy_test_json_int (priced, "usage.output_tokens_details.reasoning_tokens"), ==, 640);
  g_assert_cmpint (sy_test_json_int (priced, "usage.total_tokens"), ==, 2700);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (priced, "usage.cost"), 0.0123, 1e-12);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (priced, "usage.cost_details.output"), 0.011, 1e-12);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (priced, "usage.cost_details.cache_read"), 0.0003, 1e-12);
  g_assert_false (has (priced, "usage.prompt_tokens"));
  g_assert_cmpuint (sy_test_json_length (priced, "output.0.content"), ==, 1);

  g_assert_true (sy_test_json_is_null (unpriced, "usage.cost"));
  g_assert_true (sy_test_json_is_null (unpriced, "usage.cost_details"));
  g_assert_cmpint (sy_test_json_int (unpriced, "usage.total_tokens"), ==, 2);
}

/* ------------------------------------------------------------------- streams */

typedef struct {
  JsonNode *added;   /* the item as output_item.added carried it */
  JsonNode *done;    /* as output_item.done carried it, NULL while open */
  GString  *text;    /* deltas so far */
  gboolean  part_added;
} SeenItem;

static void
seen_item_free (SeenItem *item)
{
  json_node_unref (item->added);
  g_clear_pointer (&item->done, json_node_unref);
  g_string_free (item->text, TRUE);
  g_free (item);
}

static JsonNode *
event_data (GPtrArray *events,
            guint      i)
{
  SySseEvent *event = g_ptr_array_index (events, i);

  return sy_test_json_parse (event->data);
}

/* The event names, comma-separated, for asserting whole sequences. */
static char *
event_names (GPtrArray *events)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);

      if (i > 0)
        g_string_append_c (names, ',');
      g_string_append (names, event->event);
    }
  return g_strdup (names->str);
}

static SeenItem *
seen_for (GPtrArray  *seen,
          JsonNode   *data,
          gboolean    want_open)
{
  gint64 index = sy_test_json_int (data, "output_index");
  SeenItem *item;

  g_assert_cmpint (index, >=, 0);
  g_assert_cmpint (index, <, seen->len);
  item = g_ptr_array_index (seen, index);
  if (has (data, "item_id"))
    g_assert_cmpstr (STR (data, "item_id"), ==, STR (item->added, "id"));
  if (want_open)
    g_assert_null (item->done);
  return item;
}

/* Checks what every Responses stream must satisfy, replaying it the way the
 * openai SDK's accumulator does, and returns the terminal event's data. */
static JsonNode *
check_stream (GPtrArray *events)
{
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) seen_item_free);
  g_autofree char *response_id = NULL;
  JsonNode *terminal = NULL;

  g_assert_cmpuint (events->len, >=, 3);
  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      g_autoptr(JsonNode) data = event_data (events, i);
      const char *type = STR (data, "type");
      SeenItem *item;

      g_assert_nonnull (event->event);
      g_assert_cmpstr (event->event, ==, type);
      g_assert_cmpint (sy_test_json_int (data, "sequence_number"), ==, i);
      g_assert_null (terminal);

      if (i == 0)
        g_assert_cmpstr (type, ==, "response.created");
      if (i == 1)
        g_assert_cmpstr (type, ==, "response.in_progress");

      if (g_str_equal (type, "response.created") || g_str_equal (type, "response.in_progress"))
        {
          g_assert_cmpuint (i, <, 2);
          g_assert_cmpstr (STR (data, "response.status"), ==, "in_progress");
          g_assert_cmpuint (sy_test_json_length (data, "response.output"), ==, 0);
          if (response_id == NULL)
            response_id = g_strdup (STR (data, "response.id"));
          g_assert_cmpstr (STR (data, "response.id"), ==, response_id);
          assert_envelope (sy_test_json_path (data, "response"), "in_progress");
        }
      else if (g_str_equal (type, "response.output_item.added"))
        {
          item = g_new0 (SeenItem, 1);
          g_assert_cmpint (sy_test_json_int (data, "output_index"), ==, seen->len);
          item->added = json_node_copy (sy_test_json_path (data, "item"));
          item->text = g_string_new (NULL);
          g_ptr_array_add (seen, item);
          g_assert_nonnull (STR (item->added, "id"));
          if (g_strcmp0 (STR (item->added, "type"), "message") == 0)
            {
              g_assert_cmpstr (STR (item->added, "status"), ==, "in_progress");
              g_assert_cmpuint (sy_test_json_length (item->added, "content"), ==, 0);
            }
          else if (g_strcmp0 (STR (item->added, "type"), "function_call") == 0)
            {
              g_assert_cmpstr (STR (item->added, "status"), ==, "in_progress");
              g_assert_cmpstr (STR (item->added, "arguments"), ==, "");
              g_assert_nonnull (STR (item->added, "call_id"));
            }
          else
            {
              g_assert_cmpstr (STR (item->added, "type"), ==, "reasoning");
              g_assert_cmpuint (sy_test_json_length (item->added, "summary"), ==, 0);
            }
        }
      else if (g_str_equal (type, "response.content_part.added") ||
               g_str_equal (type, "response.reasoning_summary_part.added"))
        {
          item = seen_for (seen, data, TRUE);
          g_assert_false (item->part_added);
          item->part_added = TRUE;
          g_assert_cmpstr (STR (data, "part.text"), ==, "");
          if (g_str_equal (type, "response.content_part.added"))
            {
              g_assert_cmpstr (STR (item->added, "type"), ==, "message");
              g_assert_cmpint (sy_test_json_int (data, "content_index"), ==, 0);
              g_assert_cmpstr (STR (data, "part.type"), ==, "output_text");
            }
          else
            {
              g_assert_cmpstr (STR (item->added, "type"), ==, "reasoning");
              g_assert_cmpint (sy_test_json_int (data, "summary_index"), ==, 0);
              g_assert_cmpstr (STR (data, "part.type"), ==, "summary_text");
            }
        }
      else if (g_str_equal (type, "response.output_text.delta") ||
               g_str_equal (type, "response.reasoning_summary_text.delta") ||
               g_str_equal (type, "response.function_call_arguments.delta"))
        {
          item = seen_for (seen, data, TRUE);
          g_assert_cmpuint (strlen (STR (data, "delta")), >, 0);
          g_string_append (item->text, STR (data, "delta"));
          if (g_str_equal (type, "response.function_call_arguments.delta"))
            g_assert_cmpstr (STR (item->added, "type"), ==, "function_call");
          else
            g_assert_true (item->part_added);
          if (g_str_equal (type, "response.output_text.delta"))
            {
              g_assert_cmpint (sy_test_json_int (data, "content_index"), ==, 0);
              g_assert_cmpuint (sy_test_json_length (data, "logprobs"), ==, 0);
            }
        }
      else if (g_str_equal (type, "response.output_text.done") ||
               g_str_equal (type, "response.reasoning_summary_text.done"))
        {
          item = seen_for (seen, data, TRUE);
          g_assert_cmpstr (STR (data, "text"), ==, item->text->str);
        }
      else if (g_str_equal (type, "response.content_part.done") ||
               g_str_equal (type, "response.reasoning_summary_part.done"))
        {
          item = seen_for (seen, data, TRUE);
          g_assert_cmpstr (STR (data, "part.text"), ==, item->text->str);
        }
      else if (g_str_equal (type, "response.function_call_arguments.done"))
        {
          item = seen_for (seen, data, TRUE);
          g_assert_cmpstr (STR (data, "arguments"), ==, item->text->str);
          g_assert_nonnull (STR (data, "name"));
        }
      else if (g_str_equal (type, "response.output_item.done"))
        {
          JsonNode *done = sy_test_json_path (data, "item");

          item = seen_for (seen, data, TRUE);
          g_assert_cmpstr (STR (done, "id"), ==, STR (item->added, "id"));
          g_assert_cmpstr (STR (done, "type"), ==, STR (item->added, "type"));
          if (g_strcmp0 (STR (done, "type"), "message") == 0)
            g_assert_cmpstr (STR (done, "content.0.text"), ==, item->text->str);
          else if (g_strcmp0 (STR (done, "type"), "function_call") == 0)
            {
              g_assert_cmpstr (STR (done, "arguments"), ==, item->text->str);
              g_assert_cmpstr (STR (done, "call_id"), ==, STR (item->added, "call_id"));
            }
          else
            g_assert_cmpstr (STR (done, "summary.0.text"), ==, item->text->str);
          g_assert_cmpstr (STR (done, "status"), !=, "in_progress");
          item->done = json_node_copy (done);
        }
      else if (g_str_equal (type, "response.completed") || g_str_equal (type, "response.incomplete") ||
               g_str_equal (type, "response.failed"))
        {
          JsonNode *response = sy_test_json_path (data, "response");
          JsonArray *output;

          terminal = json_node_ref (data);
          g_assert_cmpstr (STR (response, "id"), ==, response_id);
          assert_envelope (response, STR (response, "status"));
          output = json_node_get_array (sy_test_json_path (response, "output"));
          g_assert_cmpuint (json_array_get_length (output), ==, seen->len);
          for (guint j = 0; j < seen->len; j++)
            {
              SeenItem *s = g_ptr_array_index (seen, j);
              JsonNode *final = json_array_get_element (output, j);

              if (s->done != NULL)
                g_assert_true (json_node_equal (final, s->done));
              else
                {
                  g_assert_cmpstr (type, ==, "response.failed");
                  g_assert_cmpstr (STR (final, "id"), ==, STR (s->added, "id"));
                }
            }
        }
      else
        g_error ("unexpected event %s", type);
    }

  g_assert_nonnull (terminal);
  return terminal;
}

static GPtrArray *
new_events (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
}

static void
feed (SyStreamEncoder *encoder,
      const char      *chunk,
      GPtrArray       *events)
{
  g_autoptr(JsonNode) node = sy_test_json_parse (chunk);

  sy_stream_encoder_chunk (encoder, json_node_get_object (node), events);
}

/* Runs @chunks (NULL-terminated) through a new encoder and finishes it. */
static GPtrArray *
encode (const char         *model,
        const char * const *chunks)
{
  g_autoptr(SyStreamEncoder) encoder = sy_responses_encoder_new (model);
  GPtrArray *events = new_events ();

  for (guint i = 0; chunks[i] != NULL; i++)
    feed (encoder, chunks[i], events);
  sy_stream_encoder_finish (encoder, events);
  return events;
}

#define CHUNK(delta, finish) \
  "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"up-model\"," \
  "\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish "}]}"

#define USAGE_CHUNK \
  "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1730000100,\"model\":\"up-model\"," \
  "\"choices\":[],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":12,\"total_tokens\":52," \
  "\"prompt_tokens_details\":{\"cached_tokens\":32},\"completion_tokens_details\":{\"reasoning_tokens\":5}," \
  "\"cost\":0.00042,\"cost_details\":{\"input\":0.0001,\"output\":0.0003,\"cache_read\":0.00002,\"cache_write\":0}}}"

static void
test_stream_text (void)
{
  static const char * const chunks[] = {
    CHUNK ("{\"role\":\"assistant\",\"content\":\"\"}", "null"),
    CHUNK ("{\"content\":\"Hel\"}", "null"),
    CHUNK ("{\"content\":\"lo, \"}", "null"),
    CHUNK ("{\"content\":\"world\"}", "null"),
    CHUNK ("{}", "\"stop\""),
    USAGE_CHUNK,
    NULL
  };
  g_autoptr(GPtrArray) events = encode ("openai/gpt-4.1-mini", chunks);
  g_autoptr(JsonNode) done = check_stream (events);
  g_autofree char *names = event_names (events);
  g_autoptr(JsonNode) created = event_data (events, 0);
  g_autoptr(JsonNode) added = event_data (events, 2);
  g_autoptr(JsonNode) delta = event_data (events, 4);
  g_autoptr(JsonNode) text_done = event_data (events, 7);
  JsonNode *response = sy_test_json_path (done, "response");

  g_assert_cmpstr (names, ==,
                   "response.created,response.in_progress,"
                   "response.output_item.added,response.content_part.added,"
                   "response.output_text.delta,response.output_text.delta,response.output_text.delta,"
                   "response.output_text.done,response.content_part.done,response.output_item.done,"
                   "response.completed");

  g_assert_cmpstr (STR (created, "response.model"), ==, "openai/gpt-4.1-mini");
  g_assert_cmpint (sy_test_json_int (created, "response.created_at"), ==, 1730000100);
  g_assert_true (sy_test_json_is_null (created, "response.usage"));
  g_assert_cmpint (sy_test_json_int (added, "output_index"), ==, 0);
  g_assert_cmpstr (STR (added, "item.type"), ==, "message");
  g_assert_cmpstr (STR (added, "item.role"), ==, "assistant");
  g_assert_true (g_str_has_prefix (STR (added, "item.id"), "msg_"));
  g_assert_cmpstr (STR (delta, "delta"), ==, "Hel");
  g_assert_cmpstr (STR (delta, "item_id"), ==, STR (added, "item.id"));
  g_assert_cmpstr (STR (text_done, "text"), ==, "Hello, world");

  g_assert_cmpstr (STR (response, "status"), ==, "completed");
  g_assert_cmpstr (STR (response, "id"), ==, STR (created, "response.id"));
  g_assert_cmpstr (STR (response, "model"), ==, "openai/gpt-4.1-mini");
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 1);
  g_assert_cmpstr (STR (response, "output.0.status"), ==, "completed");
  g_assert_cmpstr (STR (response, "output.0.content.0.type"), ==, "output_text");
  g_assert_cmpstr (STR (response, "output.0.content.0.text"), ==, "Hello, world");
  g_assert_cmpint (sy_test_json_int (response, "usage.input_tokens"), ==, 40);
  g_assert_cmpint (sy_test_json_int (response, "usage.input_tokens_details.cached_tokens"), ==, 32);
  g_assert_cmpint (sy_test_json_int (response, "usage.output_tokens"), ==, 12);
  g_assert_cmpint (sy_test_json_int (response, "usage.output_tokens_details.reasoning_tokens"), ==, 5);
  g_assert_cmpint (sy_test_json_int (response, "usage.total_tokens"), ==, 52);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (response, "usage.cost"), 0.00042, 1e-12);
  g_assert_cmpfloat_with_epsilon (sy_test_json_double (response, "usage.cost_details.cache_read"), 0.00002, 1e-12);
}

static void
test_stream_parallel_tools (void)
{
  static const char * const chunks[] = {
    CHUNK ("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_P\",\"type\":\"function\","
           "\"function\":{\"name\":\"weather\",\"arguments\":\"\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":1,\"id\":\"call_L\",\"type\":\"function\","
           "\"function\":{\"name\":\"time\",\"arguments\":\"{\\\"city\\\"\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\":\\\"Lyon\\\"}\"}}]}", "null"),
    CHUNK ("{}", "\"tool_calls\""),
    USAGE_CHUNK,
    NULL
  };
  g_autoptr(GPtrArray) events = encode ("m", chunks);
  g_autoptr(JsonNode) done = check_stream (events);
  g_autofree char *names = event_names (events);
  JsonNode *response = sy_test_json_path (done, "response");
  g_autoptr(JsonNode) added0 = event_data (events, 2);
  g_autoptr(JsonNode) delta0 = event_data (events, 3);
  g_autoptr(JsonNode) args0 = event_data (events, 5);
  g_autoptr(JsonNode) done0 = event_data (events, 6);
  g_autoptr(JsonNode) added1 = event_data (events, 7);
  g_autoptr(JsonNode) delta1 = event_data (events, 8);
  g_autoptr(JsonNode) args1 = event_data (events, 10);
  g_autoptr(JsonNode) done1 = event_data (events, 11);

  g_assert_cmpstr (names, ==,
                   "response.created,response.in_progress,"
                   "response.output_item.added,"
                   "response.function_call_arguments.delta,response.function_call_arguments.delta,"
                   "response.function_call_arguments.done,response.output_item.done,"
                   "response.output_item.added,"
                   "response.function_call_arguments.delta,response.function_call_arguments.delta,"
                   "response.function_call_arguments.done,response.output_item.done,"
                   "response.completed");

  g_assert_cmpint (sy_test_json_int (added0, "output_index"), ==, 0);
  g_assert_cmpstr (STR (added0, "item.type"), ==, "function_call");
  g_assert_true (g_str_has_prefix (STR (added0, "item.id"), "fc_"));
  g_assert_cmpstr (STR (added0, "item.call_id"), ==, "call_P");
  g_assert_cmpstr (STR (added0, "item.name"), ==, "weather");
  g_assert_cmpstr (STR (delta0, "item_id"), ==, STR (added0, "item.id"));
  g_assert_cmpint (sy_test_json_int (delta0, "output_index"), ==, 0);
  g_assert_cmpstr (STR (delta0, "delta"), ==, "{\"city\":");
  g_assert_cmpstr (STR (args0, "arguments"), ==, "{\"city\":\"Paris\"}");
  g_assert_cmpstr (STR (args0, "name"), ==, "weather");
  g_assert_cmpstr (STR (done0, "item.status"), ==, "completed");
  g_assert_cmpstr (STR (done0, "item.arguments"), ==, "{\"city\":\"Paris\"}");

  g_assert_cmpint (sy_test_json_int (added1, "output_index"), ==, 1);
  g_assert_cmpstr (STR (added1, "item.call_id"), ==, "call_L");
  g_assert_cmpstr (STR (added1, "item.name"), ==, "time");
  g_assert_cmpstr (STR (added1, "item.id"), !=, STR (added0, "item.id"));
  g_assert_cmpint (sy_test_json_int (delta1, "output_index"), ==, 1);
  g_assert_cmpstr (STR (delta1, "delta"), ==, "{\"city\"");
  g_assert_cmpstr (STR (args1, "arguments"), ==, "{\"city\":\"Lyon\"}");
  g_assert_cmpstr (STR (done1, "item.id"), ==, STR (added1, "item.id"));

  g_assert_cmpstr (STR (response, "status"), ==, "completed");
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 2);
  g_assert_cmpstr (STR (response, "output.0.arguments"), ==, "{\"city\":\"Paris\"}");
  g_assert_cmpstr (STR (response, "output.1.arguments"), ==, "{\"city\":\"Lyon\"}");
  g_assert_cmpstr (STR (response, "output.1.call_id"), ==, "call_L");
  g_assert_cmpint (sy_test_json_int (response, "usage.total_tokens"), ==, 52);
}

/* Several calls begun in one chunk, their arguments then sent in turns (as
 * some OpenAI-compatible providers stream parallel calls): every argument
 * reaches its item before that item's output_item.done, which Codex acts on. */
static void
test_stream_parallel_interleaved (void)
{
  static const char * const chunks[] = {
    CHUNK ("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
           "{\"index\":0,\"id\":\"call_A\",\"type\":\"function\",\"function\":{\"name\":\"shell\",\"arguments\":\"\"}},"
           "{\"index\":1,\"id\":\"call_B\",\"type\":\"function\",\"function\":{\"name\":\"shell\",\"arguments\":\"\"}}]}",
           "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"command\\\":\"}},"
           "{\"index\":1,\"function\":{\"arguments\":\"{\\\"command\\\":\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"[\\\"ls\\\"]}\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"[\\\"pwd\\\"]}\"}}]}", "null"),
    CHUNK ("{}", "\"tool_calls\""),
    USAGE_CHUNK,
    NULL
  };
  g_autoptr(GPtrArray) events = encode ("m", chunks);
  g_autoptr(JsonNode) done = check_stream (events);
  JsonNode *response = sy_test_json_path (done, "response");

  for (guint i = 0; i < events->len; i++)
    {
      g_autoptr(JsonNode) data = event_data (events, i);

      if (g_strcmp0 (STR (data, "type"), "response.output_item.done") != 0)
        continue;
      g_assert_cmpstr (STR (data, "item.arguments"), ==,
                       sy_test_json_int (data, "output_index") == 0 ? "{\"command\":[\"ls\"]}"
                                                                    : "{\"command\":[\"pwd\"]}");
    }
  g_assert_cmpstr (STR (response, "status"), ==, "completed");
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 2);
  g_assert_cmpstr (STR (response, "output.0.call_id"), ==, "call_A");
  g_assert_cmpstr (STR (response, "output.0.arguments"), ==, "{\"command\":[\"ls\"]}");
  g_assert_cmpstr (STR (response, "output.1.call_id"), ==, "call_B");
  g_assert_cmpstr (STR (response, "output.1.arguments"), ==, "{\"command\":[\"pwd\"]}");
}

static void
test_stream_reasoning_text_tool (void)
{
  static const char * const chunks[] = {
    CHUNK ("{\"role\":\"assistant\",\"reasoning_content\":\"The user \"}", "null"),
    CHUNK ("{\"reasoning_content\":\"wants a file.\"}", "null"),
    CHUNK ("{\"content\":\"Reading it.\"}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"id\":\"call_R\",\"type\":\"function\","
           "\"function\":{\"name\":\"read\",\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}}]}", "null"),
    CHUNK ("{}", "\"tool_calls\""),
    NULL
  };
  g_autoptr(GPtrArray) events = encode ("m", chunks);
  g_autoptr(JsonNode) done = check_stream (events);
  g_autofree char *names = event_names (events);
  JsonNode *response = sy_test_json_path (done, "response");

  g_assert_cmpstr (names, ==,
                   "response.created,response.in_progress,"
                   "response.output_item.added,response.reasoning_summary_part.added,"
                   "response.reasoning_summary_text.delta,response.reasoning_summary_text.delta,"
                   "response.reasoning_summary_text.done,response.reasoning_summary_part.done,"
                   "response.output_item.done,"
                   "response.output_item.added,response.content_part.added,response.output_text.delta,"
                   "response.output_text.done,response.content_part.done,response.output_item.done,"
                   "response.output_item.added,response.function_call_arguments.delta,"
                   "response.function_call_arguments.done,response.output_item.done,"
                   "response.completed");
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 3);
  g_assert_cmpstr (STR (response, "output.0.type"), ==, "reasoning");
  g_assert_cmpstr (STR (response, "output.0.summary.0.text"), ==, "The user wants a file.");
  g_assert_cmpstr (STR (response, "output.1.content.0.text"), ==, "Reading it.");
  g_assert_cmpstr (STR (response, "output.2.arguments"), ==, "{\"path\":\"a\"}");
  /* The stream carried no usage chunk. */
  g_assert_true (sy_test_json_is_null (response, "usage"));
}

static void
test_stream_incomplete (void)
{
  static const char * const length_chunks[] = {
    CHUNK ("{\"content\":\"Once upon\"}", "null"),
    CHUNK ("{}", "\"length\""),
    NULL
  };
  static const char * const filter_chunks[] = {
    CHUNK ("{\"content\":\"Well\"}", "\"content_filter\""),
    NULL
  };
  g_autoptr(GPtrArray) length = encode ("m", length_chunks);
  g_autoptr(GPtrArray) filter = encode ("m", filter_chunks);
  g_autoptr(JsonNode) length_done = check_stream (length);
  g_autoptr(JsonNode) filter_done = check_stream (filter);

  g_assert_cmpstr (STR (length_done, "type"), ==, "response.incomplete");
  g_assert_cmpstr (STR (length_done, "response.status"), ==, "incomplete");
  g_assert_cmpstr (STR (length_done, "response.incomplete_details.reason"), ==, "max_output_tokens");
  g_assert_cmpstr (STR (length_done, "response.output.0.status"), ==, "incomplete");
  g_assert_cmpstr (STR (length_done, "response.output.0.content.0.text"), ==, "Once upon");

  g_assert_cmpstr (STR (filter_done, "type"), ==, "response.incomplete");
  g_assert_cmpstr (STR (filter_done, "response.incomplete_details.reason"), ==, "content_filter");
}

static void
test_stream_finish_only (void)
{
  g_autoptr(SyStreamEncoder) encoder = sy_responses_encoder_new ("anthropic/claude-sonnet-4");
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(JsonNode) done = NULL;
  g_autofree char *names = NULL;
  guint n;

  sy_stream_encoder_finish (encoder, events);
  done = check_stream (events);
  names = event_names (events);
  g_assert_cmpstr (names, ==, "response.created,response.in_progress,response.completed");
  g_assert_cmpstr (STR (done, "response.model"), ==, "anthropic/claude-sonnet-4");
  g_assert_cmpuint (sy_test_json_length (done, "response.output"), ==, 0);
  g_assert_cmpint (sy_test_json_int (done, "response.created_at"), >, 1600000000);

  /* Nothing follows the end. */
  n = events->len;
  feed (encoder, CHUNK ("{\"content\":\"late\"}", "null"), events);
  sy_stream_encoder_finish (encoder, events);
  sy_stream_encoder_error (encoder, 500, "server_error", "late", events);
  g_assert_cmpuint (events->len, ==, n);
}

static void
test_stream_odd_chunks (void)
{
  static const char * const chunks[] = {
    "{}",
    "{\"choices\":null}",
    "{\"choices\":[42]}",
    "{\"choices\":[{\"delta\":null}]}",
    "{\"choices\":[{\"delta\":{\"content\":7,\"reasoning_content\":null,\"tool_calls\":\"x\"}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"A\",\"tool_calls\":[1,{\"function\":null}]}}]}",
    /* A call without id or index, and a name arriving after the first fragment. */
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{\"}}]}}]}",
    "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"late_name\",\"arguments\":\"}\"}}]}}]}",
    "{\"choices\":[{\"delta\":{\"content\":\"B\"},\"finish_reason\":7}]}",
    "{\"usage\":\"lots\"}",
    NULL
  };
  g_autoptr(GPtrArray) events = encode (NULL, chunks);
  g_autoptr(JsonNode) done = check_stream (events);
  JsonNode *response = sy_test_json_path (done, "response");

  g_assert_cmpstr (STR (response, "status"), ==, "completed");
  g_assert_cmpstr (STR (response, "model"), ==, "");
  g_assert_true (sy_test_json_is_null (response, "usage"));
  /* Fragments with nothing in them ({"function": null}) open no call. */
  g_assert_cmpuint (sy_test_json_length (response, "output"), ==, 3);
  g_assert_cmpstr (STR (response, "output.0.content.0.text"), ==, "A");
  g_assert_cmpstr (STR (response, "output.1.type"), ==, "function_call");
  g_assert_true (g_str_has_prefix (STR (response, "output.1.call_id"), "call_"));
  g_assert_cmpstr (STR (response, "output.1.arguments"), ==, "{}");
  g_assert_cmpstr (STR (response, "output.1.name"), ==, "late_name");
  g_assert_cmpstr (STR (response, "output.2.content.0.text"), ==, "B");
}

static void
test_stream_error_mid_item (void)
{
  g_autoptr(SyStreamEncoder) encoder = sy_responses_encoder_new ("m");
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(JsonNode) failed = NULL;
  g_autofree char *names = NULL;
  guint n;

  feed (encoder, CHUNK ("{\"content\":\"Partial an\"}", "null"), events);
  sy_stream_encoder_error (encoder, 502, "upstream_error", "The upstream closed the connection", events);
  failed = check_stream (events);
  names = event_names (events);

  g_assert_cmpstr (names, ==,
                   "response.created,response.in_progress,"
                   "response.output_item.added,response.content_part.added,response.output_text.delta,"
                   "response.failed");
  g_assert_cmpstr (STR (failed, "response.status"), ==, "failed");
  g_assert_cmpstr (STR (failed, "response.error.code"), ==, "upstream_error");
  g_assert_cmpstr (STR (failed, "response.error.message"), ==, "The upstream closed the connection");
  g_assert_cmpstr (STR (failed, "response.output.0.status"), ==, "incomplete");
  g_assert_cmpstr (STR (failed, "response.output.0.content.0.text"), ==, "Partial an");

  n = events->len;
  sy_stream_encoder_finish (encoder, events);
  g_assert_cmpuint (events->len, ==, n);
}

static void
test_stream_error_first (void)
{
  g_autoptr(SyStreamEncoder) encoder = sy_responses_encoder_new ("m");
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(JsonNode) failed = NULL;
  g_autofree char *names = NULL;

  sy_stream_encoder_error (encoder, 429, NULL, "Rate limited", events);
  failed = check_stream (events);
  names = event_names (events);
  g_assert_cmpstr (names, ==, "response.created,response.in_progress,response.failed");
  g_assert_cmpstr (STR (failed, "response.error.code"), ==, "rate_limit_exceeded");
  g_assert_cmpstr (STR (failed, "response.error.message"), ==, "Rate limited");
  g_assert_cmpuint (sy_test_json_length (failed, "response.output"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/responses/request/string-input", test_request_string_input);
  g_test_add_func ("/responses/request/items", test_request_items);
  g_test_add_func ("/responses/request/function-round-trip", test_request_function_round_trip);
  g_test_add_func ("/responses/request/text-format", test_request_text_format);
  g_test_add_func ("/responses/request/reasoning", test_request_reasoning);
  g_test_add_func ("/responses/request/tools-dropped", test_request_tools_dropped);
  g_test_add_func ("/responses/request/refused", test_request_refused);
  g_test_add_func ("/responses/request/lenient", test_request_lenient);
  g_test_add_func ("/responses/response/text", test_response_text);
  g_test_add_func ("/responses/response/tool-calls", test_response_tool_calls);
  g_test_add_func ("/responses/response/incomplete", test_response_incomplete);
  g_test_add_func ("/responses/response/usage", test_response_usage);
  g_test_add_func ("/responses/stream/text", test_stream_text);
  g_test_add_func ("/responses/stream/parallel-tools", test_stream_parallel_tools);
  g_test_add_func ("/responses/stream/parallel-interleaved", test_stream_parallel_interleaved);
  g_test_add_func ("/responses/stream/reasoning-text-tool", test_stream_reasoning_text_tool);
  g_test_add_func ("/responses/stream/incomplete", test_stream_incomplete);
  g_test_add_func ("/responses/stream/finish-only", test_stream_finish_only);
  g_test_add_func ("/responses/stream/odd-chunks", test_stream_odd_chunks);
  g_test_add_func ("/responses/stream/error-mid-item", test_stream_error_mid_item);
  g_test_add_func ("/responses/stream/error-first", test_stream_error_first);

  return g_test_run ();
}
