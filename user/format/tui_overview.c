// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The dashboard's overview: one row per process, its columns, the sort order, the alerts, and the
 * selection that Enter opens in the detail view.
 */
#include <limits.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"
#include "format/ident.h"
#include "format/tui_int.h"
#include "util/units.h"
#include "engine/model.h"
#include "engine/engine.h"

/* One process: its rates over the last few seconds, and whether it crossed a threshold. */
struct row {
	const struct watched *w;
	struct model_window mw;
	bool alert;
};

/* One frame's rows, sorted. */
struct tui_rows {
	size_t n;
	struct row row[];
};

struct column {
	const char *title;
	int width;
	bool left;		/* left-aligned text */
	int min_cols;		/* shown only on terminals at least this wide */
};

static const struct column cols[TC_NR] = {
	[TC_PID]    = { "PID", 7, false, 0 },
	[TC_COMM]   = { "COMM", 12, true, 0 },
	[TC_GO]     = { "GO", 7, true, 90 },
	[TC_PROCS]  = { "PROCS", 5, false, 0 },
	[TC_GOROUT] = { "GOROUT", 6, false, 0 },
	[TC_HEAP]   = { "HEAP", 5, false, 0 },
	[TC_GOAL]   = { "GOAL", 5, false, 0 },
	[TC_ALLOC]  = { "ALLOC/s", 7, false, 0 },
	[TC_GCS]    = { "GC/s", 5, false, 0 },
	[TC_GCCPU]  = { "GC CPU", 6, false, 0 },
	[TC_LAST]   = { "PAUSE", 6, false, 0 },
	[TC_MAX]    = { "MAX 60s", 7, false, 0 },
	[TC_CTR]    = { "CONTAINER/POD", 0, true, 0 },	/* as wide as it needs; see layout() */
};

static bool col_shown(const struct tui *t, int c)
{
	return c == TC_CTR ? t->ctr_w > 0 : COLS >= cols[c].min_cols;
}

static int col_width(const struct tui *t, int c)
{
	return c == TC_COMM ? t->comm_w : c == TC_CTR ? t->ctr_w : cols[c].width;
}

/* The sort key of a column, as a number (text columns sort by PID within equal names). */
static double sort_key(const struct row *r, int c)
{
	const struct rt_sample *s = &r->w->cur;

	switch (c) {
	case TC_PID: return r->w->pid;
	case TC_PROCS: return s->ok ? s->gomaxprocs : -1;
	case TC_GOROUT: return s->ok ? (double)s->num_goroutine : -1;
	case TC_HEAP: return s->ok ? (double)s->heap_alloc : -1;
	case TC_GOAL: return s->ok ? (double)s->next_gc : -1;
	case TC_ALLOC: return r->mw.span_s ? r->mw.alloc_bytes_per_s : -1;
	case TC_GCS: return r->mw.span_s ? r->mw.gc_per_s : -1;
	case TC_GCCPU: return r->mw.gc_cpu_percent;
	case TC_LAST: return r->mw.have_pause ? (double)r->mw.last_pause_ns : -1;
	case TC_MAX: return r->mw.have_pause ? (double)r->mw.max_pause_ns : -1;
	}
	return 0;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct tui *sort_tui = arg;
	const struct row *x = a, *y = b;
	int c = sort_tui->sort_col, r = 0;
	char xc[600], yc[600];
	bool xgone = x->w->state == WS_EXITED || x->w->state == WS_UNSUPPORTED;
	bool ygone = y->w->state == WS_EXITED || y->w->state == WS_UNSUPPORTED;

	/* Processes being watched first; the exited and the unwatchable below them. */
	if (xgone != ygone)
		return xgone ? 1 : -1;
	if (c == TC_COMM)
		r = strcmp(x->w->comm, y->w->comm);
	else if (c == TC_CTR)
		r = strcmp(ident_column(x->w->ident, xc, sizeof(xc)),
			   ident_column(y->w->ident, yc, sizeof(yc)));
	else if (c == TC_GO)
		r = strcmp(x->w->version, y->w->version);
	else if (sort_key(x, c) != sort_key(y, c))
		r = sort_key(x, c) < sort_key(y, c) ? -1 : 1;
	/* Numbers sort biggest first (trouble on top), names A to Z; 'r' turns it around. */
	if (c != TC_COMM && c != TC_GO && c != TC_PID && c != TC_CTR)
		r = -r;
	if (sort_tui->sort_reverse)
		r = -r;
	return r ? r : x->w->pid - y->w->pid;
}

/* Why a process is highlighted ("GC CPU 31% > 25%"); empty when it is not. */
static void alert_reason(const struct watched *w, const struct model_window *mw, char *buf,
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
		alert_reason(rows[i].w, &rows[i].mw, why, sizeof(why));
		rows[i].alert = why[0];
	}
	qsort_r(rows, n, sizeof(*rows), cmp_rows, (void *)t);
	return n;
}

struct tui_rows *tui_rows_new(struct tui *t, struct engine *wt)
{
	struct tui_rows *r = calloc(1, sizeof(*r) + engine__count(wt) * sizeof(r->row[0]));

	if (r)
		r->n = build_rows(t, wt, r->row);
	return r;
}

void tui_rows_free(struct tui_rows *r)
{
	free(r);
}

const struct watched *tui_rows_find(const struct tui_rows *r, pid_t pid)
{
	const struct watched *w = NULL;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->row[i].w->pid == pid)
			w = r->row[i].w;
	return w;
}

static void cell_text(const struct tui *t, const struct row *r, int c, char *buf, size_t len)
{
	const struct rt_sample *s = &r->w->cur;
	bool have = s->ok && r->w->state != WS_UNSUPPORTED;

	snprintf(buf, len, "-");
	switch (c) {
	case TC_PID: snprintf(buf, len, "%d", r->w->pid); return;
	case TC_COMM: snprintf(buf, len, "%s", r->w->comm); return;
	case TC_CTR: ident_column(r->w->ident, buf, len); return;
	case TC_GO:
		snprintf(buf, len, "%s", strncmp(r->w->version, "go", 2) ? r->w->version :
			 r->w->version + 2);
		return;
	}
	if (!have)
		return;
	switch (c) {
	case TC_PROCS: snprintf(buf, len, "%d", s->gomaxprocs); break;
	case TC_GOROUT: units_count(buf, len, (double)s->num_goroutine); break;
	case TC_HEAP: units_bytes(buf, len, (double)s->heap_alloc, UNITS_COMPACT); break;
	case TC_GOAL: units_bytes(buf, len, (double)s->next_gc, UNITS_COMPACT); break;
	case TC_ALLOC:
		if (r->mw.span_s)
			units_bytes(buf, len, r->mw.alloc_bytes_per_s, UNITS_COMPACT);
		break;
	case TC_GCS:
		if (r->mw.span_s)
			snprintf(buf, len, r->mw.gc_per_s < 99.95 ? "%.1f" : "%.0f", r->mw.gc_per_s);
		break;
	case TC_GCCPU:
		if (r->mw.gc_cpu_percent >= 0)
			snprintf(buf, len, "%.1f%%", r->mw.gc_cpu_percent);
		break;
	case TC_LAST:
		if (r->mw.have_pause)
			units_ns(buf, len, (double)r->mw.last_pause_ns, TUI_NS(t));
		break;
	case TC_MAX:
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
	return (c == TC_GCCPU && r->mw.gc_cpu_percent > TUI_GC_CPU_ALERT) ||
	       (c == TC_MAX && r->mw.max_pause_ns > TUI_PAUSE_ALERT_NS) ||
	       (c == TC_GOROUT && r->mw.goroutines_growing);
}

/*
 * This frame's variable widths. COMM takes what the fixed columns leave, 8 to 24. CONTAINER/POD,
 * last, is there only when a process is in a container, and only where COMM keeps the width its
 * longest name needs: on a narrow terminal it goes first.
 */
static void layout(struct tui *t, const struct row *rows, size_t n)
{
	int c, used = 2, avail, comm = 4, ctr = 0;
	char buf[600];
	size_t i;

	t->ctr_w = 0;
	for (c = 0; c < TC_NR; c++)
		if (c != TC_COMM && col_shown(t, c))
			used += cols[c].width + 1;
	avail = COLS - used - 1;
	for (i = 0; i < n; i++) {
		int k = (int)strlen(rows[i].w->comm);

		comm = k > comm ? k : comm;
		if (identity_known(rows[i].w->ident)) {
			k = (int)strlen(ident_column(rows[i].w->ident, buf, sizeof(buf)));
			ctr = k > ctr ? k : ctr;
		}
	}
	comm = comm < 8 ? 8 : comm > 24 ? 24 : comm;
	if (ctr && avail - comm - 1 >= (int)strlen(cols[TC_CTR].title)) {
		ctr = ctr < (int)strlen(cols[TC_CTR].title) ? (int)strlen(cols[TC_CTR].title) : ctr;
		t->ctr_w = ctr < avail - comm - 1 ? ctr : avail - comm - 1;
		t->comm_w = comm;
		return;
	}
	t->comm_w = avail < 8 ? 8 : avail > 24 ? 24 : avail;
}

static void draw_header_row(const struct tui *t, int y)
{
	int c, x = 2;

	tui_attr_on(t, TP_TITLE, A_BOLD);
	move(y, 0);
	clrtoeol();
	for (c = 0; c < TC_NR; c++) {
		int w = col_width(t, c);

		if (!col_shown(t, c))
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
	char buf[600];
	enum tui_pair base = r->w->state == WS_EXITED || r->w->state == WS_UNSUPPORTED ? TP_DIM :
			     TP_NONE;

	if (selected)
		attron(A_REVERSE);
	move(y, 0);
	clrtoeol();
	mvaddstr(y, 0, r->w->state == WS_EXITED ? "x" : r->w->state == WS_UNSUPPORTED ? "-" :
		 r->alert ? "!" : " ");
	for (c = 0; c < TC_NR; c++) {
		int w = col_width(t, c);
		bool hot = cell_alert(r, c);

		if (!col_shown(t, c))
			continue;
		if (r->w->state == WS_UNSUPPORTED && c > TC_GO) {
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

/* What the selected row's cells cannot show: version, executable, alert reason. */
static void draw_selected_info(struct tui *t, const struct row *r, int y)
{
	char line[PATH_MAX + 1400], why[128], where[1024];

	alert_reason(r->w, &r->mw, why, sizeof(why));
	if (r->w->state == WS_UNSUPPORTED)
		snprintf(line, sizeof(line), "PID %d %s %s: cannot watch: %s", r->w->pid,
			 r->w->comm, r->w->version, r->w->why);
	else
		snprintf(line, sizeof(line), "PID %d %s %s %s - %s%s%s", r->w->pid, r->w->comm,
			 r->w->version, r->w->exe ? r->w->exe : "",
			 r->w->probed || r->w->state == WS_EXITED ? watched_state_name(r->w->state) :
			 "sampling only", why[0] ? " - " : "", why);
	if (*ident_line(r->w->ident, r->w->pid, r->w->nspid, where, sizeof(where)))
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " - %s", where);
	move(y, 0);
	clrtoeol();
	tui_attr_on(t, why[0] ? TP_ALERT : TP_NONE, why[0] ? A_BOLD : 0);
	tui_put(y, 0, COLS, line);
	tui_attr_off(t, why[0] ? TP_ALERT : TP_NONE, why[0] ? A_BOLD : 0);
}

void tui_draw_overview(struct tui *t, struct engine *wt, const struct tui_rows *r)
{
	const struct row *rows = r->row;
	int body = LINES - 6, i, sel = -1;
	size_t n = r->n;

	tui_draw_title(t, wt, "overview");
	layout(t, rows, n);
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

void tui_move_selection(struct tui *t, struct engine *wt, int delta)
{
	struct tui_rows *r = tui_rows_new(t, wt);
	int i, sel = 0, n;

	if (!r)
		return;
	n = (int)r->n;
	for (i = 0; i < n; i++)
		if (r->row[i].w->pid == t->selected)
			sel = i;
	sel += delta;
	if (sel >= n)
		sel = n - 1;
	if (sel < 0)
		sel = 0;
	if (n)
		t->selected = r->row[sel].w->pid;
	tui_rows_free(r);
}
