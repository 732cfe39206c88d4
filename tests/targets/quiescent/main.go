// Command quiescent is a Go workload whose runtime state holds still, so that
// goscope's live readings (goroutine counts and states, heap gauges,
// GOMAXPROCS, GOGC, the memory limit) can be compared with the runtime's own
// numbers, taken inside the process, at a moment the test chooses.
//
// At start it sets up a fixed population of goroutines:
//
//	-chan N     goroutines blocked receiving on a channel nobody sends on
//	-sleep N    goroutines in time.Sleep(1h)
//	-syscall N  goroutines blocked in read(2) on the read end of a blocking
//	            pipe (syscall.Pipe2 without O_NONBLOCK): they are in _Gsyscall,
//	            each on its own thread, not parked on the netpoller
//	-spin N     goroutines in a busy loop that never allocates
//	-mutex N    goroutines blocked in Lock on a sync.Mutex held forever
//
// and a heap: -alloc MiB of live heap retained in 64 KiB chunks, then
// -panicnil P recovered panic(nil) calls (run with GODEBUG=panicnil=1, Go 1.21+
// counts each in /godebug/non-default-behavior/panicnil:events; the program
// imports os/exec so that internal/godebug, which keeps those counters, is
// linked in), then -gc K calls of runtime.GC(). It waits until every blocker has reached its blocking
// state (checked in runtime.Stack's goroutine headers), warms the runtime's
// caches that would otherwise allocate later (idle threads, sudogs, see
// warmThreads and warmSudogs) and waits until the heap counters stop moving.
// Then it prints "<pid> ready" on stdout and from then on allocates nothing:
// the main goroutine only waits for signals.
//
// SIGUSR1 writes an oracle snapshot, one JSON object, to the -out file
// (truncated and rewritten in place, then fsynced; the descriptor stays open)
// and then prints "<pid> snapshot N" on stdout (N counts snapshots from 1).
// Read the file only after that line: a snapshot is not written atomically.
// The runtime is read in this order: the monotonic clock (runtime.nanotime,
// i.e. CLOCK_MONOTONIC in ns), runtime/metrics.Read of every metric of
// metrics.All() (histograms included), NumGoroutine, GOMAXPROCS(0), NumCPU,
// debug.SetMemoryLimit(-1), runtime.ReadMemStats, and the monotonic clock
// again. Everything the snapshot needs (the MemStats, the metrics samples and
// the histogram values that the first metrics.Read allocates and every later
// one fills in place, the output buffers, the file descriptor) is allocated
// at start (a dry run makes that first Read) and formatting uses only
// strconv.Append*, so a snapshot allocates nothing at all, neither while
// reading nor between ReadMemStats and the end of the write: main_test.go
// checks the whole snapshot with testing.AllocsPerRun and TotalAlloc, and
// -check the part after ReadMemStats on every snapshot (a second
// ReadMemStats after the write; the difference goes to stderr as "<pid>
// check: snapshot N: format+write allocated B bytes in K objects").
//
// The snapshot is one JSON object with these keys:
//
//	"pid", "seq" (= N)
//	"mono_before_ns", "mono_after_ns"
//	            runtime.nanotime() (CLOCK_MONOTONIC, ns) right before
//	            metrics.Read and right after ReadMemStats: every reading of
//	            the snapshot was taken between the two (the /cpu/classes
//	            metrics, for one, depend on when they are read)
//	"num_goroutine", "gomaxprocs", "num_cpu"
//	"gogc"      the last value given to debug.SetGCPercent, learnt at start
//	"memory_limit"  debug.SetMemoryLimit(-1)
//	"memstats"  every field of runtime.MemStats by its Go name: the scalars
//	            Alloc, TotalAlloc, Sys, Lookups, Mallocs, Frees, HeapAlloc,
//	            HeapSys, HeapIdle, HeapInuse, HeapReleased, HeapObjects,
//	            StackInuse, StackSys, MSpanInuse, MSpanSys, MCacheInuse,
//	            MCacheSys, BuckHashSys, GCSys, OtherSys, NextGC, LastGC,
//	            PauseTotalNs, NumGC, NumForcedGC as integers, GCCPUFraction as
//	            a number, EnableGC and DebugGC as true/false; "PauseNs" and
//	            "PauseEnd" as arrays of 256 integers (the runtime's circular
//	            buffers, as they are); "BySize" as an array of 61 objects
//	            {"Size", "Mallocs", "Frees"}; plus "LastPauseNs" (=
//	            PauseNs[(NumGC+255)%256])
//	"metrics"   every runtime/metrics metric of this Go version whose kind is
//	            uint64 or float64, by name (the /godebug/non-default-behavior/
//	            <name>:events counters of Go 1.21+ included): uint64s as
//	            integers, float64s as the shortest decimal that parses back
//	            to the same float64 (strconv 'g', -1), null for a NaN or an
//	            infinity (never seen)
//	"histograms"  every metric whose kind is Float64Histogram, by name:
//	            {"buckets": [...], "counts": [...]}, exactly as the runtime
//	            gives them: len(buckets) == len(counts)+1 boundaries, the
//	            infinities as the strings "-Inf" and "+Inf", the others as
//	            the shortest decimals that parse back to the same float64;
//	            counts as integers
//	"counts"    {"chan", "sleep", "syscall", "spin", "mutex": the flags}
//
// Metrics that a Go version lacks are absent: /gc/gogc:percent and
// /gc/gomemlimit:bytes appeared in Go 1.21, hence "gogc" and
// "memory_limit" above. Integers are written in full and some exceed 2^53
// (LastGC and the PauseEnd entries are ns since 1970; memory_limit and
// /gc/gomemlimit:bytes are math.MaxInt64 by default): read them with a
// parser that keeps integers exact, as Python's json does.
//
// SIGUSR2 first applies runtime.GOMAXPROCS(-maxprocs2), debug.SetGCPercent
// (-gogc2) and debug.SetMemoryLimit(-memlimit2), then writes a snapshot the
// same way. Applying them may itself allocate a little: when GOMAXPROCS
// shrinks, the runtime moves the timers of the Ps it destroys (those of the
// -sleep goroutines, say) into a surviving P's timer heap, which may grow
// (seen: 0 to 4 objects, at most 240 bytes); when it grows, the new Ps are
// heap objects. The snapshot that follows still allocates nothing, and the
// process is quiescent again after it. SIGINT and SIGTERM exit with status
// 0. Send the next signal only after the previous one's "snapshot N" line:
// the kernel merges a signal that is still pending with a new one of the
// same number.
//
// Goroutines counted by runtime.NumGoroutine once ready:
//
//	1 (main, waiting in chan receive on the signal channel)
//	+ 1 (os/signal's watcher, os/signal.loop, started by signal.Notify; it
//	     waits in runtime.signal_recv -> notetsleepg, which is shown as the
//	     "syscall" state and is _Gsyscall)
//	+ chan + sleep + syscall + spin + mutex
//
// Nothing else: the mutex is locked by main, not by a holder goroutine, and
// the runtime's own goroutines are system goroutines that NumGoroutine
// excludes. The expected user goroutine states are therefore: chan receive
// = chan+1, sleep = sleep, syscall = syscall+1, semacquire (Go 1.19;
// "sync.Mutex.Lock" since Go 1.20) = mutex, running or runnable = spin (all
// running if spin <= GOMAXPROCS).
//
// For an observer that walks allgs: the system goroutines present are
// forcegc ("force gc (idle)"), bgsweep ("GC sweep wait"), bgscavenge ("GC
// scavenge wait"), the finalizer goroutine ("finalizer wait"), the signal
// mask goroutine of runtime.ensureSigM ("select", locked to its thread) and
// one GC mark worker per P ("GC worker (idle)"; started at the first GC, so
// present as soon as any GC ran). Since Go 1.26 /sched/goroutines:goroutines
// counts them too (gcount(true)): with GOMAXPROCS 2 it reads NumGoroutine+7.
// allgs also holds several hundred _Gdead goroutines, the exited warm-up
// goroutines, which any goroutine census must skip.
//
// Caveats for tests: if no GC has run for two minutes the runtime forces one
// (sysmon's forcegc; it is not counted in NumForcedGC), which changes NumGC,
// Frees and the heap numbers (take a new snapshot as the baseline after it);
// the background scavenger may return memory to the OS at any time
// (HeapReleased, HeapIdle); the spinners keep /cpu/classes and the
// scheduler's histograms (/sched/latencies:seconds) moving. TotalAlloc,
// Mallocs, Frees and NumGC are otherwise fixed once ready.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	_ "os/exec" // links internal/godebug: the /godebug/non-default-behavior counters are live
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall"
	"time"
	_ "unsafe" // go:linkname
)

// nanotime is the runtime's own clock: CLOCK_MONOTONIC in ns (vDSO
// clock_gettime on linux), the clock of the runtime's timestamps. It does not
// allocate. Pulling it with go:linkname is allowed by every release of the
// matrix: Go 1.23 and later mark runtime.nanotime as linknamed on purpose
// (go.dev/issue/67401); main_test.go checks it against clock_gettime(2).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

var (
	nChan     = flag.Int("chan", 0, "goroutines blocked receiving on a channel")
	nSleep    = flag.Int("sleep", 0, "goroutines in time.Sleep(1h)")
	nSyscall  = flag.Int("syscall", 0, "goroutines blocked in read(2) on a blocking pipe (_Gsyscall)")
	nSpin     = flag.Int("spin", 0, "goroutines in a busy loop that never allocates")
	nMutex    = flag.Int("mutex", 0, "goroutines blocked on a sync.Mutex held forever")
	allocMB   = flag.Int("alloc", 0, "MiB of live heap to allocate and retain at start (64 KiB chunks)")
	nGC       = flag.Int("gc", 0, "number of runtime.GC() calls at start")
	outPath   = flag.String("out", "", "oracle snapshot file, rewritten on SIGUSR1/SIGUSR2 (required)")
	maxProcs2 = flag.Int("maxprocs2", 1, "GOMAXPROCS set on SIGUSR2")
	gogc2     = flag.Int("gogc2", 50, "GC percent set on SIGUSR2 (debug.SetGCPercent)")
	memLimit2 = flag.Int64("memlimit2", 512<<20, "memory limit in bytes set on SIGUSR2 (debug.SetMemoryLimit)")
	check     = flag.Bool("check", false, "after each snapshot, report on stderr what formatting and writing it allocated")
	panicNil  = flag.Int("panicnil", 0, "recovered panic(nil) calls at start (with GODEBUG=panicnil=1, Go 1.21+ counts each in /godebug/non-default-behavior/panicnil:events)")
)

// panicNilOnce panics with a nil value and recovers. With GODEBUG=panicnil=1
// the runtime keeps the old behaviour (no *runtime.PanicNilError) and counts
// it as a non-default behaviour.
func panicNilOnce() {
	defer func() { recover() }()
	panic(nil)
}

// The population, in package variables so that it stays reachable for the
// life of the process.
var (
	blockCh  = make(chan struct{})
	heldMu   sync.Mutex
	pipes    [][2]int
	retained [][]byte
	// One cache line per spinner, so spinners do not share a line.
	spinCount [64]struct {
		n uint64
		_ [56]byte
	}
)

// Snapshot state, all allocated in setupSnapshot.
var (
	memStats   runtime.MemStats
	memCheck   runtime.MemStats // -check: read after the write
	memApply   runtime.MemStats // -check: read before SIGUSR2's changes
	samples    []metrics.Sample
	outFD      int
	stdoutFD   = 1    // the test sends the "snapshot N" lines elsewhere
	outBuf     []byte // JSON snapshot
	lineBuf    []byte // stdout and stderr lines
	pid        int
	snapSeq    uint64
	gcPercent  int // last value set with debug.SetGCPercent (or the start value)
	countsKeys = [...]string{"chan", "sleep", "syscall", "spin", "mutex"}
	countsVals [5]int
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "quiescent: "+format+"\n", args...)
	os.Exit(2)
}

// spin never allocates and never calls a function: only the runtime's
// asynchronous preemption (Go >= 1.14) takes its P away.
func spin(i int) {
	p := &spinCount[i%len(spinCount)].n
	for {
		*p++
	}
}

func main() {
	flag.Parse()
	if *outPath == "" {
		die("-out PATH is required")
	}
	if flag.NArg() != 0 {
		die("unexpected arguments %q", flag.Args())
	}
	for _, v := range []int{*nChan, *nSleep, *nSyscall, *nSpin, *nMutex, *allocMB, *nGC} {
		if v < 0 {
			die("counts must not be negative")
		}
	}
	if *maxProcs2 < 1 {
		die("-maxprocs2 must be at least 1")
	}

	// Register before anything else: the default action of SIGUSR1/2 kills.
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGINT, syscall.SIGTERM)

	// GOGC has no reader: learn it by setting it (before any GC of ours).
	gcPercent = debug.SetGCPercent(100)
	debug.SetGCPercent(gcPercent)

	countsVals = [5]int{*nChan, *nSleep, *nSyscall, *nSpin, *nMutex}
	if err := setupSnapshot(*outPath); err != nil {
		die("%v", err)
	}

	// Live heap.
	const chunk = 64 << 10
	nChunks := (*allocMB << 20) / chunk
	retained = make([][]byte, nChunks)
	for i := range retained {
		b := make([]byte, chunk)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i + j) // make the pages resident
		}
		retained[i] = b
	}

	// Blockers. Each says it started right before blocking; waitStates below
	// then waits for the blocking itself.
	var started sync.WaitGroup
	heldMu.Lock()
	for i := 0; i < *nChan; i++ {
		started.Add(1)
		go func() {
			started.Done()
			for {
				<-blockCh
			}
		}()
	}
	for i := 0; i < *nSleep; i++ {
		started.Add(1)
		go func() {
			started.Done()
			for {
				time.Sleep(time.Hour)
			}
		}()
	}
	pipes = make([][2]int, *nSyscall)
	for i := range pipes {
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil { // blocking: no O_NONBLOCK
			die("pipe2: %v", err)
		}
		pipes[i] = p
		started.Add(1)
		go func(fd int) {
			var b [1]byte
			started.Done()
			for {
				// Nobody ever writes: this blocks in read(2) for good.
				if _, err := syscall.Read(fd, b[:]); err != nil && err != syscall.EINTR {
					die("read pipe: %v", err)
				}
			}
		}(p[0])
	}
	for i := 0; i < *nMutex; i++ {
		started.Add(1)
		go func() {
			started.Done()
			heldMu.Lock() // never returns: main holds heldMu forever
			heldMu.Unlock()
		}()
	}
	started.Wait()
	if err := waitStates(10 * time.Second); err != nil {
		die("%v", err)
	}

	for i := 0; i < *panicNil; i++ {
		panicNilOnce()
	}
	for i := 0; i < *nGC; i++ {
		runtime.GC()
	}

	// Spinners last: they do not slow the setup down.
	for i := 0; i < *nSpin; i++ {
		go spin(i)
	}

	n := runtime.GOMAXPROCS(0)
	if *maxProcs2 > n {
		n = *maxProcs2
	}
	if err := warmThreads(2*n+4, 10*time.Second); err != nil {
		die("%v", err)
	}
	// Dry runs of everything a snapshot does except the write, so first-use
	// initialisation (runtime/metrics' table, the histogram values of the
	// first metrics.Read, stack growth) happens now.
	for i := 0; i < 3; i++ {
		readRuntime()
		formatSnapshot()
	}
	// Every GC empties the central sudog cache: warm it last, and again if
	// a GC (triggered by the setup's own garbage) ran in the meantime.
	for try := 0; ; try++ {
		runtime.ReadMemStats(&memCheck)
		gcs := memCheck.NumGC
		warmSudogs()
		if err := settle(5*time.Second, 5, 20*time.Millisecond); err != nil {
			die("%v", err)
		}
		runtime.ReadMemStats(&memCheck)
		if memCheck.NumGC == gcs {
			break
		}
		if try == 4 {
			die("setup: a GC ran during each of %d attempts to warm the sudog cache", try+1)
		}
	}

	lineBuf = strconv.AppendInt(lineBuf[:0], int64(pid), 10)
	lineBuf = append(lineBuf, " ready\n"...)
	writeAll(1, lineBuf)

	for s := range sigc {
		switch s {
		case syscall.SIGUSR1:
			snapshot()
		case syscall.SIGUSR2:
			if *check {
				runtime.ReadMemStats(&memApply)
			}
			runtime.GOMAXPROCS(*maxProcs2)
			gcPercent = *gogc2
			debug.SetGCPercent(gcPercent)
			debug.SetMemoryLimit(*memLimit2)
			snapshot()
			if *check {
				b := strconv.AppendInt(lineBuf[:0], int64(pid), 10)
				b = append(b, " check: SIGUSR2 changes allocated "...)
				b = strconv.AppendUint(b, memStats.TotalAlloc-memApply.TotalAlloc, 10)
				b = append(b, " bytes in "...)
				b = strconv.AppendUint(b, memStats.Mallocs-memApply.Mallocs, 10)
				b = append(b, " objects\n"...)
				lineBuf = b
				writeAll(2, b)
			}
		default:
			os.Exit(0)
		}
	}
}

// waitStates waits until runtime.Stack shows every blocker in its blocking
// state. Allocates (it is only used during setup).
func waitStates(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got := countStates()
		// Go 1.19 says "semacquire" for a blocked sync.Mutex.Lock, later
		// versions "sync.Mutex.Lock". The signal watcher adds one "syscall".
		if got["chan receive"] >= *nChan && got["sleep"] >= *nSleep &&
			got["syscall"] >= *nSyscall+1 && got["semacquire"]+got["sync.Mutex.Lock"] >= *nMutex {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("blockers did not all block within %v: states %v", timeout, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countStates counts user goroutines by the state runtime.Stack shows in
// their headers ("goroutine 7 [chan receive]:" -> "chan receive").
// Setup only: it allocates, though little garbage (the dump buffer is kept).
func countStates() map[string]int {
	n := runtime.Stack(stackBuf, true)
	for n == len(stackBuf) {
		stackBuf = make([]byte, 2*len(stackBuf))
		n = runtime.Stack(stackBuf, true)
	}
	got := map[string]int{}
	for rest := stackBuf[:n]; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if !bytes.HasPrefix(line, []byte("goroutine ")) {
			continue
		}
		i := bytes.IndexByte(line, '[')
		if i < 0 {
			continue
		}
		st := line[i+1:]
		if j := bytes.IndexAny(st, ",]"); j >= 0 {
			st = st[:j]
		}
		got[string(st)]++
	}
	return got
}

// stackBuf holds countStates' goroutine dumps.
var stackBuf = make([]byte, 1<<20)

// warmSudogs fills the per-P and central sudog caches: a goroutine that parks
// on a channel needs a sudog, and one missing from the caches is allocated on
// the heap. Main parks on the signal channel after every snapshot, possibly
// on a different P each time, so without this the first few snapshots could
// each allocate one.
func warmSudogs() {
	const n = 512
	release := make(chan struct{})
	var parked, done sync.WaitGroup
	parked.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			parked.Done()
			<-release
			done.Done()
		}()
	}
	parked.Wait()
	time.Sleep(20 * time.Millisecond)
	close(release)
	done.Wait()
}

// warmThreads leaves k more idle threads (Ms) in the runtime's pool. An M
// is a heap object, and the runtime starts one whenever it needs a thread
// and has no idle one, e.g. to run other goroutines while main blocks in
// write(2) or fsync(2) during a snapshot. Ms are never freed, so k goroutines
// blocked in read(2) at the same time, then released, leave k idle Ms
// behind.
func warmThreads(k int, timeout time.Duration) error {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return fmt.Errorf("pipe2: %v", err)
	}
	base := countStates()["syscall"]
	var done sync.WaitGroup
	done.Add(k)
	for i := 0; i < k; i++ {
		go func() {
			var b [1]byte
			syscall.Read(p[0], b[:])
			done.Done()
		}()
	}
	deadline := time.Now().Add(timeout)
	for countStates()["syscall"] < base+k {
		if time.Now().After(deadline) {
			return fmt.Errorf("warming threads: %d goroutines did not all block in read(2) within %v", k, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	writeAll(p[1], make([]byte, k))
	done.Wait()
	syscall.Close(p[0])
	syscall.Close(p[1])
	return nil
}

// settle waits until Mallocs and TotalAlloc have not moved for `stable`
// consecutive polls `every` apart: threads started for the blocked syscalls
// (each M is a heap object), timers, sudogs and the like are all in place.
func settle(timeout time.Duration, stable int, every time.Duration) error {
	deadline := time.Now().Add(timeout)
	var prev runtime.MemStats
	runtime.ReadMemStats(&prev)
	same := 0
	for same < stable {
		time.Sleep(every)
		runtime.ReadMemStats(&memCheck)
		if memCheck.Mallocs == prev.Mallocs && memCheck.TotalAlloc == prev.TotalAlloc {
			same++
		} else {
			same = 0
			prev = memCheck
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("heap did not settle within %v (Mallocs %d -> %d)", timeout, prev.Mallocs, memCheck.Mallocs)
		}
	}
	return nil
}

// setupSnapshot allocates everything a snapshot needs and opens the file.
func setupSnapshot(path string) error {
	pid = os.Getpid()
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %v", path, err)
	}
	outFD = fd
	// Every metric of this Go version, in metrics.All() order (sorted by
	// name): the scalars and the histograms. The first metrics.Read of a
	// histogram allocates its value (a Float64Histogram and its Counts;
	// Buckets is the runtime's own slice); every later Read fills the same
	// value in place (runtime.metricValue.float64HistOrInit), so the dry run
	// below makes that first Read.
	samples = samples[:0]
	for _, d := range metrics.All() {
		switch d.Kind {
		case metrics.KindUint64, metrics.KindFloat64, metrics.KindFloat64Histogram:
		default:
			continue // KindBad: no metric of any release has it
		}
		if !plainName(d.Name) {
			continue // never happens; keeps the JSON valid without escaping
		}
		samples = append(samples, metrics.Sample{Name: d.Name})
	}
	samples = samples[:len(samples):len(samples)]
	lineBuf = make([]byte, 0, 256)
	// Size the buffer from a dry run, with room to spare for longer numbers
	// (the snapshot is some 30-60 KB: the histograms and the MemStats arrays).
	outBuf = make([]byte, 0, 256<<10)
	readRuntime()
	formatSnapshot()
	if need := 4 * len(outBuf); need > cap(outBuf) {
		outBuf = make([]byte, 0, need)
	}
	return nil
}

func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

var (
	monoBefore   int64
	monoAfter    int64
	numGoroutine int
	gomaxprocs   int
	numCPU       int
	memLimit     int64
)

// readRuntime reads the runtime in the documented order, ReadMemStats last,
// between two readings of the monotonic clock.
func readRuntime() {
	monoBefore = nanotime()
	if len(samples) > 0 {
		metrics.Read(samples)
	}
	numGoroutine = runtime.NumGoroutine()
	gomaxprocs = runtime.GOMAXPROCS(0)
	numCPU = runtime.NumCPU()
	memLimit = debug.SetMemoryLimit(-1) // negative: read only
	runtime.ReadMemStats(&memStats)
	monoAfter = nanotime()
}

// snapshot reads the runtime, writes the oracle file and announces it.
// Allocates nothing.
func snapshot() {
	readRuntime()
	formatSnapshot()
	snapSeq++
	errno := writeFile()
	if *check {
		runtime.ReadMemStats(&memCheck)
		b := strconv.AppendInt(lineBuf[:0], int64(pid), 10)
		b = append(b, " check: snapshot "...)
		b = strconv.AppendUint(b, snapSeq, 10)
		b = append(b, ": format+write allocated "...)
		b = strconv.AppendUint(b, memCheck.TotalAlloc-memStats.TotalAlloc, 10)
		b = append(b, " bytes in "...)
		b = strconv.AppendUint(b, memCheck.Mallocs-memStats.Mallocs, 10)
		b = append(b, " objects\n"...)
		lineBuf = b
		writeAll(2, b)
	}
	if errno != 0 {
		b := append(lineBuf[:0], "quiescent: writing the snapshot failed: errno "...)
		b = strconv.AppendUint(b, uint64(errno), 10)
		b = append(b, '\n')
		lineBuf = b
		writeAll(2, b)
	}
	b := strconv.AppendInt(lineBuf[:0], int64(pid), 10)
	b = append(b, " snapshot "...)
	b = strconv.AppendUint(b, snapSeq, 10)
	b = append(b, '\n')
	lineBuf = b
	writeAll(stdoutFD, b)
}

// writeFile replaces the file's content with outBuf; returns 0 or an errno.
func writeFile() syscall.Errno {
	if err := syscall.Ftruncate(outFD, 0); err != nil {
		return errnoOf(err)
	}
	if _, err := syscall.Seek(outFD, 0, 0); err != nil {
		return errnoOf(err)
	}
	if e := writeAll(outFD, outBuf); e != 0 {
		return e
	}
	if err := syscall.Fsync(outFD); err != nil {
		return errnoOf(err)
	}
	return 0
}

func errnoOf(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EIO
}

// writeAll writes b to fd with write(2), retrying short writes, EINTR and
// EAGAIN (a non-blocking stdout inherited from the parent).
func writeAll(fd int, b []byte) syscall.Errno {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err != nil {
			if err == syscall.EINTR || err == syscall.EAGAIN {
				continue
			}
			return errnoOf(err)
		}
		b = b[n:]
	}
	return 0
}

func appendKey(b []byte, key string) []byte {
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendU(b []byte, key string, v uint64) []byte {
	b = appendKey(b, key)
	b = strconv.AppendUint(b, v, 10)
	return append(b, ',')
}

func appendI(b []byte, key string, v int64) []byte {
	b = appendKey(b, key)
	b = strconv.AppendInt(b, v, 10)
	return append(b, ',')
}

func appendF(b []byte, key string, v float64) []byte {
	b = appendKey(b, key)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ',')
}

func appendBool(b []byte, key string, v bool) []byte {
	b = appendKey(b, key)
	b = strconv.AppendBool(b, v)
	return append(b, ',')
}

// appendUints appends "key":[v,...],
func appendUints(b []byte, key string, vs []uint64) []byte {
	b = appendKey(b, key)
	b = append(b, '[')
	for _, v := range vs {
		b = strconv.AppendUint(b, v, 10)
		b = append(b, ',')
	}
	b = closeArr(b)
	return append(b, ',')
}

// appendBucket appends a histogram boundary: the strings "-Inf" and "+Inf"
// for the infinities, null for a NaN (never seen), else the shortest decimal
// that parses back to the same float64.
func appendBucket(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, -1):
		return append(b, `"-Inf"`...)
	case math.IsInf(v, 1):
		return append(b, `"+Inf"`...)
	case math.IsNaN(v):
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// closeObj replaces a trailing comma with the closing brace.
func closeObj(b []byte) []byte {
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, '}')
}

// closeArr replaces a trailing comma with the closing bracket.
func closeArr(b []byte) []byte {
	if b[len(b)-1] == ',' {
		b = b[:len(b)-1]
	}
	return append(b, ']')
}

// formatSnapshot renders the values read by readRuntime into outBuf.
func formatSnapshot() {
	m := &memStats
	b := outBuf[:0]
	b = append(b, '{')
	b = appendI(b, "pid", int64(pid))
	b = appendU(b, "seq", snapSeq+1)
	b = appendI(b, "num_goroutine", int64(numGoroutine))
	b = appendI(b, "gomaxprocs", int64(gomaxprocs))
	b = appendI(b, "num_cpu", int64(numCPU))
	b = appendI(b, "gogc", int64(gcPercent))
	b = appendI(b, "memory_limit", memLimit)
	b = appendI(b, "mono_before_ns", monoBefore)
	b = appendI(b, "mono_after_ns", monoAfter)

	// Every field of runtime.MemStats, in declaration order, and LastPauseNs.
	b = appendKey(b, "memstats")
	b = append(b, '{')
	b = appendU(b, "Alloc", m.Alloc)
	b = appendU(b, "TotalAlloc", m.TotalAlloc)
	b = appendU(b, "Sys", m.Sys)
	b = appendU(b, "Lookups", m.Lookups)
	b = appendU(b, "Mallocs", m.Mallocs)
	b = appendU(b, "Frees", m.Frees)
	b = appendU(b, "HeapAlloc", m.HeapAlloc)
	b = appendU(b, "HeapSys", m.HeapSys)
	b = appendU(b, "HeapIdle", m.HeapIdle)
	b = appendU(b, "HeapInuse", m.HeapInuse)
	b = appendU(b, "HeapReleased", m.HeapReleased)
	b = appendU(b, "HeapObjects", m.HeapObjects)
	b = appendU(b, "StackInuse", m.StackInuse)
	b = appendU(b, "StackSys", m.StackSys)
	b = appendU(b, "MSpanInuse", m.MSpanInuse)
	b = appendU(b, "MSpanSys", m.MSpanSys)
	b = appendU(b, "MCacheInuse", m.MCacheInuse)
	b = appendU(b, "MCacheSys", m.MCacheSys)
	b = appendU(b, "BuckHashSys", m.BuckHashSys)
	b = appendU(b, "GCSys", m.GCSys)
	b = appendU(b, "OtherSys", m.OtherSys)
	b = appendU(b, "NextGC", m.NextGC)
	b = appendU(b, "LastGC", m.LastGC)
	b = appendU(b, "PauseTotalNs", m.PauseTotalNs)
	b = appendU(b, "LastPauseNs", m.PauseNs[(m.NumGC+255)%256])
	b = appendUints(b, "PauseNs", m.PauseNs[:])
	b = appendUints(b, "PauseEnd", m.PauseEnd[:])
	b = appendU(b, "NumGC", uint64(m.NumGC))
	b = appendU(b, "NumForcedGC", uint64(m.NumForcedGC))
	b = appendF(b, "GCCPUFraction", m.GCCPUFraction)
	b = appendBool(b, "EnableGC", m.EnableGC)
	b = appendBool(b, "DebugGC", m.DebugGC)
	b = appendKey(b, "BySize")
	b = append(b, '[')
	for i := range m.BySize {
		c := &m.BySize[i]
		b = append(b, '{')
		b = appendU(b, "Size", uint64(c.Size))
		b = appendU(b, "Mallocs", c.Mallocs)
		b = appendU(b, "Frees", c.Frees)
		b = closeObj(b)
		b = append(b, ',')
	}
	b = closeArr(b)
	b = append(b, ',')
	b = closeObj(b)
	b = append(b, ',')

	b = appendKey(b, "metrics")
	b = append(b, '{')
	for i := range samples {
		s := &samples[i]
		switch s.Value.Kind() {
		case metrics.KindUint64:
			b = appendU(b, s.Name, s.Value.Uint64())
		case metrics.KindFloat64:
			b = appendF(b, s.Name, s.Value.Float64())
		}
	}
	b = closeObj(b)
	b = append(b, ',')

	b = appendKey(b, "histograms")
	b = append(b, '{')
	for i := range samples {
		s := &samples[i]
		if s.Value.Kind() != metrics.KindFloat64Histogram {
			continue
		}
		h := s.Value.Float64Histogram()
		b = appendKey(b, s.Name)
		b = append(b, '{')
		b = appendKey(b, "buckets")
		b = append(b, '[')
		for _, v := range h.Buckets {
			b = appendBucket(b, v)
			b = append(b, ',')
		}
		b = closeArr(b)
		b = append(b, ',')
		b = appendUints(b, "counts", h.Counts)
		b = closeObj(b)
		b = append(b, ',')
	}
	b = closeObj(b)
	b = append(b, ',')

	b = appendKey(b, "counts")
	b = append(b, '{')
	for i, k := range countsKeys {
		b = appendI(b, k, int64(countsVals[i]))
	}
	b = closeObj(b)
	b = append(b, '}', '\n')
	outBuf = b
}
