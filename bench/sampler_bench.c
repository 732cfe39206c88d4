// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cost of one sampling tick: the engine samples live Go processes RATE times a second for
 * SECONDS, as `goscope stat` and `record` do (process_vm_readv of the runtime's variables plus
 * the walk of every goroutine; with -m all of runtime/metrics and MemStats too, as stat, record,
 * serve and top read them), and this prints the agent's CPU time per process sampled, its share
 * of one CPU, and the walk's wall time.
 *
 *   sampler_bench [-m] PID[,PID...] RATE_HZ SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "engine/engine.h"
#include "target/proc.h"
#include "util/clock.h"
#include "util/log.h"

struct tally {
	uint64_t last_cpu, cpu, max_cpu, walk, seen, ticks, partial, rtm;
	long long goroutines;
};

/* Everything the thread did since the previous tick: the sample, and the loop around it. */
static void on_sample(void *ctx, const struct watched *w, void *st)
{
	struct tally *t = ctx;
	uint64_t now = clock_thread_cpu_ns(), dc = now - t->last_cpu;

	t->last_cpu = now;
	if (!w->nsamples || w->nsamples == 1)
		return;		/* the first sample also paid for attaching */
	t->cpu += dc;
	t->max_cpu = dc > t->max_cpu ? dc : t->max_cpu;
	t->walk += w->cur.gwalk_ns;
	t->seen += w->cur.gwalk_seen;
	t->partial += w->cur.gwalk_partial;
	t->rtm += w->cur.rtm && !w->cur.rtm_err;
	t->goroutines = w->cur.num_goroutine;
	t->ticks++;
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	const struct engine_sink sink = { .ctx = &t, .sample = on_sample };
	struct engine_opts eo = { .probes = ENGINE_PROBES_OFF, .sample = true };
	struct gs_err err = { 0 };
	struct engine *e;
	double rate, secs;
	uint64_t end, start_cpu, start_mono;
	pid_t pids[256];
	char *list, *tok, *save = NULL;
	size_t n = 0;

	if (argc > 1 && !strcmp(argv[1], "-m")) {
		eo.metrics = true;
		argc--;
		argv++;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: sampler_bench [-m] PID[,PID...] RATE_HZ SECONDS\n");
		return 2;
	}
	rate = atof(argv[2]);
	secs = atof(argv[3]);
	list = argv[1];
	for (tok = strtok_r(list, ",", &save); tok && n < 256; tok = strtok_r(NULL, ",", &save))
		if (proc_parse_pid(tok, &pids[n++], &err))
			return 2;
	if (rate <= 0 || secs <= 0 || !n)
		return 2;
	eo.pids = pids;
	eo.npids = n;
	eo.interval_ns = (uint64_t)(1e9 / rate);
	cli_setup_signals();
	t.last_cpu = clock_thread_cpu_ns();
	e = engine__new(&eo, &sink, &err);
	if (!e)
		return cli_report(&err);
	start_mono = clock_mono_ns();
	start_cpu = clock_thread_cpu_ns();
	end = start_mono + (uint64_t)(secs * 1e9);
	while (!cli_stop && clock_mono_ns() < end && engine__live(e))
		if (engine__step(e, 100, &err))
			break;
	start_cpu = clock_thread_cpu_ns() - start_cpu;
	start_mono = clock_mono_ns() - start_mono;
	engine__free(e);
	if (!t.ticks)
		return 1;
	/* One callback per process sampled: the CPU between two is one process's sample. */
	printf("procs %zu  goroutines %lld  samples %llu  cpu/sample %.1f us (max %.1f us)  "
	       "walk %.1f us  g seen/sample %llu  partial %llu  metrics %llu  "
	       "cpu %.2f %% of one CPU\n", n, t.goroutines, (unsigned long long)t.ticks,
	       (double)t.cpu / (double)t.ticks / 1e3, (double)t.max_cpu / 1e3,
	       (double)t.walk / (double)t.ticks / 1e3, (unsigned long long)(t.seen / t.ticks),
	       (unsigned long long)t.partial, (unsigned long long)t.rtm,
	       100.0 * (double)start_cpu / (double)start_mono);
	return 0;
}
