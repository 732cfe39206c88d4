/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which runtime function each BPF program is attached to, on which Go releases, and where in the
 * function: the one place that decides it. Attaching walks these rows; supporting a new Go
 * release means adding or ending rows here (and regenerating the layout tables).
 */
#ifndef GS_PROBE_TABLE_H
#define GS_PROBE_TABLE_H

#include <stddef.h>
#include "goscope.h"

/* The BPF programs of bpf/gc.bpf.c that attach as uprobes. */
enum probe_prog {
	PROG_GC_START,		/* gc_start: a cycle starts, its trigger in a register */
	PROG_GC_END,		/* gc_end: a cycle ended, every gctrace value final */
	PROG_STW_STOP,		/* stw_stop: stopping the world begins (with its reason) */
	PROG_STW_START,		/* stw_start: the world starts again */
	PROG_G_CREATE,		/* g_create: a goroutine was created */
	PROG_G_EXIT,		/* g_exit: a goroutine ends */
	PROG_ALLOC_SAMPLE,	/* alloc_sample: the runtime's memory profiler sampled an allocation */
	PROG_ALLOC_LARGE,	/* alloc_large: a large allocation (size in the first argument) */
	PROG_ALLOC_LARGE_MCACHE,	/* alloc_large_mcache: the same, as a method (size second) */
	PROG_NR
};

/* Probe sets: what a command asks for. A set is attached, and detached, as a whole. */
enum probe_set {
	PSET_GC		= 1 << 0,	/* the default: O(1) hits per GC cycle */
	PSET_STW	= 1 << 1,	/* every stop-the-world pause with its reason (--stw, stat) */
	PSET_GOROUTINES	= 1 << 2,	/* opt-in: goroutine creation and exit */
	PSET_ALLOC_SAMPLED = 1 << 3,	/* opt-in: the runtime's own allocation samples */
	PSET_ALLOC_LARGE = 1 << 4,	/* opt-in, when the target does not sample: large allocations */
};

/* Where in the function the uprobe goes. */
enum probe_at {
	AT_ENTRY,		/* the first instruction */
	/*
	 * Every RET instruction, found by decoding the function: a return probe without a
	 * uretprobe, which would crash a Go program (it moves stacks).
	 */
	AT_EVERY_RET,
	/*
	 * Past the stack check in the prologue: when the check fails, morestack runs the function
	 * again from its entry, so an entry probe would count that call twice. It fails whenever
	 * the runtime asks a goroutine to preempt itself, which the GC does every cycle.
	 */
	AT_PAST_STACK_CHECK,
};

struct probe_row {
	enum probe_prog prog;
	enum probe_set set;
	const char *func;	/* the runtime's name for the function */
	enum probe_at at;
	int first_minor;	/* Go 1.first_minor … */
	int last_minor;		/* … to Go 1.last_minor; 0: no end yet */
	enum gs_stw_abi stw_abi;	/* for the stop-the-world rows: how the release passes reasons */
};

#define PROBE_TABLE_MAX_ROWS	8	/* rows of one release and one set, at most */

/* The rows of the sets in mask that apply to Go 1.minor, in attach order. Returns how many. */
size_t probe_table_rows(int minor, unsigned int mask, const struct probe_row **out, size_t max);

/* How Go 1.minor's stop/start-the-world functions expose pause reasons. */
enum gs_stw_abi probe_table_stw_abi(int minor);

#endif
