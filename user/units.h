/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Human-readable quantities for messages and tables (not for the dashboard's fixed columns). */
#ifndef GS_UNITS_H
#define GS_UNITS_H

#include <stddef.h>

/* bytes in SI units: "812 B", "3.4 kB", "12.35 MB", "1.20 GB". Returns buf. */
const char *fmt_bytes(double bytes, char *buf, size_t len);

#endif
