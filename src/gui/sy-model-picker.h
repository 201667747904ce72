/* sy-model-picker.h — a popover to choose a model or a profile, searchable, with prices.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"

G_BEGIN_DECLS

#define SY_TYPE_MODEL_PICKER (sy_model_picker_get_type ())
G_DECLARE_FINAL_TYPE (SyModelPicker, sy_model_picker, SY, MODEL_PICKER, GtkPopover)

/* Signal "chosen" (const char *model): a "provider/model" id or a profile name.
 * Profiles come first, then the models of the providers in config, then the
 * rest of the catalog; the list is built again when the config changed. */
GtkWidget *sy_model_picker_new (SyServices *services);

/* "GPT-4.1 mini" for a catalog model, the profile's name for a profile, else @model. */
char      *sy_model_picker_describe (SyServices *services,
                                     const char *model);

/* "$0.40 in, $1.60 out per million tokens", or "price unknown". */
char      *sy_model_picker_describe_price (SyConfig   *config,
                                           const char *model);

G_END_DECLS
