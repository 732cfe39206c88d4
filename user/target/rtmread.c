// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The inputs of runtime/metrics and MemStats beyond what every sample reads: the rest of the
 * heap statistics, memstats' system counters, mheap_'s fixalloc use, work.cpuStats, the
 * scheduler's time histograms, the M list (cgo calls, runtime lock waits) and the P array
 * (goroutine states, creations, queued cleanups). All read from outside, nothing written; the
 * runtime reads most of them racily too. goruntime/rtmetrics.c turns them into metrics.
 */
#include <errno.h>
#include <string.h>
#include "target/sampler_int.h"

#define P_RUNNING	1	/* _Prunning */
#define P_DEAD		4	/* _Pdead */
#define G_SYSCALL	3	/* _Gsyscall */
#define G_DEADEXTRA	11	/* _Gdeadextra (1.26+): an extra M's goroutine, in C */
#define M_WALK_MAX	100000	/* more Ms than any program has: the list is being torn */
#define P_MAX		1024

/* Everything in the three heapStatsDelta slots the sample has just read. */
static void heap_deltas(const struct sampler *s, struct rtm_raw *r)
{
	uint64_t hsd = rt_at(s, RT_HSD_SIZE);
	int slot, c;

	r->nclasses = s->nclasses;
	memcpy(r->class_to_size, s->class_to_size, sizeof(r->class_to_size[0]) * s->nclasses);
	r->have_heap_extra = rt_have(s, RT_HSD_COMMITTED) && rt_have(s, RT_HSD_RELEASED) &&
			     rt_have(s, RT_HSD_IN_HEAP) && rt_have(s, RT_HSD_IN_WORKBUFS);
	for (slot = 0; slot < 3; slot++) {
		const unsigned char *d = s->hs_buf + slot * hsd;

		if (r->have_heap_extra) {
			r->committed += buf_i64(d, rt_at(s, RT_HSD_COMMITTED));
			r->released += buf_i64(d, rt_at(s, RT_HSD_RELEASED));
			r->in_heap += buf_i64(d, rt_at(s, RT_HSD_IN_HEAP));
			r->in_workbufs += buf_i64(d, rt_at(s, RT_HSD_IN_WORKBUFS));
		}
		if (rt_have(s, RT_HSD_IN_PTRSCALARBITS))
			r->in_ptrscalar += buf_i64(d, rt_at(s, RT_HSD_IN_PTRSCALARBITS));
		r->in_stacks += buf_i64(d, rt_at(s, RT_HSD_IN_STACKS));
		r->tiny += buf_u64(d, rt_at(s, RT_HSD_TINY_ALLOC_COUNT));
		r->large_alloc += buf_u64(d, rt_at(s, RT_HSD_LARGE_ALLOC));
		r->large_alloc_count += buf_u64(d, rt_at(s, RT_HSD_LARGE_ALLOC_COUNT));
		r->large_free += buf_u64(d, rt_at(s, RT_HSD_LARGE_FREE));
		r->large_free_count += buf_u64(d, rt_at(s, RT_HSD_LARGE_FREE_COUNT));
		for (c = 0; c < s->nclasses; c++) {
			uint64_t at = 8 * (uint64_t)c;

			r->small_alloc[c] += buf_u64(d, rt_at(s, RT_HSD_SMALL_ALLOC_COUNT) + at);
			r->small_free[c] += buf_u64(d, rt_at(s, RT_HSD_SMALL_FREE_COUNT) + at);
		}
	}
}

static void add(struct remote_batch *b, const struct sampler *s, enum rt_field id, void *dst,
		size_t len, bool *ok)
{
	memset(dst, 0, len);
	if (!rt_have(s, id)) {
		*ok = false;
		return;
	}
	remote_add(b, rt_at(s, id), dst, len);
}

/* A timeHistogram at addr: counts, underflow and (1.20+) overflow. */
static void queue_hist(struct remote_batch *b, const struct sampler *s, uint64_t addr,
		       struct rtm_timehist *t)
{
	uint64_t n;

	t->have = false;
	if (!rt_have(s, RT_TH_COUNTS) || !rt_have(s, RT_TH_UNDERFLOW) ||
	    (s->rt->minor >= 20 && !rt_have(s, RT_TH_OVERFLOW))) {
		t->why = "runtime.timeHistogram's layout is unknown";
		return;
	}
	n = (rt_at(s, RT_TH_UNDERFLOW) - rt_at(s, RT_TH_COUNTS)) / 8;
	if (n == 0 || n > RTM_TIME_COUNTS_MAX) {
		t->why = "runtime.timeHistogram has an unexpected size";
		return;
	}
	t->n = (uint32_t)n;
	remote_add(b, addr + rt_at(s, RT_TH_COUNTS), t->counts, n * 8);
	remote_add(b, addr + rt_at(s, RT_TH_UNDERFLOW), &t->underflow, 8);
	if (s->rt->minor >= 20)
		remote_add(b, addr + rt_at(s, RT_TH_OVERFLOW), &t->overflow, 8);
	t->have = true;
}

static void queue_hists(struct remote_batch *b, const struct sampler *s, struct rtm_raw *r)
{
	static const struct { enum rtm_th th; enum rt_field id; } rows[] = {
		{ TH_TIME_TO_RUN, RT_SCHED_TIME_TO_RUN },
		{ TH_STOPPING_GC, RT_SCHED_STW_STOPPING_GC },
		{ TH_STOPPING_OTHER, RT_SCHED_STW_STOPPING_OTHER },
		{ TH_TOTAL_GC, RT_SCHED_STW_TOTAL_GC },
		{ TH_TOTAL_OTHER, RT_SCHED_STW_TOTAL_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rt_have(s, rows[i].id))
			queue_hist(b, s, rt_at(s, rows[i].id), &r->th[rows[i].th]);
		else
			r->th[rows[i].th] = (struct rtm_timehist){ .why = "not in this release" };
	}
	/* /gc/pauses: memstats.gcPauseDist up to 1.21, the same as stwTotalTimeGC after. */
	if (rt_have(s, RT_MS_GC_PAUSE_DIST))
		queue_hist(b, s, rt_at(s, RT_MS_GC_PAUSE_DIST), &r->th[TH_GC_PAUSES]);
	else if (rt_have(s, RT_SCHED_STW_TOTAL_GC))
		queue_hist(b, s, rt_at(s, RT_SCHED_STW_TOTAL_GC), &r->th[TH_GC_PAUSES]);
	else
		r->th[TH_GC_PAUSES] =
			(struct rtm_timehist){ .why = "memstats.gcPauseDist not found" };
}

/*
 * The M list: cgo calls of every M (plus those of Ms that exited, in ncgocall) and, from 1.22,
 * the time every M waited for runtime locks. One read per M, following alllink.
 */
static int walk_ms(const struct sampler *s, struct rtm_raw *r, int64_t *lock_wait)
{
	uint64_t m = 0, n = 0;
	bool waits = rt_have(s, RT_M_LOCK_WAIT);

	*lock_wait = 0;
	if (remote_read(s->pid, rt_at(s, RT_ALLM), &m, 8))
		return -EFAULT;
	while (m && n++ < M_WALK_MAX) {
		struct remote_batch b;
		uint64_t next = 0, calls = 0;
		int64_t wait = 0;

		remote_init(&b, s->pid);
		remote_add(&b, m + rt_at(s, RT_M_ALLLINK), &next, 8);
		remote_add(&b, m + rt_at(s, RT_M_NCGOCALL), &calls, 8);
		if (waits)
			remote_add(&b, m + rt_at(s, RT_M_LOCK_WAIT), &wait, 8);
		if (remote_flush(&b))
			return -EFAULT;
		r->cgo_calls += calls;
		*lock_wait += wait;
		m = next;
	}
	return m ? -ELOOP : 0;
}

/*
 * The P array, as 1.26's schedStatsAggregate walks it: running goroutines (a P in _Prunning
 * whose goroutine is not in a system call), runnable ones (local run queues, runnext), goroutines
 * created and cleanups queued on each P.
 */
static int walk_ps(const struct sampler *s, const struct scalars *v, struct rtm_raw *r,
		   uint64_t *p_cleanups, uint64_t *on_p_syscall)
{
	static uint64_t ptrs[P_MAX];
	uint64_t n = v->allp[1], i, created = 0, mptr[P_MAX], curg[P_MAX];
	uint32_t status[P_MAX], head[P_MAX], tail[P_MAX], gst[P_MAX];
	uint64_t next[P_MAX], pcreated[P_MAX], pclean[P_MAX];
	bool dead = false;
	struct remote_batch b;

	*p_cleanups = *on_p_syscall = 0;
	if (n > P_MAX)
		n = P_MAX;
	remote_init(&b, s->pid);
	remote_add(&b, v->allp[0], ptrs, n * 8);
	if (remote_flush(&b))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		if (!ptrs[i]) {
			n = i;
			break;
		}
		remote_add(&b, ptrs[i] + rt_at(s, RT_P_STATUS), &status[i], 4);
		remote_add(&b, ptrs[i] + rt_at(s, RT_P_RUNQHEAD), &head[i], 4);
		remote_add(&b, ptrs[i] + rt_at(s, RT_P_RUNQTAIL), &tail[i], 4);
		remote_add(&b, ptrs[i] + rt_at(s, RT_P_RUNNEXT), &next[i], 8);
		remote_add(&b, ptrs[i] + rt_at(s, RT_P_M), &mptr[i], 8);
		pcreated[i] = pclean[i] = 0;
		if (rt_have(s, RT_P_GOROUTINES_CREATED))
			remote_add(&b, ptrs[i] + rt_at(s, RT_P_GOROUTINES_CREATED), &pcreated[i],
				   8);
		if (rt_have(s, RT_P_CLEANUPS_QUEUED))
			remote_add(&b, ptrs[i] + rt_at(s, RT_P_CLEANUPS_QUEUED), &pclean[i], 8);
	}
	if (remote_flush(&b))
		return -EFAULT;
	/* The goroutine of each running P: m.curg, then its status. */
	for (i = 0; i < n; i++) {
		curg[i] = 0;
		if (status[i] == P_RUNNING && mptr[i])
			remote_add(&b, mptr[i] + rt_at(s, RT_M_CURG), &curg[i], 8);
	}
	if (remote_flush(&b))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		gst[i] = 0;
		if (curg[i])
			remote_add(&b, curg[i] + rt_at(s, RT_G_ATOMICSTATUS), &gst[i], 4);
	}
	if (remote_flush(&b))
		return -EFAULT;
	for (i = 0; i < n; i++) {
		int32_t runnable = (int32_t)(tail[i] - head[i]);

		*p_cleanups += pclean[i];
		/* The runtime stops at the first dead P for these three. */
		dead = dead || status[i] == P_DEAD;
		if (dead)
			continue;
		created += pcreated[i];
		if (status[i] == P_RUNNING) {
			uint32_t g = gst[i] & ~(uint32_t)G_STATUS_SCAN;

			/* As setBlockOnExitSyscall decides, without its CAS. */
			if (g == G_SYSCALL || (g == G_DEADEXTRA && s->rt->minor >= 26))
				(*on_p_syscall)++;
			else
				r->g_running++;
		}
		if (runnable > 0)
			r->g_runnable += (uint64_t)runnable;
		if (next[i])
			r->g_runnable++;
	}
	r->g_created += created;
	/* And the global run queue. */
	if (v->runqsize > 0)
		r->g_runnable += (uint64_t)v->runqsize;
	return 0;
}

/* work.cpuStats, in the order of rtm_raw.cpu. */
static const enum rt_field cpu_fields[11] = {
	RT_CPU_GC_ASSIST, RT_CPU_GC_DEDICATED, RT_CPU_GC_IDLE, RT_CPU_GC_PAUSE,
	RT_CPU_GC_TOTAL, RT_CPU_SCAV_ASSIST, RT_CPU_SCAV_BG, RT_CPU_SCAV_TOTAL,
	RT_CPU_IDLE, RT_CPU_USER, RT_CPU_TOTAL,
};
#define CPU_REREADS	8

static void queue_cpu(struct remote_batch *b, const struct sampler *s, struct rtm_raw *r)
{
	size_t i;

	for (i = 0; i < 11; i++)
		remote_add(b, rt_at(s, RT_WORK_CPU_STATS) + rt_at(s, cpu_fields[i]), &r->cpu[i], 8);
}

/*
 * The runtime updates work.cpuStats field by field at the end of a cycle (cpuStats.accumulate,
 * with the world stopped, so its own readers never see it half done) and adds each cycle's first
 * pause to the GC classes at its start. From outside, a read can fall in between. Whole, the GC
 * and scavenger totals are the sums of their classes, and the classes together are at least the
 * total (user time is the rest of the total; the pause added at a cycle's start comes on top).
 */
static bool cpu_consistent(const int64_t *c)
{
	return c[4] == c[0] + c[1] + c[2] + c[3] && c[7] == c[5] + c[6] &&
	       c[4] + c[7] + c[8] + c[9] >= c[10];
}

int sampler_read_metrics(struct sampler *s, const struct scalars *v, const struct rt_sample *o,
			 struct rtm_raw *r)
{
	struct remote_batch b;
	bool sys_ok = true, inuse_ok = true, cpu_ok = rt_have(s, RT_WORK_CPU_STATS);
	uint64_t ncgo = 0, p_cleanups = 0, on_p_syscall = 0;
	int64_t mutex = 0, rtlock = 0, lock_wait = 0;
	int32_t nsyscall_nop = 0;
	uint32_t extra_inuse = 0, extra_len = 0;
	uint64_t cl_queued = 0, cl_executed = 0, g_created = 0;
	bool ok;
	int i, rc;

	memset(r, 0, offsetof(struct rtm_raw, th));
	r->minor = s->rt->minor;
	r->mono_ns = o->mono_ns;
	r->missing = NULL;
	heap_deltas(s, r);
	r->numgc = o->num_gc;
	r->numforcedgc = o->num_forced_gc;
	r->last_gc_unix = o->last_gc_unix_ns;
	r->pause_total_ns = o->pause_total_ns;
	r->gc_cpu_fraction = o->gc_cpu_fraction;
	memcpy(r->pause_ns, o->pause_ring, sizeof(r->pause_ns));
	r->heap_in_use = v->heap_in_use;
	r->heap_free = v->heap_free;
	r->heap_released = v->heap_released;
	r->heap_goal = o->next_gc;
	r->heap_marked = v->heap_marked;
	r->gogc = v->gc_percent;
	r->memory_limit = v->memory_limit;
	r->gomaxprocs = v->gomaxprocs;
	r->stacks_sys = v->stacks_sys;
	r->goroutines = (uint64_t)o->num_goroutine;
	r->g_total = (uint64_t)(o->goroutines_with_sys < 1 ? 1 : o->goroutines_with_sys);

	remote_init(&b, s->pid);
	add(&b, s, RT_MS_MSPAN_SYS, &r->mspan_sys, 8, &sys_ok);
	add(&b, s, RT_MS_MCACHE_SYS, &r->mcache_sys, 8, &sys_ok);
	add(&b, s, RT_MS_BUCKHASH_SYS, &r->buckhash_sys, 8, &sys_ok);
	add(&b, s, RT_MS_GCMISC_SYS, &r->gcmisc_sys, 8, &sys_ok);
	add(&b, s, RT_MS_OTHER_SYS, &r->other_sys, 8, &sys_ok);
	add(&b, s, RT_MHEAP_SPAN_INUSE, &r->mspan_inuse, 8, &inuse_ok);
	add(&b, s, RT_MHEAP_CACHE_INUSE, &r->mcache_inuse, 8, &inuse_ok);
	r->have_pause_end = true;
	add(&b, s, RT_MS_PAUSE_END, r->pause_end, sizeof(r->pause_end), &r->have_pause_end);
	r->have_heap_scan = r->minor >= 21;
	add(&b, s, RT_GCC_HEAP_SCAN, &r->heap_scan, 8, &r->have_heap_scan);
	add(&b, s, RT_GCC_STACK_SCAN, &r->stack_scan, 8, &r->have_heap_scan);
	add(&b, s, RT_GCC_GLOBALS_SCAN, &r->globals_scan, 8, &r->have_heap_scan);
	r->have_limiter = r->have_starting_stack = true;
	add(&b, s, RT_LIMITER_LAST_ENABLED, &r->limiter_last_enabled, 4, &r->have_limiter);
	add(&b, s, RT_STARTING_STACK_SIZE, &r->starting_stack_size, 4, &r->have_starting_stack);
	r->have_cgo = rt_have(s, RT_ALLM) && rt_have(s, RT_M_ALLLINK) && rt_have(s, RT_M_NCGOCALL);
	add(&b, s, RT_NCGOCALL, &ncgo, 8, &r->have_cgo);
	r->have_mutex_wait = r->minor >= 20;
	add(&b, s, RT_SCHED_MUTEX_WAIT, &mutex, 8, &r->have_mutex_wait);
	if (r->minor >= 22)
		add(&b, s, RT_SCHED_RTLOCK_WAIT, &rtlock, 8, &r->have_mutex_wait);
	r->have_fin = r->minor >= 25;
	add(&b, s, RT_FINQUEUED, &r->fin_queued, 8, &r->have_fin);
	add(&b, s, RT_FINEXECUTED, &r->fin_executed, 8, &r->have_fin);
	r->have_cleanups = r->minor >= 26;
	add(&b, s, RT_CLEANUPS_QUEUED, &cl_queued, 8, &r->have_cleanups);
	add(&b, s, RT_CLEANUPS_EXECUTED, &cl_executed, 8, &r->have_cleanups);
	r->have_created = r->minor >= 26;
	add(&b, s, RT_SCHED_GOROUTINES_CREATED, &g_created, 8, &r->have_created);
	ok = r->minor >= 26;
	add(&b, s, RT_SCHED_NGSYSCALL_NOP, &nsyscall_nop, 4, &ok);
	r->have_threads = r->minor >= 21;
	add(&b, s, RT_EXTRAM_INUSE, &extra_inuse, 4, &r->have_threads);
	add(&b, s, RT_EXTRAM_LENGTH, &extra_len, 4, &r->have_threads);
	for (i = 0; cpu_ok && i < 11; i++)
		cpu_ok = rt_have(s, cpu_fields[i]);
	if (cpu_ok)
		queue_cpu(&b, s, r);
	queue_hists(&b, s, r);
	rc = remote_flush(&b);
	if (rc)
		return rc;
	/* A copy taken while the runtime was writing it is read again (see cpu_consistent). */
	for (i = 0; cpu_ok && i < CPU_REREADS && !cpu_consistent(r->cpu); i++) {
		remote_init(&b, s->pid);
		queue_cpu(&b, s, r);
		rc = remote_flush(&b);
		if (rc)
			return rc;
	}
	r->have_sys = sys_ok;
	r->have_inuse = inuse_ok;
	r->have_cpu = cpu_ok;
	if (!sys_ok || !inuse_ok || !r->have_heap_extra)
		r->missing = "a memstats, mheap_ or heapStatsDelta field was not found";
	if (r->have_cgo && walk_ms(s, r, &lock_wait))
		r->have_cgo = false;
	r->cgo_calls += ncgo;
	r->mutex_wait_ns = mutex + rtlock + (r->minor >= 22 ? lock_wait : 0);
	if (r->minor >= 22 && !r->have_cgo)
		r->have_mutex_wait = false;	/* the per-M waits are part of it */
	r->cleanups_queued = cl_queued;
	r->cleanups_executed = cl_executed;
	r->g_created = g_created;
	r->have_sched = rt_have(s, RT_P_M) && rt_have(s, RT_M_CURG) && rt_have(s, RT_P_STATUS) &&
			rt_have(s, RT_P_RUNNEXT);
	if (r->have_sched && walk_ps(s, v, r, &p_cleanups, &on_p_syscall))
		r->have_sched = false;
	r->cleanups_queued += p_cleanups;
	if (r->minor >= 26) {
		r->g_not_in_go = on_p_syscall + (nsyscall_nop > 0 ? (uint64_t)nsyscall_nop : 0);
	} else {
		/*
		 * Backfill: before 1.26 a goroutine in a system call has no P in _Prunning to count
		 * it by; the walk of allgs has it, as a user goroutine in _Gsyscall.
		 */
		r->g_not_in_go = o->gstate[GSTATE_SYSCALL];
		if (o->gwalk_partial || !o->gwalk_seen)
			r->have_sched = false;
	}
	sampler_read_godebug(s, r);
	if (r->have_threads) {
		uint64_t m = (uint64_t)(v->mnext - v->nmfreed);

		r->threads = m - extra_inuse - extra_len;
	}
	return 0;
}
