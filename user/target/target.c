// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "target/caps.h"
#include "target/target.h"
#include "target/packed.h"
#include "target/proc.h"
#include "target/probes.h"
#include "target/remote.h"
#include "gobin/gobin.h"
#include "goruntime/layout.h"
#include "gobin/disasm.h"

static void fill_info(struct target_info *info, const struct target *t)
{
	snprintf(info->comm, sizeof(info->comm), "%s", t->comm);
	if (!t->bin)
		return;
	info->go = true;
	snprintf(info->version, sizeof(info->version), "%s", gobin__version(t->bin)->str);
	info->pie = gobin__is_pie(t->bin);
	info->stripped = !gobin__has_symtab(t->bin) || !gobin__has_dwarf(t->bin);
	info->cgo = gobin__is_cgo(t->bin);
	snprintf(info->object, sizeof(info->object), "%s", t->object);
}

/* Why the executable cannot be read, in words that say what to do about it. */
static void permission_message(const struct target *t, struct gs_err *err)
{
	if (!caps_have(CAP_SYS_PTRACE) && geteuid() == 0)
		/* Root whose bounding set lacks it (a container, CapabilityBoundingSet=). */
		gs_fail(err, GS_EXIT_PERMISSION,
			"no permission to read the executable of %s: missing CAP_SYS_PTRACE, which "
			"this root process does not have (container or service capability bounding "
			"set)", t->comm);
	else if (!caps_have(CAP_SYS_PTRACE))
		gs_fail(err, GS_EXIT_PERMISSION,
			"no permission to read the executable of %s: missing CAP_SYS_PTRACE (ptrace "
			"access rules apply); run goscope as root (sudo)", t->comm);
	else if (geteuid())
		gs_fail(err, GS_EXIT_PERMISSION,
			"no permission to read the executable of %s; run goscope as root (sudo)",
			t->comm);
	else
		/* Root with CAP_SYS_PTRACE: "run as root" would send the user in circles. */
		gs_fail(err, GS_EXIT_PERMISSION,
			"no permission to read the executable of %s even as root: the kernel's "
			"ptrace access rules refuse it (another user namespace, Yama or an LSM)",
			t->comm);
}

/* The file behind one mapping, as a Go binary; by its name when map_files is closed to us. */
static struct gobin *open_object(pid_t pid, const struct proc_object *o, char *path, size_t len,
				 struct gs_err *err)
{
	struct gobin *b;

	snprintf(path, len, "%s", o->open_path);
	if (!gobin__maybe_go(path)) {
		if (access(path, R_OK) == 0)
			return gs_fail(err, GS_EXIT_NOT_GO, "not a Go binary"), NULL;
		/* map_files wants CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE); try by name. */
		snprintf(path, len, "/proc/%d/root%s", pid, o->path);
		if (strlen(o->path) > 10 && !strcmp(o->path + strlen(o->path) - 10, " (deleted)"))
			return gs_fail(err, GS_EXIT_PERMISSION, "cannot open %s", o->path), NULL;
		if (!gobin__maybe_go(path))
			return gs_fail(err, GS_EXIT_NOT_GO, "not a Go binary"), NULL;
	}
	b = gobin__open(path, err);
	if (b) {
		/* A file of the same name replaced since it was mapped is another file. */
		uint64_t dev, ino;

		gobin__file_id(b, &dev, &ino);
		if (ino != o->ino) {
			gobin__free(b);
			return gs_fail(err, GS_EXIT_NOT_GO, "%s was replaced", o->path), NULL;
		}
	}
	return b;
}

/*
 * The Go runtime in a file the process maps besides its executable: a c-shared Go library, or
 * the Go program when the executable is ld.so running it. The first one found is taken (two Go
 * runtimes in one process do not work: each would own the same signals and threads).
 */
static int find_mapped_runtime(struct target *t, struct target_info *info, struct gs_err *err)
{
	struct proc_object *objs;
	struct gs_err e = { 0 };
	size_t n, i;
	int rc;

	rc = proc_objects(t->pid, &objs, &n);
	if (rc)
		return gs_fail(err, rc == -ENOENT ? GS_EXIT_NO_PROCESS : GS_EXIT_PERMISSION,
			       "cannot read /proc/%d/maps: %s", t->pid, strerror(-rc));
	for (i = 0; i < n && !t->bin; i++) {
		if (objs[i].ino == t->image.ino && objs[i].dev == t->image.dev)
			continue;
		t->bin = open_object(t->pid, &objs[i], t->bin_path, sizeof(t->bin_path), &e);
		if (t->bin) {
			snprintf(t->object, sizeof(t->object), "%s", objs[i].path);
			t->bin_dev = objs[i].dev;
			t->bin_ino = objs[i].ino;
		} else if (e.code == GS_EXIT_GO_VERSION) {
			/* A Go runtime too old to carry build info: refused, as an executable would be. */
			info->go = true;
			snprintf(info->version, sizeof(info->version), "<1.13");
			snprintf(info->refused, sizeof(info->refused), "Go release too old");
			snprintf(info->object, sizeof(info->object), "%s", objs[i].path);
			*err = e;
			free(objs);
			return -1;
		}
	}
	free(objs);
	if (!t->bin)
		return gs_fail(err, GS_EXIT_NOT_GO, "%s (%s) is not a Go program: neither it nor "
			       "any file it maps holds a Go runtime", t->comm, t->exe);
	fill_info(info, t);
	log_debug("PID %d: the Go runtime is in %s, which it maps", t->pid, t->object);
	return 0;
}

/* The Go binary of the process: its executable, or a file it maps. */
static int open_binary(struct target *t, struct target_info *info, struct gs_err *err)
{
	snprintf(t->bin_path, sizeof(t->bin_path), "%s", t->exe_path);
	t->bin_dev = t->image.dev;
	t->bin_ino = t->image.ino;
	t->bin = gobin__open(t->exe_path, err);
	if (t->bin) {
		fill_info(info, t);
		return 0;
	}
	if (err->code == GS_EXIT_GO_VERSION) {
		/* A Go binary too old to carry build info. */
		info->go = true;
		snprintf(info->version, sizeof(info->version), "<1.13");
		snprintf(info->refused, sizeof(info->refused), "Go release too old");
	} else if (err->code == GS_EXIT_NOT_GO) {
		/* A packer's decompressor on disk, and the Go program only in memory? */
		if (packed_refuse(t->pid, t->exe_path, t->comm, t->exe, info, err))
			return -1;
		return find_mapped_runtime(t, info, err);
	} else if (err->code == GS_EXIT_PERMISSION) {
		permission_message(t, err);
	}
	return -1;
}

static int row_offsets(const struct target *t, const struct probe_row *r, uint64_t *offs,
		       size_t *n, struct gs_err *err);

/*
 * Where the probes every command attaches (the GC and stop-the-world sets) go: found and decoded
 * here, so that a process target__open accepts is one every command attaches to, and `goscope
 * ps` says so. The opt-in sets are the opt-in commands' concern: they say why they cannot.
 */
static int check_probe_sites(const struct target *t, struct gs_err *err)
{
	const struct probe_row *rows[PROBE_TABLE_MAX_ROWS];
	uint64_t offs[PROBES_MAX_OFFSETS];
	size_t n, i, noffs;

	n = probe_table_rows(t->rt.minor, PSET_GC | PSET_STW, rows, PROBE_TABLE_MAX_ROWS);
	if (n > PROBE_TABLE_MAX_ROWS)
		return gs_fail(err, GS_EXIT_ERROR, "too many probes for go1.%d", t->rt.minor);
	for (i = 0; i < n; i++)
		if (row_offsets(t, rows[i], offs, &noffs, err))
			return -1;
	return 0;
}

/* Where every runtime value the probes and the sampler read lives in this process. */
static int locate_runtime(struct target *t, struct target_info *info, struct gs_err *err)
{
	if (layout_check_supported(t->bin, err)) {
		snprintf(info->refused, sizeof(info->refused), "%s",
			 gobin__version(t->bin)->minor < GS_GO_MIN_MINOR ? "Go release too old" :
			 err->code == GS_EXIT_GO_VERSION ? "stripped, Go release newer than goscope" :
			 "no symbols and no .gopclntab");
		return -1;
	}
	if (proc_load_bias(t->pid, t->bin, t->bin_dev, t->bin_ino, &t->bias, err) ||
	    layout_resolve(t->bin, t->bias, &t->rt, err) || check_probe_sites(t, err))
		return -1;
	layout_gc(&t->rt, &t->cfg.gc);
	layout_g(&t->rt, &t->cfg.g);
	t->cfg.stw_abi = probe_table_stw_abi(t->rt.minor);
	return 0;
}

static struct target *open_target(pid_t pid, struct target_info *info, struct gs_err *err)
{
	struct target *t;

	if (proc_check_alive(pid, err))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	t->pid = pid;
	/* The pidfd first: if the PID is reused after this, the pidfd still names this process. */
	t->pidfd = proc_pidfd(pid);
	if (proc_image(pid, &t->image)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "no process with PID %d", pid);
		goto fail;
	}
	proc_comm(pid, t->comm, sizeof(t->comm));
	snprintf(info->comm, sizeof(info->comm), "%s", t->comm);
	proc_exe_name(pid, t->exe, sizeof(t->exe));
	proc_exe_path(pid, t->exe_path, sizeof(t->exe_path));
	if (access(t->exe_path, F_OK) && errno == ENOENT && proc_check_alive(pid, NULL) == 0) {
		/* Kernel threads have no executable. */
		gs_fail(err, GS_EXIT_NOT_GO, "%s is a kernel thread, not a Go program", t->comm);
		goto fail;
	}
	if (open_binary(t, info, err) || locate_runtime(t, info, err))
		goto fail;
	/* What was read above must describe one program: no exec and no exit in between. */
	if (target__gone(t)) {
		gs_fail(err, GS_EXIT_NO_PROCESS, "process %d %s while goscope was reading it", pid,
			t->execed ? "executed another program" : "exited");
		goto fail;
	}
	return t;
fail:
	target__free(t);
	return NULL;
}

struct target *target__open(pid_t pid, struct target_info *info, struct gs_err *err)
{
	struct target_info ignored;
	struct gs_err local;

	if (!info)
		info = &ignored;
	memset(info, 0, sizeof(*info));
	snprintf(info->version, sizeof(info->version), "?");
	return open_target(pid, info, err ? err : &local);
}

void target__free(struct target *t)
{
	if (!t)
		return;
	gobin__free(t->bin);
	if (t->pidfd >= 0)
		close(t->pidfd);
	free(t);
}

/*
 * While a multithreaded process exec()s, its leader is briefly a zombie and its image is being
 * replaced; the same is seen while a dying process's threads exit. The pidfd settles which one it
 * was (it turns readable only once every thread is gone), so wait for a settled state this long.
 */
#define SETTLE_TRIES	40
#define SETTLE_NS	5000000L

bool target__gone(struct target *t)
{
	struct proc_image now;
	int i;

	for (i = 0; i < SETTLE_TRIES; i++) {
		if (t->pidfd >= 0 ? proc_pidfd_exited(t->pidfd) :
				    proc_check_alive(t->pid, NULL) != 0)
			return true;
		if (t->execed)
			return true;
		if (!proc_image(t->pid, &now) && !proc_check_alive(t->pid, NULL) && now.arg_start) {
			if (proc_image_same(&now, &t->image))
				return false;
			t->execed = true;
			proc_exe_name(t->pid, t->exe, sizeof(t->exe));
			log_note("PID %d executed another program (%s); no longer watching it", t->pid,
				 t->exe);
			return true;
		}
		/* Without a pidfd nothing settles it: a process in that state is going away. */
		if (t->pidfd < 0)
			return true;
		nanosleep(&(struct timespec){ 0, SETTLE_NS }, NULL);
	}
	return true;
}

/* The file offset of fn's first instruction past its stack check (see enum probe_at). */
static int body_offset(const struct target *t, const char *fn, uint64_t *off, struct gs_err *err)
{
	uint64_t skip = 0;
	int rc;

	if (layout_func_offset(t->bin, fn, off, err))
		return -1;
	rc = gobin__after_stack_check(t->bin, fn, &skip);
	if (rc)
		return gs_fail(err, GS_EXIT_ATTACH, "cannot decode the start of %s: %s", fn,
			       strerror(-rc));
	*off += skip;
	return 0;
}

/* The file offsets where one row's program goes. */
static int row_offsets(const struct target *t, const struct probe_row *r, uint64_t *offs,
		       size_t *n, struct gs_err *err)
{
	uint64_t base;
	size_t i;
	int rc;

	*n = 1;
	switch (r->at) {
	case AT_ENTRY:
		return layout_func_offset(t->bin, r->func, &offs[0], err);
	case AT_PAST_STACK_CHECK:
		return body_offset(t, r->func, &offs[0], err);
	case AT_EVERY_RET:
		rc = gobin__rets(t->bin, r->func, offs, PROBES_MAX_OFFSETS, n);
		if (rc || !*n)
			return gs_fail(err, GS_EXIT_ATTACH, "cannot find the return instructions of "
				       "%s: %s", r->func, rc == -ENOSPC ? "too many" :
				       rc == -EILSEQ ? "its code does not decode" :
				       rc ? strerror(-rc) : "none");
		if (layout_func_offset(t->bin, r->func, &base, err))
			return -1;
		for (i = 0; i < *n; i++)
			offs[i] += base;	/* offsets from the entry → file offsets */
		return 0;
	}
	return gs_fail(err, GS_EXIT_ERROR, "bad probe table row for %s", r->func);
}

int target__attach(struct target *t, struct probes *p, unsigned int slot, unsigned int mask,
		   struct gs_err *err)
{
	const struct probe_row *rows[PROBE_TABLE_MAX_ROWS];
	uint64_t offs[PROBES_MAX_OFFSETS];
	size_t n, i, noffs;

	n = probe_table_rows(t->rt.minor, mask, rows, PROBE_TABLE_MAX_ROWS);
	if (n > PROBE_TABLE_MAX_ROWS)
		return gs_fail(err, GS_EXIT_ERROR, "too many probes for go1.%d", t->rt.minor);
	if (!t->sets) {
		if (probes__configure(p, slot, t->pid, &t->cfg, err))
			return -1;
		t->slot = slot;
	}
	for (i = 0; i < n; i++) {
		if (row_offsets(t, rows[i], offs, &noffs, err) ||
		    probes__attach(p, t->slot, t->pid, t->bin_path, rows[i]->prog, offs, noffs,
				   rows[i]->func, err)) {
			while (i-- > 0)
				probes__detach(p, t->slot, rows[i]->prog);
			return -1;
		}
	}
	t->sets |= mask;
	/* Read after attaching: any cycle that ends from here on is caught by the probes. */
	if ((mask & PSET_GC) &&
	    remote_read(t->pid, t->cfg.gc.numgc, &t->numgc_at_attach, sizeof(t->numgc_at_attach)))
		t->numgc_at_attach = 0;
	return 0;
}

void target__detach_sets(struct target *t, struct probes *p, unsigned int mask)
{
	const struct probe_row *rows[PROBE_TABLE_MAX_ROWS];
	size_t n, i;

	n = probe_table_rows(t->rt.minor, mask & t->sets, rows, PROBE_TABLE_MAX_ROWS);
	for (i = 0; i < n && i < PROBE_TABLE_MAX_ROWS; i++)
		probes__detach(p, t->slot, rows[i]->prog);
	t->sets &= ~mask;
}

int target__attach_allocs(struct target *t, struct probes *p, enum alloc_mode *mode,
			  int64_t *rate, char *why, size_t whylen, struct gs_err *err)
{
	uint8_t disabled = 0;
	int64_t r = 0;

	*mode = ALLOC_OFF;
	*rate = 0;
	why[0] = 0;
	if (!t->rt.have[RT_MEM_PROFILE_RATE])
		snprintf(why, whylen, "runtime.MemProfileRate cannot be located in this stripped "
			 "binary, so its sampling cannot be weighted");
	else if (remote_read(t->pid, t->rt.v[RT_MEM_PROFILE_RATE], &r, sizeof(r)))
		snprintf(why, whylen, "cannot read runtime.MemProfileRate");
	else if (r <= 0 && t->rt.have[RT_DISABLE_MEM_PROFILING] &&
		 !remote_read(t->pid, t->rt.v[RT_DISABLE_MEM_PROFILING], &disabled, 1) && disabled)
		snprintf(why, whylen, "memory profiling is compiled out of this binary (it never "
			 "uses runtime/pprof)");
	else if (r <= 0)
		snprintf(why, whylen, "the program turned memory profiling off (MemProfileRate=0)");
	if (!why[0]) {
		if (target__attach(t, p, t->slot, PSET_ALLOC_SAMPLED, err))
			return -1;
		*mode = ALLOC_SAMPLED;
		*rate = r;
		return 0;
	}
	if (target__attach(t, p, t->slot, PSET_ALLOC_LARGE, err))
		return -1;
	*mode = ALLOC_LARGE;
	return 0;
}

void target__detach(struct target *t, struct probes *p)
{
	if (!t->sets)
		return;
	probes__detach_all(p, t->slot);
	t->sets = 0;
}

const char *target__describe(const struct target *t, char *buf, size_t len)
{
	const char *base = strrchr(t->object, '/');

	snprintf(buf, len, "PID %d (%s, %s%s%s%s)", t->pid, t->comm, gobin__version(t->bin)->str,
		 t->object[0] ? ", runtime in " : "", t->object[0] ? (base ? base + 1 : t->object) : "",
		 gobin__is_pie(t->bin) && !t->object[0] ? ", pie" : "");
	return buf;
}
