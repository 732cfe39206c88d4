// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target: arbitrary bytes as a Go binary, then the .gopclntab function index. */
#include "fuzz_open.h"
#include "gobin/pclntab.h"

static const char *const names[] = {
	"main.main", "runtime.main", "runtime.text", "runtime.freeStackSpans",
	"runtime.(*gcControllerState).startCycle", "", "a",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin *b = fuzz_open(data, size);
	uint64_t entry, end;
	size_t i;

	if (!b)
		return 0;
	if (gobin__func_count(b) > size)
		abort();	/* every function needs at least 8 bytes of functab */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!gobin__func(b, names[i], &entry, &end) && end < entry)
			abort();
	gobin__free(b);
	return 0;
}
