// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The filter's worker pool: every ticket runs once, on some worker, its
 * slot is done when waited for, and results come back in ticket order
 * whatever order the workers finish in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "workpool.h"

#define SLOTS 4
#define TICKETS 1000

struct ring {
	uint64_t value[SLOTS];
	unsigned int runs[TICKETS];
	unsigned int nthreads;
	int bad_worker;
};

static void square(void *arg, unsigned int worker, uint64_t ticket)
{
	struct ring *r = arg;

	if (worker >= r->nthreads)
		r->bad_worker = 1;
	if (ticket % 7 == 0)
		usleep(100); /* finish out of order */
	r->value[ticket % SLOTS] = ticket * ticket;
	__atomic_fetch_add(&r->runs[ticket], 1, __ATOMIC_RELAXED);
}

static void run(unsigned int nthreads)
{
	struct vt_workpool pool;
	struct ring r = { .nthreads = nthreads };
	uint64_t next = 0;

	assert_null(vt_workpool_start(&pool, nthreads, SLOTS, square, &r));
	assert_int_equal(pool.nthreads, nthreads);
	for (uint64_t t = 0; t < TICKETS; t++) {
		while (next < TICKETS && vt_workpool_pending(&pool) < SLOTS)
			assert_int_equal(vt_workpool_submit(&pool), next++);
		/* polling (the writer's emit) and waiting agree */
		while (t % 2 && !vt_workpool_done(&pool, t))
			usleep(10);
		vt_workpool_wait(&pool, t);
		assert_true(vt_workpool_done(&pool, t));
		assert_int_equal(r.value[t % SLOTS], t * t);
		vt_workpool_release(&pool);
	}
	vt_workpool_stop(&pool);
	vt_workpool_stop(&pool); /* twice is harmless */
	for (unsigned int t = 0; t < TICKETS; t++)
		assert_int_equal(r.runs[t], 1);
	assert_int_equal(r.bad_worker, 0);
}

static void test_one_worker(void **state)
{
	(void)state;
	run(1);
}

static void test_three_workers(void **state)
{
	(void)state;
	run(3);
}

static void test_stop_with_tickets_queued(void **state)
{
	struct vt_workpool pool;
	struct ring r = { .nthreads = 2 };

	(void)state;
	assert_null(vt_workpool_start(&pool, 2, SLOTS, square, &r));
	for (int i = 0; i < SLOTS; i++)
		vt_workpool_submit(&pool);
	vt_workpool_stop(&pool);
	for (unsigned int t = 0; t < SLOTS; t++)
		assert_true(r.runs[t] <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_worker),
		cmocka_unit_test(test_three_workers),
		cmocka_unit_test(test_stop_with_tickets_queued),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
