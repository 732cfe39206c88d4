// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope metrics: the catalog of every metric goscope reports. */
#include <stdio.h>
#include "cli.h"
#include "format/catalog.h"
#include "util/log.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: goscope metrics [OPTIONS]\n\nList every metric goscope reports: "
		"name, unit, kind, the runtime's own name for it, and what it means.\n"
		"\nOptions:\n  -h, --help      show this help\n");
}

static const struct cli_spec metrics_spec = { .name = "metrics", .usage = usage };

int cmd_metrics(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct gs_err err = { 0 };

	if (cli_parse(argc, argv, &metrics_spec, NULL, &c, &err))
		return cli_report(&err);
	cli_common_free(&c);
	catalog_print(stdout);
	catalog_print_runtime_metrics(stdout);
	return cli_flush_stdout(&err) ? cli_report(&err) : GS_EXIT_OK;
}
