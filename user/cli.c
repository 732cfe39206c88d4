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
#include "engine/engine.h"
#include "util/log.h"
#include "target/proc.h"
#include "target/sampler.h"
#include "target/target.h"

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
	{ "ps", "list Go processes: PID, Go version, PIE/stripped/cgo, attachable?", cmd_ps },
	{ "stat", "one snapshot of heap, GC, scheduler and goroutine gauges", cmd_stat },
	{ "schedtrace", "scheduler lines in the target's GODEBUG=schedtrace format", cmd_schedtrace },
	{ "record", "JSON lines of every event and periodic samples, for log collectors", cmd_record },
	{ "serve", "Prometheus exporter (text exposition on 127.0.0.1:9464)", cmd_serve },
	{ "profile", "allocation sites or goroutine creation sites (opt-in probes), as a table or pprof", cmd_profile },
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

int cli_bad_usage(const char *fmt, ...)
{
	char msg[512], hint[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "goscope: %s%s\n", msg, usage_hint(msg, hint, sizeof(hint)));
	return GS_EXIT_USAGE;
}

int cli_bad_option(int c, char **argv)
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
			return cli_bad_usage("%s: option '%.*s' needs a value", current, n, arg);
		if (optopt)
			return cli_bad_usage("%s: option '%.*s' takes no value", current, n, arg);
		return cli_bad_usage("%s: unknown option '%.*s'", current, n, arg);
	}
	if (c == ':')
		return cli_bad_usage("%s: option '-%c' needs a value", current, optopt);
	if (optopt > ' ' && optopt < 127)
		return cli_bad_usage("%s: unknown option '-%c'", current, optopt);
	return cli_bad_usage("%s: unknown option '%s'", current, arg);
}

void cli_usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: goscope COMMAND [OPTIONS] [PID...]\n"
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
		"  3  no such process\n"
		"  4  not a Go program\n"
		"  5  unsupported Go release\n"
		"  6  the runtime cannot be located (no symbols and no usable .gopclntab)\n"
		"  7  insufficient privileges (not root, or missing CAP_BPF/CAP_PERFMON/CAP_SYS_PTRACE)\n"
		"  8  kernel lacks uprobes or BPF ring buffers\n"
		"  9  attaching a probe failed\n");
}

int cli_report(const struct gs_err *err)
{
	char hint[64];

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

bool cli_sleep(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (!cli_stop && nanosleep(&ts, &ts))
		;
	return cli_stop;
}

int cli_open_sampled(const char *pid_arg, struct target **t, struct sampler **sm,
		     struct gs_err *err)
{
	pid_t pid;

	*t = NULL;
	*sm = NULL;
	if (proc_parse_pid(pid_arg, &pid, err))
		return -1;
	*t = target__open(pid, err);
	if (!*t)
		return -1;
	*sm = sampler__new(pid, (*t)->bin, (*t)->bias, &(*t)->rt, err);
	return *sm ? 0 : -1;
}

int cli_watch_interval(const char *arg, uint64_t *ns, struct gs_err *err)
{
	if (cli_parse_duration(arg, ns) || *ns < CLI_MIN_INTERVAL_NS)
		return gs_fail(err, GS_EXIT_USAGE, "bad interval '%s': give a duration of at least "
			       "100ms (e.g. 1s, 500ms)", arg);
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

int cli_optin_option(int c, const char *arg, struct watch_opts *wo, struct gs_err *err)
{
	switch (c) {
	case CLI_OPT_GOROUTINES:
		wo->goroutines = true;
		return 1;
	case CLI_OPT_ALLOCS:
		wo->allocs = true;
		return 1;
	case CLI_OPT_BUDGET:
		if (cli_parse_budget(arg, &wo->budget))
			return gs_fail(err, GS_EXIT_USAGE, "bad budget '%s': give a percentage of one "
				       "CPU above 0 and at most 100, e.g. 1 or 0.5", arg);
		return 1;
	}
	return 0;
}
