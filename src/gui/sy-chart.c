/* sy-chart.c — a chart drawn with GtkSnapshot: lines, bars, stacked bars, histograms.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "sy-chart.h"

#define PAD 6.0
#define SWATCH 10.0
#define TARGET_TICKS 4
#define MAX_BAR 48.0
#define MIN_PLOT 110.0      /* the plot's least height, legend and labels apart */
#define NATURAL_WIDTH 360

struct _SyChart
{
  GtkWidget    parent_instance;

  /* data */
  char        *title;
  SyChartKind  kind;
  SyChartUnit  unit;
  GStrv        categories;
  GStrv        series;
  guint        n_categories;
  guint        n_series;
  double      *values;

  /* state */
  int          highlight;
};

G_DEFINE_FINAL_TYPE (SyChart, sy_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_UNIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The libadwaita palette: a darker shade on light backgrounds, a lighter one on
 * dark; then the accent colours it lacks (teal, pink, slate) and a neutral, so
 * that a month of a dozen models repeats no colour. */
static const char * const palette_light[] = {
  "#1c71d8", "#26a269", "#e5a50a", "#e66100", "#c01c28", "#813d9c", "#865e3c",
  "#2190a4", "#d56199", "#6f8396", "#3d3846",
};
static const char * const palette_dark[] = {
  "#62a0ea", "#57e389", "#f8e45c", "#ffa348", "#f66151", "#c061cb", "#cdab8f",
  "#5bc8db", "#f28ec0", "#a3b3c4", "#deddda",
};
G_STATIC_ASSERT (G_N_ELEMENTS (palette_light) == G_N_ELEMENTS (palette_dark));

typedef struct {
  graphene_rect_t plot;
  double          axis_max;
  double          step;
  guint           n_ticks;
  double          legend_height;
  double          slot;       /* a category's width (or height when horizontal) */
} Layout;

/* ------------------------------------------------------------------ numbers */

static char *
format_number (SyChartUnit unit,
               double      value,
               int         decimals)
{
  switch (unit)
    {
    case SY_CHART_UNIT_USD:
      return g_strdup_printf (_("$%.*f"), decimals, value);
    case SY_CHART_UNIT_MS:
      if (fabs (value) >= 1000)
        return g_strdup_printf (_("%.*f s"), decimals, value / 1000);
      return g_strdup_printf (_("%.*f ms"), decimals, value);
    case SY_CHART_UNIT_PERCENT:
      return g_strdup_printf (_("%.*f %%"), decimals, value * 100);
    case SY_CHART_UNIT_TOKENS_PER_S:
      return g_strdup_printf (_("%.*f tokens/s"), decimals, value);
    case SY_CHART_UNIT_COUNT:
    default:
      return g_strdup_printf ("%.*f", decimals, value);
    }
}

char *
sy_chart_format_value (SyChartUnit unit,
                       double      value)
{
  int decimals;

  if (isnan (value))
    return g_strdup (_("no value"));
  switch (unit)
    {
    case SY_CHART_UNIT_USD:
      decimals = value != 0 && fabs (value) < 0.01 ? 4 : 2;
      break;
    case SY_CHART_UNIT_MS:
      decimals = fabs (value) >= 1000 ? 2 : 0;
      break;
    case SY_CHART_UNIT_PERCENT:
    case SY_CHART_UNIT_TOKENS_PER_S:
      decimals = 1;
      break;
    case SY_CHART_UNIT_COUNT:
    default:
      decimals = value == floor (value) ? 0 : 2;
      break;
    }
  return format_number (unit, value, decimals);
}

static char *
format_tick (SyChartUnit unit,
             double      value,
             double      step)
{
  double shown_step = step;

  /* Cents, as prices are written, once the step is below a dollar; below a cent,
   * as many decimals as the step needs, so that no two ticks read the same. */
  if (unit == SY_CHART_UNIT_USD && step < 1)
    return format_number (unit, value, step < 0.01 ? MAX (4, (int) -floor (log10 (step) + 1e-9)) : 2);
  if (unit == SY_CHART_UNIT_PERCENT)
    shown_step = step * 100;
  else if (unit == SY_CHART_UNIT_MS && value >= 1000)
    shown_step = step / 1000;
  return format_number (unit, value, MAX (0, (int) -floor (log10 (shown_step) + 1e-9)));
}

/* 1, 2 or 5 times a power of ten, so that the ticks read as round numbers. */
static double
nice_step (double max)
{
  double raw = max / TARGET_TICKS;
  double magnitude = pow (10, floor (log10 (raw)));
  double fraction = raw / magnitude;

  if (fraction <= 1)
    return magnitude;
  if (fraction <= 2)
    return 2 * magnitude;
  if (fraction <= 5)
    return 5 * magnitude;
  return 10 * magnitude;
}

/* The next round step above @step: 1 → 2 → 5 → 10. */
static double
next_step (double step)
{
  double magnitude = pow (10, floor (log10 (step) + 1e-9));
  double fraction = step / magnitude;

  if (fraction < 1.5)
    return 2 * magnitude;
  if (fraction < 3.5)
    return 5 * magnitude;
  return 10 * magnitude;
}

static void
set_step (Layout *layout,
          double  max,
          double  step)
{
  layout->step = step;
  layout->n_ticks = MAX (1, (guint) ceil (max / step - 1e-9));
  layout->axis_max = layout->n_ticks * step;
}

static double
value_at (SyChart *self,
          guint    series,
          guint    category)
{
  return self->values[series * self->n_categories + category];
}

static double
data_max (SyChart *self)
{
  double max = 0;

  for (guint c = 0; c < self->n_categories; c++)
    {
      double sum = 0;

      for (guint s = 0; s < self->n_series; s++)
        {
          double v = value_at (self, s, c);

          if (isnan (v) || v <= 0)
            continue;
          if (self->kind == SY_CHART_STACKED_BAR)
            sum += v;
          else
            max = MAX (max, v);
        }
      max = MAX (max, sum);
    }
  return max;
}

/* ------------------------------------------------------------------ drawing */

static gboolean
stacked_legend (SyChart *self)
{
  return self->n_series > 1;
}

static void
get_text_color (SyChart *self,
                GdkRGBA *color)
{
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), color);
}

static void
get_series_color (SyChart *self,
                  guint    series,
                  GdkRGBA *color)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  const char * const *palette = dark ? palette_dark : palette_light;

  gdk_rgba_parse (color, palette[series % G_N_ELEMENTS (palette_light)]);
}

static void
text_size (SyChart    *self,
           const char *text,
           double     *width,
           double     *height)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  if (width != NULL)
    *width = w;
  if (height != NULL)
    *height = h;
}

/* Draws @text with its top-left corner at (@x, @y); ellipsized to @max_width if > 0. */
static void
draw_text (SyChart     *self,
           GtkSnapshot *snapshot,
           const char  *text,
           double       x,
           double       y,
           double       max_width,
           const GdkRGBA *color)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);

  if (max_width > 0)
    {
      pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) x, (float) y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* Lays out (and draws when @snapshot is not NULL) the legend in rows; returns its height. */
static double
legend (SyChart     *self,
        GtkSnapshot *snapshot,
        double       width,
        const GdkRGBA *text_color)
{
  double x = 0, y = 0, line_height = 0;

  if (!stacked_legend (self))
    return 0;
  for (guint s = 0; s < self->n_series; s++)
    {
      double w, h, entry;

      text_size (self, self->series[s], &w, &h);
      line_height = MAX (line_height, h);
      entry = SWATCH + 4 + w + 12;
      if (x > 0 && x + entry > width)
        {
          x = 0;
          y += line_height + 2;
        }
      if (snapshot != NULL)
        {
          GdkRGBA color;

          get_series_color (self, s, &color);
          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT ((float) x, (float) (y + (h - SWATCH) / 2),
                                                          SWATCH, SWATCH));
          draw_text (self, snapshot, self->series[s], x + SWATCH + 4, y, 0, text_color);
        }
      x += entry;
    }
  return y + line_height + PAD;
}

/* Whether the tick labels of @layout fit between their ticks. */
static gboolean
ticks_fit (SyChart      *self,
           const Layout *layout,
           double        text_height)
{
  double widest = 0;

  if (self->kind != SY_CHART_HORIZONTAL_BAR)
    return layout->plot.size.height / layout->n_ticks >= text_height + 2;
  for (guint i = 0; i <= layout->n_ticks; i++)
    {
      g_autofree char *tick = format_tick (self->unit, i * layout->step, layout->step);
      double w;

      text_size (self, tick, &w, NULL);
      widest = MAX (widest, w);
    }
  return layout->plot.size.width / layout->n_ticks >= widest + 2 * PAD;
}

static void
compute_layout (SyChart *self,
                double   width,
                double   height,
                Layout  *layout)
{
  double text_height, max_label = 0;
  double max = data_max (self);

  text_size (self, "0", NULL, &text_height);
  layout->legend_height = legend (self, NULL, width, NULL);
  if (max <= 0)
    max = 1;
  set_step (layout, max, nice_step (max));

  if (self->kind == SY_CHART_HORIZONTAL_BAR)
    for (guint c = 0; c < self->n_categories; c++)
      {
        double w;

        text_size (self, self->categories[c], &w, NULL);
        max_label = MAX (max_label, w);
      }

  /* Fewer, rounder ticks while their labels would run into each other. */
  for (guint attempt = 0; ; attempt++)
    {
      double left = 0, right = PAD;

      if (self->kind == SY_CHART_HORIZONTAL_BAR)
        {
          g_autofree char *last = format_tick (self->unit, layout->axis_max, layout->step);
          double w;

          left = MIN (max_label, width * 0.4) + PAD;
          text_size (self, last, &w, NULL);
          right = MAX (PAD, w / 2);
        }
      else
        {
          for (guint i = 0; i <= layout->n_ticks; i++)
            {
              g_autofree char *tick = format_tick (self->unit, i * layout->step, layout->step);
              double w;

              text_size (self, tick, &w, NULL);
              left = MAX (left, w);
            }
          left += PAD;
        }
      layout->plot = GRAPHENE_RECT_INIT ((float) left,
                                         (float) (layout->legend_height + text_height / 2),
                                         (float) MAX (1, width - left - right),
                                         (float) MAX (1, height - layout->legend_height - text_height / 2
                                                         - text_height - PAD));
      if (layout->n_ticks <= 1 || attempt == 8 || ticks_fit (self, layout, text_height))
        break;
      set_step (layout, max, next_step (layout->step));
    }
  if (self->kind == SY_CHART_HORIZONTAL_BAR)
    layout->slot = layout->plot.size.height / self->n_categories;
  else
    layout->slot = layout->plot.size.width / self->n_categories;
}

static void
draw_empty (SyChart     *self,
            GtkSnapshot *snapshot,
            double       width,
            double       height)
{
  const char *text = _("No data in this range");
  GdkRGBA color;
  double w, h;

  get_text_color (self, &color);
  color.alpha *= 0.55f;
  text_size (self, text, &w, &h);
  draw_text (self, snapshot, text, MAX (0, (width - w) / 2), MAX (0, (height - h) / 2), width, &color);
}

static void
draw_axes (SyChart       *self,
           GtkSnapshot   *snapshot,
           const Layout  *layout,
           const GdkRGBA *text_color)
{
  const graphene_rect_t *p = &layout->plot;
  GdkRGBA grid = *text_color, axis = *text_color;
  double text_height;

  grid.alpha *= 0.12f;
  axis.alpha *= 0.4f;
  text_size (self, "0", NULL, &text_height);
  for (guint i = 0; i <= layout->n_ticks; i++)
    {
      double value = i * layout->step;
      double fraction = value / layout->axis_max;
      g_autofree char *tick = format_tick (self->unit, value, layout->step);
      double w;

      text_size (self, tick, &w, NULL);
      if (self->kind == SY_CHART_HORIZONTAL_BAR)
        {
          float x = p->origin.x + (float) (fraction * p->size.width);

          gtk_snapshot_append_color (snapshot, i == 0 ? &axis : &grid,
                                     &GRAPHENE_RECT_INIT (x, p->origin.y, 1, p->size.height));
          draw_text (self, snapshot, tick, CLAMP (x - w / 2, 0, p->origin.x + p->size.width - w + PAD),
                     p->origin.y + p->size.height + PAD / 2, 0, text_color);
        }
      else
        {
          float y = p->origin.y + p->size.height - (float) (fraction * p->size.height);

          gtk_snapshot_append_color (snapshot, i == 0 ? &axis : &grid,
                                     &GRAPHENE_RECT_INIT (p->origin.x, y, p->size.width, 1));
          draw_text (self, snapshot, tick, p->origin.x - PAD - w, y - text_height / 2, 0, text_color);
        }
    }

  if (self->kind == SY_CHART_HORIZONTAL_BAR)
    {
      for (guint c = 0; c < self->n_categories; c++)
        {
          double w, h;
          double max_width = p->origin.x - PAD;

          text_size (self, self->categories[c], &w, &h);
          draw_text (self, snapshot, self->categories[c], MAX (0, max_width - w),
                     p->origin.y + (c + 0.5) * layout->slot - h / 2, max_width, text_color);
        }
    }
  else
    {
      double widest = 0, drawn_to = 0;
      guint every;

      for (guint c = 0; c < self->n_categories; c++)
        {
          double w;

          text_size (self, self->categories[c], &w, NULL);
          widest = MAX (widest, w);
        }
      /* Label every n-th category so that the labels never overlap; one
       * pushed in from an edge is left out if it would. */
      every = MAX (1, (guint) ceil ((widest + 2 * PAD) / layout->slot));
      for (guint c = 0; c < self->n_categories; c += every)
        {
          double w, x;
          double center = p->origin.x + (c + 0.5) * layout->slot;

          text_size (self, self->categories[c], &w, NULL);
          x = CLAMP (center - w / 2, 0, p->origin.x + p->size.width - w);
          if (c > 0 && x < drawn_to + PAD)
            continue;
          draw_text (self, snapshot, self->categories[c], x,
                     p->origin.y + p->size.height + PAD / 2, 0, text_color);
          drawn_to = x + w;
        }
    }
}

static void
draw_bars (SyChart      *self,
           GtkSnapshot  *snapshot,
           const Layout *layout)
{
  const graphene_rect_t *p = &layout->plot;
  gboolean horizontal = self->kind == SY_CHART_HORIZONTAL_BAR;
  gboolean stacked = self->kind == SY_CHART_STACKED_BAR;
  double inner, gap;

  if (self->kind == SY_CHART_HISTOGRAM)
    {
      gap = layout->slot > 4 ? 1 : 0;
      inner = layout->slot - gap;
    }
  else
    {
      /* A lone category would otherwise be one wide slab. */
      inner = CLAMP (layout->slot * 0.7, 1, MAX_BAR * (stacked ? 1 : self->n_series));
      gap = (layout->slot - inner) / 2;
    }

  for (guint c = 0; c < self->n_categories; c++)
    {
      double base = 0;

      for (guint s = 0; s < self->n_series; s++)
        {
          double v = value_at (self, s, c);
          double thickness = stacked || self->n_series == 1 ? inner : inner / self->n_series;
          double offset = stacked || self->n_series == 1 ? 0 : s * thickness;
          double from, length;
          GdkRGBA color;

          if (isnan (v) || v <= 0)
            continue;
          get_series_color (self, s, &color);
          if (horizontal)
            {
              from = base / layout->axis_max * p->size.width;
              length = v / layout->axis_max * p->size.width;
              gtk_snapshot_append_color (snapshot, &color,
                                         &GRAPHENE_RECT_INIT ((float) (p->origin.x + from),
                                                              (float) (p->origin.y + c * layout->slot + gap + offset),
                                                              (float) MAX (1, length), (float) thickness));
            }
          else
            {
              from = base / layout->axis_max * p->size.height;
              length = v / layout->axis_max * p->size.height;
              gtk_snapshot_append_color (snapshot, &color,
                                         &GRAPHENE_RECT_INIT ((float) (p->origin.x + c * layout->slot + gap + offset),
                                                              (float) (p->origin.y + p->size.height - from - length),
                                                              (float) thickness, (float) MAX (1, length)));
            }
          if (stacked)
            base += v;
        }
    }
}

static void
draw_lines (SyChart      *self,
            GtkSnapshot  *snapshot,
            const Layout *layout)
{
  const graphene_rect_t *p = &layout->plot;
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot,
                                           &GRAPHENE_RECT_INIT (p->origin.x - 4, p->origin.y - 4,
                                                                p->size.width + 8, p->size.height + 8));

  cairo_set_line_width (cr, 2);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint s = 0; s < self->n_series; s++)
    {
      GdkRGBA color;
      gboolean started = FALSE;

      get_series_color (self, s, &color);
      gdk_cairo_set_source_rgba (cr, &color);
      for (guint c = 0; c < self->n_categories; c++)
        {
          double v = value_at (self, s, c);
          double x = p->origin.x + (c + 0.5) * layout->slot;
          double y;

          if (isnan (v))
            {
              started = FALSE;
              continue;
            }
          y = p->origin.y + p->size.height - MAX (0, v) / layout->axis_max * p->size.height;
          if (started)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          started = TRUE;
        }
      cairo_stroke (cr);
      for (guint c = 0; c < self->n_categories; c++)
        {
          double v = value_at (self, s, c);

          if (isnan (v))
            continue;
          cairo_arc (cr, p->origin.x + (c + 0.5) * layout->slot,
                     p->origin.y + p->size.height - MAX (0, v) / layout->axis_max * p->size.height,
                     2.5, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
  cairo_destroy (cr);
}

static void
sy_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  SyChart *self = SY_CHART (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GdkRGBA text_color;
  Layout layout;

  if (sy_chart_is_empty (self))
    {
      draw_empty (self, snapshot, width, height);
      return;
    }

  get_text_color (self, &text_color);
  compute_layout (self, width, height, &layout);
  legend (self, snapshot, width, &text_color);

  if (self->highlight >= 0)
    {
      GdkRGBA band = text_color;
      const graphene_rect_t *p = &layout.plot;

      band.alpha *= gtk_widget_has_focus (widget) ? 0.14f : 0.08f;
      if (self->kind == SY_CHART_HORIZONTAL_BAR)
        gtk_snapshot_append_color (snapshot, &band,
                                   &GRAPHENE_RECT_INIT (0, (float) (p->origin.y + self->highlight * layout.slot),
                                                        (float) width, (float) layout.slot));
      else
        gtk_snapshot_append_color (snapshot, &band,
                                   &GRAPHENE_RECT_INIT ((float) (p->origin.x + self->highlight * layout.slot),
                                                        p->origin.y, (float) layout.slot, p->size.height));
    }

  draw_axes (self, snapshot, &layout, &text_color);
  if (self->kind == SY_CHART_LINE)
    draw_lines (self, snapshot, &layout);
  else
    draw_bars (self, snapshot, &layout);
}

/* --------------------------------------------------------------- interaction */

static char *
describe_category (SyChart *self,
                   guint    category)
{
  GString *text = g_string_new (self->categories[category]);

  for (guint s = 0; s < self->n_series; s++)
    {
      g_autofree char *value = sy_chart_format_value (self->unit, value_at (self, s, category));

      g_string_append_c (text, '\n');
      if (self->n_series == 1 && (self->series[s] == NULL || *self->series[s] == '\0'))
        g_string_append (text, value);
      else
        /* Translators: a series of a chart and its value, "p90: 120 ms" */
        g_string_append_printf (text, _("%s: %s"), self->series[s], value);
    }
  return g_string_free (text, FALSE);
}

static int
category_at (SyChart *self,
             double   x,
             double   y)
{
  Layout layout;
  double offset;

  if (sy_chart_is_empty (self))
    return -1;
  compute_layout (self, gtk_widget_get_width (GTK_WIDGET (self)),
                  gtk_widget_get_height (GTK_WIDGET (self)), &layout);
  if (self->kind == SY_CHART_HORIZONTAL_BAR)
    offset = (y - layout.plot.origin.y) / layout.slot;
  else
    offset = (x - layout.plot.origin.x) / layout.slot;
  if (offset < 0 || offset >= self->n_categories)
    return -1;
  return (int) offset;
}

static void
set_highlight (SyChart *self,
               int      highlight)
{
  g_autofree char *description = NULL;

  if (self->highlight == highlight)
    return;
  self->highlight = highlight;
  if (highlight >= 0)
    description = describe_category (self, (guint) highlight);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description != NULL ? description : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
query_tooltip (GtkWidget  *widget,
               int         x,
               int         y,
               gboolean    keyboard_mode,
               GtkTooltip *tooltip)
{
  SyChart *self = SY_CHART (widget);
  int category = keyboard_mode ? self->highlight : category_at (self, x, y);
  g_autofree char *text = NULL;

  if (category < 0)
    return FALSE;
  text = describe_category (self, (guint) category);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
motion (GtkEventControllerMotion *controller,
        double                    x,
        double                    y,
        SyChart                  *self)
{
  set_highlight (self, category_at (self, x, y));
}

static void
leave (GtkEventControllerMotion *controller,
       SyChart                  *self)
{
  if (!gtk_widget_has_focus (GTK_WIDGET (self)))
    set_highlight (self, -1);
}

static void
pressed (GtkGestureClick *gesture,
         int              n_press,
         double           x,
         double           y,
         SyChart         *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static gboolean
key_pressed (GtkEventControllerKey *controller,
             guint                  keyval,
             guint                  keycode,
             GdkModifierType        state,
             SyChart               *self)
{
  int last = (int) self->n_categories - 1;
  int next;

  if (sy_chart_is_empty (self) || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      next = self->highlight < 0 ? last : MAX (0, self->highlight - 1);
      break;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      next = self->highlight < 0 ? 0 : MIN (last, self->highlight + 1);
      break;
    case GDK_KEY_Home:
      next = 0;
      break;
    case GDK_KEY_End:
      next = last;
      break;
    default:
      return FALSE;
    }
  set_highlight (self, next);
  return TRUE;
}

/* ---------------------------------------------------------------- GObject */

/* The legend wraps: the height depends on the width. */
static GtkSizeRequestMode
sy_chart_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
sy_chart_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  SyChart *self = SY_CHART (widget);
  double text_height, legend_height, labels;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 200;
      *natural = NATURAL_WIDTH;
      return;
    }

  /* Whatever the legend takes, the plot keeps room for its ticks (and, on
   * its side, one line per category) under it. */
  text_size (self, "0", NULL, &text_height);
  legend_height = sy_chart_is_empty (self) ? 0
                  : legend (self, NULL, for_size > 0 ? for_size : NATURAL_WIDTH, NULL);
  labels = text_height / 2 + text_height + PAD;
  if (self->kind == SY_CHART_HORIZONTAL_BAR && !sy_chart_is_empty (self))
    {
      *minimum = (int) ceil (legend_height + labels
                             + MAX (MIN_PLOT, self->n_categories * (text_height + 2)));
      /* Room for each row of a horizontal bar chart. */
      *natural = MAX (*minimum, (int) (60 + 28 * self->n_categories + legend_height));
    }
  else
    {
      *minimum = (int) ceil (MAX (160, legend_height + labels + MIN_PLOT));
      *natural = MAX (*minimum, 220);
    }
}

static void
sy_chart_finalize (GObject *object)
{
  SyChart *self = SY_CHART (object);

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->categories, g_strfreev);
  g_clear_pointer (&self->series, g_strfreev);
  g_clear_pointer (&self->values, g_free);

  G_OBJECT_CLASS (sy_chart_parent_class)->finalize (object);
}

static void
sy_chart_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  SyChart *self = SY_CHART (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_UNIT:
      g_value_set_int (value, self->unit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_chart_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  SyChart *self = SY_CHART (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      sy_chart_set_title (self, g_value_get_string (value));
      break;
    case PROP_UNIT:
      sy_chart_set_unit (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_chart_class_init (SyChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = sy_chart_finalize;
  object_class->get_property = sy_chart_get_property;
  object_class->set_property = sy_chart_set_property;
  widget_class->snapshot = sy_chart_snapshot;
  widget_class->get_request_mode = sy_chart_get_request_mode;
  widget_class->measure = sy_chart_measure;
  widget_class->query_tooltip = query_tooltip;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_UNIT] =
    g_param_spec_int ("unit", NULL, NULL, SY_CHART_UNIT_COUNT, SY_CHART_UNIT_TOKENS_PER_S,
                      SY_CHART_UNIT_COUNT,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
sy_chart_init (SyChart *self)
{
  GtkEventController *controller;
  GtkGesture *click;

  self->highlight = -1;
  self->categories = g_new0 (char *, 1);
  self->series = g_new0 (char *, 1);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "motion", G_CALLBACK (motion), self);
  g_signal_connect (controller, "leave", G_CALLBACK (leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_key_new ();
  g_signal_connect (controller, "key-pressed", G_CALLBACK (key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  click = gtk_gesture_click_new ();
  g_signal_connect (click, "pressed", G_CALLBACK (pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (gtk_widget_queue_draw), self, G_CONNECT_SWAPPED);
}

GtkWidget *
sy_chart_new (const char *title)
{
  return g_object_new (SY_TYPE_CHART, "title", title, NULL);
}

const char *
sy_chart_get_title (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), NULL);
  return self->title;
}

void
sy_chart_set_title (SyChart    *self,
                    const char *title)
{
  g_return_if_fail (SY_IS_CHART (self));

  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title != NULL ? title : "", -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

SyChartUnit
sy_chart_get_unit (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), SY_CHART_UNIT_COUNT);
  return self->unit;
}

void
sy_chart_set_unit (SyChart     *self,
                   SyChartUnit  unit)
{
  g_return_if_fail (SY_IS_CHART (self));

  if (self->unit == unit)
    return;
  self->unit = unit;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNIT]);
}

void
sy_chart_set_data (SyChart            *self,
                   SyChartKind         kind,
                   guint               n_categories,
                   const char * const *categories,
                   guint               n_series,
                   const char * const *series,
                   const double       *values)
{
  g_return_if_fail (SY_IS_CHART (self));
  g_return_if_fail (n_categories == 0 || categories != NULL);
  g_return_if_fail (n_series == 0 || series != NULL);
  g_return_if_fail (n_categories * n_series == 0 || values != NULL);

  g_strfreev (self->categories);
  g_strfreev (self->series);
  g_free (self->values);
  self->kind = kind;
  self->n_categories = n_categories;
  self->n_series = n_series;
  self->categories = g_new0 (char *, n_categories + 1);
  for (guint c = 0; c < n_categories; c++)
    self->categories[c] = g_strdup (categories[c] != NULL ? categories[c] : "");
  self->series = g_new0 (char *, n_series + 1);
  for (guint s = 0; s < n_series; s++)
    self->series[s] = g_strdup (series[s] != NULL ? series[s] : "");
  self->values = g_memdup2 (values, sizeof (double) * n_categories * n_series);

  self->highlight = -1;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  sy_chart_is_empty (self) ? _("No data in this range") : "", -1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
sy_chart_clear (SyChart *self)
{
  g_return_if_fail (SY_IS_CHART (self));
  sy_chart_set_data (self, self->kind, 0, NULL, 0, NULL, NULL);
}

SyChartKind
sy_chart_get_kind (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), SY_CHART_LINE);
  return self->kind;
}

gboolean
sy_chart_is_empty (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), TRUE);
  return self->n_categories == 0 || self->n_series == 0;
}

guint
sy_chart_get_n_categories (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), 0);
  return self->n_categories;
}

guint
sy_chart_get_n_series (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), 0);
  return self->n_series;
}

const char *
sy_chart_get_category_label (SyChart *self,
                             guint    category)
{
  g_return_val_if_fail (SY_IS_CHART (self), NULL);
  g_return_val_if_fail (category < self->n_categories, NULL);
  return self->categories[category];
}

const char *
sy_chart_get_series_name (SyChart *self,
                          guint    series)
{
  g_return_val_if_fail (SY_IS_CHART (self), NULL);
  g_return_val_if_fail (series < self->n_series, NULL);
  return self->series[series];
}

double
sy_chart_get_value (SyChart *self,
                    guint    series,
                    guint    category)
{
  g_return_val_if_fail (SY_IS_CHART (self), NAN);
  g_return_val_if_fail (series < self->n_series && category < self->n_categories, NAN);
  return value_at (self, series, category);
}

int
sy_chart_get_highlight (SyChart *self)
{
  g_return_val_if_fail (SY_IS_CHART (self), -1);
  return self->highlight;
}
