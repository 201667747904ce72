/* sy-a11y.h — names for the parts of libadwaita 1.2 rows that screen readers get unnamed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The expander's own list item and its enable switch (if shown) get @name. */
void sy_a11y_name_expander_row (AdwExpanderRow *row,
                                const char     *name);

/* The icon buttons inside an entry row (apply, and the password row's peek
 * button) get names saying what they do to @what ("the API key"). */
void sy_a11y_name_entry_buttons (AdwEntryRow *row);

/* A drop-down and the button inside it that opens its list get @name. */
void sy_a11y_name_drop_down (GtkDropDown *dropdown,
                             const char  *name);

G_END_DECLS
