// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * goscope stacks' reader: every goroutine's stack from outside. The unwinding follows the
 * runtime's own (runtime/traceback.go, unwinder.initAt/resolveInternal/next on amd64):
 *
 *   start   g.syscallpc/g.syscallsp when g.syscallsp != 0, else g.sched.pc/g.sched.sp
 *   frame   fp = sp + pcsp(pc) + 8 (the CALL pushed the return address); the caller's pc is the
 *           word at fp - 8, unless the function is a TOPFRAME (runtime.goexit, mstart …) or
 *           writes SP in ways the table cannot say (SPWRITE; not counted at a syscall's pc)
 *   next    pc = that return address, sp = fp; a return address outside every function, or no
 *           progress, ends the walk
 *   symbols the pc looked up is pc - 1 (the CALL) unless the callee was an injected call
 *           (sigpanic; from Go 1.21 also asyncPreempt and debugCallV2) or pc is the entry;
 *           inlined calls come from FUNCDATA_InlTree by PCDATA_InlTreeIndex, innermost first
 *
 * A goroutine is read as: its g (a window of the fields used), then its stack from sp to
 * stack.hi in one read, unwound in that copy, then its g again. When the status, goid or saved
 * registers differ, the stack may be torn: it is read again, up to opts.retries times.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "target/stacks.h"
#include "target/remote.h"
#include "target/target.h"
#include "gobin/gobin.h"
#include "gobin/pclntab.h"
#include "util/clock.h"
#include "util/log.h"

#define G_STATUS_SCAN		0x1000
#define G_RUNNING		2
#define G_SYSCALL		3
#define G_DEAD			6
#define G_DEADEXTRA		11	/* Go 1.25+: a dead g kept for extra Ms */

#define STACK_READ_MAX		(16u << 20)	/* a deeper stack is shown truncated */
#define PHYS_FRAMES_MAX		200000
#define WINDOW_MAX		1024
#define ARGS_TEXT_MAX		512
#define LABELS_MAX		64

/* Fields of a g read, each at its offset in the window. */
enum gf {
	GF_STATUS, GF_WAITREASON, GF_GOID, GF_STARTPC, GF_GOPC, GF_M, GF_SCHED_PC, GF_SCHED_SP,
	GF_SYSCALLSP, GF_SYSCALLPC, GF_STACK_LO, GF_STACK_HI, GF_LOCKEDM, GF_WAITSINCE,
	GF_PARENTGOID, GF_LABELS, GF_BUBBLE, GF_NR
};

static const struct { enum rt_field id; unsigned int len; } gf_src[GF_NR] = {
	[GF_STATUS] = { RT_G_ATOMICSTATUS, 4 },	[GF_WAITREASON] = { RT_G_WAITREASON, 1 },
	[GF_GOID] = { RT_G_GOID, 8 },		[GF_STARTPC] = { RT_G_STARTPC, 8 },
	[GF_GOPC] = { RT_G_GOPC, 8 },		[GF_M] = { RT_G_M, 8 },
	[GF_SCHED_PC] = { RT_G_SCHED_PC, 8 },	[GF_SCHED_SP] = { RT_G_SCHED_SP, 8 },
	[GF_SYSCALLSP] = { RT_G_SYSCALLSP, 8 },	[GF_SYSCALLPC] = { RT_G_SYSCALLPC, 8 },
	[GF_STACK_LO] = { RT_G_STACK_LO, 8 },	[GF_STACK_HI] = { RT_G_STACK_HI, 8 },
	[GF_LOCKEDM] = { RT_G_LOCKEDM, 8 },	[GF_WAITSINCE] = { RT_G_WAITSINCE, 8 },
	[GF_PARENTGOID] = { RT_G_PARENTGOID, 8 }, [GF_LABELS] = { RT_G_LABELS, 8 },
	[GF_BUBBLE] = { RT_G_BUBBLE, 8 },
};

struct pccache;

struct reader {
	struct target *t;
	const struct stacks_opts *o;
	struct gdump *d;
	uint64_t off[GF_NR];		/* offset in the window; UINT64_MAX: not in this release */
	uint64_t lo, win;		/* the window: g + lo, win bytes */
	unsigned char *stack;		/* one goroutine's stack copy */
	size_t stack_cap;
	uint64_t deadline;		/* CLOCK_MONOTONIC; 0: none */
	struct pccache *cache;
	/* Where the time goes, for -v: stack and g rereads, the unwinding of the copies, and
	 * the output when it takes the goroutines as they are read. */
	uint64_t read_ns, unwind_ns, out_ns, stack_bytes, reads, frames, goroutines;
};

static uint64_t gfield(const struct reader *r, const unsigned char *w, enum gf f)
{
	uint64_t v = 0;

	if (r->off[f] == UINT64_MAX)
		return 0;
	memcpy(&v, w + r->off[f], gf_src[f].len);
	return v;
}

static int reader_init(struct reader *r)
{
	const struct rt_layout *rt = &r->t->rt;
	uint64_t lo = UINT64_MAX, hi = 0;
	int i;

	for (i = 0; i < GF_NR; i++) {
		enum rt_field id = gf_src[i].id;

		if (!rt->have[id])
			continue;
		if (rt->v[id] < lo)
			lo = rt->v[id];
		if (rt->v[id] + gf_src[i].len > hi)
			hi = rt->v[id] + gf_src[i].len;
	}
	if (lo == UINT64_MAX || hi - lo > WINDOW_MAX)
		return -EINVAL;
	r->lo = lo;
	r->win = hi - lo;
	for (i = 0; i < GF_NR; i++)
		r->off[i] = rt->have[gf_src[i].id] ? rt->v[gf_src[i].id] - lo : UINT64_MAX;
	return 0;
}

static bool past_deadline(const struct reader *r)
{
	return r->deadline && clock_mono_ns() > r->deadline;
}

/* The runtime's isSystemGoroutine, by its start function's name. */
static bool is_system(struct reader *r, uint64_t startpc, uint32_t status)
{
	const char *fn = gobin__func_name_at(r->t->bin, startpc - r->t->bias);

	if (!fn)
		return false;
	if (!strcmp(fn, "runtime.main") || !strcmp(fn, "runtime.corostart"))
		return false;
	if (!strcmp(fn, "runtime.runfinq") || !strcmp(fn, "runtime.runFinalizers") ||
	    !strcmp(fn, "runtime.runCleanups"))
		return status != G_RUNNING && status != 1;
	return !strncmp(fn, "runtime.", 8);
}

/*
 * Argument texts live in slabs the dump owns (d->priv), freed with it: a 100,000-goroutine dump
 * has millions of them, and one malloc each cost more than their formatting.
 */
#define SLAB_SIZE	(64u << 10)

struct slab {
	struct slab *next;
	size_t used;
	char data[];
};

static char *slab_strdup(struct gdump *d, const char *s, size_t n)
{
	struct slab *sl = d->priv;
	char *p;

	if (!sl || sl->used + n + 1 > SLAB_SIZE) {
		sl = malloc(sizeof(*sl) + SLAB_SIZE);
		if (!sl)
			abort();
		sl->next = d->priv;
		sl->used = 0;
		d->priv = sl;
	}
	p = sl->data + sl->used;
	memcpy(p, s, n + 1);
	sl->used += n + 1;
	return p;
}

/* Every text in the slabs is dropped (a streamed goroutine's, once shown): one slab is kept. */
static void slab_reset(struct gdump *d)
{
	struct slab *sl = d->priv;

	if (!sl)
		return;
	while (sl->next) {
		struct slab *next = sl->next;

		sl->next = next->next;
		free(next);
	}
	sl->used = 0;
}

/* Append to a growing text, as the runtime's print does. */
struct text {
	char buf[ARGS_TEXT_MAX];
	size_t len;
	bool full;
};

static void text_putn(struct text *t, const char *s, size_t n)
{
	if (t->len + n >= sizeof(t->buf)) {
		t->full = true;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = 0;
}

static void text_put(struct text *t, const char *s)
{
	text_putn(t, s, strlen(s));
}

/* "0x%llx", without printf: one of these per argument word. */
static void text_hex(struct text *t, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char b[20], *p = b + sizeof(b);

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	text_putn(t, p, (size_t)(b + sizeof(b) - p));
}

/* The stack copy: [base, base + len) of the target's stack. */
struct stackcopy {
	const unsigned char *d;
	uint64_t base, len;
};

static bool stack_word(const struct stackcopy *s, uint64_t addr, uint64_t *v)
{
	if (addr < s->base || addr - s->base + 8 > s->len)
		return false;
	memcpy(v, s->d + (addr - s->base), 8);
	return true;
}

/*
 * What the tables say about a pc never changes, and a big dump asks about the same few pcs again
 * and again (100,000 goroutines parked in one function): the answers are kept for the dump,
 * direct-mapped by pc (link-time addresses).
 */
#define PCCACHE_SIZE	1024

enum { IS_CGOCALLBACK = 1, IS_SIGPANIC = 2, IS_TRAP = 4 /* asyncPreempt, debugCallV2 */ };

struct pcfn {			/* by a frame's pc */
	bool used;
	uint64_t pc;
	const struct gobin_fn *fn;	/* NULL: no function holds pc */
	struct gobin_fninfo fi;
	int32_t delta;
	bool no_delta;		/* no SP-delta information at pc */
	uint8_t is;		/* IS_* */
};

struct pclog {			/* one logical frame */
	const char *func, *file;
	int line;
	uint8_t funcid;
	bool inlined;
};

struct pcsym {			/* by the pc a frame is symbolized at */
	bool used;
	uint64_t sympc;
	const struct gobin_fn *fn;
	const unsigned char *arginfo, *live;	/* printArgs' program and liveness */
	size_t arglen, livelen;
	int32_t live_idx;
	struct pclog *log;	/* the inlined calls, innermost first, then the function */
	size_t nlog;
};

struct pccache {
	struct pcfn fn[PCCACHE_SIZE];
	struct pcsym sym[PCCACHE_SIZE];
};

static size_t pc_slot(uint64_t pc)
{
	return (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 54) % PCCACHE_SIZE;
}

static bool name_is(const char *name, const char *want)
{
	return name && !strcmp(name, want);
}

static const struct pcfn *pc_fn(struct reader *r, uint64_t pc)
{
	struct pcfn *e = &r->cache->fn[pc_slot(pc)];
	struct gobin *b = r->t->bin;
	const char *name;

	if (e->used && e->pc == pc)
		return e;
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->pc = pc;
	e->fn = gobin__fn_at(b, pc);
	if (!e->fn)
		return e;
	gobin__fn_info(b, e->fn, &e->fi);
	e->no_delta = gobin__fn_sp_delta(b, e->fn, pc, &e->delta) != 0;
	name = e->fi.name;
	if (name_is(name, "runtime.cgocallback"))
		e->is = IS_CGOCALLBACK;
	else if (name_is(name, "runtime.sigpanic"))
		e->is = IS_SIGPANIC;
	else if (name_is(name, "runtime.asyncPreempt") || name_is(name, "runtime.debugCallV2"))
		e->is = IS_TRAP;
	return e;
}

/*
 * printArgs (runtime/traceback.go): the compiler's FUNCDATA_ArgInfo program prints argument
 * words from the frame's argument area, "?" after one whose spill slot is not live at pc.
 */
static char *print_args(struct reader *r, const struct pcsym *ps, uint64_t argp,
			const struct stackcopy *sc)
{
	enum { END_SEQ = 0xff, START_AGG = 0xfe, END_AGG = 0xfd, DOTDOTDOT = 0xfc,
	       OFFSET_TOO_LARGE = 0xfb, MAX_LEN = (5 * 3 + 2) * 10 + 1 };
	const unsigned char *p = ps->arginfo, *live = ps->live;
	size_t plen = ps->arglen, livelen = ps->livelen;
	int32_t live_idx = ps->live_idx;
	uint8_t start_off = 0xff, slot = 0;
	struct text t = { .len = 0 };
	bool start = true;
	size_t pi = 0;

	if (!p)
		return NULL;
	if (plen > MAX_LEN)
		plen = MAX_LEN;
	if (live && livelen)
		start_off = live[0];
	t.buf[0] = 0;
	while (pi < plen) {
		uint8_t o = p[pi++];

		if (o == END_SEQ)
			break;
		if (o == START_AGG) {
			if (!start)
				text_put(&t, ", ");
			text_put(&t, "{");
			start = true;
			continue;
		}
		if (o == END_AGG) {
			text_put(&t, "}");
		} else if (o == DOTDOTDOT) {
			if (!start)
				text_put(&t, ", ");
			text_put(&t, "...");
		} else if (o == OFFSET_TOO_LARGE) {
			if (!start)
				text_put(&t, ", ");
			text_put(&t, "_");
		} else {
			uint8_t sz;
			uint64_t x = 0;
			bool is_live = true;

			if (!start)
				text_put(&t, ", ");
			if (pi >= plen)
				break;
			sz = p[pi++];
			/* An argument word outside the copy reads as the runtime could not: shown 0. */
			if (!stack_word(sc, argp + o, &x))
				x = 0;
			if (sz < 8)
				x = sz ? (x << (64 - sz * 8)) >> (64 - sz * 8) : 0;
			text_hex(&t, x);
			if (live && live_idx > 0 && o >= start_off) {
				size_t at = (size_t)live_idx + slot / 8;

				is_live = at < livelen && (live[at] & (1u << (slot % 8)));
			}
			if (!is_live)
				text_put(&t, "?");
			if (o >= start_off)
				slot++;
		}
		start = false;
	}
	return slab_strdup(r->d, t.buf, t.len);
}

struct frames {
	struct gframe *v;
	size_t n, cap;
};

static struct gframe *frame_push(struct frames *fs)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 32;
		struct gframe *v = realloc(fs->v, cap * sizeof(*v));

		if (!v)
			abort();
		fs->v = v;
		fs->cap = cap;
	}
	memset(&fs->v[fs->n], 0, sizeof(fs->v[0]));
	return &fs->v[fs->n++];
}

/* The args strings stay in the dump's slabs until it is freed. */
static void frames_clear(struct frames *fs)
{
	fs->n = 0;
}

/* inlinedCall: Go 1.18/1.19 {parent i16, funcID u8, pad, file i32, line i32, func_ i32,
 * parentPc i32}; Go 1.20+ {funcID u8, pad[3], nameOff i32, parentPc i32, startLine i32}. */
static bool inl_entry(const struct reader *r, const unsigned char *tree, size_t len, int32_t ix,
		      uint8_t *funcid, int32_t *nameoff, int32_t *parent_pc)
{
	bool old = r->d->minor < 20;
	size_t sz = old ? 20 : 16, at = (size_t)ix * sz;

	if (ix < 0 || at + sz > len)
		return false;
	if (old) {
		*funcid = tree[at + 2];
		memcpy(nameoff, tree + at + 12, 4);
		memcpy(parent_pc, tree + at + 16, 4);
	} else {
		*funcid = tree[at];
		memcpy(nameoff, tree + at + 4, 4);
		memcpy(parent_pc, tree + at + 8, 4);
	}
	return true;
}

static struct pclog *log_push(struct pcsym *e, size_t *cap)
{
	if (e->nlog == *cap) {
		struct pclog *v = realloc(e->log, (*cap = *cap ? *cap * 2 : 4) * sizeof(*v));

		if (!v)
			abort();
		e->log = v;
	}
	memset(&e->log[e->nlog], 0, sizeof(e->log[0]));
	return &e->log[e->nlog++];
}

/*
 * The logical frames of pf's function at symbolization pc sympc, and its arguments' program;
 * their liveness is read at sympc, on Go 1.19 at the pc the inline walk ends at.
 */
static void sym_fill(struct reader *r, const struct pcfn *pf, uint64_t sympc, struct pcsym *e)
{
	const struct gobin *b = r->t->bin;
	const struct gobin_fn *fn = pf->fn;
	const unsigned char *tree;
	size_t treelen = 0, cap = 0;
	uint64_t livepc = sympc;
	int guard = 0;
	struct pclog *l;

	tree = gobin__fn_funcdata(b, fn, GOBIN_FUNCDATA_INLTREE, &treelen);
	while (tree && guard++ < 1000) {
		int32_t ix = gobin__fn_pcdata(b, fn, GOBIN_PCDATA_INLTREEINDEX, sympc);
		int32_t nameoff, parent_pc;
		uint8_t funcid;
		const char *name;

		if (ix < 0 || !inl_entry(r, tree, treelen, ix, &funcid, &nameoff, &parent_pc))
			break;
		name = gobin__funcname(b, nameoff);
		l = log_push(e, &cap);
		l->func = name ? name : "?";
		if (gobin__fn_line(b, fn, sympc, &l->file, &l->line))
			l->file = NULL;
		l->funcid = funcid;
		l->inlined = true;
		sympc = pf->fi.entry + (uint64_t)(uint32_t)parent_pc;
	}
	l = log_push(e, &cap);
	l->func = pf->fi.name;
	if (gobin__fn_line(b, fn, sympc, &l->file, &l->line))
		l->file = NULL;
	l->funcid = pf->fi.id;
	if (r->d->minor < 21)
		livepc = sympc;
	e->arginfo = gobin__fn_funcdata(b, fn, GOBIN_FUNCDATA_ARGINFO, &e->arglen);
	if (e->arginfo) {
		e->live = gobin__fn_funcdata(b, fn, GOBIN_FUNCDATA_ARGLIVEINFO, &e->livelen);
		e->live_idx = gobin__fn_pcdata(b, fn, GOBIN_PCDATA_ARGLIVEINDEX, livepc);
	}
}

static const struct pcsym *pc_sym(struct reader *r, const struct pcfn *pf, uint64_t sympc)
{
	struct pcsym *e = &r->cache->sym[pc_slot(sympc)];

	if (e->used && e->sympc == sympc && e->fn == pf->fn)
		return e;
	free(e->log);
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->sympc = sympc;
	e->fn = pf->fn;
	sym_fill(r, pf, sympc, e);
	return e;
}

static void pccache_free(struct pccache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < PCCACHE_SIZE; i++)
		free(c->sym[i].log);
	free(c);
}

/* The logical frames of one physical frame, as the cache has them for its symbolization pc. */
static void expand_frame(struct reader *r, const struct pcfn *pf, const struct pcsym *ps,
			 uint64_t pc, uint64_t sp, uint64_t fp, uint32_t phys, char *args,
			 struct frames *fs)
{
	struct gframe *f = NULL;
	size_t i;

	for (i = 0; i < ps->nlog; i++) {
		const struct pclog *l = &ps->log[i];

		f = frame_push(fs);
		f->func = l->func;
		f->file = l->file;
		f->line = l->line;
		f->pc = pc;
		f->entry = pf->fi.entry + r->t->bias;
		f->sp = sp;
		f->fp = fp;
		f->phys = phys;
		f->funcid = l->funcid;
		f->inlined = l->inlined;
	}
	f->args = args;	/* the function's own frame, last */
}

/*
 * Unwind from (pc, sp) in the copy sc. Returns the logical frames in fs; *err_stop set when the
 * walk ended at a pc no function holds, *trunc when the copy ended first.
 */
static void unwind(struct reader *r, uint64_t pc, uint64_t sp, bool syscall_regs,
		   const struct stackcopy *sc, struct frames *fs, bool *err_stop, bool *trunc,
		   bool *fp_mismatch)
{
	uint64_t bias = r->t->bias, prev_fp = 0;
	bool trap = false, innermost = true, was_panic = false, prev_has_fp = false;
	uint32_t phys = 0;

	*err_stop = *trunc = *fp_mismatch = false;
	for (; phys < PHYS_FRAMES_MAX; phys++) {
		const struct pcfn *pf = pc_fn(r, pc - bias);
		const struct pcsym *ps;
		uint64_t fp, lr = 0, sympc, entry;
		uint8_t flag, is;

		if (!pf->fn) {
			*err_stop = true;
			return;
		}
		if (pf->no_delta)
			return;		/* no frame information: the runtime stops here too */
		fp = sp + (int64_t)pf->delta + 8;
		/*
		 * The cross-check: compiled Go code with a frame saves the caller's frame pointer
		 * just below its return address, and the caller's frame pointer is its own
		 * fp - 16. Assembly functions need not follow that, so only pairs of compiled
		 * frames are compared.
		 */
		{
			bool has_fp = !(pf->fi.flag & GOBIN_FUNCFLAG_ASM) && pf->delta >= 16;
			uint64_t saved;

			if (prev_has_fp && has_fp &&
			    (!stack_word(sc, prev_fp - 16, &saved) || saved != fp - 16))
				*fp_mismatch = true;
			prev_has_fp = has_fp;
			prev_fp = fp;
		}
		flag = pf->fi.flag;
		is = pf->is;
		entry = pf->fi.entry;
		if ((is & IS_CGOCALLBACK) || (innermost && syscall_regs && r->d->minor >= 21))
			flag &= ~GOBIN_FUNCFLAG_SPWRITE;
		if (flag & (GOBIN_FUNCFLAG_TOPFRAME | GOBIN_FUNCFLAG_SPWRITE)) {
			lr = 0;
		} else if (!stack_word(sc, fp - 8, &lr)) {
			*trunc = true;
			lr = 0;
		}
		/* symPC: the CALL, unless this frame was interrupted rather than calling. */
		if (r->d->minor < 21)
			sympc = ((phys > 0 || !trap) && pc > entry + bias && !was_panic) ? pc - 1 : pc;
		else
			sympc = (!trap && pc > entry + bias) ? pc - 1 : pc;
		ps = pc_sym(r, pf, sympc - bias);
		expand_frame(r, pf, ps, pc, sp, fp, phys, print_args(r, ps, fp, sc), fs);
		/* pf is not used past here: looking lr up may take its slot. */
		if (!lr)
			return;
		if (!pc_fn(r, lr - bias)->fn) {
			*err_stop = true;
			return;
		}
		if (pc == lr && sp == fp)
			return;
		was_panic = is & IS_SIGPANIC;
		trap = is & (IS_SIGPANIC | IS_TRAP);
		if (r->d->minor < 21)
			trap = false;	/* Go 1.19 backs up unless the callee was sigpanic */
		innermost = false;
		pc = lr;
		sp = fp;
	}
	*trunc = true;
}

/* Read a Go string (ptr, len) of the target; NULL when unreadable or absurd. */
static char *read_gostring(pid_t pid, uint64_t ptr, uint64_t len)
{
	char *s;

	if (len > 4096 || (len && !ptr))
		return NULL;
	s = malloc(len + 1);
	if (!s)
		abort();
	if (len && remote_read(pid, ptr, s, len)) {
		free(s);
		return NULL;
	}
	s[len] = 0;
	return s;
}

/* pprof labels: Go 1.26+ keep a *label.Set {List []Label{Key, Value string}} in g.labels. */
static void read_labels(struct reader *r, uint64_t labels, struct gread *g)
{
	uint64_t list[3], kv[4 * LABELS_MAX];
	uint64_t i, n;
	pid_t pid = r->t->pid;

	if (!labels || r->d->minor < 26 || remote_read(pid, labels, list, sizeof(list)))
		return;
	n = list[1] < LABELS_MAX ? list[1] : LABELS_MAX;
	if (!n || remote_read(pid, list[0], kv, n * 32))
		return;
	g->labels = calloc(2 * n, sizeof(*g->labels));
	if (!g->labels)
		abort();
	for (i = 0; i < n; i++) {
		char *k = read_gostring(pid, kv[4 * i], kv[4 * i + 1]);
		char *v = read_gostring(pid, kv[4 * i + 2], kv[4 * i + 3]);

		if (!k || !v) {
			free(k);
			free(v);
			break;
		}
		g->labels[2 * g->nlabels] = k;
		g->labels[2 * g->nlabels + 1] = v;
		g->nlabels++;
	}
}

/* Fill g's header fields from its window w, read at mono time now. */
static void fill_header(struct reader *r, const unsigned char *w, uint64_t now, struct gread *g)
{
	struct target *t = r->t;
	uint64_t waitsince = gfield(r, w, GF_WAITSINCE), m = gfield(r, w, GF_M);
	uint64_t bubble = gfield(r, w, GF_BUBBLE);
	uint32_t st = (uint32_t)gfield(r, w, GF_STATUS) & ~G_STATUS_SCAN;

	g->goid = gfield(r, w, GF_GOID);
	g->status = (uint32_t)gfield(r, w, GF_STATUS);
	g->wait_reason = (uint8_t)gfield(r, w, GF_WAITREASON);
	g->wait_reason_name = r->o->wait_reason && g->wait_reason ?
			      r->o->wait_reason(r->o->ctx, g->wait_reason) : NULL;
	g->wait_ns = (st == 4 || st == G_SYSCALL) && waitsince && now >= waitsince ?
		     (int64_t)(now - waitsince) : -1;
	g->locked = gfield(r, w, GF_LOCKEDM) != 0;
	g->parent_goid = gfield(r, w, GF_PARENTGOID);
	g->gopc = gfield(r, w, GF_GOPC);
	g->startpc = gfield(r, w, GF_STARTPC);
	g->m_addr = m;
	g->running = st == G_RUNNING;
	if (m && t->rt.have[RT_M_ID])
		remote_read(t->pid, m + t->rt.v[RT_M_ID], &g->m_id, 8);
	if (bubble && t->rt.have[RT_BUBBLE_ID])
		remote_read(t->pid, bubble + t->rt.v[RT_BUBBLE_ID], &g->bubble_id, 8);
	if (r->d->labels_shown)
		read_labels(r, gfield(r, w, GF_LABELS), g);
}

static void created_by(struct reader *r, struct gread *g)
{
	struct gobin *b = r->t->bin;
	uint64_t pc = g->gopc - r->t->bias;
	const struct gobin_fn *fn = gobin__fn_at(b, pc);
	struct gobin_fninfo fi;

	if (!fn)
		return;
	gobin__fn_info(b, fn, &fi);
	g->created_func = fi.name;
	g->created_funcid = fi.id;
	g->created_off = pc - fi.entry;
	if (gobin__fn_line(b, fn, pc > fi.entry ? pc - 1 : pc, &g->created_file, &g->created_line))
		g->created_file = NULL;
}

/* The registers a walk starts from and the g words that must not move under it. */
struct gkey {
	uint64_t goid, pc, sp, syscallsp, stack_hi;
	uint32_t status;
};

static struct gkey gkey_of(const struct reader *r, const unsigned char *w)
{
	struct gkey k = {
		.goid = gfield(r, w, GF_GOID), .pc = gfield(r, w, GF_SCHED_PC),
		.sp = gfield(r, w, GF_SCHED_SP), .syscallsp = gfield(r, w, GF_SYSCALLSP),
		.stack_hi = gfield(r, w, GF_STACK_HI),
		.status = (uint32_t)gfield(r, w, GF_STATUS) & ~G_STATUS_SCAN,
	};

	if (k.syscallsp) {
		k.pc = gfield(r, w, GF_SYSCALLPC);
		k.sp = k.syscallsp;
	}
	return k;
}

static bool gkey_eq(const struct gkey *a, const struct gkey *b)
{
	return a->goid == b->goid && a->pc == b->pc && a->sp == b->sp &&
	       a->syscallsp == b->syscallsp && a->stack_hi == b->stack_hi && a->status == b->status;
}

/*
 * One attempt at g: its stack read and unwound from the registers in w. Returns 0 when the
 * frames hold (g unchanged after the walk), 1 when g moved (w then holds the new window),
 * 2 when g looks unchanged but its stack did not unwind to the end or its frame pointers
 * disagree, -1 when g is gone.
 */
static int read_one(struct reader *r, uint64_t gaddr, unsigned char *w, struct frames *fs,
		    struct gread *g)
{
	pid_t pid = r->t->pid;
	struct gkey k = gkey_of(r, w), k2;
	unsigned char w2[WINDOW_MAX];
	struct stackcopy sc;
	uint64_t lo = gfield(r, w, GF_STACK_LO), len;
	bool err_stop = false, trunc = false, fp_bad = false;
	uint64_t t0, t1;

	frames_clear(fs);
	g->unwind_error = g->truncated = false;
	if (k.status == G_RUNNING)
		return 0;
	if (!k.pc || !k.sp || k.sp < lo || k.sp >= k.stack_hi) {
		/* Not parked where a walk can start (being created, exiting, switching): retry. */
		goto reread;
	}
	len = k.stack_hi - k.sp;
	if (len > STACK_READ_MAX) {
		len = STACK_READ_MAX;
		g->truncated = true;
	}
	if (len > r->stack_cap) {
		unsigned char *p = realloc(r->stack, len);

		if (!p)
			abort();
		r->stack = p;
		r->stack_cap = len;
	}
	t0 = clock_mono_ns();
	r->reads++;
	r->stack_bytes += len;
	if (remote_read(pid, k.sp, r->stack, len)) {
		r->read_ns += clock_mono_ns() - t0;
		goto reread;
	}
	t1 = clock_mono_ns();
	r->read_ns += t1 - t0;
	sc.d = r->stack;
	sc.base = k.sp;
	sc.len = len;
	unwind(r, k.pc, k.sp, k.syscallsp != 0, &sc, fs, &err_stop, &trunc, &fp_bad);
	r->unwind_ns += clock_mono_ns() - t1;
	if (fp_bad)
		log_debug("goroutine at 0x%llx: frame pointers disagree with the SP-delta unwinding",
			  (unsigned long long)gaddr);
	g->unwind_error = err_stop;
	g->truncated |= trunc && len == STACK_READ_MAX;
reread:
	t0 = clock_mono_ns();
	r->reads++;
	if (remote_read(pid, gaddr + r->lo, w2, r->win)) {
		r->read_ns += clock_mono_ns() - t0;
		return -1;
	}
	r->read_ns += clock_mono_ns() - t0;
	k2 = gkey_of(r, w2);
	if (k2.goid != k.goid || k2.status == G_DEAD || k2.status == G_DEADEXTRA) {
		memcpy(w, w2, r->win);
		return -1;
	}
	if (gkey_eq(&k, &k2) && k.pc && k.sp >= lo && k.sp < k.stack_hi &&
	    !(trunc && !g->truncated && !err_stop))
		/*
		 * A parked goroutine's stack always unwinds, and its frame pointers agree; one
		 * that does not was most likely read while the goroutine ran and parked again
		 * at the same pc and sp. Read again; if it stays so, the SP-delta unwinding is
		 * what is shown.
		 */
		return err_stop || fp_bad ? 2 : 0;
	memcpy(w, w2, r->win);
	return 1;
}

static void gread_take_frames(struct gread *g, struct frames *fs)
{
	g->frames = fs->n ? malloc(fs->n * sizeof(*fs->v)) : NULL;
	if (fs->n && !g->frames)
		abort();
	if (fs->n)
		memcpy(g->frames, fs->v, fs->n * sizeof(*fs->v));
	g->nframes = fs->n;
	fs->n = 0;
}

static void gread_free(struct gread *g)
{
	size_t i;

	free(g->frames);
	for (i = 0; i < 2 * g->nlabels; i++)
		free(g->labels[i]);
	free(g->labels);
}

void gdump__free(struct gdump *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++)
		gread_free(&d->g[i]);
	while (d->priv) {
		struct slab *sl = d->priv;

		d->priv = sl->next;
		free(sl);
	}
	free(d->g);
	free(d);
}

/* runtime.debug.tracebacklabels (an atomic int32), by the DWARF of the releases' runtime.debug. */
static const struct { int minor; uint64_t off; } tracebacklabels_off[] = {
	{ 26, 136 }, { 27, 132 },
};

/*
 * GODEBUG=tracebacklabels as the runtime has it: read from runtime.debug when the binary names
 * it; else the release's default, then //go:debug and go.mod's go line (the build's
 * DefaultGODEBUG), then the environment the process started with.
 */
static bool labels_shown(struct target *t, int minor)
{
	const char *dflt = gobin__setting(t->bin, "DefaultGODEBUG");
	uint64_t addr;
	int32_t v;
	bool on = minor >= 27;
	char path[64], *env = NULL;
	size_t len = 0, i;
	FILE *f;

	if (minor < 26)
		return false;
	for (i = 0; i < sizeof(tracebacklabels_off) / sizeof(tracebacklabels_off[0]); i++)
		if (tracebacklabels_off[i].minor == minor &&
		    !gobin__sym(t->bin, "runtime.debug", &addr, NULL) &&
		    !remote_read(t->pid, addr + t->bias + tracebacklabels_off[i].off, &v, 4))
			return v == 1;
	if (dflt && strstr(dflt, "tracebacklabels="))
		on = strstr(dflt, "tracebacklabels=1") != NULL;
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)t->pid);
	f = fopen(path, "re");
	if (f) {
		while (getdelim(&env, &len, 0, f) > 0) {
			const char *p;

			if (strncmp(env, "GODEBUG=", 8))
				continue;
			/* The last setting of the key wins, as in the runtime's parsing. */
			for (p = env + 8; (p = strstr(p, "tracebacklabels=")); p += 16)
				if (p == env + 8 || p[-1] == ',')
					on = p[16] == '1';
		}
		free(env);
		fclose(f);
	}
	return on;
}

struct gdump *stacks__dump(struct target *t, const struct stacks_opts *o, struct gs_err *err)
{
	struct reader r = { .t = t, .o = o };
	struct gdump *d = calloc(1, sizeof(*d));
	uint64_t allgs[3], allglen, n, i, *gs = NULL;
	unsigned char *wins = NULL;
	struct frames fs = { 0 };
	struct timespec ts;

	if (!d)
		abort();
	/* What unwinding and the goroutine headers read is optional for every other command. */
	if (layout_missing(&t->rt, NEED_STACKS)) {
		char who[64];

		snprintf(who, sizeof(who), "PID %d: cannot read goroutine stacks", (int)t->pid);
		*err = *layout_missing(&t->rt, NEED_STACKS);
		gs_err_prefix(err, who);
		free(d);
		return NULL;
	}
	r.d = d;
	d->minor = t->rt.minor;
	d->funcid_wrapper = gobin__funcid_wrapper(t->bin);
	d->labels_shown = labels_shown(t, d->minor);
	d->started_ns = clock_mono_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	d->started_unix_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	r.deadline = o->budget_ns ? d->started_ns + o->budget_ns : 0;
	r.cache = calloc(1, sizeof(*r.cache));
	if (!r.cache)
		abort();
	if (reader_init(&r)) {
		gs_fail(err, GS_EXIT_GO_VERSION, "PID %d: the runtime's g layout is not known",
			(int)t->pid);
		goto fail;
	}
	if (remote_read(t->pid, t->rt.v[RT_ALLGS], allgs, sizeof(allgs)) ||
	    remote_read(t->pid, t->rt.v[RT_ALLGLEN], &allglen, sizeof(allglen))) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "PID %d: cannot read its goroutine list (allgs)",
			(int)t->pid);
		goto fail;
	}
	n = allglen < allgs[1] ? allglen : allgs[1];
	if (n > (64u << 20)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "PID %d: allgs holds %llu goroutines: not believed",
			(int)t->pid, (unsigned long long)n);
		goto fail;
	}
	gs = calloc(n ? n : 1, 8);
	wins = calloc(n ? n : 1, r.win);
	d->g = calloc(n && !o->each ? n : 1, sizeof(*d->g));
	if (!gs || !wins || !d->g)
		abort();
	if (n && remote_read(t->pid, allgs[0], gs, n * 8)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "PID %d: cannot read its goroutine list (allgs)",
			(int)t->pid);
		goto fail;
	}
	/* Every g's window, batched. A g that cannot be read reads as zeros: dead. */
	{
		struct remote_batch *b = malloc(sizeof(*b));

		if (!b)
			abort();
		remote_init(b, t->pid);
		for (i = 0; i < n; i++)
			if (gs[i])
				remote_add(b, gs[i] + r.lo, wins + i * r.win, r.win);
		remote_flush(b);
		free(b);
	}
	for (i = 0; i < n; i++) {
		unsigned char *w = wins + i * r.win;
		uint32_t st = (uint32_t)gfield(&r, w, GF_STATUS) & ~G_STATUS_SCAN;
		struct gread *g;
		int attempt, rc = -1;

		if (!gs[i] || st == G_DEAD || st == G_DEADEXTRA || st == 0)
			continue;
		d->total++;
		if (past_deadline(&r)) {
			d->not_reached++;
			continue;
		}
		g = &d->g[d->n];
		memset(g, 0, sizeof(*g));
		g->addr = gs[i];
		for (attempt = 0; attempt <= o->retries; attempt++) {
			rc = read_one(&r, gs[i], w, &fs, g);
			if (rc <= 0)
				break;
		}
		g->attempts = attempt <= o->retries ? attempt + 1 : attempt;
		/* Unwinding failed every time on an unchanged g: shown up to there, marked. */
		if (rc == 2)
			rc = 0;
		if (rc < 0) {		/* it exited while read */
			frames_clear(&fs);
			d->total--;
			continue;
		}
		st = (uint32_t)gfield(&r, w, GF_STATUS) & ~G_STATUS_SCAN;
		g->system = is_system(&r, gfield(&r, w, GF_STARTPC), st);
		if (g->system && !o->system) {
			frames_clear(&fs);
			d->total--;
			continue;
		}
		fill_header(&r, w, clock_mono_ns(), g);
		if (rc > 0) {
			g->changed = true;
			d->changed++;
			frames_clear(&fs);
		}
		created_by(&r, g);
		r.frames += fs.n;
		r.goroutines++;
		gread_take_frames(g, &fs);
		if (o->each) {
			uint64_t t0 = clock_mono_ns();

			o->each(o->each_ctx, d, g);
			gread_free(g);
			slab_reset(d);
			r.out_ns += clock_mono_ns() - t0;
			continue;
		}
		d->n++;
	}
	d->took_ns = clock_mono_ns() - d->started_ns;
	log_info("PID %d: read %llu goroutines, %llu frames, in %.1f ms: %.1f ms in %llu reads of "
		 "stacks and g's (%.1f MiB of stack), %.1f ms unwinding, %.1f ms in the output, "
		 "the rest keeping them", (int)t->pid, (unsigned long long)r.goroutines,
		 (unsigned long long)r.frames, d->took_ns / 1e6, r.read_ns / 1e6,
		 (unsigned long long)r.reads, r.stack_bytes / 1048576.0, r.unwind_ns / 1e6,
		 r.out_ns / 1e6);
	frames_clear(&fs);
	free(fs.v);
	free(gs);
	free(wins);
	free(r.stack);
	pccache_free(r.cache);
	return d;
fail:
	free(fs.v);
	free(gs);
	free(wins);
	free(r.stack);
	pccache_free(r.cache);
	gdump__free(d);
	return NULL;
}
