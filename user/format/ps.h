/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* goscope ps's table: one row per Go process. */
#ifndef GS_FORMAT_PS_H
#define GS_FORMAT_PS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct ps_row {
	pid_t pid;
	char comm[32];
	char version[48];
	bool pie, stripped, cgo;
	char attach[600];		/* "yes", or "no: " and why */
};

/* The rows in PID order (sorted here). */
void ps_print(FILE *f, struct ps_row *rows, size_t n);

#endif
