// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "engine/model.h"
#include "goruntime/probe_table.h"

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
 * startTheWorldWithSema probe sees. Without it (record's default: it costs two hits inside each
 * cycle's pauses), or where it missed one, the split is derived: the cycle's total, pauseNS, is
 * the runtime's own, and the sweep-termination stop begins a few hundred nanoseconds after
 * tSweepTerm, so tMark - tSweepTerm is that pause and the rest of the total is the other. The
 * release that changed how pauses count is the one whose startTheWorldWithSema takes the
 * worldStop (GS_STW_ARGS in goruntime/probe_table.c).
 */
static void derive_pauses(const struct model *m, struct gc_cycle *c)
{
	const struct gs_gc_end *e = &c->ev;
	int64_t total = (int64_t)e->pause_ns;

	c->sweep_pause_ns = c->markterm_pause_ns = -1;
	if (probe_table_stw_abi(m->minor) != GS_STW_ARGS) {
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
	if (c->sweep_pause_ns < 0 && c->markterm_pause_ns < 0) {
		c->sweep_pause_ns = e->t_mark - e->t_sweep_term;
		if (c->sweep_pause_ns < 0 || c->sweep_pause_ns > total)
			c->sweep_pause_ns = total;
	}
	if (c->sweep_pause_ns < 0)
		c->sweep_pause_ns = total - c->markterm_pause_ns;
	if (c->markterm_pause_ns < 0)
		c->markterm_pause_ns = total - c->sweep_pause_ns;
	if (c->sweep_pause_ns < 0 || c->markterm_pause_ns < 0)
		c->sweep_pause_ns = c->markterm_pause_ns = -1;
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
			   !c->pauses_exact);
	if (c->markterm_pause_ns >= 0)
		push_pause(m, c->ktime_ns, (uint64_t)c->markterm_pause_ns, GS_STW_GC_MARK_TERM, true,
			   !c->pauses_exact);
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

/*
 * The longest cycle pause since the previous point: from the probes' cycles when they feed the
 * model, else the sampled last pause when cycles ended in between (shorter ones are not seen).
 */
static uint64_t interval_pause(const struct model *m, const struct rt_sample *s)
{
	const struct model_point *prev = model__point(m, 0);
	const struct gc_cycle *c;
	uint64_t i, max = 0;

	if (!m->probed)
		return prev && s->num_gc != prev->num_gc ? s->last_pause_ns : 0;
	for (i = 0; (c = model__gc_recent(m, i)); i++) {
		if (prev && c->ktime_ns <= prev->mono_ns)
			break;
		if ((uint64_t)c->ev.pause_ns > max)
			max = (uint64_t)c->ev.pause_ns;
	}
	return max;
}

static void add_rtm(struct model *m, const struct rt_sample *s);

void model__add_sample(struct model *m, const struct rt_sample *s)
{
	uint64_t pause = interval_pause(m, s);
	struct model_point *p = &m->hist[m->nhist++ % MODEL_HIST];

	*p = (struct model_point){
		.max_pause_ns = pause,
		.mono_ns = s->mono_ns,
		.heap_alloc = s->heap_alloc,
		.heap_goal = s->next_gc,
		.total_alloc = s->total_alloc,
		.mallocs = s->mallocs,
		.goroutines = s->num_goroutine,
		.num_gc = s->num_gc,
		.gomaxprocs = s->gomaxprocs,
		.last_pause_ns = s->last_pause_ns,
	};
	add_rtm(m, s);
}

static void rtm_point(struct model_rtm_point *p, const struct rt_sample *s)
{
	static const enum rtm_id cpu_ids[11] = {
		RTM_CPU_GC_MARK_ASSIST, RTM_CPU_GC_MARK_DEDICATED, RTM_CPU_GC_MARK_IDLE,
		RTM_CPU_GC_PAUSE, RTM_CPU_GC_TOTAL, RTM_CPU_SCAVENGE_ASSIST,
		RTM_CPU_SCAVENGE_BACKGROUND, RTM_CPU_SCAVENGE_TOTAL, RTM_CPU_IDLE, RTM_CPU_USER,
		RTM_CPU_TOTAL,
	};
	const struct rtm_values *r = s->rtm;
	const struct rtm_value *lat = &r->v[RTM_SCHED_LATENCIES];
	int i;

	p->mono_ns = s->mono_ns;
	p->have_cpu = r->v[RTM_CPU_TOTAL].status == RTM_OK;
	for (i = 0; i < 11 && p->have_cpu; i++)
		p->cpu[i] = r->v[cpu_ids[i]].f;
	p->have_mutex = r->v[RTM_SYNC_MUTEX_WAIT_TOTAL].status == RTM_OK;
	p->mutex_s = r->v[RTM_SYNC_MUTEX_WAIT_TOTAL].f;
	p->have_lat = lat->status == RTM_OK && lat->h.n <= MODEL_LAT_MAX;
	p->nlat = p->have_lat ? lat->h.n : 0;
	if (p->have_lat)
		memcpy(p->lat, lat->h.counts, p->nlat * sizeof(p->lat[0]));
}

/* Keep a runtime/metrics point every MODEL_RTM_STEP_NS; the newest sample is always current. */
static void add_rtm(struct model *m, const struct rt_sample *s)
{
	const struct model_rtm_point *last;

	if (!s->rtm || s->rtm_err)
		return;
	last = m->nrtm ? &m->rtm[(m->nrtm - 1) % MODEL_RTM_RING] : NULL;
	if (last && s->mono_ns - last->mono_ns < MODEL_RTM_STEP_NS)
		return;
	rtm_point(&m->rtm[m->nrtm++ % MODEL_RTM_RING], s);
}

void model__rtm_window(struct model *m, const struct rt_sample *now, uint64_t win_ns,
		       struct model_rtm_window *out)
{
	const struct model_rtm_point *old = NULL;
	struct model_rtm_point *cur;
	uint64_t i, n = m->nrtm < MODEL_RTM_RING ? m->nrtm : MODEL_RTM_RING;
	uint32_t b;
	int c;

	memset(out, 0, sizeof(*out));
	if (!now->rtm || !n)
		return;
	/* The oldest kept point within the window. */
	for (i = n; i-- > 0;) {
		const struct model_rtm_point *p = &m->rtm[(m->nrtm - 1 - i) % MODEL_RTM_RING];

		if (now->mono_ns - p->mono_ns <= win_ns && p->mono_ns < now->mono_ns) {
			old = p;
			break;
		}
	}
	if (!old)
		return;
	cur = malloc(sizeof(*cur));
	if (!cur)
		return;
	rtm_point(cur, now);
	out->span_s = (double)(cur->mono_ns - old->mono_ns) / 1e9;
	out->have_cpu = cur->have_cpu && old->have_cpu;
	for (c = 0; c < 11 && out->have_cpu; c++)
		out->cpu[c] = cur->cpu[c] - old->cpu[c];
	out->have_mutex = cur->have_mutex && old->have_mutex;
	out->mutex_per_s = out->have_mutex ? (cur->mutex_s - old->mutex_s) / out->span_s : 0;
	out->have_lat = cur->have_lat && old->have_lat && cur->nlat == old->nlat;
	if (out->have_lat) {
		for (b = 0; b < cur->nlat; b++)
			m->win_lat[b] = cur->lat[b] - old->lat[b];
		out->lat = (struct rtm_hist){ .n = cur->nlat, .counts = m->win_lat,
			.bounds = now->rtm->v[RTM_SCHED_LATENCIES].h.bounds };
	}
	free(cur);
}

const struct model_point *model__point(const struct model *m, uint64_t i)
{
	if (i >= m->nhist || i >= MODEL_HIST)
		return NULL;
	return &m->hist[(m->nhist - 1 - i) % MODEL_HIST];
}

double model__gc_cpu_percent(const struct model *m, uint64_t since_ns, uint64_t until_ns,
			     int gomaxprocs)
{
	const struct gc_cycle *c;
	double cpu = 0;
	uint64_t i;

	if (until_ns <= since_ns || gomaxprocs <= 0)
		return -1;
	for (i = 0; (c = model__gc_recent(m, i)); i++) {
		const struct gs_gc_end *e = &c->ev;

		if (c->ktime_ns < since_ns)
			break;
		if (c->ktime_ns > until_ns)
			continue;
		cpu += (double)e->stwprocs *
		       (double)(e->t_mark - e->t_sweep_term + e->t_end - e->t_mark_term);
		cpu += (double)(e->assist_time + e->dedicated_mark_time + e->fractional_mark_time);
	}
	return 100 * cpu / ((double)(until_ns - since_ns) * gomaxprocs);
}

/* The oldest point no older than span_ns before the newest one. */
static const struct model_point *point_at(const struct model *m, uint64_t span_ns)
{
	const struct model_point *now = model__point(m, 0), *p, *best = now;
	uint64_t i;

	for (i = 1; (p = model__point(m, i)) && now->mono_ns - p->mono_ns <= span_ns; i++)
		best = p;
	return best;
}

/* Split the last minute into quarters; growing when each quarter's minimum beats the last. */
static bool goroutines_growing(const struct model *m)
{
	const uint64_t minute = 60000000000ull, quarter = minute / 4;
	const struct model_point *now = model__point(m, 0), *p;
	int64_t floor[4] = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
	bool covered = false;
	uint64_t i;
	int q;

	for (i = 0; (p = model__point(m, i)); i++) {
		uint64_t age = now->mono_ns - p->mono_ns;

		if (age >= minute) {
			covered = true;
			break;
		}
		q = 3 - (int)(age / quarter);
		if (p->goroutines < floor[q])
			floor[q] = p->goroutines;
	}
	if (!covered)
		return false;
	for (q = 1; q < 4; q++)
		if (floor[q] == INT64_MAX || floor[q - 1] == INT64_MAX || floor[q] <= floor[q - 1])
			return false;
	return true;
}

/*
 * The last cycle's pause, and the longest in the window: from the history points (each keeps its
 * interval's longest, so a GC rate that cycles the GC ring in seconds loses nothing), plus the
 * cycles that ended after the newest point.
 */
static void window_pauses(const struct model *m, uint64_t pause_ns, struct model_window *out)
{
	const struct model_point *now = model__point(m, 0), *p;
	const struct gc_cycle *c;
	uint64_t i;

	if (m->probed && m->ngc)
		out->last_pause_ns = (uint64_t)model__gc_recent(m, 0)->ev.pause_ns;
	else if (now->num_gc)
		out->last_pause_ns = now->last_pause_ns;
	else
		return;
	out->have_pause = true;
	for (i = 0; (p = model__point(m, i)) && p->mono_ns + pause_ns >= now->mono_ns; i++)
		if (p->max_pause_ns > out->max_pause_ns)
			out->max_pause_ns = p->max_pause_ns;
	for (i = 0; m->probed && (c = model__gc_recent(m, i)) && c->ktime_ns > now->mono_ns; i++)
		if ((uint64_t)c->ev.pause_ns > out->max_pause_ns)
			out->max_pause_ns = (uint64_t)c->ev.pause_ns;
}

void model__rates(const struct model *m, const struct model_point *a, const struct model_point *b,
		  struct model_rates *out)
{
	memset(out, 0, sizeof(*out));
	out->gc_cpu_percent = -1;
	if (!a || !b || b->mono_ns <= a->mono_ns)
		return;
	out->span_s = (double)(b->mono_ns - a->mono_ns) / 1e9;
	out->alloc_bytes_per_s = (double)(b->total_alloc - a->total_alloc) / out->span_s;
	out->alloc_objects_per_s = (double)(b->mallocs - a->mallocs) / out->span_s;
	out->gc_per_s = (double)(b->num_gc - a->num_gc) / out->span_s;
	if (m->probed)
		out->gc_cpu_percent = model__gc_cpu_percent(m, a->mono_ns, b->mono_ns, b->gomaxprocs);
}

void model__window(const struct model *m, uint64_t rate_ns, uint64_t pause_ns,
		   struct model_window *out)
{
	const struct model_point *now = model__point(m, 0), *then;
	struct model_rates r;

	memset(out, 0, sizeof(*out));
	out->gc_cpu_percent = -1;
	if (!now)
		return;
	window_pauses(m, pause_ns, out);
	out->goroutines_growing = goroutines_growing(m);
	then = point_at(m, rate_ns);
	if (then == now)
		return;
	model__rates(m, then, now, &r);
	out->span_s = r.span_s;
	out->alloc_bytes_per_s = r.alloc_bytes_per_s;
	out->gc_per_s = r.gc_per_s;
	out->gc_cpu_percent = r.gc_cpu_percent;
}
