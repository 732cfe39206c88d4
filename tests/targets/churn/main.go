// Command churn is a GC-heavy Go workload for goscope's parity tests.
//
// The tests run it with GODEBUG=gctrace=1 and compare the runtime's own trace
// lines with what goscope reports, so the program is built to make the GC
// busy and varied:
//
//   - several worker goroutines allocate continuously (small pointer-carrying
//     nodes, []byte buffers of mixed size classes, occasional large objects);
//   - each worker keeps part of what it allocates in a retained live set whose
//     total target oscillates smoothly between -min-live and -max-live MiB
//     with period -period, so heap goals and mark work rise and fall;
//   - a ticker calls runtime.GC() every -force interval so "(forced)" cycles
//     show up in the trace;
//   - allocation is paced to -rate MiB/s so CPU use stays bounded.
//
// stdout carries exactly one line, "<pid> ready", written once the workload
// is running. SIGINT and SIGTERM end the program quietly with exit status 0,
// as does the end of -duration when it is non-zero.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// node is a small pointer-carrying object: it gives the marker something to
// trace and exercises the small-object size classes.
type node struct {
	next  *node
	other *chunk
	val   uint64
}

// chunk is a retained or discarded buffer, optionally linked to another live
// chunk so the live set forms a graph rather than a flat list of leaves.
type chunk struct {
	buf  []byte
	link *chunk
	head *node
}

// drop cuts a chunk's outgoing references when it leaves the live set. Other
// live chunks may still link to it; without this, chains of links would keep
// every chunk ever retained reachable and the live set would only grow.
func (c *chunk) drop() {
	c.buf = nil
	c.link = nil
	c.head = nil
}

type config struct {
	workers int
	minLive float64 // bytes
	maxLive float64 // bytes
	period  time.Duration
	rate    float64 // bytes per second, all workers together
	force   time.Duration
}

type worker struct {
	id      int
	cfg     *config
	start   time.Time
	rng     uint64
	live    []*chunk
	liveSz  int64
	sink    *chunk // keeps the newest garbage reachable until the next one
	sinkN   *node
	counter uint64
}

// cgoResult keeps the one-time cgo call observable (see cgo.go / nocgo.go).
var cgoResult int64

// allocated counts bytes handed out by all workers (approximate; used only to
// keep the compiler from treating the work as dead).
var allocated int64

func (w *worker) rand() uint64 {
	// xorshift64*: cheap, deterministic per worker, no locking.
	w.rng ^= w.rng >> 12
	w.rng ^= w.rng << 25
	w.rng ^= w.rng >> 27
	return w.rng * 2685821657736338717
}

// liveTarget returns this worker's share of the oscillating live-set target.
func (w *worker) liveTarget(now time.Time) int64 {
	phase := float64(now.Sub(w.start)) / float64(w.cfg.period)
	frac := (1 - math.Cos(2*math.Pi*phase)) / 2
	total := w.cfg.minLive + (w.cfg.maxLive-w.cfg.minLive)*frac
	return int64(total) / int64(w.cfg.workers)
}

// allocOne allocates one chunk of a pseudo-random size and returns it with
// its approximate footprint.
func (w *worker) allocOne() (*chunk, int64) {
	r := w.rand()
	var size int
	switch {
	case r%97 == 0:
		// Large object (>32 KiB): allocated straight from the heap.
		size = 64<<10 + int(r>>40)%(192<<10)
	default:
		// 256 B .. 32 KiB spread over many size classes.
		size = 256<<(r>>8%8) + int(r>>20)%256
	}
	c := &chunk{buf: make([]byte, size)}
	c.buf[0] = byte(r)
	c.buf[size-1] = byte(r >> 8)
	// A short list of small nodes hanging off the chunk.
	n := int(r>>32) % 4
	for i := 0; i < n; i++ {
		c.head = &node{next: c.head, val: r + uint64(i)}
	}
	return c, int64(size) + int64(n)*32 + 48
}

func (w *worker) trim(target int64) {
	for w.liveSz > target && len(w.live) > 0 {
		i := int(w.rand() % uint64(len(w.live)))
		last := len(w.live) - 1
		w.liveSz -= int64(cap(w.live[i].buf)) + 48
		w.live[i].drop()
		w.live[i] = w.live[last]
		w.live[last] = nil
		w.live = w.live[:last]
	}
	// Give back the index slice's backing array after a big shrink so it
	// does not stay pinned at its peak size.
	if cap(w.live) > 1024 && len(w.live) < cap(w.live)/4 {
		nl := make([]*chunk, len(w.live), 2*len(w.live)+16)
		copy(nl, w.live)
		w.live = nl
	}
}

func (w *worker) run() {
	perWorkerRate := w.cfg.rate / float64(w.cfg.workers)
	var paced int64 // bytes allocated since paceStart
	paceStart := time.Now()
	const checkEvery = 256 << 10
	var sinceCheck int64
	target := w.liveTarget(paceStart)

	for {
		c, sz := w.allocOne()
		sinceCheck += sz
		w.counter++

		// Keep roughly one chunk in eight; the rest is garbage at once.
		if w.counter%8 == 0 {
			if len(w.live) > 0 {
				c.link = w.live[int(w.rand()%uint64(len(w.live)))]
			}
			if w.liveSz < target || len(w.live) == 0 {
				w.live = append(w.live, c)
				w.liveSz += int64(cap(c.buf)) + 48
			} else {
				// Replace a random member: old data dies, live size stays put.
				i := int(w.rand() % uint64(len(w.live)))
				w.liveSz += int64(cap(c.buf)) - int64(cap(w.live[i].buf))
				w.live[i].drop()
				w.live[i] = c
			}
		} else {
			w.sink = c
		}
		// Small garbage nodes referencing live data.
		w.sinkN = &node{next: w.sinkN, other: c, val: w.counter}
		if w.counter%16 == 0 {
			w.sinkN = nil
		}

		if sinceCheck >= checkEvery {
			atomic.AddInt64(&allocated, sinceCheck)
			paced += sinceCheck
			sinceCheck = 0
			now := time.Now()
			target = w.liveTarget(now)
			w.trim(target)
			// Pace: sleep if we are ahead of the allowed allocation rate.
			want := time.Duration(float64(paced) / perWorkerRate * float64(time.Second))
			elapsed := now.Sub(paceStart)
			if ahead := want - elapsed; ahead > time.Millisecond {
				time.Sleep(ahead)
			} else if ahead < -100*time.Millisecond {
				// Far behind (e.g. descheduled): do not try to catch up.
				paced = 0
				paceStart = now
			}
		}
	}
}

func main() {
	cfg := &config{}
	duration := flag.Duration("duration", 0, "run time before exiting 0 (0 = until killed)")
	flag.IntVar(&cfg.workers, "workers", 4, "number of allocating goroutines")
	minLive := flag.Float64("min-live", 4, "minimum live-set target in MiB")
	maxLive := flag.Float64("max-live", 40, "maximum live-set target in MiB")
	flag.DurationVar(&cfg.period, "period", 2*time.Second, "period of the live-set oscillation")
	rate := flag.Float64("rate", 1200, "total allocation rate in MiB/s")
	flag.DurationVar(&cfg.force, "force", 250*time.Millisecond, "interval between runtime.GC() calls (0 = never)")
	flag.Parse()

	if cfg.workers < 1 {
		cfg.workers = 1
	}
	if cfg.period <= 0 {
		cfg.period = 2 * time.Second
	}
	if *rate <= 0 {
		*rate = 1
	}
	if *maxLive < *minLive {
		*maxLive = *minLive
	}
	cfg.minLive = *minLive * (1 << 20)
	cfg.maxLive = *maxLive * (1 << 20)
	cfg.rate = *rate * (1 << 20)

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

	v, _ := cgoProbe()
	atomic.StoreInt64(&cgoResult, int64(v))

	start := time.Now()
	for i := 0; i < cfg.workers; i++ {
		w := &worker{id: i, cfg: cfg, start: start, rng: uint64(i+1)*0x9E3779B97F4A7C15 | 1}
		go w.run()
	}

	// os.Stdout is unbuffered: this single write is the flush.
	fmt.Fprintf(os.Stdout, "%d ready\n", os.Getpid())

	if cfg.force > 0 {
		t := time.NewTicker(cfg.force)
		for range t.C {
			runtime.GC()
		}
	}
	select {}
}
