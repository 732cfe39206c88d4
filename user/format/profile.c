// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/sites.h"
#include "format/pprof.h"
#include "format/profile.h"
#include "target/target.h"
#include "util/units.h"

/* ---- the tables ---- */

static void print_optin_note(FILE *f, const struct watched *w, enum optin_mode m)
{
	if (w->optin[m].note[0])
		fprintf(f, "  note: %s\n", w->optin[m].note);
}

void profile_print_goroutines(FILE *f, const struct watched *w, int top, uint64_t now)
{
	const struct gsite *g;
	size_t n = sites__gsites(w->sites, &g), i;
	uint64_t created = 0, exited = 0;
	char age[32];

	for (i = 0; i < n; i++) {
		created += g[i].created;
		exited += g[i].exited;
	}
	fprintf(f, "Goroutines by creation site: %llu alive (%llu created and %llu exited while "
		"watched)\n", (unsigned long long)sites__g_live(w->sites),
		(unsigned long long)created, (unsigned long long)exited);
	print_optin_note(f, w, OPTIN_GOROUTINES);
	fprintf(f, "%8s %8s %8s %8s %8s  %-34s %s\n", "LIVE", "GROWTH", "CREATED", "EXITED",
		"OLDEST", "CREATED BY -> RUNS", "AT");
	for (i = 0; i < n && (int)i < top; i++) {
		char fn[160];

		if (g[i].oldest_ns)
			units_age(age, sizeof(age), now - g[i].oldest_ns);
		else
			snprintf(age, sizeof(age), "attach");
		snprintf(fn, sizeof(fn), "%s -> %s", g[i].where.func, g[i].start.func);
		fprintf(f, "%8llu %+8lld %8llu %8llu %8s  %-34s %s:%d%s\n",
			(unsigned long long)g[i].live, (long long)g[i].growth,
			(unsigned long long)g[i].created, (unsigned long long)g[i].exited, age, fn,
			g[i].where.file, g[i].where.line, g[i].system ? " (runtime)" : "");
	}
	if (n > (size_t)top)
		fprintf(f, "  … %zu more sites (-n)\n", n - (size_t)top);
}

static int cmp_objects(const void *x, const void *y)
{
	const struct asite *a = x, *b = y;

	return a->objects < b->objects ? 1 : a->objects > b->objects ? -1 : 0;
}

void profile_print_allocs(FILE *f, const struct watched *w, int top, bool by_objects)
{
	const struct asite *a;
	size_t n = sites__asites(w->sites, &a), i;
	double total = 0;
	char b[32], pct[16];

	for (i = 0; i < n; i++)
		total += a[i].bytes;
	/* The snapshot is ours until the next call: sorting it in place is fine. */
	if (by_objects)
		qsort((struct asite *)a, n, sizeof(*a), cmp_objects);
	fprintf(f, "Allocation sites: %s estimated from %llu samples (%s)\n",
		units_bytes(b, sizeof(b), total, UNITS_SI),
		(unsigned long long)sites__alloc_samples(w->sites),
		w->alloc_mode == ALLOC_SAMPLED ? "the runtime's MemProfileRate sampling, weighted" :
		"every allocation over 32 KiB");
	print_optin_note(f, w, OPTIN_ALLOCS);
	fprintf(f, "%12s %6s %12s %8s  %-34s %s\n", "BYTES", "%", "OBJECTS", "SAMPLES",
		"FUNCTION", "AT");
	for (i = 0; i < n && (int)i < top; i++) {
		snprintf(pct, sizeof(pct), "%.1f%%", total > 0 ? 100 * a[i].bytes / total : 0);
		fprintf(f, "%12s %6s %12.0f %8llu  %-34s %s:%d\n",
			units_bytes(b, sizeof(b), a[i].bytes, UNITS_SI), pct, a[i].objects,
			(unsigned long long)a[i].samples, a[i].where.func, a[i].where.file,
			a[i].where.line);
	}
	if (n > (size_t)top)
		fprintf(f, "  … %zu more sites (-n)\n", n - (size_t)top);
}

/* ---- pprof ---- */

static int64_t round_i64(double v)
{
	return (int64_t)llround(v);
}

static int alloc_profile(const struct watched *w, struct pprof *pp)
{
	const struct astack *st;
	size_t n = sites__astacks(w->sites, &st), i, k;
	struct pprof_frame fr[GS_MAX_FRAMES];

	pprof__sample_type(pp, "alloc_objects", "count");
	pprof__sample_type(pp, "alloc_space", "bytes");
	pprof__default_type(pp, "alloc_space");
	pprof__period(pp, "space", "bytes", w->alloc_mode == ALLOC_SAMPLED ? w->mem_profile_rate : 1);
	for (i = 0; i < n; i++) {
		int64_t v[2] = { round_i64(st[i].objects), round_i64(st[i].bytes) };
		size_t nf = 0, first = 0;
		struct site_loc loc;

		/* As pprof shows heap profiles: the allocator's own frames at the top are hidden. */
		for (k = 0; k < st[i].n; k++) {
			sites__symbolize(w->sites, st[i].pcs[k], true, &loc);
			if (strncmp(loc.func, "runtime.", 8) &&
			    strncmp(loc.func, "internal/runtime/", 17))
				break;
		}
		first = k < st[i].n ? k : 0;
		for (k = first; k < st[i].n && nf < GS_MAX_FRAMES; k++) {
			sites__symbolize(w->sites, st[i].pcs[k], true, &loc);
			fr[nf].addr = loc.pc;
			fr[nf].func = loc.func;
			fr[nf].file = loc.file;
			fr[nf].line = loc.line;
			nf++;
		}
		if (pprof__add(pp, fr, nf, v))
			return -1;
	}
	return 0;
}

static int goroutine_profile(const struct watched *w, struct pprof *pp)
{
	const struct gsite *g;
	size_t n = sites__gsites(w->sites, &g), i;

	pprof__sample_type(pp, "goroutines", "count");
	pprof__sample_type(pp, "created", "count");
	pprof__default_type(pp, "goroutines");
	pprof__period(pp, "goroutine", "count", 1);
	for (i = 0; i < n; i++) {
		/* The goroutines' function, called (so to speak) from their go statement. */
		struct pprof_frame fr[2] = {
			{ g[i].start.pc, g[i].start.func, g[i].start.file, g[i].start.line },
			{ g[i].where.pc, g[i].where.func, g[i].where.file, g[i].where.line },
		};
		int64_t v[2] = { (int64_t)g[i].live, (int64_t)g[i].created };

		if (pprof__add(pp, fr, 2, v))
			return -1;
	}
	return 0;
}

int profile_build_pprof(struct pprof *pp, const struct watched *w, bool allocs, int64_t start_ns,
			int64_t duration_ns)
{
	enum optin_mode m = allocs ? OPTIN_ALLOCS : OPTIN_GOROUTINES;
	char note[600];

	pprof__time(pp, start_ns, duration_ns);
	pprof__mapping(pp, 0, 0, 0, w->exe, NULL);
	snprintf(note, sizeof(note), "goscope profile of PID %d (%s, %s)", w->pid, w->comm,
		 w->version);
	pprof__comment(pp, note);
	if (w->optin[m].note[0])
		pprof__comment(pp, w->optin[m].note);
	return allocs ? alloc_profile(w, pp) : goroutine_profile(w, pp);
}
