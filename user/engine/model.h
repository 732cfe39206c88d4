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
#include "target/sampler.h"
#include "goruntime/rtmetrics.h"

#define MODEL_GC_RING		1024
#define MODEL_STW_RING		1024
#define MODEL_HIST		720	/* samples kept: 12 minutes at the default 1 s */

struct gc_cycle {
	struct gs_gc_end ev;		/* everything the probe read */
	uint64_t ktime_ns;		/* when the probe fired (CLOCK_MONOTONIC) */
	int64_t sweep_pause_ns;		/* sweep-termination stop-the-world; -1: unknown */
	int64_t markterm_pause_ns;	/* mark-termination stop-the-world; -1: unknown */
	/*
	 * Both measured (the runtime's clock up to 1.21, the stop-the-world probe from 1.22); they
	 * add up to work.pauseNS. Otherwise derived from that total (see derive_pauses).
	 */
	bool pauses_exact;
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

/* What the history keeps of each sample, for graphs and rates over a window. */
struct model_point {
	uint64_t mono_ns;
	uint64_t heap_alloc, heap_goal, total_alloc, mallocs;
	int64_t goroutines;
	uint32_t num_gc;
	int32_t gomaxprocs;
	uint64_t last_pause_ns;		/* the runtime's PauseNs of its last cycle, as sampled */
	uint64_t max_pause_ns;		/* longest cycle pause since the previous point; 0: none */
};

/* Rates between two samples. */
struct model_rates {
	double span_s;			/* 0: the two points do not make a window */
	double alloc_bytes_per_s;
	double alloc_objects_per_s;
	double gc_per_s;
	double gc_cpu_percent;		/* <0: unknown (needs the GC probes) */
};

/* Rates and pauses over a window ending now, for the overview. */
struct model_window {
	double span_s;			/* the window actually covered by samples; 0: not enough yet */
	double alloc_bytes_per_s;
	double gc_per_s;
	double gc_cpu_percent;		/* <0: unknown (needs the GC probes) */
	uint64_t last_pause_ns;		/* the last cycle's stop-the-world pauses (work.pauseNS) */
	uint64_t max_pause_ns;		/* the longest of any cycle that ended in the pause window;
					   0: no cycle ended in it */
	bool have_pause;
	bool goroutines_growing;	/* the floor rose quarter over quarter for a whole minute */
};

/*
 * What the window views of runtime/metrics need from the past, kept every few seconds: the CPU
 * classes, the mutex wait total and the scheduling-latency histogram.
 */
#define MODEL_RTM_RING		16
#define MODEL_RTM_STEP_NS	5000000000ull
#define MODEL_LAT_MAX		1024

struct model_rtm_point {
	uint64_t mono_ns;
	bool have_cpu, have_mutex, have_lat;
	double cpu[11];			/* enum rtm_cpu order, seconds */
	double mutex_s;
	uint32_t nlat;
	uint64_t lat[MODEL_LAT_MAX];
};

/* runtime/metrics over a window ending at the newest sample. */
struct model_rtm_window {
	double span_s;			/* 0: not enough history */
	bool have_cpu, have_mutex, have_lat;
	double cpu[11];			/* seconds of CPU of each class in the window */
	double mutex_per_s;		/* seconds of mutex wait per second */
	struct rtm_hist lat;		/* scheduling latencies in the window (counts are the model's) */
};

struct model {
	int minor;
	struct model_rtm_point rtm[MODEL_RTM_RING];
	uint64_t nrtm;
	uint64_t win_lat[MODEL_LAT_MAX];	/* the window's latency counts, for the caller */			/* Go 1.minor of the target */
	bool probed;			/* the GC probes feed it: no cycle means no GC */
	struct model_point hist[MODEL_HIST];
	uint64_t nhist;
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

/* Remember a successful sample in the history. */
void model__add_sample(struct model *m, const struct rt_sample *s);

/* runtime/metrics of the newest sample against the oldest kept point at most win_ns older. */
void model__rtm_window(struct model *m, const struct rt_sample *now, uint64_t win_ns,
		       struct model_rtm_window *out);

/* The i-th most recent history point (0 = newest), or NULL. */
const struct model_point *model__point(const struct model *m, uint64_t i);

/*
 * Rates over the last rate_ns, the longest pause over the last pause_ns, and whether goroutines
 * have been growing for a minute, all as of the newest sample.
 */
void model__window(const struct model *m, uint64_t rate_ns, uint64_t pause_ns,
		   struct model_window *out);

/*
 * GC CPU of the cycles that ended in [since_ns, until_ns] as a percentage of the CPU time
 * gomaxprocs Ps had in that span: the components gctrace prints as "ms cpu" (stop-the-world,
 * assists, background marking), idle marking excluded as GCCPUFraction excludes it.
 */
double model__gc_cpu_percent(const struct model *m, uint64_t since_ns, uint64_t until_ns,
			     int gomaxprocs);

/*
 * Rates from point a to the later point b: allocation (bytes, objects) and GC cycles per second,
 * and GC CPU of the cycles that ended between them when the probes feed the model.
 */
void model__rates(const struct model *m, const struct model_point *a, const struct model_point *b,
		  struct model_rates *out);

/* Pauses that ended at or after since_ns (ktime); gc selects GC (true) or other (false) pauses. */
void model__pause_stats(const struct model *m, uint64_t since_ns, bool gc, struct pause_stats *out);

#endif
