/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One Go process goscope watches: what it is, where its runtime lives, which probes it has. */
#ifndef GS_TARGET_H
#define GS_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "goscope.h"
#include "goruntime/layout.h"
#include "goruntime/probe_table.h"
#include "target/proc.h"
#include "util/log.h"

struct gobin;
struct probes;

struct target {
	pid_t pid;
	unsigned int slot;		/* index in the BPF maps and attach cookie */
	char comm[32];
	char exe[PATH_MAX];		/* what /proc/PID/exe points to, for display */
	char exe_path[64];		/* /proc/PID/exe */
	/*
	 * The mapped file that holds the Go runtime: the executable, or a shared library (a Go
	 * c-shared library in a C, Python or Java process) or the program ld.so was asked to run.
	 */
	char object[PATH_MAX];		/* its path, for display; "" when it is the executable */
	char bin_path[PATH_MAX + 32];	/* opened and probed through this: exe_path or map_files */
	uint64_t bin_dev, bin_ino;	/* as /proc/PID/maps names it */
	struct gobin *bin;
	uint64_t bias;			/* load bias, 0 unless PIE or a shared library */
	struct rt_layout rt;		/* every runtime field, resolved */
	struct gs_target_cfg cfg;	/* what the BPF side gets */
	int pidfd;
	struct proc_image image;	/* what the process ran when opened */
	unsigned int sets;		/* probe sets attached (enum probe_set) */
	bool execed;			/* it called exec(2): same PID, another program */
	uint32_t numgc_at_attach;	/* memstats.numgc read right after the GC probes attached */
};

/* What a process is, as far as target__open got: enough to list a Go program it refused. */
struct target_info {
	bool go;			/* a Go program, watchable or not */
	char comm[32];
	char version[48];		/* "go1.24.4"; "<1.13" without build info; "?" */
	bool pie, stripped, cgo;
	char object[PATH_MAX];		/* the file holding the runtime when not the executable */
	char refused[64];		/* a refused release or build, in a few words; "" otherwise */
};

/*
 * Resolve a PID to a target: alive, a Go program, a supported Go release, the runtime locatable,
 * load bias and every runtime address known. Nothing is attached yet. This is the one rule for
 * "can goscope watch this process": `goscope ps` asks it too. info (if not NULL) is filled as far
 * as the checks got, also on failure.
 */
struct target *target__open(pid_t pid, struct target_info *info, struct gs_err *err);
void target__free(struct target *t);

/*
 * Attach the probe sets in mask (enum probe_set) that this release has, in slot: for each row of
 * goruntime/probe_table.c, the function's entry, every RET, or the first instruction past its
 * stack check. The first attach configures the slot. Attaching PSET_GC reads numgc_at_attach:
 * every cycle that ends from then on is caught. On failure nothing of mask stays attached.
 */
int target__attach(struct target *t, struct probes *p, unsigned int slot, unsigned int mask,
		   struct gs_err *err);
void target__detach_sets(struct target *t, struct probes *p, unsigned int mask);
void target__detach(struct target *t, struct probes *p);

enum alloc_mode {
	ALLOC_OFF,
	ALLOC_SAMPLED,		/* runtime.profilealloc: the runtime's own sampling */
	ALLOC_LARGE,		/* memory profiling is off in the target: large allocations only */
};

/*
 * The allocation probes on an attached target: PSET_ALLOC_SAMPLED when the target samples
 * allocations (MemProfileRate > 0), else PSET_ALLOC_LARGE; *mode says which, *rate the
 * MemProfileRate read (0: off or unknown) and why (when not sampled) the reason, for the user.
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
