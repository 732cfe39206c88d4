// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The profile.proto message (github.com/google/pprof, proto/profile.proto) written by hand: the
 * schema is small and stable, and a protobuf library would be the biggest dependency goscope has.
 * Every table the message refers to by id (strings, functions, locations) is deduplicated with an
 * open-addressing index as entries come in. Ids and the encoded message stay under 2^32, which
 * no profile comes near.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "format/pprof.h"
#include "util/buf.h"

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
	MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3, MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

/* Protobuf wire types. */
enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

#define MAX_VARINT	10
#define MAX_ENTRIES	(UINT32_MAX - 1)	/* ids are index + 1 in 32 bits */

/* One slot of an index: the entry's position + 1 (0: empty) and its hash, kept for rehashing. */
struct slot {
	uint32_t pos;
	uint32_t hash;
};

struct index {
	struct slot *slots;
	size_t cap, n;		/* cap: a power of two, at least twice n */
};

struct str {
	char *s;
	size_t len;
};

struct func {
	uint32_t name, file;	/* string ids */
};

struct loc {
	uint64_t addr;
	uint32_t func;		/* function id; 0: an address-only location */
	int64_t line;
};

struct sample {
	size_t off;		/* where its location ids start in pprof.stacks */
	uint32_t n;
	int64_t v[PPROF_MAX_TYPES];
};

struct pprof {
	struct str *strs;
	size_t nstrs, strs_cap;
	struct index str_index;
	struct func *funcs;
	size_t nfuncs, funcs_cap;
	struct index func_index;
	struct loc *locs;
	size_t nlocs, locs_cap;
	struct index loc_index;
	struct sample *samples;
	size_t nsamples, samples_cap;
	struct index sample_index;
	uint32_t *stacks;	/* the location ids of every sample, back to back */
	size_t stacks_len, stacks_cap;
	uint32_t *comments;
	size_t ncomments, comments_cap;

	uint32_t types[PPROF_MAX_TYPES][2];	/* (type, unit) string ids */
	int ntypes;
	uint32_t period_type[2];
	int64_t period;
	uint32_t default_type;
	int64_t time_nanos, duration_nanos;
	uint64_t map_start, map_limit, map_offset;
	uint32_t map_file, map_build_id;
	bool oom;		/* a void setter failed: the profile would be incomplete */
};

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

/* Encoding. A failed allocation makes buf.oom sticky; the caller checks it once at the end. */

static void put_raw(struct buf *b, const void *data, size_t n)
{
	buf_put(b, data, n);
}

static size_t varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static void put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[MAX_VARINT];

	put_raw(b, tmp, varint(tmp, v));
}

static void put_tag(struct buf *b, int field, int wire)
{
	put_varint(b, (uint64_t)field << 3 | wire);
}

/* A varint field; proto3 leaves zero values out. int64 values go as their two's complement. */
static void put_uint(struct buf *b, int field, uint64_t v)
{
	if (!v)
		return;
	put_tag(b, field, WIRE_VARINT);
	put_varint(b, v);
}

static void put_bytes(struct buf *b, int field, const void *data, size_t n)
{
	put_tag(b, field, WIRE_LEN);
	put_varint(b, n);
	put_raw(b, data, n);
}

/*
 * Open a length-delimited field (a message or a packed array) whose length is not known yet:
 * leave room for the longest varint, and move the body back over the unused part when closing.
 */
static size_t msg_open(struct buf *b, int field)
{
	size_t at;

	put_tag(b, field, WIRE_LEN);
	at = b->len;
	if (buf_reserve(b, MAX_VARINT))
		b->len += MAX_VARINT;
	return at;
}

static void msg_close(struct buf *b, size_t at)
{
	size_t body, n;

	if (b->oom)
		return;
	body = b->len - at - MAX_VARINT;
	n = varint((uint8_t *)b->data + at, body);
	memmove(b->data + at + n, b->data + at + MAX_VARINT, body);
	b->len = at + n + body;
}

static void put_value_type(struct buf *b, int field, const uint32_t vt[2])
{
	size_t at = msg_open(b, field);

	put_uint(b, VALUE_TYPE_TYPE, vt[0]);
	put_uint(b, VALUE_TYPE_UNIT, vt[1]);
	msg_close(b, at);
}

static void put_sample(struct buf *b, const struct pprof *p, const struct sample *s)
{
	size_t at = msg_open(b, PROFILE_SAMPLE), packed;
	uint32_t i;
	int t;

	if (s->n) {
		packed = msg_open(b, SAMPLE_LOCATION_ID);
		for (i = 0; i < s->n; i++)
			put_varint(b, p->stacks[s->off + i]);
		msg_close(b, packed);
	}
	if (p->ntypes) {
		packed = msg_open(b, SAMPLE_VALUE);
		for (t = 0; t < p->ntypes; t++)
			put_varint(b, (uint64_t)s->v[t]);
		msg_close(b, packed);
	}
	msg_close(b, at);
}

/*
 * The one mapping, written even when pprof__mapping() was never called: without it pprof invents
 * one that does not say the locations are symbolized, and then complains that it cannot find
 * the binary to symbolize them.
 */
static void put_mapping(struct buf *b, const struct pprof *p)
{
	size_t at = msg_open(b, PROFILE_MAPPING);

	put_uint(b, MAPPING_ID, 1);
	put_uint(b, MAPPING_MEMORY_START, p->map_start);
	put_uint(b, MAPPING_MEMORY_LIMIT, p->map_limit);
	put_uint(b, MAPPING_FILE_OFFSET, p->map_offset);
	put_uint(b, MAPPING_FILENAME, p->map_file);
	put_uint(b, MAPPING_BUILD_ID, p->map_build_id);
	/* Symbolized already: pprof must not look for the binary to symbolize again. */
	put_uint(b, MAPPING_HAS_FUNCTIONS, 1);
	put_uint(b, MAPPING_HAS_FILENAMES, 1);
	put_uint(b, MAPPING_HAS_LINE_NUMBERS, 1);
	msg_close(b, at);
}

static void put_location(struct buf *b, const struct pprof *p, size_t i)
{
	const struct loc *l = &p->locs[i];
	size_t at = msg_open(b, PROFILE_LOCATION), line;

	put_uint(b, LOCATION_ID, i + 1);
	put_uint(b, LOCATION_MAPPING_ID, 1);
	put_uint(b, LOCATION_ADDRESS, l->addr);
	if (l->func) {
		line = msg_open(b, LOCATION_LINE);
		put_uint(b, LINE_FUNCTION_ID, l->func);
		put_uint(b, LINE_LINE, (uint64_t)l->line);
		msg_close(b, line);
	}
	msg_close(b, at);
}

static void put_function(struct buf *b, const struct pprof *p, size_t i)
{
	size_t at = msg_open(b, PROFILE_FUNCTION);

	put_uint(b, FUNCTION_ID, i + 1);
	put_uint(b, FUNCTION_NAME, p->funcs[i].name);
	/* Go's names are not mangled: the system name is the name. */
	put_uint(b, FUNCTION_SYSTEM_NAME, p->funcs[i].name);
	put_uint(b, FUNCTION_FILENAME, p->funcs[i].file);
	msg_close(b, at);
}

static int encode(const struct pprof *p, struct buf *b)
{
	size_t i, at;
	int t;

	for (t = 0; t < p->ntypes; t++)
		put_value_type(b, PROFILE_SAMPLE_TYPE, p->types[t]);
	for (i = 0; i < p->nsamples; i++)
		put_sample(b, p, &p->samples[i]);
	put_mapping(b, p);
	for (i = 0; i < p->nlocs; i++)
		put_location(b, p, i);
	for (i = 0; i < p->nfuncs; i++)
		put_function(b, p, i);
	for (i = 0; i < p->nstrs; i++)
		put_bytes(b, PROFILE_STRING_TABLE, p->strs[i].s, p->strs[i].len);
	put_uint(b, PROFILE_TIME_NANOS, (uint64_t)p->time_nanos);
	put_uint(b, PROFILE_DURATION_NANOS, (uint64_t)p->duration_nanos);
	if (p->period_type[0] || p->period_type[1])
		put_value_type(b, PROFILE_PERIOD_TYPE, p->period_type);
	put_uint(b, PROFILE_PERIOD, (uint64_t)p->period);
	if (p->ncomments) {
		at = msg_open(b, PROFILE_COMMENT);
		for (i = 0; i < p->ncomments; i++)
			put_varint(b, p->comments[i]);
		msg_close(b, at);
	}
	put_uint(b, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);
	return b->oom ? -1 : 0;
}

/* The failed call's errno, negated; never 0, so that it always reads as a failure. */
static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* Gzip data into f. Returns 0 or a negative errno. */
static int gzip_to(FILE *f, const uint8_t *data, size_t len)
{
	/* zlib counts in unsigned int: hand it the input in pieces. */
	const size_t piece = 1U << 30;
	uint8_t out[1 << 16];
	z_stream zs;
	int zr = Z_OK, ret = 0;
	size_t n;

	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	zr = deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	while (zr != Z_STREAM_END) {
		if (!zs.avail_in && len) {
			n = len < piece ? len : piece;
			zs.next_in = (Bytef *)data;
			zs.avail_in = n;
			data += n;
			len -= n;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zr = deflate(&zs, len ? Z_NO_FLUSH : Z_FINISH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			ret = -EIO;
			break;
		}
		n = sizeof(out) - zs.avail_out;
		if (n && fwrite(out, 1, n, f) != n) {
			ret = neg_errno();
			break;
		}
	}
	deflateEnd(&zs);
	return ret;
}

int pprof__open_output(const char *path, bool *created, struct gs_err *err)
{
	int fd;

	/* O_NOFOLLOW: a link planted at path must not redirect root's write. O_EXCL first, to
	 * know whether the file is ours to remove if no profile comes. */
	*created = true;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST) {
		*created = false;
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		return gs_fail(err, GS_EXIT_ERROR, "refusing to write to %s: it is a symbolic link "
			       "(for standard output, give -o -)", path);
	return gs_fail(err, GS_EXIT_ERROR, "cannot create %s: %s", path, strerror(errno));
}

static int write_fd(int fd, const char *path, const struct buf *b, struct gs_err *err)
{
	struct stat st;
	FILE *f;
	int ret;

	/* Only a regular file is truncated: -o /dev/null or a terminal is written as it is. */
	fd = dup(fd);
	if (fd < 0 || fstat(fd, &st) || (S_ISREG(st.st_mode) && ftruncate(fd, 0))) {
		ret = neg_errno();
		if (fd >= 0)
			close(fd);
		return gs_fail(err, GS_EXIT_ERROR, "cannot write %s: %s", path, strerror(-ret));
	}
	f = fdopen(fd, "wb");
	if (!f) {
		ret = neg_errno();
		close(fd);
	} else {
		errno = 0;
		ret = gzip_to(f, (const uint8_t *)b->data, b->len);
		if (!ret && fflush(f))
			ret = neg_errno();
		if (!ret && S_ISREG(st.st_mode) && fsync(fileno(f)))
			ret = neg_errno();
		if (fclose(f) && !ret)
			ret = neg_errno();
	}
	if (ret)
		return gs_fail(err, GS_EXIT_ERROR, "cannot write %s: %s", path, strerror(-ret));
	return 0;
}

static int write_stdout(const struct buf *b, struct gs_err *err)
{
	int ret;

	errno = 0;
	ret = gzip_to(stdout, (const uint8_t *)b->data, b->len);
	if (!ret && fflush(stdout))
		ret = neg_errno();
	if (ret)
		return gs_fail(err, GS_EXIT_ERROR, "cannot write to standard output: %s",
			       strerror(-ret));
	return 0;
}

static int encoded(struct pprof *p, const char *path, struct buf *b, struct gs_err *err)
{
	if (!p || !path)
		return gs_fail(err, GS_EXIT_ERROR, "no profile to write");
	if (p->oom || encode(p, b) < 0) {
		buf_free(b);
		return gs_fail(err, GS_EXIT_ERROR, "cannot write %s: out of memory", path);
	}
	return 0;
}

int pprof__write_fd(struct pprof *p, int fd, const char *path, struct gs_err *err)
{
	struct buf b = { 0 };
	int ret;

	if (encoded(p, path, &b, err))
		return -1;
	ret = write_fd(fd, path, &b, err);
	buf_free(&b);
	return ret;
}

int pprof__write(struct pprof *p, const char *path, struct gs_err *err)
{
	struct buf b = { 0 };
	bool created;
	int fd, ret;

	if (encoded(p, path, &b, err))
		return -1;
	if (!strcmp(path, "-")) {
		ret = write_stdout(&b, err);
	} else if ((fd = pprof__open_output(path, &created, err)) < 0) {
		ret = -1;
	} else {
		ret = write_fd(fd, path, &b, err);
		close(fd);
		if (ret && created)
			unlink(path);
	}
	buf_free(&b);
	return ret;
}
