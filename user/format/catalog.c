// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "format/catalog.h"
#include "goruntime/metrics.h"
#include "goruntime/rtmetrics.h"

/* What stat and record report besides the catalog's gauges. */
static const struct {
	const char *name, *unit, *kind, *runtime_name, *help;
} derived[] = {
	{ "goroutines.by_state", "count", "gauge", "(Go 1.26: /sched/goroutines/*)",
	  "user goroutines running, runnable, waiting, in a syscall, other (walk of allgs)" },
	{ "goroutines.wait_reasons", "count", "gauge", "g.waitreason",
	  "waiting user goroutines by the runtime's wait reason" },
	{ "goroutines.walk_partial", "boolean", "gauge", "",
	  "the walk of allgs ran out of its time budget: the counts above are partial" },
	{ "rates.alloc_bytes_per_second", "bytes/second", "gauge", "",
	  "TotalAlloc growth over the window" },
	{ "rates.alloc_objects_per_second", "objects/second", "gauge", "",
	  "Mallocs growth over the window" },
	{ "rates.gc_cycles_per_second", "cycles/second", "gauge", "",
	  "NumGC growth over the window" },
	{ "rates.gc_cpu_percent", "percent", "gauge", "",
	  "GC CPU of the cycles in the window over GOMAXPROCS x window (root: probes)" },
	{ "pauses.gc", "nanoseconds", "gauge", "/gc/pauses:seconds",
	  "GC stop-the-world pauses in the window: count, p50, p99, max" },
	{ "pauses.other", "nanoseconds", "gauge", "/sched/pauses/total/other:seconds",
	  "other stop-the-world pauses with reasons (1.21+)" },
};

#define ROW "%-30s %-17s %-8s %-44s %s\n"

void catalog_print(FILE *f)
{
	size_t i;

	fprintf(f, ROW, "NAME", "UNIT", "KIND", "RUNTIME EQUIVALENT", "DESCRIPTION");
	for (i = 0; i < metric_count; i++) {
		const struct metric_def *d = &metric_defs[i];

		fprintf(f, ROW, d->name, metric_unit_name(d->unit), d->kind, d->runtime_name,
			d->help);
	}
	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++)
		fprintf(f, ROW, derived[i].name, derived[i].unit, derived[i].kind,
			derived[i].runtime_name, derived[i].help);
}

/* The oldest and newest releases of the matrix goscope is tested on. */
#define OLDEST_MINOR	19
#define NEWEST_MINOR	27

static const char *kind_name(const struct rtm_def *d)
{
	if (d->kind == RTM_KIND_HISTOGRAM)
		return "histogram";
	return d->cumulative ? "counter" : "gauge";
}

void catalog_print_runtime_metrics(FILE *f)
{
	char rel[48], prom[128];
	int i;

	fprintf(f, "\nruntime/metrics, all of them: stat --json \"runtime_metrics\", record, serve "
		"(client_golang's names)\n");
	fprintf(f, "%-46s %-9s %-22s %-58s %s\n", "NAME", "KIND", "RELEASES", "PROMETHEUS",
		"DESCRIPTION");
	for (i = 0; i < RTM_NR; i++) {
		const struct rtm_def *d = &rtm_defs[i];
		int n;

		n = snprintf(rel, sizeof(rel), "1.%d+", d->min_minor < OLDEST_MINOR ? OLDEST_MINOR :
			     d->min_minor);
		if (d->backfill_minor && d->backfill_minor == d->min_minor - 1)
			snprintf(rel + n, sizeof(rel) - (size_t)n, ", goscope 1.%d", d->backfill_minor);
		else if (d->backfill_minor)
			snprintf(rel + n, sizeof(rel) - (size_t)n, ", goscope 1.%d-1.%d",
				 d->backfill_minor, d->min_minor - 1);
		fprintf(f, "%-46s %-9s %-22s %-58s %s\n", d->name, kind_name(d), rel,
			rtm_prom_name(d->name, d->cumulative && d->kind != RTM_KIND_HISTOGRAM, prom,
				      sizeof(prom)) ? prom : "?", d->help);
	}
	fprintf(f, "%-46s %-9s %-22s %-58s %s\n", "/godebug/non-default-behavior/NAME:events",
		"counter", "1.21+", "go_godebug_non_default_behavior_NAME_events_total",
		"times the non-default value of GODEBUG setting NAME changed what the program did");
	fprintf(f, "\nThe GODEBUG counters: one per setting of the target's internal/godebugs.All that "
		"is not opaque\n(19 on Go 1.21, 42 on Go 1.27), read from internal/godebug's cache; a "
		"setting the program\nstarts using shows within 10 s.\n");
	fprintf(f, "\nRELEASES: where the target's own runtime/metrics lists the metric; \"goscope "
		"1.A-1.B\": on those older\nreleases goscope computes it from what the runtime keeps "
		"(marked as backfilled in JSON,\ncomputed_by=\"goscope\" in Prometheus).\n");
	fprintf(f, "\nruntime.MemStats, every field: stat --json \"memstats\" (Go names; Lookups is "
		"always 0, DebugGC false,\nEnableGC true, as ReadMemStats sets them)\n");
}
