// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "caps.h"
#include "probes.h"
#include "gc.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

enum { LINK_GC_START, LINK_GC_END, LINK_STW_START, LINK_STW_STOP, NR_LINKS };

struct probes {
	struct gc_bpf *skel;
	struct bpf_link *links[GS_MAX_TARGETS][NR_LINKS];
};

static bool have_cap(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

static int check_privileges(struct gs_err *err)
{
	bool admin = have_cap(CAP_SYS_ADMIN);
	uint64_t missing = 0;
	char names[128];

	if (geteuid() == 0 && admin)
		return 0;
	if (!admin && !have_cap(CAP_BPF))
		missing |= CAPS_BIT(CAP_BPF);
	if (!admin && !have_cap(CAP_PERFMON))
		missing |= CAPS_BIT(CAP_PERFMON);
	if (!have_cap(CAP_SYS_PTRACE))
		missing |= CAPS_BIT(CAP_SYS_PTRACE);
	if (missing)
		return gs_fail(err, GS_EXIT_PERMISSION,
			       "missing %s: loading BPF programs needs root (or CAP_BPF and "
			       "CAP_PERFMON), reading another process CAP_SYS_PTRACE; run goscope "
			       "with sudo", caps_names(missing, names, sizeof(names)));
	return 0;
}

static int check_kernel(struct gs_err *err)
{
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK))
		return gs_fail(err, GS_EXIT_KERNEL,
			       "this kernel has no uprobe support (CONFIG_UPROBE_EVENTS); goscope needs it");
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) <= 0)
		return gs_fail(err, GS_EXIT_KERNEL,
			       "this kernel has no BPF ring buffer (needs Linux 5.8 or newer)");
	return 0;
}

/*
 * Testing aid: GOSCOPE_TEST_RINGBUF_BYTES (a power of two, at least a page) shrinks the ring
 * buffer so the tests can force it to overflow and check that every drop is reported.
 */
static void set_test_ringbuf_size(struct gc_bpf *skel)
{
	const char *s = getenv("GOSCOPE_TEST_RINGBUF_BYTES");
	unsigned long v = s ? strtoul(s, NULL, 0) : 0;

	if (!v)
		return;
	if (bpf_map__set_max_entries(skel->maps.events, (__u32)v))
		log_warn("GOSCOPE_TEST_RINGBUF_BYTES=%s ignored", s);
	else
		log_warn("testing: the BPF ring buffer holds %lu bytes (GOSCOPE_TEST_RINGBUF_BYTES)", v);
}

struct probes *probes__open(struct gs_err *err)
{
	struct probes *p;
	int ret;

	if (check_privileges(err) || check_kernel(err))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	p->skel = gc_bpf__open();
	if (!p->skel) {
		gs_fail(err, GS_EXIT_ERROR, "cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	/* Attached by hand, per target, with a cookie: nothing attaches at load. */
	bpf_program__set_autoattach(p->skel->progs.gc_start, false);
	bpf_program__set_autoattach(p->skel->progs.gc_end, false);
	bpf_program__set_autoattach(p->skel->progs.stw_start, false);
	bpf_program__set_autoattach(p->skel->progs.stw_stop, false);
	set_test_ringbuf_size(p->skel);
	ret = gc_bpf__load(p->skel);
	if (ret) {
		gs_fail(err, ret == -EPERM ? GS_EXIT_PERMISSION : GS_EXIT_KERNEL,
			"cannot load the BPF programs: %s (run with -vv for the verifier log)",
			strerror(-ret));
		goto fail;
	}
	return p;
fail:
	probes__free(p);
	return NULL;
}

void probes__free(struct probes *p)
{
	unsigned int i;

	if (!p)
		return;
	for (i = 0; i < GS_MAX_TARGETS; i++)
		probes__detach(p, i);
	gc_bpf__destroy(p->skel);
	free(p);
}

static struct bpf_link *attach_one(struct bpf_program *prog, unsigned int slot, pid_t pid,
				   const char *exe, uint64_t off, const char *what,
				   struct gs_err *err)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = slot, .retprobe = false);
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, pid, exe, (size_t)off, &opts);
	if (!link) {
		int e = errno;

		gs_fail(err, e == EPERM || e == EACCES ? GS_EXIT_PERMISSION : GS_EXIT_ATTACH,
			"failed to attach uprobe %s in PID %d: %s", what, pid, strerror(e));
	}
	return link;
}

int probes__attach(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
		   const struct probe_offsets *off, const struct gs_target_cfg *cfg,
		   struct gs_err *err)
{
	const struct {
		struct bpf_program *prog;
		uint64_t off;
		const char *fn;
	} want[NR_LINKS] = {
		[LINK_GC_START] = { p->skel->progs.gc_start, off->gc_start,
				    "runtime.(*gcControllerState).startCycle" },
		[LINK_GC_END] = { p->skel->progs.gc_end, off->gc_end, "runtime.freeStackSpans" },
		[LINK_STW_START] = { p->skel->progs.stw_start, off->stw_start,
				     "runtime.startTheWorldWithSema" },
		[LINK_STW_STOP] = { p->skel->progs.stw_stop, off->stw_stop,
				    "runtime.stopTheWorldWithSema" },
	};
	struct gs_stw_state zero = { 0 };
	int i;

	if (slot >= GS_MAX_TARGETS)
		return gs_fail(err, GS_EXIT_ERROR, "too many targets (at most %d)", GS_MAX_TARGETS);
	if (bpf_map__update_elem(p->skel->maps.target_cfgs, &slot, sizeof(slot), cfg, sizeof(*cfg),
				 BPF_ANY) ||
	    bpf_map__update_elem(p->skel->maps.stw_states, &slot, sizeof(slot), &zero,
				 sizeof(zero), BPF_ANY))
		return gs_fail(err, GS_EXIT_ERROR, "cannot configure the probes for PID %d: %s", pid,
			       strerror(errno));
	for (i = 0; i < NR_LINKS; i++) {
		if (!want[i].off)
			continue;
		p->links[slot][i] = attach_one(want[i].prog, slot, pid, exe, want[i].off, want[i].fn,
					       err);
		if (!p->links[slot][i]) {
			probes__detach(p, slot);
			return -1;
		}
	}
	return 0;
}

void probes__detach(struct probes *p, unsigned int slot)
{
	int i;

	if (slot >= GS_MAX_TARGETS)
		return;
	for (i = 0; i < NR_LINKS; i++) {
		bpf_link__destroy(p->links[slot][i]);
		p->links[slot][i] = NULL;
	}
}

struct ring_buffer *probes__ringbuf(struct probes *p, int (*fn)(void *ctx, void *data, size_t len),
				    void *ctx)
{
	return ring_buffer__new(bpf_map__fd(p->skel->maps.events), fn, ctx, NULL);
}

uint64_t probes__drops(const struct probes *p, unsigned int slot)
{
	if (slot >= GS_MAX_TARGETS)
		return 0;
	return __atomic_load_n(&p->skel->bss->ringbuf_drops[slot], __ATOMIC_RELAXED);
}
