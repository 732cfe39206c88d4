// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"
#include "format/ident.h"
#include "format/json.h"
#include "format/ps.h"

static int cmp_pid(const void *a, const void *b)
{
	return ((const struct ps_row *)a)->pid - ((const struct ps_row *)b)->pid;
}

void ps_sort(struct ps_row *rows, size_t n)
{
	if (n)
		qsort(rows, n, sizeof(*rows), cmp_pid);
}

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

/* Where the runtime is: "exe", or the name of the library (or ld.so's program) holding it. */
static const char *runtime_of(const struct ps_row *r)
{
	const char *base = strrchr(r->object, '/');

	return !r->object[0] ? "exe" : base ? base + 1 : r->object;
}

static const char *pod_of(const struct ps_row *r, char *buf, size_t len)
{
	if (identity_known(r->ident) && r->ident->pod[0])
		snprintf(buf, len, "%s/%s", r->ident->namespace[0] ? r->ident->namespace : "?",
			 r->ident->pod);
	else
		snprintf(buf, len, "-");
	return buf;
}

/*
 * GO is at least as wide as "go1.25.12" needs (the table most machines show), and wider when a
 * version is longer: a GOEXPERIMENT build says so in its version ("go1.26.11-X:nogreenteagc").
 */
#define PS_GO_MIN_WIDTH	12

void ps_print(FILE *f, const struct ps_row *rows, size_t n)
{
	int wc = (int)strlen("CONTAINER"), wp = (int)strlen("POD"), wr = (int)strlen("RUNTIME");
	int wg = PS_GO_MIN_WIDTH;
	char ctr[260], pod[520];
	size_t i;

	/* Every column a value can overflow is as wide as its widest value. */
	for (i = 0; i < n; i++) {
		int c = (int)strlen(identity_short(rows[i].ident, ctr, sizeof(ctr)));
		int p = (int)strlen(pod_of(&rows[i], pod, sizeof(pod)));
		int o = (int)strlen(runtime_of(&rows[i]));
		int g = (int)strlen(rows[i].version);

		wc = c > wc ? c : wc;
		wp = p > wp ? p : wp;
		wr = o > wr ? o : wr;
		wg = g > wg ? g : wg;
	}
	fprintf(f, "%7s  %-16s %-*s %-4s %-8s %-4s %-*s %-*s %-*s %s\n", "PID", "COMM", wg, "GO",
		"PIE", "STRIPPED", "CGO", wr, "RUNTIME", wc, "CONTAINER", wp, "POD", "ATTACH");
	for (i = 0; i < n; i++)
		fprintf(f, "%7d  %-16s %-*s %-4s %-8s %-4s %-*s %-*s %-*s %s\n", rows[i].pid,
			rows[i].comm, wg, rows[i].version, yes_no(rows[i].pie),
			yes_no(rows[i].stripped), yes_no(rows[i].cgo), wr, runtime_of(&rows[i]), wc,
			identity_short(rows[i].ident, ctr, sizeof(ctr)), wp,
			pod_of(&rows[i], pod, sizeof(pod)), rows[i].attach);
}

int ps_print_json(FILE *f, const struct ps_row *rows, size_t n)
{
	struct json j = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ps_row *r = &rows[i];

		json_begin(&j);
		json_i64(&j, "pid", r->pid);
		if (r->nspid)
			json_i64(&j, "nspid", r->nspid);
		json_str(&j, "comm", r->comm);
		json_str(&j, "go_version", r->version);
		json_bool(&j, "pie", r->pie);
		json_bool(&j, "stripped", r->stripped);
		json_bool(&j, "cgo", r->cgo);
		if (r->object[0])
			json_str(&j, "runtime_object", r->object);
		json_bool(&j, "attachable", r->attachable);
		if (!r->attachable)
			json_str(&j, "reason", r->attach + (strncmp(r->attach, "no: ", 4) ? 0 : 4));
		ident_json(&j, r->ident);
		if (json_end(&j)) {
			json_free(&j);
			return -1;
		}
		fwrite(j.b.data, 1, j.b.len, f);
	}
	json_free(&j);
	return 0;
}
