/* sy-activity-page.c — the Activity page: requests as they happen, and what each one did.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>

#include "sy-activity-item.h"
#include "sy-activity-page.h"
#include "sy-json.h"

/* Bodies up to 32 MiB may be stored; the view shows the start of a long one. */
#define SHOWN_BODY_BYTES (512 * 1024)

struct _SyActivityPage
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkStack            *stack;
  GtkColumnView       *column_view;
  GtkStack            *detail_stack;
  GtkLabel            *summary_label;
  GtkSourceView       *route_view;
  GtkSourceView       *request_view;
  GtkSourceView       *response_view;

  /* owned references */
  SyServices          *services;
  GtkSingleSelection  *selection;
  SyActivityItem      *shown;          /* the item the detail shows */
  GCancellable        *detail_cancellable;
};

G_DEFINE_FINAL_TYPE (SyActivityPage, sy_activity_page, ADW_TYPE_BIN)

typedef struct {
  const char *title;
  const char *property;
  float       xalign;
  gboolean    expand;
} Column;

static const Column columns[] = {
  { N_("Time"), "time", 0, FALSE },
  { N_("Client"), "client", 0, FALSE },
  { N_("Requested"), "requested-model", 0, TRUE },
  { N_("Routed To"), "route", 0, TRUE },
  { N_("Status"), "status", 0, FALSE },
  { N_("Tokens"), "tokens", 1, FALSE },
  { N_("Cost"), "cost", 1, FALSE },
  { N_("First Token"), "ttft", 1, FALSE },
  { N_("Duration"), "duration", 1, FALSE },
};

/* ------------------------------------------------------------------ columns */

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            const Column             *column)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), column->xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (list_item, label);
}

static void
failed_changed (SyActivityItem *item,
                GParamSpec     *pspec,
                GtkWidget      *label)
{
  gboolean failed = FALSE;

  g_object_get (item, "failed", &failed, NULL);
  if (failed)
    gtk_widget_add_css_class (label, "error");
  else
    gtk_widget_remove_css_class (label, "error");
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           const Column             *column)
{
  GObject *item = gtk_list_item_get_item (list_item);
  GtkWidget *label = gtk_list_item_get_child (list_item);
  GBinding *binding = g_object_bind_property (item, column->property, label, "label",
                                              G_BINDING_SYNC_CREATE);

  g_object_set_data (G_OBJECT (list_item), "binding", binding);
  if (g_str_equal (column->property, "status"))
    {
      g_signal_connect (item, "notify::failed", G_CALLBACK (failed_changed), label);
      failed_changed (SY_ACTIVITY_ITEM (item), NULL, label);
    }
}

static void
cell_unbind (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             const Column             *column)
{
  GBinding *binding = g_object_steal_data (G_OBJECT (list_item), "binding");

  if (binding != NULL)
    g_binding_unbind (binding);
  if (g_str_equal (column->property, "status"))
    g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (list_item), failed_changed,
                                          gtk_list_item_get_child (list_item));
}

static void
add_columns (SyActivityPage *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), (gpointer) &columns[i]);
      g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), (gpointer) &columns[i]);
      g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind), (gpointer) &columns[i]);
      column = gtk_column_view_column_new (_(columns[i].title), factory);
      gtk_column_view_column_set_expand (column, columns[i].expand);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_append_column (self->column_view, column);
    }
}

/* ------------------------------------------------------------------- detail */

typedef struct {
  char *route;      /* in: route_json; out: route and attempts, indented */
  char *attempts;
  char *request;
  char *response;
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

  if (route != NULL)
    json_object_set_member (both, "route", g_steal_pointer (&route));
  if (attempts != NULL)
    json_object_set_member (both, "attempts", g_steal_pointer (&attempts));
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), both);
    joined = sy_json_to_string (node);
  }
  out->route = readable (joined, &ignored);
  out->request = readable (in->request, &out->request_json);
  out->response = readable (in->response, &out->response_json);
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
  SyActivityPage *self;
  DetailText *text = g_task_propagate_pointer (G_TASK (result), NULL);

  if (text == NULL)   /* cancelled: another row was selected, or the page went */
    return;
  self = SY_ACTIVITY_PAGE (data);
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
show_detail (SyActivityPage *self)
{
  SyActivityItem *item = gtk_single_selection_get_selected_item (self->selection);
  const SyHistoryRecord *r;
  g_autoptr(GTask) task = NULL;
  g_autofree char *text = NULL;
  DetailText *in;

  g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  if (self->shown != NULL)
    g_signal_handlers_disconnect_by_func (self->shown, show_detail, self);
  g_set_object (&self->shown, item);

  if (item == NULL)
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "none");
      return;
    }
  /* A request still running gets its bodies when it ends. */
  if (!sy_activity_item_get_finished (item))
    g_signal_connect_swapped (item, "notify::finished", G_CALLBACK (show_detail), self);

  gtk_stack_set_visible_child_name (self->detail_stack, "detail");
  text = summary (item);
  gtk_label_set_text (self->summary_label, text);

  r = sy_activity_item_get_record (item);
  in = g_new0 (DetailText, 1);
  in->route = g_strdup (r->route_json);
  in->attempts = g_strdup (r->attempts_json);
  in->request = g_strdup (r->request_body);
  in->response = g_strdup (r->response_body);
  self->detail_cancellable = g_cancellable_new ();
  task = g_task_new (NULL, self->detail_cancellable, format_done, self);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_task_data (task, in, (GDestroyNotify) detail_text_free);
  g_task_run_in_thread (task, format_worker);
}

/* ---------------------------------------------------------------- the page */

static void
items_changed (SyActivityPage *self)
{
  GListModel *model = G_LIST_MODEL (self->selection);

  gtk_stack_set_visible_child_name (self->stack, g_list_model_get_n_items (model) > 0 ? "list" : "empty");
}

static void
style_changed (SyActivityPage *self)
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
sy_activity_page_dispose (GObject *object)
{
  SyActivityPage *self = SY_ACTIVITY_PAGE (object);

  g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  if (self->shown != NULL)
    g_signal_handlers_disconnect_by_func (self->shown, show_detail, self);
  g_clear_object (&self->shown);
  /* AdwBin unparents its child in its own dispose: gone first, the template's
   * references are the last. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_ACTIVITY_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_activity_page_parent_class)->dispose (object);
}

static void
sy_activity_page_class_init (SyActivityPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_activity_page_dispose;

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-activity-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, stack);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, summary_label);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, route_view);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, request_view);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, response_view);
}

static void
sy_activity_page_init (SyActivityPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  add_columns (self);
}

GtkWidget *
sy_activity_page_new (SyServices *services)
{
  SyActivityPage *self;
  GListModel *activity;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_ACTIVITY_PAGE, NULL);
  self->services = g_object_ref (services);

  activity = sy_endpoint_get_activity (sy_services_get_endpoint (services));
  self->selection = gtk_single_selection_new (g_object_ref (activity));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected-item", G_CALLBACK (show_detail), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark", G_CALLBACK (style_changed),
                           self, G_CONNECT_SWAPPED);
  items_changed (self);
  style_changed (self);
  return GTK_WIDGET (self);
}
