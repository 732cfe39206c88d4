// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "util/units.h"

static const char *bytes_iec(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int i = 0;

	while (fabs(v) >= 1024 && i < 6) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, units[i]);
	return buf;
}

static const char *bytes_si(char *buf, size_t len, double v)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2f GB", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2f MB", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1f kB", v / 1e3);
	else
		snprintf(buf, len, "%.0f B", v);
	return buf;
}

static const char *bytes_compact(char *buf, size_t len, double v)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	while (v >= 1024 && units[u + 1]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0fB", v);
	else
		snprintf(buf, len, v < 99.95 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

const char *units_bytes(char *buf, size_t len, double v, enum units_style st)
{
	switch (st) {
	case UNITS_SI:
		return bytes_si(buf, len, v);
	case UNITS_COMPACT:
	case UNITS_COMPACT_ASCII:
		return bytes_compact(buf, len, v);
	case UNITS_IEC:
		break;
	}
	return bytes_iec(buf, len, v);
}

/* At most 6 columns: "999ns", "84.1µs", "1.20ms", "12.3ms", "999ms", "1.20s". */
static const char *ns_compact(char *buf, size_t len, double ns, const char *us)
{
	if (ns < 999.5)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 999.5e3)
		snprintf(buf, len, ns < 99.95e3 ? "%.1f%s" : "%.0f%s", ns / 1e3, us);
	else if (ns < 999.5e6)
		snprintf(buf, len, ns < 9.995e6 ? "%.2fms" : ns < 99.95e6 ? "%.1fms" : "%.0fms",
			 ns / 1e6);
	else
		snprintf(buf, len, ns < 9.995e9 ? "%.2fs" : "%.0fs", ns / 1e9);
	return buf;
}

const char *units_ns(char *buf, size_t len, double ns, enum units_style st)
{
	if (st == UNITS_COMPACT)
		return ns_compact(buf, len, ns, "µs");
	if (st == UNITS_COMPACT_ASCII)
		return ns_compact(buf, len, ns, "us");
	if (ns >= 1e9)
		snprintf(buf, len, "%.2f s", ns / 1e9);
	else if (ns >= 1e6)
		snprintf(buf, len, "%.2f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%.0f ns", ns);
	return buf;
}

const char *units_count(char *buf, size_t len, double v)
{
	if (v < 99999.5)
		snprintf(buf, len, "%.0f", v);
	else if (v < 99.95e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else
		snprintf(buf, len, "%.0fM", v / 1e6);
	return buf;
}

const char *units_age(char *buf, size_t len, uint64_t ns)
{
	double s = (double)ns / 1e9;

	if (s < 60)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%.1fm", s / 60);
	else
		snprintf(buf, len, "%.1fh", s / 3600);
	return buf;
}

const char *units_shortest_double(char *buf, size_t len, double v)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, len, "%.17g", v);
	return buf;
}
