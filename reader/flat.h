/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flattened (-F) form of a kdump-compressed file: its header, records
 * and limits, written once here for the reader (kdump.c), the writer's
 * flattened sink and -R (filter/writer/). Read in place: the records of
 * the stream are indexed once into a map of the logical file, later
 * records overriding earlier ones.
 */
#ifndef VMEMTRIM_READER_FLAT_H
#define VMEMTRIM_READER_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

/* The stream's header and records (makedumpfile's flattened format). */
#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_HEADER_SIZE 4096
#define FLAT_TYPE 1
#define FLAT_VERSION 1
#define FLAT_RECORD_HEADER_SIZE 16 /* int64 offset, int64 size, big endian */
#define FLAT_END_MARK (-1)

struct vt_flat;

/* Logical file offsets beyond this are no real dump (and risk overflow). */
#define VT_FLAT_MAX_OFFSET (UINT64_C(1) << 56)
/* Payload of one record as we write them; -R copies in pieces of this. */
#define VT_FLAT_RECORD_MAX (4u << 20)

/* The stream header: signature, type and version, zeros. */
void vt_flat_header(uint8_t h[FLAT_HEADER_SIZE]);

/* true when @h (32 bytes of the header) has the type and version we read. */
bool vt_flat_type_ok(const uint8_t *h);
/* The type and version fields of @h, for messages. */
int64_t vt_flat_type(const uint8_t *h);
int64_t vt_flat_version(const uint8_t *h);

/* A record header (big-endian offset and size). */
void vt_flat_record_header(uint8_t rh[FLAT_RECORD_HEADER_SIZE], int64_t off,
			   int64_t size);

enum vt_flat_rec {
	VT_FLAT_REC_DATA, /* *off, *size: a record of the logical file */
	VT_FLAT_REC_END, /* the end mark */
	VT_FLAT_REC_NEGATIVE, /* a negative offset or size */
	VT_FLAT_REC_BEYOND, /* a range past VT_FLAT_MAX_OFFSET */
};

/* What the record header @rh says; *off and *size are its fields. */
enum vt_flat_rec vt_flat_record(const uint8_t rh[FLAT_RECORD_HEADER_SIZE],
				int64_t *off, int64_t *size);

/* true when @head starts with the flattened stream header. */
bool vt_flat_probe(const void *head, size_t len);

/*
 * Index the stream of @fd (@stream_size bytes; the fd stays the caller's).
 * Errors name the stream offset but not the path (the caller adds it).
 */
struct vt_error *vt_flat_open(int fd, uint64_t stream_size,
			      struct vt_flat **out);
void vt_flat_free(struct vt_flat *fl);

/* Size of the logical file: the end of the farthest record. */
uint64_t vt_flat_size(const struct vt_flat *fl);

/*
 * Whether the stream has no end mark (cut off): its complete records are
 * the logical file, and it is as incomplete as a dump marked so.
 */
bool vt_flat_cut(const struct vt_flat *fl);

/*
 * Read @len bytes of the logical file at @off, which the caller keeps
 * within vt_flat_size(). Bytes no record wrote read as zero, as they would
 * in the sparse file `makedumpfile -R` leaves.
 */
struct vt_error *vt_flat_read(const struct vt_flat *fl, void *buf, size_t len,
			      uint64_t off);

/*
 * The first offset >= @off that a record wrote (UINT64_MAX if none):
 * what lies between reads as zero.
 */
uint64_t vt_flat_next_data(const struct vt_flat *fl, uint64_t off);

#endif
