/* fuzz-anthropic-request.c — libFuzzer target for the Anthropic Messages request
 * translators: client request → hub → Anthropic and Gemini upstream requests.
 * The input also goes straight in as a hub request, since Chat Completions
 * clients send exactly that.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-anthropic-request"

#include "fuzz-util.h"

static void
hub_to_upstreams (JsonObject *hub)
{
  g_autoptr(GError) anthropic_error = NULL;
  g_autoptr(GError) gemini_error = NULL;
  g_autoptr(JsonObject) anthropic = NULL;
  g_autoptr(JsonObject) gemini = NULL;

  anthropic = sy_anthropic_request_from_hub (hub, 4096, &anthropic_error);
  sy_fuzz_check_result (anthropic, anthropic_error);

  gemini = sy_gemini_request_from_hub (hub, &gemini_error);
  sy_fuzz_check_result (gemini, gemini_error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) request = NULL;
  g_autoptr(JsonObject) hub = NULL;
  g_autoptr(GError) error = NULL;

  sy_fuzz_init ();

  request = sy_fuzz_parse_object (data, size);
  if (request == NULL)
    return 0;

  hub = sy_anthropic_request_to_hub (request, &error);
  sy_fuzz_check_result (hub, error);
  if (hub != NULL)
    hub_to_upstreams (hub);

  hub_to_upstreams (request);

  return 0;
}
