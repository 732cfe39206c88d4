// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope schedtrace PID: GODEBUG=schedtrace lines, sampled from outside by the engine. */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/schedtrace.h"
#include "target/caps.h"
#include "util/log.h"

struct schedtrace_out {
	uint64_t start_ns;	/* the milliseconds count from the first line */
	bool failed;		/* stdout is gone */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope schedtrace [OPTIONS] PID | --container NAME|ID | --pod [NS/]NAME\n"
		"\n"
		"Print a scheduler line every interval in the format the target's Go release uses for\n"
		"GODEBUG=schedtrace=N: GOMAXPROCS, idle Ps, threads, spinning and idle threads, the\n"
		"global and per-P run queues (and per-P schedticks on Go 1.25+). The milliseconds count\n"
		"from when goscope started. Read with process_vm_readv: no probe, no stop-the-world.\n"
		"\n"
		"Options:\n"
		"  -i, --interval DUR    time between lines (default 1s; e.g. 500ms, 2s)\n"
		CLI_SELECT_HELP
		"  -h, --help            show this help\n");
}

static void on_sample(void *ctx, const struct watched *w, void *st)
{
	struct schedtrace_out *o = ctx;
	char *line = malloc(SCHEDTRACE_LINE_MAX);

	if (!line) {
		log_warn("out of memory: a line was skipped");
		return;
	}
	if (!o->start_ns)
		o->start_ns = w->cur.mono_ns;
	schedtrace_format(&w->cur, w->minor, (w->cur.mono_ns - o->start_ns) / 1000000, line,
			  SCHEDTRACE_LINE_MAX);
	puts(line);
	free(line);
	if (fflush(stdout) || ferror(stdout))
		o->failed = true;
}

static void on_sample_failed(void *ctx, const struct watched *w, void *st, int rc)
{
	log_warn("PID %d: reading the runtime's memory failed; skipping this line", w->pid);
}

static void on_exit_(void *ctx, const struct watched *w, void *st)
{
	if (!w->execed)
		log_note("PID %d exited", w->pid);
}

static const struct cli_spec schedtrace_spec = {
	.name = "schedtrace", .usage = usage, .min_interval_ns = 1000000ull,
	.flags = CLI_INTERVAL | CLI_ONE_PID,
};

int cmd_schedtrace(int argc, char **argv)
{
	struct cli_common c = { .interval_ns = ENGINE_DEFAULT_INTERVAL_NS };
	struct schedtrace_out out = { 0 };
	const struct engine_sink sink = {
		.ctx = &out, .sample = on_sample, .sample_failed = on_sample_failed,
		.exit = on_exit_,
	};
	struct gs_err err = { 0 };
	int rc;

	cli_setup_signals();
	rc = cli_parse(argc, argv, &schedtrace_spec, NULL, &c, &err);
	/* The scheduler's counters only: no probe, and no walk of allgs per line. */
	if (!rc)
		rc = engine__follow(&(struct engine_opts){ .pids = c.pids, .npids = c.npids,
				    .sel = &c.sel, .one = true, .probes = ENGINE_PROBES_OFF,
				    .sample = true, .interval_ns = c.interval_ns, .no_gwalk = true },
				    &sink,
				    CAPS_SAMPLING, &cli_stop, &out.failed, &err);
	cli_common_free(&c);
	return rc < 0 ? cli_report(&err) : GS_EXIT_OK;
}
