/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The function a goroutine runs, when the go statement that started it had the compiler make a
 * wrapper (`go f(x)` starts main.main.gowrap1, or main.main.func1 before Go 1.22, which calls f):
 * read from the wrapper's code and .gopclntab, so it works on stripped binaries.
 */
#ifndef GS_GOBIN_GOTARGET_H
#define GS_GOBIN_GOTARGET_H

#include <stdbool.h>
#include <stdint.h>
#include "gobin/gobin.h"

struct gobin_gotarget {
	const char *name;	/* the function, as .gopclntab names it (valid while b is open) */
	uint64_t pc;		/* link-time: its entry, or an instruction of its body inlined
				 * into the wrapper (inlined); pc's file:line lies in it */
	bool inlined;
};

/*
 * startpc (a goroutine's g.startpc, as a link-time address): when it is the entry of a wrapper
 * the runtime hides from tracebacks, the function the wrapper calls, which is the function the
 * runtime's goroutine dumps show the goroutine running. Cached in b per startpc. Returns 0;
 * -ENOENT when startpc is no wrapper's entry (the goroutine runs startpc's own function);
 * -ENOEXEC when the wrapper calls through a func value or an interface (a method value, a closure
 * value before Go 1.24, an interface method call not devirtualized), which code alone does not
 * tell, or its code does not decode; -ENOMEM.
 */
int gobin__go_target_of(struct gobin *b, uint64_t startpc, struct gobin_gotarget *out);

/* The same, just the name: NULL when startpc is no wrapper or what it calls is unknown. */
const char *gobin__go_target(struct gobin *b, uint64_t startpc);

/* A go statement's wrapper by its name alone, "pkg.fn.gowrapN" (Go 1.22+). */
bool gobin__is_gowrap_name(const char *name);

#endif
