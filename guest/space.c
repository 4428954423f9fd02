/* pvos address spaces: each process's own page table (user text mapped
 * read-only at its kernel address, private data and stack in PML4 slot 1,
 * mmap in slot 2; pvmon adds the hypervisor area), built and changed only
 * through batched mmu_update (pt.c) and pinned once built; fork's
 * copy-on-write where a fast path delivers page faults to pvos (traps.c),
 * an eager copy on the baseline; lazy and write-protected mmap regions;
 * the kernel's reads and writes of user memory. */
#include "proc.h"
#include "syscall.h"
#include "traps.h"

uint16_t *cow_refs;
uint64_t cow_copies, cow_reuses;

/* ---- address spaces ------------------------------------------------------ */

/* Text, zeroed data and stack (pvmon maps the hypervisor area in every
 * L4 itself); pinned when built. */
uint64_t space_new(void)
{
	uint64_t pml4 = pt_alloc();
	if (!pml4)
		return 0;
	int bad = 0;
	for (uint64_t va = (uint64_t)__user_start; va < (uint64_t)__user_end && !bad; va += 4096)
		bad = pt_map(pml4, va, va, PTE_P | PTE_US);
	return bad ? 0 : pml4;
}

int space_pin(uint64_t pml4)
{
	if (pt_flush())
		return -PV_EINVAL;
	return (int)HYPERVISOR_mmuext_op(PV_MMUEXT_pin_l4_table, pml4);
}

int map_zeroed(uint64_t pml4, uint64_t va, uint64_t pages)
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
void space_free(uint64_t pml4, uint64_t mmap_hi, int pinned)
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

/* Fork's copy of the private pages (data, stack, mmap) of parent into the
 * new space child: shared copy-on-write where page faults reach pvos,
 * copied now on the baseline. 0 or -errno. */
int space_copy(uint64_t parent, uint64_t child, uint64_t mmap_next)
{
	struct copy_ctx ctx = { child, 0 };
	if (!cow_refs) {
		each_private(parent, USER_DATA, USER_STACK_TOP, copy_frame, &ctx);
		each_private(parent, USER_MMAP, mmap_next, copy_frame, &ctx);
		return ctx.err;
	}
	/* Both spaces lose write access to the pages: flush before the parent
	 * writes again. */
	int err = share_range(parent, child, USER_DATA, USER_STACK_TOP);
	if (!err)
		err = share_range(parent, child, USER_MMAP, mmap_next);
	if (pt_flush())
		err = -PV_ENOMEM;
	tlb_flush();
	return err;
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

int user_copy(struct proc *p, void *kbuf, uint64_t va, uint64_t len, int to_user)
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

/* ---- mmap ---------------------------------------------------------------------- */

long sys_mmap(struct proc *p, uint64_t len, uint64_t flags)
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

long sys_munmap(struct proc *p, uint64_t va, uint64_t len)
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

long sys_mprotect(struct proc *p, uint64_t va, uint64_t len, uint64_t writable)
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

