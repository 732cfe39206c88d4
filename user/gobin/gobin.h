/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a Go binary tells us: its Go version and build settings (.go.buildinfo), its symbols
 * (.symtab), the layout of its runtime structs (DWARF) and how virtual addresses map to file
 * offsets. Everything is read from the file; nothing here touches a running process.
 */
#ifndef GS_GOBIN_H
#define GS_GOBIN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include "util/log.h"

struct go_version {
	int major;
	int minor;
	int patch;
	char str[48];		/* as the binary spells it, e.g. "go1.24.4" */
};

/* Parse "go1.21.13", "go1.22rc1", "devel go1.23-abcdef …". Returns 0 on success. */
int go_version_parse(const char *s, struct go_version *v);

/*
 * Go's build info (.go.buildinfo, or found by its magic): a 32-byte header, 16-byte aligned,
 * the magic, the pointer size at byte 14, flags at 15. With GO_BUILDINFO_INLINE (Go 1.18+) the
 * version and module info follow as varint-prefixed strings; before, two pointers at 16 and 24
 * name Go strings.
 */
#define GO_BUILDINFO_MAGIC	"\xff Go buildinf:"
#define GO_BUILDINFO_MAGIC_LEN	14
#define GO_BUILDINFO_HDR_LEN	32
#define GO_BUILDINFO_ALIGN	16
#define GO_BUILDINFO_INLINE	0x2

/*
 * The version of an inline build info d (size bytes from its header on) into vers (len bytes,
 * NUL-terminated). Returns where the module info starts (past header and version), or 0 when
 * the version does not fit in d or in vers.
 */
size_t gobin__buildinfo_version(const unsigned char *d, size_t size, char *vers, size_t len);

struct gobin;

/*
 * Open a binary (any path, including /proc/PID/exe). Fails with GS_EXIT_NOT_GO when the file is
 * not an ELF Go binary. The version and symbol tables are read eagerly; DWARF lazily.
 */
struct gobin *gobin__open(const char *path, struct gs_err *err);
void gobin__free(struct gobin *b);

/*
 * Could this file hold a Go runtime? A cheap look at its section names (.go.buildinfo,
 * .note.go.buildid, .gopclntab), to pass over the C libraries of a process before gobin__open
 * parses anything; true also when it has no section headers to tell.
 */
bool gobin__maybe_go(const char *path);

const struct go_version *gobin__version(const struct gobin *b);
/* A build setting from the module info ("-buildmode", "CGO_ENABLED", …), or NULL. */
const char *gobin__setting(const struct gobin *b, const char *key);
bool gobin__is_pie(const struct gobin *b);	/* ELF type ET_DYN */
bool gobin__has_symtab(const struct gobin *b);
bool gobin__has_dwarf(const struct gobin *b);
/* Linked against C code through cgo (CGO_ENABLED=1 and the runtime/cgo package present). */
bool gobin__is_cgo(const struct gobin *b);

/* Link-time address and size of a symbol from .symtab. Returns 0, or -1 when absent. */
int gobin__sym(const struct gobin *b, const char *name, uint64_t *addr, uint64_t *size);

/* File offset of a link-time virtual address in a loadable segment, as uprobes want it. */
int gobin__vaddr_to_offset(const struct gobin *b, uint64_t vaddr, uint64_t *off);

/*
 * Link-time virtual address of the loadable segment that holds file offset off; used to compute
 * the load bias from a /proc/PID/maps entry.
 */
int gobin__offset_to_vaddr(const struct gobin *b, uint64_t off, uint64_t *vaddr);

/* The device and inode of the file the parse was read from (a process sharing it may differ). */
void gobin__file_id(const struct gobin *b, uint64_t *dev, uint64_t *ino);

/*
 * Byte offset of a (possibly nested, dotted) member inside a named struct type, from DWARF:
 * e.g. ("runtime.workType", "cpuStats.gcAssistTime"). Returns 0, or -1 when the type, the
 * member or DWARF itself is missing.
 */
int gobin__field_offset(struct gobin *b, const char *type, const char *path, uint64_t *off);

/* Size in bytes of a named struct type, from DWARF. Returns 0, or -1. */
int gobin__type_size(struct gobin *b, const char *type, uint64_t *size);

/*
 * Name of the function that contains addr (a link-time address), from .gopclntab as the runtime's
 * findfunc would say; NULL if none. Works on stripped binaries.
 */
const char *gobin__func_name_at(struct gobin *b, uint64_t addr);

/*
 * Source file and line of the instruction at addr (a link-time address), from .gopclntab's
 * line tables as the runtime's funcline reports them. For a return address (a goroutine's
 * creation point, g.gopc), ask for addr - 1, as the runtime's tracebacks do. Returns 0, or
 * -ENOENT. file points into the binary's data (valid while b is open).
 */
int gobin__pc_line(struct gobin *b, uint64_t addr, const char **file, int *line);

#endif
