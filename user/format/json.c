// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format/json.h"
#include "format/utf8.h"
#include "util/units.h"

static void put(struct json *j, const char *s, size_t n)
{
	buf_put(&j->b, s, n);
}

void json_put_string(struct json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	put(j, "\"", 1);
	while (*p) {
		size_t n = utf8_seq_len(p);

		if (*p == '"' || *p == '\\') {
			put(j, "\\", 1);
			put(j, (const char *)p, 1);
		} else if (*p == '\n') {
			put(j, "\\n", 2);
		} else if (*p == '\t') {
			put(j, "\\t", 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(&j->b, "\\u%04x", *p);
		} else if (n) {
			put(j, (const char *)p, n);
			p += n;
			continue;
		} else {
			put(j, UTF8_REPLACEMENT, 3);
		}
		p++;
	}
	put(j, "\"", 1);
}

/* The comma and key in front of a member or element. */
static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	if (key) {
		json_put_string(j, key);
		put(j, ":", 1);
	}
}

static void open_level(struct json *j, const char *key, const char *bracket)
{
	member(j, key);
	put(j, bracket, 1);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->first[++j->depth] = true;
	else
		j->b.oom = true;	/* deeper than any record goes: a bug, never emitted */
}

static void close_level(struct json *j, const char *bracket)
{
	put(j, bracket, 1);
	if (j->depth > 0)
		j->depth--;
}

void json_begin(struct json *j)
{
	buf_reset(&j->b);
	j->depth = 0;
	j->first[0] = true;
	put(j, "{", 1);
	j->first[++j->depth] = true;
}

int json_end(struct json *j)
{
	bool unbalanced = j->depth != 1;

	put(j, "}\n", 2);
	j->depth = 0;
	return j->b.oom || unbalanced ? -1 : 0;
}

void json_free(struct json *j)
{
	buf_free(&j->b);
	memset(j, 0, sizeof(*j));
}

void json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	if (val)
		json_put_string(j, val);
	else
		put(j, "null", 4);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	buf_printf(&j->b, "%llu", (unsigned long long)v);
}

void json_i64(struct json *j, const char *key, int64_t v)
{
	member(j, key);
	buf_printf(&j->b, "%lld", (long long)v);
}

void json_f64(struct json *j, const char *key, double v)
{
	char num[40];

	member(j, key);
	if (isfinite(v)) {
		units_shortest_double(num, sizeof(num), v);
		put(j, num, strlen(num));
	} else {
		put(j, "null", 4);
	}
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	put(j, "null", 4);
}

void json_number(struct json *j, const char *key, const char *text)
{
	member(j, key);
	put(j, text, strlen(text));
}

void json_obj_open(struct json *j, const char *key)
{
	open_level(j, key, "{");
}

void json_obj_close(struct json *j)
{
	close_level(j, "}");
}

void json_arr_open(struct json *j, const char *key)
{
	open_level(j, key, "[");
}

void json_arr_close(struct json *j)
{
	close_level(j, "]");
}
