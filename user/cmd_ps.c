// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* goscope ps: every Go process on the machine and whether goscope can attach to it. */
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "util/log.h"
#include "target/proc.h"
#include "gobin/gobin.h"
#include "goruntime/layout.h"

struct ps_row {
	pid_t pid;
	char comm[32];
	char version[48];
	bool pie, stripped, cgo;
	char attach[160];
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

static int cmp_pid(const void *a, const void *b)
{
	return ((const struct ps_row *)a)->pid - ((const struct ps_row *)b)->pid;
}

/* Fill row for pid; returns false for processes that are not Go programs. */
static bool inspect(pid_t pid, struct ps_row *row, bool privileged)
{
	char exe[64];
	struct gs_err err = { 0 };
	struct gobin *b;

	memset(row, 0, sizeof(*row));
	row->pid = pid;
	proc_exe_path(pid, exe, sizeof(exe));
	b = gobin__open(exe, &err);
	if (!b) {
		if (err.code != GS_EXIT_GO_VERSION)
			return false;
		/* A Go binary too old to carry build info. */
		proc_comm(pid, row->comm, sizeof(row->comm));
		snprintf(row->version, sizeof(row->version), "<1.13");
		snprintf(row->attach, sizeof(row->attach), "no: Go release too old");
		return true;
	}
	proc_comm(pid, row->comm, sizeof(row->comm));
	snprintf(row->version, sizeof(row->version), "%s", gobin__version(b)->str);
	row->pie = gobin__is_pie(b);
	row->stripped = !gobin__has_symtab(b) || !gobin__has_dwarf(b);
	row->cgo = gobin__is_cgo(b);
	if (layout_check_supported(b, &err))
		snprintf(row->attach, sizeof(row->attach), "no: %s",
			 gobin__version(b)->minor < GS_GO_MIN_MINOR ? "Go release too old" :
			 err.code == GS_EXIT_GO_VERSION ? "stripped, Go release newer than goscope" :
			 "no symbols and no .gopclntab");
	else if (!privileged)
		snprintf(row->attach, sizeof(row->attach), "no: needs root");
	else
		snprintf(row->attach, sizeof(row->attach), "yes");
	gobin__free(b);
	return true;
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct ps_row *rows = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return GS_EXIT_OK;
		}
		return cli_bad_option(c, argv);
	}
	if (optind < argc)
		return cli_bad_usage("ps takes no arguments, it lists every Go process ('%s')",
				     argv[optind]);
	d = opendir("/proc");
	if (!d) {
		fprintf(stderr, "goscope: cannot read /proc\n");
		return GS_EXIT_ERROR;
	}
	while ((de = readdir(d))) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]) || proc_parse_pid(de->d_name, &pid, NULL))
			continue;
		if (pid == getpid())
			continue;
		if (n == cap) {
			struct ps_row *nr = realloc(rows, (cap = cap ? cap * 2 : 64) * sizeof(*rows));

			if (!nr)
				break;
			rows = nr;
		}
		if (inspect(pid, &rows[n], geteuid() == 0))
			n++;
	}
	closedir(d);
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_pid);
	printf("%7s  %-16s %-12s %-4s %-8s %-4s %s\n", "PID", "COMM", "GO", "PIE", "STRIPPED",
	       "CGO", "ATTACH");
	for (i = 0; i < n; i++)
		printf("%7d  %-16s %-12s %-4s %-8s %-4s %s\n", rows[i].pid, rows[i].comm,
		       rows[i].version, rows[i].pie ? "yes" : "no", rows[i].stripped ? "yes" : "no",
		       rows[i].cgo ? "yes" : "no", rows[i].attach);
	if (!n)
		fprintf(stderr, "goscope: no Go processes found%s\n",
			geteuid() ? " (without root only your own processes are visible)" : "");
	free(rows);
	return GS_EXIT_OK;
}
