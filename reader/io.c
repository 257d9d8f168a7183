// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whole reads and writes of a descriptor and bitmap counts: see io.h. These
 * are the only loops in vmemtrim that retry EINTR and short transfers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

struct vt_error *vt_pread_exact(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got;
	int e = vt_pread_some(fd, buf, len, off, &got);

	if (e)
		return vt_error_errno(e, "read at offset %llu",
				      (unsigned long long)(off + got));
	if (got < len)
		return vt_error_new(VT_ERR_FORMAT,
				    "unexpected end of file at offset %llu",
				    (unsigned long long)(off + got));
	return NULL;
}

struct vt_error *vt_pread_full(int fd, const char *path, void *buf, size_t len,
			       uint64_t off, const char *what)
{
	struct vt_error *err = vt_pread_exact(fd, buf, len, off);

	if (err && err->errnum && !err->path)
		err->path = strdup(path);
	return vt_error_prefix(
		err, "%s: reading %s (%zu bytes at offset %llu): ", path, what,
		len, (unsigned long long)off);
}

/*
 * The one transfer loop: @len bytes at *@off (pread/pwrite) or, with @off
 * NULL, from or to a stream; *@done = bytes moved. End of file stops a
 * read early; a write that moves nothing is EIO. 0 or errno.
 */
static int transfer(int fd, uint8_t *p, size_t len, const uint64_t *off,
		    bool writing, size_t *done)
{
	*done = 0;
	while (*done < len) {
		size_t left = len - *done;
		ssize_t n;

		if (writing)
			n = off ? pwrite(fd, p + *done, left,
					 (off_t)(*off + *done)) :
				  write(fd, p + *done, left);
		else
			n = off ? pread(fd, p + *done, left,
					(off_t)(*off + *done)) :
				  read(fd, p + *done, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return writing ? EIO : 0;
		*done += (size_t)n;
	}
	return 0;
}

int vt_pread_some(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	return transfer(fd, buf, len, &off, false, got);
}

int vt_read_full(int fd, void *buf, size_t len, size_t *got)
{
	return transfer(fd, buf, len, NULL, false, got);
}

int vt_pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
		  size_t *done)
{
	return transfer(fd, (uint8_t *)buf, len, &off, true, done);
}

int vt_write_all(int fd, const void *buf, size_t len, size_t *done)
{
	return transfer(fd, (uint8_t *)buf, len, NULL, true, done);
}

int vt_fallocate(int fd, uint64_t off, uint64_t len)
{
	int e;

	do
		e = fallocate(fd, 0, (off_t)off, (off_t)len) ? errno : 0;
	while (e == EINTR);
	return e;
}

uint64_t vt_popcount(const uint8_t *bm, uint64_t nbits)
{
	uint64_t n = 0, i = 0;

	for (; i + 64 <= nbits; i += 64) {
		uint64_t v;

		memcpy(&v, bm + i / 8, 8);
		n += (uint64_t)__builtin_popcountll(v);
	}
	for (; i < nbits; i++)
		n += bm[i / 8] >> (i % 8) & 1;
	return n;
}
