// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The detail view's goroutine groups panel: one dump of every goroutine's stack (target/stacks.h,
 * read from outside), its goroutines grouped by stack as `goscope stacks --group` groups them,
 * one row per group. A dump is taken only when the user asks for one, with a short time budget,
 * because reading every stack costs far more than a refresh's sample.
 */
#include <errno.h>
#include <ncurses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/engine.h"
#include "format/traceback.h"
#include "format/tui_int.h"
#include "target/stacks.h"
#include "util/buf.h"

#define GROUPS_BUDGET_NS	200000000ull	/* the screen never stalls longer than this */
#define KEY_ESCAPE		27

/* The key that opens and refreshes the panel (also in the help screen and the footers). */
#define GROUPS_KEY		't'

static void free_rows(struct tui_groups *p)
{
	size_t i;

	for (i = 0; i < p->nrows; i++) {
		free(p->rows[i].state);
		free(p->rows[i].runs);
		free(p->rows[i].top);
	}
	free(p->rows);
	p->rows = NULL;
	p->nrows = 0;
}

void tui_groups_close(struct tui *t)
{
	free_rows(&t->groups);
	t->groups.open = false;
	t->groups.failed = false;
	t->groups.scroll = 0;
}

/* A copy of what b holds; NULL when out of memory (the row then shows "?"). */
static char *buf_dup(struct buf *b)
{
	char *s;

	buf_put(b, "", 1);
	s = b->oom ? NULL : strdup(b->data);
	buf_reset(b);
	return s;
}

static void fill_row(struct tui_grow *r, const struct gdump *d, const struct tb_group *grp)
{
	const struct gread *g = grp->members[0];
	const struct gframe *at, *mine;
	const char *runs;
	struct buf b = { 0 };

	r->n = grp->n;
	r->oldest_ns = grp->wait_max_ns;
	r->running = g->running;
	r->changed = g->changed;
	traceback__group_states(&b, d, grp);
	r->state = buf_dup(&b);
	if (g->running || g->changed) {
		buf_free(&b);
		return;
	}
	traceback__site(d, g, &runs, &at, &mine);
	if (runs) {
		traceback__func_name(&b, d, runs);
		r->runs = buf_dup(&b);
	}
	if (at) {
		const char *slash = at->file ? strrchr(at->file, '/') : NULL;

		traceback__func_name(&b, d, at->func);
		/* The source file without its directories: the line number is what matters here. */
		if (at->file)
			buf_printf(&b, " %s:%d", slash ? slash + 1 : at->file, at->line);
		r->top = buf_dup(&b);
	}
	buf_free(&b);
}

static void say_why(struct tui_groups *p, const struct watched *w, pid_t pid,
		    const struct gs_err *err)
{
	const char *msg = err && err->msg[0] ? err->msg : "unknown error";
	char self[32];

	p->failed = true;
	if (!w) {
		snprintf(p->head, sizeof(p->head), "PID %d is gone: no goroutines to read", pid);
		return;
	}
	/* The engine notices an exit at its next step; a read that failed meanwhile knows now. */
	if (w->state == WS_EXITED || (kill(w->pid, 0) && errno == ESRCH)) {
		snprintf(p->head, sizeof(p->head), "PID %d has exited: no goroutines to read",
			 w->pid);
		return;
	}
	snprintf(self, sizeof(self), "PID %d: ", w->pid);
	if (!strncmp(msg, self, strlen(self)))
		msg += strlen(self);
	snprintf(p->head, sizeof(p->head), "cannot read the goroutines of PID %d: %s", w->pid, msg);
}

static void fill_head(struct tui *t, const struct gdump *d)
{
	struct tui_groups *p = &t->groups;
	time_t when = (time_t)(d->started_unix_ns / 1000000000);
	char clock[16];
	struct tm tm;
	int off = 0;

	localtime_r(&when, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(p->head, sizeof(p->head), "goroutine groups of PID %d %s taken %s, %llu goroutine%s, "
		 "%.1f ms", p->pid, t->o.ascii ? "-" : "—", clock, (unsigned long long)d->total,
		 d->total == 1 ? "" : "s", (double)d->took_ns / 1e6);
	p->note[0] = '\0';
	if (d->not_reached)
		off = snprintf(p->note, sizeof(p->note), " (partial: %llu not reached)",
			       (unsigned long long)d->not_reached);
	if (d->changed && off >= 0 && (size_t)off < sizeof(p->note))
		snprintf(p->note + off, sizeof(p->note) - (size_t)off, " (%llu kept moving while "
			 "read)", (unsigned long long)d->changed);
}

void tui_groups_take(struct tui *t, struct engine *wt, const struct watched *w)
{
	struct tui_groups *p = &t->groups;
	struct stacks_opts so = { .budget_ns = GROUPS_BUDGET_NS, .retries = STACKS_DEFAULT_RETRIES };
	struct gs_err err = { 0 };
	struct tb_group *gs;
	struct gdump *d;
	size_t ng, i;
	pid_t pid = w ? w->pid : t->selected;

	free_rows(p);
	p->note[0] = '\0';
	if (!p->open || p->pid != pid)
		p->scroll = 0;
	p->open = true;
	p->pid = pid;
	p->failed = false;
	if (!w || w->state == WS_EXITED) {
		say_why(p, w, pid, NULL);
		return;
	}
	d = engine__stacks(wt, w, &so, &err);
	if (!d) {
		say_why(p, w, pid, &err);
		return;
	}
	gs = traceback__group(d, NULL, NULL, &ng);
	p->rows = calloc(ng ? ng : 1, sizeof(*p->rows));
	if (!p->rows) {
		snprintf(p->head, sizeof(p->head), "out of memory");
		p->failed = true;
	} else {
		for (i = 0; i < ng; i++)
			fill_row(&p->rows[i], d, &gs[i]);
		p->nrows = ng;
		fill_head(t, d);
	}
	traceback__groups_free(gs, ng);
	gdump__free(d);
}

bool tui_groups_key(struct tui *t, struct engine *wt, int ch)
{
	struct tui_groups *p = &t->groups;
	int page = p->shown > 1 ? p->shown : 1;

	switch (ch) {
	case GROUPS_KEY: case 'r': tui_groups_take(t, wt, tui_detailed(t, wt)); break;
	case KEY_ESCAPE: case KEY_BACKSPACE: case 127: case 8: case 'q': case 'Q':
		tui_groups_close(t);
		break;
	case KEY_UP: case 'k': p->scroll--; break;
	case KEY_DOWN: case 'j': p->scroll++; break;
	case KEY_PPAGE: p->scroll -= page; break;
	case KEY_NPAGE: p->scroll += page; break;
	case KEY_HOME: case 'g': p->scroll = 0; break;
	case KEY_END: case 'G': p->scroll = p->nrows > 0 ? (int)p->nrows : 0; break;
	default: return false;
	}
	/* Clamped to the rows shown when drawn; never negative meanwhile. */
	if (p->scroll < 0)
		p->scroll = 0;
	return true;
}

/*
 * s in w columns: as it is when it fits, else cut with an ellipsis: at its start when keep_end
 * (a function's last element and a frame's file:line say more than a package path's start),
 * else at its end.
 */
static void fit(const struct tui *t, char *out, size_t len, const char *s, int w, bool keep_end)
{
	const char *ell = t->o.ascii ? "..." : "…";
	int n = tui_width(s), ew = tui_width(ell), i, cols = 0;

	if (n <= w || w <= ew) {
		snprintf(out, len, "%s", s);
		return;
	}
	if (keep_end) {
		/* Skip characters until w - ew columns are left, never inside a UTF-8 sequence. */
		for (n -= w - ew; *s && n > 0; s++)
			n -= ((unsigned char)s[1] & 0xc0) != 0x80;
		snprintf(out, len, "%s%s", ell, s);
		return;
	}
	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++cols > w - ew)
			break;
	snprintf(out, len, "%.*s%s", i, s, ell);
}

/* The columns' widths on this terminal: COUNT STATE OLDEST RUNS, then TOP FRAME takes the rest. */
struct layout {
	int count, state, oldest, runs, top;
};

static struct layout layout(const struct tui_groups *p)
{
	struct layout l = { .count = 6, .state = COLS < 100 ? 16 : 22, .oldest = 7, .runs = 4 };
	int rest = COLS - (l.count + 2 + l.state + 2 + l.oldest + 2) - 2;
	size_t i;

	/* RUNS as wide as its longest name, up to half of what is left; TOP FRAME the rest. */
	for (i = 0; i < p->nrows; i++)
		if (p->rows[i].runs && tui_width(p->rows[i].runs) > l.runs)
			l.runs = tui_width(p->rows[i].runs);
	if (l.runs > rest / 2)
		l.runs = rest / 2;
	l.top = rest - l.runs;
	return l;
}

static void draw_row(const struct tui *t, const struct layout *l, int y, const struct tui_grow *r)
{
	char cell[512], text[512];
	int x = 0;

	snprintf(cell, sizeof(cell), "%zu", r->n);
	tui_put_cell(y, x, l->count, cell, false);
	x += l->count + 2;
	fit(t, cell, sizeof(cell), r->state ? r->state : "?", l->state, false);
	tui_put_cell(y, x, l->state, cell, true);
	x += l->state + 2;
	if (r->oldest_ns >= 0)
		snprintf(cell, sizeof(cell), r->oldest_ns < 60000000000ll ? "<1 min" : "%lld min",
			 (long long)(r->oldest_ns / 60000000000ll));
	else
		snprintf(cell, sizeof(cell), "-");
	tui_put_cell(y, x, l->oldest, cell, false);
	x += l->oldest + 2;
	fit(t, cell, sizeof(cell), r->runs ? r->runs : "-", l->runs, true);
	tui_put_cell(y, x, l->runs, cell, true);
	x += l->runs + 2;
	if (r->top) {
		fit(t, cell, sizeof(cell), r->top, l->top, true);
		tui_put(y, x, l->top, cell);
		return;
	}
	/* No frame to show: say why, dimmed. */
	snprintf(text, sizeof(text), "%s", r->running ? "(on a CPU: no stack)" :
		 r->changed ? "(kept moving: no stack)" : "-");
	tui_attr_on(t, TP_DIM, 0);
	fit(t, cell, sizeof(cell), text, l->top, false);
	tui_put(y, x, l->top, cell);
	tui_attr_off(t, TP_DIM, 0);
}

/* The header, and what the dump missed after it: cutting the header if need be, never the note. */
static void draw_head(const struct tui *t, int y)
{
	const struct tui_groups *p = &t->groups;
	int hw = tui_width(p->head), nw = tui_width(p->note);
	int x = hw + nw <= COLS ? hw : COLS - nw;
	char head[sizeof(p->head) + 8];

	/* Cut with an ellipsis: a number cut short must not read as a smaller one. */
	fit(t, head, sizeof(head), p->head, p->note[0] && x > 0 ? x : COLS, false);
	tui_attr_on(t, p->failed ? TP_ALERT : TP_TITLE, A_BOLD);
	tui_put(y, 0, COLS, head);
	tui_attr_off(t, p->failed ? TP_ALERT : TP_TITLE, A_BOLD);
	if (!p->note[0] || x <= 0)
		return;
	tui_attr_on(t, TP_WARN, A_BOLD);
	tui_put(y, x, nw, p->note);
	tui_attr_off(t, TP_WARN, A_BOLD);
}

void tui_draw_groups(struct tui *t, int y)
{
	struct tui_groups *p = &t->groups;
	struct layout l = layout(p);
	int h = LINES - 2 - (y + 2), i, max;
	char line[128];

	draw_head(t, y);
	p->shown = h;
	if (p->failed || h < 1)
		return;
	max = (int)p->nrows > h ? (int)p->nrows - h : 0;
	if (p->scroll > max)
		p->scroll = max;
	attron(A_BOLD);
	tui_put_cell(y + 1, 0, l.count, "COUNT", false);
	tui_put(y + 1, l.count + 2, l.state, "STATE");
	tui_put_cell(y + 1, l.count + l.state + 4, l.oldest, "OLDEST", false);
	tui_put(y + 1, l.count + l.state + l.oldest + 6, l.runs, "RUNS");
	tui_put(y + 1, l.count + l.state + l.oldest + l.runs + 8, l.top, "TOP FRAME");
	attroff(A_BOLD);
	if (p->nrows > (size_t)h) {
		snprintf(line, sizeof(line), " %d-%d of %zu", p->scroll + 1, p->scroll + h, p->nrows);
		tui_attr_on(t, TP_DIM, 0);
		tui_put(y + 1, COLS - tui_width(line), tui_width(line), line);
		tui_attr_off(t, TP_DIM, 0);
	}
	if (!p->nrows)
		tui_put(y + 2, 2, COLS - 2, "no goroutines of the program's own");
	for (i = 0; i < h && p->scroll + i < (int)p->nrows; i++)
		draw_row(t, &l, y + 2 + i, &p->rows[p->scroll + i]);
}
