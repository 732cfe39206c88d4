//go:build goscope_shlib

package main

import "C"

// GoscopeMain runs this program's main from a C host (tests/targets/cgohost) that loads it as a
// Go library: built with -tags goscope_shlib and -buildmode=c-shared or c-archive.
//
//export GoscopeMain
func GoscopeMain() { main() }
