// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/events.h"
#include "target/probes.h"
#include "target/proc.h"
#include "engine/sites.h"
#include "target/target.h"
#include "gobin/gobin.h"
#include "goruntime/metrics.h"

#define DEFAULT_INTERVAL_NS	1000000000ull
/* The breaker looks at the hits of the last second, every tenth of a second. */
#define BREAKER_POINTS		11
#define BREAKER_STEP_NS		100000000ull
#define BREAKER_WINDOW_S	0.95	/* a full window (ten steps, give or take a wakeup) */
#define BREAKER_STORM		10	/* this many times the budget trips before the window is full */
/* Once the goroutine probes are detached, live counts per site come from a walk this often. */
#define RECOUNT_NS		10000000000ull

/* The public part first, so a struct watched * is also a struct entry *. */
struct entry {
	struct watched pub;
	struct rt_sample scratch;	/* the next sample, swapped with pub.cur on success */
	uint64_t start_ticks;		/* with the PID, names the process across PID reuse */
	int slot;			/* BPF slot, -1 when none */
	bool listed;			/* the outputs know it (attach was called) */
	/* The circuit breaker's window: probe hits at the last few checks, per mode. */
	uint64_t hits_base[OPTIN_MODES];	/* the slot's hit counters when attached */
	uint64_t brk_t[BREAKER_POINTS];
	uint64_t brk_hits[BREAKER_POINTS][OPTIN_MODES];
	unsigned int brk_n;
	uint64_t lost_seen;		/* lost_events when the goroutine table was last rebuilt */
	uint64_t recount_ns;		/* last recount from allgs after the breaker tripped */
};

/* A process found not to be a Go program (or not ours to read): not looked at again. */
struct ignored {
	pid_t pid;
	uint64_t start_ticks;
};

struct watch {
	struct watch_opts o;
	struct watch_sink sink;
	struct probes *probes;
	struct events *events;
	char probe_note[512];
	struct entry **v;
	size_t n, cap;
	struct entry *slots[GS_MAX_TARGETS];
	struct ignored *ign;
	size_t nign;
	uint64_t next_due;
	uint64_t next_breaker;
	uint64_t hit_cost_ns;		/* measured cost of one opt-in probe hit */
};

uint64_t watch_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *watched_state_name(enum watched_state st)
{
	switch (st) {
	case WS_UNSUPPORTED: return "unsupported";
	case WS_WAITING: return "waiting for first GC";
	case WS_LIVE: return "live";
	case WS_EXITED: return "exited";
	}
	return "?";
}

/* ---- probe events ---- */

static struct entry *by_target(struct watch *w, const struct target *t)
{
	return t->slot < GS_MAX_TARGETS ? w->slots[t->slot] : NULL;
}

static void on_gc_end(void *ctx, struct target *t, const struct gs_gc_end *e)
{
	struct watch *w = ctx;
	struct entry *x = by_target(w, t);
	const struct gc_cycle *c;

	if (!x)
		return;
	c = model__add_gc(x->pub.model, e);
	if (x->pub.state == WS_WAITING)
		x->pub.state = WS_LIVE;
	if (w->sink.gc)
		w->sink.gc(w->sink.ctx, &x->pub, c);
}

static void on_stw(void *ctx, struct target *t, const struct gs_stw *e)
{
	struct watch *w = ctx;
	struct entry *x = by_target(w, t);
	struct model *m;

	if (!x)
		return;
	m = x->pub.model;
	model__add_stw(m, e);
	if (w->sink.stw)
		w->sink.stw(w->sink.ctx, &x->pub, &m->stw[(m->nstw - 1) % MODEL_STW_RING]);
}

static void on_lost(void *ctx, struct target *t, uint64_t missed, uint64_t dropped)
{
	struct watch *w = ctx;
	struct entry *x = by_target(w, t);

	if (!x)
		return;
	x->pub.missed_cycles += missed;
	x->pub.lost_events += dropped;
	if (w->sink.lost)
		w->sink.lost(w->sink.ctx, &x->pub, missed, dropped);
}

static void on_g_create(void *ctx, struct target *t, const struct gs_g_create *e)
{
	struct entry *x = by_target(ctx, t);

	if (x && x->pub.sites)
		sites__g_create(x->pub.sites, e);
}

static void on_g_exit(void *ctx, struct target *t, const struct gs_g_exit *e)
{
	struct entry *x = by_target(ctx, t);

	if (x && x->pub.sites)
		sites__g_exit(x->pub.sites, e);
}

static void on_alloc(void *ctx, struct target *t, const struct gs_alloc *e)
{
	struct entry *x = by_target(ctx, t);

	if (x && x->pub.sites)
		sites__alloc(x->pub.sites, e);
}

static void open_probes(struct watch *w)
{
	const struct event_sink sink = {
		.ctx = w, .gc_end = on_gc_end, .stw = on_stw, .lost = on_lost,
		.g_create = on_g_create, .g_exit = on_g_exit, .alloc = on_alloc,
	};
	struct gs_err err = { 0 };

	if (w->o.no_probes) {
		snprintf(w->probe_note, sizeof(w->probe_note), "probes turned off (--no-probes)");
		return;
	}
	w->probes = probes__open(&err);
	if (w->probes)
		w->events = events__new(w->probes, &sink, &err);
	if (w->events && (w->o.goroutines || w->o.allocs)) {
		w->hit_cost_ns = probes__hit_cost_ns(w->probes);
		events__drain(w->events);	/* the measurement's own events */
	}
	if (w->events)
		return;
	probes__free(w->probes);
	w->probes = NULL;
	snprintf(w->probe_note, sizeof(w->probe_note), "%s", err.msg);
}

/* ---- adding and removing processes ---- */

static int alloc_slot(struct watch *w)
{
	int i;

	for (i = 0; i < GS_MAX_TARGETS; i++)
		if (!w->slots[i])
			return i;
	return -1;
}

static void release_slot(struct watch *w, struct entry *x)
{
	if (x->slot < 0)
		return;
	if (x->pub.t->attached)
		target__detach(x->pub.t, w->probes);
	events__set_target(w->events, (unsigned int)x->slot, NULL);
	w->slots[x->slot] = NULL;
	x->slot = -1;
	x->pub.probed = false;
	x->pub.optin[OPTIN_GOROUTINES].on = false;
	x->pub.optin[OPTIN_ALLOCS].on = false;
}

/* Attach the GC probes; a failure leaves the process sampled only. */
static int attach_probes(struct watch *w, struct entry *x, struct gs_err *err)
{
	struct target *t = x->pub.t;
	int slot = alloc_slot(w);

	if (slot < 0)
		return gs_fail(err, GS_EXIT_ATTACH, "more than %d processes watched", GS_MAX_TARGETS);
	x->slot = slot;
	w->slots[slot] = x;
	t->slot = (unsigned int)slot;
	events__set_target(w->events, (unsigned int)slot, t);
	/* Drops are counted per slot since load; start from what earlier users of it left. */
	t->drops_reported = probes__drops(w->probes, (unsigned int)slot);
	if (target__attach(t, w->probes, (unsigned int)slot, w->o.stw, err)) {
		release_slot(w, x);
		return -1;
	}
	x->pub.probed = true;
	x->pub.model->probed = true;
	x->pub.numgc_at_attach = t->numgc_at_attach;
	return 0;
}

static double budget(const struct watch *w)
{
	return w->o.budget > 0 ? w->o.budget : WATCH_DEFAULT_BUDGET;
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
	int rc = sampler__walk_gs(x->pub.sm, seed_one, x->pub.sites);

	if (rc)
		log_warn("PID %d: cannot walk the goroutines: %s; goroutines alive before attaching "
			 "are not counted", x->pub.pid, strerror(-rc));
}

static const enum gs_optin_probe mode_probes[OPTIN_MODES][2] = {
	[OPTIN_GOROUTINES] = { GS_PROBE_G_CREATE, GS_PROBE_G_EXIT },
	[OPTIN_ALLOCS] = { GS_PROBE_ALLOC, GS_PROBE_ALLOC_LARGE },
};

static uint64_t mode_hits(const struct watch *w, const struct entry *x, enum optin_mode m)
{
	return probes__hits(w->probes, (unsigned int)x->slot, mode_probes[m][0]) +
	       probes__hits(w->probes, (unsigned int)x->slot, mode_probes[m][1]);
}

static void attach_goroutine_probes(struct watch *w, struct entry *x)
{
	struct optin_state *o = &x->pub.optin[OPTIN_GOROUTINES];
	struct gs_err err = { 0 };
	double per_g = 2.0 * (double)w->hit_cost_ns;

	if (target__attach_goroutines(x->pub.t, w->probes, &err)) {
		snprintf(o->note, sizeof(o->note), "goroutine probes not attached: %.400s", err.msg);
		log_warn("PID %d: %s", x->pub.pid, o->note);
		return;
	}
	o->on = true;
	seed_goroutines(x);
	log_note("PID %d: goroutine probes attached: each goroutine created and ended costs it about "
		 "%.1f µs; the breaker detaches them above %.0f goroutines/s (budget %g%% of a CPU)",
		 x->pub.pid, per_g / 1e3, per_g > 0 ? budget(w) * 1e9 / per_g : 0, budget(w) * 100);
}

static void attach_alloc_probes(struct watch *w, struct entry *x)
{
	struct optin_state *o = &x->pub.optin[OPTIN_ALLOCS];
	struct gs_err err = { 0 };
	enum alloc_mode mode;
	char why[256], b1[32], b2[32];
	double hit = (double)w->hit_cost_ns, life_rate = 0, now_s;
	uint64_t st;

	if (target__attach_allocs(x->pub.t, w->probes, &mode, &x->pub.mem_profile_rate, why,
				  sizeof(why), &err)) {
		snprintf(o->note, sizeof(o->note), "allocation probes not attached: %.400s", err.msg);
		log_warn("PID %d: %s", x->pub.pid, o->note);
		return;
	}
	o->on = true;
	x->pub.alloc_mode = mode;
	/* The rate it allocated at over its life so far, for the expected cost. */
	if (x->pub.cur.ok && !proc_start_time(x->pub.pid, &st)) {
		struct timespec ts;
		long hz = sysconf(_SC_CLK_TCK);

		clock_gettime(CLOCK_BOOTTIME, &ts);
		now_s = (double)ts.tv_sec + ts.tv_nsec / 1e9 - (double)st / (double)(hz > 0 ? hz : 100);
		if (now_s > 0.1)
			life_rate = (double)x->pub.cur.total_alloc / now_s;
	}
	if (mode == ALLOC_SAMPLED) {
		double hits = life_rate / (double)x->pub.mem_profile_rate;

		metric_fmt_bytes(b1, sizeof(b1), (double)x->pub.mem_profile_rate);
		metric_fmt_bytes(b2, sizeof(b2), life_rate);
		log_note("PID %d: allocation sampling attached: one probe hit per %s allocated "
			 "(MemProfileRate), about %.1f µs each; at the %s/s it has averaged, about "
			 "%.3f%% of a CPU (budget %g%%)", x->pub.pid,
			 b1, hit / 1e3,
			 b2, hits * hit / 1e9 * 100,
			 budget(w) * 100);
	} else {
		snprintf(o->note, sizeof(o->note), "%s: only large allocations (over 32 KiB) are "
			 "seen, every one of them", why);
		log_note("PID %d: %s; about %.1f µs each; the breaker detaches the probe above %.0f "
			 "per second", x->pub.pid, o->note, hit / 1e3,
			 hit > 0 ? budget(w) * 1e9 / hit : 0);
	}
}

/* The opt-in probes asked for, on a process whose GC probes are attached. */
static void attach_optin(struct watch *w, struct entry *x)
{
	x->pub.optin[OPTIN_GOROUTINES].wanted = w->o.goroutines;
	x->pub.optin[OPTIN_ALLOCS].wanted = w->o.allocs;
	if (!w->o.goroutines && !w->o.allocs)
		return;
	if (!x->pub.probed) {
		size_t m;

		for (m = 0; m < OPTIN_MODES; m++)
			snprintf(x->pub.optin[m].note, sizeof(x->pub.optin[m].note),
				 "not attached: %.400s", x->pub.probe_note[0] ? x->pub.probe_note :
				 "no probes");
		return;
	}
	x->pub.sites = sites__new(x->pub.t->bin, x->pub.t->bias);
	if (!x->pub.sites) {
		log_warn("PID %d: out of memory", x->pub.pid);
		return;
	}
	x->pub.optin_attach_ns = watch_now_ns();
	/* The counters run since load and the slot may have served another process before. */
	x->hits_base[OPTIN_GOROUTINES] = mode_hits(w, x, OPTIN_GOROUTINES);
	x->hits_base[OPTIN_ALLOCS] = mode_hits(w, x, OPTIN_ALLOCS);
	if (w->o.goroutines)
		attach_goroutine_probes(w, x);
	if (w->o.allocs)
		attach_alloc_probes(w, x);
	/* Growth is measured from here: the first history point is the seeded table. */
	sites__tick(x->pub.sites, watch_now_ns());
}

static void trip(struct watch *w, struct entry *x, enum optin_mode m, double rate)
{
	struct optin_state *o = &x->pub.optin[m];
	unsigned int slot = (unsigned int)x->slot;

	if (m == OPTIN_GOROUTINES) {
		probes__detach_optin(w->probes, slot, OPTIN_G_CREATE);
		probes__detach_optin(w->probes, slot, OPTIN_G_EXIT);
	} else {
		probes__detach_optin(w->probes, slot, OPTIN_ALLOC_SAMPLE);
		probes__detach_optin(w->probes, slot, OPTIN_ALLOC_LARGE);
		probes__detach_optin(w->probes, slot, OPTIN_ALLOC_LARGE_MCACHE);
	}
	o->on = false;
	o->tripped = true;
	snprintf(o->note, sizeof(o->note),
		 "%s probes detached by the circuit breaker: %.0f hits/s × %.1f µs ≈ %.1f%% of a CPU, "
		 "over the %g%% budget (--budget)%s", m == OPTIN_GOROUTINES ? "goroutine" :
		 "allocation", rate, (double)w->hit_cost_ns / 1e3, o->cpu * 100, budget(w) * 100,
		 m == OPTIN_GOROUTINES ? "; live counts now from a walk of allgs every 10 s, "
		 "creations and exits no longer counted" : "");
	log_warn("PID %d: %s", x->pub.pid, o->note);
	if (w->sink.tripped)
		w->sink.tripped(w->sink.ctx, &x->pub, m);
}

/*
 * The circuit breaker: every tenth of a second, the cost of each opt-in probe set over the last
 * second (hits × the measured cost of one) against the budget; over it, the set is detached. In
 * the first second after attaching the window is shorter, and only a cost ten times the budget
 * trips it.
 */
static void breaker(struct watch *w, uint64_t now)
{
	size_t i;
	int m;

	for (i = 0; i < w->n; i++) {
		struct entry *x = w->v[i];
		unsigned int k = x->brk_n % BREAKER_POINTS, oldest;
		bool any = false;

		for (m = 0; m < OPTIN_MODES; m++)
			any |= x->pub.optin[m].on;
		if (!any || x->slot < 0)
			continue;
		x->brk_t[k] = now;
		for (m = 0; m < OPTIN_MODES; m++) {
			x->brk_hits[k][m] = mode_hits(w, x, m) - x->hits_base[m];
			x->pub.optin[m].hits = x->brk_hits[k][m];
		}
		x->brk_n++;
		if (x->brk_n < 2)
			continue;
		oldest = x->brk_n <= BREAKER_POINTS ? 0 : x->brk_n % BREAKER_POINTS;
		for (m = 0; m < OPTIN_MODES; m++) {
			struct optin_state *o = &x->pub.optin[m];
			double dt = (double)(now - x->brk_t[oldest]) / 1e9;
			double rate = dt > 0 ? (double)(x->brk_hits[k][m] - x->brk_hits[oldest][m]) / dt : 0;

			if (!o->on)
				continue;
			o->cpu = rate * (double)w->hit_cost_ns / 1e9;
			/*
			 * The budget is an average over a second: a short burst is let through until
			 * the window is full. A storm far over it is stopped at once.
			 */
			if ((o->cpu > budget(w) && dt >= BREAKER_WINDOW_S) ||
			    o->cpu > BREAKER_STORM * budget(w))
				trip(w, x, m, rate);
		}
	}
}

static bool push(struct watch *w, struct entry *x)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct entry **v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return false;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = x;
	x->listed = true;
	return true;
}

static void entry_free(struct watch *w, struct entry *x)
{
	if (!x)
		return;
	if (x->listed && w->sink.remove)
		w->sink.remove(w->sink.ctx, &x->pub);
	if (x->pub.t)
		release_slot(w, x);
	rt_sample__release(&x->pub.cur);
	rt_sample__release(&x->scratch);
	sampler__free(x->pub.sm);
	sites__free(x->pub.sites);
	target__free(x->pub.t);
	free(x->pub.model);
	free(x);
}

static void sample(struct watch *w, struct entry *x);
static void seed_goroutines(struct entry *x);

/* A Go process goscope can watch: sampler, model, probes, first snapshot. */
static int setup(struct watch *w, struct entry *x, struct gs_err *err)
{
	struct target *t = x->pub.t;
	struct gs_err perr = { 0 };

	snprintf(x->pub.comm, sizeof(x->pub.comm), "%s", t->comm);
	snprintf(x->pub.version, sizeof(x->pub.version), "%s", gobin__version(t->bin)->str);
	x->pub.exe = t->exe;
	x->pub.model = calloc(1, sizeof(*x->pub.model));
	if (!x->pub.model)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	model__init(x->pub.model, t->rt.minor);
	x->pub.sm = sampler__new(t->pid, t->bin, t->bias, &t->rt, err);
	if (!x->pub.sm)
		return -1;
	if (w->o.gwalk_budget_ns)
		sampler__set_gwalk_budget(x->pub.sm, w->o.gwalk_budget_ns);
	x->pub.state = WS_WAITING;
	if (!w->probes)
		snprintf(x->pub.probe_note, sizeof(x->pub.probe_note), "%s", w->probe_note);
	if (w->probes && attach_probes(w, x, &perr)) {
		/* Named processes must be attached; found ones fall back to sampling. */
		if (!w->o.all) {
			*err = perr;
			return -1;
		}
		log_warn("PID %d: sampling only: %s", t->pid, perr.msg);
		snprintf(x->pub.probe_note, sizeof(x->pub.probe_note), "%s", perr.msg);
	}
	return 0;
}

/*
 * Start watching pid. A named process that cannot be watched fails the whole watch; a found one
 * that is a Go program goscope cannot watch is listed as unsupported, and anything else (not Go,
 * gone, not ours to read) is ignored (returns 1).
 */
static int add(struct watch *w, pid_t pid, uint64_t start_ticks, struct gs_err *err)
{
	struct entry *x = calloc(1, sizeof(*x));
	struct gs_err e = { 0 };

	if (!x)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	x->slot = -1;
	x->start_ticks = start_ticks;
	x->pub.pid = pid;
	x->pub.seen_ns = watch_now_ns();
	x->pub.t = target__open(pid, &e);
	if (x->pub.t && setup(w, x, &e) == 0) {
		if (!push(w, x))
			goto oom;
		if (w->sink.attach)
			w->sink.attach(w->sink.ctx, &x->pub);
		sample(w, x);
		attach_optin(w, x);
		return 0;
	}
	if (!w->o.all) {
		char who[32];

		*err = e;
		snprintf(who, sizeof(who), "PID %d", pid);
		gs_err_prefix(err, who);
		entry_free(w, x);
		return -1;
	}
	if (e.code == GS_EXIT_NOT_GO || e.code == GS_EXIT_NO_PROCESS ||
	    e.code == GS_EXIT_PERMISSION) {
		entry_free(w, x);
		return 1;
	}
	/* A Go program we cannot watch: list it, saying why. */
	release_slot(w, x);
	proc_comm(pid, x->pub.comm, sizeof(x->pub.comm));
	snprintf(x->pub.version, sizeof(x->pub.version), "%s",
		 x->pub.t ? gobin__version(x->pub.t->bin)->str : "?");
	snprintf(x->pub.why, sizeof(x->pub.why), "%s", e.msg);
	sampler__free(x->pub.sm);
	x->pub.sm = NULL;
	target__free(x->pub.t);
	x->pub.t = NULL;
	free(x->pub.model);
	x->pub.model = NULL;
	x->pub.state = WS_UNSUPPORTED;
	if (!push(w, x))
		goto oom;
	if (w->sink.attach)
		w->sink.attach(w->sink.ctx, &x->pub);
	return 0;
oom:
	entry_free(w, x);
	return gs_fail(err, GS_EXIT_ERROR, "out of memory");
}

/* ---- the periodic work ---- */

static bool target_gone(struct target *t)
{
	return target__gone(t);
}

static void mark_exited(struct watch *w, struct entry *x)
{
	if (x->pub.state == WS_EXITED)
		return;
	if (w->events && x->pub.probed) {
		/* What the process left in the ring buffer still belongs to it. */
		events__drain(w->events);
		events__check_drops(w->events, x->pub.t);
	}
	release_slot(w, x);
	x->pub.state = WS_EXITED;
	x->pub.exited_ns = watch_now_ns();
	if (w->sink.exit)
		w->sink.exit(w->sink.ctx, &x->pub);
}

static void sample(struct watch *w, struct entry *x)
{
	struct rt_sample tmp;
	int rc;

	if (x->pub.state == WS_UNSUPPORTED || x->pub.state == WS_EXITED)
		return;
	if (x->pub.probed)
		events__check_drops(w->events, x->pub.t);
	if (target_gone(x->pub.t)) {
		mark_exited(w, x);
		return;
	}
	rc = sampler__sample(x->pub.sm, &x->scratch);
	/*
	 * Checked again after reading: had the process exited during the read, its PID could already
	 * name another process, whose memory must never pass for the old one's.
	 */
	if (target_gone(x->pub.t)) {
		mark_exited(w, x);
		return;
	}
	if (rc || !x->scratch.ok)
		return;
	tmp = x->pub.cur;
	x->pub.cur = x->scratch;
	x->scratch = tmp;
	x->pub.nsamples++;
	model__add_sample(x->pub.model, &x->pub.cur);
	if (x->pub.sites) {
		/* Lost goroutine events leave the table wrong: rebuild it from allgs. */
		if (x->pub.optin[OPTIN_GOROUTINES].on && x->pub.lost_events > x->lost_seen) {
			events__drain(w->events);
			sites__g_reset(x->pub.sites);
			seed_goroutines(x);
			x->pub.reseeds++;
			log_warn("PID %d: goroutine events were lost; live goroutines recounted from "
				 "allgs", x->pub.pid);
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
	if (w->sink.sample)
		w->sink.sample(w->sink.ctx, &x->pub);
}

static bool watching(const struct watch *w, pid_t pid, uint64_t start_ticks)
{
	size_t i;

	/* After an exec the same PID and start time name a new program, watched anew. */
	for (i = 0; i < w->n; i++)
		if (w->v[i]->pub.pid == pid && w->v[i]->start_ticks == start_ticks &&
		    !(w->v[i]->pub.t && w->v[i]->pub.t->execed))
			return true;
	return false;
}

static int cmp_ignored(const void *a, const void *b)
{
	const struct ignored *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start_ticks < y->start_ticks ? -1 : x->start_ticks > y->start_ticks;
}

/* Find Go processes that started since the last scan; forget ignored ones that are gone. */
static int discover(struct watch *w, struct gs_err *err)
{
	struct ignored *keep = NULL;
	size_t nkeep = 0, capkeep = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct ignored key;
		int rc;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    proc_parse_pid(de->d_name, &key.pid, NULL) || key.pid == getpid() ||
		    proc_start_time(key.pid, &key.start_ticks))
			continue;
		if (watching(w, key.pid, key.start_ticks))
			continue;
		if (!w->nign || !bsearch(&key, w->ign, w->nign, sizeof(key), cmp_ignored)) {
			rc = add(w, key.pid, key.start_ticks, err);
			if (rc < 0)
				break;
			if (rc == 0)
				continue;
		}
		if (nkeep == capkeep) {
			struct ignored *k = realloc(keep, (capkeep = capkeep ? capkeep * 2 : 256) * sizeof(*k));

			if (!k)
				break;
			keep = k;
		}
		keep[nkeep++] = key;
	}
	closedir(d);
	if (nkeep)
		qsort(keep, nkeep, sizeof(*keep), cmp_ignored);
	free(w->ign);
	w->ign = keep;
	w->nign = nkeep;
	return 0;
}

/* Drop exited processes past their linger time, and unsupported ones that are gone. */
static void reap(struct watch *w, uint64_t now)
{
	size_t i, j = 0;

	for (i = 0; i < w->n; i++) {
		struct entry *x = w->v[i];
		uint64_t st;
		bool drop = false;

		if (x->pub.state == WS_EXITED)
			drop = w->o.linger_ns && now - x->pub.exited_ns >= w->o.linger_ns;
		else if (x->pub.state == WS_UNSUPPORTED)
			drop = proc_start_time(x->pub.pid, &st) || st != x->start_ticks;
		if (drop)
			entry_free(w, x);
		else
			w->v[j++] = x;
	}
	w->n = j;
}

static void periodic(struct watch *w, struct gs_err *err)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		sample(w, w->v[i]);
	reap(w, watch_now_ns());
	if (w->o.all)
		discover(w, err);
}

/* ---- the API ---- */

struct watch *watch__new(const struct watch_opts *o, const struct watch_sink *sink,
			 struct gs_err *err)
{
	struct watch *w = calloc(1, sizeof(*w));
	int i;

	if (!w) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	w->o = *o;
	if (!w->o.interval_ns)
		w->o.interval_ns = DEFAULT_INTERVAL_NS;
	if (sink)
		w->sink = *sink;
	/* Each named PID must exist before anything is loaded. */
	for (i = 0; i < o->npids; i++)
		if (proc_check_alive(o->pids[i], err))
			goto fail;
	open_probes(w);
	for (i = 0; i < o->npids; i++) {
		uint64_t st = 0;

		proc_start_time(o->pids[i], &st);
		if (watching(w, o->pids[i], st))
			continue;
		if (add(w, o->pids[i], st, err))
			goto fail;
	}
	if (o->all && discover(w, err))
		goto fail;
	w->next_due = watch_now_ns() + w->o.interval_ns;
	return w;
fail:
	watch__free(w);
	return NULL;
}

void watch__free(struct watch *w)
{
	size_t i;

	if (!w)
		return;
	/* What already sits in the ring buffer still reaches the outputs … */
	if (w->events)
		events__drain(w->events);
	/* … then detach: the processes run on, un-instrumented, whatever happens next. */
	for (i = 0; i < w->n; i++) {
		struct entry *x = w->v[i];

		if (x->pub.t)
			release_slot(w, x);
	}
	for (i = 0; i < w->n; i++) {
		struct entry *x = w->v[i];

		if (w->sink.detach && (x->pub.state == WS_WAITING || x->pub.state == WS_LIVE))
			w->sink.detach(w->sink.ctx, &x->pub);
		entry_free(w, x);
	}
	events__free(w->events);
	probes__free(w->probes);
	free(w->v);
	free(w->ign);
	free(w);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

int watch__step(struct watch *w, int timeout_ms, struct gs_err *err)
{
	uint64_t now = watch_now_ns();
	int wait = timeout_ms;

	if (w->next_due > now && (w->next_due - now) / 1000000 < (uint64_t)wait)
		wait = (int)((w->next_due - now) / 1000000) + 1;
	if (w->next_due <= now)
		wait = 0;
	if (w->events) {
		int n = events__poll(w->events, wait);

		if (n < 0)
			return gs_fail(err, GS_EXIT_ERROR, "reading the BPF ring buffer failed: %s",
				       strerror(-n));
	} else if (wait > 0) {
		sleep_ms(wait);
	}
	now = watch_now_ns();
	if (w->hit_cost_ns && now >= w->next_breaker) {
		breaker(w, now);
		w->next_breaker = now + BREAKER_STEP_NS;
	}
	if (now >= w->next_due) {
		periodic(w, err);
		w->next_due += w->o.interval_ns;
		if (w->next_due <= now)
			w->next_due = now + w->o.interval_ns;
	}
	return 0;
}

void watch__set_sink(struct watch *w, const struct watch_sink *sink)
{
	memset(&w->sink, 0, sizeof(w->sink));
	if (sink)
		w->sink = *sink;
}

size_t watch__count(const struct watch *w)
{
	return w->n;
}

struct watched *watch__get(const struct watch *w, size_t i)
{
	return i < w->n ? &w->v[i]->pub : NULL;
}

int watch__live(const struct watch *w)
{
	size_t i;
	int n = 0;

	for (i = 0; i < w->n; i++)
		n += w->v[i]->pub.state == WS_WAITING || w->v[i]->pub.state == WS_LIVE;
	return n;
}

uint64_t watch__hit_cost_ns(const struct watch *w)
{
	return w->hit_cost_ns;
}

const char *watch__probe_note(const struct watch *w)
{
	return w->probes ? NULL : w->probe_note;
}

const char *watched__wait_reason(const struct watched *w, unsigned int reason)
{
	return w->sm ? sampler__wait_reason(w->sm, reason) : NULL;
}
