// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every JSON writer of goscope fed values the runtime can hold but JSON cannot (NaN, ±Inf as a
 * float64), and strings JSON must escape: stat --json's object and every kind of record line,
 * one JSON text per line on stdout. tests/unit/test_unit_json.py parses each with a strict
 * parser (no NaN, no Infinity) and checks where the non-finite values went.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/identity.h"
#include "engine/engine_int.h"
#include "format/record.h"
#include "format/stat.h"

static void write_line(void *ctx, const struct json *j)
{
	fwrite(j->b.data, 1, j->b.len, stdout);
}

int main(void)
{
	struct entry *x = calloc(1, sizeof(*x));
	struct watched *w = &x->pub;
	struct record_out out;
	struct engine_sink sink;
	struct stat_report r = { 0 };
	struct gs_gc_end e = { 0 };
	struct gs_stw s = { 0 };
	const struct gc_cycle *c;
	uint64_t st = 0;
	double nan = NAN;
	/* Names come from files on the node: anything a runtime or a pod spec lets through. */
	static struct identity id = {
		.id = "a702bb6705b95adb9d8376e24e32b231193c7bd4547ca174d1fb5f798cf809bf",
		.runtime = CTR_CRIO,
		.name = "ctr\"\x02\xfe",
		.pod = "p\\od\n",
		.namespace = "ns",
		.pod_uid = "7d9e2b41-33c0-4f1a-b6a8-0e5c2f9d1b47",
	};

	w->pid = 4242;
	snprintf(w->comm, sizeof(w->comm), "we\"ird\\\x01\xff");
	snprintf(w->version, sizeof(w->version), "go1.27.4");
	w->minor = 27;
	w->exe = "/tmp/a \"quoted\"\npath";
	w->ident = &id;
	w->nspid = 7;
	w->state = WS_LIVE;
	w->model = calloc(1, sizeof(*w->model));
	model__init(w->model, 27);
	w->model->probed = true;
	w->cur.ok = true;
	w->cur.mono_ns = 1000000000;
	w->cur.gc_cpu_fraction = NAN;
	w->cur.wait_reason[7] = 3;	/* no name table: "reason 7" */
	w->nsamples = 2;
	memcpy(&e.gc_cpu_fraction_bits, &nan, sizeof(nan));
	e.numgc = 1;
	e.maxprocs = 2;
	e.stwprocs = 2;
	e.hdr.ktime_ns = 900000000;
	c = model__add_gc(w->model, &e);
	s.hdr.ktime_ns = 950000000;
	s.duration_ns = 1000;
	s.reason = 99;
	model__add_stw(w->model, &s);

	/* stat --json, with non-finite rates. */
	r.w = w;
	r.rates.span_s = 1;
	r.rates.alloc_bytes_per_s = INFINITY;
	r.rates.alloc_objects_per_s = -INFINITY;
	r.rates.gc_per_s = NAN;
	r.rates.gc_cpu_percent = 1e308 * 10;
	r.pauses = true;
	if (stat_print_json(stdout, &r))
		return 1;

	/* Every record kind. */
	record_out_init(&out, 1000000000, true, write_line, NULL);
	sink = record_sink(&out);
	sink.attach(sink.ctx, w, &st);
	sink.gc(sink.ctx, w, &st, c);
	sink.stw(sink.ctx, w, &st, &w->model->stw[(w->model->nstw - 1) % MODEL_STW_RING]);
	sink.sample(sink.ctx, w, &st);
	w->optin[OPTIN_ALLOCS].cpu = NAN;
	snprintf(w->optin[OPTIN_ALLOCS].note, sizeof(w->optin[OPTIN_ALLOCS].note), "tripped \"x\"");
	sink.tripped(sink.ctx, w, &st, OPTIN_ALLOCS);
	sink.lost(sink.ctx, w, &st, 2, 3);
	sink.exit(sink.ctx, w, &st);
	sink.detach(sink.ctx, w, &st);
	record_out_free(&out);
	free(w->model);
	free(x);
	return fflush(stdout) ? 1 : 0;
}
