//go:build !noprof

// The default build: importing runtime/pprof keeps runtime.MemProfile
// reachable, so the linker leaves memory profiling enabled.

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
)

const memprof = 1

// errNeedsDefault is only returned by the noprof build.
var errNeedsDefault error

// writeSites writes the runtime's own count of live goroutines per creation
// site, as "site <count> <func> <file>:<line> <runs>" lines, most populous
// first; runs is the function the site's goroutines run, as the runtime shows
// it ("?" when their stacks were elided; several, comma-separated, if they
// differ).
//
// The goroutine profile with debug=2 prints every goroutine's traceback;
// one started by a go statement ends with
//
//	main.leakWorker()                            (the function it runs)
//		/path/main.go:79 +0x45
//	created by main.spawnLeaks                   (Go <= 1.20)
//	created by main.spawnLeaks in goroutine 1    (Go >= 1.21)
//		/path/main.go:92 +0x2e
//
// (the +0x.. offset may be missing); the file:line is the go statement. The
// runtime hides compiler-made wrappers (the closure `go f(x)` starts in), so
// the frame above "created by" is f.
func writeSites(w *bufio.Writer) error {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		return err
	}
	type site struct {
		fn, pos string
		runs    []string
		n       int
	}
	bySite := map[string]*site{}
	lines := strings.Split(buf.String(), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "created by ") {
			continue
		}
		runs := outermostFunc(lines, i)
		fn := strings.TrimPrefix(lines[i], "created by ")
		if j := strings.Index(fn, " in goroutine "); j >= 0 {
			fn = fn[:j]
		}
		fn = strings.TrimSpace(fn)
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "\t") {
			return fmt.Errorf("no file:line after %q", lines[i])
		}
		i++
		pos := strings.TrimSpace(lines[i])
		if j := strings.LastIndex(pos, " +0x"); j >= 0 {
			pos = pos[:j]
		}
		key := fn + " " + pos
		s := bySite[key]
		if s == nil {
			s = &site{fn: fn, pos: pos}
			bySite[key] = s
		}
		s.n++
		if !contains(s.runs, runs) {
			s.runs = append(s.runs, runs)
		}
	}
	sites := make([]*site, 0, len(bySite))
	for _, s := range bySite {
		sites = append(sites, s)
	}
	sort.Slice(sites, func(a, b int) bool {
		if sites[a].n != sites[b].n {
			return sites[a].n > sites[b].n
		}
		if sites[a].fn != sites[b].fn {
			return sites[a].fn < sites[b].fn
		}
		return sites[a].pos < sites[b].pos
	})
	for _, s := range sites {
		sort.Strings(s.runs)
		fmt.Fprintf(w, "site %d %s %s %s\n", s.n, s.fn, s.pos, strings.Join(s.runs, ","))
	}
	return nil
}

// outermostFunc is the function of the frame printed just above the "created
// by" line lines[i] (its "func(args)" line, then its "\tfile:line" line), or
// "?" when that is not a frame (elided frames).
func outermostFunc(lines []string, i int) string {
	if i < 2 || !strings.HasPrefix(lines[i-1], "\t") {
		return "?"
	}
	f := lines[i-2]
	j := strings.LastIndex(f, "(")
	if j <= 0 || !strings.HasSuffix(f, ")") || strings.HasPrefix(f, "\t") ||
		strings.HasPrefix(f, "...") {
		return "?"
	}
	return f[:j]
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// writeMemProfile writes the runtime's raw allocation samples since the start
// by the innermost function outside the runtime: "memprof <func> <samples>
// <bytes>". Samples are published at the end of a GC cycle, hence the two
// cycles first. The counts are the sampled objects themselves, unweighted.
func writeMemProfile(w *bufio.Writer) error {
	runtime.GC()
	runtime.GC()
	var recs []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		recs = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		n, ok = runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
	}
	type tot struct{ samples, bytes int64 }
	by := map[string]*tot{}
	var names []string
	for _, r := range recs {
		fn := "?"
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if !strings.HasPrefix(f.Function, "runtime.") {
				fn = f.Function
				break
			}
			if !more {
				break
			}
		}
		t := by[fn]
		if t == nil {
			t = &tot{}
			by[fn] = t
			names = append(names, fn)
		}
		t.samples += r.AllocObjects
		t.bytes += r.AllocBytes
	}
	sort.Strings(names)
	for _, fn := range names {
		fmt.Fprintf(w, "memprof %s %d %d\n", fn, by[fn].samples, by[fn].bytes)
	}
	return nil
}
