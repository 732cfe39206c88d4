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
#include "container/identity.h"
#include "container/select.h"
#include "engine/discover.h"
#include "engine/resolve.h"
#include "format/ps.h"
#include "target/caps.h"
#include "target/target.h"
#include "util/log.h"

struct ps_scan {
	struct ps_row *rows;
	size_t n, cap;
	struct gs_err privileges;	/* why goscope may not attach; code 0: it may */
	struct idcache *ids;		/* the containers of the processes listed */
	const struct selection *sel;	/* --container, --pod: list only those */
	bool json;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: goscope ps [OPTIONS]\n"
		"\n"
		"List the Go processes on this machine: PID, name, Go version, whether the binary is\n"
		"PIE, stripped (no symbol table or DWARF) or uses cgo, which file holds the Go runtime\n"
		"(RUNTIME: exe, or the name of the Go shared library a C, Python or Java process\n"
		"loaded, or of the program ld.so runs), the container (its name, else the first 12\n"
		"digits of its ID) and Kubernetes pod (NAMESPACE/NAME) it runs in, and whether goscope\n"
		"can attach to it (and why not). Without root only your own processes\n"
		"are visible, and container names may be unknown.\n"
		"\n"
		"Options:\n"
		"      --json           one JSON object per line: pid, nspid, comm, go_version, pie,\n"
		"                       stripped, cgo, runtime_object (when not the executable),\n"
		"                       attachable, reason, container {id, runtime,\n"
		"                       name, pod, namespace, pod_uid}\n"
		CLI_SELECT_HELP
		"  -h, --help           show this help\n");
}

/* Fill row for pid; returns false for a process not to list (not Go, gone, not ours). */
static bool inspect(struct ps_scan *ps, pid_t pid, struct ps_row *row)
{
	const struct identity *id = idcache__get(ps->ids, pid);
	struct target_info info;
	struct gs_err err = { 0 };
	struct target *t;

	if (ps->sel->n && !selection_match(ps->sel, id)) {
		idcache__put(ps->ids, id);
		return false;
	}
	t = target__open(pid, &info, &err);
	if (!t && !discover_list_refused(&info, &err)) {
		idcache__put(ps->ids, id);
		return false;
	}
	memset(row, 0, sizeof(*row));
	row->pid = pid;
	row->ident = id;
	row->nspid = identity_nspid(pid);
	snprintf(row->comm, sizeof(row->comm), "%s", info.comm);
	snprintf(row->version, sizeof(row->version), "%s", info.version);
	row->pie = info.pie;
	row->stripped = info.stripped;
	row->cgo = info.cgo;
	snprintf(row->object, sizeof(row->object), "%s", info.object);
	if (!t)
		snprintf(row->attach, sizeof(row->attach), "no: %s",
			 info.refused[0] ? info.refused : err.msg);
	else if (ps->privileges.code)
		snprintf(row->attach, sizeof(row->attach), "no: %s", geteuid() ? "needs root" :
			 ps->privileges.msg);
	else
		snprintf(row->attach, sizeof(row->attach), "yes");
	row->attachable = t && !ps->privileges.code;
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

enum { OPT_JSON = 0x300 };

static const struct option ps_longopts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ 0 },
};

static int ps_option(void *ctx, int c, const char *arg, struct gs_err *err)
{
	struct ps_scan *ps = ctx;

	if (c != OPT_JSON)
		return 1;
	ps->json = true;
	return 0;
}

static const struct cli_spec ps_spec = {
	.name = "ps", .usage = usage, .flags = CLI_SELECT, .longopts = ps_longopts,
	.option = ps_option,
};

static int list(struct ps_scan *ps, struct gs_err *err)
{
	struct discovery *d = discovery__new();
	int rc = 0;

	if (!d || !ps->ids)
		rc = gs_fail(err, GS_EXIT_ERROR, "out of memory");
	else if (discovery__scan(d, found, ps))
		rc = gs_fail(err, GS_EXIT_ERROR, "cannot read /proc");
	discovery__free(d);
	if (rc)
		return rc;
	ps_sort(ps->rows, ps->n);
	if (ps->json ? ps_print_json(stdout, ps->rows, ps->n) : (ps_print(stdout, ps->rows, ps->n), 0))
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	return cli_flush_stdout(err);
}

int cmd_ps(int argc, char **argv)
{
	struct cli_common c = { 0 };
	struct ps_scan ps = { .sel = &c.sel };
	struct gs_err err = { 0 };
	int ret = GS_EXIT_OK;
	pid_t *none;
	int nnone;
	size_t i;

	if (cli_parse(argc, argv, &ps_spec, &ps, &c, &err) ||
	    (c.sel.n && resolve_selection(&c.sel, true, &none, &nnone, &err))) {
		cli_common_free(&c);
		return cli_report(&err);
	}
	caps_check_probes(&ps.privileges);
	ps.ids = idcache__new(NULL);
	if (list(&ps, &err))
		ret = cli_report(&err);
	else if (!ps.n)
		fprintf(stderr, "goscope: no Go processes found%s\n",
			c.sel.n ? " in the containers selected" : geteuid() ?
			" (without root only your own processes are visible)" : "");
	for (i = 0; i < ps.n; i++)
		idcache__put(ps.ids, ps.rows[i].ident);
	idcache__free(ps.ids);
	free(ps.rows);
	cli_common_free(&c);
	return ret;
}
