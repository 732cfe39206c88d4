// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary bytes as a Go binary, then the .gopclntab function index and the
 * line tables of the functions it finds.
 */
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
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *file;
		int line;

		if (gobin__func(b, names[i], &entry, &end))
			continue;
		if (end < entry)
			abort();
		/* Any answer is fine; reading outside the table is not (ASan watches). */
		if (!gobin__pc_line(b, entry, &file, &line) && !file)
			abort();
		gobin__pc_line(b, entry + (end - entry) / 2, &file, &line);
	}
	gobin__free(b);
	return 0;
}
