/* sy-gui-test-util.h — building the real window in tests: services on a temp config, waiting.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sy-services.h"
#include "sy-test-util.h"
#include "sy-window.h"

G_BEGIN_DECLS

/* adw_init () and the settings backend; call first in main (). */
void        sy_gui_test_init          (int    *argc,
                                       char ***argv);

typedef struct {
  char       *dir;          /* temp dir: config.json, history.db */
  char       *config_path;
  char       *db_path;
  SyServices *services;
  SyWindow   *window;       /* presented */
} SyGuiTest;

/* Writes @config_json ("@MOCK@" → the mock's base URL when @mock is not NULL),
 * loads it like the app does, builds the services (with the app's settings schema
 * on a memory backend) and presents the real window. The endpoint is not started. */
SyGuiTest  *sy_gui_test_new           (const char *config_json,
                                       SyTestProc *mock);
/* The same without a window (@window NULL): for tests of the application. */
SyGuiTest  *sy_gui_test_new_services  (const char *config_json,
                                       SyTestProc *mock);
/* Closes the window, stops the endpoint, removes the temp dir. */
void        sy_gui_test_free          (SyGuiTest  *test);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyGuiTest, sy_gui_test_free)

/* Runs the default main context until @done (@data) is TRUE; fails the test after
 * @timeout_s seconds naming @what. */
void        sy_gui_test_wait          (gboolean  (*done) (gpointer data),
                                       gpointer    data,
                                       double      timeout_s,
                                       const char *what);
/* Runs the main context for @ms milliseconds (lets frames draw). */
void        sy_gui_test_run_for       (guint       ms);

/* Starts the endpoint and waits until it listens; returns its port. */
guint       sy_gui_test_start_endpoint (SyGuiTest *test);

/* The config file on disk, parsed. */
JsonNode   *sy_gui_test_read_config   (SyGuiTest  *test);

/* The first descendant of @root (depth first) of @type whose
 * title (AdwPreferencesRow), label (GtkButton, GtkLabel) or tooltip is @name;
 * NULL when none. A test finds controls as a screen reader user would. */
GtkWidget  *sy_gui_test_find          (GtkWidget  *root,
                                       GType       type,
                                       const char *name);

/* The first descendant of @root (depth first, @root included) that @match
 * accepts with @data; NULL when none. */
GtkWidget  *sy_gui_test_find_by       (GtkWidget  *root,
                                       gboolean  (*match) (GtkWidget *widget, gconstpointer data),
                                       gconstpointer data);
/* The first descendant of @root of @type. */
GtkWidget  *sy_gui_test_find_type     (GtkWidget  *root,
                                       GType       type);

/* Waits until the request detail (SyRequestDetail) under @root shows @needle
 * in its tab @tab ("route", "request" or "response"); fails the test after
 * @timeout_s seconds. */
void        sy_gui_test_wait_detail   (GtkWidget  *root,
                                       const char *tab,
                                       const char *needle,
                                       double      timeout_s);

/* The visible toplevel window of @type (a dialog, a file chooser), or NULL. */
GtkWindow  *sy_gui_test_find_toplevel (GType       type);

/* Answers the file chooser being opened (waits for it) with @path, as a user
 * would: in save mode its folder and name, in open mode the file. */
void        sy_gui_test_choose_file   (const char *path);

G_END_DECLS
