/* sy-provider-openai.c — the OpenAI-compatible upstream adapter (Chat Completions).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-openai"

#include "sy-provider-openai.h"
#include "sy-json.h"
#include "sy-translate.h"

static const char * const openrouter_members[] = {
  "transforms", "route", "provider", "usage", "plugins", NULL,
};

/* How each OpenAI-compatible provider departs from OpenAI's Chat Completions, in
 * one place. A provider is matched by its id or by its base_url's host (a custom
 * provider pointed at api.mistral.ai gets Mistral's quirks). */
typedef enum {
  QUIRK_MAX_COMPLETION_TOKENS = 1 << 0,  /* wants max_completion_tokens (OpenAI's
                                          * reasoning models refuse max_tokens) */
  QUIRK_NO_STREAM_OPTIONS     = 1 << 1,  /* refuses stream_options; sends usage anyway */
  QUIRK_SEED_AS_RANDOM_SEED   = 1 << 2,  /* calls seed random_seed */
  QUIRK_OPENROUTER            = 1 << 3,  /* takes OpenRouter's extensions */
} QuirkFlags;

typedef struct {
  const char *id;
  const char *host;          /* the host, or a suffix of it after a dot */
  QuirkFlags  flags;
  /* Parameters the provider refuses with an error: dropped, with a history note. */
  const char *unsupported[12];
} Quirks;

static const Quirks quirks_table[] = {
  { "openai", "api.openai.com", QUIRK_MAX_COMPLETION_TOKENS, { NULL } },
  { "openrouter", "openrouter.ai", QUIRK_OPENROUTER, { NULL } },
  /* https://console.groq.com/docs/openai: unsupported fields return 400. */
  { "groq", "api.groq.com", 0,
    { "logprobs", "top_logprobs", "logit_bias", "reasoning_content", NULL } },
  /* Mistral refuses unknown fields (422 extra_forbidden). */
  { "mistral", "api.mistral.ai", QUIRK_NO_STREAM_OPTIONS | QUIRK_SEED_AS_RANDOM_SEED,
    { "user", "logit_bias", "logprobs", "top_logprobs", "service_tier", "store", "metadata",
      "reasoning_effort", "modalities", "audio", "reasoning_content", NULL } },
  { "deepseek", "api.deepseek.com", 0, { "service_tier", "store", "metadata", "modalities", "audio", NULL } },
  { "together", "api.together.xyz", 0, { "service_tier", "store", "metadata", NULL } },
  { "xai", "api.x.ai", 0, { "service_tier", "store", "metadata", NULL } },
  { "ollama", NULL, 0, { NULL } },
  { "lmstudio", NULL, 0, { NULL } },
};

static const Quirks default_quirks = { NULL, NULL, 0, { NULL } };

static gboolean
host_matches (const char *host,
              const char *pattern)
{
  gsize host_len = strlen (host);
  gsize pattern_len = strlen (pattern);

  if (g_ascii_strcasecmp (host, pattern) == 0)
    return TRUE;
  return host_len > pattern_len && host[host_len - pattern_len - 1] == '.' &&
         g_ascii_strcasecmp (host + host_len - pattern_len, pattern) == 0;
}

static const Quirks *
quirks_for (const SyProvider *provider)
{
  g_autoptr(GUri) uri = g_uri_parse (provider->base_url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (quirks_table); i++)
    if (host != NULL && quirks_table[i].host != NULL && host_matches (host, quirks_table[i].host))
      return &quirks_table[i];
  for (guint i = 0; i < G_N_ELEMENTS (quirks_table); i++)
    if (g_str_equal (provider->id, quirks_table[i].id))
      return &quirks_table[i];
  return &default_quirks;
}

/* Adopts @text. */
static void
note (GPtrArray *notes,
      char      *text)
{
  if (notes != NULL)
    g_ptr_array_add (notes, text);
  else
    g_free (text);
}

/* A copy of @messages without "reasoning_content", which no provider takes back
 * as input and some refuse. NULL when no message has it. */
static JsonNode *
messages_without_reasoning (JsonNode *messages)
{
  JsonArray *list;
  JsonArray *copy;
  gboolean any = FALSE;

  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    return NULL;
  list = json_node_get_array (messages);
  for (guint i = 0; i < json_array_get_length (list) && !any; i++)
    {
      JsonNode *message = json_array_get_element (list, i);
      any = JSON_NODE_HOLDS_OBJECT (message) &&
            json_object_has_member (json_node_get_object (message), "reasoning_content");
    }
  if (!any)
    return NULL;

  copy = json_array_new ();
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *message = json_array_get_element (list, i);
      JsonObject *object;
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      if (!JSON_NODE_HOLDS_OBJECT (message) ||
          !json_object_has_member (json_node_get_object (message), "reasoning_content"))
        {
          json_array_add_element (copy, json_node_copy (message));
          continue;
        }
      object = json_object_new ();
      json_object_iter_init (&iter, json_node_get_object (message));
      while (json_object_iter_next (&iter, &name, &value))
        if (!g_str_equal (name, "reasoning_content"))
          json_object_set_member (object, name, json_node_copy (value));
      json_array_add_object_element (copy, object);
    }
  return json_node_init_array (json_node_alloc (), copy);
}

SoupMessage *
sy_provider_openai_build (const SyProvider *provider,
                          const char       *model,
                          JsonObject       *request,
                          gboolean          stream,
                          const char       *key,
                          GPtrArray        *notes)
{
  const Quirks *quirks;
  g_autoptr(JsonNode) copy = NULL;
  g_autofree char *url = NULL;
  JsonObject *object;
  SoupMessage *msg;
  SoupMessageHeaders *headers;

  g_return_val_if_fail (provider != NULL && provider->base_url != NULL, NULL);
  quirks = quirks_for (provider);

  /* A new top-level object for this attempt, sharing the client's values: the
   * request stays as the client sent it for the next attempt (which may go to
   * OpenRouter and want its extensions back). */
  object = json_object_new ();
  copy = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  {
    gboolean to_openrouter = (quirks->flags & QUIRK_OPENROUTER) != 0;
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;

    json_object_iter_init (&iter, request);
    while (json_object_iter_next (&iter, &name, &value))
      {
        if (g_str_equal (name, "model") || g_str_equal (name, "stream_options") ||
            sy_translate_member_is_dropped (name) ||
            (!to_openrouter && g_strv_contains (openrouter_members, name)))
          continue;
        if (g_strv_contains (quirks->unsupported, name))
          {
            note (notes, g_strdup_printf ("dropped \"%s\": the provider does not support it", name));
            continue;
          }
        if (g_str_equal (name, "messages"))
          {
            JsonNode *messages = messages_without_reasoning (value);
            if (messages != NULL)
              {
                json_object_set_member (object, name, messages);
                continue;
              }
          }
        json_object_set_member (object, name, json_node_copy (value));
      }
  }
  json_object_set_string_member (object, "model", model);

  /* One name for the output limit, the one the provider takes. */
  {
    const char *wanted = (quirks->flags & QUIRK_MAX_COMPLETION_TOKENS) ? "max_completion_tokens" : "max_tokens";
    const char *other = (quirks->flags & QUIRK_MAX_COMPLETION_TOKENS) ? "max_tokens" : "max_completion_tokens";
    JsonNode *limit = json_object_get_member (object, other);

    if (limit != NULL)
      {
        if (!json_object_has_member (object, wanted))
          {
            json_object_set_member (object, wanted, json_node_copy (limit));
            note (notes, g_strdup_printf ("sent the output limit as \"%s\"", wanted));
          }
        json_object_remove_member (object, other);
      }
  }
  if ((quirks->flags & QUIRK_SEED_AS_RANDOM_SEED) && json_object_has_member (object, "seed"))
    {
      json_object_set_member (object, "random_seed", json_node_copy (json_object_get_member (object, "seed")));
      json_object_remove_member (object, "seed");
      note (notes, g_strdup ("sent \"seed\" as \"random_seed\""));
    }

  if (quirks->flags & QUIRK_NO_STREAM_OPTIONS)
    {
      if (stream)
        json_object_set_boolean_member (object, "stream", TRUE);
      if (json_object_has_member (request, "stream_options"))
        note (notes, g_strdup ("dropped \"stream_options\": the provider does not support it"));
    }
  else
  {
    JsonObject *client_options = sy_json_get_object (request, "stream_options");

    if (stream)
      {
        JsonObject *options = json_object_new ();

        /* Copied member by member: the client's own object is not touched. */
        if (client_options != NULL)
          {
            JsonObjectIter iter;
            const char *name;
            JsonNode *value;

            json_object_iter_init (&iter, client_options);
            while (json_object_iter_next (&iter, &name, &value))
              json_object_set_member (options, name, json_node_copy (value));
          }
        json_object_set_boolean_member (options, "include_usage", TRUE);
        json_object_set_boolean_member (object, "stream", TRUE);
        json_object_set_object_member (object, "stream_options", options);
      }
    else if (client_options != NULL)
      json_object_set_member (object, "stream_options",
                              json_node_copy (json_object_get_member (request, "stream_options")));
  }

  url = g_strconcat (provider->base_url, "/chat/completions", NULL);
  msg = soup_message_new (SOUP_METHOD_POST, url);
  if (msg == NULL)
    return NULL;

  headers = soup_message_get_request_headers (msg);
  if (key != NULL && *key != '\0')
    {
      g_autofree char *auth = g_strconcat ("Bearer ", key, NULL);
      soup_message_headers_replace (headers, "Authorization", auth);
    }
  sy_translate_set_json_body (msg, object, stream);

  return msg;
}

char *
sy_provider_openai_error_message (GBytes *body)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonNode *error;
  gsize length = 0;
  const char *data;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &length);
  if (length == 0 || (root = sy_json_parse (data, length, NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  object = json_node_get_object (root);
  error = json_object_get_member (object, "error");
  if (error != NULL && JSON_NODE_HOLDS_OBJECT (error))
    return g_strdup (sy_json_get_string (json_node_get_object (error), "message"));
  if (sy_json_node_is_string (error))
    return g_strdup (json_node_get_string (error));
  return g_strdup (sy_json_get_string (object, "message"));
}
