// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ELF vmcore input on hand-built cores: PN_XNUM program header counts,
 * PT_LOADs with p_filesz < p_memsz, overlapping loads, loads that end inside
 * a page, notes (CPUs, VMCOREINFO), malformed headers, and reading in
 * place through the mapping (a page that fails reads as failed, not as
 * data).
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmemtrim/dump.h"

#define PAGE 4096u
#define XNUM_LOADS 70000u /* more than fits in e_phnum */

static char path[] = "/tmp/test_elf.XXXXXX";

/* A core under construction: headers, then notes, then page data. */
struct core {
	Elf64_Phdr *ph;
	unsigned int nph;
	char notes[1024];
	size_t notes_len;
};

static void add_note(struct core *c, const char *name, uint32_t type,
		     const void *desc, uint32_t desc_len)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, desc_len, type };
	size_t at = c->notes_len;

	memcpy(c->notes + at, &nh, sizeof(nh));
	at += sizeof(nh);
	memcpy(c->notes + at, name, nh.n_namesz);
	at += (nh.n_namesz + 3) & ~3u;
	memcpy(c->notes + at, desc, desc_len);
	at += (desc_len + 3) & ~3u;
	c->notes_len = at;
}

static void add_load(struct core *c, uint64_t paddr, uint64_t filesz,
		     uint64_t memsz)
{
	/* grow by doubling: 70000 one-by-one reallocs are slow under ASan */
	if (!(c->nph & (c->nph - 1)) || !c->ph) {
		c->ph = realloc(c->ph,
				(c->nph ? 2 * c->nph : 1) * sizeof(*c->ph));
		assert_non_null(c->ph);
	}
	c->ph[c->nph++] = (Elf64_Phdr){ .p_type = PT_LOAD,
					.p_paddr = paddr,
					.p_vaddr = 0xffff888000000000 + paddr,
					.p_filesz = filesz,
					.p_memsz = memsz };
}

/* Fill byte of a physical page: its pfn, so misplaced data shows. */
static unsigned char fill_of(uint64_t paddr)
{
	return (unsigned char)(paddr / PAGE * 7 + 1);
}

/*
 * Write the core: ELF header, (section header 0 when @xnum), PT_NOTE and
 * the loads, the notes, then each load's p_filesz bytes.
 */
static void write_core(struct core *c, bool xnum)
{
	uint64_t nph = c->nph + 1, off;
	Elf64_Ehdr eh = { .e_type = ET_CORE,
			  .e_machine = EM_X86_64,
			  .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr),
			  .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr) };
	Elf64_Shdr sh = { .sh_info = (uint32_t)nph };
	Elf64_Phdr note = { .p_type = PT_NOTE };
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_phnum = xnum ? PN_XNUM : (uint16_t)nph;
	off = eh.e_phoff + nph * sizeof(Elf64_Phdr);
	if (xnum) {
		eh.e_shoff = off;
		eh.e_shentsize = sizeof(sh);
		eh.e_shnum = 1;
		off += sizeof(sh);
	}
	note.p_offset = off;
	note.p_filesz = c->notes_len;
	off += c->notes_len;
	for (unsigned int i = 0; i < c->nph; i++) {
		c->ph[i].p_offset = off;
		off += c->ph[i].p_filesz;
	}
	assert_int_equal(fwrite(&eh, sizeof(eh), 1, f), 1);
	assert_int_equal(fwrite(&note, sizeof(note), 1, f), 1);
	assert_int_equal(fwrite(c->ph, sizeof(*c->ph), c->nph, f), c->nph);
	if (xnum)
		assert_int_equal(fwrite(&sh, sizeof(sh), 1, f), 1);
	assert_int_equal(fwrite(c->notes, 1, c->notes_len, f), c->notes_len);
	for (unsigned int i = 0; i < c->nph; i++) {
		for (uint64_t b = 0; b < c->ph[i].p_filesz; b += PAGE) {
			unsigned char buf[PAGE];
			uint64_t n = c->ph[i].p_filesz - b;

			n = n < PAGE ? n : PAGE;
			memset(buf, fill_of(c->ph[i].p_paddr + b), n);
			assert_int_equal(fwrite(buf, 1, n, f), n);
		}
	}
	assert_int_equal(fclose(f), 0);
	free(c->ph);
	c->ph = NULL;
	c->nph = 0;
}

static struct vt_dump *open_ok(void)
{
	const char *paths[] = { path };
	struct vt_dump *d;
	struct vt_error *err = vt_dump_open(paths, 1, &d);

	if (err)
		fail_msg("%s", err->message);
	return d;
}

static void expect_open_error(const char *must_contain)
{
	const char *paths[] = { path };
	struct vt_dump *d;
	struct vt_error *err = vt_dump_open(paths, 1, &d);

	assert_non_null(err);
	assert_null(d);
	if (!strstr(err->message, path) || !strstr(err->message, must_contain))
		fail_msg("message '%s' lacks the path or '%s'", err->message,
			 must_contain);
	vt_error_free(err);
}

static void expect_state(struct vt_dump *d, uint64_t pfn,
			 enum vt_pfn_state want, uint64_t want_end)
{
	enum vt_pfn_state state;
	uint64_t end;
	struct vt_error *err = vt_dump_pfn_run(d, pfn, &state, &end);

	assert_null(err);
	assert_int_equal(state, want);
	assert_int_equal(end, want_end);
}

static void test_xnum_loads_and_notes(void **unused)
{
	static const char vmcoreinfo[] =
		"OSRELEASE=6.1.0-test\nPAGESIZE=4096\n";
	struct core c = { 0 };
	unsigned char prstatus[336] = { 0 }, page[PAGE];
	struct vt_dump *d;

	(void)unused;
	add_note(&c, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	add_note(&c, "CORE", NT_PRSTATUS, prstatus, sizeof(prstatus));
	add_note(&c, "VMCOREINFO", 0, vmcoreinfo, sizeof(vmcoreinfo) - 1);
	/*
	 * one page every other pfn: pfns 2i RAM, 2i+1 holes; only the first
	 * and the last have data, so the file stays small
	 */
	for (unsigned int i = 0; i < XNUM_LOADS; i++)
		add_load(&c, 2ull * i * PAGE,
			 i == 0 || i == XNUM_LOADS - 1 ? PAGE : 0, PAGE);
	write_core(&c, true);
	d = open_ok();
	assert_int_equal(vt_dump_info(d)->max_pfn, 2ull * XNUM_LOADS - 1);
	assert_int_equal(vt_dump_info(d)->nr_cpus, 2);
	assert_int_equal(vt_dump_info(d)->format, VT_FORMAT_ELF);
	assert_string_equal(vt_dump_info(d)->vmcoreinfo, vmcoreinfo);
	expect_state(d, 0, VT_PFN_DUMPED, 1);
	expect_state(d, 1, VT_PFN_HOLE, 2);
	expect_state(d, 2, VT_PFN_EXCLUDED, 3);
	expect_state(d, 2ull * (XNUM_LOADS - 1), VT_PFN_DUMPED,
		     2ull * XNUM_LOADS - 1);
	assert_null(vt_dump_read_page(d, 2ull * (XNUM_LOADS - 1), page));
	assert_int_equal(page[0], fill_of(2ull * (XNUM_LOADS - 1) * PAGE));
	vt_dump_close(d);
}

static void test_filesz_overlap_and_partial_pages(void **unused)
{
	struct core c = { 0 };
	unsigned char page[PAGE];
	struct vt_error *err;
	struct vt_dump *d;

	(void)unused;
	/* pfns 1..0x9f, the last one ending inside the page (e820 style) */
	add_load(&c, PAGE, 0x9fc00 - PAGE, 0x9fc00 - PAGE);
	/* pfns 0x100..0x200: only the first half has data */
	add_load(&c, 0x100000, 0x80000, 0x100000);
	/* a second load repeating pfns 0x110..0x120 (kernel text style) */
	add_load(&c, 0x110000, 0x10000, 0x10000);
	write_core(&c, false);
	d = open_ok();
	assert_int_equal(vt_dump_info(d)->max_pfn, 0x200);
	expect_state(d, 0, VT_PFN_HOLE, 1);
	expect_state(d, 1, VT_PFN_DUMPED, 0xa0);
	expect_state(d, 0xa0, VT_PFN_HOLE, 0x100);
	expect_state(d, 0x100, VT_PFN_DUMPED, 0x180);
	expect_state(d, 0x180, VT_PFN_EXCLUDED, 0x200);
	/* the partial page: data up to 0x9fc00, zeros after */
	assert_null(vt_dump_read_page(d, 0x9f, page));
	assert_int_equal(page[0], fill_of(0x9f000));
	assert_int_equal(page[0xbff], fill_of(0x9f000));
	assert_int_equal(page[0xc00], 0);
	assert_null(vt_dump_read_page(d, 0x115, page));
	assert_int_equal(page[17], fill_of(0x115000));
	err = vt_dump_read_page(d, 0x180, page);
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_NODATA);
	vt_error_free(err);
	vt_dump_close(d);
}

static void test_mapped_reads(void **unused)
{
	struct core c = { 0 };
	unsigned char page[PAGE];
	const unsigned char *p, *q;
	struct vt_dump_window *w;
	struct vt_error *err;
	struct vt_dump *d;
	struct stat sb;
	off_t cut;

	(void)unused;
	add_load(&c, 0x100000, 0x8000, 0x8000); /* pfns 0x100-0x107 */
	add_load(&c, 0x200000, 0x2000, 0x4000); /* 0x200-0x201 data, 2 not */
	write_core(&c, false);
	d = open_ok();
	w = vt_dump_window_new(d, 1 << 20);
	assert_non_null(w);
	assert_null(
		vt_dump_window_map(w, 0x100000, 64, 0)); /* not mapped yet */
	assert_int_equal(vt_dump_use_mmap(d), VT_MAP_WHOLE);
	p = vt_dump_window_map(w, 0x100040, 2 * PAGE, 0);
	assert_non_null(p);
	assert_int_equal(p[0], fill_of(0x100000));
	assert_int_equal(p[2 * PAGE - 1], fill_of(0x102000));
	assert_false(vt_dump_map_failed(p, 2 * PAGE));
	/* released pages are read again from the file when used */
	vt_dump_window_release(w);
	assert_int_equal(p[PAGE], fill_of(0x101000));
	/* across two loads, into a page without data, past the end: none */
	assert_null(vt_dump_window_map(w, 0x107000, 2 * PAGE, 0));
	assert_null(vt_dump_window_map(w, 0x201000, 2 * PAGE, 0));
	assert_null(vt_dump_window_map(w, 0x400000, 8, 0));
	/*
	 * the file loses its last pages under us (an I/O error reads the
	 * same): loads from them read zeros, are noted, and the span is no
	 * longer handed out, so pread reports them
	 */
	q = vt_dump_window_map(w, 0x200000, 2 * PAGE, 0);
	assert_non_null(q);
	assert_int_equal(stat(path, &sb), 0); /* pfn 0x201 ends the file */
	/* the file's pages past its new end fault; loads are not aligned */
	cut = (sb.st_size - 1) / PAGE * PAGE;
	assert_int_equal(truncate(path, cut), 0);
	assert_int_equal(q[0], fill_of(0x200000));
	assert_int_equal(q[2 * PAGE - 1], 0);
	assert_true(vt_dump_map_failed(q + 2 * PAGE - 1, 1));
	assert_false(vt_dump_map_failed(q, PAGE));
	assert_false(vt_dump_map_failed(p, 2 * PAGE));
	assert_null(vt_dump_window_map(w, 0x200000, 2 * PAGE, 0));
	assert_non_null(vt_dump_window_map(w, 0x200000, PAGE, 0));
	vt_dump_window_free(w);
	err = vt_dump_read_paddr(d, 0x201000, page, PAGE);
	assert_non_null(err);
	vt_error_free(err);
	vt_dump_close(d);
}

/* Overwrite @len bytes at @off of the written core. */
static void patch(uint64_t off, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "r+");

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_malformed_headers(void **unused)
{
	struct core c = { 0 };
	uint16_t xnum = PN_XNUM, big_phent = 64;
	uint64_t far = 1ull << 40;
	uint16_t exec = ET_EXEC;

	(void)unused;
	add_load(&c, 0, PAGE, PAGE);
	write_core(&c, false);
	patch(offsetof(Elf64_Ehdr, e_phnum), &xnum, sizeof(xnum));
	expect_open_error("PN_XNUM");

	add_load(&c, 0, PAGE, PAGE);
	write_core(&c, false);
	patch(offsetof(Elf64_Ehdr, e_phoff), &far, sizeof(far));
	expect_open_error("past the end of the file");

	add_load(&c, 0, PAGE, PAGE);
	write_core(&c, false);
	patch(offsetof(Elf64_Ehdr, e_phentsize), &big_phent, sizeof(big_phent));
	expect_open_error("program header size");

	add_load(&c, 0, PAGE, PAGE);
	write_core(&c, false);
	patch(offsetof(Elf64_Ehdr, e_type), &exec, sizeof(exec));
	expect_open_error("not ET_CORE");

	/* a load whose data runs past the end of the file */
	add_load(&c, 0, PAGE, PAGE);
	write_core(&c, false);
	assert_int_equal(truncate(path, sizeof(Elf64_Ehdr) +
						2 * sizeof(Elf64_Phdr) + 100),
			 0);
	expect_open_error("PT_LOAD 1");

	assert_int_equal(truncate(path, 10), 0);
	expect_open_error("unexpected end of file");
}

static int setup(void **unused)
{
	int fd = mkstemp(path);

	(void)unused;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	return unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xnum_loads_and_notes),
		cmocka_unit_test(test_filesz_overlap_and_partial_pages),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_mapped_reads),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
