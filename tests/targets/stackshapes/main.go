// Command stackshapes is the oracle workload of goscope's stacks tests: it
// parks goroutines of known shapes, holds still, and on a signal writes the
// runtime's own goroutine dumps, so that what goscope read from outside can be
// compared with what the runtime prints from inside.
//
// At start it starts each of these once (shapes.go), then parks them forever:
//
//	chan receive, chan send, select over several cases, select with no case,
//	chan receive on a nil channel, sync.Mutex Lock, sync.WaitGroup Wait,
//	sync.Cond Wait, time.Sleep (1000 hours), a network read on a loopback TCP
//	connection the program dialled to itself (IO wait), syscall.Read on a
//	blocking pipe (state syscall), a goroutine that called LockOSThread, a
//	recursion 300 frames deep, calls inlined on the way to the block, a
//	closure, a generic function instantiated with int and with string, a
//	method value and a method call, poolSize identical workers, leakCount
//	leaked goroutines (leakyWorker: blocked on a channel nothing else
//	references) and, in cgo builds only, a goroutine inside a C call.
//
// It waits until every one of them has blocked (seen in the headers of
// runtime.Stack), calls runtime.GC() twice (a GC cycle stamps g.waitsince on
// the goroutines it finds parked, which is what makes the runtime print
// ", N minutes" once they have waited a minute), and prints "ready" on stdout.
// From then on it allocates nothing and no timer fires: the main goroutine
// waits on the signal channel, os/signal's watcher on the signal queue.
//
// SIGUSR1 writes into the directory $STACKSHAPES_OUT (default: the current
// directory), in this order: stacks2.txt (pprof.Lookup("goroutine").WriteTo(f,
// 2)), stacks1.txt (debug=1), goroutine.pb.gz (debug=0) and, where the
// goroutineleak profile exists (Go 1.27, or 1.26 built with
// GOEXPERIMENT=goroutineleakprofile), goroutineleak1.txt and
// goroutineleak2.txt (debug=1 and 2; that profile first runs a leak-detecting
// GC, which marks the leaked goroutines "(leaked)" for good), then prints
// "dumped" on stdout. SIGUSR2 writes stacks2.txt alone (no leak-detecting GC,
// nothing else), then prints "dumped". Only the main goroutine and os/signal's
// watcher move to answer a signal. SIGINT and SIGTERM end it (the default
// action); with GOTRACEBACK=system, SIGQUIT makes the runtime print every
// goroutine, its own included, to stderr before it exits.
//
// With -busy it also keeps the GC and the scheduler busy for as long as it
// runs (busy.go): goroutines created and exiting all the time, stacks growing
// and shrinking, GC cycle after GC cycle. "ready" is printed once the shapes
// are parked and the churn has started.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// sink keeps results alive so that the compiler drops nothing.
var sink atomic.Int64

func main() {
	busy := flag.Bool("busy", false, "keep the GC and the scheduler busy after start-up")
	flag.Parse()

	// Before any goroutine starts: the watcher of os/signal is one of them.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGUSR1, syscall.SIGUSR2)

	want := startShapes() + startCgo()
	if err := settle(want); err != nil {
		fmt.Fprintln(os.Stderr, "stackshapes:", err)
		os.Exit(1)
	}
	runtime.GC()
	runtime.GC()
	if *busy {
		startBusy()
	}
	out := bufio.NewWriter(os.Stdout)
	out.WriteString("ready\n")
	out.Flush()

	dir := os.Getenv("STACKSHAPES_OUT")
	if dir == "" {
		dir = "."
	}
	for sig := range sigc {
		if err := dumpAll(dir, sig == syscall.SIGUSR2); err != nil {
			fmt.Fprintln(os.Stderr, "stackshapes:", err)
			os.Exit(1)
		}
		out.WriteString("dumped\n")
		out.Flush()
	}
}

// settle waits until want goroutines besides main and os/signal's watcher
// exist and none of them is running or runnable.
func settle(want int) error {
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := runtime.Stack(buf, true)
		blocked, moving := 0, 0
		// The first block is this goroutine's own.
		for _, block := range strings.Split(string(buf[:n]), "\n\n")[1:] {
			hdr := block[:strings.IndexByte(block, '\n')]
			switch {
			case strings.Contains(hdr, "[running") || strings.Contains(hdr, "[runnable"):
				moving++
			case strings.Contains(block, "os/signal.signal_recv"):
			default:
				blocked++
			}
		}
		if blocked == want && moving == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutines did not settle: %d blocked (want %d), %d moving:\n%s",
				blocked, want, moving, buf[:n])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dumpAll writes the runtime's goroutine profiles, the debug=2 text first: it
// is the one compared byte for byte, so it is taken closest to the signal.
// With textOnly, that text is all it writes.
func dumpAll(dir string, textOnly bool) error {
	type profileFile struct {
		name  string
		prof  *pprof.Profile
		debug int
	}
	goroutine := pprof.Lookup("goroutine")
	files := []profileFile{{"stacks2.txt", goroutine, 2}}
	if !textOnly {
		files = append(files, profileFile{"stacks1.txt", goroutine, 1},
			profileFile{"goroutine.pb.gz", goroutine, 0})
		if leak := pprof.Lookup("goroutineleak"); leak != nil {
			files = append(files, profileFile{"goroutineleak1.txt", leak, 1},
				profileFile{"goroutineleak2.txt", leak, 2})
		}
	}
	for _, f := range files {
		if err := writeProfile(filepath.Join(dir, f.name), f.prof, f.debug); err != nil {
			return err
		}
	}
	return nil
}

// writeProfile writes to a temporary name and renames, so that a reader never
// sees half a file.
func writeProfile(path string, p *pprof.Profile, debug int) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := p.WriteTo(f, debug); err != nil {
		f.Close()
		return fmt.Errorf("%s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
