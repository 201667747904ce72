/* sy-json.h — JSON helpers: depth-checked parsing, lookups and serialisation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define SY_JSON_MAX_DEPTH 512

/* TRUE when no array/object nests deeper than @max_depth, and no byte outside a
 * double-quoted string is one json-glib would take as the start of a comment or
 * a single-quoted string (neither is JSON). Scans bytes without parsing:
 * json-glib 1.6 recurses without limit, so this runs first. */
gboolean    sy_json_depth_ok    (const char  *data,
                                 gsize        length,
                                 guint        max_depth);

/* TRUE when @data is exactly one strict RFC 8259 JSON value (surrounding
 * whitespace allowed), valid UTF-8, nested at most SY_JSON_MAX_DEPTH deep. Builds
 * nothing: for checking relayed stream chunks without parsing them. */
gboolean    sy_json_validate    (const char  *data,
                                 gsize        length);

/* TRUE when @data (a JSON object's text) has a member @name whose value is not
 * null (at any depth; a false positive only costs the caller a full parse). */
gboolean    sy_json_mentions    (const char  *data,
                                 const char  *name);

/* Parses @data after the depth check. Errors name the problem in one sentence. */
JsonNode   *sy_json_parse       (const char  *data,
                                 gsize        length,
                                 GError     **error);

char       *sy_json_to_string   (JsonNode    *node);
char       *sy_json_object_to_string (JsonObject *object);
/* A copy sharing nothing with @object (json_node_copy () shares the objects and
 * arrays inside): for a tree that another thread reads or that an editor keeps
 * changing. Made through the serialiser; NULL with @error when @object holds
 * what JSON cannot (a non-finite number). */
JsonObject *sy_json_object_deep_copy (JsonObject *object,
                                      GError    **error);

/* Lookups that tolerate missing members and wrong types. */
const char *sy_json_get_string  (JsonObject  *object,
                                 const char  *member);
gint64      sy_json_get_int     (JsonObject  *object,
                                 const char  *member,
                                 gint64       fallback);
double      sy_json_get_double  (JsonObject  *object,
                                 const char  *member,
                                 double       fallback);
gboolean    sy_json_get_bool    (JsonObject  *object,
                                 const char  *member,
                                 gboolean     fallback);
JsonObject *sy_json_get_object  (JsonObject  *object,
                                 const char  *member);
JsonArray  *sy_json_get_array   (JsonObject  *object,
                                 const char  *member);

/* @object's member @name, or NULL when @object is NULL or has no such member. */
JsonNode   *sy_json_member      (JsonObject  *object,
                                 const char  *name);
/* The element at @index when it is an object, else NULL. */
JsonObject *sy_json_array_get_object (JsonArray *array,
                                      guint      index);

/* Type tests that take NULL (a missing member) and answer FALSE, except
 * sy_json_node_is_null (), for which missing and JSON null are the same. */
gboolean    sy_json_node_is_string (JsonNode *node);
/* An integer or a double. */
gboolean    sy_json_node_is_number (JsonNode *node);
gboolean    sy_json_node_is_bool   (JsonNode *node);
gboolean    sy_json_node_is_null   (JsonNode *node);

/* Sets @to's @to_name to a copy of @from's @from_name, if @from has it (JSON null
 * included). */
void        sy_json_copy_member (JsonObject  *from,
                                 const char  *from_name,
                                 JsonObject  *to,
                                 const char  *to_name);

G_END_DECLS
