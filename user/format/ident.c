// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "container/identity.h"
#include "format/ident.h"
#include "format/json.h"
#include "format/prom.h"

static void str_if(struct json *j, const char *key, const char *v)
{
	if (v && *v)
		json_str(j, key, v);
}

void ident_json(struct json *j, const struct identity *id)
{
	if (!identity_known(id))
		return;
	json_obj_open(j, "container");
	json_str(j, "id", id->id);
	str_if(j, "runtime", identity_runtime_name(id->runtime));
	str_if(j, "name", id->name);
	str_if(j, "pod", id->pod);
	str_if(j, "namespace", id->namespace);
	str_if(j, "pod_uid", id->pod_uid);
	json_obj_close(j);
}

void ident_prom_labels(struct prom *labels, const struct identity *id)
{
	if (!identity_known(id))
		return;
	prom_label(labels, "container_id", id->id);
	if (id->name[0])
		prom_label(labels, "container", id->name);
	if (id->pod[0])
		prom_label(labels, "pod", id->pod);
	if (id->namespace[0])
		prom_label(labels, "namespace", id->namespace);
}

const char *ident_column(const struct identity *id, char *buf, size_t len)
{
	char name[260];

	identity_short(id, name, sizeof(name));
	if (identity_known(id) && id->pod[0])
		snprintf(buf, len, "%s/%s/%s", id->namespace[0] ? id->namespace : "?", id->pod, name);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

const char *ident_line(const struct identity *id, pid_t pid, pid_t nspid, char *buf, size_t len)
{
	const char *rt = identity_known(id) ? identity_runtime_name(id->runtime) : NULL;
	size_t n = 0;

	buf[0] = '\0';
	if (identity_known(id))
		n += (size_t)snprintf(buf, len, "container %s (%s%s%.12s)",
				      id->name[0] ? id->name : "unnamed", rt ? rt : "",
				      rt ? ", " : "", id->id);
	if (identity_known(id) && id->pod[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", pod %s/%s%s%s%s",
				      id->namespace[0] ? id->namespace : "?", id->pod,
				      id->pod_uid[0] ? " (uid " : "", id->pod_uid,
				      id->pod_uid[0] ? ")" : "");
	if (nspid && nspid != pid && n < len)
		snprintf(buf + n, len - n, "%sPID %d in its namespace", n ? ", " : "", nspid);
	return buf;
}
