/* sy-surface-responses.h — the OpenAI Responses surface: /v1/responses.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "sy-server.h"

G_BEGIN_DECLS

void sy_surface_responses_register (SyServer *server);

G_END_DECLS
