// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libfaultshim.so: an LD_PRELOAD shim that injects I/O faults into the
 * programs under test, driven by environment variables.
 *
 * Read errors on the input:
 *   VT_FAULT_EIO_FILE=PATH        the file whose reads fail (by device and
 *                                 inode, so any name or fd of it)
 *   VT_FAULT_EIO_RANGES=A-B,...   byte ranges [A, B) of it (decimal or 0x)
 *   VT_FAULT_EIO_TIMES=K          each range fails its first K reads only
 *                                 (a transient error; default: always)
 * A read (pread, pread64, read) that starts in a range fails with EIO; one
 * that starts before a range and reaches into it returns the bytes before
 * it (a short read), as a disk with bad sectors does. A mapping of the file
 * (mmap, mmap64) raises SIGBUS (BUS_ADRERR) on a load from any page that
 * holds a byte of a range, as the kernel does when a page of a mapped file
 * cannot be read; with VT_FAULT_EIO_TIMES, only ranges whose reads still
 * fail do so, and a mapping counts as no read.
 *
 * The input as /proc/vmcore:
 *   VT_FAULT_PROCFS=PATH          fstatfs() of this file says /proc (so the
 *                                 program maps it in windows, as it does
 *                                 /proc/vmcore)
 *   VT_FAULT_MMAP_REFUSE=1        mmap() of it fails with ENODEV, as on a
 *                                 kernel that cannot map /proc/vmcore
 *
 * Write faults on the output:
 *   VT_FAULT_WRITE_FILE=GLOB      the files written whose path (that of
 *                                 /proc/self/fd/N, so the temporary name
 *                                 and the final one) matches GLOB
 *   VT_FAULT_ENOSPC_AFTER=N       a disk with N bytes free for them
 *   VT_FAULT_WRITE_EIO=A-B        a positional write to them that touches
 *                                 bytes [A, B) fails with EIO, writing
 *                                 nothing (a bad sector under the dump)
 *   VT_FAULT_ENOSPC_MODE=space    (default) only bytes not yet allocated
 *                                 in the file cost space: fallocate()
 *                                 allocates, rewriting allocated bytes is
 *                                 free, as on ext4 or xfs
 *                        bytes    every byte written costs space, rewrites
 *                                 too, and fallocate() allocates nothing
 *                                 (a copy-on-write or failing device)
 *   VT_FAULT_KILL_AFTER=N         SIGKILL once N bytes have been written to
 *                                 them (every byte counts; the write that
 *                                 crosses N writes its first part)
 *   VT_FAULT_KILL_AT=before-rename|after-rename
 *                                 SIGKILL just before or after a rename
 *                                 whose new path matches GLOB
 *   VT_FAULT_FSYNC_EIO=1          fsync() of them fails with EIO (data the
 *                                 disk could not make durable)
 *   VT_FAULT_KILL_SIGNAL=N        send signal N instead of SIGKILL (for
 *                                 one the program may catch: SIGBUS)
 * A write that does not fit the space left writes what fits (a short
 * write) and the next fails with ENOSPC; so do fallocate() and
 * posix_fallocate() (which allocate nothing then).
 *
 *   VT_FAULT_LOG=PATH             at exit, append one line to PATH:
 *     "written=N allocated=N eio=N enospc=N" (bytes written to matching
 *     files, bytes of space they took, reads and writes failed with
 *     EIO, writes refused with ENOSPC)
 *
 * Every counter is shared by all matching files and guarded by one mutex:
 * the programs under test are multi-threaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_RANGES 256
#define MAX_FILES 16

struct range {
	uint64_t start, end;
};

/* The bytes of one output file that hold space (sorted, disjoint). */
struct space {
	dev_t dev;
	ino_t ino;
	struct range *r;
	size_t n, cap;
};

/* A file by device and inode, so any name or fd of it. */
struct file_id {
	dev_t dev;
	ino_t ino;
};

static struct {
	pthread_mutex_t lock;
	bool eio;
	struct file_id eio_file;
	bool procfs, mmap_refuse;
	struct file_id proc_file;
	struct range bad[MAX_RANGES];
	uint64_t bad_hits[MAX_RANGES]; /* reads failed, per range */
	size_t nbad;
	uint64_t eio_times; /* 0: no limit */
	const char *glob;
	bool write_eio;
	uint64_t weio_start, weio_end;
	bool enospc, bytes_mode;
	uint64_t budget; /* bytes of space left */
	bool kill;
	uint64_t kill_after;
	int kill_rename; /* 0, 1 before, 2 after */
	bool fsync_eio;
	int kill_signal;
	const char *log;
	uint64_t written, allocated, eio_hits, enospc_hits;
	struct space files[MAX_FILES];
	size_t nfiles;
} F = { .lock = PTHREAD_MUTEX_INITIALIZER };

static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_fsync)(int);
static int (*real_fallocate64)(int, int, off64_t, off64_t);
static int (*real_posix_fallocate)(int, off_t, off_t);
static int (*real_posix_fallocate64)(int, off64_t, off64_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off64_t);
static int (*real_fstatfs)(int, struct statfs *);
static int (*real_fstatfs64)(int, struct statfs64 *);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_renameat2)(int, const char *, int, const char *,
			     unsigned int);

static void die(const char *what, const char *value)
{
	fprintf(stderr, "libfaultshim: %s: bad value '%s'\n", what, value);
	_exit(125);
}

static uint64_t parse_u64(const char *what, const char *s, char **end)
{
	uint64_t v;

	errno = 0;
	v = strtoull(s, end, 0);
	if (errno || *end == s)
		die(what, s);
	return v;
}

static void parse_ranges(const char *s)
{
	const char *p = s;

	while (*p) {
		char *end;
		struct range r;

		if (F.nbad == MAX_RANGES)
			die("VT_FAULT_EIO_RANGES (too many)", s);
		r.start = parse_u64("VT_FAULT_EIO_RANGES", p, &end);
		if (*end != '-')
			die("VT_FAULT_EIO_RANGES", s);
		r.end = parse_u64("VT_FAULT_EIO_RANGES", end + 1, &end);
		if (r.end <= r.start || (*end && *end != ','))
			die("VT_FAULT_EIO_RANGES", s);
		F.bad[F.nbad++] = r;
		p = *end ? end + 1 : end;
	}
}

static struct file_id file_id_of(const char *var, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		die(var, path);
	return (struct file_id){ st.st_dev, st.st_ino };
}

static bool is_file(int fd, const struct file_id *id)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_dev == id->dev && st.st_ino == id->ino;
}

#define RESOLVE(name) (real_##name = dlsym(RTLD_NEXT, #name))

__attribute__((constructor)) static void shim_init(void)
{
	const char *s;
	char *end;

	RESOLVE(pread);
	RESOLVE(pread64);
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(pwrite);
	RESOLVE(pwrite64);
	RESOLVE(fallocate);
	RESOLVE(fsync);
	RESOLVE(fallocate64);
	RESOLVE(posix_fallocate);
	RESOLVE(posix_fallocate64);
	RESOLVE(mmap);
	RESOLVE(mmap64);
	RESOLVE(fstatfs);
	RESOLVE(fstatfs64);
	RESOLVE(rename);
	RESOLVE(renameat);
	RESOLVE(renameat2);
	s = getenv("VT_FAULT_EIO_FILE");
	if (s && *s) {
		F.eio = true;
		F.eio_file = file_id_of("VT_FAULT_EIO_FILE", s);
		s = getenv("VT_FAULT_EIO_RANGES");
		if (s)
			parse_ranges(s);
		s = getenv("VT_FAULT_EIO_TIMES");
		if (s && *s) {
			F.eio_times = parse_u64("VT_FAULT_EIO_TIMES", s, &end);
			if (*end)
				die("VT_FAULT_EIO_TIMES", s);
		}
	}
	s = getenv("VT_FAULT_PROCFS");
	if (s && *s) {
		F.procfs = true;
		F.proc_file = file_id_of("VT_FAULT_PROCFS", s);
		s = getenv("VT_FAULT_MMAP_REFUSE");
		F.mmap_refuse = s && !strcmp(s, "1");
	}
	s = getenv("VT_FAULT_WRITE_FILE");
	if (s && *s)
		F.glob = s;
	s = getenv("VT_FAULT_WRITE_EIO");
	if (s && *s) {
		F.write_eio = true;
		F.weio_start = parse_u64("VT_FAULT_WRITE_EIO", s, &end);
		if (*end != '-')
			die("VT_FAULT_WRITE_EIO", s);
		F.weio_end = parse_u64("VT_FAULT_WRITE_EIO", end + 1, &end);
		if (*end || F.weio_end <= F.weio_start)
			die("VT_FAULT_WRITE_EIO", s);
	}
	s = getenv("VT_FAULT_ENOSPC_AFTER");
	if (s && *s) {
		F.enospc = true;
		F.budget = parse_u64("VT_FAULT_ENOSPC_AFTER", s, &end);
		if (*end)
			die("VT_FAULT_ENOSPC_AFTER", s);
	}
	s = getenv("VT_FAULT_ENOSPC_MODE");
	if (s && *s) {
		if (!strcmp(s, "bytes"))
			F.bytes_mode = true;
		else if (strcmp(s, "space"))
			die("VT_FAULT_ENOSPC_MODE", s);
	}
	s = getenv("VT_FAULT_KILL_AFTER");
	if (s && *s) {
		F.kill = true;
		F.kill_after = parse_u64("VT_FAULT_KILL_AFTER", s, &end);
		if (*end)
			die("VT_FAULT_KILL_AFTER", s);
	}
	s = getenv("VT_FAULT_KILL_AT");
	if (s && *s) {
		if (!strcmp(s, "before-rename"))
			F.kill_rename = 1;
		else if (!strcmp(s, "after-rename"))
			F.kill_rename = 2;
		else
			die("VT_FAULT_KILL_AT", s);
	}
	s = getenv("VT_FAULT_FSYNC_EIO");
	F.fsync_eio = s && !strcmp(s, "1");
	F.kill_signal = SIGKILL;
	s = getenv("VT_FAULT_KILL_SIGNAL");
	if (s && *s) {
		F.kill_signal = (int)parse_u64("VT_FAULT_KILL_SIGNAL", s, &end);
		if (*end || F.kill_signal <= 0 || F.kill_signal >= NSIG)
			die("VT_FAULT_KILL_SIGNAL", s);
	}
	F.log = getenv("VT_FAULT_LOG");
}

__attribute__((destructor)) static void shim_fini(void)
{
	FILE *f;

	if (!F.log || !*F.log)
		return;
	f = fopen(F.log, "a");
	if (!f)
		return;
	fprintf(f,
		"written=%" PRIu64 " allocated=%" PRIu64 " eio=%" PRIu64
		" enospc=%" PRIu64 "\n",
		F.written, F.allocated, F.eio_hits, F.enospc_hits);
	fclose(f);
}

/* --- reads ---------------------------------------------------------------- */

static bool is_eio_file(int fd)
{
	return F.eio && is_file(fd, &F.eio_file);
}

static bool is_proc_file(int fd)
{
	return F.procfs && is_file(fd, &F.proc_file);
}

int fstatfs(int fd, struct statfs *buf)
{
	int rc = real_fstatfs(fd, buf);

	if (!rc && is_proc_file(fd))
		buf->f_type = PROC_SUPER_MAGIC;
	return rc;
}

int fstatfs64(int fd, struct statfs64 *buf)
{
	int rc = real_fstatfs64(fd, buf);

	if (!rc && is_proc_file(fd))
		buf->f_type = PROC_SUPER_MAGIC;
	return rc;
}

static bool range_fails(size_t i)
{
	return !F.eio_times || F.bad_hits[i] < F.eio_times;
}

/*
 * How many of the @len bytes at @off of the faulty file can be read:
 * @len, fewer (up to a bad range), or 0 when @off is in one (counted).
 * Called with F.lock held.
 */
static size_t readable(uint64_t off, size_t len)
{
	uint64_t end = off + len;

	for (size_t i = 0; i < F.nbad; i++) {
		const struct range *r = &F.bad[i];

		if (!range_fails(i))
			continue;
		if (off >= r->start && off < r->end) {
			F.bad_hits[i]++;
			F.eio_hits++;
			return 0;
		}
		if (r->start > off && r->start < end)
			end = r->start;
	}
	return (size_t)(end - off);
}

/* Before reading @len at @off of @fd: 0 to fail with EIO, or the length. */
static size_t read_gate(int fd, uint64_t off, size_t len)
{
	size_t n;

	if (!F.eio || !len || !is_eio_file(fd))
		return len;
	pthread_mutex_lock(&F.lock);
	n = readable(off, len);
	pthread_mutex_unlock(&F.lock);
	return n;
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	size_t n = read_gate(fd, (uint64_t)off, len);

	if (len && !n) {
		errno = EIO;
		return -1;
	}
	return real_pread(fd, buf, n, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
	size_t n = read_gate(fd, (uint64_t)off, len);

	if (len && !n) {
		errno = EIO;
		return -1;
	}
	return real_pread64(fd, buf, n, off);
}

/*
 * Put pages of an empty memfd over the pages of mapping @map (of @len
 * bytes at file offset @off) that hold a failing byte: a load there is
 * past that file's end, and the kernel raises SIGBUS, as for a page of a
 * mapped file whose read failed.
 */
static void *fail_mapped(void *map, size_t len, uint64_t off)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	int mfd = -1;

	if (map == MAP_FAILED)
		return map;
	pthread_mutex_lock(&F.lock);
	for (size_t i = 0; i < F.nbad; i++) {
		const struct range *r = &F.bad[i];
		uint64_t a = r->start > off ? r->start : off;
		uint64_t b = r->end < off + len ? r->end : off + len;

		if (a >= b || !range_fails(i))
			continue;
		a = (a - off) / ps * ps;
		b = ((b - off) + ps - 1) / ps * ps;
		if (mfd < 0)
			mfd = memfd_create("libfaultshim", MFD_CLOEXEC);
		if (mfd < 0 ||
		    real_mmap((uint8_t *)map + a, (size_t)(b - a), PROT_READ,
			      MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED) {
			fprintf(stderr,
				"libfaultshim: cannot fail a mapping\n");
			_exit(125);
		}
	}
	pthread_mutex_unlock(&F.lock);
	if (mfd >= 0)
		close(mfd);
	return map;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *map;

	if (F.mmap_refuse && !(flags & MAP_ANONYMOUS) && is_proc_file(fd)) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	map = real_mmap(addr, len, prot, flags, fd, off);

	if (!F.eio || (flags & MAP_ANONYMOUS) || !is_eio_file(fd))
		return map;
	return fail_mapped(map, len, (uint64_t)off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	void *map;

	if (F.mmap_refuse && !(flags & MAP_ANONYMOUS) && is_proc_file(fd)) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	map = real_mmap64(addr, len, prot, flags, fd, off);

	if (!F.eio || (flags & MAP_ANONYMOUS) || !is_eio_file(fd))
		return map;
	return fail_mapped(map, len, (uint64_t)off);
}

ssize_t read(int fd, void *buf, size_t len)
{
	off_t pos;
	size_t n;

	if (!F.eio || !len || !is_eio_file(fd))
		return real_read(fd, buf, len);
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		return real_read(fd, buf, len);
	n = read_gate(fd, (uint64_t)pos, len);
	if (!n) {
		errno = EIO;
		return -1;
	}
	return real_read(fd, buf, n);
}

/* --- writes --------------------------------------------------------------- */

static bool path_matches(const char *path)
{
	return F.glob && fnmatch(F.glob, path, 0) == 0;
}

static bool fd_matches(int fd)
{
	char link[64], path[4096];
	ssize_t n;

	if (!F.glob)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return false;
	path[n] = 0;
	return path_matches(path);
}

/* The space record of @fd's file; NULL for a pipe or when out of slots. */
static struct space *space_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return NULL;
	for (size_t i = 0; i < F.nfiles; i++)
		if (F.files[i].dev == st.st_dev && F.files[i].ino == st.st_ino)
			return &F.files[i];
	if (F.nfiles == MAX_FILES)
		return NULL;
	F.files[F.nfiles].dev = st.st_dev;
	F.files[F.nfiles].ino = st.st_ino;
	return &F.files[F.nfiles++];
}

/* Bytes of [a, b) not yet allocated in @s (all of them when @s is NULL). */
static uint64_t unallocated(const struct space *s, uint64_t a, uint64_t b)
{
	uint64_t cost = b - a;

	for (size_t i = 0; s && i < s->n; i++) {
		uint64_t lo = s->r[i].start > a ? s->r[i].start : a;
		uint64_t hi = s->r[i].end < b ? s->r[i].end : b;

		if (lo < hi)
			cost -= hi - lo;
	}
	return cost;
}

/* Mark [a, b) allocated in @s, merging neighbours. */
static void allocate(struct space *s, uint64_t a, uint64_t b)
{
	size_t i = 0, j;

	if (!s || a >= b)
		return;
	while (i < s->n && s->r[i].end < a)
		i++;
	j = i;
	while (j < s->n && s->r[j].start <= b) {
		if (s->r[j].start < a)
			a = s->r[j].start;
		if (s->r[j].end > b)
			b = s->r[j].end;
		j++;
	}
	if (j == i) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? 2 * s->cap : 16;
			struct range *r = realloc(s->r, cap * sizeof(*r));

			if (!r)
				abort();
			s->r = r;
			s->cap = cap;
		}
		memmove(s->r + i + 1, s->r + i, (s->n - i) * sizeof(*s->r));
		s->n++;
	} else if (j > i + 1) {
		memmove(s->r + i + 1, s->r + j, (s->n - j) * sizeof(*s->r));
		s->n -= j - i - 1;
	}
	s->r[i].start = a;
	s->r[i].end = b;
}

/*
 * The longest prefix of the @len bytes at @off whose new space fits the
 * budget (space mode), a binary search on the prefix length.
 */
static size_t fitting_prefix(const struct space *s, uint64_t off, size_t len)
{
	size_t lo = 0, hi = len;

	if (unallocated(s, off, off + len) <= F.budget)
		return len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (unallocated(s, off, off + mid) <= F.budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Before writing @len bytes at @off (@off < 0: a stream) of the file of
 * @s (NULL: space is not tracked, every byte costs): how many may be
 * written (0: fail with ENOSPC). Kills the process when the kill point is
 * reached. Called with F.lock held.
 */
static size_t write_gate(const struct space *s, int64_t off, size_t len)
{
	size_t n = len;

	if (F.enospc && s)
		n = fitting_prefix(s, (uint64_t)off, len);
	else if (F.enospc)
		n = len <= F.budget ? len : (size_t)F.budget;
	if (F.kill) {
		if (F.written >= F.kill_after)
			kill(getpid(), F.kill_signal);
		if (F.kill_after - F.written < n)
			n = (size_t)(F.kill_after - F.written);
	}
	if (len && !n)
		F.enospc_hits++;
	return n;
}

/* After @done bytes at @off were written: account for them. */
static void write_done(struct space *s, int64_t off, ssize_t done)
{
	uint64_t cost = (uint64_t)done;

	if (done <= 0)
		return;
	F.written += (uint64_t)done;
	if (s)
		cost = unallocated(s, (uint64_t)off, (uint64_t)off + cost);
	if (F.enospc)
		F.budget -= cost <= F.budget ? cost : F.budget;
	F.allocated += cost;
	if (s)
		allocate(s, (uint64_t)off, (uint64_t)off + (uint64_t)done);
}

/*
 * One write of @len bytes of a matching file: at @off with pwrite64, or
 * at the file position with write (@positional false), faulted.
 */
static ssize_t faulted_write(int fd, const void *buf, size_t len, int64_t off,
			     bool positional)
{
	struct space *s = NULL;
	int64_t at = off;
	ssize_t done;
	size_t n;

	if (positional && F.write_eio && len && (uint64_t)off < F.weio_end &&
	    (uint64_t)off + len > F.weio_start) {
		pthread_mutex_lock(&F.lock);
		F.eio_hits++;
		pthread_mutex_unlock(&F.lock);
		errno = EIO;
		return -1;
	}
	pthread_mutex_lock(&F.lock);
	if (!positional) {
		off_t pos = lseek(fd, 0, SEEK_CUR);

		at = pos < 0 || (fcntl(fd, F_GETFL) & O_APPEND) ? -1 :
								  (int64_t)pos;
	}
	if (at >= 0 && !F.bytes_mode)
		s = space_of(fd);
	n = write_gate(s, at, len);
	if (len && !n) {
		pthread_mutex_unlock(&F.lock);
		errno = ENOSPC;
		return -1;
	}
	if (positional)
		done = real_pwrite64(fd, buf, n, (off64_t)off);
	else
		done = real_write(fd, buf, n);
	write_done(s, at, done);
	if (F.kill && done > 0 && F.written >= F.kill_after && n < len)
		kill(getpid(), F.kill_signal);
	pthread_mutex_unlock(&F.lock);
	return done;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	if (!F.glob || !fd_matches(fd))
		return real_write(fd, buf, len);
	return faulted_write(fd, buf, len, -1, false);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (!F.glob || !fd_matches(fd))
		return real_pwrite(fd, buf, len, off);
	return faulted_write(fd, buf, len, (int64_t)off, true);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	if (!F.glob || !fd_matches(fd))
		return real_pwrite64(fd, buf, len, off);
	return faulted_write(fd, buf, len, (int64_t)off, true);
}

/*
 * Allocation of [off, off + len): 0, or ENOSPC (nothing allocated) when
 * the space left does not hold its unallocated bytes. In bytes mode it
 * costs nothing and allocates nothing.
 */
static int falloc_gate(int fd, uint64_t off, uint64_t len)
{
	struct space *s;
	uint64_t cost;
	int e = 0;

	if (!F.glob || !fd_matches(fd))
		return 0;
	pthread_mutex_lock(&F.lock);
	if (!F.bytes_mode && (s = space_of(fd)) != NULL) {
		cost = unallocated(s, off, off + len);
		if (F.enospc && cost > F.budget) {
			F.enospc_hits++;
			e = ENOSPC;
		} else {
			if (F.enospc)
				F.budget -= cost;
			F.allocated += cost;
			allocate(s, off, off + len);
		}
	}
	pthread_mutex_unlock(&F.lock);
	return e;
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	int e = len > 0 && off >= 0 ?
			falloc_gate(fd, (uint64_t)off, (uint64_t)len) :
			0;

	if (e) {
		errno = e;
		return -1;
	}
	return real_fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	int e = len > 0 && off >= 0 ?
			falloc_gate(fd, (uint64_t)off, (uint64_t)len) :
			0;

	if (e) {
		errno = e;
		return -1;
	}
	return real_fallocate64(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	int e = len > 0 && off >= 0 ?
			falloc_gate(fd, (uint64_t)off, (uint64_t)len) :
			0;

	return e ? e : real_posix_fallocate(fd, off, len);
}

int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	int e = len > 0 && off >= 0 ?
			falloc_gate(fd, (uint64_t)off, (uint64_t)len) :
			0;

	return e ? e : real_posix_fallocate64(fd, off, len);
}

int fsync(int fd)
{
	if (F.fsync_eio && fd_matches(fd)) {
		errno = EIO;
		return -1;
	}
	return real_fsync(fd);
}

/* --- renames -------------------------------------------------------------- */

static void rename_gate(int when, const char *to)
{
	if (F.kill_rename == when && path_matches(to))
		kill(getpid(), F.kill_signal);
}

int rename(const char *from, const char *to)
{
	int rc;

	rename_gate(1, to);
	rc = real_rename(from, to);
	if (!rc)
		rename_gate(2, to);
	return rc;
}

int renameat(int dfrom, const char *from, int dto, const char *to)
{
	int rc;

	rename_gate(1, to);
	rc = real_renameat(dfrom, from, dto, to);
	if (!rc)
		rename_gate(2, to);
	return rc;
}

int renameat2(int dfrom, const char *from, int dto, const char *to,
	      unsigned int flags)
{
	int rc;

	rename_gate(1, to);
	rc = real_renameat2(dfrom, from, dto, to, flags);
	if (!rc)
		rename_gate(2, to);
	return rc;
}
