// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON object of docs/inspect-json.md. One printer for every front end:
 * vmemtrim-inspect and the crash extension hand it what they gathered and
 * a FILE, so their answers are the same bytes.
 */
#include <inttypes.h>

#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"
#include "vmemtrim/json.h"
#include "vmemtrim/panic.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"

const char *vt_format_name(enum vt_dump_format f)
{
	switch (f) {
	case VT_FORMAT_ELF:
		return "elf";
	case VT_FORMAT_KDUMP:
		return "kdump";
	case VT_FORMAT_KDUMP_FLAT:
		return "kdump-flattened";
	}
	return "unknown";
}

const char *vt_status_bit_name(uint32_t bit)
{
	switch (bit) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return "COMPRESSED_ZLIB";
	case DUMP_DH_COMPRESSED_LZO:
		return "COMPRESSED_LZO";
	case DUMP_DH_COMPRESSED_SNAPPY:
		return "COMPRESSED_SNAPPY";
	case DUMP_DH_COMPRESSED_INCOMPLETE:
		return "COMPRESSED_INCOMPLETE";
	case DUMP_DH_EXCLUDED_VMEMMAP:
		return "EXCLUDED_VMEMMAP";
	case DUMP_DH_COMPRESSED_ZSTD:
		return "COMPRESSED_ZSTD";
	}
	return NULL;
}

const char *vt_compression_name(uint32_t status)
{
	uint32_t c = status & DUMP_DH_COMPRESSION_MASK;

	if (!c)
		return "none";
	for (uint32_t bit = 1; bit; bit <<= 1)
		if (c & bit)
			return vt_codec_name(bit) ? vt_codec_name(bit) :
						    "unknown";
	return "unknown";
}

const char *vt_pfn_state_name(enum vt_pfn_state s)
{
	return s == VT_PFN_DUMPED   ? "dumped" :
	       s == VT_PFN_EXCLUDED ? "excluded" :
				      "not RAM (hole)";
}

static void json_string(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			putc(c, out);
	}
	putc('"', out);
}

static void json_key_string(FILE *out, const char *key, const char *value,
			    bool comma)
{
	fprintf(out, "\"%s\": ", key);
	json_string(out, value);
	if (comma)
		putc(',', out);
	putc('\n', out);
}

static void json_key_u64(FILE *out, const char *key, uint64_t value, bool comma)
{
	fprintf(out, "\"%s\": %" PRIu64 "%s\n", key, value, comma ? "," : "");
}

static void json_key_hex(FILE *out, const char *key, uint64_t value, bool comma)
{
	fprintf(out, "\"%s\": \"0x%" PRIx64 "\"%s\n", key, value,
		comma ? "," : "");
}

static void json_key_null(FILE *out, const char *key, bool comma)
{
	fprintf(out, "\"%s\": null%s\n", key, comma ? "," : "");
}

static void json_header(FILE *out, const struct vt_report *r)
{
	const struct vt_dump_info *in = r->info;
	bool first = true;

	fprintf(out, "\"files\": [");
	for (unsigned int i = 0; i < in->nr_parts; i++) {
		fprintf(out, "%s{\"path\": ", i ? ", " : "");
		json_string(out, in->parts[i].path);
		fprintf(out,
			", \"format\": \"%s\", \"start_pfn\": %" PRIu64
			", \"end_pfn\": %" PRIu64 "}",
			vt_format_name(in->parts[i].format),
			in->parts[i].start_pfn, in->parts[i].end_pfn);
	}
	fprintf(out, "],\n");
	json_key_string(out, "format", vt_format_name(in->format), true);
	json_key_u64(out, "header_version", in->header_version, true);
	fprintf(out, "\"status\": {\"value\": %u, \"flags\": [", in->status);
	for (uint32_t bit = 1; bit; bit <<= 1)
		if ((in->status & bit) && vt_status_bit_name(bit)) {
			fprintf(out, "%s\"%s\"", first ? "" : ", ",
				vt_status_bit_name(bit));
			first = false;
		}
	fprintf(out, "]},\n");
	json_key_string(out, "compression", vt_compression_name(in->status),
			true);
	if (in->dump_level >= 0)
		json_key_u64(out, "dump_level", in->dump_level, true);
	else
		json_key_null(out, "dump_level", true);
	fprintf(out, "\"utsname\": {");
	const char *uts[][2] = {
		{ "sysname", in->sysname }, { "nodename", in->nodename },
		{ "release", in->release }, { "version", in->version },
		{ "machine", in->machine }, { "domainname", in->domainname }
	};
	for (size_t i = 0; i < 6; i++) {
		fprintf(out, "%s\"%s\": ", i ? ", " : "", uts[i][0]);
		json_string(out, uts[i][1]);
	}
	fprintf(out, "},\n");
	if (in->crash_time >= 0)
		json_key_u64(out, "crash_time", in->crash_time, true);
	else
		json_key_null(out, "crash_time", true);
	json_key_u64(out, "cpus", in->nr_cpus, true);
	json_key_u64(out, "page_size", in->page_size, true);
	json_key_u64(out, "max_pfn", in->max_pfn, true);
}

static void json_pages(FILE *out, const struct vt_report *r)
{
	const struct vt_dump_counts *c = r->counts;
	uint64_t remaining = c->dumped - c->zero;

	fprintf(out, "\"pages\": {\n");
	json_key_u64(out, "total", r->info->max_pfn, true);
	json_key_u64(out, "holes", r->info->max_pfn - c->ram, true);
	json_key_u64(out, "ram", c->ram, true);
	json_key_u64(out, "dumped", remaining, true);
	json_key_u64(out, "zero", c->zero, true);
	json_key_u64(out, "excluded", c->ram - remaining, true);
	json_key_u64(out, "not_written", c->not_written, true);
	json_key_u64(out, "not_written_ranges", c->not_written_ranges, false);
	fprintf(out, "},\n");
}

struct nw_print {
	FILE *out;
	bool first;
};

static int json_nw_range(void *arg, uint64_t start, uint64_t end,
			 uint64_t count)
{
	struct nw_print *p = arg;

	fprintf(p->out,
		"%s{\"start_pfn\": %" PRIu64 ", \"end_pfn\": %" PRIu64
		", \"count\": %" PRIu64 "}",
		p->first ? "\n" : ",\n", start, end, count);
	p->first = false;
	return 0;
}

/* Every run of pfns whose data was never written, read again from the dump. */
static struct vt_error *json_not_written(FILE *out, const struct vt_report *r)
{
	struct nw_print p = { out, true };
	struct vt_error *err = NULL;

	fprintf(out, "\"not_written\": [");
	if (r->counts->not_written)
		err = vt_dump_not_written(r->dump, json_nw_range, &p);
	fprintf(out, "%s],\n", p.first ? "" : "\n");
	return err;
}

/* A VMCOREINFO number: signed (phys_base may be negative). */
static void json_opt_num(FILE *out, const char *key, const struct vt_opt *v,
			 bool comma)
{
	if (v->known)
		fprintf(out, "\"%s\": %" PRId64 "%s\n", key, v->value,
			comma ? "," : "");
	else
		json_key_null(out, key, comma);
}

static void json_vmcoreinfo(FILE *out, const struct vt_report *r)
{
	const struct vt_kernel_profile *kp = r->kp;

	fprintf(out, "\"vmcoreinfo\": {\n");
	json_key_string(out, "release", kp->release, true);
	json_opt_num(out, "struct_page_size", &kp->size_page, true);
	if (r->x86)
		json_key_u64(out, "paging_levels", vt_x86_64_levels(r->x86),
			     true);
	else
		json_key_null(out, "paging_levels", true);
	if (r->vm)
		json_key_hex(out, "vmemmap_base", vt_vmemmap_base(r->vm), true);
	else
		json_key_null(out, "vmemmap_base", true);
	if (kp->kernel_offset.known)
		json_key_hex(out, "kernel_offset", kp->kernel_offset.value,
			     true);
	else
		json_key_null(out, "kernel_offset", true);
	json_opt_num(out, "phys_base", &kp->phys_base, false);
	fprintf(out, "},\n");
}

static void json_struct_pages(FILE *out, const struct vt_report *r)
{
	const struct vt_vmemmap_summary *s = r->sum;

	if (!r->vm) {
		fprintf(out,
			"\"struct_pages\": null,\n\"struct_pages_error\": ");
		json_string(out, r->vm_err->message);
		fprintf(out, ",\n");
		return;
	}
	fprintf(out, "\"struct_pages\": {\n");
	json_key_u64(out, "pfns", s->section_pfns, true);
	json_key_u64(out, "missing_pfns", s->missing_pfns, true);
	json_key_u64(out, "missing_ranges", s->missing_ranges, true);
	json_key_u64(out, "missing_ram_pfns", s->missing_ram_pfns, true);
	json_key_u64(out, "vmemmap_pages", s->vmemmap_pages, true);
	json_key_u64(out, "vmemmap_pages_excluded", s->vmemmap_pages_excluded,
		     false);
	fprintf(out, "},\n");
}

struct range_walk {
	FILE *out;
	bool first;
};

static int json_range(void *arg, const struct vt_sp_range *r)
{
	struct range_walk *w = arg;

	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	fprintf(w->out,
		"%s{\"start_pfn\": %" PRIu64 ", \"end_pfn\": %" PRIu64
		", \"count\": %" PRIu64 ", \"why\": \"%s\"}",
		w->first ? "\n" : ",\n", r->start_pfn, r->end_pfn,
		r->end_pfn - r->start_pfn, vt_struct_page_state_name(r->state));
	w->first = false;
	return 0;
}

static void json_pfn(FILE *out, const struct vt_pfn_report *p)
{
	bool mapped = p->struct_page == VT_SP_PRESENT ||
		      p->struct_page == VT_SP_EXCLUDED;

	fprintf(out, "\"pfn\": {\n");
	json_key_u64(out, "pfn", p->pfn, true);
	json_key_string(out, "data", vt_pfn_state_name(p->data), true);
	json_key_string(out, "struct_page",
			vt_struct_page_state_name(p->struct_page), true);
	if (p->struct_page != VT_SP_NO_SECTION)
		json_key_hex(out, "struct_page_vaddr", p->page_vaddr, true);
	else
		json_key_null(out, "struct_page_vaddr", true);
	if (mapped) {
		json_key_hex(out, "struct_page_paddr", p->page_paddr, true);
		json_key_u64(out, "vmemmap_pfn", p->vmemmap_pfn, true);
		json_key_string(out, "vmemmap_data",
				vt_pfn_state_name(p->vmemmap_data), false);
	} else {
		fprintf(out,
			"\"struct_page_paddr\": null,\n\"vmemmap_pfn\": null,\n"
			"\"vmemmap_data\": null\n");
	}
	fprintf(out, "},\n");
}

static void json_log(FILE *out, const struct vt_report *r)
{
	const struct vt_panic *p = r->panic;
	const struct vt_printk_summary *s = &p->log;

	fprintf(out, "\"log\": {\n");
	json_key_string(out, "era",
			s->era == VT_PRINTK_LOCKLESS ? "lockless" : "log_buf",
			true);
	json_key_u64(out, "records", s->records, true);
	json_key_u64(out, "missing", s->missing, true);
	fprintf(out, "\"missing_seq\": [");
	for (unsigned int i = 0; i < s->nr_missing_seq; i++)
		fprintf(out, "%s%" PRIu64, i ? ", " : "", s->missing_seq[i]);
	fprintf(out, "],\n");
	json_key_u64(out, "skipped", s->skipped, true);
	json_key_string(out, "warning", s->warning, true);
	if (p->found) {
		json_key_string(out, "panic", p->message, true);
		json_key_u64(out, "panic_seq", p->panic_seq, true);
	} else {
		json_key_null(out, "panic", true);
		json_key_null(out, "panic_seq", true);
	}
	fprintf(out, "\"lines\": [");
	for (unsigned int i = 0; i < p->nr_lines; i++) {
		fprintf(out, "%s", i ? ",\n" : "\n");
		json_string(out, p->lines[i]);
	}
	fprintf(out, "%s],\n", p->nr_lines ? "\n" : "");
	json_key_u64(out, "lines_skipped", p->lines_skipped, false);
	fprintf(out, "},\n");
}

static void json_verdict(FILE *out, const struct vt_verdict *v)
{
	fprintf(out, "\"verdict\": {\n");
	json_key_string(out, "dump", v->findings ? "damaged" : "whole", true);
	json_key_u64(out, "findings", v->findings, true);
	fprintf(out, "\"counts\": {");
	for (int k = 0; k < VT_FIND_KINDS; k++)
		fprintf(out, "%s\"%s\": %" PRIu64, k ? ", " : "",
			vt_finding_name(k), v->count[k]);
	fprintf(out, "},\n\"examples\": [");
	for (unsigned int i = 0; i < v->nr_examples; i++) {
		const struct vt_finding *e = &v->examples[i];

		fprintf(out, "%s{", i ? ",\n" : "\n");
		json_key_string(out, "kind", vt_finding_name(e->kind), true);
		json_key_hex(out, "pfn", e->pfn, true);
		json_key_hex(out, "vaddr", e->vaddr, true);
		json_key_u64(out, "level", (uint64_t)e->level, true);
		json_key_u64(out, "count", e->count, false);
		fprintf(out, "}");
	}
	fprintf(out, "%s],\n", v->nr_examples ? "\n" : "");
	json_key_u64(out, "page_tables", v->tables, true);
	json_key_u64(out, "image_pages", v->image_pages, true);
	json_key_u64(out, "image_zero", v->image_zero, true);
	fprintf(out, "\"log_checked\": %s,\n",
		v->log_checked ? "true" : "false");
	json_key_u64(out, "log_records", v->log_records, false);
	fprintf(out, "},\n");
}

struct vt_error *vt_json_print(FILE *out, const struct vt_report *r,
			       bool ranges, const char *tool)
{
	struct vt_error *err = NULL;

	fprintf(out, "{\n\"schema\": \"%s\",\n", VT_JSON_SCHEMA);
	json_header(out, r);
	json_pages(out, r);
	err = json_not_written(out, r);
	json_vmcoreinfo(out, r);
	json_struct_pages(out, r);
	if (r->panic && !r->log_err) {
		json_log(out, r);
	} else if (r->log_err) {
		fprintf(out, "\"log\": null,\n\"log_error\": ");
		json_string(out, r->log_err->message);
		fprintf(out, ",\n");
	}
	if (r->verdict) {
		json_verdict(out, r->verdict);
	} else if (r->verdict_err) {
		fprintf(out, "\"verdict\": null,\n\"verdict_error\": ");
		json_string(out, r->verdict_err->message);
		fprintf(out, ",\n");
	}
	if (r->pfn)
		json_pfn(out, r->pfn);
	if (ranges) {
		struct range_walk w = { out, true };
		struct vt_error *rerr;

		fprintf(out, "\"ranges\": [");
		rerr = vt_vmemmap_ranges(r->vm, 0, r->info->max_pfn, json_range,
					 &w);
		if (!err)
			err = rerr;
		else
			vt_error_free(rerr);
		fprintf(out, "%s],\n", w.first ? "" : "\n");
	}
	fprintf(out, "\"tool\": ");
	json_string(out, tool);
	fprintf(out, "\n}\n");
	return err;
}
