/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* --container and --pod resolved when a command starts. */
#ifndef GS_ENGINE_RESOLVE_H
#define GS_ENGINE_RESOLVE_H

#include <stdbool.h>
#include <sys/types.h>

struct gs_err;
struct selection;

/*
 * Check that each selector names one container (--container) or one pod (--pod) that has a
 * process on this machine; an unknown or ambiguous one fails with GS_EXIT_NO_PROCESS. Unless
 * follow, *pids (malloc'd) gets the Go programs in the selected containers, at least one
 * (GS_EXIT_NOT_GO otherwise). Marks each selector exact or prefix for later matches.
 */
int resolve_selection(struct selection *sel, bool follow, pid_t **pids, int *npids,
		      struct gs_err *err);

#endif
