/* sy-frame-probe.h — frame and main-loop timings of a window, for benchmarks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* When $SWITCHYARD_FRAME_PROBE names a file, measures every frame of @window
 * (its layout and paint) and how late a 10 ms timer on the main loop runs, from
 * one second after the window was shown, and writes one JSON line of statistics
 * to that file when the window is destroyed. Does nothing otherwise. */
void sy_frame_probe_attach (GtkWindow *window);

G_END_DECLS
