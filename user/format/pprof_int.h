/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The profile in memory, shared by the builder (pprof.c) and the writer (pprof_write.c) only.
 * Every table is what profile.proto wants, so the writer encodes them as they are: ids are
 * positions + 1, except string ids, which are positions (index 0 is "").
 */
#ifndef GS_FORMAT_PPROF_INT_H
#define GS_FORMAT_PPROF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "format/pprof.h"

/* One slot of an index: the entry's position + 1 (0: empty) and its hash, kept for rehashing. */
struct slot {
	uint32_t pos;
	uint32_t hash;
};

struct index {
	struct slot *slots;
	size_t cap, n;		/* cap: a power of two, at least twice n */
};

struct str {
	char *s;
	size_t len;
};

struct func {
	uint32_t name, file;	/* string ids */
};

struct loc {
	uint64_t addr;
	uint32_t func;		/* function id; 0: an address-only location */
	int64_t line;
};

struct sample {
	size_t off;		/* where its location ids start in pprof.stacks */
	uint32_t n;
	int64_t v[PPROF_MAX_TYPES];
};

struct pprof {
	struct str *strs;
	size_t nstrs, strs_cap;
	struct index str_index;
	struct func *funcs;
	size_t nfuncs, funcs_cap;
	struct index func_index;
	struct loc *locs;
	size_t nlocs, locs_cap;
	struct index loc_index;
	struct sample *samples;
	size_t nsamples, samples_cap;
	struct index sample_index;
	uint32_t *stacks;	/* the location ids of every sample, back to back */
	size_t stacks_len, stacks_cap;
	uint32_t *comments;
	size_t ncomments, comments_cap;

	uint32_t types[PPROF_MAX_TYPES][2];	/* (type, unit) string ids */
	int ntypes;
	uint32_t period_type[2];
	int64_t period;
	uint32_t default_type;
	int64_t time_nanos, duration_nanos;
	uint64_t map_start, map_limit, map_offset;
	uint32_t map_file, map_build_id;
	bool oom;		/* a void setter failed: the profile would be incomplete */
};

#endif
