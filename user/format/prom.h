/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The Prometheus text exposition format (version 0.0.4): a writer that gets the escaping right
 * (HELP text, label values, valid UTF-8), and the exposition of a set of watched Go processes
 * under the names the Prometheus Go client uses inside a process (go_goroutines,
 * go_memstats_*, go_gc_duration_seconds, every runtime/metrics metric …) plus goscope's own, one label set (pid, comm,
 * go_version) per process.
 */
#ifndef GS_OUT_PROM_H
#define GS_OUT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

struct watched;
struct otlp_push_stats;

struct prom {
	struct buf b;
};

void prom_reset(struct prom *p);
void prom_free(struct prom *p);

/* "# HELP name help" and "# TYPE name type". */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);
/* Append name="value" to a label list being built in l (comma-separated, escaped). */
void prom_label(struct prom *l, const char *name, const char *value);
/*
 * One sample line: name{labels,extra} value. labels is a list built with prom_label (or NULL);
 * extra is a fixed fragment such as quantile="0.5" (or NULL). Integers print exactly.
 */
void prom_sample_f64(struct prom *p, const char *name, const struct prom *labels,
		     const char *extra, double v);
void prom_sample_u64(struct prom *p, const char *name, const struct prom *labels,
		     const char *extra, uint64_t v);

/* The pause histogram's bucket bounds in seconds (+Inf implied). */
#define PROM_PAUSE_BUCKETS 14

/* What serve keeps per process between samples: GC pauses as the probes saw them. */
struct prom_proc {
	uint64_t pause_le[PROM_PAUSE_BUCKETS];	/* pauses ≤ each bound (not cumulative) */
	uint64_t pause_count;
	uint64_t pause_sum_ns;
};

void prom_observe_pause(struct prom_proc *pp, uint64_t ns);

/* What to leave out of the exposition. */
struct prom_opts {
	bool no_runtime_histograms;	/* the runtime/metrics histograms (serve --no-runtime-histograms) */
};

/*
 * The whole exposition for the processes given, each with what serve kept of its pauses (pps[i],
 * or NULL): every family once with HELP and TYPE, then one line per process. Processes whose
 * samples carry all of runtime/metrics (engine_opts.metrics) also get every runtime/metrics
 * family (format/prom_rtm.h) and the rest of client_golang's go_memstats_*. o may be NULL.
 */
void prom_render(struct prom *p, const struct watched *const *ws,
		 const struct prom_proc *const *pps, size_t n, const struct prom_opts *o);

/*
 * goscope's own OTLP push counters (serve --otlp): goscope_otlp_pushed_points_total,
 * goscope_otlp_dropped_points_total{reason}, goscope_otlp_queued_requests; appended to p.
 */
void prom_render_otlp(struct prom *p, const struct otlp_push_stats *st);

/* go_gc_duration_seconds' quantiles (0, .25, .5, .75, 1) of a sample's pause ring, in ns. */
void prom_pause_quantiles(const uint64_t *ring, uint32_t num_gc, uint64_t q[5]);

#endif
