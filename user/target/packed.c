// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What a packed Go program looks like, measured with UPX 4.2 (Debian's upx-ucl) on Go 1.19 to
 * 1.27, default, cgo and stripped builds (UPX refuses Go's internally linked PIE; an externally
 * linked PIE packs): the unpacked program is in anonymous mappings at its link addresses (at a
 * random base for a PIE), its ELF header and program headers intact at the start, .go.buildinfo
 * in its writable segment, and none of its code is backed by a file.
 */
/* Before <elf.h>: its auxv macro AT_ENTRY would rename probe_table.h's enum value. */
#include "target/target.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gobin/gobin.h"
#include "target/packed.h"
#include "target/proc.h"
#include "target/remote.h"

#define PACKED_HEAD		1024		/* where UPX writes its "UPX!" marker */
#define PACKED_MAX_MAPS		65536
#define PACKED_MAX_PHDRS	64
#define PACKED_SCAN_MAX		(64u << 20)	/* of writable segments, per image */
#define PACKED_CHUNK		(64u << 10)
#define PACKED_MAX_DYNAMIC	(64u << 10)

const char *packed_file_packer(const char *path)
{
	unsigned char head[PACKED_HEAD];
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)head;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = pread(fd, head, sizeof(head), 0);
		close(fd);
	}
	if (n < (ssize_t)sizeof(*eh) || memcmp(head, ELFMAG, SELFMAG) ||
	    head[EI_CLASS] != ELFCLASS64)
		return NULL;
	if (memmem(head, (size_t)n, "UPX!", 4))
		return "UPX";
	/* Every linker writes section headers; a packer has no use for them. */
	if (!eh->e_shoff || !eh->e_shnum)
		return "an executable packer";
	return NULL;
}

struct anon_map {
	uint64_t start, end;
	bool read, exec;
};

/* pid's anonymous mappings (no file, no [heap] or [stack] name); -errno if maps is unreadable. */
static int anon_maps(pid_t pid, struct anon_map **out, size_t *n)
{
	char path[64], line[4096 + 128];
	struct anon_map *v = NULL, *nv;
	size_t cap = 0;
	FILE *f;

	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f) && *n < PACKED_MAX_MAPS) {
		struct proc_maps_line m;

		if (!proc_maps_line_parse(line, &m))
			continue;
		/* A file's inode, or a name: [heap], [stack], [vdso], memfd:... */
		if (m.ino || m.name[0])
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = (struct anon_map){ m.start, m.end, m.perms[0] == 'r', m.perms[2] == 'x' };
	}
	fclose(f);
	*out = v;
	return 0;
}

static const struct anon_map *map_at(const struct anon_map *m, size_t n, uint64_t addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (addr >= m[i].start && addr < m[i].end)
			return &m[i];
	return NULL;
}

/* The Go version in the build info at addr (both layouts, see gobin/buildinfo.c). */
static int buildinfo_version(pid_t pid, uint64_t addr, char *vers, size_t len)
{
	unsigned char d[GO_BUILDINFO_HDR_LEN + 10 + 64];
	uint64_t ptr, str[2];

	if (remote_read(pid, addr, d, sizeof(d)))
		return -1;
	if (d[15] & GO_BUILDINFO_INLINE)
		return gobin__buildinfo_version(d, sizeof(d), vers, len) ? 0 : -1;
	/* Before Go 1.18: a pointer to a Go string, already relocated in memory. */
	if (d[14] != 8)
		return -1;
	memcpy(&ptr, d + 16, sizeof(ptr));
	if (remote_read(pid, ptr, str, sizeof(str)) || str[1] >= len ||
	    remote_read(pid, str[0], vers, str[1]))
		return -1;
	vers[str[1]] = 0;
	return 0;
}

/* Search [lo, hi) for a valid build info, 16-byte aligned as the linker places it. */
static int scan_buildinfo(pid_t pid, uint64_t lo, uint64_t hi, unsigned char *buf,
			  struct packed_go *pg)
{
	struct go_version v;
	uint64_t a;
	size_t i;
	int ret;

	for (a = lo & ~(uint64_t)(GO_BUILDINFO_ALIGN - 1); a < hi; a += PACKED_CHUNK) {
		size_t len = hi - a < PACKED_CHUNK ? (size_t)(hi - a) : PACKED_CHUNK;

		ret = remote_read(pid, a, buf, len);
		if (ret == -EPERM || ret == -ESRCH)
			return ret;
		if (ret)
			return 0;
		/* A magic that straddles two chunks is never 16-byte aligned in both. */
		for (i = 0; i + GO_BUILDINFO_MAGIC_LEN <= len; i += GO_BUILDINFO_ALIGN) {
			if (memcmp(buf + i, GO_BUILDINFO_MAGIC, GO_BUILDINFO_MAGIC_LEN) ||
			    buildinfo_version(pid, a + i, pg->version, sizeof(pg->version)) ||
			    go_version_parse(pg->version, &v) || !v.minor)
				continue;
			return 1;
		}
	}
	return 0;
}

/* Does the dynamic section at addr name a shared library? (As gobin__is_cgo decides.) */
static bool needs_library(pid_t pid, uint64_t addr, uint64_t size)
{
	Elf64_Dyn dyn[64];
	uint64_t off;
	size_t i;

	for (off = 0; off < size && off < PACKED_MAX_DYNAMIC; off += sizeof(dyn)) {
		if (remote_read(pid, addr + off, dyn, sizeof(dyn)))
			return false;
		for (i = 0; i < sizeof(dyn) / sizeof(dyn[0]); i++) {
			if (dyn[i].d_tag == DT_NULL)
				return false;
			if (dyn[i].d_tag == DT_NEEDED)
				return true;
		}
	}
	return false;
}

/*
 * Is the mapping at m the start of an unpacked program: an ELF header whose code is in an
 * executable anonymous mapping (the Go heap is never executable) and whose writable segments
 * hold Go build info? Returns 1 (pg filled), 0, or -errno.
 */
static int image_at(pid_t pid, const struct anon_map *m, const struct anon_map *all, size_t n,
		    unsigned char *buf, struct packed_go *pg)
{
	Elf64_Phdr ph[PACKED_MAX_PHDRS];
	uint64_t bias = 0, scanned = 0, dyn = 0, dyn_size = 0;
	const struct anon_map *code;
	Elf64_Ehdr eh;
	bool first = true, exec = false;
	int i, ret = 0;

	ret = remote_read(pid, m->start, &eh, sizeof(eh));
	if (ret)
		return ret == -EPERM || ret == -ESRCH ? ret : 0;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    eh.e_phentsize != sizeof(ph[0]) || !eh.e_phnum || eh.e_phnum > PACKED_MAX_PHDRS ||
	    remote_read(pid, m->start + eh.e_phoff, ph, eh.e_phnum * sizeof(ph[0])))
		return 0;
	for (i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_DYNAMIC) {
			dyn = ph[i].p_vaddr;
			dyn_size = ph[i].p_memsz;
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (first) {
			/* The header is in the first segment: that says where the image was put. */
			bias = m->start - (ph[i].p_vaddr & ~(uint64_t)0xfff);
			if (eh.e_type == ET_EXEC && bias)
				return 0;
			first = false;
		}
		code = map_at(all, n, ph[i].p_vaddr + bias);
		if (ph[i].p_flags & PF_X)
			exec |= code && code->exec;
	}
	if (!exec)
		return 0;
	for (i = 0; i < eh.e_phnum && scanned < PACKED_SCAN_MAX; i++) {
		uint64_t size = ph[i].p_filesz;

		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_W))
			continue;
		size = size < PACKED_SCAN_MAX - scanned ? size : PACKED_SCAN_MAX - scanned;
		scanned += size;
		ret = scan_buildinfo(pid, ph[i].p_vaddr + bias, ph[i].p_vaddr + bias + size, buf,
				     pg);
		if (ret)
			break;
	}
	if (ret <= 0)
		return ret;
	pg->image = m->start;
	pg->pie = eh.e_type == ET_DYN;
	pg->cgo = dyn && needs_library(pid, dyn + bias, dyn_size);
	return 1;
}

int packed_go_find(pid_t pid, const char *exe_path, struct packed_go *pg)
{
	const char *packer = packed_file_packer(exe_path);
	struct anon_map *maps = NULL;
	unsigned char *buf;
	size_t n = 0, i;
	int ret;

	memset(pg, 0, sizeof(*pg));
	if (!packer)
		return 0;
	snprintf(pg->packer, sizeof(pg->packer), "%s", packer);
	ret = anon_maps(pid, &maps, &n);
	buf = malloc(PACKED_CHUNK);
	if (!ret && !buf)
		ret = -ENOMEM;
	for (i = 0; !ret && i < n; i++)
		if (maps[i].read && maps[i].end - maps[i].start >= 4096)
			ret = image_at(pid, &maps[i], maps, n, buf, pg);
	free(buf);
	free(maps);
	return ret;
}

bool packed_refuse(pid_t pid, const char *exe_path, const char *comm, const char *exe,
		   struct target_info *info, struct gs_err *err)
{
	struct packed_go pg;
	bool upx;
	int ret = packed_go_find(pid, exe_path, &pg);

	if (ret == -ESRCH) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "process %d exited while goscope was reading it",
			pid);
		return true;
	}
	if (ret == -ENOMEM) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return true;
	}
	if (ret < 0) {
		gs_fail(err, GS_EXIT_PERMISSION, "%s (%s) is packed with %s: only its memory "
			"says whether it is a Go program, and goscope may not read it (%s); run "
			"goscope as root (sudo)", comm, exe, pg.packer, strerror(-ret));
		return true;
	}
	if (ret <= 0)
		return false;
	upx = !strcmp(pg.packer, "UPX");
	info->go = true;
	snprintf(info->version, sizeof(info->version), "%s", pg.version);
	info->pie = pg.pie;
	info->cgo = pg.cgo;
	/* Neither the packed file nor the unpacked image holds a symbol table goscope can read. */
	info->stripped = true;
	snprintf(info->refused, sizeof(info->refused), "packed with %s%s", pg.packer,
		 upx ? " (upx -d unpacks it)" : "");
	gs_fail(err, GS_EXIT_PACKED, "%s (%s) is a Go program (%s) packed with %s: the file holds "
		"only a compressed copy, and goscope needs the program's own file for its symbols "
		"and probes; %s and start the unpacked binary, or start it with GODEBUG=gctrace=1 "
		"for the runtime's own GC trace", comm, exe, pg.version, pg.packer,
		upx ? "unpack the file with `upx -d`" : "unpack the file");
	return true;
}
