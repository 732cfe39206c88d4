// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "goruntime/probe_table.h"

/*
 * One row per program, function and range of releases. Where the runtime renamed or replaced a
 * function, consecutive rows cover the ranges. The reasons behind each row are in
 * ../shared/reference/go-runtime.md and the comments below.
 */
static const struct probe_row rows[] = {
	/*
	 * Before 1.21 gcStart sets work.userForced before taking worldsema, so the next cycle can
	 * overwrite it while this one ends: the start's trigger kind is the exact "(forced)". From
	 * 1.21 it is set under worldsema and the end reads it exactly, and a start probe, a hit
	 * inside the stop-the-world, would only lengthen the pause.
	 */
	{ PROG_GC_START, PSET_GC, "runtime.(*gcControllerState).startCycle", AT_ENTRY, 19, 20,
	  GS_STW_NONE },
	/* Called once near the end of gcMarkTermination, after the world restarted. */
	{ PROG_GC_END, PSET_GC, "runtime.freeStackSpans", AT_ENTRY, 19, 0, GS_STW_NONE },

	/* 1.21 passes the stwReason to the stop and nothing to the start: pair them. */
	{ PROG_STW_STOP, PSET_STW, "runtime.stopTheWorldWithSema", AT_ENTRY, 21, 21, GS_STW_PAIR },
	{ PROG_STW_START, PSET_STW, "runtime.startTheWorldWithSema", AT_ENTRY, 21, 21, GS_STW_PAIR },
	/* 1.22+ pass the worldStop (reason, when stopping began) to the start. */
	{ PROG_STW_START, PSET_STW, "runtime.startTheWorldWithSema", AT_ENTRY, 22, 0, GS_STW_ARGS },

	{ PROG_G_CREATE, PSET_GOROUTINES, "runtime.newproc1", AT_EVERY_RET, 19, 0, GS_STW_NONE },
	{ PROG_G_EXIT, PSET_GOROUTINES, "runtime.goexit0", AT_PAST_STACK_CHECK, 19, 21, GS_STW_NONE },
	/* 1.22 moved the body of goexit0 into gdestroy, which also ends coroutines. */
	{ PROG_G_EXIT, PSET_GOROUTINES, "runtime.gdestroy", AT_PAST_STACK_CHECK, 22, 0, GS_STW_NONE },

	{ PROG_ALLOC_SAMPLE, PSET_ALLOC_SAMPLED, "runtime.profilealloc", AT_PAST_STACK_CHECK, 19, 0,
	  GS_STW_NONE },
	{ PROG_ALLOC_LARGE_MCACHE, PSET_ALLOC_LARGE, "runtime.(*mcache).allocLarge",
	  AT_PAST_STACK_CHECK, 19, 23, GS_STW_NONE },
	/* 1.24 split mallocgc by size class; large objects go through mallocgcLarge. */
	{ PROG_ALLOC_LARGE, PSET_ALLOC_LARGE, "runtime.mallocgcLarge", AT_PAST_STACK_CHECK, 24, 0,
	  GS_STW_NONE },
};

static int applies(const struct probe_row *r, int minor)
{
	return minor >= r->first_minor && (!r->last_minor || minor <= r->last_minor);
}

size_t probe_table_rows(int minor, unsigned int mask, const struct probe_row **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (!(rows[i].set & mask) || !applies(&rows[i], minor))
			continue;
		if (n < max)
			out[n] = &rows[i];
		n++;
	}
	return n;
}

enum gs_stw_abi probe_table_stw_abi(int minor)
{
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].prog == PROG_STW_START && applies(&rows[i], minor))
			return rows[i].stw_abi;
	return GS_STW_NONE;
}
