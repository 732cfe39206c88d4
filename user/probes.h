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

/* File offsets of the probed functions in the target's executable; 0: do not attach. */
struct probe_offsets {
	uint64_t gc_start;	/* runtime.(*gcControllerState).startCycle */
	uint64_t gc_end;	/* runtime.freeStackSpans */
	uint64_t stw_start;	/* runtime.startTheWorldWithSema */
	uint64_t stw_stop;	/* runtime.stopTheWorldWithSema (Go 1.21 only) */
};

/*
 * Attach probes to one process: uprobes at the given file offsets in exe, restricted to pid,
 * with slot as the attach cookie and cfg as its configuration.
 */
int probes__attach(struct probes *p, unsigned int slot, pid_t pid, const char *exe,
		   const struct probe_offsets *off, const struct gs_target_cfg *cfg,
		   struct gs_err *err);
void probes__detach(struct probes *p, unsigned int slot);

/* Ring buffer reader calling fn for every event; ctx is passed through. */
struct ring_buffer *probes__ringbuf(struct probes *p, int (*fn)(void *ctx, void *data, size_t len),
				    void *ctx);

/* Events lost because the ring buffer was full, for one slot, since load. */
uint64_t probes__drops(const struct probes *p, unsigned int slot);

#endif
