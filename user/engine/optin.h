/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The opt-in probe sets (--goroutines, --allocs): what was asked for, and what an output sees of
 * each set on a process. Attaching them, stating their cost and detaching them over budget is
 * engine/optin.c; the breaker's arithmetic is engine/breaker.c.
 */
#ifndef GS_OPTIN_H
#define GS_OPTIN_H

#include <stdbool.h>
#include <stdint.h>

/* The opt-in probe sets, each switched off on its own by the circuit breaker. */
enum optin_mode { OPTIN_GOROUTINES, OPTIN_ALLOCS, OPTIN_MODES };

struct optin_opts {
	bool goroutines;		/* goroutine creation and exit probes */
	bool allocs;			/* allocation sampling probes */
	double budget;			/* what they may cost, share of one CPU (0: the default) */
};

#define OPTIN_DEFAULT_BUDGET	0.01

struct optin_state {
	bool wanted;			/* asked for on the command line */
	bool on;			/* attached now */
	bool tripped;			/* detached by the circuit breaker */
	uint64_t hits;			/* probe hits since attach */
	double cpu;			/* estimated share of one CPU they cost the target, last window */
	char note[512];			/* why not attached, or why detached; "" when on */
};

/* "goroutines", "allocs": the set's name as the options and the outputs spell it. */
const char *optin_mode_name(enum optin_mode m);

#endif
