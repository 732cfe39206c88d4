// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope serve [--listen 127.0.0.1:9464] [PID…|--all]: a Prometheus exporter. The main loop
 * renders the exposition after the processes change and publishes a copy; the HTTP thread
 * serves the latest copy, so a scrape never waits for, or holds up, event processing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/prom.h"
#include "target/caps.h"
#include "util/clock.h"
#include "util/httpd.h"
#include "util/webcfg.h"
#include "util/log.h"

#define DEFAULT_LISTEN		"127.0.0.1:9464"
#define POLL_MS			200
#define MIN_RENDER_GAP_NS	250000000ull	/* GC events alone re-render at most 4 times/s */

struct server {
	struct engine *e;
	struct httpd *h;
	struct webcfg *wc;
	struct prom text;
	bool dirty, sampled;
	uint64_t rendered_ns;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope serve [OPTIONS] [PID...|--all] [--container NAME|ID...] [--pod [NS/]NAME...]\n"
		"\n"
		"Export the runtime metrics of Go processes for Prometheus, in the text exposition\n"
		"format at http://ADDRESS/metrics, under the names the Prometheus Go client uses inside\n"
		"a program (go_goroutines, go_threads, go_info, go_gc_duration_seconds, go_memstats_*,\n"
		"go_sched_gomaxprocs_threads, go_gc_gogc_percent, go_gc_gomemlimit_bytes) plus goscope's\n"
		"own (goscope_gc_cycles_total, goscope_goroutines{state}, goscope_gc_pause_seconds, ...),\n"
		"one series per process labelled pid, comm and go_version. Series of a process that\n"
		"exits disappear. Runs until Ctrl-C or SIGTERM, or until every named process exited.\n"
		"\n"
		"Options:\n"
		"  -l, --listen ADDR:PORT  where to serve (default " DEFAULT_LISTEN "; [::1]:9464 for\n"
		"                          IPv6); any non-loopback address is reachable from elsewhere\n"
		"      --web.config.file FILE\n"
		"                          TLS, client certificates and basic authentication, from the\n"
		"                          YAML file Prometheus exporters read (exporter-toolkit's\n"
		"                          tls_server_config, http_server_config, basic_auth_users)\n"
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
		"Without root, processes are sampled only: no goscope_gc_pause_seconds.\n");
}

/* ---- engine callbacks: keep per-process pause histograms, note what changed ---- */

static void on_gc(void *ctx, const struct watched *w, void *st, const struct gc_cycle *c)
{
	struct server *s = ctx;
	struct prom_proc *pp = st;

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
}

static void on_change(void *ctx, const struct watched *w, void *st)
{
	((struct server *)ctx)->dirty = true;
}

static void on_lost(void *ctx, const struct watched *w, void *st, uint64_t missed, uint64_t lost)
{
	((struct server *)ctx)->dirty = true;
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
	/* Only processes being watched, with a reading: exited ones drop out at once. */
	for (i = 0; i < n; i++) {
		const struct watched *x = engine__get(s->e, i);

		if ((x->state == WS_WAITING || x->state == WS_LIVE) && x->cur.ok) {
			ws[k] = x;
			pps[k++] = engine__state(s->e, x);
		}
	}
	prom_render(&s->text, ws, pps, k);
	free(ws);
	free(pps);
	if (s->text.b.oom || httpd__publish(s->h, s->text.b.data, s->text.b.len))
		log_warn("out of memory: the exposition was not updated");
	s->dirty = s->sampled = false;
	s->rendered_ns = clock_mono_ns();
}

/* After every step: a new exposition when something changed (GC events alone: 4 times/s). */
static bool after_step(void *ctx)
{
	struct server *s = ctx;

	if (s->dirty && (s->sampled || clock_mono_ns() - s->rendered_ns >= MIN_RENDER_GAP_NS))
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

	render(s);
	rc = engine__run(s->e, &run, err);
	if (rc == ENGINE_ALL_EXITED)
		log_note("every process has exited");
	return rc < 0 ? -1 : 0;
}

/* ---- the command ---- */

enum { OPT_WEB_CONFIG = 0x300 };

struct serve_args {
	struct cli_common c;
	const char *listen;
	const char *web_config;
};

static int serve_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct serve_args *a = ctx;

	switch (c) {
	case 'l': a->listen = arg; return 0;
	case OPT_WEB_CONFIG: a->web_config = arg; return 0;
	default: return 1;
	}
}

static const struct option serve_opts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
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

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = { .c.interval_ns = ENGINE_DEFAULT_INTERVAL_NS, .listen = DEFAULT_LISTEN };
	struct server s = { 0 };
	const struct engine_sink sink = {
		.ctx = &s, .state_size = sizeof(struct prom_proc), .attach = on_change, .gc = on_gc,
		.sample = on_sample, .lost = on_lost, .exit = on_change, .detach = on_change,
		.remove = on_change,
	};
	struct engine_opts eo;
	struct gs_err err = { 0 };
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	/* The socket first: a bad or busy address fails before anything is attached. */
	if (cli_parse(argc, argv, &serve_spec, &a, &a.c, &err))
		goto fail;
	/* Certificates and keys are read now, while goscope may still read every file. */
	if (a.web_config && !(s.wc = webcfg__load(a.web_config, &err)))
		goto fail;
	s.h = httpd__new(a.listen, &err);
	if (!s.h)
		goto fail;
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .all = a.c.all, .sel = &a.c.sel,
		.probes = ENGINE_PROBES_WANTED,
		.sample = true, .interval_ns = a.c.interval_ns,
		/* Exited processes are gone from the exposition at once; keep them only briefly. */
		.linger_ns = 1000000000ull,
		.optin = { a.c.goroutines, a.c.allocs, a.c.budget },
	};
	s.e = engine__new(&eo, &sink, &err);
	if (!s.e)
		goto fail;
	/* Bound and attached: before the HTTP thread starts, which inherits what is left. */
	caps_keep_only(a.c.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	if (engine__probe_note(s.e))
		log_note("sampling only (no pause histogram): %s", engine__probe_note(s.e));
	if (httpd__start(s.h, s.wc, &err))
		goto fail;
	announce(s.h, s.wc);
	if (run(&s, a.c.all, &err))
		goto fail;
	goto out;
fail:
	ret = cli_report(&err);
out:
	/* The HTTP thread first: it may be sending text the engine no longer backs (it has a copy). */
	httpd__free(s.h);
	webcfg__free(s.wc);
	engine__free(s.e);
	prom_free(&s.text);
	cli_common_free(&a.c);
	return ret;
}
