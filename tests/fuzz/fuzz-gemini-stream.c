/* fuzz-gemini-stream.c — libFuzzer target for the Gemini translators on the
 * upstream side: streamGenerateContent?alt=sse bytes → hub chunks → Anthropic and
 * Responses client events, and the whole input as one GenerateContentResponse
 * → hub completion → Anthropic and Responses response objects.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-gemini-stream"

#include "fuzz-util.h"

#define MODEL "gemini-2.5-flash"

static void
response_to_clients (const uint8_t *data,
                     size_t         size)
{
  g_autoptr(JsonObject) response = sy_fuzz_parse_object (data, size);
  g_autoptr(JsonObject) completion = NULL;
  g_autoptr(JsonObject) anthropic = NULL;
  g_autoptr(JsonObject) responses = NULL;
  g_autoptr(GError) error = NULL;

  if (response == NULL)
    return;

  completion = sy_gemini_response_to_hub (response, MODEL, &error);
  sy_fuzz_check_result (completion, error);
  if (completion == NULL)
    return;

  anthropic = sy_anthropic_response_from_hub (completion);
  sy_fuzz_check_object (anthropic);
  responses = sy_responses_response_from_hub (completion);
  sy_fuzz_check_object (responses);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  sy_fuzz_init ();

  sy_fuzz_decode_to_clients (sy_gemini_decoder_new (MODEL), MODEL, data, size);

  response_to_clients (data, size);

  return 0;
}
