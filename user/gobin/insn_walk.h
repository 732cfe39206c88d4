/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * disasm.c's instruction walk over a Go function, which globals.c uses as well; not for use
 * outside user/gobin/.
 */
#ifndef GS_GOBIN_INSN_WALK_H
#define GS_GOBIN_INSN_WALK_H

#include <stdbool.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "gobin/gobin.h"

/* Called for each instruction: 0 goes on, > 0 stops the walk (success), < 0 stops with an error. */
typedef int (*gobin_insn_cb)(const cs_insn *insn, void *arg);

/*
 * Decode function fn (found by name in .gopclntab) from its entry to its end and call cb on each
 * instruction; with detail, capstone fills in the operands. *entry_out, if not NULL, is fn's
 * entry, set before the first call. Returns 0, also when cb stopped the walk; cb's negative
 * return; -ENOENT when there is no such function; -EILSEQ when its code does not decode; -ENOMEM.
 */
int gobin_walk_insns(const struct gobin *b, const char *fn, bool detail, gobin_insn_cb cb,
		     void *arg, uint64_t *entry_out);

/* The same over the code from link-time address entry to end (a function .gopclntab gave). */
int gobin_walk_range(const struct gobin *b, uint64_t entry, uint64_t end, bool detail,
		     gobin_insn_cb cb, void *arg);

#endif
