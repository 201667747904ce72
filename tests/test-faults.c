/* test-faults.c — every fault of the mock upstream leads to the behaviour design.md promises.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "sy-history.h"
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-test-token"

static SyTestProc *mock;

static const char * const serve_env[] = {
  "OPENAI_API_KEY=sk-test-openai-key", "BACKUP_KEY=sk-test-backup-key", NULL
};

/* @server_json: extra members of "server" (timeouts, retries). */
static SyTestProc *
start_serve (const char *server_json)
{
  g_autofree char *config = g_strdup_printf (
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"%s%s},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"backup\",\"kind\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"BACKUP_KEY\"},"
    "               {\"id\":\"down\",\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:9/v1\",\"key_env\":\"BACKUP_KEY\"}],"
    " \"profiles\":[{\"name\":\"chain\",\"models\":[\"openai/gpt-4.1-mini\",\"backup/gpt-4.1-mini\"]},"
    "              {\"name\":\"down-first\",\"models\":[\"down/m\",\"openai/gpt-4.1-mini\"]}]}",
    server_json != NULL ? "," : "", server_json != NULL ? server_json : "");

  sy_test_mock_reset (mock);
  return sy_test_serve_start (config, mock, serve_env);
}

static char *
chat_body (const char *model,
           gboolean    stream)
{
  return g_strdup_printf ("{\"model\":\"%s\",\"stream\":%s,"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                          model, stream ? "true" : "false");
}

static const char *
header (SyTestResponse *response,
        const char     *name)
{
  return soup_message_headers_get_one (response->headers, name);
}

static double
seconds_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1e6;
}

static void
test_429_retry_after (void)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autoptr(SyTestResponse) response = NULL;
  gint64 t0;

  sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":429,\"retry_after\":\"1\"}]");
  t0 = g_get_monotonic_time ();
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "2");
  g_assert_cmpstr (header (response, "x-switchyard-provider"), ==, "openai");
  /* retry-after: 1 was honoured */
  g_assert_cmpfloat (seconds_since (t0), >=, 0.95);

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_5xx_then_fallback (void)
{
  SyTestProc *serve = start_serve ("\"max_retries\":2");
  g_autofree char *body = chat_body ("chain", FALSE);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;

  /* openai fails three times (first try + two retries), then the profile falls
   * back to backup. */
  sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":500},"
                             "{\"kind\":\"status\",\"status\":503},"
                             "{\"kind\":\"status\",\"status\":529}]");
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-provider"), ==, "backup");
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "4");

  row = sy_test_only_row (serve, &rows);
  g_assert_cmpint (row->status, ==, 200);
  g_assert_cmpstr (row->provider, ==, "backup");
  g_assert_cmpstr (row->profile, ==, "chain");
  g_assert_nonnull (strstr (row->attempts_json, "\"status\":500"));
  g_assert_nonnull (strstr (row->attempts_json, "\"status\":503"));
  g_assert_nonnull (strstr (row->attempts_json, "\"status\":529"));
  sy_test_proc_free (serve);
}

static void
test_429_exhausted (void)
{
  SyTestProc *serve = start_serve ("\"max_retries\":2");
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autoptr(SyTestResponse) response = NULL;

  sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":429,\"retry_after\":\"0\",\"count\":10}]");
  response = sy_test_chat (serve->port, TOKEN, body);
  /* Passed through only because every attempt failed. */
  g_assert_cmpuint (response->status, ==, 429);
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "3");
  g_assert_cmpstr (header (response, "Retry-After"), ==, "0");
  g_assert_cmpstr (sy_test_json_string (response->json, "error.type"), ==, "rate_limit_error");
  g_assert_nonnull (strstr (sy_test_json_string (response->json, "error.message"), "openai"));

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_no_retry_on_client_errors (void)
{
  static const guint statuses[] = { 400, 401, 403, 404, 413, 422 };
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *body = chat_body ("chain", FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autofree char *fault = g_strdup_printf ("[{\"kind\":\"status\",\"status\":%u}]", statuses[i]);
      g_autoptr(SyTestResponse) response = NULL;

      sy_test_mock_faults (mock, fault);
      response = sy_test_chat (serve->port, TOKEN, body);
      g_assert_cmpuint (response->status, ==, statuses[i]);
      g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "1");
      g_assert_cmpstr (header (response, "x-switchyard-provider"), ==, "openai");
      g_assert_nonnull (sy_test_json_string (response->json, "error.message"));
    }

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_connection_refused (void)
{
  SyTestProc *serve = start_serve ("\"max_retries\":1");
  g_autofree char *body = chat_body ("down-first", FALSE);
  g_autofree char *only_down = chat_body ("down/m", FALSE);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(SyTestResponse) failed = NULL;

  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-provider"), ==, "openai");
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "3");

  failed = sy_test_chat (serve->port, TOKEN, only_down);
  g_assert_cmpuint (failed->status, ==, 502);
  g_assert_nonnull (strstr (sy_test_json_string (failed->json, "error.message"), "down"));

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_stall_before_first_byte (void)
{
  SyTestProc *serve = start_serve ("\"first_byte_timeout\":1");
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;
  gint64 t0;
  double elapsed;

  sy_test_mock_faults (mock, "[{\"kind\":\"stall\",\"ms\":4000}]");
  t0 = g_get_monotonic_time ();
  response = sy_test_chat (serve->port, TOKEN, body);
  elapsed = seconds_since (t0);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "2");
  g_assert_cmpfloat (elapsed, >=, 0.95);
  g_assert_cmpfloat (elapsed, <, 3.5);

  row = sy_test_only_row (serve, &rows);
  g_assert_nonnull (strstr (row->attempts_json, "first byte"));
  sy_test_proc_free (serve);
}

static void
test_not_json_answer (void)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;

  /* A 200 whose body is not JSON (a captive portal, a proxy's page) is a failed
   * attempt like a 502: retried, and the client gets a real answer. */
  sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":200,\"body\":\"<html>sign in</html>\"}]");
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "2");
  g_assert_cmpstr (sy_test_json_string (response->json, "object"), ==, "chat.completion");

  row = sy_test_only_row (serve, &rows);
  g_assert_nonnull (strstr (row->attempts_json, "not JSON"));
  sy_test_proc_free (serve);
}

static void
test_connection_closed (void)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autofree char *streamed = chat_body ("openai/gpt-4.1-mini", TRUE);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(GPtrArray) events = NULL;
  guint status = 0;

  sy_test_mock_faults (mock, "[{\"kind\":\"close\"}]");
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-attempts"), ==, "2");

  /* A stream cut before its first event is still retried transparently. */
  sy_test_mock_faults (mock, "[{\"kind\":\"cut\",\"after_chunks\":0}]");
  events = sy_test_stream (serve->port, TOKEN, streamed, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
  g_assert_cmpuint (sy_test_count_prefix (events, "{\"error\""), ==, 0);

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
check_stream_failure (const char *fault,
                      guint       good_events)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *body = chat_body ("chain", TRUE);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) last = NULL;
  SyHistoryRecord *row;
  const char *data;
  guint status = 0;

  sy_test_mock_faults (mock, fault);
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);

  /* The events sent before the failure, then one error event, then the end:
   * no fallback once text reached the client, no [DONE]. */
  g_assert_cmpuint (events->len, ==, good_events + 1);
  for (guint i = 0; i < good_events; i++)
    g_assert_true (g_str_has_prefix (g_ptr_array_index (events, i), "{\"id\""));
  data = g_ptr_array_index (events, good_events);
  last = sy_json_parse (data, strlen (data), NULL);
  g_assert_nonnull (last);
  g_assert_nonnull (sy_test_json_string (last, "error.message"));
  g_assert_nonnull (strstr (sy_test_json_string (last, "error.message"), "openai"));

  row = sy_test_only_row (serve, &rows);
  g_assert_cmpint (row->status, ==, 502);
  g_assert_nonnull (row->error);
  g_assert_cmpstr (row->provider, ==, "openai");
  /* partial tokens are recorded */
  g_assert_cmpint (row->completion_tokens, >, 0);
  sy_test_proc_free (serve);
}

static void
test_cut_mid_stream (void)
{
  check_stream_failure ("[{\"kind\":\"cut\",\"after_chunks\":3}]", 3);
}

static void
test_malformed_chunk (void)
{
  check_stream_failure ("[{\"kind\":\"malformed\",\"after_chunks\":2}]", 2);
}

static void
test_slow_drip (void)
{
  SyTestProc *serve = start_serve ("\"idle_timeout\":5");
  SyTestProc *strict = NULL;
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", TRUE);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  g_autoptr(GArray) times = NULL;
  guint status = 0;

  /* A slow but steady stream is relayed whole, chunk by chunk. */
  sy_test_mock_faults (mock, "[{\"kind\":\"drip\",\"delay_ms\":150}]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, NULL, &times);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
  g_assert_cmpint (g_array_index (times, gint64, times->len - 1) - g_array_index (times, gint64, 0),
                   >=, 6 * 150 * 1000);
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);

  /* Silence between chunks longer than the idle timeout ends the stream. */
  strict = start_serve ("\"idle_timeout\":0.4");
  sy_test_mock_faults (mock, "[{\"kind\":\"drip\",\"delay_ms\":1000}]");
  broken = sy_test_stream (strict->port, TOKEN, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (broken->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (broken, 1), "between chunks"));
  sy_test_proc_stop (strict);
  sy_test_proc_free (strict);
}

static void
test_keepalive_then_fallback (void)
{
  SyTestProc *serve = start_serve ("\"keepalive_interval\":0.3,\"first_byte_timeout\":1.5");
  g_autofree char *body = chat_body ("chain", TRUE);
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;
  guint status = 0;

  /* openai stalls: keep-alive comments hold the client while the router waits,
   * then the first-byte timeout moves on (retry stalls too), then to backup. */
  sy_test_mock_faults (mock, "[{\"kind\":\"stall\",\"ms\":5000,\"count\":3}]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  /* The headers went out with the first keep-alive, before anyone answered: they
   * name no provider rather than the wrong one. */
  g_assert_nonnull (soup_message_headers_get_one (headers, "x-switchyard-request-id"));
  g_assert_null (soup_message_headers_get_one (headers, "x-switchyard-provider"));
  /* The usage chunk says who did. */
  {
    const char *usage_chunk = g_ptr_array_index (events, events->len - 2);
    g_autoptr(JsonNode) node = sy_json_parse (usage_chunk, strlen (usage_chunk), NULL);
    g_assert_nonnull (sy_test_json_path (node, "usage.cost"));
    g_assert_cmpstr (sy_test_json_string (node, "provider"), ==, "backup");
  }
  g_assert_cmpuint (sy_test_count_prefix (events, ": keep-alive"), >=, 3);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (events, 0), ":"));
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
  g_assert_cmpuint (sy_test_count_prefix (events, "{\"error\""), ==, 0);

  row = sy_test_only_row (serve, &rows);
  g_assert_cmpstr (row->provider, ==, "backup");
  g_assert_cmpint (row->status, ==, 200);
  sy_test_proc_free (serve);
}

/* Sends @request on a raw connection, reads until @until appears (or headers end
 * when @until is NULL), then closes the connection. */
static void
disconnect_after (guint       port,
                  const char *request,
                  const char *until)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) seen = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", (guint16) port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             request, strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  if (until != NULL)
    {
      while (strstr (seen->str, until) == NULL &&
             (n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                       buffer, sizeof buffer, NULL, NULL)) > 0)
        g_string_append_len (seen, buffer, n);
      g_assert_nonnull (strstr (seen->str, until));
    }
  else
    g_usleep (300 * 1000);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

static char *
raw_chat (guint       port,
          const char *body)
{
  return g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\n"
                          "Host: 127.0.0.1:%u\r\n"
                          "Authorization: Bearer " TOKEN "\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %zu\r\n\r\n%s",
                          port, strlen (body), body);
}

/* Server-side sockets of @port in CLOSE_WAIT: connections whose client left but
 * which the server never closed. */
static guint
close_wait_sockets (guint port)
{
  g_autofree char *table = NULL;
  g_autofree char *local = g_strdup_printf (":%04X", port);
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL));
  lines = g_strsplit (table, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GPtrArray) cols = g_ptr_array_new ();

      for (guint j = 0; fields[j] != NULL; j++)
        if (*fields[j] != '\0')
          g_ptr_array_add (cols, fields[j]);
      /* sl local_address rem_address st … ; 08 is CLOSE_WAIT */
      if (cols->len > 3 && g_str_has_suffix (g_ptr_array_index (cols, 1), local) &&
          g_str_equal (g_ptr_array_index (cols, 3), "08"))
        n++;
    }
  return n;
}

static void
test_client_disconnect (void)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *streamed = chat_body ("openai/gpt-4.1-mini", TRUE);
  g_autofree char *plain = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autofree char *stream_request = raw_chat (serve->port, streamed);
  g_autofree char *plain_request = raw_chat (serve->port, plain);
  g_autoptr(GPtrArray) rows = NULL;

  /* The upstream hangs after its first chunk; the client reads it and leaves. */
  sy_test_mock_faults (mock, "[{\"kind\":\"hang\"},{\"kind\":\"stall\",\"ms\":60000}]");
  disconnect_after (serve->port, stream_request, "data: ");
  disconnect_after (serve->port, plain_request, NULL);
  g_usleep (1500 * 1000);
  /* Both connections were closed on the server side too. */
  g_assert_cmpuint (close_wait_sockets (serve->port), ==, 0);

  sy_test_proc_stop (serve);
  rows = sy_test_history (serve->db_path);
  g_assert_cmpuint (rows->len, ==, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      SyHistoryRecord *row = g_ptr_array_index (rows, i);

      /* Cancelled within a second of the client leaving, not at a timeout. */
      g_assert_cmpint (row->status, ==, 499);
      g_assert_cmpfloat (row->total_ms, <, 1400);
    }
  sy_test_proc_free (serve);
}

static void
test_long_retry_after_falls_back (void)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *body = chat_body ("chain", FALSE);
  g_autoptr(SyTestResponse) response = NULL;
  gint64 t0;

  /* Waiting an hour is no use: the next candidate answers now. */
  sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":429,\"retry_after\":\"3600\"}]");
  t0 = g_get_monotonic_time ();
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (header (response, "x-switchyard-provider"), ==, "backup");
  g_assert_cmpfloat (seconds_since (t0), <, 2);

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_fallback_inside_a_stream_read (void)
{
  const char * const strict_env[] = {
    "OPENAI_API_KEY=sk-test-openai-key", "BACKUP_KEY=sk-test-backup-key",
    "G_DEBUG=fatal-criticals", NULL
  };
  g_autofree char *config = g_strdup_printf (
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\",\"max_retries\":0},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"},"
    "               {\"id\":\"backup\",\"kind\":\"openai\",\"base_url\":\"@MOCK@\",\"key_env\":\"BACKUP_KEY\"}],"
    " \"profiles\":[{\"name\":\"chain\",\"models\":[\"openai/gpt-4.1-mini\",\"backup/gpt-4.1-mini\"]}]}");
  g_autofree char *body = chat_body ("chain", TRUE);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SoupMessageHeaders) headers = NULL;
  SyTestProc *serve;
  SyHistoryRecord *row;
  guint status = 0;

  /* The first event is broken: the next candidate starts while the router is
   * still inside the read that found it. Nothing of the broken stream may leak
   * into the new one, and no GLib critical may fire (fatal here). */
  sy_test_mock_reset (mock);
  serve = sy_test_serve_start (config, mock, strict_env);
  sy_test_mock_faults (mock, "[{\"kind\":\"malformed\",\"after_chunks\":0}]");
  events = sy_test_stream (serve->port, TOKEN, body, &status, &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "x-switchyard-provider"), ==, "backup");
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");
  g_assert_cmpuint (sy_test_count_prefix (events, "{\"error\""), ==, 0);
  g_assert_cmpuint (events->len, ==, 9);

  row = sy_test_only_row (serve, &rows);
  g_assert_cmpint (row->status, ==, 200);
  g_assert_cmpstr (row->provider, ==, "backup");
  sy_test_proc_free (serve);
}

static void
test_redirect_not_followed (void)
{
  SyTestProc *serve = start_serve (NULL);
  g_autofree char *single = chat_body ("openai/gpt-4.1-mini", FALSE);
  g_autofree char *chain = chat_body ("chain", FALSE);
  g_autoptr(SyTestResponse) refused = NULL;
  g_autoptr(SyTestResponse) fell_back = NULL;
  g_autoptr(JsonNode) upstream = NULL;

  /* A provider that redirects is misconfigured: the POST is not replayed as a GET
   * elsewhere, the next candidate answers, and alone it is a clear 502. */
  sy_test_mock_faults (mock, "[{\"kind\":\"status\",\"status\":302,\"location\":\"http://127.0.0.1:9/steal\"},"
                             " {\"kind\":\"status\",\"status\":307,\"location\":\"/v1/other\"}]");
  refused = sy_test_chat (serve->port, TOKEN, single);
  g_assert_cmpuint (refused->status, ==, 502);
  g_assert_nonnull (strstr (sy_test_json_string (refused->json, "error.message"), "not followed"));
  fell_back = sy_test_chat (serve->port, TOKEN, chain);
  g_assert_cmpuint (fell_back->status, ==, 200);
  g_assert_cmpstr (header (fell_back, "x-switchyard-provider"), ==, "backup");

  /* The mock saw three POSTs to the chat route and nothing else. */
  upstream = sy_test_mock_requests (mock);
  g_assert_cmpfloat (sy_test_json_double (upstream, "count"), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *path = g_strdup_printf ("requests.%u.path", i);
      g_assert_cmpstr (sy_test_json_string (upstream, path), ==, "/v1/chat/completions");
    }

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

typedef struct {
  guint           port;
  SyTestResponse *response;
} InFlight;

static gpointer
request_in_thread (gpointer data)
{
  InFlight *flight = data;
  g_autofree char *body = chat_body ("openai/gpt-4.1-mini", FALSE);

  flight->response = sy_test_chat (flight->port, TOKEN, body);
  return NULL;
}

static void
test_stop_with_request_in_flight (void)
{
  SyTestProc *serve = start_serve (NULL);
  InFlight flight = { serve->port, NULL };
  g_autoptr(GThread) thread = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  SyHistoryRecord *row;

  /* SIGTERM while upstream is silent: the client is told, history says so, and
   * serve still exits cleanly. */
  sy_test_mock_faults (mock, "[{\"kind\":\"stall\",\"ms\":20000}]");
  thread = g_thread_new ("client", request_in_thread, &flight);
  g_usleep (400 * 1000);
  row = sy_test_only_row (serve, &rows);
  g_thread_join (g_steal_pointer (&thread));

  g_assert_nonnull (flight.response);
  g_assert_cmpuint (flight.response->status, ==, 503);
  g_assert_nonnull (strstr (sy_test_json_string (flight.response->json, "error.message"), "shutting down"));
  g_assert_cmpint (row->status, ==, 503);
  sy_test_response_free (flight.response);
  sy_test_proc_free (serve);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  mock = sy_test_mock_start (NULL);

  g_test_add_func ("/faults/429-retry-after", test_429_retry_after);
  g_test_add_func ("/faults/5xx-then-fallback", test_5xx_then_fallback);
  g_test_add_func ("/faults/429-exhausted", test_429_exhausted);
  g_test_add_func ("/faults/no-retry-on-client-errors", test_no_retry_on_client_errors);
  g_test_add_func ("/faults/connection-refused", test_connection_refused);
  g_test_add_func ("/faults/stall-before-first-byte", test_stall_before_first_byte);
  g_test_add_func ("/faults/connection-closed", test_connection_closed);
  g_test_add_func ("/faults/not-json-answer", test_not_json_answer);
  g_test_add_func ("/faults/cut-mid-stream", test_cut_mid_stream);
  g_test_add_func ("/faults/malformed-chunk", test_malformed_chunk);
  g_test_add_func ("/faults/slow-drip", test_slow_drip);
  g_test_add_func ("/faults/keepalive-then-fallback", test_keepalive_then_fallback);
  g_test_add_func ("/faults/client-disconnect", test_client_disconnect);
  g_test_add_func ("/faults/long-retry-after-falls-back", test_long_retry_after_falls_back);
  g_test_add_func ("/faults/fallback-inside-a-stream-read", test_fallback_inside_a_stream_read);
  g_test_add_func ("/faults/redirect-not-followed", test_redirect_not_followed);
  g_test_add_func ("/faults/stop-with-request-in-flight", test_stop_with_request_in_flight);

  ret = g_test_run ();

  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return ret;
}
