// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope top [PID…]: the live dashboard. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target/caps.h"
#include "cli.h"
#include "util/log.h"
#include "target/proc.h"
#include "engine/engine.h"
#include "format/tui.h"

#define STEP_MS 100			/* key presses are handled at least this often */
#define EXITED_LINGER_NS 10000000000ull	/* overview of all: exited rows stay this long */

struct top_opts {
	struct watch_opts w;
	struct tui_opts t;
	pid_t *pids;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope top [OPTIONS] [PID...]\n"
		"\n"
		"A live dashboard of Go runtimes. Without a PID: every Go process on the machine, found\n"
		"continuously (new ones appear, exited ones are marked, then removed). With one PID: its\n"
		"detail view (history graphs, the latest gctrace lines, goroutines by state, run\n"
		"queues); with several: an overview of those.\n"
		"\n"
		"Overview columns: PID, COMM, GO version, PROCS (GOMAXPROCS), GOROUT (goroutines),\n"
		"HEAP (HeapAlloc) and GOAL (the heap goal), ALLOC/s and GC/s (over 5 s), GC CPU (share\n"
		"of GOMAXPROCS' CPU over 5 s), PAUSE (last GC's stop-the-world total), MAX 60s (the\n"
		"longest in the last minute). Rows with GC CPU > 25%%, a pause > 10 ms or goroutines\n"
		"growing for a minute are marked '!' and highlighted.\n"
		"\n"
		"Keys: Up/Down or j/k select, Enter detail, Esc/Backspace back, s/S sort column,\n"
		"r reverse, p pause, ? help, q quit.\n"
		"\n"
		"Options:\n"
		"  -i, --interval DUR    refresh and sampling period (default 1s, at least 100ms)\n"
		"      --ascii           draw graphs with ASCII only (automatic when the locale is\n"
		"                        not UTF-8, e.g. LANG=C)\n"
		"      --no-color        no colors (also when NO_COLOR is set)\n"
		"      --goroutines      opt-in: probe goroutine creation and exit; the detail view\n"
		"                        lists live goroutines by creation site\n"
		"      --allocs          opt-in: probe the runtime's allocation sampling; the detail\n"
		"                        view lists the top allocation sites\n"
		"      --budget PCT      what the opt-in probes may cost each process, in percent of\n"
		"                        one CPU (default 1); above it they are detached\n"
		"  -h, --help            show this help\n"
		"\n"
		"Cost to each process: one GC uprobe hit per cycle (two before Go 1.21; ~12 us each) and\n"
		"a process_vm_readv snapshot per interval; nothing on any allocation path. Without root\n"
		"goscope samples your own processes only, with no per-cycle data.\n");
}

static int parse_args(int argc, char **argv, struct top_opts *o, struct gs_err *err)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "no-color", no_argument, NULL, 'C' },
		CLI_OPTIN_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *nc = getenv("NO_COLOR");
	int c, i, rc;

	o->w.interval_ns = 1000000000ull;
	o->t.color = !(nc && nc[0]);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", opts, NULL)) != -1) {
		rc = cli_optin_option(c, optarg, &o->w, err);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		switch (c) {
		case 'i':
			if (cli_watch_interval(optarg, &o->w.interval_ns, err))
				return -1;
			break;
		case 'A': o->t.ascii = true; break;
		case 'C': o->t.color = false; break;
		case 'h': usage(stdout); exit(GS_EXIT_OK);
		default: exit(cli_bad_option(c, argv));
		}
	}
	o->w.npids = argc - optind;
	o->pids = calloc((size_t)(o->w.npids ? o->w.npids : 1), sizeof(*o->pids));
	if (!o->pids)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	for (i = 0; i < o->w.npids; i++)
		if (proc_parse_pid(argv[optind + i], &o->pids[i], err))
			return -1;
	o->w.pids = o->pids;
	o->w.all = o->w.npids == 0;
	o->w.linger_ns = o->w.all ? EXITED_LINGER_NS : 0;
	o->t.interval_ns = o->w.interval_ns;
	o->t.detail_pid = o->w.npids == 1 ? o->pids[0] : 0;
	return 0;
}

/* ---- what the dashboard hears from the engine ---- */

static void on_target_exit(void *ctx, struct watched *w)
{
	log_note("PID %d (%s) exited", w->pid, w->comm);
}

static void on_log(void *ctx, int level, const char *msg)
{
	tui__message(ctx, level, msg);
}

static int run(struct tui *tui, struct watch *w, struct gs_err *err)
{
	while (!cli_stop) {
		if (!tui__input(tui, w))
			break;
		if (watch__step(w, STEP_MS, err))
			return -1;
		tui__draw(tui, w);
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = { 0 };
	struct gs_err err = { 0 };
	struct watch *w = NULL;
	struct tui *tui = NULL;
	struct watch_sink sink = { .exit = on_target_exit };
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	if (parse_args(argc, argv, &o, &err))
		goto fail;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		gs_fail(&err, GS_EXIT_USAGE, "top needs a terminal; in scripts use 'goscope stat', "
			"'goscope gctrace' or 'goscope record'");
		goto fail;
	}
	/* The screen is taken only once attaching worked, so errors print plainly. */
	if (o.w.all)
		log_note("looking for Go processes…");
	w = watch__new(&o.w, NULL, &err);
	if (!w)
		goto fail;
	caps_keep_only(o.w.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	tui = tui__new(&o.t, &err);
	if (!tui)
		goto fail;
	watch__set_sink(w, &sink);
	log_set_sink(on_log, tui);
	if (watch__probe_note(w))
		log_note("no per-cycle data: %s", watch__probe_note(w));
	if (run(tui, w, &err))
		goto fail;
	goto out;
fail:
	log_set_sink(NULL, NULL);
	tui__free(tui);
	tui = NULL;
	ret = cli_report(&err);
out:
	log_set_sink(NULL, NULL);
	tui__free(tui);
	/* The kernel takes about 0.1 s per probe to remove, one after the other: say why we wait. */
	if (w && watch__live(w) > 4)
		log_note("detaching from %d processes…", watch__live(w));
	watch__free(w);
	free(o.pids);
	return ret;
}
