// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/capability.h>
#include "target/caps.h"
#include "target/probes.h"
#include "target/proc.h"
#include "util/clock.h"
#include "gc.skel.h"

/* The last slot is never a target's: the hit-cost measurement uses it. */
#define CALIB_SLOT	PROBES_MAX_SLOTS

struct probes {
	struct gc_bpf *skel;
	struct bpf_link *links[GS_MAX_TARGETS][PROG_NR][PROBES_MAX_OFFSETS];
	uint64_t hit_cost_ns;
	bool hit_cost_done;
};

/* The skeleton's program for each entry of the probe table. */
static struct bpf_program *program(const struct probes *p, enum probe_prog prog)
{
	switch (prog) {
	case PROG_GC_START: return p->skel->progs.gc_start;
	case PROG_GC_END: return p->skel->progs.gc_end;
	case PROG_STW_STOP: return p->skel->progs.stw_stop;
	case PROG_STW_START: return p->skel->progs.stw_start;
	case PROG_G_CREATE: return p->skel->progs.g_create;
	case PROG_G_EXIT: return p->skel->progs.g_exit;
	case PROG_ALLOC_SAMPLE: return p->skel->progs.alloc_sample;
	case PROG_ALLOC_LARGE: return p->skel->progs.alloc_large;
	case PROG_ALLOC_LARGE_MCACHE: return p->skel->progs.alloc_large_mcache;
	case PROG_NR: break;
	}
	return NULL;
}

static int check_kernel(struct gs_err *err)
{
	int ret = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);

	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK))
		return gs_fail(err, GS_EXIT_KERNEL,
			       "this kernel has no uprobe support (CONFIG_UPROBE_EVENTS); goscope needs it");
	/* A refused bpf(2) (a container's seccomp profile, say) is not a missing feature. */
	if (ret < 0)
		return gs_fail(err, ret == -EPERM || ret == -EACCES ? GS_EXIT_PERMISSION :
			       GS_EXIT_KERNEL, "the bpf() system call was refused (%s): a seccomp "
			       "profile or missing capabilities (CAP_BPF, CAP_SYS_ADMIN) keep goscope "
			       "from loading BPF programs", strerror(-ret));
	if (ret == 0)
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
	int ret, i;

	if (caps_check_probes(err) || check_kernel(err))
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
	for (i = 0; i < PROG_NR; i++)
		bpf_program__set_autoattach(program(p, (enum probe_prog)i), false);
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
		probes__detach_all(p, i);
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

		/* Linux 6.16 (and stable kernels it was taken into) wants CAP_SYS_ADMIN for uprobes. */
		bool admin = caps_have(CAP_SYS_ADMIN);

		gs_fail(err, e == EPERM || e == EACCES ? GS_EXIT_PERMISSION : GS_EXIT_ATTACH,
			"failed to attach uprobe %s in PID %d: %s%s", what, pid, strerror(e),
			(e == EPERM || e == EACCES) && !admin ? " (this kernel may need CAP_SYS_ADMIN "
			"for uprobes, as Linux 6.16 and later do)" : "");
	}
	return link;
}

int probes__configure(struct probes *p, unsigned int slot, pid_t pid,
		      const struct gs_target_cfg *cfg, struct gs_err *err)
{
	struct gs_stw_state zero = { 0 };

	if (slot >= PROBES_MAX_SLOTS)
		return gs_fail(err, GS_EXIT_ERROR, "too many targets (at most %d)", PROBES_MAX_SLOTS);
	if (bpf_map__update_elem(p->skel->maps.target_cfgs, &slot, sizeof(slot), cfg, sizeof(*cfg),
				 BPF_ANY) ||
	    bpf_map__update_elem(p->skel->maps.stw_states, &slot, sizeof(slot), &zero,
				 sizeof(zero), BPF_ANY))
		return gs_fail(err, GS_EXIT_ERROR, "cannot configure the probes for PID %d: %s", pid,
			       strerror(errno));
	return 0;
}

int probes__attach(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
		   enum probe_prog prog, const uint64_t *offs, size_t n, const char *func,
		   struct gs_err *err)
{
	struct bpf_program *bp = prog < PROG_NR ? program(p, prog) : NULL;
	size_t i;

	if (!bp || slot >= PROBES_MAX_SLOTS || n > PROBES_MAX_OFFSETS)
		return gs_fail(err, GS_EXIT_ERROR, "bad probe request for PID %d", pid);
	probes__detach(p, slot, prog);
	for (i = 0; i < n; i++) {
		p->links[slot][prog][i] = attach_one(bp, slot, pid, exe, offs[i], func, err);
		if (!p->links[slot][prog][i]) {
			probes__detach(p, slot, prog);
			return -1;
		}
	}
	return 0;
}

void probes__detach(struct probes *p, unsigned int slot, enum probe_prog prog)
{
	int i;

	if (slot >= GS_MAX_TARGETS || prog >= PROG_NR)
		return;
	for (i = 0; i < PROBES_MAX_OFFSETS; i++) {
		bpf_link__destroy(p->links[slot][prog][i]);
		p->links[slot][prog][i] = NULL;
	}
}

void probes__detach_all(struct probes *p, unsigned int slot)
{
	int i;

	for (i = 0; i < PROG_NR; i++)
		probes__detach(p, slot, (enum probe_prog)i);
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

void probes__reader_seen(struct probes *p, uint64_t ns)
{
	__atomic_store_n(&p->skel->bss->reader_seen_ns, ns, __ATOMIC_RELAXED);
}

uint64_t probes__hits(const struct probes *p, unsigned int slot, enum gs_optin_probe probe)
{
	if (slot >= GS_MAX_TARGETS || probe >= GS_PROBE_NR)
		return 0;
	return __atomic_load_n(&p->skel->bss->probe_hits[slot * GS_PROBE_NR + probe],
			       __ATOMIC_RELAXED);
}

/*
 * What the hit-cost measurement probes: a function of goscope's own that does nothing, called
 * CALIB_DEPTH frames deep with frame pointers kept, so that the probe walks a stack as deep as a
 * Go program's allocation stacks usually are.
 */
#define CALIB_DEPTH	24

__attribute__((noinline, used)) void goscope_calib_target(void);
__attribute__((noinline, used)) void goscope_calib_target(void)
{
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, optimize("no-omit-frame-pointer")))
static void calib_call(int depth, int calls)
{
	int i;

	if (depth > 0) {
		calib_call(depth - 1, calls);
		__asm__ volatile("" ::: "memory");	/* not a tail call: the frame stays */
		return;
	}
	for (i = 0; i < calls; i++)
		goscope_calib_target();
}

/* Fastest of a few rounds of calls: ns per call. */
static uint64_t calib_time(int calls)
{
	uint64_t best = UINT64_MAX;
	int r;

	for (r = 0; r < 5; r++) {
		uint64_t t0 = clock_mono_ns(), d;

		calib_call(CALIB_DEPTH, calls);
		d = clock_mono_ns() - t0;
		if (d < best)
			best = d;
	}
	return best / (uint64_t)calls;
}

/*
 * File offset of goscope's own code at addr, from /proc/self/maps (no symbol needed: an
 * installed goscope may be stripped). 0 when not found.
 */
static uint64_t self_offset(uintptr_t addr)
{
	char line[4096 + 128];
	FILE *f = fopen("/proc/self/maps", "re");
	struct proc_maps_line m;
	uint64_t off = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (proc_maps_line_parse(line, &m) && addr >= m.start && addr < m.end &&
		    m.perms[2] == 'x') {
			off = addr - m.start + m.off;
			break;
		}
	}
	fclose(f);
	return off;
}

uint64_t probes__hit_cost_ns(struct probes *p)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = CALIB_SLOT);
	struct gs_target_cfg cfg = { 0 };
	unsigned int slot = CALIB_SLOT;
	struct bpf_link *link;
	uint64_t base, probed, off;

	if (p->hit_cost_done)
		return p->hit_cost_ns;
	p->hit_cost_done = true;
	/* If it cannot be measured, assume what it was measured to be on slow machines. */
	p->hit_cost_ns = PROBES_HIT_COST_FALLBACK_NS;
	off = self_offset((uintptr_t)&goscope_calib_target);
	if (!off) {
		log_debug("cannot find goscope's own code in /proc/self/maps; assuming a probe hit "
			  "costs %.0f µs", PROBES_HIT_COST_FALLBACK_NS / 1e3);
		return p->hit_cost_ns;
	}
	/* A zero configuration: no MemProfileRate to check, so every hit walks the stack. */
	if (bpf_map__update_elem(p->skel->maps.target_cfgs, &slot, sizeof(slot), &cfg, sizeof(cfg),
				 BPF_ANY))
		return p->hit_cost_ns;
	base = calib_time(2000);
	link = bpf_program__attach_uprobe_opts(p->skel->progs.alloc_sample, getpid(),
					       "/proc/self/exe", (size_t)off, &opts);
	if (!link) {
		log_debug("cannot measure the cost of a probe hit (%s); assuming %.0f µs",
			  strerror(errno), PROBES_HIT_COST_FALLBACK_NS / 1e3);
		return p->hit_cost_ns;
	}
	probed = calib_time(400);
	bpf_link__destroy(link);
	p->hit_cost_ns = probed > base ? probed - base : 1;
	log_debug("one opt-in probe hit costs %.2f µs here (measured)", p->hit_cost_ns / 1e3);
	return p->hit_cost_ns;
}
