/* sy-dashboard-page.c — the Dashboard page: totals and charts of the request history.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sy-a11y.h"
#include "sy-activity-item.h"
#include "sy-chart.h"
#include "sy-dashboard-page.h"
#include "sy-insights.h"
#include "sy-json.h"
#include "sy-what-if.h"
#include "sy-window.h"

/* A finished request refreshes the page at most this often. */
#define THROTTLE_SECONDS 2

/* The What If table's numeric columns. */
#define N_WHAT_IF_COLUMNS 3

/* The Range dropdown's items: their length in days (0: all) and their name in
 * an export's suggested file name. */
static const gint64 range_days[] = { 1, 7, 30, 0 };
static const char * const range_slugs[] = { "24h", "7d", "30d", "all" };

typedef enum {
  CHART_SPEND,
  CHART_BUDGET,
  CHART_LATENCY,
  CHART_TTFT,
  CHART_SPEED,
  CHART_ERRORS,
  CHART_HOURS,
  N_CHARTS
} ChartId;

typedef struct {
  const char  *title;
  SyChartUnit  unit;
} ChartInfo;

static const ChartInfo chart_info[N_CHARTS] = {
  [CHART_SPEND] = { N_("Spend per Day"), SY_CHART_UNIT_USD },
  [CHART_BUDGET] = { N_("Month-to-Date Spend"), SY_CHART_UNIT_USD },
  [CHART_LATENCY] = { N_("Total Latency per Model"), SY_CHART_UNIT_MS },
  [CHART_TTFT] = { N_("Time to First Token per Model"), SY_CHART_UNIT_MS },
  [CHART_SPEED] = { N_("Tokens per Second per Model"), SY_CHART_UNIT_TOKENS_PER_S },
  [CHART_ERRORS] = { N_("Error Rate per Provider"), SY_CHART_UNIT_PERCENT },
  [CHART_HOURS] = { N_("Requests per Hour"), SY_CHART_UNIT_COUNT },
};

typedef enum {
  TOTAL_TODAY,
  TOTAL_WEEK,
  TOTAL_MONTH,
  TOTAL_PROJECTED,
  TOTAL_CHEAPEST,
  TOTAL_EXPENSIVE,
  TOTAL_CACHE,
  N_TOTALS
} TotalId;

static const char * const total_titles[N_TOTALS] = {
  [TOTAL_TODAY] = N_("Today"),
  [TOTAL_WEEK] = N_("This Week"),
  [TOTAL_MONTH] = N_("This Month"),
  [TOTAL_PROJECTED] = N_("Projected Month"),
  [TOTAL_CHEAPEST] = N_("Cheapest Model"),
  [TOTAL_EXPENSIVE] = N_("Most Expensive Model"),
  [TOTAL_CACHE] = N_("Saved by Cache"),
};

struct _SyDashboardPage
{
  AdwBin           parent_instance;

  /* template widgets */
  GtkDropDown     *range_dropdown;
  GtkDropDown     *group_dropdown;
  GtkSpinner      *spinner;
  GtkLabel        *error_label;
  GtkGrid         *totals_grid;
  GtkGrid         *charts_grid;
  GtkDropDown     *what_if_dropdown;
  GtkStringList   *what_if_items;
  GtkWidget       *what_if_file_button;
  GtkLabel        *what_if_source;
  GtkLabel        *what_if_summary;
  GtkLabel        *what_if_note;
  GtkLabel        *what_if_error;
  GtkWidget       *what_if_header;
  GtkWidget       *what_if_header_requests;
  GtkWidget       *what_if_header_recorded;
  GtkWidget       *what_if_header_cost;
  GtkListBox      *what_if_list;

  /* built widgets */
  SyChart         *charts[N_CHARTS];
  GtkLabel        *chart_titles[N_CHARTS];
  GtkLabel        *total_values[N_TOTALS];
  GtkLabel        *total_details[N_TOTALS];

  /* owned references */
  SyServices      *services;
  GCancellable    *cancellable;
  GCancellable    *file_cancellable;
  GtkFileChooserNative *chooser;
  GCancellable    *what_if_cancellable;
  GtkFileChooserNative *price_chooser;
  GtkSizeGroup    *what_if_columns[N_WHAT_IF_COLUMNS];
  GBytes          *price_table;        /* the chosen file's contents */
  char            *price_table_name;   /* its name, for people */
  GStrv            what_if_profiles;   /* the profiles listed, in order */

  /* state */
  guint            throttle_id;
  gboolean         loading;            /* refreshing or what_if_busy */
  gboolean         refreshing;
  gboolean         what_if_busy;
  gboolean         file_busy;
  guint            what_if_shown;      /* the item computed, to go back to from a cancelled chooser */
  gboolean         what_if_rebuilding; /* the items are being replaced */
};

G_DEFINE_FINAL_TYPE (SyDashboardPage, sy_dashboard_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------------ worker */

typedef struct {
  char            *path;
  gint64           from_us;
  gint64           now_us;
  gint64           month_start_us;
  SyInsightsGroup  group;
  GTimeZone       *tz;
  SyConfig        *config;
  gboolean         per_day;   /* all of history: requests per day, not per hour */
} Query;

static void
query_free (Query *query)
{
  g_free (query->path);
  g_time_zone_unref (query->tz);
  g_clear_object (&query->config);
  g_free (query);
}

typedef struct {
  GPtrArray        *spend;
  GPtrArray        *month;
  SyInsightsTotals *totals;
  GPtrArray        *latency;
  GPtrArray        *errors;
  GArray           *hours;
} Results;

static void
results_free (Results *results)
{
  g_clear_pointer (&results->spend, g_ptr_array_unref);
  g_clear_pointer (&results->month, g_ptr_array_unref);
  g_clear_pointer (&results->totals, sy_insights_totals_free);
  g_clear_pointer (&results->latency, g_ptr_array_unref);
  g_clear_pointer (&results->errors, g_ptr_array_unref);
  g_clear_pointer (&results->hours, g_array_unref);
  g_free (results);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Results, results_free)

/* The insights functions return arrays without free functions set. */
static GPtrArray *
owning (GPtrArray      *array,
        GDestroyNotify  free_func)
{
  if (array != NULL)
    g_ptr_array_set_free_func (array, free_func);
  return array;
}

/* Returns the task's error when a query failed (@ok FALSE) or the refresh was cancelled. */
static gboolean
failed (GTask    *task,
        gboolean  ok,
        GError  **error)
{
  if (!ok)
    {
      if (*error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Unknown error"));
      g_task_return_error (task, g_steal_pointer (error));
      return TRUE;
    }
  return g_task_return_error_if_cancelled (task);
}

static void
refresh_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Query *query = task_data;
  g_autoptr(Results) results = g_new0 (Results, 1);
  g_autoptr(GError) error = NULL;

  results->totals = sy_insights_totals (query->path, query->from_us, G_MAXINT64, query->now_us,
                                        query->tz, query->config, &error);
  if (failed (task, results->totals != NULL, &error))
    return;
  results->spend = owning (sy_insights_spend_per_day (query->path, query->from_us, G_MAXINT64, query->tz,
                                                      query->group, &error),
                           (GDestroyNotify) sy_spend_row_free);
  if (failed (task, results->spend != NULL, &error))
    return;
  results->month = owning (sy_insights_spend_per_day (query->path, query->month_start_us, G_MAXINT64,
                                                      query->tz, SY_INSIGHTS_BY_PROVIDER, &error),
                           (GDestroyNotify) sy_spend_row_free);
  if (failed (task, results->month != NULL, &error))
    return;
  results->latency = owning (sy_insights_latency (query->path, query->from_us, G_MAXINT64, &error),
                             (GDestroyNotify) sy_latency_row_free);
  if (failed (task, results->latency != NULL, &error))
    return;
  results->errors = owning (sy_insights_error_rates (query->path, query->from_us, G_MAXINT64, &error),
                            (GDestroyNotify) sy_error_row_free);
  if (failed (task, results->errors != NULL, &error))
    return;
  /* A year of hours is a smear of 8,760 bars (and the slowest query): all of
   * history counts requests per day instead, from the spend rows. */
  if (!query->per_day)
    {
      results->hours = sy_insights_requests_per_hour (query->path, query->from_us, G_MAXINT64, query->tz,
                                                      &error);
      if (failed (task, results->hours != NULL, &error))
        return;
    }
  g_task_return_pointer (task, g_steal_pointer (&results), (GDestroyNotify) results_free);
}

/* ------------------------------------------------------------------ display */

static char *format_count (gint64 count);

static void
set_total (SyDashboardPage *self,
           TotalId          id,
           const char      *value,
           const char      *detail)
{
  gtk_label_set_label (self->total_values[id], value);
  gtk_label_set_label (self->total_details[id], detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->total_details[id]), detail != NULL);
}

static void
set_total_usd (SyDashboardPage *self,
               TotalId          id,
               double           value)
{
  g_autofree char *text = sy_chart_format_value (SY_CHART_UNIT_USD, value);

  set_total (self, id, text, NULL);
}

/* The model's name as the value; its provider and price below. */
static void
set_model_total (SyDashboardPage   *self,
                 TotalId            id,
                 const SyModelCost *model)
{
  g_autofree char *price = NULL, *detail = NULL, *provider = NULL;
  const char *slash;

  if (model == NULL)
    {
      set_total (self, id, "—", _("No priced requests"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->total_values[id]), NULL);
      return;
    }
  slash = strchr (model->model, '/');
  price = sy_chart_format_value (SY_CHART_UNIT_USD, model->usd_per_mtok);
  if (slash != NULL)
    {
      provider = g_strndup (model->model, slash - model->model);
      /* Translators: a provider and a price, "openai · $0.40 per million tokens" */
      detail = g_strdup_printf (_("%s · %s per million tokens"), provider, price);
    }
  else
    /* Translators: a price, "$0.40 per million tokens" */
    detail = g_strdup_printf (_("%s per million tokens"), price);
  set_total (self, id, slash != NULL ? slash + 1 : model->model, detail);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->total_values[id]), model->model);
}

static void
show_totals (SyDashboardPage        *self,
             const SyInsightsTotals *totals)
{
  g_autofree char *saved = NULL, *tokens = NULL, *count = NULL;

  set_total_usd (self, TOTAL_TODAY, totals->today);
  set_total_usd (self, TOTAL_WEEK, totals->week);
  set_total_usd (self, TOTAL_MONTH, totals->month);
  set_total_usd (self, TOTAL_PROJECTED, totals->projected_month);
  set_model_total (self, TOTAL_CHEAPEST, totals->cheapest);
  set_model_total (self, TOTAL_EXPENSIVE, totals->most_expensive);

  saved = sy_chart_format_value (SY_CHART_UNIT_USD, totals->cache_saved);
  count = format_count (totals->cached_tokens);
  tokens = g_strdup_printf (ngettext ("%s cached token", "%s cached tokens",
                                      (gulong) CLAMP (totals->cached_tokens, 0, G_MAXLONG)),
                            count);
  set_total (self, TOTAL_CACHE, saved, tokens);
}

static const char *
group_name (const char *group)
{
  return group != NULL ? group : _("None");
}

/* By name, "None" (no group) last. */
static int
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const char *group_a = *(const char * const *) a;
  const char *group_b = *(const char * const *) b;
  const char *none = group_name (NULL);
  gboolean none_a = g_str_equal (group_a, none), none_b = g_str_equal (group_b, none);

  if (none_a || none_b)
    return none_a - none_b;
  return g_utf8_collate (group_a, group_b);
}

/* By total cost, highest first (ties by name). */
static int
compare_by_total (gconstpointer a,
                  gconstpointer b,
                  gpointer      data)
{
  GHashTable *totals = data;
  const char *group_a = *(const char * const *) a;
  const char *group_b = *(const char * const *) b;
  double total_a = *(double *) g_hash_table_lookup (totals, group_a);
  double total_b = *(double *) g_hash_table_lookup (totals, group_b);

  if (total_a != total_b)
    return total_a > total_b ? -1 : 1;
  return compare_groups (a, b);
}

/* Spend per Day shows this many groups by name, the rest as "Other". */
#define SPEND_GROUPS_SHOWN 8

/* Every local day from the first to the last of @rows (sorted by day), days
 * without requests included: a time axis, not a list of dates. */
static GPtrArray *
every_day (GPtrArray *rows)
{
  GPtrArray *days = g_ptr_array_new_with_free_func (g_free);
  const char *first, *last;
  unsigned year, month, day;
  g_autoptr(GDate) date = NULL;

  if (rows->len == 0)
    return days;
  first = ((SySpendRow *) rows->pdata[0])->day;
  last = ((SySpendRow *) rows->pdata[rows->len - 1])->day;
  if (sscanf (first, "%4u-%2u-%2u", &year, &month, &day) != 3 ||
      !g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    return days;
  date = g_date_new_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year);
  /* At most a few years of days, whatever the rows say. */
  for (guint i = 0; i < 100000; i++)
    {
      char text[16];

      g_snprintf (text, sizeof text, "%04u-%02u-%02u", g_date_get_year (date), g_date_get_month (date),
                  g_date_get_day (date));
      g_ptr_array_add (days, g_strdup (text));
      if (strcmp (text, last) >= 0)
        break;
      g_date_add_days (date, 1);
    }
  return days;
}

static gboolean
find_day (GPtrArray  *days,
          const char *day,
          guint      *index)
{
  return g_ptr_array_find_with_equal_func (days, day, g_str_equal, index);
}

static void
show_spend (SyDashboardPage *self,
            GPtrArray       *rows)
{
  g_autoptr(GPtrArray) days = every_day (rows);
  g_autoptr(GPtrArray) groups = g_ptr_array_new ();
  g_autoptr(GHashTable) totals = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) shown = g_hash_table_new (g_str_hash, g_str_equal);
  const char *other = C_("spend group", "Other");
  g_autofree double *values = NULL;
  gboolean others = FALSE;

  if (days->len == 0)
    {
      sy_chart_clear (self->charts[CHART_SPEND]);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      SySpendRow *row = rows->pdata[i];
      const char *group = group_name (row->group);
      double *total = g_hash_table_lookup (totals, group);

      if (total == NULL)
        {
          total = g_new0 (double, 1);
          g_hash_table_insert (totals, (gpointer) group, total);
          g_ptr_array_add (groups, (gpointer) group);
        }
      *total += row->cost;
    }
  /* The groups that cost most keep their own colour, the rest share one. */
  if (groups->len > SPEND_GROUPS_SHOWN + 1)
    {
      g_autoptr(GPtrArray) by_cost = g_ptr_array_copy (groups, NULL, NULL);

      g_ptr_array_sort_with_data (by_cost, compare_by_total, totals);
      for (guint i = 0; i < SPEND_GROUPS_SHOWN; i++)
        g_hash_table_add (shown, by_cost->pdata[i]);
      g_ptr_array_set_size (groups, 0);
      for (guint i = 0; i < SPEND_GROUPS_SHOWN; i++)
        g_ptr_array_add (groups, by_cost->pdata[i]);
      others = TRUE;
    }
  /* The same order of series whatever the days: by name, Other last. */
  g_ptr_array_sort (groups, compare_groups);
  if (others)
    g_ptr_array_add (groups, (gpointer) other);

  values = g_new0 (double, days->len * groups->len);
  for (guint i = 0; i < rows->len; i++)
    {
      SySpendRow *row = rows->pdata[i];
      const char *group = group_name (row->group);
      guint d = 0, s = groups->len - 1;

      if (!find_day (days, row->day, &d))
        continue;
      if (!others || g_hash_table_contains (shown, group))
        g_ptr_array_find_with_equal_func (groups, group, g_str_equal, &s);
      values[s * days->len + d] += row->cost;
    }
  sy_chart_set_data (self->charts[CHART_SPEND], SY_CHART_STACKED_BAR,
                     days->len, (const char * const *) days->pdata,
                     groups->len, (const char * const *) groups->pdata, values);
}

/* Requests per local day, for all of history. */
static void
show_days (SyDashboardPage *self,
           GPtrArray       *rows)
{
  const char *series[] = { _("Requests") };
  g_autoptr(GPtrArray) days = every_day (rows);
  g_autofree double *counts = g_new0 (double, MAX (days->len, 1));

  if (days->len == 0)
    {
      sy_chart_clear (self->charts[CHART_HOURS]);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      SySpendRow *row = rows->pdata[i];
      guint d = 0;

      if (find_day (days, row->day, &d))
        counts[d] += (double) row->requests;
    }
  sy_chart_set_data (self->charts[CHART_HOURS], SY_CHART_HISTOGRAM, days->len,
                     (const char * const *) days->pdata, 1, series, counts);
}

static double
monthly_budget (SyDashboardPage *self)
{
  JsonObject *root = sy_config_get_root (sy_services_get_config (self->services));
  JsonNode *budget = root != NULL ? json_object_get_member (root, "budget") : NULL;
  JsonNode *monthly;

  if (budget == NULL || !JSON_NODE_HOLDS_OBJECT (budget))
    return 0;
  monthly = json_object_get_member (json_node_get_object (budget), "monthly");
  if (monthly == NULL || (json_node_get_value_type (monthly) != G_TYPE_DOUBLE &&
                          json_node_get_value_type (monthly) != G_TYPE_INT64))
    return 0;
  return json_node_get_double (monthly);
}

static void
show_month (SyDashboardPage *self,
            GPtrArray       *rows,
            gint64           now_us)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);
  int today = g_date_time_get_day_of_month (now);
  g_autoptr(GPtrArray) days = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *values = g_new0 (double, 2 * today);
  const char *series[] = { _("Spent"), _("Monthly Budget") };
  double budget = monthly_budget (self);
  double total = 0;

  if (rows->len == 0)
    {
      sy_chart_clear (self->charts[CHART_BUDGET]);
      return;
    }
  for (int d = 1; d <= today; d++)
    g_ptr_array_add (days, g_strdup_printf ("%04d-%02d-%02d", g_date_time_get_year (now),
                                            g_date_time_get_month (now), d));
  for (guint i = 0; i < rows->len; i++)
    {
      SySpendRow *row = rows->pdata[i];
      int d = (int) g_ascii_strtoll (row->day + 8, NULL, 10);

      if (d >= 1 && d <= today)
        values[d - 1] += row->cost;
    }
  for (int d = 0; d < today; d++)
    {
      total += values[d];
      values[d] = total;
      values[today + d] = budget;
    }
  sy_chart_set_data (self->charts[CHART_BUDGET], SY_CHART_LINE, days->len,
                     (const char * const *) days->pdata, budget > 0 ? 2 : 1, series, values);
}

static double
known (double value)
{
  return value < 0 ? NAN : value;
}

static void
show_latency (SyDashboardPage *self,
              GPtrArray       *rows)
{
  const char *series[] = { _("p50"), _("p90"), _("p99") };
  g_autoptr(GPtrArray) models = g_ptr_array_new ();
  g_autoptr(GPtrArray) fast_models = g_ptr_array_new ();
  guint n = rows->len;
  g_autofree double *total = g_new (double, 3 * n);
  g_autofree double *ttft = g_new (double, 3 * n);
  g_autofree double *speed = g_new (double, n);
  gboolean any_ttft = FALSE;

  for (guint i = 0; i < n; i++)
    {
      SyLatencyRow *row = rows->pdata[i];

      g_ptr_array_add (models, row->model);
      total[i] = known (row->total_p50);
      total[n + i] = known (row->total_p90);
      total[2 * n + i] = known (row->total_p99);
      ttft[i] = known (row->ttft_p50);
      ttft[n + i] = known (row->ttft_p90);
      ttft[2 * n + i] = known (row->ttft_p99);
      any_ttft |= row->ttft_p50 >= 0;
      if (row->tokens_per_s_p50 >= 0)
        {
          speed[fast_models->len] = row->tokens_per_s_p50;
          g_ptr_array_add (fast_models, row->model);
        }
    }
  sy_chart_set_data (self->charts[CHART_LATENCY], SY_CHART_HORIZONTAL_BAR, n,
                     (const char * const *) models->pdata, 3, series, total);
  sy_chart_set_data (self->charts[CHART_TTFT], SY_CHART_HORIZONTAL_BAR, any_ttft ? n : 0,
                     (const char * const *) models->pdata, 3, series, ttft);
  series[0] = _("Median");
  sy_chart_set_data (self->charts[CHART_SPEED], SY_CHART_HORIZONTAL_BAR, fast_models->len,
                     (const char * const *) fast_models->pdata, 1, series, speed);
}

static void
show_errors (SyDashboardPage *self,
             GPtrArray       *rows)
{
  const char *series[] = { _("Error rate") };
  g_autoptr(GPtrArray) providers = g_ptr_array_new ();
  g_autofree double *rates = g_new (double, rows->len);

  for (guint i = 0; i < rows->len; i++)
    {
      SyErrorRow *row = rows->pdata[i];

      g_ptr_array_add (providers, row->provider != NULL ? row->provider : (char *) _("Not routed"));
      rates[i] = row->rate;
    }
  sy_chart_set_data (self->charts[CHART_ERRORS], SY_CHART_HORIZONTAL_BAR, rows->len,
                     (const char * const *) providers->pdata, 1, series, rates);
}

static void
show_hours (SyDashboardPage *self,
            GArray          *hours,
            GTimeZone       *tz,
            gboolean         one_day)
{
  const char *series[] = { _("Requests") };
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree double *counts = g_new (double, hours->len);

  for (guint i = 0; i < hours->len; i++)
    {
      const SyHourCount *hour = &g_array_index (hours, SyHourCount, i);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (hour->start_us / G_USEC_PER_SEC);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

      g_ptr_array_add (labels, g_date_time_format (local, one_day ? "%H:00" : "%m-%d %H:00"));
      counts[i] = (double) hour->requests;
    }
  sy_chart_set_data (self->charts[CHART_HOURS], SY_CHART_HISTOGRAM, hours->len,
                     (const char * const *) labels->pdata, 1, series, counts);
}

static void
update_loading (SyDashboardPage *self)
{
  gboolean loading = self->refreshing || self->what_if_busy;

  if (self->loading == loading)
    return;
  self->loading = loading;
  gtk_spinner_set_spinning (self->spinner, loading);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_BUSY, loading, -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
refresh_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);
  Query *query = g_task_get_task_data (G_TASK (result));
  g_autoptr(Results) results = NULL;
  g_autoptr(GError) error = NULL;

  results = g_task_propagate_pointer (G_TASK (result), &error);
  /* Cancelled: a newer refresh runs, or the page is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->refreshing = FALSE;
  update_loading (self);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not read the history: %s"), error->message);

      gtk_label_set_label (self->error_label, text);
      return;
    }
  show_totals (self, results->totals);
  show_spend (self, results->spend);
  show_month (self, results->month, query->now_us);
  show_latency (self, results->latency);
  show_errors (self, results->errors);
  if (query->per_day)
    show_days (self, results->spend);
  else
    show_hours (self, results->hours, query->tz,
                gtk_drop_down_get_selected (self->range_dropdown) == 0);
  gtk_label_set_label (self->chart_titles[CHART_HOURS],
                       query->per_day ? _("Requests per Day") : _(chart_info[CHART_HOURS].title));
  sy_chart_set_title (self->charts[CHART_HOURS], gtk_label_get_label (self->chart_titles[CHART_HOURS]));
}

/* The first instant of the selected range, as of @now_us. */
static gint64
range_start_us (SyDashboardPage *self,
                gint64           now_us)
{
  guint range = MIN (gtk_drop_down_get_selected (self->range_dropdown), G_N_ELEMENTS (range_days) - 1);

  return range_days[range] > 0 ? now_us - range_days[range] * G_TIME_SPAN_DAY : 0;
}

static void what_if_refresh (SyDashboardPage *self);

/* The totals and charts only: the group changed. */
static void
refresh_charts (SyDashboardPage *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) month_start = NULL;
  Query *query = g_new0 (Query, 1);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  query->path = g_strdup (sy_services_get_history_path (self->services));
  query->tz = g_time_zone_new_local ();
  now = g_date_time_new_now (query->tz);
  query->now_us = g_date_time_to_unix (now) * G_USEC_PER_SEC + g_date_time_get_microsecond (now);
  query->from_us = range_start_us (self, query->now_us);
  month_start = g_date_time_new (query->tz, g_date_time_get_year (now), g_date_time_get_month (now),
                                 1, 0, 0, 0);
  query->month_start_us = g_date_time_to_unix (month_start) * G_USEC_PER_SEC;
  query->group = MIN (gtk_drop_down_get_selected (self->group_dropdown), SY_INSIGHTS_BY_PROFILE);
  query->per_day = range_days[MIN (gtk_drop_down_get_selected (self->range_dropdown),
                                   G_N_ELEMENTS (range_days) - 1)] == 0;
  /* Configs in force are never modified: the worker may read this one. */
  query->config = g_object_ref (sy_services_get_config (self->services));

  task = g_task_new (self, self->cancellable, refresh_done, NULL);
  g_task_set_source_tag (task, refresh_charts);
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);
  self->refreshing = TRUE;
  update_loading (self);
  g_task_run_in_thread (task, refresh_worker);
}

static void
refresh (SyDashboardPage *self)
{
  refresh_charts (self);
  what_if_refresh (self);
}

static gboolean
throttle_done (gpointer data)
{
  SyDashboardPage *self = data;

  self->throttle_id = 0;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    refresh (self);
  return G_SOURCE_REMOVE;
}

/* Requests finish in bursts: refresh once, THROTTLE_SECONDS after the first,
 * which also leaves the history's writer time to commit them. Hidden, the page
 * refreshes when shown. */
static void
schedule_refresh (SyDashboardPage *self)
{
  if (self->throttle_id == 0)
    self->throttle_id = g_timeout_add_seconds (THROTTLE_SECONDS, throttle_done, self);
}

static void
item_finished (SyActivityItem  *item,
               GParamSpec      *pspec,
               SyDashboardPage *self)
{
  if (sy_activity_item_get_finished (item))
    schedule_refresh (self);
}

static void
watch_item (SyDashboardPage *self,
            SyActivityItem  *item)
{
  g_signal_connect_object (item, "notify::finished", G_CALLBACK (item_finished), self, 0);
}

static void
activity_changed (GListModel      *model,
                  guint            position,
                  guint            removed,
                  guint            added,
                  SyDashboardPage *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(SyActivityItem) item = g_list_model_get_item (model, i);

      watch_item (self, item);
      if (sy_activity_item_get_finished (item))
        schedule_refresh (self);
    }
}

/* ------------------------------------------------------------------ export, import */

typedef struct {
  char           *path;
  char           *file_path;
  gint64          from_us;
  SyExportFormat  format;
} FileJob;

static void
file_job_free (FileJob *job)
{
  g_free (job->path);
  g_free (job->file_path);
  g_free (job);
}

static void
show_toast (SyDashboardPage *self,
            const char      *message)
{
  sy_window_toast_for (GTK_WIDGET (self), message);
}

/* One chooser or one export or import at a time. */
static void
set_file_busy (SyDashboardPage *self,
               gboolean         busy)
{
  self->file_busy = busy;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dashboard.export", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dashboard.import", !busy);
}

/* With the locale's digit grouping: "1,234". */
static char *
format_count (gint64 count)
{
  return g_strdup_printf ("%'" G_GINT64_FORMAT, count);
}

static gulong
plural (gint64 count)
{
  return (gulong) CLAMP (count, 0, G_MAXLONG);
}

/* The answer of the Export or Import chooser: the file it gave, as a local
 * path the worker can open. NULL when none was chosen (the page is no longer
 * busy), with a toast when the file has no path (a remote location without a
 * FUSE mount). The chooser is released either way. */
static char *
chosen_path (SyDashboardPage *self,
             GtkNativeDialog *dialog,
             int              response)
{
  g_autoptr(GFile) file = NULL;
  char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      path = file != NULL ? g_file_get_path (file) : NULL;
      if (path == NULL)
        show_toast (self, _("Choose a file on this computer"));
    }
  g_clear_object (&self->chooser);
  if (path == NULL)
    set_file_busy (self, FALSE);
  return path;
}

/* A finished job whose page is gone or going has nobody to tell. */
static gboolean
job_abandoned (GAsyncResult *result)
{
  return g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result)));
}

static void
export_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;
  gint64 rows = 0;

  if (!sy_insights_export_to_file (job->path, job->from_us, G_MAXINT64, job->format, FALSE,
                                   job->file_path, &rows, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, rows);
}

static void
export_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *count = NULL, *message = NULL;
  gint64 rows;

  if (job_abandoned (result))
    return;
  set_file_busy (self, FALSE);
  rows = g_task_propagate_int (G_TASK (result), &error);
  if (error != NULL)
    {
      message = g_strdup_printf (_("Could not export the history: %s"), error->message);
      show_toast (self, message);
      return;
    }
  count = format_count (rows);
  message = g_strdup_printf (ngettext ("Exported %s request", "Exported %s requests", plural (rows)),
                             count);
  show_toast (self, message);
}

static void
export_response (GtkNativeDialog *dialog,
                 int              response,
                 SyDashboardPage *self)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *file_path = NULL;
  g_autofree char *lower = NULL;
  FileJob *job;

  file_path = chosen_path (self, dialog, response);
  if (file_path == NULL)
    return;

  lower = g_ascii_strdown (file_path, -1);
  job = g_new0 (FileJob, 1);
  job->path = g_strdup (sy_services_get_history_path (self->services));
  job->from_us = range_start_us (self, g_get_real_time ());
  job->format = g_str_has_suffix (lower, ".jsonl") || g_str_has_suffix (lower, ".ndjson")
                ? SY_EXPORT_JSON_LINES : SY_EXPORT_CSV;
  job->file_path = g_steal_pointer (&file_path);
  task = g_task_new (self, self->file_cancellable, export_done, NULL);
  g_task_set_source_tag (task, export_response);
  g_task_set_task_data (task, job, (GDestroyNotify) file_job_free);
  g_task_run_in_thread (task, export_worker);
}

static GtkFileChooserNative *
new_chooser (SyDashboardPage      *self,
             const char           *title,
             GtkFileChooserAction  action,
             const char           *accept_label)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                      action, accept_label, _("_Cancel"));
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (widget);
  guint range = MIN (gtk_drop_down_get_selected (self->range_dropdown), G_N_ELEMENTS (range_slugs) - 1);
  g_autofree char *name = g_strdup_printf ("switchyard-history-%s.csv", range_slugs[range]);

  if (self->file_busy)
    return;
  set_file_busy (self, TRUE);
  self->chooser = new_chooser (self, _("Export History"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (export_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
import_worker (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  FileJob *job = task_data;
  g_autoptr(GError) error = NULL;
  SyImportResult *result = sy_insights_import_file (job->path, job->file_path, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) sy_import_result_free);
}

static void
import_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);
  g_autoptr(SyImportResult) imported = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *n_imported = NULL, *n_skipped = NULL, *n_invalid = NULL;
  g_autofree char *done = NULL, *skipped = NULL, *invalid = NULL, *message = NULL;

  if (job_abandoned (result))
    return;
  set_file_busy (self, FALSE);
  imported = g_task_propagate_pointer (G_TASK (result), &error);
  /* Rows committed before a failure stay: show them either way. */
  refresh (self);
  if (imported == NULL)
    {
      message = g_strdup_printf (_("Could not import the file: %s"), error->message);
      show_toast (self, message);
      return;
    }
  for (guint i = 0; imported->notes != NULL && i < imported->notes->len; i++)
    g_debug ("Import: %s", (const char *) imported->notes->pdata[i]);

  n_imported = format_count (imported->imported);
  n_skipped = format_count (imported->skipped);
  done = g_strdup_printf (ngettext ("Imported %s request", "Imported %s requests",
                                    plural (imported->imported)), n_imported);
  skipped = g_strdup_printf (ngettext ("skipped %s already there", "skipped %s already there",
                                       plural (imported->skipped)), n_skipped);
  if (imported->invalid > 0)
    {
      n_invalid = format_count (imported->invalid);
      invalid = g_strdup_printf (ngettext ("%s invalid line", "%s invalid lines",
                                           plural (imported->invalid)), n_invalid);
      /* Translators: "Imported 5 requests", "skipped 2 already there", "1 invalid line" */
      message = g_strdup_printf (_("%s, %s, %s"), done, skipped, invalid);
    }
  else
    {
      /* Translators: "Imported 5 requests", "skipped 2 already there" */
      message = g_strdup_printf (_("%s, %s"), done, skipped);
    }
  show_toast (self, message);
}

static void
import_response (GtkNativeDialog *dialog,
                 int              response,
                 SyDashboardPage *self)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *file_path = NULL;
  FileJob *job;

  file_path = chosen_path (self, dialog, response);
  if (file_path == NULL)
    return;

  job = g_new0 (FileJob, 1);
  job->path = g_strdup (sy_services_get_history_path (self->services));
  job->file_path = g_steal_pointer (&file_path);
  task = g_task_new (self, self->file_cancellable, import_done, NULL);
  g_task_set_source_tag (task, import_response);
  g_task_set_task_data (task, job, (GDestroyNotify) file_job_free);
  g_task_run_in_thread (task, import_worker);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (widget);
  g_autoptr(GtkFileFilter) both = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) json_lines = gtk_file_filter_new ();

  if (self->file_busy)
    return;
  set_file_busy (self, TRUE);
  self->chooser = new_chooser (self, _("Import History"), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"));
  gtk_file_filter_set_name (both, _("CSV and JSON Lines Files"));
  gtk_file_filter_set_name (csv, _("CSV Files"));
  gtk_file_filter_set_name (json_lines, _("JSON Lines Files"));
  gtk_file_filter_add_pattern (csv, "*.csv");
  gtk_file_filter_add_pattern (csv, "*.CSV");
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_filter_add_pattern (json_lines, "*.jsonl");
  gtk_file_filter_add_pattern (json_lines, "*.ndjson");
  gtk_file_filter_add_mime_type (json_lines, "application/x-ndjson");
  gtk_file_filter_add_pattern (both, "*.csv");
  gtk_file_filter_add_pattern (both, "*.CSV");
  gtk_file_filter_add_mime_type (both, "text/csv");
  gtk_file_filter_add_pattern (both, "*.jsonl");
  gtk_file_filter_add_pattern (both, "*.ndjson");
  gtk_file_filter_add_mime_type (both, "application/x-ndjson");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), both);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), csv);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), json_lines);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (import_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ------------------------------------------------------------------ what if */

typedef enum {
  WHAT_IF_TODAY,
  WHAT_IF_PROFILE,
  WHAT_IF_TABLE,
} WhatIfKind;

typedef struct {
  WhatIfKind  kind;
  char       *path;
  gint64      from_us;
  SyConfig   *config;       /* a copy of the one in force, for this job alone */
  char       *profile;
  GBytes     *table;
  char       *table_name;
} WhatIfJob;

static void
what_if_job_free (WhatIfJob *job)
{
  g_free (job->path);
  g_clear_object (&job->config);
  g_free (job->profile);
  g_clear_pointer (&job->table, g_bytes_unref);
  g_free (job->table_name);
  g_free (job);
}

static void
what_if_worker (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  WhatIfJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) table = NULL;
  SyWhatIf *what_if = NULL;

  switch (job->kind)
    {
    case WHAT_IF_TODAY:
      what_if = sy_what_if_prices (job->path, job->from_us, G_MAXINT64, job->config, cancellable, &error);
      break;
    case WHAT_IF_PROFILE:
      what_if = sy_what_if_profile (job->path, job->from_us, G_MAXINT64, job->config, job->profile,
                                    cancellable, &error);
      break;
    case WHAT_IF_TABLE:
    default:
      table = sy_what_if_load_prices_data (job->config, g_bytes_get_data (job->table, NULL),
                                           g_bytes_get_size (job->table), job->table_name, &error);
      if (table != NULL)
        what_if = sy_what_if_prices (job->path, job->from_us, G_MAXINT64, table, cancellable, &error);
      break;
    }
  if (what_if == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, what_if, (GDestroyNotify) sy_what_if_free);
}

/* The dropdown's items: Today's Prices, each profile, Price Table File…. */
static guint
price_table_item (SyDashboardPage *self)
{
  return 1 + (self->what_if_profiles != NULL ? g_strv_length (self->what_if_profiles) : 0);
}

static char *
format_usd (double value)
{
  return sy_chart_format_value (SY_CHART_UNIT_USD, value);
}

/* "−$1.20 (−12.5 %)", "+$0.30 (+4.0 %)"; without the percentage when
 * nothing was recorded. */
static char *
format_difference (double recorded,
                   double what_if)
{
  double difference = what_if - recorded;
  const char *sign = difference < 0 ? "−" : difference > 0 ? "+" : "";
  g_autofree char *amount = format_usd (fabs (difference));
  g_autofree char *percent = NULL;
  g_autofree char *signed_amount = g_strconcat (sign, amount, NULL);

  if (recorded <= 0)
    return g_steal_pointer (&signed_amount);
  percent = sy_chart_format_value (SY_CHART_UNIT_PERCENT, fabs (difference) / recorded);
  /* Translators: a difference in US dollars and in per cent, "−$1.20 (−12.5 %)";
   * the signs come with the numbers */
  return g_strdup_printf (_("%s (%s%s)"), signed_amount, sign, percent);
}

/* An amount, or a dash when none of its requests had a price. */
static char *
format_row_usd (double value,
                gint64 unpriced,
                gint64 requests)
{
  return unpriced == requests ? g_strdup ("—") : format_usd (value);
}

static GtkWidget *
what_if_cell (SyDashboardPage *self,
              GtkWidget       *box,
              const char      *text,
              int              column)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), column < 0 ? 0 : 1);
  gtk_widget_add_css_class (label, "numeric");
  if (column < 0)
    {
      gtk_widget_set_hexpand (label, TRUE);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
    }
  else
    gtk_size_group_add_widget (self->what_if_columns[column], label);
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

static GtkWidget *
what_if_row_new (SyDashboardPage   *self,
                 const SyWhatIfRow *row)
{
  GtkWidget *list_row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  const char *model = row->model != NULL ? row->model : _("Unknown model");
  /* The profile refused it (no candidate fits), or prices could not name a model. */
  const char *what_if_model = row->what_if_model != NULL ? row->what_if_model : _("No model");
  g_autofree char *models = NULL, *count = NULL, *recorded = NULL, *cost = NULL, *description = NULL;

  /* Translators: the model a request used and the one the what-if bills it on */
  models = g_strdup_printf (_("%s → %s"), model, what_if_model);
  count = format_count (row->requests);
  recorded = format_row_usd (row->recorded_cost, row->recorded_unpriced, row->requests);
  cost = format_row_usd (row->what_if_cost, row->what_if_unpriced, row->requests);
  /* Translators: one row of the What If table, read out by screen readers:
   * "openai/gpt-4.1 → anthropic/claude-haiku-4-5: 12 requests, recorded $1.20, what if $0.40" */
  description = g_strdup_printf (ngettext ("%s: %s request, recorded %s, what if %s",
                                           "%s: %s requests, recorded %s, what if %s",
                                           plural (row->requests)),
                                 models, count, recorded, cost);

  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_tooltip_text (what_if_cell (self, box, models, -1), models);
  what_if_cell (self, box, count, 0);
  what_if_cell (self, box, recorded, 1);
  what_if_cell (self, box, cost, 2);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (list_row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (list_row), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (list_row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
  return list_row;
}

static void
clear_what_if_table (SyDashboardPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->what_if_list))) != NULL)
    gtk_list_box_remove (self->what_if_list, child);
  gtk_widget_set_visible (self->what_if_header, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->what_if_list), FALSE);
}

static void
show_what_if (SyDashboardPage *self,
              const SyWhatIf  *what_if)
{
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);

  clear_what_if_table (self);
  if (what_if->requests == 0)
    gtk_label_set_label (self->what_if_summary, _("No requests with tokens in this range"));
  else
    {
      g_autofree char *recorded = format_usd (what_if->recorded_cost);
      g_autofree char *cost = format_usd (what_if->what_if_cost);
      g_autofree char *difference = format_difference (what_if->recorded_cost, what_if->what_if_cost);
      g_autofree char *summary = NULL;

      /* Translators: "Recorded: $12.40 · What if: $8.10 · Difference: −$4.30 (−34.7 %)" */
      summary = g_strdup_printf (_("Recorded: %s · What if: %s · Difference: %s"),
                                 recorded, cost, difference);
      gtk_label_set_label (self->what_if_summary, summary);
    }

  if (what_if->recorded_unpriced > 0)
    {
      g_autofree char *count = format_count (what_if->recorded_unpriced);

      g_ptr_array_add (notes, g_strdup_printf (ngettext ("%s request has no recorded cost",
                                                         "%s requests have no recorded cost",
                                                         plural (what_if->recorded_unpriced)),
                                               count));
    }
  if (what_if->what_if_unpriced > 0)
    {
      g_autofree char *count = format_count (what_if->what_if_unpriced);

      g_ptr_array_add (notes, g_strdup_printf (ngettext ("%s request could not be priced in the what-if",
                                                         "%s requests could not be priced in the what-if",
                                                         plural (what_if->what_if_unpriced)),
                                               count));
    }
  if (notes->len > 0)
    {
      g_autofree char *joined = NULL;
      g_autofree char *note = NULL;

      g_ptr_array_add (notes, NULL);
      joined = g_strjoinv (" · ", (char **) notes->pdata);
      /* Translators: why the totals above leave some requests out */
      note = g_strdup_printf (_("%s: they count as $0."), joined);
      gtk_label_set_label (self->what_if_note, note);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->what_if_note), notes->len > 0);

  for (guint i = 0; i < what_if->rows->len; i++)
    gtk_list_box_append (self->what_if_list, what_if_row_new (self, g_ptr_array_index (what_if->rows, i)));
  gtk_widget_set_visible (self->what_if_header, what_if->rows->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->what_if_list), what_if->rows->len > 0);
}

static void
set_what_if_busy (SyDashboardPage *self,
                  gboolean         busy)
{
  self->what_if_busy = busy;
  update_loading (self);
}

static void
what_if_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);
  g_autoptr(SyWhatIf) what_if = NULL;
  g_autoptr(GError) error = NULL;

  what_if = g_task_propagate_pointer (G_TASK (result), &error);
  /* Cancelled: a newer one runs, or the page is gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_what_if_busy (self, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->what_if_error), error != NULL);
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Could not work out the what-if: %s"), error->message);

      gtk_label_set_label (self->what_if_error, text);
      gtk_label_set_label (self->what_if_summary, "—");
      gtk_widget_set_visible (GTK_WIDGET (self->what_if_note), FALSE);
      clear_what_if_table (self);
      return;
    }
  show_what_if (self, what_if);
}

/* Works out the shown item's what-if for the range, on a worker thread. */
static void
what_if_refresh (SyDashboardPage *self)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  SyConfig *config = sy_services_get_config (self->services);
  guint shown = self->what_if_shown;
  WhatIfJob *job;

  g_cancellable_cancel (self->what_if_cancellable);
  g_clear_object (&self->what_if_cancellable);
  self->what_if_cancellable = g_cancellable_new ();

  /* The file chooser is open and no table was read yet. */
  if (shown >= price_table_item (self) && self->price_table == NULL)
    {
      set_what_if_busy (self, FALSE);
      return;
    }

  job = g_new0 (WhatIfJob, 1);
  job->path = g_strdup (sy_services_get_history_path (self->services));
  job->from_us = range_start_us (self, g_get_real_time ());
  /* The planner keeps a cache on the config it plans with, and the router
   * plans with the one in force: the worker gets a copy of its own. */
  job->config = sy_config_new_from_root (sy_config_get_path (config), sy_config_get_catalog (config),
                                         sy_config_get_root (config), &error);
  if (shown == 0)
    job->kind = WHAT_IF_TODAY;
  else if (shown < price_table_item (self))
    {
      job->kind = WHAT_IF_PROFILE;
      job->profile = g_strdup (self->what_if_profiles[shown - 1]);
    }
  else
    {
      job->kind = WHAT_IF_TABLE;
      job->table = g_bytes_ref (self->price_table);
      job->table_name = g_strdup (self->price_table_name);
    }

  task = g_task_new (self, self->what_if_cancellable, what_if_done, NULL);
  g_task_set_source_tag (task, what_if_refresh);
  g_task_set_task_data (task, job, (GDestroyNotify) what_if_job_free);
  set_what_if_busy (self, TRUE);
  if (job->config == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_run_in_thread (task, what_if_worker);
}

static void
show_what_if_source (SyDashboardPage *self)
{
  gboolean table = self->what_if_shown >= price_table_item (self) && self->price_table != NULL;

  if (table)
    {
      /* Translators: the price table file the what-if uses */
      g_autofree char *text = g_strdup_printf (_("Prices from %s"), self->price_table_name);

      gtk_label_set_label (self->what_if_source, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->what_if_source), table);
  gtk_widget_set_visible (self->what_if_file_button, table);
}

static void
show_what_if_item (SyDashboardPage *self,
                   guint            item)
{
  self->what_if_shown = item;
  if (gtk_drop_down_get_selected (self->what_if_dropdown) != item)
    {
      self->what_if_rebuilding = TRUE;
      gtk_drop_down_set_selected (self->what_if_dropdown, item);
      self->what_if_rebuilding = FALSE;
    }
  show_what_if_source (self);
  what_if_refresh (self);
}

static void
price_table_loaded (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(SyDashboardPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *basename = NULL;
  gsize length = 0;

  if (!g_file_load_contents_finish (G_FILE (object), result, &contents, &length, NULL, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not read the price table: %s"), error->message);
      show_toast (self, message);
      show_what_if_item (self, self->price_table != NULL ? price_table_item (self) : self->what_if_shown);
      return;
    }

  g_clear_pointer (&self->price_table, g_bytes_unref);
  self->price_table = g_bytes_new_take (g_steal_pointer (&contents), length);
  basename = g_file_get_basename (G_FILE (object));
  g_free (self->price_table_name);
  self->price_table_name = g_filename_display_name (basename);
  show_what_if_item (self, price_table_item (self));
}

static void
price_table_response (GtkNativeDialog *dialog,
                      int              response,
                      SyDashboardPage *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_clear_object (&self->price_chooser);
  if (file == NULL)
    {
      /* Back to what was shown: the table read before, or the item before. */
      show_what_if_item (self, self->price_table != NULL ? price_table_item (self) : self->what_if_shown);
      return;
    }
  /* The page's file cancellable: a refresh meanwhile does not lose the choice. */
  g_file_load_contents_async (file, self->file_cancellable, price_table_loaded, g_object_ref (self));
}

static void
choose_price_table (SyDashboardPage *self)
{
  g_autoptr(GtkFileFilter) json = gtk_file_filter_new ();

  if (self->price_chooser != NULL)
    return;
  self->price_chooser = new_chooser (self, _("Open Price Table"), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"));
  gtk_file_filter_set_name (json, _("JSON Files"));
  gtk_file_filter_add_pattern (json, "*.json");
  gtk_file_filter_add_pattern (json, "*.JSON");
  gtk_file_filter_add_mime_type (json, "application/json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->price_chooser), json);
  g_signal_connect_object (self->price_chooser, "response", G_CALLBACK (price_table_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->price_chooser));
}

static void
choose_price_table_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  choose_price_table (SY_DASHBOARD_PAGE (widget));
}

static void
what_if_selected (SyDashboardPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->what_if_dropdown);

  if (self->what_if_rebuilding || selected == GTK_INVALID_LIST_POSITION)
    return;
  if (selected >= price_table_item (self))
    {
      choose_price_table (self);
      return;
    }
  show_what_if_item (self, selected);
}

/* Lists the config's profiles, keeping the shown item where it still exists. */
static void
rebuild_what_if_items (SyDashboardPage *self)
{
  JsonArray *profiles = sy_json_get_array (sy_config_get_root (sy_services_get_config (self->services)),
                                           "profiles");
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *shown_profile = NULL;
  gboolean table = self->what_if_shown >= price_table_item (self) && self->what_if_profiles != NULL;
  guint shown = 0;

  if (self->what_if_shown > 0 && !table && self->what_if_profiles != NULL)
    shown_profile = g_strdup (self->what_if_profiles[self->what_if_shown - 1]);

  g_ptr_array_add (items, g_strdup (_("Today’s Prices")));
  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      const char *name = sy_json_get_string (sy_json_array_get_object (profiles, i), "name");

      if (name == NULL)
        continue;
      g_strv_builder_add (names, name);
      if (g_strcmp0 (name, shown_profile) == 0)
        shown = items->len;
      /* Translators: an item of the What If's Compare With list, a profile's name */
      g_ptr_array_add (items, g_strdup_printf (_("Profile “%s”"), name));
    }
  g_ptr_array_add (items, g_strdup (_("Price Table File…")));
  if (table)
    shown = items->len - 1;
  g_ptr_array_add (items, NULL);

  g_strfreev (self->what_if_profiles);
  self->what_if_profiles = g_strv_builder_end (names);
  self->what_if_rebuilding = TRUE;
  gtk_string_list_splice (self->what_if_items, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->what_if_items)),
                          (const char * const *) items->pdata);
  gtk_drop_down_set_selected (self->what_if_dropdown, shown);
  self->what_if_rebuilding = FALSE;
  self->what_if_shown = shown;
  show_what_if_source (self);
}

static void
config_changed (SyDashboardPage *self)
{
  rebuild_what_if_items (self);
  schedule_refresh (self);
}

/* ------------------------------------------------------------------ building */

static void
build_totals (SyDashboardPage *self)
{
  for (guint i = 0; i < N_TOTALS; i++)
    {
      GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      GtkWidget *title = gtk_label_new (_(total_titles[i]));
      GtkWidget *value = gtk_label_new ("—");
      GtkWidget *detail = gtk_label_new (NULL);

      gtk_widget_add_css_class (card, "card");
      gtk_widget_add_css_class (card, "dashboard-total");
      gtk_widget_add_css_class (title, "dim-label");
      gtk_widget_add_css_class (title, "caption-heading");
      /* Model names are longer than amounts. */
      gtk_widget_add_css_class (value, i == TOTAL_CHEAPEST || i == TOTAL_EXPENSIVE ? "title-4" : "title-2");
      gtk_widget_add_css_class (value, "numeric");
      gtk_widget_add_css_class (detail, "dim-label");
      gtk_widget_add_css_class (detail, "caption");
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_label_set_xalign (GTK_LABEL (value), 0);
      gtk_label_set_xalign (GTK_LABEL (detail), 0);
      gtk_label_set_ellipsize (GTK_LABEL (value), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_ellipsize (GTK_LABEL (detail), PANGO_ELLIPSIZE_END);
      gtk_widget_set_visible (detail, FALSE);
      gtk_box_append (GTK_BOX (card), title);
      gtk_box_append (GTK_BOX (card), value);
      gtk_box_append (GTK_BOX (card), detail);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (value),
                                      GTK_ACCESSIBLE_RELATION_LABELLED_BY, title, NULL, -1);
      self->total_values[i] = GTK_LABEL (value);
      self->total_details[i] = GTK_LABEL (detail);
      gtk_grid_attach (self->totals_grid, card, (int) i % 4, (int) i / 4, 1, 1);
    }
}

static void
build_charts (SyDashboardPage *self)
{
  for (guint i = 0; i < N_CHARTS; i++)
    {
      GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
      GtkWidget *title = gtk_label_new (_(chart_info[i].title));
      GtkWidget *chart = sy_chart_new (_(chart_info[i].title));
      gboolean last = i == N_CHARTS - 1;

      gtk_widget_add_css_class (card, "card");
      gtk_widget_add_css_class (card, "dashboard-chart");
      gtk_widget_add_css_class (title, "heading");
      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_widget_set_vexpand (chart, TRUE);
      sy_chart_set_unit (SY_CHART (chart), chart_info[i].unit);
      gtk_box_append (GTK_BOX (card), title);
      gtk_box_append (GTK_BOX (card), chart);
      self->charts[i] = SY_CHART (chart);
      self->chart_titles[i] = GTK_LABEL (title);
      /* The last one alone on its row: it is the widest, hours on end. */
      gtk_grid_attach (self->charts_grid, card, last ? 0 : (int) i % 2, (int) i / 2, last ? 2 : 1, 1);
    }
}

/* ------------------------------------------------------------------ GObject */

static void
sy_dashboard_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (sy_dashboard_page_parent_class)->map (widget);
  refresh (SY_DASHBOARD_PAGE (widget));
}

static void
sy_dashboard_page_dispose (GObject *object)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->throttle_id, g_source_remove);
  g_cancellable_cancel (self->file_cancellable);
  g_clear_object (&self->file_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_cancellable_cancel (self->what_if_cancellable);
  g_clear_object (&self->what_if_cancellable);
  if (self->price_chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->price_chooser));
  g_clear_object (&self->price_chooser);
  g_clear_pointer (&self->price_table, g_bytes_unref);
  for (guint i = 0; i < N_WHAT_IF_COLUMNS; i++)
    g_clear_object (&self->what_if_columns[i]);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_DASHBOARD_PAGE);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_dashboard_page_parent_class)->dispose (object);
}

static void
sy_dashboard_page_finalize (GObject *object)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);

  g_clear_pointer (&self->price_table_name, g_free);
  g_clear_pointer (&self->what_if_profiles, g_strfreev);

  G_OBJECT_CLASS (sy_dashboard_page_parent_class)->finalize (object);
}

static void
sy_dashboard_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SyDashboardPage *self = SY_DASHBOARD_PAGE (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_dashboard_page_class_init (SyDashboardPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_dashboard_page_dispose;
  object_class->finalize = sy_dashboard_page_finalize;
  object_class->get_property = sy_dashboard_page_get_property;
  widget_class->map = sy_dashboard_page_map;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-dashboard-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, group_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, totals_grid);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, charts_grid);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_items);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_file_button);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_source);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_summary);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_note);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_error);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_header);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_header_requests);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_header_recorded);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_header_cost);
  gtk_widget_class_bind_template_child (widget_class, SyDashboardPage, what_if_list);

  gtk_widget_class_install_action (widget_class, "dashboard.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "dashboard.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "dashboard.choose-price-table", NULL,
                                   choose_price_table_action);
}

static void
sy_dashboard_page_init (SyDashboardPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->file_cancellable = g_cancellable_new ();
  sy_a11y_name_drop_down (self->range_dropdown, _("Range"));
  sy_a11y_name_drop_down (self->group_dropdown, _("Group By"));
  sy_a11y_name_drop_down (self->what_if_dropdown, _("Compare With"));
  build_totals (self);
  build_charts (self);
  {
    GtkWidget *headers[N_WHAT_IF_COLUMNS] = {
      self->what_if_header_requests, self->what_if_header_recorded, self->what_if_header_cost,
    };

    for (guint i = 0; i < N_WHAT_IF_COLUMNS; i++)
      {
        self->what_if_columns[i] = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);
        gtk_size_group_add_widget (self->what_if_columns[i], headers[i]);
      }
  }
  clear_what_if_table (self);
  g_signal_connect_object (self->what_if_dropdown, "notify::selected",
                           G_CALLBACK (what_if_selected), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->range_dropdown, "notify::selected",
                           G_CALLBACK (refresh), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->group_dropdown, "notify::selected",
                           G_CALLBACK (refresh_charts), self, G_CONNECT_SWAPPED);
}

GtkWidget *
sy_dashboard_page_new (SyServices *services)
{
  SyDashboardPage *self;
  GListModel *activity;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_DASHBOARD_PAGE, NULL);
  self->services = g_object_ref (services);
  activity = sy_endpoint_get_activity (sy_services_get_endpoint (services));
  g_signal_connect_object (activity, "items-changed", G_CALLBACK (activity_changed), self, 0);
  for (guint i = 0; i < g_list_model_get_n_items (activity); i++)
    {
      g_autoptr(SyActivityItem) item = g_list_model_get_item (activity, i);

      if (!sy_activity_item_get_finished (item))
        watch_item (self, item);
    }
  rebuild_what_if_items (self);
  g_signal_connect_object (services, "notify::config", G_CALLBACK (config_changed), self,
                           G_CONNECT_SWAPPED);
  return GTK_WIDGET (self);
}

gboolean
sy_dashboard_page_get_loading (SyDashboardPage *self)
{
  g_return_val_if_fail (SY_IS_DASHBOARD_PAGE (self), FALSE);
  return self->loading;
}
