/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the dashboard's terminal and keys (tui.c), its overview (tui_overview.c) and its detail
 * view (tui_detail.c) share.
 */
#ifndef GS_OUT_TUI_INT_H
#define GS_OUT_TUI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "format/tui.h"

struct engine;
struct watched;

/* Color pairs; with colors off they are never set up and attributes alone mark things. */
enum tui_pair { TP_NONE, TP_TITLE, TP_ALERT, TP_WARN, TP_GOOD, TP_DIM, TP_GRAPH, TP_GOAL };

/* Thresholds that highlight a process (also listed in the help screen). */
#define TUI_GC_CPU_ALERT	25.0		/* percent of GOMAXPROCS' CPU time */
#define TUI_PAUSE_ALERT_NS	10000000ull	/* one cycle's stop-the-world pauses */
#define TUI_RATE_WINDOW_NS	5000000000ull	/* rates are averaged over this long */
#define TUI_PAUSE_WINDOW_NS	60000000000ull	/* "max pause" looks back this long */

/* The overview's columns, left to right; the sort column is one of them. */
enum tui_col {
	TC_PID, TC_COMM, TC_GO, TC_PROCS, TC_GOROUT, TC_HEAP, TC_GOAL, TC_ALLOC, TC_GCS, TC_GCCPU,
	TC_LAST, TC_MAX, TC_CTR, TC_NR
};

/* One row of the goroutine groups panel, formatted when its dump was taken. */
struct tui_grow {
	size_t n;			/* goroutines in the group */
	int64_t oldest_ns;		/* the longest wait; -1: unknown */
	char *state, *runs, *top;	/* runs/top NULL: the goroutines show no frame */
	bool running, changed;		/* why they show none */
};

/*
 * The goroutine groups panel of the detail view (tui_groups.c): one dump of the process's
 * stacks, taken when the user asks, never on a refresh.
 */
struct tui_groups {
	bool open;
	pid_t pid;			/* whose dump it is */
	int scroll;			/* first row shown */
	int shown;			/* rows the last frame had room for (a page) */
	char head[600];			/* the header line, or the one line saying why there is none */
	char note[160];			/* after the header: what the dump missed ("" if nothing) */
	bool failed;
	struct tui_grow *rows;		/* largest group first */
	size_t nrows;
};

struct tui {
	struct tui_opts o;
	void *screen;			/* ncurses' SCREEN */
	bool active;			/* the terminal is ours */
	bool keyed;			/* a key changed the view: redraw now, paused or not */
	bool paused;
	bool help;
	bool detail;			/* showing one process */
	int comm_w, ctr_w;		/* this frame's COMM and CONTAINER/POD widths (0: hidden) */
	pid_t selected;			/* the selected (or detailed) process */
	int sort_col;			/* an enum tui_col */
	bool sort_reverse;
	int scroll;			/* first overview row shown */
	uint64_t started_ns;
	uint64_t last_draw_ns;
	struct { int level; uint64_t mono_ns; char text[240]; } msgs[64];
	unsigned int nmsgs;
	struct tui_groups groups;
};

/* Durations in the tables: compact, "us" instead of "µs" when drawing in ASCII. */
#define TUI_NS(t)	((t)->o.ascii ? UNITS_COMPACT_ASCII : UNITS_COMPACT)

/* Print s at (y, x), cut to at most w columns (and the screen's edge). */
void tui_put(int y, int x, int w, const char *s);
/* Print s in a cell w columns wide, padded on the right (left) or on the left. */
void tui_put_cell(int y, int x, int w, const char *s, bool left);
int tui_width(const char *s);
void tui_attr_on(const struct tui *t, enum tui_pair p, int attrs);
void tui_attr_off(const struct tui *t, enum tui_pair p, int attrs);

/*
 * The overview (tui_overview.c). One frame's rows hold every process, sorted by the sort column;
 * NULL when out of memory.
 */
struct tui_rows *tui_rows_new(struct tui *t, struct engine *wt);
void tui_rows_free(struct tui_rows *r);
/* The process with this PID (the last in the sort order, should two share it); NULL if none. */
const struct watched *tui_rows_find(const struct tui_rows *r, pid_t pid);
/* The overview screen; keeps the selection on a row and that row on the screen. */
void tui_draw_overview(struct tui *t, struct engine *wt, const struct tui_rows *r);
/* Move the selection by delta rows in the current sort order. */
void tui_move_selection(struct tui *t, struct engine *wt, int delta);

/* The detail view of the selected process (tui_detail.c). */
void tui_draw_detail(struct tui *t, const struct watched *w);

/*
 * The goroutine groups panel (tui_groups.c). take: one dump of w now, replacing the one shown
 * (w NULL or unreadable: the panel says why). key: a key pressed while the panel is open;
 * false when it is not the panel's. draw: the panel from line y to the footer.
 */
void tui_groups_take(struct tui *t, struct engine *wt, const struct watched *w);
void tui_groups_close(struct tui *t);
bool tui_groups_key(struct tui *t, struct engine *wt, int ch);
void tui_draw_groups(struct tui *t, int y);

/* The process shown in the detail view: the last one with the selected PID; NULL if none. */
const struct watched *tui_detailed(struct tui *t, struct engine *wt);

/* Title and footer lines shared by both views (view: "overview" or "detail"). */
void tui_draw_title(struct tui *t, struct engine *wt, const char *view);
void tui_draw_footer(struct tui *t, const char *keys);

#endif
