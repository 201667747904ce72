/* sy-endpoint-page.h — the Endpoint page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_ENDPOINT_PAGE (sy_endpoint_page_get_type ())
G_DECLARE_FINAL_TYPE (SyEndpointPage, sy_endpoint_page, SY, ENDPOINT_PAGE, AdwBin)

GtkWidget *sy_endpoint_page_new (SyServices *services);

G_END_DECLS
