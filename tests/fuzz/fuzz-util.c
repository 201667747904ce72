/* fuzz-util.c — what the fuzz targets share: input parsing, output checks and
 * the upstream-stream → hub → client-stream pipeline.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz"

#include "fuzz-util.h"

#include "sy-json.h"

#include <string.h>

/* Large enough for any realistic event, small enough to hit in a fuzz run. */
#define MAX_EVENT_BYTES (1 << 20)

void
sy_fuzz_init (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

JsonNode *
sy_fuzz_parse (const uint8_t *data,
               size_t         size)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = sy_json_parse ((const char *) data, size, &error);

  g_assert (node != NULL || error != NULL);
  return node;
}

JsonObject *
sy_fuzz_parse_object (const uint8_t *data,
                      size_t         size)
{
  g_autoptr(JsonNode) node = sy_fuzz_parse (data, size);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_ref (json_node_get_object (node));
}

void
sy_fuzz_check_object (JsonObject *result)
{
  g_autofree char *text = NULL;

  if (result == NULL)
    return;

  /* Not checked with sy_json_validate: json-glib 1.6 itself writes non-finite
   * doubles as "inf.0" and some control characters unescaped. */
  text = sy_json_object_to_string (result);
  g_assert_nonnull (text);
}

void
sy_fuzz_check_result (JsonObject   *result,
                      const GError *error)
{
  if (error != NULL)
    {
      g_assert_null (result);
      g_assert_true (error->domain == SY_TRANSLATE_ERROR);
      g_assert_nonnull (error->message);
      g_assert_cmpuint (strlen (error->message), >, 0);
      g_assert_null (strchr (error->message, '\n'));
      return;
    }

  sy_fuzz_check_object (result);
}

void
sy_fuzz_check_events (GPtrArray *events)
{
  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);

      g_assert_nonnull (event);
      g_assert_nonnull (event->data);
      /* A line break in a name would split the event on the client's side. */
      if (event->event != NULL)
        g_assert_null (strpbrk (event->event, "\r\n"));
      if (event->id != NULL)
        g_assert_null (strpbrk (event->id, "\r\n"));
      g_assert_null (strchr (event->data, '\r'));
    }
}

static void
encode_chunks (SyStreamEncoder **encoders,
               guint             n_encoders,
               GPtrArray        *chunks)
{
  for (guint i = 0; i < chunks->len; i++)
    {
      JsonObject *chunk = g_ptr_array_index (chunks, i);

      g_assert_nonnull (chunk);
      sy_fuzz_check_object (chunk);

      for (guint e = 0; e < n_encoders; e++)
        {
          g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

          if (encoders[e] == NULL)
            continue;
          sy_stream_encoder_chunk (encoders[e], chunk, out);
          sy_fuzz_check_events (out);
        }
    }
}

static const char *
error_type_for_status (guint status)
{
  switch (status)
    {
    case 429:
      return "rate_limit_error";
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

static void
end_stream (SyStreamEncoder **encoders,
            guint             n_encoders,
            gboolean          finished,
            guint             status,
            const char       *message)
{
  for (guint e = 0; e < n_encoders; e++)
    {
      g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);

      if (encoders[e] == NULL)
        continue;
      if (finished)
        sy_stream_encoder_finish (encoders[e], out);
      else
        sy_stream_encoder_error (encoders[e], status, error_type_for_status (status),
                                 message, out);
      sy_fuzz_check_events (out);
    }
}

void
sy_fuzz_clients_init (SyFuzzClients *clients,
                      const char    *model)
{
  clients->encoders[0] = sy_anthropic_encoder_new (model);
  clients->encoders[1] = sy_responses_encoder_new (model);
}

void
sy_fuzz_clients_clear (SyFuzzClients *clients)
{
  for (guint i = 0; i < G_N_ELEMENTS (clients->encoders); i++)
    g_clear_pointer (&clients->encoders[i], sy_stream_encoder_free);
}

void
sy_fuzz_decode_to_clients (SyStreamDecoder *decoder,
                           const char      *model,
                           const uint8_t   *data,
                           size_t           size)
{
  g_autoptr(SyStreamDecoder) owned = decoder;
  SyFuzzClients clients;

  if (owned != NULL)
    g_assert_false (owned->done);
  sy_fuzz_clients_init (&clients, model);
  sy_fuzz_run_stream (owned, clients.encoders, G_N_ELEMENTS (clients.encoders), data, size);
  sy_fuzz_clients_clear (&clients);
}

void
sy_fuzz_run_stream (SyStreamDecoder  *decoder,
                    SyStreamEncoder **encoders,
                    guint             n_encoders,
                    const uint8_t    *data,
                    size_t            size)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (MAX_EVENT_BYTES);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
  g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GError) error = NULL;
  g_autofree char *failure = NULL;
  guint failure_status = 0;
  gboolean parsed;

  parsed = sy_sse_parser_feed (parser, (const char *) data, size, events, &error);
  if (!parsed)
    {
      failure = g_strdup (error->message);
      failure_status = 502;
    }

  /* Events parsed before a malformed tail still reach the decoder, as they
   * would have on a live connection. */
  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      g_autoptr(GError) decode_error = NULL;
      guint status = 0;
      gboolean ok;

      if (decoder == NULL)
        break;

      ok = sy_stream_decoder_feed (decoder, event->event, event->data, chunks,
                                   &status, &decode_error);
      encode_chunks (encoders, n_encoders, chunks);
      g_ptr_array_set_size (chunks, 0);

      if (!ok)
        {
          g_assert_nonnull (decode_error);
          g_assert_nonnull (decode_error->message);
          g_assert_cmpuint (status, >=, 400);
          g_assert_cmpuint (status, <=, 599);
          g_free (failure);
          failure = g_strdup (decode_error->message);
          failure_status = status;
          break;
        }
      g_assert_no_error (decode_error);
    }

  if (failure != NULL)
    end_stream (encoders, n_encoders, FALSE, failure_status, failure);
  else if (decoder != NULL && decoder->done)
    end_stream (encoders, n_encoders, TRUE, 0, NULL);
  else
    end_stream (encoders, n_encoders, FALSE, 502, "Upstream stream ended early");
}

void
sy_fuzz_run_hub_stream (SyStreamEncoder **encoders,
                        guint             n_encoders,
                        const uint8_t    *data,
                        size_t            size)
{
  g_autoptr(SySseParser) parser = sy_sse_parser_new (MAX_EVENT_BYTES);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_sse_event_free);
  g_autoptr(GPtrArray) chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GError) error = NULL;

  if (!sy_sse_parser_feed (parser, (const char *) data, size, events, &error))
    g_clear_error (&error);

  for (guint i = 0; i < events->len; i++)
    {
      SySseEvent *event = g_ptr_array_index (events, i);
      JsonObject *chunk;

      if (strcmp (event->data, "[DONE]") == 0)
        {
          end_stream (encoders, n_encoders, TRUE, 0, NULL);
          return;
        }

      chunk = sy_fuzz_parse_object ((const uint8_t *) event->data, strlen (event->data));
      if (chunk == NULL)
        {
          end_stream (encoders, n_encoders, FALSE, 502, "Upstream sent a malformed chunk");
          return;
        }
      g_ptr_array_add (chunks, chunk);
      encode_chunks (encoders, n_encoders, chunks);
      g_ptr_array_set_size (chunks, 0);
    }

  end_stream (encoders, n_encoders, FALSE, 502, "Upstream stream ended early");
}
