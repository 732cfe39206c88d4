/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which runtime variable and field goscope reads, per Go version, and the one place that turns
 * that knowledge into target addresses (for globals) and offsets (for structs reached through
 * pointers, such as p and g). Names follow the Go runtime's own.
 */
#ifndef GS_LAYOUT_H
#define GS_LAYOUT_H

#include <stdbool.h>
#include "goscope.h"
#include "gobin/gobin.h"

#define GS_GO_MIN_MINOR		19	/* oldest Go release goscope supports */

enum rt_field {
	/* memstats */
	RT_MS_HEAPSTATS,		/* memstats.heapStats.stats[3] */
	RT_MS_HEAPSTATS_GEN,
	RT_MS_STACKS_SYS,
	RT_MS_PAUSE_TOTAL_NS,
	RT_MS_PAUSE_NS,			/* [256]uint64 ring */
	RT_MS_LAST_GC_UNIX,
	RT_MS_NUMGC,
	RT_MS_NUMFORCEDGC,
	RT_MS_GC_CPU_FRACTION,
	/* work */
	RT_WORK_T_SWEEP_TERM,
	RT_WORK_T_MARK,
	RT_WORK_T_MARK_TERM,
	RT_WORK_T_END,
	RT_WORK_STWPROCS,
	RT_WORK_MAXPROCS,
	RT_WORK_USER_FORCED,
	RT_WORK_HEAP0,
	RT_WORK_HEAP1,
	RT_WORK_HEAP2,
	RT_WORK_PAUSE_NS,
	/* gcController */
	RT_GCC_GC_PERCENT,
	RT_GCC_MEMORY_LIMIT,
	RT_GCC_GC_PERCENT_HEAP_GOAL,
	RT_GCC_SWEEP_DIST_MIN_TRIGGER,
	RT_GCC_TRIGGERED,
	RT_GCC_LAST_HEAP_GOAL,
	RT_GCC_HEAP_LIVE,
	RT_GCC_HEAP_MARKED,
	RT_GCC_STACK_SCAN,		/* what gctrace prints as "MB stacks" */
	RT_GCC_GLOBALS_SCAN,
	RT_GCC_ASSIST_TIME,
	RT_GCC_DEDICATED_MARK_TIME,
	RT_GCC_FRACTIONAL_MARK_TIME,
	RT_GCC_IDLE_MARK_TIME,
	RT_GCC_HEAP_IN_USE,
	RT_GCC_HEAP_FREE,
	RT_GCC_HEAP_RELEASED,
	RT_GCC_TOTAL_ALLOC,
	RT_GCC_TOTAL_FREE,
	RT_GCC_MAPPED_READY,
	/* sched */
	RT_SCHED_NMIDLE,
	RT_SCHED_MNEXT,
	RT_SCHED_NMFREED,
	RT_SCHED_NGSYS,
	RT_SCHED_NPIDLE,
	RT_SCHED_NMSPINNING,
	RT_SCHED_NEEDSPINNING,		/* 1.20+ */
	RT_SCHED_RUNQSIZE,		/* runqsize ≤1.24, runq.size 1.25+ */
	RT_SCHED_GFREE_N,		/* gFree.n ≤1.24 */
	RT_SCHED_GFREE_STACK_SIZE,	/* gFree.stack.size 1.25+ */
	RT_SCHED_GFREE_NOSTACK_SIZE,	/* gFree.noStack.size 1.25+ */
	/* plain globals */
	RT_RUNTIME_INIT_TIME,
	RT_ALLP,			/* []*p */
	RT_ALLGS,			/* []*g */
	RT_ALLGLEN,
	RT_GOMAXPROCS,
	RT_NCPU,			/* ncpu ≤1.24, numCPUStartup 1.25+ */
	RT_CLASS_TO_SIZE,		/* [68]uint16 */
	RT_WAIT_REASON_STRINGS,		/* [N]string */
	RT_WAIT_REASON_STRINGS_BYTES,	/* its size from .symtab */
	RT_STW_REASON_STRINGS,		/* [N]string, 1.21+ */
	RT_STW_REASON_STRINGS_BYTES,
	/* struct layouts: offsets, not addresses */
	RT_HSD_SIZE,			/* sizeof(heapStatsDelta) */
	RT_HSD_IN_STACKS,
	RT_HSD_TINY_ALLOC_COUNT,
	RT_HSD_LARGE_ALLOC,
	RT_HSD_LARGE_ALLOC_COUNT,
	RT_HSD_SMALL_ALLOC_COUNT,	/* [numSizeClasses]uint64 */
	RT_HSD_LARGE_FREE,
	RT_HSD_LARGE_FREE_COUNT,
	RT_HSD_SMALL_FREE_COUNT,
	RT_P_STATUS,
	RT_P_SCHEDTICK,
	RT_P_RUNQHEAD,
	RT_P_RUNQTAIL,
	RT_P_RUNNEXT,
	RT_P_GFREE_N,			/* gFree.n ≤1.24, gFree.size 1.25+ */
	RT_G_ATOMICSTATUS,
	RT_G_WAITREASON,
	RT_G_GOID,
	RT_G_STARTPC,
	RT_G_GOPC,
	RT_G_M,
	RT_M_CURG,
	/* what goscope stacks reads of a goroutine (runtime.Stack's header and unwinding) */
	RT_G_SCHED_PC,
	RT_G_SCHED_SP,
	RT_G_SCHED_BP,
	RT_G_SYSCALLSP,
	RT_G_SYSCALLPC,
	RT_G_STACK_LO,
	RT_G_STACK_HI,
	RT_G_LOCKEDM,
	RT_G_WAITSINCE,
	RT_G_PARENTGOID,		/* 1.21+ */
	RT_G_LABELS,
	RT_G_BUBBLE,			/* 1.25+ */
	RT_BUBBLE_ID,			/* synctestBubble.id, 1.25+ */
	RT_M_ID,
	/* what the opt-in allocation probes read */
	RT_MEM_PROFILE_RATE,		/* runtime.MemProfileRate, int */
	RT_DISABLE_MEM_PROFILING,	/* runtime.disableMemoryProfiling, bool */
	/* what runtime/metrics and MemStats read beyond the gauges above */
	RT_MS_MSPAN_SYS,
	RT_MS_MCACHE_SYS,
	RT_MS_BUCKHASH_SYS,
	RT_MS_GCMISC_SYS,
	RT_MS_OTHER_SYS,
	RT_MS_PAUSE_END,		/* [256]uint64 ring */
	RT_MS_GC_PAUSE_DIST,		/* memstats.gcPauseDist, a timeHistogram, ≤1.21 */
	RT_MHEAP_SPAN_INUSE,		/* mheap_.spanalloc.inuse */
	RT_MHEAP_CACHE_INUSE,		/* mheap_.cachealloc.inuse */
	RT_HSD_COMMITTED,
	RT_HSD_RELEASED,
	RT_HSD_IN_HEAP,
	RT_HSD_IN_WORKBUFS,
	RT_HSD_IN_PTRSCALARBITS,	/* ≤1.24 */
	RT_WORK_CPU_STATS,		/* work.cpuStats, 1.20+ */
	RT_CPU_GC_ASSIST,		/* members of runtime.cpuStats */
	RT_CPU_GC_DEDICATED,
	RT_CPU_GC_IDLE,
	RT_CPU_GC_PAUSE,
	RT_CPU_GC_TOTAL,
	RT_CPU_SCAV_ASSIST,
	RT_CPU_SCAV_BG,
	RT_CPU_SCAV_TOTAL,
	RT_CPU_IDLE,
	RT_CPU_USER,
	RT_CPU_TOTAL,
	RT_GCC_HEAP_SCAN,
	RT_SCHED_TIME_TO_RUN,		/* timeHistograms in sched */
	RT_SCHED_STW_STOPPING_GC,	/* 1.22+ */
	RT_SCHED_STW_STOPPING_OTHER,
	RT_SCHED_STW_TOTAL_GC,
	RT_SCHED_STW_TOTAL_OTHER,
	RT_SCHED_MUTEX_WAIT,		/* totalMutexWaitTime, 1.21+ */
	RT_SCHED_RTLOCK_WAIT,		/* totalRuntimeLockWaitTime, 1.22+ */
	RT_SCHED_GOROUTINES_CREATED,	/* 1.26+ */
	RT_SCHED_NGSYSCALL_NOP,		/* 1.26+ */
	RT_TH_COUNTS,			/* members of runtime.timeHistogram */
	RT_TH_UNDERFLOW,
	RT_TH_OVERFLOW,			/* 1.20+ */
	RT_ALLM,
	RT_NCGOCALL,
	RT_STARTING_STACK_SIZE,
	RT_LIMITER_LAST_ENABLED,	/* gcCPULimiter.lastEnabledCycle */
	RT_FINQUEUED,			/* 1.25+ */
	RT_FINEXECUTED,
	RT_CLEANUPS_QUEUED,		/* gcCleanups.queued, 1.26+ */
	RT_CLEANUPS_EXECUTED,
	RT_EXTRAM_INUSE,
	RT_EXTRAM_LENGTH,
	RT_M_ALLLINK,
	RT_M_NCGOCALL,
	RT_M_LOCK_WAIT,			/* mLockProfile.waitTime, 1.22+ */
	RT_P_M,
	RT_P_GOROUTINES_CREATED,	/* 1.26+ */
	RT_P_CLEANUPS_QUEUED,		/* 1.26+ */
	/* the /godebug/non-default-behavior counters, 1.21+ */
	RT_GODEBUGS_ALL,		/* internal/godebugs.All, []Info */
	RT_GDINFO_SIZE,			/* sizeof(internal/godebugs.Info) */
	RT_GDINFO_NAME,
	RT_GDINFO_OPAQUE,
	RT_GODEBUG_CACHE,		/* internal/godebug.cache, a sync.Map of name -> *setting */
	RT_GODEBUG_NONDEFAULT,		/* internal/godebug.setting.nonDefault */
	RT_NR_FIELDS
};

/*
 * What a row of the layout is needed for: its "need" column in layout.c. NEED_CORE rows are
 * required: gctrace and the gauges every command shows read them, and the runtime's GC and
 * scheduler use them, so every program of the release has them; without one, goscope does not
 * know this build and refuses it. Every other row is optional: the linker leaves a global out
 * of a program that never uses it (Go 1.21 drops runtime.stwReasonStrings from a program that
 * imports neither os nor anything built on it), and then only the feature named here loses it.
 */
enum rt_need {
	NEED_CORE,		/* required */
	NEED_STW_NAMES,		/* names of stop-the-world reasons: else shown as "reason N" */
	NEED_WAIT_NAMES,	/* names of goroutine wait reasons: else shown as "reason N" */
	NEED_STACKS,		/* goscope stacks, which refuses without them */
	NEED_ALLOCS,		/* weighting allocation samples (target__attach_allocs says why) */
	NEED_METRICS,		/* runtime/metrics and MemStats beyond the gauges: unavailable */
	NEED_GODEBUG,		/* /godebug/ counters; without the globals the program has none */
	NEED_NR
};

/* Every field resolved for one process: an address in the target, or an offset/size. */
struct rt_layout {
	int minor;			/* Go 1.minor */
	uint64_t v[RT_NR_FIELDS];
	/* false: the field does not exist in this release, or it is optional and missing */
	bool have[RT_NR_FIELDS];
	/* Why the first missing row of each optional need is missing; code 0: none is. */
	struct gs_err missing[NEED_NR];
};

/* Refuse binaries goscope cannot read: too old, no symbols, no DWARF. */
int layout_check_supported(const struct gobin *b, struct gs_err *err);

/*
 * Resolve every field for a process whose binary is b and whose load bias is bias (0 unless
 * PIE). Fails naming the first required field of this release that cannot be found; optional
 * ones that cannot be found are left out of have[] and kept in missing[] by need.
 */
int layout_resolve(struct gobin *b, uint64_t bias, struct rt_layout *rt, struct gs_err *err);

/* Why a row of need is missing in this process ("symbol … not found …"), or NULL: none is. */
const struct gs_err *layout_missing(const struct rt_layout *rt, enum rt_need need);

/* What is lost without need's rows, for the user ("… shown as reason numbers"). */
const char *layout_need_loss(enum rt_need need);

/* The addresses the GC probes read, for the BPF side. */
void layout_gc(const struct rt_layout *rt, struct gs_gc_layout *lay);

/* The offsets and addresses the goroutine and allocation probes read, for the BPF side. */
void layout_g(const struct rt_layout *rt, struct gs_g_layout *lay);

/* File offset of a function's entry, for attaching a uprobe to it. */
int layout_func_offset(const struct gobin *b, const char *fn, uint64_t *off, struct gs_err *err);

/*
 * Struct layouts without DWARF. Stripped binaries carry no DWARF, so the offsets and sizes of the
 * runtime structs come from built-in tables, one per Go minor release, generated by
 * scripts/gen-layout-tables.py from the DWARF of reference builds (user/goruntime/layout_tables.c).
 * DWARF, when the binary has it, always wins.
 */
struct layout_table_entry {
	const char *type;	/* e.g. "runtime.gcControllerState" */
	const char *member;	/* dotted member path; NULL: the entry is the size of type */
	uint64_t value;
};

struct layout_table {
	int minor;		/* Go 1.minor */
	const char *go_version;	/* toolchain the table was generated from, e.g. "go1.24.4" */
	const struct layout_table_entry *entries;	/* sorted by type, then member */
	size_t nr_entries;
};

/* In layout_tables.c, sorted by minor. */
extern const struct layout_table layout_tables[];
extern const size_t layout_nr_tables;

/* What the layout needs from a struct type: a member's offset, or (member NULL) its size. */
struct layout_need {
	const char *type;
	const char *member;
};

/*
 * The struct offsets and sizes resolving Go 1.minor needs (rows of kind GLOBAL_FIELD, TYPE_FIELD
 * and TYPE_SIZE), without duplicates. Fills at most max entries of out and returns how many
 * there are in all.
 */
size_t layout_needs(int minor, struct layout_need *out, size_t max);

/*
 * Look up type's member (NULL: type's size) in the built-in table of Go 1.minor. Returns 0 and
 * sets *value, or -1 when the table or the entry is missing. *table_version (if not NULL) is set
 * to the toolchain version of the minor's table, or to NULL when there is no table for it.
 */
int layout_table_lookup(int minor, const char *type, const char *member, uint64_t *value,
			const char **table_version);

/*
 * Offset of type's member (NULL: type's size) in binary b, as layout_resolve finds it: from
 * DWARF when b has DWARF, else from the built-in table for b's Go release. Fails with
 * GS_EXIT_GO_VERSION and a message naming what is missing.
 */
int layout_type_offset(struct gobin *b, const char *type, const char *member, uint64_t *value,
		       struct gs_err *err);

/* Tests only: true makes every struct layout come from the built-in tables, as if no DWARF. */
void layout_test_force_tables(bool on);

#endif
