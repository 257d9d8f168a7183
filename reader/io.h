/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The I/O and byte-order facts every part of vmemtrim shares, written once:
 * whole reads and writes of a descriptor (the only loops that retry EINTR
 * and short transfers), little- and big-endian loads and stores from byte
 * buffers (no alignment assumed), and counting the set bits of a bitmap.
 * Used by the reader and the filter alike. Not a public header.
 */
#ifndef VMEMTRIM_IO_H
#define VMEMTRIM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

/*
 * Read exactly @len bytes at @off. A read error is VT_ERR_IO (errnum set),
 * end of file first is VT_ERR_FORMAT; the message names the offset (not
 * the file).
 */
struct vt_error *vt_pread_exact(int fd, void *buf, size_t len, uint64_t off);

/* The same, the message (and err->path) naming @path and @what is read. */
struct vt_error *vt_pread_full(int fd, const char *path, void *buf, size_t len,
			       uint64_t off, const char *what);

/* pread up to @len bytes at @off, fewer only at end of file; 0 or errno. */
int vt_pread_some(int fd, void *buf, size_t len, uint64_t off, size_t *got);

/* read up to @len bytes from a stream, fewer only at end; 0 or errno. */
int vt_read_full(int fd, void *buf, size_t len, size_t *got);

/* pwrite all of @len bytes at @off; 0 or errno, *done = bytes written. */
int vt_pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
		  size_t *done);

/* write all of @len bytes to a stream; 0 or errno, *done = bytes written. */
int vt_write_all(int fd, const void *buf, size_t len, size_t *done);

/* fallocate(@fd, 0, @off, @len), retried on EINTR; 0 or errno. */
int vt_fallocate(int fd, uint64_t off, uint64_t len);

static inline uint16_t vt_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t vt_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t vt_le64(const void *p)
{
	return (uint64_t)vt_le32(p) | (uint64_t)vt_le32((const uint8_t *)p + 4)
					      << 32;
}

/* A little-endian field of @bytes (1, 2, 4 or 8) bytes. */
static inline uint64_t vt_le(const void *p, int bytes)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static inline uint64_t vt_be64(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static inline void vt_put_le32(void *p, uint32_t v)
{
	uint8_t *b = p;

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline void vt_put_le64(void *p, uint64_t v)
{
	uint8_t *b = p;

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline void vt_put_be64(void *p, uint64_t v)
{
	uint8_t *b = p;

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* The set bits among the first @nbits bits of bitmap @bm (LSB first). */
uint64_t vt_popcount(const uint8_t *bm, uint64_t nbits);

#endif
