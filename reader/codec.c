// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page codecs of kdump-compressed dumps on top of the real libraries: zlib
 * (zlib wrapper, as compress2() writes it), lzo1x_1, snappy (raw format)
 * and zstd (frame format). Every decompressor is bounded by the page: the
 * libraries are told the page size as the output capacity, so corrupt data
 * can never write past @dst.
 */
#include <limits.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <stdbool.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_initStaticCCtx: no malloc per page */
#include <zstd.h>

#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"

/* zlib level makedumpfile uses: pages are many and small, speed matters. */
#define CODEC_ZLIB_LEVEL Z_BEST_SPEED
#define CODEC_ZSTD_LEVEL 1

const char *vt_codec_name(uint32_t flag)
{
	switch (flag) {
	case 0:
		return "none";
	case DUMP_DH_COMPRESSED_ZLIB:
		return "zlib";
	case DUMP_DH_COMPRESSED_LZO:
		return "lzo";
	case DUMP_DH_COMPRESSED_SNAPPY:
		return "snappy";
	case DUMP_DH_COMPRESSED_ZSTD:
		return "zstd";
	default:
		return NULL;
	}
}

static struct vt_error *wrong_size(const char *codec, size_t got,
				   size_t page_size)
{
	return vt_error_new(VT_ERR_FORMAT,
			    "%s data decompresses to %zu bytes, not %zu", codec,
			    got, page_size);
}

static struct vt_error *zlib_decompress(const void *src, size_t src_len,
					void *dst, size_t page_size)
{
	uLongf out = page_size;
	int ret;

	if (src_len > ULONG_MAX || page_size > ULONG_MAX)
		return vt_error_new(VT_ERR_FORMAT, "zlib data too large");
	ret = uncompress(dst, &out, src, src_len);
	if (ret == Z_BUF_ERROR && out == page_size)
		return vt_error_new(
			VT_ERR_FORMAT,
			"zlib data is corrupt or larger than a page of %zu bytes",
			page_size);
	if (ret != Z_OK)
		return vt_error_new(VT_ERR_FORMAT, "zlib data is corrupt: %s",
				    zError(ret));
	if (out != page_size)
		return wrong_size("zlib", out, page_size);
	return NULL;
}

static bool lzo_ok;

static void lzo_init_once(void)
{
	lzo_ok = lzo_init() == LZO_E_OK;
}

/*
 * lzo_init() checks the build's type sizes and keeps no state; run per
 * page, its checks took 3% of the time of lzo1x_1_compress(): once is
 * enough.
 */
static bool lzo_ready(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, lzo_init_once);
	return lzo_ok;
}

static struct vt_error *lzo_decompress(const void *src, size_t src_len,
				       void *dst, size_t page_size)
{
	lzo_uint out = page_size;
	int ret;

	if (!lzo_ready())
		return vt_error_new(VT_ERR_UNSUPPORTED, "lzo_init failed");
	ret = lzo1x_decompress_safe(src, src_len, dst, &out, NULL);
	if (ret != LZO_E_OK)
		return vt_error_new(
			VT_ERR_FORMAT,
			"lzo data is corrupt: lzo1x_decompress_safe returned %d%s",
			ret,
			ret == LZO_E_OUTPUT_OVERRUN ? " (output overrun)" :
			ret == LZO_E_INPUT_OVERRUN  ? " (input overrun)" :
			ret == LZO_E_INPUT_NOT_CONSUMED ?
						     " (input not consumed)" :
						     "");
	if (out != page_size)
		return wrong_size("lzo", out, page_size);
	return NULL;
}

static struct vt_error *snappy_decompress(const void *src, size_t src_len,
					  void *dst, size_t page_size)
{
	size_t out;
	snappy_status ret;

	ret = snappy_uncompressed_length(src, src_len, &out);
	if (ret != SNAPPY_OK)
		return vt_error_new(
			VT_ERR_FORMAT,
			"snappy data is corrupt: bad length preamble (status %d)",
			(int)ret);
	if (out != page_size)
		return wrong_size("snappy", out, page_size);
	ret = snappy_uncompress(src, src_len, dst, &out);
	if (ret != SNAPPY_OK)
		return vt_error_new(VT_ERR_FORMAT,
				    "snappy data is corrupt (status %d)",
				    (int)ret);
	if (out != page_size)
		return wrong_size("snappy", out, page_size);
	return NULL;
}

static struct vt_error *zstd_decompress(const void *src, size_t src_len,
					void *dst, size_t page_size)
{
	size_t ret = ZSTD_decompress(dst, page_size, src, src_len);

	if (ZSTD_isError(ret))
		return vt_error_new(VT_ERR_FORMAT, "zstd data is corrupt: %s",
				    ZSTD_getErrorName(ret));
	if (ret != page_size)
		return wrong_size("zstd", ret, page_size);
	return NULL;
}

struct vt_error *vt_codec_decompress(uint32_t flag, const void *src,
				     size_t src_len, void *dst,
				     size_t page_size)
{
	switch (flag) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return zlib_decompress(src, src_len, dst, page_size);
	case DUMP_DH_COMPRESSED_LZO:
		return lzo_decompress(src, src_len, dst, page_size);
	case DUMP_DH_COMPRESSED_SNAPPY:
		return snappy_decompress(src, src_len, dst, page_size);
	case DUMP_DH_COMPRESSED_ZSTD:
		return zstd_decompress(src, src_len, dst, page_size);
	default:
		return vt_error_new(VT_ERR_FORMAT,
				    "unknown compression flags 0x%x", flag);
	}
}

size_t vt_codec_bound(uint32_t flag, size_t page_size)
{
	switch (flag) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return compressBound(page_size);
	case DUMP_DH_COMPRESSED_LZO:
		/* worst case of lzo1x for incompressible input */
		return page_size + page_size / 16 + 64 + 3;
	case DUMP_DH_COMPRESSED_SNAPPY:
		return snappy_max_compressed_length(page_size);
	case DUMP_DH_COMPRESSED_ZSTD:
		return ZSTD_compressBound(page_size);
	default:
		return page_size;
	}
}

/*
 * zlib's work memory: a z_stream and an arena its allocations come from,
 * so a page costs no malloc (compress2() allocates about 270 KiB per call,
 * which glibc may hand out by mmap, page faults and all).
 */
#define ZLIB_ARENA (384u << 10)

struct zlib_work {
	z_stream zs;
	size_t used;
	unsigned char arena[ZLIB_ARENA];
};

static voidpf zlib_arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct zlib_work *zw = opaque;
	size_t n = ((size_t)items * size + 15) & ~(size_t)15;

	if (n > ZLIB_ARENA - zw->used)
		return Z_NULL;
	zw->used += n;
	return zw->arena + zw->used - n;
}

static void zlib_arena_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

size_t vt_codec_work_size(uint32_t flag)
{
	switch (flag) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return sizeof(struct zlib_work);
	case DUMP_DH_COMPRESSED_LZO:
		return LZO1X_1_MEM_COMPRESS;
	case DUMP_DH_COMPRESSED_ZSTD:
		return ZSTD_estimateCCtxSize(CODEC_ZSTD_LEVEL);
	default:
		return 0;
	}
}

/* compress2(), with the allocations in @zw: the same bytes. */
static int zlib_deflate_in(struct zlib_work *zw, const void *src,
			   size_t page_size, void *dst, uLongf *out)
{
	z_stream *zs = &zw->zs;
	int ret;

	memset(zs, 0, sizeof(*zs));
	zw->used = 0;
	zs->zalloc = zlib_arena_alloc;
	zs->zfree = zlib_arena_free;
	zs->opaque = zw;
	ret = deflateInit(zs, CODEC_ZLIB_LEVEL);
	if (ret != Z_OK)
		return ret;
	zs->next_in = (Bytef *)src;
	zs->avail_in = (uInt)page_size;
	zs->next_out = dst;
	zs->avail_out = (uInt)*out;
	ret = deflate(zs, Z_FINISH);
	*out = zs->total_out;
	deflateEnd(zs);
	return ret == Z_STREAM_END ? Z_OK : ret == Z_OK ? Z_BUF_ERROR : ret;
}

static struct vt_error *zlib_compress(const void *src, size_t page_size,
				      void *dst, size_t dst_cap,
				      size_t *dst_len, void *work)
{
	uLongf out = dst_cap > UINT_MAX ? UINT_MAX : dst_cap;
	int ret = work ? zlib_deflate_in(work, src, page_size, dst, &out) :
			 compress2(dst, &out, src, page_size, CODEC_ZLIB_LEVEL);

	if (ret != Z_OK)
		return vt_error_new(VT_ERR_INVALID, "zlib compress2: %s",
				    zError(ret));
	*dst_len = out;
	return NULL;
}

static struct vt_error *lzo_compress(const void *src, size_t page_size,
				     void *dst, size_t dst_cap, size_t *dst_len,
				     void *work)
{
	lzo_uint out = 0;
	int ret;

	if (!work)
		return vt_error_new(VT_ERR_INVALID,
				    "lzo compression needs work memory");
	if (dst_cap < vt_codec_bound(DUMP_DH_COMPRESSED_LZO, page_size))
		return vt_error_new(
			VT_ERR_INVALID,
			"lzo output buffer of %zu bytes is too small", dst_cap);
	if (!lzo_ready())
		return vt_error_new(VT_ERR_UNSUPPORTED, "lzo_init failed");
	ret = lzo1x_1_compress(src, page_size, dst, &out, work);
	if (ret != LZO_E_OK)
		return vt_error_new(VT_ERR_INVALID,
				    "lzo1x_1_compress returned %d", ret);
	*dst_len = out;
	return NULL;
}

static struct vt_error *snappy_compress_page(const void *src, size_t page_size,
					     void *dst, size_t dst_cap,
					     size_t *dst_len)
{
	size_t out = dst_cap;
	snappy_status ret;

	if (dst_cap < snappy_max_compressed_length(page_size))
		return vt_error_new(
			VT_ERR_INVALID,
			"snappy output buffer of %zu bytes is too small",
			dst_cap);
	ret = snappy_compress(src, page_size, dst, &out);
	if (ret != SNAPPY_OK)
		return vt_error_new(VT_ERR_INVALID,
				    "snappy_compress failed (status %d)",
				    (int)ret);
	*dst_len = out;
	return NULL;
}

static struct vt_error *zstd_compress(const void *src, size_t page_size,
				      void *dst, size_t dst_cap,
				      size_t *dst_len, void *work)
{
	size_t ws = vt_codec_work_size(DUMP_DH_COMPRESSED_ZSTD);
	ZSTD_CCtx *cctx = work ? ZSTD_initStaticCCtx(work, ws) : NULL;
	size_t ret;

	/* Without work memory, zstd allocates a context for this call. */
	if (cctx)
		ret = ZSTD_compressCCtx(cctx, dst, dst_cap, src, page_size,
					CODEC_ZSTD_LEVEL);
	else
		ret = ZSTD_compress(dst, dst_cap, src, page_size,
				    CODEC_ZSTD_LEVEL);
	if (ZSTD_isError(ret))
		return vt_error_new(VT_ERR_INVALID, "zstd compress: %s",
				    ZSTD_getErrorName(ret));
	*dst_len = ret;
	return NULL;
}

struct vt_error *vt_codec_compress(uint32_t flag, const void *src,
				   size_t page_size, void *dst, size_t dst_cap,
				   size_t *dst_len, void *work)
{
	switch (flag) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return zlib_compress(src, page_size, dst, dst_cap, dst_len,
				     work);
	case DUMP_DH_COMPRESSED_LZO:
		return lzo_compress(src, page_size, dst, dst_cap, dst_len,
				    work);
	case DUMP_DH_COMPRESSED_SNAPPY:
		return snappy_compress_page(src, page_size, dst, dst_cap,
					    dst_len);
	case DUMP_DH_COMPRESSED_ZSTD:
		return zstd_compress(src, page_size, dst, dst_cap, dst_len,
				     work);
	default:
		return vt_error_new(VT_ERR_INVALID,
				    "unknown compression flag 0x%x", flag);
	}
}
