/* sy-sse.h — an incremental parser for text/event-stream.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *event;   /* "event:" field, NULL when absent */
  char *data;    /* "data:" lines joined with "\n" (no trailing newline) */
  char *id;      /* NULL when absent */
} SySseEvent;

void sy_sse_event_free (SySseEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SySseEvent, sy_sse_event_free)

typedef struct _SySseParser SySseParser;

/* Events whose pending (unterminated) size exceeds @max_event_bytes fail the parser. */
SySseParser *sy_sse_parser_new  (gsize        max_event_bytes);
void         sy_sse_parser_free (SySseParser *parser);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SySseParser, sy_sse_parser_free)

/* Feeds bytes as they arrive (any split, CRLF/LF/CR line ends, comments ignored,
 * a leading UTF-8 BOM skipped). Appends each complete event (SySseEvent *, owned by
 * the array, which must have sy_sse_event_free as free func) to @events.
 * Returns FALSE with @error set when the stream is malformed or too large. */
gboolean     sy_sse_parser_feed (SySseParser  *parser,
                                 const char   *data,
                                 gsize         length,
                                 GPtrArray    *events,
                                 GError      **error);

/* Bytes received that do not yet form a complete event (for "cut mid-event"). */
gsize        sy_sse_parser_pending (SySseParser *parser);

G_END_DECLS
