/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A growable byte buffer: the one under the JSON writer, the Prometheus exposition and the pprof
 * encoder. A failed allocation makes oom sticky and every later append a no-op, so a writer
 * checks once, at the end. The contents stay NUL-terminated (for text; binary data may hold NULs).
 */
#ifndef GS_BUF_H
#define GS_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len, cap;
	bool oom;
};

/* Room for more bytes (and the terminating NUL) after len; false when out of memory. */
bool buf_reserve(struct buf *b, size_t more);
void buf_put(struct buf *b, const void *data, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empty it, keeping the memory; oom is cleared. */
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
