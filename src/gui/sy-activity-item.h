/* sy-activity-item.h — one live request in the Activity list.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "sy-history.h"

G_BEGIN_DECLS

#define SY_TYPE_ACTIVITY_ITEM (sy_activity_item_get_type ())
G_DECLARE_FINAL_TYPE (SyActivityItem, sy_activity_item, SY, ACTIVITY_ITEM, GObject)

/* Takes @record. */
SyActivityItem        *sy_activity_item_new        (SyHistoryRecord *record);
/* The request ended: takes @record and notifies every property. */
void                   sy_activity_item_update     (SyActivityItem  *self,
                                                    SyHistoryRecord *record);
/* The texts a row shows, one per column. */
typedef enum {
  SY_ACTIVITY_TIME,
  SY_ACTIVITY_CLIENT,
  SY_ACTIVITY_REQUESTED_MODEL,
  SY_ACTIVITY_ROUTE,
  SY_ACTIVITY_STATUS,
  SY_ACTIVITY_TOKENS,
  SY_ACTIVITY_COST,
  SY_ACTIVITY_TTFT,
  SY_ACTIVITY_DURATION,
  SY_ACTIVITY_N_TEXTS
} SyActivityText;

/* The text for @text, formatted once and kept until the item changes (a list
 * binds rows often: scrolling a long one rebinds hundreds a frame). */
const char            *sy_activity_item_get_text   (SyActivityItem  *self,
                                                    SyActivityText   text);
gboolean               sy_activity_item_get_failed (SyActivityItem  *self);

/* A History row before its page is read: finished, every text empty, the time
 * with its date; sy_activity_item_update () fills it. */
SyActivityItem        *sy_activity_item_new_placeholder (void);
gboolean               sy_activity_item_is_placeholder  (SyActivityItem *self);
const SyHistoryRecord *sy_activity_item_get_record (SyActivityItem  *self);
gboolean               sy_activity_item_get_finished (SyActivityItem *self);

G_END_DECLS
