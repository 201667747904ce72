/* sy-compare-column.c — one model's side of a comparison: its conversation, live figures, rating.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <inttypes.h>
#include <glib/gi18n.h>

#include "sy-compare-column.h"
#include "sy-json.h"
#include "sy-markdown-view.h"
#include "sy-model-picker.h"

/* Markdown is parsed again at most this often while an answer streams: four
 * columns at 200 tokens/s would otherwise lay text out 800 times a second. */
#define RENDER_INTERVAL_MS 50
#define CLOCK_INTERVAL_MS 100
#define N_STARS 5

typedef struct {
  GtkWidget      *box;
  GtkLabel       *prompt;
  GtkExpander    *reasoning_expander;
  GtkLabel       *reasoning;
  SyMarkdownView *answer;
} Turn;

struct _SyCompareColumn
{
  AdwBin           parent_instance;

  /* template widgets */
  GtkMenuButton   *model_button;
  GtkLabel        *title_label;
  GtkLabel        *subtitle_label;
  GtkLabel        *estimate_label;
  GtkLabel        *figures_label;
  GtkLabel        *error_label;
  GtkScrolledWindow *scrolled;
  GtkBox          *transcript;
  GtkWidget       *judge_bar;
  GtkToggleButton *best_button;
  GtkBox          *stars;

  /* owned references */
  SyServices      *services;
  JsonArray       *messages;       /* the conversation: finished turns only */
  JsonObject      *pending_user;   /* the last turn's user message */
  GCancellable    *cancellable;
  SyHistoryRecord *record;
  GPtrArray       *request_ids;
  GString         *answer;
  GString         *reasoning;
  GtkWidget       *star_buttons[N_STARS];

  /* state */
  char            *model;
  char            *error;
  char            *figures;
  Turn             turn;           /* the last turn's widgets; box NULL when none */
  guint            serial;         /* which run the sink's calls belong to */
  gboolean         running;
  gboolean         last_done;      /* the last turn is in the conversation */
  gint64           started_us;
  gint64           first_us;
  gint64           rendered_us;
  gint64           prompt_estimate;
  guint            render_id;
  guint            clock_id;
  int              score;
  gboolean         best;
  gboolean         judging;
  gboolean         stick_to_bottom;
  gboolean         updating;
};

G_DEFINE_FINAL_TYPE (SyCompareColumn, sy_compare_column, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_RUNNING,
  PROP_ANSWER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  RERUN_REQUESTED,
  ROUTE_REQUESTED,
  REMOVE_REQUESTED,
  RATED,
  PICKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_figures (SyCompareColumn *self);
static void update_judging (SyCompareColumn *self);

/* ----------------------------------------------------------------- figures */

static char *
format_ms (double ms)
{
  if (ms < 1000)
    /* Translators: a duration in milliseconds */
    return g_strdup_printf (_("%.0f ms"), ms);
  /* Translators: a duration in seconds */
  return g_strdup_printf (_("%.1f s"), ms / 1000);
}

static char *
format_cost (double cost)
{
  if (cost == 0)
    return g_strdup ("$0");
  if (cost < 0.01)
    return g_strdup_printf ("$%.6f", cost);
  return g_strdup_printf ("$%.4f", cost);
}

static gboolean
price_for (SyCompareColumn *self,
           const char      *model,
           SyPrice         *price)
{
  const char *slash = model != NULL ? strchr (model, '/') : NULL;
  g_autofree char *provider = NULL;

  if (slash == NULL)
    return FALSE;
  provider = g_strndup (model, (gsize) (slash - model));
  return sy_config_get_price (sy_services_get_config (self->services), provider, slash + 1, price) &&
         sy_price_is_known (price);
}

/* Live: figures measured here from the deltas (tokens ≈ bytes / 4); once the
 * run finished, the record's. */
static char *
figures_text (SyCompareColumn *self)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  const SyHistoryRecord *r = self->record;
  gint64 now = g_get_monotonic_time ();

  if (self->running)
    {
      double elapsed = (now - self->started_us) / 1000.0;
      gint64 out = (gint64) ((self->answer->len + self->reasoning->len + 3) / 4);
      g_autofree char *elapsed_text = format_ms (elapsed);
      SyPrice price;

      if (self->first_us == 0)
        /* Translators: %s is the time waited so far */
        return g_strdup_printf (_("Waiting for the first token… %s"), elapsed_text);
      {
        g_autofree char *ttft = format_ms ((self->first_us - self->started_us) / 1000.0);
        double streaming_s = (now - self->first_us) / (double) G_USEC_PER_SEC;

        g_ptr_array_add (parts, g_strdup_printf (_("First token %s"), ttft));
        if (streaming_s > 0.2)
          /* Translators: an estimated speed while the answer streams */
          g_ptr_array_add (parts, g_strdup_printf (_("≈%.0f tokens/s"), out / streaming_s));
      }
      /* Translators: estimated tokens in → tokens out, while the answer streams */
      g_ptr_array_add (parts, g_strdup_printf (ngettext ("≈%" PRId64 " → ≈%" PRId64 " token",
                                                         "≈%" PRId64 " → ≈%" PRId64 " tokens",
                                                         (gulong) out),
                                               self->prompt_estimate, out));
      if (price_for (self, self->model, &price))
        {
          SyUsage usage = { self->prompt_estimate, out, 0, 0, 0 };
          SyCost cost;

          if (sy_cost_compute (&price, &usage, &cost))
            {
              g_autofree char *text = format_cost (cost.total);
              g_ptr_array_add (parts, g_strdup_printf ("≈%s", text));
            }
        }
      g_ptr_array_add (parts, g_steal_pointer (&elapsed_text));
    }
  else if (r != NULL)
    {
      if (r->ttft_ms >= 0)
        {
          g_autofree char *ttft = format_ms (r->ttft_ms);
          g_ptr_array_add (parts, g_strdup_printf (_("First token %s"), ttft));
        }
      if (r->tokens_per_s >= 0)
        g_ptr_array_add (parts, g_strdup_printf (_("%.0f tokens/s"), r->tokens_per_s));
      if (r->prompt_tokens >= 0 || r->completion_tokens >= 0)
        /* Translators: tokens in → tokens out */
        g_ptr_array_add (parts, g_strdup_printf (ngettext ("%" PRId64 " → %" PRId64 " token",
                                                           "%" PRId64 " → %" PRId64 " tokens",
                                                           (gulong) MAX (r->completion_tokens, 0)),
                                                 MAX (r->prompt_tokens, 0), MAX (r->completion_tokens, 0)));
      if (r->cost_known)
        g_ptr_array_add (parts, format_cost (r->cost));
      else
        g_ptr_array_add (parts, g_strdup (_("cost unknown")));
      if (r->total_ms >= 0)
        g_ptr_array_add (parts, format_ms (r->total_ms));
    }
  if (parts->len == 0)
    return NULL;
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
update_figures (SyCompareColumn *self)
{
  g_free (self->figures);
  self->figures = figures_text (self);
  gtk_label_set_text (self->figures_label, self->figures != NULL ? self->figures : "");
  gtk_widget_set_visible (GTK_WIDGET (self->figures_label), self->figures != NULL);
}

static void
update_title (SyCompareColumn *self)
{
  g_autofree char *title = sy_model_picker_describe (self->services, self->model);
  g_autofree char *subtitle = NULL;
  g_autofree char *button_name = NULL;
  const SyHistoryRecord *r = self->record;

  if (r != NULL && r->provider != NULL && r->model != NULL && strchr (self->model, '/') == NULL)
    /* Translators: a profile's name and the model that answered for it */
    subtitle = g_strdup_printf (_("%s, answered by %s/%s"), self->model, r->provider, r->model);
  else if (strchr (self->model, '/') == NULL)
    /* Translators: said of a model name that is a routing profile */
    subtitle = g_strdup_printf (_("%s, a profile"), self->model);
  else
    subtitle = g_strdup (self->model);
  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->subtitle_label, subtitle);
  /* Translators: the accessible name of a column's model button */
  button_name = g_strdup_printf (_("Model: %s. Change Model"), title);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->model_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  button_name, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
}

static void
show_error (SyCompareColumn *self)
{
  gtk_label_set_text (self->error_label, self->error != NULL ? self->error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), self->error != NULL);
}

/* ----------------------------------------------------------------- turns */

static char *
shown_prompt (JsonObject *message)
{
  JsonNode *content = sy_json_member (message, "content");
  JsonArray *parts;
  const char *first = NULL;
  guint attachments = 0;

  if (sy_json_node_is_string (content))
    return g_strdup (json_node_get_string (content));
  if (content == NULL || !JSON_NODE_HOLDS_ARRAY (content))
    return g_strdup ("");
  parts = json_node_get_array (content);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      JsonObject *part = sy_json_array_get_object (parts, i);

      if (first == NULL && g_strcmp0 (sy_json_get_string (part, "type"), "text") == 0)
        first = sy_json_get_string (part, "text");
      else
        attachments++;
    }
  if (attachments == 0)
    return g_strdup (first != NULL ? first : "");
  /* Translators: a prompt as the transcript shows it, with how many files came with it */
  return g_strdup_printf (ngettext ("%s\n+ %u attachment", "%s\n+ %u attachments", attachments),
                          first != NULL ? first : "", attachments);
}

static void
add_turn (SyCompareColumn *self,
          const char      *prompt)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  GtkWidget *label = gtk_label_new (prompt);
  GtkWidget *reasoning = gtk_label_new (NULL);
  GtkWidget *expander = gtk_expander_new_with_mnemonic (_("_Reasoning"));
  GtkWidget *answer = sy_markdown_view_new ();

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "compare-prompt");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Your prompt"), -1);

  gtk_label_set_wrap (GTK_LABEL (reasoning), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (reasoning), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (reasoning), 0);
  gtk_label_set_selectable (GTK_LABEL (reasoning), TRUE);
  gtk_widget_add_css_class (reasoning, "dim-label");
  gtk_expander_set_child (GTK_EXPANDER (expander), reasoning);
  gtk_widget_set_visible (expander, FALSE);

  gtk_accessible_update_property (GTK_ACCESSIBLE (answer), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Answer"), -1);

  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), expander);
  gtk_box_append (GTK_BOX (box), answer);
  gtk_box_append (self->transcript, box);

  self->turn.box = box;
  self->turn.prompt = GTK_LABEL (label);
  self->turn.reasoning_expander = GTK_EXPANDER (expander);
  self->turn.reasoning = GTK_LABEL (reasoning);
  self->turn.answer = SY_MARKDOWN_VIEW (answer);
  self->stick_to_bottom = TRUE;
}

static void
render_now (SyCompareColumn *self)
{
  g_clear_handle_id (&self->render_id, g_source_remove);
  self->rendered_us = g_get_monotonic_time ();
  if (self->turn.box == NULL)
    return;
  sy_markdown_view_set_text (self->turn.answer, self->answer->str);
  if (self->reasoning->len > 0)
    {
      gtk_label_set_text (self->turn.reasoning, self->reasoning->str);
      gtk_widget_set_visible (GTK_WIDGET (self->turn.reasoning_expander), TRUE);
    }
  update_figures (self);
}

static gboolean
render_cb (gpointer data)
{
  SyCompareColumn *self = data;

  self->render_id = 0;
  render_now (self);
  return G_SOURCE_REMOVE;
}

static void
queue_render (SyCompareColumn *self)
{
  gint64 since_ms = (g_get_monotonic_time () - self->rendered_us) / 1000;

  if (self->render_id != 0)
    return;
  if (since_ms >= RENDER_INTERVAL_MS)
    render_now (self);
  else
    self->render_id = g_timeout_add ((guint) (RENDER_INTERVAL_MS - since_ms), render_cb, self);
}

static gboolean
clock_cb (gpointer data)
{
  update_figures (data);
  return G_SOURCE_CONTINUE;
}

/* ----------------------------------------------------------------- running */

typedef struct {
  GWeakRef column;
  guint    serial;
} RunData;

static void
run_data_free (gpointer data)
{
  RunData *run = data;

  g_weak_ref_clear (&run->column);
  g_free (run);
}

static SyCompareColumn *
run_column (RunData *run)
{
  SyCompareColumn *self = g_weak_ref_get (&run->column);

  if (self != NULL && self->serial != run->serial)
    g_clear_object (&self);
  return self;
}

static void
run_delta (const char *content,
           const char *reasoning,
           gpointer    data)
{
  g_autoptr(SyCompareColumn) self = run_column (data);

  if (self == NULL || !self->running)
    return;
  if (self->first_us == 0 && ((content != NULL && *content != '\0') || (reasoning != NULL && *reasoning != '\0')))
    self->first_us = g_get_monotonic_time ();
  if (content != NULL)
    g_string_append (self->answer, content);
  if (reasoning != NULL)
    g_string_append (self->reasoning, reasoning);
  queue_render (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANSWER]);
}

static void
set_running (SyCompareColumn *self,
             gboolean         running)
{
  if (self->running == running)
    return;
  self->running = running;
  if (running)
    self->clock_id = g_timeout_add (CLOCK_INTERVAL_MS, clock_cb, self);
  else
    g_clear_handle_id (&self->clock_id, g_source_remove);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "column.route", !running);
  /* A swap applies from the next turn: not in the middle of one. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->model_button), !running);
  update_judging (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
run_finished (const SyHistoryRecord *record,
              const char            *error,
              gpointer               data)
{
  g_autoptr(SyCompareColumn) self = run_column (data);

  if (self == NULL)
    return;
  g_clear_pointer (&self->record, sy_history_record_free);
  if (record != NULL)
    {
      self->record = sy_history_record_copy (record);
      if (record->request_id != NULL)
        g_ptr_array_add (self->request_ids, g_strdup (record->request_id));
    }
  g_clear_pointer (&self->error, g_free);
  if (record != NULL && record->status == 499)
    self->error = g_strdup (_("Stopped"));
  else if (error != NULL)
    /* Translators: %s is why a model's answer failed */
    self->error = g_strdup_printf (_("Failed: %s"), error);
  else if (record == NULL)
    self->error = g_strdup (_("Failed"));

  if (self->error == NULL)
    {
      JsonObject *reply = json_object_new ();

      json_object_set_string_member (reply, "role", "assistant");
      json_object_set_string_member (reply, "content", self->answer->str);
      json_array_add_object_element (self->messages, json_object_ref (self->pending_user));
      json_array_add_object_element (self->messages, reply);
      self->last_done = TRUE;
    }
  set_running (self, FALSE);
  render_now (self);
  update_title (self);
  show_error (self);
}

gint64
sy_compare_estimate_message_tokens (JsonObject *message)
{
  JsonNode *content = sy_json_member (message, "content");
  JsonArray *parts;
  gsize bytes = 0;
  gint64 images = 0;

  g_return_val_if_fail (message != NULL, 0);

  if (sy_json_node_is_string (content))
    bytes = strlen (json_node_get_string (content));
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      parts = json_node_get_array (content);
      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonObject *part = sy_json_array_get_object (parts, i);
          const char *text = sy_json_get_string (part, "text");

          if (text != NULL)
            bytes += strlen (text);
          else if (g_strcmp0 (sy_json_get_string (part, "type"), "image_url") == 0)
            images++;
        }
    }
  return (gint64) (bytes / 4) + images * SY_COMPARE_IMAGE_TOKENS;
}

static gint64
messages_tokens (JsonArray *messages)
{
  gint64 tokens = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = sy_json_array_get_object (messages, i);

      if (message != NULL)
        tokens += sy_compare_estimate_message_tokens (message);
    }
  return tokens;
}

static void
start_request (SyCompareColumn         *self,
               const SyCompareSettings *settings)
{
  static const SyRunSink sink = { run_delta, run_finished };
  g_autoptr(JsonObject) request = json_object_new ();
  JsonArray *messages = json_array_new ();
  RunData *run;

  if (self->running)
    {
      g_cancellable_cancel (self->cancellable);
      set_running (self, FALSE);
    }
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->serial++;

  if (settings->system != NULL && *settings->system != '\0')
    {
      JsonObject *system = json_object_new ();

      json_object_set_string_member (system, "role", "system");
      json_object_set_string_member (system, "content", settings->system);
      json_array_add_object_element (messages, system);
    }
  for (guint i = 0; i < json_array_get_length (self->messages); i++)
    json_array_add_element (messages, json_node_copy (json_array_get_element (self->messages, i)));
  json_array_add_object_element (messages, json_object_ref (self->pending_user));

  json_object_set_string_member (request, "model", self->model);
  json_object_set_array_member (request, "messages", messages);
  if (settings->temperature >= 0)
    json_object_set_double_member (request, "temperature", settings->temperature);
  if (settings->max_tokens > 0)
    json_object_set_int_member (request, "max_tokens", settings->max_tokens);

  self->prompt_estimate = MAX (1, messages_tokens (messages));
  g_string_truncate (self->answer, 0);
  g_string_truncate (self->reasoning, 0);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->record, sy_history_record_free);
  self->last_done = FALSE;
  self->started_us = g_get_monotonic_time ();
  self->first_us = 0;
  self->rendered_us = 0;
  self->score = 0;
  self->best = FALSE;
  set_running (self, TRUE);
  render_now (self);
  show_error (self);
  update_title (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANSWER]);

  run = g_new0 (RunData, 1);
  g_weak_ref_init (&run->column, self);
  run->serial = self->serial;
  /* sy_server_run () gives the router thread a copy of its own: nothing in it
   * is shared with the conversation this column keeps. */
  sy_endpoint_run (sy_services_get_endpoint (self->services), request, &sink,
                   run, run_data_free, self->cancellable);
}

void
sy_compare_column_run (SyCompareColumn         *self,
                       JsonObject              *user_message,
                       const char              *shown,
                       const SyCompareSettings *settings)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));
  g_return_if_fail (user_message != NULL && settings != NULL);

  g_clear_pointer (&self->pending_user, json_object_unref);
  self->pending_user = json_object_ref (user_message);
  if (shown != NULL)
    add_turn (self, shown);
  else
    {
      g_autofree char *text = shown_prompt (user_message);
      add_turn (self, text);
    }
  start_request (self, settings);
}

gboolean
sy_compare_column_rerun (SyCompareColumn         *self,
                         const SyCompareSettings *settings)
{
  guint n;

  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), FALSE);
  g_return_val_if_fail (settings != NULL, FALSE);

  if (self->pending_user == NULL || self->turn.box == NULL)
    return FALSE;
  n = json_array_get_length (self->messages);
  if (self->last_done && n >= 2)
    {
      json_array_remove_element (self->messages, n - 1);
      json_array_remove_element (self->messages, n - 2);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->turn.reasoning_expander), FALSE);
  start_request (self, settings);
  return TRUE;
}

void
sy_compare_column_stop (SyCompareColumn *self)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));

  /* finished () reports the stop (499) and ends the run. */
  g_cancellable_cancel (self->cancellable);
}

void
sy_compare_column_clear (SyCompareColumn *self)
{
  GtkWidget *child;

  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));

  if (self->running)
    {
      g_cancellable_cancel (self->cancellable);
      self->serial++;
      set_running (self, FALSE);
    }
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->transcript))) != NULL)
    gtk_box_remove (self->transcript, child);
  memset (&self->turn, 0, sizeof self->turn);
  g_clear_pointer (&self->messages, json_array_unref);
  self->messages = json_array_new ();
  g_clear_pointer (&self->pending_user, json_object_unref);
  g_clear_pointer (&self->record, sy_history_record_free);
  g_clear_pointer (&self->error, g_free);
  g_ptr_array_set_size (self->request_ids, 0);
  g_string_truncate (self->answer, 0);
  g_string_truncate (self->reasoning, 0);
  self->last_done = FALSE;
  self->score = 0;
  self->best = FALSE;
  self->judging = FALSE;
  update_figures (self);
  update_judging (self);
  update_title (self);
  show_error (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ANSWER]);
}

/* ----------------------------------------------------------------- judging */

static void
update_judging (SyCompareColumn *self)
{
  gboolean can_judge = self->judging && !self->running && self->error == NULL && self->record != NULL;

  self->updating = TRUE;
  gtk_widget_set_sensitive (self->judge_bar, can_judge);
  gtk_toggle_button_set_active (self->best_button, self->best);
  for (int i = 0; i < N_STARS; i++)
    {
      GtkWidget *star = self->star_buttons[i];

      if (star == NULL)
        continue;
      gtk_button_set_icon_name (GTK_BUTTON (star), i < self->score ? "starred-symbolic" : "non-starred-symbolic");
      gtk_accessible_update_state (GTK_ACCESSIBLE (star), GTK_ACCESSIBLE_STATE_PRESSED,
                                   i + 1 == self->score ? GTK_ACCESSIBLE_TRISTATE_TRUE
                                                        : GTK_ACCESSIBLE_TRISTATE_FALSE, -1);
    }
  self->updating = FALSE;
}

static void
best_toggled (SyCompareColumn *self)
{
  if (self->updating)
    return;
  if (gtk_toggle_button_get_active (self->best_button))
    g_signal_emit (self, signals[PICKED], 0);
  else
    {
      /* Picked stays picked until another column is: the toggle shows the state. */
      self->updating = TRUE;
      gtk_toggle_button_set_active (self->best_button, self->best);
      self->updating = FALSE;
    }
}

static void
rate_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SyCompareColumn *self = SY_COMPARE_COLUMN (widget);
  int score = g_variant_get_int32 (parameter);

  /* Only an answer saved in a comparison can be rated. */
  if (!gtk_widget_get_sensitive (self->judge_bar))
    return;
  /* The current score again takes the rating back. */
  g_signal_emit (self, signals[RATED], 0, score == self->score ? 0 : CLAMP (score, 0, N_STARS));
}

static void
add_stars (SyCompareColumn *self)
{
  for (int i = 0; i < N_STARS; i++)
    {
      GtkWidget *star = gtk_button_new_from_icon_name ("non-starred-symbolic");
      /* Translators: a rating button: 1 to 5 stars */
      g_autofree char *name = g_strdup_printf (ngettext ("Rate %d Star", "Rate %d Stars", i + 1), i + 1);

      gtk_widget_add_css_class (star, "flat");
      gtk_widget_add_css_class (star, "star");
      gtk_widget_set_tooltip_text (star, name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (star), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (star), "column.rate");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (star), "i", i + 1);
      gtk_box_append (self->stars, star);
      self->star_buttons[i] = star;
    }
}

/* ----------------------------------------------------------------- actions */

static void
rerun_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_signal_emit (widget, signals[RERUN_REQUESTED], 0);
}

static void
route_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_signal_emit (widget, signals[ROUTE_REQUESTED], 0);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_signal_emit (widget, signals[REMOVE_REQUESTED], 0);
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  SyCompareColumn *self = SY_COMPARE_COLUMN (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->answer->str);
}

static void
model_chosen (SyCompareColumn *self,
              const char      *model)
{
  sy_compare_column_set_model (self, model);
}

static void
create_picker (GtkMenuButton *button,
               gpointer       data)
{
  SyCompareColumn *self = data;
  GtkWidget *picker;

  if (gtk_menu_button_get_popover (button) != NULL)
    return;
  picker = sy_model_picker_new (self->services);
  g_signal_connect_object (picker, "chosen", G_CALLBACK (model_chosen), self, G_CONNECT_SWAPPED);
  gtk_menu_button_set_popover (button, picker);
}

/* Follows the answer as it grows, unless the user scrolled up to read. */
static void
scrolled_value_changed (SyCompareColumn *self,
                        GtkAdjustment   *adjustment)
{
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  self->stick_to_bottom = gtk_adjustment_get_value (adjustment) >= bottom - 24;
}

static void
scrolled_upper_changed (SyCompareColumn *self,
                        GParamSpec      *pspec,
                        GtkAdjustment   *adjustment)
{
  if (self->stick_to_bottom && self->running)
    gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                          gtk_adjustment_get_page_size (adjustment));
}

/* ----------------------------------------------------------------- public */

const char *
sy_compare_column_get_model (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);
  return self->model;
}

void
sy_compare_column_set_model (SyCompareColumn *self,
                             const char      *model)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));
  g_return_if_fail (model != NULL && *model != '\0');

  if (g_strcmp0 (self->model, model) == 0)
    return;
  g_free (self->model);
  self->model = g_strdup (model);
  if (self->services != NULL)
    update_title (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

gboolean
sy_compare_column_get_running (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), FALSE);
  return self->running;
}

const char *
sy_compare_column_get_answer (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);
  return self->answer->str;
}

const char *
sy_compare_column_get_error (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);
  return self->error;
}

const SyHistoryRecord *
sy_compare_column_get_record (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);
  return self->record;
}

gboolean
sy_compare_column_get_succeeded (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), FALSE);
  return !self->running && self->record != NULL && self->error == NULL;
}

const char *
sy_compare_column_get_figures (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);
  return self->figures;
}

char *
sy_compare_column_dup_rated_model (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);

  if (self->record != NULL && self->record->provider != NULL && self->record->model != NULL)
    return g_strdup_printf ("%s/%s", self->record->provider, self->record->model);
  return g_strdup (self->model);
}

JsonArray *
sy_compare_column_get_messages (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);
  return self->messages;
}

gint64
sy_compare_column_get_history_tokens (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), 0);
  return messages_tokens (self->messages);
}

void
sy_compare_column_set_estimate (SyCompareColumn *self,
                                const char      *text,
                                const char      *tooltip)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));

  gtk_label_set_text (self->estimate_label, text != NULL ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->estimate_label), tooltip);
  gtk_widget_set_visible (GTK_WIDGET (self->estimate_label), text != NULL && *text != '\0');
}

void
sy_compare_column_set_judging (SyCompareColumn *self,
                               gboolean         enabled)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));
  self->judging = enabled;
  update_judging (self);
}

int
sy_compare_column_get_score (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), 0);
  return self->score;
}

void
sy_compare_column_set_score (SyCompareColumn *self,
                             int              score)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));
  self->score = CLAMP (score, 0, N_STARS);
  update_judging (self);
}

gboolean
sy_compare_column_get_best (SyCompareColumn *self)
{
  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), FALSE);
  return self->best;
}

void
sy_compare_column_set_best (SyCompareColumn *self,
                            gboolean         best)
{
  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));
  self->best = best;
  update_judging (self);
}

/* ------------------------------------------------------------ save, load */

static void
set_number (JsonObject *object,
            const char *member,
            double      value)
{
  if (value >= 0)
    json_object_set_double_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

static void
set_count (JsonObject *object,
           const char *member,
           gint64      value)
{
  if (value >= 0)
    json_object_set_int_member (object, member, value);
  else
    json_object_set_null_member (object, member);
}

JsonObject *
sy_compare_column_to_json (SyCompareColumn *self)
{
  JsonObject *column = json_object_new ();
  JsonArray *ids = json_array_new ();
  const SyHistoryRecord *r;
  g_autoptr(JsonNode) messages = NULL;

  g_return_val_if_fail (SY_IS_COMPARE_COLUMN (self), NULL);

  r = self->record;
  messages = json_node_init_array (json_node_alloc (), self->messages);
  json_object_set_string_member (column, "model", self->model);
  json_object_set_member (column, "messages", json_node_copy (messages));
  if (!self->last_done && self->pending_user != NULL)
    json_object_set_object_member (column, "pending", json_object_ref (self->pending_user));
  json_object_set_string_member (column, "answer", self->answer->str);
  if (self->reasoning->len > 0)
    json_object_set_string_member (column, "reasoning", self->reasoning->str);
  if (self->error != NULL)
    json_object_set_string_member (column, "error", self->error);
  for (guint i = 0; i < self->request_ids->len; i++)
    json_array_add_string_element (ids, g_ptr_array_index (self->request_ids, i));
  json_object_set_array_member (column, "request_ids", ids);
  json_object_set_int_member (column, "score", self->score);
  json_object_set_boolean_member (column, "best", self->best);
  if (r != NULL)
    {
      JsonObject *figures = json_object_new ();

      if (r->provider != NULL && r->model != NULL)
        {
          g_autofree char *served = g_strdup_printf ("%s/%s", r->provider, r->model);
          json_object_set_string_member (column, "served_by", served);
        }
      json_object_set_int_member (figures, "status", r->status);
      set_number (figures, "ttft_ms", r->ttft_ms);
      set_number (figures, "total_ms", r->total_ms);
      set_number (figures, "tokens_per_s", r->tokens_per_s);
      set_count (figures, "prompt_tokens", r->prompt_tokens);
      set_count (figures, "completion_tokens", r->completion_tokens);
      if (r->cost_known)
        json_object_set_double_member (figures, "cost", r->cost);
      else
        json_object_set_null_member (figures, "cost");
      json_object_set_object_member (column, "figures", figures);
    }
  return column;
}

static void
show_saved_turn (SyCompareColumn *self,
                 JsonObject      *user,
                 const char      *answer)
{
  g_autofree char *prompt = shown_prompt (user);

  add_turn (self, prompt);
  sy_markdown_view_set_text (self->turn.answer, answer != NULL ? answer : "");
}

void
sy_compare_column_load (SyCompareColumn *self,
                        JsonObject      *saved)
{
  JsonArray *messages;
  JsonArray *ids;
  JsonObject *figures;
  JsonObject *pending;
  const char *served;
  guint n;

  g_return_if_fail (SY_IS_COMPARE_COLUMN (self));
  g_return_if_fail (saved != NULL);

  sy_compare_column_clear (self);
  if (sy_json_get_string (saved, "model") != NULL)
    sy_compare_column_set_model (self, sy_json_get_string (saved, "model"));

  messages = sy_json_get_array (saved, "messages");
  n = messages != NULL ? json_array_get_length (messages) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonObject *message = sy_json_array_get_object (messages, i);

      if (message == NULL)
        continue;
      json_array_add_object_element (self->messages, json_object_ref (message));
      if (g_strcmp0 (sy_json_get_string (message, "role"), "user") == 0)
        {
          JsonObject *reply = i + 1 < n ? sy_json_array_get_object (messages, i + 1) : NULL;

          g_clear_pointer (&self->pending_user, json_object_unref);
          self->pending_user = json_object_ref (message);
          show_saved_turn (self, message, sy_json_get_string (reply, "content"));
        }
    }
  self->last_done = n >= 2;
  pending = sy_json_get_object (saved, "pending");
  if (pending != NULL)
    {
      g_clear_pointer (&self->pending_user, json_object_unref);
      self->pending_user = json_object_ref (pending);
      self->last_done = FALSE;
      show_saved_turn (self, pending, sy_json_get_string (saved, "answer"));
    }
  g_string_assign (self->answer, sy_json_get_string (saved, "answer") ?: "");
  g_string_assign (self->reasoning, sy_json_get_string (saved, "reasoning") ?: "");
  if (self->turn.box != NULL && self->reasoning->len > 0)
    {
      gtk_label_set_text (self->turn.reasoning, self->reasoning->str);
      gtk_widget_set_visible (GTK_WIDGET (self->turn.reasoning_expander), TRUE);
    }
  self->error = g_strdup (sy_json_get_string (saved, "error"));

  ids = sy_json_get_array (saved, "request_ids");
  for (guint i = 0; ids != NULL && i < json_array_get_length (ids); i++)
    {
      JsonNode *id = json_array_get_element (ids, i);
      if (sy_json_node_is_string (id))
        g_ptr_array_add (self->request_ids, g_strdup (json_node_get_string (id)));
    }

  figures = sy_json_get_object (saved, "figures");
  served = sy_json_get_string (saved, "served_by");
  if (figures != NULL)
    {
      SyHistoryRecord *r = sy_history_record_new ();
      JsonNode *cost = sy_json_member (figures, "cost");

      r->status = (int) sy_json_get_int (figures, "status", 0);
      r->ttft_ms = sy_json_get_double (figures, "ttft_ms", -1);
      r->total_ms = sy_json_get_double (figures, "total_ms", -1);
      r->tokens_per_s = sy_json_get_double (figures, "tokens_per_s", -1);
      r->prompt_tokens = sy_json_get_int (figures, "prompt_tokens", -1);
      r->completion_tokens = sy_json_get_int (figures, "completion_tokens", -1);
      r->cost_known = sy_json_node_is_number (cost);
      r->cost = r->cost_known ? json_node_get_double (cost) : 0;
      if (served != NULL && strchr (served, '/') != NULL)
        {
          const char *slash = strchr (served, '/');

          r->provider = g_strndup (served, (gsize) (slash - served));
          r->model = g_strdup (slash + 1);
        }
      if (self->request_ids->len > 0)
        r->request_id = g_strdup (g_ptr_array_index (self->request_ids, self->request_ids->len - 1));
      self->record = r;
    }
  self->score = (int) CLAMP (sy_json_get_int (saved, "score", 0), 0, N_STARS);
  self->best = sy_json_get_bool (saved, "best", FALSE);
  update_figures (self);
  update_title (self);
  update_judging (self);
  show_error (self);
}

/* ----------------------------------------------------------------- object */

static void
sy_compare_column_dispose (GObject *object)
{
  SyCompareColumn *self = SY_COMPARE_COLUMN (object);

  /* A run in flight is cancelled; its finished () finds the column gone. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->render_id, g_source_remove);
  g_clear_handle_id (&self->clock_id, g_source_remove);
  memset (&self->turn, 0, sizeof self->turn);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_COMPARE_COLUMN);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_compare_column_parent_class)->dispose (object);
}

static void
sy_compare_column_finalize (GObject *object)
{
  SyCompareColumn *self = SY_COMPARE_COLUMN (object);

  g_clear_pointer (&self->messages, json_array_unref);
  g_clear_pointer (&self->pending_user, json_object_unref);
  g_clear_pointer (&self->record, sy_history_record_free);
  g_clear_pointer (&self->request_ids, g_ptr_array_unref);
  g_string_free (self->answer, TRUE);
  g_string_free (self->reasoning, TRUE);
  g_free (self->model);
  g_free (self->error);
  g_free (self->figures);

  G_OBJECT_CLASS (sy_compare_column_parent_class)->finalize (object);
}

static void
sy_compare_column_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SyCompareColumn *self = SY_COMPARE_COLUMN (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_ANSWER:
      g_value_set_string (value, self->answer->str);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_compare_column_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SyCompareColumn *self = SY_COMPARE_COLUMN (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      sy_compare_column_set_model (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_compare_column_class_init (SyCompareColumnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_compare_column_dispose;
  object_class->finalize = sy_compare_column_finalize;
  object_class->get_property = sy_compare_column_get_property;
  object_class->set_property = sy_compare_column_set_property;

  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ANSWER] =
    g_param_spec_string ("answer", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RERUN_REQUESTED] = g_signal_new ("rerun-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[ROUTE_REQUESTED] = g_signal_new ("route-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[REMOVE_REQUESTED] = g_signal_new ("remove-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                            0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[RATED] = g_signal_new ("rated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[PICKED] = g_signal_new ("picked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (SY_TYPE_MARKDOWN_VIEW);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-compare-column.ui");
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, model_button);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, title_label);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, estimate_label);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, figures_label);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, error_label);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, scrolled);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, transcript);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, judge_bar);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, best_button);
  gtk_widget_class_bind_template_child (widget_class, SyCompareColumn, stars);

  gtk_widget_class_install_action (widget_class, "column.rerun", NULL, rerun_action);
  gtk_widget_class_install_action (widget_class, "column.route", NULL, route_action);
  gtk_widget_class_install_action (widget_class, "column.remove", NULL, remove_action);
  gtk_widget_class_install_action (widget_class, "column.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "column.rate", "i", rate_action);
}

static void
sy_compare_column_init (SyCompareColumn *self)
{
  GtkAdjustment *adjustment;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->messages = json_array_new ();
  self->request_ids = g_ptr_array_new_with_free_func (g_free);
  self->answer = g_string_new (NULL);
  self->reasoning = g_string_new (NULL);
  self->stick_to_bottom = TRUE;
  add_stars (self);

  gtk_menu_button_set_create_popup_func (self->model_button, create_picker, self, NULL);
  g_signal_connect_object (self->best_button, "toggled", G_CALLBACK (best_toggled), self,
                           G_CONNECT_SWAPPED);
  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (scrolled_value_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "notify::upper", G_CALLBACK (scrolled_upper_changed), self,
                           G_CONNECT_SWAPPED);
}

SyCompareColumn *
sy_compare_column_new (SyServices *services,
                       const char *model)
{
  SyCompareColumn *self;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);
  g_return_val_if_fail (model != NULL, NULL);

  self = g_object_new (SY_TYPE_COMPARE_COLUMN, NULL);
  self->services = g_object_ref (services);
  sy_compare_column_set_model (self, model);
  update_title (self);
  update_judging (self);
  return self;
}
