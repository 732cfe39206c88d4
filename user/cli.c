// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>
#include "cli.h"
#include "target/proc.h"
#include "util/log.h"

volatile sig_atomic_t cli_stop;

static void on_signal(int sig)
{
	cli_stop = 1;
}

void cli_setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout (goscope … | head) shows up as a write error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

static const struct command commands[] = {
	{ "gctrace", "per-GC lines, byte-identical to GODEBUG=gctrace=1", cmd_gctrace },
	{ "top", "live dashboard of every Go process on the machine, or of the PIDs given", cmd_top },
	{ "ps", "list Go processes: PID, Go version, PIE/stripped/cgo, container, pod, attachable?",
	  cmd_ps },
	{ "stat", "one snapshot of heap, GC, scheduler and goroutine gauges", cmd_stat },
	{ "schedtrace", "scheduler lines in the target's GODEBUG=schedtrace format", cmd_schedtrace },
	{ "record", "JSON lines of every event and periodic samples, for log collectors", cmd_record },
	{ "serve", "Prometheus exporter (text exposition on 127.0.0.1:9464)", cmd_serve },
	{ "profile", "allocation sites or goroutine creation sites (opt-in probes), as a table or pprof",
	  cmd_profile },
	{ "stacks", "every goroutine's stack from outside, as the runtime prints it; groups, JSON, "
	  "pprof, leak suspects", cmd_stacks },
	{ "metrics", "catalog of every metric: name, unit, kind, description", cmd_metrics },
};

/* The command being run, for the usage hint of a bad command line. */
static const char *current = "COMMAND";

const struct command *cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(commands[i].name, name)) {
			current = commands[i].name;
			return &commands[i];
		}
	}
	return NULL;
}

/* "; see 'goscope CMD --help'" unless the message already points somewhere. */
static const char *usage_hint(const char *msg, char *buf, size_t len)
{
	if (strstr(msg, "--help"))
		return "";
	snprintf(buf, len, "; see 'goscope %s --help'", current);
	return buf;
}

/* What getopt_long just returned ('?' or ':') as a usage error naming the option. */
static int option_error(int c, char **argv, struct gs_err *err)
{
	/*
	 * getopt leaves a long option's text at argv[optind - 1]; a short one is named by optopt
	 * (0 for an unknown long option), and argv[optind - 1] may then be an earlier argument.
	 */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int n = strcspn(arg, "=");
	bool is_long = !strncmp(arg, "--", 2) && n > 2 &&
		       (c == ':' || !optopt || arg[n] == '=');

	if (is_long) {
		if (c == ':')
			return gs_fail(err, GS_EXIT_USAGE, "%s: option '%.*s' needs a value", current,
				       n, arg);
		if (optopt)
			return gs_fail(err, GS_EXIT_USAGE, "%s: option '%.*s' takes no value",
				       current, n, arg);
		return gs_fail(err, GS_EXIT_USAGE, "%s: unknown option '%.*s'", current, n, arg);
	}
	if (c == ':')
		return gs_fail(err, GS_EXIT_USAGE, "%s: option '-%c' needs a value", current, optopt);
	if (optopt > ' ' && optopt < 127)
		return gs_fail(err, GS_EXIT_USAGE, "%s: unknown option '-%c'", current, optopt);
	return gs_fail(err, GS_EXIT_USAGE, "%s: unknown option '%s'", current, arg);
}

void cli_usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: goscope COMMAND [OPTIONS] [PID... | --container NAME|ID | --pod [NS/]NAME]\n"
		"\n"
		"Shows what the runtime of a running, unmodified Go program is doing, from outside,\n"
		"with eBPF uprobes and read-only memory reads. Needs root (CAP_BPF, CAP_PERFMON and\n"
		"CAP_SYS_PTRACE). Supports Go 1.19 and newer on linux/amd64.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Run 'goscope COMMAND --help' for a command's options.\n"
		"\n"
		"Exit status:\n"
		"  0  success; also after Ctrl-C, SIGTERM, or when every target has exited\n"
		"  1  other error\n"
		"  2  bad command line\n"
		"  3  no such process; a --container or --pod naming no container or pod, or several\n"
		"  4  not a Go program\n"
		"  5  unsupported Go release\n"
		"  6  the runtime cannot be located (no symbols and no usable .gopclntab)\n"
		"  7  insufficient privileges (not root, or missing CAP_BPF/CAP_PERFMON/CAP_SYS_PTRACE)\n"
		"  8  kernel lacks uprobes or BPF ring buffers\n"
		"  9  attaching a probe failed\n"
		"  10 a packed Go program (UPX): its code is only in memory, no probe can reach it\n");
}

int cli_report(const struct gs_err *err)
{
	char hint[64];

	if (err->code == GS_EXIT_OK && !err->msg[0])
		return GS_EXIT_OK;
	if (err->code == GS_EXIT_USAGE) {
		fprintf(stderr, "goscope: %s%s\n", err->msg, usage_hint(err->msg, hint, sizeof(hint)));
		return GS_EXIT_USAGE;
	}
	fprintf(stderr, "goscope: %s\n", err->msg);
	return err->code ? (int)err->code : GS_EXIT_ERROR;
}

int cli_parse_duration(const char *s, uint64_t *ns)
{
	static const struct { const char *suffix; double scale; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "", 1e9 },
	};
	char *end;
	double v;
	size_t i;

	/* Decimal only: strtod also takes "nan", "inf", hex and leading blanks. */
	if (!(*s >= '0' && *s <= '9') && !(*s == '.' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v) || v < 0 ||
	    strspn(s, "0123456789.eE+-") < (size_t)(end - s))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(end, units[i].suffix)) {
			v *= units[i].scale;
			/* Converting a double at or past 2^64 to uint64_t is undefined. */
			if (v >= 18446744073709551616.0)
				return -1;
			*ns = (uint64_t)v;
			return 0;
		}
	}
	return -1;
}

int cli_flush_stdout(struct gs_err *err)
{
	if (!fflush(stdout) && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		return 0;
	return gs_fail(err, GS_EXIT_ERROR, "writing to standard output failed: %s",
		       strerror(errno));
}

int cli_output_path(const char **path, const char *arg, struct gs_err *err)
{
	if (*path)
		return gs_fail(err, GS_EXIT_USAGE, "-o given twice ('%s' and '%s')", *path, arg);
	/* A directory or an unwritable path is found when it is opened: exit 1. */
	if (!*arg)
		return gs_fail(err, GS_EXIT_USAGE, "-o needs a file name, not ''");
	*path = arg;
	return 0;
}

int cli_parse_budget(const char *s, double *fraction)
{
	char *end;
	double v;

	/* Plain decimal only (strtod would also take spaces, hex, exponents, inf and nan). */
	if (!s || !*s || strspn(s, "0123456789.") != strcspn(s, "%"))
		return -1;
	v = strtod(s, &end);
	if (end == s || (*end && strcmp(end, "%")) || !(v > 0) || v > 100)
		return -1;
	*fraction = v / 100;
	return 0;
}

/* ---- the shared parser ---- */

enum { OPT_GOROUTINES = 0x200, OPT_ALLOCS, OPT_BUDGET, OPT_CONTAINER, OPT_POD };

static const struct option verbosity_opts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
};
static const struct option all_opt = { "all", no_argument, NULL, 'a' };
static const struct option interval_opt = { "interval", required_argument, NULL, 'i' };
static const struct option optin_opts[] = {
	{ "goroutines", no_argument, NULL, OPT_GOROUTINES },
	{ "allocs", no_argument, NULL, OPT_ALLOCS },
	{ "budget", required_argument, NULL, OPT_BUDGET },
};
static const struct option select_opts[] = {
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "pod", required_argument, NULL, OPT_POD },
};
static const struct option help_opt = { "help", no_argument, NULL, 'h' };

#define PID_FLAGS	(CLI_PIDS | CLI_ONE_PID | CLI_PIDS_OR_ALL | CLI_PIDS_ANY)

#define MAX_OPTS	32

/* The getopt tables of a command: its own options, then the shared ones it takes. */
static int build_options(const struct cli_spec *spec, char *shortopts, size_t slen,
			 struct option *longopts)
{
	size_t n = 0, i;

	snprintf(shortopts, slen, ":%s%s%s%sh", spec->shortopts ? spec->shortopts : "",
		 spec->flags & CLI_VERBOSITY ? "qv" : "", spec->flags & CLI_PIDS_OR_ALL ? "a" : "",
		 spec->flags & CLI_INTERVAL ? "i:" : "");
	for (i = 0; spec->longopts && spec->longopts[i].name && n < MAX_OPTS - 11; i++)
		longopts[n++] = spec->longopts[i];
	if (spec->flags & CLI_VERBOSITY) {
		longopts[n++] = verbosity_opts[0];
		longopts[n++] = verbosity_opts[1];
	}
	if (spec->flags & CLI_PIDS_OR_ALL)
		longopts[n++] = all_opt;
	if (spec->flags & CLI_INTERVAL)
		longopts[n++] = interval_opt;
	if (spec->flags & CLI_OPTIN)
		for (i = 0; i < 3; i++)
			longopts[n++] = optin_opts[i];
	if (spec->flags & (PID_FLAGS | CLI_SELECT)) {
		longopts[n++] = select_opts[0];
		longopts[n++] = select_opts[1];
	}
	longopts[n++] = help_opt;
	memset(&longopts[n], 0, sizeof(longopts[n]));
	return 0;
}

static int interval_arg(const struct cli_spec *spec, const char *arg, uint64_t *ns,
			struct gs_err *err)
{
	char least[32];

	if (!cli_parse_duration(arg, ns) && *ns >= spec->min_interval_ns)
		return 0;
	if (!spec->min_interval_ns)
		return gs_fail(err, GS_EXIT_USAGE, "bad interval '%s': give a duration (e.g. 1s, "
			       "500ms; 0 for a single read)", arg);
	if (spec->min_interval_ns % 1000000000ull == 0)
		snprintf(least, sizeof(least), "%llus",
			 (unsigned long long)(spec->min_interval_ns / 1000000000ull));
	else
		snprintf(least, sizeof(least), "%llums",
			 (unsigned long long)(spec->min_interval_ns / 1000000ull));
	return gs_fail(err, GS_EXIT_USAGE, "bad interval '%s': give a duration of at least %s "
		       "(e.g. 1s, 500ms)", arg, least);
}

/* A shared option: 0 handled, -1 bad value, 1 not a shared option. */
static int common_option(const struct cli_spec *spec, int c, const char *arg,
			 struct cli_common *cc, struct gs_err *err)
{
	switch (c) {
	case 'q': cc->verbosity = -1; return 0;
	case 'v': cc->verbosity++; return 0;
	case 'a': cc->all = true; return 0;
	case 'i': return interval_arg(spec, arg, &cc->interval_ns, err);
	case OPT_GOROUTINES: cc->goroutines = true; return 0;
	case OPT_ALLOCS: cc->allocs = true; return 0;
	case OPT_CONTAINER: return selection_add(&cc->sel, SEL_CONTAINER, arg, err);
	case OPT_POD: return selection_add(&cc->sel, SEL_POD, arg, err);
	case OPT_BUDGET:
		if (cli_parse_budget(arg, &cc->budget))
			return gs_fail(err, GS_EXIT_USAGE, "bad budget '%s': give a percentage of one "
				       "CPU above 0 and at most 100, e.g. 1 or 0.5", arg);
		return 0;
	}
	return 1;
}

/* The PID arguments, as many as the command takes. */
static int pid_args(int argc, char **argv, const struct cli_spec *spec, struct cli_common *cc,
		    struct gs_err *err)
{
	unsigned int f = spec->flags;
	int n = argc - optind, i;
	bool sel = cc->sel.n > 0;

	if (!(f & PID_FLAGS) && n)
		return gs_fail(err, GS_EXIT_USAGE, "%s takes no arguments ('%s')", spec->name,
			       argv[optind]);
	if ((f & CLI_PIDS) && !n && !sel)
		return gs_fail(err, GS_EXIT_USAGE, "%s needs at least one PID, or --container or "
			       "--pod (see 'goscope ps')", spec->name);
	if ((f & CLI_ONE_PID) && (n > 1 || (n == 1) == sel))
		return gs_fail(err, GS_EXIT_USAGE, "%s %s exactly one PID, or --container or --pod "
			       "(see 'goscope ps')", spec->name, n || sel ? "takes" : "needs");
	if ((f & CLI_PIDS_OR_ALL) && cc->all && n)
		return gs_fail(err, GS_EXIT_USAGE, "%s takes PIDs or --all, not both (see 'goscope "
			       "ps')", spec->name);
	if ((f & CLI_PIDS_OR_ALL) && !cc->all && !n && !sel)
		return gs_fail(err, GS_EXIT_USAGE, "%s needs PIDs, --all, --container or --pod (see "
			       "'goscope ps')", spec->name);
	/* A selection that may grow: top, record and serve watch what starts in it later. */
	if ((f & (CLI_PIDS_OR_ALL | CLI_PIDS_ANY)) && sel)
		cc->all = true;
	cc->npids = n;
	cc->pids = calloc((size_t)n + 1, sizeof(*cc->pids));
	if (!cc->pids)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	for (i = 0; i < n; i++)
		if (proc_parse_pid(argv[optind + i], &cc->pids[i], err))
			return -1;
	return 0;
}

int cli_parse(int argc, char **argv, const struct cli_spec *spec, void *ctx, struct cli_common *c,
	      struct gs_err *err)
{
	struct option longopts[MAX_OPTS + 1];
	char shortopts[128];
	int opt, rc;

	build_options(spec, shortopts, sizeof(shortopts), longopts);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 'h') {
			spec->usage(stdout);
			return gs_fail(err, GS_EXIT_OK, "%s", "");
		}
		if (opt == '?' || opt == ':')
			return option_error(opt, argv, err);
		rc = common_option(spec, opt, optarg, c, err);
		if (rc == 1)
			rc = spec->option ? spec->option(ctx, opt, optarg, err) : 1;
		if (rc < 0)
			return -1;
		if (rc == 1)
			return option_error('?', argv, err);
	}
	if (spec->flags & CLI_VERBOSITY)
		log_set_verbosity(c->verbosity);
	return pid_args(argc, argv, spec, c, err);
}

void cli_common_free(struct cli_common *c)
{
	free(c->pids);
	c->pids = NULL;
	selection_free(&c->sel);
}
