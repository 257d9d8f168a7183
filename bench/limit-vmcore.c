// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench/limit-vmcore: the floor of a filter reading /proc/vmcore in a
 * capture kernel (make bench-kdump's limit row). Built static.
 *
 *   limit-vmcore THREADS VMCORE DUMPFILE
 *
 * VMCORE is an ELF vmcore (/proc/vmcore); DUMPFILE is the kdump-compressed
 * dump vmemtrim wrote of it. The data is read the fastest way the kernel
 * allows: read-only mappings of VMCORE in windows of 4 MiB (a little more
 * when a range crosses the window's end), each unmapped before the next is
 * mapped, never the whole file (page tables for terabytes do not fit a
 * capture kernel). It reads exactly:
 *
 *  1. the struct pages vmemtrim reads to classify: for each 1024-pfn
 *     aligned group holding RAM, the group's first struct page, and, unless
 *     that page is the head of a free buddy block of order 10 or more
 *     (PAGE_BUDDY_MAPCOUNT_VALUE in _mapcount, the order in private: a
 *     block covering the group), the struct pages of every pfn of the group
 *     in RAM. Every byte of them is loaded (folded into a checksum). They
 *     are found through the vmemmap: vmemmap_base from the library's
 *     vmemmap map, the kernel's page tables walked by the library;
 *  2. the pages DUMPFILE holds (set bits of its 2nd bitmap, runs from
 *     vt_dump_pfn_run), each compressed straight from the mapping with
 *     DUMPFILE's codec, the output thrown away (bytes of a page that no
 *     PT_LOAD holds read as zero).
 *
 * Nothing is classified and nothing is written. The ELF headers,
 * VMCOREINFO, mem_section and the page tables are read with pread() by the
 * library, as vmemtrim reads them. THREADS threads share both passes
 * (groups taken 256 at a time in pass 1, runs of up to 256 pages in pass 2),
 * each with its own window.
 *
 * Prints "limit-vmcore: N pages, B compressed bytes, S struct pages read
 * in G groups (F decided by the first; checksum X); set-up T s, struct
 * pages T s, pages T s".
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmemtrim/codec.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#include "runs.h"

#define WINDOW (4ULL << 20)
#define RUN_PAGES 256
#define GROUP 1024ULL /* pfns of an order-10 free block */
#define GROUP_BATCH 256 /* groups a thread takes at once */
#define MAX_THREADS 16

/*
 * [start, start + size) of one space at @to in another: a PT_LOAD
 * (physical address -> file offset) or a piece of the vmemmap (virtual ->
 * physical address).
 */
struct piece {
	uint64_t start, size, to;
};

/* A run of RAM pfns of VMCORE. */
struct ram {
	uint64_t start, end;
};

struct ctx {
	int fd;
	uint64_t fsize, ps;
	struct piece *loads; /* PT_LOADs of RAM, by physical address */
	size_t nloads;
	struct piece *leaves; /* the vmemmap's mapped pieces */
	size_t nleaves;
	struct ram *ram;
	size_t nram;
	uint64_t *groups; /* first pfn of each group holding RAM */
	size_t ngroups, next_group;
	/* struct page layout */
	uint64_t vbase, size_page, off_mapcount, off_private;
	uint32_t buddy;
	bool typed;
	/* pass 2 */
	struct dumped_runs runs;
	uint32_t codec;
	pthread_mutex_t lock;
	pthread_barrier_t pass1_done;
	double t_pass1; /* when pass 1 ended */
	/* totals */
	uint64_t pages, bytes, sp_read, decided, sum;
	const char *err;
};

/*
 * One thread's mapping of VMCORE. Two threads never map the same part of
 * it at once: a window does not reach past physical address @limit (the
 * end of what the thread took).
 */
struct window {
	const uint8_t *base;
	uint64_t off, len, limit;
	int error; /* errno of a failed mmap() */
};

/* A run of dumped pfns. */
struct run {
	uint64_t start, n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(struct ctx *c, const char *why)
{
	pthread_mutex_lock(&c->lock);
	if (!c->err)
		c->err = why;
	pthread_mutex_unlock(&c->lock);
}

/*
 * [off, off + len) of VMCORE through @w, a window of WINDOW bytes from
 * @off's page up to @end (or more, to hold the range); NULL when it cannot
 * map.
 */
static const uint8_t *map_at(struct ctx *c, struct window *w, uint64_t off,
			     uint64_t len, uint64_t end)
{
	uint64_t start = off & ~(c->ps - 1), size = WINDOW;
	void *p;

	if (w->base && off >= w->off && off + len <= w->off + w->len)
		return w->base + (off - w->off);
	if (w->base)
		munmap((void *)w->base, w->len);
	w->base = NULL;
	if (start + size > end)
		size = end > start ? end - start : 0;
	if (off + len > start + size)
		size = off + len - start;
	size = (size + c->ps - 1) & ~(c->ps - 1);
	if (start + size > c->fsize)
		size = c->fsize - start;
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, c->fd, (off_t)start);
	if (p == MAP_FAILED) {
		w->error = errno;
		return NULL;
	}
	w->base = p;
	w->off = start;
	w->len = size;
	return w->base + (off - start);
}

/* The piece of the sorted @v (@n of them) holding @addr, or NULL. */
static const struct piece *piece_of(const struct piece *v, size_t n,
				    uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < v[mid].start)
			hi = mid;
		else if (addr >= v[mid].start + v[mid].size)
			lo = mid + 1;
		else
			return &v[mid];
	}
	return NULL;
}

/* The first PT_LOAD starting above @paddr, or NULL. */
static const struct piece *load_after(const struct ctx *c, uint64_t paddr)
{
	for (size_t i = 0; i < c->nloads; i++)
		if (c->loads[i].start > paddr)
			return &c->loads[i];
	return NULL;
}

/*
 * Call @fn on the mapped bytes of physical [paddr, paddr + len), piece by
 * piece where PT_LOADs end; bytes no PT_LOAD holds (the tail of a partial
 * page) are skipped. false when no byte of the range is in VMCORE, or the
 * mapping fails.
 */
typedef void (*bytes_fn)(struct ctx *c, const uint8_t *p, uint64_t len,
			 void *arg);
static bool read_phys(struct ctx *c, struct window *w, uint64_t paddr,
		      uint64_t len, bytes_fn fn, void *arg)
{
	bool any = false;

	while (len) {
		const struct piece *l = piece_of(c->loads, c->nloads, paddr);
		uint64_t n, at;
		const uint8_t *p;

		if (!l) {
			l = load_after(c, paddr);
			if (!l || l->start - paddr >= len)
				return any;
			len -= l->start - paddr;
			paddr = l->start;
		}
		any = true;
		at = paddr - l->start;
		n = l->size - at < len ? l->size - at : len;
		p = map_at(c, w, l->to + at, n,
			   w->limit > l->start + l->size ?
				   l->to + l->size :
				   l->to + (w->limit - l->start));
		if (!p)
			return false;
		fn(c, p, n, arg);
		paddr += n;
		len -= n;
	}
	return true;
}

/* --- pass 1: struct pages ------------------------------------------------ */

static void fold(struct ctx *c, const uint8_t *p, uint64_t len, void *arg)
{
	uint64_t *sum = arg, s = 0, v;

	(void)c;
	for (uint64_t i = 0; i + 8 <= len; i += 8) {
		memcpy(&v, p + i, 8);
		s ^= v;
	}
	*sum ^= s;
}

/* Load the struct pages of pfns [a, b), leaf by leaf. */
static void read_sp(struct ctx *c, struct window *w, uint64_t a, uint64_t b,
		    uint64_t *sum)
{
	uint64_t va = c->vbase + a * c->size_page;
	uint64_t end = c->vbase + b * c->size_page;

	while (va < end) {
		const struct piece *l = piece_of(c->leaves, c->nleaves, va);
		uint64_t n;

		if (!l) { /* unmapped: vmemtrim finds nothing to read here */
			va = (va | (c->ps - 1)) + 1;
			continue;
		}
		n = l->start + l->size - va;
		if (n > end - va)
			n = end - va;
		if (!read_phys(c, w, l->to + (va - l->start), n, fold, sum))
			fail(c, w->error ? strerror(w->error) :
					   "a struct page is not in VMCORE");
		va += n;
	}
}

/* Is pfn @pfn's struct page @sp the head of a free block covering 1024? */
static bool covers_group(const struct ctx *c, uint64_t pfn, const uint8_t *sp)
{
	uint32_t word;
	uint64_t order;

	memcpy(&word, sp + c->off_mapcount, 4);
	memcpy(&order, sp + c->off_private, 8);
	if (c->typed ? word >> 24 != c->buddy >> 24 : word != c->buddy)
		return false;
	return order >= 10 && order < 64 && !(pfn & ((1ULL << order) - 1));
}

static void copy_sp(struct ctx *c, const uint8_t *p, uint64_t len, void *arg)
{
	uint8_t *sp = arg;

	(void)c;
	memcpy(sp, p, len < 64 ? len : 64);
}

/* The RAM run holding or following @pfn (index), or nram. */
static size_t ram_from(const struct ctx *c, uint64_t pfn)
{
	size_t lo = 0, hi = c->nram;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->ram[mid].end <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void one_group(struct ctx *c, struct window *w, uint64_t g,
		      uint64_t *nsp, uint64_t *ndecided, uint64_t *sum)
{
	uint8_t first[64] = { 0 };
	uint64_t end = g + GROUP, va = c->vbase + g * c->size_page;
	const struct piece *l = piece_of(c->leaves, c->nleaves, va);

	if (l && c->size_page <= sizeof(first) &&
	    read_phys(c, w, l->to + (va - l->start), c->size_page, copy_sp,
		      first)) {
		fold(c, first, c->size_page, sum);
		(*nsp)++;
		if (covers_group(c, g, first)) {
			(*ndecided)++;
			return;
		}
	}
	for (size_t i = ram_from(c, g); i < c->nram && c->ram[i].start < end;
	     i++) {
		uint64_t a = c->ram[i].start > g ? c->ram[i].start : g;
		uint64_t b = c->ram[i].end < end ? c->ram[i].end : end;

		read_sp(c, w, a, b, sum);
		*nsp += b - a;
	}
}

static void pass1(struct ctx *c, struct window *w)
{
	uint64_t nsp = 0, ndecided = 0, sum = 0;

	for (;;) {
		size_t i, n;

		pthread_mutex_lock(&c->lock);
		i = c->next_group;
		n = c->ngroups - i < GROUP_BATCH ? c->ngroups - i : GROUP_BATCH;
		c->next_group += n;
		pthread_mutex_unlock(&c->lock);
		if (!n)
			break;
		for (; n; n--, i++)
			one_group(c, w, c->groups[i], &nsp, &ndecided, &sum);
	}
	pthread_mutex_lock(&c->lock);
	c->sp_read += nsp;
	c->decided += ndecided;
	c->sum ^= sum;
	pthread_mutex_unlock(&c->lock);
}

/* --- pass 2: dumped pages --------------------------------------------------- */

struct squeeze {
	uint8_t *out, *part;
	size_t cap;
	void *work;
	uint64_t bytes;
};

static void compress(struct ctx *c, const uint8_t *p, uint64_t len, void *arg)
{
	struct squeeze *z = arg;

	for (uint64_t i = 0; i < len; i += c->ps) {
		size_t n = c->ps;
		const uint8_t *page = p + i;
		struct vt_error *err;

		if (len - i < c->ps) { /* a partial page: the rest reads as 0 */
			memset(z->part, 0, c->ps);
			memcpy(z->part, page, len - i);
			page = z->part;
		}
		err = vt_codec_compress(c->codec, page, c->ps, z->out, z->cap,
					&n, z->work);

		if (err) {
			vt_error_free(err);
			n = c->ps;
		}
		z->bytes += n < c->ps ? n : c->ps;
	}
}

/*
 * The dumped runs of the next WINDOW bytes of pfns (a run may go on past
 * them) into @v, under the lock: their count, 0 at the end.
 */
static size_t next_chunk(struct ctx *c, struct run *v)
{
	uint64_t chunk = WINDOW / c->ps, max = c->runs.max_pfn, start, n;
	size_t nv = 0;

	while (!nv && !c->err && c->runs.next_pfn < max) {
		c->runs.max_pfn = (c->runs.next_pfn / chunk + 1) * chunk;
		if (c->runs.max_pfn > max)
			c->runs.max_pfn = max;
		while ((n = dumped_run(&c->runs, RUN_PAGES, &start, &c->err)))
			v[nv++] = (struct run){ start, n };
		if (c->runs.next_pfn < c->runs.max_pfn)
			c->runs.next_pfn = c->runs.max_pfn;
		c->runs.max_pfn = max;
	}
	return nv;
}

static void pass2(struct ctx *c, struct window *w)
{
	struct squeeze z = { 0 };
	struct run *v = malloc((WINDOW / c->ps + 1) * sizeof(*v));
	uint64_t pages = 0;
	size_t nv;

	z.cap = vt_codec_bound(c->codec, c->ps) + c->ps;
	z.out = malloc(z.cap);
	z.work = malloc(vt_codec_work_size(c->codec) + 1);
	z.part = malloc(c->ps);
	if (!v || !z.out || !z.work || !z.part)
		fail(c, "out of memory");
	while (v && z.out && z.work && z.part) {
		pthread_mutex_lock(&c->lock);
		nv = next_chunk(c, v);
		pthread_mutex_unlock(&c->lock);
		if (!nv)
			break;
		w->limit = (v[nv - 1].start + v[nv - 1].n) * c->ps;
		for (size_t i = 0; i < nv; i++) {
			if (!read_phys(c, w, v[i].start * c->ps, v[i].n * c->ps,
				       compress, &z))
				fail(c, w->error ? strerror(w->error) :
						   "a dumped page is not in "
						   "VMCORE");
			pages += v[i].n;
		}
	}
	pthread_mutex_lock(&c->lock);
	c->pages += pages;
	c->bytes += z.bytes;
	pthread_mutex_unlock(&c->lock);
	free(v);
	free(z.out);
	free(z.work);
	free(z.part);
}

static void *worker(void *arg)
{
	struct ctx *c = arg;
	struct window w = { .limit = UINT64_MAX };

	pass1(c, &w);
	if (w.base)
		munmap((void *)w.base, w.len);
	w.base = NULL;
	if (pthread_barrier_wait(&c->pass1_done) ==
	    PTHREAD_BARRIER_SERIAL_THREAD)
		c->t_pass1 = now();
	pass2(c, &w);
	if (w.base)
		munmap((void *)w.base, w.len);
	return NULL;
}

/* --- set-up --------------------------------------------------------------- */

static int by_start(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static const char *read_loads(struct ctx *c)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	struct stat st;

	if (fstat(c->fd, &st) || pread(c->fd, &eh, sizeof(eh), 0) != sizeof(eh))
		return "cannot read VMCORE's ELF header";
	c->fsize = (uint64_t)st.st_size;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_phnum == PN_XNUM ||
	    eh.e_phentsize != sizeof(*ph))
		return "VMCORE is not an ELF64 vmcore this program reads";
	ph = calloc(eh.e_phnum, sizeof(*ph));
	c->loads = calloc(eh.e_phnum, sizeof(*c->loads));
	if (!ph || !c->loads)
		return "out of memory";
	if (pread(c->fd, ph, eh.e_phnum * sizeof(*ph), (off_t)eh.e_phoff) !=
	    (ssize_t)(eh.e_phnum * sizeof(*ph)))
		return "cannot read VMCORE's program headers";
	/* the kernel text's PT_LOAD repeats RAM another PT_LOAD holds */
	for (unsigned int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz &&
		    ph[i].p_vaddr < VT_X86_64_START_KERNEL_MAP)
			c->loads[c->nloads++] =
				(struct piece){ ph[i].p_paddr, ph[i].p_filesz,
						ph[i].p_offset };
	free(ph);
	qsort(c->loads, c->nloads, sizeof(*c->loads), by_start);
	return NULL;
}

static int add_leaf(void *arg, const struct vt_leaf *l)
{
	struct ctx *c = arg;
	struct piece *last = c->nleaves ? &c->leaves[c->nleaves - 1] : NULL;
	void *p;

	if (l->kind != VT_LEAF_MAPPED)
		return 0;
	if (last && last->start + last->size == l->vaddr &&
	    last->to + last->size == l->paddr) {
		last->size += l->size;
		return 0;
	}
	p = realloc(c->leaves, (c->nleaves + 1) * sizeof(*c->leaves));
	if (!p)
		return 1;
	c->leaves = p;
	c->leaves[c->nleaves++] = (struct piece){ l->vaddr, l->size, l->paddr };
	return 0;
}

/* RAM runs of VMCORE and the groups holding RAM. */
static const char *find_ram(struct ctx *c, struct vt_dump *src)
{
	uint64_t max = vt_dump_info(src)->max_pfn, pfn = 0, g;

	while (pfn < max) {
		enum vt_pfn_state st;
		uint64_t end;
		struct vt_error *err = vt_dump_pfn_run(src, pfn, &st, &end);
		void *p;

		if (err) {
			vt_error_free(err);
			return "cannot list VMCORE's pfns";
		}
		if (st != VT_PFN_HOLE) {
			p = realloc(c->ram, (c->nram + 1) * sizeof(*c->ram));
			if (!p)
				return "out of memory";
			c->ram = p;
			c->ram[c->nram++] = (struct ram){ pfn, end };
		}
		pfn = end;
	}
	c->groups = malloc((max / GROUP + 1) * sizeof(*c->groups));
	if (!c->groups)
		return "out of memory";
	for (size_t i = 0; i < c->nram; i++)
		for (g = c->ram[i].start & ~(GROUP - 1); g < c->ram[i].end;
		     g += GROUP)
			if (!c->ngroups || c->groups[c->ngroups - 1] != g)
				c->groups[c->ngroups++] = g;
	return NULL;
}

static struct vt_error *layout(struct ctx *c, struct vt_dump *src)
{
	const struct vt_kernel_profile *kp = vt_dump_profile(src);
	struct vt_x86_64 *x = NULL;
	struct vt_vmemmap *vm = NULL;
	struct vt_error *err = VT_PROFILE_REQUIRE(kp, size_page);
	uint64_t end;

	if (!err)
		err = VT_PROFILE_REQUIRE(kp, off_page_mapcount);
	if (!err)
		err = VT_PROFILE_REQUIRE(kp, off_page_private);
	if (!err)
		err = VT_PROFILE_REQUIRE(kp, page_buddy_mapcount);
	if (!err)
		err = vt_x86_64_new(src, kp, &x);
	if (!err)
		err = vt_vmemmap_new(src, x, &vm);
	if (err)
		goto out;
	c->size_page = (uint64_t)kp->size_page.value;
	c->off_mapcount = (uint64_t)kp->off_page_mapcount.value;
	c->off_private = (uint64_t)kp->off_page_private.value;
	c->buddy = (uint32_t)kp->page_buddy_mapcount.value;
	c->typed = !(c->buddy & 0xffffff); /* 6.12+: a type in the top byte */
	c->vbase = vt_vmemmap_base(vm);
	end = c->vbase + vt_dump_info(src)->max_pfn * c->size_page;
	err = vt_x86_64_walk(x, c->vbase, end, add_leaf, c);
out:
	vt_vmemmap_free(vm);
	vt_x86_64_free(x);
	return err;
}

int main(int argc, char **argv)
{
	struct ctx c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_t th[MAX_THREADS];
	struct vt_dump *src = NULL;
	struct vt_error *err;
	const char *why = NULL;
	double t0 = now(), t1, t2;
	int nth;

	if (argc != 4 || (nth = atoi(argv[1])) < 1 || nth > MAX_THREADS) {
		fprintf(stderr,
			"usage: limit-vmcore THREADS VMCORE DUMPFILE\n");
		return 2;
	}
	err = vt_dump_open((const char *const *)&argv[2], 1, &src);
	if (!err)
		err = vt_dump_open((const char *const *)&argv[3], 1,
				   &c.runs.dump);
	if (!err)
		err = layout(&c, src);
	if (err) {
		fprintf(stderr, "limit-vmcore: %s\n", err->message);
		return 1;
	}
	c.ps = vt_dump_info(src)->page_size;
	c.codec = vt_dump_info(c.runs.dump)->status & DUMP_DH_COMPRESSION_MASK;
	c.runs.max_pfn = vt_dump_info(c.runs.dump)->max_pfn;
	c.fd = open(argv[2], O_RDONLY);
	if (c.fd < 0)
		why = "cannot open VMCORE";
	if (!why)
		why = read_loads(&c);
	if (!why)
		why = find_ram(&c, src);
	if (why) {
		fprintf(stderr, "limit-vmcore: %s\n", why);
		return 1;
	}
	pthread_barrier_init(&c.pass1_done, NULL, (unsigned int)nth);
	t1 = now();
	for (int i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, worker, &c);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	t2 = now();
	if (c.err) {
		fprintf(stderr, "limit-vmcore: %s\n", c.err);
		return 1;
	}
	printf("limit-vmcore: %llu pages, %llu compressed bytes, %llu struct "
	       "pages read in %zu groups (%llu decided by the first; "
	       "checksum %016llx); set-up %.3f s, struct pages %.3f s, "
	       "pages %.3f s\n",
	       (unsigned long long)c.pages, (unsigned long long)c.bytes,
	       (unsigned long long)c.sp_read, c.ngroups,
	       (unsigned long long)c.decided, (unsigned long long)c.sum,
	       t1 - t0, c.t_pass1 - t1, t2 - c.t_pass1);
	vt_dump_close(c.runs.dump);
	vt_dump_close(src);
	close(c.fd);
	return 0;
}
