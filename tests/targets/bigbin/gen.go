package main

// Generic code instantiated over many type shapes: each instance is its own
// function in the binary, with its own symbols, line table and DWARF, like the
// thousands of functions of a large service.

import (
	"encoding/json"
	"sort"
)

type pair[A, B any] struct {
	a A
	b B
}

// work has a body of some size: a map, a sort, a channel and JSON of its type.
func work[T any](v T, n int) int {
	m := make(map[int]T, n)
	s := make([]T, 0, n)
	for i := 0; i < n; i++ {
		m[i] = v
		s = append(s, v)
	}
	sort.SliceStable(s, func(i, j int) bool { return i < j })
	ch := make(chan T, 1)
	ch <- s[0]
	<-ch
	b, _ := json.Marshal(struct{ V []T }{s})
	var back struct{ V []T }
	if json.Unmarshal(b, &back) != nil {
		return -1
	}
	return len(m) + len(back.V) + len(b)
}

func fan[T any](v T, n int) int {
	return work(v, n) + work(pair[T, int8]{}, n) + work(pair[T, int16]{}, n) +
		work(pair[T, int32]{}, n) + work(pair[T, int64]{}, n) + work(pair[T, float32]{}, n) +
		work(pair[T, float64]{}, n) + work(pair[T, string]{}, n) + work(pair[T, bool]{}, n) +
		work(pair[T, []byte]{}, n) + work(pair[T, complex64]{}, n) + work(pair[T, uint16]{}, n)
}

func fan2[T any](v T, n int) int {
	return fan(v, n) + fan(pair[T, int8]{}, n) + fan(pair[T, int16]{}, n) +
		fan(pair[T, int32]{}, n) + fan(pair[T, int64]{}, n) + fan(pair[T, float32]{}, n) +
		fan(pair[T, float64]{}, n) + fan(pair[T, string]{}, n) + fan(pair[T, bool]{}, n) +
		fan(pair[T, []byte]{}, n) + fan(pair[T, complex64]{}, n) + fan(pair[T, uint16]{}, n)
}

// shapes runs every instance once, n = 0 does nearly nothing.
func shapes(n int) int {
	return fan2(int8(0), n) + fan2(int16(0), n) + fan2(int32(0), n) + fan2(int64(0), n) +
		fan2(float32(0), n) + fan2(float64(0), n) + fan2("", n) + fan2(false, n) +
		fan2([]byte(nil), n) + fan2(complex64(0), n) + fan2(uint16(0), n) + fan2(uint8(0), n)
}
