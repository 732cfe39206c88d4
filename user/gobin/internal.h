/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* State shared by the gobin readers; not for use outside user/gobin/. */
#ifndef GS_GOBIN_INTERNAL_H
#define GS_GOBIN_INTERNAL_H

#include <gelf.h>
#include <elfutils/libdw.h>
#include "gobin/gobin.h"

struct gobin_seg {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
};

struct gobin_setting {
	char *key;
	char *value;
};

/*
 * One parsed binary. Each group of members belongs to one reader, which fills it and frees it;
 * the others only read it. gobin.c creates and destroys the struct (see there).
 */
struct gobin {
	int fd;				/* opened and closed by gobin.c */

	/* elf.c */
	Elf *elf;
	uint16_t e_type;
	struct gobin_seg *segs;
	size_t nsegs;
	struct gobin_sym *syms;		/* sorted by name */
	size_t nsyms;
	bool has_needed;		/* DT_NEEDED: links shared libraries (libc) */
	bool has_dwarf_sections;

	/* buildinfo.c */
	struct go_version version;
	struct gobin_setting *settings;
	size_t nsettings;
	bool has_pkg_runtime_cgo;

	/* dwarf.c: the struct types, indexed on first use */
	bool dwarf_tried;
	Dwarf *dwarf;
	struct gobin_struct *structs;	/* top-level DWARF struct types, sorted by name */
	size_t nstructs;

	/* pclntab.c: the .gopclntab function index, built on first use */
	struct gobin_pcln *pcln;

	/* globals.c: globals recovered from code, cached */
	struct gobin_globals *globals;

	/* gotarget.c: what go statements' wrappers call, by start address, cached */
	struct gobin_gotargets *gotargets;
};

/*
 * Lifecycle, called by gobin.c only. A load fills its reader's members and returns 0, or fills
 * err and returns -1; a free releases them, whatever state a failed load left.
 */
int gobin_elf_load(struct gobin *b, const char *path, struct gs_err *err);
/* The Go build ID of the ELF file open at fd; false when it has none. */
bool gobin_elf_go_buildid(int fd, char *buf, size_t len);
void gobin_elf_free(struct gobin *b);
int gobin_buildinfo_read(struct gobin *b, struct gs_err *err);
void gobin_buildinfo_free(struct gobin *b);
void gobin_dwarf_free(struct gobin *b);
void gobin_pclntab_free(struct gobin *b);
void gobin_globals_free(struct gobin *b);
void gobin_gotarget_free(struct gobin *b);

/* elf.c's queries for the other readers. Section data by name, or NULL. */
Elf_Data *gobin_section(const struct gobin *b, const char *name, GElf_Shdr *shdr);
/*
 * pclntab.c: the runtime's data sections as its moduledata bounds them: [start, end) link-time
 * addresses of noptrdata, data, bss and noptrbss, in that order. For a file without section
 * headers. Returns 0, or -ENOENT without a table and its moduledata.
 */
int gobin_moduledata_sections(const struct gobin *b, uint64_t bounds[4][2]);
/* Copy len bytes at link-time virtual address vaddr from the file. Returns 0 or -1. */
int gobin_read_vaddr(const struct gobin *b, uint64_t vaddr, void *buf, size_t len);

#endif
