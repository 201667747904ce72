/* sy-model-row.c — one model of a profile: reorderable by drag and drop and by keyboard.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-model-row.h"

struct _SyModelRow
{
  AdwActionRow  parent_instance;

  /* template widgets */
  GtkButton    *up_button;
  GtkButton    *down_button;
  GtkButton    *remove_button;

  /* state */
  char         *model_id;
  guint         position;
  double        drag_x;
  double        drag_y;
};

G_DEFINE_FINAL_TYPE (SyModelRow, sy_model_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_MODEL_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_MOVE,
  SIGNAL_REMOVE,
  SIGNAL_DROPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
move_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  int delta = g_str_equal (action_name, "model.move-up") ? -1 : 1;

  g_signal_emit (widget, signals[SIGNAL_MOVE], 0, delta);
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_REMOVE], 0);
}

static GdkContentProvider *
drag_prepare (SyModelRow    *self,
              double         x,
              double         y,
              GtkDragSource *source)
{
  self->drag_x = x;
  self->drag_y = y;
  return gdk_content_provider_new_typed (SY_TYPE_MODEL_ROW, self);
}

static void
drag_begin (SyModelRow    *self,
            GdkDrag       *drag,
            GtkDragSource *source)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (self));

  gtk_drag_source_set_icon (source, paintable, (int) self->drag_x, (int) self->drag_y);
}

static GtkListBox *
parent_list (SyModelRow *self)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (self));

  return GTK_IS_LIST_BOX (parent) ? GTK_LIST_BOX (parent) : NULL;
}

static GdkDragAction
drop_enter (SyModelRow    *self,
            double         x,
            double         y,
            GtkDropTarget *target)
{
  GtkListBox *list = parent_list (self);

  if (list != NULL)
    gtk_list_box_drag_highlight_row (list, GTK_LIST_BOX_ROW (self));
  return GDK_ACTION_MOVE;
}

static void
drop_leave (SyModelRow    *self,
            GtkDropTarget *target)
{
  GtkListBox *list = parent_list (self);

  if (list != NULL)
    gtk_list_box_drag_unhighlight_row (list);
}

static gboolean
drop (SyModelRow    *self,
      const GValue  *value,
      double         x,
      double         y,
      GtkDropTarget *target)
{
  SyModelRow *source;
  gboolean after;

  if (!G_VALUE_HOLDS (value, SY_TYPE_MODEL_ROW))
    return FALSE;
  source = g_value_get_object (value);
  /* Only rows of the same list: a profile's order, not another's. */
  if (source == NULL || source == self ||
      gtk_widget_get_parent (GTK_WIDGET (source)) != gtk_widget_get_parent (GTK_WIDGET (self)))
    return FALSE;

  after = y > gtk_widget_get_height (GTK_WIDGET (self)) / 2.0;
  g_signal_emit (self, signals[SIGNAL_DROPPED], 0, source, after);
  return TRUE;
}

static void
update_labels (SyModelRow *self)
{
  g_autofree char *up = g_strdup_printf (_("Move %s Up"), self->model_id);
  g_autofree char *down = g_strdup_printf (_("Move %s Down"), self->model_id);
  g_autofree char *remove = g_strdup_printf (_("Remove %s"), self->model_id);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), self->model_id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->up_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, up, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->down_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, down, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->remove_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove, -1);
}

static void
sy_model_row_finalize (GObject *object)
{
  SyModelRow *self = SY_MODEL_ROW (object);

  g_clear_pointer (&self->model_id, g_free);

  G_OBJECT_CLASS (sy_model_row_parent_class)->finalize (object);
}

static void
sy_model_row_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), SY_TYPE_MODEL_ROW);

  G_OBJECT_CLASS (sy_model_row_parent_class)->dispose (object);
}

static void
sy_model_row_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SyModelRow *self = SY_MODEL_ROW (object);

  switch (prop_id)
    {
    case PROP_MODEL_ID:
      g_value_set_string (value, self->model_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_model_row_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  SyModelRow *self = SY_MODEL_ROW (object);

  switch (prop_id)
    {
    case PROP_MODEL_ID:
      g_free (self->model_id);
      self->model_id = g_value_dup_string (value);
      update_labels (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_model_row_class_init (SyModelRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_model_row_dispose;
  object_class->finalize = sy_model_row_finalize;
  object_class->get_property = sy_model_row_get_property;
  object_class->set_property = sy_model_row_set_property;

  properties[PROP_MODEL_ID] =
    g_param_spec_string ("model-id", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MOVE] =
    g_signal_new ("move", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_REMOVE] =
    g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_DROPPED] =
    g_signal_new ("dropped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, SY_TYPE_MODEL_ROW, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-model-row.ui");
  gtk_widget_class_bind_template_child (widget_class, SyModelRow, up_button);
  gtk_widget_class_bind_template_child (widget_class, SyModelRow, down_button);
  gtk_widget_class_bind_template_child (widget_class, SyModelRow, remove_button);

  gtk_widget_class_install_action (widget_class, "model.move-up", NULL, move_action);
  gtk_widget_class_install_action (widget_class, "model.move-down", NULL, move_action);
  gtk_widget_class_install_action (widget_class, "model.remove", NULL, remove_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Up, GDK_ALT_MASK,
                                       "model.move-up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Up, GDK_ALT_MASK,
                                       "model.move-up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Down, GDK_ALT_MASK,
                                       "model.move-down", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Down, GDK_ALT_MASK,
                                       "model.move-down", NULL);
}

static void
sy_model_row_init (SyModelRow *self)
{
  GtkDragSource *source;
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));

  source = gtk_drag_source_new ();
  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect_swapped (source, "prepare", G_CALLBACK (drag_prepare), self);
  g_signal_connect_swapped (source, "drag-begin", G_CALLBACK (drag_begin), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (source));

  target = gtk_drop_target_new (SY_TYPE_MODEL_ROW, GDK_ACTION_MOVE);
  gtk_drop_target_set_preload (target, TRUE);
  g_signal_connect_swapped (target, "enter", G_CALLBACK (drop_enter), self);
  g_signal_connect_swapped (target, "motion", G_CALLBACK (drop_enter), self);
  g_signal_connect_swapped (target, "leave", G_CALLBACK (drop_leave), self);
  g_signal_connect_swapped (target, "drop", G_CALLBACK (drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

GtkWidget *
sy_model_row_new (const char *model_id)
{
  g_return_val_if_fail (model_id != NULL, NULL);

  return g_object_new (SY_TYPE_MODEL_ROW, "model-id", model_id, NULL);
}

const char *
sy_model_row_get_model_id (SyModelRow *self)
{
  g_return_val_if_fail (SY_IS_MODEL_ROW (self), NULL);
  return self->model_id;
}

void
sy_model_row_set_position (SyModelRow *self,
                           guint       position,
                           guint       n_rows)
{
  g_return_if_fail (SY_IS_MODEL_ROW (self));

  self->position = position;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.move-up", position > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "model.move-down", position + 1 < n_rows);
}

guint
sy_model_row_get_position (SyModelRow *self)
{
  g_return_val_if_fail (SY_IS_MODEL_ROW (self), 0);
  return self->position;
}
