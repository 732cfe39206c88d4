// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * .go.buildinfo: the Go version and the build settings the go command recorded. Layout: a 32-byte
 * header ("\xff Go buildinf:", pointer size, flags) followed, since Go 1.18 (flag bit 1), by two
 * varint-length-prefixed strings: the version and the module info. Older binaries store two
 * pointers to Go string headers instead; those are followed through the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gobin/internal.h"

int go_version_parse(const char *s, struct go_version *v)
{
	const char *p = strstr(s, "go1.");
	char *end;
	long minor, patch = 0;

	memset(v, 0, sizeof(*v));
	snprintf(v->str, sizeof(v->str), "%s", s);
	if (!p)
		return -1;
	minor = strtol(p + 4, &end, 10);
	if (end == p + 4)
		return -1;
	if (*end == '.')
		patch = strtol(end + 1, NULL, 10);
	v->major = 1;
	v->minor = (int)minor;
	v->patch = (int)patch;
	return 0;
}

/* Decode an unsigned LEB128 varint; returns bytes used, 0 on overrun. */
static size_t uvarint(const unsigned char *p, size_t avail, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < avail && i < 10; i++) {
		x |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*out = x;
			return i + 1;
		}
	}
	return 0;
}

/*
 * Read a Go string {ptr, len} stored at vaddr (pre-1.18 layout) into *out, which the caller frees.
 * Returns 0, -EIO when the file does not hold it, or -ENOMEM.
 */
static int read_go_string(const struct gobin *b, uint64_t vaddr, char **out)
{
	uint64_t hdr[2];
	char *s;

	*out = NULL;
	if (gobin_read_vaddr(b, vaddr, hdr, sizeof(hdr)) || hdr[1] > (1 << 20))
		return -EIO;
	s = calloc(1, hdr[1] + 1);
	if (!s)
		return -ENOMEM;
	if (gobin_read_vaddr(b, hdr[0], s, hdr[1])) {
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

/*
 * The go command writes a key or value that contains spaces, quotes or '=' as a Go quoted string
 * (strconv.Quote); undo that. Escapes other than \\, \" and \n/\t/\r/\xNN stay as written.
 */
static char *unquote(const char *s, size_t len)
{
	char *out, *o;
	size_t i;

	if (len < 2 || s[0] != '"' || s[len - 1] != '"')
		return strndup(s, len);
	out = o = malloc(len);
	if (!out)
		return NULL;
	for (i = 1; i + 1 < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 2 < len) {
			char e = s[++i];

			if (e == 'n')
				c = '\n';
			else if (e == 't')
				c = '\t';
			else if (e == 'r')
				c = '\r';
			else if (e == 'x' && i + 3 < len) {
				char hex[3] = { s[i + 1], s[i + 2], 0 };

				c = (char)strtol(hex, NULL, 16);
				i += 2;
			} else
				c = e;
		}
		*o++ = c;
	}
	*o = 0;
	return out;
}

/* Returns 0, or -1 when out of memory; b->settings then holds only complete entries. */
static int add_setting(struct gobin *b, const char *k, size_t klen, const char *v, size_t vlen)
{
	struct gobin_setting *ns = realloc(b->settings, (b->nsettings + 1) * sizeof(*ns));
	char *key, *value;

	if (!ns)
		return -1;
	b->settings = ns;
	key = unquote(k, klen);
	value = unquote(v, vlen);
	if (!key || !value) {
		free(key);
		free(value);
		return -1;
	}
	ns[b->nsettings++] = (struct gobin_setting){ key, value };
	return 0;
}

/* Module info lines look like "build\tKEY=VALUE"; keep the build settings. */
static int parse_modinfo(struct gobin *b, const char *mod, size_t len, struct gs_err *err)
{
	const char *p = mod, *end = mod + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if (eol - p > 6 && !strncmp(p, "build\t", 6)) {
			const char *kv = p + 6;
			const char *eq = memchr(kv, '=', (size_t)(eol - kv));

			if (eq && add_setting(b, kv, (size_t)(eq - kv), eq + 1,
					      (size_t)(eol - eq - 1)))
				return gs_fail(err, GS_EXIT_ERROR, "out of memory");
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

size_t gobin__buildinfo_version(const unsigned char *d, size_t size, char *vers, size_t len)
{
	size_t pos = GO_BUILDINFO_HDR_LEN, n;
	uint64_t vlen;

	if (size < pos)
		return 0;
	n = uvarint(d + pos, size - pos, &vlen);
	if (!n || vlen >= len || vlen > size - pos - n)
		return 0;
	memcpy(vers, d + pos + n, vlen);
	vers[vlen] = 0;
	return pos + n + vlen;
}

static int parse_inline(struct gobin *b, const unsigned char *d, size_t size, struct gs_err *err)
{
	size_t pos, n;
	uint64_t len;
	char vers[sizeof(b->version.str)];

	pos = gobin__buildinfo_version(d, size, vers, sizeof(vers));
	if (!pos)
		return gs_fail(err, GS_EXIT_NOT_GO, "corrupt Go build info (version)");
	go_version_parse(vers, &b->version);
	n = uvarint(d + pos, size - pos, &len);
	/* len is any 64-bit value: compare it with what is left, never add it to an offset. */
	if (!n || len > size - pos - n)
		return 0;	/* no module info: settings unknown, version is enough */
	return parse_modinfo(b, (const char *)d + pos + n, len, err);
}

static int parse_pointers(struct gobin *b, const unsigned char *d, size_t size,
			  struct gs_err *err)
{
	uint64_t vptr, mptr;
	char *vers, *mod;
	int ret;

	if (d[14] != 8 || size < 16 + 16)
		return gs_fail(err, GS_EXIT_NOT_GO, "unsupported Go build info (pointer size %u)",
			       d[14]);
	memcpy(&vptr, d + 16, 8);
	memcpy(&mptr, d + 24, 8);
	ret = read_go_string(b, vptr, &vers);
	if (ret == -ENOMEM)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	if (ret)
		return gs_fail(err, GS_EXIT_NOT_GO, "corrupt Go build info (version pointer)");
	go_version_parse(vers, &b->version);
	free(vers);
	ret = read_go_string(b, mptr, &mod);
	if (ret == -ENOMEM)
		return gs_fail(err, GS_EXIT_ERROR, "out of memory");
	/* As in the inline layout, no module info leaves the settings unknown. */
	if (ret)
		return 0;
	ret = parse_modinfo(b, mod, strlen(mod), err);
	free(mod);
	return ret;
}

/*
 * A file without section headers (sstrip, or a loader that drops them): the build info is where
 * the linker put it, 16-byte aligned in a loadable segment. The first candidate that parses.
 */
static bool buildinfo_scan(struct gobin *b, const unsigned char **d, size_t *size)
{
	const unsigned char *raw;
	size_t rawsize, nscn, i;
	struct gs_err ignored;

	if (elf_getshdrnum(b->elf, &nscn) || nscn)
		return false;
	raw = (const unsigned char *)elf_rawfile(b->elf, &rawsize);
	for (i = 0; raw && i < b->nsegs; i++) {
		uint64_t off = (b->segs[i].offset + GO_BUILDINFO_ALIGN - 1) &
			       ~(uint64_t)(GO_BUILDINFO_ALIGN - 1);
		uint64_t end = b->segs[i].offset + b->segs[i].filesz;

		for (end = end < rawsize ? end : rawsize; off + GO_BUILDINFO_HDR_LEN <= end;
		     off += GO_BUILDINFO_ALIGN) {
			const unsigned char *p = raw + off;

			if (memcmp(p, GO_BUILDINFO_MAGIC, GO_BUILDINFO_MAGIC_LEN) || p[14] != 8)
				continue;
			memset(&b->version, 0, sizeof(b->version));
			if (!((p[15] & GO_BUILDINFO_INLINE) ? parse_inline(b, p, end - off, &ignored) :
				parse_pointers(b, p, end - off, &ignored)) && b->version.minor) {
				gobin_buildinfo_free(b);	/* parsed again by the caller */
				*d = p;
				*size = end - off;
				return true;
			}
			gobin_buildinfo_free(b);
		}
	}
	return false;
}

int gobin_buildinfo_read(struct gobin *b, struct gs_err *err)
{
	Elf_Data *data = gobin_section(b, ".go.buildinfo", NULL);
	const unsigned char *d;
	size_t size;
	int ret;

	if (data && data->d_buf && data->d_size >= GO_BUILDINFO_HDR_LEN &&
	    !memcmp(data->d_buf, GO_BUILDINFO_MAGIC, GO_BUILDINFO_MAGIC_LEN)) {
		d = data->d_buf;
		size = data->d_size;
	} else if (!buildinfo_scan(b, &d, &size)) {
		if (gobin_section(b, ".gopclntab", NULL) ||
		    gobin__sym(b, "runtime.buildVersion", NULL, NULL) == 0)
			return gs_fail(err, GS_EXIT_GO_VERSION,
				       "Go binary without build info (Go older than 1.13); "
				       "goscope supports Go 1.19 and newer");
		return gs_fail(err, GS_EXIT_NOT_GO, "not a Go program (no .go.buildinfo section)");
	}
	if (d[15] & GO_BUILDINFO_INLINE)
		ret = parse_inline(b, d, size, err);
	else
		ret = parse_pointers(b, d, size, err);
	if (ret)
		return ret;
	if (!b->version.minor)
		return gs_fail(err, GS_EXIT_GO_VERSION, "cannot parse the Go version \"%s\"",
			       b->version.str);
	b->has_pkg_runtime_cgo = gobin__sym(b, "x_cgo_init", NULL, NULL) == 0;
	return 0;
}

void gobin_buildinfo_free(struct gobin *b)
{
	size_t i;

	for (i = 0; i < b->nsettings; i++) {
		free(b->settings[i].key);
		free(b->settings[i].value);
	}
	free(b->settings);
	b->settings = NULL;
	b->nsettings = 0;
}
