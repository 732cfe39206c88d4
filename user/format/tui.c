// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The dashboard's terminal handling, key handling, status messages and help screen, and the
 * choice of view to draw each frame: the overview (tui_overview.c) or the detail (tui_detail.c).
 */
#include <langinfo.h>
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "format/tui_int.h"
#include "util/clock.h"
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

/* ---- the title and footer lines of both views ---- */

void tui_draw_title(struct tui *t, struct engine *wt, const char *view)
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
		"  t               goroutine groups, read now (detail view; Esc closes them)",
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
	struct tui_rows *rows;
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
	rows = tui_rows_new(t, wt);
	if (!rows)
		return;
	if (t->detail) {
		const struct watched *w = tui_rows_find(rows, t->selected);

		if (w) {
			tui_draw_title(t, wt, "detail");
			tui_draw_detail(t, w);
		} else {
			t->detail = false;
			tui_groups_close(t);
			tui_draw_overview(t, wt, rows);
		}
	} else {
		tui_draw_overview(t, wt, rows);
	}
	if (t->help)
		draw_help(t);
	tui_rows_free(rows);
	refresh();
}

const struct watched *tui_detailed(struct tui *t, struct engine *wt)
{
	struct tui_rows *rows = tui_rows_new(t, wt);
	const struct watched *w = rows ? tui_rows_find(rows, t->selected) : NULL;

	tui_rows_free(rows);
	return w;
}

static bool handle_key(struct tui *t, struct engine *wt, int ch)
{
	int page = LINES - 6 > 1 ? LINES - 6 : 1;

	if (t->help && ch != KEY_RESIZE) {
		t->help = false;
		t->keyed = true;
		return true;
	}
	/* The goroutine groups panel has its own keys (q and Esc close it). */
	if (t->detail && t->groups.open && tui_groups_key(t, wt, ch)) {
		t->keyed = true;
		return true;
	}
	switch (ch) {
	case 'q': case 'Q': return false;
	case '?': case 'h': t->help = true; break;
	case 'p': case ' ': t->paused = !t->paused; break;
	case KEY_UP: case 'k': tui_move_selection(t, wt, -1); break;
	case KEY_DOWN: case 'j': tui_move_selection(t, wt, 1); break;
	case KEY_PPAGE: tui_move_selection(t, wt, -page); break;
	case KEY_NPAGE: tui_move_selection(t, wt, page); break;
	case KEY_HOME: case 'g': tui_move_selection(t, wt, -1000000); break;
	case KEY_END: case 'G': tui_move_selection(t, wt, 1000000); break;
	case '\n': case '\r': case KEY_ENTER: t->detail = engine__count(wt) > 0; break;
	case KEY_ESCAPE: case KEY_BACKSPACE: case 127: case 8: t->detail = false; break;
	case 's': t->sort_col = (t->sort_col + 1) % TC_NR; break;
	case 'S': t->sort_col = (t->sort_col + TC_NR - 1) % TC_NR; break;
	case 'r': t->sort_reverse = !t->sort_reverse; break;
	case 't':
		if (!t->detail)
			return true;
		tui_groups_take(t, wt, tui_detailed(t, wt));
		break;
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
	t->sort_col = TC_GCCPU;
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
	tui_groups_close(t);
	if (t->active) {
		curs_set(1);
		endwin();
		delscreen(t->screen);
		t->active = false;
		print_warnings(t);
	}
	free(t);
}
