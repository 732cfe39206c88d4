// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "engine/engine.h"
#include "format/ident.h"
#include "format/json.h"
#include "format/snapshot.h"
#include "format/stat.h"
#include "goruntime/metrics.h"
#include "goruntime/rtmetrics.h"
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
	if (w->object && w->object[0])
		json_str(&j, "runtime_object", w->object);
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

/* A runtime/metrics value with its unit: "23.4 MiB", "1.25 s", "42". */
static void rtm_human(char *buf, size_t len, const struct rtm_def *d, const struct rtm_value *v)
{
	const char *unit = rtm_unit(d->name);
	char a[24], b[24], c[24];
	double x;

	if (d->kind == RTM_KIND_HISTOGRAM) {
		uint64_t n = rtm_hist_total(&v->h);
		bool secs = !strcmp(unit, "seconds");

		if (!n) {
			snprintf(buf, len, "none");
			return;
		}
		if (secs) {
			units_ns(a, sizeof(a), rtm_hist_quantile(&v->h, 0.5) * 1e9, UNITS_IEC);
			units_ns(b, sizeof(b), rtm_hist_quantile(&v->h, 0.99) * 1e9, UNITS_IEC);
			units_ns(c, sizeof(c), rtm_hist_quantile(&v->h, 1) * 1e9, UNITS_IEC);
		} else {
			units_bytes(a, sizeof(a), rtm_hist_quantile(&v->h, 0.5), UNITS_IEC);
			units_bytes(b, sizeof(b), rtm_hist_quantile(&v->h, 0.99), UNITS_IEC);
			units_bytes(c, sizeof(c), rtm_hist_quantile(&v->h, 1), UNITS_IEC);
		}
		snprintf(buf, len, "%llu, p50 <%s, p99 <%s, max <%s", (unsigned long long)n, a, b, c);
		return;
	}
	x = d->kind == RTM_KIND_FLOAT64 ? v->f : (double)v->u;
	if (d->kind == RTM_KIND_UINT64 && v->u >= INT64_MAX &&
	    (!strcmp(unit, "bytes") || !strcmp(unit, "percent")))
		snprintf(buf, len, "off (%s)", v->u == INT64_MAX ? "math.MaxInt64" : "negative");
	else if (!strcmp(unit, "bytes"))
		units_bytes(buf, len, x, UNITS_IEC);
	else if (!strcmp(unit, "seconds") || !strcmp(unit, "cpu-seconds"))
		snprintf(buf, len, "%s%s", units_ns(a, sizeof(a), x * 1e9, UNITS_IEC),
			 unit[0] == 'c' ? " of CPU" : "");
	else if (d->kind == RTM_KIND_UINT64)
		snprintf(buf, len, "%llu %s", (unsigned long long)v->u, unit);
	else
		snprintf(buf, len, "%g %s", x, unit);
}

static void print_rtm_group(FILE *f, const struct rtm_values *r, const char *group,
			    const char *title)
{
	char val[128];
	bool head = false;
	int i;

	for (i = 0; i < RTM_NR; i++) {
		const struct rtm_def *d = &rtm_defs[i];
		const struct rtm_value *v = &r->v[i];

		if (strcmp(d->group, group) || v->status == RTM_ABSENT)
			continue;
		if (!head)
			fprintf(f, "\n%s\n", title);
		head = true;
		if (v->status == RTM_UNREADABLE) {
			fprintf(f, "  %-44s %-34s %s\n", d->name, "unreadable", v->why);
			continue;
		}
		rtm_human(val, sizeof(val), d, v);
		fprintf(f, "  %-44s %-34s %s%s\n", d->name, val, d->help,
			v->backfilled ? " [computed by goscope]" : "");
	}
}

/* The godebug counters that counted something; the rest in one line. */
static void print_godebug(FILE *f, const struct rtm_values *r)
{
	char name[128], val[32];
	int i, zero = 0;

	if (r->godebug.status == RTM_ABSENT)
		return;
	fprintf(f, "\nruntime/metrics: GODEBUG settings that changed the program's behaviour\n");
	if (r->godebug.status == RTM_UNREADABLE) {
		fprintf(f, "  %-44s %-34s %s\n", "/godebug/non-default-behavior/*:events",
			"unreadable", r->godebug.why);
		return;
	}
	for (i = 0; i < r->godebug.n; i++) {
		if (!r->godebug.v[i].events) {
			zero++;
			continue;
		}
		snprintf(val, sizeof(val), "%llu events", (unsigned long long)r->godebug.v[i].events);
		fprintf(f, "  %-44s %-34s %s\n",
			rtm_godebug_metric(r->godebug.v[i].name, name, sizeof(name)), val,
			"times a non-default GODEBUG value changed what the program did");
	}
	fprintf(f, "  %-44s %d settings\n", "never triggered", zero);
}

static void print_runtime_metrics(FILE *f, const struct watched *w)
{
	const struct rtm_values *r = w->cur.rtm;
	const struct rtm_memstats *m;
	char a[32], b[32];

	if (!r)
		return;
	print_rtm_group(f, r, "heap", "runtime/metrics: heap");
	print_rtm_group(f, r, "memory", "runtime/metrics: memory classes");
	print_rtm_group(f, r, "gc", "runtime/metrics: GC");
	print_rtm_group(f, r, "cpu", "runtime/metrics: CPU classes (as of the last GC)");
	print_rtm_group(f, r, "sched", "runtime/metrics: scheduler");
	print_rtm_group(f, r, "sync", "runtime/metrics: sync");
	print_rtm_group(f, r, "cgo", "runtime/metrics: cgo");
	print_godebug(f, r);
	m = &r->ms;
	if (!m->ok)
		return;
	fprintf(f, "\nMemStats, the rest\n");
	fprintf(f, "  %-44s %s\n", "Sys", units_bytes(a, sizeof(a), (double)m->Sys, UNITS_IEC));
	fprintf(f, "  %-44s %s of %s\n", "MSpanInuse of MSpanSys",
		units_bytes(a, sizeof(a), (double)m->MSpanInuse, UNITS_IEC),
		units_bytes(b, sizeof(b), (double)m->MSpanSys, UNITS_IEC));
	fprintf(f, "  %-44s %s of %s\n", "MCacheInuse of MCacheSys",
		units_bytes(a, sizeof(a), (double)m->MCacheInuse, UNITS_IEC),
		units_bytes(b, sizeof(b), (double)m->MCacheSys, UNITS_IEC));
	fprintf(f, "  %-44s %s\n", "BuckHashSys",
		units_bytes(a, sizeof(a), (double)m->BuckHashSys, UNITS_IEC));
	fprintf(f, "  %-44s %s\n", "GCSys", units_bytes(a, sizeof(a), (double)m->GCSys, UNITS_IEC));
	fprintf(f, "  %-44s %s\n", "OtherSys",
		units_bytes(a, sizeof(a), (double)m->OtherSys, UNITS_IEC));
}

void stat_print_table(FILE *f, const struct stat_report *r)
{
	const struct watched *w = r->w;
	char where[1024];

	fprintf(f, "PID %d (%s, %s%s%s)%s\n", w->pid, w->comm, w->version,
		w->object && w->object[0] ? ", runtime in " : "", w->object ? w->object : "",
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
	print_runtime_metrics(f, w);
}
