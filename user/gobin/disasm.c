// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * x86-64 code of Go functions, decoded with capstone one instruction at a time from the entry
 * .gopclntab gives to the function's end (gobin_walk_insns, which globals.c uses too), and what
 * probe placement needs from it: the RET instructions and the end of the stack check.
 *
 * RET offsets. A uretprobe swaps the return address on the goroutine stack, which Go's stack
 * copying and unwinding reject (fatal error: unknown caller pc), so "function returned" probes
 * sit on the function's RET instructions instead. A byte scan for 0xc3 would also hit operands
 * and displacements; only a decoder knows the instruction boundaries.
 */
#include <errno.h>
#include <stdlib.h>
#include "gobin/internal.h"
#include "gobin/disasm.h"
#include "gobin/insn_walk.h"
#include "gobin/pclntab.h"

/* Go's largest runtime functions are tens of KiB; anything far beyond is a corrupt table. */
#define MAX_FUNC_BYTES		(4u << 20)

/* The stack check is among a function's first few instructions, or there is none. */
#define PROLOGUE_MAX_INSNS	4

/* ---- decoding ---- */

/*
 * The code from entry to end, copied from the file into *buf, which the caller frees. The end from
 * .gopclntab is the next function's entry, so the code includes the INT3 padding after it, which
 * decodes.
 */
static int read_code(const struct gobin *b, uint64_t entry, uint64_t end, size_t *len,
		     unsigned char **buf)
{
	if (end <= entry || end - entry > MAX_FUNC_BYTES)
		return -EILSEQ;
	*len = end - entry;
	*buf = malloc(*len);
	if (!*buf)
		return -ENOMEM;
	if (gobin_read_vaddr(b, entry, *buf, *len)) {
		free(*buf);
		*buf = NULL;
		return -EILSEQ;
	}
	return 0;
}

int gobin_walk_range(const struct gobin *b, uint64_t entry, uint64_t end, bool detail,
		     gobin_insn_cb cb, void *arg)
{
	uint64_t addr = entry;
	const uint8_t *p;
	unsigned char *buf;
	cs_insn *insn;
	size_t left;
	csh cs;
	int rc;

	rc = read_code(b, entry, end, &left, &buf);
	if (rc)
		return rc;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		free(buf);
		return -ENOMEM;
	}
	if (detail)
		cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(cs);
	if (!insn) {
		rc = -ENOMEM;
		goto out;
	}
	p = buf;
	while (left) {
		/* An instruction that does not decode, or runs past the end, fails the walk. */
		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			rc = -EILSEQ;
			break;
		}
		rc = cb(insn, arg);
		if (rc)
			break;
	}
	cs_free(insn, 1);
out:
	cs_close(&cs);
	free(buf);
	return rc < 0 ? rc : 0;
}

int gobin_walk_insns(const struct gobin *b, const char *fn, bool detail, gobin_insn_cb cb,
		     void *arg, uint64_t *entry_out)
{
	uint64_t entry, end;

	if (gobin__func(b, fn, &entry, &end))
		return -ENOENT;
	if (entry_out)
		*entry_out = entry;
	return gobin_walk_range(b, entry, end, detail, cb, arg);
}

/* ---- RET offsets ---- */

struct rets_state {
	uint64_t entry;
	uint64_t *offs;
	size_t max;
	size_t n;
};

static int rets_cb(const cs_insn *insn, void *arg)
{
	struct rets_state *st = arg;

	/* X86_INS_RET is the near return, with or without an imm16 (and with a REP prefix). */
	if (insn->id != X86_INS_RET)
		return 0;
	if (st->n < st->max)
		st->offs[st->n] = insn->address - st->entry;
	st->n++;
	return 0;
}

int gobin__rets(const struct gobin *b, const char *fn, uint64_t *offs, size_t max, size_t *n)
{
	struct rets_state st = { .offs = offs, .max = max };
	int rc;

	/* gobin_walk_insns sets st.entry before the first instruction reaches rets_cb. */
	rc = gobin_walk_insns(b, fn, false, rets_cb, &st, &st.entry);
	*n = st.n;
	if (rc)
		return rc;
	return st.n > max ? -ENOSPC : 0;
}

/* ---- past the stack check ---- */

struct prologue_state {
	uint64_t entry;
	unsigned int seen;		/* instructions decoded */
	bool cmp_guard;			/* the previous one compared against g.stackguard0 */
	uint64_t after;			/* offset past the check's branch; 0 until found */
};

/* A memory operand based on R14, which holds the current g in Go's register ABI. */
static bool uses_g(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	uint8_t i;

	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && x->operands[i].mem.base == X86_REG_R14)
			return true;
	return false;
}

static int prologue_cb(const cs_insn *insn, void *arg)
{
	struct prologue_state *st = arg;

	/* Go branches to morestack, at the function's end, when SP is below or equal the guard. */
	if (st->cmp_guard && (insn->id == X86_INS_JBE || insn->id == X86_INS_JB)) {
		st->after = insn->address + insn->size - st->entry;
		return 1;
	}
	st->cmp_guard = insn->id == X86_INS_CMP && uses_g(insn);
	return ++st->seen >= PROLOGUE_MAX_INSNS ? 1 : 0;
}

int gobin__after_stack_check(const struct gobin *b, const char *fn, uint64_t *off)
{
	struct prologue_state st = { 0 };
	int rc = gobin_walk_insns(b, fn, true, prologue_cb, &st, &st.entry);

	*off = st.after;
	return rc;
}
