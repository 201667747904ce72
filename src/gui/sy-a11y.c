/* sy-a11y.c — names for the parts of libadwaita 1.2 rows that screen readers get unnamed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-a11y.h"

static void
label (GtkWidget  *widget,
       const char *name)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
name_switches (GtkWidget  *widget,
               const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      /* The rows added to the expander name their own switches. */
      if (GTK_IS_LIST_BOX (child) && gtk_widget_get_parent (child) != widget)
        continue;
      if (GTK_IS_SWITCH (child))
        label (child, name);
      else if (!GTK_IS_REVEALER (child))
        name_switches (child, name);
    }
}

void
sy_a11y_name_expander_row (AdwExpanderRow *row,
                           const char     *name)
{
  g_return_if_fail (ADW_IS_EXPANDER_ROW (row));
  g_return_if_fail (name != NULL);

  /* libadwaita 1.2 names only the header row inside the expander. */
  label (GTK_WIDGET (row), name);
  name_switches (GTK_WIDGET (row), name);
}

static void
name_buttons (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) || GTK_IS_TOGGLE_BUTTON (child))
        {
          const char *icon = gtk_button_get_icon_name (GTK_BUTTON (child));
          GtkWidget *image = gtk_button_get_child (GTK_BUTTON (child));

          if (icon == NULL && GTK_IS_IMAGE (image))
            icon = gtk_image_get_icon_name (GTK_IMAGE (image));
          if (g_strcmp0 (icon, "object-select-symbolic") == 0)
            label (child, _("Apply"));
          else
            label (child, _("Show or Hide the Text"));
        }
      else
        name_buttons (child);
    }
}

void
sy_a11y_name_entry_buttons (AdwEntryRow *row)
{
  g_return_if_fail (ADW_IS_ENTRY_ROW (row));
  name_buttons (GTK_WIDGET (row));
}

static void
name_toggles (GtkWidget  *widget,
              const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_TOGGLE_BUTTON (child))
        label (child, name);
      else if (!GTK_IS_POPOVER (child))
        name_toggles (child, name);
    }
}

void
sy_a11y_name_drop_down (GtkDropDown *dropdown,
                        const char  *name)
{
  g_return_if_fail (GTK_IS_DROP_DOWN (dropdown));
  g_return_if_fail (name != NULL);

  /* GTK 4.8 gives the button that opens the list no name of its own. */
  label (GTK_WIDGET (dropdown), name);
  name_toggles (GTK_WIDGET (dropdown), name);
}
