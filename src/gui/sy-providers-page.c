/* sy-providers-page.c — the Providers page: keys in the keyring, connection tests, local servers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#include "sy-json.h"
#include "sy-a11y.h"
#include "sy-providers-page.h"
#include "sy-window.h"

#define PROBE_INTERVAL_S   15
#define REQUEST_TIMEOUT_S  15
#define MAX_KEY_LENGTH     4096
#define MAX_MESSAGE_CHARS  200
#define MAX_ID_LENGTH      64

typedef enum {
  LOCAL_CHECKING,
  LOCAL_RUNNING,
  LOCAL_FAILING,      /* something answers there, with an error */
  LOCAL_DOWN,
} LocalState;

typedef struct _ProviderRow ProviderRow;

struct _SyProvidersPage
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkInfoBar          *keyring_bar;
  AdwPreferencesGroup *cloud_group;
  AdwPreferencesGroup *local_group;
  AdwPreferencesGroup *custom_group;
  AdwActionRow        *no_local_row;
  AdwActionRow        *no_custom_row;

  /* owned references */
  SyServices          *services;
  SoupSession         *session;
  GCancellable        *cancellable;
  GHashTable          *rows;            /* provider id → ProviderRow */

  /* state */
  guint                next_serial;
  guint                probe_id;
  gboolean             keyring_checking;
  gboolean             keyring_recheck_asked;
  gboolean             keyring_available;
};

G_DEFINE_FINAL_TYPE (SyProvidersPage, sy_providers_page, ADW_TYPE_BIN)

/* One provider's expander row and the work running for it. Async work holds the
 * page and the row's id and serial, never the row: a row can go while it runs. */
struct _ProviderRow
{
  SyProvidersPage     *page;
  guint                serial;
  SyProvider          *provider;
  char                *name;
  AdwPreferencesGroup *group;
  gboolean             custom;
  gboolean             configured;      /* listed in config "providers" */

  /* widgets: the expander is an owned reference, the rest are its children */
  AdwExpanderRow      *row;
  AdwPasswordEntryRow *key_entry;
  AdwActionRow        *key_row;
  GtkWidget           *remove_key_button;
  AdwActionRow        *test_row;
  GtkWidget           *test_button;
  GtkWidget           *test_spinner;
  GtkWidget           *remove_button;

  /* lookups, tests and probes; not stores, which must finish once asked for */
  GCancellable        *cancellable;

  /* state */
  gboolean             key_known;
  SyKeySource          source;
  char                *masked;
  guint                key_seq;
  gboolean             saving;
  gboolean             testing;
  gboolean             probing;
  LocalState           local_state;
  guint                model_count;
  char                *local_error;
};

typedef struct {
  SyProvidersPage *self;
  char            *id;
  char            *name;
  guint            serial;
  guint            seq;
  gboolean         probe;        /* in the background, not the user's Test */
  char            *key;          /* wiped when freed */
  SoupMessage     *msg;
  gint64           started;
} Op;

typedef struct {
  GBytes *body;
  char   *kind;
  guint   status;
} ParseData;

typedef struct {
  gint64  count;                 /* -1: not a list of models */
  char   *message;               /* the error's own message, as the provider sent it */
} Parsed;

static void check_start   (SyProvidersPage *self,
                           ProviderRow     *row,
                           gboolean         probe);
static void refresh_key   (SyProvidersPage *self,
                           ProviderRow     *row);
static void check_keyring (SyProvidersPage *self);

static Op *
op_new (SyProvidersPage *self,
        ProviderRow     *row)
{
  Op *op = g_new0 (Op, 1);

  op->self = g_object_ref (self);
  if (row != NULL)
    {
      op->id = g_strdup (row->provider->id);
      op->name = g_strdup (row->name);
      op->serial = row->serial;
    }
  return op;
}

static void
op_free (Op *op)
{
  g_object_unref (op->self);
  g_free (op->id);
  g_free (op->name);
  sy_keys_free_secret (op->key);
  g_clear_object (&op->msg);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Op, op_free)

static void
parse_data_free (ParseData *data)
{
  g_bytes_unref (data->body);
  g_free (data->kind);
  g_free (data);
}

static void
parsed_free (Parsed *parsed)
{
  g_free (parsed->message);
  g_free (parsed);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Parsed, parsed_free)

static SyKeys *
page_keys (SyProvidersPage *self)
{
  return sy_services_get_keys (self->services);
}

/* Disposed: async work finishing late touches nothing. */
static gboolean
page_gone (SyProvidersPage *self)
{
  return self->rows == NULL;
}

/* The row an async operation started for, if it is still there. */
static ProviderRow *
op_row (Op *op)
{
  ProviderRow *row;

  if (page_gone (op->self) || op->id == NULL)
    return NULL;
  row = g_hash_table_lookup (op->self->rows, op->id);
  return row != NULL && row->serial == op->serial ? row : NULL;
}

static void
toast (SyProvidersPage *self,
       const char      *message)
{
  sy_window_toast_for (GTK_WIDGET (self), message);
}

/* "sk-…abcd": the vendor prefix, which is no secret, and the last four characters. */
static char *
mask_key (const char *key)
{
  gsize length = strlen (key);
  const char *dash = strchr (key, '-');
  int prefix = 0;

  /* Four characters of a short key give too much away. */
  if (length < 12 || !g_str_is_ascii (key))
    return g_strdup ("…");
  if (dash != NULL && dash - key < 4)
    prefix = dash - key + 1;
  return g_strdup_printf ("%.*s…%s", prefix, key, key + length - 4);
}

/* Providers echo a refused key back, masked their own way ("sk-ab****wxyz") or
 * whole: any word holding its head or tail becomes our mask. Whitespace collapses
 * and long messages are cut. */
static char *
redact (const char *text,
        const char *key)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_auto(GStrv) words = g_strsplit_set (valid, " \t\r\n", -1);
  g_autofree char *masked = NULL;
  g_autofree char *head = NULL;
  const char *tail = NULL;
  GString *out = g_string_new (NULL);
  gsize length = key != NULL ? strlen (key) : 0;

  if (length > 0)
    {
      masked = mask_key (key);
      head = g_strndup (key, MIN (length, 8));
      if (length >= 12)
        tail = key + length - 4;
    }

  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *word = words[i];

      if (*word == '\0')
        continue;
      if (out->len > 0)
        g_string_append_c (out, ' ');
      if (head != NULL && (strstr (word, head) != NULL || (tail != NULL && strstr (word, tail) != NULL)))
        {
          gsize end = strlen (word);

          g_string_append (out, masked);
          /* The sentence goes on: keep its punctuation. */
          while (end > 0 && strchr (".,;:)'\"", word[end - 1]) != NULL)
            end--;
          g_string_append (out, word + end);
        }
      else
        g_string_append (out, word);
    }

  if (g_utf8_strlen (out->str, -1) > MAX_MESSAGE_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (out->str, 0, MAX_MESSAGE_CHARS);

      g_string_assign (out, cut);
      g_string_append (out, "…");
    }
  return g_string_free (out, FALSE);
}

/* Anything else would break the header it goes in. */
static gboolean
key_is_sendable (const char *key)
{
  gsize length = strlen (key);

  if (length == 0 || length > MAX_KEY_LENGTH)
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if (*p < 0x21 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

static JsonObject *
config_entry (SyConfig   *config,
              const char *id)
{
  JsonArray *providers = sy_json_get_array (sy_config_get_root (config), "providers");

  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    {
      JsonObject *entry = sy_json_array_get_object (providers, i);

      if (g_strcmp0 (sy_json_get_string (entry, "id"), id) == 0)
        return entry;
    }
  return NULL;
}

/* The cheap request every kind offers: listing the models costs nothing. */
static char *
models_url (const SyProvider *provider)
{
  if (provider->base_url == NULL || *provider->base_url == '\0')
    return NULL;
  if (g_strcmp0 (provider->kind, "anthropic") == 0)
    return g_strconcat (provider->base_url, "/models?limit=1000", NULL);
  if (g_strcmp0 (provider->kind, "gemini") == 0)
    return g_strconcat (provider->base_url, "/models?pageSize=1000", NULL);
  return g_strconcat (provider->base_url, "/models", NULL);
}

static gboolean
is_local_row (SyProvidersPage *self,
              ProviderRow     *row)
{
  return row->group == self->local_group;
}

static void
update_placeholders (SyProvidersPage *self)
{
  GHashTableIter iter;
  ProviderRow *row;
  gboolean any_local = FALSE;
  gboolean any_custom = FALSE;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    {
      any_local |= is_local_row (self, row) && gtk_widget_get_visible (GTK_WIDGET (row->row));
      any_custom |= row->custom;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->no_local_row), !any_local);
  gtk_widget_set_visible (GTK_WIDGET (self->no_custom_row), !any_custom);
}

static char *
key_source_text (ProviderRow *row)
{
  switch (row->source)
    {
    case SY_KEY_SOURCE_KEYRING:
      return g_strdup (_("Key in the keyring"));
    case SY_KEY_SOURCE_KEY_ENV:
      /* Translators: %s is an environment variable, like OPENAI_API_KEY */
      return g_strdup_printf (_("From $%s"), row->provider->key_env);
    case SY_KEY_SOURCE_DEFAULT_ENV:
      return g_strdup_printf (_("From $%s"), row->provider->default_env);
    case SY_KEY_SOURCE_NONE:
    default:
      return g_strdup (_("No key"));
    }
}

static char *
local_state_text (ProviderRow *row)
{
  switch (row->local_state)
    {
    case LOCAL_RUNNING:
      return g_strdup_printf (ngettext ("Running: %u model", "Running: %u models", row->model_count),
                              row->model_count);
    case LOCAL_FAILING:
      return g_strdup (row->local_error);
    case LOCAL_DOWN:
      return g_strdup (_("Not running"));
    case LOCAL_CHECKING:
    default:
      return g_strdup (_("Looking for it…"));
    }
}

static void
update_row (SyProvidersPage *self,
            ProviderRow     *row)
{
  gboolean has_key = row->key_known && row->source != SY_KEY_SOURCE_NONE;
  g_autofree char *source = key_source_text (row);

  if (is_local_row (self, row))
    {
      g_autofree char *state = local_state_text (row);

      adw_expander_row_set_subtitle (row->row, state);
      /* A preset server shows itself when it runs; one the user configured stays,
       * so that "not running" explains why requests to it fail. */
      gtk_widget_set_visible (GTK_WIDGET (row->row),
                              row->configured ||
                              row->local_state == LOCAL_RUNNING ||
                              row->local_state == LOCAL_FAILING);
    }
  else
    adw_expander_row_set_subtitle (row->row, row->key_known ? source : "");

  gtk_widget_set_visible (GTK_WIDGET (row->key_row), has_key);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->key_row),
                                 has_key && row->source != SY_KEY_SOURCE_KEYRING ? source : _("Stored Key"));
  adw_action_row_set_subtitle (row->key_row, has_key && row->masked != NULL ? row->masked : "");
  gtk_widget_set_visible (row->remove_key_button, row->source == SY_KEY_SOURCE_KEYRING);

  update_placeholders (self);
}

static void
set_test_busy (ProviderRow *row,
               gboolean     busy)
{
  gtk_widget_set_visible (row->test_spinner, busy);
  gtk_spinner_set_spinning (GTK_SPINNER (row->test_spinner), busy);
  gtk_widget_set_sensitive (row->test_button, !busy);
}

/* Tests and probes */

static void
check_finish (SyProvidersPage *self,
              ProviderRow     *row,
              Op              *op,
              gboolean         answered,
              gboolean         works,
              guint            count,
              const char      *text)
{
  if (op->probe)
    row->probing = FALSE;
  else
    {
      row->testing = FALSE;
      set_test_busy (row, FALSE);
      adw_action_row_set_subtitle (row->test_row, text);
      adw_action_row_set_icon_name (row->test_row, works ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
    }

  if (is_local_row (self, row))
    {
      g_clear_pointer (&row->local_error, g_free);
      if (works)
        {
          row->local_state = LOCAL_RUNNING;
          row->model_count = count;
        }
      else if (answered)
        {
          row->local_state = LOCAL_FAILING;
          row->local_error = g_strdup (text);
        }
      else
        row->local_state = LOCAL_DOWN;
      update_row (self, row);
    }
}

static void
parse_worker (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ParseData *data = task_data;
  g_autoptr(Parsed) parsed = g_new0 (Parsed, 1);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object = NULL;
  gsize size = 0;
  const char *text = g_bytes_get_data (data->body, &size);

  parsed->count = -1;
  if (text != NULL && size > 0)
    root = sy_json_parse (text, size, NULL);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);

  if (SOUP_STATUS_IS_SUCCESSFUL (data->status))
    {
      /* Gemini lists under "models"; OpenAI, Anthropic and the compatible ones under "data". */
      JsonArray *list = sy_json_get_array (object, g_strcmp0 (data->kind, "gemini") == 0
                                                   ? "models" : "data");

      if (list != NULL)
        parsed->count = json_array_get_length (list);
    }
  else
    {
      /* {"error":{"message"}} for all three kinds; some compatible servers send
       * {"error":"…"} or FastAPI's {"detail":"…"}. */
      const char *message = sy_json_get_string (sy_json_get_object (object, "error"), "message");

      if (message == NULL)
        message = sy_json_get_string (object, "error");
      if (message == NULL)
        message = sy_json_get_string (object, "message");
      if (message == NULL)
        message = sy_json_get_string (object, "detail");
      parsed->message = g_strdup (message);
    }

  g_task_return_pointer (task, g_steal_pointer (&parsed), (GDestroyNotify) parsed_free);
}

static void
check_parsed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(Parsed) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  ProviderRow *row;
  guint status = soup_message_get_status (op->msg);
  /* "0 ms" reads like a fault; a loopback server can answer that fast. */
  guint ms = MAX (1, (guint) ((g_get_monotonic_time () - op->started) / 1000));

  parsed = g_task_propagate_pointer (G_TASK (result), &error);
  if (parsed == NULL || (row = op_row (op)) == NULL)
    return;

  if (SOUP_STATUS_IS_SUCCESSFUL (status) && parsed->count >= 0)
    {
      guint count = (guint) parsed->count;

      /* Translators: the first %u is a number of models, the second milliseconds */
      text = g_strdup_printf (ngettext ("Works: %u model in %u ms", "Works: %u models in %u ms", count),
                              count, ms);
      check_finish (op->self, row, op, TRUE, TRUE, count, text);
      return;
    }

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    text = g_strdup (_("Answers, but not with a list of models: check the base URL"));
  else
    {
      message = redact (parsed->message != NULL ? parsed->message
                                                : soup_message_get_reason_phrase (op->msg),
                        op->key);
      if (op->key == NULL && (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN))
        /* Translators: %u is an HTTP status, %s the provider's error message */
        text = g_strdup_printf (_("No key: refused (HTTP %u): %s"), status, message);
      else
        /* Translators: %u is an HTTP status, %s the provider's error message */
        text = g_strdup_printf (_("Failed (HTTP %u): %s"), status, message);
    }
  check_finish (op->self, row, op, TRUE, FALSE, 0, text);
}

static void
check_read_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  SyProvidersPage *self;
  ProviderRow *row;
  ParseData *data;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || (row = op_row (op)) == NULL)
    return;

  if (body == NULL)
    {
      g_autofree char *message = redact (error->message, op->key);
      /* Translators: %s says why the connection failed */
      g_autofree char *text = g_strdup_printf (_("Failed: %s"), message);

      check_finish (op->self, row, op, FALSE, FALSE, 0, text);
      return;
    }

  status = soup_message_get_status (op->msg);
  /* Redirects are not followed: the key would go along to wherever they point. */
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      /* Translators: %u is an HTTP status */
      g_autofree char *text = g_strdup_printf (_("Failed (HTTP %u): redirected elsewhere; "
                                                 "check the base URL"), status);

      check_finish (op->self, row, op, TRUE, FALSE, 0, text);
      return;
    }

  data = g_new0 (ParseData, 1);
  data->body = g_steal_pointer (&body);
  data->kind = g_strdup (row->provider->kind);
  data->status = status;
  self = op->self;
  task = g_task_new (self, row->cancellable, check_parsed_cb, g_steal_pointer (&op));
  g_task_set_source_tag (task, check_read_cb);
  g_task_set_task_data (task, data, (GDestroyNotify) parse_data_free);
  g_task_run_in_thread (task, parse_worker);
}

static void
check_key_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;
  SoupSession *session;
  SoupMessage *msg;
  ProviderRow *row;
  const char *kind;

  op->key = sy_keys_lookup_finish (SY_KEYS (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || (row = op_row (op)) == NULL)
    return;

  if (op->key != NULL && !key_is_sendable (op->key))
    {
      check_finish (op->self, row, op, FALSE, FALSE, 0,
                    _("The key holds spaces or other characters that cannot be sent"));
      return;
    }

  url = models_url (row->provider);
  op->msg = url != NULL ? soup_message_new (SOUP_METHOD_GET, url) : NULL;
  if (op->msg == NULL)
    {
      check_finish (op->self, row, op, FALSE, FALSE, 0,
                    _("The base URL is not a valid http or https address"));
      return;
    }
  soup_message_add_flags (op->msg, SOUP_MESSAGE_NO_REDIRECT);

  headers = soup_message_get_request_headers (op->msg);
  kind = row->provider->kind;
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (g_strcmp0 (kind, "anthropic") == 0)
    {
      soup_message_headers_replace (headers, "anthropic-version", "2023-06-01");
      if (op->key != NULL)
        soup_message_headers_replace (headers, "x-api-key", op->key);
    }
  else if (g_strcmp0 (kind, "gemini") == 0)
    {
      /* Never ?key=: URLs end up in logs. */
      if (op->key != NULL)
        soup_message_headers_replace (headers, "x-goog-api-key", op->key);
    }
  else if (op->key != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", op->key, NULL);

      soup_message_headers_replace (headers, "Authorization", bearer);
      explicit_bzero (bearer, strlen (bearer));
    }

  op->started = g_get_monotonic_time ();
  session = op->self->session;
  msg = op->msg;
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, row->cancellable,
                                    check_read_cb, g_steal_pointer (&op));
}

static void
check_start (SyProvidersPage *self,
             ProviderRow     *row,
             gboolean         probe)
{
  Op *op;

  if (probe ? row->probing : row->testing)
    return;

  if (probe)
    row->probing = TRUE;
  else
    {
      row->testing = TRUE;
      set_test_busy (row, TRUE);
      adw_action_row_set_icon_name (row->test_row, NULL);
      adw_action_row_set_subtitle (row->test_row, _("Testing…"));
    }

  op = op_new (self, row);
  op->probe = probe;
  sy_keys_lookup_async (page_keys (self), row->provider->id, row->provider->key_env,
                        row->provider->default_env, row->cancellable, check_key_cb, op);
}

static void
probe_locals (SyProvidersPage *self)
{
  GHashTableIter iter;
  ProviderRow *row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    if (is_local_row (self, row))
      check_start (self, row, TRUE);
}

static gboolean
probe_timeout_cb (gpointer user_data)
{
  probe_locals (user_data);
  return G_SOURCE_CONTINUE;
}

/* Keys */

static void
key_status_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  SyKeySource key_source = SY_KEY_SOURCE_NONE;
  ProviderRow *row;

  op->key = sy_keys_lookup_finish (SY_KEYS (source), result, &key_source, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || (row = op_row (op)) == NULL)
    return;
  /* A store or clear started another lookup since: this answer may be stale. */
  if (op->seq != row->key_seq)
    return;

  row->key_known = TRUE;
  row->source = key_source;
  g_clear_pointer (&row->masked, g_free);
  if (op->key != NULL)
    row->masked = mask_key (op->key);
  update_row (op->self, row);
}

static void
refresh_key (SyProvidersPage *self,
             ProviderRow     *row)
{
  Op *op = op_new (self, row);

  op->seq = ++row->key_seq;
  sy_keys_lookup_async (page_keys (self), row->provider->id, row->provider->key_env,
                        row->provider->default_env, row->cancellable, key_status_cb, op);
}

static void
refresh_all_keys (SyProvidersPage *self)
{
  GHashTableIter iter;
  ProviderRow *row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &row))
    refresh_key (self, row);
}

static void
key_stored_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  ProviderRow *row;

  if (!sy_keys_store_finish (SY_KEYS (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || page_gone (op->self))
        return;
      if ((row = op_row (op)) != NULL)
        row->saving = FALSE;
      /* Translators: %s says why (SyKeys' errors never hold the key) */
      message = g_strdup_printf (_("Could not save the key: %s"), error->message);
      toast (op->self, message);
      check_keyring (op->self);
      return;
    }

  if (page_gone (op->self))
    return;
  op->self->keyring_available = TRUE;
  gtk_info_bar_set_revealed (op->self->keyring_bar, FALSE);
  /* Translators: %s is a provider name */
  message = g_strdup_printf (_("Key for %s saved in the keyring"), op->name);
  toast (op->self, message);
  if ((row = op_row (op)) == NULL)
    return;
  row->saving = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (row->key_entry), "");
  refresh_key (op->self, row);
}

static void
key_applied (ProviderRow *row)
{
  SyProvidersPage *self = row->page;
  char *text;
  Op *op;

  if (row->saving)
    return;

  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row->key_entry))));
  if (*text == '\0')
    {
      sy_keys_free_secret (text);
      return;
    }
  if (!key_is_sendable (text))
    {
      sy_keys_free_secret (text);
      toast (self, _("A key is one line of letters, digits and punctuation, without spaces"));
      return;
    }

  row->saving = TRUE;
  op = op_new (self, row);
  /* The page's cancellable, not the row's: a config edit meanwhile does not drop it. */
  sy_keys_store_async (page_keys (self), row->provider->id, text, self->cancellable,
                       key_stored_cb, op);
  sy_keys_free_secret (text);
}

static void
key_cleared_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  ProviderRow *row;

  if (!sy_keys_clear_finish (SY_KEYS (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not remove the key: %s"), error->message);
      toast (op->self, message);
      check_keyring (op->self);
    }
  else
    {
      /* Translators: %s is a provider name */
      message = g_strdup_printf (_("Key for %s removed from the keyring"), op->name);
      toast (op->self, message);
    }

  if ((row = op_row (op)) != NULL)
    refresh_key (op->self, row);
}

static void
remove_key_clicked (ProviderRow *row)
{
  sy_keys_clear_async (page_keys (row->page), row->provider->id, row->page->cancellable,
                       key_cleared_cb, op_new (row->page, row));
}

static void
test_clicked (ProviderRow *row)
{
  check_start (row->page, row, FALSE);
}

/* Removing a custom provider */

static void
removed_key_cleared_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  /* Without a keyring there was no key to remove either. */
  sy_keys_clear_finish (SY_KEYS (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Translators: %s is a provider name */
  message = g_strdup_printf (_("Removed “%s”"), op->name);
  toast (op->self, message);
}

static void
provider_removed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;

  if (!sy_services_update_config_finish (SY_SERVICES (source), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not remove the provider: %s"), error->message);
      toast (op->self, message);
      return;
    }

  sy_keys_clear_async (page_keys (op->self), op->id, op->self->cancellable,
                       removed_key_cleared_cb, op);
  op = NULL;
}

static void
remove_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  Op *op = user_data;
  g_autoptr(JsonObject) root = NULL;
  JsonArray *providers;
  Op *follow;

  if (g_strcmp0 (response, "remove") != 0)
    return;

  root = sy_services_dup_config_root (op->self->services);
  providers = sy_json_get_array (root, "providers");
  for (guint i = 0; providers != NULL && i < json_array_get_length (providers); i++)
    {
      JsonObject *entry = sy_json_array_get_object (providers, i);

      if (g_strcmp0 (sy_json_get_string (entry, "id"), op->id) == 0)
        {
          json_array_remove_element (providers, i);
          break;
        }
    }

  /* @op goes with the dialog; the follow-up needs its own. */
  follow = op_new (op->self, NULL);
  follow->id = g_strdup (op->id);
  follow->name = g_strdup (op->name);
  sy_services_update_config_async (op->self->services, root, op->self->cancellable,
                                   provider_removed_cb, follow);
}

static void
remove_provider_clicked (ProviderRow *row)
{
  SyProvidersPage *self = row->page;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *heading = NULL;
  AdwMessageDialog *dialog;

  /* Translators: %s is a provider name */
  heading = g_strdup_printf (_("Remove “%s”?"), row->name);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       heading,
                                                       _("Its settings leave the configuration "
                                                         "file and its key leaves the keyring. "
                                                         "Profiles that use it stop finding it.")));
  adw_message_dialog_set_heading_use_markup (dialog, FALSE);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (remove_response_cb),
                         op_new (self, row), (GClosureNotify) (void (*) (void)) op_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Rows */

static void
provider_row_free (ProviderRow *row)
{
  GtkWidget *widgets[] = {
    GTK_WIDGET (row->key_entry), row->remove_key_button, row->test_button, row->remove_button,
  };

  g_cancellable_cancel (row->cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (widgets); i++)
    if (widgets[i] != NULL)
      g_signal_handlers_disconnect_by_data (widgets[i], row);
  g_clear_object (&row->row);
  g_clear_object (&row->cancellable);
  g_clear_pointer (&row->provider, sy_provider_free);
  g_free (row->name);
  g_free (row->masked);
  g_free (row->local_error);
  g_free (row);
}

static void
set_row_names (ProviderRow *row)
{
  g_autofree char *remove_key = NULL;
  g_autofree char *test = NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->row), row->name);
  sy_a11y_name_expander_row (row->row, row->name);
  /* Translators: %s is a provider name */
  remove_key = g_strdup_printf (_("Remove the %s key from the keyring"), row->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->remove_key_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_key, -1);
  /* Translators: %s is a provider name */
  test = g_strdup_printf (_("Test the connection to %s"), row->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->test_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, test, -1);
}

static void
reset_test_row (ProviderRow *row)
{
  const char *url = row->provider->base_url;

  adw_action_row_set_icon_name (row->test_row, NULL);
  adw_action_row_set_subtitle (row->test_row,
                               url != NULL && *url != '\0' ? url : _("No base URL set"));
}

static GtkWidget *
new_action_row (const char *title)
{
  GtkWidget *row = adw_action_row_new ();

  /* Names, URLs and providers' error messages are text, not Pango markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (title != NULL)
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  return row;
}

static ProviderRow *
add_row (SyProvidersPage     *self,
         SyProvider          *provider,
         const char          *name,
         AdwPreferencesGroup *group,
         gboolean             custom)
{
  ProviderRow *row = g_new0 (ProviderRow, 1);
  GtkWidget *widget;

  row->page = self;
  row->serial = ++self->next_serial;
  row->provider = provider;
  row->name = g_strdup (name);
  row->group = group;
  row->custom = custom;
  row->cancellable = g_cancellable_new ();
  row->local_state = LOCAL_CHECKING;

  row->row = g_object_ref_sink (ADW_EXPANDER_ROW (adw_expander_row_new ()));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row->row), FALSE);

  widget = adw_password_entry_row_new ();
  row->key_entry = ADW_PASSWORD_ENTRY_ROW (widget);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (widget), _("API Key"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (widget), TRUE);
  sy_a11y_name_entry_buttons (ADW_ENTRY_ROW (widget));
  g_signal_connect_swapped (widget, "apply", G_CALLBACK (key_applied), row);
  adw_expander_row_add_row (row->row, widget);

  row->key_row = ADW_ACTION_ROW (new_action_row (_("Stored Key")));
  row->remove_key_button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (row->remove_key_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (row->remove_key_button, "flat");
  gtk_widget_set_tooltip_text (row->remove_key_button, _("Remove Key"));
  g_signal_connect_swapped (row->remove_key_button, "clicked", G_CALLBACK (remove_key_clicked), row);
  adw_action_row_add_suffix (row->key_row, row->remove_key_button);
  gtk_widget_set_visible (GTK_WIDGET (row->key_row), FALSE);
  adw_expander_row_add_row (row->row, GTK_WIDGET (row->key_row));

  row->test_row = ADW_ACTION_ROW (new_action_row (_("Connection")));
  row->test_spinner = gtk_spinner_new ();
  gtk_widget_set_visible (row->test_spinner, FALSE);
  adw_action_row_add_suffix (row->test_row, row->test_spinner);
  row->test_button = gtk_button_new_with_label (_("Test"));
  gtk_widget_set_valign (row->test_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (row->test_button,
                               _("List the provider’s models: a free request that checks the key"));
  g_signal_connect_swapped (row->test_button, "clicked", G_CALLBACK (test_clicked), row);
  adw_action_row_add_suffix (row->test_row, row->test_button);
  adw_expander_row_add_row (row->row, GTK_WIDGET (row->test_row));
  reset_test_row (row);

  if (custom)
    {
      GtkWidget *remove_row = new_action_row (_("Remove Provider"));

      adw_action_row_set_subtitle (ADW_ACTION_ROW (remove_row),
                                   _("Its key leaves the keyring too"));
      row->remove_button = gtk_button_new_with_label (_("Remove…"));
      gtk_widget_set_valign (row->remove_button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (row->remove_button, "destructive-action");
      g_signal_connect_swapped (row->remove_button, "clicked", G_CALLBACK (remove_provider_clicked), row);
      adw_action_row_add_suffix (ADW_ACTION_ROW (remove_row), row->remove_button);
      adw_expander_row_add_row (row->row, remove_row);
    }

  set_row_names (row);
  if (group == self->local_group)
    gtk_widget_set_visible (GTK_WIDGET (row->row), FALSE);
  adw_preferences_group_add (group, GTK_WIDGET (row->row));
  g_hash_table_insert (self->rows, g_strdup (provider->id), row);
  return row;
}

static void
remove_row (SyProvidersPage *self,
            const char      *id)
{
  ProviderRow *row = g_hash_table_lookup (self->rows, id);

  if (row == NULL)
    return;
  adw_preferences_group_remove (row->group, GTK_WIDGET (row->row));
  g_hash_table_remove (self->rows, id);
}

/* Brings the rows in line with the config in force, keeping the state of those
 * that stay (an open row, a test result). */
static void
reconcile (SyProvidersPage *self)
{
  SyConfig *config = sy_services_get_config (self->services);
  SyCatalog *catalog = sy_services_get_catalog (self->services);
  g_autoptr(GPtrArray) providers = sy_config_dup_providers (config);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  const char *id;

  for (guint i = 0; i < providers->len; i++)
    {
      SyProvider *provider = g_ptr_array_index (providers, i);
      const SyProviderPreset *preset = sy_catalog_get_preset (catalog, provider->id);
      JsonObject *entry = config_entry (config, provider->id);
      gboolean custom = preset == NULL;
      AdwPreferencesGroup *group;
      const char *name;
      ProviderRow *row;

      group = custom ? self->custom_group : provider->local ? self->local_group : self->cloud_group;
      name = custom ? sy_json_get_string (entry, "name") : preset->name;
      if (name == NULL || *name == '\0')
        name = provider->id;

      row = g_hash_table_lookup (self->rows, provider->id);
      if (row != NULL && row->group != group)
        {
          remove_row (self, provider->id);
          row = NULL;
        }

      g_hash_table_add (seen, g_strdup (provider->id));
      providers->pdata[i] = NULL;
      if (row == NULL)
        {
          row = add_row (self, provider, name, group, custom);
          if (group == self->local_group)
            check_start (self, row, TRUE);
        }
      else
        {
          gboolean moved = g_strcmp0 (row->provider->base_url, provider->base_url) != 0 ||
                           g_strcmp0 (row->provider->kind, provider->kind) != 0;

          sy_provider_free (row->provider);
          row->provider = provider;
          if (g_strcmp0 (row->name, name) != 0)
            {
              g_free (row->name);
              row->name = g_strdup (name);
              set_row_names (row);
            }
          if (moved)
            {
              /* Answers about the old address would now mislead. */
              g_cancellable_cancel (row->cancellable);
              g_object_unref (row->cancellable);
              row->cancellable = g_cancellable_new ();
              row->testing = row->probing = FALSE;
              set_test_busy (row, FALSE);
              reset_test_row (row);
              row->local_state = LOCAL_CHECKING;
              if (group == self->local_group)
                check_start (self, row, TRUE);
            }
        }
      row->configured = entry != NULL;
      /* key_env may have changed, and lookups are cached anyway. */
      refresh_key (self, row);
      update_row (self, row);
    }

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    if (!g_hash_table_contains (seen, id))
      g_ptr_array_add (gone, g_strdup (id));
  for (guint i = 0; i < gone->len; i++)
    remove_row (self, g_ptr_array_index (gone, i));

  update_placeholders (self);
}

/* The keyring banner */

static void
keyring_checked_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(SyProvidersPage) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean available = sy_keys_check_keyring_finish (SY_KEYS (source), result, &error);
  gboolean was_available = self->keyring_available;
  gboolean asked = self->keyring_recheck_asked;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || page_gone (self))
    return;

  self->keyring_checking = FALSE;
  self->keyring_recheck_asked = FALSE;
  self->keyring_available = available;
  gtk_info_bar_set_revealed (self->keyring_bar, !available);
  if (available && !was_available && self->rows != NULL)
    refresh_all_keys (self);
  if (asked)
    toast (self, available ? _("The keyring is available") : _("Still no keyring service running"));
}

static void
check_keyring (SyProvidersPage *self)
{
  if (self->keyring_checking)
    return;
  self->keyring_checking = TRUE;
  sy_keys_check_keyring_async (page_keys (self), self->cancellable, keyring_checked_cb,
                               g_object_ref (self));
}

static void
recheck_clicked (SyProvidersPage *self)
{
  /* Forget that the keyring was out of reach, so that lookups try it again too. */
  sy_keys_invalidate (page_keys (self), NULL);
  self->keyring_recheck_asked = TRUE;
  check_keyring (self);
}

/* Adding a custom provider */

typedef struct {
  SyProvidersPage *self;
  AdwEntryRow     *name_entry;
  AdwEntryRow     *id_entry;
  AdwEntryRow     *url_entry;
  gboolean         id_edited;
  gboolean         filling_id;
} AddDialog;

static void
add_dialog_free (AddDialog *data)
{
  g_object_unref (data->self);
  g_free (data);
}

static char *
slugify (const char *name)
{
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p != '\0' && out->len < MAX_ID_LENGTH; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (out, g_ascii_tolower (*p));
      else if (out->len > 0 && out->str[out->len - 1] != '-')
        g_string_append_c (out, '-');
    }
  while (out->len > 0 && out->str[out->len - 1] == '-')
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

/* The id is the first half of "id/model" in requests: no slash, nothing to quote. */
static gboolean
id_is_valid (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > MAX_ID_LENGTH || !g_ascii_isalnum (id[0]))
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-' || *p == '_' || *p == '.'))
      return FALSE;
  return TRUE;
}

static char *
normalize_url (const char *text)
{
  g_autofree char *url = g_strstrip (g_strdup (text));
  g_autoptr(GUri) uri = NULL;
  gsize length;

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") != 0 &&
       g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") != 0))
    return NULL;

  length = strlen (url);
  while (length > 0 && url[length - 1] == '/')
    url[--length] = '\0';
  return g_steal_pointer (&url);
}

static void
set_error_style (AdwEntryRow *entry,
                 gboolean     error)
{
  if (error)
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
}

static gboolean
id_is_taken (SyProvidersPage *self,
             const char      *id)
{
  return g_hash_table_contains (self->rows, id) ||
         sy_catalog_get_preset (sy_services_get_catalog (self->services), id) != NULL;
}

static void
add_dialog_validate (AdwMessageDialog *dialog)
{
  AddDialog *data = g_object_get_data (G_OBJECT (dialog), "sy-add-dialog");
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (data->name_entry))));
  g_autofree char *url = normalize_url (gtk_editable_get_text (GTK_EDITABLE (data->url_entry)));
  const char *url_text = gtk_editable_get_text (GTK_EDITABLE (data->url_entry));
  const char *id;
  gboolean id_ok;

  if (!data->id_edited)
    {
      g_autofree char *slug = slugify (name);

      if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (data->id_entry)), slug) != 0)
        {
          data->filling_id = TRUE;
          gtk_editable_set_text (GTK_EDITABLE (data->id_entry), slug);
          data->filling_id = FALSE;
        }
    }
  id = gtk_editable_get_text (GTK_EDITABLE (data->id_entry));
  id_ok = id_is_valid (id) && !id_is_taken (data->self, id);

  set_error_style (data->id_entry, *id != '\0' && !id_ok);
  set_error_style (data->url_entry, *url_text != '\0' && url == NULL);
  adw_message_dialog_set_response_enabled (dialog, "add", *name != '\0' && id_ok && url != NULL);
}

static void
add_id_changed (AdwMessageDialog *dialog)
{
  AddDialog *data = g_object_get_data (G_OBJECT (dialog), "sy-add-dialog");

  /* The name filling it in: the validation running now goes on after this. */
  if (data->filling_id)
    return;
  /* Once the user typed an id, the name no longer fills it in. */
  data->id_edited = TRUE;
  add_dialog_validate (dialog);
}

static void
provider_added_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Op) op = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  ProviderRow *row;

  if (!sy_services_update_config_finish (SY_SERVICES (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      message = g_strdup_printf (_("Could not add the provider: %s"), error->message);
      toast (op->self, message);
      return;
    }

  /* Translators: %s is a provider name */
  message = g_strdup_printf (_("Added “%s”"), op->name);
  toast (op->self, message);
  /* The config in force was replaced before this: the row is there, ready for a key. */
  row = page_gone (op->self) ? NULL : g_hash_table_lookup (op->self->rows, op->id);
  if (row != NULL)
    {
      adw_expander_row_set_expanded (row->row, TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (row->key_entry));
    }
}

static void
add_response_cb (AdwMessageDialog *dialog,
                 const char       *response,
                 AddDialog        *data)
{
  SyProvidersPage *self = data->self;
  g_autofree char *name = NULL;
  g_autofree char *url = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonArray *providers;
  JsonObject *entry;
  const char *id;
  Op *op;

  if (g_strcmp0 (response, "add") != 0)
    return;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (data->name_entry))));
  url = normalize_url (gtk_editable_get_text (GTK_EDITABLE (data->url_entry)));
  id = gtk_editable_get_text (GTK_EDITABLE (data->id_entry));
  if (*name == '\0' || url == NULL || !id_is_valid (id) || id_is_taken (self, id))
    return;

  root = sy_services_dup_config_root (self->services);
  providers = sy_json_get_array (root, "providers");
  if (providers == NULL)
    {
      providers = json_array_new ();
      json_object_set_array_member (root, "providers", providers);
    }
  entry = json_object_new ();
  json_object_set_string_member (entry, "id", id);
  json_object_set_string_member (entry, "name", name);
  json_object_set_string_member (entry, "kind", "openai");
  json_object_set_string_member (entry, "base_url", url);
  json_array_add_object_element (providers, entry);

  op = op_new (self, NULL);
  op->id = g_strdup (id);
  op->name = g_strdup (name);
  sy_services_update_config_async (self->services, root, self->cancellable, provider_added_cb, op);
}

static AdwEntryRow *
add_dialog_entry (GtkListBox *list,
                  const char *title)
{
  GtkWidget *entry = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), title);
  gtk_list_box_append (list, entry);
  return ADW_ENTRY_ROW (entry);
}

static void
add_custom_clicked (SyProvidersPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  GtkWidget *list;
  AddDialog *data;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                                       _("Add Custom Provider"),
                                                       _("A service that speaks the OpenAI API. "
                                                         "Its base URL ends with the API version, "
                                                         "like https://example.com/v1. Add its key "
                                                         "afterwards.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "add", _("_Add"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "add", FALSE);
  adw_message_dialog_set_default_response (dialog, "add");
  adw_message_dialog_set_close_response (dialog, "cancel");

  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  data = g_new0 (AddDialog, 1);
  data->self = g_object_ref (self);
  data->name_entry = add_dialog_entry (GTK_LIST_BOX (list), _("Name"));
  data->id_entry = add_dialog_entry (GTK_LIST_BOX (list), _("ID, as in “id/model”"));
  data->url_entry = add_dialog_entry (GTK_LIST_BOX (list), _("Base URL"));
  adw_entry_row_set_input_purpose (data->url_entry, GTK_INPUT_PURPOSE_URL);
  adw_message_dialog_set_extra_child (dialog, list);
  g_object_set_data_full (G_OBJECT (dialog), "sy-add-dialog", data, (GDestroyNotify) add_dialog_free);

  g_signal_connect_swapped (data->name_entry, "changed", G_CALLBACK (add_dialog_validate), dialog);
  g_signal_connect_swapped (data->id_entry, "changed", G_CALLBACK (add_id_changed), dialog);
  g_signal_connect_swapped (data->url_entry, "changed", G_CALLBACK (add_dialog_validate), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (add_response_cb), data);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (GTK_WIDGET (data->name_entry));
}

/* The page */

static void
config_changed (SyProvidersPage *self)
{
  reconcile (self);
}

static void
sy_providers_page_map (GtkWidget *widget)
{
  SyProvidersPage *self = SY_PROVIDERS_PAGE (widget);

  GTK_WIDGET_CLASS (sy_providers_page_parent_class)->map (widget);

  if (self->services == NULL)
    return;
  probe_locals (self);
  if (self->probe_id == 0)
    self->probe_id = g_timeout_add_seconds (PROBE_INTERVAL_S, probe_timeout_cb, self);
  /* The user may have installed a keyring meanwhile. */
  if (!self->keyring_available)
    check_keyring (self);
}

static void
sy_providers_page_unmap (GtkWidget *widget)
{
  SyProvidersPage *self = SY_PROVIDERS_PAGE (widget);

  g_clear_handle_id (&self->probe_id, g_source_remove);

  GTK_WIDGET_CLASS (sy_providers_page_parent_class)->unmap (widget);
}

static void
sy_providers_page_dispose (GObject *object)
{
  SyProvidersPage *self = SY_PROVIDERS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->probe_id, g_source_remove);
  if (self->services != NULL)
    g_signal_handlers_disconnect_by_data (self->services, self);
  g_clear_pointer (&self->rows, g_hash_table_unref);

  /* AdwBin 1.2 unparents its child in its own dispose, after the template let go
   * of it: the child goes first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), SY_TYPE_PROVIDERS_PAGE);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->services);

  G_OBJECT_CLASS (sy_providers_page_parent_class)->dispose (object);
}

static void
sy_providers_page_finalize (GObject *object)
{
  SyProvidersPage *self = SY_PROVIDERS_PAGE (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sy_providers_page_parent_class)->finalize (object);
}

static void
sy_providers_page_class_init (SyProvidersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sy_providers_page_dispose;
  object_class->finalize = sy_providers_page_finalize;
  widget_class->map = sy_providers_page_map;
  widget_class->unmap = sy_providers_page_unmap;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/switchyard/Switchyard/sy-providers-page.ui");
  gtk_widget_class_bind_template_child (widget_class, SyProvidersPage, keyring_bar);
  gtk_widget_class_bind_template_child (widget_class, SyProvidersPage, cloud_group);
  gtk_widget_class_bind_template_child (widget_class, SyProvidersPage, local_group);
  gtk_widget_class_bind_template_child (widget_class, SyProvidersPage, custom_group);
  gtk_widget_class_bind_template_child (widget_class, SyProvidersPage, no_local_row);
  gtk_widget_class_bind_template_child (widget_class, SyProvidersPage, no_custom_row);
  gtk_widget_class_bind_template_callback (widget_class, recheck_clicked);
  gtk_widget_class_bind_template_callback (widget_class, add_custom_clicked);
}

static void
sy_providers_page_init (SyProvidersPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify) provider_row_free);
  /* Until the check says otherwise: no banner flashing at every start. */
  self->keyring_available = TRUE;
  /* libsoup's 60 s I/O timeout would leave a Test spinning for a minute. */
  self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                                 "idle-timeout", 60,
                                                 "user-agent", "Switchyard/" PACKAGE_VERSION,
                                                 NULL);
}

GtkWidget *
sy_providers_page_new (SyServices *services)
{
  SyProvidersPage *self;

  g_return_val_if_fail (SY_IS_SERVICES (services), NULL);

  self = g_object_new (SY_TYPE_PROVIDERS_PAGE, NULL);
  self->services = g_object_ref (services);
  g_signal_connect_object (services, "notify::config", G_CALLBACK (config_changed), self,
                           G_CONNECT_SWAPPED);
  reconcile (self);
  check_keyring (self);
  return GTK_WIDGET (self);
}
