// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "engine/events.h"
#include "target/probes.h"
#include "target/target.h"
#include "util/clock.h"

/* What the events of one slot go to. */
struct slot {
	struct target *t;
	void *owner;
	struct gc_account acct;
};

struct events {
	struct probes *probes;
	struct ring_buffer *rb;
	struct event_sink sink;
	struct slot slots[GS_MAX_TARGETS];
	bool flowing;		/* the last poll read events */
};

static void report_lost(struct events *ev, struct slot *s, uint64_t missed, uint64_t dropped)
{
	if (ev->sink.lost)
		ev->sink.lost(ev->sink.ctx, s->owner, missed, dropped);
}

static void account_gap(struct events *ev, struct slot *s, uint32_t numgc)
{
	uint32_t last = s->acct.last_numgc, missed = gcacct_end(&s->acct, numgc);

	if (!missed)
		return;
	log_warn("PID %d: missed %u GC cycle%s (gc %u to gc %u)", s->t->pid, missed,
		 missed == 1 ? "" : "s", last + 1, numgc - 1);
	report_lost(ev, s, missed, 0);
}

/* gcTriggerKind of runtime.GC() and debug.FreeOSMemory(): gctrace's "(forced)". */
#define GC_TRIGGER_CYCLE 2

static void handle_gc_start(struct events *ev, struct slot *s, const struct gs_gc_start *e)
{
	gcacct_start(&s->acct, e->numgc, e->trigger_kind == GC_TRIGGER_CYCLE, !e->read_errors);
	if (ev->sink.gc_start)
		ev->sink.gc_start(ev->sink.ctx, s->owner, e);
}

static void handle_gc_end(struct events *ev, struct slot *s, const struct gs_gc_end *end)
{
	struct gs_gc_end ec = *end, *e = &ec;
	struct target *t = s->t;

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
	if ((gcacct_stale(&s->acct, e->numgc) || e->read_errors) && target__gone(t))
		return;
	e->user_forced = gcacct_forced(&s->acct, e->numgc, e->user_forced);
	account_gap(ev, s, e->numgc);
	if (e->read_errors) {
		/* A line built from unread fields would be wrong; say so instead of printing it. */
		log_warn("PID %d: gc %u: could not read the runtime's GC state (fields 0x%x); "
			 "this cycle's line is missing", t->pid, e->numgc, e->read_errors);
		s->acct.missed_cycles++;
		report_lost(ev, s, 1, 0);
		return;
	}
	if (ev->sink.gc_end)
		ev->sink.gc_end(ev->sink.ctx, s->owner, e);
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
	struct slot *s;
	struct target *t;
	void *o;

	if (len < sizeof(*h) || h->target >= GS_MAX_TARGETS)
		return 0;
	s = &ev->slots[h->target];
	t = s->t;
	o = s->owner;
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
			handle_gc_start(ev, s, data);
		break;
	case GS_EV_GC_END:
		if (len >= sizeof(struct gs_gc_end))
			handle_gc_end(ev, s, data);
		break;
	case GS_EV_STW:
		if (len >= sizeof(struct gs_stw) && ev->sink.stw)
			ev->sink.stw(ev->sink.ctx, o, data);
		break;
	case GS_EV_G_CREATE:
		if (len >= sizeof(struct gs_g_create) && ev->sink.g_create)
			ev->sink.g_create(ev->sink.ctx, o, data);
		break;
	case GS_EV_G_EXIT:
		if (len >= sizeof(struct gs_g_exit) && ev->sink.g_exit)
			ev->sink.g_exit(ev->sink.ctx, o, data);
		break;
	case GS_EV_ALLOC:
		if (len >= sizeof(struct gs_alloc) && ev->sink.alloc)
			ev->sink.alloc(ev->sink.ctx, o, data);
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

void events__set_target(struct events *ev, unsigned int slot, struct target *t, void *owner)
{
	struct slot *s;

	if (!ev || slot >= GS_MAX_TARGETS)
		return;
	s = &ev->slots[slot];
	s->t = t;
	s->owner = t ? owner : NULL;
	/* Drops are counted per slot since load: start from what earlier users of it left. */
	gcacct_init(&s->acct, probes__drops(ev->probes, slot));
}

int events__poll(struct events *ev, int timeout_ms)
{
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
	if (ev->flowing)
		probes__reader_seen(ev->probes, clock_mono_ns());
	return n;
}

void events__drain(struct events *ev)
{
	ring_buffer__consume(ev->rb);
}

void events__check_drops(struct events *ev, unsigned int slot)
{
	struct slot *s;
	uint64_t d;

	if (!ev || slot >= GS_MAX_TARGETS || !ev->slots[slot].t)
		return;
	s = &ev->slots[slot];
	d = gcacct_drops(&s->acct, probes__drops(ev->probes, slot));
	if (!d)
		return;
	log_warn("PID %d: lost %llu event%s: the BPF ring buffer was full", s->t->pid,
		 (unsigned long long)d, d == 1 ? "" : "s");
	report_lost(ev, s, 0, d);
}
