// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container identity from /proc/PID/cgroup. The path shapes (cgroup v2's one line, or any v1
 * hierarchy; the container is the innermost component that names one):
 *
 *   Docker       /docker/<id>                         …/docker-<id>.scope
 *   containerd   /<namespace>/<name> (ctr)            …/cri-containerd-<id>.scope
 *   CRI-O        …/crio-<id>.scope  (crio-conmon-<id>.scope is its monitor, not the container)
 *   Podman       /libpod_parent/libpod-<id>           …/libpod-<id>.scope
 *   Kubernetes   /kubepods/<qos>/pod<uid>/<id>        (cgroupfs driver; Guaranteed has no <qos>)
 *                /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid, _ for ->.slice/…
 *                                                      (systemd driver)
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"

const char *identity_runtime_name(enum ctr_runtime r)
{
	switch (r) {
	case CTR_DOCKER: return "docker";
	case CTR_CONTAINERD: return "containerd";
	case CTR_CRIO: return "cri-o";
	case CTR_PODMAN: return "podman";
	case CTR_UNKNOWN: break;
	}
	return NULL;
}

const char *identity_short(const struct identity *id, char *buf, size_t len)
{
	if (!identity_known(id))
		snprintf(buf, len, "-");
	else if (id->name[0])
		snprintf(buf, len, "%s", id->name);
	else
		snprintf(buf, len, "%.12s", id->id);
	return buf;
}

static bool is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);

	return n >= p && !memcmp(s, prefix, p);
}

/* Runtimes that name their cgroup "<prefix><id>[.scope]", and monitors that must not match. */
static const struct {
	const char *prefix;
	enum ctr_runtime rt;
} scope_prefixes[] = {
	{ "docker-", CTR_DOCKER },
	{ "cri-containerd-", CTR_CONTAINERD },
	{ "crio-", CTR_CRIO },
	{ "libpod-", CTR_PODMAN },
};

/* One path component: a container's? Fills id and runtime (when the component says it). */
static bool component_container(const char *c, size_t n, const char *parent, size_t pn,
				struct identity *id)
{
	size_t i;

	if (n > 6 && !memcmp(c + n - 6, ".scope", 6))
		n -= 6;
	if (starts(c, n, "crio-conmon-") || starts(c, n, "libpod-conmon-"))
		return false;
	for (i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
		size_t p = strlen(scope_prefixes[i].prefix);

		if (starts(c, n, scope_prefixes[i].prefix) && is_hex64(c + p, n - p)) {
			memcpy(id->id, c + p, 64);
			id->id[64] = '\0';
			id->runtime = scope_prefixes[i].rt;
			return true;
		}
	}
	if (!is_hex64(c, n))
		return false;
	memcpy(id->id, c, 64);
	id->id[64] = '\0';
	/* Docker's cgroupfs driver: /docker/<id>; a kubepods path leaves the runtime to the state. */
	id->runtime = pn == 6 && !memcmp(parent, "docker", 6) ? CTR_DOCKER : CTR_UNKNOWN;
	return true;
}

bool identity_is_uid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return false;
	}
	return true;
}

/* A pod UID from "pod<uid>" (cgroupfs) or "kubepods[-<qos>]-pod<uid_>.slice" (systemd). */
static bool component_pod(const char *c, size_t n, char uid[37])
{
	const char *p = NULL;
	size_t i;

	if (n > 6 && !memcmp(c + n - 6, ".slice", 6) && starts(c, n, "kubepods")) {
		const char *dash = memmem(c, n - 6, "-pod", 4);

		if (dash) {
			p = dash + 4;
			n = (size_t)(c + n - 6 - p);
		}
	} else if (starts(c, n, "pod")) {
		p = c + 3;
		n -= 3;
	}
	if (!p || n != 36)
		return false;
	/* The systemd driver writes the UID's dashes as underscores. */
	for (i = 0; i < 36; i++)
		uid[i] = (char)tolower((unsigned char)(p[i] == '_' ? '-' : p[i]));
	uid[36] = '\0';
	if (identity_is_uid(uid))
		return true;
	uid[0] = '\0';
	return false;
}

/* A plain containerd task: the cgroup ctr gives it by default is /<namespace>/<name>. */
static bool plain_containerd(const char *path, size_t len, struct identity *id,
			     ctr_task_fn *is_ctr_task, void *ctx)
{
	char ns[64], name[129];
	const char *slash;

	if (!is_ctr_task || len < 4 || path[0] != '/')
		return false;
	slash = memchr(path + 1, '/', len - 1);
	if (!slash || slash == path + 1 || (size_t)(slash - path - 1) >= sizeof(ns) ||
	    (size_t)(path + len - slash - 1) >= sizeof(name) || slash + 1 == path + len ||
	    memchr(slash + 1, '/', (size_t)(path + len - slash - 1)))
		return false;
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - path - 1), path + 1);
	snprintf(name, sizeof(name), "%.*s", (int)(path + len - slash - 1), slash + 1);
	if (!strcmp(ns, "..") || !strcmp(name, "..") || !strcmp(name, ".") ||
	    !is_ctr_task(ctx, ns, name))
		return false;
	snprintf(id->id, sizeof(id->id), "%s", name);
	snprintf(id->ctr_ns, sizeof(id->ctr_ns), "%s", ns);
	id->runtime = CTR_CONTAINERD;
	return true;
}

/* One cgroup path: the innermost component naming a container, and any pod UID above it. */
static bool from_path(const char *path, size_t len, struct identity *id,
		      ctr_task_fn *is_ctr_task, void *ctx)
{
	const char *comp[64], *end = path + len, *s = path;
	size_t clen[64], n = 0, i;
	bool found = false;

	while (s < end && n < 64) {
		const char *e;

		while (s < end && *s == '/')
			s++;
		if (s == end)
			break;
		e = memchr(s, '/', (size_t)(end - s));
		if (!e)
			e = end;
		comp[n] = s;
		clen[n++] = (size_t)(e - s);
		s = e;
	}
	for (i = n; i-- > 0 && !found;)
		found = component_container(comp[i], clen[i], i ? comp[i - 1] : "", i ? clen[i - 1] : 0,
					    id);
	if (!found)
		found = plain_containerd(path, len, id, is_ctr_task, ctx);
	if (!found)
		return false;
	for (i = 0; i < n; i++)
		if (component_pod(comp[i], clen[i], id->pod_uid))
			break;
	return true;
}

bool identity_from_cgroup(const char *text, struct identity *id, ctr_task_fn *is_ctr_task,
			  void *ctx)
{
	const char *line = text;

	memset(id, 0, sizeof(*id));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *c1 = memchr(line, ':', (size_t)(end - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

		if (c2 && from_path(c2 + 1, (size_t)(end - c2 - 1), id, is_ctr_task, ctx))
			return true;
		memset(id, 0, sizeof(*id));
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

pid_t identity_nspid(pid_t pid)
{
	char path[64], line[256];
	pid_t last = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *e;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (;;) {
			long v = strtol(p, &e, 10);

			if (e == p)
				break;
			last = (pid_t)v;
			p = e;
		}
		break;
	}
	fclose(f);
	return last;
}
