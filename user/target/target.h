/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One Go process goscope watches: what it is, where its runtime lives, what we saw of it. */
#ifndef GS_TARGET_H
#define GS_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "goscope.h"
#include "util/log.h"
#include "goruntime/layout.h"
#include "target/proc.h"

struct gobin;
struct probes;

struct target {
	pid_t pid;
	unsigned int slot;		/* index in the BPF maps and attach cookie */
	char comm[32];
	char exe[PATH_MAX];		/* what /proc/PID/exe points to, for display */
	char exe_path[64];		/* /proc/PID/exe: opened and probed through this */
	struct gobin *bin;
	uint64_t bias;			/* load bias, 0 unless PIE */
	struct rt_layout rt;		/* every runtime field, resolved */
	struct gs_target_cfg cfg;	/* what the BPF side gets */
	int pidfd;
	struct proc_image image;	/* what the process ran when opened */
	bool attached;
	bool exited;
	bool execed;			/* it called exec(2): same PID, another program */

	/* Event accounting. */
	bool seen_gc_end;
	uint32_t last_numgc;		/* numgc of the last completed cycle we reported */
	uint32_t numgc_at_attach;	/* memstats.numgc read right after attaching */
	uint64_t missed_cycles;
	bool start_seen;		/* a GC start event was seen … */
	uint32_t start_numgc;		/* … for the cycle after this many completed ones … */
	bool start_forced;		/* … and it was triggered by runtime.GC() */
	uint64_t drops_reported;
};

/*
 * Resolve a PID to a target: alive, a Go program, a supported Go release, symbols and DWARF
 * present, load bias and every runtime address known. Nothing is attached yet.
 */
struct target *target__open(pid_t pid, struct gs_err *err);
void target__free(struct target *t);

/*
 * Attach the GC probes and, with stw, the stop/start-the-world probes (which run while the world
 * is stopped, so each adds its cost to a pause). On success t->attached is set and
 * numgc_at_attach read.
 */
int target__attach(struct target *t, struct probes *p, unsigned int slot, bool stw,
		   struct gs_err *err);
void target__detach(struct target *t, struct probes *p);

/*
 * The opt-in probes, on an attached target. Goroutines: every RET of runtime.newproc1 (found by
 * decoding it; a uretprobe would crash the target) and the exit function of the release.
 */
int target__attach_goroutines(struct target *t, struct probes *p, struct gs_err *err);

enum alloc_mode {
	ALLOC_OFF,
	ALLOC_SAMPLED,		/* runtime.profilealloc: the runtime's own sampling */
	ALLOC_LARGE,		/* memory profiling is off in the target: large allocations only */
};

/*
 * Allocations: profilealloc when the target samples allocations (MemProfileRate > 0), else the
 * large-allocation function; *mode says which, *rate the MemProfileRate read (0: off or unknown)
 * and why (when not sampled) the reason, for the user.
 */
int target__attach_allocs(struct target *t, struct probes *p, enum alloc_mode *mode,
			  int64_t *rate, char *why, size_t whylen, struct gs_err *err);

/*
 * Has the process gone, or replaced its program by exec(2)? Either way its memory no longer is
 * the one described by t and must not be read as such. An exec is noted (once) when first seen.
 */
bool target__gone(struct target *t);

/* A one-line description: "PID 1234 (name, go1.24.4, pie)". */
const char *target__describe(const struct target *t, char *buf, size_t len);

#endif
