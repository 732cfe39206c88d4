/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Subcommands, the command-line parser they share, and the stop flag. */
#ifndef GS_CLI_H
#define GS_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "container/select.h"

struct gs_err;

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
int cmd_stacks(int argc, char **argv);

/* What a command's line may hold besides its own options. */
enum cli_flags {
	CLI_VERBOSITY	= 1 << 0,	/* -q, --quiet; -v, --verbose (repeatable) */
	CLI_INTERVAL	= 1 << 1,	/* -i, --interval DUR (at least min_interval_ns) */
	CLI_OPTIN	= 1 << 2,	/* --goroutines, --allocs, --budget PCT */
	/* PID arguments: */
	CLI_PIDS	= 1 << 3,	/* one or more */
	CLI_ONE_PID	= 1 << 4,	/* exactly one */
	CLI_PIDS_OR_ALL	= 1 << 5,	/* one or more, or -a/--all, not both */
	CLI_PIDS_ANY	= 1 << 6,	/* none or more */
	/*
	 * --container, --pod: taken wherever PIDs are, and by commands with this flag. They stand
	 * for PIDs; top, record and serve (PIDs or --all, or none) follow the selection.
	 */
	CLI_SELECT	= 1 << 7,
};

/* A command's command line. */
struct cli_spec {
	const char *name;
	unsigned int flags;		/* enum cli_flags */
	void (*usage)(FILE *out);
	const char *shortopts;		/* the command's own, getopt style ("o:n:"); may be NULL */
	const struct option *longopts;	/* the command's own, zero-terminated; may be NULL */
	/*
	 * One of the command's own options: 0 when handled, -1 with err set when its value is bad,
	 * 1 when c is not one of its options.
	 */
	int (*option)(void *ctx, int c, const char *arg, struct gs_err *err);
	uint64_t min_interval_ns;	/* with CLI_INTERVAL; 0 allows -i 0 */
};

/* What the shared part of a command line said. */
struct cli_common {
	int verbosity;			/* -1 quiet, 0, 1 (-v), 2 (-vv) … */
	pid_t *pids;			/* cli_common_free() frees them */
	int npids;
	bool all;
	struct selection sel;		/* --container, --pod */
	uint64_t interval_ns;		/* as given, or the default the caller put there */
	bool goroutines, allocs;	/* the opt-in probe sets */
	double budget;			/* their budget, a share of one CPU; 0: not given */
};

/*
 * Parse argv (argv[0] is the command's name): the spec's own options through spec->option and
 * the shared ones into *c (which the caller may preset with defaults), then the PID arguments.
 * -h/--help prints the usage and fails with code GS_EXIT_OK and no message; a bad command line
 * fails with GS_EXIT_USAGE and one line saying what is wrong. Sets the log verbosity.
 */
int cli_parse(int argc, char **argv, const struct cli_spec *spec, void *ctx, struct cli_common *c,
	      struct gs_err *err);
void cli_common_free(struct cli_common *c);

/*
 * Flush standard output at the end of a report. A reader that went away (| head) is no error:
 * returns 0; another write error fails with GS_EXIT_ERROR.
 */
int cli_flush_stdout(struct gs_err *err);

/* -o FILE: a name, given once. Returns 0, or -1 with err set (GS_EXIT_USAGE). */
int cli_output_path(const char **path, const char *arg, struct gs_err *err);

/* Parse "1s", "500ms", "2.5s", "100us" or a bare number of seconds into nanoseconds. */
int cli_parse_duration(const char *s, uint64_t *ns);

/* Parse a budget in percent of one CPU ("1", "0.5", "2%") into a fraction in (0, 1]. */
int cli_parse_budget(const char *s, double *fraction);

/* The help lines of the shared options, for the commands' usage texts. */
#define CLI_SELECT_HELP \
	"      --container NAME|ID\n" \
	"                       the Go programs in this container: its name or a prefix of\n" \
	"                       its ID (repeatable; top, record and serve also take those\n" \
	"                       that start in it later)\n" \
	"      --pod [NS/]NAME  the same for a Kubernetes pod (repeatable)\n"

#define CLI_OPTIN_HELP \
	"      --goroutines     opt-in: probe goroutine creation and exit (live goroutines\n" \
	"                       by the go statement that created them)\n" \
	"      --allocs         opt-in: probe the runtime's allocation sampling (bytes and\n" \
	"                       objects by allocation site)\n" \
	"      --budget PCT     what the opt-in probes may cost each process, in percent of\n" \
	"                       one CPU (default 1); above it they are detached\n"

/*
 * Print a failure the way every command does: "goscope: <msg>" (a bad command line with the
 * usage hint "; see 'goscope CMD --help'"), and return its exit code. An error with code
 * GS_EXIT_OK and no message (after --help) prints nothing.
 */
int cli_report(const struct gs_err *err);

#endif
