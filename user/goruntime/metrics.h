/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The catalog of every gauge goscope reports: its name, unit, kind, the runtime's own name for the
 * same number, and where it lives in a sample. `goscope metrics`, `stat` (table and JSON) and the
 * other outputs all read this one table.
 */
#ifndef GS_METRICS_H
#define GS_METRICS_H

#include <stddef.h>
#include "target/sampler.h"

enum metric_type { MT_U64, MT_U32, MT_I64, MT_I32, MT_F64 };

enum metric_unit { MU_BYTES, MU_OBJECTS, MU_NS, MU_COUNT, MU_PERCENT, MU_FRACTION, MU_UNIX_NS };

struct metric_def {
	const char *name;		/* as in MemStats or runtime/metrics, where one exists */
	enum metric_unit unit;
	const char *kind;		/* "gauge" or "counter" */
	const char *group;		/* heading in the table */
	const char *runtime_name;	/* the runtime's own name for the same value */
	const char *help;
	enum metric_type type;
	size_t off;			/* offsetof(struct rt_sample, …) */
	int min_minor;			/* exists from Go 1.min_minor */
};

extern const struct metric_def metric_defs[];
extern const size_t metric_count;

const char *metric_unit_name(enum metric_unit u);

/* The value as a double, and as an exact integer when the type is one. */
double metric_value(const struct metric_def *m, const struct rt_sample *s);
/* The same exact text into buf ("%llu", "%lld", "%.17g"); returns its length. */
int metric_format_exact(char *buf, size_t len, const struct metric_def *m,
			const struct rt_sample *s);
/* Human form with unit: "23.4 MiB", "1.2 ms", "42". */
void metric_format_human(char *buf, size_t len, const struct metric_def *m,
			 const struct rt_sample *s);

#endif
