/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The engine under every command: a set of Go processes watched together. It finds them (the
 * PIDs named, or every Go process on the machine, continuously), attaches the probes the command
 * asks for when goscope may load BPF programs, samples each one every interval, routes probe
 * events into the process's model, notices when a process exits, accounts for every lost event
 * and missed cycle, and detaches everything when it is freed. Hard rules 1 (nothing left
 * attached) and 4 (nothing lost silently) live here. Commands give it options and a sink of
 * callbacks; they never attach, poll or detach themselves, and the engine knows nothing of how
 * anything is displayed.
 */
#ifndef GS_ENGINE_H
#define GS_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "engine/model.h"
#include "engine/optin.h"
#include "target/sampler.h"
#include "util/log.h"

struct identity;
struct selection;
struct sites;

enum watched_state {
	WS_UNSUPPORTED,		/* a Go process goscope cannot watch; why says so */
	WS_WAITING,		/* watched; no GC cycle has ended since attaching */
	WS_LIVE,		/* at least one GC cycle seen since attaching */
	WS_EXITED,		/* the process is gone; its last readings stay */
};

/* What an output sees of one process: read-only. */
struct watched {
	pid_t pid;
	char comm[32];
	char version[48];		/* "go1.24.4"; "?" when unknown */
	int minor;			/* Go 1.minor; 0 when unknown */
	const char *exe;		/* what /proc/PID/exe pointed to */
	const char *object;		/* the file holding the Go runtime when not exe, else "" */
	const struct identity *ident;	/* its container; NULL for a process in none */
	pid_t nspid;			/* its PID in its own PID namespace (0: unknown) */
	enum watched_state state;
	char why[512];			/* unsupported: the reason */
	bool execed;			/* exited by exec(2)ing another program */
	struct model *model;		/* NULL when unsupported */
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
};

/*
 * What an output hears. Every callback is optional and gets the sink's ctx, the process, and
 * the output's own state for that process: state_size bytes, zeroed when the process is found
 * and freed after remove.
 */
struct engine_sink {
	void *ctx;
	size_t state_size;
	void (*attach)(void *ctx, const struct watched *w, void *st);	/* found (unsupported too) */
	void (*gc_start)(void *ctx, const struct watched *w, void *st, const struct gs_gc_start *e);
	void (*gc)(void *ctx, const struct watched *w, void *st, const struct gc_cycle *c);
	void (*stw)(void *ctx, const struct watched *w, void *st, const struct stw_pause *p);
	void (*sample)(void *ctx, const struct watched *w, void *st);	/* w->cur is fresh */
	/* A sample could not be read (rc: -errno); the process is still there. */
	void (*sample_failed)(void *ctx, const struct watched *w, void *st, int rc);
	void (*lost)(void *ctx, const struct watched *w, void *st, uint64_t missed_cycles,
		     uint64_t lost_events);
	void (*exit)(void *ctx, const struct watched *w, void *st);
	void (*detach)(void *ctx, const struct watched *w, void *st);	/* stops watching a live one */
	void (*remove)(void *ctx, const struct watched *w, void *st);	/* about to be freed */
	/* An opt-in probe set was detached by the circuit breaker (optin[mode].note says why). */
	void (*tripped)(void *ctx, const struct watched *w, void *st, enum optin_mode mode);
};

enum engine_probes {
	ENGINE_PROBES_WANTED,		/* attach where permitted; else sample only, saying why */
	ENGINE_PROBES_REQUIRED,		/* without them the engine fails (gctrace) */
	ENGINE_PROBES_OFF,		/* never load BPF (schedtrace, stat with no window) */
};

struct engine_opts {
	const pid_t *pids;		/* the processes to watch … */
	int npids;
	bool all;			/* … or every Go process, including ones that start later */
	/*
	 * --container, --pod: with all, only processes of the selected containers (also those that
	 * start later); else the Go programs in them, besides pids. Each selector must name one
	 * container or pod on the machine (else GS_EXIT_NO_PROCESS).
	 */
	struct selection *sel;
	bool one;			/* exactly one process must be named (stat, schedtrace …) */
	enum engine_probes probes;
	bool stw;			/* also the stop-the-world probes (PSET_STW) */
	bool sample;			/* sample every process each interval (all but gctrace) */
	uint64_t interval_ns;		/* sampling period (default 1 s) */
	bool no_gwalk;			/* samples without the walk of allgs (schedtrace) */
	bool metrics;			/* samples carry all of runtime/metrics and MemStats */
	bool wait_names;		/* the output names goroutine wait reasons */
	uint64_t gwalk_budget_ns;	/* per-sample goroutine walk budget (0: sampler default) */
	uint64_t linger_ns;		/* keep exited processes this long (0: until the end) */
	struct optin_opts optin;	/* opt-in probe sets and their budget */
};

#define ENGINE_DEFAULT_INTERVAL_NS	1000000000ull

struct engine;

/*
 * Open every named PID (failing on the first that cannot be watched, with its exit code) or, with
 * all, scan the machine once; attach and take the first sample of each. Without privileges the
 * engine samples only and engine__probe_note() says why, unless probes are required.
 */
struct engine *engine__new(const struct engine_opts *o, const struct engine_sink *sink,
			   struct gs_err *err);

/*
 * What is already in the ring buffer still reaches the sink; then everything is detached (the
 * detach callback for each live process) and freed. NULL is fine.
 */
void engine__free(struct engine *e);

/*
 * Handle probe events for up to timeout_ms; notice exits; when the interval is due, sample every
 * process, look for new ones (with all) and drop exited ones past their linger time. Returns 0,
 * or -1 with err on a fatal error.
 */
int engine__step(struct engine *e, int timeout_ms, struct gs_err *err);

/* How engine__run goes on and stops. */
struct engine_run {
	int step_ms;			/* events are waited for at most this long at a time */
	const volatile sig_atomic_t *stop;	/* set by a signal handler: stop */
	bool until_exited;		/* stop once every process has exited */
	bool (*after_step)(void *ctx);	/* called after every step; true: stop (may be NULL) */
	void *ctx;
};

#define ENGINE_ALL_EXITED	1

/*
 * Step until *stop is set, after_step says so, or (until_exited) every process has exited.
 * Returns 0, ENGINE_ALL_EXITED, or -1 with err on a fatal error.
 */
int engine__run(struct engine *e, const struct engine_run *r, struct gs_err *err);

/*
 * The whole life of a command that only follows its processes and writes what it hears:
 * engine__new, keep only the capabilities in keep_caps (target/caps.h) once attached, then run
 * until every process has exited, *stop is set, or *out_failed (its output is gone);
 * engine__free. Returns 0, or -1 with err.
 */
int engine__follow(const struct engine_opts *o, const struct engine_sink *sink,
		   uint64_t keep_caps, const volatile sig_atomic_t *stop, const bool *out_failed,
		   struct gs_err *err);

size_t engine__count(const struct engine *e);
const struct watched *engine__get(const struct engine *e, size_t i);
/* The sink's state for w. */
void *engine__state(const struct engine *e, const struct watched *w);

/* Processes not yet exited (unsupported ones excluded). */
int engine__live(const struct engine *e);

/* Why the probes are not loaded ("not root: …"), or NULL when they are. */
const char *engine__probe_note(const struct engine *e);

/*
 * The target's own name for a wait or stop-the-world reason ("chan receive", "GOMAXPROCS"), else
 * "reason N" (or "unknown" for 0), in buf or a constant. Never NULL.
 */
const char *watched__wait_reason(const struct watched *w, unsigned int reason, char *buf,
				 size_t len);
const char *watched__stw_reason(const struct watched *w, unsigned int reason, char *buf,
				size_t len);

/* "PID 1234 (name, go1.24.4, pie)", and " in container web" or " in pod ns/pod, container web". */
const char *watched__describe(const struct watched *w, char *buf, size_t len);

/* The newest GC cycle count known: from the probes, else from the last sample. */
uint64_t watched__gc_cycles(const struct watched *w);

const char *watched_state_name(enum watched_state st);

struct gdump;
struct stacks_opts;

/*
 * Every goroutine's stack of w, read now from outside (target/stacks.h), its wait reasons named
 * as w's runtime names them. NULL with err when w cannot be read.
 */
struct gdump *engine__stacks(struct engine *e, const struct watched *w,
			     const struct stacks_opts *o, struct gs_err *err);

#endif
