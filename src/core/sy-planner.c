/* sy-planner.c — placeholder until it lands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-planner.h"

SyRequestFacts *
sy_request_facts_new (JsonObject *hub, const char *client, const char *profile_header)
{
  return NULL;
}

void
sy_request_facts_free (SyRequestFacts *facts)
{
}

void
sy_plan_free (SyPlan *plan)
{
}

SyPlan   *
sy_planner_plan (SyConfig *config, SyStats *stats, SyBudget *budget, const SyRequestFacts *facts, gint64 now_us, gint64 mono_us)
{
  SyPlan *plan = g_new0 (SyPlan, 1);
  plan->entries = g_ptr_array_new ();
  return plan;
}
