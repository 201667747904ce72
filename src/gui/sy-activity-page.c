/* sy-activity-page.c — the Activity page: requests as they happen, and what each one did.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-activity-item.h"
#include "sy-activity-page.h"
#include "sy-request-detail.h"

struct _SyActivityPage
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkStack            *stack;
  GtkColumnView       *column_view;
  SyRequestDetail     *detail;

  /* owned references */
  SyServices          *services;
  GtkSingleSelection  *selection;
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
  /* Short values (times, numbers) are shown whole; names give way. */
  if (column->expand || g_str_equal (column->property, "client"))
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

void
sy_activity_columns_add (GtkColumnView *column_view)
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
      gtk_column_view_append_column (column_view, column);
    }
}

static void
show_detail (SyActivityPage *self)
{
  sy_request_detail_show (self->detail, gtk_single_selection_get_selected_item (self->selection), NULL);
}

/* ---------------------------------------------------------------- the page */

static void
items_changed (SyActivityPage *self)
{
  GListModel *model = G_LIST_MODEL (self->selection);

  gtk_stack_set_visible_child_name (self->stack, g_list_model_get_n_items (model) > 0 ? "list" : "empty");
}

static void
sy_activity_page_dispose (GObject *object)
{
  SyActivityPage *self = SY_ACTIVITY_PAGE (object);

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

  g_type_ensure (SY_TYPE_REQUEST_DETAIL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-activity-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, stack);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, SyActivityPage, detail);
}

static void
sy_activity_page_init (SyActivityPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  sy_activity_columns_add (self->column_view);
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
  items_changed (self);
  return GTK_WIDGET (self);
}
