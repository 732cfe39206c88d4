// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope serve [--listen 127.0.0.1:9464] [PID…|--all]: a Prometheus exporter. The main loop
 * renders the exposition after the processes change and publishes a copy; the HTTP thread
 * serves the latest copy, so a scrape never waits for, or holds up, event processing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/caps.h"
#include "cli.h"
#include "util/httpd.h"
#include "util/log.h"
#include "target/proc.h"
#include "engine/engine.h"
#include "format/prom.h"

#define DEFAULT_LISTEN		"127.0.0.1:9464"
#define POLL_MS			200
#define MIN_RENDER_GAP_NS	250000000ull	/* GC events alone re-render at most 4 times/s */

struct server {
	struct watch *w;
	struct httpd *h;
	struct prom text;
	bool dirty, sampled;
	uint64_t rendered_ns;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope serve [OPTIONS] [PID...|--all]\n"
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
		"  -h, --help              show this help\n"
		"\n"
		"Without root, processes are sampled only: no goscope_gc_pause_seconds.\n");
}

/* ---- watch callbacks: keep per-process pause histograms, note what changed ---- */

static void on_attach(void *ctx, struct watched *w)
{
	struct server *s = ctx;

	if (w->state != WS_UNSUPPORTED)
		w->user = calloc(1, sizeof(struct prom_proc));
	s->dirty = true;
}

static void on_gc(void *ctx, struct watched *w, const struct gc_cycle *c)
{
	struct server *s = ctx;
	struct prom_proc *pp = w->user;

	if (pp && c->sweep_pause_ns >= 0)
		prom_observe_pause(pp, (uint64_t)c->sweep_pause_ns);
	if (pp && c->markterm_pause_ns >= 0)
		prom_observe_pause(pp, (uint64_t)c->markterm_pause_ns);
	s->dirty = true;
}

static void on_sample(void *ctx, struct watched *w)
{
	struct server *s = ctx;

	s->dirty = s->sampled = true;
}

static void on_change(void *ctx, struct watched *w)
{
	((struct server *)ctx)->dirty = true;
}

static void on_lost(void *ctx, struct watched *w, uint64_t missed, uint64_t lost)
{
	((struct server *)ctx)->dirty = true;
}

static void on_remove(void *ctx, struct watched *w)
{
	free(w->user);
	w->user = NULL;
	((struct server *)ctx)->dirty = true;
}

/* ---- rendering ---- */

static void render(struct server *s)
{
	size_t n = watch__count(s->w), i, k = 0;
	struct watched **ws = calloc(n ? n : 1, sizeof(*ws));

	if (!ws)
		return;
	/* Only processes being watched, with a reading: exited ones drop out at once. */
	for (i = 0; i < n; i++) {
		struct watched *x = watch__get(s->w, i);

		if ((x->state == WS_WAITING || x->state == WS_LIVE) && x->cur.ok)
			ws[k++] = x;
	}
	prom_render(&s->text, ws, k);
	free(ws);
	if (s->text.oom || httpd__publish(s->h, s->text.buf, s->text.len))
		log_warn("out of memory: the exposition was not updated");
	s->dirty = s->sampled = false;
	s->rendered_ns = watch_now_ns();
}

static int run(struct server *s, bool all, struct gs_err *err)
{
	render(s);
	while (!cli_stop) {
		if (watch__step(s->w, POLL_MS, err))
			return -1;
		if (s->dirty && (s->sampled || watch_now_ns() - s->rendered_ns >= MIN_RENDER_GAP_NS))
			render(s);
		if (!all && watch__live(s->w) == 0) {
			log_note("every process has exited");
			break;
		}
	}
	return 0;
}

/* ---- the command ---- */

struct serve_args {
	struct watch_opts wo;
	pid_t *pids;
	const char *listen;
};

static int parse_args(int argc, char **argv, struct serve_args *a, struct gs_err *err)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		CLI_OPTIN_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, verbosity = 0, i, rc;

	a->listen = DEFAULT_LISTEN;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l:ai:qvh", opts, NULL)) != -1) {
		rc = cli_optin_option(c, optarg, &a->wo, err);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		switch (c) {
		case 'l': a->listen = optarg; break;
		case 'a': a->wo.all = true; break;
		case 'i':
			if (cli_watch_interval(optarg, &a->wo.interval_ns, err))
				return -1;
			break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); exit(GS_EXIT_OK);
		default: exit(cli_bad_option(c, argv));
		}
	}
	log_set_verbosity(verbosity);
	if (a->wo.all == (optind < argc))
		return gs_fail(err, GS_EXIT_USAGE, "serve needs PIDs or --all, not both (see 'goscope ps')");
	a->wo.npids = argc - optind;
	a->pids = calloc((size_t)a->wo.npids + 1, sizeof(*a->pids));
	if (!a->pids)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	for (i = 0; i < a->wo.npids; i++)
		if (proc_parse_pid(argv[optind + i], &a->pids[i], err))
			return -1;
	a->wo.pids = a->pids;
	/* Exited processes are gone from the exposition at once; keep them only briefly. */
	a->wo.linger_ns = 1000000000ull;
	return 0;
}

static void announce(const struct httpd *h)
{
	if (!httpd__loopback(h))
		log_warn("WARNING: serving on %s, which is not a loopback address: anyone who can "
			 "reach it can read these processes' metrics (use --listen 127.0.0.1:PORT "
			 "to keep it local)", httpd__address(h));
	log_note("serving http://%s/metrics", httpd__address(h));
}

int cmd_serve(int argc, char **argv)
{
	struct serve_args a = { 0 };
	struct server s = { 0 };
	const struct watch_sink sink = {
		.ctx = &s, .attach = on_attach, .gc = on_gc, .sample = on_sample, .lost = on_lost,
		.exit = on_change, .detach = on_change, .remove = on_remove,
	};
	struct gs_err err = { 0 };
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	/* The socket first: a bad or busy address fails before anything is attached. */
	if (parse_args(argc, argv, &a, &err))
		goto fail;
	s.h = httpd__new(a.listen, &err);
	if (!s.h)
		goto fail;
	s.w = watch__new(&a.wo, &sink, &err);
	if (!s.w)
		goto fail;
	/* Bound and attached: before the HTTP thread starts, which inherits what is left. */
	caps_keep_only(a.wo.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	if (watch__probe_note(s.w))
		log_note("sampling only (no pause histogram): %s", watch__probe_note(s.w));
	if (httpd__start(s.h, &err))
		goto fail;
	announce(s.h);
	if (run(&s, a.wo.all, &err))
		goto fail;
	goto out;
fail:
	ret = cli_report(&err);
out:
	/* The HTTP thread first: it may be sending text the watch no longer backs (it has a copy). */
	httpd__free(s.h);
	watch__free(s.w);
	prom_free(&s.text);
	free(a.pids);
	return ret;
}
