// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope gctrace PID…: one line per GC cycle, as GODEBUG=gctrace=1 prints it. */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "engine/engine.h"
#include "format/gctrace.h"
#include "target/caps.h"
#include "util/log.h"

struct gctrace_out {
	bool prefix;		/* "[PID] " before each line: more than one target */
	unsigned int attached;	/* targets attached so far */
	bool failed;		/* stdout is gone */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope gctrace [OPTIONS] PID [PID...]\n"
		"       goscope gctrace [OPTIONS] --container NAME|ID... | --pod [NS/]NAME...\n"
		"\n"
		"Print one line per GC cycle of each Go process, byte-identical to the line the Go\n"
		"runtime prints with GODEBUG=gctrace=1 for the same cycle. Lines start with the first\n"
		"cycle that ends after goscope attaches; a skipped cycle is reported on stderr as\n"
		"\"missed N GC cycles\". With more than one PID every line starts with \"[PID] \".\n"
		"Runs until Ctrl-C or SIGTERM, or until every target has exited.\n"
		"\n"
		"Options:\n"
		"  -q, --quiet     no status messages on stderr (lost-data warnings still print)\n"
		"  -v, --verbose   more detail on stderr (each GC start, up to Go 1.20); -vv adds libbpf"
		" messages\n"
		CLI_SELECT_HELP
		"  -h, --help      show this help\n"
		"\n"
		"Cost to the target: one uprobe hit per GC cycle (about 12 us), after the cycle's\n"
		"pauses (Go 1.19 and 1.20: one more, inside the first); no probe on any allocation\n"
		"or scheduling path.\n");
}

static const char *trigger_name(uint64_t kind)
{
	switch (kind) {
	case 0: return "heap size reached the trigger";
	case 1: return "periodic (2 min without GC)";
	case 2: return "forced (runtime.GC)";
	default: return "unknown trigger";
	}
}

static void on_attach(void *ctx, const struct watched *w, void *st)
{
	struct gctrace_out *o = ctx;
	char desc[600];

	/* More than one process (named, or in the containers selected): lines say whose. */
	o->prefix = ++o->attached > 1;
	log_note("attached to %s: %u GC cycles so far; waiting for the next one",
		 watched__describe(w, desc, sizeof(desc)), w->numgc_at_attach);
}

static void on_gc_start(void *ctx, const struct watched *w, void *st, const struct gs_gc_start *e)
{
	log_info("PID %d: gc %u started: %s", w->pid, e->numgc + 1, trigger_name(e->trigger_kind));
}

static void on_gc(void *ctx, const struct watched *w, void *st, const struct gc_cycle *c)
{
	struct gctrace_out *o = ctx;
	char line[GCTRACE_LINE_MAX];

	gctrace_format(&c->ev, line, sizeof(line));
	if (log_verbosity() >= 2)
		gctrace_log_raw(w->pid, &c->ev);
	if (o->prefix)
		printf("[%d] ", w->pid);
	puts(line);
	if (fflush(stdout) || ferror(stdout))
		o->failed = true;
}

static void on_exit_(void *ctx, const struct watched *w, void *st)
{
	if (!w->execed)
		log_note("PID %d exited after gc %llu", w->pid,
			 (unsigned long long)watched__gc_cycles(w));
}

static const struct cli_spec gctrace_spec = {
	.name = "gctrace", .usage = usage, .flags = CLI_VERBOSITY | CLI_PIDS,
};

int cmd_gctrace(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct gctrace_out out = { 0 };
	const struct engine_sink sink = {
		.ctx = &out, .attach = on_attach, .gc_start = on_gc_start, .gc = on_gc,
		.exit = on_exit_,
	};
	struct gs_err err = { 0 };
	int rc;

	cli_setup_signals();
	rc = cli_parse(argc, argv, &gctrace_spec, NULL, &c, &err);
	/* Once everything is attached, reading the targets is all that is left to do. */
	if (!rc)
		rc = engine__follow(&(struct engine_opts){ .pids = c.pids, .npids = c.npids,
				    .sel = &c.sel, .probes = ENGINE_PROBES_REQUIRED }, &sink,
				    CAPS_SAMPLING, &cli_stop, &out.failed, &err);
	cli_common_free(&c);
	if (rc < 0)
		return cli_report(&err);
	if (cli_stop)
		log_note("detached");
	return GS_EXIT_OK;
}
