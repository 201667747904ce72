/* sy-http.h — small helpers for answering on the local endpoint in each API's shape.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  SY_ERROR_SHAPE_OPENAI,     /* {"error":{"message","type","code"}} */
  SY_ERROR_SHAPE_ANTHROPIC,  /* {"type":"error","error":{"type","message"}} */
} SyErrorShape;

SyErrorShape sy_http_shape_for_path (const char *path);

/* The JSON error body for @shape (also used for in-stream error events). */
char *sy_http_error_json (SyErrorShape shape,
                          guint        status,
                          const char  *type,
                          const char  *message);

void  sy_http_send_error (SoupServerMessage *msg,
                          SyErrorShape       shape,
                          guint              status,
                          const char        *type,
                          const char        *message);

/* Sets @status and a JSON body taken from @json (adopted). */
void  sy_http_send_json  (SoupServerMessage *msg,
                          guint              status,
                          char              *json);

G_END_DECLS
