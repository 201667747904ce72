/* fuzz-util.h — what the fuzz targets share: the libFuzzer entry point, input
 * parsing and the checks every translator's output must pass.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <json-glib/json-glib.h>

#include "sy-sse.h"
#include "sy-translate.h"

G_BEGIN_DECLS

/* Defined once per target; called by libFuzzer or by replay.c. */
int         LLVMFuzzerTestOneInput     (const uint8_t *data,
                                        size_t         size);

/* Makes criticals and warnings abort: on untrusted input they mean a broken
 * contract (a json-glib accessor on the wrong type, a failed precondition). */
void        sy_fuzz_init               (void);

/* The input through sy_json_parse (depth-checked), or NULL. */
JsonNode   *sy_fuzz_parse              (const uint8_t *data,
                                        size_t         size);
/* The same when the root is an object (a new reference), else NULL. */
JsonObject *sy_fuzz_parse_object       (const uint8_t *data,
                                        size_t         size);

/* A translator's (result, error) pair: at most one is set, and an error is a
 * SY_TRANSLATE_ERROR with a one-line message. Both NULL is tolerated: today's
 * placeholder translators answer that way. Serialises a result, so the
 * generator walks everything the translator built. */
void        sy_fuzz_check_result       (JsonObject   *result,
                                        const GError *error);
/* Same for a translator that cannot fail. */
void        sy_fuzz_check_object       (JsonObject   *result);

/* Every SySseEvent an encoder appended has data and single-line names. */
void        sy_fuzz_check_events       (GPtrArray    *events);

/* The client encoders every translated stream is sent through. */
typedef struct {
  SyStreamEncoder *encoders[2];   /* Anthropic's, Responses' (entries may be NULL) */
} SyFuzzClients;

void        sy_fuzz_clients_init       (SyFuzzClients *clients,
                                        const char    *model);
void        sy_fuzz_clients_clear      (SyFuzzClients *clients);

/* Takes @decoder (a new one, may be NULL): the stream in @data through it and on
 * to every client encoder. */
void        sy_fuzz_decode_to_clients  (SyStreamDecoder *decoder,
                                        const char      *model,
                                        const uint8_t   *data,
                                        size_t           size);

/* Runs a whole upstream SSE stream through @decoder (may be NULL) and the
 * hub chunks through each encoder in @encoders (entries may be NULL), ending
 * with finish or error as the router does. */
void        sy_fuzz_run_stream         (SyStreamDecoder  *decoder,
                                        SyStreamEncoder **encoders,
                                        guint             n_encoders,
                                        const uint8_t    *data,
                                        size_t            size);

/* The same for a hub stream (an OpenAI-compatible upstream's chunks, "[DONE]"
 * last) going straight to the client encoders. */
void        sy_fuzz_run_hub_stream     (SyStreamEncoder **encoders,
                                        guint             n_encoders,
                                        const uint8_t    *data,
                                        size_t            size);

G_END_DECLS
