package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// TestSnapshotAllocatesNothing checks that a whole snapshot (reading the
// runtime, formatting, writing and fsyncing the file, the stdout line)
// allocates no heap memory, and that the file is the documented JSON.
// Run it with each toolchain: cd tests/targets/quiescent && go test .
func TestSnapshotAllocatesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "snap.json")
	if err := setupSnapshot(path); err != nil {
		t.Fatal(err)
	}
	null, err := syscall.Open(os.DevNull, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(null)
	stdoutFD = null
	defer func() { stdoutFD = 1 }()

	snapshot() // warm up (first-use initialisation, stack growth)
	if allocs := testing.AllocsPerRun(50, snapshot); allocs != 0 {
		t.Errorf("snapshot allocates %v objects per run, want 0", allocs)
	}
	// Bytes too, not only objects, around a single snapshot.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	snapshot()
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d != 0 {
		t.Errorf("snapshot allocated %d bytes, want 0", d)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		NumGoroutine int                `json:"num_goroutine"`
		Gomaxprocs   int                `json:"gomaxprocs"`
		Memstats     map[string]float64 `json:"memstats"`
		Metrics      map[string]float64 `json:"metrics"`
		Counts       map[string]int     `json:"counts"`
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatalf("snapshot is not JSON: %v\n%s", err, data)
	}
	if snap.NumGoroutine < 1 || snap.Gomaxprocs != runtime.GOMAXPROCS(0) {
		t.Errorf("num_goroutine %d gomaxprocs %d", snap.NumGoroutine, snap.Gomaxprocs)
	}
	for _, k := range []string{"NumGC", "NumForcedGC", "TotalAlloc", "Mallocs", "Frees", "HeapAlloc", "HeapSys",
		"HeapIdle", "HeapInuse", "HeapReleased", "HeapObjects", "StackInuse", "StackSys", "PauseTotalNs",
		"LastPauseNs", "GCCPUFraction", "NextGC", "LastGC", "Sys"} {
		if _, ok := snap.Memstats[k]; !ok {
			t.Errorf("memstats.%s missing", k)
		}
	}
	for _, k := range []string{"/sched/goroutines:goroutines", "/gc/heap/goal:bytes", "/gc/cycles/total:gc-cycles"} {
		if _, ok := snap.Metrics[k]; !ok {
			t.Errorf("metrics[%q] missing", k)
		}
	}
	if len(snap.Metrics) != len(samples) {
		t.Errorf("%d metrics in the file, %d sampled", len(snap.Metrics), len(samples))
	}
	if len(snap.Counts) != 5 {
		t.Errorf("counts: %v", snap.Counts)
	}
}
