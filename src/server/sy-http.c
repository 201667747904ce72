/* sy-http.c — small helpers for answering on the local endpoint in each API's shape.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "sy-http.h"
#include "sy-json.h"
#include "sy-translate.h"

SyErrorShape
sy_http_shape_for_path (const char *path)
{
  if (path != NULL && g_str_has_prefix (path, "/v1/messages"))
    return SY_ERROR_SHAPE_ANTHROPIC;
  return SY_ERROR_SHAPE_OPENAI;
}

char *
sy_http_error_json (SyErrorShape shape,
                    guint        status,
                    const char  *type,
                    const char  *message)
{
  return sy_wire_error_json (shape == SY_ERROR_SHAPE_ANTHROPIC ? SY_WIRE_ANTHROPIC : SY_WIRE_CHAT,
                             status, type, message);
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
