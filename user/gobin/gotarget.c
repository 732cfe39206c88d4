// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The function a goroutine runs when its start function is a compiler-made wrapper.
 *
 * `go f(x, y)` does not start f: the compiler wraps the call in a closure without arguments
 * (main.main.gowrap1 since Go 1.22, main.main.func1 before) that loads x and y from its context
 * and calls f, and the goroutine's g.startpc is the wrapper's entry. The runtime marks such
 * wrappers with abi.FuncIDWrapper and its tracebacks hide them, so a goroutine dump shows f as
 * the function the goroutine runs. Here the wrapper's code is decoded and its first call that is
 * not a helper of the runtime's (stack growth, a failed type assertion's panic) gives f:
 *
 *   - a direct CALL: its target, itself resolved again when it is a wrapper too (a method value's
 *     -fm wrapper, a method wrapper of a value receiver);
 *   - any call inside code inlined into the wrapper (f's own body, from Go 1.24 a closure's):
 *     the outermost inlined function that is not a wrapper, from .gopclntab's inline tree;
 *   - an indirect call (a method value, a closure value before Go 1.24, an interface method the
 *     compiler did not devirtualize): the target is data, not code; unknown.
 *
 * Everything comes from .gopclntab and the code, so stripped binaries resolve too. Results,
 * unknown ones included, are cached per start address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gobin/internal.h"
#include "gobin/gotarget.h"
#include "gobin/insn_walk.h"
#include "gobin/pclntab.h"

#define MAX_DEPTH		4	/* wrappers calling wrappers; real chains are 2 deep */
#define MAX_INLINE_DEPTH	64	/* inline tree chain; a crafted table stops here */

struct gotarget_entry {
	uint64_t startpc;		/* 0: empty slot */
	int rc;
	struct gobin_gotarget t;
};

struct gobin_gotargets {
	struct gotarget_entry *v;	/* open addressing by startpc, linear probing */
	size_t cap, n;
};

bool gobin__is_gowrap_name(const char *name)
{
	const char *p = name ? strstr(name, ".gowrap") : NULL;

	for (; p; p = strstr(p + 1, ".gowrap")) {
		const char *d = p + 7;

		if (*d < '0' || *d > '9')
			continue;
		while (*d >= '0' && *d <= '9')
			d++;
		if (!*d)
			return true;
	}
	return false;
}

static bool is_wrapper(const struct gobin *b, const struct gobin_fninfo *fi)
{
	return fi->id == gobin__funcid_wrapper(b) || gobin__is_gowrap_name(fi->name);
}

struct walk {
	struct gobin *b;
	const struct gobin_fn *fn;
	struct gobin_fninfo fi;
	uint8_t wrapper_id;
	int depth;
	int rc;				/* 0: found; -ENOEXEC: an indirect call, or none */
	struct gobin_gotarget *out;
};

static bool is_runtime(const char *name)
{
	return !strncmp(name, "runtime.", 8) || !strncmp(name, "internal/runtime/", 17);
}

/*
 * A call a wrapper makes on its own behalf: stack growth, a failed type assertion's or nil
 * check's panic, a write barrier. Outside the runtime every call into it is one; the runtime's
 * own wrappers (`go bgsweep(c)`) call runtime functions for real.
 */
static bool is_helper(const struct walk *w, const char *callee)
{
	static const char *const helpers[] = {
		"runtime.morestack", "runtime.panic", "runtime.gcWriteBarrier", "runtime.wbMove",
	};
	size_t i;

	if (!is_runtime(callee))
		return false;
	if (!is_runtime(w->fi.name))
		return true;
	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++)
		if (!strncmp(callee, helpers[i], strlen(helpers[i])))
			return true;
	return false;
}

static int resolve(struct gobin *b, uint64_t startpc, int depth, struct gobin_gotarget *out);

/*
 * A call at addr inside code inlined into the wrapper: the outermost inlined function that the
 * runtime shows (not a wrapper). False when addr is not in inlined code or every level is one.
 */
static bool inlined_target(struct walk *w, uint64_t addr)
{
	const char *best = NULL;
	uint64_t at = addr, best_at = 0;
	int guard;

	for (guard = 0; guard < MAX_INLINE_DEPTH; guard++) {
		int32_t ix = gobin__fn_pcdata(w->b, w->fn, GOBIN_PCDATA_INLTREEINDEX, at);
		int32_t nameoff, parent_pc;
		uint8_t funcid;
		const char *name;

		if (ix < 0 || !gobin__fn_inl(w->b, w->fn, ix, &funcid, &nameoff, &parent_pc))
			break;
		name = gobin__funcname(w->b, nameoff);
		/* Each step goes out one level: the outermost one seen last wins. */
		if (name && funcid != w->wrapper_id) {
			best = name;
			best_at = at;
		}
		at = w->fi.entry + (uint64_t)(uint32_t)parent_pc;
		if (at < w->fi.entry || at >= w->fi.end)
			break;
	}
	if (!best)
		return false;
	w->out->name = best;
	w->out->pc = best_at;
	w->out->inlined = true;
	return true;
}

/* A direct call or tail jump to target. Returns 1 when it names the function, 0 to go on. */
static int direct_target(struct walk *w, uint64_t target)
{
	const struct gobin_fn *callee = gobin__fn_at(w->b, target);
	struct gobin_fninfo ci;

	if (!callee)
		return 0;
	gobin__fn_info(w->b, callee, &ci);
	if (ci.entry != target || is_helper(w, ci.name))
		return 0;
	/* A wrapper calling a wrapper: what the inner one calls, or the inner one if unknown. */
	if (is_wrapper(w->b, &ci) && w->depth + 1 < MAX_DEPTH &&
	    !resolve(w->b, target, w->depth + 1, w->out))
		return 1;
	w->out->name = ci.name;
	w->out->pc = ci.entry;
	w->out->inlined = false;
	return 1;
}

static int walk_cb(const cs_insn *insn, void *arg)
{
	struct walk *w = arg;
	const cs_x86 *x = &insn->detail->x86;
	bool call = insn->id == X86_INS_CALL, jmp = insn->id == X86_INS_JMP;
	uint64_t target;

	if (!call && !jmp)
		return 0;
	if (x->op_count != 1)
		return 0;
	if (x->operands[0].type != X86_OP_IMM) {
		/* Through a register or memory: a jump table or a call of a func value. */
		if (!call)
			return 0;
		if (inlined_target(w, insn->address))
			return w->rc = 0, 1;
		w->rc = -ENOEXEC;
		return 1;
	}
	target = (uint64_t)x->operands[0].imm;
	/* A jump inside the wrapper is control flow; one out of it is a tail call. */
	if (jmp && target >= w->fi.entry && target < w->fi.end)
		return 0;
	if (inlined_target(w, insn->address))
		return w->rc = 0, 1;
	if (direct_target(w, target))
		return w->rc = 0, 1;
	return 0;
}

/* 0 and *out; -ENOENT: startpc is no wrapper's entry; -ENOEXEC: its target is unknown. */
static int resolve(struct gobin *b, uint64_t startpc, int depth, struct gobin_gotarget *out)
{
	struct walk w = { .b = b, .depth = depth, .rc = -ENOEXEC, .out = out };
	int rc;

	w.fn = gobin__fn_at(b, startpc);
	if (!w.fn)
		return -ENOENT;
	gobin__fn_info(b, w.fn, &w.fi);
	if (w.fi.entry != startpc || !is_wrapper(b, &w.fi))
		return -ENOENT;
	w.wrapper_id = gobin__funcid_wrapper(b);
	rc = gobin_walk_range(b, w.fi.entry, w.fi.end, true, walk_cb, &w);
	if (rc)
		return -ENOEXEC;
	return w.rc;
}

/* ---- the cache ---- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static struct gotarget_entry *slot(struct gobin_gotargets *c, uint64_t startpc)
{
	size_t i;

	for (i = mix(startpc) & (c->cap - 1); c->v[i].startpc; i = (i + 1) & (c->cap - 1))
		if (c->v[i].startpc == startpc)
			break;
	return &c->v[i];
}

static int grow(struct gobin_gotargets *c)
{
	struct gobin_gotargets n = { .cap = c->cap ? c->cap * 2 : 64, .n = c->n };
	size_t i;

	n.v = calloc(n.cap, sizeof(*n.v));
	if (!n.v)
		return -ENOMEM;
	for (i = 0; i < c->cap; i++)
		if (c->v[i].startpc)
			*slot(&n, c->v[i].startpc) = c->v[i];
	free(c->v);
	*c = n;
	return 0;
}

int gobin__go_target_of(struct gobin *b, uint64_t startpc, struct gobin_gotarget *out)
{
	struct gobin_gotargets *c = b->gotargets;
	struct gotarget_entry *e;

	memset(out, 0, sizeof(*out));
	if (!startpc)
		return -ENOENT;
	if (!c) {
		c = b->gotargets = calloc(1, sizeof(*c));
		if (!c)
			return -ENOMEM;
	}
	if ((c->n + 1) * 2 > c->cap && grow(c))
		return -ENOMEM;
	e = slot(c, startpc);
	if (!e->startpc) {
		e->rc = resolve(b, startpc, 0, &e->t);
		e->startpc = startpc;
		c->n++;
	}
	*out = e->t;
	return e->rc;
}

const char *gobin__go_target(struct gobin *b, uint64_t startpc)
{
	struct gobin_gotarget t;

	return gobin__go_target_of(b, startpc, &t) ? NULL : t.name;
}

void gobin_gotarget_free(struct gobin *b)
{
	if (!b->gotargets)
		return;
	free(b->gotargets->v);
	free(b->gotargets);
	b->gotargets = NULL;
}
