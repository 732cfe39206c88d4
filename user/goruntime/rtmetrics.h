/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * All of runtime/metrics and runtime.MemStats, recomputed from a target's memory the way each Go
 * release computes them (GOROOT/src/runtime/metrics.go and mstats.go of that release). The
 * catalog says which metric exists in which release; rtm_compute turns what the sampler read
 * (struct rtm_raw) into the values the runtime's own metrics.Read and ReadMemStats would return,
 * histograms with the runtime's own bucket boundaries. Where an older release lacks a metric that
 * its runtime still keeps the inputs of, goscope computes it too and marks it as backfilled.
 */
#ifndef GS_RTMETRICS_H
#define GS_RTMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtm_id {
	RTM_CGO_GO_TO_C_CALLS,
	RTM_CPU_GC_MARK_ASSIST,
	RTM_CPU_GC_MARK_DEDICATED,
	RTM_CPU_GC_MARK_IDLE,
	RTM_CPU_GC_PAUSE,
	RTM_CPU_GC_TOTAL,
	RTM_CPU_IDLE,
	RTM_CPU_SCAVENGE_ASSIST,
	RTM_CPU_SCAVENGE_BACKGROUND,
	RTM_CPU_SCAVENGE_TOTAL,
	RTM_CPU_TOTAL,
	RTM_CPU_USER,
	RTM_GC_CLEANUPS_EXECUTED,
	RTM_GC_CLEANUPS_QUEUED,
	RTM_GC_CYCLES_AUTOMATIC,
	RTM_GC_CYCLES_FORCED,
	RTM_GC_CYCLES_TOTAL,
	RTM_GC_FINALIZERS_EXECUTED,
	RTM_GC_FINALIZERS_QUEUED,
	RTM_GC_GOGC,
	RTM_GC_GOMEMLIMIT,
	RTM_GC_HEAP_ALLOCS_BY_SIZE,
	RTM_GC_HEAP_ALLOCS_BYTES,
	RTM_GC_HEAP_ALLOCS_OBJECTS,
	RTM_GC_HEAP_FREES_BY_SIZE,
	RTM_GC_HEAP_FREES_BYTES,
	RTM_GC_HEAP_FREES_OBJECTS,
	RTM_GC_HEAP_GOAL,
	RTM_GC_HEAP_LIVE,
	RTM_GC_HEAP_OBJECTS,
	RTM_GC_HEAP_TINY_ALLOCS,
	RTM_GC_LIMITER_LAST_ENABLED,
	RTM_GC_PAUSES,
	RTM_GC_SCAN_GLOBALS,
	RTM_GC_SCAN_HEAP,
	RTM_GC_SCAN_STACK,
	RTM_GC_SCAN_TOTAL,
	RTM_GC_STACK_STARTING_SIZE,
	RTM_MEM_HEAP_FREE,
	RTM_MEM_HEAP_OBJECTS,
	RTM_MEM_HEAP_RELEASED,
	RTM_MEM_HEAP_STACKS,
	RTM_MEM_HEAP_UNUSED,
	RTM_MEM_MCACHE_FREE,
	RTM_MEM_MCACHE_INUSE,
	RTM_MEM_MSPAN_FREE,
	RTM_MEM_MSPAN_INUSE,
	RTM_MEM_METADATA_OTHER,
	RTM_MEM_OS_STACKS,
	RTM_MEM_OTHER,
	RTM_MEM_PROFILING_BUCKETS,
	RTM_MEM_TOTAL,
	RTM_SCHED_GOMAXPROCS,
	RTM_SCHED_GOROUTINES,
	RTM_SCHED_GOROUTINES_NOT_IN_GO,
	RTM_SCHED_GOROUTINES_RUNNABLE,
	RTM_SCHED_GOROUTINES_RUNNING,
	RTM_SCHED_GOROUTINES_WAITING,
	RTM_SCHED_GOROUTINES_CREATED,
	RTM_SCHED_LATENCIES,
	RTM_SCHED_PAUSES_STOPPING_GC,
	RTM_SCHED_PAUSES_STOPPING_OTHER,
	RTM_SCHED_PAUSES_TOTAL_GC,
	RTM_SCHED_PAUSES_TOTAL_OTHER,
	RTM_SCHED_THREADS_TOTAL,
	RTM_SYNC_MUTEX_WAIT_TOTAL,
	RTM_NR
};

enum rtm_kind { RTM_KIND_UINT64, RTM_KIND_FLOAT64, RTM_KIND_HISTOGRAM };

struct rtm_def {
	const char *name;		/* runtime/metrics name, "/sched/latencies:seconds" */
	enum rtm_kind kind;
	bool cumulative;		/* only grows (a counter, or a histogram of events) */
	const char *group;		/* heap, memory, gc, cpu, sched, sync, cgo */
	int min_minor;			/* the runtime has it from Go 1.min_minor */
	int backfill_minor;		/* goscope computes it from 1.backfill_minor below that; 0: no */
	const char *help;
};

extern const struct rtm_def rtm_defs[RTM_NR];

/* Where a metric stands for one target. */
enum rtm_status {
	RTM_ABSENT,			/* not in this release, and not backfilled */
	RTM_OK,
	RTM_UNREADABLE,			/* in this release, but an input could not be found or read */
};

struct rtm_hist {
	uint32_t n;			/* buckets; bounds has n + 1 entries */
	const double *bounds;		/* the runtime's boundaries, -Inf/+Inf included */
	uint64_t *counts;		/* n counts, owned by the rtm_values */
};

struct rtm_value {
	enum rtm_status status;
	bool backfilled;		/* computed by goscope: the release has no such metric */
	uint64_t u;			/* RTM_KIND_UINT64 */
	double f;			/* RTM_KIND_FLOAT64 */
	struct rtm_hist h;		/* RTM_KIND_HISTOGRAM */
	const char *why;		/* RTM_UNREADABLE: which input is missing */
};

#define RTM_PAUSE_RING		256
#define RTM_BY_SIZE		61	/* len(MemStats.BySize) */

/* runtime.MemStats, every field, as ReadMemStats fills it. */
struct rtm_memstats {
	bool ok;
	uint64_t Alloc, TotalAlloc, Sys, Lookups, Mallocs, Frees;
	uint64_t HeapAlloc, HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects;
	uint64_t StackInuse, StackSys, MSpanInuse, MSpanSys, MCacheInuse, MCacheSys;
	uint64_t BuckHashSys, GCSys, OtherSys, NextGC, LastGC, PauseTotalNs;
	uint64_t PauseNs[RTM_PAUSE_RING], PauseEnd[RTM_PAUSE_RING];
	uint32_t NumGC, NumForcedGC;
	double GCCPUFraction;
	bool EnableGC, DebugGC;
	struct { uint32_t Size; uint64_t Mallocs, Frees; } BySize[RTM_BY_SIZE];
};

/* The /godebug/non-default-behavior/<name>:events counters, by setting name. */
#define RTM_GODEBUG_MAX		128
#define RTM_GODEBUG_NAME	40

struct rtm_godebug {
	char name[RTM_GODEBUG_NAME];
	uint64_t events;
};

struct rtm_godebugs {
	enum rtm_status status;		/* RTM_ABSENT before Go 1.21 */
	const char *why;		/* RTM_UNREADABLE; RTM_OK with n == 0: why there are none */
	int n;
	struct rtm_godebug v[RTM_GODEBUG_MAX];
};

struct rtm_values {
	int minor;
	uint64_t mono_ns;		/* CLOCK_MONOTONIC (the runtime's nanotime) of the read */
	struct rtm_value v[RTM_NR];
	struct rtm_memstats ms;
	struct rtm_godebugs godebug;
	uint64_t *storage;		/* every histogram's counts */
	double *size_bounds;		/* the size-class histograms' boundaries */
	size_t storage_len;
};

#define RTM_SIZE_CLASSES_MAX	128
#define RTM_TIME_COUNTS_MAX	1024

/* A runtime timeHistogram as read: counts, underflow and (1.20+) overflow. */
struct rtm_timehist {
	bool have;
	uint32_t n;			/* len(counts) */
	uint64_t counts[RTM_TIME_COUNTS_MAX];
	uint64_t underflow, overflow;
	const char *why;		/* !have: what is missing */
};

enum rtm_th { TH_TIME_TO_RUN, TH_GC_PAUSES, TH_STOPPING_GC, TH_STOPPING_OTHER, TH_TOTAL_GC,
	      TH_TOTAL_OTHER, TH_NR };

/* What the sampler read; have_* false where the release or the binary lacks the input. */
struct rtm_raw {
	int minor;
	uint64_t mono_ns;
	/* memstats.heapStats, all three slots merged (consistentHeapStats.unsafeRead) */
	int64_t committed, released, in_heap, in_stacks, in_workbufs, in_ptrscalar;
	uint64_t tiny, large_alloc, large_alloc_count, large_free, large_free_count;
	uint64_t small_alloc[RTM_SIZE_CLASSES_MAX], small_free[RTM_SIZE_CLASSES_MAX];
	int nclasses;
	uint16_t class_to_size[RTM_SIZE_CLASSES_MAX];
	bool have_heap_extra;		/* committed, released, inHeap, inWorkBufs */
	/* memstats and mheap_ */
	uint64_t stacks_sys, mspan_sys, mcache_sys, buckhash_sys, gcmisc_sys, other_sys;
	uint64_t mspan_inuse, mcache_inuse;
	bool have_sys, have_inuse;
	uint32_t numgc, numforcedgc;
	uint64_t last_gc_unix, pause_total_ns;
	double gc_cpu_fraction;
	uint64_t pause_ns[RTM_PAUSE_RING], pause_end[RTM_PAUSE_RING];
	bool have_pause_end;
	/* gcController */
	uint64_t heap_in_use, heap_free, heap_released, heap_goal, heap_marked;
	uint64_t heap_scan, stack_scan, globals_scan;
	bool have_heap_scan;
	int32_t gogc;
	int64_t memory_limit;
	/* work.cpuStats (1.20+), in the order of enum rtm_cpu */
	int64_t cpu[11];
	bool have_cpu;
	/* plain globals */
	int32_t gomaxprocs;
	uint32_t limiter_last_enabled, starting_stack_size;
	bool have_limiter, have_starting_stack;
	uint64_t cgo_calls;		/* ncgocall + every m's ncgocall */
	bool have_cgo;
	int64_t mutex_wait_ns;		/* 1.21: sched's; 1.22+: plus runtime locks and every m's */
	bool have_mutex_wait;
	uint64_t fin_queued, fin_executed, cleanups_queued, cleanups_executed;
	bool have_fin, have_cleanups;
	/* the scheduler, as 1.26's schedStatsAggregate counts (or backfills) it */
	uint64_t g_total, g_running, g_runnable, g_not_in_go, g_created, threads;
	bool have_sched, have_created, have_threads;
	uint64_t goroutines;		/* gcount(): what /sched/goroutines was before 1.26 */
	struct rtm_godebugs godebug;
	struct rtm_timehist th[TH_NR];
	const char *missing;		/* the first input that could not be found, for messages */
};

enum rtm_cpu { CPU_GC_ASSIST, CPU_GC_DEDICATED, CPU_GC_IDLE, CPU_GC_PAUSE, CPU_GC_TOTAL,
	       CPU_SCAV_ASSIST, CPU_SCAV_BG, CPU_SCAV_TOTAL, CPU_IDLE, CPU_USER, CPU_TOTAL };

/* "/godebug/non-default-behavior/NAME:events" into buf. */
char *rtm_godebug_metric(const char *setting, char *buf, size_t len);

/* The metric with this runtime/metrics name, or -1. */
int rtm_lookup(const char *name);

/* Does Go 1.minor's metrics.All() list it? */
bool rtm_in_release(const struct rtm_def *d, int minor);

/* How many metrics Go 1.minor's metrics.All() lists, godebug counters aside. */
int rtm_release_count(int minor);

/* The time histogram boundaries of Go 1.minor, and how many buckets (bounds: n + 1). */
const double *rtm_time_bounds(int minor, uint32_t *n);

/* Events in a histogram, and the upper bound of the bucket holding quantile q (0..1). */
uint64_t rtm_hist_total(const struct rtm_hist *h);
double rtm_hist_quantile(const struct rtm_hist *h, double q);

/* Compute every metric and MemStats from raw. Returns 0, or -ENOMEM. */
int rtm_compute(const struct rtm_raw *raw, struct rtm_values *out);

/* Free what rtm_compute allocated (out itself is the caller's). */
void rtm_values_release(struct rtm_values *v);

/*
 * The name client_golang's Go collector gives a metric with WithGoCollectorRuntimeMetrics
 * (internal.RuntimeMetricsToProm): "/sched/latencies:seconds" -> "go_sched_latencies_seconds";
 * counters end in _total. Returns buf, or NULL when the name does not fit or when client_golang
 * would not export it (the result is no valid metric name, or the key has no directory).
 */
char *rtm_prom_name(const char *name, bool counter, char *buf, size_t len);

/* "seconds", "bytes", ... : the unit part of a name. */
const char *rtm_unit(const char *name);

#endif
