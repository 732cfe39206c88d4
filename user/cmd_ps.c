// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope ps: every Go process on the machine and whether goscope can attach to it, decided by
 * the rules every other command follows: target__open for the process, caps_check_probes for
 * goscope, and discover_list_refused for what is worth listing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "engine/discover.h"
#include "format/ps.h"
#include "target/caps.h"
#include "target/target.h"
#include "util/log.h"

struct ps_scan {
	struct ps_row *rows;
	size_t n, cap;
	struct gs_err privileges;	/* why goscope may not attach; code 0: it may */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope ps [OPTIONS]\n"
		"\n"
		"List the Go processes on this machine: PID, name, Go version, whether the binary is\n"
		"PIE, stripped (no symbol table or DWARF) or uses cgo, and whether goscope can attach\n"
		"to it (and why not). Without root only your own processes are visible.\n"
		"\n"
		"Options:\n"
		"  -h, --help      show this help\n");
}

/* Fill row for pid; returns false for a process not to list (not Go, gone, not ours). */
static bool inspect(struct ps_scan *ps, pid_t pid, struct ps_row *row)
{
	struct target_info info;
	struct gs_err err = { 0 };
	struct target *t = target__open(pid, &info, &err);

	if (!t && !discover_list_refused(&info, &err))
		return false;
	memset(row, 0, sizeof(*row));
	row->pid = pid;
	snprintf(row->comm, sizeof(row->comm), "%s", info.comm);
	snprintf(row->version, sizeof(row->version), "%s", info.version);
	row->pie = info.pie;
	row->stripped = info.stripped;
	row->cgo = info.cgo;
	if (!t)
		snprintf(row->attach, sizeof(row->attach), "no: %s",
			 info.refused[0] ? info.refused : err.msg);
	else if (ps->privileges.code)
		snprintf(row->attach, sizeof(row->attach), "no: %s", geteuid() ? "needs root" :
			 ps->privileges.msg);
	else
		snprintf(row->attach, sizeof(row->attach), "yes");
	target__free(t);
	return true;
}

static bool found(void *ctx, pid_t pid, uint64_t start_ticks)
{
	struct ps_scan *ps = ctx;

	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;
		struct ps_row *r = realloc(ps->rows, cap * sizeof(*r));

		if (!r)
			return true;
		ps->rows = r;
		ps->cap = cap;
	}
	if (inspect(ps, pid, &ps->rows[ps->n]))
		ps->n++;
	return false;
}

static const struct cli_spec ps_spec = { .name = "ps", .usage = usage };

int cmd_ps(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct ps_scan ps = { 0 };
	struct discovery *d = NULL;
	struct gs_err err = { 0 };
	int ret = GS_EXIT_OK;

	if (cli_parse(argc, argv, &ps_spec, NULL, &c, &err))
		return cli_report(&err);
	caps_check_probes(&ps.privileges);
	d = discovery__new();
	if (!d || discovery__scan(d, found, &ps)) {
		gs_fail(&err, GS_EXIT_ERROR, d ? "cannot read /proc" : "out of memory");
		ret = cli_report(&err);
		goto out;
	}
	ps_print(stdout, ps.rows, ps.n);
	if (cli_flush_stdout(&err)) {
		ret = cli_report(&err);
		goto out;
	}
	if (!ps.n)
		fprintf(stderr, "goscope: no Go processes found%s\n",
			geteuid() ? " (without root only your own processes are visible)" : "");
out:
	discovery__free(d);
	free(ps.rows);
	cli_common_free(&c);
	return ret;
}
