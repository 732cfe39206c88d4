// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Struct member offsets from DWARF (libdw handles compressed sections and DWARF 4 and 5). The
 * top-level struct types of every compilation unit are indexed once, by name, on first use.
 */
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include "gobin/internal.h"

struct gobin_struct {
	const char *name;
	Dwarf_Off die;
};

static int cmp_struct(const void *a, const void *b)
{
	const struct gobin_struct *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int index_cu(struct gobin *b, Dwarf_Die *cu, size_t *cap)
{
	Dwarf_Die die;
	int rc = dwarf_child(cu, &die);

	while (rc == 0) {
		const char *name;

		if (dwarf_tag(&die) == DW_TAG_structure_type && (name = dwarf_diename(&die))) {
			if (b->nstructs == *cap) {
				size_t ncap = *cap ? *cap * 2 : 1024;
				struct gobin_struct *ns = realloc(b->structs, ncap * sizeof(*ns));

				if (!ns)
					return -1;
				b->structs = ns;
				*cap = ncap;
			}
			b->structs[b->nstructs++] =
				(struct gobin_struct){ name, dwarf_dieoffset(&die) };
		}
		rc = dwarf_siblingof(&die, &die);
	}
	return rc < 0 ? -1 : 0;
}

static int load_dwarf(struct gobin *b)
{
	Dwarf_Off off = 0, next;
	size_t hsize, cap = 0;

	b->dwarf_tried = true;
	if (!b->has_dwarf_sections)
		return -1;
	b->dwarf = dwarf_begin_elf(b->elf, DWARF_C_READ, NULL);
	if (!b->dwarf)
		return -1;
	while (dwarf_nextcu(b->dwarf, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(b->dwarf, off + hsize, &cu) && index_cu(b, &cu, &cap))
			return -1;
		off = next;
	}
	/* Without struct types, structs is still NULL, which qsort must not be given. */
	if (b->nstructs)
		qsort(b->structs, b->nstructs, sizeof(*b->structs), cmp_struct);
	return 0;
}

void gobin_dwarf_free(struct gobin *b)
{
	free(b->structs);
	b->structs = NULL;
	b->nstructs = 0;
	if (b->dwarf)
		dwarf_end(b->dwarf);
	b->dwarf = NULL;
}

/* Longest typedef/qualifier chain followed; a corrupt file can make one that loops. */
#define MAX_TYPE_CHAIN	32

/* Follow DW_AT_type through typedefs and qualifiers to the underlying type. */
static int member_type(Dwarf_Die *member, Dwarf_Die *type)
{
	Dwarf_Attribute attr;
	int hops = 0;

	if (!dwarf_attr_integrate(member, DW_AT_type, &attr) || !dwarf_formref_die(&attr, type))
		return -1;
	while (dwarf_tag(type) == DW_TAG_typedef || dwarf_tag(type) == DW_TAG_const_type ||
	       dwarf_tag(type) == DW_TAG_volatile_type) {
		if (++hops > MAX_TYPE_CHAIN)
			return -1;
		if (!dwarf_attr_integrate(type, DW_AT_type, &attr) ||
		    !dwarf_formref_die(&attr, type))
			return -1;
	}
	return 0;
}

static int find_member(Dwarf_Die *st, const char *name, size_t len, Dwarf_Die *out,
		       uint64_t *off)
{
	Dwarf_Die m;
	int rc = dwarf_child(st, &m);

	while (rc == 0) {
		const char *mname = dwarf_diename(&m);

		if (dwarf_tag(&m) == DW_TAG_member && mname && strlen(mname) == len &&
		    !strncmp(mname, name, len)) {
			Dwarf_Attribute attr;
			Dwarf_Word loc;

			if (!dwarf_attr(&m, DW_AT_data_member_location, &attr) ||
			    dwarf_formudata(&attr, &loc))
				return -1;
			*off = loc;
			*out = m;
			return 0;
		}
		rc = dwarf_siblingof(&m, &m);
	}
	return -1;
}

/* The DWARF entry of a top-level struct type, by name. */
static int find_struct(struct gobin *b, const char *type, Dwarf_Die *st)
{
	struct gobin_struct key = { .name = type }, *s;

	if (!b->dwarf_tried && load_dwarf(b))
		return -1;
	if (!b->dwarf || !b->nstructs)
		return -1;
	s = bsearch(&key, b->structs, b->nstructs, sizeof(*b->structs), cmp_struct);
	if (!s || !dwarf_offdie(b->dwarf, s->die, st))
		return -1;
	return 0;
}

int gobin__type_size(struct gobin *b, const char *type, uint64_t *size)
{
	Dwarf_Die st;
	Dwarf_Attribute attr;
	Dwarf_Word sz;

	if (find_struct(b, type, &st) || !dwarf_attr(&st, DW_AT_byte_size, &attr) ||
	    dwarf_formudata(&attr, &sz))
		return -1;
	*size = sz;
	return 0;
}

int gobin__field_offset(struct gobin *b, const char *type, const char *path, uint64_t *off)
{
	Dwarf_Die st, member;
	uint64_t total = 0;
	const char *p = path;

	if (find_struct(b, type, &st))
		return -1;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		uint64_t moff;

		if (find_member(&st, p, len, &member, &moff))
			return -1;
		total += moff;
		if (!dot)
			break;
		if (member_type(&member, &st) || dwarf_tag(&st) != DW_TAG_structure_type)
			return -1;
		p = dot + 1;
	}
	*off = total;
	return 0;
}
