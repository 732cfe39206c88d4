// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope stacks PID: every goroutine's stack, read from outside without stopping the program
 * (target/stacks.c), printed as the target's own runtime prints pprof's debug=2 goroutine dump
 * (format/traceback.c), as JSON lines, grouped by stack, or written as a pprof goroutine profile.
 * With --leaks, repeated dumps over a window rank the groups that only grow (engine/leaks.c).
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "engine/engine.h"
#include "engine/leaks.h"
#include "format/json.h"
#include "format/leaks.h"
#include "format/pprof.h"
#include "format/traceback.h"
#include "target/stacks.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define MAX_FILTERS	16

enum {
	OPT_SYSTEM = 0x400, OPT_STATE, OPT_WAIT_REASON, OPT_MIN_WAIT, OPT_MATCH, OPT_BUDGET,
	OPT_LEAKS, OPT_RETRIES,
};

struct stacks_args {
	struct cli_common c;
	bool system, group, json, leaks;
	const char *path;
	const char *states[MAX_FILTERS];
	int nstates;
	const char *reasons[MAX_FILTERS];
	int nreasons;
	int64_t min_wait_ns;		/* -1: no filter */
	bool have_match;
	regex_t match;
	uint64_t budget_ns;
	int retries;
	uint64_t window_ns;		/* --leaks -d */
	uint64_t every_ns;		/* --leaks -i */
	bool window_given;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope stacks [OPTIONS] PID | --container NAME|ID | --pod [NS/]NAME\n"
		"\n"
		"Print every goroutine's stack the way the program's own runtime prints it for\n"
		"pprof.Lookup(\"goroutine\").WriteTo(w, 2) in its Go release: header, frames with\n"
		"their argument words, inlined calls, and where each goroutine was created. Read from\n"
		"outside with process_vm_readv: no probe, no signal, no stop-the-world, nothing written\n"
		"into the program; works on stripped binaries. A goroutine running on a CPU at that\n"
		"moment has no stable stack and is shown as the runtime shows it; one that kept\n"
		"moving while read is marked, never shown with a torn stack.\n"
		"\n"
		"Output:\n"
		"  -g, --group           one block per distinct stack: count, states, wait range\n"
		"                        and goroutine IDs, largest first (as debug=1 counts them)\n"
		"  -j, --json            JSON lines: one object per goroutine (per group with -g)\n"
		"  -o, --output FILE     write a pprof goroutine profile (go tool pprof reads it)\n"
		"      --system          also the runtime's own goroutines, and every frame, as\n"
		"                        GOTRACEBACK=system shows them\n"
		"Filters (all must hold):\n"
		"      --state STATE     runnable, running, syscall, waiting, preempted, ... (repeatable)\n"
		"      --wait-reason R   the wait reason as the header spells it, e.g. 'chan receive'\n"
		"                        (repeatable)\n"
		"      --min-wait DUR    waiting at least this long (the runtime's own clock: it\n"
		"                        knows a wait's start once a GC has run during it)\n"
		"      --match REGEX     a shown frame's function matches (POSIX extended regex)\n"
		"Reading:\n"
		"      --budget DUR      time for the whole dump (default 1s); goroutines not reached\n"
		"                        by then are counted on stderr\n"
		"      --retries N       rereads of a goroutine that moved while read (default 3)\n"
		"Leak suspects:\n"
		"      --leaks           dump repeatedly and rank the groups that never shrink, blocked\n"
		"                        in channel, select, sync or network waits\n"
		"  -d, --duration DUR    how long to watch with --leaks (default 30s)\n"
		"  -i, --interval DUR    time between dumps with --leaks (default 1s)\n"
		CLI_SELECT_HELP
		"  -q, --quiet           no notes on stderr\n"
		"  -h, --help            show this help\n");
}

static int add_filter(const char **v, int *n, const char *arg, const char *what,
		      struct gs_err *err)
{
	if (*n == MAX_FILTERS)
		return gs_fail(err, GS_EXIT_USAGE, "at most %d --%s options", MAX_FILTERS, what);
	v[(*n)++] = arg;
	return 0;
}

static bool known_state(const char *s)
{
	static const char *const names[] = { "idle", "runnable", "running", "syscall", "waiting",
					     "preempted", "copystack", "leaked" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return true;
	return false;
}

static int stacks_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct stacks_args *a = ctx;
	uint64_t ns;
	char *end;
	long v;
	int rc;

	switch (c) {
	case 'g':
		a->group = true;
		return 0;
	case 'j':
		a->json = true;
		return 0;
	case 'o':
		return cli_output_path(&a->path, arg, err);
	case OPT_SYSTEM:
		a->system = true;
		return 0;
	case OPT_STATE:
		if (!known_state(arg))
			return gs_fail(err, GS_EXIT_USAGE, "bad --state '%s': want idle, runnable, "
				       "running, syscall, waiting, preempted, copystack or leaked", arg);
		return add_filter(a->states, &a->nstates, arg, "state", err);
	case OPT_WAIT_REASON:
		return add_filter(a->reasons, &a->nreasons, arg, "wait-reason", err);
	case OPT_MIN_WAIT:
		if (cli_parse_duration(arg, &ns) || ns > INT64_MAX)
			return gs_fail(err, GS_EXIT_USAGE, "bad --min-wait '%s': want a duration "
				       "such as 90s or 5m", arg);
		a->min_wait_ns = (int64_t)ns;
		return 0;
	case OPT_MATCH:
		if (a->have_match)
			return gs_fail(err, GS_EXIT_USAGE, "--match given twice: join them with |");
		rc = regcomp(&a->match, arg, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];

			regerror(rc, &a->match, msg, sizeof(msg));
			return gs_fail(err, GS_EXIT_USAGE, "bad --match '%s': %s", arg, msg);
		}
		a->have_match = true;
		return 0;
	case OPT_BUDGET:
		if (cli_parse_duration(arg, &ns) || !ns)
			return gs_fail(err, GS_EXIT_USAGE, "bad --budget '%s': want a duration "
				       "above zero such as 1s or 200ms", arg);
		a->budget_ns = ns;
		return 0;
	case OPT_RETRIES:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 0 || v > 100)
			return gs_fail(err, GS_EXIT_USAGE, "bad --retries '%s': want 0 to 100", arg);
		a->retries = (int)v;
		return 0;
	case OPT_LEAKS:
		a->leaks = true;
		return 0;
	case 'd':
		if (cli_parse_duration(arg, &ns) || !ns)
			return gs_fail(err, GS_EXIT_USAGE, "bad --duration '%s': want a duration "
				       "such as 30s", arg);
		a->window_ns = ns;
		a->window_given = true;
		return 0;
	}
	return 1;
}

static const struct option stacks_opts[] = {
	{ "group", no_argument, NULL, 'g' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "system", no_argument, NULL, OPT_SYSTEM },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "wait-reason", required_argument, NULL, OPT_WAIT_REASON },
	{ "min-wait", required_argument, NULL, OPT_MIN_WAIT },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "leaks", no_argument, NULL, OPT_LEAKS },
	{ "duration", required_argument, NULL, 'd' },
	{ 0 },
};

static const struct cli_spec stacks_spec = {
	.name = "stacks", .usage = usage, .shortopts = "gjo:d:", .longopts = stacks_opts,
	.option = stacks_option, .flags = CLI_ONE_PID | CLI_VERBOSITY | CLI_INTERVAL,
	.min_interval_ns = 100000000ull,
};

/* The filters but --match: every one given must hold. */
static bool keep(const struct stacks_args *a, const struct gdump *d, const struct gread *g)
{
	int i;

	if (a->nstates) {
		const char *st = traceback__state(d, g);

		for (i = 0; i < a->nstates && strcmp(a->states[i], st); i++)
			;
		if (i == a->nstates)
			return false;
	}
	if (a->nreasons) {
		uint32_t st = g->status & ~0x1000u;

		/* A wait reason is the header's word for waiting (and, 1.26+, leaked) ones. */
		for (i = 0; i < a->nreasons; i++)
			if (g->wait_reason_name && (st == 4 || (st == 10 && d->minor >= 26)) &&
			    !strcmp(a->reasons[i], g->wait_reason_name))
				break;
		if (i == a->nreasons)
			return false;
	}
	if (a->min_wait_ns >= 0 && (g->wait_ns < 0 || g->wait_ns < a->min_wait_ns))
		return false;
	return true;
}

/* --match needs the dump (the frames shown depend on the release). */
struct keep_ctx {
	const struct stacks_args *a;
	const struct gdump *d;
	int level;
};

static bool keep_all(void *ctx, const struct gread *g)
{
	const struct keep_ctx *k = ctx;
	const struct gframe **shown;
	struct buf name = { 0 };
	size_t n, i;
	bool hit = false;

	if (!keep(k->a, k->d, g))
		return false;
	if (!k->a->have_match)
		return true;
	shown = calloc(g->nframes ? g->nframes : 1, sizeof(*shown));
	if (!shown)
		abort();
	n = traceback__shown(k->d, g, k->level, shown, g->nframes);
	for (i = 0; i < n && !hit; i++) {
		buf_reset(&name);
		traceback__func_name(&name, k->d, shown[i]->func);
		buf_put(&name, "", 1);
		hit = !name.oom && !regexec(&k->a->match, name.data, 0, NULL, 0);
	}
	buf_free(&name);
	free(shown);
	return hit;
}

static int write_out(struct buf *b, struct gs_err *err)
{
	if (b->oom)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len && errno != EPIPE)
		return gs_fail(err, GS_EXIT_ERROR, "writing the output: %s", strerror(errno));
	buf_reset(b);
	return 0;
}

/* Text and JSON lines are written as the goroutines are read: memory stays flat. */
struct stream {
	struct keep_ctx *k;
	bool json, first;
	struct buf b;
	struct json j;
	int rc;
	struct gs_err *err;
};

static void stream_one(void *ctx, const struct gdump *d, const struct gread *g)
{
	struct stream *st = ctx;

	st->k->d = d;
	if (st->rc || !keep_all(st->k, g))
		return;
	if (st->json) {
		json_begin(&st->j);
		traceback__json(&st->j, d, g, st->k->level);
		st->rc = json_end(&st->j) ? gs_fail(st->err, GS_EXIT_ERROR, "out of memory") :
					    write_out(&st->j.b, st->err);
		return;
	}
	if (!st->first)
		buf_puts(&st->b, "\n");
	st->first = false;
	traceback__goroutine(&st->b, d, g, st->k->level);
	if (st->b.len > 1 << 16)
		st->rc = write_out(&st->b, st->err);
}

static int print_groups(const struct stacks_args *a, const struct gdump *d, struct keep_ctx *k,
			int level, struct gs_err *err)
{
	size_t ng, i;
	struct tb_group *gs = traceback__group(d, keep_all, k, &ng);
	struct buf b = { 0 };
	struct json j = { 0 };
	int rc = 0;

	for (i = 0; i < ng && !rc; i++) {
		if (a->json) {
			json_begin(&j);
			traceback__group_json(&j, d, &gs[i], level);
			rc = json_end(&j) ? gs_fail(err, GS_EXIT_ERROR, "out of memory") :
					    write_out(&j.b, err);
			continue;
		}
		if (i)
			buf_puts(&b, "\n");
		traceback__group_text(&b, d, &gs[i], level);
		rc = write_out(&b, err);
	}
	json_free(&j);
	buf_free(&b);
	traceback__groups_free(gs, ng);
	return rc;
}

/*
 * The goroutine profile: every goroutine kept, its frames as the runtime's goroutine profile
 * records them (traceback__profile_frames), written up to runtime.goexit as runtime/pprof does.
 * Goroutines are added as they are read; the profile keeps each distinct stack once.
 */
struct profile_out {
	struct keep_ctx *k;
	struct pprof *pp;
	bool oom;
};

static void profile_one(void *ctx, const struct gdump *d, const struct gread *g)
{
	struct profile_out *po = ctx;
	const struct gframe *pf[128];
	struct pprof_frame fr[128];
	int64_t one = 1;
	size_t n = 0, np, f;

	po->k->d = d;
	if (po->oom || !keep_all(po->k, g) || g->running || g->changed)
		return;
	np = traceback__profile_frames(d, g, pf, 128);
	for (f = 0; f < np && strcmp(pf[f]->func, "runtime.goexit"); f++)
		fr[n++] = (struct pprof_frame){ .addr = pf[f]->pc, .func = pf[f]->func,
						.file = pf[f]->file ? pf[f]->file : "",
						.line = pf[f]->file ? pf[f]->line : 0 };
	if (pprof__add(po->pp, fr, n, &one))
		po->oom = true;
}

static struct pprof *profile_new(void)
{
	struct pprof *pp = pprof__new();

	if (!pp || pprof__sample_type(pp, "goroutine", "count")) {
		pprof__free(pp);
		return NULL;
	}
	pprof__period(pp, "goroutine", "count", 1);
	pprof__comment(pp, "goscope stacks");
	return pp;
}

static void report_reach(const struct gdump *d, const struct stacks_args *a)
{
	if (d->not_reached)
		log_warn("%llu of %llu goroutines not reached within the %.3g s budget "
			 "(--budget sets it)", (unsigned long long)d->not_reached,
			 (unsigned long long)d->total, (double)a->budget_ns / 1e9);
	if (d->changed)
		log_note("%llu goroutine%s kept changing while read (%d rereads each); shown "
			 "without a stack", (unsigned long long)d->changed, d->changed == 1 ? "" : "s",
			 a->retries);
}

static int one_dump(struct stacks_args *a, struct engine *e, const struct watched *w,
		    struct gs_err *err)
{
	struct stacks_opts so = { .budget_ns = a->budget_ns, .retries = a->retries,
				  .system = a->system };
	int level = a->system ? TB_LEVEL_SYSTEM : TB_LEVEL_DEFAULT;
	struct keep_ctx k = { .a = a, .level = level };
	struct stream st = { .k = &k, .json = a->json, .first = true, .err = err };
	struct profile_out po = { .k = &k };
	struct gdump *d;
	int rc;

	if (a->path) {
		po.pp = profile_new();
		if (!po.pp)
			return gs_fail(err, GS_EXIT_ERROR, "out of memory");
		so.each = profile_one;
		so.each_ctx = &po;
	} else if (!a->group) {
		so.each = stream_one;
		so.each_ctx = &st;
	}
	d = engine__stacks(e, w, &so, err);
	k.d = d;
	if (!d) {
		rc = -1;
	} else if (a->path) {
		pprof__time(po.pp, d->started_unix_ns, 0);
		rc = po.oom ? gs_fail(err, GS_EXIT_ERROR, "out of memory") :
			      pprof__write(po.pp, a->path, err);
	} else if (!a->group) {
		rc = st.rc ? st.rc : write_out(&st.b, err);
	} else {
		rc = print_groups(a, d, &k, level, err);
	}
	if (!rc)
		report_reach(d, a);
	pprof__free(po.pp);
	buf_free(&st.b);
	json_free(&st.j);
	gdump__free(d);
	return rc;
}

static int leak_watch(struct stacks_args *a, struct engine *e, const struct watched *w,
		      struct gs_err *err)
{
	struct stacks_opts so = { .budget_ns = a->budget_ns, .retries = a->retries };
	struct keep_ctx k = { .a = a, .level = TB_LEVEL_DEFAULT };
	struct leaks *lk = leaks__new();
	uint64_t start = clock_mono_ns(), next = start;
	int rc = 0, dumps = 0;

	if (!lk)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	log_note("watching PID %d for %.0f s, one dump every %.3g s; Ctrl-C ends early", w->pid,
		 (double)a->window_ns / 1e9, (double)a->every_ns / 1e9);
	while (!cli_stop) {
		uint64_t now = clock_mono_ns();
		struct gdump *d;

		if (now < next) {
			uint64_t wait = next - now;

			usleep(wait > 200000000ull ? 200000 : (useconds_t)(wait / 1000));
			continue;
		}
		d = engine__stacks(e, w, &so, err);
		if (!d) {
			if (!dumps) {
				leaks__free(lk);
				return -1;
			}
			log_note("PID %d cannot be read any more: ranking the %d dumps taken",
				 w->pid, dumps);
			break;
		}
		k.d = d;
		leaks__add(lk, d, keep_all, &k);
		dumps++;
		gdump__free(d);
		if (now - start >= a->window_ns)
			break;
		next += a->every_ns;
	}
	if (a->json)
		rc = leaks_print_json(stdout, lk) ? gs_fail(err, GS_EXIT_ERROR, "out of memory") : 0;
	else
		leaks_print_text(stdout, lk, w->pid, w->comm, w->version);
	leaks__free(lk);
	return rc;
}

int cmd_stacks(int argc, char **argv)
{
	struct stacks_args a = { .budget_ns = STACKS_DEFAULT_BUDGET_NS,
				 .retries = STACKS_DEFAULT_RETRIES, .min_wait_ns = -1,
				 .window_ns = 30000000000ull, .every_ns = 1000000000ull };
	struct gs_err err = { 0 };
	struct engine *e = NULL;
	struct engine_opts eo;
	int ret = GS_EXIT_OK;

	cli_setup_signals();
	a.c.interval_ns = 0;		/* -i not given */
	if (cli_parse(argc, argv, &stacks_spec, &a, &a.c, &err))
		goto fail;
	if (a.c.interval_ns)
		a.every_ns = a.c.interval_ns;
	if (a.leaks && (a.path || a.group || a.system)) {
		gs_fail(&err, GS_EXIT_USAGE, "--leaks prints its own ranking: it takes no -o, "
			"--group or --system");
		goto fail;
	}
	if (!a.leaks && a.window_given) {
		gs_fail(&err, GS_EXIT_USAGE, "'-d'/'--duration' is the --leaks window: give --leaks");
		goto fail;
	}
	if (!a.leaks && a.c.interval_ns) {
		gs_fail(&err, GS_EXIT_USAGE, "'-i'/'--interval' is the --leaks dump period: give "
			"--leaks");
		goto fail;
	}
	if (a.path && (a.json || a.group)) {
		gs_fail(&err, GS_EXIT_USAGE, "-o writes a pprof profile: it takes no --json or --group");
		goto fail;
	}
	/* No probe: the dump reads memory only. The sampler names the wait reasons. */
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .sel = &a.c.sel, .one = true,
		.probes = ENGINE_PROBES_OFF, .sample = true, .no_gwalk = true,
		.interval_ns = ENGINE_DEFAULT_INTERVAL_NS, .wait_names = true,
	};
	e = engine__new(&eo, &(struct engine_sink){ 0 }, &err);
	if (!e)
		goto fail;
	if ((a.leaks ? leak_watch(&a, e, engine__get(e, 0), &err) :
		       one_dump(&a, e, engine__get(e, 0), &err)) ||
	    cli_flush_stdout(&err))
		goto fail;
	goto out;
fail:
	ret = cli_report(&err);
out:
	engine__free(e);
	if (a.have_match)
		regfree(&a.match);
	cli_common_free(&a.c);
	return ret;
}
