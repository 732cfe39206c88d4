// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope stat PID: one snapshot of the runtime's gauges; goscope metrics: their catalog. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "util/log.h"
#include "engine/events.h"
#include "goruntime/metrics.h"
#include "engine/model.h"
#include "target/probes.h"
#include "target/proc.h"
#include "target/sampler.h"
#include "target/target.h"
#include "gobin/gobin.h"
#include "format/json.h"

#define TOP_WAIT_REASONS 5

/* The probes attached for the window, when goscope may load BPF programs. */
struct window_probes {
	struct probes *probes;
	struct events *events;
	struct model *model;
	uint64_t start_ns;	/* ktime when the window began */
};

struct rates {
	double window_s;
	double alloc_bytes_per_s;
	double alloc_objects_per_s;
	double gc_per_s;
	double gc_cpu_percent;	/* GC CPU time of the cycles in the window / (window x GOMAXPROCS); <0: unknown */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope stat [OPTIONS] PID\n"
		"\n"
		"Print one snapshot of a Go process's runtime: heap (the runtime.MemStats values), GC,\n"
		"scheduler, goroutine count and goroutines by state with the most common wait reasons,\n"
		"plus allocation and GC rates over a short window. Read from outside with\n"
		"process_vm_readv: no probe, no stop-the-world. Works without root on your own\n"
		"processes. As root it also attaches the GC and stop-the-world probes for the window\n"
		"and reports every pause in it (each probe hit adds about 12 us to a pause).\n"
		"\n"
		"Options:\n"
		"  -j, --json            one JSON object instead of the table\n"
		"  -i, --interval DUR    window for rates and pauses (default 1s; 0: one read only)\n"
		"  -h, --help            show this help\n"
		"\n"
		"See 'goscope metrics' for what every value means.\n");
}

static void on_gc_end(void *ctx, struct target *t, const struct gs_gc_end *e)
{
	model__add_gc(((struct window_probes *)ctx)->model, e);
}

static void on_stw(void *ctx, struct target *t, const struct gs_stw *e)
{
	model__add_stw(((struct window_probes *)ctx)->model, e);
}

static uint64_t ktime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Attach the GC and stop-the-world probes for the window; without privileges, say so and go on. */
static void window_open(struct window_probes *w, struct target *t)
{
	const struct event_sink sink = { .ctx = w, .gc_end = on_gc_end, .stw = on_stw };
	struct gs_err err = { 0 };

	w->model = calloc(1, sizeof(*w->model));
	if (!w->model)
		return;
	model__init(w->model, t->rt.minor);
	w->probes = probes__open(&err);
	if (w->probes)
		w->events = events__new(w->probes, &sink, &err);
	if (w->events) {
		events__set_target(w->events, 0, t);
		/* Before attaching: every event the probes send falls inside the window. */
		w->start_ns = ktime_now();
		if (target__attach(t, w->probes, 0, true, &err) == 0)
			return;
	}
	log_note("no pause details: %s", err.msg);
	events__free(w->events);
	probes__free(w->probes);
	w->events = NULL;
	w->probes = NULL;
}

/* Wait out the window, handling probe events if attached. Returns true if interrupted. */
static bool window_wait(struct window_probes *w, uint64_t ns)
{
	uint64_t end = ktime_now() + ns;

	if (!w->events)
		return cli_sleep(ns);
	while (!cli_stop) {
		uint64_t now = ktime_now();

		if (now >= end)
			break;
		events__poll(w->events, (int)((end - now) / 1000000 + 1 < 100 ? (end - now) / 1000000 + 1 : 100));
	}
	events__drain(w->events);
	return cli_stop;
}

static void window_close(struct window_probes *w, struct target *t)
{
	if (w->probes)
		target__detach(t, w->probes);
	events__free(w->events);
	probes__free(w->probes);
	free(w->model);
}

static void compute_rates(const struct rt_sample *a, const struct rt_sample *b, struct rates *r)
{
	memset(r, 0, sizeof(*r));
	r->window_s = (double)(b->mono_ns - a->mono_ns) / 1e9;
	if (r->window_s <= 0)
		return;
	r->alloc_bytes_per_s = (double)(b->total_alloc - a->total_alloc) / r->window_s;
	r->alloc_objects_per_s = (double)(b->mallocs - a->mallocs) / r->window_s;
	r->gc_per_s = (double)(b->num_gc - a->num_gc) / r->window_s;
	r->gc_cpu_percent = -1;
}

/*
 * GC CPU over the window, from the cycles the probes saw end in it: the same components gctrace
 * prints as "ms cpu" (stop-the-world CPU, assists, background marking), idle marking excluded as
 * GCCPUFraction excludes it, over the CPU time GOMAXPROCS Ps had in the window.
 */
static void window_gc_cpu(const struct window_probes *w, const struct rt_sample *s, struct rates *r)
{
	if (!w->events || r->window_s <= 0)
		return;
	r->gc_cpu_percent = model__gc_cpu_percent(w->model, w->start_ns, s->mono_ns, s->gomaxprocs);
}

static const struct rt_sample *sort_sample;

static int cmp_reason(const void *a, const void *b)
{
	uint32_t x = sort_sample->wait_reason[*(const int *)a];
	uint32_t y = sort_sample->wait_reason[*(const int *)b];

	return x < y ? 1 : x > y ? -1 : *(const int *)a - *(const int *)b;
}

/* Indexes of the most frequent wait reasons, most frequent first; returns how many (≤ max). */
static int top_wait_reasons(const struct rt_sample *s, int *idx, int max)
{
	int all[SAMPLER_MAX_WAIT_REASONS], n = 0, i;

	for (i = 0; i < SAMPLER_MAX_WAIT_REASONS; i++)
		if (s->wait_reason[i])
			all[n++] = i;
	sort_sample = s;
	qsort(all, (size_t)n, sizeof(all[0]), cmp_reason);
	if (n > max)
		n = max;
	memcpy(idx, all, (size_t)n * sizeof(all[0]));
	return n;
}

/* A JSON string literal, escaped (and made valid UTF-8) by the one JSON writer. */
static void json_string(FILE *f, const char *s)
{
	struct json j = { 0 };

	json_put_string(&j, s);
	if (!j.oom && j.buf)
		fwrite(j.buf, 1, j.len, f);
	json_free(&j);
}

static const char *stw_reason(const struct sampler *sm, uint32_t reason, char *buf, size_t len)
{
	const char *name = sampler__stw_reason(sm, reason);

	if (name && *name)
		return name;
	snprintf(buf, len, reason ? "reason %u" : "unknown", reason);
	return buf;
}

static void json_pause_stats(const char *key, const struct pause_stats *p)
{
	printf("\"%s\": {\"count\": %llu, \"p50_ns\": %llu, \"p99_ns\": %llu, \"max_ns\": %llu, "
	       "\"total_ns\": %llu}", key, (unsigned long long)p->count, (unsigned long long)p->p50_ns,
	       (unsigned long long)p->p99_ns, (unsigned long long)p->max_ns,
	       (unsigned long long)p->total_ns);
}

static void print_pauses_json(const struct window_probes *w, const struct sampler *sm)
{
	struct pause_stats gc, other;
	uint64_t i, n, k;
	char buf[32];

	if (!w->events) {
		printf(", \"pauses\": null");
		return;
	}
	model__pause_stats(w->model, w->start_ns, true, &gc);
	model__pause_stats(w->model, w->start_ns, false, &other);
	printf(", \"pauses\": {");
	json_pause_stats("gc", &gc);
	printf(", ");
	json_pause_stats("other", &other);
	printf(", \"cycles\": [");
	n = w->model->ngc < MODEL_GC_RING ? w->model->ngc : MODEL_GC_RING;
	for (i = n; i-- > 0;) {
		const struct gc_cycle *c = model__gc_recent(w->model, i);

		printf("%s{\"num\": %u, \"forced\": %s, \"pause_ns\": %lld, "
		       "\"sweep_termination_ns\": %lld, \"mark_termination_ns\": %lld, \"exact\": %s}",
		       i == n - 1 ? "" : ", ", c->ev.numgc, c->ev.user_forced ? "true" : "false",
		       (long long)c->ev.pause_ns, (long long)c->sweep_pause_ns,
		       (long long)c->markterm_pause_ns, c->pauses_exact ? "true" : "false");
	}
	printf("], \"other_pauses\": [");
	n = w->model->nstw < MODEL_STW_RING ? w->model->nstw : MODEL_STW_RING;
	for (i = n, k = 0; i-- > 0;) {
		const struct stw_pause *p = &w->model->stw[(w->model->nstw - 1 - i) % MODEL_STW_RING];

		if (p->gc)
			continue;
		printf("%s{\"reason\": ", k++ ? ", " : "");
		json_string(stdout, stw_reason(sm, p->reason, buf, sizeof(buf)));
		printf(", \"duration_ns\": %llu, \"approximate\": %s}",
		       (unsigned long long)p->duration_ns, p->approximate ? "true" : "false");
	}
	printf("]}");
}

static void print_json(const struct target *t, const struct sampler *sm, const struct rt_sample *s,
		       const struct rates *r, const struct window_probes *w)
{
	int idx[SAMPLER_MAX_WAIT_REASONS], n, i;
	size_t m;
	bool first = true;

	printf("{\"pid\": %d, \"comm\": ", t->pid);
	json_string(stdout, t->comm);
	printf(", \"go_version\": ");
	json_string(stdout, gobin__version(t->bin)->str);
	printf(", \"metrics\": {");
	for (m = 0; m < metric_count; m++) {
		if (t->rt.minor < metric_defs[m].min_minor)
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		json_string(stdout, metric_defs[m].name);
		printf(": ");
		metric_print_exact(stdout, &metric_defs[m], s);
	}
	printf("}, \"rates\": {\"window_seconds\": %.3f, \"alloc_bytes_per_second\": %.0f, "
	       "\"alloc_objects_per_second\": %.0f, \"gc_cycles_per_second\": %.3f",
	       r->window_s, r->alloc_bytes_per_s, r->alloc_objects_per_s, r->gc_per_s);
	if (r->gc_cpu_percent >= 0)
		printf(", \"gc_cpu_percent\": %.3f", r->gc_cpu_percent);
	printf("}");
	printf(", \"goroutines\": {\"by_state\": {");
	for (i = 0; i < GSTATE_NR; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", gstate_name(i), (unsigned long long)s->gstate[i]);
	printf("}, \"system\": %llu, \"wait_reasons\": {", (unsigned long long)s->gstate_sys);
	n = top_wait_reasons(s, idx, SAMPLER_MAX_WAIT_REASONS);
	for (i = 0; i < n; i++) {
		const char *name = sampler__wait_reason(sm, (unsigned int)idx[i]);
		char unk[32];

		if (!name) {
			snprintf(unk, sizeof(unk), "reason %d", idx[i]);
			name = unk;
		}
		printf("%s", i ? ", " : "");
		json_string(stdout, name);
		printf(": %u", s->wait_reason[idx[i]]);
	}
	printf("}, \"walk\": {\"seen\": %llu, \"total\": %llu, \"partial\": %s, \"duration_ns\": %llu}}",
	       (unsigned long long)s->gwalk_seen, (unsigned long long)s->gwalk_total,
	       s->gwalk_partial ? "true" : "false", (unsigned long long)s->gwalk_ns);
	print_pauses_json(w, sm);
	printf(", \"heap_consistent\": %s}\n", s->heap_consistent ? "true" : "false");
}

static void print_group(const struct target *t, const struct rt_sample *s, const char *group,
			const char *title)
{
	char val[64];
	size_t m;

	printf("\n%s\n", title);
	for (m = 0; m < metric_count; m++) {
		const struct metric_def *d = &metric_defs[m];

		if (strcmp(d->group, group) || t->rt.minor < d->min_minor)
			continue;
		metric_format_human(val, sizeof(val), d, s);
		printf("  %-30s %-22s %s\n", d->name, val, d->help);
	}
}

static void print_pause_line(const char *what, const struct pause_stats *p)
{
	char a[32], b[32], c[32];

	if (!p->count) {
		printf("  %-30s none\n", what);
		return;
	}
	metric_fmt_ns(a, sizeof(a), (double)p->p50_ns);
	metric_fmt_ns(b, sizeof(b), (double)p->p99_ns);
	metric_fmt_ns(c, sizeof(c), (double)p->max_ns);
	printf("  %-30s %llu pauses, p50 %s, p99 %s, max %s\n", what, (unsigned long long)p->count,
	       a, b, c);
}

static void print_pauses_table(const struct window_probes *w, const struct sampler *sm,
			       double window_s)
{
	struct pause_stats gc, other;
	uint64_t i, n;
	char buf[32], d[32];

	if (!w->events)
		return;
	model__pause_stats(w->model, w->start_ns, true, &gc);
	model__pause_stats(w->model, w->start_ns, false, &other);
	printf("\nStop-the-world pauses over %.2f s\n", window_s);
	print_pause_line("GC", &gc);
	print_pause_line("other", &other);
	n = w->model->nstw < MODEL_STW_RING ? w->model->nstw : MODEL_STW_RING;
	for (i = n; i-- > 0;) {
		const struct stw_pause *p = &w->model->stw[(w->model->nstw - 1 - i) % MODEL_STW_RING];

		if (p->gc)
			continue;
		metric_fmt_ns(d, sizeof(d), (double)p->duration_ns);
		printf("  %-30s %s%s (%s)\n", "", p->approximate ? "~" : "", d,
		       stw_reason(sm, p->reason, buf, sizeof(buf)));
	}
}

static void print_table(const struct target *t, const struct sampler *sm, const struct rt_sample *s,
			const struct rates *r, const struct window_probes *w)
{
	int idx[TOP_WAIT_REASONS], n, i;
	uint64_t users = 0;
	char buf[64];

	printf("PID %d (%s, %s)%s\n", t->pid, t->comm, gobin__version(t->bin)->str,
	       s->heap_consistent ? "" : "  [heap statistics changed during the read]");
	print_group(t, s, "heap", "Heap");
	print_group(t, s, "gc", "GC");
	print_group(t, s, "sched", "Scheduler");
	print_group(t, s, "goroutines", "Goroutines");
	for (i = 0; i < GSTATE_NR; i++)
		users += s->gstate[i];
	printf("  %-30s", "by state");
	for (i = 0; i < GSTATE_NR; i++)
		if (s->gstate[i] || i < GSTATE_OTHER)
			printf(" %s %llu", gstate_name(i), (unsigned long long)s->gstate[i]);
	printf("  (+%llu system)%s\n", (unsigned long long)s->gstate_sys,
	       s->gwalk_partial ? "  [partial: walk time budget ran out]" : "");
	n = top_wait_reasons(s, idx, TOP_WAIT_REASONS);
	for (i = 0; i < n; i++) {
		const char *name = sampler__wait_reason(sm, (unsigned int)idx[i]);

		printf("  %-30s %u waiting on %s\n", i ? "" : "top wait reasons",
		       s->wait_reason[idx[i]], name ? name : "?");
	}
	if (r->window_s > 0) {
		printf("\nRates over %.2f s\n", r->window_s);
		metric_fmt_bytes(buf, sizeof(buf), r->alloc_bytes_per_s);
		printf("  %-30s %s/s\n", "allocation", buf);
		printf("  %-30s %.0f objects/s\n", "", r->alloc_objects_per_s);
		printf("  %-30s %.2f cycles/s\n", "GC", r->gc_per_s);
		if (r->gc_cpu_percent >= 0)
			printf("  %-30s %.1f %% of GOMAXPROCS\n", "GC CPU", r->gc_cpu_percent);
	}
	print_pauses_table(w, sm, r->window_s);
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rt_sample a = { 0 }, b = { 0 };
	uint64_t interval = 1000000000ull;
	struct gs_err err = { 0 };
	struct target *t = NULL;
	struct sampler *sm = NULL;
	struct rates r = { 0 };
	struct window_probes w = { 0 };
	bool json = false;
	int c, ret = GS_EXIT_OK;
	pid_t pid;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ji:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'i':
			if (cli_parse_duration(optarg, &interval))
				return cli_bad_usage("bad interval '%s' (e.g. 1s, 500ms)", optarg);
			break;
		case 'h': usage(stdout); return GS_EXIT_OK;
		default: return cli_bad_option(c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_bad_usage("stat needs exactly one PID (see 'goscope ps')");
	cli_setup_signals();
	if (cli_open_sampled(argv[optind], &t, &sm, &err)) {
		ret = cli_report(&err);
		goto out;
	}
	pid = t->pid;
	if (sampler__sample(sm, &a)) {
		fprintf(stderr, "goscope: PID %d: reading the runtime's memory failed\n", pid);
		ret = proc_check_alive(pid, NULL) ? GS_EXIT_NO_PROCESS : GS_EXIT_ERROR;
		goto out;
	}
	if (interval)
		window_open(&w, t);
	if (interval && !window_wait(&w, interval) && sampler__sample(sm, &b) == 0) {
		compute_rates(&a, &b, &r);
		window_gc_cpu(&w, &b, &r);
	} else
		b = a, a = (struct rt_sample){ 0 };
	if (json)
		print_json(t, sm, &b, &r, &w);
	else
		print_table(t, sm, &b, &r, &w);
out:
	window_close(&w, t);
	rt_sample__release(&a);
	rt_sample__release(&b);
	sampler__free(sm);
	target__free(t);
	return ret;
}

int cmd_metrics(int argc, char **argv)
{
	size_t m;

	if (argc > 1) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			printf("Usage: goscope metrics [OPTIONS]\n\nList every metric goscope reports: "
			       "name, unit, kind, the runtime's own name for it, and what it means.\n"
			       "\nOptions:\n  -h, --help      show this help\n");
			return GS_EXIT_OK;
		}
		if (argv[1][0] == '-' && argv[1][1])
			return cli_bad_usage("metrics: unknown option '%.*s'",
					     (int)strcspn(argv[1], "="), argv[1]);
		return cli_bad_usage("metrics takes no arguments");
	}
	printf("%-30s %-17s %-8s %-44s %s\n", "NAME", "UNIT", "KIND", "RUNTIME EQUIVALENT",
	       "DESCRIPTION");
	for (m = 0; m < metric_count; m++) {
		const struct metric_def *d = &metric_defs[m];

		printf("%-30s %-17s %-8s %-44s %s\n", d->name, metric_unit_name(d->unit), d->kind,
		       d->runtime_name, d->help);
	}
	printf("%-30s %-17s %-8s %-44s %s\n", "goroutines.by_state", "count", "gauge",
	       "(Go 1.26: /sched/goroutines/*)",
	       "user goroutines running, runnable, waiting, in a syscall, other (walk of allgs)");
	printf("%-30s %-17s %-8s %-44s %s\n", "goroutines.wait_reasons", "count", "gauge",
	       "g.waitreason", "waiting user goroutines by the runtime's wait reason");
	printf("%-30s %-17s %-8s %-44s %s\n", "rates.alloc_bytes_per_second", "bytes/second", "gauge",
	       "", "TotalAlloc growth over the window");
	printf("%-30s %-17s %-8s %-44s %s\n", "rates.alloc_objects_per_second", "objects/second",
	       "gauge", "", "Mallocs growth over the window");
	printf("%-30s %-17s %-8s %-44s %s\n", "rates.gc_cycles_per_second", "cycles/second", "gauge",
	       "", "NumGC growth over the window");
	printf("%-30s %-17s %-8s %-44s %s\n", "rates.gc_cpu_percent", "percent", "gauge", "",
	       "GC CPU of the cycles in the window over GOMAXPROCS x window (root: probes)");
	printf("%-30s %-17s %-8s %-44s %s\n", "pauses.gc", "nanoseconds", "gauge",
	       "/gc/pauses:seconds", "GC stop-the-world pauses in the window: count, p50, p99, max");
	printf("%-30s %-17s %-8s %-44s %s\n", "pauses.other", "nanoseconds", "gauge",
	       "/sched/pauses/total/other:seconds", "other stop-the-world pauses with reasons (1.21+)");
	return GS_EXIT_OK;
}
