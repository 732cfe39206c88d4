/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-target state fed by the probes' events: a ring of recent GC cycles with their
 * stop-the-world pauses, a ring of other pauses, and pause statistics over a window. Outputs
 * read it; it knows nothing of how it is displayed.
 */
#ifndef GS_MODEL_H
#define GS_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "goscope.h"

#define MODEL_GC_RING		1024
#define MODEL_STW_RING		1024

struct gc_cycle {
	struct gs_gc_end ev;		/* everything the probe read */
	uint64_t ktime_ns;		/* when the probe fired (CLOCK_MONOTONIC) */
	int64_t sweep_pause_ns;		/* sweep-termination stop-the-world; -1: unknown */
	int64_t markterm_pause_ns;	/* mark-termination stop-the-world; -1: unknown */
	bool pauses_exact;		/* both known, and they add up to work.pauseNS by construction */
};

struct stw_pause {
	uint64_t ktime_ns;
	uint64_t duration_ns;
	uint32_t reason;		/* stwReason; 0 when the release does not say */
	bool gc;			/* part of a GC cycle */
	bool approximate;
};

struct pause_stats {
	uint64_t count;
	uint64_t p50_ns, p99_ns, max_ns, total_ns;
};

struct model {
	int minor;			/* Go 1.minor of the target */
	struct gc_cycle gc[MODEL_GC_RING];
	uint64_t ngc;			/* cycles ever added; the ring holds the last MODEL_GC_RING */
	struct stw_pause stw[MODEL_STW_RING];
	uint64_t nstw;			/* pauses ever added, GC ones included */
};

void model__init(struct model *m, int minor);

/* A completed cycle; its GC pauses are derived here and also added to the pause ring. */
const struct gc_cycle *model__add_gc(struct model *m, const struct gs_gc_end *e);
void model__add_stw(struct model *m, const struct gs_stw *e);

/* The i-th most recent cycle (0 = newest), or NULL. */
const struct gc_cycle *model__gc_recent(const struct model *m, uint64_t i);

/* Pauses that ended at or after since_ns (ktime); gc selects GC (true) or other (false) pauses. */
void model__pause_stats(const struct model *m, uint64_t since_ns, bool gc, struct pause_stats *out);

#endif
