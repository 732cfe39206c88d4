// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The profile in memory: every table profile.proto refers to by id (strings, functions,
 * locations) and the samples' stacks are deduplicated with an open-addressing index as entries
 * come in. Ids stay under 2^32, which no profile comes near. pprof_write.c encodes the result.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "format/pprof_int.h"

#define MAX_ENTRIES	(UINT32_MAX - 1)	/* ids are index + 1 in 32 bits */

/*
 * Make room for need elements of size bytes in the array whose address is arr (a pointer to any
 * pointer type, copied with memcpy so no pointer is read through the wrong type); 0 or -1.
 */
static int grow(void *arr, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *old, *q;

	if (need <= *cap)
		return 0;
	if (need > MAX_ENTRIES)
		return -1;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size)
		return -1;
	memcpy(&old, arr, sizeof(old));
	q = realloc(old, n * size);
	if (!q)
		return -1;
	memcpy(arr, &q, sizeof(q));
	*cap = n;
	return 0;
}

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* The index keeps 32 bits of a hash; fold the high half in rather than drop it. */
static uint32_t hash32(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

/* FNV-1a. */
static uint64_t hash_bytes(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Keep the index at most half full, so that probing stays short and always finds a free slot. */
static int index_reserve(struct index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : 64, i, j;
	struct slot *slots;

	if ((ix->n + 1) * 2 <= ix->cap)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (i = 0; i < ix->cap; i++) {
		if (!ix->slots[i].pos)
			continue;
		for (j = ix->slots[i].hash & (cap - 1); slots[j].pos; j = (j + 1) & (cap - 1))
			;
		slots[j] = ix->slots[i];
	}
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
	return 0;
}

typedef bool (*index_eq_fn)(const struct pprof *p, size_t pos, const void *key);

/* The slot of the entry equal to key, or the empty slot where it belongs (index_reserve first). */
static struct slot *index_find(const struct pprof *p, struct index *ix, uint32_t hash,
			       index_eq_fn eq, const void *key)
{
	size_t j;

	for (j = hash & (ix->cap - 1); ix->slots[j].pos; j = (j + 1) & (ix->cap - 1)) {
		if (ix->slots[j].hash == hash && eq(p, ix->slots[j].pos - 1, key))
			return &ix->slots[j];
	}
	return &ix->slots[j];
}

static void index_set(struct index *ix, struct slot *s, size_t pos, uint32_t hash)
{
	s->pos = pos + 1;
	s->hash = hash;
	ix->n++;
}

static bool str_eq(const struct pprof *p, size_t pos, const void *key)
{
	const struct str *k = key;

	return p->strs[pos].len == k->len && !memcmp(p->strs[pos].s, k->s, k->len);
}

/* The string table id of s (NULL: ""), added if new. */
static int intern(struct pprof *p, const char *s, uint32_t *id)
{
	struct str key = { (char *)(s ? s : ""), s ? strlen(s) : 0 };
	uint32_t h = hash32(hash_bytes(key.s, key.len));
	struct slot *slot;
	char *copy;

	if (index_reserve(&p->str_index) < 0)
		return -1;
	slot = index_find(p, &p->str_index, h, str_eq, &key);
	if (slot->pos) {
		*id = slot->pos - 1;
		return 0;
	}
	if (grow(&p->strs, &p->strs_cap, p->nstrs + 1, sizeof(*p->strs)) < 0)
		return -1;
	copy = malloc(key.len + 1);
	if (!copy)
		return -1;
	memcpy(copy, key.s, key.len + 1);
	p->strs[p->nstrs] = (struct str){ copy, key.len };
	index_set(&p->str_index, slot, p->nstrs, h);
	*id = p->nstrs++;
	return 0;
}

static bool func_eq(const struct pprof *p, size_t pos, const void *key)
{
	const struct func *k = key;

	return p->funcs[pos].name == k->name && p->funcs[pos].file == k->file;
}

/* The function id (1-based) of (name, file), added if new. */
static int function_id(struct pprof *p, const char *name, const char *file, uint32_t *id)
{
	struct func key;
	struct slot *slot;
	uint32_t h;

	if (intern(p, name, &key.name) < 0 || intern(p, file, &key.file) < 0)
		return -1;
	h = hash32(hash_mix(hash_mix(0, key.name), key.file));
	if (index_reserve(&p->func_index) < 0)
		return -1;
	slot = index_find(p, &p->func_index, h, func_eq, &key);
	if (slot->pos) {
		*id = slot->pos;
		return 0;
	}
	if (grow(&p->funcs, &p->funcs_cap, p->nfuncs + 1, sizeof(*p->funcs)) < 0)
		return -1;
	p->funcs[p->nfuncs] = key;
	index_set(&p->func_index, slot, p->nfuncs, h);
	*id = ++p->nfuncs;
	return 0;
}

static bool loc_eq(const struct pprof *p, size_t pos, const void *key)
{
	const struct loc *k = key;

	return p->locs[pos].addr == k->addr && p->locs[pos].func == k->func &&
	       p->locs[pos].line == k->line;
}

/* The location id (1-based) of a frame, added if new. */
static int location_id(struct pprof *p, const struct pprof_frame *f, uint32_t *id)
{
	struct loc key = { .addr = f->addr };
	struct slot *slot;
	uint32_t h;

	/* Without a name or a file the line says nothing: keep the address alone. */
	if (f->func || f->file) {
		if (function_id(p, f->func, f->file, &key.func) < 0)
			return -1;
		key.line = f->line;
	}
	h = hash32(hash_mix(hash_mix(hash_mix(0, key.addr), key.func), (uint64_t)key.line));
	if (index_reserve(&p->loc_index) < 0)
		return -1;
	slot = index_find(p, &p->loc_index, h, loc_eq, &key);
	if (slot->pos) {
		*id = slot->pos;
		return 0;
	}
	if (grow(&p->locs, &p->locs_cap, p->nlocs + 1, sizeof(*p->locs)) < 0)
		return -1;
	p->locs[p->nlocs] = key;
	index_set(&p->loc_index, slot, p->nlocs, h);
	*id = ++p->nlocs;
	return 0;
}

/* A stack being added: its location ids sit just past the end of pprof.stacks. */
struct stack_key {
	size_t off;
	uint32_t n;
};

static bool sample_eq(const struct pprof *p, size_t pos, const void *key)
{
	const struct stack_key *k = key;
	const struct sample *s = &p->samples[pos];

	if (s->n != k->n)
		return false;
	/* n == 0: the empty stack, and stacks may still be NULL. */
	return !k->n || !memcmp(p->stacks + s->off, p->stacks + k->off, k->n * sizeof(uint32_t));
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* Sum values into the sample with the stack at key, or keep that stack as a new sample. */
static int add_sample(struct pprof *p, const struct stack_key *key, const int64_t *values)
{
	uint32_t h = hash32(hash_bytes(p->stacks + key->off, key->n * sizeof(uint32_t)));
	struct sample *s;
	struct slot *slot;
	int i;

	if (index_reserve(&p->sample_index) < 0)
		return -1;
	slot = index_find(p, &p->sample_index, h, sample_eq, key);
	if (slot->pos) {
		s = &p->samples[slot->pos - 1];
		for (i = 0; i < p->ntypes; i++)
			s->v[i] = add_sat(s->v[i], values[i]);
		return 0;
	}
	if (grow(&p->samples, &p->samples_cap, p->nsamples + 1, sizeof(*p->samples)) < 0)
		return -1;
	s = &p->samples[p->nsamples];
	memset(s, 0, sizeof(*s));
	s->off = key->off;
	s->n = key->n;
	for (i = 0; i < p->ntypes; i++)
		s->v[i] = values[i];
	index_set(&p->sample_index, slot, p->nsamples++, h);
	p->stacks_len += key->n;
	return 0;
}

int pprof__add(struct pprof *p, const struct pprof_frame *frames, size_t nframes,
	       const int64_t *values)
{
	struct stack_key key;
	size_t i;

	if (!p || (nframes && !frames) || (p->ntypes && !values) || nframes > MAX_ENTRIES)
		return -1;
	key.off = p->stacks_len;
	key.n = nframes;
	/* Build the stack in place; add_sample() keeps it only if it is new. */
	if (grow(&p->stacks, &p->stacks_cap, key.off + nframes, sizeof(*p->stacks)) < 0)
		return -1;
	for (i = 0; i < nframes; i++) {
		if (location_id(p, &frames[i], &p->stacks[key.off + i]) < 0)
			return -1;
	}
	return add_sample(p, &key, values);
}

struct pprof *pprof__new(void)
{
	struct pprof *p = calloc(1, sizeof(*p));
	uint32_t empty;

	/* profile.proto wants "" at index 0 of the string table. */
	if (p && intern(p, "", &empty) < 0) {
		pprof__free(p);
		return NULL;
	}
	return p;
}

void pprof__free(struct pprof *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nstrs; i++)
		free(p->strs[i].s);
	free(p->strs);
	free(p->str_index.slots);
	free(p->funcs);
	free(p->func_index.slots);
	free(p->locs);
	free(p->loc_index.slots);
	free(p->samples);
	free(p->sample_index.slots);
	free(p->stacks);
	free(p->comments);
	free(p);
}

int pprof__sample_type(struct pprof *p, const char *type, const char *unit)
{
	uint32_t t, u;

	if (!p || p->ntypes >= PPROF_MAX_TYPES || p->nsamples)
		return -1;
	if (intern(p, type, &t) < 0 || intern(p, unit, &u) < 0)
		return -1;
	p->types[p->ntypes][0] = t;
	p->types[p->ntypes][1] = u;
	p->ntypes++;
	return 0;
}

void pprof__period(struct pprof *p, const char *type, const char *unit, int64_t period)
{
	if (!p)
		return;
	if (intern(p, type, &p->period_type[0]) < 0 || intern(p, unit, &p->period_type[1]) < 0)
		p->oom = true;
	p->period = period;
}

void pprof__default_type(struct pprof *p, const char *type)
{
	if (p && intern(p, type, &p->default_type) < 0)
		p->oom = true;
}

void pprof__time(struct pprof *p, int64_t time_unix_nanos, int64_t duration_nanos)
{
	if (!p)
		return;
	p->time_nanos = time_unix_nanos;
	p->duration_nanos = duration_nanos;
}

void pprof__mapping(struct pprof *p, uint64_t start, uint64_t limit, uint64_t offset,
		    const char *file, const char *build_id)
{
	if (!p)
		return;
	if (intern(p, file, &p->map_file) < 0 || intern(p, build_id, &p->map_build_id) < 0) {
		p->oom = true;
		return;
	}
	p->map_start = start;
	p->map_limit = limit;
	p->map_offset = offset;
}

void pprof__comment(struct pprof *p, const char *text)
{
	uint32_t id;

	if (!p)
		return;
	if (intern(p, text, &id) < 0 ||
	    grow(&p->comments, &p->comments_cap, p->ncomments + 1, sizeof(*p->comments)) < 0) {
		p->oom = true;
		return;
	}
	p->comments[p->ncomments++] = id;
}
