// Command demo is the workload that goscope's "make run" starts and attaches
// to: a Go program whose runtime behaviour changes visibly every few seconds.
//
// It cycles through five phases (about 60 s per cycle by default) and
// announces each step on stderr with a timestamped one-line message:
//
//	1/5 steady allocation   a constant allocation rate over a ~24 MiB live set
//	2/5 goroutine leak      a few thousand goroutines pile up blocked, then
//	                        are released
//	3/5 allocation bursts   the heap jumps to ~100-200 MiB and drops back
//	                        (debug.FreeOSMemory after each burst, so these
//	                        show up as forced cycles too)
//	4/5 GOMAXPROCS change   GOMAXPROCS goes to 1, then back to its original
//	5/5 forced GC           runtime.GC() a few times
//
// A gentle background allocator runs during every phase so GC cycles keep
// happening. -only N repeats phase N alone (the tests use the leak phase). stdout carries one line, "<pid> ready", at start. SIGINT and
// SIGTERM end the program with exit status 0.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const numPhases = 5

var (
	cycleLen   = flag.Duration("cycle", 60*time.Second, "length of one full cycle of the five phases")
	duration   = flag.Duration("duration", 0, "run time before exiting 0 (0 = until killed)")
	burstMB    = flag.Int("burst-mb", 160, "heap added by each allocation burst, in MiB")
	leakTarget = flag.Int("leak", 3000, "number of goroutines the leak phase grows to")
	steadyRate = flag.Int("steady-rate", 48, "allocation rate in MiB/s during the steady phase")
	quietRate  = flag.Int("background-rate", 12, "background allocation rate in MiB/s in the other phases")
	quiet      = flag.Bool("quiet", false, "do not announce phases on stderr")
	only       = flag.Int("only", 0, "run only this phase (1-5), over and over")
)

// allocRate is the background allocator's current rate in bytes per second.
var allocRate int64

// ring is the background allocator's retained set. It is a package variable
// on purpose: as a local that is only ever written, the compiler may keep it
// on the stack and drop the stores, leaving no live heap at all.
var ring [][]byte

func say(format string, args ...interface{}) {
	if *quiet {
		return
	}
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(os.Stderr, "demo: %s %s\n", time.Now().Format("15:04:05.000"), msg)
}

func phase(n int, name, format string, args ...interface{}) {
	say("phase %d/%d %s: %s", n, numPhases, name, fmt.Sprintf(format, args...))
}

// touch writes one byte per page so the memory is really resident: fresh
// spans from the OS are known to be zero and would otherwise stay untouched.
func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
}

// backgroundAlloc allocates continuously at allocRate, replacing entries of a
// fixed-size ring so the live set stays around 24 MiB.
func backgroundAlloc() {
	const slotSize = 16 << 10
	ring = make([][]byte, 1536) // 1536 * 16 KiB = 24 MiB when full
	var small []*[4]uint64
	i := 0
	const tick = 20 * time.Millisecond
	for {
		rate := atomic.LoadInt64(&allocRate)
		perTick := rate / int64(time.Second/tick)
		var done int64
		for done < perTick {
			b := make([]byte, slotSize)
			touch(b)
			ring[i%len(ring)] = b
			i++
			// Some small pointer-carrying garbage too.
			for k := 0; k < 8; k++ {
				small = append(small, &[4]uint64{uint64(i), uint64(k)})
			}
			if len(small) > 4096 {
				small = small[:0]
			}
			done += slotSize + 8*32
		}
		time.Sleep(tick)
	}
}

// sleepFrac sleeps for a fraction of one phase's length.
func sleepFrac(phaseLen time.Duration, f float64) {
	time.Sleep(time.Duration(float64(phaseLen) * f))
}

func steadyPhase(pl time.Duration) {
	atomic.StoreInt64(&allocRate, int64(*steadyRate)<<20)
	phase(1, "steady allocation", "%d MiB/s", *steadyRate)
	sleepFrac(pl, 1)
	atomic.StoreInt64(&allocRate, int64(*quietRate)<<20)
}

func leakPhase(pl time.Duration) {
	n := *leakTarget
	phase(2, "goroutine leak", "growing to %d goroutines", n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	// Grow over ~60% of the phase in 20 steps.
	steps := 20
	per := n / steps
	if per < 1 {
		per = 1
	}
	started := 0
	for s := 0; s < steps && started < n; s++ {
		for k := 0; k < per && started < n; k++ {
			wg.Add(1)
			go func(id int) {
				defer wg.Done()
				buf := make([]byte, 512) // a little per-goroutine garbage
				buf[0] = byte(id)
				<-release
				_ = buf[0]
			}(started)
			started++
		}
		sleepFrac(pl, 0.6/float64(steps))
	}
	phase(2, "goroutine leak", "%d goroutines blocked (NumGoroutine=%d), holding", started, runtime.NumGoroutine())
	sleepFrac(pl, 0.2)
	close(release)
	wg.Wait()
	phase(2, "goroutine leak", "released, NumGoroutine=%d", runtime.NumGoroutine())
	sleepFrac(pl, 0.2)
}

func burstPhase(pl time.Duration) {
	const bursts = 3
	phase(3, "allocation bursts", "%d bursts of %d MiB", bursts, *burstMB)
	for b := 1; b <= bursts; b++ {
		var hold [][]byte
		// Ramp up over ~10% of the phase, in 1 MiB chunks.
		chunks := *burstMB
		step := time.Duration(float64(pl) * 0.1 / float64(chunks))
		for c := 0; c < chunks; c++ {
			buf := make([]byte, 1<<20)
			touch(buf)
			hold = append(hold, buf)
			if c%8 == 7 {
				time.Sleep(8 * step)
			}
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		phase(3, "allocation bursts", "burst %d/%d: holding %d MiB (HeapAlloc=%d MiB)", b, bursts, len(hold), ms.HeapAlloc>>20)
		sleepFrac(pl, 0.1)
		hold = nil
		// Without a collection here the dead burst would sit in the heap
		// until the next natural GC, which the doubled heap goal puts far
		// away, and the next burst would pile on top of it. FreeOSMemory
		// (a forced GC plus an immediate scavenge) makes the heap and RSS
		// visibly drop and keeps the demo's footprint near one burst.
		debug.FreeOSMemory()
		runtime.ReadMemStats(&ms)
		phase(3, "allocation bursts", "burst %d/%d: dropped, debug.FreeOSMemory() (HeapAlloc=%d MiB)", b, bursts, ms.HeapAlloc>>20)
		sleepFrac(pl, 0.1)
		_ = hold
	}
}

func gomaxprocsPhase(pl time.Duration) {
	orig := runtime.GOMAXPROCS(0)
	phase(4, "GOMAXPROCS change", "%d -> 1", orig)
	runtime.GOMAXPROCS(1)
	sleepFrac(pl, 0.5)
	runtime.GOMAXPROCS(orig)
	phase(4, "GOMAXPROCS change", "1 -> %d", orig)
	sleepFrac(pl, 0.5)
}

func forcedGCPhase(pl time.Duration) {
	const n = 4
	phase(5, "forced GC", "runtime.GC() x%d", n)
	for i := 1; i <= n; i++ {
		sleepFrac(pl, 1.0/float64(n+1))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		runtime.GC()
		runtime.ReadMemStats(&after)
		phase(5, "forced GC", "runtime.GC() %d/%d done (NumGC %d -> %d, HeapAlloc=%d MiB)", i, n, before.NumGC, after.NumGC, after.HeapAlloc>>20)
	}
	sleepFrac(pl, 1.0/float64(n+1))
}

func main() {
	flag.Parse()
	if *cycleLen < 5*time.Second {
		*cycleLen = 5 * time.Second
	}
	if *leakTarget < 0 {
		*leakTarget = 0
	}
	if *burstMB < 1 {
		*burstMB = 1
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		say("got %v, exiting", s)
		os.Exit(0)
	}()
	if *duration > 0 {
		go func() {
			time.Sleep(*duration)
			say("duration %v elapsed, exiting", *duration)
			os.Exit(0)
		}()
	}

	atomic.StoreInt64(&allocRate, int64(*quietRate)<<20)
	go backgroundAlloc()

	say("pid %d, %s, GOMAXPROCS=%d, %v per cycle of %d phases", os.Getpid(), runtime.Version(), runtime.GOMAXPROCS(0), *cycleLen, numPhases)
	fmt.Fprintf(os.Stdout, "%d ready\n", os.Getpid())

	pl := *cycleLen / numPhases
	phases := []func(time.Duration){steadyPhase, leakPhase, burstPhase, gomaxprocsPhase, forcedGCPhase}
	if *only >= 1 && *only <= numPhases {
		phases = phases[*only-1 : *only]
	}
	for cycle := 1; ; cycle++ {
		say("cycle %d", cycle)
		for _, p := range phases {
			p(pl)
		}
	}
}
