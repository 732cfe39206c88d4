/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * OTLP metrics: one ExportMetricsServiceRequest (opentelemetry-proto, collector/metrics/v1) for a
 * set of watched Go processes, written by hand from the published field numbers. Each process is
 * one Resource (process.*, host.name, service.*, container.* and k8s.* attributes) holding the
 * metrics of the OpenTelemetry semantic conventions for the Go runtime (go.memory.used,
 * go.goroutine.count …) with their units and instrument kinds: UpDownCounters as non-monotonic
 * cumulative Sums, Counters as monotonic cumulative Sums, every value an integer. The response
 * readers say what a receiver answered (partial success, or the error's message).
 */
#ifndef GS_FORMAT_OTLP_H
#define GS_FORMAT_OTLP_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

struct watched;

/* The semantic conventions release whose names and attributes the requests follow. */
#define OTLP_SCHEMA_URL	"https://opentelemetry.io/schemas/1.37.0"

/* What every resource of a request shares. */
struct otlp_env {
	const char *host_name;		/* host.name, and the first part of service.instance.id */
	int64_t real_minus_mono_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC: a sample's wall time */
};

/*
 * The request for n processes, each with its newest sample (ws[i]->cur, which must be ok) and
 * the wall time it started at in nanoseconds since 1970 (start_ns[i]: the start of its
 * cumulative sums; 0 when unknown). b is emptied first. Returns the number of data points, or
 * -ENOMEM (b.oom).
 */
long otlp_encode(struct buf *b, const struct otlp_env *env, const struct watched *const *ws,
		 const uint64_t *start_ns, size_t n);

/*
 * A 200 response's body, an ExportMetricsServiceResponse: how many data points the receiver
 * rejected (partial_success.rejected_data_points; 0 when it accepted all) and its message (""
 * when none). Returns 0, or -EBADMSG when the body is not such a message.
 */
int otlp_parse_response(const void *body, size_t len, int64_t *rejected, char *msg,
			size_t msglen);

/* An error response's body, a google.rpc.Status: its message. Returns 0, or -EBADMSG. */
int otlp_parse_status(const void *body, size_t len, char *msg, size_t msglen);

#endif
