/* sy-request-detail.h — what one request did: summary, route, request and
 * response bodies (Activity and History).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-activity-item.h"

G_BEGIN_DECLS

#define SY_TYPE_REQUEST_DETAIL (sy_request_detail_get_type ())
G_DECLARE_FINAL_TYPE (SyRequestDetail, sy_request_detail, SY, REQUEST_DETAIL, AdwBin)

GtkWidget *sy_request_detail_new  (void);

/* Shows @item (NULL: a hint to select a request); a request still running is
 * shown again when it ends. When @history_path is given, bodies the record does
 * not carry are read from that history on a worker thread. */
void       sy_request_detail_show (SyRequestDetail *self,
                                   SyActivityItem  *item,
                                   const char      *history_path);

G_END_DECLS
