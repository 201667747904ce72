/* sy-ratings.h — the user's judgements from Compare, as an Elo score per model.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Every model starts at this score; a model never judged keeps it. */
#define SY_RATING_START 1500.0

typedef struct {
  char   *model;     /* "provider/model" */
  double  elo;
  guint   wins;      /* pairwise, within comparisons */
  guint   losses;
  guint   ties;
  guint   judged;    /* comparisons in which it was rated */
} SyRating;

typedef struct _SyRatings SyRatings;

SyRatings      *sy_ratings_new      (void);
void            sy_ratings_free     (SyRatings *ratings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyRatings, sy_ratings_free)

/* One comparison's judgement: @models[i] got @scores[i] (higher is better; 0 or
 * less: not rated). Every pair of rated models counts as a game (the higher
 * score wins, equal scores tie); all games of a comparison are scored from the
 * ratings before it (K = 32). Comparisons must be added in the order they were
 * judged. */
void            sy_ratings_add      (SyRatings          *ratings,
                                     const char * const *models,
                                     const int          *scores,
                                     guint               n_models);

/* Replays every judgement in the history database (read-only; a missing file
 * or a history without ratings yet is no error). Blocking: a worker thread or
 * before serving. */
gboolean        sy_ratings_seed     (SyRatings   *ratings,
                                     const char  *db_path,
                                     GError     **error);

/* NULL when @model was never judged. */
const SyRating *sy_ratings_lookup   (SyRatings   *ratings,
                                     const char  *model);

/* Every judged model, best first (SyRating *, owned by @ratings). */
GPtrArray      *sy_ratings_leaderboard (SyRatings *ratings);

SyRatings      *sy_ratings_copy     (SyRatings   *ratings);

G_END_DECLS
