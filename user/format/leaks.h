/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* goscope stacks --leaks: the ranked suspects as a table with their stacks, or JSON lines. */
#ifndef GS_FORMAT_LEAKS_H
#define GS_FORMAT_LEAKS_H

#include <stdio.h>
#include <sys/types.h>
#include "engine/leaks.h"

void leaks_print_text(FILE *out, struct leaks *lk, pid_t pid, const char *comm,
		      const char *version);
/* One JSON object per suspect. Returns 0, or -1 when out of memory. */
int leaks_print_json(FILE *out, struct leaks *lk);

#endif
