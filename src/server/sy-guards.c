/* sy-guards.c — the local endpoint's security rules, checked before any body is read.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-server"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "sy-guards.h"
#include "sy-http.h"

gboolean
sy_guards_token_equal (const char *presented,
                       const char *expected)
{
  gsize plen, elen;
  guint8 diff;

  if (presented == NULL || expected == NULL)
    return FALSE;

  plen = strlen (presented);
  elen = strlen (expected);
  diff = plen != elen;
  /* Walks the expected token whatever was presented, so timing reveals nothing. */
  for (gsize i = 0; i < elen; i++)
    diff |= (guint8) (expected[i] ^ presented[plen > 0 ? i % plen : 0]);
  return diff == 0 && elen > 0;
}

typedef struct {
  guint       count;
  const char *value;
} HostCount;

static void
count_host (const char *name,
            const char *value,
            gpointer    data)
{
  HostCount *hosts = data;

  if (g_ascii_strcasecmp (name, "Host") == 0)
    {
      hosts->count++;
      hosts->value = value;
    }
}

/* @value is "PREFIX127.0.0.1:PORT", "PREFIXlocalhost:PORT" or "PREFIX[::1]:PORT":
 * a Host header (no prefix) or an Origin ("http://") naming this endpoint. */
static gboolean
names_this_endpoint (const char *value,
                     const char *prefix,
                     guint       port)
{
  static const char * const hosts[] = { "127.0.0.1", "localhost", "[::1]" };

  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_autofree char *expected = g_strdup_printf ("%s%s:%u", prefix, hosts[i], port);
      if (g_ascii_strcasecmp (value, expected) == 0)
        return TRUE;
    }
  return FALSE;
}

static const char *
presented_token (SoupMessageHeaders *headers)
{
  const char *auth = soup_message_headers_get_one (headers, "Authorization");
  const char *api_key = soup_message_headers_get_one (headers, "x-api-key");

  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      auth += 7;
      while (*auth == ' ')
        auth++;
      return auth;
    }
  return api_key;
}

#define REJECT(code, type, message) \
  G_STMT_START { \
    *status = (code); \
    *body = sy_http_error_json (shape, (code), (type), (message)); \
    return FALSE; \
  } G_STMT_END

gboolean
sy_guards_check_headers (SoupServerMessage  *msg,
                         guint               port,
                         const char         *token,
                         guint              *status,
                         char              **body)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  SyErrorShape shape = sy_http_shape_for_path (path);
  const char *method = soup_server_message_get_method (msg);
  HostCount hosts = { 0, NULL };
  const char *value;

  soup_message_headers_foreach (headers, count_host, &hosts);
  if (hosts.count != 1)
    {
      REJECT (400, "invalid_request_error",
              _("Exactly one Host header is required"));
    }
  /* DNS rebinding: a page on evil.example that resolves to 127.0.0.1 still sends
   * its own name as Host. */
  if (!names_this_endpoint (hosts.value, "", port))
    {
      REJECT (403, "permission_error",
              _("Host not allowed: use 127.0.0.1, localhost or [::1] with this port"));
    }

  value = soup_message_headers_get_one (headers, "Origin");
  if (value != NULL && !names_this_endpoint (value, "http://", port))
    {
      REJECT (403, "permission_error",
              _("Cross-origin requests are not allowed"));
    }
  value = soup_message_headers_get_one (headers, "Sec-Fetch-Site");
  if (value != NULL && g_ascii_strcasecmp (value, "cross-site") == 0)
    {
      REJECT (403, "permission_error",
              _("Cross-site requests are not allowed"));
    }

  if (g_str_has_prefix (path, "/v1/") &&
      !sy_guards_token_equal (presented_token (headers), token))
    {
      REJECT (401, "authentication_error",
              _("Missing or wrong token: send the token from Switchyard's config "
                            "as \"Authorization: Bearer TOKEN\" or \"x-api-key\""));
    }

  if (g_str_equal (method, SOUP_METHOD_POST))
    {
      const char *content_type = soup_message_headers_get_content_type (headers, NULL);
      goffset length;

      if (content_type == NULL || g_ascii_strcasecmp (content_type, "application/json") != 0)
        {
          REJECT (415, "invalid_request_error",
              _("The request body must be JSON (Content-Type: application/json)"));
        }

      length = soup_message_headers_get_content_length (headers);
      if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
          length > SY_MAX_BODY_BYTES)
        {
          REJECT (413, "invalid_request_error",
              _("The request body is larger than 32 MiB"));
        }
    }

  return TRUE;
}
