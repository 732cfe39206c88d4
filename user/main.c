// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope: what a running Go program's runtime is doing, from outside. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "util/log.h"

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		fprintf(stderr, "goscope: no command given; see 'goscope --help'\n");
		return GS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		cli_usage(stdout);
		return GS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("goscope %s\n", GOSCOPE_VERSION);
		return GS_EXIT_OK;
	}
	cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "goscope: unknown command '%s'; see 'goscope --help'\n", argv[1]);
		return GS_EXIT_USAGE;
	}
	log_setup_libbpf();
	/* A closed stdout (goscope ps | head) ends a command quietly, never kills it. */
	signal(SIGPIPE, SIG_IGN);
	return cmd->run(argc - 1, argv + 1);
}
