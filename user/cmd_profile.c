// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope profile --allocs|--goroutines [-d DUR] [-o FILE] PID: the opt-in probes for a while,
 * then where the process allocated and which go statements created its live goroutines, as a
 * table or as a pprof profile.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "target/caps.h"
#include "cli.h"
#include "util/log.h"
#include "target/proc.h"
#include "engine/sites.h"
#include "target/target.h"
#include "engine/engine.h"
#include "gobin/gobin.h"
#include "format/pprof.h"
#include "goruntime/metrics.h"

#define STEP_MS 100

struct profile_args {
	struct watch_opts wo;
	pid_t pid;
	uint64_t duration_ns;		/* 0: until interrupted or the process exits */
	const char *path;		/* pprof output; NULL: a table on stdout */
	int top;			/* rows per table */
	bool by_objects;		/* allocation sites by objects, not bytes */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope profile (--allocs | --goroutines) [OPTIONS] PID\n"
		"\n"
		"Attach the opt-in probes to one Go process for a while, then report:\n"
		"  --allocs      where it allocates: the runtime's own allocation sampling\n"
		"                (runtime.profilealloc, one sample per MemProfileRate bytes, 512 KiB by\n"
		"                default), with the allocating stack, weighted as pprof weights heap\n"
		"                samples. A binary that never uses runtime/pprof has sampling compiled\n"
		"                out: then every allocation over 32 KiB is recorded instead, and goscope\n"
		"                says so.\n"
		"  --goroutines  which go statements created the goroutines alive now, how many each\n"
		"                created and saw exit meanwhile, how fast each site grows and how old\n"
		"                its oldest goroutine is: a goroutine-leak view. Goroutines alive at\n"
		"                attach are found by walking allgs once.\n"
		"Both may be given for the table. Runs for -d, or until Ctrl-C or the process exits.\n"
		"\n"
		"Options:\n"
		"  -d, --duration DUR   how long to profile (e.g. 30s; default: until Ctrl-C)\n"
		"  -o, --output FILE    write a pprof profile (gzipped protobuf, for `go tool pprof`)\n"
		"                       instead of the table; needs exactly one of --allocs and\n"
		"                       --goroutines (\"-\": standard output)\n"
		"  -n, --top N          rows per table (default 20)\n"
		"  -s, --sort KEY       allocation sites by bytes (the default) or objects\n"
		"      --budget PCT     what the probes may cost the process, in percent of one CPU\n"
		"                       (default 1); above it they are detached (see below)\n"
		"  -q, --quiet          no status messages on stderr\n"
		"  -v, --verbose        more detail on stderr\n"
		"  -h, --help           show this help\n"
		"\n"
		"Cost: every probe hit costs the thread that hits it a few microseconds (goscope\n"
		"measures it at start and prints the expected cost). Allocation sampling hits once per\n"
		"MemProfileRate bytes; the goroutine probes twice per goroutine. A circuit breaker\n"
		"measures the hit rate every 100 ms and detaches the probes, saying so, when their\n"
		"cost over the last second exceeds the budget (in the first second, ten times the\n"
		"budget); the GC probes stay.\n");
}

static int parse_args(int argc, char **argv, struct profile_args *a, struct gs_err *err)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "top", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		CLI_OPTIN_LONG_OPTIONS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, verbosity = 0, rc;
	char *end;
	long n;

	a->top = 20;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:o:n:s:qvh", opts, NULL)) != -1) {
		rc = cli_optin_option(c, optarg, &a->wo, err);
		if (rc < 0)
			return -1;
		if (rc)
			continue;
		switch (c) {
		case 'd':
			if (cli_parse_duration(optarg, &a->duration_ns) || !a->duration_ns)
				return gs_fail(err, GS_EXIT_USAGE, "bad duration '%s': give e.g. 30s, "
					       "2m or 500ms", optarg);
			break;
		case 'o':
			if (a->path)
				return gs_fail(err, GS_EXIT_USAGE, "-o given twice ('%s' and '%s')",
					       a->path, optarg);
			if (!*optarg)
				return gs_fail(err, GS_EXIT_USAGE, "-o needs a file name, not ''");
			a->path = optarg;
			break;
		case 'n':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (!isdigit((unsigned char)optarg[0]) || *end || errno || n < 1 || n > 100000)
				return gs_fail(err, GS_EXIT_USAGE, "bad row count '%s': give 1 to 100000",
					       optarg);
			a->top = (int)n;
			break;
		case 's':
			if (strcmp(optarg, "bytes") && strcmp(optarg, "objects"))
				return gs_fail(err, GS_EXIT_USAGE, "bad sort '%s': give bytes or objects",
					       optarg);
			a->by_objects = !strcmp(optarg, "objects");
			break;
		case 'q': verbosity = -1; break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); exit(GS_EXIT_OK);
		default: exit(cli_bad_option(c, argv));
		}
	}
	log_set_verbosity(verbosity);
	if (!a->wo.allocs && !a->wo.goroutines)
		return gs_fail(err, GS_EXIT_USAGE, "say what to profile: --allocs or --goroutines");
	if (a->path && a->wo.allocs && a->wo.goroutines)
		return gs_fail(err, GS_EXIT_USAGE, "-o writes one profile: give --allocs or "
			       "--goroutines, not both");
	if (optind != argc - 1)
		return gs_fail(err, GS_EXIT_USAGE, optind == argc ? "profile needs a PID" :
			       "profile takes one PID");
	if (proc_parse_pid(argv[optind], &a->pid, err))
		return -1;
	a->wo.pids = &a->pid;
	a->wo.npids = 1;
	return 0;
}

/* ---- the table ---- */

static const char *fmt_age(uint64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;

	if (s < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%.1fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
	return buf;
}

static void print_optin_note(const struct watched *w, enum optin_mode m)
{
	if (w->optin[m].note[0])
		printf("  note: %s\n", w->optin[m].note);
}

static void print_goroutines(struct watched *w, int top, uint64_t now)
{
	const struct gsite *g;
	size_t n = sites__gsites(w->sites, &g), i;
	uint64_t created = 0, exited = 0;
	char age[32];

	for (i = 0; i < n; i++) {
		created += g[i].created;
		exited += g[i].exited;
	}
	printf("Goroutines by creation site: %llu alive (%llu created and %llu exited while "
	       "watched)\n", (unsigned long long)sites__g_live(w->sites),
	       (unsigned long long)created, (unsigned long long)exited);
	print_optin_note(w, OPTIN_GOROUTINES);
	printf("%8s %8s %8s %8s %8s  %-34s %s\n", "LIVE", "GROWTH", "CREATED", "EXITED", "OLDEST",
	       "CREATED BY -> RUNS", "AT");
	for (i = 0; i < n && (int)i < top; i++) {
		char fn[160];

		if (g[i].oldest_ns)
			fmt_age(now - g[i].oldest_ns, age, sizeof(age));
		else
			snprintf(age, sizeof(age), "attach");
		snprintf(fn, sizeof(fn), "%s -> %s", g[i].where.func, g[i].start.func);
		printf("%8llu %+8lld %8llu %8llu %8s  %-34s %s:%d%s\n", (unsigned long long)g[i].live,
		       (long long)g[i].growth, (unsigned long long)g[i].created,
		       (unsigned long long)g[i].exited, age, fn, g[i].where.file, g[i].where.line,
		       g[i].system ? " (runtime)" : "");
	}
	if (n > (size_t)top)
		printf("  … %zu more sites (-n)\n", n - (size_t)top);
}

static int cmp_objects(const void *x, const void *y)
{
	const struct asite *a = x, *b = y;

	return a->objects < b->objects ? 1 : a->objects > b->objects ? -1 : 0;
}

static void print_allocs(struct watched *w, int top, bool by_objects)
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
	printf("Allocation sites: %s estimated from %llu samples (%s)\n",
	       metric_fmt_bytes_si(b, sizeof(b), total), (unsigned long long)sites__alloc_samples(w->sites),
	       w->alloc_mode == ALLOC_SAMPLED ? "the runtime's MemProfileRate sampling, weighted" :
	       "every allocation over 32 KiB");
	print_optin_note(w, OPTIN_ALLOCS);
	printf("%12s %6s %12s %8s  %-34s %s\n", "BYTES", "%", "OBJECTS", "SAMPLES", "FUNCTION",
	       "AT");
	for (i = 0; i < n && (int)i < top; i++) {
		snprintf(pct, sizeof(pct), "%.1f%%", total > 0 ? 100 * a[i].bytes / total : 0);
		printf("%12s %6s %12.0f %8llu  %-34s %s:%d\n", metric_fmt_bytes_si(b, sizeof(b), a[i].bytes),
		       pct, a[i].objects, (unsigned long long)a[i].samples, a[i].where.func,
		       a[i].where.file, a[i].where.line);
	}
	if (n > (size_t)top)
		printf("  … %zu more sites (-n)\n", n - (size_t)top);
}

/* ---- pprof ---- */

static int64_t round_i64(double v)
{
	return (int64_t)llround(v);
}

static int write_alloc_profile(struct watched *w, struct pprof *pp)
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

static int write_goroutine_profile(struct watched *w, struct pprof *pp)
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

static int write_profile(const struct profile_args *a, int fd, struct watched *w,
			 uint64_t dur_ns, struct gs_err *err)
{
	struct pprof *pp = pprof__new();
	struct timespec ts;
	char note[600];
	int rc;

	if (!pp)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	clock_gettime(CLOCK_REALTIME, &ts);
	pprof__time(pp, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - (int64_t)dur_ns,
		    (int64_t)dur_ns);
	pprof__mapping(pp, 0, 0, 0, w->exe, NULL);
	snprintf(note, sizeof(note), "goscope profile of PID %d (%s, %s)", w->pid, w->comm,
		 w->version);
	pprof__comment(pp, note);
	if (a->wo.allocs) {
		if (w->optin[OPTIN_ALLOCS].note[0])
			pprof__comment(pp, w->optin[OPTIN_ALLOCS].note);
		rc = write_alloc_profile(w, pp);
	} else {
		if (w->optin[OPTIN_GOROUTINES].note[0])
			pprof__comment(pp, w->optin[OPTIN_GOROUTINES].note);
		rc = write_goroutine_profile(w, pp);
	}
	if (rc)
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
	else
		rc = fd >= 0 ? pprof__write_fd(pp, fd, a->path, err) : pprof__write(pp, a->path, err);
	pprof__free(pp);
	return rc;
}

/* ---- the command ---- */

int cmd_profile(int argc, char **argv)
{
	struct profile_args a = { 0 };
	struct gs_err err = { 0 };
	struct watch *w = NULL;
	struct watched *x;
	uint64_t start, now;
	int ret = GS_EXIT_OK, fd = -1;
	bool exited = false, created = false;

	cli_setup_signals();
	if (parse_args(argc, argv, &a, &err))
		goto fail;
	/* The output is opened first: a wrong path fails now, not after the whole run. */
	if (a.path && strcmp(a.path, "-") && (fd = pprof__open_output(a.path, &created, &err)) < 0)
		goto fail;
	w = watch__new(&a.wo, NULL, &err);
	if (!w)
		goto fail;
	x = watch__get(w, 0);
	if (!x || !x->sites) {
		gs_fail(&err, GS_EXIT_PERMISSION, "%s", x && x->probe_note[0] ? x->probe_note :
			watch__probe_note(w) ? watch__probe_note(w) : "the probes could not be attached");
		goto fail;
	}
	if ((!a.wo.allocs || !x->optin[OPTIN_ALLOCS].on) &&
	    (!a.wo.goroutines || !x->optin[OPTIN_GOROUTINES].on)) {
		gs_fail(&err, GS_EXIT_ATTACH, "%s", x->optin[a.wo.allocs ? OPTIN_ALLOCS :
			OPTIN_GOROUTINES].note);
		goto fail;
	}
	caps_keep_only(CAPS_ATTACHING);
	start = watch_now_ns();
	log_note("profiling PID %d %s; Ctrl-C to stop", x->pid,
		 a.duration_ns ? "for the duration given" : "until interrupted");
	while (!cli_stop) {
		if (watch__step(w, STEP_MS, &err))
			goto fail;
		now = watch_now_ns();
		if (x->state == WS_EXITED) {
			exited = true;
			break;
		}
		if (a.duration_ns && now - start >= a.duration_ns)
			break;
	}
	now = watch_now_ns();
	log_debug("probe hits: goroutines %llu, allocations %llu; samples %llu, %llu not kept",
		  (unsigned long long)x->optin[OPTIN_GOROUTINES].hits,
		  (unsigned long long)x->optin[OPTIN_ALLOCS].hits,
		  x->sites ? (unsigned long long)sites__alloc_samples(x->sites) : 0ull,
		  x->sites ? (unsigned long long)sites__alloc_dropped(x->sites) : 0ull);
	if (exited)
		log_note("PID %d exited; reporting what was seen", x->pid);
	if (a.path) {
		if (write_profile(&a, fd, x, now - start, &err))
			goto fail;
		if (strcmp(a.path, "-"))
			log_note("wrote %s (open it with: go tool pprof %s)", a.path, a.path);
	} else {
		printf("goscope profile: PID %d (%s, %s), %.1f s\n\n", x->pid, x->comm, x->version,
		       (double)(now - start) / 1e9);
		if (a.wo.goroutines)
			print_goroutines(x, a.top, now);
		if (a.wo.goroutines && a.wo.allocs)
			printf("\n");
		if (a.wo.allocs)
			print_allocs(x, a.top, a.by_objects);
		if (fflush(stdout)) {
			gs_fail(&err, GS_EXIT_ERROR, "writing the report failed");
			goto fail;
		}
	}
	watch__free(w);
	if (fd >= 0)
		close(fd);
	return ret;
fail:
	watch__free(w);
	if (fd >= 0) {
		close(fd);
		if (created)
			unlink(a.path);
	}
	return cli_report(&err);
}
