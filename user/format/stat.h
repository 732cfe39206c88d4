/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * goscope stat's report of one process: the table for people and the JSON object for scripts.
 * The JSON's "metrics" and "goroutines" are format/snapshot.c's, as in record's sample lines.
 */
#ifndef GS_FORMAT_STAT_H
#define GS_FORMAT_STAT_H

#include <stdbool.h>
#include <stdio.h>
#include "engine/model.h"

struct watched;

struct stat_report {
	const struct watched *w;	/* w->cur: the newest sample */
	struct model_rates rates;	/* over the window; span_s 0: no window */
	bool pauses;			/* the probes watched the window: pauses are known */
};

void stat_print_table(FILE *f, const struct stat_report *r);
/* One JSON object and a newline. Returns 0, or -1 when out of memory. */
int stat_print_json(FILE *f, const struct stat_report *r);

#endif
