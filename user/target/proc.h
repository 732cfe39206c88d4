/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Finding and validating target processes through /proc. */
#ifndef GS_PROC_H
#define GS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "util/log.h"

struct gobin;

/* Parse a PID argument; fails with GS_EXIT_USAGE for anything but a positive decimal. */
int proc_parse_pid(const char *s, pid_t *pid, struct gs_err *err);

/* Fails with GS_EXIT_NO_PROCESS when pid does not exist (or is a zombie). */
int proc_check_alive(pid_t pid, struct gs_err *err);

/*
 * When the process started, in clock ticks since boot (/proc/PID/stat field 22): with the PID, it
 * names one process even after the PID is reused. Returns 0, or -ENOENT.
 */
int proc_start_time(pid_t pid, uint64_t *ticks);

/* The same moment as nanoseconds since 1970 (to the clock tick); 0 when the process is gone. */
uint64_t proc_start_unix_ns(pid_t pid);

/*
 * The machine's host name: goscope's own, or, when goscope runs in a UTS namespace of its own (a
 * pod without hostNetwork), the first line of /proc/1/root/etc/hostname (or of /etc/hostname,
 * when PID 1's root cannot be read).
 */
void proc_host_name(char *buf, size_t len);

/* The parent's PID (/proc/PID/stat field 4); 0 when the process is gone. */
pid_t proc_parent(pid_t pid);

/*
 * What a process is running, beyond its PID and start time, which exec(2) keeps: the executable
 * (device, inode) and where the kernel put its heap and its argument and environment strings
 * (/proc/PID/stat fields 47, 48 and 51), which every exec chooses anew (randomized). After an
 * exec, even of the same file, the old addresses no longer describe the process.
 */
struct proc_image {
	uint64_t dev, ino;
	uint64_t start_brk, arg_start, env_end;
};

/* Returns 0, or -ENOENT when the process is gone. */
int proc_image(pid_t pid, struct proc_image *img);
bool proc_image_same(const struct proc_image *a, const struct proc_image *b);

/* The path to open the target's executable: /proc/PID/exe, valid across mount namespaces. */
void proc_exe_path(pid_t pid, char *buf, size_t len);

/* What /proc/PID/exe points to, for display ("?" when unreadable). */
void proc_exe_name(pid_t pid, char *buf, size_t len);

/* /proc/PID/comm without the newline ("?" when unreadable). */
void proc_comm(pid_t pid, char *buf, size_t len);

/* One line of /proc/PID/maps. */
struct proc_maps_line {
	uint64_t start, end, off, dev, ino;
	char perms[8];			/* "r-xp" */
	const char *name;		/* into the line: a path, "[heap]" …, or "" (anonymous); the
					   line's '\n' ends it */
};

/* Splits a line of /proc/PID/maps (or /proc/self/maps); false if it is not one. */
bool proc_maps_line_parse(const char *line, struct proc_maps_line *m);

/*
 * Load bias of one mapped file of the target (the executable, or a shared library holding a Go
 * runtime): runtime address minus link-time address, 0 for a non-PIE executable. Computed from
 * /proc/PID/maps: the mapping of the file (dev, ino) that b was parsed from.
 */
int proc_load_bias(pid_t pid, const struct gobin *b, uint64_t dev, uint64_t ino, uint64_t *bias,
		   struct gs_err *err);

/* One file a process has mapped, as /proc/PID/maps names it. */
struct proc_object {
	uint64_t dev, ino;
	char path[4096];		/* as the process sees it; may end " (deleted)" */
	char open_path[64];		/* /proc/PID/map_files/START-END: opens (and probes) it */
};

/*
 * Every file a process has mapped executable (its code), once each, in address order: shared
 * libraries, the executable, the dynamic loader. *objs is malloc'd. Returns 0, or -errno
 * (-ENOENT: gone).
 */
int proc_objects(pid_t pid, struct proc_object **objs, size_t *n);

/* A pidfd that polls readable when the process exits, or -1. */
int proc_pidfd(pid_t pid);

/* Non-blocking: has the process behind pidfd exited? */
bool proc_pidfd_exited(int pidfd);

#endif
