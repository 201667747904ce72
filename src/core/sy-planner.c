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

/* A plan's entries are packed into one block with a reference per entry, the
 * strings after each struct: a plan over every catalog model has hundreds of
 * entries, and removing some from the array or freeing it still works as with
 * separate ones. */
typedef struct {
  gint refs;
} EntryBlock;

typedef struct {
  EntryBlock  *block;
  SyPlanEntry  entry;
} PackedEntry;

#define ENTRY_BLOCK_HEADER  ((sizeof (EntryBlock) + 15) & ~(gsize) 15)
#define PACKED_ENTRY_SIZE(provider_len, model_len) \
  ((sizeof (PackedEntry) + (provider_len) + 1 + (model_len) + 1 + 7) & ~(gsize) 7)

static void
plan_entry_free (SyPlanEntry *entry)
{
  PackedEntry *packed;

  if (entry == NULL)
    return;
  packed = (PackedEntry *) (void *) ((char *) entry - G_STRUCT_OFFSET (PackedEntry, entry));
  if (g_atomic_int_dec_and_test (&packed->block->refs))
    g_free (packed->block);
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

/* What planning reads of a config that does not depend on the request,
 * computed once per config and kept on it (g_object_set_data_full), for the
 * router thread only like the rest of the planner:
 *
 *   - the providers (catalog presets overlaid by config), by id;
 *   - per profile, its expanded candidates ("models" resolved, duplicates
 *     dropped) with their catalog entry, price, weight, catalog rank and the
 *     verdict of the request-independent filters.
 *
 * SyConfig has no reload API nor a change signal: the cache is checked
 * against the root object, its "providers" and "prices" (pointer and size)
 * and, per profile, against the profile object, its size and its "models"
 * (pointer and length). A new root or another of those members rebuilds it; a
 * profile added to the root gets an entry of its own. Editing a member inside
 * an object in place (a price, a weight, a filter list) is not seen: replace
 * the root, as loading a config does. */
#define PLANNER_CACHE_KEY "sy-planner-cache"

/* The kept candidates listed in the explanation (removed ones are all listed):
 * the router tries at most 8, and building 200 JSON objects per request would
 * cost more than planning. */
#define EXPLAINED_KEPT 16

/* A candidate as far as the request does not matter. */
typedef struct {
  char              *id;            /* "provider/model" */
  char              *provider;      /* NULL: nobody offers it */
  char              *model;
  gsize              provider_len;
  gsize              model_len;
  const SyModelInfo *info;
  SyPrice            price;
  gboolean           priced;
  guint              rank;          /* position in the catalog + 1, 0: not in it */
  double             weight;        /* the profile's "weights" member, 1 without */
  const char        *removed;       /* unknown model, providers, deny_providers, local_only */
  char              *price_removed; /* max_price, checked after the request's needs */
  GHashTable        *explained;     /* stable reason → sealed {"model", "score", "removed"} */
} Choice;

typedef struct {
  JsonObject *profile;   /* NULL: the built-in profiles (every catalog model, no filters) */
  guint       size;
  JsonArray  *models;
  guint       n_models;
  GArray     *choices;   /* Choice */
} ProfileChoices;

typedef struct {
  JsonObject *root;
  JsonArray  *config_providers;
  guint       n_config_providers;
  JsonObject *prices;
  guint       n_prices;

  GPtrArray  *providers;        /* SyProvider * */
  GHashTable *providers_by_id;  /* id → SyProvider *, borrowed */
  GHashTable *profiles;         /* JsonObject * (NULL: built-ins) → ProfileChoices * */

  /* scratch of plan_profile (), kept so a plan makes no large allocation */
  GArray     *candidates;       /* Candidate */
  GPtrArray  *kept;             /* Candidate *, into candidates */
  GPtrArray  *picked;           /* const Choice *, of kept */
} PlannerCache;

typedef struct {
  SyConfig             *config;
  SyCatalog            *catalog;
  JsonObject           *root;
  SyStats              *stats;
  SyBudget             *budget;
  const SyRequestFacts *facts;
  gint64                now_us;
  gint64                mono_us;

  PlannerCache         *cache;
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

/* A candidate of this request. */
typedef struct {
  Choice     *choice;
  const char *removed;        /* NULL: kept */
  char       *removed_owned;  /* @removed when formatted for this request */
  gboolean    stable;         /* @removed outlives the request: its explanation is cached */
  double      estimate;       /* USD, < 0 unknown */
  double      score;
  gboolean    scored;
  double      weight;
  guint       order;
  gboolean    cooling;
} Candidate;

static void
candidate_set_removed (Candidate  *candidate,
                       const char *stable_reason,
                       char       *owned_reason)
{
  g_clear_pointer (&candidate->removed_owned, g_free);
  candidate->removed_owned = owned_reason;
  candidate->removed = owned_reason != NULL ? owned_reason : stable_reason;
  candidate->stable = owned_reason == NULL && stable_reason != NULL;
}

static void
choice_clear (Choice *choice)
{
  g_free (choice->id);
  g_free (choice->provider);
  g_free (choice->model);
  g_free (choice->price_removed);
  g_clear_pointer (&choice->explained, g_hash_table_unref);
}

static void
profile_choices_free (ProfileChoices *choices)
{
  g_array_unref (choices->choices);
  g_free (choices);
}

static void
planner_cache_free (PlannerCache *cache)
{
  g_ptr_array_unref (cache->picked);
  g_ptr_array_unref (cache->kept);
  g_array_unref (cache->candidates);
  g_hash_table_unref (cache->profiles);
  g_hash_table_unref (cache->providers_by_id);
  g_ptr_array_unref (cache->providers);
  g_free (cache);
}

static PlannerCache *
planner_cache (Planner *p)
{
  PlannerCache *cache = g_object_get_data (G_OBJECT (p->config), PLANNER_CACHE_KEY);
  JsonArray *config_providers = sy_json_get_array (p->root, "providers");
  guint n_config_providers = config_providers != NULL ? json_array_get_length (config_providers) : 0;
  guint n_prices = p->prices != NULL ? json_object_get_size (p->prices) : 0;

  if (cache != NULL && cache->root == p->root &&
      cache->config_providers == config_providers && cache->n_config_providers == n_config_providers &&
      cache->prices == p->prices && cache->n_prices == n_prices)
    return cache;

  cache = g_new0 (PlannerCache, 1);
  cache->root = p->root;
  cache->config_providers = config_providers;
  cache->n_config_providers = n_config_providers;
  cache->prices = p->prices;
  cache->n_prices = n_prices;
  cache->providers = sy_config_dup_providers (p->config);
  cache->providers_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < cache->providers->len; i++)
    {
      SyProvider *provider = g_ptr_array_index (cache->providers, i);
      g_hash_table_insert (cache->providers_by_id, provider->id, provider);
    }
  cache->profiles = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) profile_choices_free);
  cache->candidates = g_array_new (FALSE, TRUE, sizeof (Candidate));
  cache->kept = g_ptr_array_new ();
  cache->picked = g_ptr_array_new ();

  /* Replacing the data frees the previous cache. */
  g_object_set_data_full (G_OBJECT (p->config), PLANNER_CACHE_KEY, cache,
                          (GDestroyNotify) planner_cache_free);
  return cache;
}

static const SyProvider *
planner_provider (Planner    *p,
                  const char *id)
{
  return id != NULL ? g_hash_table_lookup (p->cache->providers_by_id, id) : NULL;
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
 * again when config has no price of its own. */
static gboolean
choice_price (Planner *p,
              Choice  *choice)
{
  const SyProviderPreset *preset;

  if (p->prices != NULL && json_object_has_member (p->prices, choice->id))
    return sy_config_get_price (p->config, choice->provider, choice->model, &choice->price);

  preset = sy_catalog_get_preset (p->catalog, choice->provider);
  if (choice->info != NULL && (preset == NULL || !preset->local))
    {
      choice->price = choice->info->price;
      return sy_price_is_known (&choice->price);
    }
  return sy_catalog_get_price (p->catalog, choice->provider, choice->model, &choice->price);
}

static void
choice_init (Planner           *p,
             Choice            *choice,
             const char        *provider_id,
             const char        *model,
             const SyModelInfo *info)
{
  memset (choice, 0, sizeof *choice);
  choice->id = g_strconcat (provider_id, "/", model, NULL);
  choice->provider = g_strdup (provider_id);
  choice->model = g_strdup (model);
  choice->provider_len = strlen (provider_id);
  choice->model_len = strlen (model);
  choice->info = info != NULL ? info : sy_catalog_lookup (p->catalog, provider_id, model);
  choice->priced = choice_price (p, choice);
  choice->weight = 1;
}

static void
add_choice (GArray     *choices,
            GHashTable *seen,
            Choice     *choice)
{
  /* @seen NULL: the catalog's own ids, unique already. */
  if (seen != NULL && !g_hash_table_add (seen, choice->id))
    {
      choice_clear (choice);
      return;
    }
  g_array_append_vals (choices, choice, 1);
}

static void
expand_entry (Planner    *p,
              const char *entry,
              GArray     *choices,
              GHashTable *seen)
{
  g_autofree char *provider_id = NULL;
  g_autoptr(GPtrArray) found = NULL;
  const char *model = NULL;
  Choice choice;

  if (split_direct (p, entry, &provider_id, &model))
    {
      choice_init (p, &choice, provider_id, model, NULL);
      add_choice (choices, seen, &choice);
      return;
    }

  found = sy_catalog_find_bare (p->catalog, entry);
  for (guint i = 0; i < found->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (found, i);

      choice_init (p, &choice, info->provider, info->model, info);
      add_choice (choices, seen, &choice);
    }

  if (found->len == 0)
    {
      memset (&choice, 0, sizeof choice);
      choice.id = g_strdup (entry);
      choice.weight = 1;
      choice.removed = "no provider offers this model";
      add_choice (choices, seen, &choice);
    }
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

/* The profile's filters that do not depend on the request, in the order they
 * apply; max_price comes after the request's needs, so it is kept apart. */
static void
choice_filter (Planner    *p,
               JsonObject *profile,
               Choice     *choice)
{
  JsonArray *allow = sy_json_get_array (profile, "providers");
  JsonArray *deny = sy_json_get_array (profile, "deny_providers");
  double max_price = sy_json_get_double (profile, "max_price", -1);

  if (choice->removed != NULL)
    return;

  if (allow != NULL && !string_listed (allow, choice->provider))
    choice->removed = "provider not in the profile's \"providers\"";
  else if (deny != NULL && string_listed (deny, choice->provider))
    choice->removed = "provider in the profile's \"deny_providers\"";
  else if (sy_json_get_bool (profile, "local_only", FALSE))
    {
      const SyProvider *provider = planner_provider (p, choice->provider);

      if (provider == NULL || !provider->local)
        choice->removed = "not a local provider (local_only)";
    }

  if (max_price >= 0)
    {
      double mean;

      if (!choice->priced)
        choice->price_removed = g_strdup_printf ("price unknown (max_price %.2f)", max_price);
      else if ((mean = (choice->price.input + choice->price.output) / 2) > max_price)
        choice->price_removed = g_strdup_printf ("price %.2f per million tokens over max_price %.2f",
                                                 mean, max_price);
    }
}

static ProfileChoices *
profile_choices_new (Planner    *p,
                     JsonObject *profile,
                     JsonArray  *models)
{
  ProfileChoices *result = g_new0 (ProfileChoices, 1);
  GArray *choices = g_array_new (FALSE, FALSE, sizeof (Choice));
  GPtrArray *all = sy_catalog_get_models (p->catalog);
  JsonObject *weights = profile != NULL ? sy_json_get_object (profile, "weights") : NULL;
  g_autoptr(GHashTable) rank = g_hash_table_new (NULL, NULL);

  g_array_set_clear_func (choices, (GDestroyNotify) choice_clear);

  if (models != NULL)
    {
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < json_array_get_length (models); i++)
        {
          JsonNode *entry = json_array_get_element (models, i);

          if (sy_json_node_is_string (entry))
            expand_entry (p, json_node_get_string (entry), choices, seen);
        }
    }
  else
    {
      for (guint i = 0; i < all->len; i++)
        {
          const SyModelInfo *info = g_ptr_array_index (all, i);
          Choice choice;

          if (planner_provider (p, info->provider) == NULL)
            continue;
          choice_init (p, &choice, info->provider, info->model, info);
          add_choice (choices, NULL, &choice);
        }
    }

  /* "best" ranks by the catalog's own order (flagships first per provider). */
  for (guint i = 0; i < all->len; i++)
    g_hash_table_insert (rank, g_ptr_array_index (all, i), GUINT_TO_POINTER (i + 1));

  for (guint i = 0; i < choices->len; i++)
    {
      Choice *choice = &g_array_index (choices, Choice, i);

      if (choice->info != NULL)
        choice->rank = GPOINTER_TO_UINT (g_hash_table_lookup (rank, choice->info));
      choice->weight = sy_json_get_double (weights, choice->id, 1);
      if (profile != NULL)
        choice_filter (p, profile, choice);
    }

  result->profile = profile;
  result->size = profile != NULL ? json_object_get_size (profile) : 0;
  result->models = models;
  result->n_models = models != NULL ? json_array_get_length (models) : 0;
  result->choices = choices;
  return result;
}

/* The cached candidates of @profile; the built-in profiles (no models, no
 * filters, made afresh per request) share one entry. */
static ProfileChoices *
profile_choices (Planner    *p,
                 JsonObject *profile)
{
  JsonObject *key = profile == p->builtin ? NULL : profile;
  ProfileChoices *choices = g_hash_table_lookup (p->cache->profiles, key);
  JsonArray *models = key != NULL ? sy_json_get_array (key, "models") : NULL;

  if (choices != NULL &&
      (key == NULL ||
       (choices->size == json_object_get_size (key) && choices->models == models &&
        choices->n_models == (models != NULL ? json_array_get_length (models) : 0))))
    return choices;

  choices = profile_choices_new (p, key, models);
  g_hash_table_replace (p->cache->profiles, key, choices);
  return choices;
}

/* The request's needs, read once per plan rather than once per candidate. */
typedef struct {
  SyCapabilities  needed;
  gint64          needed_tokens;
} Filters;

static void
filters_init (Filters *filters,
              Planner *p)
{
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

/* "does not support tools, images" for every combination of the four
 * capabilities routing checks, made once: the strings outlive every plan. */
static const char *
missing_capabilities (SyCapabilities missing)
{
  static const struct { SyCapabilities cap; const char *name; } caps[] = {
    { SY_CAP_TOOLS, "tools" },
    { SY_CAP_VISION, "images" },
    { SY_CAP_JSON_SCHEMA, "json_schema" },
    { SY_CAP_REASONING, "reasoning" },
  };
  static const char *reasons[1 << G_N_ELEMENTS (caps)];
  static gsize initialized;
  guint index = 0;

  if (g_once_init_enter (&initialized))
    {
      for (guint combination = 1; combination < G_N_ELEMENTS (reasons); combination++)
        {
          GString *reason = g_string_new ("does not support ");

          for (guint i = 0; i < G_N_ELEMENTS (caps); i++)
            {
              if (!(combination & (1u << i)))
                continue;
              if (reason->str[reason->len - 1] != ' ')
                g_string_append (reason, ", ");
              g_string_append (reason, caps[i].name);
            }
          reasons[combination] = g_intern_string (reason->str);
          g_string_free (reason, TRUE);
        }
      g_once_init_leave (&initialized, 1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (caps); i++)
    if (missing & caps[i].cap)
      index |= 1u << i;
  return reasons[index];
}

/* The first filter that rejects @candidate, unless the profile's own filters
 * did already. */
static void
filter (const Filters *filters,
        Candidate     *candidate)
{
  const Choice *choice = candidate->choice;
  const SyModelInfo *info = choice->info;

  if (choice->removed != NULL)
    {
      candidate_set_removed (candidate, choice->removed, NULL);
      return;
    }

  /* Models the catalog does not know may well be able to: let them try. */
  if (info != NULL)
    {
      SyCapabilities missing = filters->needed & ~info->caps;

      if (missing != 0)
        {
          candidate_set_removed (candidate, missing_capabilities (missing), NULL);
          return;
        }
      if (info->context_window > 0 && info->context_window < filters->needed_tokens)
        {
          candidate_set_removed (candidate, NULL,
                                 g_strdup_printf ("context window %" G_GINT64_FORMAT " < %" G_GINT64_FORMAT
                                                  " tokens (prompt estimate + max output)",
                                                  info->context_window, filters->needed_tokens));
          return;
        }
    }

  if (choice->price_removed != NULL)
    candidate_set_removed (candidate, choice->price_removed, NULL);
}

static void
apply_health (Planner   *p,
              Candidate *candidates,
              guint      n_candidates)
{
  guint healthy = 0, cooling = 0;

  if (p->stats == NULL)
    return;

  for (guint i = 0; i < n_candidates; i++)
    {
      Candidate *candidate = &candidates[i];
      gint64 until = 0;

      if (candidate->removed != NULL)
        continue;
      if (sy_stats_is_cooling_by_id (p->stats, candidate->choice->id, p->mono_us, &until))
        {
          g_autoptr(GDateTime) when = NULL;
          g_autofree char *clock = NULL;
          gint64 left_s = MAX (until - p->mono_us, 0) / G_USEC_PER_SEC;

          when = g_date_time_new_from_unix_local ((p->now_us + (until - p->mono_us)) / G_USEC_PER_SEC);
          clock = when != NULL ? g_date_time_format (when, "%H:%M:%S") : g_strdup ("?");
          candidate->cooling = TRUE;
          candidate_set_removed (candidate, NULL,
                                 g_strdup_printf ("cooling down until %s (%" G_GINT64_FORMAT " s)",
                                                  clock, left_s));
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
      for (guint i = 0; i < n_candidates; i++)
        if (candidates[i].cooling)
          candidate_set_removed (&candidates[i], NULL, NULL);
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

      if (!sy_stats_get_by_id (p->stats, candidate->choice->id, &stats))
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

/* "best" ranks by the user's ratings from Compare (Elo, higher first; a model
 * never judged counts as a newcomer, SY_RATING_START). Until the user judged any
 * of the candidates, the catalog's own order (flagships first per provider)
 * stands in for them. */
static void
score_best (Planner   *p,
            GPtrArray *kept,
            gboolean  *descending)
{
  SyRatings *ratings = p->stats != NULL ? sy_stats_get_ratings (p->stats) : NULL;
  gboolean any_judged = FALSE;

  for (guint i = 0; ratings != NULL && i < kept->len && !any_judged; i++)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);
      any_judged = sy_ratings_lookup (ratings, candidate->choice->id) != NULL;
    }

  *descending = any_judged;
  for (guint i = 0; i < kept->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);

      if (any_judged)
        {
          const SyRating *rating = sy_ratings_lookup (ratings, candidate->choice->id);

          candidate->score = rating != NULL ? rating->elo : SY_RATING_START;
          candidate->scored = TRUE;
        }
      else if (candidate->choice->rank > 0)
        {
          candidate->score = candidate->choice->rank - 1;
          candidate->scored = TRUE;
        }
    }
}

/* Weighted random first pick; the others follow in listed order as fallbacks. */
static void
order_balance (GPtrArray *kept)
{
  double total = 0, pick, sum = 0;
  guint chosen = 0;

  for (guint i = 0; i < kept->len;)
    {
      Candidate *candidate = g_ptr_array_index (kept, i);
      double weight = candidate->choice->weight;

      candidate->weight = isfinite (weight) ? weight : 0;
      candidate->score = candidate->weight;
      candidate->scored = TRUE;
      if (candidate->weight <= 0)
        {
          /* Explained with its score: not one of the cached explanations. */
          candidate_set_removed (candidate, NULL, g_strdup ("weight 0"));
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
      score_best (p, kept, &descending);
    }
  else if (g_strcmp0 (strategy, "balance") == 0)
    {
      order_balance (kept);
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

  json_object_set_string_member (object, "model", candidate->choice->id);
  if (candidate->scored)
    json_object_set_double_member (object, "score", candidate->score);
  else
    json_object_set_null_member (object, "score");
  if (candidate->removed != NULL)
    json_object_set_string_member (object, "removed", candidate->removed);
  return object;
}

/* A removed candidate's explanation; one removed for a reason that outlives the
 * request (a filter of the profile, a missing capability) shares a sealed
 * object made the first time. */
static JsonObject *
explain_removed (const Candidate *candidate)
{
  Choice *choice = candidate->choice;
  JsonObject *object;

  if (!candidate->stable || candidate->scored)
    return explain_candidate (candidate);

  if (choice->explained == NULL)
    choice->explained = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_object_unref);
  object = g_hash_table_lookup (choice->explained, candidate->removed);
  if (object == NULL)
    {
      object = explain_candidate (candidate);
      json_object_seal (object);
      g_hash_table_insert (choice->explained, (gpointer) candidate->removed, object);
    }
  return json_object_ref (object);
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

/* Appends the entries of @choices (provider/model pairs, never unknown ones). */
static void
plan_add_entries (SyPlan        *plan,
                  const Choice **choices,
                  guint          n_choices)
{
  gsize size = ENTRY_BLOCK_HEADER;
  EntryBlock *block;
  char *at;

  if (n_choices == 0)
    return;

  for (guint i = 0; i < n_choices; i++)
    size += PACKED_ENTRY_SIZE (choices[i]->provider_len, choices[i]->model_len);
  block = g_malloc (size);
  block->refs = (gint) n_choices;
  at = (char *) block + ENTRY_BLOCK_HEADER;

  for (guint i = 0; i < n_choices; i++)
    {
      const Choice *choice = choices[i];
      PackedEntry *packed = (PackedEntry *) (void *) at;
      char *text = (char *) (packed + 1);

      packed->block = block;
      packed->entry.provider_id = memcpy (text, choice->provider, choice->provider_len + 1);
      packed->entry.model = memcpy (text + choice->provider_len + 1, choice->model, choice->model_len + 1);
      g_ptr_array_add (plan->entries, &packed->entry);
      at += PACKED_ENTRY_SIZE (choice->provider_len, choice->model_len);
    }
}

/* Fills @plan from a profile; FALSE (a 404) when no candidate survives. */
static gboolean
plan_profile (Planner    *p,
              SyPlan     *plan,
              JsonObject *profile,
              const char *name)
{
  gint64 expected = sy_json_get_int (profile, "expected_output", DEFAULT_EXPECTED_OUTPUT);
  ProfileChoices *choices = profile_choices (p, profile);
  guint n_candidates = choices->choices->len;
  Candidate *candidates;
  GPtrArray *kept = p->cache->kept;
  JsonArray *explained;
  const char *strategy;
  Filters filters;
  guint removed = 0;
  guint listed;

  if (expected <= 0)
    expected = DEFAULT_EXPECTED_OUTPUT;

  /* A downgrade plans again, after this call is done with the scratch. */
  g_array_set_size (p->cache->candidates, 0);
  g_array_set_size (p->cache->candidates, n_candidates);
  candidates = (Candidate *) (void *) p->cache->candidates->data;
  g_ptr_array_set_size (kept, 0);

  filters_init (&filters, p);
  for (guint i = 0; i < n_candidates; i++)
    {
      Candidate *candidate = &candidates[i];
      Choice *choice = &g_array_index (choices->choices, Choice, i);

      candidate->choice = choice;
      candidate->order = i;
      candidate->weight = 1;
      candidate->estimate = choice->priced ? estimate_cost (p, &choice->price, expected) : -1;
      filter (&filters, candidate);
    }
  apply_health (p, candidates, n_candidates);

  for (guint i = 0; i < n_candidates; i++)
    if (candidates[i].removed == NULL)
      g_ptr_array_add (kept, &candidates[i]);
  strategy = order_candidates (p, profile, kept);

  g_free (plan->profile);
  plan->profile = g_strdup (name);
  plan->rescue = sy_json_get_bool (profile, "rescue", FALSE);
  g_ptr_array_unref (plan->entries);
  plan->entries = g_ptr_array_new_full (kept->len, (GDestroyNotify) plan_entry_free);
  g_ptr_array_set_size (p->cache->picked, kept->len);
  for (guint i = 0; i < kept->len; i++)
    p->cache->picked->pdata[i] = ((Candidate *) g_ptr_array_index (kept, i))->choice;
  plan_add_entries (plan, (const Choice **) p->cache->picked->pdata, kept->len);

  for (guint i = 0; i < n_candidates; i++)
    removed += candidates[i].removed != NULL;
  listed = MIN (kept->len, EXPLAINED_KEPT);
  explained = json_array_sized_new (listed + removed);
  for (guint i = 0; i < listed; i++)
    json_array_add_object_element (explained, explain_candidate (g_ptr_array_index (kept, i)));
  for (guint i = 0; i < n_candidates; i++)
    if (candidates[i].removed != NULL)
      json_array_add_object_element (explained, explain_removed (&candidates[i]));
  for (guint i = 0; i < n_candidates; i++)
    g_free (candidates[i].removed_owned);

  json_object_set_string_member (p->explanation, "profile", name);
  json_object_set_string_member (p->explanation, "strategy", strategy);
  json_object_set_array_member (p->explanation, "candidates", explained);
  if (kept->len > listed)
    json_object_set_int_member (p->explanation, "more", kept->len - listed);
  else
    json_object_remove_member (p->explanation, "more");
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

    json_object_set_string_member (p->explanation, "winner", winner->choice->id);
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
  guint n = infos != NULL ? infos->len : 1;
  g_autoptr(GArray) choices = g_array_sized_new (FALSE, FALSE, sizeof (Choice), n);
  g_autofree const Choice **picked = g_new (const Choice *, n);
  Candidate candidate = { 0 };
  double first_estimate = -1;

  g_array_set_clear_func (choices, (GDestroyNotify) choice_clear);
  g_array_set_size (choices, n);
  for (guint i = 0; i < n; i++)
    {
      const SyModelInfo *info = infos != NULL ? g_ptr_array_index (infos, i) : NULL;
      Choice *choice = &g_array_index (choices, Choice, i);

      if (info != NULL)
        choice_init (p, choice, info->provider, info->model, info);
      else
        choice_init (p, choice, provider_id, model, NULL);

      candidate.choice = choice;
      candidate.estimate = choice->priced ? estimate_cost (p, &choice->price, DEFAULT_EXPECTED_OUTPUT) : -1;
      if (i == 0)
        first_estimate = candidate.estimate;
      picked[i] = choice;
      json_array_add_object_element (explained, explain_candidate (&candidate));
    }
  plan_add_entries (plan, picked, n);

  if (infos != NULL)
    json_object_set_string_member (p->explanation, "strategy", "fallback");
  else
    json_object_set_boolean_member (p->explanation, "direct", TRUE);

  json_object_set_null_member (p->explanation, "profile");
  json_object_set_array_member (p->explanation, "candidates", explained);
  json_object_set_int_member (p->explanation, "removed", 0);
  json_object_set_string_member (p->explanation, "winner", g_array_index (choices, Choice, 0).id);
  plan->estimate_usd = first_estimate;
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
  p->cache = planner_cache (p);
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
  return plan;
}
