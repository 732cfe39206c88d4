// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ELF side of a Go binary: segments, sections and the symbol table. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "gobin/internal.h"

struct gobin_sym {
	const char *name;	/* points into the ELF string table */
	uint64_t addr;
	uint64_t size;
};

/* The first section whose name is name, or starts with it when prefix is set. */
static Elf_Scn *find_section(const struct gobin *b, const char *name, bool prefix, GElf_Shdr *shdr)
{
	size_t shstrndx, n = strlen(name);
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(b->elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(b->elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, shdr))
			continue;
		sname = elf_strptr(b->elf, shstrndx, shdr->sh_name);
		if (sname && (prefix ? !strncmp(sname, name, n) : !strcmp(sname, name)))
			return scn;
	}
	return NULL;
}

Elf_Data *gobin_section(const struct gobin *b, const char *name, GElf_Shdr *shdr_out)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_section(b, name, false, &shdr);

	if (!scn)
		return NULL;
	if (shdr_out)
		*shdr_out = shdr;
	return elf_getdata(scn, NULL);
}

static bool has_section_prefix(const struct gobin *b, const char *prefix)
{
	GElf_Shdr shdr;

	return find_section(b, prefix, true, &shdr) != NULL;
}

int gobin_read_vaddr(const struct gobin *b, uint64_t vaddr, void *buf, size_t len)
{
	uint64_t off;
	ssize_t n;

	if (gobin__vaddr_to_offset(b, vaddr, &off))
		return -1;
	n = pread(b->fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : -1;
}

static int read_segments(struct gobin *b)
{
	size_t phnum, i;

	if (elf_getphdrnum(b->elf, &phnum))
		return -1;
	b->segs = calloc(phnum ? phnum : 1, sizeof(*b->segs));
	if (!b->segs)
		return -1;
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(b->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		b->segs[b->nsegs++] = (struct gobin_seg){ ph.p_vaddr, ph.p_offset, ph.p_filesz };
	}
	return 0;
}

static void read_dynamic(struct gobin *b)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(b->elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_DYNAMIC || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		n = shdr.sh_size / shdr.sh_entsize;
		for (i = 0; data && i < n; i++) {
			GElf_Dyn dyn;

			if (gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag == DT_NEEDED)
				b->has_needed = true;
		}
	}
}

static int cmp_sym(const void *a, const void *b)
{
	return strcmp(((const struct gobin_sym *)a)->name, ((const struct gobin_sym *)b)->name);
}

static int read_symtab(struct gobin *b)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(b->elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;
		size_t n, i;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !shdr.sh_entsize)
			return 0;
		n = shdr.sh_size / shdr.sh_entsize;
		b->syms = calloc(n ? n : 1, sizeof(*b->syms));
		if (!b->syms)
			return -1;
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;
			int type;

			if (!gelf_getsym(data, (int)i, &s) || s.st_shndx == SHN_UNDEF)
				continue;
			type = GELF_ST_TYPE(s.st_info);
			if (type != STT_FUNC && type != STT_OBJECT)
				continue;
			name = elf_strptr(b->elf, shdr.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			b->syms[b->nsyms++] = (struct gobin_sym){ name, s.st_value, s.st_size };
		}
		qsort(b->syms, b->nsyms, sizeof(*b->syms), cmp_sym);
		return 0;
	}
	return 0;
}

/* Read eagerly: the other readers find their data through the sections, segments and symbols. */
int gobin_elf_load(struct gobin *b, const char *path, struct gs_err *err)
{
	GElf_Ehdr eh;

	elf_version(EV_CURRENT);
	b->elf = elf_begin(b->fd, ELF_C_READ_MMAP, NULL);
	if (!b->elf || elf_kind(b->elf) != ELF_K_ELF || !gelf_getehdr(b->elf, &eh))
		return gs_fail(err, GS_EXIT_NOT_GO,
			       "%s is not an ELF executable, so not a Go program", path);
	if (eh.e_machine != EM_X86_64)
		return gs_fail(err, GS_EXIT_NOT_GO,
			       "%s is not an x86-64 binary; goscope supports linux/amd64", path);
	b->e_type = eh.e_type;
	read_dynamic(b);
	if (read_segments(b) || read_symtab(b))
		return gs_fail(err, GS_EXIT_ERROR, "cannot read the ELF headers of %s", path);
	/* Only noted here: dwarf.c opens the sections on first use. */
	b->has_dwarf_sections = has_section_prefix(b, ".debug_info") ||
				has_section_prefix(b, ".zdebug_info");
	return 0;
}

/* The descriptor is gobin.c's, and closed there. */
void gobin_elf_free(struct gobin *b)
{
	free(b->syms);
	b->syms = NULL;
	b->nsyms = 0;
	free(b->segs);
	b->segs = NULL;
	b->nsegs = 0;
	if (b->elf)
		elf_end(b->elf);
	b->elf = NULL;
}

bool gobin__is_pie(const struct gobin *b)
{
	return b->e_type == ET_DYN;
}

bool gobin__has_symtab(const struct gobin *b)
{
	return b->nsyms > 0;
}

bool gobin__has_dwarf(const struct gobin *b)
{
	return b->has_dwarf_sections;
}

int gobin__sym(const struct gobin *b, const char *name, uint64_t *addr, uint64_t *size)
{
	struct gobin_sym key = { .name = name }, *s;

	if (!b->nsyms)
		return -1;
	s = bsearch(&key, b->syms, b->nsyms, sizeof(*b->syms), cmp_sym);
	if (!s)
		return -1;
	if (addr)
		*addr = s->addr;
	if (size)
		*size = s->size;
	return 0;
}

int gobin__vaddr_to_offset(const struct gobin *b, uint64_t vaddr, uint64_t *off)
{
	size_t i;

	for (i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];

		if (vaddr >= s->vaddr && vaddr < s->vaddr + s->filesz) {
			*off = vaddr - s->vaddr + s->offset;
			return 0;
		}
	}
	return -1;
}

int gobin__offset_to_vaddr(const struct gobin *b, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < b->nsegs; i++) {
		const struct gobin_seg *s = &b->segs[i];

		if (off >= (s->offset & ~0xfffULL) && off < s->offset + s->filesz) {
			*vaddr = s->vaddr - (s->offset - off);
			return 0;
		}
	}
	return -1;
}

/*
 * The Go build ID (the note "Go" of type 4 in .note.go.buildid): a hash of what the linker was
 * given and produced, so two files with the same one hold the same program.
 */
bool gobin_elf_go_buildid(int fd, char *buf, size_t len)
{
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, ".note.go.buildid"))
			continue;
		d = elf_getdata(scn, NULL);
		while (d && !found && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			/* The linker writes the name "Go" padded with NULs to 4 bytes. */
			if (nh.n_type != 4 || nh.n_namesz < 3 || nh.n_namesz > 4 ||
			    memcmp((const char *)d->d_buf + name_off, "Go", 3) || !nh.n_descsz ||
			    nh.n_descsz >= len)
				continue;
			memcpy(buf, (const char *)d->d_buf + desc_off, nh.n_descsz);
			buf[nh.n_descsz] = '\0';
			found = true;
		}
	}
out:
	elf_end(elf);
	return found;
}

/*
 * Files already found to hold no Go runtime: every process maps the same few C libraries, and
 * `goscope ps` or `--all` would otherwise read libc's section headers once per process. A file
 * changed in place has another size or modification time; one replaced, another inode.
 */
#define NOT_GO_CACHE 4096
static struct not_go {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
} not_go[NOT_GO_CACHE];
static size_t n_not_go;

static bool known_not_go(const struct stat *st)
{
	size_t i;

	for (i = 0; i < n_not_go; i++)
		if (not_go[i].ino == st->st_ino && not_go[i].dev == st->st_dev &&
		    not_go[i].size == st->st_size && not_go[i].mtime.tv_sec == st->st_mtim.tv_sec &&
		    not_go[i].mtime.tv_nsec == st->st_mtim.tv_nsec)
			return true;
	return false;
}

bool gobin__maybe_go(const char *path)
{
	static const char *const marks[] = { ".go.buildinfo", ".note.go.buildid", ".gopclntab" };
	Elf_Scn *scn = NULL;
	size_t shstrndx, nscn, i;
	bool maybe = false;
	struct stat st;
	Elf *elf;
	int fd;

	/* Only a regular file: opening a mapped device (a GPU's, /dev/zero) is not ours to do. */
	if (stat(path, &st) || !S_ISREG(st.st_mode) || known_not_go(&st))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto out;
	if (elf_getshdrnum(elf, &nscn) || nscn == 0 || elf_getshdrstrndx(elf, &shstrndx)) {
		maybe = true;		/* no section headers: only a full parse can tell */
		goto out;
	}
	while (!maybe && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (!strcmp(name, marks[i]))
				maybe = true;
	}
out:
	if (!maybe && n_not_go < NOT_GO_CACHE)
		not_go[n_not_go++] = (struct not_go){ st.st_dev, st.st_ino, st.st_size, st.st_mtim };
	elf_end(elf);
	close(fd);
	return maybe;
}
