// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope record [-o FILE] [PID…|--all]: every event and periodic samples as JSON lines, for log
 * collectors. The lines are format/record.c's; this file only writes them where they go.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/record.h"
#include "target/caps.h"
#include "util/log.h"

#define POLL_MS		200

/* Where the lines go. */
struct recorder {
	const char *path;		/* NULL: stdout */
	int fd;
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
		"Usage: goscope record [OPTIONS] [PID...|--all] [--container NAME|ID...] [--pod [NS/]NAME...]\n"
		"\n"
		"Write one JSON object per line for every event of each Go process: attach, gc (every\n"
		"gctrace value in nanoseconds and bytes, plus the line GODEBUG=gctrace=1 prints), pause,\n"
		"sample (every gauge, each interval), sched, lost, exit, detach. Every line carries\n"
		"schema, kind, ts (RFC 3339, UTC, nanoseconds), unix_nano, host, pid, comm, exe and\n"
		"go_version; a process in a container also nspid (its PID there) and container (id,\n"
		"runtime, name, pod, namespace, pod_uid). The schema is documented in docs/record.md (docs/record.schema.json).\n"
		"Runs until Ctrl-C or SIGTERM, or until every named process has exited.\n"
		"\n"
		"Options:\n"
		"  -o, --output FILE    append to FILE (created with mode 0640; a symbolic link is\n"
		"                       refused); SIGHUP reopens it (logrotate; use\n"
		"                       nocreate when a log collector follows the file)\n"
		"  -a, --all            every Go process, including those that start later\n"
		"  -i, --interval DUR   sample every DUR (default 1s)\n"
		"      --stw            also probe startTheWorldWithSema: every stop-the-world pause\n"
		"                       with the runtime's reason (Go 1.21+), GC pauses measured\n"
		"                       exactly on Go 1.22+ (see below)\n"
		"      --no-stw         no stop-the-world probe (the default)\n"
		"  -q, --quiet          no status messages on stderr\n"
		"  -v, --verbose        more detail on stderr\n"
		CLI_OPTIN_HELP
		CLI_SELECT_HELP
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
static void write_line(void *ctx, const struct json *j)
{
	struct recorder *r = ctx;
	size_t off = 0;

	if (r->done)
		return;
	while (off < j->b.len) {
		ssize_t n = write(r->fd, j->b.data + off, j->b.len - off);

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

/* ---- the command ---- */

struct record_args {
	struct cli_common c;
	const char *path;
	bool stw;
};

static int record_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct record_args *a = ctx;

	switch (c) {
	case 'o':
		return cli_output_path(&a->path, arg, err);
	case 'T': a->stw = true; return 0;
	case 'S': a->stw = false; return 0;
	}
	return 1;
}

static const struct option record_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "stw", no_argument, NULL, 'T' },
	{ "no-stw", no_argument, NULL, 'S' },
	{ 0 },
};

static const struct cli_spec record_spec = {
	.name = "record", .usage = usage, .shortopts = "o:", .longopts = record_opts,
	.option = record_option, .min_interval_ns = 100000000ull,
	.flags = CLI_VERBOSITY | CLI_INTERVAL | CLI_OPTIN | CLI_PIDS_OR_ALL,
};

static void setup_sighup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sighup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

/* After every step: a reopen asked for by SIGHUP; stop once the output is gone. */
static bool after_step(void *ctx)
{
	struct recorder *r = ctx;

	if (reopen_requested)
		reopen(r);
	return r->done;
}

static int run(struct recorder *r, struct engine *e, bool all, struct gs_err *err)
{
	const struct engine_run run = {
		.step_ms = POLL_MS, .stop = &cli_stop, .until_exited = !all, .after_step = after_step,
		.ctx = r,
	};
	int rc = engine__run(e, &run, err);

	if (rc == ENGINE_ALL_EXITED)
		log_note("every process has exited");
	return rc < 0 ? -1 : 0;
}

int cmd_record(int argc, char **argv)
{
	/*
	 * No stop-the-world probe unless asked: its two hits per cycle fall inside the pauses and
	 * tripled record's cost to a GC-heavy target (bench/perf.py, docs/performance.md).
	 */
	struct record_args a = { .c.interval_ns = ENGINE_DEFAULT_INTERVAL_NS };
	struct recorder r = { .fd = STDOUT_FILENO };
	struct record_out out;
	struct engine_opts eo = { 0 };
	struct engine_sink sink;
	struct gs_err err = { 0 };
	struct engine *e = NULL;

	cli_setup_signals();
	if (cli_parse(argc, argv, &record_spec, &a, &a.c, &err))
		goto fail;
	r.path = a.path;
	if (r.path)
		r.fd = -1;
	/* The file first: a path we cannot write fails before anything is attached. */
	if (r.path && open_output(r.path, &r.fd, &err))
		goto fail;
	/* Into a file, SIGHUP means "reopen" (logrotate); on stdout it stops, as everywhere. */
	if (r.path)
		setup_sighup();
	record_out_init(&out, a.c.interval_ns, a.stw, write_line, &r);
	sink = record_sink(&out);
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .all = a.c.all, .sel = &a.c.sel,
		.probes = ENGINE_PROBES_WANTED,
		.stw = a.stw, .sample = true, .interval_ns = a.c.interval_ns, .metrics = true,
		.wait_names = true, .optin = { a.c.goroutines, a.c.allocs, a.c.budget },
	};
	e = engine__new(&eo, &sink, &err);
	if (!e)
		goto fail_out;
	caps_keep_only(a.c.all ? CAPS_ATTACHING : CAPS_SAMPLING);
	if (engine__probe_note(e))
		log_note("sampling only (no gc or pause records): %s", engine__probe_note(e));
	if (run(&r, e, a.c.all, &err))
		goto fail_out;
	engine__free(e);
	e = NULL;
	record_out_free(&out);
	if (r.err.msg[0]) {
		err = r.err;
		goto fail;
	}
	if (r.path && r.fd >= 0)
		close(r.fd);
	cli_common_free(&a.c);
	return GS_EXIT_OK;
fail_out:
	engine__free(e);
	record_out_free(&out);
fail:
	if (r.path && r.fd >= 0)
		close(r.fd);
	cli_common_free(&a.c);
	return cli_report(&err);
}
