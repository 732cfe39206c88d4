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

struct rtm_def;
struct rtm_value;
struct rtm_values;

/* The /godebug/non-default-behavior/NAME:events counters, as members of the open object. */
void snapshot_put_godebug(struct json *j, const struct rtm_values *r);

/* One runtime/metrics value under key: a number, or {"buckets": [...], "counts": [...]}. */
void snapshot_put_rtm_value(struct json *j, const char *key, const struct rtm_def *d,
			    const struct rtm_value *v);

/*
 * "runtime_metrics": every metric of the target's runtime/metrics by its exact name (and the
 * ones goscope backfills for older releases); "runtime_metrics_backfilled": the names goscope
 * computed itself; "runtime_metrics_unreadable": name -> why, for metrics of the release whose
 * inputs goscope could not find. null without a reading.
 */
void snapshot_put_runtime_metrics(struct json *j, const struct watched *w);

/*
 * "runtime_metrics_backfilled" (names goscope computed for an older release) and
 * "runtime_metrics_unreadable" (name -> why), after a "runtime_metrics" object.
 */
void snapshot_put_rtm_status(struct json *j, const struct rtm_values *r);

/* "memstats": every runtime.MemStats field by its Go name, as ReadMemStats fills them. */
void snapshot_put_memstats(struct json *j, const struct watched *w);

#endif
