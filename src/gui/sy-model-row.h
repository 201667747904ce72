/* sy-model-row.h — one model of a profile: reorderable by drag and drop and by keyboard.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SY_TYPE_MODEL_ROW (sy_model_row_get_type ())
G_DECLARE_FINAL_TYPE (SyModelRow, sy_model_row, SY, MODEL_ROW, AdwActionRow)

/* Signals: "move" (int delta: -1 up, +1 down), "remove", and "dropped"
 * (SyModelRow *source, gboolean after) on the row another row was dropped on. */
GtkWidget  *sy_model_row_new          (const char *model_id);
const char *sy_model_row_get_model_id (SyModelRow *self);

/* Where the row stands among @n_rows: what it can move to. */
void        sy_model_row_set_position (SyModelRow *self,
                                       guint       position,
                                       guint       n_rows);
guint       sy_model_row_get_position (SyModelRow *self);

G_END_DECLS
