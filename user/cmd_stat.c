// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope stat PID: the engine for one window, then one report. The first sample is taken when
 * the engine attaches, the second one interval later; the report (format/stat.c) is written once
 * the engine has handled every event of the window, or when the process exits or goscope is
 * stopped, from the newest sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/stat.h"
#include "target/proc.h"
#include "util/log.h"

#define POLL_MS 100

struct stat_args {
	struct cli_common c;
	bool json;
};

struct stat_out {
	bool json;
	bool window;		/* a window was asked for (-i > 0) */
	bool reported;
	bool exited;
	int failed;		/* the first sample could not be read: -errno */
	int write_err;		/* the report could not be written */
	const struct watched *w;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope stat [OPTIONS] PID | --container NAME|ID | --pod [NS/]NAME\n"
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
		CLI_SELECT_HELP
		"  -h, --help            show this help\n"
		"\n"
		"See 'goscope metrics' for what every value means.\n");
}

static void report(struct stat_out *o, const struct watched *w)
{
	struct stat_report r = { .w = w };

	if (o->reported || !w->nsamples)
		return;
	o->reported = true;
	if (w->nsamples >= 2)
		model__rates(w->model, model__point(w->model, 1), model__point(w->model, 0), &r.rates);
	r.pauses = o->window && w->model && w->model->probed;
	if (o->json)
		o->write_err = stat_print_json(stdout, &r);
	else
		stat_print_table(stdout, &r);
}

static void on_sample_failed(void *ctx, const struct watched *w, void *st, int rc)
{
	struct stat_out *o = ctx;

	if (!w->nsamples)
		o->failed = rc;
}

/* Gone during the window: what was read stays the report. */
static void on_exit_(void *ctx, const struct watched *w, void *st)
{
	struct stat_out *o = ctx;

	o->exited = true;
	report(o, w);
}

/* The engine is done: every event of the window has reached the model. */
static void on_detach(void *ctx, const struct watched *w, void *st)
{
	report(ctx, w);
}

/* The window ends with its second sample. */
static bool window_done(void *ctx)
{
	return ((struct stat_out *)ctx)->w->nsamples >= 2;
}

static int stat_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	if (c != 'j')
		return 1;
	((struct stat_args *)ctx)->json = true;
	return 0;
}

static const struct option stat_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ 0 },
};

static const struct cli_spec stat_spec = {
	.name = "stat", .usage = usage, .shortopts = "j", .longopts = stat_opts,
	.option = stat_option, .min_interval_ns = 0, .flags = CLI_INTERVAL | CLI_ONE_PID,
};

int cmd_stat(int argc, char **argv)
{
	struct stat_args a = { .c.interval_ns = ENGINE_DEFAULT_INTERVAL_NS };
	struct stat_out out = { 0 };
	const struct engine_sink sink = {
		.ctx = &out, .sample_failed = on_sample_failed, .exit = on_exit_,
		.detach = on_detach,
	};
	struct engine_opts eo;
	struct gs_err err = { 0 };
	struct engine *e = NULL;
	const struct watched *w;
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	if (cli_parse(argc, argv, &stat_spec, &a, &a.c, &err))
		goto fail;
	out.json = a.json;
	out.window = a.c.interval_ns > 0;
	/* As root, the GC and stop-the-world probes watch the window: every pause in it. */
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .sel = &a.c.sel, .one = true,
		.probes = out.window ? ENGINE_PROBES_WANTED : ENGINE_PROBES_OFF, .stw = true,
		.sample = true, .interval_ns = a.c.interval_ns, .metrics = true,
		.wait_names = true,
	};
	e = engine__new(&eo, &sink, &err);
	if (!e)
		goto fail;
	w = engine__get(e, 0);
	if (!w->nsamples) {
		gs_fail(&err, out.exited || proc_check_alive(w->pid, NULL) ? GS_EXIT_NO_PROCESS :
			GS_EXIT_ERROR, "PID %d: reading the runtime's memory failed", w->pid);
		out.reported = true;
		goto fail;
	}
	if (out.window && engine__probe_note(e))
		log_note("no pause details: %s", engine__probe_note(e));
	out.w = w;
	if (out.window && engine__run(e, &(struct engine_run){ .step_ms = POLL_MS,
		.stop = &cli_stop, .until_exited = true, .after_step = window_done, .ctx = &out },
		&err) < 0)
		goto fail;
	engine__free(e);
	e = NULL;
	if (out.write_err) {
		gs_fail(&err, GS_EXIT_ERROR, "out of memory: the report was not written");
		goto fail;
	}
	if (cli_flush_stdout(&err))
		goto fail;
	goto out;
fail:
	engine__free(e);
	ret = cli_report(&err);
out:
	cli_common_free(&a.c);
	return ret;
}
