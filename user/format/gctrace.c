// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "format/gctrace.h"
#include "util/log.h"

size_t gctrace_itoa_div(char *buf, size_t len, uint64_t val, int dec)
{
	/* Build right to left as the runtime does, in a 24-byte scratch buffer like its sbuf. */
	char tmp[24];
	int i = (int)sizeof(tmp) - 1, idec = i - dec;
	size_t n;

	while (val >= 10 || i >= idec) {
		tmp[i--] = (char)('0' + val % 10);
		if (i == idec)
			tmp[i--] = '.';
		val /= 10;
	}
	tmp[i] = (char)('0' + val);
	n = sizeof(tmp) - (size_t)i;
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp + i, n);
	buf[n] = 0;
	return n;
}

size_t gctrace_fmt_ns_as_ms(char *buf, size_t len, uint64_t ns)
{
	uint64_t x;
	int dec = 3;

	if (ns >= 10000000)
		return gctrace_itoa_div(buf, len, ns / 1000000, 0);
	x = ns / 1000;
	if (x == 0)
		return (size_t)snprintf(buf, len, "0");
	while (x >= 100) {
		x /= 10;
		dec--;
	}
	return gctrace_itoa_div(buf, len, x, dec);
}

/* Append to a bounded line buffer; the position saturates at the end of the buffer. */
struct line {
	char *buf;
	size_t len;
	size_t pos;
};

static void put(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->pos + n >= l->len)
		n = l->pos < l->len ? l->len - 1 - l->pos : 0;
	memcpy(l->buf + l->pos, s, n);
	l->pos += n;
	l->buf[l->pos] = 0;
}

static void put_ms(struct line *l, uint64_t ns)
{
	char tmp[32];

	gctrace_fmt_ns_as_ms(tmp, sizeof(tmp), ns);
	put(l, tmp);
}

static void put_u64(struct line *l, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	put(l, tmp);
}

size_t gctrace_format(const struct gs_gc_end *e, char *buf, size_t len)
{
	struct line l = { buf, len, 0 };
	double frac;
	char tmp[32];
	int64_t stw = e->stwprocs;
	/* The runtime converts each int64 duration with uint64(ns) before formatting. */
	uint64_t clock[3] = {
		(uint64_t)(e->t_mark - e->t_sweep_term),
		(uint64_t)(e->t_mark_term - e->t_mark),
		(uint64_t)(e->t_end - e->t_mark_term),
	};
	uint64_t cpu[5] = {
		(uint64_t)(stw * (e->t_mark - e->t_sweep_term)),
		(uint64_t)e->assist_time,
		(uint64_t)(e->dedicated_mark_time + e->fractional_mark_time),
		(uint64_t)e->idle_mark_time,
		(uint64_t)(stw * (e->t_end - e->t_mark_term)),
	};
	int i;

	buf[0] = 0;
	memcpy(&frac, &e->gc_cpu_fraction_bits, sizeof(frac));
	put(&l, "gc ");
	put_u64(&l, e->numgc);
	put(&l, " @");
	gctrace_itoa_div(tmp, sizeof(tmp),
			 (uint64_t)(e->t_sweep_term - e->runtime_init_time) / 1000000, 3);
	put(&l, tmp);
	snprintf(tmp, sizeof(tmp), "s %lld%%: ", (long long)(frac * 100));
	put(&l, tmp);
	for (i = 0; i < 3; i++) {
		if (i)
			put(&l, "+");
		put_ms(&l, clock[i]);
	}
	put(&l, " ms clock, ");
	for (i = 0; i < 5; i++) {
		if (i == 2 || i == 3)
			put(&l, "/");
		else if (i)
			put(&l, "+");
		put_ms(&l, cpu[i]);
	}
	put(&l, " ms cpu, ");
	put_u64(&l, e->heap0 >> 20);
	put(&l, "->");
	put_u64(&l, e->heap1 >> 20);
	put(&l, "->");
	put_u64(&l, e->heap2 >> 20);
	put(&l, " MB, ");
	put_u64(&l, e->last_heap_goal >> 20);
	put(&l, " MB goal, ");
	put_u64(&l, e->stack_scan >> 20);
	put(&l, " MB stacks, ");
	put_u64(&l, e->globals_scan >> 20);
	put(&l, " MB globals, ");
	snprintf(tmp, sizeof(tmp), "%d P", e->maxprocs);
	put(&l, tmp);
	if (e->user_forced)
		put(&l, " (forced)");
	return l.pos;
}

void gctrace_log_raw(int pid, const struct gs_gc_end *e)
{
	log_debug("PID %d: raw gc %u: cpu_fraction_bits=0x%llx init=%lld sweep_term=%lld "
		  "mark=%lld mark_term=%lld end=%lld stwprocs=%d maxprocs=%d forced=%u "
		  "heap0=%llu heap1=%llu heap2=%llu pause=%lld assist=%lld dedicated=%lld "
		  "fractional=%lld idle=%lld goal=%llu stacks=%llu globals=%llu",
		  pid, e->numgc, (unsigned long long)e->gc_cpu_fraction_bits,
		  (long long)e->runtime_init_time, (long long)e->t_sweep_term,
		  (long long)e->t_mark, (long long)e->t_mark_term, (long long)e->t_end,
		  e->stwprocs, e->maxprocs, e->user_forced, (unsigned long long)e->heap0,
		  (unsigned long long)e->heap1, (unsigned long long)e->heap2,
		  (long long)e->pause_ns, (long long)e->assist_time,
		  (long long)e->dedicated_mark_time, (long long)e->fractional_mark_time,
		  (long long)e->idle_mark_time, (unsigned long long)e->last_heap_goal,
		  (unsigned long long)e->stack_scan, (unsigned long long)e->globals_scan);
}
