/* test-stats.c — live statistics and health per provider+model, and seeding them
 * from history.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "switchyard-test"

#include <sqlite3.h>
#include <glib/gstdio.h>

#include "sy-history.h"
#include "sy-planner.h"
#include "sy-test-util.h"

#define SEC G_USEC_PER_SEC
/* Monotonic times in the tests start here, far from 0 like the real clock. */
#define T0  (G_GINT64_CONSTANT (5000) * SEC)

typedef SyTestDbFixture Fixture;

static void
assert_close (double got,
              double expected)
{
  g_assert_cmpfloat_with_epsilon (got, expected, 1e-9);
}

static void
test_unknown (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();
  SyModelStats s;
  gint64 until = 42;

  memset (&s, 0x55, sizeof s);
  g_assert_false (sy_stats_get (stats, "openai", "gpt-4.1-mini", &s));
  g_assert_cmpuint (s.samples, ==, 0);
  g_assert_cmpfloat (s.ttft_ewma_ms, <, 0);
  g_assert_cmpfloat (s.ttft_p50_ms, <, 0);
  g_assert_cmpfloat (s.ttft_p90_ms, <, 0);
  g_assert_cmpfloat (s.tps_ewma, <, 0);
  g_assert_cmpfloat (s.tps_p50, <, 0);
  g_assert_cmpfloat (s.error_rate, <, 0);
  g_assert_false (sy_stats_is_cooling (stats, "openai", "gpt-4.1-mini", T0, &until));
  g_assert_cmpint (until, ==, 0);

  /* A success that measured nothing is a sample with unknown figures. */
  sy_stats_record (stats, "openai", "gpt-4.1-mini", 200, -1, -1, T0);
  g_assert_true (sy_stats_get (stats, "openai", "gpt-4.1-mini", &s));
  g_assert_cmpuint (s.samples, ==, 1);
  g_assert_cmpfloat (s.ttft_ewma_ms, <, 0);
  g_assert_cmpfloat (s.ttft_p50_ms, <, 0);
  g_assert_cmpfloat (s.tps_ewma, <, 0);
  g_assert_cmpfloat (s.tps_p50, <, 0);
  g_assert_cmpfloat (s.error_rate, ==, 0);

  /* Keys are provider and model together. */
  g_assert_false (sy_stats_get (stats, "openai", "gpt-4.1", &s));
  g_assert_false (sy_stats_get (stats, "openai/gpt-4.1-mini", "", &s));
}

static void
test_ewma (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();
  SyModelStats s;

  sy_stats_record (stats, "p", "m", 200, 100, 10, T0);
  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  assert_close (s.ttft_ewma_ms, 100);
  assert_close (s.tps_ewma, 10);

  /* 0.2 × 200 + 0.8 × 100 = 120; 0.2 × 20 + 0.8 × 10 = 12 */
  sy_stats_record (stats, "p", "m", 200, 200, 20, T0 + 1);
  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  assert_close (s.ttft_ewma_ms, 120);
  assert_close (s.tps_ewma, 12);

  /* A failure's figures and unknown figures leave the averages alone. */
  sy_stats_record (stats, "p", "m", 500, 5000, 1, T0 + 2);
  sy_stats_record (stats, "p", "m", 200, -1, -1, T0 + 3);
  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  assert_close (s.ttft_ewma_ms, 120);
  assert_close (s.tps_ewma, 12);

  /* 0.2 × 300 + 0.8 × 120 = 156; a non-stream success has no tokens/s. */
  sy_stats_record (stats, "p", "m", 200, 300, -1, T0 + 4);
  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  assert_close (s.ttft_ewma_ms, 156);
  assert_close (s.tps_ewma, 12);
  g_assert_cmpuint (s.samples, ==, 5);
}

static void
test_percentiles (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();
  SyModelStats s;

  /* 10, 20, …, 100 in a shuffled order; tokens/s 1, 2, …, 10. */
  static const guint order[] = { 7, 2, 9, 1, 5, 10, 3, 8, 4, 6 };
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    sy_stats_record (stats, "p", "m", 200, order[i] * 10.0, order[i], T0 + i);

  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  /* Linear between closest ranks: p50 at rank 4.5 of 0…9 = 55, p90 at 8.1 = 91. */
  assert_close (s.ttft_p50_ms, 55);
  assert_close (s.ttft_p90_ms, 91);
  assert_close (s.tps_p50, 5.5);

  /* Odd count: the middle one. */
  sy_stats_record (stats, "p", "m", 200, 1000, 1000, T0 + 20);
  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  assert_close (s.ttft_p50_ms, 60);
  assert_close (s.ttft_p90_ms, 100);
  assert_close (s.tps_p50, 6);

  /* One value is every percentile. */
  sy_stats_record (stats, "p", "one", 200, 42, 7, T0);
  g_assert_true (sy_stats_get (stats, "p", "one", &s));
  assert_close (s.ttft_p50_ms, 42);
  assert_close (s.ttft_p90_ms, 42);
  assert_close (s.tps_p50, 7);
}

static void
test_ring (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();
  SyModelStats s;

  /* 1 … 150: the ring keeps 51 … 150. */
  for (guint i = 1; i <= 150; i++)
    {
      sy_stats_record (stats, "p", "m", 200, i, 1000 - i, T0 + i);
      /* Failures in between do not push successes out. */
      if (i > 140)
        sy_stats_record (stats, "p", "m", 503, -1, -1, T0 + i);
    }

  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  g_assert_cmpuint (s.samples, ==, 160);
  /* sorted[49] = 100, sorted[50] = 101; sorted[89] = 140, sorted[90] = 141 */
  assert_close (s.ttft_p50_ms, 100.5);
  assert_close (s.ttft_p90_ms, 140.1);
  /* tokens/s 850 … 949 */
  assert_close (s.tps_p50, 899.5);
  /* 10 failures among the last 100 samples */
  assert_close (s.error_rate, 0.1);
}

static void
test_error_rate (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();
  SyModelStats s;

  sy_stats_set_health (stats, 0, 60, 120);

  /* 3 provider failures, 1 client fault, 6 successes; 499s are not samples. */
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0);
  sy_stats_record (stats, "p", "m", 429, -1, -1, T0);
  sy_stats_record (stats, "p", "m", 502, -1, -1, T0);
  sy_stats_record (stats, "p", "m", 400, -1, -1, T0);
  for (guint i = 0; i < 6; i++)
    sy_stats_record (stats, "p", "m", 200, 10, 10, T0);
  for (guint i = 0; i < 5; i++)
    sy_stats_record (stats, "p", "m", 499, -1, -1, T0);

  g_assert_true (sy_stats_get (stats, "p", "m", &s));
  g_assert_cmpuint (s.samples, ==, 10);
  assert_close (s.error_rate, 0.3);

  /* Only the last 100 count: 100 failures, then 100 successes. */
  for (guint i = 0; i < 100; i++)
    sy_stats_record (stats, "q", "m", 504, -1, -1, T0);
  g_assert_true (sy_stats_get (stats, "q", "m", &s));
  assert_close (s.error_rate, 1);
  for (guint i = 0; i < 100; i++)
    sy_stats_record (stats, "q", "m", 200, -1, -1, T0);
  g_assert_true (sy_stats_get (stats, "q", "m", &s));
  assert_close (s.error_rate, 0);
  for (guint i = 0; i < 25; i++)
    sy_stats_record (stats, "q", "m", 529, -1, -1, T0);
  g_assert_true (sy_stats_get (stats, "q", "m", &s));
  assert_close (s.error_rate, 0.25);
  g_assert_cmpuint (s.samples, ==, 225);

  /* A client that left says nothing: no entry at all. */
  sy_stats_record (stats, "r", "m", 499, 10, 10, T0);
  g_assert_false (sy_stats_get (stats, "r", "m", &s));
}

static void
assert_cooling (SyStats *stats,
                gint64   now,
                gint64   expected_until)
{
  gint64 until = 0;

  g_assert_true (sy_stats_is_cooling (stats, "p", "m", now, &until));
  g_assert_cmpint (until, ==, expected_until);
  g_assert_true (sy_stats_is_cooling (stats, "p", "m", now, NULL));
}

static void
assert_not_cooling (SyStats *stats,
                    gint64   now)
{
  gint64 until = -1;

  g_assert_false (sy_stats_is_cooling (stats, "p", "m", now, &until));
  g_assert_cmpint (until, ==, 0);
}

static void
test_cooldown_cycle (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();
  gint64 until;
  gint64 until2;

  sy_stats_set_health (stats, 3, 60, 120);

  sy_stats_record (stats, "p", "m", 503, -1, -1, T0);
  sy_stats_record (stats, "p", "m", 200, 10, 10, T0 + 1 * SEC);
  sy_stats_record (stats, "p", "m", 529, -1, -1, T0 + 2 * SEC);
  assert_not_cooling (stats, T0 + 2 * SEC);

  /* The third failure within 60 s: cooling for 120 s from it. */
  sy_stats_record (stats, "p", "m", 504, -1, -1, T0 + 3 * SEC);
  until = T0 + 123 * SEC;
  assert_cooling (stats, T0 + 3 * SEC, until);
  assert_cooling (stats, until - 1, until);
  /* Other models of the provider are not affected. */
  g_assert_false (sy_stats_is_cooling (stats, "p", "other", T0 + 4 * SEC, NULL));

  /* Answers to requests already in flight neither heal nor extend. */
  sy_stats_record (stats, "p", "m", 200, 10, 10, T0 + 10 * SEC);
  assert_cooling (stats, T0 + 11 * SEC, until);
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0 + 12 * SEC);
  assert_cooling (stats, T0 + 13 * SEC, until);

  /* Over: the next request may probe. */
  assert_not_cooling (stats, until);
  assert_not_cooling (stats, until + 30 * SEC);

  /* The probe fails: cooling again at once, one failure is enough. */
  sy_stats_record (stats, "p", "m", 502, -1, -1, until + 30 * SEC);
  until2 = until + 150 * SEC;
  assert_cooling (stats, until + 30 * SEC, until2);
  assert_cooling (stats, until2 - 1, until2);
  assert_not_cooling (stats, until2);

  /* The next probe succeeds: healed, and it takes three failures again. */
  sy_stats_record (stats, "p", "m", 200, 10, 10, until2 + SEC);
  assert_not_cooling (stats, until2 + SEC);
  sy_stats_record (stats, "p", "m", 500, -1, -1, until2 + 2 * SEC);
  sy_stats_record (stats, "p", "m", 500, -1, -1, until2 + 3 * SEC);
  assert_not_cooling (stats, until2 + 3 * SEC);
  sy_stats_record (stats, "p", "m", 500, -1, -1, until2 + 4 * SEC);
  assert_cooling (stats, until2 + 4 * SEC, until2 + 124 * SEC);
}

static void
test_window (void)
{
  g_autoptr(SyStats) stats = sy_stats_new ();

  /* The defaults: 3 failures, 60 s, 120 s. */
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0);
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0 + 30 * SEC);
  /* 61 s after the first: it has left the window. */
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0 + 61 * SEC);
  assert_not_cooling (stats, T0 + 61 * SEC);
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0 + 200 * SEC);
  assert_not_cooling (stats, T0 + 200 * SEC);
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0 + 230 * SEC);
  assert_not_cooling (stats, T0 + 230 * SEC);
  /* 200, 230, 260: exactly 60 s apart still counts. */
  sy_stats_record (stats, "p", "m", 500, -1, -1, T0 + 260 * SEC);
  assert_cooling (stats, T0 + 260 * SEC, T0 + 380 * SEC);

  /* A stricter setting takes effect for what follows. */
  sy_stats_set_health (stats, 1, 10, 5);
  sy_stats_record (stats, "p", "n", 500, -1, -1, T0);
  g_assert_true (sy_stats_is_cooling (stats, "p", "n", T0 + 4 * SEC, NULL));
  g_assert_false (sy_stats_is_cooling (stats, "p", "n", T0 + 5 * SEC, NULL));
}

static void
test_client_faults (void)
{
  static const guint not_failures[] = { 499, 400, 401, 403, 404, 413, 422 };
  static const guint failures[] = { 408, 429, 500, 502, 503, 504, 529 };
  g_autoptr(SyStats) stats = sy_stats_new ();
  SyModelStats s;

  for (guint i = 0; i < G_N_ELEMENTS (not_failures); i++)
    {
      g_autofree char *model = g_strdup_printf ("m%u", not_failures[i]);

      for (guint j = 0; j < 10; j++)
        sy_stats_record (stats, "p", model, not_failures[i], -1, -1, T0 + j * SEC);
      g_assert_false (sy_stats_is_cooling (stats, "p", model, T0 + 10 * SEC, NULL));

      /* 499 is not even a sample; the client's 4xx are samples but not failures. */
      if (not_failures[i] == 499)
        g_assert_false (sy_stats_get (stats, "p", model, &s));
      else
        {
          g_assert_true (sy_stats_get (stats, "p", model, &s));
          g_assert_cmpuint (s.samples, ==, 10);
          assert_close (s.error_rate, 0);
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (failures); i++)
    {
      g_autofree char *model = g_strdup_printf ("m%u", failures[i]);

      for (guint j = 0; j < 3; j++)
        sy_stats_record (stats, "p", model, failures[i], -1, -1, T0 + j * SEC);
      g_assert_true (sy_stats_is_cooling (stats, "p", model, T0 + 10 * SEC, NULL));
      g_assert_true (sy_stats_get (stats, "p", model, &s));
      assert_close (s.error_rate, 1);
    }

  /* A client fault during a probe neither heals nor cools. */
  sy_stats_set_health (stats, 1, 60, 10);
  sy_stats_record (stats, "p", "probe", 500, -1, -1, T0);
  g_assert_true (sy_stats_is_cooling (stats, "p", "probe", T0 + 9 * SEC, NULL));
  sy_stats_record (stats, "p", "probe", 400, -1, -1, T0 + 11 * SEC);
  g_assert_false (sy_stats_is_cooling (stats, "p", "probe", T0 + 11 * SEC, NULL));
  sy_stats_record (stats, "p", "probe", 500, -1, -1, T0 + 12 * SEC);
  g_assert_true (sy_stats_is_cooling (stats, "p", "probe", T0 + 12 * SEC, NULL));
}

typedef struct {
  const char *provider;
  const char *model;
  int         status;
  double      ttft_ms;
  double      tokens_per_s;
  gint64      age_s;       /* before now */
} Row;

static void
write_rows (SyHistory *history,
            const Row *rows,
            guint      n_rows,
            gint64     now)
{
  static guint counter;

  for (guint i = 0; i < n_rows; i++)
    {
      g_autoptr(SyHistoryRecord) r = sy_history_record_new ();

      r->request_id = g_strdup_printf ("sy-seed-%u", counter++);
      r->started_at_us = now - rows[i].age_s * SEC;
      r->provider = g_strdup (rows[i].provider);
      r->model = g_strdup (rows[i].model);
      r->status = rows[i].status;
      r->ttft_ms = rows[i].ttft_ms;
      r->tokens_per_s = rows[i].tokens_per_s;
      sy_history_record (history, g_steal_pointer (&r));
    }
}

static void
assert_same_stats (SyStats    *got,
                   SyStats    *want,
                   const char *provider,
                   const char *model)
{
  SyModelStats a;
  SyModelStats b;

  g_assert_true (sy_stats_get (got, provider, model, &a));
  g_assert_true (sy_stats_get (want, provider, model, &b));
  g_assert_cmpuint (a.samples, ==, b.samples);
  assert_close (a.ttft_ewma_ms, b.ttft_ewma_ms);
  assert_close (a.ttft_p50_ms, b.ttft_p50_ms);
  assert_close (a.ttft_p90_ms, b.ttft_p90_ms);
  assert_close (a.tps_ewma, b.tps_ewma);
  assert_close (a.tps_p50, b.tps_p50);
  assert_close (a.error_rate, b.error_rate);
}

static void
test_seed (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyHistory) history = NULL;
  g_autoptr(SyStats) seeded = sy_stats_new ();
  g_autoptr(SyStats) live = sy_stats_new ();
  gint64 now = g_get_real_time ();
  SyModelStats s;
  /* Oldest first, as they happened. */
  static const Row rows[] = {
    { "openai", "gpt-4.1-mini", 200, 999, 999, 40 * 86400 },   /* older than 30 days */
    { "openai", "gpt-4.1-mini", 200, 100, 50, 600 },
    { "openai", "gpt-4.1-mini", 500, -1, -1, 500 },
    { "openai", "gpt-4.1-mini", 200, 200, 60, 400 },
    { "openai", "gpt-4.1-mini", 499, 5, 5, 350 },              /* client gone */
    { "openai", "gpt-4.1-mini", 400, -1, -1, 300 },            /* client's fault */
    { "openai", "gpt-4.1-mini", 200, 300, -1, 200 },
    { "openai", "gpt-4.1", 429, -1, -1, 100 },
    { "openai", "gpt-4.1", 200, 80, 120, 90 },
    { "anthropic", "claude-haiku-4-5", 200, 400, 80, 10 },
    { NULL, NULL, 404, -1, -1, 5 },                            /* refused before routing */
    { "anthropic", NULL, 502, -1, -1, 5 },
  };

  history = sy_history_new (fixture->path, &error);
  g_assert_no_error (error);
  write_rows (history, rows, G_N_ELEMENTS (rows), now);
  /* 150 more for one model: only the newest 100 are read. */
  for (guint i = 0; i < 150; i++)
    {
      Row row = { "ollama", "llama3.2", i % 10 == 0 ? 503 : 200, 10.0 + i, 100.0 - i / 2.0,
                  3000 - (gint64) i };

      write_rows (history, &row, 1, now);
    }
  sy_history_flush (history);

  /* The writer is still open: seeding reads beside it (WAL). */
  g_assert_true (sy_stats_seed (seeded, fixture->path, &error));
  g_assert_no_error (error);

  /* By hand: samples 100, 500, 200, 400, 200 (the 499 is not one, the 40-day-old
   * row is out); ttft EWMA 100 → 120 → 156; tokens/s 50 → 52. */
  g_assert_true (sy_stats_get (seeded, "openai", "gpt-4.1-mini", &s));
  g_assert_cmpuint (s.samples, ==, 5);
  assert_close (s.ttft_ewma_ms, 156);
  assert_close (s.ttft_p50_ms, 200);
  assert_close (s.ttft_p90_ms, 280);
  assert_close (s.tps_ewma, 52);
  assert_close (s.tps_p50, 55);
  assert_close (s.error_rate, 0.2);

  g_assert_true (sy_stats_get (seeded, "openai", "gpt-4.1", &s));
  g_assert_cmpuint (s.samples, ==, 2);
  assert_close (s.error_rate, 0.5);
  assert_close (s.ttft_ewma_ms, 80);

  /* The same rows fed live, in order, give the same figures. */
  for (guint i = 1; i < G_N_ELEMENTS (rows); i++)
    if (rows[i].provider != NULL && rows[i].model != NULL)
      sy_stats_record (live, rows[i].provider, rows[i].model, rows[i].status,
                       rows[i].ttft_ms, rows[i].tokens_per_s, T0);
  for (guint i = 50; i < 150; i++)
    sy_stats_record (live, "ollama", "llama3.2", i % 10 == 0 ? 503 : 200,
                     10.0 + i, 100.0 - i / 2.0, T0);

  assert_same_stats (seeded, live, "openai", "gpt-4.1-mini");
  assert_same_stats (seeded, live, "openai", "gpt-4.1");
  assert_same_stats (seeded, live, "anthropic", "claude-haiku-4-5");
  assert_same_stats (seeded, live, "ollama", "llama3.2");
  g_assert_true (sy_stats_get (seeded, "ollama", "llama3.2", &s));
  g_assert_cmpuint (s.samples, ==, 100);
  assert_close (s.error_rate, 0.1);
  g_assert_false (sy_stats_get (seeded, "anthropic", "", &s));

  /* History is not health: failures in it cool nothing down. */
  g_assert_false (sy_stats_is_cooling (seeded, "openai", "gpt-4.1", g_get_monotonic_time (), NULL));

  /* Seeding again from a closed database reads the same. */
  sy_history_close (history);
  {
    g_autoptr(SyStats) again = sy_stats_new ();

    g_assert_true (sy_stats_seed (again, fixture->path, &error));
    g_assert_no_error (error);
    assert_same_stats (again, seeded, "openai", "gpt-4.1-mini");
    assert_same_stats (again, seeded, "ollama", "llama3.2");
  }
}

static void
test_seed_missing (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyStats) stats = sy_stats_new ();
  g_autofree char *nowhere = g_build_filename (fixture->dir, "no", "such", "history.db", NULL);
  g_autofree char *empty = g_build_filename (fixture->dir, "empty.db", NULL);
  SyModelStats s;

  g_assert_true (sy_stats_seed (stats, fixture->path, &error));
  g_assert_no_error (error);
  g_assert_true (sy_stats_seed (stats, nowhere, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  /* A zero-length file (created, never written) holds nothing yet. */
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (sy_stats_seed (stats, empty, &error));
  g_assert_no_error (error);

  /* A fresh history with no rows. */
  {
    g_autoptr(SyHistory) history = sy_history_new (fixture->path, &error);

    g_assert_no_error (error);
    g_assert_true (sy_stats_seed (stats, fixture->path, &error));
    g_assert_no_error (error);
  }

  g_assert_false (sy_stats_get (stats, "openai", "gpt-4.1-mini", &s));
}

static void
test_seed_not_ours (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SyStats) stats = sy_stats_new ();
  g_autofree char *text = g_build_filename (fixture->dir, "notes.txt", NULL);
  sqlite3 *db = NULL;

  g_assert_true (g_file_set_contents (text, "not a database, but long enough to look at it",
                                      -1, NULL));
  g_assert_false (sy_stats_seed (stats, text, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Someone else's SQLite file. */
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE requests (provider TEXT)", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  sqlite3_close (db);
  g_assert_false (sy_stats_seed (stats, fixture->path, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* Run with -m perf: a generated history of SY_STATS_BENCH_ROWS rows (default
 * 1,000,000) over 60 days and 200 provider+model pairs. A measurement, not a
 * test: it asserts only that seeding worked. */
static void
test_seed_perf (Fixture       *fixture,
                gconstpointer  data)
{
  const char *env = g_getenv ("SY_STATS_BENCH_ROWS");
  guint n = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 1000000;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  gint64 now = g_get_real_time ();
  gint64 span = G_GINT64_CONSTANT (60) * 86400 * SEC;
  sqlite3 *db = NULL;
  sqlite3_stmt *insert = NULL;
  gint64 started;
  double seconds;
  SyModelStats s;

  /* The schema from the real writer, then rows in bulk through plain SQL. */
  {
    g_autoptr(SyHistory) history = sy_history_new (fixture->path, &error);

    g_assert_no_error (error);
    sy_history_close (history);
  }

  started = g_get_monotonic_time ();
  g_assert_cmpint (sqlite3_open (fixture->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO requests (request_id, started_at, provider,"
                                       " model, status, ttft_ms, tokens_per_s, total_ms)"
                                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                       -1, &insert, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("sy-bench-%u", i);
      g_autofree char *provider = g_strdup_printf ("provider-%02d", g_rand_int_range (rand, 0, 8));
      g_autofree char *model = g_strdup_printf ("model-%02d", g_rand_int_range (rand, 0, 25));
      int status = g_rand_int_range (rand, 0, 20) == 0 ? 503 : 200;

      sqlite3_bind_text (insert, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (insert, 2, now - span + (gint64) ((double) i / n * span));
      if (i % 50 == 0)
        {
          sqlite3_bind_null (insert, 3);
          sqlite3_bind_null (insert, 4);
        }
      else
        {
          sqlite3_bind_text (insert, 3, provider, -1, SQLITE_STATIC);
          sqlite3_bind_text (insert, 4, model, -1, SQLITE_STATIC);
        }
      sqlite3_bind_int (insert, 5, status);
      sqlite3_bind_double (insert, 6, g_rand_double_range (rand, 50, 2000));
      sqlite3_bind_double (insert, 7, g_rand_double_range (rand, 10, 200));
      sqlite3_bind_double (insert, 8, g_rand_double_range (rand, 100, 20000));
      g_assert_cmpint (sqlite3_step (insert), ==, SQLITE_DONE);
      sqlite3_reset (insert);
    }
  sqlite3_finalize (insert);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  g_test_message ("generated %u rows in %.1f s", n,
                  (g_get_monotonic_time () - started) / (double) SEC);

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(SyStats) stats = sy_stats_new ();

      started = g_get_monotonic_time ();
      g_assert_true (sy_stats_seed (stats, fixture->path, &error));
      g_assert_no_error (error);
      seconds = (g_get_monotonic_time () - started) / (double) SEC;
      g_assert_true (sy_stats_get (stats, "provider-03", "model-07", &s));
      g_assert_cmpuint (s.samples, ==, 100);
      g_test_minimized_result (seconds, "seeded 200 pairs from %u rows in %.1f ms (round %u)",
                               n, seconds * 1000, round + 1);
    }

  if (g_getenv ("SY_STATS_BENCH_KEEP") != NULL)
    {
      g_autofree char *kept = g_build_filename (g_get_tmp_dir (), "sy-stats-bench.db", NULL);

      g_assert_cmpint (g_rename (fixture->path, kept), ==, 0);
      g_test_message ("kept %s", kept);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stats/unknown", test_unknown);
  g_test_add_func ("/stats/ewma", test_ewma);
  g_test_add_func ("/stats/percentiles", test_percentiles);
  g_test_add_func ("/stats/ring", test_ring);
  g_test_add_func ("/stats/error-rate", test_error_rate);
  g_test_add_func ("/stats/cooldown-cycle", test_cooldown_cycle);
  g_test_add_func ("/stats/window", test_window);
  g_test_add_func ("/stats/client-faults", test_client_faults);

#define ADD(name, func) \
  g_test_add (name, Fixture, NULL, sy_test_db_fixture_setup, func, sy_test_db_fixture_teardown)

  ADD ("/stats/seed", test_seed);
  ADD ("/stats/seed-missing", test_seed_missing);
  ADD ("/stats/seed-not-ours", test_seed_not_ours);
  if (g_test_perf ())
    ADD ("/stats/seed-perf", test_seed_perf);

#undef ADD

  return g_test_run ();
}
