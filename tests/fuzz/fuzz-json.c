/* fuzz-json.c — libFuzzer target for the JSON helpers: the byte scan, the strict
 * validator and the depth-checked parser must agree, and the tolerant lookups
 * must take any member of any type.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "fuzz-json"

#include "fuzz-util.h"

#include "sy-json.h"

static void
look_up_members (JsonObject *object)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      (void) sy_json_get_string (object, name);
      (void) sy_json_get_int (object, name, -1);
      (void) sy_json_get_double (object, name, -1.0);
      (void) sy_json_get_bool (object, name, FALSE);
      (void) sy_json_get_object (object, name);
      (void) sy_json_get_array (object, name);
    }
  (void) sy_json_get_string (object, "absent");
  (void) sy_json_get_object (object, "absent");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *terminated = NULL;
  gboolean depth_ok;
  gboolean valid;

  sy_fuzz_init ();

  depth_ok = sy_json_depth_ok (text, size, SY_JSON_MAX_DEPTH);
  valid = sy_json_validate (text, size);
  node = sy_json_parse (text, size, &error);

  /* Strict JSON within the depth limit is what the scan lets through and
   * json-glib accepts; json-glib accepting more is its business. */
  if (valid)
    {
      g_assert_true (depth_ok);
      g_assert_no_error (error);
      g_assert_nonnull (node);
    }
  if (node != NULL)
    g_assert_true (depth_ok);
  else
    g_assert_nonnull (error);

  if (size > 0)
    (void) sy_json_depth_ok (text, size, data[0] % 8);

  if (node != NULL)
    {
      g_autofree char *again = sy_json_to_string (node);

      g_assert_nonnull (again);
      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          look_up_members (json_node_get_object (node));
          (void) sy_json_mentions (again, "model");
        }
    }

  terminated = g_strndup (text, size);
  (void) sy_json_mentions (terminated, "stream");
  (void) sy_json_mentions (terminated, "");

  return 0;
}
