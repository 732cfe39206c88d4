// Command promgo is a Go program instrumented with the Prometheus Go client
// library the usual way: a registry holding the Go collector with every
// runtime/metrics metric (collectors.WithGoCollectorRuntimeMetrics(
// collectors.MetricsAll)). It is the oracle for what goscope serve exports
// from outside: the family names and types, the histograms' bucket bounds,
// the values that hold still.
//
// It is built against Debian's golang-github-prometheus-client-golang-dev
// (client_golang 1.14 on bookworm) in GOPATH mode, with each toolchain of
// the matrix, so its collector sees that release's runtime/metrics.
//
// -gc N runs N garbage collections (runtime.GC) before that, so that the
// pause histograms hold something. It prints "<pid> ready" on stdout once
// the collector is registered and the collections are done. Each
// SIGUSR1 gathers the registry, writes the text exposition (format 0.0.4) to
// the -out file (replaced whole: written to a temporary file, then renamed)
// and prints "<pid> exposition N" (N counts from 1). SIGINT and SIGTERM exit
// with status 0. Gathering allocates, so counters such as
// go_gc_heap_allocs_bytes_total move between two expositions.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

func die(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "promgo: "+format+"\n", args...)
	os.Exit(2)
}

func main() {
	out, gcs := "", 0
	for i := 1; i < len(os.Args); i++ {
		if os.Args[i] == "-out" && i+1 < len(os.Args) {
			out = os.Args[i+1]
			i++
			continue
		}
		if os.Args[i] == "-gc" && i+1 < len(os.Args) {
			n, err := strconv.Atoi(os.Args[i+1])
			if err != nil || n < 0 {
				die("-gc: want a count")
			}
			gcs = n
			i++
			continue
		}
		die("usage: promgo -out FILE [-gc N]")
	}
	if out == "" {
		die("-out FILE is required")
	}
	sigc := make(chan os.Signal, 4)
	signal.Notify(sigc, syscall.SIGUSR1, syscall.SIGINT, syscall.SIGTERM)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(
		collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll)))

	for i := 0; i < gcs; i++ {
		runtime.GC()
	}
	pid := os.Getpid()
	fmt.Printf("%d ready\n", pid)
	n := 0
	for s := range sigc {
		if s != syscall.SIGUSR1 {
			os.Exit(0)
		}
		mfs, err := reg.Gather()
		if err != nil {
			die("gather: %v", err)
		}
		var b bytes.Buffer
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
				die("exposition: %v", err)
			}
		}
		tmp := out + ".tmp"
		if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
			die("%v", err)
		}
		if err := os.Rename(tmp, out); err != nil {
			die("%v", err)
		}
		n++
		fmt.Printf("%d exposition %d\n", pid, n)
	}
}
