// Command rttime is a Go program that imports runtime and time and nothing else: like rtonly,
// the linker leaves out what os and the packages built on it would bring (Go 1.21 drops
// runtime.stwReasonStrings), but the program has timers and sleeps. goscope's minimal-program
// tests attach to it, on every Go release, plain and stripped.
//
// It allocates steadily so that the GC runs every few tens of milliseconds: three 64 KiB buffers
// per millisecond slept, the newest 128 (8 MiB) kept live, so 8 MiB, one cycle at the heap goal
// of an 8 MiB live heap, is allocated in some 50 ms while the CPU stays mostly idle. It prints
// nothing of its own (it has no os.Stdout); run it with GODEBUG=gctrace=1 for the runtime's own
// lines. It runs until it is killed.
package main

import (
	"runtime"
	"time"
)

const (
	bufSize = 64 << 10
	nlive   = 128
	perTick = 3
)

var live [nlive][]byte

func main() {
	for i := 0; ; i++ {
		live[i%nlive] = make([]byte, bufSize)
		if i%perTick == perTick-1 {
			time.Sleep(time.Millisecond)
		}
		runtime.Gosched()
	}
}
