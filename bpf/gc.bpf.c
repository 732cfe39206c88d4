// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GC cycle and stop-the-world probes. Each fires a few times per GC cycle (and on the rare
 * stop-the-world of ReadMemStats, GOMAXPROCS and the like), so they cost the target a few
 * microseconds per cycle whatever it does between cycles. Every address comes from user space
 * through the configuration map, keyed by the attach cookie: one loaded object serves any number
 * of targets, each with its own Go version.
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

static __always_inline void count_drop(__u32 slot)
{
	if (slot < GS_MAX_TARGETS)
		__sync_fetch_and_add(&ringbuf_drops[slot], 1);
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
	bpf_ringbuf_submit(e, 0);
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
	bpf_ringbuf_submit(e, 0);
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
	bpf_ringbuf_submit(e, 0);
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
