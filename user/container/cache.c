// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Identities cached per container, with references: a container nobody watches is forgotten. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container/identity.h"

struct ident_entry {
	struct identity id;		/* first: a const struct identity * is also an entry */
	unsigned int refs;
};

struct idcache {
	char root[256];			/* "" is the root directory itself */
	struct ident_entry **v;
	size_t n, cap;
};

struct idcache *idcache__new(const char *root)
{
	struct idcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (root)
		snprintf(c->root, sizeof(c->root), "%s", strcmp(root, "/") ? root : "");
	else if (access("/proc/1/root/", X_OK) == 0)
		/* The node's files even from inside a container that shares the host's PIDs. */
		snprintf(c->root, sizeof(c->root), "/proc/1/root");
	return c;
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

static bool task_exists(void *ctx, const char *ns, const char *name)
{
	return identity_ctr_task_exists(((struct idcache *)ctx)->root, ns, name);
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

const struct identity *idcache__get(struct idcache *c, pid_t pid)
{
	char text[8192];
	struct ident_entry *x;
	struct identity id;
	size_t i;

	if (!c || !read_cgroup(pid, text, sizeof(text)) ||
	    !identity_from_cgroup(text, &id, task_exists, c))
		return NULL;
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
	identity_read_state(c->root, &x->id);
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
		if (--c->v[i]->refs == 0) {
			free(c->v[i]);
			c->v[i] = c->v[--c->n];
		}
		return;
	}
}

size_t idcache__size(const struct idcache *c)
{
	return c ? c->n : 0;
}
