// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Print what goscope's own readers (user/gobin) see in a Go binary, as JSON, so the tests can
 * compare it with tests/oracle/gobininfo, which reads the same binary with Go's standard library.
 *
 *   gobin_dump [--sym NAME]... [--func NAME]... [--func-count] [--field TYPE:PATH]...
 *              [--setting KEY]... BINARY
 *
 * --func looks NAME up in .gopclntab ("funcs"), --func-count prints the size of that index.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gobin/gobin.h"
#include "gobin/pclntab.h"

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sym", required_argument, NULL, 's' },
		{ "field", required_argument, NULL, 'f' },
		{ "setting", required_argument, NULL, 'k' },
		{ "func", required_argument, NULL, 'F' },
		{ "func-count", no_argument, NULL, 'C' },
		{ 0 },
	};
	const char *syms[64], *fields[64], *keys[64], *funcs[64];
	int nsyms = 0, nfields = 0, nkeys = 0, nfuncs = 0, c, i;
	bool func_count = false;
	struct gs_err err = { 0 };
	struct gobin *b;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's' && nsyms < 64)
			syms[nsyms++] = optarg;
		else if (c == 'f' && nfields < 64)
			fields[nfields++] = optarg;
		else if (c == 'k' && nkeys < 64)
			keys[nkeys++] = optarg;
		else if (c == 'F' && nfuncs < 64)
			funcs[nfuncs++] = optarg;
		else if (c == 'C')
			func_count = true;
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: gobin_dump [--sym N]... [--func N]... [--func-count] "
			"[--field T:P]... [--setting K]... BINARY\n");
		return 2;
	}
	b = gobin__open(argv[optind], &err);
	if (!b) {
		printf("{\"error\": ");
		json_str(err.msg);
		printf(", \"code\": %d}\n", err.code);
		return 0;
	}
	printf("{\"go_version\": ");
	json_str(gobin__version(b)->str);
	printf(", \"version_minor\": %d", gobin__version(b)->minor);
	printf(", \"elf_type\": \"%s\"", gobin__is_pie(b) ? "DYN" : "EXEC");
	printf(", \"has_symtab\": %s", gobin__has_symtab(b) ? "true" : "false");
	printf(", \"has_dwarf\": %s", gobin__has_dwarf(b) ? "true" : "false");
	printf(", \"cgo\": %s", gobin__is_cgo(b) ? "true" : "false");
	printf(", \"settings\": {");
	for (i = 0; i < nkeys; i++) {
		const char *v = gobin__setting(b, keys[i]);

		printf("%s", i ? ", " : "");
		json_str(keys[i]);
		printf(": ");
		if (v)
			json_str(v);
		else
			printf("null");
	}
	printf("}, \"symbols\": {");
	for (i = 0; i < nsyms; i++) {
		uint64_t addr, size;

		printf("%s", i ? ", " : "");
		json_str(syms[i]);
		if (gobin__sym(b, syms[i], &addr, &size))
			printf(": null");
		else
			printf(": {\"addr\": %llu, \"size\": %llu}", (unsigned long long)addr,
			       (unsigned long long)size);
	}
	printf("}, \"funcs\": {");
	for (i = 0; i < nfuncs; i++) {
		uint64_t entry, end;

		printf("%s", i ? ", " : "");
		json_str(funcs[i]);
		if (gobin__func(b, funcs[i], &entry, &end))
			printf(": null");
		else
			printf(": {\"entry\": %llu, \"end\": %llu}", (unsigned long long)entry,
			       (unsigned long long)end);
	}
	if (func_count)
		printf("}, \"func_count\": %zu", gobin__func_count(b));
	else
		printf("}");
	printf(", \"fields\": {");
	for (i = 0; i < nfields; i++) {
		char type[256];
		const char *colon = strchr(fields[i], ':');
		uint64_t off;

		printf("%s", i ? ", " : "");
		json_str(fields[i]);
		if (!colon || (size_t)(colon - fields[i]) >= sizeof(type)) {
			printf(": null");
			continue;
		}
		snprintf(type, sizeof(type), "%.*s", (int)(colon - fields[i]), fields[i]);
		if (gobin__field_offset(b, type, colon + 1, &off))
			printf(": null");
		else
			printf(": %llu", (unsigned long long)off);
	}
	printf("}}\n");
	gobin__free(b);
	return 0;
}
