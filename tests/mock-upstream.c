/* mock-upstream.c — a stand-in OpenAI, Anthropic and Gemini provider for tests and benchmarks.
 * Streams deterministic answers with controllable timing and injects faults on demand.
 *
 * Routes: POST /v1/chat/completions and GET /v1/models (OpenAI Chat Completions);
 * POST /v1/messages (Anthropic Messages: x-api-key and anthropic-version required);
 * POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse, also
 * under /v1/models/ (Gemini: x-goog-api-key required, a "key" query parameter refused).
 * Model lists, as a "Test" button asks for them: GET /v1/models in OpenAI's shape
 * (Authorization: Bearer), in Anthropic's when x-api-key or anthropic-version is sent,
 * in Gemini's when x-goog-api-key is; GET /v1beta/models in Gemini's. Each refuses a
 * request without a key, and a key starting with "invalid", with its provider's error.
 * --keyless plays a local server (Ollama, LM Studio): OpenAI routes need no key.
 * Every format answers the same words ("Hello", " from", " mock.", " w1", …, --chunks of
 * them), a tool call with arguments {"city":"Paris"} when tools are offered and either
 * forced or asked for with "call tool" in the last user message, and the text
 * {"city":"Paris"} in JSON mode (OpenAI response_format, Gemini responseMimeType).
 *
 * Faults come from an x-mock-fault header or the POST /_mock/faults queue, as
 * {"kind": …} objects: status (status, retry_after, location, body), stall (ms), cut
 * (after_chunks), malformed (after_chunks), drip (delay_ms), close, hang, and
 * error_event (after_chunks: an in-stream error in the format's own shape). Errors use
 * each format's own body shape. GET /_mock/requests lists the requests with their
 * headers (and query string, when there is one); POST /_mock/reset clears everything.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "mock-upstream"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define MAX_LOGGED_REQUESTS 200
#define TOOL_ARGUMENTS "{\"city\":\"Paris\"}"

/* How OpenAI tokenizes the arguments when it streams them. */
static const char * const tool_argument_fragments[] = { "{\"", "city", "\":\"", "Paris", "\"}" };

typedef enum {
  FAULT_NONE,
  FAULT_STATUS,
  FAULT_STALL,
  FAULT_CUT,
  FAULT_MALFORMED,
  FAULT_DRIP,
  FAULT_CLOSE,
  FAULT_HANG,
  FAULT_ERROR_EVENT,
} FaultKind;

typedef enum {
  FORMAT_OPENAI,
  FORMAT_ANTHROPIC,
  FORMAT_GEMINI,
} Format;

typedef struct {
  FaultKind kind;
  guint     status;
  char     *retry_after;
  char     *location;     /* "status" faults: a Location header (redirects) */
  char     *body;          /* sent instead of the default error body */
  guint     ms;
  guint     after_chunks;
  guint     delay_ms;
  guint     count;
} Fault;

typedef struct {
  /* options */
  guint       chunks;
  guint       chunk_delay_ms;
  gboolean    keyless;

  /* owned references */
  SoupServer *server;
  GMainLoop  *loop;
  GTlsCertificate *tls;    /* --tls-cert/--tls-key: serve HTTPS */
  GQueue      faults;      /* Fault * */
  GQueue      requests;    /* JsonNode * */
  GHashTable *active;      /* Chat * set */

  /* state */
  guint64     next_id;
  guint       requests_since_reset;
} Mock;

typedef struct {
  Mock              *mock;
  SoupServerMessage *msg;
  JsonNode          *root;
  Fault              fault;
  guint64            id;
  Format             format;
  gboolean           key_in_query; /* Gemini: a "key" query parameter */

  /* the answer */
  char              *model;
  char              *chunk_prefix; /* OpenAI */
  char              *tool_name;    /* NULL for a text answer */
  gint64             created;
  guint              prompt_tokens;
  guint              n_deltas;
  gboolean           json_text;    /* JSON mode: TOOL_ARGUMENTS as the text */
  gboolean           stream;
  gboolean           include_usage;

  /* streaming state */
  guint              step;
  guint              sent;
  guint              appended;
  guint              written;
  guint              delay_ms;
  gboolean           malformed_sent;
  gboolean           paused;
  gboolean           stopping;
  guint              timer_id;
  guint              cut_id;
  GSource           *watch;
  gulong             wrote_chunk_id;
  gulong             finished_id;
  gulong             disconnected_id;
} Chat;

static void chat_free   (Chat *chat);
static void chat_cut    (Chat *chat);
static void chat_stream (Chat *chat);

static void
fault_clear (Fault *fault)
{
  g_clear_pointer (&fault->retry_after, g_free);
  g_clear_pointer (&fault->location, g_free);
  g_clear_pointer (&fault->body, g_free);
}

static void
fault_free (Fault *fault)
{
  fault_clear (fault);
  g_free (fault);
}

static void
fault_copy (const Fault *from,
            Fault       *to)
{
  *to = *from;
  to->retry_after = g_strdup (from->retry_after);
  to->location = g_strdup (from->location);
  to->body = g_strdup (from->body);
}

static void
append_json_string (GString    *out,
                    const char *str)
{
  g_string_append_c (out, '"');
  for (const char *p = str; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c == '\n')
        g_string_append (out, "\\n");
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

/* json-glib 1.6 warns when the member is missing or of another type. */
static JsonObject *
get_object_member (JsonObject *object,
                   const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
send_json (SoupServerMessage *msg,
           guint              status,
           GString           *body)
{
  const char *reason = NULL;

  /* libsoup 3.2 has no phrase for these two. */
  if (status == 429)
    reason = "Too Many Requests";
  else if (status == 529)
    reason = "Overloaded";
  soup_server_message_set_status (msg, status, reason);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body->str, body->len);
  g_string_free (body, FALSE);
}

/* OpenAI's error object: {"error":{"message","type","param","code"}}. */
static void
send_error (SoupServerMessage *msg,
            guint              status,
            const char        *type,
            const char        *code,
            const char        *message)
{
  GString *body = g_string_new ("{\"error\":{\"message\":");

  append_json_string (body, message);
  g_string_append (body, ",\"type\":");
  append_json_string (body, type);
  g_string_append (body, ",\"param\":null,\"code\":");
  if (code != NULL)
    append_json_string (body, code);
  else
    g_string_append (body, "null");
  g_string_append (body, "}}");
  send_json (msg, status, body);
}

static gboolean
parse_fault (JsonNode  *node,
             Fault     *fault,
             GError   **error)
{
  JsonObject *object;
  const char *kind;
  static const struct {
    const char *name;
    FaultKind   kind;
  } kinds[] = {
    { "status", FAULT_STATUS },
    { "stall", FAULT_STALL },
    { "cut", FAULT_CUT },
    { "malformed", FAULT_MALFORMED },
    { "drip", FAULT_DRIP },
    { "close", FAULT_CLOSE },
    { "hang", FAULT_HANG },
    { "error_event", FAULT_ERROR_EVENT },
  };

  memset (fault, 0, sizeof *fault);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "A fault must be an object");
      return FALSE;
    }
  object = json_node_get_object (node);
  kind = json_object_get_string_member_with_default (object, "kind", "");
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kind, kinds[i].name))
      fault->kind = kinds[i].kind;
  if (fault->kind == FAULT_NONE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Unknown fault kind '%s'", kind);
      return FALSE;
    }

  fault->status = json_object_get_int_member_with_default (object, "status", 500);
  if (fault->status < 100 || fault->status > 599)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Bad status %u", fault->status);
      return FALSE;
    }
  fault->ms = json_object_get_int_member_with_default (object, "ms", 1000);
  fault->after_chunks = json_object_get_int_member_with_default (object, "after_chunks", 1);
  fault->delay_ms = json_object_get_int_member_with_default (object, "delay_ms", 200);
  fault->count = MAX (1, json_object_get_int_member_with_default (object, "count", 1));

  if (json_object_has_member (object, "retry_after"))
    {
      JsonNode *retry = json_object_get_member (object, "retry_after");

      if (json_node_get_value_type (retry) == G_TYPE_STRING)
        fault->retry_after = g_strdup (json_node_get_string (retry));
      else if (JSON_NODE_HOLDS_VALUE (retry))
        fault->retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (retry));
    }

  if (json_object_has_member (object, "location"))
    fault->location = g_strdup (json_object_get_string_member (object, "location"));

  if (json_object_has_member (object, "body"))
    {
      JsonNode *body = json_object_get_member (object, "body");

      if (json_node_get_value_type (body) == G_TYPE_STRING)
        fault->body = g_strdup (json_node_get_string (body));
      else
        fault->body = json_to_string (body, FALSE);
    }

  return TRUE;
}

/* Anthropic's error types per status, from its "HTTP errors" reference. */
static const char *
anthropic_error_type (guint status)
{
  switch (status)
    {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default:
      /* "We may also use this error type for other 4XX status codes." */
      return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
    }
}

/* Google's canonical status names, as Gemini puts them in error.status. */
static const char *
gemini_error_status (guint status)
{
  switch (status)
    {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 409: return "ABORTED";
    case 429: return "RESOURCE_EXHAUSTED";
    case 501: return "UNIMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    default:
      return status >= 400 && status < 500 ? "INVALID_ARGUMENT" : "INTERNAL";
    }
}

/* Anthropic's error: {"type":"error","error":{"type","message"}}. */
static void
send_anthropic_error (SoupServerMessage *msg,
                      guint              status,
                      const char        *message)
{
  GString *body = g_string_new ("{\"type\":\"error\",\"error\":{\"type\":");

  append_json_string (body, anthropic_error_type (status));
  g_string_append (body, ",\"message\":");
  append_json_string (body, message);
  g_string_append (body, "}}");
  send_json (msg, status, body);
}

/* Gemini's error: {"error":{"code","message","status"}}. */
static void
send_gemini_error (SoupServerMessage *msg,
                   guint              status,
                   const char        *message)
{
  GString *body = g_string_new (NULL);

  g_string_printf (body, "{\"error\":{\"code\":%u,\"message\":", status);
  append_json_string (body, message);
  g_string_append (body, ",\"status\":");
  append_json_string (body, gemini_error_status (status));
  g_string_append (body, "}}");
  send_json (msg, status, body);
}

/* An error in @format's shape; OpenAI's type follows the status class. */
static void
send_format_error (SoupServerMessage *msg,
                   Format             format,
                   guint              status,
                   const char        *message)
{
  switch (format)
    {
    case FORMAT_ANTHROPIC:
      send_anthropic_error (msg, status, message);
      break;
    case FORMAT_GEMINI:
      send_gemini_error (msg, status, message);
      break;
    case FORMAT_OPENAI:
    default:
      send_error (msg, status, status >= 500 ? "server_error" : "invalid_request_error", NULL, message);
      break;
    }
}

static void
send_status_fault (SoupServerMessage *msg,
                   Format             format,
                   const Fault       *fault)
{
  const char *type = "api_error";
  const char *code = NULL;
  g_autofree char *message = NULL;

  if (fault->retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "retry-after", fault->retry_after);
  if (fault->location != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "location", fault->location);

  if (fault->body != NULL)
    {
      send_json (msg, fault->status, g_string_new (fault->body));
      return;
    }

  message = g_strdup_printf ("Mock upstream: injected status %u", fault->status);
  if (format == FORMAT_ANTHROPIC)
    {
      send_anthropic_error (msg, fault->status, message);
      return;
    }
  if (format == FORMAT_GEMINI)
    {
      send_gemini_error (msg, fault->status, message);
      return;
    }

  switch (fault->status)
    {
    case 401:
      type = "invalid_request_error";
      code = "invalid_api_key";
      break;
    case 403:
      type = "permission_error";
      break;
    case 429:
      type = "rate_limit_error";
      code = "rate_limit_exceeded";
      break;
    case 529:
      type = "overloaded_error";
      break;
    default:
      if (fault->status >= 500)
        type = "server_error";
      else if (fault->status >= 400)
        type = "invalid_request_error";
      break;
    }

  send_error (msg, fault->status, type, code, message);
}

/* The request log */

static void
add_header_to_object (const char *name,
                      const char *value,
                      gpointer    user_data)
{
  JsonObject *headers = user_data;
  g_autofree char *key = g_ascii_strdown (name, -1);
  const char *previous = json_object_get_string_member_with_default (headers, key, NULL);

  if (previous != NULL)
    {
      g_autofree char *joined = g_strconcat (previous, ", ", value, NULL);

      json_object_set_string_member (headers, key, joined);
    }
  else
    json_object_set_string_member (headers, key, value);
}

static void
log_request (Mock              *mock,
             SoupServerMessage *msg,
             JsonNode          *root,
             GBytes            *body)
{
  JsonObject *entry = json_object_new ();
  JsonObject *headers = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  GUri *uri = soup_server_message_get_uri (msg);

  json_object_set_string_member (entry, "path", g_uri_get_path (uri));
  /* Only when present, so that OpenAI entries keep their shape. */
  if (g_uri_get_query (uri) != NULL)
    json_object_set_string_member (entry, "query", g_uri_get_query (uri));
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg),
                                add_header_to_object, headers);
  json_object_set_object_member (entry, "headers", headers);
  if (root != NULL)
    json_object_set_member (entry, "body", json_node_ref (root));
  else
    {
      gsize size;
      const char *data = g_bytes_get_data (body, &size);
      g_autofree char *text = g_utf8_make_valid (data != NULL ? data : "", size);

      json_object_set_string_member (entry, "body", text);
    }
  json_node_take_object (node, entry);

  g_queue_push_tail (&mock->requests, node);
  if (mock->requests.length > MAX_LOGGED_REQUESTS)
    json_node_unref (g_queue_pop_head (&mock->requests));
  mock->requests_since_reset++;
}

/* Reading the request */

static gboolean
has_bearer_token (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return FALSE;
  auth += 7;
  while (*auth == ' ')
    auth++;
  return *auth != '\0';
}

/* Calls @func on each text of a message content: a string or an array of parts. */
static void
foreach_text (JsonNode *content,
              void    (*func) (const char *text, gpointer user_data),
              gpointer  user_data)
{
  if (content == NULL)
    return;

  if (json_node_get_value_type (content) == G_TYPE_STRING)
    func (json_node_get_string (content), user_data);
  else if (JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonNode *part = json_array_get_element (parts, i);

          if (JSON_NODE_HOLDS_OBJECT (part))
            {
              JsonNode *text = json_object_get_member (json_node_get_object (part), "text");

              if (text != NULL && json_node_get_value_type (text) == G_TYPE_STRING)
                func (json_node_get_string (text), user_data);
            }
        }
    }
}

static void
count_chars (const char *text,
             gpointer    user_data)
{
  *(glong *) user_data += g_utf8_strlen (text, -1);
}

static void
find_call_tool (const char *text,
                gpointer    user_data)
{
  if (strstr (text, "call tool") != NULL)
    *(gboolean *) user_data = TRUE;
}

static const char *
first_tool_name (JsonArray *tools)
{
  JsonNode *tool = json_array_get_element (tools, 0);
  JsonObject *function;

  if (!JSON_NODE_HOLDS_OBJECT (tool))
    return "tool";
  function = get_object_member (json_node_get_object (tool), "function");
  if (function == NULL)
    return "tool";
  return json_object_get_string_member_with_default (function, "name", "tool");
}

/* Whether the last message is the user's and one of its texts (under @member) says
 * "call tool". With @role_optional, a message without a role counts as the user's. */
static gboolean
last_user_asks_for_tool (JsonArray  *messages,
                         const char *member,
                         gboolean    role_optional)
{
  guint n_messages = json_array_get_length (messages);
  JsonNode *last;
  JsonObject *message;
  const char *role;
  gboolean asked = FALSE;

  if (n_messages == 0)
    return FALSE;
  last = json_array_get_element (messages, n_messages - 1);
  if (!JSON_NODE_HOLDS_OBJECT (last))
    return FALSE;
  message = json_node_get_object (last);
  role = json_object_get_string_member_with_default (message, "role", role_optional ? "user" : "");
  if (g_strcmp0 (role, "user") != 0)
    return FALSE;
  foreach_text (json_object_get_member (message, member), find_call_tool, &asked);
  return asked;
}

/* A tool call when tools are offered and either tool_choice forces one or the last
 * user message asks for it with "call tool". */
static char *
choose_tool (JsonObject *request,
             JsonArray  *messages)
{
  JsonNode *tools_node = json_object_get_member (request, "tools");
  JsonNode *choice = json_object_get_member (request, "tool_choice");
  JsonArray *tools;
  gboolean asked;

  if (tools_node == NULL || !JSON_NODE_HOLDS_ARRAY (tools_node))
    return NULL;
  tools = json_node_get_array (tools_node);
  if (json_array_get_length (tools) == 0)
    return NULL;

  if (choice != NULL && json_node_get_value_type (choice) == G_TYPE_STRING)
    {
      const char *mode = json_node_get_string (choice);

      if (g_str_equal (mode, "none"))
        return NULL;
      if (g_str_equal (mode, "required"))
        return g_strdup (first_tool_name (tools));
    }
  else if (choice != NULL && JSON_NODE_HOLDS_OBJECT (choice))
    {
      JsonObject *function = get_object_member (json_node_get_object (choice), "function");

      if (function != NULL && json_object_has_member (function, "name"))
        return g_strdup (json_object_get_string_member (function, "name"));
      return g_strdup (first_tool_name (tools));
    }

  asked = last_user_asks_for_tool (messages, "content", FALSE);
  return asked ? g_strdup (first_tool_name (tools)) : NULL;
}

/* Anthropic: tools [{name, …}], tool_choice {type: auto|any|tool|none, name}. */
static char *
anthropic_choose_tool (JsonObject *request,
                       JsonArray  *messages)
{
  JsonNode *tools_node = json_object_get_member (request, "tools");
  JsonObject *choice = get_object_member (request, "tool_choice");
  JsonNode *first;
  const char *first_name = "tool";
  const char *type;

  if (tools_node == NULL || !JSON_NODE_HOLDS_ARRAY (tools_node) ||
      json_array_get_length (json_node_get_array (tools_node)) == 0)
    return NULL;
  first = json_array_get_element (json_node_get_array (tools_node), 0);
  if (JSON_NODE_HOLDS_OBJECT (first))
    first_name = json_object_get_string_member_with_default (json_node_get_object (first), "name", "tool");

  type = choice != NULL ? json_object_get_string_member_with_default (choice, "type", "auto") : "auto";
  if (g_str_equal (type, "none"))
    return NULL;
  if (g_str_equal (type, "any"))
    return g_strdup (first_name);
  if (g_str_equal (type, "tool"))
    return g_strdup (json_object_get_string_member_with_default (choice, "name", first_name));

  return last_user_asks_for_tool (messages, "content", FALSE) ? g_strdup (first_name) : NULL;
}

/* Gemini: tools [{functionDeclarations: [{name, …}]}, {googleSearch: {}}, …] and
 * toolConfig.functionCallingConfig {mode: AUTO|ANY|NONE, allowedFunctionNames}. */
static char *
gemini_choose_tool (JsonObject *request,
                    JsonArray  *contents)
{
  JsonNode *tools_node = json_object_get_member (request, "tools");
  JsonObject *tool_config = get_object_member (request, "toolConfig");
  JsonObject *calling = tool_config != NULL ? get_object_member (tool_config, "functionCallingConfig") : NULL;
  const char *first_name = NULL;
  const char *mode;

  if (tools_node == NULL || !JSON_NODE_HOLDS_ARRAY (tools_node))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools_node)) && first_name == NULL; i++)
    {
      JsonNode *tool = json_array_get_element (json_node_get_array (tools_node), i);
      JsonNode *declarations = JSON_NODE_HOLDS_OBJECT (tool)
        ? json_object_get_member (json_node_get_object (tool), "functionDeclarations") : NULL;
      JsonNode *declaration;

      if (declarations == NULL || !JSON_NODE_HOLDS_ARRAY (declarations) ||
          json_array_get_length (json_node_get_array (declarations)) == 0)
        continue;
      declaration = json_array_get_element (json_node_get_array (declarations), 0);
      first_name = JSON_NODE_HOLDS_OBJECT (declaration)
        ? json_object_get_string_member_with_default (json_node_get_object (declaration), "name", "tool")
        : "tool";
    }
  if (first_name == NULL)
    return NULL;

  mode = calling != NULL ? json_object_get_string_member_with_default (calling, "mode", "AUTO") : "AUTO";
  if (g_str_equal (mode, "NONE"))
    return NULL;
  if (g_str_equal (mode, "ANY"))
    {
      JsonNode *allowed = json_object_get_member (calling, "allowedFunctionNames");

      if (allowed != NULL && JSON_NODE_HOLDS_ARRAY (allowed) &&
          json_array_get_length (json_node_get_array (allowed)) > 0)
        {
          const char *name = json_array_get_string_element (json_node_get_array (allowed), 0);

          if (name != NULL)
            return g_strdup (name);
        }
      return g_strdup (first_name);
    }

  /* A content's role may be left out; it is then the user's. */
  return last_user_asks_for_tool (contents, "parts", TRUE) ? g_strdup (first_name) : NULL;
}

/* The answer */

/* Content delta @index (1-based): "Hello", " from", " mock.", " w1", " w2", … */
static void
append_word (GString *out,
             guint    index)
{
  static const char * const words[] = { "Hello", " from", " mock." };

  if (index <= G_N_ELEMENTS (words))
    g_string_append (out, words[index - 1]);
  else
    g_string_append_printf (out, " w%u", index - (guint) G_N_ELEMENTS (words));
}

static void
append_usage (GString *out,
              Chat    *chat)
{
  g_string_append_printf (out,
                          "{\"prompt_tokens\":%u,\"completion_tokens\":%u,\"total_tokens\":%u,"
                          "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                          "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,"
                          "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}",
                          chat->prompt_tokens, chat->n_deltas,
                          chat->prompt_tokens + chat->n_deltas);
}

/* Text delta @index (1-based), unescaped: a word, or the whole JSON in JSON mode. */
static void
append_delta_text (GString *out,
                   Chat    *chat,
                   guint    index)
{
  if (chat->json_text)
    g_string_append (out, TOOL_ARGUMENTS);
  else
    append_word (out, index);
}

/* Text deltas @first to @last as one JSON string. */
static void
append_text_json (GString *out,
                  Chat    *chat,
                  guint    first,
                  guint    last)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = first; i <= last; i++)
    append_delta_text (text, chat, i);
  append_json_string (out, text->str);
}

static GString *
build_openai_completion (Chat *chat)
{
  GString *out = g_string_sized_new (768);

  g_string_append_printf (out, "{\"id\":\"chatcmpl-mock-%" G_GUINT64_FORMAT "\","
                          "\"object\":\"chat.completion\",\"created\":%" G_GINT64_FORMAT ",\"model\":",
                          chat->id, chat->created);
  append_json_string (out, chat->model);
  g_string_append (out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  if (chat->tool_name != NULL)
    {
      g_string_append_printf (out, "null,\"tool_calls\":[{\"id\":\"call_mock_%" G_GUINT64_FORMAT "\","
                              "\"type\":\"function\",\"function\":{\"name\":", chat->id);
      append_json_string (out, chat->tool_name);
      g_string_append (out, ",\"arguments\":");
      append_json_string (out, TOOL_ARGUMENTS);
      g_string_append (out, "}}],\"refusal\":null,\"annotations\":[]},"
                       "\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],\"usage\":");
    }
  else
    {
      append_text_json (out, chat, 1, chat->n_deltas);
      g_string_append (out, ",\"refusal\":null,\"annotations\":[]},"
                       "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":");
    }
  append_usage (out, chat);
  g_string_append (out, ",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_mock\"}");
  return out;
}

static void
append_anthropic_usage (GString *out,
                        Chat    *chat,
                        guint    output_tokens)
{
  g_string_append_printf (out, "{\"input_tokens\":%u,\"output_tokens\":%u,"
                          "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}",
                          chat->prompt_tokens, output_tokens);
}

static GString *
build_anthropic_message (Chat *chat)
{
  GString *out = g_string_sized_new (512);

  g_string_append_printf (out, "{\"id\":\"msg_mock_%" G_GUINT64_FORMAT "\",\"type\":\"message\","
                          "\"role\":\"assistant\",\"model\":", chat->id);
  append_json_string (out, chat->model);
  if (chat->tool_name != NULL)
    {
      g_string_append_printf (out, ",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_mock_%"
                              G_GUINT64_FORMAT "\",\"name\":", chat->id);
      append_json_string (out, chat->tool_name);
      g_string_append (out, ",\"input\":" TOOL_ARGUMENTS "}],\"stop_reason\":\"tool_use\"");
    }
  else
    {
      g_string_append (out, ",\"content\":[{\"type\":\"text\",\"text\":");
      append_text_json (out, chat, 1, chat->n_deltas);
      g_string_append (out, "}],\"stop_reason\":\"end_turn\"");
    }
  g_string_append (out, ",\"stop_sequence\":null,\"usage\":");
  append_anthropic_usage (out, chat, chat->n_deltas);
  g_string_append_c (out, '}');
  return out;
}

/* A GenerateContentResponse with text deltas @first to @last, or the whole function
 * call; @final adds the finish reason and the usage. */
static void
append_gemini_response (GString  *out,
                        Chat     *chat,
                        guint     first,
                        guint     last,
                        gboolean  final)
{
  g_string_append (out, "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[");
  if (chat->tool_name != NULL)
    {
      g_string_append (out, "{\"functionCall\":{\"name\":");
      append_json_string (out, chat->tool_name);
      g_string_append (out, ",\"args\":" TOOL_ARGUMENTS "}}");
    }
  else
    {
      g_string_append (out, "{\"text\":");
      append_text_json (out, chat, first, last);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "]}");
  if (final)
    g_string_append (out, ",\"finishReason\":\"STOP\"");
  g_string_append (out, ",\"index\":0}]");
  if (final)
    g_string_append_printf (out, ",\"usageMetadata\":{\"promptTokenCount\":%u,"
                            "\"candidatesTokenCount\":%u,\"totalTokenCount\":%u}",
                            chat->prompt_tokens, chat->n_deltas,
                            chat->prompt_tokens + chat->n_deltas);
  g_string_append (out, ",\"modelVersion\":");
  append_json_string (out, chat->model);
  g_string_append_printf (out, ",\"responseId\":\"mock-%" G_GUINT64_FORMAT "\"}", chat->id);
}

static GString *
build_completion (Chat *chat)
{
  GString *out;

  switch (chat->format)
    {
    case FORMAT_ANTHROPIC:
      return build_anthropic_message (chat);
    case FORMAT_GEMINI:
      out = g_string_sized_new (512);
      append_gemini_response (out, chat, 1, chat->n_deltas, TRUE);
      return out;
    case FORMAT_OPENAI:
    default:
      return build_openai_completion (chat);
    }
}

/* The index of the last stream event: the one a cut never lets through. */
static guint
last_step (Chat *chat)
{
  switch (chat->format)
    {
    case FORMAT_ANTHROPIC:
      /* message_start, content_block_start, ping, the deltas, content_block_stop,
       * message_delta, message_stop. */
      return chat->n_deltas + 5;
    case FORMAT_GEMINI:
      /* A function call comes whole, in one chunk. */
      return chat->tool_name != NULL ? 0 : chat->n_deltas - 1;
    case FORMAT_OPENAI:
    default:
      /* The role delta, the deltas, the finish chunk, the usage chunk, [DONE]. */
      return chat->n_deltas + (chat->include_usage ? 3 : 2);
    }
}

/* Stream events, in order: the role delta, n_deltas content (or argument) deltas, the
 * finish chunk, the usage chunk when asked, then [DONE]. Returns NULL after [DONE]. */
static GString *
build_openai_event (Chat *chat,
                    guint step)
{
  guint finish_step = chat->n_deltas + 1;
  guint usage_step = chat->include_usage ? finish_step + 1 : finish_step;
  GString *out;

  if (step > usage_step + 1)
    return NULL;
  if (step == usage_step + 1)
    return g_string_new ("data: [DONE]\n\n");

  out = g_string_sized_new (320);
  g_string_append (out, chat->chunk_prefix);

  if (chat->include_usage && step == usage_step)
    {
      g_string_append (out, "],\"usage\":");
      append_usage (out, chat);
      g_string_append (out, "}\n\n");
      return out;
    }

  g_string_append (out, "{\"index\":0,\"delta\":");
  if (step == 0 && chat->tool_name != NULL)
    {
      g_string_append_printf (out, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
                              "\"id\":\"call_mock_%" G_GUINT64_FORMAT "\",\"type\":\"function\","
                              "\"function\":{\"name\":", chat->id);
      append_json_string (out, chat->tool_name);
      g_string_append (out, ",\"arguments\":\"\"}}],\"refusal\":null}");
    }
  else if (step == 0)
    g_string_append (out, "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}");
  else if (step < finish_step && chat->tool_name != NULL)
    {
      g_string_append (out, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":");
      append_json_string (out, tool_argument_fragments[step - 1]);
      g_string_append (out, "}}]}");
    }
  else if (step < finish_step)
    {
      g_string_append (out, "{\"content\":");
      append_text_json (out, chat, step, step);
      g_string_append (out, "}");
    }
  else
    g_string_append (out, "{}");

  if (step == finish_step)
    g_string_append_printf (out, ",\"logprobs\":null,\"finish_reason\":\"%s\"}]",
                            chat->tool_name != NULL ? "tool_calls" : "stop");
  else
    g_string_append (out, ",\"logprobs\":null,\"finish_reason\":null}]");

  if (chat->include_usage)
    g_string_append (out, ",\"usage\":null");
  g_string_append (out, "}\n\n");
  return out;
}

/* Anthropic's named events; see last_step() for their order. */
static GString *
build_anthropic_event (Chat *chat,
                       guint step)
{
  guint stop_step = chat->n_deltas + 3;
  GString *out;

  if (step > last_step (chat))
    return NULL;

  out = g_string_sized_new (320);
  if (step == 0)
    {
      g_string_append_printf (out, "event: message_start\ndata: {\"type\":\"message_start\","
                              "\"message\":{\"id\":\"msg_mock_%" G_GUINT64_FORMAT "\",\"type\":\"message\","
                              "\"role\":\"assistant\",\"model\":", chat->id);
      append_json_string (out, chat->model);
      g_string_append (out, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
      append_anthropic_usage (out, chat, 1);
      g_string_append (out, "}}");
    }
  else if (step == 1 && chat->tool_name != NULL)
    {
      g_string_append_printf (out, "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                              "\"index\":0,\"content_block\":{\"type\":\"tool_use\","
                              "\"id\":\"toolu_mock_%" G_GUINT64_FORMAT "\",\"name\":", chat->id);
      append_json_string (out, chat->tool_name);
      g_string_append (out, ",\"input\":{}}}");
    }
  else if (step == 1)
    g_string_append (out, "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                     "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}");
  else if (step == 2)
    g_string_append (out, "event: ping\ndata: {\"type\":\"ping\"}");
  else if (step < stop_step)
    {
      g_string_append (out, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                       "\"index\":0,\"delta\":");
      if (chat->tool_name != NULL)
        {
          g_string_append (out, "{\"type\":\"input_json_delta\",\"partial_json\":");
          append_json_string (out, tool_argument_fragments[step - 3]);
        }
      else
        {
          g_string_append (out, "{\"type\":\"text_delta\",\"text\":");
          append_text_json (out, chat, step - 2, step - 2);
        }
      g_string_append (out, "}}");
    }
  else if (step == stop_step)
    g_string_append (out, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}");
  else if (step == stop_step + 1)
    g_string_append_printf (out, "event: message_delta\ndata: {\"type\":\"message_delta\","
                            "\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},"
                            "\"usage\":{\"output_tokens\":%u}}",
                            chat->tool_name != NULL ? "tool_use" : "end_turn", chat->n_deltas);
  else
    g_string_append (out, "event: message_stop\ndata: {\"type\":\"message_stop\"}");
  g_string_append (out, "\n\n");
  return out;
}

/* Gemini's SSE (alt=sse): bare data lines ended by CRLF pairs, one text part per
 * chunk, the last chunk carrying the finish reason and the usage; no [DONE]. */
static GString *
build_gemini_event (Chat *chat,
                    guint step)
{
  GString *out;

  if (step > last_step (chat))
    return NULL;
  out = g_string_new ("data: ");
  append_gemini_response (out, chat, step + 1, step + 1, step == last_step (chat));
  g_string_append (out, "\r\n\r\n");
  return out;
}

static GString *
build_event (Chat *chat,
             guint step)
{
  switch (chat->format)
    {
    case FORMAT_ANTHROPIC:
      return build_anthropic_event (chat, step);
    case FORMAT_GEMINI:
      return build_gemini_event (chat, step);
    case FORMAT_OPENAI:
    default:
      return build_openai_event (chat, step);
    }
}

/* An event that cannot be parsed, for the "malformed" fault. */
static GString *
build_malformed_event (Chat *chat)
{
  switch (chat->format)
    {
    case FORMAT_ANTHROPIC:
      return g_string_new ("event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                           "\"index\":0,\"delta\":{\n\n");
    case FORMAT_GEMINI:
      return g_string_new ("data: {\"candidates\":[{\"content\":{\r\n\r\n");
    case FORMAT_OPENAI:
    default:
      return g_string_new ("data: {\"choices\":[{\"delta\":{\n\n");
    }
}

/* The error a provider sends inside a stream that has already begun. */
static GString *
build_error_event (Chat *chat)
{
  switch (chat->format)
    {
    case FORMAT_ANTHROPIC:
      return g_string_new ("event: error\ndata: {\"type\":\"error\","
                           "\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n");
    case FORMAT_GEMINI:
      return g_string_new ("data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\","
                           "\"status\":\"UNAVAILABLE\"}}\r\n\r\n");
    case FORMAT_OPENAI:
    default:
      return g_string_new ("data: {\"error\":{\"message\":\"Overloaded\",\"type\":\"server_error\"}}\n\n");
    }
}

/* Streaming */

static void
append_event (Chat    *chat,
              GString *event)
{
  gsize length = event->len;

  soup_message_body_append (soup_server_message_get_response_body (chat->msg),
                            SOUP_MEMORY_TAKE, g_string_free (event, FALSE), length);
  chat->appended++;
}

/* Connections are accepted here rather than by SoupServer's own listener, which in
 * libsoup 3.2 leaks every accepted GSocket and its local address (LSan reports them);
 * as a bonus the socket stays reachable from a message through its peer address. */
static GSocket *
message_socket (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_data (G_OBJECT (remote), "mock-socket") : NULL;
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  Mock *mock = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  if (local == NULL || remote == NULL)
    return TRUE;
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  g_object_set_data_full (G_OBJECT (remote), "mock-socket", g_object_ref (socket), g_object_unref);
  if (mock->tls != NULL)
    {
      /* The handshake happens on the first read, inside SoupServer's own I/O. */
      g_autoptr(GIOStream) tls = g_tls_server_connection_new (G_IO_STREAM (connection), mock->tls, NULL);

      if (tls != NULL)
        soup_server_accept_iostream (mock->server, tls, local, remote, NULL);
      return TRUE;
    }
  soup_server_accept_iostream (mock->server, G_IO_STREAM (connection), local, remote, NULL);
  return TRUE;
}

static gboolean
client_gone_cb (GSocket      *socket,
                GIOCondition  condition,
                gpointer      user_data)
{
  Chat *chat = user_data;
  char byte;
  gssize n = 0;

  if ((condition & G_IO_IN) != 0 && (condition & (G_IO_HUP | G_IO_ERR)) == 0)
    n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  if (n > 0)
    {
      /* A pipelined request, not a hang-up: stop watching. */
      g_clear_pointer (&chat->watch, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  chat_cut (chat);
  return G_SOURCE_REMOVE;
}

static void
watch_client (Chat *chat)
{
  GSocket *socket = message_socket (chat->msg);

  if (socket == NULL || chat->watch != NULL)
    return;
  chat->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (chat->watch, G_SOURCE_FUNC (client_gone_cb), chat, NULL);
  g_source_attach (chat->watch, NULL);
}

static gboolean
cut_cb (gpointer user_data)
{
  Chat *chat = user_data;

  chat->cut_id = 0;
  chat_cut (chat);
  return G_SOURCE_REMOVE;
}

/* Appends the next event; FALSE when nothing more will come for now. */
static gboolean
append_next (Chat *chat)
{
  GString *event;

  if (chat->fault.kind == FAULT_MALFORMED && !chat->malformed_sent &&
      chat->sent == chat->fault.after_chunks)
    {
      chat->malformed_sent = TRUE;
      append_event (chat, build_malformed_event (chat));
      return TRUE;
    }

  /* Like a cut, the error comes before the stream's end even when after_chunks is
   * larger than the stream. */
  if (chat->fault.kind == FAULT_ERROR_EVENT &&
      (chat->sent >= chat->fault.after_chunks || chat->step == last_step (chat)))
    {
      chat->stopping = TRUE;
      append_event (chat, build_error_event (chat));
      soup_message_body_complete (soup_server_message_get_response_body (chat->msg));
      return FALSE;
    }

  if (chat->fault.kind == FAULT_HANG && chat->sent >= 1)
    {
      chat->stopping = TRUE;
      watch_client (chat);
      return FALSE;
    }

  event = build_event (chat, chat->step);
  if (event == NULL)
    {
      chat->stopping = TRUE;
      soup_message_body_complete (soup_server_message_get_response_body (chat->msg));
      return FALSE;
    }

  /* The stream's end ([DONE], message_stop, the finish chunk) is not a chunk that a
   * cut can let through. */
  if (chat->fault.kind == FAULT_CUT &&
      (chat->sent >= chat->fault.after_chunks || chat->step == last_step (chat)))
    {
      g_string_free (event, TRUE);
      chat->stopping = TRUE;
      if (chat->written == chat->appended)
        chat->cut_id = g_idle_add (cut_cb, chat);
      return FALSE;
    }

  chat->step++;
  chat->sent++;
  append_event (chat, event);
  return TRUE;
}

static gboolean
next_event_cb (gpointer user_data)
{
  Chat *chat = user_data;

  chat->timer_id = 0;
  append_next (chat);
  soup_server_message_unpause (chat->msg);
  return G_SOURCE_REMOVE;
}

static void
wrote_chunk_cb (SoupServerMessage *msg,
                Chat              *chat)
{
  chat->written++;
  if (chat->written != chat->appended)
    return;

  if (chat->stopping)
    {
      /* The connection may only be stolen outside libsoup's write loop. */
      if (chat->fault.kind == FAULT_CUT && chat->cut_id == 0)
        chat->cut_id = g_idle_add (cut_cb, chat);
      return;
    }

  /* Called from libsoup's write loop, which picks an appended chunk up by itself. */
  if (chat->delay_ms == 0)
    append_next (chat);
  else
    chat->timer_id = g_timeout_add (chat->delay_ms, next_event_cb, chat);
}

static void
message_done_cb (SoupServerMessage *msg,
                 Chat              *chat)
{
  chat_free (chat);
}

static void
chat_stream (Chat *chat)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (chat->msg);

  soup_server_message_set_status (chat->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (headers, "Content-Type", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_body_set_accumulate (soup_server_message_get_response_body (chat->msg), FALSE);

  if (chat->fault.kind == FAULT_DRIP)
    chat->delay_ms = chat->fault.delay_ms;
  else
    chat->delay_ms = chat->mock->chunk_delay_ms;

  chat->wrote_chunk_id = g_signal_connect (chat->msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), chat);

  if (chat->delay_ms == 0)
    append_next (chat);
  else
    chat->timer_id = g_timeout_add (chat->delay_ms, next_event_cb, chat);
}

/* Non-streamed cut: a Content-Length for the whole body, half of it, then a hang-up. */
static void
chat_cut_completion (Chat    *chat,
                     GString *body)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (chat->msg);
  gsize full = body->len;

  soup_server_message_set_status (chat->msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_length (headers, full);
  soup_message_headers_replace (headers, "Content-Type", "application/json");
  g_string_truncate (body, full / 2);
  chat->stopping = TRUE;
  chat->wrote_chunk_id = g_signal_connect (chat->msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), chat);
  append_event (chat, body);
}

static glong
count_message_chars (JsonArray  *messages,
                     const char *member)
{
  glong chars = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *message = json_array_get_element (messages, i);

      if (JSON_NODE_HOLDS_OBJECT (message))
        foreach_text (json_object_get_member (json_node_get_object (message), member),
                      count_chars, &chars);
    }
  return chars;
}

static gboolean
has_header (SoupServerMessage *msg,
            const char        *name)
{
  const char *value = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), name);

  return value != NULL && *value != '\0';
}

/* The array member @name of @object, or NULL when absent, not an array, or empty. */
static JsonArray *
get_nonempty_array_member (JsonObject *object,
                           const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) == 0)
    return NULL;
  return json_node_get_array (node);
}

/* Each reader checks a request of its format and fills in the answer; FALSE once it
 * has sent an error. */

static gboolean
openai_read (Chat *chat)
{
  SoupServerMessage *msg = chat->msg;
  JsonObject *request;
  JsonArray *messages;
  JsonObject *stream_options;
  JsonObject *response_format;
  const char *model;
  g_autofree char *request_id = NULL;
  GString *prefix;

  if (!chat->mock->keyless && !has_bearer_token (msg))
    {
      send_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_request_error", "invalid_api_key",
                  "You didn't provide an API key. You need to provide your API key in an "
                  "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
      return FALSE;
    }

  if (chat->root == NULL || !JSON_NODE_HOLDS_OBJECT (chat->root))
    {
      send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", NULL,
                  "We could not parse the JSON body of your request. (HINT: This likely means "
                  "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                  "payload, but what was sent was not valid JSON.)");
      return FALSE;
    }

  request = json_node_get_object (chat->root);
  model = json_object_get_string_member_with_default (request, "model", NULL);
  if (model == NULL || *model == '\0')
    {
      send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", NULL,
                  "you must provide a model parameter");
      return FALSE;
    }

  messages = get_nonempty_array_member (request, "messages");
  if (messages == NULL)
    {
      send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", NULL,
                  "Missing required parameter: 'messages'.");
      return FALSE;
    }

  chat->model = g_strdup (model);
  chat->prompt_tokens = MAX (1, count_message_chars (messages, "content") / 4);
  chat->tool_name = choose_tool (request, messages);
  response_format = get_object_member (request, "response_format");
  if (response_format != NULL)
    {
      const char *type = json_object_get_string_member_with_default (response_format, "type", "");

      chat->json_text = g_str_equal (type, "json_object") || g_str_equal (type, "json_schema");
    }
  chat->stream = json_object_get_boolean_member_with_default (request, "stream", FALSE);
  stream_options = get_object_member (request, "stream_options");
  chat->include_usage = stream_options != NULL &&
    json_object_get_boolean_member_with_default (stream_options, "include_usage", FALSE);

  request_id = g_strdup_printf ("req_mock_%" G_GUINT64_FORMAT, chat->id);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "x-request-id", request_id);

  prefix = g_string_new (NULL);
  g_string_printf (prefix, "data: {\"id\":\"chatcmpl-mock-%" G_GUINT64_FORMAT "\","
                   "\"object\":\"chat.completion.chunk\",\"created\":%" G_GINT64_FORMAT ",\"model\":",
                   chat->id, chat->created);
  append_json_string (prefix, model);
  g_string_append (prefix, ",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_mock\",\"choices\":[");
  chat->chunk_prefix = g_string_free (prefix, FALSE);
  return TRUE;
}

static gboolean
anthropic_read (Chat *chat)
{
  SoupServerMessage *msg = chat->msg;
  JsonObject *request;
  JsonArray *messages;
  const char *model;
  glong chars = 0;
  g_autofree char *request_id = NULL;

  if (!has_header (msg, "x-api-key"))
    {
      send_anthropic_error (msg, SOUP_STATUS_UNAUTHORIZED, "x-api-key header is required");
      return FALSE;
    }
  if (!has_header (msg, "anthropic-version"))
    {
      send_anthropic_error (msg, SOUP_STATUS_BAD_REQUEST, "anthropic-version: header is required");
      return FALSE;
    }
  if (chat->root == NULL || !JSON_NODE_HOLDS_OBJECT (chat->root))
    {
      send_anthropic_error (msg, SOUP_STATUS_BAD_REQUEST,
                            "There was an issue with the format of your request: the body is not valid JSON");
      return FALSE;
    }

  request = json_node_get_object (chat->root);
  model = json_object_get_string_member_with_default (request, "model", NULL);
  if (model == NULL || *model == '\0')
    {
      send_anthropic_error (msg, SOUP_STATUS_BAD_REQUEST, "model: Field required");
      return FALSE;
    }
  if (!json_object_has_member (request, "max_tokens"))
    {
      send_anthropic_error (msg, SOUP_STATUS_BAD_REQUEST, "max_tokens: Field required");
      return FALSE;
    }
  messages = get_nonempty_array_member (request, "messages");
  if (messages == NULL)
    {
      send_anthropic_error (msg, SOUP_STATUS_BAD_REQUEST, "messages: Field required");
      return FALSE;
    }

  chat->model = g_strdup (model);
  foreach_text (json_object_get_member (request, "system"), count_chars, &chars);
  chars += count_message_chars (messages, "content");
  chat->prompt_tokens = MAX (1, chars / 4);
  chat->tool_name = anthropic_choose_tool (request, messages);
  /* Structured outputs: "output_config": {"format": {"type": "json_schema", …}}
   * (and its beta name, "output_format"). */
  {
    JsonObject *config = get_object_member (request, "output_config");
    JsonObject *format = config != NULL ? get_object_member (config, "format")
                                        : get_object_member (request, "output_format");

    chat->json_text = format != NULL &&
      g_str_equal (json_object_get_string_member_with_default (format, "type", ""), "json_schema");
  }
  chat->stream = json_object_get_boolean_member_with_default (request, "stream", FALSE);

  request_id = g_strdup_printf ("req_mock_%" G_GUINT64_FORMAT, chat->id);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "request-id", request_id);
  return TRUE;
}

/* chat->model and chat->stream come from the URL. */
static gboolean
gemini_read (Chat *chat)
{
  SoupServerMessage *msg = chat->msg;
  JsonObject *request;
  JsonArray *contents;
  JsonObject *system;
  JsonObject *generation;
  glong chars = 0;

  if (!has_header (msg, "x-goog-api-key"))
    {
      send_gemini_error (msg, SOUP_STATUS_FORBIDDEN,
                         "Method doesn't allow unregistered callers (callers without established "
                         "identity). Please use API Key or other form of API consumer identity to "
                         "call this API.");
      return FALSE;
    }
  if (chat->root == NULL || !JSON_NODE_HOLDS_OBJECT (chat->root))
    {
      send_gemini_error (msg, SOUP_STATUS_BAD_REQUEST, "Invalid JSON payload received.");
      return FALSE;
    }

  request = json_node_get_object (chat->root);
  contents = get_nonempty_array_member (request, "contents");
  if (contents == NULL)
    {
      send_gemini_error (msg, SOUP_STATUS_BAD_REQUEST,
                         "* GenerateContentRequest.contents: contents is not specified\n");
      return FALSE;
    }

  system = get_object_member (request, "systemInstruction");
  if (system != NULL)
    foreach_text (json_object_get_member (system, "parts"), count_chars, &chars);
  chars += count_message_chars (contents, "parts");
  chat->prompt_tokens = MAX (1, chars / 4);
  chat->tool_name = gemini_choose_tool (request, contents);
  generation = get_object_member (request, "generationConfig");
  chat->json_text = generation != NULL &&
    g_strcmp0 (json_object_get_string_member_with_default (generation, "responseMimeType", ""),
               "application/json") == 0;
  return TRUE;
}

/* Answers once the transport-level faults are out of the way. Returns TRUE when
 * @chat must stay alive (streaming or a cut in progress). */
static gboolean
chat_answer (Chat *chat)
{
  SoupServerMessage *msg = chat->msg;
  gboolean ok;

  /* Before any fault: a router that leaks its key into URLs must always be caught. */
  if (chat->key_in_query)
    {
      send_gemini_error (msg, SOUP_STATUS_BAD_REQUEST, "key in query string");
      return FALSE;
    }

  if (chat->fault.kind == FAULT_STATUS)
    {
      send_status_fault (msg, chat->format, &chat->fault);
      return FALSE;
    }

  chat->created = g_get_real_time () / G_USEC_PER_SEC;
  switch (chat->format)
    {
    case FORMAT_ANTHROPIC:
      ok = anthropic_read (chat);
      break;
    case FORMAT_GEMINI:
      ok = gemini_read (chat);
      break;
    case FORMAT_OPENAI:
    default:
      ok = openai_read (chat);
      break;
    }
  if (!ok)
    return FALSE;

  if (chat->tool_name != NULL)
    chat->n_deltas = G_N_ELEMENTS (tool_argument_fragments);
  else if (chat->json_text)
    chat->n_deltas = 1;
  else
    chat->n_deltas = chat->mock->chunks;

  if (!chat->stream)
    {
      GString *body = build_completion (chat);

      switch ((int) chat->fault.kind)
        {
        case FAULT_CUT:
          chat_cut_completion (chat, body);
          return TRUE;
        case FAULT_HANG:
          soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
          soup_message_headers_set_content_length (soup_server_message_get_response_headers (msg),
                                                   body->len);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Content-Type", "application/json");
          g_string_free (body, TRUE);
          chat->stopping = TRUE;
          watch_client (chat);
          return TRUE;
        default:
          send_json (msg, SOUP_STATUS_OK, body);
          return FALSE;
        }
    }

  chat_stream (chat);
  return TRUE;
}

static void
chat_proceed (Chat *chat)
{
  gboolean was_paused = chat->paused;
  SoupServerMessage *msg = chat->msg;
  gboolean keep;

  chat->paused = FALSE;
  keep = chat_answer (chat);
  if (was_paused)
    soup_server_message_unpause (msg);
  if (!keep)
    chat_free (chat);
}

static gboolean
stall_done_cb (gpointer user_data)
{
  Chat *chat = user_data;

  chat->timer_id = 0;
  chat_proceed (chat);
  return G_SOURCE_REMOVE;
}

static void
chat_free (Chat *chat)
{
  if (chat == NULL)
    return;

  g_hash_table_remove (chat->mock->active, chat);
  g_clear_handle_id (&chat->timer_id, g_source_remove);
  g_clear_handle_id (&chat->cut_id, g_source_remove);
  if (chat->watch != NULL)
    {
      g_source_destroy (chat->watch);
      g_clear_pointer (&chat->watch, g_source_unref);
    }
  g_clear_signal_handler (&chat->wrote_chunk_id, chat->msg);
  g_clear_signal_handler (&chat->finished_id, chat->msg);
  g_clear_signal_handler (&chat->disconnected_id, chat->msg);
  g_clear_object (&chat->msg);
  g_clear_pointer (&chat->root, json_node_unref);
  fault_clear (&chat->fault);
  g_free (chat->model);
  g_free (chat->chunk_prefix);
  g_free (chat->tool_name);
  g_free (chat);
}

/* Drops the connection under the message, as a provider crashing mid-answer would. */
static void
chat_cut (Chat *chat)
{
  g_autoptr(SoupServerMessage) msg = g_object_ref (chat->msg);
  g_autoptr(GIOStream) stream = NULL;
  GSocket *socket = message_socket (msg);

  chat_free (chat);
  /* Without this, freeing the stolen chunked body stream would still write the
   * terminating chunk and the cut would look like a clean end. */
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  stream = soup_server_message_steal_connection (msg);
  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
}

/* Fills @fault from the x-mock-fault header, else pops one use of the queue's head. */
static gboolean
take_fault (Mock              *mock,
            SoupServerMessage *msg,
            Fault             *fault,
            GError           **error)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "x-mock-fault");
  Fault *queued;

  if (header != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (header, error);

      return node != NULL && parse_fault (node, fault, error);
    }

  queued = g_queue_peek_head (&mock->faults);
  if (queued == NULL)
    return TRUE;
  fault_copy (queued, fault);
  if (--queued->count == 0)
    fault_free (g_queue_pop_head (&mock->faults));
  return TRUE;
}

/* Takes a POSTed request of @format through the faults to its answer. @model and
 * @stream come from a Gemini URL; the other formats have them in the body. */
static void
chat_request (Mock              *mock,
              SoupServerMessage *msg,
              Format             format,
              const char        *model,
              gboolean           stream,
              gboolean           key_in_query)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root = NULL;
  Chat *chat;
  gsize size;
  const char *data;

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  data = g_bytes_get_data (body, &size);
  parser = json_parser_new_immutable ();
  if (data != NULL && json_parser_load_from_data (parser, data, size, NULL))
    root = json_parser_steal_root (parser);
  log_request (mock, msg, root, body);

  chat = g_new0 (Chat, 1);
  chat->mock = mock;
  chat->msg = g_object_ref (msg);
  chat->root = root;
  chat->id = ++mock->next_id;
  chat->format = format;
  chat->model = g_strdup (model);
  chat->stream = stream;
  chat->key_in_query = key_in_query;
  g_hash_table_add (mock->active, chat);
  chat->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (message_done_cb), chat);
  chat->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (message_done_cb), chat);

  if (!take_fault (mock, msg, &chat->fault, &error))
    {
      g_autofree char *message = g_strdup_printf ("Bad x-mock-fault: %s", error->message);

      send_format_error (msg, format, SOUP_STATUS_BAD_REQUEST, message);
      chat_free (chat);
      return;
    }

  switch ((int) chat->fault.kind)
    {
    case FAULT_CLOSE:
      /* Stealing the connection is only safe outside libsoup's read loop. */
      chat->paused = TRUE;
      soup_server_message_pause (msg);
      chat->cut_id = g_idle_add (cut_cb, chat);
      break;

    case FAULT_STALL:
      chat->paused = TRUE;
      soup_server_message_pause (msg);
      chat->timer_id = g_timeout_add (chat->fault.ms, stall_done_cb, chat);
      break;

    default:
      chat_proceed (chat);
      break;
    }
}

static void
chat_completions_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      send_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "invalid_request_error", NULL,
                  "Only POST is allowed here");
      return;
    }
  chat_request (user_data, msg, FORMAT_OPENAI, NULL, FALSE, FALSE);
}

static void
messages_cb (SoupServer        *server,
             SoupServerMessage *msg,
             const char        *path,
             GHashTable        *query,
             gpointer           user_data)
{
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      send_anthropic_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only POST is allowed here");
      return;
    }
  chat_request (user_data, msg, FORMAT_ANTHROPIC, NULL, FALSE, FALSE);
}

/* @tail is what follows "models/" in a Gemini URL: "{model}:{method}". */
static void
gemini_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  g_autofree char *decoded = g_uri_unescape_string (tail, NULL);
  const char *colon = decoded != NULL ? strrchr (decoded, ':') : NULL;
  g_autofree char *model = NULL;
  const char *method;
  gboolean stream;

  if (colon == NULL || colon == decoded || strchr (decoded, '/') != NULL)
    {
      g_autofree char *message = g_strdup_printf ("Invalid URL: models/%s", tail);

      send_gemini_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }
  model = g_strndup (decoded, colon - decoded);
  method = colon + 1;
  if (g_str_equal (method, "generateContent"))
    stream = FALSE;
  else if (g_str_equal (method, "streamGenerateContent"))
    stream = TRUE;
  else
    {
      g_autofree char *message = g_strdup_printf ("Method not found: %s", method);

      send_gemini_error (msg, SOUP_STATUS_NOT_FOUND, message);
      return;
    }

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      send_gemini_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only POST is allowed here");
      return;
    }
  /* Without alt=sse Gemini streams one JSON array, which this mock does not speak. */
  if (stream && (query == NULL || g_strcmp0 (g_hash_table_lookup (query, "alt"), "sse") != 0))
    {
      send_gemini_error (msg, SOUP_STATUS_BAD_REQUEST,
                         "mock-upstream streams only with alt=sse");
      return;
    }

  chat_request (user_data, msg, FORMAT_GEMINI, model, stream,
                query != NULL && g_hash_table_contains (query, "key"));
}

static const char openai_models[] =
  "{\"object\":\"list\",\"data\":["
  "{\"id\":\"gpt-4o-mini\",\"object\":\"model\",\"created\":1721172741,\"owned_by\":\"system\"},"
  "{\"id\":\"gpt-4o\",\"object\":\"model\",\"created\":1715367049,\"owned_by\":\"system\"},"
  "{\"id\":\"mock-model\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"mock\"}]}";

static const char anthropic_models[] =
  "{\"data\":["
  "{\"type\":\"model\",\"id\":\"claude-sonnet-4-5-20250929\",\"display_name\":\"Claude Sonnet 4.5\","
  "\"created_at\":\"2025-09-29T00:00:00Z\"},"
  "{\"type\":\"model\",\"id\":\"claude-haiku-4-5-20251001\",\"display_name\":\"Claude Haiku 4.5\","
  "\"created_at\":\"2025-10-15T00:00:00Z\"}],"
  "\"has_more\":false,\"first_id\":\"claude-sonnet-4-5-20250929\","
  "\"last_id\":\"claude-haiku-4-5-20251001\"}";

static const char gemini_models[] =
  "{\"models\":["
  "{\"name\":\"models/gemini-2.5-flash\",\"version\":\"001\",\"displayName\":\"Gemini 2.5 Flash\","
  "\"inputTokenLimit\":1048576,\"outputTokenLimit\":65536,"
  "\"supportedGenerationMethods\":[\"generateContent\",\"countTokens\"]},"
  "{\"name\":\"models/gemini-2.5-pro\",\"version\":\"2.5\",\"displayName\":\"Gemini 2.5 Pro\","
  "\"inputTokenLimit\":1048576,\"outputTokenLimit\":65536,"
  "\"supportedGenerationMethods\":[\"generateContent\",\"countTokens\"]},"
  "{\"name\":\"models/text-embedding-004\",\"version\":\"004\",\"displayName\":\"Text Embedding 004\","
  "\"inputTokenLimit\":2048,\"outputTokenLimit\":1,"
  "\"supportedGenerationMethods\":[\"embedContent\"]},"
  "{\"name\":\"models/gemma-3-27b-it\",\"version\":\"001\",\"displayName\":\"Gemma 3 27B\","
  "\"inputTokenLimit\":131072,\"outputTokenLimit\":8192,"
  "\"supportedGenerationMethods\":[\"generateContent\",\"countTokens\"]}]}";

static const char *
request_header (SoupServerMessage *msg,
                const char        *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (msg), name);
}

/* OpenAI echoes a refused key with its middle starred out. */
static void
send_openai_invalid_key (SoupServerMessage *msg,
                         const char        *key)
{
  gsize length = strlen (key);
  g_autofree char *masked = NULL;
  g_autofree char *message = NULL;

  masked = length > 8 ? g_strdup_printf ("%.4s%s%s", key, "********", key + length - 4)
                      : g_strdup ("********");
  message = g_strdup_printf ("Incorrect API key provided: %s. You can find your API key at "
                             "https://platform.openai.com/account/api-keys.", masked);
  send_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_request_error", "invalid_api_key", message);
}

/* GET …/models: the model list in the shape of the provider whose key header came. */
static void
models_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  Mock *mock = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  Format format = FORMAT_OPENAI;
  const char *list = openai_models;
  const char *key;

  if (g_str_has_prefix (path, "/v1beta/") || has_header (msg, "x-goog-api-key"))
    {
      format = FORMAT_GEMINI;
      list = gemini_models;
    }
  else if (has_header (msg, "x-api-key") || has_header (msg, "anthropic-version"))
    {
      format = FORMAT_ANTHROPIC;
      list = anthropic_models;
    }
  log_request (mock, msg, NULL, body);

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      send_format_error (msg, format, SOUP_STATUS_METHOD_NOT_ALLOWED, "Only GET is allowed here");
      return;
    }

  switch (format)
    {
    case FORMAT_GEMINI:
      key = request_header (msg, "x-goog-api-key");
      if (query != NULL && g_hash_table_contains (query, "key"))
        {
          send_gemini_error (msg, SOUP_STATUS_BAD_REQUEST, "key in query string");
          return;
        }
      if (key == NULL || *key == '\0')
        {
          send_gemini_error (msg, SOUP_STATUS_FORBIDDEN,
                             "Method doesn't allow unregistered callers (callers without "
                             "established identity). Please use API Key or other form of API "
                             "consumer identity to call this API.");
          return;
        }
      if (g_str_has_prefix (key, "invalid"))
        {
          send_gemini_error (msg, SOUP_STATUS_BAD_REQUEST,
                             "API key not valid. Please pass a valid API key.");
          return;
        }
      break;

    case FORMAT_ANTHROPIC:
      key = request_header (msg, "x-api-key");
      if (key == NULL || *key == '\0')
        {
          send_anthropic_error (msg, SOUP_STATUS_UNAUTHORIZED, "x-api-key header is required");
          return;
        }
      if (!has_header (msg, "anthropic-version"))
        {
          send_anthropic_error (msg, SOUP_STATUS_BAD_REQUEST, "anthropic-version: header is required");
          return;
        }
      if (g_str_has_prefix (key, "invalid"))
        {
          send_anthropic_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid x-api-key");
          return;
        }
      break;

    case FORMAT_OPENAI:
    default:
      key = request_header (msg, "Authorization");
      if (!has_bearer_token (msg))
        {
          if (mock->keyless)
            break;
          send_error (msg, SOUP_STATUS_UNAUTHORIZED, "invalid_request_error", "invalid_api_key",
                      "You didn't provide an API key. You need to provide your API key in an "
                      "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
          return;
        }
      key += strlen ("Bearer ");
      while (*key == ' ')
        key++;
      if (g_str_has_prefix (key, "invalid"))
        {
          send_openai_invalid_key (msg, key);
          return;
        }
      break;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    list, strlen (list));
}

static void
send_control_reply (SoupServerMessage *msg,
                    JsonNode          *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize length = strlen (text);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

static void
control_faults (Mock              *mock,
                SoupServerMessage *msg)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) parsed = g_ptr_array_new_with_free_func ((GDestroyNotify) fault_free);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gsize size;
  const char *data = g_bytes_get_data (body, &size);
  g_autofree char *text = g_strndup (data != NULL ? data : "", size);

  root = json_from_string (text, &error);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      Fault *fault = g_new0 (Fault, 1);

      g_ptr_array_add (parsed, fault);
      parse_fault (root, fault, &error);
    }
  else if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array) && error == NULL; i++)
        {
          Fault *fault = g_new0 (Fault, 1);

          g_ptr_array_add (parsed, fault);
          parse_fault (json_array_get_element (array, i), fault, &error);
        }
    }
  else if (error == NULL)
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         "Expected a JSON array of faults");

  if (error != NULL)
    {
      send_error (msg, SOUP_STATUS_BAD_REQUEST, "invalid_request_error", NULL, error->message);
      return;
    }

  for (guint i = 0; i < parsed->len; i++)
    g_queue_push_tail (&mock->faults, g_ptr_array_steal_index (parsed, i--));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "queued");
  json_builder_add_int_value (builder, mock->faults.length);
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);
  send_control_reply (msg, reply);
}

static void
control_requests (Mock              *mock,
                  SoupServerMessage *msg)
{
  JsonObject *object = json_object_new ();
  JsonArray *array = json_array_sized_new (mock->requests.length);
  g_autoptr(JsonNode) reply = json_node_new (JSON_NODE_OBJECT);

  for (GList *l = mock->requests.head; l != NULL; l = l->next)
    json_array_add_element (array, json_node_ref (l->data));
  json_object_set_int_member (object, "count", mock->requests_since_reset);
  json_object_set_array_member (object, "requests", array);
  json_node_take_object (reply, object);
  send_control_reply (msg, reply);
}

static void
control_reset (Mock              *mock,
               SoupServerMessage *msg)
{
  g_autoptr(JsonNode) reply = json_from_string ("{\"reset\":true}", NULL);

  g_queue_clear_full (&mock->faults, (GDestroyNotify) fault_free);
  g_queue_clear_full (&mock->requests, (GDestroyNotify) json_node_unref);
  mock->requests_since_reset = 0;
  send_control_reply (msg, reply);
}

static void
control_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  Mock *mock = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_POST && g_str_equal (path, "/_mock/faults"))
    control_faults (mock, msg);
  else if (method == SOUP_METHOD_POST && g_str_equal (path, "/_mock/reset"))
    control_reset (mock, msg);
  else if (method == SOUP_METHOD_GET && g_str_equal (path, "/_mock/requests"))
    control_requests (mock, msg);
  else
    send_error (msg, SOUP_STATUS_NOT_FOUND, "invalid_request_error", NULL, "Unknown control route");
}

static void
not_found_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  g_autofree char *message = g_strdup_printf ("Invalid URL (%s %s)",
                                              soup_server_message_get_method (msg), path);

  send_error (msg, SOUP_STATUS_NOT_FOUND, "invalid_request_error", NULL, message);
}

static void
exact_path_cb (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  /* SoupServer matches handler paths as prefixes. */
  if (g_str_equal (path, "/v1/chat/completions"))
    chat_completions_cb (server, msg, path, query, user_data);
  else if (g_str_equal (path, "/v1/models") || g_str_equal (path, "/v1beta/models"))
    models_cb (server, msg, path, query, user_data);
  else if (g_str_equal (path, "/v1/messages"))
    messages_cb (server, msg, path, query, user_data);
  else if (g_str_has_prefix (path, "/v1/models/"))
    gemini_cb (server, msg, path + strlen ("/v1/models/"), query, user_data);
  else if (g_str_has_prefix (path, "/v1beta/models/"))
    gemini_cb (server, msg, path + strlen ("/v1beta/models/"), query, user_data);
  else
    not_found_cb (server, msg, path, query, user_data);
}

static gboolean
quit_cb (gpointer user_data)
{
  Mock *mock = user_data;

  g_main_loop_quit (mock->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) active = NULL;
  g_autoptr(GSocketService) service = NULL;
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GSocket) pair_listener = NULL;
  g_autoptr(GSocket) pair_peer = NULL;
  int pair[2];
  Mock mock = { 0 };
  int port = 0;
  int chunks = 5;
  int chunk_delay_ms = 0;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  guint sigterm_id;
  guint sigint_id;
  const GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: a free one)", "N" },
    { "chunks", 0, 0, G_OPTION_ARG_INT, &chunks, "Content chunks per streamed answer (5)", "N" },
    { "chunk-delay-ms", 0, 0, G_OPTION_ARG_INT, &chunk_delay_ms, "Delay before each streamed chunk (0)", "MS" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "Serve HTTPS with this PEM certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "The certificate's PEM private key", "FILE" },
    { "keyless", 0, 0, G_OPTION_ARG_NONE, &mock.keyless, "Need no key on OpenAI routes, like a local server", NULL },
    { NULL }
  };

  context = g_option_context_new ("— mock OpenAI, Anthropic and Gemini upstream");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || chunks < 1 || chunk_delay_ms < 0)
    {
      g_printerr ("Invalid option value\n");
      return 2;
    }

  mock.chunks = chunks;
  mock.chunk_delay_ms = chunk_delay_ms;
  if (tls_cert != NULL)
    {
      mock.tls = g_tls_certificate_new_from_files (tls_cert, tls_key, &error);
      if (mock.tls == NULL)
        {
          g_printerr ("Cannot load the TLS certificate: %s\n", error->message);
          return 2;
        }
    }
  mock.active = active = g_hash_table_new (NULL, NULL);
  g_queue_init (&mock.faults);
  g_queue_init (&mock.requests);
  mock.loop = g_main_loop_new (NULL, FALSE);
  mock.server = soup_server_new ("server-header", "mock-upstream", NULL);

  soup_server_add_handler (mock.server, "/v1", exact_path_cb, &mock, NULL);
  soup_server_add_handler (mock.server, "/v1beta", exact_path_cb, &mock, NULL);
  soup_server_add_handler (mock.server, "/_mock", control_cb, &mock, NULL);
  soup_server_add_handler (mock.server, NULL, not_found_cb, &mock, NULL);

  service = g_socket_service_new ();
  /* wrk opens all its connections at once; GSocketListener's default backlog is 10. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (service), 1024);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error))
    {
      g_printerr ("Cannot listen on 127.0.0.1:%d: %s\n", port, error->message);
      g_object_unref (mock.server);
      g_main_loop_unref (mock.loop);
      return 1;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), &mock);

  /* SoupServer keeps connections alive only while it has a listener of its own: give
   * it one that never gets anything to accept, one end of a socket pair. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
      (pair_listener = g_socket_new_from_fd (pair[0], &error)) == NULL ||
      (pair_peer = g_socket_new_from_fd (pair[1], &error)) == NULL ||
      !soup_server_listen_socket (mock.server, pair_listener, 0, &error))
    {
      g_printerr ("Cannot set up keep-alive: %s\n", error != NULL ? error->message : g_strerror (errno));
      g_object_unref (mock.server);
      g_main_loop_unref (mock.loop);
      return 1;
    }
  g_socket_service_start (service);

  g_print ("listening on %s://127.0.0.1:%u\n", mock.tls != NULL ? "https" : "http",
           g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  fflush (stdout);

  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, &mock);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, &mock);
  g_main_loop_run (mock.loop);
  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));

  /* Disconnecting emits "disconnected" on open messages, which frees their chats. */
  soup_server_disconnect (mock.server);
  while (g_hash_table_size (active) > 0)
    {
      GHashTableIter iter;
      gpointer chat;

      g_hash_table_iter_init (&iter, active);
      g_hash_table_iter_next (&iter, &chat, NULL);
      chat_free (chat);
    }
  g_object_unref (mock.server);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_queue_clear_full (&mock.faults, (GDestroyNotify) fault_free);
  g_queue_clear_full (&mock.requests, (GDestroyNotify) json_node_unref);
  g_main_loop_unref (mock.loop);
  g_clear_object (&mock.tls);

  return 0;
}
