/* sy-gemini.c — placeholder until the translator lands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-translate.h"

JsonObject      *
sy_gemini_request_from_hub (JsonObject *hub, GError **error)
{
  return NULL;
}

JsonObject      *
sy_gemini_response_to_hub (JsonObject *response, const char *model, GError **error)
{
  return NULL;
}

SyStreamDecoder *
sy_gemini_decoder_new (const char *model)
{
  return NULL;
}

SoupMessage     *
sy_provider_gemini_build (const SyProvider *provider, const char *model, JsonObject *request, gboolean stream, const char *key)
{
  return NULL;
}
