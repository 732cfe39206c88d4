// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The /godebug/non-default-behavior/<name>:events counters (Go 1.21+), from outside. The runtime
 * lists one metric for each setting of internal/godebugs.All that is not Opaque; its value is the
 * nonDefault counter of that name's internal/godebug.setting, or 0 while the program has never
 * looked the setting up. internal/godebug keeps every setting it looked up in its cache, a
 * sync.Map of name -> *setting, and never removes one: goscope walks that map (a hash map of
 * entries up to Go 1.23, a hash trie from Go 1.24) to find the settings, again every
 * GODEBUG_REWALK_NS to pick up settings used since, and reads the counters every sample.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "target/sampler_int.h"
#include "util/clock.h"
#include "gobin/gobin.h"

#define GODEBUG_REWALK_NS	10000000000ull
#define INFO_MAX		256	/* settings in godebugs.All: 61 in Go 1.27 */
#define NODES_MAX		4096	/* map nodes or buckets one walk reads at most */

/* sync.Map up to Go 1.23: mu, read (atomic.Pointer[readOnly]), dirty (map[any]*entry), misses. */
#define SYNCMAP_READ		8
#define SYNCMAP_DIRTY		16
/* The runtime's hash map header and a bucket of map[any]*entry (8 slots, 208 bytes). */
#define HMAP_B			9
#define HMAP_BUCKETS		16
#define HMAP_OLDBUCKETS		24
#define BUCKET_SIZE		208
#define BUCKET_KEYS		8
#define BUCKET_VALUES		136
#define BUCKET_OVERFLOW		200
#define MIN_TOPHASH		5
/* internal/sync.HashTrieMap (Go 1.24+), the sync.Map's only member: root at 16. */
#define TRIE_ROOT		16
#define TRIE_CHILDREN		24	/* indirect node: [16]*node */
#define TRIE_OVERFLOW		8	/* entry node: overflow, key any, value any */
#define TRIE_KEY		16
#define TRIE_VALUE		32

struct godebug_state {
	bool names_read;
	const char *why;		/* the names could not be read */
	int n;
	char names[RTM_GODEBUG_MAX][RTM_GODEBUG_NAME];
	uint64_t setting[RTM_GODEBUG_MAX];	/* its *setting; 0: not looked up yet */
	uint64_t walked_ns;
	int nodes;			/* of the current walk */
};

void sampler_godebug_free(struct godebug_state *g)
{
	free(g);
}

/* The non-Opaque names of godebugs.All, once. */
static int read_names(struct sampler *s, struct godebug_state *g)
{
	uint64_t hdr[3], size = rt_at(s, RT_GDINFO_SIZE), i;
	unsigned char *info;
	int rc;

	if (remote_read(s->pid, rt_at(s, RT_GODEBUGS_ALL), hdr, sizeof(hdr)))
		return -EFAULT;
	if (!hdr[0] || hdr[1] > INFO_MAX || !size || size > 256)
		return -EINVAL;
	info = malloc(hdr[1] * size);
	if (!info)
		return -ENOMEM;
	rc = remote_read(s->pid, hdr[0], info, hdr[1] * size);
	for (i = 0; !rc && i < hdr[1] && g->n < RTM_GODEBUG_MAX; i++) {
		const unsigned char *e = info + i * size;
		uint64_t name[2];
		char buf[RTM_GODEBUG_NAME];

		memcpy(name, e + rt_at(s, RT_GDINFO_NAME), sizeof(name));
		if (e[rt_at(s, RT_GDINFO_OPAQUE)] || !name[1] || name[1] >= sizeof(buf))
			continue;
		if (remote_read(s->pid, name[0], buf, name[1]))
			continue;
		buf[name[1]] = 0;
		memcpy(g->names[g->n++], buf, sizeof(buf));
	}
	free(info);
	return rc;
}

/* One (key, *setting) of the cache: keep the setting if the key is a name of the list. */
static void found(struct sampler *s, struct godebug_state *g, uint64_t key_data, uint64_t setting)
{
	uint64_t str[2];
	char name[RTM_GODEBUG_NAME];
	int i;

	if (!key_data || !setting || remote_read(s->pid, key_data, str, sizeof(str)) ||
	    !str[1] || str[1] >= sizeof(name) || remote_read(s->pid, str[0], name, str[1]))
		return;
	name[str[1]] = 0;
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->names[i], name))
			g->setting[i] = setting;
}

/* A map[any]*entry of sync.Map up to Go 1.23: every bucket, old ones too while it grows. */
static void walk_hmap(struct sampler *s, struct godebug_state *g, uint64_t h)
{
	unsigned char hdr[48], b[BUCKET_SIZE];
	uint64_t arrays[2], n, i;
	int a, j;

	if (!h || remote_read(s->pid, h, hdr, sizeof(hdr)) || hdr[HMAP_B] > 16)
		return;
	memcpy(&arrays[0], hdr + HMAP_BUCKETS, 8);
	memcpy(&arrays[1], hdr + HMAP_OLDBUCKETS, 8);
	for (a = 0; a < 2; a++) {
		n = arrays[a] ? 1ull << (hdr[HMAP_B] - (a && hdr[HMAP_B] ? 1 : 0)) : 0;
		for (i = 0; i < n; i++) {
			uint64_t addr = arrays[a] + i * BUCKET_SIZE;

			while (addr && g->nodes++ < NODES_MAX &&
			       !remote_read(s->pid, addr, b, sizeof(b))) {
				for (j = 0; j < 8; j++) {
					uint64_t key[2], entry, p = 0, val[2] = { 0, 0 };

					if (b[j] < MIN_TOPHASH)
						continue;
					memcpy(key, b + BUCKET_KEYS + 16 * j, sizeof(key));
					memcpy(&entry, b + BUCKET_VALUES + 8 * j, 8);
					/* entry.p -> the value as an interface: data is *setting */
					if (!entry || remote_read(s->pid, entry, &p, 8) || !p ||
					    remote_read(s->pid, p, val, sizeof(val)))
						continue;
					found(s, g, key[1], val[1]);
				}
				memcpy(&addr, b + BUCKET_OVERFLOW, 8);
			}
		}
	}
}

/* A node of internal/sync.HashTrieMap (Go 1.24+): an indirect node, or a chain of entries. */
static void walk_trie(struct sampler *s, struct godebug_state *g, uint64_t node, int depth)
{
	unsigned char is_entry = 0;
	uint64_t kids[16], e[6];
	int i;

	if (!node || depth > 16 || g->nodes++ >= NODES_MAX ||
	    remote_read(s->pid, node, &is_entry, 1))
		return;
	if (!is_entry) {
		if (remote_read(s->pid, node + TRIE_CHILDREN, kids, sizeof(kids)))
			return;
		for (i = 0; i < 16; i++)
			walk_trie(s, g, kids[i], depth + 1);
		return;
	}
	while (node && g->nodes++ < NODES_MAX && !remote_read(s->pid, node, e, sizeof(e))) {
		found(s, g, e[TRIE_KEY / 8 + 1], e[TRIE_VALUE / 8 + 1]);
		node = e[TRIE_OVERFLOW / 8];
	}
}

static void walk_cache(struct sampler *s, struct godebug_state *g)
{
	uint64_t cache = rt_at(s, RT_GODEBUG_CACHE), p[3];

	g->nodes = 0;
	if (s->rt->minor >= 24) {
		if (!remote_read(s->pid, cache + TRIE_ROOT, p, 8))
			walk_trie(s, g, p[0], 0);
		return;
	}
	/* The read-only map, then the dirty one (a superset of it while it exists). */
	if (remote_read(s->pid, cache + SYNCMAP_READ, p, 16))
		return;
	if (p[0] && !remote_read(s->pid, p[0], &p[2], 8))
		walk_hmap(s, g, p[2]);
	walk_hmap(s, g, p[1]);
}

/* Go 1.24 and 1.25 built with GOEXPERIMENT=nosynchashtriemap keep the old sync.Map. */
static bool old_syncmap_experiment(const struct sampler *s)
{
	const char *exp = gobin__setting(s->bin, "GOEXPERIMENT");

	return exp && strstr(exp, "nosynchashtriemap");
}

void sampler_read_godebug(struct sampler *s, struct rtm_raw *r)
{
	struct godebug_state *g = s->gd;
	struct remote_batch b;
	uint64_t now = clock_mono_ns();
	int i;

	r->godebug = (struct rtm_godebugs){ .status = RTM_ABSENT };
	if (s->rt->minor < 21)
		return;
	r->godebug.status = RTM_UNREADABLE;
	/*
	 * internal/godebug needs internal/godebugs.All: a program without the list has no setting
	 * that could count (the linker left both out), so there is no counter to report.
	 */
	if (!rt_have(s, RT_GODEBUGS_ALL) && !rt_have(s, RT_GODEBUG_CACHE)) {
		r->godebug.status = RTM_OK;
		r->godebug.why = "the program links no GODEBUG setting";
		return;
	}
	if (!rt_have(s, RT_GODEBUGS_ALL) || !rt_have(s, RT_GDINFO_SIZE) ||
	    !rt_have(s, RT_GDINFO_NAME) || !rt_have(s, RT_GDINFO_OPAQUE)) {
		r->godebug.why = "internal/godebugs.All was not found";
		return;
	}
	if (!g) {
		g = s->gd = calloc(1, sizeof(*g));
		if (!g) {
			r->godebug.why = "out of memory";
			return;
		}
	}
	if (!g->names_read) {
		g->names_read = true;
		if (read_names(s, g))
			g->why = "internal/godebugs.All could not be read";
	}
	if (g->why) {
		r->godebug.why = g->why;
		return;
	}
	/* Without internal/godebug nothing counts: every counter of the list is 0. */
	if (rt_have(s, RT_GODEBUG_CACHE) && rt_have(s, RT_GODEBUG_NONDEFAULT)) {
		if (s->rt->minor <= 25 && s->rt->minor >= 24 && old_syncmap_experiment(s)) {
			r->godebug.why = "built with GOEXPERIMENT=nosynchashtriemap, which goscope "
					 "does not read";
			return;
		}
		if (!g->walked_ns || now - g->walked_ns >= GODEBUG_REWALK_NS) {
			walk_cache(s, g);
			g->walked_ns = now;
		}
	} else if (!rt_have(s, RT_GODEBUG_CACHE) && rt_have(s, RT_GODEBUG_NONDEFAULT)) {
		r->godebug.why = "internal/godebug.cache was not found";
		return;
	} else if (rt_have(s, RT_GODEBUG_CACHE)) {
		r->godebug.why = "internal/godebug.setting's layout is unknown";
		return;
	}
	remote_init(&b, s->pid);
	for (i = 0; i < g->n; i++) {
		memcpy(r->godebug.v[i].name, g->names[i], RTM_GODEBUG_NAME);
		r->godebug.v[i].events = 0;
		if (g->setting[i])
			remote_add(&b, g->setting[i] + rt_at(s, RT_GODEBUG_NONDEFAULT),
				   &r->godebug.v[i].events, 8);
	}
	if (remote_flush(&b)) {
		r->godebug.why = "a setting's counter could not be read";
		g->walked_ns = 0;	/* walk again next time */
		return;
	}
	r->godebug.n = g->n;
	r->godebug.status = RTM_OK;
}
