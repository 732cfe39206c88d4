// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "target.h"
#include "proc.h"
#include "probes.h"
#include "gobin/gobin.h"
#include "gobin/layout.h"

struct target *target__open(pid_t pid, struct gs_err *err)
{
	struct target *t;

	if (proc_check_alive(pid, err))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	t->pid = pid;
	t->pidfd = -1;
	proc_comm(pid, t->comm, sizeof(t->comm));
	proc_exe_name(pid, t->exe, sizeof(t->exe));
	proc_exe_path(pid, t->exe_path, sizeof(t->exe_path));
	if (access(t->exe_path, F_OK) && errno == ENOENT && proc_check_alive(pid, NULL) == 0) {
		/* Kernel threads have no executable. */
		gs_fail(err, GS_EXIT_NOT_GO, "%s is a kernel thread, not a Go program", t->comm);
		goto fail;
	}
	t->bin = gobin__open(t->exe_path, err);
	if (!t->bin) {
		if (err && err->code == GS_EXIT_NOT_GO)
			gs_fail(err, GS_EXIT_NOT_GO, "%s (%s) is not a Go program", t->comm, t->exe);
		else if (err && err->code == GS_EXIT_PERMISSION)
			gs_fail(err, GS_EXIT_PERMISSION,
				"no permission to read the executable of %s; run goscope as root (sudo)",
				t->comm);
		goto fail;
	}
	if (layout_check_supported(t->bin, err))
		goto fail;
	if (proc_load_bias(pid, t->bin, &t->bias, err))
		goto fail;
	if (layout_resolve(t->bin, t->bias, &t->rt, err))
		goto fail;
	layout_gc(&t->rt, &t->gc_layout);
	t->pidfd = proc_pidfd(pid);
	return t;
fail:
	target__free(t);
	return NULL;
}

void target__free(struct target *t)
{
	if (!t)
		return;
	gobin__free(t->bin);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t);
}

int target__attach(struct target *t, struct probes *p, unsigned int slot, struct gs_err *err)
{
	uint64_t start_off, end_off;

	if (layout_func_offset(t->bin, GS_FN_GC_START, &start_off, err) ||
	    layout_func_offset(t->bin, GS_FN_GC_END, &end_off, err))
		return -1;
	t->slot = slot;
	if (probes__attach_gc(p, slot, t->pid, t->exe_path, start_off, end_off, &t->gc_layout, err))
		return -1;
	t->attached = true;
	/* Read after attaching: any cycle that ends from here on is caught by the probes. */
	if (proc_read_mem(t->pid, t->gc_layout.numgc, &t->numgc_at_attach,
			  sizeof(t->numgc_at_attach)))
		t->numgc_at_attach = 0;
	return 0;
}

void target__detach(struct target *t, struct probes *p)
{
	if (!t->attached)
		return;
	probes__detach(p, t->slot);
	t->attached = false;
}

const char *target__describe(const struct target *t, char *buf, size_t len)
{
	snprintf(buf, len, "PID %d (%s, %s%s)", t->pid, t->comm, gobin__version(t->bin)->str,
		 gobin__is_pie(t->bin) ? ", pie" : "");
	return buf;
}
