/* test-translate-gemini.c — tests for the Gemini translator: requests, answers,
 * streams and the adapter's HTTP request, with payloads shaped like recorded ones.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-translate-gemini"

#include "sy-test-util.h"
#include "sy-json.h"
#include "sy-sse.h"
#include "sy-translate.h"

#include <string.h>

/* ------------------------------------------------------------- helpers */

/* The hub request @hub_json as a Gemini request, asserting it translates. */
static JsonNode *
to_gemini (const char *hub_json)
{
  g_autoptr(JsonNode) hub = sy_test_json_parse (hub_json);
  g_autoptr(GError) error = NULL;
  JsonObject *request = sy_gemini_request_from_hub (json_node_get_object (hub), &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  return sy_test_json_node_take (request);
}

static void
assert_request_invalid (const char *hub_json,
                        const char *message_part)
{
  g_autoptr(JsonNode) hub = sy_test_json_parse (hub_json);
  g_autoptr(GError) error = NULL;
  JsonObject *request = sy_gemini_request_from_hub (json_node_get_object (hub), &error);

  g_assert_null (request);
  g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID);
  if (strstr (error->message, message_part) == NULL)
    g_error ("“%s” does not mention “%s”", error->message, message_part);
}

static JsonNode *
to_hub (const char *gemini_json,
        const char *model)
{
  g_autoptr(JsonNode) response = sy_test_json_parse (gemini_json);
  g_autoptr(GError) error = NULL;
  JsonObject *completion = sy_gemini_response_to_hub (json_node_get_object (response), model, &error);

  g_assert_no_error (error);
  g_assert_nonnull (completion);
  return sy_test_json_node_take (completion);
}

/* The compact JSON text at @path (NULL when absent). */
static char *
json_at (JsonNode   *root,
         const char *path)
{
  JsonNode *node = sy_test_json_path (root, path);

  return node != NULL ? sy_json_to_string (node) : NULL;
}

static void
assert_json_at (JsonNode   *root,
                const char *path,
                const char *expected)
{
  g_autofree char *got = json_at (root, path);

  g_assert_cmpstr (got, ==, expected);
}

/* Does any object under @node have a member @name? */
static gboolean
mentions_member (JsonNode   *node,
                 const char *name)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *value;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &member, &value))
        if (g_str_equal (member, name) || mentions_member (value, name))
          return TRUE;
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (mentions_member (json_array_get_element (array, i), name))
          return TRUE;
    }
  return FALSE;
}

/* --------------------------------------------------- hub request → Gemini */

static void
test_request_text (void)
{
  g_autoptr(JsonNode) out = to_gemini (
    "{\"model\":\"gemini-2.5-flash\",\"stream\":false,"
    " \"messages\":["
    "  {\"role\":\"system\",\"content\":\"You are a terse assistant.\"},"
    "  {\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Answer in French.\"}]},"
    "  {\"role\":\"user\",\"content\":\"What is the capital of Japan?\"}],"
    " \"user\":\"abc\",\"metadata\":{\"x\":1},\"stream_options\":{\"include_usage\":true}}");

  assert_json_at (out, "systemInstruction",
                  "{\"parts\":[{\"text\":\"You are a terse assistant.\"},{\"text\":\"Answer in French.\"}]}");
  assert_json_at (out, "contents",
                  "[{\"role\":\"user\",\"parts\":[{\"text\":\"What is the capital of Japan?\"}]}]");
  /* Nothing asked for, nothing sent; unknown hub members stay behind. */
  g_assert_null (sy_test_json_path (out, "generationConfig"));
  g_assert_null (sy_test_json_path (out, "tools"));
  g_assert_null (sy_test_json_path (out, "toolConfig"));
  g_assert_cmpuint (sy_test_json_length (out, ""), ==, 2);
}

static void
test_request_multi_turn (void)
{
  g_autoptr(JsonNode) out = to_gemini (
    "{\"model\":\"g\",\"messages\":["
    "  {\"role\":\"user\",\"content\":\"Hi, I'm Ana.\"},"
    "  {\"role\":\"assistant\",\"content\":\"Hello Ana!\",\"reasoning_content\":\"Greet back.\"},"
    "  {\"role\":\"user\",\"content\":\"What's my name?\"},"
    "  {\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Be brief.\"}]},"
    "  {\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Ana.\"}]},"
    "  {\"role\":\"assistant\",\"content\":null},"
    "  {\"role\":\"assistant\",\"content\":\"Anything else?\"},"
    "  {\"role\":\"user\",\"content\":\"No, thanks.\"}]}");

  g_assert_cmpuint (sy_test_json_length (out, "contents"), ==, 5);
  assert_json_at (out, "contents.0", "{\"role\":\"user\",\"parts\":[{\"text\":\"Hi, I'm Ana.\"}]}");
  /* reasoning_content is not sent back. */
  assert_json_at (out, "contents.1", "{\"role\":\"model\",\"parts\":[{\"text\":\"Hello Ana!\"}]}");
  /* Consecutive same-role messages are one turn. */
  assert_json_at (out, "contents.2",
                  "{\"role\":\"user\",\"parts\":[{\"text\":\"What's my name?\"},{\"text\":\"Be brief.\"}]}");
  assert_json_at (out, "contents.3",
                  "{\"role\":\"model\",\"parts\":[{\"text\":\"Ana.\"},{\"text\":\"Anything else?\"}]}");
  assert_json_at (out, "contents.4", "{\"role\":\"user\",\"parts\":[{\"text\":\"No, thanks.\"}]}");
  g_assert_null (sy_test_json_path (out, "systemInstruction"));
  g_assert_false (mentions_member (out, "reasoning_content"));
}

static void
test_request_images (void)
{
  g_autoptr(JsonNode) out = to_gemini (
    "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":["
    "  {\"type\":\"text\",\"text\":\"Compare these.\"},"
    "  {\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAE=\",\"detail\":\"high\"}},"
    "  {\"type\":\"image_url\",\"image_url\":{\"url\":\"https://upload.example.org/wiki/Cat.WEBP?width=640#top\"}},"
    "  {\"type\":\"image_url\",\"image_url\":{\"url\":\"http://example.com/photos/12345\"}},"
    "  {\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.gif\"}}]}]}");

  g_assert_cmpuint (sy_test_json_length (out, "contents.0.parts"), ==, 5);
  assert_json_at (out, "contents.0.parts.0", "{\"text\":\"Compare these.\"}");
  assert_json_at (out, "contents.0.parts.1",
                  "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"iVBORw0KGgoAAAANSUhEUgAAAAE=\"}}");
  assert_json_at (out, "contents.0.parts.2",
                  "{\"fileData\":{\"mimeType\":\"image/webp\","
                  "\"fileUri\":\"https://upload.example.org/wiki/Cat.WEBP?width=640#top\"}}");
  /* No extension: the default. */
  assert_json_at (out, "contents.0.parts.3",
                  "{\"fileData\":{\"mimeType\":\"image/jpeg\",\"fileUri\":\"http://example.com/photos/12345\"}}");
  g_assert_cmpstr (sy_test_json_string (out, "contents.0.parts.4.fileData.mimeType"), ==, "image/gif");

  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":["
                          " {\"type\":\"text\",\"text\":\"x\"},"
                          " {\"type\":\"image_url\",\"image_url\":{\"url\":\"ftp://example.com/a.png\"}}]}]}",
                          "messages[0].content[1].image_url");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":["
                          " {\"type\":\"video_url\",\"video_url\":{\"url\":\"https://x/y.mp4\"}}]}]}",
                          "messages[0].content[0].type");
}

/* A recorded agent loop: function tools with schemas as SDKs (zod, pydantic) emit
 * them, two parallel calls, their results, and the final question. */
static const char tools_request[] =
  "{\"model\":\"gemini-2.5-flash\",\"messages\":["
  "  {\"role\":\"system\",\"content\":\"Use the tools.\"},"
  "  {\"role\":\"user\",\"content\":\"Weather in Paris and Tokyo?\"},"
  "  {\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
  "    {\"id\":\"call_paris\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}},"
  "    {\"id\":\"call_tokyo\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Tokyo\\\",\\\"unit\\\":\\\"celsius\\\"}\"}},"
  "    {\"id\":\"call_time\",\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"arguments\":\"\"}}]},"
  "  {\"role\":\"tool\",\"tool_call_id\":\"call_paris\",\"content\":\"{\\\"temp\\\":18,\\\"sky\\\":\\\"cloudy\\\"}\"},"
  "  {\"role\":\"tool\",\"tool_call_id\":\"call_tokyo\",\"content\":\"24C and sunny\"},"
  "  {\"role\":\"tool\",\"tool_call_id\":\"call_time\",\"content\":[{\"type\":\"text\",\"text\":\"[1,2]\"}]},"
  "  {\"role\":\"assistant\",\"content\":\"Paris 18, Tokyo 24.\"},"
  "  {\"role\":\"user\",\"content\":\"Thanks\"}],"
  " \"tools\":["
  "  {\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Current weather\",\"strict\":true,"
  "   \"parameters\":{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\",\"title\":\"Args\","
  "    \"properties\":{"
  "      \"city\":{\"type\":\"string\",\"description\":\"City name\",\"examples\":[\"Paris\"]},"
  "      \"unit\":{\"type\":[\"string\",\"null\"],\"enum\":[\"celsius\",\"fahrenheit\"],\"default\":\"celsius\"},"
  "      \"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":7},"
  "      \"tags\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}},"
  "                \"additionalProperties\":false},\"maxItems\":3}},"
  "    \"required\":[\"city\"],\"additionalProperties\":false}}},"
  "  {\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\",\"properties\":{},"
  "   \"additionalProperties\":false}}}],"
  " \"tool_choice\":\"auto\",\"parallel_tool_calls\":true}";

/* Gemini's Schema.enum is a list of strings: an MCP tool with a numeric enum,
 * a boolean const or a nullable enum would be refused with a 400 ("Invalid
 * value at ...enum[0] (TYPE_STRING), 1"). */
static void
test_request_tool_enums (void)
{
  g_autoptr(JsonNode) out = to_gemini (
    "{\"model\":\"gemini-2.5-flash\",\"messages\":[{\"role\":\"user\",\"content\":\"Set it\"}],"
    " \"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"set_level\",\"parameters\":{"
    "   \"type\":\"object\",\"properties\":{"
    "     \"level\":{\"type\":\"integer\",\"enum\":[1,2,3]},"
    "     \"ratio\":{\"type\":\"number\",\"enum\":[0.5,1.5]},"
    "     \"force\":{\"type\":\"boolean\",\"const\":true},"
    "     \"mode\":{\"enum\":[\"fast\",\"slow\",null]}},"
    "   \"required\":[\"level\"]}}}]}");

  assert_json_at (out, "tools.0.functionDeclarations.0.parameters.properties",
                  "{\"level\":{\"type\":\"integer\",\"enum\":[\"1\",\"2\",\"3\"]},"
                  "\"ratio\":{\"type\":\"number\",\"enum\":[\"0.5\",\"1.5\"]},"
                  "\"force\":{\"type\":\"boolean\",\"enum\":[\"true\"]},"
                  "\"mode\":{\"nullable\":true,\"enum\":[\"fast\",\"slow\"]}}");
}

static void
test_request_tools (void)
{
  g_autoptr(JsonNode) out = to_gemini (tools_request);

  g_assert_cmpuint (sy_test_json_length (out, "contents"), ==, 5);
  assert_json_at (out, "contents.0", "{\"role\":\"user\",\"parts\":[{\"text\":\"Weather in Paris and Tokyo?\"}]}");
  /* The parallel calls are one model turn; arguments are parsed objects. */
  assert_json_at (out, "contents.1",
                  "{\"role\":\"model\",\"parts\":["
                  "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},"
                  "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Tokyo\",\"unit\":\"celsius\"}}},"
                  "{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]}");
  /* The results are one user turn, named after their calls: an object result as
   * it is, anything else wrapped. */
  assert_json_at (out, "contents.2",
                  "{\"role\":\"user\",\"parts\":["
                  "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"temp\":18,\"sky\":\"cloudy\"}}},"
                  "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"result\":\"24C and sunny\"}}},"
                  "{\"functionResponse\":{\"name\":\"get_time\",\"response\":{\"result\":\"[1,2]\"}}}]}");
  assert_json_at (out, "contents.3", "{\"role\":\"model\",\"parts\":[{\"text\":\"Paris 18, Tokyo 24.\"}]}");
  assert_json_at (out, "contents.4", "{\"role\":\"user\",\"parts\":[{\"text\":\"Thanks\"}]}");

  g_assert_cmpuint (sy_test_json_length (out, "tools"), ==, 1);
  g_assert_cmpuint (sy_test_json_length (out, "tools.0.functionDeclarations"), ==, 2);
  assert_json_at (out, "tools.0.functionDeclarations.0",
                  "{\"name\":\"get_weather\",\"description\":\"Current weather\",\"parameters\":{"
                  "\"type\":\"object\",\"properties\":{"
                  "\"city\":{\"type\":\"string\",\"description\":\"City name\"},"
                  "\"unit\":{\"type\":\"string\",\"nullable\":true,\"enum\":[\"celsius\",\"fahrenheit\"]},"
                  "\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":7},"
                  "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"k\":{\"type\":\"string\"}}},"
                  "\"maxItems\":3}},"
                  "\"required\":[\"city\"]}}");
  /* An object without properties is refused by Gemini: no parameters at all. */
  assert_json_at (out, "tools.0.functionDeclarations.1", "{\"name\":\"get_time\"}");
  assert_json_at (out, "toolConfig", "{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}");
  g_assert_false (mentions_member (out, "additionalProperties"));
  g_assert_false (mentions_member (out, "$schema"));
  g_assert_false (mentions_member (out, "strict"));
  g_assert_false (mentions_member (out, "id"));
}

/* Gemini's answer with parallel calls goes to the client, whose next request
 * carries the invented ids back: the names must come out right. */
static void
test_function_round_trip (void)
{
  g_autoptr(JsonNode) completion = to_hub (
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "  {\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"CiQBVKhc7w==\"},"
    "  {\"functionCall\":{\"name\":\"get_stock\",\"args\":{\"symbol\":\"GOOG\"}}}]},"
    "  \"finishReason\":\"STOP\",\"index\":0}],"
    " \"usageMetadata\":{\"promptTokenCount\":80,\"candidatesTokenCount\":30,\"totalTokenCount\":110},"
    " \"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"resp1\"}", "gemini-2.5-flash");
  JsonObject *message = json_node_get_object (sy_test_json_path (completion, "choices.0.message"));
  const char *id_weather = sy_test_json_string (completion, "choices.0.message.tool_calls.0.id");
  const char *id_stock = sy_test_json_string (completion, "choices.0.message.tool_calls.1.id");
  g_autoptr(JsonObject) hub = json_object_new ();
  g_autoptr(JsonNode) hub_node = NULL;
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *messages = json_array_new ();
  JsonObject *user = json_object_new ();
  JsonObject *result;

  g_assert_cmpstr (sy_test_json_string (completion, "choices.0.finish_reason"), ==, "tool_calls");
  g_assert_true (g_str_has_prefix (id_weather, "call_"));
  g_assert_cmpuint (strlen (id_weather), ==, 5 + 24);
  g_assert_cmpstr (id_weather, !=, id_stock);

  json_object_set_string_member (user, "role", "user");
  json_object_set_string_member (user, "content", "Weather and GOOG?");
  json_array_add_object_element (messages, user);
  json_array_add_object_element (messages, json_object_ref (message));
  /* Answered out of order, as clients may. */
  result = json_object_new ();
  json_object_set_string_member (result, "role", "tool");
  json_object_set_string_member (result, "tool_call_id", id_stock);
  json_object_set_string_member (result, "content", "{\"price\":171.5}");
  json_array_add_object_element (messages, result);
  result = json_object_new ();
  json_object_set_string_member (result, "role", "tool");
  json_object_set_string_member (result, "tool_call_id", id_weather);
  json_object_set_string_member (result, "content", "rain");
  json_array_add_object_element (messages, result);
  json_object_set_array_member (hub, "messages", messages);

  hub_node = sy_test_json_node_take (json_object_ref (hub));
  out = sy_test_json_node_take (sy_gemini_request_from_hub (hub, &error));
  g_assert_no_error (error);

  assert_json_at (out, "contents.1",
                  "{\"role\":\"model\",\"parts\":["
                  "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},"
                  "{\"functionCall\":{\"name\":\"get_stock\",\"args\":{\"symbol\":\"GOOG\"}}}]}");
  assert_json_at (out, "contents.2",
                  "{\"role\":\"user\",\"parts\":["
                  "{\"functionResponse\":{\"name\":\"get_stock\",\"response\":{\"price\":171.5}}},"
                  "{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"result\":\"rain\"}}}]}");
  /* The hub request is left as it was. */
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);
  g_assert_cmpstr (sy_test_json_string (hub_node, "messages.1.tool_calls.0.function.arguments"), ==,
                   "{\"city\":\"Paris\"}");
}

static void
test_request_tool_choice (void)
{
  static const struct { const char *choice; const char *config; } cases[] = {
    { "\"auto\"", "{\"functionCallingConfig\":{\"mode\":\"AUTO\"}}" },
    { "\"none\"", "{\"functionCallingConfig\":{\"mode\":\"NONE\"}}" },
    { "\"required\"", "{\"functionCallingConfig\":{\"mode\":\"ANY\"}}" },
    { "{\"type\":\"function\",\"function\":{\"name\":\"lookup\"}}",
      "{\"functionCallingConfig\":{\"allowedFunctionNames\":[\"lookup\"],\"mode\":\"ANY\"}}" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *hub = g_strdup_printf (
        "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
        " \"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\","
        "   \"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}}}],"
        " \"tool_choice\":%s}", cases[i].choice);
      g_autoptr(JsonNode) out = to_gemini (hub);

      assert_json_at (out, "toolConfig", cases[i].config);
      assert_json_at (out, "tools.0.functionDeclarations.0.parameters",
                      "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}");
    }

  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                          " \"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],"
                          " \"tool_choice\":\"sometimes\"}", "tool_choice");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                          " \"tools\":[{\"type\":\"web_search\"}]}", "tools[0].type");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
                          " \"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                          "            {\"type\":\"function\",\"function\":{\"description\":\"no name\"}}]}",
                          "tools[1].function.name");
}

static void
test_request_json_schema (void)
{
  g_autoptr(JsonNode) out = to_gemini (
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Extract the event.\"}],"
    " \"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"event\",\"strict\":true,"
    "  \"schema\":{\"type\":\"object\",\"additionalProperties\":false,\"$id\":\"urn:event\","
    "   \"properties\":{"
    "    \"name\":{\"type\":\"string\",\"title\":\"Name\"},"
    "    \"date\":{\"type\":\"string\",\"format\":\"date-time\"},"
    "    \"kind\":{\"const\":\"meeting\"},"
    "    \"where\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"object\",\"properties\":{\"room\":{\"type\":\"integer\"}},"
    "               \"additionalProperties\":false}]},"
    "    \"people\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1}},"
    "   \"required\":[\"name\",\"date\"],\"propertyOrdering\":[\"name\",\"date\"]}}}}");

  g_assert_cmpstr (sy_test_json_string (out, "generationConfig.responseMimeType"), ==, "application/json");
  assert_json_at (out, "generationConfig.responseSchema",
                  "{\"type\":\"object\",\"properties\":{"
                  "\"name\":{\"type\":\"string\"},"
                  "\"date\":{\"type\":\"string\",\"format\":\"date-time\"},"
                  "\"kind\":{\"enum\":[\"meeting\"]},"
                  "\"where\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"object\",\"properties\":{\"room\":{\"type\":\"integer\"}}}]},"
                  "\"people\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1}},"
                  "\"required\":[\"name\",\"date\"],\"propertyOrdering\":[\"name\",\"date\"]}");
  g_assert_false (mentions_member (out, "additionalProperties"));

  {
    g_autoptr(JsonNode) plain = to_gemini ("{\"messages\":[{\"role\":\"user\",\"content\":\"JSON please\"}],"
                                           " \"response_format\":{\"type\":\"json_object\"}}");

    assert_json_at (plain, "generationConfig", "{\"responseMimeType\":\"application/json\"}");
  }
  {
    g_autoptr(JsonNode) text = to_gemini ("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                          " \"response_format\":{\"type\":\"text\"}}");

    g_assert_null (sy_test_json_path (text, "generationConfig"));
  }
}

static void
test_request_generation_config (void)
{
  g_autoptr(JsonNode) out = to_gemini (
    "{\"messages\":[{\"role\":\"user\",\"content\":\"Count.\"}],"
    " \"temperature\":0.25,\"top_p\":0.9,\"max_tokens\":100,\"max_completion_tokens\":2048,"
    " \"stop\":[\"END\",\"\\n\\n\",7],\"n\":2,\"seed\":42,\"presence_penalty\":0.5,\"frequency_penalty\":-0.5,"
    " \"reasoning_effort\":\"medium\",\"logit_bias\":{\"50256\":-100}}");

  g_assert_cmpfloat (sy_test_json_double (out, "generationConfig.temperature"), ==, 0.25);
  g_assert_cmpfloat (sy_test_json_double (out, "generationConfig.topP"), ==, 0.9);
  g_assert_cmpint (sy_test_json_int (out, "generationConfig.maxOutputTokens"), ==, 2048);
  assert_json_at (out, "generationConfig.stopSequences", "[\"END\",\"\\n\\n\"]");
  g_assert_cmpint (sy_test_json_int (out, "generationConfig.candidateCount"), ==, 2);
  g_assert_cmpint (sy_test_json_int (out, "generationConfig.seed"), ==, 42);
  g_assert_cmpfloat (sy_test_json_double (out, "generationConfig.presencePenalty"), ==, 0.5);
  g_assert_cmpfloat (sy_test_json_double (out, "generationConfig.frequencyPenalty"), ==, -0.5);
  assert_json_at (out, "generationConfig.thinkingConfig", "{\"thinkingBudget\":8192,\"includeThoughts\":true}");
  g_assert_cmpuint (sy_test_json_length (out, "generationConfig"), ==, 9);
  g_assert_false (mentions_member (out, "logit_bias"));

  {
    g_autoptr(JsonNode) low = to_gemini ("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                                         " \"max_tokens\":64,\"stop\":\"STOP\",\"reasoning_effort\":\"low\"}");

    assert_json_at (low, "generationConfig",
                    "{\"maxOutputTokens\":64,\"stopSequences\":[\"STOP\"],"
                    "\"thinkingConfig\":{\"thinkingBudget\":1024,\"includeThoughts\":true}}");
  }
  {
    g_autoptr(JsonNode) high = to_gemini ("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                                          " \"reasoning_effort\":\"high\"}");

    assert_json_at (high, "generationConfig.thinkingConfig", "{\"thinkingBudget\":24576,\"includeThoughts\":true}");
  }
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"reasoning_effort\":\"max\"}",
                          "reasoning_effort");
}

static void
test_request_invalid (void)
{
  /* A result for a call nobody made. */
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                          " {\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"call_a\",\"type\":\"function\","
                          "   \"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                          " {\"role\":\"tool\",\"tool_call_id\":\"call_b\",\"content\":\"1\"}]}",
                          "messages[2].tool_call_id");
  /* Before the call that it answers. */
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                          " {\"role\":\"tool\",\"tool_call_id\":\"call_a\",\"content\":\"1\"}]}",
                          "call_a");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                          " {\"role\":\"tool\",\"content\":\"1\"}]}",
                          "messages[1].tool_call_id");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                          " {\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                          "   \"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}]}",
                          "messages[1].tool_calls[0].function.arguments");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                          " {\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
                          "   \"function\":{\"name\":\"f\",\"arguments\":\"[1]\"}}]}]}",
                          "must be a JSON object");
  /* Nothing but instructions. */
  assert_request_invalid ("{\"messages\":[{\"role\":\"system\",\"content\":\"Be nice.\"}]}", "messages");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", "messages");
  assert_request_invalid ("{\"messages\":[]}", "messages");
  assert_request_invalid ("{\"model\":\"g\"}", "messages");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"robot\",\"content\":\"x\"}]}",
                          "messages[1].role");
  assert_request_invalid ("{\"messages\":[{\"role\":\"user\",\"content\":42}]}", "messages[0].content");
  assert_request_invalid ("{\"messages\":[\"hello\"]}", "messages[0]");
}

/* ------------------------------------------------------ Gemini answer → hub */

static void
test_response_text (void)
{
  /* gemini-2.5-pro with includeThoughts, served from a context cache. */
  g_autoptr(JsonNode) out = to_hub (
    "{\"candidates\":[{\"content\":{\"parts\":["
    "   {\"text\":\"**Recalling facts**\\nTokyo is the capital.\",\"thought\":true},"
    "   {\"text\":\"The capital of Japan \"},{\"text\":\"is Tokyo.\",\"thoughtSignature\":\"Cs8BAcu98PA=\"}],"
    "  \"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0,"
    "  \"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"probability\":\"NEGLIGIBLE\"}]}],"
    " \"usageMetadata\":{\"promptTokenCount\":1200,\"candidatesTokenCount\":8,\"totalTokenCount\":1318,"
    "  \"cachedContentTokenCount\":1024,\"thoughtsTokenCount\":110,\"toolUsePromptTokenCount\":5,"
    "  \"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":1200}]},"
    " \"modelVersion\":\"gemini-2.5-pro\",\"responseId\":\"JRkGaf3TJPm-nvgPkaKq4Ag\"}",
    "gemini-pro-alias");

  g_assert_cmpstr (sy_test_json_string (out, "id"), ==, "JRkGaf3TJPm-nvgPkaKq4Ag");
  g_assert_cmpstr (sy_test_json_string (out, "object"), ==, "chat.completion");
  g_assert_cmpstr (sy_test_json_string (out, "model"), ==, "gemini-2.5-pro");
  g_assert_cmpint (sy_test_json_int (out, "created"), >, 1600000000);
  g_assert_cmpuint (sy_test_json_length (out, "choices"), ==, 1);
  g_assert_cmpint (sy_test_json_int (out, "choices.0.index"), ==, 0);
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.message.role"), ==, "assistant");
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.message.content"), ==, "The capital of Japan is Tokyo.");
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.message.reasoning_content"), ==,
                   "**Recalling facts**\nTokyo is the capital.");
  g_assert_null (sy_test_json_path (out, "choices.0.message.tool_calls"));
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.finish_reason"), ==, "stop");
  assert_json_at (out, "usage",
                  "{\"prompt_tokens\":1205,\"completion_tokens\":118,\"total_tokens\":1323,"
                  "\"prompt_tokens_details\":{\"cached_tokens\":1024},"
                  "\"completion_tokens_details\":{\"reasoning_tokens\":110}}");
}

static void
test_response_function_calls (void)
{
  g_autoptr(JsonNode) out = to_hub (
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":["
    "  {\"text\":\"Let me look.\"},"
    "  {\"functionCall\":{\"id\":\"fc-7\",\"name\":\"search\",\"args\":{\"q\":\"caf\\u00e9\",\"limit\":3,\"filters\":{\"open\":true}}}},"
    "  {\"functionCall\":{\"name\":\"noop\"}}]},"
    "  \"finishReason\":\"STOP\"}],"
    " \"usageMetadata\":{\"promptTokenCount\":50,\"candidatesTokenCount\":20,\"totalTokenCount\":70}}",
    "gemini-2.0-flash");

  /* No responseId: an id of our own; no modelVersion: the model asked for. */
  g_assert_true (g_str_has_prefix (sy_test_json_string (out, "id"), "chatcmpl-"));
  g_assert_cmpstr (sy_test_json_string (out, "model"), ==, "gemini-2.0-flash");
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.message.content"), ==, "Let me look.");
  g_assert_cmpuint (sy_test_json_length (out, "choices.0.message.tool_calls"), ==, 2);
  assert_json_at (out, "choices.0.message.tool_calls.0",
                  "{\"id\":\"fc-7\",\"type\":\"function\",\"function\":{\"name\":\"search\","
                  "\"arguments\":\"{\\\"q\\\":\\\"café\\\",\\\"limit\\\":3,\\\"filters\\\":{\\\"open\\\":true}}\"}}");
  g_assert_true (g_str_has_prefix (sy_test_json_string (out, "choices.0.message.tool_calls.1.id"), "call_"));
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.message.tool_calls.1.function.arguments"), ==, "{}");
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.finish_reason"), ==, "tool_calls");
  g_assert_cmpint (sy_test_json_int (out, "usage.prompt_tokens"), ==, 50);
  g_assert_cmpint (sy_test_json_int (out, "usage.completion_tokens"), ==, 20);
  g_assert_cmpint (sy_test_json_int (out, "usage.completion_tokens_details.reasoning_tokens"), ==, 0);
}

static void
test_response_finish_reasons (void)
{
  static const struct { const char *gemini; const char *hub; } cases[] = {
    { "STOP", "stop" }, { "MAX_TOKENS", "length" }, { "SAFETY", "content_filter" },
    { "RECITATION", "content_filter" }, { "BLOCKLIST", "content_filter" },
    { "PROHIBITED_CONTENT", "content_filter" }, { "SPII", "content_filter" },
    { "LANGUAGE", "content_filter" }, { "IMAGE_SAFETY", "content_filter" },
    { "OTHER", "stop" }, { "MALFORMED_FUNCTION_CALL", "stop" },
    { "FINISH_REASON_UNSPECIFIED", "stop" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"partial\"}]},"
        "  \"finishReason\":\"%s\",\"index\":0}]}", cases[i].gemini);
      g_autoptr(JsonNode) out = to_hub (json, "g");

      g_assert_cmpstr (sy_test_json_string (out, "choices.0.finish_reason"), ==, cases[i].hub);
    }

  {
    /* A candidate cut for safety carries no content at all. */
    g_autoptr(JsonNode) out = to_hub ("{\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0,"
                                      " \"safetyRatings\":[{\"category\":\"HARM_CATEGORY_DANGEROUS_CONTENT\","
                                      "  \"probability\":\"HIGH\",\"blocked\":true}]}]}", "g");

    g_assert_true (JSON_NODE_HOLDS_NULL (sy_test_json_path (out, "choices.0.message.content")));
    g_assert_cmpstr (sy_test_json_string (out, "choices.0.finish_reason"), ==, "content_filter");
  }
}

static void
test_response_blocked (void)
{
  g_autoptr(JsonNode) out = to_hub (
    "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":["
    "   {\"category\":\"HARM_CATEGORY_SEXUALLY_EXPLICIT\",\"probability\":\"NEGLIGIBLE\"},"
    "   {\"category\":\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"probability\":\"HIGH\"}]},"
    " \"usageMetadata\":{\"promptTokenCount\":12,\"totalTokenCount\":12},"
    " \"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"blk\"}", "gemini-2.0-flash");

  g_assert_cmpuint (sy_test_json_length (out, "choices"), ==, 1);
  g_assert_true (JSON_NODE_HOLDS_NULL (sy_test_json_path (out, "choices.0.message.content")));
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.message.role"), ==, "assistant");
  g_assert_cmpstr (sy_test_json_string (out, "choices.0.finish_reason"), ==, "content_filter");
  g_assert_cmpint (sy_test_json_int (out, "usage.prompt_tokens"), ==, 12);
  g_assert_cmpint (sy_test_json_int (out, "usage.completion_tokens"), ==, 0);
}

static void
test_response_candidates (void)
{
  /* candidateCount 2 (hub n): one choice each. */
  g_autoptr(JsonNode) out = to_hub (
    "{\"candidates\":["
    "  {\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Heads\"}]},\"finishReason\":\"STOP\",\"index\":0},"
    "  {\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Tails\"}]},\"finishReason\":\"MAX_TOKENS\",\"index\":1}]}",
    "g");

  g_assert_cmpuint (sy_test_json_length (out, "choices"), ==, 2);
  g_assert_cmpstr (sy_test_json_string (out, "choices.1.message.content"), ==, "Tails");
  g_assert_cmpint (sy_test_json_int (out, "choices.1.index"), ==, 1);
  g_assert_cmpstr (sy_test_json_string (out, "choices.1.finish_reason"), ==, "length");
}

static void
test_response_error (void)
{
  g_autoptr(JsonNode) response = sy_test_json_parse (
    "{\"error\":{\"code\":400,\"message\":\"* GenerateContentRequest.contents: contents is not specified\\n\","
    " \"status\":\"INVALID_ARGUMENT\"}}");
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) null_error = NULL;
  JsonObject *out = sy_gemini_response_to_hub (json_node_get_object (response), "g", &error);

  g_assert_null (out);
  g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM);
  g_assert_cmpstr (error->message, ==, "* GenerateContentRequest.contents: contents is not specified\n");

  g_assert_null (sy_gemini_response_to_hub (NULL, "g", &null_error));
  g_assert_error (null_error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM);
}

/* ------------------------------------------------------ Gemini stream → hub */

/* Recorded from streamGenerateContent?alt=sse (gemini-2.5-flash, includeThoughts),
 * CRLF framing as Google sends it. */
static const char recorded_stream[] =
  "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"**Planning the lookup**\\n\\nTwo cities.\","
  "\"thought\": true}],\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 61,"
  "\"totalTokenCount\": 120,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": 61}],"
  "\"thoughtsTokenCount\": 59},\"modelVersion\": \"gemini-2.5-flash\",\"responseId\": \"mKr2aOWqM5uN1MkP2fGR0Qg\"}\r\n\r\n"
  "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"I'll check \"},{\"text\": \"both.\"}],"
  "\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 61,\"candidatesTokenCount\": 4,"
  "\"totalTokenCount\": 124,\"thoughtsTokenCount\": 59},\"modelVersion\": \"gemini-2.5-flash\","
  "\"responseId\": \"mKr2aOWqM5uN1MkP2fGR0Qg\"}\r\n\r\n"
  "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"get_weather\","
  "\"args\": {\"city\": \"Paris\"}},\"thoughtSignature\": \"CiIBVKhc7ysvTQ==\"},{\"functionCall\": "
  "{\"name\": \"get_weather\",\"args\": {\"city\": \"Tokyo\",\"unit\": \"celsius\"}}}],\"role\": \"model\"},"
  "\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 61,"
  "\"candidatesTokenCount\": 42,\"totalTokenCount\": 162,\"cachedContentTokenCount\": 32,"
  "\"thoughtsTokenCount\": 59},\"modelVersion\": \"gemini-2.5-flash\","
  "\"responseId\": \"mKr2aOWqM5uN1MkP2fGR0Qg\"}\r\n\r\n";

static GPtrArray *
new_chunks (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
}

static JsonNode *
chunk_node (GPtrArray *chunks,
            guint      i)
{
  g_assert_cmpuint (i, <, chunks->len);
  return sy_test_json_node_take (json_object_ref (g_ptr_array_index (chunks, i)));
}

static void
assert_chunk_delta (GPtrArray  *chunks,
                    guint       i,
                    const char *delta)
{
  g_autoptr(JsonNode) chunk = chunk_node (chunks, i);

  g_assert_cmpstr (sy_test_json_string (chunk, "object"), ==, "chat.completion.chunk");
  g_assert_cmpstr (sy_test_json_string (chunk, "id"), ==, "mKr2aOWqM5uN1MkP2fGR0Qg");
  g_assert_cmpstr (sy_test_json_string (chunk, "model"), ==, "gemini-2.5-flash");
  assert_json_at (chunk, "choices.0.delta", delta);
  g_assert_true (JSON_NODE_HOLDS_NULL (sy_test_json_path (chunk, "choices.0.finish_reason")));
}

static void
test_stream_recorded (void)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (1 << 20);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
  g_autoptr(SyStreamDecoder) decoder = sy_gemini_decoder_new ("gemini-flash-latest");
  g_autoptr(GPtrArray) chunks = new_chunks ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) call0 = NULL;
  g_autoptr(JsonNode) call1 = NULL;
  g_autoptr(JsonNode) finish = NULL;
  g_autoptr(JsonNode) usage = NULL;
  guint after_each[3];

  g_assert_true (sy_sse_parser_feed (parser, recorded_stream, strlen (recorded_stream), events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 3);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      guint status = 0;

      g_assert_false (decoder->done);
      g_assert_true (sy_stream_decoder_feed (decoder, event->event, event->data, chunks, &status, &error));
      g_assert_no_error (error);
      after_each[i] = chunks->len;
    }
  g_assert_true (decoder->done);

  /* Event by event: role + thought; two text parts; two calls + finish + usage. */
  g_assert_cmpuint (after_each[0], ==, 2);
  g_assert_cmpuint (after_each[1], ==, 4);
  g_assert_cmpuint (after_each[2], ==, 8);

  assert_chunk_delta (chunks, 0, "{\"role\":\"assistant\"}");
  assert_chunk_delta (chunks, 1, "{\"reasoning_content\":\"**Planning the lookup**\\n\\nTwo cities.\"}");
  assert_chunk_delta (chunks, 2, "{\"content\":\"I'll check \"}");
  assert_chunk_delta (chunks, 3, "{\"content\":\"both.\"}");

  call0 = chunk_node (chunks, 4);
  g_assert_cmpuint (sy_test_json_length (call0, "choices.0.delta.tool_calls"), ==, 1);
  g_assert_cmpint (sy_test_json_int (call0, "choices.0.delta.tool_calls.0.index"), ==, 0);
  g_assert_true (g_str_has_prefix (sy_test_json_string (call0, "choices.0.delta.tool_calls.0.id"), "call_"));
  g_assert_cmpstr (sy_test_json_string (call0, "choices.0.delta.tool_calls.0.type"), ==, "function");
  g_assert_cmpstr (sy_test_json_string (call0, "choices.0.delta.tool_calls.0.function.name"), ==, "get_weather");
  g_assert_cmpstr (sy_test_json_string (call0, "choices.0.delta.tool_calls.0.function.arguments"), ==,
                   "{\"city\":\"Paris\"}");
  call1 = chunk_node (chunks, 5);
  g_assert_cmpint (sy_test_json_int (call1, "choices.0.delta.tool_calls.0.index"), ==, 1);
  g_assert_cmpstr (sy_test_json_string (call1, "choices.0.delta.tool_calls.0.function.arguments"), ==,
                   "{\"city\":\"Tokyo\",\"unit\":\"celsius\"}");
  g_assert_cmpstr (sy_test_json_string (call1, "choices.0.delta.tool_calls.0.id"), !=,
                   sy_test_json_string (call0, "choices.0.delta.tool_calls.0.id"));

  finish = chunk_node (chunks, 6);
  assert_json_at (finish, "choices.0.delta", "{}");
  g_assert_cmpstr (sy_test_json_string (finish, "choices.0.finish_reason"), ==, "tool_calls");

  usage = chunk_node (chunks, 7);
  g_assert_cmpstr (sy_test_json_string (usage, "id"), ==, "mKr2aOWqM5uN1MkP2fGR0Qg");
  g_assert_cmpuint (sy_test_json_length (usage, "choices"), ==, 0);
  assert_json_at (usage, "usage",
                  "{\"prompt_tokens\":61,\"completion_tokens\":101,\"total_tokens\":162,"
                  "\"prompt_tokens_details\":{\"cached_tokens\":32},"
                  "\"completion_tokens_details\":{\"reasoning_tokens\":59}}");

  /* Every chunk of one stream shares id and created. */
  for (guint i = 1; i < chunks->len; i++)
    g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (chunks, i), "created"), ==,
                     json_object_get_int_member (g_ptr_array_index (chunks, 0), "created"));

  /* After the answer is complete, nothing more comes out, not even errors. */
  {
    guint status = 0;

    g_assert_true (sy_stream_decoder_feed (decoder, NULL, "{\"candidates\":[{\"content\":{\"parts\":"
                                           "[{\"text\":\"late\"}]}}]}", chunks, &status, &error));
    g_assert_true (sy_stream_decoder_feed (decoder, NULL, "not json", chunks, &status, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (chunks->len, ==, 8);
  }
}

static void
test_stream_text_length (void)
{
  static const char * const events[] = {
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Once upon\"}],\"role\":\"model\"},\"index\":0}],"
    " \"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":2,\"totalTokenCount\":11},"
    " \"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"r2\"}",
    /* A thought signature alone, with empty text. */
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\",\"thoughtSignature\":\"AAAA\"}],\"role\":\"model\"},"
    " \"index\":0}],\"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"r2\"}",
    "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" a time\"}],\"role\":\"model\"},"
    " \"finishReason\":\"MAX_TOKENS\",\"index\":0}],"
    " \"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":16,\"totalTokenCount\":25},"
    " \"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"r2\"}",
  };
  g_autoptr(SyStreamDecoder) decoder = sy_gemini_decoder_new ("gemini-2.0-flash");
  g_autoptr(GPtrArray) chunks = new_chunks ();
  g_autoptr(JsonNode) finish = NULL;
  g_autoptr(JsonNode) usage = NULL;
  g_autoptr(JsonNode) text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autoptr(GError) error = NULL;
      guint status = 0;

      g_assert_true (sy_stream_decoder_feed (decoder, NULL, events[i], chunks, &status, &error));
      g_assert_no_error (error);
    }

  g_assert_true (decoder->done);
  g_assert_cmpuint (chunks->len, ==, 5);
  text = chunk_node (chunks, 2);
  assert_json_at (text, "choices.0.delta", "{\"content\":\" a time\"}");
  finish = chunk_node (chunks, 3);
  g_assert_cmpstr (sy_test_json_string (finish, "choices.0.finish_reason"), ==, "length");
  usage = chunk_node (chunks, 4);
  /* The last usageMetadata wins: it is cumulative. */
  g_assert_cmpint (sy_test_json_int (usage, "usage.prompt_tokens"), ==, 9);
  g_assert_cmpint (sy_test_json_int (usage, "usage.completion_tokens"), ==, 16);
  g_assert_cmpint (sy_test_json_int (usage, "usage.total_tokens"), ==, 25);
}

static void
test_stream_blocked (void)
{
  g_autoptr(SyStreamDecoder) decoder = sy_gemini_decoder_new ("gemini-2.0-flash");
  g_autoptr(GPtrArray) chunks = new_chunks ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) finish = NULL;
  guint status = 0;

  g_assert_true (sy_stream_decoder_feed (decoder, NULL,
                                         "{\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},"
                                         " \"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7},"
                                         " \"modelVersion\":\"gemini-2.0-flash\"}",
                                         chunks, &status, &error));
  g_assert_no_error (error);
  g_assert_true (decoder->done);
  g_assert_cmpuint (chunks->len, ==, 3);
  finish = chunk_node (chunks, 1);
  g_assert_cmpstr (sy_test_json_string (finish, "choices.0.finish_reason"), ==, "content_filter");
  g_assert_true (g_str_has_prefix (sy_test_json_string (finish, "id"), "chatcmpl-"));
}

static void
assert_stream_fails (const char *data,
                     guint       expected_status,
                     const char *message_part)
{
  g_autoptr(SyStreamDecoder) decoder = sy_gemini_decoder_new ("gemini-2.5-flash");
  g_autoptr(GPtrArray) chunks = new_chunks ();
  g_autoptr(GError) error = NULL;
  guint status = 0;

  /* A good first event, then the bad one. */
  g_assert_true (sy_stream_decoder_feed (decoder, NULL,
                                         "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],"
                                         "\"role\":\"model\"},\"index\":0}],\"responseId\":\"e\"}",
                                         chunks, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (chunks->len, ==, 2);

  g_assert_false (sy_stream_decoder_feed (decoder, NULL, data, chunks, &status, &error));
  g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM);
  g_assert_cmpuint (status, ==, expected_status);
  g_assert_nonnull (strstr (error->message, message_part));
  g_assert_cmpuint (chunks->len, ==, 2);
  g_assert_false (decoder->done);
}

static void
test_stream_errors (void)
{
  assert_stream_fails ("{\"error\":{\"code\":429,\"message\":\"Resource has been exhausted (e.g. check quota).\","
                       "\"status\":\"RESOURCE_EXHAUSTED\"}}", 429, "Resource has been exhausted");
  assert_stream_fails ("{\"error\":{\"message\":\"quota\",\"status\":\"RESOURCE_EXHAUSTED\"}}", 429, "quota");
  assert_stream_fails ("{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\","
                       "\"status\":\"UNAVAILABLE\"}}", 503, "overloaded");
  assert_stream_fails ("{\"error\":{\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}", 503, "busy");
  assert_stream_fails ("{\"error\":{\"code\":500,\"message\":\"An internal error has occurred.\","
                       "\"status\":\"INTERNAL\"}}", 500, "internal error");
  assert_stream_fails ("{\"error\":{\"code\":1,\"status\":\"CANCELLED\"}}", 502, "Gemini");
  /* Truncated mid-object, not JSON at all, and JSON that is not an object. */
  assert_stream_fails ("{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"lo", 502, "JSON");
  assert_stream_fails ("<html>502 Bad Gateway</html>", 502, "JSON");
  assert_stream_fails ("[{\"candidates\":[]}]", 502, "not a JSON object");
  assert_stream_fails ("\"text\"", 502, "not a JSON object");
}

/* ------------------------------------------------------------ the adapter */

typedef struct {
  char               *path;
  char               *query;
  SoupMessageHeaders *headers;
  char               *body;
} Seen;

static void
serve (SoupServer        *server,
       SoupServerMessage *msg,
       const char        *path,
       GHashTable        *query,
       gpointer           user_data)
{
  Seen *seen = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  seen->path = g_strdup (g_uri_get_path (uri));
  seen->query = g_strdup (g_uri_get_query (uri));
  seen->headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));
  seen->body = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

/* Sends what sy_provider_gemini_build () made to a local server; returns what
 * arrived there. */
static void
send_built (const char *model,
            gboolean    stream,
            const char *key,
            const char *request_json,
            Seen       *seen,
            char      **url_out)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) request = sy_test_json_parse (request_json != NULL ? request_json :
    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}],"
    " \"generationConfig\":{\"temperature\":0.5},"
    " \"model\":\"evil\",\"stream\":true,\"api_key\":\"client-key\",\"apiKey\":\"k2\",\"base_url\":\"http://evil\","
    " \"baseURL\":\"http://evil\",\"api_base\":\"http://evil\",\"endpoint\":\"http://evil\",\"models\":[\"a\"]}");
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoslist(GUri) uris = NULL;
  g_autofree char *base_url = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  SyProvider provider = { 0 };

  soup_server_add_handler (server, NULL, serve, seen, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base_url = g_strdup_printf ("http://127.0.0.1:%d/v1beta/", g_uri_get_port (uris->data));

  provider.id = (char *) "google";
  provider.kind = (char *) "gemini";
  provider.base_url = base_url;
  msg = sy_provider_gemini_build (&provider, model, json_node_get_object (request), stream, key);
  g_assert_nonnull (msg);
  g_assert_cmpstr (soup_message_get_method (msg), ==, "POST");
  *url_out = g_uri_to_string (soup_message_get_uri (msg));
  g_test_message ("POST %s", *url_out);

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  answer = soup_session_send_and_read_finish (session, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  soup_server_disconnect (server);
}

static void
seen_clear (Seen *seen)
{
  g_clear_pointer (&seen->path, g_free);
  g_clear_pointer (&seen->query, g_free);
  g_clear_pointer (&seen->headers, soup_message_headers_unref);
  g_clear_pointer (&seen->body, g_free);
}

static void
test_build (void)
{
  const char *key = "AIzaSyD-test-key-0123456789";
  Seen seen = { 0 };
  g_autofree char *url = NULL;
  g_autoptr(JsonNode) body = NULL;

  send_built ("gemini-2.5-flash", FALSE, key, NULL, &seen, &url);
  g_assert_cmpstr (seen.path, ==, "/v1beta/models/gemini-2.5-flash:generateContent");
  g_assert_null (seen.query);
  g_assert_null (strstr (url, key));
  g_assert_null (strstr (url, "key="));
  g_assert_cmpstr (soup_message_headers_get_one (seen.headers, "x-goog-api-key"), ==, key);
  g_assert_null (soup_message_headers_get_one (seen.headers, "Authorization"));
  g_assert_cmpstr (soup_message_headers_get_content_type (seen.headers, NULL), ==, "application/json");
  g_assert_cmpstr (soup_message_headers_get_one (seen.headers, "Accept"), ==, "application/json");
  body = sy_test_json_parse (seen.body);
  assert_json_at (body, "contents", "[{\"role\":\"user\",\"parts\":[{\"text\":\"Hi\"}]}]");
  g_assert_cmpfloat (sy_test_json_double (body, "generationConfig.temperature"), ==, 0.5);
  g_assert_cmpuint (sy_test_json_length (body, ""), ==, 2);
  g_assert_null (strstr (seen.body, "client-key"));
  g_assert_null (strstr (seen.body, "evil"));
  seen_clear (&seen);
  g_clear_pointer (&url, g_free);

  /* Streaming, a resource-style name, and no key: no header at all. */
  send_built ("models/gemini-2.5-pro", TRUE, "", NULL, &seen, &url);
  g_assert_cmpstr (seen.path, ==, "/v1beta/models/gemini-2.5-pro:streamGenerateContent");
  g_assert_cmpstr (seen.query, ==, "alt=sse");
  g_assert_null (soup_message_headers_get_one (seen.headers, "x-goog-api-key"));
  g_assert_cmpstr (soup_message_headers_get_one (seen.headers, "Accept"), ==, "text/event-stream");
  seen_clear (&seen);
}

/* Gemini 3 wants each function call in the history signed: calls without their
 * signature (from another model, or through the hub) get Google's placeholder,
 * signed ones keep theirs, and older models get nothing added. */
static void
test_build_signatures (void)
{
  const char *request =
    "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Weather?\"}]},"
    " {\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}},"
    "   {\"functionCall\":{\"name\":\"get_time\",\"args\":{}},\"thoughtSignature\":\"c2lnbmVk\"}]},"
    " {\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"get_weather\",\"response\":{\"t\":21}}}]}]}";
  Seen seen = { 0 };
  g_autofree char *url = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) older = NULL;

  send_built ("gemini-3-pro-preview", FALSE, "k", request, &seen, &url);
  body = sy_test_json_parse (seen.body);
  assert_json_at (body, "contents.1.parts.0",
                  "{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},"
                  "\"thoughtSignature\":\"skip_thought_signature_validator\"}");
  g_assert_cmpstr (sy_test_json_string (body, "contents.1.parts.1.thoughtSignature"), ==, "c2lnbmVk");
  g_assert_cmpstr (sy_test_json_string (body, "contents.1.role"), ==, "model");
  g_assert_null (sy_test_json_path (body, "contents.2.parts.0.thoughtSignature"));
  seen_clear (&seen);
  g_clear_pointer (&url, g_free);

  send_built ("gemini-2.5-flash", FALSE, "k", request, &seen, &url);
  older = sy_test_json_parse (seen.body);
  g_assert_null (sy_test_json_path (older, "contents.1.parts.0.thoughtSignature"));
  seen_clear (&seen);
}

static void
test_build_url (void)
{
  g_autoptr(JsonNode) request = sy_test_json_parse ("{\"contents\":[]}");
  SyProvider provider = { 0 };

  provider.id = (char *) "google";
  provider.kind = (char *) "gemini";
  provider.base_url = (char *) "not a url";
  g_assert_null (sy_provider_gemini_build (&provider, "gemini-2.5-flash", json_node_get_object (request), FALSE, "k"));
  provider.base_url = (char *) "ftp://example.com/v1beta";
  g_assert_null (sy_provider_gemini_build (&provider, "gemini-2.5-flash", json_node_get_object (request), FALSE, "k"));
  provider.base_url = (char *) "https://generativelanguage.googleapis.com/v1beta";
  g_assert_null (sy_provider_gemini_build (&provider, "", json_node_get_object (request), FALSE, "k"));
  g_assert_null (sy_provider_gemini_build (&provider, "models/", json_node_get_object (request), FALSE, "k"));

  {
    g_autoptr(SoupMessage) msg = sy_provider_gemini_build (&provider, "gemini-2.0-flash-001",
                                                           json_node_get_object (request), TRUE, "k");
    g_autofree char *url = g_uri_to_string (soup_message_get_uri (msg));

    g_assert_cmpstr (url, ==,
                     "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash-001"
                     ":streamGenerateContent?alt=sse");
  }
  {
    /* A model name cannot add path segments, a query or a fragment. */
    g_autoptr(SoupMessage) msg = sy_provider_gemini_build (&provider, "tuned/../x?key=1#f",
                                                           json_node_get_object (request), FALSE, "k");
    GUri *uri = soup_message_get_uri (msg);

    g_assert_cmpstr (g_uri_get_path (uri), ==, "/v1beta/models/tuned%2F..%2Fx%3Fkey=1%23f:generateContent");
    g_assert_null (g_uri_get_query (uri));
    g_assert_null (g_uri_get_fragment (uri));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gemini/request/text", test_request_text);
  g_test_add_func ("/gemini/request/multi-turn", test_request_multi_turn);
  g_test_add_func ("/gemini/request/images", test_request_images);
  g_test_add_func ("/gemini/request/tools", test_request_tools);
  g_test_add_func ("/gemini/request/tool-enums", test_request_tool_enums);
  g_test_add_func ("/gemini/request/function-round-trip", test_function_round_trip);
  g_test_add_func ("/gemini/request/tool-choice", test_request_tool_choice);
  g_test_add_func ("/gemini/request/json-schema", test_request_json_schema);
  g_test_add_func ("/gemini/request/generation-config", test_request_generation_config);
  g_test_add_func ("/gemini/request/invalid", test_request_invalid);
  g_test_add_func ("/gemini/response/text", test_response_text);
  g_test_add_func ("/gemini/response/function-calls", test_response_function_calls);
  g_test_add_func ("/gemini/response/finish-reasons", test_response_finish_reasons);
  g_test_add_func ("/gemini/response/blocked", test_response_blocked);
  g_test_add_func ("/gemini/response/candidates", test_response_candidates);
  g_test_add_func ("/gemini/response/error", test_response_error);
  g_test_add_func ("/gemini/stream/recorded", test_stream_recorded);
  g_test_add_func ("/gemini/stream/text-length", test_stream_text_length);
  g_test_add_func ("/gemini/stream/blocked", test_stream_blocked);
  g_test_add_func ("/gemini/stream/errors", test_stream_errors);
  g_test_add_func ("/gemini/build/url-and-headers", test_build);
  g_test_add_func ("/gemini/build/url", test_build_url);
  g_test_add_func ("/gemini/build/thought-signatures", test_build_signatures);

  return g_test_run ();
}
