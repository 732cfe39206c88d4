/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* goscope metrics: the catalog (goruntime/metrics.c) and the derived values, as a table. */
#ifndef GS_FORMAT_CATALOG_H
#define GS_FORMAT_CATALOG_H

#include <stdio.h>

void catalog_print(FILE *f);

/* Every runtime/metrics metric: kind, the releases that have it, its Prometheus name. */
void catalog_print_runtime_metrics(FILE *f);

#endif
