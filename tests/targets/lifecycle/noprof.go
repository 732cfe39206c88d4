//go:build noprof

// The noprof build references neither runtime/pprof nor runtime.MemProfile,
// so the linker sets runtime.disableMemoryProfiling: MemProfileRate is 0 and
// the runtime never samples allocations.

package main

import (
	"bufio"
	"errors"
)

const memprof = 0

var errNeedsDefault = errors.New("needs the default build")

func writeSites(w *bufio.Writer) error {
	return errNeedsDefault
}

func writeMemProfile(w *bufio.Writer) error {
	return errNeedsDefault
}
