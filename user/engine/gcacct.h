/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * GC accounting of one target: which cycle was reported last, how many were never reported, how
 * many of its events the full ring buffer dropped. Hard rule 4 (nothing lost silently) is
 * arithmetic on these numbers; only the event module (events.c) writes them.
 */
#ifndef GS_GCACCT_H
#define GS_GCACCT_H

#include <stdbool.h>
#include <stdint.h>

struct gc_account {
	bool seen_end;			/* a cycle's end was accounted */
	uint32_t last_numgc;		/* the newest cycle accounted */
	bool start_seen;		/* a cycle's start was seen … */
	uint32_t start_numgc;		/* … after this many completed cycles … */
	bool start_forced;		/* … and it was triggered by runtime.GC() */
	uint64_t drops_seen;		/* the slot's drop counter when last looked at */
	uint64_t missed_cycles;		/* cycles never reported, in all */
	uint64_t lost_events;		/* events dropped by the full ring buffer, in all */
};

/*
 * Start afresh for a new target of a slot whose drop counter (which runs since the BPF object
 * was loaded) reads drops_now.
 */
void gcacct_init(struct gc_account *a, uint64_t drops_now);

/* A cycle started after numgc completed ones; forced: runtime.GC(); ok: its fields were read. */
void gcacct_start(struct gc_account *a, uint32_t numgc, bool forced, bool ok);

/*
 * Is cycle numgc not newer than the newest accounted? (Cycle numbers are uint32 and compared as
 * serial numbers, so they may wrap.) A cycle number that goes back can mean the process
 * replaced its program by exec(2) of the same file, whose probes still fire.
 */
bool gcacct_stale(const struct gc_account *a, uint32_t numgc);

/*
 * Cycle numgc ended: account it and return how many cycles before it ended unreported (0 for
 * the first cycle seen, for consecutive ones and for a stale one, which changes nothing).
 */
uint32_t gcacct_end(struct gc_account *a, uint32_t numgc);

/*
 * Whether cycle numgc was forced: the trigger its start probe saw when it saw this very cycle's
 * start (exact on every release), else what the end read (end_forced).
 */
bool gcacct_forced(const struct gc_account *a, uint32_t numgc, bool end_forced);

/* The slot's drop counter reads drops_now: the drops since the last look (added to the total). */
uint64_t gcacct_drops(struct gc_account *a, uint64_t drops_now);

#endif
