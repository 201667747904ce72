/* fuzz-responses-request.c — libFuzzer target for the Responses request
 * translator (client request → hub → Anthropic and Gemini upstream requests), and
 * for the completion translators, reading the same input as a hub completion
 * (→ Responses and Anthropic response objects) and as an Anthropic message
 * (→ hub completion).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-responses-request"

#include "fuzz-util.h"

static void
request_to_upstreams (JsonObject *request)
{
  g_autoptr(JsonObject) hub = NULL;
  g_autoptr(JsonObject) anthropic = NULL;
  g_autoptr(JsonObject) gemini = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) anthropic_error = NULL;
  g_autoptr(GError) gemini_error = NULL;

  hub = sy_responses_request_to_hub (request, &error);
  sy_fuzz_check_result (hub, error);
  if (hub == NULL)
    return;

  anthropic = sy_anthropic_request_from_hub (hub, 4096, &anthropic_error);
  sy_fuzz_check_result (anthropic, anthropic_error);
  gemini = sy_gemini_request_from_hub (hub, &gemini_error);
  sy_fuzz_check_result (gemini, gemini_error);
}

static void
completion_to_clients (JsonObject *completion)
{
  g_autoptr(JsonObject) responses = sy_responses_response_from_hub (completion);
  g_autoptr(JsonObject) anthropic = sy_anthropic_response_from_hub (completion);

  sy_fuzz_check_object (responses);
  sy_fuzz_check_object (anthropic);
}

static void
message_to_clients (JsonObject *message)
{
  g_autoptr(JsonObject) completion = NULL;
  g_autoptr(JsonObject) responses = NULL;
  g_autoptr(GError) error = NULL;

  completion = sy_anthropic_response_to_hub (message, &error);
  sy_fuzz_check_result (completion, error);
  if (completion == NULL)
    return;

  /* Anthropic upstream → Responses client, as the router chains them. */
  responses = sy_responses_response_from_hub (completion);
  sy_fuzz_check_object (responses);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) object = NULL;

  sy_fuzz_init ();

  object = sy_fuzz_parse_object (data, size);
  if (object == NULL)
    return 0;

  request_to_upstreams (object);
  completion_to_clients (object);
  message_to_clients (object);

  return 0;
}
