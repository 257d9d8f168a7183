// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The critical set: see filter/critical.h and docs/robustness.md.
 *
 * Each kind is found by the reader's own walks: the page tables by a
 * coarse walk of the whole address space (one piece per PTE table, so the
 * work is per page-table page), the image by a walk of its range
 * (vt_kernel_areas_find(), as the verdict checks it), the roots as
 * vt_vmemmap_new() read them, the vmemmap by a walk of the struct pages
 * of each run of dumped pfns, the log by reading it as vt_printk_walk()
 * does, noting every page it reads.
 */
#include <stdlib.h>
#include <string.h>

#include "critical.h"
#include "kallsyms.h"
#include "io.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#define PAGE 4096ULL
#define MAX_LEVELS 5

const char *vt_critical_kind_name(enum vt_critical_kind k)
{
	static const char *const names[VT_CRIT_KINDS] = {
		[VT_CRIT_TABLES] = "page tables",
		[VT_CRIT_IMAGE] = "kernel data",
		[VT_CRIT_RODATA] = "kernel read-only data",
		[VT_CRIT_BTF] = "kernel BTF",
		[VT_CRIT_SLAB] = "slab caches and pid nodes",
		[VT_CRIT_ROOTS] = "mem_section roots",
		[VT_CRIT_VMEMMAP] = "vmemmap",
		[VT_CRIT_NODES] = "node data",
		[VT_CRIT_STACKS] = "CPU stacks",
		[VT_CRIT_PERCPU] = "per-CPU areas",
		[VT_CRIT_TEXT] = "kernel text the stacks return to",
		[VT_CRIT_LOG] = "log",
	};

	return (unsigned int)k < VT_CRIT_KINDS ? names[k] : "unknown";
}

/* --- range lists --------------------------------------------------------- */

static int cmp_range(const void *a, const void *b)
{
	const struct vt_pfn_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void vt_range_list_sort(struct vt_range_list *l)
{
	size_t n = 0;

	if (l->sorted == l->nr)
		return;
	qsort(l->r, l->nr, sizeof(*l->r), cmp_range);
	for (size_t i = 0; i < l->nr; i++) {
		if (n && l->r[i].start <= l->r[n - 1].end) {
			if (l->r[i].end > l->r[n - 1].end)
				l->r[n - 1].end = l->r[i].end;
		} else {
			l->r[n++] = l->r[i];
		}
	}
	l->nr = l->sorted = n;
}

struct vt_error *vt_range_list_add(struct vt_range_list *l, uint64_t start,
				   uint64_t end)
{
	struct vt_pfn_range *last = l->nr ? &l->r[l->nr - 1] : NULL;

	if (start >= end)
		return NULL;
	/* the walks mostly go up: grow the last range in place */
	if (last && start >= last->start && start <= last->end) {
		if (end > last->end)
			last->end = end;
		return NULL;
	}
	if (l->nr == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct vt_pfn_range *r;

		/* merge before growing: the bound is the distinct ranges */
		if (l->sorted != l->nr) {
			vt_range_list_sort(l);
			if (l->nr < l->cap)
				return vt_range_list_add(l, start, end);
		}
		r = realloc(l->r, cap * sizeof(*r));
		if (!r)
			return vt_error_new(VT_ERR_NOMEM,
					    "critical pages: out of memory");
		l->r = r;
		l->cap = cap;
	}
	last = l->nr ? &l->r[l->nr - 1] : NULL; /* moved by realloc */
	if (l->sorted == l->nr && (!last || start > last->end))
		l->sorted++;
	l->r[l->nr++] = (struct vt_pfn_range){ start, end };
	return NULL;
}

size_t vt_range_list_first_after(const struct vt_range_list *l, uint64_t pfn)
{
	size_t lo = 0, hi = l->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->r[mid].end <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool vt_range_list_has(const struct vt_range_list *l, uint64_t pfn)
{
	size_t i = vt_range_list_first_after(l, pfn);

	return i < l->nr && l->r[i].start <= pfn;
}

void vt_range_list_clear(struct vt_range_list *l)
{
	free(l->r);
	memset(l, 0, sizeof(*l));
}

/* --- the walks ------------------------------------------------------------- */

struct finder {
	struct vt_critical *c;
	struct vt_dump *dump;
	struct vt_x86_64 *x;
	uint64_t max_pfn;
	uint64_t last_table[MAX_LEVELS + 1]; /* by level: added already */
	enum vt_critical_kind walking; /* what the mapped pages are */
	struct vt_error *err;
};

static struct vt_error *add(struct finder *f, enum vt_critical_kind k,
			    uint64_t start, uint64_t end)
{
	if (end > f->max_pfn)
		end = f->max_pfn;
	return vt_range_list_add(&f->c->kind[k], start, end);
}

/* Every page-table page a piece was reached through. */
static int on_table_piece(void *arg, const struct vt_leaf *l)
{
	struct finder *f = arg;

	for (int lv = 1; lv <= MAX_LEVELS && !f->err; lv++) {
		uint64_t t = l->tables[lv];

		if (!t || f->last_table[lv] == t)
			continue;
		f->last_table[lv] = t;
		f->err = add(f, VT_CRIT_TABLES, t / PAGE, t / PAGE + 1);
	}
	return f->err != NULL;
}

/* The pages a mapped piece maps. */
static int on_mapped_piece(void *arg, const struct vt_leaf *l)
{
	struct finder *f = arg;

	enum vt_critical_kind k = f->walking;

	if (l->kind != VT_LEAF_MAPPED)
		return 0;
	/* the image: its text is in vmlinux, its data only here */
	if (k == VT_CRIT_IMAGE && !(l->entry & VT_X86_64_NX))
		return 0;
	if (k == VT_CRIT_IMAGE && !(l->entry & VT_X86_64_RW))
		k = VT_CRIT_RODATA;
	f->err = add(f, k, l->paddr / PAGE,
		     (l->paddr + l->size + PAGE - 1) / PAGE);
	return f->err != NULL;
}

static struct vt_error *walk_mapped(struct finder *f, enum vt_critical_kind k,
				    uint64_t start, uint64_t end)
{
	struct vt_error *err;

	f->walking = k;
	err = vt_x86_64_walk(f->x, start, end, on_mapped_piece, f);
	return err ? err : f->err;
}

/* The vmemmap pages of every run of dumped pfns. */
static struct vt_error *find_vmemmap(struct finder *f,
				     const struct vt_critical_dumped *dumped,
				     uint64_t base, uint64_t size_page)
{
	uint64_t pfn = 0;

	while (pfn < f->max_pfn) {
		uint64_t run_end;
		bool in = false;
		struct vt_error *err;

		if (dumped) {
			err = dumped->fn(dumped->arg, pfn, &in, &run_end);
		} else {
			enum vt_pfn_state st;

			err = vt_dump_pfn_run(f->dump, pfn, &st, &run_end);
			in = st == VT_PFN_DUMPED;
		}
		/* cppcheck takes err for a pointer into in: it is not */
		if (err)
			// cppcheck-suppress returnDanglingLifetime
			return err;
		if (run_end <= pfn || run_end > f->max_pfn)
			run_end = f->max_pfn;
		if (in) {
			err = walk_mapped(f, VT_CRIT_VMEMMAP,
					  base + pfn * size_page,
					  base + run_end * size_page);
			if (err)
				return err;
		}
		pfn = run_end;
	}
	return NULL;
}

/* Kernel memory read through the page tables, every page noted. */
static struct vt_error *read_noted(void *arg, uint64_t vaddr, void *buf,
				   size_t len)
{
	struct finder *f = arg;
	uint8_t *o = buf;

	for (size_t n; len; vaddr += n, o += n, len -= n) {
		struct vt_error *err;
		uint64_t paddr;

		n = PAGE - vaddr % PAGE < len ? PAGE - vaddr % PAGE : len;
		err = vt_x86_64_vtop(f->x, vaddr, &paddr, NULL);
		if (!err)
			err = add(f, f->walking, paddr / PAGE,
				  paddr / PAGE + 1);
		if (!err)
			err = vt_dump_read_paddr(f->dump, paddr, o, n);
		if (err)
			return err;
	}
	return NULL;
}

/* Kernel memory read through the page tables (not noted). */
static struct vt_error *read_plain(struct finder *f, uint64_t vaddr, void *buf,
				   size_t len)
{
	uint64_t paddr;
	struct vt_error *err;

	if (vaddr % PAGE + len > PAGE)
		return vt_error_new(VT_ERR_INVALID,
				    "a read across a page at 0x%llx",
				    (unsigned long long)vaddr);
	err = vt_x86_64_vtop(f->x, vaddr, &paddr, NULL);
	return err ? err : vt_dump_read_paddr(f->dump, paddr, buf, len);
}

static int on_record(void *arg, const struct vt_printk_record *r)
{
	(void)arg;
	(void)r;
	return 0;
}

static struct vt_error *find_log(struct finder *f)
{
	struct vt_printk *p = NULL;
	struct vt_error *err;

	f->walking = VT_CRIT_LOG;
	err = vt_printk_open(vt_dump_vmcoreinfo(f->dump), read_noted, f, &p);

	if (!err)
		err = vt_printk_walk(p, on_record, NULL);
	vt_printk_free(p);
	return err;
}

static uint64_t key(struct finder *f, const char *name, int base)
{
	const char *v = vt_vmcoreinfo_get(vt_dump_vmcoreinfo(f->dump), name);

	return v ? strtoull(v, NULL, base) : 0;
}

/*
 * mem_section: the whole root array (LENGTH(mem_section) pointers: crash
 * reads all of it) and the roots vt_vmemmap_new() read.
 */
static struct vt_error *find_roots(struct finder *f,
				   const struct vt_vmemmap *vm)
{
	uint64_t sym = key(f, "SYMBOL(mem_section)", 16);
	uint64_t len = key(f, "LENGTH(mem_section)", 10);
	const uint64_t *pfns;
	size_t n = vt_vmemmap_root_pfns(vm, &pfns);
	struct vt_error *err = NULL;

	if (sym && len && len <= (1ULL << 25))
		err = walk_mapped(f, VT_CRIT_ROOTS, sym, sym + 8 * len);
	for (size_t i = 0; i < n && !err; i++)
		err = add(f, VT_CRIT_ROOTS, pfns[i], pfns[i] + 1);
	return err;
}

/* Each node's pglist_data (zones, free lists): SYMBOL(node_data). */
static struct vt_error *find_nodes(struct finder *f)
{
	uint64_t sym = key(f, "SYMBOL(node_data)", 16);
	uint64_t len = key(f, "LENGTH(node_data)", 10);
	uint64_t size = key(f, "SIZE(pglist_data)", 10);
	struct vt_error *err = NULL;
	uint8_t ptrs[PAGE];

	if (!sym || !len || !size)
		return vt_error_new(
			VT_ERR_NOKEY,
			"needs SYMBOL(node_data), LENGTH(node_data) and SIZE(pglist_data)");
	if (len > (1ULL << 16) || size > (1ULL << 24))
		return vt_error_new(
			VT_ERR_FORMAT,
			"implausible LENGTH(node_data)=%llu SIZE(pglist_data)=%llu",
			(unsigned long long)len, (unsigned long long)size);
	for (uint64_t i = 0; i < len && !err; i += PAGE / 8) {
		uint64_t n = len - i < PAGE / 8 ? len - i : PAGE / 8;

		f->walking = VT_CRIT_NODES;
		err = read_noted(f, sym + 8 * i, ptrs, 8 * n);
		for (uint64_t j = 0; j < n && !err; j++) {
			uint64_t p = vt_le64(ptrs + 8 * j);

			if (p)
				err = walk_mapped(f, VT_CRIT_NODES, p,
						  p + size);
		}
	}
	return err;
}

/*
 * The stack each CPU was on: NT_PRSTATUS holds its registers (struct
 * elf_prstatus: pr_reg at byte 112, rsp its 20th word); the 16 KiB
 * (x86_64's THREAD_SIZE, and the size of its IRQ stacks) around rsp.
 */
#define PRSTATUS_RSP (112 + 19 * 8)
#define STACK_SIZE 16384ULL

/*
 * The text a stack returns to: a word of it that points into the image
 * may be a return address, whose call instruction (the bytes before it) a
 * backtrace reads from the dump, and the function's code from its start
 * (crash 8.0.2 works out a frame's size from it): the page before is
 * taken too, as most functions are shorter than a page. Words that are
 * not return addresses add a few pages of text at most.
 */
static struct vt_error *find_text(struct finder *f, uint64_t stack,
				  const struct vt_kernel_areas *a)
{
	uint8_t buf[PAGE];
	struct vt_error *err = NULL;

	for (uint64_t v = stack; v < stack + STACK_SIZE && !err; v += PAGE) {
		f->walking = VT_CRIT_STACKS;
		err = read_noted(f, v, buf, PAGE);
		for (unsigned int i = 0; i < PAGE && !err; i += 8) {
			uint64_t w = vt_le64(buf + i), paddr;

			if (w < a->image_start + 8 || w >= a->image_end)
				continue;
			const uint64_t at[3] = { w - PAGE, w - 8, w };

			for (int j = 0; j < 3 && !err; j++) {
				struct vt_error *e;

				if (at[j] < a->image_start)
					continue;
				e = vt_x86_64_vtop(f->x, at[j], &paddr, NULL);
				if (!vt_error_catch(&e, 0))
					err = add(f, VT_CRIT_TEXT, paddr / PAGE,
						  paddr / PAGE + 1);
			}
		}
	}
	/* a stack page that cannot be read: what was found stays */
	if (err && err->code != VT_ERR_NOMEM)
		vt_error_catch(&err, 0);
	return err;
}

static struct vt_error *find_stacks(struct finder *f,
				    const struct vt_kernel_areas *a)
{
	const struct vt_dump_info *info = vt_dump_info(f->dump);
	const uint8_t *p = info->notes, *end = p ? p + info->notes_size : p;
	struct vt_error *err = NULL;

	if (!p)
		return vt_error_new(VT_ERR_NOKEY, "the dump has no notes");
	while (!err && end - p >= 12) {
		uint64_t namesz = vt_le32(p), descsz = vt_le32(p + 4);
		uint64_t name = 12, desc = name + (namesz + 3) / 4 * 4, rsp;

		if (desc + descsz > (uint64_t)(end - p))
			break;
		if (vt_le32(p + 8) == VT_NT_PRSTATUS && namesz == 5 &&
		    !memcmp(p + name, "CORE", 5) &&
		    descsz >= PRSTATUS_RSP + 8) {
			rsp = vt_le64(p + desc + PRSTATUS_RSP);
			if (rsp >> 63)
				err = walk_mapped(f, VT_CRIT_STACKS,
						  rsp & ~(STACK_SIZE - 1),
						  (rsp | (STACK_SIZE - 1)) + 1);
			if (!err && rsp >> 63)
				err = find_text(f, rsp & ~(STACK_SIZE - 1), a);
		}
		p += desc + (descsz + 3) / 4 * 4;
	}
	return err;
}

/* A kind that cannot be found is noted; memory runs out for all. */
/*
 * What the kernel's symbols (kallsyms.h) locate. Each CPU's static
 * per-CPU area: __per_cpu_offset (one offset per CPU), nr_cpu_ids and the
 * area's bounds (__per_cpu_start, __per_cpu_end: per-CPU variables are
 * linked at offsets in it); CPU i's copy of a variable at v is at v +
 * offset[i]. And the text of __schedule up to schedule's first page: a
 * debugger reads it to learn how the tasks that sleep left their frames
 * (crash 8.0.2: "framepointer check", and gdb for bt). crash 8.0.2 also
 * reads, before its prompt, the first bytes of a dozen system-call and
 * fork functions (whether the kernel keeps frame pointers: SYM_FP_FIRST
 * on) and disassembles common_interrupt (where an interrupt's frame
 * links to the stack it interrupted; gdb reads the page before it too):
 * a page each, common_interrupt three.
 */
#define MAX_CPUS 8192

enum {
	SYM_OFFSET,
	SYM_NR_CPUS,
	SYM_PCPU_START,
	SYM_PCPU_END,
	SYM_SCHED,
	SYM_SCHEDULE,
	SYM_BTF_START,
	SYM_BTF_STOP,
	SYM_SLAB_CACHES,
	SYM_INIT_PID_NS,
	SYM_CURRENT,
	SYM_PCPU_HOT,
	SYM_IRQ_ENTRY,
	SYM_FP_FIRST,
	SYM_FP_LAST = SYM_FP_FIRST + 10,
	NR_SYMS
};

/* A task_struct is under 16 KiB (about 9.5 KiB on Debian's 6.1) */
#define TASK_BYTES 16384ULL

#define MAX_STEPS 4096 /* list entries or tree nodes followed, at most */

/* The page of kernel address @v, and of @v - @before, as @k. */
static struct vt_error *add_kv(struct finder *f, enum vt_critical_kind k,
			       uint64_t v, uint64_t before)
{
	uint64_t pa, pb;
	struct vt_error *err = vt_x86_64_vtop(f->x, v, &pa, NULL);

	if (!err)
		err = vt_x86_64_vtop(f->x, v - before, &pb, NULL);
	if (!err)
		err = add(f, k, pa / PAGE, pa / PAGE + 1);
	if (!err)
		err = add(f, k, pb / PAGE, pb / PAGE + 1);
	return err;
}

/*
 * The kmem_caches, on the list at slab_caches: each link is inside its
 * cache (a debugger reads each cache's sizes at start-up), which starts
 * at most a few hundred bytes before it.
 */
static struct vt_error *find_caches(struct finder *f, uint64_t head)
{
	struct vt_error *err = NULL;
	uint64_t p = head;
	uint8_t b[8];

	for (int i = 0; i < MAX_STEPS && !err; i++) {
		err = read_plain(f, p, b, 8);
		p = err ? head : vt_le64(b);
		if (p == head || p % 8)
			break;
		err = add_kv(f, VT_CRIT_SLAB, p, 512);
	}
	return err;
}

/*
 * The nodes of the pid xarray (init_pid_ns's idr, its first member: a
 * lock and flags, 4 bytes each, then xa_head). An entry whose low two bits
 * are 2 and that is above 4096 is a node, at the entry less 2: a byte of
 * shift, then at byte 40 its 64 slots (the kernel's XA_CHUNK_SHIFT 6).
 */
#define XA_SLOTS_OFF 40
#define XA_SLOTS 64

static bool xa_node(uint64_t e)
{
	return (e & 3) == 2 && e > 4096;
}

static struct vt_error *find_pid_nodes(struct finder *f, uint64_t ns)
{
	uint64_t stack[64], seen = 0;
	struct vt_error *err;
	unsigned int n = 0;
	uint8_t b[8 * XA_SLOTS];

	err = read_plain(f, ns + 8, b, 8);
	if (!err && xa_node(vt_le64(b)))
		stack[n++] = vt_le64(b) - 2;
	while (!err && n && seen++ < MAX_STEPS) {
		uint64_t node = stack[--n];
		uint8_t shift = 0;

		err = add_kv(f, VT_CRIT_SLAB,
			     node + XA_SLOTS_OFF + 8 * XA_SLOTS,
			     XA_SLOTS_OFF + 8 * XA_SLOTS);
		if (!err)
			err = read_plain(f, node, &shift, 1);
		if (err || !shift)
			continue;
		for (int i = 0; i < XA_SLOTS && !err; i++) {
			uint64_t e;

			err = read_plain(f, node + XA_SLOTS_OFF + 8 * i, b, 8);
			e = err ? 0 : vt_le64(b);
			if (xa_node(e) && n < 64)
				stack[n++] = e - 2;
		}
	}
	return err;
}

static struct vt_error *find_percpu(struct finder *f, const uint64_t *a)
{
	struct vt_error *err = NULL;
	uint32_t ncpu = 0;
	uint8_t b[8];

	if (!a[SYM_OFFSET] || !a[SYM_NR_CPUS] ||
	    a[SYM_PCPU_END] <= a[SYM_PCPU_START] ||
	    a[SYM_PCPU_END] - a[SYM_PCPU_START] > (64ULL << 20))
		return vt_error_new(VT_ERR_NOKEY,
				    "kallsyms lacks the per-CPU symbols");
	err = read_plain(f, a[SYM_NR_CPUS], b, 4);
	if (!err) {
		ncpu = vt_le32(b);
		if (ncpu > MAX_CPUS)
			ncpu = MAX_CPUS;
	}
	for (uint32_t i = 0; i < ncpu && !err; i++) {
		uint64_t off,
			cur = a[SYM_CURRENT] ? a[SYM_CURRENT] : a[SYM_PCPU_HOT];

		err = read_plain(f, a[SYM_OFFSET] + 8ULL * i, b, 8);
		off = err ? 0 : vt_le64(b);
		if (!err)
			err = walk_mapped(f, VT_CRIT_PERCPU,
					  a[SYM_PCPU_START] + off,
					  a[SYM_PCPU_END] + off);
		/* the task it ran (the panic task among them) */
		if (!err && cur && !read_plain(f, cur + off, b, 8) &&
		    vt_le64(b) >> 63)
			err = walk_mapped(f, VT_CRIT_SLAB, vt_le64(b),
					  vt_le64(b) + TASK_BYTES);
	}
	return err;
}

static struct vt_error *find_by_symbol(struct finder *f)
{
	static const char *const names[NR_SYMS] = {
		[SYM_OFFSET] = "__per_cpu_offset",
		[SYM_NR_CPUS] = "nr_cpu_ids",
		[SYM_PCPU_START] = "__per_cpu_start",
		[SYM_PCPU_END] = "__per_cpu_end",
		[SYM_SCHED] = "__schedule",
		[SYM_SCHEDULE] = "schedule",
		[SYM_BTF_START] = "__start_BTF",
		[SYM_BTF_STOP] = "__stop_BTF",
		[SYM_SLAB_CACHES] = "slab_caches",
		[SYM_INIT_PID_NS] = "init_pid_ns",
		/* each CPU's task: per-CPU current_task, or (6.2 on) the
		   first word of pcpu_hot */
		[SYM_CURRENT] = "current_task",
		[SYM_PCPU_HOT] = "pcpu_hot",
		[SYM_IRQ_ENTRY] = "common_interrupt",
		[SYM_FP_FIRST] = "sys_open",
		"sys_fork",
		"sys_read",
		"__x64_sys_open",
		"__x64_sys_fork",
		"__x64_sys_read",
		"do_futex",
		"do_fork",
		"_do_fork",
		"sys_write",
		[SYM_FP_LAST] = "vfs_read", /* and __schedule, above */
	};
	uint64_t a[NR_SYMS];
	struct vt_error *err =
		vt_kallsyms_lookup(f->dump, f->x, names, NR_SYMS, a);

	if (err)
		return err;
	if (a[SYM_SCHED] && a[SYM_SCHEDULE] >= a[SYM_SCHED] &&
	    a[SYM_SCHEDULE] - a[SYM_SCHED] < (1ULL << 20))
		err = walk_mapped(f, VT_CRIT_TEXT,
				  a[SYM_SCHED] - a[SYM_SCHED] % PAGE,
				  a[SYM_SCHEDULE] + 2 * PAGE + 1);
	/* whole pages only: the pages it shares stay read-only data */
	if (!err && a[SYM_BTF_START] &&
	    a[SYM_BTF_STOP] > a[SYM_BTF_START] + 2 * PAGE &&
	    a[SYM_BTF_STOP] - a[SYM_BTF_START] < (1ULL << 30))
		err = walk_mapped(f, VT_CRIT_BTF,
				  a[SYM_BTF_START] + PAGE -
					  a[SYM_BTF_START] % PAGE,
				  a[SYM_BTF_STOP] - a[SYM_BTF_STOP] % PAGE);
	for (int i = SYM_FP_FIRST; i <= SYM_FP_LAST && !err; i++)
		if (a[i])
			err = walk_mapped(f, VT_CRIT_TEXT, a[i], a[i] + 16);
	if (!err && a[SYM_IRQ_ENTRY])
		err = walk_mapped(f, VT_CRIT_TEXT, a[SYM_IRQ_ENTRY] - PAGE,
				  a[SYM_IRQ_ENTRY] + PAGE + 1);
	if (!err)
		err = find_percpu(f, a);
	if (!err && a[SYM_SLAB_CACHES])
		err = find_caches(f, a[SYM_SLAB_CACHES]);
	if (!err && a[SYM_INIT_PID_NS])
		err = find_pid_nodes(f, a[SYM_INIT_PID_NS]);
	return err;
}

static struct vt_error *note(struct vt_critical *c, enum vt_critical_kind k,
			     struct vt_error *err)
{
	if (!err || err->code == VT_ERR_NOMEM)
		return err;
	c->why[k] = err;
	return NULL;
}

static struct vt_error *find_all(struct finder *f,
				 const struct vt_critical_dumped *dumped,
				 const struct vt_kernel_profile *kp)
{
	struct vt_critical *c = f->c;
	struct vt_vmemmap *vm = NULL;
	struct vt_kernel_areas a;
	struct vt_error *err, *vm_err;

	err = vt_x86_64_walk_coarse(f->x, 0, UINT64_MAX, on_table_piece, f);
	err = note(c, VT_CRIT_TABLES, err ? err : f->err);
	f->err = NULL;
	vm_err = vt_vmemmap_new(f->dump, f->x, &vm);
	vt_kernel_areas_find(f->dump, f->x, vm, &a);
	if (!err)
		err = note(c, VT_CRIT_IMAGE,
			   walk_mapped(f, VT_CRIT_IMAGE,
				       a.image_start - a.image_start % PAGE,
				       a.image_end));
	f->err = NULL;
	if (!err && vm) {
		err = note(c, VT_CRIT_ROOTS, find_roots(f, vm));
		f->err = NULL;
		if (!err)
			err = note(c, VT_CRIT_VMEMMAP,
				   find_vmemmap(f, dumped, a.vmemmap_start,
						(uint64_t)kp->size_page.value));
		f->err = NULL;
	} else if (!err && vm_err->code == VT_ERR_NOMEM) {
		err = vm_err;
		vm_err = NULL;
	} else if (!err) {
		c->why[VT_CRIT_ROOTS] = vm_err;
		c->why[VT_CRIT_VMEMMAP] = vt_error_copy(vm_err);
		vm_err = NULL;
	}
	vt_error_free(vm_err);
	vt_vmemmap_free(vm);
	if (!err)
		err = note(c, VT_CRIT_NODES, find_nodes(f));
	f->err = NULL;
	if (!err)
		err = note(c, VT_CRIT_STACKS, find_stacks(f, &a));
	f->err = NULL;
	if (!err)
		err = note(c, VT_CRIT_PERCPU, find_by_symbol(f));
	f->err = NULL;
	if (!err)
		err = note(c, VT_CRIT_LOG, find_log(f));
	return err;
}

struct vt_error *vt_critical_find(struct vt_dump *dump,
				  const struct vt_kernel_profile *kp,
				  struct vt_x86_64 *x,
				  const struct vt_critical_dumped *dumped,
				  struct vt_critical **out)
{
	struct finder f = {
		.dump = dump,
		.x = x,
		.max_pfn = vt_dump_info(dump)->max_pfn,
	};
	struct vt_error *err;

	*out = NULL;
	f.c = calloc(1, sizeof(*f.c));
	if (!f.c)
		return vt_error_new(VT_ERR_NOMEM,
				    "critical pages: out of memory");
	err = find_all(&f, dumped, kp);
	for (int k = 0; k < VT_CRIT_KINDS && !err; k++) {
		struct vt_range_list *l = &f.c->kind[k];

		vt_range_list_sort(l);
		for (size_t i = 0; i < l->nr && !err; i++) {
			f.c->pages[k] += l->r[i].end - l->r[i].start;
			err = vt_range_list_add(&f.c->all, l->r[i].start,
						l->r[i].end);
		}
	}
	if (!err) {
		vt_range_list_sort(&f.c->all);
		for (size_t i = 0; i < f.c->all.nr; i++)
			f.c->total += f.c->all.r[i].end - f.c->all.r[i].start;
		*out = f.c;
		return NULL;
	}
	vt_critical_free(f.c);
	return vt_error_prefix(err, "critical pages: ");
}

void vt_critical_free(struct vt_critical *c)
{
	if (!c)
		return;
	vt_range_list_clear(&c->all);
	for (int k = 0; k < VT_CRIT_KINDS; k++) {
		vt_range_list_clear(&c->kind[k]);
		vt_error_free(c->why[k]);
	}
	free(c);
}
