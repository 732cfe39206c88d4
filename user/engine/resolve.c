// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --container and --pod, checked once when a command starts: each selector must name something
 * on this machine, and only one thing — one container for --container (an exact name or ID
 * before an ID prefix, as docker does), one pod for --pod. Then the Go processes in them.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container/identity.h"
#include "container/select.h"
#include "engine/resolve.h"
#include "target/proc.h"
#include "target/target.h"
#include "util/log.h"

struct found {
	pid_t pid;
	const struct identity *id;
};

struct scan {
	struct idcache *ids;
	struct found *v;
	size_t n;
};

/* Every process in a container, with its identity. */
static int scan_containers(struct scan *s, struct gs_err *err)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return gs_fail(err, GS_EXIT_ERROR, "cannot read /proc: %m");
	while ((de = readdir(d))) {
		const struct identity *id;
		struct found *v;
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]) || proc_parse_pid(de->d_name, &pid, NULL) ||
		    pid == getpid() || !(id = idcache__get(s->ids, pid)))
			continue;
		v = realloc(s->v, (s->n + 1) * sizeof(*v));
		if (!v) {
			idcache__put(s->ids, id);
			closedir(d);
			return gs_fail(err, GS_EXIT_ERROR, "out of memory");
		}
		s->v = v;
		s->v[s->n++] = (struct found){ pid, id };
	}
	closedir(d);
	return 0;
}

static void describe(const struct identity *id, char *buf, size_t len)
{
	if (id->pod[0])
		snprintf(buf, len, "%s/%s/%s (%.12s)", id->namespace, id->pod, id->name, id->id);
	else
		snprintf(buf, len, "%s (%.12s)", id->name[0] ? id->name : "unnamed", id->id);
}

/* Is b another container (--container) or another pod (--pod) than a? */
static bool differs(const struct selector *sel, const struct identity *a, const struct identity *b)
{
	if (sel->kind == SEL_CONTAINER)
		return a != b;
	return strcmp(a->namespace, b->namespace) || strcmp(a->pod, b->pod);
}

/* One selector: names exactly one container or pod, or fails with exit code 3. */
static int check_selector(struct selector *sel, const struct scan *s, struct gs_err *err)
{
	const struct identity *first = NULL;
	const char *opt = sel->kind == SEL_POD ? "--pod" : "--container";
	char a[800], b[800];
	int best = 0;
	size_t i;

	for (i = 0; i < s->n; i++) {
		int m = selector_match(sel, s->v[i].id);

		best = m > best ? m : best;
	}
	if (!best)
		return gs_fail(err, GS_EXIT_NO_PROCESS, "%s %s: no %s on this machine (see 'goscope ps')",
			       opt, sel->arg, sel->kind == SEL_POD ?
			       "pod of that name has a process" :
			       "container of that name or ID prefix has a process");
	sel->exact = best == 2;
	for (i = 0; i < s->n; i++) {
		const struct identity *id = s->v[i].id;

		if (selector_match(sel, id) != best)
			continue;
		if (!first) {
			first = id;
			continue;
		}
		if (!differs(sel, first, id))
			continue;
		describe(first, a, sizeof(a));
		describe(id, b, sizeof(b));
		return gs_fail(err, GS_EXIT_NO_PROCESS, "%s %s is ambiguous: it names %s and %s; %s",
			       opt, sel->arg, a, b, sel->kind == SEL_POD ?
			       "give the pod's namespace (--pod NAMESPACE/NAME)" : best == 2 ?
			       "give an ID prefix instead of the name, or select by --pod" :
			       "give a longer ID prefix");
	}
	return 0;
}

static int add_pid(pid_t **pids, int *n, pid_t pid)
{
	pid_t *v = realloc(*pids, ((size_t)*n + 1) * sizeof(*v));

	if (!v)
		return -1;
	v[(*n)++] = pid;
	*pids = v;
	return 0;
}

/* The Go programs among the selected processes (watchable or not: opening them says why not). */
static int go_processes(const struct selection *sel, const struct scan *s, pid_t **pids,
			int *npids, struct gs_err *err)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct target_info info = { 0 };
		struct gs_err e = { 0 };
		struct target *t;

		if (!selection_match(sel, s->v[i].id))
			continue;
		t = target__open(s->v[i].pid, &info, &e);
		target__free(t);
		if (info.go && add_pid(pids, npids, s->v[i].pid))
			return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	}
	return 0;
}

int resolve_selection(struct selection *sel, bool follow, pid_t **pids, int *npids,
		      struct gs_err *err)
{
	struct scan s = { .ids = idcache__new(NULL) };
	int rc = -1;
	size_t i;

	*pids = NULL;
	*npids = 0;
	if (!s.ids)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	if (scan_containers(&s, err))
		goto out;
	for (i = 0; i < sel->n; i++)
		if (check_selector(&sel->v[i], &s, err))
			goto out;
	if (follow)
		rc = 0;
	else if (go_processes(sel, &s, pids, npids, err) == 0)
		rc = *npids ? 0 : gs_fail(err, GS_EXIT_NOT_GO, "no Go program runs in the %s selected",
					  sel->n > 1 ? "containers" : sel->v[0].kind == SEL_POD ?
					  "pod" : "container");
out:
	for (i = 0; i < s.n; i++)
		idcache__put(s.ids, s.v[i].id);
	free(s.v);
	idcache__free(s.ids);
	if (rc) {
		free(*pids);
		*pids = NULL;
		*npids = 0;
	}
	return rc;
}
