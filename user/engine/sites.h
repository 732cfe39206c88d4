/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where a process creates its goroutines and allocates its bytes, from the opt-in probes: every
 * live goroutine by its creation site (the go statement), and allocation samples by stack,
 * weighted as pprof weights them. Program counters are the target's (runtime addresses); names,
 * files and lines come from the binary's .gopclntab, so stripped binaries are named too.
 */
#ifndef GS_SITES_H
#define GS_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "goscope.h"

struct gobin;

/* A code location, symbolized. func and file point into the binary's data or are "?". */
struct site_loc {
	uint64_t pc;			/* runtime address */
	const char *func;
	const char *file;
	int line;
};

/* Goroutines created by one go statement. */
struct gsite {
	struct site_loc where;		/* the go statement: creator function, file:line */
	struct site_loc start;		/* the function the goroutines run (the first one
					 * seen), past the compiler's wrapper of go f(args) */
	bool system;			/* created by the runtime itself */
	uint64_t live;			/* alive now */
	uint64_t created;		/* created since attach */
	uint64_t exited;		/* exited since attach (including ones seeded at attach) */
	uint64_t seeded;		/* alive at attach, found by walking allgs */
	int64_t growth;			/* live now minus live about a minute ago (or since attach) */
	uint64_t growth_ns;		/* the span growth covers */
	uint64_t oldest_ns;		/* CLOCK_MONOTONIC creation of the oldest live one; 0: before attach */
};

/* Allocations attributed to one place (the innermost frame outside the runtime). */
struct asite {
	struct site_loc where;
	double bytes;			/* estimated bytes allocated there since attach */
	double objects;			/* estimated objects */
	uint64_t samples;
};

/* One stack's allocation totals, for pprof. pcs are return addresses, innermost first. */
struct astack {
	const uint64_t *pcs;
	size_t n;
	double bytes, objects;
	uint64_t samples;
};

struct sites;

/* bias: the target's load bias (runtime address - bias = link-time address in bin). */
struct sites *sites__new(struct gobin *bin, uint64_t bias);
void sites__free(struct sites *s);

/* Goroutines. Seeding (from one allgs walk) may interleave with events: goids are unique. */
void sites__g_seed(struct sites *s, uint64_t goid, uint64_t gopc, uint64_t startpc, bool system);
void sites__g_create(struct sites *s, const struct gs_g_create *e);
void sites__g_exit(struct sites *s, const struct gs_g_exit *e);
/*
 * Forget every live goroutine before seeding again (after lost events, or to recount from allgs
 * once the probes are gone); the seeds of a recount are not counted as alive at attach.
 */
void sites__g_reset(struct sites *s);
uint64_t sites__g_unknown_exits(const struct sites *s);	/* exits of goroutines never seen */
uint64_t sites__g_live(const struct sites *s);

/* Allocation samples. */
void sites__alloc(struct sites *s, const struct gs_alloc *e);
uint64_t sites__alloc_samples(const struct sites *s);
/* Samples not kept because the stack table was full (they still count in the totals). */
uint64_t sites__alloc_dropped(const struct sites *s);

/* Record a point of the live-count history (once per sampling interval). */
void sites__tick(struct sites *s, uint64_t now_ns);

/*
 * Snapshots, sorted: goroutine sites by live count (then created), allocation sites by bytes.
 * Return how many there are; *out is valid until the next call on s. max 0: all.
 */
size_t sites__gsites(struct sites *s, const struct gsite **out);
size_t sites__asites(struct sites *s, const struct asite **out);
/* Every distinct allocation stack (unsorted), for writing a profile. */
size_t sites__astacks(struct sites *s, const struct astack **out);

/* Symbolize a runtime PC; a return address is looked up at pc - 1 as tracebacks do. */
void sites__symbolize(struct sites *s, uint64_t pc, bool return_addr, struct site_loc *out);

/* Weight of one sample of size bytes at MemProfileRate rate, as pprof scales heap samples. */
void sites_weight(uint64_t size, int64_t rate, double *objects, double *bytes);

#endif
