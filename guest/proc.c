/* pvos processes: each has its own page table (user text mapped read-only
 * at its kernel address, private data and stack in PML4 slot 1), a kernel
 * thread whose stack takes its system calls, and an exit code for wait.
 * The tables are loaded through pvmon (new_user_baseptr); pvmon switches
 * address space on every entry to and exit from user mode. */
#include "kernel.h"
#include "mm.h"
#include "syscall.h"

#define PTE_P 1ULL
#define PTE_RW 2ULL
#define PTE_US 4ULL
#define MAX_PROCS 64

extern char __user_start[], __user_end[];

struct proc {
	int pid, state, exit_code;
	uint64_t pml4;
	uint64_t data[USER_PAGES];      /* frames of the data/stack pages */
	uint64_t entry, arg;
	struct thread *thread;
	struct waitq waiters;
};
enum { P_FREE, P_RUNNING, P_ZOMBIE };

static struct proc procs[MAX_PROCS];
static int next_pid = 1;

typedef void (*user_fn)(long);
struct user_prog { const char *name; user_fn fn; };
extern const struct user_prog user_programs[];

static uint64_t *table(void)
{
	uint64_t *t = page_alloc(1);
	if (!t)
		panic("out of memory for page tables");
	return t;
}

/* Map one 4 KiB page at va in the table rooted at pml4 (pvos-built). */
static void map_page(uint64_t *pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *t = pml4;
	for (int level = 3; level > 0; level--) {
		unsigned idx = (va >> (12 + 9 * level)) & 511;
		if (!(t[idx] & PTE_P))
			t[idx] = (uint64_t)table() | PTE_P | PTE_RW | PTE_US;
		t = (uint64_t *)(t[idx] & ~0xfffULL);
	}
	t[(va >> 12) & 511] = pa | flags;
}

static void build_space(struct proc *p)
{
	uint64_t *pml4 = table();
	for (uint64_t va = (uint64_t)__user_start; va < (uint64_t)__user_end; va += 4096)
		map_page(pml4, va, va, PTE_P | PTE_US);
	for (uint64_t i = 0; i < start_info->hv_area_pages; i++)
		map_page(pml4, PV_HV_AREA_VA + i * 4096, start_info->hv_area + i * 4096, PTE_P | PTE_US);
	for (int i = 0; i < USER_PAGES; i++) {
		uint64_t *pg = page_alloc(1);
		if (!pg)
			panic("out of memory for process pages");
		p->data[i] = (uint64_t)pg;
		map_page(pml4, USER_DATA + (uint64_t)i * 4096, (uint64_t)pg, PTE_P | PTE_RW | PTE_US);
	}
	p->pml4 = (uint64_t)pml4;
}

void proc_activate(struct proc *p, uint64_t kstack_top);
void proc_activate(struct proc *p, uint64_t kstack_top)
{
	struct pv_multicall_entry mc[2] = {
		{ .op = PV_HC_stack_switch, .args = { kstack_top } },
		{ .op = PV_HC_mmuext_op, .args = { PV_MMUEXT_new_user_baseptr, p->pml4 } },
	};
	long n = HYPERVISOR_multicall(mc, 2);
	if (n != 2 || mc[0].result || mc[1].result)
		panic("cannot activate process %d: %ld/%ld/%ld", p->pid, n, (long)mc[0].result, (long)mc[1].result);
}

/* Kernel side of a new process: leave for user mode through iret. */
static void enter_user(void *arg)
{
	struct proc *p = arg;
	struct pv_frame f;
	memset(&f, 0, sizeof(f));
	f.rip = p->entry;
	f.rsp = USER_STACK_TOP - 8;
	f.rdi = p->arg;
	f.flags = PV_FRAME_USER;
	f.saved_mask = 0;
	long rc = hypercall1(PV_HC_iret, &f);
	panic("cannot enter user mode: %ld", rc);
}

int proc_spawn(const char *prog, uint64_t arg)
{
	const struct user_prog *up = user_programs;
	while (up->name && strcmp(up->name, prog))
		up++;
	if (!up->name)
		return -PV_ENOENT;
	struct proc *p = 0;
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].state == P_FREE) {
			p = &procs[i];
			break;
		}
	if (!p)
		return -PV_EAGAIN;
	memset(p, 0, sizeof(*p));
	p->pid = next_pid++;
	p->state = P_RUNNING;
	p->entry = (uint64_t)up->fn;
	p->arg = arg;
	build_space(p);
	int m = irq_save();
	p->thread = thread_create(prog, enter_user, p);
	thread_set_proc(p->thread, p);
	irq_restore(m);
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

static struct proc *cur_proc(void)
{
	return thread_proc(current_thread());
}

/* A user buffer must lie in the process's data pages or its text. */
static const char *user_ptr(struct proc *p, uint64_t va, uint64_t len)
{
	if (len > 4096 || va + len < va)
		return 0;
	if (va >= USER_DATA && va + len <= USER_STACK_TOP) {
		uint64_t page = (va - USER_DATA) / 4096;
		if ((va + len - 1 - USER_DATA) / 4096 != page)
			return 0;      /* keep it simple: within one page */
		return (const char *)(p->data[page] + (va & 4095));
	}
	if (va >= (uint64_t)__user_start && va + len <= (uint64_t)__user_end)
		return (const char *)va;
	return 0;
}

struct pv_frame *do_syscall(struct pv_frame *f)
{
	struct proc *p = cur_proc();
	if (!p)
		panic("system call from a kernel thread");
	switch (f->rax) {
	case SYS_write: {
		const char *s = user_ptr(p, f->rdi, f->rsi);
		f->rax = s ? (uint64_t)HYPERVISOR_console_write(s, f->rsi) : (uint64_t)-PV_EFAULT;
		break;
	}
	case SYS_exit:
		p->exit_code = (int)f->rdi;
		p->state = P_ZOMBIE;
		wake_all(&p->waiters);
		thread_exit();
	case SYS_getpid:
		f->rax = (uint64_t)p->pid;
		break;
	case SYS_yield:
		yield();
		f->rax = 0;
		break;
	case SYS_sleep:
		sleep_ns(f->rdi);
		f->rax = 0;
		break;
	case SYS_time:
		f->rax = f->rdi == 0 ? system_time() : f->rdi == 1 ? virtual_time() : wall_time();
		break;
	case SYS_null:
		f->rax = 0;
		break;
	default:
		f->rax = (uint64_t)-PV_ENOSYS;
	}
	return f;
}
