/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VMCOREINFO given with -i: its text file read whole, and the
 * VMCOREINFO note of the dump's ELF note blob found, or added from that
 * text (the dump's sub header points at it).
 */
#ifndef VMEMTRIM_FILTER_NOTES_H
#define VMEMTRIM_FILTER_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

/* All of @path, NUL-terminated, in *out (@len bytes without the NUL). */
struct vt_error *vt_read_text_file(const char *path, char **out, size_t *len);

/* Where the VMCOREINFO note's descriptor is in @notes: false if none. */
bool vt_notes_find_vmcoreinfo(const void *notes, size_t size, size_t *off,
			      size_t *len);

/*
 * @notes (@size bytes, may be NULL) with a VMCOREINFO note of @text
 * appended, in *out (the caller frees it): *size is its length now and
 * *desc_off where @text starts in it.
 */
struct vt_error *vt_notes_add_vmcoreinfo(const void *notes, size_t size,
					 const char *text, size_t len,
					 uint8_t **out, size_t *out_size,
					 size_t *desc_off);

#endif
