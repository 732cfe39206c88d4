// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "caps.h"
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
	/* The pidfd first: if the PID is reused after this, the pidfd still names this process. */
	t->pidfd = proc_pidfd(pid);
	if (proc_image(pid, &t->image)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "no process with PID %d", pid);
		goto fail;
	}
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
		else if (err && err->code == GS_EXIT_PERMISSION && !caps_have(CAP_SYS_PTRACE))
			gs_fail(err, GS_EXIT_PERMISSION,
				"no permission to read the executable of %s: missing CAP_SYS_PTRACE "
				"(ptrace access rules apply); run goscope as root (sudo)", t->comm);
		else if (err && err->code == GS_EXIT_PERMISSION && geteuid())
			gs_fail(err, GS_EXIT_PERMISSION,
				"no permission to read the executable of %s; run goscope as root (sudo)",
				t->comm);
		else if (err && err->code == GS_EXIT_PERMISSION)
			/* Root with CAP_SYS_PTRACE: "run as root" would send the user in circles. */
			gs_fail(err, GS_EXIT_PERMISSION,
				"no permission to read the executable of %s even as root: the kernel's "
				"ptrace access rules refuse it (another user namespace, Yama or an LSM)",
				t->comm);
		goto fail;
	}
	if (layout_check_supported(t->bin, err))
		goto fail;
	if (proc_load_bias(pid, t->bin, &t->bias, err))
		goto fail;
	if (layout_resolve(t->bin, t->bias, &t->rt, err))
		goto fail;
	layout_gc(&t->rt, &t->cfg.gc);
	t->cfg.stw_abi = layout_stw_abi(t->rt.minor);
	/* What was read above must describe one program: no exec and no exit in between. */
	if (target__gone(t)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "process %d %s while goscope was reading it", pid,
			t->execed ? "executed another program" : "exited");
		goto fail;
	}
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

/*
 * While a multithreaded process exec()s, its leader is briefly a zombie and its image is being
 * replaced; the same is seen while a dying process's threads exit. The pidfd settles which one it
 * was (it turns readable only once every thread is gone), so wait for a settled state this long.
 */
#define SETTLE_TRIES	40
#define SETTLE_NS	5000000L

bool target__gone(struct target *t)
{
	struct proc_image now;
	int i;

	for (i = 0; i < SETTLE_TRIES; i++) {
		if (t->pidfd >= 0 ? proc_pidfd_exited(t->pidfd) :
				    proc_check_alive(t->pid, NULL) != 0)
			return true;
		if (t->execed)
			return true;
		if (!proc_image(t->pid, &now) && !proc_check_alive(t->pid, NULL) && now.arg_start) {
			if (proc_image_same(&now, &t->image))
				return false;
			t->execed = true;
			proc_exe_name(t->pid, t->exe, sizeof(t->exe));
			log_note("PID %d executed another program (%s); no longer watching it", t->pid,
				 t->exe);
			return true;
		}
		/* Without a pidfd nothing settles it: a process in that state is going away. */
		if (t->pidfd < 0)
			return true;
		nanosleep(&(struct timespec){ 0, SETTLE_NS }, NULL);
	}
	return true;
}

int target__attach(struct target *t, struct probes *p, unsigned int slot, bool stw,
		   struct gs_err *err)
{
	struct probe_offsets off = { 0 };

	if (layout_func_offset(t->bin, GS_FN_GC_START, &off.gc_start, err) ||
	    layout_func_offset(t->bin, GS_FN_GC_END, &off.gc_end, err))
		return -1;
	if (stw && t->cfg.stw_abi != GS_STW_NONE &&
	    layout_func_offset(t->bin, GS_FN_STW_START, &off.stw_start, err))
		return -1;
	if (stw && t->cfg.stw_abi == GS_STW_PAIR &&
	    layout_func_offset(t->bin, GS_FN_STW_STOP, &off.stw_stop, err))
		return -1;
	t->slot = slot;
	if (probes__attach(p, slot, t->pid, t->exe_path, &off, &t->cfg, err))
		return -1;
	t->attached = true;
	/* Read after attaching: any cycle that ends from here on is caught by the probes. */
	if (proc_read_mem(t->pid, t->cfg.gc.numgc, &t->numgc_at_attach,
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
