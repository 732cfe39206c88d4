// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Identities cached per container, with references. A container nobody refers to is forgotten
 * after a while: not at once, so that a container whose short-lived processes goscope looks at
 * one after another (a shell script's) has its files read once, not once per process.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container/identity.h"
#include "target/proc.h"
#include "util/clock.h"

#define IDCACHE_LINGER_NS	30000000000ull

struct ident_entry {
	struct identity id;		/* first: a const struct identity * is also an entry */
	unsigned int refs;
	uint64_t idle_since;		/* CLOCK_MONOTONIC when the last reference went */
};

struct idcache {
	bool fixed;			/* root was given: use it for every process */
	char root[256];			/* "" is the root directory itself */
	struct ident_entry **v;
	size_t n, cap;
};

struct idcache *idcache__new(const char *root)
{
	struct idcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fixed = root != NULL;
	if (root)
		snprintf(c->root, sizeof(c->root), "%s", strcmp(root, "/") ? root : "");
	return c;
}

static bool same_mnt_ns(pid_t a, const char *ns_a)
{
	char path[64], ns[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", a);
	n = readlink(path, ns, sizeof(ns) - 1);
	if (n <= 0)
		return true;
	ns[n] = '\0';
	return !strcmp(ns, ns_a);
}

/*
 * Where the node's files are, for the container of pid: /proc/1/root, so that goscope in a
 * container that shares the host's PIDs reads the host's files. Where PID 1's root is not ours
 * to read (a VM's init may refuse it even to root), the root of the runtime's own process that
 * started the container: its first ancestor in another mount namespace (conmon, a shim).
 */
static void state_root(const struct idcache *c, pid_t pid, char *root, size_t len)
{
	char path[64], ns[64];
	ssize_t n;
	pid_t p;
	int hops;

	if (c->fixed) {
		snprintf(root, len, "%s", c->root);
		return;
	}
	snprintf(root, len, "%s", access("/proc/1/root/", X_OK) == 0 ? "/proc/1/root" : "");
	if (root[0])
		return;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	n = readlink(path, ns, sizeof(ns) - 1);
	if (n <= 0)
		return;
	ns[n] = '\0';
	for (p = proc_parent(pid), hops = 0; p > 1 && hops < 64; p = proc_parent(p), hops++) {
		if (same_mnt_ns(p, ns))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/root/", p);
		if (access(path, X_OK) == 0)
			snprintf(root, len, "/proc/%d/root", p);
		return;
	}
}

void idcache__free(struct idcache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	free(c);
}

/* One lookup's root, found only when a lookup needs the node's files. */
struct lookup {
	const struct idcache *c;
	pid_t pid;
	bool have;
	char root[256];
};

static const char *lookup_root(struct lookup *l)
{
	if (!l->have)
		state_root(l->c, l->pid, l->root, sizeof(l->root));
	l->have = true;
	return l->root;
}

static bool task_exists(void *ctx, const char *ns, const char *name)
{
	return identity_ctr_task_exists(lookup_root(ctx), ns, name);
}

/* /proc/PID/cgroup, whole (one line per v1 hierarchy). */
static bool read_cgroup(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got > 0;
}

/* Forget the containers nobody has referred to for IDCACHE_LINGER_NS. */
static void sweep(struct idcache *c, uint64_t now)
{
	size_t i = 0;

	while (i < c->n) {
		struct ident_entry *x = c->v[i];

		if (x->refs || now - x->idle_since < IDCACHE_LINGER_NS) {
			i++;
			continue;
		}
		free(x);
		c->v[i] = c->v[--c->n];
	}
}

const struct identity *idcache__get(struct idcache *c, pid_t pid)
{
	struct lookup l = { .c = c, .pid = pid };
	char text[8192];
	struct ident_entry *x;
	struct identity id;
	size_t i;

	if (!c || !read_cgroup(pid, text, sizeof(text)) ||
	    !identity_from_cgroup(text, &id, task_exists, &l))
		return NULL;
	sweep(c, clock_mono_ns());
	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i]->id.id, id.id)) {
			c->v[i]->refs++;
			return &c->v[i]->id;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct ident_entry **v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->id = id;
	identity_read_state(lookup_root(&l), &x->id);
	x->refs = 1;
	c->v[c->n++] = x;
	return &x->id;
}

void idcache__put(struct idcache *c, const struct identity *id)
{
	size_t i;

	if (!c || !id)
		return;
	for (i = 0; i < c->n; i++) {
		if (&c->v[i]->id != id)
			continue;
		if (c->v[i]->refs && --c->v[i]->refs == 0)
			c->v[i]->idle_since = clock_mono_ns();
		break;
	}
	sweep(c, clock_mono_ns());
}

size_t idcache__size(const struct idcache *c)
{
	return c ? c->n : 0;
}
