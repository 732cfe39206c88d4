// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Field numbers from opentelemetry-proto (opentelemetry/proto/collector/metrics/v1/
 * metrics_service.proto, metrics/v1/metrics.proto, common/v1/common.proto,
 * resource/v1/resource.proto); metric names, units, instruments and notes from the semantic
 * conventions (model/go/metrics.yaml). Each value is the runtime/metrics quantity the convention
 * names, computed from what the sampler reads, as the runtime computes it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "container/identity.h"
#include "engine/engine.h"
#include "format/otlp.h"
#include "format/protobuf.h"
#include "goruntime/metrics.h"

enum {
	EXPORT_REQUEST_RESOURCE_METRICS = 1,
	EXPORT_RESPONSE_PARTIAL_SUCCESS = 1,
	PARTIAL_SUCCESS_REJECTED_DATA_POINTS = 1, PARTIAL_SUCCESS_ERROR_MESSAGE = 2,
	RESOURCE_METRICS_RESOURCE = 1, RESOURCE_METRICS_SCOPE_METRICS = 2,
	RESOURCE_METRICS_SCHEMA_URL = 3,
	RESOURCE_ATTRIBUTES = 1,
	SCOPE_METRICS_SCOPE = 1, SCOPE_METRICS_METRICS = 2, SCOPE_METRICS_SCHEMA_URL = 3,
	SCOPE_NAME = 1, SCOPE_VERSION = 2,
	KEY_VALUE_KEY = 1, KEY_VALUE_VALUE = 2,
	ANY_VALUE_STRING = 1, ANY_VALUE_INT = 3,
	METRIC_NAME = 1, METRIC_DESCRIPTION = 2, METRIC_UNIT = 3, METRIC_SUM = 7,
	SUM_DATA_POINTS = 1, SUM_AGGREGATION_TEMPORALITY = 2, SUM_IS_MONOTONIC = 3,
	NUMBER_POINT_START_TIME = 2, NUMBER_POINT_TIME = 3, NUMBER_POINT_AS_INT = 6,
	NUMBER_POINT_ATTRIBUTES = 7,
	STATUS_MESSAGE = 2,
};

#define AGGREGATION_TEMPORALITY_CUMULATIVE	2

/* ---- resource attributes ---- */

static void put_attr_str(struct buf *b, int field, const char *key, const char *value)
{
	size_t kv, any;

	if (!value || !*value)
		return;
	kv = pb_open(b, field);
	pb_put_str(b, KEY_VALUE_KEY, key);
	any = pb_open(b, KEY_VALUE_VALUE);
	pb_put_str(b, ANY_VALUE_STRING, value);
	pb_close(b, any);
	pb_close(b, kv);
}

static void put_attr_int(struct buf *b, int field, const char *key, int64_t value)
{
	size_t kv = pb_open(b, field), any;

	pb_put_str(b, KEY_VALUE_KEY, key);
	any = pb_open(b, KEY_VALUE_VALUE);
	/* int64 as a varint: 0 is proto3's default and may be left out; a PID never is 0. */
	pb_put_uint(b, ANY_VALUE_INT, (uint64_t)value);
	pb_close(b, any);
	pb_close(b, kv);
}

/* The base name of what /proc/PID/exe points to, without " (deleted)"; else the comm. */
static const char *executable_name(const struct watched *w, char *buf, size_t len)
{
	const char *slash, *name = w->exe;
	size_t n;

	if (!name || !*name || !strcmp(name, "?"))
		return w->comm;
	slash = strrchr(name, '/');
	if (slash && slash[1])
		name = slash + 1;
	n = strlen(name);
	if (n > 10 && !strcmp(name + n - 10, " (deleted)"))
		n -= 10;
	snprintf(buf, len, "%.*s", (int)n, name);
	return buf;
}

static void put_container_attrs(struct buf *b, const struct identity *id)
{
	if (!identity_known(id))
		return;
	put_attr_str(b, RESOURCE_ATTRIBUTES, "container.id", id->id);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "container.name", id->name);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "container.runtime.name",
		     identity_runtime_name(id->runtime));
	if (!id->pod[0])
		return;
	put_attr_str(b, RESOURCE_ATTRIBUTES, "k8s.pod.name", id->pod);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "k8s.pod.uid", id->pod_uid);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "k8s.namespace.name", id->namespace);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "k8s.container.name", id->name);
}

/*
 * service.name is the program (the executable's name), in the pod's namespace when there is one
 * (service.namespace, as the conventions' Kubernetes guidance derives it); service.instance.id
 * is "host.name/PID", unique among the processes alive on a fleet of distinct host names. A
 * receiver such as Prometheus makes them the job and instance labels: one series per process.
 */
static void put_resource(struct buf *b, const struct otlp_env *env, const struct watched *w)
{
	size_t at = pb_open(b, RESOURCE_METRICS_RESOURCE);
	const struct identity *id = w->ident;
	char buf[256], instance[320];
	const char *exe = executable_name(w, buf, sizeof(buf));

	snprintf(instance, sizeof(instance), "%s/%d", env->host_name, w->pid);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "service.name", exe);
	if (identity_known(id) && id->pod[0])
		put_attr_str(b, RESOURCE_ATTRIBUTES, "service.namespace", id->namespace);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "service.instance.id", instance);
	put_attr_int(b, RESOURCE_ATTRIBUTES, "process.pid", w->pid);
	if (w->nspid > 0 && w->nspid != w->pid)
		put_attr_int(b, RESOURCE_ATTRIBUTES, "process.vpid", w->nspid);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "process.executable.name", exe);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "process.runtime.name", "go");
	if (strcmp(w->version, "?"))
		put_attr_str(b, RESOURCE_ATTRIBUTES, "process.runtime.version", w->version);
	put_attr_str(b, RESOURCE_ATTRIBUTES, "host.name", env->host_name);
	put_container_attrs(b, id);
	pb_close(b, at);
}

/* ---- metrics ---- */

/* A data point: its value and its one attribute (go.memory.type), if any. */
struct point {
	int64_t v;
	const char *attr_key, *attr_value;
};

#define MAX_POINTS 2

/* Each metric's points for a process: how many (0 when the convention leaves it out). */
typedef int points_fn(const struct watched *w, struct point *p);

static int one(struct point *p, int64_t v)
{
	p[0] = (struct point){ .v = v };
	return 1;
}

/*
 * /memory/classes/total:bytes - /memory/classes/heap/released:bytes is the runtime's
 * gcController.mappedReady (its own consistency check, doubleCheckReadMemStats, asserts the
 * equality); stack is /memory/classes/heap/stacks:bytes (heapStats.inStacks, StackInuse), other
 * the rest.
 */
static int memory_used(const struct watched *w, struct point *p)
{
	const struct rt_sample *s = &w->cur;

	if (s->mapped_ready < s->stack_inuse)
		return 0;	/* read while they moved: no consistent split */
	p[0] = (struct point){ (int64_t)s->stack_inuse, "go.memory.type", "stack" };
	p[1] = (struct point){ (int64_t)(s->mapped_ready - s->stack_inuse), "go.memory.type",
			       "other" };
	return 2;
}

/* Left out when no limit is set (math.MaxInt64), as the convention says. */
static int memory_limit(const struct watched *w, struct point *p)
{
	return w->cur.gomemlimit == INT64_MAX ? 0 : one(p, w->cur.gomemlimit);
}

static int memory_allocated(const struct watched *w, struct point *p)
{
	return one(p, (int64_t)w->cur.total_alloc);	/* /gc/heap/allocs:bytes */
}

/* /gc/heap/allocs:objects counts tiny blocks, not the tiny allocations Mallocs adds. */
static int memory_allocations(const struct watched *w, struct point *p)
{
	return one(p, (int64_t)(w->cur.mallocs - w->cur.tiny_allocs));
}

static int memory_gc_goal(const struct watched *w, struct point *p)
{
	return one(p, (int64_t)w->cur.next_gc);	/* /gc/heap/goal:bytes */
}

/*
 * /sched/goroutines:goroutines: gcount() (runtime.NumGoroutine) up to Go 1.25; from the release
 * the catalog names on, with the runtime's system goroutines.
 */
static int goroutine_count(const struct watched *w, struct point *p)
{
	static const struct metric_def *with_sys;
	size_t i;

	for (i = 0; !with_sys && i < metric_count; i++)
		if (!strcmp(metric_defs[i].name, "/sched/goroutines:goroutines"))
			with_sys = &metric_defs[i];
	if (with_sys && w->minor >= with_sys->min_minor)
		return one(p, w->cur.goroutines_with_sys);
	return one(p, w->cur.num_goroutine);
}

static int processor_limit(const struct watched *w, struct point *p)
{
	return one(p, w->cur.gomaxprocs);
}

/* GOGC=off reads as uint64(-1) from runtime/metrics: no percentage, so no point. */
static int config_gogc(const struct watched *w, struct point *p)
{
	return w->cur.gogc < 0 ? 0 : one(p, w->cur.gogc);
}

static const struct otlp_metric {
	const char *name, *unit, *description;
	bool monotonic;			/* Counter; else UpDownCounter */
	points_fn *points;
} metrics[] = {
	{ "go.memory.used", "By", "Memory used by the Go runtime.", false, memory_used },
	{ "go.memory.limit", "By",
	  "Go runtime memory limit configured by the user, if a limit exists.", false,
	  memory_limit },
	{ "go.memory.allocated", "By", "Memory allocated to the heap by the application.", true,
	  memory_allocated },
	{ "go.memory.allocations", "{allocation}",
	  "Count of allocations to the heap by the application.", true, memory_allocations },
	{ "go.memory.gc.goal", "By", "Heap size target for the end of the GC cycle.", false,
	  memory_gc_goal },
	{ "go.goroutine.count", "{goroutine}", "Count of live goroutines.", false,
	  goroutine_count },
	{ "go.processor.limit", "{thread}",
	  "The number of OS threads that can execute user-level Go code simultaneously.", false,
	  processor_limit },
	{ "go.config.gogc", "%",
	  "Heap size target percentage configured by the user, otherwise 100.", false,
	  config_gogc },
};

static void put_point(struct buf *b, const struct point *p, uint64_t start_ns, uint64_t time_ns)
{
	size_t at = pb_open(b, SUM_DATA_POINTS);

	if (p->attr_key)
		put_attr_str(b, NUMBER_POINT_ATTRIBUTES, p->attr_key, p->attr_value);
	if (start_ns)
		pb_put_fixed64(b, NUMBER_POINT_START_TIME, start_ns);
	pb_put_fixed64(b, NUMBER_POINT_TIME, time_ns);
	pb_put_fixed64(b, NUMBER_POINT_AS_INT, (uint64_t)p->v);
	pb_close(b, at);
}

/* One metric of one process (nothing when it has no point); returns the points written. */
static int put_metric(struct buf *b, const struct otlp_metric *m, const struct watched *w,
		      uint64_t start_ns, uint64_t time_ns)
{
	struct point pts[MAX_POINTS];
	int n = m->points(w, pts), i;
	size_t at, sum;

	if (!n)
		return 0;
	at = pb_open(b, SCOPE_METRICS_METRICS);
	pb_put_str(b, METRIC_NAME, m->name);
	pb_put_str(b, METRIC_DESCRIPTION, m->description);
	pb_put_str(b, METRIC_UNIT, m->unit);
	sum = pb_open(b, METRIC_SUM);
	for (i = 0; i < n; i++)
		put_point(b, &pts[i], start_ns, time_ns);
	pb_put_uint(b, SUM_AGGREGATION_TEMPORALITY, AGGREGATION_TEMPORALITY_CUMULATIVE);
	pb_put_uint(b, SUM_IS_MONOTONIC, m->monotonic);
	pb_close(b, sum);
	pb_close(b, at);
	return n;
}

static long put_process(struct buf *b, const struct otlp_env *env, const struct watched *w,
			uint64_t start_ns)
{
	uint64_t time_ns = (uint64_t)((int64_t)w->cur.mono_ns + env->real_minus_mono_ns);
	size_t rm = pb_open(b, EXPORT_REQUEST_RESOURCE_METRICS), sm, scope, i;
	long points = 0;

	put_resource(b, env, w);
	sm = pb_open(b, RESOURCE_METRICS_SCOPE_METRICS);
	scope = pb_open(b, SCOPE_METRICS_SCOPE);
	pb_put_str(b, SCOPE_NAME, "goscope");
	pb_put_str(b, SCOPE_VERSION, GOSCOPE_VERSION);
	pb_close(b, scope);
	for (i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++)
		points += put_metric(b, &metrics[i], w, start_ns, time_ns);
	pb_put_str(b, SCOPE_METRICS_SCHEMA_URL, OTLP_SCHEMA_URL);
	pb_close(b, sm);
	pb_put_str(b, RESOURCE_METRICS_SCHEMA_URL, OTLP_SCHEMA_URL);
	pb_close(b, rm);
	return points;
}

long otlp_encode(struct buf *b, const struct otlp_env *env, const struct watched *const *ws,
		 const uint64_t *start_ns, size_t n)
{
	long points = 0;
	size_t i;

	buf_reset(b);
	for (i = 0; i < n; i++)
		points += put_process(b, env, ws[i], start_ns ? start_ns[i] : 0);
	return b->oom ? -ENOMEM : points;
}

/* ---- what the receiver answered ---- */

static void copy_str(char *dst, size_t len, const struct pb_field *f)
{
	snprintf(dst, len, "%.*s", (int)(f->len < len ? f->len : len - 1), (const char *)f->data);
}

static int parse_partial_success(const struct pb_field *ps, int64_t *rejected, char *msg,
				 size_t msglen)
{
	struct pb_reader r = pb_reader(ps->data, ps->len);
	struct pb_field f;
	int rc;

	while ((rc = pb_next(&r, &f)) > 0) {
		if (f.num == PARTIAL_SUCCESS_REJECTED_DATA_POINTS && f.wire == PB_VARINT)
			*rejected = (int64_t)f.v;
		else if (f.num == PARTIAL_SUCCESS_ERROR_MESSAGE && f.wire == PB_LEN)
			copy_str(msg, msglen, &f);
	}
	return rc;
}

int otlp_parse_response(const void *body, size_t len, int64_t *rejected, char *msg,
			size_t msglen)
{
	struct pb_reader r = pb_reader(body, len);
	struct pb_field f;
	int rc;

	*rejected = 0;
	msg[0] = '\0';
	while ((rc = pb_next(&r, &f)) > 0) {
		if (f.num != EXPORT_RESPONSE_PARTIAL_SUCCESS)
			continue;
		if (f.wire != PB_LEN || parse_partial_success(&f, rejected, msg, msglen) < 0)
			return -EBADMSG;
	}
	return rc < 0 ? -EBADMSG : 0;
}

int otlp_parse_status(const void *body, size_t len, char *msg, size_t msglen)
{
	struct pb_reader r = pb_reader(body, len);
	struct pb_field f;
	int rc;

	msg[0] = '\0';
	while ((rc = pb_next(&r, &f)) > 0)
		if (f.num == STATUS_MESSAGE && f.wire == PB_LEN)
			copy_str(msg, msglen, &f);
	return rc < 0 ? -EBADMSG : 0;
}
