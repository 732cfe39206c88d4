/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which runtime variable and field each probe reads, per Go version, and the one place that
 * turns that knowledge into target addresses for the BPF side.
 */
#ifndef GS_LAYOUT_H
#define GS_LAYOUT_H

#include "goscope.h"
#include "gobin/gobin.h"

#define GS_GO_MIN_MINOR		19	/* oldest Go release goscope supports */
#define GS_GO_MAX_TESTED_MINOR	27	/* newest release the project tests against */

/* Probed functions, by the name the Go runtime gives them. */
#define GS_FN_GC_START	"runtime.(*gcControllerState).startCycle"
#define GS_FN_GC_END	"runtime.freeStackSpans"

/* Refuse binaries goscope cannot read: too old, no symbols, no DWARF. */
int layout_check_supported(const struct gobin *b, struct gs_err *err);

/*
 * Fill every address in *lay for a process whose binary is b and whose load bias is bias
 * (0 for non-PIE). Fails naming the first runtime field that cannot be located.
 */
int layout_gc(struct gobin *b, uint64_t bias, struct gs_gc_layout *lay, struct gs_err *err);

/* File offset of a function's entry, for attaching a uprobe to it. */
int layout_func_offset(const struct gobin *b, const char *fn, uint64_t *off, struct gs_err *err);

#endif
