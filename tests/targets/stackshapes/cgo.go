//go:build cgo

package main

/*
#include <unistd.h>

static int stackshapes_pipe[2] = { -1, -1 };

// stackshapes_block_in_c reads from a pipe nobody writes to: the calling
// goroutine stays in a cgo call (state syscall) for good. read(2) is restarted
// after a signal handler runs (the Go runtime installs its handlers with
// SA_RESTART), and the loop covers the rest.
static int stackshapes_block_in_c(int tag)
{
	char c;

	if (stackshapes_pipe[0] < 0 && pipe(stackshapes_pipe) != 0)
		return -1;
	for (;;) {
		if (read(stackshapes_pipe[0], &c, 1) == 1)
			return tag + c;
	}
}
*/
import "C"

const haveCgo = true

// cgoBlocker is the goroutine that stays inside a C function.
//
//go:noinline
func cgoBlocker(tag int, name string) {
	sink.Store(int64(C.stackshapes_block_in_c(C.int(tag))) + int64(len(name)))
}

// startCgo starts the cgo goroutine; it exists in cgo builds only.
func startCgo() int {
	go cgoBlocker(7, "in C")
	return 1
}
