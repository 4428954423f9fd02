/* The balloon driver: a kernel thread that follows the target pvmon puts
 * in shared_info (pvctl mem-set) whenever VIRQ_BALLOON fires. To shrink it
 * takes free frames, unmaps them from the kernel's address space, flushes
 * the TLB and gives them back (memory_op decrease); to grow it takes them
 * back, maps them again and frees them. */
#include "kernel.h"
#include "mm.h"

#define BATCH 512

static uint64_t *gone, ngone;       /* frames given back, a stack */
static struct waitq balloon_q;
static volatile int balloon_kicked;
static uint64_t gfns[BATCH];

static void balloon_event(uint32_t port, void *arg)
{
	(void)port;
	(void)arg;
	balloon_kicked = 1;
	wake_all(&balloon_q);
}

static uint64_t reservation(uint64_t cmd, uint64_t n)
{
	struct pv_memory_reservation r = { (uint64_t)gfns, (uint32_t)n, 0 };
	long done = HYPERVISOR_memory_op(cmd, &r);
	return done > 0 ? (uint64_t)done : 0;
}

static int shrink(uint64_t want)
{
	uint64_t n = 0;
	while (n < want && n < BATCH) {
		void *p = page_take();
		if (!p)
			break;
		pt_unmap(kernel_pml4, (uint64_t)p);
		gfns[n++] = (uint64_t)p / 4096;
	}
	if (!n)
		return 0;
	pt_flush();
	tlb_flush();          /* no translation of them may survive */
	uint64_t done = reservation(PV_MEM_decrease_reservation, n);
	for (uint64_t i = done; i < n; i++) {
		pt_map(kernel_pml4, gfns[i] * 4096, gfns[i] * 4096, PTE_P | PTE_RW | PTE_US);
		page_free((void *)(gfns[i] * 4096), 1);
	}
	pt_flush();
	for (uint64_t i = 0; i < done; i++)
		gone[ngone++] = gfns[i];
	return (int)done;
}

static int grow(uint64_t want)
{
	uint64_t n = want < ngone ? want : ngone;
	if (n > BATCH)
		n = BATCH;
	for (uint64_t i = 0; i < n; i++)
		gfns[i] = gone[ngone - n + i];
	uint64_t done = reservation(PV_MEM_increase_reservation, n);
	for (uint64_t i = 0; i < done; i++)
		pt_map(kernel_pml4, gfns[i] * 4096, gfns[i] * 4096, PTE_P | PTE_RW | PTE_US);
	pt_flush();
	for (uint64_t i = 0; i < done; i++)
		page_free((void *)(gfns[i] * 4096), 1);
	/* The ones taken are the top of the stack, in order: drop them. */
	for (uint64_t i = done; i < n; i++)
		gone[ngone - n + (i - done)] = gfns[i];
	ngone -= done;
	return (int)done;
}

void balloon_adjust(void)
{
	for (;;) {
		uint64_t target = __atomic_load_n(&shared->mem_target_pages, __ATOMIC_SEQ_CST);
		uint64_t cur = start_info->nr_pages - ngone;
		int moved = cur > target ? shrink(cur - target) : cur < target ? grow(target - cur) : 0;
		if (!moved)
			break;
	}
	uint64_t cur = start_info->nr_pages - ngone;
	long held = HYPERVISOR_memory_op(PV_MEM_current_reservation, 0);
	printk("balloon: now %lu pages (target %lu, pvmon says %ld)\n", (unsigned long)cur,
	       (unsigned long)shared->mem_target_pages, held);
}

static void balloon_thread(void *arg)
{
	(void)arg;
	for (;;) {
		int m = irq_save();
		while (!balloon_kicked)
			wait_on(&balloon_q);
		balloon_kicked = 0;
		irq_restore(m);
		balloon_adjust();
	}
}

int balloon_init(void)
{
	gone = page_alloc((start_info->nr_pages * 8 + 4095) / 4096);
	if (!gone)
		return -PV_ENOMEM;
	int port = bind_virq(PV_VIRQ_BALLOON, balloon_event, 0);
	if (port < 0)
		return port;
	thread_create("balloon", balloon_thread, 0);
	return 0;
}
