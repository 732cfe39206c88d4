// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cost of one sampling tick: the engine samples a live Go process RATE times a second for
 * SECONDS, as `goscope stat` and `record` do (process_vm_readv of the runtime's variables plus
 * the walk of every goroutine), and this prints the agent's CPU time per tick and the walk's
 * wall time.
 *
 *   sampler_bench PID RATE_HZ SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "engine/engine.h"
#include "target/proc.h"
#include "util/clock.h"
#include "util/log.h"

struct tally {
	uint64_t last_cpu, cpu, max_cpu, walk, seen, ticks, partial;
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
	t->goroutines = w->cur.num_goroutine;
	t->ticks++;
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	const struct engine_sink sink = { .ctx = &t, .sample = on_sample };
	struct engine_opts eo = { .npids = 1, .probes = ENGINE_PROBES_OFF, .sample = true };
	struct gs_err err = { 0 };
	struct engine *e;
	double rate, secs;
	uint64_t end;
	pid_t pid;

	if (argc != 4) {
		fprintf(stderr, "usage: sampler_bench PID RATE_HZ SECONDS\n");
		return 2;
	}
	rate = atof(argv[2]);
	secs = atof(argv[3]);
	if (rate <= 0 || secs <= 0 || proc_parse_pid(argv[1], &pid, &err))
		return 2;
	eo.pids = &pid;
	eo.interval_ns = (uint64_t)(1e9 / rate);
	cli_setup_signals();
	t.last_cpu = clock_thread_cpu_ns();
	e = engine__new(&eo, &sink, &err);
	if (!e)
		return cli_report(&err);
	end = clock_mono_ns() + (uint64_t)(secs * 1e9);
	while (!cli_stop && clock_mono_ns() < end && engine__live(e))
		if (engine__step(e, 100, &err))
			break;
	engine__free(e);
	if (!t.ticks)
		return 1;
	printf("goroutines %lld  ticks %llu  cpu/tick %.1f us (max %.1f us)  walk %.1f us  "
	       "g seen/tick %llu  partial %llu\n", t.goroutines, (unsigned long long)t.ticks,
	       (double)t.cpu / (double)t.ticks / 1e3, (double)t.max_cpu / 1e3,
	       (double)t.walk / (double)t.ticks / 1e3, (unsigned long long)(t.seen / t.ticks),
	       (unsigned long long)t.partial);
	return 0;
}
