/* sy-compare-page.h — the Compare page: one prompt to several models side by side.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-compare-column.h"
#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_COMPARE_PAGE (sy_compare_page_get_type ())
G_DECLARE_FINAL_TYPE (SyComparePage, sy_compare_page, SY, COMPARE_PAGE, AdwBin)

#define SY_COMPARE_MAX_COLUMNS 6

GtkWidget       *sy_compare_page_new            (SyServices    *services);

/* The columns, left to right. */
guint            sy_compare_page_get_n_columns  (SyComparePage *self);
SyCompareColumn *sy_compare_page_get_column     (SyComparePage *self,
                                                 guint          index);
/* Replaces the columns with one per model (at most SY_COMPARE_MAX_COLUMNS),
 * starting a new comparison. */
void             sy_compare_page_set_models     (SyComparePage      *self,
                                                 const char * const *models);

/* The comparison the page shows: NULL before its first run. */
const char      *sy_compare_page_get_comparison_id (SyComparePage *self);
/* TRUE while a run, a save or a rating is in progress. */
gboolean         sy_compare_page_get_busy       (SyComparePage *self);

G_END_DECLS
