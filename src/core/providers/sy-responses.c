/* sy-responses.c — OpenAI Responses (stateless) on the client side: requests to
 * the hub, hub completions and chunks back to response objects and events.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-responses"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-json.h"
#include "sy-sse.h"
#include "sy-translate.h"

#define STATELESS_HINT N_("Switchyard's /v1/responses is stateless: send the whole conversation in input")

static gboolean
set_invalid (GError    **error,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static gboolean
set_invalid (GError    **error,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID, "%s", message);
  return FALSE;
}

/* A member that is absent or JSON null counts as not given, as OpenAI treats it. */
static JsonNode *
given (JsonObject *object,
       const char *member)
{
  JsonNode *node = sy_json_member (object, member);

  return sy_json_node_is_null (node) ? NULL : node;
}

/* ---------------------------------------------------------------- requests */

typedef struct {
  JsonArray  *messages;
  /* The last hub message when it is an assistant turn that a following
   * function_call item extends; NULL once anything else follows it. */
  JsonObject *open_assistant;
} Conversation;

static JsonObject *
add_message (Conversation *conv,
             const char   *role)
{
  JsonObject *message = json_object_new ();

  json_object_set_string_member (message, "role", role);
  json_array_add_object_element (conv->messages, message);
  conv->open_assistant = g_str_equal (role, "assistant") ? message : NULL;
  return message;
}

/* Content of a function_call_output: a string, or input_text parts joined. */
static char *
tool_output_text (JsonNode   *output,
                  guint       index,
                  GError    **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonArray *parts;

  if (sy_json_node_is_string (output))
    return g_strdup (json_node_get_string (output));
  if (output == NULL || !JSON_NODE_HOLDS_ARRAY (output))
    {
      set_invalid (error, _("input[%u].output: must be a string or an array of input_text parts"), index);
      return NULL;
    }

  parts = json_node_get_array (output);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *part = sy_json_array_get_object (parts, i);
      const char *type = sy_json_get_string (part, "type");
      const char *part_text = sy_json_get_string (part, "text");

      if (g_strcmp0 (type, "input_text") != 0)
        {
          set_invalid (error, _("input[%u].output[%u]: only input_text parts are supported in a tool result"),
                       index, i);
          return NULL;
        }
      if (part_text == NULL)
        {
          set_invalid (error, _("input[%u].output[%u]: input_text needs a text string"), index, i);
          return NULL;
        }
      g_string_append (text, part_text);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static JsonObject *
image_part (JsonObject *part,
            guint       index,
            guint       part_index,
            GError    **error)
{
  const char *url = sy_json_get_string (part, "image_url");
  const char *detail = sy_json_get_string (part, "detail");
  JsonObject *hub_part;
  JsonObject *image;

  if (url == NULL || *url == '\0')
    {
      set_invalid (error, _("input[%u].content[%u]: input_image needs an image_url (file_id is not supported)"),
                   index, part_index);
      return NULL;
    }

  image = json_object_new ();
  json_object_set_string_member (image, "url", url);
  /* Chat Completions knows only these; "original" and the like fall back to its default. */
  if (g_strcmp0 (detail, "low") == 0 || g_strcmp0 (detail, "high") == 0 || g_strcmp0 (detail, "auto") == 0)
    json_object_set_string_member (image, "detail", detail);
  hub_part = json_object_new ();
  json_object_set_string_member (hub_part, "type", "image_url");
  json_object_set_object_member (hub_part, "image_url", image);
  return hub_part;
}

/* A message item's content as hub content: user turns keep parts (images
 * included), the other roles get plain text. */
static JsonNode *
message_content (JsonNode   *content,
                 const char *role,
                 guint       index,
                 GError    **error)
{
  g_autoptr(JsonArray) hub_parts = NULL;
  g_autoptr(GString) text = NULL;
  gboolean is_user = g_str_equal (role, "user");
  JsonArray *parts;

  if (sy_json_node_is_string (content))
    return json_node_copy (content);
  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    {
      set_invalid (error, _("input[%u].content: must be a string or an array of content parts"), index);
      return NULL;
    }

  parts = json_node_get_array (content);
  hub_parts = json_array_new ();
  text = g_string_new (NULL);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *part = sy_json_array_get_object (parts, i);
      const char *type = sy_json_get_string (part, "type");
      const char *part_text = NULL;

      if (part == NULL || type == NULL)
        {
          set_invalid (error, _("input[%u].content[%u]: must be an object with a type"), index, i);
          return NULL;
        }

      if (g_str_equal (type, "input_text") || g_str_equal (type, "output_text"))
        part_text = sy_json_get_string (part, "text");
      else if (g_str_equal (type, "refusal"))
        part_text = sy_json_get_string (part, "refusal");
      else if (g_str_equal (type, "input_image"))
        {
          JsonObject *hub_part;

          if (!is_user)
            {
              set_invalid (error, _("input[%u].content[%u]: images are only supported in user messages"),
                           index, i);
              return NULL;
            }
          hub_part = image_part (part, index, i, error);
          if (hub_part == NULL)
            return NULL;
          json_array_add_object_element (hub_parts, hub_part);
          continue;
        }
      else if (g_str_equal (type, "input_file"))
        {
          set_invalid (error, _("input[%u].content[%u]: input_file is not supported"), index, i);
          return NULL;
        }
      else
        {
          set_invalid (error, _("input[%u].content[%u]: unsupported content type '%s'"), index, i, type);
          return NULL;
        }

      if (part_text == NULL)
        {
          set_invalid (error, _("input[%u].content[%u]: %s needs a text string"), index, i, type);
          return NULL;
        }
      if (is_user)
        {
          JsonObject *hub_part = json_object_new ();

          json_object_set_string_member (hub_part, "type", "text");
          json_object_set_string_member (hub_part, "text", part_text);
          json_array_add_object_element (hub_parts, hub_part);
        }
      else
        g_string_append (text, part_text);
    }

  if (is_user)
    return json_node_init_array (json_node_alloc (), hub_parts);
  return json_node_init_string (json_node_alloc (), text->str);
}

static gboolean
add_message_item (Conversation *conv,
                  JsonObject   *item,
                  guint         index,
                  GError      **error)
{
  const char *role = sy_json_get_string (item, "role");
  const char *hub_role;
  JsonNode *content;
  JsonObject *message;

  if (g_strcmp0 (role, "user") == 0 || g_strcmp0 (role, "assistant") == 0 ||
      g_strcmp0 (role, "system") == 0)
    hub_role = role;
  /* Not every Chat Completions upstream knows "developer"; OpenAI's own treats
   * system as developer for the models that distinguish them. */
  else if (g_strcmp0 (role, "developer") == 0)
    hub_role = "system";
  else
    return set_invalid (error, _("input[%u].role: must be user, assistant, system or developer"), index);

  content = message_content (given (item, "content"), hub_role, index, error);
  if (content == NULL)
    return FALSE;
  message = add_message (conv, hub_role);
  json_object_set_member (message, "content", content);
  return TRUE;
}

static gboolean
add_function_call (Conversation *conv,
                   JsonObject   *item,
                   guint         index,
                   GError      **error)
{
  const char *call_id = sy_json_get_string (item, "call_id");
  const char *name = sy_json_get_string (item, "name");
  const char *arguments = sy_json_get_string (item, "arguments");
  JsonObject *message = conv->open_assistant;
  JsonObject *call;
  JsonObject *function;
  JsonArray *calls;

  if (call_id == NULL || *call_id == '\0')
    return set_invalid (error, _("input[%u].call_id: a function_call needs a call_id string"), index);
  if (name == NULL || *name == '\0')
    return set_invalid (error, _("input[%u].name: a function_call needs a name string"), index);
  if (arguments == NULL && given (item, "arguments") != NULL)
    return set_invalid (error, _("input[%u].arguments: must be a string"), index);

  if (message == NULL)
    {
      message = add_message (conv, "assistant");
      json_object_set_null_member (message, "content");
    }
  calls = sy_json_get_array (message, "tool_calls");
  if (calls == NULL)
    {
      calls = json_array_new ();
      json_object_set_array_member (message, "tool_calls", calls);
    }

  function = json_object_new ();
  json_object_set_string_member (function, "name", name);
  json_object_set_string_member (function, "arguments", arguments != NULL ? arguments : "");
  call = json_object_new ();
  json_object_set_string_member (call, "id", call_id);
  json_object_set_string_member (call, "type", "function");
  json_object_set_object_member (call, "function", function);
  json_array_add_object_element (calls, call);
  return TRUE;
}

static gboolean
add_function_call_output (Conversation *conv,
                          JsonObject   *item,
                          guint         index,
                          GError      **error)
{
  const char *call_id = sy_json_get_string (item, "call_id");
  g_autofree char *output = NULL;
  JsonObject *message;

  if (call_id == NULL || *call_id == '\0')
    return set_invalid (error, _("input[%u].call_id: a function_call_output needs a call_id string"), index);
  output = tool_output_text (given (item, "output"), index, error);
  if (output == NULL)
    return FALSE;

  message = add_message (conv, "tool");
  json_object_set_string_member (message, "tool_call_id", call_id);
  json_object_set_string_member (message, "content", output);
  return TRUE;
}

static gboolean
add_input (Conversation *conv,
           JsonNode     *input,
           GError      **error)
{
  JsonArray *items;

  if (sy_json_node_is_string (input))
    {
      const char *text = json_node_get_string (input);

      if (*text != '\0')
        json_object_set_string_member (add_message (conv, "user"), "content", text);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (input))
    return set_invalid (error, _("input: must be a string or an array of items"));

  items = json_node_get_array (input);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = sy_json_array_get_object (items, i);
      const char *type;
      gboolean ok;

      if (item == NULL)
        return set_invalid (error, _("input[%u]: must be an object"), i);

      type = sy_json_get_string (item, "type");
      if (type == NULL && given (item, "type") != NULL)
        return set_invalid (error, _("input[%u].type: must be a string"), i);

      if (type == NULL || g_str_equal (type, "message"))
        ok = add_message_item (conv, item, i, error);
      else if (g_str_equal (type, "function_call"))
        ok = add_function_call (conv, item, i, error);
      else if (g_str_equal (type, "function_call_output"))
        ok = add_function_call_output (conv, item, i, error);
      /* Reasoning is the model's own scratch work (often encrypted for another
       * provider): it does not travel back upstream. */
      else if (g_str_equal (type, "reasoning"))
        ok = TRUE;
      else if (g_str_equal (type, "item_reference"))
        ok = set_invalid (error, _("input[%u]: item_reference needs stored items; %s"), i,
                          _(STATELESS_HINT));
      else
        ok = set_invalid (error, _("input[%u]: unsupported item type '%s'"), i, type);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
copy_tools (JsonObject  *request,
            JsonObject  *hub,
            GError     **error)
{
  JsonNode *node = given (request, "tools");
  g_autoptr(JsonArray) hub_tools = NULL;
  JsonArray *tools;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return set_invalid (error, _("tools: must be an array"));

  tools = json_node_get_array (node);
  hub_tools = json_array_new ();
  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonNode *element = json_array_get_element (tools, i);
      JsonObject *tool = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      const char *type = sy_json_get_string (tool, "type");
      const char *name;
      JsonObject *function;
      JsonObject *hub_tool;
      JsonNode *value;

      if (type == NULL)
        return set_invalid (error, _("tools[%u]: must be an object with a type"), i);
      /* Hosted and built-in tools (web_search, file_search, local_shell, custom,
       * mcp, …) have no Chat Completions form: the model cannot call them here. */
      if (!g_str_equal (type, "function"))
        continue;

      name = sy_json_get_string (tool, "name");
      if (name == NULL || *name == '\0')
        return set_invalid (error, _("tools[%u].name: a function tool needs a name string"), i);

      function = json_object_new ();
      json_object_set_string_member (function, "name", name);
      if ((value = given (tool, "description")) != NULL && sy_json_node_is_string (value))
        json_object_set_member (function, "description", json_node_copy (value));
      if ((value = given (tool, "parameters")) != NULL)
        {
          if (!JSON_NODE_HOLDS_OBJECT (value))
            {
              json_object_unref (function);
              return set_invalid (error, _("tools[%u].parameters: must be a JSON Schema object"), i);
            }
          json_object_set_member (function, "parameters", json_node_copy (value));
        }
      if ((value = given (tool, "strict")) != NULL && sy_json_node_is_bool (value))
        json_object_set_member (function, "strict", json_node_copy (value));

      hub_tool = json_object_new ();
      json_object_set_string_member (hub_tool, "type", "function");
      json_object_set_object_member (hub_tool, "function", function);
      json_array_add_object_element (hub_tools, hub_tool);
    }

  if (json_array_get_length (hub_tools) > 0)
    json_object_set_array_member (hub, "tools", g_steal_pointer (&hub_tools));
  return TRUE;
}

static gboolean
copy_tool_choice (JsonObject  *request,
                  JsonObject  *hub,
                  GError     **error)
{
  JsonNode *node = given (request, "tool_choice");
  gboolean has_tools = json_object_has_member (hub, "tools");
  JsonObject *choice;
  const char *type;

  if (node == NULL)
    return TRUE;

  if (sy_json_node_is_string (node))
    {
      const char *mode = json_node_get_string (node);

      if (!g_str_equal (mode, "auto") && !g_str_equal (mode, "none") && !g_str_equal (mode, "required"))
        return set_invalid (error, _("tool_choice: must be auto, none, required or an object"));
      if (g_str_equal (mode, "required") && !has_tools)
        return set_invalid (error, _("tool_choice: required needs at least one function tool"));
      if (has_tools)
        json_object_set_string_member (hub, "tool_choice", mode);
      return TRUE;
    }

  choice = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  type = sy_json_get_string (choice, "type");
  if (type == NULL)
    return set_invalid (error, _("tool_choice: must be auto, none, required or an object with a type"));

  if (g_str_equal (type, "function"))
    {
      const char *name = sy_json_get_string (choice, "name");
      JsonObject *hub_choice;
      JsonObject *function;

      if (name == NULL || *name == '\0')
        return set_invalid (error, _("tool_choice.name: must name a function tool"));
      if (!has_tools)
        return set_invalid (error, _("tool_choice: the function '%s' is not among the tools"), name);
      function = json_object_new ();
      json_object_set_string_member (function, "name", name);
      hub_choice = json_object_new ();
      json_object_set_string_member (hub_choice, "type", "function");
      json_object_set_object_member (hub_choice, "function", function);
      json_object_set_object_member (hub, "tool_choice", hub_choice);
      return TRUE;
    }

  /* The allowed subset itself has no portable Chat Completions form; its mode does. */
  if (g_str_equal (type, "allowed_tools"))
    {
      const char *mode = sy_json_get_string (choice, "mode");

      if (g_strcmp0 (mode, "auto") != 0 && g_strcmp0 (mode, "required") != 0)
        return set_invalid (error, _("tool_choice.mode: must be auto or required"));
      if (g_str_equal (mode, "required") && !has_tools)
        return set_invalid (error, _("tool_choice: required needs at least one function tool"));
      if (has_tools)
        json_object_set_string_member (hub, "tool_choice", mode);
      return TRUE;
    }

  return set_invalid (error, _("tool_choice: %s tools cannot be called through a Chat Completions provider"),
                      type);
}

static gboolean
copy_text_format (JsonObject  *request,
                  JsonObject  *hub,
                  GError     **error)
{
  JsonObject *text = sy_json_get_object (request, "text");
  JsonObject *format = sy_json_get_object (text, "format");
  const char *type = sy_json_get_string (format, "type");
  JsonObject *response_format;

  if (given (request, "text") != NULL && text == NULL)
    return set_invalid (error, _("text: must be an object"));
  if (format == NULL)
    {
      if (given (text, "format") != NULL)
        return set_invalid (error, _("text.format: must be an object"));
      return TRUE;
    }

  if (g_strcmp0 (type, "text") == 0)
    return TRUE;

  if (g_strcmp0 (type, "json_object") == 0)
    {
      response_format = json_object_new ();
      json_object_set_string_member (response_format, "type", "json_object");
      json_object_set_object_member (hub, "response_format", response_format);
      return TRUE;
    }

  if (g_strcmp0 (type, "json_schema") == 0)
    {
      static const char * const members[] = { "name", "schema", "strict", "description" };
      JsonObject *schema = json_object_new ();

      if (sy_json_get_string (format, "name") == NULL)
        {
          json_object_unref (schema);
          return set_invalid (error, _("text.format.name: a json_schema format needs a name string"));
        }
      if (sy_json_get_object (format, "schema") == NULL)
        {
          json_object_unref (schema);
          return set_invalid (error, _("text.format.schema: a json_schema format needs a schema object"));
        }
      for (guint i = 0; i < G_N_ELEMENTS (members); i++)
        {
          JsonNode *value = given (format, members[i]);

          if (value != NULL)
            json_object_set_member (schema, members[i], json_node_copy (value));
        }
      response_format = json_object_new ();
      json_object_set_string_member (response_format, "type", "json_schema");
      json_object_set_object_member (response_format, "json_schema", schema);
      json_object_set_object_member (hub, "response_format", response_format);
      return TRUE;
    }

  return set_invalid (error, _("text.format.type: must be text, json_object or json_schema"));
}

static gboolean
copy_reasoning (JsonObject  *request,
                JsonObject  *hub,
                GError     **error)
{
  JsonObject *reasoning = sy_json_get_object (request, "reasoning");
  JsonNode *node = given (reasoning, "effort");
  const char *effort;

  if (given (request, "reasoning") != NULL && reasoning == NULL)
    return set_invalid (error, _("reasoning: must be an object"));
  if (node == NULL)
    return TRUE;
  effort = sy_json_node_is_string (node) ? json_node_get_string (node) : "";

  /* The hub knows low, medium and high (sy-translate.h). */
  if (g_str_equal (effort, "none"))
    return TRUE;
  if (g_str_equal (effort, "minimal") || g_str_equal (effort, "low"))
    json_object_set_string_member (hub, "reasoning_effort", "low");
  else if (g_str_equal (effort, "medium"))
    json_object_set_string_member (hub, "reasoning_effort", "medium");
  else if (g_str_equal (effort, "high") || g_str_equal (effort, "xhigh"))
    json_object_set_string_member (hub, "reasoning_effort", "high");
  else
    return set_invalid (error, _("reasoning.effort: must be minimal, low, medium or high"));
  return TRUE;
}

static gboolean
copy_scalars (JsonObject  *request,
              JsonObject  *hub,
              GError     **error)
{
  static const struct {
    const char *member;
    gboolean  (*check) (JsonNode *node);
  } scalars[] = {
    { "model", sy_json_node_is_string },
    { "stream", sy_json_node_is_bool },
    { "temperature", sy_json_node_is_number },
    { "top_p", sy_json_node_is_number },
    { "parallel_tool_calls", sy_json_node_is_bool },
    { "user", sy_json_node_is_string },
  };
  JsonNode *node;

  for (guint i = 0; i < G_N_ELEMENTS (scalars); i++)
    {
      node = given (request, scalars[i].member);
      if (node == NULL)
        continue;
      if (!scalars[i].check (node))
        {
          if (scalars[i].check == sy_json_node_is_string)
            return set_invalid (error, _("%s: must be a string"), scalars[i].member);
          if (scalars[i].check == sy_json_node_is_bool)
            return set_invalid (error, _("%s: must be a boolean"), scalars[i].member);
          return set_invalid (error, _("%s: must be a number"), scalars[i].member);
        }
      json_object_set_member (hub, scalars[i].member, json_node_copy (node));
    }

  node = given (request, "max_output_tokens");
  if (node != NULL)
    {
      if (!sy_json_node_is_number (node) || sy_json_get_int (request, "max_output_tokens", 0) < 1)
        return set_invalid (error, _("max_output_tokens: must be a positive integer"));
      json_object_set_int_member (hub, "max_tokens", sy_json_get_int (request, "max_output_tokens", 0));
    }
  return TRUE;
}

JsonObject *
sy_responses_request_to_hub (JsonObject  *request,
                             GError     **error)
{
  g_autoptr(JsonObject) hub = NULL;
  g_autoptr(JsonArray) messages = NULL;
  Conversation conv = { NULL, NULL };
  JsonNode *instructions;
  JsonNode *input;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* State kept on OpenAI's side has no counterpart here. */
  if (given (request, "previous_response_id") != NULL)
    {
      set_invalid (error, _("previous_response_id: %s"), _(STATELESS_HINT));
      return NULL;
    }
  if (given (request, "conversation") != NULL)
    {
      set_invalid (error, _("conversation: %s"), _(STATELESS_HINT));
      return NULL;
    }
  if (given (request, "prompt") != NULL)
    {
      set_invalid (error, _("prompt: stored prompts are not supported; %s"), _(STATELESS_HINT));
      return NULL;
    }
  if (sy_json_get_bool (request, "background", FALSE))
    {
      set_invalid (error, _("background: background responses are not supported; %s"), _(STATELESS_HINT));
      return NULL;
    }

  hub = json_object_new ();
  messages = json_array_new ();
  conv.messages = messages;

  instructions = given (request, "instructions");
  if (instructions != NULL)
    {
      if (!sy_json_node_is_string (instructions))
        {
          set_invalid (error, _("instructions: must be a string"));
          return NULL;
        }
      if (*json_node_get_string (instructions) != '\0')
        json_object_set_string_member (add_message (&conv, "system"), "content",
                                       json_node_get_string (instructions));
    }

  input = given (request, "input");
  if (input != NULL && !add_input (&conv, input, error))
    return NULL;
  if (json_array_get_length (messages) == 0)
    {
      set_invalid (error, _("input: the request needs input or instructions"));
      return NULL;
    }

  if (!copy_scalars (request, hub, error) ||
      !copy_tools (request, hub, error) ||
      !copy_tool_choice (request, hub, error) ||
      !copy_text_format (request, hub, error) ||
      !copy_reasoning (request, hub, error))
    return NULL;
  /* Chat Completions refuses parallel_tool_calls without tools ("only allowed
   * when 'tools' are specified"), and hosted tools leave none. */
  if (!json_object_has_member (hub, "tools"))
    json_object_remove_member (hub, "parallel_tool_calls");

  json_object_set_array_member (hub, "messages", g_steal_pointer (&messages));
  return g_steal_pointer (&hub);
}

/* ------------------------------------------------------- output items */

typedef enum {
  ITEM_MESSAGE,
  ITEM_REASONING,
  ITEM_CALL,
} ItemKind;

typedef struct {
  ItemKind    kind;
  guint       output_index;
  char       *id;
  GString    *text;        /* message text, reasoning summary, or call arguments */
  char       *refusal;     /* message only, complete responses only */
  char       *call_id;
  char       *name;
  gint64      tool_index;  /* the hub's tool_calls[].index */
  guint64     seen;        /* calls: the last chunk that named it */
  const char *status;      /* NULL while open, then "completed" or "incomplete" */
} Item;

static Item *
item_new (ItemKind kind,
          guint    output_index)
{
  static const char * const prefixes[] = { "msg_", "rs_", "fc_" };
  Item *item = g_new0 (Item, 1);

  item->kind = kind;
  item->output_index = output_index;
  item->id = sy_translate_new_id (prefixes[kind]);
  item->text = g_string_new (NULL);
  item->tool_index = -1;
  return item;
}

static void
item_free (Item *item)
{
  g_free (item->id);
  g_string_free (item->text, TRUE);
  g_free (item->refusal);
  g_free (item->call_id);
  g_free (item->name);
  g_free (item);
}

static JsonObject *
text_part (const char *text)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "type", "output_text");
  json_object_set_array_member (part, "annotations", json_array_new ());
  json_object_set_array_member (part, "logprobs", json_array_new ());
  json_object_set_string_member (part, "text", text);
  return part;
}

static JsonObject *
summary_part (const char *text)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "type", "summary_text");
  json_object_set_string_member (part, "text", text);
  return part;
}

/* The item as a client sees it: @added gives the empty shape that
 * response.output_item.added carries, otherwise its content so far. */
static JsonObject *
item_to_json (const Item *item,
              gboolean    added)
{
  JsonObject *object = json_object_new ();
  const char *status = item->status != NULL ? item->status : "in_progress";
  JsonArray *array;

  json_object_set_string_member (object, "id", item->id);
  switch (item->kind)
    {
    case ITEM_MESSAGE:
      json_object_set_string_member (object, "type", "message");
      json_object_set_string_member (object, "status", status);
      json_object_set_string_member (object, "role", "assistant");
      array = json_array_new ();
      if (!added && (item->text->len > 0 || item->refusal == NULL))
        json_array_add_object_element (array, text_part (item->text->str));
      if (!added && item->refusal != NULL)
        {
          JsonObject *part = json_object_new ();

          json_object_set_string_member (part, "type", "refusal");
          json_object_set_string_member (part, "refusal", item->refusal);
          json_array_add_object_element (array, part);
        }
      json_object_set_array_member (object, "content", array);
      break;

    case ITEM_REASONING:
      json_object_set_string_member (object, "type", "reasoning");
      array = json_array_new ();
      if (!added)
        json_array_add_object_element (array, summary_part (item->text->str));
      json_object_set_array_member (object, "summary", array);
      break;

    case ITEM_CALL:
    default:
      json_object_set_string_member (object, "type", "function_call");
      json_object_set_string_member (object, "status", status);
      json_object_set_string_member (object, "arguments", added ? "" : item->text->str);
      json_object_set_string_member (object, "call_id", item->call_id);
      json_object_set_string_member (object, "name", item->name != NULL ? item->name : "");
      break;
    }
  return object;
}

/* Hub usage → Responses usage, with cost carried over. */
static JsonObject *
usage_from_hub (JsonObject *hub_usage)
{
  JsonObject *usage = json_object_new ();
  JsonObject *input_details = json_object_new ();
  JsonObject *output_details = json_object_new ();
  SyUsage counts;

  sy_hub_usage_read (hub_usage, &counts);
  json_object_set_int_member (usage, "input_tokens", counts.prompt_tokens);
  json_object_set_int_member (input_details, "cached_tokens", counts.cached_tokens);
  json_object_set_int_member (input_details, "cache_write_tokens", counts.cache_write_tokens);
  json_object_set_object_member (usage, "input_tokens_details", input_details);
  json_object_set_int_member (usage, "output_tokens", counts.completion_tokens);
  json_object_set_int_member (output_details, "reasoning_tokens", counts.reasoning_tokens);
  json_object_set_object_member (usage, "output_tokens_details", output_details);
  json_object_set_int_member (usage, "total_tokens", counts.prompt_tokens + counts.completion_tokens);
  sy_usage_copy_cost (hub_usage, usage);
  return usage;
}

/* "length" and "content_filter" end a response early; NULL when it completed. */
static const char *
incomplete_reason (const char *finish_reason)
{
  if (g_strcmp0 (finish_reason, "length") == 0)
    return "max_output_tokens";
  if (g_strcmp0 (finish_reason, "content_filter") == 0)
    return "content_filter";
  return NULL;
}

typedef struct {
  const char *id;
  gint64      created_at;
  const char *model;
  const char *status;
  const char *incomplete;   /* incomplete_details.reason, or NULL */
  GPtrArray  *items;        /* Item *, in output order */
  JsonObject *hub_usage;    /* NULL when unknown */
  JsonObject *error;        /* taken; NULL unless failed */
} ResponseParts;

/* A whole "response" object, with every member the SDK types declare required. */
static JsonObject *
response_new (const ResponseParts *parts)
{
  JsonObject *response = json_object_new ();
  JsonArray *output = json_array_new ();
  JsonObject *text = json_object_new ();
  JsonObject *format = json_object_new ();

  json_object_set_string_member (response, "id", parts->id);
  json_object_set_string_member (response, "object", "response");
  json_object_set_int_member (response, "created_at", parts->created_at);
  json_object_set_string_member (response, "status", parts->status);
  if (parts->error != NULL)
    json_object_set_object_member (response, "error", parts->error);
  else
    json_object_set_null_member (response, "error");
  if (parts->incomplete != NULL)
    {
      JsonObject *details = json_object_new ();

      json_object_set_string_member (details, "reason", parts->incomplete);
      json_object_set_object_member (response, "incomplete_details", details);
    }
  else
    json_object_set_null_member (response, "incomplete_details");
  json_object_set_null_member (response, "instructions");
  json_object_set_null_member (response, "max_output_tokens");
  json_object_set_object_member (response, "metadata", json_object_new ());
  json_object_set_string_member (response, "model", parts->model != NULL ? parts->model : "");

  for (guint i = 0; parts->items != NULL && i < parts->items->len; i++)
    json_array_add_object_element (output, item_to_json (g_ptr_array_index (parts->items, i), FALSE));
  json_object_set_array_member (response, "output", output);

  json_object_set_boolean_member (response, "parallel_tool_calls", TRUE);
  json_object_set_null_member (response, "previous_response_id");
  json_object_set_null_member (response, "temperature");
  json_object_set_string_member (format, "type", "text");
  json_object_set_object_member (text, "format", format);
  json_object_set_object_member (response, "text", text);
  json_object_set_string_member (response, "tool_choice", "auto");
  json_object_set_array_member (response, "tools", json_array_new ());
  json_object_set_null_member (response, "top_p");
  json_object_set_string_member (response, "truncation", "disabled");
  if (parts->hub_usage != NULL)
    json_object_set_object_member (response, "usage", usage_from_hub (parts->hub_usage));
  else
    json_object_set_null_member (response, "usage");
  return response;
}

/* --------------------------------------------------------------- responses */

JsonObject *
sy_responses_response_from_hub (JsonObject *completion)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  g_autofree char *id = sy_translate_new_id ("resp_");
  g_autofree char *text = NULL;
  JsonObject *choice = NULL;
  JsonObject *message;
  JsonArray *tool_calls;
  const char *reasoning;
  const char *refusal;
  const char *finish_reason;
  ResponseParts parts = { 0 };

  g_return_val_if_fail (completion != NULL, NULL);

  choice = sy_hub_first_choice (completion);
  message = sy_json_get_object (choice, "message");
  finish_reason = sy_json_get_string (choice, "finish_reason");

  reasoning = sy_json_get_string (message, "reasoning_content");
  if (reasoning != NULL && *reasoning != '\0')
    {
      Item *item = item_new (ITEM_REASONING, items->len);

      g_string_assign (item->text, reasoning);
      g_ptr_array_add (items, item);
    }

  text = sy_hub_content_text (message != NULL ? json_object_get_member (message, "content") : NULL);
  refusal = sy_json_get_string (message, "refusal");
  if ((text != NULL && *text != '\0') || (refusal != NULL && *refusal != '\0'))
    {
      Item *item = item_new (ITEM_MESSAGE, items->len);

      g_string_assign (item->text, text != NULL ? text : "");
      if (refusal != NULL && *refusal != '\0')
        item->refusal = g_strdup (refusal);
      g_ptr_array_add (items, item);
    }

  tool_calls = sy_json_get_array (message, "tool_calls");
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonObject *call = sy_json_array_get_object (tool_calls, i);
      JsonObject *function = sy_json_get_object (call, "function");
      const char *call_id = sy_json_get_string (call, "id");
      const char *arguments = sy_json_get_string (function, "arguments");
      Item *item;

      if (function == NULL)
        continue;
      item = item_new (ITEM_CALL, items->len);
      item->call_id = call_id != NULL && *call_id != '\0' ? g_strdup (call_id) : sy_translate_new_id ("call_");
      item->name = g_strdup (sy_json_get_string (function, "name"));
      g_string_assign (item->text, arguments != NULL ? arguments : "");
      g_ptr_array_add (items, item);
    }

  parts.incomplete = incomplete_reason (finish_reason);
  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      /* Only the item the model was writing when it was cut off is unfinished. */
      item->status = parts.incomplete != NULL && i == items->len - 1 ? "incomplete" : "completed";
    }

  parts.id = id;
  parts.created_at = sy_json_get_int (completion, "created", 0);
  if (parts.created_at <= 0)
    parts.created_at = g_get_real_time () / G_USEC_PER_SEC;
  parts.model = sy_json_get_string (completion, "model");
  parts.status = parts.incomplete != NULL ? "incomplete" : "completed";
  parts.items = items;
  parts.hub_usage = sy_json_get_object (completion, "usage");
  return response_new (&parts);
}

/* ----------------------------------------------------------------- streams */

typedef struct {
  SyStreamEncoder parent;

  char       *model;
  char       *id;
  gint64      created_at;
  gint64      sequence;
  gboolean    started;
  gboolean    ended;

  GPtrArray  *items;          /* Item *, in output order */
  Item       *current;        /* the item opened last, or NULL; only calls
                               * begun in one chunk are open together */
  guint64     serial;         /* chunks seen */
  char       *finish_reason;
  JsonObject *usage;          /* the hub usage, once seen */
} ResponsesEncoder;

static JsonObject *
event_new (const char *type)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "type", type);
  return data;
}

/* Numbers and queues @data (taken); the SSE event name is its "type". */
static void
emit (ResponsesEncoder *self,
      JsonObject       *data,
      GPtrArray        *events)
{
  const char *type = sy_json_get_string (data, "type");

  json_object_set_int_member (data, "sequence_number", self->sequence++);
  g_ptr_array_add (events, sy_sse_event_new_take (type, sy_json_object_to_string (data)));
  json_object_unref (data);
}

static JsonObject *
item_event_new (const char *type,
                const Item *item)
{
  JsonObject *data = event_new (type);

  json_object_set_string_member (data, "item_id", item->id);
  json_object_set_int_member (data, "output_index", item->output_index);
  return data;
}

static JsonObject *
encoder_response (ResponsesEncoder *self,
                  const char       *status,
                  const char       *incomplete,
                  JsonObject       *error)
{
  ResponseParts parts = { 0 };

  parts.id = self->id;
  parts.created_at = self->created_at;
  parts.model = self->model;
  parts.status = status;
  parts.incomplete = incomplete;
  parts.items = self->items;
  parts.hub_usage = self->usage;
  parts.error = error;
  return response_new (&parts);
}

static void
emit_lifecycle (ResponsesEncoder *self,
                const char       *type,
                JsonObject       *response,
                GPtrArray        *events)
{
  JsonObject *data = event_new (type);

  json_object_set_object_member (data, "response", response);
  emit (self, data, events);
}

static void
ensure_started (ResponsesEncoder *self,
                JsonObject       *chunk,
                GPtrArray        *events)
{
  const char *model;
  gint64 created;

  if (self->started)
    return;
  self->started = TRUE;

  model = sy_json_get_string (chunk, "model");
  if ((self->model == NULL || *self->model == '\0') && model != NULL)
    {
      g_free (self->model);
      self->model = g_strdup (model);
    }
  created = sy_json_get_int (chunk, "created", 0);
  self->created_at = created > 0 ? created : g_get_real_time () / G_USEC_PER_SEC;

  /* The created and in_progress snapshots are both taken before any output. */
  emit_lifecycle (self, "response.created", encoder_response (self, "in_progress", NULL, NULL), events);
  emit_lifecycle (self, "response.in_progress", encoder_response (self, "in_progress", NULL, NULL), events);
}

/* A message's text and a reasoning item's summary go out in the same four
 * events (part added, text delta, text done, part done) under different names:
 * output_text in content part 0, summary_text in summary part 0. */
typedef struct {
  const char *part_added;
  const char *text_delta;
  const char *text_done;
  const char *part_done;
  const char *index_member;
  JsonObject *(*part) (const char *text);
  gboolean    logprobs;
} TextEvents;

static const TextEvents message_events = {
  "response.content_part.added", "response.output_text.delta",
  "response.output_text.done", "response.content_part.done",
  "content_index", text_part, TRUE,
};

static const TextEvents reasoning_events = {
  "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
  "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
  "summary_index", summary_part, FALSE,
};

static const TextEvents *
text_events (ItemKind kind)
{
  g_assert (kind == ITEM_MESSAGE || kind == ITEM_REASONING);
  return kind == ITEM_MESSAGE ? &message_events : &reasoning_events;
}

/* An item event of @type with the part index already set. */
static JsonObject *
text_event_new (const TextEvents *names,
                const char       *type,
                const Item       *item)
{
  JsonObject *data = item_event_new (type, item);

  json_object_set_int_member (data, names->index_member, 0);
  return data;
}

static void
close_item (ResponsesEncoder *self,
            Item             *item,
            const char       *status,
            GPtrArray        *events)
{
  JsonObject *data;

  item->status = status;

  switch (item->kind)
    {
    case ITEM_MESSAGE:
    case ITEM_REASONING:
      {
        const TextEvents *names = text_events (item->kind);

        data = text_event_new (names, names->text_done, item);
        json_object_set_string_member (data, "text", item->text->str);
        if (names->logprobs)
          json_object_set_array_member (data, "logprobs", json_array_new ());
        emit (self, data, events);
        data = text_event_new (names, names->part_done, item);
        json_object_set_object_member (data, "part", names->part (item->text->str));
        emit (self, data, events);
      }
      break;

    case ITEM_CALL:
    default:
      data = item_event_new ("response.function_call_arguments.done", item);
      json_object_set_string_member (data, "name", item->name != NULL ? item->name : "");
      json_object_set_string_member (data, "arguments", item->text->str);
      emit (self, data, events);
      break;
    }

  data = event_new ("response.output_item.done");
  json_object_set_int_member (data, "output_index", item->output_index);
  json_object_set_object_member (data, "item", item_to_json (item, FALSE));
  emit (self, data, events);
}

/* Closes every open item, in output order. */
static void
close_current (ResponsesEncoder *self,
               const char       *status,
               GPtrArray        *events)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = g_ptr_array_index (self->items, i);

      if (item->status == NULL)
        close_item (self, item, status, events);
    }
  self->current = NULL;
}

/* Closes the open calls that the current chunk does not name. */
static void
close_stale_calls (ResponsesEncoder *self,
                   GPtrArray        *events)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = g_ptr_array_index (self->items, i);

      if (item->kind == ITEM_CALL && item->status == NULL && item->seen != self->serial)
        close_item (self, item, "completed", events);
    }
}

/* Closes whatever is open and opens a new item of @kind (call details are
 * filled in by the caller before the added event goes out). */
static Item *
open_item (ResponsesEncoder *self,
           ItemKind          kind,
           GPtrArray        *events)
{
  Item *item;

  /* Calls begun in the same chunk stay open together: some providers start
   * several at once and then send their arguments in turns. */
  if (kind == ITEM_CALL && self->current != NULL && self->current->kind == ITEM_CALL)
    close_stale_calls (self, events);
  else
    close_current (self, "completed", events);
  item = item_new (kind, self->items->len);
  g_ptr_array_add (self->items, item);
  self->current = item;
  return item;
}

static void
emit_item_added (ResponsesEncoder *self,
                 Item             *item,
                 GPtrArray        *events)
{
  JsonObject *data = event_new ("response.output_item.added");

  json_object_set_int_member (data, "output_index", item->output_index);
  json_object_set_object_member (data, "item", item_to_json (item, TRUE));
  emit (self, data, events);
}

/* Appends @delta to the open item of @kind (ITEM_MESSAGE or ITEM_REASONING),
 * opening one first if another kind is open. */
static void
on_text_delta (ResponsesEncoder *self,
               ItemKind          kind,
               const char       *delta,
               GPtrArray        *events)
{
  const TextEvents *names = text_events (kind);
  Item *item = self->current;
  JsonObject *data;

  if (item == NULL || item->kind != kind)
    {
      item = open_item (self, kind, events);
      emit_item_added (self, item, events);
      data = text_event_new (names, names->part_added, item);
      json_object_set_object_member (data, "part", names->part (""));
      emit (self, data, events);
    }

  g_string_append (item->text, delta);
  data = text_event_new (names, names->text_delta, item);
  json_object_set_string_member (data, "delta", delta);
  if (names->logprobs)
    json_object_set_array_member (data, "logprobs", json_array_new ());
  emit (self, data, events);
}

static Item *
find_call (ResponsesEncoder *self,
           gint64            tool_index)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = g_ptr_array_index (self->items, i);

      if (item->kind == ITEM_CALL && item->tool_index == tool_index)
        return item;
    }
  return NULL;
}

static void
on_tool_call (ResponsesEncoder *self,
              JsonObject       *call,
              guint             position,
              GPtrArray        *events)
{
  JsonObject *function = sy_json_get_object (call, "function");
  const char *name = sy_json_get_string (function, "name");
  const char *arguments = sy_json_get_string (function, "arguments");
  gint64 tool_index = sy_json_get_int (call, "index", position);
  Item *item = find_call (self, tool_index);
  JsonObject *data;

  if (item == NULL)
    {
      const char *call_id = sy_json_get_string (call, "id");

      /* A fragment naming nothing and carrying nothing starts no call. */
      if (call_id == NULL && name == NULL && (arguments == NULL || *arguments == '\0'))
        return;
      item = open_item (self, ITEM_CALL, events);
      item->tool_index = tool_index;
      item->seen = self->serial;
      item->call_id = call_id != NULL && *call_id != '\0' ? g_strdup (call_id) : sy_translate_new_id ("call_");
      item->name = g_strdup (name);
      emit_item_added (self, item, events);
    }
  else if (item->status != NULL)
    {
      /* A late fragment of a call already closed cannot be reported any more. */
      g_debug ("Dropping arguments for closed tool call %" G_GINT64_FORMAT, tool_index);
      return;
    }
  else if (item->name == NULL && name != NULL)
    item->name = g_strdup (name);

  if (arguments == NULL || *arguments == '\0')
    return;
  g_string_append (item->text, arguments);
  data = item_event_new ("response.function_call_arguments.delta", item);
  json_object_set_string_member (data, "delta", arguments);
  emit (self, data, events);
}

static void
responses_encoder_chunk (SyStreamEncoder *encoder,
                         JsonObject      *chunk,
                         GPtrArray       *events)
{
  ResponsesEncoder *self = (ResponsesEncoder *) encoder;
  JsonObject *choice = NULL;
  JsonObject *delta;
  JsonObject *usage;
  JsonArray *tool_calls;
  const char *text;
  const char *finish_reason;

  if (self->ended || chunk == NULL)
    return;
  ensure_started (self, chunk, events);

  usage = sy_json_get_object (chunk, "usage");
  if (usage != NULL)
    {
      g_clear_pointer (&self->usage, json_object_unref);
      self->usage = json_object_ref (usage);
    }

  choice = sy_hub_first_choice (chunk);
  delta = sy_json_get_object (choice, "delta");

  text = sy_json_get_string (delta, "reasoning_content");
  if (text != NULL && *text != '\0')
    on_text_delta (self, ITEM_REASONING, text, events);

  text = sy_json_get_string (delta, "content");
  if (text != NULL && *text != '\0')
    on_text_delta (self, ITEM_MESSAGE, text, events);

  tool_calls = sy_json_get_array (delta, "tool_calls");
  self->serial++;
  /* The calls this chunk names, known before any of them opens an item. */
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonNode *node = json_array_get_element (tool_calls, i);
      Item *item = JSON_NODE_HOLDS_OBJECT (node)
                   ? find_call (self, sy_json_get_int (json_node_get_object (node), "index", i)) : NULL;

      if (item != NULL)
        item->seen = self->serial;
    }
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonNode *node = json_array_get_element (tool_calls, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        on_tool_call (self, json_node_get_object (node), i, events);
    }

  finish_reason = sy_json_get_string (choice, "finish_reason");
  if (finish_reason != NULL)
    {
      g_free (self->finish_reason);
      self->finish_reason = g_strdup (finish_reason);
    }
}

static void
responses_encoder_finish (SyStreamEncoder *encoder,
                          GPtrArray       *events)
{
  ResponsesEncoder *self = (ResponsesEncoder *) encoder;
  const char *incomplete;

  if (self->ended)
    return;
  ensure_started (self, NULL, events);
  self->ended = TRUE;

  incomplete = incomplete_reason (self->finish_reason);
  close_current (self, incomplete != NULL ? "incomplete" : "completed", events);
  emit_lifecycle (self, incomplete != NULL ? "response.incomplete" : "response.completed",
                  encoder_response (self, incomplete != NULL ? "incomplete" : "completed", incomplete, NULL),
                  events);
}

static void
responses_encoder_error (SyStreamEncoder *encoder,
                         guint            status,
                         const char      *type,
                         const char      *message,
                         GPtrArray       *events)
{
  ResponsesEncoder *self = (ResponsesEncoder *) encoder;
  JsonObject *error;

  if (self->ended)
    return;
  /* The SDK's stream accumulator insists on response.created first. */
  ensure_started (self, NULL, events);
  self->ended = TRUE;

  /* The open items stay unfinished: no closing events follow a failure. */
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = g_ptr_array_index (self->items, i);

      if (item->status == NULL)
        item->status = "incomplete";
    }
  self->current = NULL;

  error = json_object_new ();
  if (type == NULL || *type == '\0')
    type = status == 429 ? "rate_limit_exceeded" : "server_error";
  json_object_set_string_member (error, "code", type);
  json_object_set_string_member (error, "message", message != NULL ? message : "");
  emit_lifecycle (self, "response.failed", encoder_response (self, "failed", NULL, error), events);
}

static void
responses_encoder_free (SyStreamEncoder *encoder)
{
  ResponsesEncoder *self = (ResponsesEncoder *) encoder;

  g_free (self->model);
  g_free (self->id);
  g_ptr_array_unref (self->items);
  g_free (self->finish_reason);
  g_clear_pointer (&self->usage, json_object_unref);
  g_free (self);
}

SyStreamEncoder *
sy_responses_encoder_new (const char *model)
{
  ResponsesEncoder *self = g_new0 (ResponsesEncoder, 1);

  self->parent.chunk = responses_encoder_chunk;
  self->parent.finish = responses_encoder_finish;
  self->parent.error = responses_encoder_error;
  self->parent.free = responses_encoder_free;
  self->model = g_strdup (model);
  self->id = sy_translate_new_id ("resp_");
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  return &self->parent;
}
