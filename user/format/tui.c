// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The dashboard's terminal handling, key handling and overview table. */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "format/tui_int.h"
#include "util/clock.h"
#include "util/units.h"
#include "engine/model.h"
#include "engine/engine.h"

#define MIN_COLS 80
#define MIN_LINES 24
#define KEY_ESCAPE 27

/* Display columns of a UTF-8 string (every character here is one column wide). */
int tui_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Bytes of s that fill at most w columns. */
static int fit_bytes(const char *s, int w)
{
	int i = 0, cols = 0;

	while (s[i]) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++cols > w)
			break;
		i++;
	}
	return i;
}

void tui_put(int y, int x, int w, const char *s)
{
	if (w > COLS - x)
		w = COLS - x;
	if (w > 0 && y >= 0 && y < LINES && x >= 0)
		mvaddnstr(y, x, s, fit_bytes(s, w));
}

void tui_put_cell(int y, int x, int w, const char *s, bool left)
{
	int pad = w - tui_width(s);

	if (pad <= 0) {
		tui_put(y, x, w, s);
		return;
	}
	if (left) {
		tui_put(y, x, w, s);
		mvhline(y, x + tui_width(s), ' ', pad);
	} else {
		mvhline(y, x, ' ', pad);
		tui_put(y, x + pad, w - pad, s);
	}
}

void tui_attr_on(const struct tui *t, enum tui_pair p, int attrs)
{
	if (t->o.color && p != TP_NONE)
		attrs |= COLOR_PAIR(p);
	attron(attrs);
}

void tui_attr_off(const struct tui *t, enum tui_pair p, int attrs)
{
	if (t->o.color && p != TP_NONE)
		attrs |= COLOR_PAIR(p);
	attroff(attrs);
}

/* ---- the overview's columns ---- */

struct row {
	const struct watched *w;
	struct model_window mw;
	bool alert;
};

enum col_id {
	C_PID, C_COMM, C_GO, C_PROCS, C_GOROUT, C_HEAP, C_GOAL, C_ALLOC, C_GCS, C_GCCPU,
	C_LAST, C_MAX, C_NR
};

struct column {
	const char *title;
	int width;
	bool left;		/* left-aligned text */
	int min_cols;		/* shown only on terminals at least this wide */
};

static const struct column cols[C_NR] = {
	[C_PID]    = { "PID", 7, false, 0 },
	[C_COMM]   = { "COMM", 12, true, 0 },
	[C_GO]     = { "GO", 7, true, 90 },
	[C_PROCS]  = { "PROCS", 5, false, 0 },
	[C_GOROUT] = { "GOROUT", 6, false, 0 },
	[C_HEAP]   = { "HEAP", 5, false, 0 },
	[C_GOAL]   = { "GOAL", 5, false, 0 },
	[C_ALLOC]  = { "ALLOC/s", 7, false, 0 },
	[C_GCS]    = { "GC/s", 5, false, 0 },
	[C_GCCPU]  = { "GC CPU", 6, false, 0 },
	[C_LAST]   = { "PAUSE", 6, false, 0 },
	[C_MAX]    = { "MAX 60s", 7, false, 0 },
};

static bool col_shown(int c)
{
	return COLS >= cols[c].min_cols;
}

/* The sort key of a column, as a number (text columns sort by PID within equal names). */
static double sort_key(const struct row *r, int c)
{
	const struct rt_sample *s = &r->w->cur;

	switch (c) {
	case C_PID: return r->w->pid;
	case C_PROCS: return s->ok ? s->gomaxprocs : -1;
	case C_GOROUT: return s->ok ? (double)s->num_goroutine : -1;
	case C_HEAP: return s->ok ? (double)s->heap_alloc : -1;
	case C_GOAL: return s->ok ? (double)s->next_gc : -1;
	case C_ALLOC: return r->mw.span_s ? r->mw.alloc_bytes_per_s : -1;
	case C_GCS: return r->mw.span_s ? r->mw.gc_per_s : -1;
	case C_GCCPU: return r->mw.gc_cpu_percent;
	case C_LAST: return r->mw.have_pause ? (double)r->mw.last_pause_ns : -1;
	case C_MAX: return r->mw.have_pause ? (double)r->mw.max_pause_ns : -1;
	}
	return 0;
}

static const struct tui *sort_tui;

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = sort_tui->sort_col, r = 0;
	bool xgone = x->w->state == WS_EXITED || x->w->state == WS_UNSUPPORTED;
	bool ygone = y->w->state == WS_EXITED || y->w->state == WS_UNSUPPORTED;

	/* Processes being watched first; the exited and the unwatchable below them. */
	if (xgone != ygone)
		return xgone ? 1 : -1;
	if (c == C_COMM)
		r = strcmp(x->w->comm, y->w->comm);
	else if (c == C_GO)
		r = strcmp(x->w->version, y->w->version);
	else if (sort_key(x, c) != sort_key(y, c))
		r = sort_key(x, c) < sort_key(y, c) ? -1 : 1;
	/* Numbers sort biggest first (trouble on top), names A to Z; 'r' turns it around. */
	if (c != C_COMM && c != C_GO && c != C_PID)
		r = -r;
	if (sort_tui->sort_reverse)
		r = -r;
	return r ? r : x->w->pid - y->w->pid;
}

void tui_alert_reason(const struct watched *w, const struct model_window *mw, char *buf,
		      size_t len)
{
	buf[0] = 0;
	if (w->state == WS_EXITED || w->state == WS_UNSUPPORTED)
		return;
	if (mw->gc_cpu_percent > TUI_GC_CPU_ALERT)
		snprintf(buf, len, "GC CPU %.0f%% > %.0f%%", mw->gc_cpu_percent, TUI_GC_CPU_ALERT);
	else if (mw->have_pause && mw->max_pause_ns > TUI_PAUSE_ALERT_NS)
		snprintf(buf, len, "a GC pause of %.1f ms in the last minute > %llu ms",
			 (double)mw->max_pause_ns / 1e6, TUI_PAUSE_ALERT_NS / 1000000);
	else if (mw->goroutines_growing)
		snprintf(buf, len, "goroutines growing for a minute");
}

static size_t build_rows(struct tui *t, struct engine *wt, struct row *rows)
{
	size_t i, n = engine__count(wt);
	char why[128];

	for (i = 0; i < n; i++) {
		rows[i].w = engine__get(wt, i);
		memset(&rows[i].mw, 0, sizeof(rows[i].mw));
		rows[i].mw.gc_cpu_percent = -1;
		if (rows[i].w->model)
			model__window(rows[i].w->model, TUI_RATE_WINDOW_NS, TUI_PAUSE_WINDOW_NS,
				      &rows[i].mw);
		tui_alert_reason(rows[i].w, &rows[i].mw, why, sizeof(why));
		rows[i].alert = why[0];
	}
	sort_tui = t;
	qsort(rows, n, sizeof(*rows), cmp_rows);
	return n;
}

static void cell_text(const struct tui *t, const struct row *r, int c, char *buf, size_t len)
{
	const struct rt_sample *s = &r->w->cur;
	bool have = s->ok && r->w->state != WS_UNSUPPORTED;

	snprintf(buf, len, "-");
	switch (c) {
	case C_PID: snprintf(buf, len, "%d", r->w->pid); return;
	case C_COMM: snprintf(buf, len, "%s", r->w->comm); return;
	case C_GO:
		snprintf(buf, len, "%s", strncmp(r->w->version, "go", 2) ? r->w->version :
			 r->w->version + 2);
		return;
	}
	if (!have)
		return;
	switch (c) {
	case C_PROCS: snprintf(buf, len, "%d", s->gomaxprocs); break;
	case C_GOROUT: units_count(buf, len, (double)s->num_goroutine); break;
	case C_HEAP: units_bytes(buf, len, (double)s->heap_alloc, UNITS_COMPACT); break;
	case C_GOAL: units_bytes(buf, len, (double)s->next_gc, UNITS_COMPACT); break;
	case C_ALLOC:
		if (r->mw.span_s)
			units_bytes(buf, len, r->mw.alloc_bytes_per_s, UNITS_COMPACT);
		break;
	case C_GCS:
		if (r->mw.span_s)
			snprintf(buf, len, r->mw.gc_per_s < 99.95 ? "%.1f" : "%.0f", r->mw.gc_per_s);
		break;
	case C_GCCPU:
		if (r->mw.gc_cpu_percent >= 0)
			snprintf(buf, len, "%.1f%%", r->mw.gc_cpu_percent);
		break;
	case C_LAST:
		if (r->mw.have_pause)
			units_ns(buf, len, (double)r->mw.last_pause_ns, TUI_NS(t));
		break;
	case C_MAX:
		if (r->mw.max_pause_ns)
			units_ns(buf, len, (double)r->mw.max_pause_ns, TUI_NS(t));
		break;
	}
}

/* The cell that crossed a threshold, drawn in the alert color. */
static bool cell_alert(const struct row *r, int c)
{
	if (!r->alert)
		return false;
	return (c == C_GCCPU && r->mw.gc_cpu_percent > TUI_GC_CPU_ALERT) ||
	       (c == C_MAX && r->mw.max_pause_ns > TUI_PAUSE_ALERT_NS) ||
	       (c == C_GOROUT && r->mw.goroutines_growing);
}

static int comm_width(void)
{
	int c, used = 2, w;

	for (c = 0; c < C_NR; c++)
		if (c != C_COMM && col_shown(c))
			used += cols[c].width + 1;
	w = COLS - used - 1;
	return w < 8 ? 8 : w > 24 ? 24 : w;
}

static void draw_header_row(const struct tui *t, int y)
{
	int c, x = 2;

	tui_attr_on(t, TP_TITLE, A_BOLD);
	move(y, 0);
	clrtoeol();
	for (c = 0; c < C_NR; c++) {
		int w = c == C_COMM ? comm_width() : cols[c].width;

		if (!col_shown(c))
			continue;
		if (c == t->sort_col) {
			/* The marker sits in the separator before the sorted column. */
			tui_put(y, x - 1, 1, t->sort_reverse ? (t->o.ascii ? "^" : "▲") :
					      (t->o.ascii ? "v" : "▼"));
			attron(A_UNDERLINE);
		}
		tui_put_cell(y, x, w, cols[c].title, cols[c].left);
		if (c == t->sort_col)
			attroff(A_UNDERLINE);
		x += w + 1;
	}
	tui_attr_off(t, TP_TITLE, A_BOLD);
}

static void draw_row(const struct tui *t, int y, const struct row *r, bool selected)
{
	int c, x = 2;
	char buf[64];
	enum tui_pair base = r->w->state == WS_EXITED || r->w->state == WS_UNSUPPORTED ? TP_DIM :
			     TP_NONE;

	if (selected)
		attron(A_REVERSE);
	move(y, 0);
	clrtoeol();
	mvaddstr(y, 0, r->w->state == WS_EXITED ? "x" : r->w->state == WS_UNSUPPORTED ? "-" :
		 r->alert ? "!" : " ");
	for (c = 0; c < C_NR; c++) {
		int w = c == C_COMM ? comm_width() : cols[c].width;
		bool hot = cell_alert(r, c);

		if (!col_shown(c))
			continue;
		if (r->w->state == WS_UNSUPPORTED && c > C_GO) {
			tui_attr_on(t, base, 0);
			tui_put(y, x, COLS - x, r->w->why);
			tui_attr_off(t, base, 0);
			break;
		}
		cell_text(t, r, c, buf, sizeof(buf));
		tui_attr_on(t, hot ? TP_ALERT : base, hot ? A_BOLD : 0);
		tui_put_cell(y, x, w, buf, cols[c].left);
		tui_attr_off(t, hot ? TP_ALERT : base, hot ? A_BOLD : 0);
		x += w + 1;
	}
	if (r->w->state == WS_EXITED)
		tui_put(y, x, COLS - x, "exited");
	if (selected) {
		mvchgat(y, 0, -1, A_REVERSE, 0, NULL);
		attroff(A_REVERSE);
	}
}

static void draw_title(struct tui *t, struct engine *wt, const char *view)
{
	char clock[16], line[256];
	const char *note = engine__probe_note(wt);
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(line, sizeof(line), "goscope top - %s - %zu Go process%s, refresh %.3gs%s%s",
		 view, engine__count(wt), engine__count(wt) == 1 ? "" : "es",
		 (double)t->o.interval_ns / 1e9, note ? ", no probes (sampling only)" : "",
		 t->paused ? "  [PAUSED]" : "");
	tui_attr_on(t, TP_TITLE, A_BOLD);
	move(0, 0);
	clrtoeol();
	tui_put(0, 0, COLS - 10, line);
	tui_put(0, COLS - 8, 8, clock);
	tui_attr_off(t, TP_TITLE, A_BOLD);
}

void tui_draw_footer(struct tui *t, const char *keys)
{
	const char *msg = t->nmsgs ? t->msgs[(t->nmsgs - 1) % 64].text : NULL;
	int lvl = t->nmsgs ? t->msgs[(t->nmsgs - 1) % 64].level : 0;

	move(LINES - 2, 0);
	clrtoeol();
	if (msg) {
		tui_attr_on(t, lvl < 0 ? TP_WARN : TP_DIM, 0);
		tui_put(LINES - 2, 0, COLS, msg);
		tui_attr_off(t, lvl < 0 ? TP_WARN : TP_DIM, 0);
	}
	attron(A_REVERSE);
	move(LINES - 1, 0);
	clrtoeol();
	tui_put(LINES - 1, 0, COLS, keys);
	mvchgat(LINES - 1, 0, -1, A_REVERSE, 0, NULL);
	attroff(A_REVERSE);
}

/* What the selected row's cells cannot show: version, executable, alert reason. */
static void draw_selected_info(struct tui *t, const struct row *r, int y)
{
	char line[PATH_MAX + 300], why[128];

	tui_alert_reason(r->w, &r->mw, why, sizeof(why));
	if (r->w->state == WS_UNSUPPORTED)
		snprintf(line, sizeof(line), "PID %d %s %s: cannot watch: %s", r->w->pid,
			 r->w->comm, r->w->version, r->w->why);
	else
		snprintf(line, sizeof(line), "PID %d %s %s %s - %s%s%s", r->w->pid, r->w->comm,
			 r->w->version, r->w->exe ? r->w->exe : "",
			 r->w->probed || r->w->state == WS_EXITED ? watched_state_name(r->w->state) :
			 "sampling only", why[0] ? " - " : "", why);
	move(y, 0);
	clrtoeol();
	tui_attr_on(t, why[0] ? TP_ALERT : TP_NONE, why[0] ? A_BOLD : 0);
	tui_put(y, 0, COLS, line);
	tui_attr_off(t, why[0] ? TP_ALERT : TP_NONE, why[0] ? A_BOLD : 0);
}

static void draw_overview(struct tui *t, struct engine *wt, struct row *rows, size_t n)
{
	int body = LINES - 6, i, sel = -1;

	draw_title(t, wt, "overview");
	draw_header_row(t, 2);
	for (i = 0; i < (int)n; i++)
		if (rows[i].w->pid == t->selected)
			sel = i;
	if (sel < 0 && n) {
		sel = 0;
		t->selected = rows[0].w->pid;
	}
	if (sel >= 0 && sel < t->scroll)
		t->scroll = sel;
	if (sel >= t->scroll + body)
		t->scroll = sel - body + 1;
	if (t->scroll > (int)n - body)
		t->scroll = (int)n - body > 0 ? (int)n - body : 0;
	for (i = 0; i < body && t->scroll + i < (int)n; i++)
		draw_row(t, 3 + i, &rows[t->scroll + i], t->scroll + i == sel);
	if (!n)
		tui_put(4, 2, COLS - 4, "no Go processes found yet (looking every refresh)");
	if (sel >= 0)
		draw_selected_info(t, &rows[sel], LINES - 3);
	tui_draw_footer(t, " q quit  Enter detail  j/k up/down  s/S sort column  r reverse  "
			   "p pause  ? help");
}

/* ---- help ---- */

static void draw_help(struct tui *t)
{
	static const char *const lines[] = {
		"goscope top - keys",
		"",
		"  Up/Down, j/k    select a process       PgUp/PgDn, g/G  page, first/last",
		"  Enter           detail view            Esc, Backspace  back to the overview",
		"  s / S           sort by next/previous column    r  reverse the order",
		"  p               pause the display (data is still collected)",
		"  q, Ctrl-C       quit                   ?  this help (any key closes it)",
		"",
		"Columns: PROCS = GOMAXPROCS, GOROUT = runtime.NumGoroutine(),",
		"HEAP = HeapAlloc, GOAL = the heap goal (NextGC), ALLOC/s and GC/s over 5 s,",
		"GC CPU = GC's share of GOMAXPROCS' CPU time over 5 s (needs the probes),",
		"PAUSE = the last cycle's stop-the-world total, MAX 60s = the longest in the",
		"last minute. Sizes in bytes: K, M, G = KiB, MiB, GiB.",
		"Detail graphs: one column per refresh, newest on the right.",
		"",
		"A row is marked ! when GC CPU > 25%, a pause > 10 ms in the last minute, or",
		"the goroutine count grew for a minute; x = exited, - = cannot be watched.",
	};
	int i, n = (int)(sizeof(lines) / sizeof(lines[0])), top = (LINES - n) / 2 - 1;
	int width = COLS < 80 ? COLS : 80, left = (COLS - width) / 2;

	for (i = -1; i <= n; i++) {
		attron(A_REVERSE | (i == 0 ? A_BOLD : 0));
		mvhline(top + 1 + i, left, ' ', width);
		if (i >= 0 && i < n)
			tui_put(top + 1 + i, left + 1, width - 2, lines[i]);
		attroff(A_REVERSE | A_BOLD);
	}
}

/* ---- the public API ---- */

void tui__draw(struct tui *t, struct engine *wt)
{
	size_t n = engine__count(wt), i;
	struct row *rows;
	uint64_t now = clock_mono_ns();

	if (!t->active)
		return;
	/*
	 * Once per refresh period, whatever arrives in between (a busy host delivers hundreds of GC
	 * events a second, and redrawing for each cost more than everything else together), and at
	 * once after a key press.
	 */
	if (!t->keyed && (t->paused || now - t->last_draw_ns < t->o.interval_ns))
		return;
	t->keyed = false;
	t->last_draw_ns = now;
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		mvprintw(LINES / 2, 0, "terminal too small: %dx%d, goscope top needs %dx%d",
			 COLS, LINES, MIN_COLS, MIN_LINES);
		refresh();
		return;
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!rows)
		return;
	n = build_rows(t, wt, rows);
	if (t->detail) {
		const struct watched *w = NULL;

		for (i = 0; i < n; i++)
			if (rows[i].w->pid == t->selected)
				w = rows[i].w;
		if (w) {
			draw_title(t, wt, "detail");
			tui_draw_detail(t, w);
		} else {
			t->detail = false;
			draw_overview(t, wt, rows, n);
		}
	} else {
		draw_overview(t, wt, rows, n);
	}
	if (t->help)
		draw_help(t);
	free(rows);
	refresh();
}

/* Move the selection by delta rows in the current sort order. */
static void move_selection(struct tui *t, struct engine *wt, int delta)
{
	size_t n = engine__count(wt);
	struct row *rows = calloc(n ? n : 1, sizeof(*rows));
	int i, sel = 0;

	if (!rows)
		return;
	n = build_rows(t, wt, rows);
	for (i = 0; i < (int)n; i++)
		if (rows[i].w->pid == t->selected)
			sel = i;
	sel += delta;
	if (sel >= (int)n)
		sel = (int)n - 1;
	if (sel < 0)
		sel = 0;
	if (n)
		t->selected = rows[sel].w->pid;
	free(rows);
}

static bool handle_key(struct tui *t, struct engine *wt, int ch)
{
	int page = LINES - 6 > 1 ? LINES - 6 : 1;

	if (t->help && ch != KEY_RESIZE) {
		t->help = false;
		t->keyed = true;
		return true;
	}
	switch (ch) {
	case 'q': case 'Q': return false;
	case '?': case 'h': t->help = true; break;
	case 'p': case ' ': t->paused = !t->paused; break;
	case KEY_UP: case 'k': move_selection(t, wt, -1); break;
	case KEY_DOWN: case 'j': move_selection(t, wt, 1); break;
	case KEY_PPAGE: move_selection(t, wt, -page); break;
	case KEY_NPAGE: move_selection(t, wt, page); break;
	case KEY_HOME: case 'g': move_selection(t, wt, -1000000); break;
	case KEY_END: case 'G': move_selection(t, wt, 1000000); break;
	case '\n': case '\r': case KEY_ENTER: t->detail = engine__count(wt) > 0; break;
	case KEY_ESCAPE: case KEY_BACKSPACE: case 127: case 8: t->detail = false; break;
	case 's': t->sort_col = (t->sort_col + 1) % C_NR; break;
	case 'S': t->sort_col = (t->sort_col + C_NR - 1) % C_NR; break;
	case 'r': t->sort_reverse = !t->sort_reverse; break;
	case KEY_RESIZE: break;
	default: return true;
	}
	t->keyed = true;
	return true;
}

bool tui__input(struct tui *t, struct engine *wt)
{
	int ch;

	while ((ch = getch()) != ERR)
		if (!handle_key(t, wt, ch))
			return false;
	/* A key press shows at once, even while paused. */
	tui__draw(t, wt);
	return true;
}

void tui__message(struct tui *t, int level, const char *msg)
{
	unsigned int i = t->nmsgs++ % 64;

	t->msgs[i].level = level;
	t->msgs[i].mono_ns = clock_mono_ns();
	snprintf(t->msgs[i].text, sizeof(t->msgs[i].text), "%s", msg);
}

static void print_warnings(const struct tui *t)
{
	unsigned int i = t->nmsgs > 64 ? t->nmsgs - 64 : 0;

	for (; i < t->nmsgs; i++)
		if (t->msgs[i % 64].level < 0)
			fprintf(stderr, "goscope: %s\n", t->msgs[i % 64].text);
}

static void setup_colors(struct tui *t)
{
	if (!t->o.color || !has_colors()) {
		t->o.color = false;
		return;
	}
	start_color();
	use_default_colors();
	init_pair(TP_TITLE, COLOR_CYAN, -1);
	init_pair(TP_ALERT, COLOR_RED, -1);
	init_pair(TP_WARN, COLOR_YELLOW, -1);
	init_pair(TP_GOOD, COLOR_GREEN, -1);
	init_pair(TP_DIM, COLOR_BLUE, -1);
	init_pair(TP_GRAPH, COLOR_GREEN, -1);
	init_pair(TP_GOAL, COLOR_MAGENTA, -1);
}

struct tui *tui__new(const struct tui_opts *o, struct gs_err *err)
{
	struct tui *t;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		gs_fail(err, GS_EXIT_USAGE, "top needs a terminal; in scripts use 'goscope stat', "
			"'goscope gctrace' or 'goscope record'");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	t->o = *o;
	setlocale(LC_ALL, "");
	if (!t->o.ascii) {
		const char *cs = nl_langinfo(CODESET);

		t->o.ascii = !cs || strcmp(cs, "UTF-8");
	}
	set_escdelay(25);
	t->screen = newterm(NULL, stdout, stdin);
	if (!t->screen) {
		gs_fail(err, GS_EXIT_USAGE, "cannot use the terminal (TERM=%s)",
			getenv("TERM") ? getenv("TERM") : "unset");
		free(t);
		return NULL;
	}
	t->active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	setup_colors(t);
	t->sort_col = C_GCCPU;
	t->selected = o->detail_pid;
	t->detail = o->detail_pid > 0;
	t->started_ns = clock_mono_ns();
	t->keyed = true;	/* the first frame at once */
	return t;
}

void tui__free(struct tui *t)
{
	if (!t)
		return;
	if (t->active) {
		curs_set(1);
		endwin();
		delscreen(t->screen);
		t->active = false;
		print_warnings(t);
	}
	free(t);
}
