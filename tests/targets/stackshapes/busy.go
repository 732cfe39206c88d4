package main

import (
	"runtime"
	"runtime/debug"
	"time"
)

// startBusy keeps the GC and the scheduler busy: spawners keep up to 64
// goroutines each alive, every one of which grows its stack through a
// recursion of varying depth, allocates garbage, maybe sleeps or yields, and
// exits.
func startBusy() {
	debug.SetGCPercent(25)
	for i := 0; i < 4; i++ {
		go spawner(i)
	}
}

func spawner(id int) {
	done := make(chan int, 64)
	live := 0
	for n := 0; ; n++ {
		for live < 64 {
			go churnOne(id, n, done)
			live++
			n++
		}
		sink.Add(int64(<-done))
		live--
	}
}

//go:noinline
func churnOne(id, n int, done chan<- int) {
	v := churnRecurse((n*7+id)%40, make([]byte, 512+(n%16)*1024))
	switch n % 3 {
	case 0:
		time.Sleep(time.Duration(n%50) * time.Microsecond)
	case 1:
		runtime.Gosched()
	}
	done <- v
}

//go:noinline
func churnRecurse(d int, b []byte) int {
	if d == 0 {
		garbage := make([][]byte, 8)
		for i := range garbage {
			garbage[i] = make([]byte, 4096)
		}
		return len(garbage) + len(b)
	}
	var pad [64]byte // makes the stack grow, and be copied
	pad[d%64] = byte(d)
	return churnRecurse(d-1, b) + int(pad[(d+1)%64])
}
