/* sy-json.c — JSON helpers: depth-checked parsing, lookups and serialisation.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard"

#include <math.h>

#include "sy-json.h"

/* The message below spells the limit out. */
G_STATIC_ASSERT (SY_JSON_MAX_DEPTH == 512);

/* NULL when @data is safe to hand to json-glib, else what is wrong with it. */
static const char *
scan (const char *data,
      gsize       length,
      guint       max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        /* json-glib also takes 'single-quoted' strings and comments, which this
         * scan does not follow: a quote inside them would hide the brackets after
         * it. Neither is JSON, so refuse them instead. */
        case '\'':
        case '/':
          return "Invalid JSON: comments and single-quoted strings are not JSON";
        case '[':
        case '{':
          if (++depth > max_depth)
            return "JSON nests deeper than 512 levels";
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return NULL;
}

gboolean
sy_json_depth_ok (const char *data,
                  gsize       length,
                  guint       max_depth)
{
  return scan (data, length, max_depth) == NULL;
}

typedef struct {
  const char *p;
  const char *end;
  guint       depth;
} Validator;

static void
skip_space (Validator *v)
{
  while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
    v->p++;
}

static gboolean
literal (Validator  *v,
         const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (v->end - v->p) < n || memcmp (v->p, word, n) != 0)
    return FALSE;
  v->p += n;
  return TRUE;
}

static gboolean
digits (Validator *v)
{
  const char *start = v->p;

  while (v->p < v->end && g_ascii_isdigit (*v->p))
    v->p++;
  return v->p > start;
}

static gboolean
number (Validator *v)
{
  if (v->p < v->end && *v->p == '-')
    v->p++;
  if (v->p < v->end && *v->p == '0')
    v->p++;
  else if (!digits (v))
    return FALSE;
  if (v->p < v->end && *v->p == '.')
    {
      v->p++;
      if (!digits (v))
        return FALSE;
    }
  if (v->p < v->end && (*v->p == 'e' || *v->p == 'E'))
    {
      v->p++;
      if (v->p < v->end && (*v->p == '+' || *v->p == '-'))
        v->p++;
      if (!digits (v))
        return FALSE;
    }
  return TRUE;
}

/* The value of four hex digits at v->p (consumed), or -1. */
static int
hex4 (Validator *v)
{
  int value = 0;

  for (guint i = 0; i < 4; i++, v->p++)
    {
      if (v->p >= v->end || !g_ascii_isxdigit (*v->p))
        return -1;
      value = value * 16 + g_ascii_xdigit_value (*v->p);
    }
  return value;
}

static gboolean
string (Validator *v)
{
  v->p++;  /* the opening quote */
  while (v->p < v->end)
    {
      guchar c = (guchar) *v->p++;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        continue;
      if (v->p >= v->end)
        return FALSE;
      c = (guchar) *v->p++;
      if (c == 'u')
        {
          int unit = hex4 (v);

          /* Surrogates come in pairs, as json-glib (and UTF-8) require. */
          if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF))
            return FALSE;
          if (unit >= 0xD800 && unit <= 0xDBFF)
            {
              int low;

              if (v->end - v->p < 2 || v->p[0] != '\\' || v->p[1] != 'u')
                return FALSE;
              v->p += 2;
              low = hex4 (v);
              if (low < 0xDC00 || low > 0xDFFF)
                return FALSE;
            }
        }
      else if (strchr ("\"\\/bfnrt", c) == NULL || c == '\0')
        return FALSE;
    }
  return FALSE;
}

static gboolean value (Validator *v);

static gboolean
container (Validator *v,
           char       close,
           gboolean   keyed)
{
  if (++v->depth > SY_JSON_MAX_DEPTH)
    return FALSE;
  v->p++;  /* the opening bracket */
  skip_space (v);
  if (v->p < v->end && *v->p == close)
    {
      v->p++;
      v->depth--;
      return TRUE;
    }

  for (;;)
    {
      if (keyed)
        {
          if (v->p >= v->end || *v->p != '"' || !string (v))
            return FALSE;
          skip_space (v);
          if (v->p >= v->end || *v->p++ != ':')
            return FALSE;
        }
      if (!value (v))
        return FALSE;
      skip_space (v);
      if (v->p >= v->end)
        return FALSE;
      if (*v->p == close)
        {
          v->p++;
          v->depth--;
          return TRUE;
        }
      if (*v->p++ != ',')
        return FALSE;
      skip_space (v);
    }
}

static gboolean
value (Validator *v)
{
  skip_space (v);
  if (v->p >= v->end)
    return FALSE;

  switch (*v->p)
    {
    case '{':
      return container (v, '}', TRUE);
    case '[':
      return container (v, ']', FALSE);
    case '"':
      return string (v);
    case 't':
      return literal (v, "true");
    case 'f':
      return literal (v, "false");
    case 'n':
      return literal (v, "null");
    default:
      return number (v);
    }
}

gboolean
sy_json_validate (const char *data,
                  gsize       length)
{
  Validator v = { data, data + length, 0 };

  if (!g_utf8_validate (data, (gssize) length, NULL) || !value (&v))
    return FALSE;
  skip_space (&v);
  return v.p == v.end;
}

gboolean
sy_json_mentions (const char *data,
                  const char *name)
{
  g_autofree char *key = g_strdup_printf ("\"%s\"", name);
  gsize key_length = strlen (key);
  const char *at = data;

  while ((at = strstr (at, key)) != NULL)
    {
      at += key_length;
      while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')
        at++;
      if (*at != ':')
        continue;
      at++;
      while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')
        at++;
      if (strncmp (at, "null", 4) != 0)
        return TRUE;
    }
  return FALSE;
}

JsonNode *
sy_json_parse (const char  *data,
               gsize        length,
               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *problem = scan (data, length, SY_JSON_MAX_DEPTH);

  if (problem != NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE, problem);
      return NULL;
    }

  /* json-glib 1.6 takes the first of several values and leaks the rest, and is
   * lax in other ways: it only ever sees strict, single-valued JSON. */
  if (!g_utf8_validate (data, (gssize) length, NULL))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           "Invalid JSON: the text is not UTF-8");
      return NULL;
    }
  {
    Validator v = { data, data + length, 0 };
    gboolean one_value = value (&v);

    if (one_value)
      skip_space (&v);
    if (!one_value || v.p != v.end)
      {
        g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                     one_value ? "Invalid JSON: more than one value (at byte %" G_GSIZE_FORMAT ")"
                               : "Invalid JSON: unexpected input at byte %" G_GSIZE_FORMAT,
                     (gsize) (v.p - data));
        return NULL;
      }
  }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local_error))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                   "Invalid JSON: %s", local_error->message);
      return NULL;
    }

  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
                           "Invalid JSON: empty document");
      return NULL;
    }

  return json_parser_steal_root (parser);
}

char *
sy_json_to_string (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

char *
sy_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return sy_json_to_string (node);
}

JsonObject *
sy_json_object_deep_copy (JsonObject  *object,
                          GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) copy = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  text = sy_json_object_to_string (object);
  copy = sy_json_parse (text, strlen (text), error);
  if (copy == NULL)
    return NULL;
  return json_object_ref (json_node_get_object (copy));
}

static JsonNode *
member_of_type (JsonObject *object,
                const char *member,
                GType       value_type)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (value_type == G_TYPE_DOUBLE)
    {
      GType t = json_node_get_value_type (node);
      return (t == G_TYPE_DOUBLE || t == G_TYPE_INT64) ? node : NULL;
    }
  return json_node_get_value_type (node) == value_type ? node : NULL;
}

const char *
sy_json_get_string (JsonObject *object,
                    const char *member)
{
  JsonNode *node = member_of_type (object, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : NULL;
}

gint64
sy_json_get_int (JsonObject *object,
                 const char *member,
                 gint64      fallback)
{
  JsonNode *node = member_of_type (object, member, G_TYPE_DOUBLE);

  if (node == NULL)
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  {
    double value = json_node_get_double (node);

    /* 1e999 and friends: out of range for a cast, which would be undefined. */
    if (isnan (value))
      return fallback;
    if (value >= 9.2e18)
      return G_MAXINT64;
    if (value <= -9.2e18)
      return G_MININT64;
    return (gint64) value;
  }
}

double
sy_json_get_double (JsonObject *object,
                    const char *member,
                    double      fallback)
{
  JsonNode *node = member_of_type (object, member, G_TYPE_DOUBLE);

  return node != NULL ? json_node_get_double (node) : fallback;
}

gboolean
sy_json_get_bool (JsonObject *object,
                  const char *member,
                  gboolean    fallback)
{
  JsonNode *node = member_of_type (object, member, G_TYPE_BOOLEAN);

  return node != NULL ? json_node_get_boolean (node) : fallback;
}

JsonObject *
sy_json_get_object (JsonObject *object,
                    const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
sy_json_get_array (JsonObject *object,
                   const char *member)
{
  JsonNode *node;

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonNode *
sy_json_member (JsonObject *object,
                const char *name)
{
  return object != NULL ? json_object_get_member (object, name) : NULL;
}

JsonObject *
sy_json_array_get_object (JsonArray *array,
                          guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
sy_json_node_is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING;
}

gboolean
sy_json_node_is_number (JsonNode *node)
{
  GType type;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

gboolean
sy_json_node_is_bool (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN;
}

gboolean
sy_json_node_is_null (JsonNode *node)
{
  return node == NULL || JSON_NODE_HOLDS_NULL (node);
}

void
sy_json_copy_member (JsonObject *from,
                     const char *from_name,
                     JsonObject *to,
                     const char *to_name)
{
  JsonNode *value = sy_json_member (from, from_name);

  if (value != NULL)
    json_object_set_member (to, to_name, json_node_copy (value));
}
