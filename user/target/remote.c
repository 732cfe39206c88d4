// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "target/remote.h"

void remote_init(struct remote_batch *b, pid_t pid)
{
	b->pid = pid;
	b->n = 0;
	b->want = 0;
	b->failed = false;
}

/* The one process_vm_readv of goscope: 0, or -errno (-EFAULT: cut short), buffers then zeroed. */
static int read_iov(pid_t pid, const struct iovec *local, const struct iovec *remote, int n,
		    size_t want)
{
	ssize_t got = process_vm_readv(pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
	int err = got < 0 ? -errno : (size_t)got != want ? -EFAULT : 0;
	int i;

	/* A partial read stops at the first bad iovec: never leave stale bytes behind. */
	for (i = 0; err && i < n; i++)
		memset(local[i].iov_base, 0, local[i].iov_len);
	return err;
}

int remote_flush(struct remote_batch *b)
{
	int err = 0;

	if (b->n)
		err = read_iov(b->pid, b->local, b->remote, b->n, b->want);
	b->failed |= err != 0;
	b->n = 0;
	b->want = 0;
	return err ? err : b->failed ? -EFAULT : 0;
}

int remote_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	return read_iov(pid, &local, &remote, 1, len);
}

void remote_add(struct remote_batch *b, uint64_t addr, void *dst, size_t len)
{
	if (b->n == REMOTE_BATCH_MAX)
		remote_flush(b);
	b->local[b->n] = (struct iovec){ dst, len };
	b->remote[b->n] = (struct iovec){ (void *)(uintptr_t)addr, len };
	b->n++;
	b->want += len;
}
