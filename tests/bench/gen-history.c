/* gen-history.c — a developer's year of requests, for screenshots and for
 * trying the Dashboard and History by hand.
 *   gen-history DB [--rows N] [--days D] [--end-us T] [--seed S]
 * Creates DB with SyHistory (so the schema is the app's, migrations included)
 * and fills it through SQL with N requests (default 1,000,000) over the D days
 * (default 365) that end at T (µs since the epoch, default now), without bodies.
 * DB must not exist yet. Prints "rows N", "first_us T", "last_us T" and
 * "spend_usd X" on standard output.
 *
 * What it looks like: tab completion in the editor (Continue: Codestral, or a
 * local Ollama model), Claude Code on Sonnet with Haiku for small turns, Codex
 * CLI, aider on DeepSeek, chat in Zed through the `auto` profile, scripts and a
 * nightly batch job on the `cheap` profile, and curl experiments on Groq.
 * Busy on weekday working hours, quiet at night and on weekends, two holidays,
 * growing over the year; models change as new ones come out; each provider
 * fails now and then (and Anthropic has one bad afternoon, when the `coding`
 * profile falls back to OpenRouter). Costs come from the catalog's prices and
 * the router's own billing rules (sy_cost_compute), so a month is a personal
 * spend of a couple of hundred dollars, not thousands. The same seed, rows,
 * days, end and time zone ($TZ) give the same history.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sy-catalog.h"
#include "sy-cost.h"
#include "sy-history.h"

/* ------------------------------------------------------------------ models */

typedef struct {
  const char *provider;
  const char *model;
  double      ttft_ms;       /* median time to first token of a small prompt */
  double      tokens_per_s;  /* median */
  double      reasoning;     /* share of the output that is reasoning */
  double      error_rate;    /* failures, 499 excluded */
  int         error_status;
  const char *error;
} Model;

enum {
  CODESTRAL, QWEN_CODER, SONNET_4, SONNET_45, HAIKU_35, HAIKU_45, OR_SONNET, O4_MINI,
  GPT_5, GPT_51, DEEPSEEK, GPT_41_MINI, GEMINI_FLASH, GPT_41_NANO, FLASH_LITE, GROQ_LLAMA,
  N_MODELS
};

static const Model models[N_MODELS] = {
  [CODESTRAL] = { "mistral", "codestral-latest", 260, 150, 0, 0.003, 503,
                  "mistral: upstream answered 503: Service unavailable" },
  [QWEN_CODER] = { "ollama", "qwen2.5-coder:7b", 140, 48, 0, 0.004, 502,
                   "ollama: could not connect to http://127.0.0.1:11434/v1" },
  [SONNET_4] = { "anthropic", "claude-sonnet-4-0", 1700, 58, 0, 0.012, 529,
                 "anthropic: upstream answered 529: Overloaded" },
  [SONNET_45] = { "anthropic", "claude-sonnet-4-5", 1600, 62, 0, 0.012, 529,
                  "anthropic: upstream answered 529: Overloaded" },
  [HAIKU_35] = { "anthropic", "claude-3-5-haiku-latest", 650, 105, 0, 0.012, 529,
                 "anthropic: upstream answered 529: Overloaded" },
  [HAIKU_45] = { "anthropic", "claude-haiku-4-5", 600, 125, 0, 0.012, 529,
                 "anthropic: upstream answered 529: Overloaded" },
  [OR_SONNET] = { "openrouter", "anthropic/claude-sonnet-4.5", 1900, 55, 0, 0.005, 502,
                  "openrouter: upstream answered 502: Provider returned error" },
  [O4_MINI] = { "openai", "o4-mini", 2600, 95, 0.6, 0.004, 500,
                "openai: upstream answered 500: The server had an error" },
  [GPT_5] = { "openai", "gpt-5", 3800, 70, 0.6, 0.004, 500,
              "openai: upstream answered 500: The server had an error" },
  [GPT_51] = { "openai", "gpt-5.1", 3000, 75, 0.5, 0.004, 500,
               "openai: upstream answered 500: The server had an error" },
  [DEEPSEEK] = { "deepseek", "deepseek-chat", 1400, 32, 0, 0.01, 503,
                 "deepseek: upstream answered 503: Server busy" },
  [GPT_41_MINI] = { "openai", "gpt-4.1-mini", 480, 85, 0, 0.004, 429,
                    "openai: upstream answered 429: Rate limit reached" },
  [GEMINI_FLASH] = { "google", "gemini-2.5-flash", 850, 190, 0.3, 0.008, 503,
                     "google: upstream answered 503: The model is overloaded" },
  [GPT_41_NANO] = { "openai", "gpt-4.1-nano", 380, 140, 0, 0.004, 429,
                    "openai: upstream answered 429: Rate limit reached" },
  [FLASH_LITE] = { "google", "gemini-2.5-flash-lite", 330, 260, 0, 0.008, 503,
                   "google: upstream answered 503: The model is overloaded" },
  [GROQ_LLAMA] = { "groq", "llama-3.3-70b-versatile", 170, 280, 0, 0.025, 429,
                   "groq: upstream answered 429: Rate limit reached for model" },
};

/* ---------------------------------------------------------------- workloads */

typedef enum {
  W_AUTOCOMPLETE,   /* Continue's tab completion */
  W_CLAUDE,         /* Claude Code */
  W_CODEX,          /* Codex CLI */
  W_AIDER,
  W_CHAT,           /* Zed's assistant */
  W_SCRIPT,         /* the user's own scripts */
  W_CURL,           /* trying things */
  W_BATCH,          /* a nightly job, from some point of the year on */
  N_WORKLOADS
} Workload;

/* Shares of the interactive requests (the batch job comes on top). */
static const double interactive_mix[W_BATCH] = { 0.585, 0.065, 0.04, 0.04, 0.13, 0.12, 0.02 };

static const char * const clients[N_WORKLOADS] = {
  [W_AUTOCOMPLETE] = "Continue/1.2.10 (vscode)",
  [W_CLAUDE] = "claude-cli/2.0.50 (external, cli)",
  [W_CODEX] = "codex_cli_rs/0.63.0 (Debian 12.0.0; x86_64) xterm-256color",
  [W_AIDER] = "aider/0.86.1",
  [W_CHAT] = "Zed/0.213.3 (linux; x86_64)",
  [W_SCRIPT] = "OpenAI/Python 2.8.1",
  [W_CURL] = "curl/7.88.1",
  [W_BATCH] = "OpenAI/Python 2.8.1",
};

typedef struct {
  double prompt, prompt_sigma;          /* lognormal: median and sigma */
  gint64 prompt_min, prompt_max;
  double completion, completion_sigma;
  gint64 completion_min, completion_max;
} Shape;

typedef struct {
  const char *surface;
  const char *requested;    /* NULL: the model itself */
  const char *profile;
  const char *strategy;
  int         models[3];    /* the profile's candidates in its order, -1 ends */
  int         fallback;     /* the next candidate after a failure, -1: none */
  int         winner;
  gboolean    stream;
  double      cancelled;    /* share of 499: the client went away */
  Shape       shape;
  double      cache_hits;   /* share of requests that read a cache */
  double      cached_share; /* of the prompt, when they do */
  double      cache_writes; /* share that write one (Anthropic) */
} Call;

/* ------------------------------------------------------------------- state */

typedef struct {
  GRand        *rand;
  SyCatalog    *catalog;
  SyPrice       prices[N_MODELS];
  sqlite3_stmt *stmt;
  gint64        start_us;
  gint64        end_us;
  gint64        incident_from_us;   /* Anthropic's bad afternoon */
  gint64        incident_to_us;
  double        spend;
} Gen;

static double
lognormal (GRand  *rand,
           double  median,
           double  sigma)
{
  double u1 = g_rand_double_range (rand, 1e-12, 1.0), u2 = g_rand_double (rand);

  return median * exp (sigma * sqrt (-2 * log (u1)) * cos (2 * G_PI * u2));
}

static gint64
draw_tokens (GRand  *rand,
             double  median,
             double  sigma,
             gint64  min,
             gint64  max)
{
  return CLAMP ((gint64) lognormal (rand, median, sigma), min, max);
}

/* The fraction of the generated span at @t_us: 0 at its start, 1 at its end. */
static double
progress (const Gen *gen,
          gint64     t_us)
{
  return (double) (t_us - gen->start_us) / (double) (gen->end_us - gen->start_us);
}

/* What a request of @workload at @t_us asks for and where it goes. */
static void
plan_call (Gen      *gen,
           Workload  workload,
           gint64    t_us,
           Call     *call)
{
  GRand *rand = gen->rand;
  double x = progress (gen, t_us);
  double r = g_rand_double (rand);

  memset (call, 0, sizeof *call);
  call->models[0] = call->models[1] = call->models[2] = -1;
  call->fallback = -1;
  call->stream = TRUE;
  switch (workload)
    {
    case W_AUTOCOMPLETE:
      /* Codestral at first; a local model from the spring on, when the
       * laptop has the GPU for it. */
      call->surface = "chat.completions";
      call->requested = call->profile = "autocomplete";
      call->strategy = "fastest";
      call->models[0] = QWEN_CODER;
      call->models[1] = CODESTRAL;
      call->winner = x > 0.3 && r < 0.45 ? QWEN_CODER : CODESTRAL;
      call->fallback = call->winner == QWEN_CODER ? CODESTRAL : -1;
      call->cancelled = 0.09;
      call->shape = (Shape) { 1800, 0.45, 250, 8000, 32, 0.9, 1, 400 };
      break;
    case W_CLAUDE:
      call->surface = "messages";
      if (r < 0.35)
        {
          /* Titles, summaries, small tool turns. */
          call->winner = x < 0.7 ? HAIKU_35 : HAIKU_45;
          call->shape = (Shape) { 2600, 0.9, 200, 60000, 55, 1.0, 1, 4000 };
          call->cache_hits = 0.4;
          call->cached_share = 0.8;
          call->cache_writes = 0.2;
        }
      else
        {
          call->requested = call->profile = "coding";
          call->strategy = "fallback";
          call->models[0] = x < 0.55 ? SONNET_4 : SONNET_45;
          call->models[1] = OR_SONNET;
          call->winner = call->models[0];
          call->fallback = OR_SONNET;
          call->shape = (Shape) { 30000, 0.5, 6000, 190000, 260, 1.0, 1, 16000 };
          call->cache_hits = 0.96;
          call->cached_share = 0.95;
          call->cache_writes = 0.85;
        }
      call->cancelled = 0.02;
      break;
    case W_CODEX:
      call->surface = "responses";
      call->winner = x < 0.4 ? O4_MINI : x < 0.85 ? GPT_5 : GPT_51;
      call->shape = (Shape) { 22000, 0.5, 4000, 200000, 480, 0.9, 1, 30000 };
      call->cache_hits = 0.9;
      call->cached_share = 0.93;
      call->cancelled = 0.02;
      break;
    case W_AIDER:
      call->surface = "chat.completions";
      call->winner = DEEPSEEK;
      call->shape = (Shape) { 9000, 0.5, 1500, 60000, 450, 0.8, 1, 8000 };
      call->cache_hits = 0.6;
      call->cached_share = 0.7;
      break;
    case W_CHAT:
      call->surface = "chat.completions";
      if (r < 0.65)
        {
          call->requested = call->profile = "auto";
          call->strategy = "fallback";
          call->models[0] = GPT_41_MINI;
          call->models[1] = x < 0.7 ? HAIKU_35 : HAIKU_45;
          call->models[2] = GEMINI_FLASH;
          call->winner = GPT_41_MINI;
          call->fallback = call->models[1];
        }
      else
        call->winner = GEMINI_FLASH;
      call->shape = (Shape) { 2400, 0.9, 100, 100000, 380, 0.8, 1, 8000 };
      call->cache_hits = 0.3;
      call->cached_share = 0.6;
      call->cancelled = 0.01;
      break;
    case W_SCRIPT:
    case W_BATCH:
      call->surface = "chat.completions";
      call->requested = call->profile = "cheap";
      call->strategy = "cheapest";
      call->models[0] = GPT_41_NANO;
      call->models[1] = FLASH_LITE;
      call->models[2] = GPT_41_MINI;
      call->winner = x < 0.5 ? GPT_41_NANO : FLASH_LITE;
      call->stream = FALSE;
      call->shape = workload == W_BATCH
                    ? (Shape) { 2500, 0.4, 400, 12000, 240, 0.5, 10, 2000 }
                    : (Shape) { 1200, 0.7, 50, 30000, 150, 0.8, 1, 4000 };
      break;
    case W_CURL:
      call->surface = "chat.completions";
      call->requested = call->profile = "fast";
      call->strategy = "fastest";
      call->models[0] = GROQ_LLAMA;
      call->models[1] = GEMINI_FLASH;
      call->models[2] = GPT_41_MINI;
      call->winner = GROQ_LLAMA;
      call->stream = r < 0.3;
      call->shape = (Shape) { 60, 1.2, 8, 5000, 200, 0.8, 1, 4000 };
      break;
    case N_WORKLOADS:
    default:
      g_assert_not_reached ();
    }
}

/* ------------------------------------------------------------------ writing */

static char *
model_id (int m)
{
  return g_strdup_printf ("%s/%s", models[m].provider, models[m].model);
}

static char *
route_json (const Call *call,
            int         winner)
{
  GString *json = g_string_new (NULL);
  g_autofree char *won = model_id (winner);

  g_string_append_printf (json, "{\"requested\":\"%s\",\"profile\":\"%s\",\"strategy\":\"%s\","
                          "\"candidates\":[", call->requested, call->profile, call->strategy);
  for (guint i = 0; i < G_N_ELEMENTS (call->models) && call->models[i] >= 0; i++)
    {
      g_autofree char *id = model_id (call->models[i]);

      g_string_append_printf (json, "%s{\"model\":\"%s\"}", i > 0 ? "," : "", id);
    }
  g_string_append_printf (json, "],\"removed\":0,\"winner\":\"%s\"}", won);
  return g_string_free (json, FALSE);
}

static void
append_attempt (GString    *attempts,
                int         m,
                int         status,
                const char *error,
                double      ms)
{
  g_string_append_printf (attempts, "%s{\"provider\":\"%s\",\"model\":\"%s\",\"status\":%d,",
                          attempts->len > 1 ? "," : "", models[m].provider, models[m].model,
                          status);
  if (error != NULL)
    g_string_append_printf (attempts, "\"error\":\"%s\",", error);
  g_string_append_printf (attempts, "\"ms\":%.1f}", round (ms * 10) / 10);
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_positive (sqlite3_stmt *stmt,
               int           index,
               double        value)
{
  if (value >= 0 && isfinite (value))
    sqlite3_bind_double (stmt, index, value);
  else
    sqlite3_bind_null (stmt, index);
}

/* Logs a failed attempt on @m; returns how long it took (ms). */
static double
failed_attempt (Gen     *gen,
                GString *attempts,
                int      m)
{
  double ms = g_str_equal (models[m].provider, "ollama")
              ? g_rand_double_range (gen->rand, 0.5, 3)       /* nothing listens */
              : lognormal (gen->rand, models[m].ttft_ms * 0.8, 0.5);

  append_attempt (attempts, m, models[m].error_status, models[m].error, ms);
  return ms;
}

/* Whether the upstream of @m fails a request at @t_us. */
static gboolean
fails (Gen    *gen,
       int     m,
       gint64  t_us)
{
  double rate = models[m].error_rate;

  if (g_str_equal (models[m].provider, "anthropic") &&
      t_us >= gen->incident_from_us && t_us < gen->incident_to_us)
    rate = 0.45;
  return g_rand_double (gen->rand) < rate;
}

static void
write_request (Gen      *gen,
               Workload  workload,
               gint64    t_us)
{
  GRand *rand = gen->rand;
  sqlite3_stmt *stmt = gen->stmt;
  g_autoptr(GString) attempts = g_string_new ("[");
  g_autofree char *id = g_strdup_printf ("sy-%08x%08x%08x", g_rand_int (rand), g_rand_int (rand),
                                         g_rand_int (rand));
  g_autofree char *route = NULL;
  g_autofree char *requested = NULL;
  const Model *model;
  SyUsage usage = { 0 };
  SyCost cost = { 0 };
  Call call;
  int m;
  int status = 200;
  const char *error = NULL;
  double ttft, tps, total, before = 0;
  gboolean have_usage = TRUE;

  plan_call (gen, workload, t_us, &call);
  m = call.winner;

  /* The first choice fails: the profile's next candidate, if any, is tried. */
  if (fails (gen, m, t_us))
    {
      gboolean failed = TRUE;

      before = failed_attempt (gen, attempts, m);
      if (call.fallback >= 0)
        {
          m = call.fallback;
          failed = fails (gen, m, t_us);
          if (failed)
            before += failed_attempt (gen, attempts, m);
        }
      if (failed)
        {
          status = models[m].error_status;
          error = models[m].error;
          have_usage = FALSE;
        }
    }
  model = &models[m];

  usage.prompt_tokens = draw_tokens (rand, call.shape.prompt, call.shape.prompt_sigma,
                                     call.shape.prompt_min, call.shape.prompt_max);
  usage.completion_tokens = draw_tokens (rand, call.shape.completion, call.shape.completion_sigma,
                                         call.shape.completion_min, call.shape.completion_max);
  if (g_rand_double (rand) < call.cache_hits)
    usage.cached_tokens = (gint64) (usage.prompt_tokens * call.cached_share
                                    * g_rand_double_range (rand, 0.85, 1.05));
  usage.cached_tokens = MIN (usage.cached_tokens, usage.prompt_tokens);
  if (g_rand_double (rand) < call.cache_writes)
    usage.cache_write_tokens = usage.cached_tokens > 0
                               ? MIN (draw_tokens (rand, 1400, 0.8, 50, 40000),
                                      usage.prompt_tokens - usage.cached_tokens)
                               : usage.prompt_tokens * 9 / 10;
  usage.reasoning_tokens = (gint64) (usage.completion_tokens * model->reasoning);

  /* Timings: a bigger prompt takes longer to start; now and then one is slow. */
  ttft = lognormal (rand, model->ttft_ms, 0.35) * (1 + usage.prompt_tokens / 120000.0);
  if (g_rand_double (rand) < 0.02)
    ttft *= g_rand_double_range (rand, 2.5, 6);
  if (m == QWEN_CODER && g_rand_double (rand) < 0.01)
    ttft += g_rand_double_range (rand, 2000, 6000);    /* loading the model */
  tps = lognormal (rand, model->tokens_per_s, 0.22);

  if (status == 200 && g_rand_double (rand) < call.cancelled)
    {
      /* The client went away mid-answer: billed for what was sent. */
      status = 499;
      error = "client closed the connection";
      usage.completion_tokens = (gint64) (usage.completion_tokens * g_rand_double (rand));
      usage.reasoning_tokens = MIN (usage.reasoning_tokens, usage.completion_tokens);
    }
  total = 0;
  if (have_usage)
    {
      total = ttft + usage.completion_tokens * 1000.0 / tps;
      append_attempt (attempts, m, status, error, total);
    }
  g_string_append_c (attempts, ']');
  total += before;
  if (!call.stream && status == 200)
    ttft = total - g_rand_double_range (rand, 0.1, 2);   /* the whole answer at once */
  else
    ttft += before;

  if (have_usage)
    sy_cost_compute (&gen->prices[m], &usage, &cost);

  if (call.profile != NULL)
    route = route_json (&call, m);
  requested = call.requested != NULL ? g_strdup (call.requested) : model_id (call.winner);

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, t_us);
  sqlite3_bind_text (stmt, 3, clients[workload], -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, call.surface, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, requested, -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 6, call.profile);
  sqlite3_bind_text (stmt, 7, model->provider, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, model->model, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 9, call.stream);
  sqlite3_bind_int (stmt, 10, status);
  bind_text_or_null (stmt, 11, status == 200 ? NULL : error);
  sqlite3_bind_text (stmt, 12, attempts->str, -1, SQLITE_TRANSIENT);
  bind_text_or_null (stmt, 13, route);
  if (have_usage)
    {
      sqlite3_bind_int64 (stmt, 14, usage.prompt_tokens);
      sqlite3_bind_int64 (stmt, 15, usage.completion_tokens);
      sqlite3_bind_int64 (stmt, 16, usage.cached_tokens);
      sqlite3_bind_int64 (stmt, 17, usage.cache_write_tokens);
      sqlite3_bind_int64 (stmt, 18, usage.reasoning_tokens);
    }
  else
    for (int i = 14; i <= 18; i++)
      sqlite3_bind_null (stmt, i);
  if (cost.known)
    {
      sqlite3_bind_double (stmt, 19, cost.total);
      sqlite3_bind_double (stmt, 20, cost.input);
      sqlite3_bind_double (stmt, 21, cost.output);
      sqlite3_bind_double (stmt, 22, cost.cache_read);
      sqlite3_bind_double (stmt, 23, cost.cache_write);
      gen->spend += cost.total;
    }
  else
    for (int i = 19; i <= 23; i++)
      sqlite3_bind_null (stmt, i);
  bind_positive (stmt, 24, status == 200 || status == 499 ? ttft : -1);
  bind_positive (stmt, 25, total);
  bind_positive (stmt, 26, call.stream && status == 200 && usage.completion_tokens > 0 ? tps : -1);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      g_printerr ("gen-history: %s\n", sqlite3_errmsg (sqlite3_db_handle (stmt)));
      exit (1);
    }
  sqlite3_reset (stmt);
}

/* ------------------------------------------------------------------ rhythm */

/* Requests in each local hour of a working day and of a day off, relative. */
static const double workday_hours[24] = {
  0.25, 0.1, 0.05, 0.03, 0.03, 0.05, 0.15, 0.5, 2.0, 4.5, 5.5, 5.2,
  2.6, 3.8, 5.4, 5.6, 5.0, 3.6, 1.6, 0.9, 1.3, 1.6, 1.1, 0.6,
};
static const double dayoff_hours[24] = {
  0.3, 0.15, 0.05, 0.02, 0.02, 0.02, 0.02, 0.05, 0.1, 0.3, 0.6, 0.8,
  0.6, 0.5, 0.6, 0.7, 0.6, 0.5, 0.4, 0.5, 0.9, 1.2, 1.0, 0.6,
};
#define DAYOFF_SCALE 0.35   /* a day off's activity against a working day's */

typedef struct {
  gint64 start_us;
  double interactive;    /* weights */
  double batch;
} Hour;

static gboolean
on_holiday (GDateTime *local,
            double     days_to_end)
{
  int month = g_date_time_get_month (local), day = g_date_time_get_day_of_month (local);

  return (month == 12 && day >= 24) || (month == 1 && day == 1) ||
         (days_to_end >= 146 && days_to_end < 160);   /* two weeks of summer */
}

static GArray *
hours_of (Gen       *gen,
          GTimeZone *tz)
{
  GArray *hours = g_array_new (FALSE, FALSE, sizeof (Hour));
  g_autoptr(GDateTime) start_utc = g_date_time_new_from_unix_utc (gen->start_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) start = g_date_time_to_timezone (start_utc, tz);
  g_autoptr(GDateTime) first = g_date_time_new (tz, g_date_time_get_year (start),
                                                g_date_time_get_month (start),
                                                g_date_time_get_day_of_month (start),
                                                g_date_time_get_hour (start), 0, 0);
  gint64 t = g_date_time_to_unix (first) * G_USEC_PER_SEC;
  int last_day = -1;
  double day_factor = 1;
  gboolean day_off = FALSE;

  for (; t < gen->end_us; t += G_TIME_SPAN_HOUR)
    {
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t / G_USEC_PER_SEC);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
      int hour = g_date_time_get_hour (local);
      double x = progress (gen, MAX (t, gen->start_us));
      Hour h = { t, 0, 0 };

      if (g_date_time_get_day_of_year (local) != last_day)
        {
          double days_to_end = (double) (gen->end_us - t) / G_TIME_SPAN_DAY;

          last_day = g_date_time_get_day_of_year (local);
          day_off = g_date_time_get_day_of_week (local) >= 6 || on_holiday (local, days_to_end) ||
                    g_rand_double (gen->rand) < 0.03;                /* ill, or away */
          /* Some days are all agents, some are meetings. */
          day_factor = lognormal (gen->rand, 1, 0.35);
        }
      /* Usage grows over the year. */
      h.interactive = (day_off ? DAYOFF_SCALE * dayoff_hours[hour] : workday_hours[hour])
                      * day_factor * (0.55 + 0.45 * x);
      /* The nightly job runs from the spring on, at 02:00, whatever the day. */
      if (hour == 2 && x > 0.45)
        h.batch = 6.0;
      g_array_append_val (hours, h);
    }
  return hours;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static Workload
pick_workload (GRand *rand)
{
  double r = g_rand_double (rand);

  for (guint w = 0; w < G_N_ELEMENTS (interactive_mix); w++)
    {
      if (r < interactive_mix[w])
        return w;
      r -= interactive_mix[w];
    }
  return W_AUTOCOMPLETE;
}

/* N rows over the hours, in proportion to their weights (exactly N in all),
 * each at a random instant of its hour, in time order. */
static void
generate (Gen       *gen,
          GTimeZone *tz,
          gint64     rows)
{
  g_autoptr(GArray) hours = hours_of (gen, tz);
  g_autoptr(GArray) instants = g_array_new (FALSE, FALSE, sizeof (gint64));
  double total = 0, cumulative = 0, offset = g_rand_double (gen->rand);
  gint64 written = 0;

  for (guint i = 0; i < hours->len; i++)
    {
      Hour *h = &g_array_index (hours, Hour, i);

      total += h->interactive + h->batch;
    }
  for (guint i = 0; i < hours->len; i++)
    {
      Hour *h = &g_array_index (hours, Hour, i);
      gint64 from = MAX (h->start_us, gen->start_us);
      gint64 to = MIN (h->start_us + G_TIME_SPAN_HOUR, gen->end_us);
      double weight = h->interactive + h->batch;
      gint64 n;

      cumulative += weight;
      n = (gint64) floor (cumulative / total * (double) rows + offset) - written;
      n = MIN (n, rows - written);
      if (n <= 0 || to <= from)
        continue;
      g_array_set_size (instants, 0);
      for (gint64 k = 0; k < n; k++)
        {
          /* The batch job is done within its first 40 minutes. */
          gint64 span = h->batch > 0 ? MIN (to - from, 40 * G_TIME_SPAN_MINUTE) : to - from;
          gint64 at = from + (gint64) (g_rand_double (gen->rand) * (double) span);

          g_array_append_val (instants, at);
        }
      g_array_sort (instants, compare_gint64);
      for (guint k = 0; k < instants->len; k++)
        {
          gint64 at = g_array_index (instants, gint64, k);
          gboolean batch = g_rand_double (gen->rand) * weight < h->batch;

          write_request (gen, batch ? W_BATCH : pick_workload (gen->rand), at);
        }
      written += n;
    }
  /* Rounding left some: at the very end. */
  for (; written < rows; written++)
    write_request (gen, pick_workload (gen->rand), gen->end_us - (rows - written));
}

/* -------------------------------------------------------------------- main */

int
main (int   argc,
      char *argv[])
{
  gint64 rows = 1000000;
  gint64 days = 365;
  gint64 end_us = 0;
  gint64 seed = 7;
  GOptionEntry entries[] = {
    { "rows", 0, 0, G_OPTION_ARG_INT64, &rows, "Requests to generate (default 1000000)", "N" },
    { "days", 0, 0, G_OPTION_ARG_INT64, &days, "Days of history (default 365)", "D" },
    { "end-us", 0, 0, G_OPTION_ARG_INT64, &end_us,
      "End of the history, in microseconds since the epoch (default now)", "T" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 7)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("DB - a developer's year of requests");
  g_autoptr(GError) error = NULL;
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(SyCatalog) catalog = NULL;
  sqlite3 *db = NULL;
  Gen gen = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gint64 noon;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("gen-history: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || rows < 0 || days < 1 || end_us < 0)
    {
      g_printerr ("usage: gen-history DB [--rows N] [--days D] [--end-us T] [--seed S]\n");
      return 2;
    }
  if (g_file_test (argv[1], G_FILE_TEST_EXISTS))
    {
      g_printerr ("gen-history: %s exists: give a new file\n", argv[1]);
      return 2;
    }

  catalog = sy_catalog_new_default (&error);
  if (catalog == NULL)
    {
      g_printerr ("gen-history: the catalog: %s\n", error->message);
      return 1;
    }
  for (int m = 0; m < N_MODELS; m++)
    if (!sy_catalog_get_price (catalog, models[m].provider, models[m].model, &gen.prices[m]))
      {
        g_printerr ("gen-history: no price for %s/%s in the catalog\n", models[m].provider,
                    models[m].model);
        return 1;
      }

  /* The schema is SyHistory's own. */
  history = sy_history_new (argv[1], &error);
  if (history == NULL)
    {
      g_printerr ("gen-history: %s\n", error->message);
      return 1;
    }
  sy_history_close (history);
  g_clear_object (&history);

  gen.rand = g_rand_new_with_seed ((guint32) seed);
  gen.end_us = end_us > 0 ? end_us : g_get_real_time ();
  gen.start_us = gen.end_us - days * G_TIME_SPAN_DAY;
  /* Anthropic's bad afternoon: 14:00 to 16:30 UTC, nine days before the end
   * (or in the middle of a shorter history). */
  noon = gen.end_us - MIN (9, days / 2) * G_TIME_SPAN_DAY;
  noon -= noon % G_TIME_SPAN_DAY;
  gen.incident_from_us = noon + 14 * G_TIME_SPAN_HOUR;
  gen.incident_to_us = gen.incident_from_us + 150 * G_TIME_SPAN_MINUTE;

  if (sqlite3_open (argv[1], &db) != SQLITE_OK ||
      sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-262144; BEGIN",
                    NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db,
                          "INSERT INTO requests (request_id, started_at, client, surface,"
                          " requested_model, profile, provider, model, stream, status, error,"
                          " attempts, route, prompt_tokens, completion_tokens, cached_tokens,"
                          " cache_write_tokens, reasoning_tokens, cost, cost_input, cost_output,"
                          " cost_cache_read, cost_cache_write, ttft_ms, total_ms, tokens_per_s)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                          " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
                          -1, &gen.stmt, NULL) != SQLITE_OK)
    {
      g_printerr ("gen-history: %s: %s\n", argv[1], sqlite3_errmsg (db));
      return 1;
    }

  generate (&gen, tz, rows);

  sqlite3_finalize (gen.stmt);
  if (sqlite3_exec (db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)",
                    NULL, NULL, NULL) != SQLITE_OK)
    {
      g_printerr ("gen-history: %s: %s\n", argv[1], sqlite3_errmsg (db));
      return 1;
    }
  sqlite3_close (db);
  g_rand_free (gen.rand);

  printf ("rows %" G_GINT64_FORMAT "\n", rows);
  printf ("first_us %" G_GINT64_FORMAT "\n", gen.start_us);
  printf ("last_us %" G_GINT64_FORMAT "\n", gen.end_us);
  printf ("spend_usd %.2f\n", gen.spend);
  printf ("generate_s %.1f\n", (g_get_monotonic_time () - t0) / 1e6);
  return 0;
}
