/* pvos processes: each has its own address space (user text mapped
 * read-only at its kernel address, private data and stack in PML4 slot 1,
 * mmap in slot 2, the hypervisor area), built and changed only through
 * batched mmu_update (pt.c) and pinned in pvmon once built; a kernel thread
 * whose stack takes its system calls; file descriptors (console, pipes).
 * fork shares the private pages copy-on-write where a fast path delivers
 * page faults to pvos (traps.c), and copies them eagerly on the baseline,
 * where a fault cannot reach pvos. A context switch between processes
 * loads the next one's base pointer (traced by pvmon). */
#include "kernel.h"
#include "mm.h"
#include "syscall.h"
#include "traps.h"

/* A shared copy-on-write page: mapped read-only with this software bit in
 * every space that shares it; cow_refs[frame] counts the sharers beyond
 * the first. The first write (a #PF, or the kernel writing for a system
 * call) copies it, or takes it back read-write when nobody else has it. */
#define PTE_COW (1ULL << 9)
static uint16_t *cow_refs;
uint64_t cow_copies, cow_reuses;

#define MAX_PROCS 64
#define NFD 16
#define PIPE_SIZE 4096

extern char __user_start[], __user_end[];

enum { F_CONSOLE = 1, F_PIPE_R, F_PIPE_W };
struct pipe {
	uint8_t *buf;
	uint32_t head, count;
	int readers, writers;
	struct waitq q;              /* readers and writers both wait here */
};
struct file {
	int kind, refs;
	struct pipe *pipe;
};

#define NMAPS 16
struct region { uint64_t start, end; uint32_t flags; };

struct proc {
	int pid, ppid, state, exit_code;
	uint64_t pml4;
	uint64_t mmap_next;
	struct region maps[NMAPS];   /* mmaps with MMAP_* flags (flags 0 need none) */
	struct file *fd[NFD];
	struct thread *thread;
	struct waitq waiters;        /* the kernel's proc_wait */
	struct waitq children;       /* this process waiting in SYS_wait */
	int forked;
	struct pv_frame start;       /* the user context it starts in */
};
enum { P_FREE, P_RUNNING, P_ZOMBIE };

static struct proc procs[MAX_PROCS];
static int next_pid = 1;
static struct file console_file = { F_CONSOLE, 1, 0 };

typedef void (*user_fn)(long);
struct user_prog { const char *name; user_fn fn; };
extern const struct user_prog user_programs[];

static const struct user_prog *find_user(const char *name)
{
	for (const struct user_prog *up = user_programs; up->name; up++)
		if (!strcmp(up->name, name))
			return up;
	return 0;
}

/* ---- address spaces ------------------------------------------------------ */

/* Text, zeroed data and stack (pvmon maps the hypervisor area in every
 * L4 itself); pinned when built. */
static uint64_t space_new(void)
{
	uint64_t pml4 = pt_alloc();
	if (!pml4)
		return 0;
	int bad = 0;
	for (uint64_t va = (uint64_t)__user_start; va < (uint64_t)__user_end && !bad; va += 4096)
		bad = pt_map(pml4, va, va, PTE_P | PTE_US);
	return bad ? 0 : pml4;
}

static int space_pin(uint64_t pml4)
{
	if (pt_flush())
		return -PV_EINVAL;
	return (int)HYPERVISOR_mmuext_op(PV_MMUEXT_pin_l4_table, pml4);
}

static int map_zeroed(uint64_t pml4, uint64_t va, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		void *pg = page_alloc(1);
		if (!pg)
			return -PV_ENOMEM;
		if (pt_map(pml4, va + i * 4096, (uint64_t)pg, PTE_P | PTE_RW | PTE_US)) {
			page_free(pg, 1);
			return -PV_ENOMEM;
		}
	}
	return 0;
}

/* Every private page (read-write, or shared copy-on-write) of a range:
 * visit(va, frame). */
static void each_private(uint64_t pml4, uint64_t lo, uint64_t hi, void (*visit)(uint64_t, uint64_t, void *), void *arg)
{
	for (uint64_t va = lo; va < hi;) {
		uint64_t slot = pt_slot(pml4, va, 0);
		if (!slot) {
			va = ((va >> 21) + 1) << 21;     /* no L1 here: skip its 2 MiB */
			continue;
		}
		uint64_t e = pt_read(slot);
		if ((e & PTE_P) && (e & (PTE_RW | PTE_COW)))
			visit(va, e & PTE_ADDR, arg);
		va += 4096;
	}
}

/* One space lets go of a private frame: freed unless others share it. */
static void frame_release(uint64_t frame)
{
	if (cow_refs && cow_refs[frame / 4096]) {
		cow_refs[frame / 4096]--;
		return;
	}
	page_free((void *)frame, 1);
}

static void free_frame(uint64_t va, uint64_t frame, void *arg)
{
	(void)va;
	(void)arg;
	frame_release(frame);
}

/* Free an address space (no longer loaded) and its private frames below
 * mmap_hi; pinned says whether pvmon holds it validated. */
static void space_free(uint64_t pml4, uint64_t mmap_hi, int pinned)
{
	pt_flush();
	each_private(pml4, USER_DATA, USER_STACK_TOP, free_frame, 0);
	each_private(pml4, USER_MMAP, mmap_hi, free_frame, 0);
	pt_destroy(pml4, pinned);
}

struct copy_ctx { uint64_t child; int err; };
static void copy_frame(uint64_t va, uint64_t frame, void *arg)
{
	struct copy_ctx *c = arg;
	void *pg = c->err ? 0 : page_alloc(1);
	if (!pg) {
		c->err = -PV_ENOMEM;
		return;
	}
	memcpy(pg, (void *)frame, 4096);
	if (pt_map(c->child, va, (uint64_t)pg, PTE_P | PTE_RW | PTE_US))
		c->err = -PV_ENOMEM;
}

/* fork, copy-on-write: every private page of the parent in [lo, hi) is
 * mapped read-only and shared in both. */
static int share_range(uint64_t parent, uint64_t child, uint64_t lo, uint64_t hi)
{
	for (uint64_t va = lo; va < hi;) {
		uint64_t slot = pt_slot(parent, va, 0);
		if (!slot) {
			va = ((va >> 21) + 1) << 21;
			continue;
		}
		uint64_t e = pt_read(slot);
		if ((e & PTE_P) && (e & (PTE_RW | PTE_COW))) {
			uint64_t shared = (e & PTE_ADDR) | PTE_P | PTE_US | PTE_COW;
			if (cow_refs[(e & PTE_ADDR) / 4096] == UINT16_MAX || pt_map(child, va, e & PTE_ADDR, shared & ~PTE_ADDR))
				return -PV_ENOMEM;
			cow_refs[(e & PTE_ADDR) / 4096]++;
			if (e & PTE_RW)
				pt_set(slot, shared);
		}
		va += 4096;
	}
	return 0;
}

/* The write to a shared page that p is about to make: its own copy, or the
 * page itself when p is the last sharer. 0 or -errno. */
static int cow_break(struct proc *p, uint64_t va)
{
	uint64_t slot = pt_slot(p->pml4, va, 0);
	uint64_t e = slot ? pt_read(slot) : 0;
	if (!(e & PTE_P) || !(e & PTE_COW))
		return -PV_EFAULT;
	uint64_t frame = e & PTE_ADDR;
	if (cow_refs[frame / 4096]) {
		void *pg = page_take();
		if (!pg)
			return -PV_ENOMEM;
		memcpy(pg, (void *)frame, 4096);
		cow_refs[frame / 4096]--;
		frame = (uint64_t)pg;
		cow_copies++;
	} else {
		cow_reuses++;
	}
	/* Gaining write access needs no TLB flush: a stale read-only entry
	 * only faults again, and the fault reloads it. */
	pt_set(slot, frame | PTE_P | PTE_RW | PTE_US);
	return pt_flush() ? -PV_EFAULT : 0;
}

static struct proc *cur_proc(void);

/* #PF from user mode writing a present page: copy-on-write if it is one. */
static int cow_fault(struct pv_frame *f)
{
	struct proc *p = cur_proc();
	if (!(f->flags & PV_FRAME_USER) || (f->error_code & 7) != 7 || !p)
		return 0;
	return cow_break(p, f->fault_addr & ~4095ULL) == 0;
}

static struct region *region_of(struct proc *p, uint64_t va)
{
	for (int i = 0; i < NMAPS; i++)
		if (p->maps[i].flags && va >= p->maps[i].start && va < p->maps[i].end)
			return &p->maps[i];
	return 0;
}

uint64_t lazy_faults, write_fixes;

/* #PF from user mode in an mmap with flags: a frame for a lazy page, or
 * write access back for a page mprotect made read-only. */
static int mmap_fault(struct pv_frame *f)
{
	struct proc *p = cur_proc();
	struct region *r = p && (f->flags & PV_FRAME_USER) ? region_of(p, f->fault_addr) : 0;
	uint64_t va = f->fault_addr & ~4095ULL;
	if (!r)
		return 0;
	if (!(f->error_code & 1) && (r->flags & MMAP_LAZY)) {
		void *pg = page_alloc(1);
		if (!pg || pt_map(p->pml4, va, (uint64_t)pg, PTE_P | PTE_RW | PTE_US) || pt_flush())
			return 0;
		lazy_faults++;
		return 1;
	}
	uint64_t slot = pt_slot(p->pml4, va, 0), e = slot ? pt_read(slot) : 0;
	if ((f->error_code & 3) == 3 && (r->flags & MMAP_FIXWRITE) && (e & PTE_P) && !(e & PTE_COW)) {
		pt_set(slot, e | PTE_RW);        /* gaining rights: no flush needed */
		write_fixes++;
		return pt_flush() == 0;
	}
	return 0;
}

void proc_init(void)
{
	if (!traps_delivered())
		return;                      /* eager copies: no fault would reach us */
	cow_refs = kalloc(start_info->nr_pages * sizeof(*cow_refs));
	if (!cow_refs || trap_add(14, cow_fault) || trap_add(14, mmap_fault))
		panic("cannot set up copy-on-write");
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

static struct proc *cur_proc(void)
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

/* ---- user memory ------------------------------------------------------------ */

/* Kernel pointer to user va for len bytes within one page, or 0. */
static uint8_t *user_page(struct proc *p, uint64_t va, int write)
{
	if (va >= (1ULL << 47))
		return 0;
	uint64_t e = pt_lookup(p->pml4, va);
	if (write && (e & PTE_P) && (e & PTE_COW) && !cow_break(p, va & ~4095ULL))
		e = pt_lookup(p->pml4, va);
	if (!(e & PTE_P) || !(e & PTE_US) || (write && !(e & PTE_RW)))
		return 0;
	return (uint8_t *)((e & PTE_ADDR) + (va & 4095));
}

static int user_copy(struct proc *p, void *kbuf, uint64_t va, uint64_t len, int to_user)
{
	uint8_t *k = kbuf;
	while (len) {
		uint64_t chunk = 4096 - (va & 4095);
		if (chunk > len)
			chunk = len;
		uint8_t *u = user_page(p, va, to_user);
		if (!u)
			return -PV_EFAULT;
		if (to_user)
			memcpy(u, k, chunk);
		else
			memcpy(k, u, chunk);
		k += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

/* ---- files --------------------------------------------------------------------- */

static void file_put(struct file *f)
{
	if (!f || --f->refs > 0 || f->kind == F_CONSOLE)
		return;
	struct pipe *pp = f->pipe;
	if (f->kind == F_PIPE_R)
		pp->readers--;
	else
		pp->writers--;
	wake_all(&pp->q);
	if (!pp->readers && !pp->writers)
		page_free(pp->buf, 1);
}

static long sys_pipe(struct proc *p, uint64_t ufds)
{
	int a = -1, b = -1;
	for (int i = 0; i < NFD; i++)
		if (!p->fd[i]) {
			if (a < 0)
				a = i;
			else if (b < 0)
				b = i;
		}
	if (b < 0)
		return -PV_ENOSPC;
	struct pipe *pp = kalloc(sizeof(*pp));
	struct file *r = kalloc(sizeof(*r)), *w = kalloc(sizeof(*w));
	uint8_t *buf = page_alloc(1);
	if (!pp || !r || !w || !buf)
		return -PV_ENOMEM;
	*pp = (struct pipe){ .buf = buf, .readers = 1, .writers = 1 };
	*r = (struct file){ F_PIPE_R, 1, pp };
	*w = (struct file){ F_PIPE_W, 1, pp };
	int fds[2] = { a, b };
	if (user_copy(p, fds, ufds, sizeof(fds), 1)) {
		page_free(buf, 1);
		return -PV_EFAULT;
	}
	p->fd[a] = r;
	p->fd[b] = w;
	return 0;
}

static uint8_t bounce[4096];

static long pipe_write(struct proc *p, struct pipe *pp, uint64_t va, uint64_t len)
{
	uint64_t done = 0;
	int m = irq_save();
	while (done < len) {
		while (pp->count == PIPE_SIZE && pp->readers)
			wait_on(&pp->q);
		if (!pp->readers) {
			irq_restore(m);
			return done ? (long)done : -E_PIPE;
		}
		uint64_t n = PIPE_SIZE - pp->count;
		if (n > len - done)
			n = len - done;
		uint32_t tail = (pp->head + pp->count) % PIPE_SIZE;
		if (n > PIPE_SIZE - tail)
			n = PIPE_SIZE - tail;
		if (user_copy(p, pp->buf + tail, va + done, n, 0)) {
			irq_restore(m);
			return done ? (long)done : -PV_EFAULT;
		}
		pp->count += (uint32_t)n;
		done += n;
		wake_all(&pp->q);
	}
	irq_restore(m);
	return (long)done;
}

static long pipe_read(struct proc *p, struct pipe *pp, uint64_t va, uint64_t len)
{
	int m = irq_save();
	while (!pp->count && pp->writers)
		wait_on(&pp->q);
	uint64_t n = pp->count < len ? pp->count : len;
	if (n > PIPE_SIZE - pp->head)
		n = PIPE_SIZE - pp->head;
	long rc = user_copy(p, pp->buf + pp->head, va, n, 1);
	if (!rc) {
		pp->head = (pp->head + (uint32_t)n) % PIPE_SIZE;
		pp->count -= (uint32_t)n;
		rc = (long)n;
	}
	wake_all(&pp->q);
	irq_restore(m);
	return rc;
}

static long sys_write(struct proc *p, int fd, uint64_t va, uint64_t len)
{
	struct file *f = fd >= 0 && fd < NFD ? p->fd[fd] : 0;
	if (!f || f->kind == F_PIPE_R)
		return -E_BADF;
	if (f->kind == F_PIPE_W)
		return pipe_write(p, f->pipe, va, len);
	if (len > sizeof(bounce))
		len = sizeof(bounce);
	if (user_copy(p, bounce, va, len, 0))
		return -PV_EFAULT;
	return HYPERVISOR_console_write((const char *)bounce, len);
}

static long sys_read(struct proc *p, int fd, uint64_t va, uint64_t len)
{
	struct file *f = fd >= 0 && fd < NFD ? p->fd[fd] : 0;
	if (!f || f->kind == F_PIPE_W)
		return -E_BADF;
	return f->kind == F_PIPE_R ? pipe_read(p, f->pipe, va, len) : 0;
}

/* ---- fork, exec, exit, wait ------------------------------------------------------ */

static long sys_fork(struct proc *p, struct pv_frame *f)
{
	struct proc *c = proc_alloc();
	if (!c)
		return -PV_EAGAIN;
	struct copy_ctx ctx = { space_new(), 0 };
	if (!ctx.child) {
		c->state = P_FREE;
		return -PV_ENOMEM;
	}
	c->pml4 = ctx.child;
	if (cow_refs) {
		/* Both spaces lose write access to the pages: flush before the
		 * parent writes again. */
		ctx.err = share_range(p->pml4, c->pml4, USER_DATA, USER_STACK_TOP);
		if (!ctx.err)
			ctx.err = share_range(p->pml4, c->pml4, USER_MMAP, p->mmap_next);
		if (pt_flush())
			ctx.err = -PV_ENOMEM;
		tlb_flush();
	} else {
		each_private(p->pml4, USER_DATA, USER_STACK_TOP, copy_frame, &ctx);
		each_private(p->pml4, USER_MMAP, p->mmap_next, copy_frame, &ctx);
	}
	if (ctx.err || space_pin(c->pml4)) {
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

/* ---- mmap ---------------------------------------------------------------------- */

static long sys_mmap(struct proc *p, uint64_t len, uint64_t flags)
{
	uint64_t pages = (len + 4095) / 4096;
	if (!pages || pages > (USER_MMAP_END - p->mmap_next) / 4096 - 1)
		return -PV_EINVAL;
	if ((flags & ~(uint64_t)(MMAP_LAZY | MMAP_FIXWRITE)) || (flags && !traps_delivered()))
		return -PV_EINVAL;       /* only page faults make these work */
	uint64_t va = p->mmap_next;
	if (flags) {
		struct region *r = 0;
		for (int i = 0; i < NMAPS && !r; i++)
			if (!p->maps[i].flags)
				r = &p->maps[i];
		if (!r)
			return -PV_ENOSPC;
		*r = (struct region){ va, va + pages * 4096, (uint32_t)flags };
	}
	if (!(flags & MMAP_LAZY) && (map_zeroed(p->pml4, va, pages) || pt_flush())) {
		pt_flush();
		for (uint64_t i = 0; i < pages; i++) {
			uint64_t old = pt_unmap(p->pml4, va + i * 4096);
			if (old & PTE_P)
				page_free((void *)(old & PTE_ADDR), 1);
		}
		pt_flush();
		return -PV_ENOMEM;
	}
	p->mmap_next += (pages + 1) * 4096;       /* a guard page between maps */
	return (long)va;
}

static long sys_munmap(struct proc *p, uint64_t va, uint64_t len)
{
	uint64_t pages = (len + 4095) / 4096;
	if ((va & 4095) || va < USER_MMAP || va >= USER_MMAP_END || pages > (USER_MMAP_END - va) / 4096)
		return -PV_EINVAL;
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t old = pt_unmap(p->pml4, va + i * 4096);
		if (old & PTE_P)
			frame_release(old & PTE_ADDR);
	}
	if (pt_flush())
		return -PV_EINVAL;
	tlb_flush();
	for (int i = 0; i < NMAPS; i++)
		if (p->maps[i].flags && p->maps[i].start >= va && p->maps[i].end <= va + pages * 4096)
			p->maps[i].flags = 0;
	return 0;
}

static long sys_mprotect(struct proc *p, uint64_t va, uint64_t len, uint64_t writable)
{
	uint64_t pages = (len + 4095) / 4096;
	if ((va & 4095) || va < USER_MMAP || va >= USER_MMAP_END || pages > (USER_MMAP_END - va) / 4096 ||
	    writable > 1)
		return -PV_EINVAL;
	int lost = 0;
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t slot = pt_slot(p->pml4, va + i * 4096, 0), e = slot ? pt_read(slot) : 0;
		if (!(e & PTE_P) || (e & PTE_COW))
			continue;                /* shared copy-on-write pages keep their state */
		uint64_t ne = writable ? e | PTE_RW : e & ~PTE_RW;
		if (ne != e) {
			pt_set(slot, ne);
			lost |= !writable;
		}
	}
	if (pt_flush())
		return -PV_EINVAL;
	if (lost)
		tlb_flush();                     /* a right taken away must not outlive the call */
	return 0;
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
