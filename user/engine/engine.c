// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The engine's loop: processes in, probes attached, events routed, samples taken, exits noticed,
 * everything detached on the way out. One process's life is procs.c, finding processes
 * discover.c, the opt-in probes and their breaker optin.c and breaker.c, the ring buffer and its
 * accounting events.c and gcacct.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"
#include "engine/discover.h"
#include "container/select.h"
#include "engine/resolve.h"
#include "engine/engine_int.h"
#include "target/stacks.h"
#include "engine/events.h"
#include "engine/sites.h"
#include "target/caps.h"
#include "target/probes.h"
#include "target/proc.h"
#include "target/target.h"
#include "util/clock.h"

/*
 * How often processes that are not sampled (gctrace) are checked for an exit and their
 * ring-buffer drops; sampled ones are checked at every sample, before and after the read.
 */
#define EXIT_CHECK_NS		200000000ull
/* The longest engine__follow waits for events at a time. */
#define FOLLOW_STEP_MS		200

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

static struct entry *entry_of(const struct watched *w)
{
	return (struct entry *)w;
}

/* ---- probe events, routed here by slot ---- */

static void on_gc_start(void *ctx, void *owner, const struct gs_gc_start *ev)
{
	SINK((struct engine *)ctx, (struct entry *)owner, gc_start, ev);
}

static void on_gc_end(void *ctx, void *owner, const struct gs_gc_end *ev)
{
	struct engine *e = ctx;
	struct entry *x = owner;
	const struct gc_cycle *c = model__add_gc(x->pub.model, ev);

	if (x->pub.state == WS_WAITING)
		x->pub.state = WS_LIVE;
	SINK(e, x, gc, c);
}

static void on_stw(void *ctx, void *owner, const struct gs_stw *ev)
{
	struct engine *e = ctx;
	struct entry *x = owner;
	struct model *m = x->pub.model;

	model__add_stw(m, ev);
	SINK(e, x, stw, &m->stw[(m->nstw - 1) % MODEL_STW_RING]);
}

static void on_lost(void *ctx, void *owner, uint64_t missed, uint64_t dropped)
{
	struct engine *e = ctx;
	struct entry *x = owner;

	x->pub.missed_cycles += missed;
	x->pub.lost_events += dropped;
	SINK(e, x, lost, missed, dropped);
}

static void on_g_create(void *ctx, void *owner, const struct gs_g_create *ev)
{
	struct entry *x = owner;

	if (x->pub.sites)
		sites__g_create(x->pub.sites, ev);
}

static void on_g_exit(void *ctx, void *owner, const struct gs_g_exit *ev)
{
	struct entry *x = owner;

	if (x->pub.sites)
		sites__g_exit(x->pub.sites, ev);
}

static void on_alloc(void *ctx, void *owner, const struct gs_alloc *ev)
{
	struct entry *x = owner;

	if (x->pub.sites)
		sites__alloc(x->pub.sites, ev);
}

static bool optin_wanted(const struct engine *e)
{
	return e->o.optin.goroutines || e->o.optin.allocs;
}

/*
 * Load the BPF object where permitted; without it, keep why in probe_note and, when the probes
 * are required, in probe_err (reported once the named processes were found to be Go programs
 * goscope can read: "not a Go program" is the more useful answer).
 */
static void open_probes(struct engine *e)
{
	const struct event_sink sink = {
		.ctx = e, .gc_start = on_gc_start, .gc_end = on_gc_end, .stw = on_stw,
		.lost = on_lost, .g_create = on_g_create, .g_exit = on_g_exit, .alloc = on_alloc,
	};
	struct gs_err perr = { 0 };

	if (e->o.probes == ENGINE_PROBES_OFF) {
		snprintf(e->probe_note, sizeof(e->probe_note), "no probes asked for");
		return;
	}
	e->probes = probes__open(&perr);
	if (e->probes)
		e->events = events__new(e->probes, &sink, &perr);
	if (e->events) {
		if (optin_wanted(e)) {
			e->hit_cost_ns = probes__hit_cost_ns(e->probes);
			events__drain(e->events);	/* the measurement's own events */
		}
		return;
	}
	probes__free(e->probes);
	e->probes = NULL;
	snprintf(e->probe_note, sizeof(e->probe_note), "%s", perr.msg);
	e->probe_err = perr;
}

static void periodic(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		entry_sample(e, e->v[i]);
	entries_reap(e, clock_mono_ns());
	if (e->o.all && e->disc)
		discovery__scan(e->disc, entry_found, e);
}

/* ---- the API ---- */

/*
 * --container, --pod: each selector must name something. Following (all), new processes are
 * filtered as they are found; else the Go programs selected join the PIDs named.
 */
static int select_named(struct engine *e, struct gs_err *err)
{
	pid_t *pids;
	int n, i;

	if (resolve_selection(e->o.sel, e->o.all, &pids, &n, err))
		return -1;
	if (e->o.all)
		return 0;
	e->sel_pids = calloc((size_t)(e->o.npids + n), sizeof(pid_t));
	if (!e->sel_pids) {
		free(pids);
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	}
	for (i = 0; i < e->o.npids; i++)
		e->sel_pids[i] = e->o.pids[i];
	for (i = 0; i < n; i++)
		e->sel_pids[e->o.npids + i] = pids[i];
	free(pids);
	e->o.pids = e->sel_pids;
	e->o.npids += n;
	if (e->o.one && e->o.npids > 1)
		return gs_fail(err, GS_EXIT_NO_PROCESS, "the selection names %d Go processes (PIDs "
			       "%d, %d%s); this command watches one: name it by its PID",
			       e->o.npids, e->o.pids[0], e->o.pids[1], e->o.npids > 2 ? ", …" : "");
	return 0;
}

/* The named processes: every one must be a Go program goscope can watch. */
static int open_named(struct engine *e, struct gs_err *err)
{
	int i;

	for (i = 0; i < e->o.npids; i++) {
		pid_t pid = e->o.pids[i];
		uint64_t st = 0;
		struct entry *x;

		if (proc_check_alive(pid, err))
			return -1;
		proc_start_time(pid, &st);
		if (entry_watching(e, pid, st))
			continue;
		x = entry_new(e, pid, st);
		if (!x || !entry_list(e, x)) {
			entry_free(e, x);
			return gs_fail(err, GS_EXIT_ERROR, "out of memory");
		}
		x->listed = false;	/* the outputs hear of it once it is set up */
		x->t = target__open(pid, NULL, err);
		if (!x->t) {
			char who[32];

			snprintf(who, sizeof(who), "PID %d", pid);
			gs_err_prefix(err, who);
			return -1;
		}
	}
	return 0;
}

static int start_named(struct engine *e, struct gs_err *err)
{
	size_t i, n = e->n;

	for (i = 0; i < n; i++) {
		struct entry *x = e->v[i];

		if (entry_setup(e, x, err)) {
			char who[32];

			snprintf(who, sizeof(who), "PID %d", x->pub.pid);
			gs_err_prefix(err, who);
			return -1;
		}
		x->listed = true;
		entry_start(e, x);
	}
	return 0;
}

struct engine *engine__new(const struct engine_opts *o, const struct engine_sink *sink,
			   struct gs_err *err)
{
	struct engine *e = calloc(1, sizeof(*e));
	uint64_t now;
	int i;

	if (!e) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	e->o = *o;
	if (!e->o.interval_ns)
		e->o.interval_ns = ENGINE_DEFAULT_INTERVAL_NS;
	if (sink)
		e->sink = *sink;
	e->ids = idcache__new(NULL);
	if (!e->ids) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		goto fail;
	}
	if (e->o.sel && e->o.sel->n && select_named(e, err))
		goto fail;
	/*
	 * Named processes must exist before anything is loaded. Then the BPF object: loading it
	 * parses the kernel's BTF, freed again, before the binaries' tables, which stay (peak
	 * memory). Attaching waits until every named process is a Go program goscope can read.
	 */
	for (i = 0; i < e->o.npids; i++)
		if (proc_check_alive(e->o.pids[i], err))
			goto fail;
	open_probes(e);
	if (open_named(e, err))
		goto fail;
	if (!e->probes && e->o.probes == ENGINE_PROBES_REQUIRED) {
		*err = e->probe_err;
		goto fail;
	}
	if (start_named(e, err))
		goto fail;
	if (e->o.all) {
		e->disc = discovery__new();
		if (!e->disc) {
			gs_fail(err, GS_EXIT_ERROR, "out of memory");
			goto fail;
		}
		discovery__scan(e->disc, entry_found, e);
	}
	now = clock_mono_ns();
	e->next_sample = now + e->o.interval_ns;
	e->next_exit_check = now + EXIT_CHECK_NS;
	return e;
fail:
	engine__free(e);
	return NULL;
}

void engine__free(struct engine *e)
{
	size_t i;

	if (!e)
		return;
	/* What already sits in the ring buffer still reaches the outputs … */
	if (e->events)
		events__drain(e->events);
	/* … then detach: the processes run on, un-instrumented, whatever happens next. */
	for (i = 0; i < e->n; i++)
		entry_release_slot(e, e->v[i]);
	for (i = 0; i < e->n; i++) {
		struct entry *x = e->v[i];

		if (x->listed && live(x))
			SINK(e, x, detach);
		entry_free(e, x);
	}
	events__free(e->events);
	probes__free(e->probes);
	discovery__free(e->disc);
	idcache__free(e->ids);
	free(e->sel_pids);
	free(e->v);
	free(e);
}

/* Milliseconds to wait for events before the next deadline, at most timeout_ms. */
static int wait_ms(const struct engine *e, uint64_t now, int timeout_ms)
{
	uint64_t next = e->o.sample ? e->next_sample : e->next_exit_check;

	if (e->hit_cost_ns && e->next_breaker < next)
		next = e->next_breaker;
	if (next <= now)
		return 0;
	if ((next - now) / 1000000 < (uint64_t)timeout_ms)
		return (int)((next - now) / 1000000) + 1;
	return timeout_ms;
}

int engine__step(struct engine *e, int timeout_ms, struct gs_err *err)
{
	uint64_t now = clock_mono_ns();
	int wait = wait_ms(e, now, timeout_ms);

	if (e->events) {
		int n = events__poll(e->events, wait);

		if (n < 0)
			return gs_fail(err, GS_EXIT_ERROR, "reading the BPF ring buffer failed: %s",
				       strerror(-n));
	} else if (wait > 0) {
		clock_sleep_ns((uint64_t)wait * 1000000);
	}
	now = clock_mono_ns();
	if (e->hit_cost_ns && now >= e->next_breaker) {
		optin_breaker(e, now);
		e->next_breaker = now + BREAKER_STEP_NS;
	}
	if (!e->o.sample && now >= e->next_exit_check) {
		entries_check_exits(e);
		e->next_exit_check = now + EXIT_CHECK_NS;
	}
	if (now >= e->next_sample) {
		periodic(e);
		e->next_sample += e->o.interval_ns;
		if (e->next_sample <= now)
			e->next_sample = now + e->o.interval_ns;
	}
	return 0;
}

int engine__run(struct engine *e, const struct engine_run *r, struct gs_err *err)
{
	while (!*r->stop) {
		if (r->until_exited && !engine__live(e))
			return ENGINE_ALL_EXITED;
		if (engine__step(e, r->step_ms, err))
			return -1;
		if (r->after_step && r->after_step(r->ctx))
			break;
	}
	return 0;
}

static bool output_failed(void *ctx)
{
	return *(const bool *)ctx;
}

int engine__follow(const struct engine_opts *o, const struct engine_sink *sink,
		   uint64_t keep_caps, const volatile sig_atomic_t *stop, const bool *out_failed,
		   struct gs_err *err)
{
	const struct engine_run run = {
		.step_ms = FOLLOW_STEP_MS, .stop = stop, .until_exited = true,
		.after_step = output_failed, .ctx = (void *)out_failed,
	};
	struct engine *e = engine__new(o, sink, err);
	int rc;

	if (!e)
		return -1;
	caps_keep_only(keep_caps);
	rc = engine__run(e, &run, err);
	engine__free(e);
	return rc < 0 ? -1 : 0;
}

size_t engine__count(const struct engine *e)
{
	return e->n;
}

const struct watched *engine__get(const struct engine *e, size_t i)
{
	return i < e->n ? &e->v[i]->pub : NULL;
}

void *engine__state(const struct engine *e, const struct watched *w)
{
	return entry_of(w)->state;
}

int engine__live(const struct engine *e)
{
	size_t i;
	int n = 0;

	for (i = 0; i < e->n; i++)
		n += live(e->v[i]);
	return n;
}

const char *engine__probe_note(const struct engine *e)
{
	return e->probes ? NULL : e->probe_note;
}

/* The name a table of the target gives reason, else "reason N" ("unknown" for 0). */
static const char *reason_name(const char *name, unsigned int reason, char *buf, size_t len)
{
	if (name && *name)
		return name;
	snprintf(buf, len, reason ? "reason %u" : "unknown", reason);
	return buf;
}

const char *watched__wait_reason(const struct watched *w, unsigned int reason, char *buf,
				 size_t len)
{
	const struct entry *x = entry_of(w);

	return reason_name(x->sm ? sampler__wait_reason(x->sm, reason) : NULL, reason, buf, len);
}

const char *watched__stw_reason(const struct watched *w, unsigned int reason, char *buf,
				size_t len)
{
	const struct entry *x = entry_of(w);

	return reason_name(x->sm ? sampler__stw_reason(x->sm, reason) : NULL, reason, buf, len);
}

const char *watched__describe(const struct watched *w, char *buf, size_t len)
{
	const struct entry *x = entry_of(w);
	char where[560] = "", name[260];
	size_t n;

	if (x->t)
		target__describe(x->t, buf, len);
	else
		snprintf(buf, len, "PID %d (%s, %s)", w->pid, w->comm, w->version);
	/* "PID 1234 (server, go1.24.4) in pod shop/web-0, container web" */
	if (w->ident && w->ident->pod[0])
		snprintf(where, sizeof(where), " in pod %s/%s, container %s", w->ident->namespace,
			 w->ident->pod, identity_short(w->ident, name, sizeof(name)));
	else if (identity_known(w->ident))
		snprintf(where, sizeof(where), " in container %s",
			 identity_short(w->ident, name, sizeof(name)));
	n = strlen(buf);
	if (n < len)
		snprintf(buf + n, len - n, "%s", where);
	return buf;
}

uint64_t watched__gc_cycles(const struct watched *w)
{
	const struct gc_cycle *c = w->model ? model__gc_recent(w->model, 0) : NULL;
	uint64_t n = w->cur.ok ? w->cur.num_gc : 0;

	return c && c->ev.numgc > n ? c->ev.numgc : n;
}

static const char *stacks_wait_reason(void *ctx, unsigned int reason)
{
	return sampler__wait_reason(ctx, reason);
}

struct gdump *engine__stacks(struct engine *e, const struct watched *w,
			     const struct stacks_opts *o, struct gs_err *err)
{
	struct entry *x = (struct entry *)w;
	struct stacks_opts so = *o;

	(void)e;
	if (!x->t || !live(x)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "PID %d: not a Go process goscope can read now",
			w->pid);
		return NULL;
	}
	if (x->sm) {
		so.wait_reason = stacks_wait_reason;
		so.ctx = x->sm;
	}
	return stacks__dump(x->t, &so, err);
}
