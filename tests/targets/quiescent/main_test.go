package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
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
	// The globals still hold what the last snapshot read: the file must say
	// exactly that.
	checkSnapshot(t, data)
}

// checkSnapshot checks the file against main.go's description and against the
// values the last snapshot read (memStats, samples, monoBefore, monoAfter).
func checkSnapshot(t *testing.T, data []byte) {
	var snap struct {
		Pid          int64                      `json:"pid"`
		Seq          uint64                     `json:"seq"`
		MonoBefore   int64                      `json:"mono_before_ns"`
		MonoAfter    int64                      `json:"mono_after_ns"`
		NumGoroutine int                        `json:"num_goroutine"`
		Gomaxprocs   int                        `json:"gomaxprocs"`
		NumCPU       int                        `json:"num_cpu"`
		Gogc         int                        `json:"gogc"`
		MemoryLimit  int64                      `json:"memory_limit"`
		Memstats     map[string]json.RawMessage `json:"memstats"`
		Metrics      map[string]json.Number     `json:"metrics"`
		Histograms   map[string]struct {
			Buckets []json.RawMessage `json:"buckets"`
			Counts  []uint64          `json:"counts"`
		} `json:"histograms"`
		Counts map[string]int `json:"counts"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&snap); err != nil {
		t.Fatalf("snapshot is not the documented JSON: %v\n%s", err, data)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pid", "seq", "mono_before_ns", "mono_after_ns", "num_goroutine", "gomaxprocs",
		"num_cpu", "gogc", "memory_limit", "memstats", "metrics", "histograms", "counts"} {
		if _, ok := top[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if len(top) != 13 {
		t.Errorf("%d top-level keys, want 13", len(top))
	}
	if snap.Pid != int64(os.Getpid()) || snap.Seq != snapSeq {
		t.Errorf("pid %d seq %d, want %d %d", snap.Pid, snap.Seq, os.Getpid(), snapSeq)
	}
	if snap.NumGoroutine < 1 || snap.Gomaxprocs != runtime.GOMAXPROCS(0) || snap.NumCPU != runtime.NumCPU() {
		t.Errorf("num_goroutine %d gomaxprocs %d num_cpu %d", snap.NumGoroutine, snap.Gomaxprocs, snap.NumCPU)
	}
	if snap.MonoBefore != monoBefore || snap.MonoAfter != monoAfter || monoBefore <= 0 || monoAfter < monoBefore {
		t.Errorf("mono_before_ns %d mono_after_ns %d, read %d %d", snap.MonoBefore, snap.MonoAfter, monoBefore, monoAfter)
	}
	if len(snap.Counts) != 5 {
		t.Errorf("counts: %v", snap.Counts)
	}

	// memstats: every field of runtime.MemStats by its Go name, the value
	// read, plus LastPauseNs.
	ms := snap.Memstats
	want := reflect.ValueOf(&memStats).Elem()
	for i := 0; i < want.NumField(); i++ {
		f := want.Type().Field(i)
		raw, ok := ms[f.Name]
		if !ok {
			t.Errorf("memstats.%s missing", f.Name)
			continue
		}
		checkValue(t, "memstats."+f.Name, raw, want.Field(i))
	}
	if len(ms) != want.NumField()+1 {
		t.Errorf("memstats has %d keys, want the %d fields of runtime.MemStats and LastPauseNs", len(ms), want.NumField())
	}
	checkValue(t, "memstats.LastPauseNs", ms["LastPauseNs"],
		reflect.ValueOf(memStats.PauseNs[(memStats.NumGC+255)%256]))
	// The shapes the oracle's readers rely on, whatever reflect says.
	var arrays struct {
		PauseNs, PauseEnd []uint64
		BySize            []map[string]uint64
	}
	if err := json.Unmarshal(top["memstats"], &arrays); err != nil {
		t.Fatal(err)
	}
	if len(arrays.PauseNs) != 256 || len(arrays.PauseEnd) != 256 || len(arrays.BySize) != 61 {
		t.Errorf("memstats: %d PauseNs, %d PauseEnd, %d BySize; want 256, 256, 61",
			len(arrays.PauseNs), len(arrays.PauseEnd), len(arrays.BySize))
	}
	for _, k := range []string{"Alloc", "TotalAlloc", "Sys", "Lookups", "Mallocs", "Frees", "HeapAlloc", "HeapSys",
		"HeapIdle", "HeapInuse", "HeapReleased", "HeapObjects", "StackInuse", "StackSys", "MSpanInuse", "MSpanSys",
		"MCacheInuse", "MCacheSys", "BuckHashSys", "GCSys", "OtherSys", "NextGC", "LastGC", "PauseTotalNs",
		"LastPauseNs", "NumGC", "NumForcedGC", "GCCPUFraction"} {
		if _, err := strconv.ParseFloat(string(ms[k]), 64); err != nil {
			t.Errorf("memstats.%s = %s, not a number", k, ms[k])
		}
	}
	for _, k := range []string{"EnableGC", "DebugGC"} {
		if s := string(ms[k]); s != "true" && s != "false" {
			t.Errorf("memstats.%s = %s, want true or false", k, s)
		}
	}

	// metrics and histograms: every metric of metrics.All(), by kind.
	var nScalar, nHist int
	for _, d := range metrics.All() {
		switch d.Kind {
		case metrics.KindUint64, metrics.KindFloat64:
			nScalar++
			if _, ok := snap.Metrics[d.Name]; !ok {
				t.Errorf("metrics[%q] missing", d.Name)
			}
		case metrics.KindFloat64Histogram:
			nHist++
			if _, ok := snap.Histograms[d.Name]; !ok {
				t.Errorf("histograms[%q] missing", d.Name)
			}
		default:
			t.Errorf("metric %q of kind %v", d.Name, d.Kind)
		}
	}
	if len(snap.Metrics) != nScalar || len(snap.Histograms) != nHist || nHist == 0 {
		t.Errorf("%d metrics and %d histograms in the file; metrics.All() has %d and %d",
			len(snap.Metrics), len(snap.Histograms), nScalar, nHist)
	}
	for _, k := range []string{"/sched/goroutines:goroutines", "/gc/heap/goal:bytes", "/gc/cycles/total:gc-cycles"} {
		if _, ok := snap.Metrics[k]; !ok {
			t.Errorf("metrics[%q] missing", k)
		}
	}
	if _, ok := snap.Histograms["/sched/latencies:seconds"]; !ok {
		t.Errorf("histograms[/sched/latencies:seconds] missing")
	}
	godebug := 0
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/godebug/non-default-behavior/") {
			godebug++
			if _, ok := snap.Metrics[d.Name]; !ok {
				t.Errorf("metrics[%q] missing", d.Name)
			}
		}
	}
	if _, ok := snap.Metrics["/gc/gogc:percent"]; ok && godebug == 0 { // Go 1.21+ has both
		t.Errorf("no /godebug/non-default-behavior/ metric in metrics.All()")
	}
	for i := range samples {
		s := &samples[i]
		switch s.Value.Kind() {
		case metrics.KindUint64:
			if got, err := strconv.ParseUint(string(snap.Metrics[s.Name]), 10, 64); err != nil || got != s.Value.Uint64() {
				t.Errorf("metrics[%q] = %s, read %d", s.Name, snap.Metrics[s.Name], s.Value.Uint64())
			}
		case metrics.KindFloat64:
			v := s.Value.Float64()
			if got, err := strconv.ParseFloat(string(snap.Metrics[s.Name]), 64); err != nil || got != v {
				t.Errorf("metrics[%q] = %s, read %v", s.Name, snap.Metrics[s.Name], v)
			}
		case metrics.KindFloat64Histogram:
			h := s.Value.Float64Histogram()
			got := snap.Histograms[s.Name]
			if len(got.Buckets) != len(got.Counts)+1 {
				t.Errorf("histograms[%q]: %d buckets, %d counts", s.Name, len(got.Buckets), len(got.Counts))
			}
			if !reflect.DeepEqual(got.Counts, h.Counts) {
				t.Errorf("histograms[%q].counts differ from the values read", s.Name)
			}
			if len(got.Buckets) != len(h.Buckets) {
				t.Errorf("histograms[%q]: %d buckets in the file, %d read", s.Name, len(got.Buckets), len(h.Buckets))
				continue
			}
			for j, raw := range got.Buckets {
				checkBucket(t, s.Name, j, raw, h.Buckets[j])
			}
		default:
			t.Errorf("sample %q of kind %v", s.Name, s.Value.Kind())
		}
	}
	// The infinities of the scheduler's latency histogram, as strings.
	if lat := snap.Histograms["/sched/latencies:seconds"].Buckets; len(lat) < 2 ||
		string(lat[0]) != `"-Inf"` || string(lat[len(lat)-1]) != `"+Inf"` {
		t.Errorf("/sched/latencies:seconds buckets do not run from \"-Inf\" to \"+Inf\"")
	}
}

// checkValue compares a memstats JSON value with the MemStats field it was
// formatted from: integers exactly, floats bit for bit, bools, and the
// arrays element by element.
func checkValue(t *testing.T, name string, raw json.RawMessage, v reflect.Value) {
	t.Helper()
	s := string(raw)
	switch v.Kind() {
	case reflect.Uint64, reflect.Uint32:
		if got, err := strconv.ParseUint(s, 10, 64); err != nil || got != v.Uint() {
			t.Errorf("%s = %s, read %d", name, s, v.Uint())
		}
	case reflect.Float64:
		if got, err := strconv.ParseFloat(s, 64); err != nil || got != v.Float() {
			t.Errorf("%s = %s, read %v", name, s, v.Float())
		}
	case reflect.Bool:
		if s != strconv.FormatBool(v.Bool()) {
			t.Errorf("%s = %s, read %v", name, s, v.Bool())
		}
	case reflect.Array:
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil || len(elems) != v.Len() {
			t.Errorf("%s: %d elements (%v), want %d", name, len(elems), err, v.Len())
			return
		}
		for i := range elems {
			checkValue(t, name+"["+strconv.Itoa(i)+"]", elems[i], v.Index(i))
		}
	case reflect.Struct:
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || len(fields) != v.NumField() {
			t.Errorf("%s = %s, want an object of %d fields", name, s, v.NumField())
			return
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i).Name
			checkValue(t, name+"."+f, fields[f], v.Field(i))
		}
	default:
		t.Errorf("%s: unexpected MemStats field kind %v", name, v.Kind())
	}
}

func checkBucket(t *testing.T, name string, j int, raw json.RawMessage, want float64) {
	t.Helper()
	s := string(raw)
	switch {
	case math.IsInf(want, -1):
		if s != `"-Inf"` {
			t.Errorf("histograms[%q].buckets[%d] = %s, want \"-Inf\"", name, j, s)
		}
	case math.IsInf(want, 1):
		if s != `"+Inf"` {
			t.Errorf("histograms[%q].buckets[%d] = %s, want \"+Inf\"", name, j, s)
		}
	default:
		if got, err := strconv.ParseFloat(s, 64); err != nil || got != want {
			t.Errorf("histograms[%q].buckets[%d] = %s, read %v", name, j, s, want)
		}
	}
}

// TestNanotimeIsClockMonotonic checks that the runtime's nanotime, which
// mono_before_ns and mono_after_ns come from, is CLOCK_MONOTONIC in ns.
func TestNanotimeIsClockMonotonic(t *testing.T) {
	const clockMonotonic = 1
	var a, b syscall.Timespec
	for i := 0; i < 3; i++ {
		if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&a)), 0); e != 0 {
			t.Fatal(e)
		}
		n := nanotime()
		if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&b)), 0); e != 0 {
			t.Fatal(e)
		}
		if n < a.Nano() || n > b.Nano() {
			t.Errorf("nanotime %d not within clock_gettime(CLOCK_MONOTONIC) %d..%d", n, a.Nano(), b.Nano())
		}
	}
}
