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
	MD_WORDS = 24,
};

struct gobin_func {
	const char *name;	/* points into the section data */
	uint64_t entry;
	uint64_t end;
};

struct gobin_pcln {
	struct gobin_func *funcs;	/* sorted by name, then entry */
	size_t nfuncs;
	const struct gobin_func **by_entry;	/* the same, sorted by entry; built on first use */
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
	return -ENOENT;
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
 * The runtime counts entry offsets from moduledata.text, and the linker writes the moduledata
 * (runtime.firstmoduledata) into a loadable data segment even when the symbols are stripped. Look
 * for it in every loadable segment, at 8-byte alignment.
 */
static int moduledata_text(const struct gobin *b, const struct pcln_tab *t, uint64_t *text)
{
	const unsigned char *raw;
	size_t rawsize, i;

	raw = (const unsigned char *)elf_rawfile(b->elf, &rawsize);
	if (!raw)
		return -ENOENT;
	for (i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];
		uint64_t off, end;

		if (s->offset >= rawsize)
			continue;
		end = s->filesz < rawsize - s->offset ? s->offset + s->filesz : rawsize;
		for (off = (s->offset + 7) & ~7ULL; off < end && end - off >= MD_WORDS * 8; off += 8) {
			if (moduledata_matches(t, raw + off)) {
				*text = rd64(raw + off + MD_TEXT * 8);
				return 0;
			}
		}
	}
	return -ENOENT;
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
const char *gobin__func_name_at(struct gobin *b, uint64_t addr)
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
	return pcln->by_entry[lo - 1]->name;
}

size_t gobin__func_count(const struct gobin *b)
{
	const struct gobin_pcln *pcln = pcln_index(b);

	return pcln ? pcln->nfuncs : 0;
}

void gobin_free_pclntab(struct gobin *b)
{
	if (!b->pcln)
		return;
	free(b->pcln->by_entry);
	free(b->pcln->funcs);
	free(b->pcln);
	b->pcln = NULL;
}
