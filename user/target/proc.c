// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include "target/proc.h"
#include "gobin/gobin.h"
#include "util/clock.h"

int proc_parse_pid(const char *s, pid_t *pid, struct gs_err *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	/* Digits only: strtol also skips blanks and takes a sign. */
	if (*s < '0' || *s > '9' || errno || end == s || *end || v <= 0 || v > INT_MAX)
		return gs_fail(err, GS_EXIT_USAGE, "'%s' is not a process ID", s);
	*pid = (pid_t)v;
	return 0;
}

/* /proc/PID/stat after the command name: "S 1 1234 …" (field 3 on); NULL when unreadable. */
static const char *stat_fields(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

static char proc_state(pid_t pid)
{
	char buf[512];
	const char *f = stat_fields(pid, buf, sizeof(buf));

	return f ? f[0] : 0;
}

/* Numeric fields first..first+n-1 of /proc/PID/stat (first >= 3). */
static int stat_numbers(pid_t pid, int first, uint64_t *v, int n)
{
	char buf[1024];
	const char *f = stat_fields(pid, buf, sizeof(buf));
	int field, i;

	/* f points at field 3. */
	for (field = 3; f && field < first; field++) {
		f = strchr(f, ' ');
		if (f)
			f++;
	}
	for (i = 0; i < n; i++) {
		char *end;

		if (!f)
			return -ENOENT;
		v[i] = strtoull(f, &end, 10);
		if (end == f)
			return -ENOENT;
		f = *end == ' ' ? end + 1 : NULL;
	}
	return 0;
}

int proc_start_time(pid_t pid, uint64_t *ticks)
{
	return stat_numbers(pid, 22, ticks, 1);
}

static bool same_ns(const char *a, const char *b)
{
	struct stat x, y;

	return !stat(a, &x) && !stat(b, &y) && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

void proc_host_name(char *buf, size_t len)
{
	char line[256];
	FILE *f;

	if (gethostname(buf, len) || !memchr(buf, 0, len))
		snprintf(buf, len, "localhost");
	if (same_ns("/proc/self/ns/uts", "/proc/1/ns/uts"))
		return;
	/* As the container identities are read: through PID 1's root, else goscope's own. */
	f = fopen("/proc/1/root/etc/hostname", "re");
	if (!f)
		f = fopen("/etc/hostname", "re");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0])
			snprintf(buf, len, "%s", line);
	}
	fclose(f);
}

uint64_t proc_start_unix_ns(pid_t pid)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks, boot_ns;

	if (hz <= 0 || proc_start_time(pid, &ticks))
		return 0;
	boot_ns = ticks * (1000000000ull / (uint64_t)hz);
	return clock_real_ns() - (clock_boot_ns() - boot_ns);
}

pid_t proc_parent(pid_t pid)
{
	uint64_t ppid;

	return stat_numbers(pid, 4, &ppid, 1) ? 0 : (pid_t)ppid;
}

int proc_image(pid_t pid, struct proc_image *img)
{
	uint64_t v[5];
	char path[64];
	struct stat st;

	memset(img, 0, sizeof(*img));
	proc_exe_path(pid, path, sizeof(path));
	if (stat(path, &st) == 0) {
		img->dev = st.st_dev;
		img->ino = st.st_ino;
	}
	/* start_brk (47), arg_start (48), arg_end, env_start, env_end (51). */
	if (stat_numbers(pid, 47, v, 5))
		return -ENOENT;
	img->start_brk = v[0];
	img->arg_start = v[1];
	img->env_end = v[4];
	return 0;
}

bool proc_image_same(const struct proc_image *a, const struct proc_image *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->start_brk == b->start_brk &&
	       a->arg_start == b->arg_start && a->env_end == b->env_end;
}

int proc_check_alive(pid_t pid, struct gs_err *err)
{
	char st = proc_state(pid);

	if (!st)
		return gs_fail(err, GS_EXIT_NO_PROCESS, "no process with PID %d", pid);
	if (st == 'Z' || st == 'X')
		return gs_fail(err, GS_EXIT_NO_PROCESS, "process %d has exited (zombie)", pid);
	return 0;
}

void proc_exe_path(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/exe", pid);
}

void proc_exe_name(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	proc_exe_path(pid, path, sizeof(path));
	n = readlink(path, buf, len - 1);
	if (n <= 0) {
		snprintf(buf, len, "?");
		return;
	}
	buf[n] = 0;
}

void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f || !fgets(buf, (int)len, f)) {
		snprintf(buf, len, "?");
	} else {
		buf[strcspn(buf, "\n")] = 0;
	}
	if (f)
		fclose(f);
}

bool proc_maps_line_parse(const char *line, struct proc_maps_line *m)
{
	unsigned int dmaj, dmin;
	int name = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n", &m->start,
		   &m->end, m->perms, &m->off, &dmaj, &dmin, &m->ino, &name) != 7 || !name)
		return false;
	m->dev = makedev(dmaj, dmin);
	m->name = line + name;
	return true;
}

int proc_load_bias(pid_t pid, const struct gobin *b, uint64_t dev, uint64_t ino, uint64_t *bias,
		   struct gs_err *err)
{
	char path[64], line[4096 + 128];
	struct proc_maps_line m;
	uint64_t vaddr;
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return gs_fail(err, errno == ENOENT ? GS_EXIT_NO_PROCESS : GS_EXIT_PERMISSION,
			       "cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!proc_maps_line_parse(line, &m) || m.ino != ino || m.dev != dev)
			continue;
		if (gobin__offset_to_vaddr(b, m.off, &vaddr))
			continue;
		*bias = m.start - vaddr;
		ret = 0;
		break;
	}
	fclose(f);
	if (ret)
		return gs_fail(err, GS_EXIT_ERROR,
			       "cannot find the Go runtime's mapping in /proc/%d/maps", pid);
	if (!gobin__is_pie(b) && *bias)
		return gs_fail(err, GS_EXIT_ERROR,
			       "non-PIE executable of PID %d is mapped at an unexpected address", pid);
	return 0;
}

int proc_objects(pid_t pid, struct proc_object **objs, size_t *n)
{
	struct proc_object *v = NULL, *o;
	char path[64], line[4096 + 128];
	size_t cap = 0, i;
	FILE *f;

	*objs = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct proc_maps_line m;

		if (!proc_maps_line_parse(line, &m) || !m.ino || m.name[0] != '/')
			continue;	/* anonymous, [heap], [stack], [vdso] … */
		/*
		 * Only code the process runs: a file mapped just to be read (a debugger's, goscope's
		 * own reading of a Go binary) holds no runtime of this process.
		 */
		if (m.perms[2] != 'x')
			continue;
		for (i = 0; i < *n; i++)
			if (v[i].ino == m.ino && v[i].dev == m.dev)
				break;
		if (i < *n)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			o = realloc(v, cap * sizeof(*v));
			if (!o) {
				fclose(f);
				free(v);
				return -ENOMEM;
			}
			v = o;
		}
		o = &v[(*n)++];
		o->dev = m.dev;
		o->ino = m.ino;
		snprintf(o->path, sizeof(o->path), "%.*s", (int)strcspn(m.name, "\n"), m.name);
		snprintf(o->open_path, sizeof(o->open_path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
			 pid, m.start, m.end);
	}
	fclose(f);
	*objs = v;
	return 0;
}

int proc_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

bool proc_pidfd_exited(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, 0) > 0;
}
