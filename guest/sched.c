/* Kernel threads with a round-robin scheduler, preempted on the timer tick.
 * A preempted thread's state is the callback frame on its own stack plus
 * the callee-saved registers switch_stack pushed; run-queue changes happen
 * with upcalls masked. */
#include "kernel.h"
#include "mm.h"

enum { T_RUNNABLE, T_RUNNING, T_BLOCKED, T_SLEEPING, T_DEAD };
#define STACK_SIZE (16 * 1024)

struct thread {
	uint64_t sp;
	uint64_t stack_top;
	const char *name;
	int state, id;
	uint64_t wake_at;
	struct thread *next;      /* run queue, sleep list or wait queue */
	struct proc *proc;
};

static struct thread boot_thread = { .name = "main", .state = T_RUNNING };
static struct thread *cur = &boot_thread, *idle;
static struct thread *runq_head, *runq_tail, *sleepers;
static int resched, nthreads = 1, next_id = 1;
/* A dead thread cannot free the stack it runs on: whoever runs next does,
 * and its struct goes on a free list for the next thread_create. */
static struct thread *reap, *free_threads;
uint64_t context_switches;

void switch_stack(uint64_t *save, uint64_t sp);
void thread_trampoline(void);
void proc_activate(struct proc *p, uint64_t kstack_top);

struct thread *current_thread(void) { return cur; }
uint64_t thread_stack_top(struct thread *t) { return t->stack_top; }
void thread_set_proc(struct thread *t, struct proc *p) { t->proc = p; }
struct proc *thread_proc(struct thread *t) { return t->proc; }
int thread_count(void) { return nthreads; }
void need_resched(void) { resched = 1; }

static void runq_add(struct thread *t)
{
	t->state = T_RUNNABLE;
	t->next = 0;
	if (runq_tail)
		runq_tail->next = t;
	else
		runq_head = t;
	runq_tail = t;
}

static struct thread *runq_pop(void)
{
	struct thread *t = runq_head;
	if (t) {
		runq_head = t->next;
		if (!runq_head)
			runq_tail = 0;
	}
	return t;
}

/* Sleepers whose time has come to the run queue; returns the earliest
 * wake_at of those left (0: none). */
static uint64_t wake_sleepers(void)
{
	uint64_t now = system_time(), first = 0;
	for (struct thread **p = &sleepers; *p;) {
		struct thread *t = *p;
		if (t->wake_at <= now) {
			*p = t->next;
			runq_add(t);
		} else {
			if (!first || t->wake_at < first)
				first = t->wake_at;
			p = &t->next;
		}
	}
	return first;
}

static void reap_dead(void)
{
	struct thread *t = reap;
	if (!t || t == cur)
		return;
	reap = 0;
	page_free((void *)(t->stack_top - STACK_SIZE), STACK_SIZE / 4096);
	t->next = free_threads;
	free_threads = t;
}

void schedule(void)
{
	int m = irq_save();
	wake_sleepers();
	struct thread *prev = cur, *next = runq_pop();
	if (prev->state == T_RUNNING && prev != idle) {
		if (!next) {
			irq_restore(m);
			return;               /* nobody else: keep running */
		}
		runq_add(prev);
	}
	if (!next)
		next = idle;
	if (next != prev) {
		context_switches++;
		if (next->proc)
			proc_activate(next->proc, next->stack_top);
		next->state = T_RUNNING;
		cur = next;
		if (prev->state == T_DEAD)
			reap = prev;
		switch_stack(&prev->sp, next->sp);
		reap_dead();
	} else {
		next->state = T_RUNNING;
	}
	irq_restore(m);
}

void resched_if_needed(void)
{
	if (!resched)
		return;
	resched = 0;
	schedule();
}

void yield(void)
{
	schedule();
}

void thread_start(void *arg, void (*fn)(void *));
void thread_start(void *arg, void (*fn)(void *))
{
	reap_dead();
	irq_enable();
	fn(arg);
	thread_exit();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
	int m0 = irq_save();
	struct thread *t = free_threads;
	if (t) {
		free_threads = t->next;
		memset(t, 0, sizeof(*t));
	}
	irq_restore(m0);
	if (!t)
		t = kalloc(sizeof(*t));
	uint8_t *stack = page_alloc(STACK_SIZE / 4096);
	if (!t || !stack)
		panic("out of memory creating thread %s", name);
	t->name = name;
	t->id = next_id++;
	t->stack_top = (uint64_t)stack + STACK_SIZE;
	uint64_t *sp = (uint64_t *)t->stack_top;
	*--sp = 0;                           /* alignment for the trampoline's call */
	*--sp = (uint64_t)thread_trampoline; /* switch_stack returns here */
	*--sp = 0;                           /* rbp */
	*--sp = 0;                           /* rbx */
	*--sp = (uint64_t)fn;                /* r12 */
	*--sp = (uint64_t)arg;               /* r13 */
	*--sp = 0;                           /* r14 */
	*--sp = 0;                           /* r15 */
	t->sp = (uint64_t)sp;
	int m = irq_save();
	nthreads++;
	runq_add(t);
	irq_restore(m);
	return t;
}

void thread_exit(void)
{
	irq_save();
	cur->state = T_DEAD;
	nthreads--;
	schedule();
	panic("dead thread %s was scheduled", cur->name);
}

void sleep_ns(uint64_t ns)
{
	int m = irq_save();
	cur->wake_at = system_time() + ns;
	cur->state = T_SLEEPING;
	cur->next = sleepers;
	sleepers = cur;
	schedule();
	irq_restore(m);
}

void wait_on(struct waitq *q)
{
	int m = irq_save();
	cur->state = T_BLOCKED;
	cur->next = q->head;
	q->head = cur;
	schedule();
	irq_restore(m);
}

void wake_all(struct waitq *q)
{
	int m = irq_save();
	while (q->head) {
		struct thread *t = q->head;
		q->head = t->next;
		runq_add(t);
	}
	irq_restore(m);
}

/* Idle: sleep in pvmon until an event; block unmasks upcalls, so the
 * handler runs (on this stack) and may switch to whoever it woke. */
static void idle_fn(void *arg)
{
	(void)arg;
	for (;;) {
		irq_save();
		uint64_t first = wake_sleepers();
		if (!runq_head) {
			/* With the tick stopped (timer_stop) nothing else would end
			 * a sleep: a one-shot timer for the first sleeper. */
			if (first && !tick_ns)
				HYPERVISOR_set_timer_op(first);
			HYPERVISOR_sched_op(PV_SCHED_block, 0);
			irq_restore(0);
			continue;
		}
		irq_restore(0);
		schedule();
	}
}

void sched_init(void);
void sched_init(void)
{
	idle = thread_create("idle", idle_fn, 0);
	/* idle is not a normal runnable thread: take it off the run queue. */
	int m = irq_save();
	runq_head = runq_tail = 0;
	nthreads--;
	irq_restore(m);
}
