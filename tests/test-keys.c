/* test-keys.c — SyKeys against a real gnome-keyring-daemon, and without any Secret Service.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#define G_LOG_DOMAIN "test-keys"

#include <libsecret/secret.h>
#include <string.h>

#include "sy-keys.h"
#include "sy-test-util.h"

#define KEY_ENV     "SY_TEST_KEY_ENV"
#define DEFAULT_ENV "SY_TEST_DEFAULT_ENV"

/* Written out again rather than shared with sy-keys.c: the test pins the on-disk
 * contract (schema name and attribute) that other tools and older versions rely on. */
static const SecretSchema test_schema = {
  "io.github.switchyard.Switchyard.Key", SECRET_SCHEMA_NONE,
  {
    { "provider", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

static char *
lookup (SyKeys       *keys,
        const char   *provider_id,
        GCancellable *cancellable,
        SyKeySource  *source,
        GError      **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  sy_keys_lookup_async (keys, provider_id, KEY_ENV, DEFAULT_ENV, cancellable, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  return sy_keys_lookup_finish (keys, result, source, error);
}

static void
assert_lookup (SyKeys      *keys,
               const char  *provider_id,
               const char  *expected,
               SyKeySource  expected_source)
{
  g_autoptr(GError) error = NULL;
  SyKeySource source = -1;
  char *secret;

  secret = lookup (keys, provider_id, NULL, &source, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, expected);
  g_assert_cmpint (source, ==, expected_source);
  sy_keys_free_secret (secret);
}

static void
clean_env (void)
{
  g_unsetenv (KEY_ENV);
  g_unsetenv (DEFAULT_ENV);
}

/* What another client of the Secret Service sees. Async on this thread's context: the
 * _sync calls of libsecret 0.20.5 leave item proxies on a private context that is never
 * iterated again, and secret_password_lookup_sync leaks the reply (fixed in 0.21.2). */
static GList *
search_items (const char *provider_id)
{
  g_autoptr(GHashTable) query = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;
  GList *items;

  query = secret_attributes_build (&test_schema, "provider", provider_id, NULL);
  secret_service_search (NULL, &test_schema, query,
                         SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS | SECRET_SEARCH_UNLOCK,
                         NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  items = secret_service_search_finish (NULL, result, &error);
  g_assert_no_error (error);
  return items;
}

static void
test_store_lookup_clear (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autolist(SecretItem) items = NULL;
  g_autolist(SecretItem) none = NULL;
  g_autoptr(GHashTable) attributes = NULL;
  g_autoptr(SecretValue) value = NULL;
  g_autofree char *label = NULL;

  clean_env ();
  sy_test_keys_store (keys, "test-basic", "sk-basic-1");
  assert_lookup (keys, "test-basic", "sk-basic-1", SY_KEY_SOURCE_KEYRING);

  items = search_items ("test-basic");
  g_assert_cmpuint (g_list_length (items), ==, 1);
  value = secret_item_get_secret (items->data);
  g_assert_nonnull (value);
  g_assert_cmpstr (secret_value_get_text (value), ==, "sk-basic-1");
  g_assert_cmpstr (secret_value_get_content_type (value), ==, "text/plain");
  label = secret_item_get_label (items->data);
  g_assert_cmpstr (label, ==, "Switchyard key for test-basic");
  attributes = secret_item_get_attributes (items->data);
  g_assert_cmpuint (g_hash_table_size (attributes), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (attributes, "provider"), ==, "test-basic");
  g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==,
                   "io.github.switchyard.Switchyard.Key");

  /* Storing again replaces the item rather than adding one. */
  sy_test_keys_store (keys, "test-basic", "sk-basic-2");
  g_list_free_full (g_steal_pointer (&items), g_object_unref);
  items = search_items ("test-basic");
  g_assert_cmpuint (g_list_length (items), ==, 1);

  sy_test_keys_clear (keys, "test-basic");
  none = search_items ("test-basic");
  g_assert_null (none);

  /* Clearing what is not there is not an error. */
  sy_test_keys_clear (keys, "test-basic");

  g_setenv (KEY_ENV, "sk-from-key-env", TRUE);
  g_setenv (DEFAULT_ENV, "sk-from-default-env", TRUE);
  assert_lookup (keys, "test-basic", "sk-from-key-env", SY_KEY_SOURCE_KEY_ENV);

  g_unsetenv (KEY_ENV);
  assert_lookup (keys, "test-basic", "sk-from-default-env", SY_KEY_SOURCE_DEFAULT_ENV);

  /* Empty counts as missing. */
  g_setenv (KEY_ENV, "", TRUE);
  assert_lookup (keys, "test-basic", "sk-from-default-env", SY_KEY_SOURCE_DEFAULT_ENV);
  g_setenv (DEFAULT_ENV, "", TRUE);
  assert_lookup (keys, "test-basic", NULL, SY_KEY_SOURCE_NONE);

  clean_env ();
  assert_lookup (keys, "test-basic", NULL, SY_KEY_SOURCE_NONE);
}

static void
test_keyring_wins (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();

  g_setenv (KEY_ENV, "sk-from-key-env", TRUE);
  g_setenv (DEFAULT_ENV, "sk-from-default-env", TRUE);
  sy_test_keys_store (keys, "test-wins", "sk-keyring");
  assert_lookup (keys, "test-wins", "sk-keyring", SY_KEY_SOURCE_KEYRING);
  sy_test_keys_clear (keys, "test-wins");
  assert_lookup (keys, "test-wins", "sk-from-key-env", SY_KEY_SOURCE_KEY_ENV);
  clean_env ();
}

static gint64
timed_lookup (SyKeys     *keys,
              const char *provider_id,
              const char *expected)
{
  gint64 start = g_get_monotonic_time ();

  assert_lookup (keys, provider_id, expected, SY_KEY_SOURCE_KEYRING);
  return g_get_monotonic_time () - start;
}

static void
test_cache (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(GError) error = NULL;
  gint64 uncached = 0, cached = 0;
  const int rounds = 20;

  clean_env ();
  sy_test_keys_store (keys, "test-cache", "sk-v1");
  assert_lookup (keys, "test-cache", "sk-v1", SY_KEY_SOURCE_KEYRING);

  /* A store through SyKeys is seen at once. */
  sy_test_keys_store (keys, "test-cache", "sk-v2");
  assert_lookup (keys, "test-cache", "sk-v2", SY_KEY_SOURCE_KEYRING);

  /* A change behind our back is not seen until the cache is dropped... */
  secret_password_store_sync (&test_schema, SECRET_COLLECTION_DEFAULT, "changed elsewhere",
                              "sk-v3", NULL, &error, "provider", "test-cache", NULL);
  g_assert_no_error (error);
  assert_lookup (keys, "test-cache", "sk-v2", SY_KEY_SOURCE_KEYRING);

  sy_keys_invalidate (keys, "test-cache");
  assert_lookup (keys, "test-cache", "sk-v3", SY_KEY_SOURCE_KEYRING);

  /* ...or entirely. */
  secret_password_store_sync (&test_schema, SECRET_COLLECTION_DEFAULT, "changed elsewhere",
                              "sk-v4", NULL, &error, "provider", "test-cache", NULL);
  g_assert_no_error (error);
  sy_keys_invalidate (keys, NULL);
  assert_lookup (keys, "test-cache", "sk-v4", SY_KEY_SOURCE_KEYRING);

  for (int i = 0; i < rounds; i++)
    {
      sy_keys_invalidate (keys, "test-cache");
      uncached += timed_lookup (keys, "test-cache", "sk-v4");
      cached += timed_lookup (keys, "test-cache", "sk-v4");
    }
  g_test_message ("lookup latency: uncached %.3f ms, cached %.3f ms (mean of %d)",
                  uncached / (double) rounds / 1000.0, cached / (double) rounds / 1000.0,
                  rounds);
  g_assert_cmpint (cached, <, uncached);

  /* A negative answer is cached too, and dropped by a clear or a store. */
  sy_test_keys_clear (keys, "test-cache");
  assert_lookup (keys, "test-cache", NULL, SY_KEY_SOURCE_NONE);
  secret_password_store_sync (&test_schema, SECRET_COLLECTION_DEFAULT, "changed elsewhere",
                              "sk-v5", NULL, &error, "provider", "test-cache", NULL);
  g_assert_no_error (error);
  assert_lookup (keys, "test-cache", NULL, SY_KEY_SOURCE_NONE);
  sy_test_keys_store (keys, "test-cache", "sk-v6");
  assert_lookup (keys, "test-cache", "sk-v6", SY_KEY_SOURCE_KEYRING);
  sy_test_keys_clear (keys, "test-cache");
}

static void
test_cancelled (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  SyKeySource source = -1;
  char *secret;

  clean_env ();
  sy_test_keys_store (keys, "test-cancel", "sk-cancel");

  g_cancellable_cancel (cancellable);
  secret = lookup (keys, "test-cancel", cancellable, &source, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (secret);
  g_assert_cmpint (source, ==, SY_KEY_SOURCE_NONE);
  g_clear_error (&error);

  /* Cancelled while on the bus (a client that went away): nothing is cached from it. */
  for (int i = 0; i < 5; i++)
    {
      GAsyncResult *slot = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GCancellable) midway = g_cancellable_new ();

      sy_keys_invalidate (keys, "test-cancel");
      sy_keys_lookup_async (keys, "test-cancel", KEY_ENV, DEFAULT_ENV, midway, sy_test_got_result, &slot);
      for (int j = 0; j < i; j++)
        g_main_context_iteration (NULL, FALSE);
      g_cancellable_cancel (midway);
      result = sy_test_wait_result (&slot);
      secret = sy_keys_lookup_finish (keys, result, &source, &error);
      if (error != NULL)
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      else
        g_assert_cmpstr (secret, ==, "sk-cancel");
      g_clear_error (&error);
      sy_keys_free_secret (secret);

      assert_lookup (keys, "test-cancel", "sk-cancel", SY_KEY_SOURCE_KEYRING);
    }

  sy_test_keys_clear (keys, "test-cancel");
}

typedef struct {
  SyKeys       *keys;
  const char   *provider_id;
  const char   *expected;
  int           rounds;
} ThreadJob;

typedef struct {
  GMainContext  *context;
  GThread       *thread;
  GAsyncResult  *result;
} ThreadCallback;

static void
thread_got_result (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ThreadCallback *tc = user_data;

  /* Completed on the worker's own context, in the worker. */
  g_assert_true (g_main_context_get_thread_default () == tc->context);
  g_assert_true (g_main_context_is_owner (tc->context));
  g_assert_true (g_thread_self () == tc->thread);
  tc->result = g_object_ref (result);
}

static gpointer
lookup_thread (gpointer data)
{
  ThreadJob *job = data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);

  for (int i = 0; i < job->rounds; i++)
    {
      ThreadCallback tc = { context, g_thread_self (), NULL };
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      SyKeySource source = -1;
      char *secret;

      /* Every other round misses the cache and goes over D-Bus. */
      if (i % 2 == 0)
        sy_keys_invalidate (job->keys, job->provider_id);

      sy_keys_lookup_async (job->keys, job->provider_id, KEY_ENV, DEFAULT_ENV, NULL,
                            thread_got_result, &tc);
      while (tc.result == NULL)
        g_main_context_iteration (context, TRUE);
      result = g_steal_pointer (&tc.result);

      secret = sy_keys_lookup_finish (job->keys, result, &source, &error);
      g_assert_no_error (error);
      if (job->expected != NULL)
        {
          g_assert_cmpstr (secret, ==, job->expected);
          g_assert_cmpint (source, ==, SY_KEY_SOURCE_KEYRING);
        }
      else
        {
          /* Racing a store: either answer is fine, but it must be one of them. */
          g_assert_true (g_str_has_prefix (secret, "sk-race-"));
        }
      sy_keys_free_secret (secret);
    }

  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
run_thread_lookups (SyKeys     *keys,
                    const char *provider_id,
                    const char *expected)
{
  ThreadJob job = { keys, provider_id, expected, 6 };
  g_autoptr(GThread) thread = NULL;

  /* The main thread sits in g_thread_join: nothing iterates the global default
   * context, so a lookup that depended on it would hang (and meson would time out). */
  thread = g_thread_new ("router", lookup_thread, &job);
  g_thread_join (g_steal_pointer (&thread));
}

static void
test_thread_context (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();

  clean_env ();
  sy_test_keys_store (keys, "test-thread", "sk-thread");
  run_thread_lookups (keys, "test-thread", "sk-thread");
  sy_test_keys_clear (keys, "test-thread");
}

/* The very first libsecret use of the process happens on the worker thread, as when
 * the router asks for a key before the GUI ever touched the keyring. */
static void
test_thread_first_use (void)
{
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(SyKeys) keys = sy_keys_new ();

      clean_env ();
      run_thread_lookups (keys, "test-first", "sk-first");
      return;
    }

  /* Stored by the parent: the child is a fresh process that has not used libsecret. */
  secret_password_store_sync (&test_schema, SECRET_COLLECTION_DEFAULT, "first use",
                              "sk-first", NULL, &error, "provider", "test-first", NULL);
  g_assert_no_error (error);

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();

  secret_password_clear_sync (&test_schema, NULL, &error, "provider", "test-first", NULL);
  g_assert_no_error (error);
}

/* The GUI stores while the router looks up: values are always whole, never torn. */
static gpointer
store_in_thread (gpointer data)
{
  SyKeys *keys = data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *secret = g_strdup_printf ("sk-race-%d", i);

      sy_test_keys_store (keys, "test-race", secret);
    }
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_concurrent_store (void)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(GThread) storer = NULL;
  ThreadJob job = { keys, "test-race", NULL, 20 };
  g_autoptr(GThread) looker = NULL;

  clean_env ();
  sy_test_keys_store (keys, "test-race", "sk-race-start");
  storer = g_thread_new ("gui", store_in_thread, keys);
  looker = g_thread_new ("router", lookup_thread, &job);
  g_thread_join (g_steal_pointer (&storer));
  g_thread_join (g_steal_pointer (&looker));

  assert_lookup (keys, "test-race", "sk-race-3", SY_KEY_SOURCE_KEYRING);
  sy_test_keys_clear (keys, "test-race");
}

static void
assert_offline_error (SyKeys *keys)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sy_keys_store_async (keys, "test-offline", "sk-must-not-leak", NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  g_assert_false (sy_keys_store_finish (keys, result, &error));
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, "sk-must-not-leak"));
  g_test_message ("store without a keyring: %s", error->message);
  g_clear_object (&result);
  g_clear_error (&error);

  sy_keys_clear_async (keys, "test-offline", NULL, sy_test_got_result, &slot);
  result = sy_test_wait_result (&slot);
  g_assert_false (sy_keys_clear_finish (keys, result, &error));
  g_assert_nonnull (error);
}

/* Looks up without a keyring, twice (the second one after the failure was memoised),
 * and reports the time of each. */
static void
run_offline_lookups (const char *what)
{
  g_autoptr(SyKeys) keys = sy_keys_new ();
  gint64 start, first, second;

  g_setenv (KEY_ENV, "sk-offline-env", TRUE);
  g_unsetenv (DEFAULT_ENV);

  start = g_get_monotonic_time ();
  assert_lookup (keys, "test-offline", "sk-offline-env", SY_KEY_SOURCE_KEY_ENV);
  first = g_get_monotonic_time () - start;

  g_unsetenv (KEY_ENV);
  g_setenv (DEFAULT_ENV, "sk-offline-default", TRUE);
  start = g_get_monotonic_time ();
  assert_lookup (keys, "test-offline-2", "sk-offline-default", SY_KEY_SOURCE_DEFAULT_ENV);
  second = g_get_monotonic_time () - start;

  clean_env ();
  assert_lookup (keys, "test-offline-3", NULL, SY_KEY_SOURCE_NONE);

  /* Printed on stderr: the parent keeps it, and TAP ignores it. */
  g_printerr ("# %s: first lookup %.3f ms, next %.3f ms\n", what,
              first / 1000.0, second / 1000.0);
  g_assert_cmpint (first, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (second, <, 2 * G_USEC_PER_SEC);

  assert_offline_error (keys);
}

static void
test_no_session_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *empty = sy_test_mkdtemp ();

      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
      g_unsetenv ("DISPLAY");
      g_unsetenv ("WAYLAND_DISPLAY");
      g_setenv ("XDG_RUNTIME_DIR", empty, TRUE);
      run_offline_lookups ("no session bus");
      sy_test_rmdir (empty);
      return;
    }

  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

/* An address that leads nowhere: the bus died, or a stale variable. */
static void
test_dead_session_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autofree char *empty = sy_test_mkdtemp ();
      g_autofree char *address = g_strdup_printf ("unix:path=%s/gone", empty);

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
      g_unsetenv ("DISPLAY");
      g_setenv ("XDG_RUNTIME_DIR", empty, TRUE);
      run_offline_lookups ("dead session bus");
      sy_test_rmdir (empty);
      return;
    }

  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_how_to_add (void)
{
  g_autofree char *with_env = NULL;
  g_autofree char *without_env = NULL;

  g_setenv ("OPENAI_API_KEY", "sk-secret-in-env", TRUE);
  with_env = sy_keys_how_to_add ("openai", "OPENAI_API_KEY");
  without_env = sy_keys_how_to_add ("local", NULL);
  g_unsetenv ("OPENAI_API_KEY");

  g_assert_nonnull (strstr (with_env, "'openai'"));
  g_assert_nonnull (strstr (with_env, "OPENAI_API_KEY"));
  g_assert_nonnull (strstr (with_env, "keyring"));
  g_assert_null (strstr (with_env, "sk-secret-in-env"));

  g_assert_nonnull (strstr (without_env, "'local'"));
  g_assert_null (strstr (without_env, "set "));
  g_assert_null (strstr (without_env, "(null)"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/keys/how-to-add", test_how_to_add);
  g_test_add_func ("/keys/no-session-bus", test_no_session_bus);
  g_test_add_func ("/keys/dead-session-bus", test_dead_session_bus);
  g_test_add_func ("/keys/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/keys/keyring-wins", test_keyring_wins);
  g_test_add_func ("/keys/cache", test_cache);
  g_test_add_func ("/keys/cancelled", test_cancelled);
  g_test_add_func ("/keys/thread-context", test_thread_context);
  g_test_add_func ("/keys/thread-first-use", test_thread_first_use);
  g_test_add_func ("/keys/concurrent-store", test_concurrent_store);

  return g_test_run ();
}
