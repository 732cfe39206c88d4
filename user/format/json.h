/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One JSON object at a time, built in memory so that it can be written with a single write(2):
 * a reader never sees half a line. Strings are escaped per RFC 8259 and made valid UTF-8;
 * non-finite numbers become null. Nesting is tracked so commas come out right.
 */
#ifndef GS_OUT_JSON_H
#define GS_OUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

#define JSON_MAX_DEPTH 8

struct json {
	struct buf b;			/* b.oom: an allocation failed, the object is incomplete */
	int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet at this level */
};

/* Start a new top-level object (the buffer is reused). */
void json_begin(struct json *j);
/* Close the top-level object and add the newline. Returns 0, or -1 when out of memory. */
int json_end(struct json *j);
void json_free(struct json *j);

/* Members of the current object (key) or elements of the current array (key NULL). */
void json_str(struct json *j, const char *key, const char *val);	/* NULL: null */
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_f64(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* A number already formatted (exact integers beyond 2^53 included). */
void json_number(struct json *j, const char *key, const char *text);

void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);

/* Append s as a JSON string literal (quotes included) to any json buffer. */
void json_put_string(struct json *j, const char *s);

#endif
