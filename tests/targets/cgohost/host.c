// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A C program that runs Go code from a library, the way a C, Python or Java process embeds one:
 * the Go runtime lives in a shared library (-buildmode=c-shared) that the host dlopen()s, or, built
 * with -DGOSCOPE_ARCHIVE, in a Go archive (-buildmode=c-archive) linked into the host.
 *
 * The library is a test workload (churn or quiescent) built with -tags goscope_shlib, which
 * exports its main function as GoscopeMain. The host runs it on a thread of its own; the Go
 * runtime reads its flags from the host's argv, as it does in any library:
 *
 *   GOSCOPE_GO_LIB=PATH      the shared library to dlopen (not with GOSCOPE_ARCHIVE)
 *   GOSCOPE_HOST_LOAD_MS     wait this long before loading it: a process that is not Go at first
 *   GOSCOPE_HOST_DLCLOSE_MS  after this long, dlclose() the library and print "<pid> dlclosed"
 *                            (a Go library is linked NODELETE: it stays mapped and running)
 *   GOSCOPE_HOST_EXIT_MS     after this long, exit(0) from C while Go code runs
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef GOSCOPE_ARCHIVE
extern void GoscopeMain(void);
#endif

static void (*go_main)(void);

static void *run_go(void *arg)
{
	(void)arg;
	go_main();
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts))
		;
}

static long env_ms(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : -1;
}

int main(void)
{
	long unload = env_ms("GOSCOPE_HOST_DLCLOSE_MS"), quit = env_ms("GOSCOPE_HOST_EXIT_MS");
	void *lib = NULL;
	pthread_t th;

#ifdef GOSCOPE_ARCHIVE
	go_main = GoscopeMain;
#else
	const char *path = getenv("GOSCOPE_GO_LIB");
	long load = env_ms("GOSCOPE_HOST_LOAD_MS");

	if (!path) {
		fprintf(stderr, "cgohost: set GOSCOPE_GO_LIB to the Go library to load\n");
		return 2;
	}
	if (load > 0)
		sleep_ms(load);
	lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "cgohost: %s\n", dlerror());
		return 2;
	}
	go_main = (void (*)(void))dlsym(lib, "GoscopeMain");
	if (!go_main) {
		fprintf(stderr, "cgohost: %s\n", dlerror());
		return 2;
	}
#endif
	if (pthread_create(&th, NULL, run_go, NULL)) {
		fprintf(stderr, "cgohost: cannot start a thread\n");
		return 2;
	}
	if (unload >= 0) {
		sleep_ms(unload);
		if (lib && dlclose(lib)) {
			fprintf(stderr, "cgohost: dlclose: %s\n", dlerror());
			return 2;
		}
		printf("%d dlclosed\n", (int)getpid());
		fflush(stdout);
	}
	if (quit >= 0) {
		sleep_ms(quit);
		exit(0);
	}
	pthread_join(th, NULL);
	return 0;
}
