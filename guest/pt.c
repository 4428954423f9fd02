/* pvos page tables. Frames come from pvmon's pool (start info); pvos reads
 * entries directly (the pool is mapped read-only to it) and changes them
 * only through mmu_update: pt_set queues up to PV_MMU_UPDATE_MAX requests
 * and pt_flush sends them in one hypercall. Upper-level entries queued but
 * not yet sent are remembered so that a walk sees the tables it just made.
 * With pt=trap on the command line every pt_set is a direct write instead,
 * which traps to pvmon and is validated there one at a time; hosts with
 * nested paging (start_info PV_SIF_pt_ro_maps) cannot trap such writes,
 * and pvos refuses pt=trap there. */
#include "kernel.h"
#include "mm.h"

uint64_t kernel_pml4;
int pt_trap_mode;

static uint64_t *pool_bm, pool_base, pool_frames, pool_free;
static struct pv_mmu_update queue[PV_MMU_UPDATE_MAX];
static int32_t qstatus[PV_MMU_UPDATE_MAX];
static int qlen;
#define UPPER_MAX 64
static struct { uint64_t ptr, val; } upper[UPPER_MAX];
static int nupper;

void pt_init(void)
{
	kernel_pml4 = start_info->pt_base;
	pool_base = start_info->pt_pool_base;
	pool_frames = start_info->pt_pool_frames;
	pool_bm = kalloc((pool_frames + 63) / 64 * 8);
	if (!pool_bm)
		panic("no memory for the pool bitmap");
	for (uint64_t f = 0; f < start_info->pt_pool_used; f++)
		pool_bm[f / 64] |= 1ULL << (f % 64);
	pool_free = pool_frames - start_info->pt_pool_used;
	char mode[8];
	pt_trap_mode = !strcmp(cmdline_get("pt", "batch", mode, sizeof(mode)), "trap");
	if (pt_trap_mode && !pt_trap_supported()) {
		printk("pvos: pt=trap not supported on this host: %s\n", PT_TRAP_UNSUPPORTED);
		poweroff(2);
	}
}

int pt_trap_supported(void)
{
	return !(start_info->flags & PV_SIF_pt_ro_maps);
}

uint64_t pt_pool_free(void)
{
	return pool_free;
}

uint64_t pt_alloc(void)
{
	int m = irq_save();
	uint64_t gpa = 0;
	for (uint64_t f = 0; f < pool_frames; f++)
		if (!(pool_bm[f / 64] & (1ULL << (f % 64)))) {
			pool_bm[f / 64] |= 1ULL << (f % 64);
			pool_free--;
			gpa = pool_base + f * 4096;
			break;
		}
	irq_restore(m);
	/* A free frame keeps whatever it held as a table before: clear it. */
	if (gpa && HYPERVISOR_mmuext_op(PV_MMUEXT_clear_frame, gpa))
		panic("pool frame %lx cannot be cleared", (unsigned long)gpa);
	return gpa;
}

void pt_free(uint64_t gpa)
{
	uint64_t f = (gpa - pool_base) / 4096;
	int m = irq_save();
	if (!(pool_bm[f / 64] & (1ULL << (f % 64))))
		panic("pt_free: pool frame %lx is not allocated", (unsigned long)gpa);
	pool_bm[f / 64] &= ~(1ULL << (f % 64));
	pool_free++;
	irq_restore(m);
}

uint64_t pt_read(uint64_t ptr)
{
	for (int i = nupper - 1; i >= 0; i--)
		if (upper[i].ptr == ptr)
			return upper[i].val;
	return *(volatile uint64_t *)ptr;
}

int pt_flush(void)
{
	int m = irq_save();
	int err = 0;
	for (int done = 0; done < qlen;) {
		long n = HYPERVISOR_mmu_update(queue + done, (uint64_t)(qlen - done), qstatus + done);
		if (n <= 0)
			panic("mmu_update of %d requests failed: %ld", qlen - done, n);
		done += (int)n;                 /* preempted: send the rest */
	}
	for (int i = 0; i < qlen && !err; i++)
		if (qstatus[i]) {
			err = qstatus[i];
			printk("pvos: mmu_update %lx <- %lx refused: %d\n", (unsigned long)queue[i].ptr,
			       (unsigned long)queue[i].val, err);
		}
	qlen = 0;
	nupper = 0;
	irq_restore(m);
	return err;
}

void pt_set(uint64_t ptr, uint64_t val)
{
	if (pt_trap_mode) {
		*(volatile uint64_t *)ptr = val;
		return;
	}
	int m = irq_save();
	queue[qlen++] = (struct pv_mmu_update){ ptr, val };
	if (qlen == PV_MMU_UPDATE_MAX)
		pt_flush();
	irq_restore(m);
}

static void pt_set_upper(uint64_t ptr, uint64_t val)
{
	int m = irq_save();
	if (nupper == UPPER_MAX)
		pt_flush();
	pt_set(ptr, val);
	if (!pt_trap_mode && qlen) {
		upper[nupper].ptr = ptr;
		upper[nupper++].val = val;
	}
	irq_restore(m);
}

uint64_t pt_slot(uint64_t pml4, uint64_t va, int create)
{
	uint64_t table = pml4;
	for (int level = 4; level > 1; level--) {
		uint64_t ptr = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
		uint64_t e = pt_read(ptr);
		if (!(e & PTE_P)) {
			if (!create)
				return 0;
			uint64_t t = pt_alloc();
			if (!t)
				return 0;
			e = t | PTE_P | PTE_RW | PTE_US;
			pt_set_upper(ptr, e);
		}
		if (e & PTE_PS)
			return 0;
		table = e & PTE_ADDR;
	}
	return table + ((va >> 12) & 511) * 8;
}

int pt_map(uint64_t pml4, uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t slot = pt_slot(pml4, va, 1);
	if (!slot)
		return -PV_ENOMEM;
	pt_set(slot, pa | flags);
	return 0;
}

uint64_t pt_unmap(uint64_t pml4, uint64_t va)
{
	uint64_t slot = pt_slot(pml4, va, 0);
	if (!slot)
		return 0;
	uint64_t old = pt_read(slot);
	if (old & PTE_P)
		pt_set(slot, 0);
	return old;
}

uint64_t pt_lookup(uint64_t pml4, uint64_t va)
{
	uint64_t slot = pt_slot(pml4, va, 0);
	return slot ? pt_read(slot) : 0;
}

static void free_tree(uint64_t table, int level)
{
	if (level > 1)
		for (int i = 0; i < (level == 4 ? 256 : 512); i++) {
			if (level == 4 && i == PV_HV_L4_SLOT)
				continue;            /* pvmon's: the hypervisor area */
			uint64_t e = *(volatile uint64_t *)(table + i * 8);
			if ((e & PTE_P) && !(e & PTE_PS))
				free_tree(e & PTE_ADDR, level - 1);
		}
	pt_free(table);
}

void pt_destroy(uint64_t pml4, int pinned)
{
	pt_flush();
	long rc = pinned ? HYPERVISOR_mmuext_op(PV_MMUEXT_unpin_table, pml4) : 0;
	if (rc)
		panic("unpin of %lx: %ld", (unsigned long)pml4, rc);
	free_tree(pml4, 4);
}

void tlb_flush(void)
{
	HYPERVISOR_mmuext_op(PV_MMUEXT_tlb_flush_local, 0);
}
