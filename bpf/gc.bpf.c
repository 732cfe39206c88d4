// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GC cycle and stop-the-world probes. Each fires at most twice per GC cycle (and on the rare
 * stop-the-world of ReadMemStats, GOMAXPROCS and the like), so they cost the target a few
 * microseconds per cycle whatever it does between cycles; only the cycle's end wakes the reader.
 * The opt-in goroutine and allocation probes at the end fire as often as the target creates
 * goroutines or samples allocations. Every address comes from user space through the
 * configuration map, keyed by the attach cookie: one loaded object serves any number of
 * targets, each with its own Go version.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "goscope.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, GS_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GS_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct gs_target_cfg);
} target_cfgs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GS_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct gs_stw_state);
} stw_states SEC(".maps");

/* Events that did not fit in the ring buffer, per target slot. Read back by user space. */
__u64 ringbuf_drops[GS_MAX_TARGETS];

/* CLOCK_MONOTONIC ns when the reader last consumed events (user space writes it), or when an
 * event last woke it. */
__u64 reader_seen_ns;

/* Hits of each opt-in probe, per target slot: what the circuit breaker in user space measures. */
__u64 probe_hits[GS_MAX_TARGETS * GS_PROBE_NR];

/* Read one target value of the size of dst; on failure zero it and flag the layout field. */
#define READ_FIELD(dst, lay, field, errs)						\
	do {										\
		if (!(lay)->field ||							\
		    bpf_probe_read_user(&(dst), sizeof(dst), (void *)(lay)->field)) {	\
			(dst) = 0;							\
			(errs) |= 1u << (__builtin_offsetof(struct gs_gc_layout, field) / 8); \
		}									\
	} while (0)

static __always_inline void fill_hdr(struct gs_event_hdr *h, __u32 kind, __u32 slot)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->kind = kind;
	h->target = slot;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->ktime_ns = bpf_ktime_get_ns();
}

/*
 * Keep an index below a power of two in a way the verifier sees: the compiler, knowing a range
 * check already passed, would drop a plain mask and index with a register the verifier cannot
 * bound; the mask written in assembly stays.
 */
#define BOUND_POW2(idx, n) asm volatile("%0 &= %1" : "+r"(idx) : "i"((n) - 1))

/*
 * Wake the reader (forced: earlier events may still be pending, and then the default would
 * not) only if it has not looked for GS_WAKE_GAP_NS, or if the ring buffer is filling up.
 */
static __always_inline __u64 wake_flags(__u64 now)
{
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);

	if (now - reader_seen_ns >= GS_WAKE_GAP_NS ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > size / 4) {
		reader_seen_ns = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void count_drop(__u32 slot)
{
	__u64 i = slot;

	if (slot >= GS_MAX_TARGETS)
		return;
	BOUND_POW2(i, GS_MAX_TARGETS);
	__sync_fetch_and_add(&ringbuf_drops[i], 1);
}

SEC("uprobe")
int gc_start(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct gs_target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &slot);
	struct gs_gc_layout *lay;
	struct gs_gc_start *e;
	__u32 errs = 0;

	if (!cfg)
		return 0;
	lay = &cfg->gc;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(slot);
		return 0;
	}
	fill_hdr(&e->hdr, GS_EV_GC_START, slot);
	/* Go's register ABI: startCycle(c, markStartTime, procs, trigger{kind, now, n}). */
	e->trigger_kind = ctx->di;
	e->trigger_now = ctx->si;
	READ_FIELD(e->numgc, lay, numgc, errs);
	e->read_errors = errs;
	/* The cycle's end, moments later, wakes the reader for both. */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("uprobe")
int gc_end(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct gs_target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &slot);
	struct gs_stw_state *st = bpf_map_lookup_elem(&stw_states, &slot);
	struct gs_gc_layout *lay;
	struct gs_gc_end *e;
	__u32 errs = 0;

	if (!cfg || !st)
		return 0;
	lay = &cfg->gc;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(slot);
		return 0;
	}
	fill_hdr(&e->hdr, GS_EV_GC_END, slot);
	READ_FIELD(e->numgc, lay, numgc, errs);
	READ_FIELD(e->gc_cpu_fraction_bits, lay, gc_cpu_fraction, errs);
	READ_FIELD(e->runtime_init_time, lay, runtime_init_time, errs);
	READ_FIELD(e->t_sweep_term, lay, t_sweep_term, errs);
	READ_FIELD(e->t_mark, lay, t_mark, errs);
	READ_FIELD(e->t_mark_term, lay, t_mark_term, errs);
	READ_FIELD(e->t_end, lay, t_end, errs);
	READ_FIELD(e->stwprocs, lay, stwprocs, errs);
	READ_FIELD(e->maxprocs, lay, maxprocs, errs);
	READ_FIELD(e->user_forced, lay, user_forced, errs);
	READ_FIELD(e->heap0, lay, heap0, errs);
	READ_FIELD(e->heap1, lay, heap1, errs);
	READ_FIELD(e->heap2, lay, heap2, errs);
	READ_FIELD(e->pause_ns, lay, pause_ns, errs);
	READ_FIELD(e->assist_time, lay, assist_time, errs);
	READ_FIELD(e->dedicated_mark_time, lay, dedicated_mark_time, errs);
	READ_FIELD(e->fractional_mark_time, lay, fractional_mark_time, errs);
	READ_FIELD(e->idle_mark_time, lay, idle_mark_time, errs);
	READ_FIELD(e->last_heap_goal, lay, last_heap_goal, errs);
	READ_FIELD(e->stack_scan, lay, stack_scan, errs);
	READ_FIELD(e->globals_scan, lay, globals_scan, errs);
	e->read_errors = errs;
	e->stw_flags = st->flags;
	e->sweep_started_stopping = st->sweep_started_stopping;
	e->markterm_pause_ns = st->markterm_pause_ns;
	st->flags = 0;
	bpf_ringbuf_submit(e, wake_flags(e->hdr.ktime_ns));
	return 0;
}

static __always_inline void emit_stw(__u32 slot, __u64 duration, __u32 reason, __u32 approximate)
{
	struct gs_stw *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop(slot);
		return;
	}
	fill_hdr(&e->hdr, GS_EV_STW, slot);
	e->duration_ns = duration;
	e->reason = reason;
	e->approximate = approximate;
	/*
	 * Submitted from inside the stop-the-world: waking the reader there would lengthen the
	 * pause. The next GC end or the reader's next poll (at most the sampling interval) picks it up.
	 */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* Go 1.21 only: the reason is an argument of the stop, not of the start. */
SEC("uprobe")
int stw_stop(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct gs_stw_state *st = bpf_map_lookup_elem(&stw_states, &slot);

	if (!st)
		return 0;
	st->stop_ktime = bpf_ktime_get_ns();
	st->stop_reason = (__u8)ctx->ax;
	return 0;
}

/*
 * startTheWorldWithSema entry. On 1.22+ its arguments say why the world was stopped and when
 * stopping began; with now != 0 (mark termination) the runtime's own pause is exactly
 * now - startedStopping. GC pauses are attached to the cycle's end event; other pauses are sent
 * on their own, measured up to this probe (the runtime reads its clock a little later).
 */
SEC("uprobe")
int stw_start(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	struct gs_target_cfg *cfg = bpf_map_lookup_elem(&target_cfgs, &slot);
	struct gs_stw_state *st = bpf_map_lookup_elem(&stw_states, &slot);
	__u64 now = bpf_ktime_get_ns();
	__s64 started;
	__u32 reason;

	if (!cfg || !st)
		return 0;
	if (cfg->stw_abi == GS_STW_PAIR) {
		reason = st->stop_reason;
		if (st->stop_ktime && reason != GS_STW_GC_MARK_TERM && reason != GS_STW_GC_SWEEP_TERM)
			emit_stw(slot, now - st->stop_ktime, reason, 1);
		st->stop_ktime = 0;
		return 0;
	}
	if (cfg->stw_abi != GS_STW_ARGS)
		return 0;
	reason = (__u8)ctx->bx;
	started = (__s64)ctx->cx;
	if (reason == GS_STW_GC_SWEEP_TERM) {
		st->sweep_started_stopping = started;
		st->flags |= GS_STW_F_SWEEP_SEEN;
	} else if (reason == GS_STW_GC_MARK_TERM && ctx->ax) {
		st->markterm_pause_ns = (__s64)ctx->ax - started;
		st->flags |= GS_STW_F_MARKTERM_SEEN;
	} else if (reason == GS_STW_GC_MARK_TERM) {
		/* gcMarkDone found more work and restarted the world: the cycle pauses again. */
		st->flags |= GS_STW_F_MARKTERM_RETRY;
	} else {
		emit_stw(slot, now - started, reason, 1);
	}
	return 0;
}

/*
 * The opt-in probes. Their rate follows the target's own activity, so user space counts every hit
 * (probe_hits) and detaches a probe whose estimated cost goes over budget.
 */
static __always_inline struct gs_target_cfg *optin_hit(struct pt_regs *ctx, __u32 *slot,
							enum gs_optin_probe probe)
{
	__u32 s = (__u32)bpf_get_attach_cookie(ctx);
	__u64 idx;

	*slot = s;
	if (s >= GS_MAX_TARGETS)
		return NULL;
	idx = (__u64)s * GS_PROBE_NR + probe;
	BOUND_POW2(idx, GS_MAX_TARGETS * GS_PROBE_NR);
	__sync_fetch_and_add(&probe_hits[idx], 1);
	return bpf_map_lookup_elem(&target_cfgs, &s);
}

/*
 * Opt-in events come thousands of times a second: waking the reader for each would cost a
 * context switch per event, on the target's CPU too. They are left for the reader's next poll
 * (at most 100 ms away) unless the ring buffer is filling up.
 */
static __always_inline void submit_optin(void *e)
{
	__u64 size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > size / 4 ?
		      BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

static __always_inline __u64 read_u64(__u64 addr, __u32 *errs, __u32 bit)
{
	__u64 v = 0;

	if (!addr || bpf_probe_read_user(&v, sizeof(v), (void *)addr)) {
		*errs |= bit;
		return 0;
	}
	return v;
}

/*
 * At a RET of runtime.newproc1: RAX is the new g, every field set (goid is assigned before the
 * return in every release). newproc1 runs on the system stack, so R14 is the M's g0 and the
 * goroutine that executed the go statement is g0.m.curg.
 */
SEC("uprobe")
int g_create(struct pt_regs *ctx)
{
	__u32 slot, errs = 0, status = 0;
	struct gs_target_cfg *cfg = optin_hit(ctx, &slot, GS_PROBE_G_CREATE);
	struct gs_g_layout *l;
	struct gs_g_create *e;
	__u64 g, m, curg;

	if (!cfg)
		return 0;
	l = &cfg->g;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(slot);
		return 0;
	}
	fill_hdr(&e->hdr, GS_EV_G_CREATE, slot);
	g = ctx->ax;
	e->goid = read_u64(g + l->g_goid, &errs, 1);
	e->gopc = read_u64(g + l->g_gopc, &errs, 2);
	e->startpc = read_u64(g + l->g_startpc, &errs, 4);
	if (bpf_probe_read_user(&status, sizeof(status), (void *)(g + l->g_status)))
		errs |= 8;
	e->status = status;
	m = read_u64(ctx->r14 + l->g_m, &errs, 16);
	curg = m ? read_u64(m + l->m_curg, &errs, 16) : 0;
	e->parent_goid = curg ? read_u64(curg + l->g_goid, &errs, 16) : 0;
	e->read_errors = errs;
	submit_optin(e);
	return 0;
}

/* runtime.gdestroy (1.22+) / runtime.goexit0 entry: RAX is the exiting g, its goid still set. */
SEC("uprobe")
int g_exit(struct pt_regs *ctx)
{
	__u32 slot, errs = 0;
	struct gs_target_cfg *cfg = optin_hit(ctx, &slot, GS_PROBE_G_EXIT);
	struct gs_g_exit *e;

	if (!cfg)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(slot);
		return 0;
	}
	fill_hdr(&e->hdr, GS_EV_G_EXIT, slot);
	e->goid = read_u64(ctx->ax + cfg->g.g_goid, &errs, 1);
	submit_optin(e);
	return 0;
}

/*
 * The allocating goroutine's stack, at the entry of a function called by the allocator: the
 * return address on top of the stack, then the frame-pointer chain (saved BP at [BP], return
 * address at [BP+8]) until it ends (a goroutine's first frame has BP 0) or reads fail.
 */
static __always_inline void walk_stack(struct pt_regs *ctx, struct gs_alloc *e)
{
	__u64 fp = ctx->bp, pc = 0;
	__u32 n = 0;
	int i;

	if (!bpf_probe_read_user(&pc, sizeof(pc), (void *)ctx->sp) && pc)
		e->pcs[n++] = pc;
	for (i = 0; i < GS_MAX_FRAMES - 1; i++) {
		__u64 frame[2];

		if (!fp || bpf_probe_read_user(frame, sizeof(frame), (void *)fp) || !frame[1])
			break;
		if (n < GS_MAX_FRAMES)
			e->pcs[n++] = frame[1];
		if (frame[0] <= fp)	/* stacks grow down: callers' frames lie above */
			break;
		fp = frame[0];
	}
	e->nframes = n;
}

static __always_inline int emit_alloc(struct pt_regs *ctx, __u32 slot, __u64 addr, __u64 size,
				      __s64 rate, __u32 large)
{
	struct gs_alloc *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count_drop(slot);
		return 0;
	}
	fill_hdr(&e->hdr, GS_EV_ALLOC, slot);
	e->addr = addr;
	e->size = size;
	e->rate = rate;
	e->large = large;
	walk_stack(ctx, e);
	submit_optin(e);
	return 0;
}

/*
 * runtime.profilealloc(mp, x, size) entry: RCX is the sampled object's size. Since 1.24 the
 * allocator also calls it once per mcache when MemProfileRate changes, even to 0: no sample then.
 */
SEC("uprobe")
int alloc_sample(struct pt_regs *ctx)
{
	__u32 slot;
	struct gs_target_cfg *cfg = optin_hit(ctx, &slot, GS_PROBE_ALLOC);
	__s64 rate = 0;

	if (!cfg)
		return 0;
	if (cfg->g.mem_profile_rate) {
		if (bpf_probe_read_user(&rate, sizeof(rate), (void *)cfg->g.mem_profile_rate))
			rate = 0;
		if (rate <= 0)
			return 0;
	}
	return emit_alloc(ctx, slot, ctx->bx, ctx->cx, rate, 0);
}

/* runtime.mallocgcLarge(size, …) (1.24+) entry: RAX is the size. */
SEC("uprobe")
int alloc_large(struct pt_regs *ctx)
{
	__u32 slot;
	struct gs_target_cfg *cfg = optin_hit(ctx, &slot, GS_PROBE_ALLOC_LARGE);

	if (!cfg)
		return 0;
	return emit_alloc(ctx, slot, 0, ctx->ax, 0, 1);
}

/* runtime.(*mcache).allocLarge(c, size, noscan) (≤1.23) entry: RBX is the size. */
SEC("uprobe")
int alloc_large_mcache(struct pt_regs *ctx)
{
	__u32 slot;
	struct gs_target_cfg *cfg = optin_hit(ctx, &slot, GS_PROBE_ALLOC_LARGE);

	if (!cfg)
		return 0;
	return emit_alloc(ctx, slot, 0, ctx->bx, 0, 1);
}
