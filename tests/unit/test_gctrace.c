// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The gctrace formatter against lines the Go runtime printed (tests/unit/data), and the number
 * formatting helpers against the runtime's own rules (itoaDiv, fmtNSAsMS in runtime/mgc.go).
 */
#include <stdbool.h>
#include <stdlib.h>
#include "check.h"
#include "format/gctrace.h"

static void test_fmt_ns_as_ms(void)
{
	static const struct { uint64_t ns; const char *want; } cases[] = {
		{ 0, "0" },			/* below 1 us: "0" */
		{ 999, "0" },
		{ 1000, "0.001" },		/* x = 1 us, 3 decimals */
		{ 47999, "0.047" },
		{ 99999, "0.099" },
		{ 100000, "0.10" },		/* x = 100: two digits kept, 2 decimals */
		{ 123456, "0.12" },
		{ 999999, "0.99" },
		{ 1000000, "1.0" },
		{ 1234567, "1.2" },
		{ 9999999, "9.9" },
		{ 10000000, "10" },		/* from 10 ms on: whole milliseconds */
		{ 10999999, "10" },
		{ 123456789, "123" },
		{ 1234567890123ULL, "1234567" },
	};
	char buf[32], name[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gctrace_fmt_ns_as_ms(buf, sizeof(buf), cases[i].ns);
		snprintf(name, sizeof(name), "fmtNSAsMS(%llu)", (unsigned long long)cases[i].ns);
		ASSERT_STREQ(buf, cases[i].want, name);
	}
}

static void test_itoa_div(void)
{
	char buf[32];

	gctrace_itoa_div(buf, sizeof(buf), 1266, 3);
	ASSERT_STREQ(buf, "1.266", "itoaDiv(1266, 3): the @ field, 1266 ms");
	gctrace_itoa_div(buf, sizeof(buf), 5, 3);
	ASSERT_STREQ(buf, "0.005", "itoaDiv(5, 3) pads with zeros");
	gctrace_itoa_div(buf, sizeof(buf), 0, 3);
	ASSERT_STREQ(buf, "0.000", "itoaDiv(0, 3)");
	gctrace_itoa_div(buf, sizeof(buf), 3600123, 3);
	ASSERT_STREQ(buf, "3600.123", "itoaDiv after an hour");
	gctrace_itoa_div(buf, sizeof(buf), 42, 0);
	ASSERT_STREQ(buf, "42", "itoaDiv(42, 0)");
}

/* Parse "key=value" words of a raw line into the event the BPF probe would have produced. */
static int parse_raw(char *s, struct gs_gc_end *e)
{
	char *tok, *save = NULL;

	memset(e, 0, sizeof(*e));
	for (tok = strtok_r(s, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '=');
		unsigned long long u;
		long long v;

		if (!eq)
			return -1;
		*eq = 0;
		u = strtoull(eq + 1, NULL, 0);
		v = strtoll(eq + 1, NULL, 0);
#define F(key, field, val) if (!strcmp(tok, key)) { e->field = val; continue; }
		F("numgc", numgc, (uint32_t)u);
		F("cpu_fraction_bits", gc_cpu_fraction_bits, u);
		F("init", runtime_init_time, v);
		F("sweep_term", t_sweep_term, v);
		F("mark", t_mark, v);
		F("mark_term", t_mark_term, v);
		F("end", t_end, v);
		F("stwprocs", stwprocs, (int32_t)v);
		F("maxprocs", maxprocs, (int32_t)v);
		F("forced", user_forced, (uint8_t)u);
		F("heap0", heap0, u);
		F("heap1", heap1, u);
		F("heap2", heap2, u);
		F("pause", pause_ns, v);
		F("assist", assist_time, v);
		F("dedicated", dedicated_mark_time, v);
		F("fractional", fractional_mark_time, v);
		F("idle", idle_mark_time, v);
		F("goal", last_heap_goal, u);
		F("stacks", stack_scan, u);
		F("globals", globals_scan, u);
#undef F
		return -1;
	}
	return 0;
}

static void test_vectors(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[2048], got[GCTRACE_LINE_MAX], name[64];
	struct gs_gc_end e;
	bool have_raw = false;
	int n = 0;

	ASSERT_TRUE(f != NULL, "open the test vectors");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "raw ", 4)) {
			have_raw = parse_raw(line + 4, &e) == 0;
			ASSERT_TRUE(have_raw, "parse a raw vector");
		} else if (!strncmp(line, "want ", 5) && have_raw) {
			gctrace_format(&e, got, sizeof(got));
			snprintf(name, sizeof(name), "runtime line for gc %u", e.numgc);
			ASSERT_STREQ(got, line + 5, name);
			have_raw = false;
			n++;
		}
	}
	fclose(f);
	ASSERT_TRUE(n >= 10, "at least 10 runtime lines checked");
}

static void test_truncation(void)
{
	struct gs_gc_end e = { .numgc = 1, .maxprocs = 2, .user_forced = 1 };
	char small[16];
	size_t n = gctrace_format(&e, small, sizeof(small));

	ASSERT_EQ(n, sizeof(small) - 1, "a short buffer is filled, not overrun");
	ASSERT_EQ(strlen(small), sizeof(small) - 1, "and stays NUL-terminated");
}

/*
 * --fmt-ns: for each decimal nanosecond count on stdin print "ns fmtNSAsMS itoaDiv(ns/1e6,3)",
 * the format of tests/oracle/fmtns, which asks the Go runtime itself.
 */
static int fmt_ns_filter(void)
{
	char line[64], a[32], b[32];

	while (fgets(line, sizeof(line), stdin)) {
		unsigned long long ns = strtoull(line, NULL, 10);

		gctrace_fmt_ns_as_ms(a, sizeof(a), ns);
		gctrace_itoa_div(b, sizeof(b), ns / 1000000, 3);
		printf("%llu %s %s\n", ns, a, b);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--fmt-ns"))
		return fmt_ns_filter();
	test_fmt_ns_as_ms();
	test_itoa_div();
	test_vectors(argc > 1 ? argv[1] : "tests/unit/data/gctrace_vectors.txt");
	test_truncation();
	return check_summary();
}
