//go:build cgo

package main

/*
static int goscope_churn_cgo_probe(int x) { return x * 2 + 1; }
*/
import "C"

// cgoProbe calls a trivial C function once so that a CGO_ENABLED=1 build is a
// genuine cgo program (runtime/cgo linked in, external linker, libc).
func cgoProbe() (int, bool) {
	return int(C.goscope_churn_cgo_probe(C.int(20))), true
}
