/* sy-ratings.c — the user's judgements from Compare, as an Elo score per model.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-ratings"

#include "config.h"

#include <math.h>
#include <sqlite3.h>

#include "sy-history.h"
#include "sy-ratings.h"

#define ELO_K 32.0

struct _SyRatings
{
  GHashTable *by_model;   /* "provider/model" → SyRating * */
};

static void
rating_free (gpointer data)
{
  SyRating *rating = data;

  g_free (rating->model);
  g_free (rating);
}

SyRatings *
sy_ratings_new (void)
{
  SyRatings *ratings = g_new0 (SyRatings, 1);

  ratings->by_model = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, rating_free);
  return ratings;
}

void
sy_ratings_free (SyRatings *ratings)
{
  if (ratings == NULL)
    return;
  g_hash_table_unref (ratings->by_model);
  g_free (ratings);
}

static SyRating *
ensure (SyRatings  *ratings,
        const char *model)
{
  SyRating *rating = g_hash_table_lookup (ratings->by_model, model);

  if (rating == NULL)
    {
      rating = g_new0 (SyRating, 1);
      rating->model = g_strdup (model);
      rating->elo = SY_RATING_START;
      g_hash_table_insert (ratings->by_model, rating->model, rating);
    }
  return rating;
}

void
sy_ratings_add (SyRatings          *ratings,
                const char * const *models,
                const int          *scores,
                guint               n_models)
{
  g_autofree double *before = NULL;
  g_autofree double *delta = NULL;
  g_autofree SyRating **rated = NULL;

  g_return_if_fail (ratings != NULL);
  g_return_if_fail (n_models == 0 || (models != NULL && scores != NULL));

  before = g_new0 (double, n_models);
  delta = g_new0 (double, n_models);
  rated = g_new0 (SyRating *, n_models);
  for (guint i = 0; i < n_models; i++)
    if (scores[i] > 0 && models[i] != NULL)
      {
        rated[i] = ensure (ratings, models[i]);
        before[i] = rated[i]->elo;
        rated[i]->judged++;
      }

  /* Every pair is a game, scored from the ratings before this comparison so
   * that the order of the columns does not matter. */
  for (guint i = 0; i < n_models; i++)
    for (guint j = i + 1; j < n_models; j++)
      {
        double expected, result;

        if (rated[i] == NULL || rated[j] == NULL || rated[i] == rated[j])
          continue;
        expected = 1.0 / (1.0 + pow (10.0, (before[j] - before[i]) / 400.0));
        result = scores[i] > scores[j] ? 1.0 : scores[i] < scores[j] ? 0.0 : 0.5;
        delta[i] += ELO_K * (result - expected);
        delta[j] -= ELO_K * (result - expected);
        if (result == 1.0)
          rated[i]->wins++, rated[j]->losses++;
        else if (result == 0.0)
          rated[i]->losses++, rated[j]->wins++;
        else
          rated[i]->ties++, rated[j]->ties++;
      }
  for (guint i = 0; i < n_models; i++)
    if (rated[i] != NULL)
      rated[i]->elo += delta[i];
}

gboolean
sy_ratings_seed (SyRatings   *ratings,
                 const char  *db_path,
                 GError     **error)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *current = NULL;
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) scores = g_array_new (FALSE, FALSE, sizeof (int));
  int rc;

  g_return_val_if_fail (ratings != NULL, FALSE);
  g_return_val_if_fail (db_path != NULL, FALSE);

  if (!g_file_test (db_path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (!sy_history_open_read_only (db_path, &db, error))
    return FALSE;
  if (db == NULL)
    return TRUE;

  /* Comparisons in the order they were made (a rating without its comparison,
   * by when it was given); a history from before ratings has no table. */
  rc = sqlite3_prepare_v2 (db,
                           "SELECT r.comparison_id, r.model, r.score"
                           " FROM ratings r LEFT JOIN comparisons c ON c.id = r.comparison_id"
                           " ORDER BY coalesce (c.created_at, r.rated_at), r.comparison_id",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      gboolean no_table = strstr (sqlite3_errmsg (db), "no such table") != NULL;

      if (!no_table)
        sy_history_set_sqlite_error (error, db, rc, db_path);
      sqlite3_close (db);
      return no_table;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *comparison = (const char *) sqlite3_column_text (stmt, 0);
      int score = sqlite3_column_int (stmt, 2);

      if (current != NULL && g_strcmp0 (current, comparison) != 0)
        {
          sy_ratings_add (ratings, (const char * const *) models->pdata, (int *) scores->data, models->len);
          g_ptr_array_set_size (models, 0);
          g_array_set_size (scores, 0);
        }
      g_free (current);
      current = g_strdup (comparison);
      g_ptr_array_add (models, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      g_array_append_val (scores, score);
    }
  if (models->len > 0)
    sy_ratings_add (ratings, (const char * const *) models->pdata, (int *) scores->data, models->len);

  if (rc != SQLITE_DONE)
    sy_history_set_sqlite_error (error, db, rc, db_path);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rc == SQLITE_DONE;
}

const SyRating *
sy_ratings_lookup (SyRatings  *ratings,
                   const char *model)
{
  g_return_val_if_fail (ratings != NULL, NULL);
  return model != NULL ? g_hash_table_lookup (ratings->by_model, model) : NULL;
}

static int
compare_ratings (gconstpointer a,
                 gconstpointer b)
{
  const SyRating *x = *(const SyRating * const *) a;
  const SyRating *y = *(const SyRating * const *) b;

  if (x->elo != y->elo)
    return x->elo > y->elo ? -1 : 1;
  return g_strcmp0 (x->model, y->model);
}

GPtrArray *
sy_ratings_leaderboard (SyRatings *ratings)
{
  GPtrArray *board = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (ratings != NULL, board);

  g_hash_table_iter_init (&iter, ratings->by_model);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (board, value);
  g_ptr_array_sort (board, compare_ratings);
  return board;
}

SyRatings *
sy_ratings_copy (SyRatings *ratings)
{
  SyRatings *copy = sy_ratings_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (ratings != NULL, copy);

  g_hash_table_iter_init (&iter, ratings->by_model);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SyRating *rating = g_memdup2 (value, sizeof (SyRating));

      rating->model = g_strdup (rating->model);
      g_hash_table_insert (copy->by_model, rating->model, rating);
    }
  return copy;
}
