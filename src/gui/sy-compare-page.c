/* sy-compare-page.c — the Compare page: one prompt to several models side by side.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

#include "sy-compare-page.h"
#include "sy-json.h"
#include "sy-model-picker.h"
#include "sy-ratings.h"
#include "sy-window.h"

/* What a run is estimated at before it happens: the prompt at about four bytes a
 * token, an image at about a thousand, and the answer at its limit or this. */
#define ESTIMATE_OUTPUT_TOKENS 500
#define ESTIMATE_DELAY_MS 150
#define MAX_IMAGE_BYTES (10 * 1024 * 1024)
#define MAX_TEXT_BYTES (1024 * 1024)
#define RECENT_LIMIT 30
#define LEADERBOARD_ROWS 10
#define COMPARISON_VERSION 1

typedef struct {
  char      *name;
  char      *mime_type;
  char      *text;       /* a text file, inlined */
  char      *data_url;   /* an image */
  gsize      bytes;
  GtkWidget *chip;
} Attachment;

typedef struct {
  char *comparison_id;
  char *model;
  int   score;
} RateJob;

struct _SyComparePage
{
  AdwBin           parent_instance;

  /* template widgets */
  GtkMenuButton   *add_button;
  GtkMenuButton   *recent_button;
  GtkPopover      *recent_popover;
  GtkListBox      *recent_list;
  GtkListBox      *leaderboard_list;
  GtkStack        *columns_stack;
  GtkBox          *columns_box;
  GtkTextView     *system_view;
  GtkFlowBox      *attachments_box;
  GtkSourceView   *prompt_view;
  GtkStack        *run_stack;
  GtkCheckButton  *temperature_check;
  GtkSpinButton   *temperature_spin;
  GtkCheckButton  *max_tokens_check;
  GtkSpinButton   *max_tokens_spin;
  GtkLabel        *total_label;

  /* owned references */
  SyServices      *services;
  GCancellable    *cancellable;
  GPtrArray       *attachments;      /* Attachment * */
  GQueue           rate_jobs;        /* RateJob *: one at a time, in the order judged */
  GtkFileChooserNative *chooser;

  /* state */
  char            *comparison_id;
  gint64           created_at_us;
  char            *title;            /* the first prompt of the comparison */
  char            *last_prompt;
  guint            estimate_id;
  guint            loading;          /* attachments being read */
  guint            saving;           /* saves in flight */
  gboolean         unsaved;          /* a run finished since the last save */
  gboolean         rating;           /* a rating in flight */
};

G_DEFINE_FINAL_TYPE (SyComparePage, sy_compare_page, ADW_TYPE_BIN)

static void update_actions   (SyComparePage *self);
static void queue_estimates  (SyComparePage *self);
static void save_comparison  (SyComparePage *self);
static void refresh_leaderboard (SyComparePage *self);

static void
attachment_free (Attachment *attachment)
{
  g_free (attachment->name);
  g_free (attachment->mime_type);
  g_free (attachment->text);
  g_free (attachment->data_url);
  g_free (attachment);
}

static void
rate_job_free (RateJob *job)
{
  g_free (job->comparison_id);
  g_free (job->model);
  g_free (job);
}

static void
show_toast (SyComparePage *self,
            const char    *message)
{
  sy_window_toast_for (GTK_WIDGET (self), message);
}

static char *
buffer_text (GtkTextBuffer *buffer)
{
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static char *
prompt_text (SyComparePage *self)
{
  g_autofree char *text = buffer_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view)));

  return g_strdup (g_strstrip (text));
}

static char *
system_text (SyComparePage *self)
{
  g_autofree char *text = buffer_text (gtk_text_view_get_buffer (self->system_view));

  return g_strdup (g_strstrip (text));
}

/* ------------------------------------------------------------------ columns */

static GPtrArray *
columns (SyComparePage *self)
{
  GPtrArray *list = g_ptr_array_new ();

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->columns_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    g_ptr_array_add (list, child);
  return list;
}

guint
sy_compare_page_get_n_columns (SyComparePage *self)
{
  g_autoptr(GPtrArray) list = NULL;

  g_return_val_if_fail (SY_IS_COMPARE_PAGE (self), 0);
  list = columns (self);
  return list->len;
}

SyCompareColumn *
sy_compare_page_get_column (SyComparePage *self,
                            guint          index)
{
  g_autoptr(GPtrArray) list = NULL;

  g_return_val_if_fail (SY_IS_COMPARE_PAGE (self), NULL);
  list = columns (self);
  return index < list->len ? g_ptr_array_index (list, index) : NULL;
}

static gboolean
any_running (SyComparePage *self)
{
  g_autoptr(GPtrArray) list = columns (self);

  for (guint i = 0; i < list->len; i++)
    if (sy_compare_column_get_running (g_ptr_array_index (list, i)))
      return TRUE;
  return FALSE;
}

static void
settings_from_widgets (SyComparePage     *self,
                       SyCompareSettings *settings,
                       char             **system_out)
{
  *system_out = system_text (self);
  settings->system = *system_out;
  settings->temperature = gtk_check_button_get_active (self->temperature_check)
                            ? gtk_spin_button_get_value (self->temperature_spin) : -1;
  settings->max_tokens = gtk_check_button_get_active (self->max_tokens_check)
                           ? (gint64) gtk_spin_button_get_value (self->max_tokens_spin) : 0;
}

static void
column_running_changed (SyComparePage *self)
{
  if (!any_running (self) && self->unsaved)
    save_comparison (self);
  update_actions (self);
  queue_estimates (self);
}

static void
column_rerun (SyComparePage   *self,
              SyCompareColumn *column)
{
  g_autofree char *system = NULL;
  SyCompareSettings settings;

  settings_from_widgets (self, &settings, &system);
  if (sy_compare_column_rerun (column, &settings))
    {
      self->unsaved = TRUE;
      update_actions (self);
    }
}

static void
column_remove (SyComparePage   *self,
               SyCompareColumn *column)
{
  sy_compare_column_stop (column);
  gtk_box_remove (self->columns_box, GTK_WIDGET (column));
  /* It may have been the last one running. */
  column_running_changed (self);
}

static void enqueue_rating (SyComparePage   *self,
                            SyCompareColumn *column,
                            int              score);
static void route_this_way (SyComparePage   *self,
                            SyCompareColumn *winner);

static void
column_rated (SyComparePage   *self,
              int              score,
              SyCompareColumn *column)
{
  sy_compare_column_set_score (column, score);
  g_object_set_data (G_OBJECT (column), "sy-rated-by-user", GINT_TO_POINTER (score > 0));
  enqueue_rating (self, column, score);
  save_comparison (self);
}

/* Picking the best rates it 5 and every other answer 3, unless the user rated
 * that one already. */
static void
column_picked (SyComparePage   *self,
               SyCompareColumn *winner)
{
  g_autoptr(GPtrArray) list = columns (self);

  for (guint i = 0; i < list->len; i++)
    {
      SyCompareColumn *column = g_ptr_array_index (list, i);
      gboolean rated = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (column), "sy-rated-by-user"));

      sy_compare_column_set_best (column, column == winner);
      if (!sy_compare_column_get_succeeded (column))
        continue;
      if (column == winner)
        sy_compare_column_set_score (column, 5);
      else if (!rated || sy_compare_column_get_score (column) == 0)
        sy_compare_column_set_score (column, 3);
      enqueue_rating (self, column, sy_compare_column_get_score (column));
    }
  save_comparison (self);
}

static void
column_route (SyComparePage   *self,
              SyCompareColumn *column)
{
  route_this_way (self, column);
}

static SyCompareColumn *
add_column (SyComparePage *self,
            const char    *model)
{
  SyCompareColumn *column = sy_compare_column_new (self->services, model);

  g_signal_connect_object (column, "notify::running", G_CALLBACK (column_running_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (column, "notify::model", G_CALLBACK (queue_estimates), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (column, "rerun-requested", G_CALLBACK (column_rerun), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (column, "remove-requested", G_CALLBACK (column_remove), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (column, "route-requested", G_CALLBACK (column_route), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (column, "rated", G_CALLBACK (column_rated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (column, "picked", G_CALLBACK (column_picked), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->columns_box, GTK_WIDGET (column));
  /* A column joining a comparison under way starts with no conversation. */
  sy_compare_column_set_judging (column, FALSE);
  update_actions (self);
  queue_estimates (self);
  return column;
}

static void
remove_columns (SyComparePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->columns_box))) != NULL)
    {
      sy_compare_column_stop (SY_COMPARE_COLUMN (child));
      gtk_box_remove (self->columns_box, child);
    }
}

static void
forget_comparison (SyComparePage *self)
{
  g_clear_pointer (&self->comparison_id, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->last_prompt, g_free);
  self->created_at_us = 0;
  self->unsaved = FALSE;
}

void
sy_compare_page_set_models (SyComparePage      *self,
                            const char * const *models)
{
  g_return_if_fail (SY_IS_COMPARE_PAGE (self));

  remove_columns (self);
  forget_comparison (self);
  for (guint i = 0; models != NULL && models[i] != NULL && i < SY_COMPARE_MAX_COLUMNS; i++)
    add_column (self, models[i]);
  update_actions (self);
}

const char *
sy_compare_page_get_comparison_id (SyComparePage *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_PAGE (self), NULL);
  return self->comparison_id;
}

gboolean
sy_compare_page_get_busy (SyComparePage *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_PAGE (self), FALSE);
  return any_running (self) || self->saving > 0 || self->rating || self->unsaved ||
         !g_queue_is_empty (&self->rate_jobs);
}

/* The first models of the first providers in config, for a page that opens
 * with something to compare. */
static GStrv
initial_models (SyComparePage *self)
{
  SyConfig *config = sy_services_get_config (self->services);
  JsonArray *providers = sy_json_get_array (sy_config_get_root (config), "providers");
  GPtrArray *models = sy_catalog_get_models (sy_services_get_catalog (self->services));
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint count = 0;
  const char *first_provider_second = NULL;

  for (guint p = 0; providers != NULL && p < json_array_get_length (providers) && count < 2; p++)
    {
      const char *id = sy_json_get_string (sy_json_array_get_object (providers, p), "id");
      guint seen = 0;

      for (guint i = 0; id != NULL && i < models->len; i++)
        {
          const SyModelInfo *info = g_ptr_array_index (models, i);

          if (!g_str_equal (info->provider, id))
            continue;
          if (seen++ == 0)
            {
              g_strv_builder_add (builder, info->id);
              count++;
            }
          else if (p == 0 && first_provider_second == NULL)
            first_provider_second = info->id;
        }
    }
  if (count == 1 && first_provider_second != NULL)
    g_strv_builder_add (builder, first_provider_second);
  return g_strv_builder_end (builder);
}

/* ---------------------------------------------------------------- estimates */

static char *
format_cost (double cost)
{
  if (cost == 0)
    return g_strdup ("$0");
  if (cost < 0.01)
    return g_strdup_printf ("$%.5f", cost);
  return g_strdup_printf ("$%.3f", cost);
}

static gboolean
model_price (SyComparePage *self,
             const char    *model,
             SyPrice       *price)
{
  SyConfig *config = sy_services_get_config (self->services);
  g_autoptr(SyProfile) profile = sy_config_dup_profile (config, model);
  g_autofree char *provider = NULL;
  const char *slash;

  /* A profile is estimated at its first model: the one it tries first. */
  if (profile != NULL)
    model = profile->models != NULL ? profile->models[0] : NULL;
  slash = model != NULL ? strchr (model, '/') : NULL;
  if (slash == NULL)
    return FALSE;
  provider = g_strndup (model, (gsize) (slash - model));
  return sy_config_get_price (config, provider, slash + 1, price) && sy_price_is_known (price);
}

static gboolean
update_estimates (gpointer data)
{
  SyComparePage *self = data;
  g_autoptr(GPtrArray) list = columns (self);
  g_autofree char *prompt = prompt_text (self);
  g_autofree char *system = system_text (self);
  gsize bytes = strlen (prompt) + strlen (system);
  gint64 images = 0;
  gint64 output = gtk_check_button_get_active (self->max_tokens_check)
                    ? (gint64) gtk_spin_button_get_value (self->max_tokens_spin) : ESTIMATE_OUTPUT_TOKENS;
  double total = 0;
  gboolean total_known = list->len > 0;

  self->estimate_id = 0;
  for (guint i = 0; i < self->attachments->len; i++)
    {
      Attachment *attachment = g_ptr_array_index (self->attachments, i);

      if (attachment->data_url != NULL)
        images++;
      else
        bytes += attachment->bytes;
    }

  for (guint i = 0; i < list->len; i++)
    {
      SyCompareColumn *column = g_ptr_array_index (list, i);
      gint64 input = (gint64) (bytes / 4) + sy_compare_column_get_history_tokens (column) +
                     images * SY_COMPARE_IMAGE_TOKENS;
      g_autofree char *tooltip = NULL;
      g_autofree char *text = NULL;
      SyPrice price;
      SyCost cost;

      input = MAX (input, 1);
      /* Translators: the estimate behind a cost preview */
      tooltip = g_strdup_printf (_("Estimated before the run: about %" PRId64 " input and %"
                                   PRId64 " output tokens"), input, output);
      if (model_price (self, sy_compare_column_get_model (column), &price) &&
          sy_cost_compute (&price, &(SyUsage) { input, output, 0, 0, 0 }, &cost))
        {
          g_autofree char *amount = format_cost (cost.total);

          /* Translators: a cost preview before a run, e.g. "Estimate ≈ $0.0012" */
          text = g_strdup_printf (_("Estimate ≈ %s"), amount);
          total += cost.total;
        }
      else
        {
          text = g_strdup (_("Estimate: price unknown"));
          total_known = FALSE;
        }
      sy_compare_column_set_estimate (column, text, tooltip);
    }

  if (list->len == 0)
    gtk_label_set_text (self->total_label, "");
  else if (total_known)
    {
      g_autofree char *amount = format_cost (total);
      /* Translators: the estimated cost of running every column */
      g_autofree char *text = g_strdup_printf (_("Run estimate ≈ %s"), amount);

      gtk_label_set_text (self->total_label, text);
    }
  else
    gtk_label_set_text (self->total_label, _("Run estimate: some prices unknown"));
  return G_SOURCE_REMOVE;
}

static void
queue_estimates (SyComparePage *self)
{
  if (self->estimate_id == 0)
    self->estimate_id = g_timeout_add (ESTIMATE_DELAY_MS, update_estimates, self);
}

/* ------------------------------------------------------------ attachments */

static void
remove_attachment (GtkButton     *button,
                   SyComparePage *self)
{
  for (guint i = 0; i < self->attachments->len; i++)
    {
      Attachment *attachment = g_ptr_array_index (self->attachments, i);

      if (gtk_widget_is_ancestor (GTK_WIDGET (button), attachment->chip))
        {
          gtk_flow_box_remove (self->attachments_box, gtk_widget_get_parent (attachment->chip));
          g_ptr_array_remove_index (self->attachments, i);
          break;
        }
    }
  gtk_widget_set_visible (GTK_WIDGET (self->attachments_box), self->attachments->len > 0);
  update_actions (self);
  queue_estimates (self);
}

static void
add_attachment_chip (SyComparePage *self,
                     Attachment    *attachment)
{
  GtkWidget *chip = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new_from_icon_name (attachment->data_url != NULL ? "image-x-generic-symbolic"
                                                                             : "text-x-generic-symbolic");
  GtkWidget *label = gtk_label_new (attachment->name);
  GtkWidget *remove = gtk_button_new_from_icon_name ("window-close-symbolic");
  /* Translators: %s is a file name */
  g_autofree char *remove_name = g_strdup_printf (_("Remove Attachment “%s”"), attachment->name);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 24);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_add_css_class (remove, "circular");
  gtk_widget_set_tooltip_text (remove, remove_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, remove_name, -1);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_attachment), self, 0);
  gtk_widget_set_margin_start (chip, 8);
  gtk_box_append (GTK_BOX (chip), icon);
  gtk_box_append (GTK_BOX (chip), label);
  gtk_box_append (GTK_BOX (chip), remove);
  gtk_widget_add_css_class (chip, "attachment-chip");
  attachment->chip = chip;
  gtk_flow_box_append (self->attachments_box, chip);
  gtk_widget_set_visible (GTK_WIDGET (self->attachments_box), TRUE);
}

static void
file_loaded (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  SyComparePage *self;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *name = g_file_get_basename (G_FILE (source));
  g_autofree char *content_type = NULL;
  g_autofree char *mime_type = NULL;
  g_autofree char *message = NULL;
  gsize length = 0;
  Attachment *attachment;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SY_COMPARE_PAGE (data);
  self->loading--;
  update_actions (self);
  if (error != NULL)
    {
      /* Translators: a file could not be attached; %s: its name, then why */
      message = g_strdup_printf (_("Could not attach “%s”: %s"), name, error->message);
      show_toast (self, message);
      return;
    }

  content_type = g_content_type_guess (name, (const guchar *) contents, MIN (length, 4096), NULL);
  mime_type = g_content_type_get_mime_type (content_type);
  if (mime_type == NULL)
    mime_type = g_strdup ("application/octet-stream");
  attachment = g_new0 (Attachment, 1);
  attachment->name = g_strdup (name);
  attachment->bytes = length;
  if (g_str_has_prefix (mime_type, "image/"))
    {
      g_autofree char *base64 = NULL;

      if (length > MAX_IMAGE_BYTES)
        message = g_strdup_printf (_("“%s” is too large to attach: images up to 10 MB are sent"), name);
      else
        {
          base64 = g_base64_encode ((const guchar *) contents, length);
          attachment->data_url = g_strdup_printf ("data:%s;base64,%s", mime_type, base64);
        }
    }
  else if (g_utf8_validate (contents, (gssize) length, NULL) && memchr (contents, '\0', length) == NULL)
    {
      if (length > MAX_TEXT_BYTES)
        message = g_strdup_printf (_("“%s” is too large to attach: text files up to 1 MB are sent"), name);
      else
        attachment->text = g_steal_pointer (&contents);
    }
  else
    message = g_strdup_printf (_("“%s” is neither an image nor a text file"), name);

  if (message != NULL)
    {
      attachment_free (attachment);
      show_toast (self, message);
      return;
    }
  attachment->mime_type = g_steal_pointer (&mime_type);
  g_ptr_array_add (self->attachments, attachment);
  add_attachment_chip (self, attachment);
  update_actions (self);
  queue_estimates (self);
}

static void
chooser_response (GtkNativeDialog *dialog,
                  int              response,
                  SyComparePage   *self)
{
  g_autoptr(GListModel) files = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr(GFile) file = g_list_model_get_item (files, i);

          self->loading++;
          g_file_load_contents_async (file, self->cancellable, file_loaded, self);
        }
    }
  update_actions (self);
  g_clear_object (&self->chooser);
}

static void
attach_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  SyComparePage *self = SY_COMPARE_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GtkFileFilter) both = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) images = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) texts = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Attach Images or Text Files"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Attach"), _("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  gtk_file_filter_set_name (both, _("Images and Text Files"));
  gtk_file_filter_add_mime_type (both, "image/*");
  gtk_file_filter_add_mime_type (both, "text/*");
  gtk_file_filter_add_mime_type (both, "application/json");
  gtk_file_filter_add_mime_type (both, "application/xml");
  gtk_file_filter_add_mime_type (both, "application/x-shellscript");
  gtk_file_filter_set_name (images, _("Images"));
  gtk_file_filter_add_mime_type (images, "image/*");
  gtk_file_filter_set_name (texts, _("Text Files"));
  gtk_file_filter_add_mime_type (texts, "text/*");
  gtk_file_filter_add_mime_type (texts, "application/json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), both);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), images);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), texts);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clear_attachments (SyComparePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->attachments_box))) != NULL)
    gtk_flow_box_remove (self->attachments_box, child);
  g_ptr_array_set_size (self->attachments, 0);
  gtk_widget_set_visible (GTK_WIDGET (self->attachments_box), FALSE);
}

/* A fence longer than any run of backticks in @text, so that the file cannot
 * close it. */
static char *
fence_for (const char *text)
{
  guint longest = 0, run = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      run = *p == '`' ? run + 1 : 0;
      longest = MAX (longest, run);
    }
  return g_strnfill (MAX (3, longest + 1), '`');
}

/* The user message of a turn: the prompt, then text files inlined as text parts
 * and images as data: URLs, as Chat Completions takes them. */
static JsonObject *
user_message (SyComparePage *self,
              const char    *prompt)
{
  JsonObject *message = json_object_new ();
  JsonArray *parts;
  JsonObject *part;

  json_object_set_string_member (message, "role", "user");
  if (self->attachments->len == 0)
    {
      json_object_set_string_member (message, "content", prompt);
      return message;
    }
  parts = json_array_new ();
  part = json_object_new ();
  json_object_set_string_member (part, "type", "text");
  json_object_set_string_member (part, "text", prompt);
  json_array_add_object_element (parts, part);
  for (guint i = 0; i < self->attachments->len; i++)
    {
      Attachment *attachment = g_ptr_array_index (self->attachments, i);

      part = json_object_new ();
      if (attachment->data_url != NULL)
        {
          JsonObject *image = json_object_new ();

          json_object_set_string_member (part, "type", "image_url");
          json_object_set_string_member (image, "url", attachment->data_url);
          json_object_set_object_member (part, "image_url", image);
        }
      else
        {
          g_autofree char *fence = fence_for (attachment->text);
          g_autofree char *text = g_strdup_printf ("%s\n%s\n%s%s%s", attachment->name, fence, attachment->text,
                                                   g_str_has_suffix (attachment->text, "\n") ? "" : "\n", fence);

          json_object_set_string_member (part, "type", "text");
          json_object_set_string_member (part, "text", text);
        }
      json_array_add_object_element (parts, part);
    }
  json_object_set_array_member (message, "content", parts);
  return message;
}

/* ----------------------------------------------------------------- running */

static void
update_actions (SyComparePage *self)
{
  guint n = sy_compare_page_get_n_columns (self);
  gboolean running = any_running (self);
  g_autofree char *prompt = prompt_text (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.run",
                                 !running && n > 0 && self->loading == 0 &&
                                 (*prompt != '\0' || self->attachments->len > 0));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "compare.new", !running && self->comparison_id != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->add_button), n < SY_COMPARE_MAX_COLUMNS);
  gtk_stack_set_visible_child_name (self->run_stack, running ? "stop" : "run");
  gtk_stack_set_visible_child_name (self->columns_stack, n > 0 ? "columns" : "empty");
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  SyComparePage *self = SY_COMPARE_PAGE (widget);
  g_autoptr(GPtrArray) list = columns (self);
  g_autofree char *prompt = prompt_text (self);
  g_autofree char *system = NULL;
  g_autoptr(JsonObject) message = NULL;
  SyCompareSettings settings;

  if (list->len == 0 || any_running (self) || (*prompt == '\0' && self->attachments->len == 0))
    return;
  settings_from_widgets (self, &settings, &system);
  message = user_message (self, prompt);

  if (self->comparison_id == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      const char *newline = strchr (prompt, '\n');
      g_autofree char *first_line = newline != NULL ? g_strndup (prompt, (gsize) (newline - prompt))
                                                    : g_strdup (prompt);

      self->comparison_id = g_strconcat ("cmp-", uuid, NULL);
      self->created_at_us = g_get_real_time ();
      self->title = g_utf8_substring (first_line, 0, MIN (g_utf8_strlen (first_line, -1), 80));
    }
  g_free (self->last_prompt);
  self->last_prompt = g_strdup (prompt);
  self->unsaved = TRUE;

  for (guint i = 0; i < list->len; i++)
    {
      SyCompareColumn *column = g_ptr_array_index (list, i);

      g_object_set_data (G_OBJECT (column), "sy-rated-by-user", NULL);
      sy_compare_column_set_judging (column, FALSE);
      sy_compare_column_run (column, message, NULL, &settings);
    }

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view)), "", 0);
  clear_attachments (self);
  update_actions (self);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SyComparePage *self = SY_COMPARE_PAGE (widget);
  g_autoptr(GPtrArray) list = columns (self);

  for (guint i = 0; i < list->len; i++)
    sy_compare_column_stop (g_ptr_array_index (list, i));
}

static void
new_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  SyComparePage *self = SY_COMPARE_PAGE (widget);
  g_autoptr(GPtrArray) list = columns (self);

  forget_comparison (self);
  for (guint i = 0; i < list->len; i++)
    sy_compare_column_clear (g_ptr_array_index (list, i));
  update_actions (self);
  queue_estimates (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->prompt_view));
}

/* ----------------------------------------------------------------- saving */

static JsonObject *
comparison_json (SyComparePage *self)
{
  JsonObject *comparison = json_object_new ();
  JsonObject *settings = json_object_new ();
  JsonArray *saved_columns = json_array_new ();
  g_autoptr(GPtrArray) list = columns (self);
  g_autofree char *system = system_text (self);
  int best = -1;

  json_object_set_int_member (comparison, "version", COMPARISON_VERSION);
  json_object_set_string_member (comparison, "title", self->title != NULL ? self->title : "");
  json_object_set_string_member (comparison, "prompt", self->last_prompt != NULL ? self->last_prompt : "");
  json_object_set_string_member (comparison, "system", system);
  if (gtk_check_button_get_active (self->temperature_check))
    json_object_set_double_member (settings, "temperature", gtk_spin_button_get_value (self->temperature_spin));
  else
    json_object_set_null_member (settings, "temperature");
  if (gtk_check_button_get_active (self->max_tokens_check))
    json_object_set_int_member (settings, "max_tokens", (gint64) gtk_spin_button_get_value (self->max_tokens_spin));
  else
    json_object_set_null_member (settings, "max_tokens");
  json_object_set_object_member (comparison, "settings", settings);
  for (guint i = 0; i < list->len; i++)
    {
      SyCompareColumn *column = g_ptr_array_index (list, i);

      if (sy_compare_column_get_best (column))
        best = (int) i;
      json_array_add_object_element (saved_columns, sy_compare_column_to_json (column));
    }
  json_object_set_array_member (comparison, "columns", saved_columns);
  json_object_set_int_member (comparison, "best", best);
  return comparison;
}

static void
comparison_saved (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  SyComparePage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  if (!sy_endpoint_save_comparison_finish (SY_ENDPOINT (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SY_COMPARE_PAGE (data);
  self->saving--;
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the comparison: %s"), error->message);
      show_toast (self, message);
      return;
    }
  /* Ratings need the comparison in history first. */
  list = columns (self);
  for (guint i = 0; i < list->len; i++)
    sy_compare_column_set_judging (g_ptr_array_index (list, i), TRUE);
}

static void
save_comparison (SyComparePage *self)
{
  g_autoptr(JsonObject) comparison = NULL;

  if (self->comparison_id == NULL || any_running (self))
    return;
  self->unsaved = FALSE;
  self->saving++;
  comparison = comparison_json (self);
  sy_endpoint_save_comparison_async (sy_services_get_endpoint (self->services), self->comparison_id,
                                     self->created_at_us, comparison, self->cancellable,
                                     comparison_saved, self);
}

/* ----------------------------------------------------------------- ratings */

static void run_rate_jobs (SyComparePage *self);

static void
rated (GObject      *source,
       GAsyncResult *result,
       gpointer      data)
{
  SyComparePage *self;
  g_autoptr(GError) error = NULL;

  if (!sy_endpoint_rate_finish (SY_ENDPOINT (source), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SY_COMPARE_PAGE (data);
  self->rating = FALSE;
  if (error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not save the rating: %s"), error->message);
      show_toast (self, message);
    }
  run_rate_jobs (self);
}

static void
run_rate_jobs (SyComparePage *self)
{
  RateJob *job;

  if (self->rating)
    return;
  job = g_queue_pop_head (&self->rate_jobs);
  if (job == NULL)
    {
      refresh_leaderboard (self);
      return;
    }
  self->rating = TRUE;
  sy_endpoint_rate_async (sy_services_get_endpoint (self->services), job->comparison_id, job->model,
                          job->score, self->cancellable, rated, self);
  rate_job_free (job);
}

static void
enqueue_rating (SyComparePage   *self,
                SyCompareColumn *column,
                int              score)
{
  RateJob *job;

  if (self->comparison_id == NULL || !sy_compare_column_get_succeeded (column))
    return;
  job = g_new0 (RateJob, 1);
  job->comparison_id = g_strdup (self->comparison_id);
  job->model = sy_compare_column_dup_rated_model (column);
  job->score = score;
  g_queue_push_tail (&self->rate_jobs, job);
  run_rate_jobs (self);
}

static GtkWidget *
leaderboard_row (guint           rank,
                 const SyRating *rating)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *rank_text = g_strdup_printf ("%u", rank);
  GtkWidget *rank_label = gtk_label_new (rank_text);
  GtkWidget *model_label = gtk_label_new (rating->model);
  g_autofree char *elo_text = g_strdup_printf ("%.0f", rating->elo);
  GtkWidget *elo_label = gtk_label_new (elo_text);
  /* Translators: a model's record in the leaderboard: wins, losses, ties, times rated */
  g_autofree char *record_text = g_strdup_printf (_("%u won · %u lost · %u tied · rated %u×"),
                                                  rating->wins, rating->losses, rating->ties, rating->judged);
  GtkWidget *record_label = gtk_label_new (record_text);
  /* Translators: the accessible name of a leaderboard row */
  g_autofree char *name = g_strdup_printf (_("%u. %s, score %.0f, %u won, %u lost, %u tied, rated %u times"),
                                           rank, rating->model, rating->elo, rating->wins, rating->losses,
                                           rating->ties, rating->judged);

  gtk_widget_add_css_class (rank_label, "dim-label");
  gtk_widget_add_css_class (rank_label, "numeric");
  gtk_label_set_xalign (GTK_LABEL (model_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (model_label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_xalign (GTK_LABEL (record_label), 0);
  gtk_widget_add_css_class (record_label, "caption");
  gtk_widget_add_css_class (record_label, "dim-label");
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_add_css_class (elo_label, "heading");
  gtk_widget_add_css_class (elo_label, "numeric");
  gtk_box_append (GTK_BOX (text), model_label);
  gtk_box_append (GTK_BOX (text), record_label);
  gtk_box_append (GTK_BOX (box), rank_label);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), elo_label);
  gtk_widget_set_margin_start (box, 10);
  gtk_widget_set_margin_end (box, 10);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_tooltip_text (row, name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_object_set_data_full (G_OBJECT (row), "sy-model", g_strdup (rating->model), g_free);
  return row;
}

static void
ratings_read (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  SyComparePage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(SyRatings) ratings = sy_endpoint_read_ratings_finish (SY_ENDPOINT (source), result, &error);
  g_autoptr(GPtrArray) board = NULL;
  GtkListBoxRow *row;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SY_COMPARE_PAGE (data);
  if (ratings == NULL)
    {
      g_warning ("Could not read the ratings: %s", error != NULL ? error->message : "?");
      return;
    }
  while ((row = gtk_list_box_get_row_at_index (self->leaderboard_list, 0)) != NULL)
    gtk_list_box_remove (self->leaderboard_list, GTK_WIDGET (row));
  board = sy_ratings_leaderboard (ratings);
  for (guint i = 0; i < board->len && i < LEADERBOARD_ROWS; i++)
    gtk_list_box_append (self->leaderboard_list, leaderboard_row (i + 1, g_ptr_array_index (board, i)));
}

static void
refresh_leaderboard (SyComparePage *self)
{
  sy_endpoint_read_ratings_async (sy_services_get_endpoint (self->services), self->cancellable,
                                  ratings_read, self);
}

/* ------------------------------------------------------------------ recent */

static void
load_comparison (SyComparePage *self,
                 const char    *id,
                 gint64         created_at_us,
                 JsonObject    *comparison)
{
  JsonArray *saved_columns = sy_json_get_array (comparison, "columns");
  JsonObject *settings = sy_json_get_object (comparison, "settings");
  JsonNode *temperature = sy_json_member (settings, "temperature");
  JsonNode *max_tokens = sy_json_member (settings, "max_tokens");
  g_autoptr(GPtrArray) list = NULL;

  remove_columns (self);
  forget_comparison (self);
  self->comparison_id = g_strdup (id);
  self->created_at_us = created_at_us;
  self->title = g_strdup (sy_json_get_string (comparison, "title"));
  self->last_prompt = g_strdup (sy_json_get_string (comparison, "prompt"));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->system_view),
                            sy_json_get_string (comparison, "system") ?: "", -1);
  gtk_check_button_set_active (self->temperature_check, sy_json_node_is_number (temperature));
  if (sy_json_node_is_number (temperature))
    gtk_spin_button_set_value (self->temperature_spin, json_node_get_double (temperature));
  gtk_check_button_set_active (self->max_tokens_check, sy_json_node_is_number (max_tokens));
  if (sy_json_node_is_number (max_tokens))
    gtk_spin_button_set_value (self->max_tokens_spin, (double) json_node_get_int (max_tokens));

  for (guint i = 0; saved_columns != NULL && i < json_array_get_length (saved_columns) &&
                    i < SY_COMPARE_MAX_COLUMNS; i++)
    {
      JsonObject *saved = sy_json_array_get_object (saved_columns, i);
      SyCompareColumn *column;

      if (saved == NULL || sy_json_get_string (saved, "model") == NULL)
        continue;
      column = add_column (self, sy_json_get_string (saved, "model"));
      sy_compare_column_load (column, saved);
      if (sy_compare_column_get_score (column) > 0)
        g_object_set_data (G_OBJECT (column), "sy-rated-by-user", GINT_TO_POINTER (TRUE));
    }
  list = columns (self);
  for (guint i = 0; i < list->len; i++)
    sy_compare_column_set_judging (g_ptr_array_index (list, i), TRUE);
  update_actions (self);
  queue_estimates (self);
}

static void
recent_activated (SyComparePage *self,
                  GtkListBoxRow *row)
{
  const char *id = g_object_get_data (G_OBJECT (row), "sy-id");
  JsonObject *comparison = g_object_get_data (G_OBJECT (row), "sy-comparison");
  gint64 *created = g_object_get_data (G_OBJECT (row), "sy-created");

  gtk_popover_popdown (self->recent_popover);
  if (any_running (self))
    {
      show_toast (self, _("Stop the run before opening another comparison"));
      return;
    }
  load_comparison (self, id, *created, comparison);
}

static GtkWidget *
recent_row (SyComparisonRow *saved,
            JsonObject      *comparison)
{
  GtkWidget *row = adw_action_row_new ();
  JsonArray *saved_columns = sy_json_get_array (comparison, "columns");
  g_autoptr(GStrvBuilder) models = g_strv_builder_new ();
  g_auto(GStrv) model_list = NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (saved->created_at_us / G_USEC_PER_SEC);
  g_autofree char *date = when != NULL ? g_date_time_format (when, "%x %X") : g_strdup ("");
  g_autofree char *joined = NULL;
  g_autofree char *subtitle = NULL;
  const char *title = sy_json_get_string (comparison, "title");
  gint64 *created = g_new (gint64, 1);

  for (guint i = 0; saved_columns != NULL && i < json_array_get_length (saved_columns); i++)
    {
      const char *model = sy_json_get_string (sy_json_array_get_object (saved_columns, i), "model");
      if (model != NULL)
        g_strv_builder_add (models, model);
    }
  model_list = g_strv_builder_end (models);
  joined = g_strjoinv (", ", model_list);
  /* Translators: when a comparison was made, and its models */
  subtitle = g_strdup_printf (_("%s · %s"), date, joined);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title != NULL && *title != '\0' ? title : _("Untitled"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  *created = saved->created_at_us;
  g_object_set_data_full (G_OBJECT (row), "sy-id", g_strdup (saved->id), g_free);
  g_object_set_data_full (G_OBJECT (row), "sy-created", created, g_free);
  g_object_set_data_full (G_OBJECT (row), "sy-comparison", json_object_ref (comparison),
                          (GDestroyNotify) json_object_unref);
  return row;
}

static void
comparisons_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  SyComparePage *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = sy_endpoint_read_comparisons_finish (SY_ENDPOINT (source), result, &error);
  GtkListBoxRow *row;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SY_COMPARE_PAGE (data);
  while ((row = gtk_list_box_get_row_at_index (self->recent_list, 0)) != NULL)
    gtk_list_box_remove (self->recent_list, GTK_WIDGET (row));
  if (rows == NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not read saved comparisons: %s"),
                                                  error != NULL ? error->message : "?");
      show_toast (self, message);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      SyComparisonRow *saved = g_ptr_array_index (rows, i);
      g_autoptr(JsonNode) node = saved->json != NULL ? sy_json_parse (saved->json, strlen (saved->json), NULL) : NULL;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      gtk_list_box_append (self->recent_list, recent_row (saved, json_node_get_object (node)));
    }
}

static void
recent_shown (SyComparePage *self)
{
  sy_endpoint_read_comparisons_async (sy_services_get_endpoint (self->services), RECENT_LIMIT,
                                      self->cancellable, comparisons_read, self);
}

/* ------------------------------------------------------------ route this way */

/* A prompt estimated over this many tokens (about four bytes each) makes the
 * rule ask for long prompts; words this long or longer may name the topic. */
#define RULE_LONG_PROMPT_TOKENS 2000
#define RULE_MIN_WORD_CHARS 5
#define RULE_WORDS 2

typedef struct {
  SyComparePage    *page;
  GStrv             models;
  AdwMessageDialog *dialog;        /* owns this */
  GtkWidget        *entry;
  GtkWidget        *error;
  GtkWidget        *rule_check;
  GtkWidget        *rule_box;
  GtkWidget        *words_entry;
  GtkWidget        *words_error;
  GtkWidget        *preview;
  /* what the comparison's prompt had */
  gboolean          images;
  gint64            tokens_over;   /* 0: no condition */
} RouteDialog;

static void
route_dialog_free (RouteDialog *route)
{
  g_object_unref (route->page);
  g_strfreev (route->models);
  g_free (route);
}

typedef struct {
  GWeakRef  page;
  char     *name;
  gboolean  rule;
} RouteSave;

static void
route_save_free (RouteSave *save)
{
  g_weak_ref_clear (&save->page);
  g_free (save->name);
  g_free (save);
}

static gboolean
provider_in_config (JsonObject *root,
                    const char *id)
{
  JsonArray *providers = sy_json_get_array (root, "providers");

  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    if (g_strcmp0 (sy_json_get_string (sy_json_array_get_object (providers, i), "id"), id) == 0)
      return TRUE;
  return FALSE;
}

static JsonObject *
find_profile (JsonObject *root,
              const char *name)
{
  JsonArray *profiles = sy_json_get_array (root, "profiles");

  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      JsonObject *profile = sy_json_array_get_object (profiles, i);

      if (g_strcmp0 (sy_json_get_string (profile, "name"), name) == 0)
        return profile;
    }
  return NULL;
}

/* NULL when @name may name the profile. */
static char *
check_profile_name (SyComparePage *self,
                    const char    *name)
{
  SyConfig *config = sy_services_get_config (self->services);
  JsonObject *root = sy_config_get_root (config);

  if (*name == '\0')
    return g_strdup (_("Enter a name"));
  if (strchr (name, '/') != NULL)
    return g_strdup (_("A name cannot contain “/”: it separates a provider from its model"));
  if (provider_in_config (root, name) || sy_catalog_get_preset (sy_services_get_catalog (self->services), name) != NULL)
    return g_strdup_printf (_("“%s” is a provider; choose another name"), name);
  if (sy_json_get_string (sy_json_get_object (root, "aliases"), name) != NULL)
    return g_strdup_printf (_("“%s” is already an alias; choose another name"), name);
  return NULL;
}

/* The rule this dialog keeps for profile @name: the first one sending to it on
 * no other conditions than the ones written here. A rule on a header or a
 * client is the user's own and stays as it is. -1 when there is none. */
static int
find_rule (JsonObject *root,
           const char *name)
{
  static const char * const ours[] = { "images", "prompt_tokens_over", "prompt_matches", NULL };
  JsonArray *rules = sy_json_get_array (root, "rules");

  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    {
      JsonObject *rule = sy_json_array_get_object (rules, i);
      JsonObject *when = sy_json_get_object (rule, "when");
      g_autoptr(GList) members = NULL;
      gboolean mine = when != NULL;

      if (!mine || g_strcmp0 (sy_json_get_string (rule, "profile"), name) != 0)
        continue;
      members = json_object_get_members (when);
      for (GList *l = members; mine && l != NULL; l = l->next)
        mine = g_strv_contains (ours, l->data);
      if (mine)
        return (int) i;
    }
  return -1;
}

/* New rules go first: the first match wins, and this one was asked for last. */
static void
put_rule (JsonObject *root,
          const char *name,
          JsonObject *when)
{
  JsonArray *rules = sy_json_get_array (root, "rules");
  int index = find_rule (root, name);
  JsonArray *reordered;
  JsonObject *rule;

  if (index >= 0)
    {
      json_object_set_object_member (sy_json_array_get_object (rules, (guint) index), "when", when);
      return;
    }
  rule = json_object_new ();
  json_object_set_object_member (rule, "when", when);
  json_object_set_string_member (rule, "profile", name);
  reordered = json_array_new ();
  json_array_add_object_element (reordered, rule);
  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    json_array_add_element (reordered, json_node_copy (json_array_get_element (rules, i)));
  json_object_set_array_member (root, "rules", reordered);
}

static int
compare_length (gconstpointer a,
                gconstpointer b)
{
  glong length_a = g_utf8_strlen (*(const char * const *) a, -1);
  glong length_b = g_utf8_strlen (*(const char * const *) b, -1);

  return length_a < length_b ? 1 : length_a > length_b ? -1 : 0;
}

/* The longest words of @prompt, lowercase, as a regular expression: long words
 * are rarely filler in any language, and two of them keep the rule to prompts
 * on the same subject. Empty when no word is long enough. */
static char *
distinctive_words (const char *prompt)
{
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) pattern = NULL;
  const char *p = prompt;

  while (*p != '\0')
    {
      const char *start = p;
      glong length = 0;

      while (*p != '\0' && g_unichar_isalpha (g_utf8_get_char (p)))
        {
          p = g_utf8_next_char (p);
          length++;
        }
      if (p == start)
        p = g_utf8_next_char (p);
      else if (length >= RULE_MIN_WORD_CHARS)
        {
          char *word = g_utf8_strdown (start, p - start);

          if (g_ptr_array_find_with_equal_func (words, word, g_str_equal, NULL))
            g_free (word);
          else
            g_ptr_array_add (words, word);
        }
    }
  if (words->len == 0)
    return g_strdup ("");

  /* A stable sort: of equally long words, the first said wins. */
  g_ptr_array_sort (words, compare_length);
  pattern = g_string_new ("(?i)\\b(");
  for (guint i = 0; i < words->len && i < RULE_WORDS; i++)
    {
      g_autofree char *escaped = g_regex_escape_string (g_ptr_array_index (words, i), -1);

      g_string_append_printf (pattern, "%s%s", i > 0 ? "|" : "", escaped);
    }
  g_string_append (pattern, ")\\b");
  return g_string_free (g_steal_pointer (&pattern), FALSE);
}

/* The question the comparison asked last, as it was sent: the first column's
 * that has one, the winner's if it can. */
static JsonObject *
last_question (GPtrArray *list)
{
  for (guint c = 0; c < list->len; c++)
    {
      JsonArray *messages = sy_compare_column_get_messages (g_ptr_array_index (list, c));

      for (guint i = json_array_get_length (messages); i > 0; i--)
        {
          JsonObject *message = sy_json_array_get_object (messages, i - 1);

          if (g_strcmp0 (sy_json_get_string (message, "role"), "user") == 0)
            return message;
        }
    }
  return NULL;
}

/* What a rule for prompts like the last one asks: images when it had some, a
 * long prompt when it was long, and its words in the entry. */
static void
learn_prompt (RouteDialog *route,
              GPtrArray   *list)
{
  JsonObject *question = last_question (list);
  JsonNode *content = sy_json_member (question, "content");
  const char *typed = route->page->last_prompt;
  g_autofree char *words = NULL;
  gsize bytes = typed != NULL ? strlen (typed) : 0;
  gint64 tokens;

  if (sy_json_node_is_string (content))
    {
      typed = json_node_get_string (content);
      bytes = strlen (typed);
    }
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      /* The typed prompt is the first part; text files follow it inlined. */
      typed = NULL;
      bytes = 0;
      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonObject *part = sy_json_array_get_object (parts, i);
          const char *text = sy_json_get_string (part, "text");

          if (g_strcmp0 (sy_json_get_string (part, "type"), "image_url") == 0)
            route->images = TRUE;
          else if (text != NULL)
            {
              if (typed == NULL)
                typed = text;
              bytes += strlen (text);
            }
        }
    }

  /* Half its size, in round hundreds: prompts about as long or longer. */
  tokens = (gint64) (bytes / 4);
  if (tokens > RULE_LONG_PROMPT_TOKENS)
    route->tokens_over = (tokens / 2 + 50) / 100 * 100;
  words = distinctive_words (typed != NULL ? typed : "");
  gtk_editable_set_text (GTK_EDITABLE (route->words_entry), words);
}

/* The conditions of the rule as the dialog stands; NULL with @error when there
 * can be no rule. */
static JsonObject *
rule_when (RouteDialog  *route,
           char        **error)
{
  const char *pattern = gtk_editable_get_text (GTK_EDITABLE (route->words_entry));
  g_autoptr(JsonObject) when = json_object_new ();

  if (*pattern != '\0')
    {
      g_autoptr(GError) regex_error = NULL;
      /* Compiled as the planner compiles it. */
      g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &regex_error);

      if (regex == NULL)
        {
          *error = g_strdup (regex_error->message);
          return NULL;
        }
    }
  if (route->images)
    json_object_set_boolean_member (when, "images", TRUE);
  if (route->tokens_over > 0)
    json_object_set_int_member (when, "prompt_tokens_over", route->tokens_over);
  if (*pattern != '\0')
    json_object_set_string_member (when, "prompt_matches", pattern);
  if (json_object_get_size (when) == 0)
    {
      *error = g_strdup (_("Enter words to match: a rule without conditions would take every request"));
      return NULL;
    }
  return g_steal_pointer (&when);
}

static char *
rule_preview (JsonObject *when,
              const char *name,
              guint       position)
{
  g_autoptr(GPtrArray) conditions = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *joined = NULL;

  if (sy_json_get_bool (when, "images", FALSE))
    /* Translators: a condition of a routing rule */
    g_ptr_array_add (conditions, g_strdup (_("with images")));
  if (sy_json_member (when, "prompt_tokens_over") != NULL)
    /* Translators: a condition of a routing rule, about the prompt's length */
    g_ptr_array_add (conditions, g_strdup_printf (_("over %" PRId64 " tokens"),
                                                  sy_json_get_int (when, "prompt_tokens_over", 0)));
  if (sy_json_get_string (when, "prompt_matches") != NULL)
    /* Translators: a condition of a routing rule; %s is a regular expression */
    g_ptr_array_add (conditions, g_strdup_printf (_("matching %s"), sy_json_get_string (when, "prompt_matches")));
  g_ptr_array_add (conditions, NULL);
  joined = g_strjoinv (", ", (char **) conditions->pdata);
  /* Translators: a one-line preview of a routing rule: its place among the rules
   * (the first that matches wins), its conditions ("with images, over 1000
   * tokens, matching …") and a profile's name */
  return g_strdup_printf (_("Rule %u: requests %s go to “%s”"), position, joined, name);
}

static void
show_field_error (GtkWidget  *field,
                  GtkWidget  *label,
                  const char *error)
{
  gtk_label_set_text (GTK_LABEL (label), error != NULL ? error : "");
  gtk_widget_set_visible (label, error != NULL);
  if (error != NULL)
    gtk_widget_add_css_class (field, "error");
  else
    gtk_widget_remove_css_class (field, "error");
}

static void
route_update (RouteDialog *route)
{
  SyComparePage *self = route->page;
  JsonObject *root = sy_config_get_root (sy_services_get_config (self->services));
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (route->entry))));
  g_autofree char *error = check_profile_name (self, name);
  g_autofree char *rule_error = NULL;
  g_autoptr(JsonObject) when = NULL;
  gboolean rule = gtk_check_button_get_active (GTK_CHECK_BUTTON (route->rule_check));

  show_field_error (route->entry, route->error, *name != '\0' ? error : NULL);
  if (rule)
    when = rule_when (route, &rule_error);
  show_field_error (route->words_entry, route->words_error, rule_error);
  gtk_widget_set_visible (route->rule_box, rule);
  gtk_widget_set_visible (route->preview, when != NULL);
  if (when != NULL)
    {
      int index = find_rule (root, name);
      g_autofree char *preview = rule_preview (when, name, index >= 0 ? (guint) index + 1 : 1);

      gtk_label_set_text (GTK_LABEL (route->preview), preview);
      gtk_widget_set_tooltip_text (route->preview, preview);
    }
  adw_message_dialog_set_response_enabled (route->dialog, "save", error == NULL && (!rule || when != NULL));
  adw_message_dialog_set_response_label (route->dialog, "save",
                                         find_profile (root, name) != NULL ? _("_Update Profile")
                                                                           : _("_Create Profile"));
}

static void
route_saved (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  RouteSave *save = data;
  g_autoptr(SyComparePage) self = g_weak_ref_get (&save->page);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  sy_services_update_config_finish (SY_SERVICES (source), result, &error);
  if (error != NULL)
    message = g_strdup_printf (_("Could not save the profile: %s"), error->message);
  else if (save->rule)
    /* Translators: %s is a profile's name */
    message = g_strdup_printf (_("Profile “%s” and its rule saved: prompts like this one go to it"), save->name);
  else
    /* Translators: %s is a profile's name */
    message = g_strdup_printf (_("Profile “%s” saved: tools that ask for it get this order"), save->name);
  /* The edit is written even when the page went away meanwhile. */
  if (self != NULL)
    show_toast (self, message);
  else if (error != NULL)
    g_warning ("%s", message);
  route_save_free (save);
}

static void
route_response (AdwMessageDialog *dialog,
                const char       *response,
                RouteDialog      *route)
{
  SyComparePage *self = route->page;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (route->entry))));
  g_autofree char *error = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(JsonObject) when = NULL;
  JsonObject *profile;
  JsonArray *profiles;
  JsonArray *models;
  RouteSave *save;
  gboolean rule = gtk_check_button_get_active (GTK_CHECK_BUTTON (route->rule_check));

  if (!g_str_equal (response, "save"))
    return;
  error = check_profile_name (self, name);
  if (error != NULL)
    return;
  if (rule && (when = rule_when (route, &error)) == NULL)
    return;

  root = sy_services_dup_config_root (self->services);
  profiles = sy_json_get_array (root, "profiles");
  if (profiles == NULL)
    {
      json_object_set_array_member (root, "profiles", json_array_new ());
      profiles = sy_json_get_array (root, "profiles");
    }
  profile = find_profile (root, name);
  if (profile == NULL)
    {
      profile = json_object_new ();
      json_object_set_string_member (profile, "name", name);
      json_array_add_object_element (profiles, profile);
    }
  /* The winner first, the others as fallbacks in the order of the columns. */
  json_object_set_string_member (profile, "strategy", "fallback");
  models = json_array_new ();
  for (guint i = 0; route->models[i] != NULL; i++)
    json_array_add_string_element (models, route->models[i]);
  json_object_set_array_member (profile, "models", models);
  if (when != NULL)
    put_rule (root, name, g_steal_pointer (&when));
  save = g_new0 (RouteSave, 1);
  g_weak_ref_init (&save->page, self);
  save->name = g_steal_pointer (&name);
  save->rule = rule;
  sy_services_update_config_async (self->services, root, NULL, route_saved, save);
}

/* "compare-gpt-4.1-mini" for openai/gpt-4.1-mini. */
static char *
default_profile_name (const char *model)
{
  const char *slash = strchr (model, '/');
  g_autofree char *short_name = g_strdup (slash != NULL ? slash + 1 : model);

  g_strdelimit (short_name, "/ ", '-');
  return g_strconcat ("compare-", short_name, NULL);
}

static GtkWidget *
error_label (GtkWidget *field)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_set_visible (label, FALSE);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (field), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, label, NULL, -1);
  return label;
}

/* A row of the "when it applies" choice: the row toggles its check button,
 * and the check button is named after the row. */
static GtkWidget *
choice_row (const char *title,
            const char *subtitle,
            GtkWidget  *check)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  return row;
}

static void
route_this_way (SyComparePage   *self,
                SyCompareColumn *winner)
{
  g_autoptr(GPtrArray) list = columns (self);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) order_text = g_string_new (NULL);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  RouteDialog *route;
  GtkWidget *dialog;
  GtkWidget *box;
  GtkWidget *rows;
  GtkWidget *choices;
  GtkWidget *words_rows;
  GtkWidget *heading;
  GtkWidget *tool_check;
  GtkWidget *order;
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;

  /* Profiles are made of provider/model entries: a profile's column counts
   * with the model that answered for it. */
  g_ptr_array_remove (list, winner);
  g_ptr_array_insert (list, 0, winner);
  for (guint i = 0; i < list->len; i++)
    {
      char *model = sy_compare_column_dup_rated_model (g_ptr_array_index (list, i));

      if (strchr (model, '/') == NULL || g_ptr_array_find_with_equal_func (seen, model, g_str_equal, NULL))
        {
          g_free (model);
          continue;
        }
      g_strv_builder_add (builder, model);
      g_string_append_printf (order_text, "%s%u. %s", seen->len > 0 ? "\n" : "", seen->len + 1, model);
      g_ptr_array_add (seen, model);
    }
  if (seen->len == 0)
    {
      show_toast (self, _("Run a comparison first: a profile lists provider/model entries"));
      return;
    }

  route = g_new0 (RouteDialog, 1);
  route->page = g_object_ref (self);
  route->models = g_strv_builder_end (builder);
  name = default_profile_name (route->models[0]);
  /* Translators: %s is the winning model */
  body = g_strdup_printf (_("Requests for this profile go to %s first and, when it fails, to the next "
                            "model in this order."), route->models[0]);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Route This Way"), body);
  route->dialog = ADW_MESSAGE_DIALOG (dialog);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", _("_Create Profile"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  rows = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (rows), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (rows, "boxed-list");
  route->entry = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (route->entry), _("Profile Name"));
  adw_entry_row_set_activates_default (ADW_ENTRY_ROW (route->entry), TRUE);
  gtk_list_box_append (GTK_LIST_BOX (rows), route->entry);
  route->error = error_label (route->entry);
  order = gtk_label_new (order_text->str);
  gtk_label_set_xalign (GTK_LABEL (order), 0);
  gtk_label_set_wrap (GTK_LABEL (order), TRUE);
  gtk_label_set_selectable (GTK_LABEL (order), TRUE);
  gtk_widget_add_css_class (order, "numeric");
  gtk_accessible_update_property (GTK_ACCESSIBLE (order), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Model order"), -1);
  gtk_box_append (GTK_BOX (box), rows);
  gtk_box_append (GTK_BOX (box), route->error);
  gtk_box_append (GTK_BOX (box), order);

  heading = gtk_label_new (_("When It Applies"));
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_set_margin_top (heading, 12);
  gtk_widget_add_css_class (heading, "heading");
  choices = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (choices), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (choices, "boxed-list");
  gtk_accessible_update_relation (GTK_ACCESSIBLE (choices), GTK_ACCESSIBLE_RELATION_LABELLED_BY, heading, NULL, -1);
  tool_check = gtk_check_button_new ();
  gtk_check_button_set_active (GTK_CHECK_BUTTON (tool_check), TRUE);
  route->rule_check = gtk_check_button_new ();
  gtk_check_button_set_group (GTK_CHECK_BUTTON (route->rule_check), GTK_CHECK_BUTTON (tool_check));
  gtk_list_box_append (GTK_LIST_BOX (choices),
                       choice_row (_("When a Tool Asks for It"),
                                   _("Tools send the profile’s name as the model"), tool_check));
  gtk_list_box_append (GTK_LIST_BOX (choices),
                       choice_row (_("For Prompts Like This One"),
                                   _("A rule sends matching requests to the profile, whatever model they name"),
                                   route->rule_check));
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), choices);

  route->rule_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_top (route->rule_box, 6);
  words_rows = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (words_rows), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (words_rows, "boxed-list");
  route->words_entry = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (route->words_entry), _("Words to Match"));
  adw_entry_row_set_activates_default (ADW_ENTRY_ROW (route->words_entry), TRUE);
  gtk_widget_set_tooltip_text (route->words_entry,
                               _("A regular expression, looked for in the text of every request"));
  gtk_list_box_append (GTK_LIST_BOX (words_rows), route->words_entry);
  route->words_error = error_label (route->words_entry);
  route->preview = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (route->preview), 0);
  gtk_label_set_single_line_mode (GTK_LABEL (route->preview), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (route->preview), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (route->preview, "dim-label");
  gtk_widget_add_css_class (route->preview, "caption");
  gtk_box_append (GTK_BOX (route->rule_box), words_rows);
  gtk_box_append (GTK_BOX (route->rule_box), route->words_error);
  gtk_box_append (GTK_BOX (route->rule_box), route->preview);
  gtk_box_append (GTK_BOX (box), route->rule_box);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);

  learn_prompt (route, list);
  gtk_editable_set_text (GTK_EDITABLE (route->entry), name);
  route_update (route);
  g_signal_connect_swapped (route->entry, "changed", G_CALLBACK (route_update), route);
  g_signal_connect_swapped (route->words_entry, "changed", G_CALLBACK (route_update), route);
  g_signal_connect_swapped (route->rule_check, "notify::active", G_CALLBACK (route_update), route);
  g_signal_connect_data (dialog, "response", G_CALLBACK (route_response), route,
                         (GClosureNotify) route_dialog_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (route->entry);
}

/* ----------------------------------------------------------------- the page */

static void
model_chosen (SyComparePage *self,
              const char    *model)
{
  if (sy_compare_page_get_n_columns (self) >= SY_COMPARE_MAX_COLUMNS)
    return;
  add_column (self, model);
}

static void
prompt_changed (SyComparePage *self)
{
  update_actions (self);
  queue_estimates (self);
}

static void
style_changed (SyComparePage *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkSourceStyleScheme *scheme =
    gtk_source_style_scheme_manager_get_scheme (gtk_source_style_scheme_manager_get_default (),
                                                adw_style_manager_get_dark (manager) ? "Adwaita-dark" : "Adwaita");

  gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view))),
                                      scheme);
}

static void
sy_compare_page_dispose (GObject *object)
{
  SyComparePage *self = SY_COMPARE_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_clear_handle_id (&self->estimate_id, g_source_remove);
  if (self->columns_box != NULL)
    remove_columns (self);
  /* AdwBin unparents its child in its own dispose: gone first, the template's
   * references are the last. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_COMPARE_PAGE);
  g_queue_clear_full (&self->rate_jobs, (GDestroyNotify) rate_job_free);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_compare_page_parent_class)->dispose (object);
}

static void
sy_compare_page_finalize (GObject *object)
{
  SyComparePage *self = SY_COMPARE_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->attachments, g_ptr_array_unref);
  g_free (self->comparison_id);
  g_free (self->title);
  g_free (self->last_prompt);

  G_OBJECT_CLASS (sy_compare_page_parent_class)->finalize (object);
}

static void
sy_compare_page_class_init (SyComparePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_compare_page_dispose;
  object_class->finalize = sy_compare_page_finalize;

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  g_type_ensure (SY_TYPE_COMPARE_COLUMN);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-compare-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, add_button);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, recent_button);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, recent_popover);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, recent_list);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, leaderboard_list);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, columns_stack);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, columns_box);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, system_view);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, attachments_box);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, run_stack);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, temperature_check);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, max_tokens_check);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, SyComparePage, total_label);

  gtk_widget_class_install_action (widget_class, "compare.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "compare.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "compare.attach", NULL, attach_action);
  gtk_widget_class_install_action (widget_class, "compare.new", NULL, new_action);
}

static void
add_shortcuts (SyComparePage *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  static const struct {
    guint       key;
    const char *action;
  } keys[] = {
    { GDK_KEY_Return, "compare.run" },
    { GDK_KEY_KP_Enter, "compare.run" },
    { GDK_KEY_ISO_Enter, "compare.run" },
  };

  /* In the capture phase: the prompt's text view would take Ctrl+Enter as a
   * newline before a binding of the page saw it. */
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, GDK_CONTROL_MASK),
                                                            gtk_named_action_new (keys[i].action)));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                                                          gtk_named_action_new ("compare.stop")));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

static void
sy_compare_page_init (SyComparePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->attachments = g_ptr_array_new_with_free_func ((GDestroyNotify) attachment_free);
  g_queue_init (&self->rate_jobs);
  add_shortcuts (self);
}

GtkWidget *
sy_compare_page_new (SyServices *services)
{
  SyComparePage *self;
  GtkWidget *picker;
  GtkTextBuffer *prompt_buffer;
  g_auto(GStrv) models = NULL;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_COMPARE_PAGE, NULL);
  self->services = g_object_ref (services);

  picker = sy_model_picker_new (services);
  g_signal_connect_object (picker, "chosen", G_CALLBACK (model_chosen), self, G_CONNECT_SWAPPED);
  gtk_menu_button_set_popover (self->add_button, picker);
  g_signal_connect_object (self->recent_popover, "show", G_CALLBACK (recent_shown), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->recent_list, "row-activated", G_CALLBACK (recent_activated), self,
                           G_CONNECT_SWAPPED);

  prompt_buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view));
  g_signal_connect_object (prompt_buffer, "changed", G_CALLBACK (prompt_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_text_view_get_buffer (self->system_view), "changed",
                           G_CALLBACK (queue_estimates), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->max_tokens_check, "notify::active", G_CALLBACK (queue_estimates), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->max_tokens_spin, "value-changed", G_CALLBACK (queue_estimates), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (services, "notify::config", G_CALLBACK (queue_estimates), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (style_changed),
                           self, G_CONNECT_SWAPPED);
  style_changed (self);

  models = initial_models (self);
  sy_compare_page_set_models (self, (const char * const *) models);
  refresh_leaderboard (self);
  update_actions (self);
  return GTK_WIDGET (self);
}
