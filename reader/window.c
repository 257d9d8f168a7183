// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A reader's window onto a dump's mapping (include/vmemtrim/dump.h): its
 * life and its release. What a window maps is the format's business
 * (elf.c map_span, through vt_dump_window_map() in dump.c); giving the
 * mapping back is the same for all, through the mapping guard.
 */
#include <stdlib.h>

#include "internal.h"
#include "mapguard.h"

struct vt_dump_window *vt_dump_window_new(struct vt_dump *d, size_t bytes)
{
	struct vt_dump_window *w = calloc(1, sizeof(*w));

	if (w) {
		w->dump = d;
		w->bytes = bytes;
	}
	return w;
}

void vt_dump_window_free(struct vt_dump_window *w)
{
	if (w)
		vt_dump_window_release(w);
	free(w);
}

bool vt_dump_map_failed(const void *p, size_t len)
{
	return vt_mapguard_failed(p, len);
}

void vt_dump_window_release(struct vt_dump_window *w)
{
	if (w->map)
		vt_mapguard_unmap(w->map, w->len);
	if (w->hi)
		vt_mapguard_release(w->lo, (size_t)(w->hi - w->lo));
	w->map = w->lo = w->hi = NULL;
	w->file = NULL;
	w->off = w->len = 0;
}
