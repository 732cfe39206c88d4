/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types shared by the BPF programs and user space. Fixed-width kernel types only; this header
 * includes neither vmlinux.h nor libc so that both sides compile it unchanged.
 */
#ifndef GOSCOPE_H
#define GOSCOPE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* user space; the BPF side gets the same types from vmlinux.h */
#endif

#define GS_MAX_TARGETS		1024
#define GS_RINGBUF_BYTES	(1024 * 1024)

/*
 * Wakeup pacing: a GC end wakes the reader only when it has not looked at the ring buffer for
 * this long (user space writes when it last did into reader_seen_ns); otherwise the reader,
 * still polling every GS_WAKE_GAP_MS while events flow, picks the event up by itself. Each
 * wakeup costs the target about as much as a probe hit (~10 us here), so at hundreds of GC
 * cycles a second this halves goscope's cost, for a line at most this much later.
 */
#define GS_WAKE_GAP_MS		10
#define GS_WAKE_GAP_NS		(GS_WAKE_GAP_MS * 1000000ull)
#define GS_MAX_FRAMES		32	/* user stack depth of an allocation sample */

enum gs_event_kind {
	GS_EV_GC_START	= 1,	/* runtime.(*gcControllerState).startCycle entry (world stopped) */
	GS_EV_GC_END	= 2,	/* runtime.freeStackSpans entry: every gctrace value is final */
	GS_EV_STW	= 3,	/* a stop-the-world pause that is not part of a GC cycle */
	GS_EV_G_CREATE	= 4,	/* opt-in: a RET of runtime.newproc1 (a goroutine was created) */
	GS_EV_G_EXIT	= 5,	/* opt-in: runtime.gdestroy (1.22+) / goexit0 entry */
	GS_EV_ALLOC	= 6,	/* opt-in: runtime.profilealloc or a large-allocation entry */
};

/*
 * The opt-in probes, whose rate follows what the target does (goroutines created, bytes
 * allocated) rather than its GC cycles. Each hit is counted per target so that user space can
 * estimate what they cost the target and detach them when over budget.
 */
enum gs_optin_probe {
	GS_PROBE_G_CREATE = 0,
	GS_PROBE_G_EXIT,
	GS_PROBE_ALLOC,		/* profilealloc: one hit per sampled allocation */
	GS_PROBE_ALLOC_LARGE,	/* mallocgcLarge / (*mcache).allocLarge: every large allocation */
	GS_PROBE_NR
};

/* How the stop/start-the-world functions pass what goscope needs, by Go release. */
enum gs_stw_abi {
	GS_STW_NONE	= 0,	/* ≤1.20: no STW reason anywhere; only GC pauses, from gctrace times */
	GS_STW_PAIR	= 1,	/* 1.21: stopTheWorldWithSema(reason) entry paired with the start */
	GS_STW_ARGS	= 2,	/* 1.22+: startTheWorldWithSema(now, worldStop{reason, start, …}) */
};

/* stwReason values that belong to a GC cycle (1.21+). */
#define GS_STW_GC_MARK_TERM	1
#define GS_STW_GC_SWEEP_TERM	2

/*
 * Absolute addresses in the target of every runtime value the GC probes read. User space fills
 * them from the target's symbols and DWARF (link address + load bias + field offset), so the BPF
 * side knows nothing about Go versions. A zero address means "not read".
 */
struct gs_gc_layout {
	__u64 numgc;			/* memstats.numgc, uint32 */
	__u64 gc_cpu_fraction;		/* memstats.gc_cpu_fraction, float64 */
	__u64 runtime_init_time;	/* runtime.runtimeInitTime, int64 */
	__u64 t_sweep_term;		/* work.tSweepTerm, int64 */
	__u64 t_mark;			/* work.tMark */
	__u64 t_mark_term;		/* work.tMarkTerm */
	__u64 t_end;			/* work.tEnd */
	__u64 stwprocs;			/* work.stwprocs, int32 */
	__u64 maxprocs;			/* work.maxprocs, int32 */
	__u64 user_forced;		/* work.userForced, bool */
	__u64 heap0;			/* work.heap0, uint64 */
	__u64 heap1;			/* work.heap1 */
	__u64 heap2;			/* work.heap2 */
	__u64 pause_ns;			/* work.pauseNS, int64 */
	__u64 assist_time;		/* gcController.assistTime, int64 */
	__u64 dedicated_mark_time;	/* gcController.dedicatedMarkTime */
	__u64 fractional_mark_time;	/* gcController.fractionalMarkTime */
	__u64 idle_mark_time;		/* gcController.idleMarkTime */
	__u64 last_heap_goal;		/* gcController.lastHeapGoal, uint64 */
	__u64 stack_scan;		/* 1.19: gcController.maxStackScan; 1.20+: lastStackScan */
	__u64 globals_scan;		/* gcController.globalsScan */
};

/*
 * What the goroutine and allocation probes read: offsets inside runtime.g and runtime.m, and the
 * address of runtime.MemProfileRate (0: not known; samples are then taken as they come).
 */
struct gs_g_layout {
	__u64 g_goid;			/* offsetof(g, goid) */
	__u64 g_gopc;			/* offsetof(g, gopc): PC of the go statement */
	__u64 g_startpc;		/* offsetof(g, startpc) */
	__u64 g_status;			/* offsetof(g, atomicstatus) */
	__u64 g_m;			/* offsetof(g, m) */
	__u64 m_curg;			/* offsetof(m, curg) */
	__u64 mem_profile_rate;		/* &runtime.MemProfileRate, an int */
};

/* Per-target configuration of the BPF side, keyed by the attach cookie. */
struct gs_target_cfg {
	struct gs_gc_layout gc;
	struct gs_g_layout g;
	__u32 stw_abi;			/* enum gs_stw_abi */
	__u32 pad;
};

struct gs_event_hdr {
	__u32 kind;		/* enum gs_event_kind */
	__u32 target;		/* target slot, the uprobe's attach cookie */
	__u32 pid;		/* tgid as the kernel's root PID namespace sees it */
	__u32 tid;
	__u64 ktime_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC, the clock nanotime() uses */
};

struct gs_gc_start {
	struct gs_event_hdr hdr;
	__u64 trigger_kind;	/* RDI: gcTriggerKind (0 heap, 1 time, 2 cycle = runtime.GC) */
	__u64 trigger_now;	/* RSI: trigger.now */
	__u32 numgc;		/* completed cycles before this one starts */
	__u32 read_errors;
};

struct gs_gc_end {
	struct gs_event_hdr hdr;
	__u32 numgc;
	__s32 stwprocs;
	__s32 maxprocs;
	__u8 user_forced;
	__u8 pad[3];
	__u64 gc_cpu_fraction_bits;	/* raw float64 bits; converted in user space */
	__s64 runtime_init_time;
	__s64 t_sweep_term;
	__s64 t_mark;
	__s64 t_mark_term;
	__s64 t_end;
	__u64 heap0;
	__u64 heap1;
	__u64 heap2;
	__s64 pause_ns;
	__s64 assist_time;
	__s64 dedicated_mark_time;
	__s64 fractional_mark_time;
	__s64 idle_mark_time;
	__u64 last_heap_goal;
	__u64 stack_scan;
	__u64 globals_scan;
	__u32 read_errors;		/* bit per gs_gc_layout field that failed to read */
	/*
	 * Go 1.22+ count the time spent stopping in a pause: the sweep-termination pause is
	 * tMark - sweep_started_stopping, the mark-termination pause is markterm_pause_ns; both
	 * come from startTheWorldWithSema's arguments and are 0 when not seen this cycle.
	 */
	__u32 stw_flags;		/* GS_STW_F_* */
	__s64 sweep_started_stopping;
	__s64 markterm_pause_ns;
};

#define GS_STW_F_SWEEP_SEEN	0x1	/* sweep_started_stopping is this cycle's */
#define GS_STW_F_MARKTERM_SEEN	0x2	/* markterm_pause_ns is this cycle's */
#define GS_STW_F_MARKTERM_RETRY	0x4	/* a mark termination was abandoned and retried */

/* What the stop/start-the-world probes learnt of the current GC cycle, per target (BPF map). */
struct gs_stw_state {
	__u64 stop_ktime;		/* 1.21: stopTheWorldWithSema entry */
	__u32 stop_reason;
	__u32 flags;			/* GS_STW_F_* for the cycle in progress */
	__s64 sweep_started_stopping;
	__s64 markterm_pause_ns;
};

struct gs_stw {
	struct gs_event_hdr hdr;
	__u64 duration_ns;	/* from the start of stopping to the world running again */
	__u32 reason;		/* stwReason (1.21+) */
	__u32 approximate;	/* 1: measured from probe entry, slightly short */
};

/*
 * A goroutine was created. The creator is the goroutine running on the M that ran newproc1
 * (R14 is g0 there: g0.m.curg), which is what the runtime records as parentGoid (1.21+).
 */
struct gs_g_create {
	struct gs_event_hdr hdr;
	__u64 goid;
	__u64 parent_goid;		/* 0: not readable */
	__u64 gopc;			/* return address of the go statement's call (runtime address) */
	__u64 startpc;			/* entry of the goroutine's function */
	__u32 status;			/* 1 runnable; 4 waiting (a parked coroutine, 1.23+) */
	__u32 read_errors;
};

struct gs_g_exit {
	struct gs_event_hdr hdr;
	__u64 goid;
};

/*
 * An allocation: from profilealloc, a sampled one of size bytes taken when the target's
 * MemProfileRate was rate; from the large-allocation probes, every large one (rate 0). The stack
 * is return addresses from the probed function's caller outwards, found through frame pointers
 * (which Go keeps on amd64); pcs[0] is the return address into the allocator.
 */
struct gs_alloc {
	struct gs_event_hdr hdr;
	__u64 addr;			/* profilealloc: the sampled object; 0 from the large probes */
	__u64 size;
	__s64 rate;
	__u32 nframes;
	__u32 large;			/* 1: a large-allocation probe, not a profiling sample */
	__u64 pcs[GS_MAX_FRAMES];
};

#endif /* GOSCOPE_H */
