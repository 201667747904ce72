/* sy-test-util.h — helpers shared by the test programs: temp dirs, child processes, HTTP.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A fresh directory under $TMPDIR, removed by sy_test_rmdir (). */
char *sy_test_mkdtemp (void);
void  sy_test_rmdir   (const char *path);

G_END_DECLS
