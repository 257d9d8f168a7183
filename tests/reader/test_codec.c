// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reader/codec.c: every codec round-trips pages, and rejects corrupt data
 * and data of the wrong size without writing past the page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"

static const uint32_t codecs[] = {
	DUMP_DH_COMPRESSED_ZLIB,
	DUMP_DH_COMPRESSED_LZO,
	DUMP_DH_COMPRESSED_SNAPPY,
	DUMP_DH_COMPRESSED_ZSTD,
};
#define NR_CODECS (sizeof(codecs) / sizeof(codecs[0]))

/* Page contents a dump really has: zeros, text-like, random. */
static void fill(uint8_t *p, size_t len, int kind, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		if (kind == 0)
			p[i] = 0;
		else if (kind == 1)
			p[i] = (uint8_t)("struct page "[i % 12] + (i / 512));
		else
			p[i] = (uint8_t)(seed >> 16);
	}
}

/* Compress @len bytes of @src with @flag; the caller frees *out. */
static size_t compress(uint32_t flag, const uint8_t *src, size_t len,
		       uint8_t **out)
{
	size_t cap = vt_codec_bound(flag, len), n = 0;
	size_t ws = vt_codec_work_size(flag);
	void *work = ws ? malloc(ws) : NULL;
	struct vt_error *err;

	*out = malloc(cap);
	assert_non_null(*out);
	err = vt_codec_compress(flag, src, len, *out, cap, &n, work);
	assert_null(err);
	assert_true(n > 0 && n <= cap);
	free(work);
	return n;
}

/* Decompress expecting a VT_ERR_FORMAT naming the codec. */
static void expect_format_error(uint32_t flag, const void *src, size_t len,
				size_t page_size)
{
	/* exactly page_size: ASan catches any write past it */
	uint8_t *dst = malloc(page_size);
	struct vt_error *err;

	assert_non_null(dst);
	err = vt_codec_decompress(flag, src, len, dst, page_size);
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_FORMAT);
	assert_non_null(strstr(err->message, vt_codec_name(flag)));
	vt_error_free(err);
	free(dst);
}

static void test_round_trip_every_codec(void **state)
{
	static const size_t sizes[] = { 4096, 16384, 65536 };

	(void)state;
	for (size_t c = 0; c < NR_CODECS; c++) {
		for (size_t s = 0; s < 3; s++) {
			for (int kind = 0; kind < 3; kind++) {
				size_t ps = sizes[s];
				uint8_t *page = malloc(ps), *back = malloc(ps);
				uint8_t *z;
				size_t n;

				fill(page, ps, kind, (uint32_t)(c * 7 + s));
				n = compress(codecs[c], page, ps, &z);
				if (kind == 0)
					assert_true(n < ps / 8);
				assert_null(vt_codec_decompress(codecs[c], z, n,
								back, ps));
				assert_memory_equal(page, back, ps);
				free(z);
				free(page);
				free(back);
			}
		}
	}
}

static void test_truncated_data_is_rejected(void **state)
{
	uint8_t page[4096], *z;

	(void)state;
	fill(page, sizeof(page), 1, 1);
	for (size_t c = 0; c < NR_CODECS; c++) {
		size_t n = compress(codecs[c], page, sizeof(page), &z);

		expect_format_error(codecs[c], z, n / 2, sizeof(page));
		expect_format_error(codecs[c], z, 1, sizeof(page));
		expect_format_error(codecs[c], z, 0, sizeof(page));
		free(z);
	}
}

static void test_garbage_is_rejected(void **state)
{
	uint8_t junk[3000];

	(void)state;
	/* random bytes: no valid zlib header, zstd magic or lengths */
	fill(junk, sizeof(junk), 2, 42);
	junk[0] = 0xff; /* snappy varint runs on; lzo: bad first op */
	junk[1] = 0xff;
	for (size_t c = 0; c < NR_CODECS; c++)
		expect_format_error(codecs[c], junk, sizeof(junk), 4096);
}

static void test_wrong_size_is_rejected(void **state)
{
	uint8_t big[8192], *z;

	(void)state;
	fill(big, sizeof(big), 1, 3);
	for (size_t c = 0; c < NR_CODECS; c++) {
		/* two pages of data into a one-page buffer */
		size_t n = compress(codecs[c], big, sizeof(big), &z);

		expect_format_error(codecs[c], z, n, 4096);
		free(z);
		/* half a page of data for a full page */
		n = compress(codecs[c], big, 2048, &z);
		expect_format_error(codecs[c], z, n, 4096);
		free(z);
	}
}

static void test_unknown_flag_is_rejected(void **state)
{
	uint8_t src[16] = { 0 }, dst[4096];
	struct vt_error *err;

	(void)state;
	err = vt_codec_decompress(DUMP_DH_COMPRESSED_INCOMPLETE, src,
				  sizeof(src), dst, sizeof(dst));
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_FORMAT);
	vt_error_free(err);
	err = vt_codec_decompress(DUMP_DH_COMPRESSED_ZLIB |
					  DUMP_DH_COMPRESSED_LZO,
				  src, sizeof(src), dst, sizeof(dst));
	assert_non_null(err);
	vt_error_free(err);
	assert_null(vt_codec_name(0x40));
	assert_string_equal(vt_codec_name(0), "none");
	assert_string_equal(vt_codec_name(DUMP_DH_COMPRESSED_ZSTD), "zstd");
}

static void test_compress_refuses_small_buffers(void **state)
{
	uint8_t page[4096], out[64];
	size_t n;
	void *work = malloc(vt_codec_work_size(DUMP_DH_COMPRESSED_LZO));
	struct vt_error *err;

	(void)state;
	fill(page, sizeof(page), 2, 9);
	err = vt_codec_compress(DUMP_DH_COMPRESSED_LZO, page, sizeof(page), out,
				sizeof(out), &n, work);
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_INVALID);
	vt_error_free(err);
	free(work);
	for (size_t c = 0; c < NR_CODECS; c++) {
		size_t ws = vt_codec_work_size(codecs[c]);

		work = ws ? malloc(ws) : NULL;
		err = vt_codec_compress(codecs[c], page, sizeof(page), out,
					sizeof(out), &n, work);
		assert_non_null(err);
		vt_error_free(err);
		free(work);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_codec),
		cmocka_unit_test(test_truncated_data_is_rejected),
		cmocka_unit_test(test_garbage_is_rejected),
		cmocka_unit_test(test_wrong_size_is_rejected),
		cmocka_unit_test(test_unknown_flag_is_rejected),
		cmocka_unit_test(test_compress_refuses_small_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
