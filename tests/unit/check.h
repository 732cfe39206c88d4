/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small assertion header for root-free unit tests, in the spirit of the kernel's test_progs:
 * every check names what it checks, failures print both values, and main() ends with the
 * runner's summary line "N passed, N failed".
 */
#ifndef GS_CHECK_H
#define GS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK_REPORT(ok, name, fmt, ...)						\
	do {										\
		if (ok) {								\
			check_passed++;							\
		} else {								\
			check_failed++;							\
			fprintf(stderr, "FAIL %s:%d: %s: " fmt "\n", __FILE__, __LINE__,	\
				(name), __VA_ARGS__);					\
		}									\
	} while (0)

#define ASSERT_EQ(got, want, name)							\
	do {										\
		long long g_ = (long long)(got), w_ = (long long)(want);		\
		CHECK_REPORT(g_ == w_, name, "got %lld, want %lld", g_, w_);		\
	} while (0)

#define ASSERT_STREQ(got, want, name)							\
	do {										\
		const char *g_ = (got), *w_ = (want);					\
		CHECK_REPORT(g_ && w_ && !strcmp(g_, w_), name, "\n   got  \"%s\"\n   want \"%s\"", \
			     g_ ? g_ : "(null)", w_ ? w_ : "(null)");			\
	} while (0)

#define ASSERT_TRUE(cond, name) CHECK_REPORT((cond), name, "%s is false", #cond)

/* Print the summary and return the process exit status. */
static inline int check_summary(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
