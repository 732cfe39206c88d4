/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Periodic snapshots of a Go runtime's state read from outside with process_vm_readv(2): no
 * probe, no stop-the-world, nothing written. Values the runtime updates concurrently are racy in
 * the same way runtime/metrics reads are; the heap statistics are read the way the runtime's own
 * consistentHeapStats readers do (all three ring slots, retried when the generation moves).
 */
#ifndef GS_SAMPLER_H
#define GS_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "goruntime/layout.h"
#include "goruntime/rtmetrics.h"

struct gobin;

/* Goroutine states as the runtime names them (runtime2.go, _G*), folded for display. */
enum gstate {
	GSTATE_RUNNING,
	GSTATE_RUNNABLE,
	GSTATE_WAITING,
	GSTATE_SYSCALL,
	GSTATE_OTHER,		/* idle, copystack, leaked …: transitional or rare */
	GSTATE_NR
};

#define SAMPLER_MAX_WAIT_REASONS 256
#define SAMPLER_PAUSE_RING	256	/* len(memstats.pause_ns), fixed since Go 1.0 */

struct rt_sample {
	uint64_t mono_ns;		/* CLOCK_MONOTONIC when the sample was taken */
	bool ok;			/* every required read succeeded */

	/* Heap (runtime.MemStats names). */
	uint64_t heap_alloc, total_alloc, mallocs, frees, heap_objects;
	uint64_t tiny_allocs;		/* in mallocs, not in /gc/heap/allocs:objects */
	uint64_t heap_sys, heap_idle, heap_inuse, heap_released, stack_inuse, stack_sys;
	uint32_t num_gc, num_forced_gc;
	uint64_t pause_total_ns, last_pause_ns, last_gc_unix_ns;
	/* memstats.pause_ns as is: cycle n's pause at [(n-1) % 256], the last min(num_gc, 256) set */
	uint64_t pause_ring[SAMPLER_PAUSE_RING];
	double gc_cpu_fraction;
	uint64_t next_gc;		/* the heap goal, as runtime's heapGoal() computes it */
	uint64_t heap_live, heap_marked, mapped_ready;
	int32_t gogc;			/* gcPercent; negative: off */
	int64_t gomemlimit;
	bool heap_consistent;		/* heapStats read without the generation moving */

	/* Scheduler. */
	int32_t gomaxprocs, ncpu;
	int32_t threads, idle_procs, spinning_threads, need_spinning, idle_threads, runqueue;
	int nprocs;			/* len(allp) */
	uint32_t *p_runq;		/* per P: runqtail - runqhead, as schedtrace prints it */
	uint32_t *p_schedtick;
	int procs_cap;

	/* Goroutines. */
	int64_t num_goroutine;		/* runtime.NumGoroutine() */
	int64_t goroutines_with_sys;	/* plus system goroutines (/sched/goroutines on 1.26+) */
	uint64_t gstate[GSTATE_NR];	/* user goroutines by state, from walking allgs */
	uint64_t gstate_sys;		/* system goroutines seen in the walk */
	uint32_t wait_reason[SAMPLER_MAX_WAIT_REASONS];	/* user goroutines waiting, by reason */
	uint64_t gwalk_seen;		/* g structs examined */
	uint64_t gwalk_total;		/* allglen */
	bool gwalk_partial;		/* the time budget ran out before the end of allgs */
	uint64_t gwalk_ns;		/* how long the walk took */

	/* All of runtime/metrics and MemStats; NULL unless sampler__set_metrics asked for them. */
	struct rtm_values *rtm;
	int rtm_err;			/* why rtm is stale: -errno of its read (0: fresh) */
};

struct sampler;

/*
 * Prepare sampling one process. Reads what never changes (size classes, wait reason names,
 * NumCPU) once. gobin is used to name goroutine start functions (user vs system goroutines).
 */
struct sampler *sampler__new(pid_t pid, struct gobin *bin, uint64_t bias,
			     const struct rt_layout *rt, struct gs_err *err);
void sampler__free(struct sampler *s);

/* Walk allgs at most this long per sample (default 50 ms); 0 disables the walk. */
void sampler__set_gwalk_budget(struct sampler *s, uint64_t ns);

/* Also read every runtime/metrics metric and MemStats field into each sample's rtm. */
void sampler__set_metrics(struct sampler *s, bool on);

/* Take a snapshot into *out (its per-P arrays are reused and grown). Returns 0, or -errno. */
int sampler__sample(struct sampler *s, struct rt_sample *out);

/* A live goroutine, as sampler__walk_gs shows it. */
struct sampler_g {
	uint64_t goid;
	uint64_t gopc;			/* the go statement (runtime address) */
	uint64_t startpc;		/* its function's entry (runtime address) */
	uint32_t status;		/* atomicstatus without the scan bit */
	bool system;			/* a runtime goroutine, as runtime.isSystemGoroutine says */
};

typedef void sampler_g_fn(void *ctx, const struct sampler_g *g);

/* Walk every goroutine now (no time budget), calling fn for each live one. Returns 0, or -errno. */
int sampler__walk_gs(struct sampler *s, sampler_g_fn *fn, void *ctx);

/*
 * Indexes of the sample's wait reasons, most frequent first (then by reason number); returns
 * how many (at most max). Every output lists them in this order.
 */
int rt_sample__top_wait_reasons(const struct rt_sample *s, int *idx, int max);

/* Free the per-P arrays of a sample. */
void rt_sample__release(struct rt_sample *smp);

/* Name of a wait reason in this target's Go release ("chan receive"), or NULL. */
const char *sampler__wait_reason(const struct sampler *s, unsigned int reason);

/* Name of a stop-the-world reason ("GOMAXPROCS"), Go 1.21+, or NULL. */
const char *sampler__stw_reason(const struct sampler *s, unsigned int reason);

/* Name of a goroutine state. */
const char *gstate_name(enum gstate st);

#endif
