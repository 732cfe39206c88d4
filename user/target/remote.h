/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reading a target's memory from outside: reads queued and issued together, as few
 * process_vm_readv(2) calls as possible, each filling many buffers. Nothing is written and the
 * target is never stopped. A read that fails leaves its buffers zeroed, never stale.
 */
#ifndef GS_REMOTE_H
#define GS_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#define REMOTE_BATCH_MAX	1024	/* iovecs per process_vm_readv (UIO_MAXIOV) */

struct remote_batch {
	pid_t pid;
	int n;
	size_t want;
	bool failed;			/* a read since remote_init failed */
	struct iovec local[REMOTE_BATCH_MAX];
	struct iovec remote[REMOTE_BATCH_MAX];
};

void remote_init(struct remote_batch *b, pid_t pid);
/* Queue len bytes at addr into dst (a full batch is issued first). */
void remote_add(struct remote_batch *b, uint64_t addr, void *dst, size_t len);
/* Issue what is queued. Returns 0, or -errno for any failure since init (-EFAULT: cut short). */
int remote_flush(struct remote_batch *b);

/* One read of len bytes at addr in pid's memory. Returns 0, or -errno (buf then zeroed). */
int remote_read(pid_t pid, uint64_t addr, void *buf, size_t len);

#endif
