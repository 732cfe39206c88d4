//go:build !cgo

package main

const haveCgo = false

// startCgo has no goroutine to start without cgo.
func startCgo() int { return 0 }
