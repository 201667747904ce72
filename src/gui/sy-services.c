/* sy-services.c — what the window's pages share: catalog, config, keys, settings, endpoint.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "sy-json.h"
#include "sy-services.h"

struct _SyServices
{
  GObject     parent_instance;

  /* owned references */
  SyCatalog  *catalog;
  SyConfig   *config;
  SyKeys     *keys;
  GSettings  *settings;
  SyEndpoint *endpoint;

  /* state */
  char       *history_path;
  guint64     edits;         /* configs handed out for writing */

  /* Writes happen on worker threads, one at a time and in the order of the
   * edits: an older edit that reaches the lock late is not written over a newer
   * one. */
  GMutex      write_lock;
  guint64     written_edit;
};

G_DEFINE_FINAL_TYPE (SyServices, sy_services, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
sy_services_dispose (GObject *object)
{
  SyServices *self = SY_SERVICES (object);

  g_clear_object (&self->endpoint);

  G_OBJECT_CLASS (sy_services_parent_class)->dispose (object);
}

static void
sy_services_finalize (GObject *object)
{
  SyServices *self = SY_SERVICES (object);

  g_clear_object (&self->catalog);
  g_clear_object (&self->config);
  g_clear_object (&self->keys);
  g_clear_object (&self->settings);
  g_free (self->history_path);
  g_mutex_clear (&self->write_lock);

  G_OBJECT_CLASS (sy_services_parent_class)->finalize (object);
}

static void
sy_services_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  SyServices *self = SY_SERVICES (object);

  switch (prop_id)
    {
    case PROP_CONFIG:
      g_value_set_object (value, self->config);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
sy_services_class_init (SyServicesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sy_services_dispose;
  object_class->finalize = sy_services_finalize;
  object_class->get_property = sy_services_get_property;

  properties[PROP_CONFIG] =
    g_param_spec_object ("config", NULL, NULL, SY_TYPE_CONFIG,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sy_services_init (SyServices *self)
{
  g_mutex_init (&self->write_lock);
}

SyServices *
sy_services_new (SyCatalog  *catalog,
                 SyConfig   *config,
                 SyKeys     *keys,
                 const char *history_path,
                 GSettings  *settings)
{
  SyServices *self;

  g_return_val_if_fail (SY_IS_CATALOG (catalog), NULL);
  g_return_val_if_fail (SY_IS_CONFIG (config), NULL);
  g_return_val_if_fail (SY_IS_KEYS (keys), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (SY_TYPE_SERVICES, NULL);
  self->catalog = g_object_ref (catalog);
  self->config = g_object_ref (config);
  self->keys = g_object_ref (keys);
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  self->history_path = g_strdup (history_path);
  self->endpoint = sy_endpoint_new (keys, history_path);
  sy_endpoint_set_config (self->endpoint, config);
  return self;
}

SyCatalog *
sy_services_get_catalog (SyServices *self)
{
  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);
  return self->catalog;
}

SyKeys *
sy_services_get_keys (SyServices *self)
{
  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);
  return self->keys;
}

GSettings *
sy_services_get_settings (SyServices *self)
{
  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);
  return self->settings;
}

SyEndpoint *
sy_services_get_endpoint (SyServices *self)
{
  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);
  return self->endpoint;
}

const char *
sy_services_get_history_path (SyServices *self)
{
  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);
  return self->history_path;
}

SyConfig *
sy_services_get_config (SyServices *self)
{
  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);
  return self->config;
}

JsonObject *
sy_services_dup_config_root (SyServices *self)
{
  JsonObject *copy;

  g_return_val_if_fail (SY_IS_SERVICES (self), NULL);

  /* The config in force was read from JSON: it copies. */
  copy = sy_json_object_deep_copy (sy_config_get_root (self->config), NULL);
  g_assert (copy != NULL);
  return copy;
}

typedef struct {
  SyConfig *config;
  guint64   edit;
} WriteData;

static void
write_data_free (WriteData *data)
{
  g_clear_object (&data->config);
  g_free (data);
}

static void
write_worker (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SyServices *self = source;
  WriteData *data = task_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  g_mutex_lock (&self->write_lock);
  if (data->edit > self->written_edit)
    {
      ok = sy_config_save (data->config, &error);
      if (ok)
        self->written_edit = data->edit;
    }
  g_mutex_unlock (&self->write_lock);

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
write_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SyServices *self = SY_SERVICES (source);
  g_autoptr(GTask) task = user_data;
  WriteData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Only the newest edit is put in force; an older one finishing late is not. */
  if (data->edit == self->edits)
    {
      g_set_object (&self->config, data->config);
      sy_endpoint_set_config (self->endpoint, data->config);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONFIG]);
    }
  g_task_return_boolean (task, TRUE);
}

void
sy_services_update_config_async (SyServices          *self,
                                 JsonObject          *root,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SyConfig) config = NULL;
  WriteData *data;

  g_return_if_fail (SY_IS_SERVICES (self));
  g_return_if_fail (root != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_services_update_config_async);

  config = sy_config_new_from_root (sy_config_get_path (self->config), self->catalog, root, &error);
  if (config == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  data = g_new0 (WriteData, 1);
  data->config = g_steal_pointer (&config);
  data->edit = ++self->edits;
  /* The worker task is not cancellable: an edit the user made is written. */
  worker = g_task_new (self, NULL, write_done, g_steal_pointer (&task));
  g_task_set_task_data (worker, data, (GDestroyNotify) write_data_free);
  g_task_run_in_thread (worker, write_worker);
}

gboolean
sy_services_update_config_finish (SyServices    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
