/* sy-router.h — turns a request into a plan of attempts and drives them upstream.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "sy-config.h"
#include "sy-cost.h"
#include "sy-history.h"
#include "sy-keys.h"
#include "sy-ratings.h"
#include "sy-translate.h"

G_BEGIN_DECLS

typedef struct {
  char *provider_id;
  char *model;
} SyCandidate;

void sy_candidate_free (SyCandidate *candidate);

#define SY_TYPE_ROUTER (sy_router_get_type ())
G_DECLARE_FINAL_TYPE (SyRouter, sy_router, SY, ROUTER, GObject)

/* Must be created, used and disposed on the router thread: the upstream session and
 * every timer attach to the thread-default main context at creation. @history may
 * be NULL (no recording). */
SyRouter   *sy_router_new      (SyConfig   *config,
                                SyKeys     *keys,
                                SyHistory  *history);
SyConfig   *sy_router_get_config (SyRouter *self);

/* Cancels every exchange in flight (server shutdown); each is recorded with
 * status 503. */
void        sy_router_cancel_all (SyRouter *self);

/* Replaces the config for requests that start from now on (a window's edit);
 * requests in flight keep the providers they were planned with. */
void        sy_router_set_config (SyRouter *self,
                                  SyConfig *config);

/* The user's ratings for the "best" strategy, from the next request on (takes
 * @ratings). */
void        sy_router_set_ratings (SyRouter  *self,
                                   SyRatings *ratings);

/* Live requests for a window, called on the router thread: once when a request
 * arrives (@record has the id, time, client, surface, requested model and
 * stream; status 0) and once when it ends (@record as history gets it, bodies
 * included when stored). The observer copies what it keeps. */
typedef void (*SyRequestObserver) (const SyHistoryRecord *record,
                                   gpointer               user_data);
void        sy_router_set_observer (SyRouter          *self,
                                    SyRequestObserver  observer,
                                    gpointer           user_data);

typedef struct _SyExchange SyExchange;

/* How an exchange talks to the client; one per API surface. Every callback runs on
 * the router thread. After done() the exchange calls nothing else. */
typedef struct {
  /* Stream committed: send status 200 and event-stream headers. Called either for
   * the first content, or earlier for the first keep-alive comment, while the
   * provider may still change (sy_exchange_content_sent () tells which). */
  void (*stream_start) (SyExchange *exchange, gpointer user_data);
  /* One event in the client's format: @event is its "event:" name (NULL for
   * Chat Completions), @data its "data:" (a chunk, "[DONE]", or an error the
   * stream ends with). */
  void (*stream_event) (SyExchange *exchange, const char *event, const char *data, gpointer user_data);
  /* A comment that keeps idle connections open. */
  void (*stream_keepalive) (SyExchange *exchange, gpointer user_data);
  /* Non-stream success: @body is the answer in the client's format with cost in
   * its usage, @json the same serialised. */
  void (*respond) (SyExchange *exchange, JsonObject *body, const char *json, gpointer user_data);
  /* Failure before anything was sent. @retry_after may be NULL. */
  void (*fail) (SyExchange *exchange, guint status, const char *type,
                const char *message, const char *retry_after, gpointer user_data);
  /* The exchange is over (also after a client disconnect); drop references. */
  void (*done) (SyExchange *exchange, gpointer user_data);
} SyExchangeSink;

/* @request is what the client sent, in @client_wire's format; @hub the same in
 * the hub format (NULL when @client_wire is the hub's). @raw_body is kept for
 * history. */
SyExchange *sy_exchange_new    (SyRouter             *router,
                                SyWire                client_wire,
                                const char           *surface,
                                const char           *client,
                                JsonNode             *request,
                                JsonNode             *hub,
                                GBytes               *raw_body,
                                const SyExchangeSink *sink,
                                gpointer              sink_data);
SyExchange *sy_exchange_ref    (SyExchange *exchange);
void        sy_exchange_unref  (SyExchange *exchange);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyExchange, sy_exchange_unref)

void        sy_exchange_start  (SyExchange *exchange);
/* Before sy_exchange_start (): keep the final history record, for the sink's
 * done () to read with sy_exchange_get_record () (NULL before the end). */
void        sy_exchange_keep_record (SyExchange *exchange);
const SyHistoryRecord *sy_exchange_get_record (SyExchange *exchange);
/* The client went away: cancel upstream, record 499. */
void        sy_exchange_client_gone (SyExchange *exchange);

const char *sy_exchange_get_request_id (SyExchange *exchange);
const char *sy_exchange_get_provider   (SyExchange *exchange);
const char *sy_exchange_get_model      (SyExchange *exchange);
guint       sy_exchange_get_attempts   (SyExchange *exchange);
gboolean    sy_exchange_is_stream      (SyExchange *exchange);
/* TRUE once upstream content reached the client: the provider is then final. */
gboolean    sy_exchange_content_sent   (SyExchange *exchange);
/* Before sy_exchange_start (): the x-switchyard-profile header, if any. */
void        sy_exchange_set_profile_header (SyExchange *exchange,
                                            const char *profile);
/* The routing decision in one line (x-switchyard-route), NULL before planning. */
const char *sy_exchange_get_route      (SyExchange *exchange);

G_END_DECLS
