// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One process in the engine: found or named, set up (model, sampler, a BPF slot with the GC
 * probes), sampled, noticed when it exits, reaped, freed. The loop that drives them is engine.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"
#include "container/select.h"
#include "engine/discover.h"
#include "engine/engine_int.h"
#include "engine/events.h"
#include "engine/sites.h"
#include "target/probes.h"
#include "target/proc.h"
#include "target/target.h"
#include "gobin/gobin.h"
#include "util/clock.h"

/* ---- slots ---- */

static int alloc_slot(const struct engine *e)
{
	int i;

	for (i = 0; i < PROBES_MAX_SLOTS; i++)
		if (!e->slots[i])
			return i;
	return -1;
}

void entry_release_slot(struct engine *e, struct entry *x)
{
	int m;

	if (x->slot < 0)
		return;
	target__detach(x->t, e->probes);
	events__set_target(e->events, (unsigned int)x->slot, NULL, NULL);
	e->slots[x->slot] = NULL;
	x->slot = -1;
	x->pub.probed = false;
	for (m = 0; m < OPTIN_MODES; m++)
		x->pub.optin[m].on = false;
}

/* The GC probes (and, asked for, the stop-the-world ones) in a slot of its own. */
static int attach_gc(struct engine *e, struct entry *x, struct gs_err *err)
{
	unsigned int sets = PSET_GC | (e->o.stw ? PSET_STW : 0);
	int slot = alloc_slot(e);

	if (slot < 0)
		return gs_fail(err, GS_EXIT_ATTACH, "more than %d processes watched",
			       PROBES_MAX_SLOTS);
	x->slot = slot;
	e->slots[slot] = x;
	events__set_target(e->events, (unsigned int)slot, x->t, x);
	if (target__attach(x->t, e->probes, (unsigned int)slot, sets, err)) {
		entry_release_slot(e, x);
		return -1;
	}
	x->pub.probed = true;
	x->pub.model->probed = true;
	x->pub.numgc_at_attach = x->t->numgc_at_attach;
	return 0;
}

/* ---- processes ---- */

struct entry *entry_new(const struct engine *e, pid_t pid, uint64_t start_ticks)
{
	struct entry *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->slot = -1;
	x->start_ticks = start_ticks;
	x->pub.pid = pid;
	x->pub.seen_ns = clock_mono_ns();
	snprintf(x->pub.version, sizeof(x->pub.version), "?");
	if (e->sink.state_size && !(x->state = calloc(1, e->sink.state_size))) {
		free(x);
		return NULL;
	}
	/* Which container: read once, before anything else, and kept after the process exits. */
	x->pub.ident = idcache__get(e->ids, pid);
	x->pub.nspid = identity_nspid(pid);
	return x;
}

/* Everything but the identity and the sink's state: what an unsupported process keeps. */
static void entry_strip(struct engine *e, struct entry *x)
{
	entry_release_slot(e, x);
	rt_sample__release(&x->pub.cur);
	rt_sample__release(&x->scratch);
	sampler__free(x->sm);
	x->sm = NULL;
	sites__free(x->pub.sites);
	x->pub.sites = NULL;
	free(x->pub.model);
	x->pub.model = NULL;
	target__free(x->t);
	x->t = NULL;
	x->pub.exe = NULL;
	x->pub.object = NULL;
}

void entry_free(struct engine *e, struct entry *x)
{
	if (!x)
		return;
	if (x->listed)
		SINK(e, x, remove);
	entry_strip(e, x);
	idcache__put(e->ids, x->pub.ident);
	free(x->state);
	free(x);
}

bool entry_list(struct engine *e, struct entry *x)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct entry **v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return false;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n++] = x;
	x->listed = true;
	return true;
}

/* A Go process goscope can watch (x->t open): model, sampler, probes. */
static int setup(struct engine *e, struct entry *x, struct gs_err *err)
{
	struct target *t = x->t;
	struct gs_err perr = { 0 };

	snprintf(x->pub.comm, sizeof(x->pub.comm), "%s", t->comm);
	snprintf(x->pub.version, sizeof(x->pub.version), "%s", gobin__version(t->bin)->str);
	x->pub.minor = t->rt.minor;
	x->pub.exe = t->exe;
	x->pub.object = t->object;
	x->pub.model = calloc(1, sizeof(*x->pub.model));
	if (!x->pub.model)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	model__init(x->pub.model, t->rt.minor);
	/* The goroutine probes seed their table from a walk of allgs: a sampler's job. */
	if (e->o.sample || e->o.optin.goroutines) {
		x->sm = sampler__new(t->pid, t->bin, t->bias, &t->rt, err);
		if (!x->sm)
			return -1;
		sampler__set_metrics(x->sm, e->o.metrics);
		if (e->o.no_gwalk)
			sampler__set_gwalk_budget(x->sm, 0);
		else if (e->o.gwalk_budget_ns)
			sampler__set_gwalk_budget(x->sm, e->o.gwalk_budget_ns);
	}
	x->pub.state = WS_WAITING;
	if (!e->probes) {
		snprintf(x->pub.probe_note, sizeof(x->pub.probe_note), "%s", e->probe_note);
		return 0;
	}
	if (attach_gc(e, x, &perr) == 0)
		return 0;
	/* Named processes must be attached; found ones fall back to sampling. */
	if (!e->o.all) {
		*err = perr;
		return -1;
	}
	log_warn("PID %d: sampling only: %s", t->pid, perr.msg);
	snprintf(x->pub.probe_note, sizeof(x->pub.probe_note), "%s", perr.msg);
	return 0;
}

/*
 * Each optional part of the runtime (goruntime/layout.h) that this command shows and this
 * program lacks, said once: what is missing and what goes without it.
 */
static void note_missing(const struct engine *e, const struct entry *x)
{
	unsigned int shown = 0;
	int n;

	if (x->t->sets & PSET_STW)
		shown |= 1u << NEED_STW_NAMES;
	if (e->o.wait_names)
		shown |= 1u << NEED_WAIT_NAMES;
	if (e->o.metrics)
		shown |= 1u << NEED_METRICS;
	for (n = 0; n < NEED_NR; n++) {
		const struct gs_err *why = layout_missing(&x->t->rt, (enum rt_need)n);

		if (why && (shown & (1u << n)))
			log_note("PID %d: %s (%s)", x->pub.pid, layout_need_loss((enum rt_need)n),
				 why->msg);
	}
}

int entry_setup(struct engine *e, struct entry *x, struct gs_err *err)
{
	if (setup(e, x, err))
		return -1;
	note_missing(e, x);
	return 0;
}

void entry_sample(struct engine *e, struct entry *x);

/* Listed and set up: the outputs hear of it, then its first sample and the opt-in probes. */
void entry_start(struct engine *e, struct entry *x)
{
	SINK(e, x, attach);
	entry_sample(e, x);
	if (live(x))
		optin_attach(e, x);
}

/* A Go program goscope cannot watch, found by a scan: listed, saying why. */
static int list_unsupported(struct engine *e, struct entry *x, const struct target_info *info,
			    const struct gs_err *why)
{
	entry_strip(e, x);
	snprintf(x->pub.comm, sizeof(x->pub.comm), "%s", info->comm);
	snprintf(x->pub.version, sizeof(x->pub.version), "%s", info->version);
	snprintf(x->pub.why, sizeof(x->pub.why), "%s", why->msg);
	x->pub.state = WS_UNSUPPORTED;
	if (!entry_list(e, x))
		return -1;
	SINK(e, x, attach);
	return 0;
}

/* A process found by a scan. Returns true to rule it out: not Go, gone, not ours to read. */
static bool add_found(void *ctx, pid_t pid, uint64_t start_ticks)
{
	struct engine *e = ctx;
	struct entry *x = entry_new(e, pid, start_ticks);
	struct target_info info;
	struct gs_err err = { 0 };

	if (!x) {
		log_warn("out of memory");
		return false;
	}
	/* --container, --pod: a process outside the selection is not looked at again. */
	if (e->o.sel && e->o.sel->n && !selection_match(e->o.sel, x->pub.ident)) {
		entry_free(e, x);
		return true;
	}
	x->t = target__open(pid, &info, &err);
	if (x->t && entry_setup(e, x, &err) == 0) {
		if (entry_list(e, x)) {
			entry_start(e, x);
			return false;
		}
		gs_fail(&err, GS_EXIT_ERROR, "out of memory");
	}
	if ((!x->t && !discover_list_refused(&info, &err)) ||
	    list_unsupported(e, x, &info, &err)) {
		entry_free(e, x);
		return true;
	}
	return false;
}

bool entry_watching(const struct engine *e, pid_t pid, uint64_t start_ticks)
{
	size_t i;

	/* After an exec the same PID and start time name a new program, watched anew. */
	for (i = 0; i < e->n; i++)
		if (e->v[i]->pub.pid == pid && e->v[i]->start_ticks == start_ticks &&
		    !e->v[i]->pub.execed && !(e->v[i]->t && e->v[i]->t->execed))
			return true;
	return false;
}

bool entry_found(void *ctx, pid_t pid, uint64_t start_ticks)
{
	return entry_watching(ctx, pid, start_ticks) ? false : add_found(ctx, pid, start_ticks);
}

/* ---- exits and samples ---- */

static void mark_exited(struct engine *e, struct entry *x)
{
	if (x->pub.state == WS_EXITED)
		return;
	if (e->events && x->pub.probed) {
		/* What the process left in the ring buffer still belongs to it. */
		events__drain(e->events);
		events__check_drops(e->events, (unsigned int)x->slot);
	}
	entry_release_slot(e, x);
	x->pub.state = WS_EXITED;
	x->pub.execed = x->t->execed;
	x->pub.exited_ns = clock_mono_ns();
	SINK(e, x, exit);
}

/* Drops counted and exits noticed, for every live process. */
void entries_check_exits(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		struct entry *x = e->v[i];

		if (!live(x))
			continue;
		if (x->pub.probed)
			events__check_drops(e->events, (unsigned int)x->slot);
		if (target__gone(x->t))
			mark_exited(e, x);
	}
}

void entry_sample(struct engine *e, struct entry *x)
{
	struct rt_sample tmp;
	int rc;

	if (!live(x) || !x->sm || !e->o.sample)
		return;
	if (x->pub.probed)
		events__check_drops(e->events, (unsigned int)x->slot);
	if (target__gone(x->t)) {
		mark_exited(e, x);
		return;
	}
	rc = sampler__sample(x->sm, &x->scratch);
	/*
	 * Checked again after reading: had the process exited during the read, its PID could already
	 * name another process, whose memory must never pass for the old one's.
	 */
	if (target__gone(x->t)) {
		mark_exited(e, x);
		return;
	}
	if (rc) {
		SINK(e, x, sample_failed, rc);
		return;
	}
	tmp = x->pub.cur;
	x->pub.cur = x->scratch;
	x->scratch = tmp;
	x->pub.nsamples++;
	model__add_sample(x->pub.model, &x->pub.cur);
	optin_after_sample(e, x);
	SINK(e, x, sample);
}

/* Drop exited processes past their linger time, and unsupported ones that are gone. */
void entries_reap(struct engine *e, uint64_t now)
{
	size_t i, j = 0;

	for (i = 0; i < e->n; i++) {
		struct entry *x = e->v[i];
		uint64_t st;
		bool drop = false;

		if (x->pub.state == WS_EXITED)
			drop = e->o.linger_ns && now - x->pub.exited_ns >= e->o.linger_ns;
		else if (x->pub.state == WS_UNSUPPORTED)
			drop = proc_start_time(x->pub.pid, &st) || st != x->start_ticks;
		if (drop)
			entry_free(e, x);
		else
			e->v[j++] = x;
	}
	e->n = j;
}
