package main

import (
	"net"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Sizes of the groups the tests count.
const (
	poolSize  = 5 // identical workers, blocked at the same place
	leakCount = 2 // leakyWorker goroutines
	depth     = 300
)

// point and holder are passed by value and by pointer, so that the runtime
// prints argument words of several kinds (ints, strings, structs, slices,
// pointers, floats, bools).
type point struct{ X, Y int }

type holder struct {
	name string
	n    int
}

var (
	never     = make(chan int) // nothing is ever sent on it
	sendTo    = make(chan int) // nothing ever receives from it
	selRecv   = make(chan int)
	selSend   = make(chan int)
	jobs      = make(chan int)
	closureCh = make(chan point)
	intCh     = make(chan int)
	strCh     = make(chan string)

	mu     sync.Mutex // held by main forever
	wg     sync.WaitGroup
	condMu sync.Mutex
	cond   = sync.NewCond(&condMu)
	ready  bool // never set: cond waiters wait forever

	// What the blockers read from: kept referenced so that nothing is closed.
	conns    []net.Conn
	pipeFds  [2]int
	keepLive []interface{}
)

//go:noinline
func chanRecv(id int, name string, p point, xs []int) {
	v := <-never
	sink.Add(int64(v + id + len(name) + p.X + len(xs)))
}

//go:noinline
func chanSend(id int, ratio float64, ok bool) {
	if ok {
		sendTo <- id + int(ratio)
	}
}

//go:noinline
func selectWait(in <-chan int, out chan<- int, label string) {
	select {
	case v := <-in:
		sink.Add(int64(v))
	case out <- len(label):
	case v := <-never:
		sink.Add(int64(v))
	}
}

//go:noinline
func selectNoCases(id int) {
	sink.Add(int64(id))
	select {}
}

//go:noinline
func nilChanRecv(id int, ch chan int) {
	sink.Add(int64(id + <-ch))
}

//go:noinline
func mutexWait(id int, name string) {
	mu.Lock()
	sink.Add(int64(id + len(name)))
	mu.Unlock()
}

//go:noinline
func wgWait(n int, tags []string) {
	wg.Wait()
	sink.Add(int64(n + len(tags)))
}

//go:noinline
func condWait(id int, p *point) {
	condMu.Lock()
	for !ready {
		cond.Wait()
	}
	condMu.Unlock()
	sink.Add(int64(id + p.Y))
}

//go:noinline
func sleeper(d time.Duration, why string) {
	time.Sleep(d)
	sink.Add(int64(len(why)))
}

//go:noinline
func netReader(c net.Conn, buf []byte) {
	n, _ := c.Read(buf)
	sink.Add(int64(n))
}

// pipeReader blocks in read(2) on a blocking descriptor: the goroutine stays
// in state syscall, on a thread of its own, not parked on the netpoller.
//
//go:noinline
func pipeReader(fd int, buf []byte) {
	n, _ := syscall.Read(fd, buf)
	sink.Add(int64(n))
}

//go:noinline
func lockedWait(id int, name string) {
	runtime.LockOSThread()
	v := <-never
	sink.Add(int64(id + v + len(name)))
}

// recurse calls itself depth times, then blocks at the bottom.
//
//go:noinline
func recurse(depth int, tag string, p point) int {
	if depth == 0 {
		return <-never + p.X
	}
	return recurse(depth-1, tag, p) + 1
}

// inlB and inlA are small enough for the compiler to inline them into
// inlinedPath: the runtime shows them as frames of their own.
func inlB(ch chan int, k int) int { return <-ch + k }

func inlA(ch chan int, k int) int { return inlB(ch, k*2) + 1 }

//go:noinline
func inlinedPath(id int, name string) {
	sink.Add(int64(inlA(never, id) + len(name)))
}

// smallWait has no go:noinline: the compiler may inline it into the wrapper
// it makes for "go smallWait(a, b)" (Go 1.21+).
func smallWait(a, b int) { sink.Add(int64(<-never + a + b)) }

//go:noinline
func genericWait[T any](v T, ch chan T, label string) {
	got := <-ch
	keepLive = append(keepLive, v, got, label)
}

//go:noinline
func (h *holder) run() {
	h.n += <-never
}

//go:noinline
func (h *holder) wait(k int, label string) {
	h.n += <-never + k + len(label)
}

//go:noinline
func poolWorker(id int, jobs <-chan int) {
	for j := range jobs {
		sink.Add(int64(id + j))
	}
}

// leakyWorker blocks on a channel that only it references: a goroutine leak,
// as Go 1.27's goroutineleak profile finds them.
//
//go:noinline
func leakyWorker(id int) {
	ch := make(chan int)
	sink.Add(int64(id + <-ch))
}

// startShapes starts every blocker once and returns how many it started.
func startShapes() int {
	n := 0
	start := func(k int) { n += k }

	go chanRecv(1, "recv", point{3, 4}, []int{5, 6, 7})
	start(1)
	go chanSend(2, 2.5, true)
	start(1)
	go selectWait(selRecv, selSend, "select")
	start(1)
	go selectNoCases(3)
	start(1)
	go nilChanRecv(4, nil)
	start(1)
	mu.Lock()
	go mutexWait(5, "mutex")
	start(1)
	wg.Add(1)
	go wgWait(6, []string{"a", "b"})
	start(1)
	go condWait(7, &point{8, 9})
	start(1)
	go sleeper(1000*time.Hour, "sleep")
	start(1)
	start(startNet())
	start(startPipe())
	go lockedWait(10, "locked")
	start(1)
	go recurse(depth, "deep", point{11, 12})
	start(1)
	go inlinedPath(13, "inlined")
	start(1)
	go smallWait(14, 15)
	start(1)
	captured := point{16, 17}
	go func() {
		p := <-closureCh
		sink.Add(int64(p.X + captured.Y))
	}()
	start(1)
	go genericWait(18, intCh, "int")
	start(1)
	go genericWait("nineteen", strCh, "string")
	start(1)
	h := &holder{name: "holder", n: 20}
	method := h.run // a method value: the goroutine runs main.(*holder).run-fm
	go method()
	start(1)
	go h.wait(21, "method")
	start(1)
	for i := 0; i < poolSize; i++ {
		go poolWorker(i, jobs)
	}
	start(poolSize)
	for i := 0; i < leakCount; i++ {
		go leakyWorker(i)
	}
	start(leakCount)
	return n
}

// startNet dials the program's own loopback listener and starts a reader on
// the accepted end, where no data ever comes (IO wait).
func startNet() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	s, err := ln.Accept()
	if err != nil {
		panic(err)
	}
	ln.Close()
	conns = append(conns, c, s)
	go netReader(s, make([]byte, 64))
	return 1
}

// startPipe starts a reader on a blocking pipe whose write end stays open.
func startPipe() int {
	if err := syscall.Pipe(pipeFds[:]); err != nil {
		panic(err)
	}
	go pipeReader(pipeFds[0], make([]byte, 16))
	return 1
}
