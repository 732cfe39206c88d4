// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope gctrace PID…: one line per GC cycle, as GODEBUG=gctrace=1 prints it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/caps.h"
#include "cli.h"
#include "engine/events.h"
#include "util/log.h"
#include "target/probes.h"
#include "target/proc.h"
#include "target/target.h"
#include "format/gctrace.h"

#define POLL_MS 200

struct gctrace_session {
	struct target **targets;
	int ntargets;
	int live;		/* targets still attached */
	bool prefix;		/* "[PID] " before each line: more than one target */
	bool out_failed;
	struct probes *probes;
	struct events *events;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope gctrace [OPTIONS] PID [PID...]\n"
		"\n"
		"Print one line per GC cycle of each Go process, byte-identical to the line the Go\n"
		"runtime prints with GODEBUG=gctrace=1 for the same cycle. Lines start with the first\n"
		"cycle that ends after goscope attaches; a skipped cycle is reported on stderr as\n"
		"\"missed N GC cycles\". With more than one PID every line starts with \"[PID] \".\n"
		"Runs until Ctrl-C or SIGTERM, or until every target has exited.\n"
		"\n"
		"Options:\n"
		"  -q, --quiet     no status messages on stderr (lost-data warnings still print)\n"
		"  -v, --verbose   more detail on stderr (each GC start, up to Go 1.20); -vv adds libbpf messages\n"
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

static void on_gc_start(void *ctx, struct target *t, const struct gs_gc_start *e)
{
	log_info("PID %d: gc %u started: %s", t->pid, e->numgc + 1, trigger_name(e->trigger_kind));
}

static void on_gc_end(void *ctx, struct target *t, const struct gs_gc_end *e)
{
	struct gctrace_session *s = ctx;
	char line[GCTRACE_LINE_MAX];

	gctrace_format(e, line, sizeof(line));
	if (log_verbosity() >= 2)
		log_debug("PID %d: raw gc %u: cpu_fraction_bits=0x%llx init=%lld sweep_term=%lld "
			  "mark=%lld mark_term=%lld end=%lld stwprocs=%d maxprocs=%d forced=%u "
			  "heap0=%llu heap1=%llu heap2=%llu pause=%lld assist=%lld dedicated=%lld "
			  "fractional=%lld idle=%lld goal=%llu stacks=%llu globals=%llu",
			  t->pid, e->numgc, (unsigned long long)e->gc_cpu_fraction_bits,
			  (long long)e->runtime_init_time, (long long)e->t_sweep_term,
			  (long long)e->t_mark, (long long)e->t_mark_term, (long long)e->t_end,
			  e->stwprocs, e->maxprocs, e->user_forced, (unsigned long long)e->heap0,
			  (unsigned long long)e->heap1, (unsigned long long)e->heap2,
			  (long long)e->pause_ns, (long long)e->assist_time,
			  (long long)e->dedicated_mark_time, (long long)e->fractional_mark_time,
			  (long long)e->idle_mark_time, (unsigned long long)e->last_heap_goal,
			  (unsigned long long)e->stack_scan, (unsigned long long)e->globals_scan);
	if (s->prefix)
		printf("[%d] ", t->pid);
	puts(line);
	if (fflush(stdout) || ferror(stdout))
		s->out_failed = true;
}

static int parse_args(int argc, char **argv, struct gctrace_session *s, struct gs_err *err)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, verbosity = 0, i;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'q': verbosity = -1; break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); exit(GS_EXIT_OK);
		default: exit(cli_bad_option(c, argv));
		}
	}
	log_set_verbosity(verbosity);
	if (optind >= argc)
		return gs_fail(err, GS_EXIT_USAGE, "gctrace needs at least one PID (see 'goscope ps')");
	s->ntargets = argc - optind;
	s->targets = calloc((size_t)s->ntargets, sizeof(*s->targets));
	if (!s->targets)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	for (i = 0; i < s->ntargets; i++) {
		pid_t pid;

		if (proc_parse_pid(argv[optind + i], &pid, err))
			return -1;
		s->targets[i] = target__open(pid, err);
		if (!s->targets[i]) {
			char who[32];

			snprintf(who, sizeof(who), "PID %d", pid);
			gs_err_prefix(err, who);
			return -1;
		}
	}
	s->prefix = s->ntargets > 1;
	return 0;
}

static int attach_all(struct gctrace_session *s, struct gs_err *err)
{
	const struct event_sink sink = { .ctx = s, .gc_start = on_gc_start, .gc_end = on_gc_end };
	char desc[128];
	int i;

	s->probes = probes__open(err);
	if (!s->probes)
		return -1;
	s->events = events__new(s->probes, &sink, err);
	if (!s->events)
		return -1;
	for (i = 0; i < s->ntargets; i++) {
		struct target *t = s->targets[i];

		events__set_target(s->events, (unsigned int)i, t);
		if (target__attach(t, s->probes, (unsigned int)i, false, err))
			return -1;
		s->live++;
		log_note("attached to %s: %u GC cycles so far; waiting for the next one",
			 target__describe(t, desc, sizeof(desc)), t->numgc_at_attach);
	}
	/* Everything is attached: reading the targets is all that is left to do. */
	caps_keep_only(CAPS_SAMPLING);
	return 0;
}

/* Reap targets that exited, after handling whatever they left in the ring buffer. */
static void check_exits(struct gctrace_session *s)
{
	int i;

	for (i = 0; i < s->ntargets; i++) {
		struct target *t = s->targets[i];

		if (!t->attached)
			continue;
		events__check_drops(s->events, t);
		if (!target__gone(t))
			continue;
		events__drain(s->events);
		events__check_drops(s->events, t);
		if (!t->execed)
			log_note("PID %d exited after gc %u", t->pid, t->last_numgc);
		target__detach(t, s->probes);
		t->exited = true;
		s->live--;
	}
}

static int run_loop(struct gctrace_session *s, struct gs_err *err)
{
	while (!cli_stop && s->live > 0 && !s->out_failed) {
		int n = events__poll(s->events, POLL_MS);

		if (n < 0)
			return gs_fail(err, GS_EXIT_ERROR, "reading the ring buffer failed: %s",
				       strerror(-n));
		check_exits(s);
	}
	if (!s->out_failed)
		events__drain(s->events);
	return 0;
}

static void session_free(struct gctrace_session *s)
{
	int i;

	/* Detach before anything else goes away: the target runs on, un-instrumented. */
	for (i = 0; i < s->ntargets && s->probes; i++)
		if (s->targets[i])
			target__detach(s->targets[i], s->probes);
	events__free(s->events);
	probes__free(s->probes);
	for (i = 0; i < s->ntargets; i++)
		target__free(s->targets[i]);
	free(s->targets);
}

int cmd_gctrace(int argc, char **argv)
{
	struct gctrace_session s = { 0 };
	struct gs_err err = { 0 };
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	if (parse_args(argc, argv, &s, &err) || attach_all(&s, &err) || run_loop(&s, &err))
		ret = cli_report(&err);
	else if (cli_stop)
		log_note("detached");
	session_free(&s);
	return ret;
}
