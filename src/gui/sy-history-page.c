/* sy-history-page.c — the History page: every request ever routed, searched
 * and filtered in SQLite, read a page at a time; what each one did; what the
 * history keeps.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "sy-a11y.h"
#include "sy-activity-page.h"
#include "sy-history-model.h"
#include "sy-history-page.h"
#include "sy-request-detail.h"
#include "sy-window.h"

/* New requests are put at the top this long after the last one ended (the
 * history writes in batches). */
#define REFRESH_DELAY_MS 1000

struct _SyHistoryPage
{
  AdwBin              parent_instance;

  /* template widgets */
  GtkSearchEntry     *search_entry;
  GtkDropDown        *range_dropdown;
  GtkMenuButton      *filters_button;
  GtkPopover         *filters_popover;
  GtkEntry           *from_entry;
  GtkEntry           *to_entry;
  GtkMenuButton      *from_calendar_button;
  GtkMenuButton      *to_calendar_button;
  GtkCalendar        *from_calendar;
  GtkCalendar        *to_calendar;
  GtkDropDown        *client_dropdown;
  GtkDropDown        *provider_dropdown;
  GtkDropDown        *model_dropdown;
  GtkDropDown        *profile_dropdown;
  GtkDropDown        *status_dropdown;
  GtkEntry           *cost_entry;
  GtkButton          *clear_button;
  GtkSwitch          *bodies_switch;
  GtkSpinButton      *days_spin;
  GtkButton          *prune_button;
  GtkLabel           *count_label;
  GtkStack           *stack;
  AdwStatusPage      *empty_page;
  GtkColumnView      *column_view;
  SyRequestDetail    *detail;

  /* owned */
  SyServices         *services;
  SyHistoryModel     *model;
  GtkSingleSelection *selection;
  GCancellable       *cancellable;
  guint               refresh_id;
  gboolean            syncing;      /* widgets being set from the config */
  gboolean            filtered;     /* the query in force narrows the history */
  gint64              range_now_us; /* "now" for the time range: kept while only the
                                     * search changes, so its ids are reused */
  gboolean            queried;
};

G_DEFINE_FINAL_TYPE (SyHistoryPage, sy_history_page, ADW_TYPE_BIN)

/* ------------------------------------------------------------------ filter */

/* Local midnight of "YYYY-MM-DD", plus @days; -1 when @text is no such date. */
static gint64
parse_day (const char *text,
           int         days)
{
  g_autoptr(GDateTime) day = NULL;
  g_autoptr(GDateTime) shifted = NULL;
  unsigned year, month, mday;
  char end;

  if (sscanf (text, "%4u-%2u-%2u%c", &year, &month, &mday, &end) != 3)
    return -1;
  day = g_date_time_new_local ((int) year, (int) month, (int) mday, 0, 0, 0);
  if (day == NULL)
    return -1;
  shifted = g_date_time_add_days (day, days);
  return g_date_time_to_unix (shifted) * G_USEC_PER_SEC;
}

/* The bound an entry gives (-1: none), marking a wrong one. */
static gint64
entry_day (GtkEntry *entry,
           int       days)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));
  gint64 value = stripped[0] != '\0' ? parse_day (stripped, days) : -1;

  if (stripped[0] != '\0' && value < 0)
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  return value;
}

/* The dropdown's value, NULL for "Any" (the first item). */
static const char *
dropdown_value (GtkDropDown *dropdown)
{
  guint selected = gtk_drop_down_get_selected (dropdown);
  GObject *item;

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  item = gtk_drop_down_get_selected_item (dropdown);
  return item != NULL ? gtk_string_object_get_string (GTK_STRING_OBJECT (item)) : NULL;
}

static void
apply_filter (SyHistoryPage *self)
{
  static const gint64 range_us[] = { 0, G_TIME_SPAN_DAY, 7 * G_TIME_SPAN_DAY, 30 * G_TIME_SPAN_DAY };
  guint range = gtk_drop_down_get_selected (self->range_dropdown);
  const char *cost_text = gtk_editable_get_text (GTK_EDITABLE (self->cost_entry));
  SyHistoryFilter filter;
  gint64 from, to;
  guint n_active = 0;

  sy_history_filter_init (&filter);
  filter.search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (self->range_now_us == 0)
    self->range_now_us = g_get_real_time ();
  if (range < G_N_ELEMENTS (range_us) && range_us[range] > 0)
    filter.from_us = self->range_now_us - range_us[range];
  from = entry_day (self->from_entry, 0);
  to = entry_day (self->to_entry, 1);   /* the whole last day */
  if (from >= 0)
    {
      filter.from_us = MAX (filter.from_us, from);
      n_active++;
    }
  if (to >= 0)
    {
      filter.to_us = to;
      n_active++;
    }

  filter.client = dropdown_value (self->client_dropdown);
  filter.provider = dropdown_value (self->provider_dropdown);
  filter.model = dropdown_value (self->model_dropdown);
  filter.profile = dropdown_value (self->profile_dropdown);
  n_active += (filter.client != NULL) + (filter.provider != NULL) + (filter.model != NULL) +
              (filter.profile != NULL);
  switch (gtk_drop_down_get_selected (self->status_dropdown))
    {
    case 1: filter.status = SY_HISTORY_STATUS_SUCCEEDED; n_active++; break;
    case 2: filter.status = SY_HISTORY_STATUS_FAILED; n_active++; break;
    case 3: filter.status = SY_HISTORY_STATUS_CANCELLED; n_active++; break;
    default: break;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->cost_entry), "error");
  if (cost_text[0] != '\0')
    {
      char *end = NULL;
      double cost = g_ascii_strtod (cost_text, &end);

      if (end != NULL && *end == '\0' && cost >= 0)
        {
          filter.min_cost = cost;
          n_active++;
        }
      else
        gtk_widget_add_css_class (GTK_WIDGET (self->cost_entry), "error");
    }

  if (n_active > 0)
    {
      /* Translators: the Filters button with the number of filters in use */
      g_autofree char *label = g_strdup_printf (ngettext ("Filters (%u)", "Filters (%u)", n_active), n_active);
      gtk_menu_button_set_label (self->filters_button, label);
    }
  else
    gtk_menu_button_set_label (self->filters_button, _("Filters"));

  self->filtered = n_active > 0 || range != 0 || filter.search[0] != '\0';
  self->queried = TRUE;
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  sy_history_model_set_filter (self->model, &filter);
}

/* A day picked in a calendar goes into its entry, as if typed. */
static void
day_picked (GtkCalendar *calendar,
            GtkEntry    *entry)
{
  g_autoptr(GDateTime) day = gtk_calendar_get_date (calendar);
  g_autofree char *text = g_date_time_format (day, "%Y-%m-%d");
  GtkWidget *popover = gtk_widget_get_ancestor (GTK_WIDGET (calendar), GTK_TYPE_POPOVER);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
}

/* The calendar opens on the day its entry holds, or today. */
static void
calendar_shown (GtkPopover *popover)
{
  GtkCalendar *calendar = GTK_CALENDAR (gtk_popover_get_child (popover));
  GtkEntry *entry = g_object_get_data (G_OBJECT (calendar), "sy-entry");
  gint64 start = parse_day (gtk_editable_get_text (GTK_EDITABLE (entry)), 0);
  g_autoptr(GDateTime) day = start >= 0 ? g_date_time_new_from_unix_local (start / G_USEC_PER_SEC)
                                        : g_date_time_new_now_local ();

  g_signal_handlers_block_by_func (calendar, day_picked, entry);
  gtk_calendar_select_day (calendar, day);
  g_signal_handlers_unblock_by_func (calendar, day_picked, entry);
}

static void
clear_filters (SyHistoryPage *self)
{
  GtkDropDown *dropdowns[] = { self->client_dropdown, self->provider_dropdown, self->model_dropdown,
                               self->profile_dropdown, self->status_dropdown };

  self->syncing = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->cost_entry), "");
  for (guint i = 0; i < G_N_ELEMENTS (dropdowns); i++)
    gtk_drop_down_set_selected (dropdowns[i], 0);
  self->syncing = FALSE;
  apply_filter (self);
}

static void
filter_changed (SyHistoryPage *self)
{
  if (!self->syncing)
    apply_filter (self);
}

static void
range_changed (SyHistoryPage *self)
{
  self->range_now_us = 0;
  filter_changed (self);
}

static void
update_count (SyHistoryPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const char *error = sy_history_model_get_error (self->model);
  g_autofree char *text = NULL;

  if (sy_history_model_get_loading (self->model))
    text = g_strdup (_("Searching…"));
  else if (error != NULL)
    text = g_strdup (error);
  else
    /* Translators: how many requests the History page lists */
    text = g_strdup_printf (ngettext ("%'u request", "%'u requests", n), n);
  gtk_label_set_text (self->count_label, text);

  if (n > 0 || sy_history_model_get_loading (self->model))
    gtk_stack_set_visible_child_name (self->stack, "list");
  else
    {
      adw_status_page_set_title (self->empty_page,
                                 self->filtered ? _("No Matching Requests") : _("No Requests"));
      gtk_stack_set_visible_child_name (self->stack, "empty");
    }
}

/* ------------------------------------------------------ the filter choices */

typedef struct {
  GStrv clients, providers, models, profiles;
} Choices;

static void
choices_free (Choices *choices)
{
  g_strfreev (choices->clients);
  g_strfreev (choices->providers);
  g_strfreev (choices->models);
  g_strfreev (choices->profiles);
  g_free (choices);
}

static void
choices_worker (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  const char *path = task_data;
  Choices *choices = g_new0 (Choices, 1);
  GError *error = NULL;

  choices->clients = sy_history_distinct (path, "client", &error);
  if (error == NULL)
    choices->providers = sy_history_distinct (path, "provider", &error);
  if (error == NULL)
    choices->models = sy_history_distinct (path, "model", &error);
  if (error == NULL)
    choices->profiles = sy_history_distinct (path, "profile", &error);
  if (error != NULL)
    {
      choices_free (choices);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, choices, (GDestroyNotify) choices_free);
}

/* Replaces @dropdown's values by "Any" and @values, keeping the one chosen
 * (listed even when the history no longer has it). */
static void
set_choices (GtkDropDown *dropdown,
             GStrv        values)
{
  g_autofree char *chosen = g_strdup (dropdown_value (dropdown));
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  guint selected = 0;

  gtk_string_list_append (list, C_("filter", "Any"));
  for (guint i = 0; values[i] != NULL; i++)
    {
      gtk_string_list_append (list, values[i]);
      if (g_strcmp0 (values[i], chosen) == 0)
        selected = i + 1;
    }
  if (chosen != NULL && selected == 0)
    {
      gtk_string_list_append (list, chosen);
      selected = g_list_model_get_n_items (G_LIST_MODEL (list)) - 1;
    }
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (dropdown, selected);
}

static void
choices_done (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(GError) error = NULL;
  Choices *choices = g_task_propagate_pointer (G_TASK (result), &error);
  SyHistoryPage *self;

  if (choices == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not list the history's clients and models: %s", error->message);
      return;
    }
  self = SY_HISTORY_PAGE (data);
  self->syncing = TRUE;
  set_choices (self->client_dropdown, choices->clients);
  set_choices (self->provider_dropdown, choices->providers);
  set_choices (self->model_dropdown, choices->models);
  set_choices (self->profile_dropdown, choices->profiles);
  self->syncing = FALSE;
  choices_free (choices);
}

static void
load_choices (SyHistoryPage *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, choices_done, self);

  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, g_strdup (sy_history_model_get_path (self->model)), g_free);
  g_task_run_in_thread (task, choices_worker);
}

static void
filters_shown (SyHistoryPage *self)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self->filters_popover)))
    load_choices (self);
}

/* --------------------------------------------------------------- storage */

static void
sync_storage (SyHistoryPage *self)
{
  SyConfig *config = sy_services_get_config (self->services);
  double days = sy_config_get_body_days (config);

  self->syncing = TRUE;
  gtk_switch_set_active (self->bodies_switch, sy_config_get_store_bodies (config));
  gtk_spin_button_set_value (self->days_spin, days);
  gtk_widget_set_sensitive (GTK_WIDGET (self->prune_button), days > 0);
  self->syncing = FALSE;
}

static void
storage_saved (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!sy_services_update_config_finish (SY_SERVICES (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not save: %s"), error->message);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        sy_window_toast_for (GTK_WIDGET (data), message);
    }
}

static void
storage_changed (SyHistoryPage *self)
{
  g_autoptr(JsonObject) root = NULL;
  JsonObject *history;
  int days;

  if (self->syncing)
    return;
  days = gtk_spin_button_get_value_as_int (self->days_spin);
  gtk_widget_set_sensitive (GTK_WIDGET (self->prune_button), days > 0);

  root = sy_services_dup_config_root (self->services);
  history = json_object_has_member (root, "history") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "history"))
            ? json_object_get_object_member (root, "history") : NULL;
  if (history == NULL)
    {
      history = json_object_new ();
      json_object_set_object_member (root, "history", history);
    }
  json_object_set_boolean_member (history, "store_bodies", gtk_switch_get_active (self->bodies_switch));
  if (days > 0)
    json_object_set_int_member (history, "body_days", days);
  else
    json_object_remove_member (history, "body_days");
  sy_services_update_config_async (self->services, root, self->cancellable, storage_saved, self);
}

typedef struct {
  char   *path;
  gint64  before_us;
} Prune;

static void
prune_free (Prune *prune)
{
  g_free (prune->path);
  g_free (prune);
}

static void
prune_worker (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Prune *prune = task_data;
  GError *error = NULL;
  gint64 pruned = 0;

  if (!sy_history_prune_bodies (prune->path, prune->before_us, &pruned, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, pruned);
}

static void
prune_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(GError) error = NULL;
  gssize pruned = g_task_propagate_int (G_TASK (result), &error);
  g_autofree char *message = NULL;
  SyHistoryPage *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SY_HISTORY_PAGE (data);
  gtk_widget_set_sensitive (GTK_WIDGET (self->prune_button), TRUE);
  if (error != NULL)
    message = g_strdup_printf (_("Could not delete old bodies: %s"), error->message);
  else
    /* Translators: after deleting stored bodies older than the chosen age */
    message = g_strdup_printf (ngettext ("Deleted the bodies of %" PRId64 " request",
                                         "Deleted the bodies of %" PRId64 " requests", (gulong) pruned),
                               (int64_t) pruned);
  sy_window_toast_for (GTK_WIDGET (self), message);
  /* The detail shown may have lost its bodies. */
  sy_request_detail_show (self->detail, gtk_single_selection_get_selected_item (self->selection),
                          sy_history_model_get_path (self->model));
}

static void
prune_now (SyHistoryPage *self)
{
  g_autoptr(GTask) task = NULL;
  int days = gtk_spin_button_get_value_as_int (self->days_spin);
  Prune *prune;

  if (days <= 0)
    return;
  prune = g_new0 (Prune, 1);
  prune->path = g_strdup (sy_history_model_get_path (self->model));
  prune->before_us = g_get_real_time () - days * G_TIME_SPAN_DAY;
  gtk_widget_set_sensitive (GTK_WIDGET (self->prune_button), FALSE);
  task = g_task_new (NULL, self->cancellable, prune_done, self);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, prune, (GDestroyNotify) prune_free);
  g_task_run_in_thread (task, prune_worker);
}

/* --------------------------------------------------------------- the page */

static void
show_detail (SyHistoryPage *self)
{
  sy_request_detail_show (self->detail, gtk_single_selection_get_selected_item (self->selection),
                          sy_history_model_get_path (self->model));
}

static gboolean
refresh_now (gpointer data)
{
  SyHistoryPage *self = data;

  self->refresh_id = 0;
  if (self->queried)
    sy_history_model_refresh (self->model);
  return G_SOURCE_REMOVE;
}

static void
request_finished (SyHistoryPage *self)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || !self->queried)
    return;
  if (self->refresh_id != 0)
    g_source_remove (self->refresh_id);
  self->refresh_id = g_timeout_add (REFRESH_DELAY_MS, refresh_now, self);
}

static void
page_mapped (SyHistoryPage *self)
{
  /* "Last 24 hours" from now again. */
  if (gtk_drop_down_get_selected (self->range_dropdown) != 0)
    {
      self->range_now_us = 0;
      if (self->queried)
        {
          apply_filter (self);
          return;
        }
    }
  if (!self->queried)
    apply_filter (self);
  else
    sy_history_model_refresh (self->model);
}

static void
sy_history_page_dispose (GObject *object)
{
  SyHistoryPage *self = SY_HISTORY_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_HISTORY_PAGE);
  g_clear_object (&self->selection);
  if (self->model != NULL)
    sy_history_model_close (self->model);
  g_clear_object (&self->model);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_history_page_parent_class)->dispose (object);
}

static void
sy_history_page_class_init (SyHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_history_page_dispose;

  g_type_ensure (SY_TYPE_REQUEST_DETAIL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, filters_button);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, filters_popover);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, from_entry);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, to_entry);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, from_calendar_button);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, to_calendar_button);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, client_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, provider_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, profile_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, cost_entry);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, clear_button);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, bodies_switch);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, days_spin);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, prune_button);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, SyHistoryPage, detail);
}

static void
sy_history_page_init (SyHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  sy_activity_columns_add (self->column_view, TRUE);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));
  sy_a11y_name_drop_down (self->range_dropdown, _("Time range"));
  sy_a11y_name_drop_down (self->client_dropdown, _("Client"));
  sy_a11y_name_drop_down (self->provider_dropdown, _("Provider"));
  sy_a11y_name_drop_down (self->model_dropdown, _("Model"));
  sy_a11y_name_drop_down (self->profile_dropdown, _("Profile"));
  sy_a11y_name_drop_down (self->status_dropdown, _("Status"));
}

GtkWidget *
sy_history_page_new (SyServices *services)
{
  static const char *empty[] = { NULL };
  SyHistoryPage *self;
  GtkDropDown *choices[4];
  GtkEditable *entries[3];

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_HISTORY_PAGE, NULL);
  self->services = g_object_ref (services);
  self->model = sy_history_model_new (sy_services_get_history_path (services));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  choices[0] = self->client_dropdown;
  choices[1] = self->provider_dropdown;
  choices[2] = self->model_dropdown;
  choices[3] = self->profile_dropdown;
  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    {
      gtk_drop_down_set_expression (choices[i], gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                                            "string"));
      set_choices (choices[i], (GStrv) empty);
      g_signal_connect_object (choices[i], "notify::selected", G_CALLBACK (filter_changed), self,
                               G_CONNECT_SWAPPED);
    }
  g_signal_connect_object (self->status_dropdown, "notify::selected", G_CALLBACK (filter_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->range_dropdown, "notify::selected", G_CALLBACK (range_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "search-changed", G_CALLBACK (filter_changed), self,
                           G_CONNECT_SWAPPED);
  entries[0] = GTK_EDITABLE (self->from_entry);
  entries[1] = GTK_EDITABLE (self->to_entry);
  entries[2] = GTK_EDITABLE (self->cost_entry);
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    g_signal_connect_object (entries[i], "changed", G_CALLBACK (filter_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->clear_button, "clicked", G_CALLBACK (clear_filters), self, G_CONNECT_SWAPPED);
  {
    GtkCalendar *calendars[] = { self->from_calendar, self->to_calendar };
    GtkEntry *targets[] = { self->from_entry, self->to_entry };
    GtkMenuButton *buttons[] = { self->from_calendar_button, self->to_calendar_button };

    for (guint i = 0; i < G_N_ELEMENTS (calendars); i++)
      {
        g_object_set_data (G_OBJECT (calendars[i]), "sy-entry", targets[i]);
        g_signal_connect (calendars[i], "day-selected", G_CALLBACK (day_picked), targets[i]);
        g_signal_connect (gtk_menu_button_get_popover (buttons[i]), "show", G_CALLBACK (calendar_shown), NULL);
      }
  }
  g_signal_connect_object (self->filters_popover, "notify::visible", G_CALLBACK (filters_shown), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect_object (self->bodies_switch, "notify::active", G_CALLBACK (storage_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->days_spin, "value-changed", G_CALLBACK (storage_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->prune_button, "clicked", G_CALLBACK (prune_now), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (services, "notify::config", G_CALLBACK (sync_storage), self, G_CONNECT_SWAPPED);
  sync_storage (self);

  g_signal_connect_object (self->model, "notify::n-items", G_CALLBACK (update_count), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (update_count), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::error", G_CALLBACK (update_count), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected-item", G_CALLBACK (show_detail), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (sy_services_get_endpoint (services), "request-finished",
                           G_CALLBACK (request_finished), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "map", G_CALLBACK (page_mapped), NULL);
  update_count (self);
  return GTK_WIDGET (self);
}

SyHistoryModel *
sy_history_page_get_model (SyHistoryPage *self)
{
  g_return_val_if_fail (SY_IS_HISTORY_PAGE (self), NULL);
  return self->model;
}
