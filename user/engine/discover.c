// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "engine/discover.h"
#include "target/proc.h"
#include "target/target.h"
#include "util/log.h"

/* A process ruled out (not Go, or not ours to read): not looked at again while it lives. */
struct ignored {
	pid_t pid;
	uint64_t start_ticks;
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
	return x->start_ticks < y->start_ticks ? -1 : x->start_ticks > y->start_ticks;
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
		if (d->nign && bsearch(&key, d->ign, d->nign, sizeof(key), cmp_ignored)) {
			if (!push(&keep, &nkeep, &capkeep, key))
				break;
			continue;
		}
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
