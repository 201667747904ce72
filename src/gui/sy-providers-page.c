/* sy-providers-page.c — the Providers page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-providers-page.h"

struct _SyProvidersPage
{
  AdwBin      parent_instance;

  /* owned references */
  SyServices *services;
};

G_DEFINE_FINAL_TYPE (SyProvidersPage, sy_providers_page, ADW_TYPE_BIN)

static void
sy_providers_page_dispose (GObject *object)
{
  SyProvidersPage *self = SY_PROVIDERS_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_PROVIDERS_PAGE);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_providers_page_parent_class)->dispose (object);
}

static void
sy_providers_page_class_init (SyProvidersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_providers_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-providers-page.ui");
}

static void
sy_providers_page_init (SyProvidersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
sy_providers_page_new (SyServices *services)
{
  SyProvidersPage *self = g_object_new (SY_TYPE_PROVIDERS_PAGE, NULL);

  self->services = g_object_ref (services);
  return GTK_WIDGET (self);
}
