// SPDX-License-Identifier: GPL-2.0-or-later
/* Walking a blob of ELF notes: see elfnote.h. */
#include <string.h>

#include "elfnote.h"
#include "io.h"

int vt_note_next(struct vt_note_iter *it, struct vt_note *n)
{
	size_t left = it->size - it->at;
	uint64_t name_len, desc_len;

	if (left < VT_NOTE_HDR)
		return 0;
	n->off = it->at;
	n->namesz = vt_le32(it->p + it->at);
	n->descsz = vt_le32(it->p + it->at + 4);
	n->type = vt_le32(it->p + it->at + 8);
	left -= VT_NOTE_HDR;
	name_len = VT_NOTE_PAD(n->namesz);
	desc_len = VT_NOTE_PAD(n->descsz);
	if (name_len > left || desc_len > left - name_len)
		return -1;
	n->name = it->p + it->at + VT_NOTE_HDR;
	n->desc_off = it->at + VT_NOTE_HDR + name_len;
	n->desc = it->p + n->desc_off;
	it->at = n->desc_off + desc_len;
	return 1;
}

int vt_note_is(const struct vt_note *n, const char *name)
{
	size_t len = strlen(name) + 1;

	return n->namesz == len && !memcmp(n->name, name, len);
}
