/* sy-test-util.h — helpers shared by the test programs: temp dirs, child processes, HTTP.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sy-history.h"
#include "sy-keys.h"

G_BEGIN_DECLS

/* Amounts in USD: sums of cents in binary floating point are exact to far
 * better than this. */
#define USD_EPSILON 1e-9
#define assert_usd(got, want) g_assert_cmpfloat_with_epsilon ((got), (want), USD_EPSILON)

/* A range of history that holds everything ([from, to) in µs). */
#define ALL_FROM 0
#define ALL_TO   G_MAXINT64

/* A fresh directory under $TMPDIR, removed by sy_test_rmdir (). */
char *sy_test_mkdtemp (void);
void  sy_test_rmdir   (const char *path);

/* A g_test_add () fixture: a fresh directory and the path of a history.db in it
 * (not created). */
typedef struct {
  char *dir;
  char *path;
} SyTestDbFixture;

void sy_test_db_fixture_setup    (SyTestDbFixture *fixture,
                                  gconstpointer    data);
void sy_test_db_fixture_teardown (SyTestDbFixture *fixture,
                                  gconstpointer    data);

/* A child process that printed "listening on http://127.0.0.1:PORT…". */
typedef struct {
  GSubprocess *process;
  guint        port;
  char        *dir;       /* serve: its temp dir with config.json and history.db */
  char        *db_path;
  char        *config_path;
  char        *log_path;  /* serve: its stderr */
} SyTestProc;

/* Starts tests' mock upstream ($MOCK_UPSTREAM_BIN) with @args (NULL-terminated). */
SyTestProc *sy_test_mock_start  (const char * const *args);

/* Writes @config_json to a temp config.json — "@MOCK@" in it becomes the mock's
 * base URL (http://127.0.0.1:PORT/v1) when @mock is not NULL — and starts
 * `switchyard serve --port 0` on it with @env (KEY=VALUE, NULL-terminated, added to a
 * clean environment without a session bus, so no keyring is consulted). */
SyTestProc *sy_test_serve_start (const char          *config_json,
                                 SyTestProc          *mock,
                                 const char * const  *env);

/* The same, after @seed (may be NULL) wrote what it wants into the history
 * database the router will open (crafted statistics, past spend). */
SyTestProc *sy_test_serve_start_seeded (const char          *config_json,
                                        SyTestProc          *mock,
                                        const char * const  *env,
                                        void               (*seed) (const char *db_path, gpointer data),
                                        gpointer             seed_data);

/* SIGTERM, wait, and check the exit status is 0. */
void        sy_test_proc_stop   (SyTestProc *proc);
/* SIGKILL and wait. */
void        sy_test_proc_kill   (SyTestProc *proc);
void        sy_test_proc_free   (SyTestProc *proc);

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  char               *body;
  gsize               length;
  JsonNode           *json;     /* NULL when the body is not JSON */
} SyTestResponse;

void sy_test_response_free (SyTestResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyTestResponse, sy_test_response_free)

/* One request with libsoup. @token may be NULL (no Authorization); @extra_headers
 * is "Name: value" strings, NULL-terminated, may be NULL. */
SyTestResponse *sy_test_http (guint               port,
                              const char         *method,
                              const char         *path,
                              const char         *token,
                              const char         *content_type,
                              const char         *body,
                              const char * const *extra_headers);

/* POST /v1/chat/completions with the JSON @body and @token. */
SyTestResponse *sy_test_chat (guint       port,
                              const char *token,
                              const char *body);

/* Bytes written verbatim to 127.0.0.1:@port; returns the status line's code and
 * the whole raw response in @raw_out (may be NULL). */
guint sy_test_raw_http (guint        port,
                        const char  *request,
                        gsize        length,
                        char       **raw_out);

/* A streamed chat request: returns the "data:" payloads in order, comment lines
 * (": keep-alive") as they are with their colon, any non-SSE line as is (and the arrival
 * time in µs of each, monotonic, in @times_out if not NULL); @status_out and
 * @headers_out (may be NULL) get the response status and headers. */
GPtrArray *sy_test_stream (guint                port,
                           const char          *token,
                           const char          *body,
                           guint               *status_out,
                           SoupMessageHeaders **headers_out,
                           GArray             **times_out);

/* The same for any streaming route, with @extra_headers ("Name: value", may be
 * NULL); an "event: NAME" line is returned as is, before its data. */
GPtrArray *sy_test_stream_at (guint                port,
                              const char          *path,
                              const char          *token,
                              const char          *body,
                              const char * const  *extra_headers,
                              guint               *status_out,
                              SoupMessageHeaders **headers_out,
                              GArray             **times_out);

/* Mock control: POST /_mock/faults with @faults_json (a JSON array). */
void       sy_test_mock_faults   (SyTestProc *mock,
                                  const char *faults_json);
void       sy_test_mock_reset    (SyTestProc *mock);
/* GET /_mock/requests, parsed. */
JsonNode  *sy_test_mock_requests (SyTestProc *mock);
/* The body of the last request the mock received (asserting there was one). */
JsonNode  *sy_test_mock_last_body (SyTestProc *mock);

/* The JSON member at a dotted path ("usage.cost", "choices.0.message.content"). */
JsonNode   *sy_test_json_path   (JsonNode   *root,
                                 const char *path);
const char *sy_test_json_string (JsonNode   *root,
                                 const char *path);
double      sy_test_json_double (JsonNode   *root,
                                 const char *path);
/* The integer at @path, which must be there. */
gint64      sy_test_json_int    (JsonNode   *root,
                                 const char *path);
/* The length of the array, or the size of the object, at @path (which must be
 * one of them). */
guint       sy_test_json_length (JsonNode   *root,
                                 const char *path);
/* TRUE when @path is there and JSON null. */
gboolean    sy_test_json_is_null (JsonNode  *root,
                                  const char *path);

/* @text parsed with sy_json_parse (), asserting it is JSON. */
JsonNode   *sy_test_json_parse  (const char *text);
/* A node that takes @object's reference. */
JsonNode   *sy_test_json_node_take (JsonObject *object);

/* The history rows (newest first) after the server flushed them. */
GPtrArray  *sy_test_history     (const char *db_path);
/* Stops @serve, which handled one request, and returns its single history row;
 * the rows are in @rows_out, which owns it. */
SyHistoryRecord *sy_test_only_row (SyTestProc  *serve,
                                   GPtrArray  **rows_out);

/* How many of the lines sy_test_stream () returned start with @prefix. */
guint       sy_test_count_prefix (GPtrArray  *events,
                                  const char *prefix);

/* Async results in tests: pass sy_test_got_result with &slot (a NULL GAsyncResult *)
 * as callback and data, then sy_test_wait_result (&slot) runs the thread-default
 * main context until it arrived. */
void          sy_test_got_result  (GObject       *object,
                                   GAsyncResult  *result,
                                   gpointer       slot);
GAsyncResult *sy_test_wait_result (GAsyncResult **slot);

/* Stores or clears a key in the real keyring through SyKeys, asserting success. */
void sy_test_keys_store (SyKeys     *keys,
                         const char *provider_id,
                         const char *secret);
void sy_test_keys_clear (SyKeys     *keys,
                         const char *provider_id);

G_END_DECLS
