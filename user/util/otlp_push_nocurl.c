// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What `make static` links instead of otlp_push.c: libcurl cannot be linked statically from
 * Debian's packages (its GSSAPI/Kerberos dependency, and p11-kit under GnuTLS, have no static
 * libraries), so the static binary has no OTLP push and says so when asked for it. The
 * dynamically linked build has it.
 */
#include "util/otlp_push.h"

struct otlp_push *otlp_push__new(const struct otlp_push_opts *o, struct gs_err *err)
{
	gs_fail(err, GS_EXIT_ERROR, "--otlp: this static build of goscope has no OTLP push "
		"(libcurl cannot be linked statically); use the dynamically linked goscope");
	return NULL;
}

/* Never called: there is no otlp_push without otlp_push__new. */
int otlp_push__start(struct otlp_push *p, struct gs_err *err)
{
	return gs_fail(err, GS_EXIT_ERROR, "no OTLP push in this build");
}

const char *otlp_push__url(const struct otlp_push *p)
{
	return "";
}

void otlp_push__enqueue(struct otlp_push *p, struct buf *req, uint64_t npoints)
{
}

void otlp_push__stats(struct otlp_push *p, struct otlp_push_stats *st)
{
	*st = (struct otlp_push_stats){ 0 };
}

void otlp_push__report(struct otlp_push *p)
{
}

void otlp_push__free(struct otlp_push *p, uint64_t flush_ns)
{
}
