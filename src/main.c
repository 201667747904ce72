/* main.c — `switchyard` opens the window, `switchyard serve` runs the router headless.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib.h>

int
main (int   argc,
      char *argv[])
{
  return 0;
}
