// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The log reader on synthetic kernel memory of both eras: a lockless ring
 * (5.10+, the VMCOREINFO layout of Debian's 6.1) with wrapping text blocks,
 * dev_info and caller ids, and a log_buf (before 5.10) with a wrap marker
 * and dictionaries; pages the dump lacks give missing records, corrupt
 * indexes and descriptors give the trustworthy records and a warning, and
 * a missing key is an error naming it. Lines as makedumpfile prints them.
 * The panic line and its context (vt_panic_find) on logs of an Oops, a
 * long one, an old BUG, and none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmemtrim/panic.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/vmcoreinfo.h"

/* ---- synthetic kernel memory ------------------------------------------------ */

#define BASE 0xffffffff81000000ULL
#define PTR_VAR (BASE + 0x0000) /* prb / log_buf pointer and indexes */
#define RB (BASE + 0x1000) /* struct printk_ringbuffer */
#define DESCS (BASE + 0x2000)
#define INFOS (BASE + 0x3000)
#define TEXT (BASE + 0x4000) /* text data ring / log_buf */
#define MEM_SIZE 0x8000

struct mem {
	uint8_t b[MEM_SIZE];
	uint64_t missing_page; /* a vaddr whose page "is not in the dump" */
	unsigned int reads;
};

static struct vt_error *mem_read(void *arg, uint64_t vaddr, void *buf,
				 size_t len)
{
	struct mem *m = arg;

	m->reads++;
	if (vaddr < BASE || vaddr - BASE + len > MEM_SIZE)
		return vt_error_new(VT_ERR_NOTMAPPED, "0x%llx: not mapped",
				    (unsigned long long)vaddr);
	if (m->missing_page && vaddr / 4096 <= m->missing_page / 4096 &&
	    (vaddr + len - 1) / 4096 >= m->missing_page / 4096)
		return vt_error_new(VT_ERR_NODATA, "0x%llx: excluded",
				    (unsigned long long)vaddr);
	memcpy(buf, m->b + (vaddr - BASE), len);
	return NULL;
}

static void put(struct mem *m, uint64_t vaddr, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		m->b[vaddr - BASE + i] = (uint8_t)(v >> (8 * i));
}

/* ---- collecting records ------------------------------------------------------ */

struct got {
	unsigned int n;
	uint64_t seq[64];
	char lines[8192];
	size_t len;
	char dev[64];
	uint32_t caller;
	char dict[64];
};

static int collect(void *arg, const struct vt_printk_record *r)
{
	struct got *g = arg;
	char *line = malloc(vt_printk_line_max(r));
	size_t n;

	assert_non_null(line);
	n = vt_printk_line(r, line);
	assert_true(n < vt_printk_line_max(r));
	assert_true(g->len + n < sizeof(g->lines));
	memcpy(g->lines + g->len, line, n + 1);
	g->len += n;
	free(line);
	if (g->n < 64)
		g->seq[g->n] = r->seq;
	g->n++;
	if (r->subsystem[0])
		snprintf(g->dev, sizeof(g->dev), "%s/%s", r->subsystem,
			 r->device);
	if (r->has_caller)
		g->caller = r->caller_id;
	if (r->dict_len)
		snprintf(g->dict, sizeof(g->dict), "%.*s", (int)r->dict_len,
			 r->dict);
	return 0;
}

static struct vt_vmcoreinfo *parse(const char *text)
{
	struct vt_vmcoreinfo *vi;

	assert_null(vt_vmcoreinfo_parse(text, strlen(text), &vi));
	return vi;
}

static void walk(const char *vmcoreinfo, struct mem *m, struct got *g,
		 struct vt_printk_summary *s)
{
	struct vt_vmcoreinfo *vi = parse(vmcoreinfo);
	struct vt_printk *p;
	struct vt_error *err = vt_printk_open(vi, mem_read, m, &p);

	if (err)
		fail_msg("%s", err->message);
	memset(g, 0, sizeof(*g));
	err = vt_printk_walk(p, collect, g);
	if (err)
		fail_msg("%s", err->message);
	*s = *vt_printk_summary_of(p);
	vt_printk_free(p);
	vt_vmcoreinfo_free(vi);
}

/* ---- the lockless ring -------------------------------------------------------- */

/* Debian 6.1's keys; SYMBOL(prb) points at PTR_VAR. */
static const char lockless_info[] =
	"SYMBOL(prb)=ffffffff81000000\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"OFFSET(printk_info.dev_info)=24\n"
	"OFFSET(dev_printk_info.subsystem)=0\n"
	"LENGTH(printk_info_subsystem)=16\n"
	"OFFSET(dev_printk_info.device)=16\n"
	"LENGTH(printk_info_device)=48\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n";

#define COUNT_BITS 4 /* 16 descriptors */
#define SIZE_BITS 9 /* 512 bytes of text */
#define COMMITTED (1ULL << 62)
#define FINALIZED (2ULL << 62)

struct ring {
	struct mem m;
	uint64_t lpos; /* next free logical position */
	uint64_t first_id, next_id;
};

static void ring_init(struct ring *r, uint64_t lpos, uint64_t first_id)
{
	memset(r, 0, sizeof(*r));
	put(&r->m, PTR_VAR, RB, 8);
	put(&r->m, RB + 0, COUNT_BITS, 4);
	put(&r->m, RB + 8, DESCS, 8);
	put(&r->m, RB + 16, INFOS, 8);
	put(&r->m, RB + 48, SIZE_BITS, 4);
	put(&r->m, RB + 56, TEXT, 8);
	r->lpos = lpos;
	r->first_id = r->next_id = first_id;
}

/* Append a finalized record (seq = id) the way the kernel places text. */
static uint64_t ring_add(struct ring *r, const char *text, uint64_t ts)
{
	const uint64_t size = 1 << SIZE_BITS, id = r->next_id++;
	uint64_t len = strlen(text), blk = (8 + len + 7) & ~7ULL;
	uint64_t begin = r->lpos, next = begin + blk, off = begin % size;
	uint64_t d = DESCS + (id % 16) * 24, in = INFOS + (id % 16) * 88;

	if (begin / size != (next - 1) / size) { /* wraps: text at 0 */
		next = (begin / size + 1) * size + blk;
		off = 0;
	}
	r->lpos = next;
	put(&r->m, TEXT + off, id, 8);
	memcpy(r->m.b + (TEXT - BASE) + off + 8, text, len);
	put(&r->m, d, FINALIZED | id, 8);
	put(&r->m, d + 8, begin, 8);
	put(&r->m, d + 16, next, 8);
	put(&r->m, in + 0, id, 8);
	put(&r->m, in + 8, ts, 8);
	put(&r->m, in + 16, len, 2);
	put(&r->m, in + 20, 0x80000001, 4);
	put(&r->m, RB + 24, id, 8); /* head_id */
	put(&r->m, RB + 32, r->first_id, 8); /* tail_id */
	return id;
}

static void test_lockless_records_in_order_as_makedumpfile(void **state)
{
	struct ring r;
	struct got g;
	struct vt_printk_summary s;

	(void)state;
	ring_init(&r, 512 * 3 + 440, 32);
	ring_add(&r, "Linux version 6.1", 0);
	ring_add(&r, "a block that wraps to the ring's start..........", 1000);
	ring_add(&r, "two\nlines", 12345678901ULL);
	ring_add(&r, "tab\there bell\a utf8 \xc3\xa9 del\x7f", 99000999999ULL);
	memcpy(r.m.b + (INFOS - BASE) + 2 * 88 + 24, "pci", 4);
	memcpy(r.m.b + (INFOS - BASE) + 2 * 88 + 40, "+pci:0000:00:01.0", 18);
	walk(lockless_info, &r.m, &g, &s);
	assert_int_equal(g.n, 4);
	assert_int_equal(s.records, 4);
	assert_int_equal(s.missing + s.skipped, 0);
	assert_string_equal(s.warning, "");
	assert_int_equal(s.era, VT_PRINTK_LOCKLESS);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(g.seq[i], 32 + i);
	assert_string_equal(
		g.lines,
		"[    0.000000] Linux version 6.1\n"
		"[    0.000001] a block that wraps to the ring's start........"
		"..\n"
		"[   12.345678] two\n"
		"               lines\n"
		"[   99.000999] tab\there bell\\x07 utf8 \\xffffffc3\\xffffffa9"
		" del\\x7f\n");
	assert_string_equal(g.dev, "pci/+pci:0000:00:01.0");
	assert_int_equal(g.caller, 0x80000001);
}

static void test_lockless_missing_text_page_is_counted_not_printed(void **state)
{
	struct ring r;
	struct got g;
	struct vt_printk_summary s;

	(void)state;
	ring_init(&r, 0, 0);
	ring_add(&r, "one", 1);
	ring_add(&r, "two", 2);
	r.m.missing_page = TEXT;
	walk(lockless_info, &r.m, &g, &s);
	assert_int_equal(g.n, 0);
	assert_int_equal(s.missing, 2);
	assert_int_equal(s.nr_missing_seq, 2);
	assert_int_equal(s.missing_seq[0], 0);
	assert_int_equal(s.missing_seq[1], 1);
	/* the infos lost: missing, with no sequence number to list */
	r.m.missing_page = INFOS;
	walk(lockless_info, &r.m, &g, &s);
	assert_int_equal(g.n, 0);
	assert_int_equal(s.missing, 2);
	assert_int_equal(s.nr_missing_seq, 0);
}

static void test_lockless_unfinished_records_are_left_out(void **state)
{
	struct ring r;
	struct got g;
	struct vt_printk_summary s;

	(void)state;
	ring_init(&r, 0, 5);
	ring_add(&r, "finalized", 1);
	ring_add(&r, "reserved", 2);
	ring_add(&r, "committed", 3);
	put(&r.m, DESCS + 6 * 24, 6, 8); /* reserved: state 0 */
	put(&r.m, DESCS + 7 * 24, COMMITTED | 7, 8);
	walk(lockless_info, &r.m, &g, &s);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.seq[0], 5);
	assert_int_equal(g.seq[1], 7);
	assert_int_equal(s.skipped, 0);
}

static void test_lockless_corrupt_ring_gives_trusted_records(void **state)
{
	struct ring r;
	struct got g;
	struct vt_printk_summary s;

	(void)state;
	ring_init(&r, 0, 0);
	for (int i = 0; i < 6; i++)
		ring_add(&r, "record", (uint64_t)i);
	/* record 1's text block claims another descriptor's id */
	put(&r.m, TEXT + 16, 99, 8);
	/* record 2's block lies outside any wrap of the ring */
	put(&r.m, DESCS + 2 * 24 + 16, 1 << 20, 8);
	/* record 3's info has a sequence number of another slot */
	put(&r.m, INFOS + 3 * 88, 1234, 8);
	walk(lockless_info, &r.m, &g, &s);
	assert_int_equal(g.n, 3);
	assert_int_equal(s.skipped, 3);
	assert_non_null(strstr(s.warning, "record 1"));
	/* head and tail a billion ids apart: one ring's worth, no more */
	put(&r.m, RB + 24, 1000000005, 8);
	walk(lockless_info, &r.m, &g, &s);
	assert_true(g.n <= 16);
	assert_non_null(strstr(s.warning, "tail_id"));
}

static void test_lockless_impossible_sizes_are_an_error(void **state)
{
	struct ring r;
	struct vt_vmcoreinfo *vi = parse(lockless_info);
	struct vt_printk *p;
	struct got g;
	struct vt_error *err;

	(void)state;
	ring_init(&r, 0, 0);
	ring_add(&r, "x", 0);
	put(&r.m, RB + 0, 60, 4); /* count_bits */
	assert_null(vt_printk_open(vi, mem_read, &r.m, &p));
	err = vt_printk_walk(p, collect, &g);
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_FORMAT);
	assert_non_null(strstr(err->message, "count_bits"));
	vt_error_free(err);
	vt_printk_free(p);
	vt_vmcoreinfo_free(vi);
}

static void test_missing_key_is_named(void **state)
{
	char text[sizeof(lockless_info)];
	const char *key = "OFFSET(prb_desc.text_blk_lpos)=8\n";
	struct vt_vmcoreinfo *vi;
	struct vt_printk *p;
	struct vt_error *err;
	char *at;

	(void)state;
	strcpy(text, lockless_info);
	at = strstr(text, key);
	memmove(at, at + strlen(key), strlen(at + strlen(key)) + 1);
	vi = parse(text);
	err = vt_printk_open(vi, mem_read, NULL, &p);
	assert_non_null(err);
	assert_null(p);
	assert_int_equal(err->code, VT_ERR_NOKEY);
	assert_string_equal(err->message,
			    "vmcoreinfo has no OFFSET(prb_desc.text_blk_lpos)");
	vt_error_free(err);
	vt_vmcoreinfo_free(vi);
	vi = parse("OSRELEASE=6.1\n");
	err = vt_printk_open(vi, mem_read, NULL, &p);
	assert_int_equal(err->code, VT_ERR_NOKEY);
	assert_non_null(strstr(err->message, "SYMBOL(prb)"));
	assert_non_null(strstr(err->message, "SYMBOL(log_buf)"));
	vt_error_free(err);
	vt_vmcoreinfo_free(vi);
}

/* ---- log_buf (before 5.10) ------------------------------------------------------ */

/* A 5.4 kernel with CONFIG_PRINTK_CALLER; indexes next to the pointer. */
static const char log_buf_info[] = "SYMBOL(log_buf)=ffffffff81000000\n"
				   "SYMBOL(log_buf_len)=ffffffff81000008\n"
				   "SYMBOL(log_first_idx)=ffffffff8100000c\n"
				   "SYMBOL(log_next_idx)=ffffffff81000010\n"
				   "SIZE(printk_log)=20\n"
				   "OFFSET(printk_log.ts_nsec)=0\n"
				   "OFFSET(printk_log.len)=8\n"
				   "OFFSET(printk_log.text_len)=10\n"
				   "OFFSET(printk_log.dict_len)=12\n"
				   "OFFSET(printk_log.caller_id)=16\n";

#define LOG_LEN 256

/* One record at @idx; returns the index after it. */
static uint64_t log_put(struct mem *m, uint64_t idx, const char *text,
			const char *dict, uint64_t ts)
{
	size_t tl = strlen(text), dl = dict ? strlen(dict) : 0;
	uint64_t len = (20 + tl + dl + 3) & ~3ULL;

	put(m, TEXT + idx, ts, 8);
	put(m, TEXT + idx + 8, len, 2);
	put(m, TEXT + idx + 10, tl, 2);
	put(m, TEXT + idx + 12, dl, 2);
	put(m, TEXT + idx + 16, 42, 4);
	memcpy(m->b + (TEXT - BASE) + idx + 20, text, tl);
	if (dl)
		memcpy(m->b + (TEXT - BASE) + idx + 20 + tl, dict, dl);
	return idx + len;
}

static void log_init(struct mem *m, uint64_t first, uint64_t next)
{
	put(m, PTR_VAR, TEXT, 8);
	put(m, PTR_VAR + 8, LOG_LEN, 4);
	put(m, PTR_VAR + 12, first, 4);
	put(m, PTR_VAR + 16, next, 4);
}

static void test_log_buf_wraps_at_the_marker(void **state)
{
	static struct mem m;
	struct got g;
	struct vt_printk_summary s;
	uint64_t i, next;

	(void)state;
	memset(&m, 0, sizeof(m));
	/* newest records at 0, the oldest from 200, a wrap marker after */
	next = log_put(&m, 0, "newer", NULL, 3000000);
	next = log_put(&m, next, "newest", "SUBSYSTEM=pci", 4000000);
	i = log_put(&m, 200, "oldest", NULL, 1000000);
	put(&m, TEXT + i + 8, 0, 2); /* wrap marker */
	log_init(&m, 200, next);
	walk(log_buf_info, &m, &g, &s);
	assert_int_equal(s.era, VT_PRINTK_LOG_BUF);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.lines, "[    0.001000] oldest\n"
				     "[    0.003000] newer\n"
				     "[    0.004000] newest\n");
	assert_string_equal(g.dict, "SUBSYSTEM=pci");
	assert_int_equal(g.caller, 42);
	assert_int_equal(g.seq[2], 2);
	assert_string_equal(s.warning, "");
}

static void test_log_buf_missing_page_is_counted(void **state)
{
	static struct mem m;
	struct got g;
	struct vt_printk_summary s;

	(void)state;
	memset(&m, 0, sizeof(m));
	log_init(&m, 0, log_put(&m, 0, "text", NULL, 1));
	m.missing_page = TEXT;
	walk(log_buf_info, &m, &g, &s);
	assert_int_equal(g.n, 0);
	assert_int_equal(s.missing, 1);
	assert_non_null(strstr(s.warning, "not in the dump"));
}

static void test_log_buf_cycle_ends_with_a_warning(void **state)
{
	static struct mem m;
	struct got g;
	struct vt_printk_summary s;
	uint64_t i;

	(void)state;
	memset(&m, 0, sizeof(m));
	/* 0 -> 100 -> marker -> 0 ... never reaches log_next_idx 60 */
	i = log_put(&m, 0, "loop", NULL, 1);
	assert_true(i <= 100);
	i = log_put(&m, 100, "again", NULL, 2);
	put(&m, TEXT + i + 8, 0, 2);
	put(&m, TEXT + 8, 100, 2); /* record 0's length leads to 100 */
	log_init(&m, 0, 60);
	walk(log_buf_info, &m, &g, &s);
	assert_true(g.n <= LOG_LEN / 20 + 1);
	assert_non_null(strstr(s.warning, "never reach"));
	/* an index past the buffer: nothing to trust */
	log_init(&m, 0, 4096);
	walk(log_buf_info, &m, &g, &s);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(s.warning, "do not fit"));
	/* a record longer than what is left of the buffer */
	log_init(&m, 0, 60);
	put(&m, TEXT + 8, 4000, 2);
	walk(log_buf_info, &m, &g, &s);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(s.warning, "leaves the buffer"));
}

/*
 * A log_buf_len the kernel can have (2 GiB, LOG_BUF_LEN_MAX) over memory
 * the dump does not hold: the walk reads what it reaches (one missing
 * header), not the whole buffer a page at a time (the fuzz finding of
 * docs/robustness.md: a timeout and 2 GiB allocated).
 */
static void test_log_buf_huge_over_absent_memory_is_cheap(void **state)
{
	static struct mem m;
	struct got g;
	struct vt_printk_summary s;

	(void)state;
	memset(&m, 0, sizeof(m));
	log_init(&m, 0x1000, 0x100);
	put(&m, PTR_VAR, 0xffff888000000000ULL, 8); /* not mapped */
	put(&m, PTR_VAR + 8, 1ULL << 31, 4);
	walk(log_buf_info, &m, &g, &s);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(s.warning, "not in the dump"));
	assert_true(m.reads < 16);
}

/* Sizes no kernel has are an error naming the value. */
static void test_log_buf_len_beyond_the_kernel_is_refused(void **state)
{
	static const uint64_t bad[] = { 0x80000001ULL, 0xc0000000ULL,
					0xfffff000ULL, 12, 300 };
	static struct mem m;
	struct vt_vmcoreinfo *vi = parse(log_buf_info);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vt_printk *p;
		struct vt_error *err;
		struct got g = { 0 };
		char want[32];

		memset(&m, 0, sizeof(m));
		log_init(&m, 0, log_put(&m, 0, "text", NULL, 1));
		put(&m, PTR_VAR + 8, bad[i], 4);
		assert_null(vt_printk_open(vi, mem_read, &m, &p));
		err = vt_printk_walk(p, collect, &g);
		assert_non_null(err);
		assert_int_equal(err->code, VT_ERR_FORMAT);
		snprintf(want, sizeof(want), "log_buf_len %llu ",
			 (unsigned long long)bad[i]);
		assert_non_null(strstr(err->message, want));
		assert_int_equal(g.n, 0);
		assert_true(m.reads < 8);
		vt_error_free(err);
		vt_printk_free(p);
	}
	vt_vmcoreinfo_free(vi);
}

/* ---- the panic line and its context ------------------------------------------ */

#define PANIC_LOG_LEN 0x4000 /* a power of 2, as every log_buf_len */

/* A log_buf of @n records: "line I", with @marks[I] where given. */
static void panic_log(struct mem *m, unsigned int n, const char *const *marks)
{
	uint64_t idx = 0;
	char text[64];

	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "line %u", i);
		idx = log_put(m, idx, marks[i] ? marks[i] : text, NULL,
			      1000ULL * i);
		assert_true(idx < PANIC_LOG_LEN - 64);
	}
	log_init(m, 0, idx);
	put(m, PTR_VAR + 8, PANIC_LOG_LEN, 4);
}

static void find_panic(struct mem *m, struct vt_panic *out)
{
	struct vt_vmcoreinfo *vi = parse(log_buf_info);
	struct vt_printk *p;
	struct vt_error *err = vt_printk_open(vi, mem_read, m, &p);

	if (err)
		fail_msg("%s", err->message);
	memset(out, 0, sizeof(*out));
	err = vt_panic_find(p, out);
	if (err)
		fail_msg("%s", err->message);
	vt_printk_free(p);
	vt_vmcoreinfo_free(vi);
}

static void test_panic_oops_context_starts_before_the_bug(void **state)
{
	static struct mem m;
	static const char *marks[40];
	struct vt_panic pn;

	(void)state;
	marks[20] = "BUG: kernel NULL pointer dereference, address: 0";
	marks[22] = "Oops: 0002 [#1] PREEMPT SMP NOPTI";
	marks[26] = "Kernel panic - not syncing: Fatal exception";
	panic_log(&m, 30, marks);
	find_panic(&m, &pn);
	assert_true(pn.found);
	assert_int_equal(pn.panic_seq, 26);
	assert_string_equal(pn.message, "[    0.000026] Kernel panic - not "
					"syncing: Fatal exception");
	/* 10 lines before the BUG, the BUG to the panic: 17 lines */
	assert_int_equal(pn.nr_lines, 17);
	assert_string_equal(pn.lines[0], "[    0.000010] line 10");
	assert_string_equal(pn.lines[10], "[    0.000020] BUG: kernel NULL "
					  "pointer dereference, address: 0");
	assert_string_equal(pn.lines[16], pn.message);
	assert_int_equal(pn.lines_skipped, 0);
	assert_int_equal(pn.log.records, 30);
	vt_panic_release(&pn);
}

static void test_panic_long_context_keeps_the_panic_line(void **state)
{
	static struct mem m;
	static const char *marks[120];
	struct vt_panic pn;

	(void)state;
	marks[15] = "general protection fault, probably for non-canonical";
	marks[110] = "Kernel panic - not syncing: Fatal exception";
	panic_log(&m, 112, marks);
	find_panic(&m, &pn);
	assert_true(pn.found);
	assert_int_equal(pn.nr_lines, VT_PANIC_LINES_MAX);
	assert_string_equal(pn.lines[0], "[    0.000005] line 5");
	assert_string_equal(pn.lines[VT_PANIC_LINES_MAX - 1], pn.message);
	/* lines 5..110 are 106; 63 kept before the panic line */
	assert_int_equal(pn.lines_skipped, 106 - VT_PANIC_LINES_MAX);
	vt_panic_release(&pn);
	/* a BUG more than VT_PANIC_BURST records before is not the trigger */
	marks[15] = NULL;
	marks[5] = "BUG: soft lockup - CPU#0 stuck for 22s!";
	marks[110] = "Kernel panic - not syncing: sysrq triggered crash";
	panic_log(&m, 112, marks);
	find_panic(&m, &pn);
	assert_int_equal(pn.panic_seq, 110);
	assert_int_equal(pn.nr_lines, VT_PANIC_BEFORE + 1);
	assert_string_equal(pn.lines[0], "[    0.000100] line 100");
	vt_panic_release(&pn);
}

static void test_panic_none_gives_the_last_lines(void **state)
{
	static struct mem m;
	static const char *marks[20];
	struct vt_panic pn;

	(void)state;
	panic_log(&m, 15, marks);
	find_panic(&m, &pn);
	assert_false(pn.found);
	assert_null(pn.message);
	assert_int_equal(pn.nr_lines, VT_PANIC_BEFORE);
	assert_string_equal(pn.lines[0], "[    0.000005] line 5");
	assert_string_equal(pn.lines[9], "[    0.000014] line 14");
	vt_panic_release(&pn);
	/* the log's page is not in the dump: no line, the summary says so */
	m.missing_page = TEXT;
	find_panic(&m, &pn);
	assert_false(pn.found);
	assert_int_equal(pn.nr_lines, 0);
	assert_true(pn.log.missing > 0);
	vt_panic_release(&pn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_lockless_records_in_order_as_makedumpfile),
		cmocka_unit_test(
			test_lockless_missing_text_page_is_counted_not_printed),
		cmocka_unit_test(test_lockless_unfinished_records_are_left_out),
		cmocka_unit_test(
			test_lockless_corrupt_ring_gives_trusted_records),
		cmocka_unit_test(test_lockless_impossible_sizes_are_an_error),
		cmocka_unit_test(test_missing_key_is_named),
		cmocka_unit_test(test_log_buf_wraps_at_the_marker),
		cmocka_unit_test(test_log_buf_missing_page_is_counted),
		cmocka_unit_test(test_log_buf_cycle_ends_with_a_warning),
		cmocka_unit_test(test_log_buf_huge_over_absent_memory_is_cheap),
		cmocka_unit_test(test_log_buf_len_beyond_the_kernel_is_refused),
		cmocka_unit_test(test_panic_oops_context_starts_before_the_bug),
		cmocka_unit_test(test_panic_long_context_keeps_the_panic_line),
		cmocka_unit_test(test_panic_none_gives_the_last_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
