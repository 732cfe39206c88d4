/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * goscope profile's reports of what the opt-in probes found on one process: the tables of
 * goroutine creation sites and allocation sites, and the same as a pprof profile.
 */
#ifndef GS_FORMAT_PROFILE_H
#define GS_FORMAT_PROFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pprof;
struct watched;

/* Live goroutines by the go statement that created them, the top rows of them. */
void profile_print_goroutines(FILE *f, const struct watched *w, int top, uint64_t now_ns);
/* Allocation sites, by bytes or by objects, the top rows of them. */
void profile_print_allocs(FILE *f, const struct watched *w, int top, bool by_objects);

/*
 * The allocation samples (allocs) or the goroutine creation sites as a profile `go tool pprof`
 * reads, with the run's time and duration. Returns 0, or -1 when out of memory.
 */
int profile_build_pprof(struct pprof *pp, const struct watched *w, bool allocs, int64_t start_ns,
			int64_t duration_ns);

#endif
