// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ground-truth sidecar FILE.truth (format in docs/mkvmcore.md):
 * class runs, makedumpfile-style counts per dump level, and per set of
 * excluded classes the vmemmap pages that hold only struct pages of
 * pages not dumped. Runs stream to temporary files; memory stays small.
 */
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

const char *const pclass_name[C_NR] = {
	"hole",	     "free",	 "cache",    "cache_private", "shmem",
	"anon",	     "hugetlb",	 "slab",     "kernel",	      "reserved",
	"pagetable", "vmemmap",	 "hwpoison", "offline",	      "pcp",
	"pcp_rest",  "pcp_fake", "nocomp",
};

#define NKEYS 16

struct key_stream {
	FILE *f; /* sorted runs (u64 start, u64 end) */
	u64 a, b; /* pending run */
	u64 *loose; /* pages met out of order (4K memmap) */
	size_t nloose, cap;
	u64 pages;
};

struct truth_state {
	u64 run_a, run_b;
	u8 run_cls, run_zero;
	u64 count[C_NR], zcount[C_NR];
	struct key_stream key[NKEYS];
};

unsigned int class_kind(u8 cls)
{
	switch (cls) {
	case C_FREE:
		return KIND_FREE;
	case C_CACHE:
	case C_SHMEM:
		return KIND_NP;
	case C_CACHE_PRIV:
		return KIND_P;
	case C_ANON:
	case C_HUGETLB:
		return KIND_USER;
	case C_HOLE:
	case C_HWPOISON:
	case C_OFFLINE:
		return KIND_NEVER;
	default:
		return KIND_ALWAYS;
	}
}

static unsigned int level_key(unsigned int d)
{
	return (unsigned int)(!!(d & 6)) | (unsigned int)(!!(d & 4)) << 1 |
	       (unsigned int)(!!(d & 8)) << 2 | (unsigned int)(!!(d & 16)) << 3;
}

static int key_removes(unsigned int key, unsigned int kinds)
{
	if (kinds & KIND_ALWAYS)
		return 0;
	if ((kinds & KIND_NP) && !(key & 1))
		return 0;
	if ((kinds & KIND_P) && !(key & 2))
		return 0;
	if ((kinds & KIND_USER) && !(key & 4))
		return 0;
	if ((kinds & KIND_FREE) && !(key & 8))
		return 0;
	return 1;
}

int truth_open(struct machine *m, struct err *e)
{
	struct truth_state *t = calloc(1, sizeof(*t));
	unsigned int d, n;
	FILE *f = m->truth;

	if (!t)
		return err_set(e, 1, "out of memory (truth)");
	m->ts = t;
	t->run_cls = C_UNSET;
	for (d = 0; d < 32; d++) {
		struct key_stream *k = &t->key[level_key(d)];

		if (k->f)
			continue;
		k->f = tmpfile();
		if (!k->f)
			return err_set(e, 1, "cannot create a temporary file");
	}
	fprintf(f, "# mkvmcore ground truth v1 (docs/mkvmcore.md)\n");
	fprintf(f, "kernel %s\nprofile %s\nseed %llu\n", m->kp->era,
		m->opt.profile, (unsigned long long)m->opt.seed);
	fprintf(f, "ram %llu\nmax_pfn %#llx\nram_pages %llu\n",
		(unsigned long long)m->opt.ram, (unsigned long long)m->max_pfn,
		(unsigned long long)m->ram_pages);
	fprintf(f, "l5 %d\nkaslr %d\ncpus %u\nnodes %u\n", m->opt.l5,
		m->opt.kaslr, m->nr_cpus, m->nr_nodes);
	for (n = 0; n < m->nr_nodes; n++)
		fprintf(f, "node %u %#llx %#llx %#llx\n", n,
			(unsigned long long)m->node[n].start_pfn,
			(unsigned long long)m->node[n].end_pfn,
			(unsigned long long)(m->page_offset_base +
					     m->node[n].pgdat_paddr));
	fprintf(f, "page_offset_base %#llx\nvmemmap_base %#llx\n",
		(unsigned long long)m->page_offset_base,
		(unsigned long long)m->vmemmap_base);
	fprintf(f, "vmalloc_base %#llx\nkernel_offset %#llx\n",
		(unsigned long long)m->vmalloc_base,
		(unsigned long long)m->kernel_voffset);
	fprintf(f, "kernel_phys %#llx\nphys_base %#llx\n",
		(unsigned long long)m->phys_load,
		(unsigned long long)m->phys_base);
	fprintf(f, "init_top_pgt_phys %#llx\nmem_section %#llx\n",
		(unsigned long long)(m->phys_load + m->kp->sym_init_top_pgt),
		(unsigned long long)m->mem_section_array);
	for (n = 0; n < m->nram; n++)
		fprintf(f, "load %#llx %#llx\n",
			(unsigned long long)m->ram[n].start,
			(unsigned long long)m->ram[n].end);
	return 0;
}

static void flush_run(struct machine *m)
{
	struct truth_state *t = m->ts;

	if (t->run_cls == C_UNSET)
		return;
	fprintf(m->truth, "r %#llx %#llx %s %d\n", (unsigned long long)t->run_a,
		(unsigned long long)t->run_b, pclass_name[t->run_cls],
		t->run_zero);
}

void truth_run(struct machine *m, u64 pfn, u64 len, u8 cls, int zero)
{
	struct truth_state *t = m->ts;

	if (cls != C_HOLE && pfn < m->max_pfn) {
		t->count[cls] += len;
		if (zero)
			t->zcount[cls] += len;
	}
	if (t->run_cls == cls && t->run_zero == zero && t->run_b == pfn) {
		t->run_b += len;
		return;
	}
	flush_run(m);
	t->run_a = pfn;
	t->run_b = pfn + len;
	t->run_cls = cls;
	t->run_zero = (u8)zero;
}

static void key_flush(struct key_stream *k)
{
	if (k->b > k->a) {
		u64 r[2] = { k->a, k->b };

		fwrite(r, sizeof(r), 1, k->f);
	}
	k->a = k->b = 0;
}

/* One vmemmap page holding struct pages of the given kinds; pages of
 * 4K-mapped sections come in descending order and are sorted at the end. */
int truth_group(struct machine *m, u64 vmm_pfn, unsigned int kinds, int sorted,
		struct err *e)
{
	unsigned int key;

	for (key = 0; key < NKEYS; key++) {
		struct key_stream *k = &m->ts->key[key];

		if (!k->f || !key_removes(key, kinds))
			continue;
		k->pages++;
		if (!sorted) {
			if (k->nloose == k->cap) {
				size_t cap = k->cap ? k->cap * 2 : 512;
				u64 *p = realloc(k->loose, cap * sizeof(u64));

				if (!p)
					return err_set(e, 1,
						       "out of memory (truth)");
				k->loose = p;
				k->cap = cap;
			}
			k->loose[k->nloose++] = vmm_pfn;
			continue;
		}
		if (k->b == vmm_pfn && k->b > k->a) {
			k->b++;
			continue;
		}
		key_flush(k);
		k->a = vmm_pfn;
		k->b = vmm_pfn + 1;
	}
	return 0;
}

static int u64_cmp(const void *a, const void *b)
{
	const u64 *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

static void emit_rm(FILE *f, unsigned int key, u64 *pa, u64 *pb, u64 a, u64 b)
{
	if (*pb == a) {
		*pb = b;
		return;
	}
	if (*pb > *pa)
		fprintf(f, "rm %u %#llx %#llx\n", key, (unsigned long long)*pa,
			(unsigned long long)*pb);
	*pa = a;
	*pb = b;
}

/* Merge the sorted stream with the loose pages, coalescing runs. */
static void write_key(FILE *f, unsigned int key, struct key_stream *k)
{
	u64 r[2], pa = 0, pb = 0;
	size_t i = 0;
	int have;

	key_flush(k);
	rewind(k->f);
	qsort(k->loose, k->nloose, sizeof(u64), u64_cmp);
	have = fread(r, sizeof(r), 1, k->f) == 1;
	while (have || i < k->nloose) {
		if (have && (i == k->nloose || r[0] < k->loose[i])) {
			emit_rm(f, key, &pa, &pb, r[0], r[1]);
			have = fread(r, sizeof(r), 1, k->f) == 1;
		} else {
			emit_rm(f, key, &pa, &pb, k->loose[i], k->loose[i] + 1);
			i++;
		}
	}
	emit_rm(f, key, &pa, &pb, UINT64_MAX - 1, UINT64_MAX - 1);
}

static void write_counts(struct machine *m)
{
	const struct truth_state *t = m->ts;
	u64 total = m->max_pfn;
	/* PT_LOAD pages as makedumpfile sums them: the kernel-text segment
	 * overlaps RAM and is counted twice, so "hole" may be negative. */
	u64 orig = m->ram_pages + (m->kp->image_end >> PAGE_SHIFT);
	unsigned int d, c;

	for (d = 0; d < 32; d++) {
		u64 zero = 0, np = 0, pr = 0, user, freep, ex;

		for (c = 0; c < C_NR; c++) {
			unsigned int k = class_kind((u8)c);
			int dumped = k == KIND_ALWAYS ||
				     (k == KIND_NP && !(d & 6)) ||
				     (k == KIND_P && !(d & 4)) ||
				     (k == KIND_USER && !(d & 8)) ||
				     (k == KIND_FREE && !(d & 16));

			if (dumped && (d & 1))
				zero += t->zcount[c];
		}
		/* makedumpfile reports cache without private data as
		 * "non-private" at -d 4 too */
		if (d & 6)
			np = t->count[C_CACHE] + t->count[C_SHMEM];
		if (d & 4)
			pr = t->count[C_CACHE_PRIV];
		user = d & 8 ? t->count[C_ANON] + t->count[C_HUGETLB] : 0;
		freep = d & 16 ? t->count[C_FREE] : 0;
		ex = zero + np + pr + user + freep + t->count[C_HWPOISON] +
		     t->count[C_OFFLINE];
		fprintf(m->truth,
			"count %u total=%llu hole=%lld original=%llu ram=%llu zero=%llu cache=%llu cache_private=%llu user=%llu free=%llu hwpoison=%llu offline=%llu remaining=%llu\n",
			d, (unsigned long long)total, (long long)(total - orig),
			(unsigned long long)orig,
			(unsigned long long)m->ram_pages,
			(unsigned long long)zero, (unsigned long long)np,
			(unsigned long long)pr, (unsigned long long)user,
			(unsigned long long)freep,
			(unsigned long long)t->count[C_HWPOISON],
			(unsigned long long)t->count[C_OFFLINE],
			(unsigned long long)(orig - ex));
	}
}

static void write_vmemmap_map(struct machine *m)
{
	static const char *const mode[] = { "none", "pmd", "split", "pte4k" };
	unsigned long i;
	u64 s;

	for (s = 0; s < m->nr_sections; s++)
		if (m->sec[s].present)
			fprintf(m->truth, "vmemmap %#llx %s %#llx\n",
				(unsigned long long)s, mode[m->sec[s].mode],
				(unsigned long long)m->sec[s].vmm_pfn);
	for (i = 0; i < m->nr_hvo; i++) {
		u64 h = m->hvo_head[i];
		const struct section *sec = &m->sec[h >> PFN_SECTION_SHIFT];

		fprintf(m->truth, "hvo %#llx %#llx\n", (unsigned long long)h,
			(unsigned long long)(sec->vmm_pfn +
					     ((h & (PAGES_PER_SECTION - 1)) >>
					      6)));
	}
}

int truth_close(struct machine *m, struct err *e)
{
	struct truth_state *t = m->ts;
	unsigned int key, d, c;
	int rc = 0;

	flush_run(m);
	for (c = 0; c < C_NR; c++)
		if (c < C_PCP || t->count[c])
			fprintf(m->truth, "class %s %llu zero %llu\n",
				pclass_name[c], (unsigned long long)t->count[c],
				(unsigned long long)t->zcount[c]);
	if (m->opt.pcp)
		fprintf(m->truth,
			"pcp_area_pfn %#llx\npcp_sets %u\npcp_lists %u\npcp_off_lists %u\npcp_entries %zu\n",
			(unsigned long long)m->pcp_area_pfn, m->pcp_sets,
			m->kp->pcp_types * (m->kp->pcp_costly_order + 1) +
				m->kp->pcp_thp_lists,
			m->kp->pcp_off_lists, m->npcp);
	write_vmemmap_map(m);
	write_counts(m);
	for (key = 0; key < NKEYS; key++) {
		struct key_stream *k = &t->key[key];
		const char *sep = "";

		if (!k->f)
			continue;
		fprintf(m->truth, "removable %u levels=", key);
		for (d = 0; d < 32; d++)
			if (level_key(d) == key) {
				fprintf(m->truth, "%s%u", sep, d);
				sep = ",";
			}
		fprintf(m->truth, " pages=%llu\n",
			(unsigned long long)k->pages);
		write_key(m->truth, key, k);
		if (ferror(k->f))
			rc = err_set(e, 1, "temporary file error");
		fclose(k->f);
		free(k->loose);
	}
	if (fflush(m->truth) || ferror(m->truth))
		rc = err_set(e, 1, "%s: write error", m->truth_tmp_path);
	free(t);
	m->ts = NULL;
	return rc;
}
