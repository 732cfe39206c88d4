// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The writers every output shares, without root: JSON escaping and non-finite numbers, the
 * Prometheus pause quantiles (as runtime/debug.ReadGCStats computes them), runtime/metrics as
 * client_golang exports them (names, numbers as Go writes them, re-bucketed histograms), the
 * unit formatters, and the command line's duration and budget parsers.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "cli.h"
#include "format/json.h"
#include "format/prom.h"
#include "format/prom_rtm.h"
#include "format/ps.h"
#include "goruntime/rtmetrics.h"
#include "format/traceback.h"
#include "util/units.h"

/* One JSON object holding a single member written by fn, as text. */
static const char *one_member(struct json *j, void (*fn)(struct json *j))
{
	json_begin(j);
	fn(j);
	if (json_end(j))
		return "(error)";
	if (j->b.len)
		j->b.data[j->b.len - 1] = 0;	/* the newline */
	return j->b.data;
}

static void str_escapes(struct json *j)
{
	json_str(j, "k\"ey", "a\"b\\c\nd\te\x01\x7f");
}

static void str_bad_utf8(struct json *j)
{
	json_str(j, "s", "ok \xc3\xa9 bad \xff\xc3 end");
}

static void str_null(struct json *j)
{
	json_str(j, "s", NULL);
}

static void f64_nan(struct json *j)
{
	json_f64(j, "nan", NAN);
	json_f64(j, "inf", INFINITY);
	json_f64(j, "ninf", -INFINITY);
	json_f64(j, "third", 1.0 / 3);
	json_f64(j, "big", 1e300);
}

static void nested(struct json *j)
{
	json_obj_open(j, "o");
	json_arr_open(j, "a");
	json_u64(j, NULL, 18446744073709551615ull);
	json_i64(j, NULL, -9223372036854775807ll - 1);
	json_arr_close(j);
	json_bool(j, "t", true);
	json_null(j, "n");
	json_obj_close(j);
}

static void unbalanced(struct json *j)
{
	json_obj_open(j, "o");
}

static void test_json(void)
{
	struct json j = { 0 };

	ASSERT_STREQ(one_member(&j, str_escapes),
		     "{\"k\\\"ey\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f\"}", "escapes");
	ASSERT_STREQ(one_member(&j, str_bad_utf8), "{\"s\":\"ok \xc3\xa9 bad \xef\xbf\xbd"
		     "\xef\xbf\xbd end\"}", "invalid UTF-8 becomes U+FFFD");
	ASSERT_STREQ(one_member(&j, str_null), "{\"s\":null}", "a NULL string is null");
	ASSERT_STREQ(one_member(&j, f64_nan), "{\"nan\":null,\"inf\":null,\"ninf\":null,"
		     "\"third\":0.3333333333333333,\"big\":1e+300}", "non-finite numbers are null");
	ASSERT_STREQ(one_member(&j, nested), "{\"o\":{\"a\":[18446744073709551615,"
		     "-9223372036854775808],\"t\":true,\"n\":null}}", "nesting and extremes");
	ASSERT_STREQ(one_member(&j, unbalanced), "(error)", "an unclosed object is refused");
	json_free(&j);
}

static void test_prom_quantiles(void)
{
	uint64_t ring[256] = { 0 }, q[5];
	uint32_t i;

	prom_pause_quantiles(ring, 0, q);
	ASSERT_TRUE(!q[0] && !q[2] && !q[4], "no cycle: all zero");
	ring[0] = 700;
	prom_pause_quantiles(ring, 1, q);
	ASSERT_TRUE(q[0] == 700 && q[2] == 700 && q[4] == 700, "one cycle: every quantile is it");
	for (i = 0; i < 4; i++)
		ring[i] = (i + 1) * 100;	/* 100 200 300 400 */
	prom_pause_quantiles(ring, 4, q);
	/* ReadGCStats: sorted[len*i/4] for i < 4, the maximum last. */
	ASSERT_TRUE(q[0] == 100 && q[1] == 200 && q[2] == 300 && q[3] == 400 && q[4] == 400,
		    "four cycles");
	/* 300 cycles: the ring holds the last 256 (cycle n at [(n-1) % 256]). */
	for (i = 1; i <= 300; i++)
		ring[(i - 1) % 256] = i;
	prom_pause_quantiles(ring, 300, q);
	ASSERT_EQ(q[0], 45, "the oldest of the last 256 cycles");
	ASSERT_EQ(q[2], 45 + 128, "the median of the last 256");
	ASSERT_EQ(q[4], 300, "the newest");
}


/* strconv.FormatFloat(v, 'g', -1, 64), as Go 1.27 printed it for each. */
static void test_prom_go_float(void)
{
	static const struct { double v; const char *go; } cases[] = {
		{ 0.5, "0.5" }, { 100, "100" }, { 123456, "123456" }, { 1048576, "1.048576e+06" },
		{ 1e6, "1e+06" }, { 999999, "999999" }, { 0.0001, "0.0001" }, { 9e-05, "9e-05" },
		{ 1.5e-10, "1.5e-10" }, { 123.456, "123.456" }, { -2.5, "-2.5" }, { 1e21, "1e+21" },
		{ 1e300, "1e+300" }, { 4.9406564584124654e-324, "5e-324" },
		{ 1.7976931348623157e+308, "1.7976931348623157e+308" },
		{ 8.9999999999999982, "8.999999999999998" },
		{ 6.3999999999999991e-08, "6.399999999999999e-08" },
		{ 0.10485759999999998, "0.10485759999999998" },
		{ 9007199254740992, "9.007199254740992e+15" }, { 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" }, { 1e23, "1e+23" }, { 8.41e21, "8.41e+21" },
		{ 123456789, "1.23456789e+08" }, { 1, "1" }, { 0, "0" }, { -1, "-1" },
		{ INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { NAN, "NaN" },
	};
	char b[40];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_STREQ(prom_go_float(b, sizeof(b), cases[i].v), cases[i].go, cases[i].go);
}

/* internal.RuntimeMetricsToProm's own test cases, and names of the runtime. */
static void test_rtm_prom_names(void)
{
	char b[128];

	ASSERT_STREQ(rtm_prom_name("/memory/live:bytes", false, b, sizeof(b)),
		     "go_memory_live_bytes", "a gauge");
	ASSERT_STREQ(rtm_prom_name("/memory/allocs:bytes", true, b, sizeof(b)),
		     "go_memory_allocs_bytes_total", "a counter");
	ASSERT_STREQ(rtm_prom_name("/memory/alloc-rate:bytes/second", false, b, sizeof(b)),
		     "go_memory_alloc_rate_bytes_per_second", "a unit per unit");
	ASSERT_STREQ(rtm_prom_name("/gc/time:cpu*seconds", true, b, sizeof(b)),
		     "go_gc_time_cpu_seconds_total", "a unit times unit");
	ASSERT_STREQ(rtm_prom_name("/this/is/a/very/deep/metric:metrics", false, b, sizeof(b)),
		     "go_this_is_a_very_deep_metric_metrics", "a deep key");
	ASSERT_TRUE(!rtm_prom_name("/this*is*an*invalid...:\xc2\xb5name", false, b, sizeof(b)),
		    "an invalid name is not exported");
	ASSERT_TRUE(!rtm_prom_name("/toplevel:bytes", false, b, sizeof(b)),
		    "a key without a directory is not exported");
	ASSERT_STREQ(rtm_prom_name("/cpu/classes/gc/mark/assist:cpu-seconds", true, b, sizeof(b)),
		     "go_cpu_classes_gc_mark_assist_cpu_seconds_total", "a cpu class");
	ASSERT_STREQ(rtm_prom_name("/sched/goroutines-created:goroutines", true, b, sizeof(b)),
		     "go_sched_goroutines_created_goroutines_total", "a dash in the last element");
	ASSERT_STREQ(rtm_prom_name("/memory/classes/os-stacks:bytes", false, b, sizeof(b)),
		     "go_memory_classes_os_stacks_bytes", "a dash");
	ASSERT_TRUE(!rtm_prom_name("/gc/heap/allocs:bytes", true, b, 10), "too small a buffer");
}

/* The le labels client_golang (1.14, the newest) writes for a time histogram of this release. */
static void check_time_rebucket(int minor, const char *const *want, uint32_t nwant)
{
	struct prom_rtm_hist out;
	struct rtm_hist h;
	double bounds[1100];
	uint64_t counts[1100], in[1100], total = 0, got_total = 0;
	char le[40], what[64];
	uint32_t i;

	h.bounds = rtm_time_bounds(minor, &h.n);
	for (i = 0; i < h.n; i++)
		in[i] = i + 1, total += i + 1;
	h.counts = in;
	out.bounds = bounds;
	out.counts = counts;
	ASSERT_EQ(prom_rtm_rebucket(&h, "seconds", &out), 0, "a time histogram re-buckets");
	snprintf(what, sizeof(what), "go1.%d: buckets", minor);
	ASSERT_EQ(out.n, nwant + 1, what);
	ASSERT_TRUE(bounds[0] == 0 && isinf(bounds[out.n]), "from 0 to +Inf, -Inf dropped");
	for (i = 0; i < nwant && i < out.n; i++) {
		snprintf(what, sizeof(what), "go1.%d: le %u", minor, i);
		prom_go_float(le, sizeof(le), nextafter(bounds[i + 1], bounds[i]));
		ASSERT_STREQ(le, want[i], what);
	}
	for (i = 0; i < out.n; i++)
		got_total += counts[i];
	ASSERT_EQ(got_total, total, "every count lands in one bucket");
	/* -Inf..0 and 0..next: both in the first bucket. */
	ASSERT_TRUE(counts[0] >= in[0] + in[1], "the underflow is in the first bucket");
	ASSERT_EQ(counts[out.n - 1] >= in[h.n - 1], 1, "the overflow is in the last");
}

static void test_rebucket(void)
{
	static const char *const le27[] = {
		"6.399999999999999e-08", "6.399999999999999e-07", "7.167999999999999e-06",
		"8.191999999999999e-05", "0.0009175039999999999", "0.010485759999999998",
		"0.11744051199999998",
	};
	static const char *const le19[] = {
		"9.999999999999999e-10", "9.999999999999999e-09", "9.999999999999998e-08",
		"1.0239999999999999e-06", "1.0239999999999999e-05", "0.00010239999999999998",
		"0.0010485759999999998", "0.010485759999999998", "0.10485759999999998",
	};
	/* Size classes, the first twelve, then large objects. */
	static const double sizes[] = { 1, 9, 17, 25, 33, 49, 65, 81, 97, 113, 129, 145, INFINITY };
	static const uint64_t in[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	static const double want_bounds[] = { 1, 9, 25, 65, 145, INFINITY };
	static const uint64_t want_counts[] = { 1, 5, 15, 45, 12 };
	struct rtm_hist h = { .n = 12, .bounds = sizes, .counts = (uint64_t *)in };
	struct prom_rtm_hist out;
	double bounds[16];
	uint64_t counts[16];
	uint32_t i;

	check_time_rebucket(27, le27, 7);
	check_time_rebucket(22, le27, 7);
	check_time_rebucket(19, le19, 9);
	out.bounds = bounds;
	out.counts = counts;
	ASSERT_EQ(prom_rtm_rebucket(&h, "bytes", &out), 0, "sizes re-bucket");
	ASSERT_EQ(out.n, 5, "bytes: a bound at least twice the last");
	for (i = 0; i < 5; i++) {
		ASSERT_TRUE(bounds[i] == want_bounds[i], "bytes: the bounds kept");
		ASSERT_EQ(counts[i], want_counts[i], "bytes: counts added up");
	}
	ASSERT_TRUE(isinf(bounds[5]), "bytes: +Inf last");
	/* Without an exact sum: lower bounds times counts. */
	ASSERT_TRUE(prom_rtm_hist_sum(&out, NULL, RTM_GC_PAUSES) == 5086, "approximate sum");
	ASSERT_EQ(prom_rtm_rebucket(&h, "objects", &out), 0, "another unit");
	ASSERT_EQ(out.n, 12, "other units keep every bucket");
	h.n = 1;
	h.bounds = (const double[]){ -INFINITY, INFINITY };
	ASSERT_EQ(prom_rtm_rebucket(&h, "seconds", &out), -EINVAL, "no finite bound");
}

/* Two processes: Go 1.19 (backfilled /gc/gogc:percent) and a newer one. */
static bool rtm_skip_gogc(const char *name)
{
	return !strcmp(name, "go_gc_gogc_percent");
}

static void test_render_rtm(void)
{
	static struct rtm_values a, b;
	static const double sizes[] = { 1, 9, 17, INFINITY };
	uint64_t ca[3] = { 4, 5, 6 }, cb[3] = { 1, 0, 0 };
	const struct rtm_values *vals[3] = { &a, NULL, &b };
	struct prom labels[3] = { 0 }, p = { 0 };
	const char *t;
	int i;

	for (i = 0; i < 3; i++)
		prom_label(&labels[i], "pid", i == 0 ? "1" : i == 1 ? "2" : "3");
	a.v[RTM_GC_GOGC] = (struct rtm_value){ .status = RTM_OK, .backfilled = true, .u = 100 };
	b.v[RTM_GC_GOGC] = (struct rtm_value){ .status = RTM_OK, .u = 50 };
	a.v[RTM_GC_HEAP_ALLOCS_BYTES] = (struct rtm_value){ .status = RTM_OK, .u = 12345 };
	a.v[RTM_GC_HEAP_ALLOCS_BY_SIZE] = (struct rtm_value){ .status = RTM_OK,
		.h = { .n = 3, .bounds = sizes, .counts = ca } };
	b.v[RTM_GC_HEAP_ALLOCS_BY_SIZE] = (struct rtm_value){ .status = RTM_OK,
		.h = { .n = 3, .bounds = sizes, .counts = cb } };
	b.v[RTM_CPU_USER] = (struct rtm_value){ .status = RTM_OK, .f = 1.5 };
	b.v[RTM_SCHED_THREADS_TOTAL] = (struct rtm_value){ .status = RTM_UNREADABLE };
	prom_render_rtm(&p, vals, labels, 3, true, NULL);
	ASSERT_TRUE(!p.b.oom && p.b.data, "rendered");
	t = p.b.data ? p.b.data : "";
	ASSERT_TRUE(strstr(t, "# TYPE go_gc_gogc_percent gauge\n"), "a gauge");
	ASSERT_TRUE(strstr(t, "go_gc_gogc_percent{pid=\"1\",computed_by=\"goscope\"} 100\n"),
		    "a backfilled value is labelled");
	ASSERT_TRUE(strstr(t, "go_gc_gogc_percent{pid=\"3\"} 50\n"), "the runtime's is not");
	ASSERT_TRUE(strstr(t, "# HELP go_cpu_classes_user_cpu_seconds_total CPU time running Go "),
		    "HELP: the description");
	ASSERT_TRUE(strstr(t, "# TYPE go_cpu_classes_user_cpu_seconds_total counter\n"),
		    "a cumulative float64: a counter");
	ASSERT_TRUE(strstr(t, "go_cpu_classes_user_cpu_seconds_total{pid=\"3\"} 1.5\n"),
		    "a float counter");
	ASSERT_TRUE(!strstr(t, "pid=\"2\""), "a process without a reading has no series");
	ASSERT_TRUE(!strstr(t, "go_sched_threads_total_threads"), "unreadable: no family");
	ASSERT_TRUE(!strstr(t, "go_cgo_go_to_c_calls_calls_total"), "absent: no family");
	ASSERT_TRUE(strstr(t, "# TYPE go_gc_heap_allocs_by_size_bytes histogram\n"), "a histogram");
	ASSERT_TRUE(strstr(t, "go_gc_heap_allocs_by_size_bytes_bucket{pid=\"1\",le=\"8.999999999999998\"} 4\n"
			   "go_gc_heap_allocs_by_size_bytes_bucket{pid=\"1\",le=\"+Inf\"} 15\n"
			   "go_gc_heap_allocs_by_size_bytes_sum{pid=\"1\"} 12345\n"
			   "go_gc_heap_allocs_by_size_bytes_count{pid=\"1\"} 15\n"),
		    "buckets cumulative, +Inf, the exact sum from /gc/heap/allocs:bytes, count");
	ASSERT_TRUE(strstr(t, "go_gc_heap_allocs_bytes_total{pid=\"1\"} 12345\n"), "its sum too");
	prom_reset(&p);
	prom_render_rtm(&p, vals, labels, 3, false, NULL);
	ASSERT_TRUE(p.b.data && !strstr(p.b.data, "_bucket"), "histograms left out");
	prom_reset(&p);
	prom_render_rtm(&p, vals, labels, 3, true, rtm_skip_gogc);
	ASSERT_TRUE(p.b.data && !strstr(p.b.data, "go_gc_gogc_percent"), "a family skipped");
	prom_free(&p);
	for (i = 0; i < 3; i++)
		prom_free(&labels[i]);
}

static void test_units(void)
{
	char b[32];

	ASSERT_STREQ(units_bytes(b, sizeof(b), 812, UNITS_IEC), "812 B", "IEC bytes");
	ASSERT_STREQ(units_bytes(b, sizeof(b), 23.4 * 1048576, UNITS_IEC), "23.4 MiB", "IEC MiB");
	ASSERT_STREQ(units_bytes(b, sizeof(b), 3400, UNITS_SI), "3.4 kB", "SI kB");
	ASSERT_STREQ(units_bytes(b, sizeof(b), 12345678, UNITS_SI), "12.35 MB", "SI MB");
	ASSERT_STREQ(units_bytes(b, sizeof(b), 812, UNITS_COMPACT), "812B", "compact bytes");
	ASSERT_STREQ(units_bytes(b, sizeof(b), 512.0 * 1048576, UNITS_COMPACT), "512M",
		     "compact, no decimal from 100 on");
	ASSERT_STREQ(units_ns(b, sizeof(b), 1234567, UNITS_IEC), "1.23 ms", "ns, plain");
	ASSERT_STREQ(units_ns(b, sizeof(b), 84100, UNITS_COMPACT), "84.1µs", "ns, compact");
	ASSERT_STREQ(units_ns(b, sizeof(b), 84100, UNITS_COMPACT_ASCII), "84.1us", "ns, ASCII");
	ASSERT_STREQ(units_ns(b, sizeof(b), 999.4, UNITS_COMPACT), "999ns", "ns below 1 us");
	ASSERT_STREQ(units_ns(b, sizeof(b), 0, UNITS_IEC), "0 ns", "a 0-length duration");
	ASSERT_STREQ(units_count(b, sizeof(b), 123456), "0.1M", "a count in millions");
	ASSERT_STREQ(units_age(b, sizeof(b), 90000000000ull), "1.5m", "an age in minutes");
	ASSERT_STREQ(units_shortest_double(b, sizeof(b), 0.1), "0.1", "shortest round trip");
}

static void test_durations(void)
{
	static const struct { const char *s; int ok; uint64_t ns; } cases[] = {
		{ "1s", 1, 1000000000ull }, { "500ms", 1, 500000000ull }, { "2.5s", 1, 2500000000ull },
		{ "100us", 1, 100000 }, { "7", 1, 7000000000ull }, { "1m", 1, 60000000000ull },
		{ "0", 1, 0 }, { "0s", 1, 0 }, { ".5s", 1, 500000000ull },
		{ "", 0, 0 }, { "-1s", 0, 0 }, { "+1s", 0, 0 }, { " 1s", 0, 0 }, { "1s ", 0, 0 },
		{ "nan", 0, 0 }, { "inf", 0, 0 }, { "0x10s", 0, 0 }, { "1e400s", 0, 0 },
		{ "99999999999h", 0, 0 }, { "1x", 0, 0 }, { "1e-400s", 0, 0 },
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t ns = 12345;
		int ok = cli_parse_duration(cases[i].s, &ns) == 0;

		snprintf(name, sizeof(name), "duration '%s' accepted", cases[i].s);
		ASSERT_EQ(ok, cases[i].ok, name);
		snprintf(name, sizeof(name), "duration '%s' value", cases[i].s);
		if (ok)
			ASSERT_EQ(ns, cases[i].ns, name);
	}
}

static void test_budgets(void)
{
	static const struct { const char *s; int ok; double v; } cases[] = {
		{ "1", 1, 0.01 }, { "0.5", 1, 0.005 }, { "2%", 1, 0.02 }, { "100", 1, 1 },
		{ "0", 0, 0 }, { "101", 0, 0 }, { "-1", 0, 0 }, { "", 0, 0 }, { "nan", 0, 0 },
		{ "inf", 0, 0 }, { "1e1", 0, 0 }, { " 1", 0, 0 }, { "1 ", 0, 0 }, { "%", 0, 0 },
		{ "1%%", 0, 0 }, { "0x10", 0, 0 },
	};
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double v = -1;
		int ok = cli_parse_budget(cases[i].s, &v) == 0;

		snprintf(name, sizeof(name), "budget '%s' accepted", cases[i].s);
		ASSERT_EQ(ok, cases[i].ok, name);
		snprintf(name, sizeof(name), "budget '%s' value", cases[i].s);
		if (ok)
			ASSERT_TRUE(fabs(v - cases[i].v) < 1e-12, name);
	}
}

/*
 * Function names as tracebacks print them: the runtime's funcNamePiecesForPrint (Go 1.21-1.26:
 * first '[' to last ']' becomes "[...]"; Go 1.27 also folds a generic method of a generic type
 * into two; malformed names stay as they are), and Go 1.19, whose linker already wrote "[...]".
 */
static void test_func_names(void)
{
	static const struct { int minor; const char *in, *want; } cases[] = {
		{ 21, "main.G[go.shape.int]", "main.G[...]" },
		{ 21, "main.(*T[go.shape.int]).M", "main.(*T[...]).M" },
		{ 21, "main.G[go.shape.int].func1", "main.G[...].func1" },
		{ 21, "main.plain", "main.plain" },
		{ 21, "main.odd]name[", "main.odd]name[" },
		{ 26, "main.T[go.shape.int].M[go.shape.string]", "main.T[...]" },
		{ 27, "main.T[go.shape.int].M[go.shape.string]", "main.T[...].M[...]" },
		{ 27, "main.F[map[go.shape.string]go.shape.int]", "main.F[...]" },
		{ 27, "main.F[a]]b[c]", "main.F[a]]b[c]" },
		{ 27, "main.G[go.shape.int]", "main.G[...]" },
		{ 19, "main.G[go.shape.int]", "main.G[go.shape.int]" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gdump d = { .minor = cases[i].minor };
		struct buf b = { 0 };
		char name[96];

		traceback__func_name(&b, &d, cases[i].in);
		buf_put(&b, "", 1);
		snprintf(name, sizeof(name), "func name go1.%d %s", cases[i].minor, cases[i].in);
		ASSERT_STREQ(b.data, cases[i].want, name);
		buf_free(&b);
	}
	ASSERT_TRUE(traceback__is_gowrap("main.main.gowrap1"), "gowrap1");
	ASSERT_TRUE(traceback__is_gowrap("main.(*S).run.gowrap12"), "gowrap12");
	ASSERT_TRUE(!traceback__is_gowrap("main.gowrapper"), "gowrapper");
	ASSERT_TRUE(!traceback__is_gowrap("main.main.gowrap"), "gowrap alone");
}

/* Where header word col starts in line (the table's columns are separated by spaces). */
static long column_at(const char *header, const char *line, const char *col)
{
	const char *h = strstr(header, col);

	return h && (size_t)(h - header) < strlen(line) ? (long)(h - header) : -1;
}

/*
 * A GOEXPERIMENT build's version is longer than the GO column of a plain one
 * ("go1.26.11-X:nogreenteagc"): every column after it must still start under its header.
 */
static void test_ps_columns(void)
{
	struct ps_row rows[3] = {
		{ .pid = 4194303, .comm = "fifteen-chars-x", .version = "go1.25.12",
		  .attach = "yes" },
		{ .pid = 42, .comm = "churn", .version = "go1.26.11-X:nogreenteagc", .pie = true,
		  .attach = "yes" },
		{ .pid = 7, .comm = "p", .version = "<1.13", .object = "/usr/lib/libgo-in-c.so",
		  .attach = "no: Go release too old" },
	};
	static const char *const cols[] = { "PIE", "STRIPPED", "CGO", "RUNTIME", "CONTAINER",
					     "POD", "ATTACH" };
	char *text = NULL, *line[4], *save = NULL;
	size_t len = 0, i, c;
	FILE *f = open_memstream(&text, &len);

	if (!f) {
		ASSERT_TRUE(f != NULL, "open_memstream");
		return;
	}
	ps_print(f, rows, 3);
	fclose(f);
	line[0] = strtok_r(text, "\n", &save);
	for (i = 1; i < 4; i++)
		line[i] = strtok_r(NULL, "\n", &save);
	ASSERT_TRUE(line[3] != NULL, "ps table has a header and three rows");
	for (i = 1; i < 4 && line[i]; i++) {
		long go = column_at(line[0], line[i], "GO");

		ASSERT_TRUE(go > 0 && !strncmp(line[i] + go, rows[i - 1].version,
					       strlen(rows[i - 1].version)), "ps GO value under GO");
		for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			long at = column_at(line[0], line[i], cols[c]);

			/* A value starts where its header does: the character before is a blank. */
			ASSERT_TRUE(at > 0 && line[i][at] != ' ' && line[i][at - 1] == ' ',
				    cols[c]);
		}
	}
	free(text);
	/* Without a long version the table is the one the README shows. */
	text = NULL;
	f = open_memstream(&text, &len);
	if (!f)
		return;
	ps_print(f, rows, 1);
	fclose(f);
	ASSERT_TRUE(strstr(text, " go1.25.12    no "), "ps GO column keeps its usual width");
	free(text);
}

int main(void)
{
	test_func_names();
	test_json();
	test_prom_quantiles();
	test_prom_go_float();
	test_rtm_prom_names();
	test_rebucket();
	test_render_rtm();
	test_units();
	test_durations();
	test_budgets();
	test_ps_columns();
	return check_summary();
}
