// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The engine's arithmetic without BPF or root: GC accounting (gaps, stale cycles, counter wrap,
 * drops), the circuit breaker's window and trip rule, and the model's pause derivation, pause
 * statistics, GC CPU and rates, edge cases included.
 */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "engine/breaker.h"
#include "engine/gcacct.h"
#include "engine/model.h"

static void test_gcacct_gaps(void)
{
	struct gc_account a;

	gcacct_init(&a, 7);
	ASSERT_EQ(gcacct_stale(&a, 5), 0, "nothing is stale before the first cycle");
	ASSERT_EQ(gcacct_end(&a, 5), 0, "first cycle: no gap, whatever its number");
	ASSERT_EQ(gcacct_end(&a, 6), 0, "consecutive cycle: no gap");
	ASSERT_EQ(gcacct_end(&a, 10), 3, "cycles 7, 8 and 9 missed");
	ASSERT_EQ(a.missed_cycles, 3, "missed total");
	ASSERT_EQ(a.last_numgc, 10, "newest cycle");
	ASSERT_TRUE(gcacct_stale(&a, 10), "the same cycle again is stale");
	ASSERT_TRUE(gcacct_stale(&a, 4), "an older cycle is stale");
	ASSERT_EQ(gcacct_end(&a, 4), 0, "a stale cycle is no gap …");
	ASSERT_EQ(a.last_numgc, 10, "… and does not move the newest cycle");
	ASSERT_EQ(gcacct_end(&a, 11), 0, "after a stale one, the next is consecutive");
}

static void test_gcacct_wrap(void)
{
	struct gc_account a;

	gcacct_init(&a, 0);
	gcacct_end(&a, 0xfffffffeu);
	ASSERT_EQ(gcacct_end(&a, 0xffffffffu), 0, "up to the last uint32");
	ASSERT_EQ(gcacct_end(&a, 0), 0, "0 follows 0xffffffff");
	ASSERT_EQ(gcacct_end(&a, 3), 2, "1 and 2 missed after the wrap");
	ASSERT_TRUE(gcacct_stale(&a, 0xfffffff0u), "a cycle from before the wrap is stale");
	ASSERT_TRUE(!gcacct_stale(&a, 4), "the next one is not");
}

static void test_gcacct_forced(void)
{
	struct gc_account a;

	gcacct_init(&a, 0);
	ASSERT_EQ(gcacct_forced(&a, 5, true), 1, "no start seen: the end's flag");
	gcacct_start(&a, 4, false, true);
	ASSERT_EQ(gcacct_forced(&a, 5, true), 0, "the start of this very cycle wins");
	ASSERT_EQ(gcacct_forced(&a, 6, true), 1, "another cycle's start does not");
	gcacct_start(&a, 5, true, false);
	ASSERT_EQ(gcacct_forced(&a, 6, false), 0, "an unread start does not count");
}

static void test_gcacct_drops(void)
{
	struct gc_account a;

	gcacct_init(&a, 100);
	ASSERT_EQ(gcacct_drops(&a, 100), 0, "drops before this target are not its own");
	ASSERT_EQ(gcacct_drops(&a, 104), 4, "four dropped");
	ASSERT_EQ(gcacct_drops(&a, 104), 0, "reported once");
	ASSERT_EQ(gcacct_drops(&a, 105), 1, "one more");
	ASSERT_EQ(a.lost_events, 5, "lost total");
	ASSERT_EQ(gcacct_drops(&a, 3), 0, "a counter that went back reports nothing");
	ASSERT_EQ(gcacct_drops(&a, 5), 2, "and counts on from where it is");
}

#define MS 1000000ull

static void test_breaker_window(void)
{
	struct breaker b = { 0 };
	double span, rate;
	int i;

	rate = breaker_add(&b, 1000 * MS, 0, &span);
	ASSERT_TRUE(rate == 0 && span == 0, "one reading: no rate yet");
	rate = breaker_add(&b, 1000 * MS, 10, &span);
	ASSERT_TRUE(rate == 0 && span == 0, "no time passed: no rate");
	rate = breaker_add(&b, 1100 * MS, 50, &span);
	ASSERT_TRUE(fabs(span - 0.1) < 1e-9 && fabs(rate - 500) < 1e-6, "50 hits in 0.1 s");
	for (i = 3; i < 20; i++)
		rate = breaker_add(&b, (1000 + 100 * (uint64_t)i) * MS, 100 * (uint64_t)i, &span);
	ASSERT_TRUE(fabs(span - 1.0) < 1e-9, "the window is a second once full");
	ASSERT_TRUE(fabs(rate - 1000) < 1e-6, "steady 100 hits per 0.1 s: 1000/s");
	rate = breaker_add(&b, 3000 * MS, 500, &span);
	ASSERT_TRUE(rate == 0 && span == 0, "a counter that went back gives no rate");
}

static void test_breaker_trips(void)
{
	ASSERT_TRUE(!breaker_trips(0.02, 0.2, 0.01), "over budget in the first 0.2 s: let through");
	ASSERT_TRUE(breaker_trips(0.11, 0.2, 0.01), "a storm over ten times the budget trips at once");
	ASSERT_TRUE(!breaker_trips(0.10, 0.2, 0.01), "exactly ten times does not");
	ASSERT_TRUE(breaker_trips(0.02, 1.0, 0.01), "over budget over a full second trips");
	ASSERT_TRUE(!breaker_trips(0.01, 1.0, 0.01), "exactly the budget does not");
	ASSERT_TRUE(!breaker_trips(0, 0, 0.01), "no hits, no window: nothing");
}

static struct gs_gc_end gc_event(uint32_t n, int64_t t0)
{
	struct gs_gc_end e = { 0 };

	e.hdr.ktime_ns = (uint64_t)t0 + 5 * MS;
	e.numgc = n;
	e.t_sweep_term = t0;
	e.t_mark = t0 + 100000;			/* 100 us sweep termination */
	e.t_mark_term = t0 + 3 * MS;
	e.t_end = t0 + 3 * MS + 250000;		/* 250 us mark termination */
	e.pause_ns = 400000;			/* the runtime's total */
	e.stwprocs = 2;
	e.maxprocs = 2;
	return e;
}

static void test_pauses_up_to_121(void)
{
	struct model *m = calloc(1, sizeof(*m));
	struct gs_gc_end e = gc_event(1, 1000 * (int64_t)MS);
	const struct gc_cycle *c;

	model__init(m, 21);
	c = model__add_gc(m, &e);
	ASSERT_EQ(c->sweep_pause_ns, 100000, "1.21: sweep termination from the runtime's clock");
	ASSERT_EQ(c->markterm_pause_ns, 250000, "1.21: mark termination from the runtime's clock");
	ASSERT_TRUE(c->pauses_exact, "1.21: exact");
	ASSERT_EQ(m->nstw, 2, "both pauses in the pause ring");
	free(m);
}

static void test_pauses_from_122(void)
{
	struct model *m = calloc(1, sizeof(*m));
	struct gs_gc_end e = gc_event(1, 1000 * (int64_t)MS);
	const struct gc_cycle *c;

	model__init(m, 22);
	/* Without the stop-the-world probe: derived from the total. */
	c = model__add_gc(m, &e);
	ASSERT_EQ(c->sweep_pause_ns, 100000, "derived sweep termination: tMark - tSweepTerm");
	ASSERT_EQ(c->markterm_pause_ns, 300000, "derived mark termination: the rest of the total");
	ASSERT_TRUE(!c->pauses_exact, "derived: not exact");
	/* Both seen by the probe: exact, and they need not add up to the old clock's. */
	e = gc_event(2, 1100 * (int64_t)MS);
	e.stw_flags = GS_STW_F_SWEEP_SEEN | GS_STW_F_MARKTERM_SEEN;
	e.sweep_started_stopping = e.t_sweep_term - 20000;
	e.markterm_pause_ns = 280000;
	c = model__add_gc(m, &e);
	ASSERT_EQ(c->sweep_pause_ns, 120000, "sweep termination counts from when stopping began");
	ASSERT_EQ(c->markterm_pause_ns, 280000, "mark termination as the probe measured it");
	ASSERT_TRUE(c->pauses_exact, "both seen: exact");
	/* A retried mark termination is not exact. */
	e = gc_event(3, 1200 * (int64_t)MS);
	e.stw_flags = GS_STW_F_SWEEP_SEEN | GS_STW_F_MARKTERM_SEEN | GS_STW_F_MARKTERM_RETRY;
	e.sweep_started_stopping = e.t_sweep_term;
	e.markterm_pause_ns = 300000;
	c = model__add_gc(m, &e);
	ASSERT_TRUE(!c->pauses_exact, "a retried mark termination: not exact");
	/* Only the mark termination seen: the sweep termination is the rest of the total. */
	e = gc_event(4, 1300 * (int64_t)MS);
	e.stw_flags = GS_STW_F_MARKTERM_SEEN;
	e.markterm_pause_ns = 350000;
	c = model__add_gc(m, &e);
	ASSERT_EQ(c->sweep_pause_ns, 50000, "sweep termination: total minus mark termination");
	/* A clock step that makes tMark - tSweepTerm exceed the total: capped at the total. */
	e = gc_event(5, 1400 * (int64_t)MS);
	e.t_mark = e.t_sweep_term + 900000;
	c = model__add_gc(m, &e);
	ASSERT_EQ(c->sweep_pause_ns, 400000, "sweep termination capped at the total");
	ASSERT_EQ(c->markterm_pause_ns, 0, "leaving nothing for mark termination");
	/* A total smaller than what was measured of one pause: unknown, not negative. */
	e = gc_event(6, 1500 * (int64_t)MS);
	e.stw_flags = GS_STW_F_MARKTERM_SEEN;
	e.markterm_pause_ns = 500000;
	c = model__add_gc(m, &e);
	ASSERT_EQ(c->sweep_pause_ns, -1, "an impossible split is unknown (sweep)");
	ASSERT_EQ(c->markterm_pause_ns, -1, "an impossible split is unknown (mark termination)");
	free(m);
}

static void test_pause_stats(void)
{
	struct model *m = calloc(1, sizeof(*m));
	struct pause_stats ps;
	struct gs_stw s = { 0 };
	int i;

	model__init(m, 22);
	model__pause_stats(m, 0, false, &ps);
	ASSERT_TRUE(ps.count == 0 && ps.max_ns == 0, "no pauses: all zero");
	for (i = 1; i <= 100; i++) {
		s.hdr.ktime_ns = (uint64_t)i * MS;
		s.duration_ns = (uint64_t)i * 1000;
		model__add_stw(m, &s);
	}
	model__pause_stats(m, 0, false, &ps);
	ASSERT_EQ(ps.count, 100, "every pause counted");
	ASSERT_EQ(ps.p50_ns, 50000, "nearest-rank median");
	ASSERT_EQ(ps.p99_ns, 99000, "nearest-rank p99");
	ASSERT_EQ(ps.max_ns, 100000, "max");
	ASSERT_EQ(ps.total_ns, 5050000, "total");
	model__pause_stats(m, 91 * MS, false, &ps);
	ASSERT_EQ(ps.count, 10, "only pauses since the window began");
	model__pause_stats(m, 0, true, &ps);
	ASSERT_EQ(ps.count, 0, "other pauses are not GC pauses");
	free(m);
}

static void point(struct model *m, uint64_t mono, uint64_t alloc, uint64_t mallocs, uint32_t numgc)
{
	struct rt_sample s = { 0 };

	s.mono_ns = mono;
	s.total_alloc = alloc;
	s.mallocs = mallocs;
	s.num_gc = numgc;
	s.gomaxprocs = 2;
	s.ok = true;
	model__add_sample(m, &s);
}

static void test_rates(void)
{
	struct model *m = calloc(1, sizeof(*m));
	struct gs_gc_end e = gc_event(3, 1500 * (int64_t)MS);
	struct model_rates r;
	struct model_window w;

	model__init(m, 22);
	model__window(m, 5000 * MS, 60000 * MS, &w);
	ASSERT_TRUE(w.span_s == 0 && !w.have_pause && w.gc_cpu_percent < 0, "empty model: nothing");
	point(m, 1000 * MS, 1000, 10, 2);
	model__rates(m, model__point(m, 0), model__point(m, 0), &r);
	ASSERT_TRUE(r.span_s == 0 && r.alloc_bytes_per_s == 0, "one point: no window");
	model__rates(m, model__point(m, 0), NULL, &r);
	ASSERT_TRUE(r.span_s == 0, "a missing point: no window");
	m->probed = true;
	model__add_gc(m, &e);
	point(m, 3000 * MS, 5000, 30, 3);
	model__rates(m, model__point(m, 1), model__point(m, 0), &r);
	ASSERT_TRUE(fabs(r.span_s - 2) < 1e-9, "a two-second window");
	ASSERT_TRUE(fabs(r.alloc_bytes_per_s - 2000) < 1e-9, "bytes per second");
	ASSERT_TRUE(fabs(r.alloc_objects_per_s - 10) < 1e-9, "objects per second");
	ASSERT_TRUE(fabs(r.gc_per_s - 0.5) < 1e-9, "cycles per second");
	/* (2 Ps × (100 us + 250 us)) over 2 s × 2 Ps. */
	ASSERT_TRUE(fabs(r.gc_cpu_percent - 100 * 700000.0 / 4e9) < 1e-9, "GC CPU of the cycle");
	ASSERT_TRUE(model__gc_cpu_percent(m, 5, 5, 2) < 0, "a 0-length window: unknown");
	ASSERT_TRUE(model__gc_cpu_percent(m, 0, 5, 0) < 0, "no Ps: unknown");
	model__window(m, 5000 * MS, 60000 * MS, &w);
	ASSERT_TRUE(fabs(w.gc_per_s - 0.5) < 1e-9, "the overview's window agrees");
	ASSERT_EQ(w.last_pause_ns, 400000, "the last cycle's pause");
	free(m);
}

int main(void)
{
	test_gcacct_gaps();
	test_gcacct_wrap();
	test_gcacct_forced();
	test_gcacct_drops();
	test_breaker_window();
	test_breaker_trips();
	test_pauses_up_to_121();
	test_pauses_from_122();
	test_pause_stats();
	test_rates();
	return check_summary();
}
