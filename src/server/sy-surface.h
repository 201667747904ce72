/* sy-surface.h — what every API surface shares.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "sy-http.h"
#include "sy-server.h"
#include "sy-translate.h"

G_BEGIN_DECLS

SyErrorShape sy_surface_shape     (SyWire wire);

/* The POST body of @msg as a JSON object, or NULL after answering 405/400 in
 * @wire's error shape. @bytes_out receives the raw body. */
JsonNode    *sy_surface_read_json (SoupServerMessage  *msg,
                                   SyWire              wire,
                                   const char         *route,
                                   GBytes            **bytes_out);

/* TRUE when @request's "stream" is absent, null or a boolean, as OpenAI's
 * surfaces require. */
gboolean     sy_surface_stream_ok (JsonObject *request);

/* Routes a checked request: the client waits (the message paused) while the
 * router answers in @wire's format. @hub is @request in the hub format, NULL when
 * @wire is the hub's. */
void         sy_surface_route     (SyServer          *server,
                                   SoupServerMessage *msg,
                                   SyWire             wire,
                                   const char        *surface,
                                   JsonNode          *request,
                                   JsonNode          *hub,
                                   GBytes            *raw_body);

G_END_DECLS
