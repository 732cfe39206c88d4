/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Capabilities: which ones goscope has, and dropping the ones it no longer needs. The long-running
 * commands call caps_keep_only() once everything is attached (and, for serve, the port bound), so
 * a bug in event handling or HTTP parsing cannot use what loading BPF programs needed.
 */
#ifndef GS_CAPS_H
#define GS_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPS_BIT(cap)	(1ull << (cap))

/* Kept by commands that only sample and read the targets they already attached to. */
#define CAPS_SAMPLING	CAPS_BIT(19)	/* CAP_SYS_PTRACE */
/*
 * Kept by commands that also attach to Go processes found later (--all, top without PIDs):
 * + CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH (other users' executables) and CAP_SYS_ADMIN:
 * without it, opening a uprobe perf event fails with EACCES once the rest are dropped (seen on
 * Linux 6.18; the tests check that --all still attaches after the drop).
 */
#define CAPS_ATTACHING	(CAPS_SAMPLING | CAPS_BIT(39) | CAPS_BIT(38) | CAPS_BIT(2) | CAPS_BIT(21))

struct gs_err;

/*
 * May this process load BPF programs and attach uprobes to other processes? Fails with
 * GS_EXIT_PERMISSION naming the missing capabilities and what to do; the same rule decides
 * attaching and what `goscope ps` says.
 */
int caps_check_probes(struct gs_err *err);

/* Is cap in this thread's effective set? */
bool caps_have(int cap);

/* "CAP_BPF, CAP_PERFMON": the names of the capabilities in mask, in buf. */
const char *caps_names(uint64_t mask, char *buf, size_t len);

/*
 * Drop every capability not in keep from this thread's effective, permitted and inheritable
 * sets and the ambient set; unless keep has CAP_BPF (still attaching), also from the bounding set,
 * with no_new_privs set. A capability not held is not kept. Threads started afterwards inherit
 * the result, so call it before starting any. Says at -v which it keeps. Returns 0 or a
 * negative errno (and warns: goscope then runs on).
 */
int caps_keep_only(uint64_t keep);

#endif
