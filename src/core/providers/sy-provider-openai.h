/* sy-provider-openai.h — the OpenAI-compatible upstream adapter (Chat Completions).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "sy-config.h"
#include "sy-cost.h"

G_BEGIN_DECLS

/* A POST to PROVIDER.base_url + "/chat/completions" carrying @request (the hub
 * request, left as it is) with `model` rewritten, client-supplied upstream URLs
 * and keys dropped, `stream_options.include_usage` asked for when streaming so
 * that streamed answers carry usage too, and the provider's quirks (see
 * quirks_table) applied: each adjustment is appended to @notes (may be NULL)
 * for history. */
SoupMessage *sy_provider_openai_build (const SyProvider *provider,
                                       const char       *model,
                                       JsonObject       *request,
                                       gboolean          stream,
                                       const char       *key,
                                       GPtrArray        *notes);

/* The message of an error body in any of the three formats (OpenAI and Gemini
 * {"error":{"message"}}, Anthropic {"type":"error","error":{"message"}}), or NULL. */
char        *sy_provider_openai_error_message (GBytes *body);

G_END_DECLS
