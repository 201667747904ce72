/* sy-providers-page.h — the Providers page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_PROVIDERS_PAGE (sy_providers_page_get_type ())
G_DECLARE_FINAL_TYPE (SyProvidersPage, sy_providers_page, SY, PROVIDERS_PAGE, AdwBin)

GtkWidget *sy_providers_page_new (SyServices *services);

G_END_DECLS
