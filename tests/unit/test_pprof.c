// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The pprof writer, driven from tests/unit/test_unit_pprof.py, which reads what it writes back
 * with `go tool pprof` (the oracle: Go's own profile parser). Modes:
 *
 *   test_pprof OUT            a small known heap profile (OUT "-": standard output)
 *   test_pprof --unusual OUT  odd frames, an empty stack, long names, 10,000 stacks added twice
 *   test_pprof --errors DIR   argument checks and write failures, nothing left behind in DIR
 *   test_pprof --oom OUT      allocations failing under RLIMIT_AS (skipped under ASan)
 *
 * Each mode ends with the summary line "N passed, N failed" (on stderr when OUT is "-").
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "check.h"
#include "format/pprof.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define SRC "/src/main.go"
#define PROC "/usr/lib/go/src/runtime/proc.go"

/* The heap profile's sample types, as runtime/pprof writes them (without the inuse pair). */
static struct pprof *heap_profile(void)
{
	struct pprof *p = pprof__new();

	ASSERT_TRUE(p != NULL, "pprof__new");
	if (!p)
		return NULL;
	ASSERT_EQ(pprof__sample_type(p, "alloc_objects", "count"), 0, "sample type alloc_objects");
	ASSERT_EQ(pprof__sample_type(p, "alloc_space", "bytes"), 0, "sample type alloc_space");
	pprof__period(p, "space", "bytes", 524288);
	pprof__default_type(p, "alloc_space");
	return p;
}

static void add(struct pprof *p, const struct pprof_frame *f, size_t n, int64_t objects,
		int64_t bytes)
{
	int64_t v[2] = { objects, bytes };

	ASSERT_EQ(pprof__add(p, f, n, v), 0, "pprof__add");
}

static int write_known(const char *out)
{
	static const struct pprof_frame big[] = {
		{ 0x401010, "main.big", SRC, 10 },
		{ 0x401200, "main.main", SRC, 20 },
		{ 0x430000, "runtime.main", PROC, 283 },
	};
	static const struct pprof_frame big11[] = {
		{ 0x401018, "main.big", SRC, 11 },
		{ 0x401200, "main.main", SRC, 20 },
		{ 0x430000, "runtime.main", PROC, 283 },
	};
	static const struct pprof_frame small[] = {
		{ 0x401100, "main.small", SRC, 30 },
		{ 0x401210, "main.main", SRC, 21 },
		{ 0x430000, "runtime.main", PROC, 283 },
	};
	static const struct pprof_frame goexit[] = {
		{ 0x460000, "runtime.goexit", "/usr/lib/go/src/runtime/asm_amd64.s", 1700 },
	};
	struct pprof *p = heap_profile();
	struct gs_err err = { 0 };
	int i;

	if (!p)
		return 1;
	pprof__time(p, 1700000000123456789LL, 10000000000LL);
	pprof__mapping(p, 0x400000, 0x500000, 0, "/src/app", "abc123");
	pprof__comment(p, "goscope unit test");
	add(p, big, 3, 5, 5000000);
	/* The same stack four times: one sample of {100, 100000}. */
	for (i = 0; i < 4; i++)
		add(p, small, 3, 25, 25000);
	add(p, goexit, 1, 1, 4096);
	/* main.big again at another line: a second location of the same function. */
	add(p, big11, 3, 2, 1024);
	add(p, big11, 3, 5, 2048);
	ASSERT_EQ(pprof__write(p, out, &err), 0, err.msg);
	pprof__free(p);
	if (!strcmp(out, "-")) {
		fprintf(stderr, "%d passed, %d failed\n", check_passed, check_failed);
		return check_failed ? 1 : 0;
	}
	return check_summary();
}

/* Frames without a name or a file, an empty stack, very long and non-ASCII names. */
static void add_odd_frames(struct pprof *p)
{
	static const struct pprof_frame anon[] = {
		{ 0x1234, NULL, NULL, 99 },
		{ 0x401200, "main.main", SRC, 20 },
	};
	static const struct pprof_frame no_file[] = { { 0x2000, "main.nofile", NULL, 7 } };
	static const struct pprof_frame no_func[] = { { 0x3000, NULL, "/src/x.go", 9 } };
	static const struct pprof_frame utf8[] = {
		{ 0x5000, "main.(*Tür).Método[go.shape.int]", SRC, 3 },
	};
	static const struct pprof_frame same_pc[] = {
		{ 0x6000, "main.inlined", "/src/a.go", 1 },
		{ 0x6000, "main.outer", "/src/a.go", 2 },
	};
	struct pprof_frame long_frame = { 0x4000, NULL, NULL, 123456 };
	char *name = malloc(100001), *file = malloc(5001);

	ASSERT_TRUE(name && file, "malloc");
	if (!name || !file)
		goto out;
	memcpy(name, "main.", 5);
	memset(name + 5, 'x', 99995);
	name[100000] = 0;
	file[0] = '/';
	memset(file + 1, 'd', 4999);
	file[5000] = 0;
	long_frame.func = name;
	long_frame.file = file;
	add(p, anon, 2, 1, 10);
	add(p, no_file, 1, 1, 20);
	add(p, no_func, 1, 1, 40);
	add(p, NULL, 0, 1, 80);
	add(p, &long_frame, 1, 1, 160);
	add(p, utf8, 1, 1, 320);
	add(p, same_pc, 2, 1, 640);
out:
	free(name);
	free(file);
}

/* Stress stack i: a distinct leaf, one of 50 callers, 0 to 5 frames above; values {1, i + 1}. */
static int add_stress_stack(struct pprof *p, int i)
{
	struct pprof_frame f[8];
	int64_t v[2] = { 1, i + 1 };
	char leaf[32], mid[32];
	int n = 2 + i % 6, d;

	snprintf(leaf, sizeof(leaf), "stress.leaf%05d", i);
	snprintf(mid, sizeof(mid), "stress.mid%02d", i % 50);
	f[0] = (struct pprof_frame){ 0x500000 + i * 16, leaf, "/src/stress.go", i };
	f[1] = (struct pprof_frame){ 0x600000 + i % 50, mid, "/src/stress.go", 5 };
	for (d = 2; d < n; d++)
		f[d] = (struct pprof_frame){ 0x700000 + d, "stress.up", "/src/up.go", d };
	return pprof__add(p, f, n, v);
}

/* 10,000 distinct stacks, each added twice: one sample each, values doubled. */
static void add_many_stacks(struct pprof *p)
{
	int round, i, failed = 0;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < 10000; i++)
			failed += add_stress_stack(p, i) < 0;
	}
	ASSERT_EQ(failed, 0, "failed adds of 20,000");
}

static int write_unusual(const char *out)
{
	struct pprof *p = heap_profile();
	struct gs_err err = { 0 };

	if (!p)
		return 1;
	add_odd_frames(p);
	add_many_stacks(p);
	ASSERT_EQ(pprof__write(p, out, &err), 0, err.msg);
	pprof__free(p);
	return check_summary();
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static void check_arguments(void)
{
	static const struct pprof_frame f = { 0x1, "main.main", SRC, 1 };
	int64_t v[2] = { 1, 2 };
	struct pprof *p = pprof__new();

	pprof__free(NULL);
	ASSERT_EQ(pprof__add(NULL, &f, 1, v), -1, "add to NULL");
	ASSERT_EQ(pprof__sample_type(NULL, "a", "b"), -1, "sample type of NULL");
	ASSERT_EQ(pprof__write(NULL, "x", NULL), -1, "write NULL");
	ASSERT_EQ(pprof__sample_type(p, "t1", "u"), 0, "type 1");
	ASSERT_EQ(pprof__sample_type(p, "t2", "u"), 0, "type 2");
	ASSERT_EQ(pprof__sample_type(p, "t3", "u"), 0, "type 3");
	ASSERT_EQ(pprof__sample_type(p, "t4", "u"), 0, "type 4");
	ASSERT_EQ(pprof__sample_type(p, "t5", "u"), -1, "a fifth type");
	ASSERT_EQ(pprof__add(p, &f, 1, NULL), -1, "values missing");
	ASSERT_EQ(pprof__add(p, NULL, 1, (int64_t[4]){ 0 }), -1, "frames missing");
	ASSERT_EQ(pprof__add(p, &f, 1, (int64_t[4]){ 0 }), 0, "a good add");
	pprof__free(p);

	p = pprof__new();
	ASSERT_EQ(pprof__sample_type(p, "t1", "u"), 0, "type 1");
	ASSERT_EQ(pprof__add(p, &f, 1, v), 0, "add");
	ASSERT_EQ(pprof__sample_type(p, "t2", "u"), -1, "a type after the first sample");
	pprof__free(p);
}

static void check_write_failures(const char *dir)
{
	struct pprof *p = heap_profile();
	struct gs_err err = { 0 };
	char path[4096], want[4400];
	struct stat st;
	mode_t old = umask(0);
	bool created;
	int fd;

	snprintf(path, sizeof(path), "%s/no/such/dir/heap.pb.gz", dir);
	ASSERT_EQ(pprof__write(p, path, &err), -1, "write into a missing directory");
	ASSERT_EQ(err.code, GS_EXIT_ERROR, "exit code");
	snprintf(want, sizeof(want), "cannot create %s: %s", path, strerror(ENOENT));
	ASSERT_STREQ(err.msg, want, "message names the file and the reason");

	/* A symbolic link at path is not followed: its target is not created. */
	snprintf(path, sizeof(path), "%s/heap.pb.gz", dir);
	snprintf(want, sizeof(want), "%s/target", dir);
	ASSERT_EQ(symlink(want, path), 0, "symlink");
	memset(&err, 0, sizeof(err));
	ASSERT_EQ(pprof__write(p, path, &err), -1, "write through a symlink");
	ASSERT_TRUE(strstr(err.msg, "symbolic link") != NULL, err.msg);
	ASSERT_TRUE(!exists(want), "the symlink's target was not created");
	unlink(path);

	/* Once the link is gone the write succeeds: the path given, mode 0640, nothing beside it. */
	ASSERT_EQ(pprof__write(p, path, &err), 0, err.msg);
	ASSERT_EQ(stat(path, &st), 0, "profile written");
	ASSERT_EQ(st.st_mode & 07777, 0640, "mode 0640");
	snprintf(want, sizeof(want), "%s.tmp", path);
	ASSERT_TRUE(!exists(want), "no file beside it");

	/* Opened early, written late: an existing file is kept until the profile replaces it. */
	fd = pprof__open_output(path, &created, &err);
	ASSERT_TRUE(fd >= 0 && !created, "an existing file is opened, not created");
	ASSERT_EQ(stat(path, &st), 0, "stat");
	ASSERT_TRUE(st.st_size > 0, "not truncated at open");
	ASSERT_EQ(pprof__write_fd(p, fd, path, &err), 0, err.msg);
	close(fd);
	unlink(path);
	fd = pprof__open_output(path, &created, &err);
	ASSERT_TRUE(fd >= 0 && created, "a new file is created");
	close(fd);
	unlink(path);

	/* A device is written as it is: not truncated, not replaced, not synced. */
	ASSERT_EQ(pprof__write(p, "/dev/null", &err), 0, err.msg);
	ASSERT_EQ(stat("/dev/null", &st), 0, "stat /dev/null");
	ASSERT_TRUE(S_ISCHR(st.st_mode), "/dev/null is still a device");
	umask(old);
	pprof__free(p);
}

static void set_as_limit(rlim_t soft)
{
	struct rlimit rl;

	getrlimit(RLIMIT_AS, &rl);
	rl.rlim_cur = soft;
	ASSERT_EQ(setrlimit(RLIMIT_AS, &rl), 0, "setrlimit");
}

/* Virtual memory in use now, from /proc/self/statm (pages). */
static size_t vm_size(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return pages * sysconf(_SC_PAGESIZE);
}

/* Allocate size-byte blocks until malloc fails; returns them as a list to give back. */
static void *exhaust(size_t size)
{
	void *head = NULL, *b;

	while ((b = malloc(size))) {
		*(void **)b = head;
		head = b;
	}
	return head;
}

static void release(void *head)
{
	void *next;

	for (; head; head = next) {
		next = *(void **)head;
		free(head);
	}
}

/*
 * Allocations failing under a limit on the address space: an add that fails is reported and
 * leaves the profile whole and writable once memory is back; a setter that fails (it returns
 * nothing) makes the write report it instead of writing an incomplete profile.
 */
static int write_oom(const char *out)
{
	const size_t big = 1 << 20;
	struct pprof *p = heap_profile(), *q = heap_profile();
	struct pprof_frame f = { 0x1000, NULL, SRC, 1 };
	struct gs_err err = { 0 };
	char *name = malloc(big + 1);
	int64_t v[2] = { 1, 1 };
	int added = 0, ret;
	void *ballast;

#ifdef UNDER_ASAN
	printf("skipped: ASan needs its address space\n");
	free(name);
	pprof__free(p);
	pprof__free(q);
	return check_summary();
#endif
	if (!p || !q || !name)
		return 1;
	memset(name, 'n', big);
	name[big] = 0;
	f.func = name;
	set_as_limit(vm_size() + 64 * big);
	/* Distinct 1 MiB names: each add keeps a copy. */
	for (; added < 1000; added++) {
		snprintf(name, 32, "main.f%06d", added);
		name[strlen(name)] = 'n';
		if (pprof__add(p, &f, 1, v) < 0)
			break;
	}
	ASSERT_TRUE(added > 0 && added < 1000, "adds succeed, then one fails");
	ret = pprof__write(p, out, &err);
	ASSERT_TRUE(!ret || strstr(err.msg, "out of memory"),
		    "a write under the limit works or says why");

	ballast = exhaust(big + 1);
	snprintf(name, 32, "comment");
	name[strlen(name)] = 'n';
	pprof__comment(q, name);
	release(ballast);
	set_as_limit(RLIM_INFINITY);
	memset(&err, 0, sizeof(err));
	ASSERT_EQ(pprof__write(q, out, &err), -1, "a profile that lost its comment is not written");
	ASSERT_TRUE(strstr(err.msg, "out of memory") != NULL, err.msg);

	snprintf(name, 32, "main.last");
	ASSERT_EQ(pprof__add(p, &f, 1, v), 0, "add after memory is back");
	memset(&err, 0, sizeof(err));
	ASSERT_EQ(pprof__write(p, out, &err), 0, err.msg);
	printf("samples %d\n", added + 1);
	free(name);
	pprof__free(p);
	pprof__free(q);
	return check_summary();
}

int main(int argc, char **argv)
{
	if (argc == 2)
		return write_known(argv[1]);
	if (argc == 3 && !strcmp(argv[1], "--unusual"))
		return write_unusual(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--errors")) {
		check_arguments();
		check_write_failures(argv[2]);
		return check_summary();
	}
	if (argc == 3 && !strcmp(argv[1], "--oom"))
		return write_oom(argv[2]);
	fprintf(stderr, "usage: test_pprof [--unusual | --errors | --oom] OUT\n");
	return 2;
}
