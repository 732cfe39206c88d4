/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * OTLP/HTTP push on a thread of its own (libcurl): the main loop hands over encoded requests
 * and never waits on the receiver. Requests wait in a bounded queue and are sent in order, one
 * at a time, over a kept-alive connection; transient failures (no connection, a timeout, HTTP
 * 429, 502, 503, 504) are retried with exponential backoff and jitter, or after the receiver's
 * Retry-After, as the OTLP specification asks. Every data point is accounted for: pushed, or
 * dropped for a reason (the queue was full, its retries ran out, the receiver rejected it, or
 * goscope stopped before it could be sent).
 */
#ifndef GS_OTLP_PUSH_H
#define GS_OTLP_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"
#include "util/log.h"

/* How the data points that were not delivered were lost. */
enum otlp_drop {
	OTLP_DROP_QUEUE_FULL,		/* the oldest queued request made room for a new one */
	OTLP_DROP_RETRIES,		/* not delivered within its retry budget */
	OTLP_DROP_REJECTED,		/* a 4xx or non-retryable 5xx, or a partial success */
	OTLP_DROP_SHUTDOWN,		/* still queued when the final flush ran out of time */
	OTLP_DROPS
};

/* "queue_full", "retries_exhausted", "rejected", "shutdown". */
static inline const char *otlp_drop_reason(enum otlp_drop r)
{
	static const char *const names[OTLP_DROPS] = {
		"queue_full", "retries_exhausted", "rejected", "shutdown",
	};

	return r < OTLP_DROPS ? names[r] : "?";
}

struct otlp_push_opts {
	const char *url;		/* http:// or https://; no path: /v1/metrics */
	const char *const *headers;	/* "Name=Value" each */
	int nheaders;
	const char *ca_file;		/* PEM CA certificates for https (NULL: the system's) */
	const char *cert_file, *key_file;	/* PEM client certificate and key (NULL: none) */
	uint64_t timeout_ns;		/* per request (0: OTLP_DEFAULT_TIMEOUT_NS) */
};

#define OTLP_DEFAULT_TIMEOUT_NS	10000000000ull	/* the OTLP exporters' default */
#define OTLP_QUEUE_MAX		64		/* requests waiting to be sent */
#define OTLP_QUEUE_MAX_BYTES	(32u << 20)
#define OTLP_RETRY_BUDGET_NS	60000000000ull	/* dropped a minute after it was made */
#define OTLP_FLUSH_NS		2000000000ull	/* the final flush at exit */

/* What happened so far. */
struct otlp_push_stats {
	uint64_t pushed_points, pushed_requests;
	uint64_t dropped_points[OTLP_DROPS];
	uint64_t failed_attempts;	/* attempts that will be retried */
	size_t queued;			/* requests waiting, the one being sent included */
	bool failing;			/* the newest attempt failed … */
	bool retrying;			/* … and will be retried (else it was refused) */
	char last_error[256];		/* why it failed */
};

struct otlp_push;

/*
 * Check the options: a malformed URL, a header that is not Name=Value, or a TLS option without
 * https, is GS_EXIT_USAGE; a certificate file that cannot be read GS_EXIT_ERROR. Nothing is sent
 * yet.
 */
struct otlp_push *otlp_push__new(const struct otlp_push_opts *o, struct gs_err *err);

/* Start the sending thread (after capabilities are dropped: it inherits what is left). */
int otlp_push__start(struct otlp_push *p, struct gs_err *err);

/* The URL requests go to (with /v1/metrics added when the one given had no path). */
const char *otlp_push__url(const struct otlp_push *p);

/*
 * Queue one encoded request of npoints data points; its memory is taken over and *req left
 * empty. Never blocks on the network. When the queue is full, the oldest request waiting is
 * dropped (the newest data is worth more).
 */
void otlp_push__enqueue(struct otlp_push *p, struct buf *req, uint64_t npoints);

void otlp_push__stats(struct otlp_push *p, struct otlp_push_stats *st);

/*
 * On stderr, from the calling thread and at most every 10 s: that pushing fails and why, how many
 * points were dropped since the last report, and that it works again.
 */
void otlp_push__report(struct otlp_push *p);

/*
 * Try to send what is queued for at most flush_ns more (0: nothing more), count what is left as
 * dropped, report it, stop the thread and free everything. NULL is fine.
 */
void otlp_push__free(struct otlp_push *p, uint64_t flush_ns);

#endif
