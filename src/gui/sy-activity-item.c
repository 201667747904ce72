/* sy-activity-item.c — one live request in the Activity list.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-gui"

#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "sy-activity-item.h"

struct _SyActivityItem
{
  GObject          parent_instance;

  SyHistoryRecord *record;
  gboolean         finished;
  gboolean         placeholder;   /* a History row not read yet: every text empty */
  gboolean         with_date;     /* History spans days: the time shows its date */
  char            *texts[SY_ACTIVITY_N_TEXTS];   /* formatted when first asked for */
};

G_DEFINE_FINAL_TYPE (SyActivityItem, sy_activity_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TIME,
  PROP_CLIENT,
  PROP_REQUESTED_MODEL,
  PROP_ROUTE,
  PROP_STATUS,
  PROP_TOKENS,
  PROP_COST,
  PROP_TTFT,
  PROP_DURATION,
  PROP_FINISHED,
  PROP_FAILED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
format_time (gint64   us,
             gboolean with_date)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (us / G_USEC_PER_SEC);

  if (time == NULL)
    return g_strdup ("");
  return g_date_time_format (time, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S");
}

static char *
format_ms (double ms)
{
  if (ms < 0)
    return g_strdup ("—");
  if (ms < 1000)
    /* Translators: a duration in milliseconds */
    return g_strdup_printf (_("%.0f ms"), ms);
  /* Translators: a duration in seconds */
  return g_strdup_printf (_("%.2f s"), ms / 1000);
}

static char *
format_status (const SyActivityItem *self)
{
  const SyHistoryRecord *r = self->record;

  if (!self->finished)
    return g_strdup (r->stream ? _("Streaming") : _("Waiting"));
  if (r->status == 499)
    return g_strdup (_("499 client left"));
  return g_strdup_printf ("%d", r->status);
}

static char *
format_tokens (const SyHistoryRecord *r)
{
  if (r->prompt_tokens < 0 && r->completion_tokens < 0)
    return g_strdup ("—");
  /* Translators: prompt tokens → completion tokens */
  return g_strdup_printf (_("%" PRId64 " → %" PRId64),
                          (int64_t) MAX (r->prompt_tokens, 0), (int64_t) MAX (r->completion_tokens, 0));
}

static char *
format_cost (const SyActivityItem *self)
{
  const SyHistoryRecord *r = self->record;

  if (!self->finished)
    return g_strdup ("");
  if (!r->cost_known && r->prompt_tokens < 0 && r->completion_tokens < 0)
    return g_strdup ("—");
  if (!r->cost_known)
    /* Translators: the cost of a request whose price is unknown */
    return g_strdup (_("unknown"));
  if (r->cost == 0)
    return g_strdup ("$0");
  if (r->cost < 0.01)
    return g_strdup_printf ("$%.6f", r->cost);
  return g_strdup_printf ("$%.4f", r->cost);
}

static char *
format_route (const SyHistoryRecord *r)
{
  if (r->provider == NULL)
    return g_strdup ("");
  return g_strdup_printf ("%s/%s", r->provider, r->model != NULL ? r->model : "");
}

static void
sy_activity_item_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SyActivityItem *self = SY_ACTIVITY_ITEM (object);

  if (prop_id >= PROP_TIME && prop_id <= PROP_DURATION)
    {
      g_value_set_string (value, sy_activity_item_get_text (self, (SyActivityText) (prop_id - PROP_TIME)));
      return;
    }

  switch (prop_id)
    {
    case PROP_FINISHED:
      g_value_set_boolean (value, self->finished);
      break;
    case PROP_FAILED:
      g_value_set_boolean (value, sy_activity_item_get_failed (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
format_text (SyActivityItem *self,
             SyActivityText  text)
{
  const SyHistoryRecord *r = self->record;

  if (self->placeholder)
    return g_strdup ("");
  switch (text)
    {
    case SY_ACTIVITY_TIME:
      return format_time (r->started_at_us, self->with_date);
    case SY_ACTIVITY_CLIENT:
      return g_strdup (r->client != NULL ? r->client : "");
    case SY_ACTIVITY_REQUESTED_MODEL:
      return g_strdup (r->requested_model != NULL ? r->requested_model : "");
    case SY_ACTIVITY_ROUTE:
      return format_route (r);
    case SY_ACTIVITY_STATUS:
      return format_status (self);
    case SY_ACTIVITY_TOKENS:
      return format_tokens (r);
    case SY_ACTIVITY_COST:
      return format_cost (self);
    case SY_ACTIVITY_TTFT:
      return self->finished ? format_ms (r->ttft_ms) : g_strdup ("");
    case SY_ACTIVITY_DURATION:
      return self->finished ? format_ms (r->total_ms) : g_strdup ("");
    case SY_ACTIVITY_N_TEXTS:
    default:
      g_return_val_if_reached (g_strdup (""));
    }
}

const char *
sy_activity_item_get_text (SyActivityItem *self,
                           SyActivityText  text)
{
  g_return_val_if_fail (SY_IS_ACTIVITY_ITEM (self), "");
  g_return_val_if_fail (text < SY_ACTIVITY_N_TEXTS, "");

  if (self->texts[text] == NULL)
    self->texts[text] = format_text (self, text);
  return self->texts[text];
}

gboolean
sy_activity_item_get_failed (SyActivityItem *self)
{
  g_return_val_if_fail (SY_IS_ACTIVITY_ITEM (self), FALSE);
  return !self->placeholder && self->finished &&
         (self->record->status < 200 || self->record->status >= 300);
}

static void
forget_texts (SyActivityItem *self)
{
  for (guint i = 0; i < SY_ACTIVITY_N_TEXTS; i++)
    g_clear_pointer (&self->texts[i], g_free);
}

static void
sy_activity_item_finalize (GObject *object)
{
  SyActivityItem *self = SY_ACTIVITY_ITEM (object);

  g_clear_pointer (&self->record, sy_history_record_free);
  forget_texts (self);

  G_OBJECT_CLASS (sy_activity_item_parent_class)->finalize (object);
}

static void
sy_activity_item_class_init (SyActivityItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  static const char *names[] = {
    [PROP_TIME] = "time", [PROP_CLIENT] = "client", [PROP_REQUESTED_MODEL] = "requested-model",
    [PROP_ROUTE] = "route", [PROP_STATUS] = "status", [PROP_TOKENS] = "tokens",
    [PROP_COST] = "cost", [PROP_TTFT] = "ttft", [PROP_DURATION] = "duration",
  };

  object_class->get_property = sy_activity_item_get_property;
  object_class->finalize = sy_activity_item_finalize;

  for (guint i = PROP_TIME; i <= PROP_DURATION; i++)
    properties[i] = g_param_spec_string (names[i], NULL, NULL, NULL,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                         G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FINISHED] = g_param_spec_boolean ("finished", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                    G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FAILED] = g_param_spec_boolean ("failed", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                                  G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sy_activity_item_init (SyActivityItem *self)
{
}

SyActivityItem *
sy_activity_item_new (SyHistoryRecord *record)
{
  SyActivityItem *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (SY_TYPE_ACTIVITY_ITEM, NULL);
  self->record = record;
  self->finished = record->status != 0;
  return self;
}

void
sy_activity_item_update (SyActivityItem  *self,
                         SyHistoryRecord *record)
{
  g_return_if_fail (SY_IS_ACTIVITY_ITEM (self));
  g_return_if_fail (record != NULL);

  g_clear_pointer (&self->record, sy_history_record_free);
  self->record = record;
  self->finished = TRUE;
  self->placeholder = FALSE;
  forget_texts (self);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_TIME; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));
}

SyActivityItem *
sy_activity_item_new_placeholder (void)
{
  SyActivityItem *self = sy_activity_item_new (sy_history_record_new ());

  self->placeholder = TRUE;
  self->finished = TRUE;
  self->with_date = TRUE;
  return self;
}

gboolean
sy_activity_item_is_placeholder (SyActivityItem *self)
{
  g_return_val_if_fail (SY_IS_ACTIVITY_ITEM (self), FALSE);
  return self->placeholder;
}

const SyHistoryRecord *
sy_activity_item_get_record (SyActivityItem *self)
{
  g_return_val_if_fail (SY_IS_ACTIVITY_ITEM (self), NULL);
  return self->record;
}

gboolean
sy_activity_item_get_finished (SyActivityItem *self)
{
  g_return_val_if_fail (SY_IS_ACTIVITY_ITEM (self), FALSE);
  return self->finished;
}
