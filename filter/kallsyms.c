// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel symbols from the dump alone (kallsyms.h): the kernel keeps its
 * own symbol table (kallsyms) in its image, and VMCOREINFO locates its
 * parts since Linux 6.0 (docs/robustness.md, "Finding symbols"):
 *
 *   kallsyms_num_syms       the number of symbols (an unsigned int)
 *   kallsyms_names          per symbol, its length in bytes (one byte, or
 *                           two when the first has bit 7 set: low 7 bits
 *                           first), then that many token numbers
 *   kallsyms_token_index    256 u16: where each token's text starts in
 *   kallsyms_token_table    the tokens, NUL-terminated strings
 *   kallsyms_offsets        per symbol, an s32
 *   kallsyms_relative_base  the base the offsets are relative to (u64)
 *
 * A name's first character is its type (t, T, d, D, ...). An address is
 * relative_base + (u32)offset, or, on kernels that keep the per-CPU
 * symbols absolute (x86_64 before 6.15), the offset itself when it is not
 * negative and relative_base - 1 - offset when it is; which one is told
 * by SYMBOL(_stext), which must come out right.
 */
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "kallsyms.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"

#define PAGE 4096ULL
#define MAX_SYMS (1u << 22)
#define TOKEN_TABLE_MAX 65536
/* the names of 2^22 symbols fit: a corrupt table cannot make the scan long */
#define NAMES_MAX (64ULL << 20)

/* Kernel memory read a page at a time, the last page kept. */
struct kreader {
	struct vt_dump *dump;
	struct vt_x86_64 *x;
	uint64_t page; /* vaddr of buf, or 1: none */
	uint8_t buf[PAGE];
};

static struct vt_error *kread(struct kreader *r, uint64_t vaddr, void *to,
			      size_t len)
{
	uint8_t *o = to;

	while (len) {
		uint64_t page = vaddr & ~(PAGE - 1), off = vaddr - page;
		size_t n = PAGE - off < len ? PAGE - off : len;

		if (page != r->page) {
			uint64_t paddr;
			struct vt_error *err =
				vt_x86_64_vtop(r->x, page, &paddr, NULL);

			if (!err)
				err = vt_dump_read_paddr(r->dump, paddr, r->buf,
							 PAGE);
			if (err) {
				r->page = 1;
				return err;
			}
			r->page = page;
		}
		memcpy(o, r->buf + off, n);
		o += n;
		vaddr += n;
		len -= n;
	}
	return NULL;
}

static uint64_t sym_key(struct vt_dump *dump, const char *name)
{
	const char *v = vt_vmcoreinfo_get(vt_dump_vmcoreinfo(dump), name);

	return v ? strtoull(v, NULL, 16) : 0;
}

struct tables {
	uint64_t names, offsets, base, stext;
	uint32_t num;
	uint16_t index[256];
	uint8_t tlen[256]; /* the tokens' lengths */
	char *tokens; /* TOKEN_TABLE_MAX + 1 bytes */
};

static struct vt_error *load_tables(struct kreader *r, struct tables *t)
{
	uint64_t num = sym_key(r->dump, "SYMBOL(kallsyms_num_syms)");
	uint64_t tindex = sym_key(r->dump, "SYMBOL(kallsyms_token_index)");
	uint64_t ttable = sym_key(r->dump, "SYMBOL(kallsyms_token_table)");
	uint64_t rbase = sym_key(r->dump, "SYMBOL(kallsyms_relative_base)");
	uint8_t b[512];
	struct vt_error *err;

	t->names = sym_key(r->dump, "SYMBOL(kallsyms_names)");
	t->offsets = sym_key(r->dump, "SYMBOL(kallsyms_offsets)");
	t->stext = sym_key(r->dump, "SYMBOL(_stext)");
	if (!num || !tindex || !ttable || !rbase || !t->names || !t->offsets ||
	    !t->stext)
		return vt_error_new(VT_ERR_NOKEY,
				    "VMCOREINFO does not locate kallsyms");
	err = kread(r, num, b, 4);
	if (!err)
		t->num = vt_le32(b);
	if (!err)
		err = kread(r, rbase, b, 8);
	if (!err)
		t->base = vt_le64(b);
	if (!err && (t->num == 0 || t->num > MAX_SYMS))
		err = vt_error_new(VT_ERR_FORMAT,
				   "kallsyms_num_syms=%u is implausible",
				   t->num);
	if (!err)
		err = kread(r, tindex, b, 512);
	for (int i = 0; !err && i < 256; i++)
		t->index[i] = (uint16_t)vt_le16(b + 2 * i);
	t->tokens = err ? NULL : calloc(1, TOKEN_TABLE_MAX + 1);
	if (!err && !t->tokens)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	/* the tokens are short: 64 KiB holds any table a kernel builds */
	for (uint64_t o = 0; !err && o < TOKEN_TABLE_MAX; o += PAGE)
		if (kread(r, ttable + o, t->tokens + o, PAGE))
			break; /* the table ends before: its last page read */
	for (int i = 0; !err && i < 256; i++) {
		size_t l = strlen(t->tokens + t->index[i]);

		t->tlen[i] = (uint8_t)(l < 255 ? l : 255);
	}
	return err;
}

/* The address of symbol @i, both ways (see above). */
static void address(struct kreader *r, const struct tables *t, uint32_t i,
		    uint64_t *rel, uint64_t *abs, struct vt_error **err)
{
	uint8_t b[4];
	int32_t off;

	*err = kread(r, t->offsets + 4ULL * i, b, 4);
	off = (int32_t)vt_le32(b);
	*rel = t->base + (uint32_t)off;
	/* base - 1 - off, off negative: base - 1 + |off| */
	*abs = off >= 0 ? (uint64_t)off :
			  t->base - 1 + (uint64_t)(-(int64_t)off);
}

struct vt_error *vt_kallsyms_lookup(struct vt_dump *dump, struct vt_x86_64 *x,
				    const char *const *names, size_t n,
				    uint64_t *addrs)
{
	struct kreader *r = calloc(1, sizeof(*r));
	uint64_t *abs_of = calloc(n ? n : 1, sizeof(*abs_of));
	size_t *len_of = calloc(n ? n : 1, sizeof(*len_of));
	struct tables t = { 0 };
	struct vt_error *err;
	uint64_t pos, stext_rel = 0, stext_abs = 0;
	bool want_abs = false;
	char name[512];
	size_t found = 0;

	if (!r || !abs_of || !len_of) {
		free(r);
		free(abs_of);
		free(len_of);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	for (size_t w = 0; w < n; w++)
		len_of[w] = strlen(names[w]);
	memset(addrs, 0, n * sizeof(*addrs));
	r->dump = dump;
	r->x = x;
	r->page = 1;
	err = load_tables(r, &t);
	pos = t.names;
	for (uint32_t i = 0; !err && i < t.num && found <= n; i++) {
		uint8_t b[2];
		size_t len, k = 0;

		err = kread(r, pos, b, 2);
		len = b[0];
		pos += 1;
		if (!err && (b[0] & 0x80)) {
			len = (b[0] & 0x7f) | ((size_t)b[1] << 7);
			pos += 1;
		}
		for (size_t j = 0; !err && j < len; j++) {
			uint64_t v = pos + j;
			uint8_t tok;
			const char *s;
			size_t sl;

			/* the page at hand, most of the time */
			if ((v & ~(PAGE - 1)) == r->page)
				tok = r->buf[v & (PAGE - 1)];
			else
				err = kread(r, v, &tok, 1);
			/* a u16 index: inside the table and its final NUL */
			s = t.tokens + t.index[tok];
			sl = t.tlen[tok];
			if (k + sl >= sizeof(name))
				sl = sizeof(name) - 1 - k;
			memcpy(name + k, s, sl);
			k += sl;
		}
		pos += len;
		name[k] = 0;
		if (!err && pos - t.names > NAMES_MAX)
			err = vt_error_new(VT_ERR_FORMAT,
					   "kallsyms_names runs past %llu MiB",
					   NAMES_MAX >> 20);
		if (err || k < 2)
			continue;
		if (k == 7 && !memcmp(name + 1, "_stext", 6)) {
			address(r, &t, i, &stext_rel, &stext_abs, &err);
			want_abs = stext_abs == t.stext;
			if (!err && stext_rel != t.stext && !want_abs)
				err = vt_error_new(
					VT_ERR_FORMAT,
					"kallsyms: _stext is not at SYMBOL(_stext)");
			found++;
			continue;
		}
		for (size_t w = 0; !err && w < n; w++) {
			if (addrs[w] || abs_of[w] || strcmp(name + 1, names[w]))
				continue;
			address(r, &t, i, &addrs[w], &abs_of[w], &err);
			found++;
		}
	}
	if (!err && !stext_rel && !stext_abs)
		err = vt_error_new(VT_ERR_FORMAT, "no _stext");
	for (size_t w = 0; want_abs && w < n; w++)
		addrs[w] = abs_of[w];
	free(abs_of);
	free(len_of);
	free(t.tokens);
	free(r);
	return err ? vt_error_prefix(err, "kallsyms: ") : NULL;
}
