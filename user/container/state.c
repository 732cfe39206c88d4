// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Container names from the runtimes' own files (checked against each runtime's source and, for
 * Podman, a live instance):
 *
 *   containerd   /run/containerd/io.containerd.runtime.v2.task/<namespace>/<id>/config.json
 *                (the OCI bundle; Kubernetes' namespace is "k8s.io")
 *   Podman       /var/lib/containers/storage/overlay-containers/<id>/userdata/config.json
 *                (annotation io.container.manager=libpod) and containers.json's "names"
 *   CRI-O        /run/containers/storage/overlay-containers/<id>/userdata/config.json
 *   Docker       /var/lib/docker/containers/<id>/config.v2.json ("Name", "Config"."Labels")
 *
 * Kubernetes names are OCI annotations (labels for Docker with cri-dockerd): containerd's CRI
 * plugin writes io.kubernetes.cri.*, CRI-O (and Docker's shim) io.kubernetes.pod.* and
 * io.kubernetes.container.name.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container/identity.h"

#define CTR_TASKS	"/run/containerd/io.containerd.runtime.v2.task"
#define PODMAN_STORE	"/var/lib/containers/storage/overlay-containers"
#define CRIO_STORE	"/run/containers/storage/overlay-containers"
#define DOCKER_STORE	"/var/lib/docker/containers"

/* Where each Kubernetes name is, under either family of keys. */
static const struct {
	const char *key;
	size_t off, size;
} k8s_keys[] = {
#define K(key, field) { key, offsetof(struct identity, field), sizeof(((struct identity *)0)->field) }
	K("io.kubernetes.cri.sandbox-name", pod),
	K("io.kubernetes.cri.sandbox-namespace", namespace),
	K("io.kubernetes.cri.sandbox-uid", pod_uid),
	K("io.kubernetes.cri.container-name", name),
	K("io.kubernetes.pod.name", pod),
	K("io.kubernetes.pod.namespace", namespace),
	K("io.kubernetes.pod.uid", pod_uid),
	K("io.kubernetes.container.name", name),
#undef K
};

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Set field from a string, only where it is still unknown: the cgroup path wins over files. */
static void set_unknown(char *field, size_t size, const char *v)
{
	if (v && *v && !field[0])
		snprintf(field, size, "%s", v);
}

/* Kubernetes names from a map of annotations (or labels). */
static void k8s_names(struct json_object *map, struct identity *id)
{
	size_t i;

	if (!map || !json_object_is_type(map, json_type_object))
		return;
	for (i = 0; i < sizeof(k8s_keys) / sizeof(k8s_keys[0]); i++) {
		const char *v = str_member(map, k8s_keys[i].key);

		if (k8s_keys[i].off == offsetof(struct identity, pod_uid) && !identity_is_uid(v))
			continue;
		set_unknown((char *)id + k8s_keys[i].off, k8s_keys[i].size, v);
	}
}

/* An OCI bundle's config.json: its annotations. Returns false when there is none. */
static bool read_bundle(const char *path, struct identity *id, bool *libpod)
{
	struct json_object *cfg = json_object_from_file(path), *ann = NULL;
	const char *mgr;

	if (!cfg)
		return false;
	json_object_object_get_ex(cfg, "annotations", &ann);
	k8s_names(ann, id);
	mgr = str_member(ann, "io.container.manager");
	*libpod = mgr && !strcmp(mgr, "libpod");
	json_object_put(cfg);
	return true;
}

/* containers/storage's list of containers: the first of the names given to id. */
static void storage_name(const char *path, struct identity *id)
{
	struct json_object *all = json_object_from_file(path);
	size_t i, n;

	if (!all)
		return;
	n = json_object_is_type(all, json_type_array) ? json_object_array_length(all) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(all, i), *names;
		const char *cid = str_member(c, "id");

		if (!cid || strcmp(cid, id->id))
			continue;
		if (json_object_object_get_ex(c, "names", &names) &&
		    json_object_is_type(names, json_type_array) && json_object_array_length(names))
			set_unknown(id->name, sizeof(id->name),
				    json_object_get_string(json_object_array_get_idx(names, 0)));
		break;
	}
	json_object_put(all);
}

/* Docker's own record of a container: its name ("/web") and, under cri-dockerd, pod labels. */
static bool read_docker(const char *path, struct identity *id)
{
	struct json_object *cfg = json_object_from_file(path), *conf = NULL, *labels = NULL;
	const char *name;

	if (!cfg)
		return false;
	if (json_object_object_get_ex(cfg, "Config", &conf))
		json_object_object_get_ex(conf, "Labels", &labels);
	k8s_names(labels, id);
	name = str_member(cfg, "Name");
	if (name && *name == '/')
		name++;
	set_unknown(id->name, sizeof(id->name), name);
	json_object_put(cfg);
	return true;
}

bool identity_ctr_task_exists(const char *root, const char *ns, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s" CTR_TASKS "/%s/%s/config.json", root, ns, name);
	return exists(path);
}

/* containerd: the bundle of id in its namespace, or in whichever namespace holds it. */
static bool read_containerd(const char *root, struct identity *id)
{
	char path[PATH_MAX + 512], dir[PATH_MAX];
	struct dirent *de;
	bool libpod, found = false;
	DIR *d;

	if (id->ctr_ns[0]) {
		snprintf(path, sizeof(path), "%s" CTR_TASKS "/%s/%s/config.json", root, id->ctr_ns,
			 id->id);
		return read_bundle(path, id, &libpod);
	}
	snprintf(dir, sizeof(dir), "%s" CTR_TASKS, root);
	d = opendir(dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s/config.json", dir, de->d_name, id->id);
		found = read_bundle(path, id, &libpod);
	}
	closedir(d);
	return found;
}

void identity_read_state(const char *root, struct identity *id)
{
	char path[PATH_MAX];
	bool libpod = false;
	enum ctr_runtime rt = id->runtime;

	if ((rt == CTR_UNKNOWN || rt == CTR_CONTAINERD) && read_containerd(root, id)) {
		id->runtime = CTR_CONTAINERD;
		/* A task ctr started is named by its ID. */
		set_unknown(id->name, sizeof(id->name), id->ctr_ns[0] ? id->id : NULL);
		return;
	}
	if (rt == CTR_UNKNOWN || rt == CTR_PODMAN || rt == CTR_CRIO) {
		snprintf(path, sizeof(path), "%s" PODMAN_STORE "/%s/userdata/config.json", root, id->id);
		if (read_bundle(path, id, &libpod) ||
		    (snprintf(path, sizeof(path), "%s" CRIO_STORE "/%s/userdata/config.json", root,
			      id->id),
		     read_bundle(path, id, &libpod))) {
			if (rt == CTR_UNKNOWN)
				id->runtime = libpod ? CTR_PODMAN : CTR_CRIO;
			snprintf(path, sizeof(path), "%s" PODMAN_STORE "/containers.json", root);
			/* CRI-O's storage names are k8s_<container>_<pod>_…; the annotation is the name. */
			if (id->runtime == CTR_PODMAN) {
				storage_name(path, id);
				/* podman run --rm keeps its container in the run root's volatile list. */
				snprintf(path, sizeof(path),
					 "%s" CRIO_STORE "/volatile-containers.json", root);
				if (!id->name[0])
					storage_name(path, id);
			}
			return;
		}
	}
	if (rt == CTR_UNKNOWN || rt == CTR_DOCKER) {
		snprintf(path, sizeof(path), "%s" DOCKER_STORE "/%s/config.v2.json", root, id->id);
		if (read_docker(path, id))
			id->runtime = CTR_DOCKER;
	}
}
