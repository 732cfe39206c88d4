/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef GS_LOG_H
#define GS_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/*
 * Exit codes, one per kind of failure, so scripts can tell them apart. Listed in --help and the
 * README; never renumber one.
 */
enum gs_exit {
	GS_EXIT_OK		= 0,
	GS_EXIT_ERROR		= 1,	/* anything not listed below */
	GS_EXIT_USAGE		= 2,	/* bad command line */
	GS_EXIT_NO_PROCESS	= 3,	/* no such PID */
	GS_EXIT_NOT_GO		= 4,	/* the process is not a Go program */
	GS_EXIT_GO_VERSION	= 5,	/* Go release goscope does not support */
	GS_EXIT_NO_DEBUG_INFO	= 6,	/* runtime not locatable: no symbols, no usable .gopclntab */
	GS_EXIT_PERMISSION	= 7,	/* not root / missing CAP_BPF, CAP_PERFMON, ptrace access */
	GS_EXIT_KERNEL		= 8,	/* kernel lacks BPF ring buffers or uprobes */
	GS_EXIT_ATTACH		= 9,	/* attaching a probe failed */
	GS_EXIT_PACKED		= 10,	/* a packed Go program (UPX): its code is in no file */
};

/* On its way to the user: an exit code and one line saying what is wrong and what to do. */
struct gs_err {
	enum gs_exit code;
	char msg[512];
};

/* Fill err (if not NULL) and return -1, so callers can write "return gs_fail(err, ...)". */
int gs_fail(struct gs_err *err, enum gs_exit code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "PREFIX: " in front of err's message (e.g. "PID 1234"). */
void gs_err_prefix(struct gs_err *err, const char *prefix);

void log_set_verbosity(int level);
int log_verbosity(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Levels: warnings (lost data, failures) always print; notes (attaching, waiting, target exited)
 * print unless -q; info with -v; debug, libbpf's included, with -vv.
 */
#define log_warn(...)	log_msg(-1, __VA_ARGS__)
#define log_note(...)	log_msg(0, __VA_ARGS__)
#define log_info(...)	log_msg(1, __VA_ARGS__)
#define log_debug(...)	log_msg(2, __VA_ARGS__)

/*
 * Send messages that pass the verbosity filter to fn instead of stderr (the dashboard shows them
 * in its status line); NULL restores stderr. msg has no "goscope: " prefix and no newline.
 */
void log_set_sink(void (*fn)(void *ctx, int level, const char *msg), void *ctx);

/* Route libbpf's own messages through log_msg, filtered by verbosity. */
void log_setup_libbpf(void);

#endif
