/* sy-stats.c — placeholder until it lands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sy-planner.h"

SyStats  *
sy_stats_new (void)
{
  return NULL;
}

void
sy_stats_free (SyStats *stats)
{
}

void
sy_stats_set_health (SyStats *stats, guint failures, double window_s, double cooldown_s)
{
}

gboolean
sy_stats_seed (SyStats *stats, const char *db_path, GError **error)
{
  return FALSE;
}

void
sy_stats_record (SyStats *stats, const char *provider, const char *model, guint status, double ttft_ms, double tokens_per_s, gint64 now_us)
{
}

gboolean
sy_stats_get (SyStats *stats, const char *provider, const char *model, SyModelStats *out)
{
  return FALSE;
}

gboolean
sy_stats_is_cooling (SyStats *stats, const char *provider, const char *model, gint64 now_us, gint64 *until_us)
{
  return FALSE;
}
