// Command manyg is a benchmark workload for goscope: many parked goroutines
// (the cost of walking them is what an observer of goroutine states pays)
// and, optionally, a CPU and allocation work loop whose throughput shows how
// much an external observer slows the program down.
//
//	-n N        goroutines parked receiving on a channel nobody sends on
//	-depth D    each parked goroutine first recurses D frames (deeper stacks)
//	-work       run the work loop and report its throughput
//	-workers W  goroutines running the work loop (default 1)
//	-duration   run time before exiting 0 (0 = until killed)
//	-gaps       with -work, also report the longest gap between the work loop's
//	            heartbeats in each second (see below)
//
// stdout: "<pid> ready" once all N goroutines have started and the work loop
// (if any) is running; then, with -work, one line per second,
// "ops <count>", the number of operations completed during that second
// (measured with a ticker; compare averages over many lines, e.g. with and
// without goscope attached, as a throughput ratio). An operation allocates a
// small object (-size bytes, default 64), fills it and hashes it (FNV-1a),
// so it exercises both the allocator (and hence the GC) and the CPU.
//
// With -gaps every line reads "ops <count> maxgap_us <us> gaps_1ms <n>": each
// worker takes a heartbeat (a monotonic clock reading) every 256 operations,
// some tens of microseconds apart; maxgap_us is the longest time between two
// consecutive heartbeats of a worker during that second and gaps_1ms how many
// of them were 1 ms or longer. A program stopped from outside (ptrace, SIGSTOP,
// a stop-the-world) shows a gap as long as the stop; so does a worker thread
// the kernel did not schedule, or the runtime's own GC pauses.
//
// SIGINT and SIGTERM exit with status 0.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	nPark    = flag.Int("n", 1000, "goroutines parked on a channel")
	depth    = flag.Int("depth", 0, "stack frames each parked goroutine recurses before parking")
	work     = flag.Bool("work", false, "run the work loop and print \"ops <count>\" every second")
	workers  = flag.Int("workers", 1, "goroutines running the work loop")
	objSize  = flag.Int("size", 64, "bytes allocated per operation")
	duration = flag.Duration("duration", 0, "run time before exiting 0 (0 = until killed)")
	gaps     = flag.Bool("gaps", false, "with -work, report the longest heartbeat gap per second")
)

var (
	park    = make(chan struct{})
	totalOp uint64 // atomic: operations completed by all workers
	maxGap  uint64 // atomic: longest heartbeat gap (ns) since the last report
	gaps1ms uint64 // atomic: heartbeat gaps of 1 ms or more since the last report
	// sink keeps each worker's newest object reachable, so the allocation
	// cannot be optimised away; one slot per worker, padded.
	sink []struct {
		b    []byte
		hash uint64
		_    [32]byte
	}
)

// parkAt recurses d frames, then parks for good.
//
//go:noinline
func parkAt(d int, started *sync.WaitGroup) int {
	if d > 0 {
		return parkAt(d-1, started) + 1
	}
	started.Done()
	<-park
	return 0
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func worker(id int) {
	slot := &sink[id]
	var n, published uint64
	last := time.Now()
	for {
		b := make([]byte, *objSize)
		for i := range b {
			b[i] = byte(n) + byte(i)
		}
		h := uint64(fnvOffset)
		for _, c := range b {
			h ^= uint64(c)
			h *= fnvPrime
		}
		slot.b = b
		slot.hash ^= h
		n++
		if n-published >= 256 {
			atomic.AddUint64(&totalOp, n-published)
			published = n
			if *gaps {
				now := time.Now()
				heartbeat(uint64(now.Sub(last)))
				last = now
			}
		}
	}
}

// heartbeat records one gap between a worker's heartbeats.
func heartbeat(gap uint64) {
	if gap >= uint64(time.Millisecond) {
		atomic.AddUint64(&gaps1ms, 1)
	}
	for {
		m := atomic.LoadUint64(&maxGap)
		if gap <= m || atomic.CompareAndSwapUint64(&maxGap, m, gap) {
			return
		}
	}
}

func main() {
	flag.Parse()
	if *nPark < 0 || *depth < 0 || *workers < 1 || *objSize < 1 {
		fmt.Fprintln(os.Stderr, "manyg: -n and -depth must be >= 0, -workers and -size >= 1")
		os.Exit(2)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sigs
		os.Exit(0)
	}()
	if *duration > 0 {
		go func() {
			time.Sleep(*duration)
			os.Exit(0)
		}()
	}

	var started sync.WaitGroup
	started.Add(*nPark)
	for i := 0; i < *nPark; i++ {
		go parkAt(*depth, &started)
	}
	started.Wait()

	if *work {
		sink = make([]struct {
			b    []byte
			hash uint64
			_    [32]byte
		}, *workers)
		for i := 0; i < *workers; i++ {
			go worker(i)
		}
	}

	// os.Stdout is unbuffered: each Fprintf is one write.
	fmt.Fprintf(os.Stdout, "%d ready\n", os.Getpid())

	if !*work {
		select {}
	}
	t := time.NewTicker(time.Second)
	last := atomic.LoadUint64(&totalOp)
	for range t.C {
		now := atomic.LoadUint64(&totalOp)
		if *gaps {
			fmt.Fprintf(os.Stdout, "ops %d maxgap_us %d gaps_1ms %d\n", now-last,
				atomic.SwapUint64(&maxGap, 0)/1000, atomic.SwapUint64(&gaps1ms, 0))
		} else {
			fmt.Fprintf(os.Stdout, "ops %d\n", now-last)
		}
		last = now
	}
}
