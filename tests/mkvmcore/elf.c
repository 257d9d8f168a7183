// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The ELF side of /proc/vmcore: ELF header, one merged PT_NOTE (one
 * NT_PRSTATUS per CPU, then VMCOREINFO), a kernel-text PT_LOAD and one
 * direct-map PT_LOAD per RAM range, laid out as fs/proc/vmcore.c does
 * (headers and notes each rounded up to a page).
 */
#include <elf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

/* Room for `need` more bytes; on failure the buffer is marked, not grown. */
static int sb_reserve(struct sbuf *b, size_t need)
{
	while (!b->oom && b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap * 2 : 8192;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->oom = 1;
			break;
		}
		b->p = p;
		b->cap = cap;
	}
	return b->oom ? -1 : 0;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb_reserve(b, 256))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void vmcoreinfo_text(const struct machine *m, struct sbuf *b)
{
	const struct vmci_entry *v;
	u64 ktext = 0xffffffff81000000ULL + m->kernel_voffset;

	for (v = m->kp->vmcoreinfo; v->kind != V_END; v++) {
		switch (v->kind) {
		case V_OSRELEASE:
			sb_printf(b, "OSRELEASE=%s\n", m->kp->osrelease);
			break;
		case V_BUILDID:
			sb_printf(b, "BUILD-ID=%s\n", m->kp->build_id);
			break;
		case V_PAGESIZE:
			sb_printf(b, "PAGESIZE=%ld\n", v->value);
			break;
		case V_SYMBOL_TEXT:
			sb_printf(b, "SYMBOL(%s)=%llx\n", v->name,
				  (unsigned long long)(ktext + (u64)v->value));
			break;
		case V_SYMBOL_DYN:
			sb_printf(b, "SYMBOL(%s)=%llx\n", v->name,
				  (unsigned long long)m->mem_section_array);
			break;
		case V_SIZE:
			sb_printf(b, "SIZE(%s)=%lu\n", v->name, v->value);
			break;
		case V_OFFSET:
			sb_printf(b, "OFFSET(%s)=%lu\n", v->name, v->value);
			break;
		case V_LENGTH:
			sb_printf(b, "LENGTH(%s)=%lu\n", v->name,
				  v->value < 0 ?
					  (unsigned long)m->nr_section_roots :
					  (unsigned long)v->value);
			break;
		case V_NUMBER:
			sb_printf(b, "NUMBER(%s)=%ld\n", v->name, v->value);
			break;
		case V_NUMBER_DYN:
			sb_printf(b, "NUMBER(%s)=%ld\n", v->name,
				  !strcmp(v->name, "phys_base") ?
					  (long)m->phys_base :
				  !strcmp(v->name, "MAX_PHYSMEM_BITS") ?
					  (long)m->max_physmem_bits :
					  0L);
			break;
		case V_NUMBER_INT_DYN:
			sb_printf(b, "NUMBER(%s)=%d\n", v->name, m->opt.l5);
			break;
		case V_KERNELOFFSET:
			sb_printf(b, "KERNELOFFSET=%llx\n",
				  (unsigned long long)m->kernel_voffset);
			break;
		case V_END:
			break;
		}
	}
	sb_printf(b, "CRASHTIME=%lld\n", (long long)m->crashtime);
}

static void add_note(struct sbuf *b, const char *name, u32 type,
		     const void *desc, size_t dlen)
{
	Elf64_Nhdr nh = { (Elf64_Word)(strlen(name) + 1), (Elf64_Word)dlen,
			  type };
	size_t nl = (nh.n_namesz + 3) & ~3UL, dl = (dlen + 3) & ~3UL;

	if (sb_reserve(b, sizeof(nh) + nl + dl + 8))
		return;
	memcpy(b->p + b->len, &nh, sizeof(nh));
	b->len += sizeof(nh);
	memset(b->p + b->len, 0, nl + dl);
	memcpy(b->p + b->len, name, nh.n_namesz);
	b->len += nl;
	memcpy(b->p + b->len, desc, dlen);
	b->len += dl;
}

/* elf_prstatus of 6.1 x86_64: pid at 32, pr_reg (27 regs) at 112. */
static void prstatus(const struct machine *m, unsigned int cpu, u8 *d)
{
	u64 reg[27] = { 0 }, rs = rng_seed(m->opt.seed, 6, cpu);
	u32 pid = cpu == 0 ? 1000 + (u32)rng_below(&rs, 30000) : 0;
	unsigned int i;

	memset(d, 0, m->kp->prstatus_size);
	memcpy(d + 32, &pid, 4);
	for (i = 0; i < 15; i++)
		reg[i] = rng_next(&rs) & (i % 3 ? 0xffffffffULL : ~0ULL);
	reg[15] = ~0ULL; /* orig_rax */
	reg[16] = 0xffffffff81000000ULL + m->kernel_voffset + 0x800000 +
		  (rng_below(&rs, 0x100000) & ~0xfULL); /* rip */
	reg[17] = 0x10; /* cs */
	reg[18] = 0x246; /* eflags */
	reg[19] = m->page_offset_base + 0x4000000 + cpu * 0x4000 + 0x3e58;
	reg[20] = 0x18; /* ss */
	reg[22] = m->page_offset_base + 0x7f000000 + cpu * 0x40000;
	memcpy(d + 112, reg, sizeof(reg));
	i = 1;
	memcpy(d + 328, &i, 4); /* pr_fpvalid */
}

int elf_layout(struct machine *m, struct err *e)
{
	struct sbuf info = { 0 }, notes = { 0 };
	u8 desc[512];
	unsigned int c, i;
	u64 off, hdr;

	vmcoreinfo_text(m, &info);
	for (c = 0; c < m->nr_cpus; c++) {
		prstatus(m, c, desc);
		add_note(&notes, "CORE", NT_PRSTATUS, desc,
			 m->kp->prstatus_size);
	}
	if (!info.oom)
		add_note(&notes, "VMCOREINFO", 0, info.p, info.len);
	free(info.p);
	if (info.oom || notes.oom) {
		free(notes.p);
		return err_set(e, 1, "out of memory (notes)");
	}
	m->notes = (u8 *)notes.p;
	m->notes_size = notes.len;
	hdr = sizeof(Elf64_Ehdr) + (2 + m->nram) * sizeof(Elf64_Phdr);
	hdr = (hdr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	off = hdr + ((m->notes_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	m->ktext_off = off;
	off += m->kp->image_end;
	for (i = 0; i < m->nram; i++) {
		m->ram_off[i] = off;
		off += (m->ram[i].end - m->ram[i].start) << PAGE_SHIFT;
	}
	m->data_off = off; /* total file size */
	return 0;
}

int elf_write_headers(struct machine *m, struct err *e)
{
	size_t n = 2 + m->nram, i;
	size_t hsz = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);
	u8 *buf = calloc(1, hsz);
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	u64 hdr = (hsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int rc;

	if (!buf)
		return err_set(e, 1, "out of memory (ELF headers)");
	eh = (Elf64_Ehdr *)buf;
	ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)n;
	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = hdr;
	ph[0].p_filesz = ph[0].p_memsz = m->notes_size;
	ph[0].p_align = 4;
	ph[1].p_type = PT_LOAD;
	ph[1].p_flags = PF_R | PF_W | PF_X;
	ph[1].p_offset = m->ktext_off;
	ph[1].p_vaddr = 0xffffffff81000000ULL + m->kernel_voffset;
	ph[1].p_paddr = m->phys_load;
	ph[1].p_filesz = ph[1].p_memsz = m->kp->image_end;
	for (i = 0; i < m->nram; i++) {
		Elf64_Phdr *p = &ph[2 + i];

		p->p_type = PT_LOAD;
		p->p_flags = PF_R | PF_W | PF_X;
		p->p_offset = m->ram_off[i];
		p->p_paddr = m->ram[i].start << PAGE_SHIFT;
		p->p_vaddr = m->page_offset_base + p->p_paddr;
		p->p_filesz = p->p_memsz = (m->ram[i].end - m->ram[i].start)
					   << PAGE_SHIFT;
	}
	rc = write_at(m->fd, buf, hsz, 0, e);
	if (!rc)
		rc = write_at(m->fd, m->notes, m->notes_size, hdr, e);
	free(buf);
	return rc;
}
