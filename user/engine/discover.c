// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "engine/discover.h"
#include "target/proc.h"
#include "target/target.h"
#include "util/log.h"

/*
 * A process ruled out (not Go, or not ours to read): not looked at again while it lives and runs
 * the same executable. exec(2) keeps the PID and start time: a shell that execs a Go program is
 * looked at again.
 */
struct ignored {
	pid_t pid;
	uint64_t start_ticks;
	uint64_t exe_dev, exe_ino;	/* 0: no executable (a kernel thread) */
};

struct discovery {
	struct ignored *ign;		/* sorted */
	size_t nign;
};

struct discovery *discovery__new(void)
{
	return calloc(1, sizeof(struct discovery));
}

void discovery__free(struct discovery *d)
{
	if (!d)
		return;
	free(d->ign);
	free(d);
}

static int cmp_ignored(const void *a, const void *b)
{
	const struct ignored *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start_ticks != y->start_ticks)
		return x->start_ticks < y->start_ticks ? -1 : 1;
	if (x->exe_ino != y->exe_ino)
		return x->exe_ino < y->exe_ino ? -1 : 1;
	return x->exe_dev < y->exe_dev ? -1 : x->exe_dev > y->exe_dev;
}

/*
 * runc sets a container up in processes of its own ("runc", then runc:[0:PARENT], runc:[1:CHILD],
 * runc:[2:INIT]): a Go program in the container's cgroup, running runc's own copy of itself
 * (/proc/PID/exe reads "/" or "/memfd:…"), that becomes the workload by exec(2). Not a process
 * to watch, and not one to rule out either. runc run from a file (/usr/sbin/runc) is not one.
 */
static bool container_setup(pid_t pid)
{
	char comm[32], exe[64];

	proc_comm(pid, comm, sizeof(comm));
	if (strncmp(comm, "runc", 4) || (comm[4] && comm[4] != ':'))
		return false;
	/* "?": gone, or not ours; looked at again next time. */
	proc_exe_name(pid, exe, sizeof(exe));
	return !strcmp(exe, "?") || !strcmp(exe, "/") || !strncmp(exe, "/memfd:", 7);
}

static void exe_id(struct ignored *key)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", key->pid);
	key->exe_dev = key->exe_ino = 0;
	if (stat(path, &st) == 0) {
		key->exe_dev = st.st_dev;
		key->exe_ino = st.st_ino;
	}
}

static bool push(struct ignored **v, size_t *n, size_t *cap, struct ignored key)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct ignored *k = realloc(*v, c * sizeof(*k));

		if (!k)
			return false;
		*v = k;
		*cap = c;
	}
	(*v)[(*n)++] = key;
	return true;
}

int discovery__scan(struct discovery *d, discover_fn *fn, void *ctx)
{
	struct ignored *keep = NULL;
	size_t nkeep = 0, capkeep = 0;
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct ignored key;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    proc_parse_pid(de->d_name, &key.pid, NULL) || key.pid == getpid() ||
		    proc_start_time(key.pid, &key.start_ticks))
			continue;
		exe_id(&key);
		if (d->nign && bsearch(&key, d->ign, d->nign, sizeof(key), cmp_ignored)) {
			if (!push(&keep, &nkeep, &capkeep, key))
				break;
			continue;
		}
		if (container_setup(key.pid))
			continue;
		if (fn(ctx, key.pid, key.start_ticks) && !push(&keep, &nkeep, &capkeep, key))
			break;
	}
	closedir(dir);
	if (nkeep)
		qsort(keep, nkeep, sizeof(*keep), cmp_ignored);
	free(d->ign);
	d->ign = keep;
	d->nign = nkeep;
	return 0;
}

bool discover_list_refused(const struct target_info *info, const struct gs_err *err)
{
	return info->go && err->code != GS_EXIT_NOT_GO && err->code != GS_EXIT_NO_PROCESS &&
	       err->code != GS_EXIT_PERMISSION;
}
