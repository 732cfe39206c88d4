/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ring-buffer consumer: decodes events, routes them to their target, and accounts for what
 * was lost (ring-buffer drops, gaps in GC cycle numbers) so that nothing is lost silently.
 */
#ifndef GS_EVENTS_H
#define GS_EVENTS_H

#include "goscope.h"
#include "util/log.h"

struct probes;
struct target;

struct event_sink {
	void *ctx;
	void (*gc_start)(void *ctx, struct target *t, const struct gs_gc_start *e);
	/* A completed cycle whose values were all read. */
	void (*gc_end)(void *ctx, struct target *t, const struct gs_gc_end *e);
	/* A stop-the-world pause outside GC (GC pauses come with gc_end). */
	void (*stw)(void *ctx, struct target *t, const struct gs_stw *e);
	/* Data lost (also logged): GC cycles never reported, events the full ring buffer dropped. */
	void (*lost)(void *ctx, struct target *t, uint64_t missed_cycles, uint64_t dropped_events);
	/* The opt-in probes. */
	void (*g_create)(void *ctx, struct target *t, const struct gs_g_create *e);
	void (*g_exit)(void *ctx, struct target *t, const struct gs_g_exit *e);
	void (*alloc)(void *ctx, struct target *t, const struct gs_alloc *e);
};

struct events;

struct events *events__new(struct probes *p, const struct event_sink *sink, struct gs_err *err);
void events__free(struct events *ev);

/* Route events of t->slot to t; pass NULL to forget the slot. */
void events__set_target(struct events *ev, unsigned int slot, struct target *t);

/* Wait up to timeout_ms for events and handle them. Returns the number handled, or -errno. */
int events__poll(struct events *ev, int timeout_ms);

/* Handle everything already in the ring buffer without waiting. */
void events__drain(struct events *ev);

/* Report ring-buffer drops of t since the last call (on stderr). */
void events__check_drops(struct events *ev, struct target *t);

#endif
