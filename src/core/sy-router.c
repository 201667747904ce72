/* sy-router.c — turns a request into a plan of attempts and drives them upstream.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-router"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "sy-json.h"
#include "sy-planner.h"
#include "sy-provider-openai.h"
#include "sy-router.h"
#include "sy-translate.h"
#include "sy-sse.h"

#define READ_CHUNK            (16 * 1024)
#define MAX_ERROR_BODY        (1024 * 1024)
#define MAX_RESPONSE_BODY     (64 * 1024 * 1024)
#define MAX_HISTORY_BODY      (1024 * 1024)
#define MAX_SSE_EVENT         (8 * 1024 * 1024)
#define MAX_ATTEMPTS_TOTAL    8
#define MAX_REQUESTED_MODELS  8

struct _SyRouter
{
  GObject       parent_instance;

  /* owned references */
  SyConfig     *config;
  SyKeys       *keys;
  SyHistory    *history;
  SoupSession  *session;
  GMainContext *context;

  /* state */
  SyStats      *stats;       /* measured latency, throughput and health */
  SyBudget     *budget;      /* spend against the configured caps */
  GHashTable   *exchanges;   /* SyExchange* set, in flight */
  GHashTable   *ca_files;    /* ca_file path → GTlsDatabase, or absent when unreadable */
  SyRequestObserver observer;
  gpointer      observer_data;
};

G_DEFINE_FINAL_TYPE (SyRouter, sy_router, G_TYPE_OBJECT)

typedef enum {
  PHASE_IDLE,
  PHASE_CONNECT,     /* until the request is written */
  PHASE_FIRST_BYTE,  /* until the first body byte or event */
  PHASE_BODY,        /* reading: idle timeout between chunks */
} Phase;

struct _SyExchange
{
  gatomicrefcount       ref_count;

  /* owned references */
  SyRouter             *router;
  JsonNode             *request;       /* as the client sent it, in its format */
  JsonNode             *hub;           /* the same in the hub format */
  GBytes               *raw_body;
  GPtrArray            *plan;
  JsonArray            *attempts;
  GCancellable         *cancellable;   /* the current attempt */
  SyProvider           *provider;
  SoupMessage          *msg;
  GInputStream         *input;
  SySseParser          *sse;
  GByteArray           *buffer;
  GString              *history_body;
  GSource              *timer;
  GSource              *keepalive;
  GSource              *backoff;
  SyStreamDecoder      *decoder;       /* this attempt's upstream events → hub chunks */
  SyStreamEncoder      *encoder;       /* hub chunks → the client's events */
  GPtrArray            *notes;         /* this attempt's adjustments, for history */

  /* sink */
  const SyExchangeSink *sink;
  gpointer              sink_data;

  /* request */
  char                 *request_id;
  SyWire                client_wire;
  SyWire                upstream_wire;  /* this attempt's */
  gboolean              translating;    /* this attempt's formats differ */
  char                 *surface;
  char                 *client;
  char                 *requested_model;
  char                 *profile;
  char                 *profile_header;  /* x-switchyard-profile */
  char                 *route_json;      /* the plan's explanation */
  char                 *route_summary;   /* the same in one line, for x-switchyard-route */
  guint64               budget_ticket;
  gboolean              rescue_allowed;  /* the plan's profile asks for mid-stream rescue */
  gboolean              stream;
  gboolean              store_bodies;   /* read from config once, not per chunk */
  gboolean              keep_record;    /* sy_exchange_get_record () wanted */
  SyHistoryRecord      *record;         /* the final record, when kept */
  gint64                started_at_us;
  gint64                t0;

  /* timers */
  double                connect_s;
  double                first_byte_s;
  double                idle_s;
  double                keepalive_s;
  gint64                last_read;
  gint64                last_write;

  /* plan progress */
  guint                 plan_index;
  guint                 tries_on_candidate;
  guint                 attempts_sent;
  guint                 attempt_serial;  /* changes whenever an attempt is abandoned */
  char                 *model;
  char                 *key;
  gint64                attempt_t0;
  Phase                 phase;
  const char           *timeout_reason;

  /* outcome */
  gboolean              headers_sent;
  gboolean              content_sent;
  gboolean              saw_done;
  gboolean              saw_eof;
  gboolean              finished;
  gboolean              have_usage;
  SyUsage               usage;
  SyUsage               anthropic_start_usage;  /* passthrough: message_start's */
  SyCost                cost;
  gint64                t_first;
  gsize                 streamed_chars;
  guint                 last_status;
  char                 *last_type;
  char                 *last_error;
  char                 *last_retry_after;
  guint                 final_status;
  char                 *final_error;

  /* mid-stream rescue */
  JsonNode             *continuation;    /* hub request that continues a broken stream */
  GString              *rescue_text;     /* assistant text sent, kept while a rescue may come */
  gboolean              rescue;          /* this attempt keeps its text for a rescue */
  gboolean              rescue_blocked;  /* it streamed a tool call: nothing to continue */
  gboolean              attempt_content; /* this attempt sent content */
  gboolean              rescued;         /* a broken part's usage is to be added */
  gboolean              rescued_merged;  /* ex->usage and ex->cost include it */
  SyUsage               rescued_usage;
  SyCost                rescued_cost;
};

static void exchange_next_attempt (SyExchange *ex);
static void exchange_attempt_failed (SyExchange *ex, guint status, const char *type,
                                     const char *message, gboolean retryable,
                                     const char *retry_after);
static void exchange_read_more (SyExchange *ex);
static void skip_candidate (SyExchange *ex, guint status, const char *type, const char *message);
static void note_skipped (SyExchange *ex, guint status, const char *type, const char *message);
static gboolean timer_cb (gpointer data);
static void chat_chunk_error (SyExchange *ex, const char *data);
static void finish_stream_success (SyExchange *ex);
static void exchange_abort (SyExchange *ex, guint status, const char *reason);
static gboolean keepalive_cb (gpointer data);

void
sy_candidate_free (SyCandidate *candidate)
{
  if (candidate == NULL)
    return;
  g_free (candidate->provider_id);
  g_free (candidate->model);
  g_free (candidate);
}

static SyCandidate *
candidate_new (const char *provider_id,
               const char *model)
{
  SyCandidate *candidate = g_new0 (SyCandidate, 1);

  candidate->provider_id = g_strdup (provider_id);
  candidate->model = g_strdup (model);
  return candidate;
}

/* ---------------------------------------------------------------- router */

static void
sy_router_dispose (GObject *object)
{
  SyRouter *self = SY_ROUTER (object);

  sy_router_cancel_all (self);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (sy_router_parent_class)->dispose (object);
}

static void
sy_router_finalize (GObject *object)
{
  SyRouter *self = SY_ROUTER (object);

  g_clear_pointer (&self->exchanges, g_hash_table_unref);
  g_clear_pointer (&self->ca_files, g_hash_table_unref);
  g_clear_pointer (&self->stats, sy_stats_free);
  g_clear_pointer (&self->budget, sy_budget_free);
  g_clear_object (&self->config);
  g_clear_object (&self->keys);
  g_clear_object (&self->history);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (sy_router_parent_class)->finalize (object);
}

static void
sy_router_class_init (SyRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sy_router_dispose;
  object_class->finalize = sy_router_finalize;
}

static void
sy_router_init (SyRouter *self)
{
  self->exchanges = g_hash_table_new (NULL, NULL);
  self->ca_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/* Providers behind a private CA (a self-hosted server, a company proxy) name it in
 * `ca_file`. The files are read once, here, before the router serves: not on its
 * main loop while requests wait. */
static void
load_ca_files (SyRouter *self)
{
  g_autoptr(GPtrArray) providers = sy_config_dup_providers (self->config);

  for (guint i = 0; i < providers->len; i++)
    {
      const SyProvider *provider = g_ptr_array_index (providers, i);
      g_autoptr(GError) error = NULL;
      GTlsDatabase *database;

      if (provider->ca_file == NULL || g_hash_table_contains (self->ca_files, provider->ca_file))
        continue;
      database = g_tls_file_database_new (provider->ca_file, &error);
      if (database == NULL)
        {
          g_warning ("Provider '%s': ca_file %s: %s", provider->id, provider->ca_file, error->message);
          continue;
        }
      g_hash_table_insert (self->ca_files, g_strdup (provider->ca_file), database);
    }
}

/* Statistics and spend start from history, read once before the router serves
 * (not on its main loop): routing by speed and budgets work from the first
 * request after a restart. */
static void
load_measurements (SyRouter *self)
{
  JsonObject *health = sy_json_get_object (sy_config_get_root (self->config), "health");
  const char *db_path = self->history != NULL ? sy_history_get_path (self->history) : NULL;
  g_autoptr(GError) error = NULL;

  self->stats = sy_stats_new ();
  self->budget = sy_budget_new ();
  sy_stats_set_health (self->stats,
                       (guint) MAX (1, sy_json_get_int (health, "failures", 3)),
                       MAX (1.0, sy_json_get_double (health, "window", 60)),
                       MAX (1.0, sy_json_get_double (health, "cooldown", 120)));
  if (db_path == NULL)
    return;
  if (!sy_stats_seed (self->stats, db_path, &error) && error != NULL)
    {
      g_warning ("Statistics from %s: %s", db_path, error->message);
      g_clear_error (&error);
    }
  if (!sy_budget_seed (self->budget, db_path, &error) && error != NULL)
    {
      g_warning ("Spend from %s: %s", db_path, error->message);
      g_clear_error (&error);
    }
  {
    SyRatings *ratings = sy_ratings_new ();

    if (!sy_ratings_seed (ratings, db_path, &error) && error != NULL)
      g_warning ("Ratings from %s: %s", db_path, error->message);
    sy_stats_set_ratings (self->stats, ratings);
  }
}

/* How long the history keeps bodies ("history": {"body_days"}). */
static void
apply_history_settings (SyRouter *self)
{
  if (self->history != NULL)
    sy_history_set_body_max_age (self->history,
                                 (gint64) (sy_config_get_body_days (self->config) * G_TIME_SPAN_DAY));
}

SyRouter *
sy_router_new (SyConfig  *config,
               SyKeys    *keys,
               SyHistory *history)
{
  SyRouter *self;

  g_return_val_if_fail (SY_IS_CONFIG (config), NULL);
  g_return_val_if_fail (SY_IS_KEYS (keys), NULL);

  self = g_object_new (SY_TYPE_ROUTER, NULL);
  self->config = g_object_ref (config);
  self->keys = g_object_ref (keys);
  self->history = history != NULL ? g_object_ref (history) : NULL;
  self->context = g_main_context_ref_thread_default ();

  /* libsoup's defaults (2 connections per host, 60 s I/O timeout) would queue
   * parallel requests and kill a model that thinks for a minute: our own timers
   * enforce design.md's timeouts instead. */
  self->session = g_object_new (SOUP_TYPE_SESSION,
                                "max-conns", 256,
                                "max-conns-per-host", 64,
                                "timeout", 0,
                                "idle-timeout", 60,
                                "user-agent", "Switchyard/" PACKAGE_VERSION,
                                NULL);
  load_ca_files (self);
  load_measurements (self);
  apply_history_settings (self);
  return self;
}

void
sy_router_set_config (SyRouter *self,
                      SyConfig *config)
{
  g_return_if_fail (SY_IS_ROUTER (self));
  g_return_if_fail (SY_IS_CONFIG (config));

  g_set_object (&self->config, config);
  load_ca_files (self);
  apply_history_settings (self);
}

void
sy_router_set_ratings (SyRouter  *self,
                       SyRatings *ratings)
{
  g_return_if_fail (SY_IS_ROUTER (self));
  sy_stats_set_ratings (self->stats, ratings);
}

void
sy_router_set_observer (SyRouter          *self,
                        SyRequestObserver  observer,
                        gpointer           user_data)
{
  g_return_if_fail (SY_IS_ROUTER (self));
  self->observer = observer;
  self->observer_data = user_data;
}

SyConfig *
sy_router_get_config (SyRouter *self)
{
  g_return_val_if_fail (SY_IS_ROUTER (self), NULL);
  return self->config;
}

void
sy_router_cancel_all (SyRouter *self)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_exchange_unref);
  GHashTableIter iter;
  gpointer ex;

  g_return_if_fail (SY_IS_ROUTER (self));

  g_hash_table_iter_init (&iter, self->exchanges);
  while (g_hash_table_iter_next (&iter, &ex, NULL))
    g_ptr_array_add (list, sy_exchange_ref (ex));
  for (guint i = 0; i < list->len; i++)
    exchange_abort (g_ptr_array_index (list, i), 503, _("Switchyard stopped"));
}

/* -------------------------------------------------------------- helpers */

static GSource *
timeout_source (SyRouter   *router,
                guint       ms,
                GSourceFunc func,
                SyExchange *ex)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, sy_exchange_ref (ex), (GDestroyNotify) sy_exchange_unref);
  g_source_attach (source, router->context);
  return source;
}

/* Timers that are pushed back on every chunk: one GSource per exchange, re-armed by
 * moving its ready time, instead of a new timeout source per read. */
static gboolean
rearmable_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     data)
{
  g_source_set_ready_time (source, -1);
  return callback (data);
}

static GSourceFuncs rearmable_funcs = { .dispatch = rearmable_dispatch };

/* The exchange owns the source and destroys it before it goes away. */
static GSource *
rearmable_source (SyRouter   *router,
                  GSourceFunc func,
                  SyExchange *ex)
{
  GSource *source = g_source_new (&rearmable_funcs, sizeof (GSource));

  g_source_set_callback (source, func, ex, NULL);
  g_source_set_ready_time (source, -1);
  g_source_attach (source, router->context);
  return source;
}

/* Fires @seconds from now; 0 disarms. */
static void
arm (GSource *source,
     double   seconds)
{
  if (source != NULL)
    g_source_set_ready_time (source, seconds > 0
                             ? g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC)
                             : -1);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static double
server_seconds (SyExchange *ex,
                const char *member,
                double      fallback)
{
  /* A week bounds every setting, so the conversions to µs and ms cannot overflow. */
  return MIN (sy_config_get_server_double (ex->router->config, member, fallback), 7 * 24 * 3600.0);
}

static gboolean
status_is_retryable (guint status)
{
  switch (status)
    {
    case 408: case 429: case 500: case 502: case 503: case 504: case 529:
      return TRUE;
    default:
      return FALSE;
    }
}

static const char *
type_for_status (guint status)
{
  switch (status)
    {
    case 400: case 404: case 413: case 422: return "invalid_request_error";
    case 401: case 403: return "authentication_error";
    case 402: return "payment_required";
    case 408: case 504: return "timeout_error";
    case 429: return "rate_limit_error";
    case 529: return "overloaded_error";
    default: return "upstream_error";
    }
}

/* Seconds from a Retry-After value (delta-seconds or HTTP-date); -1 if unusable. */
static double
parse_retry_after (const char *value)
{
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) now = NULL;
  char *end = NULL;
  double seconds;

  if (value == NULL)
    return -1;
  seconds = g_ascii_strtod (value, &end);
  if (end != value && *end == '\0' && seconds >= 0)
    return seconds;

  date = soup_date_time_new_from_http_string (value);
  if (date == NULL)
    return -1;
  now = g_date_time_new_now_utc ();
  return MAX (0, g_date_time_difference (date, now) / (double) G_TIME_SPAN_SECOND);
}

/* Replaces the key, and anything shaped like a provider key, in upstream text. */
static char *
redact (const char *text,
        const char *key)
{
  static gsize key_shape_once;
  static GRegex *key_shape;
  g_autofree char *without_key = NULL;

  if (text == NULL)
    return NULL;
  if (g_once_init_enter (&key_shape_once))
    {
      key_shape = g_regex_new ("(sk|gsk|xai|pk|AIza|key)[-_A-Za-z0-9*.]{8,}",
                               G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&key_shape_once, 1);
    }

  if (key != NULL && strlen (key) >= 4)
    {
      g_auto(GStrv) parts = g_strsplit (text, key, -1);
      without_key = g_strjoinv ("[redacted]", parts);
    }
  else
    without_key = g_strdup (text);

  return g_regex_replace_literal (key_shape, without_key, -1, 0, "[redacted]", 0, NULL);
}

/* ------------------------------------------------------------- exchange */

SyExchange *
sy_exchange_new (SyRouter             *router,
                 SyWire                client_wire,
                 const char           *surface,
                 const char           *client,
                 JsonNode             *request,
                 JsonNode             *hub,
                 GBytes               *raw_body,
                 const SyExchangeSink *sink,
                 gpointer              sink_data)
{
  SyExchange *ex;
  JsonObject *object;

  g_return_val_if_fail (SY_IS_ROUTER (router), NULL);
  g_return_val_if_fail (request != NULL && JSON_NODE_HOLDS_OBJECT (request), NULL);
  g_return_val_if_fail (hub == NULL || JSON_NODE_HOLDS_OBJECT (hub), NULL);

  ex = g_new0 (SyExchange, 1);
  g_atomic_ref_count_init (&ex->ref_count);
  ex->router = g_object_ref (router);
  ex->request = json_node_ref (request);
  ex->hub = json_node_ref (hub != NULL ? hub : request);
  ex->client_wire = client_wire;
  ex->raw_body = raw_body != NULL ? g_bytes_ref (raw_body) : NULL;
  ex->sink = sink;
  ex->sink_data = sink_data;
  ex->attempts = json_array_new ();
  ex->surface = g_strdup (surface);
  ex->client = g_strdup (client);
  ex->started_at_us = g_get_real_time ();
  ex->t0 = g_get_monotonic_time ();
  ex->attempt_t0 = ex->t0;
  ex->t_first = -1;
  ex->request_id = g_strdup_printf ("sy-%08x%08x", g_random_int (), g_random_int ());

  object = json_node_get_object (ex->hub);
  ex->requested_model = g_strdup (sy_json_get_string (object, "model"));
  ex->stream = sy_json_get_bool (object, "stream", FALSE);
  ex->store_bodies = sy_config_get_store_bodies (router->config);
  return ex;
}

SyExchange *
sy_exchange_ref (SyExchange *ex)
{
  g_atomic_ref_count_inc (&ex->ref_count);
  return ex;
}

void
sy_exchange_unref (SyExchange *ex)
{
  if (ex == NULL || !g_atomic_ref_count_dec (&ex->ref_count))
    return;

  g_assert (ex->timer == NULL && ex->keepalive == NULL && ex->backoff == NULL);
  g_clear_object (&ex->router);
  g_clear_pointer (&ex->request, json_node_unref);
  g_clear_pointer (&ex->hub, json_node_unref);
  g_clear_pointer (&ex->continuation, json_node_unref);
  if (ex->rescue_text != NULL)
    g_string_free (ex->rescue_text, TRUE);
  g_clear_pointer (&ex->decoder, sy_stream_decoder_free);
  g_clear_pointer (&ex->encoder, sy_stream_encoder_free);
  g_clear_pointer (&ex->notes, g_ptr_array_unref);
  g_clear_pointer (&ex->raw_body, g_bytes_unref);
  g_clear_pointer (&ex->plan, g_ptr_array_unref);
  g_clear_pointer (&ex->attempts, json_array_unref);
  g_clear_object (&ex->cancellable);
  g_clear_pointer (&ex->provider, sy_provider_free);
  g_clear_object (&ex->msg);
  g_clear_object (&ex->input);
  g_clear_pointer (&ex->sse, sy_sse_parser_free);
  g_clear_pointer (&ex->buffer, g_byte_array_unref);
  if (ex->history_body != NULL)
    g_string_free (ex->history_body, TRUE);
  sy_keys_free_secret (ex->key);
  g_free (ex->request_id);
  g_free (ex->surface);
  g_free (ex->client);
  g_free (ex->requested_model);
  g_free (ex->profile);
  g_free (ex->profile_header);
  g_free (ex->route_json);
  g_clear_pointer (&ex->record, sy_history_record_free);
  g_free (ex->route_summary);
  g_free (ex->model);
  g_free (ex->last_type);
  g_free (ex->last_error);
  g_free (ex->last_retry_after);
  g_free (ex->final_error);
  g_free (ex);
}

const char *
sy_exchange_get_request_id (SyExchange *ex)
{
  return ex->request_id;
}

const char *
sy_exchange_get_provider (SyExchange *ex)
{
  return ex->provider != NULL ? ex->provider->id : NULL;
}

const char *
sy_exchange_get_model (SyExchange *ex)
{
  return ex->model;
}

guint
sy_exchange_get_attempts (SyExchange *ex)
{
  return ex->attempts_sent;
}

gboolean
sy_exchange_is_stream (SyExchange *ex)
{
  return ex->stream;
}

gboolean
sy_exchange_content_sent (SyExchange *ex)
{
  return ex->content_sent;
}

void
sy_exchange_set_profile_header (SyExchange *ex,
                                const char *profile)
{
  g_free (ex->profile_header);
  ex->profile_header = g_strdup (profile);
}

const char *
sy_exchange_get_route (SyExchange *ex)
{
  return ex->route_summary;
}

static double
ms_since (gint64 t)
{
  return (g_get_monotonic_time () - t) / 1000.0;
}

static void
log_attempt (SyExchange *ex,
             guint       status,
             const char *error)
{
  JsonObject *attempt = json_object_new ();

  json_object_set_string_member (attempt, "provider", ex->provider != NULL ? ex->provider->id : "");
  json_object_set_string_member (attempt, "model", ex->model != NULL ? ex->model : "");
  json_object_set_int_member (attempt, "status", status);
  if (error != NULL)
    json_object_set_string_member (attempt, "error", error);
  if (ex->continuation != NULL)
    json_object_set_boolean_member (attempt, "continuation", TRUE);
  if (ex->notes != NULL && ex->notes->len > 0)
    {
      JsonArray *notes = json_array_new ();
      for (guint i = 0; i < ex->notes->len; i++)
        json_array_add_string_element (notes, g_ptr_array_index (ex->notes, i));
      json_object_set_array_member (attempt, "notes", notes);
      g_ptr_array_set_size (ex->notes, 0);
    }
  json_object_set_double_member (attempt, "ms", round (ms_since (ex->attempt_t0) * 10) / 10);
  json_array_add_object_element (ex->attempts, attempt);

  /* What this attempt says of its provider+model, for fastest and for health. */
  if (ex->provider != NULL && ex->model != NULL)
    {
      gint64 now = g_get_monotonic_time ();
      double ttft_ms = -1;
      double tokens_per_s = -1;

      if (status == 200 && ex->t_first >= ex->attempt_t0)
        ttft_ms = (ex->t_first - ex->attempt_t0) / 1000.0;
      if (status == 200 && ex->stream && ex->have_usage && ex->t_first >= 0 && now > ex->t_first &&
          ex->usage.completion_tokens > 0)
        tokens_per_s = ex->usage.completion_tokens / ((now - ex->t_first) / 1e6);
      sy_stats_record (ex->router->stats, ex->provider->id, ex->model, status, ttft_ms, tokens_per_s, now);
    }
}

static void
compute_cost (SyExchange *ex)
{
  SyPrice price;

  if (!ex->have_usage || ex->provider == NULL ||
      !sy_config_get_price (ex->router->config, ex->provider->id, ex->model, &price))
    {
      memset (&ex->cost, 0, sizeof ex->cost);
      return;
    }
  sy_cost_compute (&price, &ex->usage, &ex->cost);
}

/* ------------------------------------------------------- mid-stream rescue */

/* Keeps the text of a hub delta that reaches the client: a rescue continues it.
 * A tool call cannot be continued, nor an answer larger than a response may be. */
static void
keep_rescue_text (SyExchange *ex,
                  JsonObject *delta)
{
  const char *content = sy_json_get_string (delta, "content");

  if (sy_json_get_array (delta, "tool_calls") != NULL)
    ex->rescue_blocked = TRUE;
  if (content == NULL || *content == '\0')
    return;
  if (ex->rescue_text == NULL)
    ex->rescue_text = g_string_new (NULL);
  if (ex->rescue_text->len + strlen (content) > MAX_RESPONSE_BODY)
    ex->rescue_blocked = TRUE;
  else
    g_string_append (ex->rescue_text, content);
}

/* The same for a chunk relayed as it came. */
static void
keep_rescue_data (SyExchange *ex,
                  const char *data,
                  gsize       length)
{
  g_autoptr(JsonNode) node = sy_json_parse (data, length, NULL);

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    keep_rescue_text (ex, sy_hub_chunk_delta (json_node_get_object (node)));
}

/* The tokens of a stream that broke before its usage arrived: about 4 characters
 * a token, of the request (plus @extra_prompt bytes) and of the text streamed. */
static void
estimate_partial_usage (SyExchange *ex,
                        gsize       extra_prompt)
{
  gsize prompt = (ex->raw_body != NULL ? g_bytes_get_size (ex->raw_body) : 0) + extra_prompt;

  memset (&ex->usage, 0, sizeof ex->usage);
  ex->usage.prompt_tokens = (gint64) (prompt + 3) / 4;
  ex->usage.completion_tokens = (gint64) (ex->streamed_chars + 3) / 4;
  ex->have_usage = TRUE;
  compute_cost (ex);
}

/* A rescued stream cost its broken part too: adds it to the continuation's usage
 * and cost (a price unknown for either makes the whole cost unknown). */
static void
merge_rescued_usage (SyExchange *ex)
{
  SyUsage *usage = &ex->usage;
  const SyUsage *broken = &ex->rescued_usage;
  gboolean known;

  if (!ex->rescued || ex->rescued_merged)
    return;
  ex->rescued_merged = TRUE;
  if (!ex->have_usage && ex->attempt_content)
    estimate_partial_usage (ex, ex->rescue_text != NULL ? ex->rescue_text->len : 0);
  if (!ex->have_usage)
    {
      /* No continuation answered: only the broken part was billed. */
      memset (&ex->usage, 0, sizeof ex->usage);
      memset (&ex->cost, 0, sizeof ex->cost);
      ex->cost.known = TRUE;
      ex->have_usage = TRUE;
    }

  usage->prompt_tokens += broken->prompt_tokens;
  usage->completion_tokens += broken->completion_tokens;
  usage->cached_tokens += broken->cached_tokens;
  usage->cache_write_tokens += broken->cache_write_tokens;
  usage->reasoning_tokens += broken->reasoning_tokens;

  known = ex->cost.known && ex->rescued_cost.known;
  ex->cost.total += ex->rescued_cost.total;
  ex->cost.input += ex->rescued_cost.input;
  ex->cost.output += ex->rescued_cost.output;
  ex->cost.cache_read += ex->rescued_cost.cache_read;
  ex->cost.cache_write += ex->rescued_cost.cache_write;
  if (!known)
    memset (&ex->cost, 0, sizeof ex->cost);
}

/* The hub request, the answer so far as an assistant message, and a request to go
 * on from there. Nothing kept (only the role was sent): the request alone. */
static JsonNode *
continuation_new (SyExchange *ex)
{
  JsonObject *hub = json_node_get_object (ex->hub);
  JsonArray *original = sy_json_get_array (hub, "messages");
  JsonObject *request = json_object_new ();
  JsonArray *messages = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_iter_init (&iter, hub);
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "messages"))
      json_object_set_member (request, name, json_node_copy (value));
  for (guint i = 0; original != NULL && i < json_array_get_length (original); i++)
    json_array_add_element (messages, json_node_copy (json_array_get_element (original, i)));

  if (ex->rescue_text != NULL && ex->rescue_text->len > 0)
    {
      JsonObject *assistant = json_object_new ();
      JsonObject *user = json_object_new ();

      json_object_set_string_member (assistant, "role", "assistant");
      json_object_set_string_member (assistant, "content", ex->rescue_text->str);
      json_array_add_object_element (messages, assistant);
      json_object_set_string_member (user, "role", "user");
      /* Said to the model, not to the user: not translated. */
      json_object_set_string_member (user, "content",
                                     "Continue exactly where your previous answer stopped, "
                                     "without repeating anything.");
      json_array_add_object_element (messages, user);
    }
  json_object_set_array_member (request, "messages", messages);
  json_node_take_object (node, request);
  return node;
}

/* A stream that broke after its text reached the client may go on elsewhere when
 * the profile allows it and the plan has another candidate. (ex->rescue is never
 * set for an Anthropic client served by Anthropic as it is: those events,
 * message_start included, went out unchanged, and a continuation would begin a
 * second message.) Only once: a continuation that breaks ends the stream. */
static gboolean
can_rescue (SyExchange *ex)
{
  return ex->rescue && !ex->rescue_blocked && ex->continuation == NULL &&
         ex->plan_index + 1 < ex->plan->len && ex->attempts_sent < MAX_ATTEMPTS_TOTAL;
}

/* Marks the seam in history, prices the broken part at its own provider's rates,
 * and asks the next candidate to continue, into the same client stream. */
static void
exchange_rescue (SyExchange *ex)
{
  JsonObject *broken = json_array_get_object_element (ex->attempts,
                                                      json_array_get_length (ex->attempts) - 1);
  gint64 estimate = (gint64) (ex->streamed_chars + 3) / 4;

  json_object_set_boolean_member (broken, "rescued", TRUE);
  json_object_set_int_member (broken, "chars_sent",
                              ex->rescue_text != NULL
                              ? g_utf8_strlen (ex->rescue_text->str, (gssize) ex->rescue_text->len)
                              : 0);

  if (!ex->have_usage)
    estimate_partial_usage (ex, 0);
  else if (ex->usage.completion_tokens < estimate)
    {
      ex->usage.completion_tokens = estimate;
      compute_cost (ex);
    }
  ex->rescued_usage = ex->usage;
  ex->rescued_cost = ex->cost;
  ex->rescued = TRUE;
  ex->have_usage = FALSE;
  memset (&ex->usage, 0, sizeof ex->usage);
  memset (&ex->cost, 0, sizeof ex->cost);
  ex->streamed_chars = 0;

  ex->continuation = continuation_new (ex);
  ex->plan_index++;
  ex->tries_on_candidate = 0;
  exchange_next_attempt (ex);
}

static void
keep_history_body (SyExchange *ex,
                   const char *data,
                   gsize       length)
{
  if (!ex->store_bodies)
    return;
  if (ex->history_body == NULL)
    ex->history_body = g_string_new (NULL);
  if (ex->history_body->len + length + 1 > MAX_HISTORY_BODY)
    return;
  g_string_append_len (ex->history_body, data, (gssize) length);
  if (ex->stream)
    g_string_append_c (ex->history_body, '\n');
}

/* One event to the client, in its format; kept for history as sent. */
static void
emit (SyExchange *ex,
      const char *event,
      const char *data)
{
  keep_history_body (ex, data, strlen (data));
  ex->sink->stream_event (ex, event, data, ex->sink_data);
}

static void
emit_events (SyExchange *ex,
             GPtrArray  *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      emit (ex, event->event, event->data);
    }
}

/* The encoder into the client's format, for clients that do not speak the hub's. */
static SyStreamEncoder *
client_encoder (SyExchange *ex)
{
  if (ex->encoder == NULL)
    {
      if (ex->client_wire == SY_WIRE_ANTHROPIC)
        ex->encoder = sy_anthropic_encoder_new (ex->requested_model);
      else if (ex->client_wire == SY_WIRE_RESPONSES)
        ex->encoder = sy_responses_encoder_new (ex->requested_model);
    }
  return ex->encoder;
}

/* A failure after the stream began, as the client's format says it. */
static void
stream_error (SyExchange *ex,
              guint       status,
              const char *type,
              const char *message)
{
  g_autofree char *json = NULL;

  if (ex->client_wire == SY_WIRE_RESPONSES || ex->encoder != NULL)
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

      sy_stream_encoder_error (client_encoder (ex), status, type, message, events);
      emit_events (ex, events);
      return;
    }
  /* OpenAI's SDKs raise an APIError for a chunk that carries "error"; Anthropic's
   * for an "error" event. */
  json = sy_wire_error_json (ex->client_wire, status, type, message);
  emit (ex, ex->client_wire == SY_WIRE_ANTHROPIC ? "error" : NULL, json);
}

static void
record_history (SyExchange *ex)
{
  SyHistoryRecord *record;
  gint64 now = g_get_monotonic_time ();

  if (ex->router->history == NULL && ex->router->observer == NULL && !ex->keep_record)
    return;

  record = sy_history_record_new ();
  record->request_id = g_strdup (ex->request_id);
  record->started_at_us = ex->started_at_us;
  record->client = g_strdup (ex->client);
  record->surface = g_strdup (ex->surface);
  record->requested_model = g_strdup (ex->requested_model);
  record->profile = g_strdup (ex->profile);
  record->provider = g_strdup (ex->provider != NULL ? ex->provider->id : NULL);
  record->model = g_strdup (ex->model);
  record->stream = ex->stream;
  record->status = (int) ex->final_status;
  record->error = g_strdup (ex->final_error);
  {
    g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), ex->attempts);
    record->attempts_json = sy_json_to_string (node);
  }
  record->route_json = g_strdup (ex->route_json);
  if (ex->have_usage)
    {
      record->prompt_tokens = ex->usage.prompt_tokens;
      record->completion_tokens = ex->usage.completion_tokens;
      record->cached_tokens = ex->usage.cached_tokens;
      record->cache_write_tokens = ex->usage.cache_write_tokens;
      record->reasoning_tokens = ex->usage.reasoning_tokens;
    }
  else
    {
      record->prompt_tokens = record->completion_tokens = record->cached_tokens = -1;
      record->cache_write_tokens = record->reasoning_tokens = -1;
    }
  record->cost_known = ex->cost.known;
  record->cost = ex->cost.total;
  record->cost_input = ex->cost.input;
  record->cost_output = ex->cost.output;
  record->cost_cache_read = ex->cost.cache_read;
  record->cost_cache_write = ex->cost.cache_write;
  record->total_ms = (now - ex->t0) / 1000.0;
  record->ttft_ms = ex->t_first >= 0 ? (ex->t_first - ex->t0) / 1000.0 : -1;
  record->tokens_per_s = -1;
  if (ex->stream && ex->t_first >= 0 && ex->have_usage && now > ex->t_first &&
      ex->usage.completion_tokens > 0)
    record->tokens_per_s = ex->usage.completion_tokens / ((now - ex->t_first) / 1e6);
  if (ex->store_bodies)
    {
      if (ex->raw_body != NULL)
        record->request_body = g_strndup (g_bytes_get_data (ex->raw_body, NULL),
                                          g_bytes_get_size (ex->raw_body));
      if (ex->history_body != NULL)
        record->response_body = g_strndup (ex->history_body->str, ex->history_body->len);
    }

  if (ex->router->observer != NULL)
    ex->router->observer (record, ex->router->observer_data);
  if (ex->keep_record)
    ex->record = sy_history_record_copy (record);
  if (ex->router->history != NULL)
    sy_history_record (ex->router->history, record);
  else
    sy_history_record_free (record);
}

/* Stops every timer and the upstream request; the exchange says nothing more. */
static void
exchange_finish (SyExchange *ex,
                 guint       status,
                 const char *error)
{
  if (ex->finished)
    return;
  ex->finished = TRUE;
  ex->final_status = status;
  ex->final_error = g_strdup (error);
  merge_rescued_usage (ex);

  /* A stream that broke before its usage chunk still cost something: estimate
   * the partial tokens (about 4 characters a token) so history shows them. */
  if (!ex->have_usage && ex->content_sent && ex->raw_body != NULL)
    estimate_partial_usage (ex, 0);

  clear_source (&ex->timer);
  clear_source (&ex->keepalive);
  clear_source (&ex->backoff);
  /* A finished upstream body was read to its end and its connection goes back to
   * the pool; anything else is still in flight and is cancelled. */
  if (ex->cancellable != NULL && !(status == 200 && ex->saw_eof))
    g_cancellable_cancel (ex->cancellable);
  g_clear_object (&ex->input);

  if (ex->budget_ticket != 0)
    sy_budget_settle (ex->router->budget, ex->budget_ticket, ex->cost.known ? ex->cost.total : 0,
                      g_get_real_time ());
  record_history (ex);
  g_hash_table_remove (ex->router->exchanges, ex);

  if (ex->sink->done != NULL)
    ex->sink->done (ex, ex->sink_data);
  sy_exchange_unref (ex);  /* the router's reference */
}

static void
exchange_fail_client (SyExchange *ex,
                      guint       status,
                      const char *type,
                      const char *message,
                      const char *retry_after)
{
  if (ex->headers_sent)
    stream_error (ex, status, type, message);
  else
    ex->sink->fail (ex, status, type, message, retry_after, ex->sink_data);
  exchange_finish (ex, status, message);
}

/* OpenRouter's `models`: more models to fall back on, in order, after the plan.
 * Each is planned as the request itself would be if it named it (rules
 * included: a privacy fence holds for fallbacks too); candidates already planned
 * are not tried twice. FALSE after answering the client. */
static gboolean
add_requested_fallbacks (SyExchange           *ex,
                         const SyRequestFacts *facts)
{
  JsonArray *models = sy_json_get_array (json_node_get_object (ex->hub), "models");

  if (models != NULL && json_array_get_length (models) > MAX_REQUESTED_MODELS)
    {
      g_autofree char *message = g_strdup_printf (_("\"models\" lists more than %d fallbacks"),
                                                  MAX_REQUESTED_MODELS);
      exchange_fail_client (ex, 400, "invalid_request_error", message, NULL);
      return FALSE;
    }

  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      JsonNode *entry = json_array_get_element (models, i);
      SyRequestFacts fallback;
      g_autoptr(SyPlan) more = NULL;

      if (!sy_json_node_is_string (entry))
        continue;
      fallback = *facts;
      fallback.requested = (char *) json_node_get_string (entry);
      fallback.profile_header = NULL;
      /* No budget: the request's own plan reserved its estimate. */
      more = sy_planner_plan (ex->router->config, ex->router->stats, NULL, &fallback, g_get_real_time (), -1);
      if (more->status != 0)
        {
          exchange_fail_client (ex, more->status, "not_found_error", more->error, NULL);
          return FALSE;
        }
      for (guint j = 0; j < more->entries->len; j++)
        {
          SyPlanEntry *candidate = g_ptr_array_index (more->entries, j);
          gboolean planned = FALSE;

          for (guint k = 0; k < ex->plan->len && !planned; k++)
            {
              SyCandidate *other = g_ptr_array_index (ex->plan, k);
              planned = g_str_equal (other->provider_id, candidate->provider_id) &&
                        g_str_equal (other->model, candidate->model);
            }
          if (!planned)
            g_ptr_array_add (ex->plan, candidate_new (candidate->provider_id, candidate->model));
        }
    }
  return TRUE;
}

/* The planner's decision for this request: the candidates, the profile, the
 * explanation for history and the x-switchyard-route header, the budget
 * reservation. FALSE when the request was refused (the client has its answer). */
static gboolean
plan_exchange (SyExchange *ex)
{
  g_autoptr(SyRequestFacts) facts = sy_request_facts_new (json_node_get_object (ex->hub), ex->client,
                                                          ex->profile_header);
  g_autoptr(SyPlan) plan = sy_planner_plan (ex->router->config, ex->router->stats, ex->router->budget,
                                            facts, g_get_real_time (), -1);

  g_clear_pointer (&ex->profile, g_free);
  ex->profile = g_strdup (plan->profile);
  ex->rescue_allowed = plan->rescue;
  if (plan->explanation != NULL)
    {
      if (plan->notices != NULL && plan->notices->len > 0)
        {
          JsonArray *notices = json_array_new ();
          for (guint i = 0; i < plan->notices->len; i++)
            json_array_add_string_element (notices, g_ptr_array_index (plan->notices, i));
          json_object_set_array_member (plan->explanation, "notices", notices);
        }
      ex->route_json = sy_json_object_to_string (plan->explanation);
    }
  ex->route_summary = g_strdup (plan->summary);
  /* Spend is tracked for every request, budgeted or not: a cap added later
   * counts what was spent since the start. */
  ex->budget_ticket = plan->budget_ticket != 0
                      ? plan->budget_ticket
                      : sy_budget_reserve (ex->router->budget, ex->profile, 0, g_get_real_time ());

  if (plan->status != 0)
    {
      exchange_fail_client (ex, plan->status, plan->status == 402 ? "budget_exceeded" : "not_found_error",
                            plan->error, NULL);
      return FALSE;
    }

  ex->plan = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_candidate_free);
  for (guint i = 0; i < plan->entries->len; i++)
    {
      SyPlanEntry *entry = g_ptr_array_index (plan->entries, i);
      g_ptr_array_add (ex->plan, candidate_new (entry->provider_id, entry->model));
    }
  return add_requested_fallbacks (ex, facts);
}

void
sy_exchange_keep_record (SyExchange *ex)
{
  g_return_if_fail (ex != NULL);
  ex->keep_record = TRUE;
}

const SyHistoryRecord *
sy_exchange_get_record (SyExchange *ex)
{
  g_return_val_if_fail (ex != NULL, NULL);
  return ex->record;
}

void
sy_exchange_start (SyExchange *ex)
{
  g_return_if_fail (ex != NULL && ex->plan == NULL);

  /* The router holds a reference until exchange_finish (). */
  g_hash_table_add (ex->router->exchanges, sy_exchange_ref (ex));

  ex->connect_s = server_seconds (ex, "connect_timeout", 10);
  ex->first_byte_s = server_seconds (ex, "first_byte_timeout", 120);
  ex->idle_s = server_seconds (ex, "idle_timeout", 300);
  ex->keepalive_s = server_seconds (ex, "keepalive_interval", 15);
  ex->timer = rearmable_source (ex->router, timer_cb, ex);
  ex->keepalive = rearmable_source (ex->router, keepalive_cb, ex);

  if (ex->router->observer != NULL)
    {
      g_autoptr(SyHistoryRecord) arrival = sy_history_record_new ();

      arrival->request_id = g_strdup (ex->request_id);
      arrival->started_at_us = ex->started_at_us;
      arrival->client = g_strdup (ex->client);
      arrival->surface = g_strdup (ex->surface);
      arrival->requested_model = g_strdup (ex->requested_model);
      arrival->stream = ex->stream;
      ex->router->observer (arrival, ex->router->observer_data);
    }

  if (!plan_exchange (ex))
    return;
  exchange_next_attempt (ex);
}

/* Ends an exchange from outside: upstream is cancelled, history says why. */
static void
exchange_abort (SyExchange *ex,
                guint       status,
                const char *reason)
{
  if (ex->finished)
    return;
  log_attempt (ex, status, reason);
  /* A stream under way ends with an error event, unless nobody is there to read it. */
  if (ex->headers_sent && status != 499)
    stream_error (ex, status, "api_error", reason);
  exchange_finish (ex, status, reason);
}

void
sy_exchange_client_gone (SyExchange *ex)
{
  g_return_if_fail (ex != NULL);

  /* A client may hang up as soon as it has the end of the answer (Codex does after
   * response.completed), before the upstream's own end arrived: that answer was
   * delivered whole. */
  if (ex->saw_done && !ex->finished)
    {
      finish_stream_success (ex);
      return;
    }
  exchange_abort (ex, 499, _("The client disconnected"));
}

/* Both timers are lazy: activity only records a time, and a timer that fires
 * early re-arms itself for the rest of its interval. Moving a GSource's ready time
 * wakes its main context, which would cost a syscall on every chunk. */
static gboolean
keepalive_cb (gpointer data)
{
  SyExchange *ex = data;
  gint64 due = ex->last_write + (gint64) (ex->keepalive_s * G_USEC_PER_SEC);
  gint64 now = g_get_monotonic_time ();

  if (now < due)
    {
      g_source_set_ready_time (ex->keepalive, due);
      return G_SOURCE_CONTINUE;
    }

  if (!ex->headers_sent)
    {
      ex->headers_sent = TRUE;
      ex->sink->stream_start (ex, ex->sink_data);
    }
  ex->sink->stream_keepalive (ex, ex->sink_data);
  ex->last_write = now;
  arm (ex->keepalive, ex->keepalive_s);
  return G_SOURCE_CONTINUE;
}

static void
start_keepalive (SyExchange *ex)
{
  if (ex->stream && g_source_get_ready_time (ex->keepalive) < 0)
    {
      ex->last_write = g_get_monotonic_time ();
      arm (ex->keepalive, ex->keepalive_s);
    }
}

static gboolean
timer_cb (gpointer data)
{
  SyExchange *ex = data;

  switch (ex->phase)
    {
    case PHASE_CONNECT:
      ex->timeout_reason = "connect timeout";
      break;
    case PHASE_FIRST_BYTE:
      ex->timeout_reason = "timed out waiting for the first byte";
      break;
    case PHASE_BODY:
      {
        gint64 due = ex->last_read + (gint64) (ex->idle_s * G_USEC_PER_SEC);
        if (g_get_monotonic_time () < due)
          {
            g_source_set_ready_time (ex->timer, due);
            return G_SOURCE_CONTINUE;
          }
      }
      ex->timeout_reason = "timed out between chunks";
      break;
    case PHASE_IDLE:
    default:
      return G_SOURCE_CONTINUE;
    }

  if (ex->cancellable != NULL)
    g_cancellable_cancel (ex->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
set_phase (SyExchange *ex,
           Phase       phase)
{
  static const double none = 0;
  const double *seconds[] = {
    [PHASE_IDLE] = &none,
    [PHASE_CONNECT] = &ex->connect_s,
    [PHASE_FIRST_BYTE] = &ex->first_byte_s,
    [PHASE_BODY] = &ex->idle_s,
  };

  if (phase == PHASE_BODY)
    ex->last_read = g_get_monotonic_time ();
  if (phase == ex->phase && phase == PHASE_BODY)
    return;
  ex->phase = phase;
  arm (ex->timer, *seconds[phase]);
}

static void
reset_attempt (SyExchange *ex)
{
  ex->attempt_serial++;
  set_phase (ex, PHASE_IDLE);
  g_clear_object (&ex->cancellable);
  if (ex->msg != NULL)
    g_signal_handlers_disconnect_by_data (ex->msg, ex);
  g_clear_object (&ex->msg);
  g_clear_object (&ex->input);
  g_clear_pointer (&ex->sse, sy_sse_parser_free);
  g_clear_pointer (&ex->decoder, sy_stream_decoder_free);
  g_clear_pointer (&ex->buffer, g_byte_array_unref);
  ex->timeout_reason = NULL;
}

static gboolean
backoff_cb (gpointer data)
{
  SyExchange *ex = data;

  g_clear_pointer (&ex->backoff, g_source_unref);
  exchange_next_attempt (ex);
  return G_SOURCE_REMOVE;
}

static void
exchange_attempt_failed (SyExchange *ex,
                         guint       status,
                         const char *type,
                         const char *message,
                         gboolean    retryable,
                         const char *retry_after)
{
  g_autofree char *clean = redact (message, ex->key);
  double max_retries = server_seconds (ex, "max_retries", 2);
  double wait_s;

  reset_attempt (ex);
  log_attempt (ex, status, clean);

  g_free (ex->last_type);
  ex->last_type = g_strdup (type);
  g_free (ex->last_error);
  ex->last_error = g_strdup (clean);
  g_free (ex->last_retry_after);
  ex->last_retry_after = g_strdup (retry_after);
  ex->last_status = status;

  /* After the first byte reached the client nothing can be replayed; at most
   * continued, when the profile allows it. A continuation that failed before it
   * added anything is retried like any attempt. */
  if (ex->content_sent && can_rescue (ex))
    {
      exchange_rescue (ex);
      return;
    }
  if (ex->content_sent && (ex->continuation == NULL || ex->attempt_content))
    {
      exchange_fail_client (ex, status, type, clean, NULL);
      return;
    }

  if (!retryable || ex->attempts_sent >= MAX_ATTEMPTS_TOTAL)
    {
      exchange_fail_client (ex, status, type, clean, retry_after);
      return;
    }

  wait_s = parse_retry_after (retry_after);
  if (ex->tries_on_candidate < (guint) max_retries &&
      wait_s <= server_seconds (ex, "max_retry_after", 20))
    {
      ex->tries_on_candidate++;
      if (wait_s < 0)
        {
          /* Exponential back-off with full jitter: 250 ms, 500 ms, … capped at 8 s. */
          double base = MIN (8.0, 0.25 * (1u << MIN (ex->tries_on_candidate - 1, 5u)));
          wait_s = base * (0.5 + g_random_double () * 0.5);
        }
      ex->backoff = timeout_source (ex->router, (guint) (wait_s * 1000), backoff_cb, ex);
      return;
    }

  ex->plan_index++;
  ex->tries_on_candidate = 0;
  exchange_next_attempt (ex);
}

static void
exchange_all_failed (SyExchange *ex)
{
  exchange_fail_client (ex, ex->last_status, ex->last_type, ex->last_error, ex->last_retry_after);
}

static void
on_wrote_headers (SoupMessage *msg,
                  SyExchange  *ex)
{
  if (ex->phase == PHASE_CONNECT)
    set_phase (ex, PHASE_FIRST_BYTE);
}

static void
read_error_body_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data);

static void
handle_event (SyExchange *ex,
              SySseEvent *event);

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      data);

/* Only reached for a certificate the system does not trust: it is accepted when
 * the provider's own ca_file vouches for it and it names the host. */
static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       SyExchange           *ex)
{
  GTlsDatabase *database;
  g_autoptr(GSocketConnectable) identity = NULL;
  GUri *uri = soup_message_get_uri (msg);

  if (ex->provider->ca_file == NULL ||
      (database = g_hash_table_lookup (ex->router->ca_files, ex->provider->ca_file)) == NULL)
    return FALSE;

  identity = g_network_address_new (g_uri_get_host (uri), (guint16) g_uri_get_port (uri));
  return g_tls_database_verify_chain (database, certificate, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                      identity, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, NULL) == 0;
}

/* What the catalog knows of the model lets the hub request fit it: reasoning
 * asked of a model without it is dropped (OpenAI refuses it, and a profile's
 * fallback may well be such a model), and an output limit above the model's is
 * lowered to it. Each change is noted for history. A new reference to @hub when
 * nothing changes. */
static JsonObject *
fit_to_model (SyExchange        *ex,
              JsonObject        *hub,
              const SyModelInfo *info)
{
  static const char * const limits[] = { "max_tokens", "max_completion_tokens", NULL };
  gboolean drop_reasoning;
  gboolean lower = FALSE;
  JsonObject *fitted;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (info == NULL)
    return json_object_ref (hub);
  drop_reasoning = !(info->caps & SY_CAP_REASONING) && json_object_has_member (hub, "reasoning_effort");
  for (guint i = 0; limits[i] != NULL; i++)
    lower |= info->max_output > 0 && sy_json_get_int (hub, limits[i], 0) > info->max_output;
  if (!drop_reasoning && !lower)
    return json_object_ref (hub);

  fitted = json_object_new ();
  json_object_iter_init (&iter, hub);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (drop_reasoning && g_str_equal (name, "reasoning_effort"))
        {
          g_ptr_array_add (ex->notes, g_strdup_printf ("dropped \"reasoning_effort\": %s does not reason",
                                                       info->model));
          continue;
        }
      if (g_strv_contains (limits, name) && sy_json_get_int (hub, name, 0) > info->max_output &&
          info->max_output > 0)
        {
          g_ptr_array_add (ex->notes, g_strdup_printf ("lowered \"%s\" from %" G_GINT64_FORMAT " to %"
                                                       G_GINT64_FORMAT ", the model's maximum", name,
                                                       sy_json_get_int (hub, name, 0), info->max_output));
          json_object_set_int_member (fitted, name, info->max_output);
          continue;
        }
      json_object_set_member (fitted, name, json_node_copy (value));
    }
  return fitted;
}

/* The upstream request for this attempt in the provider's format: the client's
 * own request when the formats match (only the model changes), else its hub form
 * translated. */
static SoupMessage *
build_attempt (SyExchange  *ex,
               const char  *model,
               GError     **error)
{
  const SyModelInfo *info = sy_catalog_lookup (sy_config_get_catalog (ex->router->config),
                                               ex->provider->id, model);
  g_autoptr(JsonObject) hub = NULL;
  g_autoptr(JsonObject) body = NULL;

  ex->upstream_wire = (SyWire) sy_wire_for_kind (ex->provider->kind);
  /* A continuation is sent in its hub form, and an Anthropic client's stream goes
   * on through the encoder it began with. */
  ex->translating = ex->upstream_wire != ex->client_wire ||
                    (ex->continuation != NULL && ex->client_wire == SY_WIRE_ANTHROPIC);
  if (ex->notes == NULL)
    ex->notes = g_ptr_array_new_with_free_func (g_free);
  /* An Anthropic client talking to Anthropic gets its request as it sent it. */
  if (ex->translating || ex->upstream_wire == SY_WIRE_CHAT)
    hub = fit_to_model (ex, json_node_get_object (ex->continuation != NULL ? ex->continuation : ex->hub),
                        info);

  switch (ex->upstream_wire)
    {
    case SY_WIRE_ANTHROPIC:
      {
        gint64 max_output = info != NULL && info->max_output > 0 ? info->max_output : 4096;

        body = ex->translating ? sy_anthropic_request_from_hub (hub, max_output, error)
                               : json_object_ref (json_node_get_object (ex->request));
        if (body == NULL)
          return NULL;
        return sy_provider_anthropic_build (ex->provider, model, body, ex->stream, max_output, ex->key);
      }

    case SY_WIRE_GEMINI:
      body = sy_gemini_request_from_hub (hub, error);
      if (body == NULL)
        return NULL;
      return sy_provider_gemini_build (ex->provider, model, body, ex->stream, ex->key);

    case SY_WIRE_CHAT:
    case SY_WIRE_RESPONSES:
    default:
      return sy_provider_openai_build (ex->provider, model, hub, ex->stream, ex->key, ex->notes);
    }
}

static void
send_attempt (SyExchange *ex)
{
  const SyCandidate *candidate = g_ptr_array_index (ex->plan, ex->plan_index);
  g_autoptr(GError) error = NULL;

  ex->attempt_content = FALSE;
  ex->rescue_blocked = FALSE;
  ex->msg = build_attempt (ex, candidate->model, &error);
  /* Only a rescue needs the text that reached the client: other streams are
   * relayed without reading their chunks for it. */
  ex->rescue = ex->stream && ex->continuation == NULL &&
               (ex->translating || ex->upstream_wire != SY_WIRE_ANTHROPIC) &&
               ex->rescue_allowed;
  if (ex->msg == NULL && error != NULL)
    {
      /* This provider's format cannot carry the request; another one may. */
      g_autofree char *message = g_strdup_printf ("%s: %s", ex->provider->id, error->message);
      skip_candidate (ex, 400, "invalid_request_error", message);
      return;
    }
  if (ex->msg == NULL)
    {
      exchange_attempt_failed (ex, 502, "upstream_error",
                               _("The provider's base_url is not a valid URL"), FALSE, NULL);
      return;
    }

  /* libsoup gives a POST a new connection unless it is marked idempotent; without
   * this every request would pay a fresh TCP (and TLS) handshake upstream.
   * Redirects are not followed: upstream URLs come only from config, and libsoup
   * would turn the POST into a GET elsewhere. */
  soup_message_add_flags (ex->msg, SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NO_REDIRECT);
  ex->attempts_sent++;
  ex->attempt_t0 = g_get_monotonic_time ();
  ex->cancellable = g_cancellable_new ();
  g_signal_connect (ex->msg, "wrote-headers", G_CALLBACK (on_wrote_headers), ex);
  if (ex->provider->ca_file != NULL)
    g_signal_connect (ex->msg, "accept-certificate", G_CALLBACK (on_accept_certificate), ex);
  set_phase (ex, PHASE_CONNECT);
  soup_session_send_async (ex->router->session, ex->msg, G_PRIORITY_DEFAULT,
                           ex->cancellable, on_sent, sy_exchange_ref (ex));
}

/* Adopts @key (may be NULL) for the current candidate; FALSE (and the candidate
 * noted as skipped) when there is none and the provider needs one. */
static gboolean
key_usable (SyExchange *ex,
            char       *key)
{
  if (ex->key != NULL)
    sy_keys_free_secret (ex->key);
  ex->key = key;
  if ((ex->key == NULL || *ex->key == '\0') && !ex->provider->local)
    {
      g_autofree char *message = sy_keys_how_to_add (ex->provider->id, ex->provider->default_env);
      note_skipped (ex, 401, "authentication_error", message);
      return FALSE;
    }
  return TRUE;
}

static void
key_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      data)
{
  g_autoptr(SyExchange) ex = data;
  g_autoptr(GError) error = NULL;
  char *key;

  key = sy_keys_lookup_finish (SY_KEYS (source), result, NULL, &error);
  if (ex->finished)
    {
      sy_keys_free_secret (key);
      return;
    }
  if (key_usable (ex, key))
    send_attempt (ex);
  else
    exchange_next_attempt (ex);
}

/* A candidate that cannot be tried (or not again): the plan moves on, and if nothing
 * else works the client hears why. Calls nothing: exchange_next_attempt () loops
 * over such candidates instead of recursing through them. */
static void
note_skipped (SyExchange *ex,
              guint       status,
              const char *type,
              const char *message)
{
  g_autofree char *clean = redact (message, ex->key);

  if (ex->msg == NULL)
    ex->attempt_t0 = g_get_monotonic_time ();  /* nothing was sent */
  reset_attempt (ex);
  log_attempt (ex, status, clean);
  ex->last_status = status;
  g_free (ex->last_type);
  ex->last_type = g_strdup (type);
  g_free (ex->last_error);
  ex->last_error = g_steal_pointer (&clean);
  g_clear_pointer (&ex->last_retry_after, g_free);
  ex->plan_index++;
  ex->tries_on_candidate = 0;
}

/* From a callback: skip the candidate and go on with the plan. */
static void
skip_candidate (SyExchange *ex,
                guint       status,
                const char *type,
                const char *message)
{
  note_skipped (ex, status, type, message);
  exchange_next_attempt (ex);
}

static void
exchange_next_attempt (SyExchange *ex)
{
  while (!ex->finished)
    {
      const SyCandidate *candidate;
      char *key = NULL;

      if (ex->plan_index >= ex->plan->len || ex->attempts_sent >= MAX_ATTEMPTS_TOTAL)
        {
          exchange_all_failed (ex);
          return;
        }

      candidate = g_ptr_array_index (ex->plan, ex->plan_index);
      if (ex->provider == NULL || g_strcmp0 (ex->provider->id, candidate->provider_id) != 0)
        {
          g_clear_pointer (&ex->provider, sy_provider_free);
          ex->provider = sy_config_dup_provider (ex->router->config, candidate->provider_id);
        }
      g_free (ex->model);
      ex->model = g_strdup (candidate->model);

      if (ex->provider == NULL || ex->provider->base_url == NULL)
        {
          note_skipped (ex, 404, "not_found_error", _("The provider is not configured"));
          continue;
        }

      if (sy_wire_for_kind (ex->provider->kind) < 0)
        {
          g_autofree char *message =
            g_strdup_printf (_("Provider '%s' has kind \"%s\"; Switchyard speaks \"openai\", "
                               "\"anthropic\" and \"gemini\""),
                             ex->provider->id, ex->provider->kind);
          note_skipped (ex, 501, "upstream_error", message);
          continue;
        }

      start_keepalive (ex);

      /* The usual case (key cached or from the environment) costs no main loop turn. */
      if (sy_keys_lookup_cached (ex->router->keys, ex->provider->id, ex->provider->key_env,
                                 ex->provider->default_env, &key, NULL))
        {
          if (!key_usable (ex, key))
            continue;
          send_attempt (ex);
          return;
        }

      sy_keys_lookup_async (ex->router->keys, ex->provider->id, ex->provider->key_env,
                            ex->provider->default_env, NULL, key_cb, sy_exchange_ref (ex));
      return;
    }
}

/* A GError from the upstream request, turned into status + message. */
static void
attempt_io_failed (SyExchange   *ex,
                   const GError *error)
{
  g_autofree char *message = NULL;

  if (ex->timeout_reason != NULL)
    {
      message = g_strdup_printf (_("%s: %s"), ex->provider->id, ex->timeout_reason);
      exchange_attempt_failed (ex, 504, "timeout_error", message, TRUE, NULL);
      return;
    }

  if (error->domain == G_TLS_ERROR)
    {
      /* A certificate does not get better by asking again: on to the next candidate. */
      message = g_strdup_printf (_("%s: TLS: %s (a provider behind a private CA needs its "
                                   "\"ca_file\" in config)"), ex->provider->id, error->message);
      skip_candidate (ex, 502, "upstream_error", message);
      return;
    }

  message = g_strdup_printf (_("%s: %s"), ex->provider->id, error->message);
  exchange_attempt_failed (ex, 502, "upstream_error", message, TRUE, NULL);
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(SyExchange) ex = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) input = NULL;
  guint status;

  input = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (ex->finished)
    return;
  if (input == NULL)
    {
      attempt_io_failed (ex, error);
      return;
    }

  ex->input = g_steal_pointer (&input);
  ex->buffer = g_byte_array_new ();
  status = soup_message_get_status (ex->msg);

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      set_phase (ex, PHASE_BODY);
      g_input_stream_read_bytes_async (ex->input, READ_CHUNK, G_PRIORITY_DEFAULT,
                                       ex->cancellable, read_error_body_cb, sy_exchange_ref (ex));
      return;
    }

  if (ex->stream)
    {
      ex->sse = sy_sse_parser_new (MAX_SSE_EVENT);
      if (ex->translating && ex->upstream_wire == SY_WIRE_ANTHROPIC)
        ex->decoder = sy_anthropic_decoder_new (ex->model);
      else if (ex->upstream_wire == SY_WIRE_GEMINI)
        ex->decoder = sy_gemini_decoder_new (ex->model);
    }
  exchange_read_more (ex);
}

static void
read_error_body_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      data)
{
  g_autoptr(SyExchange) ex = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *upstream = NULL;
  g_autofree char *message = NULL;
  guint status;
  const char *retry_after;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (ex->finished)
    return;
  if (bytes != NULL && g_bytes_get_size (bytes) > 0 && ex->buffer->len < MAX_ERROR_BODY)
    {
      set_phase (ex, PHASE_BODY);
      g_byte_array_append (ex->buffer, g_bytes_get_data (bytes, NULL), (guint) g_bytes_get_size (bytes));
      g_input_stream_read_bytes_async (ex->input, READ_CHUNK, G_PRIORITY_DEFAULT,
                                       ex->cancellable, read_error_body_cb, sy_exchange_ref (ex));
      return;
    }

  status = soup_message_get_status (ex->msg);
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      const char *location = soup_message_headers_get_one (soup_message_get_response_headers (ex->msg),
                                                           "Location");
      message = g_strdup_printf (_("%s answered HTTP %u, a redirect to %s, which is not followed: "
                                   "check the provider's base_url"),
                                 ex->provider->id, status, location != NULL ? location : "?");
      skip_candidate (ex, 502, "upstream_error", message);
      return;
    }
  retry_after = soup_message_headers_get_one (soup_message_get_response_headers (ex->msg), "retry-after");
  body = g_bytes_new (ex->buffer->data, ex->buffer->len);
  upstream = sy_provider_openai_error_message (body);
  message = g_strdup_printf (_("%s returned HTTP %u: %s"), ex->provider->id, status,
                             upstream != NULL ? upstream : soup_status_get_phrase (status));
  {
    g_autofree char *retry_copy = g_strdup (retry_after);
    exchange_attempt_failed (ex, status, type_for_status (status), message,
                             status_is_retryable (status), retry_copy);
  }
}

static void
commit_stream (SyExchange *ex)
{
  ex->attempt_content = TRUE;
  if (ex->content_sent)
    return;
  ex->content_sent = TRUE;
  ex->t_first = g_get_monotonic_time ();
  if (!ex->headers_sent)
    {
      ex->headers_sent = TRUE;
      ex->sink->stream_start (ex, ex->sink_data);
    }
}

static void
finish_stream_success (SyExchange *ex)
{
  log_attempt (ex, 200, NULL);
  set_phase (ex, PHASE_IDLE);
  exchange_finish (ex, 200, NULL);
}

/* A failure once the stream is under way. Before any content reached the client it
 * is still retryable. */
static void
stream_broke (SyExchange *ex,
              guint       status,
              const char *message)
{
  exchange_attempt_failed (ex, status, type_for_status (status), message, TRUE, NULL);
}

/* Bytes of the first string after @key (such as "content":") in a validated
 * event: enough to estimate the tokens of a stream that breaks before its usage
 * arrives. */
static gsize
content_bytes (const char *data,
               const char *key)
{
  const char *at = strstr (data, key);
  gsize n = 0;

  if (at == NULL)
    return 0;
  for (at += strlen (key); *at != '\0' && *at != '"'; at++, n++)
    if (*at == '\\' && at[1] != '\0')
      at++;
  return n;
}

/* Prices hub usage and says who answered, as OpenRouter does (also for a stream
 * whose headers went out before that was known). */
static void
add_hub_usage (SyExchange *ex,
               JsonObject *object,
               JsonObject *usage)
{
  sy_hub_usage_read (usage, &ex->usage);
  ex->have_usage = TRUE;
  compute_cost (ex);
  if (ex->rescued)
    {
      /* A rescued stream's usage counts its broken part too, as history does. */
      ex->rescued_merged = FALSE;
      merge_rescued_usage (ex);
      usage = sy_hub_usage_new (&ex->usage);
      json_object_set_object_member (object, "usage", usage);
    }
  sy_usage_add_cost (usage, &ex->cost);
  json_object_set_string_member (object, "provider", ex->provider->id);
}

/* Chat Completions from upstream to a Chat Completions client: relayed as they
 * come, parsed only when they carry usage or an error. */
static void
handle_chat_event (SyExchange *ex,
                   SySseEvent *event)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *chunk;
  JsonObject *usage;
  JsonNode *upstream_error;

  if (g_str_equal (event->data, "[DONE]"))
    {
      ex->saw_done = TRUE;
      commit_stream (ex);
      emit (ex, NULL, "[DONE]");
      return;
    }

  /* Most chunks are only relayed: they are checked without building a tree, and
   * parsed only when they carry usage (to add the cost) or an error. */
  if (!sy_json_mentions (event->data, "usage") && !sy_json_mentions (event->data, "error"))
    {
      gsize length = strlen (event->data);
      const char *start = event->data + strspn (event->data, " \t\r\n");

      if (*start != '{' || !sy_json_validate (event->data, length))
        {
          g_autofree char *message = g_strdup_printf (_("%s sent a malformed stream chunk"),
                                                      ex->provider->id);
          stream_broke (ex, 502, message);
          return;
        }
      commit_stream (ex);
      ex->streamed_chars += content_bytes (event->data, "\"content\":\"");
      if (ex->rescue)
        keep_rescue_data (ex, event->data, length);
      emit (ex, NULL, event->data);
      return;
    }

  node = sy_json_parse (event->data, strlen (event->data), &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *message = g_strdup_printf (_("%s sent a malformed stream chunk"), ex->provider->id);
      stream_broke (ex, 502, message);
      return;
    }
  chunk = json_node_get_object (node);

  upstream_error = json_object_get_member (chunk, "error");
  if (upstream_error != NULL && !JSON_NODE_HOLDS_NULL (upstream_error))
    {
      chat_chunk_error (ex, event->data);
      return;
    }

  commit_stream (ex);
  ex->streamed_chars += content_bytes (event->data, "\"content\":\"");
  if (ex->rescue)
    keep_rescue_text (ex, sy_hub_chunk_delta (chunk));
  usage = sy_json_get_object (chunk, "usage");
  if (usage != NULL)
    {
      g_autofree char *data = NULL;

      add_hub_usage (ex, chunk, usage);
      data = sy_json_to_string (node);
      emit (ex, NULL, data);
      return;
    }

  emit (ex, NULL, event->data);
}

/* A chunk that signals an upstream error mid-stream, as a message for the client. */
static void
chat_chunk_error (SyExchange *ex,
                  const char *data)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (data, strlen (data));
  g_autofree char *upstream = sy_provider_openai_error_message (bytes);
  g_autofree char *message = g_strdup_printf (_("%s failed mid-stream: %s"), ex->provider->id,
                                              upstream != NULL ? upstream : _("unknown error"));
  stream_broke (ex, 502, message);
}

/* One hub chunk of a translated stream: usage priced, then sent in the client's
 * format. */
static void
relay_hub_chunk (SyExchange *ex,
                 JsonObject *chunk)
{
  JsonObject *usage = sy_json_get_object (chunk, "usage");
  JsonObject *delta = sy_hub_chunk_delta (chunk);
  const char *content = sy_json_get_string (delta, "content");

  commit_stream (ex);
  if (content != NULL)
    ex->streamed_chars += strlen (content);
  if (ex->rescue)
    keep_rescue_text (ex, delta);
  if (usage != NULL)
    add_hub_usage (ex, chunk, usage);

  if (ex->client_wire == SY_WIRE_CHAT)
    {
      g_autofree char *data = sy_json_object_to_string (chunk);
      emit (ex, NULL, data);
    }
  else
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

      sy_stream_encoder_chunk (client_encoder (ex), chunk, events);
      emit_events (ex, events);
    }
}

static void
translated_done (SyExchange *ex)
{
  ex->saw_done = TRUE;
  commit_stream (ex);
  if (ex->client_wire == SY_WIRE_CHAT)
    emit (ex, NULL, "[DONE]");
  else
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

      sy_stream_encoder_finish (client_encoder (ex), events);
      emit_events (ex, events);
    }
}

/* Formats differ: upstream events → hub chunks → the client's events. */
static void
handle_translated_event (SyExchange *ex,
                         SySseEvent *event)
{
  g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GError) error = NULL;

  if (ex->saw_done)
    return;

  if (ex->decoder == NULL)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonNode *upstream_error;

      if (g_str_equal (event->data, "[DONE]"))
        {
          translated_done (ex);
          return;
        }
      node = sy_json_parse (event->data, strlen (event->data), NULL);
      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_autofree char *message = g_strdup_printf (_("%s sent a malformed stream chunk"), ex->provider->id);
          stream_broke (ex, 502, message);
          return;
        }
      upstream_error = json_object_get_member (json_node_get_object (node), "error");
      if (upstream_error != NULL && !JSON_NODE_HOLDS_NULL (upstream_error))
        {
          chat_chunk_error (ex, event->data);
          return;
        }
      sy_hub_normalize_reasoning (sy_hub_chunk_delta (json_node_get_object (node)));
      g_ptr_array_add (chunks, json_object_ref (json_node_get_object (node)));
    }
  else
    {
      guint status = 502;

      if (!sy_stream_decoder_feed (ex->decoder, event->event, event->data, chunks, &status, &error))
        {
          g_autofree char *message = g_strdup_printf (_("%s failed mid-stream: %s"), ex->provider->id,
                                                      error != NULL ? error->message : _("unknown error"));
          stream_broke (ex, status, message);
          return;
        }
    }

  for (guint i = 0; i < chunks->len; i++)
    relay_hub_chunk (ex, g_ptr_array_index (chunks, i));
  if (ex->decoder != NULL && ex->decoder->done)
    translated_done (ex);
}

/* Anthropic from upstream to an Anthropic client: events relayed as they come;
 * message_start and message_delta are read for usage, and the cost rides in
 * message_delta's usage. */
static void
handle_anthropic_event (SyExchange *ex,
                        SySseEvent *event)
{
  g_autoptr(JsonNode) node = NULL;
  const char *type = event->event;
  JsonObject *object;
  gsize length = strlen (event->data);

  if (type == NULL || (!g_str_equal (type, "message_start") && !g_str_equal (type, "message_delta") &&
                       !g_str_equal (type, "error")))
    {
      const char *start = event->data + strspn (event->data, " \t\r\n");

      if (*start != '{' || !sy_json_validate (event->data, length))
        {
          g_autofree char *message = g_strdup_printf (_("%s sent a malformed stream event"), ex->provider->id);
          stream_broke (ex, 502, message);
          return;
        }
      if (type != NULL && g_str_equal (type, "ping"))
        {
          /* Before any content a ping is only a keep-alive: the attempt may still
           * change provider. */
          if (ex->content_sent)
            emit (ex, type, event->data);
          return;
        }
      commit_stream (ex);
      ex->streamed_chars += content_bytes (event->data, "\"text\":\"");
      emit (ex, type, event->data);
      if (type != NULL && g_str_equal (type, "message_stop"))
        ex->saw_done = TRUE;
      return;
    }

  node = sy_json_parse (event->data, length, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *message = g_strdup_printf (_("%s sent a malformed stream event"), ex->provider->id);
      stream_broke (ex, 502, message);
      return;
    }
  object = json_node_get_object (node);

  if (g_str_equal (type, "error"))
    {
      JsonObject *error = sy_json_get_object (object, "error");
      const char *error_type = sy_json_get_string (error, "type");
      const char *upstream = sy_json_get_string (error, "message");
      g_autofree char *message = g_strdup_printf (_("%s failed mid-stream: %s"), ex->provider->id,
                                                  upstream != NULL ? upstream : _("unknown error"));
      guint status = g_strcmp0 (error_type, "overloaded_error") == 0 ? 529 :
                     g_strcmp0 (error_type, "rate_limit_error") == 0 ? 429 : 502;
      stream_broke (ex, status, message);
      return;
    }

  commit_stream (ex);
  if (g_str_equal (type, "message_start"))
    {
      JsonObject *usage = sy_json_get_object (sy_json_get_object (object, "message"), "usage");

      sy_anthropic_usage_read (usage, &ex->anthropic_start_usage);
      ex->usage = ex->anthropic_start_usage;
      ex->have_usage = usage != NULL;
      emit (ex, type, event->data);
      return;
    }

  {
    JsonObject *usage = sy_json_get_object (object, "usage");
    g_autofree char *data = NULL;

    if (usage != NULL)
      {
        SyUsage delta;

        /* Output tokens are cumulative; input figures, when present, replace
         * message_start's. */
        sy_anthropic_usage_read (usage, &delta);
        ex->usage = delta.prompt_tokens > 0 ? delta : ex->anthropic_start_usage;
        ex->usage.completion_tokens = delta.completion_tokens;
        ex->have_usage = TRUE;
        compute_cost (ex);
        sy_usage_add_cost (usage, &ex->cost);
        data = sy_json_to_string (node);
      }
    emit (ex, type, data != NULL ? data : event->data);
  }
}

static void
handle_event (SyExchange *ex,
              SySseEvent *event)
{
  if (event->data == NULL)
    return;
  if (ex->translating)
    handle_translated_event (ex, event);
  else if (ex->upstream_wire == SY_WIRE_ANTHROPIC)
    handle_anthropic_event (ex, event);
  else
    handle_chat_event (ex, event);
}

/* The upstream's answer in the hub format (a new reference). */
static JsonObject *
body_to_hub (SyExchange  *ex,
             JsonObject  *body,
             GError     **error)
{
  switch (ex->upstream_wire)
    {
    case SY_WIRE_ANTHROPIC:
      return sy_anthropic_response_to_hub (body, error);
    case SY_WIRE_GEMINI:
      return sy_gemini_response_to_hub (body, ex->model, error);
    case SY_WIRE_CHAT:
    case SY_WIRE_RESPONSES:
    default:
      {
        JsonArray *choices = sy_json_get_array (body, "choices");

        for (guint i = 0; choices != NULL && i < json_array_get_length (choices); i++)
          sy_hub_normalize_reasoning (sy_json_get_object (sy_json_array_get_object (choices, i), "message"));
        return json_object_ref (body);
      }
    }
}

/* The hub answer in the client's format (a new reference). */
static JsonObject *
hub_to_client (SyExchange *ex,
               JsonObject *hub)
{
  switch (ex->client_wire)
    {
    case SY_WIRE_ANTHROPIC:
      return sy_anthropic_response_from_hub (hub);
    case SY_WIRE_RESPONSES:
      return sy_responses_response_from_hub (hub);
    case SY_WIRE_CHAT:
    case SY_WIRE_GEMINI:
    default:
      return json_object_ref (hub);
    }
}

static void
finish_body (SyExchange *ex)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonNode) answer_node = NULL;
  JsonObject *body;
  JsonObject *usage;
  g_autofree char *data = NULL;

  node = sy_json_parse ((const char *) ex->buffer->data, ex->buffer->len, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *message = g_strdup_printf (_("%s sent a response that is not JSON"), ex->provider->id);
      exchange_attempt_failed (ex, 502, "upstream_error", message, TRUE, NULL);
      return;
    }
  body = json_node_get_object (node);

  if (!ex->translating)
    {
      /* Same format both ways: the answer goes back as it came, priced. */
      usage = sy_json_get_object (body, "usage");
      if (usage != NULL && ex->upstream_wire == SY_WIRE_ANTHROPIC)
        {
          sy_anthropic_usage_read (usage, &ex->usage);
          ex->have_usage = TRUE;
          compute_cost (ex);
          sy_usage_add_cost (usage, &ex->cost);
          json_object_set_string_member (body, "provider", ex->provider->id);
        }
      else if (usage != NULL)
        add_hub_usage (ex, body, usage);
      else
        json_object_set_string_member (body, "provider", ex->provider->id);
      answer = json_object_ref (body);
    }
  else
    {
      g_autoptr(JsonObject) hub = body_to_hub (ex, body, &error);

      if (hub == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("%s sent an answer Switchyard cannot read: %s"),
                                                      ex->provider->id,
                                                      error != NULL ? error->message : _("unknown error"));
          exchange_attempt_failed (ex, 502, "upstream_error", message, TRUE, NULL);
          return;
        }
      usage = sy_json_get_object (hub, "usage");
      if (usage != NULL)
        add_hub_usage (ex, hub, usage);
      else
        json_object_set_string_member (hub, "provider", ex->provider->id);
      answer = hub_to_client (ex, hub);
    }

  answer_node = json_node_init_object (json_node_alloc (), answer);
  data = sy_json_to_string (answer_node);
  keep_history_body (ex, data, strlen (data));
  ex->t_first = g_get_monotonic_time ();
  log_attempt (ex, 200, NULL);
  set_phase (ex, PHASE_IDLE);
  ex->sink->respond (ex, answer, data, ex->sink_data);
  exchange_finish (ex, 200, NULL);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(SyExchange) ex = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (ex->finished)
    return;
  if (bytes == NULL)
    {
      if (ex->content_sent && ex->timeout_reason == NULL)
        {
          g_autofree char *message = g_strdup_printf (_("%s: connection lost mid-stream: %s"),
                                                      ex->provider->id, error->message);
          stream_broke (ex, 502, message);
        }
      else
        attempt_io_failed (ex, error);
      return;
    }

  length = g_bytes_get_size (bytes);
  if (length == 0)
    {
      ex->saw_eof = TRUE;
      if (!ex->stream)
        {
          finish_body (ex);
          return;
        }
      if (ex->saw_done)
        {
          finish_stream_success (ex);
          return;
        }
      {
        g_autofree char *message = g_strdup_printf (_("%s closed the stream before it finished"),
                                                    ex->provider->id);
        stream_broke (ex, 502, message);
      }
      return;
    }

  if (!ex->stream)
    {
      if (ex->buffer->len + length > MAX_RESPONSE_BODY)
        {
          g_autofree char *message = g_strdup_printf (_("%s sent a response larger than 64 MiB"),
                                                      ex->provider->id);
          exchange_attempt_failed (ex, 502, "upstream_error", message, FALSE, NULL);
          return;
        }
      g_byte_array_append (ex->buffer, g_bytes_get_data (bytes, NULL), (guint) length);
    }
  else
    {
      g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

      if (!sy_sse_parser_feed (ex->sse, g_bytes_get_data (bytes, NULL), length, events, &error))
        {
          g_autofree char *message = g_strdup_printf (_("%s sent a malformed stream: %s"),
                                                      ex->provider->id, error->message);
          stream_broke (ex, 502, message);
          return;
        }
      guint serial = ex->attempt_serial;

      /* An event can end this attempt, and the next one may already be under way
       * when handle_event () returns: nothing more of this stream is relayed. */
      for (guint i = 0; i < events->len; i++)
        {
          handle_event (ex, g_ptr_array_index (events, i));
          if (ex->finished || ex->attempt_serial != serial)
            return;
        }
      if (events->len > 0)
        ex->last_write = g_get_monotonic_time ();
    }

  exchange_read_more (ex);
}

static void
exchange_read_more (SyExchange *ex)
{
  /* The first-byte timer runs until the first body byte (first event for streams);
   * after that every read restarts the idle timer. */
  if (ex->stream ? ex->attempt_content : ex->buffer->len > 0)
    set_phase (ex, PHASE_BODY);
  else if (ex->phase != PHASE_FIRST_BYTE)
    set_phase (ex, PHASE_FIRST_BYTE);

  g_input_stream_read_bytes_async (ex->input, READ_CHUNK, G_PRIORITY_DEFAULT,
                                   ex->cancellable, read_cb, sy_exchange_ref (ex));
}
