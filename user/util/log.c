// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "util/log.h"

static int verbosity;
static void (*sink_fn)(void *ctx, int level, const char *msg);
static void *sink_ctx;

int gs_fail(struct gs_err *err, enum gs_exit code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void gs_err_prefix(struct gs_err *err, const char *prefix)
{
	char tmp[sizeof(err->msg) + 64];

	snprintf(tmp, sizeof(tmp), "%s: %s", prefix, err->msg);
	snprintf(err->msg, sizeof(err->msg), "%.*s", (int)sizeof(err->msg) - 1, tmp);
}

void log_set_verbosity(int level)
{
	verbosity = level;
}

int log_verbosity(void)
{
	return verbosity;
}

void log_set_sink(void (*fn)(void *ctx, int level, const char *msg), void *ctx)
{
	sink_fn = fn;
	sink_ctx = ctx;
}

static void emit(int level, const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (sink_fn)
		sink_fn(sink_ctx, level, msg);
	else
		fprintf(stderr, "%s%s\n", prefix, msg);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > verbosity)
		return;
	va_start(ap, fmt);
	emit(level, "goscope: ", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int want = level == LIBBPF_WARN ? 1 : 2;

	if (want > verbosity)
		return 0;
	emit(want, "libbpf: ", fmt, ap);
	return 0;
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
