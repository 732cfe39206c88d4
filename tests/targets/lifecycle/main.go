// Command lifecycle is the test workload for goscope's goroutine-lifecycle
// and allocation-sampling probes. It is driven by commands read line by line
// from stdin; each command runs to completion on the main goroutine, then
// exactly one line "ok <name>[ fields]" or "error <name>...: <reason>" is
// written to stdout (unbuffered: one write per line). At EOF it exits 0.
//
// At start:  ready pid=<pid> go=<runtime.Version()> memprof=<0|1>
//
// memprof is 1 in the default build, which links runtime/pprof (so the linker
// keeps memory profiling enabled), and 0 in the build with -tags noprof,
// which references neither runtime/pprof nor runtime.MemProfile (so the
// linker sets runtime.disableMemoryProfiling and MemProfileRate becomes 0).
//
// Commands (N, M: integers >= 0; SECONDS: float >= 0):
//
//	spawn N          N goroutines started by main.spawnLeaks (site leak)
//	                 running main.leakWorker, each blocked receiving on a
//	                 channel; returns once all N have started  -> ok spawn
//	release M        exactly M blocked leakWorkers return; waits until all M
//	                 have left the function and runtime.NumGoroutine() has
//	                 dropped by M (5 s timeout)               -> ok release
//	spawnother N     the same from main.spawnOthers (site other) running
//	releaseother M   main.otherWorker          -> ok spawnother / ok releaseother
//	spawnwrap N      from main.spawnWrapped, N goroutines at each of five go
//	                 statements with arguments, which the compiler wraps in a
//	                 closure (main.spawnWrapped.gowrapN, Go 1.22+; .funcN
//	                 before) that the goroutine starts in: go leakyWorker(i)
//	                 (site wrap), go p.park(i) (site wrap-method), go park(i)
//	                 with park the method value p.park (site wrap-methodvalue),
//	                 go func(i int) {...}(i) (site wrap-closure) and the same
//	                 with a closure the compiler can inline into its wrapper
//	                 (site wrap-inlined, which blocks in main.blockWrapped);
//	                 all block receiving on one channel     -> ok spawnwrap
//	releasewrap M    M of them return, as release            -> ok releasewrap
//	alloc SECONDS    allocation loop on the main goroutine: 90% of the bytes
//	                 in main.allocDominant (8 KiB, site alloc-dominant),
//	                 10% in main.allocMinor (1 KiB, site alloc-minor)
//	                 -> ok alloc bytes_dominant=<n> bytes_minor=<n>
//	large SECONDS    1 MiB slices in main.allocLarge (site alloc-large) at
//	                 ~200/s                 -> ok large count=<n> bytes=<n>
//	churn SECONDS    goroutines created as fast as possible by main.churnLoop
//	                 (site churn) running main.churnTask, at most 1000 in
//	                 flight               -> ok churn goroutines=<n> per_sec=<r>
//	gc               runtime.GC()                              -> ok gc
//	count            -> ok count goroutines=<runtime.NumGoroutine()>
//	sites            (default build only) the runtime's own count of live
//	                 goroutines per creation site, from the goroutine profile
//	                 (debug=2): one line "site <count> <func> <file>:<line>
//	                 <runs>" per site, most populous first, then "ok sites";
//	                 runs is the function the site's goroutines run as the
//	                 runtime shows it (their outermost frame; the runtime
//	                 hides the compiler's wrappers). The noprof build answers
//	                 "error sites needs the default build"
//	memprof          (default build only) the runtime's own allocation samples
//	                 since start, raw (unweighted), by the innermost function
//	                 outside the runtime, after two GC cycles publish them:
//	                 "memprof <func> <samples> <bytes>" lines, then "ok memprof"
//	sleep SECONDS    -> ok sleep
//
// The entry functions of spawn, spawnother and churn take no arguments, so a go
// statement starts them directly (no compiler-generated wrapper): the new
// goroutine's start function is main.leakWorker etc. and its creator is the
// spawning function. spawnwrap's go statements all have arguments.
// Each site's line (the go statement or the make) ends with the comment
// "// SITE:<site>", which appears nowhere else, for tests to grep.
// Blank lines are ignored; anything else unknown gets "error ...".
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A pool of parked goroutines of one creation site.
type pool struct {
	started sync.WaitGroup // Done just before a worker blocks
	exited  sync.WaitGroup // Done (deferred) as a released worker returns
	release chan struct{}  // one receive per released worker
	blocked int            // workers started and not yet released
}

var (
	leaks  = pool{release: make(chan struct{})}
	others = pool{release: make(chan struct{})}
	wraps  = pool{release: make(chan struct{})}
)

// leakWorker blocks until released by "release".
func leakWorker() {
	defer leaks.exited.Done()
	leaks.started.Done()
	<-leaks.release
}

// otherWorker blocks until released by "releaseother".
func otherWorker() {
	defer others.exited.Done()
	others.started.Done()
	<-others.release
}

//go:noinline
func spawnLeaks(n int) {
	leaks.started.Add(n)
	for i := 0; i < n; i++ {
		go leakWorker() // SITE:leak
	}
	leaks.started.Wait()
	leaks.blocked += n
}

//go:noinline
func spawnOthers(n int) {
	others.started.Add(n)
	for i := 0; i < n; i++ {
		go otherWorker() // SITE:other
	}
	others.started.Wait()
	others.blocked += n
}

var sinkInt int

// leakyWorker blocks until released by "releasewrap"; its argument makes
// `go leakyWorker(i)` a go statement the compiler wraps.
//
//go:noinline
func leakyWorker(i int) {
	defer wraps.exited.Done()
	wraps.started.Done()
	<-wraps.release
	sinkInt = i
}

type parker struct{ id int }

// park is leakyWorker as a method, for a method call and a method value.
//
//go:noinline
func (p *parker) park(i int) {
	defer wraps.exited.Done()
	wraps.started.Done()
	<-wraps.release
	sinkInt = p.id + i
}

// blockWrapped is leakyWorker for the closure of site wrap-inlined.
//
//go:noinline
func blockWrapped(i int) {
	defer wraps.exited.Done()
	wraps.started.Done()
	<-wraps.release
	sinkInt = i
}

//go:noinline
func spawnWrapped(n int) {
	wraps.started.Add(5 * n)
	p := &parker{id: n}
	park := p.park
	for i := 0; i < n; i++ {
		go leakyWorker(i) // SITE:wrap
		go p.park(i)      // SITE:wrap-method
		go park(i)        // SITE:wrap-methodvalue
		go func(i int) {  // SITE:wrap-closure
			defer wraps.exited.Done()
			wraps.started.Done()
			<-wraps.release
			sinkInt = i
		}(i)
		go func(i int) { blockWrapped(i) }(i) // SITE:wrap-inlined
	}
	wraps.started.Wait()
	wraps.blocked += 5 * n
}

// releasePool lets exactly m blocked workers of p return and waits until
// they are gone: each signals (deferred Done) as it returns, then the
// goroutine count must drop by m.
func releasePool(p *pool, m int) error {
	if m > p.blocked {
		return fmt.Errorf("only %d blocked", p.blocked)
	}
	before := runtime.NumGoroutine()
	p.exited.Add(m)
	for i := 0; i < m; i++ {
		p.release <- struct{}{}
	}
	p.blocked -= m
	p.exited.Wait()
	want := before - m
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timeout: %d goroutines 5 s after release, want <= %d", n, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// Package-level sinks make every allocation escape to the heap.
var (
	sinkDominant []byte
	sinkMinor    []byte
	sinkLarge    []byte
)

const (
	dominantSize = 8192
	minorSize    = 1024
	largeSize    = 1 << 20
	// Per round: 9 x 8 KiB dominant, 8 x 1 KiB minor = 90% / 10% of bytes.
	dominantPerRound = 9
	minorPerRound    = 8
)

//go:noinline
func allocDominant() {
	sinkDominant = make([]byte, dominantSize) // SITE:alloc-dominant
}

//go:noinline
func allocMinor() {
	sinkMinor = make([]byte, minorSize) // SITE:alloc-minor
}

//go:noinline
func allocLarge() {
	sinkLarge = make([]byte, largeSize) // SITE:alloc-large
}

func allocLoop(d time.Duration) (dom, minor int64) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		for i := 0; i < dominantPerRound; i++ {
			allocDominant()
		}
		for i := 0; i < minorPerRound; i++ {
			allocMinor()
		}
		dom += dominantPerRound * dominantSize
		minor += minorPerRound * minorSize
	}
	return dom, minor
}

// largeLoop allocates 1 MiB slices at ~200/s (paced against the start time,
// so sleeps do not accumulate drift).
func largeLoop(d time.Duration) (n int64) {
	const interval = 5 * time.Millisecond
	start := time.Now()
	for time.Since(start) < d {
		allocLarge()
		n++
		if wait := time.Duration(n)*interval - time.Since(start); wait > 0 {
			time.Sleep(wait)
		}
	}
	return n
}

const churnBatch = 1000

var churnWG sync.WaitGroup

// churnTask is the tiny goroutine body of "churn".
func churnTask() {
	churnWG.Done()
}

//go:noinline
func churnLoop(d time.Duration) (n int64, elapsed time.Duration) {
	start := time.Now()
	for time.Since(start) < d {
		churnWG.Add(churnBatch)
		for i := 0; i < churnBatch; i++ {
			go churnTask() // SITE:churn
		}
		churnWG.Wait()
		n += churnBatch
	}
	return n, time.Since(start)
}

var out = bufio.NewWriter(os.Stdout)

// reply writes one line and flushes.
func reply(format string, a ...interface{}) {
	fmt.Fprintf(out, format+"\n", a...)
	out.Flush()
}

func parseCount(args []string) (int, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("want one argument, a count")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad count %q", args[0])
	}
	return n, nil
}

func parseSeconds(args []string) (time.Duration, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("want one argument, seconds")
	}
	s, err := strconv.ParseFloat(args[0], 64)
	if err != nil || s < 0 || s > 1e6 {
		return 0, fmt.Errorf("bad seconds %q", args[0])
	}
	return time.Duration(s * float64(time.Second)), nil
}

// run executes one command and returns its reply fields (after "ok <name>").
func run(name string, args []string) (string, error) {
	switch name {
	case "spawn", "spawnother", "release", "releaseother", "spawnwrap", "releasewrap":
		n, err := parseCount(args)
		if err != nil {
			return "", err
		}
		switch name {
		case "spawn":
			spawnLeaks(n)
		case "spawnother":
			spawnOthers(n)
		case "release":
			return "", releasePool(&leaks, n)
		case "releaseother":
			return "", releasePool(&others, n)
		case "spawnwrap":
			spawnWrapped(n)
		case "releasewrap":
			return "", releasePool(&wraps, n)
		}
		return "", nil
	case "alloc", "large", "churn", "sleep":
		d, err := parseSeconds(args)
		if err != nil {
			return "", err
		}
		switch name {
		case "alloc":
			dom, minor := allocLoop(d)
			return fmt.Sprintf(" bytes_dominant=%d bytes_minor=%d", dom, minor), nil
		case "large":
			n := largeLoop(d)
			return fmt.Sprintf(" count=%d bytes=%d", n, n*largeSize), nil
		case "churn":
			n, el := churnLoop(d)
			rate := 0.0
			if el > 0 {
				rate = float64(n) / el.Seconds()
			}
			return fmt.Sprintf(" goroutines=%d per_sec=%.0f", n, rate), nil
		case "sleep":
			time.Sleep(d)
		}
		return "", nil
	case "gc", "count", "sites", "memprof":
		if len(args) != 0 {
			return "", fmt.Errorf("takes no argument")
		}
		switch name {
		case "gc":
			runtime.GC()
		case "count":
			return fmt.Sprintf(" goroutines=%d", runtime.NumGoroutine()), nil
		case "sites":
			return "", writeSites(out)
		case "memprof":
			return "", writeMemProfile(out)
		}
		return "", nil
	}
	return "", fmt.Errorf("unknown command")
}

func main() {
	reply("ready pid=%d go=%s memprof=%d", os.Getpid(), runtime.Version(), memprof)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		fields, err := run(f[0], f[1:])
		switch {
		case err == nil:
			reply("ok %s%s", f[0], fields)
		case err == errNeedsDefault:
			reply("error %s %v", f[0], err)
		default:
			reply("error %s: %v", strings.Join(f, " "), err)
		}
	}
	out.Flush()
	os.Exit(0)
}
