// Command rtonly is a Go program that imports runtime and nothing else: the linker leaves out
// all that os, and every package built on it, would bring, and with it the runtime globals only
// that code uses (Go 1.21 drops runtime.stwReasonStrings). goscope's minimal-program tests
// attach to it, on every Go release, plain and stripped.
//
// It allocates steadily so that the GC runs every few tens of milliseconds: 64 KiB buffers, the
// newest 128 of them (8 MiB) kept live, and between two allocations a pass of arithmetic over
// the new buffer to pace them, because without the time package a program cannot sleep. A pass
// takes about 0.4 ms, so the 8 MiB of one cycle (the heap goal of an 8 MiB live heap) take some
// 50 ms, longer on a busy machine; and the program keeps one CPU busy while it runs. It prints
// nothing of its own (it has no os.Stdout): run it with GODEBUG=gctrace=1 for the runtime's own
// lines. It runs until it is killed.
package main

import "runtime"

const (
	bufSize = 64 << 10
	nlive   = 128
)

var live [nlive][]byte

// sink keeps the arithmetic observable, so that the compiler cannot drop it.
var sink uint64

// fill writes pseudo-random bytes over b: the pacing work.
func fill(b []byte, x uint64) uint64 {
	for i := range b {
		x = x*6364136223846793005 + 1442695040888963407
		b[i] = byte(x >> 56)
	}
	return x
}

func main() {
	x := uint64(1)
	for i := 0; ; i++ {
		b := make([]byte, bufSize)
		x = fill(b, x)
		live[i%nlive] = b
		sink += uint64(b[i%bufSize])
		runtime.Gosched()
	}
}
