// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/sites.h"
#include "util/clock.h"
#include "gobin/gobin.h"
#include "gobin/gotarget.h"

#define MAX_GSITES	4096		/* go statements tracked; later ones count as "other" */
#define MAX_STACKS	65536		/* distinct allocation stacks kept */
#define HIST_N		16		/* live-count history points per site … */
#define HIST_STEP_NS	5000000000ull	/* … one every 5 s: 80 s of history */
#define GROWTH_NS	60000000000ull	/* growth is measured over about a minute */

struct gentry {			/* a live goroutine */
	uint64_t goid;		/* 0: empty slot */
	uint64_t created_ns;	/* 0: alive at attach */
	uint32_t site;
};

struct gsite_int {
	struct gsite pub;
	uint64_t gopc, startpc;
	bool named;
	uint64_t hist[HIST_N];
};

struct stack {
	uint64_t hash;
	uint32_t n;
	uint64_t pcs[GS_MAX_FRAMES];
	double bytes, objects;
	uint64_t samples;
};

struct symcache {
	uint64_t key;		/* pc << 1 | return_addr; 0: empty */
	struct site_loc loc;
};

struct sites {
	struct gobin *bin;
	uint64_t bias;

	struct gentry *g;		/* open addressing by goid, linear probing */
	size_t gcap, glive;
	struct gsite_int *gs;
	size_t ngs;
	uint32_t *gsidx;		/* open addressing by gopc: index + 1 into gs */
	size_t gsidx_cap;
	uint64_t unknown_exits;
	bool recount;			/* seeding a recount, not the first walk */
	struct gsite *gout;

	struct stack *st;
	size_t nst, stcap;
	uint32_t *stidx;		/* open addressing by hash: index + 1 into st */
	size_t stidx_cap;
	uint64_t samples, dropped;
	struct asite *aout;
	size_t naout;
	struct astack *sout;

	struct symcache *sym;
	size_t symcap;

	uint64_t hist_t[HIST_N];	/* CLOCK_MONOTONIC of each history point */
	size_t nhist;			/* points recorded (ring position = nhist % HIST_N) */
	uint64_t last_tick;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

struct sites *sites__new(struct gobin *bin, uint64_t bias)
{
	struct sites *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->bin = bin;
	s->bias = bias;
	return s;
}

void sites__free(struct sites *s)
{
	if (!s)
		return;
	free(s->g);
	free(s->gs);
	free(s->gsidx);
	free(s->gout);
	free(s->st);
	free(s->stidx);
	free(s->aout);
	free(s->sout);
	free(s->sym);
	free(s);
}

/* ---- symbols ---- */

void sites__symbolize(struct sites *s, uint64_t pc, bool return_addr, struct site_loc *out)
{
	uint64_t key = pc << 1 | return_addr, at = pc - s->bias - (return_addr && pc ? 1 : 0);
	const char *file = NULL;
	size_t i = 0;
	int line = 0;

	if (!s->sym) {
		s->symcap = 4096;
		s->sym = calloc(s->symcap, sizeof(*s->sym));
	}
	if (s->sym) {
		i = mix(key) & (s->symcap - 1);
		if (s->sym[i].key == key) {
			*out = s->sym[i].loc;
			return;
		}
	}
	out->pc = pc;
	out->func = gobin__func_name_at(s->bin, at);
	if (!out->func)
		out->func = "?";
	if (gobin__pc_line(s->bin, at, &file, &line))
		file = NULL;
	out->file = file ? file : "?";
	out->line = file ? line : 0;
	/* A direct-mapped cache: a collision just replaces the older entry. */
	if (s->sym) {
		s->sym[i].key = key;
		s->sym[i].loc = *out;
	}
}

/*
 * The function a site's goroutines run, as the runtime's goroutine dumps show it: startpc's
 * function, or, when that is the compiler's wrapper of a go statement with arguments
 * (main.main.gowrap1, main.main.func1 before Go 1.22), the function the wrapper calls. When code
 * alone does not tell (the wrapper calls a func value), the wrapper's name stays.
 */
static void name_start(struct sites *s, uint64_t startpc, struct site_loc *out)
{
	struct gobin_gotarget t;
	const char *file = NULL;
	int line = 0;

	if (gobin__go_target_of(s->bin, startpc - s->bias, &t)) {
		sites__symbolize(s, startpc, false, out);
		return;
	}
	/* Not through the cache: an inlined body's pc is the wrapper's to every other caller. */
	out->pc = t.pc + s->bias;
	out->func = t.name;
	if (gobin__pc_line(s->bin, t.pc, &file, &line))
		file = NULL;
	out->file = file ? file : "?";
	out->line = file ? line : 0;
}

/* ---- goroutines ---- */

static int g_grow(struct sites *s)
{
	size_t ncap = s->gcap ? s->gcap * 2 : 1024, i;
	struct gentry *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -1;
	for (i = 0; i < s->gcap; i++) {
		size_t j;

		if (!s->g[i].goid)
			continue;
		for (j = mix(s->g[i].goid) & (ncap - 1); n[j].goid; j = (j + 1) & (ncap - 1))
			;
		n[j] = s->g[i];
	}
	free(s->g);
	s->g = n;
	s->gcap = ncap;
	return 0;
}

static struct gentry *g_find(struct sites *s, uint64_t goid)
{
	size_t i;

	if (!s->gcap)
		return NULL;
	for (i = mix(goid) & (s->gcap - 1); s->g[i].goid; i = (i + 1) & (s->gcap - 1))
		if (s->g[i].goid == goid)
			return &s->g[i];
	return NULL;
}

/* Remove by shifting later entries of the probe sequence back (no tombstones). */
static void g_remove(struct sites *s, struct gentry *e)
{
	size_t mask = s->gcap - 1, i = (size_t)(e - s->g), j = i;

	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!s->g[j].goid)
			break;
		k = mix(s->g[j].goid) & mask;
		/* Leave j where it is if its home slot lies cyclically in (i, j]. */
		if ((i <= j) ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->g[i] = s->g[j];
		i = j;
	}
	s->g[i].goid = 0;
	s->glive--;
}

static uint32_t gsite_for(struct sites *s, uint64_t gopc, uint64_t startpc, bool system)
{
	struct gsite_int *x;
	size_t i, mask;

	if (s->gsidx_cap < 2 * (s->ngs + 1)) {
		size_t ncap = s->gsidx_cap ? s->gsidx_cap * 2 : 256, k;
		uint32_t *n = calloc(ncap, sizeof(*n));

		if (!n)
			return UINT32_MAX;
		for (k = 0; k < s->ngs; k++) {
			for (i = mix(s->gs[k].gopc) & (ncap - 1); n[i]; i = (i + 1) & (ncap - 1))
				;
			n[i] = (uint32_t)k + 1;
		}
		free(s->gsidx);
		s->gsidx = n;
		s->gsidx_cap = ncap;
	}
	mask = s->gsidx_cap - 1;
	for (i = mix(gopc) & mask; s->gsidx[i]; i = (i + 1) & mask)
		if (s->gs[s->gsidx[i] - 1].gopc == gopc)
			return s->gsidx[i] - 1;
	if (s->ngs >= MAX_GSITES)
		return UINT32_MAX;
	x = realloc(s->gs, (s->ngs + 1) * sizeof(*s->gs));
	if (!x)
		return UINT32_MAX;
	s->gs = x;
	x = &s->gs[s->ngs];
	memset(x, 0, sizeof(*x));
	x->gopc = gopc;
	x->startpc = startpc;
	x->pub.system = system;
	s->gsidx[i] = (uint32_t)s->ngs + 1;
	return (uint32_t)s->ngs++;
}

static void g_add(struct sites *s, uint64_t goid, uint64_t gopc, uint64_t startpc, bool system,
		  uint64_t created_ns)
{
	struct gentry *e;
	uint32_t site;
	size_t i;

	if (!goid || g_find(s, goid))
		return;
	site = gsite_for(s, gopc, startpc, system);
	if (site == UINT32_MAX)
		return;
	if ((s->glive + 1) * 4 > s->gcap * 3 && g_grow(s))
		return;
	for (i = mix(goid) & (s->gcap - 1); s->g[i].goid; i = (i + 1) & (s->gcap - 1))
		;
	e = &s->g[i];
	e->goid = goid;
	e->created_ns = created_ns;
	e->site = site;
	s->glive++;
	s->gs[site].pub.live++;
	if (created_ns)
		s->gs[site].pub.created++;
	else if (!s->recount)
		s->gs[site].pub.seeded++;
}

void sites__g_seed(struct sites *s, uint64_t goid, uint64_t gopc, uint64_t startpc, bool system)
{
	g_add(s, goid, gopc, startpc, system, 0);
}

/* Runtime goroutines start in package runtime (runtime.main is the program's own). */
static bool system_start(struct sites *s, uint64_t startpc)
{
	const char *fn = gobin__func_name_at(s->bin, startpc - s->bias);

	return fn && !strncmp(fn, "runtime.", 8) && strcmp(fn, "runtime.main") &&
	       strcmp(fn, "runtime.corostart");
}

void sites__g_create(struct sites *s, const struct gs_g_create *e)
{
	g_add(s, e->goid, e->gopc, e->startpc, system_start(s, e->startpc),
	      e->hdr.ktime_ns ? e->hdr.ktime_ns : 1);
}

void sites__g_exit(struct sites *s, const struct gs_g_exit *e)
{
	struct gentry *g = g_find(s, e->goid);

	if (!g) {
		s->unknown_exits++;
		return;
	}
	s->gs[g->site].pub.live--;
	s->gs[g->site].pub.exited++;
	g_remove(s, g);
}

void sites__g_reset(struct sites *s)
{
	size_t i;

	s->recount = true;
	if (s->g)
		memset(s->g, 0, s->gcap * sizeof(*s->g));
	s->glive = 0;
	for (i = 0; i < s->ngs; i++)
		s->gs[i].pub.live = 0;
}

uint64_t sites__g_unknown_exits(const struct sites *s)
{
	return s->unknown_exits;
}

uint64_t sites__g_live(const struct sites *s)
{
	return s->glive;
}

void sites__tick(struct sites *s, uint64_t now)
{
	size_t i, pos;

	if (s->nhist && now - s->last_tick < HIST_STEP_NS)
		return;
	s->last_tick = now;
	pos = s->nhist % HIST_N;
	s->hist_t[pos] = now;
	for (i = 0; i < s->ngs; i++)
		s->gs[i].hist[pos] = s->gs[i].pub.live;
	s->nhist++;
}

/* The history point closest to GROWTH_NS ago (the oldest, when history is shorter). */
static int growth_point(const struct sites *s, uint64_t now)
{
	size_t k, n = s->nhist < HIST_N ? s->nhist : HIST_N;
	int best = -1;

	for (k = 0; k < n; k++) {
		size_t pos = (s->nhist - 1 - k) % HIST_N;

		best = (int)pos;
		if (now - s->hist_t[pos] >= GROWTH_NS)
			break;
	}
	return best;
}

static int cmp_gsite(const void *a, const void *b)
{
	const struct gsite *x = a, *y = b;

	if (x->live != y->live)
		return x->live < y->live ? 1 : -1;
	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return x->where.pc < y->where.pc ? -1 : x->where.pc > y->where.pc;
}

size_t sites__gsites(struct sites *s, const struct gsite **out)
{
	uint64_t now = clock_mono_ns();
	int hp = growth_point(s, now);
	size_t i;

	free(s->gout);
	s->gout = calloc(s->ngs ? s->ngs : 1, sizeof(*s->gout));
	*out = s->gout;
	if (!s->gout)
		return 0;
	for (i = 0; i < s->ngs; i++) {
		struct gsite_int *x = &s->gs[i];

		if (!x->named) {
			sites__symbolize(s, x->gopc, true, &x->pub.where);
			name_start(s, x->startpc, &x->pub.start);
			x->named = true;
		}
		x->pub.oldest_ns = UINT64_MAX;
		x->pub.growth = hp >= 0 ? (int64_t)x->pub.live - (int64_t)x->hist[hp] : 0;
		x->pub.growth_ns = hp >= 0 ? now - s->hist_t[hp] : 0;
	}
	/* The oldest live goroutine of each site: one pass over the live ones. */
	for (i = 0; i < s->gcap; i++) {
		struct gentry *e = &s->g[i];
		struct gsite *p;

		if (!e->goid)
			continue;
		p = &s->gs[e->site].pub;
		if (e->created_ns < p->oldest_ns)
			p->oldest_ns = e->created_ns;
	}
	for (i = 0; i < s->ngs; i++) {
		s->gout[i] = s->gs[i].pub;
		if (s->gout[i].oldest_ns == UINT64_MAX)
			s->gout[i].oldest_ns = 0;
	}
	qsort(s->gout, s->ngs, sizeof(*s->gout), cmp_gsite);
	return s->ngs;
}

/* ---- allocations ---- */

void sites_weight(uint64_t size, int64_t rate, double *objects, double *bytes)
{
	double scale = 1;

	/* A sample stands for every allocation the sampler skipped: 1 / P(sampled). */
	if (rate > 1 && size)
		scale = 1 / (1 - exp(-(double)size / (double)rate));
	*objects = scale;
	*bytes = (double)size * scale;
}

static uint64_t stack_hash(const uint64_t *pcs, uint32_t n)
{
	uint64_t h = n;
	uint32_t i;

	for (i = 0; i < n; i++)
		h = mix(h ^ pcs[i]);
	return h ? h : 1;
}

static struct stack *stack_for(struct sites *s, const uint64_t *pcs, uint32_t n)
{
	uint64_t h = stack_hash(pcs, n);
	struct stack *x;
	size_t i, mask;

	if (s->stidx_cap < 2 * (s->nst + 1)) {
		size_t ncap = s->stidx_cap ? s->stidx_cap * 2 : 1024, k;
		uint32_t *idx = calloc(ncap, sizeof(*idx));

		if (!idx)
			return NULL;
		for (k = 0; k < s->nst; k++) {
			for (i = s->st[k].hash & (ncap - 1); idx[i]; i = (i + 1) & (ncap - 1))
				;
			idx[i] = (uint32_t)k + 1;
		}
		free(s->stidx);
		s->stidx = idx;
		s->stidx_cap = ncap;
	}
	mask = s->stidx_cap - 1;
	for (i = h & mask; s->stidx[i]; i = (i + 1) & mask) {
		x = &s->st[s->stidx[i] - 1];
		if (x->hash == h && x->n == n && !memcmp(x->pcs, pcs, n * sizeof(*pcs)))
			return x;
	}
	if (s->nst >= MAX_STACKS)
		return NULL;
	if (s->nst == s->stcap) {
		size_t ncap = s->stcap ? s->stcap * 2 : 256;

		x = realloc(s->st, ncap * sizeof(*x));
		if (!x)
			return NULL;
		s->st = x;
		s->stcap = ncap;
	}
	x = &s->st[s->nst];
	memset(x, 0, sizeof(*x));
	x->hash = h;
	x->n = n;
	memcpy(x->pcs, pcs, n * sizeof(*pcs));
	s->stidx[i] = (uint32_t)s->nst + 1;
	s->nst++;
	return x;
}

void sites__alloc(struct sites *s, const struct gs_alloc *e)
{
	uint32_t n = e->nframes < GS_MAX_FRAMES ? e->nframes : GS_MAX_FRAMES;
	struct stack *x;
	double objects, bytes;

	s->samples++;
	sites_weight(e->size, e->rate, &objects, &bytes);
	x = stack_for(s, (const uint64_t *)e->pcs, n);
	if (!x) {
		s->dropped++;
		return;
	}
	x->samples++;
	x->objects += objects;
	x->bytes += bytes;
}

uint64_t sites__alloc_samples(const struct sites *s)
{
	return s->samples;
}

uint64_t sites__alloc_dropped(const struct sites *s)
{
	return s->dropped;
}

static bool is_runtime(const char *fn)
{
	return !strncmp(fn, "runtime.", 8) || !strncmp(fn, "internal/runtime/", 17);
}

/*
 * Where a stack allocated: its innermost frame outside the runtime, as pprof shows heap profiles
 * (it hides the allocator's own frames); the innermost frame when all are runtime's.
 */
static void alloc_where(struct sites *s, const struct stack *x, struct site_loc *out)
{
	uint32_t i;

	out->pc = 0;
	out->func = out->file = "?";
	out->line = 0;
	for (i = 0; i < x->n; i++) {
		sites__symbolize(s, x->pcs[i], true, out);
		if (!is_runtime(out->func))
			return;
	}
	if (x->n)
		sites__symbolize(s, x->pcs[0], true, out);
}

static int cmp_asite(const void *a, const void *b)
{
	const struct asite *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->where.pc < y->where.pc ? -1 : x->where.pc > y->where.pc;
}

size_t sites__asites(struct sites *s, const struct asite **out)
{
	size_t i, j, n = 0;

	free(s->aout);
	s->aout = calloc(s->nst ? s->nst : 1, sizeof(*s->aout));
	*out = s->aout;
	if (!s->aout)
		return 0;
	for (i = 0; i < s->nst; i++) {
		struct site_loc where;

		alloc_where(s, &s->st[i], &where);
		/* Sites are few: merge by location with a linear search. */
		for (j = 0; j < n; j++)
			if (s->aout[j].where.line == where.line &&
			    !strcmp(s->aout[j].where.func, where.func) &&
			    !strcmp(s->aout[j].where.file, where.file))
				break;
		if (j == n) {
			s->aout[n].where = where;
			n++;
		}
		s->aout[j].bytes += s->st[i].bytes;
		s->aout[j].objects += s->st[i].objects;
		s->aout[j].samples += s->st[i].samples;
	}
	qsort(s->aout, n, sizeof(*s->aout), cmp_asite);
	s->naout = n;
	return n;
}

size_t sites__astacks(struct sites *s, const struct astack **out)
{
	size_t i;

	free(s->sout);
	s->sout = calloc(s->nst ? s->nst : 1, sizeof(*s->sout));
	*out = s->sout;
	if (!s->sout)
		return 0;
	for (i = 0; i < s->nst; i++) {
		s->sout[i].pcs = s->st[i].pcs;
		s->sout[i].n = s->st[i].n;
		s->sout[i].bytes = s->st[i].bytes;
		s->sout[i].objects = s->st[i].objects;
		s->sout[i].samples = s->st[i].samples;
	}
	return s->nst;
}
