/* test-history-browse.c — the History page's queries: search over prompt text,
 * filters, pages by id, bodies, pruning and the search index's migration.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-test"

#include <string.h>
#include <sqlite3.h>

#include "sy-catalog.h"
#include "sy-config.h"
#include "sy-history-private.h"
#include "sy-keys.h"
#include "sy-router.h"
#include "sy-test-util.h"

typedef SyTestDbFixture Fixture;

#define T0 G_GINT64_CONSTANT (1767225600000000)   /* 2026-01-01 00:00 UTC */
#define MINUTE (60 * G_USEC_PER_SEC)

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dir = sy_test_mkdtemp ();
  fixture->path = g_build_filename (fixture->dir, "history.db", NULL);
}

typedef struct {
  const char *id;
  gint64      minute;     /* started at T0 + minute */
  const char *client;
  const char *provider;
  const char *model;
  const char *profile;
  int         status;
  double      cost;       /* < 0: unknown */
  const char *body;       /* request body, NULL: not stored */
} Row;

/* Bodies in the three client formats; what search must and must not find is
 * in test_search (). */
static const Row rows[] = {
  { "r-chat", 1, "aider/0.86", "openai", "gpt-4.1-mini", "auto", 200, 0.002,
    "{\"model\":\"auto\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a terse reviewer\"},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Refactor the Kubernetes operator\"},"
    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,SECRETPIXELS\"}}]}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\"toolonlyword\"}}]}" },
  { "r-anthropic", 2, "claude-cli/2.1", "anthropic", "claude-haiku-4-5", "coding", 200, 0.010,
    "{\"model\":\"claude-haiku-4-5\",\"system\":[{\"type\":\"text\",\"text\":\"Café rules apply\"}],"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Explain monads gently\"},"
    "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"A monad wraps values\"}]},"
    "{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"BASE64BLOB\"}}]}]}" },
  { "r-responses", 3, "codex_exec/0.171", "openai", "o4-mini", "coding", 502, 0.0,
    "{\"model\":\"o4-mini\",\"instructions\":\"Answer in Kubernetes YAML\","
    "\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"deploy nginx twice\"}]}]}" },
  { "r-plain", 4, "curl/7.88", "google", "gemini-2.5-flash", NULL, 499, -1,
    "{\"model\":\"google/gemini-2.5-flash\",\"input\":\"Summarise the kubelet logs\"}" },
  { "r-nobody", 5, "curl/7.88", "openai", "gpt-4.1-mini", "auto", 200, 0.5, NULL },
  { "r-late", 60 * 24, "aider/0.86", "openrouter", "deepseek/deepseek-r1", "auto", 200, 0.03,
    "{\"messages\":[{\"role\":\"user\",\"content\":\"kubernetes again, a day later\"}]}" },
};

static SyHistoryRecord *
record_from_row (const Row *row)
{
  SyHistoryRecord *r = sy_history_record_new ();

  r->request_id = g_strdup (row->id);
  r->started_at_us = T0 + row->minute * MINUTE;
  r->client = g_strdup (row->client);
  r->surface = g_strdup ("chat.completions");
  r->requested_model = g_strdup ("auto");
  r->profile = g_strdup (row->profile);
  r->provider = g_strdup (row->provider);
  r->model = g_strdup (row->model);
  r->status = row->status;
  r->prompt_tokens = 100;
  r->completion_tokens = 20;
  r->cost_known = row->cost >= 0;
  r->cost = row->cost;
  r->total_ms = 500;
  r->request_body = g_strdup (row->body);
  r->response_body = row->body != NULL ? g_strdup_printf ("{\"answer\":\"%s\"}", row->id) : NULL;
  return r;
}

static void
write_rows (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (path, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    sy_history_record (history, record_from_row (&rows[i]));
  sy_history_close (history);
}

/* The request ids a filter finds, newest first, joined with spaces. */
static char *
find (const char            *path,
      const SyHistoryFilter *filter)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = sy_history_query_ids (path, filter, NULL, &error);
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GString) out = g_string_new (NULL);

  g_assert_no_error (error);
  records = sy_history_read_ids (path, (const gint64 *) (gpointer) ids->data, ids->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, ids->len);
  for (guint i = 0; i < records->len; i++)
    {
      const SyHistoryRecord *r = g_ptr_array_index (records, i);

      g_string_append_printf (out, "%s%s", i > 0 ? " " : "", r->request_id);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
search (const char *path,
        const char *words)
{
  SyHistoryFilter filter;

  sy_history_filter_init (&filter);
  filter.search = words;
  return find (path, &filter);
}

#define assert_search(path, words, expected) \
  G_STMT_START { g_autofree char *got_ = search ((path), (words)); \
                 g_assert_cmpstr (got_, ==, (expected)); } G_STMT_END

static void
test_prompt_text (void)
{
  g_autofree char *chat = sy_history_prompt_text (rows[0].body);
  g_autofree char *anthropic = sy_history_prompt_text (rows[1].body);
  g_autofree char *responses = sy_history_prompt_text (rows[2].body);
  g_autofree char *plain = sy_history_prompt_text (rows[3].body);
  g_autoptr(GString) long_body = g_string_new ("{\"messages\":[{\"role\":\"user\",\"content\":\"");
  g_autofree char *cut = NULL;

  g_assert_cmpstr (chat, ==, "You are a terse reviewer\nRefactor the Kubernetes operator");
  g_assert_cmpstr (anthropic, ==, "Café rules apply\nExplain monads gently\nA monad wraps values");
  g_assert_cmpstr (responses, ==, "Answer in Kubernetes YAML\ndeploy nginx twice");
  g_assert_cmpstr (plain, ==, "Summarise the kubelet logs");

  g_assert_null (sy_history_prompt_text (NULL));
  g_assert_null (sy_history_prompt_text ("not json"));
  g_assert_null (sy_history_prompt_text ("{\"messages\":[]}"));
  g_assert_null (sy_history_prompt_text ("[\"content\"]"));

  /* A long prompt is cut at 256 KiB, on a character boundary. */
  for (guint i = 0; i < 200000; i++)
    g_string_append (long_body, "é");
  g_string_append (long_body, "\"}]}");
  cut = sy_history_prompt_text (long_body->str);
  g_assert_cmpuint (strlen (cut), ==, 256 * 1024);
  g_assert_true (g_utf8_validate (cut, -1, NULL));
}

static void
test_search (Fixture       *fixture,
             gconstpointer  data)
{
  write_rows (fixture->path);

  /* Words anywhere in the prompt: system, parts, instructions, input. */
  assert_search (fixture->path, "kubernetes", "r-late r-responses r-chat");
  assert_search (fixture->path, "Kubernetes operator", "r-chat");
  assert_search (fixture->path, "terse", "r-chat");
  assert_search (fixture->path, "monads", "r-anthropic");
  assert_search (fixture->path, "wraps", "r-anthropic");
  assert_search (fixture->path, "nginx", "r-responses");
  assert_search (fixture->path, "kubelet", "r-plain");
  /* Prefixes, case and accents. */
  assert_search (fixture->path, "kube", "r-late r-plain r-responses r-chat");
  assert_search (fixture->path, "KUBERNETES yaml", "r-responses");
  assert_search (fixture->path, "cafe", "r-anthropic");
  /* Words of one or two letters are whole words, not prefixes. */
  assert_search (fixture->path, "ca", "");
  assert_search (fixture->path, "A", "r-late r-anthropic r-chat");
  assert_search (fixture->path, "caf", "r-anthropic");
  /* Not prompt text: images, tool definitions, model names, answers. */
  assert_search (fixture->path, "SECRETPIXELS", "");
  assert_search (fixture->path, "BASE64BLOB", "");
  assert_search (fixture->path, "toolonlyword", "");
  assert_search (fixture->path, "r-chat", "");
  /* FTS syntax is taken literally, not as operators or an error. */
  assert_search (fixture->path, "\"kubernetes", "r-late r-responses r-chat");
  assert_search (fixture->path, "kubernetes OR monads", "");
  assert_search (fixture->path, "NEAR( * )", "");
  assert_search (fixture->path, "   ", "r-late r-nobody r-plain r-responses r-anthropic r-chat");
}

/* Only the search changed: the ids the other filters found are narrowed, in
 * their order. */
static void
test_search_within (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) base = NULL;
  g_autoptr(GArray) within = NULL;
  g_autoptr(GArray) all = NULL;
  g_autoptr(GArray) reversed = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) none = NULL;
  SyHistoryFilter filter;

  write_rows (fixture->path);
  sy_history_filter_init (&filter);
  filter.provider = "openai";
  base = sy_history_query_ids (fixture->path, &filter, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (base->len, ==, 3);

  /* The same as searching with the filter. */
  within = sy_history_search_within (fixture->path, "kubernetes", base, NULL, &error);
  g_assert_no_error (error);
  filter.search = "kubernetes";
  all = sy_history_query_ids (fixture->path, &filter, NULL, &error);
  g_assert_cmpuint (within->len, ==, 2);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpmem (within->data, within->len * sizeof (gint64), all->data, all->len * sizeof (gint64));

  /* Whatever order @base has is kept. */
  for (guint i = base->len; i > 0; i--)
    g_array_append_val (reversed, g_array_index (base, gint64, i - 1));
  g_clear_pointer (&within, g_array_unref);
  within = sy_history_search_within (fixture->path, "kubernetes", reversed, NULL, &error);
  g_assert_cmpint (g_array_index (within, gint64, 0), ==, g_array_index (all, gint64, 1));
  g_assert_cmpint (g_array_index (within, gint64, 1), ==, g_array_index (all, gint64, 0));

  /* No search: @base itself; nothing found: empty. */
  g_clear_pointer (&within, g_array_unref);
  within = sy_history_search_within (fixture->path, "  ", base, NULL, &error);
  g_assert_cmpuint (within->len, ==, base->len);
  none = sy_history_search_within (fixture->path, "monads", base, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_filters (Fixture       *fixture,
              gconstpointer  data)
{
  SyHistoryFilter filter;
  g_autofree char *all = NULL, *range = NULL, *client = NULL, *provider = NULL, *model = NULL,
                  *slash_model = NULL, *profile = NULL, *ok = NULL, *failed = NULL, *cancelled = NULL,
                  *cost = NULL, *combined = NULL, *none = NULL;

  write_rows (fixture->path);

  sy_history_filter_init (&filter);
  all = find (fixture->path, &filter);
  g_assert_cmpstr (all, ==, "r-late r-nobody r-plain r-responses r-anthropic r-chat");

  /* [from, to): the end is not included. */
  filter.from_us = T0 + 2 * MINUTE;
  filter.to_us = T0 + 5 * MINUTE;
  range = find (fixture->path, &filter);
  g_assert_cmpstr (range, ==, "r-plain r-responses r-anthropic");

  sy_history_filter_init (&filter);
  filter.client = "curl/7.88";
  client = find (fixture->path, &filter);
  g_assert_cmpstr (client, ==, "r-nobody r-plain");

  sy_history_filter_init (&filter);
  filter.provider = "openai";
  provider = find (fixture->path, &filter);
  g_assert_cmpstr (provider, ==, "r-nobody r-responses r-chat");

  sy_history_filter_init (&filter);
  filter.model = "openai/gpt-4.1-mini";
  model = find (fixture->path, &filter);
  g_assert_cmpstr (model, ==, "r-nobody r-chat");
  /* A model name with a slash of its own. */
  filter.model = "openrouter/deepseek/deepseek-r1";
  slash_model = find (fixture->path, &filter);
  g_assert_cmpstr (slash_model, ==, "r-late");

  sy_history_filter_init (&filter);
  filter.profile = "coding";
  profile = find (fixture->path, &filter);
  g_assert_cmpstr (profile, ==, "r-responses r-anthropic");

  sy_history_filter_init (&filter);
  filter.status = SY_HISTORY_STATUS_SUCCEEDED;
  ok = find (fixture->path, &filter);
  g_assert_cmpstr (ok, ==, "r-late r-nobody r-anthropic r-chat");
  filter.status = SY_HISTORY_STATUS_FAILED;
  failed = find (fixture->path, &filter);
  g_assert_cmpstr (failed, ==, "r-responses");
  filter.status = SY_HISTORY_STATUS_CANCELLED;
  cancelled = find (fixture->path, &filter);
  g_assert_cmpstr (cancelled, ==, "r-plain");

  /* Cost above: strictly, unknown costs never match. */
  sy_history_filter_init (&filter);
  filter.min_cost = 0.01;
  cost = find (fixture->path, &filter);
  g_assert_cmpstr (cost, ==, "r-late r-nobody");

  /* All at once. */
  sy_history_filter_init (&filter);
  filter.search = "kubernetes";
  filter.provider = "openai";
  filter.status = SY_HISTORY_STATUS_SUCCEEDED;
  combined = find (fixture->path, &filter);
  g_assert_cmpstr (combined, ==, "r-chat");
  filter.profile = "nobody";
  none = find (fixture->path, &filter);
  g_assert_cmpstr (none, ==, "");
}

static void
test_pages (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) newer = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autofree char *request = NULL, *response = NULL;
  g_auto(GStrv) clients = NULL, models = NULL, profiles = NULL, providers = NULL;
  SyHistoryFilter filter;
  gint64 wanted[3];
  gint64 last_id;

  write_rows (fixture->path);
  sy_history_filter_init (&filter);
  ids = sy_history_query_ids (fixture->path, &filter, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, G_N_ELEMENTS (rows));

  /* Any order asked for is the order given; NULL for an unknown id; no bodies. */
  wanted[0] = g_array_index (ids, gint64, 4);
  wanted[1] = 987654;
  wanted[2] = g_array_index (ids, gint64, 0);
  page = sy_history_read_ids (fixture->path, wanted, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpstr (((SyHistoryRecord *) page->pdata[0])->request_id, ==, "r-anthropic");
  g_assert_null (page->pdata[1]);
  g_assert_cmpstr (((SyHistoryRecord *) page->pdata[2])->request_id, ==, "r-late");
  g_assert_null (((SyHistoryRecord *) page->pdata[0])->request_body);
  g_assert_cmpfloat (((SyHistoryRecord *) page->pdata[0])->cost, ==, 0.010);
  g_assert_cmpint (((SyHistoryRecord *) page->pdata[0])->started_at_us, ==, T0 + 2 * MINUTE);

  g_assert_true (sy_history_read_bodies (fixture->path, "r-anthropic", &request, &response, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (request, ==, rows[1].body);
  g_assert_cmpstr (response, ==, "{\"answer\":\"r-anthropic\"}");
  g_clear_pointer (&request, g_free);
  g_clear_pointer (&response, g_free);
  g_assert_true (sy_history_read_bodies (fixture->path, "r-nobody", &request, &response, &error));
  g_assert_null (request);
  g_assert_null (response);
  g_assert_true (sy_history_read_bodies (fixture->path, "no-such-id", &request, &response, &error));
  g_assert_null (request);

  /* What arrived since: only newer ids that match. */
  last_id = 0;
  for (guint i = 0; i < ids->len; i++)
    last_id = MAX (last_id, g_array_index (ids, gint64, i));
  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  {
    Row extra = rows[0];
    Row other = rows[1];

    extra.id = "r-new";
    extra.minute = 10;
    other.id = "r-new-other";
    other.minute = 11;
    sy_history_record (history, record_from_row (&extra));
    sy_history_record (history, record_from_row (&other));
  }
  sy_history_flush (history);
  filter.provider = "openai";
  newer = sy_history_query_ids_after (fixture->path, &filter, last_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (newer->len, ==, 1);
  g_assert_cmpint (g_array_index (newer, gint64, 0), >, last_id);

  clients = sy_history_distinct (fixture->path, "client", &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (clients, ((const char *[]) { "aider/0.86", "claude-cli/2.1", "codex_exec/0.171", "curl/7.88", NULL }));
  models = sy_history_distinct (fixture->path, "model", &error);
  g_assert_cmpstrv (models, ((const char *[]) { "anthropic/claude-haiku-4-5", "google/gemini-2.5-flash",
                                                "openai/gpt-4.1-mini", "openai/o4-mini",
                                                "openrouter/deepseek/deepseek-r1", NULL }));
  profiles = sy_history_distinct (fixture->path, "profile", &error);
  g_assert_cmpstrv (profiles, ((const char *[]) { "auto", "coding", NULL }));
  providers = sy_history_distinct (fixture->path, "provider", &error);
  g_assert_cmpstrv (providers, ((const char *[]) { "anthropic", "google", "openai", "openrouter", NULL }));
}

static void
test_no_history (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = NULL;
  g_auto(GStrv) clients = NULL;
  SyHistoryFilter filter;
  gint64 pruned = -1;

  sy_history_filter_init (&filter);
  filter.search = "anything";
  ids = sy_history_query_ids (fixture->path, &filter, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 0);
  clients = sy_history_distinct (fixture->path, "client", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (clients), ==, 0);
  g_assert_true (sy_history_prune_bodies (fixture->path, G_MAXINT64, &pruned, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pruned, ==, 0);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));
}

static gint64
count_rows (const char *path,
            const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static void
test_prune (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autofree char *request = NULL, *response = NULL;
  gint64 pruned = -1;
  gint64 now = g_get_real_time ();

  write_rows (fixture->path);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM prompts"), ==, 5);

  /* Bodies before the cut go, with their search text; the requests stay. */
  g_assert_true (sy_history_prune_bodies (fixture->path, T0 + 3 * MINUTE, &pruned, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pruned, ==, 2);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM requests"), ==, G_N_ELEMENTS (rows));
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM bodies"), ==, 3);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM prompts"), ==, 3);
  assert_search (fixture->path, "kubernetes", "r-late r-responses");
  assert_search (fixture->path, "monads", "");
  g_assert_true (sy_history_read_bodies (fixture->path, "r-chat", &request, &response, &error));
  g_assert_null (request);
  g_assert_null (response);

  /* Pruning again finds nothing more. */
  g_assert_true (sy_history_prune_bodies (fixture->path, T0 + 3 * MINUTE, &pruned, &error));
  g_assert_cmpint (pruned, ==, 0);

  /* The writer prunes by itself once given an age: everything here is older
   * than a day except the request written now. */
  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  {
    Row fresh = rows[0];
    SyHistoryRecord *record;

    fresh.id = "r-fresh";
    record = record_from_row (&fresh);
    record->started_at_us = now;
    sy_history_record (history, record);
  }
  sy_history_flush (history);
  sy_history_set_body_max_age (history, G_TIME_SPAN_DAY);
  for (guint i = 0; i < 500 && count_rows (fixture->path, "SELECT count(*) FROM bodies") > 1; i++)
    g_usleep (10 * 1000);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM bodies"), ==, 1);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM prompts"), ==, 1);
  assert_search (fixture->path, "kubernetes", "r-fresh");
  sy_history_close (history);
}

/* "history": {"body_days": N} in the router's config prunes older bodies. */
static void
test_body_days (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyCatalog) catalog = sy_catalog_new_default (&error);
  g_autoptr(SyKeys) keys = sy_keys_new ();
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(SyRouter) router = NULL;
  g_autoptr(SyConfig) config = NULL;
  g_autoptr(SyConfig) keep = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autoptr(SyConfig) refused = NULL;
  g_autofree char *config_path = g_build_filename (fixture->dir, "config.json", NULL);

  g_assert_no_error (error);
  write_rows (fixture->path);

  /* Without body_days nothing goes. */
  root = json_from_string ("{\"history\": {\"store_bodies\": true}}", &error);
  g_assert_no_error (error);
  keep = sy_config_new_from_root (config_path, catalog, json_node_get_object (root), &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (sy_config_get_body_days (keep), ==, 0);
  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  router = sy_router_new (keep, keys, history);
  sy_history_flush (history);
  g_usleep (100 * 1000);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM bodies"), ==, 5);

  /* Every row here is from January 2026, long before today. */
  g_clear_pointer (&root, json_node_unref);
  root = json_from_string ("{\"history\": {\"body_days\": 30}}", &error);
  config = sy_config_new_from_root (config_path, catalog, json_node_get_object (root), &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (sy_config_get_body_days (config), ==, 30);
  sy_router_set_config (router, config);
  for (guint i = 0; i < 500 && count_rows (fixture->path, "SELECT count(*) FROM bodies") > 0; i++)
    g_usleep (10 * 1000);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM bodies"), ==, 0);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM prompts"), ==, 0);
  g_assert_cmpint (count_rows (fixture->path, "SELECT count(*) FROM requests"), ==, G_N_ELEMENTS (rows));
  g_clear_object (&router);
  sy_history_close (history);

  /* A typo is refused with the reason. */
  bad = json_from_string ("{\"history\": {\"body_days\": \"30\"}}", &error);
  refused = sy_config_new_from_root (config_path, catalog, json_node_get_object (bad), &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "body_days"));
}

static void
test_migration (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  sqlite3 *db = NULL;

  /* A schema 3 file (as written before search existed) with bodies. */
  write_rows (fixture->path);
  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "DROP TRIGGER bodies_prompt_delete; DROP TRIGGER bodies_prompt_update;"
                                     " DROP TABLE prompts; PRAGMA user_version = 3;", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);

  /* Readers of an old file: no search, a clear error; the rest works. */
  {
    SyHistoryFilter filter;
    g_autoptr(GArray) ids = NULL;

    sy_history_filter_init (&filter);
    filter.search = "kubernetes";
    ids = sy_history_query_ids (fixture->path, &filter, NULL, &error);
    g_assert_null (ids);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    g_clear_error (&error);
    assert_search (fixture->path, NULL, "r-late r-nobody r-plain r-responses r-anthropic r-chat");
  }

  /* Opening it migrates, indexing the bodies already there. */
  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  sy_history_close (history);
  g_assert_cmpint (count_rows (fixture->path, "PRAGMA user_version"), ==, 4);
  assert_search (fixture->path, "kubernetes", "r-late r-responses r-chat");
  assert_search (fixture->path, "monads", "r-anthropic");

  /* An edited body is searched by its new text. */
  g_assert_cmpint (sqlite3_open_v2 (fixture->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sy_history_register_functions (db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE bodies SET request = '{\"input\":\"zebra crossing\"}'"
                                     " WHERE request_id = (SELECT id FROM requests WHERE request_id = 'r-chat')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  assert_search (fixture->path, "zebra", "r-chat");
  assert_search (fixture->path, "terse", "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, fixture_setup, func, sy_test_db_fixture_teardown)

  g_test_add_func ("/history-browse/prompt-text", test_prompt_text);
  ADD ("/history-browse/search", test_search);
  ADD ("/history-browse/search-within", test_search_within);
  ADD ("/history-browse/filters", test_filters);
  ADD ("/history-browse/pages", test_pages);
  ADD ("/history-browse/no-history", test_no_history);
  ADD ("/history-browse/prune", test_prune);
  ADD ("/history-browse/body-days", test_body_days);
  ADD ("/history-browse/migration", test_migration);

#undef ADD

  return g_test_run ();
}
