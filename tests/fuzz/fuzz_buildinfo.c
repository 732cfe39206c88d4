// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target: arbitrary bytes as a Go binary, then its version and build settings. */
#include <string.h>
#include "fuzz_open.h"

static const char *const keys[] = {
	"-buildmode", "CGO_ENABLED", "-ldflags", "GOARCH", "GOOS", "", "build",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin *b = fuzz_open(data, size);
	const struct go_version *v;
	volatile size_t sink = 0;
	size_t i;

	if (!b)
		return 0;
	v = gobin__version(b);
	if (!memchr(v->str, 0, sizeof(v->str)))
		abort();
	sink += strlen(v->str) + (size_t)v->minor;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = gobin__setting(b, keys[i]);

		if (s)
			sink += strlen(s);
	}
	sink += gobin__is_cgo(b) + gobin__is_pie(b);
	(void)sink;
	gobin__free(b);
	return 0;
}
