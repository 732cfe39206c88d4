// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "target/sampler_int.h"
#include "util/clock.h"
#include "gobin/gobin.h"

/* Queue a read of a resolved global field; fields absent in this release read as zero. */
#define ADD_FIELD(b, s, id, dst)						\
	do {									\
		memset(&(dst), 0, sizeof(dst));					\
		if ((s)->rt->have[id])						\
			remote_add((b), (s)->rt->v[id], &(dst), sizeof(dst));	\
	} while (0)

/* Read a [N]string table of the runtime (wait or stop-the-world reasons) once. */
static int read_string_table(struct sampler *s, enum rt_field arr, enum rt_field bytes,
			     char **out, int *nout)
{
	uint64_t hdr[2 * SAMPLER_MAX_WAIT_REASONS];
	struct remote_batch b;
	int i, n;

	if (!s->rt->have[arr])
		return 0;
	n = (int)(s->rt->v[bytes] / 16);
	if (n > SAMPLER_MAX_WAIT_REASONS)
		n = SAMPLER_MAX_WAIT_REASONS;
	remote_init(&b, s->pid);
	remote_add(&b, s->rt->v[arr], hdr, (size_t)n * 16);
	if (remote_flush(&b))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		uint64_t len = hdr[2 * i + 1];

		if (len > 256)
			continue;
		out[i] = calloc(1, len + 1);
		if (!out[i])
			return -ENOMEM;
		remote_add(&b, hdr[2 * i], out[i], len);
	}
	*nout = n;
	return remote_flush(&b);
}

static int read_static(struct sampler *s)
{
	const struct rt_layout *rt = s->rt;
	struct remote_batch b;

	/* Size classes: the gap between the two per-class arrays of heapStatsDelta. */
	s->nclasses = (int)((rt->v[RT_HSD_LARGE_FREE] - rt->v[RT_HSD_SMALL_ALLOC_COUNT]) / 8);
	if (s->nclasses <= 0 || s->nclasses > NUM_SIZE_CLASSES_MAX)
		return -EINVAL;
	remote_init(&b, s->pid);
	remote_add(&b, rt->v[RT_CLASS_TO_SIZE], s->class_to_size, (size_t)s->nclasses * 2);
	ADD_FIELD(&b, s, RT_NCPU, s->ncpu);
	if (remote_flush(&b))
		return -EFAULT;
	if (read_string_table(s, RT_WAIT_REASON_STRINGS, RT_WAIT_REASON_STRINGS_BYTES,
			      s->wait_reasons, &s->nwait_reasons))
		return -EFAULT;
	return read_string_table(s, RT_STW_REASON_STRINGS, RT_STW_REASON_STRINGS_BYTES,
				 s->stw_reasons, &s->nstw_reasons);
}

struct sampler *sampler__new(pid_t pid, struct gobin *bin, uint64_t bias,
			     const struct rt_layout *rt, struct gs_err *err)
{
	struct sampler *s = calloc(1, sizeof(*s));
	int ret;

	if (!s) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	s->pid = pid;
	s->bin = bin;
	s->bias = bias;
	s->rt = rt;
	s->gwalk_budget_ns = GWALK_DEFAULT_BUDGET_NS;
	s->hs_buf = malloc(3 * rt->v[RT_HSD_SIZE]);
	if (!s->hs_buf) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		goto fail;
	}
	ret = read_static(s);
	if (ret) {
		gs_fail(err, ret == -EPERM ? GS_EXIT_PERMISSION : GS_EXIT_ERROR,
			"cannot read the memory of PID %d: %s", pid, strerror(-ret));
		goto fail;
	}
	return s;
fail:
	sampler__free(s);
	return NULL;
}

void sampler__free(struct sampler *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < SAMPLER_MAX_WAIT_REASONS; i++) {
		free(s->wait_reasons[i]);
		free(s->stw_reasons[i]);
	}
	free(s->hs_buf);
	free(s->raw);
	sampler_godebug_free(s->gd);
	free(s->gptrs);
	free(s->goffs);
	free(s->gbuf);
	free(s->gbatch);
	free(s);
}

void sampler__set_gwalk_budget(struct sampler *s, uint64_t ns)
{
	s->gwalk_budget_ns = ns;
}

void sampler__set_metrics(struct sampler *s, bool on)
{
	s->metrics = on;
}

/* The rest of runtime/metrics and MemStats, once the sample itself is complete. */
static int sample_metrics(struct sampler *s, const struct scalars *v, struct rt_sample *o)
{
	int rc;

	if (!s->raw) {
		s->raw = calloc(1, sizeof(*s->raw));
		if (!s->raw)
			return -ENOMEM;
	}
	if (!o->rtm) {
		o->rtm = calloc(1, sizeof(*o->rtm));
		if (!o->rtm)
			return -ENOMEM;
	}
	rc = sampler_read_metrics(s, v, o, s->raw);
	if (!rc)
		rc = rtm_compute(s->raw, o->rtm);
	if (rc) {
		/* Never an older reading passed off as this sample's. */
		rtm_values_release(o->rtm);
		free(o->rtm);
		o->rtm = NULL;
	}
	return rc;
}

const char *sampler__wait_reason(const struct sampler *s, unsigned int reason)
{
	if (reason >= (unsigned int)s->nwait_reasons)
		return NULL;
	return s->wait_reasons[reason];
}

const char *sampler__stw_reason(const struct sampler *s, unsigned int reason)
{
	if (reason >= (unsigned int)s->nstw_reasons)
		return NULL;
	return s->stw_reasons[reason];
}

const char *gstate_name(enum gstate st)
{
	static const char *const names[GSTATE_NR] = {
		[GSTATE_RUNNING] = "running",
		[GSTATE_RUNNABLE] = "runnable",
		[GSTATE_WAITING] = "waiting",
		[GSTATE_SYSCALL] = "syscall",
		[GSTATE_OTHER] = "other",
	};

	return st < GSTATE_NR ? names[st] : "?";
}

/*
 * The consistent heap statistics: all three slots of memstats.heapStats summed field by field,
 * as the runtime's unsafeRead does. The read is retried while the ring's generation moves.
 */
static int read_heap_stats(struct sampler *s, struct rt_sample *o)
{
	const struct rt_layout *rt = s->rt;
	uint64_t hsd = rt->v[RT_HSD_SIZE];
	uint32_t gen0, gen1;
	uint64_t total_alloc, total_free, nmalloc, nfree, tiny = 0;
	struct remote_batch b;
	int attempt, slot, c;

	for (attempt = 0; attempt < HEAPSTATS_RETRIES; attempt++) {
		remote_init(&b, s->pid);
		remote_add(&b, rt->v[RT_MS_HEAPSTATS_GEN], &gen0, sizeof(gen0));
		remote_add(&b, rt->v[RT_MS_HEAPSTATS], s->hs_buf, 3 * hsd);
		remote_add(&b, rt->v[RT_MS_HEAPSTATS_GEN], &gen1, sizeof(gen1));
		if (remote_flush(&b))
			return -EFAULT;
		if (gen0 == gen1)
			break;
	}
	o->heap_consistent = gen0 == gen1;
	total_alloc = total_free = nmalloc = nfree = 0;
	o->stack_inuse = 0;
	for (slot = 0; slot < 3; slot++) {
		const unsigned char *d = s->hs_buf + slot * hsd;

		o->stack_inuse += buf_u64(d, rt->v[RT_HSD_IN_STACKS]);
		tiny += buf_u64(d, rt->v[RT_HSD_TINY_ALLOC_COUNT]);
		total_alloc += buf_u64(d, rt->v[RT_HSD_LARGE_ALLOC]);
		nmalloc += buf_u64(d, rt->v[RT_HSD_LARGE_ALLOC_COUNT]);
		total_free += buf_u64(d, rt->v[RT_HSD_LARGE_FREE]);
		nfree += buf_u64(d, rt->v[RT_HSD_LARGE_FREE_COUNT]);
		for (c = 0; c < s->nclasses; c++) {
			uint64_t a = buf_u64(d, rt->v[RT_HSD_SMALL_ALLOC_COUNT] + 8 * (uint64_t)c);
			uint64_t f = buf_u64(d, rt->v[RT_HSD_SMALL_FREE_COUNT] + 8 * (uint64_t)c);

			total_alloc += a * s->class_to_size[c];
			nmalloc += a;
			total_free += f * s->class_to_size[c];
			nfree += f;
		}
	}
	/* MemStats counts tiny allocations as both mallocs and frees. */
	nmalloc += tiny;
	nfree += tiny;
	o->total_alloc = total_alloc;
	o->heap_alloc = total_alloc - total_free;
	o->mallocs = nmalloc;
	o->tiny_allocs = tiny;
	o->frees = nfree;
	o->heap_objects = nmalloc - nfree;
	return 0;
}

int sampler_read_scalars(struct sampler *s, struct scalars *v)
{
	struct remote_batch b;

	remote_init(&b, s->pid);
	ADD_FIELD(&b, s, RT_MS_NUMGC, v->numgc);
	ADD_FIELD(&b, s, RT_MS_NUMFORCEDGC, v->numforcedgc);
	ADD_FIELD(&b, s, RT_MS_GC_CPU_FRACTION, v->cpu_frac_bits);
	ADD_FIELD(&b, s, RT_MS_PAUSE_TOTAL_NS, v->pause_total);
	ADD_FIELD(&b, s, RT_MS_LAST_GC_UNIX, v->last_gc_unix);
	ADD_FIELD(&b, s, RT_MS_STACKS_SYS, v->stacks_sys);
	ADD_FIELD(&b, s, RT_GCC_GC_PERCENT, v->gc_percent);
	ADD_FIELD(&b, s, RT_GCC_MEMORY_LIMIT, v->memory_limit);
	ADD_FIELD(&b, s, RT_GCC_GC_PERCENT_HEAP_GOAL, v->pct_goal);
	ADD_FIELD(&b, s, RT_GCC_SWEEP_DIST_MIN_TRIGGER, v->sweep_min);
	ADD_FIELD(&b, s, RT_GCC_TRIGGERED, v->triggered);
	ADD_FIELD(&b, s, RT_GCC_HEAP_LIVE, v->heap_live);
	ADD_FIELD(&b, s, RT_GCC_HEAP_MARKED, v->heap_marked);
	ADD_FIELD(&b, s, RT_GCC_HEAP_IN_USE, v->heap_in_use);
	ADD_FIELD(&b, s, RT_GCC_HEAP_FREE, v->heap_free);
	ADD_FIELD(&b, s, RT_GCC_HEAP_RELEASED, v->heap_released);
	ADD_FIELD(&b, s, RT_GCC_TOTAL_ALLOC, v->total_alloc);
	ADD_FIELD(&b, s, RT_GCC_TOTAL_FREE, v->total_free);
	ADD_FIELD(&b, s, RT_GCC_MAPPED_READY, v->mapped_ready);
	ADD_FIELD(&b, s, RT_SCHED_NMIDLE, v->nmidle);
	ADD_FIELD(&b, s, RT_SCHED_MNEXT, v->mnext);
	ADD_FIELD(&b, s, RT_SCHED_NMFREED, v->nmfreed);
	ADD_FIELD(&b, s, RT_SCHED_NGSYS, v->ngsys);
	ADD_FIELD(&b, s, RT_SCHED_NPIDLE, v->npidle);
	ADD_FIELD(&b, s, RT_SCHED_NMSPINNING, v->nmspinning);
	ADD_FIELD(&b, s, RT_SCHED_NEEDSPINNING, v->needspinning);
	ADD_FIELD(&b, s, RT_SCHED_RUNQSIZE, v->runqsize);
	ADD_FIELD(&b, s, RT_SCHED_GFREE_N, v->gfree_n);
	ADD_FIELD(&b, s, RT_SCHED_GFREE_STACK_SIZE, v->gfree_stack);
	ADD_FIELD(&b, s, RT_SCHED_GFREE_NOSTACK_SIZE, v->gfree_nostack);
	ADD_FIELD(&b, s, RT_GOMAXPROCS, v->gomaxprocs);
	ADD_FIELD(&b, s, RT_ALLGLEN, v->allglen);
	ADD_FIELD(&b, s, RT_ALLP, v->allp);
	ADD_FIELD(&b, s, RT_ALLGS, v->allgs);
	return remote_flush(&b);
}

/* runtime.(*gcControllerState).memoryLimitHeapGoal, for Go 1.19 and later. */
static uint64_t memory_limit_goal(const struct sampler *s, const struct scalars *v)
{
	uint64_t heap_alloc = v->total_alloc - v->total_free;
	uint64_t limit = (uint64_t)v->memory_limit, non_heap, overage = 0, goal, headroom;

	if (v->heap_free + heap_alloc > v->mapped_ready)
		return UINT64_MAX;	/* torn read; the runtime would retry: no limit goal */
	non_heap = v->mapped_ready - v->heap_free - heap_alloc;
	if (v->mapped_ready > limit)
		overage = v->mapped_ready - limit;
	if (non_heap + overage >= limit)
		return v->heap_marked;
	goal = limit - (non_heap + overage);
	/* 1.21 made the headroom 3 % of the goal, at least 1 MiB; before it was 1 MiB flat. */
	headroom = 1 << 20;
	if (s->rt->minor >= 21 && goal / 100 * 3 > headroom)
		headroom = goal / 100 * 3;
	if (goal < headroom || goal - headroom < headroom)
		goal = headroom;
	else
		goal -= headroom;
	return goal < v->heap_marked ? v->heap_marked : goal;
}

/* runtime.(*gcControllerState).heapGoalInternal: NextGC and /gc/heap/goal:bytes. */
static uint64_t heap_goal(const struct sampler *s, const struct scalars *v)
{
	const uint64_t min_runway = 64 << 10;
	uint64_t goal = v->pct_goal, limit_goal = memory_limit_goal(s, v);

	if (limit_goal < goal)
		return limit_goal;
	if (v->sweep_min > goal)
		goal = v->sweep_min;
	if (v->triggered != UINT64_MAX && goal < v->triggered + min_runway)
		goal = v->triggered + min_runway;
	return goal;
}

static void fill_from_scalars(const struct sampler *s, const struct scalars *v, struct rt_sample *o)
{
	uint64_t gfree = v->gfree_n + v->gfree_stack + v->gfree_nostack;

	o->num_gc = v->numgc;
	o->num_forced_gc = v->numforcedgc;
	memcpy(&o->gc_cpu_fraction, &v->cpu_frac_bits, sizeof(double));
	o->pause_total_ns = v->pause_total;
	o->last_gc_unix_ns = v->last_gc_unix;
	o->gogc = v->gc_percent;
	o->gomemlimit = v->memory_limit;
	o->heap_live = v->heap_live;
	o->heap_marked = v->heap_marked;
	o->mapped_ready = v->mapped_ready;
	o->heap_inuse = v->heap_in_use;
	o->heap_released = v->heap_released;
	o->heap_idle = v->heap_free + v->heap_released;
	o->heap_sys = v->heap_in_use + v->heap_free + v->heap_released;
	o->next_gc = heap_goal(s, v);
	o->gomaxprocs = v->gomaxprocs;
	o->ncpu = s->ncpu;
	o->threads = (int32_t)(v->mnext - v->nmfreed);
	o->idle_procs = v->npidle;
	o->spinning_threads = v->nmspinning;
	o->need_spinning = (int32_t)v->needspinning;
	o->idle_threads = v->nmidle;
	o->runqueue = v->runqsize;
	/* gcount(): allglen minus the free lists and system goroutines; P free lists come later. */
	o->num_goroutine = (int64_t)v->allglen - (int64_t)gfree - v->ngsys;
	o->goroutines_with_sys = o->num_goroutine + v->ngsys;
	o->gwalk_total = v->allglen;
}

static int grow_procs(struct rt_sample *o, int n)
{
	uint32_t *a, *b;

	if (n <= o->procs_cap)
		return 0;
	a = realloc(o->p_runq, (size_t)n * sizeof(*a));
	if (!a)
		return -ENOMEM;
	o->p_runq = a;
	b = realloc(o->p_schedtick, (size_t)n * sizeof(*b));
	if (!b)
		return -ENOMEM;
	o->p_schedtick = b;
	o->procs_cap = n;
	return 0;
}

/* Per-P run queues, schedticks and free-g counts. Returns Σ p.gFree.n. */
static int read_procs(struct sampler *s, const struct scalars *v, struct rt_sample *o,
		      int64_t *gfree)
{
	const struct rt_layout *rt = s->rt;
	uint64_t n = v->allp[1], ptrs[1024];
	uint32_t head[1024], tail[1024];
	int32_t pfree[1024];
	struct remote_batch b;
	uint64_t i;

	if (n > 1024)
		n = 1024;	/* GOMAXPROCS above 1024 is beyond what schedtrace users read */
	o->nprocs = 0;
	*gfree = 0;
	if (!n)
		return 0;
	if (grow_procs(o, (int)n))
		return -ENOMEM;
	remote_init(&b, s->pid);
	remote_add(&b, v->allp[0], ptrs, n * 8);
	if (remote_flush(&b))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		remote_add(&b, ptrs[i] + rt->v[RT_P_RUNQHEAD], &head[i], 4);
		remote_add(&b, ptrs[i] + rt->v[RT_P_RUNQTAIL], &tail[i], 4);
		remote_add(&b, ptrs[i] + rt->v[RT_P_SCHEDTICK], &o->p_schedtick[i], 4);
		remote_add(&b, ptrs[i] + rt->v[RT_P_GFREE_N], &pfree[i], 4);
	}
	if (remote_flush(&b))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		o->p_runq[i] = tail[i] - head[i];
		*gfree += pfree[i];
	}
	o->nprocs = (int)n;
	return 0;
}

int sampler__sample(struct sampler *s, struct rt_sample *o)
{
	struct scalars v;
	int64_t pfree = 0;
	struct remote_batch b;
	int ret;

	o->ok = false;
	o->mono_ns = clock_mono_ns();
	ret = sampler_read_scalars(s, &v);
	if (ret)
		return ret;
	fill_from_scalars(s, &v, o);
	ret = read_heap_stats(s, o);
	if (ret)
		return ret;
	o->stack_sys = o->stack_inuse + v.stacks_sys;
	remote_init(&b, s->pid);
	/* The whole ring (2 KiB): go_gc_duration_seconds summarises it as ReadGCStats does. */
	remote_add(&b, s->rt->v[RT_MS_PAUSE_NS], o->pause_ring, sizeof(o->pause_ring));
	if (remote_flush(&b))
		return -EFAULT;
	o->last_pause_ns = v.numgc ? o->pause_ring[(v.numgc + 255) % SAMPLER_PAUSE_RING] : 0;
	ret = read_procs(s, &v, o, &pfree);
	if (ret)
		return ret;
	o->num_goroutine -= pfree;
	o->goroutines_with_sys -= pfree;
	if (o->num_goroutine < 1)
		o->num_goroutine = 1;	/* as gcount() clamps */
	ret = sampler_walk_goroutines(s, &v, o);
	if (ret)
		return ret;
	/* A failed read of the extras leaves the sample good and says the metrics are stale. */
	o->rtm_err = s->metrics ? sample_metrics(s, &v, o) : 0;
	o->ok = true;
	return 0;
}

/* Wait reasons of a sample, most frequent first (then by reason number). */
static int cmp_reason(const void *a, const void *b, void *arg)
{
	const uint32_t *count = arg;
	uint32_t x = count[*(const int *)a], y = count[*(const int *)b];

	return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

int rt_sample__top_wait_reasons(const struct rt_sample *s, int *idx, int max)
{
	int all[SAMPLER_MAX_WAIT_REASONS], n = 0, i;

	for (i = 0; i < SAMPLER_MAX_WAIT_REASONS; i++)
		if (s->wait_reason[i])
			all[n++] = i;
	qsort_r(all, (size_t)n, sizeof(all[0]), cmp_reason, (void *)s->wait_reason);
	if (n > max)
		n = max;
	memcpy(idx, all, (size_t)n * sizeof(all[0]));
	return n;
}

void rt_sample__release(struct rt_sample *smp)
{
	free(smp->p_runq);
	free(smp->p_schedtick);
	if (smp->rtm)
		rtm_values_release(smp->rtm);
	free(smp->rtm);
	smp->rtm = NULL;
	smp->p_runq = NULL;
	smp->p_schedtick = NULL;
	smp->procs_cap = 0;
}
