// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VMCOREINFO: parse the KEY=VALUE text the kernel publishes and make a typed
 * kernel profile of it. See include/vmemtrim/vmcoreinfo.h.
 *
 * Facts this follows (checked against the kernel and makedumpfile):
 * - The kernel appends "KEY=VALUE\n" lines (vmcoreinfo_append_str()). Its
 *   SYMBOL() and KERNELOFFSET values are "%lx" (hex, no "0x"), SIZE(),
 *   OFFSET() and LENGTH() are "%lu", NUMBER() is "%ld" (so negative page
 *   type values such as -129 appear), but arm64 prints a few NUMBER()s by
 *   hand as "0x%llx". Decimal fields therefore also take an explicit "0x"
 *   prefix; a bare hex string is never guessed to be hex.
 * - A key never appears twice in what a kernel writes. When a file has it
 *   twice anyway, the first one wins: makedumpfile stops at the first line
 *   that matches and crash uses the first strstr() match, so all three
 *   tools read the same value.
 * - The note is padded with NULs; the text ends at the first one.
 * - A "\r\n" line end (a hand-edited file, makedumpfile -g output copied
 *   through Windows) is taken as "\n": a stray '\r' would otherwise make
 *   every number of the file invalid for no useful reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/vmcoreinfo.h"

/* How much of a bad line or value an error message quotes. */
#define QUOTE_MAX 48

struct vt_vmcoreinfo_entry {
	const char *key; /* into buf, NUL-terminated */
	const char *value; /* into buf, NUL-terminated */
};

struct vt_vmcoreinfo {
	char *buf; /* the text, with each '=' and line end replaced by NUL */
	size_t nr;
	struct vt_vmcoreinfo_entry *entries; /* in text order */
	size_t *by_key; /* entry indexes sorted by key, then text order */
};

/*
 * Quote at most QUOTE_MAX bytes of @s (length @len) into @out (at least
 * QUOTE_MAX * 4 + 4 bytes) with non-printable bytes as \xNN, so a message
 * never carries control characters or megabytes of a corrupt note.
 */
static const char *quote(const char *s, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < QUOTE_MAX; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = c;
		else
			o += sprintf(out + o, "\\x%02x", c);
	}
	if (i < len)
		o += sprintf(out + o, "...");
	out[o] = '\0';
	return out;
}

#define QUOTE_BUF_SIZE (QUOTE_MAX * 4 + 4)

/*
 * Split @line (NUL-terminated, no line end) at its first '='. The value may
 * itself hold '=': only the first one separates.
 */
static struct vt_error *split_line(char *line, size_t lineno,
				   struct vt_vmcoreinfo_entry *e)
{
	char *eq = strchr(line, '=');
	char q[QUOTE_BUF_SIZE];

	if (!eq)
		return vt_error_new(VT_ERR_FORMAT,
				    "vmcoreinfo line %zu: no '=' in \"%s\"",
				    lineno, quote(line, strlen(line), q));
	if (eq == line)
		return vt_error_new(VT_ERR_FORMAT,
				    "vmcoreinfo line %zu: empty key in \"%s\"",
				    lineno, quote(line, strlen(line), q));
	*eq = '\0';
	e->key = line;
	e->value = eq + 1;
	return NULL;
}

/* Lines in @buf of @len bytes: an upper bound on the number of entries. */
static size_t count_lines(const char *buf, size_t len)
{
	size_t n = 1;

	for (const char *p = buf; (p = memchr(p, '\n', buf + len - p)); p++)
		n++;
	return n;
}

/* Cut vi->buf (NUL-terminated, @len bytes) into vi->entries. */
static struct vt_error *split_lines(struct vt_vmcoreinfo *vi, size_t len)
{
	char *line = vi->buf, *end = vi->buf + len;
	size_t lineno = 0;

	vi->entries = calloc(count_lines(vi->buf, len), sizeof(*vi->entries));
	if (!vi->entries)
		return vt_error_new(VT_ERR_NOMEM, "vmcoreinfo: out of memory");
	while (line < end) {
		char *nl = memchr(line, '\n', end - line);
		char *next = nl ? nl + 1 : end;
		struct vt_error *err;

		lineno++;
		if (!nl)
			nl = end;
		if (nl > line && nl[-1] == '\r')
			nl--;
		*nl = '\0';
		if (*line) {
			err = split_line(line, lineno, &vi->entries[vi->nr]);
			if (err)
				return err;
			vi->nr++;
		}
		line = next;
	}
	return NULL;
}

/*
 * qsort() is not stable, so ties are broken by position: the first of
 * duplicate keys sorts first, which is the one lookups return.
 */
static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct vt_vmcoreinfo_entry *e = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	int c = strcmp(e[ia].key, e[ib].key);

	if (c)
		return c;
	return ia < ib ? -1 : ia > ib;
}

static struct vt_error *build_index(struct vt_vmcoreinfo *vi)
{
	vi->by_key = calloc(vi->nr ? vi->nr : 1, sizeof(*vi->by_key));
	if (!vi->by_key)
		return vt_error_new(VT_ERR_NOMEM, "vmcoreinfo: out of memory");
	for (size_t i = 0; i < vi->nr; i++)
		vi->by_key[i] = i;
	qsort_r(vi->by_key, vi->nr, sizeof(*vi->by_key), cmp_index,
		vi->entries);
	return NULL;
}

struct vt_error *vt_vmcoreinfo_parse(const char *text, size_t len,
				     struct vt_vmcoreinfo **out)
{
	struct vt_vmcoreinfo *vi;
	struct vt_error *err;

	*out = NULL;
	if (text)
		len = strnlen(text, len);
	else
		len = 0;
	vi = calloc(1, sizeof(*vi));
	if (!vi)
		return vt_error_new(VT_ERR_NOMEM, "vmcoreinfo: out of memory");
	vi->buf = malloc(len + 1);
	if (!vi->buf) {
		free(vi);
		return vt_error_new(VT_ERR_NOMEM, "vmcoreinfo: out of memory");
	}
	if (len)
		memcpy(vi->buf, text, len);
	vi->buf[len] = '\0';
	err = split_lines(vi, len);
	if (!err)
		err = build_index(vi);
	if (err) {
		vt_vmcoreinfo_free(vi);
		return err;
	}
	*out = vi;
	return NULL;
}

void vt_vmcoreinfo_free(struct vt_vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->by_key);
	free(vi->entries);
	free(vi->buf);
	free(vi);
}

const char *vt_vmcoreinfo_get(const struct vt_vmcoreinfo *vi, const char *key)
{
	size_t lo = 0, hi;

	if (!vi || !key)
		return NULL;
	/* Lower bound: the first (in text order) entry with this key. */
	hi = vi->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(vi->entries[vi->by_key[mid]].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < vi->nr && !strcmp(vi->entries[vi->by_key[lo]].key, key))
		return vi->entries[vi->by_key[lo]].value;
	return NULL;
}

bool vt_vmcoreinfo_entry(const struct vt_vmcoreinfo *vi, size_t i,
			 const char **key, const char **value)
{
	if (!vi || i >= vi->nr)
		return false;
	if (key)
		*key = vi->entries[i].key;
	if (value)
		*value = vi->entries[i].value;
	return true;
}

/* --- the typed profile */

struct profile_field {
	size_t offset; /* of the struct vt_opt in struct vt_kernel_profile */
	const char *key;
	int base;
};

static const struct profile_field profile_fields[] = {
#define VT_PROFILE_TABLE_ENTRY(field, k, b)                    \
	{ .offset = offsetof(struct vt_kernel_profile, field), \
	  .key = k,                                            \
	  .base = b },
	VT_PROFILE_FIELDS(VT_PROFILE_TABLE_ENTRY)
#undef VT_PROFILE_TABLE_ENTRY
};

#define NR_PROFILE_FIELDS (sizeof(profile_fields) / sizeof(profile_fields[0]))

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Unsigned hex, optional "0x", at least one digit, nothing else. Written
 * by hand because strtoull() also takes leading blanks and a sign.
 */
static bool parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return false;
	for (; *s; s++) {
		d = hex_digit(*s);
		if (d < 0 || v > UINT64_MAX >> 4)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

/* Signed decimal in the int64_t range: [-]digits, nothing else. */
static bool parse_dec(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;

	if (neg)
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned int d = (unsigned char)*s - '0';

		if (d > 9 || v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	/* Two's complement: -(INT64_MAX + 1) cannot be negated in int64_t. */
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* A decimal field's value: decimal, or hex when it says so with "0x". */
static bool parse_number(const char *s, int64_t *out)
{
	uint64_t u;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!parse_hex(s, &u))
			return false;
		*out = (int64_t)u;
		return true;
	}
	return parse_dec(s, out);
}

static struct vt_error *parse_field(const struct profile_field *f,
				    const char *value, struct vt_opt *opt)
{
	char q[QUOTE_BUF_SIZE];
	uint64_t u;
	bool ok;

	if (f->base == 16) {
		ok = parse_hex(value, &u);
		opt->value = (int64_t)u;
	} else {
		ok = parse_number(value, &opt->value);
	}
	if (!ok)
		return vt_error_new(
			VT_ERR_FORMAT,
			"vmcoreinfo: %s=\"%s\" is not a %s number in range",
			f->key, quote(value, strlen(value), q),
			f->base == 16 ? "hexadecimal" : "decimal");
	opt->known = true;
	return NULL;
}

struct vt_error *vt_kernel_profile_init(struct vt_kernel_profile *kp,
					const struct vt_vmcoreinfo *vi)
{
	struct vt_kernel_profile p;
	const char *release;

	/* Filled aside so that on error *kp says nothing half-true. */
	memset(&p, 0, sizeof(p));
	memset(kp, 0, sizeof(*kp));
	release = vt_vmcoreinfo_get(vi, "OSRELEASE");
	if (release)
		snprintf(p.release, sizeof(p.release), "%.*s",
			 (int)(sizeof(p.release) - 1), release);
	for (size_t i = 0; i < NR_PROFILE_FIELDS; i++) {
		const struct profile_field *f = &profile_fields[i];
		const char *value = vt_vmcoreinfo_get(vi, f->key);
		struct vt_opt *opt = (void *)((char *)&p + f->offset);
		struct vt_error *err;

		if (!value)
			continue;
		err = parse_field(f, value, opt);
		if (err)
			return err;
	}
	*kp = p;
	return NULL;
}

struct vt_error *vt_profile_require(const struct vt_kernel_profile *kp,
				    size_t field_offset)
{
	for (size_t i = 0; i < NR_PROFILE_FIELDS; i++) {
		const struct profile_field *f = &profile_fields[i];
		const struct vt_opt *opt;

		if (f->offset != field_offset)
			continue;
		opt = (const void *)((const char *)kp + f->offset);
		if (opt->known)
			return NULL;
		return vt_error_new(VT_ERR_NOKEY, "vmcoreinfo has no %s",
				    f->key);
	}
	return vt_error_new(VT_ERR_INVALID,
			    "no kernel profile field at offset %zu",
			    field_offset);
}
