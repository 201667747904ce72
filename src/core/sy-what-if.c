/* sy-what-if.c — what a range of the request history would have cost under other prices or another profile.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-what-if"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "sy-history.h"
#include "sy-json.h"
#include "sy-planner.h"
#include "sy-what-if.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define CANCEL_CHECK_ROWS  8192
#define CANCEL_CHECK_PLANS 64

/* Rows are read from the started_at index and priced one by one in C: a GROUP
 * BY over the token counts costs SQLite a sort ten times the scan (280 ms
 * for the 80,000 requests of a month of a million-request year, against 25).
 * "+status" keeps SQLite off the status index, which would read every row of
 * every month. */
#define IN_RANGE \
  " FROM requests" \
  " WHERE started_at >= ?1 AND started_at < ?2 AND +status = 200" \
  "   AND prompt_tokens IS NOT NULL"

static const char rows_sql[] =
  "SELECT prompt_tokens, ifnull (completion_tokens, 0), provider, model,"
  "       ifnull (cached_tokens, 0), ifnull (cache_write_tokens, 0), cost"
  IN_RANGE;

/* The distinct facts a plan depends on, in order. */
static const char pairs_sql[] =
  "SELECT prompt_tokens, ifnull (completion_tokens, 0)"
  IN_RANGE
  " GROUP BY 1, 2 ORDER BY 1, 2";

void
sy_what_if_row_free (SyWhatIfRow *row)
{
  if (row == NULL)
    return;
  g_free (row->model);
  g_free (row->what_if_model);
  g_free (row);
}

void
sy_what_if_free (SyWhatIf *what_if)
{
  if (what_if == NULL)
    return;
  g_clear_pointer (&what_if->rows, g_ptr_array_unref);
  g_free (what_if);
}

/* -------------------------------------------------------------------- state */

typedef struct {
  SyPrice  price;
  gboolean known;
} Price;

/* A model a plan chose. */
typedef struct {
  char        *id;          /* "provider/model" */
  const Price *price;
} Choice;

/* A distinct (prompt, completion) pair of the range and the choice for it. */
typedef struct {
  gint64 prompt;
  gint64 completion;
  int    choice;            /* index in choices, -1: refused */
} Pair;

typedef struct {
  int      choice;
  gint64   removed;         /* candidates the plan removed */
  gboolean balance;         /* drawn at random */
} Planned;

typedef struct {
  SyConfig     *config;       /* prices; plans too when @profile is set */
  const char   *profile;      /* NULL: every request on its own model */
  GCancellable *cancellable;
  GHashTable   *prices;       /* "provider/model" → Price * */
  GHashTable   *rows;         /* SyWhatIfRow *, by its two models */

  /* profile: */
  GArray       *pairs;        /* Pair, sorted */
  GPtrArray    *choices;      /* Choice * */
  GHashTable   *choice_ids;   /* id → index + 1 */
  GHashTable   *planned;      /* gint64[2] (prompt, completion) → Planned * */
  GArray       *breaks;       /* double: prompt counts where a plan may change */
  gint64        now_us;
  guint         n_plans;
  gboolean      per_pair;     /* a profile draws at random: plan every pair */
  gboolean      cancelled;
} WhatIf;

static void
choice_free (Choice *choice)
{
  g_free (choice->id);
  g_free (choice);
}

static void
what_if_clear (WhatIf *w)
{
  g_clear_pointer (&w->prices, g_hash_table_unref);
  g_clear_pointer (&w->rows, g_hash_table_unref);
  g_clear_pointer (&w->pairs, g_array_unref);
  g_clear_pointer (&w->choices, g_ptr_array_unref);
  g_clear_pointer (&w->choice_ids, g_hash_table_unref);
  g_clear_pointer (&w->planned, g_hash_table_unref);
  g_clear_pointer (&w->breaks, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (WhatIf, what_if_clear)

static guint
row_hash (gconstpointer key)
{
  const SyWhatIfRow *row = key;

  return (row->model != NULL ? g_str_hash (row->model) : 1) * 31 +
         (row->what_if_model != NULL ? g_str_hash (row->what_if_model) : 2);
}

static gboolean
row_equal (gconstpointer a,
           gconstpointer b)
{
  const SyWhatIfRow *x = a, *y = b;

  return g_strcmp0 (x->model, y->model) == 0 && g_strcmp0 (x->what_if_model, y->what_if_model) == 0;
}

static guint
counts_hash (gconstpointer key)
{
  const gint64 *counts = key;

  return g_int64_hash (&counts[0]) * 31 + g_int64_hash (&counts[1]);
}

static gboolean
counts_equal (gconstpointer a,
              gconstpointer b)
{
  const gint64 *x = a, *y = b;

  return x[0] == y[0] && x[1] == y[1];
}

/* NULL last. */
static int
compare_names (const char *a,
               const char *b)
{
  if (a == NULL || b == NULL)
    return (a == NULL) - (b == NULL);
  return strcmp (a, b);
}

static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  const SyWhatIfRow *x = *(const SyWhatIfRow * const *) a;
  const SyWhatIfRow *y = *(const SyWhatIfRow * const *) b;
  int c;

  if (x->recorded_cost != y->recorded_cost)
    return x->recorded_cost > y->recorded_cost ? -1 : 1;
  if (x->requests != y->requests)
    return x->requests > y->requests ? -1 : 1;
  if ((c = compare_names (x->model, y->model)) != 0)
    return c;
  return compare_names (x->what_if_model, y->what_if_model);
}

static const Price *
lookup_price (WhatIf     *w,
              const char *id,
              const char *provider,
              const char *model)
{
  Price *price = g_hash_table_lookup (w->prices, id);

  if (price == NULL)
    {
      price = g_new0 (Price, 1);
      price->known = sy_config_get_price (w->config, provider, model, &price->price);
      g_hash_table_insert (w->prices, g_strdup (id), price);
    }
  return price;
}

static SyWhatIfRow *
lookup_row (WhatIf     *w,
            const char *model,
            const char *what_if_model)
{
  SyWhatIfRow key = { (char *) model, (char *) what_if_model };
  SyWhatIfRow *row = g_hash_table_lookup (w->rows, &key);

  if (row == NULL)
    {
      row = g_new0 (SyWhatIfRow, 1);
      row->model = g_strdup (model);
      row->what_if_model = g_strdup (what_if_model);
      g_hash_table_add (w->rows, row);
    }
  return row;
}

static gboolean
check_cancelled (WhatIf  *w,
                 GError **error)
{
  w->cancelled = w->cancelled || g_cancellable_set_error_if_cancelled (w->cancellable, error);
  return w->cancelled;
}

/* --------------------------------------------------------------- planning */

static int
intern_choice (WhatIf            *w,
               const SyPlanEntry *entry)
{
  g_autofree char *id = g_strconcat (entry->provider_id, "/", entry->model, NULL);
  gpointer index = g_hash_table_lookup (w->choice_ids, id);
  Choice *choice;

  if (index != NULL)
    return GPOINTER_TO_INT (index) - 1;
  choice = g_new0 (Choice, 1);
  choice->price = lookup_price (w, id, entry->provider_id, entry->model);
  choice->id = g_steal_pointer (&id);
  g_ptr_array_add (w->choices, choice);
  g_hash_table_insert (w->choice_ids, choice->id, GINT_TO_POINTER (w->choices->len));
  return (int) w->choices->len - 1;
}

/* What sy_planner_plan () chooses for a request of these counts, planned
 * once per pair. */
static const Planned *
plan_at (WhatIf  *w,
         gint64   prompt,
         gint64   completion,
         GError **error)
{
  gint64 counts[2] = { prompt, completion };
  SyRequestFacts facts = { 0 };
  g_autoptr(SyPlan) plan = NULL;
  Planned *planned = g_hash_table_lookup (w->planned, counts);
  gint64 *key;

  if (planned != NULL)
    return planned;
  if (++w->n_plans % CANCEL_CHECK_PLANS == 0 && check_cancelled (w, error))
    return NULL;

  facts.requested = (char *) w->profile;
  facts.prompt_tokens = MAX (prompt, 0);
  facts.max_output = MAX (completion, 0);
  plan = sy_planner_plan (w->config, NULL, NULL, &facts, w->now_us, 0);

  planned = g_new0 (Planned, 1);
  planned->choice = plan->status == 0 && plan->entries->len > 0
                    ? intern_choice (w, g_ptr_array_index (plan->entries, 0)) : -1;
  planned->removed = sy_json_get_int (plan->explanation, "removed", -1);
  planned->balance = g_strcmp0 (sy_json_get_string (plan->explanation, "strategy"), "balance") == 0;
  key = g_memdup2 (counts, sizeof counts);
  g_hash_table_insert (w->planned, key, planned);
  return planned;
}

/* The prompt counts where a plan may change with the prompt alone: each
 * rule's prompt_tokens_over (a rule holds above it) and every catalog tier
 * threshold (a cheapest estimate changes slope above it). Config prices have
 * no tiers. */
static GArray *
prompt_breaks (SyConfig *config)
{
  GArray *breaks = g_array_new (FALSE, FALSE, sizeof (double));
  JsonArray *rules = sy_json_get_array (sy_config_get_root (config), "rules");
  GPtrArray *models = sy_catalog_get_models (sy_config_get_catalog (config));

  for (guint i = 0; rules != NULL && i < json_array_get_length (rules); i++)
    {
      JsonObject *when = sy_json_get_object (sy_json_array_get_object (rules, i), "when");
      JsonNode *over = sy_json_member (when, "prompt_tokens_over");

      if (sy_json_node_is_number (over))
        {
          double value = json_node_get_double (over);

          g_array_append_val (breaks, value);
        }
    }
  for (guint i = 0; i < models->len; i++)
    {
      const SyModelInfo *info = g_ptr_array_index (models, i);

      if (info->price.tier_threshold > 0)
        {
          double value = (double) info->price.tier_threshold;

          g_array_append_val (breaks, value);
        }
    }
  return breaks;
}

/* A break b with low <= b < high: above it a request of prompt high may be
 * planned otherwise than one of prompt low. */
static gboolean
find_break (GArray *breaks,
            gint64  low,
            gint64  high,
            double *out)
{
  for (guint i = 0; i < breaks->len; i++)
    {
      double b = g_array_index (breaks, double, i);

      if ((double) low <= b && b < (double) high)
        {
          *out = b;
          return TRUE;
        }
    }
  return FALSE;
}

static int
by_prompt (gconstpointer a,
           gconstpointer b)
{
  const Pair *x = *(const Pair * const *) a, *y = *(const Pair * const *) b;

  return x->prompt < y->prompt ? -1 : x->prompt > y->prompt;
}

static int
by_completion (gconstpointer a,
               gconstpointer b)
{
  const Pair *x = *(const Pair * const *) a, *y = *(const Pair * const *) b;

  return x->completion < y->completion ? -1 : x->completion > y->completion;
}

/* Moves the pairs whose count is <= @limit first; returns how many. */
static guint
partition (Pair     **pairs,
           guint      n,
           gboolean   prompt,
           double     limit)
{
  guint low = 0;

  for (guint i = 0; i < n; i++)
    if ((double) (prompt ? pairs[i]->prompt : pairs[i]->completion) <= limit)
      {
        Pair *swap = pairs[low];

        pairs[low++] = pairs[i];
        pairs[i] = swap;
      }
  return low;
}

/* Plans @n distinct pairs with as few plans as exactness allows. With no
 * stats, budget, client, header, tools, images or text, a plan depends on
 * the counts only through what sy-planner.h documents: rules'
 * prompt_tokens_over; the context-window filter on prompt + max output, which
 * removes more candidates as the sum grows; and the cheapest strategy's
 * estimate, linear in both counts between tier thresholds and for a max
 * output above 0 (0 prices the profile's expected_output instead). So over a
 * box of counts crossing no break, where the plans at the smallest and the
 * largest sum removed as many candidates, the kept candidates are the same
 * everywhere; the other strategies order them regardless of the counts, and
 * the region where one is the cheapest is convex: when the plans at the four
 * corners agree, every pair inside gets their choice. Otherwise the box is
 * cut in two, down to single pairs. "balance" draws at random: once a plan
 * says so, every pair is planned on its own. test-what-if checks all this
 * against planning each request, should the planner change. */
static gboolean
solve (WhatIf   *w,
       Pair    **pairs,
       guint     n,
       GError  **error)
{
  const Planned *corner[4];
  gint64 p_min = G_MAXINT64, p_max = G_MININT64, c_min = G_MAXINT64, c_max = G_MININT64;
  gboolean agree = TRUE;
  gboolean cut_prompt;
  double cut;
  guint low;

  if (n == 0)
    return TRUE;
  if (n == 1 || w->per_pair)
    {
      for (guint i = 0; i < n; i++)
        {
          const Planned *planned = plan_at (w, pairs[i]->prompt, pairs[i]->completion, error);

          if (planned == NULL)
            return FALSE;
          pairs[i]->choice = planned->choice;
        }
      return TRUE;
    }

  for (guint i = 0; i < n; i++)
    {
      p_min = MIN (p_min, pairs[i]->prompt);
      p_max = MAX (p_max, pairs[i]->prompt);
      c_min = MIN (c_min, pairs[i]->completion);
      c_max = MAX (c_max, pairs[i]->completion);
    }

  if (find_break (w->breaks, p_min, p_max, &cut))
    cut_prompt = TRUE;
  else if (c_min <= 0 && c_max > 0)
    cut_prompt = FALSE, cut = 0;
  else
    {
      if ((corner[0] = plan_at (w, p_min, c_min, error)) == NULL ||
          (corner[1] = plan_at (w, p_min, c_max, error)) == NULL ||
          (corner[2] = plan_at (w, p_max, c_min, error)) == NULL ||
          (corner[3] = plan_at (w, p_max, c_max, error)) == NULL)
        return FALSE;
      for (guint i = 0; i < 4; i++)
        {
          w->per_pair |= corner[i]->balance;
          agree &= corner[i]->choice == corner[0]->choice;
        }
      if (w->per_pair)
        return solve (w, pairs, n, error);
      if (agree && corner[0]->removed == corner[3]->removed)
        {
          for (guint i = 0; i < n; i++)
            pairs[i]->choice = corner[0]->choice;
          return TRUE;
        }

      /* In halves along the wider side, at a median that splits. */
      cut_prompt = p_max - p_min >= c_max - c_min;
      qsort (pairs, n, sizeof (Pair *), cut_prompt ? by_prompt : by_completion);
      low = n / 2;
      while (low > 0 && (cut_prompt ? pairs[low - 1]->prompt == pairs[low]->prompt
                                    : pairs[low - 1]->completion == pairs[low]->completion))
        low--;
      if (low == 0)
        low = 1;
      cut = (double) (cut_prompt ? pairs[low - 1]->prompt : pairs[low - 1]->completion);
    }

  low = partition (pairs, n, cut_prompt, cut);
  g_assert (low > 0 && low < n);
  return solve (w, pairs, low, error) && solve (w, pairs + low, n - low, error);
}

static gboolean
plan_pairs (WhatIf       *w,
            sqlite3      *db,
            const char   *path,
            gint64        from_us,
            gint64        to_us,
            GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree Pair **order = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, pairs_sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return FALSE;
    }
  sqlite3_bind_int64 (stmt, 1, from_us);
  sqlite3_bind_int64 (stmt, 2, to_us);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Pair pair = { sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1), -1 };

      g_array_append_val (w->pairs, pair);
    }
  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return FALSE;
    }

  order = g_new (Pair *, MAX (w->pairs->len, 1));
  for (guint i = 0; i < w->pairs->len; i++)
    order[i] = &g_array_index (w->pairs, Pair, i);
  if (!solve (w, order, w->pairs->len, error))
    return FALSE;
  g_debug ("%s: %u plans for %u distinct counts", w->profile, w->n_plans, w->pairs->len);
  return TRUE;
}

/* The choice for a row's counts, from the sorted pairs. */
static const Choice *
choice_for (WhatIf *w,
            gint64  prompt,
            gint64  completion)
{
  guint low = 0, high = w->pairs->len;

  while (low < high)
    {
      guint mid = low + (high - low) / 2;
      const Pair *pair = &g_array_index (w->pairs, Pair, mid);

      if (pair->prompt == prompt && pair->completion == completion)
        return pair->choice >= 0 ? g_ptr_array_index (w->choices, pair->choice) : NULL;
      if (pair->prompt < prompt || (pair->prompt == prompt && pair->completion < completion))
        low = mid + 1;
      else
        high = mid;
    }
  /* Only if the two queries saw different snapshots (BEGIN failed): plan it alone. */
  {
    const Planned *planned = plan_at (w, prompt, completion, NULL);

    return planned != NULL && planned->choice >= 0 ? g_ptr_array_index (w->choices, planned->choice)
                                                    : NULL;
  }
}

/* ------------------------------------------------------------------ pricing */

static void
add_request (WhatIf       *w,
             sqlite3_stmt *stmt,
             GString      *id)
{
  SyUsage usage = { 0 };
  const char *provider = (const char *) sqlite3_column_text (stmt, 2);
  const char *model = (const char *) sqlite3_column_text (stmt, 3);
  const char *recorded_id = NULL;
  const char *what_if_id = NULL;
  const Price *price = NULL;
  SyWhatIfRow *row;
  SyCost cost;

  usage.prompt_tokens = sqlite3_column_int64 (stmt, 0);
  usage.completion_tokens = sqlite3_column_int64 (stmt, 1);
  usage.cached_tokens = sqlite3_column_int64 (stmt, 4);
  usage.cache_write_tokens = sqlite3_column_int64 (stmt, 5);

  if (provider != NULL && model != NULL)
    {
      g_string_assign (id, provider);
      g_string_append_c (id, '/');
      g_string_append (id, model);
      recorded_id = id->str;
    }

  if (w->profile == NULL)
    {
      what_if_id = recorded_id;
      if (recorded_id != NULL)
        price = lookup_price (w, recorded_id, provider, model);
    }
  else
    {
      const Choice *choice = choice_for (w, usage.prompt_tokens, usage.completion_tokens);

      if (choice != NULL)
        {
          what_if_id = choice->id;
          price = choice->price;
        }
    }

  row = lookup_row (w, recorded_id, what_if_id);
  row->requests++;
  if (sqlite3_column_type (stmt, 6) == SQLITE_NULL)
    row->recorded_unpriced++;
  else
    row->recorded_cost += sqlite3_column_double (stmt, 6);
  if (price != NULL && price->known && sy_cost_compute (&price->price, &usage, &cost))
    row->what_if_cost += cost.total;
  else
    row->what_if_unpriced++;
}

static SyWhatIf *
compute (const char    *path,
         gint64         from_us,
         gint64         to_us,
         WhatIf        *w,
         GError       **error)
{
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(SyWhatIf) result = g_new0 (SyWhatIf, 1);
  g_autoptr(GString) id = g_string_new (NULL);
  GHashTableIter iter;
  gpointer row;
  guint64 n_rows = 0;
  int rc;

  result->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) sy_what_if_row_free);
  if (check_cancelled (w, error))
    return NULL;
  if (!sy_history_open_read_only (path, &db, error))
    return NULL;
  if (db == NULL)
    return g_steal_pointer (&result);

  w->prices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* The rows move to the result's array at the end, which frees them. */
  w->rows = g_hash_table_new (row_hash, row_equal);
  if (w->profile != NULL)
    {
      w->pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
      w->choices = g_ptr_array_new_with_free_func ((GDestroyNotify) choice_free);
      w->choice_ids = g_hash_table_new (g_str_hash, g_str_equal);
      w->planned = g_hash_table_new_full (counts_hash, counts_equal, g_free, g_free);
      w->breaks = prompt_breaks (w->config);
      w->now_us = g_get_real_time ();
      /* One snapshot for both queries. */
      sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
      if (!plan_pairs (w, db, path, from_us, to_us, error))
        return NULL;
    }

  rc = sqlite3_prepare_v2 (db, rows_sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, from_us);
  sqlite3_bind_int64 (stmt, 2, to_us);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (++n_rows % CANCEL_CHECK_ROWS == 0 && check_cancelled (w, error))
        break;
      add_request (w, stmt, id);
    }

  g_hash_table_iter_init (&iter, w->rows);
  while (g_hash_table_iter_next (&iter, &row, NULL))
    g_ptr_array_add (result->rows, row);
  g_hash_table_steal_all (w->rows);

  if (w->cancelled)
    return NULL;
  if (rc != SQLITE_DONE)
    {
      sy_history_set_sqlite_error (error, db, rc, path);
      return NULL;
    }

  g_ptr_array_sort (result->rows, compare_rows);
  for (guint i = 0; i < result->rows->len; i++)
    {
      const SyWhatIfRow *r = g_ptr_array_index (result->rows, i);

      result->requests += r->requests;
      result->recorded_unpriced += r->recorded_unpriced;
      result->what_if_unpriced += r->what_if_unpriced;
      result->recorded_cost += r->recorded_cost;
      result->what_if_cost += r->what_if_cost;
    }
  return g_steal_pointer (&result);
}

SyWhatIf *
sy_what_if_prices (const char    *path,
                   gint64         from_us,
                   gint64         to_us,
                   SyConfig      *prices,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_auto(WhatIf) w = { 0 };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (SY_IS_CONFIG (prices), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  w.config = prices;
  w.cancellable = cancellable;
  return compute (path, from_us, to_us, &w, error);
}

static gboolean
has_profile (SyConfig   *config,
             const char *name)
{
  JsonArray *profiles = sy_json_get_array (sy_config_get_root (config), "profiles");

  for (guint i = 0; profiles != NULL && i < json_array_get_length (profiles); i++)
    if (g_strcmp0 (sy_json_get_string (sy_json_array_get_object (profiles, i), "name"), name) == 0)
      return TRUE;
  return FALSE;
}

SyWhatIf *
sy_what_if_profile (const char    *path,
                    gint64         from_us,
                    gint64         to_us,
                    SyConfig      *config,
                    const char    *profile,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_auto(WhatIf) w = { 0 };
  g_autoptr(SyConfig) own = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (SY_IS_CONFIG (config), NULL);
  g_return_val_if_fail (profile != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!has_profile (config, profile))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The config has no profile named “%s”"), profile);
      return NULL;
    }
  /* The planner keeps its cache on the config it plans with, for one thread. */
  own = sy_config_new_from_root (sy_config_get_path (config), sy_config_get_catalog (config),
                                 sy_config_get_root (config), error);
  if (own == NULL)
    return NULL;

  w.config = own;
  w.profile = profile;
  w.cancellable = cancellable;
  return compute (path, from_us, to_us, &w, error);
}

/* ------------------------------------------------------------ price tables */

static SyConfig *
fail_table (GError     **error,
            const char  *name,
            const char  *problem)
{
  /* Translators: a price table file, and what is wrong with it */
  g_set_error (error, SY_CONFIG_ERROR, SY_CONFIG_ERROR_INVALID, _("%s: %s"), name, problem);
  return NULL;
}

static gboolean
price_ok (JsonObject *price,
          const char *member,
          gboolean    required)
{
  JsonNode *node = sy_json_member (price, member);
  double value;

  if (node == NULL)
    return !required;
  if (!sy_json_node_is_number (node))
    return FALSE;
  value = json_node_get_double (node);
  return isfinite (value) && value >= 0;
}

/* A problem of the table, or NULL. */
static char *
check_table (JsonObject *table)
{
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  if (json_object_get_size (table) == 0)
    return g_strdup (_("the file holds no prices"));

  /* In file order: the first problem is the one reported. */
  json_object_iter_init_ordered (&iter, table);
  while (json_object_iter_next_ordered (&iter, &key, &node))
    {
      const char *slash = strchr (key, '/');
      JsonObject *price;

      if (slash == NULL || slash == key || slash[1] == '\0')
        return g_strdup_printf (_("“%s” is not a model name of the form provider/model"), key);
      if (!JSON_NODE_HOLDS_OBJECT (node))
        return g_strdup_printf (_("the price of “%s” must be an object"), key);
      price = json_node_get_object (node);
      if (!price_ok (price, "input", TRUE) || !price_ok (price, "output", TRUE))
        return g_strdup_printf (_("“%s” needs “input” and “output” prices: numbers (US dollars per "
                                  "million tokens), 0 or more"), key);
      if (!price_ok (price, "cached_input", FALSE) || !price_ok (price, "cache_write", FALSE))
        return g_strdup_printf (_("the “cached_input” and “cache_write” prices of “%s” must be "
                                  "numbers, 0 or more"), key);
    }
  return NULL;
}

SyConfig *
sy_what_if_load_prices_data (SyConfig    *base,
                             const char  *data,
                             gsize        length,
                             const char  *name,
                             GError     **error)
{
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *problem = NULL;
  JsonObject *table;
  JsonObject *prices;
  JsonObjectIter iter;
  const char *key;
  JsonNode *price;

  g_return_val_if_fail (SY_IS_CONFIG (base), NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == 0)
    return fail_table (error, name, _("the file is empty"));
  node = sy_json_parse (data, length, &parse_error);
  if (node == NULL)
    return fail_table (error, name, parse_error->message);
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail_table (error, name, _("the file must hold a JSON object"));
  table = json_node_get_object (node);
  if (json_object_has_member (table, "prices"))
    {
      table = sy_json_get_object (table, "prices");
      if (table == NULL)
        return fail_table (error, name, _("its “prices” member must be an object"));
    }
  problem = check_table (table);
  if (problem != NULL)
    return fail_table (error, name, problem);

  root = sy_json_object_deep_copy (sy_config_get_root (base), error);
  if (root == NULL)
    return NULL;
  prices = sy_json_get_object (root, "prices");
  if (prices == NULL)
    {
      prices = json_object_new ();
      json_object_set_object_member (root, "prices", prices);
    }
  json_object_iter_init_ordered (&iter, table);
  while (json_object_iter_next_ordered (&iter, &key, &price))
    json_object_set_member (prices, key, json_node_copy (price));

  return sy_config_new_from_root (sy_config_get_path (base), sy_config_get_catalog (base), root, error);
}

SyConfig *
sy_what_if_load_prices (SyConfig    *base,
                        const char  *file_path,
                        GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  gsize length = 0;

  g_return_val_if_fail (SY_IS_CONFIG (base), NULL);
  g_return_val_if_fail (file_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (file_path, &contents, &length, error))
    return NULL;
  name = g_filename_display_name (file_path);
  return sy_what_if_load_prices_data (base, contents, length, name, error);
}
