/* sy-surface-openai.h — the OpenAI-compatible surface: chat completions and models.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "sy-server.h"

G_BEGIN_DECLS

void sy_surface_openai_register (SyServer *server);

G_END_DECLS
