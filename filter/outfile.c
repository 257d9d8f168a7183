// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The filter's output files: see outfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

#define TMP_SUFFIX ".vmemtrim-XXXXXX"

/*
 * Allocate [@off, @off + @len) of @fd on disk, so that writing there later
 * cannot fail for want of space. Where fallocate() is not supported, zeros
 * are written instead. 0 or errno.
 */
int vt_preallocate(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[4096];
	int e;

	if (!len)
		return 0;
	e = vt_fallocate(fd, off, len);
	if (e != EOPNOTSUPP && e != ENOSYS)
		return e;
	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		size_t done;

		e = vt_pwrite_all(fd, zeros, n, off, &done);
		if (e)
			return e;
		off += n;
		len -= n;
	}
	return 0;
}

static void fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static struct vt_error *exists_error(const char *path)
{
	return vt_error_new(VT_ERR_INVALID,
			    "%s: already exists (use -f to overwrite)", path);
}

/* Refuse an existing @path unless @force. */
struct vt_error *vt_outfile_check(const char *path, bool force)
{
	struct stat st;

	if (!lstat(path, &st)) {
		if (S_ISDIR(st.st_mode))
			return vt_error_new(VT_ERR_INVALID,
					    "%s: is a directory", path);
		return force ? NULL : exists_error(path);
	}
	if (errno != ENOENT)
		return vt_error_errno(errno, "%s", path);
	return NULL;
}

/* Create @path.vmemtrim-XXXXXX beside @path; the caller frees *tmp. */
struct vt_error *vt_outfile_temp(const char *path, char **tmp, int *fd)
{
	if (asprintf(tmp, "%s" TMP_SUFFIX, path) < 0) {
		*tmp = NULL;
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory", path);
	}
	*fd = mkostemp(*tmp, O_CLOEXEC);
	if (*fd < 0) {
		struct vt_error *err = vt_error_errno(
			errno, "%s: cannot create a temporary file %s", path,
			*tmp);

		free(*tmp);
		*tmp = NULL;
		return err;
	}
	return NULL;
}

/*
 * Rename @tmp to @path: replacing it with @force, else only if @path has not
 * appeared meanwhile (then the dump stays in @tmp and the error says so).
 */
struct vt_error *vt_outfile_rename(const char *tmp, const char *path,
				   bool force, bool *left)
{
	int e = 0;

	*left = false;
	if (force) {
		if (rename(tmp, path))
			e = errno;
	} else if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE)) {
		e = errno;
		if (e == EINVAL || e == ENOSYS) {
			/* no RENAME_NOREPLACE here: link() refuses too */
			e = link(tmp, path) ? errno : 0;
			if (!e)
				unlink(tmp);
		}
	}
	*left = e == EEXIST;
	if (e == EEXIST)
		return vt_error_new(
			VT_ERR_INVALID,
			"%s: already exists (use -f to overwrite); the dump is left in %s",
			path, tmp);
	if (e)
		return vt_error_errno(e, "%s: cannot rename %s to it", path,
				      tmp);
	fsync_dir_of(path);
	return NULL;
}

struct vt_error *vt_outfile_create(const char *path, bool force, char **tmp,
				   int *fd)
{
	struct vt_error *err = vt_outfile_check(path, force);

	*tmp = NULL;
	*fd = -1;
	return err ? err : vt_outfile_temp(path, tmp, fd);
}

struct vt_error *vt_outfile_install(const char *tmp, const char *path,
				    bool force)
{
	bool left;

	return vt_outfile_rename(tmp, path, force, &left);
}
