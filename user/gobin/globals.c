// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runtime globals of binaries without .symtab. -ldflags=-s removes every data symbol, but the
 * code still addresses each global RIP-relative, and .gopclntab still names the code. A recipe
 * row (global_recipes.c) names a runtime function and which of its RIP-relative operands is
 * (global + offset). Rows are data, one per global, function and range of Go releases; they were
 * chosen, and are tested, on every release and build mode of the test matrix (default, PIE, cgo
 * with the external linker, stripped). Nothing is trusted blindly: each global has a section it
 * must lie in, an alignment, for tables a check of the file's contents, and every row that
 * applies must agree with the others. Most globals have two rows in different functions, so that
 * one function changing in a new release shows up as a disagreement (an error) instead of a
 * wrong address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gobin/internal.h"
#include "gobin/disasm.h"
#include "gobin/insn_walk.h"
#include "gobin/global_recipes.h"
#include "gobin/pclntab.h"

/* The data sections a global may lie in, as a mask. */
enum {
	SEC_NOPTRDATA = 1 << 0,		/* initialised, pointer-free */
	SEC_DATA = 1 << 1,		/* initialised, with pointers */
	SEC_BSS = 1 << 2,		/* zeroed, with pointers */
	SEC_NOPTRBSS = 1 << 3,		/* zeroed, pointer-free */
	NSECS = 4,
};

static const char *const sec_names[NSECS] = { ".noptrdata", ".data", ".bss", ".noptrbss" };

/* What the recovered address of a global must satisfy, whichever recipe found it. */
enum value_check {
	CHECK_NONE,			/* zeroed at start: the file says nothing */
	CHECK_SIZE_CLASSES,		/* {0, 8, 16, ..., 32768}, strictly increasing */
	CHECK_WAIT_REASONS,		/* {"", "GC assist marking", ...} */
	CHECK_STW_REASONS,		/* {"unknown", ...} */
	CHECK_MEM_PROFILE_RATE,		/* 512 * 1024 where initialised data */
	CHECK_LINKER_TRUE,		/* a bool the linker sets: true where initialised data */
	CHECK_FIXED_STACK,		/* a uint32 initialised to fixedStack (2048) */
	CHECK_GODEBUGS,			/* internal/godebugs.All: {&[n]Info, n, n}, names [a-z0-9]+ */
};

/*
 * A global's size comes from whichever source is exact for its kind: the declaration for scalars
 * and slice headers (fixed on amd64), the bounds check a recipe found for a table (times the
 * element size; the value checks then read the whole table), and DWARF for a struct, so only
 * when the binary has DWARF: a stripped struct global has size 0, unknown.
 */
struct global_info {
	const char *name;
	unsigned int secs;		/* the section it lies in; recipes look only there */
	unsigned int align;
	uint64_t size;			/* fixed by its declaration, or 0 */
	const char *type;		/* the DWARF struct type of a struct global, for its size */
	unsigned int elem;		/* element size of a table sized by a bounds check */
	enum value_check check;
};

static const struct global_info globals[] = {
	{ "runtime.memstats", SEC_NOPTRBSS, 8, 0, "runtime.mstats", 0, CHECK_NONE },
	{ "runtime.work", SEC_BSS, 8, 0, "runtime.workType", 0, CHECK_NONE },
	{ "runtime.gcController", SEC_NOPTRBSS, 8, 0, "runtime.gcControllerState", 0, CHECK_NONE },
	{ "runtime.sched", SEC_BSS, 8, 0, "runtime.schedt", 0, CHECK_NONE },
	{ "runtime.runtimeInitTime", SEC_NOPTRBSS, 8, 8, NULL, 0, CHECK_NONE },	/* int64 */
	{ "runtime.allp", SEC_BSS, 8, 24, NULL, 0, CHECK_NONE },			/* []*p */
	{ "runtime.allgs", SEC_BSS, 8, 24, NULL, 0, CHECK_NONE },			/* []*g */
	{ "runtime.allglen", SEC_NOPTRBSS, 8, 8, NULL, 0, CHECK_NONE },		/* uintptr */
	{ "runtime.gomaxprocs", SEC_NOPTRBSS, 4, 4, NULL, 0, CHECK_NONE },		/* int32 */
	{ "runtime.ncpu", SEC_NOPTRBSS, 4, 4, NULL, 0, CHECK_NONE },			/* int32 */
	{ "runtime.numCPUStartup", SEC_NOPTRBSS, 4, 4, NULL, 0, CHECK_NONE },		/* int32 */
	{ "runtime.class_to_size", SEC_NOPTRDATA, 2, 0, NULL, 2, CHECK_SIZE_CLASSES },
	{ "internal/runtime/gc.SizeClassToSize", SEC_NOPTRDATA, 2, 0, NULL, 2,
	  CHECK_SIZE_CLASSES },
	{ "runtime.waitReasonStrings", SEC_DATA, 8, 0, NULL, 16, CHECK_WAIT_REASONS },
	{ "runtime.stwReasonStrings", SEC_DATA, 8, 0, NULL, 16, CHECK_STW_REASONS },
	/* int, statically initialised since Go 1.20; 1.19 set it in runtime's initialiser. */
	{ "runtime.MemProfileRate", SEC_NOPTRDATA | SEC_NOPTRBSS, 8, 8, NULL, 0,
	  CHECK_MEM_PROFILE_RATE },
	/*
	 * bool, set (only ever to true) by the linker when nothing reaches runtime.MemProfile: then
	 * in .data (Go <= 1.23) or .noptrdata (1.24+), else zeroed in .noptrbss.
	 */
	{ "runtime.disableMemoryProfiling", SEC_NOPTRDATA | SEC_DATA | SEC_NOPTRBSS, 1, 1, NULL, 0,
	  CHECK_LINKER_TRUE },
	/* What runtime/metrics reads beyond memstats, the work and the controller. */
	{ "runtime.mheap_", SEC_BSS, 8, 0, "runtime.mheap", 0, CHECK_NONE },
	{ "runtime.allm", SEC_BSS, 8, 8, NULL, 0, CHECK_NONE },			/* *m */
	{ "runtime.ncgocall", SEC_NOPTRBSS, 8, 8, NULL, 0, CHECK_NONE },		/* uint64 */
	/* uint32, initialised to fixedStack; each GC may change it, the file keeps 2048. */
	{ "runtime.startingStackSize", SEC_NOPTRDATA, 4, 4, NULL, 0, CHECK_FIXED_STACK },
	{ "runtime.gcCPULimiter", SEC_NOPTRBSS, 8, 0, "runtime.gcCPULimiterState", 0, CHECK_NONE },
	{ "runtime.finqueued", SEC_NOPTRBSS, 8, 8, NULL, 0, CHECK_NONE },		/* uint64, 1.25+ */
	{ "runtime.finexecuted", SEC_NOPTRBSS, 8, 8, NULL, 0, CHECK_NONE },		/* uint64, 1.25+ */
	{ "runtime.gcCleanups", SEC_BSS, 8, 0, "runtime.cleanupQueue", 0, CHECK_NONE },	/* 1.25+ */
	{ "runtime.extraMInUse", SEC_NOPTRBSS, 4, 4, NULL, 0, CHECK_NONE },	/* atomic.Uint32, 1.21+ */
	{ "runtime.extraMLength", SEC_NOPTRBSS, 4, 4, NULL, 0, CHECK_NONE },	/* atomic.Uint32, 1.21+ */
	/*
	 * []internal/godebugs.Info, 1.21+, statically initialised; linked only into programs that
	 * use runtime/metrics or internal/godebug (an empty main has neither).
	 */
	{ "internal/godebugs.All", SEC_DATA, 8, 24, NULL, 0, CHECK_GODEBUGS },
	/*
	 * sync.Map (32 bytes up to 1.23, 48 from 1.24), 1.21+, zeroed: name -> *setting. Only in
	 * programs that link internal/godebug (os/exec, net, crypto/tls, ...).
	 */
	{ "internal/godebug.cache", SEC_BSS, 8, 0, "sync.Map", 0, CHECK_NONE },
};

#define NGLOBALS	(sizeof(globals) / sizeof(globals[0]))

/* Limits of the value checks: Go has 68 size classes and fewer than 100 wait reasons. */
#define MAX_TABLE_LEN		1024
#define MAX_SMALL_SIZE		32768	/* _MaxSmallSize: the largest size class */
#define MAX_REASON_LEN		127
#define MEM_PROFILE_RATE	(512 * 1024)	/* runtime.MemProfileRate's initialiser */
#define FIXED_STACK		2048		/* fixedStack on linux/amd64, every release */
#define GODEBUG_INFO_SIZE	64		/* internal/godebugs.Info, 1.21-1.27 */
#define MAX_GODEBUG_NAME	63

struct gobin_sec {
	uint64_t addr;
	uint64_t size;			/* 0: the binary has no such section */
};

struct gobin_global_slot {
	bool done;
	bool busy;			/* being recovered: an anchor cycle ends here */
	int rc;
	struct gobin_recovered r;
};

struct gobin_globals {
	struct gobin_sec secs[NSECS];
	struct gobin_global_slot slots[NGLOBALS];
};

static struct gobin_globals *globals_state(struct gobin *b)
{
	struct gobin_globals *g;
	uint64_t bounds[NSECS][2];
	size_t i, nscn;

	if (b->globals)
		return b->globals;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	for (i = 0; i < NSECS; i++) {
		GElf_Shdr shdr;

		memset(&shdr, 0, sizeof(shdr));
		gobin_section(b, sec_names[i], &shdr);
		/* Globals are written at run time: a section that is not writable is not ours. */
		if ((shdr.sh_flags & (SHF_ALLOC | SHF_WRITE)) != (SHF_ALLOC | SHF_WRITE))
			continue;
		g->secs[i] = (struct gobin_sec){ shdr.sh_addr, shdr.sh_size };
	}
	/* No section headers (sstrip): the runtime's own moduledata bounds the same four. */
	if (elf_getshdrnum(b->elf, &nscn) == 0 && nscn == 0 &&
	    gobin_moduledata_sections(b, bounds) == 0)
		for (i = 0; i < NSECS; i++)
			g->secs[i] = (struct gobin_sec){ bounds[i][0], bounds[i][1] - bounds[i][0] };
	b->globals = g;
	return g;
}

/* The section mask of [addr, addr + len) when one section holds all of it, else 0. */
static unsigned int sec_of(const struct gobin_globals *g, uint64_t addr, uint64_t len)
{
	size_t i;

	for (i = 0; i < NSECS; i++) {
		const struct gobin_sec *s = &g->secs[i];

		if (s->size && addr >= s->addr && addr - s->addr < s->size &&
		    len <= s->size - (addr - s->addr))
			return 1u << i;
	}
	return 0;
}

struct pick_state {
	const struct gobin_recipe *r;
	const struct gobin_globals *g;
	const struct gobin *b;
	const struct gobin_fn *fn;	/* r->func, with r->own */
	bool own_seen;			/* an operand in r->own's code */
	unsigned int secs;
	uint64_t anchor;		/* the anchor's address, with r->anchor */
	bool anchored;			/* an operand addressed it */
	/* Forward: in first-use order. Anchored: the last MAX_NTH + 1, most recently used last. */
	uint64_t seen[MAX_NTH + 1];
	unsigned int nseen;
	bool have_cmp;
	unsigned int cmp_age;		/* instructions since the last CMP reg, imm */
	uint64_t cmp_imm;
	uint64_t target;
	uint64_t count;			/* table length from the bounds check */
	int err;
};

/* The target of insn's RIP-relative memory operand, and the bytes it accesses, if it has one. */
static bool rip_target(const cs_insn *insn, uint64_t *target, unsigned int *width)
{
	const cs_x86 *x = &insn->detail->x86;
	int i;

	for (i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (op->type != X86_OP_MEM || op->mem.base != X86_REG_RIP ||
		    op->mem.index != X86_REG_INVALID)
			continue;
		*target = insn->address + insn->size + (uint64_t)op->mem.disp;
		*width = op->size;
		return true;
	}
	return false;
}

/* Whether the instruction at addr is r->own's own code: the innermost frame of the inline tree. */
static bool own_code(const struct pick_state *st, uint64_t addr)
{
	int32_t ix = gobin__fn_pcdata(st->b, st->fn, GOBIN_PCDATA_INLTREEINDEX, addr);
	const char *name = st->r->func;
	int32_t nameoff, parent_pc;
	uint8_t funcid;

	if (ix >= 0) {
		if (!gobin__fn_inl(st->b, st->fn, ix, &funcid, &nameoff, &parent_pc))
			return false;
		name = gobin__funcname(st->b, nameoff);
	}
	return name && !strcmp(name, st->r->own);
}

/* A CMP reg, imm: the bounds check a table index may be under. Remembers its immediate. */
static bool note_cmp(struct pick_state *st, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;

	if (insn->id != X86_INS_CMP || x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[1].type != X86_OP_IMM)
		return false;
	st->have_cmp = true;
	st->cmp_age = 0;
	st->cmp_imm = (uint64_t)x->operands[1].imm;
	return true;
}

/* Whether the row counts this operand: its kind, its width, the global's sections. */
static bool counts(const struct pick_state *st, const cs_insn *insn, uint64_t target,
		   unsigned int width)
{
	bool lea = insn->id == X86_INS_LEA;

	if ((st->r->kind == REF_LEA && !lea) || (st->r->kind == REF_MEM && lea))
		return false;
	if (st->r->width && width != st->r->width)
		return false;
	return (sec_of(st->g, target, 1) & st->secs) != 0;
}

/* Anchored rows: move target to the end; the least recently used falls off a full list. */
static void use_recent(struct pick_state *st, uint64_t target)
{
	unsigned int i;

	for (i = 0; i < st->nseen; i++)
		if (st->seen[i] == target)
			break;
	if (i == st->nseen && st->nseen == MAX_NTH + 1)
		i = 0;
	else if (i == st->nseen)
		st->nseen++;
	memmove(&st->seen[i], &st->seen[i + 1], (st->nseen - 1 - i) * sizeof(st->seen[0]));
	st->seen[st->nseen - 1] = target;
}

static int pick_cb(const cs_insn *insn, void *arg)
{
	struct pick_state *st = arg;
	unsigned int i, width;
	uint64_t target;

	if (note_cmp(st, insn))
		return 0;
	st->cmp_age++;
	if (!rip_target(insn, &target, &width))
		return 0;
	if (st->r->own) {
		if (!own_code(st, insn->address))
			return 0;
		st->own_seen = true;
	}
	if (st->r->anchor && target == st->anchor) {
		st->anchored = true;
		return 1;
	}
	if (!counts(st, insn, target, width))
		return 0;
	if (st->r->anchor) {
		use_recent(st, target);
		return 0;
	}
	for (i = 0; i < st->nseen; i++)
		if (st->seen[i] == target)
			return 0;
	st->seen[st->nseen++] = target;
	if (st->nseen <= st->r->nth)
		return 0;
	st->target = target;
	if (st->r->bound) {
		if (!st->have_cmp || st->cmp_age > BOUND_WINDOW) {
			st->err = -EPROTO;
			return st->err;
		}
		st->count = st->cmp_imm;
	}
	return 1;
}

static bool recipe_applies(const struct gobin_recipe *r, const struct go_version *v)
{
	return v->major == 1 && v->minor >= r->min_minor &&
	       (!r->max_minor || v->minor <= r->max_minor);
}

/* Run one recipe row: its candidate address and, for a bounded table, its length. */
static int run_recipe(struct gobin *b, const struct gobin_globals *g,
		      const struct global_info *gi, const struct gobin_recipe *r, uint64_t *addr,
		      uint64_t *count)
{
	struct pick_state st = { .r = r, .g = g, .b = b, .secs = gi->secs };
	uint64_t entry, end;
	int rc;

	if (r->nth > MAX_NTH || (r->anchor && r->bound))
		return -EINVAL;
	if (r->own) {
		if (gobin__func(b, r->func, &entry, &end))
			return -ENOENT;
		st.fn = gobin__fn_at(b, entry);
		if (!st.fn)
			return -ENOENT;
	}
	if (r->anchor) {
		struct gobin_recovered a;

		/* No anchor, no evidence either way: its own error says why. */
		rc = gobin__global_recover(b, r->anchor, &a);
		if (rc)
			return rc;
		st.anchor = a.addr;
	}
	rc = gobin_walk_insns(b, r->func, true, pick_cb, &st, NULL);
	if (rc)
		return rc;
	if (st.err)
		return st.err;
	/* func did not inline own: no evidence either way. */
	if (r->own && !st.own_seen)
		return -ENOENT;
	if (r->anchor) {
		if (!st.anchored || st.nseen <= r->nth)
			return -ESRCH;
		*addr = st.seen[st.nseen - 1 - r->nth] - (uint64_t)r->off;
		*count = 0;
		return 0;
	}
	if (st.nseen <= r->nth)
		return -ESRCH;		/* the function is there, the operand is not */
	*addr = st.target - (uint64_t)r->off;
	*count = st.count;
	return 0;
}

/* A Go string header {ptr, len} at addr: its length, and its bytes when the pointer is set. */
static int read_gostring(const struct gobin *b, uint64_t addr, char *buf, size_t cap,
			 uint64_t *len)
{
	uint64_t hdr[2];

	if (gobin_read_vaddr(b, addr, hdr, sizeof(hdr)))
		return -1;
	*len = hdr[1];
	buf[0] = 0;
	if (*len >= cap)
		return -1;
	/*
	 * A PIE binary could leave the pointer to a dynamic relocation and store 0; the lengths
	 * alone are checked then.
	 */
	if (!hdr[0] || !*len)
		return 0;
	if (gobin_read_vaddr(b, hdr[0], buf, *len))
		return -1;
	buf[*len] = 0;
	return 0;
}

/* Every string of a reason table: non-empty (but entry 0 if allowed), short, printable. */
static bool reasons_ok(const struct gobin *b, uint64_t addr, uint64_t count, const char *first,
		       const char *second)
{
	char s[MAX_REASON_LEN + 1];
	uint64_t i, len;

	if (count < 2 || count > MAX_TABLE_LEN)
		return false;
	for (i = 0; i < count; i++) {
		const char *want = i == 0 ? first : i == 1 ? second : NULL;
		size_t j;

		if (read_gostring(b, addr + 16 * i, s, sizeof(s), &len))
			return false;
		if (want && (len != strlen(want) || (s[0] && strcmp(s, want))))
			return false;
		if (!want && !len)
			return false;
		for (j = 0; s[j]; j++)
			if (s[j] < 0x20 || s[j] > 0x7e)
				return false;
	}
	return true;
}

static bool size_classes_ok(const struct gobin *b, uint64_t addr, uint64_t count)
{
	uint16_t v[MAX_TABLE_LEN];
	uint64_t i;

	if (count < 3 || count > MAX_TABLE_LEN || gobin_read_vaddr(b, addr, v, count * 2))
		return false;
	if (v[0] != 0 || v[1] != 8 || v[count - 1] != MAX_SMALL_SIZE)
		return false;
	for (i = 1; i < count; i++)
		if (v[i] <= v[i - 1])
			return false;
	return true;
}

/*
 * runtime.MemProfileRate: in .noptrdata it still reads its initialiser, whatever the program
 * sets it to at run time; Go 1.19 initialised it in code, so it was zeroed data then, and
 * 1.20, which is not in the test matrix, may be either.
 */
static bool mem_profile_rate_ok(const struct gobin *b, const struct gobin_globals *g,
				uint64_t addr)
{
	const struct go_version *v = gobin__version(b);
	int64_t rate;

	switch (sec_of(g, addr, sizeof(rate))) {
	case SEC_NOPTRDATA:
		return !gobin_read_vaddr(b, addr, &rate, sizeof(rate)) && rate == MEM_PROFILE_RATE;
	case SEC_NOPTRBSS:
		return v->major == 1 && v->minor <= 20;
	}
	return false;
}

/* A bool the linker may set, and then only to true: zeroed data, or 1. */
static bool linker_true_ok(const struct gobin *b, const struct gobin_globals *g, uint64_t addr)
{
	uint8_t val;

	if (sec_of(g, addr, 1) == SEC_NOPTRBSS)
		return true;
	return !gobin_read_vaddr(b, addr, &val, 1) && val == 1;
}

/* runtime.startingStackSize: initialised data that still reads fixedStack in the file. */
static bool fixed_stack_ok(const struct gobin *b, uint64_t addr)
{
	uint32_t v;

	return !gobin_read_vaddr(b, addr, &v, sizeof(v)) && v == FIXED_STACK;
}

/*
 * internal/godebugs.All: a slice header whose length is its capacity, over Info entries whose
 * names are settings' names ("execerrdot", "x509sha1", ...). A PIE binary may leave the pointers
 * (of the header and of each name) to dynamic relocations and store 0: what is left is checked.
 */
static bool godebugs_ok(const struct gobin *b, uint64_t addr)
{
	char s[MAX_GODEBUG_NAME + 1];
	uint64_t hdr[3], i, len;
	size_t j;

	if (gobin_read_vaddr(b, addr, hdr, sizeof(hdr)))
		return false;
	if (!hdr[1] || hdr[1] != hdr[2] || hdr[1] > MAX_TABLE_LEN)
		return false;
	if (!hdr[0])
		return true;
	for (i = 0; i < hdr[1]; i++) {
		if (read_gostring(b, hdr[0] + GODEBUG_INFO_SIZE * i, s, sizeof(s), &len) || !len)
			return false;
		for (j = 0; s[j]; j++)
			if (!((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9')))
				return false;
	}
	return true;
}

/* The plausibility checks of a global, on the merged answer of its recipes. */
static bool plausible(const struct gobin *b, const struct gobin_globals *g,
		      const struct global_info *gi, uint64_t addr, uint64_t size, uint64_t count)
{
	if (addr % gi->align || !(sec_of(g, addr, size ? size : 1) & gi->secs))
		return false;
	switch (gi->check) {
	case CHECK_NONE:
		return true;
	case CHECK_SIZE_CLASSES:
		return size_classes_ok(b, addr, count);
	case CHECK_WAIT_REASONS:
		return reasons_ok(b, addr, count, "", "GC assist marking");
	case CHECK_STW_REASONS:
		return reasons_ok(b, addr, count, "unknown", NULL);
	case CHECK_MEM_PROFILE_RATE:
		return mem_profile_rate_ok(b, g, addr);
	case CHECK_LINKER_TRUE:
		return linker_true_ok(b, g, addr);
	case CHECK_FIXED_STACK:
		return fixed_stack_ok(b, addr);
	case CHECK_GODEBUGS:
		return godebugs_ok(b, addr);
	}
	return false;
}

static int recover_global(struct gobin *b, struct gobin_globals *g, const struct global_info *gi,
			  struct gobin_recovered *out)
{
	const struct go_version *v = gobin__version(b);
	uint64_t addr = 0, count = 0, size;
	int first_err = -ENOENT;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < gobin_nrecipes; i++) {
		const struct gobin_recipe *r = &gobin_recipes[i];
		uint64_t a, c;
		int rc;

		if (strcmp(r->global, gi->name) || !recipe_applies(r, v))
			continue;
		rc = run_recipe(b, g, gi, r, &a, &c);
		/* A function the linker left out is no evidence, and not counted; anything else is. */
		if (rc == -ENOENT)
			continue;
		out->recipes++;
		if (rc) {
			if (first_err == -ENOENT)
				first_err = rc == -ESRCH ? -EPROTO : rc;
			continue;
		}
		/* Recipes that disagree mean the code is not what they were written for. */
		if (out->agreed && (a != addr || (c && count && c != count)))
			return -EPROTO;
		addr = a;
		if (c)
			count = c;
		out->agreed++;
	}
	if (!out->agreed)
		return first_err;
	if (gi->elem && !count)
		return -EPROTO;		/* a table whose length no recipe found */
	if (gi->elem)
		size = count * gi->elem;
	else if (gi->size)
		size = gi->size;
	else if (!gi->type || gobin__type_size(b, gi->type, &size))
		size = 0;
	if (!plausible(b, g, gi, addr, size, count))
		return -EPROTO;
	out->addr = addr;
	out->size = size;
	return 0;
}

static const struct global_info *global_info(const char *name)
{
	size_t i;

	for (i = 0; i < NGLOBALS; i++)
		if (!strcmp(globals[i].name, name))
			return &globals[i];
	return NULL;
}

int gobin__global_recover(struct gobin *b, const char *name, struct gobin_recovered *out)
{
	const struct global_info *gi = global_info(name);
	struct gobin_global_slot *slot;
	struct gobin_globals *g;

	memset(out, 0, sizeof(*out));
	if (!gi)
		return -ENOENT;
	g = globals_state(b);
	if (!g)
		return -ENOMEM;
	slot = &g->slots[gi - globals];
	if (slot->busy)
		return -EINVAL;		/* a recipe anchored, in the end, on its own global */
	if (!slot->done) {
		slot->busy = true;
		slot->rc = recover_global(b, g, gi, &slot->r);
		slot->busy = false;
		/* Out of memory may pass; everything else is a property of the file. */
		slot->done = slot->rc != -ENOMEM;
	}
	*out = slot->r;
	return slot->rc;
}

int gobin__global(struct gobin *b, const char *name, uint64_t *addr, uint64_t *size)
{
	struct gobin_recovered r;
	int rc;

	if (!gobin__sym(b, name, addr, size))
		return 0;
	rc = gobin__global_recover(b, name, &r);
	if (rc)
		return rc;
	if (addr)
		*addr = r.addr;
	if (size)
		*size = r.size;
	return 0;
}

void gobin_globals_free(struct gobin *b)
{
	free(b->globals);
	b->globals = NULL;
}
