/* sy-keys.h — provider keys: the Secret Service through libsecret, then the environment.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  SY_KEY_SOURCE_NONE,
  SY_KEY_SOURCE_KEYRING,
  SY_KEY_SOURCE_KEY_ENV,      /* the provider's configured key_env */
  SY_KEY_SOURCE_DEFAULT_ENV,  /* the provider's usual variable */
} SyKeySource;

#define SY_TYPE_KEYS (sy_keys_get_type ())
G_DECLARE_FINAL_TYPE (SyKeys, sy_keys, SY, KEYS, GObject)

SyKeys   *sy_keys_new                (void);

/* Lookup order: keyring (schema io.github.switchyard.Switchyard.Key, attribute
 * provider=@provider_id), then $@key_env, then $@default_env (either may be NULL).
 * Results are cached in memory for a short time so the request path does not do a
 * D-Bus round trip per request. No Secret Service is not an error: the lookup goes on
 * to the environment. Finishes with NULL (no error) when no key is found. */
void      sy_keys_lookup_async       (SyKeys              *self,
                                      const char          *provider_id,
                                      const char          *key_env,
                                      const char          *default_env,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char     *sy_keys_lookup_finish      (SyKeys              *self,
                                      GAsyncResult        *result,
                                      SyKeySource         *source,
                                      GError             **error);

/* The same answer as sy_keys_lookup_async () when it needs no D-Bus round trip
 * (cached, or no Secret Service): returns TRUE and sets @secret_out (NULL when there
 * is no key; free with sy_keys_free_secret ()). FALSE: use the async lookup. */
gboolean  sy_keys_lookup_cached      (SyKeys              *self,
                                      const char          *provider_id,
                                      const char          *key_env,
                                      const char          *default_env,
                                      char               **secret_out,
                                      SyKeySource         *source_out);

void      sy_keys_store_async        (SyKeys              *self,
                                      const char          *provider_id,
                                      const char          *secret,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  sy_keys_store_finish       (SyKeys              *self,
                                      GAsyncResult        *result,
                                      GError             **error);

void      sy_keys_clear_async        (SyKeys              *self,
                                      const char          *provider_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean  sy_keys_clear_finish       (SyKeys              *self,
                                      GAsyncResult        *result,
                                      GError             **error);

/* Drops the in-memory cache (after store/clear it is dropped for that provider).
 * A NULL @provider_id drops every entry and forgets that the keyring was out of reach. */
void      sy_keys_invalidate         (SyKeys              *self,
                                      const char          *provider_id);

/* Whether the Secret Service answers on the session bus: one round trip, so the
 * GUI can tell the user why keys cannot be stored. Finishes with FALSE (no error)
 * when it is out of reach, and lookups then skip it for a while; an error only for
 * cancellation. */
void      sy_keys_check_keyring_async  (SyKeys              *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean  sy_keys_check_keyring_finish (SyKeys              *self,
                                        GAsyncResult        *result,
                                        GError             **error);

/* Wipes a secret (as returned by sy_keys_lookup_finish) before freeing it. NULL-safe. */
void      sy_keys_free_secret        (char                *secret);

/* A human sentence telling how to add a key for @provider_id (no secret in it). */
char     *sy_keys_how_to_add         (const char          *provider_id,
                                      const char          *default_env);

G_END_DECLS
