// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "model.h"

void model__init(struct model *m, int minor)
{
	memset(m, 0, sizeof(*m));
	m->minor = minor;
}

static void push_pause(struct model *m, uint64_t ktime, uint64_t dur, uint32_t reason, bool gc,
		       bool approximate)
{
	struct stw_pause *p = &m->stw[m->nstw++ % MODEL_STW_RING];

	*p = (struct stw_pause){ ktime, dur, reason, gc, approximate };
}

/*
 * Up to Go 1.21 the runtime measures each GC pause from the clock it stores in work: the
 * sweep-termination pause ends at tMark and began at tSweepTerm, the mark-termination one spans
 * tMarkTerm to tEnd. From 1.22 a pause counts from when stopping began, which only the
 * startTheWorldWithSema probe sees.
 */
static void derive_pauses(const struct model *m, struct gc_cycle *c)
{
	const struct gs_gc_end *e = &c->ev;

	c->sweep_pause_ns = c->markterm_pause_ns = -1;
	if (m->minor <= 21) {
		c->sweep_pause_ns = e->t_mark - e->t_sweep_term;
		c->markterm_pause_ns = e->t_end - e->t_mark_term;
		c->pauses_exact = true;
		return;
	}
	if (e->stw_flags & GS_STW_F_SWEEP_SEEN)
		c->sweep_pause_ns = e->t_mark - e->sweep_started_stopping;
	if (e->stw_flags & GS_STW_F_MARKTERM_SEEN)
		c->markterm_pause_ns = e->markterm_pause_ns;
	c->pauses_exact = c->sweep_pause_ns >= 0 && c->markterm_pause_ns >= 0 &&
			  !(e->stw_flags & GS_STW_F_MARKTERM_RETRY);
}

const struct gc_cycle *model__add_gc(struct model *m, const struct gs_gc_end *e)
{
	struct gc_cycle *c = &m->gc[m->ngc++ % MODEL_GC_RING];

	memset(c, 0, sizeof(*c));
	c->ev = *e;
	c->ktime_ns = e->hdr.ktime_ns;
	derive_pauses(m, c);
	if (c->sweep_pause_ns >= 0)
		push_pause(m, c->ktime_ns, (uint64_t)c->sweep_pause_ns, GS_STW_GC_SWEEP_TERM, true,
			   false);
	if (c->markterm_pause_ns >= 0)
		push_pause(m, c->ktime_ns, (uint64_t)c->markterm_pause_ns, GS_STW_GC_MARK_TERM, true,
			   false);
	return c;
}

void model__add_stw(struct model *m, const struct gs_stw *e)
{
	push_pause(m, e->hdr.ktime_ns, e->duration_ns, e->reason, false, e->approximate);
}

const struct gc_cycle *model__gc_recent(const struct model *m, uint64_t i)
{
	if (i >= m->ngc || i >= MODEL_GC_RING)
		return NULL;
	return &m->gc[(m->ngc - 1 - i) % MODEL_GC_RING];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t percentile(const uint64_t *v, uint64_t n, unsigned int pct)
{
	uint64_t rank = (n * pct + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

void model__pause_stats(const struct model *m, uint64_t since_ns, bool gc, struct pause_stats *out)
{
	uint64_t v[MODEL_STW_RING], n = 0, i, have = m->nstw < MODEL_STW_RING ? m->nstw : MODEL_STW_RING;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < have; i++) {
		const struct stw_pause *p = &m->stw[(m->nstw - 1 - i) % MODEL_STW_RING];

		if (p->gc != gc || p->ktime_ns < since_ns)
			continue;
		v[n++] = p->duration_ns;
		out->total_ns += p->duration_ns;
	}
	if (!n)
		return;
	qsort(v, n, sizeof(v[0]), cmp_u64);
	out->count = n;
	out->p50_ns = percentile(v, n, 50);
	out->p99_ns = percentile(v, n, 99);
	out->max_ns = v[n - 1];
}
