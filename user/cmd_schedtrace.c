// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope schedtrace PID: GODEBUG=schedtrace lines, sampled from outside. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "target/caps.h"
#include "cli.h"
#include "util/log.h"
#include "target/proc.h"
#include "target/sampler.h"
#include "target/target.h"
#include "format/schedtrace.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope schedtrace [OPTIONS] PID\n"
		"\n"
		"Print a scheduler line every interval in the format the target's Go release uses for\n"
		"GODEBUG=schedtrace=N: GOMAXPROCS, idle Ps, threads, spinning and idle threads, the\n"
		"global and per-P run queues (and per-P schedticks on Go 1.25+). The milliseconds count\n"
		"from when goscope started. Read with process_vm_readv: no probe, no stop-the-world.\n"
		"\n"
		"Options:\n"
		"  -i, --interval DUR    time between lines (default 1s; e.g. 500ms, 2s)\n"
		"  -h, --help            show this help\n");
}

int cmd_schedtrace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t interval = 1000000000ull, start;
	struct rt_sample smp = { 0 };
	struct gs_err err = { 0 };
	struct target *t = NULL;
	struct sampler *sm = NULL;
	char line[SCHEDTRACE_LINE_MAX];
	int c, ret = GS_EXIT_OK;
	pid_t pid;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (cli_parse_duration(optarg, &interval) || interval < 1000000)
				return cli_bad_usage("bad interval '%s' (at least 1ms, e.g. 1s)", optarg);
			break;
		case 'h': usage(stdout); return GS_EXIT_OK;
		default: return cli_bad_option(c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_bad_usage("schedtrace needs exactly one PID (see 'goscope ps')");
	cli_setup_signals();
	if (cli_open_sampled(argv[optind], &t, &sm, &err)) {
		ret = cli_report(&err);
		goto out;
	}
	pid = t->pid;
	caps_keep_only(CAPS_SAMPLING);
	/* The per-line walk of allgs is not needed here. */
	sampler__set_gwalk_budget(sm, 0);
	start = 0;
	while (!cli_stop) {
		int rc = target__gone(t) ? -1 : sampler__sample(sm, &smp);

		/* Checked after reading too: a reused PID's memory must never pass for the old one's. */
		if (target__gone(t)) {
			if (!t->execed)
				log_note("PID %d exited", pid);
			break;
		}
		if (rc) {
			log_warn("PID %d: reading the runtime's memory failed; skipping this line", pid);
		} else {
			if (!start)
				start = smp.mono_ns;
			schedtrace_format(&smp, t->rt.minor, (smp.mono_ns - start) / 1000000, line,
					  sizeof(line));
			puts(line);
			if (fflush(stdout) || ferror(stdout))
				break;
		}
		cli_sleep(interval);
	}
out:
	rt_sample__release(&smp);
	sampler__free(sm);
	target__free(t);
	return ret;
}
