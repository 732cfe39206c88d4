// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <string.h>
#include "engine/engine.h"
#include "format/ident.h"
#include "format/json.h"
#include "format/snapshot.h"
#include "format/stat.h"
#include "goruntime/metrics.h"
#include "util/units.h"

#define TOP_WAIT_REASONS 5

/* ---- JSON ---- */

static void put_pause_stats(struct json *j, const char *key, const struct pause_stats *p)
{
	json_obj_open(j, key);
	json_u64(j, "count", p->count);
	json_u64(j, "p50_ns", p->p50_ns);
	json_u64(j, "p99_ns", p->p99_ns);
	json_u64(j, "max_ns", p->max_ns);
	json_u64(j, "total_ns", p->total_ns);
	json_obj_close(j);
}

/* The newest other (not GC) pauses in the model, oldest first. */
static uint64_t nstw(const struct model *m)
{
	return m->nstw < MODEL_STW_RING ? m->nstw : MODEL_STW_RING;
}

static const struct stw_pause *stw_at(const struct model *m, uint64_t age)
{
	return &m->stw[(m->nstw - 1 - age) % MODEL_STW_RING];
}

static void put_pauses(struct json *j, const struct stat_report *r)
{
	const struct model *m = r->w->model;
	struct pause_stats gc, other;
	uint64_t i, n;
	char buf[32];

	if (!r->pauses) {
		json_null(j, "pauses");
		return;
	}
	model__pause_stats(m, 0, true, &gc);
	model__pause_stats(m, 0, false, &other);
	json_obj_open(j, "pauses");
	put_pause_stats(j, "gc", &gc);
	put_pause_stats(j, "other", &other);
	json_arr_open(j, "cycles");
	n = m->ngc < MODEL_GC_RING ? m->ngc : MODEL_GC_RING;
	for (i = n; i-- > 0;) {
		const struct gc_cycle *c = model__gc_recent(m, i);

		json_obj_open(j, NULL);
		json_u64(j, "num", c->ev.numgc);
		json_bool(j, "forced", c->ev.user_forced);
		json_i64(j, "pause_ns", c->ev.pause_ns);
		json_i64(j, "sweep_termination_ns", c->sweep_pause_ns);
		json_i64(j, "mark_termination_ns", c->markterm_pause_ns);
		json_bool(j, "exact", c->pauses_exact);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_arr_open(j, "other_pauses");
	for (i = nstw(m); i-- > 0;) {
		const struct stw_pause *p = stw_at(m, i);

		if (p->gc)
			continue;
		json_obj_open(j, NULL);
		json_str(j, "reason", watched__stw_reason(r->w, p->reason, buf, sizeof(buf)));
		json_u64(j, "duration_ns", p->duration_ns);
		json_bool(j, "approximate", p->approximate);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_obj_close(j);
}

/* A rate as the report has always shown it: rounded to the given decimals. */
static double rounded(double v, int decimals)
{
	double scale = pow(10, decimals);

	return round(v * scale) / scale;
}

static void put_rates(struct json *j, const struct model_rates *r)
{
	json_obj_open(j, "rates");
	json_f64(j, "window_seconds", rounded(r->span_s, 3));
	json_f64(j, "alloc_bytes_per_second", rounded(r->alloc_bytes_per_s, 0));
	json_f64(j, "alloc_objects_per_second", rounded(r->alloc_objects_per_s, 0));
	json_f64(j, "gc_cycles_per_second", rounded(r->gc_per_s, 3));
	if (r->gc_cpu_percent >= 0)
		json_f64(j, "gc_cpu_percent", rounded(r->gc_cpu_percent, 3));
	json_obj_close(j);
}

int stat_print_json(FILE *f, const struct stat_report *r)
{
	const struct watched *w = r->w;
	struct json j = { 0 };
	int rc;

	json_begin(&j);
	json_i64(&j, "pid", w->pid);
	json_str(&j, "comm", w->comm);
	json_str(&j, "go_version", w->version);
	if (w->nspid && w->nspid != w->pid)
		json_i64(&j, "nspid", w->nspid);
	ident_json(&j, w->ident);
	snapshot_put_metrics(&j, w);
	put_rates(&j, &r->rates);
	snapshot_put_goroutines(&j, w);
	snapshot_put_runtime_metrics(&j, w);
	snapshot_put_memstats(&j, w);
	put_pauses(&j, r);
	json_bool(&j, "heap_consistent", w->cur.heap_consistent);
	rc = json_end(&j);
	if (!rc)
		fwrite(j.b.data, 1, j.b.len, f);
	json_free(&j);
	return rc;
}

/* ---- the table ---- */

static void print_group(FILE *f, const struct watched *w, const char *group, const char *title)
{
	char val[64];
	size_t m;

	fprintf(f, "\n%s\n", title);
	for (m = 0; m < metric_count; m++) {
		const struct metric_def *d = &metric_defs[m];

		if (strcmp(d->group, group) || w->minor < d->min_minor)
			continue;
		metric_format_human(val, sizeof(val), d, &w->cur);
		fprintf(f, "  %-30s %-22s %s\n", d->name, val, d->help);
	}
}

static void print_goroutines(FILE *f, const struct watched *w)
{
	const struct rt_sample *s = &w->cur;
	int idx[TOP_WAIT_REASONS], n, i;
	char buf[32];

	fprintf(f, "  %-30s", "by state");
	for (i = 0; i < GSTATE_NR; i++)
		if (s->gstate[i] || i < GSTATE_OTHER)
			fprintf(f, " %s %llu", gstate_name(i), (unsigned long long)s->gstate[i]);
	fprintf(f, "  (+%llu system)%s\n", (unsigned long long)s->gstate_sys,
		s->gwalk_partial ? "  [partial: walk time budget ran out]" : "");
	n = rt_sample__top_wait_reasons(s, idx, TOP_WAIT_REASONS);
	for (i = 0; i < n; i++)
		fprintf(f, "  %-30s %u waiting on %s\n", i ? "" : "top wait reasons",
			s->wait_reason[idx[i]],
			watched__wait_reason(w, (unsigned int)idx[i], buf, sizeof(buf)));
}

static void print_rates(FILE *f, const struct model_rates *r)
{
	char buf[64];

	if (r->span_s <= 0)
		return;
	fprintf(f, "\nRates over %.2f s\n", r->span_s);
	fprintf(f, "  %-30s %s/s\n", "allocation",
		units_bytes(buf, sizeof(buf), r->alloc_bytes_per_s, UNITS_IEC));
	fprintf(f, "  %-30s %.0f objects/s\n", "", r->alloc_objects_per_s);
	fprintf(f, "  %-30s %.2f cycles/s\n", "GC", r->gc_per_s);
	if (r->gc_cpu_percent >= 0)
		fprintf(f, "  %-30s %.1f %% of GOMAXPROCS\n", "GC CPU", r->gc_cpu_percent);
}

static void print_pause_line(FILE *f, const char *what, const struct pause_stats *p)
{
	char a[32], b[32], c[32];

	if (!p->count) {
		fprintf(f, "  %-30s none\n", what);
		return;
	}
	fprintf(f, "  %-30s %llu pauses, p50 %s, p99 %s, max %s\n", what,
		(unsigned long long)p->count, units_ns(a, sizeof(a), (double)p->p50_ns, UNITS_IEC),
		units_ns(b, sizeof(b), (double)p->p99_ns, UNITS_IEC),
		units_ns(c, sizeof(c), (double)p->max_ns, UNITS_IEC));
}

static void print_pauses(FILE *f, const struct stat_report *r)
{
	const struct model *m = r->w->model;
	struct pause_stats gc, other;
	char buf[32], d[32];
	uint64_t i;

	if (!r->pauses)
		return;
	model__pause_stats(m, 0, true, &gc);
	model__pause_stats(m, 0, false, &other);
	fprintf(f, "\nStop-the-world pauses over %.2f s\n", r->rates.span_s);
	print_pause_line(f, "GC", &gc);
	print_pause_line(f, "other", &other);
	for (i = nstw(m); i-- > 0;) {
		const struct stw_pause *p = stw_at(m, i);

		if (p->gc)
			continue;
		fprintf(f, "  %-30s %s%s (%s)\n", "", p->approximate ? "~" : "",
			units_ns(d, sizeof(d), (double)p->duration_ns, UNITS_IEC),
			watched__stw_reason(r->w, p->reason, buf, sizeof(buf)));
	}
}

void stat_print_table(FILE *f, const struct stat_report *r)
{
	const struct watched *w = r->w;
	char where[1024];

	fprintf(f, "PID %d (%s, %s)%s\n", w->pid, w->comm, w->version,
		w->cur.heap_consistent ? "" : "  [heap statistics changed during the read]");
	if (*ident_line(w->ident, w->pid, w->nspid, where, sizeof(where)))
		fprintf(f, "%s\n", where);
	print_group(f, w, "heap", "Heap");
	print_group(f, w, "gc", "GC");
	print_group(f, w, "sched", "Scheduler");
	print_group(f, w, "goroutines", "Goroutines");
	print_goroutines(f, w);
	print_rates(f, &r->rates);
	print_pauses(f, r);
}
