/* sy-budget-alerts.c — which budget thresholds a request reached, for the desktop's notifications.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-budget"

#include "config.h"

#include "sy-json.h"
#include "sy-planner.h"

static const int thresholds[] = { 50, 80, 100 };

void
sy_budget_alert_free (SyBudgetAlert *alert)
{
  if (alert == NULL)
    return;
  g_free (alert->scope);
  g_free (alert->period);
  g_free (alert->key);
  g_free (alert);
}

GPtrArray *
sy_budget_alerts (const char *route_json,
                  gint64      now_us,
                  GTimeZone  *tz)
{
  GPtrArray *alerts = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_budget_alert_free);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GTimeZone) local = tz != NULL ? g_time_zone_ref (tz) : g_time_zone_new_local ();
  g_autoptr(GDateTime) now = NULL;
  JsonArray *checks;

  if (route_json == NULL)
    return alerts;
  node = sy_json_parse (route_json, strlen (route_json), NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return alerts;
  checks = sy_json_get_array (json_node_get_object (node), "budget");
  now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);
  if (now != NULL)
    {
      GDateTime *zoned = g_date_time_to_timezone (now, local);
      g_date_time_unref (now);
      now = zoned;
    }

  for (guint i = 0; checks != NULL && now != NULL && i < json_array_get_length (checks); i++)
    {
      JsonObject *check = sy_json_array_get_object (checks, i);
      const char *scope = sy_json_get_string (check, "scope");
      const char *period = sy_json_get_string (check, "period");
      double cap = sy_json_get_double (check, "cap", -1);
      double after = sy_json_get_double (check, "spent", 0) + sy_json_get_double (check, "estimate", 0);
      gboolean refused = g_strcmp0 (sy_json_get_string (check, "result"), "over") == 0;
      g_autofree char *period_id = NULL;
      int reached = 0;

      if (scope == NULL || period == NULL || !(cap > 0))
        continue;
      /* The highest threshold reached: a request that jumps from 40 % to 90 %
       * warns once, at 80 %; a refused one has hit the cap. */
      for (guint t = 0; t < G_N_ELEMENTS (thresholds); t++)
        if (refused || after >= cap * thresholds[t] / 100.0)
          reached = thresholds[t];
      if (reached == 0)
        continue;

      period_id = g_date_time_format (now, g_str_equal (period, "monthly") ? "%Y-%m" : "%Y-%m-%d");
      {
        SyBudgetAlert *alert = g_new0 (SyBudgetAlert, 1);

        alert->scope = g_strdup (scope);
        alert->period = g_strdup (period);
        alert->threshold = reached;
        alert->percent = refused ? MAX (100.0, 100 * after / cap) : 100 * after / cap;
        alert->spent = sy_json_get_double (check, "spent", 0);
        alert->cap = cap;
        alert->key = g_strdup_printf ("%s|%s|%s|%d", scope, period, period_id, reached);
        g_ptr_array_add (alerts, alert);
      }
    }
  return alerts;
}
