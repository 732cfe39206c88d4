/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The protobuf wire format by hand (protobuf.dev/programming-guides/encoding): the few primitives
 * the pprof and OTLP encoders need, written into a struct buf, and a reader for the small
 * messages a receiver answers with. A failed allocation makes the buffer's oom sticky and every
 * later call a no-op; the encoder checks oom once, at the end.
 */
#ifndef GS_FORMAT_PROTOBUF_H
#define GS_FORMAT_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

/* Wire types. */
enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

#define PB_MAX_VARINT	10

/* The varint encoding of v into out (PB_MAX_VARINT bytes of room); returns its length. */
size_t pb_varint(uint8_t *out, uint64_t v);

void pb_put_varint(struct buf *b, uint64_t v);
void pb_put_tag(struct buf *b, int field, enum pb_wire wire);

/* A varint field, left out when 0 (proto3's default); int64 values go as two's complement. */
void pb_put_uint(struct buf *b, int field, uint64_t v);
/* A length-delimited field: bytes, or a string (pb_put_str leaves an empty one out). */
void pb_put_bytes(struct buf *b, int field, const void *data, size_t n);
void pb_put_str(struct buf *b, int field, const char *s);
/* fixed64, sfixed64 and double fields, always written: they may be one case of a oneof. */
void pb_put_fixed64(struct buf *b, int field, uint64_t v);
void pb_put_double(struct buf *b, int field, double v);

/*
 * A length-delimited field whose length is not known yet (a message or a packed array):
 * pb_open leaves room for the longest varint and returns where; pb_close writes the length
 * and moves the body back over the room it did not need.
 */
size_t pb_open(struct buf *b, int field);
void pb_close(struct buf *b, size_t at);

/* Reading: the fields of one message, in order. */
struct pb_reader {
	const uint8_t *p, *end;
};

struct pb_field {
	int num;
	enum pb_wire wire;
	uint64_t v;			/* PB_VARINT, PB_I64, PB_I32: the value */
	const uint8_t *data;		/* PB_LEN: the bytes (a string, or a message to read) */
	size_t len;
};

static inline struct pb_reader pb_reader(const void *data, size_t len)
{
	return (struct pb_reader){ data, (const uint8_t *)data + len };
}

/* The next field into *f: 1, or 0 at the end of the message, or -EBADMSG when malformed. */
int pb_next(struct pb_reader *r, struct pb_field *f);

#endif
