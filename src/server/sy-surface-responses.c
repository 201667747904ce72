/* sy-surface-responses.c — the OpenAI Responses surface (stateless): /v1/responses.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-json.h"
#include "sy-surface.h"
#include "sy-surface-responses.h"

static void
responses_handler (SoupServer        *soup_server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           data)
{
  g_autoptr(JsonNode) request = NULL;
  g_autoptr(JsonNode) hub = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *translated;

  if (!g_str_equal (path, "/v1/responses"))
    {
      /* GET /v1/responses/ID and friends need stored responses. */
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 404, "not_found_error",
                          _("Switchyard's /v1/responses is stateless: responses are not stored"));
      return;
    }

  request = sy_surface_read_json (msg, SY_WIRE_RESPONSES, "/v1/responses", &bytes);
  if (request == NULL)
    return;
  if (sy_json_get_string (json_node_get_object (request), "model") == NULL)
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error",
                          _("\"model\" is required: a provider/model, a profile or a model name"));
      return;
    }
  if (!sy_surface_stream_ok (json_node_get_object (request)))
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error",
                          _("\"stream\" must be true or false"));
      return;
    }
  translated = sy_responses_request_to_hub (json_node_get_object (request), &error);
  if (translated == NULL)
    {
      sy_http_send_error (msg, SY_ERROR_SHAPE_OPENAI, 400, "invalid_request_error",
                          error != NULL ? error->message : _("The request cannot be read"));
      return;
    }
  hub = json_node_init_object (json_node_alloc (), translated);
  json_object_unref (translated);
  sy_surface_route (data, msg, SY_WIRE_RESPONSES, "responses", request, hub, bytes);
}

void
sy_surface_responses_register (SyServer *server)
{
  sy_server_add_route (server, "/v1/responses", responses_handler);
}
