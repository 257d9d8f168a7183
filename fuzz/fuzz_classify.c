// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: arbitrary bytes as the struct pages of a run of pfns
 * (garbage struct pages, as a crashed kernel leaves them), classified in
 * pieces of fuzzed lengths by the 6.1 and the 6.12+ rows of the era table.
 * Every class must be a valid one, and a carried decision (free block or
 * compound page) must never reach past the block it came from by more than
 * the largest order the era allows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "vmemtrim/vmcoreinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SP 64 /* SIZE(page) */

static const char vi_61[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\nPAGESIZE=4096\nSIZE(page)=64\n"
	"OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\n"
	"NUMBER(PG_head_mask)=65536\nNUMBER(PG_hwpoison)=23\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\nNUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

static const char vi_612[] =
	"OSRELEASE=6.12.0-1-amd64\nPAGESIZE=4096\nSIZE(page)=64\n"
	"OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_head)=8\nOFFSET(folio._folio_order)=-1\n"
	"LENGTH(zone.free_area)=11\nNUMBER(PG_lru)=4\n"
	"NUMBER(PG_private)=12\nNUMBER(PG_swapcache)=9\n"
	"NUMBER(PG_swapbacked)=18\nNUMBER(PG_head_mask)=64\n"
	"NUMBER(PG_hwpoison)=22\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n";

static struct vt_classifier *make(const char *text)
{
	struct vt_vmcoreinfo *vi;
	struct vt_kernel_profile kp;
	struct vt_classifier *c = NULL;

	if (vt_vmcoreinfo_parse(text, strlen(text), &vi))
		abort();
	if (vt_kernel_profile_init(&kp, vi))
		abort();
	/* a row the table does not know is not the harness's business */
	vt_error_free(vt_classifier_new(&kp, &c));
	vt_vmcoreinfo_free(vi);
	return c;
}

static void run(const struct vt_classifier *c, const uint8_t *data, size_t size)
{
	struct vt_classify_state st;
	size_t n = size / SP, done = 0;
	uint8_t *cls = malloc(n ? n : 1);
	uint64_t base = (uint64_t)data[0] << 12; /* a fuzzed, aligned start */

	vt_classify_reset(&st);
	while (done < n) {
		/* pieces of fuzzed lengths, with or without the lookahead */
		size_t len = 1 + data[(done * 7) % size] % 97;
		size_t avail;

		if (len > n - done)
			len = n - done;
		avail = len + (done + len < n && (data[done % size] & 1));
		vt_classify(c, &st, base + done, len, data + done * SP, avail,
			    cls + done);
		for (size_t i = done; i < done + len; i++)
			if (cls[i] >= VT_CLASS_NR)
				abort();
		/* nothing carries further than an order-18 block */
		if (st.carry_end > base + done + len + (1u << 18))
			abort();
		done += len;
	}
	free(cls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vt_classifier *c61, *c612;

	if (!c61) {
		c61 = make(vi_61);
		c612 = make(vi_612);
		if (!c61)
			abort();
	}
	if (size < SP)
		return 0;
	run(c61, data, size);
	if (c612)
		run(c612, data, size);
	return 0;
}
