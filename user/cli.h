/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Subcommands, their shared option handling and the stop flag. */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Set by SIGINT, SIGTERM and SIGHUP; every loop checks it. */
extern volatile sig_atomic_t cli_stop;

/*
 * Stop cleanly on SIGINT, SIGTERM and SIGHUP (the terminal or ssh session went away); no
 * SA_RESTART, so blocking calls return EINTR. Ignore SIGPIPE: a closed stdout is a write error.
 */
void cli_setup_signals(void);

/* The shortest sampling interval the periodic commands accept. */
#define CLI_MIN_INTERVAL_NS 100000000ull

struct gs_err;

/* -i of the commands that watch (top, record, serve): a duration of at least 100 ms. Returns 0,
 * or -1 with err set (GS_EXIT_USAGE). */
int cli_watch_interval(const char *arg, uint64_t *ns, struct gs_err *err);

const struct command *cli_find(const char *name);
void cli_usage(FILE *out);

int cmd_gctrace(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_schedtrace(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_profile(int argc, char **argv);

/* Parse "1s", "500ms", "2.5s", "100us" or a bare number of seconds into nanoseconds. */
int cli_parse_duration(const char *s, uint64_t *ns);

/* Long options of the opt-in probes, shared by top, record, serve and profile. */
enum { CLI_OPT_GOROUTINES = 0x200, CLI_OPT_ALLOCS, CLI_OPT_BUDGET };
#define CLI_OPTIN_LONG_OPTIONS \
	{ "goroutines", no_argument, NULL, CLI_OPT_GOROUTINES }, \
	{ "allocs", no_argument, NULL, CLI_OPT_ALLOCS }, \
	{ "budget", required_argument, NULL, CLI_OPT_BUDGET }
#define CLI_OPTIN_HELP \
	"      --goroutines     opt-in: probe goroutine creation and exit (live goroutines\n" \
	"                       by the go statement that created them)\n" \
	"      --allocs         opt-in: probe the runtime's allocation sampling (bytes and\n" \
	"                       objects by allocation site)\n" \
	"      --budget PCT     what the opt-in probes may cost each process, in percent of\n" \
	"                       one CPU (default 1); above it they are detached\n"

struct watch_opts;
struct gs_err;

/* Handle one of those: 1 when c was one (0 when not), -1 with err on a bad value. */
int cli_optin_option(int c, const char *arg, struct watch_opts *wo, struct gs_err *err);

/* Parse a budget in percent of one CPU ("1", "0.5", "2%") into a fraction in (0, 1]. */
int cli_parse_budget(const char *s, double *fraction);

/* Sleep up to ns, returning early (true) when cli_stop is set. */
bool cli_sleep(uint64_t ns);

struct target;
struct sampler;
struct gs_err;

/* Parse a PID argument, resolve the target and prepare sampling it (stat, schedtrace). */
int cli_open_sampled(const char *pid_arg, struct target **t, struct sampler **sm,
		     struct gs_err *err);

/*
 * A bad command line: print "goscope: MSG; see 'goscope CMD --help'" (one line, nothing else) and
 * return GS_EXIT_USAGE. cli_bad_option does it for what getopt_long just returned ('?' or ':'),
 * which needs opterr = 0 and an optstring starting with ':'.
 */
int cli_bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_bad_option(int c, char **argv);

/* Print a failure the way every command does: "goscope: <msg>" (a bad command line with the
 * usage hint), return its exit code. */
int cli_report(const struct gs_err *err);

#endif
