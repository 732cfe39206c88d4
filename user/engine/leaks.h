/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Goroutine leak suspects from repeated stack dumps: goroutines grouped by stack in each dump,
 * and the groups whose members are blocked in channel, select, sync or network waits and whose
 * count never went down over the window ranked by how much they grew, how many they are and how
 * long the oldest has waited.
 */
#ifndef GS_ENGINE_LEAKS_H
#define GS_ENGINE_LEAKS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "target/stacks.h"

struct leaks;

/* One ranked group. Strings point into the target's binary (valid while it is open). */
struct leak_suspect {
	const char *runs;		/* the function its goroutines run (gowrapN resolved) */
	const char *at_func;		/* where they block: the innermost shown frame */
	const char *at_file;
	int at_line;
	const char *state;		/* the wait reason, as the header spells it */
	uint64_t first, last, peak;	/* count in the first dump it was seen in, the last, most */
	int64_t growth;			/* last - count at the window's start (0 if not yet there) */
	int64_t oldest_wait_ns;		/* -1: unknown */
	int dumps_seen;
	uint64_t runtime_leaked;	/* members the runtime itself marked leaked (Go 1.26+) */
	uint64_t *goids;		/* the members in the last dump */
	size_t ngoids;
	char *stack;			/* the group's block, as stacks --group prints it */
};

struct leaks *leaks__new(void);
void leaks__free(struct leaks *lk);

/* One dump of the window: its goroutines for which keep() holds (keep NULL: all). */
void leaks__add(struct leaks *lk, const struct gdump *d,
		bool (*keep)(void *, const struct gread *), void *ctx);

/* The suspects, best first, valid until the next call or free; *n how many. */
const struct leak_suspect *leaks__suspects(struct leaks *lk, size_t *n);
int leaks__dumps(const struct leaks *lk);
uint64_t leaks__window_ns(const struct leaks *lk);
/* Go 1.minor of the dumps' target. */
int leaks__minor(const struct leaks *lk);

/* Blocked in a channel, select, sync or network wait (by the wait reason's name)? */
bool leaks__blocking_reason(const char *reason);

#endif
