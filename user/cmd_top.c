// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope top [PID…]: the live dashboard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/tui.h"
#include "target/caps.h"
#include "util/log.h"

#define STEP_MS 100			/* key presses are handled at least this often */
#define EXITED_LINGER_NS 10000000000ull	/* overview of all: exited rows stay this long */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope top [OPTIONS] [PID...] [--container NAME|ID...] [--pod [NS/]NAME...]\n"
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
		"r reverse, p pause, ? help, q quit. In the detail view, t lists the goroutine\n"
		"groups: every goroutine's stack read once, now (within 200 ms; never on a refresh),\n"
		"grouped by stack with COUNT, STATE (wait reason), OLDEST wait, RUNS (the function)\n"
		"and TOP FRAME; t or r reads again, Esc or q closes the list.\n"
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
		CLI_SELECT_HELP
		"  -h, --help            show this help\n"
		"\n"
		"Cost to each process: one GC uprobe hit per cycle (two before Go 1.21; ~12 us each) and\n"
		"a process_vm_readv snapshot per interval; nothing on any allocation path. Without root\n"
		"goscope samples your own processes only, with no per-cycle data.\n");
}

struct top_args {
	struct cli_common c;
	struct tui_opts t;
};

static int top_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct top_args *a = ctx;

	switch (c) {
	case 'A': a->t.ascii = true; return 0;
	case 'C': a->t.color = false; return 0;
	}
	return 1;
}

static const struct option top_opts[] = {
	{ "ascii", no_argument, NULL, 'A' },
	{ "no-color", no_argument, NULL, 'C' },
	{ 0 },
};

static const struct cli_spec top_spec = {
	.name = "top", .usage = usage, .longopts = top_opts, .option = top_option,
	.min_interval_ns = 100000000ull, .flags = CLI_INTERVAL | CLI_OPTIN | CLI_PIDS_ANY,
};

/* ---- what the dashboard hears from the engine ---- */

static void on_target_exit(void *ctx, const struct watched *w, void *st)
{
	log_note("PID %d (%s) exited", w->pid, w->comm);
}

static void on_log(void *ctx, int level, const char *msg)
{
	tui__message(ctx, level, msg);
}

struct top_run {
	struct tui *tui;
	struct engine *e;
};

/* After every step: the keys pressed meanwhile (q stops), then the screen. */
static bool after_step(void *ctx)
{
	struct top_run *r = ctx;

	if (!tui__input(r->tui, r->e))
		return true;
	tui__draw(r->tui, r->e);
	return false;
}

static int run(struct tui *tui, struct engine *e, struct gs_err *err)
{
	struct top_run r = { tui, e };

	/* Keys are looked at before the first step, as after every other one. */
	if (after_step(&r))
		return 0;
	return engine__run(e, &(struct engine_run){ .step_ms = STEP_MS, .stop = &cli_stop,
			   .after_step = after_step, .ctx = &r }, err) < 0 ? -1 : 0;
}

int cmd_top(int argc, char **argv)
{
	const char *nc = getenv("NO_COLOR");
	struct top_args a = { .c.interval_ns = ENGINE_DEFAULT_INTERVAL_NS, .t.color = !(nc && nc[0]) };
	const struct engine_sink sink = { .exit = on_target_exit };
	struct engine_opts eo;
	struct gs_err err = { 0 };
	struct engine *e = NULL;
	struct tui *tui = NULL;
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	if (cli_parse(argc, argv, &top_spec, &a, &a.c, &err))
		goto fail;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		gs_fail(&err, GS_EXIT_USAGE, "top needs a terminal; in scripts use 'goscope stat', "
			"'goscope gctrace' or 'goscope record'");
		goto fail;
	}
	a.c.all = a.c.all || a.c.npids == 0;
	a.t.interval_ns = a.c.interval_ns;
	a.t.detail_pid = a.c.npids == 1 ? a.c.pids[0] : 0;
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .all = a.c.all, .sel = &a.c.sel,
		.probes = ENGINE_PROBES_WANTED,
		.sample = true, .interval_ns = a.c.interval_ns, .metrics = true,
		.wait_names = true, .linger_ns = a.c.all ? EXITED_LINGER_NS : 0,
		.optin = { a.c.goroutines, a.c.allocs, a.c.budget },
	};
	/* The screen is taken only once attaching worked, so errors print plainly. */
	if (a.c.all)
		log_note("looking for Go processes…");
	e = engine__new(&eo, &sink, &err);
	if (!e)
		goto fail;
	caps_keep_only(a.c.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	tui = tui__new(&a.t, &err);
	if (!tui)
		goto fail;
	log_set_sink(on_log, tui);
	if (engine__probe_note(e))
		log_note("no per-cycle data: %s", engine__probe_note(e));
	if (run(tui, e, &err))
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
	if (e && engine__live(e) > 4)
		log_note("detaching from %d processes…", engine__live(e));
	engine__free(e);
	cli_common_free(&a.c);
	return ret;
}
