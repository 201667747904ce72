/* sy-guards.h — the local endpoint's security rules, checked before any body is read.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SY_MAX_BODY_BYTES (32 * 1024 * 1024)

/* Checks Host, Origin, Sec-Fetch-Site, the token on the /v1 routes, Content-Type and
 * Content-Length. On failure returns FALSE with the status to answer and the
 * error body (in the shape of the API that was called) in @status and @body. */
gboolean sy_guards_check_headers (SoupServerMessage  *msg,
                                  guint               port,
                                  const char         *token,
                                  guint              *status,
                                  char              **body);

/* Constant-time comparison of a presented token with the expected one. */
gboolean sy_guards_token_equal   (const char        *presented,
                                  const char        *expected);

G_END_DECLS
