// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmcopy - move a crash dump out of a QEMU guest through a raw disk.
 *
 * The capture kernel has no network and no 9P, so the dump leaves the guest
 * on a second virtio disk: a 4 KiB header block, then the dump bytes from
 * offset 4096. The header is written last, so a disk with a valid header
 * holds a complete copy. All-zero pages are never written: the host disk
 * image is a fresh sparse file, so they stay holes on both sides, and the
 * copy runs much faster than busybox dd under TCG.
 *
 *   vmcopy copy SRC DISK      mmap windows of SRC (e.g. /proc/vmcore)
 *   vmcopy stream DISK        dump read from standard input
 *   vmcopy status DISK RC     record the capture command's exit status
 *   vmcopy extract DISK OUT   (host) header check, sparse copy to OUT
 *
 * Header text: "VMEMTRIM-CAPTURE 1\nlength <n>\nstatus <rc>\n", zero padded.
 * The status is "pending" until `vmcopy status` sets it.
 *
 * Built static (gcc -static -O2) and run both in the guest and on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_SIZE 4096
#define PAGE 4096
#define WINDOW (4UL << 20)
#define MAGIC "VMEMTRIM-CAPTURE 1\n"

static int die(const char *what, const char *name)
{
	fprintf(stderr, "vmcopy: %s %s: %s\n", what, name, strerror(errno));
	return 1;
}

static int is_zero(const unsigned char *p, size_t n)
{
	const uint64_t *q = (const uint64_t *)p;

	for (size_t i = 0; i < n / 8; i++)
		if (q[i])
			return 0;
	for (size_t i = n / 8 * 8; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;

	while (n) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Write the non-zero pages of buf, which sits at dump offset off. */
static int put_pages(int out, off_t base, const unsigned char *buf, size_t n,
		     uint64_t off)
{
	for (size_t i = 0; i < n; i += PAGE) {
		size_t len = n - i < PAGE ? n - i : PAGE;

		if (is_zero(buf + i, len))
			continue;
		if (pwrite_all(out, buf + i, len, base + (off_t)(off + i)))
			return -1;
	}
	return 0;
}

static int write_header(int out, const char *length, const char *status)
{
	char hdr[HDR_SIZE];

	memset(hdr, 0, sizeof(hdr));
	snprintf(hdr, sizeof(hdr), MAGIC "length %s\nstatus %s\n", length,
		 status);
	if (pwrite_all(out, hdr, sizeof(hdr), 0) || fsync(out))
		return -1;
	return 0;
}

static int finish(int out, const char *disk, uint64_t len)
{
	char l[32];

	snprintf(l, sizeof(l), "%" PRIu64, len);
	if (fsync(out) || write_header(out, l, "pending"))
		return die("writing header to", disk);
	fprintf(stderr, "vmcopy: %" PRIu64 " bytes\n", len);
	return 0;
}

static int read_all(int fd, unsigned char *buf, size_t n, ssize_t *got)
{
	size_t have = 0;

	while (have < n) {
		ssize_t r = read(fd, buf + have, n - have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		have += (size_t)r;
	}
	*got = (ssize_t)have;
	return 0;
}

/* Copy len bytes of in from offset 0 via mmap windows, read() as fallback. */
static int copy_fd(int in, uint64_t len, int out, off_t base, const char *src)
{
	static unsigned char buf[WINDOW];
	uint64_t off = 0;

	while (off < len) {
		size_t n = len - off < WINDOW ? (size_t)(len - off) : WINDOW;
		void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, in, (off_t)off);
		const unsigned char *p = m;

		if (m == MAP_FAILED) {
			ssize_t got = pread(in, buf, n, (off_t)off);

			if (got != (ssize_t)n)
				return die("reading", src);
			p = buf;
		}
		if (put_pages(out, base, p, n, off))
			return -1;
		if (m != MAP_FAILED)
			munmap(m, n);
		off += n;
	}
	return 0;
}

static int do_copy(const char *src, const char *disk)
{
	int in = open(src, O_RDONLY);
	int out = open(disk, O_WRONLY);
	struct stat st;
	uint64_t len;

	if (in < 0)
		return die("opening", src);
	if (out < 0)
		return die("opening", disk);
	if (fstat(in, &st))
		return die("stat", src);
	len = (uint64_t)st.st_size;
	if (!len) {
		off_t end = lseek(in, 0, SEEK_END);

		if (end <= 0)
			return die("size of", src);
		len = (uint64_t)end;
	}
	if (copy_fd(in, len, out, HDR_SIZE, src))
		return die("writing", disk);
	return finish(out, disk, len);
}

static int do_stream(const char *disk)
{
	static unsigned char buf[WINDOW];
	int out = open(disk, O_WRONLY);
	uint64_t off = 0;

	if (out < 0)
		return die("opening", disk);
	for (;;) {
		ssize_t got;

		if (read_all(0, buf, sizeof(buf), &got))
			return die("reading", "stdin");
		if (!got)
			break;
		if (put_pages(out, HDR_SIZE, buf, (size_t)got, off))
			return die("writing", disk);
		off += (uint64_t)got;
	}
	return finish(out, disk, off);
}

static int read_header(int fd, uint64_t *len, char *status, size_t ssize)
{
	char hdr[HDR_SIZE + 1];
	char st[32];
	unsigned long long l;

	if (pread(fd, hdr, HDR_SIZE, 0) != HDR_SIZE)
		return -1;
	hdr[HDR_SIZE] = 0;
	if (strncmp(hdr, MAGIC, strlen(MAGIC)))
		return -1;
	if (sscanf(hdr + strlen(MAGIC), "length %llu\nstatus %31s", &l, st) !=
	    2)
		return -1;
	*len = l;
	snprintf(status, ssize, "%s", st);
	return 0;
}

static int do_status(const char *disk, const char *rc)
{
	int fd = open(disk, O_RDWR);
	uint64_t len;
	char st[32], l[32];

	if (fd < 0)
		return die("opening", disk);
	if (read_header(fd, &len, st, sizeof(st))) {
		/* The command wrote nothing: record its status anyway. */
		len = 0;
	}
	snprintf(l, sizeof(l), "%" PRIu64, len);
	if (write_header(fd, l, rc))
		return die("writing header to", disk);
	return 0;
}

static int do_extract(const char *disk, const char *dst)
{
	int in = open(disk, O_RDONLY);
	int out;
	uint64_t len;
	char st[32];

	if (in < 0)
		return die("opening", disk);
	if (read_header(in, &len, st, sizeof(st))) {
		fprintf(stderr,
			"vmcopy: %s: no capture header (capture did "
			"not finish)\n",
			disk);
		return 1;
	}
	if (strcmp(st, "0")) {
		fprintf(stderr, "vmcopy: %s: capture command status %s\n", disk,
			st);
		return 1;
	}
	if (!len) {
		fprintf(stderr, "vmcopy: %s: capture is empty\n", disk);
		return 1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return die("creating", dst);
	/* The source is a disk image that holds the dump from offset 4096. */
	{
		static unsigned char buf[WINDOW];
		uint64_t off = 0;

		while (off < len) {
			size_t n = len - off < WINDOW ? (size_t)(len - off) :
							WINDOW;
			ssize_t got =
				pread(in, buf, n, (off_t)(HDR_SIZE + off));

			if (got != (ssize_t)n) {
				fprintf(stderr,
					"vmcopy: %s: short read at "
					"%" PRIu64 "\n",
					disk, off);
				return 1;
			}
			if (put_pages(out, 0, buf, n, off))
				return die("writing", dst);
			off += n;
		}
	}
	if (ftruncate(out, (off_t)len) || fsync(out) || close(out))
		return die("finishing", dst);
	printf("%" PRIu64 "\n", len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "copy"))
		return do_copy(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "stream"))
		return do_stream(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "status"))
		return do_status(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "extract"))
		return do_extract(argv[2], argv[3]);
	fprintf(stderr, "usage: vmcopy copy SRC DISK | stream DISK | "
			"status DISK RC | extract DISK OUT\n");
	return 2;
}
