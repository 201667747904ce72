/* fuzz-anthropic-stream.c — libFuzzer target for the Anthropic stream decoder and
 * the client stream encoders: an upstream SSE byte stream → hub chunks →
 * Anthropic and Responses client events. The same bytes also run as a hub
 * stream (an OpenAI-compatible upstream) straight into the encoders.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-anthropic-stream"

#include "fuzz-util.h"

#define MODEL "claude-sonnet-4-5"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  SyFuzzClients clients;

  sy_fuzz_init ();

  sy_fuzz_decode_to_clients (sy_anthropic_decoder_new (MODEL), MODEL, data, size);

  /* The same bytes as an OpenAI-compatible upstream's chunks. */
  sy_fuzz_clients_init (&clients, MODEL);
  sy_fuzz_run_hub_stream (clients.encoders, G_N_ELEMENTS (clients.encoders), data, size);
  sy_fuzz_clients_clear (&clients);

  return 0;
}
