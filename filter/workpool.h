/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One worker pool for every thread pool of the filter (pass 1's block
 * classification, the writer's compression, the writer's output thread).
 *
 * Work comes as tickets 0, 1, 2, ... in the order the owner submits them;
 * ticket t uses slot t % nslots of the owner's own ring of buffers. Workers
 * take tickets in order, and each runs work(arg, worker, ticket); workers
 * finish in any order. The owner waits for a ticket, uses its slot, then
 * releases it. The owner must never have more than nslots tickets submitted
 * and not released (vt_workpool_pending()).
 */
#ifndef VMEMTRIM_FILTER_WORKPOOL_H
#define VMEMTRIM_FILTER_WORKPOOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/error.h"

/* Run ticket @ticket on worker number @worker (0 .. nthreads - 1). */
typedef void vt_work_fn(void *arg, unsigned int worker, uint64_t ticket);

struct vt_workpool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	vt_work_fn *work;
	void *arg;
	unsigned int nthreads, nslots;
	pthread_t *tids;
	bool *done; /* per slot */
	uint64_t submitted, taken, released;
	bool stop;
};

/*
 * Start @nthreads workers over a ring of @nslots slots. Fewer threads may
 * start when the system refuses more (pool->nthreads says how many; zero
 * started is an error, and the pool is then stopped).
 */
struct vt_error *vt_workpool_start(struct vt_workpool *pool,
				   unsigned int nthreads, unsigned int nslots,
				   vt_work_fn *work, void *arg);

/* Submit the next ticket; returns its number. */
uint64_t vt_workpool_submit(struct vt_workpool *pool);

/* Wait until ticket @ticket (submitted) is done. */
void vt_workpool_wait(struct vt_workpool *pool, uint64_t ticket);

/* Whether ticket @ticket (submitted) is done, without waiting. */
bool vt_workpool_done(struct vt_workpool *pool, uint64_t ticket);

/* The oldest ticket not released is done with: its slot may be reused. */
void vt_workpool_release(struct vt_workpool *pool);

/* Tickets submitted and not yet released. */
uint64_t vt_workpool_pending(const struct vt_workpool *pool);

/*
 * Let the workers finish the tickets they have taken, drop the ones not
 * taken, join them, free the pool's memory. A pool never started, or
 * stopped already, is left alone.
 */
void vt_workpool_stop(struct vt_workpool *pool);

#endif
