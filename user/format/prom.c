// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "goruntime/metrics.h"
#include "goruntime/rtmetrics.h"
#include "engine/sites.h"
#include "engine/engine.h"
#include "format/ident.h"
#include "format/prom.h"
#include "format/prom_rtm.h"
#include "format/utf8.h"
#include "util/otlp_push.h"
#include "util/units.h"

/* ---- the writer ---- */

static void put(struct prom *p, const char *s, size_t n)
{
	buf_put(&p->b, s, n);
}

static void puts_(struct prom *p, const char *s)
{
	buf_puts(&p->b, s);
}

void prom_reset(struct prom *p)
{
	buf_reset(&p->b);
}

void prom_free(struct prom *p)
{
	buf_free(&p->b);
}

/*
 * The format escapes backslash and newline in HELP, and also the double quote in label values;
 * everything must be UTF-8, so an invalid byte (a process name is just bytes) becomes U+FFFD.
 */
static void put_escaped(struct prom *p, const char *s, bool quote)
{
	const unsigned char *c = (const unsigned char *)s;

	while (*c) {
		size_t n = utf8_seq_len(c);

		if (*c == '\\')
			puts_(p, "\\\\");
		else if (*c == '\n')
			puts_(p, "\\n");
		else if (*c == '"' && quote)
			puts_(p, "\\\"");
		else if (!n)
			puts_(p, UTF8_REPLACEMENT);
		else {
			put(p, (const char *)c, n);
			c += n;
			continue;
		}
		c++;
	}
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

void prom_label(struct prom *l, const char *name, const char *value)
{
	if (l->b.len)
		puts_(l, ",");
	puts_(l, name);
	puts_(l, "=\"");
	put_escaped(l, value, true);
	puts_(l, "\"");
}

/* One sample line: name{labels,extra} value. */
static void sample_line(struct prom *p, const char *name, const struct prom *labels,
			const char *extra, const char *value)
{
	bool have = labels && labels->b.len;

	puts_(p, name);
	if (have || extra) {
		puts_(p, "{");
		if (have)
			put(p, labels->b.data, labels->b.len);
		if (have && extra)
			puts_(p, ",");
		if (extra)
			puts_(p, extra);
		puts_(p, "}");
	}
	puts_(p, " ");
	puts_(p, value);
	puts_(p, "\n");
}

void prom_sample_f64(struct prom *p, const char *name, const struct prom *labels,
		     const char *extra, double v)
{
	char num[40];

	if (isnan(v))
		snprintf(num, sizeof(num), "NaN");
	else if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	else
		units_shortest_double(num, sizeof(num), v);
	sample_line(p, name, labels, extra, num);
}

void prom_sample_u64(struct prom *p, const char *name, const struct prom *labels,
		     const char *extra, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	sample_line(p, name, labels, extra, num);
}

/* ---- pauses ---- */

/* Upper bounds in ns: GC pauses are tens of microseconds to tens of milliseconds. */
static const uint64_t pause_bounds_ns[PROM_PAUSE_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
};

void prom_observe_pause(struct prom_proc *pp, uint64_t ns)
{
	int i;

	for (i = 0; i < PROM_PAUSE_BUCKETS; i++) {
		if (ns <= pause_bounds_ns[i]) {
			pp->pause_le[i]++;
			break;
		}
	}
	pp->pause_count++;
	pp->pause_sum_ns += ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * As runtime/debug.ReadGCStats computes PauseQuantiles, which the Go client exports: the last
 * min(NumGC, 256) pauses sorted, quantile i of 4 at sorted[len*i/4], the maximum last.
 */
void prom_pause_quantiles(const uint64_t *ring, uint32_t num_gc, uint64_t q[5])
{
	uint64_t sorted[SAMPLER_PAUSE_RING];
	uint32_t n = num_gc < SAMPLER_PAUSE_RING ? num_gc : SAMPLER_PAUSE_RING, i;

	memset(q, 0, 5 * sizeof(q[0]));
	if (!n)
		return;
	for (i = 0; i < n; i++)
		sorted[i] = ring[(num_gc - 1 - i) % SAMPLER_PAUSE_RING];
	qsort(sorted, n, sizeof(sorted[0]), cmp_u64);
	for (i = 0; i < 4; i++)
		q[i] = sorted[(uint64_t)n * i / 4];
	q[4] = sorted[n - 1];
}

/* ---- the exposition ---- */

/* A family whose value is one catalog metric (user/goruntime/metrics.c), scaled. */
struct simple_family {
	const char *name, *type, *help;
	const char *metric;
	double scale;
};

static const struct simple_family simple_families[] = {
	{ "go_goroutines", "gauge", "Number of goroutines that currently exist.",
	  "NumGoroutine", 1 },
	{ "go_threads", "gauge", "Number of OS threads created.", "Threads", 1 },
	{ "go_memstats_alloc_bytes", "gauge",
	  "Number of bytes allocated in heap and currently in use (MemStats.HeapAlloc).",
	  "HeapAlloc", 1 },
	{ "go_memstats_alloc_bytes_total", "counter",
	  "Total number of bytes allocated in heap, even if freed (MemStats.TotalAlloc).",
	  "TotalAlloc", 1 },
	{ "go_memstats_mallocs_total", "counter",
	  "Total number of heap objects allocated (MemStats.Mallocs).", "Mallocs", 1 },
	{ "go_memstats_frees_total", "counter",
	  "Total number of heap objects freed (MemStats.Frees).", "Frees", 1 },
	{ "go_memstats_heap_alloc_bytes", "gauge",
	  "Number of heap bytes allocated and currently in use (MemStats.HeapAlloc).",
	  "HeapAlloc", 1 },
	{ "go_memstats_heap_sys_bytes", "gauge",
	  "Number of heap bytes obtained from the system (MemStats.HeapSys).", "HeapSys", 1 },
	{ "go_memstats_heap_idle_bytes", "gauge",
	  "Number of heap bytes waiting to be used (MemStats.HeapIdle).", "HeapIdle", 1 },
	{ "go_memstats_heap_inuse_bytes", "gauge",
	  "Number of heap bytes that are in use (MemStats.HeapInuse).", "HeapInuse", 1 },
	{ "go_memstats_heap_released_bytes", "gauge",
	  "Number of heap bytes released to the OS (MemStats.HeapReleased).", "HeapReleased", 1 },
	{ "go_memstats_heap_objects", "gauge",
	  "Number of currently allocated objects (MemStats.HeapObjects).", "HeapObjects", 1 },
	{ "go_memstats_stack_inuse_bytes", "gauge",
	  "Number of bytes in use by the stack allocator (MemStats.StackInuse, per-P stack "
	  "caches included).", "StackInuse", 1 },
	{ "go_memstats_stack_sys_bytes", "gauge",
	  "Number of bytes obtained from the system for the stack allocator (MemStats.StackSys).",
	  "StackSys", 1 },
	{ "go_memstats_next_gc_bytes", "gauge",
	  "Number of heap bytes when the next garbage collection will take place "
	  "(MemStats.NextGC).", "NextGC", 1 },
	{ "go_memstats_last_gc_time_seconds", "gauge",
	  "Number of seconds since 1970 of the last garbage collection (MemStats.LastGC).",
	  "LastGC", 1e-9 },
	{ "go_memstats_gc_cpu_fraction", "gauge",
	  "The fraction of this program's available CPU time used by the GC since the program "
	  "started (MemStats.GCCPUFraction).", "GCCPUFraction", 1 },
	{ "go_sched_gomaxprocs_threads", "gauge",
	  "The current runtime.GOMAXPROCS setting (/sched/gomaxprocs:threads).",
	  "/sched/gomaxprocs:threads", 1 },
	{ "go_gc_gogc_percent", "gauge",
	  "Heap size target percentage configured by the user, otherwise 100 (/gc/gogc:percent).",
	  "/gc/gogc:percent", 1 },
	{ "go_gc_gomemlimit_bytes", "gauge",
	  "Go runtime memory limit configured by the user, otherwise math.MaxInt64 "
	  "(/gc/gomemlimit:bytes).", "/gc/gomemlimit:bytes", 1 },
	{ "goscope_gc_forced_cycles_total", "counter",
	  "GC cycles forced by runtime.GC or debug.FreeOSMemory (MemStats.NumForcedGC).",
	  "NumForcedGC", 1 },
	{ "goscope_gc_heap_live_bytes", "gauge",
	  "Heap bytes marked live by the last GC cycle (/gc/heap/live:bytes).",
	  "/gc/heap/live:bytes", 1 },
	{ "goscope_sched_run_queue_goroutines", "gauge",
	  "Goroutines in the global run queue (schedtrace runqueue=).", "RunQueue", 1 },
};

/*
 * The rest of client_golang's go_memstats_* families: MemStats fields goscope has only with all
 * of runtime/metrics read (rt_sample.rtm). client_golang fills them from the runtime/metrics
 * named, which hold the same numbers.
 */
static const struct memstats_family {
	const char *name, *type, *help;
	size_t off;			/* of the uint64_t field in struct rtm_memstats */
} memstats_families[] = {
	{ "go_memstats_sys_bytes", "gauge",
	  "Bytes of memory the runtime obtained from the OS, in all (MemStats.Sys, "
	  "/memory/classes/total:bytes).", offsetof(struct rtm_memstats, Sys) },
	{ "go_memstats_lookups_total", "counter",
	  "Pointer lookups by the runtime; it counts none any more, so always 0 "
	  "(MemStats.Lookups).", offsetof(struct rtm_memstats, Lookups) },
	{ "go_memstats_mspan_inuse_bytes", "gauge",
	  "Bytes of mspan structures (span descriptors) in use (MemStats.MSpanInuse, "
	  "/memory/classes/metadata/mspan/inuse:bytes).", offsetof(struct rtm_memstats, MSpanInuse) },
	{ "go_memstats_mspan_sys_bytes", "gauge",
	  "Bytes obtained from the OS for mspan structures, in use or not (MemStats.MSpanSys: "
	  "/memory/classes/metadata/mspan/inuse:bytes + .../free:bytes).",
	  offsetof(struct rtm_memstats, MSpanSys) },
	{ "go_memstats_mcache_inuse_bytes", "gauge",
	  "Bytes of mcache structures (per-P allocation caches) in use (MemStats.MCacheInuse, "
	  "/memory/classes/metadata/mcache/inuse:bytes).",
	  offsetof(struct rtm_memstats, MCacheInuse) },
	{ "go_memstats_mcache_sys_bytes", "gauge",
	  "Bytes obtained from the OS for mcache structures, in use or not (MemStats.MCacheSys: "
	  "/memory/classes/metadata/mcache/inuse:bytes + .../free:bytes).",
	  offsetof(struct rtm_memstats, MCacheSys) },
	{ "go_memstats_buck_hash_sys_bytes", "gauge",
	  "Bytes of the profiling bucket hash table (MemStats.BuckHashSys, "
	  "/memory/classes/profiling/buckets:bytes).", offsetof(struct rtm_memstats, BuckHashSys) },
	{ "go_memstats_gc_sys_bytes", "gauge",
	  "Bytes of garbage collector metadata (MemStats.GCSys, "
	  "/memory/classes/metadata/other:bytes).", offsetof(struct rtm_memstats, GCSys) },
	{ "go_memstats_other_sys_bytes", "gauge",
	  "Bytes of other off-heap runtime allocations (MemStats.OtherSys, "
	  "/memory/classes/other:bytes).", offsetof(struct rtm_memstats, OtherSys) },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A family prom.c writes itself: the runtime/metrics renderer leaves it alone. */
static bool exported_here(const char *name)
{
	size_t f;

	for (f = 0; f < ARRAY_LEN(simple_families); f++)
		if (!strcmp(simple_families[f].name, name))
			return true;
	for (f = 0; f < ARRAY_LEN(memstats_families); f++)
		if (!strcmp(memstats_families[f].name, name))
			return true;
	return false;
}

/* A process's runtime/metrics and MemStats reading, when fresh. */
static const struct rtm_values *fresh_rtm(const struct watched *w)
{
	return w->cur.rtm && !w->cur.rtm_err ? w->cur.rtm : NULL;
}

/*
 * A family under client_golang's name for a runtime/metrics metric (its catalog name is the
 * runtime/metrics one) is goscope's own computation on a release without that metric: labelled
 * so. goscope_* families are goscope's anyway.
 */
static const char *backfill_label(const struct simple_family *sf, const struct watched *w)
{
	int id = sf->metric[0] == '/' && !strncmp(sf->name, "go_", 3) ? rtm_lookup(sf->metric) : -1;

	if (id < 0 || !w->minor || rtm_in_release(&rtm_defs[id], w->minor))
		return NULL;
	return PROM_RTM_BACKFILLED;
}

static const struct metric_def *find_metric(const char *name)
{
	size_t i;

	for (i = 0; i < metric_count; i++)
		if (!strcmp(metric_defs[i].name, name))
			return &metric_defs[i];
	return NULL;
}

static void render_simple(struct prom *p, const struct watched *const *ws,
			  const struct prom *labels, size_t n)
{
	size_t f, i;

	for (f = 0; f < ARRAY_LEN(simple_families); f++) {
		const struct simple_family *sf = &simple_families[f];
		const struct metric_def *d = find_metric(sf->metric);

		if (!d)
			continue;
		prom_family(p, sf->name, sf->type, sf->help);
		for (i = 0; i < n; i++) {
			char num[64];

			const char *extra = backfill_label(sf, ws[i]);

			/* Integers as the runtime holds them: a double would round GOMEMLIMIT. */
			if (sf->scale == 1 && d->type != MT_F64) {
				metric_format_exact(num, sizeof(num), d, &ws[i]->cur);
				sample_line(p, sf->name, &labels[i], extra, num);
				continue;
			}
			prom_sample_f64(p, sf->name, &labels[i], extra,
					metric_value(d, &ws[i]->cur) * sf->scale);
		}
	}
}

static void render_memstats(struct prom *p, const struct watched *const *ws,
			    const struct prom *labels, size_t n)
{
	size_t f, i;

	for (f = 0; f < ARRAY_LEN(memstats_families); f++) {
		const struct memstats_family *mf = &memstats_families[f];
		bool header = false;

		for (i = 0; i < n; i++) {
			const struct rtm_values *r = fresh_rtm(ws[i]);
			uint64_t v;

			if (!r || !r->ms.ok)
				continue;
			if (!header)
				prom_family(p, mf->name, mf->type, mf->help);
			header = true;
			memcpy(&v, (const char *)&r->ms + mf->off, sizeof(v));
			prom_sample_u64(p, mf->name, &labels[i], NULL, v);
		}
	}
}

/* Every runtime/metrics metric under client_golang's name, but those exported above. */
static void render_runtime_metrics(struct prom *p, const struct watched *const *ws,
				   const struct prom *labels, size_t n, bool histograms)
{
	const struct rtm_values **vals = calloc(n ? n : 1, sizeof(*vals));
	size_t i;

	if (!vals) {
		p->b.oom = true;
		return;
	}
	for (i = 0; i < n; i++)
		vals[i] = fresh_rtm(ws[i]);
	prom_render_rtm(p, vals, labels, n, histograms, exported_here);
	free(vals);
}

static void render_gc_duration(struct prom *p, const struct watched *const *ws,
			       const struct prom *labels, size_t n)
{
	static const char *const qs[5] = {
		"quantile=\"0\"", "quantile=\"0.25\"", "quantile=\"0.5\"", "quantile=\"0.75\"",
		"quantile=\"1\"",
	};
	size_t i;
	int k;

	prom_family(p, "go_gc_duration_seconds", "summary",
		    "A summary of the wall-time pause (stop-the-world) duration in garbage "
		    "collection cycles, over the runtime's last 256 cycles (MemStats.PauseNs).");
	for (i = 0; i < n; i++) {
		const struct rt_sample *s = &ws[i]->cur;
		uint64_t q[5];

		prom_pause_quantiles(s->pause_ring, s->num_gc, q);
		for (k = 0; k < 5; k++)
			prom_sample_f64(p, "go_gc_duration_seconds", &labels[i], qs[k], (double)q[k] / 1e9);
		prom_sample_f64(p, "go_gc_duration_seconds_sum", &labels[i], NULL,
				(double)s->pause_total_ns / 1e9);
		prom_sample_u64(p, "go_gc_duration_seconds_count", &labels[i], NULL, s->num_gc);
	}
}

static void render_info(struct prom *p, const struct watched *const *ws, const struct prom *labels,
			size_t n)
{
	size_t i;

	prom_family(p, "go_info", "gauge", "Information about the Go environment.");
	for (i = 0; i < n; i++) {
		struct prom l = { 0 };

		prom_label(&l, "version", ws[i]->version);
		if (l.b.data)
			prom_sample_u64(p, "go_info", &labels[i], l.b.data, 1);
		prom_free(&l);
	}
}

static void render_goroutines(struct prom *p, const struct watched *const *ws,
			      const struct prom *labels, size_t n)
{
	size_t i;
	int st;

	prom_family(p, "goscope_goroutines", "gauge",
		    "User goroutines by state, from a walk of the runtime's allgs (system "
		    "goroutines excluded, as runtime.NumGoroutine excludes them).");
	for (i = 0; i < n; i++) {
		for (st = 0; st < GSTATE_NR; st++) {
			char extra[32];

			snprintf(extra, sizeof(extra), "state=\"%s\"", gstate_name(st));
			prom_sample_u64(p, "goscope_goroutines", &labels[i], extra,
					ws[i]->cur.gstate[st]);
		}
	}
	prom_family(p, "goscope_system_goroutines", "gauge",
		    "The runtime's own goroutines seen in the walk of allgs.");
	for (i = 0; i < n; i++)
		prom_sample_u64(p, "goscope_system_goroutines", &labels[i], NULL,
				ws[i]->cur.gstate_sys);
}

/* Only processes the GC probes watch have pause details. */
static void render_pauses(struct prom *p, const struct watched *const *ws,
			  const struct prom_proc *const *pps, const struct prom *labels, size_t n)
{
	size_t i;
	int b;

	prom_family(p, "goscope_gc_pause_seconds", "histogram",
		    "Each stop-the-world pause of a GC cycle (sweep termination, mark termination) "
		    "since goscope attached, as the GC probes saw it; absent without the probes.");
	for (i = 0; i < n; i++) {
		const struct prom_proc *pp = pps[i];
		uint64_t cum = 0;

		if (!pp || !ws[i]->probed)
			continue;
		for (b = 0; b < PROM_PAUSE_BUCKETS; b++) {
			char extra[40];

			cum += pp->pause_le[b];
			snprintf(extra, sizeof(extra), "le=\"%g\"", (double)pause_bounds_ns[b] / 1e9);
			prom_sample_u64(p, "goscope_gc_pause_seconds_bucket", &labels[i], extra, cum);
		}
		prom_sample_u64(p, "goscope_gc_pause_seconds_bucket", &labels[i], "le=\"+Inf\"",
				pp->pause_count);
		prom_sample_f64(p, "goscope_gc_pause_seconds_sum", &labels[i], NULL,
				(double)pp->pause_sum_ns / 1e9);
		prom_sample_u64(p, "goscope_gc_pause_seconds_count", &labels[i], NULL,
				pp->pause_count);
	}
}

/* Per-site series are bounded: the busiest sites of each process, the rest summed as "other". */
#define PROM_MAX_SITES 20

static bool any_wanted(const struct watched *const *ws, size_t n, enum optin_mode m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ws[i]->optin[m].wanted)
			return true;
	return false;
}

/* The labels of one site: site (file:line), key naming its function, function it runs (or NULL). */
static void site_label(char *buf, size_t len, const struct site_loc *where, const char *key,
		       const char *runs)
{
	struct prom l = { 0 };
	char at[600];

	snprintf(at, sizeof(at), "%s:%d", where->file, where->line);
	prom_label(&l, "site", at);
	prom_label(&l, key, where->func);
	if (runs)
		prom_label(&l, "function", runs);
	snprintf(buf, len, "%s", l.b.data ? l.b.data : "");
	prom_free(&l);
}

/* The per-site families, each one value of each site of the processes with its probe set. */
enum site_value { SV_LIVE, SV_CREATED, SV_BYTES, SV_OBJECTS };

static const struct site_family {
	const char *name, *type, *help;
	enum optin_mode mode;
	const char *key;		/* the label naming the site's function */
	enum site_value value;
} site_families[] = {
	{ "goscope_goroutines_by_site", "gauge",
	  "Live goroutines by creation site (the go statement: site is its file:line, created_by "
	  "the function that holds it, function what its goroutines run), with --goroutines; the "
	  "busiest 20 sites of each process, the rest as site=\"other\".", OPTIN_GOROUTINES,
	  "created_by", SV_LIVE },
	{ "goscope_goroutines_created_by_site_total", "counter",
	  "Goroutines created by each site since goscope attached, with --goroutines.",
	  OPTIN_GOROUTINES, "created_by", SV_CREATED },
	{ "goscope_alloc_bytes_by_site_total", "counter",
	  "Bytes allocated by each site (the innermost frame outside the runtime) since goscope "
	  "attached, estimated from the runtime's allocation sampling as pprof estimates it, with "
	  "--allocs; the busiest 20 sites, the rest as site=\"other\".", OPTIN_ALLOCS, "function",
	  SV_BYTES },
	{ "goscope_alloc_objects_by_site_total", "counter",
	  "Objects allocated by each site, estimated likewise.", OPTIN_ALLOCS, "function",
	  SV_OBJECTS },
};

/* One process's sites, as sites.c snapshots them, and how many. */
struct site_cursor {
	const struct gsite *g;
	const struct asite *a;
	size_t n;
};

/* Site k's location, the function its goroutines run (NULL for allocations), a family's value. */
static void site_at(const struct site_cursor *c, enum site_value v, size_t k,
		    const struct site_loc **where, const char **runs, double *val)
{
	*runs = NULL;
	switch (v) {
	case SV_LIVE: *where = &c->g[k].where; *runs = c->g[k].start.func;
		*val = (double)c->g[k].live; return;
	case SV_CREATED: *where = &c->g[k].where; *runs = c->g[k].start.func;
		*val = (double)c->g[k].created; return;
	case SV_BYTES: *where = &c->a[k].where; *val = floor(c->a[k].bytes); return;
	case SV_OBJECTS: *where = &c->a[k].where; *val = floor(c->a[k].objects); return;
	}
}

static void render_site_family(struct prom *p, const struct site_family *sf,
			       const struct watched *const *ws, const struct prom *labels,
			       size_t n)
{
	char extra[2000], other_labels[80];
	size_t i, k;

	prom_family(p, sf->name, sf->type, sf->help);
	snprintf(other_labels, sizeof(other_labels), "site=\"other\",%s=\"other\"%s", sf->key,
		 sf->mode == OPTIN_GOROUTINES ? ",function=\"other\"" : "");
	for (i = 0; i < n; i++) {
		struct site_cursor c = { 0 };
		const struct site_loc *where = NULL;
		const char *runs = NULL;
		double v = 0, other = 0;

		if (!ws[i]->sites || !ws[i]->optin[sf->mode].wanted)
			continue;
		c.n = sf->mode == OPTIN_GOROUTINES ? sites__gsites(ws[i]->sites, &c.g) :
						     sites__asites(ws[i]->sites, &c.a);
		for (k = 0; k < c.n; k++) {
			site_at(&c, sf->value, k, &where, &runs, &v);
			if (k >= PROM_MAX_SITES) {
				other += v;
				continue;
			}
			site_label(extra, sizeof(extra), where, sf->key, runs);
			prom_sample_f64(p, sf->name, &labels[i], extra, v);
		}
		if (c.n > PROM_MAX_SITES)
			prom_sample_f64(p, sf->name, &labels[i], other_labels, floor(other));
	}
}

static void render_sites(struct prom *p, const struct watched *const *ws,
			 const struct prom *labels, size_t n)
{
	size_t f;

	for (f = 0; f < sizeof(site_families) / sizeof(site_families[0]); f++)
		if (any_wanted(ws, n, site_families[f].mode))
			render_site_family(p, &site_families[f], ws, labels, n);
}

static void render_optin(struct prom *p, const struct watched *const *ws, const struct prom *labels,
			 size_t n)
{
	static const char *const mode[OPTIN_MODES] = { "goroutines", "allocs" };
	size_t i;
	int m;

	if (!any_wanted(ws, n, OPTIN_GOROUTINES) && !any_wanted(ws, n, OPTIN_ALLOCS))
		return;
	prom_family(p, "goscope_optin_probes_attached", "gauge",
		    "1 while the opt-in probes asked for (--goroutines, --allocs) are attached; 0 "
		    "once the circuit breaker detached them or they could not be attached.");
	for (i = 0; i < n; i++)
		for (m = 0; m < OPTIN_MODES; m++)
			if (ws[i]->optin[m].wanted)
				prom_sample_u64(p, "goscope_optin_probes_attached", &labels[i],
						m ? "probes=\"allocs\"" : "probes=\"goroutines\"",
						ws[i]->optin[m].on);
	prom_family(p, "goscope_optin_probe_cpu_ratio", "gauge",
		    "What the opt-in probes cost the process over the last second, as a share of "
		    "one CPU: hits per second times the measured cost of one hit.");
	for (i = 0; i < n; i++)
		for (m = 0; m < OPTIN_MODES; m++)
			if (ws[i]->optin[m].wanted) {
				char extra[32];

				snprintf(extra, sizeof(extra), "probes=\"%s\"", mode[m]);
				prom_sample_f64(p, "goscope_optin_probe_cpu_ratio", &labels[i], extra,
						ws[i]->optin[m].on ? ws[i]->optin[m].cpu : 0);
			}
}

static void render_goscope(struct prom *p, const struct watched *const *ws,
			   const struct prom_proc *const *pps, const struct prom *labels, size_t n)
{
	size_t i;

	prom_family(p, "goscope_gc_cycles_total", "counter",
		    "Completed GC cycles (MemStats.NumGC, or the newest cycle the GC probes saw).");
	for (i = 0; i < n; i++)
		prom_sample_u64(p, "goscope_gc_cycles_total", &labels[i], NULL, watched__gc_cycles(ws[i]));
	render_goroutines(p, ws, labels, n);
	render_pauses(p, ws, pps, labels, n);
	render_sites(p, ws, labels, n);
	render_optin(p, ws, labels, n);
	prom_family(p, "goscope_probed", "gauge",
		    "1 when goscope's GC probes are attached to the process, 0 when it is sampled "
		    "only (no root).");
	for (i = 0; i < n; i++)
		prom_sample_u64(p, "goscope_probed", &labels[i], NULL, ws[i]->probed);
	prom_family(p, "goscope_lost_events_total", "counter",
		    "Probe events lost because the BPF ring buffer was full.");
	for (i = 0; i < n; i++)
		prom_sample_u64(p, "goscope_lost_events_total", &labels[i], NULL,
				ws[i]->lost_events);
	prom_family(p, "goscope_missed_gc_cycles_total", "counter",
		    "GC cycles that ended without goscope receiving their event.");
	for (i = 0; i < n; i++)
		prom_sample_u64(p, "goscope_missed_gc_cycles_total", &labels[i], NULL,
				ws[i]->missed_cycles);
}

void prom_render(struct prom *p, const struct watched *const *ws,
		 const struct prom_proc *const *pps, size_t n, const struct prom_opts *o)
{
	struct prom *labels = calloc(n ? n : 1, sizeof(*labels));
	size_t i;
	char pid[16];

	prom_reset(p);
	if (!labels) {
		p->b.oom = true;
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(pid, sizeof(pid), "%d", ws[i]->pid);
		prom_label(&labels[i], "pid", pid);
		prom_label(&labels[i], "comm", ws[i]->comm);
		prom_label(&labels[i], "go_version", ws[i]->version);
		ident_prom_labels(&labels[i], ws[i]->ident);
		p->b.oom |= labels[i].b.oom;
	}
	render_gc_duration(p, ws, labels, n);
	render_info(p, ws, labels, n);
	render_simple(p, ws, labels, n);
	render_memstats(p, ws, labels, n);
	render_runtime_metrics(p, ws, labels, n, !o || !o->no_runtime_histograms);
	render_goscope(p, ws, pps, labels, n);
	for (i = 0; i < n; i++)
		prom_free(&labels[i]);
	free(labels);
}

void prom_render_otlp(struct prom *p, const struct otlp_push_stats *st)
{
	char extra[48];
	int r;

	prom_family(p, "goscope_otlp_pushed_points_total", "counter",
		    "OTLP data points the receiver accepted (serve --otlp).");
	prom_sample_u64(p, "goscope_otlp_pushed_points_total", NULL, NULL, st->pushed_points);
	prom_family(p, "goscope_otlp_dropped_points_total", "counter",
		    "OTLP data points never delivered, by reason: queue_full (the oldest waiting "
		    "request made room), retries_exhausted (not delivered within a minute), "
		    "rejected (by the receiver), shutdown (left when goscope stopped).");
	for (r = 0; r < OTLP_DROPS; r++) {
		snprintf(extra, sizeof(extra), "reason=\"%s\"", otlp_drop_reason(r));
		prom_sample_u64(p, "goscope_otlp_dropped_points_total", NULL, extra,
				st->dropped_points[r]);
	}
	prom_family(p, "goscope_otlp_queued_requests", "gauge",
		    "OTLP requests waiting to be sent, the one being sent included.");
	prom_sample_u64(p, "goscope_otlp_queued_requests", NULL, NULL, st->queued);
}
