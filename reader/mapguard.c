// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Read-only file mappings that survive a failing read: see mapguard.h.
 *
 * The SIGBUS handler maps an anonymous zero page over the page that failed
 * (the faulting load then reads zeros), notes the page and bumps a counter.
 * Everything it touches is a lock-free atomic or a syscall, so it is safe
 * on any thread at any point. A SIGBUS outside every guarded mapping, or
 * one sent by kill(), gets the previous disposition back and is raised
 * again: it kills the process as it would have without us.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mapguard.h"

#define MG_REGIONS 16
#define MG_BAD 256

static struct {
	_Atomic uintptr_t base, len; /* len 0: free */
} regions[MG_REGIONS];
static _Atomic uintptr_t bad[MG_BAD];
static _Atomic unsigned int nbad; /* pages failed, listed or not */
static uintptr_t page_mask;
static struct sigaction previous;
/* guards the regions against each other, never taken by the handler */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool installed;

/* The guarded mapping holding address @a: its slot, or -1. */
static int region_of(uintptr_t a)
{
	for (int i = 0; i < MG_REGIONS; i++) {
		uintptr_t len = atomic_load(&regions[i].len);
		uintptr_t base = atomic_load(&regions[i].base);

		if (len && a >= base && a - base < len)
			return i;
	}
	return -1;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr & ~page_mask;
	unsigned int i;

	(void)uc;
	if (si->si_code <= 0 || region_of(a) < 0 ||
	    mmap((void *)a, page_mask + 1, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED) {
		sigaction(SIGBUS, &previous, NULL);
		if (si->si_code <= 0)
			raise(sig);
		return; /* the load faults again, now as it would have */
	}
	i = atomic_fetch_add(&nbad, 1);
	if (i < MG_BAD)
		atomic_store(&bad[i], a);
}

/* Under the lock. */
static bool install(void)
{
	struct sigaction sa;

	if (installed)
		return true;
	page_mask = (uintptr_t)sysconf(_SC_PAGESIZE) - 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	installed = sigaction(SIGBUS, &sa, &previous) == 0;
	return installed;
}

const void *vt_mapguard_map(int fd, uint64_t off, uint64_t size)
{
	void *p = MAP_FAILED;
	int i;

	if (!size || size > SIZE_MAX || off > (uint64_t)INT64_MAX)
		return NULL;
	pthread_mutex_lock(&lock);
	for (i = 0; i < MG_REGIONS && atomic_load(&regions[i].len); i++)
		;
	if (i < MG_REGIONS && install())
		p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd,
			 (off_t)off);
	if (p != MAP_FAILED) {
		atomic_store(&regions[i].base, (uintptr_t)p);
		atomic_store(&regions[i].len, (uintptr_t)size);
	}
	pthread_mutex_unlock(&lock);
	return p == MAP_FAILED ? NULL : p;
}

void vt_mapguard_unmap(const void *p, uint64_t size)
{
	int i;

	if (!p)
		return;
	pthread_mutex_lock(&lock);
	i = region_of((uintptr_t)p);
	if (i >= 0)
		atomic_store(&regions[i].len, 0);
	munmap((void *)p, (size_t)size);
	/* a later mapping at these addresses has not failed (yet) */
	for (unsigned int j = 0; j < MG_BAD && j < atomic_load(&nbad); j++) {
		uintptr_t b = atomic_load(&bad[j]);

		if (b >= (uintptr_t)p && b - (uintptr_t)p < size)
			atomic_store(&bad[j], 0);
	}
	pthread_mutex_unlock(&lock);
}

void vt_mapguard_release(const void *p, size_t len)
{
	/*
	 * A fault maps its neighbours too: fault-around (64 KiB) and, on a
	 * page cache of large folios, the whole folio (up to 2 MiB, aligned)
	 */
	const uintptr_t around = (2u << 20) - 1;
	uintptr_t a = (uintptr_t)p & ~around;
	uintptr_t end = ((uintptr_t)p + len + around) & ~around;
	int i = p && len ? region_of((uintptr_t)p) : -1;
	uintptr_t base, top;

	if (i < 0)
		return;
	base = atomic_load(&regions[i].base);
	top = (base + atomic_load(&regions[i].len) + page_mask) & ~page_mask;
	a = a < base ? base : a;
	end = end > top ? top : end;
	(void)madvise((void *)a, end - a, MADV_DONTNEED);
}

bool vt_mapguard_failed(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, n = atomic_load(&nbad);

	if (n > MG_BAD)
		return true; /* too many to list: trust none */
	for (uintptr_t i = 0; i < n; i++) {
		uintptr_t b = atomic_load(&bad[i]);

		/* a slot taken but not yet filled reads as 0: not ours */
		if (b + page_mask + 1 > a && b < a + len)
			return true;
	}
	return false;
}
