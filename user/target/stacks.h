/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every goroutine's stack, read from outside: allgs walked, each g's saved registers and its
 * stack read with process_vm_readv(2), and the stack unwound with .gopclntab's SP-delta tables
 * the way the runtime's own unwinder does it. Nothing is written and the target never stops, so
 * goroutines move while they are read: each one is read again after its unwinding and retried
 * when it changed; one that keeps changing is marked, never shown with a torn stack.
 */
#ifndef GS_STACKS_H
#define GS_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target;
struct gs_err;

/* One logical frame: a physical frame, or a call inlined into it (listed innermost first). */
struct gframe {
	const char *func;		/* as the binary names it (generic shapes included) */
	const char *file;		/* NULL when the line tables have none */
	int line;
	uint64_t pc;			/* runtime address: the frame's pc (a return address) */
	uint64_t entry;			/* runtime address of the physical function's entry */
	uint64_t sp, fp;		/* the physical frame's, as the runtime's unwinder has them */
	uint32_t phys;			/* index of its physical frame, counted from the innermost */
	uint8_t funcid;			/* abi.FuncID of the function (or inlined callee) */
	bool inlined;			/* an inlined call: no +0x offset, "(...)" for arguments */
	char *args;			/* what printArgs prints between the parentheses; NULL: none */
};

/* One goroutine, as read. */
struct gread {
	uint64_t addr;			/* the g, in the target */
	uint64_t goid;
	uint32_t status;		/* atomicstatus, scan bit included */
	uint8_t wait_reason;
	const char *wait_reason_name;	/* the target's own string; NULL when none */
	int64_t wait_ns;		/* how long it has waited by g.waitsince; -1: unknown */
	bool locked;			/* lockedm != 0 */
	bool system;			/* a runtime goroutine (isSystemGoroutine) */
	uint64_t parent_goid;		/* 0: unknown (before Go 1.21) or none */
	uint64_t bubble_id;		/* synctest bubble; 0: none */
	uint64_t gopc, startpc;		/* runtime addresses */
	uint64_t m_id;			/* gp.m.id when gp.m != NULL */
	uint64_t m_addr;		/* gp.m; 0: none */
	char **labels;			/* key, value, key, value …; NULL when none */
	size_t nlabels;
	/* Where it was created (the go statement), as printcreatedby shows it. */
	const char *created_func;
	const char *created_file;
	int created_line;
	uint64_t created_off;		/* gopc - entry */
	uint8_t created_funcid;
	struct gframe *frames;
	size_t nframes;
	bool running;			/* _Grunning: no stable stack from outside */
	bool changed;			/* it kept moving while read: frames dropped */
	bool unwind_error;		/* the unwinder stopped at a pc it could not resolve */
	bool truncated;			/* deeper than goscope reads */
	int attempts;			/* reads it took */
};

struct gdump {
	int minor;			/* Go 1.minor of the target */
	struct gread *g;
	size_t n;			/* goroutines read (in allgs order) */
	uint64_t total;			/* live goroutines seen in allgs */
	uint64_t not_reached;		/* left when the budget ran out */
	uint64_t changed;		/* goroutines that kept moving */
	uint64_t started_ns, took_ns;	/* CLOCK_MONOTONIC */
	int64_t started_unix_ns;
	uint8_t funcid_wrapper;		/* abi.FuncIDWrapper in this release */
	bool labels_shown;		/* GODEBUG tracebacklabels: the runtime prints labels */
	void *priv;
};

struct stacks_opts {
	uint64_t budget_ns;		/* the whole dump; 0: no limit */
	int retries;			/* extra reads of a goroutine that moved */
	bool system;			/* runtime goroutines too */
	/* The target's name for a wait reason; may be NULL. */
	const char *(*wait_reason)(void *ctx, unsigned int reason);
	void *ctx;
	/*
	 * Streaming: each goroutine is shown to each() as soon as it is read, then dropped, so
	 * the dump holds none (d->n stays 0) and memory stays flat however many there are.
	 */
	void (*each)(void *ctx, const struct gdump *d, const struct gread *g);
	void *each_ctx;
};

#define STACKS_DEFAULT_BUDGET_NS	1000000000ull
#define STACKS_DEFAULT_RETRIES		3

/* Read every goroutine of t. Returns a dump (free with gdump__free), or NULL with err. */
struct gdump *stacks__dump(struct target *t, const struct stacks_opts *o, struct gs_err *err);
void gdump__free(struct gdump *d);

#endif
