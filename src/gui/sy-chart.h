/* sy-chart.h — a chart drawn with GtkSnapshot: lines, bars, stacked bars, histograms.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum {
  SY_CHART_LINE,
  SY_CHART_BAR,             /* series side by side in each category */
  SY_CHART_STACKED_BAR,     /* series stacked in each category */
  SY_CHART_HORIZONTAL_BAR,  /* one row per category, series side by side */
  SY_CHART_HISTOGRAM,       /* one series, bars touching */
} SyChartKind;

typedef enum {
  SY_CHART_UNIT_COUNT,
  SY_CHART_UNIT_USD,
  SY_CHART_UNIT_MS,
  SY_CHART_UNIT_PERCENT,    /* values are fractions: 0.25 is 25 % */
  SY_CHART_UNIT_TOKENS_PER_S,
} SyChartUnit;

#define SY_TYPE_CHART (sy_chart_get_type ())
G_DECLARE_FINAL_TYPE (SyChart, sy_chart, SY, CHART, GtkWidget)

GtkWidget  *sy_chart_new                (const char          *title);

const char *sy_chart_get_title          (SyChart             *self);
void        sy_chart_set_title          (SyChart             *self,
                                         const char          *title);
SyChartUnit sy_chart_get_unit           (SyChart             *self);
void        sy_chart_set_unit           (SyChart             *self,
                                         SyChartUnit          unit);

/* Replaces the data: @values holds @n_series rows of @n_categories values
 * (values[s * n_categories + c]); NAN where a series has no value. No
 * category, or no series, is the empty state. Everything is copied. */
void        sy_chart_set_data           (SyChart             *self,
                                         SyChartKind          kind,
                                         guint                n_categories,
                                         const char * const  *categories,
                                         guint                n_series,
                                         const char * const  *series,
                                         const double        *values);
/* Back to the empty state ("No data in this range"). */
void        sy_chart_clear              (SyChart             *self);

/* Read-only views of the data, for tests and assistive technologies. */
SyChartKind sy_chart_get_kind           (SyChart             *self);
gboolean    sy_chart_is_empty           (SyChart             *self);
guint       sy_chart_get_n_categories   (SyChart             *self);
guint       sy_chart_get_n_series       (SyChart             *self);
const char *sy_chart_get_category_label (SyChart             *self,
                                         guint                category);
const char *sy_chart_get_series_name    (SyChart             *self,
                                         guint                series);
double      sy_chart_get_value          (SyChart             *self,
                                         guint                series,
                                         guint                category);
/* The category the keyboard or pointer highlights; -1 when none. */
int         sy_chart_get_highlight      (SyChart             *self);

/* @value in @unit, as the chart writes it. */
char       *sy_chart_format_value       (SyChartUnit          unit,
                                         double               value);

G_END_DECLS
