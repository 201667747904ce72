/* sy-gemini.c — the Gemini generateContent wire format: requests, answers, streams.
 * Upstream side only: hub requests go out as GenerateContentRequest, answers and
 * streamGenerateContent?alt=sse chunks come back as hub completions and chunks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gemini"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "sy-json.h"
#include "sy-translate.h"

/* The Schema keywords Gemini's OpenAPI subset takes; anything else (additionalProperties,
 * $schema, $id, strict, default, examples, title, …) makes it answer 400. */
static const char * const schema_keywords[] = {
  "type", "format", "description", "nullable", "enum", "required", "minimum",
  "maximum", "minItems", "maxItems", "minLength", "maxLength", "pattern",
  "minProperties", "maxProperties", "propertyOrdering", NULL,
};

/* json_node_copy () shares objects and arrays; translations return their own. */
static JsonNode *
node_deep_copy (JsonNode *node)
{
  JsonNode *copy;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *to = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &value))
        json_object_set_member (to, name, node_deep_copy (value));
      copy = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (copy, to);
      return copy;
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *from = json_node_get_array (node);
      JsonArray *to = json_array_sized_new (json_array_get_length (from));

      for (guint i = 0; i < json_array_get_length (from); i++)
        json_array_add_element (to, node_deep_copy (json_array_get_element (from, i)));
      copy = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (copy, to);
      return copy;
    }
  return json_node_copy (node);
}

static JsonNode *
object_node_take (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

/* ------------------------------------------------------------ JSON schemas */

static JsonNode *clean_schema (JsonNode *schema);

/* A map of name → schema ("properties", "$defs"), each schema cleaned. */
static JsonObject *
clean_schema_map (JsonObject *map)
{
  JsonObject *out = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, map);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (out, name, clean_schema (value));
  return out;
}

static JsonArray *
clean_schema_list (JsonArray *list)
{
  JsonArray *out = json_array_sized_new (json_array_get_length (list));

  for (guint i = 0; i < json_array_get_length (list); i++)
    json_array_add_element (out, clean_schema (json_array_get_element (list, i)));
  return out;
}

/* JSON Schema's "type": ["string", "null"] is OpenAPI's type + nullable; several
 * non-null types become an anyOf. */
static void
clean_type_list (JsonArray  *types,
                 JsonObject *out,
                 gboolean    has_any_of)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  gboolean nullable = FALSE;

  for (guint i = 0; i < json_array_get_length (types); i++)
    {
      JsonNode *node = json_array_get_element (types, i);
      const char *name;

      if (!sy_json_node_is_string (node))
        continue;
      name = json_node_get_string (node);
      if (g_str_equal (name, "null"))
        nullable = TRUE;
      else
        g_ptr_array_add (names, (gpointer) name);
    }

  if (names->len == 1)
    json_object_set_string_member (out, "type", g_ptr_array_index (names, 0));
  else if (names->len > 1 && !has_any_of)
    {
      JsonArray *any_of = json_array_new ();

      for (guint i = 0; i < names->len; i++)
        {
          JsonObject *alternative = json_object_new ();

          json_object_set_string_member (alternative, "type", g_ptr_array_index (names, i));
          json_array_add_object_element (any_of, alternative);
        }
      json_object_set_array_member (out, "anyOf", any_of);
    }
  if (nullable)
    json_object_set_boolean_member (out, "nullable", TRUE);
}

/* Gemini's Schema.enum is a list of strings ({type: INTEGER, format: enum,
 * enum: ["101", "201"]} in its reference): numbers and booleans go as their
 * text, a null as "nullable" instead. */
static void
clean_enum_value (JsonNode   *value,
                  JsonArray  *values,
                  JsonObject *out)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (JSON_NODE_HOLDS_NULL (value))
    json_object_set_boolean_member (out, "nullable", TRUE);
  else if (!JSON_NODE_HOLDS_VALUE (value))
    return;
  else if (json_node_get_value_type (value) == G_TYPE_STRING)
    json_array_add_string_element (values, json_node_get_string (value));
  else if (json_node_get_value_type (value) == G_TYPE_INT64)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
      json_array_add_string_element (values, text);
    }
  else if (json_node_get_value_type (value) == G_TYPE_DOUBLE)
    json_array_add_string_element (values, g_ascii_formatd (buffer, sizeof buffer, "%.15g",
                                                            json_node_get_double (value)));
  else if (json_node_get_value_type (value) == G_TYPE_BOOLEAN)
    json_array_add_string_element (values, json_node_get_boolean (value) ? "true" : "false");
}

/* A copy of @schema holding only what Gemini's Schema accepts, recursively. "$ref"
 * is left as it is (not resolved), with the "$defs"/"definitions" it points into. */
static JsonNode *
clean_schema (JsonNode *schema)
{
  JsonObject *object;
  JsonObject *out;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean has_any_of;

  if (!JSON_NODE_HOLDS_OBJECT (schema))
    return node_deep_copy (schema);

  object = json_node_get_object (schema);
  out = json_object_new ();
  has_any_of = json_object_has_member (object, "anyOf");

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      gboolean holds_object = JSON_NODE_HOLDS_OBJECT (value);
      gboolean holds_array = JSON_NODE_HOLDS_ARRAY (value);

      if (g_str_equal (name, "type") && holds_array)
        clean_type_list (json_node_get_array (value), out, has_any_of);
      else if ((g_str_equal (name, "properties") || g_str_equal (name, "$defs") ||
                g_str_equal (name, "definitions")) && holds_object)
        json_object_set_object_member (out, name, clean_schema_map (json_node_get_object (value)));
      else if (g_str_equal (name, "items") && holds_object)
        json_object_set_member (out, name, clean_schema (value));
      else if (g_str_equal (name, "anyOf") && holds_array)
        json_object_set_array_member (out, name, clean_schema_list (json_node_get_array (value)));
      /* OpenAPI 3.0's subset has no oneOf; anyOf is the nearest it accepts. */
      else if (g_str_equal (name, "oneOf") && holds_array && !has_any_of)
        json_object_set_array_member (out, "anyOf", clean_schema_list (json_node_get_array (value)));
      else if ((g_str_equal (name, "enum") && holds_array) ||
               (g_str_equal (name, "const") && !json_object_has_member (object, "enum")))
        {
          JsonArray *values = json_array_new ();

          if (holds_array)
            for (guint i = 0; i < json_array_get_length (json_node_get_array (value)); i++)
              clean_enum_value (json_array_get_element (json_node_get_array (value), i), values, out);
          else
            clean_enum_value (value, values, out);
          if (json_array_get_length (values) > 0)
            json_object_set_array_member (out, "enum", values);
          else
            json_array_unref (values);
        }
      else if (g_str_equal (name, "$ref") ||
               g_strv_contains (schema_keywords, name))
        json_object_set_member (out, name, node_deep_copy (value));
    }

  return object_node_take (out);
}

/* ---------------------------------------------------- hub request → Gemini */

typedef struct {
  JsonArray  *contents;      /* owned */
  JsonArray  *system_parts;  /* owned */
  GHashTable *call_names;    /* tool_call_id → function name */
  JsonObject *last_turn;     /* in contents */
} RequestBuilder;

/* Appends @part (taken) to the last turn when it has @role, else to a new turn:
 * Gemini wants user and model turns to alternate. */
static void
add_part (RequestBuilder *builder,
          const char     *role,
          JsonObject     *part)
{
  if (builder->last_turn == NULL ||
      g_strcmp0 (sy_json_get_string (builder->last_turn, "role"), role) != 0)
    {
      JsonObject *turn = json_object_new ();

      json_object_set_string_member (turn, "role", role);
      json_object_set_array_member (turn, "parts", json_array_new ());
      json_array_add_object_element (builder->contents, turn);
      builder->last_turn = turn;
    }
  json_array_add_object_element (sy_json_get_array (builder->last_turn, "parts"), part);
}

static JsonObject *
text_part_new (const char *text)
{
  JsonObject *part = json_object_new ();

  json_object_set_string_member (part, "text", text);
  return part;
}

static JsonObject *
inline_data_part_new (const char *mime_type,
                      const char *data)
{
  JsonObject *part = json_object_new ();
  JsonObject *inline_data = json_object_new ();

  json_object_set_string_member (inline_data, "mimeType", mime_type);
  json_object_set_string_member (inline_data, "data", data);
  json_object_set_object_member (part, "inlineData", inline_data);
  return part;
}

/* The media type of a URL's file, by its extension; Gemini needs one for fileData. */
static const char *
mime_type_for_url (const char *url)
{
  static const struct { const char *extension; const char *mime_type; } types[] = {
    { "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
    { "gif", "image/gif" }, { "webp", "image/webp" }, { "heic", "image/heic" },
    { "heif", "image/heif" }, { "pdf", "application/pdf" }, { "mp3", "audio/mp3" },
    { "wav", "audio/wav" }, { "mp4", "video/mp4" },
  };
  g_autofree char *path = g_strndup (url, strcspn (url, "?#"));
  const char *slash = strrchr (path, '/');
  const char *dot = strrchr (slash != NULL ? slash : path, '.');

  if (dot != NULL)
    for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
      if (g_ascii_strcasecmp (dot + 1, types[i].extension) == 0)
        return types[i].mime_type;
  return "image/jpeg";
}

static JsonObject *
image_part_new (const char  *url,
                guint        message,
                guint        index,
                GError     **error)
{
  g_autofree char *media_type = NULL;
  g_autofree char *data = NULL;

  if (url != NULL && sy_data_url_split (url, &media_type, &data))
    return inline_data_part_new (*media_type != '\0' ? media_type : "image/jpeg", data);

  if (url != NULL && (g_ascii_strncasecmp (url, "https://", 8) == 0 ||
                      g_ascii_strncasecmp (url, "http://", 7) == 0))
    {
      JsonObject *part = json_object_new ();
      JsonObject *file_data = json_object_new ();

      json_object_set_string_member (file_data, "mimeType", mime_type_for_url (url));
      json_object_set_string_member (file_data, "fileUri", url);
      json_object_set_object_member (part, "fileData", file_data);
      return part;
    }

  sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                          _("messages[%u].content[%u].image_url: the URL must be a base64 data URL or an http(s) URL"),
                          message, index);
  return NULL;
}

/* One element of a content array as a Gemini part; NULL with @error when it
 * cannot be sent, NULL without when it is empty text. */
static JsonObject *
content_part_new (JsonObject  *element,
                  gboolean     allow_media,
                  guint        message,
                  guint        index,
                  GError     **error)
{
  const char *type = sy_json_get_string (element, "type");

  if (g_strcmp0 (type, "text") == 0 || g_strcmp0 (type, "refusal") == 0)
    {
      const char *text = sy_json_get_string (element, type);

      if (text == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].content[%u].%s: must be a string"), message, index, type);
          return NULL;
        }
      return *text != '\0' ? text_part_new (text) : NULL;
    }

  if (allow_media && g_strcmp0 (type, "image_url") == 0)
    {
      JsonObject *image_url = sy_json_get_object (element, "image_url");
      const char *url = image_url != NULL ? sy_json_get_string (image_url, "url")
                                          : sy_json_get_string (element, "image_url");

      return image_part_new (url, message, index, error);
    }

  if (allow_media && g_strcmp0 (type, "input_audio") == 0)
    {
      JsonObject *audio = sy_json_get_object (element, "input_audio");
      const char *data = sy_json_get_string (audio, "data");
      const char *format = sy_json_get_string (audio, "format");

      if (data != NULL && format != NULL)
        {
          g_autofree char *mime_type = g_strconcat ("audio/", format, NULL);
          return inline_data_part_new (mime_type, data);
        }
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].content[%u].input_audio: data and format are required"),
                              message, index);
      return NULL;
    }

  if (allow_media && g_strcmp0 (type, "file") == 0)
    {
      JsonObject *file = sy_json_get_object (element, "file");
      g_autofree char *media_type = NULL;
      g_autofree char *data = NULL;

      if (sy_data_url_split (sy_json_get_string (file, "file_data"), &media_type, &data))
        return inline_data_part_new (*media_type != '\0' ? media_type : "application/pdf", data);
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].content[%u].file: only inline file_data (a base64 data URL) can be sent to Gemini"),
                              message, index);
      return NULL;
    }

  sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                          _("messages[%u].content[%u].type: \"%s\" is not supported here"),
                          message, index, type != NULL ? type : "");
  return NULL;
}

static gboolean
add_content (RequestBuilder  *builder,
             const char      *role,
             JsonNode        *content,
             guint            message,
             GError         **error)
{
  JsonArray *elements;

  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return TRUE;

  if (sy_json_node_is_string (content))
    {
      const char *text = json_node_get_string (content);

      if (*text != '\0')
        add_part (builder, role, text_part_new (text));
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_ARRAY (content))
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].content: must be a string or an array of parts"), message);
      return FALSE;
    }

  elements = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (elements); i++)
    {
      JsonNode *node = json_array_get_element (elements, i);
      g_autoptr(GError) local_error = NULL;
      JsonObject *part;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].content[%u]: must be an object"), message, i);
          return FALSE;
        }
      part = content_part_new (json_node_get_object (node), g_str_equal (role, "user"),
                               message, i, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (part != NULL)
        add_part (builder, role, part);
    }
  return TRUE;
}

/* A tool call's "arguments" (a JSON text, or an object from lenient clients) as
 * the object functionCall.args wants. */
static JsonNode *
call_args_parse (JsonObject  *function,
                 guint        message,
                 guint        index,
                 GError     **error)
{
  JsonNode *arguments = json_object_get_member (function, "arguments");
  g_autoptr(JsonNode) parsed = NULL;
  const char *text;

  if (arguments != NULL && JSON_NODE_HOLDS_OBJECT (arguments))
    return node_deep_copy (arguments);

  text = sy_json_get_string (function, "arguments");
  if (text == NULL || text[strspn (text, " \t\r\n")] == '\0')
    return object_node_take (json_object_new ());

  parsed = sy_json_parse (text, strlen (text), NULL);
  if (parsed == NULL)
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].tool_calls[%u].function.arguments: not valid JSON"),
                              message, index);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (parsed))
    {
      sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                              _("messages[%u].tool_calls[%u].function.arguments: must be a JSON object"),
                              message, index);
      return NULL;
    }
  return g_steal_pointer (&parsed);
}

static gboolean
add_tool_calls (RequestBuilder  *builder,
                JsonArray       *tool_calls,
                guint            message,
                GError         **error)
{
  for (guint i = 0; i < json_array_get_length (tool_calls); i++)
    {
      JsonObject *tool_call = sy_json_array_get_object (tool_calls, i);
      JsonObject *function = sy_json_get_object (tool_call, "function");
      const char *name = sy_json_get_string (function, "name");
      const char *id = sy_json_get_string (tool_call, "id");
      JsonObject *function_call;
      JsonObject *part;
      JsonNode *args;

      if (name == NULL || *name == '\0')
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].tool_calls[%u].function.name: a function name is required"),
                                  message, i);
          return FALSE;
        }
      args = call_args_parse (function, message, i, error);
      if (args == NULL)
        return FALSE;

      function_call = json_object_new ();
      json_object_set_string_member (function_call, "name", name);
      json_object_set_member (function_call, "args", args);
      part = json_object_new ();
      json_object_set_object_member (part, "functionCall", function_call);
      add_part (builder, "model", part);

      if (id != NULL)
        g_hash_table_replace (builder->call_names, g_strdup (id), g_strdup (name));
    }
  return TRUE;
}

/* A tool result as functionResponse: the content itself when it is a JSON object,
 * else wrapped as {"result": text} (Gemini's response is a Struct). */
static void
add_function_response (RequestBuilder *builder,
                       const char     *name,
                       JsonNode       *content)
{
  g_autofree char *text = sy_hub_content_text (content);
  g_autoptr(JsonNode) parsed = NULL;
  JsonObject *function_response = json_object_new ();
  JsonObject *part = json_object_new ();

  if (text != NULL)
    parsed = sy_json_parse (text, strlen (text), NULL);

  json_object_set_string_member (function_response, "name", name);
  if (parsed != NULL && JSON_NODE_HOLDS_OBJECT (parsed))
    json_object_set_member (function_response, "response", g_steal_pointer (&parsed));
  else
    {
      JsonObject *response = json_object_new ();

      json_object_set_string_member (response, "result", text != NULL ? text : "");
      json_object_set_object_member (function_response, "response", response);
    }
  json_object_set_object_member (part, "functionResponse", function_response);
  add_part (builder, "user", part);
}

static gboolean
add_message (RequestBuilder  *builder,
             JsonObject      *message,
             guint            index,
             GError         **error)
{
  const char *role = sy_json_get_string (message, "role");
  JsonNode *content = json_object_get_member (message, "content");

  if (g_strcmp0 (role, "system") == 0 || g_strcmp0 (role, "developer") == 0)
    {
      g_autofree char *text = sy_hub_content_text (content);

      if (text != NULL && *text != '\0')
        json_array_add_object_element (builder->system_parts, text_part_new (text));
      return TRUE;
    }

  if (g_strcmp0 (role, "user") == 0)
    return add_content (builder, "user", content, index, error);

  if (g_strcmp0 (role, "assistant") == 0)
    {
      JsonArray *tool_calls = sy_json_get_array (message, "tool_calls");

      /* reasoning_content is not sent back: Gemini keeps no such turn part. */
      if (!add_content (builder, "model", content, index, error))
        return FALSE;
      return tool_calls == NULL || add_tool_calls (builder, tool_calls, index, error);
    }

  if (g_strcmp0 (role, "tool") == 0)
    {
      const char *id = sy_json_get_string (message, "tool_call_id");
      const char *name = id != NULL ? g_hash_table_lookup (builder->call_names, id) : NULL;

      if (id == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].tool_call_id: a tool message needs the id of the call it answers"),
                                  index);
          return FALSE;
        }
      if (name == NULL)
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u].tool_call_id: no earlier assistant tool call has the id \"%s\""),
                                  index, id);
          return FALSE;
        }
      add_function_response (builder, name, content);
      return TRUE;
    }

  /* The deprecated "function" role names its function directly. */
  if (g_strcmp0 (role, "function") == 0 && sy_json_get_string (message, "name") != NULL)
    {
      add_function_response (builder, sy_json_get_string (message, "name"), content);
      return TRUE;
    }

  sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                          _("messages[%u].role: \"%s\" is not a known role"), index, role != NULL ? role : "");
  return FALSE;
}

static JsonArray *
tools_from_hub (JsonArray  *tools,
                GError    **error)
{
  g_autoptr(JsonArray) declarations = json_array_new ();
  JsonArray *out;
  JsonObject *tool_object;

  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = sy_json_array_get_object (tools, i);
      const char *type = sy_json_get_string (tool, "type");
      JsonObject *function = sy_json_get_object (tool, "function");
      const char *name = sy_json_get_string (function, "name");
      const char *description = sy_json_get_string (function, "description");
      JsonNode *parameters = function != NULL ? json_object_get_member (function, "parameters") : NULL;
      JsonObject *declaration;

      if (type != NULL && !g_str_equal (type, "function"))
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u].type: only function tools can be sent to Gemini"), i);
          return NULL;
        }
      if (name == NULL || *name == '\0')
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("tools[%u].function.name: a function name is required"), i);
          return NULL;
        }

      declaration = json_object_new ();
      json_object_set_string_member (declaration, "name", name);
      if (description != NULL)
        json_object_set_string_member (declaration, "description", description);
      if (parameters != NULL && JSON_NODE_HOLDS_OBJECT (parameters))
        {
          g_autoptr(JsonNode) cleaned = clean_schema (parameters);
          JsonObject *schema = json_node_get_object (cleaned);
          JsonObject *properties = sy_json_get_object (schema, "properties");

          /* Gemini refuses an OBJECT with no properties ("should be non-empty");
           * a function without parameters simply has none. */
          if (properties != NULL && json_object_get_size (properties) > 0)
            json_object_set_member (declaration, "parameters", g_steal_pointer (&cleaned));
          else if (properties == NULL && json_object_get_size (schema) > 0 &&
                   g_strcmp0 (sy_json_get_string (schema, "type"), "object") != 0)
            json_object_set_member (declaration, "parameters", g_steal_pointer (&cleaned));
        }
      json_array_add_object_element (declarations, declaration);
    }

  out = json_array_new ();
  tool_object = json_object_new ();
  json_object_set_array_member (tool_object, "functionDeclarations", g_steal_pointer (&declarations));
  json_array_add_object_element (out, tool_object);
  return out;
}

static JsonObject *
tool_config_from_hub (JsonNode  *choice,
                      GError   **error)
{
  JsonObject *config = json_object_new ();
  JsonObject *calling = json_object_new ();
  const char *mode = NULL;

  json_object_set_object_member (config, "functionCallingConfig", calling);

  if (sy_json_node_is_string (choice))
    {
      const char *value = json_node_get_string (choice);

      if (g_str_equal (value, "auto"))
        mode = "AUTO";
      else if (g_str_equal (value, "none"))
        mode = "NONE";
      else if (g_str_equal (value, "required"))
        mode = "ANY";
    }
  else if (JSON_NODE_HOLDS_OBJECT (choice))
    {
      JsonObject *function = sy_json_get_object (json_node_get_object (choice), "function");
      const char *name = sy_json_get_string (function, "name");

      if (name != NULL)
        {
          JsonArray *names = json_array_new ();

          json_array_add_string_element (names, name);
          json_object_set_array_member (calling, "allowedFunctionNames", names);
          mode = "ANY";
        }
    }

  if (mode == NULL)
    {
      json_object_unref (config);
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("tool_choice: must be \"auto\", \"none\", \"required\" or a named function"));
      return NULL;
    }
  json_object_set_string_member (calling, "mode", mode);
  return config;
}

static void
copy_number (JsonObject *from,
             const char *member,
             JsonObject *to,
             const char *to_member)
{
  JsonNode *node = json_object_get_member (from, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    json_object_set_int_member (to, to_member, json_node_get_int (node));
  else if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    json_object_set_double_member (to, to_member, json_node_get_double (node));
}

static gboolean
generation_config_from_hub (JsonObject  *hub,
                            JsonObject  *config,
                            GError     **error)
{
  JsonNode *stop = json_object_get_member (hub, "stop");
  JsonObject *format = sy_json_get_object (hub, "response_format");
  const char *effort = sy_json_get_string (hub, "reasoning_effort");

  copy_number (hub, "temperature", config, "temperature");
  copy_number (hub, "top_p", config, "topP");
  if (json_object_has_member (hub, "max_completion_tokens"))
    copy_number (hub, "max_completion_tokens", config, "maxOutputTokens");
  if (!json_object_has_member (config, "maxOutputTokens"))
    copy_number (hub, "max_tokens", config, "maxOutputTokens");
  copy_number (hub, "n", config, "candidateCount");
  copy_number (hub, "seed", config, "seed");
  copy_number (hub, "presence_penalty", config, "presencePenalty");
  copy_number (hub, "frequency_penalty", config, "frequencyPenalty");

  if (sy_json_node_is_string (stop))
    {
      JsonArray *sequences = json_array_new ();

      json_array_add_string_element (sequences, json_node_get_string (stop));
      json_object_set_array_member (config, "stopSequences", sequences);
    }
  else if (stop != NULL && JSON_NODE_HOLDS_ARRAY (stop))
    {
      JsonArray *from = json_node_get_array (stop);
      JsonArray *sequences = json_array_new ();

      for (guint i = 0; i < json_array_get_length (from); i++)
        {
          JsonNode *node = json_array_get_element (from, i);

          if (sy_json_node_is_string (node))
            json_array_add_string_element (sequences, json_node_get_string (node));
        }
      if (json_array_get_length (sequences) > 0)
        json_object_set_array_member (config, "stopSequences", sequences);
      else
        json_array_unref (sequences);
    }

  if (format != NULL)
    {
      const char *type = sy_json_get_string (format, "type");

      if (g_strcmp0 (type, "json_object") == 0)
        json_object_set_string_member (config, "responseMimeType", "application/json");
      else if (g_strcmp0 (type, "json_schema") == 0)
        {
          JsonObject *json_schema = sy_json_get_object (format, "json_schema");
          JsonNode *schema = json_schema != NULL ? json_object_get_member (json_schema, "schema") : NULL;

          json_object_set_string_member (config, "responseMimeType", "application/json");
          if (schema != NULL && JSON_NODE_HOLDS_OBJECT (schema))
            json_object_set_member (config, "responseSchema", clean_schema (schema));
        }
    }

  if (effort != NULL)
    {
      JsonObject *thinking = json_object_new ();
      gint64 budget;

      if (g_str_equal (effort, "low") || g_str_equal (effort, "minimal"))
        budget = 1024;
      else if (g_str_equal (effort, "medium"))
        budget = 8192;
      else if (g_str_equal (effort, "high"))
        budget = 24576;
      else if (g_str_equal (effort, "none"))
        budget = 0;
      else
        {
          json_object_unref (thinking);
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("reasoning_effort: \"%s\" is not one of low, medium or high"), effort);
          return FALSE;
        }
      json_object_set_int_member (thinking, "thinkingBudget", budget);
      if (budget > 0)
        json_object_set_boolean_member (thinking, "includeThoughts", TRUE);
      json_object_set_object_member (config, "thinkingConfig", thinking);
    }
  return TRUE;
}

JsonObject *
sy_gemini_request_from_hub (JsonObject  *hub,
                            GError     **error)
{
  g_autoptr(JsonArray) contents = json_array_new ();
  g_autoptr(JsonArray) system_parts = json_array_new ();
  g_autoptr(GHashTable) call_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) config = json_object_new ();
  RequestBuilder builder = { contents, system_parts, call_names, NULL };
  JsonArray *messages;
  JsonArray *tools;
  JsonNode *tool_choice;

  g_return_val_if_fail (hub != NULL, NULL);

  messages = sy_json_get_array (hub, "messages");
  if (messages == NULL)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("messages: must be an array of messages"));
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *node = json_array_get_element (messages, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          sy_translate_set_error (error, SY_TRANSLATE_ERROR_INVALID,
                                  _("messages[%u]: must be an object"), i);
          return NULL;
        }
      if (!add_message (&builder, json_node_get_object (node), i, error))
        return NULL;
    }

  if (json_array_get_length (contents) == 0)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_INVALID,
                           _("messages: there is no user or assistant content to send"));
      return NULL;
    }

  out = json_object_new ();
  json_object_set_array_member (out, "contents", g_steal_pointer (&contents));

  if (json_array_get_length (system_parts) > 0)
    {
      JsonObject *instruction = json_object_new ();

      json_object_set_array_member (instruction, "parts", g_steal_pointer (&system_parts));
      json_object_set_object_member (out, "systemInstruction", instruction);
    }

  tools = sy_json_get_array (hub, "tools");
  if (tools != NULL && json_array_get_length (tools) > 0)
    {
      JsonArray *gemini_tools = tools_from_hub (tools, error);

      if (gemini_tools == NULL)
        return NULL;
      json_object_set_array_member (out, "tools", gemini_tools);

      tool_choice = json_object_get_member (hub, "tool_choice");
      if (tool_choice != NULL && !JSON_NODE_HOLDS_NULL (tool_choice))
        {
          JsonObject *tool_config = tool_config_from_hub (tool_choice, error);

          if (tool_config == NULL)
            return NULL;
          json_object_set_object_member (out, "toolConfig", tool_config);
        }
    }

  if (!generation_config_from_hub (hub, config, error))
    return NULL;
  if (json_object_get_size (config) > 0)
    json_object_set_object_member (out, "generationConfig", g_steal_pointer (&config));

  return g_steal_pointer (&out);
}

/* ---------------------------------------------------- Gemini answer → hub */

static const char *
finish_reason_to_hub (const char *reason,
                      gboolean    has_calls)
{
  static const char * const filtered[] = {
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
    "IMAGE_SAFETY", NULL,
  };

  if (reason != NULL && g_str_equal (reason, "MAX_TOKENS"))
    return "length";
  if (reason != NULL && g_strv_contains (filtered, reason))
    return "content_filter";
  return has_calls ? "tool_calls" : "stop";
}

static void
usage_read (JsonObject *metadata,
            SyUsage    *out)
{
  gint64 thoughts = MAX (0, sy_json_get_int (metadata, "thoughtsTokenCount", 0));

  memset (out, 0, sizeof *out);
  out->prompt_tokens = MAX (0, sy_json_get_int (metadata, "promptTokenCount", 0)) +
                       MAX (0, sy_json_get_int (metadata, "toolUsePromptTokenCount", 0));
  out->completion_tokens = MAX (0, sy_json_get_int (metadata, "candidatesTokenCount", 0)) + thoughts;
  out->cached_tokens = MAX (0, sy_json_get_int (metadata, "cachedContentTokenCount", 0));
  out->reasoning_tokens = thoughts;
}

/* A hub tool call for a functionCall part. Gemini 2.x gives no call ids (the
 * API gained an optional "id"), so one is made up when missing. */
static JsonObject *
tool_call_new (JsonObject *function_call,
               gint        index)
{
  JsonObject *tool_call = json_object_new ();
  JsonObject *function = json_object_new ();
  const char *id = sy_json_get_string (function_call, "id");
  const char *name = sy_json_get_string (function_call, "name");
  JsonNode *args = json_object_get_member (function_call, "args");

  if (index >= 0)
    json_object_set_int_member (tool_call, "index", index);
  if (id != NULL && *id != '\0')
    json_object_set_string_member (tool_call, "id", id);
  else
    {
      g_autofree char *new_id = sy_translate_new_id ("call_");
      json_object_set_string_member (tool_call, "id", new_id);
    }
  json_object_set_string_member (tool_call, "type", "function");
  json_object_set_string_member (function, "name", name != NULL ? name : "");
  if (args != NULL && JSON_NODE_HOLDS_OBJECT (args))
    {
      g_autofree char *arguments = sy_json_to_string (args);
      json_object_set_string_member (function, "arguments", arguments);
    }
  else
    json_object_set_string_member (function, "arguments", "{}");
  json_object_set_object_member (tool_call, "function", function);
  return tool_call;
}

/* The message of Gemini's {"error": {"code", "message", "status"}} and the HTTP
 * status it stands for. */
static char *
upstream_error_read (JsonObject *object,
                     guint      *status)
{
  JsonNode *node = json_object_get_member (object, "error");
  JsonObject *error = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *message = sy_json_get_string (error, "message");
  const char *status_name = sy_json_get_string (error, "status");
  gint64 code = sy_json_get_int (error, "code", 0);

  if (message == NULL)
    message = sy_json_get_string (object, "error");

  if (code >= 400 && code <= 599)
    *status = (guint) code;
  else if (g_strcmp0 (status_name, "RESOURCE_EXHAUSTED") == 0)
    *status = 429;
  else if (g_strcmp0 (status_name, "UNAVAILABLE") == 0)
    *status = 503;
  else
    *status = 502;

  return message != NULL && *message != '\0' ? g_strdup (message)
                                             : g_strdup (_("Gemini answered with an error"));
}

static JsonObject *
choice_from_candidate (JsonObject *candidate,
                       guint       position)
{
  JsonObject *content = sy_json_get_object (candidate, "content");
  JsonArray *parts = sy_json_get_array (content, "parts");
  g_autoptr(GString) text = NULL;
  g_autoptr(GString) reasoning = NULL;
  g_autoptr(JsonArray) tool_calls = json_array_new ();
  JsonObject *choice = json_object_new ();
  JsonObject *message = json_object_new ();
  guint n_calls;

  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++)
    {
      JsonObject *part = sy_json_array_get_object (parts, i);
      const char *part_text = sy_json_get_string (part, "text");
      JsonObject *function_call = sy_json_get_object (part, "functionCall");

      if (part_text != NULL && sy_json_get_bool (part, "thought", FALSE))
        {
          if (reasoning == NULL)
            reasoning = g_string_new (NULL);
          g_string_append (reasoning, part_text);
        }
      else if (part_text != NULL)
        {
          if (text == NULL)
            text = g_string_new (NULL);
          g_string_append (text, part_text);
        }
      else if (function_call != NULL)
        json_array_add_object_element (tool_calls, tool_call_new (function_call, -1));
    }
  n_calls = json_array_get_length (tool_calls);

  json_object_set_string_member (message, "role", "assistant");
  if (text != NULL)
    json_object_set_string_member (message, "content", text->str);
  else
    json_object_set_null_member (message, "content");
  if (reasoning != NULL)
    json_object_set_string_member (message, "reasoning_content", reasoning->str);
  if (n_calls > 0)
    json_object_set_array_member (message, "tool_calls", g_steal_pointer (&tool_calls));

  json_object_set_int_member (choice, "index", sy_json_get_int (candidate, "index", position));
  json_object_set_object_member (choice, "message", message);
  json_object_set_string_member (choice, "finish_reason",
                                 finish_reason_to_hub (sy_json_get_string (candidate, "finishReason"),
                                                       n_calls > 0));
  json_object_set_null_member (choice, "logprobs");
  return choice;
}

static gint64
created_from_response (JsonObject *response)
{
  const char *create_time = sy_json_get_string (response, "createTime");
  g_autoptr(GDateTime) time = create_time != NULL ? g_date_time_new_from_iso8601 (create_time, NULL) : NULL;

  return time != NULL ? g_date_time_to_unix (time) : g_get_real_time () / G_USEC_PER_SEC;
}

JsonObject *
sy_gemini_response_to_hub (JsonObject  *response,
                           const char  *model,
                           GError     **error)
{
  g_autoptr(JsonObject) completion = NULL;
  g_autofree char *id = NULL;
  JsonArray *candidates;
  JsonArray *choices;
  SyUsage usage;

  if (response == NULL)
    {
      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM,
                           _("The Gemini answer is not a JSON object"));
      return NULL;
    }
  if (json_object_has_member (response, "error"))
    {
      guint status;
      g_autofree char *message = upstream_error_read (response, &status);

      g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM, message);
      return NULL;
    }

  choices = json_array_new ();
  candidates = sy_json_get_array (response, "candidates");
  for (guint i = 0; candidates != NULL && i < json_array_get_length (candidates); i++)
    {
      JsonNode *node = json_array_get_element (candidates, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        json_array_add_object_element (choices, choice_from_candidate (json_node_get_object (node), i));
    }
  if (json_array_get_length (choices) == 0)
    {
      /* A prompt Gemini blocks gets no candidate at all, only promptFeedback. */
      JsonObject *feedback = sy_json_get_object (response, "promptFeedback");
      JsonObject *choice = json_object_new ();
      JsonObject *message = json_object_new ();

      json_object_set_string_member (message, "role", "assistant");
      json_object_set_null_member (message, "content");
      json_object_set_int_member (choice, "index", 0);
      json_object_set_object_member (choice, "message", message);
      json_object_set_string_member (choice, "finish_reason",
                                     sy_json_get_string (feedback, "blockReason") != NULL
                                     ? "content_filter" : "stop");
      json_object_set_null_member (choice, "logprobs");
      json_array_add_object_element (choices, choice);
    }

  usage_read (sy_json_get_object (response, "usageMetadata"), &usage);
  id = g_strdup (sy_json_get_string (response, "responseId"));
  if (id == NULL)
    id = sy_translate_new_id ("chatcmpl-");
  if (sy_json_get_string (response, "modelVersion") != NULL)
    model = sy_json_get_string (response, "modelVersion");

  completion = json_object_new ();
  json_object_set_string_member (completion, "id", id);
  json_object_set_string_member (completion, "object", "chat.completion");
  json_object_set_int_member (completion, "created", created_from_response (response));
  json_object_set_string_member (completion, "model", model != NULL ? model : "");
  json_object_set_array_member (completion, "choices", choices);
  json_object_set_object_member (completion, "usage", sy_hub_usage_new (&usage));
  return g_steal_pointer (&completion);
}

/* ------------------------------------------------------ Gemini stream → hub */

typedef struct {
  SyStreamDecoder parent;
  char           *model;
  char           *id;       /* NULL until the first chunk */
  gint64          created;
  guint           n_calls;
  SyUsage         usage;    /* the latest usageMetadata: it is cumulative */
} GeminiDecoder;

static JsonObject *
decoder_chunk_new (GeminiDecoder *self)
{
  return sy_hub_chunk_new (self->id, self->model, self->created);
}

static void
decoder_emit_parts (GeminiDecoder *self,
                    JsonArray     *parts,
                    GPtrArray     *chunks)
{
  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++)
    {
      JsonObject *part = sy_json_array_get_object (parts, i);
      const char *text = sy_json_get_string (part, "text");
      JsonObject *function_call = sy_json_get_object (part, "functionCall");
      JsonObject *chunk;

      /* Gemini 2.5 sends thought signatures in parts whose text is empty. */
      if (text != NULL && *text != '\0')
        {
          chunk = decoder_chunk_new (self);
          json_object_set_string_member (sy_hub_chunk_delta (chunk),
                                         sy_json_get_bool (part, "thought", FALSE)
                                         ? "reasoning_content" : "content",
                                         text);
          g_ptr_array_add (chunks, chunk);
        }
      else if (function_call != NULL)
        {
          /* Gemini never splits a call across chunks: each is complete. */
          JsonArray *tool_calls = json_array_new ();

          json_array_add_object_element (tool_calls, tool_call_new (function_call, (gint) self->n_calls++));
          chunk = decoder_chunk_new (self);
          json_object_set_array_member (sy_hub_chunk_delta (chunk), "tool_calls", tool_calls);
          g_ptr_array_add (chunks, chunk);
        }
    }
}

static gboolean
decoder_fail (guint       *status,
              guint        code,
              GError     **error,
              const char  *message)
{
  if (status != NULL)
    *status = code;
  g_set_error_literal (error, SY_TRANSLATE_ERROR, SY_TRANSLATE_ERROR_UPSTREAM, message);
  return FALSE;
}

static gboolean
decoder_feed (SyStreamDecoder *decoder,
              const char      *event,
              const char      *data,
              GPtrArray       *chunks,
              guint           *status,
              GError         **error)
{
  GeminiDecoder *self = (GeminiDecoder *) decoder;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonObject *object;
  JsonObject *metadata;
  JsonArray *candidates;
  JsonObject *candidate = NULL;
  const char *finish;
  const char *block_reason;

  if (decoder->done || data == NULL || data[strspn (data, " \t\r\n")] == '\0')
    return TRUE;

  root = sy_json_parse (data, strlen (data), &parse_error);
  if (root == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("A Gemini stream event is not valid JSON: %s"),
                                                  parse_error->message);
      return decoder_fail (status, 502, error, message);
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return decoder_fail (status, 502, error, _("A Gemini stream event is not a JSON object"));

  object = json_node_get_object (root);
  if (json_object_has_member (object, "error"))
    {
      guint code;
      g_autofree char *message = upstream_error_read (object, &code);

      return decoder_fail (status, code, error, message);
    }

  if (self->id == NULL)
    {
      const char *response_id = sy_json_get_string (object, "responseId");
      const char *version = sy_json_get_string (object, "modelVersion");
      JsonObject *chunk;

      self->id = response_id != NULL ? g_strdup (response_id) : sy_translate_new_id ("chatcmpl-");
      if (version != NULL)
        {
          g_free (self->model);
          self->model = g_strdup (version);
        }
      chunk = decoder_chunk_new (self);
      json_object_set_string_member (sy_hub_chunk_delta (chunk), "role", "assistant");
      g_ptr_array_add (chunks, chunk);
    }

  metadata = sy_json_get_object (object, "usageMetadata");
  if (metadata != NULL)
    usage_read (metadata, &self->usage);

  candidates = sy_json_get_array (object, "candidates");
  if (candidates != NULL && json_array_get_length (candidates) > 0)
    {
      JsonNode *node = json_array_get_element (candidates, 0);

      candidate = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  decoder_emit_parts (self, sy_json_get_array (sy_json_get_object (candidate, "content"), "parts"), chunks);

  finish = sy_json_get_string (candidate, "finishReason");
  block_reason = sy_json_get_string (sy_json_get_object (object, "promptFeedback"), "blockReason");
  if (finish != NULL || (candidate == NULL && block_reason != NULL))
    {
      JsonObject *chunk = decoder_chunk_new (self);

      sy_hub_chunk_set_finish (chunk, finish != NULL ? finish_reason_to_hub (finish, self->n_calls > 0)
                                                     : "content_filter");
      g_ptr_array_add (chunks, chunk);
      g_ptr_array_add (chunks, sy_hub_usage_chunk_new (self->id, self->model, self->created, &self->usage));
      decoder->done = TRUE;
    }
  return TRUE;
}

static void
decoder_free (SyStreamDecoder *decoder)
{
  GeminiDecoder *self = (GeminiDecoder *) decoder;

  g_free (self->model);
  g_free (self->id);
  g_free (self);
}

SyStreamDecoder *
sy_gemini_decoder_new (const char *model)
{
  GeminiDecoder *self = g_new0 (GeminiDecoder, 1);

  self->parent.feed = decoder_feed;
  self->parent.free = decoder_free;
  self->model = g_strdup (model != NULL ? model : "");
  self->created = g_get_real_time () / G_USEC_PER_SEC;
  return &self->parent;
}

/* ------------------------------------------------------------ the adapter */

/* A copy of @object's members into a new object, but @replace_name's value. */
static JsonObject *
object_replacing (JsonObject *object,
                  const char *replace_name,
                  JsonNode   *replacement)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    json_object_set_member (copy, name, replacement != NULL && g_str_equal (name, replace_name)
                                        ? json_node_ref (replacement)
                                                                         : json_node_copy (value));
  return copy;
}

/* Gemini 3 refuses a function call in the history without the thought signature
 * it came with. Calls made by another model, or that crossed the hub (which has
 * no place for signatures), carry the placeholder Google documents for them. */
static JsonNode *
contents_with_signatures (JsonNode *contents)
{
  JsonArray *list = json_node_get_array (contents);
  JsonArray *copy = json_array_new ();
  JsonNode *result;

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *content = json_array_get_element (list, i);
      JsonNode *parts = JSON_NODE_HOLDS_OBJECT (content)
                        ? json_object_get_member (json_node_get_object (content), "parts") : NULL;
      g_autoptr(JsonNode) new_parts = NULL;
      JsonArray *new_list;

      if (parts == NULL || !JSON_NODE_HOLDS_ARRAY (parts))
        {
          json_array_add_element (copy, json_node_copy (content));
          continue;
        }
      new_list = json_array_new ();
      new_parts = json_node_init_array (json_node_alloc (), new_list);
      json_array_unref (new_list);
      for (guint j = 0; j < json_array_get_length (json_node_get_array (parts)); j++)
        {
          JsonNode *part = json_array_get_element (json_node_get_array (parts), j);
          JsonObject *object = JSON_NODE_HOLDS_OBJECT (part) ? json_node_get_object (part) : NULL;

          if (object != NULL && json_object_has_member (object, "functionCall") &&
              !json_object_has_member (object, "thoughtSignature"))
            {
              JsonObject *signed_part = object_replacing (object, "", NULL);
              json_object_set_string_member (signed_part, "thoughtSignature", "skip_thought_signature_validator");
              json_array_add_object_element (new_list, signed_part);
            }
          else
            json_array_add_element (new_list, json_node_copy (part));
        }
      json_array_add_object_element (copy, object_replacing (json_node_get_object (content), "parts", new_parts));
    }
  result = json_node_init_array (json_node_alloc (), copy);
  json_array_unref (copy);
  return result;
}

SoupMessage *
sy_provider_gemini_build (const SyProvider *provider,
                          const char       *model,
                          JsonObject       *request,
                          gboolean          stream,
                          const char       *key)
{
  g_autoptr(JsonObject) body_object = NULL;
  g_autofree char *base = NULL;
  g_autofree char *segment = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  SoupMessage *msg;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  g_return_val_if_fail (provider != NULL && provider->base_url != NULL, NULL);
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (request != NULL, NULL);

  /* Model names are also spelt as resource names ("models/gemini-2.5-flash"). */
  if (g_str_has_prefix (model, "models/"))
    model += strlen ("models/");
  if (*model == '\0')
    return NULL;

  /* One path segment: '/', ':', '?' and '#' escaped, the usual characters kept. */
  segment = g_uri_escape_string (model, "!$&'()*+,;=@", FALSE);
  base = g_strdup (provider->base_url);
  g_strchomp (base);
  for (gsize end = strlen (base); end > 0 && base[end - 1] == '/'; end--)
    base[end - 1] = '\0';
  url = g_strconcat (base, "/models/", segment,
                     stream ? ":streamGenerateContent?alt=sse" : ":generateContent", NULL);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0))
    return NULL;
  msg = soup_message_new_from_uri (SOUP_METHOD_POST, uri);

  body_object = json_object_new ();
  json_object_iter_init_ordered (&iter, request);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      /* The URL carries the model and whether to stream. */
      if (g_str_equal (name, "model") || g_str_equal (name, "stream") ||
          sy_translate_member_is_dropped (name))
        continue;
      if (g_str_equal (name, "contents") && JSON_NODE_HOLDS_ARRAY (value) && g_str_has_prefix (model, "gemini-3"))
        json_object_set_member (body_object, name, contents_with_signatures (value));
      else
        json_object_set_member (body_object, name, json_node_copy (value));
    }

  if (key != NULL && *key != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-goog-api-key", key);
  sy_translate_set_json_body (msg, body_object, stream);
  return msg;
}
