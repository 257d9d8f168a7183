// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/limit: the floor a filter cannot beat. Reads exactly the pages a
 * dump holds (the set bits of DUMPFILE's 2nd bitmap) from VMCORE, in runs,
 * and compresses each with CODEC on THREADS threads, writing nothing. No
 * struct page is read and nothing is classified.
 *
 *   limit lzo|zlib|snappy|zstd|none THREADS VMCORE DUMPFILE
 *
 * Prints "limit: N pages, B compressed bytes".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/codec.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"

#include "runs.h"

#define RUN_PAGES 256

struct job {
	pthread_mutex_t lock;
	struct vt_dump *src;
	struct dumped_runs runs;
	uint64_t pages, bytes;
	uint32_t codec;
	size_t ps;
	const char *err;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	size_t ps = j->ps, cap = vt_codec_bound(j->codec, ps) + ps;
	uint8_t *in = malloc(RUN_PAGES * ps), *out = malloc(cap);
	void *work = malloc(vt_codec_work_size(j->codec) + 1);
	uint64_t start, n, pages = 0, bytes = 0;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		n = dumped_run(&j->runs, RUN_PAGES, &start, &j->err);
		/* the source is read under the lock: one reader, like a filter */
		if (n) {
			struct vt_error *err = vt_dump_read_paddr(
				j->src, start * ps, in, n * ps);

			if (err) {
				j->err = "read failed";
				vt_error_free(err);
				n = 0;
			}
		}
		pthread_mutex_unlock(&j->lock);
		if (!n)
			break;
		for (uint64_t i = 0; i < n; i++) {
			size_t len = ps;

			if (j->codec) {
				struct vt_error *err = vt_codec_compress(
					j->codec, in + i * ps, ps, out, cap,
					&len, work);

				if (err) {
					vt_error_free(err);
					len = ps;
				}
			}
			bytes += len < ps ? len : ps;
		}
		pages += n;
	}
	pthread_mutex_lock(&j->lock);
	j->pages += pages;
	j->bytes += bytes;
	pthread_mutex_unlock(&j->lock);
	free(in);
	free(out);
	free(work);
	return NULL;
}

static uint32_t codec_of(const char *s)
{
	static const uint32_t all[] = { 0, DUMP_DH_COMPRESSED_ZLIB,
					DUMP_DH_COMPRESSED_LZO,
					DUMP_DH_COMPRESSED_SNAPPY,
					DUMP_DH_COMPRESSED_ZSTD };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(s, vt_codec_name(all[i])))
			return all[i];
	return UINT32_MAX;
}

int main(int argc, char **argv)
{
	struct job j = { .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[64];
	int nth;
	struct vt_error *err;

	if (argc != 5 || (j.codec = codec_of(argv[1])) == UINT32_MAX ||
	    (nth = atoi(argv[2])) < 1 || nth > 64) {
		fprintf(stderr, "usage: limit CODEC THREADS VMCORE DUMPFILE\n");
		return 2;
	}
	err = vt_dump_open((const char *const *)&argv[3], 1, &j.src);
	if (!err)
		err = vt_dump_open((const char *const *)&argv[4], 1,
				   &j.runs.dump);
	if (err) {
		fprintf(stderr, "limit: %s\n", err->message);
		return 1;
	}
	j.ps = vt_dump_info(j.src)->page_size;
	j.runs.max_pfn = vt_dump_info(j.runs.dump)->max_pfn;
	for (int i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, &j);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (j.err) {
		fprintf(stderr, "limit: %s\n", j.err);
		return 1;
	}
	printf("limit: %llu pages, %llu compressed bytes\n",
	       (unsigned long long)j.pages, (unsigned long long)j.bytes);
	vt_dump_close(j.src);
	vt_dump_close(j.runs.dump);
	return 0;
}
