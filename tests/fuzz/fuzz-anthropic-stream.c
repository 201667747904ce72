/* fuzz-anthropic-stream.c — libFuzzer target for the Anthropic stream decoder and
 * the client stream encoders: an upstream SSE byte stream → hub chunks →
 * Anthropic and Responses client events. The same bytes also run as a hub
 * stream (an OpenAI-compatible upstream) straight into the encoders.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-anthropic-stream"

#include "fuzz-util.h"

#define MODEL "claude-sonnet-4-5"

static void
free_encoders (SyStreamEncoder **encoders,
               guint             n_encoders)
{
  for (guint i = 0; i < n_encoders; i++)
    g_clear_pointer (&encoders[i], sy_stream_encoder_free);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(SyStreamDecoder) decoder = NULL;
  SyStreamEncoder *encoders[2];

  sy_fuzz_init ();

  decoder = sy_anthropic_decoder_new (MODEL);
  if (decoder != NULL)
    g_assert_false (decoder->done);
  encoders[0] = sy_anthropic_encoder_new (MODEL);
  encoders[1] = sy_responses_encoder_new (MODEL);
  sy_fuzz_run_stream (decoder, encoders, G_N_ELEMENTS (encoders), data, size);
  free_encoders (encoders, G_N_ELEMENTS (encoders));

  encoders[0] = sy_anthropic_encoder_new (MODEL);
  encoders[1] = sy_responses_encoder_new (MODEL);
  sy_fuzz_run_hub_stream (encoders, G_N_ELEMENTS (encoders), data, size);
  free_encoders (encoders, G_N_ELEMENTS (encoders));

  return 0;
}
