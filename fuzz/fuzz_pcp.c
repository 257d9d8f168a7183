// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Harness for filter/pcp.c: the input is the struct pages of a small
 * machine (64 bytes each) followed by its list heads, as a crashed kernel
 * may have left them, links pointing anywhere. The classifier marks the
 * candidates, vt_pcp_resolve() walks their lists: it must end, give only
 * known classes, and leave out a page only when it or a page before it in
 * its block was a candidate (a page whose struct page looks free).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "pcp.h"
#include "vmemtrim/vmcoreinfo.h"

#define SP 64
#define VMEMMAP 0xffffea0000000000ULL
#define HEADS 0xffff888100000000ULL /* the bytes after the struct pages */

static const char vi_61[] =
	"OSRELEASE=6.1.0\nPAGESIZE=4096\nSIZE(page)=64\n"
	"OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\nOFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\nLENGTH(zone.free_area)=11\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\n"
	"NUMBER(PG_head_mask)=65536\nNUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n";

struct mem {
	const uint8_t *data;
	size_t npfn, size;
};

static bool mem_read(void *arg, uint64_t vaddr, void *buf, size_t len)
{
	const struct mem *m = arg;
	uint64_t off;

	if (vaddr >= VMEMMAP && vaddr - VMEMMAP < m->npfn * SP &&
	    len <= m->npfn * SP - (vaddr - VMEMMAP)) {
		memcpy(buf, m->data + (vaddr - VMEMMAP), len);
		return true;
	}
	off = m->npfn * SP + (vaddr - HEADS);
	if (vaddr >= HEADS && vaddr - HEADS < m->size && off < m->size &&
	    len <= m->size - off) {
		memcpy(buf, m->data + off, len);
		return true;
	}
	return false;
}

static struct vt_classifier *make(void)
{
	struct vt_vmcoreinfo *vi;
	struct vt_kernel_profile kp;
	struct vt_classifier *c = NULL;

	if (vt_vmcoreinfo_parse(vi_61, strlen(vi_61), &vi) ||
	    vt_kernel_profile_init(&kp, vi) || vt_classifier_new(&kp, &c))
		abort();
	vt_vmcoreinfo_free(vi);
	vt_classifier_set_layout(c, VMEMMAP, 4);
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vt_classifier *c;
	struct vt_classify_state st;
	struct mem m = { data, 0, size };
	struct vt_pcp_reader rd = { mem_read, &m };
	uint8_t *cls, *cand;

	if (!c)
		c = make();
	/* the first 3/4 of the input are struct pages, the rest heads */
	m.npfn = size * 3 / 4 / SP;
	if (!m.npfn)
		return 0;
	cls = malloc(m.npfn);
	cand = malloc(m.npfn);
	if (!cls || !cand)
		abort();
	vt_classify_reset(&st);
	vt_classify(c, &st, 0, m.npfn, data, m.npfn, cls);
	for (size_t i = 0; i < m.npfn; i++)
		cand[i] = cls[i] == VT_CLASS_PCP_MAYBE;
	if (vt_pcp_resolve(vt_classifier_pcp(c), &rd, true, 0, m.npfn, cls))
		abort();
	for (size_t i = 0, last = SIZE_MAX; i < m.npfn; i++) {
		if (cls[i] >= VT_CLASS_NR || cls[i] == VT_CLASS_PCP_MAYBE)
			abort();
		if (cand[i])
			last = i;
		/* free only a candidate or the rest of a block after one */
		if (cls[i] == VT_CLASS_PCP_FREE &&
		    (last == SIZE_MAX || i - last >= 512))
			abort();
	}
	free(cls);
	free(cand);
	return 0;
}
