// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "target/caps.h"
#include "util/log.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const char *const cap_name[] = {
	[0] = "CAP_CHOWN", [1] = "CAP_DAC_OVERRIDE", [2] = "CAP_DAC_READ_SEARCH",
	[5] = "CAP_KILL", [6] = "CAP_SETGID", [7] = "CAP_SETUID", [8] = "CAP_SETPCAP",
	[10] = "CAP_NET_BIND_SERVICE", [12] = "CAP_NET_ADMIN", [19] = "CAP_SYS_PTRACE",
	[21] = "CAP_SYS_ADMIN", [24] = "CAP_SYS_RESOURCE", [38] = "CAP_PERFMON", [39] = "CAP_BPF",
};

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	memset(d, 0, 2 * sizeof(*d));
	return syscall(SYS_capget, &hdr, d) ? -errno : 0;
}

bool caps_have(int cap)
{
	struct __user_cap_data_struct d[2];

	if (cap < 0 || cap > 63 || caps_get(d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

const char *caps_names(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;
	int cap;

	buf[0] = 0;
	for (cap = 0; cap < 64 && n + 1 < len; cap++) {
		const char *name = cap < (int)(sizeof(cap_name) / sizeof(cap_name[0])) ?
				   cap_name[cap] : NULL;
		int w;

		if (!(mask & CAPS_BIT(cap)))
			continue;
		if (name)
			w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
		else
			w = snprintf(buf + n, len - n, "%scapability %d", n ? ", " : "", cap);
		n = w < 0 ? len : n + (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

int caps_check_probes(struct gs_err *err)
{
	bool admin = caps_have(CAP_SYS_ADMIN);
	uint64_t missing = 0;
	char names[128];

	if (geteuid() == 0 && admin)
		return 0;
	if (!admin && !caps_have(CAP_BPF))
		missing |= CAPS_BIT(CAP_BPF);
	if (!admin && !caps_have(CAP_PERFMON))
		missing |= CAPS_BIT(CAP_PERFMON);
	if (!caps_have(CAP_SYS_PTRACE))
		missing |= CAPS_BIT(CAP_SYS_PTRACE);
	if (missing && geteuid() == 0)
		/* Root whose bounding set lacks them: "use sudo" would send the user in circles. */
		return gs_fail(err, GS_EXIT_PERMISSION,
			       "missing %s: loading BPF programs needs CAP_BPF and CAP_PERFMON, "
			       "reading another process CAP_SYS_PTRACE, and this root process does "
			       "not have them (container or service capability bounding set)",
			       caps_names(missing, names, sizeof(names)));
	if (missing)
		return gs_fail(err, GS_EXIT_PERMISSION,
			       "missing %s: loading BPF programs needs root (or CAP_BPF and "
			       "CAP_PERFMON), reading another process CAP_SYS_PTRACE; run goscope "
			       "with sudo", caps_names(missing, names, sizeof(names)));
	return 0;
}

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = 40;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 40;
		fclose(f);
	}
	return v < 63 ? v : 63;
}

int caps_keep_only(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t have;
	char names[256];
	int cap, ret;

	ret = caps_get(d);
	if (ret)
		goto fail;
	have = d[0].permitted | (uint64_t)d[1].permitted << 32;
	keep &= have;
	/*
	 * The bounding set first, while CAP_SETPCAP may still be ours, and no_new_privs: both only
	 * matter for an exec, which goscope never does. A command that still attaches leaves them,
	 * since perf_event_open() of a uprobe then fails with EACCES (seen on Linux 6.18).
	 */
	for (cap = 0; !(keep & CAPS_BIT(CAP_BPF)) && cap <= last_cap(); cap++)
		if (!(keep & CAPS_BIT(cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EPERM) {
			ret = -errno;
			goto fail;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, d)) {
		ret = -errno;
		goto fail;
	}
	if (!(keep & CAPS_BIT(CAP_BPF)) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		goto fail;
	}
	if (have)
		log_info("capabilities: keeping %s; dropped every other one",
			 caps_names(keep, names, sizeof(names)));
	return 0;
fail:
	log_warn("could not drop capabilities: %s; running with the ones it has", strerror(-ret));
	return ret;
}
