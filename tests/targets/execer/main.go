// Command execer is a GC-heavy Go workload that replaces itself with another program on SIGUSR1.
//
// goscope's fault tests use it to check that a process that calls exec(2) while goscope watches it
// is reported as such, and that goscope never reads the new program's memory with the old one's
// addresses (same PID, same pidfd, same start time: only the image changes).
//
//	execer [-- PROGRAM ARGS...]
//
// stdout carries "<pid> ready" once the workload runs. On SIGUSR1 it execs PROGRAM with ARGS (by
// default itself again, with the same arguments and environment). SIGINT and SIGTERM end it with
// status 0.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

var sink [][]byte

func churn() {
	for i := 0; ; i++ {
		sink = append(sink, make([]byte, 4096))
		if len(sink) > 2048 {
			sink = sink[:0]
		}
		if i%20000 == 0 {
			runtime.GC()
		}
		if i%512 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func main() {
	argv := os.Args
	if len(os.Args) > 2 && os.Args[1] == "--" {
		argv = os.Args[2:]
	}
	path := argv[0]
	if len(argv) == len(os.Args) {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "execer:", err)
			os.Exit(1)
		}
		path = self
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGINT, syscall.SIGTERM)
	go churn()
	fmt.Printf("%d ready\n", os.Getpid())
	for s := range sigs {
		if s != syscall.SIGUSR1 {
			os.Exit(0)
		}
		err := syscall.Exec(path, argv, os.Environ())
		fmt.Fprintln(os.Stderr, "execer: exec:", err)
		os.Exit(1)
	}
}
