/* sy-budget.c — placeholder until it lands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-planner.h"

SyBudget *
sy_budget_new (void)
{
  return NULL;
}

void
sy_budget_free (SyBudget *budget)
{
}

gboolean
sy_budget_seed (SyBudget *budget, const char *db_path, GError **error)
{
  return FALSE;
}

double
sy_budget_spent (SyBudget *budget, const char *profile, SyBudgetPeriod period, gint64 now_us)
{
  return 0;
}

guint64
sy_budget_reserve (SyBudget *budget, const char *profile, double estimate_usd, gint64 now_us)
{
  return 0;
}

void
sy_budget_settle (SyBudget *budget, guint64 ticket, double actual_usd, gint64 now_us)
{
}
