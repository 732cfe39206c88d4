// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The dashboard's detail view of one process: history graphs, gctrace lines, goroutines, Ps. */
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format/ident.h"
#include "format/tui_int.h"
#include "goruntime/rtmetrics.h"
#include "util/clock.h"
#include "util/units.h"
#include "engine/model.h"
#include "engine/engine.h"
#include "engine/sites.h"
#include "format/gctrace.h"
#include "goruntime/metrics.h"

#define GRAPH_MAX_POINTS 512
#define WAIT_REASONS_SHOWN 4
#define SITES_SHOWN 3		/* rows per site panel (--goroutines, --allocs) */

/* Eighths of a cell, bottom up: the Unicode lower blocks. */
static const char *const vblocks[9] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
static const char *const hblocks[9] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█" };

struct series {
	const char *title;
	double v[GRAPH_MAX_POINTS];	/* oldest first */
	double mark[GRAPH_MAX_POINTS];	/* a second series drawn as a line (heap goal); <0: none */
	int n;
	bool bytes, ns, rate;
	bool has_mark;
};

/* One graph cell: fill eighths of it (0..8) with the bar, or the goal mark. */
static void graph_cell(const struct tui *t, int y, int x, int fill, bool mark)
{
	if (fill > 0) {
		tui_attr_on(t, TP_GRAPH, 0);
		if (t->o.ascii)
			mvaddstr(y, x, fill >= 4 ? "#" : "_");
		else
			mvaddstr(y, x, vblocks[fill]);
		tui_attr_off(t, TP_GRAPH, 0);
	} else if (mark) {
		tui_attr_on(t, TP_GOAL, A_BOLD);
		mvaddstr(y, x, t->o.ascii ? "-" : "─");
		tui_attr_off(t, TP_GOAL, A_BOLD);
	}
}

static void fmt_value(const struct tui *t, const struct series *s, double v, char *buf, size_t len)
{
	char num[32];

	if (s->bytes)
		units_bytes(num, sizeof(num), v, UNITS_COMPACT);
	else if (s->ns)
		units_ns(num, sizeof(num), v, TUI_NS(t));
	else
		units_count(num, sizeof(num), v);
	snprintf(buf, len, "%s%s", num, s->rate ? "/s" : "");
}

/* A bar graph of the newest points, right-aligned, scaled to the largest value shown. */
static void draw_graph(const struct tui *t, int y, int x, int h, int w, const struct series *s)
{
	int first = s->n > w ? s->n - w : 0, i, r;
	double max = 0;
	char title[200], vmax[48], vnow[48];

	for (i = first; i < s->n; i++) {
		if (s->v[i] > max)
			max = s->v[i];
		if (s->mark[i] > max)
			max = s->mark[i];
	}
	fmt_value(t, s, max, vmax, sizeof(vmax));
	fmt_value(t, s, s->n ? s->v[s->n - 1] : 0, vnow, sizeof(vnow));
	if (s->ns && s->n && !s->v[s->n - 1])
		snprintf(vnow, sizeof(vnow), "none");
	snprintf(title, sizeof(title), "%s%s %s, max %s", s->title,
		 s->has_mark ? (t->o.ascii ? " (goal -)" : " (goal ─)") : "", s->n ? vnow : "-",
		 vmax);
	tui_attr_on(t, TP_TITLE, A_BOLD);
	tui_put(y, x, w, title);
	tui_attr_off(t, TP_TITLE, A_BOLD);
	if (!s->n || max <= 0)
		return;
	for (i = first; i < s->n; i++) {
		int col = x + w - (s->n - i);
		int level = (int)(s->v[i] / max * h * 8 + 0.5);
		int mrow = s->has_mark ? (int)(s->mark[i] / max * h - 0.001) : -1;

		if (s->v[i] > 0 && level == 0)
			level = 1;	/* something happened: never invisible */
		for (r = 0; r < h; r++) {
			int fill = level - r * 8;

			graph_cell(t, y + h - r, col, fill > 8 ? 8 : fill < 0 ? 0 : fill, r == mrow);
		}
	}
}

/* The four series from the history, newest last. */
static void build_series(const struct model *m, int n, struct series *s)
{
	int i;

	s[0].title = "heap";
	s[1].title = "alloc rate";
	s[2].title = "goroutines";
	s[3].title = "GC pause";
	s[0].bytes = s[1].bytes = s[1].rate = s[3].ns = s[0].has_mark = true;
	for (i = 0; i < 4; i++)
		s[i].n = n;
	for (i = 0; i < n; i++) {
		const struct model_point *p = model__point(m, (uint64_t)(n - 1 - i));
		const struct model_point *prev = model__point(m, (uint64_t)(n - i));
		double dt = prev ? (double)(p->mono_ns - prev->mono_ns) / 1e9 : 0;

		s[0].v[i] = (double)p->heap_alloc;
		s[0].mark[i] = (double)p->heap_goal;
		s[1].v[i] = dt > 0 ? (double)(p->total_alloc - prev->total_alloc) / dt : 0;
		s[2].v[i] = (double)p->goroutines;
		s[3].v[i] = (double)p->max_pause_ns;
		s[1].mark[i] = s[2].mark[i] = s[3].mark[i] = -1;
	}
}

static void draw_graphs(const struct tui *t, const struct watched *w, int y, int gh)
{
	static struct series s[4];
	int half = (COLS - 1) / 2, n = (int)(w->model->nhist < MODEL_HIST ? w->model->nhist :
						  MODEL_HIST);

	if (n > GRAPH_MAX_POINTS)
		n = GRAPH_MAX_POINTS;
	memset(s, 0, sizeof(s));
	build_series(w->model, n, s);
	draw_graph(t, y, 0, gh, half, &s[0]);
	draw_graph(t, y, half + 1, gh, COLS - half - 1, &s[1]);
	draw_graph(t, y + gh + 1, 0, gh, half, &s[2]);
	draw_graph(t, y + gh + 1, half + 1, gh, COLS - half - 1, &s[3]);
}

static void fmt_limit(char *buf, size_t len, int64_t limit)
{
	if (limit < 0 || limit == INT64_MAX)
		snprintf(buf, len, "off");
	else
		units_bytes(buf, len, (double)limit, UNITS_COMPACT);
}

/* Who and in what state, the heap and GC now, then pauses and settings: three lines. */
/* Lines draw_summary takes: three, and one more for a process in a container or PID namespace. */
static int summary_lines(const struct watched *w)
{
	char where[1024];

	return 3 + (*ident_line(w->ident, w->pid, w->nspid, where, sizeof(where)) != '\0');
}

static void draw_summary(const struct tui *t, const struct watched *w, int y)
{
	const struct rt_sample *s = &w->cur;
	struct model_window mw;
	char line[1024], heap[16], goal[16], live[16], rate[16], limit[16], last[16], max[16];
	char state[200], gogc[16], cpu[16];
	bool gone = w->state == WS_EXITED;

	if (gone)
		snprintf(state, sizeof(state), "TARGET EXITED %.0fs ago, last readings below",
			 (double)(clock_mono_ns() - w->exited_ns) / 1e9);
	else if (!w->probed)
		snprintf(state, sizeof(state), "sampling only (no probes)");
	else if (w->state == WS_WAITING)
		snprintf(state, sizeof(state), "attached, waiting for first GC");
	else
		snprintf(state, sizeof(state), "%s", watched_state_name(w->state));
	snprintf(line, sizeof(line), "PID %d %s %s - %s - %u GCs", w->pid, w->comm, w->version,
		 state, s->num_gc);
	if (w->probed)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), ", %u before attach",
			 w->numgc_at_attach);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " - %s", w->exe ? w->exe : "");
	if (w->object && w->object[0]) {
		const char *base = strrchr(w->object, '/');

		snprintf(line + strlen(line), sizeof(line) - strlen(line), " (runtime in %s)",
			 base ? base + 1 : w->object);
	}
	tui_attr_on(t, gone ? TP_ALERT : TP_NONE, A_BOLD);
	tui_put(y, 0, COLS, line);
	tui_attr_off(t, gone ? TP_ALERT : TP_NONE, A_BOLD);

	model__window(w->model, TUI_RATE_WINDOW_NS, TUI_PAUSE_WINDOW_NS, &mw);
	units_bytes(heap, sizeof(heap), (double)s->heap_alloc, UNITS_COMPACT);
	units_bytes(goal, sizeof(goal), (double)s->next_gc, UNITS_COMPACT);
	units_bytes(live, sizeof(live), (double)s->heap_marked, UNITS_COMPACT);
	units_bytes(rate, sizeof(rate), mw.alloc_bytes_per_s, UNITS_COMPACT);
	snprintf(cpu, sizeof(cpu), mw.gc_cpu_percent >= 0 ? "%.1f%%" : "-", mw.gc_cpu_percent);
	snprintf(line, sizeof(line), "heap %s  goal %s  marked live %s | alloc %s/s | GC %.1f/s, "
		 "CPU %s", heap, goal, live, rate, mw.gc_per_s, cpu);
	tui_put(y + 1, 0, COLS, line);

	units_ns(last, sizeof(last), (double)mw.last_pause_ns, TUI_NS(t));
	units_ns(max, sizeof(max), (double)mw.max_pause_ns, TUI_NS(t));
	fmt_limit(limit, sizeof(limit), s->gomemlimit);
	snprintf(gogc, sizeof(gogc), s->gogc < 0 ? "off" : "%d", s->gogc);
	snprintf(line, sizeof(line), "pause %s, max 60s %s | GOGC %s  GOMEMLIMIT %s  GOMAXPROCS %d"
		 "  threads %d", mw.have_pause ? last : "-", mw.max_pause_ns ? max : "-", gogc, limit,
		 s->gomaxprocs, s->threads);
	tui_put(y + 2, 0, COLS, line);
	if (*ident_line(w->ident, w->pid, w->nspid, line, sizeof(line)))
		tui_put(y + 3, 0, COLS, line);
}

/* Goroutines by state and the most common wait reasons. */
static void draw_goroutines(const struct tui *t, const struct watched *w, int y)
{
	const struct rt_sample *s = &w->cur;
	int top[WAIT_REASONS_SHOWN];
	char line[1024];
	size_t off;
	int i, n = 0;

	off = (size_t)snprintf(line, sizeof(line), "goroutines %lld: running %llu, runnable %llu, "
			       "waiting %llu, syscall %llu, other %llu; system %llu%s",
			       (long long)s->num_goroutine,
			       (unsigned long long)s->gstate[GSTATE_RUNNING],
			       (unsigned long long)s->gstate[GSTATE_RUNNABLE],
			       (unsigned long long)s->gstate[GSTATE_WAITING],
			       (unsigned long long)s->gstate[GSTATE_SYSCALL],
			       (unsigned long long)s->gstate[GSTATE_OTHER],
			       (unsigned long long)s->gstate_sys,
			       s->gwalk_partial ? " (partial walk)" : "");
	tui_put(y, 0, COLS, line);
	n = rt_sample__top_wait_reasons(s, top, WAIT_REASONS_SHOWN);
	off = (size_t)snprintf(line, sizeof(line), "  waiting on:");
	for (i = 0; i < n && off < sizeof(line); i++) {
		char buf[32];
		const char *name = watched__wait_reason(w, (unsigned int)top[i], buf, sizeof(buf));

		off += (size_t)snprintf(line + off, sizeof(line) - off, "%s %s %u", i ? "," : "",
					name, s->wait_reason[top[i]]);
	}
	if (!n)
		snprintf(line + off, sizeof(line) - off, " nothing");
	tui_put(y + 1, 0, COLS, line);
}

#define RTM_WINDOW_NS	60000000000ull	/* runtime/metrics windows: the last minute */

/* Scheduling latency, GC CPU by class and mutex wait over the last minute. */
static void draw_rtm_rates(const struct tui *t, struct model *m, const struct watched *w, int y)
{
	struct model_rtm_window win;
	char line[512], a[16], b[16], c[16], d[16];
	size_t off;

	model__rtm_window(m, &w->cur, RTM_WINDOW_NS, &win);
	if (!w->cur.rtm) {
		tui_put(y, 0, COLS, "runtime/metrics: not read");
		return;
	}
	if (win.span_s <= 0) {
		tui_put(y, 0, COLS, "runtime/metrics: the window fills in a few seconds");
		return;
	}
	off = (size_t)snprintf(line, sizeof(line), "last %.0fs: sched latency ", win.span_s);
	if (win.have_lat && rtm_hist_total(&win.lat)) {
		units_ns(a, sizeof(a), rtm_hist_quantile(&win.lat, 0.5) * 1e9, TUI_NS(t));
		units_ns(b, sizeof(b), rtm_hist_quantile(&win.lat, 0.99) * 1e9, TUI_NS(t));
		units_ns(c, sizeof(c), rtm_hist_quantile(&win.lat, 1) * 1e9, TUI_NS(t));
		off += (size_t)snprintf(line + off, sizeof(line) - off, "p50 <%s p99 <%s max <%s "
					"(%llu)", a, b, c, (unsigned long long)rtm_hist_total(&win.lat));
	} else {
		off += (size_t)snprintf(line + off, sizeof(line) - off, win.have_lat ? "none" : "-");
	}
	if (win.have_mutex) {
		units_ns(a, sizeof(a), win.mutex_per_s * 1e9, TUI_NS(t));
		snprintf(line + off, sizeof(line) - off, " | mutex wait %s/s", a);
	}
	tui_put(y, 0, COLS, line);
	if (!win.have_cpu || win.cpu[CPU_TOTAL] <= 0) {
		tui_put(y + 1, 0, COLS, "GC CPU by class: - (Go 1.20+, counted at the end of each cycle)");
		return;
	}
#define PCT(i) (100.0 * win.cpu[i] / win.cpu[CPU_TOTAL])
	snprintf(a, sizeof(a), "%.1f%%", PCT(CPU_GC_ASSIST));
	snprintf(b, sizeof(b), "%.1f%%", PCT(CPU_GC_DEDICATED));
	snprintf(c, sizeof(c), "%.1f%%", PCT(CPU_GC_IDLE));
	snprintf(d, sizeof(d), "%.1f%%", PCT(CPU_GC_PAUSE));
	snprintf(line, sizeof(line), "GC CPU %.1f%% of GOMAXPROCS: assist %s  dedicated %s  idle %s  "
		 "pause %s | scavenger %.1f%%  idle Ps %.1f%%  user %.1f%%", PCT(CPU_GC_TOTAL), a, b, c,
		 d, PCT(CPU_SCAV_TOTAL), PCT(CPU_IDLE), PCT(CPU_USER));
#undef PCT
	tui_put(y + 1, 0, COLS, line);
}

/* The memory classes as one stacked bar: where the runtime's mapped memory goes. */
static void draw_memory_bar(const struct tui *t, const struct watched *w, int y)
{
	static const struct { char key; const char *name; enum rtm_id ids[4]; } parts[] = {
		{ 'o', "objects", { RTM_MEM_HEAP_OBJECTS } },
		{ 'u', "unused", { RTM_MEM_HEAP_UNUSED } },
		{ 'f', "free", { RTM_MEM_HEAP_FREE } },
		{ 'r', "released", { RTM_MEM_HEAP_RELEASED } },
		{ 's', "stacks", { RTM_MEM_HEAP_STACKS, RTM_MEM_OS_STACKS } },
		{ 'm', "metadata", { RTM_MEM_MSPAN_INUSE, RTM_MEM_MSPAN_FREE, RTM_MEM_MCACHE_INUSE,
				     RTM_MEM_MCACHE_FREE } },
		{ 'x', "other", { RTM_MEM_METADATA_OTHER, RTM_MEM_PROFILING_BUCKETS, RTM_MEM_OTHER } },
	};
	const struct rtm_values *r = w->cur.rtm;
	char bar[128], legend[512], total[16], v[16];
	double sum[7] = { 0 }, all = 0;
	int width, i, j, cells = 0, k;
	size_t off = 0;

	if (!r || r->v[RTM_MEM_TOTAL].status != RTM_OK)
		return;
	for (i = 0; i < 7; i++) {
		for (j = 0; j < 4 && parts[i].ids[j]; j++)
			sum[i] += (double)r->v[parts[i].ids[j]].u;
		all += sum[i];
	}
	units_bytes(total, sizeof(total), (double)r->v[RTM_MEM_TOTAL].u, UNITS_COMPACT);
	width = COLS / 3 < 20 ? 20 : COLS / 3 > 60 ? 60 : COLS / 3;
	for (i = 0; i < 7 && all > 0; i++) {
		int n = (int)(sum[i] / all * width + 0.5);

		for (k = 0; k < n && cells < width; k++)
			bar[cells++] = parts[i].key;
	}
	while (cells < width)
		bar[cells++] = ' ';
	bar[cells] = 0;
	snprintf(legend, sizeof(legend), "memory %s [", total);
	tui_put(y, 0, COLS, legend);
	tui_attr_on(t, TP_GRAPH, 0);
	tui_put(y, (int)strlen(legend), width, bar);
	tui_attr_off(t, TP_GRAPH, 0);
	off = (size_t)snprintf(legend, sizeof(legend), "]");
	for (i = 0; i < 7; i++) {
		units_bytes(v, sizeof(v), sum[i], UNITS_COMPACT);
		off += (size_t)snprintf(legend + off, sizeof(legend) - off, " %c %s %s", parts[i].key,
					parts[i].name, v);
	}
	tui_put(y, (int)strlen("memory  [") + (int)strlen(total) + width, COLS, legend);
}

/* A horizontal bar of v out of max, width cells, in eighths. */
static void hbar(const struct tui *t, char *buf, size_t len, double v, double max, int width)
{
	int eighths = max > 0 ? (int)(v / max * width * 8 + 0.5) : 0, i;
	size_t off = 0;

	buf[0] = 0;
	for (i = 0; i < width && off < len; i++) {
		int f = eighths - i * 8;
		const char *c = f >= 8 ? (t->o.ascii ? "#" : hblocks[8]) :
				f > 0 ? (t->o.ascii ? "+" : hblocks[f]) : " ";

		off += (size_t)snprintf(buf + off, len - off, "%s", c);
	}
}

/* The global run queue and each P's local one, as schedtrace counts them. */
static int draw_runqueues(const struct tui *t, const struct watched *w, int y, int max_lines)
{
	const struct rt_sample *s = &w->cur;
	char item[96], bar[64], head[64];
	double max = 8;
	int i, x, line = 0, per_item = 16;

	for (i = 0; i < s->nprocs; i++)
		if (s->p_runq[i] > max)
			max = s->p_runq[i];
	snprintf(head, sizeof(head), "run queues: global %d |", s->runqueue);
	tui_put(y, 0, COLS, head);
	x = (int)strlen(head) + 1;
	for (i = 0; i < s->nprocs; i++) {
		if (x + per_item > COLS) {
			if (++line >= max_lines) {
				snprintf(item, sizeof(item), "+%d more", s->nprocs - i);
				tui_put(y + line - 1, COLS - 9, 9, item);
				break;
			}
			x = 2;
		}
		hbar(t, bar, sizeof(bar), s->p_runq[i], max, 6);
		snprintf(item, sizeof(item), "P%-2d ", i);
		tui_put(y + line, x, 4, item);
		tui_attr_on(t, TP_GRAPH, 0);
		tui_put(y + line, x + 4, 6, bar);
		tui_attr_off(t, TP_GRAPH, 0);
		snprintf(item, sizeof(item), "%-4u", s->p_runq[i]);
		tui_put(y + line, x + 11, 4, item);
		x += per_item;
	}
	return line + 1;
}

/* The newest cycles, exactly as `goscope gctrace` prints them, newest at the bottom. */
static void draw_gctrace(const struct tui *t, const struct watched *w, int y, int h)
{
	char line[GCTRACE_LINE_MAX];
	const struct gc_cycle *c;
	int i, n = 0;

	tui_attr_on(t, TP_TITLE, A_BOLD);
	tui_put(y, 0, COLS, "GC cycles, as GODEBUG=gctrace=1 prints them:");
	tui_attr_off(t, TP_TITLE, A_BOLD);
	while (n < h - 1 && model__gc_recent(w->model, (uint64_t)n))
		n++;
	if (!n) {
		/* model->probed stays set once the probes were on: an exited process had them. */
		tui_put(y + 1, 2, COLS - 2, !w->model->probed ?
			"no GC lines without the probes (run as root)" :
			w->state == WS_EXITED ? "no GC cycle ended while goscope watched" :
			"waiting for the first GC cycle to end");
		return;
	}
	for (i = 0; i < n; i++) {
		c = model__gc_recent(w->model, (uint64_t)(n - 1 - i));
		gctrace_format(&c->ev, line, sizeof(line));
		tui_put(y + 1 + i, 0, COLS, line);
	}
}

/* A source file without its directories: the panel is narrow, the line number is what matters. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* A title line: what the opt-in probes found, or why they stopped. */
static void sites_title(const struct tui *t, const struct watched *w, enum optin_mode m, int y,
			const char *what)
{
	const struct optin_state *o = &w->optin[m];
	char line[700];

	tui_attr_on(t, TP_TITLE, A_BOLD);
	tui_put(y, 0, COLS, what);
	tui_attr_off(t, TP_TITLE, A_BOLD);
	if (o->note[0]) {
		snprintf(line, sizeof(line), "  %s", o->note);
		tui_attr_on(t, o->tripped ? TP_ALERT : TP_DIM, 0);
		tui_put(y, (int)strlen(what), COLS - (int)strlen(what), line);
		tui_attr_off(t, o->tripped ? TP_ALERT : TP_DIM, 0);
	} else if (o->on) {
		snprintf(line, sizeof(line), "  probes cost ≈ %.2f%% of a CPU", o->cpu * 100);
		tui_put(y, (int)strlen(what), COLS - (int)strlen(what), line);
	}
}

/* The top goroutine creation sites and allocation sites (--goroutines, --allocs). */
static int draw_sites(const struct tui *t, const struct watched *w, int y, int rows)
{
	char line[1024], b[32];
	int used = 0, i;

	if (!w->sites)
		return 0;
	if (w->optin[OPTIN_GOROUTINES].wanted) {
		const struct gsite *g;
		int n = (int)sites__gsites(w->sites, &g), shown = 0;

		sites_title(t, w, OPTIN_GOROUTINES, y + used++, "goroutines by creation site:");
		for (i = 0; i < n && shown < rows; i++) {
			if (g[i].system)
				continue;
			char span[24];

			snprintf(span, sizeof(span), "in %.0fs", (double)g[i].growth_ns / 1e9);
			snprintf(line, sizeof(line), "  %7llu live %+7lld %-7s  %s -> %s  %s:%d",
				 (unsigned long long)g[i].live, (long long)g[i].growth, span,
				 g[i].where.func, g[i].start.func, base_name(g[i].where.file),
				 g[i].where.line);
			tui_put(y + used++, 0, COLS, line);
			shown++;
		}
		if (!shown)
			tui_put(y + used++, 2, COLS - 2, "no goroutines of the program's own");
	}
	if (w->optin[OPTIN_ALLOCS].wanted) {
		const struct asite *a;
		int n = (int)sites__asites(w->sites, &a);
		double total = 0;

		for (i = 0; i < n; i++)
			total += a[i].bytes;
		sites_title(t, w, OPTIN_ALLOCS, y + used++, "allocation sites:");
		for (i = 0; i < n && i < rows; i++) {
			snprintf(line, sizeof(line), "  %10s %5.1f%%  %s  %s:%d",
				 units_bytes(b, sizeof(b), a[i].bytes, UNITS_SI),
				 total > 0 ? 100 * a[i].bytes / total : 0, a[i].where.func,
				 base_name(a[i].where.file), a[i].where.line);
			tui_put(y + used++, 0, COLS, line);
		}
		if (!n)
			tui_put(y + used++, 2, COLS - 2, "no allocation sampled yet");
	}
	return used;
}

void tui_draw_detail(struct tui *t, const struct watched *w)
{
	int gh, y, avail, sites, top;

	if (t->groups.open) {
		/* Who the process is stays on top; the panel takes the rest. */
		if (w->model)
			draw_summary(t, w, 1);
		else
			tui_put(1, 0, COLS, w->why);
		tui_draw_groups(t, w->model ? 2 + summary_lines(w) : 3);
		tui_draw_footer(t, " t/r take again  Up/Down/PgUp/PgDn scroll  Esc/q close  "
				"p pause  ? help");
		return;
	}
	if (!w->model) {
		tui_put(2, 0, COLS, w->why);
		tui_draw_footer(t, " q quit  Esc back  t goroutine groups  ? help");
		return;
	}
	draw_summary(t, w, 1);
	top = 1 + summary_lines(w);
	/* Graphs take what the fixed lines, the site panels and five gctrace lines leave. */
	sites = !w->sites ? 0 : (w->optin[OPTIN_GOROUTINES].wanted + w->optin[OPTIN_ALLOCS].wanted) *
				 (1 + SITES_SHOWN);
	avail = LINES - top - 2 - 2 - 6 - 2 - sites - 3;
	gh = avail / 2 - 1;
	gh = gh < 3 ? 3 : gh > 10 ? 10 : gh;
	draw_graphs(t, w, top, gh);
	y = top + 2 * (gh + 1);
	draw_goroutines(t, w, y);
	y += 2 + draw_runqueues(t, w, y + 2, 2);
	draw_rtm_rates(t, w->model, w, y);
	draw_memory_bar(t, w, y + 2);
	y += 3;
	y += draw_sites(t, w, y, SITES_SHOWN);
	draw_gctrace(t, w, y, LINES - 2 - y);
	tui_draw_footer(t, " q quit  Esc/Backspace overview  t goroutine groups  p pause  ? help");
}
