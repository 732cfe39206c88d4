/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The circuit breaker's arithmetic: the hit rate of one opt-in probe set over the last second,
 * from its hit counter read every tenth of a second, and whether the cost of those hits is over
 * the budget. The budget is an average over a second: a short burst is let through until the
 * window is full; a storm of BREAKER_STORM times the budget trips it at once.
 */
#ifndef GS_BREAKER_H
#define GS_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#define BREAKER_STEP_NS		100000000ull	/* how often the counters are read */
#define BREAKER_POINTS		11		/* a second of readings, both ends included */
#define BREAKER_WINDOW_S	0.95		/* a full window (ten steps, give or take a wakeup) */
#define BREAKER_STORM		10

struct breaker {
	uint64_t t_ns[BREAKER_POINTS];
	uint64_t hits[BREAKER_POINTS];
	unsigned int n;			/* readings ever added */
};

/*
 * Add a reading of the hit counter (hits since attach) at now_ns. Returns the hit rate in hits
 * per second over the window the readings cover (the last second, or less at first) and that
 * window's length in *span_s; both 0 until there are two readings.
 */
double breaker_add(struct breaker *b, uint64_t now_ns, uint64_t hits, double *span_s);

/* Does a cost of cpu (share of one CPU) measured over span_s seconds trip the budget? */
bool breaker_trips(double cpu, double span_s, double budget);

#endif
