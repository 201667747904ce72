/* sy-activity-page.h — the Activity page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_ACTIVITY_PAGE (sy_activity_page_get_type ())
G_DECLARE_FINAL_TYPE (SyActivityPage, sy_activity_page, SY, ACTIVITY_PAGE, AdwBin)

GtkWidget *sy_activity_page_new (SyServices *services);

G_END_DECLS
