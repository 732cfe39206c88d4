/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A pprof profile writer: samples (stacks of frames with one value per sample type) collected in
 * memory, then written as the gzipped profile.proto message that `go tool pprof` reads. Strings,
 * functions, locations and identical stacks are deduplicated as they are added, so memory grows
 * with the number of distinct stacks, not with the number of samples.
 *
 * Every function accepts a NULL profile and then does nothing (or fails). Setters that return
 * void record an allocation failure in the profile, and pprof__write() then reports it.
 */
#ifndef GS_OUT_PPROF_H
#define GS_OUT_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/log.h"

/* How many values a sample carries at most (alloc_objects, alloc_space, inuse_… ). */
#define PPROF_MAX_TYPES 4

struct pprof;

/*
 * One frame of a stack. addr is a PC (a link-time address is fine). A frame with neither func nor
 * file becomes an address-only location; otherwise a missing name or file is written as "".
 */
struct pprof_frame {
	uint64_t addr;
	const char *func;
	const char *file;
	int line;
};

/* A new, empty profile; NULL when out of memory. */
struct pprof *pprof__new(void);
void pprof__free(struct pprof *p);

/*
 * Declare the sample value types in order, e.g. ("alloc_objects", "count") then ("alloc_space",
 * "bytes"). At most PPROF_MAX_TYPES, all before the first pprof__add(). Returns 0 or -1.
 */
int pprof__sample_type(struct pprof *p, const char *type, const char *unit);
/* What one sample stands for, e.g. ("space", "bytes", 524288) for the heap profile's rate. */
void pprof__period(struct pprof *p, const char *type, const char *unit, int64_t period);
/* The sample type `go tool pprof` shows unless told otherwise (-sample_index). */
void pprof__default_type(struct pprof *p, const char *type);
void pprof__time(struct pprof *p, int64_t time_unix_nanos, int64_t duration_nanos);
/*
 * The one executable mapping every location belongs to. Optional: without it the profile has a
 * mapping with no addresses and no file. A later call replaces the earlier.
 */
void pprof__mapping(struct pprof *p, uint64_t start, uint64_t limit, uint64_t offset,
		    const char *file, const char *build_id);
void pprof__comment(struct pprof *p, const char *text);

/*
 * Add one sample: frames leaf first (frames[0] is the innermost), values as many as there are
 * sample types. A stack added again has its values summed into the first (saturating at the
 * int64 limits). Returns 0, or -1 when out of memory (the sample is then dropped and the profile
 * stays usable) or on bad arguments.
 */
int pprof__add(struct pprof *p, const struct pprof_frame *frames, size_t nframes,
	       const int64_t *values);

/*
 * Open path for a profile before the run, so a bad path fails at once: created 0640 (less the
 * umask), or an existing file opened as it is (truncated only when the profile is written); a
 * symbolic link is refused. *created says whether the file is new. Returns the descriptor, or -1
 * with err set (GS_EXIT_ERROR, naming the file and the reason).
 */
int pprof__open_output(const char *path, bool *created, struct gs_err *err);

/* Write the profile, gzipped, over the file open at fd (named path in messages). Returns 0, or -1
 * with err set (GS_EXIT_ERROR, naming the file and the reason). */
int pprof__write_fd(struct pprof *p, int fd, const char *path, struct gs_err *err);

/* Open path as pprof__open_output() does ("-": standard output) and write the profile there; a
 * file this call created is removed again if the write fails. */
int pprof__write(struct pprof *p, const char *path, struct gs_err *err);

#endif
