// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include "format/ps.h"

static int cmp_pid(const void *a, const void *b)
{
	return ((const struct ps_row *)a)->pid - ((const struct ps_row *)b)->pid;
}

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

void ps_print(FILE *f, struct ps_row *rows, size_t n)
{
	size_t i;

	if (n)
		qsort(rows, n, sizeof(*rows), cmp_pid);
	fprintf(f, "%7s  %-16s %-12s %-4s %-8s %-4s %s\n", "PID", "COMM", "GO", "PIE", "STRIPPED",
		"CGO", "ATTACH");
	for (i = 0; i < n; i++)
		fprintf(f, "%7d  %-16s %-12s %-4s %-8s %-4s %s\n", rows[i].pid, rows[i].comm,
			rows[i].version, yes_no(rows[i].pie), yes_no(rows[i].stripped),
			yes_no(rows[i].cgo), rows[i].attach);
}
