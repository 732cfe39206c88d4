/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The clocks, in nanoseconds. CLOCK_MONOTONIC is the clock of everything goscope measures: the
 * BPF programs' bpf_ktime_get_ns(), the Go runtime's nanotime(), samples and deadlines.
 */
#ifndef GS_CLOCK_H
#define GS_CLOCK_H

#include <stdint.h>

uint64_t clock_mono_ns(void);
uint64_t clock_real_ns(void);	/* nanoseconds since 1970 */
uint64_t clock_boot_ns(void);	/* CLOCK_BOOTTIME: what /proc/PID/stat's start times count from */
uint64_t clock_thread_cpu_ns(void);	/* CPU time of the calling thread */

/* A CLOCK_MONOTONIC time as nanoseconds since 1970, by the two clocks' offset now. */
uint64_t clock_mono_to_real(uint64_t mono_ns);

/* Sleep ns, returning early on a signal. */
void clock_sleep_ns(uint64_t ns);

#endif
