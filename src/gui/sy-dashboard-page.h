/* sy-dashboard-page.h — the Dashboard page: where the money and the milliseconds went.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_DASHBOARD_PAGE (sy_dashboard_page_get_type ())
G_DECLARE_FINAL_TYPE (SyDashboardPage, sy_dashboard_page, SY, DASHBOARD_PAGE, AdwBin)

GtkWidget *sy_dashboard_page_new         (SyServices      *services);

/* TRUE while a refresh of the totals and charts, or of the What If, runs on
 * its worker thread. */
gboolean   sy_dashboard_page_get_loading (SyDashboardPage *self);

G_END_DECLS
