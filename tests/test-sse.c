/* test-sse.c — tests for the incremental text/event-stream parser.
 * Every stream is also fed split at each byte boundary and byte by byte.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-sse"

#include "sy-test-util.h"
#include "sy-sse.h"

#include <string.h>

typedef struct {
  const char *event;
  const char *data;
  const char *id;
} Expected;

static GPtrArray *
new_events (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
}

/* Renders events to one string so that results of different splits compare easily. */
static char *
render (GPtrArray *events)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *ev = g_ptr_array_index (events, i);

      g_string_append_printf (out, "[%s|%s|%s]",
                              ev->event ? ev->event : "(null)",
                              ev->data,
                              ev->id ? ev->id : "(null)");
    }
  return g_string_free (out, FALSE);
}

static char *
parse_pieces (const char  *stream,
              gsize        length,
              const gsize *cuts,
              guint        n_cuts,
              gsize       *pending)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (1 << 20);
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(GError) error = NULL;
  gsize start = 0;

  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize stop = i < n_cuts ? cuts[i] : length;

      sy_sse_parser_feed (parser, stream + start, stop - start, events, &error);
      g_assert_no_error (error);
      start = stop;
    }

  if (pending != NULL)
    *pending = sy_sse_parser_pending (parser);
  return render (events);
}

/* Checks @stream gives @expected whole, at every single cut, at every pair of cuts
 * (short streams), and byte by byte. */
static void
check_stream (const char     *stream,
              const Expected *expected,
              guint           n_expected,
              gsize           expected_pending)
{
  gsize length = strlen (stream);
  g_autoptr(GPtrArray) want_events = new_events ();
  g_autofree char *want = NULL;
  g_autofree char *whole = NULL;
  g_autofree gsize *each = g_new (gsize, MAX (length, 1));
  gsize pending;

  for (guint i = 0; i < n_expected; i++)
    {
      SySseEvent *ev = g_new0 (SySseEvent, 1);

      ev->event = g_strdup (expected[i].event);
      ev->data = g_strdup (expected[i].data);
      ev->id = g_strdup (expected[i].id);
      g_ptr_array_add (want_events, ev);
    }
  want = render (want_events);

  whole = parse_pieces (stream, length, NULL, 0, &pending);
  g_assert_cmpstr (whole, ==, want);
  g_assert_cmpuint (pending, ==, expected_pending);

  for (gsize cut = 0; cut <= length; cut++)
    {
      g_autofree char *got = parse_pieces (stream, length, &cut, 1, &pending);

      g_assert_cmpstr (got, ==, want);
      g_assert_cmpuint (pending, ==, expected_pending);
    }

  if (length <= 200)
    {
      for (gsize a = 0; a <= length; a++)
        for (gsize b = a; b <= length; b++)
          {
            gsize cuts[2] = { a, b };
            g_autofree char *got = parse_pieces (stream, length, cuts, 2, NULL);

            g_assert_cmpstr (got, ==, want);
          }
    }

  for (gsize i = 0; i < length; i++)
    each[i] = i;
  {
    g_autofree char *got = parse_pieces (stream, length, each, length, &pending);

    g_assert_cmpstr (got, ==, want);
    g_assert_cmpuint (pending, ==, expected_pending);
  }
}

static void
test_basic (void)
{
  const Expected expected[] = {
    { NULL, "{\"a\":1}", NULL },
    { NULL, "[DONE]", NULL },
  };

  check_stream ("data: {\"a\":1}\n\ndata: [DONE]\n\n", expected, G_N_ELEMENTS (expected), 0);
}

static void
test_line_endings (void)
{
  const Expected expected[] = {
    { "message_start", "one", NULL },
    { NULL, "two", "7" },
    { NULL, "three", NULL },
    { NULL, "four\nfive", NULL },
  };

  check_stream ("event: message_start\r\ndata: one\r\n\r\n"
                "id: 7\rdata: two\r\r"
                "data: three\n\r\n"
                "data: four\r\ndata: five\r\r\n",
                expected, G_N_ELEMENTS (expected), 0);
}

static void
test_comments (void)
{
  const Expected expected[] = {
    { "ping", "{}", NULL },
    { NULL, "x", NULL },
  };

  check_stream (": OPENROUTER PROCESSING\n\n"
                ":keep-alive\n"
                "event: ping\n: in between\ndata: {}\n\n"
                ":\n\n"
                "data: x\n\n",
                expected, G_N_ELEMENTS (expected), 0);
}

static void
test_multiline_data (void)
{
  const Expected expected[] = {
    { NULL, "line one\nline two\n\nline four", NULL },
    { NULL, "", NULL },
    { NULL, "\n", NULL },
  };

  check_stream ("data: line one\ndata: line two\ndata\ndata:line four\n\n"
                "data:\n\n"
                "data\ndata\n\n",
                expected, G_N_ELEMENTS (expected), 0);
}

static void
test_fields (void)
{
  const Expected expected[] = {
    /* Only one space after the colon is stripped. */
    { "  spaced", " two spaces", "" },
    /* Unknown fields and retry are ignored; a field name is the whole line without colon. */
    { "", "kept", NULL },
    { NULL, "after id-only block", NULL },
  };

  check_stream ("event:   spaced\ndata:  two spaces\nid\n\n"
                "retry: 1000\nfoo: bar\nevent\nDATA: no\ndata: kept\n\n"
                "id: 9\nevent: lost\n\n"
                "data: after id-only block\n\n",
                expected, G_N_ELEMENTS (expected), 0);
}

static void
test_bom (void)
{
  const Expected expected[] = {
    { NULL, "after bom", NULL },
    { NULL, "\xEF\xBB\xBF" "kept", NULL },
  };

  check_stream ("\xEF\xBB\xBF" "data: after bom\n\ndata: \xEF\xBB\xBF" "kept\n\n",
                expected, G_N_ELEMENTS (expected), 0);
}

static void
test_not_a_bom (void)
{
  /* A partial BOM prefix is ordinary bytes of the first line (an unknown field). */
  const Expected expected[] = {
    { NULL, "x", NULL },
  };

  check_stream ("\xEF\xBB" "data: y\n\ndata: x\n\n", expected, G_N_ELEMENTS (expected), 0);
}

static void
test_pending_after_cut (void)
{
  const char *complete = "data: {\"choices\":[]}\n\n";
  const char *partial = "event: delta\ndata: {\"choices\":[{\"delt";
  g_autofree char *stream = g_strconcat (complete, partial, NULL);
  const Expected expected[] = {
    { NULL, "{\"choices\":[]}", NULL },
  };

  const Expected expected_a[] = {
    { NULL, "a", NULL },
  };

  check_stream (stream, expected, G_N_ELEMENTS (expected), strlen (partial));

  /* A terminated data line without its blank line is still pending. */
  check_stream ("data: a\n\ndata: b\n", expected_a, G_N_ELEMENTS (expected_a), 8);
}

static void
test_pending_terminated_line (void)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (0);
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(GError) error = NULL;

  g_assert_true (sy_sse_parser_feed (parser, "data: a\n\ndata: b\r\n", 18, events, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpuint (sy_sse_parser_pending (parser), ==, 9);

  g_assert_true (sy_sse_parser_feed (parser, "\r\n", 2, events, &error));
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpuint (sy_sse_parser_pending (parser), ==, 0);
  g_assert_cmpstr (((SySseEvent *) events->pdata[1])->data, ==, "b");
}

static void
test_oversize (void)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (64);
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(GError) error = NULL;
  g_autofree char *big = g_strnfill (100, 'x');

  /* Events under the limit pass, however many of them. */
  for (guint i = 0; i < 100; i++)
    {
      g_assert_true (sy_sse_parser_feed (parser, "data: 0123456789\n\n", 18, events, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (events->len, ==, 100);

  /* One unterminated line over the limit fails, even fed byte by byte. */
  g_assert_true (sy_sse_parser_feed (parser, "data: ", 6, events, &error));
  for (guint i = 0; i < 100 && error == NULL; i++)
    sy_sse_parser_feed (parser, big + i, 1, events, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpuint (sy_sse_parser_pending (parser), <=, 64);
  g_clear_error (&error);

  /* The parser stays failed. */
  g_assert_false (sy_sse_parser_feed (parser, "\n\n", 2, events, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (events->len, ==, 100);
}

static void
test_oversize_many_lines (void)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (64);
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  /* Many short data lines without the blank line add up. */
  for (guint i = 0; i < 20 && ok; i++)
    ok = sy_sse_parser_feed (parser, "data: abc\n", 10, events, &error);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpuint (events->len, ==, 0);
}

static void
test_nul_byte (void)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (0);
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(GError) error = NULL;

  g_assert_false (sy_sse_parser_feed (parser, "data: a\0b\n\n", 11, events, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (events->len, ==, 0);
}

static void
test_openai_stream (void)
{
  const Expected expected[] = {
    { NULL, "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}", NULL },
    { NULL, "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}", NULL },
    { NULL, "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}", NULL },
    { NULL, "[DONE]", NULL },
  };
  GString *stream = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_string_append_printf (stream, "data: %s\n\n", expected[i].data);
  text = g_string_free (stream, FALSE);
  check_stream (text, expected, G_N_ELEMENTS (expected), 0);
}

static void
test_throughput (void)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (1 << 20);
  g_autoptr(GPtrArray) events = new_events ();
  g_autoptr(GError) error = NULL;
  GString *stream = g_string_new (NULL);
  g_autofree char *text = NULL;
  gsize length;
  gint64 start;
  double seconds;
  guint n = 0;

  while (stream->len < 8 << 20)
    {
      g_string_append_printf (stream,
                              "data: {\"id\":\"chatcmpl-%u\",\"object\":\"chat.completion.chunk\","
                              "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w%u\"},"
                              "\"finish_reason\":null}]}\n\n", n, n);
      n++;
    }
  length = stream->len;
  text = g_string_free (stream, FALSE);

  start = g_get_monotonic_time ();
  for (gsize off = 0; off < length; off += 1400)
    {
      g_assert_true (sy_sse_parser_feed (parser, text + off, MIN (1400, length - off),
                                         events, &error));
      if (events->len > 1024)
        g_ptr_array_set_size (events, 0);
    }
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("%.0f MiB/s", length / (1024.0 * 1024.0) / MAX (seconds, 1e-6));
  g_assert_cmpuint (sy_sse_parser_pending (parser), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sse/basic", test_basic);
  g_test_add_func ("/sse/line-endings", test_line_endings);
  g_test_add_func ("/sse/comments", test_comments);
  g_test_add_func ("/sse/multiline-data", test_multiline_data);
  g_test_add_func ("/sse/fields", test_fields);
  g_test_add_func ("/sse/bom", test_bom);
  g_test_add_func ("/sse/not-a-bom", test_not_a_bom);
  g_test_add_func ("/sse/openai-stream", test_openai_stream);
  g_test_add_func ("/sse/pending-after-cut", test_pending_after_cut);
  g_test_add_func ("/sse/pending-terminated-line", test_pending_terminated_line);
  g_test_add_func ("/sse/oversize", test_oversize);
  g_test_add_func ("/sse/oversize-many-lines", test_oversize_many_lines);
  g_test_add_func ("/sse/nul-byte", test_nul_byte);
  g_test_add_func ("/sse/throughput", test_throughput);

  return g_test_run ();
}
