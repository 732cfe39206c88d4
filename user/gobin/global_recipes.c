// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which runtime function, and which of its RIP-relative operands, gives each runtime global, per
 * range of Go releases: data that grows with each release, apart from globals.c, which runs it.
 *
 * Chosen from `go tool objdump` of the matrix builds (Go 1.19, 1.21-1.27; default, PIE, cgo),
 * where the operand sequences of these functions are the same in every build mode. The functions
 * are linked into every Go program (checked on an empty main too), except runtime.stopTheWorld,
 * which 1.21-1.24 drop when nothing calls it: traceLocker.STWStart (1.22+) covers those; and
 * runtime.initMetrics (with its closures), internal/godebug.lookup and .update and
 * runtime/metrics.init.0, which only programs that use runtime/metrics or internal/godebug have.
 * A row whose function the linker left out is not counted.
 *
 * Builds with profile-guided optimization (Go 1.21+; Go's own toolchain binaries, whose profile
 * makes the allocator and the GC hot) inline differently: rows whose count code inlined into
 * their function would move, count in its own code (own), and a function that may be inlined
 * away has a second row in its caller, for its code there.
 */
#include "gobin/global_recipes.h"

const struct gobin_recipe gobin_recipes[] = {
	/*
	 * heapStats.acquire(): memstats.heapStats is the first member of mstats. Counted in each
	 * function's own code: PGO inlines deductSweepCredit (gcController.heapLive) into
	 * allocLarge and newMarkBits (gcBitsArenas) into sweep, ahead of it.
	 */
	{ "runtime.memstats", 0, 0, "runtime.(*mcache).allocLarge", REF_ANY, 0, 0, false, 0, NULL,
	  "runtime.(*mcache).allocLarge" },
	{ "runtime.memstats", 0, 0, "runtime.(*sweepLocked).sweep", REF_LEA, 0, 0, false, 0, NULL,
	  "runtime.(*sweepLocked).sweep" },
	/* work.full.push()/pop(): full is the first member of workType. */
	{ "runtime.work", 0, 0, "runtime.putfull", REF_LEA, 0, 0, false, 0, NULL, NULL },
	{ "runtime.work", 0, 0, "runtime.trygetfull", REF_LEA, 0, 0, false, 0, NULL, NULL },
	/* The receiver of gcController.init() and .commit(). */
	{ "runtime.gcController", 0, 0, "runtime.gcinit", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.gcController", 0, 0, "runtime.gcControllerCommit", REF_ANY, 0, 0, false, 0, NULL,
	  NULL },
	/* sched.goidgen (offset 0) for the extra M's goroutine; lock(&sched.lock) in schedtrace. */
	{ "runtime.sched", 0, 0, "runtime.oneNewExtraM", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.sched", 0, 24, "runtime.schedtrace", REF_LEA, 0, 24, false, 0, NULL, NULL },
	{ "runtime.sched", 25, 0, "runtime.schedtrace", REF_LEA, 0, 32, false, 0, NULL, NULL },
	/* runtimeInitTime = nanotime(), after mainStarted = true. */
	{ "runtime.runtimeInitTime", 0, 0, "runtime.main", REF_MEM, 1, 0, false, 0, NULL, NULL },
	/* The inittrace report, after the three inittrace fields it reads. */
	{ "runtime.runtimeInitTime", 0, 20, "runtime.doInit", REF_MEM, 3, 0, false, 0, NULL, NULL },
	{ "runtime.runtimeInitTime", 21, 0, "runtime.doInit1", REF_MEM, 3, 0, false, 0, NULL,
	  NULL },
	/* for _, p := range allp */
	{ "runtime.allp", 0, 0, "runtime.gcMarkTinyAllocs", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.allp", 0, 0, "runtime.preemptall", REF_ANY, 0, 0, false, 0, NULL, NULL },
	/* for _, gp := range allgs, under allglock (which is in .noptrbss). */
	{ "runtime.allgs", 0, 0, "runtime.forEachG", REF_ANY, 0, 0, false, 0, NULL, NULL },
	/* allgs = append(allgs, gp) reads len or cap first (1.19 and 1.21+ differ). */
	{ "runtime.allgs", 0, 19, "runtime.allgadd", REF_ANY, 0, 8, false, 0, NULL, NULL },
	{ "runtime.allgs", 21, 0, "runtime.allgadd", REF_ANY, 0, 16, false, 0, NULL, NULL },
	/* atomicAllG() loads allglen first; allgadd stores it, after lock(&allglock). */
	{ "runtime.allglen", 0, 0, "runtime.forEachGRace", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.allglen", 0, 0, "runtime.allgadd", REF_LEA, 1, 0, false, 0, NULL, NULL },
	/* old := gomaxprocs; and the worker count enlistWorker compares with it. */
	{ "runtime.gomaxprocs", 0, 0, "runtime.procresize", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.gomaxprocs", 0, 0, "runtime.(*gcControllerState).enlistWorker", REF_ANY, 0, 0,
	  false, 0, NULL, NULL },
	/* ncpu = getproccount(); lock2's "spin only if ncpu > 1". */
	{ "runtime.ncpu", 0, 24, "runtime.osinit", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.ncpu", 0, 24, "runtime.lock2", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.numCPUStartup", 25, 0, "runtime.osinit", REF_ANY, 0, 0, false, 0, NULL, NULL },
	{ "runtime.numCPUStartup", 25, 0, "runtime.lock2", REF_ANY, 0, 0, false, 0, NULL, NULL },
	/*
	 * class_to_size[spanclass.sizeclass()] under a bounds check against _NumSizeClasses;
	 * (*mcentral).grow reads class_to_allocnpages first.
	 */
	{ "runtime.class_to_size", 0, 24, "runtime.(*mcentral).grow", REF_LEA, 1, 0, true, 0, NULL,
	  NULL },
	{ "runtime.class_to_size", 21, 24, "runtime.(*mheap).initSpan", REF_LEA, 0, 0, true, 0,
	  NULL, NULL },
	{ "internal/runtime/gc.SizeClassToSize", 25, 0, "runtime.(*mheap).initSpan", REF_LEA, 0, 0,
	  true, 0, NULL, NULL },
	/* initSpan's code where PGO inlined it into its only caller (the linker drops its copy). */
	{ "runtime.class_to_size", 21, 24, "runtime.(*mheap).allocSpan", REF_LEA, 0, 0, true, 0,
	  NULL, "runtime.(*mheap).initSpan" },
	{ "internal/runtime/gc.SizeClassToSize", 25, 0, "runtime.(*mheap).allocSpan", REF_LEA, 0,
	  0, true, 0, NULL, "runtime.(*mheap).initSpan" },
	/*
	 * The small-object allocator: size_to_class8, size_to_class128, then class_to_size; in
	 * mallocgc's own code up to 1.23, then in mallocgcSmallNoscan, or where PGO inlined that.
	 */
	{ "runtime.class_to_size", 0, 23, "runtime.mallocgc", REF_LEA, 2, 0, true, 0, NULL,
	  "runtime.mallocgc" },
	{ "runtime.class_to_size", 24, 24, "runtime.mallocgcSmallNoscan", REF_LEA, 2, 0, true, 0,
	  NULL, NULL },
	{ "internal/runtime/gc.SizeClassToSize", 25, 0, "runtime.mallocgcSmallNoscan", REF_LEA, 2,
	  0, true, 0, NULL, NULL },
	{ "runtime.class_to_size", 24, 24, "runtime.mallocgc", REF_LEA, 2, 0, true, 0, NULL,
	  "runtime.mallocgcSmallNoscan" },
	{ "internal/runtime/gc.SizeClassToSize", 25, 0, "runtime.mallocgc", REF_LEA, 2, 0, true, 0,
	  NULL, "runtime.mallocgcSmallNoscan" },
	/*
	 * waitReason.String: if r < len(waitReasonStrings) { return waitReasonStrings[r] }; the
	 * per-G closure of schedtrace prints gp.waitreason.String(), inlined.
	 */
	{ "runtime.waitReasonStrings", 0, 0, "runtime.waitReason.String", REF_LEA, 0, 0, true, 0,
	  NULL, NULL },
	{ "runtime.waitReasonStrings", 0, 0, "runtime.schedtrace.func1", REF_LEA, 0, 0, true, 0,
	  NULL, NULL },
	/* String() is inlined here too, but other CMPs come between its bounds check and LEA. */
	{ "runtime.waitReasonStrings", 0, 0, "runtime.goroutineheader", REF_LEA, 1, 0, false, 0,
	  NULL, NULL },
	/* stwReason.String, inlined: return stwReasonStrings[r], bounds-checked. */
	{ "runtime.stwReasonStrings", 21, 0, "runtime.stopTheWorld", REF_LEA, 0, 0, true, 0, NULL,
	  NULL },
	{ "runtime.stwReasonStrings", 22, 0, "runtime.traceLocker.STWStart", REF_LEA, 0, 0, true, 0,
	  NULL, NULL },
	/*
	 * c.nextSample = nextSample() (inlined, it reads MemProfileRate first) for a new mcache,
	 * after the LEA of emptymspan; in profilealloc after getMCache() loads mcache0 (1.24+ read
	 * it once more first, for c.memProfRate); the large-object allocator's
	 * "MemProfileRate != c.memProfRate" after mcache0 and writeBarrier.
	 */
	{ "runtime.MemProfileRate", 0, 0, "runtime.allocmcache", REF_MEM, 0, 0, false, 0, NULL,
	  NULL },
	{ "runtime.MemProfileRate", 0, 0, "runtime.profilealloc", REF_MEM, 1, 0, false, 0, NULL,
	  NULL },
	{ "runtime.MemProfileRate", 24, 0, "runtime.mallocgcLarge", REF_MEM, 2, 0, false, 0, NULL,
	  NULL },
	/* mallocgcLarge inlined into mallocgc (PGO): its own code reads writeBarrier, then it. */
	{ "runtime.MemProfileRate", 24, 0, "runtime.mallocgc", REF_MEM, 1, 0, false, 0, NULL,
	  "runtime.mallocgcLarge" },
	/*
	 * if disableMemoryProfiling { MemProfileRate = 0 }, in its only reader: runtime's package
	 * initialiser in 1.19 (MemProfileRate = defaultMemProfileRate(512 * 1024), inlined), then
	 * schedinit. One function, so two ways to count in it that must agree: back from the first
	 * operand of MemProfileRate to the nearest bool, and forward among the bools it reads
	 * (internal/cpu feature flags, secureMode, ...). The flag's section is the linker's choice
	 * (see globals[] in globals.c); the rows look in all three, where the other bools have
	 * fixed places.
	 */
	{ "runtime.disableMemoryProfiling", 0, 19, "runtime.init", REF_MEM, 0, 0, false, 1,
	  "runtime.MemProfileRate", NULL },
	{ "runtime.disableMemoryProfiling", 0, 19, "runtime.init", REF_MEM, 0, 0, false, 1, NULL,
	  NULL },
	{ "runtime.disableMemoryProfiling", 21, 0, "runtime.schedinit", REF_MEM, 0, 0, false, 1,
	  "runtime.MemProfileRate", NULL },
	{ "runtime.disableMemoryProfiling", 21, 21, "runtime.schedinit", REF_MEM, 0, 0, false, 1,
	  NULL, NULL },
	{ "runtime.disableMemoryProfiling", 22, 25, "runtime.schedinit", REF_MEM, 8, 0, false, 1,
	  NULL, NULL },
	{ "runtime.disableMemoryProfiling", 26, 0, "runtime.schedinit", REF_MEM, 9, 0, false, 1,
	  NULL, NULL },
	/* mheap_.alloc(npages, spc) for a new span; lock(&mheap_.lock) for a new mcache. */
	{ "runtime.mheap_", 0, 0, "runtime.(*mcentral).grow", REF_LEA, 0, 0, false, 0, NULL, NULL },
	{ "runtime.mheap_", 21, 0, "runtime.(*mcentral).cacheSpan", REF_LEA, 0, 0, false, 0, NULL,
	  "runtime.(*mcentral).grow" },
	{ "runtime.mheap_", 0, 0, "runtime.allocmcache.func1", REF_LEA, 0, 0, false, 0, NULL,
	  NULL },
	/*
	 * mp.alllink = allm, then atomicstorep(&allm, mp); mexit unlinks its M with
	 * for pprev := &allm, after &m0 and lock(&sched.lock).
	 */
	{ "runtime.allm", 0, 0, "runtime.mcommoninit", REF_MEM, 0, 0, false, 0, NULL, NULL },
	{ "runtime.allm", 0, 0, "runtime.mexit", REF_LEA, 2, 0, false, 0, NULL, NULL },
	/*
	 * mexit's atomic.Xadd64(&ncgocall, mp.ncgocall) is the only reader linked into every
	 * program, so two ways to count in it: among the LEAs, and among all operands, where the
	 * writeBarrier check comes first. The /cgo/go-to-c-calls:calls closure of initMetrics
	 * (NumCgoCall, inlined) loads it first, where runtime/metrics is linked in.
	 */
	{ "runtime.ncgocall", 0, 0, "runtime.mexit", REF_LEA, 0, 0, false, 0, NULL, NULL },
	{ "runtime.ncgocall", 0, 0, "runtime.mexit", REF_ANY, 1, 0, false, 0, NULL, NULL },
	{ "runtime.ncgocall", 0, 0, "runtime.initMetrics.func1", REF_MEM, 0, 0, false, 0, NULL,
	  NULL },
	/*
	 * gfput and gfget compare a G's stack with startingStackSize before anything else they
	 * read in .noptrdata; gcComputeStartingStackSize reads maxstacksize first.
	 */
	{ "runtime.startingStackSize", 0, 0, "runtime.gfput", REF_MEM, 0, 0, false, 0, NULL, NULL },
	{ "runtime.startingStackSize", 0, 0, "runtime.gfget", REF_MEM, 0, 0, false, 0, NULL, NULL },
	{ "runtime.startingStackSize", 0, 0, "runtime.gcComputeStartingStackSize", REF_MEM, 1, 0,
	  false, 0, NULL, NULL },
	/*
	 * The limiter's methods take &gcCPULimiter: update, the first LEA in gcAssistAlloc1's own
	 * code (the &gcController.assistTime before it is inlined atomic code, and PGO inlines
	 * gcDrainN, whose &gcController.heapScanWork comes first); and resetCapacity at the end of
	 * procresize, after &allpLock and &gomaxprocs.
	 */
	{ "runtime.gcCPULimiter", 0, 0, "runtime.gcAssistAlloc1", REF_LEA, 0, 0, false, 0, NULL,
	  "runtime.gcAssistAlloc1" },
	{ "runtime.gcCPULimiter", 0, 0, "runtime.procresize", REF_LEA, 2, 0, false, 0, NULL, NULL },
	/*
	 * finReadQueueStats reads finqueued, then finexecuted, under lock(&finlock); the writers
	 * are queuefinalizer's finqueued++ and runFinalizers' finexecuted += n.
	 */
	{ "runtime.finqueued", 25, 0, "runtime.finReadQueueStats", REF_MEM, 0, 0, false, 0, NULL,
	  NULL },
	{ "runtime.finqueued", 25, 0, "runtime.queuefinalizer", REF_MEM, 6, 0, false, 0, NULL,
	  NULL },
	{ "runtime.finexecuted", 25, 0, "runtime.finReadQueueStats", REF_MEM, 1, 0, false, 0, NULL,
	  NULL },
	{ "runtime.finexecuted", 25, 0, "runtime.runFinalizers", REF_MEM, 2, 0, false, 0, NULL,
	  NULL },
	/* gcCleanups.flush() when sweeping ends; gcCleanups.enqueue(fn) for a cleanup special. */
	{ "runtime.gcCleanups", 25, 0, "runtime.(*activeSweep).end", REF_LEA, 0, 0, false, 0, NULL,
	  NULL },
	{ "runtime.gcCleanups", 25, 0, "runtime.freeSpecial", REF_LEA, 1, 0, false, 0, NULL, NULL },
	/*
	 * checkmcount's mcount() - extraMInUse.Load() - extraMLength.Load(); getExtraM's
	 * extraMInUse.Add(1), then unlockextra's extraMLength.Add(-1) (inlined); putExtraM's
	 * extraMInUse.Add(-1), inlined into dropm; addExtraM's unlockextra(mp, 1).
	 */
	{ "runtime.extraMInUse", 21, 0, "runtime.checkmcount", REF_MEM, 0, 0, false, 0, NULL,
	  NULL },
	{ "runtime.extraMInUse", 21, 0, "runtime.getExtraM", REF_LEA, 0, 0, false, 0, NULL, NULL },
	{ "runtime.extraMInUse", 21, 0, "runtime.dropm", REF_LEA, 0, 0, false, 0, NULL, NULL },
	{ "runtime.extraMLength", 21, 0, "runtime.checkmcount", REF_MEM, 1, 0, false, 0, NULL,
	  NULL },
	{ "runtime.extraMLength", 21, 0, "runtime.getExtraM", REF_LEA, 1, 0, false, 0, NULL, NULL },
	{ "runtime.extraMLength", 21, 0, "runtime.addExtraM", REF_LEA, 0, 0, false, 0, NULL, NULL },
	/*
	 * for _, info := range godebugs.All in initMetrics (its first operand in .data, the
	 * pointer) and in runtime/metrics' init (the length); internal/godebug's lookup
	 * (godebugs.Lookup inlined: a binary search from len(All)). None is in every program,
	 * nor is the global.
	 */
	{ "internal/godebugs.All", 21, 0, "runtime.initMetrics", REF_MEM, 0, 0, false, 0, NULL,
	  NULL },
	{ "internal/godebugs.All", 21, 0, "internal/godebug.lookup", REF_MEM, 0, 8, false, 0, NULL,
	  NULL },
	{ "internal/godebugs.All", 21, 0, "runtime/metrics.init.0", REF_MEM, 2, 8, false, 0, NULL,
	  NULL },
	/*
	 * lookup's cache.Load(name) (then cache.LoadOrStore), before &empty; update's cache.Range,
	 * after the &updateMu of its Lock and deferred Unlock, which is in .noptrbss. Both take
	 * &cache as the receiver, whether sync.Map is its own (up to 1.23) or wraps a HashTrieMap.
	 */
	{ "internal/godebug.cache", 21, 0, "internal/godebug.lookup", REF_LEA, 0, 0, false, 0, NULL,
	  NULL },
	{ "internal/godebug.cache", 21, 0, "internal/godebug.update", REF_LEA, 0, 0, false, 0, NULL,
	  NULL },
};

const size_t gobin_nrecipes = sizeof(gobin_recipes) / sizeof(gobin_recipes[0]);
