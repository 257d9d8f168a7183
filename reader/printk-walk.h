/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the log reader: the layout read from VMCOREINFO (printk.c) and
 * the walks over the two eras' buffers (printk-walk.c). Not a public
 * header; see include/vmemtrim/printk.h.
 */
#ifndef VMEMTRIM_READER_PRINTK_WALK_H
#define VMEMTRIM_READER_PRINTK_WALK_H

#include <stdint.h>

#include "vmemtrim/printk.h"
#include "vmemtrim/vmcoreinfo.h"

#define KPAGE 4096ULL

/* The kernel's limits (CONFIG_LOG_BUF_SHIFT is at most 25; log_buf_len=
   takes up to 2 GiB): anything larger is a corrupt header. */
#define MAX_RING_BITS 31
#define MAX_COUNT_BITS 27
#define MAX_STRUCT_SIZE 4096

/* A descriptor's state_var: the id in the low 62 bits, the state above. */
#define DESC_ID_MASK ((1ULL << 62) - 1)
#define DESC_STATE(sv) ((sv) >> 62)
#define DESC_COMMITTED 1
#define DESC_FINALIZED 2

/* The VMCOREINFO keys of both eras; absent ones stay unknown. */
struct layout {
	/* lockless ring */
	struct vt_opt prb, size_prb, prb_desc_ring, prb_text_ring;
	struct vt_opt dr_count_bits, dr_descs, dr_infos, dr_head, dr_tail;
	struct vt_opt size_desc, desc_state, desc_text_lpos;
	struct vt_opt lpos_begin, lpos_next;
	struct vt_opt size_info, info_seq, info_ts, info_text_len;
	struct vt_opt info_caller, info_dev_info;
	struct vt_opt dev_subsystem, len_subsystem, dev_device, len_device;
	struct vt_opt data_size_bits, data_data, atomic_counter;
	/* log_buf */
	struct vt_opt log_buf, log_buf_len, log_first_idx, log_next_idx;
	struct vt_opt size_log, log_ts, log_len, log_text_len, log_dict_len;
	struct vt_opt log_caller;
};

struct vt_printk {
	enum vt_printk_era era;
	struct layout l;
	vt_kread_fn read;
	void *arg;
	struct vt_printk_summary sum;
	/* vt_printk_open_dump() only */
	struct vt_dump *dump;
	struct vt_x86_64 *x;
};

/* The walks of each era (printk-walk.c); the summary is reset before. */
struct vt_error *vt_printk_walk_lockless(struct vt_printk *p, vt_printk_fn fn,
					 void *arg);
struct vt_error *vt_printk_walk_log_buf(struct vt_printk *p, vt_printk_fn fn,
					void *arg);

#endif
