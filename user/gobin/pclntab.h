/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Functions by name from .gopclntab, the table the Go runtime itself walks for stack traces. The
 * linker writes it into every Go binary and -ldflags=-s -w leaves it in place, so this works on
 * stripped binaries, where .symtab is gone.
 */
#ifndef GS_GOBIN_PCLNTAB_H
#define GS_GOBIN_PCLNTAB_H

#include <stddef.h>
#include <stdint.h>
#include "gobin/gobin.h"

/*
 * Link-time entry address of the function called name and the address just past its code (the
 * next function's entry). The index is built on first use. Returns 0, or -ENOENT when the binary
 * has no such function or no readable .gopclntab.
 */
int gobin__func(const struct gobin *b, const char *name, uint64_t *entry, uint64_t *end);

/* Number of functions in the index (builds it); 0 without a readable .gopclntab. */
size_t gobin__func_count(const struct gobin *b);

#endif
