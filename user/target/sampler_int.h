/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The sampler's own state, shared by sampler.c and gwalk.c only. */
#ifndef GS_SAMPLER_INT_H
#define GS_SAMPLER_INT_H

#include <string.h>
#include "target/remote.h"
#include "target/sampler.h"

#define NUM_SIZE_CLASSES_MAX	128
#define HEAPSTATS_RETRIES	5
#define GWALK_DEFAULT_BUDGET_NS	(50ull * 1000 * 1000)
#define G_STATUS_SCAN		0x1000	/* _Gscan bit of g.atomicstatus */

struct sampler {
	pid_t pid;
	struct gobin *bin;
	uint64_t bias;
	const struct rt_layout *rt;
	uint64_t gwalk_budget_ns;

	int nclasses;
	uint16_t class_to_size[NUM_SIZE_CLASSES_MAX];
	int32_t ncpu;
	char *wait_reasons[SAMPLER_MAX_WAIT_REASONS];
	int nwait_reasons;
	char *stw_reasons[SAMPLER_MAX_WAIT_REASONS];
	int nstw_reasons;

	unsigned char *hs_buf;		/* the three heapStatsDelta slots */
	uint64_t *gptrs;		/* allgs[] copy, sorted by address */
	uint64_t *goffs;		/* where each g's window landed in gbuf */
	size_t gptrs_cap;
	unsigned char *gbuf;		/* one batch of g windows */
	struct remote_batch *gbatch;
	bool metrics;			/* read all of runtime/metrics and MemStats too */
	struct rtm_raw *raw;		/* their inputs, reused */
	struct godebug_state *gd;	/* where the godebug counters are (godebug.c) */
	/* Start PC -> system goroutine?, direct-mapped: goroutines share a few start functions. */
	struct { uint64_t pc; int8_t sys; } sys_cache[4096];
};

/* Is a layout field there in this release and binary, and its address or offset. */
static inline bool rt_have(const struct sampler *s, enum rt_field id)
{
	return s->rt->have[id];
}

static inline uint64_t rt_at(const struct sampler *s, enum rt_field id)
{
	return s->rt->v[id];
}

/* A 64-bit value at off in a copy of target memory. */
static inline uint64_t buf_u64(const unsigned char *p, uint64_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static inline int64_t buf_i64(const unsigned char *p, uint64_t off)
{
	return (int64_t)buf_u64(p, off);
}

/* Scalars of memstats, gcController and sched, read in one batch. */
struct scalars {
	uint32_t numgc, numforcedgc;
	uint64_t cpu_frac_bits, pause_total, last_gc_unix, stacks_sys;
	int32_t gc_percent;
	int64_t memory_limit;
	uint64_t pct_goal, sweep_min, triggered, heap_live, heap_marked;
	uint64_t heap_in_use, heap_free, heap_released, total_alloc, total_free, mapped_ready;
	int32_t nmidle, ngsys, npidle, nmspinning, runqsize, gfree_n, gfree_stack, gfree_nostack;
	uint32_t needspinning;
	int64_t mnext, nmfreed;
	int32_t gomaxprocs;
	uint64_t allglen;
	uint64_t allp[3], allgs[3];	/* slice headers: ptr, len, cap */
};

/* The scalars every sample starts from, in one batch. Returns 0, or -errno. */
int sampler_read_scalars(struct sampler *s, struct scalars *v);

/* rtmread.c: the inputs of runtime/metrics and MemStats, after the rest of a sample. */
int sampler_read_metrics(struct sampler *s, const struct scalars *v, const struct rt_sample *o,
			 struct rtm_raw *r);

/* godebug.c: the /godebug/non-default-behavior counters into r->godebug. */
struct godebug_state;
void sampler_read_godebug(struct sampler *s, struct rtm_raw *r);
void sampler_godebug_free(struct godebug_state *g);

/* gwalk.c: the walk of allgs a sample includes (counts by state and wait reason). */
int sampler_walk_goroutines(struct sampler *s, const struct scalars *v, struct rt_sample *o);

#endif
