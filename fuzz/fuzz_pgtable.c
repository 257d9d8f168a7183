// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for x86_64 translation and the vmemmap map.
 *
 * Every input starts from the same small, valid machine of NPAGES pages
 * (page tables for a direct map, kernel text and a vmemmap with a PTE
 * table and a 2 MiB leaf, a mem_section root array and one root page) so
 * that the fuzzer begins on the happy path without seeds; the input then
 * chooses the paging depth, sme_mask, phys_base, how much of RAM has data
 * in the file, the sparsemem layout numbers, and patches arbitrary 64-bit
 * values into any page. The machine is written as an ELF vmcore into a
 * memfd and opened by path.
 *
 * Input: a 64-byte header (missing bytes are 0), then 11-byte patches
 * (page, entry index le16, value le64).
 *   0  flags: 1 5-level, 2 sme_mask bit 45, 4 no mem_section keys
 *   1  pages with file data (0: all)
 *   2  SECTION_SIZE_BITS - 12 (mod 20)    3  SIZE(page) - 8 (0: 64)
 *   4  LENGTH(mem_section) (0: 1)         5  phys_base in pages
 *   6  base of the walk (mod 4)           7  base of the lookups (mod 4)
 *   8  walk start offset (le64)          16  walk length (le64)
 *  24  four lookup offsets (le64)        56  pfn probes (8 bytes)
 *
 * Besides sanitizer reports it aborts on broken contracts: leaves that
 * are not ascending, gap-free and clipped; pfn runs that are not
 * contiguous or not merged; an error with *out set.
 */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#define NPAGES 32
#define PAGE 4096ULL
#define HDR 64
#define PATCH 11
#define MAX_PATCHES 64
#define MAX_LEAVES 4096 /* pieces of one walk */
#define MAX_RANGES 4096

#define START_KERNEL_MAP 0xffffffff80000000ULL

/* The page each table lives in (5-level adds the P4D pages). */
enum {
	PG_TOP,
	PG_DM_PUD,
	PG_DM_PMD,
	PG_DM_PTE,
	PG_VM_PUD,
	PG_VM_PMD,
	PG_VM_PTE,
	PG_KT_PUD,
	PG_KT_PMD,
	PG_DM_P4D,
	PG_VM_P4D,
	PG_KT_P4D,
	PG_STRUCT_PAGES, /* 8 pages of struct pages */
	PG_ROOTS = PG_STRUCT_PAGES + 8,
	PG_SECTIONS,
};

struct machine {
	bool l5;
	uint64_t page_offset, vmemmap, phys_base;
	uint64_t mem[NPAGES][512];
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static unsigned int idx(uint64_t vaddr, int level)
{
	return (vaddr >> (12 + 9 * (level - 1))) & 511;
}

/* Link the top table to @pud (through @p4d in 5-level mode) for @vaddr. */
static void link_upper(struct machine *m, uint64_t vaddr, int p4d, int pud)
{
	if (m->l5) {
		m->mem[PG_TOP][idx(vaddr, 5)] = (uint64_t)p4d * PAGE | 0x63;
		m->mem[p4d][idx(vaddr, 4)] = (uint64_t)pud * PAGE | 0x63;
	} else {
		m->mem[PG_TOP][idx(vaddr, 4)] = (uint64_t)pud * PAGE | 0x63;
	}
}

static void build_tables(struct machine *m)
{
	uint64_t kt = START_KERNEL_MAP;
	int pb = (int)(m->phys_base / PAGE);

	/* direct map: the first 2 MiB with 4 KiB pages, then a 1 GiB leaf */
	link_upper(m, m->page_offset, PG_DM_P4D, PG_DM_PUD);
	m->mem[PG_DM_PUD][0] = PG_DM_PMD * PAGE | 0x63;
	m->mem[PG_DM_PUD][1] = (1ULL << 30) | 0x1e3;
	m->mem[PG_DM_PMD][0] = PG_DM_PTE * PAGE | 0x63;
	for (int i = 0; i < NPAGES; i++)
		m->mem[PG_DM_PTE][i] = i * PAGE | 0x63;
	/* vmemmap: 8 pages with a PTE table, then a 2 MiB leaf at 0 */
	link_upper(m, m->vmemmap, PG_VM_P4D, PG_VM_PUD);
	m->mem[PG_VM_PUD][idx(m->vmemmap, 3)] = PG_VM_PMD * PAGE | 0x63;
	m->mem[PG_VM_PMD][idx(m->vmemmap, 2)] = PG_VM_PTE * PAGE | 0x63;
	m->mem[PG_VM_PMD][idx(m->vmemmap, 2) + 1] = 0x1e3;
	for (int i = 0; i < 8; i++)
		m->mem[PG_VM_PTE][i] = (PG_STRUCT_PAGES + i) * PAGE | 0x63;
	/* kernel text: 2 MiB at phys_base, so init_top_pgt is reachable */
	link_upper(m, kt, PG_KT_P4D, PG_KT_PUD);
	m->mem[PG_KT_PUD][idx(kt, 3)] = PG_KT_PMD * PAGE | 0x63;
	m->mem[PG_KT_PMD][idx(kt, 2)] = (uint64_t)pb * PAGE | 0x1e3;
}

/* mem_section: one root page; every section's map is vmemmap_base. */
static void build_sections(struct machine *m, unsigned int size_ms)
{
	uint8_t *sec = (uint8_t *)m->mem[PG_SECTIONS];

	m->mem[PG_ROOTS][0] = m->page_offset + PG_SECTIONS * PAGE;
	for (unsigned int off = 0; off + 8 <= PAGE; off += size_ms) {
		uint64_t v = m->vmemmap | 0xb;

		memcpy(sec + off, &v, 8);
	}
}

static void apply_patches(struct machine *m, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n / PATCH && i < MAX_PATCHES; i++) {
		const uint8_t *q = p + i * PATCH;

		m->mem[q[0] % NPAGES][(q[1] | q[2] << 8) % 512] = le64(q + 3);
	}
}

static int vmcoreinfo(char *buf, size_t len, const struct machine *m,
		      const uint8_t *h)
{
	int n = snprintf(buf, len,
			 "OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\n"
			 "SYMBOL(init_top_pgt)=%llx\n"
			 "NUMBER(phys_base)=%llu\n"
			 "NUMBER(pgtable_l5_enabled)=%d\n"
			 "NUMBER(sme_mask)=%llu\n",
			 (unsigned long long)START_KERNEL_MAP,
			 (unsigned long long)m->phys_base, m->l5 ? 1 : 0,
			 h[0] & 2 ? 1ULL << 45 : 0ULL);

	if (h[0] & 4)
		return n;
	return n +
	       snprintf(buf + n, len - n,
			"SYMBOL(mem_section)=%llx\n"
			"LENGTH(mem_section)=%d\n"
			"SIZE(mem_section)=16\n"
			"OFFSET(mem_section.section_mem_map)=0\n"
			"NUMBER(SECTION_SIZE_BITS)=%d\n"
			"SIZE(page)=%d\n",
			(unsigned long long)(m->page_offset + PG_ROOTS * PAGE),
			h[4] ? h[4] : 1, 12 + h[2] % 20, h[3] ? 8 + h[3] : 64);
}

/* Write the machine as an ELF vmcore: one PT_NOTE, one PT_LOAD. */
static int write_elf(int fd, const struct machine *m, const uint8_t *h)
{
	char note[2048];
	int textlen = vmcoreinfo(note + 24, sizeof(note) - 24, m, h);
	uint32_t descsz = (uint32_t)textlen, nh[3] = { 11, descsz, 0 };
	uint64_t filesz = (h[1] % (NPAGES + 1) ? h[1] % (NPAGES + 1) : NPAGES);
	size_t notesz = 24 + ((descsz + 3) & ~3u);
	Elf64_Ehdr eh = { .e_type = ET_CORE,
			  .e_machine = EM_X86_64,
			  .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr),
			  .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = 2 };
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_NOTE, .p_offset = PAGE, .p_filesz = notesz },
		{ .p_type = PT_LOAD,
		  .p_offset = 2 * PAGE,
		  .p_paddr = 0,
		  .p_filesz = filesz * PAGE,
		  .p_memsz = NPAGES * PAGE },
	};

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(note, nh, sizeof(nh));
	memcpy(note + 12, "VMCOREINFO\0\0", 12);
	memset(note + 24 + descsz, 0, notesz - 24 - descsz);
	return pwrite(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
	       pwrite(fd, ph, sizeof(ph), sizeof(eh)) == sizeof(ph) &&
	       pwrite(fd, note, notesz, PAGE) == (ssize_t)notesz &&
	       pwrite(fd, m->mem, filesz * PAGE, 2 * PAGE) ==
		       (ssize_t)(filesz * PAGE);
}

struct walk_check {
	uint64_t next, end;
	unsigned int n;
};

static int check_leaf(void *arg, const struct vt_leaf *l)
{
	struct walk_check *w = arg;

	if (l->vaddr != w->next || l->size == 0 ||
	    l->size > w->end - l->vaddr || l->level < 1 || l->level > 5 ||
	    (unsigned int)l->kind > VT_LEAF_BAD)
		abort();
	w->next = l->vaddr + l->size;
	return ++w->n >= MAX_LEAVES;
}

static uint64_t base_of(const struct machine *m, uint8_t sel)
{
	const uint64_t bases[] = { m->page_offset, m->vmemmap, START_KERNEL_MAP,
				   0 };

	return bases[sel % 4];
}

static void exercise_x86(struct vt_x86_64 *x, const struct machine *m,
			 const uint8_t *h)
{
	struct walk_check w;
	uint64_t start = base_of(m, h[6]) + le64(h + 8), len = le64(h + 16);
	uint64_t pa, leaf;

	for (int i = 0; i < 4; i++)
		vt_error_free(vt_x86_64_vtop(
			x, base_of(m, h[7] >> (2 * i)) + le64(h + 24 + 8 * i),
			&pa, &leaf));
	w = (struct walk_check){ .next = start,
				 .end = len > UINT64_MAX - start ?
						UINT64_MAX :
						start + len };
	vt_error_free(vt_x86_64_walk(x, start, w.end, check_leaf, &w));
}

struct range_check {
	uint64_t next;
	bool have;
	enum vt_struct_page_state prev;
	unsigned int n;
};

static int check_range(void *arg, const struct vt_sp_range *r)
{
	struct range_check *c = arg;

	if (r->start_pfn != c->next || r->end_pfn <= r->start_pfn ||
	    (c->have && r->state == c->prev) ||
	    (unsigned int)r->state > VT_SP_BAD ||
	    !vt_struct_page_state_name(r->state))
		abort();
	c->next = r->end_pfn;
	c->prev = r->state;
	c->have = true;
	return ++c->n >= MAX_RANGES;
}

static void exercise_vmemmap(struct vt_dump *dump, struct vt_x86_64 *x,
			     const uint8_t *h)
{
	struct vt_vmemmap *vm = (void *)1;
	struct range_check c = { .next = 1 };
	struct vt_vmemmap_summary s;
	struct vt_pfn_report r;
	struct vt_error *err;

	err = vt_vmemmap_new(dump, x, &vm);
	if (err) {
		if (vm)
			abort();
		vt_error_free(err);
		return;
	}
	vt_error_free(vt_vmemmap_ranges(vm, 1, UINT64_MAX, check_range, &c));
	for (int i = 0; i < 8; i++)
		vt_error_free(vt_vmemmap_pfn(vm, h[56 + i] % (NPAGES + 8), &r));
	vt_error_free(vt_vmemmap_summarize(vm, &s));
	if (s.missing_ram_pfns > s.missing_pfns)
		abort();
	vt_vmemmap_free(vm);
}

static void run(int fd, const struct machine *m, const uint8_t *h)
{
	struct vt_x86_64 *x = (void *)1;
	struct vt_dump *dump = NULL;
	struct vt_error *err;
	char path[64];
	const char *paths[] = { path };

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = vt_dump_open(paths, 1, &dump);
	if (err) {
		vt_error_free(err);
		return;
	}
	err = vt_x86_64_new(dump, vt_dump_profile(dump), &x);
	if (err) {
		if (x)
			abort();
		vt_error_free(err);
	} else {
		exercise_x86(x, m, h);
		exercise_vmemmap(dump, x, h);
		vt_x86_64_free(x);
	}
	vt_dump_close(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct machine m; /* 128 KiB: not on the stack */
	uint8_t h[HDR] = { 0 };
	int fd;

	memcpy(h, data, size < HDR ? size : HDR);
	memset(&m, 0, sizeof(m));
	m.l5 = h[0] & 1;
	m.page_offset = m.l5 ? 0xff11000000000000ULL : 0xffff888000000000ULL;
	m.vmemmap = m.l5 ? 0xffd4000000000000ULL : 0xffffea0000000000ULL;
	m.phys_base = (uint64_t)(h[5] % (NPAGES + 4)) * PAGE;
	build_tables(&m);
	build_sections(&m, 16);
	if (size > HDR)
		apply_patches(&m, data + HDR, size - HDR);
	/* init_top_pgt sits at phys_base: move the top table there */
	if (m.phys_base / PAGE < NPAGES && m.phys_base)
		memcpy(m.mem[m.phys_base / PAGE], m.mem[PG_TOP], PAGE);
	fd = memfd_create("fuzz_pgtable", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write_elf(fd, &m, h))
		run(fd, &m, h);
	close(fd);
	return 0;
}
