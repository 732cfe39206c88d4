/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Machine code of a Go binary, decoded with capstone: the RET instructions of a function (where
 * return probes go, since a uretprobe crashes Go programs) and the addresses of runtime globals
 * in binaries whose .symtab is gone (-ldflags=-s), recovered from the RIP-relative operands of
 * runtime functions that .gopclntab still names.
 */
#ifndef GS_GOBIN_DISASM_H
#define GS_GOBIN_DISASM_H

#include <stddef.h>
#include <stdint.h>
#include "gobin/gobin.h"

/*
 * Offsets from the entry of function fn (looked up in .gopclntab) of every RET and RET imm16 in
 * it, in address order. The function is decoded instruction by instruction from its entry to its
 * end; bytes that do not decode fail the call rather than being skipped, because a probe off an
 * instruction boundary corrupts the program. Up to max offsets are stored; *n is the number
 * found. Returns 0; -ENOSPC when more than max were found; -ENOENT when there is no such
 * function; -EILSEQ when its code does not decode; -ENOMEM.
 */
int gobin__rets(const struct gobin *b, const char *fn, uint64_t *offs, size_t max, size_t *n);

/*
 * Offset from fn's entry of the first instruction past its stack check (CMP against
 * g.stackguard0 through R14, then the conditional branch to morestack), or 0 when fn has none
 * (a NOSPLIT function). A probe there fires once per call: when the stack must grow, morestack
 * runs fn again from its entry, and an entry probe would count that call twice. Arguments are
 * still in their registers there and no frame is set up yet. Returns 0, or as gobin__rets.
 */
int gobin__after_stack_check(const struct gobin *b, const char *fn, uint64_t *off);

/*
 * Link-time address and size in bytes of a runtime global, e.g. "runtime.sched": from .symtab
 * when the binary has the symbol, else recovered as gobin__global_recover does. size is 0 when
 * it is not known (a recovered struct global in a binary without DWARF). Returns 0, or a negative
 * errno as gobin__global_recover.
 */
int gobin__global(struct gobin *b, const char *name, uint64_t *addr, uint64_t *size);

struct gobin_recovered {
	uint64_t addr;
	uint64_t size;			/* bytes; 0 when unknown */
	unsigned int recipes;		/* rows for this Go release whose function is linked in */
	unsigned int agreed;		/* rows that gave the answer and passed every check */
};

/*
 * Recover a runtime global from code alone, ignoring .symtab: every recipe row for the global
 * and the binary's Go release decodes a runtime function and picks one of its RIP-relative
 * operands; the candidate must pass the global's plausibility checks (section, alignment, the
 * file's contents where they say something) and all candidates must agree. The result, failures
 * included, is cached in b. Returns 0; -ENOENT when the global is unknown here, no recipe applies
 * to the release or the binary has none of the recipes' functions (the linker drops unused ones);
 * -EPROTO when a function lacks the operand, or the candidates disagree or fail the checks;
 * -EILSEQ when code does not decode; -ENOMEM.
 */
int gobin__global_recover(struct gobin *b, const char *name, struct gobin_recovered *out);

#endif
