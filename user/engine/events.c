// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "engine/events.h"
#include "target/probes.h"
#include "target/target.h"

struct events {
	struct probes *probes;
	struct ring_buffer *rb;
	struct event_sink sink;
	struct target *slots[GS_MAX_TARGETS];
	bool flowing;		/* the last poll read events */
};

static void report_lost(struct events *ev, struct target *t, uint64_t missed, uint64_t dropped)
{
	if (ev->sink.lost)
		ev->sink.lost(ev->sink.ctx, t, missed, dropped);
}

static void account_gap(struct events *ev, struct target *t, uint32_t numgc)
{
	if (t->seen_gc_end && numgc > t->last_numgc + 1) {
		uint32_t missed = numgc - t->last_numgc - 1;

		t->missed_cycles += missed;
		log_warn("PID %d: missed %u GC cycle%s (gc %u to gc %u)", t->pid, missed,
			 missed == 1 ? "" : "s", t->last_numgc + 1, numgc - 1);
		report_lost(ev, t, missed, 0);
	}
	if (!t->seen_gc_end || numgc > t->last_numgc)
		t->last_numgc = numgc;
	t->seen_gc_end = true;
}

/* gcTriggerKind of runtime.GC() and debug.FreeOSMemory(): gctrace's "(forced)". */
#define GC_TRIGGER_CYCLE 2

static void handle_gc_start(struct events *ev, struct target *t, const struct gs_gc_start *e)
{
	t->start_seen = !e->read_errors;
	t->start_numgc = e->numgc;
	t->start_forced = e->trigger_kind == GC_TRIGGER_CYCLE;
	if (ev->sink.gc_start)
		ev->sink.gc_start(ev->sink.ctx, t, e);
}

static void handle_gc_end(struct events *ev, struct target *t, const struct gs_gc_end *end)
{
	struct gs_gc_end ec = *end, *e = &ec;

	/*
	 * "(forced)" comes from work.userForced, which Go 1.19 sets before taking worldsema: the next
	 * cycle's gcStart can overwrite it while this cycle ends. The trigger kind that startCycle
	 * received for this very cycle is exact in every version, so it wins when we saw the start.
	 */
	/*
	 * A cycle number going back (or fields that no longer read) can mean the process replaced
	 * its program by exec(2) of the same file, whose uprobes still fire: never print that as
	 * the old program's cycle.
	 */
	if (((t->seen_gc_end && e->numgc <= t->last_numgc) || e->read_errors) && target__gone(t))
		return;
	if (t->start_seen && t->start_numgc + 1 == e->numgc)
		e->user_forced = t->start_forced;
	account_gap(ev, t, e->numgc);
	if (e->read_errors) {
		/* A line built from unread fields would be wrong; say so instead of printing it. */
		log_warn("PID %d: gc %u: could not read the runtime's GC state (fields 0x%x); "
			 "this cycle's line is missing", t->pid, e->numgc, e->read_errors);
		t->missed_cycles++;
		report_lost(ev, t, 1, 0);
		return;
	}
	if (ev->sink.gc_end)
		ev->sink.gc_end(ev->sink.ctx, t, e);
}

/* Events carry the PID as the initial PID namespace sees it: comparable only from there. */
static bool in_init_pidns(void)
{
	static int known = -1;
	struct stat st;

	if (known < 0)
		known = !stat("/proc/self/ns/pid", &st) && st.st_ino == 0xEFFFFFFCu;
	return known;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct events *ev = ctx;
	const struct gs_event_hdr *h = data;
	struct target *t;

	if (len < sizeof(*h) || h->target >= GS_MAX_TARGETS)
		return 0;
	t = ev->slots[h->target];
	/*
	 * A uprobe is set on the file, and the kernel may run the program for another process of
	 * the same executable: its event is not this target's (its memory was read, not ours).
	 */
	if (!t || (in_init_pidns() && h->pid != (__u32)t->pid)) {
		if (t)
			log_debug("PID %d: ignored an event of PID %u", t->pid, h->pid);
		return 0;
	}
	switch (h->kind) {
	case GS_EV_GC_START:
		if (len >= sizeof(struct gs_gc_start))
			handle_gc_start(ev, t, data);
		break;
	case GS_EV_GC_END:
		if (len >= sizeof(struct gs_gc_end))
			handle_gc_end(ev, t, data);
		break;
	case GS_EV_STW:
		if (len >= sizeof(struct gs_stw) && ev->sink.stw)
			ev->sink.stw(ev->sink.ctx, t, data);
		break;
	case GS_EV_G_CREATE:
		if (len >= sizeof(struct gs_g_create) && ev->sink.g_create)
			ev->sink.g_create(ev->sink.ctx, t, data);
		break;
	case GS_EV_G_EXIT:
		if (len >= sizeof(struct gs_g_exit) && ev->sink.g_exit)
			ev->sink.g_exit(ev->sink.ctx, t, data);
		break;
	case GS_EV_ALLOC:
		if (len >= sizeof(struct gs_alloc) && ev->sink.alloc)
			ev->sink.alloc(ev->sink.ctx, t, data);
		break;
	}
	return 0;
}

struct events *events__new(struct probes *p, const struct event_sink *sink, struct gs_err *err)
{
	struct events *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		gs_fail(err, GS_EXIT_ERROR, "out of memory");
		return NULL;
	}
	ev->probes = p;
	ev->sink = *sink;
	ev->rb = probes__ringbuf(p, on_event, ev);
	if (!ev->rb) {
		gs_fail(err, GS_EXIT_ERROR, "cannot open the BPF ring buffer: %s", strerror(errno));
		free(ev);
		return NULL;
	}
	return ev;
}

void events__free(struct events *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	free(ev);
}

void events__set_target(struct events *ev, unsigned int slot, struct target *t)
{
	if (slot < GS_MAX_TARGETS)
		ev->slots[slot] = t;
}

int events__poll(struct events *ev, int timeout_ms)
{
	struct timespec now;
	int n, m;

	/*
	 * While events flow, a GC end can be submitted without waking us (GS_WAKE_GAP_MS, in
	 * goscope.h): look again that soon, whether woken or not.
	 */
	if (ev->flowing && timeout_ms > GS_WAKE_GAP_MS)
		timeout_ms = GS_WAKE_GAP_MS;
	n = ring_buffer__poll(ev->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	/* Opt-in events are submitted without a wakeup: whatever the wait left is read now. */
	m = ring_buffer__consume(ev->rb);
	if (m < 0)
		return m;
	n = (n > 0 ? n : 0) + m;
	ev->flowing = n > 0;
	if (ev->flowing) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		probes__reader_seen(ev->probes,
				    (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
	}
	return n;
}

void events__drain(struct events *ev)
{
	ring_buffer__consume(ev->rb);
}

void events__check_drops(struct events *ev, struct target *t)
{
	uint64_t drops = probes__drops(ev->probes, t->slot);

	if (drops > t->drops_reported) {
		log_warn("PID %d: lost %llu event%s: the BPF ring buffer was full", t->pid,
			 (unsigned long long)(drops - t->drops_reported),
			 drops - t->drops_reported == 1 ? "" : "s");
		report_lost(ev, t, 0, drops - t->drops_reported);
		t->drops_reported = drops;
	}
}
