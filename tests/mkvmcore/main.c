// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mkvmcore: write a synthetic Linux x86_64 (6.1) /proc/vmcore and its
 * ground truth. Usage and formats: docs/mkvmcore.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkvmcore.h"

static const char usage[] =
	"usage: mkvmcore -o FILE --ram SIZE [--profile idle|busy|mixed] [--seed N]\n"
	"                [--holes SPEC] [--nodes N] [--l5] [--vmemmap-4k SPEC]\n"
	"                [--hvo N] [--no-kaslr] [--pcp]\n";

static int parse_uint(const char *s, u64 *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct options *o, struct err *e)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "ram", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "holes", required_argument, NULL, 'H' },
		{ "nodes", required_argument, NULL, 'n' },
		{ "l5", no_argument, NULL, '5' },
		{ "vmemmap-4k", required_argument, NULL, '4' },
		{ "hvo", required_argument, NULL, 'v' },
		{ "no-kaslr", no_argument, NULL, 'K' },
		{ "pcp", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	u64 v;

	memset(o, 0, sizeof(*o));
	o->profile = "mixed";
	o->nodes = 1;
	o->kaslr = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->out = optarg;
			break;
		case 'r':
			if (parse_size(optarg, &o->ram) || !o->ram)
				return err_set(e, 2, "--ram: bad size '%s'",
					       optarg);
			break;
		case 'p':
			o->profile = optarg;
			break;
		case 's':
			if (parse_uint(optarg, &o->seed))
				return err_set(e, 2, "--seed: bad number '%s'",
					       optarg);
			break;
		case 'H':
			o->holes = optarg;
			break;
		case 'n':
			if (parse_uint(optarg, &v) || v > 100000)
				return err_set(e, 2, "--nodes: bad number '%s'",
					       optarg);
			o->nodes = (unsigned int)v;
			break;
		case '5':
			o->l5 = 1;
			break;
		case '4':
			o->vmemmap_4k = optarg;
			break;
		case 'v':
			if (parse_uint(optarg, &v) || v > (1ULL << 30))
				return err_set(e, 2, "--hvo: bad number '%s'",
					       optarg);
			o->hvo = (unsigned long)v;
			break;
		case 'K':
			o->kaslr = 0;
			break;
		case 'P':
			o->pcp = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			return err_set(e, 2,
				       "%s: unknown option or missing argument",
				       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return err_set(e, 2, "unexpected argument '%s'", argv[optind]);
	if (!o->out)
		return err_set(e, 2, "-o: output file is required");
	if (!o->ram)
		return err_set(e, 2, "--ram: size is required");
	return 0;
}

static int setup(struct machine *m, struct err *e)
{
	int rc;

	m->kp = kprofile_find("6.1");
	m->profile_id = profile_lookup(m->opt.profile);
	if (m->profile_id < 0)
		return err_set(
			e, 2,
			"--profile: unknown profile '%s' (idle, busy, mixed)",
			m->opt.profile);
	if (m->opt.holes) {
		rc = parse_ranges(m->opt.holes, m->holes, &m->nholes, e,
				  "--holes");
		if (rc)
			return rc;
	}
	if (m->opt.vmemmap_4k) {
		rc = parse_ranges(m->opt.vmemmap_4k, m->v4k, &m->nv4k, e,
				  "--vmemmap-4k");
		if (rc)
			return rc;
	}
	rc = layout_machine(m, e);
	if (!rc)
		rc = alloc_boot_memory(m, e);
	if (!rc)
		rc = alloc_special_pages(m, e);
	if (!rc)
		rc = pcp_plan(m, e);
	if (!rc)
		rc = elf_layout(m, e);
	return rc;
}

static int open_outputs(struct machine *m, struct err *e)
{
	const char *out = m->opt.out;

	if (asprintf(&m->tmp_path, "%s.tmp", out) < 0 ||
	    asprintf(&m->truth_path, "%s.truth", out) < 0 ||
	    asprintf(&m->truth_tmp_path, "%s.truth.tmp", out) < 0)
		return err_set(e, 1, "out of memory");
	m->fd = open(m->tmp_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (m->fd < 0)
		return err_set(e, 1, "-o: cannot create %s: %s", m->tmp_path,
			       strerror(errno));
	if (ftruncate(m->fd, (off_t)m->data_off))
		return err_set(e, 1, "-o: cannot size %s to %llu bytes: %s",
			       m->tmp_path, (unsigned long long)m->data_off,
			       strerror(errno));
	m->truth = fopen(m->truth_tmp_path, "w");
	if (!m->truth)
		return err_set(e, 1, "-o: cannot create %s: %s",
			       m->truth_tmp_path, strerror(errno));
	return 0;
}

static int generate(struct machine *m, struct err *e)
{
	int rc = open_outputs(m, e);

	if (!rc)
		rc = truth_open(m, e);
	if (!rc)
		rc = pgtables_build(m, e);
	if (!rc)
		rc = pgtables_write(m, e);
	if (!rc)
		rc = kimage_write(m, e);
	if (!rc)
		rc = kdata_write(m, e);
	if (!rc)
		rc = pcp_write(m, e);
	if (!rc)
		rc = generate_sections(m, e);
	if (!rc)
		rc = elf_write_headers(m, e);
	if (!rc)
		rc = truth_close(m, e);
	return rc;
}

static int finish(struct machine *m, int rc, struct err *e)
{
	if (m->truth && fclose(m->truth) && !rc)
		rc = err_set(e, 1, "%s: %s", m->truth_tmp_path,
			     strerror(errno));
	if (m->fd > 0 && close(m->fd) && !rc)
		rc = err_set(e, 1, "%s: %s", m->tmp_path, strerror(errno));
	if (!rc && (rename(m->tmp_path, m->opt.out) ||
		    rename(m->truth_tmp_path, m->truth_path)))
		rc = err_set(e, 1, "-o: rename to %s: %s", m->opt.out,
			     strerror(errno));
	if (rc && m->tmp_path) {
		unlink(m->tmp_path);
		unlink(m->truth_tmp_path);
		unlink(m->opt.out);
		unlink(m->truth_path);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct machine m;
	struct err e = { 0, "" };
	int rc;

	m.fd = -1;
	rc = parse_args(argc, argv, &m.opt, &e);
	if (!rc)
		rc = setup(&m, &e);
	if (!rc) {
		content_init(m.opt.seed);
		rc = generate(&m, &e);
		rc = finish(&m, rc, &e);
	}
	if (rc) {
		fprintf(stderr, "mkvmcore: %s\n", e.msg);
		return rc;
	}
	return 0;
}
