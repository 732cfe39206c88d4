/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ring-buffer consumer: decodes events, routes them to the owner of their slot, and accounts
 * for what was lost (ring-buffer drops, gaps in GC cycle numbers) so that nothing is lost
 * silently. The accounting of each slot (engine/gcacct.h) is this module's alone.
 */
#ifndef GS_EVENTS_H
#define GS_EVENTS_H

#include "goscope.h"
#include "engine/gcacct.h"
#include "util/log.h"

struct probes;
struct target;

/* Callbacks get the owner given to events__set_target for the event's slot. */
struct event_sink {
	void *ctx;
	void (*gc_start)(void *ctx, void *owner, const struct gs_gc_start *e);
	/* A completed cycle whose values were all read ("(forced)" already settled). */
	void (*gc_end)(void *ctx, void *owner, const struct gs_gc_end *e);
	/* A stop-the-world pause outside GC (GC pauses come with gc_end). */
	void (*stw)(void *ctx, void *owner, const struct gs_stw *e);
	/* Data lost (also logged): GC cycles never reported, events the full ring buffer dropped. */
	void (*lost)(void *ctx, void *owner, uint64_t missed_cycles, uint64_t dropped_events);
	/* The opt-in probes. */
	void (*g_create)(void *ctx, void *owner, const struct gs_g_create *e);
	void (*g_exit)(void *ctx, void *owner, const struct gs_g_exit *e);
	void (*alloc)(void *ctx, void *owner, const struct gs_alloc *e);
};

struct events;

struct events *events__new(struct probes *p, const struct event_sink *sink, struct gs_err *err);
void events__free(struct events *ev);

/*
 * Route the events of slot to owner; t is the process attached there (its PID filters events,
 * and an exec is checked on it). The slot's accounting starts afresh. t NULL forgets the slot.
 */
void events__set_target(struct events *ev, unsigned int slot, struct target *t, void *owner);

/* Wait up to timeout_ms for events and handle them. Returns the number handled, or -errno. */
int events__poll(struct events *ev, int timeout_ms);

/* Handle everything already in the ring buffer without waiting. */
void events__drain(struct events *ev);

/* Report the slot's ring-buffer drops since the last call (on stderr and to the sink). */
void events__check_drops(struct events *ev, unsigned int slot);

#endif
