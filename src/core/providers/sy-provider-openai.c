/* sy-provider-openai.c — the OpenAI-compatible upstream adapter (Chat Completions).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-openai"

#include "sy-provider-openai.h"
#include "sy-json.h"

/* Request members that name an upstream or a credential: the upstream comes only
 * from config (design.md, Security), so these never travel. `models` is the
 * router's own fallback list (OpenRouter's convention), not the provider's. */
static const char * const dropped_members[] = {
  "base_url", "api_base", "api_key", "apiKey", "baseURL", "endpoint", "models",
};

static const char * const openrouter_members[] = {
  "transforms", "route", "provider", "usage", "plugins",
};

static gboolean
in_list (const char        *name,
         const char * const *list,
         gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (g_str_equal (name, list[i]))
      return TRUE;
  return FALSE;
}

/* openrouter.ai itself or one of its subdomains, by the URL's host. */
static gboolean
is_openrouter (const char *base_url)
{
  g_autoptr(GUri) uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  return host != NULL && (g_ascii_strcasecmp (host, "openrouter.ai") == 0 ||
                          g_str_has_suffix (host, ".openrouter.ai"));
}

SoupMessage *
sy_provider_openai_build (const SyProvider *provider,
                          const char       *model,
                          JsonObject       *request,
                          gboolean          stream,
                          const char       *key)
{
  g_autoptr(JsonNode) copy = NULL;
  g_autofree char *url = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  JsonObject *object;
  SoupMessage *msg;
  SoupMessageHeaders *headers;
  gsize length = 0;

  g_return_val_if_fail (provider != NULL && provider->base_url != NULL, NULL);

  /* A new top-level object for this attempt, sharing the client's values: the
   * request stays as the client sent it for the next attempt (which may go to
   * OpenRouter and want its extensions back). */
  object = json_object_new ();
  copy = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  {
    gboolean to_openrouter = g_str_equal (provider->id, "openrouter") ||
                             is_openrouter (provider->base_url);
    JsonObjectIter iter;
    const char *name;
    JsonNode *value;

    json_object_iter_init (&iter, request);
    while (json_object_iter_next (&iter, &name, &value))
      {
        if (g_str_equal (name, "model") || g_str_equal (name, "stream_options") ||
            in_list (name, dropped_members, G_N_ELEMENTS (dropped_members)) ||
            (!to_openrouter && in_list (name, openrouter_members, G_N_ELEMENTS (openrouter_members))))
          continue;
        json_object_set_member (object, name, json_node_copy (value));
      }
  }
  json_object_set_string_member (object, "model", model);

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

  {
    g_autoptr(JsonGenerator) generator = json_generator_new ();
    json_generator_set_root (generator, copy);
    body = json_generator_to_data (generator, &length);
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
  soup_message_headers_replace (headers, "Accept", stream ? "text/event-stream" : "application/json");

  bytes = g_bytes_new_take (g_steal_pointer (&body), length);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);

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
  if (error != NULL && JSON_NODE_HOLDS_VALUE (error) &&
      json_node_get_value_type (error) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (error));
  return g_strdup (sy_json_get_string (object, "message"));
}
