/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The engine's own state, shared by engine.c and optin.c only. */
#ifndef GS_ENGINE_INT_H
#define GS_ENGINE_INT_H

#include "engine/breaker.h"
#include "engine/engine.h"

struct discovery;
struct events;
struct probes;
struct target;

/* One process. The public part first, so a struct watched * is also a struct entry *. */
struct entry {
	struct watched pub;
	struct target *t;		/* NULL when unsupported */
	struct sampler *sm;		/* NULL when not sampled */
	struct rt_sample scratch;	/* the next sample, swapped with pub.cur on success */
	uint64_t start_ticks;		/* with the PID, names the process across PID reuse */
	int slot;			/* BPF slot, -1 when none */
	bool listed;			/* the outputs know it (attach was called) */
	void *state;			/* the sink's, sink.state_size bytes */
	/* Opt-in probes: the slot's hit counters when attached, and the breaker per set. */
	uint64_t hits_base[OPTIN_MODES];
	struct breaker brk[OPTIN_MODES];
	uint64_t lost_seen;		/* lost_events when the goroutine table was last rebuilt */
	uint64_t recount_ns;		/* last recount from allgs after the breaker tripped */
};

struct engine {
	struct engine_opts o;
	struct engine_sink sink;
	struct probes *probes;
	struct events *events;
	char probe_note[512];
	struct gs_err probe_err;	/* why the probes are not loaded, when they are required */
	struct entry **v;
	size_t n, cap;
	struct entry *slots[GS_MAX_TARGETS];
	struct discovery *disc;
	struct idcache *ids;		/* every process's container */
	pid_t *sel_pids;		/* the named PIDs and those --container/--pod selected */
	uint64_t next_sample;		/* CLOCK_MONOTONIC deadlines */
	uint64_t next_exit_check;
	uint64_t next_breaker;
	uint64_t hit_cost_ns;		/* measured cost of one opt-in probe hit */
};

/* Call one of the sink's callbacks, if set, with the process and its sink state. */
#define SINK(e, x, cb, ...)								\
	do {										\
		if ((e)->sink.cb)							\
			(e)->sink.cb((e)->sink.ctx, &(x)->pub, (x)->state, ##__VA_ARGS__);	\
	} while (0)

static inline bool live(const struct entry *x)
{
	return x->pub.state == WS_WAITING || x->pub.state == WS_LIVE;
}

/* procs.c: one process's life in the engine. */
struct entry *entry_new(const struct engine *e, pid_t pid, uint64_t start_ticks);
void entry_free(struct engine *e, struct entry *x);
/* Listed: the engine keeps it, the outputs will hear of it. */
bool entry_list(struct engine *e, struct entry *x);
/* A Go process goscope can watch (x->t open): model, sampler, probes. */
int entry_setup(struct engine *e, struct entry *x, struct gs_err *err);
/* Set up and listed: the outputs hear of it, then its first sample and the opt-in probes. */
void entry_start(struct engine *e, struct entry *x);
/* Detach its probes and give its BPF slot back. */
void entry_release_slot(struct engine *e, struct entry *x);
/* Is this process (PID and start time) watched already? */
bool entry_watching(const struct engine *e, pid_t pid, uint64_t start_ticks);
/* A process a scan found (discover_fn): returns true to rule it out. */
bool entry_found(void *ctx, pid_t pid, uint64_t start_ticks);
void entry_sample(struct engine *e, struct entry *x);
/* Drops counted and exits noticed, for every live process. */
void entries_check_exits(struct engine *e);
/* Drop exited processes past their linger time, and unsupported ones that are gone. */
void entries_reap(struct engine *e, uint64_t now);

/* optin.c: the opt-in probes asked for, on a process whose GC probes are attached. */
void optin_attach(struct engine *e, struct entry *x);
/* optin.c: the circuit breaker, every BREAKER_STEP_NS. */
void optin_breaker(struct engine *e, uint64_t now);
/* optin.c: after a successful sample: rebuild the goroutine table where it went wrong. */
void optin_after_sample(struct engine *e, struct entry *x);

#endif
