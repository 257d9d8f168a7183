/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Walking a blob of ELF notes, written once for the reader (the PT_NOTE of
 * a vmcore) and the filter (the notes it writes into a dump). A note is a
 * 12-byte header (name size, descriptor size, type, little-endian as the
 * vmcores we read), the name and the descriptor, each padded to 4 bytes
 * (the ELF specification, "Note Section"). Not a public header.
 */
#ifndef VMEMTRIM_ELFNOTE_H
#define VMEMTRIM_ELFNOTE_H

#include <stddef.h>
#include <stdint.h>

/* The header of a note. */
#define VT_NOTE_HDR 12

/* Bytes a name or descriptor of @n bytes takes, padding included. */
#define VT_NOTE_PAD(n) (((uint64_t)(n) + 3) & ~(uint64_t)3)

struct vt_note {
	uint32_t namesz, descsz, type;
	const uint8_t *name, *desc;
	size_t off; /* of the note's header in the blob */
	size_t desc_off; /* of its descriptor */
};

struct vt_note_iter {
	const uint8_t *p;
	size_t size, at;
};

static inline void vt_note_iter_init(struct vt_note_iter *it, const void *p,
				     size_t size)
{
	it->p = p;
	it->size = p ? size : 0;
	it->at = 0;
}

/*
 * The next note in *@n: 1. 0 at the end (less than a header left), -1 when
 * the note's padded name or descriptor runs past the end of the blob (@n
 * has its header and offset; the walk stays there).
 */
int vt_note_next(struct vt_note_iter *it, struct vt_note *n);

/* Is @n named @name (its NUL counted in namesz, as notes store it)? */
int vt_note_is(const struct vt_note *n, const char *name);

#endif
