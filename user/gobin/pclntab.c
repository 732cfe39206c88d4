// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .gopclntab, the runtime's function table, read for function names and address ranges. Go 1.18
 * and 1.19 mark it with magic 0xfffffff0, Go 1.20 and newer with 0xfffffff1; the parts read here
 * have the same layout under both (little-endian, 8-byte words on amd64):
 *
 *   header       magic u32, two zero bytes, minLC u8, ptrSize u8, then the words nfunc, nfiles,
 *                textStart, funcnameOffset, cuOffset, filetabOffset, pctabOffset, pclnOffset;
 *                offsets count from the start of the header
 *   pclnOffset   the functab: nfunc pairs {entryoff u32, funcoff u32} in address order, then one
 *                more entryoff where the last function ends; funcoff counts from pclnOffset and
 *                locates the function's _func record, which starts {entryoff u32, nameoff u32}
 *   funcnameOff  NUL-terminated names; a _func's nameoff counts from here
 *   _func        from byte 20: pcfile u32, pcln u32 (offsets into pctab), npcdata u32, cuOffset
 *                u32 (the function's first entry in cutab)
 *   pctabOffset  pc-value tables: pairs of varints (value delta, zig-zag; pc delta, in units of
 *                minLC) starting from value -1 at the function's entry, ended by a zero value
 *                delta; pcfile yields a file number, pcln a line
 *   cuOffset     cutab: u32 offsets into filetab, by the function's cuOffset plus file number
 *   filetabOff   NUL-terminated file names
 *
 * Entry offsets count from runtime.text (the runtime's moduledata.text). Go 1.18-1.25 also write
 * that address into the header's textStart; Go 1.26 stopped (it needed a dynamic relocation) and
 * leaves 0. Every offset and count comes from the file, so each is checked against the section
 * size before use, and a function whose record does not hold up is left out of the index.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "gobin/internal.h"
#include "gobin/pclntab.h"

#define PCLN_MAGIC_118		0xfffffff0u	/* Go 1.18, 1.19 */
#define PCLN_MAGIC_120		0xfffffff1u	/* Go 1.20 and newer */
#define PCLN_PTR_SIZE		8
#define PCLN_HDR_SIZE		(8 + 8 * PCLN_PTR_SIZE)
#define PCLN_FUNC_MIN		8		/* the _func fields read: entryoff, nameoff */
#define PCLN_FUNC_LINES		36		/* … and up to cuOffset, for source lines */
#define PCLN_FUNC_ARGS		8
#define PCLN_FUNC_PCSP		16
#define PCLN_FUNC_PCFILE	20
#define PCLN_FUNC_PCLN		24
#define PCLN_FUNC_NPCDATA	28
#define PCLN_FUNC_CUOFF		32
/*
 * Then Go 1.18/1.19: funcID u8, flag u8, a pad byte, nfuncdata u8 (at 36); Go 1.20 and newer put
 * startLine i32 at 36 and those four bytes at 40. pcdata[npcdata] u32 and funcdata[nfuncdata] u32
 * follow the record.
 */
#define PCLN_FUNC_TAIL_118	36
#define PCLN_FUNC_TAIL_120	40
#define PCLN_FUNC_STARTLINE	36
#define PCVALUE_MAX_STEPS	1000000		/* no real table comes near; a crafted one stops */

/* Header words, by index after the first 8 bytes. */
enum {
	HDR_NFUNC,
	HDR_NFILES,
	HDR_TEXT_START,
	HDR_FUNCNAME_OFF,
	HDR_CU_OFF,
	HDR_FILETAB_OFF,
	HDR_PCTAB_OFF,
	HDR_PCLN_OFF,
};

/*
 * runtime.moduledata starts the same way in Go 1.19 through 1.27: pcHeader, six slices
 * (funcnametab, cutab, filetab, pctab, pclntable, ftab), findfunctab, minpc, maxpc, text, etext.
 * These are word indexes into it.
 */
enum {
	MD_PCHEADER = 0,
	MD_FUNCNAMETAB = 1,
	MD_FTAB = 16,
	MD_FTAB_LEN = 17,
	MD_MINPC = 20,
	MD_TEXT = 22,
	MD_NOPTRDATA = 24,	/* then enoptrdata, data, edata, bss, ebss, noptrbss, enoptrbss */
	MD_WORDS = 44,		/* enough for every word read (gofunc is the last) */
};

struct gobin_func {
	const char *name;	/* points into the section data */
	uint64_t entry;
	uint64_t end;
	const unsigned char *rec;	/* its _func record; NULL when too short for line tables */
	uint32_t rec_room;	/* bytes of the section from rec on */
};

struct gobin_pcln {
	struct gobin_func *funcs;	/* sorted by name, then entry */
	size_t nfuncs;
	const struct gobin_func **by_entry;	/* the same, sorted by entry; built on first use */
	const unsigned char *d;		/* the section, for the line tables */
	size_t size;
	uint64_t pctab_off, cu_off, filetab_off, funcname_off;
	unsigned int min_lc;		/* pc quantum */
	unsigned int tail;		/* where funcID … nfuncdata sit in a _func record */
	uint64_t gofunc;		/* link-time go:func.*, base of funcdata; 0: unknown */
};

/* The table as found in the file, its header checked. */
struct pcln_tab {
	const unsigned char *d;
	size_t size;
	uint64_t vaddr;			/* link-time address of the header */
	uint64_t nfunc;
	uint64_t text_start;		/* header's copy; 0 from Go 1.26 on */
	uint64_t funcname_off;
	uint64_t pcln_off;
};

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t rd64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint64_t hdr_word(const struct pcln_tab *t, int i)
{
	return rd64(t->d + 8 + (size_t)i * PCLN_PTR_SIZE);
}

static const unsigned char *moduledata_find(const struct gobin *b, const struct pcln_tab *t);
static int pcln_parse_header(struct pcln_tab *t);

/* Bytes of the file at link-time address vaddr, and how many follow in its segment. */
static const unsigned char *vaddr_bytes(const struct gobin *b, uint64_t vaddr, size_t *avail)
{
	const unsigned char *raw;
	size_t rawsize, i;

	raw = (const unsigned char *)elf_rawfile(b->elf, &rawsize);
	if (!raw)
		return NULL;
	for (i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];
		uint64_t off;

		if (vaddr < s->vaddr || vaddr - s->vaddr >= s->filesz)
			continue;
		off = s->offset + (vaddr - s->vaddr);
		if (off >= rawsize)
			return NULL;
		*avail = s->filesz - (vaddr - s->vaddr);
		if (*avail > rawsize - off)
			*avail = rawsize - off;
		return raw + off;
	}
	return NULL;
}

/*
 * A table that is no section of its own: the external linker merges it into .data.rel.ro of a
 * shared library (-buildmode=c-shared) and of a C program linked with a Go archive
 * (-buildmode=c-archive). runtime.pclntab and runtime.epclntab bound it when .symtab is there;
 * stripped, it is the header whose moduledata (which points back at it) is also in the file.
 */
static int pcln_find_merged(const struct gobin *b, struct pcln_tab *t)
{
	uint64_t start, end;
	size_t room, i;

	if (!gobin__sym(b, "runtime.pclntab", &start, NULL) &&
	    !gobin__sym(b, "runtime.epclntab", &end, NULL) && end > start) {
		t->d = vaddr_bytes(b, start, &room);
		if (!t->d || end - start > room)
			return -ENOENT;
		t->size = end - start;
		t->vaddr = start;
		return 0;
	}
	for (i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];
		uint64_t a;

		for (a = (s->vaddr + 7) & ~7ULL; a + PCLN_HDR_SIZE <= s->vaddr + s->filesz; a += 8) {
			const unsigned char *p = vaddr_bytes(b, a, &room);
			uint32_t magic;

			if (!p)
				break;
			magic = rd32(p);
			if (magic != PCLN_MAGIC_118 && magic != PCLN_MAGIC_120)
				continue;
			*t = (struct pcln_tab){ .d = p, .size = room, .vaddr = a };
			if (!pcln_parse_header(t) && t->nfunc && moduledata_find(b, t))
				return 0;
		}
	}
	memset(t, 0, sizeof(*t));
	return -ENOENT;
}

/* Internally linked PIE binaries of Go 1.25 and older keep the table in .data.rel.ro.gopclntab. */
static int pcln_find(const struct gobin *b, struct pcln_tab *t)
{
	static const char *const names[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		GElf_Shdr shdr;
		Elf_Data *data = gobin_section(b, names[i], &shdr);

		if (!data || shdr.sh_type != SHT_PROGBITS || !data->d_buf)
			continue;
		t->d = data->d_buf;
		t->size = data->d_size;
		t->vaddr = shdr.sh_addr;
		return 0;
	}
	return pcln_find_merged(b, t);
}

static int pcln_parse_header(struct pcln_tab *t)
{
	uint32_t magic;
	uint64_t avail;

	if (t->size < PCLN_HDR_SIZE)
		return -EINVAL;
	magic = rd32(t->d);
	if (magic != PCLN_MAGIC_118 && magic != PCLN_MAGIC_120)
		return -EINVAL;
	if (t->d[4] || t->d[5] || t->d[7] != PCLN_PTR_SIZE)
		return -EINVAL;
	t->nfunc = hdr_word(t, HDR_NFUNC);
	t->text_start = hdr_word(t, HDR_TEXT_START);
	t->funcname_off = hdr_word(t, HDR_FUNCNAME_OFF);
	t->pcln_off = hdr_word(t, HDR_PCLN_OFF);
	if (t->funcname_off >= t->size || t->pcln_off >= t->size)
		return -EINVAL;
	/* The functab holds 2 * nfunc + 1 words of 4 bytes; this also caps the index's size. */
	avail = (t->size - t->pcln_off) / 4;
	if (!avail || t->nfunc > (avail - 1) / 2)
		return -EINVAL;
	return 0;
}

static uint32_t ftab_word(const struct pcln_tab *t, uint64_t i)
{
	return rd32(t->d + t->pcln_off + i * 4);
}

/*
 * Does the moduledata at p describe this table? Its pointers to the header, the name table and
 * the functab, and the functab's length, must all agree with the header; minpc must be the first
 * function's address under the text address it gives.
 */
static bool moduledata_matches(const struct pcln_tab *t, const unsigned char *p)
{
	uint64_t text = rd64(p + MD_TEXT * 8);

	return rd64(p + MD_PCHEADER * 8) == t->vaddr &&
	       rd64(p + MD_FUNCNAMETAB * 8) == t->vaddr + t->funcname_off &&
	       rd64(p + MD_FTAB * 8) == t->vaddr + t->pcln_off &&
	       rd64(p + MD_FTAB_LEN * 8) == t->nfunc + 1 &&
	       rd64(p + MD_MINPC * 8) == text + ftab_word(t, 0);
}

/*
 * The linker writes the moduledata (runtime.firstmoduledata) into a loadable data segment even
 * when the symbols are stripped. Look for the one describing this table in every loadable
 * segment, at 8-byte alignment; NULL when there is none.
 */
static const unsigned char *moduledata_find(const struct gobin *b, const struct pcln_tab *t)
{
	const unsigned char *raw;
	size_t rawsize, i;

	raw = (const unsigned char *)elf_rawfile(b->elf, &rawsize);
	if (!raw)
		return NULL;
	for (i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];
		uint64_t off, end;

		if (s->offset >= rawsize)
			continue;
		end = s->filesz < rawsize - s->offset ? s->offset + s->filesz : rawsize;
		for (off = (s->offset + 7) & ~7ULL; off < end && end - off >= MD_WORDS * 8;
		     off += 8)
			if (moduledata_matches(t, raw + off))
				return raw + off;
	}
	return NULL;
}

int gobin_moduledata_sections(const struct gobin *b, uint64_t bounds[4][2])
{
	struct pcln_tab t = { 0 };
	const unsigned char *md;
	int i;

	if (pcln_find(b, &t) || pcln_parse_header(&t) || !(md = moduledata_find(b, &t)))
		return -ENOENT;
	for (i = 0; i < 4; i++) {
		bounds[i][0] = rd64(md + (MD_NOPTRDATA + 2 * i) * 8);
		bounds[i][1] = rd64(md + (MD_NOPTRDATA + 2 * i + 1) * 8);
		if (bounds[i][1] < bounds[i][0])
			return -ENOENT;
	}
	return 0;
}

/* The runtime counts entry offsets from moduledata.text. */
static int moduledata_text(const struct gobin *b, const struct pcln_tab *t, uint64_t *text)
{
	const unsigned char *md = moduledata_find(b, t);

	if (!md)
		return -ENOENT;
	*text = rd64(md + MD_TEXT * 8);
	return 0;
}

/*
 * Word index of moduledata.gofunc: Go 1.20 added covctrs/ecovctrs before it, Go 1.27
 * typedesclen, itaboffset and itabsize.
 */
static const struct { int first_minor, word; } gofunc_words[] = {
	{ 18, 38 }, { 20, 40 }, { 27, 43 },
};

/*
 * Where funcdata offsets count from: go:func.* (go.func.* before Go 1.20) when .symtab has it,
 * else moduledata.gofunc as the file holds it. 0 when neither is known.
 */
static uint64_t pcln_gofunc(const struct gobin *b, const struct pcln_tab *t)
{
	const unsigned char *md;
	uint64_t a;
	int word = -1;
	size_t i;

	if (!gobin__sym(b, "go:func.*", &a, NULL) || !gobin__sym(b, "go.func.*", &a, NULL))
		return a;
	for (i = 0; i < sizeof(gofunc_words) / sizeof(gofunc_words[0]); i++)
		if (b->version.minor >= gofunc_words[i].first_minor)
			word = gofunc_words[i].word;
	if (word < 0 || !(md = moduledata_find(b, t)))
		return 0;
	return rd64(md + (size_t)word * 8);
}

/*
 * The address entry offsets count from. runtime.text when .symtab has it (externally linked
 * binaries start .text with C runtime code, so only the symbol is exact there); else the header's
 * copy (Go 1.18-1.25); else the moduledata's; else the start of .text, which is where the internal
 * linker puts runtime.text, and what debug/gosym's callers assume.
 */
static int pcln_text_start(const struct gobin *b, const struct pcln_tab *t, uint64_t *text)
{
	GElf_Shdr shdr;

	if (!gobin__sym(b, "runtime.text", text, NULL))
		return 0;
	if (t->text_start) {
		*text = t->text_start;
		return 0;
	}
	if (!moduledata_text(b, t, text))
		return 0;
	if (gobin_section(b, ".text", &shdr) && (shdr.sh_flags & SHF_EXECINSTR)) {
		*text = shdr.sh_addr;
		return 0;
	}
	return -ENOENT;
}

/* Read function i; false when its record is out of bounds or disagrees with the functab. */
static bool pcln_read_func(const struct pcln_tab *t, uint64_t text, uint64_t i,
			   struct gobin_func *f)
{
	uint32_t entryoff = ftab_word(t, 2 * i), funcoff = ftab_word(t, 2 * i + 1);
	uint32_t endoff = ftab_word(t, 2 * i + 2), nameoff;
	const unsigned char *rec;
	const char *name;
	size_t left;

	if (endoff < entryoff || text > UINT64_MAX - endoff)
		return false;
	if ((uint64_t)funcoff + PCLN_FUNC_MIN > t->size - t->pcln_off)
		return false;
	rec = t->d + t->pcln_off + funcoff;
	if (rd32(rec) != entryoff)
		return false;
	nameoff = rd32(rec + 4);
	if (nameoff >= t->size - t->funcname_off)
		return false;
	name = (const char *)t->d + t->funcname_off + nameoff;
	left = t->size - t->funcname_off - nameoff;
	if (!*name || !memchr(name, 0, left))
		return false;
	f->name = name;
	f->entry = text + entryoff;
	f->end = text + endoff;
	f->rec = (uint64_t)funcoff + PCLN_FUNC_LINES <= t->size - t->pcln_off ? rec : NULL;
	f->rec_room = t->size - t->pcln_off - funcoff > UINT32_MAX ? UINT32_MAX :
		      (uint32_t)(t->size - t->pcln_off - funcoff);
	return true;
}

static int cmp_func(const void *a, const void *b)
{
	const struct gobin_func *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Fill pcln from the binary's table; a missing or malformed table leaves it empty. */
static int pcln_build(const struct gobin *b, struct gobin_pcln *pcln)
{
	struct pcln_tab t = { 0 };
	uint64_t text, i;

	if (pcln_find(b, &t) || pcln_parse_header(&t) || !t.nfunc || pcln_text_start(b, &t, &text))
		return 0;
	pcln->funcs = calloc(t.nfunc, sizeof(*pcln->funcs));
	if (!pcln->funcs)
		return -ENOMEM;
	pcln->d = t.d;
	pcln->size = t.size;
	pcln->pctab_off = hdr_word(&t, HDR_PCTAB_OFF);
	pcln->cu_off = hdr_word(&t, HDR_CU_OFF);
	pcln->filetab_off = hdr_word(&t, HDR_FILETAB_OFF);
	pcln->funcname_off = t.funcname_off;
	pcln->min_lc = t.d[6];
	pcln->tail = rd32(t.d) == PCLN_MAGIC_118 ? PCLN_FUNC_TAIL_118 : PCLN_FUNC_TAIL_120;
	pcln->gofunc = pcln_gofunc(b, &t);
	for (i = 0; i < t.nfunc; i++)
		if (pcln_read_func(&t, text, i, &pcln->funcs[pcln->nfuncs]))
			pcln->nfuncs++;
	qsort(pcln->funcs, pcln->nfuncs, sizeof(*pcln->funcs), cmp_func);
	return 0;
}

/*
 * The index, built on first use. It is a cache of what the file says, so building it behind a
 * const pointer changes nothing a caller can observe; a failed allocation is retried next time.
 */
static const struct gobin_pcln *pcln_index(const struct gobin *cb)
{
	struct gobin *b = (struct gobin *)cb;
	struct gobin_pcln *pcln;

	if (b->pcln)
		return b->pcln;
	pcln = calloc(1, sizeof(*pcln));
	if (!pcln)
		return NULL;
	if (pcln_build(b, pcln)) {
		free(pcln);
		return NULL;
	}
	b->pcln = pcln;
	return pcln;
}

/* The first function named name in the sorted index (the lowest entry, if there are several). */
static const struct gobin_func *pcln_lookup(const struct gobin_pcln *pcln, const char *name)
{
	size_t lo = 0, hi = pcln->nfuncs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(pcln->funcs[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == pcln->nfuncs || strcmp(pcln->funcs[lo].name, name))
		return NULL;
	return &pcln->funcs[lo];
}

int gobin__func(const struct gobin *b, const char *name, uint64_t *entry, uint64_t *end)
{
	const struct gobin_pcln *pcln = pcln_index(b);
	const struct gobin_func *f;

	if (!pcln || !(f = pcln_lookup(pcln, name)))
		return -ENOENT;
	if (entry)
		*entry = f->entry;
	if (end)
		*end = f->end;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	uint64_t x = (*(const struct gobin_func *const *)a)->entry;
	uint64_t y = (*(const struct gobin_func *const *)b)->entry;

	return x < y ? -1 : x > y;
}

/*
 * The function whose code holds addr, as the runtime's own findfunc sees it: the last entry at
 * or below addr, if addr is before that function's end.
 */
static const struct gobin_func *func_at(struct gobin *b, uint64_t addr)
{
	struct gobin_pcln *pcln = (struct gobin_pcln *)pcln_index(b);
	size_t lo = 0, hi, i;

	if (!pcln || !pcln->nfuncs)
		return NULL;
	if (!pcln->by_entry) {
		pcln->by_entry = calloc(pcln->nfuncs, sizeof(*pcln->by_entry));
		if (!pcln->by_entry)
			return NULL;
		for (i = 0; i < pcln->nfuncs; i++)
			pcln->by_entry[i] = &pcln->funcs[i];
		qsort(pcln->by_entry, pcln->nfuncs, sizeof(*pcln->by_entry), cmp_entry);
	}
	hi = pcln->nfuncs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pcln->by_entry[mid]->entry <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= pcln->by_entry[lo - 1]->end)
		return NULL;
	return pcln->by_entry[lo - 1];
}

const char *gobin__func_name_at(struct gobin *b, uint64_t addr)
{
	const struct gobin_func *f = func_at(b, addr);

	return f ? f->name : NULL;
}

/* An unsigned LEB128 varint at *off, as the runtime's readvarint reads it. */
static bool read_varint(const struct gobin_pcln *p, uint64_t *off, uint32_t *v)
{
	uint32_t shift = 0, val = 0;

	while (*off < p->size && shift < 32) {
		unsigned char c = p->d[(*off)++];

		val |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = val;
			return true;
		}
		shift += 7;
	}
	return false;
}

/* The value a pc-value table gives at addr (the runtime's pcvalue); false if it has none. */
static bool pcvalue(const struct gobin_pcln *p, const struct gobin_func *f, uint32_t tab,
		    uint64_t addr, int32_t *out)
{
	uint64_t off = p->pctab_off + tab, pc = f->entry;
	int32_t val = -1;
	int step;

	if (!tab || p->pctab_off >= p->size)
		return false;
	for (step = 0; step < PCVALUE_MAX_STEPS; step++) {
		uint32_t uv, pcdelta;

		if (!read_varint(p, &off, &uv) || (uv == 0 && step))
			return false;
		val += (uv & 1) ? (int32_t)~(uv >> 1) : (int32_t)(uv >> 1);
		if (!read_varint(p, &off, &pcdelta))
			return false;
		pc += (uint64_t)pcdelta * p->min_lc;
		if (addr < pc) {
			*out = val;
			return true;
		}
	}
	return false;
}

/* File number fileno of f's compilation unit, through cutab into filetab. */
static const char *file_name(const struct gobin_pcln *p, const struct gobin_func *f, int32_t fileno)
{
	uint64_t cu = rd32(f->rec + PCLN_FUNC_CUOFF), slot, name;

	if (fileno < 0 || cu == UINT32_MAX)
		return NULL;
	slot = p->cu_off + (cu + (uint64_t)fileno) * 4;
	if (slot + 4 > p->size)
		return NULL;
	name = p->filetab_off + rd32(p->d + slot);
	if (name >= p->size || !memchr(p->d + name, 0, p->size - name))
		return NULL;
	return (const char *)p->d + name;
}

int gobin__pc_line(struct gobin *b, uint64_t addr, const char **file, int *line)
{
	const struct gobin_fn *fn = gobin__fn_at(b, addr);

	return fn ? gobin__fn_line(b, fn, addr, file, line) : -ENOENT;
}

/* A function's record, as callers see it. */
const struct gobin_fn *gobin__fn_at(struct gobin *b, uint64_t addr)
{
	return (const struct gobin_fn *)func_at(b, addr);
}

static const struct gobin_func *fn_func(const struct gobin_fn *fn)
{
	return (const struct gobin_func *)fn;
}

/* The record's tail (funcID, flag, pad, nfuncdata) and its pcdata/funcdata arrays in bounds? */
static bool fn_tail_ok(const struct gobin_pcln *p, const struct gobin_func *f)
{
	return f->rec && f->rec_room >= p->tail + 4;
}

void gobin__fn_info(const struct gobin *b, const struct gobin_fn *fn, struct gobin_fninfo *o)
{
	const struct gobin_func *f = fn_func(fn);
	const struct gobin_pcln *p = b->pcln;

	memset(o, 0, sizeof(*o));
	o->name = f->name;
	o->entry = f->entry;
	o->end = f->end;
	if (!f->rec)
		return;
	o->args = (int32_t)rd32(f->rec + PCLN_FUNC_ARGS);
	if (fn_tail_ok(p, f)) {
		o->id = f->rec[p->tail];
		o->flag = f->rec[p->tail + 1];
	}
	if (p->tail == PCLN_FUNC_TAIL_120)
		o->start_line = (int32_t)rd32(f->rec + PCLN_FUNC_STARTLINE);
}

int gobin__fn_sp_delta(const struct gobin *b, const struct gobin_fn *fn, uint64_t addr,
		       int32_t *delta)
{
	const struct gobin_func *f = fn_func(fn);

	if (!f->rec || !pcvalue(b->pcln, f, rd32(f->rec + PCLN_FUNC_PCSP), addr, delta))
		return -ENOENT;
	return 0;
}

int32_t gobin__fn_pcdata(const struct gobin *b, const struct gobin_fn *fn, unsigned int table,
			 uint64_t addr)
{
	const struct gobin_func *f = fn_func(fn);
	const struct gobin_pcln *p = b->pcln;
	uint32_t npcdata;
	int32_t v;

	if (!fn_tail_ok(p, f))
		return -1;
	npcdata = rd32(f->rec + PCLN_FUNC_NPCDATA);
	if (table >= npcdata || p->tail + 4 + (uint64_t)(table + 1) * 4 > f->rec_room)
		return -1;
	if (!pcvalue(p, f, rd32(f->rec + p->tail + 4 + table * 4), addr, &v))
		return -1;
	return v;
}

const unsigned char *gobin__fn_funcdata(const struct gobin *b, const struct gobin_fn *fn,
					unsigned int idx, size_t *avail)
{
	const struct gobin_func *f = fn_func(fn);
	const struct gobin_pcln *p = b->pcln;
	uint64_t at;
	uint32_t npcdata, off;

	if (!fn_tail_ok(p, f) || !p->gofunc || idx >= f->rec[p->tail + 3])
		return NULL;
	npcdata = rd32(f->rec + PCLN_FUNC_NPCDATA);
	at = p->tail + 4 + (uint64_t)npcdata * 4 + (uint64_t)idx * 4;
	if (at + 4 > f->rec_room)
		return NULL;
	off = rd32(f->rec + at);
	if (off == UINT32_MAX)
		return NULL;
	return vaddr_bytes(b, p->gofunc + off, avail);
}

int gobin__fn_line(const struct gobin *b, const struct gobin_fn *fn, uint64_t addr,
		   const char **file, int *line)
{
	const struct gobin_func *f = fn_func(fn);
	const struct gobin_pcln *p = b->pcln;
	int32_t fileno, ln;
	const char *name;

	if (!f->rec || !pcvalue(p, f, rd32(f->rec + PCLN_FUNC_PCFILE), addr, &fileno) ||
	    !pcvalue(p, f, rd32(f->rec + PCLN_FUNC_PCLN), addr, &ln) ||
	    !(name = file_name(p, f, fileno)))
		return -ENOENT;
	*file = name;
	*line = ln;
	return 0;
}

const char *gobin__funcname(const struct gobin *b, int32_t nameoff)
{
	const struct gobin_pcln *p = b->pcln;
	uint64_t at;

	if (!p || nameoff < 0)
		return NULL;
	at = p->funcname_off + (uint64_t)nameoff;
	if (at >= p->size || !memchr(p->d + at, 0, p->size - at))
		return NULL;
	return (const char *)p->d + at;
}

const char *gobin__file_of(const struct gobin *b, const struct gobin_fn *fn, int32_t fileno)
{
	const struct gobin_func *f = fn_func(fn);

	return f->rec ? file_name(b->pcln, f, fileno) : NULL;
}

/*
 * inlinedCall: Go 1.18/1.19 {parent i16, funcID u8, pad, file i32, line i32, func_ i32,
 * parentPc i32}; Go 1.20+ {funcID u8, pad[3], nameOff i32, parentPc i32, startLine i32}.
 */
bool gobin__fn_inl(const struct gobin *b, const struct gobin_fn *fn, int32_t ix, uint8_t *funcid,
		   int32_t *nameoff, int32_t *parent_pc)
{
	bool old = b->pcln->tail == PCLN_FUNC_TAIL_118;
	size_t sz = old ? 20 : 16, len = 0;
	const unsigned char *tree = gobin__fn_funcdata(b, fn, GOBIN_FUNCDATA_INLTREE, &len);
	const unsigned char *e;

	if (!tree || ix < 0 || (uint64_t)ix * sz + sz > len)
		return false;
	e = tree + (size_t)ix * sz;
	*funcid = old ? e[2] : e[0];
	*nameoff = (int32_t)rd32(e + (old ? 12 : 4));
	*parent_pc = (int32_t)rd32(e + (old ? 16 : 8));
	return true;
}

/* abi.FuncIDWrapper by first release: 1.22 added corostart before it, 1.25 one more. */
static const struct { int first_minor; uint8_t id; } funcid_wrappers[] = {
	{ 19, 21 }, { 22, 22 }, { 25, 23 },
};

uint8_t gobin__funcid_wrapper(const struct gobin *b)
{
	uint8_t id = funcid_wrappers[0].id;
	size_t k;

	for (k = 0; k < sizeof(funcid_wrappers) / sizeof(funcid_wrappers[0]); k++)
		if (b->version.minor >= funcid_wrappers[k].first_minor)
			id = funcid_wrappers[k].id;
	return id;
}

size_t gobin__func_count(const struct gobin *b)
{
	const struct gobin_pcln *pcln = pcln_index(b);

	return pcln ? pcln->nfuncs : 0;
}

void gobin_pclntab_free(struct gobin *b)
{
	if (!b->pcln)
		return;
	free(b->pcln->by_entry);
	free(b->pcln->funcs);
	free(b->pcln);
	b->pcln = NULL;
}
