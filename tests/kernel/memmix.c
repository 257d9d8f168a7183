// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memmix - the process side of the fixture's memory mix, run in the first
 * kernel before the panic.
 *
 *   memmix ANON_MIB DIR NFILES READY
 *
 * Creates NFILES small files in DIR (dentries, inodes and their tmpfs pages
 * give the slab caches real content), then allocates ANON_MIB MiB of
 * anonymous memory filled with non-zero data of three kinds (text, a
 * counter, pseudo-random bytes) so that a dump filter has user pages to
 * classify, starts NTHREADS extra threads (so the dump has a multi-threaded
 * process for crash's task table to find), touches READY and sleeps until
 * the panic.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTHREADS 3

static const char text[] =
	"vmemtrim fixture: anonymous page held by memmix until the panic\n";

static void make_files(const char *dir, long n)
{
	char path[4096], buf[4096];

	for (long i = 0; i < n; i++) {
		int len = 64 + (int)((i * 37) % 2000);
		int fd;

		snprintf(path, sizeof(path), "%s/f%06ld", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			perror(path);
			exit(1);
		}
		for (int k = 0; k < len; k++)
			buf[k] = text[(k + i) % (sizeof(text) - 1)];
		if (write(fd, buf, (size_t)len) != len) {
			perror(path);
			exit(1);
		}
		close(fd);
	}
}

static void fill(unsigned char *p, size_t size)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t off = 0; off < size; off += 4096) {
		unsigned char *pg = p + off;

		switch ((off / 4096) % 3) {
		case 0:
			for (size_t k = 0; k < 4096; k++)
				pg[k] = (unsigned char)
					text[k % (sizeof(text) - 1)];
			break;
		case 1:
			for (size_t k = 0; k < 4096; k += 8)
				*(uint64_t *)(pg + k) = off + k + 1;
			break;
		default:
			for (size_t k = 0; k < 4096; k += 8) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				*(uint64_t *)(pg + k) = x;
			}
		}
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	size_t size;
	unsigned char *p;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: memmix ANON_MIB DIR NFILES READY\n");
		return 2;
	}
	make_files(argv[2], atol(argv[3]));
	size = (size_t)atol(argv[1]) << 20;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	fill(p, size);
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th, NULL, sleeper, NULL)) {
			fprintf(stderr, "memmix: pthread_create failed\n");
			return 1;
		}
	fd = open(argv[4], O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		perror(argv[4]);
		return 1;
	}
	close(fd);
	for (;;)
		pause();
}
