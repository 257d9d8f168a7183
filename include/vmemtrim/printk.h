/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel log (printk buffer) from VMCOREINFO alone, no vmlinux: the
 * lockless ring buffer of Linux 5.10 and later (SYMBOL(prb)) and the
 * variable-length records of log_buf before it (SYMBOL(log_buf)). Kernel
 * memory is read through a callback, so the same code reads a dump (through
 * its page tables) and the unit tests' synthetic memory. Format facts:
 * docs/printk.md.
 *
 * Records come in sequence order. A record whose text, descriptor or info
 * is on a page the dump does not hold is counted as missing, never
 * returned. A ring whose indexes, sizes or descriptors do not fit together
 * gives the records that can be trusted, and the summary says what was
 * skipped; the walk is bounded by the ring's own size.
 */
#ifndef VMEMTRIM_PRINTK_H
#define VMEMTRIM_PRINTK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmemtrim/error.h"

struct vt_dump;
struct vt_vmcoreinfo;
struct vt_printk;

/*
 * Read @len bytes of kernel virtual memory at @vaddr into @buf. A page
 * that is not in the dump (VT_ERR_NODATA) or not mapped
 * (VT_ERR_NOTMAPPED) makes that part of the log missing; any other error
 * ends the reading.
 */
typedef struct vt_error *(*vt_kread_fn)(void *arg, uint64_t vaddr, void *buf,
					size_t len);

enum vt_printk_era {
	VT_PRINTK_LOCKLESS, /* 5.10+: prb, descriptor ring, text data ring */
	VT_PRINTK_LOG_BUF, /* before 5.10: printk_log records in log_buf */
};

/* One record; the pointers are valid until the callback returns. */
struct vt_printk_record {
	/*
	 * Lockless: the kernel's sequence number. log_buf: the record's
	 * place counted from the oldest one in the buffer (the kernel does
	 * not publish log_first_seq).
	 */
	uint64_t seq;
	uint64_t ts_nsec;
	bool has_caller; /* the kernel recorded a caller id */
	uint32_t caller_id; /* bit 31: CPU number, else task id */
	const char *text; /* not NUL-terminated */
	size_t text_len;
	const char *dict; /* log_buf: "KEY=VALUE" items split by NULs */
	size_t dict_len;
	const char *subsystem; /* lockless dev_info, "" when none */
	const char *device;
};

/* How many missing sequence numbers the summary lists. */
#define VT_PRINTK_MISSING_LISTED 32

/* What a walk found, besides the records. */
struct vt_printk_summary {
	enum vt_printk_era era;
	uint64_t records; /* records given to the callback */
	uint64_t missing; /* records whose data is not in the dump */
	unsigned int nr_missing_seq; /* of them, listed in missing_seq */
	uint64_t missing_seq[VT_PRINTK_MISSING_LISTED];
	uint64_t skipped; /* records left out as untrustworthy */
	/* "" or what was skipped and why (the first inconsistency) */
	char warning[160];
};

/*
 * Find the log from @vi's keys. Needs SYMBOL(prb) and the lockless ring's
 * SIZE/OFFSET keys, or SYMBOL(log_buf), SYMBOL(log_buf_len),
 * SYMBOL(log_first_idx), SYMBOL(log_next_idx) and the printk_log keys;
 * VT_ERR_NOKEY names the first key missing. @vi must outlive the result.
 */
struct vt_error *vt_printk_open(const struct vt_vmcoreinfo *vi,
				vt_kread_fn read, void *arg,
				struct vt_printk **out);

/*
 * The same on a dump: kernel addresses are translated by its own page
 * tables (include/vmemtrim/x86_64.h). @dump must outlive the result.
 */
struct vt_error *vt_printk_open_dump(struct vt_dump *dump,
				     struct vt_printk **out);

void vt_printk_free(struct vt_printk *p);

/*
 * Read the log and call @fn for each record in sequence order; @fn
 * returns non-zero to stop. The buffer's size is checked against the
 * kernel's limits (VT_ERR_FORMAT naming it); the lockless ring is read
 * whole first, log_buf as the walk reaches it. Each walk starts from the
 * dump again and fills the summary anew.
 */
typedef int (*vt_printk_fn)(void *arg, const struct vt_printk_record *r);
struct vt_error *vt_printk_walk(struct vt_printk *p, vt_printk_fn fn,
				void *arg);

/* The summary of the last walk. */
const struct vt_printk_summary *vt_printk_summary_of(const struct vt_printk *p);

/*
 * To @out, each line starting with @prefix: "N log records are not in
 * the dump (seq A B ...)" and "N log records skipped as inconsistent:
 * WHY", each only when there are such records.
 */
void vt_printk_summary_print(FILE *out, const char *prefix,
			     const struct vt_printk_summary *s);

/*
 * @r as one line of makedumpfile --dump-dmesg: "[%5llu.%06lu] " and the
 * text, each '\n' inside followed by the prefix's width of spaces, bytes
 * that are neither printable nor white space as \xNN (as makedumpfile
 * prints a signed char: \xffffffNN for bytes of 0x80 and up), then '\n'.
 * @buf holds at least vt_printk_line_max(@r) bytes; returns the length.
 */
size_t vt_printk_line_max(const struct vt_printk_record *r);
size_t vt_printk_line(const struct vt_printk_record *r, char *buf);

#endif
