/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * goscope record's JSON lines: every record kind of the schema goscope.record/3
 * (docs/record.schema.json, explained in docs/record.md), built here and handed, one complete
 * line at a time, to whoever writes them.
 */
#ifndef GS_FORMAT_RECORD_H
#define GS_FORMAT_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "engine/engine.h"
#include "format/json.h"

#define RECORD_SCHEMA	"goscope.record/3"

/* Write one line: j->b holds it, newline included. */
typedef void record_emit_fn(void *ctx, const struct json *j);

struct record_out {
	struct json j;
	char host[256];
	uint64_t interval_ns;		/* the sampling interval, as attach records state it */
	bool stw;			/* the stop-the-world probes were asked for */
	uint64_t start_mono;		/* sched lines count their milliseconds from here */
	record_emit_fn *emit;
	void *emit_ctx;
};

/* Fill in the host name and the start; emit gets every line. */
void record_out_init(struct record_out *r, uint64_t interval_ns, bool stw, record_emit_fn *emit,
		     void *emit_ctx);
void record_out_free(struct record_out *r);

/* The engine sink that writes every event of every process it watches as record lines. */
struct engine_sink record_sink(struct record_out *r);

#endif
