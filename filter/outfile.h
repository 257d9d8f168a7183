/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filter's output files: space allocated ahead, and a file
 * written under a temporary name beside its final path, then renamed into
 * place (never over an existing file without force).
 */
#ifndef VMEMTRIM_FILTER_OUTFILE_H
#define VMEMTRIM_FILTER_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "vmemtrim/error.h"

/*
 * Allocate [@off, @off + @len) of @fd on disk, so that writing there later
 * cannot fail for want of space (zeros written where fallocate() is not
 * supported). 0 or errno.
 */
int vt_preallocate(int fd, uint64_t off, uint64_t len);

/* Refuse an existing @path unless @force (and a directory always). */
struct vt_error *vt_outfile_check(const char *path, bool force);

/* Create @path.vmemtrim-XXXXXX beside @path; the caller frees *tmp. */
struct vt_error *vt_outfile_temp(const char *path, char **tmp, int *fd);

/*
 * Rename @tmp to @path: replacing it with @force, else only if @path has
 * not appeared meanwhile (then the file stays in @tmp, *left is set and
 * the error says so). The directory is synced after.
 */
struct vt_error *vt_outfile_rename(const char *tmp, const char *path,
				   bool force, bool *left);

/*
 * A small output written whole (--dump-dmesg), the way the dump is: an
 * existing @path is refused unless @force, the data goes to a temporary
 * file beside it (*@tmp, *@fd; the caller frees *@tmp, closes *@fd), and
 * vt_outfile_install() renames it to @path once it is complete and synced.
 */
struct vt_error *vt_outfile_create(const char *path, bool force, char **tmp,
				   int *fd);
struct vt_error *vt_outfile_install(const char *tmp, const char *path,
				    bool force);

#endif
