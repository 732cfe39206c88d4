// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: arbitrary bytes as a Go binary, then the ELF side: symbols, address
 * translation and DWARF struct member offsets.
 */
#include "fuzz_open.h"

static const char *const syms[] = {
	"runtime.text", "main.main", "runtime.main", "runtime.buildVersion", "x_cgo_init", "",
};

static const char *const fields[][2] = {
	{ "runtime.workType", "cpuStats.gcAssistTime" },
	{ "runtime.workType", "tSweepTerm" },
	{ "runtime.mstats", "numgc" },
	{ "runtime.mstats", "a.b.c.d" },
	{ "", "" },
};

static void check_addr(const struct gobin *b, uint64_t addr)
{
	uint64_t off, vaddr;

	if (!gobin__vaddr_to_offset(b, addr, &off))
		gobin__offset_to_vaddr(b, off, &vaddr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gobin *b = fuzz_open(data, size);
	uint64_t addr, sz, dev, ino;
	size_t i;

	if (!b)
		return 0;
	gobin__file_id(b, &dev, &ino);
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!gobin__sym(b, syms[i], &addr, &sz))
			check_addr(b, addr);
	check_addr(b, 0);
	check_addr(b, 0x400000);
	check_addr(b, UINT64_MAX);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		gobin__field_offset(b, fields[i][0], fields[i][1], &addr);
	gobin__has_symtab(b);
	gobin__has_dwarf(b);
	gobin__free(b);
	return 0;
}
