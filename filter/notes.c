// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The filter's small input helpers: see notes.h. An ELF note is a 12-byte
 * header (name size, descriptor size, type), the name and the descriptor,
 * each padded to 4 bytes (the ELF specification, "Note Section").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notes.h"
#include "vmemtrim/format.h"

#define NOTE_PAD(n) (((size_t)(n) + 3) & ~(size_t)3)

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
	const uint8_t *p = notes;
	size_t at = 0;

	while (p && at + 12 <= size) {
		uint32_t w[3];
		size_t name, desc, next;

		memcpy(w, p + at, sizeof(w));
		name = at + 12;
		desc = name + NOTE_PAD(w[0]);
		next = desc + NOTE_PAD(w[1]);
		if (desc > size || next > size || desc + w[1] > size)
			return false;
		if (w[0] == sizeof(VT_NOTE_NAME_VMCOREINFO) &&
		    !memcmp(p + name, VT_NOTE_NAME_VMCOREINFO, w[0])) {
			*off = desc;
			*len = w[1];
			return true;
		}
		at = next;
	}
	return false;
}

struct vt_error *vt_notes_add_vmcoreinfo(const void *notes, size_t size,
					 const char *text, size_t len,
					 uint8_t **out, size_t *out_size,
					 size_t *desc_off)
{
	size_t namesz = sizeof(VT_NOTE_NAME_VMCOREINFO);
	size_t at = NOTE_PAD(size);
	size_t total = at + 12 + NOTE_PAD(namesz) + NOTE_PAD(len);
	uint8_t *n = calloc(1, total);
	uint32_t w[3] = { (uint32_t)namesz, (uint32_t)len, 0 };

	if (!n)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	if (size)
		memcpy(n, notes, size);
	memcpy(n + at, w, 12);
	memcpy(n + at + 12, VT_NOTE_NAME_VMCOREINFO, namesz);
	*desc_off = at + 12 + NOTE_PAD(namesz);
	memcpy(n + *desc_off, text, len);
	*out = n;
	*out_size = total;
	return NULL;
}
