// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "engine/discover.h"
#include "target/proc.h"
#include "target/target.h"
#include "util/log.h"

/*
 * A process ruled out (not Go, or not ours to read): not looked at again while it lives and runs
 * the same executable, except when young. exec(2) keeps the PID and start time: a shell that
 * execs a Go program is looked at again. A Go runtime can also come later, in a library the
 * process loads (a Python or Java program importing a Go extension as it starts): a process
 * ruled out is looked at again when LOOK_AGAIN says, which is a few times in its first minute.
 */
struct ignored {
	pid_t pid;
	uint64_t start_ticks;
	uint64_t exe_dev, exe_ino;	/* 0: no executable (a kernel thread) */
	uint64_t again_ms;		/* its age when to look again; 0: never */
};

/* Ages (ms) at which a process ruled out is looked at again. */
static const uint64_t LOOK_AGAIN[] = { 1000, 3000, 10000, 30000, 60000 };

static uint64_t age_ms(uint64_t start_ticks)
{
	static long hz;
	struct timespec now;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0 || clock_gettime(CLOCK_BOOTTIME, &now))
		return UINT64_MAX;
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 -
	       start_ticks * 1000 / (uint64_t)hz;
}

static uint64_t next_look(uint64_t age)
{
	size_t i;

	for (i = 0; i < sizeof(LOOK_AGAIN) / sizeof(LOOK_AGAIN[0]); i++)
		if (age < LOOK_AGAIN[i])
			return LOOK_AGAIN[i];
	return 0;
}

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
		struct ignored key, *ign;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    proc_parse_pid(de->d_name, &key.pid, NULL) || key.pid == getpid() ||
		    proc_start_time(key.pid, &key.start_ticks))
			continue;
		exe_id(&key);
		if (d->nign && (ign = bsearch(&key, d->ign, d->nign, sizeof(key), cmp_ignored)) &&
		    (!ign->again_ms || age_ms(key.start_ticks) < ign->again_ms)) {
			if (!push(&keep, &nkeep, &capkeep, *ign))
				break;
			continue;
		}
		if (container_setup(key.pid))
			continue;
		key.again_ms = next_look(age_ms(key.start_ticks));
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
