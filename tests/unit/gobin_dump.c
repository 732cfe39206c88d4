// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Print what goscope's own readers (user/gobin) see in a Go binary, as JSON, so the tests can
 * compare it with tests/oracle/gobininfo, which reads the same binary with Go's standard library.
 *
 *   gobin_dump [--sym NAME]... [--func NAME]... [--func-count] [--field TYPE:PATH]...
 *              [--setting KEY]... [--layout-needs] [--no-dwarf] [--resolve] [--rets FN]...
 *              [--global NAME]... [--recover-only] [--pcline ADDR]... [--body FN]...
 *              [--go-target FN]... BINARY
 *
 * --func looks NAME up in .gopclntab ("funcs"), --func-count prints the size of that index.
 * --field gives a member's offset from DWARF, or with an empty PATH ("TYPE:") the type's size.
 * --layout-needs lists the struct offsets and sizes layout.c needs for the binary's release.
 * --no-dwarf resolves --field and --resolve through the built-in layout tables instead of DWARF,
 * exactly as goscope does for a binary without DWARF. --resolve runs layout_resolve (bias 0).
 * --rets lists the offsets of FN's RET instructions ("rets"). --global looks NAME up with
 * gobin__global ("globals"); --recover-only recovers it from code even when .symtab has it, and
 * adds how many recipe rows ran (their function is linked in) and agreed. "globals_us" is the
 * time the lookups took.
 * --pcline gives the source file and line of the instruction at ADDR (link-time) ("pclines").
 * --body gives the offset of the first instruction past FN's stack check ("bodies").
 * --go-target gives what a goroutine that starts at FN's entry runs, when FN is a compiler-made
 * wrapper ("go_targets"): {"rc": 0 or the negative errno, "name", "inlined", "file", "line"}.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gobin/disasm.h"
#include "gobin/gobin.h"
#include "gobin/gotarget.h"
#include "goruntime/layout.h"
#include "gobin/pclntab.h"

#define MAX_ARGS	256
#define MAX_PCS		4096

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

/*
 * "fields": offsets (or, for "TYPE:", sizes) by key; null when not found. With no_dwarf they come
 * through layout_type_offset with the tables forced, and a failure's message goes to
 * "field_errors".
 */
static void print_fields(struct gobin *b, const char **fields, int n, bool no_dwarf)
{
	static struct gs_err errv[MAX_ARGS];
	bool failed[MAX_ARGS] = { 0 };
	int i, nerr = 0;

	printf(", \"fields\": {");
	for (i = 0; i < n; i++) {
		char type[256];
		const char *colon = strchr(fields[i], ':');
		const char *member;
		uint64_t off;
		int ret;

		printf("%s", i ? ", " : "");
		json_str(fields[i]);
		if (!colon || (size_t)(colon - fields[i]) >= sizeof(type)) {
			printf(": null");
			continue;
		}
		snprintf(type, sizeof(type), "%.*s", (int)(colon - fields[i]), fields[i]);
		member = colon[1] ? colon + 1 : NULL;
		if (no_dwarf) {
			ret = layout_type_offset(b, type, member, &off, &errv[i]);
			failed[i] = ret;
		} else if (member) {
			ret = gobin__field_offset(b, type, member, &off);
		} else {
			ret = gobin__type_size(b, type, &off);
		}
		if (ret)
			printf(": null");
		else
			printf(": %llu", (unsigned long long)off);
	}
	printf("}, \"field_errors\": {");
	for (i = 0; i < n; i++) {
		if (!failed[i])
			continue;
		printf("%s", nerr++ ? ", " : "");
		json_str(fields[i]);
		printf(": {\"code\": %d, \"message\": ", errv[i].code);
		json_str(errv[i].msg);
		printf("}");
	}
	printf("}");
}

/* "layout_needs": what layout.c needs from struct types for this release. */
static void print_needs(int minor)
{
	struct layout_need need[MAX_ARGS];
	size_t i, n = layout_needs(minor, need, MAX_ARGS);

	if (n > MAX_ARGS) {
		fprintf(stderr, "gobin_dump: layout needs %zu entries, more than %d\n", n, MAX_ARGS);
		exit(1);
	}
	printf(", \"layout_needs\": [");
	for (i = 0; i < n; i++) {
		printf("%s{\"kind\": \"%s\", \"type\": ", i ? ", " : "",
		       need[i].member ? "field" : "size");
		json_str(need[i].type);
		printf(", \"member\": ");
		if (need[i].member)
			json_str(need[i].member);
		else
			printf("null");
		printf("}");
	}
	printf("]");
}

/*
 * "resolve": layout_resolve's result at load bias 0: values by enum rt_field, and what each
 * optional need with a missing row loses.
 */
static void print_resolve(struct gobin *b)
{
	static struct rt_layout rt;
	struct gs_err err = { 0 };
	int i, first = 1;

	printf(", \"resolve\": {\"error\": ");
	if (layout_resolve(b, 0, &rt, &err)) {
		json_str(err.msg);
		printf(", \"code\": %d, \"values\": {}}", err.code);
		return;
	}
	printf("null, \"code\": 0, \"values\": {");
	for (i = 0; i < RT_NR_FIELDS; i++) {
		if (!rt.have[i])
			continue;
		printf("%s\"%d\": %llu", first ? "" : ", ", i, (unsigned long long)rt.v[i]);
		first = 0;
	}
	/* Each optional need with a row missing: what it loses, and why. */
	printf("}, \"missing\": [");
	for (i = 0, first = 1; i < NEED_NR; i++) {
		const struct gs_err *why = layout_missing(&rt, (enum rt_need)i);

		if (!why)
			continue;
		printf("%s{\"loss\": ", first ? "" : ", ");
		json_str(layout_need_loss((enum rt_need)i));
		printf(", \"why\": ");
		json_str(why->msg);
		printf("}");
		first = 0;
	}
	printf("]}");
}

/* "rets": RET offsets by function; null when it is missing or does not decode. */
static void print_rets(struct gobin *b, const char **fns, int n)
{
	static uint64_t offs[4096];
	int i;

	printf(", \"rets\": {");
	for (i = 0; i < n; i++) {
		size_t j, nrets;

		printf("%s", i ? ", " : "");
		json_str(fns[i]);
		if (gobin__rets(b, fns[i], offs, sizeof(offs) / sizeof(offs[0]), &nrets)) {
			printf(": null");
			continue;
		}
		printf(": [");
		for (j = 0; j < nrets; j++)
			printf("%s%llu", j ? ", " : "", (unsigned long long)offs[j]);
		printf("]");
	}
	printf("}");
}

/* "bodies": offset past the stack check by function; null when missing or undecodable. */
static void print_bodies(struct gobin *b, const char **fns, int n)
{
	int i;

	printf(", \"bodies\": {");
	for (i = 0; i < n; i++) {
		uint64_t off;

		printf("%s", i ? ", " : "");
		json_str(fns[i]);
		if (gobin__after_stack_check(b, fns[i], &off))
			printf(": null");
		else
			printf(": %llu", (unsigned long long)off);
	}
	printf("}");
}

/* "globals": address and size by name, null when not found; timed as a whole. */
static void print_globals(struct gobin *b, const char **names, int n, bool recover_only)
{
	struct timespec t0, t1;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf(", \"globals\": {");
	for (i = 0; i < n; i++) {
		struct gobin_recovered r = { 0 };
		uint64_t addr, size;
		int ret;

		printf("%s", i ? ", " : "");
		json_str(names[i]);
		if (recover_only) {
			ret = gobin__global_recover(b, names[i], &r);
			addr = r.addr;
			size = r.size;
		} else {
			ret = gobin__global(b, names[i], &addr, &size);
		}
		if (ret) {
			printf(": null");
			continue;
		}
		printf(": {\"addr\": %llu, \"size\": %llu", (unsigned long long)addr,
		       (unsigned long long)size);
		if (recover_only)
			printf(", \"recipes\": %u, \"agreed\": %u", r.recipes, r.agreed);
		printf("}");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("}, \"globals_us\": %lld",
	       (long long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
}

static void print_pclines(struct gobin *b, const uint64_t *pcs, int n)
{
	int i;

	printf(", \"pclines\": {");
	for (i = 0; i < n; i++) {
		const char *file;
		int line;

		printf("%s\"%llu\": ", i ? ", " : "", (unsigned long long)pcs[i]);
		if (gobin__pc_line(b, pcs[i], &file, &line)) {
			printf("null");
			continue;
		}
		printf("{\"file\": ");
		json_str(file);
		printf(", \"line\": %d}", line);
	}
	printf("}");
}

static void print_go_targets(struct gobin *b, const char **fns, int n)
{
	int i;

	printf(", \"go_targets\": {");
	for (i = 0; i < n; i++) {
		struct gobin_gotarget t;
		uint64_t entry, end;
		const char *file = NULL;
		int rc, line = 0;

		printf("%s", i ? ", " : "");
		json_str(fns[i]);
		if (gobin__func(b, fns[i], &entry, &end)) {
			printf(": null");
			continue;
		}
		rc = gobin__go_target_of(b, entry, &t);
		printf(": {\"rc\": %d, \"name\": ", rc);
		if (rc) {
			printf("null}");
			continue;
		}
		json_str(t.name);
		printf(", \"inlined\": %s, \"file\": ", t.inlined ? "true" : "false");
		if (gobin__pc_line(b, t.pc, &file, &line))
			printf("null");
		else
			json_str(file);
		printf(", \"line\": %d}", line);
	}
	printf("}");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sym", required_argument, NULL, 's' },
		{ "field", required_argument, NULL, 'f' },
		{ "setting", required_argument, NULL, 'k' },
		{ "func", required_argument, NULL, 'F' },
		{ "func-count", no_argument, NULL, 'C' },
		{ "layout-needs", no_argument, NULL, 'L' },
		{ "no-dwarf", no_argument, NULL, 'N' },
		{ "resolve", no_argument, NULL, 'R' },
		{ "rets", required_argument, NULL, 'T' },
		{ "global", required_argument, NULL, 'G' },
		{ "recover-only", no_argument, NULL, 'O' },
		{ "pcline", required_argument, NULL, 'P' },
		{ "body", required_argument, NULL, 'B' },
		{ "go-target", required_argument, NULL, 'W' },
		{ 0 },
	};
	static uint64_t pcs[MAX_PCS];
	int npcs = 0;
	const char *syms[MAX_ARGS], *fields[MAX_ARGS], *keys[MAX_ARGS], *funcs[MAX_ARGS];
	const char *rets[MAX_ARGS], *globals[MAX_ARGS], *bodies[MAX_ARGS], *wraps[MAX_ARGS];
	int nsyms = 0, nfields = 0, nkeys = 0, nfuncs = 0, nrets = 0, nglobals = 0, c, i;
	int nbodies = 0, nwraps = 0;
	bool func_count = false, needs = false, no_dwarf = false, resolve = false;
	bool recover_only = false;
	const char *table_version;
	uint64_t unused;
	struct gs_err err = { 0 };
	struct gobin *b;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's' && nsyms < MAX_ARGS)
			syms[nsyms++] = optarg;
		else if (c == 'f' && nfields < MAX_ARGS)
			fields[nfields++] = optarg;
		else if (c == 'k' && nkeys < MAX_ARGS)
			keys[nkeys++] = optarg;
		else if (c == 'F' && nfuncs < MAX_ARGS)
			funcs[nfuncs++] = optarg;
		else if (c == 'C')
			func_count = true;
		else if (c == 'L')
			needs = true;
		else if (c == 'N')
			no_dwarf = true;
		else if (c == 'R')
			resolve = true;
		else if (c == 'T' && nrets < MAX_ARGS)
			rets[nrets++] = optarg;
		else if (c == 'G' && nglobals < MAX_ARGS)
			globals[nglobals++] = optarg;
		else if (c == 'O')
			recover_only = true;
		else if (c == 'P' && npcs < MAX_PCS)
			pcs[npcs++] = strtoull(optarg, NULL, 0);
		else if (c == 'B' && nbodies < MAX_ARGS)
			bodies[nbodies++] = optarg;
		else if (c == 'W' && nwraps < MAX_ARGS)
			wraps[nwraps++] = optarg;
		else
			return 2;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: gobin_dump [--sym N]... [--func N]... [--func-count] "
			"[--field T:P]... [--setting K]... [--layout-needs] [--no-dwarf] "
			"[--resolve] [--rets FN]... [--global N]... [--recover-only] "
			"[--pcline ADDR]... [--body FN]... [--go-target FN]... BINARY\n");
		return 2;
	}
	layout_test_force_tables(no_dwarf);
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
	layout_table_lookup(gobin__version(b)->minor, "", NULL, &unused, &table_version);
	printf(", \"layout_table\": ");
	if (table_version)
		json_str(table_version);
	else
		printf("null");
	print_fields(b, fields, nfields, no_dwarf);
	if (needs)
		print_needs(gobin__version(b)->minor);
	if (resolve)
		print_resolve(b);
	if (nrets)
		print_rets(b, rets, nrets);
	if (nbodies)
		print_bodies(b, bodies, nbodies);
	if (nglobals)
		print_globals(b, globals, nglobals, recover_only);
	if (npcs)
		print_pclines(b, pcs, npcs);
	if (nwraps)
		print_go_targets(b, wraps, nwraps);
	printf("}\n");
	gobin__free(b);
	return 0;
}
