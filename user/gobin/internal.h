/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* State shared by the gobin readers; not for use outside user/gobin/. */
#ifndef GS_GOBIN_INTERNAL_H
#define GS_GOBIN_INTERNAL_H

#include <gelf.h>
#include <elfutils/libdw.h>
#include "gobin/gobin.h"

struct gobin_sym {
	const char *name;	/* points into the ELF string table */
	uint64_t addr;
	uint64_t size;
};

struct gobin_seg {
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
};

struct gobin_setting {
	char *key;
	char *value;
};

struct gobin_struct {
	const char *name;
	Dwarf_Off die;
};

struct gobin {
	int fd;
	Elf *elf;
	uint64_t dev, ino;
	/* Shared by every open of the same file (see gobin__open): the key and a reference count. */
	int64_t size, mtime_ns;
	unsigned int refs;
	struct gobin *next_open;
	uint16_t e_type;

	struct gobin_seg *segs;
	size_t nsegs;

	struct gobin_sym *syms;		/* sorted by name */
	size_t nsyms;

	struct go_version version;
	struct gobin_setting *settings;
	size_t nsettings;
	bool has_pkg_runtime_cgo;
	bool has_needed;		/* DT_NEEDED: links shared libraries (libc) */

	bool has_dwarf_sections;
	bool dwarf_tried;
	Dwarf *dwarf;
	struct gobin_struct *structs;	/* top-level DWARF struct types, sorted by name */
	size_t nstructs;

	struct gobin_pcln *pcln;	/* .gopclntab function index (pclntab.c), built on first use */
	struct gobin_globals *globals;	/* globals recovered from code (disasm.c), cached */
};

/* Section data by name, or NULL. */
Elf_Data *gobin_section(const struct gobin *b, const char *name, GElf_Shdr *shdr);
/* Copy len bytes at link-time virtual address vaddr from the file. Returns 0 or -1. */
int gobin_read_vaddr(const struct gobin *b, uint64_t vaddr, void *buf, size_t len);

int gobin_read_buildinfo(struct gobin *b, struct gs_err *err);
void gobin_free_dwarf(struct gobin *b);
void gobin_free_pclntab(struct gobin *b);
void gobin_free_disasm(struct gobin *b);

#endif
