/* sy-surface-anthropic.h — the Anthropic-compatible surface: /v1/messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "sy-server.h"

G_BEGIN_DECLS

void sy_surface_anthropic_register (SyServer *server);

G_END_DECLS
