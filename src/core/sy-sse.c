/* sy-sse.c — an incremental parser for text/event-stream.
 * Follows the WHATWG "event stream interpretation" rules, one feed per received chunk.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "sy-sse"

#include "sy-sse.h"

#include <gio/gio.h>
#include <string.h>

static const guchar utf8_bom[3] = { 0xEF, 0xBB, 0xBF };

struct _SySseParser
{
  /* limits */
  gsize    max_event_bytes;

  /* the unterminated tail of the last feed */
  GString *line;

  /* the event being assembled */
  GString *data;
  GString *event;
  GString *id;
  gsize    pending;
  guint    has_data : 1;
  guint    has_event : 1;
  guint    has_id : 1;

  /* stream state */
  guint    bom_matched : 2;
  guint    bom_done : 1;
  guint    skip_lf : 1;
  guint    failed : 1;
};

void
sy_sse_event_free (SySseEvent *event)
{
  if (event == NULL)
    return;

  g_free (event->event);
  g_free (event->data);
  g_free (event->id);
  g_free (event);
}

SySseParser *
sy_sse_parser_new (gsize max_event_bytes)
{
  SySseParser *parser = g_new0 (SySseParser, 1);

  parser->max_event_bytes = max_event_bytes > 0 ? max_event_bytes : G_MAXSIZE;
  parser->line = g_string_new (NULL);
  parser->data = g_string_new (NULL);
  parser->event = g_string_new (NULL);
  parser->id = g_string_new (NULL);

  return parser;
}

void
sy_sse_parser_free (SySseParser *parser)
{
  if (parser == NULL)
    return;

  g_string_free (parser->line, TRUE);
  g_string_free (parser->data, TRUE);
  g_string_free (parser->event, TRUE);
  g_string_free (parser->id, TRUE);
  g_free (parser);
}

gsize
sy_sse_parser_pending (SySseParser *parser)
{
  g_return_val_if_fail (parser != NULL, 0);

  return parser->pending;
}

static char *
dup_bytes (const char *bytes,
           gsize       length)
{
  char *copy = g_malloc (length + 1);

  memcpy (copy, bytes, length);
  copy[length] = '\0';
  return copy;
}

static void
reset_event (SySseParser *parser)
{
  g_string_truncate (parser->data, 0);
  g_string_truncate (parser->event, 0);
  g_string_truncate (parser->id, 0);
  parser->has_data = FALSE;
  parser->has_event = FALSE;
  parser->has_id = FALSE;
  parser->pending = 0;
}

static void
dispatch (SySseParser *parser,
          GPtrArray   *events)
{
  /* The spec drops a block without any data line (only event/id/comments). */
  if (parser->has_data)
    {
      SySseEvent *event = g_new0 (SySseEvent, 1);

      /* Every data line appended a "\n"; the last one is not part of the data. */
      event->data = dup_bytes (parser->data->str, parser->data->len - 1);
      if (parser->has_event)
        event->event = dup_bytes (parser->event->str, parser->event->len);
      if (parser->has_id)
        event->id = dup_bytes (parser->id->str, parser->id->len);
      g_ptr_array_add (events, event);
    }

  reset_event (parser);
}

static gboolean
process_line (SySseParser  *parser,
              const char   *line,
              gsize         length,
              GPtrArray    *events,
              GError      **error)
{
  const char *colon;
  const char *value;
  gsize field_length;
  gsize value_length;

  if (length == 0)
    {
      dispatch (parser, events);
      return TRUE;
    }

  if (line[0] == ':')
    return TRUE;

  /* Event data ends up in C strings: a NUL would silently truncate it. */
  if (memchr (line, '\0', length) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "NUL byte in event stream");
      return FALSE;
    }

  colon = memchr (line, ':', length);
  if (colon != NULL)
    {
      field_length = colon - line;
      value = colon + 1;
      value_length = length - field_length - 1;
      if (value_length > 0 && value[0] == ' ')
        {
          value++;
          value_length--;
        }
    }
  else
    {
      field_length = length;
      value = line + length;
      value_length = 0;
    }

  switch (field_length)
    {
    case 4:
      if (memcmp (line, "data", 4) == 0)
        {
          g_string_append_len (parser->data, value, value_length);
          g_string_append_c (parser->data, '\n');
          parser->has_data = TRUE;
        }
      break;

    case 5:
      if (memcmp (line, "event", 5) == 0)
        {
          g_string_truncate (parser->event, 0);
          g_string_append_len (parser->event, value, value_length);
          parser->has_event = TRUE;
        }
      break;

    case 2:
      if (memcmp (line, "id", 2) == 0)
        {
          g_string_truncate (parser->id, 0);
          g_string_append_len (parser->id, value, value_length);
          parser->has_id = TRUE;
        }
      break;

    default:
      /* "retry" and unknown fields are ignored, as the spec says. */
      break;
    }

  return TRUE;
}

static gboolean
check_size (SySseParser  *parser,
            gsize         adding,
            GError      **error)
{
  if (adding > parser->max_event_bytes - parser->pending)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   "Event larger than %" G_GSIZE_FORMAT " bytes", parser->max_event_bytes);
      return FALSE;
    }
  return TRUE;
}

static gboolean
feed_lines (SySseParser  *parser,
            const char   *data,
            gsize         length,
            GPtrArray    *events,
            GError      **error)
{
  const char *p = data;
  const char *end = data + length;

  if (parser->skip_lf && p < end)
    {
      parser->skip_lf = FALSE;
      if (*p == '\n')
        p++;
    }

  while (p < end)
    {
      const char *lf = memchr (p, '\n', end - p);
      const char *eol = memchr (p, '\r', (lf != NULL ? lf : end) - p);
      gsize line_length;
      gsize terminator = 1;

      if (eol == NULL)
        eol = lf;

      if (eol == NULL)
        {
          /* An unterminated tail: keep it for the next feed. */
          if (!check_size (parser, end - p, error))
            return FALSE;
          g_string_append_len (parser->line, p, end - p);
          parser->pending += end - p;
          break;
        }

      line_length = eol - p;
      if (*eol == '\r')
        {
          if (eol + 1 < end)
            {
              if (eol[1] == '\n')
                terminator = 2;
            }
          else
            parser->skip_lf = TRUE;
        }

      if (line_length > 0 || parser->line->len > 0)
        {
          if (!check_size (parser, line_length + terminator, error))
            return FALSE;
          parser->pending += line_length + terminator;
        }

      if (parser->line->len > 0)
        {
          gboolean ok;

          g_string_append_len (parser->line, p, line_length);
          ok = process_line (parser, parser->line->str, parser->line->len, events, error);
          g_string_truncate (parser->line, 0);
          if (!ok)
            return FALSE;
        }
      else if (!process_line (parser, p, line_length, events, error))
        return FALSE;

      p = eol + terminator;
    }

  return TRUE;
}

gboolean
sy_sse_parser_feed (SySseParser  *parser,
                    const char   *data,
                    gsize         length,
                    GPtrArray    *events,
                    GError      **error)
{
  gboolean ok;

  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (events != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (parser->failed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "Event stream parser already failed");
      return FALSE;
    }

  /* A BOM may itself arrive split across feeds. */
  while (!parser->bom_done && length > 0)
    {
      if ((guchar) data[0] == utf8_bom[parser->bom_matched])
        {
          data++;
          length--;
          if (++parser->bom_matched == G_N_ELEMENTS (utf8_bom))
            parser->bom_done = TRUE;
        }
      else
        {
          guint matched = parser->bom_matched;

          parser->bom_done = TRUE;
          if (matched > 0 &&
              !feed_lines (parser, (const char *) utf8_bom, matched, events, error))
            {
              parser->failed = TRUE;
              return FALSE;
            }
        }
    }

  ok = feed_lines (parser, data, length, events, error);
  if (!ok)
    parser->failed = TRUE;
  return ok;
}
