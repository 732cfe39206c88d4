// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "engine/gcacct.h"

void gcacct_init(struct gc_account *a, uint64_t drops_now)
{
	memset(a, 0, sizeof(*a));
	a->drops_seen = drops_now;
}

void gcacct_start(struct gc_account *a, uint32_t numgc, bool forced, bool ok)
{
	a->start_seen = ok;
	a->start_numgc = numgc;
	a->start_forced = forced;
}

/* How far numgc is ahead of the newest cycle accounted: 0 or "behind" (≥ 2^31) when not newer. */
static uint32_t ahead(const struct gc_account *a, uint32_t numgc)
{
	return numgc - a->last_numgc;
}

bool gcacct_stale(const struct gc_account *a, uint32_t numgc)
{
	uint32_t d = ahead(a, numgc);

	return a->seen_end && (d == 0 || d >= 0x80000000u);
}

uint32_t gcacct_end(struct gc_account *a, uint32_t numgc)
{
	uint32_t missed;

	if (!a->seen_end) {
		a->seen_end = true;
		a->last_numgc = numgc;
		return 0;
	}
	if (gcacct_stale(a, numgc))
		return 0;
	missed = ahead(a, numgc) - 1;
	a->last_numgc = numgc;
	a->missed_cycles += missed;
	return missed;
}

bool gcacct_forced(const struct gc_account *a, uint32_t numgc, bool end_forced)
{
	if (a->start_seen && a->start_numgc + 1 == numgc)
		return a->start_forced;
	return end_forced;
}

uint64_t gcacct_drops(struct gc_account *a, uint64_t drops_now)
{
	uint64_t d;

	/* The counter only grows; if it ever read less, start counting from there. */
	if (drops_now <= a->drops_seen) {
		a->drops_seen = drops_now;
		return 0;
	}
	d = drops_now - a->drops_seen;
	a->drops_seen = drops_now;
	a->lost_events += d;
	return d;
}
