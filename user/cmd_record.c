// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope record [-o FILE] [PID…|--all]: every event and periodic samples as JSON lines, for log
 * collectors. The schema is docs/record.schema.json; docs/record.md explains every field.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "target/caps.h"
#include "cli.h"
#include "util/log.h"
#include "goruntime/metrics.h"
#include "target/proc.h"
#include "engine/sites.h"
#include "target/target.h"
#include "engine/engine.h"
#include "format/gctrace.h"
#include "format/json.h"
#include "format/schedtrace.h"

#define RECORD_SCHEMA	"goscope.record/1"
#define POLL_MS		200
#define SITES_EVERY_NS	10000000000ull	/* goroutine_sites / alloc_sites records this often */
#define SITES_MAX	20		/* sites per record, the busiest first */

struct recorder {
	const char *path;		/* NULL: stdout */
	int fd;
	struct json j;
	char host[256];
	uint64_t interval_ns;
	bool stw;
	uint64_t start_mono;		/* schedtrace's milliseconds count from here */
	bool done;			/* the output is gone (EPIPE) or failed */
	struct gs_err err;		/* why it failed, when it did */
};

static volatile sig_atomic_t reopen_requested;

static void on_sighup(int sig)
{
	reopen_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope record [OPTIONS] [PID...|--all]\n"
		"\n"
		"Write one JSON object per line for every event of each Go process: attach, gc (every\n"
		"gctrace value in nanoseconds and bytes, plus the line GODEBUG=gctrace=1 prints), pause,\n"
		"sample (every gauge, each interval), sched, lost, exit, detach. Every line carries\n"
		"schema, kind, ts (RFC 3339, UTC, nanoseconds), unix_nano, host, pid, comm, exe and\n"
		"go_version. The schema is documented in docs/record.md (docs/record.schema.json).\n"
		"Runs until Ctrl-C or SIGTERM, or until every named process has exited.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE    append to FILE (created with mode 0640; a symbolic link is\n"
		"                       refused); SIGHUP reopens it, for logrotate's create mode\n"
		"  -a, --all            every Go process, including those that start later\n"
		"  -i, --interval DUR   sample every DUR (default 1s)\n"
		"      --stw            also probe startTheWorldWithSema: every stop-the-world pause\n"
		"                       with the runtime's reason (Go 1.21+), GC pauses measured\n"
		"                       exactly on Go 1.22+ (see below)\n"
		"      --no-stw         no stop-the-world probe (the default)\n"
		"  -q, --quiet          no status messages on stderr\n"
		"  -v, --verbose        more detail on stderr\n"
		CLI_OPTIN_HELP
		"  -h, --help           show this help\n"
		"\n"
		"Cost to the target: one probe hit per GC cycle, about 12 us, after its pauses (Go\n"
		"1.19 and 1.20: one more, inside the first pause). Each cycle's two GC pause records\n"
		"come from the runtime's own pause total; on Go 1.22+ their split is derived\n"
		"(\"approximate\": true). --stw adds two hits per cycle (four on Go 1.21) inside the\n"
		"pauses, each lengthening one, for an exact split and the pauses that are not GC's.\n"
		"Without root, processes are sampled only (no gc or pause records).\n");
}

/* ---- the output file ---- */

static int open_output(const char *path, int *fd, struct gs_err *err)
{
	/* O_NOFOLLOW: a link planted where the log goes must not redirect root's writes. */
	int f = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);

	if (f < 0 && errno == ELOOP)
		return gs_fail(err, GS_EXIT_ERROR, "refusing to write to %s: it is a symbolic link "
			       "(without -o, record writes to standard output)", path);
	if (f < 0)
		return gs_fail(err, GS_EXIT_ERROR, "cannot open %s for appending: %s", path,
			       strerror(errno));
	*fd = f;
	return 0;
}

/* SIGHUP: the file was renamed away (logrotate); continue in a new one at the same path. */
static void reopen(struct recorder *r)
{
	struct gs_err err = { 0 };
	int fd = -1;

	reopen_requested = 0;
	if (!r->path)
		return;
	if (open_output(r->path, &fd, &err)) {
		log_warn("%s; still writing to the old file", err.msg);
		return;
	}
	close(r->fd);
	r->fd = fd;
	log_info("reopened %s", r->path);
}

/* One line, one write(2): with O_APPEND no reader or rotation ever sees part of it. */
static void emit(struct recorder *r)
{
	size_t off = 0;

	if (r->done)
		return;
	if (json_end(&r->j)) {
		log_warn("out of memory: a record was dropped");
		return;
	}
	while (off < r->j.len) {
		ssize_t n = write(r->fd, r->j.buf + off, r->j.len - off);

		/* Stopping while a stalled reader blocks the write: give the line up, not the stop. */
		if (n < 0 && errno == EINTR && !cli_stop)
			continue;
		if (n < 0 && errno == EINTR) {
			r->done = true;
			return;
		}
		if (n < 0) {
			r->done = true;
			/* A reader that went away (| head) ends the recording; it is no error. */
			if (errno != EPIPE)
				gs_fail(&r->err, GS_EXIT_ERROR, "writing to %s failed: %s",
					r->path ? r->path : "stdout", strerror(errno));
			return;
		}
		off += (size_t)n;
	}
}

/* ---- records ---- */

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Probe events and samples carry CLOCK_MONOTONIC; records carry the wall clock. */
static uint64_t mono_to_unix(uint64_t mono)
{
	uint64_t now_mono = clock_ns(CLOCK_MONOTONIC), now_unix = clock_ns(CLOCK_REALTIME);

	return mono <= now_mono ? now_unix - (now_mono - mono) : now_unix + (mono - now_mono);
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
static void begin(struct recorder *r, const char *kind, const struct watched *w, uint64_t mono)
{
	json_begin(&r->j);
	json_str(&r->j, "schema", RECORD_SCHEMA);
	json_str(&r->j, "kind", kind);
	put_ts(&r->j, mono ? mono_to_unix(mono) : clock_ns(CLOCK_REALTIME));
	json_str(&r->j, "host", r->host);
	json_i64(&r->j, "pid", w->pid);
	json_str(&r->j, "comm", w->comm);
	json_str(&r->j, "exe", w->exe ? w->exe : "");
	json_str(&r->j, "go_version", w->version);
}

static void on_attach(void *ctx, struct watched *w)
{
	struct recorder *r = ctx;
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

static const char *gc_pause_reason(const struct watched *w, uint32_t reason)
{
	const char *name = w->sm ? sampler__stw_reason(w->sm, reason) : NULL;

	if (name && *name)
		return name;
	/* Before 1.21 the runtime has no reason table; these are the names 1.21 gave them. */
	return reason == GS_STW_GC_SWEEP_TERM ? "GC sweep termination" : "GC mark termination";
}

static void pause_record(struct recorder *r, struct watched *w, uint64_t mono, int64_t dur,
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

static void on_gc(void *ctx, struct watched *w, const struct gc_cycle *c)
{
	struct recorder *r = ctx;
	char line[GCTRACE_LINE_MAX];

	begin(r, "gc", w, c->ktime_ns);
	gc_values(&r->j, &c->ev);
	if (c->sweep_pause_ns >= 0)
		json_i64(&r->j, "sweep_termination_pause_ns", c->sweep_pause_ns);
	else
		json_null(&r->j, "sweep_termination_pause_ns");
	if (c->markterm_pause_ns >= 0)
		json_i64(&r->j, "mark_termination_pause_ns", c->markterm_pause_ns);
	else
		json_null(&r->j, "mark_termination_pause_ns");
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

static void on_stw(void *ctx, struct watched *w, const struct stw_pause *p)
{
	struct recorder *r = ctx;
	const char *name = w->sm ? sampler__stw_reason(w->sm, p->reason) : NULL;
	char buf[32];

	if (!name || !*name) {
		snprintf(buf, sizeof(buf), p->reason ? "reason %u" : "unknown", p->reason);
		name = buf;
	}
	pause_record(r, w, p->ktime_ns, (int64_t)p->duration_ns, name, -1, p->approximate);
}

static void sample_metrics(struct json *j, const struct watched *w)
{
	int minor = w->model ? w->model->minor : 0;
	char num[64];
	size_t m;

	json_obj_open(j, "metrics");
	for (m = 0; m < metric_count; m++) {
		const struct metric_def *d = &metric_defs[m];

		if (minor < d->min_minor)
			continue;
		if (d->type == MT_F64) {
			json_f64(j, d->name, metric_value(d, &w->cur));
			continue;
		}
		metric_format_exact(num, sizeof(num), d, &w->cur);
		json_number(j, d->name, num);
	}
	json_obj_close(j);
}

static void sample_goroutines(struct json *j, const struct watched *w)
{
	const struct rt_sample *s = &w->cur;
	unsigned int i;

	json_obj_open(j, "goroutines");
	json_obj_open(j, "by_state");
	for (i = 0; i < GSTATE_NR; i++)
		json_u64(j, gstate_name(i), s->gstate[i]);
	json_obj_close(j);
	json_u64(j, "system", s->gstate_sys);
	json_obj_open(j, "wait_reasons");
	for (i = 0; i < SAMPLER_MAX_WAIT_REASONS; i++) {
		const char *name = s->wait_reason[i] ? watched__wait_reason(w, i) : NULL;
		char buf[32];

		if (!s->wait_reason[i])
			continue;
		if (!name || !*name) {
			snprintf(buf, sizeof(buf), "reason %u", i);
			name = buf;
		}
		json_u64(j, name, s->wait_reason[i]);
	}
	json_obj_close(j);
	json_bool(j, "walk_partial", s->gwalk_partial);
	json_obj_close(j);
}

static void sched_record(struct recorder *r, struct watched *w)
{
	const struct rt_sample *s = &w->cur;
	int minor = w->model ? w->model->minor : 0, i;
	char *line = malloc(SCHEDTRACE_LINE_MAX);

	begin(r, "sched", w, s->mono_ns);
	json_i64(&r->j, "gomaxprocs", s->gomaxprocs);
	json_i64(&r->j, "idle_procs", s->idle_procs);
	json_i64(&r->j, "threads", s->threads);
	json_i64(&r->j, "spinning_threads", s->spinning_threads);
	if (minor >= 20)
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
		schedtrace_format(s, minor, (s->mono_ns - r->start_mono) / 1000000, line,
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

static void goroutine_sites(struct recorder *r, struct watched *w)
{
	const struct gsite *g;
	size_t n = sites__gsites(w->sites, &g), i;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

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

static void alloc_sites(struct recorder *r, struct watched *w)
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

/* The opt-in probes' findings, every SITES_EVERY_NS and when the process goes (now: force). */
static void sites_records(struct recorder *r, struct watched *w, bool force)
{
	uint64_t *last = w->user, now = clock_ns(CLOCK_MONOTONIC);

	if (!w->sites || !last)
		return;
	if (!force && *last && now - *last < SITES_EVERY_NS)
		return;
	*last = now;
	if (w->optin[OPTIN_GOROUTINES].wanted)
		goroutine_sites(r, w);
	if (w->optin[OPTIN_ALLOCS].wanted)
		alloc_sites(r, w);
}

static void on_tripped(void *ctx, struct watched *w, enum optin_mode m)
{
	struct recorder *r = ctx;

	begin(r, "breaker", w, 0);
	json_str(&r->j, "probes", m == OPTIN_GOROUTINES ? "goroutines" : "allocs");
	json_f64(&r->j, "probe_cpu_ratio", w->optin[m].cpu);
	json_u64(&r->j, "probe_hits", w->optin[m].hits);
	json_str(&r->j, "note", w->optin[m].note);
	emit(r);
}

static void on_remove(void *ctx, struct watched *w)
{
	free(w->user);
	w->user = NULL;
}

static void on_sample(void *ctx, struct watched *w)
{
	struct recorder *r = ctx;

	begin(r, "sample", w, w->cur.mono_ns);
	json_bool(&r->j, "probed", w->probed);
	json_bool(&r->j, "heap_consistent", w->cur.heap_consistent);
	sample_metrics(&r->j, w);
	sample_goroutines(&r->j, w);
	emit(r);
	sched_record(r, w);
	if (w->sites && !w->user)
		w->user = calloc(1, sizeof(uint64_t));
	sites_records(r, w, false);
}

static void on_lost(void *ctx, struct watched *w, uint64_t missed, uint64_t lost)
{
	struct recorder *r = ctx;

	begin(r, "lost", w, 0);
	json_u64(&r->j, "missed_gc_cycles", missed);
	json_u64(&r->j, "lost_events", lost);
	json_u64(&r->j, "missed_gc_cycles_total", w->missed_cycles);
	json_u64(&r->j, "lost_events_total", w->lost_events);
	emit(r);
}

/* The last cycle goscope knows of: from the probes, else from the last sample. */
static void put_last_gc(struct json *j, const struct watched *w)
{
	const struct gc_cycle *c = w->model ? model__gc_recent(w->model, 0) : NULL;
	uint64_t n = w->cur.ok ? w->cur.num_gc : 0;

	if (c && c->ev.numgc > n)
		n = c->ev.numgc;
	json_u64(j, "gc_cycles", n);
	json_u64(j, "gc_cycles_seen", w->model ? w->model->ngc : 0);
}

static void on_exit_(void *ctx, struct watched *w)
{
	struct recorder *r = ctx;

	sites_records(r, w, true);
	begin(r, "exit", w, w->exited_ns);
	put_last_gc(&r->j, w);
	emit(r);
}

static void on_detach(void *ctx, struct watched *w)
{
	struct recorder *r = ctx;

	sites_records(r, w, true);
	begin(r, "detach", w, 0);
	put_last_gc(&r->j, w);
	emit(r);
}

/* ---- the command ---- */

struct record_args {
	struct watch_opts wo;
	pid_t *pids;
	const char *path;
};

static int parse_args(int argc, char **argv, struct record_args *a, struct gs_err *err)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "stw", no_argument, NULL, 'T' },
		{ "no-stw", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_OPTIN_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, verbosity = 0, i, rc;

	/*
	 * No stop-the-world probe unless asked: its two hits per cycle fall inside the pauses and
	 * tripled record's cost to a GC-heavy target (bench/perf.py, docs/performance.md).
	 */
	a->wo.stw = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:ai:qvh", opts, NULL)) != -1) {
		rc = cli_optin_option(c, optarg, &a->wo, err);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		switch (c) {
		case 'o':
			if (a->path)
				return gs_fail(err, GS_EXIT_USAGE, "-o given twice ('%s' and '%s')",
					       a->path, optarg);
			/* A directory or an unwritable path is found by open_output: exit 1. */
			if (!*optarg)
				return gs_fail(err, GS_EXIT_USAGE, "-o needs a file name, not ''");
			a->path = optarg;
			break;
		case 'a': a->wo.all = true; break;
		case 'i':
			if (cli_watch_interval(optarg, &a->wo.interval_ns, err))
				return -1;
			break;
		case 'T': a->wo.stw = true; break;
		case 'S': a->wo.stw = false; break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); exit(GS_EXIT_OK);
		default: exit(cli_bad_option(c, argv));
		}
	}
	log_set_verbosity(verbosity);
	if (a->wo.all == (optind < argc))
		return gs_fail(err, GS_EXIT_USAGE, "record needs PIDs or --all, not both (see 'goscope ps')");
	a->wo.npids = argc - optind;
	a->pids = calloc((size_t)a->wo.npids + 1, sizeof(*a->pids));
	if (!a->pids)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	for (i = 0; i < a->wo.npids; i++)
		if (proc_parse_pid(argv[optind + i], &a->pids[i], err))
			return -1;
	a->wo.pids = a->pids;
	return 0;
}

static void setup_sighup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

static int run(struct recorder *r, struct watch *w, bool all, struct gs_err *err)
{
	while (!cli_stop && !r->done) {
		if (watch__step(w, POLL_MS, err))
			return -1;
		if (reopen_requested)
			reopen(r);
		if (!all && watch__live(w) == 0) {
			log_note("every process has exited");
			break;
		}
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	struct record_args a = { 0 };
	struct recorder r = { .fd = STDOUT_FILENO };
	const struct watch_sink sink = {
		.ctx = &r, .attach = on_attach, .gc = on_gc, .stw = on_stw, .sample = on_sample,
		.lost = on_lost, .exit = on_exit_, .detach = on_detach, .remove = on_remove,
		.tripped = on_tripped,
	};
	struct gs_err err = { 0 };
	struct watch *w = NULL;
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	if (parse_args(argc, argv, &a, &err))
		goto fail;
	r.path = a.path;
	r.interval_ns = a.wo.interval_ns ? a.wo.interval_ns : 1000000000ull;
	r.stw = a.wo.stw;
	r.start_mono = clock_ns(CLOCK_MONOTONIC);
	if (gethostname(r.host, sizeof(r.host) - 1))
		snprintf(r.host, sizeof(r.host), "unknown");
	/* The file first: a path we cannot write fails before anything is attached. */
	if (r.path && open_output(r.path, &r.fd, &err))
		goto fail;
	/* Into a file, SIGHUP means "reopen" (logrotate); on stdout it stops, as everywhere. */
	if (r.path)
		setup_sighup();
	w = watch__new(&a.wo, &sink, &err);
	if (!w)
		goto fail;
	caps_keep_only(a.wo.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	if (watch__probe_note(w))
		log_note("sampling only (no gc or pause records): %s", watch__probe_note(w));
	if (run(&r, w, a.wo.all, &err))
		goto fail;
	watch__free(w);
	w = NULL;
	if (r.err.msg[0]) {
		err = r.err;
		goto fail;
	}
	goto out;
fail:
	watch__free(w);
	ret = cli_report(&err);
out:
	if (r.path && r.fd >= 0)
		close(r.fd);
	json_free(&r.j);
	free(a.pids);
	return ret;
}
