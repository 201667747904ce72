/* sy-anthropic.c — Anthropic Messages to and from the hub, both as a client format and as an upstream.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-anthropic"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sy-json.h"
#include "sy-sse.h"
#include "sy-translate.h"

/* The tool that carries a hub json_schema response_format: Anthropic has no
 * structured output mode, but a forced tool call's input follows its schema. */
#define JSON_TOOL_NAME        "__switchyard_json"
#define ANTHROPIC_VERSION     "2023-06-01"
#define FALLBACK_MAX_TOKENS   4096

/* ------------------------------------------------------------------ helpers */

static JsonObject *
empty_schema (void)
{
  JsonObject *schema = json_object_new ();

  json_object_set_string_member (schema, "type", "object");
  json_object_set_object_member (schema, "properties", json_object_new ());
  return schema;
}

static void
set_new_id (JsonObject *object,
            const char *prefix)
{
  g_autofree char *id = sy_translate_new_id (prefix);

  json_object_set_string_member (object, "id", id);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static const char *
finish_to_stop_reason (const char *finish_reason)
{
  if (g_strcmp0 (finish_reason, "length") == 0)
    return "max_tokens";
  if (g_strcmp0 (finish_reason, "tool_calls") == 0 || g_strcmp0 (finish_reason, "function_call") == 0)
    return "tool_use";
  if (g_strcmp0 (finish_reason, "content_filter") == 0)
    return "refusal";
  /* A stop caused by a stop sequence looks like any other stop in the hub. */
  return "end_turn";
}

static const char *
stop_reason_to_finish (const char *stop_reason)
{
  if (g_strcmp0 (stop_reason, "max_tokens") == 0 ||
      g_strcmp0 (stop_reason, "model_context_window_exceeded") == 0)
    return "length";
  if (g_strcmp0 (stop_reason, "tool_use") == 0)
    return "tool_calls";
  if (g_strcmp0 (stop_reason, "refusal") == 0)
    return "content_filter";
  return "stop";
}

/* Anthropic's usage from a hub usage object (which may be NULL). */
static JsonObject *
usage_from_hub (JsonObject *hub_usage)
{
  JsonObject *usage = json_object_new ();
  SyUsage u;

  sy_hub_usage_read (hub_usage, &u);
  json_object_set_int_member (usage, "input_tokens",
                              MAX (0, u.prompt_tokens - u.cached_tokens - u.cache_write_tokens));
  json_object_set_int_member (usage, "output_tokens", u.completion_tokens);
  json_object_set_int_member (usage, "cache_read_input_tokens", u.cached_tokens);
  json_object_set_int_member (usage, "cache_creation_input_tokens", u.cache_write_tokens);
  sy_usage_copy_cost (hub_usage, usage);
  return usage;
}

/* "msg_…" ids as Anthropic's clients expect, derived from the hub id. */
static char *
message_id (const char *hub_id)
{
  if (hub_id == NULL || *hub_id == '\0')
    return sy_translate_new_id ("msg_");
  if (g_str_has_prefix (hub_id, "msg_"))
    return g_strdup (hub_id);
  return g_strconcat ("msg_", hub_id, NULL);
}

void
sy_anthropic_usage_read (JsonObject *usage,
                         SyUsage    *out)
{
  gint64 input, cache_read, cache_write;

  g_return_if_fail (out != NULL);

  memset (out, 0, sizeof *out);
  input = MAX (0, sy_json_get_int (usage, "input_tokens", 0));
  cache_read = MAX (0, sy_json_get_int (usage, "cache_read_input_tokens", 0));
  cache_write = MAX (0, sy_json_get_int (usage, "cache_creation_input_tokens", 0));
  out->prompt_tokens = input + cache_read + cache_write;
  out->cached_tokens = cache_read;
  out->cache_write_tokens = cache_write;
  out->completion_tokens = MAX (0, sy_json_get_int (usage, "output_tokens", 0));
}

/* ------------------------------------------ client side: request → hub */

static gboolean
system_to_hub (JsonNode   *system,
               JsonArray  *messages,
               GError    **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  JsonObject *message;

  if (sy_json_node_is_null (system))
    return TRUE;

  if (sy_json_node_is_string (system))
    g_string_append (text, json_node_get_string (system));
  else if (JSON_NODE_HOLDS_ARRAY (system))
    {
      JsonArray *blocks = json_node_get_array (system);

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        {
          JsonObject *block = sy_json_array_get_object (blocks, i);
          const char *block_text = sy_json_get_string (block, "text");

          if (g_strcmp0 (sy_json_get_string (block, "type"), "text") != 0 || block_text == NULL)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("system[%u]: must be a text block"), i);
              return FALSE;
            }
          if (text->len > 0 && *block_text != '\0')
            g_string_append (text, "\n\n");
          g_string_append (text, block_text);
        }
    }
  else
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("system: must be a string or an array of text blocks"));
      return FALSE;
    }

  if (text->len == 0)
    return TRUE;
  message = json_object_new ();
  json_object_set_string_member (message, "role", "system");
  json_object_set_string_member (message, "content", text->str);
  json_array_add_object_element (messages, message);
  return TRUE;
}

/* An image block's source as the URL of a hub image_url part. */
static char *
image_source_to_url (JsonObject  *block,
                     const char  *path,
                     GError     **error)
{
  JsonObject *source = sy_json_get_object (block, "source");
  const char *type = sy_json_get_string (source, "type");

  if (g_strcmp0 (type, "base64") == 0)
    {
      const char *media_type = sy_json_get_string (source, "media_type");
      const char *data = sy_json_get_string (source, "data");

      if (media_type == NULL || data == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s.source: a base64 source needs \"media_type\" and \"data\""), path);
          return NULL;
        }
      return g_strdup_printf ("data:%s;base64,%s", media_type, data);
    }
  if (g_strcmp0 (type, "url") == 0)
    {
      const char *url = sy_json_get_string (source, "url");

      if (url == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s.source.url: must be a string"), path);
          return NULL;
        }
      return g_strdup (url);
    }
  sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                          _("%s.source: only base64 and url image sources are supported"), path);
  return NULL;
}

/* The text of a tool_result's content: a string or text blocks. Its images
 * (Claude Code's Read of a picture) become hub image_url parts in @images: a
 * Chat Completions tool message carries text only. */
static gboolean
tool_result_text (JsonNode    *content,
                  const char  *path,
                  GString     *out,
                  JsonArray   *images,
                  GError     **error)
{
  JsonArray *blocks;

  if (sy_json_node_is_null (content))
    return TRUE;
  if (sy_json_node_is_string (content))
    {
      g_string_append (out, json_node_get_string (content));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("%s.content: must be a string or an array of content blocks"), path);
      return FALSE;
    }

  blocks = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonObject *block = sy_json_array_get_object (blocks, i);
      const char *type = sy_json_get_string (block, "type");
      const char *text = sy_json_get_string (block, "text");

      if (g_strcmp0 (type, "text") == 0 && text != NULL)
        {
          if (out->len > 0)
            g_string_append_c (out, '\n');
          g_string_append (out, text);
        }
      else if (g_strcmp0 (type, "image") == 0)
        {
          g_autofree char *block_path = g_strdup_printf ("%s.content[%u]", path, i);
          g_autofree char *url = image_source_to_url (block, block_path, error);
          JsonObject *part, *image_url;

          if (url == NULL)
            return FALSE;
          part = json_object_new ();
          image_url = json_object_new ();
          json_object_set_string_member (part, "type", "image_url");
          json_object_set_string_member (image_url, "url", url);
          json_object_set_object_member (part, "image_url", image_url);
          json_array_add_object_element (images, part);
        }
      else
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s.content[%u]: unknown block type \"%s\""), path, i,
                                  type != NULL ? type : "");
          return FALSE;
        }
    }
  return TRUE;
}

static JsonObject *
hub_tool_call (const char *id,
               const char *name,
               const char *arguments)
{
  JsonObject *call = json_object_new ();
  JsonObject *function = json_object_new ();

  json_object_set_string_member (call, "id", id);
  json_object_set_string_member (call, "type", "function");
  json_object_set_string_member (function, "name", name);
  json_object_set_string_member (function, "arguments", arguments);
  json_object_set_object_member (call, "function", function);
  return call;
}

static gboolean
message_to_hub (JsonObject  *message,
                guint        index,
                JsonArray   *out,
                GError     **error)
{
  const char *role = sy_json_get_string (message, "role");
  JsonNode *content = sy_json_member (message, "content");
  g_autoptr(JsonArray) parts = NULL;       /* user: hub content parts */
  g_autoptr(JsonArray) extra = NULL;       /* user: tool messages; assistant: tool_calls */
  g_autoptr(GString) text = NULL;          /* assistant text */
  g_autoptr(GString) reasoning = NULL;
  JsonArray *blocks;
  gboolean user;

  /* Claude Code sends system messages among the turns too (mid-conversation
   * instructions): they stay where they are, as hub system messages. */
  if (g_strcmp0 (role, "system") == 0)
    {
      if (system_to_hub (content, out, error))
        return TRUE;
      g_prefix_error (error, "messages[%u].content: ", index);
      return FALSE;
    }
  if (g_strcmp0 (role, "user") != 0 && g_strcmp0 (role, "assistant") != 0)
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].role: must be \"user\", \"assistant\" or \"system\""), index);
      return FALSE;
    }
  user = g_str_equal (role, "user");

  if (sy_json_node_is_string (content))
    {
      JsonObject *hub = json_object_new ();

      json_object_set_string_member (hub, "role", role);
      json_object_set_string_member (hub, "content", json_node_get_string (content));
      json_array_add_object_element (out, hub);
      return TRUE;
    }
  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].content: must be a string or an array of content blocks"), index);
      return FALSE;
    }

  parts = json_array_new ();
  extra = json_array_new ();
  text = g_string_new (NULL);
  reasoning = g_string_new (NULL);
  blocks = json_node_get_array (content);
  for (guint j = 0; j < json_array_get_length (blocks); j++)
    {
      g_autofree char *path = g_strdup_printf ("messages[%u].content[%u]", index, j);
      JsonObject *block = sy_json_array_get_object (blocks, j);
      const char *type = sy_json_get_string (block, "type");

      if (type == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s: must be an object with a \"type\""), path);
          return FALSE;
        }

      if (g_str_equal (type, "text"))
        {
          const char *block_text = sy_json_get_string (block, "text");

          if (block_text == NULL)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s.text: must be a string"), path);
              return FALSE;
            }
          if (user)
            {
              JsonObject *part = json_object_new ();

              json_object_set_string_member (part, "type", "text");
              json_object_set_string_member (part, "text", block_text);
              json_array_add_object_element (parts, part);
            }
          else
            g_string_append (text, block_text);
        }
      else if (g_str_equal (type, "image"))
        {
          g_autofree char *url = NULL;
          JsonObject *part, *image_url;

          if (!user)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s: images are only supported in user messages"), path);
              return FALSE;
            }
          url = image_source_to_url (block, path, error);
          if (url == NULL)
            return FALSE;
          part = json_object_new ();
          image_url = json_object_new ();
          json_object_set_string_member (part, "type", "image_url");
          json_object_set_string_member (image_url, "url", url);
          json_object_set_object_member (part, "image_url", image_url);
          json_array_add_object_element (parts, part);
        }
      else if (g_str_equal (type, "tool_use"))
        {
          const char *id = sy_json_get_string (block, "id");
          const char *name = sy_json_get_string (block, "name");
          JsonNode *input = sy_json_member (block, "input");
          g_autofree char *arguments = NULL;

          if (user)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s: tool_use blocks are only allowed in assistant messages"), path);
              return FALSE;
            }
          if (id == NULL || name == NULL)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s: a tool_use block needs \"id\" and \"name\""), path);
              return FALSE;
            }
          if (input != NULL && !JSON_NODE_HOLDS_OBJECT (input))
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s.input: must be an object"), path);
              return FALSE;
            }
          arguments = input != NULL ? sy_json_to_string (input) : g_strdup ("{}");
          json_array_add_object_element (extra, hub_tool_call (id, name, arguments));
        }
      else if (g_str_equal (type, "tool_result"))
        {
          const char *id = sy_json_get_string (block, "tool_use_id");
          g_autoptr(GString) result = g_string_new (NULL);
          JsonObject *tool;

          if (!user)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s: tool_result blocks are only allowed in user messages"), path);
              return FALSE;
            }
          if (id == NULL)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s.tool_use_id: must be a string"), path);
              return FALSE;
            }
          /* The images go in the user turn that follows the tool messages. */
          if (!tool_result_text (sy_json_member (block, "content"), path, result, parts, error))
            return FALSE;
          tool = json_object_new ();
          json_object_set_string_member (tool, "role", "tool");
          json_object_set_string_member (tool, "tool_call_id", id);
          json_object_set_string_member (tool, "content", result->str);
          json_array_add_object_element (extra, tool);
        }
      else if (g_str_equal (type, "thinking"))
        {
          const char *thinking = sy_json_get_string (block, "thinking");

          if (!user && thinking != NULL)
            g_string_append (reasoning, thinking);
        }
      else if (g_str_equal (type, "redacted_thinking"))
        ;  /* encrypted for Anthropic only: nothing another model can use */
      else if (g_str_equal (type, "document"))
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s: document blocks are not supported"), path);
          return FALSE;
        }
      else
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s: unknown block type \"%s\""), path, type);
          return FALSE;
        }
    }

  if (user)
    {
      JsonObject *hub;
      guint n_parts = json_array_get_length (parts);

      /* Tool results answer the previous assistant turn, so they come before
       * whatever the user added. */
      for (guint i = 0; i < json_array_get_length (extra); i++)
        json_array_add_element (out, json_node_copy (json_array_get_element (extra, i)));
      if (n_parts == 0 && json_array_get_length (extra) > 0)
        return TRUE;

      hub = json_object_new ();
      json_object_set_string_member (hub, "role", "user");
      if (n_parts == 0)
        json_object_set_string_member (hub, "content", "");
      else if (n_parts == 1 && sy_json_get_string (sy_json_array_get_object (parts, 0), "text") != NULL)
        json_object_set_string_member (hub, "content",
                                       sy_json_get_string (sy_json_array_get_object (parts, 0), "text"));
      else
        json_object_set_array_member (hub, "content", json_array_ref (parts));
      json_array_add_object_element (out, hub);
    }
  else
    {
      JsonObject *hub = json_object_new ();
      gboolean has_calls = json_array_get_length (extra) > 0;

      json_object_set_string_member (hub, "role", "assistant");
      if (text->len == 0 && has_calls)
        json_object_set_null_member (hub, "content");
      else
        json_object_set_string_member (hub, "content", text->str);
      if (reasoning->len > 0)
        json_object_set_string_member (hub, "reasoning_content", reasoning->str);
      if (has_calls)
        json_object_set_array_member (hub, "tool_calls", json_array_ref (extra));
      json_array_add_object_element (out, hub);
    }
  return TRUE;
}

static gboolean
tools_to_hub (JsonObject  *request,
              JsonObject  *hub,
              GError     **error)
{
  JsonNode *node = sy_json_member (request, "tools");
  JsonArray *tools, *out;

  if (sy_json_node_is_null (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("tools: must be an array"));
      return FALSE;
    }

  tools = json_node_get_array (node);
  out = json_array_new ();
  json_object_set_array_member (hub, "tools", out);
  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = sy_json_array_get_object (tools, i);
      JsonNode *type = sy_json_member (tool, "type");
      const char *name = sy_json_get_string (tool, "name");
      const char *description = sy_json_get_string (tool, "description");
      JsonObject *schema = sy_json_get_object (tool, "input_schema");
      JsonObject *hub_tool, *function;

      if (tool == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u]: must be an object"), i);
          return FALSE;
        }
      if (!sy_json_node_is_null (type) && (!sy_json_node_is_string (type) || !g_str_equal (json_node_get_string (type), "custom")))
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u]: tool type \"%s\" is not supported"), i,
                                  sy_json_node_is_string (type) ? json_node_get_string (type) : "?");
          return FALSE;
        }
      if (name == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u].name: must be a string"), i);
          return FALSE;
        }
      if (schema == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u].input_schema: must be an object"), i);
          return FALSE;
        }

      hub_tool = json_object_new ();
      function = json_object_new ();
      json_object_set_string_member (hub_tool, "type", "function");
      json_object_set_string_member (function, "name", name);
      if (description != NULL)
        json_object_set_string_member (function, "description", description);
      sy_json_copy_member (tool, "input_schema", function, "parameters");
      json_object_set_object_member (hub_tool, "function", function);
      json_array_add_object_element (out, hub_tool);
    }
  return TRUE;
}

static gboolean
tool_choice_to_hub (JsonObject  *request,
                    JsonObject  *hub,
                    GError     **error)
{
  JsonNode *node = sy_json_member (request, "tool_choice");
  JsonObject *choice;
  const char *type;

  if (sy_json_node_is_null (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("tool_choice: must be an object"));
      return FALSE;
    }

  choice = json_node_get_object (node);
  type = sy_json_get_string (choice, "type");
  if (g_strcmp0 (type, "auto") == 0)
    json_object_set_string_member (hub, "tool_choice", "auto");
  else if (g_strcmp0 (type, "any") == 0)
    json_object_set_string_member (hub, "tool_choice", "required");
  else if (g_strcmp0 (type, "none") == 0)
    json_object_set_string_member (hub, "tool_choice", "none");
  else if (g_strcmp0 (type, "tool") == 0)
    {
      const char *name = sy_json_get_string (choice, "name");
      JsonObject *hub_choice, *function;

      if (name == NULL)
        {
          g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                               _("tool_choice.name: must be a string"));
          return FALSE;
        }
      hub_choice = json_object_new ();
      function = json_object_new ();
      json_object_set_string_member (hub_choice, "type", "function");
      json_object_set_string_member (function, "name", name);
      json_object_set_object_member (hub_choice, "function", function);
      json_object_set_object_member (hub, "tool_choice", hub_choice);
    }
  else
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("tool_choice.type: \"%s\" is not supported"), type != NULL ? type : "");
      return FALSE;
    }

  if (sy_json_get_bool (choice, "disable_parallel_tool_use", FALSE))
    json_object_set_boolean_member (hub, "parallel_tool_calls", FALSE);
  return TRUE;
}

static gboolean
output_format_to_hub (JsonObject  *request,
                      JsonObject  *hub,
                      GError     **error)
{
  const char *name = "output_format";
  JsonObject *format = sy_json_get_object (request, "output_format");
  JsonObject *schema, *response_format, *json_schema;

  if (format == NULL)
    {
      name = "output_config.format";
      format = sy_json_get_object (sy_json_get_object (request, "output_config"), "format");
    }
  if (format == NULL)
    return TRUE;

  schema = sy_json_get_object (format, "schema");
  if (g_strcmp0 (sy_json_get_string (format, "type"), "json_schema") != 0 || schema == NULL)
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("%s: only {\"type\": \"json_schema\", \"schema\": {…}} is supported"), name);
      return FALSE;
    }

  response_format = json_object_new ();
  json_schema = json_object_new ();
  json_object_set_string_member (response_format, "type", "json_schema");
  json_object_set_string_member (json_schema, "name", "output");
  sy_json_copy_member (format, "schema", json_schema, "schema");
  json_object_set_object_member (response_format, "json_schema", json_schema);
  json_object_set_object_member (hub, "response_format", response_format);
  return TRUE;
}

JsonObject *
sy_anthropic_request_to_hub (JsonObject  *request,
                             GError     **error)
{
  g_autoptr(JsonObject) hub = NULL;
  JsonNode *messages_node;
  JsonArray *messages, *out;
  JsonNode *node;
  JsonObject *thinking, *metadata;

  g_return_val_if_fail (request != NULL, NULL);

  hub = json_object_new ();
  sy_json_copy_member (request, "model", hub, "model");

  messages_node = sy_json_member (request, "messages");
  if (messages_node == NULL || !JSON_NODE_HOLDS_ARRAY (messages_node))
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("messages: required, must be an array"));
      return NULL;
    }
  messages = json_node_get_array (messages_node);
  out = json_array_new ();
  json_object_set_array_member (hub, "messages", out);

  if (!system_to_hub (sy_json_member (request, "system"), out, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = sy_json_array_get_object (messages, i);

      if (message == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u]: must be an object"), i);
          return NULL;
        }
      if (!message_to_hub (message, i, out, error))
        return NULL;
    }

  if (!tools_to_hub (request, hub, error) || !tool_choice_to_hub (request, hub, error))
    return NULL;

  node = sy_json_member (request, "stop_sequences");
  if (!sy_json_node_is_null (node))
    {
      JsonArray *stops;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                               _("stop_sequences: must be an array of strings"));
          return NULL;
        }
      stops = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (stops); i++)
        if (!sy_json_node_is_string (json_array_get_element (stops, i)))
          {
            sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                    _("stop_sequences[%u]: must be a string"), i);
            return NULL;
          }
      if (json_array_get_length (stops) > 0)
        json_object_set_member (hub, "stop", json_node_copy (node));
    }

  if (sy_json_node_is_number (sy_json_member (request, "max_tokens")))
    sy_json_copy_member (request, "max_tokens", hub, "max_tokens");
  if (sy_json_node_is_number (sy_json_member (request, "temperature")))
    sy_json_copy_member (request, "temperature", hub, "temperature");
  if (sy_json_node_is_number (sy_json_member (request, "top_p")))
    sy_json_copy_member (request, "top_p", hub, "top_p");

  thinking = sy_json_get_object (request, "thinking");
  if (g_strcmp0 (sy_json_get_string (thinking, "type"), "enabled") == 0)
    {
      gint64 budget = sy_json_get_int (thinking, "budget_tokens", 0);

      json_object_set_string_member (hub, "reasoning_effort",
                                     budget < 4096 ? "low" : budget < 16384 ? "medium" : "high");
    }
  else if (g_strcmp0 (sy_json_get_string (thinking, "type"), "adaptive") == 0)
    {
      /* The model decides how much to think; "output_config.effort" says how hard. */
      const char *effort = sy_json_get_string (sy_json_get_object (request, "output_config"), "effort");

      if (g_strcmp0 (effort, "low") == 0 || g_strcmp0 (effort, "medium") == 0 ||
          g_strcmp0 (effort, "high") == 0)
        json_object_set_string_member (hub, "reasoning_effort", effort);
      else if (effort != NULL)
        json_object_set_string_member (hub, "reasoning_effort", "high");
    }

  /* Structured outputs: "output_format" in the beta, "output_config.format" since. */
  if (!output_format_to_hub (request, hub, error))
    return NULL;

  metadata = sy_json_get_object (request, "metadata");
  if (sy_json_get_string (metadata, "user_id") != NULL)
    json_object_set_string_member (hub, "user", sy_json_get_string (metadata, "user_id"));

  node = sy_json_member (request, "stream");
  if (sy_json_node_is_bool (node))
    json_object_set_boolean_member (hub, "stream", json_node_get_boolean (node));

  return g_steal_pointer (&hub);
}

/* --------------------------------------- client side: completion → message */

static JsonObject *
tool_use_block (const char *id,
                const char *name,
                const char *arguments)
{
  JsonObject *block = json_object_new ();
  g_autoptr(JsonNode) input = NULL;

  if (arguments != NULL && *arguments != '\0')
    input = sy_json_parse (arguments, strlen (arguments), NULL);
  json_object_set_string_member (block, "type", "tool_use");
  if (id != NULL)
    json_object_set_string_member (block, "id", id);
  else
    set_new_id (block, "toolu_");
  json_object_set_string_member (block, "name", name != NULL ? name : "");
  if (input != NULL && JSON_NODE_HOLDS_OBJECT (input))
    json_object_set_member (block, "input", g_steal_pointer (&input));
  else
    json_object_set_object_member (block, "input", json_object_new ());
  return block;
}

JsonObject *
sy_anthropic_response_from_hub (JsonObject *completion)
{
  JsonObject *message, *hub_message, *choice = NULL;
  JsonArray *content, *tool_calls;
  g_autofree char *id = NULL;
  g_autofree char *text = NULL;
  const char *reasoning;

  g_return_val_if_fail (completion != NULL, NULL);

  choice = sy_hub_first_choice (completion);
  hub_message = sy_json_get_object (choice, "message");

  message = json_object_new ();
  id = message_id (sy_json_get_string (completion, "id"));
  json_object_set_string_member (message, "id", id);
  json_object_set_string_member (message, "type", "message");
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "model",
                                 sy_json_get_string (completion, "model") != NULL
                                 ? sy_json_get_string (completion, "model") : "");

  content = json_array_new ();
  reasoning = sy_json_get_string (hub_message, "reasoning_content");
  if (reasoning != NULL && *reasoning != '\0')
    {
      JsonObject *block = json_object_new ();

      json_object_set_string_member (block, "type", "thinking");
      json_object_set_string_member (block, "thinking", reasoning);
      json_object_set_string_member (block, "signature", "");
      json_array_add_object_element (content, block);
    }
  text = sy_hub_content_text (sy_json_member (hub_message, "content"));
  if ((text == NULL || *text == '\0') && sy_json_get_string (hub_message, "refusal") != NULL)
    {
      g_free (text);
      text = g_strdup (sy_json_get_string (hub_message, "refusal"));
    }
  if (text != NULL && *text != '\0')
    {
      JsonObject *block = json_object_new ();

      json_object_set_string_member (block, "type", "text");
      json_object_set_string_member (block, "text", text);
      json_array_add_object_element (content, block);
    }
  tool_calls = sy_json_get_array (hub_message, "tool_calls");
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonObject *call = sy_json_array_get_object (tool_calls, i);
      JsonObject *function = sy_json_get_object (call, "function");

      if (function == NULL)
        continue;
      json_array_add_object_element (content,
                                     tool_use_block (sy_json_get_string (call, "id"),
                                                     sy_json_get_string (function, "name"),
                                                     sy_json_get_string (function, "arguments")));
    }
  json_object_set_array_member (message, "content", content);

  json_object_set_string_member (message, "stop_reason",
                                 finish_to_stop_reason (sy_json_get_string (choice, "finish_reason")));
  json_object_set_null_member (message, "stop_sequence");
  json_object_set_object_member (message, "usage",
                                 usage_from_hub (sy_json_get_object (completion, "usage")));
  return message;
}

/* ------------------------------------------ client side: chunks → events */

typedef enum {
  BLOCK_NONE,
  BLOCK_TEXT,
  BLOCK_THINKING,
  BLOCK_TOOL,
  BLOCK_JSON,      /* decoder: the __switchyard_json tool */
  BLOCK_OTHER,     /* decoder: a block type the hub cannot carry */
} BlockKind;

/* The block of one hub tool call. */
typedef struct {
  guint    index;      /* the content block's */
  guint64  seen;       /* the last chunk that named this call */
} ToolBlock;

typedef struct {
  SyStreamEncoder  parent;

  /* owned */
  char            *model;
  char            *id;
  char            *finish_reason;
  JsonNode        *usage;        /* the last hub usage seen */
  GHashTable      *tool_blocks;  /* hub tool index + 1 → ToolBlock */
  GPtrArray       *open_tools;   /* ToolBlock, the tool blocks still open, in order */

  /* state */
  gboolean         started;
  gboolean         ended;
  BlockKind        open_kind;    /* BLOCK_TOOL while tool blocks are open */
  guint            open_index;
  guint            next_index;
  guint64          serial;       /* chunks seen */
} AnthropicEncoder;

static void
emit (GPtrArray  *events,
      JsonObject *data)
{
  g_ptr_array_add (events, sy_sse_event_new_take (sy_json_get_string (data, "type"),
                                                  sy_json_object_to_string (data)));
  json_object_unref (data);
}

static void
encoder_start (AnthropicEncoder *self,
               const char       *hub_id,
               const char       *hub_model,
               GPtrArray        *events)
{
  JsonObject *event = json_object_new ();
  JsonObject *message = json_object_new ();
  JsonObject *usage = json_object_new ();
  const char *model = self->model != NULL && *self->model != '\0' ? self->model : hub_model;

  self->started = TRUE;
  self->id = message_id (hub_id);
  json_object_set_string_member (message, "id", self->id);
  json_object_set_string_member (message, "type", "message");
  json_object_set_string_member (message, "role", "assistant");
  json_object_set_string_member (message, "model", model != NULL ? model : "");
  json_object_set_array_member (message, "content", json_array_new ());
  json_object_set_null_member (message, "stop_reason");
  json_object_set_null_member (message, "stop_sequence");
  /* The hub reports usage only at the end; message_delta carries it. */
  json_object_set_int_member (usage, "input_tokens", 0);
  json_object_set_int_member (usage, "output_tokens", 0);
  json_object_set_object_member (message, "usage", usage);
  json_object_set_string_member (event, "type", "message_start");
  json_object_set_object_member (event, "message", message);
  emit (events, event);
}

static void
encoder_stop (guint      index,
              GPtrArray *events)
{
  JsonObject *event = json_object_new ();

  json_object_set_string_member (event, "type", "content_block_stop");
  json_object_set_int_member (event, "index", index);
  emit (events, event);
}

/* Closes the open tool blocks that the current chunk does not name (all of
 * them when @all). */
static void
encoder_close_tools (AnthropicEncoder *self,
                     gboolean          all,
                     GPtrArray        *events)
{
  for (guint i = 0; i < self->open_tools->len;)
    {
      ToolBlock *tool = g_ptr_array_index (self->open_tools, i);

      if (!all && tool->seen == self->serial)
        {
          i++;
          continue;
        }
      encoder_stop (tool->index, events);
      g_ptr_array_remove_index (self->open_tools, i);
    }
  if (self->open_tools->len == 0 && self->open_kind == BLOCK_TOOL)
    self->open_kind = BLOCK_NONE;
}

/* Closes whatever is open. */
static void
encoder_close_block (AnthropicEncoder *self,
                     GPtrArray        *events)
{
  if (self->open_kind == BLOCK_TOOL)
    encoder_close_tools (self, TRUE, events);
  else if (self->open_kind != BLOCK_NONE)
    encoder_stop (self->open_index, events);
  self->open_kind = BLOCK_NONE;
}

/* Starts @block (taken) as the next one; the caller closed what had to be. */
static void
encoder_open_block (AnthropicEncoder *self,
                    BlockKind         kind,
                    JsonObject       *block,
                    GPtrArray        *events)
{
  JsonObject *event = json_object_new ();

  self->open_kind = kind;
  self->open_index = self->next_index++;
  json_object_set_string_member (event, "type", "content_block_start");
  json_object_set_int_member (event, "index", self->open_index);
  json_object_set_object_member (event, "content_block", block);
  emit (events, event);
}

static void
encoder_delta (guint       index,
               const char *type,
               const char *field,
               const char *value,
               GPtrArray  *events)
{
  JsonObject *event = json_object_new ();
  JsonObject *delta = json_object_new ();

  json_object_set_string_member (event, "type", "content_block_delta");
  json_object_set_int_member (event, "index", index);
  json_object_set_string_member (delta, "type", type);
  json_object_set_string_member (delta, field, value);
  json_object_set_object_member (event, "delta", delta);
  emit (events, event);
}

static void
encoder_text (AnthropicEncoder *self,
              BlockKind         kind,
              const char       *value,
              GPtrArray        *events)
{
  gboolean thinking = kind == BLOCK_THINKING;

  if (self->open_kind != kind)
    {
      JsonObject *block = json_object_new ();

      json_object_set_string_member (block, "type", thinking ? "thinking" : "text");
      json_object_set_string_member (block, thinking ? "thinking" : "text", "");
      if (thinking)
        json_object_set_string_member (block, "signature", "");
      encoder_close_block (self, events);
      encoder_open_block (self, kind, block, events);
    }
  encoder_delta (self->open_index, thinking ? "thinking_delta" : "text_delta",
                 thinking ? "thinking" : "text", value, events);
}

/* The hub index of a tool call, its position in the chunk when it has none. */
static gint64
encoder_tool_index (JsonObject *call,
                    guint       position)
{
  return CLAMP (sy_json_get_int (call, "index", position), 0, G_MAXINT - 1);
}

static void
encoder_tool_call (AnthropicEncoder *self,
                   JsonObject       *call,
                   guint             position,
                   GPtrArray        *events)
{
  gint64 tool = encoder_tool_index (call, position);
  JsonObject *function = sy_json_get_object (call, "function");
  const char *arguments = sy_json_get_string (function, "arguments");
  ToolBlock *found = g_hash_table_lookup (self->tool_blocks, GINT_TO_POINTER (tool + 1));
  guint index;

  if (found == NULL)
    {
      JsonObject *block = json_object_new ();
      const char *id = sy_json_get_string (call, "id");
      const char *name = sy_json_get_string (function, "name");

      json_object_set_string_member (block, "type", "tool_use");
      if (id != NULL)
        json_object_set_string_member (block, "id", id);
      else
        set_new_id (block, "toolu_");
      json_object_set_string_member (block, "name", name != NULL ? name : "");
      json_object_set_object_member (block, "input", json_object_new ());
      /* Calls begun in the same chunk stay open together: some providers start
       * several at once and then send their arguments in turns. A call that
       * this chunk does not name is over. */
      if (self->open_kind == BLOCK_TOOL)
        encoder_close_tools (self, FALSE, events);
      else
        encoder_close_block (self, events);
      encoder_open_block (self, BLOCK_TOOL, block, events);
      found = g_new0 (ToolBlock, 1);
      found->index = self->open_index;
      found->seen = self->serial;
      g_hash_table_insert (self->tool_blocks, GINT_TO_POINTER (tool + 1), found);
      g_ptr_array_add (self->open_tools, found);
    }
  /* A block cannot be reopened; a hub stream that goes back to a call already
   * closed (none known does) gets its fragments on that call's index, which
   * Anthropic's SDKs accumulate by index all the same. */
  index = found->index;

  if (arguments != NULL && *arguments != '\0')
    encoder_delta (index, "input_json_delta", "partial_json", arguments, events);
}

static void
encoder_chunk (SyStreamEncoder *encoder,
               JsonObject      *chunk,
               GPtrArray       *events)
{
  AnthropicEncoder *self = (AnthropicEncoder *) encoder;
  JsonArray *tool_calls;
  JsonObject *choice = NULL, *delta;
  JsonNode *usage;
  const char *value;

  if (self->ended || chunk == NULL)
    return;
  if (!self->started)
    encoder_start (self, sy_json_get_string (chunk, "id"), sy_json_get_string (chunk, "model"), events);

  usage = sy_json_member (chunk, "usage");
  if (usage != NULL && JSON_NODE_HOLDS_OBJECT (usage))
    {
      g_clear_pointer (&self->usage, json_node_unref);
      self->usage = json_node_copy (usage);
    }

  choice = sy_hub_first_choice (chunk);
  delta = sy_json_get_object (choice, "delta");
  self->serial++;

  value = sy_json_get_string (delta, "reasoning_content");
  if (value != NULL && *value != '\0')
    encoder_text (self, BLOCK_THINKING, value, events);
  value = sy_json_get_string (delta, "content");
  if (value != NULL && *value != '\0')
    encoder_text (self, BLOCK_TEXT, value, events);
  tool_calls = sy_json_get_array (delta, "tool_calls");
  /* The calls this chunk names, known before any of them opens a block. */
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonObject *call = sy_json_array_get_object (tool_calls, i);
      ToolBlock *tool = call != NULL ? g_hash_table_lookup (self->tool_blocks,
                                                            GINT_TO_POINTER (encoder_tool_index (call, i) + 1))
                                     : NULL;

      if (tool != NULL)
        tool->seen = self->serial;
    }
  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonObject *call = sy_json_array_get_object (tool_calls, i);

      if (call != NULL)
        encoder_tool_call (self, call, i, events);
    }

  value = sy_json_get_string (choice, "finish_reason");
  if (value != NULL)
    {
      g_free (self->finish_reason);
      self->finish_reason = g_strdup (value);
    }
}

static void
encoder_finish (SyStreamEncoder *encoder,
                GPtrArray       *events)
{
  AnthropicEncoder *self = (AnthropicEncoder *) encoder;
  JsonObject *event, *delta;

  if (self->ended)
    return;
  if (!self->started)
    encoder_start (self, NULL, NULL, events);
  encoder_close_block (self, events);

  event = json_object_new ();
  delta = json_object_new ();
  json_object_set_string_member (event, "type", "message_delta");
  json_object_set_string_member (delta, "stop_reason", finish_to_stop_reason (self->finish_reason));
  json_object_set_null_member (delta, "stop_sequence");
  json_object_set_object_member (event, "delta", delta);
  json_object_set_object_member (event, "usage",
                                 usage_from_hub (self->usage != NULL ? json_node_get_object (self->usage) : NULL));
  emit (events, event);

  event = json_object_new ();
  json_object_set_string_member (event, "type", "message_stop");
  emit (events, event);
  self->ended = TRUE;
}

static const char *
error_type_for_status (guint status)
{
  switch (status)
    {
    case 529: return "overloaded_error";
    case 429: return "rate_limit_error";
    case 401: return "authentication_error";
    case 400: return "invalid_request_error";
    default: return "api_error";
    }
}

static void
encoder_error (SyStreamEncoder *encoder,
               guint            status,
               const char      *type,
               const char      *message,
               GPtrArray       *events)
{
  AnthropicEncoder *self = (AnthropicEncoder *) encoder;
  JsonObject *event, *error;

  if (self->ended)
    return;
  event = json_object_new ();
  error = json_object_new ();
  json_object_set_string_member (event, "type", "error");
  json_object_set_string_member (error, "type", error_type_for_status (status));
  json_object_set_string_member (error, "message",
                                 message != NULL ? message : _("The upstream request failed."));
  json_object_set_object_member (event, "error", error);
  emit (events, event);
  self->ended = TRUE;
}

static void
encoder_free (SyStreamEncoder *encoder)
{
  AnthropicEncoder *self = (AnthropicEncoder *) encoder;

  g_free (self->model);
  g_free (self->id);
  g_free (self->finish_reason);
  g_clear_pointer (&self->usage, json_node_unref);
  g_hash_table_unref (self->tool_blocks);
  g_ptr_array_unref (self->open_tools);
  g_free (self);
}

SyStreamEncoder *
sy_anthropic_encoder_new (const char *model)
{
  AnthropicEncoder *self = g_new0 (AnthropicEncoder, 1);

  self->parent.chunk = encoder_chunk;
  self->parent.finish = encoder_finish;
  self->parent.error = encoder_error;
  self->parent.free = encoder_free;
  self->model = g_strdup (model);
  self->tool_blocks = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->open_tools = g_ptr_array_new ();
  self->open_kind = BLOCK_NONE;
  return &self->parent;
}

/* --------------------------------------- upstream side: hub → request */

static JsonObject *
text_block (const char *text)
{
  JsonObject *block = json_object_new ();

  json_object_set_string_member (block, "type", "text");
  json_object_set_string_member (block, "text", text);
  return block;
}

static JsonObject *
image_block (const char  *url,
             const char  *path,
             GError     **error)
{
  g_autofree char *media_type = NULL;
  g_autofree char *data = NULL;
  JsonObject *block, *source;

  if (url == NULL)
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("%s.image_url: needs a \"url\""), path);
      return NULL;
    }

  source = json_object_new ();
  if (sy_data_url_split (url, &media_type, &data))
    {
      json_object_set_string_member (source, "type", "base64");
      json_object_set_string_member (source, "media_type", media_type);
      json_object_set_string_member (source, "data", data);
    }
  else if (g_ascii_strncasecmp (url, "https://", 8) == 0 || g_ascii_strncasecmp (url, "http://", 7) == 0)
    {
      json_object_set_string_member (source, "type", "url");
      json_object_set_string_member (source, "url", url);
    }
  else
    {
      json_object_unref (source);
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("%s.image_url.url: must be a base64 data URL or an http(s) URL"), path);
      return NULL;
    }

  block = json_object_new ();
  json_object_set_string_member (block, "type", "image");
  json_object_set_object_member (block, "source", source);
  return block;
}

/* Appends Anthropic blocks for a hub message's content to @blocks. Empty text is
 * skipped: Anthropic refuses empty text blocks. */
static gboolean
hub_content_to_blocks (JsonNode    *content,
                       guint        index,
                       JsonArray   *blocks,
                       GError     **error)
{
  JsonArray *parts;

  if (sy_json_node_is_null (content))
    return TRUE;
  if (sy_json_node_is_string (content))
    {
      if (*json_node_get_string (content) != '\0')
        json_array_add_object_element (blocks, text_block (json_node_get_string (content)));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].content: must be a string or an array of content parts"), index);
      return FALSE;
    }

  parts = json_node_get_array (content);
  for (guint j = 0; j < json_array_get_length (parts); j++)
    {
      g_autofree char *path = g_strdup_printf ("messages[%u].content[%u]", index, j);
      JsonObject *part = sy_json_array_get_object (parts, j);
      const char *type = sy_json_get_string (part, "type");

      if (g_strcmp0 (type, "text") == 0 || g_strcmp0 (type, "refusal") == 0)
        {
          const char *text = sy_json_get_string (part, type);

          if (text == NULL)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("%s.%s: must be a string"), path, type);
              return FALSE;
            }
          if (*text != '\0')
            json_array_add_object_element (blocks, text_block (text));
        }
      else if (g_strcmp0 (type, "image_url") == 0)
        {
          JsonNode *image_url = sy_json_member (part, "image_url");
          const char *url = NULL;
          JsonObject *block;

          if (sy_json_node_is_string (image_url))
            url = json_node_get_string (image_url);
          else if (image_url != NULL && JSON_NODE_HOLDS_OBJECT (image_url))
            url = sy_json_get_string (json_node_get_object (image_url), "url");
          block = image_block (url, path, error);
          if (block == NULL)
            return FALSE;
          json_array_add_object_element (blocks, block);
        }
      else
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("%s: content part type \"%s\" is not supported by Anthropic"), path,
                                  type != NULL ? type : "");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
tool_calls_to_blocks (JsonArray   *calls,
                      guint        index,
                      JsonArray   *blocks,
                      GError     **error)
{
  for (guint j = 0; j < json_array_get_length (calls); j++)
    {
      JsonObject *call = sy_json_array_get_object (calls, j);
      JsonObject *function = sy_json_get_object (call, "function");
      const char *name = sy_json_get_string (function, "name");
      const char *arguments = sy_json_get_string (function, "arguments");
      const char *id = sy_json_get_string (call, "id");
      g_autoptr(JsonNode) input = NULL;
      JsonObject *block;

      if (name == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].tool_calls[%u].function.name: must be a string"), index, j);
          return FALSE;
        }
      if (arguments == NULL || *arguments == '\0')
        {
          g_autoptr(JsonObject) empty = json_object_new ();
          input = json_node_init_object (json_node_alloc (), empty);
        }
      else
        input = sy_json_parse (arguments, strlen (arguments), NULL);
      if (input == NULL || !JSON_NODE_HOLDS_OBJECT (input))
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].tool_calls[%u].function.arguments: not a JSON object"), index, j);
          return FALSE;
        }

      block = json_object_new ();
      json_object_set_string_member (block, "type", "tool_use");
      if (id != NULL)
        json_object_set_string_member (block, "id", id);
      else
        set_new_id (block, "toolu_");
      json_object_set_string_member (block, "name", name);
      json_object_set_member (block, "input", g_steal_pointer (&input));
      json_array_add_object_element (blocks, block);
    }
  return TRUE;
}

/* Appends @blocks (taken) as a message of @role, merged into the previous one
 * when it has the same role: Anthropic wants user and assistant to alternate. */
static void
append_message (JsonArray  *messages,
                const char *role,
                JsonArray  *blocks)
{
  guint n = json_array_get_length (messages);
  JsonObject *last = n > 0 ? sy_json_array_get_object (messages, n - 1) : NULL;
  JsonObject *message;

  if (json_array_get_length (blocks) == 0)
    {
      json_array_unref (blocks);
      return;
    }
  if (last != NULL && g_strcmp0 (sy_json_get_string (last, "role"), role) == 0)
    {
      JsonArray *content = sy_json_get_array (last, "content");

      for (guint i = 0; i < json_array_get_length (blocks); i++)
        json_array_add_element (content, json_node_copy (json_array_get_element (blocks, i)));
      json_array_unref (blocks);
      return;
    }

  message = json_object_new ();
  json_object_set_string_member (message, "role", role);
  json_object_set_array_member (message, "content", blocks);
  json_array_add_object_element (messages, message);
}

static gboolean
hub_messages_to_anthropic (JsonArray   *hub_messages,
                           GString     *system,
                           JsonArray   *messages,
                           GError     **error)
{
  for (guint i = 0; i < json_array_get_length (hub_messages); i++)
    {
      JsonObject *message = sy_json_array_get_object (hub_messages, i);
      const char *role = sy_json_get_string (message, "role");
      JsonNode *content = sy_json_member (message, "content");
      g_autoptr(JsonArray) blocks = json_array_new ();

      if (message == NULL || role == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].role: must be a string"), i);
          return FALSE;
        }

      if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
        {
          g_autofree char *text = sy_hub_content_text (content);

          if (text != NULL && *text != '\0')
            {
              if (system->len > 0)
                g_string_append (system, "\n\n");
              g_string_append (system, text);
            }
        }
      else if (g_str_equal (role, "user"))
        {
          if (!hub_content_to_blocks (content, i, blocks, error))
            return FALSE;
          append_message (messages, "user", g_steal_pointer (&blocks));
        }
      else if (g_str_equal (role, "assistant"))
        {
          JsonArray *calls = sy_json_get_array (message, "tool_calls");

          /* reasoning_content is dropped: Anthropic takes back only thinking
           * blocks it signed itself. */
          if (!hub_content_to_blocks (content, i, blocks, error))
            return FALSE;
          if (calls != NULL && !tool_calls_to_blocks (calls, i, blocks, error))
            return FALSE;
          append_message (messages, "assistant", g_steal_pointer (&blocks));
        }
      else if (g_str_equal (role, "tool"))
        {
          const char *id = sy_json_get_string (message, "tool_call_id");
          g_autofree char *text = sy_hub_content_text (content);
          JsonObject *block;

          if (id == NULL)
            {
              sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                      _("messages[%u].tool_call_id: must be a string"), i);
              return FALSE;
            }
          block = json_object_new ();
          json_object_set_string_member (block, "type", "tool_result");
          json_object_set_string_member (block, "tool_use_id", id);
          json_object_set_string_member (block, "content", text != NULL ? text : "");
          json_array_add_object_element (blocks, block);
          append_message (messages, "user", g_steal_pointer (&blocks));
        }
      else
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].role: \"%s\" is not supported by Anthropic"), i, role);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
hub_tools_to_anthropic (JsonObject  *hub,
                        JsonArray   *tools,
                        GError     **error)
{
  JsonArray *hub_tools = sy_json_get_array (hub, "tools");

  for (guint i = 0; hub_tools != NULL && i < json_array_get_length (hub_tools); i++)
    {
      JsonObject *tool = sy_json_array_get_object (hub_tools, i);
      const char *type = sy_json_get_string (tool, "type");
      JsonObject *function = sy_json_get_object (tool, "function");
      const char *name = sy_json_get_string (function, "name");
      const char *description = sy_json_get_string (function, "description");
      JsonObject *out;

      if (g_strcmp0 (type, "function") != 0)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u]: tool type \"%s\" is not supported by Anthropic"), i,
                                  type != NULL ? type : "");
          return FALSE;
        }
      if (name == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u].function.name: must be a string"), i);
          return FALSE;
        }
      out = json_object_new ();
      json_object_set_string_member (out, "name", name);
      if (description != NULL)
        json_object_set_string_member (out, "description", description);
      if (sy_json_get_object (function, "parameters") != NULL)
        sy_json_copy_member (function, "parameters", out, "input_schema");
      else
        json_object_set_object_member (out, "input_schema", empty_schema ());
      json_array_add_object_element (tools, out);
    }
  return TRUE;
}

/* The Anthropic tool_choice for the hub's, or NULL for none given. */
static JsonObject *
hub_tool_choice_to_anthropic (JsonObject  *hub,
                              GError     **error)
{
  JsonNode *node = sy_json_member (hub, "tool_choice");
  JsonObject *choice;
  const char *type = NULL;
  const char *name = NULL;

  if (sy_json_node_is_null (node))
    return NULL;
  if (sy_json_node_is_string (node))
    {
      const char *value = json_node_get_string (node);

      type = g_str_equal (value, "auto") ? "auto" :
             g_str_equal (value, "required") ? "any" :
             g_str_equal (value, "none") ? "none" : NULL;
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);

      name = sy_json_get_string (sy_json_get_object (object, "function"), "name");
      if (g_strcmp0 (sy_json_get_string (object, "type"), "function") == 0 && name != NULL)
        type = "tool";
    }
  if (type == NULL)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("tool_choice: must be \"auto\", \"required\", \"none\" or a function"));
      return NULL;
    }

  choice = json_object_new ();
  json_object_set_string_member (choice, "type", type);
  if (name != NULL)
    json_object_set_string_member (choice, "name", name);
  return choice;
}

/* TRUE when the last assistant message calls a tool: with thinking on,
 * Anthropic wants that turn to start with the signed thinking block it sent
 * ("a final assistant message must start with a thinking block"), and the hub
 * has none to give back; its documented way out is to leave thinking off. */
static gboolean
last_assistant_calls_tool (JsonArray *messages)
{
  for (guint i = json_array_get_length (messages); i > 0; i--)
    {
      JsonObject *message = sy_json_array_get_object (messages, i - 1);
      JsonArray *content;

      if (g_strcmp0 (sy_json_get_string (message, "role"), "assistant") != 0)
        continue;
      content = sy_json_get_array (message, "content");
      for (guint j = 0; content != NULL && j < json_array_get_length (content); j++)
        if (g_strcmp0 (sy_json_get_string (sy_json_array_get_object (content, j), "type"), "tool_use") == 0)
          return TRUE;
      return FALSE;
    }
  return FALSE;
}

static gint64
budget_for_effort (const char *effort)
{
  if (g_strcmp0 (effort, "low") == 0)
    return 1024;
  if (g_strcmp0 (effort, "medium") == 0)
    return 4096;
  if (g_strcmp0 (effort, "high") == 0)
    return 16384;
  return 0;
}

JsonObject *
sy_anthropic_request_from_hub (JsonObject  *hub,
                               gint64       default_max_tokens,
                               GError     **error)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) tool_choice = NULL;
  g_autoptr(GString) system = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonArray) tools = NULL;
  JsonArray *hub_messages, *messages;
  JsonObject *response_format;
  JsonNode *node;
  gint64 max_tokens, budget;
  const char *format_type;

  g_return_val_if_fail (hub != NULL, NULL);

  hub_messages = sy_json_get_array (hub, "messages");
  if (hub_messages == NULL)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("messages: required, must be an array"));
      return NULL;
    }
  if (sy_json_get_int (hub, "n", 1) > 1)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("n > 1 is not supported by Anthropic"));
      return NULL;
    }

  request = json_object_new ();
  system = g_string_new (NULL);
  messages = json_array_new ();
  tools = json_array_new ();
  json_object_set_array_member (request, "messages", messages);
  if (!hub_messages_to_anthropic (hub_messages, system, messages, error) ||
      !hub_tools_to_anthropic (hub, tools, error))
    return NULL;
  tool_choice = hub_tool_choice_to_anthropic (hub, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  response_format = sy_json_get_object (hub, "response_format");
  format_type = sy_json_get_string (response_format, "type");
  if (g_strcmp0 (format_type, "json_schema") == 0)
    {
      JsonObject *json_schema = sy_json_get_object (response_format, "json_schema");
      const char *description = sy_json_get_string (json_schema, "description");
      JsonObject *tool = json_object_new ();

      json_object_set_string_member (tool, "name", JSON_TOOL_NAME);
      json_object_set_string_member (tool, "description",
                                     description != NULL ? description
                                     : "Give the answer as this tool's input.");
      if (sy_json_get_object (json_schema, "schema") != NULL)
        sy_json_copy_member (json_schema, "schema", tool, "input_schema");
      else
        json_object_set_object_member (tool, "input_schema", empty_schema ());
      json_array_add_object_element (tools, tool);

      g_clear_pointer (&tool_choice, json_object_unref);
      tool_choice = json_object_new ();
      json_object_set_string_member (tool_choice, "type", "tool");
      json_object_set_string_member (tool_choice, "name", JSON_TOOL_NAME);
    }
  else if (g_strcmp0 (format_type, "json_object") == 0)
    {
      if (system->len > 0)
        g_string_append (system, "\n\n");
      g_string_append (system, "Answer with a single JSON object and nothing else.");
    }

  if (system->len > 0)
    json_object_set_string_member (request, "system", system->str);

  if (json_array_get_length (tools) > 0)
    {
      json_object_set_array_member (request, "tools", g_steal_pointer (&tools));
      if (!sy_json_get_bool (hub, "parallel_tool_calls", TRUE))
        {
          if (tool_choice == NULL)
            {
              tool_choice = json_object_new ();
              json_object_set_string_member (tool_choice, "type", "auto");
            }
          if (!g_str_equal (sy_json_get_string (tool_choice, "type"), "none"))
            json_object_set_boolean_member (tool_choice, "disable_parallel_tool_use", TRUE);
        }
      if (tool_choice != NULL)
        json_object_set_object_member (request, "tool_choice", g_steal_pointer (&tool_choice));
    }
  /* else the tool_choice goes too: Anthropic refuses one without tools. */

  node = sy_json_member (hub, "stop");
  if (sy_json_node_is_string (node))
    {
      JsonArray *stops = json_array_new ();

      json_array_add_string_element (stops, json_node_get_string (node));
      json_object_set_array_member (request, "stop_sequences", stops);
    }
  else if (node != NULL && JSON_NODE_HOLDS_ARRAY (node) && json_array_get_length (json_node_get_array (node)) > 0)
    {
      JsonArray *hub_stops = json_node_get_array (node);
      JsonArray *stops = json_array_new ();

      for (guint i = 0; i < json_array_get_length (hub_stops); i++)
        if (sy_json_node_is_string (json_array_get_element (hub_stops, i)))
          json_array_add_string_element (stops, json_array_get_string_element (hub_stops, i));
      json_object_set_array_member (request, "stop_sequences", stops);
    }

  max_tokens = sy_json_get_int (hub, "max_completion_tokens", 0);
  if (max_tokens <= 0)
    max_tokens = sy_json_get_int (hub, "max_tokens", 0);
  if (max_tokens <= 0)
    max_tokens = default_max_tokens > 0 ? default_max_tokens : FALLBACK_MAX_TOKENS;

  budget = budget_for_effort (sy_json_get_string (hub, "reasoning_effort"));
  /* Anthropic refuses thinking together with a forced tool call. */
  {
    JsonObject *forced = sy_json_get_object (request, "tool_choice");
    const char *forced_type = sy_json_get_string (forced, "type");

    if (g_strcmp0 (forced_type, "any") == 0 || g_strcmp0 (forced_type, "tool") == 0)
      budget = 0;
  }
  if (budget > 0 && last_assistant_calls_tool (messages))
    budget = 0;
  if (budget > 0)
    {
      JsonObject *thinking = json_object_new ();

      json_object_set_string_member (thinking, "type", "enabled");
      json_object_set_int_member (thinking, "budget_tokens", budget);
      json_object_set_object_member (request, "thinking", thinking);
      /* budget_tokens must be below max_tokens; the answer keeps its own room. */
      if (max_tokens <= budget)
        max_tokens += budget;
    }
  else
    {
      /* Anthropic's range is [0, 1], OpenAI's [0, 2]. */
      if (sy_json_node_is_number (sy_json_member (hub, "temperature")))
        json_object_set_double_member (request, "temperature",
                                       CLAMP (sy_json_get_double (hub, "temperature", 1.0), 0.0, 1.0));
      if (sy_json_node_is_number (sy_json_member (hub, "top_p")))
        sy_json_copy_member (hub, "top_p", request, "top_p");
    }
  json_object_set_int_member (request, "max_tokens", max_tokens);

  if (sy_json_get_string (hub, "user") != NULL)
    {
      JsonObject *metadata = json_object_new ();

      json_object_set_string_member (metadata, "user_id", sy_json_get_string (hub, "user"));
      json_object_set_object_member (request, "metadata", metadata);
    }

  return g_steal_pointer (&request);
}

/* --------------------------------------- upstream side: message → hub */

JsonObject *
sy_anthropic_response_to_hub (JsonObject  *message,
                              GError     **error)
{
  g_autoptr(GString) text = NULL;
  g_autoptr(GString) reasoning = NULL;
  g_autoptr(JsonArray) tool_calls = NULL;
  JsonObject *completion, *choice, *hub_message;
  JsonArray *content, *choices;
  const char *finish;
  gboolean json_answer = FALSE;
  SyUsage usage;

  g_return_val_if_fail (message != NULL, NULL);

  if (g_strcmp0 (sy_json_get_string (message, "type"), "message") != 0)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM,
                           _("The upstream answer is not an Anthropic message."));
      return NULL;
    }

  text = g_string_new (NULL);
  reasoning = g_string_new (NULL);
  tool_calls = json_array_new ();
  content = sy_json_get_array (message, "content");
  for (guint i = 0; content != NULL && i < json_array_get_length (content); i++)
    {
      JsonObject *block = sy_json_array_get_object (content, i);
      const char *type = sy_json_get_string (block, "type");

      if (g_strcmp0 (type, "text") == 0 && sy_json_get_string (block, "text") != NULL)
        g_string_append (text, sy_json_get_string (block, "text"));
      else if (g_strcmp0 (type, "thinking") == 0 && sy_json_get_string (block, "thinking") != NULL)
        g_string_append (reasoning, sy_json_get_string (block, "thinking"));
      else if (g_strcmp0 (type, "tool_use") == 0)
        {
          const char *name = sy_json_get_string (block, "name");
          JsonNode *input = sy_json_member (block, "input");
          g_autofree char *arguments = input != NULL ? sy_json_to_string (input) : g_strdup ("{}");
          g_autofree char *id = g_strdup (sy_json_get_string (block, "id"));

          if (g_strcmp0 (name, JSON_TOOL_NAME) == 0)
            {
              g_string_append (text, arguments);
              json_answer = TRUE;
              continue;
            }
          if (id == NULL)
            id = sy_translate_new_id ("toolu_");
          json_array_add_object_element (tool_calls, hub_tool_call (id, name != NULL ? name : "", arguments));
        }
      /* redacted_thinking and server tool blocks have no hub form. */
    }

  completion = json_object_new ();
  {
    const char *id = sy_json_get_string (message, "id");

    if (id != NULL)
      json_object_set_string_member (completion, "id", id);
    else
      set_new_id (completion, "msg_");
  }
  json_object_set_string_member (completion, "object", "chat.completion");
  json_object_set_int_member (completion, "created", now_seconds ());
  json_object_set_string_member (completion, "model",
                                 sy_json_get_string (message, "model") != NULL
                                 ? sy_json_get_string (message, "model") : "");

  hub_message = json_object_new ();
  json_object_set_string_member (hub_message, "role", "assistant");
  if (text->len == 0 && json_array_get_length (tool_calls) > 0)
    json_object_set_null_member (hub_message, "content");
  else
    json_object_set_string_member (hub_message, "content", text->str);
  if (reasoning->len > 0)
    json_object_set_string_member (hub_message, "reasoning_content", reasoning->str);
  if (json_array_get_length (tool_calls) > 0)
    json_object_set_array_member (hub_message, "tool_calls", json_array_ref (tool_calls));

  finish = stop_reason_to_finish (sy_json_get_string (message, "stop_reason"));
  if (json_answer && json_array_get_length (tool_calls) == 0)
    finish = "stop";

  choice = json_object_new ();
  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "message", hub_message);
  json_object_set_null_member (choice, "logprobs");
  json_object_set_string_member (choice, "finish_reason", finish);
  choices = json_array_new ();
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (completion, "choices", choices);

  sy_anthropic_usage_read (sy_json_get_object (message, "usage"), &usage);
  json_object_set_object_member (completion, "usage", sy_hub_usage_new (&usage));
  return completion;
}

/* --------------------------------------- upstream side: events → chunks */

typedef struct {
  BlockKind kind;
  guint     tool;       /* BLOCK_TOOL: the hub tool call index */
  gboolean  stopped;
} DecoderBlock;

typedef struct {
  SyStreamDecoder  parent;

  /* owned */
  char            *id;
  char            *model;
  char            *stop_reason;
  JsonObject      *usage;       /* Anthropic usage, message_delta's over message_start's */
  GHashTable      *blocks;      /* block index → DecoderBlock */

  /* state */
  gint64           created;
  gboolean         started;
  gboolean         json_answer;
  guint            n_tools;
} AnthropicDecoder;

static gboolean decoder_malformed (guint      *status,
                                   GError    **error,
                                   const char *format,
                                   ...) G_GNUC_PRINTF (3, 4);

static gboolean
decoder_malformed (guint      *status,
                   GError    **error,
                   const char *format,
                   ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (status != NULL)
    *status = 502;
  g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM, message);
  return FALSE;
}

static JsonObject *
decoder_chunk (AnthropicDecoder *self)
{
  return sy_hub_chunk_new (self->id, self->model, self->created);
}

static void
decoder_add_string (AnthropicDecoder *self,
                    const char       *field,
                    const char       *value,
                    GPtrArray        *chunks)
{
  JsonObject *chunk;

  if (value == NULL || *value == '\0')
    return;
  chunk = decoder_chunk (self);
  json_object_set_string_member (sy_hub_chunk_delta (chunk), field, value);
  g_ptr_array_add (chunks, chunk);
}

static void
decoder_add_tool (AnthropicDecoder *self,
                  guint             tool,
                  const char       *id,
                  const char       *name,
                  const char       *arguments,
                  GPtrArray        *chunks)
{
  JsonObject *chunk = decoder_chunk (self);
  JsonArray *calls = json_array_new ();
  JsonObject *call = json_object_new ();
  JsonObject *function = json_object_new ();

  json_object_set_int_member (call, "index", tool);
  if (id != NULL)
    {
      json_object_set_string_member (call, "id", id);
      json_object_set_string_member (call, "type", "function");
    }
  if (name != NULL)
    json_object_set_string_member (function, "name", name);
  json_object_set_string_member (function, "arguments", arguments);
  json_object_set_object_member (call, "function", function);
  json_array_add_object_element (calls, call);
  json_object_set_array_member (sy_hub_chunk_delta (chunk), "tool_calls", calls);
  g_ptr_array_add (chunks, chunk);
}

/* Replaces usage members with @update's numbers (message_delta's are cumulative). */
static void
decoder_merge_usage (AnthropicDecoder *self,
                     JsonObject       *update)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (update == NULL)
    return;
  json_object_iter_init (&iter, update);
  while (json_object_iter_next (&iter, &name, &value))
    if (sy_json_node_is_number (value))
      json_object_set_member (self->usage, name, json_node_copy (value));
}

static gboolean
decoder_message_start (AnthropicDecoder  *self,
                       JsonObject        *event,
                       GPtrArray         *chunks,
                       guint             *status,
                       GError           **error)
{
  JsonObject *message = sy_json_get_object (event, "message");
  const char *model = sy_json_get_string (message, "model");
  JsonObject *chunk, *delta;

  if (self->started)
    return decoder_malformed (status, error, _("Upstream stream: a second message_start event."));
  if (message == NULL)
    return decoder_malformed (status, error, _("Upstream stream: message_start without a message."));

  self->started = TRUE;
  if (sy_json_get_string (message, "id") != NULL)
    {
      g_free (self->id);
      self->id = g_strdup (sy_json_get_string (message, "id"));
    }
  if (model != NULL && *model != '\0')
    {
      g_free (self->model);
      self->model = g_strdup (model);
    }
  decoder_merge_usage (self, sy_json_get_object (message, "usage"));

  chunk = decoder_chunk (self);
  delta = sy_hub_chunk_delta (chunk);
  json_object_set_string_member (delta, "role", "assistant");
  json_object_set_string_member (delta, "content", "");
  g_ptr_array_add (chunks, chunk);
  return TRUE;
}

static gboolean
decoder_block_index (JsonObject  *event,
                     const char  *type,
                     guint       *index,
                     guint       *status,
                     GError     **error)
{
  JsonNode *node = sy_json_member (event, "index");
  gint64 value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (value = json_node_get_int (node)) < 0 || value > G_MAXINT)
    return decoder_malformed (status, error, _("Upstream stream: %s without a valid index."), type);
  *index = (guint) value;
  return TRUE;
}

/* The state of the block @event (of @type) names, or NULL with @error when the
 * index is invalid or the block never started. */
static DecoderBlock *
decoder_started_block (AnthropicDecoder  *self,
                       JsonObject        *event,
                       const char        *type,
                       guint             *index,
                       guint             *status,
                       GError           **error)
{
  DecoderBlock *state;

  if (!decoder_block_index (event, type, index, status, error))
    return NULL;
  state = g_hash_table_lookup (self->blocks, GUINT_TO_POINTER (*index));
  if (state == NULL)
    decoder_malformed (status, error, _("Upstream stream: %s for block %u, which never started."), type, *index);
  return state;
}

static gboolean
decoder_block_start (AnthropicDecoder  *self,
                     JsonObject        *event,
                     GPtrArray         *chunks,
                     guint             *status,
                     GError           **error)
{
  JsonObject *block = sy_json_get_object (event, "content_block");
  const char *type = sy_json_get_string (block, "type");
  DecoderBlock *state;
  guint index = 0;

  if (!decoder_block_index (event, "content_block_start", &index, status, error))
    return FALSE;
  if (block == NULL || type == NULL)
    return decoder_malformed (status, error, _("Upstream stream: content_block_start without a content block."));
  if (g_hash_table_contains (self->blocks, GUINT_TO_POINTER (index)))
    return decoder_malformed (status, error, _("Upstream stream: content block %u started twice."), index);

  state = g_new0 (DecoderBlock, 1);
  g_hash_table_insert (self->blocks, GUINT_TO_POINTER (index), state);

  if (g_str_equal (type, "text"))
    {
      state->kind = BLOCK_TEXT;
      decoder_add_string (self, "content", sy_json_get_string (block, "text"), chunks);
    }
  else if (g_str_equal (type, "thinking"))
    {
      state->kind = BLOCK_THINKING;
      decoder_add_string (self, "reasoning_content", sy_json_get_string (block, "thinking"), chunks);
    }
  else if (g_str_equal (type, "tool_use"))
    {
      const char *name = sy_json_get_string (block, "name");
      JsonObject *input = sy_json_get_object (block, "input");
      g_autofree char *arguments = NULL;
      g_autofree char *id = g_strdup (sy_json_get_string (block, "id"));

      /* Streams start with "input": {} and send it in fragments; a non-empty
       * input here is the whole of it. */
      if (input != NULL && json_object_get_size (input) > 0)
        arguments = sy_json_object_to_string (input);

      if (g_strcmp0 (name, JSON_TOOL_NAME) == 0)
        {
          state->kind = BLOCK_JSON;
          self->json_answer = TRUE;
          decoder_add_string (self, "content", arguments, chunks);
          return TRUE;
        }
      state->kind = BLOCK_TOOL;
      state->tool = self->n_tools++;
      if (id == NULL)
        id = sy_translate_new_id ("toolu_");
      decoder_add_tool (self, state->tool, id, name != NULL ? name : "",
                        arguments != NULL ? arguments : "", chunks);
    }
  else
    state->kind = BLOCK_OTHER;
  return TRUE;
}

static gboolean
decoder_block_delta (AnthropicDecoder  *self,
                     JsonObject        *event,
                     GPtrArray         *chunks,
                     guint             *status,
                     GError           **error)
{
  JsonObject *delta = sy_json_get_object (event, "delta");
  const char *type = sy_json_get_string (delta, "type");
  DecoderBlock *state;
  guint index = 0;

  if ((state = decoder_started_block (self, event, "content_block_delta", &index, status, error)) == NULL)
    return FALSE;
  if (state->stopped)
    return decoder_malformed (status, error,
                              _("Upstream stream: content_block_delta for block %u after its end."), index);
  if (type == NULL)
    return decoder_malformed (status, error, _("Upstream stream: content_block_delta without a delta type."));

  if (g_str_equal (type, "text_delta"))
    decoder_add_string (self, "content", sy_json_get_string (delta, "text"), chunks);
  else if (g_str_equal (type, "thinking_delta"))
    decoder_add_string (self, "reasoning_content", sy_json_get_string (delta, "thinking"), chunks);
  else if (g_str_equal (type, "input_json_delta"))
    {
      const char *partial = sy_json_get_string (delta, "partial_json");

      if (partial == NULL || *partial == '\0')
        return TRUE;
      if (state->kind == BLOCK_JSON)
        decoder_add_string (self, "content", partial, chunks);
      else if (state->kind == BLOCK_TOOL)
        decoder_add_tool (self, state->tool, NULL, NULL, partial, chunks);
      else
        return decoder_malformed (status, error,
                                  _("Upstream stream: input_json_delta for block %u, which is not a tool call."),
                                  index);
    }
  /* signature_delta, citations_delta and newer kinds carry nothing for the hub. */
  return TRUE;
}

static gboolean
decoder_feed (SyStreamDecoder  *decoder,
              const char       *event_name,
              const char       *data,
              GPtrArray        *chunks,
              guint            *status,
              GError          **error)
{
  AnthropicDecoder *self = (AnthropicDecoder *) decoder;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *event;
  const char *type;

  if (self->parent.done)
    return TRUE;
  if (data == NULL || (root = sy_json_parse (data, strlen (data), NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return decoder_malformed (status, error, _("Upstream stream: an event that is not a JSON object."));

  event = json_node_get_object (root);
  type = sy_json_get_string (event, "type");
  if (type == NULL)
    type = event_name;
  if (type == NULL)
    return decoder_malformed (status, error, _("Upstream stream: an event without a type."));

  if (g_str_equal (type, "ping"))
    return TRUE;

  if (g_str_equal (type, "error"))
    {
      JsonObject *upstream = sy_json_get_object (event, "error");
      const char *error_type = sy_json_get_string (upstream, "type");
      const char *message = sy_json_get_string (upstream, "message");

      if (status != NULL)
        *status = g_strcmp0 (error_type, "overloaded_error") == 0 ? 529
                : g_strcmp0 (error_type, "rate_limit_error") == 0 ? 429 : 500;
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM,
                           message != NULL ? message : _("The upstream reported an error."));
      return FALSE;
    }

  if (g_str_equal (type, "message_start"))
    return decoder_message_start (self, event, chunks, status, error);

  if (!g_str_equal (type, "content_block_start") && !g_str_equal (type, "content_block_delta") &&
      !g_str_equal (type, "content_block_stop") && !g_str_equal (type, "message_delta") &&
      !g_str_equal (type, "message_stop"))
    return TRUE;  /* Anthropic documents that new event types may appear. */

  if (!self->started)
    return decoder_malformed (status, error, _("Upstream stream: %s before message_start."), type);

  if (g_str_equal (type, "content_block_start"))
    return decoder_block_start (self, event, chunks, status, error);
  if (g_str_equal (type, "content_block_delta"))
    return decoder_block_delta (self, event, chunks, status, error);
  if (g_str_equal (type, "content_block_stop"))
    {
      DecoderBlock *state;
      guint index = 0;

      if ((state = decoder_started_block (self, event, type, &index, status, error)) == NULL)
        return FALSE;
      state->stopped = TRUE;
      return TRUE;
    }
  if (g_str_equal (type, "message_delta"))
    {
      const char *stop_reason = sy_json_get_string (sy_json_get_object (event, "delta"), "stop_reason");

      if (stop_reason != NULL)
        {
          g_free (self->stop_reason);
          self->stop_reason = g_strdup (stop_reason);
        }
      decoder_merge_usage (self, sy_json_get_object (event, "usage"));
      return TRUE;
    }

  /* message_stop */
  {
    JsonObject *chunk = decoder_chunk (self);
    const char *finish = stop_reason_to_finish (self->stop_reason);
    SyUsage usage;

    if (self->json_answer && self->n_tools == 0)
      finish = "stop";
    sy_hub_chunk_set_finish (chunk, finish);
    g_ptr_array_add (chunks, chunk);
    sy_anthropic_usage_read (self->usage, &usage);
    g_ptr_array_add (chunks, sy_hub_usage_chunk_new (self->id, self->model, self->created, &usage));
    self->parent.done = TRUE;
  }
  return TRUE;
}

static void
decoder_free (SyStreamDecoder *decoder)
{
  AnthropicDecoder *self = (AnthropicDecoder *) decoder;

  g_free (self->id);
  g_free (self->model);
  g_free (self->stop_reason);
  json_object_unref (self->usage);
  g_hash_table_unref (self->blocks);
  g_free (self);
}

SyStreamDecoder *
sy_anthropic_decoder_new (const char *model)
{
  AnthropicDecoder *self = g_new0 (AnthropicDecoder, 1);

  self->parent.feed = decoder_feed;
  self->parent.free = decoder_free;
  self->model = g_strdup (model != NULL ? model : "");
  self->id = sy_translate_new_id ("msg_");
  self->created = now_seconds ();
  self->usage = json_object_new ();
  self->blocks = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return &self->parent;
}

/* ------------------------------------------------------------------ adapter */

SoupMessage *
sy_provider_anthropic_build (const SyProvider *provider,
                             const char       *model,
                             JsonObject       *request,
                             gboolean          stream,
                             gint64            default_max_tokens,
                             const char       *key)
{
  g_autoptr(JsonObject) object = NULL;
  g_autofree char *url = NULL;
  SoupMessage *msg;
  SoupMessageHeaders *headers;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  g_return_val_if_fail (provider != NULL && provider->base_url != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);

  url = g_strconcat (provider->base_url, "/messages", NULL);
  if (!g_uri_is_valid (url, G_URI_FLAGS_NONE, NULL))
    return NULL;
  msg = soup_message_new (SOUP_METHOD_POST, url);
  if (msg == NULL)
    return NULL;

  /* A new top-level object: the client's request stays as it is for the next
   * attempt. */
  object = json_object_new ();
  json_object_set_string_member (object, "model", model != NULL ? model : "");
  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "model") && !g_str_equal (name, "stream") &&
        !sy_translate_member_is_dropped (name))
      json_object_set_member (object, name, json_node_copy (value));
  if (stream)
    json_object_set_boolean_member (object, "stream", TRUE);
  if (!sy_json_node_is_number (sy_json_member (object, "max_tokens")))
    json_object_set_int_member (object, "max_tokens",
                                default_max_tokens > 0 ? default_max_tokens : FALLBACK_MAX_TOKENS);

  headers = soup_message_get_request_headers (msg);
  if (key != NULL && *key != '\0')
    soup_message_headers_replace (headers, "x-api-key", key);
  soup_message_headers_replace (headers, "anthropic-version", ANTHROPIC_VERSION);
  sy_translate_set_json_body (msg, object, stream);
  return msg;
}
