// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Leak suspects: every dump's goroutines grouped by stack (format/traceback.c's grouping, the
 * one stacks --group prints), each group followed across the dumps by its stack. A group is a
 * suspect when, in every dump of the window it was in, all its members were blocked in a
 * channel, select, sync or network wait, its count never went down (nor did it vanish and come
 * back), and it is there in the last dump. Goroutines a Go 1.26+ runtime has itself found leaked
 * (status _Gleaked, after a goroutineleak profile) count as blocked. Suspects rank: groups the
 * runtime marked leaked first, then by growth over the window, count, and the oldest member's
 * wait.
 */
#include <stdlib.h>
#include <string.h>
#include "engine/leaks.h"
#include "format/traceback.h"
#include "util/buf.h"
#include "util/clock.h"

#define NBUCKETS	4096

struct lgroup {
	struct lgroup *next;		/* in its hash bucket */
	uint64_t hash;
	uint64_t *pcs;			/* the key: frame pcs, inlined frames flagged in bit 0 */
	size_t npcs;
	uint64_t at_start;		/* count in the window's first dump */
	uint64_t prev;
	int last_dump;
	bool broken;			/* went down, vanished, or had a member not blocked */
	struct leak_suspect s;
};

struct leaks {
	struct lgroup *buckets[NBUCKETS];
	struct lgroup **all;
	size_t n, cap;
	int dumps;
	int minor;
	uint64_t first_ns, last_ns;
	struct leak_suspect *ranked;
	size_t nranked;
};

bool leaks__blocking_reason(const char *r)
{
	static const char *const prefixes[] = {
		"chan receive", "chan send", "select", "sync.", "semacquire", "IO wait",
		"sync.WaitGroup.Wait", "sync.Cond.Wait", "sync.Mutex.Lock", "sync.RWMutex",
	};
	size_t i;

	if (!r)
		return false;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(r, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

struct leaks *leaks__new(void)
{
	return calloc(1, sizeof(struct leaks));
}

static void suspect_clear(struct leak_suspect *s)
{
	free(s->goids);
	free(s->stack);
	s->goids = NULL;
	s->stack = NULL;
	s->ngoids = 0;
}

void leaks__free(struct leaks *lk)
{
	size_t i;

	if (!lk)
		return;
	for (i = 0; i < lk->n; i++) {
		suspect_clear(&lk->all[i]->s);
		free(lk->all[i]->pcs);
		free(lk->all[i]);
	}
	free(lk->all);
	free(lk->ranked);
	free(lk);
}

static uint64_t key_of(const struct gread *g, uint64_t **pcs, size_t *n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	*pcs = malloc((g->nframes ? g->nframes : 1) * sizeof(**pcs));
	if (!*pcs)
		abort();
	for (i = 0; i < g->nframes; i++) {
		(*pcs)[i] = g->frames[i].pc << 1 | g->frames[i].inlined;
		h = (h ^ (*pcs)[i]) * 1099511628211ull;
	}
	*n = g->nframes;
	return h;
}

static struct lgroup *find_or_add(struct leaks *lk, const struct gread *g, bool *added)
{
	uint64_t *pcs, h;
	size_t n;
	struct lgroup *x;

	h = key_of(g, &pcs, &n);
	for (x = lk->buckets[h % NBUCKETS]; x; x = x->next)
		if (x->hash == h && x->npcs == n && !memcmp(x->pcs, pcs, n * sizeof(*pcs))) {
			free(pcs);
			*added = false;
			return x;
		}
	x = calloc(1, sizeof(*x));
	if (!x)
		abort();
	x->hash = h;
	x->pcs = pcs;
	x->npcs = n;
	x->last_dump = -1;
	x->s.oldest_wait_ns = -1;
	x->next = lk->buckets[h % NBUCKETS];
	lk->buckets[h % NBUCKETS] = x;
	if (lk->n == lk->cap) {
		size_t cap = lk->cap ? lk->cap * 2 : 64;
		struct lgroup **v = realloc(lk->all, cap * sizeof(*v));

		if (!v)
			abort();
		lk->all = v;
		lk->cap = cap;
	}
	lk->all[lk->n++] = x;
	*added = true;
	return x;
}

static void update(struct leaks *lk, const struct gdump *d, const struct tb_group *grp)
{
	const struct gread *g = grp->members[0];
	const struct gframe *top, *at;
	struct lgroup *x;
	struct buf b = { 0 };
	bool added;
	size_t i;

	if (g->running || g->changed || !g->nframes)
		return;
	x = find_or_add(lk, g, &added);
	if (added) {
		x->at_start = lk->dumps == 0 ? grp->n : 0;
		x->s.first = grp->n;
		traceback__site(d, g, &x->s.runs, &top, &at);
		if (at) {
			x->s.at_func = at->func;
			x->s.at_file = at->file;
			x->s.at_line = at->line;
		}
	} else if (x->last_dump != lk->dumps - 1 || grp->n < x->prev) {
		x->broken = true;
	}
	x->s.runtime_leaked = 0;
	for (i = 0; i < grp->n; i++) {
		uint32_t st = grp->members[i]->status & ~0x1000u;

		/* Go 1.26+ mark what their leak-detecting GC proved leaked as _Gleaked (10). */
		if (st == 10 && d->minor >= 26)
			x->s.runtime_leaked++;
		else if (st != 4 || !leaks__blocking_reason(grp->members[i]->wait_reason_name))
			x->broken = true;
	}
	x->s.state = g->wait_reason_name;
	x->prev = grp->n;
	x->last_dump = lk->dumps;
	x->s.dumps_seen++;
	x->s.last = grp->n;
	if (grp->n > x->s.peak)
		x->s.peak = grp->n;
	x->s.growth = (int64_t)grp->n - (int64_t)x->at_start;
	if (grp->wait_max_ns > x->s.oldest_wait_ns)
		x->s.oldest_wait_ns = grp->wait_max_ns;
	suspect_clear(&x->s);
	x->s.goids = malloc(grp->n * sizeof(*x->s.goids));
	if (!x->s.goids)
		abort();
	for (i = 0; i < grp->n; i++)
		x->s.goids[i] = grp->members[i]->goid;
	x->s.ngoids = grp->n;
	traceback__group_text(&b, d, grp, TB_LEVEL_DEFAULT);
	buf_put(&b, "", 1);
	x->s.stack = b.oom ? NULL : strdup(b.data);
	buf_free(&b);
}

void leaks__add(struct leaks *lk, const struct gdump *d,
		bool (*keep)(void *, const struct gread *), void *ctx)
{
	size_t ng, i;
	struct tb_group *gs = traceback__group(d, keep, ctx, &ng);

	if (!lk->dumps)
		lk->first_ns = d->started_ns;
	lk->minor = d->minor;
	lk->last_ns = d->started_ns;
	for (i = 0; i < ng; i++)
		update(lk, d, &gs[i]);
	traceback__groups_free(gs, ng);
	lk->dumps++;
}

static int cmp_suspect(const void *x, const void *y)
{
	const struct leak_suspect *a = x, *b = y;

	if (!a->runtime_leaked != !b->runtime_leaked)
		return a->runtime_leaked ? -1 : 1;
	if (a->growth != b->growth)
		return a->growth > b->growth ? -1 : 1;
	if (a->last != b->last)
		return a->last > b->last ? -1 : 1;
	if (a->oldest_wait_ns != b->oldest_wait_ns)
		return a->oldest_wait_ns > b->oldest_wait_ns ? -1 : 1;
	return a->goids[0] < b->goids[0] ? -1 : a->goids[0] > b->goids[0];
}

const struct leak_suspect *leaks__suspects(struct leaks *lk, size_t *n)
{
	size_t i;

	free(lk->ranked);
	lk->ranked = calloc(lk->n ? lk->n : 1, sizeof(*lk->ranked));
	lk->nranked = 0;
	if (!lk->ranked)
		abort();
	for (i = 0; i < lk->n; i++) {
		const struct lgroup *x = lk->all[i];

		if (!x->broken && x->last_dump == lk->dumps - 1 && x->s.ngoids)
			lk->ranked[lk->nranked++] = x->s;
	}
	qsort(lk->ranked, lk->nranked, sizeof(*lk->ranked), cmp_suspect);
	*n = lk->nranked;
	return lk->ranked;
}

int leaks__dumps(const struct leaks *lk)
{
	return lk->dumps;
}

uint64_t leaks__window_ns(const struct leaks *lk)
{
	return lk->dumps ? lk->last_ns - lk->first_ns : 0;
}

int leaks__minor(const struct leaks *lk)
{
	return lk->minor;
}
