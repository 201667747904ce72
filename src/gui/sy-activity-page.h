/* sy-activity-page.h — the Activity page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_ACTIVITY_PAGE (sy_activity_page_get_type ())
G_DECLARE_FINAL_TYPE (SyActivityPage, sy_activity_page, SY, ACTIVITY_PAGE, AdwBin)

GtkWidget *sy_activity_page_new    (SyServices    *services);

/* The request columns (time, client, requested, route, status, tokens, cost,
 * first token, duration) over a model of SyActivityItem: Activity's and
 * History's (@with_date: times carry their date). */
void       sy_activity_columns_add (GtkColumnView *column_view,
                                    gboolean       with_date);

G_END_DECLS
