// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "format/catalog.h"
#include "goruntime/metrics.h"

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
