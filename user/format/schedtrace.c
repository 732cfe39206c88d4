// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "format/schedtrace.h"

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n < o->len - o->pos ? (size_t)n : o->len - o->pos - 1;
}

size_t schedtrace_format(const struct rt_sample *s, int minor, uint64_t ms, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	bool spaced = minor >= 25;
	int i;

	buf[0] = 0;
	put(&o, "SCHED %llums: gomaxprocs=%d idleprocs=%d threads=%d spinningthreads=%d",
	    (unsigned long long)ms, s->gomaxprocs, s->idle_procs, s->threads, s->spinning_threads);
	if (minor >= 20)
		put(&o, " needspinning=%d", s->need_spinning);
	put(&o, " idlethreads=%d runqueue=%d", s->idle_threads, s->runqueue);
	for (i = 0; i < s->nprocs; i++) {
		put(&o, " ");
		if (i == 0)
			put(&o, spaced ? "[ " : "[");
		put(&o, "%u", s->p_runq[i]);
		if (i == s->nprocs - 1)
			put(&o, spaced ? " ]" : "]");
	}
	if (spaced) {
		put(&o, " schedticks=[ ");
		for (i = 0; i < s->nprocs; i++)
			put(&o, "%u ", s->p_schedtick[i]);
		put(&o, "]");
	}
	return o.pos;
}
