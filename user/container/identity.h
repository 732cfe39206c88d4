/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which container, and which Kubernetes pod, a process belongs to — from the node alone: the
 * container ID and the runtime that made it from /proc/PID/cgroup, the names from the runtime's
 * own state on disk (read through /proc/1/root, so an agent in a container with the host's PID
 * namespace sees the host's files). No container runtime or Kubernetes API is asked anything.
 */
#ifndef GS_CONTAINER_IDENTITY_H
#define GS_CONTAINER_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum ctr_runtime {
	CTR_UNKNOWN,		/* a container, but which runtime made it is not known */
	CTR_DOCKER,
	CTR_CONTAINERD,
	CTR_CRIO,
	CTR_PODMAN,
};

/* One container. Every string is "" when unknown; id is "" for a process in no container. */
struct identity {
	char id[129];			/* 64 hex digits, or the name plain containerd was given */
	enum ctr_runtime runtime;
	char name[254];			/* the container's name (Kubernetes: the pod spec's) */
	char pod[254];			/* Kubernetes pod name */
	char namespace[254];		/* Kubernetes namespace */
	char pod_uid[37];		/* Kubernetes pod UID, 36 characters with dashes */
	char ctr_ns[64];		/* plain containerd: its namespace ("default"); not Kubernetes' */
};

/* "docker", "containerd", "cri-o", "podman"; NULL when unknown. */
const char *identity_runtime_name(enum ctr_runtime r);

/* In a container at all? */
static inline bool identity_known(const struct identity *id)
{
	return id && id->id[0];
}

/* The name to show in a narrow column: the name, else the first 12 characters of the ID. */
const char *identity_short(const struct identity *id, char *buf, size_t len);

/*
 * What /proc/PID/cgroup's text says (cgroup v2 "0::/path" and every v1 hierarchy): the container
 * ID, the runtime when the path names it, and the pod UID from a kubepods path of either cgroup
 * driver. Plain containerd's "/<namespace>/<name>" needs its state to be told from any other
 * two-level path: is_ctr_task(ctx, ns, name) says whether containerd runs such a task (may be
 * NULL). Returns true when the path is a container's.
 */
typedef bool ctr_task_fn(void *ctx, const char *ns, const char *name);
bool identity_from_cgroup(const char *text, struct identity *id, ctr_task_fn *is_ctr_task,
			  void *ctx);

/*
 * The names from the runtime's state under root ("/proc/1/root", or a directory laid out like a
 * node's filesystem): the OCI bundle's config.json annotations (Kubernetes names, as containerd's
 * CRI plugin and CRI-O write them), containers/storage's containers.json (Podman, CRI-O), and
 * Docker's config.v2.json. Fills what it finds; id->id must be set.
 */
void identity_read_state(const char *root, struct identity *id);

/* Does containerd run the task ns/name (its bundle exists under root)? */
bool identity_ctr_task_exists(const char *root, const char *ns, const char *name);

/* A pod UID as Kubernetes writes it: 36 characters, lower-case hex and four dashes. */
bool identity_is_uid(const char *s);

/* The PID a process has in its own (innermost) PID namespace, from NSpid; 0 when unknown. */
pid_t identity_nspid(pid_t pid);

/*
 * Identities cached per container: a container's state is read once, when the first of its
 * processes is seen, and forgotten 30 s after the last reference to it is put back.
 */
struct idcache;

/* root: where the node's filesystem is; NULL for /proc/1/root (or / when that is unreadable). */
struct idcache *idcache__new(const char *root);
void idcache__free(struct idcache *c);

/*
 * The container of process pid, with a reference the caller puts back; NULL for a process in no
 * container (or one gone). Never fails for a process in a container: what cannot be read stays "".
 */
const struct identity *idcache__get(struct idcache *c, pid_t pid);
void idcache__put(struct idcache *c, const struct identity *id);

/* How many containers are cached. */
size_t idcache__size(const struct idcache *c);

#endif
