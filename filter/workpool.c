// SPDX-License-Identifier: GPL-2.0-or-later
/* The filter's one worker pool: see workpool.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "workpool.h"

struct worker_arg {
	struct vt_workpool *pool;
	unsigned int index;
};

static void *worker_main(void *p)
{
	struct worker_arg *wa = p;
	struct vt_workpool *pool = wa->pool;
	unsigned int index = wa->index;

	free(wa);
	pthread_mutex_lock(&pool->mu);
	for (;;) {
		uint64_t t;

		while (!pool->stop && pool->taken == pool->submitted)
			pthread_cond_wait(&pool->work_cv, &pool->mu);
		if (pool->stop)
			break;
		t = pool->taken++;
		pthread_mutex_unlock(&pool->mu);
		pool->work(pool->arg, index, t);
		pthread_mutex_lock(&pool->mu);
		pool->done[t % pool->nslots] = true;
		pthread_cond_broadcast(&pool->done_cv);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

struct vt_error *vt_workpool_start(struct vt_workpool *pool,
				   unsigned int nthreads, unsigned int nslots,
				   vt_work_fn *work, void *arg)
{
	int e;

	memset(pool, 0, sizeof(*pool));
	pool->tids = calloc(nthreads ? nthreads : 1, sizeof(*pool->tids));
	pool->done = calloc(nslots ? nslots : 1, sizeof(*pool->done));
	if (!pool->tids || !pool->done || !nthreads || !nslots) {
		free(pool->tids);
		free(pool->done);
		memset(pool, 0, sizeof(*pool));
		return vt_error_new(VT_ERR_NOMEM, "worker pool of %u threads",
				    nthreads);
	}
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->work_cv, NULL);
	pthread_cond_init(&pool->done_cv, NULL);
	pool->work = work;
	pool->arg = arg;
	pool->nslots = nslots;
	for (unsigned int i = 0; i < nthreads; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));

		e = wa ? 0 : ENOMEM;
		if (wa) {
			wa->pool = pool;
			wa->index = i;
			e = pthread_create(&pool->tids[i], NULL, worker_main,
					   wa);
			if (e)
				free(wa);
		}
		if (e)
			break;
		pool->nthreads++;
	}
	if (pool->nthreads)
		return NULL;
	vt_workpool_stop(pool);
	return vt_error_errno(e, "starting a worker thread");
}

uint64_t vt_workpool_submit(struct vt_workpool *pool)
{
	uint64_t t;

	pthread_mutex_lock(&pool->mu);
	t = pool->submitted++;
	pool->done[t % pool->nslots] = false;
	pthread_cond_signal(&pool->work_cv);
	pthread_mutex_unlock(&pool->mu);
	return t;
}

void vt_workpool_wait(struct vt_workpool *pool, uint64_t ticket)
{
	pthread_mutex_lock(&pool->mu);
	while (!pool->done[ticket % pool->nslots])
		pthread_cond_wait(&pool->done_cv, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
}

bool vt_workpool_done(struct vt_workpool *pool, uint64_t ticket)
{
	bool done;

	pthread_mutex_lock(&pool->mu);
	done = pool->done[ticket % pool->nslots];
	pthread_mutex_unlock(&pool->mu);
	return done;
}

void vt_workpool_release(struct vt_workpool *pool)
{
	pthread_mutex_lock(&pool->mu);
	pool->released++;
	pthread_mutex_unlock(&pool->mu);
}

uint64_t vt_workpool_pending(const struct vt_workpool *pool)
{
	return pool->submitted - pool->released;
}

void vt_workpool_stop(struct vt_workpool *pool)
{
	if (!pool->tids)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->stop = true;
	pthread_cond_broadcast(&pool->work_cv);
	pthread_mutex_unlock(&pool->mu);
	for (unsigned int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->tids[i], NULL);
	pthread_cond_destroy(&pool->work_cv);
	pthread_cond_destroy(&pool->done_cv);
	pthread_mutex_destroy(&pool->mu);
	free(pool->tids);
	free(pool->done);
	memset(pool, 0, sizeof(*pool));
}
