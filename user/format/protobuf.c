// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "format/protobuf.h"

size_t pb_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

void pb_put_varint(struct buf *b, uint64_t v)
{
	uint8_t tmp[PB_MAX_VARINT];

	buf_put(b, tmp, pb_varint(tmp, v));
}

void pb_put_tag(struct buf *b, int field, enum pb_wire wire)
{
	pb_put_varint(b, (uint64_t)field << 3 | wire);
}

void pb_put_uint(struct buf *b, int field, uint64_t v)
{
	if (!v)
		return;
	pb_put_tag(b, field, PB_VARINT);
	pb_put_varint(b, v);
}

void pb_put_bytes(struct buf *b, int field, const void *data, size_t n)
{
	pb_put_tag(b, field, PB_LEN);
	pb_put_varint(b, n);
	buf_put(b, data, n);
}

void pb_put_str(struct buf *b, int field, const char *s)
{
	if (s && *s)
		pb_put_bytes(b, field, s, strlen(s));
}

/* Little-endian, whatever the host's order. */
void pb_put_fixed64(struct buf *b, int field, uint64_t v)
{
	uint8_t le[8];
	int i;

	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_put_tag(b, field, PB_I64);
	buf_put(b, le, sizeof(le));
}

void pb_put_double(struct buf *b, int field, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	pb_put_fixed64(b, field, bits);
}

size_t pb_open(struct buf *b, int field)
{
	size_t at;

	pb_put_tag(b, field, PB_LEN);
	at = b->len;
	if (buf_reserve(b, PB_MAX_VARINT))
		b->len += PB_MAX_VARINT;
	return at;
}

void pb_close(struct buf *b, size_t at)
{
	size_t body, n;

	if (b->oom)
		return;
	body = b->len - at - PB_MAX_VARINT;
	n = pb_varint((uint8_t *)b->data + at, body);
	memmove(b->data + at + n, b->data + at + PB_MAX_VARINT, body);
	b->len = at + n + body;
	b->data[b->len] = 0;
}

static int get_varint(struct pb_reader *r, uint64_t *v)
{
	int shift;

	*v = 0;
	for (shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		uint8_t c = *r->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -EBADMSG;
}

static int get_fixed(struct pb_reader *r, int n, uint64_t *v)
{
	int i;

	if (r->end - r->p < n)
		return -EBADMSG;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return 0;
}

int pb_next(struct pb_reader *r, struct pb_field *f)
{
	uint64_t key;

	if (r->p >= r->end)
		return 0;
	memset(f, 0, sizeof(*f));
	if (get_varint(r, &key) || !(key >> 3) || key >> 3 > 0x1fffffff)
		return -EBADMSG;
	f->num = (int)(key >> 3);
	f->wire = (enum pb_wire)(key & 7);
	switch (f->wire) {
	case PB_VARINT:
		return get_varint(r, &f->v) ? -EBADMSG : 1;
	case PB_I64:
		return get_fixed(r, 8, &f->v) ? -EBADMSG : 1;
	case PB_I32:
		return get_fixed(r, 4, &f->v) ? -EBADMSG : 1;
	case PB_LEN:
		if (get_varint(r, &f->v) || f->v > (uint64_t)(r->end - r->p))
			return -EBADMSG;
		f->data = r->p;
		f->len = (size_t)f->v;
		r->p += f->len;
		return 1;
	}
	return -EBADMSG;	/* groups (3, 4), 6, 7: in no message read here */
}
