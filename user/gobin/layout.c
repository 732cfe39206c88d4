// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "gobin/layout.h"

/*
 * One row per value a GC probe reads: the runtime global, the DWARF type of that global, the
 * member path inside it (NULL: the global itself) and the Go minor versions the row applies to.
 * Where the runtime switched which variable gctrace prints, two rows cover the two ranges.
 */
struct field_spec {
	size_t slot;		/* offsetof(struct gs_gc_layout, …) */
	const char *global;
	const char *type;
	const char *member;
	int min_minor;
	int max_minor;		/* 0: no upper bound */
};

#define L(f) offsetof(struct gs_gc_layout, f)

static const struct field_spec gc_fields[] = {
	{ L(numgc),		"runtime.memstats", "runtime.mstats", "numgc", 0, 0 },
	{ L(gc_cpu_fraction),	"runtime.memstats", "runtime.mstats", "gc_cpu_fraction", 0, 0 },
	{ L(runtime_init_time),	"runtime.runtimeInitTime", NULL, NULL, 0, 0 },
	{ L(t_sweep_term),	"runtime.work", "runtime.workType", "tSweepTerm", 0, 0 },
	{ L(t_mark),		"runtime.work", "runtime.workType", "tMark", 0, 0 },
	{ L(t_mark_term),	"runtime.work", "runtime.workType", "tMarkTerm", 0, 0 },
	{ L(t_end),		"runtime.work", "runtime.workType", "tEnd", 0, 0 },
	{ L(stwprocs),		"runtime.work", "runtime.workType", "stwprocs", 0, 0 },
	{ L(maxprocs),		"runtime.work", "runtime.workType", "maxprocs", 0, 0 },
	{ L(user_forced),	"runtime.work", "runtime.workType", "userForced", 0, 0 },
	{ L(heap0),		"runtime.work", "runtime.workType", "heap0", 0, 0 },
	{ L(heap1),		"runtime.work", "runtime.workType", "heap1", 0, 0 },
	{ L(heap2),		"runtime.work", "runtime.workType", "heap2", 0, 0 },
	{ L(pause_ns),		"runtime.work", "runtime.workType", "pauseNS", 0, 0 },
	{ L(assist_time),	"runtime.gcController", "runtime.gcControllerState", "assistTime", 0, 0 },
	{ L(dedicated_mark_time), "runtime.gcController", "runtime.gcControllerState",
	  "dedicatedMarkTime", 0, 0 },
	{ L(fractional_mark_time), "runtime.gcController", "runtime.gcControllerState",
	  "fractionalMarkTime", 0, 0 },
	{ L(idle_mark_time),	"runtime.gcController", "runtime.gcControllerState", "idleMarkTime", 0, 0 },
	{ L(last_heap_goal),	"runtime.gcController", "runtime.gcControllerState", "lastHeapGoal", 0, 0 },
	/* gctrace's "MB stacks": 1.19 prints maxStackScan, 1.20 onwards lastStackScan. */
	{ L(stack_scan),	"runtime.gcController", "runtime.gcControllerState", "maxStackScan", 0, 19 },
	{ L(stack_scan),	"runtime.gcController", "runtime.gcControllerState", "lastStackScan", 20, 0 },
	{ L(globals_scan),	"runtime.gcController", "runtime.gcControllerState", "globalsScan", 0, 0 },
};

int layout_check_supported(const struct gobin *b, struct gs_err *err)
{
	const struct go_version *v = gobin__version(b);

	if (v->major != 1 || v->minor < GS_GO_MIN_MINOR)
		return gs_fail(err, GS_EXIT_GO_VERSION,
			       "built with %s; goscope supports Go 1.%d and newer", v->str,
			       GS_GO_MIN_MINOR);
	if (!gobin__has_symtab(b))
		return gs_fail(err, GS_EXIT_NO_DEBUG_INFO,
			       "binary is stripped (no symbol table, e.g. built with -ldflags=-s); "
			       "goscope needs an unstripped build for now");
	if (!gobin__has_dwarf(b))
		return gs_fail(err, GS_EXIT_NO_DEBUG_INFO,
			       "binary has no DWARF debug info (built with -ldflags=-w or stripped); "
			       "goscope needs an unstripped build for now");
	return 0;
}

static bool spec_applies(const struct field_spec *s, int minor)
{
	return minor >= s->min_minor && (!s->max_minor || minor <= s->max_minor);
}

int layout_gc(struct gobin *b, uint64_t bias, struct gs_gc_layout *lay, struct gs_err *err)
{
	int minor = gobin__version(b)->minor;
	size_t i;

	memset(lay, 0, sizeof(*lay));
	for (i = 0; i < sizeof(gc_fields) / sizeof(gc_fields[0]); i++) {
		const struct field_spec *s = &gc_fields[i];
		uint64_t base, off = 0;

		if (!spec_applies(s, minor))
			continue;
		if (gobin__sym(b, s->global, &base, NULL))
			return gs_fail(err, GS_EXIT_NO_DEBUG_INFO, "symbol %s not found in the binary",
				       s->global);
		if (s->member && gobin__field_offset(b, s->type, s->member, &off))
			return gs_fail(err, GS_EXIT_GO_VERSION,
				       "field %s.%s not found in the DWARF of this %s binary",
				       s->type, s->member, gobin__version(b)->str);
		*(uint64_t *)((char *)lay + s->slot) = base + bias + off;
	}
	return 0;
}

int layout_func_offset(const struct gobin *b, const char *fn, uint64_t *off, struct gs_err *err)
{
	uint64_t addr;

	if (gobin__sym(b, fn, &addr, NULL))
		return gs_fail(err, GS_EXIT_GO_VERSION, "function %s not found in this %s binary", fn,
			       gobin__version(b)->str);
	if (gobin__vaddr_to_offset(b, addr, off))
		return gs_fail(err, GS_EXIT_ERROR, "function %s (0x%llx) is outside every loadable segment",
			       fn, (unsigned long long)addr);
	return 0;
}
