// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine/sites.h"
#include "format/gctrace.h"
#include "format/ident.h"
#include "format/record.h"
#include "goruntime/rtmetrics.h"
#include "format/schedtrace.h"
#include "format/snapshot.h"
#include "target/target.h"
#include "util/clock.h"

#define SITES_EVERY_NS	10000000000ull	/* goroutine_sites / alloc_sites records this often */
#define SITES_MAX	20		/* sites per record, the busiest first */

/* What record keeps per process: when its sites records were last written. */
struct record_proc {
	uint64_t sites_ns;
	/* Each histogram's counts as last written, to write only what grew since. */
	uint64_t *hist_prev[RTM_NR];
	uint32_t hist_n[RTM_NR];
};

void record_out_init(struct record_out *r, uint64_t interval_ns, bool stw, record_emit_fn *emit,
		     void *emit_ctx)
{
	memset(r, 0, sizeof(*r));
	r->interval_ns = interval_ns;
	r->stw = stw;
	r->emit = emit;
	r->emit_ctx = emit_ctx;
	r->start_mono = clock_mono_ns();
	if (gethostname(r->host, sizeof(r->host) - 1))
		snprintf(r->host, sizeof(r->host), "unknown");
}

void record_out_free(struct record_out *r)
{
	json_free(&r->j);
}

static void emit(struct record_out *r)
{
	if (json_end(&r->j)) {
		log_warn("out of memory: a record was dropped");
		return;
	}
	r->emit(r->emit_ctx, &r->j);
}

static void put_ts(struct json *j, uint64_t unix_ns)
{
	time_t sec = (time_t)(unix_ns / 1000000000ull);
	char buf[64];
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%09lluZ", (unsigned long long)(unix_ns % 1000000000ull));
	json_str(j, "ts", buf);
	json_u64(j, "unix_nano", unix_ns);
}

/* The members every record starts with. mono: when it happened (0: now). */
static void begin(struct record_out *r, const char *kind, const struct watched *w, uint64_t mono)
{
	json_begin(&r->j);
	json_str(&r->j, "schema", RECORD_SCHEMA);
	json_str(&r->j, "kind", kind);
	put_ts(&r->j, mono ? clock_mono_to_real(mono) : clock_real_ns());
	json_str(&r->j, "host", r->host);
	json_i64(&r->j, "pid", w->pid);
	json_str(&r->j, "comm", w->comm);
	json_str(&r->j, "exe", w->exe ? w->exe : "");
	json_str(&r->j, "go_version", w->version);
	if (w->nspid && w->nspid != w->pid)
		json_i64(&r->j, "nspid", w->nspid);
	ident_json(&r->j, w->ident);
}

static void on_attach(void *ctx, const struct watched *w, void *st)
{
	struct record_out *r = ctx;
	bool ok = w->state != WS_UNSUPPORTED;

	begin(r, "attach", w, 0);
	json_str(&r->j, "state", ok ? "watching" : "unsupported");
	json_str(&r->j, "reason", ok ? NULL : w->why);
	json_bool(&r->j, "probed", w->probed);
	json_str(&r->j, "probe_note", ok && !w->probed ? w->probe_note : NULL);
	json_bool(&r->j, "stw_probes", w->probed && r->stw);
	if (w->probed)
		json_u64(&r->j, "gc_cycles_before", w->numgc_at_attach);
	else
		json_null(&r->j, "gc_cycles_before");
	json_u64(&r->j, "interval_ns", r->interval_ns);
	emit(r);
}

static void gc_values(struct json *j, const struct gs_gc_end *e)
{
	int64_t stw = e->stwprocs;
	double frac;

	memcpy(&frac, &e->gc_cpu_fraction_bits, sizeof(frac));
	json_u64(j, "num", e->numgc);
	json_bool(j, "forced", e->user_forced);
	json_i64(j, "since_start_ns", e->t_sweep_term - e->runtime_init_time);
	json_f64(j, "gc_cpu_fraction", frac);
	json_i64(j, "clock_sweep_termination_ns", e->t_mark - e->t_sweep_term);
	json_i64(j, "clock_mark_ns", e->t_mark_term - e->t_mark);
	json_i64(j, "clock_mark_termination_ns", e->t_end - e->t_mark_term);
	json_i64(j, "cpu_sweep_termination_ns", stw * (e->t_mark - e->t_sweep_term));
	json_i64(j, "cpu_assist_ns", e->assist_time);
	json_i64(j, "cpu_background_ns", e->dedicated_mark_time + e->fractional_mark_time);
	json_i64(j, "cpu_idle_ns", e->idle_mark_time);
	json_i64(j, "cpu_mark_termination_ns", stw * (e->t_end - e->t_mark_term));
	json_u64(j, "heap_start_bytes", e->heap0);
	json_u64(j, "heap_end_bytes", e->heap1);
	json_u64(j, "heap_marked_bytes", e->heap2);
	json_u64(j, "heap_goal_bytes", e->last_heap_goal);
	json_u64(j, "stacks_bytes", e->stack_scan);
	json_u64(j, "globals_bytes", e->globals_scan);
	json_i64(j, "procs", e->maxprocs);
	json_i64(j, "pause_ns", e->pause_ns);
}

/* The name of a GC pause: the target's own, else the one Go 1.21 gave it (1.19/1.20 have none). */
static const char *gc_pause_reason(const struct watched *w, uint32_t reason)
{
	char buf[32];
	const char *name = watched__stw_reason(w, reason, buf, sizeof(buf));

	if (name != buf)
		return name;
	return reason == GS_STW_GC_SWEEP_TERM ? "GC sweep termination" : "GC mark termination";
}

static void pause_record(struct record_out *r, const struct watched *w, uint64_t mono, int64_t dur,
			 const char *reason, int64_t gc_num, bool approximate)
{
	begin(r, "pause", w, mono);
	json_u64(&r->j, "duration_ns", (uint64_t)dur);
	json_str(&r->j, "reason", reason);
	json_bool(&r->j, "gc", gc_num >= 0);
	if (gc_num >= 0)
		json_i64(&r->j, "gc_num", gc_num);
	else
		json_null(&r->j, "gc_num");
	json_bool(&r->j, "approximate", approximate);
	emit(r);
}

static void put_pause(struct json *j, const char *key, int64_t ns)
{
	if (ns >= 0)
		json_i64(j, key, ns);
	else
		json_null(j, key);
}

static void on_gc(void *ctx, const struct watched *w, void *st, const struct gc_cycle *c)
{
	struct record_out *r = ctx;
	char line[GCTRACE_LINE_MAX];

	begin(r, "gc", w, c->ktime_ns);
	gc_values(&r->j, &c->ev);
	put_pause(&r->j, "sweep_termination_pause_ns", c->sweep_pause_ns);
	put_pause(&r->j, "mark_termination_pause_ns", c->markterm_pause_ns);
	json_bool(&r->j, "pauses_exact", c->pauses_exact);
	gctrace_format(&c->ev, line, sizeof(line));
	json_str(&r->j, "line", line);
	emit(r);
	if (c->sweep_pause_ns >= 0)
		pause_record(r, w, c->ktime_ns, c->sweep_pause_ns,
			     gc_pause_reason(w, GS_STW_GC_SWEEP_TERM), c->ev.numgc,
			     !c->pauses_exact);
	if (c->markterm_pause_ns >= 0)
		pause_record(r, w, c->ktime_ns, c->markterm_pause_ns,
			     gc_pause_reason(w, GS_STW_GC_MARK_TERM), c->ev.numgc,
			     !c->pauses_exact);
}

static void on_stw(void *ctx, const struct watched *w, void *st, const struct stw_pause *p)
{
	char buf[32];

	pause_record(ctx, w, p->ktime_ns, (int64_t)p->duration_ns,
		     watched__stw_reason(w, p->reason, buf, sizeof(buf)), -1, p->approximate);
}

static void sched_record(struct record_out *r, const struct watched *w)
{
	const struct rt_sample *s = &w->cur;
	char *line = malloc(SCHEDTRACE_LINE_MAX);
	int i;

	begin(r, "sched", w, s->mono_ns);
	json_i64(&r->j, "gomaxprocs", s->gomaxprocs);
	json_i64(&r->j, "idle_procs", s->idle_procs);
	json_i64(&r->j, "threads", s->threads);
	json_i64(&r->j, "spinning_threads", s->spinning_threads);
	if (w->minor >= 20)
		json_i64(&r->j, "need_spinning", s->need_spinning);
	else
		json_null(&r->j, "need_spinning");
	json_i64(&r->j, "idle_threads", s->idle_threads);
	json_i64(&r->j, "runqueue", s->runqueue);
	json_arr_open(&r->j, "p_runqueue");
	for (i = 0; i < s->nprocs; i++)
		json_u64(&r->j, NULL, s->p_runq[i]);
	json_arr_close(&r->j);
	json_arr_open(&r->j, "p_schedticks");
	for (i = 0; i < s->nprocs; i++)
		json_u64(&r->j, NULL, s->p_schedtick[i]);
	json_arr_close(&r->j);
	if (line)
		schedtrace_format(s, w->minor, (s->mono_ns - r->start_mono) / 1000000, line,
				  SCHEDTRACE_LINE_MAX);
	json_str(&r->j, "line", line);
	free(line);
	emit(r);
}

static void put_loc(struct json *j, const char *fkey, const struct site_loc *l)
{
	json_str(j, fkey, l->func);
	json_str(j, "file", l->file);
	json_i64(j, "line", l->line);
}

static void put_optin(struct json *j, const struct watched *w, enum optin_mode m)
{
	const struct optin_state *o = &w->optin[m];

	json_bool(j, "probes_attached", o->on);
	json_bool(j, "breaker_tripped", o->tripped);
	json_f64(j, "probe_cpu_ratio", o->on ? o->cpu : 0);
	json_str(j, "note", o->note[0] ? o->note : NULL);
}

static void goroutine_sites(struct record_out *r, const struct watched *w)
{
	const struct gsite *g;
	size_t n = sites__gsites(w->sites, &g), i;
	uint64_t now = clock_mono_ns();

	begin(r, "goroutine_sites", w, 0);
	put_optin(&r->j, w, OPTIN_GOROUTINES);
	json_u64(&r->j, "live", sites__g_live(w->sites));
	json_u64(&r->j, "sites_total", n);
	json_arr_open(&r->j, "sites");
	for (i = 0; i < n && i < SITES_MAX; i++) {
		json_obj_open(&r->j, NULL);
		put_loc(&r->j, "created_by", &g[i].where);
		json_str(&r->j, "function", g[i].start.func);
		json_bool(&r->j, "runtime", g[i].system);
		json_u64(&r->j, "live", g[i].live);
		json_u64(&r->j, "created", g[i].created);
		json_u64(&r->j, "exited", g[i].exited);
		json_u64(&r->j, "alive_at_attach", g[i].seeded);
		json_i64(&r->j, "growth", g[i].growth);
		json_u64(&r->j, "growth_window_ns", g[i].growth_ns);
		if (g[i].oldest_ns)
			json_u64(&r->j, "oldest_age_ns", now - g[i].oldest_ns);
		else
			json_null(&r->j, "oldest_age_ns");
		json_obj_close(&r->j);
	}
	json_arr_close(&r->j);
	emit(r);
}

static void alloc_sites(struct record_out *r, const struct watched *w)
{
	const struct asite *a;
	size_t n = sites__asites(w->sites, &a), i;
	double bytes = 0, objects = 0;

	for (i = 0; i < n; i++) {
		bytes += a[i].bytes;
		objects += a[i].objects;
	}
	begin(r, "alloc_sites", w, 0);
	put_optin(&r->j, w, OPTIN_ALLOCS);
	json_str(&r->j, "mode", w->alloc_mode == ALLOC_SAMPLED ? "sampled" :
		 w->alloc_mode == ALLOC_LARGE ? "large" : "off");
	json_i64(&r->j, "mem_profile_rate", w->mem_profile_rate);
	json_u64(&r->j, "samples", sites__alloc_samples(w->sites));
	json_f64(&r->j, "bytes", floor(bytes));
	json_f64(&r->j, "objects", floor(objects));
	json_u64(&r->j, "sites_total", n);
	json_arr_open(&r->j, "sites");
	for (i = 0; i < n && i < SITES_MAX; i++) {
		json_obj_open(&r->j, NULL);
		put_loc(&r->j, "function", &a[i].where);
		json_f64(&r->j, "bytes", floor(a[i].bytes));
		json_f64(&r->j, "objects", floor(a[i].objects));
		json_u64(&r->j, "samples", a[i].samples);
		json_obj_close(&r->j);
	}
	json_arr_close(&r->j);
	emit(r);
}

/* The opt-in probes' findings, every SITES_EVERY_NS and when the process goes (force). */
static void sites_records(struct record_out *r, const struct watched *w, struct record_proc *rp,
			  bool force)
{
	uint64_t now = clock_mono_ns();

	if (!w->sites)
		return;
	if (!force && rp->sites_ns && now - rp->sites_ns < SITES_EVERY_NS)
		return;
	rp->sites_ns = now;
	if (w->optin[OPTIN_GOROUTINES].wanted)
		goroutine_sites(r, w);
	if (w->optin[OPTIN_ALLOCS].wanted)
		alloc_sites(r, w);
}

static void on_tripped(void *ctx, const struct watched *w, void *st, enum optin_mode m)
{
	struct record_out *r = ctx;

	begin(r, "breaker", w, 0);
	json_str(&r->j, "probes", optin_mode_name(m));
	json_f64(&r->j, "probe_cpu_ratio", w->optin[m].cpu);
	json_u64(&r->j, "probe_hits", w->optin[m].hits);
	json_str(&r->j, "note", w->optin[m].note);
	emit(r);
}

/*
 * A histogram of a sample line: in full ({"buckets", "counts"}) the first time, and whenever a
 * count went down or the buckets changed; otherwise only what grew since the previous line:
 * {"delta": [[bucket index, events added], ...]}.
 */
static void put_hist_since(struct json *j, const struct rtm_def *d, const struct rtm_value *v,
			   struct record_proc *rp, int id)
{
	const struct rtm_hist *h = &v->h;
	uint64_t *prev = rp->hist_prev[id];
	bool full = !prev || rp->hist_n[id] != h->n;
	uint32_t i;

	for (i = 0; !full && i < h->n; i++)
		full = h->counts[i] < prev[i];
	if (full) {
		snapshot_put_rtm_value(j, d->name, d, v);
		free(prev);
		prev = malloc(h->n * sizeof(*prev));
		rp->hist_prev[id] = prev;
		rp->hist_n[id] = prev ? h->n : 0;
		if (prev)
			memcpy(prev, h->counts, h->n * sizeof(*prev));
		return;
	}
	json_obj_open(j, d->name);
	json_arr_open(j, "delta");
	for (i = 0; i < h->n; i++) {
		if (h->counts[i] == prev[i])
			continue;
		json_arr_open(j, NULL);
		json_u64(j, NULL, i);
		json_u64(j, NULL, h->counts[i] - prev[i]);
		json_arr_close(j);
		prev[i] = h->counts[i];
	}
	json_arr_close(j);
	json_obj_close(j);
}

static void put_runtime_metrics(struct json *j, const struct watched *w, struct record_proc *rp)
{
	const struct rtm_values *r = w->cur.rtm;
	int i;

	if (!r)
		return;
	json_obj_open(j, "runtime_metrics");
	for (i = 0; i < RTM_NR; i++) {
		const struct rtm_def *d = &rtm_defs[i];

		if (r->v[i].status != RTM_OK)
			continue;
		if (d->kind == RTM_KIND_HISTOGRAM)
			put_hist_since(j, d, &r->v[i], rp, i);
		else
			snapshot_put_rtm_value(j, d->name, d, &r->v[i]);
	}
	snapshot_put_godebug(j, r);
	json_obj_close(j);
	snapshot_put_rtm_status(j, r);
}

static void on_remove(void *ctx, const struct watched *w, void *st)
{
	struct record_proc *rp = st;
	int i;

	for (i = 0; i < RTM_NR; i++)
		free(rp->hist_prev[i]);
}

static void on_sample(void *ctx, const struct watched *w, void *st)
{
	struct record_out *r = ctx;

	begin(r, "sample", w, w->cur.mono_ns);
	json_bool(&r->j, "probed", w->probed);
	json_bool(&r->j, "heap_consistent", w->cur.heap_consistent);
	snapshot_put_metrics(&r->j, w);
	snapshot_put_goroutines(&r->j, w);
	put_runtime_metrics(&r->j, w, st);
	emit(r);
	sched_record(r, w);
	sites_records(r, w, st, false);
}

static void on_lost(void *ctx, const struct watched *w, void *st, uint64_t missed, uint64_t lost)
{
	struct record_out *r = ctx;

	begin(r, "lost", w, 0);
	json_u64(&r->j, "missed_gc_cycles", missed);
	json_u64(&r->j, "lost_events", lost);
	json_u64(&r->j, "missed_gc_cycles_total", w->missed_cycles);
	json_u64(&r->j, "lost_events_total", w->lost_events);
	emit(r);
}

/* The last cycle goscope knows of, and how many the probes saw. */
static void put_last_gc(struct json *j, const struct watched *w)
{
	json_u64(j, "gc_cycles", watched__gc_cycles(w));
	json_u64(j, "gc_cycles_seen", w->model ? w->model->ngc : 0);
}

static void on_exit_(void *ctx, const struct watched *w, void *st)
{
	struct record_out *r = ctx;

	sites_records(r, w, st, true);
	begin(r, "exit", w, w->exited_ns);
	put_last_gc(&r->j, w);
	emit(r);
}

static void on_detach(void *ctx, const struct watched *w, void *st)
{
	struct record_out *r = ctx;

	sites_records(r, w, st, true);
	begin(r, "detach", w, 0);
	put_last_gc(&r->j, w);
	emit(r);
}

struct engine_sink record_sink(struct record_out *r)
{
	return (struct engine_sink){
		.ctx = r, .state_size = sizeof(struct record_proc), .attach = on_attach,
		.gc = on_gc, .stw = on_stw, .sample = on_sample, .lost = on_lost, .exit = on_exit_,
		.detach = on_detach, .tripped = on_tripped, .remove = on_remove,
	};
}
