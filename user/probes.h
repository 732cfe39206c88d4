/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The loaded BPF object and the uprobes attached to each target. */
#ifndef GS_PROBES_H
#define GS_PROBES_H

#include <stdint.h>
#include <sys/types.h>
#include "goscope.h"
#include "log.h"

struct probes;
struct ring_buffer;

/*
 * Check privileges and kernel features, then load the BPF object. Fails with
 * GS_EXIT_PERMISSION or GS_EXIT_KERNEL and a message saying what to do.
 */
struct probes *probes__open(struct gs_err *err);
void probes__free(struct probes *p);

/*
 * Attach the GC probes to one process: uprobes at the file offsets of the two probed functions
 * in exe, restricted to pid, with slot as the attach cookie and lay as its addresses.
 */
int probes__attach_gc(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
		      uint64_t start_off, uint64_t end_off, const struct gs_gc_layout *lay,
		      struct gs_err *err);
void probes__detach(struct probes *p, unsigned int slot);

/* Ring buffer reader calling fn for every event; ctx is passed through. */
struct ring_buffer *probes__ringbuf(struct probes *p, int (*fn)(void *ctx, void *data, size_t len),
				    void *ctx);

/* Events lost because the ring buffer was full, for one slot, since load. */
uint64_t probes__drops(const struct probes *p, unsigned int slot);

#endif
