// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope stacks --leaks output. */
#include <string.h>
#include "format/json.h"
#include "format/leaks.h"
#include "format/traceback.h"
#include "util/buf.h"

static void fmt_wait(char *buf, size_t len, int64_t ns)
{
	if (ns < 0)
		snprintf(buf, len, "-");
	else if (ns < 60000000000ll)
		snprintf(buf, len, "<1 min");
	else
		snprintf(buf, len, "%lld min", (long long)(ns / 60000000000ll));
}

/* A function's name as tracebacks print it (generic shapes as [...]). */
static const char *pname(struct buf *b, const struct leaks *lk, const char *name)
{
	buf_reset(b);
	if (!name)
		return "?";
	traceback__func_name(b, &(struct gdump){ .minor = leaks__minor(lk) }, name);
	buf_put(b, "", 1);
	return b->oom ? name : b->data;
}

void leaks_print_text(FILE *out, struct leaks *lk, pid_t pid, const char *comm,
		      const char *version)
{
	struct buf b1 = { 0 }, b2 = { 0 };
	size_t n, i;
	const struct leak_suspect *s = leaks__suspects(lk, &n);
	char wait[32];

	fprintf(out, "goscope stacks --leaks: PID %d (%s, %s), %.1f s, %d dumps: %zu suspect "
		"group%s\n", (int)pid, comm, version, (double)leaks__window_ns(lk) / 1e9,
		leaks__dumps(lk), n, n == 1 ? "" : "s");
	if (!n) {
		fprintf(out, "\nNo group of goroutines blocked in a channel, select, sync or network "
			"wait kept its count over the window.\n");
		return;
	}
	fprintf(out, "(groups blocked in channel, select, sync or network waits whose count never "
		"went down; growth over the window first)\n\n");
	fprintf(out, "%3s %7s %7s %8s  %-22s %s\n", "#", "COUNT", "GROWTH", "OLDEST", "BLOCKED IN",
		"RUNS → BLOCKS AT");
	for (i = 0; i < n; i++) {
		fmt_wait(wait, sizeof(wait), s[i].oldest_wait_ns);
		fprintf(out, "%3zu %7llu %+7lld %8s  %-22s %s → %s %s:%d%s\n", i + 1,
			(unsigned long long)s[i].last, (long long)s[i].growth, wait,
			s[i].state ? s[i].state : "?", pname(&b1, lk, s[i].runs),
			pname(&b2, lk, s[i].at_func), s[i].at_file ? s[i].at_file : "?",
			s[i].at_line, s[i].runtime_leaked ? "  (leaked, says the runtime)" : "");
	}
	buf_free(&b1);
	buf_free(&b2);
	for (i = 0; i < n; i++)
		if (s[i].stack)
			fprintf(out, "\n#%zu: %s", i + 1, s[i].stack);
}

int leaks_print_json(FILE *out, struct leaks *lk)
{
	size_t n, i, k;
	const struct leak_suspect *s = leaks__suspects(lk, &n);
	struct json j = { 0 };
	struct buf b1 = { 0 }, b2 = { 0 };
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		json_begin(&j);
		json_u64(&j, "rank", i + 1);
		json_u64(&j, "count", s[i].last);
		json_i64(&j, "growth", s[i].growth);
		json_u64(&j, "peak", s[i].peak);
		json_str(&j, "wait_reason", s[i].state);
		if (s[i].oldest_wait_ns >= 0)
			json_i64(&j, "oldest_wait_ns", s[i].oldest_wait_ns);
		else
			json_null(&j, "oldest_wait_ns");
		json_str(&j, "runs", pname(&b1, lk, s[i].runs));
		json_u64(&j, "runtime_leaked", s[i].runtime_leaked);
		json_obj_open(&j, "blocks_at");
		json_str(&j, "function", pname(&b2, lk, s[i].at_func));
		json_str(&j, "file", s[i].at_file);
		json_i64(&j, "line", s[i].at_line);
		json_obj_close(&j);
		json_arr_open(&j, "goids");
		for (k = 0; k < s[i].ngoids; k++)
			json_u64(&j, NULL, s[i].goids[k]);
		json_arr_close(&j);
		json_i64(&j, "dumps_seen", s[i].dumps_seen);
		json_i64(&j, "dumps", leaks__dumps(lk));
		json_u64(&j, "window_ns", leaks__window_ns(lk));
		if (json_end(&j))
			rc = -1;
		else
			fwrite(j.b.data, 1, j.b.len, out);
	}
	json_free(&j);
	buf_free(&b1);
	buf_free(&b2);
	return rc;
}
