/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A process's container and pod, the same way in every output. */
#ifndef GS_FORMAT_IDENT_H
#define GS_FORMAT_IDENT_H

#include <stddef.h>
#include <sys/types.h>

struct identity;
struct json;
struct prom;

/*
 * JSON: "container": {"id", "runtime", "name", "pod", "namespace", "pod_uid"}; a member whose
 * value is unknown is left out, and so is the whole object for a process in no container.
 */
void ident_json(struct json *j, const struct identity *id);

/* Prometheus labels container_id, container, pod, namespace: only those known. */
void ident_prom_labels(struct prom *labels, const struct identity *id);

/* A narrow column: "namespace/pod/container", else the container's name or short ID, else "-". */
const char *ident_column(const struct identity *id, char *buf, size_t len);

/*
 * One line for a header: "container web (podman, 3f2a9c1b0d4e), pod shop/web-0 (uid …), PID 1
 * in its namespace"; "" for a process in no container whose PID namespace is the host's.
 */
const char *ident_line(const struct identity *id, pid_t pid, pid_t nspid, char *buf, size_t len);

#endif
