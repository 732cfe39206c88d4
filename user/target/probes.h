/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The loaded BPF object and the uprobes attached to each target. */
#ifndef GS_PROBES_H
#define GS_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "goscope.h"
#include "util/log.h"

struct probes;
struct ring_buffer;

/*
 * Check privileges and kernel features, then load the BPF object. Fails with
 * GS_EXIT_PERMISSION or GS_EXIT_KERNEL and a message saying what to do.
 */
struct probes *probes__open(struct gs_err *err);
void probes__free(struct probes *p);

/* File offsets of the probed functions in the target's executable; 0: do not attach. */
struct probe_offsets {
	uint64_t gc_start;	/* runtime.(*gcControllerState).startCycle */
	uint64_t gc_end;	/* runtime.freeStackSpans */
	uint64_t stw_start;	/* runtime.startTheWorldWithSema */
	uint64_t stw_stop;	/* runtime.stopTheWorldWithSema (Go 1.21 only) */
};

/*
 * Attach probes to one process: uprobes at the given file offsets in exe, restricted to pid,
 * with slot as the attach cookie and cfg as its configuration.
 */
int probes__attach(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
		   const struct probe_offsets *off, const struct gs_target_cfg *cfg,
		   struct gs_err *err);
void probes__detach(struct probes *p, unsigned int slot);

/* The opt-in probe programs, and the hit counter each one adds to. */
enum optin_prog {
	OPTIN_G_CREATE,		/* a RET of runtime.newproc1 */
	OPTIN_G_EXIT,		/* runtime.gdestroy / runtime.goexit0 entry */
	OPTIN_ALLOC_SAMPLE,	/* runtime.profilealloc entry */
	OPTIN_ALLOC_LARGE,	/* runtime.mallocgcLarge entry (1.24+) */
	OPTIN_ALLOC_LARGE_MCACHE,	/* runtime.(*mcache).allocLarge entry (≤1.23) */
	OPTIN_NR
};

#define PROBES_MAX_OFFSETS	8	/* uprobes per opt-in program and target (RETs of newproc1) */

/*
 * Attach an opt-in program to one process at each of n file offsets (the configuration must
 * already be set by probes__attach). On failure nothing of it stays attached.
 */
int probes__attach_optin(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
			 enum optin_prog prog, const uint64_t *offs, size_t n, struct gs_err *err);
/* Detach one opt-in program from a process (probes__detach detaches everything). */
void probes__detach_optin(struct probes *p, unsigned int slot, enum optin_prog prog);
bool probes__optin_attached(const struct probes *p, unsigned int slot, enum optin_prog prog);

/* Hits of an opt-in probe (enum gs_optin_probe) in one slot since load. */
uint64_t probes__hits(const struct probes *p, unsigned int slot, enum gs_optin_probe probe);

/*
 * What one hit of an opt-in probe costs the thread that hits it, measured here and now: the
 * allocation program (the most expensive: it walks the stack) is attached to a function of
 * goscope itself, which is then called with and without it. Nanoseconds; the first call measures
 * (a few milliseconds), later ones return the same figure. When it cannot be measured,
 * PROBES_HIT_COST_FALLBACK_NS, so that the circuit breaker always has a figure.
 */
#define PROBES_HIT_COST_FALLBACK_NS	12000.0
uint64_t probes__hit_cost_ns(struct probes *p);

/* Ring buffer reader calling fn for every event; ctx is passed through. */
struct ring_buffer *probes__ringbuf(struct probes *p, int (*fn)(void *ctx, void *data, size_t len),
				    void *ctx);

/* Events lost because the ring buffer was full, for one slot, since load. */
uint64_t probes__drops(const struct probes *p, unsigned int slot);
/* Tell the GC-end probe the reader looked at the ring buffer at ns (CLOCK_MONOTONIC). */
void probes__reader_seen(struct probes *p, uint64_t ns);

#endif
