/* sy-http.c — small helpers for answering on the local endpoint in each API's shape.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "sy-http.h"
#include "sy-json.h"

SyErrorShape
sy_http_shape_for_path (const char *path)
{
  if (path != NULL && g_str_has_prefix (path, "/v1/messages"))
    return SY_ERROR_SHAPE_ANTHROPIC;
  return SY_ERROR_SHAPE_OPENAI;
}

static const char *
anthropic_type (guint status)
{
  switch (status)
    {
    case 400: case 413: case 415: case 422: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return "api_error";
    }
}

char *
sy_http_error_json (SyErrorShape shape,
                    guint        status,
                    const char  *type,
                    const char  *message)
{
  g_autoptr(JsonObject) root = json_object_new ();
  JsonObject *error = json_object_new ();

  if (shape == SY_ERROR_SHAPE_ANTHROPIC)
    {
      json_object_set_string_member (root, "type", "error");
      json_object_set_string_member (error, "type", anthropic_type (status));
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

void
sy_http_send_json (SoupServerMessage *msg,
                   guint              status,
                   char              *json)
{
  /* libsoup 3.2 has no phrase for these two. */
  soup_server_message_set_status (msg, status,
                                  status == 429 ? "Too Many Requests" :
                                  status == 529 ? "Overloaded" : NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    json, strlen (json));
}

void
sy_http_send_error (SoupServerMessage *msg,
                    SyErrorShape       shape,
                    guint              status,
                    const char        *type,
                    const char        *message)
{
  sy_http_send_json (msg, status, sy_http_error_json (shape, status, type, message));
}
