// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page contents with realistic compressibility. Each kind has a bank of
 * template pages made once from the seed; a page is a template copy with
 * its first word set from its pfn, so no two pages are identical and each
 * compresses about as well as its kind does in real dumps:
 *   text   natural-language-like words (zlib about 3:1)
 *   code   x86-like byte stream biased to frequent opcodes (about 1.6:1)
 *   ptr    kernel pointers, small integers and zero words (about 3:1)
 *   mixed  half zero, half pointer-like
 *   random incompressible (compressed files, crypto state)
 *   poison 0xcc fill (freed kernel init memory)
 */
#include <string.h>

#include "mkvmcore.h"

#define NTEMPLATES 32

static u8 bank[K_NR][NTEMPLATES][PAGE_SIZE];

static void make_text(u8 *p, u64 *rs)
{
	static const char *const words[] = {
		"the",	  "of",	    "and",     "to",	   "in",   "is",
		"for",	  "that",   "with",    "kernel",   "page", "memory",
		"return", "struct", "value",   "error",	   "file", "data",
		"system", "user",   "time",    "if",	   "else", "int",
		"static", "const",  "void",    "char",	   "size", "buffer",
		"device", "node",   "list",    "lock",	   "free", "map",
		"http",	  "server", "request", "response", "json", "name",
		"id",	  "status", "true",    "false",	   "null", "config",
		"path",
	};
	const size_t nw = sizeof(words) / sizeof(words[0]);
	size_t i = 0;

	while (i < PAGE_SIZE) {
		u64 r = rng_next(rs);
		const char *w = words[r % nw];
		size_t l;

		if (!(r & 0x3000))
			w = "\n\t";
		l = strlen(w);
		if (i + l + 1 > PAGE_SIZE)
			l = PAGE_SIZE - i - 1;
		memcpy(p + i, w, l);
		i += l;
		p[i++] = (r >> 20) % 13 ? ' ' : (u8)('A' + (r >> 28) % 26);
	}
}

static void make_code(u8 *p, u64 *rs)
{
	static const u8 ops[] = {
		0x48, 0x89, 0x8b, 0xe8, 0x0f, 0x85, 0x84, 0x74, 0x75, 0xc3,
		0x83, 0x31, 0xc0, 0x41, 0x4c, 0x8d, 0x45, 0x44, 0xff, 0x00,
		0x24, 0x10, 0x08, 0x20, 0x5d, 0x55, 0xeb, 0xc7, 0x66, 0x90,
	};
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++) {
		u64 r = rng_next(rs);

		p[i] = (r & 7) < 5 ? ops[(r >> 8) % sizeof(ops)] :
				     (u8)(r >> 16);
	}
}

static void make_ptr(u8 *p, u64 *rs, size_t from)
{
	u64 *w = (u64 *)p,
	    base = 0xffff888000000000ULL + (rng_next(rs) & 0x3fff0000000ULL);
	size_t i;

	for (i = from / 8; i < PAGE_SIZE / 8; i++) {
		u64 r = rng_next(rs);

		switch (r % 10) {
		case 0:
		case 1:
		case 2:
		case 3:
			w[i] = base + ((r >> 8) & 0xfffffc0);
			break;
		case 4:
		case 5:
			w[i] = (r >> 40) & 0xffff;
			break;
		case 6:
			w[i] = r;
			break;
		default:
			w[i] = 0;
		}
	}
}

void content_init(u64 seed)
{
	u64 rs = rng_seed(seed, 5, 0);
	int t;
	size_t i;

	for (t = 0; t < NTEMPLATES; t++) {
		memset(bank[K_ZERO][t], 0, PAGE_SIZE);
		make_text(bank[K_TEXT][t], &rs);
		make_code(bank[K_CODE][t], &rs);
		make_ptr(bank[K_PTR][t], &rs, 0);
		memset(bank[K_MIXED][t], 0, PAGE_SIZE);
		make_ptr(bank[K_MIXED][t], &rs, PAGE_SIZE / 2);
		for (i = 0; i < PAGE_SIZE / 8; i++)
			((u64 *)bank[K_RANDOM][t])[i] = rng_next(&rs);
		memset(bank[K_POISON][t], 0xcc, PAGE_SIZE);
	}
}

void content_fill(u8 *page, enum content k, u64 pfn)
{
	u64 h = mix64(pfn + 0x51);

	if (k == K_ZERO || k >= K_NR) {
		memset(page, 0, PAGE_SIZE);
		return;
	}
	memcpy(page, bank[k][h % NTEMPLATES], PAGE_SIZE);
	if (k != K_POISON)
		memcpy(page, &h, sizeof(h));
}
