/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The non-detailed GODEBUG=schedtrace line (runtime.schedtrace in proc.go) in the layout of the
 * target's own Go release: 1.19; 1.20–1.24 add needspinning; 1.25+ bracket the run queues with
 * spaces and add schedticks.
 */
#ifndef GS_OUT_SCHEDTRACE_H
#define GS_OUT_SCHEDTRACE_H

#include <stddef.h>
#include <stdint.h>
#include "target/sampler.h"

#define SCHEDTRACE_LINE_MAX 16384

size_t schedtrace_format(const struct rt_sample *s, int minor, uint64_t ms, char *buf, size_t len);

#endif
