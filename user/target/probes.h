/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The loaded BPF object and the uprobes attached to each target. Which function and offset each
 * program goes to is decided by goruntime/probe_table.c and target.c; this module only loads,
 * configures, attaches and counts.
 */
#ifndef GS_PROBES_H
#define GS_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "goscope.h"
#include "goruntime/probe_table.h"
#include "util/log.h"

struct probes;
struct ring_buffer;

/*
 * Check privileges and kernel features, then load the BPF object. Fails with
 * GS_EXIT_PERMISSION or GS_EXIT_KERNEL and a message saying what to do.
 */
struct probes *probes__open(struct gs_err *err);
void probes__free(struct probes *p);

/* The last slot is never a target's: the hit-cost measurement uses it. */
#define PROBES_MAX_SLOTS	(GS_MAX_TARGETS - 1)
#define PROBES_MAX_OFFSETS	8	/* uprobes per program and target (the RETs of newproc1) */

/* Give slot its configuration (the attach cookie selects it) before attaching anything to it. */
int probes__configure(struct probes *p, unsigned int slot, pid_t pid,
		      const struct gs_target_cfg *cfg, struct gs_err *err);

/*
 * Attach prog to one process at each of n file offsets in exe, restricted to pid, with slot as
 * the attach cookie. func names the probed function in messages. On failure nothing of prog
 * stays attached in that slot.
 */
int probes__attach(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
		   enum probe_prog prog, const uint64_t *offs, size_t n, const char *func,
		   struct gs_err *err);
void probes__detach(struct probes *p, unsigned int slot, enum probe_prog prog);
/* Everything attached in slot. */
void probes__detach_all(struct probes *p, unsigned int slot);

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
