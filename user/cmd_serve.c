// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope serve [--listen 127.0.0.1:9464] [--otlp URL] [PID…|--all]: a Prometheus exporter, an
 * OTLP pusher, or both. The main loop renders the exposition after the processes change and
 * publishes a copy; the HTTP thread serves the latest copy, so a scrape never waits for, or holds
 * up, event processing. With --otlp, the main loop also encodes an OTLP request after every
 * sampling round and queues it; the push thread sends it, so the receiver never holds it up either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/otlp.h"
#include "format/prom.h"
#include "target/caps.h"
#include "target/proc.h"
#include "util/clock.h"
#include "util/httpd.h"
#include "util/webcfg.h"
#include "util/log.h"
#include "util/otlp_push.h"

#define DEFAULT_LISTEN		"127.0.0.1:9464"
#define POLL_MS			200
#define MIN_RENDER_GAP_NS	250000000ull	/* GC events alone re-render at most 4 times/s */

struct server {
	struct engine *e;
	struct httpd *h;		/* NULL without a scrape endpoint (--otlp alone) */
	struct webcfg *wc;
	struct prom text;
	struct prom_opts prom;		/* what the exposition leaves out */
	bool dirty, sampled;
	uint64_t rendered_ns;
	/* --otlp */
	struct otlp_push *push;		/* NULL without it */
	bool push_due;			/* a sampling round ended since the last request */
	char host_name[256];
};

/* What serve keeps per process. */
struct serve_proc {
	struct prom_proc prom;		/* GC pauses, as the probes saw them */
	uint64_t start_ns;		/* OTLP: when it started (its sums' start time) */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope serve [OPTIONS] [PID...|--all] [--container NAME|ID...] [--pod [NS/]NAME...]\n"
		"\n"
		"Export the runtime metrics of Go processes for Prometheus, in the text exposition\n"
		"format at http://ADDRESS/metrics, under the names the Prometheus Go client uses inside\n"
		"a program (go_goroutines, go_threads, go_info, go_gc_duration_seconds, go_memstats_*,\n"
		"and every runtime/metrics metric as the Go collector names it with MetricsAll:\n"
		"go_sched_latencies_seconds, go_gc_heap_allocs_bytes_total, ...) plus goscope's own\n"
		"(goscope_gc_cycles_total, goscope_goroutines{state}, goscope_gc_pause_seconds, ...),\n"
		"one series per process labelled pid, comm and go_version; values goscope computes for\n"
		"a release that lacks the metric are labelled computed_by=\"goscope\". Series of a\n"
		"process that exits disappear. Runs until Ctrl-C or SIGTERM, or until every named process exited.\n"
		"With --otlp, also (or, without --listen, only) pushes the OpenTelemetry metrics of the\n"
		"Go runtime (go.memory.used, go.goroutine.count, ...) to an OTLP/HTTP receiver.\n"
		"\n"
		"Options:\n"
		"  -l, --listen ADDR:PORT  where to serve (default " DEFAULT_LISTEN "; [::1]:9464 for\n"
		"                          IPv6); any non-loopback address is reachable from elsewhere\n"
		"      --web.config.file FILE\n"
		"                          TLS, client certificates and basic authentication, from the\n"
		"                          YAML file Prometheus exporters read (exporter-toolkit's\n"
		"                          tls_server_config, http_server_config, basic_auth_users)\n"
		"      --otlp URL          push every interval, as OTLP/HTTP protobuf, to URL\n"
		"                          (http[s]://HOST[:PORT][/PATH]; no path: /v1/metrics);\n"
		"                          no scrape endpoint then unless --listen is given too\n"
		"      --otlp-header NAME=VALUE\n"
		"                          an HTTP header for the receiver, e.g. 'Authorization=Bearer\n"
		"                          TOKEN' (repeatable)\n"
		"      --otlp-ca FILE      PEM CA certificates to verify an https receiver with\n"
		"                          (default: the system's)\n"
		"      --otlp-cert FILE, --otlp-key FILE\n"
		"                          PEM client certificate and key for an https receiver\n"
		"      --otlp-timeout DUR  give up on a request after DUR (default 10s); failed\n"
		"                          requests are retried with backoff for up to a minute\n"
		"      --no-runtime-histograms\n"
		"                          leave out the runtime/metrics histograms (scheduling\n"
		"                          latency, pauses, allocations by size: about 100 series\n"
		"                          per process)\n"
		"  -a, --all               every Go process, including those that start later\n"
		"  -i, --interval DUR      sample every DUR (default 1s)\n"
		"  -q, --quiet             no status messages on stderr\n"
		"  -v, --verbose           more detail on stderr\n"
		"      --goroutines        opt-in: probe goroutine creation and exit (live\n"
		"                          goroutines by creation site)\n"
		"      --allocs            opt-in: probe the runtime's allocation sampling (bytes\n"
		"                          and objects by allocation site)\n"
		"      --budget PCT        what the opt-in probes may cost each process, in\n"
		"                          percent of one CPU (default 1); above it they are detached\n"
		CLI_SELECT_HELP
		"  -h, --help              show this help\n"
		"\n"
		"Without root, processes are sampled only: no goscope_gc_pause_seconds.\n"
		"OTLP data points that cannot be delivered are counted in\n"
		"goscope_otlp_dropped_points_total{reason} and reported on stderr.\n");
}

/* ---- engine callbacks: keep per-process pause histograms, note what changed ---- */

static void on_gc(void *ctx, const struct watched *w, void *st, const struct gc_cycle *c)
{
	struct server *s = ctx;
	struct prom_proc *pp = &((struct serve_proc *)st)->prom;

	if (c->sweep_pause_ns >= 0)
		prom_observe_pause(pp, (uint64_t)c->sweep_pause_ns);
	if (c->markterm_pause_ns >= 0)
		prom_observe_pause(pp, (uint64_t)c->markterm_pause_ns);
	s->dirty = true;
}

static void on_sample(void *ctx, const struct watched *w, void *st)
{
	struct server *s = ctx;

	s->dirty = s->sampled = true;
	s->push_due = true;
}

static void on_attach(void *ctx, const struct watched *w, void *st)
{
	((struct serve_proc *)st)->start_ns = proc_start_unix_ns(w->pid);
	((struct server *)ctx)->dirty = true;
}

static void on_change(void *ctx, const struct watched *w, void *st)
{
	((struct server *)ctx)->dirty = true;
}

static void on_lost(void *ctx, const struct watched *w, void *st, uint64_t missed, uint64_t lost)
{
	((struct server *)ctx)->dirty = true;
}

/* In the exposition and the OTLP requests: watched, with a reading (exited ones drop out). */
static bool exported(const struct watched *x)
{
	return (x->state == WS_WAITING || x->state == WS_LIVE) && x->cur.ok;
}

/* ---- OTLP push (--otlp) ---- */

static void render_otlp_counters(struct server *s)
{
	struct otlp_push_stats st;

	otlp_push__stats(s->push, &st);
	prom_render_otlp(&s->text, &st);
}

/* One request with every process's newest sample, queued for the push thread. */
static void push_otlp(struct server *s)
{
	size_t n = engine__count(s->e), i, k = 0;
	const struct watched **ws = calloc(n ? n : 1, sizeof(*ws));
	uint64_t *start = calloc(n ? n : 1, sizeof(*start));
	const struct otlp_env env = {
		.host_name = s->host_name,
		.real_minus_mono_ns = (int64_t)(clock_real_ns() - clock_mono_ns()),
	};
	struct buf req = { 0 };
	long points = 0;

	s->push_due = false;
	for (i = 0; ws && start && i < n; i++) {
		const struct watched *x = engine__get(s->e, i);

		if (exported(x)) {
			ws[k] = x;
			start[k++] = ((struct serve_proc *)engine__state(s->e, x))->start_ns;
		}
	}
	if (k)
		points = otlp_encode(&req, &env, ws, start, k);
	if (!ws || !start || points < 0)
		log_warn("out of memory: no OTLP request made for this interval");
	else if (points)
		otlp_push__enqueue(s->push, &req, (uint64_t)points);
	buf_free(&req);
	free(ws);
	free(start);
	otlp_push__report(s->push);
}

/* ---- rendering ---- */

static void render(struct server *s)
{
	size_t n = engine__count(s->e), i, k = 0;
	const struct watched **ws = calloc(n ? n : 1, sizeof(*ws));
	const struct prom_proc **pps = calloc(n ? n : 1, sizeof(*pps));

	if (!ws || !pps) {
		free(ws);
		free(pps);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct watched *x = engine__get(s->e, i);

		if (exported(x)) {
			ws[k] = x;
			pps[k++] = &((struct serve_proc *)engine__state(s->e, x))->prom;
		}
	}
	prom_render(&s->text, ws, pps, k, &s->prom);
	free(ws);
	free(pps);
	if (s->push)
		render_otlp_counters(s);
	if (s->text.b.oom || httpd__publish(s->h, s->text.b.data, s->text.b.len))
		log_warn("out of memory: the exposition was not updated");
	s->dirty = s->sampled = false;
	s->rendered_ns = clock_mono_ns();
}

/*
 * After every step: a new exposition when something changed (GC events alone: 4 times/s); an
 * OTLP request after every sampling round.
 */
static bool after_step(void *ctx)
{
	struct server *s = ctx;

	if (s->push && s->push_due)
		push_otlp(s);
	if (s->h && s->dirty &&
	    (s->sampled || clock_mono_ns() - s->rendered_ns >= MIN_RENDER_GAP_NS))
		render(s);
	return false;
}

static int run(struct server *s, bool all, struct gs_err *err)
{
	const struct engine_run run = {
		.step_ms = POLL_MS, .stop = &cli_stop, .until_exited = !all, .after_step = after_step,
		.ctx = s,
	};
	int rc;

	if (s->h)
		render(s);
	rc = engine__run(s->e, &run, err);
	if (rc == ENGINE_ALL_EXITED)
		log_note("every process has exited");
	return rc < 0 ? -1 : 0;
}

/* ---- the command ---- */

enum { OPT_WEB_CONFIG = 0x300, OPT_NO_RT_HIST };

#define MAX_OTLP_HEADERS 64

struct serve_args {
	struct cli_common c;
	const char *listen;
	bool listen_given;
	const char *web_config;
	bool no_runtime_histograms;
	struct otlp_push_opts otlp;	/* otlp.url NULL: no --otlp */
	const char *otlp_headers[MAX_OTLP_HEADERS];
};

enum { OPT_OTLP = 0x310, OPT_OTLP_HEADER, OPT_OTLP_CA, OPT_OTLP_CERT, OPT_OTLP_KEY,
       OPT_OTLP_TIMEOUT };

/* A file option given once. */
static int otlp_file(const char **dst, const char *name, const char *arg, struct gs_err *err)
{
	if (*dst)
		return gs_fail(err, GS_EXIT_USAGE, "%s given twice", name);
	*dst = arg;
	return 0;
}

static int otlp_option(struct serve_args *a, int c, const char *arg, struct gs_err *err)
{
	struct otlp_push_opts *o = &a->otlp;

	switch (c) {
	case OPT_OTLP:
		return otlp_file(&o->url, "--otlp", arg, err);
	case OPT_OTLP_HEADER:
		if (o->nheaders == MAX_OTLP_HEADERS)
			return gs_fail(err, GS_EXIT_USAGE, "more than %d --otlp-header",
				       MAX_OTLP_HEADERS);
		a->otlp_headers[o->nheaders++] = arg;
		o->headers = a->otlp_headers;
		return 0;
	case OPT_OTLP_CA:
		return otlp_file(&o->ca_file, "--otlp-ca", arg, err);
	case OPT_OTLP_CERT:
		return otlp_file(&o->cert_file, "--otlp-cert", arg, err);
	case OPT_OTLP_KEY:
		return otlp_file(&o->key_file, "--otlp-key", arg, err);
	case OPT_OTLP_TIMEOUT:
		if (cli_parse_duration(arg, &o->timeout_ns) || !o->timeout_ns)
			return gs_fail(err, GS_EXIT_USAGE, "invalid --otlp-timeout '%s': a "
				       "duration such as 5s or 500ms", arg);
		return 0;
	}
	return 1;
}

static int serve_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct serve_args *a = ctx;

	switch (c) {
	case 'l': a->listen = arg; a->listen_given = true; return 0;
	case OPT_WEB_CONFIG: a->web_config = arg; return 0;
	case OPT_NO_RT_HIST: a->no_runtime_histograms = true; return 0;
	default: return otlp_option(a, c, arg, err);
	}
}

static const struct option serve_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
	{ "no-runtime-histograms", no_argument, NULL, OPT_NO_RT_HIST },
	{ "otlp", required_argument, NULL, OPT_OTLP },
	{ "otlp-header", required_argument, NULL, OPT_OTLP_HEADER },
	{ "otlp-ca", required_argument, NULL, OPT_OTLP_CA },
	{ "otlp-cert", required_argument, NULL, OPT_OTLP_CERT },
	{ "otlp-key", required_argument, NULL, OPT_OTLP_KEY },
	{ "otlp-timeout", required_argument, NULL, OPT_OTLP_TIMEOUT },
	{ 0 },
};

static const struct cli_spec serve_spec = {
	.name = "serve", .usage = usage, .shortopts = "l:", .longopts = serve_opts,
	.option = serve_option, .min_interval_ns = 100000000ull,
	.flags = CLI_VERBOSITY | CLI_INTERVAL | CLI_OPTIN | CLI_PIDS_OR_ALL,
};

static void announce(const struct httpd *h, const struct webcfg *wc)
{
	bool guarded = wc && (wc->nusers || wc->client_auth == WEBCFG_REQUIRE_AND_VERIFY_CLIENT_CERT);

	/* Without credentials of some kind, anyone who can connect reads the metrics. */
	if (!httpd__loopback(h) && !guarded)
		log_warn("WARNING: serving on %s, which is not a loopback address: anyone who can "
			 "reach it can read these processes' metrics (use --listen 127.0.0.1:PORT "
			 "to keep it local, or --web.config.file for TLS and authentication)",
			 httpd__address(h));
	log_note("serving %s://%s/metrics%s", httpd__tls(h) ? "https" : "http", httpd__address(h),
		 wc && wc->nusers ? " (basic authentication)" : "");
}

/*
 * --otlp: the receiver's URL and headers are checked before anything is attached; without
 * --listen there is no scrape endpoint. The other --otlp-* options need --otlp.
 */
static int otlp_setup(struct server *s, const struct serve_args *a, struct gs_err *err)
{
	const struct otlp_push_opts *o = &a->otlp;

	if (!o->url) {
		if (o->nheaders || o->ca_file || o->cert_file || o->key_file || o->timeout_ns)
			return gs_fail(err, GS_EXIT_USAGE, "the --otlp-* options need --otlp URL");
		return 0;
	}
	if (a->web_config && !a->listen_given)
		return gs_fail(err, GS_EXIT_USAGE, "--web.config.file is for the scrape endpoint, "
			       "which --otlp alone does not open: give --listen too");
	proc_host_name(s->host_name, sizeof(s->host_name));
	s->push = otlp_push__new(o, err);
	return s->push ? 0 : -1;
}

static int otlp_start(struct server *s, uint64_t interval_ns, struct gs_err *err)
{
	if (!s->push)
		return 0;
	if (otlp_push__start(s->push, err))
		return -1;
	log_note("pushing OTLP metrics to %s every %.3g s", otlp_push__url(s->push),
		 (double)interval_ns / 1e9);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = { .c.interval_ns = ENGINE_DEFAULT_INTERVAL_NS, .listen = DEFAULT_LISTEN };
	struct server s = { 0 };
	const struct engine_sink sink = {
		.ctx = &s, .state_size = sizeof(struct serve_proc), .attach = on_attach,
		.gc = on_gc, .sample = on_sample, .lost = on_lost, .exit = on_change, .detach = on_change,
		.remove = on_change,
	};
	struct engine_opts eo;
	struct gs_err err = { 0 };
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	/* The socket first: a bad or busy address fails before anything is attached. */
	if (cli_parse(argc, argv, &serve_spec, &a, &a.c, &err) || otlp_setup(&s, &a, &err))
		goto fail;
	/* Certificates and keys are read now, while goscope may still read every file. */
	s.prom.no_runtime_histograms = a.no_runtime_histograms;
	if (a.web_config && !(s.wc = webcfg__load(a.web_config, &err)))
		goto fail;
	if (!s.push || a.listen_given) {
		s.h = httpd__new(a.listen, &err);
		if (!s.h)
			goto fail;
	}
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .all = a.c.all, .sel = &a.c.sel,
		.probes = ENGINE_PROBES_WANTED,
		.sample = true, .interval_ns = a.c.interval_ns, .metrics = true,
		/* Exited processes are gone from the exposition at once; keep them only briefly. */
		.linger_ns = 1000000000ull,
		.optin = { a.c.goroutines, a.c.allocs, a.c.budget },
	};
	s.e = engine__new(&eo, &sink, &err);
	if (!s.e)
		goto fail;
	/* Bound and attached: before the HTTP and push threads, which inherit what is left. */
	caps_keep_only(a.c.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	if (engine__probe_note(s.e))
		log_note("sampling only (no pause histogram): %s", engine__probe_note(s.e));
	if (s.h && httpd__start(s.h, s.wc, &err))
		goto fail;
	if (s.h)
		announce(s.h, s.wc);
	if (otlp_start(&s, a.c.interval_ns, &err))
		goto fail;
	if (run(&s, a.c.all, &err))
		goto fail;
	goto out;
fail:
	ret = cli_report(&err);
out:
	/* What is queued for the receiver gets a last, short chance (a failure: none). */
	otlp_push__free(s.push, ret == GS_EXIT_OK ? OTLP_FLUSH_NS : 0);
	/* The HTTP thread first: it may be sending text the engine no longer backs (it has a copy). */
	httpd__free(s.h);
	webcfg__free(s.wc);
	engine__free(s.e);
	prom_free(&s.text);
	cli_common_free(&a.c);
	return ret;
}
