// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ELF64 vmcore input (/proc/vmcore, a saved vmcore, QEMU dump-guest-memory).
 *
 * The PT_LOADs are turned into two sorted, disjoint lists: byte pieces that
 * say where each physical byte's data is in the file (or that it has none:
 * p_filesz < p_memsz), and pfn runs that say what each pfn is. Loads may
 * overlap (the kernel text load repeats part of RAM) and may start or end
 * inside a page; a pfn with any data is dumped.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "elfnote.h"
#include "internal.h"
#include "mapguard.h"
#include "vmemtrim/format.h"

#define ELF_PAGE_SIZE 4096
#define ELF_MAX_PHDRS (1u << 20)
#define ELF_MAX_NOTES (64u << 20)
#define NO_DATA UINT64_MAX
#define PROC_FS_MAGIC 0x9fa0 /* statfs f_type of /proc */

/* Physical bytes [start, end) are at file offset off (NO_DATA: none). */
struct elf_piece {
	uint64_t start, end, off;
};

struct elf_run {
	uint64_t start_pfn, end_pfn;
	enum vt_pfn_state state;
};

struct elf_file {
	struct vt_file file;
	int fd;
	uint64_t size;
	struct elf_piece *pieces;
	size_t npieces;
	struct elf_run *runs;
	size_t nruns;
	char *notes;
	char *vmcoreinfo;
	const uint8_t *map; /* the whole file, or NULL (see elf_map) */
	bool windowed; /* /proc/vmcore: mapped in windows (see elf_map) */
};

static struct elf_file *to_elf(struct vt_file *f)
{
	return (struct elf_file *)f;
}

bool vt_elf_probe(const void *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

static struct vt_error *check_ehdr(struct elf_file *e, const Elf64_Ehdr *eh)
{
	const char *path = e->file.path;

	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return vt_error_new(VT_ERR_UNSUPPORTED,
				    "%s: not a 64-bit ELF file", path);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return vt_error_new(VT_ERR_UNSUPPORTED,
				    "%s: not a little-endian ELF file", path);
	if (eh->e_type != ET_CORE)
		return vt_error_new(VT_ERR_FORMAT,
				    "%s: ELF type %u is not ET_CORE (a vmcore)",
				    path, eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return vt_error_new(VT_ERR_UNSUPPORTED,
				    "%s: ELF machine %u is not x86_64", path,
				    eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return vt_error_new(VT_ERR_FORMAT,
				    "%s: program header size %u, expected %zu",
				    path, eh->e_phentsize, sizeof(Elf64_Phdr));
	return NULL;
}

/* The number of program headers, from section 0 when it is PN_XNUM. */
static struct vt_error *phdr_count(struct elf_file *e, const Elf64_Ehdr *eh,
				   uint64_t *count)
{
	Elf64_Shdr sh;
	struct vt_error *err;

	*count = eh->e_phnum;
	if (eh->e_phnum != PN_XNUM)
		return NULL;
	if (eh->e_shoff == 0 || eh->e_shentsize != sizeof(sh))
		return vt_error_new(VT_ERR_FORMAT,
				    "%s: e_phnum is PN_XNUM but there is no "
				    "section header 0 to hold the count",
				    e->file.path);
	err = vt_pread_full(e->fd, e->file.path, &sh, sizeof(sh), eh->e_shoff,
			    "section header 0");
	if (err)
		return err;
	*count = sh.sh_info;
	return NULL;
}

static struct vt_error *read_phdrs(struct elf_file *e, Elf64_Phdr **out,
				   uint64_t *count)
{
	Elf64_Ehdr eh;
	struct vt_error *err;
	Elf64_Phdr *ph;

	err = vt_pread_full(e->fd, e->file.path, &eh, sizeof(eh), 0,
			    "ELF header");
	if (!err)
		err = check_ehdr(e, &eh);
	if (!err)
		err = phdr_count(e, &eh, count);
	if (err)
		return err;
	if (*count == 0 || *count > ELF_MAX_PHDRS)
		return vt_error_new(VT_ERR_FORMAT,
				    "%s: %llu program headers (expected 1..%u)",
				    e->file.path, (unsigned long long)*count,
				    ELF_MAX_PHDRS);
	if (eh.e_phoff > e->size || *count * sizeof(*ph) > e->size - eh.e_phoff)
		return vt_error_new(VT_ERR_FORMAT,
				    "%s: %llu program headers at offset %llu "
				    "run past the end of the file (%llu bytes)",
				    e->file.path, (unsigned long long)*count,
				    (unsigned long long)eh.e_phoff,
				    (unsigned long long)e->size);
	ph = malloc(*count * sizeof(*ph));
	if (!ph)
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory",
				    e->file.path);
	err = vt_pread_full(e->fd, e->file.path, ph, *count * sizeof(*ph),
			    eh.e_phoff, "program headers");
	if (err) {
		free(ph);
		return err;
	}
	*out = ph;
	return NULL;
}

/* Append every PT_NOTE's bytes to one blob, as the kdump sub header does. */
static struct vt_error *read_notes(struct elf_file *e, const Elf64_Phdr *ph,
				   uint64_t n)
{
	uint64_t total = 0, pos = 0;
	struct vt_error *err;

	for (uint64_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		if (ph[i].p_offset > e->size ||
		    ph[i].p_filesz > e->size - ph[i].p_offset)
			return vt_error_new(VT_ERR_FORMAT,
					    "%s: PT_NOTE %llu at offset %llu "
					    "size %llu runs past the end of "
					    "the file",
					    e->file.path, (unsigned long long)i,
					    (unsigned long long)ph[i].p_offset,
					    (unsigned long long)ph[i].p_filesz);
		total += ph[i].p_filesz;
		if (total > ELF_MAX_NOTES)
			return vt_error_new(VT_ERR_FORMAT,
					    "%s: notes larger than %u bytes",
					    e->file.path, ELF_MAX_NOTES);
	}
	e->notes = malloc(total + 1);
	if (!e->notes)
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory",
				    e->file.path);
	for (uint64_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_NOTE || !ph[i].p_filesz)
			continue;
		err = vt_pread_full(e->fd, e->file.path, e->notes + pos,
				    ph[i].p_filesz, ph[i].p_offset, "PT_NOTE");
		if (err)
			return err;
		pos += ph[i].p_filesz;
	}
	e->notes[total] = 0;
	e->file.info.notes = e->notes;
	e->file.info.notes_size = total;
	return NULL;
}

static struct vt_error *scan_notes(struct elf_file *e)
{
	struct vt_note_iter it;
	struct vt_note nh;
	int more;

	vt_note_iter_init(&it, e->notes, e->file.info.notes_size);
	while ((more = vt_note_next(&it, &nh)) > 0) {
		if (vt_note_is(&nh, "CORE") && nh.type == VT_NT_PRSTATUS)
			e->file.info.nr_cpus++;
		if (vt_note_is(&nh, VT_NOTE_NAME_VMCOREINFO) &&
		    !e->vmcoreinfo) {
			e->vmcoreinfo = malloc(nh.descsz + 1);
			if (!e->vmcoreinfo)
				return vt_error_new(VT_ERR_NOMEM,
						    "%s: out of memory",
						    e->file.path);
			memcpy(e->vmcoreinfo, nh.desc, nh.descsz);
			e->vmcoreinfo[nh.descsz] = 0;
			e->file.info.vmcoreinfo = e->vmcoreinfo;
			e->file.info.vmcoreinfo_size = nh.descsz;
		}
	}
	if (more < 0)
		return vt_error_new(VT_ERR_FORMAT,
				    "%s: note at notes offset %zu "
				    "(name %u bytes, data %u bytes) "
				    "runs past the end of PT_NOTE",
				    e->file.path, nh.off, nh.namesz, nh.descsz);
	return NULL;
}

static int cmp_piece(const void *a, const void *b)
{
	const struct elf_piece *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/*
 * Pieces from the PT_LOADs: the data part and the part without data of
 * each, sorted by address and clipped so that they do not overlap (the
 * first load covering a byte wins; duplicates carry the same memory).
 */
static struct vt_error *make_pieces(struct elf_file *e, const Elf64_Phdr *ph,
				    uint64_t n)
{
	size_t k = 0, out = 0;
	uint64_t covered = 0;

	e->pieces = calloc(2 * n, sizeof(*e->pieces));
	if (!e->pieces)
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory",
				    e->file.path);
	for (uint64_t i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint64_t filesz =
			p->p_filesz < p->p_memsz ? p->p_filesz : p->p_memsz;

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		if (p->p_paddr + p->p_memsz < p->p_paddr ||
		    p->p_offset > e->size || filesz > e->size - p->p_offset)
			return vt_error_new(VT_ERR_FORMAT,
					    "%s: PT_LOAD %llu (paddr 0x%llx, "
					    "offset %llu, filesz %llu) runs "
					    "past the end of the file or of "
					    "the address space",
					    e->file.path, (unsigned long long)i,
					    (unsigned long long)p->p_paddr,
					    (unsigned long long)p->p_offset,
					    (unsigned long long)filesz);
		if (filesz)
			e->pieces[k++] = (struct elf_piece){
				p->p_paddr, p->p_paddr + filesz, p->p_offset
			};
		if (filesz < p->p_memsz)
			e->pieces[k++] =
				(struct elf_piece){ p->p_paddr + filesz,
						    p->p_paddr + p->p_memsz,
						    NO_DATA };
	}
	qsort(e->pieces, k, sizeof(*e->pieces), cmp_piece);
	for (size_t i = 0; i < k; i++) {
		struct elf_piece pc = e->pieces[i];

		if (pc.end <= covered)
			continue;
		if (pc.start < covered) {
			if (pc.off != NO_DATA)
				pc.off += covered - pc.start;
			pc.start = covered;
		}
		e->pieces[out++] = pc;
		covered = pc.end;
	}
	e->npieces = out;
	return NULL;
}

/* Pfn runs from the pieces: a pfn with any byte of data is dumped. */
static struct vt_error *make_runs(struct elf_file *e)
{
	const uint64_t ps = ELF_PAGE_SIZE;

	e->runs = calloc(2 * e->npieces + 1, sizeof(*e->runs));
	if (!e->runs)
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory",
				    e->file.path);
	for (size_t i = 0; i < e->npieces; i++) {
		const struct elf_piece *pc = &e->pieces[i];
		struct elf_run r = { pc->start / ps, (pc->end + ps - 1) / ps,
				     pc->off == NO_DATA ? VT_PFN_EXCLUDED :
							  VT_PFN_DUMPED };
		struct elf_run *last = e->nruns ? &e->runs[e->nruns - 1] : NULL;

		/* A boundary pfn shared with the previous run. */
		if (last && r.start_pfn < last->end_pfn) {
			if (r.state == VT_PFN_DUMPED &&
			    last->state != VT_PFN_DUMPED) {
				last->end_pfn--;
				if (last->end_pfn == last->start_pfn)
					e->nruns--;
			} else {
				r.start_pfn = last->end_pfn;
			}
			last = e->nruns ? &e->runs[e->nruns - 1] : NULL;
		}
		if (r.start_pfn >= r.end_pfn)
			continue;
		if (last && last->end_pfn == r.start_pfn &&
		    last->state == r.state)
			last->end_pfn = r.end_pfn;
		else
			e->runs[e->nruns++] = r;
	}
	e->file.info.max_pfn = e->nruns ? e->runs[e->nruns - 1].end_pfn : 0;
	return NULL;
}

/* Index of the first run ending after pfn (nruns if none). */
static size_t find_run(const struct elf_file *e, uint64_t pfn)
{
	size_t lo = 0, hi = e->nruns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->runs[mid].end_pfn <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct vt_error *elf_pfn_run(struct vt_file *f, uint64_t pfn,
				    enum vt_pfn_state *state, uint64_t *run_end)
{
	struct elf_file *e = to_elf(f);
	size_t i = find_run(e, pfn);

	if (i == e->nruns) {
		*state = VT_PFN_HOLE;
		*run_end = pfn < f->info.max_pfn ? f->info.max_pfn : pfn + 1;
	} else if (e->runs[i].start_pfn > pfn) {
		*state = VT_PFN_HOLE;
		*run_end = e->runs[i].start_pfn;
	} else {
		*state = e->runs[i].state;
		*run_end = e->runs[i].end_pfn;
	}
	return NULL;
}

static struct vt_error *elf_read_page(struct vt_file *f, uint64_t pfn,
				      void *buf)
{
	struct elf_file *e = to_elf(f);
	uint64_t start = pfn * ELF_PAGE_SIZE, end = start + ELF_PAGE_SIZE;
	size_t lo = 0, hi = e->npieces;
	bool any = false;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->pieces[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	memset(buf, 0, ELF_PAGE_SIZE);
	for (size_t i = lo; i < e->npieces && e->pieces[i].start < end; i++) {
		const struct elf_piece *pc = &e->pieces[i];
		uint64_t s = pc->start > start ? pc->start : start;
		uint64_t t = pc->end < end ? pc->end : end;
		struct vt_error *err;

		if (pc->off == NO_DATA)
			continue;
		err = vt_pread_full(e->fd, f->path, (char *)buf + (s - start),
				    t - s, pc->off + (s - pc->start),
				    "page data");
		if (err)
			return vt_error_prefix(
				err, "pfn 0x%llx: ", (unsigned long long)pfn);
		any = true;
	}
	if (!any)
		return vt_error_new(VT_ERR_NODATA,
				    "%s: pfn 0x%llx is not in the dump",
				    f->path, (unsigned long long)pfn);
	return NULL;
}

static struct vt_error *elf_page_storage(struct vt_file *f, uint64_t pfn,
					 bool *zero, bool *written)
{
	(void)f;
	(void)pfn;
	*zero = false;
	*written = true;
	return NULL;
}

static void elf_close(struct vt_file *f)
{
	struct elf_file *e = to_elf(f);

	vt_mapguard_unmap(e->map, e->size);
	close(e->fd);
	free(e->pieces);
	free(e->runs);
	free(e->notes);
	free(e->vmcoreinfo);
	free((char *)f->path);
	free(e);
}

/* The piece holding all of [paddr, paddr + len) in the file, or NULL. */
static const struct elf_piece *span_piece(const struct elf_file *e,
					  uint64_t paddr, size_t len)
{
	size_t lo = 0, hi = e->npieces;
	const struct elf_piece *pc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e->pieces[mid].end <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == e->npieces)
		return NULL;
	pc = &e->pieces[lo];
	if (pc->off == NO_DATA || pc->start > paddr || paddr + len > pc->end)
		return NULL;
	return pc;
}

static struct vt_error *elf_read_span(struct vt_file *f, uint64_t paddr,
				      void *buf, size_t len, bool *done)
{
	struct elf_file *e = to_elf(f);
	const struct elf_piece *pc = span_piece(e, paddr, len);

	*done = pc != NULL;
	if (!pc)
		return NULL;
	return vt_error_prefix(vt_pread_full(e->fd, f->path, buf, len,
					     pc->off + (paddr - pc->start),
					     "memory"),
			       "paddr 0x%llx: ", (unsigned long long)paddr);
}

/*
 * A regular file is mapped whole. /proc/vmcore is mapped in windows: a
 * mapping of it builds the page tables for all it covers at once (it
 * has no page cache to fault pages in from), more memory than a capture
 * kernel has for terabytes.
 */
static enum vt_dump_mapping elf_map(struct vt_file *f)
{
	struct elf_file *e = to_elf(f);
	struct statfs sfs;
	struct stat st;

	if (!e->map && !e->windowed && fstat(e->fd, &st) == 0 &&
	    S_ISREG(st.st_mode) && (uint64_t)st.st_size == e->size &&
	    fstatfs(e->fd, &sfs) == 0) {
		if (sfs.f_type == PROC_FS_MAGIC)
			e->windowed = true;
		else
			e->map = vt_mapguard_map(e->fd, 0, e->size);
	}
	return e->map	   ? VT_MAP_WHOLE :
	       e->windowed ? VT_MAP_WINDOWS :
			     VT_MAP_NONE;
}

/*
 * Map file bytes [off, off + len) and, room permitting, up to @ahead
 * from @off, in place of what @w had mapped. False when the kernel
 * refuses the mapping.
 */
static bool move_window(struct elf_file *e, struct vt_dump_window *w,
			uint64_t off, size_t len, size_t ahead)
{
	const uint64_t mask = ELF_PAGE_SIZE - 1;
	uint64_t start = off & ~mask, want = ahead > len ? ahead : len;

	vt_dump_window_release(w);
	if (want > w->bytes && len < w->bytes)
		want = w->bytes;
	if (want < len)
		want = len;
	want = (off - start + want + mask) & ~mask;
	if (want > e->size - start)
		want = e->size - start;
	w->map = vt_mapguard_map(e->fd, start, want);
	if (!w->map)
		return false;
	w->file = &e->file;
	w->off = start;
	w->len = want;
	return true;
}

static const void *elf_map_span(struct vt_file *f, struct vt_dump_window *w,
				uint64_t paddr, size_t len, size_t ahead)
{
	struct elf_file *e = to_elf(f);
	const struct elf_piece *pc = span_piece(e, paddr, len);
	const uint8_t *p;
	uint64_t off;

	if (!pc || (!e->map && !e->windowed))
		return NULL;
	off = pc->off + (paddr - pc->start);
	if (e->map) {
		p = e->map + off;
		if (!w->hi || p < w->lo)
			w->lo = p;
		if (p + len > w->hi)
			w->hi = p + len;
	} else {
		if ((w->file != f || off < w->off ||
		     off + len > w->off + w->len) &&
		    !move_window(e, w, off, len, ahead))
			return NULL;
		p = w->map + (off - w->off);
	}
	return vt_mapguard_failed(p, len) ? NULL : p;
}

static const struct vt_file_ops elf_ops = {
	.pfn_run = elf_pfn_run,
	.read_page = elf_read_page,
	.read_span = elf_read_span,
	.map = elf_map,
	.map_span = elf_map_span,
	.page_storage = elf_page_storage,
	.close = elf_close,
};

struct vt_error *vt_elf_open(const char *path, int fd, struct vt_file **out)
{
	struct elf_file *e = calloc(1, sizeof(*e));
	Elf64_Phdr *ph = NULL;
	struct vt_error *err;
	struct stat st;
	uint64_t n;

	*out = NULL;
	if (!e || !(e->file.path = strdup(path))) {
		free(e);
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory", path);
	}
	e->fd = fd;
	e->file.ops = &elf_ops;
	if (fstat(fd, &st) < 0) {
		err = vt_error_errno(errno, "%s: fstat", path);
		goto fail;
	}
	e->size = st.st_size;
	err = read_phdrs(e, &ph, &n);
	if (!err)
		err = read_notes(e, ph, n);
	if (!err)
		err = scan_notes(e);
	if (!err)
		err = make_pieces(e, ph, n);
	if (!err)
		err = make_runs(e);
	free(ph);
	if (err)
		goto fail;
	e->file.info.format = VT_FORMAT_ELF;
	e->file.info.page_size = ELF_PAGE_SIZE;
	e->file.info.dump_level = -1;
	e->file.info.crash_time = -1;
	e->file.part = (struct vt_dump_part){ e->file.path, VT_FORMAT_ELF, 0,
					      e->file.info.max_pfn };
	*out = &e->file;
	return NULL;
fail:
	e->fd = -1;
	elf_close(&e->file);
	return err;
}
