// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMCOREINFO of -i: see notes.h. The notes are walked with the
 * reader's note iterator (elfnote.h), which says what a note looks like.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfnote.h"
#include "io.h"
#include "notes.h"
#include "vmemtrim/format.h"

struct vt_error *vt_read_text_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, n = 0;
	char *buf = NULL;

	*out = NULL;
	if (!f)
		return vt_error_errno(errno, "%s: cannot open", path);
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 8192);

			if (!b) {
				free(buf);
				fclose(f);
				return vt_error_new(VT_ERR_NOMEM,
						    "out of memory");
			}
			buf = b;
		}
		got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return vt_error_new(VT_ERR_IO, "%s: read error", path);
	}
	fclose(f);
	buf[n] = 0;
	*out = buf;
	*len = n;
	return NULL;
}

bool vt_notes_find_vmcoreinfo(const void *notes, size_t size, size_t *off,
			      size_t *len)
{
	struct vt_note_iter it;
	struct vt_note n;

	vt_note_iter_init(&it, notes, size);
	while (vt_note_next(&it, &n) > 0) {
		if (vt_note_is(&n, VT_NOTE_NAME_VMCOREINFO)) {
			*off = n.desc_off;
			*len = n.descsz;
			return true;
		}
	}
	return false;
}

struct vt_error *vt_notes_add_vmcoreinfo(const void *notes, size_t size,
					 const char *text, size_t len,
					 uint8_t **out, size_t *out_size,
					 size_t *desc_off)
{
	size_t namesz = sizeof(VT_NOTE_NAME_VMCOREINFO);
	size_t at = VT_NOTE_PAD(size);
	size_t total =
		at + VT_NOTE_HDR + VT_NOTE_PAD(namesz) + VT_NOTE_PAD(len);
	uint8_t *n = calloc(1, total);

	if (!n)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	if (size)
		memcpy(n, notes, size);
	/* the header: name size, descriptor size, type 0 */
	vt_put_le32(n + at, (uint32_t)namesz);
	vt_put_le32(n + at + 4, (uint32_t)len);
	memcpy(n + at + VT_NOTE_HDR, VT_NOTE_NAME_VMCOREINFO, namesz);
	*desc_off = at + VT_NOTE_HDR + VT_NOTE_PAD(namesz);
	memcpy(n + *desc_off, text, len);
	*out = n;
	*out_size = total;
	return NULL;
}
