// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "goruntime/layout.h"
#include "gobin/disasm.h"
#include "gobin/pclntab.h"

/* How a row is resolved. */
enum spec_kind {
	GLOBAL_FIELD,	/* address of global + member offset */
	GLOBAL,		/* address of the global itself */
	GLOBAL_BYTES,	/* size of the global, from .symtab */
	TYPE_FIELD,	/* offset of a member inside a struct type */
	TYPE_SIZE,	/* size of a struct type */
};

/*
 * One row per field and range of Go minor versions. Where the runtime renamed or replaced a
 * field, several rows cover the ranges; a field with no row for a release does not exist there.
 * The first column says whether goscope needs the row for every command (REQ) or only for the
 * feature it names (OPT), which alone is lost when the row is missing (enum rt_need). A row is
 * REQ only when the runtime's own GC, scheduler or allocator uses it, so that no program of the
 * release can lack it, and goscope reads it with no way around it: gctrace, the gauges every
 * command shows, the goroutine walk and the layout the goroutine probes are given.
 */
struct field_spec {
	enum rt_need need;
	enum rt_field id;
	enum spec_kind kind;
	const char *global;
	const char *type;
	const char *member;
	int min_minor;
	int max_minor;		/* 0: no upper bound */
};

#define REQ		NEED_CORE
#define OPT(feature)	NEED_##feature

#define MS(n, id, m)	{ n, id, GLOBAL_FIELD, "runtime.memstats", "runtime.mstats", m, 0, 0 }
#define WORK(n, id, m)	{ n, id, GLOBAL_FIELD, "runtime.work", "runtime.workType", m, 0, 0 }
#define GCC(n, id, m)	\
	{ n, id, GLOBAL_FIELD, "runtime.gcController", "runtime.gcControllerState", m, 0, 0 }
#define SCHED(n, id, m, lo, hi)	\
	{ n, id, GLOBAL_FIELD, "runtime.sched", "runtime.schedt", m, lo, hi }
#define HSD(n, id, m)	{ n, id, TYPE_FIELD, NULL, "runtime.heapStatsDelta", m, 0, 0 }
/* A plain global: its address, or (BYTES) its size from .symtab or the recipes. */
#define VAR(n, id, g, lo, hi)	{ n, id, GLOBAL, g, NULL, NULL, lo, hi }
#define BYTES(n, id, g, lo, hi)	{ n, id, GLOBAL_BYTES, g, NULL, NULL, lo, hi }
/* A member of a struct reached through a pointer: its offset. */
#define MEMBER(n, id, t, m, lo, hi)	{ n, id, TYPE_FIELD, NULL, t, m, lo, hi }
/* runtime.cpuStats exported its member names in 1.23. */
#define CPU(id, lo, up)	MEMBER(OPT(METRICS), id, "runtime.cpuStats", lo, 20, 22), \
			MEMBER(OPT(METRICS), id, "runtime.cpuStats", up, 23, 0)

static const struct field_spec specs[] = {
	MS(REQ, RT_MS_HEAPSTATS, "heapStats"),
	MS(REQ, RT_MS_HEAPSTATS_GEN, "heapStats.gen"),
	MS(REQ, RT_MS_STACKS_SYS, "stacks_sys"),
	MS(REQ, RT_MS_PAUSE_TOTAL_NS, "pause_total_ns"),
	MS(REQ, RT_MS_PAUSE_NS, "pause_ns"),
	MS(REQ, RT_MS_LAST_GC_UNIX, "last_gc_unix"),
	MS(REQ, RT_MS_NUMGC, "numgc"),
	MS(REQ, RT_MS_NUMFORCEDGC, "numforcedgc"),
	MS(REQ, RT_MS_GC_CPU_FRACTION, "gc_cpu_fraction"),

	WORK(REQ, RT_WORK_T_SWEEP_TERM, "tSweepTerm"),
	WORK(REQ, RT_WORK_T_MARK, "tMark"),
	WORK(REQ, RT_WORK_T_MARK_TERM, "tMarkTerm"),
	WORK(REQ, RT_WORK_T_END, "tEnd"),
	WORK(REQ, RT_WORK_STWPROCS, "stwprocs"),
	WORK(REQ, RT_WORK_MAXPROCS, "maxprocs"),
	WORK(REQ, RT_WORK_USER_FORCED, "userForced"),
	WORK(REQ, RT_WORK_HEAP0, "heap0"),
	WORK(REQ, RT_WORK_HEAP1, "heap1"),
	WORK(REQ, RT_WORK_HEAP2, "heap2"),
	WORK(REQ, RT_WORK_PAUSE_NS, "pauseNS"),

	GCC(REQ, RT_GCC_GC_PERCENT, "gcPercent"),
	GCC(REQ, RT_GCC_MEMORY_LIMIT, "memoryLimit"),
	GCC(REQ, RT_GCC_GC_PERCENT_HEAP_GOAL, "gcPercentHeapGoal"),
	GCC(REQ, RT_GCC_SWEEP_DIST_MIN_TRIGGER, "sweepDistMinTrigger"),
	GCC(REQ, RT_GCC_TRIGGERED, "triggered"),
	GCC(REQ, RT_GCC_LAST_HEAP_GOAL, "lastHeapGoal"),
	GCC(REQ, RT_GCC_HEAP_LIVE, "heapLive"),
	GCC(REQ, RT_GCC_HEAP_MARKED, "heapMarked"),
	/* gctrace's "MB stacks": 1.19 prints maxStackScan, 1.20 onwards lastStackScan. */
	{ REQ, RT_GCC_STACK_SCAN, GLOBAL_FIELD, "runtime.gcController",
	  "runtime.gcControllerState", "maxStackScan", 0, 19 },
	{ REQ, RT_GCC_STACK_SCAN, GLOBAL_FIELD, "runtime.gcController",
	  "runtime.gcControllerState", "lastStackScan", 20, 0 },
	GCC(REQ, RT_GCC_GLOBALS_SCAN, "globalsScan"),
	GCC(REQ, RT_GCC_ASSIST_TIME, "assistTime"),
	GCC(REQ, RT_GCC_DEDICATED_MARK_TIME, "dedicatedMarkTime"),
	GCC(REQ, RT_GCC_FRACTIONAL_MARK_TIME, "fractionalMarkTime"),
	GCC(REQ, RT_GCC_IDLE_MARK_TIME, "idleMarkTime"),
	GCC(REQ, RT_GCC_HEAP_IN_USE, "heapInUse"),
	GCC(REQ, RT_GCC_HEAP_FREE, "heapFree"),
	GCC(REQ, RT_GCC_HEAP_RELEASED, "heapReleased"),
	GCC(REQ, RT_GCC_TOTAL_ALLOC, "totalAlloc"),
	GCC(REQ, RT_GCC_TOTAL_FREE, "totalFree"),
	GCC(REQ, RT_GCC_MAPPED_READY, "mappedReady"),

	SCHED(REQ, RT_SCHED_NMIDLE, "nmidle", 0, 0),
	SCHED(REQ, RT_SCHED_MNEXT, "mnext", 0, 0),
	SCHED(REQ, RT_SCHED_NMFREED, "nmfreed", 0, 0),
	SCHED(REQ, RT_SCHED_NGSYS, "ngsys", 0, 0),
	SCHED(REQ, RT_SCHED_NPIDLE, "npidle", 0, 0),
	SCHED(REQ, RT_SCHED_NMSPINNING, "nmspinning", 0, 0),
	SCHED(REQ, RT_SCHED_NEEDSPINNING, "needspinning", 20, 0),
	SCHED(REQ, RT_SCHED_RUNQSIZE, "runqsize", 0, 24),
	SCHED(REQ, RT_SCHED_RUNQSIZE, "runq.size", 25, 0),
	SCHED(REQ, RT_SCHED_GFREE_N, "gFree.n", 0, 24),
	SCHED(REQ, RT_SCHED_GFREE_STACK_SIZE, "gFree.stack.size", 25, 0),
	SCHED(REQ, RT_SCHED_GFREE_NOSTACK_SIZE, "gFree.noStack.size", 25, 0),

	VAR(REQ, RT_RUNTIME_INIT_TIME, "runtime.runtimeInitTime", 0, 0),
	VAR(REQ, RT_ALLP, "runtime.allp", 0, 0),
	VAR(REQ, RT_ALLGS, "runtime.allgs", 0, 0),
	VAR(REQ, RT_ALLGLEN, "runtime.allglen", 0, 0),
	VAR(REQ, RT_GOMAXPROCS, "runtime.gomaxprocs", 0, 0),
	VAR(REQ, RT_NCPU, "runtime.ncpu", 0, 24),
	VAR(REQ, RT_NCPU, "runtime.numCPUStartup", 25, 0),
	VAR(REQ, RT_CLASS_TO_SIZE, "runtime.class_to_size", 0, 24),
	VAR(REQ, RT_CLASS_TO_SIZE, "internal/runtime/gc.SizeClassToSize", 25, 0),
	/*
	 * The reason tables are read only to name reasons, and only through their String methods:
	 * a program whose code never names one may go without the table.
	 */
	VAR(OPT(WAIT_NAMES), RT_WAIT_REASON_STRINGS, "runtime.waitReasonStrings", 0, 0),
	BYTES(OPT(WAIT_NAMES), RT_WAIT_REASON_STRINGS_BYTES, "runtime.waitReasonStrings", 0, 0),
	VAR(OPT(STW_NAMES), RT_STW_REASON_STRINGS, "runtime.stwReasonStrings", 21, 0),
	BYTES(OPT(STW_NAMES), RT_STW_REASON_STRINGS_BYTES, "runtime.stwReasonStrings", 21, 0),

	{ REQ, RT_HSD_SIZE, TYPE_SIZE, NULL, "runtime.heapStatsDelta", NULL, 0, 0 },
	HSD(REQ, RT_HSD_IN_STACKS, "inStacks"),
	HSD(REQ, RT_HSD_TINY_ALLOC_COUNT, "tinyAllocCount"),
	HSD(REQ, RT_HSD_LARGE_ALLOC, "largeAlloc"),
	HSD(REQ, RT_HSD_LARGE_ALLOC_COUNT, "largeAllocCount"),
	HSD(REQ, RT_HSD_SMALL_ALLOC_COUNT, "smallAllocCount"),
	HSD(REQ, RT_HSD_LARGE_FREE, "largeFree"),
	HSD(REQ, RT_HSD_LARGE_FREE_COUNT, "largeFreeCount"),
	HSD(REQ, RT_HSD_SMALL_FREE_COUNT, "smallFreeCount"),

	MEMBER(OPT(METRICS), RT_P_STATUS, "runtime.p", "status", 0, 0),
	MEMBER(REQ, RT_P_SCHEDTICK, "runtime.p", "schedtick", 0, 0),
	MEMBER(REQ, RT_P_RUNQHEAD, "runtime.p", "runqhead", 0, 0),
	MEMBER(REQ, RT_P_RUNQTAIL, "runtime.p", "runqtail", 0, 0),
	MEMBER(OPT(METRICS), RT_P_RUNNEXT, "runtime.p", "runnext", 0, 0),
	MEMBER(REQ, RT_P_GFREE_N, "runtime.p", "gFree.n", 0, 24),
	MEMBER(REQ, RT_P_GFREE_N, "runtime.p", "gFree.size", 25, 0),
	MEMBER(REQ, RT_G_ATOMICSTATUS, "runtime.g", "atomicstatus", 0, 0),
	MEMBER(REQ, RT_G_WAITREASON, "runtime.g", "waitreason", 0, 0),
	MEMBER(REQ, RT_G_GOID, "runtime.g", "goid", 0, 0),
	MEMBER(REQ, RT_G_STARTPC, "runtime.g", "startpc", 0, 0),
	MEMBER(REQ, RT_G_GOPC, "runtime.g", "gopc", 0, 0),
	MEMBER(REQ, RT_G_M, "runtime.g", "m", 0, 0),
	MEMBER(REQ, RT_M_CURG, "runtime.m", "curg", 0, 0),
	/* Only goscope stacks unwinds and prints goroutine headers. */
	MEMBER(OPT(STACKS), RT_G_SCHED_PC, "runtime.g", "sched.pc", 0, 0),
	MEMBER(OPT(STACKS), RT_G_SCHED_SP, "runtime.g", "sched.sp", 0, 0),
	MEMBER(OPT(STACKS), RT_G_SCHED_BP, "runtime.g", "sched.bp", 0, 0),
	MEMBER(OPT(STACKS), RT_G_SYSCALLSP, "runtime.g", "syscallsp", 0, 0),
	MEMBER(OPT(STACKS), RT_G_SYSCALLPC, "runtime.g", "syscallpc", 0, 0),
	MEMBER(OPT(STACKS), RT_G_STACK_LO, "runtime.g", "stack.lo", 0, 0),
	MEMBER(OPT(STACKS), RT_G_STACK_HI, "runtime.g", "stack.hi", 0, 0),
	MEMBER(OPT(STACKS), RT_G_LOCKEDM, "runtime.g", "lockedm", 0, 0),
	MEMBER(OPT(STACKS), RT_G_WAITSINCE, "runtime.g", "waitsince", 0, 0),
	MEMBER(OPT(STACKS), RT_G_PARENTGOID, "runtime.g", "parentGoid", 21, 0),
	MEMBER(OPT(STACKS), RT_G_LABELS, "runtime.g", "labels", 0, 0),
	MEMBER(OPT(STACKS), RT_G_BUBBLE, "runtime.g", "bubble", 25, 0),
	MEMBER(OPT(STACKS), RT_BUBBLE_ID, "runtime.synctestBubble", "id", 25, 0),
	MEMBER(OPT(STACKS), RT_M_ID, "runtime.m", "id", 0, 0),
	VAR(OPT(ALLOCS), RT_MEM_PROFILE_RATE, "runtime.MemProfileRate", 0, 0),
	VAR(OPT(ALLOCS), RT_DISABLE_MEM_PROFILING, "runtime.disableMemoryProfiling", 0, 0),

	/* runtime/metrics and MemStats: a metric whose input is missing is unavailable */
	MS(OPT(METRICS), RT_MS_MSPAN_SYS, "mspan_sys"),
	MS(OPT(METRICS), RT_MS_MCACHE_SYS, "mcache_sys"),
	MS(OPT(METRICS), RT_MS_BUCKHASH_SYS, "buckhash_sys"),
	MS(OPT(METRICS), RT_MS_GCMISC_SYS, "gcMiscSys"),
	MS(OPT(METRICS), RT_MS_OTHER_SYS, "other_sys"),
	MS(OPT(METRICS), RT_MS_PAUSE_END, "pause_end"),
	{ OPT(METRICS), RT_MS_GC_PAUSE_DIST, GLOBAL_FIELD, "runtime.memstats", "runtime.mstats",
	  "gcPauseDist", 0, 21 },
	{ OPT(METRICS), RT_MHEAP_SPAN_INUSE, GLOBAL_FIELD, "runtime.mheap_", "runtime.mheap",
	  "spanalloc.inuse", 0, 0 },
	{ OPT(METRICS), RT_MHEAP_CACHE_INUSE, GLOBAL_FIELD, "runtime.mheap_", "runtime.mheap",
	  "cachealloc.inuse", 0, 0 },
	HSD(OPT(METRICS), RT_HSD_COMMITTED, "committed"),
	HSD(OPT(METRICS), RT_HSD_RELEASED, "released"),
	HSD(OPT(METRICS), RT_HSD_IN_HEAP, "inHeap"),
	HSD(OPT(METRICS), RT_HSD_IN_WORKBUFS, "inWorkBufs"),
	MEMBER(OPT(METRICS), RT_HSD_IN_PTRSCALARBITS, "runtime.heapStatsDelta", "inPtrScalarBits",
	       0, 24),
	{ OPT(METRICS), RT_WORK_CPU_STATS, GLOBAL_FIELD, "runtime.work", "runtime.workType",
	  "cpuStats", 20, 0 },
	CPU(RT_CPU_GC_ASSIST, "gcAssistTime", "GCAssistTime"),
	CPU(RT_CPU_GC_DEDICATED, "gcDedicatedTime", "GCDedicatedTime"),
	CPU(RT_CPU_GC_IDLE, "gcIdleTime", "GCIdleTime"),
	CPU(RT_CPU_GC_PAUSE, "gcPauseTime", "GCPauseTime"),
	CPU(RT_CPU_GC_TOTAL, "gcTotalTime", "GCTotalTime"),
	CPU(RT_CPU_SCAV_ASSIST, "scavengeAssistTime", "ScavengeAssistTime"),
	CPU(RT_CPU_SCAV_BG, "scavengeBgTime", "ScavengeBgTime"),
	CPU(RT_CPU_SCAV_TOTAL, "scavengeTotalTime", "ScavengeTotalTime"),
	CPU(RT_CPU_IDLE, "idleTime", "IdleTime"),
	CPU(RT_CPU_USER, "userTime", "UserTime"),
	CPU(RT_CPU_TOTAL, "totalTime", "TotalTime"),
	GCC(OPT(METRICS), RT_GCC_HEAP_SCAN, "heapScan"),
	SCHED(OPT(METRICS), RT_SCHED_TIME_TO_RUN, "timeToRun", 0, 0),
	SCHED(OPT(METRICS), RT_SCHED_STW_STOPPING_GC, "stwStoppingTimeGC", 22, 0),
	SCHED(OPT(METRICS), RT_SCHED_STW_STOPPING_OTHER, "stwStoppingTimeOther", 22, 0),
	SCHED(OPT(METRICS), RT_SCHED_STW_TOTAL_GC, "stwTotalTimeGC", 22, 0),
	SCHED(OPT(METRICS), RT_SCHED_STW_TOTAL_OTHER, "stwTotalTimeOther", 22, 0),
	SCHED(OPT(METRICS), RT_SCHED_MUTEX_WAIT, "totalMutexWaitTime", 20, 0),
	SCHED(OPT(METRICS), RT_SCHED_RTLOCK_WAIT, "totalRuntimeLockWaitTime", 22, 0),
	SCHED(OPT(METRICS), RT_SCHED_GOROUTINES_CREATED, "goroutinesCreated", 26, 0),
	SCHED(OPT(METRICS), RT_SCHED_NGSYSCALL_NOP, "nGsyscallNoP", 26, 0),
	MEMBER(OPT(METRICS), RT_TH_COUNTS, "runtime.timeHistogram", "counts", 0, 0),
	MEMBER(OPT(METRICS), RT_TH_UNDERFLOW, "runtime.timeHistogram", "underflow", 0, 0),
	MEMBER(OPT(METRICS), RT_TH_OVERFLOW, "runtime.timeHistogram", "overflow", 20, 0),
	VAR(OPT(METRICS), RT_ALLM, "runtime.allm", 0, 0),
	VAR(OPT(METRICS), RT_NCGOCALL, "runtime.ncgocall", 0, 0),
	VAR(OPT(METRICS), RT_STARTING_STACK_SIZE, "runtime.startingStackSize", 0, 0),
	{ OPT(METRICS), RT_LIMITER_LAST_ENABLED, GLOBAL_FIELD, "runtime.gcCPULimiter",
	  "runtime.gcCPULimiterState", "lastEnabledCycle", 0, 0 },
	VAR(OPT(METRICS), RT_FINQUEUED, "runtime.finqueued", 25, 0),
	VAR(OPT(METRICS), RT_FINEXECUTED, "runtime.finexecuted", 25, 0),
	{ OPT(METRICS), RT_CLEANUPS_QUEUED, GLOBAL_FIELD, "runtime.gcCleanups",
	  "runtime.cleanupQueue", "queued", 26, 0 },
	{ OPT(METRICS), RT_CLEANUPS_EXECUTED, GLOBAL_FIELD, "runtime.gcCleanups",
	  "runtime.cleanupQueue", "executed", 26, 0 },
	VAR(OPT(METRICS), RT_EXTRAM_INUSE, "runtime.extraMInUse", 21, 0),
	VAR(OPT(METRICS), RT_EXTRAM_LENGTH, "runtime.extraMLength", 21, 0),
	MEMBER(OPT(METRICS), RT_M_ALLLINK, "runtime.m", "alllink", 0, 0),
	MEMBER(OPT(METRICS), RT_M_NCGOCALL, "runtime.m", "ncgocall", 0, 0),
	MEMBER(OPT(METRICS), RT_M_LOCK_WAIT, "runtime.m", "mLockProfile.waitTime", 22, 0),
	MEMBER(OPT(METRICS), RT_P_M, "runtime.p", "m", 0, 0),
	MEMBER(OPT(METRICS), RT_P_GOROUTINES_CREATED, "runtime.p", "goroutinesCreated", 26, 0),
	MEMBER(OPT(METRICS), RT_P_CLEANUPS_QUEUED, "runtime.p", "cleanupsQueued", 26, 0),
	/*
	 * The linker keeps these only in a program that links a GODEBUG setting: without both
	 * globals there is no counter to report (target/godebug.c), which is no loss.
	 */
	VAR(OPT(GODEBUG), RT_GODEBUGS_ALL, "internal/godebugs.All", 21, 0),
	{ OPT(GODEBUG), RT_GDINFO_SIZE, TYPE_SIZE, NULL, "internal/godebugs.Info", NULL, 21, 0 },
	MEMBER(OPT(GODEBUG), RT_GDINFO_NAME, "internal/godebugs.Info", "Name", 21, 0),
	MEMBER(OPT(GODEBUG), RT_GDINFO_OPAQUE, "internal/godebugs.Info", "Opaque", 21, 0),
	VAR(OPT(GODEBUG), RT_GODEBUG_CACHE, "internal/godebug.cache", 21, 0),
	MEMBER(OPT(GODEBUG), RT_GODEBUG_NONDEFAULT, "internal/godebug.setting", "nonDefault", 21,
	       0),
};

/* What each optional need's feature does without its rows, said once to the user. */
static const char *const need_loss[NEED_NR] = {
	[NEED_CORE] = "goscope cannot watch this program",
	[NEED_STW_NAMES] = "stop-the-world pauses other than the GC's are shown with reason "
			   "numbers, not names",
	[NEED_WAIT_NAMES] = "goroutine wait reasons are shown as numbers, not names",
	[NEED_STACKS] = "goroutine stacks cannot be read",
	[NEED_ALLOCS] = "allocation samples cannot be weighted",
	[NEED_METRICS] = "the runtime/metrics values computed from it are unavailable",
	[NEED_GODEBUG] = "no /godebug/non-default-behavior counters (a program without "
			 "internal/godebugs.All has none)",
};

/* Which field feeds each address of the GC probes' layout. */
static const struct {
	size_t slot;
	enum rt_field id;
} gc_slots[] = {
#define S(f, id) { offsetof(struct gs_gc_layout, f), id }
	S(numgc, RT_MS_NUMGC),
	S(gc_cpu_fraction, RT_MS_GC_CPU_FRACTION),
	S(runtime_init_time, RT_RUNTIME_INIT_TIME),
	S(t_sweep_term, RT_WORK_T_SWEEP_TERM),
	S(t_mark, RT_WORK_T_MARK),
	S(t_mark_term, RT_WORK_T_MARK_TERM),
	S(t_end, RT_WORK_T_END),
	S(stwprocs, RT_WORK_STWPROCS),
	S(maxprocs, RT_WORK_MAXPROCS),
	S(user_forced, RT_WORK_USER_FORCED),
	S(heap0, RT_WORK_HEAP0),
	S(heap1, RT_WORK_HEAP1),
	S(heap2, RT_WORK_HEAP2),
	S(pause_ns, RT_WORK_PAUSE_NS),
	S(assist_time, RT_GCC_ASSIST_TIME),
	S(dedicated_mark_time, RT_GCC_DEDICATED_MARK_TIME),
	S(fractional_mark_time, RT_GCC_FRACTIONAL_MARK_TIME),
	S(idle_mark_time, RT_GCC_IDLE_MARK_TIME),
	S(last_heap_goal, RT_GCC_LAST_HEAP_GOAL),
	S(stack_scan, RT_GCC_STACK_SCAN),
	S(globals_scan, RT_GCC_GLOBALS_SCAN),
#undef S
};


static bool spec_applies(const struct field_spec *s, int minor)
{
	return minor >= s->min_minor && (!s->max_minor || minor <= s->max_minor);
}

static bool force_tables;

void layout_test_force_tables(bool on)
{
	force_tables = on;
}

static bool spec_needs_layout(const struct field_spec *s)
{
	return s->kind == GLOBAL_FIELD || s->kind == TYPE_FIELD || s->kind == TYPE_SIZE;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

size_t layout_needs(int minor, struct layout_need *out, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct field_spec *s = &specs[i];
		const char *member = s->kind == TYPE_SIZE ? NULL : s->member;
		bool dup = false;

		if (!spec_applies(s, minor) || !spec_needs_layout(s))
			continue;
		/* An earlier row of the same release may need the same thing. */
		for (j = 0; j < i && !dup; j++)
			dup = spec_applies(&specs[j], minor) && spec_needs_layout(&specs[j]) &&
			      str_eq(specs[j].type, s->type) &&
			      str_eq(specs[j].kind == TYPE_SIZE ? NULL : specs[j].member, member);
		if (dup)
			continue;
		if (n < max) {
			out[n].type = s->type;
			out[n].member = member;
		}
		n++;
	}
	return n;
}

static const struct layout_table *table_for(int minor)
{
	size_t i;

	for (i = 0; i < layout_nr_tables; i++)
		if (layout_tables[i].minor == minor)
			return &layout_tables[i];
	return NULL;
}

int layout_table_lookup(int minor, const char *type, const char *member, uint64_t *value,
			const char **table_version)
{
	const struct layout_table *t = table_for(minor);
	size_t i;

	if (table_version)
		*table_version = t ? t->go_version : NULL;
	if (!t)
		return -1;
	for (i = 0; i < t->nr_entries; i++) {
		const struct layout_table_entry *e = &t->entries[i];

		if (!strcmp(e->type, type) && str_eq(e->member, member)) {
			*value = e->value;
			return 0;
		}
	}
	return -1;
}

/* A built-in layout exists for this release; otherwise say which releases have one. */
static int check_table(const struct go_version *v, struct gs_err *err)
{
	const struct layout_table *newest;
	char have[256] = "";
	size_t i, n = 0;

	if (table_for(v->minor))
		return 0;
	if (!layout_nr_tables)
		return gs_fail(err, GS_EXIT_GO_VERSION,
			       "%s binary has no DWARF and goscope has no built-in layouts", v->str);
	newest = &layout_tables[layout_nr_tables - 1];
	if (v->major == 1 && v->minor > newest->minor)
		return gs_fail(err, GS_EXIT_GO_VERSION,
			       "%s is newer than the newest built-in layout (%s) and the binary has no "
			       "DWARF; goscope cannot read it safely", v->str, newest->go_version);
	for (i = 0; i < layout_nr_tables && n < sizeof(have); i++)
		n += snprintf(have + n, sizeof(have) - n, "%s%s", i ? " " : "",
			      layout_tables[i].go_version);
	return gs_fail(err, GS_EXIT_GO_VERSION,
		       "no built-in layout for %s (built-in: %s) and the binary has no DWARF; "
		       "goscope cannot read it safely", v->str, have);
}

static int table_offset(const struct go_version *v, const char *type, const char *member,
			uint64_t *value, struct gs_err *err)
{
	const char *tv;

	if (!layout_table_lookup(v->minor, type, member, value, &tv))
		return 0;
	if (tv)
		return gs_fail(err, GS_EXIT_GO_VERSION,
			       "%s%s%s is not in the built-in %s layout and this %s binary has no DWARF",
			       type, member ? "." : "", member ? member : "", tv, v->str);
	return check_table(v, err);
}

int layout_check_supported(const struct gobin *b, struct gs_err *err)
{
	const struct go_version *v = gobin__version(b);

	if (v->major != 1 || v->minor < GS_GO_MIN_MINOR)
		return gs_fail(err, GS_EXIT_GO_VERSION,
			       "built with %s; goscope supports Go 1.%d and newer", v->str,
			       GS_GO_MIN_MINOR);
	/* Without DWARF the struct layouts come from the built-in table of this release. */
	if (!gobin__has_dwarf(b) && check_table(v, err))
		return -1;
	/* Without .symtab, functions come from .gopclntab and globals from the code using them. */
	if (!gobin__has_symtab(b) && !gobin__func_count(b))
		return gs_fail(err, GS_EXIT_NO_DEBUG_INFO,
			       "binary has neither a symbol table nor a readable .gopclntab");
	return 0;
}

int layout_type_offset(struct gobin *b, const char *type, const char *member, uint64_t *value,
		       struct gs_err *err)
{
	int ret;

	if (force_tables || !gobin__has_dwarf(b))
		return table_offset(gobin__version(b), type, member, value, err);
	ret = member ? gobin__field_offset(b, type, member, value) : gobin__type_size(b, type, value);
	if (ret)
		return gs_fail(err, GS_EXIT_GO_VERSION, "%s%s%s not found in the DWARF of this %s binary",
			       type, member ? "." : "", member ? member : "", gobin__version(b)->str);
	return 0;
}

static int resolve_one(struct gobin *b, uint64_t bias, const struct field_spec *s, uint64_t *v,
		       struct gs_err *err)
{
	uint64_t base = 0, size = 0, off = 0;
	int rc;

	rc = s->global ? gobin__global(b, s->global, &base, &size) : 0;
	if (rc && gobin__has_symtab(b))
		return gs_fail(err, GS_EXIT_NO_DEBUG_INFO, "symbol %s not found in the binary",
			       s->global);
	/* None of the functions that use it is in the binary: the linker left it out. */
	if (rc == -ENOENT)
		return gs_fail(err, GS_EXIT_NO_DEBUG_INFO, "%s is not in this stripped binary: none "
			       "of the functions that use it is", s->global);
	if (rc)
		return gs_fail(err, GS_EXIT_NO_DEBUG_INFO, "cannot locate %s in this stripped "
			       "binary: the code that uses it does not match what goscope knows of "
			       "this Go release", s->global);
	switch (s->kind) {
	case GLOBAL:
		*v = base + bias;
		return 0;
	case GLOBAL_BYTES:
		*v = size;
		return 0;
	case TYPE_SIZE:
		return layout_type_offset(b, s->type, NULL, v, err);
	case GLOBAL_FIELD:
	case TYPE_FIELD:
		if (layout_type_offset(b, s->type, s->member, &off, err))
			return -1;
		*v = s->kind == GLOBAL_FIELD ? base + bias + off : off;
		return 0;
	}
	return gs_fail(err, GS_EXIT_ERROR, "bad layout row for %s", s->type ? s->type : s->global);
}

int layout_resolve(struct gobin *b, uint64_t bias, struct rt_layout *rt, struct gs_err *err)
{
	size_t i;

	memset(rt, 0, sizeof(*rt));
	rt->minor = gobin__version(b)->minor;
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		const struct field_spec *s = &specs[i];

		if (!spec_applies(s, rt->minor))
			continue;
		if (s->need == NEED_CORE) {
			if (resolve_one(b, bias, s, &rt->v[s->id], err))
				return -1;
		} else {
			struct gs_err why = { 0 };

			if (resolve_one(b, bias, s, &rt->v[s->id], &why)) {
				/* The first row missing says why the need's feature is lost. */
				if (!rt->missing[s->need].code)
					rt->missing[s->need] = why;
				continue;
			}
		}
		rt->have[s->id] = true;
	}
	return 0;
}

const struct gs_err *layout_missing(const struct rt_layout *rt, enum rt_need need)
{
	return need < NEED_NR && rt->missing[need].code ? &rt->missing[need] : NULL;
}

const char *layout_need_loss(enum rt_need need)
{
	return need < NEED_NR ? need_loss[need] : "";
}

void layout_gc(const struct rt_layout *rt, struct gs_gc_layout *lay)
{
	size_t i;

	memset(lay, 0, sizeof(*lay));
	for (i = 0; i < sizeof(gc_slots) / sizeof(gc_slots[0]); i++)
		if (rt->have[gc_slots[i].id])
			*(__u64 *)((char *)lay + gc_slots[i].slot) = rt->v[gc_slots[i].id];
}

void layout_g(const struct rt_layout *rt, struct gs_g_layout *lay)
{
	memset(lay, 0, sizeof(*lay));
	lay->g_goid = rt->v[RT_G_GOID];
	lay->g_gopc = rt->v[RT_G_GOPC];
	lay->g_startpc = rt->v[RT_G_STARTPC];
	lay->g_status = rt->v[RT_G_ATOMICSTATUS];
	lay->g_m = rt->v[RT_G_M];
	lay->m_curg = rt->v[RT_M_CURG];
	if (rt->have[RT_MEM_PROFILE_RATE])
		lay->mem_profile_rate = rt->v[RT_MEM_PROFILE_RATE];
}

int layout_func_offset(const struct gobin *b, const char *fn, uint64_t *off, struct gs_err *err)
{
	uint64_t addr;

	/* .gopclntab is in every Go binary, stripped or not, and agrees with .symtab (tested). */
	if (gobin__func(b, fn, &addr, NULL) && gobin__sym(b, fn, &addr, NULL))
		return gs_fail(err, GS_EXIT_GO_VERSION, "function %s not found in this %s binary", fn,
			       gobin__version(b)->str);
	if (gobin__vaddr_to_offset(b, addr, off))
		return gs_fail(err, GS_EXIT_ERROR, "function %s (0x%llx) is outside every loadable segment",
			       fn, (unsigned long long)addr);
	return 0;
}
