// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Page classification by kernel era. See filter/classify.h and
 * docs/page-classification.md for the rules.
 *
 * Where the eras differ (facts from the kernel sources and VMCOREINFO):
 * - 4.18-6.11: page types are inverted bits in the _mapcount/page_type word
 *   (buddy ~0x80 = 0xffffff7f, offline ~0x100, hugetlb ~0x800 from 6.9, slab
 *   ~0x1000 from 6.10); a struct page of a type has exactly that word.
 *   6.12+: the top byte of the word is the type (PGTY_buddy 0xf0, offline
 *   0xf1, hugetlb 0xf4, slab 0xf5, unaccepted 0xf7), so only it is compared;
 *   NUMBER(PAGE_*_MAPCOUNT_VALUE) is then PGTY_* << 24.
 * - Compound order: a byte at page[1] + OFFSET(page.compound_order) before
 *   6.3; a byte at OFFSET(folio._folio_order) of the folio, which is page[1]
 *   + that - SIZE(page), in 6.3-6.5; the low byte of page[1].flags in 6.6+.
 * - Hugetlb: page[1]'s compound dtor byte == HUGETLB_PAGE_DTOR before 6.6
 *   (folio._folio_dtor in 6.3-6.5); PG_hugetlb in page[1].flags in 6.6-6.8;
 *   a page type of the head from 6.9.
 * - Slab: the PG_slab flag before 6.10, a page type from 6.10.
 * VMCOREINFO keys come and go with these changes, so the keys choose the
 * era; OSRELEASE only breaks ties between eras whose keys can look alike
 * (a kernel built without hugetlb or unaccepted memory support publishes
 * fewer keys). Keys win over OSRELEASE, as distributions backport.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "pcp.h"
#include "vmemtrim/vmcoreinfo.h"

/* A kernel version as OSRELEASE starts: major.minor. */
#define KV(major, minor) ((unsigned int)(major) << 8 | (unsigned int)(minor))
#define KV_OLDEST KV(4, 18)

/* The profile field of a VMCOREINFO key, as vt_profile_require() takes. */
#define PF(field) offsetof(struct vt_kernel_profile, field)

/*
 * LENGTH(zone.free_area) when the caller does not say: MAX_ORDER 11 before
 * 6.4, and MAX_ORDER (later MAX_PAGE_ORDER) 10 + 1 after, on x86_64.
 */
#define DEFAULT_FREE_AREA_LENGTH 11

/* The largest folio on x86_64: a 1 GiB HugeTLB page (PUD_ORDER). */
#define MAX_COMPOUND_ORDER 18

/* 6.12+ page types (enum pagetype), used when a key is absent. */
#define PGTY_BUDDY 0xf0
#define PGTY_OFFLINE 0xf1
#define PGTY_HUGETLB 0xf4
#define PGTY_SLAB 0xf5
#define PGTY_UNACCEPTED 0xf7

enum type_rule {
	TYPE_WHOLE_WORD, /* the word equals the NUMBER() value */
	TYPE_TOP_BYTE, /* the word's top byte equals the value's */
};

enum slab_rule {
	SLAB_PG_FLAG, /* NUMBER(PG_slab) in flags */
	SLAB_PAGE_TYPE, /* NUMBER(PAGE_SLAB_MAPCOUNT_VALUE) page type */
};

enum order_rule {
	ORDER_PAGE_FIELD, /* page[1] + OFFSET(page.compound_order) */
	ORDER_FOLIO_FIELD, /* page[1] + OFFSET(folio._folio_order) - SIZE */
	ORDER_FLAGS_BYTE, /* page[1].flags & 0xff */
};

enum hugetlb_rule {
	HUGETLB_PAGE_DTOR, /* page[1] + OFFSET(page.compound_dtor) */
	HUGETLB_FOLIO_DTOR, /* page[1] + OFFSET(folio._folio_dtor) - SIZE */
	HUGETLB_PG_FLAG, /* NUMBER(PG_hugetlb) in page[1].flags */
	HUGETLB_PAGE_TYPE, /* NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE) */
};

#define ERA_KEYS 5

/* One kernel era: how to tell it, and where its markers live. */
struct era {
	const char *name;
	unsigned int from, until; /* OSRELEASE [from, until); until 0: open */
	bool typed_buddy; /* NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) is PGTY << 24 */
	size_t need[ERA_KEYS]; /* keys the era always publishes; 0 ends */
	size_t forbid[ERA_KEYS]; /* keys it never publishes; 0 ends */
	enum type_rule types;
	enum slab_rule slab;
	enum order_rule order;
	enum hugetlb_rule hugetlb;
	bool unaccepted;
};

/* clang-format off */
static const struct era eras[] = {
	{
		.name = "4.18-6.2", .from = KV(4, 18), .until = KV(6, 3),
		.need = { PF(off_page_compound_order) },
		.forbid = { PF(off_folio_order), PF(pg_hugetlb),
			    PF(page_hugetlb_mapcount),
			    PF(page_slab_mapcount) },
		.types = TYPE_WHOLE_WORD, .slab = SLAB_PG_FLAG,
		.order = ORDER_PAGE_FIELD, .hugetlb = HUGETLB_PAGE_DTOR,
	},
	{
		.name = "6.3-6.5", .from = KV(6, 3), .until = KV(6, 6),
		.need = { PF(off_folio_order) },
		.forbid = { PF(off_page_compound_order), PF(pg_hugetlb),
			    PF(page_hugetlb_mapcount),
			    PF(page_slab_mapcount) },
		.types = TYPE_WHOLE_WORD, .slab = SLAB_PG_FLAG,
		.order = ORDER_FOLIO_FIELD, .hugetlb = HUGETLB_FOLIO_DTOR,
	},
	{
		.name = "6.6-6.8", .from = KV(6, 6), .until = KV(6, 9),
		.forbid = { PF(off_page_compound_order), PF(off_folio_order),
			    PF(hugetlb_page_dtor), PF(page_hugetlb_mapcount),
			    PF(page_slab_mapcount) },
		.types = TYPE_WHOLE_WORD, .slab = SLAB_PG_FLAG,
		.order = ORDER_FLAGS_BYTE, .hugetlb = HUGETLB_PG_FLAG,
	},
	{
		.name = "6.9", .from = KV(6, 9), .until = KV(6, 10),
		.forbid = { PF(off_page_compound_order), PF(off_folio_order),
			    PF(hugetlb_page_dtor), PF(pg_hugetlb),
			    PF(page_slab_mapcount) },
		.types = TYPE_WHOLE_WORD, .slab = SLAB_PG_FLAG,
		.order = ORDER_FLAGS_BYTE, .hugetlb = HUGETLB_PAGE_TYPE,
	},
	{
		.name = "6.10-6.11", .from = KV(6, 10), .until = KV(6, 12),
		.need = { PF(page_slab_mapcount) },
		.forbid = { PF(off_page_compound_order), PF(off_folio_order),
			    PF(hugetlb_page_dtor), PF(pg_hugetlb), PF(pg_slab) },
		.types = TYPE_WHOLE_WORD, .slab = SLAB_PAGE_TYPE,
		.order = ORDER_FLAGS_BYTE, .hugetlb = HUGETLB_PAGE_TYPE,
	},
	{
		.name = "6.12-6.15", .from = KV(6, 12), .until = KV(6, 16),
		.typed_buddy = true,
		.forbid = { PF(off_page_compound_order), PF(off_folio_order),
			    PF(pg_hugetlb), PF(pg_slab),
			    PF(page_unaccepted_mapcount) },
		.types = TYPE_TOP_BYTE, .slab = SLAB_PAGE_TYPE,
		.order = ORDER_FLAGS_BYTE, .hugetlb = HUGETLB_PAGE_TYPE,
	},
	{
		.name = "6.16+", .from = KV(6, 16), .until = 0,
		.typed_buddy = true,
		.forbid = { PF(off_page_compound_order), PF(off_folio_order),
			    PF(pg_hugetlb), PF(pg_slab) },
		.types = TYPE_TOP_BYTE, .slab = SLAB_PAGE_TYPE,
		.order = ORDER_FLAGS_BYTE, .hugetlb = HUGETLB_PAGE_TYPE,
		.unaccepted = true,
	},
};
/* clang-format on */

#define NR_ERAS (sizeof(eras) / sizeof(eras[0]))

/* A page-type marker: off, or the 32-bit word (or its top byte) to see. */
struct marker {
	bool on;
	uint32_t value;
};

struct vt_classifier {
	const struct era *era;
	size_t size_page;
	size_t off_flags, off_mapping, off_mapcount, off_private;
	size_t off_head; /* OFFSET(page.compound_head), if has_head_ptr */
	bool has_head_ptr;
	/* Flag masks; 0 when the kernel did not publish the flag. */
	uint64_t pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab;
	uint64_t pg_hwpoison, pg_head, pg_hugetlb;
	bool swapbacked_known;
	struct marker buddy, offline, slab, hugetlb, unaccepted;
	size_t off_order, off_dtor; /* inside page[1] */
	bool has_dtor;
	uint8_t hugetlb_dtor;
	unsigned int free_area_length;
	/* vt_classifier_set_layout(): 0 when not known */
	uint64_t vmemmap_base; /* struct page of pfn 0 */
	uint64_t kernel_floor; /* lowest kernel virtual address */
	struct vt_pcp *pcp; /* per-CPU free page candidates, or NULL */
};

/* What one struct page decides: a class for 1 << order pfns. */
struct verdict {
	uint8_t cls;
	unsigned int order;
};

static const char *const class_names[VT_CLASS_NR] = {
	[VT_CLASS_KEEP] = "keep",
	[VT_CLASS_UNKNOWN] = "unknown",
	[VT_CLASS_CACHE] = "cache",
	[VT_CLASS_CACHE_PRIVATE] = "cache_private",
	[VT_CLASS_USER] = "user",
	[VT_CLASS_FREE] = "free",
	[VT_CLASS_UNACCEPTED] = "unaccepted",
	[VT_CLASS_HWPOISON] = "hwpoison",
	[VT_CLASS_OFFLINE] = "offline",
	[VT_CLASS_PCP_FREE] = "pcp_free",
	[VT_CLASS_PCP_MAYBE] = "pcp_candidate",
};

const char *vt_page_class_name(enum vt_page_class c)
{
	if ((unsigned int)c >= VT_CLASS_NR)
		return "invalid";
	return class_names[c];
}

bool vt_class_excluded(enum vt_page_class c, int dump_level)
{
	switch (c) {
	case VT_CLASS_CACHE:
		return dump_level & (2 | 4);
	case VT_CLASS_CACHE_PRIVATE:
		return dump_level & 4;
	case VT_CLASS_USER:
		return dump_level & 8;
	case VT_CLASS_FREE:
	case VT_CLASS_UNACCEPTED:
	case VT_CLASS_PCP_FREE:
		return dump_level & 16;
	case VT_CLASS_HWPOISON:
	case VT_CLASS_OFFLINE:
		return true;
	default:
		return false;
	}
}

static const struct vt_opt *opt_at(const struct vt_kernel_profile *kp,
				   size_t field)
{
	return (const struct vt_opt *)((const char *)kp + field);
}

/* "6.1.0-56-cloud-amd64" -> KV(6, 1); 0 when OSRELEASE says nothing. */
static unsigned int release_version(const char *release)
{
	unsigned int major, minor;

	if (sscanf(release, "%u.%u", &major, &minor) != 2 || major > 255 ||
	    minor > 255)
		return 0;
	return KV(major, minor);
}

static bool era_keys_match(const struct era *e,
			   const struct vt_kernel_profile *kp, bool typed)
{
	size_t i;

	if (e->typed_buddy != typed)
		return false;
	for (i = 0; i < ERA_KEYS && e->need[i]; i++)
		if (!opt_at(kp, e->need[i])->known)
			return false;
	for (i = 0; i < ERA_KEYS && e->forbid[i]; i++)
		if (opt_at(kp, e->forbid[i])->known)
			return false;
	return true;
}

/*
 * The era whose keys match; among several, the one OSRELEASE falls in,
 * else the first.
 */
static struct vt_error *choose_era(const struct vt_kernel_profile *kp,
				   const struct era **out)
{
	unsigned int rel = release_version(kp->release);
	uint32_t buddy = (uint32_t)kp->page_buddy_mapcount.value;
	bool typed = (buddy & 0xffffff) == 0;
	const struct era *first = NULL;
	size_t i;

	if (rel && rel < KV_OLDEST)
		return vt_error_new(VT_ERR_UNSUPPORTED,
				    "kernel %s is older than 4.18",
				    kp->release);
	for (i = 0; i < NR_ERAS; i++) {
		const struct era *e = &eras[i];

		if (!era_keys_match(e, kp, typed))
			continue;
		if (!first)
			first = e;
		if (rel >= e->from && (!e->until || rel < e->until)) {
			*out = e;
			return NULL;
		}
	}
	if (!first)
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"vmcoreinfo keys match no kernel era 4.18..6.16 (buddy type 0x%08x)",
			buddy);
	*out = first;
	return NULL;
}

/* A byte offset inside struct page, @width bytes wide. */
static struct vt_error *page_offset(const struct vt_kernel_profile *kp,
				    size_t field, const char *key, size_t width,
				    size_t *out)
{
	struct vt_error *err = vt_profile_require(kp, field);
	int64_t v = opt_at(kp, field)->value;

	if (err)
		return err;
	if (v < 0 || (uint64_t)v + width > (uint64_t)kp->size_page.value)
		return vt_error_new(
			VT_ERR_FORMAT,
			"vmcoreinfo %s=%lld is outside SIZE(page)=%lld", key,
			(long long)v, (long long)kp->size_page.value);
	*out = (size_t)v;
	return NULL;
}

/* A page[1] field given as an offset from the folio (page[0]). */
static struct vt_error *folio_offset(const struct vt_kernel_profile *kp,
				     size_t field, const char *key, size_t *out)
{
	struct vt_error *err = vt_profile_require(kp, field);
	int64_t v = opt_at(kp, field)->value, size = kp->size_page.value;

	if (err)
		return err;
	if (v < size || v >= 2 * size)
		return vt_error_new(
			VT_ERR_FORMAT,
			"vmcoreinfo %s=%lld is not in page[1] (SIZE(page)=%lld)",
			key, (long long)v, (long long)size);
	*out = (size_t)(v - size);
	return NULL;
}

/* NUMBER(PG_x) as a mask; 0 when absent and not @required. */
static struct vt_error *flag_mask(const struct vt_kernel_profile *kp,
				  size_t field, const char *key, bool required,
				  uint64_t *out)
{
	const struct vt_opt *o = opt_at(kp, field);

	*out = 0;
	if (!o->known)
		return required ? vt_profile_require(kp, field) : NULL;
	if (o->value < 0 || o->value > 63)
		return vt_error_new(VT_ERR_FORMAT,
				    "vmcoreinfo %s=%lld is not a page flag bit",
				    key, (long long)o->value);
	*out = 1ULL << o->value;
	return NULL;
}

/* A page-type marker from its NUMBER(); @fallback (a PGTY) or off. */
static void marker_set(struct marker *m, const struct vt_opt *o,
		       const struct era *e, unsigned int fallback)
{
	m->on = o->known;
	m->value = (uint32_t)o->value;
	if (!o->known && e->types == TYPE_TOP_BYTE && fallback) {
		m->on = true;
		m->value = (uint32_t)fallback << 24;
	}
}

static struct vt_error *setup_layout(struct vt_classifier *c,
				     const struct vt_kernel_profile *kp)
{
	struct vt_error *err;

	err = VT_PROFILE_REQUIRE(kp, size_page);
	if (err)
		return err;
	if (kp->size_page.value < 32 || kp->size_page.value > 4096)
		return vt_error_new(VT_ERR_FORMAT,
				    "vmcoreinfo SIZE(page)=%lld is implausible",
				    (long long)kp->size_page.value);
	c->size_page = (size_t)kp->size_page.value;
	err = page_offset(kp, PF(off_page_flags), "OFFSET(page.flags)", 8,
			  &c->off_flags);
	if (!err)
		err = page_offset(kp, PF(off_page_mapping),
				  "OFFSET(page.mapping)", 8, &c->off_mapping);
	if (!err)
		err = page_offset(kp, PF(off_page_mapcount),
				  "OFFSET(page._mapcount)", 4,
				  &c->off_mapcount);
	if (!err)
		err = page_offset(kp, PF(off_page_private),
				  "OFFSET(page.private)", 8, &c->off_private);
	if (!err && kp->off_page_compound_head.known) {
		c->has_head_ptr = true;
		err = page_offset(kp, PF(off_page_compound_head),
				  "OFFSET(page.compound_head)", 8,
				  &c->off_head);
	}
	return err;
}

static struct vt_error *setup_flags(struct vt_classifier *c,
				    const struct vt_kernel_profile *kp)
{
	struct vt_error *err;

	err = flag_mask(kp, PF(pg_lru), "NUMBER(PG_lru)", true, &c->pg_lru);
	if (!err)
		err = flag_mask(kp, PF(pg_private), "NUMBER(PG_private)", true,
				&c->pg_private);
	if (!err)
		err = flag_mask(kp, PF(pg_swapcache), "NUMBER(PG_swapcache)",
				false, &c->pg_swapcache);
	if (!err)
		err = flag_mask(kp, PF(pg_swapbacked), "NUMBER(PG_swapbacked)",
				false, &c->pg_swapbacked);
	if (!err)
		err = flag_mask(kp, PF(pg_slab), "NUMBER(PG_slab)",
				c->era->slab == SLAB_PG_FLAG, &c->pg_slab);
	if (!err)
		err = flag_mask(kp, PF(pg_hwpoison), "NUMBER(PG_hwpoison)",
				false, &c->pg_hwpoison);
	if (!err && c->era->hugetlb == HUGETLB_PG_FLAG)
		err = flag_mask(kp, PF(pg_hugetlb), "NUMBER(PG_hugetlb)", false,
				&c->pg_hugetlb);
	if (err)
		return err;
	c->swapbacked_known = kp->pg_swapbacked.known;
	err = VT_PROFILE_REQUIRE(kp, pg_head_mask);
	if (err)
		return err;
	c->pg_head = (uint64_t)kp->pg_head_mask.value;
	if (!c->pg_head)
		return vt_error_new(VT_ERR_FORMAT,
				    "vmcoreinfo NUMBER(PG_head_mask)=0");
	return NULL;
}

static struct vt_error *setup_compound(struct vt_classifier *c,
				       const struct vt_kernel_profile *kp)
{
	const struct era *e = c->era;
	struct vt_error *err = NULL;

	switch (e->order) {
	case ORDER_PAGE_FIELD:
		err = page_offset(kp, PF(off_page_compound_order),
				  "OFFSET(page.compound_order)", 1,
				  &c->off_order);
		break;
	case ORDER_FOLIO_FIELD:
		err = folio_offset(kp, PF(off_folio_order),
				   "OFFSET(folio._folio_order)", &c->off_order);
		break;
	case ORDER_FLAGS_BYTE:
		c->off_order = c->off_flags;
		break;
	}
	if (err || !kp->hugetlb_page_dtor.known)
		return err;
	/* Without the dtor number (no CONFIG_HUGETLB_PAGE) nothing is. */
	if (e->hugetlb == HUGETLB_PAGE_DTOR &&
	    kp->off_page_compound_dtor.known) {
		err = page_offset(kp, PF(off_page_compound_dtor),
				  "OFFSET(page.compound_dtor)", 1,
				  &c->off_dtor);
		c->has_dtor = !err;
	} else if (e->hugetlb == HUGETLB_FOLIO_DTOR &&
		   kp->off_folio_dtor.known) {
		err = folio_offset(kp, PF(off_folio_dtor),
				   "OFFSET(folio._folio_dtor)", &c->off_dtor);
		c->has_dtor = !err;
	}
	c->hugetlb_dtor = (uint8_t)kp->hugetlb_page_dtor.value;
	return err;
}

static struct vt_error *setup_types(struct vt_classifier *c,
				    const struct vt_kernel_profile *kp)
{
	const struct era *e = c->era;
	struct vt_error *err = NULL;

	marker_set(&c->buddy, &kp->page_buddy_mapcount, e, PGTY_BUDDY);
	marker_set(&c->offline, &kp->page_offline_mapcount, e, PGTY_OFFLINE);
	if (e->slab == SLAB_PAGE_TYPE) {
		marker_set(&c->slab, &kp->page_slab_mapcount, e, PGTY_SLAB);
		if (!c->slab.on)
			err = VT_PROFILE_REQUIRE(kp, page_slab_mapcount);
	}
	if (e->hugetlb == HUGETLB_PAGE_TYPE)
		marker_set(&c->hugetlb, &kp->page_hugetlb_mapcount, e,
			   PGTY_HUGETLB);
	if (e->unaccepted)
		marker_set(&c->unaccepted, &kp->page_unaccepted_mapcount, e,
			   PGTY_UNACCEPTED);
	return err;
}

struct vt_error *vt_classifier_new(const struct vt_kernel_profile *kp,
				   struct vt_classifier **out)
{
	struct vt_classifier *c;
	struct vt_error *err;

	*out = NULL;
	err = VT_PROFILE_REQUIRE(kp, page_buddy_mapcount);
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	c->free_area_length = DEFAULT_FREE_AREA_LENGTH;
	err = choose_era(kp, &c->era);
	if (!err)
		err = setup_layout(c, kp);
	if (!err)
		err = setup_flags(c, kp);
	if (!err)
		err = setup_compound(c, kp);
	if (!err)
		err = setup_types(c, kp);
	if (!err)
		err = vt_pcp_new(kp, &c->pcp);
	if (err) {
		free(c);
		return vt_error_prefix(err, "page classification for %s: ",
				       kp->release[0] ? kp->release :
							"(no OSRELEASE)");
	}
	*out = c;
	return NULL;
}

struct vt_error *vt_classifier_set_free_area_length(struct vt_classifier *c,
						    int64_t length)
{
	if (length < 1 || length > 64)
		return vt_error_new(
			VT_ERR_FORMAT,
			"vmcoreinfo LENGTH(zone.free_area)=%lld is implausible",
			(long long)length);
	c->free_area_length = (unsigned int)length;
	return NULL;
}

void vt_classifier_set_layout(struct vt_classifier *c, uint64_t vmemmap_base,
			      int levels)
{
	c->vmemmap_base = vmemmap_base;
	c->kernel_floor =
		levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
	vt_pcp_set_layout(c->pcp, vmemmap_base, levels);
}

void vt_classifier_free(struct vt_classifier *c)
{
	if (c)
		vt_pcp_free(c->pcp);
	free(c);
}

const struct vt_pcp *vt_classifier_pcp(const struct vt_classifier *c)
{
	return c->pcp;
}

const char *vt_classifier_era(const struct vt_classifier *c)
{
	return c->era->name;
}

void vt_classify_reset(struct vt_classify_state *st)
{
	st->carry_end = 0;
	st->carry_class = VT_CLASS_KEEP;
	st->head_unknown = true;
}

/* The dump is of an x86_64 kernel: struct page words are little-endian. */
static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[off + (size_t)i];
	return v;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
	       (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static bool marker_hit(const struct vt_classifier *c, const struct marker *m,
		       uint32_t word)
{
	if (!m->on)
		return false;
	if (c->era->types == TYPE_TOP_BYTE)
		return word >> 24 == m->value >> 24;
	return word == m->value;
}

static bool is_slab(const struct vt_classifier *c, uint64_t flags,
		    uint32_t word)
{
	if (c->era->slab == SLAB_PAGE_TYPE)
		return marker_hit(c, &c->slab, word);
	return flags & c->pg_slab;
}

/* PG_swapcache means swap cache only with PG_swapbacked (where it exists):
 * filesystems use the same bit as PG_checked. */
static bool is_cache(const struct vt_classifier *c, uint64_t flags)
{
	if (flags & c->pg_lru)
		return true;
	return (flags & c->pg_swapcache) &&
	       (!c->swapbacked_known || (flags & c->pg_swapbacked));
}

/*
 * The order of the compound page headed at @pfn (0 without page[1]), or -1
 * when page[1] contradicts a compound head: its order is above
 * MAX_COMPOUND_ORDER or misaligned, or (layout known) it is not a tail
 * pointing back at @pfn's struct page.
 */
static int compound_order(const struct vt_classifier *c, uint64_t pfn,
			  const uint8_t *p1)
{
	unsigned int order;

	if (!p1)
		return 0;
	if (c->has_head_ptr && c->vmemmap_base &&
	    get64(p1, c->off_head) !=
		    ((c->vmemmap_base + pfn * c->size_page) | 1))
		return -1;
	if (c->era->order == ORDER_FLAGS_BYTE)
		order = (unsigned int)(get64(p1, c->off_flags) & 0xff);
	else
		order = p1[c->off_order];
	if (order > MAX_COMPOUND_ORDER || (pfn & ((1ULL << order) - 1)))
		return -1;
	return (int)order;
}

/*
 * page->mapping of a page that would be excluded: NULL, or a kernel pointer
 * (address_space, anon_vma | 1, KSM node | 3), 8-byte aligned. Anything
 * else is not a struct page the kernel wrote. Layout unknown: anything.
 */
static bool mapping_plausible(const struct vt_classifier *c, uint64_t mapping,
			      bool anon)
{
	uint64_t ptr = mapping & ~3ULL;

	if (!c->kernel_floor)
		return true;
	if (!mapping)
		return !anon;
	return ptr >= c->kernel_floor && !(ptr & 7);
}

static bool is_hugetlb(const struct vt_classifier *c, uint32_t word, bool head,
		       const uint8_t *p1)
{
	switch (c->era->hugetlb) {
	case HUGETLB_PAGE_TYPE:
		return marker_hit(c, &c->hugetlb, word);
	case HUGETLB_PG_FLAG:
		return head && p1 && (get64(p1, c->off_flags) & c->pg_hugetlb);
	default:
		return head && p1 && c->has_dtor &&
		       p1[c->off_dtor] == c->hugetlb_dtor;
	}
}

/* A free buddy block of 1 << private pfns, unless its order is bogus. */
static struct verdict buddy_verdict(const struct vt_classifier *c,
				    struct vt_classify_state *st, uint64_t pfn,
				    const uint8_t *p)
{
	uint64_t order = get64(p, c->off_private);
	struct verdict v = { VT_CLASS_FREE, 0 };

	if (order >= c->free_area_length || (pfn & ((1ULL << order) - 1))) {
		st->warnings++;
		v.cls = VT_CLASS_UNKNOWN;
		return v;
	}
	v.order = (unsigned int)order;
	return v;
}

/* The decision for the struct page @p of @pfn; @p1 is page[1] or NULL. */
static struct verdict decide(const struct vt_classifier *c,
			     struct vt_classify_state *st, uint64_t pfn,
			     const uint8_t *p, const uint8_t *p1)
{
	uint64_t flags = get64(p, c->off_flags);
	uint64_t mapping = get64(p, c->off_mapping);
	uint32_t word = get32(p, c->off_mapcount);
	bool slab = is_slab(c, flags, word);
	bool head = flags & c->pg_head;
	bool anon = (mapping & 1) && !slab;
	struct verdict v = { VT_CLASS_KEEP, 0 };

	int order;

	/*
	 * A tail whose head was not seen: its head decides, we cannot. After
	 * a head we judged, every tail is carried, so this one is implausible
	 * (unless the head before it was rejected or unreadable).
	 */
	if (c->has_head_ptr && (get64(p, c->off_head) & 1)) {
		if (!st->head_unknown)
			st->warnings++;
		v.cls = VT_CLASS_UNKNOWN;
		return v;
	}
	st->head_unknown = false;
	if (!slab && marker_hit(c, &c->buddy, word))
		return buddy_verdict(c, st, pfn, p);
	if (head) {
		order = compound_order(c, pfn, p1);
		if (order < 0) {
			st->warnings++;
			st->head_unknown = true;
			v.cls = VT_CLASS_UNKNOWN;
			return v;
		}
		v.order = (unsigned int)order;
	}
	if (marker_hit(c, &c->unaccepted, word))
		v.cls = VT_CLASS_UNACCEPTED;
	else if (is_cache(c, flags) && !anon)
		v.cls = flags & c->pg_private ? VT_CLASS_CACHE_PRIVATE :
						VT_CLASS_CACHE;
	else if (anon || is_hugetlb(c, word, head, p1))
		v.cls = VT_CLASS_USER;
	else if (flags & c->pg_hwpoison)
		v.cls = VT_CLASS_HWPOISON;
	else if (!slab && marker_hit(c, &c->offline, word))
		v.cls = VT_CLASS_OFFLINE;
	if ((v.cls == VT_CLASS_CACHE || v.cls == VT_CLASS_CACHE_PRIVATE ||
	     v.cls == VT_CLASS_USER || v.cls == VT_CLASS_HWPOISON) &&
	    !mapping_plausible(c, mapping, anon)) {
		st->warnings++;
		v.cls = VT_CLASS_UNKNOWN;
	}
	if (v.cls == VT_CLASS_KEEP && !head && vt_pcp_candidate(c->pcp, p))
		v.cls = VT_CLASS_PCP_MAYBE;
	return v;
}

void vt_classify(const struct vt_classifier *c, struct vt_classify_state *st,
		 uint64_t pfn, size_t n, const void *pages, size_t avail,
		 uint8_t *cls)
{
	const uint8_t *base = pages;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = base + i * c->size_page;
		uint64_t cur = pfn + i, end;
		struct verdict v;

		if (cur < st->carry_end) {
			cls[i] = st->carry_class;
			continue;
		}
		if (i >= avail) {
			cls[i] = VT_CLASS_UNKNOWN;
			continue;
		}
		v = decide(c, st, cur, p,
			   i + 1 < avail ? p + c->size_page : NULL);
		cls[i] = v.cls;
		if (!v.order)
			continue;
		end = cur + (1ULL << v.order);
		st->carry_end = end > cur ? end : UINT64_MAX;
		st->carry_class = v.cls;
	}
}
