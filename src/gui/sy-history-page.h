/* sy-history-page.h — the History page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-history-model.h"
#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_HISTORY_PAGE (sy_history_page_get_type ())
G_DECLARE_FINAL_TYPE (SyHistoryPage, sy_history_page, SY, HISTORY_PAGE, AdwBin)

GtkWidget      *sy_history_page_new       (SyServices    *services);
/* The list's model, for tests. */
SyHistoryModel *sy_history_page_get_model (SyHistoryPage *self);

G_END_DECLS
