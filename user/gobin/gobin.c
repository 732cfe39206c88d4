// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The life of a struct gobin: open, share, free. Each reader fills and frees only its own members
 * (internal.h groups them by owner), and only this file calls the readers' load and free
 * functions, so those calls form a tree rooted here:
 *
 *   gobin__open                      gobin__free, last reference
 *     open(), fstat(): cache lookup    gobin_dwarf_free
 *     gobin_elf_load                   gobin_pclntab_free
 *     gobin_buildinfo_read             gobin_globals_free
 *                                      gobin_gotarget_free
 *                                      gobin_buildinfo_free
 *                                      gobin_elf_free
 *                                      close()
 *
 * DWARF, the .gopclntab index and recovered globals are built on first use by their readers'
 * queries, so they have a free and no load; they point into the ELF data, so they go first.
 * Readers may use each other's queries (buildinfo.c reads through elf.c's sections, disasm.c
 * decodes the functions pclntab.c finds, globals.c walks code through disasm.c), never each
 * other's load or free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "gobin/internal.h"

/* What no reader needs: the file's identity and who shares the parse. */
struct gobin_file {
	struct gobin b;			/* first: the struct gobin * callers hold converts back */
	uint64_t dev, ino;
	int64_t size, mtime_ns;
	char buildid[128];		/* the Go build ID; "" when none */
	unsigned int refs;
	struct gobin_file *next_open;
};

/*
 * Every binary open right now. Processes running the same executable (a fleet of replicas under
 * --all) share one parse: it is most of goscope's memory per target, and read-only once built.
 * A file is the same when device, inode, size and modification time agree; a running executable
 * cannot be rewritten in place (ETXTBSY), and a binary replaced on disk is a new inode. Containers
 * of one image run one file of its layer, but each through its own overlay mount, whose device
 * differs: there inode, size, modification time and the Go build ID must agree.
 */
static struct gobin_file *open_binaries;

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static struct gobin_file *find_open(const struct stat *st, int fd)
{
	struct gobin_file *f;
	char id[128];
	int have_id = -1;		/* not read yet */

	for (f = open_binaries; f; f = f->next_open) {
		if (f->ino != st->st_ino || f->size != st->st_size || f->mtime_ns != mtime_ns(st))
			continue;
		if (f->dev == st->st_dev)
			return f;
		if (have_id < 0)
			have_id = gobin_elf_go_buildid(fd, id, sizeof(id));
		if (have_id && f->buildid[0] && !strcmp(f->buildid, id))
			return f;
	}
	return NULL;
}

/* Whatever state a failed open left: every free below copes with members never filled. */
static void destroy(struct gobin_file *f)
{
	struct gobin *b = &f->b;

	gobin_dwarf_free(b);
	gobin_pclntab_free(b);
	gobin_globals_free(b);
	gobin_gotarget_free(b);
	gobin_buildinfo_free(b);
	gobin_elf_free(b);
	if (b->fd >= 0)
		close(b->fd);
	free(f);
}

struct gobin *gobin__open(const char *path, struct gs_err *err)
{
	struct gobin_file *f, *same;
	struct stat st;
	bool known;

	f = calloc(1, sizeof(*f));
	if (!f) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	f->refs = 1;
	f->b.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->b.fd < 0) {
		int e = errno;

		gs_fail(err, e == EACCES || e == EPERM ? GS_EXIT_PERMISSION : GS_EXIT_ERROR,
			"cannot open %s: %s", path, strerror(e));
		goto fail;
	}
	/* Opened through the caller's path all the same: that open is the access check. */
	known = fstat(f->b.fd, &st) == 0;
	if (known) {
		same = find_open(&st, f->b.fd);
		if (same) {
			log_debug("%s: the program of an executable already open (inode %llu): one "
				  "parse for both", path, (unsigned long long)st.st_ino);
			destroy(f);
			same->refs++;
			return &same->b;
		}
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->size = st.st_size;
		f->mtime_ns = mtime_ns(&st);
	}
	if (gobin_elf_load(&f->b, path, err) || gobin_buildinfo_read(&f->b, err))
		goto fail;
	if (known)
		gobin_elf_go_buildid(f->b.fd, f->buildid, sizeof(f->buildid));
	/* A file whose identity is unknown cannot be matched, so it is not shared. */
	if (known) {
		f->next_open = open_binaries;
		open_binaries = f;
	}
	return &f->b;
fail:
	destroy(f);
	return NULL;
}

void gobin__free(struct gobin *b)
{
	struct gobin_file *f = (struct gobin_file *)b, **pp;

	if (!b)
		return;
	if (f->refs > 1) {
		f->refs--;
		return;
	}
	for (pp = &open_binaries; *pp; pp = &(*pp)->next_open)
		if (*pp == f) {
			*pp = f->next_open;
			break;
		}
	destroy(f);
}

void gobin__file_id(const struct gobin *b, uint64_t *dev, uint64_t *ino)
{
	const struct gobin_file *f = (const struct gobin_file *)b;

	*dev = f->dev;
	*ino = f->ino;
}

const struct go_version *gobin__version(const struct gobin *b)
{
	return &b->version;
}

const char *gobin__setting(const struct gobin *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->nsettings; i++)
		if (!strcmp(b->settings[i].key, key))
			return b->settings[i].value;
	return NULL;
}

bool gobin__is_cgo(const struct gobin *b)
{
	/*
	 * runtime/cgo's C entry point when symbols are there; otherwise a needed shared library: Go
	 * links none itself (a PIE has an interpreter but no DT_NEEDED); only C code through cgo
	 * does.
	 */
	return b->has_pkg_runtime_cgo || b->has_needed;
}
