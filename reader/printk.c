// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel log from VMCOREINFO alone. See include/vmemtrim/printk.h; the
 * layout facts this relies on are written down in docs/printk.md.
 *
 * The lockless ring's buffer, descriptor and info arrays are copied out of
 * the dump a page at a time, pages the dump lacks remembered; log_buf is
 * read as its walk reaches it. Every record is checked against the pages
 * the dump lacks and against the buffer's own sizes before it is handed
 * out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"

#include "printk-walk.h"

/* --- VMCOREINFO keys -------------------------------------------------------- */

/* A key the log needs: where it goes, and what it must fit in. */
struct key {
	const char *name;
	size_t field; /* offsetof the struct vt_opt in struct layout */
	bool required;
};

#define K(n, f, r)                               \
	{                                        \
		n, offsetof(struct layout, f), r \
	}

static const struct key lockless_keys[] = {
	K("SYMBOL(prb)", prb, true),
	K("SIZE(printk_ringbuffer)", size_prb, true),
	K("OFFSET(printk_ringbuffer.desc_ring)", prb_desc_ring, true),
	K("OFFSET(printk_ringbuffer.text_data_ring)", prb_text_ring, true),
	K("OFFSET(prb_desc_ring.count_bits)", dr_count_bits, true),
	K("OFFSET(prb_desc_ring.descs)", dr_descs, true),
	K("OFFSET(prb_desc_ring.infos)", dr_infos, true),
	K("OFFSET(prb_desc_ring.head_id)", dr_head, true),
	K("OFFSET(prb_desc_ring.tail_id)", dr_tail, true),
	K("SIZE(prb_desc)", size_desc, true),
	K("OFFSET(prb_desc.state_var)", desc_state, true),
	K("OFFSET(prb_desc.text_blk_lpos)", desc_text_lpos, true),
	K("OFFSET(prb_data_blk_lpos.begin)", lpos_begin, true),
	K("OFFSET(prb_data_blk_lpos.next)", lpos_next, true),
	K("SIZE(printk_info)", size_info, true),
	K("OFFSET(printk_info.seq)", info_seq, true),
	K("OFFSET(printk_info.ts_nsec)", info_ts, true),
	K("OFFSET(printk_info.text_len)", info_text_len, true),
	K("OFFSET(printk_info.caller_id)", info_caller, false),
	K("OFFSET(printk_info.dev_info)", info_dev_info, false),
	K("OFFSET(dev_printk_info.subsystem)", dev_subsystem, false),
	K("LENGTH(printk_info_subsystem)", len_subsystem, false),
	K("OFFSET(dev_printk_info.device)", dev_device, false),
	K("LENGTH(printk_info_device)", len_device, false),
	K("OFFSET(prb_data_ring.size_bits)", data_size_bits, true),
	K("OFFSET(prb_data_ring.data)", data_data, true),
	K("OFFSET(atomic_long_t.counter)", atomic_counter, false),
};

static const struct key log_buf_keys[] = {
	K("SYMBOL(log_buf)", log_buf, true),
	K("SYMBOL(log_buf_len)", log_buf_len, true),
	K("SYMBOL(log_first_idx)", log_first_idx, true),
	K("SYMBOL(log_next_idx)", log_next_idx, true),
	K("SIZE(printk_log)", size_log, true),
	K("OFFSET(printk_log.ts_nsec)", log_ts, true),
	K("OFFSET(printk_log.len)", log_len, true),
	K("OFFSET(printk_log.text_len)", log_text_len, true),
	K("OFFSET(printk_log.dict_len)", log_dict_len, false),
	K("OFFSET(printk_log.caller_id)", log_caller, false),
};

#undef K

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * SYMBOL() values are hex without "0x", SIZE/OFFSET/LENGTH decimal; a
 * value must be all digits, so " 12" or "-1" is refused, not guessed.
 */
static bool parse_value(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || (base == 16 ? !strchr("0123456789abcdefABCDEF", *s) :
				 (*s < '0' || *s > '9')))
		return false;
	*out = strtoull(s, &end, base);
	return !*end;
}

static struct vt_error *read_keys(const struct vt_vmcoreinfo *vi,
				  const struct key *keys, size_t n,
				  struct layout *l)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = vt_vmcoreinfo_get(vi, keys[i].name);
		struct vt_opt *o = (void *)((char *)l + keys[i].field);
		uint64_t u;

		if (!v) {
			if (keys[i].required)
				return vt_error_new(VT_ERR_NOKEY,
						    "vmcoreinfo has no %s",
						    keys[i].name);
			continue;
		}
		if (!parse_value(v,
				 keys[i].name[0] == 'S' &&
						 keys[i].name[1] == 'Y' ?
					 16 :
					 10,
				 &u))
			return vt_error_new(VT_ERR_FORMAT,
					    "vmcoreinfo: %s=\"%.32s\" is not a "
					    "number",
					    keys[i].name, v);
		o->known = true;
		o->value = (int64_t)u;
	}
	return NULL;
}

/* @off + @width must lie inside a structure of @size bytes. */
static struct vt_error *fits(const char *what, const struct vt_opt *off,
			     uint64_t width, const struct vt_opt *size)
{
	if ((uint64_t)size->value > MAX_STRUCT_SIZE ||
	    (uint64_t)off->value > (uint64_t)size->value ||
	    (uint64_t)size->value - (uint64_t)off->value < width)
		return vt_error_new(VT_ERR_FORMAT,
				    "vmcoreinfo: %s (offset %lld, %llu bytes) "
				    "does not fit in its structure of %lld "
				    "bytes",
				    what, (long long)off->value,
				    (unsigned long long)width,
				    (long long)size->value);
	return NULL;
}

static struct vt_error *check_lockless(struct layout *l)
{
	uint64_t dr = (uint64_t)l->prb_desc_ring.value;
	uint64_t tr = (uint64_t)l->prb_text_ring.value;
	uint64_t ac =
		l->atomic_counter.known ? (uint64_t)l->atomic_counter.value : 0;
	struct vt_opt o;
	struct vt_error *err = NULL;

	l->atomic_counter.known = true;
	l->atomic_counter.value = (int64_t)ac;
#define FIT(what, base, field, width, size)                                    \
	do {                                                                   \
		o.value =                                                      \
			(int64_t)((uint64_t)(base) + (uint64_t)(field).value); \
		if (!err)                                                      \
			err = fits(what, &o, width, size);                     \
	} while (0)
	FIT("prb_desc_ring.count_bits", dr, l->dr_count_bits, 4, &l->size_prb);
	FIT("prb_desc_ring.descs", dr, l->dr_descs, 8, &l->size_prb);
	FIT("prb_desc_ring.infos", dr, l->dr_infos, 8, &l->size_prb);
	FIT("prb_desc_ring.head_id", dr + ac, l->dr_head, 8, &l->size_prb);
	FIT("prb_desc_ring.tail_id", dr + ac, l->dr_tail, 8, &l->size_prb);
	FIT("prb_data_ring.size_bits", tr, l->data_size_bits, 4, &l->size_prb);
	FIT("prb_data_ring.data", tr, l->data_data, 8, &l->size_prb);
	FIT("prb_desc.state_var", ac, l->desc_state, 8, &l->size_desc);
	FIT("prb_data_blk_lpos.begin", l->desc_text_lpos.value, l->lpos_begin,
	    8, &l->size_desc);
	FIT("prb_data_blk_lpos.next", l->desc_text_lpos.value, l->lpos_next, 8,
	    &l->size_desc);
	FIT("printk_info.seq", 0, l->info_seq, 8, &l->size_info);
	FIT("printk_info.ts_nsec", 0, l->info_ts, 8, &l->size_info);
	FIT("printk_info.text_len", 0, l->info_text_len, 2, &l->size_info);
	if (l->info_caller.known)
		FIT("printk_info.caller_id", 0, l->info_caller, 4,
		    &l->size_info);
	if (!l->info_dev_info.known || !l->dev_subsystem.known ||
	    !l->len_subsystem.known || !l->dev_device.known ||
	    !l->len_device.known)
		l->info_dev_info.known = false;
	if (l->info_dev_info.known) {
		FIT("dev_printk_info.subsystem", l->info_dev_info.value,
		    l->dev_subsystem, (uint64_t)l->len_subsystem.value,
		    &l->size_info);
		FIT("dev_printk_info.device", l->info_dev_info.value,
		    l->dev_device, (uint64_t)l->len_device.value,
		    &l->size_info);
	}
	if (!err && (l->size_desc.value <= 0 || l->size_info.value <= 0))
		err = vt_error_new(VT_ERR_FORMAT,
				   "vmcoreinfo: SIZE(prb_desc) or "
				   "SIZE(printk_info) is 0");
	return err;
}

static struct vt_error *check_log_buf(const struct layout *l)
{
	struct vt_error *err =
		fits("printk_log.ts_nsec", &l->log_ts, 8, &l->size_log);

	if (!err)
		err = fits("printk_log.len", &l->log_len, 2, &l->size_log);
	if (!err)
		err = fits("printk_log.text_len", &l->log_text_len, 2,
			   &l->size_log);
	if (!err && l->log_dict_len.known)
		err = fits("printk_log.dict_len", &l->log_dict_len, 2,
			   &l->size_log);
	if (!err && l->log_caller.known)
		err = fits("printk_log.caller_id", &l->log_caller, 4,
			   &l->size_log);
	if (!err && l->size_log.value < 8)
		err = vt_error_new(VT_ERR_FORMAT,
				   "vmcoreinfo: SIZE(printk_log)=%lld is too "
				   "small",
				   (long long)l->size_log.value);
	return err;
}

/* --- reading kernel memory -------------------------------------------------- */

/* --- opening ---------------------------------------------------------------- */

struct vt_error *vt_printk_open(const struct vt_vmcoreinfo *vi,
				vt_kread_fn read, void *arg,
				struct vt_printk **out)
{
	struct vt_printk *p;
	struct vt_error *err;

	*out = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return vt_error_new(VT_ERR_NOMEM, "printk: out of memory");
	p->read = read;
	p->arg = arg;
	if (vt_vmcoreinfo_get(vi, "SYMBOL(prb)")) {
		p->era = VT_PRINTK_LOCKLESS;
		err = read_keys(vi, lockless_keys, NKEYS(lockless_keys), &p->l);
		if (!err)
			err = check_lockless(&p->l);
	} else if (vt_vmcoreinfo_get(vi, "SYMBOL(log_buf)")) {
		p->era = VT_PRINTK_LOG_BUF;
		err = read_keys(vi, log_buf_keys, NKEYS(log_buf_keys), &p->l);
		if (!err)
			err = check_log_buf(&p->l);
	} else {
		err = vt_error_new(VT_ERR_NOKEY,
				   "vmcoreinfo has no SYMBOL(prb) (Linux 5.10 "
				   "and later) or SYMBOL(log_buf) (before)");
	}
	if (err) {
		free(p);
		return err;
	}
	p->sum.era = p->era;
	*out = p;
	return NULL;
}

/* Kernel virtual memory of a dump, through its page tables. */
static struct vt_error *read_dump(void *arg, uint64_t vaddr, void *buf,
				  size_t len)
{
	struct vt_printk *p = arg;
	uint8_t *o = buf;

	while (len) {
		size_t n = KPAGE - vaddr % KPAGE;
		struct vt_error *err;
		uint64_t paddr;

		if (n > len)
			n = len;
		err = vt_x86_64_vtop(p->x, vaddr, &paddr, NULL);
		/* an entry pointing outside the machine maps nothing */
		if (err && err->code == VT_ERR_FORMAT)
			err->code = VT_ERR_NOTMAPPED;
		if (!err)
			err = vt_dump_read_paddr(p->dump, paddr, o, n);
		if (err)
			return err;
		vaddr += n;
		o += n;
		len -= n;
	}
	return NULL;
}

struct vt_error *vt_printk_open_dump(struct vt_dump *dump,
				     struct vt_printk **out)
{
	struct vt_x86_64 *x;
	struct vt_error *err;

	*out = NULL;
	err = vt_x86_64_new(dump, vt_dump_profile(dump), &x);
	if (err)
		return err;
	err = vt_printk_open(vt_dump_vmcoreinfo(dump), read_dump, NULL, out);
	if (err) {
		vt_x86_64_free(x);
		return err;
	}
	(*out)->arg = *out;
	(*out)->dump = dump;
	(*out)->x = x;
	return NULL;
}

void vt_printk_free(struct vt_printk *p)
{
	if (!p)
		return;
	vt_x86_64_free(p->x);
	free(p);
}

struct vt_error *vt_printk_walk(struct vt_printk *p, vt_printk_fn fn, void *arg)
{
	memset(&p->sum, 0, sizeof(p->sum));
	p->sum.era = p->era;
	if (p->era == VT_PRINTK_LOCKLESS)
		return vt_printk_walk_lockless(p, fn, arg);
	return vt_printk_walk_log_buf(p, fn, arg);
}

const struct vt_printk_summary *vt_printk_summary_of(const struct vt_printk *p)
{
	return &p->sum;
}

/* --- makedumpfile's line ---------------------------------------------------- */

/*
 * makedumpfile tests a plain (signed) char with isprint() and isspace() in
 * the C locale: only ASCII 0x20-0x7e and \t \n \v \f \r pass, whatever the
 * caller's locale.
 */
static bool passes(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || (c >= '\t' && c <= '\r');
}

static int prefix(const struct vt_printk_record *r, char *buf)
{
	return sprintf(buf, "[%5llu.%06lu] ",
		       (unsigned long long)(r->ts_nsec / 1000000000),
		       (unsigned long)(r->ts_nsec % 1000000000 / 1000));
}

size_t vt_printk_line_max(const struct vt_printk_record *r)
{
	char pre[48];
	size_t indent = (size_t)prefix(r, pre);
	size_t per = indent + 1 > 10 ? indent + 1 : 10;

	return indent + r->text_len * per + 2;
}

size_t vt_printk_line(const struct vt_printk_record *r, char *buf)
{
	int indent = prefix(r, buf);
	char *o = buf + indent;

	for (size_t i = 0; i < r->text_len; i++) {
		unsigned char c = (unsigned char)r->text[i];

		if (c == '\n') {
			*o++ = '\n';
			memset(o, ' ', (size_t)indent);
			o += indent;
		} else if (passes(c)) {
			*o++ = (char)c;
		} else {
			/* a signed char widened to int, as makedumpfile */
			o += sprintf(o, "\\x%02x",
				     (unsigned int)(int)(signed char)c);
		}
	}
	*o++ = '\n';
	*o = '\0';
	return (size_t)(o - buf);
}

void vt_printk_summary_print(FILE *out, const char *prefix,
			     const struct vt_printk_summary *s)
{
	if (s->missing) {
		fprintf(out, "%s%" PRIu64 " log records are not in the dump",
			prefix, s->missing);
		for (unsigned int i = 0; i < s->nr_missing_seq; i++)
			fprintf(out, "%s%" PRIu64, i ? " " : " (seq ",
				s->missing_seq[i]);
		fprintf(out, "%s\n",
			!s->nr_missing_seq	       ? "" :
			s->nr_missing_seq < s->missing ? " ...)" :
							 ")");
	}
	if (s->skipped)
		fprintf(out,
			"%s%" PRIu64 " log records skipped as inconsistent: "
			"%s\n",
			prefix, s->skipped, s->warning);
}
