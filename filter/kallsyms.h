/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel symbols from the dump alone, through the kernel's own kallsyms
 * tables, which VMCOREINFO locates (Linux 6.0 and later).
 */
#ifndef VMEMTRIM_FILTER_KALLSYMS_H
#define VMEMTRIM_FILTER_KALLSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_dump;
struct vt_x86_64;

/*
 * The addresses of the @n symbols @names (without their type letter),
 * into @addrs; 0 for a name not found. One pass over the table. An error
 * when VMCOREINFO lacks the tables' symbols or they cannot be read.
 */
struct vt_error *vt_kallsyms_lookup(struct vt_dump *dump, struct vt_x86_64 *x,
				    const char *const *names, size_t n,
				    uint64_t *addrs);

#endif
