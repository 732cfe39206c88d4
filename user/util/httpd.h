/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The HTTP side of a Prometheus exporter, on libmicrohttpd's own thread: GET (and HEAD) of
 * /metrics returns the latest published text, / a page linking to it; 404 for other paths, 405
 * for other methods, 400 (and 431) for malformed or oversized requests. Connections have an idle
 * timeout and a request size limit, so a slow or broken client never holds up another scrape.
 * With a web config (util/webcfg.h): TLS, client certificates and basic authentication.
 * The main thread only publishes a new copy of the text: serving never blocks event processing.
 */
#ifndef GS_HTTPD_H
#define GS_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include "util/log.h"

struct httpd;
struct webcfg;

/*
 * Parse ADDR:PORT ("127.0.0.1:9464", "[::1]:9464", "localhost:9464"; numeric addresses,
 * localhost excepted; port 0 picks a free one),
 * bind and listen. A malformed address is GS_EXIT_USAGE; one that cannot be bound (in use, not
 * local) GS_EXIT_ERROR.
 */
struct httpd *httpd__new(const char *listen, struct gs_err *err);
void httpd__free(struct httpd *h);

/* The address actually bound, "127.0.0.1:9464" or "[::1]:9464". */
const char *httpd__address(const struct httpd *h);
bool httpd__loopback(const struct httpd *h);
bool httpd__tls(const struct httpd *h);

/* Start serving on a thread of its own; wc (NULL: plain HTTP, no authentication) must outlive h. */
int httpd__start(struct httpd *h, struct webcfg *wc, struct gs_err *err);

/* Make text the body of the next /metrics responses (copied). Returns 0, or -ENOMEM. */
int httpd__publish(struct httpd *h, const char *text, size_t len);

#endif
