/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* goscope metrics: the catalog (goruntime/metrics.c) and the derived values, as a table. */
#ifndef GS_FORMAT_CATALOG_H
#define GS_FORMAT_CATALOG_H

#include <stdio.h>

void catalog_print(FILE *f);

#endif
