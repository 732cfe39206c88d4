/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* goscope ps's table and JSON lines: one per Go process. */
#ifndef GS_FORMAT_PS_H
#define GS_FORMAT_PS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct identity;

struct ps_row {
	pid_t pid;
	pid_t nspid;			/* in its own PID namespace; 0 unknown */
	char comm[32];
	char version[48];
	bool pie, stripped, cgo;
	char object[4096];		/* the mapped file holding the runtime; "" for the executable */
	bool attachable;
	char attach[600];		/* "yes", or "no: " and why */
	const struct identity *ident;	/* its container, NULL for none */
};

/* Sort the rows in PID order. */
void ps_sort(struct ps_row *rows, size_t n);

/* The table: PID COMM GO PIE STRIPPED CGO RUNTIME CONTAINER POD ATTACH. */
void ps_print(FILE *f, const struct ps_row *rows, size_t n);

/* One JSON object per line. Returns 0, or -1 when out of memory. */
int ps_print_json(FILE *f, const struct ps_row *rows, size_t n);

#endif
