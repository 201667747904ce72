/* sy-frame-probe.c — frame and main-loop timings of a window, for benchmarks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <stdio.h>

#include "sy-frame-probe.h"

#define TICK_MS 10

typedef struct {
  char     *path;
  GArray   *frames;        /* double, ms of work per frame */
  GArray   *lateness;      /* double, ms the timer ran late */
  gint64    frame_start;
  gint64    frame_counter;   /* the frame frame_start belongs to */
  gint64    measure_from;    /* the first frames (building the window) are not counted */
  gint64    next_tick;
  guint     tick_id;
  gulong    layout_id;
  gulong    paint_id;
  gulong    painted_id;
  GdkFrameClock *clock;
} Probe;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  if (values->len == 0)
    return 0;
  return g_array_index (values, double, MIN (values->len - 1, (guint) (p * values->len)));
}

static guint
count_over (GArray *values,
            double  limit)
{
  guint n = 0;

  for (guint i = 0; i < values->len; i++)
    n += g_array_index (values, double, i) > limit;
  return n;
}

static void
probe_write (Probe *probe)
{
  FILE *file;

  g_array_sort (probe->frames, compare_doubles);
  g_array_sort (probe->lateness, compare_doubles);
  file = fopen (probe->path, "a");
  if (file == NULL)
    return;
  fprintf (file, "{\"frames\":%u,\"frame_p50_ms\":%.2f,\"frame_p99_ms\":%.2f,\"frame_max_ms\":%.2f,"
           "\"frames_over_16ms\":%u,\"frames_over_50ms\":%u,"
           "\"loop_late_p50_ms\":%.2f,\"loop_late_max_ms\":%.2f,\"loop_late_over_50ms\":%u}\n",
           probe->frames->len, percentile (probe->frames, 0.5), percentile (probe->frames, 0.99),
           percentile (probe->frames, 1.0), count_over (probe->frames, 16), count_over (probe->frames, 50),
           percentile (probe->lateness, 0.5), percentile (probe->lateness, 1.0),
           count_over (probe->lateness, 50));
  fclose (file);
}

static void
probe_free (gpointer data)
{
  Probe *probe = data;

  g_clear_handle_id (&probe->tick_id, g_source_remove);
  if (probe->clock != NULL)
    {
      /* A clock that was disposed with its window has no handlers left. */
      gulong ids[] = { probe->layout_id, probe->paint_id, probe->painted_id };

      for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
        if (g_signal_handler_is_connected (probe->clock, ids[i]))
          g_signal_handler_disconnect (probe->clock, ids[i]);
      g_object_unref (probe->clock);
    }
  g_array_unref (probe->frames);
  g_array_unref (probe->lateness);
  g_free (probe->path);
  g_free (probe);
}

/* A frame's work: from its start (before-paint; or its paint, when only that
 * was asked for) to the end of its paint, the update and layout phases in
 * between included. */
static void
frame_phase (GdkFrameClock *clock,
             Probe         *probe)
{
  gint64 counter = gdk_frame_clock_get_frame_counter (clock);

  if (probe->frame_start != 0 && probe->frame_counter == counter)
    return;
  probe->frame_start = g_get_monotonic_time ();
  probe->frame_counter = counter;
}

static void
frame_painted (GdkFrameClock *clock,
               Probe         *probe)
{
  gint64 now = g_get_monotonic_time ();
  double ms;

  if (probe->frame_start == 0)
    return;
  ms = (now - probe->frame_start) / 1000.0;
  probe->frame_start = 0;
  if (now >= probe->measure_from)
    g_array_append_val (probe->frames, ms);
}

static gboolean
tick (gpointer data)
{
  Probe *probe = data;
  gint64 now = g_get_monotonic_time ();
  double late = MAX (0, (now - probe->next_tick) / 1000.0);

  if (now >= probe->measure_from)
    g_array_append_val (probe->lateness, late);
  probe->next_tick = now + TICK_MS * 1000;
  return G_SOURCE_CONTINUE;
}

static void
window_mapped (GtkWidget *window,
               Probe     *probe)
{
  if (probe->clock != NULL)
    return;
  probe->clock = g_object_ref (gtk_widget_get_frame_clock (window));
  /* before-paint starts every frame, before the widgets' own update and
   * layout handlers (connected earlier, so running before a "layout" handler
   * of ours): their work counts too. */
  probe->layout_id = g_signal_connect (probe->clock, "before-paint", G_CALLBACK (frame_phase), probe);
  probe->paint_id = g_signal_connect (probe->clock, "paint", G_CALLBACK (frame_phase), probe);
  probe->painted_id = g_signal_connect_after (probe->clock, "paint", G_CALLBACK (frame_painted), probe);
  probe->measure_from = g_get_monotonic_time () + G_USEC_PER_SEC;
  probe->next_tick = g_get_monotonic_time () + TICK_MS * 1000;
  probe->tick_id = g_timeout_add (TICK_MS, tick, probe);
}

void
sy_frame_probe_attach (GtkWindow *window)
{
  const char *path = g_getenv ("SWITCHYARD_FRAME_PROBE");
  Probe *probe;

  if (path == NULL || *path == '\0')
    return;
  probe = g_new0 (Probe, 1);
  probe->path = g_strdup (path);
  probe->frames = g_array_new (FALSE, FALSE, sizeof (double));
  probe->lateness = g_array_new (FALSE, FALSE, sizeof (double));
  g_signal_connect (window, "map", G_CALLBACK (window_mapped), probe);
  g_signal_connect_swapped (window, "destroy", G_CALLBACK (probe_write), probe);
  g_object_set_data_full (G_OBJECT (window), "sy-frame-probe", probe, probe_free);
}
