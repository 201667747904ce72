/* test-security.c — each security rule of the local endpoint, over real HTTP.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#define G_LOG_DOMAIN "test-security"

#include <signal.h>
#include <string.h>

#include "sy-test-util.h"

#define TOKEN "sy-test-token"
#define CONFIG \
  "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"}," \
  "\"providers\":[{\"id\":\"openai\",\"base_url\":\"@MOCK@\"}]}"
#define CHAT_BODY \
  "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
#define MIB (1024 * 1024)

static SyTestProc *mock;
static SyTestProc *serve;

static const char * const serve_env[] = { "OPENAI_API_KEY=sk-test-security-key", NULL };

/* ------------------------------------------------------------------ helpers */

/* A raw HTTP/1.1 request with exactly @headers ("Name: value\r\n" lines, Host
 * included or not) and Connection: close. */
static guint
raw_request (guint        port,
             const char  *method,
             const char  *path,
             const char  *headers,
             const char  *body,
             char       **raw_out)
{
  g_autofree char *request = NULL;

  if (body != NULL)
    request = g_strdup_printf ("%s %s HTTP/1.1\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                               method, path, headers, strlen (body), body);
  else
    request = g_strdup_printf ("%s %s HTTP/1.1\r\n%sConnection: close\r\n\r\n",
                               method, path, headers);
  return sy_test_raw_http (port, request, strlen (request), raw_out);
}

/* GET @path on the shared serve with @host as the only Host header and the token. */
static guint
get_with_host (const char *path,
               const char *host)
{
  g_autofree char *headers = g_strdup_printf ("Host: %s\r\nAuthorization: Bearer " TOKEN "\r\n", host);

  return raw_request (serve->port, "GET", path, headers, NULL, NULL);
}

/* The JSON body of a raw response, or NULL. */
static JsonNode *
raw_json (const char *raw)
{
  const char *body = raw != NULL ? strstr (raw, "\r\n\r\n") : NULL;

  if (body == NULL)
    return NULL;
  return json_from_string (body + 4, NULL);
}

/* The raw response's header block holds @name (case-insensitive). */
static gboolean
raw_has_header (const char *raw,
                const char *name)
{
  const char *end = strstr (raw, "\r\n\r\n");
  g_autofree char *head = g_ascii_strdown (raw, end != NULL ? end - raw : -1);
  g_autofree char *needle = g_strdup_printf ("\r\n%s:", name);
  g_autofree char *lower = g_ascii_strdown (needle, -1);

  return strstr (head, lower) != NULL;
}

/* {"error":{"message","type","code"}} with a non-empty message; returns the message. */
static const char *
assert_openai_error (JsonNode *json,
                     guint     status)
{
  const char *message = sy_test_json_string (json, "error.message");
  JsonNode *code = sy_test_json_path (json, "error.code");

  g_assert_nonnull (json);
  g_assert_nonnull (message);
  g_assert_cmpuint (message != NULL ? strlen (message) : 0, >, 0);
  g_assert_nonnull (sy_test_json_string (json, "error.type"));
  g_assert_nonnull (code);
  if (code != NULL && JSON_NODE_HOLDS_VALUE (code) && json_node_get_value_type (code) == G_TYPE_INT64)
    g_assert_cmpint (json_node_get_int (code), ==, status);
  /* Not the Anthropic shape. */
  g_assert_null (sy_test_json_path (json, "type"));
  return message;
}

static const char *
assert_anthropic_error (JsonNode   *json,
                        const char *type)
{
  const char *message = sy_test_json_string (json, "error.message");

  g_assert_nonnull (json);
  g_assert_cmpstr (sy_test_json_string (json, "type"), ==, "error");
  g_assert_cmpstr (sy_test_json_string (json, "error.type"), ==, type);
  g_assert_nonnull (message);
  g_assert_null (sy_test_json_path (json, "error.code"));
  return message;
}

static SyTestResponse *
http_with (const char         *method,
           const char         *path,
           const char         *token,
           const char         *content_type,
           const char         *body,
           const char * const *extra_headers)
{
  return sy_test_http (serve->port, method, path, token, content_type, body, extra_headers);
}

static gboolean
server_answers (guint port)
{
  g_autoptr(SyTestResponse) response = sy_test_http (port, "GET", "/health", NULL, NULL, NULL, NULL);

  return response->status == 200;
}

/* ------------------------------------------------------------------ Host */

static void
test_host_forged (void)
{
  g_autofree char *evil = g_strdup_printf ("evil.example:%u", serve->port);
  g_autofree char *raw = NULL;
  g_autofree char *headers = g_strdup_printf ("Host: %s\r\nAuthorization: Bearer " TOKEN "\r\n", evil);
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (raw_request (serve->port, "GET", "/v1/models", headers, NULL, &raw), ==, 403);
  json = raw_json (raw);
  assert_openai_error (json, 403);
  g_assert_cmpuint (get_with_host ("/health", evil), ==, 403);
  g_assert_cmpuint (get_with_host ("/v1/models", "evil.example"), ==, 403);
  /* A rebinding page posts to the chat route too. */
  {
    g_autofree char *post = g_strdup_printf ("Host: %s\r\nAuthorization: Bearer " TOKEN "\r\n"
                                             "Content-Type: application/json\r\n", evil);
    g_assert_cmpuint (raw_request (serve->port, "POST", "/v1/chat/completions", post, CHAT_BODY, NULL),
                      ==, 403);
  }
}

static void
test_host_loopback_names (void)
{
  const char *names[] = { "127.0.0.1", "localhost", "[::1]" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *host = g_strdup_printf ("%s:%u", names[i], serve->port);

      g_test_message ("Host: %s", host);
      g_assert_cmpuint (get_with_host ("/v1/models", host), ==, 200);
      g_assert_cmpuint (get_with_host ("/health", host), ==, 200);
    }
}

static void
test_host_wrong_port (void)
{
  g_autofree char *v4 = g_strdup_printf ("127.0.0.1:%u", serve->port == 1 ? 2 : serve->port - 1);
  g_autofree char *name = g_strdup_printf ("localhost:%u", serve->port + 1);

  g_assert_cmpuint (get_with_host ("/v1/models", v4), ==, 403);
  g_assert_cmpuint (get_with_host ("/v1/models", name), ==, 403);
  /* No port at all is not this endpoint's origin either. */
  g_assert_cmpuint (get_with_host ("/v1/models", "127.0.0.1"), ==, 403);
  g_assert_cmpuint (get_with_host ("/health", "localhost"), ==, 403);
}

static void
test_host_twice (void)
{
  guint port = serve->port;
  g_autofree char *same = g_strdup_printf ("Host: 127.0.0.1:%u\r\nHost: 127.0.0.1:%u\r\n"
                                           "Authorization: Bearer " TOKEN "\r\n", port, port);
  g_autofree char *evil_first = g_strdup_printf ("Host: evil.example:%u\r\nHost: 127.0.0.1:%u\r\n"
                                                 "Authorization: Bearer " TOKEN "\r\n", port, port);
  g_autofree char *evil_last = g_strdup_printf ("Host: 127.0.0.1:%u\r\nHost: evil.example:%u\r\n"
                                                "Authorization: Bearer " TOKEN "\r\n", port, port);

  g_assert_cmpuint (raw_request (port, "GET", "/v1/models", same, NULL, NULL), ==, 400);
  g_assert_cmpuint (raw_request (port, "GET", "/v1/models", evil_first, NULL, NULL), ==, 400);
  g_assert_cmpuint (raw_request (port, "GET", "/v1/models", evil_last, NULL, NULL), ==, 400);
  g_assert_cmpuint (raw_request (port, "GET", "/health", same, NULL, NULL), ==, 400);
}

static void
test_host_missing (void)
{
  guint status;

  status = raw_request (serve->port, "GET", "/v1/models", "Authorization: Bearer " TOKEN "\r\n", NULL, NULL);
  g_assert_true (status == 400 || status == 403);
  status = raw_request (serve->port, "GET", "/health", "", NULL, NULL);
  g_assert_true (status == 400 || status == 403);
  /* An empty Host is no loopback name either. */
  status = raw_request (serve->port, "GET", "/v1/models", "Host: \r\nAuthorization: Bearer " TOKEN "\r\n",
                       NULL, NULL);
  g_assert_true (status == 400 || status == 403);
}

/* ------------------------------------------------------------------ Origin */

static void
test_origin_foreign (void)
{
  const char * const evil[] = { "Origin: http://evil.example", NULL };
  const char * const null_origin[] = { "Origin: null", NULL };
  g_autofree char *other_port = g_strdup_printf ("Origin: http://127.0.0.1:%u", serve->port + 1);
  const char * const wrong_port[] = { other_port, NULL };
  g_autoptr(SyTestResponse) get = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, evil);
  g_autoptr(SyTestResponse) post = http_with ("POST", "/v1/chat/completions", TOKEN,
                                              "application/json", CHAT_BODY, evil);
  g_autoptr(SyTestResponse) health = http_with ("GET", "/health", NULL, NULL, NULL, evil);
  g_autoptr(SyTestResponse) sandboxed = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, null_origin);
  g_autoptr(SyTestResponse) port = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, wrong_port);

  g_assert_cmpuint (get->status, ==, 403);
  assert_openai_error (get->json, 403);
  g_assert_cmpuint (post->status, ==, 403);
  g_assert_cmpuint (health->status, ==, 403);
  g_assert_cmpuint (sandboxed->status, ==, 403);
  g_assert_cmpuint (port->status, ==, 403);
}

static void
test_origin_loopback (void)
{
  g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u", serve->port);
  const char * const headers[] = { origin, "Sec-Fetch-Site: same-origin", NULL };
  g_autoptr(SyTestResponse) get = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, headers);
  g_autoptr(SyTestResponse) post = http_with ("POST", "/v1/chat/completions", TOKEN,
                                              "application/json", CHAT_BODY, headers);

  g_assert_cmpuint (get->status, ==, 200);
  g_assert_cmpuint (post->status, ==, 200);
  g_assert_null (soup_message_headers_get_one (get->headers, "Access-Control-Allow-Origin"));
  g_assert_null (soup_message_headers_get_one (post->headers, "Access-Control-Allow-Origin"));
}

static void
test_sec_fetch_site (void)
{
  const char * const cross[] = { "Sec-Fetch-Site: cross-site", NULL };
  const char * const none[] = { "Sec-Fetch-Site: none", NULL };
  g_autoptr(SyTestResponse) get = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, cross);
  g_autoptr(SyTestResponse) post = http_with ("POST", "/v1/chat/completions", TOKEN,
                                              "application/json", CHAT_BODY, cross);
  g_autoptr(SyTestResponse) typed = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, none);

  g_assert_cmpuint (get->status, ==, 403);
  assert_openai_error (get->json, 403);
  g_assert_cmpuint (post->status, ==, 403);
  /* A URL typed in the address bar is not cross-site. */
  g_assert_cmpuint (typed->status, ==, 200);
}

static void
test_no_cors_header (void)
{
  g_autofree char *origin = g_strdup_printf ("Origin: http://127.0.0.1:%u\r\n", serve->port);
  g_autofree char *preflight = g_strdup_printf ("Host: 127.0.0.1:%u\r\n%s"
                                                "Access-Control-Request-Method: POST\r\n"
                                                "Access-Control-Request-Headers: authorization, content-type\r\n",
                                                serve->port, origin);
  g_autofree char *evil = g_strdup_printf ("Host: 127.0.0.1:%u\r\nOrigin: http://evil.example\r\n"
                                           "Access-Control-Request-Method: POST\r\n", serve->port);
  g_autofree char *raw = NULL;
  g_autofree char *raw_evil = NULL;
  g_autofree char *raw_models = NULL;
  g_autofree char *models = g_strdup_printf ("Host: 127.0.0.1:%u\r\n%sAuthorization: Bearer " TOKEN "\r\n",
                                             serve->port, origin);
  guint status;

  status = raw_request (serve->port, "OPTIONS", "/v1/chat/completions", preflight, NULL, &raw);
  g_assert_cmpuint (status, !=, 0);
  g_assert_false (raw_has_header (raw, "Access-Control-Allow-Origin"));
  g_assert_false (raw_has_header (raw, "Access-Control-Allow-Methods"));

  status = raw_request (serve->port, "OPTIONS", "/v1/chat/completions", evil, NULL, &raw_evil);
  g_assert_cmpuint (status, ==, 403);
  g_assert_false (raw_has_header (raw_evil, "Access-Control-Allow-Origin"));

  g_assert_cmpuint (raw_request (serve->port, "GET", "/v1/models", models, NULL, &raw_models), ==, 200);
  g_assert_false (raw_has_header (raw_models, "Access-Control-Allow-Origin"));
}

/* ------------------------------------------------------------------ token */

static void
test_token_missing (void)
{
  g_autoptr(SyTestResponse) models = http_with ("GET", "/v1/models", NULL, NULL, NULL, NULL);
  g_autoptr(SyTestResponse) chat = sy_test_chat (serve->port, NULL, CHAT_BODY);
  const char *message;

  g_assert_cmpuint (models->status, ==, 401);
  message = assert_openai_error (models->json, 401);
  g_assert_cmpstr (sy_test_json_string (models->json, "error.type"), ==, "authentication_error");
  /* It says how to authenticate, and never echoes the token. */
  g_assert_nonnull (message != NULL ? strstr (message, "Authorization") : NULL);
  g_assert_null (strstr (models->body, TOKEN));
  g_assert_cmpuint (chat->status, ==, 401);
  assert_openai_error (chat->json, 401);
}

static void
test_token_wrong (void)
{
  const char *wrong[] = { "wrong", "sy-test-toke", "sy-test-tokenX", "SY-TEST-TOKEN", "s", "" };

  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autofree char *header = g_strdup_printf ("Authorization: Bearer %s", wrong[i]);
      g_autofree char *api_key = g_strdup_printf ("x-api-key: %s", wrong[i]);
      const char * const bearer_headers[] = { header, NULL };
      const char * const key_headers[] = { api_key, NULL };
      g_autoptr(SyTestResponse) bearer = http_with ("GET", "/v1/models", NULL, NULL, NULL, bearer_headers);
      g_autoptr(SyTestResponse) key = http_with ("GET", "/v1/models", NULL, NULL, NULL, key_headers);
      g_autoptr(SyTestResponse) chat = sy_test_chat (serve->port, wrong[i], CHAT_BODY);

      g_test_message ("token '%s'", wrong[i]);
      g_assert_cmpuint (bearer->status, ==, 401);
      assert_openai_error (bearer->json, 401);
      g_assert_cmpuint (key->status, ==, 401);
      g_assert_cmpuint (chat->status, ==, 401);
    }

  /* Another scheme carrying the token is not a Bearer token. */
  {
    const char * const basic[] = { "Authorization: Basic " TOKEN, NULL };
    g_autoptr(SyTestResponse) response = http_with ("GET", "/v1/models", NULL, NULL, NULL, basic);

    g_assert_cmpuint (response->status, ==, 401);
  }
}

static void
test_token_accepted (void)
{
  const char * const api_key[] = { "x-api-key: " TOKEN, NULL };
  g_autoptr(SyTestResponse) bearer = http_with ("GET", "/v1/models", TOKEN, NULL, NULL, NULL);
  g_autoptr(SyTestResponse) key = http_with ("GET", "/v1/models", NULL, NULL, NULL, api_key);
  g_autoptr(SyTestResponse) chat_bearer = sy_test_chat (serve->port, TOKEN, CHAT_BODY);
  g_autoptr(SyTestResponse) chat_key = http_with ("POST", "/v1/chat/completions", NULL,
                                                  "application/json", CHAT_BODY, api_key);

  g_assert_cmpuint (bearer->status, ==, 200);
  g_assert_cmpstr (sy_test_json_string (bearer->json, "object"), ==, "list");
  g_assert_cmpuint (key->status, ==, 200);
  g_assert_cmpuint (chat_bearer->status, ==, 200);
  g_assert_nonnull (sy_test_json_string (chat_bearer->json, "choices.0.message.content"));
  g_assert_cmpuint (chat_key->status, ==, 200);
}

static void
test_health_open (void)
{
  g_autoptr(SyTestResponse) health = http_with ("GET", "/health", NULL, NULL, NULL, NULL);
  JsonObject *object;

  g_assert_cmpuint (health->status, ==, 200);
  g_assert_nonnull (health->json);
  g_assert_true (health->json != NULL && JSON_NODE_HOLDS_OBJECT (health->json));
  if (health->json == NULL || !JSON_NODE_HOLDS_OBJECT (health->json))
    return;
  object = json_node_get_object (health->json);
  /* No data: no version, no providers, no counts, no token. */
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  g_assert_nonnull (sy_test_json_string (health->json, "status"));
  g_assert_null (strstr (health->body, TOKEN));
  g_assert_null (strstr (health->body, "openai"));
  g_assert_null (strstr (health->body, "127.0.0.1"));
}

/* Spellings of a /v1 path that the router may map onto a /v1 handler must not skip
 * the token check. */
static void
test_token_path_variants (void)
{
  const char *paths[] = {
    "/health/../v1/models", "/./v1/models", "/%76%31/models", "/v1/%6dodels",
    "/v1//models", "/x/../v1/chat/completions",
  };
  g_autofree char *host = g_strdup_printf ("Host: 127.0.0.1:%u\r\n", serve->port);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *raw = NULL;
      guint status = raw_request (serve->port, "GET", paths[i], host, NULL, &raw);

      g_test_message ("GET %s without a token -> %u", paths[i], status);
      g_assert_cmpuint (status, !=, 200);
      g_assert_cmpuint (status, !=, 405);
      g_assert_null (strstr (raw, "\"object\":\"list\""));
    }
}

/* ------------------------------------------------------------------ Content-Type */

static void
test_content_type (void)
{
  g_autoptr(SyTestResponse) plain = http_with ("POST", "/v1/chat/completions", TOKEN,
                                               "text/plain", CHAT_BODY, NULL);
  g_autoptr(SyTestResponse) form = http_with ("POST", "/v1/chat/completions", TOKEN,
                                              "application/x-www-form-urlencoded", CHAT_BODY, NULL);
  g_autoptr(SyTestResponse) charset = http_with ("POST", "/v1/chat/completions", TOKEN,
                                                 "application/json; charset=utf-8", CHAT_BODY, NULL);
  g_autofree char *headers = g_strdup_printf ("Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n",
                                              serve->port);
  g_autofree char *raw = NULL;
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (plain->status, ==, 415);
  assert_openai_error (plain->json, 415);
  g_assert_cmpuint (form->status, ==, 415);
  g_assert_cmpuint (raw_request (serve->port, "POST", "/v1/chat/completions", headers, CHAT_BODY, &raw),
                    ==, 415);
  json = raw_json (raw);
  assert_openai_error (json, 415);
  g_assert_cmpuint (charset->status, ==, 200);
}

/* ------------------------------------------------------------------ nesting */

static char *
nested (const char *open,
        const char *middle,
        const char *close,
        guint       levels)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < levels; i++)
    g_string_append (text, open);
  g_string_append (text, middle);
  for (guint i = 0; close != NULL && i < levels; i++)
    g_string_append (text, close);
  return g_string_free (text, FALSE);
}

static void
test_nesting (void)
{
  g_autofree char *brackets = nested ("[", "", NULL, 5000);
  g_autofree char *objects = nested ("{\"a\":", "1", "}", 600);
  g_autofree char *shallow = nested ("{\"a\":", "1", "}", 400);
  g_autoptr(SyTestResponse) deep = sy_test_chat (serve->port, TOKEN, brackets);
  g_autoptr(SyTestResponse) deep_objects = sy_test_chat (serve->port, TOKEN, objects);
  g_autoptr(SyTestResponse) ok_depth = sy_test_chat (serve->port, TOKEN, shallow);
  const char *message;

  g_assert_cmpuint (deep->status, ==, 400);
  message = assert_openai_error (deep->json, 400);
  g_assert_nonnull (message != NULL ? strstr (message, "nests deeper than 512") : NULL);
  g_assert_true (server_answers (serve->port));

  g_assert_cmpuint (deep_objects->status, ==, 400);
  message = assert_openai_error (deep_objects->json, 400);
  g_assert_nonnull (message != NULL ? strstr (message, "nests deeper than 512") : NULL);

  /* 400 levels pass the depth check and json-glib; validation then wants a model. */
  g_assert_cmpuint (ok_depth->status, ==, 400);
  message = assert_openai_error (ok_depth->json, 400);
  g_assert_null (message != NULL ? strstr (message, "nests deeper") : "x");
  g_assert_nonnull (message != NULL ? strstr (message, "\"model\" is required") : NULL);
  g_assert_true (server_answers (serve->port));
}

/* Brackets inside strings are no nesting: a long "[[[[" text is a valid request. */
static void
test_nesting_in_strings (void)
{
  g_autofree char *text = nested ("[{", "", NULL, 3000);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"openai/gpt-4.1-mini\",\"messages\":"
                                           "[{\"role\":\"user\",\"content\":\"\\\"%s\"}]}", text);
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, body);

  g_assert_cmpuint (response->status, ==, 200);
}

/* json-glib 1.6 also reads 'single-quoted' strings and comments: a '"' or a comment
 * holding '"' must not hide the brackets after it from the depth check, or
 * json-glib recurses a million levels and the server dies. Run on a serve of its
 * own so a crash does not take the other tests with it. */
static void
test_nesting_disguised (void)
{
  const char *prefixes[] = { "['\"',", "[/*\"*/" };
  const char *suffixes[] = { ",'\"']", "/*\"*/]" };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      SyTestProc *own = sy_test_serve_start (CONFIG, mock, serve_env);
      g_autofree char *inner = nested ("[", "", "]", 1000000);
      g_autofree char *body = g_strconcat (prefixes[i], inner, suffixes[i], NULL);
      g_autofree char *headers = g_strdup_printf ("Host: 127.0.0.1:%u\r\nAuthorization: Bearer " TOKEN "\r\n"
                                                  "Content-Type: application/json\r\n", own->port);
      g_autofree char *raw = NULL;
      guint status;

      status = raw_request (own->port, "POST", "/v1/chat/completions", headers, body, &raw);
      g_test_message ("%s…%s (2 MB) -> %u", prefixes[i], suffixes[i], status);
      g_assert_cmpuint (status, ==, 400);
      if (status == 400)
        {
          g_assert_true (server_answers (own->port));
          sy_test_proc_stop (own);
        }
      else
        sy_test_proc_kill (own);
      sy_test_proc_free (own);
    }
}

/* ------------------------------------------------------------------ body size */

typedef struct {
  guint  status;
  gsize  total;        /* bytes we meant to send */
  gsize  sent;         /* bytes written in all */
  gsize  sent_at_answer;
  char  *raw;
} Streamed;

/* Sends @head then @body_len bytes of body (zeros; in 1 MiB chunks with chunked
 * framing if @chunked) without blocking, reading at the same time: the server may
 * answer (and close) before it read everything. */
static Streamed
stream_request (guint       port,
                const char *head,
                gsize       body_len,
                gboolean    chunked)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GBytes) zeros = g_bytes_new_take (g_malloc0 (MIB), MIB);
  gint64 deadline = g_get_monotonic_time () + 45 * G_USEC_PER_SEC;
  Streamed result = { 0, };
  guint piece = 0;
  gsize offset = 0;
  gboolean can_send = TRUE;
  gboolean eof = FALSE;

  g_assert_no_error (error);
  g_ptr_array_add (pieces, g_bytes_new (head, strlen (head)));
  for (gsize left = body_len; left > 0;)
    {
      gsize n = MIN (left, (gsize) MIB);

      if (chunked)
        {
          g_autofree char *size = g_strdup_printf ("%zx\r\n", n);
          g_ptr_array_add (pieces, g_bytes_new (size, strlen (size)));
        }
      g_ptr_array_add (pieces, g_bytes_new_from_bytes (zeros, 0, n));
      if (chunked)
        g_ptr_array_add (pieces, g_bytes_new_static ("\r\n", 2));
      left -= n;
    }
  if (chunked)
    g_ptr_array_add (pieces, g_bytes_new_static ("0\r\n\r\n", 5));
  for (guint i = 0; i < pieces->len; i++)
    result.total += g_bytes_get_size (g_ptr_array_index (pieces, i));

  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);

  while (!eof && g_get_monotonic_time () < deadline)
    {
      GIOCondition want = G_IO_IN | G_IO_HUP | G_IO_ERR | (can_send ? G_IO_OUT : 0);
      GIOCondition ready;

      g_socket_condition_timed_wait (socket, want, G_USEC_PER_SEC, NULL, NULL);
      ready = g_socket_condition_check (socket, want);

      if (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR))
        {
          char buffer[65536];
          g_autoptr(GError) receive_error = NULL;
          gssize n = g_socket_receive (socket, buffer, sizeof buffer, NULL, &receive_error);

          if (n > 0)
            {
              if (raw->len == 0)
                result.sent_at_answer = result.sent;
              g_byte_array_append (raw, (guint8 *) buffer, (guint) n);
            }
          else if (n == 0 || !g_error_matches (receive_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            eof = TRUE;  /* closed, or reset after the server stopped reading */
        }

      if (can_send && (ready & G_IO_OUT))
        {
          GBytes *bytes = g_ptr_array_index (pieces, piece);
          gsize size;
          const char *data = g_bytes_get_data (bytes, &size);
          g_autoptr(GError) send_error = NULL;
          gssize n = g_socket_send (socket, data + offset, MIN (size - offset, (gsize) 65536),
                                    NULL, &send_error);

          if (n > 0)
            {
              result.sent += (gsize) n;
              offset += (gsize) n;
              if (offset == size)
                {
                  offset = 0;
                  if (++piece == pieces->len)
                    can_send = FALSE;
                }
            }
          else if (!g_error_matches (send_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            can_send = FALSE;  /* the server closed: what it said is still to be read */
        }
    }

  g_byte_array_append (raw, (const guint8 *) "", 1);
  result.raw = g_strdup ((const char *) raw->data);
  if (raw->len > 12 && g_str_has_prefix (result.raw, "HTTP/1."))
    result.status = (guint) g_ascii_strtoull (result.raw + 9, NULL, 10);
  return result;
}

static void
test_body_too_large_declared (void)
{
  gsize length = 40 * MIB;
  g_autofree char *head = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                           "Authorization: Bearer " TOKEN "\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                           serve->port, length);
  Streamed result = stream_request (serve->port, head, length, FALSE);
  g_autoptr(JsonNode) json = raw_json (result.raw);

  g_test_message ("40 MiB with Content-Length: %u after %zu of %zu bytes sent (answered %s)",
                  result.status, result.sent_at_answer, result.total,
                  result.sent_at_answer < result.total ? "early" : "after the whole body");
  g_assert_cmpuint (result.status, ==, 413);
  g_assert_cmpuint (result.sent_at_answer, <, result.total);
  assert_openai_error (json, 413);
  g_free (result.raw);
  g_assert_true (server_answers (serve->port));
}

static void
test_body_too_large_chunked (void)
{
  gsize length = 33 * MIB;
  g_autofree char *head = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                           "Authorization: Bearer " TOKEN "\r\n"
                                           "Content-Type: application/json\r\n"
                                           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
                                           serve->port);
  Streamed result = stream_request (serve->port, head, length, TRUE);
  g_autoptr(JsonNode) json = raw_json (result.raw);

  g_test_message ("33 MiB chunked: %u after %zu of %zu bytes sent", result.status,
                  result.sent_at_answer, result.total);
  g_assert_cmpuint (result.status, ==, 413);
  assert_openai_error (json, 413);
  g_free (result.raw);
  g_assert_true (server_answers (serve->port));
}

/* The peak resident memory of @proc, in bytes. */
static gsize
peak_rss (SyTestProc *proc)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (proc->process));
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = status != NULL ? strstr (status, "VmHWM:") : NULL;
  g_assert_nonnull (line);
  return line != NULL ? (gsize) g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10) * 1024 : 0;
}

/* A rejected body is not kept in memory: 256 MiB sent with Content-Length or chunked
 * may not grow the server by anything near that (a 10 GB upload would else take the
 * machine's memory). On a serve of its own so its peak memory is ours alone. */
static void
test_body_not_buffered (void)
{
  gsize length = 256 * MIB;

  for (guint chunked = 0; chunked <= 1; chunked++)
    {
      SyTestProc *own = sy_test_serve_start (CONFIG, mock, serve_env);
      g_autofree char *framing = chunked ? g_strdup ("Transfer-Encoding: chunked")
                                         : g_strdup_printf ("Content-Length: %zu", length);
      g_autofree char *head = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                               "Authorization: Bearer " TOKEN "\r\n"
                                               "Content-Type: application/json\r\n"
                                               "%s\r\nConnection: close\r\n\r\n", own->port, framing);
      gsize before;
      gsize after;
      Streamed result;

      g_assert_true (server_answers (own->port));
      before = peak_rss (own);
      result = stream_request (own->port, head, length, chunked);
      after = peak_rss (own);
      g_test_message ("%s 256 MiB: %u after %zu of %zu bytes; peak RSS %zu -> %zu KiB",
                      framing, result.status, result.sent_at_answer, result.total,
                      before / 1024, after / 1024);
      g_assert_cmpuint (result.status, ==, 413);
      /* Answered while the body was still coming, with either framing. */
      g_assert_cmpuint (result.sent_at_answer, <, result.total / 2);
#if defined (__SANITIZE_ADDRESS__)
      /* ASan's quarantine keeps freed chunks resident: peak memory says nothing here. */
      (void) after;
#else
      g_assert_cmpuint (after - before, <, 96 * MIB);
#endif
      g_free (result.raw);
      sy_test_proc_stop (own);
      sy_test_proc_free (own);
    }
}

static void
test_body_one_mib (void)
{
  g_autofree char *text = g_strnfill (MIB, 'a');
  g_autofree char *body = g_strdup_printf ("{\"model\":\"openai/gpt-4.1-mini\",\"messages\":"
                                           "[{\"role\":\"user\",\"content\":\"%s\"}]}", text);
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, body);

  g_assert_cmpuint (response->status, !=, 413);
  g_assert_cmpuint (response->status, ==, 200);
}

/* ------------------------------------------------------------------ validation */

static void
test_bad_requests (void)
{
  const struct {
    const char *body;
    const char *says;
  } cases[] = {
    { "{\"model\":", "Invalid JSON" },
    { "not json", "Invalid JSON" },
    { "", NULL },
    { "[1,2]", "JSON object" },
    { "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "\"model\"" },
    { "{\"model\":42,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "\"model\"" },
    { "{\"model\":\"openai/gpt-4.1-mini\"}", "\"messages\"" },
    { "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[]}", "\"messages\"" },
    { "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":\"hi\"}", "\"messages\"" },
    { "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
      "\"stream\":\"yes\"}", "\"stream\"" },
  };

  sy_test_mock_reset (mock);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, cases[i].body);
      const char *message;

      g_test_message ("body %s -> %u %s", cases[i].body, response->status, response->body);
      g_assert_cmpuint (response->status, ==, 400);
      message = assert_openai_error (response->json, 400);
      g_assert_cmpstr (sy_test_json_string (response->json, "error.type"), ==, "invalid_request_error");
      if (cases[i].says != NULL)
        g_assert_nonnull (message != NULL ? strstr (message, cases[i].says) : NULL);
    }

  /* None of them reached the provider. */
  {
    g_autoptr(JsonNode) requests = sy_test_mock_requests (mock);
    g_assert_cmpint ((gint) sy_test_json_double (requests, "count"), ==, 0);
  }
}

static void
test_anthropic_shape (void)
{
  const char * const wrong[] = { "x-api-key: wrong", "anthropic-version: 2023-06-01", NULL };
  const char * const evil[] = { "x-api-key: " TOKEN, "Origin: http://evil.example", NULL };
  g_autoptr(SyTestResponse) unauthorized = http_with ("POST", "/v1/messages", NULL, "application/json",
                                                      "{\"model\":\"x\",\"max_tokens\":1,\"messages\":[]}",
                                                      wrong);
  g_autoptr(SyTestResponse) cross = http_with ("POST", "/v1/messages", NULL, "application/json",
                                               "{}", evil);
  g_autofree char *forged = g_strdup_printf ("Host: evil.example:%u\r\nx-api-key: " TOKEN "\r\n"
                                             "Content-Type: application/json\r\n", serve->port);
  g_autofree char *raw = NULL;
  g_autoptr(JsonNode) json = NULL;

  g_assert_cmpuint (unauthorized->status, ==, 401);
  assert_anthropic_error (unauthorized->json, "authentication_error");
  g_assert_cmpuint (cross->status, ==, 403);
  assert_anthropic_error (cross->json, "permission_error");
  g_assert_cmpuint (raw_request (serve->port, "POST", "/v1/messages", forged, "{}", &raw), ==, 403);
  json = raw_json (raw);
  assert_anthropic_error (json, "permission_error");

  /* Same guards on the OpenAI path answer in the OpenAI shape. */
  {
    const char * const openai_wrong[] = { "x-api-key: wrong", NULL };
    g_autoptr(SyTestResponse) openai = http_with ("POST", "/v1/chat/completions", NULL, "application/json",
                                                  CHAT_BODY, openai_wrong);
    g_assert_cmpuint (openai->status, ==, 401);
    assert_openai_error (openai->json, 401);
  }
}

/* ------------------------------------------------------------------ upstream URLs */

static void
test_body_urls_ignored (void)
{
  const char *body =
    "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
    "\"base_url\":\"http://127.0.0.1:1/v1\",\"api_base\":\"http://127.0.0.1:1\"}";
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(JsonNode) requests = NULL;
  JsonNode *list;
  JsonNode *last = NULL;
  JsonNode *sent;

  sy_test_mock_reset (mock);
  response = sy_test_chat (serve->port, TOKEN, body);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "x-switchyard-provider"), ==, "openai");

  requests = sy_test_mock_requests (mock);
  g_assert_cmpint ((gint) sy_test_json_double (requests, "count"), ==, 1);
  list = sy_test_json_path (requests, "requests");
  g_assert_true (list != NULL && JSON_NODE_HOLDS_ARRAY (list));
  if (list != NULL && JSON_NODE_HOLDS_ARRAY (list) && json_array_get_length (json_node_get_array (list)) > 0)
    {
      JsonArray *array = json_node_get_array (list);
      last = json_array_get_element (array, json_array_get_length (array) - 1);
    }
  g_assert_nonnull (last);
  sent = sy_test_json_path (last, "body");
  g_assert_true (sent != NULL && JSON_NODE_HOLDS_OBJECT (sent));
  if (sent == NULL || !JSON_NODE_HOLDS_OBJECT (sent))
    return;
  g_assert_cmpstr (sy_test_json_string (last, "path"), ==, "/v1/chat/completions");
  g_assert_false (json_object_has_member (json_node_get_object (sent), "base_url"));
  g_assert_false (json_object_has_member (json_node_get_object (sent), "api_base"));
  g_assert_cmpstr (sy_test_json_string (sent, "model"), ==, "gpt-4.1-mini");
}

/* ------------------------------------------------------------------ loopback */

/* The local addresses (hex as in /proc/net/tcp*) of sockets listening on @port. */
static GPtrArray *
listening_addresses (const char *table,
                     guint       port)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *suffix = g_strdup_printf (":%04X", port);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (table, &contents, NULL, NULL))
    return found;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (g_strstrip (lines[i]), " ", -1);
      g_autoptr(GPtrArray) words = g_ptr_array_new ();

      for (guint j = 0; fields[j] != NULL; j++)
        if (*fields[j] != '\0')
          g_ptr_array_add (words, fields[j]);
      /* sl local_address rem_address st … ; st 0A is LISTEN */
      if (words->len < 4 || !g_str_equal (g_ptr_array_index (words, 3), "0A"))
        continue;
      if (g_str_has_suffix (g_ptr_array_index (words, 1), suffix))
        {
          const char *local = g_ptr_array_index (words, 1);
          g_ptr_array_add (found, g_strndup (local, strlen (local) - strlen (suffix)));
        }
    }
  return found;
}

static void
test_loopback_only (void)
{
  g_autoptr(GPtrArray) v4 = listening_addresses ("/proc/net/tcp", serve->port);
  g_autoptr(GPtrArray) v6 = listening_addresses ("/proc/net/tcp6", serve->port);

  g_assert_cmpuint (v4->len, >=, 1);
  for (guint i = 0; i < v4->len; i++)
    {
      g_test_message ("tcp listening on %s", (char *) g_ptr_array_index (v4, i));
      g_assert_cmpstr (g_ptr_array_index (v4, i), ==, "0100007F");
    }
  for (guint i = 0; i < v6->len; i++)
    {
      g_test_message ("tcp6 listening on %s", (char *) g_ptr_array_index (v6, i));
      g_assert_cmpstr (g_ptr_array_index (v6, i), ==, "00000000000000000000000001000000");
    }
  /* Not reachable on another local address either. */
  {
    g_autoptr(GSocketClient) client = g_socket_client_new ();
    g_autoptr(GSocketConnection) connection = NULL;
    g_autoptr(GError) error = NULL;
    const char *others[] = { "127.0.0.2" };

    g_socket_client_set_timeout (client, 2);
    for (guint i = 0; i < G_N_ELEMENTS (others); i++)
      {
        g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (others[i]);
        g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, (guint16) serve->port);

        g_clear_error (&error);
        g_clear_object (&connection);
        connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
        g_test_message ("connect %s:%u -> %s", others[i], serve->port,
                        error != NULL ? error->message : "connected");
        g_assert_null (connection);
      }
  }
}

/* ------------------------------------------------------------------ routes */

static void
test_routes (void)
{
  g_autoptr(SyTestResponse) unknown = http_with ("GET", "/v1/nope", TOKEN, NULL, NULL, NULL);
  g_autoptr(SyTestResponse) root = http_with ("GET", "/", NULL, NULL, NULL, NULL);
  g_autoptr(SyTestResponse) get_chat = http_with ("GET", "/v1/chat/completions", TOKEN, NULL, NULL, NULL);
  g_autoptr(SyTestResponse) get_chat_anon = http_with ("GET", "/v1/chat/completions", NULL, NULL, NULL, NULL);

  g_assert_cmpuint (unknown->status, ==, 404);
  assert_openai_error (unknown->json, 404);
  g_assert_cmpuint (root->status, ==, 404);
  assert_openai_error (root->json, 404);
  g_assert_cmpuint (get_chat->status, ==, 405);
  assert_openai_error (get_chat->json, 405);
  g_assert_cmpstr (soup_message_headers_get_one (get_chat->headers, "Allow"), ==, "POST");
  /* The token comes before the route's method check. */
  g_assert_cmpuint (get_chat_anon->status, ==, 401);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  mock = sy_test_mock_start (NULL);
  serve = sy_test_serve_start (CONFIG, mock, serve_env);

  g_test_add_func ("/security/host/forged", test_host_forged);
  g_test_add_func ("/security/host/loopback-names", test_host_loopback_names);
  g_test_add_func ("/security/host/wrong-port", test_host_wrong_port);
  g_test_add_func ("/security/host/twice", test_host_twice);
  g_test_add_func ("/security/host/missing", test_host_missing);
  g_test_add_func ("/security/origin/foreign", test_origin_foreign);
  g_test_add_func ("/security/origin/loopback", test_origin_loopback);
  g_test_add_func ("/security/origin/sec-fetch-site", test_sec_fetch_site);
  g_test_add_func ("/security/origin/no-cors-header", test_no_cors_header);
  g_test_add_func ("/security/token/missing", test_token_missing);
  g_test_add_func ("/security/token/wrong", test_token_wrong);
  g_test_add_func ("/security/token/accepted", test_token_accepted);
  g_test_add_func ("/security/token/health-open", test_health_open);
  g_test_add_func ("/security/token/path-variants", test_token_path_variants);
  g_test_add_func ("/security/content-type", test_content_type);
  g_test_add_func ("/security/nesting/limit", test_nesting);
  g_test_add_func ("/security/nesting/in-strings", test_nesting_in_strings);
  g_test_add_func ("/security/nesting/disguised", test_nesting_disguised);
  g_test_add_func ("/security/body/too-large-declared", test_body_too_large_declared);
  g_test_add_func ("/security/body/too-large-chunked", test_body_too_large_chunked);
  g_test_add_func ("/security/body/not-buffered", test_body_not_buffered);
  g_test_add_func ("/security/body/one-mib", test_body_one_mib);
  g_test_add_func ("/security/validation/openai-shape", test_bad_requests);
  g_test_add_func ("/security/validation/anthropic-shape", test_anthropic_shape);
  g_test_add_func ("/security/upstream/body-urls-ignored", test_body_urls_ignored);
  g_test_add_func ("/security/loopback-only", test_loopback_only);
  g_test_add_func ("/security/routes", test_routes);

  /* Report every broken rule, not only the first; set-up failures above stay fatal. */
  g_test_set_nonfatal_assertions ();
  status = g_test_run ();

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
