// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope profile --allocs|--goroutines [-d DUR] [-o FILE] PID: the engine with the opt-in probes
 * for a while, then where the process allocated and which go statements created its live
 * goroutines, as a table or as a pprof profile (format/profile.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "engine/engine.h"
#include "engine/sites.h"
#include "format/pprof.h"
#include "format/profile.h"
#include "target/caps.h"
#include "util/clock.h"
#include "util/log.h"

#define STEP_MS 100

struct profile_args {
	struct cli_common c;
	uint64_t duration_ns;		/* 0: until interrupted or the process exits */
	const char *path;		/* pprof output; NULL: a table on stdout */
	int top;			/* rows per table */
	bool by_objects;		/* allocation sites by objects, not bytes */
	uint64_t start_ns;		/* when profiling began */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope profile (--allocs | --goroutines) [OPTIONS] PID\n"
		"       goscope profile (--allocs | --goroutines) [OPTIONS] --container NAME|ID\n"
		"       goscope profile (--allocs | --goroutines) [OPTIONS] --pod [NS/]NAME\n"
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
		CLI_SELECT_HELP
		"  -h, --help           show this help\n"
		"\n"
		"Cost: every probe hit costs the thread that hits it a few microseconds (goscope\n"
		"measures it at start and prints the expected cost). Allocation sampling hits once per\n"
		"MemProfileRate bytes; the goroutine probes twice per goroutine. A circuit breaker\n"
		"measures the hit rate every 100 ms and detaches the probes, saying so, when their\n"
		"cost over the last second exceeds the budget (in the first second, ten times the\n"
		"budget); the GC probes stay.\n");
}

static int profile_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct profile_args *a = ctx;
	char *end;
	long n;

	switch (c) {
	case 'd':
		if (cli_parse_duration(arg, &a->duration_ns) || !a->duration_ns)
			return gs_fail(err, GS_EXIT_USAGE, "bad duration '%s': give e.g. 30s, 2m or "
				       "500ms", arg);
		return 0;
	case 'o':
		return cli_output_path(&a->path, arg, err);
	case 'n':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (!isdigit((unsigned char)arg[0]) || *end || errno || n < 1 || n > 100000)
			return gs_fail(err, GS_EXIT_USAGE, "bad row count '%s': give 1 to 100000",
				       arg);
		a->top = (int)n;
		return 0;
	case 's':
		if (strcmp(arg, "bytes") && strcmp(arg, "objects"))
			return gs_fail(err, GS_EXIT_USAGE, "bad sort '%s': give bytes or objects", arg);
		a->by_objects = !strcmp(arg, "objects");
		return 0;
	}
	return 1;
}

static const struct option profile_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	{ "output", required_argument, NULL, 'o' },
	{ "top", required_argument, NULL, 'n' },
	{ "sort", required_argument, NULL, 's' },
	{ 0 },
};

static const struct cli_spec profile_spec = {
	.name = "profile", .usage = usage, .shortopts = "d:o:n:s:", .longopts = profile_opts,
	.option = profile_option, .flags = CLI_VERBOSITY | CLI_OPTIN | CLI_ONE_PID,
};

static int parse_args(int argc, char **argv, struct profile_args *a, struct gs_err *err)
{
	a->top = 20;
	if (cli_parse(argc, argv, &profile_spec, a, &a->c, err))
		return -1;
	if (!a->c.allocs && !a->c.goroutines)
		return gs_fail(err, GS_EXIT_USAGE, "say what to profile: --allocs or --goroutines");
	if (a->path && a->c.allocs && a->c.goroutines)
		return gs_fail(err, GS_EXIT_USAGE, "-o writes one profile: give --allocs or "
			       "--goroutines, not both");
	return 0;
}

static int write_profile(const struct profile_args *a, int fd, const struct watched *w,
			 uint64_t dur_ns, struct gs_err *err)
{
	struct pprof *pp = pprof__new();
	int rc;

	if (!pp)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	rc = profile_build_pprof(pp, w, a->c.allocs, (int64_t)(clock_real_ns() - dur_ns),
				 (int64_t)dur_ns);
	if (rc)
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
	else
		rc = fd >= 0 ? pprof__write_fd(pp, fd, a->path, err) : pprof__write(pp, a->path, err);
	pprof__free(pp);
	return rc;
}

static int print_tables(const struct profile_args *a, const struct watched *w, uint64_t dur_ns,
			uint64_t now, struct gs_err *err)
{
	printf("goscope profile: PID %d (%s, %s), %.1f s\n\n", w->pid, w->comm, w->version,
	       (double)dur_ns / 1e9);
	if (a->c.goroutines)
		profile_print_goroutines(stdout, w, a->top, now);
	if (a->c.goroutines && a->c.allocs)
		printf("\n");
	if (a->c.allocs)
		profile_print_allocs(stdout, w, a->top, a->by_objects);
	return cli_flush_stdout(err);
}

static bool duration_over(void *ctx)
{
	const struct profile_args *a = ctx;

	return a->duration_ns && clock_mono_ns() - a->start_ns >= a->duration_ns;
}

/* The probes asked for are on, or the reason they are not is the error. */
static int check_attached(const struct profile_args *a, const struct engine *e,
			  const struct watched *x, struct gs_err *err)
{
	if (!x || !x->sites)
		return gs_fail(err, GS_EXIT_PERMISSION, "%s", x && x->probe_note[0] ? x->probe_note :
			       engine__probe_note(e) ? engine__probe_note(e) :
			       "the probes could not be attached");
	if ((!a->c.allocs || !x->optin[OPTIN_ALLOCS].on) &&
	    (!a->c.goroutines || !x->optin[OPTIN_GOROUTINES].on))
		return gs_fail(err, GS_EXIT_ATTACH, "%s",
			       x->optin[a->c.allocs ? OPTIN_ALLOCS : OPTIN_GOROUTINES].note);
	return 0;
}

int cmd_profile(int argc, char **argv)
{
	struct profile_args a = { 0 };
	struct engine_opts eo;
	struct gs_err err = { 0 };
	struct engine *e = NULL;
	const struct watched *x;
	uint64_t start, now;
	int fd = -1;
	bool created = false;

	cli_setup_signals();
	if (parse_args(argc, argv, &a, &err))
		goto fail;
	/* The output is opened first: a wrong path fails now, not after the whole run. */
	if (a.path && strcmp(a.path, "-") && (fd = pprof__open_output(a.path, &created, &err)) < 0)
		goto fail;
	eo = (struct engine_opts){
		.pids = a.c.pids, .npids = a.c.npids, .sel = &a.c.sel, .one = true,
		.probes = ENGINE_PROBES_WANTED, .sample = true,
		.optin = { a.c.goroutines, a.c.allocs, a.c.budget },
	};
	e = engine__new(&eo, NULL, &err);
	if (!e)
		goto fail;
	x = engine__get(e, 0);
	if (check_attached(&a, e, x, &err))
		goto fail;
	caps_keep_only(CAPS_ATTACHING);
	start = clock_mono_ns();
	log_note("profiling PID %d %s; Ctrl-C to stop", x->pid,
		 a.duration_ns ? "for the duration given" : "until interrupted");
	a.start_ns = start;
	if (engine__run(e, &(struct engine_run){ .step_ms = STEP_MS, .stop = &cli_stop,
		.until_exited = true, .after_step = duration_over, .ctx = &a }, &err) < 0)
		goto fail;
	now = clock_mono_ns();
	log_debug("probe hits: goroutines %llu, allocations %llu; samples %llu, %llu not kept",
		  (unsigned long long)x->optin[OPTIN_GOROUTINES].hits,
		  (unsigned long long)x->optin[OPTIN_ALLOCS].hits,
		  (unsigned long long)sites__alloc_samples(x->sites),
		  (unsigned long long)sites__alloc_dropped(x->sites));
	if (x->state == WS_EXITED)
		log_note("PID %d exited; reporting what was seen", x->pid);
	if (a.path ? write_profile(&a, fd, x, now - start, &err) :
		     print_tables(&a, x, now - start, now, &err))
		goto fail;
	if (a.path && strcmp(a.path, "-"))
		log_note("wrote %s (open it with: go tool pprof %s)", a.path, a.path);
	engine__free(e);
	if (fd >= 0)
		close(fd);
	cli_common_free(&a.c);
	return GS_EXIT_OK;
fail:
	engine__free(e);
	if (fd >= 0) {
		close(fd);
		if (created)
			unlink(a.path);
	}
	cli_common_free(&a.c);
	return cli_report(&err);
}
