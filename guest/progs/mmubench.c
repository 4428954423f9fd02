/* The cost of page-table updates in pvos (prog=mmubench): mmu_update per
 * entry at batch sizes 1, 16, 256 and 2048 (each request a real change:
 * entries swing between two frames), and building the tables of a 16 MiB
 * address space in a live (pinned) space by trapped direct writes versus
 * batched mmu_update. Prints "mmu: ..." lines that pvbench lmbench reads. */
#include "kernel.h"
#include "mm.h"

#define RW (PTE_P | PTE_RW | PTE_US)
#define SCRATCH_VA 0x6000000000ULL     /* L4 slot 192: nothing of pvos lives there */
#define MAXB PV_MMU_UPDATE_MAX

static struct pv_mmu_update reqs[MAXB];
static int32_t st[MAXB];

static uint64_t batch_cost(uint64_t slots[], int n, uint64_t f1, uint64_t f2, uint64_t total)
{
	uint64_t rounds = total / (uint64_t)n < 4 ? 4 : total / (uint64_t)n;
	uint64_t t0 = system_time();
	for (uint64_t r = 0; r < rounds; r++) {
		uint64_t f = (r & 1) ? f1 : f2;
		for (int i = 0; i < n; i++)
			reqs[i] = (struct pv_mmu_update){ slots[i], f | RW };
		for (long done = 0; done < n;) {
			long k = HYPERVISOR_mmu_update(reqs + done, (uint64_t)(n - done), st + done);
			if (k <= 0)
				panic("mmubench: mmu_update failed: %ld", k);
			done += k;
		}
	}
	return (system_time() - t0) / (rounds * (uint64_t)n);
}

/* Map 16 MiB (4096 entries and their tables) into a pinned empty space. */
static uint64_t build16m(int trap)
{
	uint64_t pml4 = pt_alloc();
	if (!pml4 || HYPERVISOR_mmuext_op(PV_MMUEXT_pin_l4_table, pml4))
		panic("mmubench: cannot make an address space");
	void *frame = page_alloc(1);
	int saved = pt_trap_mode;
	pt_trap_mode = trap;
	uint64_t t0 = system_time();
	for (uint64_t va = 0; va < (16ULL << 20); va += 4096)
		if (pt_map(pml4, 0x10000000000ULL + va, (uint64_t)frame, RW))
			panic("mmubench: out of page-table frames");
	if (pt_flush())
		panic("mmubench: a batched update was refused");
	uint64_t dt = system_time() - t0;
	pt_trap_mode = saved;
	pt_destroy(pml4, 1);
	page_free(frame, 1);
	return dt;
}

int prog_mmubench(void);
int prog_mmubench(void)
{
	timer_stop();
	uint64_t total = cmdline_num("entries", 16384);
	static uint64_t slots[MAXB];
	for (int i = 0; i < MAXB; i++)
		if (!(slots[i] = pt_slot(kernel_pml4, SCRATCH_VA + (uint64_t)i * 4096, 1)))
			return printk("mmubench: out of page-table frames\n"), 1;
	pt_flush();
	uint64_t *f1 = page_alloc(1), *f2 = page_alloc(1);
	static const int sizes[] = { 1, 16, 256, MAXB };
	for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		printk("mmu: batch %d ns_per_entry %lu\n", sizes[k],
		       (unsigned long)batch_cost(slots, sizes[k], (uint64_t)f1, (uint64_t)f2, total));
	for (int i = 0; i < MAXB; i++)
		pt_set(slots[i], 0);
	pt_flush();
	tlb_flush();
	if (!pt_trap_supported()) {
		printk("mmu: build16m batch_ns %lu (trapped writes not supported on this host: %s)\n",
		       (unsigned long)build16m(0), PT_TRAP_UNSUPPORTED);
		return 0;
	}
	uint64_t trap = build16m(1), batch = build16m(0);
	printk("mmu: build16m trap_ns %lu batch_ns %lu\n", (unsigned long)trap, (unsigned long)batch);
	return 0;
}
