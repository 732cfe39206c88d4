/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * goscope stacks' outputs: each goroutine exactly as the target's own runtime prints it for
 * pprof.Lookup("goroutine").WriteTo(w, 2) in that Go release (goroutineheader, then traceback1
 * with its frame filter, inlined calls, argument words and elision), JSON lines, and groups of
 * goroutines with the same stack.
 */
#ifndef GS_FORMAT_TRACEBACK_H
#define GS_FORMAT_TRACEBACK_H

#include <stdbool.h>
#include <stddef.h>
#include "format/json.h"
#include "target/stacks.h"
#include "util/buf.h"

/* GOTRACEBACK levels the output follows: 1 is the runtime's default, 2 is "system". */
#define TB_LEVEL_DEFAULT	1
#define TB_LEVEL_SYSTEM		2

/* The status word as goroutineheader names it ("chan receive", "runnable", "syscall"). */
const char *traceback__status(const struct gdump *d, const struct gread *g);

/* The state alone, as gStatusStrings names it ("waiting", "leaked", "runnable"). */
const char *traceback__state(const struct gdump *d, const struct gread *g);

/* One goroutine's block: header, frames, created-by; every line ends in "\n". */
void traceback__goroutine(struct buf *b, const struct gdump *d, const struct gread *g,
			  int level);

/* One JSON object (no newline handling: json_begin/json_end are the caller's). */
void traceback__json(struct json *j, const struct gdump *d, const struct gread *g, int level);

/* The frames the text shows (after the runtime's filter and elision), for other outputs. */
size_t traceback__shown(const struct gdump *d, const struct gread *g, int level,
			const struct gframe **out, size_t max);

/*
 * The frames the runtime's goroutine profile records for g: wrappers left out, at most 32 (Go
 * 1.19-1.22) or 128 (profstackdepth, Go 1.23+), runtime.goexit included. Returns how many.
 */
size_t traceback__profile_frames(const struct gdump *d, const struct gread *g,
				 const struct gframe **out, size_t max);

/* Goroutines with the same stack as the goroutine profile records it (debug=1's groups). */
struct tb_group {
	const struct gread **members;	/* in dump order */
	size_t n;
	int64_t wait_min_ns, wait_max_ns;	/* -1: none of them has a wait time */
};

/* Group the goroutines for which keep(g) is true (keep NULL: all); largest groups first. */
struct tb_group *traceback__group(const struct gdump *d, bool (*keep)(void *, const struct gread *),
				  void *ctx, size_t *ngroups);
void traceback__groups_free(struct tb_group *gs, size_t n);

/* A group's distinct states as the header spells them ("chan receive", "runnable, sleep"). */
void traceback__group_states(struct buf *b, const struct gdump *d, const struct tb_group *grp);

/* A group's block: "N goroutines [states, wait]: goroutine IDs", the frames, created by. */
void traceback__group_text(struct buf *b, const struct gdump *d, const struct tb_group *grp,
			   int level);
void traceback__group_json(struct json *j, const struct gdump *d, const struct tb_group *grp,
			   int level);

/*
 * What a goroutine is, for a person: the function it runs (its outermost shown frame, past the
 * compiler's gowrapN wrappers of `go f(args)`), the frame where it is now (its innermost shown
 * frame, top) and where it waits in the program's own code (the innermost shown frame outside
 * GOROOT, else top). Each is NULL when the goroutine shows no frame.
 */
void traceback__site(const struct gdump *d, const struct gread *g, const char **runs,
		     const struct gframe **top, const struct gframe **at);

/* A compiler-made wrapper of a go statement with arguments ("main.main.gowrap1", Go 1.21+). */
bool traceback__is_gowrap(const char *name);

/* The runtime's funcNameForPrint: a generic function's shape arguments shown as "[...]". */
void traceback__func_name(struct buf *b, const struct gdump *d, const char *name);

#endif
