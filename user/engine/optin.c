// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The opt-in probe sets on one process: attaching them with the cost they are expected to have,
 * the circuit breaker that detaches a set whose measured cost is over the budget, and keeping
 * the goroutine table right when events were lost or the probes are gone.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine_int.h"
#include "engine/events.h"
#include "engine/sites.h"
#include "target/probes.h"
#include "target/proc.h"
#include "target/target.h"
#include "util/clock.h"
#include "util/units.h"

/* Once the goroutine probes are detached, live counts per site come from a walk this often. */
#define RECOUNT_NS		10000000000ull

const char *optin_mode_name(enum optin_mode m)
{
	return m == OPTIN_GOROUTINES ? "goroutines" : "allocs";
}

static double budget(const struct engine *e)
{
	return e->o.optin.budget > 0 ? e->o.optin.budget : OPTIN_DEFAULT_BUDGET;
}

/* The sets of each mode, and the BPF hit counters that count them. */
static const unsigned int mode_sets[OPTIN_MODES] = {
	[OPTIN_GOROUTINES] = PSET_GOROUTINES,
	[OPTIN_ALLOCS] = PSET_ALLOC_SAMPLED | PSET_ALLOC_LARGE,
};

static const enum gs_optin_probe mode_probes[OPTIN_MODES][2] = {
	[OPTIN_GOROUTINES] = { GS_PROBE_G_CREATE, GS_PROBE_G_EXIT },
	[OPTIN_ALLOCS] = { GS_PROBE_ALLOC, GS_PROBE_ALLOC_LARGE },
};

static uint64_t mode_hits(const struct engine *e, const struct entry *x, enum optin_mode m)
{
	return probes__hits(e->probes, (unsigned int)x->slot, mode_probes[m][0]) +
	       probes__hits(e->probes, (unsigned int)x->slot, mode_probes[m][1]);
}

static void seed_one(void *ctx, const struct sampler_g *g)
{
	sites__g_seed(ctx, g->goid, g->gopc, g->startpc, g->system);
}

/*
 * Fill the goroutine table from one walk of allgs. The probes are already attached, so a
 * goroutine created or exiting during the walk is in the ring buffer, handled after: goids are
 * never reused, so seeding and events agree whichever comes first.
 */
static void seed_goroutines(struct entry *x)
{
	int rc = x->sm ? sampler__walk_gs(x->sm, seed_one, x->pub.sites) : -ENOENT;

	if (rc)
		log_warn("PID %d: cannot walk the goroutines: %s; goroutines alive before attaching "
			 "are not counted", x->pub.pid, strerror(-rc));
}

static void attach_goroutines(struct engine *e, struct entry *x)
{
	struct optin_state *o = &x->pub.optin[OPTIN_GOROUTINES];
	struct gs_err err = { 0 };
	double per_g = 2.0 * (double)e->hit_cost_ns;

	if (target__attach(x->t, e->probes, (unsigned int)x->slot, PSET_GOROUTINES, &err)) {
		snprintf(o->note, sizeof(o->note), "goroutine probes not attached: %.400s", err.msg);
		log_warn("PID %d: %s", x->pub.pid, o->note);
		return;
	}
	o->on = true;
	seed_goroutines(x);
	log_note("PID %d: goroutine probes attached: each goroutine created and ended costs it about "
		 "%.1f µs; the breaker detaches them above %.0f goroutines/s (budget %g%% of a CPU)",
		 x->pub.pid, per_g / 1e3, per_g > 0 ? budget(e) * 1e9 / per_g : 0, budget(e) * 100);
}

/* Bytes per second allocated over its life so far, for the expected cost; 0: unknown. */
static double life_alloc_rate(const struct entry *x)
{
	uint64_t st;
	long hz = sysconf(_SC_CLK_TCK);
	double age_s;

	if (!x->pub.cur.ok || proc_start_time(x->pub.pid, &st))
		return 0;
	age_s = (double)clock_boot_ns() / 1e9 - (double)st / (double)(hz > 0 ? hz : 100);
	return age_s > 0.1 ? (double)x->pub.cur.total_alloc / age_s : 0;
}

static void attach_allocs(struct engine *e, struct entry *x)
{
	struct optin_state *o = &x->pub.optin[OPTIN_ALLOCS];
	struct gs_err err = { 0 };
	enum alloc_mode mode;
	char why[256], b1[32], b2[32];
	double hit = (double)e->hit_cost_ns, rate;

	if (target__attach_allocs(x->t, e->probes, &mode, &x->pub.mem_profile_rate, why,
				  sizeof(why), &err)) {
		snprintf(o->note, sizeof(o->note), "allocation probes not attached: %.400s", err.msg);
		log_warn("PID %d: %s", x->pub.pid, o->note);
		return;
	}
	o->on = true;
	x->pub.alloc_mode = mode;
	rate = life_alloc_rate(x);
	if (mode == ALLOC_SAMPLED) {
		double hits = rate / (double)x->pub.mem_profile_rate;

		log_note("PID %d: allocation sampling attached: one probe hit per %s allocated "
			 "(MemProfileRate), about %.1f µs each; at the %s/s it has averaged, about "
			 "%.3f%% of a CPU (budget %g%%)", x->pub.pid,
			 units_bytes(b1, sizeof(b1), (double)x->pub.mem_profile_rate, UNITS_IEC),
			 hit / 1e3, units_bytes(b2, sizeof(b2), rate, UNITS_IEC),
			 hits * hit / 1e9 * 100, budget(e) * 100);
	} else {
		snprintf(o->note, sizeof(o->note), "%s: only large allocations (over 32 KiB) are "
			 "seen, every one of them", why);
		log_note("PID %d: %s; about %.1f µs each; the breaker detaches the probe above %.0f "
			 "per second", x->pub.pid, o->note, hit / 1e3,
			 hit > 0 ? budget(e) * 1e9 / hit : 0);
	}
}

void optin_attach(struct engine *e, struct entry *x)
{
	const struct optin_opts *oo = &e->o.optin;
	size_t m;

	x->pub.optin[OPTIN_GOROUTINES].wanted = oo->goroutines;
	x->pub.optin[OPTIN_ALLOCS].wanted = oo->allocs;
	if (!oo->goroutines && !oo->allocs)
		return;
	if (!x->pub.probed) {
		for (m = 0; m < OPTIN_MODES; m++)
			snprintf(x->pub.optin[m].note, sizeof(x->pub.optin[m].note),
				 "not attached: %.400s", x->pub.probe_note[0] ? x->pub.probe_note :
				 "no probes");
		return;
	}
	x->pub.sites = sites__new(x->t->bin, x->t->bias);
	if (!x->pub.sites) {
		log_warn("PID %d: out of memory", x->pub.pid);
		return;
	}
	x->pub.optin_attach_ns = clock_mono_ns();
	/* The counters run since load and the slot may have served another process before. */
	for (m = 0; m < OPTIN_MODES; m++)
		x->hits_base[m] = mode_hits(e, x, m);
	if (oo->goroutines)
		attach_goroutines(e, x);
	if (oo->allocs)
		attach_allocs(e, x);
	/* Growth is measured from here: the first history point is the seeded table. */
	sites__tick(x->pub.sites, clock_mono_ns());
}

static void trip(struct engine *e, struct entry *x, enum optin_mode m, double rate)
{
	struct optin_state *o = &x->pub.optin[m];

	target__detach_sets(x->t, e->probes, mode_sets[m]);
	o->on = false;
	o->tripped = true;
	snprintf(o->note, sizeof(o->note),
		 "%s probes detached by the circuit breaker: %.0f hits/s × %.1f µs ≈ %.1f%% of a CPU, "
		 "over the %g%% budget (--budget)%s", m == OPTIN_GOROUTINES ? "goroutine" :
		 "allocation", rate, (double)e->hit_cost_ns / 1e3, o->cpu * 100, budget(e) * 100,
		 m == OPTIN_GOROUTINES ? "; live counts now from a walk of allgs every 10 s, "
		 "creations and exits no longer counted" : "");
	log_warn("PID %d: %s", x->pub.pid, o->note);
	SINK(e, x, tripped, m);
}

void optin_breaker(struct engine *e, uint64_t now)
{
	size_t i;
	int m;

	for (i = 0; i < e->n; i++) {
		struct entry *x = e->v[i];

		if (x->slot < 0)
			continue;
		for (m = 0; m < OPTIN_MODES; m++) {
			struct optin_state *o = &x->pub.optin[m];
			double rate, span;

			if (!o->on)
				continue;
			o->hits = mode_hits(e, x, m) - x->hits_base[m];
			rate = breaker_add(&x->brk[m], now, o->hits, &span);
			o->cpu = rate * (double)e->hit_cost_ns / 1e9;
			if (breaker_trips(o->cpu, span, budget(e)))
				trip(e, x, m, rate);
		}
	}
}

void optin_after_sample(struct engine *e, struct entry *x)
{
	if (!x->pub.sites)
		return;
	/* Lost goroutine events leave the table wrong: rebuild it from allgs. */
	if (x->pub.optin[OPTIN_GOROUTINES].on && x->pub.lost_events > x->lost_seen) {
		events__drain(e->events);
		sites__g_reset(x->pub.sites);
		seed_goroutines(x);
		x->pub.reseeds++;
		log_warn("PID %d: goroutine events were lost; live goroutines recounted from allgs",
			 x->pub.pid);
	}
	x->lost_seen = x->pub.lost_events;
	/* Without the probes (the breaker took them), recount from allgs now and then. */
	if (x->pub.optin[OPTIN_GOROUTINES].tripped &&
	    x->pub.cur.mono_ns - x->recount_ns >= RECOUNT_NS) {
		x->recount_ns = x->pub.cur.mono_ns;
		sites__g_reset(x->pub.sites);
		seed_goroutines(x);
	}
	sites__tick(x->pub.sites, x->pub.cur.mono_ns);
}
