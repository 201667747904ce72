/* sy-surface-openai.c — the OpenAI-compatible surface: chat completions and models.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-http.h"
#include "sy-json.h"
#include "sy-surface.h"
#include "sy-surface-openai.h"

static gboolean
check_chat_request (JsonNode    *root,
                    char       **message)
{
  JsonObject *object = json_node_get_object (root);
  JsonArray *messages;

  if (sy_json_get_string (object, "model") == NULL)
    {
      *message = g_strdup (_("\"model\" is required: a provider/model, a profile or a model name"));
      return FALSE;
    }
  messages = sy_json_get_array (object, "messages");
  if (messages == NULL || json_array_get_length (messages) == 0)
    {
      *message = g_strdup (_("\"messages\" must be a non-empty list"));
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *entry = json_array_get_element (messages, i);
      if (!JSON_NODE_HOLDS_OBJECT (entry) ||
          sy_json_get_string (json_node_get_object (entry), "role") == NULL)
        {
          *message = g_strdup_printf (_("messages[%u] must be an object with a \"role\""), i);
          return FALSE;
        }
    }
  if (!sy_surface_stream_ok (object))
    {
      *message = g_strdup (_("\"stream\" must be true or false"));
      return FALSE;
    }
  return TRUE;
}

static void
chat_handler (SoupServer        *soup_server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           data)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *message = NULL;

  root = sy_surface_read_json (msg, SY_WIRE_CHAT, "/v1/chat/completions", &bytes);
  if (root == NULL)
    return;
  if (!check_chat_request (root, &message))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error", message);
      return;
    }
  sy_surface_route (data, msg, SY_WIRE_CHAT, "chat.completions", root, NULL, bytes);
}

static JsonObject *
model_entry (const char *id,
             const char *owned_by,
             gint64      context_length)
{
  JsonObject *entry = json_object_new ();

  json_object_set_string_member (entry, "id", id);
  json_object_set_string_member (entry, "object", "model");
  json_object_set_int_member (entry, "created", 0);
  json_object_set_string_member (entry, "owned_by", owned_by);
  if (context_length > 0)
    json_object_set_int_member (entry, "context_length", context_length);
  return entry;
}

/* Profiles first, then every catalog model as provider/model. */
static JsonArray *
list_models (SyConfig *config)
{
  GPtrArray *models = sy_catalog_get_models (sy_config_get_catalog (config));
  JsonArray *profiles = sy_json_get_array (sy_config_get_root (config), "profiles");
  JsonArray *list = json_array_new ();

  JsonObject *aliases = sy_json_get_object (sy_config_get_root (config), "aliases");
  static const char * const built_in[] = { "auto", "fast", "cheap" };
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      JsonObject *profile = json_array_get_object_element (profiles, i);
      const char *name = sy_json_get_string (profile, "name");

      if (name == NULL || !g_hash_table_add (listed, (gpointer) name))
        continue;
      json_array_add_object_element (list, model_entry (name, "switchyard", 0));
    }
  /* Aliases: the built-in ones and the user's, each listed once. */
  for (guint i = 0; i < G_N_ELEMENTS (built_in); i++)
    if (g_hash_table_add (listed, (gpointer) built_in[i]))
      json_array_add_object_element (list, model_entry (built_in[i], "switchyard", 0));
  if (aliases != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, aliases);
      while (json_object_iter_next (&iter, &name, &value))
        if (g_hash_table_add (listed, (gpointer) name))
          json_array_add_object_element (list, model_entry (name, "switchyard", 0));
    }
  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);
      json_array_add_object_element (list, model_entry (info->id, info->provider,
                                                        info->context_window));
    }
  return list;
}

/* GET /v1/models, and GET /v1/models/ID for one of them (IDs may hold slashes). */
static void
models_handler (SoupServer        *soup_server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           data)
{
  SyServer *server = data;
  SyConfig *config = sy_router_get_config (sy_server_get_router (server));
  g_autoptr(JsonArray) list = list_models (config);
  g_autofree char *id = g_str_has_prefix (path, "/v1/models/")
                        ? g_uri_unescape_string (path + strlen ("/v1/models/"), NULL) : NULL;
  g_autoptr(JsonObject) root = NULL;

  if (!g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_GET))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 405, "invalid_request_error",
                          _("Use GET for /v1/models"));
      return;
    }

  if (id != NULL && !g_utf8_validate (id, -1, NULL))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error",
                          _("A model id must be UTF-8"));
      return;
    }

  if (id != NULL)
    {
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *entry = json_array_get_object_element (list, i);
          if (g_strcmp0 (sy_json_get_string (entry, "id"), id) == 0)
            {
              sy_http_send_json (msg, 200, sy_json_object_to_string (entry));
              return;
            }
        }
      {
        g_autofree char *message = g_strdup_printf (_("No model '%s': GET /v1/models lists them"), id);
        sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 404, "not_found_error", message);
      }
      return;
    }

  root = json_object_new ();
  json_object_set_string_member (root, "object", "list");
  json_object_set_array_member (root, "data", json_array_ref (list));
  sy_http_send_json (msg, 200, sy_json_object_to_string (root));
}

void
sy_surface_openai_register (SyServer *server)
{
  sy_server_add_route (server, "/v1/chat/completions", chat_handler);
  sy_server_add_route (server, "/v1/models", models_handler);
}
