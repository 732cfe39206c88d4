// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "engine/breaker.h"

double breaker_add(struct breaker *b, uint64_t now_ns, uint64_t hits, double *span_s)
{
	unsigned int k = b->n % BREAKER_POINTS, oldest;
	double dt;

	b->t_ns[k] = now_ns;
	b->hits[k] = hits;
	b->n++;
	*span_s = 0;
	if (b->n < 2)
		return 0;
	oldest = b->n <= BREAKER_POINTS ? 0 : b->n % BREAKER_POINTS;
	if (now_ns <= b->t_ns[oldest] || hits < b->hits[oldest])
		return 0;
	dt = (double)(now_ns - b->t_ns[oldest]) / 1e9;
	*span_s = dt;
	return (double)(hits - b->hits[oldest]) / dt;
}

bool breaker_trips(double cpu, double span_s, double budget)
{
	return (cpu > budget && span_s >= BREAKER_WINDOW_S) || cpu > BREAKER_STORM * budget;
}
