/* A hostile guest for the memory rules: every page-table, pin, base
 * pointer and balloon request that breaks a rule must be refused with the
 * expected error, and the kernel must still work afterwards (pvmon checks
 * its own accounting at the end when PVLAB_MM_CHECK is set). */
#include "kernel.h"
#include "mm.h"

static struct tally tally = { "hostile_mm", 0, 0 };
#define expect(what, got, want) tally_expect(&tally, what, got, want)

#define RW (PTE_P | PTE_RW | PTE_US)

/* One mmu_update; returns the request's status (or the call's error). */
static long update(uint64_t ptr, uint64_t val)
{
	struct pv_mmu_update r = { ptr, val };
	int32_t st = 12345;
	long n = HYPERVISOR_mmu_update(&r, 1, &st);
	return n == 1 ? st : n;
}

static long mmuext(uint64_t cmd, uint64_t arg) { return HYPERVISOR_mmuext_op(cmd, arg); }

static long reservation(uint64_t cmd, uint64_t gfn)
{
	struct pv_memory_reservation r = { (uint64_t)&gfn, 1, 0 };
	return HYPERVISOR_memory_op(cmd, &r);
}

int prog_hostile_mm(void);
int prog_hostile_mm(void)
{
	uint64_t ram_end = start_info->nr_pages * 4096, pool = start_info->pt_pool_base;
	uint64_t l4 = kernel_pml4;
	uint64_t kl1 = pt_slot(l4, 0x200000, 0);        /* the kernel's L1 entry for va 2 MiB */
	uint64_t kl1_frame = kl1 & ~4095ULL;
	uint64_t free1 = pt_alloc(), free2 = pt_alloc();

	/* The hypervisor area's slot is pvmon's in every L4: no update, and
	 * whatever a frame held there when it becomes an L4 is replaced. */
	uint64_t hv_l4e = pt_read(l4 + PV_HV_L4_SLOT * 8);
	expect("the kernel L4 has the hypervisor slot", (long)(hv_l4e & PTE_P), PTE_P);
	expect("repoint the hypervisor slot", update(l4 + PV_HV_L4_SLOT * 8, free1 | RW), -PV_EPERM);
	expect("clear the hypervisor slot", update(l4 + PV_HV_L4_SLOT * 8, 0), -PV_EPERM);
	expect("a free frame's slot 255", update(free1 + PV_HV_L4_SLOT * 8, free2 | RW), 0);
	expect("pin it as an L4", mmuext(PV_MMUEXT_pin_l4_table, free1), 0);
	expect("  its slot is pvmon's", pt_read(free1 + PV_HV_L4_SLOT * 8) == hv_l4e, 1);
	expect("  its own L3 was not taken", mmuext(PV_MMUEXT_pin_l1_table, free2), 0);
	expect("  unpin that", mmuext(PV_MMUEXT_unpin_table, free2), 0);
	expect("unpin the L4", mmuext(PV_MMUEXT_unpin_table, free1), 0);
	expect("  its slot is empty again", (long)pt_read(free1 + PV_HV_L4_SLOT * 8), 0);
	expect("clear it", mmuext(PV_MMUEXT_clear_frame, free1), 0);

	/* Where a request may point. */
	expect("ptr in RAM", update(0x10000, 0), -PV_EFAULT);
	expect("ptr misaligned", update(kl1 + 1, 0), -PV_EINVAL);
	expect("ptr in the hypervisor area", update(pool, 0), -PV_EPERM);
	expect("ptr past the pool", update(pool + start_info->pt_pool_frames * 4096, 0), -PV_EFAULT);
	/* What an entry may name. */
	expect("upper-half L4 entry", update(l4 + 256 * 8, free1 | RW), -PV_EPERM);
	expect("L4 entry naming RAM as a table", update(l4 + 200 * 8, 0x400000 | RW), -PV_EINVAL);
	expect("L4 entry naming the L4 itself", update(l4 + 200 * 8, l4 | RW), -PV_EBUSY);
	expect("L4 entry naming an L1", update(l4 + 200 * 8, kl1_frame | RW), -PV_EBUSY);
	expect("L4 entry naming the hypervisor area", update(l4 + 200 * 8, pool | RW), -PV_EINVAL);
	expect("leaf past RAM", update(kl1, ram_end | RW), -PV_EINVAL);
	expect("leaf in the hole after RAM", update(kl1, (ram_end + 4096) | RW), -PV_EINVAL);
	expect("leaf far outside the domain", update(kl1, (1ULL << 40) | RW), -PV_EINVAL);
	/* The L2 entry over va 0..1 GiB that holds the kernel's L1 tables. */
	uint64_t l3 = pt_read(l4) & PTE_ADDR, l2 = pt_read(l3) & PTE_ADDR;
	expect("1 GiB page", update(l3 + 5 * 8, PTE_PS | RW), -PV_EINVAL);
	expect("2 MiB page past RAM", update(l2 + 500 * 8, (ram_end & ~0x1fffffULL) | PTE_PS | RW), -PV_EINVAL);
	expect("L2 entry naming an L4", update(l2 + 500 * 8, l4 | RW), -PV_EBUSY);
	/* The kernel's tables are unchanged after all that. */
	expect("kernel entry intact", (long)(pt_read(kl1) & PTE_ADDR), 0x200000);

	/* Leaves naming pool frames, in an L1 of its own (free2, pinned). Behind
	 * a read-only slot a writable mapping is harmless (writes trap); where
	 * the slot is writable (PV_SIF_pt_ro_maps) it must be refused. */
	long rw_pool = (start_info->flags & PV_SIF_pt_ro_maps) ? -PV_EPERM : 0;
	uint64_t ro = PTE_P | PTE_US, after_pool = pool + ((start_info->pt_pool_frames + 1) & ~1ULL) * 4096;
	expect("pin an empty L1", mmuext(PV_MMUEXT_pin_l1_table, free2), 0);
	expect("leaf naming a live L1, read-only", update(free2, kl1_frame | ro), 0);
	expect("leaf naming a live L1, writable", update(free2 + 8, kl1_frame | RW), rw_pool);
	expect("leaf naming the L4, writable", update(free2 + 16, l4 | RW), rw_pool);
	expect("leaf naming the hypervisor area, writable", update(free2 + 24, pool | RW), rw_pool);
	expect("leaf naming the first L4 twin", update(free2 + 32, after_pool | ro), -PV_EINVAL);
	for (int i = 0; i < 5; i++)
		update(free2 + (uint64_t)i * 8, 0);
	expect("unpin it", mmuext(PV_MMUEXT_unpin_table, free2), 0);
	/* The same writable leaf written while free is checked when it takes a type. */
	expect("a free frame holds anything", update(free2, kl1_frame | RW), 0);
	expect("pin it as L1", mmuext(PV_MMUEXT_pin_l1_table, free2), rw_pool);
	if (!rw_pool)
		expect("unpin it", mmuext(PV_MMUEXT_unpin_table, free2), 0);
	expect("clear it", mmuext(PV_MMUEXT_clear_frame, free2), 0);

	/* Batches. */
	struct pv_mmu_update r[2] = { { kl1, 0x200000 | RW }, { 0x10000, 0 } };
	int32_t st[2];
	expect("count 0", HYPERVISOR_mmu_update(r, 0, st), -PV_EINVAL);
	expect("count too big", HYPERVISOR_mmu_update(r, PV_MMU_UPDATE_MAX + 1, st), -PV_EINVAL);
	expect("requests at a bad pointer", HYPERVISOR_mmu_update((void *)(ram_end + 4096), 1, st), -PV_EFAULT);
	expect("status at a bad pointer", HYPERVISOR_mmu_update(r, 1, (int32_t *)(ram_end + 4096)), -PV_EFAULT);
	expect("status into the read-only pool", HYPERVISOR_mmu_update(r, 1, (int32_t *)pool), -PV_EFAULT);
	expect("a batch of one good, one bad", HYPERVISOR_mmu_update(r, 2, st), 2);
	expect("  its good request", st[0], 0);
	expect("  its bad request", st[1], -PV_EFAULT);

	/* Pins, base pointers, clears, flushes. */
	expect("pin RAM", mmuext(PV_MMUEXT_pin_l1_table, 0x400000), -PV_EINVAL);
	expect("pin misaligned", mmuext(PV_MMUEXT_pin_l1_table, free1 + 8), -PV_EINVAL);
	expect("pin a free frame as L1", mmuext(PV_MMUEXT_pin_l1_table, free1), 0);
	expect("pin it twice", mmuext(PV_MMUEXT_pin_l1_table, free1), -PV_EBUSY);
	expect("pin it as L2 too", mmuext(PV_MMUEXT_pin_l2_table, free1), -PV_EBUSY);
	expect("clear a typed frame", mmuext(PV_MMUEXT_clear_frame, free1), -PV_EBUSY);
	expect("base pointer to an L1", mmuext(PV_MMUEXT_new_baseptr, free1), -PV_EBUSY);
	expect("base pointer to RAM", mmuext(PV_MMUEXT_new_baseptr, 0x400000), -PV_EINVAL);
	expect("base pointer 0", mmuext(PV_MMUEXT_new_baseptr, 0), -PV_EINVAL);
	expect("unpin it", mmuext(PV_MMUEXT_unpin_table, free1), 0);
	expect("unpin it again", mmuext(PV_MMUEXT_unpin_table, free1), -PV_EINVAL);
	expect("unpin a frame never pinned", mmuext(PV_MMUEXT_unpin_table, free2), -PV_EINVAL);
	expect("user base pointer to an empty L4", mmuext(PV_MMUEXT_new_user_baseptr, free2), 0);
	expect("user base pointer dropped", mmuext(PV_MMUEXT_new_user_baseptr, 0), 0);
	expect("invlpg of the upper half", mmuext(PV_MMUEXT_invlpg_local, 1ULL << 47), -PV_EINVAL);
	expect("unknown mmuext command", mmuext(99, 0), -PV_EINVAL);
	expect("flush", mmuext(PV_MMUEXT_tlb_flush_all, 0), 0);

	/* Balloon: only a frame nobody maps may go. */
	expect("give back a mapped frame", reservation(PV_MEM_decrease_reservation, 0x300), -PV_EBUSY);
	expect("give back start info", reservation(PV_MEM_decrease_reservation, 1), -PV_EBUSY);
	expect("give back past RAM", reservation(PV_MEM_decrease_reservation, start_info->nr_pages), -PV_EBUSY);
	expect("take back a frame never given", reservation(PV_MEM_increase_reservation, 0x300), -PV_EINVAL);
	struct pv_memory_reservation bad = { ram_end + 4096, 1, 0 };
	expect("frame list at a bad pointer", HYPERVISOR_memory_op(PV_MEM_decrease_reservation, &bad), -PV_EFAULT);
	bad.nr_frames = 0;
	expect("no frames", HYPERVISOR_memory_op(PV_MEM_decrease_reservation, &bad), -PV_EINVAL);
	expect("unknown memory_op", HYPERVISOR_memory_op(77, 0), -PV_EINVAL);
	expect("maximum reservation", HYPERVISOR_memory_op(PV_MEM_maximum_reservation, 0), (long)start_info->nr_pages);

	/* A gfn named twice in one increase is taken once (it was counted
	 * twice: the domain grew past its maximum). */
	void *pg = page_alloc(1);
	uint64_t g = (uint64_t)pg / 4096;
	pt_unmap(kernel_pml4, (uint64_t)pg);
	pt_flush();
	tlb_flush();
	uint64_t twice[2] = { g, g };
	struct pv_memory_reservation two = { (uint64_t)twice, 2, 0 };
	expect("give a frame back twice in one batch", HYPERVISOR_memory_op(PV_MEM_decrease_reservation, &two), 1);
	expect("take it back twice in one batch", HYPERVISOR_memory_op(PV_MEM_increase_reservation, &two), 1);
	expect("  the domain has its size", HYPERVISOR_memory_op(PV_MEM_current_reservation, 0), (long)start_info->nr_pages);
	pt_map(kernel_pml4, (uint64_t)pg, (uint64_t)pg, RW);
	pt_flush();
	page_free(pg, 1);

	/* A new kernel base pointer while the old L4 is held by nothing else
	 * (not pinned): under the fast path the CPU still runs on the old one
	 * until the hypercall returns, so pvmon must keep it until then. */
	uint64_t b = pt_alloc(), c = pt_alloc();
	for (int i = 0; i < 256; i++)
		if (i != PV_HV_L4_SLOT && pt_read(l4 + (uint64_t)i * 8)) {
			pt_set(b + (uint64_t)i * 8, pt_read(l4 + (uint64_t)i * 8));
			pt_set(c + (uint64_t)i * 8, pt_read(l4 + (uint64_t)i * 8));
		}
	pt_flush();
	expect("switch to an unpinned copy of the kernel L4", mmuext(PV_MMUEXT_new_baseptr, b), 0);
	expect("  and from it to another (it loses its last reference)", mmuext(PV_MMUEXT_new_baseptr, c), 0);
	expect("  and back", mmuext(PV_MMUEXT_new_baseptr, l4), 0);
	expect("  still running on it", (long)(pt_read(l4 + PV_HV_L4_SLOT * 8) == hv_l4e), 1);
	pt_free(b);
	pt_free(c);

	pt_free(free1);
	pt_free(free2);
	/* Still a working kernel: a process runs and exits. */
	int pid = proc_spawn("child", 6), code = -1;
	expect("a process after all that", pid > 0 && proc_wait(pid, &code) == 0 ? code : -1, 7);
	return tally_done(&tally);
}
