// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The crash module's guard: the built-in commands that read struct pages
 * (kmem, vtop, files -p, rd -S, bt -F) wrapped in linux_command_table, a
 * WARNING line first and the output through the line filter.
 */
#define _GNU_SOURCE
#include "defs.h"

#include <ctype.h>
#include <inttypes.h>

#include "module.h"
#include "vmemtrim/json.h"
#include "vmemtrim/vmemmap.h"

enum guard_kind { G_KMEM, G_VTOP, G_FILES, G_RD, G_BT, G_NR };

struct guard {
	const char *name;
	const char *letters; /* option letters that read struct pages */
	cmd_func_t wrapper;
	struct command_table_entry *entry;
	cmd_func_t orig;
};

static void guarded(enum guard_kind k);
static void wrap_kmem(void)
{
	guarded(G_KMEM);
}
static void wrap_vtop(void)
{
	guarded(G_VTOP);
}
static void wrap_files(void)
{
	guarded(G_FILES);
}
static void wrap_rd(void)
{
	guarded(G_RD);
}
static void wrap_bt(void)
{
	guarded(G_BT);
}

static struct guard guards[G_NR] = {
	[G_KMEM] = { "kmem", "pmfFicCsSrlP", wrap_kmem, NULL, NULL },
	[G_VTOP] = { "vtop", NULL, wrap_vtop, NULL, NULL },
	[G_FILES] = { "files", "p", wrap_files, NULL, NULL },
	[G_RD] = { "rd", "S", wrap_rd, NULL, NULL },
	[G_BT] = { "bt", "F", wrap_bt, NULL, NULL },
};

/* Does an option among args[] hold one of @letters? */
static bool has_option(const char *letters, bool *has_address)
{
	bool found = false;

	*has_address = false;
	for (int i = 1; i < argcnt && args[i]; i++) {
		const char *a = args[i];

		if (a[0] != '-' || !a[1]) {
			*has_address = true;
			continue;
		}
		for (const char *p = a + 1; *p && *p != '='; p++) {
			if (strchr(letters, *p))
				found = true;
			/* -m member, -I slab: the value is no address. */
			if ((*p == 'm' || *p == 'I') && !p[1] && i + 1 < argcnt)
				i++;
		}
	}
	return found;
}

/* Does this invocation read struct pages? */
static bool reads_struct_pages(const struct guard *g)
{
	bool address, opt;

	if (!g->letters)
		return true;
	opt = has_option(g->letters, &address);
	if (g - guards != G_KMEM)
		return opt;
	/* kmem ADDRESS searches the mem_map too, unless -v or -g. */
	return opt || (address && !has_option("vgn", &address));
}

static const char *warning_tail(const struct guard *g)
{
	bool address;

	if (g - guards == G_VTOP ||
	    (g - guards == G_KMEM && has_option("pm", &address)))
		return "their page lines are marked " MARK;
	if (g - guards == G_KMEM && has_option("i", &address))
		return "kmem -i counts them as zeroed pages";
	if (g - guards == G_KMEM && has_option("fF", &address))
		return "a free list through one stops at \"page excluded\"";
	return "crash reads them as zeros or stops at \"page excluded\"";
}

static void guarded(enum guard_kind k)
{
	struct guard *g = &guards[k];

	ext_filter_end(); /* left over, should a command have been nested */
	if (!reads_struct_pages(g)) {
		g->orig();
		return;
	}
	fprintf(fp,
		"WARNING: %" PRIu64 " pfns in %" PRIu64
		" ranges lack struct page data in this dump; %s"
		" (\"vmemmap -r\")\n",
		ext.f.sum.missing_pfns, ext.f.sum.missing_ranges,
		warning_tail(g));
	ext_filter_begin();
	g->orig();
	ext_filter_end();
}

void ext_guard_install(void)
{
	for (int k = 0; k < G_NR; k++) {
		struct guard *g = &guards[k];
		struct command_table_entry *ct;

		for (ct = pc->cmd_table; ct->name; ct++)
			if (STREQ(ct->name, g->name))
				break;
		if (!ct->name)
			continue;
		g->entry = ct;
		g->orig = ct->func;
		ct->func = g->wrapper;
	}
}

void ext_guard_remove(void)
{
	for (int k = 0; k < G_NR; k++) {
		struct guard *g = &guards[k];

		if (!g->entry)
			continue;
		/* Someone wrapped us in turn: leave their entry be. */
		if (g->entry->func == g->wrapper)
			g->entry->func = g->orig;
		else
			error(WARNING,
			      "vmemtrim: \"%s\" was rewrapped; not restored\n",
			      g->name);
		g->entry = NULL;
	}
}
