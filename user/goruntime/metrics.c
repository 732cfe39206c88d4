// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include "goruntime/metrics.h"
#include "util/units.h"

#define O(f) offsetof(struct rt_sample, f)

const struct metric_def metric_defs[] = {
	{ "HeapAlloc", MU_BYTES, "gauge", "heap", "MemStats.HeapAlloc",
	  "bytes of allocated heap objects", MT_U64, O(heap_alloc), 0 },
	{ "TotalAlloc", MU_BYTES, "counter", "heap", "MemStats.TotalAlloc, /gc/heap/allocs:bytes",
	  "cumulative bytes allocated for heap objects", MT_U64, O(total_alloc), 0 },
	{ "Mallocs", MU_OBJECTS, "counter", "heap", "MemStats.Mallocs",
	  "cumulative count of heap objects allocated (tiny allocations included)", MT_U64,
	  O(mallocs), 0 },
	{ "Frees", MU_OBJECTS, "counter", "heap", "MemStats.Frees",
	  "cumulative count of heap objects freed", MT_U64, O(frees), 0 },
	{ "HeapObjects", MU_OBJECTS, "gauge", "heap", "MemStats.HeapObjects",
	  "number of allocated heap objects", MT_U64, O(heap_objects), 0 },
	{ "HeapSys", MU_BYTES, "gauge", "heap", "MemStats.HeapSys",
	  "bytes of heap memory obtained from the OS", MT_U64, O(heap_sys), 0 },
	{ "HeapIdle", MU_BYTES, "gauge", "heap", "MemStats.HeapIdle",
	  "bytes in idle (unused) heap spans", MT_U64, O(heap_idle), 0 },
	{ "HeapInuse", MU_BYTES, "gauge", "heap", "MemStats.HeapInuse",
	  "bytes in in-use heap spans", MT_U64, O(heap_inuse), 0 },
	{ "HeapReleased", MU_BYTES, "gauge", "heap", "MemStats.HeapReleased",
	  "bytes of physical memory returned to the OS", MT_U64, O(heap_released), 0 },
	{ "StackInuse", MU_BYTES, "gauge", "heap", "MemStats.StackInuse",
	  "bytes in stack spans (includes per-P stack caches that ReadMemStats flushes first)",
	  MT_U64, O(stack_inuse), 0 },
	{ "StackSys", MU_BYTES, "gauge", "heap", "MemStats.StackSys",
	  "bytes of stack memory obtained from the OS", MT_U64, O(stack_sys), 0 },
	{ "NextGC", MU_BYTES, "gauge", "gc", "MemStats.NextGC, /gc/heap/goal:bytes",
	  "heap goal: the heap size at which the current or next cycle aims to finish",
	  MT_U64, O(next_gc), 0 },
	{ "NumGC", MU_COUNT, "counter", "gc", "MemStats.NumGC, /gc/cycles/total:gc-cycles",
	  "completed GC cycles", MT_U32, O(num_gc), 0 },
	{ "NumForcedGC", MU_COUNT, "counter", "gc", "MemStats.NumForcedGC, /gc/cycles/forced:gc-cycles",
	  "GC cycles forced by runtime.GC or debug.FreeOSMemory", MT_U32, O(num_forced_gc), 0 },
	{ "PauseTotalNs", MU_NS, "counter", "gc", "MemStats.PauseTotalNs",
	  "cumulative stop-the-world pause time of all GC cycles", MT_U64, O(pause_total_ns), 0 },
	{ "LastPauseNs", MU_NS, "gauge", "gc", "MemStats.PauseNs[(NumGC+255)%256]",
	  "stop-the-world pause time of the last GC cycle", MT_U64, O(last_pause_ns), 0 },
	{ "LastGC", MU_UNIX_NS, "gauge", "gc", "MemStats.LastGC",
	  "when the last GC cycle finished, nanoseconds since 1970", MT_U64, O(last_gc_unix_ns), 0 },
	{ "GCCPUFraction", MU_FRACTION, "gauge", "gc", "MemStats.GCCPUFraction",
	  "fraction of the CPU time available to the program used by the GC since it started",
	  MT_F64, O(gc_cpu_fraction), 0 },
	{ "/gc/gogc:percent", MU_PERCENT, "gauge", "gc", "/gc/gogc:percent, GOGC",
	  "GOGC: heap growth that triggers a cycle; negative means off", MT_I32, O(gogc), 0 },
	{ "/gc/gomemlimit:bytes", MU_BYTES, "gauge", "gc", "/gc/gomemlimit:bytes, GOMEMLIMIT",
	  "GOMEMLIMIT: the soft memory limit", MT_I64, O(gomemlimit), 0 },
	{ "/gc/heap/live:bytes", MU_BYTES, "gauge", "gc", "/gc/heap/live:bytes",
	  "heap bytes marked live by the last GC cycle", MT_U64, O(heap_marked), 0 },
	{ "/sched/gomaxprocs:threads", MU_COUNT, "gauge", "sched", "/sched/gomaxprocs:threads, GOMAXPROCS",
	  "GOMAXPROCS: Ps that can run Go code at once", MT_I32, O(gomaxprocs), 0 },
	{ "NumCPU", MU_COUNT, "gauge", "sched", "runtime.NumCPU()",
	  "logical CPUs usable by the process at start-up", MT_I32, O(ncpu), 0 },
	{ "Threads", MU_COUNT, "gauge", "sched", "schedtrace threads=",
	  "OS threads the runtime has created and not freed (mcount)", MT_I32, O(threads), 0 },
	{ "IdleProcs", MU_COUNT, "gauge", "sched", "schedtrace idleprocs=",
	  "idle Ps", MT_I32, O(idle_procs), 0 },
	{ "RunQueue", MU_COUNT, "gauge", "sched", "schedtrace runqueue=",
	  "goroutines in the global run queue", MT_I32, O(runqueue), 0 },
	{ "NumGoroutine", MU_COUNT, "gauge", "goroutines", "runtime.NumGoroutine()",
	  "goroutines that exist, not counting the runtime's own", MT_I64, O(num_goroutine), 0 },
	{ "/sched/goroutines:goroutines", MU_COUNT, "gauge", "goroutines",
	  "/sched/goroutines:goroutines (Go 1.26+)",
	  "goroutines including the runtime's system goroutines, as Go 1.26's metric counts them",
	  MT_I64, O(goroutines_with_sys), 26 },
};

const size_t metric_count = sizeof(metric_defs) / sizeof(metric_defs[0]);

const char *metric_unit_name(enum metric_unit u)
{
	switch (u) {
	case MU_BYTES: return "bytes";
	case MU_OBJECTS: return "objects";
	case MU_NS: return "nanoseconds";
	case MU_COUNT: return "count";
	case MU_PERCENT: return "percent";
	case MU_FRACTION: return "fraction";
	case MU_UNIX_NS: return "unix-nanoseconds";
	}
	return "?";
}

double metric_value(const struct metric_def *m, const struct rt_sample *s)
{
	const char *p = (const char *)s + m->off;

	switch (m->type) {
	case MT_U64: return (double)*(const uint64_t *)p;
	case MT_U32: return (double)*(const uint32_t *)p;
	case MT_I64: return (double)*(const int64_t *)p;
	case MT_I32: return (double)*(const int32_t *)p;
	case MT_F64: return *(const double *)p;
	}
	return NAN;
}

int metric_format_exact(char *buf, size_t len, const struct metric_def *m,
			const struct rt_sample *s)
{
	const char *p = (const char *)s + m->off;

	switch (m->type) {
	case MT_U64: return snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)p);
	case MT_U32: return snprintf(buf, len, "%u", *(const uint32_t *)p);
	case MT_I64: return snprintf(buf, len, "%lld", (long long)*(const int64_t *)p);
	case MT_I32: return snprintf(buf, len, "%d", *(const int32_t *)p);
	case MT_F64: return snprintf(buf, len, "%.17g", *(const double *)p);
	}
	return snprintf(buf, len, "0");
}

void metric_format_human(char *buf, size_t len, const struct metric_def *m,
			 const struct rt_sample *s)
{
	double v = metric_value(m, s);

	switch (m->unit) {
	case MU_BYTES:
		if (m->type == MT_I64 && v >= 9.2e18)
			snprintf(buf, len, "off (math.MaxInt64)");
		else
			units_bytes(buf, len, v, UNITS_IEC);
		break;
	case MU_NS:
		units_ns(buf, len, v, UNITS_IEC);
		break;
	case MU_FRACTION:
		snprintf(buf, len, "%.4f (%.2f %%)", v, v * 100);
		break;
	case MU_PERCENT:
		snprintf(buf, len, v < 0 ? "off" : "%.0f %%", v);
		break;
	case MU_UNIX_NS: {
		time_t t = (time_t)(v / 1e9);
		struct tm tm;

		if (!v || !gmtime_r(&t, &tm))
			snprintf(buf, len, "never");
		else
			strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
		break;
	}
	default:
		snprintf(buf, len, "%.0f %s", v, m->unit == MU_OBJECTS ? "objects" : "");
		break;
	}
	/* Trim a trailing space left by an empty unit. */
	if (*buf && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = 0;
}
