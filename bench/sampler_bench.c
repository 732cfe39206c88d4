// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Cost of one sampling tick: samples a live Go process RATE times a second for SECONDS with the
 * same code `goscope stat` uses (process_vm_readv of the runtime's variables plus the walk of
 * every goroutine) and prints the agent's CPU time per tick and the walk's wall time.
 *
 *   sampler_bench PID RATE_HZ SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cli.h"
#include "util/log.h"
#include "target/proc.h"
#include "target/sampler.h"
#include "target/target.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct gs_err err = { 0 };
	struct rt_sample smp = { 0 };
	uint64_t cpu = 0, walk = 0, max_cpu = 0, seen = 0, ticks = 0, partial = 0, end, period;
	struct sampler *sm;
	struct target *t;
	double rate, secs;

	if (argc != 4) {
		fprintf(stderr, "usage: sampler_bench PID RATE_HZ SECONDS\n");
		return 2;
	}
	rate = atof(argv[2]);
	secs = atof(argv[3]);
	if (rate <= 0 || secs <= 0)
		return 2;
	if (cli_open_sampled(argv[1], &t, &sm, &err))
		return cli_report(&err);
	cli_setup_signals();
	period = (uint64_t)(1e9 / rate);
	end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(secs * 1e9);
	while (!cli_stop && clock_ns(CLOCK_MONOTONIC) < end) {
		uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), dc;

		if (sampler__sample(sm, &smp))
			break;
		dc = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		cpu += dc;
		max_cpu = dc > max_cpu ? dc : max_cpu;
		walk += smp.gwalk_ns;
		seen += smp.gwalk_seen;
		partial += smp.gwalk_partial;
		ticks++;
		cli_sleep(period);
	}
	if (!ticks)
		return 1;
	printf("goroutines %lld  ticks %llu  cpu/tick %.1f us (max %.1f us)  walk %.1f us  "
	       "g seen/tick %llu  partial %llu\n", (long long)smp.num_goroutine,
	       (unsigned long long)ticks, (double)cpu / ticks / 1e3, (double)max_cpu / 1e3,
	       (double)walk / ticks / 1e3, (unsigned long long)(seen / ticks),
	       (unsigned long long)partial);
	rt_sample__release(&smp);
	sampler__free(sm);
	target__free(t);
	return 0;
}
