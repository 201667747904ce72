/* test-translate-anthropic.c — tests for the Anthropic Messages translators: requests, answers and streams, both ways.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-translate-anthropic"

#include "sy-test-util.h"
#include "sy-json.h"
#include "sy-sse.h"
#include "sy-translate.h"

#include <string.h>

/* ------------------------------------------------------------------ helpers */

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonNode) node = sy_test_json_parse (json);

  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* The sy_test_json_* lookups on an object (paths like "messages.1.content.0.text"):
 * a node that shares @root, for the length of a call. */
#define ON_OBJECT(lookup, root, path) \
  ({ g_autoptr(JsonNode) wrapper_ = json_node_init_object (json_node_alloc (), (root)); \
     lookup (wrapper_, (path)); })

static JsonNode *
at (JsonObject *root,
    const char *path)
{
  return ON_OBJECT (sy_test_json_path, root, path);
}

static const char *
str_at (JsonObject *root,
        const char *path)
{
  return ON_OBJECT (sy_test_json_string, root, path);
}

static gint64
int_at (JsonObject *root,
        const char *path)
{
  return ON_OBJECT (sy_test_json_int, root, path);
}

static double
double_at (JsonObject *root,
           const char *path)
{
  g_assert_nonnull (at (root, path));
  return ON_OBJECT (sy_test_json_double, root, path);
}

static guint
len_at (JsonObject *root,
        const char *path)
{
  JsonNode *node = at (root, path);

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return ON_OBJECT (sy_test_json_length, root, path);
}

static gboolean
null_at (JsonObject *root,
         const char *path)
{
  return ON_OBJECT (sy_test_json_is_null, root, path);
}

/* The member at @path equals the JSON @expected (structure and values). */
static void
assert_json_at (JsonObject *root,
                const char *path,
                const char *expected)
{
  g_autoptr(JsonNode) want = sy_json_parse (expected, strlen (expected), NULL);
  JsonNode *got = path != NULL ? at (root, path) : NULL;
  g_autoptr(JsonNode) wrapper = NULL;

  g_assert_nonnull (want);
  if (path == NULL)
    got = wrapper = json_node_init_object (json_node_alloc (), root);
  g_assert_nonnull (got);
  if (!json_node_equal (want, got))
    {
      g_autofree char *text = sy_json_to_string (got);
      g_error ("%s: expected %s, got %s", path != NULL ? path : "(root)", expected, text);
    }
}

static JsonObject *
to_hub (const char *request_json)
{
  g_autoptr(JsonObject) request = parse_object (request_json);
  g_autoptr(GError) error = NULL;
  JsonObject *hub = sy_anthropic_request_to_hub (request, &error);

  g_assert_no_error (error);
  g_assert_nonnull (hub);
  return hub;
}

static void
assert_to_hub_fails (const char *request_json,
                     const char *message)
{
  g_autoptr(JsonObject) request = parse_object (request_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hub = sy_anthropic_request_to_hub (request, &error);

  g_assert_null (hub);
  g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID);
  if (strstr (error->message, message) == NULL)
    g_error ("expected \"%s\" in \"%s\"", message, error->message);
}

static JsonObject *
from_hub (const char *hub_json,
          gint64      default_max_tokens)
{
  g_autoptr(JsonObject) hub = parse_object (hub_json);
  g_autoptr(GError) error = NULL;
  JsonObject *request = sy_anthropic_request_from_hub (hub, default_max_tokens, &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  g_assert_false (json_object_has_member (request, "model"));
  g_assert_false (json_object_has_member (request, "stream"));
  return request;
}

static void
assert_from_hub_fails (const char *hub_json,
                       const char *message)
{
  g_autoptr(JsonObject) hub = parse_object (hub_json);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = sy_anthropic_request_from_hub (hub, 1024, &error);

  g_assert_null (request);
  g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID);
  if (strstr (error->message, message) == NULL)
    g_error ("expected \"%s\" in \"%s\"", message, error->message);
}

/* A hub stream folded back into one answer. */
typedef struct {
  GString    *content;
  GString    *reasoning;
  GPtrArray  *tool_ids;     /* by tool call index */
  GPtrArray  *tool_names;
  GPtrArray  *tool_args;    /* GString * */
  char       *finish_reason;
  char       *id;
  char       *model;
  gint64      created;
  JsonObject *usage;
  guint       n_chunks;
  gboolean    role_seen;
} Folded;

static void
gstring_free (gpointer string)
{
  g_string_free (string, TRUE);
}

static Folded *
folded_new (void)
{
  Folded *folded = g_new0 (Folded, 1);

  folded->content = g_string_new (NULL);
  folded->reasoning = g_string_new (NULL);
  folded->tool_ids = g_ptr_array_new_with_free_func (g_free);
  folded->tool_names = g_ptr_array_new_with_free_func (g_free);
  folded->tool_args = g_ptr_array_new_with_free_func (gstring_free);
  folded->created = -1;
  return folded;
}

static void
folded_free (Folded *folded)
{
  g_string_free (folded->content, TRUE);
  g_string_free (folded->reasoning, TRUE);
  g_ptr_array_unref (folded->tool_ids);
  g_ptr_array_unref (folded->tool_names);
  g_ptr_array_unref (folded->tool_args);
  g_free (folded->finish_reason);
  g_free (folded->id);
  g_free (folded->model);
  g_clear_pointer (&folded->usage, json_object_unref);
  g_free (folded);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Folded, folded_free)

static void
fold_chunk (Folded     *folded,
            JsonObject *chunk)
{
  JsonArray *choices = sy_json_get_array (chunk, "choices");
  JsonObject *choice, *delta;
  JsonArray *calls;

  g_assert_cmpstr (sy_json_get_string (chunk, "object"), ==, "chat.completion.chunk");
  /* id, model and created stay the same across the stream. */
  if (folded->n_chunks++ == 0)
    {
      folded->id = g_strdup (sy_json_get_string (chunk, "id"));
      folded->model = g_strdup (sy_json_get_string (chunk, "model"));
      folded->created = sy_json_get_int (chunk, "created", -1);
      g_assert_cmpint (folded->created, >, 0);
    }
  g_assert_cmpstr (sy_json_get_string (chunk, "id"), ==, folded->id);
  g_assert_cmpstr (sy_json_get_string (chunk, "model"), ==, folded->model);
  g_assert_cmpint (sy_json_get_int (chunk, "created", -1), ==, folded->created);

  if (sy_json_get_object (chunk, "usage") != NULL)
    {
      g_assert_null (folded->usage);
      folded->usage = json_object_ref (sy_json_get_object (chunk, "usage"));
    }
  g_assert_nonnull (choices);
  if (json_array_get_length (choices) == 0)
    return;
  g_assert_null (folded->usage);  /* the usage chunk comes last */

  choice = json_array_get_object_element (choices, 0);
  delta = sy_json_get_object (choice, "delta");
  g_assert_nonnull (delta);
  if (sy_json_get_string (delta, "role") != NULL)
    {
      g_assert_cmpstr (sy_json_get_string (delta, "role"), ==, "assistant");
      g_assert_false (folded->role_seen);
      folded->role_seen = TRUE;
    }
  if (sy_json_get_string (delta, "content") != NULL)
    g_string_append (folded->content, sy_json_get_string (delta, "content"));
  if (sy_json_get_string (delta, "reasoning_content") != NULL)
    g_string_append (folded->reasoning, sy_json_get_string (delta, "reasoning_content"));

  calls = sy_json_get_array (delta, "tool_calls");
  for (guint i = 0; calls != NULL && i < json_array_get_length (calls); i++)
    {
      JsonObject *call = json_array_get_object_element (calls, i);
      JsonObject *function = sy_json_get_object (call, "function");
      gint64 index = sy_json_get_int (call, "index", -1);

      g_assert_cmpint (index, >=, 0);
      g_assert_cmpint (index, <=, folded->tool_ids->len);
      if (index == folded->tool_ids->len)
        {
          g_assert_nonnull (sy_json_get_string (call, "id"));
          g_assert_cmpstr (sy_json_get_string (call, "type"), ==, "function");
          g_ptr_array_add (folded->tool_ids, g_strdup (sy_json_get_string (call, "id")));
          g_ptr_array_add (folded->tool_names, g_strdup (sy_json_get_string (function, "name")));
          g_ptr_array_add (folded->tool_args, g_string_new (NULL));
        }
      if (sy_json_get_string (function, "arguments") != NULL)
        g_string_append (g_ptr_array_index (folded->tool_args, index),
                         sy_json_get_string (function, "arguments"));
    }

  if (sy_json_get_string (choice, "finish_reason") != NULL)
    {
      g_assert_null (folded->finish_reason);
      folded->finish_reason = g_strdup (sy_json_get_string (choice, "finish_reason"));
    }
}

static const char *
tool_args (Folded *folded,
           guint   index)
{
  g_assert_cmpuint (index, <, folded->tool_args->len);
  return ((GString *) g_ptr_array_index (folded->tool_args, index))->str;
}

/* Feeds an SSE text to @decoder, folding its chunks into @folded. Returns what
 * the decoder returned on the first failure, or TRUE. */
static gboolean
decode_sse (SyStreamDecoder  *decoder,
            const char       *sse,
            Folded           *folded,
            guint            *status,
            GError          **error)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (1 << 20);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
  g_autoptr(GError) sse_error = NULL;

  g_assert_true (sy_sse_parser_feed (parser, sse, strlen (sse), events, &sse_error));
  g_assert_no_error (sse_error);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

      if (!sy_stream_decoder_feed (decoder, event->event, event->data, chunks, status, error))
        {
          g_assert_cmpuint (chunks->len, ==, 0);
          return FALSE;
        }
      for (guint j = 0; j < chunks->len; j++)
        fold_chunk (folded, g_ptr_array_index (chunks, j));
    }
  return TRUE;
}

/* ---------------------------------------------- client request → hub */

static void
test_request_text (void)
{
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024,"
    " \"system\": \"You are a terse assistant.\","
    " \"messages\": [{\"role\": \"user\", \"content\": \"Hello, Claude\"}],"
    " \"temperature\": 0.5, \"top_p\": 0.9, \"top_k\": 40,"
    " \"stop_sequences\": [\"\\n\\nHuman:\", \"END\"],"
    " \"metadata\": {\"user_id\": \"13803d75-b4b5-4c3e-b2a2-6f21399b021b\"},"
    " \"stream\": true}");

  g_assert_cmpstr (str_at (hub, "model"), ==, "claude-sonnet-4-5");
  g_assert_cmpint (int_at (hub, "max_tokens"), ==, 1024);
  g_assert_cmpuint (len_at (hub, "messages"), ==, 2);
  assert_json_at (hub, "messages.0", "{\"role\": \"system\", \"content\": \"You are a terse assistant.\"}");
  assert_json_at (hub, "messages.1", "{\"role\": \"user\", \"content\": \"Hello, Claude\"}");
  g_assert_cmpfloat_with_epsilon (double_at (hub, "temperature"), 0.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (double_at (hub, "top_p"), 0.9, 1e-9);
  g_assert_false (json_object_has_member (hub, "top_k"));
  assert_json_at (hub, "stop", "[\"\\n\\nHuman:\", \"END\"]");
  g_assert_cmpstr (str_at (hub, "user"), ==, "13803d75-b4b5-4c3e-b2a2-6f21399b021b");
  g_assert_true (sy_json_get_bool (hub, "stream", FALSE));
  g_assert_false (json_object_has_member (hub, "metadata"));
  g_assert_false (json_object_has_member (hub, "stop_sequences"));
}

static void
test_request_system_blocks (void)
{
  /* Claude Code's shape: two system blocks, the second one cached. */
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 32000,"
    " \"system\": [{\"type\": \"text\", \"text\": \"You are Claude Code.\"},"
    "              {\"type\": \"text\", \"text\": \"Be concise.\", \"cache_control\": {\"type\": \"ephemeral\"}}],"
    " \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"hi\","
    "                 \"cache_control\": {\"type\": \"ephemeral\"}}]}]}");

  g_assert_cmpuint (len_at (hub, "messages"), ==, 2);
  assert_json_at (hub, "messages.0", "{\"role\": \"system\", \"content\": \"You are Claude Code.\\n\\nBe concise.\"}");
  assert_json_at (hub, "messages.1", "{\"role\": \"user\", \"content\": \"hi\"}");
  g_assert_false (json_object_has_member (hub, "stream"));
}

static void
test_request_multi_turn (void)
{
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024,"
    " \"messages\": ["
    "  {\"role\": \"user\", \"content\": \"Hello there.\"},"
    "  {\"role\": \"assistant\", \"content\": \"Hi, I'm Claude. How can I help you?\"},"
    "  {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Can you explain LLMs\"},"
    "                                    {\"type\": \"text\", \"text\": \" in plain English?\"}]},"
    "  {\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"Sure, \"},"
    "                                         {\"type\": \"text\", \"text\": \"here goes.\"}]}]}");

  g_assert_cmpuint (len_at (hub, "messages"), ==, 4);
  assert_json_at (hub, "messages.0", "{\"role\": \"user\", \"content\": \"Hello there.\"}");
  assert_json_at (hub, "messages.1", "{\"role\": \"assistant\", \"content\": \"Hi, I'm Claude. How can I help you?\"}");
  assert_json_at (hub, "messages.2",
                  "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Can you explain LLMs\"},"
                  " {\"type\": \"text\", \"text\": \" in plain English?\"}]}");
  /* Assistant text blocks are one string: the prefill form as well. */
  assert_json_at (hub, "messages.3", "{\"role\": \"assistant\", \"content\": \"Sure, here goes.\"}");
}

static void
test_request_images (void)
{
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024,"
    " \"messages\": [{\"role\": \"user\", \"content\": ["
    "  {\"type\": \"image\", \"source\": {\"type\": \"base64\", \"media_type\": \"image/jpeg\","
    "                                    \"data\": \"/9j/4AAQSkZJRg==\"}},"
    "  {\"type\": \"image\", \"source\": {\"type\": \"url\","
    "                                    \"url\": \"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg\"}},"
    "  {\"type\": \"text\", \"text\": \"Compare these images.\"}]}]}");

  g_assert_cmpuint (len_at (hub, "messages"), ==, 1);
  assert_json_at (hub, "messages.0",
                  "{\"role\": \"user\", \"content\": ["
                  " {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/jpeg;base64,/9j/4AAQSkZJRg==\"}},"
                  " {\"type\": \"image_url\", \"image_url\": {\"url\": "
                  "   \"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg\"}},"
                  " {\"type\": \"text\", \"text\": \"Compare these images.\"}]}");
}

/* Claude Code's Read tool answers an image file with an image block inside the
 * tool_result: the picture reaches the model in a user turn right after the
 * tool answers (Chat Completions tool messages carry text only). */
static void
test_request_tool_result_image (void)
{
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"openai/gpt-4.1\", \"max_tokens\": 32000,"
    " \"messages\": ["
    "  {\"role\": \"user\", \"content\": \"What is in shot.png and notes.txt?\"},"
    "  {\"role\": \"assistant\", \"content\": ["
    "    {\"type\": \"tool_use\", \"id\": \"toolu_img\", \"name\": \"Read\", \"input\": {\"file_path\": \"/tmp/shot.png\"}},"
    "    {\"type\": \"tool_use\", \"id\": \"toolu_txt\", \"name\": \"Read\", \"input\": {\"file_path\": \"/tmp/notes.txt\"}}]},"
    "  {\"role\": \"user\", \"content\": ["
    "    {\"type\": \"tool_result\", \"tool_use_id\": \"toolu_img\", \"content\": ["
    "      {\"type\": \"image\", \"source\": {\"type\": \"base64\", \"media_type\": \"image/png\", \"data\": \"iVBORw0KGgo=\"}}]},"
    "    {\"type\": \"tool_result\", \"tool_use_id\": \"toolu_txt\", \"content\": [{\"type\": \"text\", \"text\": \"buy milk\"}],"
    "     \"cache_control\": {\"type\": \"ephemeral\"}}]}]}");

  g_assert_cmpuint (len_at (hub, "messages"), ==, 5);
  g_assert_cmpstr (str_at (hub, "messages.2.role"), ==, "tool");
  g_assert_cmpstr (str_at (hub, "messages.2.tool_call_id"), ==, "toolu_img");
  g_assert_cmpstr (str_at (hub, "messages.3.role"), ==, "tool");
  g_assert_cmpstr (str_at (hub, "messages.3.tool_call_id"), ==, "toolu_txt");
  g_assert_cmpstr (str_at (hub, "messages.3.content"), ==, "buy milk");
  assert_json_at (hub, "messages.4",
                  "{\"role\": \"user\", \"content\": ["
                  " {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,iVBORw0KGgo=\"}}]}");
}

static void
test_request_tools (void)
{
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024,"
    " \"tools\": [{\"name\": \"get_weather\", \"description\": \"Get the current weather in a given location\","
    "              \"input_schema\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}},"
    "                                \"required\": [\"location\"]}},"
    "             {\"type\": \"custom\", \"name\": \"get_time\", \"input_schema\": {\"type\": \"object\"},"
    "              \"cache_control\": {\"type\": \"ephemeral\"}}],"
    " \"tool_choice\": {\"type\": \"any\", \"disable_parallel_tool_use\": true},"
    " \"messages\": ["
    "  {\"role\": \"user\", \"content\": \"What's the weather and time in Paris and London?\"},"
    "  {\"role\": \"assistant\", \"content\": ["
    "    {\"type\": \"text\", \"text\": \"I'll check both.\"},"
    "    {\"type\": \"tool_use\", \"id\": \"toolu_01A09q90qw90lq917835lq9\", \"name\": \"get_weather\","
    "     \"input\": {\"location\": \"Paris, France\"}},"
    "    {\"type\": \"tool_use\", \"id\": \"toolu_01B\", \"name\": \"get_time\", \"input\": {}}]},"
    "  {\"role\": \"user\", \"content\": ["
    "    {\"type\": \"text\", \"text\": \"Also, be brief.\"},"
    "    {\"type\": \"tool_result\", \"tool_use_id\": \"toolu_01A09q90qw90lq917835lq9\", \"content\": \"15 degrees\"},"
    "    {\"type\": \"tool_result\", \"tool_use_id\": \"toolu_01B\", \"is_error\": true,"
    "     \"content\": [{\"type\": \"text\", \"text\": \"clock\"}, {\"type\": \"text\", \"text\": \"unavailable\"}]}]},"
    "  {\"role\": \"user\", \"content\": [{\"type\": \"tool_result\", \"tool_use_id\": \"toolu_01C\"}]}]}");
  JsonObject *assistant;
  g_autoptr(JsonNode) arguments = NULL;

  assert_json_at (hub, "tools",
                  "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
                  "   \"description\": \"Get the current weather in a given location\","
                  "   \"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}},"
                  "                    \"required\": [\"location\"]}}},"
                  " {\"type\": \"function\", \"function\": {\"name\": \"get_time\","
                  "   \"parameters\": {\"type\": \"object\"}}}]");
  g_assert_cmpstr (str_at (hub, "tool_choice"), ==, "required");
  g_assert_false (sy_json_get_bool (hub, "parallel_tool_calls", TRUE));

  g_assert_cmpuint (len_at (hub, "messages"), ==, 6);
  assistant = json_node_get_object (at (hub, "messages.1"));
  g_assert_cmpstr (str_at (assistant, "content"), ==, "I'll check both.");
  g_assert_cmpuint (len_at (assistant, "tool_calls"), ==, 2);
  g_assert_cmpstr (str_at (assistant, "tool_calls.0.id"), ==, "toolu_01A09q90qw90lq917835lq9");
  g_assert_cmpstr (str_at (assistant, "tool_calls.0.type"), ==, "function");
  g_assert_cmpstr (str_at (assistant, "tool_calls.0.function.name"), ==, "get_weather");
  arguments = sy_json_parse (str_at (assistant, "tool_calls.0.function.arguments"),
                             strlen (str_at (assistant, "tool_calls.0.function.arguments")), NULL);
  g_assert_nonnull (arguments);
  g_assert_cmpstr (sy_test_json_string (arguments, "location"), ==, "Paris, France");
  g_assert_cmpstr (str_at (assistant, "tool_calls.1.function.arguments"), ==, "{}");

  /* Results first, then what the user added in the same message. */
  assert_json_at (hub, "messages.2",
                  "{\"role\": \"tool\", \"tool_call_id\": \"toolu_01A09q90qw90lq917835lq9\", \"content\": \"15 degrees\"}");
  assert_json_at (hub, "messages.3",
                  "{\"role\": \"tool\", \"tool_call_id\": \"toolu_01B\", \"content\": \"clock\\nunavailable\"}");
  assert_json_at (hub, "messages.4", "{\"role\": \"user\", \"content\": \"Also, be brief.\"}");
  assert_json_at (hub, "messages.5", "{\"role\": \"tool\", \"tool_call_id\": \"toolu_01C\", \"content\": \"\"}");
}

static void
test_request_tool_choice (void)
{
  static const struct {
    const char *choice;
    const char *hub;
    gboolean    parallel_off;
  } cases[] = {
    { "{\"type\": \"auto\"}", "\"auto\"", FALSE },
    { "{\"type\": \"auto\", \"disable_parallel_tool_use\": true}", "\"auto\"", TRUE },
    { "{\"type\": \"any\"}", "\"required\"", FALSE },
    { "{\"type\": \"none\"}", "\"none\"", FALSE },
    { "{\"type\": \"tool\", \"name\": \"get_weather\"}",
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *request = g_strdup_printf (
        "{\"model\": \"m\", \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
        " \"tools\": [{\"name\": \"get_weather\", \"input_schema\": {\"type\": \"object\"}}],"
        " \"tool_choice\": %s}", cases[i].choice);
      g_autoptr(JsonObject) hub = to_hub (request);

      assert_json_at (hub, "tool_choice", cases[i].hub);
      g_assert_cmpint (json_object_has_member (hub, "parallel_tool_calls"), ==, cases[i].parallel_off);
    }
}

static void
test_request_thinking (void)
{
  static const struct { gint64 budget; const char *effort; } cases[] = {
    { 1024, "low" }, { 4095, "low" }, { 4096, "medium" }, { 16383, "medium" }, { 16384, "high" }, { 32000, "high" },
  };
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 16000,"
    " \"thinking\": {\"type\": \"enabled\", \"budget_tokens\": 10000},"
    " \"messages\": ["
    "  {\"role\": \"user\", \"content\": \"Are there infinitely many primes p with p mod 4 == 3?\"},"
    "  {\"role\": \"assistant\", \"content\": ["
    "    {\"type\": \"thinking\", \"thinking\": \"Let me adapt Euclid's proof.\", \"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"},"
    "    {\"type\": \"redacted_thinking\", \"data\": \"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP\"},"
    "    {\"type\": \"text\", \"text\": \"Yes.\"}]},"
    "  {\"role\": \"user\", \"content\": \"Why?\"}]}");
  g_autoptr(JsonObject) disabled = to_hub (
    "{\"model\": \"m\", \"max_tokens\": 5, \"thinking\": {\"type\": \"disabled\"},"
    " \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");

  g_assert_cmpstr (str_at (hub, "reasoning_effort"), ==, "medium");
  assert_json_at (hub, "messages.1",
                  "{\"role\": \"assistant\", \"content\": \"Yes.\","
                  " \"reasoning_content\": \"Let me adapt Euclid's proof.\"}");
  g_assert_false (json_object_has_member (hub, "thinking"));
  g_assert_false (json_object_has_member (disabled, "reasoning_effort"));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *request = g_strdup_printf (
        "{\"model\": \"m\", \"max_tokens\": 64000, \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
        " \"thinking\": {\"type\": \"enabled\", \"budget_tokens\": %" G_GINT64_FORMAT "}}", cases[i].budget);
      g_autoptr(JsonObject) each = to_hub (request);

      g_assert_cmpstr (str_at (each, "reasoning_effort"), ==, cases[i].effort);
    }
}

static void
test_request_output_format (void)
{
  static const char * const requests[] = {
    "{\"model\": \"m\", \"max_tokens\": 256, \"messages\": [{\"role\": \"user\", \"content\": \"Which city?\"}],"
    " \"output_format\": {\"type\": \"json_schema\", \"schema\": {\"type\": \"object\","
    "   \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}",
    "{\"model\": \"m\", \"max_tokens\": 256, \"messages\": [{\"role\": \"user\", \"content\": \"Which city?\"}],"
    " \"output_config\": {\"format\": {\"type\": \"json_schema\", \"schema\": {\"type\": \"object\","
    "   \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(JsonObject) hub = to_hub (requests[i]);

      assert_json_at (hub, "response_format",
                      "{\"type\": \"json_schema\", \"json_schema\": {\"name\": \"output\", \"schema\":"
                      " {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},"
                      "  \"required\": [\"city\"]}}}");
    }
  assert_to_hub_fails ("{\"model\": \"m\", \"messages\": [], \"output_format\": {\"type\": \"xml\"}}",
                       "output_format");
}

/* Claude Code sends system messages among the turns, with adaptive thinking and
 * an effort: the system text stays in place, the effort becomes the hub's. */
static void
test_request_system_turns (void)
{
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"m\", \"max_tokens\": 32000, \"system\": \"You are Claude Code.\","
    " \"thinking\": {\"type\": \"adaptive\"}, \"output_config\": {\"effort\": \"medium\"},"
    " \"context_management\": {\"edits\": [{\"type\": \"clear_thinking_20251015\", \"keep\": \"all\"}]},"
    " \"messages\": [{\"role\": \"user\", \"content\": \"Say hello\"},"
    "  {\"role\": \"system\", \"content\": \"Available agent types: Explore, Plan.\"}]}");

  g_assert_cmpuint (len_at (hub, "messages"), ==, 3);
  assert_json_at (hub, "messages.0", "{\"role\": \"system\", \"content\": \"You are Claude Code.\"}");
  assert_json_at (hub, "messages.1", "{\"role\": \"user\", \"content\": \"Say hello\"}");
  assert_json_at (hub, "messages.2", "{\"role\": \"system\", \"content\": \"Available agent types: Explore, Plan.\"}");
  g_assert_cmpstr (str_at (hub, "reasoning_effort"), ==, "medium");
  g_assert_false (json_object_has_member (hub, "context_management"));
}

static void
test_request_invalid (void)
{
  static const struct { const char *request; const char *message; } cases[] = {
    { "{\"model\": \"m\", \"max_tokens\": 10}", "messages" },
    { "{\"model\": \"m\", \"messages\": {}}", "messages" },
    { "{\"model\": \"m\", \"messages\": [\"hi\"]}", "messages[0]" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"robot\", \"content\": \"x\"}]}", "messages[0].role" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"system\", \"content\": 42}]}", "messages[0].content" },
    { "{\"model\": \"m\", \"messages\": [{\"content\": \"x\"}]}", "messages[0].role" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": 42}]}", "messages[0].content" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\"}]}", "messages[0].content" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"a\"},"
      " {\"role\": \"assistant\", \"content\": [{\"type\": \"foo\"}]}]}",
      "messages[1].content[0]: unknown block type \"foo\"" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"text\": \"no type\"}]}]}",
      "messages[0].content[0]" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]}",
      "messages[0].content[0].text" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"document\","
      " \"source\": {\"type\": \"base64\", \"media_type\": \"application/pdf\", \"data\": \"JVBERi0=\"}}]}]}",
      "messages[0].content[0]: document blocks are not supported" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\","
      " \"source\": {\"type\": \"file\", \"file_id\": \"file_011\"}}]}]}",
      "messages[0].content[0].source" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image\","
      " \"source\": {\"type\": \"base64\", \"data\": \"AAAA\"}}]}]}",
      "messages[0].content[0].source" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"tool_use\","
      " \"id\": \"t\", \"name\": \"n\", \"input\": {}}]}]}",
      "messages[0].content[0]: tool_use" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"assistant\", \"content\": [{\"type\": \"tool_result\","
      " \"tool_use_id\": \"t\"}]}]}",
      "messages[0].content[0]: tool_result" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"assistant\", \"content\": [{\"type\": \"tool_use\","
      " \"id\": \"t\", \"name\": \"n\", \"input\": [1]}]}]}",
      "messages[0].content[0].input" },
    { "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"tool_result\","
      " \"tool_use_id\": \"t\", \"content\": [{\"type\": \"bar\"}]}]}]}",
      "messages[0].content[0].content[0]: unknown block type \"bar\"" },
    { "{\"model\": \"m\", \"messages\": [], \"system\": 7}", "system" },
    { "{\"model\": \"m\", \"messages\": [], \"system\": [{\"type\": \"image\"}]}", "system[0]" },
    { "{\"model\": \"m\", \"messages\": [], \"tools\": [{\"type\": \"web_search_20250305\", \"name\": \"web_search\"}]}",
      "tools[0]: tool type \"web_search_20250305\" is not supported" },
    { "{\"model\": \"m\", \"messages\": [], \"tools\": [{\"name\": \"x\"}]}", "tools[0].input_schema" },
    { "{\"model\": \"m\", \"messages\": [], \"tool_choice\": {\"type\": \"sometimes\"}}", "tool_choice.type" },
    { "{\"model\": \"m\", \"messages\": [], \"tool_choice\": {\"type\": \"tool\"}}", "tool_choice.name" },
    { "{\"model\": \"m\", \"messages\": [], \"stop_sequences\": [1]}", "stop_sequences[0]" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_to_hub_fails (cases[i].request, cases[i].message);

  /* max_tokens is Anthropic's requirement, not the hub's: allowed here. */
  {
    g_autoptr(JsonObject) hub = to_hub ("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
    g_assert_false (json_object_has_member (hub, "max_tokens"));
  }
}

/* ---------------------------------------------- hub completion → message */

static void
test_response_from_hub (void)
{
  g_autoptr(JsonObject) completion = parse_object (
    "{\"id\": \"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\", \"object\": \"chat.completion\", \"created\": 1741569952,"
    " \"model\": \"gpt-4.1-2025-04-14\","
    " \"choices\": [{\"index\": 0, \"finish_reason\": \"tool_calls\", \"message\": {"
    "   \"role\": \"assistant\", \"content\": \"Checking both cities.\", \"reasoning_content\": \"Two lookups.\","
    "   \"tool_calls\": ["
    "     {\"id\": \"call_abc\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\","
    "      \"arguments\": \"{\\\"location\\\": \\\"Paris\\\"}\"}},"
    "     {\"id\": \"call_def\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\","
    "      \"arguments\": \"{\\\"location\\\": \"}}]}}],"
    " \"usage\": {\"prompt_tokens\": 1200, \"completion_tokens\": 80, \"total_tokens\": 1280,"
    "            \"prompt_tokens_details\": {\"cached_tokens\": 1000, \"cache_write_tokens\": 150},"
    "            \"cost\": 0.0042, \"cost_details\": {\"input\": 0.001, \"output\": 0.003}}}");
  g_autoptr(JsonObject) message = sy_anthropic_response_from_hub (completion);

  g_assert_cmpstr (str_at (message, "id"), ==, "msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT");
  g_assert_cmpstr (str_at (message, "type"), ==, "message");
  g_assert_cmpstr (str_at (message, "role"), ==, "assistant");
  g_assert_cmpstr (str_at (message, "model"), ==, "gpt-4.1-2025-04-14");
  assert_json_at (message, "content",
                  "[{\"type\": \"thinking\", \"thinking\": \"Two lookups.\", \"signature\": \"\"},"
                  " {\"type\": \"text\", \"text\": \"Checking both cities.\"},"
                  " {\"type\": \"tool_use\", \"id\": \"call_abc\", \"name\": \"get_weather\","
                  "  \"input\": {\"location\": \"Paris\"}},"
                  " {\"type\": \"tool_use\", \"id\": \"call_def\", \"name\": \"get_weather\", \"input\": {}}]");
  g_assert_cmpstr (str_at (message, "stop_reason"), ==, "tool_use");
  g_assert_true (null_at (message, "stop_sequence"));
  g_assert_cmpint (int_at (message, "usage.input_tokens"), ==, 50);
  g_assert_cmpint (int_at (message, "usage.output_tokens"), ==, 80);
  g_assert_cmpint (int_at (message, "usage.cache_read_input_tokens"), ==, 1000);
  g_assert_cmpint (int_at (message, "usage.cache_creation_input_tokens"), ==, 150);
  g_assert_cmpfloat_with_epsilon (double_at (message, "usage.cost"), 0.0042, 1e-12);
  g_assert_cmpfloat_with_epsilon (double_at (message, "usage.cost_details.output"), 0.003, 1e-12);
}

static void
test_response_from_hub_stop_reasons (void)
{
  static const struct { const char *finish; const char *stop; } cases[] = {
    { "\"stop\"", "end_turn" }, { "\"length\"", "max_tokens" }, { "\"tool_calls\"", "tool_use" },
    { "\"content_filter\"", "refusal" }, { "null", "end_turn" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"id\": \"msg_01XFDUDYJgAACzvnptvVoYEL\", \"object\": \"chat.completion\", \"model\": \"m\","
        " \"choices\": [{\"index\": 0, \"finish_reason\": %s,"
        "   \"message\": {\"role\": \"assistant\", \"content\": \"Hi\"}}]}", cases[i].finish);
      g_autoptr(JsonObject) completion = parse_object (json);
      g_autoptr(JsonObject) message = sy_anthropic_response_from_hub (completion);

      g_assert_cmpstr (str_at (message, "id"), ==, "msg_01XFDUDYJgAACzvnptvVoYEL");
      g_assert_cmpstr (str_at (message, "stop_reason"), ==, cases[i].stop);
      assert_json_at (message, "content", "[{\"type\": \"text\", \"text\": \"Hi\"}]");
      /* No hub usage: zeros, and no cost invented. */
      assert_json_at (message, "usage",
                      "{\"input_tokens\": 0, \"output_tokens\": 0, \"cache_read_input_tokens\": 0,"
                      " \"cache_creation_input_tokens\": 0}");
    }

  /* A refusal is what the model said. */
  {
    g_autoptr(JsonObject) completion = parse_object (
      "{\"id\": \"chatcmpl-r\", \"object\": \"chat.completion\", \"model\": \"m\","
      " \"choices\": [{\"index\": 0, \"finish_reason\": \"content_filter\","
      "   \"message\": {\"role\": \"assistant\", \"content\": null, \"refusal\": \"I can't help with that.\"}}]}");
    g_autoptr(JsonObject) message = sy_anthropic_response_from_hub (completion);

    assert_json_at (message, "content", "[{\"type\": \"text\", \"text\": \"I can't help with that.\"}]");
    g_assert_cmpstr (str_at (message, "stop_reason"), ==, "refusal");
  }
}

/* -------------------------------------------- hub request → Anthropic */

static void
test_request_from_hub (void)
{
  g_autoptr(JsonObject) request = from_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"stream\": true, \"max_completion_tokens\": 2048, \"max_tokens\": 7,"
    " \"temperature\": 1.6, \"top_p\": 0.8, \"stop\": \"END\", \"user\": \"user-1234\","
    " \"frequency_penalty\": 0.5, \"seed\": 3,"
    " \"messages\": ["
    "  {\"role\": \"system\", \"content\": \"You are helpful.\"},"
    "  {\"role\": \"developer\", \"content\": [{\"type\": \"text\", \"text\": \"Use metric units.\"}]},"
    "  {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Weather here?\"},"
    "     {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,iVBORw0KGgo=\"}},"
    "     {\"type\": \"image_url\", \"image_url\": {\"url\": \"https://example.com/sky.jpg\", \"detail\": \"high\"}}]},"
    "  {\"role\": \"assistant\", \"content\": null, \"reasoning_content\": \"unsigned\", \"tool_calls\": ["
    "     {\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\","
    "      \"arguments\": \"{\\\"location\\\":\\\"Paris\\\"}\"}},"
    "     {\"id\": \"call_2\", \"type\": \"function\", \"function\": {\"name\": \"get_time\", \"arguments\": \"\"}}]},"
    "  {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"15 C\"},"
    "  {\"role\": \"tool\", \"tool_call_id\": \"call_2\", \"content\": [{\"type\": \"text\", \"text\": \"12:00\"}]},"
    "  {\"role\": \"user\", \"content\": \"Thanks!\"},"
    "  {\"role\": \"user\", \"content\": \"And tomorrow?\"}],"
    " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather\","
    "              \"parameters\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}}}},"
    "            {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}],"
    " \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}},"
    " \"parallel_tool_calls\": false}", 1024);

  g_assert_cmpstr (str_at (request, "system"), ==, "You are helpful.\n\nUse metric units.");
  g_assert_cmpint (int_at (request, "max_tokens"), ==, 2048);
  g_assert_cmpfloat_with_epsilon (double_at (request, "temperature"), 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (double_at (request, "top_p"), 0.8, 1e-9);
  assert_json_at (request, "stop_sequences", "[\"END\"]");
  assert_json_at (request, "metadata", "{\"user_id\": \"user-1234\"}");
  g_assert_false (json_object_has_member (request, "frequency_penalty"));
  g_assert_false (json_object_has_member (request, "seed"));
  g_assert_false (json_object_has_member (request, "thinking"));

  assert_json_at (request, "messages",
                  "[{\"role\": \"user\", \"content\": ["
                  "   {\"type\": \"text\", \"text\": \"Weather here?\"},"
                  "   {\"type\": \"image\", \"source\": {\"type\": \"base64\", \"media_type\": \"image/png\","
                  "                                      \"data\": \"iVBORw0KGgo=\"}},"
                  "   {\"type\": \"image\", \"source\": {\"type\": \"url\", \"url\": \"https://example.com/sky.jpg\"}}]},"
                  " {\"role\": \"assistant\", \"content\": ["
                  "   {\"type\": \"tool_use\", \"id\": \"call_1\", \"name\": \"get_weather\","
                  "    \"input\": {\"location\": \"Paris\"}},"
                  "   {\"type\": \"tool_use\", \"id\": \"call_2\", \"name\": \"get_time\", \"input\": {}}]},"
                  " {\"role\": \"user\", \"content\": ["
                  "   {\"type\": \"tool_result\", \"tool_use_id\": \"call_1\", \"content\": \"15 C\"},"
                  "   {\"type\": \"tool_result\", \"tool_use_id\": \"call_2\", \"content\": \"12:00\"},"
                  "   {\"type\": \"text\", \"text\": \"Thanks!\"},"
                  "   {\"type\": \"text\", \"text\": \"And tomorrow?\"}]}]");
  assert_json_at (request, "tools",
                  "[{\"name\": \"get_weather\", \"description\": \"Weather\","
                  "  \"input_schema\": {\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}}},"
                  " {\"name\": \"get_time\", \"input_schema\": {\"type\": \"object\", \"properties\": {}}}]");
  assert_json_at (request, "tool_choice",
                  "{\"type\": \"tool\", \"name\": \"get_weather\", \"disable_parallel_tool_use\": true}");
}

static void
test_request_from_hub_tool_choice (void)
{
  static const struct { const char *hub; const char *anthropic; } cases[] = {
    { "\"auto\"", "{\"type\": \"auto\"}" },
    { "\"required\"", "{\"type\": \"any\"}" },
    { "\"none\"", "{\"type\": \"none\"}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tool_choice\": %s,"
        " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}", cases[i].hub);
      g_autoptr(JsonObject) request = from_hub (json, 1024);

      assert_json_at (request, "tool_choice", cases[i].anthropic);
    }

  /* parallel_tool_calls false alone asks for auto; without tools nothing is sent. */
  {
    g_autoptr(JsonObject) request = from_hub (
      "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"parallel_tool_calls\": false,"
      " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}", 1024);
    g_autoptr(JsonObject) bare = from_hub (
      "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tool_choice\": \"required\","
      " \"parallel_tool_calls\": false}", 1024);

    assert_json_at (request, "tool_choice", "{\"type\": \"auto\", \"disable_parallel_tool_use\": true}");
    g_assert_false (json_object_has_member (bare, "tool_choice"));
    g_assert_false (json_object_has_member (bare, "tools"));
  }
}

static void
test_request_from_hub_reasoning (void)
{
  static const struct { const char *effort; gint64 budget; } cases[] = {
    { "low", 1024 }, { "medium", 4096 }, { "high", 16384 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Prove it.\"}], \"reasoning_effort\": \"%s\","
        " \"max_tokens\": 2000, \"temperature\": 0.2, \"top_p\": 0.5}", cases[i].effort);
      g_autoptr(JsonObject) request = from_hub (json, 1024);

      g_assert_cmpstr (str_at (request, "thinking.type"), ==, "enabled");
      g_assert_cmpint (int_at (request, "thinking.budget_tokens"), ==, cases[i].budget);
      g_assert_cmpint (int_at (request, "max_tokens"), >, cases[i].budget);
      g_assert_cmpint (int_at (request, "max_tokens"), ==, cases[i].budget < 2000 ? 2000 : 2000 + cases[i].budget);
      g_assert_false (json_object_has_member (request, "temperature"));
      g_assert_false (json_object_has_member (request, "top_p"));
    }
}

/* Codex or an OpenAI client on a Claude model with reasoning: the hub has no
 * signed thinking blocks to give back, and Anthropic refuses thinking when the
 * last assistant turn is a tool call without one ("a final assistant message
 * must start with a thinking block"). Such a request goes without thinking. */
static void
test_request_from_hub_reasoning_tool_loop (void)
{
  g_autoptr(JsonObject) loop = from_hub (
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"},"
    "  {\"role\": \"assistant\", \"content\": null, \"reasoning_content\": \"I need the tool.\","
    "   \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\","
    "     \"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
    "  {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"18 C\"}],"
    " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
    "   \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}],"
    " \"reasoning_effort\": \"medium\", \"max_tokens\": 2000}", 1024);
  /* Once the loop ended in a text answer, a new question may think again. */
  g_autoptr(JsonObject) after = from_hub (
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"},"
    "  {\"role\": \"assistant\", \"content\": null,"
    "   \"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\","
    "     \"function\": {\"name\": \"get_weather\", \"arguments\": \"{}\"}}]},"
    "  {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"18 C\"},"
    "  {\"role\": \"assistant\", \"content\": \"It is 18 C.\"},"
    "  {\"role\": \"user\", \"content\": \"And tomorrow?\"}],"
    " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}],"
    " \"reasoning_effort\": \"medium\", \"max_tokens\": 2000}", 1024);

  g_assert_false (json_object_has_member (loop, "thinking"));
  g_assert_cmpint (int_at (loop, "max_tokens"), ==, 2000);
  g_assert_cmpstr (str_at (after, "thinking.type"), ==, "enabled");
  g_assert_cmpint (int_at (after, "thinking.budget_tokens"), ==, 4096);
}

static void
test_request_from_hub_json (void)
{
  g_autoptr(JsonObject) schema = from_hub (
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Extract the person.\"}],"
    " \"reasoning_effort\": \"high\","
    " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\", \"strict\": true,"
    "   \"schema\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"},"
    "                \"age\": {\"type\": \"integer\"}}, \"required\": [\"name\", \"age\"]}}}}", 1024);
  g_autoptr(JsonObject) object = from_hub (
    "{\"messages\": [{\"role\": \"system\", \"content\": \"Be exact.\"}, {\"role\": \"user\", \"content\": \"List.\"}],"
    " \"response_format\": {\"type\": \"json_object\"}}", 1024);

  g_assert_cmpuint (len_at (schema, "tools"), ==, 1);
  g_assert_cmpstr (str_at (schema, "tools.0.name"), ==, "__switchyard_json");
  assert_json_at (schema, "tools.0.input_schema",
                  "{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"},"
                  " \"age\": {\"type\": \"integer\"}}, \"required\": [\"name\", \"age\"]}");
  assert_json_at (schema, "tool_choice", "{\"type\": \"tool\", \"name\": \"__switchyard_json\"}");
  /* A forced tool call and thinking exclude each other at Anthropic. */
  g_assert_false (json_object_has_member (schema, "thinking"));
  g_assert_cmpint (int_at (schema, "max_tokens"), ==, 1024);

  g_assert_cmpstr (str_at (object, "system"), ==, "Be exact.\n\nAnswer with a single JSON object and nothing else.");
  g_assert_false (json_object_has_member (object, "tools"));
}

static void
test_request_from_hub_max_tokens (void)
{
  g_autoptr(JsonObject) given = from_hub ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 77}", 1024);
  g_autoptr(JsonObject) by_default = from_hub ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 8192);
  g_autoptr(JsonObject) fallback = from_hub ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 0);
  /* An assistant first is what the client sent; Anthropic accepts it. */
  g_autoptr(JsonObject) assistant_first = from_hub (
    "{\"messages\": [{\"role\": \"assistant\", \"content\": \"Hello!\"}, {\"role\": \"user\", \"content\": \"\"},"
    "  {\"role\": \"user\", \"content\": \"Hi\"}]}", 100);

  g_assert_cmpint (int_at (given, "max_tokens"), ==, 77);
  g_assert_cmpint (int_at (by_default, "max_tokens"), ==, 8192);
  g_assert_cmpint (int_at (fallback, "max_tokens"), ==, 4096);
  assert_json_at (assistant_first, "messages",
                  "[{\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"Hello!\"}]},"
                  " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Hi\"}]}]");
  g_assert_false (json_object_has_member (assistant_first, "system"));
}

static void
test_request_from_hub_refusal (void)
{
  g_autoptr(JsonObject) request = from_hub (
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Do the thing.\"},"
    "  {\"role\": \"assistant\", \"content\": [{\"type\": \"refusal\", \"refusal\": \"I can't.\"}]},"
    "  {\"role\": \"user\", \"content\": \"Fine.\"}]}", 1024);

  assert_json_at (request, "messages.1",
                  "{\"role\": \"assistant\", \"content\": [{\"type\": \"text\", \"text\": \"I can't.\"}]}");
}

static void
test_request_from_hub_invalid (void)
{
  assert_from_hub_fails ("{\"model\": \"m\"}", "messages");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 2}",
                         "n > 1 is not supported by Anthropic");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"c\", \"type\": \"function\","
                         " \"function\": {\"name\": \"f\", \"arguments\": \"{not json\"}}]}]}",
                         "messages[0].tool_calls[0].function.arguments");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"assistant\", \"tool_calls\": [{\"id\": \"c\", \"type\": \"function\","
                         " \"function\": {\"name\": \"f\", \"arguments\": \"[1, 2]\"}}]}]}",
                         "messages[0].tool_calls[0].function.arguments");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                         " \"image_url\": {\"url\": \"ftp://example.com/a.png\"}}]}]}",
                         "messages[0].content[0]");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"input_audio\","
                         " \"input_audio\": {\"data\": \"AAAA\", \"format\": \"wav\"}}]}]}",
                         "messages[0].content[0]");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"function\", \"name\": \"f\", \"content\": \"x\"}]}",
                         "messages[0].role");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}", "messages[0].tool_call_id");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                         " \"tools\": [{\"type\": \"web_search\"}]}", "tools[0]");
  assert_from_hub_fails ("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tool_choice\": \"maybe\","
                         " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}", "tool_choice");
}

/* -------------------------------------------- Anthropic message → hub */

static JsonObject *
message_to_hub (const char *json)
{
  g_autoptr(JsonObject) message = parse_object (json);
  g_autoptr(GError) error = NULL;
  JsonObject *completion = sy_anthropic_response_to_hub (message, &error);

  g_assert_no_error (error);
  g_assert_nonnull (completion);
  g_assert_cmpstr (str_at (completion, "object"), ==, "chat.completion");
  g_assert_cmpint (int_at (completion, "created"), >, 1700000000);
  g_assert_cmpstr (str_at (completion, "choices.0.message.role"), ==, "assistant");
  return completion;
}

static void
test_response_to_hub (void)
{
  g_autoptr(JsonObject) text = message_to_hub (
    "{\"id\": \"msg_013Zva2CMHLNnXjNJJKqJ2EF\", \"type\": \"message\", \"role\": \"assistant\","
    " \"model\": \"claude-sonnet-4-5-20250929\","
    " \"content\": [{\"type\": \"text\", \"text\": \"Hi! My name is Claude.\"}],"
    " \"stop_reason\": \"end_turn\", \"stop_sequence\": null,"
    " \"usage\": {\"input_tokens\": 2095, \"output_tokens\": 503,"
    "            \"cache_creation_input_tokens\": 2051, \"cache_read_input_tokens\": 1000}}");
  g_autoptr(JsonObject) tools = message_to_hub (
    "{\"id\": \"msg_01Aq9w938a90dw8q\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-sonnet-4-5\","
    " \"content\": [{\"type\": \"thinking\", \"thinking\": \"Two cities.\", \"signature\": \"zbbJhbGciOiJFU8zI1NiIsImtakcjsu38219c0.eyJoYXNoIjoiYWJjMTIzIiwiaWF0IjoxNjE0NTM0NTY3fQ==\"},"
    "             {\"type\": \"redacted_thinking\", \"data\": \"EmwKAhgBEgy3va3pzix\"},"
    "             {\"type\": \"tool_use\", \"id\": \"toolu_01A09q90qw90lq917835lq9\", \"name\": \"get_weather\","
    "              \"input\": {\"location\": \"San Francisco, CA\", \"unit\": \"celsius\"}},"
    "             {\"type\": \"tool_use\", \"id\": \"toolu_01B\", \"name\": \"get_time\", \"input\": {}}],"
    " \"stop_reason\": \"tool_use\", \"stop_sequence\": null,"
    " \"usage\": {\"input_tokens\": 472, \"output_tokens\": 91}}");
  g_autoptr(JsonObject) json = message_to_hub (
    "{\"id\": \"msg_json\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-haiku-4-5\","
    " \"content\": [{\"type\": \"tool_use\", \"id\": \"toolu_x\", \"name\": \"__switchyard_json\","
    "              \"input\": {\"name\": \"Ada\", \"age\": 36}}],"
    " \"stop_reason\": \"tool_use\", \"stop_sequence\": null, \"usage\": {\"input_tokens\": 10, \"output_tokens\": 12}}");
  static const struct { const char *stop; const char *finish; } reasons[] = {
    { "end_turn", "stop" }, { "stop_sequence", "stop" }, { "pause_turn", "stop" }, { "max_tokens", "length" },
    { "tool_use", "tool_calls" }, { "refusal", "content_filter" },
  };
  g_autoptr(JsonNode) arguments = NULL;

  g_assert_cmpstr (str_at (text, "id"), ==, "msg_013Zva2CMHLNnXjNJJKqJ2EF");
  g_assert_cmpstr (str_at (text, "model"), ==, "claude-sonnet-4-5-20250929");
  g_assert_cmpstr (str_at (text, "choices.0.message.content"), ==, "Hi! My name is Claude.");
  g_assert_cmpstr (str_at (text, "choices.0.finish_reason"), ==, "stop");
  g_assert_false (json_object_has_member (json_node_get_object (at (text, "choices.0.message")), "tool_calls"));
  g_assert_cmpint (int_at (text, "usage.prompt_tokens"), ==, 2095 + 2051 + 1000);
  g_assert_cmpint (int_at (text, "usage.completion_tokens"), ==, 503);
  g_assert_cmpint (int_at (text, "usage.total_tokens"), ==, 2095 + 2051 + 1000 + 503);
  g_assert_cmpint (int_at (text, "usage.prompt_tokens_details.cached_tokens"), ==, 1000);
  g_assert_cmpint (int_at (text, "usage.prompt_tokens_details.cache_write_tokens"), ==, 2051);

  g_assert_true (null_at (tools, "choices.0.message.content"));
  g_assert_cmpstr (str_at (tools, "choices.0.message.reasoning_content"), ==, "Two cities.");
  g_assert_cmpstr (str_at (tools, "choices.0.finish_reason"), ==, "tool_calls");
  g_assert_cmpuint (len_at (tools, "choices.0.message.tool_calls"), ==, 2);
  g_assert_cmpstr (str_at (tools, "choices.0.message.tool_calls.0.id"), ==, "toolu_01A09q90qw90lq917835lq9");
  g_assert_cmpstr (str_at (tools, "choices.0.message.tool_calls.0.type"), ==, "function");
  g_assert_cmpstr (str_at (tools, "choices.0.message.tool_calls.0.function.name"), ==, "get_weather");
  arguments = sy_json_parse (str_at (tools, "choices.0.message.tool_calls.0.function.arguments"),
                             strlen (str_at (tools, "choices.0.message.tool_calls.0.function.arguments")), NULL);
  g_assert_cmpstr (sy_test_json_string (arguments, "location"), ==, "San Francisco, CA");
  g_assert_cmpstr (sy_test_json_string (arguments, "unit"), ==, "celsius");
  g_assert_cmpstr (str_at (tools, "choices.0.message.tool_calls.1.function.arguments"), ==, "{}");
  g_assert_cmpint (int_at (tools, "usage.prompt_tokens"), ==, 472);

  g_assert_cmpstr (str_at (json, "choices.0.message.content"), ==, "{\"name\":\"Ada\",\"age\":36}");
  g_assert_cmpstr (str_at (json, "choices.0.finish_reason"), ==, "stop");
  g_assert_false (json_object_has_member (json_node_get_object (at (json, "choices.0.message")), "tool_calls"));

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      g_autofree char *message = g_strdup_printf (
        "{\"id\": \"msg_1\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"m\","
        " \"content\": [{\"type\": \"text\", \"text\": \"x\"}], \"stop_reason\": \"%s\","
        " \"usage\": {\"input_tokens\": 1, \"output_tokens\": 1}}", reasons[i].stop);
      g_autoptr(JsonObject) completion = message_to_hub (message);

      g_assert_cmpstr (str_at (completion, "choices.0.finish_reason"), ==, reasons[i].finish);
    }
}

static void
test_response_to_hub_invalid (void)
{
  static const char * const bodies[] = {
    "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}",
    "{\"id\": \"chatcmpl-1\", \"object\": \"chat.completion\", \"choices\": []}",
    "{}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonObject) message = parse_object (bodies[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) completion = sy_anthropic_response_to_hub (message, &error);

      g_assert_null (completion);
      g_assert_error (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM);
    }
}

/* ------------------------------------------------ Anthropic stream → hub */

static const char text_stream[] =
  "event: message_start\n"
  "data: {\"type\": \"message_start\", \"message\": {\"id\": \"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY\","
  " \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": \"claude-sonnet-4-5-20250929\","
  " \"stop_reason\": null, \"stop_sequence\": null,"
  " \"usage\": {\"input_tokens\": 25, \"cache_creation_input_tokens\": 0, \"cache_read_input_tokens\": 0,"
  " \"output_tokens\": 1}}}\n\n"
  "event: content_block_start\n"
  "data: {\"type\": \"content_block_start\", \"index\": 0, \"content_block\": {\"type\": \"thinking\", \"thinking\": \"\"}}\n\n"
  "event: ping\n"
  "data: {\"type\": \"ping\"}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\","
  " \"thinking\": \"A greeting; \"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"thinking_delta\","
  " \"thinking\": \"answer warmly.\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"signature_delta\","
  " \"signature\": \"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\": \"content_block_stop\", \"index\": 0}\n\n"
  "event: content_block_start\n"
  "data: {\"type\": \"content_block_start\", \"index\": 1, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": \"text_delta\", \"text\": \"Hello\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\": \"content_block_delta\", \"index\": 1, \"delta\": {\"type\": \"text_delta\", \"text\": \"!\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\": \"content_block_stop\", \"index\": 1}\n\n"
  "event: some_future_event\n"
  "data: {\"type\": \"some_future_event\", \"detail\": 1}\n\n"
  "event: message_delta\n"
  "data: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": \"end_turn\", \"stop_sequence\": null},"
  " \"usage\": {\"output_tokens\": 15}}\n\n"
  "event: message_stop\n"
  "data: {\"type\": \"message_stop\"}\n\n";

static void
test_decoder_text (void)
{
  g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("claude-sonnet-4-5");
  g_autoptr(Folded) folded = folded_new ();
  g_autoptr(GError) error = NULL;
  guint status = 0;

  g_assert_true (decode_sse (decoder, text_stream, folded, &status, &error));
  g_assert_no_error (error);
  g_assert_true (decoder->done);
  g_assert_true (folded->role_seen);
  g_assert_cmpstr (folded->id, ==, "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY");
  g_assert_cmpstr (folded->model, ==, "claude-sonnet-4-5-20250929");
  g_assert_cmpstr (folded->content->str, ==, "Hello!");
  g_assert_cmpstr (folded->reasoning->str, ==, "A greeting; answer warmly.");
  g_assert_cmpuint (folded->tool_ids->len, ==, 0);
  g_assert_cmpstr (folded->finish_reason, ==, "stop");
  g_assert_nonnull (folded->usage);
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens"), ==, 25);
  g_assert_cmpint (int_at (folded->usage, "completion_tokens"), ==, 15);
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens_details.cached_tokens"), ==, 0);

  /* Anything after message_stop changes nothing. */
  {
    g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

    g_assert_true (sy_stream_decoder_feed (decoder, "ping", "{\"type\": \"ping\"}", chunks, &status, &error));
    g_assert_cmpuint (chunks->len, ==, 0);
  }
}

static const char tool_stream[] =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\",\"type\":\"message\","
  "\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"stop_sequence\":null,"
  "\"usage\":{\"input_tokens\":472,\"cache_read_input_tokens\":300,\"cache_creation_input_tokens\":20,"
  "\"output_tokens\":2},\"content\":[],\"stop_reason\":null}}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
  "\"text\":\"Okay, let's check the weather for San Francisco, CA:\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
  "\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"location\\\":\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\" \\\"San Fra\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ncisco, CA\\\"\"}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\", \\\"unit\\\": \\\"fahrenheit\\\"}\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\","
  "\"id\":\"toolu_02\",\"name\":\"get_time\",\"input\":{}}}\n\n"
  "event: content_block_delta\n"
  "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n"
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
  "event: message_delta\n"
  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
  "\"usage\":{\"output_tokens\":89}}\n\n"
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n\n";

static void
test_decoder_tool_use (void)
{
  g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("fallback-model");
  g_autoptr(Folded) folded = folded_new ();
  g_autoptr(GError) error = NULL;
  guint status = 0;

  g_assert_true (decode_sse (decoder, tool_stream, folded, &status, &error));
  g_assert_no_error (error);
  g_assert_true (decoder->done);
  g_assert_cmpstr (folded->model, ==, "claude-sonnet-4-5");
  g_assert_cmpstr (folded->content->str, ==, "Okay, let's check the weather for San Francisco, CA:");
  g_assert_cmpuint (folded->tool_ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (folded->tool_ids, 0), ==, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_names, 0), ==, "get_weather");
  g_assert_cmpstr (tool_args (folded, 0), ==, "{\"location\": \"San Francisco, CA\", \"unit\": \"fahrenheit\"}");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_ids, 1), ==, "toolu_02");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_names, 1), ==, "get_time");
  g_assert_cmpstr (tool_args (folded, 1), ==, "{}");
  g_assert_cmpstr (folded->finish_reason, ==, "tool_calls");
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens"), ==, 472 + 300 + 20);
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens_details.cached_tokens"), ==, 300);
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens_details.cache_write_tokens"), ==, 20);
  g_assert_cmpint (int_at (folded->usage, "completion_tokens"), ==, 89);
}

static void
test_decoder_usage_in_message_delta (void)
{
  /* Newer streams also put input and cache counts in message_delta: they win. */
  static const char stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_a\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-opus-4-1\",\"content\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},"
    "\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":null,\"output_tokens\":7}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";
  g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("m");
  g_autoptr(Folded) folded = folded_new ();
  g_autoptr(GError) error = NULL;
  guint status = 0;

  g_assert_true (decode_sse (decoder, stream, folded, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (folded->finish_reason, ==, "length");
  g_assert_cmpstr (folded->content->str, ==, "");
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens"), ==, 15);
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens_details.cached_tokens"), ==, 5);
  g_assert_cmpint (int_at (folded->usage, "completion_tokens"), ==, 7);
}

static void
test_decoder_json_tool (void)
{
  static const char stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_j\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-haiku-4-5\",\"content\":[],\"usage\":{\"input_tokens\":30,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\","
    "\"id\":\"toolu_j\",\"name\":\"__switchyard_json\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"name\\\": \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Ada\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";
  g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("m");
  g_autoptr(Folded) folded = folded_new ();
  g_autoptr(GError) error = NULL;
  guint status = 0;

  g_assert_true (decode_sse (decoder, stream, folded, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (folded->content->str, ==, "{\"name\": \"Ada\"}");
  g_assert_cmpuint (folded->tool_ids->len, ==, 0);
  g_assert_cmpstr (folded->finish_reason, ==, "stop");
}

#define START_EVENT \
  "event: message_start\n" \
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_e\",\"type\":\"message\",\"role\":\"assistant\"," \
  "\"model\":\"m\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n"

static void
test_decoder_malformed (void)
{
  static const struct {
    const char *stream;
    guint       status;
    int         code;
    const char *message;
  } cases[] = {
    { "event: message_start\ndata: {\"type\":\"message_start\",\"message\":\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "JSON" },
    { "event: message_start\ndata: [1, 2]\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "JSON" },
    { "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "before message_start" },
    { "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "before message_start" },
    { START_EVENT "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "block 3" },
    { START_EVENT "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"text_delta\",\"text\":\"late\"}}\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "block 0" },
    { START_EVENT "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":-1,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n", 502, SY_TRANSLATE_ERROR_UPSTREAM, "index" },
    { START_EVENT START_EVENT, 502, SY_TRANSLATE_ERROR_UPSTREAM, "message_start" },
    { START_EVENT "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\","
      " \"message\": \"Overloaded\"}}\n\n", 529, SY_TRANSLATE_ERROR_UPSTREAM, "Overloaded" },
    { "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"rate_limit_error\","
      " \"message\": \"Number of request tokens has exceeded your per-minute rate limit\"}}\n\n",
      429, SY_TRANSLATE_ERROR_UPSTREAM, "per-minute rate limit" },
    { START_EVENT "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"api_error\","
      " \"message\": \"Internal server error\"}}\n\n", 500, SY_TRANSLATE_ERROR_UPSTREAM, "Internal server error" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("m");
      g_autoptr(Folded) folded = folded_new ();
      g_autoptr(GError) error = NULL;
      guint status = 0;

      g_assert_false (decode_sse (decoder, cases[i].stream, folded, &status, &error));
      g_assert_error (error, SY_TRANSLATE_ERROR, cases[i].code);
      g_assert_cmpuint (status, ==, cases[i].status);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: expected \"%s\" in \"%s\"", i, cases[i].message, error->message);
      g_assert_false (decoder->done);
    }
}

static void
test_decoder_truncated (void)
{
  /* Cut after every event of the recorded stream: no failure, and done only
   * with the message_stop. */
  g_auto(GStrv) events = g_strsplit (tool_stream, "\n\n", -1);
  guint n = g_strv_length (events);

  for (guint cut = 0; cut < n; cut++)
    {
      g_autoptr(GString) partial = g_string_new (NULL);
      g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("m");
      g_autoptr(Folded) folded = folded_new ();
      g_autoptr(GError) error = NULL;
      guint status = 0;

      for (guint i = 0; i < cut; i++)
        if (*events[i] != '\0')
          g_string_append_printf (partial, "%s\n\n", events[i]);
      g_assert_true (decode_sse (decoder, partial->str, folded, &status, &error));
      g_assert_no_error (error);
      g_assert_cmpint (decoder->done, ==, strstr (partial->str, "message_stop") != NULL);
      g_assert_cmpint (folded->usage != NULL, ==, decoder->done);
    }
}

/* ------------------------------------------------- hub stream → Anthropic */

static GPtrArray *
encode (SyStreamEncoder    *encoder,
        const char * const *chunks)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

  for (guint i = 0; chunks[i] != NULL; i++)
    {
      g_autoptr(JsonObject) chunk = parse_object (chunks[i]);
      sy_stream_encoder_chunk (encoder, chunk, events);
    }
  sy_stream_encoder_finish (encoder, events);
  return events;
}

/* Event names joined with spaces; checks that each event's data is a JSON object
 * whose "type" is the event's name. */
static char *
event_names (GPtrArray *events)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      g_autoptr(JsonObject) data = parse_object (event->data);

      g_assert_cmpstr (sy_json_get_string (data, "type"), ==, event->event);
      if (names->len > 0)
        g_string_append_c (names, ' ');
      g_string_append (names, event->event);
    }
  return g_strdup (names->str);
}

static JsonObject *
event_data (GPtrArray *events,
            guint      index)
{
  g_assert_cmpuint (index, <, events->len);
  return parse_object (((SySseEvent *) g_ptr_array_index (events, index))->data);
}

#define CHUNK(delta, finish) \
  "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\"," \
  "\"choices\":[{\"index\":0,\"delta\":" delta ",\"finish_reason\":" finish "}]}"
#define USAGE_CHUNK \
  "{\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\"," \
  "\"choices\":[],\"usage\":{\"prompt_tokens\":1200,\"completion_tokens\":40,\"total_tokens\":1240," \
  "\"prompt_tokens_details\":{\"cached_tokens\":1024},\"cost\":0.5,\"cost_details\":{\"input\":0.25}}}"

static const char * const hub_stream[] = {
  CHUNK ("{\"role\":\"assistant\",\"content\":\"\"}", "null"),
  CHUNK ("{\"reasoning_content\":\"Weather needs \"}", "null"),
  CHUNK ("{\"reasoning_content\":\"a tool.\"}", "null"),
  CHUNK ("{\"content\":\"Let me \"}", "null"),
  CHUNK ("{\"content\":\"check.\"}", "null"),
  CHUNK ("{\"tool_calls\":[{\"index\":0,\"id\":\"call_w\",\"type\":\"function\","
         "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}", "null"),
  CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"location\\\":\"}}]}", "null"),
  CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}", "null"),
  CHUNK ("{\"tool_calls\":[{\"index\":1,\"id\":\"call_t\",\"type\":\"function\","
         "\"function\":{\"name\":\"get_time\",\"arguments\":\"{}\"}}]}", "null"),
  CHUNK ("{}", "\"tool_calls\""),
  USAGE_CHUNK,
  NULL,
};

/* OpenRouter and Groq stream reasoning as "reasoning": once the router has
 * normalised it, Anthropic clients see a thinking block. */
static void
test_encoder_openrouter_reasoning (void)
{
  g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new ("deepseek-r1");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
  g_autoptr(JsonObject) chunk = parse_object (
    "{\"id\":\"gen-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"deepseek-r1\","
    " \"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"Let me think.\"},"
    "  \"finish_reason\":null}]}");
  g_autoptr(JsonObject) delta = NULL;

  sy_hub_normalize_reasoning (sy_hub_chunk_delta (chunk));
  sy_stream_encoder_chunk (encoder, chunk, events);
  sy_stream_encoder_finish (encoder, events);
  delta = event_data (events, 2);
  g_assert_cmpstr (str_at (delta, "delta.type"), ==, "thinking_delta");
  g_assert_cmpstr (str_at (delta, "delta.thinking"), ==, "Let me think.");
}

static void
test_encoder_events (void)
{
  g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new ("claude-sonnet-4-5");
  g_autoptr(GPtrArray) events = encode (encoder, hub_stream);
  g_autofree char *names = event_names (events);
  g_autoptr(JsonObject) start = event_data (events, 0);
  g_autoptr(JsonObject) thinking = event_data (events, 1);
  g_autoptr(JsonObject) text_start = event_data (events, 5);
  g_autoptr(JsonObject) tool_start = event_data (events, 9);
  g_autoptr(JsonObject) json_delta = event_data (events, 10);
  g_autoptr(JsonObject) second_tool = event_data (events, 13);
  g_autoptr(JsonObject) message_delta = event_data (events, events->len - 2);

  g_assert_cmpstr (names, ==,
                   "message_start "
                   "content_block_start content_block_delta content_block_delta content_block_stop "
                   "content_block_start content_block_delta content_block_delta content_block_stop "
                   "content_block_start content_block_delta content_block_delta content_block_stop "
                   "content_block_start content_block_delta content_block_stop "
                   "message_delta message_stop");
  g_assert_cmpstr (str_at (start, "message.id"), ==, "msg_chatcmpl-123");
  g_assert_cmpstr (str_at (start, "message.model"), ==, "claude-sonnet-4-5");
  g_assert_cmpstr (str_at (start, "message.role"), ==, "assistant");
  g_assert_cmpuint (len_at (start, "message.content"), ==, 0);
  g_assert_true (null_at (start, "message.stop_reason"));
  g_assert_cmpint (int_at (start, "message.usage.input_tokens"), ==, 0);
  g_assert_cmpint (int_at (start, "message.usage.output_tokens"), ==, 0);

  assert_json_at (thinking, NULL,
                  "{\"type\": \"content_block_start\", \"index\": 0,"
                  " \"content_block\": {\"type\": \"thinking\", \"thinking\": \"\", \"signature\": \"\"}}");
  assert_json_at (text_start, NULL,
                  "{\"type\": \"content_block_start\", \"index\": 1, \"content_block\": {\"type\": \"text\", \"text\": \"\"}}");
  assert_json_at (tool_start, NULL,
                  "{\"type\": \"content_block_start\", \"index\": 2,"
                  " \"content_block\": {\"type\": \"tool_use\", \"id\": \"call_w\", \"name\": \"get_weather\", \"input\": {}}}");
  assert_json_at (json_delta, NULL,
                  "{\"type\": \"content_block_delta\", \"index\": 2,"
                  " \"delta\": {\"type\": \"input_json_delta\", \"partial_json\": \"{\\\"location\\\":\"}}");
  g_assert_cmpint (int_at (second_tool, "index"), ==, 3);
  g_assert_cmpstr (str_at (second_tool, "content_block.id"), ==, "call_t");

  assert_json_at (message_delta, "delta", "{\"stop_reason\": \"tool_use\", \"stop_sequence\": null}");
  assert_json_at (message_delta, "usage",
                  "{\"input_tokens\": 176, \"output_tokens\": 40, \"cache_read_input_tokens\": 1024,"
                  " \"cache_creation_input_tokens\": 0, \"cost\": 0.5, \"cost_details\": {\"input\": 0.25}}");

  /* Nothing after the end. */
  {
    g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
    g_autoptr(JsonObject) chunk = parse_object (CHUNK ("{\"content\":\"late\"}", "null"));

    sy_stream_encoder_chunk (encoder, chunk, more);
    sy_stream_encoder_finish (encoder, more);
    sy_stream_encoder_error (encoder, 500, "api_error", "late", more);
    g_assert_cmpuint (more->len, ==, 0);
  }
}

/* Anthropic events → decoder, as they would come back from an Anthropic upstream. */
static void
decode_events (GPtrArray *events,
               Folded    *folded)
{
  g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("m");

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      g_autoptr(GError) error = NULL;
      guint status = 0;

      g_assert_true (sy_stream_decoder_feed (decoder, event->event, event->data, chunks, &status, &error));
      g_assert_no_error (error);
      for (guint j = 0; j < chunks->len; j++)
        fold_chunk (folded, g_ptr_array_index (chunks, j));
    }
  g_assert_true (decoder->done);
}

static void
test_encoder_round_trip (void)
{
  g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new ("claude-sonnet-4-5");
  g_autoptr(GPtrArray) events = encode (encoder, hub_stream);
  g_autoptr(Folded) folded = folded_new ();

  decode_events (events, folded);
  g_assert_cmpstr (folded->id, ==, "msg_chatcmpl-123");
  g_assert_cmpstr (folded->model, ==, "claude-sonnet-4-5");
  g_assert_cmpstr (folded->reasoning->str, ==, "Weather needs a tool.");
  g_assert_cmpstr (folded->content->str, ==, "Let me check.");
  g_assert_cmpuint (folded->tool_ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (folded->tool_ids, 0), ==, "call_w");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_names, 0), ==, "get_weather");
  g_assert_cmpstr (tool_args (folded, 0), ==, "{\"location\":\"Paris\"}");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_ids, 1), ==, "call_t");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_names, 1), ==, "get_time");
  g_assert_cmpstr (tool_args (folded, 1), ==, "{}");
  g_assert_cmpstr (folded->finish_reason, ==, "tool_calls");
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens"), ==, 1200);
  g_assert_cmpint (int_at (folded->usage, "prompt_tokens_details.cached_tokens"), ==, 1024);
  g_assert_cmpint (int_at (folded->usage, "completion_tokens"), ==, 40);
}

/* Providers that send several calls in one chunk and then their arguments in
 * turns: every fragment must land in its own block while that block is open,
 * as Anthropic's clients finish a tool_use block at its content_block_stop. */
static void
test_encoder_parallel_interleaved (void)
{
  static const char * const chunks[] = {
    CHUNK ("{\"role\":\"assistant\",\"content\":null}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\","
           "\"function\":{\"name\":\"Read\",\"arguments\":\"\"}},"
           "{\"index\":1,\"id\":\"call_b\",\"type\":\"function\","
           "\"function\":{\"name\":\"Glob\",\"arguments\":\"\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"file_path\\\":\"}},"
           "{\"index\":1,\"function\":{\"arguments\":\"{\\\"pattern\\\":\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"a.c\\\"}\"}}]}", "null"),
    CHUNK ("{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":\"\\\"*.h\\\"}\"}}]}", "null"),
    CHUNK ("{}", "\"tool_calls\""),
    USAGE_CHUNK,
    NULL,
  };
  /* Whole calls without an "index" (as some OpenAI-compatible servers send
   * them): one block each, in order. */
  static const char * const unindexed[] = {
    CHUNK ("{\"role\":\"assistant\",\"tool_calls\":["
           "{\"id\":\"call_x\",\"type\":\"function\",\"function\":{\"name\":\"Read\",\"arguments\":\"{\\\"file_path\\\":\\\"x\\\"}\"}},"
           "{\"id\":\"call_y\",\"type\":\"function\",\"function\":{\"name\":\"Read\",\"arguments\":\"{\\\"file_path\\\":\\\"y\\\"}\"}}]}",
           "\"tool_calls\""),
    NULL,
  };
  g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new ("claude-sonnet-4-5");
  g_autoptr(GPtrArray) events = encode (encoder, chunks);
  g_autoptr(Folded) folded = folded_new ();
  g_autoptr(SyStreamEncoder) encoder2 = sy_anthropic_encoder_new ("claude-sonnet-4-5");
  g_autoptr(GPtrArray) events2 = encode (encoder2, unindexed);
  g_autoptr(Folded) folded2 = folded_new ();

  /* The decoder refuses a delta for a block after its content_block_stop. */
  decode_events (events, folded);
  g_assert_cmpuint (folded->tool_ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (folded->tool_ids, 0), ==, "call_a");
  g_assert_cmpstr (tool_args (folded, 0), ==, "{\"file_path\":\"a.c\"}");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_ids, 1), ==, "call_b");
  g_assert_cmpstr (g_ptr_array_index (folded->tool_names, 1), ==, "Glob");
  g_assert_cmpstr (tool_args (folded, 1), ==, "{\"pattern\":\"*.h\"}");
  g_assert_cmpstr (folded->finish_reason, ==, "tool_calls");

  decode_events (events2, folded2);
  g_assert_cmpuint (folded2->tool_ids->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (folded2->tool_ids, 0), ==, "call_x");
  g_assert_cmpstr (tool_args (folded2, 0), ==, "{\"file_path\":\"x\"}");
  g_assert_cmpstr (g_ptr_array_index (folded2->tool_ids, 1), ==, "call_y");
  g_assert_cmpstr (tool_args (folded2, 1), ==, "{\"file_path\":\"y\"}");
}

static void
test_encoder_text_only (void)
{
  static const char * const chunks[] = {
    CHUNK ("{\"role\":\"assistant\",\"content\":\"\"}", "null"),
    CHUNK ("{\"content\":\"Hello\"}", "null"),
    CHUNK ("{\"content\":\" world\"}", "null"),
    CHUNK ("{}", "\"length\""),
    NULL,
  };
  g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new (NULL);
  g_autoptr(GPtrArray) events = encode (encoder, chunks);
  g_autofree char *names = event_names (events);
  g_autoptr(JsonObject) start = event_data (events, 0);
  g_autoptr(JsonObject) message_delta = event_data (events, events->len - 2);
  g_autoptr(Folded) folded = folded_new ();

  g_assert_cmpstr (names, ==,
                   "message_start content_block_start content_block_delta content_block_delta "
                   "content_block_stop message_delta message_stop");
  /* No model given: the hub's. */
  g_assert_cmpstr (str_at (start, "message.model"), ==, "gpt-4o-mini");
  g_assert_cmpstr (str_at (message_delta, "delta.stop_reason"), ==, "max_tokens");
  /* No usage chunk: zeros, no cost. */
  assert_json_at (message_delta, "usage",
                  "{\"input_tokens\": 0, \"output_tokens\": 0, \"cache_read_input_tokens\": 0,"
                  " \"cache_creation_input_tokens\": 0}");

  decode_events (events, folded);
  g_assert_cmpstr (folded->content->str, ==, "Hello world");
  g_assert_cmpstr (folded->finish_reason, ==, "length");
}

static void
test_encoder_empty (void)
{
  static const char * const none[] = { NULL };
  g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new ("claude-sonnet-4-5");
  g_autoptr(GPtrArray) events = encode (encoder, none);
  g_autofree char *names = event_names (events);
  g_autoptr(JsonObject) start = event_data (events, 0);
  g_autoptr(Folded) folded = folded_new ();

  g_assert_cmpstr (names, ==, "message_start message_delta message_stop");
  g_assert_true (g_str_has_prefix (str_at (start, "message.id"), "msg_"));
  decode_events (events, folded);
  g_assert_cmpstr (folded->content->str, ==, "");
  g_assert_cmpstr (folded->finish_reason, ==, "stop");
}

static void
test_encoder_error (void)
{
  static const struct { guint status; const char *type; guint decoded; } cases[] = {
    { 529, "overloaded_error", 529 }, { 429, "rate_limit_error", 429 }, { 401, "authentication_error", 500 },
    { 400, "invalid_request_error", 500 }, { 500, "api_error", 500 }, { 502, "api_error", 500 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SyStreamEncoder) encoder = sy_anthropic_encoder_new ("claude-sonnet-4-5");
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
      g_autoptr(JsonObject) chunk = parse_object (CHUNK ("{\"content\":\"Hi\"}", "null"));
      g_autoptr(JsonObject) error = NULL;
      g_autoptr(SyStreamDecoder) decoder = sy_anthropic_decoder_new ("m");
      g_autoptr(GError) decode_error = NULL;
      g_autofree char *names = NULL;
      guint status = 0;

      sy_stream_encoder_chunk (encoder, chunk, events);
      sy_stream_encoder_error (encoder, cases[i].status, "upstream_error", "The upstream went away.", events);
      /* Nothing follows an error, not even the closing events. */
      sy_stream_encoder_finish (encoder, events);
      names = event_names (events);
      g_assert_cmpstr (names, ==, "message_start content_block_start content_block_delta error");
      error = event_data (events, events->len - 1);
      g_assert_cmpstr (str_at (error, "type"), ==, "error");
      g_assert_cmpstr (str_at (error, "error.type"), ==, cases[i].type);
      g_assert_cmpstr (str_at (error, "error.message"), ==, "The upstream went away.");

      /* An Anthropic client reads it as the upstream's own error. */
      for (guint j = 0; j < events->len; j++)
        {
          SySseEvent *event = g_ptr_array_index (events, j);
          g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
          gboolean ok = sy_stream_decoder_feed (decoder, event->event, event->data, chunks, &status, &decode_error);

          g_assert_cmpint (ok, ==, j + 1 < events->len);
        }
      g_assert_error (decode_error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM);
      g_assert_cmpstr (decode_error->message, ==, "The upstream went away.");
      g_assert_cmpuint (status, ==, cases[i].decoded);
    }
}

static void
test_usage_read (void)
{
  static const struct {
    const char *json;
    SyUsage     want;
  } cases[] = {
    { "{\"input_tokens\": 2095, \"output_tokens\": 503, \"cache_creation_input_tokens\": 2051,"
      " \"cache_read_input_tokens\": 1000}", { 5146, 503, 1000, 2051, 0 } },
    { "{\"input_tokens\": 25, \"output_tokens\": 1}", { 25, 1, 0, 0, 0 } },
    { "{\"input_tokens\": -5, \"output_tokens\": -1, \"cache_read_input_tokens\": null,"
      " \"cache_creation_input_tokens\": \"7\"}", { 0, 0, 0, 0, 0 } },
    { "{}", { 0, 0, 0, 0, 0 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) usage = parse_object (cases[i].json);
      SyUsage got;

      memset (&got, 0xff, sizeof got);
      sy_anthropic_usage_read (usage, &got);
      g_assert_cmpint (got.prompt_tokens, ==, cases[i].want.prompt_tokens);
      g_assert_cmpint (got.completion_tokens, ==, cases[i].want.completion_tokens);
      g_assert_cmpint (got.cached_tokens, ==, cases[i].want.cached_tokens);
      g_assert_cmpint (got.cache_write_tokens, ==, cases[i].want.cache_write_tokens);
      g_assert_cmpint (got.reasoning_tokens, ==, 0);
    }
}

/* --------------------------------------------------------- the adapter */

typedef struct {
  char               *path;
  char               *body;
  SoupMessageHeaders *headers;
} Captured;

static void
capture_handler (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           data)
{
  Captured *captured = data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);

  captured->path = g_strdup (path);
  captured->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  captured->headers = g_boxed_copy (SOUP_TYPE_MESSAGE_HEADERS, soup_server_message_get_request_headers (msg));
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

/* Sends @msg to a local server and returns what it received. */
static JsonObject *
send_and_capture (SoupServer  *server,
                  SoupMessage *msg,
                  Captured    *captured)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  answer = soup_session_send_and_read_finish (session, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_nonnull (captured->body);
  return parse_object (captured->body);
}

static void
captured_clear (Captured *captured)
{
  g_clear_pointer (&captured->path, g_free);
  g_clear_pointer (&captured->body, g_free);
  g_clear_pointer (&captured->headers, soup_message_headers_unref);
}

static void
test_build (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) request = parse_object (
    "{\"model\": \"client-model\", \"stream\": false, \"base_url\": \"http://evil.example\","
    " \"api_key\": \"sk-client\", \"apiKey\": \"x\", \"baseURL\": \"y\", \"api_base\": \"z\", \"endpoint\": \"e\","
    " \"models\": [\"a\", \"b\"], \"system\": \"Be brief.\","
    " \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}");
  g_autofree char *before = sy_json_object_to_string (request);
  g_autofree char *after = NULL;
  g_autofree char *base_url = NULL;
  GSList *uris;
  SyProvider provider = { 0 };
  Captured captured = { 0 };

  soup_server_add_handler (server, NULL, capture_handler, &captured, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  base_url = g_strdup_printf ("http://127.0.0.1:%d/v1", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  provider.id = (char *) "anthropic";
  provider.kind = (char *) "anthropic";
  provider.base_url = base_url;

  /* Streaming, with a key, no max_tokens: the default is set. */
  {
    g_autoptr(SoupMessage) msg = sy_provider_anthropic_build (&provider, "claude-sonnet-4-5", request, TRUE,
                                                              8192, "sk-ant-test");
    g_autoptr(JsonObject) body = NULL;
    g_autoptr(GUri) uri = NULL;

    g_assert_nonnull (msg);
    g_assert_cmpstr (soup_message_get_method (msg), ==, "POST");
    uri = g_uri_ref (soup_message_get_uri (msg));
    g_assert_cmpstr (g_uri_get_path (uri), ==, "/v1/messages");
    body = send_and_capture (server, msg, &captured);

    g_assert_cmpstr (captured.path, ==, "/v1/messages");
    g_assert_cmpstr (soup_message_headers_get_one (captured.headers, "x-api-key"), ==, "sk-ant-test");
    g_assert_cmpstr (soup_message_headers_get_one (captured.headers, "anthropic-version"), ==, "2023-06-01");
    g_assert_cmpstr (soup_message_headers_get_one (captured.headers, "Accept"), ==, "text/event-stream");
    g_assert_cmpstr (soup_message_headers_get_content_type (captured.headers, NULL), ==, "application/json");
    g_assert_null (soup_message_headers_get_one (captured.headers, "Authorization"));
    assert_json_at (body, NULL,
                    "{\"model\": \"claude-sonnet-4-5\", \"stream\": true, \"max_tokens\": 8192,"
                    " \"system\": \"Be brief.\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}");
    captured_clear (&captured);
  }

  /* Not streaming, no key, the request's own max_tokens, default <= 0. */
  {
    g_autoptr(JsonObject) with_max = parse_object (
      "{\"max_tokens\": 99, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
    g_autoptr(SoupMessage) msg = sy_provider_anthropic_build (&provider, "claude-haiku-4-5", with_max, FALSE, 0, "");
    g_autoptr(SoupMessage) fallback = sy_provider_anthropic_build (&provider, "claude-haiku-4-5", request, FALSE, 0, NULL);
    g_autoptr(JsonObject) body = send_and_capture (server, msg, &captured);
    g_autoptr(JsonObject) fallback_body = NULL;

    g_assert_null (soup_message_headers_get_one (captured.headers, "x-api-key"));
    g_assert_cmpstr (soup_message_headers_get_one (captured.headers, "Accept"), ==, "application/json");
    assert_json_at (body, NULL,
                    "{\"model\": \"claude-haiku-4-5\", \"max_tokens\": 99,"
                    " \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
    captured_clear (&captured);

    fallback_body = send_and_capture (server, fallback, &captured);
    g_assert_cmpint (int_at (fallback_body, "max_tokens"), ==, 4096);
    g_assert_false (json_object_has_member (fallback_body, "stream"));
    captured_clear (&captured);
  }

  /* The client's request is untouched. */
  after = sy_json_object_to_string (request);
  g_assert_cmpstr (before, ==, after);

  /* An unusable base URL gives no message. */
  provider.base_url = (char *) "not a url";
  g_assert_null (sy_provider_anthropic_build (&provider, "m", request, FALSE, 1024, "k"));
  soup_server_disconnect (server);
}

/* ------------------------------------------------ whole-exchange round trips */

static void
test_json_schema_round_trip (void)
{
  /* Hub request → Anthropic request with the JSON tool; Anthropic's answer
   * (forced tool call) → hub completion with the JSON as text; then the same
   * answer as a stream. */
  g_autoptr(JsonObject) request = from_hub (
    "{\"messages\": [{\"role\": \"user\", \"content\": \"Ada Lovelace, 36.\"}],"
    " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"person\","
    "   \"schema\": {\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}}}}}}", 512);
  g_autofree char *answer_json = g_strdup_printf (
    "{\"id\": \"msg_rt\", \"type\": \"message\", \"role\": \"assistant\", \"model\": \"claude-haiku-4-5\","
    " \"content\": [{\"type\": \"tool_use\", \"id\": \"toolu_rt\", \"name\": \"%s\", \"input\": {\"name\": \"Ada\"}}],"
    " \"stop_reason\": \"tool_use\", \"usage\": {\"input_tokens\": 40, \"output_tokens\": 8}}",
    str_at (request, "tool_choice.name"));
  g_autoptr(JsonObject) completion = message_to_hub (answer_json);
  g_autoptr(JsonObject) client_message = sy_anthropic_response_from_hub (completion);

  g_assert_cmpstr (str_at (completion, "choices.0.message.content"), ==, "{\"name\":\"Ada\"}");
  g_assert_cmpstr (str_at (completion, "choices.0.finish_reason"), ==, "stop");
  /* Back to an Anthropic client as plain text. */
  assert_json_at (client_message, "content", "[{\"type\": \"text\", \"text\": \"{\\\"name\\\":\\\"Ada\\\"}\"}]");
  g_assert_cmpstr (str_at (client_message, "stop_reason"), ==, "end_turn");
  g_assert_cmpint (int_at (client_message, "usage.input_tokens"), ==, 40);
}

static void
test_request_round_trip (void)
{
  /* An Anthropic client's request → hub → Anthropic upstream keeps its meaning. */
  g_autoptr(JsonObject) hub = to_hub (
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024, \"system\": \"Be brief.\","
    " \"tools\": [{\"name\": \"get_weather\", \"input_schema\": {\"type\": \"object\","
    "   \"properties\": {\"location\": {\"type\": \"string\"}}}}],"
    " \"tool_choice\": {\"type\": \"auto\", \"disable_parallel_tool_use\": true},"
    " \"stop_sequences\": [\"###\"], \"temperature\": 0.3,"
    " \"messages\": ["
    "  {\"role\": \"user\", \"content\": \"Weather in Paris?\"},"
    "  {\"role\": \"assistant\", \"content\": [{\"type\": \"tool_use\", \"id\": \"toolu_1\", \"name\": \"get_weather\","
    "     \"input\": {\"location\": \"Paris\"}}]},"
    "  {\"role\": \"user\", \"content\": [{\"type\": \"tool_result\", \"tool_use_id\": \"toolu_1\", \"content\": \"15 C\"},"
    "     {\"type\": \"text\", \"text\": \"Thanks\"}]}]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) back = sy_anthropic_request_from_hub (hub, 4096, &error);

  g_assert_no_error (error);
  assert_json_at (back, NULL,
                  "{\"max_tokens\": 1024, \"system\": \"Be brief.\","
                  " \"messages\": ["
                  "  {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Weather in Paris?\"}]},"
                  "  {\"role\": \"assistant\", \"content\": [{\"type\": \"tool_use\", \"id\": \"toolu_1\","
                  "     \"name\": \"get_weather\", \"input\": {\"location\": \"Paris\"}}]},"
                  "  {\"role\": \"user\", \"content\": [{\"type\": \"tool_result\", \"tool_use_id\": \"toolu_1\","
                  "     \"content\": \"15 C\"}, {\"type\": \"text\", \"text\": \"Thanks\"}]}],"
                  " \"tools\": [{\"name\": \"get_weather\", \"input_schema\": {\"type\": \"object\","
                  "   \"properties\": {\"location\": {\"type\": \"string\"}}}}],"
                  " \"tool_choice\": {\"type\": \"auto\", \"disable_parallel_tool_use\": true},"
                  " \"stop_sequences\": [\"###\"], \"temperature\": 0.3}");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/anthropic/request-to-hub/text", test_request_text);
  g_test_add_func ("/anthropic/request-to-hub/system-blocks", test_request_system_blocks);
  g_test_add_func ("/anthropic/request-to-hub/system-turns", test_request_system_turns);
  g_test_add_func ("/anthropic/request-to-hub/multi-turn", test_request_multi_turn);
  g_test_add_func ("/anthropic/request-to-hub/images", test_request_images);
  g_test_add_func ("/anthropic/request-to-hub/tool-result-image", test_request_tool_result_image);
  g_test_add_func ("/anthropic/request-to-hub/tools", test_request_tools);
  g_test_add_func ("/anthropic/request-to-hub/tool-choice", test_request_tool_choice);
  g_test_add_func ("/anthropic/request-to-hub/thinking", test_request_thinking);
  g_test_add_func ("/anthropic/request-to-hub/output-format", test_request_output_format);
  g_test_add_func ("/anthropic/request-to-hub/invalid", test_request_invalid);
  g_test_add_func ("/anthropic/response-from-hub/message", test_response_from_hub);
  g_test_add_func ("/anthropic/response-from-hub/stop-reasons", test_response_from_hub_stop_reasons);
  g_test_add_func ("/anthropic/request-from-hub/conversation", test_request_from_hub);
  g_test_add_func ("/anthropic/request-from-hub/tool-choice", test_request_from_hub_tool_choice);
  g_test_add_func ("/anthropic/request-from-hub/reasoning", test_request_from_hub_reasoning);
  g_test_add_func ("/anthropic/request-from-hub/reasoning-tool-loop", test_request_from_hub_reasoning_tool_loop);
  g_test_add_func ("/anthropic/request-from-hub/json", test_request_from_hub_json);
  g_test_add_func ("/anthropic/request-from-hub/max-tokens", test_request_from_hub_max_tokens);
  g_test_add_func ("/anthropic/request-from-hub/refusal-part", test_request_from_hub_refusal);
  g_test_add_func ("/anthropic/request-from-hub/invalid", test_request_from_hub_invalid);
  g_test_add_func ("/anthropic/response-to-hub/messages", test_response_to_hub);
  g_test_add_func ("/anthropic/response-to-hub/invalid", test_response_to_hub_invalid);
  g_test_add_func ("/anthropic/decoder/text", test_decoder_text);
  g_test_add_func ("/anthropic/decoder/tool-use", test_decoder_tool_use);
  g_test_add_func ("/anthropic/decoder/usage-in-message-delta", test_decoder_usage_in_message_delta);
  g_test_add_func ("/anthropic/decoder/json-tool", test_decoder_json_tool);
  g_test_add_func ("/anthropic/decoder/malformed", test_decoder_malformed);
  g_test_add_func ("/anthropic/decoder/truncated", test_decoder_truncated);
  g_test_add_func ("/anthropic/encoder/events", test_encoder_events);
  g_test_add_func ("/anthropic/encoder/round-trip", test_encoder_round_trip);
  g_test_add_func ("/anthropic/encoder/openrouter-reasoning", test_encoder_openrouter_reasoning);
  g_test_add_func ("/anthropic/encoder/parallel-interleaved", test_encoder_parallel_interleaved);
  g_test_add_func ("/anthropic/encoder/text-only", test_encoder_text_only);
  g_test_add_func ("/anthropic/encoder/empty", test_encoder_empty);
  g_test_add_func ("/anthropic/encoder/error", test_encoder_error);
  g_test_add_func ("/anthropic/usage-read", test_usage_read);
  g_test_add_func ("/anthropic/build", test_build);
  g_test_add_func ("/anthropic/round-trip/json-schema", test_json_schema_round_trip);
  g_test_add_func ("/anthropic/round-trip/request", test_request_round_trip);

  return g_test_run ();
}
