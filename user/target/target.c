// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "target/caps.h"
#include "target/target.h"
#include "target/proc.h"
#include "target/probes.h"
#include "gobin/gobin.h"
#include "goruntime/layout.h"
#include "gobin/disasm.h"

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
		else if (err && err->code == GS_EXIT_PERMISSION && !caps_have(CAP_SYS_PTRACE) &&
			 geteuid() == 0)
			/* Root whose bounding set lacks it (a container, CapabilityBoundingSet=). */
			gs_fail(err, GS_EXIT_PERMISSION,
				"no permission to read the executable of %s: missing CAP_SYS_PTRACE, "
				"which this root process does not have (container or service capability "
				"bounding set)", t->comm);
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
	layout_g(&t->rt, &t->cfg.g);
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

	/*
	 * The cycle's start is probed only where its end cannot tell "(forced)" exactly: before Go
	 * 1.21 gcStart sets work.userForced before taking worldsema, so the next cycle can
	 * overwrite it while this one ends. From 1.21 it is set under worldsema and read exactly at
	 * the end, and the start probe, a hit inside the stop-the-world, would only add to the pause.
	 */
	if ((t->rt.minor < GS_GC_START_PROBE_BEFORE &&
	     layout_func_offset(t->bin, GS_FN_GC_START, &off.gc_start, err)) ||
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

/*
 * File offset of fn past its stack check, where the opt-in probes go. When the check fails,
 * morestack runs the function again from its entry, which an entry probe would count twice; it
 * fails not only when the stack must grow but whenever the runtime asks the goroutine to
 * preempt itself (stackguard0 = stackPreempt), which the GC does at every cycle: an entry probe
 * on profilealloc saw 10-90 % more calls than there were.
 */
static int body_offset(const struct target *t, const char *fn, uint64_t *off, struct gs_err *err)
{
	uint64_t skip = 0;
	int rc;

	if (layout_func_offset(t->bin, fn, off, err))
		return -1;
	rc = gobin__after_stack_check(t->bin, fn, &skip);
	if (rc)
		return gs_fail(err, GS_EXIT_ATTACH, "cannot decode the start of %s: %s", fn,
			       strerror(-rc));
	*off += skip;
	return 0;
}

int target__attach_goroutines(struct target *t, struct probes *p, struct gs_err *err)
{
	uint64_t rets[PROBES_MAX_OFFSETS], base, exit_off;
	const char *exit_fn = t->rt.minor >= 22 ? GS_FN_GDESTROY : GS_FN_GOEXIT0;
	size_t n, i;
	int rc;

	rc = gobin__rets(t->bin, GS_FN_NEWPROC1, rets, PROBES_MAX_OFFSETS, &n);
	if (rc || !n)
		return gs_fail(err, GS_EXIT_ATTACH, "cannot find the return instructions of %s: %s",
			       GS_FN_NEWPROC1, rc == -ENOSPC ? "too many" : rc == -EILSEQ ?
			       "its code does not decode" : rc ? strerror(-rc) : "none");
	if (layout_func_offset(t->bin, GS_FN_NEWPROC1, &base, err) ||
	    body_offset(t, exit_fn, &exit_off, err))
		return -1;
	for (i = 0; i < n; i++)
		rets[i] += base;	/* offsets from the entry → file offsets */
	if (probes__attach_optin(p, t->slot, t->pid, t->exe_path, OPTIN_G_CREATE, rets, n, err) ||
	    probes__attach_optin(p, t->slot, t->pid, t->exe_path, OPTIN_G_EXIT, &exit_off, 1, err)) {
		probes__detach_optin(p, t->slot, OPTIN_G_CREATE);
		return -1;
	}
	return 0;
}

int target__attach_allocs(struct target *t, struct probes *p, enum alloc_mode *mode,
			  int64_t *rate, char *why, size_t whylen, struct gs_err *err)
{
	bool large_fn = t->rt.minor >= 24;
	const char *fn = large_fn ? GS_FN_MALLOCGC_LARGE : GS_FN_ALLOC_LARGE;
	uint8_t disabled = 0;
	uint64_t off;
	int64_t r = 0;

	*mode = ALLOC_OFF;
	*rate = 0;
	why[0] = 0;
	if (!t->rt.have[RT_MEM_PROFILE_RATE])
		snprintf(why, whylen, "runtime.MemProfileRate cannot be located in this stripped "
			 "binary, so its sampling cannot be weighted");
	else if (proc_read_mem(t->pid, t->rt.v[RT_MEM_PROFILE_RATE], &r, sizeof(r)))
		snprintf(why, whylen, "cannot read runtime.MemProfileRate");
	else if (r <= 0 && t->rt.have[RT_DISABLE_MEM_PROFILING] &&
		 !proc_read_mem(t->pid, t->rt.v[RT_DISABLE_MEM_PROFILING], &disabled, 1) && disabled)
		snprintf(why, whylen, "memory profiling is compiled out of this binary (it never "
			 "uses runtime/pprof)");
	else if (r <= 0)
		snprintf(why, whylen, "the program turned memory profiling off (MemProfileRate=0)");
	if (!why[0]) {
		if (body_offset(t, GS_FN_PROFILEALLOC, &off, err) ||
		    probes__attach_optin(p, t->slot, t->pid, t->exe_path, OPTIN_ALLOC_SAMPLE, &off, 1,
					 err))
			return -1;
		*mode = ALLOC_SAMPLED;
		*rate = r;
		return 0;
	}
	if (body_offset(t, fn, &off, err) ||
	    probes__attach_optin(p, t->slot, t->pid, t->exe_path,
				 large_fn ? OPTIN_ALLOC_LARGE : OPTIN_ALLOC_LARGE_MCACHE, &off, 1, err))
		return -1;
	*mode = ALLOC_LARGE;
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
