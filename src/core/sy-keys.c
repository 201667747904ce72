/* sy-keys.c — provider keys: the Secret Service through libsecret, then the environment.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#define G_LOG_DOMAIN "sy-keys"

#include "sy-keys.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Both the keyring's answers (a key or "none") and "no Secret Service" are remembered
 * this long, so the request path costs no D-Bus round trip per request. */
#define CACHE_TTL_USEC   (30 * G_USEC_PER_SEC)
#define OFFLINE_TTL_USEC (30 * G_USEC_PER_SEC)

static const SecretSchema key_schema = {
  "io.github.switchyard.Switchyard.Key", SECRET_SCHEMA_NONE,
  {
    { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

typedef struct {
  char   *secret;   /* NULL: the keyring has no key for this provider */
  gint64  expires;
} CacheEntry;

struct _SyKeys
{
  GObject parent_instance;

  /* state, all under lock: the router thread looks up while the GUI stores */
  GMutex      lock;
  GHashTable *cache;         /* provider id → CacheEntry */
  guint64     generation;    /* bumped by every invalidation */
  gint64      offline_until; /* monotonic; no Secret Service until then */
};

G_DEFINE_FINAL_TYPE (SyKeys, sy_keys, G_TYPE_OBJECT)

typedef struct {
  char        *provider_id;
  char        *key_env;
  char        *default_env;
  guint64      generation;
  SyKeySource  source;
} LookupData;

void
sy_keys_free_secret (char *secret)
{
  if (secret == NULL)
    return;

  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
cache_entry_free (gpointer data)
{
  CacheEntry *entry = data;

  sy_keys_free_secret (entry->secret);
  g_free (entry);
}

static void
lookup_data_free (gpointer data)
{
  LookupData *ld = data;

  g_free (ld->provider_id);
  g_free (ld->key_env);
  g_free (ld->default_env);
  g_free (ld);
}

static void
sy_keys_finalize (GObject *object)
{
  SyKeys *self = SY_KEYS (object);

  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sy_keys_parent_class)->finalize (object);
}

static void
sy_keys_class_init (SyKeysClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sy_keys_finalize;
}

static void
sy_keys_init (SyKeys *self)
{
  g_mutex_init (&self->lock);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_entry_free);
}

SyKeys *
sy_keys_new (void)
{
  return g_object_new (SY_TYPE_KEYS, NULL);
}

/* Without DBUS_SESSION_BUS_ADDRESS or the $XDG_RUNTIME_DIR/bus socket, GDBus would
 * try to autolaunch a bus (dbus-launch, which needs X11): spawning it for nothing on
 * every lookup is slow, so no bus address means no keyring. Mirrors the order of
 * g_dbus_address_get_for_bus_sync (). */
static gboolean
session_bus_reachable (void)
{
  const char *address = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
  const char *runtime_dir;
  g_autofree char *socket_path = NULL;
  GStatBuf buf;

  if (address != NULL && *address != '\0')
    return TRUE;

  runtime_dir = g_getenv ("XDG_RUNTIME_DIR");
  if (runtime_dir == NULL || *runtime_dir == '\0')
    return FALSE;

  socket_path = g_build_filename (runtime_dir, "bus", NULL);
  return g_stat (socket_path, &buf) == 0 && buf.st_uid == getuid () && S_ISSOCK (buf.st_mode);
}

/* Errors of the keyring itself (locked, no such object) are per item; anything else
 * (no bus, no service, bus gone, timeouts) means the Secret Service is out of reach. */
static gboolean
error_means_offline (const GError *error)
{
  return error->domain != SECRET_ERROR
         && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static gboolean
keyring_offline (SyKeys *self)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->offline_until > g_get_monotonic_time ())
    return TRUE;

  if (!session_bus_reachable ())
    {
      g_debug ("No D-Bus session bus: keys come from the environment only");
      self->offline_until = g_get_monotonic_time () + OFFLINE_TTL_USEC;
      return TRUE;
    }

  return FALSE;
}

static void
mark_offline (SyKeys       *self,
              const GError *error)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  /* libsecret and GDBus messages never carry a secret */
  g_debug ("Secret Service unavailable, using the environment: %s", error->message);
  self->offline_until = g_get_monotonic_time () + OFFLINE_TTL_USEC;
}

static void
mark_online (SyKeys *self)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  self->offline_until = 0;
}

static GError *
offline_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                              _("The system keyring is not available (no Secret Service "
                                "is running on the session bus)"));
}

/* Looks the provider up in the cache. Returns TRUE on a fresh hit, with a copy of the
 * cached secret (or NULL: the keyring has none) in @secret. */
static gboolean
cache_get (SyKeys      *self,
           const char  *provider_id,
           char       **secret,
           guint64     *generation)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  CacheEntry *entry;

  *secret = NULL;
  *generation = self->generation;

  entry = g_hash_table_lookup (self->cache, provider_id);
  if (entry == NULL)
    return FALSE;

  if (entry->expires <= g_get_monotonic_time ())
    {
      g_hash_table_remove (self->cache, provider_id);
      return FALSE;
    }

  *secret = g_strdup (entry->secret);
  return TRUE;
}

static void
cache_put (SyKeys     *self,
           const char *provider_id,
           const char *secret,
           guint64     generation)
{
  G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  CacheEntry *entry;

  /* A store or clear finished while this lookup was in flight: its answer is stale. */
  if (generation != self->generation)
    return;

  entry = g_new0 (CacheEntry, 1);
  entry->secret = g_strdup (secret);
  entry->expires = g_get_monotonic_time () + CACHE_TTL_USEC;
  g_hash_table_replace (self->cache, g_strdup (provider_id), entry);
}

void
sy_keys_invalidate (SyKeys     *self,
                    const char *provider_id)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_if_fail (SY_IS_KEYS (self));

  locker = g_mutex_locker_new (&self->lock);
  self->generation++;

  if (provider_id != NULL)
    {
      g_hash_table_remove (self->cache, provider_id);
    }
  else
    {
      g_hash_table_remove_all (self->cache);
      self->offline_until = 0;
    }
}

static char *
env_value (const char *name)
{
  const char *value;

  if (name == NULL || *name == '\0')
    return NULL;

  value = g_getenv (name);
  if (value == NULL || *value == '\0')
    return NULL;

  return g_strdup (value);
}

/* Finishes a lookup: the keyring's answer if any, else the environment. */
/* The keyring's answer (adopted, may be NULL), else the environment. */
static char *
with_env_fallback (char        *keyring_secret,
                   const char  *key_env,
                   const char  *default_env,
                   SyKeySource *source)
{
  char *secret = keyring_secret;

  *source = SY_KEY_SOURCE_KEYRING;
  if (secret == NULL)
    {
      *source = SY_KEY_SOURCE_KEY_ENV;
      secret = env_value (key_env);
    }
  if (secret == NULL)
    {
      *source = SY_KEY_SOURCE_DEFAULT_ENV;
      secret = env_value (default_env);
    }
  if (secret == NULL)
    *source = SY_KEY_SOURCE_NONE;
  return secret;
}

static void
lookup_return (GTask *task,
               char  *keyring_secret)
{
  LookupData *ld = g_task_get_task_data (task);
  char *secret = with_env_fallback (keyring_secret, ld->key_env, ld->default_env, &ld->source);

  g_task_return_pointer (task, secret, (GDestroyNotify) sy_keys_free_secret);
}

gboolean
sy_keys_lookup_cached (SyKeys       *self,
                       const char   *provider_id,
                       const char   *key_env,
                       const char   *default_env,
                       char        **secret_out,
                       SyKeySource  *source_out)
{
  SyKeySource source;
  guint64 generation;
  char *cached = NULL;

  g_return_val_if_fail (SY_IS_KEYS (self), FALSE);
  g_return_val_if_fail (provider_id != NULL && secret_out != NULL, FALSE);

  if (!cache_get (self, provider_id, &cached, &generation) && !keyring_offline (self))
    return FALSE;

  *secret_out = with_env_fallback (cached, key_env, default_env, &source);
  if (source_out != NULL)
    *source_out = source;
  return TRUE;
}

/* Inside a Flatpak sandbox there is no Secret Service to talk to: libsecret's
 * password API stores keys in a file encrypted with a key from the Secret
 * portal. Outside, the search API talks to the service (see sy_keys_lookup_async
 * for why not the password API there). */
static gboolean
in_sandbox (void)
{
  static gsize sandboxed = 0;

  if (g_once_init_enter (&sandboxed))
    g_once_init_leave (&sandboxed, g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS) ? 2 : 1);
  return sandboxed == 2;
}

static void lookup_done (GTask *task, char *secret, GError *error);

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autolist(SecretItem) items = NULL;
  char *secret = NULL;

  items = secret_service_search_finish (NULL, result, &error);
  if (items != NULL)
    {
      g_autoptr(SecretValue) value = secret_item_get_secret (items->data);

      /* NULL when the item stayed locked (the unlock prompt was dismissed) */
      if (value != NULL)
        secret = g_strdup (secret_value_get_text (value));
    }
  lookup_done (task, secret, error);
}

static void
password_lookup_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *found = secret_password_lookup_finish (result, &error);
  char *secret = g_strdup (found);

  secret_password_free (found);
  lookup_done (task, secret, error);
}

/* Takes @secret; @error may be NULL. */
static void
lookup_done (GTask  *task,
             char   *secret,
             GError *error)
{
  SyKeys *self = g_task_get_source_object (task);
  LookupData *ld = g_task_get_task_data (task);

  /* libsecret ignores errors while loading secrets, cancellation included: without
   * this a cancelled lookup would be cached as "no key". */
  if (g_task_return_error_if_cancelled (task))
    {
      sy_keys_free_secret (secret);
      return;
    }

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          sy_keys_free_secret (secret);
          g_task_return_error (task, g_error_copy (error));
          return;
        }

      if (error_means_offline (error))
        mark_offline (self, error);
      else
        g_debug ("Keyring lookup for provider '%s' failed: %s",
                 ld->provider_id, error->message);
    }

  /* A per-item error is remembered as "no key" too, so a locked keyring whose unlock
   * prompt was dismissed does not prompt again on every request. */
  if (error == NULL || !error_means_offline (error))
    cache_put (self, ld->provider_id, secret, ld->generation);

  lookup_return (task, secret);
}

void
sy_keys_lookup_async (SyKeys              *self,
                      const char          *provider_id,
                      const char          *key_env,
                      const char          *default_env,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  LookupData *ld;
  char *cached = NULL;

  g_return_if_fail (SY_IS_KEYS (self));
  g_return_if_fail (provider_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_keys_lookup_async);

  ld = g_new0 (LookupData, 1);
  ld->provider_id = g_strdup (provider_id);
  ld->key_env = g_strdup (key_env);
  ld->default_env = g_strdup (default_env);
  g_task_set_task_data (task, ld, lookup_data_free);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (cache_get (self, provider_id, &cached, &ld->generation))
    {
      lookup_return (task, cached);
      return;
    }

  if (keyring_offline (self))
    {
      lookup_return (task, NULL);
      return;
    }

  attributes = secret_attributes_build (&key_schema, "provider", provider_id, NULL);

  /* Not secret_password_lookup (): in libsecret 0.20.5 (Debian 12) it leaks the
   * GetSecrets reply on every call (fixed upstream in 0.21.2, commit 92705b5). A
   * search that loads the secret takes another path with the same result.
   * libsecret completes on the thread-default main context of this call: the
   * router's own context when called from its thread. */
  if (in_sandbox ())
    secret_password_lookupv (&key_schema, attributes, cancellable, password_lookup_cb,
                             g_steal_pointer (&task));
  else
    secret_service_search (NULL, &key_schema, attributes,
                           SECRET_SEARCH_UNLOCK | SECRET_SEARCH_LOAD_SECRETS,
                           cancellable, lookup_cb, g_steal_pointer (&task));
}

char *
sy_keys_lookup_finish (SyKeys        *self,
                       GAsyncResult  *result,
                       SyKeySource   *source,
                       GError       **error)
{
  char *secret;

  g_return_val_if_fail (SY_IS_KEYS (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sy_keys_lookup_async, NULL);

  secret = g_task_propagate_pointer (G_TASK (result), error);

  if (source != NULL)
    {
      LookupData *ld = g_task_get_task_data (G_TASK (result));

      *source = secret != NULL ? ld->source : SY_KEY_SOURCE_NONE;
    }

  return secret;
}

/* After a store or a clear. The cache entry goes whatever happened (a failed write
 * may still have changed the item); an error says when the keyring is out of reach.
 * Takes @error. */
static void
return_write (GTask  *task,
              GError *error)
{
  SyKeys *self = g_task_get_source_object (task);

  sy_keys_invalidate (self, g_task_get_task_data (task));
  if (error != NULL)
    {
      if (error_means_offline (error))
        {
          mark_offline (self, error);
          g_prefix_error (&error, "%s: ", _("The system keyring is not available"));
        }
      g_task_return_error (task, error);
      return;
    }

  mark_online (self);
  g_task_return_boolean (task, TRUE);
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_store_finish (result, &error);
  return_write (task, error);
}

void
sy_keys_store_async (SyKeys              *self,
                     const char          *provider_id,
                     const char          *secret,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (SY_IS_KEYS (self));
  g_return_if_fail (provider_id != NULL);
  g_return_if_fail (secret != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_keys_store_async);
  g_task_set_task_data (task, g_strdup (provider_id), g_free);

  /* The user asked to use the keyring: try again even if it was out of reach. */
  if (!session_bus_reachable ())
    {
      g_task_return_error (task, offline_error ());
      return;
    }

  label = g_strdup_printf (_("Switchyard key for %s"), provider_id);

  /* libsecret copies the secret before this returns. */
  secret_password_store (&key_schema, SECRET_COLLECTION_DEFAULT, label, secret,
                         cancellable, store_cb, g_steal_pointer (&task),
                         "provider", provider_id,
                         NULL);
}

gboolean
sy_keys_store_finish (SyKeys        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (SY_IS_KEYS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sy_keys_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error means there was nothing to remove: that is success. */
  secret_password_clear_finish (result, &error);
  return_write (task, error);
}

void
sy_keys_clear_async (SyKeys              *self,
                     const char          *provider_id,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (SY_IS_KEYS (self));
  g_return_if_fail (provider_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_keys_clear_async);
  g_task_set_task_data (task, g_strdup (provider_id), g_free);

  if (!session_bus_reachable ())
    {
      g_task_return_error (task, offline_error ());
      return;
    }

  secret_password_clear (&key_schema, cancellable, clear_cb, g_steal_pointer (&task),
                         "provider", provider_id,
                         NULL);
}

gboolean
sy_keys_clear_finish (SyKeys        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (SY_IS_KEYS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sy_keys_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
check_keyring_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autolist(SecretItem) items = NULL;
  SyKeys *self = g_task_get_source_object (task);

  items = secret_service_search_finish (NULL, result, &error);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (error != NULL && error_means_offline (error))
    {
      mark_offline (self, error);
      g_task_return_boolean (task, FALSE);
      return;
    }

  /* A per-item error still means the service answered. */
  mark_online (self);
  g_task_return_boolean (task, TRUE);
}

void
sy_keys_check_keyring_async (SyKeys              *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attributes = NULL;

  g_return_if_fail (SY_IS_KEYS (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, sy_keys_check_keyring_async);

  /* The portal's file backend is always there. */
  if (in_sandbox ())
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!session_bus_reachable ())
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  /* Getting the service only builds a proxy, which succeeds with nobody behind it:
   * a search without unlocking or loading secrets is the cheapest real call. */
  attributes = g_hash_table_new (g_str_hash, g_str_equal);
  secret_service_search (NULL, &key_schema, attributes, SECRET_SEARCH_NONE,
                         cancellable, check_keyring_cb, g_steal_pointer (&task));
}

gboolean
sy_keys_check_keyring_finish (SyKeys        *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (SY_IS_KEYS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == sy_keys_check_keyring_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
sy_keys_how_to_add (const char *provider_id,
                    const char *default_env)
{
  g_return_val_if_fail (provider_id != NULL, NULL);

  if (default_env != NULL && *default_env != '\0')
    /* Translators: the first %s is a provider id, the second an environment variable */
    return g_strdup_printf (_("No API key for provider '%s': add one in Switchyard's "
                              "Providers page (kept in the system keyring) or set %s."),
                            provider_id, default_env);

  /* Translators: %s is a provider id */
  return g_strdup_printf (_("No API key for provider '%s': add one in Switchyard's "
                            "Providers page (kept in the system keyring)."),
                          provider_id);
}
