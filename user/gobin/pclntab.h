/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Functions by name from .gopclntab, the table the Go runtime itself walks for stack traces. The
 * linker writes it into every Go binary and -ldflags=-s -w leaves it in place, so this works on
 * stripped binaries, where .symtab is gone.
 */
#ifndef GS_GOBIN_PCLNTAB_H
#define GS_GOBIN_PCLNTAB_H

#include <stdbool.h>
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

/*
 * A function of the table and what the runtime's traceback reads from its _func record. Every
 * address is a link-time one; every pointer points into the binary's data (valid while b is open).
 */
struct gobin_fn;

struct gobin_fninfo {
	const char *name;
	uint64_t entry, end;
	int32_t args;		/* size of the in/out arguments */
	uint8_t id;		/* abi.FuncID: numbering differs between releases */
	uint8_t flag;		/* abi.FuncFlag */
	int32_t start_line;	/* Go 1.20+; 0 before */
};

#define GOBIN_FUNCFLAG_TOPFRAME		0x1
#define GOBIN_FUNCFLAG_SPWRITE		0x2
#define GOBIN_FUNCFLAG_ASM		0x4

/* pcdata tables and funcdata, as the runtime numbers them (the same in Go 1.19-1.27). */
#define GOBIN_PCDATA_INLTREEINDEX	2
#define GOBIN_PCDATA_ARGLIVEINDEX	3
#define GOBIN_FUNCDATA_INLTREE		3
#define GOBIN_FUNCDATA_ARGINFO		5
#define GOBIN_FUNCDATA_ARGLIVEINFO	6

/* The function whose code holds addr, as the runtime's findfunc finds it; NULL if none. */
const struct gobin_fn *gobin__fn_at(struct gobin *b, uint64_t addr);
void gobin__fn_info(const struct gobin *b, const struct gobin_fn *fn, struct gobin_fninfo *o);
/* The frame size at addr (pcsp table): SP's distance below the frame's top. 0 or -ENOENT. */
int gobin__fn_sp_delta(const struct gobin *b, const struct gobin_fn *fn, uint64_t addr,
		       int32_t *delta);
/* The value of pcdata table at addr, or -1 (the runtime's pcdatavalue for a missing table). */
int32_t gobin__fn_pcdata(const struct gobin *b, const struct gobin_fn *fn, unsigned int table,
			 uint64_t addr);
/* funcdata idx as bytes of the file, *avail of them readable; NULL when the function has none. */
const unsigned char *gobin__fn_funcdata(const struct gobin *b, const struct gobin_fn *fn,
					unsigned int idx, size_t *avail);
/* Source file and line at addr in fn (funcline). 0 or -ENOENT. */
int gobin__fn_line(const struct gobin *b, const struct gobin_fn *fn, uint64_t addr,
		   const char **file, int *line);
/* A name of funcnametab by offset (inlined calls name their callee so); NULL when out of range. */
const char *gobin__funcname(const struct gobin *b, int32_t nameoff);
/* File number fileno of fn's compilation unit (Go 1.19's inline tree names files so). */
const char *gobin__file_of(const struct gobin *b, const struct gobin_fn *fn, int32_t fileno);

/*
 * Entry ix of fn's inline tree (funcdata GOBIN_FUNCDATA_INLTREE, indexed by pcdata
 * GOBIN_PCDATA_INLTREEINDEX): the inlined function's funcID, its name (gobin__funcname) and the
 * offset from fn's entry of the instruction that stands for the call in its caller (parentPc).
 * Returns false when fn has no inline tree or ix is outside it.
 */
bool gobin__fn_inl(const struct gobin *b, const struct gobin_fn *fn, int32_t ix, uint8_t *funcid,
		   int32_t *nameoff, int32_t *parent_pc);

/*
 * abi.FuncIDWrapper in b's Go release: the funcID of compiler-made wrappers (method-value and
 * method wrappers, the closure a go statement with arguments runs), which tracebacks hide. Go
 * renumbers it as it adds special functions.
 */
uint8_t gobin__funcid_wrapper(const struct gobin *b);

#endif
