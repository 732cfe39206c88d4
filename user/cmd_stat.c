// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope stat PID: one snapshot of the runtime's gauges; goscope metrics: their catalog. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "log.h"
#include "metrics.h"
#include "proc.h"
#include "sampler.h"
#include "target.h"
#include "gobin/gobin.h"

#define TOP_WAIT_REASONS 5

struct rates {
	double window_s;
	double alloc_bytes_per_s;
	double alloc_objects_per_s;
	double gc_per_s;
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
		"processes.\n"
		"\n"
		"Options:\n"
		"  -j, --json            one JSON object instead of the table\n"
		"  -i, --interval DUR    window for the rates (default 1s; 0: no rates, one read)\n"
		"  -h, --help            show this help\n"
		"\n"
		"See 'goscope metrics' for what every value means.\n");
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

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void print_json(const struct target *t, const struct sampler *sm, const struct rt_sample *s,
		       const struct rates *r)
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
	       "\"alloc_objects_per_second\": %.0f, \"gc_cycles_per_second\": %.3f}",
	       r->window_s, r->alloc_bytes_per_s, r->alloc_objects_per_s, r->gc_per_s);
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

static void human_rate(char *buf, size_t len, double bytes_per_s)
{
	if (bytes_per_s >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB/s", bytes_per_s / (1024 * 1024));
	else if (bytes_per_s >= 1024)
		snprintf(buf, len, "%.1f KiB/s", bytes_per_s / 1024);
	else
		snprintf(buf, len, "%.0f B/s", bytes_per_s);
}

static void print_table(const struct target *t, const struct sampler *sm, const struct rt_sample *s,
			const struct rates *r)
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
		human_rate(buf, sizeof(buf), r->alloc_bytes_per_s);
		printf("  %-30s %s\n", "allocation", buf);
		printf("  %-30s %.0f objects/s\n", "", r->alloc_objects_per_s);
		printf("  %-30s %.2f cycles/s\n", "GC", r->gc_per_s);
	}
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
	bool json = false;
	int c, ret = GS_EXIT_OK;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "ji:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'i':
			if (cli_parse_duration(optarg, &interval)) {
				fprintf(stderr, "goscope: bad interval '%s' (e.g. 1s, 500ms)\n", optarg);
				return GS_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return GS_EXIT_OK;
		default: usage(stderr); return GS_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "goscope: stat needs exactly one PID (see 'goscope ps')\n");
		return GS_EXIT_USAGE;
	}
	cli_setup_signals();
	if (proc_parse_pid(argv[optind], &pid, &err) || !(t = target__open(pid, &err)) ||
	    !(sm = sampler__new(t->pid, t->bin, t->bias, &t->rt, &err))) {
		ret = cli_report(&err);
		goto out;
	}
	if (sampler__sample(sm, &a)) {
		fprintf(stderr, "goscope: PID %d: reading the runtime's memory failed\n", pid);
		ret = proc_check_alive(pid, NULL) ? GS_EXIT_NO_PROCESS : GS_EXIT_ERROR;
		goto out;
	}
	if (interval && !cli_sleep(interval) && sampler__sample(sm, &b) == 0)
		compute_rates(&a, &b, &r);
	else
		b = a, a = (struct rt_sample){ 0 };
	if (json)
		print_json(t, sm, &b, &r);
	else
		print_table(t, sm, &b, &r);
out:
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
			printf("Usage: goscope metrics\n\nList every metric goscope reports: name, unit, "
			       "kind, the runtime's own name for it, and what it means.\n");
			return GS_EXIT_OK;
		}
		fprintf(stderr, "goscope: metrics takes no arguments\n");
		return GS_EXIT_USAGE;
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
	return GS_EXIT_OK;
}
