/* sy-anthropic.c — placeholder until the translator lands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-translate.h"

JsonObject      *
sy_anthropic_request_to_hub (JsonObject *request, GError **error)
{
  return NULL;
}

JsonObject      *
sy_anthropic_response_from_hub (JsonObject *completion)
{
  return NULL;
}

SyStreamEncoder *
sy_anthropic_encoder_new (const char *model)
{
  return NULL;
}

JsonObject      *
sy_anthropic_request_from_hub (JsonObject *hub, gint64 default_max_tokens, GError **error)
{
  return NULL;
}

JsonObject      *
sy_anthropic_response_to_hub (JsonObject *message, GError **error)
{
  return NULL;
}

SyStreamDecoder *
sy_anthropic_decoder_new (const char *model)
{
  return NULL;
}

void
sy_anthropic_usage_read (JsonObject *usage, SyUsage *out)
{
  memset (out, 0, sizeof *out);
}

SoupMessage     *
sy_provider_anthropic_build (const SyProvider *provider, const char *model, JsonObject *request, gboolean stream, gint64 default_max_tokens, const char *key)
{
  return NULL;
}
