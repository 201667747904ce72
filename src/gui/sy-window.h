/* sy-window.h — the main window: a view stack of the pages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_WINDOW (sy_window_get_type ())
G_DECLARE_FINAL_TYPE (SyWindow, sy_window, SY, WINDOW, AdwApplicationWindow)

/* @application may be NULL (tests build the window alone). */
SyWindow   *sy_window_new            (GtkApplication *application,
                                      SyServices     *services);
SyServices *sy_window_get_services   (SyWindow       *self);

/* Page names: "providers", "compare", "activity", "dashboard", "profiles", "endpoint". */
void        sy_window_show_page      (SyWindow       *self,
                                      const char     *name);
GtkWidget  *sy_window_get_page       (SyWindow       *self,
                                      const char     *name);
/* @message is plain text. */
void        sy_window_add_toast      (SyWindow       *self,
                                      const char     *message);
/* The same in the window @widget is in; outside one (a page being built or
 * torn down), the message goes to the log. */
void        sy_window_toast_for      (GtkWidget      *widget,
                                      const char     *message);

G_END_DECLS
