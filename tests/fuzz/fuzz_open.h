/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared by the libFuzzer targets: hand the fuzzer's bytes to gobin__open as a whole file.
 * gobin__open wants a path (it opens and mmaps the file itself), so the bytes go into a memfd
 * and the path is /proc/self/fd/N; nothing touches the disk.
 */
#ifndef GS_FUZZ_OPEN_H
#define GS_FUZZ_OPEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "gobin/gobin.h"

static int fuzz_write_all(int fd, const uint8_t *data, size_t size)
{
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			return -1;
		data += n;
		size -= (size_t)n;
	}
	return 0;
}

/* The binary the bytes describe, or NULL when the readers reject them (which is fine). */
static struct gobin *fuzz_open(const uint8_t *data, size_t size)
{
	struct gs_err err = { 0 };
	struct gobin *b = NULL;
	char path[64];
	int fd;

	fd = memfd_create("gobin-fuzz", MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		abort();	/* the harness is broken, not the input */
	}
	if (!fuzz_write_all(fd, data, size)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		b = gobin__open(path, &err);
	}
	close(fd);
	return b;
}

#endif
