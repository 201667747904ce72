/* sy-profiles-page.h — the Profiles page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_PROFILES_PAGE (sy_profiles_page_get_type ())
G_DECLARE_FINAL_TYPE (SyProfilesPage, sy_profiles_page, SY, PROFILES_PAGE, AdwBin)

GtkWidget *sy_profiles_page_new (SyServices *services);

G_END_DECLS
