/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One sample of a process as JSON: the "metrics" and "goroutines" members, written by the same
 * code, with the same names, into record's sample lines and stat --json (docs/record.md).
 */
#ifndef GS_FORMAT_SNAPSHOT_H
#define GS_FORMAT_SNAPSHOT_H

#include "format/json.h"

struct watched;

/* "metrics": every catalog metric of w's release, from w->cur; exact integers, null for NaN. */
void snapshot_put_metrics(struct json *j, const struct watched *w);

/*
 * "goroutines": user goroutines by state, system goroutines, waiting ones by the target's wait
 * reason (most frequent first), and walk_partial (the walk's time budget ran out).
 */
void snapshot_put_goroutines(struct json *j, const struct watched *w);

#endif
