/* sy-responses.c — placeholder until the translator lands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-translate.h"

JsonObject      *
sy_responses_request_to_hub (JsonObject *request, GError **error)
{
  return NULL;
}

JsonObject      *
sy_responses_response_from_hub (JsonObject *completion)
{
  return NULL;
}

SyStreamEncoder *
sy_responses_encoder_new (const char *model)
{
  return NULL;
}
