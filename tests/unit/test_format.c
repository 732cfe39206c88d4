// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The writers every output shares, without root: JSON escaping and non-finite numbers, the
 * Prometheus pause quantiles (as runtime/debug.ReadGCStats computes them), the unit formatters,
 * and the command line's duration and budget parsers.
 */
#include <math.h>
#include <string.h>
#include "check.h"
#include "cli.h"
#include "format/json.h"
#include "format/prom.h"
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

int main(void)
{
	test_func_names();
	test_json();
	test_prom_quantiles();
	test_units();
	test_durations();
	test_budgets();
	return check_summary();
}
