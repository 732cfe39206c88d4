//go:build !cgo

package main

// cgoProbe is the pure-Go stand-in used when the target is built with
// CGO_ENABLED=0.
func cgoProbe() (int, bool) { return 41, false }
