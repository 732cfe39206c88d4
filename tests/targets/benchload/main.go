// Command benchload is the workload of goscope's performance benchmarks
// (bench/perf.py): it runs one kind of load as fast as it can and reports how
// much work it has done, so a harness can compare its throughput with and
// without goscope attached, in the same process.
//
//	-mode alloc   allocation-heavy: every P allocates small and medium objects
//	              of mixed sizes, a quarter of them kept in a 64 MiB live set
//	              (tens of GC cycles per second)
//	-mode gc      GC-heavy: the same allocation into a small heap (live set
//	              4 MiB, heap goal 8 MiB with GOGC=100:
//	              hundreds of GC cycles per second)
//	-mode gcloop  nothing but runtime.GC() in a loop on a tiny heap: each
//	              operation is one whole GC cycle, so the time an observer adds
//	              to a cycle shows directly in the throughput
//	-mode server  goroutine-heavy and server-like: an HTTP server and 32
//	              keep-alive clients on loopback; each request's handler fans
//	              out to 4 goroutines, encodes JSON and replies; 10,000 more
//	              goroutines sit parked, as idle connections would
//
// stdout: "<pid> ready" once the load runs, then every -report interval one
// line "<ns since start> <operations so far>" (operations: allocations in
// alloc and gc mode, GC cycles in gcloop mode, requests in server mode). SIGINT and SIGTERM end it with
// status 0.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var ops atomic.Uint64

type obj struct {
	next *obj
	data []byte
}

// sinks keep the last discarded object of each worker reachable (so the
// compiler cannot drop the allocation), one cache line each: a shared one
// would bounce between CPUs and halve the throughput at random.
var sinks [64]struct {
	p atomic.Pointer[obj]
	_ [56]byte
}

// allocate runs one worker of the alloc and gc modes: objects of 16..2048
// bytes, one in four kept in a per-worker ring of live objects.
func allocate(worker, liveBytes int, seed uint64) {
	sink := &sinks[worker%len(sinks)].p
	const batch = 256
	ring := make([]*obj, 0, 1024)
	live, pos := 0, 0
	x := seed | 1
	for {
		for i := 0; i < batch; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			size := 16 << (x % 8) // 16 B .. 2 KiB
			o := &obj{data: make([]byte, size)}
			if x%4 != 0 {
				sink.Store(o)
				continue
			}
			if live+size <= liveBytes || len(ring) == 0 {
				ring = append(ring, o)
				live += size
				continue
			}
			live += size - len(ring[pos].data)
			ring[pos] = o
			pos = (pos + 1) % len(ring)
		}
		ops.Add(batch * 2) // each iteration allocates the obj and its data
	}
}

type reply struct {
	ID     uint64   `json:"id"`
	Parts  []uint64 `json:"parts"`
	Status string   `json:"status"`
}

func handler(w http.ResponseWriter, r *http.Request) {
	var id uint64
	fmt.Sscan(r.URL.Query().Get("id"), &id)
	parts := make([]uint64, 4)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h := id*2654435761 + uint64(i)
			for k := 0; k < 64; k++ {
				h ^= h >> 33
				h *= 0xff51afd7ed558ccd
			}
			parts[i] = h
		}(i)
	}
	wg.Wait()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply{ID: id, Parts: parts, Status: "ok"})
}

func serve(clients, idle int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
	go http.Serve(ln, http.HandlerFunc(handler))
	park := make(chan struct{})
	for i := 0; i < idle; i++ {
		go func() { <-park }()
	}
	url := "http://" + ln.Addr().String() + "/work?id="
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	for c := 0; c < clients; c++ {
		go func(c int) {
			for n := uint64(c); ; n += uint64(clients) {
				resp, err := client.Get(fmt.Sprint(url, n))
				if err != nil {
					fmt.Fprintln(os.Stderr, "benchload:", err)
					os.Exit(1)
				}
				var rep reply
				if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil || rep.ID != n {
					fmt.Fprintln(os.Stderr, "benchload: bad reply:", err)
					os.Exit(1)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ops.Add(1)
			}
		}(c)
	}
}

func main() {
	mode := flag.String("mode", "alloc", "alloc, gc, gcloop or server")
	report := flag.Duration("report", 250*time.Millisecond, "report interval")
	flag.Parse()

	switch *mode {
	case "alloc", "gc":
		live := 64 << 20
		if *mode == "gc" {
			live = 4 << 20
		}
		n := runtime.GOMAXPROCS(0)
		for i := 0; i < n; i++ {
			go allocate(i, live/n, uint64(i+1)*0x9e3779b97f4a7c15)
		}
	case "gcloop":
		go func() {
			for {
				runtime.GC()
				ops.Add(1)
			}
		}()
	case "server":
		serve(32, 10000)
	default:
		fmt.Fprintf(os.Stderr, "benchload: unknown -mode %q (alloc, gc, gcloop or server)\n", *mode)
		os.Exit(2)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "%d ready\n", os.Getpid())
	out.Flush()
	start := time.Now()
	tick := time.NewTicker(*report)
	for {
		select {
		case <-sig:
			return
		case <-tick.C:
			fmt.Fprintf(out, "%d %d\n", time.Since(start).Nanoseconds(), ops.Load())
			if out.Flush() != nil {
				return
			}
		}
	}
}
