// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The profile.proto message (github.com/google/pprof, proto/profile.proto) written by hand: the
 * schema is small and stable, and a protobuf library would be the biggest dependency goscope has.
 * The whole message is encoded in memory first, so a profile that cannot be encoded leaves the
 * output file alone; then it is gzipped into the file. It stays under 2^32 bytes, which no
 * profile comes near.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "format/pprof_int.h"
#include "format/protobuf.h"

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13, PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
	MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3, MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3, FUNCTION_FILENAME = 4,
};

static void put_value_type(struct buf *b, int field, const uint32_t vt[2])
{
	size_t at = pb_open(b, field);

	pb_put_uint(b, VALUE_TYPE_TYPE, vt[0]);
	pb_put_uint(b, VALUE_TYPE_UNIT, vt[1]);
	pb_close(b, at);
}

static void put_sample(struct buf *b, const struct pprof *p, const struct sample *s)
{
	size_t at = pb_open(b, PROFILE_SAMPLE), packed;
	uint32_t i;
	int t;

	if (s->n) {
		packed = pb_open(b, SAMPLE_LOCATION_ID);
		for (i = 0; i < s->n; i++)
			pb_put_varint(b, p->stacks[s->off + i]);
		pb_close(b, packed);
	}
	if (p->ntypes) {
		packed = pb_open(b, SAMPLE_VALUE);
		for (t = 0; t < p->ntypes; t++)
			pb_put_varint(b, (uint64_t)s->v[t]);
		pb_close(b, packed);
	}
	pb_close(b, at);
}

/*
 * The one mapping, written even when pprof__mapping() was never called: without it pprof invents
 * one that does not say the locations are symbolized, and then complains that it cannot find
 * the binary to symbolize them.
 */
static void put_mapping(struct buf *b, const struct pprof *p)
{
	size_t at = pb_open(b, PROFILE_MAPPING);

	pb_put_uint(b, MAPPING_ID, 1);
	pb_put_uint(b, MAPPING_MEMORY_START, p->map_start);
	pb_put_uint(b, MAPPING_MEMORY_LIMIT, p->map_limit);
	pb_put_uint(b, MAPPING_FILE_OFFSET, p->map_offset);
	pb_put_uint(b, MAPPING_FILENAME, p->map_file);
	pb_put_uint(b, MAPPING_BUILD_ID, p->map_build_id);
	/* Symbolized already: pprof must not look for the binary to symbolize again. */
	pb_put_uint(b, MAPPING_HAS_FUNCTIONS, 1);
	pb_put_uint(b, MAPPING_HAS_FILENAMES, 1);
	pb_put_uint(b, MAPPING_HAS_LINE_NUMBERS, 1);
	pb_close(b, at);
}

static void put_location(struct buf *b, const struct pprof *p, size_t i)
{
	const struct loc *l = &p->locs[i];
	size_t at = pb_open(b, PROFILE_LOCATION), line;

	pb_put_uint(b, LOCATION_ID, i + 1);
	pb_put_uint(b, LOCATION_MAPPING_ID, 1);
	pb_put_uint(b, LOCATION_ADDRESS, l->addr);
	if (l->func) {
		line = pb_open(b, LOCATION_LINE);
		pb_put_uint(b, LINE_FUNCTION_ID, l->func);
		pb_put_uint(b, LINE_LINE, (uint64_t)l->line);
		pb_close(b, line);
	}
	pb_close(b, at);
}

static void put_function(struct buf *b, const struct pprof *p, size_t i)
{
	size_t at = pb_open(b, PROFILE_FUNCTION);

	pb_put_uint(b, FUNCTION_ID, i + 1);
	pb_put_uint(b, FUNCTION_NAME, p->funcs[i].name);
	/* Go's names are not mangled: the system name is the name. */
	pb_put_uint(b, FUNCTION_SYSTEM_NAME, p->funcs[i].name);
	pb_put_uint(b, FUNCTION_FILENAME, p->funcs[i].file);
	pb_close(b, at);
}

static int encode(const struct pprof *p, struct buf *b)
{
	size_t i, at;
	int t;

	for (t = 0; t < p->ntypes; t++)
		put_value_type(b, PROFILE_SAMPLE_TYPE, p->types[t]);
	for (i = 0; i < p->nsamples; i++)
		put_sample(b, p, &p->samples[i]);
	put_mapping(b, p);
	for (i = 0; i < p->nlocs; i++)
		put_location(b, p, i);
	for (i = 0; i < p->nfuncs; i++)
		put_function(b, p, i);
	for (i = 0; i < p->nstrs; i++)
		pb_put_bytes(b, PROFILE_STRING_TABLE, p->strs[i].s, p->strs[i].len);
	pb_put_uint(b, PROFILE_TIME_NANOS, (uint64_t)p->time_nanos);
	pb_put_uint(b, PROFILE_DURATION_NANOS, (uint64_t)p->duration_nanos);
	if (p->period_type[0] || p->period_type[1])
		put_value_type(b, PROFILE_PERIOD_TYPE, p->period_type);
	pb_put_uint(b, PROFILE_PERIOD, (uint64_t)p->period);
	if (p->ncomments) {
		at = pb_open(b, PROFILE_COMMENT);
		for (i = 0; i < p->ncomments; i++)
			pb_put_varint(b, p->comments[i]);
		pb_close(b, at);
	}
	pb_put_uint(b, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);
	return b->oom ? -1 : 0;
}

/* The failed call's errno, negated; never 0, so that it always reads as a failure. */
static int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* Gzip data into f. Returns 0 or a negative errno. */
static int gzip_to(FILE *f, const uint8_t *data, size_t len)
{
	/* zlib counts in unsigned int: hand it the input in pieces. */
	const size_t piece = 1U << 30;
	uint8_t out[1 << 16];
	z_stream zs;
	int zr = Z_OK, ret = 0;
	size_t n;

	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: a gzip header and trailer around the deflate stream. */
	zr = deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	while (zr != Z_STREAM_END) {
		if (!zs.avail_in && len) {
			n = len < piece ? len : piece;
			zs.next_in = (Bytef *)data;
			zs.avail_in = n;
			data += n;
			len -= n;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zr = deflate(&zs, len ? Z_NO_FLUSH : Z_FINISH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			ret = -EIO;
			break;
		}
		n = sizeof(out) - zs.avail_out;
		if (n && fwrite(out, 1, n, f) != n) {
			ret = neg_errno();
			break;
		}
	}
	deflateEnd(&zs);
	return ret;
}

int pprof__open_output(const char *path, bool *created, struct gs_err *err)
{
	int fd;

	/* O_NOFOLLOW: a link planted at path must not redirect root's write. O_EXCL first, to
	 * know whether the file is ours to remove if no profile comes. */
	*created = true;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EEXIST) {
		*created = false;
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		return gs_fail(err, GS_EXIT_ERROR, "refusing to write to %s: it is a symbolic link "
			       "(for standard output, give -o -)", path);
	return gs_fail(err, GS_EXIT_ERROR, "cannot create %s: %s", path, strerror(errno));
}

static int write_fd(int fd, const char *path, const struct buf *b, struct gs_err *err)
{
	struct stat st;
	FILE *f;
	int ret;

	/* Only a regular file is truncated: -o /dev/null or a terminal is written as it is. */
	fd = dup(fd);
	if (fd < 0 || fstat(fd, &st) || (S_ISREG(st.st_mode) && ftruncate(fd, 0))) {
		ret = neg_errno();
		if (fd >= 0)
			close(fd);
		return gs_fail(err, GS_EXIT_ERROR, "cannot write %s: %s", path, strerror(-ret));
	}
	f = fdopen(fd, "wb");
	if (!f) {
		ret = neg_errno();
		close(fd);
	} else {
		errno = 0;
		ret = gzip_to(f, (const uint8_t *)b->data, b->len);
		if (!ret && fflush(f))
			ret = neg_errno();
		if (!ret && S_ISREG(st.st_mode) && fsync(fileno(f)))
			ret = neg_errno();
		if (fclose(f) && !ret)
			ret = neg_errno();
	}
	if (ret)
		return gs_fail(err, GS_EXIT_ERROR, "cannot write %s: %s", path, strerror(-ret));
	return 0;
}

static int write_stdout(const struct buf *b, struct gs_err *err)
{
	int ret;

	errno = 0;
	ret = gzip_to(stdout, (const uint8_t *)b->data, b->len);
	if (!ret && fflush(stdout))
		ret = neg_errno();
	if (ret)
		return gs_fail(err, GS_EXIT_ERROR, "cannot write to standard output: %s",
			       strerror(-ret));
	return 0;
}

static int encoded(struct pprof *p, const char *path, struct buf *b, struct gs_err *err)
{
	if (!p || !path)
		return gs_fail(err, GS_EXIT_ERROR, "no profile to write");
	if (p->oom || encode(p, b) < 0) {
		buf_free(b);
		return gs_fail(err, GS_EXIT_ERROR, "cannot write %s: out of memory", path);
	}
	return 0;
}

int pprof__write_fd(struct pprof *p, int fd, const char *path, struct gs_err *err)
{
	struct buf b = { 0 };
	int ret;

	if (encoded(p, path, &b, err))
		return -1;
	ret = write_fd(fd, path, &b, err);
	buf_free(&b);
	return ret;
}

int pprof__write(struct pprof *p, const char *path, struct gs_err *err)
{
	struct buf b = { 0 };
	bool created;
	int fd, ret;

	if (encoded(p, path, &b, err))
		return -1;
	if (!strcmp(path, "-")) {
		ret = write_stdout(&b, err);
	} else if ((fd = pprof__open_output(path, &created, err)) < 0) {
		ret = -1;
	} else {
		ret = write_fd(fd, path, &b, err);
		close(fd);
		if (ret && created)
			unlink(path);
	}
	buf_free(&b);
	return ret;
}
