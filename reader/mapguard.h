/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Read-only mappings of an input file that a failing read cannot kill.
 *
 * A load from a file mapping whose page cannot be read (an I/O error, the
 * file truncated under us) raises SIGBUS. Inside a mapping made here, the
 * page then reads as zeros instead, and the failure is noted: a caller
 * reads what it needs from the mapping, then asks vt_mapguard_failed()
 * whether any of it was such a page, and if so reads it again with
 * pread(), which reports the error properly. The first mapping installs a
 * process-wide SIGBUS handler, so only programs that own their signals
 * (the filter, not the crash extension) map anything.
 */
#ifndef VMEMTRIM_READER_MAPGUARD_H
#define VMEMTRIM_READER_MAPGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * @size bytes of @fd from offset @off (a multiple of the page size),
 * read-only; NULL when it cannot. At most 16 mappings at once.
 */
const void *vt_mapguard_map(int fd, uint64_t off, uint64_t size);
void vt_mapguard_unmap(const void *p, uint64_t size);

/*
 * Let go of the pages of [p, p + len) this process has mapped: they stay
 * in the page cache, but no longer count in its resident set (a mapping
 * read through from end to end would otherwise hold all of it).
 */
void vt_mapguard_release(const void *p, size_t len);

/* Did any page of [p, p + len) fail (now or before)? */
bool vt_mapguard_failed(const void *p, size_t len);

#endif
