// Command fmtns prints, for every decimal nanosecond count on stdin, what the Go runtime's own
// fmtNSAsMS (the gctrace time formatter) makes of it. Test oracle for goscope's formatter; it
// reaches the unexported runtime function with go:linkname, which Go 1.19 still allows.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	_ "unsafe"
)

//go:linkname fmtNSAsMS runtime.fmtNSAsMS
func fmtNSAsMS(buf []byte, ns uint64) []byte

//go:linkname itoaDiv runtime.itoaDiv
func itoaDiv(buf []byte, val uint64, dec int) []byte

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		ns, err := strconv.ParseUint(in.Text(), 10, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fmtns:", err)
			os.Exit(2)
		}
		var a, b [24]byte
		// The gctrace "@" field is itoaDiv(ms, 3); print it for the same number too.
		fmt.Fprintf(out, "%d %s %s\n", ns, fmtNSAsMS(a[:], ns), itoaDiv(b[:], ns/1e6, 3))
	}
}
