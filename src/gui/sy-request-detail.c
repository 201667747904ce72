/* sy-request-detail.c — what one request did: summary, route, request and
 * response bodies, formatted on a worker thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

#include "sy-json.h"
#include "sy-request-detail.h"

/* Bodies up to 32 MiB may be stored; the view shows the start of a long one. */
#define SHOWN_BODY_BYTES (512 * 1024)

struct _SyRequestDetail
{
  AdwBin          parent_instance;

  /* template widgets */
  GtkStack       *detail_stack;
  GtkLabel       *summary_label;
  GtkSourceView  *route_view;
  GtkSourceView  *request_view;
  GtkSourceView  *response_view;

  /* owned */
  SyActivityItem *shown;
  char           *history_path;
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (SyRequestDetail, sy_request_detail, ADW_TYPE_BIN)

typedef struct {
  char *route;      /* in: route_json; out: route and attempts, indented */
  char *attempts;
  char *request;
  char *response;
  char *history_path;  /* in: read the bodies from here */
  char *request_id;
  gboolean request_json;
  gboolean response_json;
} DetailText;

static void
detail_text_free (DetailText *text)
{
  g_free (text->route);
  g_free (text->attempts);
  g_free (text->request);
  g_free (text->response);
  g_free (text->history_path);
  g_free (text->request_id);
  g_free (text);
}

/* Indented JSON when @text is JSON (*@is_json set), else @text as it is (an
 * event stream); the start of it past SHOWN_BODY_BYTES. */
static char *
readable (const char *text,
          gboolean   *is_json)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  gsize length;

  *is_json = FALSE;
  if (text == NULL)
    return g_strdup (_("Not stored (body storage is off, or nothing was received)"));
  length = strlen (text);
  if (length > SHOWN_BODY_BYTES)
    /* Translators: the start of a long body is shown; %zu is its size in bytes */
    return g_strdup_printf (_("%.*s\n\n… (%zu bytes in all)"), SHOWN_BODY_BYTES, text, length);

  node = sy_json_parse (text, length, NULL);
  if (node == NULL)
    return g_strdup (text);
  *is_json = TRUE;
  generator = json_generator_new ();
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static void
format_worker (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  DetailText *in = task_data;
  DetailText *out = g_new0 (DetailText, 1);
  g_autoptr(JsonObject) both = json_object_new ();
  g_autoptr(JsonNode) route = in->route != NULL ? sy_json_parse (in->route, strlen (in->route), NULL) : NULL;
  g_autoptr(JsonNode) attempts = in->attempts != NULL ? sy_json_parse (in->attempts, strlen (in->attempts), NULL) : NULL;
  g_autofree char *joined = NULL;
  gboolean ignored;

  if (in->history_path != NULL && in->request_id != NULL)
    {
      g_autoptr(GError) error = NULL;

      g_clear_pointer (&in->request, g_free);
      g_clear_pointer (&in->response, g_free);
      if (!sy_history_read_bodies (in->history_path, in->request_id, &in->request, &in->response, &error))
        {
          /* Said where the bodies would be. */
          out->request = g_strdup_printf (_("Could not read the history: %s"), error->message);
          out->response = g_strdup (out->request);
        }
    }

  if (route != NULL)
    json_object_set_member (both, "route", g_steal_pointer (&route));
  if (attempts != NULL)
    json_object_set_member (both, "attempts", g_steal_pointer (&attempts));
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), both);
    joined = sy_json_to_string (node);
  }
  out->route = readable (joined, &ignored);
  if (out->request == NULL)
    {
      out->request = readable (in->request, &out->request_json);
      out->response = readable (in->response, &out->response_json);
    }
  g_task_return_pointer (task, out, (GDestroyNotify) detail_text_free);
}

static void
set_view_text (GtkSourceView *view,
               const char    *text,
               gboolean       json)
{
  GtkSourceBuffer *buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)));
  GtkSourceLanguage *language = NULL;

  if (json)
    language = gtk_source_language_manager_get_language (gtk_source_language_manager_get_default (), "json");
  gtk_source_buffer_set_language (buffer, language);
  gtk_text_buffer_set_text (GTK_TEXT_BUFFER (buffer), text, -1);
}

static void
format_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  SyRequestDetail *self;
  DetailText *text = g_task_propagate_pointer (G_TASK (result), NULL);

  if (text == NULL)   /* cancelled: another row was selected, or the page went */
    return;
  self = SY_REQUEST_DETAIL (data);
  set_view_text (self->route_view, text->route, TRUE);
  set_view_text (self->request_view, text->request, text->request_json);
  set_view_text (self->response_view, text->response, text->response_json);
  detail_text_free (text);
}

static char *
summary (SyActivityItem *item)
{
  const SyHistoryRecord *r = sy_activity_item_get_record (item);
  g_autofree char *route = NULL, *status = NULL, *cost = NULL, *duration = NULL;
  guint attempts = 0;

  g_object_get (item, "route", &route, "status", &status, "cost", &cost, "duration", &duration, NULL);
  if (r->attempts_json != NULL)
    {
      g_autoptr(JsonNode) node = sy_json_parse (r->attempts_json, strlen (r->attempts_json), NULL);
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        attempts = json_array_get_length (json_node_get_array (node));
    }
  if (!sy_activity_item_get_finished (item))
    return g_strdup_printf (_("%s — in progress"), r->requested_model ? r->requested_model : "");
  /* Translators: "200 · openai/gpt-4.1-mini · 2 attempts · 812 ms · $0.0012" */
  return g_strdup_printf (ngettext ("%s · %s · %u attempt · %s · %s%s%s",
                                    "%s · %s · %u attempts · %s · %s%s%s", attempts),
                          status, route[0] ? route : _("no provider"), attempts, duration, cost,
                          r->error != NULL ? " · " : "", r->error != NULL ? r->error : "");
}

static void
forget_shown (SyRequestDetail *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->shown != NULL)
    g_signal_handlers_disconnect_by_data (self->shown, self);
  g_clear_object (&self->shown);
}

static void
refresh (SyRequestDetail *self)
{
  SyActivityItem *item = self->shown;
  const SyHistoryRecord *r;
  g_autoptr(GTask) task = NULL;
  g_autofree char *text = NULL;
  DetailText *in;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (item == NULL || sy_activity_item_is_placeholder (item))
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "none");
      return;
    }

  gtk_stack_set_visible_child_name (self->detail_stack, "detail");
  text = summary (item);
  gtk_label_set_text (self->summary_label, text);

  r = sy_activity_item_get_record (item);
  in = g_new0 (DetailText, 1);
  in->route = g_strdup (r->route_json);
  in->attempts = g_strdup (r->attempts_json);
  in->request = g_strdup (r->request_body);
  in->response = g_strdup (r->response_body);
  if (self->history_path != NULL && r->request_body == NULL && r->response_body == NULL)
    {
      in->history_path = g_strdup (self->history_path);
      in->request_id = g_strdup (r->request_id);
    }
  self->cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->cancellable, format_done, self);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, in, (GDestroyNotify) detail_text_free);
  g_task_run_in_thread (task, format_worker);
}

void
sy_request_detail_show (SyRequestDetail *self,
                        SyActivityItem  *item,
                        const char      *history_path)
{
  g_return_if_fail (SY_IS_REQUEST_DETAIL (self));
  g_return_if_fail (item == NULL || SY_IS_ACTIVITY_ITEM (item));

  forget_shown (self);
  g_set_object (&self->shown, item);
  g_free (self->history_path);
  self->history_path = g_strdup (history_path);
  /* A request still running gets its bodies when it ends; a History row not
   * read yet shows when its page arrives. */
  if (item != NULL && (!sy_activity_item_get_finished (item) || sy_activity_item_is_placeholder (item)))
    g_signal_connect_swapped (item, "notify::finished", G_CALLBACK (refresh), self);
  refresh (self);
}

static void
style_changed (SyRequestDetail *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  GtkSourceStyleScheme *scheme =
    gtk_source_style_scheme_manager_get_scheme (gtk_source_style_scheme_manager_get_default (),
                                                adw_style_manager_get_dark (manager) ? "Adwaita-dark" : "Adwaita");
  GtkSourceView *views[] = { self->route_view, self->request_view, self->response_view };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    gtk_source_buffer_set_style_scheme (GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (views[i]))),
                                        scheme);
}

static void
sy_request_detail_dispose (GObject *object)
{
  SyRequestDetail *self = SY_REQUEST_DETAIL (object);

  forget_shown (self);
  g_clear_pointer (&self->history_path, g_free);
  /* AdwBin unparents its child in its own dispose: gone first, the template's
   * references are the last. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_REQUEST_DETAIL);

  G_OBJECT_CLASS (sy_request_detail_parent_class)->dispose (object);
}

static void
sy_request_detail_class_init (SyRequestDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_request_detail_dispose;

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-request-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, SyRequestDetail, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, SyRequestDetail, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SyRequestDetail, route_view);
  gtk_widget_class_bind_template_child (widget_class, SyRequestDetail, request_view);
  gtk_widget_class_bind_template_child (widget_class, SyRequestDetail, response_view);
}

static void
sy_request_detail_init (SyRequestDetail *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (style_changed),
                           self, G_CONNECT_SWAPPED);
  style_changed (self);
}

GtkWidget *
sy_request_detail_new (void)
{
  return g_object_new (SY_TYPE_REQUEST_DETAIL, NULL);
}
