/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * runtime/metrics as the Prometheus Go client's Go collector exports them from inside a program
 * with collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll): one family per metric
 * under internal.RuntimeMetricsToProm's name (rtm_prom_name), counters for cumulative scalars,
 * gauges for the rest, and histograms re-bucketed by unit as client_golang re-buckets them, so
 * that the series, bucket bounds included, are the ones a dashboard built on client_golang
 * expects. Values goscope computed for a release that lacks the metric carry
 * computed_by="goscope".
 */
#ifndef GS_FORMAT_PROM_RTM_H
#define GS_FORMAT_PROM_RTM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "goruntime/rtmetrics.h"

struct prom;

/*
 * A number as client_golang's text exposition writes it, in sample values and in le labels:
 * "1", "0", "-1", "NaN", "+Inf", "-Inf", otherwise Go's strconv.FormatFloat(v, 'g', -1, 64):
 * the shortest digits that read back as v, in exponent form below 1e-4 and from 1e+06 on
 * ("6.399999999999999e-08", "8.999999999999998", "1.048576e+06"). Returns buf.
 */
const char *prom_go_float(char *buf, size_t len, double v);

/*
 * A runtime histogram as client_golang exports it: the runtime's bounds reduced for the unit
 * (bytes: a bound at least twice the previous one; seconds: at least ten times, and everything
 * above 1 s in the +Inf bucket; other units as they are), -Inf dropped, and the runtime's
 * counts added up into the reduced buckets.
 */
struct prom_rtm_hist {
	uint32_t n;			/* buckets; bounds has n + 1 entries */
	double *bounds;			/* lower bounds, inclusive; the last is +Inf */
	uint64_t *counts;		/* n counts, not cumulative */
};

/*
 * Reduce h for unit into out, whose bounds and counts must each have room for h->n + 1 entries.
 * Returns 0, or -EINVAL for a histogram without finite bounds.
 */
int prom_rtm_rebucket(const struct rtm_hist *h, const char *unit, struct prom_rtm_hist *out);

/*
 * What client_golang writes as a histogram's _sum: the exact sum where one exists (allocs-by-size
 * and frees-by-size: /gc/heap/allocs:bytes and /gc/heap/frees:bytes, from the same reading),
 * otherwise each bucket's lower bound times its count, added up in bucket order (an
 * underestimate).
 */
double prom_rtm_hist_sum(const struct prom_rtm_hist *h, const struct rtm_values *v,
			 enum rtm_id id);

/*
 * Every runtime/metrics family: one line per process (vals[i], or NULL for a process without a
 * fresh reading) labelled labels[i]. Metrics whose client_golang name skip(name) accepts are
 * left out (exported elsewhere under that name); histograms only when histograms is true.
 */
void prom_render_rtm(struct prom *p, const struct rtm_values *const *vals,
		     const struct prom *labels, size_t n, bool histograms,
		     bool (*skip)(const char *name));

/* The label a backfilled value carries. */
#define PROM_RTM_BACKFILLED "computed_by=\"goscope\""

#endif
