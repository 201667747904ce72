/* test-json.c — the JSON helpers: depth scan, strict validation, member sniffing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-json.h"

static const char * const valid[] = {
  "{}", "[]", "0", "-0", "1.5e10", "-12.5E-3", "true", "false", "null", "\"\"",
  " { \"a\" : [ 1 , 2 , { \"b\" : null } ] } \n",
  "\"escapes \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00\"",
  "\"nul \\u0000 inside\"",
  "\"caf\xc3\xa9 \xe2\x82\xac\"",
  "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w1\"},\"finish_reason\":null}],\"usage\":null}",
  "[[[[[[[[[[]]]]]]]]]]",
};

static const char * const invalid[] = {
  "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
  "{'a':1}", "['a']", "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "True",
  "\"unterminated", "\"bad escape \\x\"", "\"short \\u12\"", "\"tab\tinside\"",
  "\"bad utf8 \xc3\x28\"", "[1] [2]", "{} x", "/* c */ {}", "{} // c", "NaN", "Infinity",
  "{\"choices\":[{\"delta\":{",
  "\"lone low \\uDE00\"", "\"lone high \\uD83D x\"", "\"high then high \\uD83D\\uD83D\"",
};

static void
test_validate (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autofree char *shown = g_strescape (valid[i], NULL);
      g_test_message ("valid: %s", shown);
      g_assert_true (sy_json_validate (valid[i], strlen (valid[i])));
      /* json-glib agrees with every valid case. */
      g_autoptr(JsonNode) node = sy_json_parse (valid[i], strlen (valid[i]), NULL);
      g_assert_nonnull (node);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autofree char *shown = g_strescape (invalid[i], NULL);
      g_test_message ("invalid: %s", shown);
      g_assert_false (sy_json_validate (invalid[i], strlen (invalid[i])));
    }
  /* An embedded NUL ends nothing: the length given is what is checked. */
  g_assert_false (sy_json_validate ("{}\0{}", 5));
  g_assert_true (sy_json_validate ("{} junk", 2));
}

static void
test_depth (void)
{
  GString *deep = g_string_new (NULL);

  for (guint i = 0; i < SY_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < SY_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  g_assert_true (sy_json_validate (deep->str, deep->len));
  g_assert_true (sy_json_depth_ok (deep->str, deep->len, SY_JSON_MAX_DEPTH));

  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  g_assert_false (sy_json_validate (deep->str, deep->len));
  g_assert_false (sy_json_depth_ok (deep->str, deep->len, SY_JSON_MAX_DEPTH));
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = sy_json_parse (deep->str, deep->len, &error);
    g_assert_null (node);
    g_assert_nonnull (strstr (error->message, "deeper than 512"));
  }

  /* Brackets inside strings do not count; comments and single quotes, which
   * json-glib would read, are refused before it sees them. */
  g_assert_true (sy_json_depth_ok ("[\"[[[[\"]", 8, 1));
  g_assert_false (sy_json_depth_ok ("['\"', [[]], '\"']", 17, 512));
  g_assert_false (sy_json_depth_ok ("[/*\"*/ 1]", 9, 512));
  g_string_free (deep, TRUE);
}

static void
test_mentions (void)
{
  g_assert_false (sy_json_mentions ("{\"usage\":null,\"x\":1}", "usage"));
  g_assert_false (sy_json_mentions ("{\"usage\" : null}", "usage"));
  g_assert_true (sy_json_mentions ("{\"usage\":{\"prompt_tokens\":1}}", "usage"));
  g_assert_true (sy_json_mentions ("{\"usage\": {}}", "usage"));
  g_assert_true (sy_json_mentions ("{\"a\":null,\"error\":{\"message\":\"x\"}}", "error"));
  g_assert_false (sy_json_mentions ("{\"delta\":{\"content\":\"an error\"}}", "error"));
  g_assert_false (sy_json_mentions ("{\"usage\"}", "usage"));
}

/* Whatever the validator accepts, json-glib parses: mutations of valid chunks,
 * from a fixed seed so a failure can be replayed. */
static void
test_validate_agrees_with_json_glib (void)
{
  static const char alphabet[] = "{}[]\":,\\ -.0123456789eEtrufalsn\t\nu\x80\xc3\xa9";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261127);
  guint accepted = 0;

  for (guint round = 0; round < 100000; round++)
    {
      const char *seed = valid[g_rand_int_range (rand, 0, G_N_ELEMENTS (valid))];
      g_autoptr(GString) text = g_string_new (seed);
      guint edits = g_rand_int_range (rand, 1, 4);

      for (guint e = 0; e < edits; e++)
        {
          gsize at = text->len > 0 ? (gsize) g_rand_int_range (rand, 0, (gint32) text->len) : 0;
          char c = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:
              g_string_insert_c (text, (gssize) at, c);
              break;
            case 1:
              if (text->len > 0)
                g_string_erase (text, (gssize) at, 1);
              break;
            default:
              if (text->len > 0)
                text->str[at] = c;
              break;
            }
        }

      if (sy_json_validate (text->str, text->len))
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(JsonNode) node = sy_json_parse (text->str, text->len, &error);

          if (node == NULL)
            {
              g_autofree char *shown = g_strescape (text->str, NULL);
              g_test_message ("accepted but json-glib refuses: %s (%s)", shown, error->message);
            }
          g_assert_nonnull (node);
          accepted++;
        }
    }
  /* The mutations are not all fatal: the property was exercised. */
  g_assert_cmpuint (accepted, >, 5000);
}

/* One value and nothing after it: json-glib would take the first of several
 * (and leak the rest), so a request could smuggle a second object past us. */
static void
test_parse_one_value (void)
{
  static const char * const refused[] = {
    "{\"model\":\"x\"} {\"model\":\"evil\"}", "[] []]]", "{} x", "1 2", "\"a\"\"b\"",
  };
  g_autoptr(JsonNode) ok = sy_json_parse (" {\"a\": [1, 2]} \n", 16, NULL);

  g_assert_nonnull (ok);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = sy_json_parse (refused[i], strlen (refused[i]), &error);

      g_assert_null (node);
      g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE);
      g_assert_true (g_str_has_prefix (error->message, "Invalid JSON"));
    }
}

/* Numbers too large for an integer clamp instead of overflowing a cast. */
static void
test_get_int_range (void)
{
  const char *text = "{\"huge\": 1e999, \"tiny\": -1e300, \"big\": 9.5e18, \"plain\": 42.9}";
  g_autoptr(JsonNode) node = sy_json_parse (text, strlen (text), NULL);
  JsonObject *object = json_node_get_object (node);

  g_assert_cmpint (sy_json_get_int (object, "huge", 0), ==, G_MAXINT64);
  g_assert_cmpint (sy_json_get_int (object, "tiny", 0), ==, G_MININT64);
  g_assert_cmpint (sy_json_get_int (object, "big", 0), ==, G_MAXINT64);
  g_assert_cmpint (sy_json_get_int (object, "plain", 0), ==, 42);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/validate", test_validate);
  g_test_add_func ("/json/depth", test_depth);
  g_test_add_func ("/json/mentions", test_mentions);
  g_test_add_func ("/json/parse-one-value", test_parse_one_value);
  g_test_add_func ("/json/get-int-range", test_get_int_range);
  g_test_add_func ("/json/validate-agrees-with-json-glib", test_validate_agrees_with_json_glib);
  return g_test_run ();
}
