/* test-tls.c — HTTPS to providers: a trusted chain works, an untrusted one is refused.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-test-token"
#define PLAIN "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

static char *dir;
static SyTestProc *mock;

static void
run_openssl (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) "openssl");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (dir, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl %s failed: %s", args[0], err);
}

/* A CA of our own and a certificate it signed for 127.0.0.1: what a self-hosted
 * provider or a company's TLS proxy looks like. */
static void
make_certificates (void)
{
  static const char * const ca[] = {
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
    "-days", "2", "-subj", "/CN=Switchyard Test CA", NULL
  };
  static const char * const csr[] = {
    "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
    "-subj", "/CN=127.0.0.1", NULL
  };
  static const char * const sign[] = {
    "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", NULL
  };
  g_autofree char *ext = g_build_filename (dir, "ext.cnf", NULL);

  g_assert_true (g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n", -1, NULL));
  run_openssl (ca);
  run_openssl (csr);
  run_openssl (sign);
}

static void
test_trusted_by_ca_file (void)
{
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *config = g_strdup_printf (
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
    " \"providers\":[{\"id\":\"private\",\"kind\":\"openai\",\"base_url\":\"https://127.0.0.1:%u/v1\","
    "                 \"key_env\":\"PRIVATE_KEY\",\"ca_file\":\"%s\"}]}", mock->port, ca);
  const char * const env[] = { "PRIVATE_KEY=sk-private-0000", NULL };
  SyTestProc *serve = sy_test_serve_start (config, NULL, env);
  g_autofree char *body = g_strdup_printf (PLAIN, "private/some-model");
  g_autofree char *streamed = g_strdup_printf ("{\"model\":\"private/some-model\",\"stream\":true,"
                                               "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, body);
  g_autoptr(GPtrArray) events = NULL;
  guint status = 0;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (sy_test_json_string (response->json, "choices.0.message.content"), ==,
                   "Hello from mock. w1 w2");

  events = sy_test_stream (serve->port, TOKEN, streamed, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (g_ptr_array_index (events, events->len - 1), ==, "[DONE]");

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_untrusted_refused (void)
{
  g_autofree char *config = g_strdup_printf (
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\"},"
    " \"providers\":[{\"id\":\"private\",\"kind\":\"openai\",\"base_url\":\"https://127.0.0.1:%u/v1\","
    "                 \"key_env\":\"PRIVATE_KEY\"}]}",
    mock->port);
  const char * const env[] = { "PRIVATE_KEY=sk-private-0000", NULL };
  SyTestProc *serve = sy_test_serve_start (config, NULL, env);
  g_autofree char *body = g_strdup_printf (PLAIN, "private/some-model");
  g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, body);
  const char *message = sy_test_json_string (response->json, "error.message");

  /* The system does not trust our CA: a clear 502 naming the fix, no retries. */
  g_assert_cmpuint (response->status, ==, 502);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "TLS"));
  g_assert_nonnull (strstr (message, "ca_file"));
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "x-switchyard-attempts"), ==, "1");

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  dir = sy_test_mkdtemp ();
  make_certificates ();
  cert = g_build_filename (dir, "server.pem", NULL);
  key = g_build_filename (dir, "server.key", NULL);
  {
    const char * const args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
    g_autofree char *saved = g_strdup (g_getenv ("ASAN_OPTIONS"));
    g_autofree char *no_leaks = g_strconcat (saved != NULL ? saved : "", ":detect_leaks=0", NULL);

    /* LeakSanitizer's own tracer crashes at the exit of a process that served TLS
     * through glib-networking. The mock is only the fixture: serve, the code under
     * test, keeps full leak checking. */
    g_setenv ("ASAN_OPTIONS", no_leaks, TRUE);
    mock = sy_test_mock_start (args);
    if (saved != NULL)
      g_setenv ("ASAN_OPTIONS", saved, TRUE);
    else
      g_unsetenv ("ASAN_OPTIONS");
  }

  g_test_add_func ("/tls/trusted-by-ca-file", test_trusted_by_ca_file);
  g_test_add_func ("/tls/untrusted-refused", test_untrusted_refused);

  ret = g_test_run ();

  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  sy_test_rmdir (dir);
  g_free (dir);
  return ret;
}
