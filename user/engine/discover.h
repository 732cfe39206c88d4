/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Finding Go processes: a scan of /proc that remembers what it has ruled out, and the one rule
 * for what a refused process is. `goscope ps`, `top` without PIDs and `--all` use both.
 */
#ifndef GS_DISCOVER_H
#define GS_DISCOVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct gs_err;
struct target_info;


/* Called for each process found; returns true to rule it out for as long as it lives. */
typedef bool discover_fn(void *ctx, pid_t pid, uint64_t start_ticks);

struct discovery;

struct discovery *discovery__new(void);
void discovery__free(struct discovery *d);

/*
 * Walk /proc (goscope itself excluded) and call fn for every process not ruled out before;
 * processes ruled out that are gone are forgotten. Returns 0, or -errno when /proc is unreadable.
 */
int discovery__scan(struct discovery *d, discover_fn *fn, void *ctx);

/*
 * The one rule for a process target__open refused (info and err as it left them): a Go program
 * goscope cannot watch, to be listed with the reason (true), or nothing to show at all: not a
 * Go program, gone, or not ours to read (false).
 */
bool discover_list_refused(const struct target_info *info, const struct gs_err *err);

#endif
