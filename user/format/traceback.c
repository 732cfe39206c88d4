// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Goroutine blocks as runtime/traceback.go prints them, per release:
 *
 *   header   goroutineheader: "goroutine N", " gp=… m=…" at GOTRACEBACK=system (Go 1.22+),
 *            " [status", " (leaked)", " (scan)", ", N minutes" (waiting or in a syscall, by
 *            g.waitsince), ", locked to thread", ", synctest bubble N" (1.25+), "]", pprof
 *            labels (1.26+ with GODEBUG tracebacklabels=1, the default from 1.27), ":"
 *   frames   traceback1: runtime frames hidden at the default level unless nothing else would
 *            show; wrappers hidden unless they called panic; Go 1.21+ print the innermost 50
 *            and outermost 50 logical frames with "...N frames elided..." between, Go 1.19 the
 *            first 100 physical frames and "...additional frames elided..."
 *   created  "created by F" (" in goroutine N" from 1.21) and the go statement's line
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "format/traceback.h"

#define INNER_FRAMES	50	/* tracebackInnerFrames, Go 1.21+ */
#define OUTER_FRAMES	50	/* tracebackOuterFrames */
#define MAX_FRAMES_119	100	/* _TracebackMaxFrames, Go 1.19 */

static const char *const status_names[] = {
	[0] = "idle", [1] = "runnable", [2] = "running", [3] = "syscall", [4] = "waiting",
	[5] = "", [6] = "dead", [7] = "", [8] = "copystack", [9] = "preempted",
};

#define G_SCAN		0x1000
#define G_WAITING	4
#define G_LEAKED	10	/* Go 1.26+ */
#define G_DEADEXTRA	11

const char *traceback__status(const struct gdump *d, const struct gread *g)
{
	uint32_t st = g->status & ~G_SCAN;

	if ((st == G_WAITING || (st == G_LEAKED && d->minor >= 26)) && g->wait_reason &&
	    g->wait_reason_name)
		return g->wait_reason_name;
	return traceback__state(d, g);
}

const char *traceback__state(const struct gdump *d, const struct gread *g)
{
	uint32_t st = g->status & ~G_SCAN;

	if (d->minor >= 26 && st == G_LEAKED)
		return "leaked";
	if (d->minor >= 26 && st == G_DEADEXTRA)
		return "waiting for cgo callback";
	if (st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st])
		return status_names[st];
	return "???";
}

/*
 * funcNamePiecesForPrint: the shape arguments between the first '[' and the last ']' become
 * "[...]"; Go 1.27 keeps a generic method of a generic type as "T[...].M[...]". Go 1.19's linker
 * already wrote the names so.
 */
void traceback__func_name(struct buf *b, const struct gdump *d, const char *name)
{
	const char *open, *close, *p, *rbr = NULL, *lbr = NULL;
	int depth = 1;

	if (d->minor < 21 || !(open = strchr(name, '['))) {
		buf_puts(b, name);
		return;
	}
	close = strrchr(name, ']');
	if (close <= open) {
		buf_puts(b, name);
		return;
	}
	for (p = open + 1; d->minor >= 27 && p < close; p++) {
		if (*p == '[') {
			if (++depth != 1)
				continue;
			lbr = p;
			break;
		}
		if (*p == ']') {
			if (--depth < 0)
				break;
			if (!depth)
				rbr = p;
		}
	}
	if (d->minor >= 27 && memchr(open + 1, '[', (size_t)(close - open - 1))) {
		if (depth == 1 && rbr && lbr > rbr) {
			buf_put(b, name, (size_t)(open - name));
			buf_puts(b, "[...]");
			buf_put(b, rbr + 1, (size_t)(lbr - rbr - 1));
			buf_puts(b, "[...]");
			buf_puts(b, close + 1);
			return;
		}
		if (!(depth == 1 && !rbr && !lbr)) {
			buf_puts(b, name);	/* malformed: as it is */
			return;
		}
	}
	buf_put(b, name, (size_t)(open - name));
	buf_puts(b, "[...]");
	buf_puts(b, close + 1);
}

/* printFuncName: the panic frame is "panic" (Go 1.19: for physical frames only). */
static void print_func_name(struct buf *b, const struct gdump *d, const char *name, bool inlined)
{
	if (!strcmp(name, "runtime.gopanic") && (d->minor >= 21 || !inlined))
		buf_puts(b, "panic");
	else
		traceback__func_name(b, d, name);
}

/* isExportedRuntime: Go 1.23 also requires an exported receiver type. */
static bool exported_runtime(const struct gdump *d, const char *name)
{
	const char *n = name + 8, *dot;
	size_t rlen;

	if (strncmp(name, "runtime.", 8) || !*n)
		return false;
	if (d->minor < 23)
		return *n >= 'A' && *n <= 'Z';
	dot = strrchr(n, '.');
	if (!dot)
		return *n >= 'A' && *n <= 'Z';
	rlen = (size_t)(dot - n);
	if (rlen >= 3 && n[0] == '(' && n[1] == '*' && n[rlen - 1] == ')') {
		n += 2;
		rlen -= 3;
	}
	return dot[1] >= 'A' && dot[1] <= 'Z' && (!rlen || (n[0] >= 'A' && n[0] <= 'Z'));
}

/* elideWrapperCalling: a wrapper stays visible when it called panic. */
static bool elide_wrapper(const struct gframe *callee)
{
	if (!callee)
		return true;
	return strcmp(callee->func, "runtime.gopanic") && strcmp(callee->func, "runtime.sigpanic") &&
	       strcmp(callee->func, "runtime.panicwrap");
}

/* showfuncinfo */
static bool show(const struct gdump *d, int level, const char *name, uint8_t funcid, bool first,
		 const struct gframe *callee)
{
	if (level > 1)
		return true;
	if (funcid == d->funcid_wrapper && elide_wrapper(callee))
		return false;
	if (d->minor >= 25 && (!strcmp(name, "runtime.runFinalizers") ||
				!strcmp(name, "runtime.runCleanups")))
		return true;
	if (!strcmp(name, "runtime.gopanic") && !first)
		return true;
	return strchr(name, '.') && (strncmp(name, "runtime.", 8) || exported_runtime(d, name));
}

/* Where the frames go: printed into a buffer or collected. */
struct sink {
	const struct gdump *d;
	const struct gread *g;
	int level;
	struct buf *b;			/* print here, or … */
	const struct gframe **out;	/* … collect here */
	size_t nout, maxout;
};

static void hex(struct buf *b, uint64_t v)
{
	buf_printf(b, "0x%llx", (unsigned long long)v);
}

static void emit_frame(struct sink *s, const struct gframe *f)
{
	struct buf *b = s->b;

	if (!b) {
		if (s->nout < s->maxout)
			s->out[s->nout] = f;
		s->nout++;
		return;
	}
	print_func_name(b, s->d, f->func, f->inlined);
	buf_puts(b, "(");
	buf_puts(b, f->inlined ? "..." : f->args ? f->args : "");
	buf_printf(b, ")\n\t%s:%d", f->file ? f->file : "?", f->file ? f->line : 0);
	if (!f->inlined) {
		if (f->pc > f->entry) {
			buf_puts(b, " +");
			hex(b, f->pc - f->entry);
		}
		if (s->level >= 2) {
			buf_puts(b, " fp=");
			hex(b, f->fp);
			buf_puts(b, " sp=");
			hex(b, f->sp);
			buf_puts(b, " pc=");
			hex(b, f->pc);
		}
	}
	buf_puts(b, "\n");
}

/* An unwinder's position: the first logical frame of a physical frame, and calleeFuncID. */
struct unw {
	size_t i;
	const struct gframe *callee;
};

/* traceback2 over the frames already read. */
static void tb2(struct sink *s, struct unw *u, bool show_rt, long skip, long max, long *n_out,
		long *lastn_out, bool print)
{
	const struct gread *g = s->g;
	long n = 0, lastn = 0;

	while (u->i < g->nframes) {
		uint32_t phys = g->frames[u->i].phys;
		size_t k;

		lastn = 0;
		for (k = u->i; k < g->nframes && g->frames[k].phys == phys; k++) {
			const struct gframe *f = &g->frames[k], *callee = u->callee;

			u->callee = f;
			if (!(show_rt || show(s->d, s->level, f->func, f->funcid, n == 0, callee)))
				continue;
			if (skip == 0 && max == 0)
				goto out;
			n++;
			lastn++;
			if (skip > 0) {
				skip--;
				continue;
			}
			max--;
			if (print)
				emit_frame(s, f);
		}
		u->i = k;
	}
out:
	*n_out = n;
	*lastn_out = lastn;
}

static void elided(struct sink *s, long n)
{
	if (s->b)
		buf_printf(s->b, "...%ld frames elided...\n", n);
}

static long with_runtime(struct sink *s, bool show_rt)
{
	struct unw u = { 0, NULL }, u2;
	long n, lastn, rem, dummy, elide;

	tb2(s, &u, show_rt, 0, INNER_FRAMES, &n, &lastn, true);
	if (n < INNER_FRAMES)
		return n;
	u2 = u;
	tb2(s, &u, show_rt, LONG_MAX, 0, &rem, &dummy, false);
	elide = rem - lastn - OUTER_FRAMES;
	if (elide > 0) {
		elided(s, elide);
		tb2(s, &u2, show_rt, lastn + elide, OUTER_FRAMES, &dummy, &dummy, true);
	} else {
		tb2(s, &u2, show_rt, lastn, OUTER_FRAMES, &dummy, &dummy, true);
	}
	return n;
}

/*
 * Go 1.19's gentraceback printing: at most 100 physical frames walked; it returns how many
 * frames it printed, and traceback1 says frames were elided when that is exactly 100.
 */
static long frames_119(struct sink *s, bool show_rt)
{
	const struct gread *g = s->g;
	const struct gframe *callee = NULL;
	long nphys = 0, nprint = 0;
	size_t i = 0;

	while (i < g->nframes && nphys < MAX_FRAMES_119) {
		uint32_t phys = g->frames[i].phys;

		for (; i < g->nframes && g->frames[i].phys == phys; i++) {
			const struct gframe *f = &g->frames[i];

			if (show_rt || show(s->d, s->level, f->func, f->funcid, nprint == 0, callee)) {
				emit_frame(s, f);
				nprint++;
			}
			callee = f;
		}
		nphys++;
	}
	return nprint;
}

static void frames(struct sink *s)
{
	if (s->d->minor < 21) {
		long n = frames_119(s, false);

		if (!n)
			n = frames_119(s, true);
		if (n == MAX_FRAMES_119 && s->b)
			buf_puts(s->b, "...additional frames elided...\n");
		return;
	}
	if (with_runtime(s, false) == 0)
		with_runtime(s, true);
}

/*
 * One rune of s as Go's range loop decodes it: *len bytes, or U+FFFD and 1 byte for anything
 * that is not valid UTF-8 (overlong forms, surrogates, past U+10FFFF, cut short).
 */
static uint32_t decode_rune(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t r;
	size_t k, need;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, r = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, r = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, r = s[0] & 0x07;
	else
		return 0xfffd;
	if (need >= n)
		return 0xfffd;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0xfffd;
		r = r << 6 | (s[k] & 0x3f);
	}
	if ((need == 2 && (r < 0x800 || (r >= 0xd800 && r <= 0xdfff))) ||
	    (need == 3 && (r < 0x10000 || r > 0x10ffff)))
		return 0xfffd;
	*len = need + 1;
	return r;
}

/* printquoted: Go 1.27 shows a byte that is not UTF-8 as \xNN, Go 1.26 as \ufffd. */
static void quoted(struct buf *b, const struct gdump *d, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, len;

	buf_puts(b, "\"");
	while (i < n) {
		uint32_t r = decode_rune(s + i, n - i, &len);

		if (r == '\n')
			buf_puts(b, "\\n");
		else if (r == '\r')
			buf_puts(b, "\\r");
		else if (r == '\t')
			buf_puts(b, "\\t");
		else if (r == '\\' || r == '"')
			buf_printf(b, "\\%c", (char)r);
		else if (r == 0xfffd && len == 1 && d->minor >= 27)
			buf_printf(b, "\\x%02x", s[i]);
		else if (r >= ' ' && r <= '~')
			buf_printf(b, "%c", (char)r);
		else if (r < 127)
			buf_printf(b, "\\x%02x", r);
		else if (r < 0x10000)
			buf_printf(b, "\\u%04x", r);
		else
			buf_printf(b, "\\U%08x", r);
		i += len;
	}
	buf_puts(b, "\"");
}

/* Go 1.27's labels: quoted only when a rune is outside [a-zA-Z0-9./_]. */
static void maybe_quoted(struct buf *b, const struct gdump *d, const char *s)
{
	const char *p;

	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '/' || *p == '_')) {
			quoted(b, d, s);
			return;
		}
	buf_puts(b, s);
}

static void labels(struct buf *b, const struct gdump *d, const struct gread *g)
{
	size_t i;

	if (!g->nlabels)
		return;
	buf_puts(b, d->minor >= 27 ? " {" : " labels:{");
	for (i = 0; i < g->nlabels; i++) {
		if (d->minor >= 27)
			maybe_quoted(b, d, g->labels[2 * i]);
		else
			quoted(b, d, g->labels[2 * i]);
		buf_puts(b, ": ");
		if (d->minor >= 27)
			maybe_quoted(b, d, g->labels[2 * i + 1]);
		else
			quoted(b, d, g->labels[2 * i + 1]);
		if (i + 1 < g->nlabels)
			buf_puts(b, ", ");
	}
	buf_puts(b, "}");
}

/* waitReason.isIdleInSynctest, by the names of the reasons (Go 1.25+). */
static bool idle_in_synctest(const char *r)
{
	static const char *const idle[] = {
		"chan receive (nil chan)", "chan send (nil chan)", "select (no cases)", "sleep",
		"sync.Cond.Wait", "coroutine", "synctest.Run", "synctest.Wait",
		"chan receive (durable)", "chan send (durable)", "select (durable)",
		"sync.WaitGroup.Wait (durable)",
	};
	size_t i;

	for (i = 0; r && i < sizeof(idle) / sizeof(idle[0]); i++)
		if (!strcmp(r, idle[i]))
			return true;
	return false;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void header(struct buf *b, const struct gdump *d, const struct gread *g, int level)
{
	uint32_t st = g->status & ~G_SCAN;
	const char *status = traceback__status(d, g);

	buf_printf(b, "goroutine %llu", (unsigned long long)g->goid);
	if (level >= 2 && d->minor >= 22) {
		buf_puts(b, " gp=");
		hex(b, g->addr);
		if (g->m_addr) {
			buf_printf(b, " m=%lld mp=", (long long)g->m_id);
			hex(b, g->m_addr);
		} else {
			buf_puts(b, " m=nil");
		}
	}
	buf_printf(b, " [%s", status);
	if (d->minor >= 26 && st == G_LEAKED)
		buf_puts(b, " (leaked)");
	if (g->status & G_SCAN)
		buf_puts(b, " (scan)");
	if (g->bubble_id && (d->minor < 26 || st == G_WAITING) &&
	    idle_in_synctest(g->wait_reason_name) && !ends_with(status, "(durable)"))
		buf_puts(b, " (durable)");
	if (g->wait_ns >= 60000000000ll)
		buf_printf(b, ", %lld minutes", (long long)(g->wait_ns / 60000000000ll));
	if (g->locked)
		buf_puts(b, ", locked to thread");
	if (g->bubble_id)
		buf_printf(b, ", synctest bubble %llu", (unsigned long long)g->bubble_id);
	if (d->minor == 26)
		labels(b, d, g);
	buf_puts(b, "]");
	if (d->minor >= 27)
		labels(b, d, g);
	buf_puts(b, ":\n");
}

static bool created_shown(const struct gdump *d, const struct gread *g, int level)
{
	/* Go 1.19 asks showframe with funcID_normal: a wrapper is never hidden as a creator. */
	return g->created_func && g->goid != 1 &&
	       show(d, level, g->created_func, d->minor < 21 ? 0 : g->created_funcid, false, NULL);
}

static void created(struct buf *b, const struct gdump *d, const struct gread *g, int level)
{
	if (!created_shown(d, g, level))
		return;
	buf_puts(b, "created by ");
	print_func_name(b, d, g->created_func, false);
	if (d->minor >= 21 && g->parent_goid)
		buf_printf(b, " in goroutine %llu", (unsigned long long)g->parent_goid);
	buf_printf(b, "\n\t%s:%d", g->created_file ? g->created_file : "?",
		   g->created_file ? g->created_line : 0);
	if (g->created_off) {
		buf_puts(b, " +");
		hex(b, g->created_off);
	}
	buf_puts(b, "\n");
}

void traceback__goroutine(struct buf *b, const struct gdump *d, const struct gread *g, int level)
{
	struct sink s = { .d = d, .g = g, .level = level, .b = b };

	header(b, d, g, level);
	if (g->running) {
		buf_puts(b, "\tgoroutine running on other thread; stack unavailable\n");
	} else if (g->changed) {
		buf_printf(b, "\t(goscope: this goroutine kept changing while it was read, %d times; "
			   "its stack is not shown)\n", g->attempts);
		return;
	} else {
		frames(&s);
		if (g->unwind_error)
			buf_puts(b, "\t(goscope: the stack ends at a return address no function holds)\n");
		if (g->truncated)
			buf_puts(b, "\t(goscope: the stack is deeper than goscope reads)\n");
	}
	created(b, d, g, level);
}

size_t traceback__shown(const struct gdump *d, const struct gread *g, int level,
			const struct gframe **out, size_t max)
{
	struct sink s = { .d = d, .g = g, .level = level, .out = out, .maxout = max };

	if (g->running || g->changed)
		return 0;
	frames(&s);
	return s.nout < max ? s.nout : max;
}

static void json_frame(struct json *j, const struct gdump *d, const struct gframe *f)
{
	struct buf name = { 0 };

	traceback__func_name(&name, d, f->func);
	buf_put(&name, "", 1);
	json_obj_open(j, NULL);
	json_str(j, "function", name.oom ? f->func : name.data);
	json_str(j, "file", f->file);
	json_i64(j, "line", f->file ? f->line : 0);
	json_u64(j, "pc", f->pc);
	json_bool(j, "inlined", f->inlined);
	json_obj_close(j);
	buf_free(&name);
}

static void json_created(struct json *j, const struct gdump *d, const struct gread *g, int level)
{
	struct buf name = { 0 };

	if (!created_shown(d, g, level)) {
		json_null(j, "created_by");
		return;
	}
	traceback__func_name(&name, d, g->created_func);
	buf_put(&name, "", 1);
	json_obj_open(j, "created_by");
	json_str(j, "function", name.oom ? g->created_func : name.data);
	json_str(j, "file", g->created_file);
	json_i64(j, "line", g->created_file ? g->created_line : 0);
	json_u64(j, "pc", g->gopc);
	json_obj_close(j);
	buf_free(&name);
}

void traceback__json(struct json *j, const struct gdump *d, const struct gread *g, int level)
{
	const struct gframe **shown;
	size_t n, i;

	json_u64(j, "goid", g->goid);
	json_str(j, "state", traceback__state(d, g));
	json_str(j, "wait_reason", ((g->status & ~G_SCAN) == G_WAITING ||
				    ((g->status & ~G_SCAN) == G_LEAKED && d->minor >= 26)) ?
				   g->wait_reason_name : NULL);
	if (g->wait_ns >= 0) {
		json_i64(j, "wait_ns", g->wait_ns);
		json_i64(j, "wait_minutes", g->wait_ns / 60000000000ll);
	} else {
		json_null(j, "wait_ns");
		json_null(j, "wait_minutes");
	}
	json_bool(j, "locked", g->locked);
	json_bool(j, "system", g->system);
	if (d->minor >= 21 && g->parent_goid)
		json_u64(j, "creator_goid", g->parent_goid);
	else
		json_null(j, "creator_goid");
	json_created(j, d, g, level);
	json_bool(j, "running", g->running);
	json_bool(j, "changed", g->changed);
	json_bool(j, "truncated", g->truncated || g->unwind_error);
	shown = calloc(g->nframes ? g->nframes : 1, sizeof(*shown));
	json_arr_open(j, "frames");
	if (shown) {
		n = traceback__shown(d, g, level, shown, g->nframes);
		for (i = 0; i < n; i++)
			json_frame(j, d, shown[i]);
	}
	json_arr_close(j);
	free(shown);
}

/*
 * The frames the runtime's goroutine profile records for g (tracebackPCs; gentraceback's pcbuf
 * mode in Go 1.19): every logical frame but the wrappers that did not call panic, at most as
 * many as its stack records hold: 32 before Go 1.23, then debug.profstackdepth (128 unless
 * GODEBUG changes it).
 */
size_t traceback__profile_frames(const struct gdump *d, const struct gread *g,
				 const struct gframe **out, size_t max)
{
	size_t limit = d->minor >= 23 ? 128 : 32, n = 0, i;
	const struct gframe *callee = NULL;

	if (g->running || g->changed)
		return 0;
	for (i = 0; i < g->nframes && n < limit; i++) {
		const struct gframe *f = &g->frames[i];
		bool wrapper = f->funcid == d->funcid_wrapper && elide_wrapper(callee);

		callee = f;
		if (wrapper)
			continue;
		if (n < max)
			out[n] = f;
		n++;
	}
	return n < max ? n : max;
}

/* Grouping: by the frames the goroutine profile records, as debug=1 groups. */
static int cmp_stack(const struct gdump *d, const struct gread *a, const struct gread *b)
{
	const struct gframe *fa[128], *fb[128];
	size_t na, nb, i;

	if (a->running != b->running)
		return a->running ? 1 : -1;
	if (a->changed != b->changed)
		return a->changed ? 1 : -1;
	na = traceback__profile_frames(d, a, fa, 128);
	nb = traceback__profile_frames(d, b, fb, 128);
	for (i = 0; i < na && i < nb; i++) {
		if (fa[i]->pc != fb[i]->pc)
			return fa[i]->pc < fb[i]->pc ? -1 : 1;
		if (fa[i]->inlined != fb[i]->inlined)
			return fa[i]->inlined ? -1 : 1;
		if (fa[i]->func != fb[i]->func)
			return strcmp(fa[i]->func, fb[i]->func);
	}
	if (na != nb)
		return na < nb ? -1 : 1;
	return 0;
}

/* A goroutine and the hash of its profile stack, for sorting. */
struct keyed {
	uint64_t hash;
	const struct gread *g;
};

static const struct gdump *sort_dump;	/* qsort has no context argument */

static uint64_t stack_hash(const struct gdump *d, const struct gread *g)
{
	const struct gframe *f[128];
	size_t n = traceback__profile_frames(d, g, f, 128), i;
	uint64_t h = 1469598103934665603ull ^ (g->running ? 1 : g->changed ? 2 : 0);

	for (i = 0; i < n; i++)
		h = (h ^ (f[i]->pc << 1 | f[i]->inlined)) * 1099511628211ull;
	return h;
}

static int cmp_keyed(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int c;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	c = cmp_stack(sort_dump, a->g, b->g);
	if (c)
		return c;
	return a->g->goid < b->g->goid ? -1 : a->g->goid > b->g->goid;
}

static int cmp_group(const void *x, const void *y)
{
	const struct tb_group *a = x, *b = y;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if (a->wait_max_ns != b->wait_max_ns)
		return a->wait_max_ns > b->wait_max_ns ? -1 : 1;
	return a->members[0]->goid < b->members[0]->goid ? -1 : 1;
}

struct tb_group *traceback__group(const struct gdump *d, bool (*keep)(void *, const struct gread *),
				  void *ctx, size_t *ngroups)
{
	const struct gread **v = calloc(d->n ? d->n : 1, sizeof(*v));
	struct tb_group *gs = calloc(d->n ? d->n : 1, sizeof(*gs));
	size_t n = 0, i, ng = 0;

	if (!v || !gs)
		abort();
	struct keyed *kv = calloc(d->n ? d->n : 1, sizeof(*kv));

	if (!kv)
		abort();
	for (i = 0; i < d->n; i++)
		if (!keep || keep(ctx, &d->g[i])) {
			kv[n].g = &d->g[i];
			kv[n++].hash = stack_hash(d, &d->g[i]);
		}
	sort_dump = d;
	qsort(kv, n, sizeof(*kv), cmp_keyed);
	for (i = 0; i < n; i++)
		v[i] = kv[i].g;
	free(kv);
	for (i = 0; i < n; i++) {
		struct tb_group *grp;

		if (!ng || cmp_stack(d, gs[ng - 1].members[0], v[i]) || v[i]->changed) {
			grp = &gs[ng++];
			grp->members = &v[i];
			grp->wait_min_ns = grp->wait_max_ns = -1;
		}
		grp = &gs[ng - 1];
		grp->n++;
		if (v[i]->wait_ns >= 0) {
			if (grp->wait_min_ns < 0 || v[i]->wait_ns < grp->wait_min_ns)
				grp->wait_min_ns = v[i]->wait_ns;
			if (v[i]->wait_ns > grp->wait_max_ns)
				grp->wait_max_ns = v[i]->wait_ns;
		}
	}
	/* Members point into v, which the groups keep: sort groups after filling. */
	qsort(gs, ng, sizeof(*gs), cmp_group);
	if (!ng)
		free(v);
	*ngroups = ng;
	return gs;
}

void traceback__groups_free(struct tb_group *gs, size_t n)
{
	const struct gread **base = NULL;
	size_t i;

	/* Every group's members lie in one array; its start is the lowest members pointer. */
	for (i = 0; i < n; i++)
		if (!base || gs[i].members < base)
			base = gs[i].members;
	free((void *)base);
	free(gs);
}

/* The distinct statuses of a group, as the header spells them, in first-seen order. */
void traceback__group_states(struct buf *b, const struct gdump *d, const struct tb_group *grp)
{
	const char *seen[8];
	size_t ns = 0, i, k;

	for (i = 0; i < grp->n; i++) {
		const char *st = traceback__status(d, grp->members[i]);

		for (k = 0; k < ns && strcmp(seen[k], st); k++)
			;
		if (k < ns)
			continue;
		if (ns == sizeof(seen) / sizeof(seen[0])) {
			buf_puts(b, ", …");
			break;
		}
		if (ns)
			buf_puts(b, ", ");
		buf_puts(b, st);
		seen[ns++] = st;
	}
}

static void wait_range(struct buf *b, const struct tb_group *grp)
{
	long long lo, hi;

	/* As the runtime's header: nothing under a minute. */
	if (grp->wait_max_ns < 60000000000ll)
		return;
	lo = grp->wait_min_ns / 60000000000ll;
	hi = grp->wait_max_ns / 60000000000ll;
	if (lo == hi)
		buf_printf(b, ", %lld minutes", lo);
	else
		buf_printf(b, ", %lld-%lld minutes", lo, hi);
}

void traceback__group_text(struct buf *b, const struct gdump *d, const struct tb_group *grp,
			   int level)
{
	const struct gread *g = grp->members[0];
	const struct gframe **shown;
	size_t n, i;
	bool same_creator = true, same_parent = true;

	buf_printf(b, "%zu goroutine%s [", grp->n, grp->n == 1 ? "" : "s");
	traceback__group_states(b, d, grp);
	wait_range(b, grp);
	buf_puts(b, "]:");
	for (i = 0; i < grp->n && i < 20; i++)
		buf_printf(b, " %llu", (unsigned long long)grp->members[i]->goid);
	if (grp->n > 20)
		buf_printf(b, " … (%zu more)", grp->n - 20);
	buf_puts(b, "\n");
	if (g->running) {
		buf_puts(b, "\tgoroutine running on other thread; stack unavailable\n");
	} else if (g->changed) {
		buf_puts(b, "\t(goscope: kept changing while it was read; its stack is not shown)\n");
	} else {
		shown = calloc(g->nframes ? g->nframes : 1, sizeof(*shown));
		if (!shown)
			abort();
		n = traceback__shown(d, g, level, shown, g->nframes);
		for (i = 0; i < n; i++) {
			traceback__func_name(b, d, shown[i]->func);
			buf_printf(b, "(...)\n\t%s:%d", shown[i]->file ? shown[i]->file : "?",
				   shown[i]->file ? shown[i]->line : 0);
			if (!shown[i]->inlined && shown[i]->pc > shown[i]->entry)
				buf_printf(b, " +0x%llx",
					   (unsigned long long)(shown[i]->pc - shown[i]->entry));
			buf_puts(b, "\n");
		}
		free(shown);
	}
	for (i = 1; i < grp->n; i++) {
		if (grp->members[i]->gopc != g->gopc)
			same_creator = false;
		if (grp->members[i]->parent_goid != g->parent_goid)
			same_parent = false;
	}
	if (same_creator) {
		struct gread one = *g;

		if (!same_parent)
			one.parent_goid = 0;	/* several goroutines ran that go statement */
		created(b, d, &one, level);
	} else {
		buf_puts(b, "created at several places\n");
	}
}

void traceback__group_json(struct json *j, const struct gdump *d, const struct tb_group *grp,
			   int level)
{
	const struct gread *g = grp->members[0];
	struct buf st = { 0 };
	size_t i;

	json_u64(j, "count", grp->n);
	json_arr_open(j, "goids");
	for (i = 0; i < grp->n; i++)
		json_u64(j, NULL, grp->members[i]->goid);
	json_arr_close(j);
	traceback__group_states(&st, d, grp);
	buf_put(&st, "", 1);
	json_str(j, "states", st.oom ? NULL : st.data);
	buf_free(&st);
	if (grp->wait_max_ns >= 0) {
		json_i64(j, "wait_minutes_min", grp->wait_min_ns / 60000000000ll);
		json_i64(j, "wait_minutes_max", grp->wait_max_ns / 60000000000ll);
	} else {
		json_null(j, "wait_minutes_min");
		json_null(j, "wait_minutes_max");
	}
	json_bool(j, "running", g->running);
	json_bool(j, "changed", g->changed);
	json_arr_open(j, "frames");
	{
		const struct gframe *pf[128];
		size_t n = traceback__profile_frames(d, g, pf, 128);

		for (i = 0; i < n; i++)
			json_frame(j, d, pf[i]);
	}
	json_arr_close(j);
	json_arr_open(j, "shown_frames");
	if (!g->running && !g->changed) {
		const struct gframe **shown = calloc(g->nframes ? g->nframes : 1, sizeof(*shown));
		size_t n;

		if (!shown)
			abort();
		n = traceback__shown(d, g, level, shown, g->nframes);
		for (i = 0; i < n; i++)
			json_frame(j, d, shown[i]);
		free(shown);
	}
	json_arr_close(j);
	json_created(j, d, g, level);
}

bool traceback__is_gowrap(const char *name)
{
	const char *p = name ? strstr(name, ".gowrap") : NULL;

	if (!p)
		return false;
	p += 7;
	if (!*p)
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return !*p;
}

/*
 * GOROOT's source directory as this binary's runtime.goexit names it ("/usr/lib/go-1.27/src/"),
 * for telling the standard library from the program's own code; NULL when not found.
 */
static const char *goroot_src(const struct gread *g, size_t *len)
{
	const struct gframe *last = g->nframes ? &g->frames[g->nframes - 1] : NULL;
	const char *p;

	if (!last || !last->file || strcmp(last->func, "runtime.goexit"))
		return NULL;
	p = strstr(last->file, "/src/runtime/");
	if (!p)
		return NULL;
	*len = (size_t)(p - last->file) + 5;
	return last->file;
}

void traceback__site(const struct gdump *d, const struct gread *g, const char **runs,
		     const struct gframe **top, const struct gframe **at)
{
	const struct gframe **shown;
	const char *root;
	size_t n, i, rlen = 0;

	*runs = NULL;
	*top = *at = NULL;
	if (!g->nframes)
		return;
	shown = calloc(g->nframes, sizeof(*shown));
	if (!shown)
		abort();
	n = traceback__shown(d, g, TB_LEVEL_DEFAULT, shown, g->nframes);
	root = goroot_src(g, &rlen);
	if (n) {
		/* Where it blocks: the innermost frame of the program's own code, if any. */
		*top = *at = shown[0];
		for (i = 0; root && i < n; i++)
			if (shown[i]->file && strncmp(shown[i]->file, root, rlen)) {
				*at = shown[i];
				break;
			}
		for (i = n; i-- > 0;)
			if (!traceback__is_gowrap(shown[i]->func)) {
				*runs = shown[i]->func;
				break;
			}
	}
	free(shown);
}
