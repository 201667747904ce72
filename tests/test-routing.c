/* test-routing.c — routing profiles end to end: strategies on crafted statistics,
 * filters, rules, aliases, health cool-down and budgets, over real HTTP through
 * `switchyard serve` and the mock upstream, asserting who answered and why.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>

#include "sy-history.h"
#include "sy-json.h"
#include "sy-test-util.h"

#define TOKEN "sy-routing-token"

static SyTestProc *mock;       /* answers every provider */
static SyTestProc *failing;    /* answers the "flaky" provider, with faults */

static const char * const serve_env[] = {
  "OPENAI_API_KEY=sk-routing-openai-0000", "GROQ_API_KEY=gsk-routing-0000",
  "ANTHROPIC_API_KEY=sk-ant-routing-0000", "MISTRAL_API_KEY=routing-mistral-0000",
  "FLAKY_KEY=sk-flaky-0000", NULL,
};

/* Providers pointed at the mocks, and the profiles under test. */
static char *
config_with (const char *extra)
{
  return g_strdup_printf (
    "{\"server\":{\"port\":0,\"token\":\"" TOKEN "\",\"max_retries\":0},"
    " \"providers\":[{\"id\":\"openai\",\"base_url\":\"http://127.0.0.1:%u/v1\"},"
    "   {\"id\":\"groq\",\"base_url\":\"http://127.0.0.1:%u/v1\"},"
    "   {\"id\":\"anthropic\",\"base_url\":\"http://127.0.0.1:%u/v1\"},"
    "   {\"id\":\"mistral\",\"base_url\":\"http://127.0.0.1:%u/v1\"},"
    "   {\"id\":\"ollama\",\"base_url\":\"http://127.0.0.1:%u/v1\"},"
    "   {\"id\":\"flaky\",\"kind\":\"openai\",\"base_url\":\"http://127.0.0.1:%u/v1\",\"key_env\":\"FLAKY_KEY\"}]"
    "%s%s}",
    mock->port, mock->port, mock->port, mock->port, mock->port, failing->port,
    extra != NULL ? "," : "", extra != NULL ? extra : "");
}

static const char *
chat (SyTestProc     *serve,
      const char     *body,
      SyTestResponse **out)
{
  *out = sy_test_chat (serve->port, TOKEN, body);
  return soup_message_headers_get_one ((*out)->headers, "x-switchyard-provider");
}

/* The newest history row, once written (the writer batches). */
static SyHistoryRecord *
newest_row (SyTestProc *serve,
            guint       expected_rows,
            GPtrArray **rows_out)
{
  for (guint tries = 0; tries < 200; tries++)
    {
      g_autoptr(GPtrArray) rows = sy_test_history (serve->db_path);

      if (rows->len >= expected_rows)
        {
          *rows_out = g_steal_pointer (&rows);
          return g_ptr_array_index (*rows_out, 0);
        }
      g_usleep (25 * 1000);
    }
  g_assert_not_reached ();
}

/* The route JSON of a history row, parsed. */
static JsonNode *
route_of (SyHistoryRecord *row)
{
  g_assert_nonnull (row->route_json);
  return sy_json_parse (row->route_json, strlen (row->route_json), NULL);
}

/* The route of the newest history row, once there are @expected_rows. */
static JsonNode *
newest_route (SyTestProc *serve,
              guint       expected_rows)
{
  g_autoptr(GPtrArray) rows = NULL;

  return route_of (newest_row (serve, expected_rows, &rows));
}

/* The "removed" reason recorded for @model in @route, or NULL if it stayed. */
static const char *
removed_reason (JsonNode   *route,
                const char *model)
{
  JsonArray *candidates = json_node_get_array (sy_test_json_path (route, "candidates"));

  for (guint i = 0; i < json_array_get_length (candidates); i++)
    {
      JsonObject *candidate = json_array_get_object_element (candidates, i);
      if (g_strcmp0 (sy_json_get_string (candidate, "model"), model) == 0)
        return sy_json_get_string (candidate, "removed");
    }
  g_assert_not_reached ();
}

/* ---------------------------------------------------------- crafted history */

static void
add_rows (SyHistory  *history,
          const char *provider,
          const char *model,
          guint       count,
          double      ttft_ms,
          double      tokens_per_s,
          int         status,
          double      cost)
{
  for (guint i = 0; i < count; i++)
    {
      SyHistoryRecord *record = sy_history_record_new ();

      record->request_id = g_strdup_printf ("seed-%s-%s-%u-%d", provider, model, i, g_random_int ());
      record->started_at_us = g_get_real_time () - (count - i) * G_USEC_PER_SEC;
      record->surface = g_strdup ("chat.completions");
      record->provider = g_strdup (provider);
      record->model = g_strdup (model);
      record->profile = g_strdup ("spender");
      record->stream = TRUE;
      record->status = status;
      record->ttft_ms = ttft_ms;
      record->tokens_per_s = tokens_per_s;
      record->total_ms = ttft_ms + 100;
      if (cost >= 0)
        {
          record->cost_known = TRUE;
          record->cost = cost;
        }
      sy_history_record (history, record);
    }
}

/* openai is slow to start but streams fast; groq starts fast and streams slowly. */
static void
seed_speeds (const char *db_path,
             gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (db_path, &error);

  g_assert_no_error (error);
  add_rows (history, "openai", "gpt-4.1-mini", 20, 900, 180, 200, 0.0001);
  add_rows (history, "groq", "llama-3.3-70b-versatile", 20, 120, 60, 200, 0.0001);
  add_rows (history, "mistral", "mistral-small-latest", 20, 400, 90, 200, 0.0001);
  sy_history_close (history);
}

/* $0.0095 already spent today under profile "spender". */
static void
seed_spend (const char *db_path,
            gpointer    data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = sy_history_new (db_path, &error);

  g_assert_no_error (error);
  add_rows (history, "openai", "gpt-4.1-mini", 19, 300, 100, 200, 0.0005);
  sy_history_close (history);
}

/* ------------------------------------------------------------------- tests */

static void
test_cheapest (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"thrifty\",\"strategy\":\"cheapest\","
    " \"models\":[\"anthropic/claude-haiku-4-5\",\"openai/gpt-4.1-mini\",\"groq/llama-3.1-8b-instant\"]}]");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonNode) route = NULL;
  const char *provider = chat (serve, "{\"model\":\"thrifty\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                               &response);
  const char *header = soup_message_headers_get_one (response->headers, "x-switchyard-route");
  SyHistoryRecord *row;

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (provider, ==, "groq");
  g_assert_nonnull (header);
  g_assert_nonnull (strstr (header, "strategy=cheapest"));
  g_assert_nonnull (strstr (header, "groq/llama-3.1-8b-instant"));

  row = newest_row (serve, 1, &rows);
  g_assert_cmpstr (row->profile, ==, "thrifty");
  route = route_of (row);
  g_assert_cmpstr (sy_test_json_string (route, "strategy"), ==, "cheapest");
  g_assert_cmpstr (sy_test_json_string (route, "winner"), ==, "groq/llama-3.1-8b-instant");
  /* Every candidate was scored, the winner lowest. */
  {
    JsonArray *candidates = json_node_get_array (sy_test_json_path (route, "candidates"));
    double best = G_MAXDOUBLE;
    const char *best_model = NULL;

    g_assert_cmpuint (json_array_get_length (candidates), ==, 3);
    for (guint i = 0; i < 3; i++)
      {
        JsonObject *candidate = json_array_get_object_element (candidates, i);
        double score = sy_json_get_double (candidate, "score", -1);

        g_assert_cmpfloat (score, >, 0);
        if (score < best)
          {
            best = score;
            best_model = sy_json_get_string (candidate, "model");
          }
      }
    g_assert_cmpstr (best_model, ==, "groq/llama-3.1-8b-instant");
  }
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_fastest (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"quick\",\"strategy\":\"fastest\","
    "  \"models\":[\"openai/gpt-4.1-mini\",\"mistral/mistral-small-latest\",\"groq/llama-3.3-70b-versatile\"]},"
    " {\"name\":\"streamy\",\"strategy\":\"fastest\",\"fastest_by\":\"tokens_per_s\","
    "  \"models\":[\"groq/llama-3.3-70b-versatile\",\"mistral/mistral-small-latest\",\"openai/gpt-4.1-mini\"]}]");
  SyTestProc *serve = sy_test_serve_start_seeded (config, NULL, serve_env, seed_speeds, NULL);
  g_autoptr(SyTestResponse) first = NULL;
  g_autoptr(SyTestResponse) second = NULL;

  /* By time to first token, measured on this user's own history. */
  g_assert_cmpstr (chat (serve, "{\"model\":\"quick\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &first), ==, "groq");
  /* By tokens per second. */
  g_assert_cmpstr (chat (serve, "{\"model\":\"streamy\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &second), ==, "openai");
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

/* best: until the user rates models on the Compare page, catalog order (OpenAI's
 * models come before Mistral's); balance: weighted, a weight of 0 never picked. */
static void
test_best_and_balance (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"finest\",\"strategy\":\"best\","
    "  \"models\":[\"mistral/mistral-small-latest\",\"openai/gpt-4.1-mini\"]},"
    " {\"name\":\"spread\",\"strategy\":\"balance\",\"weights\":{\"openai/gpt-4.1-mini\":0,"
    "  \"groq/llama-3.1-8b-instant\":1,\"mistral/mistral-small-latest\":1},"
    "  \"models\":[\"openai/gpt-4.1-mini\",\"groq/llama-3.1-8b-instant\",\"mistral/mistral-small-latest\"]}]");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  g_autoptr(SyTestResponse) best = NULL;
  g_autoptr(JsonNode) route = NULL;
  gboolean saw_groq = FALSE, saw_mistral = FALSE;

  g_assert_cmpstr (chat (serve, "{\"model\":\"finest\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &best), ==, "openai");
  for (guint i = 0; i < 24; i++)
    {
      g_autoptr(SyTestResponse) response = NULL;
      const char *provider = chat (serve, "{\"model\":\"spread\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                   &response);

      g_assert_cmpstr (provider, !=, "openai");
      saw_groq |= g_strcmp0 (provider, "groq") == 0;
      saw_mistral |= g_strcmp0 (provider, "mistral") == 0;
    }
  /* Even weights: both picked within 24 requests (a chance of 2^-23 to fail). */
  g_assert_true (saw_groq && saw_mistral);
  route = newest_route (serve, 25);
  g_assert_cmpstr (sy_test_json_string (route, "strategy"), ==, "balance");
  g_assert_nonnull (removed_reason (route, "openai/gpt-4.1-mini"));
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_filters (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"picky\",\"strategy\":\"cheapest\","
    "  \"models\":[\"groq/llama-3.1-8b-instant\",\"mistral/mistral-small-latest\",\"openai/gpt-4.1-mini\","
    "             \"anthropic/claude-haiku-4-5\"]},"
    " {\"name\":\"no-groq\",\"strategy\":\"cheapest\",\"deny_providers\":[\"groq\"],"
    "  \"models\":[\"groq/llama-3.1-8b-instant\",\"openai/gpt-4.1-mini\"]},"
    " {\"name\":\"frugal\",\"strategy\":\"fallback\",\"max_price\":1.5,"
    "  \"models\":[\"anthropic/claude-haiku-4-5\",\"openai/gpt-4.1-mini\"]},"
    " {\"name\":\"home\",\"local_only\":true,\"models\":[\"openai/gpt-4.1-mini\",\"ollama/llama3.2\"]}]");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  g_autoptr(SyTestResponse) images = NULL;
  g_autoptr(SyTestResponse) denied = NULL;
  g_autoptr(SyTestResponse) priced = NULL;
  g_autoptr(SyTestResponse) local = NULL;
  g_autoptr(JsonNode) route = NULL;

  /* An image: groq's llama cannot see, mistral-small is the cheapest that can. */
  g_assert_cmpstr (chat (serve, "{\"model\":\"picky\",\"messages\":[{\"role\":\"user\",\"content\":["
                                "{\"type\":\"text\",\"text\":\"what is this\"},{\"type\":\"image_url\","
                                "\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}]}", &images),
                   ==, "mistral");
  route = newest_route (serve, 1);
  g_assert_nonnull (removed_reason (route, "groq/llama-3.1-8b-instant"));
  g_assert_null (removed_reason (route, "mistral/mistral-small-latest"));
  g_clear_pointer (&route, json_node_unref);

  g_assert_cmpstr (chat (serve, "{\"model\":\"no-groq\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &denied), ==, "openai");
  route = newest_route (serve, 2);
  g_assert_nonnull (removed_reason (route, "groq/llama-3.1-8b-instant"));
  g_clear_pointer (&route, json_node_unref);

  /* claude-haiku-4-5 averages $3 a million tokens: over the $1.5 limit. */
  g_assert_cmpstr (chat (serve, "{\"model\":\"frugal\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &priced), ==, "openai");
  route = newest_route (serve, 3);
  g_assert_nonnull (removed_reason (route, "anthropic/claude-haiku-4-5"));
  g_clear_pointer (&route, json_node_unref);

  g_assert_cmpstr (chat (serve, "{\"model\":\"home\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &local), ==, "ollama");
  route = newest_route (serve, 4);
  g_assert_nonnull (removed_reason (route, "openai/gpt-4.1-mini"));

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

static void
test_rules_and_aliases (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"cloud\",\"models\":[\"openai/gpt-4.1-mini\"]},"
    "  {\"name\":\"local\",\"models\":[\"ollama/llama3.2\"]},"
    "  {\"name\":\"tooling\",\"models\":[\"mistral/mistral-small-latest\"]},"
    "  {\"name\":\"big\",\"models\":[\"anthropic/claude-haiku-4-5\"]}],"
    " \"default_profile\":\"cloud\","
    " \"rules\":[{\"when\":{\"prompt_matches\":\"(BEGIN [A-Z ]*PRIVATE KEY|/home/[a-z]+/secret)\"},\"profile\":\"local\"},"
    "   {\"when\":{\"header\":\"tooling\"},\"profile\":\"tooling\"},"
    "   {\"when\":{\"tools\":true},\"profile\":\"tooling\"},"
    "   {\"when\":{\"prompt_tokens_over\":2000},\"profile\":\"big\"}],"
    " \"aliases\":{\"writer\":\"big\",\"cheap\":\"groq/llama-3.1-8b-instant\"}");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  g_autoptr(SyTestResponse) fenced = NULL;
  g_autoptr(SyTestResponse) plain = NULL;
  g_autoptr(SyTestResponse) tools = NULL;
  g_autoptr(SyTestResponse) large = NULL;
  g_autoptr(SyTestResponse) alias = NULL;
  g_autoptr(SyTestResponse) override = NULL;
  g_autoptr(SyTestResponse) models = NULL;
  g_autoptr(SoupMessageHeaders) header_headers = NULL;
  g_autoptr(GString) long_prompt = g_string_new (NULL);
  g_autofree char *large_body = NULL;
  g_autoptr(JsonNode) route = NULL;

  /* The privacy fence holds even for a request naming a cloud model. */
  g_assert_cmpstr (chat (serve, "{\"model\":\"openai/gpt-4.1-mini\",\"messages\":[{\"role\":\"user\",\"content\":"
                                "\"read /home/ann/secret/notes.txt\"}]}", &fenced), ==, "ollama");
  route = newest_route (serve, 1);
  g_assert_cmpstr (sy_test_json_string (route, "rule"), ==, "rules[0]");
  g_clear_pointer (&route, json_node_unref);

  g_assert_cmpstr (chat (serve, "{\"model\":\"cloud\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &plain), ==, "openai");
  g_assert_cmpstr (chat (serve, "{\"model\":\"cloud\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                                "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":"
                                "{\"type\":\"object\"}}}]}", &tools), ==, "mistral");
  for (guint i = 0; i < 1000; i++)
    g_string_append (long_prompt, "lorem ipsum ");
  large_body = g_strdup_printf ("{\"model\":\"cloud\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}",
                                long_prompt->str);
  g_assert_cmpstr (chat (serve, large_body, &large), ==, "anthropic");

  /* A user alias, and a user alias overriding a built-in one. */
  g_assert_cmpstr (chat (serve, "{\"model\":\"writer\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &alias), ==, "anthropic");
  g_assert_cmpstr (chat (serve, "{\"model\":\"cheap\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &override), ==, "groq");

  /* The x-switchyard-profile header rule. */
  {
    static const char * const headers[] = { "x-switchyard-profile: tooling", NULL };
    g_autoptr(SyTestResponse) by_header =
      sy_test_http (serve->port, "POST", "/v1/chat/completions", TOKEN, "application/json",
                    "{\"model\":\"cloud\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", headers);
    g_assert_cmpstr (soup_message_headers_get_one (by_header->headers, "x-switchyard-provider"), ==, "mistral");
  }

  /* GET /v1/models lists the aliases, built-in and the user's. */
  models = sy_test_http (serve->port, "GET", "/v1/models", TOKEN, NULL, NULL, NULL);
  {
    g_autofree char *text = sy_json_to_string (models->json);
    g_assert_nonnull (strstr (text, "\"id\":\"writer\""));
    g_assert_nonnull (strstr (text, "\"id\":\"fast\""));
    g_assert_nonnull (strstr (text, "\"id\":\"auto\""));
  }

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

/* The privacy fence holds for OpenRouter-style "models" fallbacks too: when the
 * local model fails, the request is not passed on to the cloud fallback it named. */
static void
test_fence_holds_for_fallbacks (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"local\",\"models\":[\"flaky/model-x\"]}],"
    " \"rules\":[{\"when\":{\"prompt_matches\":\"PRIVATE KEY\"},\"profile\":\"local\"}]");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  g_autoptr(SyTestResponse) response = NULL;
  g_autoptr(JsonNode) requests = NULL;

  sy_test_mock_reset (mock);
  sy_test_mock_reset (failing);
  sy_test_mock_faults (failing, "[{\"kind\":\"status\",\"status\":503,\"count\":1}]");
  response = sy_test_chat (serve->port, TOKEN,
                           "{\"model\":\"openai/gpt-4.1-mini\",\"models\":[\"groq/llama-3.1-8b-instant\"],"
                           "\"messages\":[{\"role\":\"user\",\"content\":\"-----BEGIN PRIVATE KEY-----\"}]}");
  g_assert_cmpuint (response->status, ==, 503);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "x-switchyard-provider"), ==, "flaky");
  requests = sy_test_mock_requests (mock);
  g_assert_cmpfloat (sy_test_json_double (requests, "count"), ==, 0);
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

/* After N failures a provider+model is skipped; after the cool-down it is tried
 * again. */
static void
test_cooldown (void)
{
  g_autofree char *config = config_with (
    "\"health\":{\"failures\":2,\"window\":60,\"cooldown\":1},"
    " \"profiles\":[{\"name\":\"steady\",\"models\":[\"flaky/model-x\",\"openai/gpt-4.1-mini\"]}]");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  const char *body = "{\"model\":\"steady\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  g_autoptr(JsonNode) route = NULL;

  sy_test_mock_reset (failing);
  sy_test_mock_faults (failing, "[{\"kind\":\"status\",\"status\":503,\"count\":2}]");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(SyTestResponse) response = NULL;
      /* Falls back to openai each time. */
      g_assert_cmpstr (chat (serve, body, &response), ==, "openai");
    }
  {
    g_autoptr(SyTestResponse) response = NULL;
    g_autoptr(JsonNode) requests = NULL;

    g_assert_cmpstr (chat (serve, body, &response), ==, "openai");
    requests = sy_test_mock_requests (failing);
    /* Cooling: the third request did not go to the flaky provider at all. */
    g_assert_cmpfloat (sy_test_json_double (requests, "count"), ==, 2);
    route = newest_route (serve, 3);
    g_assert_nonnull (removed_reason (route, "flaky/model-x"));
  }

  g_usleep (1200 * 1000);
  {
    g_autoptr(SyTestResponse) response = NULL;
    g_autoptr(JsonNode) requests = NULL;

    /* Past the cool-down it is probed, and answers (no fault left). */
    g_assert_cmpstr (chat (serve, body, &response), ==, "flaky");
    requests = sy_test_mock_requests (failing);
    g_assert_cmpfloat (sy_test_json_double (requests, "count"), ==, 3);
  }
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

/* Refused with 402 over the cap, in the caller's format; with "downgrade" the
 * request goes to the cheaper profile instead; past the threshold a notice. */
static void
test_budget_actions (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"spender\",\"models\":[\"openai/gpt-4.1-mini\"],"
    "   \"budget\":{\"daily\":0.01,\"notify_at\":0.5,\"over\":\"refuse\"}},"
    "  {\"name\":\"thrift\",\"models\":[\"openai/gpt-4.1-mini\"],"
    "   \"budget\":{\"daily\":0.000001,\"over\":\"downgrade\",\"downgrade_to\":\"local\"}},"
    "  {\"name\":\"local\",\"models\":[\"ollama/llama3.2\"]}]");
  SyTestProc *serve = sy_test_serve_start_seeded (config, NULL, serve_env, seed_spend, NULL);
  g_autoptr(SyTestResponse) downgraded = NULL;
  g_autoptr(JsonNode) route = NULL;
  guint refused = 0;
  const char *big = "{\"model\":\"spender\",\"max_tokens\":2000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  /* $0.0095 of $0.01 spent: a notice is written; the next requests, each
   * estimated at about $0.0032 (2000 output tokens at $1.6/M), are refused. */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(SyTestResponse) response = sy_test_chat (serve->port, TOKEN, big);

      if (response->status == 402)
        {
          refused++;
          g_assert_nonnull (strstr (sy_test_json_string (response->json, "error.message"), "budget"));
        }
    }
  g_assert_cmpuint (refused, ==, 3);
  {
    static const char * const headers[] = { "anthropic-version: 2023-06-01", NULL };
    g_autoptr(SyTestResponse) anthropic =
      sy_test_http (serve->port, "POST", "/v1/messages", TOKEN, "application/json",
                    "{\"model\":\"spender\",\"max_tokens\":2000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    headers);
    g_assert_cmpuint (anthropic->status, ==, 402);
    g_assert_cmpstr (sy_test_json_string (anthropic->json, "type"), ==, "error");
  }

  g_assert_cmpstr (chat (serve, "{\"model\":\"thrift\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                         &downgraded), ==, "ollama");
  route = newest_route (serve, 19 + 5);
  g_assert_nonnull (sy_test_json_path (route, "budget"));

  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

typedef struct {
  guint pending;
  guint ok;
  guint refused;
} Burst;

static void
burst_done (GObject      *source,
            GAsyncResult *result,
            gpointer      data)
{
  Burst *burst = data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  if (soup_message_get_status (msg) == 200)
    burst->ok++;
  else if (soup_message_get_status (msg) == 402)
    burst->refused++;
  burst->pending--;
}

/* Twelve requests at once against a cap that fits two of them: each request's
 * estimate (a 40,000-character prompt: about 10,000 tokens at $0.4/M, $0.004) is
 * reserved as it is planned, so requests in flight count against the cap, and
 * what was spent stays under the cap plus one estimate. Without reservations
 * all twelve would pass ($0.048). */
static void
test_budget_concurrent (void)
{
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"capped\",\"models\":[\"openai/gpt-4.1-mini\"],"
    "   \"budget\":{\"daily\":0.01,\"over\":\"refuse\"}}]");
  SyTestProc *serve = sy_test_serve_start (config, NULL, serve_env);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns-per-host", 32, NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1/chat/completions", serve->port);
  g_autoptr(GString) prompt = g_string_new (NULL);
  g_autofree char *body = NULL;
  Burst burst = { 0 };
  g_autoptr(GPtrArray) rows = NULL;
  double spent = 0;
  const double estimate = 10000 * 0.4 / 1e6 + 5 * 1.6 / 1e6;

  for (guint i = 0; i < 4000; i++)
    g_string_append (prompt, "0123456789");
  body = g_strdup_printf ("{\"model\":\"capped\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                          "\"content\":\"%s\"}]}", prompt->str);
  for (guint i = 0; i < 12; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", "Bearer " TOKEN);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      burst.pending++;
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, burst_done, &burst);
    }
  while (burst.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (burst.ok + burst.refused, ==, 12);
  g_assert_cmpuint (burst.ok, >=, 1);
  g_assert_cmpuint (burst.refused, >=, 1);
  newest_row (serve, 12, &rows);
  for (guint i = 0; i < rows->len; i++)
    {
      SyHistoryRecord *row = g_ptr_array_index (rows, i);
      if (row->status == 200 && row->cost_known)
        spent += row->cost;
    }
  g_test_message ("%u answered, %u refused, $%.6f spent of $0.01", burst.ok, burst.refused, spent);
  g_assert_cmpfloat (spent, >, 0);
  g_assert_cmpfloat (spent, <=, 0.01 + estimate);
  sy_test_proc_stop (serve);
  sy_test_proc_free (serve);
}

/* `switchyard route --explain` prints the plan and its reasons without sending. */
static void
test_explain_cli (void)
{
  g_autofree char *dir = sy_test_mkdtemp ();
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *db_path = g_build_filename (dir, "history.db", NULL);
  g_autofree char *config = config_with (
    "\"profiles\":[{\"name\":\"picky\",\"strategy\":\"cheapest\","
    "  \"models\":[\"groq/llama-3.1-8b-instant\",\"mistral/mistral-small-latest\",\"openai/gpt-4.1-mini\"]}]");
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) requests = NULL;

  g_assert_true (g_file_set_contents (config_path, config, -1, NULL));
  sy_test_mock_reset (mock);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, g_getenv ("SWITCHYARD_BIN"),
                              "route", "--explain", "picky", "--images", "--config", config_path,
                              "--db", db_path, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "picky"));
  g_assert_nonnull (strstr (out, "cheapest"));
  g_assert_nonnull (strstr (out, "groq/llama-3.1-8b-instant"));   /* listed, removed: no vision */
  g_assert_nonnull (strstr (out, "Plan: mistral/mistral-small-latest"));
  /* Nothing was sent. */
  requests = sy_test_mock_requests (mock);
  g_assert_cmpfloat (sy_test_json_double (requests, "count"), ==, 0);
  sy_test_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/routing/cheapest", test_cheapest);
  g_test_add_func ("/routing/fastest", test_fastest);
  g_test_add_func ("/routing/best-and-balance", test_best_and_balance);
  g_test_add_func ("/routing/filters", test_filters);
  g_test_add_func ("/routing/rules-and-aliases", test_rules_and_aliases);
  g_test_add_func ("/routing/fence-holds-for-fallbacks", test_fence_holds_for_fallbacks);
  g_test_add_func ("/routing/cooldown", test_cooldown);
  g_test_add_func ("/routing/budget-actions", test_budget_actions);
  g_test_add_func ("/routing/budget-concurrent", test_budget_concurrent);
  g_test_add_func ("/routing/explain-cli", test_explain_cli);

  mock = sy_test_mock_start (NULL);
  failing = sy_test_mock_start (NULL);
  status = g_test_run ();
  sy_test_proc_stop (failing);
  sy_test_proc_free (failing);
  sy_test_proc_stop (mock);
  sy_test_proc_free (mock);
  return status;
}
