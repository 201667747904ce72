/* sy-translate.c — helpers shared by the format translators.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-translate"

#include <string.h>

#include "sy-json.h"
#include "sy-sse.h"
#include "sy-translate.h"

G_DEFINE_QUARK (sy-translate-error-quark, sy_translate_error)

#define MAX_ERROR_MESSAGE 300

void
sy_translate_set_error (GError    **error,
                        int         code,
                        const char *format,
                        ...)
{
  g_autofree char *message = NULL;
  GString *clean;
  va_list args;

  if (error == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  clean = g_string_sized_new (strlen (message));
  for (const char *p = message; *p != '\0' && clean->len < MAX_ERROR_MESSAGE; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        g_string_append_printf (clean, "\\x%02x", (guchar) *p);
      else
        g_string_append_c (clean, *p);
    }
  if (strlen (message) > clean->len && clean->len >= MAX_ERROR_MESSAGE)
    {
      /* Cut on a character boundary. */
      const char *end = g_utf8_find_prev_char (clean->str, clean->str + clean->len);
      if (end != NULL && !g_utf8_validate (end, clean->str + clean->len - end, NULL))
        g_string_truncate (clean, (gsize) (end - clean->str));
      g_string_append (clean, "…");
    }
  g_set_error_literal (error, SY_TRANSLATE_ERROR, code, clean->str);
  g_string_free (clean, TRUE);
}

int
sy_wire_for_kind (const char *kind)
{
  if (g_strcmp0 (kind, "openai") == 0)
    return SY_WIRE_CHAT;
  if (g_strcmp0 (kind, "anthropic") == 0)
    return SY_WIRE_ANTHROPIC;
  if (g_strcmp0 (kind, "gemini") == 0)
    return SY_WIRE_GEMINI;
  return -1;
}

gboolean
sy_translate_member_is_dropped (const char *name)
{
  static const char * const dropped[] = {
    "base_url", "api_base", "api_key", "apiKey", "baseURL", "endpoint", "models", NULL,
  };

  g_return_val_if_fail (name != NULL, FALSE);
  return g_strv_contains (dropped, name);
}

void
sy_translate_set_json_body (SoupMessage *msg,
                            JsonObject  *body,
                            gboolean     stream)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;

  g_return_if_fail (SOUP_IS_MESSAGE (msg));
  g_return_if_fail (body != NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                stream ? "text/event-stream" : "application/json");
  text = sy_json_object_to_string (body);
  length = strlen (text);
  bytes = g_bytes_new_take (g_steal_pointer (&text), length);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
}

char *
sy_translate_new_id (const char *prefix)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  GString *id = g_string_new (prefix);

  for (guint i = 0; i < 24; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (id, FALSE);
}

static JsonObject *
chunk_base (const char *id,
            const char *model,
            gint64      created)
{
  JsonObject *chunk = json_object_new ();

  json_object_set_string_member (chunk, "id", id != NULL ? id : "chatcmpl-switchyard");
  json_object_set_string_member (chunk, "object", "chat.completion.chunk");
  json_object_set_int_member (chunk, "created", created);
  json_object_set_string_member (chunk, "model", model != NULL ? model : "");
  return chunk;
}

JsonObject *
sy_hub_chunk_new (const char *id,
                  const char *model,
                  gint64      created)
{
  JsonObject *chunk = chunk_base (id, model, created);
  JsonArray *choices = json_array_new ();
  JsonObject *choice = json_object_new ();

  json_object_set_int_member (choice, "index", 0);
  json_object_set_object_member (choice, "delta", json_object_new ());
  json_object_set_null_member (choice, "finish_reason");
  json_array_add_object_element (choices, choice);
  json_object_set_array_member (chunk, "choices", choices);
  return chunk;
}

JsonObject *
sy_hub_first_choice (JsonObject *completion)
{
  JsonArray *choices = sy_json_get_array (completion, "choices");

  if (choices == NULL || json_array_get_length (choices) == 0)
    return NULL;
  return sy_json_array_get_object (choices, 0);
}

JsonObject *
sy_hub_chunk_delta (JsonObject *chunk)
{
  return sy_json_get_object (sy_hub_first_choice (chunk), "delta");
}

void
sy_hub_chunk_set_finish (JsonObject *chunk,
                         const char *finish_reason)
{
  JsonObject *choice = sy_hub_first_choice (chunk);

  if (choice != NULL)
    json_object_set_string_member (choice, "finish_reason", finish_reason);
}

JsonObject *
sy_hub_usage_new (const SyUsage *usage)
{
  JsonObject *object = json_object_new ();
  JsonObject *prompt_details = json_object_new ();
  JsonObject *completion_details = json_object_new ();

  json_object_set_int_member (object, "prompt_tokens", usage->prompt_tokens);
  json_object_set_int_member (object, "completion_tokens", usage->completion_tokens);
  json_object_set_int_member (object, "total_tokens", usage->prompt_tokens + usage->completion_tokens);
  json_object_set_int_member (prompt_details, "cached_tokens", usage->cached_tokens);
  if (usage->cache_write_tokens > 0)
    json_object_set_int_member (prompt_details, "cache_write_tokens", usage->cache_write_tokens);
  json_object_set_object_member (object, "prompt_tokens_details", prompt_details);
  json_object_set_int_member (completion_details, "reasoning_tokens", usage->reasoning_tokens);
  json_object_set_object_member (object, "completion_tokens_details", completion_details);
  return object;
}

JsonObject *
sy_hub_usage_chunk_new (const char    *id,
                        const char    *model,
                        gint64         created,
                        const SyUsage *usage)
{
  JsonObject *chunk = chunk_base (id, model, created);

  json_object_set_array_member (chunk, "choices", json_array_new ());
  json_object_set_object_member (chunk, "usage", sy_hub_usage_new (usage));
  return chunk;
}

void
sy_hub_usage_read (JsonObject *usage,
                   SyUsage    *out)
{
  JsonObject *prompt_details = sy_json_get_object (usage, "prompt_tokens_details");
  JsonObject *completion_details = sy_json_get_object (usage, "completion_tokens_details");

  memset (out, 0, sizeof *out);
  out->prompt_tokens = MAX (0, sy_json_get_int (usage, "prompt_tokens", 0));
  out->completion_tokens = MAX (0, sy_json_get_int (usage, "completion_tokens", 0));
  out->cached_tokens = MAX (0, sy_json_get_int (prompt_details, "cached_tokens", 0));
  /* DeepSeek reports cache hits at the top level instead. */
  if (out->cached_tokens == 0)
    out->cached_tokens = MAX (0, sy_json_get_int (usage, "prompt_cache_hit_tokens", 0));
  out->cache_write_tokens = MAX (0, sy_json_get_int (prompt_details, "cache_write_tokens", 0));
  out->reasoning_tokens = MAX (0, sy_json_get_int (completion_details, "reasoning_tokens", 0));
}

void
sy_usage_add_cost (JsonObject   *usage,
                   const SyCost *cost)
{
  JsonObject *details;

  if (!cost->known)
    {
      json_object_set_null_member (usage, "cost");
      json_object_set_null_member (usage, "cost_details");
      return;
    }

  json_object_set_double_member (usage, "cost", cost->total);
  details = json_object_new ();
  json_object_set_double_member (details, "input", cost->input);
  json_object_set_double_member (details, "output", cost->output);
  json_object_set_double_member (details, "cache_read", cost->cache_read);
  json_object_set_double_member (details, "cache_write", cost->cache_write);
  json_object_set_object_member (usage, "cost_details", details);
}

void
sy_usage_copy_cost (JsonObject *from,
                    JsonObject *to)
{
  static const char * const members[] = { "cost", "cost_details" };

  if (from == NULL || to == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      JsonNode *value = json_object_get_member (from, members[i]);
      if (value != NULL)
        json_object_set_member (to, members[i], json_node_copy (value));
    }
}

void
sy_hub_normalize_reasoning (JsonObject *message)
{
  const char *reasoning = sy_json_get_string (message, "reasoning");

  if (reasoning != NULL && !json_object_has_member (message, "reasoning_content"))
    json_object_set_string_member (message, "reasoning_content", reasoning);
}

char *
sy_hub_content_text (JsonNode *content)
{
  GString *text;
  JsonArray *parts;

  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (content))
    return json_node_get_value_type (content) == G_TYPE_STRING
           ? g_strdup (json_node_get_string (content)) : NULL;
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return NULL;

  parts = json_node_get_array (content);
  text = NULL;
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      const char *part_text;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      part_text = sy_json_get_string (json_node_get_object (node), "text");
      if (part_text == NULL)
        continue;
      if (text == NULL)
        text = g_string_new (NULL);
      g_string_append (text, part_text);
    }
  return text != NULL ? g_string_free (text, FALSE) : NULL;
}

gboolean
sy_data_url_split (const char  *url,
                   char       **media_type,
                   char       **data)
{
  const char *comma;
  const char *semicolon;

  if (url == NULL || !g_str_has_prefix (url, "data:"))
    return FALSE;
  comma = strchr (url, ',');
  if (comma == NULL)
    return FALSE;
  semicolon = g_strstr_len (url, comma - url, ";base64");
  if (semicolon == NULL)
    return FALSE;
  *media_type = g_strndup (url + 5, (gsize) (semicolon - (url + 5)));
  *data = g_strdup (comma + 1);
  return TRUE;
}

const char *
sy_anthropic_error_type (guint status)
{
  switch (status)
    {
    case 400: case 413: case 415: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    case 504: return "timeout_error";
    case 529: return "overloaded_error";
    default: return "api_error";
    }
}

char *
sy_wire_error_json (SyWire      wire,
                    guint       status,
                    const char *type,
                    const char *message)
{
  g_autoptr(JsonObject) root = json_object_new ();
  JsonObject *error = json_object_new ();

  if (wire == SY_WIRE_ANTHROPIC)
    {
      json_object_set_string_member (root, "type", "error");
      json_object_set_string_member (error, "type", sy_anthropic_error_type (status));
      json_object_set_string_member (error, "message", message);
    }
  else
    {
      json_object_set_string_member (error, "message", message);
      json_object_set_string_member (error, "type", type != NULL ? type : "api_error");
      json_object_set_int_member (error, "code", status);
    }
  json_object_set_object_member (root, "error", error);
  return sy_json_object_to_string (root);
}

/* ------------------------------------------------------ stream translation */

gboolean
sy_stream_decoder_feed (SyStreamDecoder *self,
                        const char      *event,
                        const char      *data,
                        GPtrArray       *chunks,
                        guint           *status,
                        GError         **error)
{
  return self->feed (self, event, data, chunks, status, error);
}

void
sy_stream_decoder_free (SyStreamDecoder *self)
{
  if (self != NULL)
    self->free (self);
}

void
sy_stream_encoder_chunk (SyStreamEncoder *self,
                         JsonObject      *chunk,
                         GPtrArray       *events)
{
  self->chunk (self, chunk, events);
}

void
sy_stream_encoder_finish (SyStreamEncoder *self,
                          GPtrArray       *events)
{
  self->finish (self, events);
}

void
sy_stream_encoder_error (SyStreamEncoder *self,
                         guint            status,
                         const char      *type,
                         const char      *message,
                         GPtrArray       *events)
{
  self->error (self, status, type, message, events);
}

void
sy_stream_encoder_free (SyStreamEncoder *self)
{
  if (self != NULL)
    self->free (self);
}

gpointer
sy_sse_event_new_take (const char *event,
                       char       *data)
{
  SySseEvent *sse = g_new0 (SySseEvent, 1);

  sse->event = g_strdup (event);
  sse->data = data;
  return sse;
}
