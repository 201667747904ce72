/* sy-application.h — the app: one window over the shared services, the endpoint's lifetime.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_APPLICATION (sy_application_get_type ())
G_DECLARE_FINAL_TYPE (SyApplication, sy_application, SY, APPLICATION, AdwApplication)

SyApplication *sy_application_new (SyServices *services);

G_END_DECLS
