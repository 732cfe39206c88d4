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

int remote_flush(struct remote_batch *b)
{
	ssize_t got;

	if (!b->n)
		return b->failed ? -EFAULT : 0;
	got = process_vm_readv(b->pid, b->local, (unsigned long)b->n, b->remote,
			       (unsigned long)b->n, 0);
	if (got < 0 || (size_t)got != b->want) {
		int i;

		/* A partial read stops at the first bad iovec: never leave stale bytes behind. */
		for (i = 0; i < b->n; i++)
			memset(b->local[i].iov_base, 0, b->local[i].iov_len);
		b->failed = true;
	}
	b->n = 0;
	b->want = 0;
	if (got < 0)
		return -errno;
	return b->failed ? -EFAULT : 0;
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
