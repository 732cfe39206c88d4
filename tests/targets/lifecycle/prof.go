//go:build !noprof

// The default build: importing runtime/pprof keeps runtime.MemProfile
// reachable, so the linker leaves memory profiling enabled.

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"runtime/pprof"
	"sort"
	"strings"
)

const memprof = 1

// errNeedsDefault is only returned by the noprof build.
var errNeedsDefault error

// writeSites writes the runtime's own count of live goroutines per creation
// site, as "site <count> <func> <file>:<line>" lines, most populous first.
//
// The goroutine profile with debug=2 prints every goroutine's traceback;
// one started by a go statement ends with
//
//	created by main.spawnLeaks                   (Go <= 1.20)
//	created by main.spawnLeaks in goroutine 1    (Go >= 1.21)
//		/path/main.go:92 +0x2e
//
// (the +0x.. offset may be missing); the file:line is the go statement.
func writeSites(w *bufio.Writer) error {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		return err
	}
	type site struct {
		fn, pos string
		n       int
	}
	bySite := map[string]*site{}
	lines := strings.Split(buf.String(), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "created by ") {
			continue
		}
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
		fmt.Fprintf(w, "site %d %s %s\n", s.n, s.fn, s.pos)
	}
	return nil
}
