// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The walk of every goroutine (allgs) from outside: their g structs read in merged ranges, under
 * a time budget after which the walk says it is partial. It counts goroutines by state and wait
 * reason for a sample, and lists them for the goroutine probes' seeding.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "target/sampler_int.h"
#include "gobin/gobin.h"
#include "util/clock.h"

/*
 * A system goroutine, as the runtime's isSystemGoroutine decides for a parked one: its start
 * function is in package runtime, except runtime.main and the finalizer and cleanup goroutines
 * while they run user code.
 */
static bool is_system_goroutine(struct sampler *s, uint64_t startpc, uint32_t status)
{
	size_t slot = (startpc >> 4) % (sizeof(s->sys_cache) / sizeof(s->sys_cache[0]));
	const char *fn;

	/* Only the finalizer and cleanup goroutines depend on the status: never cached. */
	if (s->sys_cache[slot].pc == startpc && s->sys_cache[slot].sys >= 0)
		return s->sys_cache[slot].sys;
	fn = gobin__func_name_at(s->bin, startpc - s->bias);
	if (fn && (!strcmp(fn, "runtime.runfinq") || !strcmp(fn, "runtime.runFinalizers") ||
		   !strcmp(fn, "runtime.runCleanups")))
		return status != 2 && status != 1;
	s->sys_cache[slot].pc = startpc;
	s->sys_cache[slot].sys = fn && !strncmp(fn, "runtime.", 8) && strcmp(fn, "runtime.main") &&
				 strcmp(fn, "runtime.corostart");
	return s->sys_cache[slot].sys;
}

static enum gstate fold_status(uint32_t status)
{
	switch (status) {
	case 1: return GSTATE_RUNNABLE;		/* _Grunnable */
	case 9: return GSTATE_RUNNABLE;		/* _Gpreempted: resumes as runnable */
	case 2: return GSTATE_RUNNING;		/* _Grunning */
	case 3: return GSTATE_SYSCALL;		/* _Gsyscall */
	case 4: return GSTATE_WAITING;		/* _Gwaiting */
	default: return GSTATE_OTHER;
	}
}

/* The part of a g the walk reads: from the lowest to the highest field it needs. */
#define GWINDOW_MAX	512
/* g structs sit side by side in heap spans: reads merge neighbours closer than this. */
#define GMERGE_GAP	1024
#define GRANGE_MAX	(64 * 1024)
#define GBUF_BYTES	(4 * 1024 * 1024)

static int cmp_ptr(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Where the walk's window of a g starts (its lowest field) and how long it is. */
static void g_window(const struct rt_layout *rt, uint64_t *lo, uint64_t *win)
{
	static const enum rt_field f[] = { RT_G_ATOMICSTATUS, RT_G_WAITREASON, RT_G_STARTPC,
					   RT_G_GOID, RT_G_GOPC };
	static const unsigned int len[] = { 4, 1, 8, 8, 8 };
	uint64_t l = UINT64_MAX, h = 0;
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (rt->v[f[i]] < l)
			l = rt->v[f[i]];
		if (rt->v[f[i]] + len[i] > h)
			h = rt->v[f[i]] + len[i];
	}
	*lo = l;
	*win = h - l;
}

static void count_g(struct sampler *s, struct rt_sample *o, const unsigned char *g, uint64_t lo,
		    sampler_g_fn *fn, void *ctx)
{
	const struct rt_layout *rt = s->rt;
	uint32_t st;
	uint64_t startpc;
	bool sys;

	memcpy(&st, g + rt->v[RT_G_ATOMICSTATUS] - lo, 4);
	memcpy(&startpc, g + rt->v[RT_G_STARTPC] - lo, 8);
	st &= ~G_STATUS_SCAN;
	if (st == 6 || st == 11)	/* _Gdead, _Gdeadextra */
		return;
	sys = is_system_goroutine(s, startpc, st);
	if (fn) {
		struct sampler_g v = { .status = st, .startpc = startpc, .system = sys };

		memcpy(&v.goid, g + rt->v[RT_G_GOID] - lo, 8);
		memcpy(&v.gopc, g + rt->v[RT_G_GOPC] - lo, 8);
		fn(ctx, &v);
	}
	if (!o)
		return;
	if (sys) {
		o->gstate_sys++;
		return;
	}
	o->gstate[fold_status(st)]++;
	if (st == 4)
		o->wait_reason[g[rt->v[RT_G_WAITREASON] - lo]]++;
}

/*
 * Read the windows of gs[first, *next) into s->gbuf with as few iovecs as possible: gs is
 * sorted, and neighbours closer than GMERGE_GAP share one read. Stops when the iovecs or the
 * buffer run out. offs[k] receives where g k's window starts in the buffer.
 */
static int read_g_windows(struct sampler *s, const uint64_t *gs, uint64_t first, uint64_t n,
			  uint64_t lo, uint64_t win, uint64_t *offs, uint64_t *next)
{
	struct remote_batch *b = s->gbatch;
	uint64_t used = 0, k = first, rstart = 0, rend = 0;
	bool open_range = false;

	remote_init(b, s->pid);
	for (; k < n; k++) {
		uint64_t a = gs[k] + lo;

		if (open_range && a <= rend + GMERGE_GAP && a + win - rstart <= GRANGE_MAX) {
			offs[k - first] = used + (a - rstart);
			rend = a + win;
			continue;
		}
		if (open_range) {
			remote_add(b, rstart, s->gbuf + used, rend - rstart);
			used += rend - rstart;
		}
		if (b->n == REMOTE_BATCH_MAX - 1 || used + GRANGE_MAX > GBUF_BYTES) {
			open_range = false;
			break;
		}
		rstart = a;
		rend = a + win;
		offs[k - first] = used;
		open_range = true;
	}
	if (open_range)
		remote_add(b, rstart, s->gbuf + used, rend - rstart);
	*next = k;
	return remote_flush(b);
}

/*
 * Walk allgs[0:allglen] within budget_ns (0: no limit), counting into o (may be NULL) and
 * showing every live g to fn (may be NULL).
 */
static int walk_gs(struct sampler *s, const struct scalars *v, struct rt_sample *o,
		   uint64_t budget_ns, sampler_g_fn *fn, void *ctx)
{
	uint64_t n = v->allglen < v->allgs[1] ? v->allglen : v->allgs[1];
	uint64_t start = clock_mono_ns(), i, next, k, lo, win;
	bool partial = false;

	g_window(s->rt, &lo, &win);
	if (o) {
		memset(o->gstate, 0, sizeof(o->gstate));
		memset(o->wait_reason, 0, sizeof(o->wait_reason));
		o->gstate_sys = 0;
		o->gwalk_seen = 0;
		o->gwalk_partial = false;
	}
	if (!n)
		return 0;
	if (win > GWINDOW_MAX)
		return -EINVAL;
	if (n > s->gptrs_cap) {
		uint64_t *p = realloc(s->gptrs, n * sizeof(*p));
		uint64_t *q = realloc(s->goffs, n * sizeof(*q));

		if (p)
			s->gptrs = p;
		if (q)
			s->goffs = q;
		if (!p || !q)
			return -ENOMEM;
		s->gptrs_cap = n;
	}
	if (!s->gbatch)
		s->gbatch = malloc(sizeof(*s->gbatch));
	if (!s->gbuf)
		s->gbuf = malloc(GBUF_BYTES);
	if (!s->gbatch || !s->gbuf)
		return -ENOMEM;
	remote_init(s->gbatch, s->pid);
	remote_add(s->gbatch, v->allgs[0], s->gptrs, n * 8);
	if (remote_flush(s->gbatch))
		return -EFAULT;
	qsort(s->gptrs, n, sizeof(*s->gptrs), cmp_ptr);
	for (i = 0; i < n; i = next) {
		if (budget_ns && clock_mono_ns() - start > budget_ns) {
			partial = true;
			break;
		}
		/* A g freed under us, or a gap that is not mapped, reads as zeros: never garbage. */
		read_g_windows(s, s->gptrs, i, n, lo, win, s->goffs, &next);
		for (k = i; k < next; k++)
			count_g(s, o, s->gbuf + s->goffs[k - i], lo, fn, ctx);
		if (o)
			o->gwalk_seen += next - i;
	}
	if (o) {
		o->gwalk_partial = partial;
		o->gwalk_ns = clock_mono_ns() - start;
	}
	return 0;
}

int sampler_walk_goroutines(struct sampler *s, const struct scalars *v, struct rt_sample *o)
{
	if (!s->gwalk_budget_ns) {	/* the walk is turned off: counts stay zero */
		memset(o->gstate, 0, sizeof(o->gstate));
		memset(o->wait_reason, 0, sizeof(o->wait_reason));
		o->gstate_sys = o->gwalk_seen = 0;
		o->gwalk_partial = false;
		return 0;
	}
	return walk_gs(s, v, o, s->gwalk_budget_ns, NULL, NULL);
}

int sampler__walk_gs(struct sampler *s, sampler_g_fn *fn, void *ctx)
{
	struct scalars v;
	int ret = sampler_read_scalars(s, &v);

	if (ret)
		return ret;
	return walk_gs(s, &v, NULL, 0, fn, ctx);
}
