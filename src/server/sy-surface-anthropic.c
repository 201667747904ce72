/* sy-surface-anthropic.c — the Anthropic-compatible surface: /v1/messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-json.h"
#include "sy-surface.h"
#include "sy-surface-anthropic.h"

/* The request in the hub format, or NULL after answering 400 as Anthropic does. */
static JsonNode *
read_request (SoupServerMessage  *msg,
              const char         *route,
              JsonNode          **request_out,
              GBytes            **bytes_out)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hub = NULL;

  root = sy_surface_read_json (msg, SY_WIRE_ANTHROPIC, route, bytes_out);
  if (root == NULL)
    return NULL;
  if (sy_json_get_string (json_node_get_object (root), "model") == NULL)
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_ANTHROPIC, 400, "invalid_request_error",
                          _("model: Field required (a provider/model, a profile or a model name)"));
      return NULL;
    }
  hub = sy_anthropic_request_to_hub (json_node_get_object (root), &error);
  if (hub == NULL)
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_ANTHROPIC, 400, "invalid_request_error",
                          error != NULL ? error->message : _("The request cannot be read"));
      return NULL;
    }
  *request_out = g_steal_pointer (&root);
  return json_node_init_object (json_node_alloc (), hub);
}

/* Anthropic's token counting endpoint, which Claude Code calls: an estimate of
 * about four characters a token, since the model that will answer is not known
 * until the request is routed. */
static void
count_tokens (SoupServerMessage *msg)
{
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) hub = read_request (msg, "/v1/messages/count_tokens", &request, &bytes);
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *text = NULL;

  if (hub == NULL)
    return;
  text = sy_json_to_string (hub);
  answer = json_object_new ();
  json_object_set_int_member (answer, "input_tokens", (gint64) (strlen (text) + 3) / 4);
  sy_http_send_json (msg, 200, sy_json_object_to_string (answer));
}

static void
messages_handler (SoupServer        *soup_server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           data)
{
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) hub = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (g_str_equal (path, "/v1/messages/count_tokens"))
    {
      count_tokens (msg);
      return;
    }
  if (!g_str_equal (path, "/v1/messages"))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_ANTHROPIC, 404, "not_found_error",
                          _("Not found: Switchyard serves POST /v1/messages"));
      return;
    }

  hub = read_request (msg, "/v1/messages", &request, &bytes);
  if (hub == NULL)
    return;
  sy_surface_route (data, msg, SY_WIRE_ANTHROPIC, "messages", request, hub, bytes);
}

void
sy_surface_anthropic_register (SyServer *server)
{
  sy_server_add_route (server, "/v1/messages", messages_handler);
  sy_server_add_route (server, "/v1/messages/count_tokens", messages_handler);
}
