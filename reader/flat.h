/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The flattened (-F) form of a kdump-compressed file, read in place: the
 * records of the stream are indexed once into a map of the logical file,
 * later records overriding earlier ones. Private to kdump.c and flat.c.
 */
#ifndef VMEMTRIM_READER_FLAT_H
#define VMEMTRIM_READER_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_flat;

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
 * Read @len bytes of the logical file at @off, which the caller keeps
 * within vt_flat_size(). Bytes no record wrote read as zero, as they would
 * in the sparse file `makedumpfile -R` leaves.
 */
struct vt_error *vt_flat_read(const struct vt_flat *fl, void *buf, size_t len,
			      uint64_t off);

/*
 * The first offset >= @off that a record wrote (vt_flat_size() if none):
 * what lies between reads as zero.
 */
uint64_t vt_flat_next_data(const struct vt_flat *fl, uint64_t off);

#endif
