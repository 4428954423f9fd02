/* pvos processes: each with its own address space (space.c), a kernel
 * thread whose stack takes its system calls, and file descriptors
 * (pipe.c); spawn, fork, exec, exit and wait, and the system-call table.
 * A context switch between processes loads the next one's base pointer
 * (traced by pvmon). */
#include "proc.h"
#include "syscall.h"
#include "traps.h"

static struct proc procs[MAX_PROCS];
static int next_pid = 1;

static const struct user_prog *find_user(const char *name)
{
	for (const struct user_prog *up = user_programs; up->name; up++)
		if (!strcmp(up->name, name))
			return up;
	return 0;
}

/* ---- processes ------------------------------------------------------------- */

static struct proc *proc_alloc(void)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == P_FREE) {
			struct proc *p = &procs[i];
			memset(p, 0, sizeof(*p));
			p->pid = next_pid++;
			p->state = P_RUNNING;
			p->mmap_next = USER_MMAP;
			return p;
		}
	return 0;
}

void proc_activate(struct proc *p, uint64_t kstack_top);
void proc_activate(struct proc *p, uint64_t kstack_top)
{
	struct pv_multicall_entry mc[2] = {
		{ .op = PV_HC_stack_switch, .args = { kstack_top } },
		{ .op = PV_HC_mmuext_op, .args = { PV_MMUEXT_new_user_baseptr, p->pml4 } },
	};
	long n = 0, k;
	while (n < 2 && (k = HYPERVISOR_multicall(mc + n, (uint64_t)(2 - n))) > 0)
		n += k;                     /* a batch pvmon preempted: send the rest */
	if (n != 2 || mc[0].result || mc[1].result)
		panic("cannot activate process %d: %ld/%ld/%ld", p->pid, n, (long)mc[0].result, (long)mc[1].result);
}

/* Kernel side of a new process: leave for user mode through iret. */
static void enter_user(void *arg)
{
	struct proc *p = arg;
	struct pv_frame f = p->start;
	long rc = hypercall1(PV_HC_iret, &f);
	panic("cannot enter user mode: %ld", rc);
}

static void start_thread(struct proc *p, const char *name)
{
	int m = irq_save();
	p->thread = thread_create(name, enter_user, p);
	thread_set_proc(p->thread, p);
	irq_restore(m);
}

static void entry_frame(struct pv_frame *f, const struct user_prog *up, uint64_t arg)
{
	memset(f, 0, sizeof(*f));
	f->rip = (uint64_t)up->fn;
	f->rsp = USER_STACK_TOP - 8;
	f->rdi = arg;
	f->flags = PV_FRAME_USER;
}

static uint64_t space_for(void)
{
	uint64_t pml4 = space_new();
	if (!pml4 || map_zeroed(pml4, USER_DATA, USER_PAGES) || space_pin(pml4)) {
		if (pml4)
			panic("cannot build a process address space (pool %lu free, %lu frames free)",
			      (unsigned long)pt_pool_free(), (unsigned long)mm_free_frames());
		return 0;
	}
	return pml4;
}

int proc_spawn(const char *prog, uint64_t arg)
{
	const struct user_prog *up = find_user(prog);
	if (!up)
		return -PV_ENOENT;
	struct proc *p = proc_alloc();
	if (!p)
		return -PV_EAGAIN;
	if (!(p->pml4 = space_for())) {
		p->state = P_FREE;
		return -PV_ENOMEM;
	}
	for (int i = 0; i < 3; i++)
		p->fd[i] = &console_file;
	console_file.refs += 3;
	entry_frame(&p->start, up, arg);
	start_thread(p, up->name);
	return p->pid;
}

int proc_wait(int pid, int *code)
{
	for (int i = 0; i < MAX_PROCS; i++) {
		struct proc *p = &procs[i];
		if (p->pid != pid || p->state == P_FREE)
			continue;
		int m = irq_save();
		while (p->state != P_ZOMBIE)
			wait_on(&p->waiters);
		irq_restore(m);
		*code = p->exit_code;
		p->state = P_FREE;
		return 0;
	}
	return -PV_ESRCH;
}

struct proc *cur_proc(void)
{
	return thread_proc(current_thread());
}

static struct proc *find_pid(int pid)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state != P_FREE && procs[i].pid == pid)
			return &procs[i];
	return 0;
}

/* ---- fork, exec, exit, wait ------------------------------------------------------ */

static long sys_fork(struct proc *p, struct pv_frame *f)
{
	struct proc *c = proc_alloc();
	if (!c)
		return -PV_EAGAIN;
	c->pml4 = space_new();
	if (!c->pml4) {
		c->state = P_FREE;
		return -PV_ENOMEM;
	}
	if (space_copy(p->pml4, c->pml4, p->mmap_next) || space_pin(c->pml4)) {
		space_free(c->pml4, p->mmap_next, 0);
		c->state = P_FREE;
		return -PV_ENOMEM;
	}
	c->ppid = p->pid;
	c->mmap_next = p->mmap_next;
	memcpy(c->maps, p->maps, sizeof(c->maps));
	c->forked = 1;
	/* The open files are shared: a pipe end closes when its last descriptor does. */
	for (int i = 0; i < NFD; i++)
		if ((c->fd[i] = p->fd[i]))
			c->fd[i]->refs++;
	c->start = *f;
	c->start.rax = 0;
	start_thread(c, "forked");
	return c->pid;
}

static long sys_exec(struct proc *p, struct pv_frame *f, uint64_t uname, uint64_t arg)
{
	char name[32];
	int i = 0;
	for (; i < (int)sizeof(name) - 1; i++) {
		if (user_copy(p, &name[i], uname + (uint64_t)i, 1, 0))
			return -PV_EFAULT;
		if (!name[i])
			break;
	}
	name[i] = 0;
	const struct user_prog *up = find_user(name);
	if (!up)
		return -PV_ENOENT;
	uint64_t fresh = space_for(), old = p->pml4, old_hi = p->mmap_next;
	if (!fresh)
		return -PV_ENOMEM;
	p->pml4 = fresh;
	p->mmap_next = USER_MMAP;
	memset(p->maps, 0, sizeof(p->maps));
	proc_activate(p, thread_stack_top(current_thread()));
	space_free(old, old_hi, 1);
	entry_frame(f, up, arg);
	return (long)arg;      /* lands in rdi's twin rax; the program reads rdi */
}

static void sys_exit(struct proc *p, int code) __attribute__((noreturn));
static void sys_exit(struct proc *p, int code)
{
	for (int i = 0; i < NFD; i++) {
		file_put(p->fd[i]);
		p->fd[i] = 0;
	}
	/* Unload the space (pvmon holds a reference while it is the base). */
	HYPERVISOR_mmuext_op(PV_MMUEXT_new_user_baseptr, 0);
	space_free(p->pml4, p->mmap_next, 1);
	p->pml4 = 0;
	p->exit_code = code;
	p->state = P_ZOMBIE;
	wake_all(&p->waiters);
	struct proc *parent = p->ppid ? find_pid(p->ppid) : 0;
	if (parent)
		wake_all(&parent->children);
	thread_exit();
}

static long sys_wait(struct proc *p, long pid, uint64_t ustatus)
{
	int m = irq_save();
	for (;;) {
		int children = 0;
		for (int i = 0; i < MAX_PROCS; i++) {
			struct proc *c = &procs[i];
			if (c->state == P_FREE || c->ppid != p->pid || (pid > 0 && c->pid != pid))
				continue;
			children++;
			if (c->state != P_ZOMBIE)
				continue;
			int code = c->exit_code, cpid = c->pid;
			c->state = P_FREE;
			irq_restore(m);
			if (ustatus && user_copy(p, &code, ustatus, sizeof(code), 1))
				return -PV_EFAULT;
			return cpid;
		}
		if (!children) {
			irq_restore(m);
			return -E_CHILD;
		}
		wait_on(&p->children);
	}
}

struct pv_frame *do_syscall(struct pv_frame *f)
{
	struct proc *p = cur_proc();
	if (!p)
		panic("system call from a kernel thread");
	long r;
	switch (f->rax) {
	case SYS_write:  r = sys_write(p, (int)f->rdi, f->rsi, f->rdx); break;
	case SYS_read:   r = sys_read(p, (int)f->rdi, f->rsi, f->rdx); break;
	case SYS_exit:   sys_exit(p, (int)f->rdi);
	case SYS_getpid: r = p->pid; break;
	case SYS_yield:  yield(); r = 0; break;
	case SYS_sleep:  sleep_ns(f->rdi); r = 0; break;
	case SYS_time:   r = (long)(f->rdi == 0 ? system_time() : f->rdi == 1 ? virtual_time() : wall_time()); break;
	case SYS_null:   r = 0; break;
	case SYS_fork:   r = sys_fork(p, f); break;
	case SYS_exec:   r = sys_exec(p, f, f->rdi, f->rsi); break;
	case SYS_wait:   r = sys_wait(p, (long)f->rdi, f->rsi); break;
	case SYS_pipe:   r = sys_pipe(p, f->rdi); break;
	case SYS_close:
		if ((int)f->rdi < 0 || (int)f->rdi >= NFD || !p->fd[f->rdi]) {
			r = -E_BADF;
		} else {
			file_put(p->fd[f->rdi]);
			p->fd[f->rdi] = 0;
			r = 0;
		}
		break;
	case SYS_mmap:   r = sys_mmap(p, f->rdi, f->rsi); break;
	case SYS_mprotect: r = sys_mprotect(p, f->rdi, f->rsi, f->rdx); break;
	case SYS_munmap: r = sys_munmap(p, f->rdi, f->rsi); break;
	default:         r = -PV_ENOSYS;
	}
	f->rax = (uint64_t)r;
	return f;
}
