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
  const char     *title;
  SyActivityText  text;
  float           xalign;
  gboolean        expand;
  int             min_chars;   /* the column is never narrower … */
  int             nat_chars;   /* … and asks for this much */
} Column;

static const Column columns[] = {
  { N_("Time"), SY_ACTIVITY_TIME, 0, FALSE, 8, 8 },
  { N_("Client"), SY_ACTIVITY_CLIENT, 0, FALSE, 6, 16 },
  { N_("Requested"), SY_ACTIVITY_REQUESTED_MODEL, 0, TRUE, 6, 18 },
  { N_("Routed To"), SY_ACTIVITY_ROUTE, 0, TRUE, 8, 24 },
  { N_("Status"), SY_ACTIVITY_STATUS, 0, FALSE, 9, 15 },
  { N_("Tokens"), SY_ACTIVITY_TOKENS, 1, FALSE, 11, 11 },
  { N_("Cost"), SY_ACTIVITY_COST, 1, FALSE, 9, 9 },
  { N_("First Token"), SY_ACTIVITY_TTFT, 1, FALSE, 7, 7 },
  { N_("Duration"), SY_ACTIVITY_DURATION, 1, FALSE, 7, 7 },
};

/* The History's times carry their date. */
#define TIME_WITH_DATE_CHARS 19

/* ------------------------------------------------------------------ columns */

/* Cells are GtkInscriptions: unlike labels they do not measure their text to
 * size themselves, so binding the hundreds of rows a long list keeps costs
 * little. */
static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            const Column             *column)
{
  GtkWidget *cell = gtk_inscription_new (NULL);
  gboolean with_date = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "sy-with-date"));
  int chars = column->text == SY_ACTIVITY_TIME && with_date ? TIME_WITH_DATE_CHARS : column->nat_chars;

  gtk_inscription_set_xalign (GTK_INSCRIPTION (cell), column->xalign);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (cell), (guint) chars);
  gtk_inscription_set_min_chars (GTK_INSCRIPTION (cell),
                                 (guint) (column->text == SY_ACTIVITY_TIME ? chars : column->min_chars));
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell), GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  g_object_set_data (G_OBJECT (cell), "sy-column", (gpointer) column);
  gtk_list_item_set_child (list_item, cell);
}

static void
cell_update (SyActivityItem *item,
             GParamSpec     *pspec,
             GtkWidget      *cell)
{
  const Column *column = g_object_get_data (G_OBJECT (cell), "sy-column");
  const char *text = sy_activity_item_get_text (item, column->text);

  gtk_inscription_set_text (GTK_INSCRIPTION (cell), text);
  if (column->text == SY_ACTIVITY_STATUS)
    {
      if (sy_activity_item_get_failed (item))
        gtk_widget_add_css_class (cell, "error");
      else
        gtk_widget_remove_css_class (cell, "error");
    }
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           const Column             *column)
{
  SyActivityItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *cell = gtk_list_item_get_child (list_item);

  cell_update (item, NULL, cell);
  /* Only a request still running, or a History row not read yet, changes. */
  /* Disconnected at unbind, which the list does before it drops a cell. */
  if (!sy_activity_item_get_finished (item) || sy_activity_item_is_placeholder (item))
    g_signal_connect (item, "notify::finished", G_CALLBACK (cell_update), cell);
}

static void
cell_unbind (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             const Column             *column)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (list_item), cell_update,
                                        gtk_list_item_get_child (list_item));
}

void
sy_activity_columns_add (GtkColumnView *column_view,
                         gboolean       with_date)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) column = NULL;

      g_object_set_data (G_OBJECT (factory), "sy-with-date", GINT_TO_POINTER (with_date));
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
  sy_activity_columns_add (self->column_view, FALSE);
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
