/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The recipe rows globals.c runs to find runtime globals in the code of stripped binaries: one
 * per global, function and range of Go releases. Not for use outside user/gobin/.
 */
#ifndef GS_GOBIN_GLOBAL_RECIPES_H
#define GS_GOBIN_GLOBAL_RECIPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which operands a recipe row considers. */
enum ref_kind {
	REF_ANY,			/* any instruction with a RIP-relative operand */
	REF_LEA,			/* LEA only: the address is taken */
	REF_MEM,			/* anything but LEA: the memory is read or written */
};

/*
 * One way to find a global: in function func, walk the instructions in address order and list the
 * distinct targets of RIP-relative operands that are of the given kind (and, with width, access
 * that many bytes) and lie in the global's sections (as the global_info row gives them); the nth
 * of them (from 0) is the global's address plus off. With bound, the global is a table indexed
 * under a bounds check, and its length is the immediate of the last CMP reg, imm at most
 * BOUND_WINDOW instructions before that operand.
 *
 * With anchor, the count goes backwards instead: from the first instruction that addresses the
 * anchor global (recovered from its own rows, code alone), the nth most recently used of those
 * targets. It finds a flag by what it guards, e.g. the bool read right before the store it
 * decides. An anchored row cannot have bound.
 *
 * With own, only instructions that .gopclntab's inline tree gives to that function's own body
 * count (its innermost frame): func itself, whose own count no code inlined into it can move; or
 * a function inlined into func, where the linker dropped its own copy. Profile-guided
 * optimization (Go's toolchain binaries are built with it) inlines big functions at hot call
 * sites, so it does both. A row whose func holds no code of own is not counted, as a function the
 * linker left out.
 */
struct gobin_recipe {
	const char *global;
	int min_minor;
	int max_minor;			/* 0: no upper bound */
	const char *func;
	enum ref_kind kind;
	unsigned int nth;
	int64_t off;
	bool bound;
	unsigned int width;		/* bytes the operand accesses; 0: any */
	const char *anchor;		/* count back from this global's operand; NULL: forward */
	const char *own;		/* count only this function's own code; NULL: all of func */
};

#define MAX_NTH			12
#define BOUND_WINDOW		16

/* In the order globals.c tries them: the first row that fails names the error. */
extern const struct gobin_recipe gobin_recipes[];
extern const size_t gobin_nrecipes;

#endif
