/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A set of Go processes watched together: the engine under top, record and serve. It finds them
 * (the PIDs named, or every Go process on the machine, continuously), attaches the GC probes when
 * goscope may load BPF programs, samples each one every interval, routes probe events into the
 * process's model and notices when it exits. Outputs read struct watched and get callbacks; the
 * engine knows nothing of how anything is displayed.
 */
#ifndef GS_WATCH_H
#define GS_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/log.h"
#include "engine/model.h"
#include "target/sampler.h"

struct target;
struct sites;

/* The opt-in probe sets, each switched off on its own by the circuit breaker. */
enum optin_mode { OPTIN_GOROUTINES, OPTIN_ALLOCS, OPTIN_MODES };

struct optin_state {
	bool wanted;			/* asked for on the command line */
	bool on;			/* attached now */
	bool tripped;			/* detached by the circuit breaker */
	uint64_t hits;			/* probe hits since attach */
	double cpu;			/* estimated share of one CPU they cost the target, last window */
	char note[512];			/* why not attached, or why detached; "" when on */
};

enum watched_state {
	WS_UNSUPPORTED,		/* a Go process goscope cannot watch; why says so */
	WS_WAITING,		/* watched; no GC cycle has ended since attaching */
	WS_LIVE,		/* at least one GC cycle seen since attaching */
	WS_EXITED,		/* the process is gone; its last readings stay */
};

struct watched {
	pid_t pid;
	char comm[32];
	char version[48];		/* "go1.24.4"; "?" when unknown */
	const char *exe;		/* what /proc/PID/exe pointed to */
	enum watched_state state;
	char why[512];			/* unsupported: the reason */
	struct target *t;		/* NULL when unsupported */
	struct sampler *sm;
	struct model *model;
	struct rt_sample cur;		/* the newest successful sample; cur.ok once there is one */
	uint64_t nsamples;
	bool probed;			/* the GC probes are attached */
	char probe_note[512];		/* why they are not, when not */
	uint32_t numgc_at_attach;	/* cycles completed before goscope attached */
	uint64_t seen_ns;		/* CLOCK_MONOTONIC when found */
	uint64_t exited_ns;		/* when the exit was noticed */
	uint64_t missed_cycles, lost_events;
	/* Opt-in probes (--goroutines, --allocs): what they found and what they cost. */
	struct sites *sites;		/* NULL unless one was asked for */
	struct optin_state optin[OPTIN_MODES];
	int alloc_mode;			/* enum alloc_mode (target.h) */
	int64_t mem_profile_rate;	/* the target's MemProfileRate when sampling started */
	uint64_t optin_attach_ns;	/* CLOCK_MONOTONIC when the opt-in probes were attached */
	uint64_t reseeds;		/* goroutine tables rebuilt from allgs after lost events */
	void *user;			/* for the output's own per-process state */
};

struct watch_sink {
	void *ctx;
	void (*attach)(void *ctx, struct watched *w);	/* found (unsupported ones too) */
	void (*gc)(void *ctx, struct watched *w, const struct gc_cycle *c);
	void (*stw)(void *ctx, struct watched *w, const struct stw_pause *p);
	void (*sample)(void *ctx, struct watched *w);	/* w->cur is fresh */
	void (*lost)(void *ctx, struct watched *w, uint64_t missed_cycles, uint64_t lost_events);
	void (*exit)(void *ctx, struct watched *w);
	void (*detach)(void *ctx, struct watched *w);	/* goscope stops watching a live one */
	void (*remove)(void *ctx, struct watched *w);	/* about to be freed */
	/* An opt-in probe set was detached by the circuit breaker (optin[mode].note says why). */
	void (*tripped)(void *ctx, struct watched *w, enum optin_mode mode);
};

struct watch_opts {
	const pid_t *pids;		/* the processes to watch … */
	int npids;
	bool all;			/* … or every Go process, including ones that start later */
	uint64_t interval_ns;		/* sampling period (default 1 s) */
	bool stw;			/* also attach the stop-the-world probes */
	bool no_probes;			/* sample only, never load BPF */
	uint64_t linger_ns;		/* keep exited processes this long (0: until the end) */
	uint64_t gwalk_budget_ns;	/* per-sample goroutine walk budget (0: sampler default) */
	bool goroutines;		/* opt-in: goroutine creation and exit probes */
	bool allocs;			/* opt-in: allocation sampling probes */
	double budget;			/* what the opt-in probes may cost, share of one CPU (0: 1 %) */
};

#define WATCH_DEFAULT_BUDGET	0.01


struct watch;

/*
 * Open every named PID (failing on the first that cannot be watched, with its exit code) or, with
 * all, scan the machine once. Probes are attached where permitted; without privileges the watch
 * samples only and watch__probe_note() says why.
 */
struct watch *watch__new(const struct watch_opts *o, const struct watch_sink *sink,
			 struct gs_err *err);

/* Replace the callbacks (e.g. once the output exists: watch__new may fail before it should). */
void watch__set_sink(struct watch *w, const struct watch_sink *sink);

/* Detach everything (the detach callback for each live process), then free. NULL is fine. */
void watch__free(struct watch *w);

/*
 * Handle probe events for up to timeout_ms; when the interval is due, sample every process, look
 * for new ones (with all), notice exits and drop exited ones past their linger time. Returns 0, or
 * -1 with err on a fatal error.
 */
int watch__step(struct watch *w, int timeout_ms, struct gs_err *err);

size_t watch__count(const struct watch *w);
struct watched *watch__get(const struct watch *w, size_t i);

/* Processes not yet exited (unsupported ones excluded). */
int watch__live(const struct watch *w);

/* What one opt-in probe hit costs on this machine (measured once; 0 before or without probes). */
uint64_t watch__hit_cost_ns(const struct watch *w);

/* Why the GC probes are not attached ("not root: …"), or NULL when they are. */
const char *watch__probe_note(const struct watch *w);

/* The sampler's name for a wait / stop-the-world reason of this process, or NULL. */
const char *watched__wait_reason(const struct watched *w, unsigned int reason);

const char *watched_state_name(enum watched_state st);

/* CLOCK_MONOTONIC in ns, the clock of samples and probe events. */
uint64_t watch_now_ns(void);

#endif
