/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Numbers with their units, for people: the one family of formatters every table, status line
 * and note uses. Each returns buf.
 */
#ifndef GS_UNITS_H
#define GS_UNITS_H

#include <stddef.h>
#include <stdint.h>

enum units_style {
	UNITS_IEC,		/* "812 B", "23.4 MiB": stat's table, notes */
	UNITS_SI,		/* "812 B", "3.4 kB", "12.35 MB": profile's tables, as pprof prints */
	UNITS_COMPACT,		/* "812B", "23.4M", "512M" (binary): the dashboard's narrow columns */
	UNITS_COMPACT_ASCII,	/* durations only: as COMPACT, "us" for "µs" */
};

/* Bytes. */
const char *units_bytes(char *buf, size_t len, double v, enum units_style st);
/* A duration in ns: "1.23 ms", "12.5 us" (IEC, SI); "1.20ms", "84.1µs" (COMPACT: ≤ 6 wide). */
const char *units_ns(char *buf, size_t len, double ns, enum units_style st);
/* A count for a narrow column: "99999", "1.2M", "512M". */
const char *units_count(char *buf, size_t len, double v);
/* An age: "4.2s", "3.1m", "2.0h". */
const char *units_age(char *buf, size_t len, uint64_t ns);

/* The shortest text that reads back as the same double, as Go's strconv 'g' -1 prints it. */
const char *units_shortest_double(char *buf, size_t len, double v);

#endif
