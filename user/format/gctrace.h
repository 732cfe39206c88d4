/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The gctrace line, byte for byte as the Go runtime prints it with GODEBUG=gctrace=1 at the end
 * of gcMarkTermination (runtime/mgc.go). The same text for every Go release 1.19–1.27: the
 * per-version differences are in which variables feed it, chosen by goruntime/layout.c.
 */
#ifndef GS_OUT_GCTRACE_H
#define GS_OUT_GCTRACE_H

#include <stddef.h>
#include <stdint.h>
#include "goscope.h"

/* Longest line the runtime can print for one cycle, with room to spare. */
#define GCTRACE_LINE_MAX 384

/* The runtime's itoaDiv: val in decimal with a '.' dec digits from the right. */
size_t gctrace_itoa_div(char *buf, size_t len, uint64_t val, int dec);

/* The runtime's fmtNSAsMS: ns as milliseconds with two significant digits below 10 ms. */
size_t gctrace_fmt_ns_as_ms(char *buf, size_t len, uint64_t ns);

/* Format one cycle without the trailing newline. Returns the line length. */
size_t gctrace_format(const struct gs_gc_end *e, char *buf, size_t len);

/* Every raw value of one cycle's event, on the debug log (goscope gctrace -vv). */
void gctrace_log_raw(int pid, const struct gs_gc_end *e);

#endif
