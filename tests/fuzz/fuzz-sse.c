/* fuzz-sse.c — libFuzzer target for the text/event-stream parser.
 * The first byte picks how the rest is split into feeds; every split must give
 * the same events, and the events must survive being written out and parsed again.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-sse"

#include "fuzz-util.h"

#include <string.h>

typedef enum {
  SPLIT_WHOLE,
  SPLIT_FIXED,
  SPLIT_BYTES,
  SPLIT_VARIED,
} Split;

typedef struct {
  GPtrArray *events;
  gboolean   ok;
  gsize      pending;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->events, g_ptr_array_unref);
}

/* Feeds @data in pieces; on success also feeds a blank line pair, which ends
 * any unterminated line and dispatches any open event. */
static void
parse (Run         *run,
       const char  *data,
       gsize        size,
       Split        split,
       guint8       seed,
       gsize        max_event_bytes)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (max_event_bytes);
  guint32 state = seed | 0x100u;
  gsize at = 0;

  run->events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
  run->ok = TRUE;

  while (at < size)
    {
      g_autoptr(GError) error = NULL;
      gsize piece;

      switch (split)
        {
        case SPLIT_WHOLE:
          piece = size - at;
          break;
        case SPLIT_FIXED:
          piece = (seed % 13) + 1;
          break;
        case SPLIT_BYTES:
          piece = 1;
          break;
        case SPLIT_VARIED:
        default:
          /* xorshift: cheap, deterministic for a given seed. */
          state ^= state << 13;
          state ^= state >> 17;
          state ^= state << 5;
          piece = state % 9;   /* 0 on purpose: empty feeds are legal */
          break;
        }
      piece = MIN (piece, size - at);

      if (!sy_sse_parser_feed (parser, data + at, piece, run->events, &error))
        {
          g_assert_nonnull (error);
          run->ok = FALSE;
          break;
        }
      g_assert_no_error (error);
      g_assert_cmpuint (sy_sse_parser_pending (parser), <=, max_event_bytes > 0 ? max_event_bytes : G_MAXSIZE);
      at += piece;
    }

  if (run->ok)
    {
      g_autoptr(GError) error = NULL;

      if (sy_sse_parser_feed (parser, "\n\n", 2, run->events, &error))
        g_assert_cmpuint (sy_sse_parser_pending (parser), ==, 0);
      else
        run->ok = FALSE;
    }
  else
    {
      g_autoptr(GError) error = NULL;

      /* A failed parser stays failed. */
      g_assert_false (sy_sse_parser_feed (parser, "data: x\n\n", 9, run->events, &error));
      g_assert_nonnull (error);
    }

  run->pending = sy_sse_parser_pending (parser);
}

static void
check_event (const SySseEvent *event)
{
  g_assert_nonnull (event);
  /* The spec dispatches only blocks with a data line. */
  g_assert_nonnull (event->data);
  g_assert_null (strchr (event->data, '\r'));
  if (event->event != NULL)
    g_assert_null (strpbrk (event->event, "\r\n"));
  if (event->id != NULL)
    g_assert_null (strpbrk (event->id, "\r\n"));
}

static gboolean
same_string (const char *a,
             const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

static void
assert_same_events (GPtrArray *a,
                    GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      SySseEvent *x = g_ptr_array_index (a, i);
      SySseEvent *y = g_ptr_array_index (b, i);

      g_assert_true (same_string (x->event, y->event));
      g_assert_true (same_string (x->data, y->data));
      g_assert_true (same_string (x->id, y->id));
    }
}

/* Writes events back out as a stream, one field per line. */
static GString *
serialise (GPtrArray *events)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      g_auto(GStrv) lines = g_strsplit (event->data, "\n", -1);

      if (event->event != NULL)
        g_string_append_printf (out, "event: %s\n", event->event);
      if (event->id != NULL)
        g_string_append_printf (out, "id: %s\n", event->id);
      /* g_strsplit () gives no pieces at all for "". */
      if (lines[0] == NULL)
        g_string_append (out, "data:\n");
      for (guint l = 0; lines[l] != NULL; l++)
        g_string_append_printf (out, "data: %s\n", lines[l]);
      g_string_append_c (out, '\n');
    }
  return out;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const Split splits[] = { SPLIT_FIXED, SPLIT_BYTES, SPLIT_VARIED };
  const char *stream;
  Run whole = { 0 };
  guint8 seed;

  sy_fuzz_init ();

  if (size == 0)
    return 0;
  seed = data[0];
  stream = (const char *) data + 1;
  size--;

  parse (&whole, stream, size, SPLIT_WHOLE, seed, 0);
  for (guint i = 0; i < whole.events->len; i++)
    check_event (g_ptr_array_index (whole.events, i));

  for (guint s = 0; s < G_N_ELEMENTS (splits); s++)
    {
      Run other = { 0 };

      parse (&other, stream, size, splits[s], seed, 0);
      g_assert_cmpint (other.ok, ==, whole.ok);
      assert_same_events (whole.events, other.events);
      run_clear (&other);
    }

  if (whole.ok)
    {
      g_autoptr(GString) again = serialise (whole.events);
      Run reparsed = { 0 };

      parse (&reparsed, again->str, again->len, SPLIT_WHOLE, seed, 0);
      g_assert_true (reparsed.ok);
      assert_same_events (whole.events, reparsed.events);
      run_clear (&reparsed);
    }

  /* A small limit: the event size check must fail cleanly, never overrun. The
   * exact point of failure may depend on the split, so only the checks inside
   * parse () apply. */
  for (guint s = 0; s < 2; s++)
    {
      Run limited = { 0 };

      parse (&limited, stream, size, s == 0 ? SPLIT_WHOLE : SPLIT_BYTES, seed, 16 + seed);
      for (guint i = 0; i < limited.events->len; i++)
        check_event (g_ptr_array_index (limited.events, i));
      run_clear (&limited);
    }

  run_clear (&whole);
  return 0;
}
