// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * crash-tasks.so - a crash 8.0.2 extension that rebuilds crash's task table
 * from the kernel's task list, for kernels whose struct pid has the
 * flexible numbers[] array (upstream 6.5, backported to Debian 12's 6.1).
 *
 * crash 8.0.2 gathers tasks from the pid IDR (an xarray on 6.x). It reads
 * SIZE(pid) bytes of each struct pid and then the namespace of numbers[0];
 * once numbers[] is a flexible array, SIZE(pid) no longer covers
 * numbers[0], the namespace read lands past the data read, no pid matches
 * init_pid_ns and crash keeps only the idle tasks and the tasks running on
 * a CPU ("active task ... not found in PID hash").
 *
 * This module does not touch pids at all: it collects the idle task of
 * every CPU, every task on init_task.tasks and every thread of each of
 * them (signal->thread_head, or thread_group on kernels without it), fills
 * one struct task_context per task from the task_struct, and hands the
 * arrays back to crash, which then sorts them as it does after its own
 * scan. ps, bt, foreach, set and sys see the real tasks.
 *
 * Commands:
 *   tasklist          rebuild the table again and print the task count
 *   mark TEXT...      print "=== TEXT ===", to split batch output
 *
 * Loading the module (extend .../crash-tasks.so) rebuilds the table once.
 *
 * Build: gcc -std=gnu11 -Wall -Wextra -fPIC -shared -nostartfiles \
 *          -DX86_64 -I/usr/include/crash -o crash-tasks.so crash-tasks.c
 */
#include "defs.h"

#define MAX_WALK 4000000 /* bound on list steps: a corrupt list ends here */

struct task_set {
	ulong *task;
	long n, cap;
};

static int set_add(struct task_set *s, ulong task)
{
	if (!task)
		return 0;
	if (s->n == s->cap) {
		long cap = s->cap ? s->cap * 2 : 1024;
		ulong *t = realloc(s->task, (size_t)cap * sizeof(ulong));

		if (!t)
			return -1;
		s->task = t;
		s->cap = cap;
	}
	s->task[s->n++] = task;
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	ulong x = *(const ulong *)a, y = *(const ulong *)b;

	return x < y ? -1 : x > y;
}

/* Sort and drop duplicates (idle task 0 is both idle and list head). */
static void set_unique(struct task_set *s)
{
	long i, j;

	qsort(s->task, (size_t)s->n, sizeof(ulong), cmp_ulong);
	for (i = j = 0; i < s->n; i++)
		if (!j || s->task[j - 1] != s->task[i])
			s->task[j++] = s->task[i];
	s->n = j;
}

static int read_ptr(ulong addr, ulong *val)
{
	return readmem(addr, KVADDR, val, sizeof(ulong), "crash-tasks pointer",
		       RETURN_ON_ERROR | QUIET);
}

/*
 * Walk the circular list whose list_head sits at head; every entry is the
 * list_head at member offset off inside a task_struct. The head itself is
 * added only when it is a task (add_head).
 */
static long walk_tasks(struct task_set *s, ulong head, long off, int add_head)
{
	ulong next;
	long steps = 0;

	if (add_head && set_add(s, head - (ulong)off))
		return -1;
	if (!read_ptr(head, &next))
		return -1;
	while (next && next != head) {
		if (++steps > MAX_WALK)
			return -1;
		if (set_add(s, next - (ulong)off))
			return -1;
		if (!read_ptr(next, &next))
			return -1;
	}
	return steps;
}

struct offsets {
	long tasks, signal, thread_node, thread_head, thread_group;
};

static int get_offsets(struct offsets *o)
{
	o->tasks = MEMBER_OFFSET("task_struct", "tasks");
	o->signal = MEMBER_OFFSET("task_struct", "signal");
	o->thread_node = MEMBER_OFFSET("task_struct", "thread_node");
	o->thread_head = MEMBER_OFFSET("signal_struct", "thread_head");
	o->thread_group = MEMBER_OFFSET("task_struct", "thread_group");
	if (o->tasks < 0)
		return -1;
	if (o->thread_node >= 0 && o->thread_head >= 0 && o->signal >= 0)
		o->thread_group = -1;
	else if (o->thread_group < 0)
		return -1;
	return 0;
}

/* All threads of the thread group led by leader. */
static int add_threads(struct task_set *s, const struct offsets *o,
		       ulong leader)
{
	ulong sig;
	long steps;

	if (o->thread_group >= 0) {
		steps = walk_tasks(s, leader + (ulong)o->thread_group,
				   o->thread_group, 0);
	} else {
		if (!read_ptr(leader + (ulong)o->signal, &sig))
			return -1;
		/* An exiting task may have dropped its signal_struct. */
		if (!sig)
			return 0;
		steps = walk_tasks(s, sig + (ulong)o->thread_head,
				   o->thread_node, 0);
	}
	return steps < 0 ? -1 : 0;
}

static int collect(struct task_set *s)
{
	struct offsets o;
	ulong init_task;
	long i, leaders;

	if (get_offsets(&o)) {
		error(INFO,
		      "crash-tasks: task_struct has no usable task list\n");
		return -1;
	}
	if (!symbol_exists("init_task")) {
		error(INFO, "crash-tasks: no init_task symbol\n");
		return -1;
	}
	for (i = 0; i < kt->cpus; i++)
		if (tt->idle_threads && set_add(s, tt->idle_threads[i]))
			return -1;
	init_task = symbol_value("init_task");
	if (walk_tasks(s, init_task + (ulong)o.tasks, o.tasks, 1) < 0) {
		error(INFO, "crash-tasks: cannot walk init_task.tasks\n");
		return -1;
	}
	leaders = s->n;
	for (i = 0; i < leaders; i++)
		if (add_threads(s, &o, s->task[i]))
			error(INFO, "crash-tasks: cannot walk threads of %lx\n",
			      s->task[i]);
	/* A task running on a CPU must be there even if a list was cut. */
	for (i = 0; i < kt->cpus; i++)
		if (tt->active_set && set_add(s, tt->active_set[i]))
			return -1;
	set_unique(s);
	return 0;
}

static int grow_arrays(long n)
{
	void *tl, *ca, *cbt, *tg;

	if (n <= tt->max_tasks)
		return 0;
	/* crash allocates these with malloc/realloc: keep to that. */
	tl = realloc(tt->task_local, (size_t)n * sizeof(void *));
	if (tl)
		tt->task_local = tl;
	ca = realloc(tt->context_array,
		     (size_t)n * sizeof(struct task_context));
	if (ca)
		tt->context_array = ca;
	cbt = realloc(tt->context_by_task,
		      (size_t)n * sizeof(struct task_context *));
	if (cbt)
		tt->context_by_task = cbt;
	tg = realloc(tt->tgid_array, (size_t)n * sizeof(struct tgid_context));
	if (tg)
		tt->tgid_array = tg;
	if (!tl || !ca || !cbt || !tg)
		return -1;
	tt->max_tasks = (int)n;
	return 0;
}

/* One task_context (and tgid_context) from a task_struct, as crash does. */
static int fill_context(struct task_context *tc, struct tgid_context *tg,
			ulong task)
{
	char *tp = fill_task_struct(task);
	int cpu;

	if (!tp)
		return -1;
	memset(tc, 0, sizeof(*tc));
	tc->task = task;
	tc->pid = (ulong)INT(tp + OFFSET(task_struct_pid));
	memcpy(tc->comm, tp + OFFSET(task_struct_comm), TASK_COMM_LEN);
	tc->comm[TASK_COMM_LEN] = 0;
	if (tt->flags & THREAD_INFO_IN_TASK)
		tc->thread_info = task + OFFSET(task_struct_thread_info);
	else if (tt->flags & THREAD_INFO)
		tc->thread_info = ULONG(tp + OFFSET(task_struct_thread_info));
	if ((tt->flags & THREAD_INFO_IN_TASK) && VALID_MEMBER(task_struct_cpu))
		cpu = INT(tp + OFFSET(task_struct_cpu));
	else if ((tt->flags & THREAD_INFO) && fill_thread_info(tc->thread_info))
		cpu = INT(tt->thread_info + OFFSET(thread_info_cpu));
	else if (VALID_MEMBER(task_struct_cpu))
		cpu = INT(tp + OFFSET(task_struct_cpu));
	else
		cpu = 0;
	tc->processor = cpu;
	tc->ptask = ULONG(tp + OFFSET(task_struct_parent));
	tc->mm_struct = ULONG(tp + OFFSET(task_struct_mm));
	tc->tc_next = NULL;
	tg->tgid = (ulong)INT(tp + OFFSET(task_struct_tgid));
	tg->task = task;
	tg->rss_cache = UNINITIALIZED;
	return 0;
}

/* Rebuild; returns the number of tasks, or -1 with the table unchanged. */
static long rebuild(void)
{
	struct task_set s = { 0 };
	ulong cur = tt->current ? tt->current->task : NO_TASK;
	ulong *tl;
	long i, n = 0;

	if (collect(&s)) {
		free(s.task);
		return -1;
	}
	if (grow_arrays(s.n + TASK_SLUSH)) {
		error(INFO, "crash-tasks: out of memory for %ld tasks\n", s.n);
		free(s.task);
		return -1;
	}
	clear_task_cache();
	tl = tt->task_local;
	memset(tl, 0, (size_t)tt->max_tasks * sizeof(void *));
	for (i = 0; i < s.n; i++) {
		if (fill_context(tt->context_array + n, tt->tgid_array + n,
				 s.task[i])) {
			error(INFO, "crash-tasks: cannot read task %lx\n",
			      s.task[i]);
			continue;
		}
		tl[n++] = s.task[i];
	}
	free(s.task);
	tt->running_tasks = (ulong)n;
	tt->flags &= ~INDEXED_CONTEXTS;
	/* sort_context_array() restores the current context by address. */
	tt->current = tt->context_array;
	for (i = 0; i < n; i++)
		if (tt->context_array[i].task == cur)
			tt->current = tt->context_array + i;
	sort_context_array();
	sort_tgid_array();
	if (tt->panic_task && task_exists(tt->panic_task))
		set_context(tt->panic_task, NO_PID);
	else if (cur != NO_TASK && task_exists(cur))
		set_context(cur, NO_PID);
	return n;
}

static void cmd_tasklist(void)
{
	ulong before = tt->running_tasks;
	long n;

	while (getopt(argcnt, args, "") != EOF)
		cmd_usage(pc->curcmd, SYNOPSIS);
	n = rebuild();
	if (n < 0)
		error(FATAL, "task table not rebuilt\n");
	fprintf(fp, "tasklist: %ld tasks (was %lu)\n", n, before);
}

static void cmd_mark(void)
{
	int i;

	fprintf(fp, "===");
	for (i = 1; i < argcnt; i++)
		fprintf(fp, " %s", args[i]);
	fprintf(fp, " ===\n");
}

static char *help_tasklist[] = {
	"tasklist",
	"rebuild the task table from the kernel's task list",
	" ",
	"  Collects the idle tasks, every task on init_task.tasks and their",
	"  threads, and replaces crash's task table with them. For crash 8.0.2",
	"  on kernels with a flexible struct pid numbers[] array, where crash",
	"  finds only the idle and active tasks. Loading the module already",
	"  did this once.",
	NULL
};

static char *help_mark[] = {
	"mark", "print a marker line", "text ...",
	"  Prints \"=== text ... ===\", to split the output of a batch session.",
	NULL
};

static struct command_table_entry command_table[] = {
	{ "tasklist", cmd_tasklist, help_tasklist, 0 },
	{ "mark", cmd_mark, help_mark, 0 },
	{ NULL, NULL, NULL, 0 }
};

void __attribute__((constructor)) crash_tasks_init(void)
{
	ulong before = tt->running_tasks;
	long n;

	register_extension(command_table);
	n = rebuild();
	if (n < 0)
		fprintf(fp, "crash-tasks: task table not rebuilt\n");
	else
		fprintf(fp, "crash-tasks: %ld tasks (crash found %lu)\n", n,
			before);
}

void __attribute__((destructor)) crash_tasks_fini(void)
{
}
