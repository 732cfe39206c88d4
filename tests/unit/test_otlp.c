// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Root-free tests of the OTLP encoder (format/otlp.c) and the response readers. The request is
 * read back by a wire-format reader of the test's own (nothing of format/protobuf.c), field by
 * field against the numbers published in opentelemetry-proto; tests/unit/test_unit_otlp.py
 * decodes the same request a second time with the OpenTelemetry project's own Python bindings.
 *
 *   test_otlp           the checks, then "N passed, N failed"
 *   test_otlp --dump    the fixture request, binary, on standard output (for the Python test)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "container/identity.h"
#include "engine/engine.h"
#include "format/otlp.h"
#include "format/protobuf.h"

/* ---- the fixture: three processes ---- */

#define T0	1700000000000000000ull	/* a wall time, ns */
#define MONO	5000000000ull		/* the samples' CLOCK_MONOTONIC */

static struct identity pod = {
	.id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.runtime = CTR_CONTAINERD, .name = "web", .pod = "web-0", .namespace = "shop",
	.pod_uid = "2b3c4d5e-6f70-4182-9a3b-4c5d6e7f8091",
};

static void fill(struct watched *w, pid_t pid, const char *exe, const char *version, int minor)
{
	struct rt_sample *s = &w->cur;

	memset(w, 0, sizeof(*w));
	w->pid = pid;
	snprintf(w->comm, sizeof(w->comm), "comm%d", pid);
	snprintf(w->version, sizeof(w->version), "%s", version);
	w->minor = minor;
	w->exe = exe;
	w->state = WS_LIVE;
	s->ok = true;
	s->mono_ns = MONO;
	s->mapped_ready = 50000000;
	s->stack_inuse = 1048576;
	s->total_alloc = 123456789;
	s->mallocs = 5000;
	s->tiny_allocs = 1200;
	s->next_gc = 8388608;
	s->num_goroutine = 42;
	s->goroutines_with_sys = 49;
	s->gomaxprocs = 4;
	s->gogc = 100;
	s->gomemlimit = INT64_MAX;
}

/* A: plain, no limit; B: in a pod, Go 1.26, limit, GOGC=off, deleted binary; C: unknown version. */
static void fixture(struct watched w[3], uint64_t start[3])
{
	fill(&w[0], 1234, "/usr/local/bin/api", "go1.24.4", 24);
	fill(&w[1], 5678, "/app/server (deleted)", "go1.26.1", 26);
	w[1].ident = &pod;
	w[1].nspid = 1;
	w[1].cur.gomemlimit = 536870912;
	w[1].cur.gogc = -1;
	fill(&w[2], 9, NULL, "?", 0);
	w[2].cur.mapped_ready = 10;	/* read while it moved: less than the stacks */
	start[0] = T0 - 3000000000ull;
	start[1] = T0 - 7000000000ull;
	start[2] = 0;
}

static long encode_fixture(struct buf *b)
{
	static struct watched w[3];
	const struct watched *ws[3] = { &w[0], &w[1], &w[2] };
	struct otlp_env env = { .host_name = "node-7", .real_minus_mono_ns = (int64_t)(T0 - MONO) };
	uint64_t start[3];

	fixture(w, start);
	return otlp_encode(b, &env, ws, start, 3);
}

/* ---- the test's own wire reader ---- */

struct fld {
	int num, wire;
	uint64_t v;
	const uint8_t *p;
	size_t len;
};

static int rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (*p < end && shift < 64) {
		uint8_t c = *(*p)++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Every field of a message, in order, into f (at most max); returns how many, -1 if malformed. */
static int fields(const uint8_t *p, size_t len, struct fld *f, int max)
{
	const uint8_t *end = p + len;
	uint64_t key;
	int n = 0, i;

	while (p < end && n < max) {
		struct fld *x = &f[n++];

		if (rd_varint(&p, end, &key))
			return -1;
		x->num = (int)(key >> 3);
		x->wire = (int)(key & 7);
		if (x->wire == 0 && rd_varint(&p, end, &x->v))
			return -1;
		if (x->wire == 1) {
			if (end - p < 8)
				return -1;
			for (x->v = 0, i = 7; i >= 0; i--)
				x->v = x->v << 8 | p[i];
			p += 8;
		}
		if (x->wire == 2) {
			if (rd_varint(&p, end, &x->v) || x->v > (uint64_t)(end - p))
				return -1;
			x->p = p;
			x->len = (size_t)x->v;
			p += x->len;
		}
		if (x->wire != 0 && x->wire != 1 && x->wire != 2)
			return -1;
	}
	return p == end ? n : -1;
}

/* The value of field num (the first), or NULL. */
static const struct fld *get(const struct fld *f, int n, int num)
{
	int i;

	for (i = 0; i < n; i++)
		if (f[i].num == num)
			return &f[i];
	return NULL;
}

static int count(const struct fld *f, int n, int num)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += f[i].num == num;
	return c;
}

static void str(const struct fld *f, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", f ? (int)f->len : 0, f ? (const char *)f->p : "");
}

/* One attribute of a KeyValue list (the fields numbered num): "s:text", "i:123", or "". */
static const char *attr(const struct fld *f, int n, int num, const char *key, char *buf,
			size_t len)
{
	struct fld kv[4], any[4];
	char k[128];
	int i, nkv, nany;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (f[i].num != num || f[i].wire != 2)
			continue;
		nkv = fields(f[i].p, f[i].len, kv, 4);
		str(get(kv, nkv, 1), k, sizeof(k));
		if (nkv < 0 || strcmp(k, key) || !get(kv, nkv, 2))
			continue;
		nany = fields(get(kv, nkv, 2)->p, get(kv, nkv, 2)->len, any, 4);
		if (nany == 1 && any[0].num == 1 && any[0].wire == 2)
			snprintf(buf, len, "s:%.*s", (int)any[0].len, (const char *)any[0].p);
		else if (nany == 1 && any[0].num == 3 && any[0].wire == 0)
			snprintf(buf, len, "i:%lld", (long long)any[0].v);
		else
			snprintf(buf, len, "malformed");
	}
	return buf;
}

struct want_point {
	const char *type;		/* go.memory.type, or NULL */
	int64_t v;
};

struct want_metric {
	const char *name, *unit;
	int monotonic;
	int npoints;			/* 0: the metric must be absent */
	struct want_point p[2];
};

/* A Sum's points: each with the times and the value wanted. */
static void check_points(const struct fld *sum, int nsum, const struct want_metric *m,
			 uint64_t start)
{
	struct fld pf[8];
	char name[160], a[160], want[64];
	int i, k = 0, np;

	for (i = 0; i < nsum; i++) {
		if (sum[i].num != 1)
			continue;
		np = fields(sum[i].p, sum[i].len, pf, 8);
		snprintf(name, sizeof(name), "%s point %d", m->name, k);
		ASSERT_TRUE(np > 0 && k < m->npoints, name);
		if (np <= 0 || k >= m->npoints)
			return;
		ASSERT_EQ(get(pf, np, 3) ? get(pf, np, 3)->wire : -1, 1, "time is fixed64");
		ASSERT_EQ(get(pf, np, 3) ? get(pf, np, 3)->v : 0, T0, name);
		ASSERT_EQ(get(pf, np, 2) ? get(pf, np, 2)->v : 0, start, "start_time_unix_nano");
		ASSERT_EQ(get(pf, np, 6) ? get(pf, np, 6)->wire : -1, 1, "as_int is sfixed64");
		ASSERT_EQ((int64_t)(get(pf, np, 6) ? get(pf, np, 6)->v : 0), m->p[k].v, name);
		ASSERT_EQ(get(pf, np, 4) == NULL, 1, "no as_double");
		want[0] = '\0';
		if (m->p[k].type)
			snprintf(want, sizeof(want), "s:%s", m->p[k].type);
		ASSERT_STREQ(attr(pf, np, 7, "go.memory.type", a, sizeof(a)), want, name);
		k++;
	}
	snprintf(name, sizeof(name), "%s: points", m->name);
	ASSERT_EQ(k, m->npoints, name);
}

/* The metric named m->name among a ScopeMetrics' fields, checked (or checked absent). */
static void check_metric(const struct fld *sm, int nsm, const struct want_metric *m,
			 uint64_t start)
{
	struct fld mf[8], sum[8];
	char s[160];
	int i, nm = 0, ns, found = 0;

	for (i = 0; i < nsm; i++) {
		if (sm[i].num != 2)
			continue;
		nm = fields(sm[i].p, sm[i].len, mf, 8);
		str(get(mf, nm, 1), s, sizeof(s));
		if (nm > 0 && !strcmp(s, m->name))
			break;
		nm = 0;
	}
	found = nm > 0;
	snprintf(s, sizeof(s), "%s present", m->name);
	ASSERT_EQ(found, m->npoints > 0, s);
	if (!found)
		return;
	str(get(mf, nm, 3), s, sizeof(s));
	ASSERT_STREQ(s, m->unit, m->name);
	ASSERT_TRUE(get(mf, nm, 2) && get(mf, nm, 2)->len > 10, "description");
	ASSERT_TRUE(get(mf, nm, 7) && !get(mf, nm, 5), "a Sum, not a Gauge");
	if (!get(mf, nm, 7))
		return;
	ns = fields(get(mf, nm, 7)->p, get(mf, nm, 7)->len, sum, 8);
	ASSERT_EQ(get(sum, ns, 2) ? get(sum, ns, 2)->v : 0, 2, "temporality CUMULATIVE");
	ASSERT_EQ(get(sum, ns, 3) ? get(sum, ns, 3)->v : 0, m->monotonic, "is_monotonic");
	check_points(sum, ns, m, start);
}

struct want_resource {
	const char *attrs[16][2];	/* key, "s:…"/"i:…" ("" : absent) */
	uint64_t start;
	struct want_metric m[8];
};

static const struct want_resource want[3] = {
	{ { { "service.name", "s:api" }, { "service.namespace", "" },
	    { "service.instance.id", "s:node-7/1234" }, { "process.pid", "i:1234" },
	    { "process.vpid", "" }, { "process.executable.name", "s:api" },
	    { "process.runtime.name", "s:go" }, { "process.runtime.version", "s:go1.24.4" },
	    { "host.name", "s:node-7" }, { "container.id", "" }, { "k8s.pod.name", "" } },
	  T0 - 3000000000ull,
	  { { "go.memory.used", "By", 0, 2, { { "stack", 1048576 }, { "other", 48951424 } } },
	    { "go.memory.limit", "By", 0, 0, { { 0 } } },
	    { "go.memory.allocated", "By", 1, 1, { { NULL, 123456789 } } },
	    { "go.memory.allocations", "{allocation}", 1, 1, { { NULL, 3800 } } },
	    { "go.memory.gc.goal", "By", 0, 1, { { NULL, 8388608 } } },
	    { "go.goroutine.count", "{goroutine}", 0, 1, { { NULL, 42 } } },
	    { "go.processor.limit", "{thread}", 0, 1, { { NULL, 4 } } },
	    { "go.config.gogc", "%", 0, 1, { { NULL, 100 } } } } },
	{ { { "service.name", "s:server" }, { "service.namespace", "s:shop" },
	    { "service.instance.id", "s:node-7/5678" }, { "process.pid", "i:5678" },
	    { "process.vpid", "i:1" }, { "process.executable.name", "s:server" },
	    { "process.runtime.version", "s:go1.26.1" },
	    { "container.id", "s:0123456789abcdef0123456789abcdef"
			      "0123456789abcdef0123456789abcdef" },
	    { "container.name", "s:web" }, { "container.runtime.name", "s:containerd" },
	    { "k8s.pod.name", "s:web-0" },
	    { "k8s.pod.uid", "s:2b3c4d5e-6f70-4182-9a3b-4c5d6e7f8091" },
	    { "k8s.namespace.name", "s:shop" }, { "k8s.container.name", "s:web" } },
	  T0 - 7000000000ull,
	  { { "go.memory.limit", "By", 0, 1, { { NULL, 536870912 } } },
	    { "go.goroutine.count", "{goroutine}", 0, 1, { { NULL, 49 } } },
	    { "go.config.gogc", "%", 0, 0, { { 0 } } } } },
	{ { { "service.name", "s:comm9" }, { "process.executable.name", "s:comm9" },
	    { "process.runtime.name", "s:go" }, { "process.runtime.version", "" } },
	  0,
	  { { "go.memory.used", "By", 0, 0, { { 0 } } },
	    { "go.goroutine.count", "{goroutine}", 0, 1, { { NULL, 42 } } } } },
};

static void check_resource(const struct fld *rm, int nrm, const struct want_resource *w)
{
	struct fld res[32], sm[16], scope[4];
	char a[160], s[160];
	int nres, nsm, i;

	ASSERT_EQ(count(rm, nrm, 1), 1, "one Resource");
	ASSERT_EQ(count(rm, nrm, 2), 1, "one ScopeMetrics");
	str(get(rm, nrm, 3), s, sizeof(s));
	ASSERT_STREQ(s, OTLP_SCHEMA_URL, "ResourceMetrics.schema_url");
	if (!get(rm, nrm, 1) || !get(rm, nrm, 2))
		return;
	nres = fields(get(rm, nrm, 1)->p, get(rm, nrm, 1)->len, res, 32);
	ASSERT_TRUE(nres > 0, "Resource decodes");
	for (i = 0; i < 16 && w->attrs[i][0]; i++)
		ASSERT_STREQ(attr(res, nres, 1, w->attrs[i][0], a, sizeof(a)), w->attrs[i][1],
			     w->attrs[i][0]);
	nsm = fields(get(rm, nrm, 2)->p, get(rm, nrm, 2)->len, sm, 16);
	ASSERT_TRUE(nsm > 0 && get(sm, nsm, 1), "ScopeMetrics decodes, with a scope");
	if (nsm <= 0 || !get(sm, nsm, 1))
		return;
	str(get(sm, nsm, 3), s, sizeof(s));
	ASSERT_STREQ(s, OTLP_SCHEMA_URL, "ScopeMetrics.schema_url");
	i = fields(get(sm, nsm, 1)->p, get(sm, nsm, 1)->len, scope, 4);
	str(get(scope, i, 1), s, sizeof(s));
	ASSERT_STREQ(s, "goscope", "InstrumentationScope.name");
	/* goscope's version (not compared with this file's: an incremental build may differ) */
	str(get(scope, i, 2), s, sizeof(s));
	ASSERT_TRUE(s[0], "InstrumentationScope.version");
	for (i = 0; i < 8 && w->m[i].name; i++)
		check_metric(sm, nsm, &w->m[i], w->start);
}

static void test_request(void)
{
	struct buf b = { 0 };
	struct fld req[8], rm[8];
	long points = encode_fixture(&b);
	int n, nrm, i;

	ASSERT_EQ(points, 8 + 8 + 6, "data points encoded");
	n = fields((const uint8_t *)b.data, b.len, req, 8);
	ASSERT_EQ(n, 3, "three fields in ExportMetricsServiceRequest");
	for (i = 0; i < n && i < 3; i++) {
		ASSERT_EQ(req[i].num, 1, "ExportMetricsServiceRequest.resource_metrics = 1");
		nrm = fields(req[i].p, req[i].len, rm, 8);
		ASSERT_TRUE(nrm > 0, "ResourceMetrics decodes");
		if (nrm > 0)
			check_resource(rm, nrm, &want[i]);
	}
	/* A second request reuses the buffer: nothing of the first stays. */
	ASSERT_EQ(otlp_encode(&b, &(struct otlp_env){ "h", 0 }, NULL, NULL, 0), 0, "no process");
	ASSERT_EQ(b.len, 0, "an empty request is empty");
	buf_free(&b);
}

static void test_responses(void)
{
	static const uint8_t partial[] = { 0x0a, 0x07, 0x08, 0x07, 0x12, 0x03, 'b', 'a', 'd' };
	static const uint8_t unknown_first[] = { 0x28, 0x01, 0x0a, 0x02, 0x08, 0x03 };
	static const uint8_t truncated[] = { 0x0a, 0x05, 0x08 };
	static const uint8_t status[] = { 0x08, 0x03, 0x12, 0x04, 'o', 'o', 'p', 's', 0x1a, 0x00 };
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff };
	int64_t rejected = -1;
	char msg[64];

	ASSERT_EQ(otlp_parse_response(partial, sizeof(partial), &rejected, msg, sizeof(msg)), 0,
		  "partial success parses");
	ASSERT_EQ(rejected, 7, "rejected_data_points");
	ASSERT_STREQ(msg, "bad", "partial_success.error_message");
	ASSERT_EQ(otlp_parse_response("", 0, &rejected, msg, sizeof(msg)), 0, "empty = success");
	ASSERT_EQ(rejected, 0, "nothing rejected");
	ASSERT_EQ(otlp_parse_response(unknown_first, sizeof(unknown_first), &rejected, msg,
				      sizeof(msg)), 0, "unknown fields skipped");
	ASSERT_EQ(rejected, 3, "rejected after an unknown field");
	ASSERT_EQ(otlp_parse_response(truncated, sizeof(truncated), &rejected, msg, sizeof(msg)),
		  -EBADMSG, "truncated response");
	ASSERT_EQ(otlp_parse_status(status, sizeof(status), msg, sizeof(msg)), 0, "Status parses");
	ASSERT_STREQ(msg, "oops", "Status.message");
	ASSERT_EQ(otlp_parse_status(garbage, sizeof(garbage), msg, sizeof(msg)), -EBADMSG,
		  "garbage is no Status");
	ASSERT_EQ(otlp_parse_status(status, sizeof(status), msg, 3), 0, "short buffer");
	ASSERT_STREQ(msg, "oo", "message cut to the buffer");
}

/* The writer's edges: varint lengths, fixed64 byte order, a length that needs two bytes. */
static void test_wire(void)
{
	struct buf b = { 0 };
	struct fld f[4];
	char big[300];
	size_t at;
	int n;

	memset(big, 'x', sizeof(big));
	pb_put_fixed64(&b, 1, 0x0102030405060708ull);
	at = pb_open(&b, 2);
	buf_put(&b, big, sizeof(big));
	pb_close(&b, at);
	pb_put_uint(&b, 3, UINT64_MAX);
	pb_put_uint(&b, 4, 0);
	n = fields((const uint8_t *)b.data, b.len, f, 4);
	ASSERT_EQ(n, 3, "three fields (a zero varint is left out)");
	ASSERT_EQ(b.data[1], 0x08, "fixed64 is little-endian");
	ASSERT_TRUE(f[0].v == 0x0102030405060708ull, "fixed64 value");
	ASSERT_EQ(f[1].len, sizeof(big), "two-byte length");
	ASSERT_TRUE(f[2].v == UINT64_MAX, "ten-byte varint");
	buf_free(&b);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump")) {
		struct buf b = { 0 };
		int ok = encode_fixture(&b) > 0 && fwrite(b.data, 1, b.len, stdout) == b.len;

		buf_free(&b);
		return ok ? 0 : 1;
	}
	test_request();
	test_responses();
	test_wire();
	return check_summary();
}
