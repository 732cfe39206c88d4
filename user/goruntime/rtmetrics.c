// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "goruntime/rtmetrics.h"

#define U RTM_KIND_UINT64
#define F RTM_KIND_FLOAT64
#define H RTM_KIND_HISTOGRAM

/* Releases as each toolchain's runtime/metrics/description.go lists them (no 1.20 to check). */
const struct rtm_def rtm_defs[RTM_NR] = {
	[RTM_CGO_GO_TO_C_CALLS] = { "/cgo/go-to-c-calls:calls", U, true, "cgo", 19, 0,
		"calls from Go to C, ever" },
	[RTM_CPU_GC_MARK_ASSIST] = { "/cpu/classes/gc/mark/assist:cpu-seconds", F, true, "cpu", 20, 0,
		"CPU time goroutines spent helping the GC mark (assists)" },
	[RTM_CPU_GC_MARK_DEDICATED] = { "/cpu/classes/gc/mark/dedicated:cpu-seconds", F, true, "cpu",
		20, 0, "CPU time of dedicated GC mark workers" },
	[RTM_CPU_GC_MARK_IDLE] = { "/cpu/classes/gc/mark/idle:cpu-seconds", F, true, "cpu", 20, 0,
		"CPU time of GC mark workers that ran on otherwise idle Ps" },
	[RTM_CPU_GC_PAUSE] = { "/cpu/classes/gc/pause:cpu-seconds", F, true, "cpu", 20, 0,
		"CPU time of GC stop-the-world pauses, times GOMAXPROCS" },
	[RTM_CPU_GC_TOTAL] = { "/cpu/classes/gc/total:cpu-seconds", F, true, "cpu", 20, 0,
		"all GC CPU time: assist + dedicated + idle + pause" },
	[RTM_CPU_IDLE] = { "/cpu/classes/idle:cpu-seconds", F, true, "cpu", 20, 0,
		"CPU time Ps had no Go code to run" },
	[RTM_CPU_SCAVENGE_ASSIST] = { "/cpu/classes/scavenge/assist:cpu-seconds", F, true, "cpu",
		20, 0, "CPU time allocations spent returning memory to the OS" },
	[RTM_CPU_SCAVENGE_BACKGROUND] = { "/cpu/classes/scavenge/background:cpu-seconds", F, true,
		"cpu", 20, 0, "CPU time of the background scavenger" },
	[RTM_CPU_SCAVENGE_TOTAL] = { "/cpu/classes/scavenge/total:cpu-seconds", F, true, "cpu", 20, 0,
		"all scavenger CPU time: assist + background" },
	[RTM_CPU_TOTAL] = { "/cpu/classes/total:cpu-seconds", F, true, "cpu", 20, 0,
		"GOMAXPROCS times wall time since start: the sum of every class" },
	[RTM_CPU_USER] = { "/cpu/classes/user:cpu-seconds", F, true, "cpu", 20, 0,
		"CPU time running Go code, the rest of total (includes some runtime work)" },
	[RTM_GC_CLEANUPS_EXECUTED] = { "/gc/cleanups/executed:cleanups", U, true, "gc", 26, 0,
		"cleanups (runtime.AddCleanup) that have run" },
	[RTM_GC_CLEANUPS_QUEUED] = { "/gc/cleanups/queued:cleanups", U, true, "gc", 26, 0,
		"cleanups queued to run, ever" },
	[RTM_GC_CYCLES_AUTOMATIC] = { "/gc/cycles/automatic:gc-cycles", U, true, "gc", 19, 0,
		"GC cycles the runtime started by itself" },
	[RTM_GC_CYCLES_FORCED] = { "/gc/cycles/forced:gc-cycles", U, true, "gc", 19, 0,
		"GC cycles forced by runtime.GC or debug.FreeOSMemory" },
	[RTM_GC_CYCLES_TOTAL] = { "/gc/cycles/total:gc-cycles", U, true, "gc", 19, 0,
		"completed GC cycles" },
	[RTM_GC_FINALIZERS_EXECUTED] = { "/gc/finalizers/executed:finalizers", U, true, "gc", 26, 25,
		"finalizers that have run" },
	[RTM_GC_FINALIZERS_QUEUED] = { "/gc/finalizers/queued:finalizers", U, true, "gc", 26, 25,
		"finalizers queued to run, ever" },
	[RTM_GC_GOGC] = { "/gc/gogc:percent", U, false, "gc", 21, 19,
		"GOGC as set (a negative value, off, reads as its uint64 bits)" },
	[RTM_GC_GOMEMLIMIT] = { "/gc/gomemlimit:bytes", U, false, "gc", 21, 19,
		"GOMEMLIMIT as set" },
	[RTM_GC_HEAP_ALLOCS_BY_SIZE] = { "/gc/heap/allocs-by-size:bytes", H, true, "heap", 19, 0,
		"heap allocations by object size (size-class buckets; tiny objects not counted)" },
	[RTM_GC_HEAP_ALLOCS_BYTES] = { "/gc/heap/allocs:bytes", U, true, "heap", 19, 0,
		"bytes allocated on the heap, ever" },
	[RTM_GC_HEAP_ALLOCS_OBJECTS] = { "/gc/heap/allocs:objects", U, true, "heap", 19, 0,
		"heap objects allocated, ever (tiny objects not counted)" },
	[RTM_GC_HEAP_FREES_BY_SIZE] = { "/gc/heap/frees-by-size:bytes", H, true, "heap", 19, 0,
		"heap objects freed by object size (size-class buckets)" },
	[RTM_GC_HEAP_FREES_BYTES] = { "/gc/heap/frees:bytes", U, true, "heap", 19, 0,
		"bytes of heap objects freed, ever" },
	[RTM_GC_HEAP_FREES_OBJECTS] = { "/gc/heap/frees:objects", U, true, "heap", 19, 0,
		"heap objects freed, ever (tiny objects not counted)" },
	[RTM_GC_HEAP_GOAL] = { "/gc/heap/goal:bytes", U, false, "gc", 19, 0,
		"heap size the current or next cycle aims to end at" },
	[RTM_GC_HEAP_LIVE] = { "/gc/heap/live:bytes", U, false, "gc", 21, 19,
		"heap bytes the last cycle marked live" },
	[RTM_GC_HEAP_OBJECTS] = { "/gc/heap/objects:objects", U, false, "heap", 19, 0,
		"heap objects allocated and not yet freed" },
	[RTM_GC_HEAP_TINY_ALLOCS] = { "/gc/heap/tiny/allocs:objects", U, true, "heap", 19, 0,
		"tiny allocations packed into shared 16-byte blocks, ever" },
	[RTM_GC_LIMITER_LAST_ENABLED] = { "/gc/limiter/last-enabled:gc-cycle", U, false, "gc", 19, 0,
		"last GC cycle in which the GC CPU limiter engaged (0: never)" },
	[RTM_GC_PAUSES] = { "/gc/pauses:seconds", H, true, "gc", 19, 0,
		"GC stop-the-world pause durations" },
	[RTM_GC_SCAN_GLOBALS] = { "/gc/scan/globals:bytes", U, false, "gc", 21, 0,
		"scannable global variable space" },
	[RTM_GC_SCAN_HEAP] = { "/gc/scan/heap:bytes", U, false, "gc", 21, 0,
		"scannable heap space" },
	[RTM_GC_SCAN_STACK] = { "/gc/scan/stack:bytes", U, false, "gc", 21, 0,
		"stack bytes the last cycle scanned" },
	[RTM_GC_SCAN_TOTAL] = { "/gc/scan/total:bytes", U, false, "gc", 21, 0,
		"scannable space: globals + heap + stacks" },
	[RTM_GC_STACK_STARTING_SIZE] = { "/gc/stack/starting-size:bytes", U, false, "gc", 19, 0,
		"stack size new goroutines start with" },
	[RTM_MEM_HEAP_FREE] = { "/memory/classes/heap/free:bytes", U, false, "memory", 19, 0,
		"free heap memory still mapped, not returned to the OS" },
	[RTM_MEM_HEAP_OBJECTS] = { "/memory/classes/heap/objects:bytes", U, false, "memory", 19, 0,
		"heap memory occupied by objects, live or not yet swept" },
	[RTM_MEM_HEAP_RELEASED] = { "/memory/classes/heap/released:bytes", U, false, "memory", 19, 0,
		"free heap memory returned to the OS" },
	[RTM_MEM_HEAP_STACKS] = { "/memory/classes/heap/stacks:bytes", U, false, "memory", 19, 0,
		"heap memory used for goroutine stacks" },
	[RTM_MEM_HEAP_UNUSED] = { "/memory/classes/heap/unused:bytes", U, false, "memory", 19, 0,
		"heap memory reserved for objects but not holding any (fragmentation)" },
	[RTM_MEM_MCACHE_FREE] = { "/memory/classes/metadata/mcache/free:bytes", U, false, "memory",
		19, 0, "memory reserved for mcaches, not in use" },
	[RTM_MEM_MCACHE_INUSE] = { "/memory/classes/metadata/mcache/inuse:bytes", U, false, "memory",
		19, 0, "memory of mcaches in use" },
	[RTM_MEM_MSPAN_FREE] = { "/memory/classes/metadata/mspan/free:bytes", U, false, "memory",
		19, 0, "memory reserved for mspans, not in use" },
	[RTM_MEM_MSPAN_INUSE] = { "/memory/classes/metadata/mspan/inuse:bytes", U, false, "memory",
		19, 0, "memory of mspans in use" },
	[RTM_MEM_METADATA_OTHER] = { "/memory/classes/metadata/other:bytes", U, false, "memory",
		19, 0, "other runtime metadata (GC work buffers and more)" },
	[RTM_MEM_OS_STACKS] = { "/memory/classes/os-stacks:bytes", U, false, "memory", 19, 0,
		"stacks the OS allocated (cgo and system threads)" },
	[RTM_MEM_OTHER] = { "/memory/classes/other:bytes", U, false, "memory", 19, 0,
		"other runtime memory (trace buffers, debugging, ...)" },
	[RTM_MEM_PROFILING_BUCKETS] = { "/memory/classes/profiling/buckets:bytes", U, false, "memory",
		19, 0, "memory of profiling buckets" },
	[RTM_MEM_TOTAL] = { "/memory/classes/total:bytes", U, false, "memory", 19, 0,
		"all memory the runtime mapped: the sum of every class" },
	[RTM_SCHED_GOMAXPROCS] = { "/sched/gomaxprocs:threads", U, false, "sched", 19, 0,
		"GOMAXPROCS" },
	[RTM_SCHED_GOROUTINES] = { "/sched/goroutines:goroutines", U, false, "sched", 19, 0,
		"live goroutines (from Go 1.26 system goroutines included)" },
	[RTM_SCHED_GOROUTINES_NOT_IN_GO] = { "/sched/goroutines/not-in-go:goroutines", U, false,
		"sched", 26, 19, "goroutines in a system call or cgo call" },
	[RTM_SCHED_GOROUTINES_RUNNABLE] = { "/sched/goroutines/runnable:goroutines", U, false,
		"sched", 26, 19, "goroutines ready to run, waiting for a P" },
	[RTM_SCHED_GOROUTINES_RUNNING] = { "/sched/goroutines/running:goroutines", U, false, "sched",
		26, 19, "goroutines running on a P" },
	[RTM_SCHED_GOROUTINES_WAITING] = { "/sched/goroutines/waiting:goroutines", U, false, "sched",
		26, 19, "goroutines blocked (the rest of the total)" },
	[RTM_SCHED_GOROUTINES_CREATED] = { "/sched/goroutines-created:goroutines", U, true, "sched",
		26, 0, "goroutines created, ever" },
	[RTM_SCHED_LATENCIES] = { "/sched/latencies:seconds", H, true, "sched", 19, 0,
		"time goroutines spent runnable before running (scheduling latency)" },
	[RTM_SCHED_PAUSES_STOPPING_GC] = { "/sched/pauses/stopping/gc:seconds", H, true, "sched",
		22, 0, "time GC stop-the-world pauses took to stop every goroutine" },
	[RTM_SCHED_PAUSES_STOPPING_OTHER] = { "/sched/pauses/stopping/other:seconds", H, true,
		"sched", 22, 0, "time other stop-the-world pauses took to stop every goroutine" },
	[RTM_SCHED_PAUSES_TOTAL_GC] = { "/sched/pauses/total/gc:seconds", H, true, "sched", 22, 0,
		"GC stop-the-world pauses, stopping to restarting" },
	[RTM_SCHED_PAUSES_TOTAL_OTHER] = { "/sched/pauses/total/other:seconds", H, true, "sched",
		22, 0, "other stop-the-world pauses, stopping to restarting" },
	[RTM_SCHED_THREADS_TOTAL] = { "/sched/threads/total:threads", U, false, "sched", 26, 21,
		"OS threads the runtime owns (extra cgo threads not counted)" },
	[RTM_SYNC_MUTEX_WAIT_TOTAL] = { "/sync/mutex/wait/total:seconds", F, true, "sync", 20, 0,
		"time goroutines spent blocked on sync.Mutex, RWMutex and runtime locks (approximate)" },
};

char *rtm_godebug_metric(const char *setting, char *buf, size_t len)
{
	snprintf(buf, len, "/godebug/non-default-behavior/%s:events", setting);
	return buf;
}

int rtm_lookup(const char *name)
{
	int i;

	for (i = 0; i < RTM_NR; i++)
		if (!strcmp(rtm_defs[i].name, name))
			return i;
	return -1;
}

bool rtm_in_release(const struct rtm_def *d, int minor)
{
	return minor >= d->min_minor;
}

int rtm_release_count(int minor)
{
	int i, n = 0;

	for (i = 0; i < RTM_NR; i++)
		n += rtm_in_release(&rtm_defs[i], minor);
	return n;
}

/*
 * Time histogram boundaries, as timeHistogramMetricsBuckets builds them. Go 1.19: 45
 * super-buckets of 16 sub-buckets, values in ns; the first count is the underflow. Go 1.20
 * onwards: buckets from 2^9 ns to 2^48 ns with 4 sub-buckets each, a bucket below 2^9 ns, and
 * underflow and overflow at the ends.
 */
#define TH19_SUB_BITS	4
#define TH19_SUPER	45
#define TH19_COUNTS	(TH19_SUPER << TH19_SUB_BITS)
#define TH_MIN_BITS	9
#define TH_MAX_BITS	48
#define TH_SUB_BITS	2
#define TH_COUNTS	((TH_MAX_BITS - TH_MIN_BITS + 1) << TH_SUB_BITS)

static double th19_bounds[TH19_COUNTS + 2];
static double th_bounds[TH_COUNTS + 3];
static bool th_ready;

static void build_time_bounds(void)
{
	int i, j;

	if (th_ready)
		return;
	/* 1.19: [-Inf, 0ns, 1ns ... 15ns, then 16 sub-buckets per power of two, +Inf] */
	th19_bounds[0] = -INFINITY;
	for (i = 0; i < 1 << TH19_SUB_BITS; i++)
		th19_bounds[i + 1] = (double)i / 1e9;
	for (i = 0; i < TH19_SUPER - 1; i++)
		for (j = 0; j < 1 << TH19_SUB_BITS; j++) {
			uint64_t ns = (1ull << (i + TH19_SUB_BITS)) | ((uint64_t)j << i);

			th19_bounds[(i + 1) * (1 << TH19_SUB_BITS) + j + 1] = (double)ns / 1e9;
		}
	th19_bounds[TH19_COUNTS + 1] = INFINITY;
	/* 1.20+: [-Inf, 0, 64ns, 128ns, 192ns, 256ns, 320ns ..., 2^47 ns, +Inf] */
	th_bounds[0] = -INFINITY;
	for (j = 0; j < 1 << TH_SUB_BITS; j++)
		th_bounds[j + 1] = (double)((uint64_t)j << (TH_MIN_BITS - 1 - TH_SUB_BITS)) / 1e9;
	for (i = TH_MIN_BITS; i < TH_MAX_BITS; i++)
		for (j = 0; j < 1 << TH_SUB_BITS; j++) {
			uint64_t ns = (1ull << (i - 1)) | ((uint64_t)j << (i - 1 - TH_SUB_BITS));

			th_bounds[(i - TH_MIN_BITS + 1) * (1 << TH_SUB_BITS) + j + 1] = (double)ns / 1e9;
		}
	th_bounds[TH_COUNTS + 1] = (double)(1ull << (TH_MAX_BITS - 1)) / 1e9;
	th_bounds[TH_COUNTS + 2] = INFINITY;
	th_ready = true;
}

const double *rtm_time_bounds(int minor, uint32_t *n)
{
	build_time_bounds();
	if (minor < 20) {
		*n = TH19_COUNTS + 1;
		return th19_bounds;
	}
	*n = TH_COUNTS + 2;
	return th_bounds;
}

/* How many counts the target's timeHistogram must have for the boundaries above. */
static uint32_t time_counts_expected(int minor)
{
	return minor < 20 ? TH19_COUNTS : TH_COUNTS;
}

static void set_u(struct rtm_values *o, enum rtm_id id, uint64_t v)
{
	o->v[id].status = RTM_OK;
	o->v[id].u = v;
}

static void set_f_ns(struct rtm_values *o, enum rtm_id id, int64_t ns)
{
	o->v[id].status = RTM_OK;
	o->v[id].f = (double)ns / 1e9;
}

static void unreadable(struct rtm_values *o, enum rtm_id id, const char *why)
{
	o->v[id].status = RTM_UNREADABLE;
	o->v[id].why = why;
}

/* Histograms: counts go into out->storage, allocated once at their final size. */
static uint64_t *hist_slot(struct rtm_values *o, size_t *used, uint32_t n)
{
	uint64_t *p;

	if (*used + n > o->storage_len) {
		size_t len = o->storage_len ? o->storage_len * 2 : 4096;

		while (len < *used + n)
			len *= 2;
		/* Earlier histograms point into the old block: move them along. */
		p = realloc(o->storage, len * sizeof(*p));
		if (!p)
			return NULL;
		for (int i = 0; i < RTM_NR; i++)
			if (o->v[i].h.counts)
				o->v[i].h.counts = p + (o->v[i].h.counts - o->storage);
		o->storage = p;
		o->storage_len = len;
	}
	p = o->storage + *used;
	*used += n;
	return p;
}

static int size_hist(struct rtm_values *o, size_t *used, enum rtm_id id, const struct rtm_raw *r,
		     const uint64_t *small, uint64_t large, const double *bounds)
{
	uint32_t n = (uint32_t)r->nclasses;
	uint64_t *c = hist_slot(o, used, n);
	int i;

	if (!c)
		return -ENOMEM;
	/* Class 0 stands for large objects, which go in the last bucket instead. */
	for (i = 1; i < r->nclasses; i++)
		c[i - 1] = small[i];
	c[n - 1] = large;
	o->v[id].status = RTM_OK;
	o->v[id].h = (struct rtm_hist){ .n = n, .bounds = bounds, .counts = c };
	return 0;
}

static int time_hist(struct rtm_values *o, size_t *used, enum rtm_id id, const struct rtm_raw *r,
		     enum rtm_th which)
{
	const struct rtm_timehist *t = &r->th[which];
	uint32_t n, i;
	const double *bounds = rtm_time_bounds(r->minor, &n);
	uint64_t *c;

	if (!t->have) {
		unreadable(o, id, t->why ? t->why : "the histogram was not found");
		return 0;
	}
	if (t->n != time_counts_expected(r->minor)) {
		unreadable(o, id, "the runtime's timeHistogram has an unexpected size");
		return 0;
	}
	c = hist_slot(o, used, n);
	if (!c)
		return -ENOMEM;
	c[0] = t->underflow;
	for (i = 0; i < t->n; i++)
		c[i + 1] = t->counts[i];
	if (r->minor >= 20)
		c[n - 1] = t->overflow;
	o->v[id].status = RTM_OK;
	o->v[id].h = (struct rtm_hist){ .n = n, .bounds = bounds, .counts = c };
	return 0;
}

static void compute_memstats(const struct rtm_raw *r, struct rtm_memstats *m, uint64_t alloc,
			     uint64_t nmalloc, uint64_t freed, uint64_t nfree)
{
	uint64_t stack = (uint64_t)r->in_stacks, workbufs = (uint64_t)r->in_workbufs;
	uint64_t ptrbits = (uint64_t)r->in_ptrscalar;
	int i;

	memset(m, 0, sizeof(*m));
	m->ok = r->have_sys && r->have_inuse && r->have_heap_extra && r->have_pause_end;
	m->Alloc = m->HeapAlloc = alloc - freed;
	m->TotalAlloc = alloc;
	/* MemStats counts tiny allocations as both allocated and freed. */
	m->Mallocs = nmalloc + r->tiny;
	m->Frees = nfree + r->tiny;
	m->HeapObjects = m->Mallocs - m->Frees;
	m->HeapSys = r->heap_in_use + r->heap_free + r->heap_released;
	m->HeapIdle = r->heap_free + r->heap_released;
	m->HeapInuse = r->heap_in_use;
	m->HeapReleased = r->heap_released;
	m->StackInuse = stack;
	m->StackSys = stack + r->stacks_sys;
	m->MSpanInuse = r->mspan_inuse;
	m->MSpanSys = r->mspan_sys;
	m->MCacheInuse = r->mcache_inuse;
	m->MCacheSys = r->mcache_sys;
	m->BuckHashSys = r->buckhash_sys;
	/* Up to 1.24 unrolled GC program bits count as GC metadata too. */
	m->GCSys = r->gcmisc_sys + workbufs + ptrbits;
	m->OtherSys = r->other_sys;
	m->Sys = m->HeapSys + r->stacks_sys + r->mspan_sys + r->mcache_sys + r->buckhash_sys +
		 r->gcmisc_sys + r->other_sys + stack + workbufs + ptrbits;
	m->NextGC = r->heap_goal;
	m->LastGC = r->last_gc_unix;
	m->PauseTotalNs = r->pause_total_ns;
	memcpy(m->PauseNs, r->pause_ns, sizeof(m->PauseNs));
	memcpy(m->PauseEnd, r->pause_end, sizeof(m->PauseEnd));
	m->NumGC = r->numgc;
	m->NumForcedGC = r->numforcedgc;
	m->GCCPUFraction = r->gc_cpu_fraction;
	m->EnableGC = true;
	m->DebugGC = false;
	for (i = 0; i < RTM_BY_SIZE && i < r->nclasses; i++) {
		m->BySize[i].Size = r->class_to_size[i];
		m->BySize[i].Mallocs = r->small_alloc[i];
		m->BySize[i].Frees = r->small_free[i];
	}
}

static void compute_sched(const struct rtm_raw *r, struct rtm_values *o)
{
	uint64_t busy = r->g_running + r->g_runnable + r->g_not_in_go;

	if (!r->have_sched) {
		unreadable(o, RTM_SCHED_GOROUTINES_RUNNING, r->missing);
		unreadable(o, RTM_SCHED_GOROUTINES_RUNNABLE, r->missing);
		unreadable(o, RTM_SCHED_GOROUTINES_NOT_IN_GO, r->missing);
		unreadable(o, RTM_SCHED_GOROUTINES_WAITING, r->missing);
		return;
	}
	set_u(o, RTM_SCHED_GOROUTINES_RUNNING, r->g_running);
	set_u(o, RTM_SCHED_GOROUTINES_RUNNABLE, r->g_runnable);
	set_u(o, RTM_SCHED_GOROUTINES_NOT_IN_GO, r->g_not_in_go);
	/* 1.26 subtracts unsigned and wraps when the racy parts exceed the total; 1.27 clamps. */
	set_u(o, RTM_SCHED_GOROUTINES_WAITING,
	      r->g_total < busy && r->minor != 26 ? 0 : r->g_total - busy);
}

int rtm_compute(const struct rtm_raw *r, struct rtm_values *o)
{
	static const enum rtm_id cpu_ids[11] = {
		RTM_CPU_GC_MARK_ASSIST, RTM_CPU_GC_MARK_DEDICATED, RTM_CPU_GC_MARK_IDLE,
		RTM_CPU_GC_PAUSE, RTM_CPU_GC_TOTAL, RTM_CPU_SCAVENGE_ASSIST,
		RTM_CPU_SCAVENGE_BACKGROUND, RTM_CPU_SCAVENGE_TOTAL, RTM_CPU_IDLE, RTM_CPU_USER,
		RTM_CPU_TOTAL,
	};
	double *size_bounds;
	uint64_t alloc = r->large_alloc, nmalloc = r->large_alloc_count;
	uint64_t freed = r->large_free, nfree = r->large_free_count;
	const char *missing = r->missing ? r->missing : "an input was not found";
	size_t used = 0;
	int i, rc = 0;

	for (i = 0; i < RTM_NR; i++) {
		o->v[i] = (struct rtm_value){ 0 };
	}
	o->minor = r->minor;
	o->mono_ns = r->mono_ns;
	for (i = 0; i < r->nclasses; i++) {
		alloc += r->small_alloc[i] * r->class_to_size[i];
		freed += r->small_free[i] * r->class_to_size[i];
		nmalloc += r->small_alloc[i];
		nfree += r->small_free[i];
	}
	compute_memstats(r, &o->ms, alloc, nmalloc, freed, nfree);

	/* Size-class boundaries: [1, size+1 of classes 1..n-1, +Inf]. */
	if (!o->size_bounds)
		o->size_bounds = calloc(RTM_SIZE_CLASSES_MAX + 1, sizeof(double));
	size_bounds = o->size_bounds;
	if (!size_bounds || r->nclasses < 2 || r->nclasses > RTM_SIZE_CLASSES_MAX)
		return -ENOMEM;
	size_bounds[0] = 1;
	for (i = 1; i < r->nclasses; i++)
		size_bounds[i] = (double)r->class_to_size[i] + 1;
	size_bounds[r->nclasses] = INFINITY;

	set_u(o, RTM_GC_HEAP_ALLOCS_BYTES, alloc);
	set_u(o, RTM_GC_HEAP_ALLOCS_OBJECTS, nmalloc);
	set_u(o, RTM_GC_HEAP_FREES_BYTES, freed);
	set_u(o, RTM_GC_HEAP_FREES_OBJECTS, nfree);
	set_u(o, RTM_GC_HEAP_OBJECTS, nmalloc - nfree);
	set_u(o, RTM_GC_HEAP_TINY_ALLOCS, r->tiny);
	set_u(o, RTM_MEM_HEAP_OBJECTS, alloc - freed);
	set_u(o, RTM_MEM_HEAP_STACKS, (uint64_t)r->in_stacks);
	rc |= size_hist(o, &used, RTM_GC_HEAP_ALLOCS_BY_SIZE, r, r->small_alloc,
			r->large_alloc_count, size_bounds);
	rc |= size_hist(o, &used, RTM_GC_HEAP_FREES_BY_SIZE, r, r->small_free, r->large_free_count,
			size_bounds);
	if (r->have_heap_extra) {
		set_u(o, RTM_MEM_HEAP_FREE, (uint64_t)(r->committed - r->in_heap - r->in_stacks -
						      r->in_workbufs - r->in_ptrscalar));
		set_u(o, RTM_MEM_HEAP_RELEASED, (uint64_t)r->released);
		set_u(o, RTM_MEM_HEAP_UNUSED, (uint64_t)r->in_heap - (alloc - freed));
	} else {
		unreadable(o, RTM_MEM_HEAP_FREE, missing);
		unreadable(o, RTM_MEM_HEAP_RELEASED, missing);
		unreadable(o, RTM_MEM_HEAP_UNUSED, missing);
	}
	if (r->have_sys && r->have_inuse) {
		set_u(o, RTM_MEM_MCACHE_FREE, r->mcache_sys - r->mcache_inuse);
		set_u(o, RTM_MEM_MCACHE_INUSE, r->mcache_inuse);
		set_u(o, RTM_MEM_MSPAN_FREE, r->mspan_sys - r->mspan_inuse);
		set_u(o, RTM_MEM_MSPAN_INUSE, r->mspan_inuse);
	} else {
		unreadable(o, RTM_MEM_MCACHE_FREE, missing);
		unreadable(o, RTM_MEM_MCACHE_INUSE, missing);
		unreadable(o, RTM_MEM_MSPAN_FREE, missing);
		unreadable(o, RTM_MEM_MSPAN_INUSE, missing);
	}
	if (r->have_sys && r->have_heap_extra) {
		set_u(o, RTM_MEM_METADATA_OTHER, (uint64_t)(r->in_workbufs + r->in_ptrscalar) +
			 r->gcmisc_sys);
		set_u(o, RTM_MEM_TOTAL, (uint64_t)(r->committed + r->released) + r->stacks_sys +
			 r->mspan_sys + r->mcache_sys + r->buckhash_sys + r->gcmisc_sys + r->other_sys);
	} else {
		unreadable(o, RTM_MEM_METADATA_OTHER, missing);
		unreadable(o, RTM_MEM_TOTAL, missing);
	}
	if (r->have_sys) {
		set_u(o, RTM_MEM_OS_STACKS, r->stacks_sys);
		set_u(o, RTM_MEM_OTHER, r->other_sys);
		set_u(o, RTM_MEM_PROFILING_BUCKETS, r->buckhash_sys);
	} else {
		unreadable(o, RTM_MEM_OS_STACKS, missing);
		unreadable(o, RTM_MEM_OTHER, missing);
		unreadable(o, RTM_MEM_PROFILING_BUCKETS, missing);
	}

	set_u(o, RTM_GC_CYCLES_TOTAL, r->numgc);
	set_u(o, RTM_GC_CYCLES_FORCED, r->numforcedgc);
	set_u(o, RTM_GC_CYCLES_AUTOMATIC, (uint64_t)r->numgc - r->numforcedgc);
	set_u(o, RTM_GC_HEAP_GOAL, r->heap_goal);
	set_u(o, RTM_GC_GOGC, (uint64_t)(int64_t)r->gogc);
	set_u(o, RTM_GC_GOMEMLIMIT, (uint64_t)r->memory_limit);
	set_u(o, RTM_GC_HEAP_LIVE, r->heap_marked);
	if (r->have_limiter)
		set_u(o, RTM_GC_LIMITER_LAST_ENABLED, r->limiter_last_enabled);
	else
		unreadable(o, RTM_GC_LIMITER_LAST_ENABLED, "runtime.gcCPULimiter was not found");
	if (r->have_starting_stack)
		set_u(o, RTM_GC_STACK_STARTING_SIZE, r->starting_stack_size);
	else
		unreadable(o, RTM_GC_STACK_STARTING_SIZE, "runtime.startingStackSize was not found");
	if (r->have_heap_scan) {
		set_u(o, RTM_GC_SCAN_HEAP, r->heap_scan);
		set_u(o, RTM_GC_SCAN_STACK, r->stack_scan);
		set_u(o, RTM_GC_SCAN_GLOBALS, r->globals_scan);
		set_u(o, RTM_GC_SCAN_TOTAL, r->heap_scan + r->stack_scan + r->globals_scan);
	} else {
		unreadable(o, RTM_GC_SCAN_HEAP, missing);
		unreadable(o, RTM_GC_SCAN_STACK, missing);
		unreadable(o, RTM_GC_SCAN_GLOBALS, missing);
		unreadable(o, RTM_GC_SCAN_TOTAL, missing);
	}
	for (i = 0; i < 11; i++) {
		if (r->have_cpu)
			set_f_ns(o, cpu_ids[i], r->cpu[i]);
		else
			unreadable(o, cpu_ids[i], "work.cpuStats was not found");
	}
	if (r->have_fin) {
		set_u(o, RTM_GC_FINALIZERS_QUEUED, r->fin_queued);
		set_u(o, RTM_GC_FINALIZERS_EXECUTED, r->fin_executed);
	} else {
		unreadable(o, RTM_GC_FINALIZERS_QUEUED, "runtime.finqueued was not found");
		unreadable(o, RTM_GC_FINALIZERS_EXECUTED, "runtime.finexecuted was not found");
	}
	if (r->have_cleanups) {
		set_u(o, RTM_GC_CLEANUPS_QUEUED, r->cleanups_queued);
		set_u(o, RTM_GC_CLEANUPS_EXECUTED, r->cleanups_executed);
	} else {
		unreadable(o, RTM_GC_CLEANUPS_QUEUED, "runtime.gcCleanups was not found");
		unreadable(o, RTM_GC_CLEANUPS_EXECUTED, "runtime.gcCleanups was not found");
	}
	if (r->have_cgo)
		set_u(o, RTM_CGO_GO_TO_C_CALLS, r->cgo_calls);
	else
		unreadable(o, RTM_CGO_GO_TO_C_CALLS, "runtime.ncgocall or runtime.allm was not found");
	if (r->have_mutex_wait)
		set_f_ns(o, RTM_SYNC_MUTEX_WAIT_TOTAL, r->mutex_wait_ns);
	else
		unreadable(o, RTM_SYNC_MUTEX_WAIT_TOTAL, "sched.totalMutexWaitTime was not found");

	set_u(o, RTM_SCHED_GOMAXPROCS, (uint64_t)(int64_t)r->gomaxprocs);
	/* Before 1.26 the metric was gcount(): system goroutines not counted. */
	set_u(o, RTM_SCHED_GOROUTINES, r->minor >= 26 ? r->g_total : r->goroutines);
	compute_sched(r, o);
	if (r->have_created)
		set_u(o, RTM_SCHED_GOROUTINES_CREATED, r->g_created);
	else
		unreadable(o, RTM_SCHED_GOROUTINES_CREATED, "sched.goroutinesCreated was not found");
	if (r->have_threads)
		set_u(o, RTM_SCHED_THREADS_TOTAL, r->threads);
	else
		unreadable(o, RTM_SCHED_THREADS_TOTAL, "runtime.extraMInUse was not found");

	rc |= time_hist(o, &used, RTM_SCHED_LATENCIES, r, TH_TIME_TO_RUN);
	rc |= time_hist(o, &used, RTM_GC_PAUSES, r, TH_GC_PAUSES);
	rc |= time_hist(o, &used, RTM_SCHED_PAUSES_STOPPING_GC, r, TH_STOPPING_GC);
	rc |= time_hist(o, &used, RTM_SCHED_PAUSES_STOPPING_OTHER, r, TH_STOPPING_OTHER);
	rc |= time_hist(o, &used, RTM_SCHED_PAUSES_TOTAL_GC, r, TH_TOTAL_GC);
	rc |= time_hist(o, &used, RTM_SCHED_PAUSES_TOTAL_OTHER, r, TH_TOTAL_OTHER);

	o->godebug = r->godebug;
	if (r->minor < 21)
		o->godebug = (struct rtm_godebugs){ .status = RTM_ABSENT };

	/* What this release does not list: absent, or goscope's own where it backfills. */
	for (i = 0; i < RTM_NR; i++) {
		const struct rtm_def *d = &rtm_defs[i];

		if (rtm_in_release(d, r->minor))
			continue;
		if (d->backfill_minor && r->minor >= d->backfill_minor &&
		    o->v[i].status == RTM_OK) {
			o->v[i].backfilled = true;
			continue;
		}
		o->v[i] = (struct rtm_value){ .status = RTM_ABSENT };
	}
	return rc ? -ENOMEM : 0;
}

uint64_t rtm_hist_total(const struct rtm_hist *h)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < h->n; i++)
		n += h->counts[i];
	return n;
}

double rtm_hist_quantile(const struct rtm_hist *h, double q)
{
	uint64_t total = rtm_hist_total(h), seen = 0, want;
	uint32_t i;

	if (!total)
		return NAN;
	want = (uint64_t)ceil(q * (double)total);
	if (want < 1)
		want = 1;
	for (i = 0; i < h->n; i++) {
		seen += h->counts[i];
		if (seen >= want)
			return h->bounds[i + 1];
	}
	return h->bounds[h->n];
}

void rtm_values_release(struct rtm_values *v)
{
	free(v->storage);
	free(v->size_bounds);
	v->size_bounds = NULL;
	v->storage = NULL;
	v->storage_len = 0;
}

const char *rtm_unit(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : "";
}

/* Append s to buf at *n, each byte through map (which may expand it); false when it does not fit. */
static bool name_append(char *buf, size_t len, size_t *n, const char *s, size_t slen,
			const char *(*map)(char c))
{
	size_t i;

	for (i = 0; i < slen; i++) {
		const char *rep = map(s[i]);
		size_t k = rep ? strlen(rep) : 1;

		if (*n + k >= len)
			return false;
		if (rep)
			memcpy(buf + *n, rep, k);
		else
			buf[*n] = s[i];
		*n += k;
	}
	buf[*n] = 0;
	return true;
}

/* The path part: '/' and '-' become '_'. */
static const char *map_path(char c)
{
	return c == '/' || c == '-' ? "_" : NULL;
}

/* The last path element: '-' becomes '_'. */
static const char *map_leaf(char c)
{
	return c == '-' ? "_" : NULL;
}

/* The unit: '-' and '*' become '_', a '/' reads "per". */
static const char *map_unit(char c)
{
	if (c == '/')
		return "_per_";
	return c == '-' || c == '*' ? "_" : NULL;
}

/* [a-zA-Z_:][a-zA-Z0-9_:]*: Prometheus's classic metric name. */
static bool valid_prom_name(const char *s)
{
	const char *p;

	for (p = s; *p; p++) {
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			     *p == ':';

		if (!alpha && !(p > s && *p >= '0' && *p <= '9'))
			return false;
	}
	return p > s;
}

/*
 * As client_golang's internal.RuntimeMetricsToProm names a metric: "go", then the key's
 * directories ('/' and '-' as '_'), then its last element ('-' as '_') and the unit ('-' and
 * '*' as '_', '/' as "_per_"), joined by '_'; counters (cumulative, not histograms) end in
 * _total. Names it would reject (not a valid metric name, or a key without a directory) give
 * NULL, as they are not exported.
 */
char *rtm_prom_name(const char *name, bool counter, char *buf, size_t len)
{
	const char *colon = strchr(name, ':');
	const char *key = name + 1, *leaf;
	size_t n = 0;

	if (!len || name[0] != '/' || !colon)
		return NULL;
	leaf = memrchr(key, '/', (size_t)(colon - key));
	if (!leaf)
		return NULL;
	leaf++;
	if (!name_append(buf, len, &n, "go_", 3, map_leaf) ||
	    !name_append(buf, len, &n, key, (size_t)(leaf - key), map_path) ||
	    !name_append(buf, len, &n, leaf, (size_t)(colon - leaf), map_leaf) ||
	    !name_append(buf, len, &n, "_", 1, map_leaf) ||
	    !name_append(buf, len, &n, colon + 1, strlen(colon + 1), map_unit) ||
	    (counter && !name_append(buf, len, &n, "_total", 6, map_leaf)))
		return NULL;
	return valid_prom_name(buf) ? buf : NULL;
}
