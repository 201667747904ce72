/* sy-translate.h — the hub format (OpenAI Chat Completions) to and from the other
 * wire formats: Anthropic Messages, OpenAI Responses and Gemini.
 *
 * Conventions every translator follows:
 * - A hub request is a Chat Completions request object; a hub response a
 *   "chat.completion"; a hub stream a sequence of "chat.completion.chunk" objects,
 *   the last carrying "usage" with "choices": [] (OpenAI's include_usage shape).
 * - Hub extensions: "reasoning_content" (a string) in a message or a delta carries
 *   reasoning text; "reasoning_effort" ("low", "medium", "high") asks for reasoning.
 * - Hub usage: prompt_tokens counts every input token (cache reads and writes
 *   included), completion_tokens every output token (reasoning included), as in
 *   SyUsage; "cost" and "cost_details", when present in hub usage, are carried into
 *   the client format's usage object unchanged.
 * - Translators never take ownership of their arguments and return new objects.
 * - Errors: SY_TRANSLATE_ERROR_INVALID for a request that cannot be translated
 *   (the caller answers 400 with the message), SY_TRANSLATE_ERROR_UPSTREAM for an
 *   upstream answer that is malformed (502). Messages are one sentence, name the
 *   offending member ("messages[2].content[0]: ..."), and never contain a key.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sy-config.h"
#include "sy-cost.h"

G_BEGIN_DECLS

typedef enum {
  SY_WIRE_CHAT,        /* OpenAI Chat Completions: the hub */
  SY_WIRE_ANTHROPIC,   /* Anthropic Messages (client and upstream) */
  SY_WIRE_RESPONSES,   /* OpenAI Responses, stateless (client side only) */
  SY_WIRE_GEMINI,      /* Gemini generateContent (upstream side only) */
} SyWire;

/* The wire format of a provider kind ("openai", "anthropic", "gemini"); -1 when
 * unknown. */
int         sy_wire_for_kind        (const char *kind);

#define SY_TRANSLATE_ERROR (sy_translate_error_quark ())
typedef enum {
  SY_TRANSLATE_ERROR_INVALID,
  SY_TRANSLATE_ERROR_UPSTREAM,
} SyTranslateError;
GQuark      sy_translate_error_quark (void);

/* Sets a SY_TRANSLATE_ERROR whose message is safe to send back: one line (control
 * characters from client-supplied names escaped) and at most a few hundred
 * bytes, however long the name a client put in its request. */
void        sy_translate_set_error  (GError    **error,
                                     int         code,
                                     const char *format,
                                     ...) G_GNUC_PRINTF (3, 4);

/* ------------------------------------------------------------ shared helpers */

/* TRUE for a request member that names an upstream or a credential
 * ("base_url", "api_key", "models", …): the upstream comes only from config, so
 * no adapter sends these on. ("models" is the router's own fallback list.) */
gboolean    sy_translate_member_is_dropped (const char *name);

/* Sets @msg's request body to @body as JSON, and Accept to text/event-stream when
 * @stream, else application/json. */
void        sy_translate_set_json_body (SoupMessage *msg,
                                        JsonObject  *body,
                                        gboolean     stream);

/* "prefix" followed by 24 random alphanumerics, e.g. "msg_…", "call_…". */
char       *sy_translate_new_id     (const char *prefix);

/* A chat.completion.chunk with one choice whose delta is empty and finish_reason
 * null. sy_hub_chunk_delta () returns that delta for filling in. */
JsonObject *sy_hub_chunk_new        (const char *id,
                                     const char *model,
                                     gint64      created);
JsonObject *sy_hub_chunk_delta      (JsonObject *chunk);
/* choices[0] of a chat.completion or a chunk, when it is an object; else NULL. */
JsonObject *sy_hub_first_choice     (JsonObject *completion);
/* Sets choices[0].finish_reason. */
void        sy_hub_chunk_set_finish (JsonObject *chunk,
                                     const char *finish_reason);
/* The final usage chunk: "choices": [] and "usage" built from @usage. */
JsonObject *sy_hub_usage_chunk_new  (const char    *id,
                                     const char    *model,
                                     gint64         created,
                                     const SyUsage *usage);
/* A hub usage object (prompt_tokens, completion_tokens, total_tokens,
 * prompt_tokens_details.cached_tokens [+ cache_write_tokens when non-zero],
 * completion_tokens_details.reasoning_tokens). */
JsonObject *sy_hub_usage_new        (const SyUsage *usage);
/* Reads a hub usage object (DeepSeek's top-level cache hits too). */
void        sy_hub_usage_read       (JsonObject    *usage,
                                     SyUsage       *out);
/* Adds "cost" and "cost_details" (null when the price is unknown) to @usage, in
 * any format's usage object. */
void        sy_usage_add_cost       (JsonObject    *usage,
                                     const SyCost  *cost);
/* Copies "cost" and "cost_details" from one usage object to another, if present. */
void        sy_usage_copy_cost      (JsonObject    *from,
                                     JsonObject    *to);

/* OpenRouter and Groq call the reasoning text "reasoning": renamed to the hub's
 * "reasoning_content" in a message or delta that lacks it. */
void        sy_hub_normalize_reasoning (JsonObject *message);

/* The text of a hub message's "content": a string, or the "text" of its text
 * parts joined; NULL when there is none. */
char       *sy_hub_content_text     (JsonNode      *content);

/* "data:image/png;base64,AAAA" → media type and data (both owned); FALSE if
 * @url is not a base64 data URL. */
gboolean    sy_data_url_split       (const char    *url,
                                     char         **media_type,
                                     char         **data);

/* Anthropic's error type for an HTTP status (529 overloaded_error, 429
 * rate_limit_error, 401 authentication_error, …, otherwise api_error). */
const char *sy_anthropic_error_type (guint status);

/* The error body of @wire (Chat and Responses: {"error":{"message","type","code"}},
 * Anthropic: {"type":"error","error":{"type","message"}}), also used in streams. */
char       *sy_wire_error_json      (SyWire      wire,
                                     guint       status,
                                     const char *type,
                                     const char *message);

/* ------------------------------------------------------ stream translation */

/* Upstream stream events → hub chunks. */
typedef struct _SyStreamDecoder SyStreamDecoder;
struct _SyStreamDecoder {
  /* Appends hub chunks (JsonObject *, one reference each; @chunks frees with
   * json_object_unref) for one upstream SSE event (@event may be NULL).
   * Returns FALSE with @error when the event is malformed
   * (SY_TRANSLATE_ERROR_UPSTREAM, *status = 502) or is the upstream's own error
   * event (its message; *status from its type: overloaded → 529, rate limit →
   * 429, otherwise 500/502). */
  gboolean (*feed) (SyStreamDecoder *self,
                    const char      *event,
                    const char      *data,
                    GPtrArray       *chunks,
                    guint           *status,
                    GError         **error);
  void     (*free) (SyStreamDecoder *self);
  /* Set once the upstream said its answer is complete (Anthropic message_stop,
   * Gemini's chunk with a finishReason); the finish and usage chunks have then
   * been emitted. */
  gboolean done;
};

/* Hub chunks → client stream events. */
typedef struct _SyStreamEncoder SyStreamEncoder;
struct _SyStreamEncoder {
  /* Appends SySseEvent * (event name and data; @events frees with
   * sy_sse_event_free) for one hub chunk. */
  void (*chunk)  (SyStreamEncoder *self,
                  JsonObject      *chunk,
                  GPtrArray       *events);
  /* The hub stream ended normally ("[DONE]"): closing events. */
  void (*finish) (SyStreamEncoder *self,
                  GPtrArray       *events);
  /* A failure after the stream began: the format's error event(s); nothing
   * follows. */
  void (*error)  (SyStreamEncoder *self,
                  guint            status,
                  const char      *type,
                  const char      *message,
                  GPtrArray       *events);
  void (*free)   (SyStreamEncoder *self);
};

gboolean    sy_stream_decoder_feed  (SyStreamDecoder *self,
                                     const char      *event,
                                     const char      *data,
                                     GPtrArray       *chunks,
                                     guint           *status,
                                     GError         **error);
void        sy_stream_decoder_free  (SyStreamDecoder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyStreamDecoder, sy_stream_decoder_free)

void        sy_stream_encoder_chunk  (SyStreamEncoder *self, JsonObject *chunk, GPtrArray *events);
void        sy_stream_encoder_finish (SyStreamEncoder *self, GPtrArray *events);
void        sy_stream_encoder_error  (SyStreamEncoder *self, guint status, const char *type,
                                      const char *message, GPtrArray *events);
void        sy_stream_encoder_free   (SyStreamEncoder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyStreamEncoder, sy_stream_encoder_free)

/* A new SySseEvent (for encoders): @event may be NULL; takes @data. */
gpointer    sy_sse_event_new_take   (const char *event,
                                     char       *data);

/* ------------------------------------------------------- Anthropic Messages */
/* providers/sy-anthropic.c */

/* Client side: an Anthropic Messages request → hub request (model and stream
 * kept). Validates what Anthropic validates (messages, roles, content blocks). */
JsonObject      *sy_anthropic_request_to_hub    (JsonObject *request,
                                                 GError    **error);
/* Client side: hub chat.completion → Anthropic "message" object. */
JsonObject      *sy_anthropic_response_from_hub (JsonObject *completion);
/* Client side: hub chunks → Anthropic events (message_start, content_block_*,
 * message_delta with usage, message_stop; error event on failure). */
SyStreamEncoder *sy_anthropic_encoder_new       (const char *model);

/* Upstream side: hub request → Anthropic Messages request, without "model" and
 * "stream" (the adapter sets them). @default_max_tokens is used when the hub
 * request names no max_tokens/max_completion_tokens (Anthropic requires one). */
JsonObject      *sy_anthropic_request_from_hub  (JsonObject *hub,
                                                 gint64      default_max_tokens,
                                                 GError    **error);
/* Upstream side: Anthropic "message" → hub chat.completion. */
JsonObject      *sy_anthropic_response_to_hub   (JsonObject *message,
                                                 GError    **error);
/* Upstream side: Anthropic events → hub chunks. */
SyStreamDecoder *sy_anthropic_decoder_new       (const char *model);

/* Anthropic usage (input_tokens excludes cache reads/writes) ↔ SyUsage. */
void             sy_anthropic_usage_read        (JsonObject *usage,
                                                 SyUsage    *out);

/* POST {base_url}/messages with x-api-key and anthropic-version; sets "model",
 * "stream", and "max_tokens" (@default_max_tokens) when the request has none. */
SoupMessage     *sy_provider_anthropic_build    (const SyProvider *provider,
                                                 const char       *model,
                                                 JsonObject       *request,
                                                 gboolean          stream,
                                                 gint64            default_max_tokens,
                                                 const char       *key);

/* ------------------------------------------------------------------ Gemini */
/* providers/sy-gemini.c */

/* Hub request → Gemini GenerateContentRequest (the model goes in the URL). */
JsonObject      *sy_gemini_request_from_hub     (JsonObject *hub,
                                                 GError    **error);
/* GenerateContentResponse → hub chat.completion. */
JsonObject      *sy_gemini_response_to_hub      (JsonObject *response,
                                                 const char *model,
                                                 GError    **error);
/* streamGenerateContent?alt=sse chunks → hub chunks. */
SyStreamDecoder *sy_gemini_decoder_new          (const char *model);

/* POST {base_url}/models/{model}:generateContent, or
 * :streamGenerateContent?alt=sse, with the key in x-goog-api-key (never the
 * query string). */
SoupMessage     *sy_provider_gemini_build       (const SyProvider *provider,
                                                 const char       *model,
                                                 JsonObject       *request,
                                                 gboolean          stream,
                                                 const char       *key);

/* --------------------------------------------------------- OpenAI Responses */
/* providers/sy-responses.c */

/* Client side: a stateless Responses request (input items, instructions,
 * function tools, text.format, reasoning, max_output_tokens) → hub request. A
 * previous_response_id is refused (stateless). */
JsonObject      *sy_responses_request_to_hub    (JsonObject *request,
                                                 GError    **error);
/* Client side: hub chat.completion → "response" object (output items, usage
 * with input_tokens/output_tokens and their details, status). */
JsonObject      *sy_responses_response_from_hub (JsonObject *completion);
/* Client side: hub chunks → response.created, response.output_item.added,
 * response.output_text.delta, response.function_call_arguments.delta, …,
 * response.completed (or response.incomplete / response.failed). */
SyStreamEncoder *sy_responses_encoder_new       (const char *model);

G_END_DECLS
