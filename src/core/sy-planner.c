/* sy-planner.c — turns the facts of a request into an explained plan of attempts:
 * rules, aliases, profiles, filters, strategies and budgets.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-planner"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "sy-json.h"
#include "sy-planner.h"

#define MAX_NAME_HOPS            4
#define DEFAULT_EXPECTED_OUTPUT  500
#define DEFAULT_NOTIFY_AT        0.8

/* ------------------------------------------------------------ request facts */

static gboolean
is_image_part (const char *type)
{
  return g_strcmp0 (type, "image_url") == 0 || g_strcmp0 (type, "image") == 0 ||
         g_strcmp0 (type, "input_image") == 0;
}

static void
append_text (GString    *text,
             const char *piece)
{
  if (piece == NULL || *piece == '\0')
    return;
  if (text->len > 0)
    g_string_append_c (text, '\n');
  g_string_append (text, piece);
}

/* Every message's text counts, tool results included: a file a coding agent read
 * is exactly what a privacy fence must see. */
static void
scan_message (SyRequestFacts *facts,
              JsonObject     *message,
              GString        *text,
              gsize          *extra_bytes)
{
  JsonNode *content = sy_json_member (message, "content");
  JsonArray *tool_calls = sy_json_get_array (message, "tool_calls");

  if (sy_json_node_is_string (content))
    {
      append_text (text, json_node_get_string (content));
    }
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonObject *part = sy_json_array_get_object (parts, i);
          const char *type = sy_json_get_string (part, "type");

          if (is_image_part (type))
            facts->needs_images = TRUE;
          else
            append_text (text, sy_json_get_string (part, "text"));
        }
    }

  for (guint i = 0; tool_calls != NULL && i < json_array_get_length (tool_calls); i++)
    {
      JsonObject *function = sy_json_get_object (sy_json_array_get_object (tool_calls, i), "function");
      const char *arguments = sy_json_get_string (function, "arguments");

      if (arguments != NULL)
        *extra_bytes += strlen (arguments);
    }
}

SyRequestFacts *
sy_request_facts_new (JsonObject *hub,
                      const char *client,
                      const char *profile_header)
{
  SyRequestFacts *facts = g_new0 (SyRequestFacts, 1);
  g_autoptr(GString) text = NULL;
  JsonArray *messages;
  JsonArray *tools;
  const char *effort;
  gsize extra_bytes = 0;
  gint64 max_output;

  facts->client = g_strdup (client);
  facts->profile_header = g_strdup (profile_header);
  if (hub == NULL)
    {
      facts->prompt_text = g_strdup ("");
      return facts;
    }

  facts->requested = g_strdup (sy_json_get_string (hub, "model"));

  tools = sy_json_get_array (hub, "tools");
  facts->needs_tools = tools != NULL && json_array_get_length (tools) > 0;
  tools = sy_json_get_array (hub, "functions");
  facts->needs_tools |= tools != NULL && json_array_get_length (tools) > 0;

  facts->needs_json_schema =
    g_strcmp0 (sy_json_get_string (sy_json_get_object (hub, "response_format"), "type"),
               "json_schema") == 0;

  /* "none" (GPT-5.1) asks for no reasoning at all. */
  effort = sy_json_get_string (hub, "reasoning_effort");
  facts->needs_reasoning = effort != NULL && g_strcmp0 (effort, "none") != 0;

  max_output = sy_json_get_int (hub, "max_completion_tokens", 0);
  if (max_output <= 0)
    max_output = sy_json_get_int (hub, "max_tokens", 0);
  facts->max_output = MAX (max_output, 0);

  text = g_string_new (NULL);
  messages = sy_json_get_array (hub, "messages");
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonObject *message = sy_json_array_get_object (messages, i);

      if (message != NULL)
        scan_message (facts, message, text, &extra_bytes);
    }

  facts->prompt_tokens = (gint64) ((text->len + extra_bytes + 3) / 4);
  facts->prompt_text = g_string_free (g_steal_pointer (&text), FALSE);
  return facts;
}

void
sy_request_facts_free (SyRequestFacts *facts)
{
  if (facts == NULL)
    return;
  g_free (facts->requested);
  g_free (facts->client);
  g_free (facts->profile_header);
  g_free (facts->prompt_text);
  g_free (facts);
}

/* ------------------------------------------------------------------- plans */

static void
plan_entry_free (SyPlanEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->provider_id);
  g_free (entry->model);
  g_free (entry);
}

void
sy_plan_free (SyPlan *plan)
{
  if (plan == NULL)
    return;
  g_clear_pointer (&plan->entries, g_ptr_array_unref);
  g_clear_pointer (&plan->notices, g_ptr_array_unref);
  g_clear_pointer (&plan->explanation, json_object_unref);
  g_free (plan->profile);
  g_free (plan->error);
  g_free (plan->summary);
  g_free (plan);
}

static void
plan_add_entry (SyPlan     *plan,
                const char *provider_id,
                const char *model)
{
  SyPlanEntry *entry = g_new0 (SyPlanEntry, 1);

  entry->provider_id = g_strdup (provider_id);
  entry->model = g_strdup (model);
  g_ptr_array_add (plan->entries, entry);
}

/* ------------------------------------------------------------------ regexes */

/* Patterns come from config and repeat on every request: each is compiled once.
 * An invalid one is cached as NULL so it warns once and never matches. */
static GMutex regex_lock;
static GHashTable *regex_cache;

static void
regex_unref0 (gpointer regex)
{
  if (regex != NULL)
    g_regex_unref (regex);
}

static GRegex *
regex_lookup (const char *pattern)
{
  GRegex *regex = NULL;
  gpointer cached;

  g_mutex_lock (&regex_lock);
  if (regex_cache == NULL)
    regex_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, regex_unref0);

  if (g_hash_table_lookup_extended (regex_cache, pattern, NULL, &cached))
    {
      regex = cached;
    }
  else
    {
      g_autoptr(GError) error = NULL;

      regex = g_regex_new (pattern, G_REGEX_OPTIMIZE, 0, &error);
      if (regex == NULL)
        g_warning ("rules: invalid regular expression “%s”, the rule never matches: %s",
                   pattern, error->message);
      g_hash_table_insert (regex_cache, g_strdup (pattern), regex);
    }
  g_mutex_unlock (&regex_lock);

  /* Entries are never removed, so the pointer outlives the lock. */
  return regex;
}

static gboolean
regex_matches (const char *pattern,
               const char *subject)
{
  GRegex *regex;
  g_autofree char *valid = NULL;

  if (pattern == NULL || subject == NULL || (regex = regex_lookup (pattern)) == NULL)
    return FALSE;
  /* A User-Agent is bytes; GRegex wants UTF-8. */
  if (!g_utf8_validate (subject, -1, NULL))
    subject = valid = g_utf8_make_valid (subject, -1);
  return g_regex_match (regex, subject, 0, NULL);
}

/* ------------------------------------------------------------------ planner */

typedef struct {
  SyConfig             *config;
  SyCatalog            *catalog;
  JsonObject           *root;
  SyStats              *stats;
  SyBudget             *budget;
  const SyRequestFacts *facts;
  gint64                now_us;
  gint64                mono_us;

  GPtrArray            *providers;       /* SyProvider *, lazily */
  GHashTable           *providers_by_id; /* id → SyProvider *, borrowed */
  JsonObject           *builtin;         /* the synthetic profile of auto/fast/cheap */
  JsonObject           *prices;          /* config "prices", may be NULL */
  JsonObject           *explanation;
  JsonArray            *budget_log;
  const char           *alias;
  int                   rule;
} Planner;

typedef enum {
  TARGET_NONE,
  TARGET_PROFILE,
  TARGET_DIRECT,
  TARGET_BARE,
} TargetKind;

typedef struct {
  TargetKind  kind;
  JsonObject *profile;     /* TARGET_PROFILE */
  const char *name;        /* profile name, provider/model or bare model */
} Target;

typedef struct {
  char              *id;        /* "provider/model" */
  char              *provider;  /* NULL: nobody offers it */
  char              *model;
  const SyModelInfo *info;
  SyPrice            price;
  gboolean           priced;
  double             estimate;  /* USD, < 0 unknown */
  double             score;
  gboolean           scored;
  double             weight;
  guint              order;
  char              *removed;
  gboolean           cooling;
} Candidate;

static void
candidate_free (Candidate *candidate)
{
  g_free (candidate->id);
  g_free (candidate->provider);
  g_free (candidate->model);
  g_free (candidate->removed);
  g_free (candidate);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Candidate, candidate_free)

static const SyProvider *
planner_provider (Planner    *p,
                  const char *id)
{
  if (p->providers == NULL)
    {
      p->providers = sy_config_dup_providers (p->config);
      p->providers_by_id = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < p->providers->len; i++)
        {
          SyProvider *provider = g_ptr_array_index (p->providers, i);
          g_hash_table_insert (p->providers_by_id, provider->id, provider);
        }
    }
  return id != NULL ? g_hash_table_lookup (p->providers_by_id, id) : NULL;
}

static JsonObject *
find_profile (Planner    *p,
              const char *name)
{
  JsonArray *profiles = sy_json_get_array (p->root, "profiles");

  for (guint i = 0; name != NULL && profiles != NULL && i < json_array_get_length (profiles); i++)
    {
      JsonObject *profile = sy_json_array_get_object (profiles, i);

      if (g_strcmp0 (sy_json_get_string (profile, "name"), name) == 0)
        return profile;
    }
  return NULL;
}

static JsonObject *
builtin_profile (Planner    *p,
                 const char *name,
                 const char *strategy)
{
  g_clear_pointer (&p->builtin, json_object_unref);
  p->builtin = json_object_new ();
  json_object_set_string_member (p->builtin, "name", name);
  json_object_set_string_member (p->builtin, "strategy", strategy);
  return p->builtin;
}

/* A provider/model whose provider is known; model ids with slashes of their own
 * ("meta-llama/Llama-3.3-70B-Instruct-Turbo") name no provider. */
static gboolean
split_direct (Planner     *p,
              const char  *name,
              char       **provider_out,
              const char **model_out)
{
  const char *slash = strchr (name, '/');
  g_autofree char *provider_id = NULL;

  if (slash == NULL || slash[1] == '\0')
    return FALSE;
  provider_id = g_strndup (name, (gsize) (slash - name));
  if (planner_provider (p, provider_id) == NULL)
    return FALSE;
  *provider_out = g_steal_pointer (&provider_id);
  *model_out = slash + 1;
  return TRUE;
}

/* User aliases, then profiles, then the built-in aliases (a profile called
 * "fast" is the user's own), then provider/model, then bare names. */
static gboolean
resolve_name (Planner    *p,
              const char *name,
              guint       hops,
              Target     *target)
{
  const char *aliased;
  g_autofree char *provider_id = NULL;
  const char *model = NULL;

  if (name == NULL || *name == '\0' || hops > MAX_NAME_HOPS)
    return FALSE;

  aliased = sy_json_get_string (sy_json_get_object (p->root, "aliases"), name);
  if (aliased != NULL)
    {
      if (p->alias == NULL)
        p->alias = name;
      return resolve_name (p, aliased, hops + 1, target);
    }

  target->name = name;
  if ((target->profile = find_profile (p, name)) != NULL)
    {
      target->kind = TARGET_PROFILE;
      return TRUE;
    }

  if (g_str_equal (name, "auto") || g_str_equal (name, "fast") || g_str_equal (name, "cheap"))
    {
      const char *fallback = sy_config_get_default_profile (p->config);

      if (p->alias == NULL)
        p->alias = name;
      if (g_str_equal (name, "auto") && fallback != NULL && !g_str_equal (fallback, "auto"))
        return resolve_name (p, fallback, hops + 1, target);
      target->kind = TARGET_PROFILE;
      target->profile = builtin_profile (p, name, g_str_equal (name, "fast") ? "fastest" : "cheapest");
      return TRUE;
    }

  if (split_direct (p, name, &provider_id, &model))
    {
      target->kind = TARGET_DIRECT;
      return TRUE;
    }

  {
    g_autoptr(GPtrArray) found = sy_catalog_find_bare (p->catalog, name);
    if (found->len > 0)
      {
        target->kind = TARGET_BARE;
        return TRUE;
      }
  }

  target->kind = TARGET_NONE;
  return FALSE;
}

static gboolean
rule_matches (Planner    *p,
              JsonObject *when)
{
  const SyRequestFacts *facts = p->facts;
  JsonNode *node;

  if (when == NULL)
    return TRUE;

  if ((node = sy_json_member (when, "header")) != NULL &&
      (!sy_json_node_is_string (node) ||
       g_strcmp0 (json_node_get_string (node), facts->profile_header) != 0))
    return FALSE;
  if ((node = sy_json_member (when, "client")) != NULL &&
      (!sy_json_node_is_string (node) || !regex_matches (json_node_get_string (node), facts->client)))
    return FALSE;
  if ((node = sy_json_member (when, "tools")) != NULL &&
      (!sy_json_node_is_bool (node) || json_node_get_boolean (node) != !!facts->needs_tools))
    return FALSE;
  if ((node = sy_json_member (when, "images")) != NULL &&
      (!sy_json_node_is_bool (node) || json_node_get_boolean (node) != !!facts->needs_images))
    return FALSE;
  if ((node = sy_json_member (when, "prompt_tokens_over")) != NULL &&
      (!sy_json_node_is_number (node) ||
       (double) facts->prompt_tokens <= sy_json_get_double (when, "prompt_tokens_over", 0)))
    return FALSE;
  if ((node = sy_json_member (when, "prompt_matches")) != NULL &&
      (!sy_json_node_is_string (node) ||
       !regex_matches (json_node_get_string (node), facts->prompt_text)))
    return FALSE;

  return TRUE;
}

static const char *
match_rules (Planner *p)
{
  JsonArray *rules = sy_json_get_array (p->root, "rules");

  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    {
      JsonObject *rule = sy_json_array_get_object (rules, i);
      const char *profile = sy_json_get_string (rule, "profile");

      if (profile != NULL && rule_matches (p, sy_json_get_object (rule, "when")))
        {
          p->rule = (int) i;
          return profile;
        }
    }
  return NULL;
}

/* ------------------------------------------------------------- candidates */

static double
estimate_cost (Planner       *p,
               const SyPrice *price,
               gint64         expected_output)
{
  SyUsage usage = { 0 };
  SyCost cost;

  usage.prompt_tokens = p->facts->prompt_tokens;
  usage.completion_tokens = p->facts->max_output > 0 ? p->facts->max_output : expected_output;
  if (!sy_cost_compute (price, &usage, &cost))
    return -1;
  return cost.total;
}

/* sy_config_get_price () without formatting the id and looking the model up
 * again: this runs for every candidate of every request. */
static gboolean
candidate_price (Planner   *p,
                 Candidate *candidate)
{
  const SyProviderPreset *preset;

  if (p->prices != NULL && json_object_has_member (p->prices, candidate->id))
    return sy_config_get_price (p->config, candidate->provider, candidate->model, &candidate->price);

  preset = sy_catalog_get_preset (p->catalog, candidate->provider);
  if (candidate->info != NULL && (preset == NULL || !preset->local))
    {
      candidate->price = candidate->info->price;
      return sy_price_is_known (&candidate->price);
    }
  return sy_catalog_get_price (p->catalog, candidate->provider, candidate->model, &candidate->price);
}

static Candidate *
candidate_new (Planner           *p,
               const char        *provider_id,
               const char        *model,
               const SyModelInfo *info,
               gint64             expected_output)
{
  Candidate *candidate = g_new0 (Candidate, 1);

  candidate->id = g_strconcat (provider_id, "/", model, NULL);
  candidate->provider = g_strdup (provider_id);
  candidate->model = g_strdup (model);
  candidate->info = info != NULL ? info : sy_catalog_lookup (p->catalog, provider_id, model);
  candidate->priced = candidate_price (p, candidate);
  candidate->estimate = candidate->priced ? estimate_cost (p, &candidate->price, expected_output) : -1;
  candidate->weight = 1;
  return candidate;
}

static void
add_candidate (GPtrArray  *candidates,
               GHashTable *seen,
               Candidate  *candidate)
{
  /* @seen NULL: the catalog's own ids, unique already. */
  if (seen != NULL && !g_hash_table_add (seen, candidate->id))
    {
      candidate_free (candidate);
      return;
    }
  candidate->order = candidates->len;
  g_ptr_array_add (candidates, candidate);
}

static void
expand_entry (Planner    *p,
              const char *entry,
              gint64      expected_output,
              GPtrArray  *candidates,
              GHashTable *seen)
{
  g_autofree char *provider_id = NULL;
  g_autoptr(GPtrArray) found = NULL;
  const char *model = NULL;

  if (split_direct (p, entry, &provider_id, &model))
    {
      add_candidate (candidates, seen, candidate_new (p, provider_id, model, NULL, expected_output));
      return;
    }

  found = sy_catalog_find_bare (p->catalog, entry);
  for (guint i = 0; i < found->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (found, i);
      add_candidate (candidates, seen, candidate_new (p, info->provider, info->model, info, expected_output));
    }

  if (found->len == 0)
    {
      Candidate *unknown = g_new0 (Candidate, 1);

      unknown->id = g_strdup (entry);
      unknown->estimate = -1;
      unknown->removed = g_strdup ("no provider offers this model");
      add_candidate (candidates, seen, unknown);
    }
}

static GPtrArray *
gather_candidates (Planner    *p,
                   JsonObject *profile,
                   gint64      expected_output)
{
  GPtrArray *candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *models = sy_json_get_array (profile, "models");

  if (models != NULL)
    {
      for (guint i = 0; i < json_array_get_length (models); i++)
        {
          JsonNode *entry = json_array_get_element (models, i);

          if (sy_json_node_is_string (entry))
            expand_entry (p, json_node_get_string (entry), expected_output, candidates, seen);
        }
    }
  else
    {
      GPtrArray *all = sy_catalog_get_models (p->catalog);

      for (guint i = 0; i < all->len; i++)
        {
          const SyModelInfo *info = g_ptr_array_index (all, i);

          if (planner_provider (p, info->provider) != NULL)
            add_candidate (candidates, NULL, candidate_new (p, info->provider, info->model, info,
                                                            expected_output));
        }
    }

  return candidates;
}

static gboolean
string_listed (JsonArray  *list,
               const char *value)
{
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);

      if (sy_json_node_is_string (node) && g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }
  return FALSE;
}

/* A profile's filters, read once per plan rather than once per candidate. */
typedef struct {
  JsonArray      *allow;
  JsonArray      *deny;
  gboolean        local_only;
  double          max_price;
  SyCapabilities  needed;
  gint64          needed_tokens;
} Filters;

static void
filters_init (Filters        *filters,
              Planner        *p,
              JsonObject     *profile)
{
  filters->allow = sy_json_get_array (profile, "providers");
  filters->deny = sy_json_get_array (profile, "deny_providers");
  filters->local_only = sy_json_get_bool (profile, "local_only", FALSE);
  filters->max_price = sy_json_get_double (profile, "max_price", -1);
  filters->needed = 0;
  if (p->facts->needs_tools)
    filters->needed |= SY_CAP_TOOLS;
  if (p->facts->needs_images)
    filters->needed |= SY_CAP_VISION;
  if (p->facts->needs_json_schema)
    filters->needed |= SY_CAP_JSON_SCHEMA;
  if (p->facts->needs_reasoning)
    filters->needed |= SY_CAP_REASONING;
  filters->needed_tokens = p->facts->prompt_tokens + p->facts->max_output;
}

static char *
missing_capabilities (SyCapabilities     needed,
                      const SyModelInfo *info)
{
  static const struct { SyCapabilities cap; const char *name; } caps[] = {
    { SY_CAP_TOOLS, "tools" },
    { SY_CAP_VISION, "images" },
    { SY_CAP_JSON_SCHEMA, "json_schema" },
    { SY_CAP_REASONING, "reasoning" },
  };
  GString *missing = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (caps); i++)
    {
      if (!(needed & caps[i].cap) || (info->caps & caps[i].cap))
        continue;
      if (missing == NULL)
        missing = g_string_new ("does not support ");
      else
        g_string_append (missing, ", ");
      g_string_append (missing, caps[i].name);
    }
  return missing != NULL ? g_string_free (missing, FALSE) : NULL;
}

/* The first filter that rejects @candidate, as a reason; NULL when it passes. */
static char *
filter_reason (Planner       *p,
               const Filters *filters,
               Candidate     *candidate)
{
  char *missing;

  if (filters->allow != NULL && !string_listed (filters->allow, candidate->provider))
    return g_strdup ("provider not in the profile's \"providers\"");
  if (filters->deny != NULL && string_listed (filters->deny, candidate->provider))
    return g_strdup ("provider in the profile's \"deny_providers\"");
  if (filters->local_only)
    {
      const SyProvider *provider = planner_provider (p, candidate->provider);

      if (provider == NULL || !provider->local)
        return g_strdup ("not a local provider (local_only)");
    }

  /* Models the catalog does not know may well be able to: let them try. */
  if (candidate->info != NULL)
    {
      if ((candidate->info->caps & filters->needed) != filters->needed &&
          (missing = missing_capabilities (filters->needed, candidate->info)) != NULL)
        return missing;
      if (candidate->info->context_window > 0 &&
          candidate->info->context_window < filters->needed_tokens)
        return g_strdup_printf ("context window %" G_GINT64_FORMAT " < %" G_GINT64_FORMAT
                                " tokens (prompt estimate + max output)",
                                candidate->info->context_window, filters->needed_tokens);
    }

  if (filters->max_price >= 0)
    {
      double mean;

      if (!candidate->priced)
        return g_strdup_printf ("price unknown (max_price %.2f)", filters->max_price);
      mean = (candidate->price.input + candidate->price.output) / 2;
      if (mean > filters->max_price)
        return g_strdup_printf ("price %.2f per million tokens over max_price %.2f",
                                mean, filters->max_price);
    }

  return NULL;
}

static void
apply_health (Planner   *p,
              GPtrArray *candidates)
{
  guint healthy = 0, cooling = 0;

  if (p->stats == NULL)
    return;

  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);
      gint64 until = 0;

      if (candidate->removed != NULL)
        continue;
      if (sy_stats_is_cooling (p->stats, candidate->provider, candidate->model, p->mono_us, &until))
        {
          g_autoptr(GDateTime) when = NULL;
          g_autofree char *clock = NULL;
          gint64 left_s = MAX (until - p->mono_us, 0) / G_USEC_PER_SEC;

          when = g_date_time_new_from_unix_local ((p->now_us + (until - p->mono_us)) / G_USEC_PER_SEC);
          clock = when != NULL ? g_date_time_format (when, "%H:%M:%S") : g_strdup ("?");
          candidate->cooling = TRUE;
          candidate->removed = g_strdup_printf ("cooling down until %s (%" G_GINT64_FORMAT " s)",
                                                clock, left_s);
          cooling++;
        }
      else
        {
          healthy++;
        }
    }

  /* A probe is better than refusing: with nothing healthy left, try the cooling
   * ones in order. */
  if (healthy == 0 && cooling > 0)
    {
      for (guint i = 0; i < candidates->len; i++)
        {
          Candidate *candidate = g_ptr_array_index (candidates, i);
          if (candidate->cooling)
            g_clear_pointer (&candidate->removed, g_free);
        }
      json_object_set_string_member (p->explanation, "health",
                                     "every candidate is cooling down: trying them anyway");
    }
}

/* ------------------------------------------------------------- strategies */

static int
compare_scored (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  const Candidate *x = *(const Candidate * const *) a;
  const Candidate *y = *(const Candidate * const *) b;
  gboolean descending = GPOINTER_TO_INT (user_data);

  if (x->scored != y->scored)
    return x->scored ? -1 : 1;
  if (x->scored && x->score != y->score)
    return ((x->score < y->score) != descending) ? -1 : 1;
  return x->order < y->order ? -1 : (x->order > y->order);
}

static void
score_fastest (Planner    *p,
               JsonObject *profile,
               GPtrArray  *kept,
               gboolean   *descending)
{
  gboolean by_tps = g_strcmp0 (sy_json_get_string (profile, "fastest_by"), "tokens_per_s") == 0;

  *descending = by_tps;
  for (guint i = 0; p->stats != NULL && i < kept->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);
      SyModelStats stats;
      double value;

      if (!sy_stats_get (p->stats, candidate->provider, candidate->model, &stats))
        continue;
      if (by_tps)
        value = stats.tps_p50 >= 0 ? stats.tps_p50 : stats.tps_ewma;
      else
        value = stats.ttft_p50_ms >= 0 ? stats.ttft_p50_ms : stats.ttft_ewma_ms;
      if (value >= 0 && isfinite (value))
        {
          candidate->score = value;
          candidate->scored = TRUE;
        }
    }
}

/* "best" ranks by the user's ratings from Compare; until history holds ratings,
 * the catalog's own order (flagships first per provider) stands in for them. */
static void
score_best (Planner   *p,
            GPtrArray *kept)
{
  GPtrArray *all = sy_catalog_get_models (p->catalog);
  g_autoptr(GHashTable) rank = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < all->len; i++)
    g_hash_table_insert (rank, g_ptr_array_index (all, i), GUINT_TO_POINTER (i + 1));

  for (guint i = 0; i < kept->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);
      guint position = GPOINTER_TO_UINT (g_hash_table_lookup (rank, candidate->info));

      if (candidate->info != NULL && position > 0)
        {
          candidate->score = position - 1;
          candidate->scored = TRUE;
        }
    }
}

/* Weighted random first pick; the others follow in listed order as fallbacks. */
static void
order_balance (Planner    *p,
               JsonObject *profile,
               GPtrArray  *kept)
{
  JsonObject *weights = sy_json_get_object (profile, "weights");
  double total = 0, pick, sum = 0;
  guint chosen = 0;

  for (guint i = 0; i < kept->len;)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);
      double weight = sy_json_get_double (weights, candidate->id, 1);

      candidate->weight = isfinite (weight) ? weight : 0;
      candidate->score = candidate->weight;
      candidate->scored = TRUE;
      if (candidate->weight <= 0)
        {
          candidate->removed = g_strdup ("weight 0");
          g_ptr_array_remove_index (kept, i);
          continue;
        }
      total += candidate->weight;
      i++;
    }

  if (kept->len < 2)
    return;

  pick = g_random_double_range (0, total);
  for (guint i = 0; i < kept->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);

      sum += candidate->weight;
      chosen = i;
      if (pick < sum)
        break;
    }

  if (chosen > 0)
    {
      gpointer first = g_ptr_array_steal_index (kept, chosen);
      g_ptr_array_insert (kept, 0, first);
    }
}

static const char *
order_candidates (Planner    *p,
                  JsonObject *profile,
                  GPtrArray  *kept)
{
  const char *strategy = sy_json_get_string (profile, "strategy");
  gboolean descending = FALSE;

  if (g_strcmp0 (strategy, "cheapest") == 0)
    {
      for (guint i = 0; i < kept->len; i++)
        {
          Candidate *candidate = g_ptr_array_index (kept, i);

          candidate->scored = candidate->estimate >= 0;
          candidate->score = candidate->estimate;
        }
    }
  else if (g_strcmp0 (strategy, "fastest") == 0)
    {
      score_fastest (p, profile, kept, &descending);
    }
  else if (g_strcmp0 (strategy, "best") == 0)
    {
      score_best (p, kept);
    }
  else if (g_strcmp0 (strategy, "balance") == 0)
    {
      order_balance (p, profile, kept);
      return "balance";
    }
  else
    {
      for (guint i = 0; i < kept->len; i++)
        {
          Candidate *candidate = g_ptr_array_index (kept, i);

          candidate->score = i;
          candidate->scored = TRUE;
        }
      return "fallback";
    }

  g_ptr_array_sort_with_data (kept, compare_scored, GINT_TO_POINTER (descending));
  return strategy;
}

/* ------------------------------------------------------------ explanation */

static JsonObject *
explain_candidate (const Candidate *candidate)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "model", candidate->id);
  if (candidate->scored)
    json_object_set_double_member (object, "score", candidate->score);
  else
    json_object_set_null_member (object, "score");
  if (candidate->removed != NULL)
    json_object_set_string_member (object, "removed", candidate->removed);
  return object;
}

/* ----------------------------------------------------------------- budgets */

typedef struct {
  JsonObject *config;   /* the "budget" object */
  const char *profile;  /* NULL: overall */
} BudgetScope;

static char *
budget_notice (const char     *profile,
               SyBudgetPeriod  period,
               double          percent,
               double          cap)
{
  int shown = (int) floor (percent);

  if (profile != NULL)
    return period == SY_BUDGET_DAY
      ? g_strdup_printf (_("profile %s: %d %% of its daily budget of $%.2f"), profile, shown, cap)
      : g_strdup_printf (_("profile %s: %d %% of its monthly budget of $%.2f"), profile, shown, cap);
  return period == SY_BUDGET_DAY
    ? g_strdup_printf (_("overall: %d %% of the daily budget of $%.2f"), shown, cap)
    : g_strdup_printf (_("overall: %d %% of the monthly budget of $%.2f"), shown, cap);
}

static char *
budget_refusal (const char     *profile,
                SyBudgetPeriod  period,
                double          spent,
                double          cap)
{
  if (profile != NULL)
    return period == SY_BUDGET_DAY
      ? g_strdup_printf (_("Budget exceeded: profile %s has spent $%.2f of its daily budget of $%.2f"),
                         profile, spent, cap)
      : g_strdup_printf (_("Budget exceeded: profile %s has spent $%.2f of its monthly budget of $%.2f"),
                         profile, spent, cap);
  return period == SY_BUDGET_DAY
    ? g_strdup_printf (_("Budget exceeded: $%.2f spent of the overall daily budget of $%.2f"), spent, cap)
    : g_strdup_printf (_("Budget exceeded: $%.2f spent of the overall monthly budget of $%.2f"), spent, cap);
}

static void
add_notice (SyPlan *plan,
            char   *notice)
{
  for (guint i = 0; i < plan->notices->len; i++)
    if (g_str_equal (g_ptr_array_index (plan->notices, i), notice))
      {
        g_free (notice);
        return;
      }
  g_ptr_array_add (plan->notices, notice);
}

/* FALSE and the refusal in @over_message when this request would pass a cap.
 * A cap counts as passed when what was spent plus this estimate exceeds it, so
 * parallel requests overshoot by at most their own estimates. */
static gboolean
budget_allows (Planner            *p,
               SyPlan             *plan,
               const BudgetScope  *scope,
               double              estimate,
               char              **over_message)
{
  static const struct { SyBudgetPeriod period; const char *member; } periods[] = {
    { SY_BUDGET_DAY, "daily" },
    { SY_BUDGET_MONTH, "monthly" },
  };
  double notify_at = sy_json_get_double (scope->config, "notify_at", DEFAULT_NOTIFY_AT);

  if (!(notify_at > 0 && notify_at <= 1))
    notify_at = DEFAULT_NOTIFY_AT;

  for (guint i = 0; i < G_N_ELEMENTS (periods); i++)
    {
      double cap = sy_json_get_double (scope->config, periods[i].member, -1);
      double spent, after;
      JsonObject *log;

      if (!(cap >= 0) || !isfinite (cap))
        continue;

      spent = sy_budget_spent (p->budget, scope->profile, periods[i].period, p->now_us);
      after = spent + estimate;

      log = json_object_new ();
      json_object_set_string_member (log, "scope", scope->profile != NULL ? scope->profile : "overall");
      json_object_set_string_member (log, "period", periods[i].member);
      json_object_set_double_member (log, "cap", cap);
      json_object_set_double_member (log, "spent", spent);
      json_object_set_double_member (log, "estimate", estimate);
      json_array_add_object_element (p->budget_log, log);

      if (after > cap)
        {
          json_object_set_string_member (log, "result", "over");
          *over_message = budget_refusal (scope->profile, periods[i].period, spent, cap);
          return FALSE;
        }
      if (cap > 0 && after >= notify_at * cap)
        {
          json_object_set_string_member (log, "result", "notice");
          add_notice (plan, budget_notice (scope->profile, periods[i].period, 100 * after / cap, cap));
        }
      else
        {
          json_object_set_string_member (log, "result", "ok");
        }
    }
  return TRUE;
}

/* --------------------------------------------------------------- planning */

static void
refuse (SyPlan     *plan,
        guint       status,
        const char *message)
{
  g_ptr_array_set_size (plan->entries, 0);
  plan->status = status;
  g_free (plan->error);
  plan->error = g_strdup (message);
}

static void
refuse_unknown (SyPlan     *plan,
                const char *name)
{
  g_autofree char *message =
    g_strdup_printf (_("Unknown model '%s': use provider/model (for example openai/gpt-4.1-mini), "
                       "a profile name, or a model name from the catalog; GET /v1/models lists them"),
                     name != NULL ? name : "");
  refuse (plan, 404, message);
}

/* Fills @plan from a profile; FALSE (a 404) when no candidate survives. */
static gboolean
plan_profile (Planner    *p,
              SyPlan     *plan,
              JsonObject *profile,
              const char *name)
{
  gint64 expected = sy_json_get_int (profile, "expected_output", DEFAULT_EXPECTED_OUTPUT);
  g_autoptr(GPtrArray) candidates = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  JsonArray *explained = json_array_new ();
  const char *strategy;
  Filters filters;
  guint removed = 0;

  candidates = gather_candidates (p, profile, expected > 0 ? expected : DEFAULT_EXPECTED_OUTPUT);
  filters_init (&filters, p, profile);
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);

      if (candidate->removed == NULL)
        candidate->removed = filter_reason (p, &filters, candidate);
    }
  apply_health (p, candidates);

  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);
      if (candidate->removed == NULL)
        g_ptr_array_add (kept, candidate);
    }
  strategy = order_candidates (p, profile, kept);

  g_free (plan->profile);
  plan->profile = g_strdup (name);
  plan->rescue = sy_json_get_bool (profile, "rescue", FALSE);
  g_ptr_array_set_size (plan->entries, 0);
  for (guint i = 0; i < kept->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);

      plan_add_entry (plan, candidate->provider, candidate->model);
      json_array_add_object_element (explained, explain_candidate (candidate));
    }
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);

      if (candidate->removed != NULL)
        {
          json_array_add_object_element (explained, explain_candidate (candidate));
          removed++;
        }
    }

  json_object_set_string_member (p->explanation, "profile", name);
  json_object_set_string_member (p->explanation, "strategy", strategy);
  json_object_set_array_member (p->explanation, "candidates", explained);
  json_object_set_int_member (p->explanation, "removed", removed);

  if (kept->len == 0)
    {
      g_autofree char *message = NULL;

      json_object_set_null_member (p->explanation, "winner");
      /* OpenRouter answers 404 "No endpoints found that support …" here too. */
      message = g_strdup_printf (_("No model of profile '%s' can take this request: %u candidates "
                                   "were removed (tools, images, context size, price or provider "
                                   "filters); see the route explanation"),
                                 name, removed);
      refuse (plan, 404, message);
      return FALSE;
    }

  {
    Candidate *winner = g_ptr_array_index (kept, 0);

    json_object_set_string_member (p->explanation, "winner", winner->id);
    plan->estimate_usd = winner->estimate;
  }
  return TRUE;
}

static void
plan_single (Planner    *p,
             SyPlan     *plan,
             GPtrArray  *infos,
             const char *provider_id,
             const char *model)
{
  JsonArray *explained = json_array_new ();
  g_autoptr(Candidate) first = NULL;

  if (infos != NULL)
    {
      for (guint i = 0; i < infos->len; i++)
        {
          const SyModelInfo *info = g_ptr_array_index (infos, i);
          g_autoptr(Candidate) candidate = candidate_new (p, info->provider, info->model, info,
                                                          DEFAULT_EXPECTED_OUTPUT);

          plan_add_entry (plan, info->provider, info->model);
          json_array_add_object_element (explained, explain_candidate (candidate));
          if (first == NULL)
            first = g_steal_pointer (&candidate);
        }
      json_object_set_string_member (p->explanation, "strategy", "fallback");
    }
  else
    {
      first = candidate_new (p, provider_id, model, NULL, DEFAULT_EXPECTED_OUTPUT);
      plan_add_entry (plan, provider_id, model);
      json_array_add_object_element (explained, explain_candidate (first));
      json_object_set_boolean_member (p->explanation, "direct", TRUE);
    }

  json_object_set_null_member (p->explanation, "profile");
  json_object_set_array_member (p->explanation, "candidates", explained);
  json_object_set_int_member (p->explanation, "removed", 0);
  json_object_set_string_member (p->explanation, "winner", first->id);
  plan->estimate_usd = first->estimate;
}


static void
plan_target (Planner      *p,
             SyPlan       *plan,
             const Target *target,
             gboolean      downgraded,
             gboolean      skip_overall)
{
  BudgetScope scopes[2];
  guint n_scopes = 0;
  g_autofree char *over_message = NULL;
  const BudgetScope *over = NULL;
  JsonObject *profile = target->kind == TARGET_PROFILE ? target->profile : NULL;
  JsonObject *overall = skip_overall ? NULL : sy_json_get_object (p->root, "budget");
  const char *profile_name = NULL;

  switch (target->kind)
    {
    case TARGET_PROFILE:
      profile_name = sy_json_get_string (profile, "name");
      if (!plan_profile (p, plan, profile, profile_name))
        return;
      break;

    case TARGET_DIRECT:
      {
        g_autofree char *provider_id = NULL;
        const char *model = NULL;

        if (!split_direct (p, target->name, &provider_id, &model))
          g_assert_not_reached ();
        plan_single (p, plan, NULL, provider_id, model);
      }
      break;

    case TARGET_BARE:
      {
        g_autoptr(GPtrArray) found = sy_catalog_find_bare (p->catalog, target->name);
        plan_single (p, plan, found, NULL, NULL);
      }
      break;

    case TARGET_NONE:
    default:
      g_assert_not_reached ();
    }

  if (p->budget == NULL)
    return;

  if (profile != NULL && sy_json_get_object (profile, "budget") != NULL)
    scopes[n_scopes++] = (BudgetScope) { sy_json_get_object (profile, "budget"), profile_name };
  if (overall != NULL)
    scopes[n_scopes++] = (BudgetScope) { overall, NULL };
  if (n_scopes == 0 && !skip_overall)
    return;

  for (guint i = 0; i < n_scopes && over == NULL; i++)
    if (!budget_allows (p, plan, &scopes[i], MAX (plan->estimate_usd, 0), &over_message))
      over = &scopes[i];

  if (over != NULL)
    {
      const char *downgrade_to = sy_json_get_string (over->config, "downgrade_to");
      JsonObject *lower = find_profile (p, downgrade_to);

      if (!downgraded && lower != NULL && lower != profile &&
          g_strcmp0 (sy_json_get_string (over->config, "over"), "downgrade") == 0)
        {
          Target next = { TARGET_PROFILE, lower, downgrade_to };
          JsonObject *why = json_object_new ();

          json_object_set_string_member (why, "from", profile_name != NULL ? profile_name : target->name);
          json_object_set_string_member (why, "to", downgrade_to);
          json_object_set_string_member (why, "reason", over_message);
          json_object_set_object_member (p->explanation, "downgraded", why);
          /* When the overall cap sent us here, the user chose this profile to
           * run past it; a profile's own cap is still checked. */
          plan_target (p, plan, &next, TRUE, skip_overall || over->profile == NULL);
          return;
        }

      refuse (plan, 402, over_message);
      return;
    }

  plan->budget_ticket = sy_budget_reserve (p->budget, plan->profile,
                                           MAX (plan->estimate_usd, 0), p->now_us);
}

/* Printable ASCII without spaces, so the header stays one parsable line. */
static void
append_field (GString    *summary,
              const char *key,
              const char *value)
{
  if (summary->len > 0)
    g_string_append_c (summary, ' ');
  g_string_append (summary, key);
  g_string_append_c (summary, '=');
  for (const char *c = value; c != NULL && *c != '\0'; c++)
    g_string_append_c (summary, (*c > 0x20 && *c < 0x7f) ? *c : '_');
}

static char *
summarize (Planner *p,
           SyPlan  *plan)
{
  GString *summary = g_string_new (NULL);
  JsonObject *expl = p->explanation;
  JsonObject *downgraded = sy_json_get_object (expl, "downgraded");
  char number[32];

  if (plan->profile != NULL)
    append_field (summary, "profile", plan->profile);
  else if (sy_json_get_bool (expl, "direct", FALSE))
    append_field (summary, "direct", "yes");
  if (sy_json_get_string (expl, "strategy") != NULL)
    append_field (summary, "strategy", sy_json_get_string (expl, "strategy"));
  if (plan->status != 0)
    {
      g_snprintf (number, sizeof number, "%u", plan->status);
      append_field (summary, "refused", number);
    }
  else if (sy_json_get_string (expl, "winner") != NULL)
    {
      append_field (summary, "winner", sy_json_get_string (expl, "winner"));
    }
  if (json_object_has_member (expl, "removed"))
    {
      g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, sy_json_get_int (expl, "removed", 0));
      append_field (summary, "removed", number);
    }
  if (sy_json_get_string (expl, "rule") != NULL)
    append_field (summary, "rule", sy_json_get_string (expl, "rule"));
  if (p->alias != NULL)
    append_field (summary, "alias", p->alias);
  if (downgraded != NULL)
    append_field (summary, "downgraded_from", sy_json_get_string (downgraded, "from"));
  if (json_object_has_member (expl, "health"))
    append_field (summary, "cooling", "all");

  return g_string_free (summary, FALSE);
}

SyPlan *
sy_planner_plan (SyConfig             *config,
                 SyStats              *stats,
                 SyBudget             *budget,
                 const SyRequestFacts *facts,
                 gint64                now_us,
                 gint64                mono_us)
{
  SyPlan *plan = g_new0 (SyPlan, 1);
  Planner planner = { 0 };
  Planner *p = &planner;
  SyRequestFacts empty = { 0 };
  const char *name = NULL;
  Target target = { 0 };

  plan->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_entry_free);
  plan->notices = g_ptr_array_new_with_free_func (g_free);
  plan->estimate_usd = -1;
  plan->explanation = json_object_new ();

  g_return_val_if_fail (SY_IS_CONFIG (config), plan);

  if (facts == NULL)
    facts = &empty;

  p->config = config;
  p->catalog = sy_config_get_catalog (config);
  p->root = sy_config_get_root (config);
  p->prices = sy_json_get_object (p->root, "prices");
  p->stats = stats;
  p->budget = budget;
  p->facts = facts;
  p->now_us = now_us;
  p->mono_us = mono_us >= 0 ? mono_us : g_get_monotonic_time ();
  p->explanation = plan->explanation;
  p->budget_log = json_array_new ();
  p->rule = -1;

  if (facts->requested != NULL)
    json_object_set_string_member (p->explanation, "requested", facts->requested);
  else
    json_object_set_null_member (p->explanation, "requested");

  if ((name = match_rules (p)) != NULL)
    {
      g_autofree char *rule = g_strdup_printf ("rules[%d]", p->rule);
      json_object_set_string_member (p->explanation, "rule", rule);
    }
  else if (facts->profile_header != NULL && find_profile (p, facts->profile_header) != NULL)
    {
      name = facts->profile_header;
      json_object_set_string_member (p->explanation, "profile_header", name);
    }
  else if (facts->requested != NULL && *facts->requested != '\0')
    {
      name = facts->requested;
    }
  else
    {
      name = sy_config_get_default_profile (config);
    }

  if (!resolve_name (p, name, 0, &target))
    {
      json_object_set_null_member (p->explanation, "winner");
      refuse_unknown (plan, name);
    }
  else
    {
      if (p->alias != NULL)
        json_object_set_string_member (p->explanation, "alias", p->alias);
      plan_target (p, plan, &target, FALSE, FALSE);
    }

  if (json_array_get_length (p->budget_log) > 0)
    json_object_set_array_member (p->explanation, "budget", g_steal_pointer (&p->budget_log));
  if (plan->status != 0)
    json_object_set_string_member (p->explanation, "error", plan->error);

  plan->summary = summarize (p, plan);

  g_clear_pointer (&p->budget_log, json_array_unref);
  g_clear_pointer (&p->builtin, json_object_unref);
  g_clear_pointer (&p->providers_by_id, g_hash_table_unref);
  g_clear_pointer (&p->providers, g_ptr_array_unref);
  return plan;
}
