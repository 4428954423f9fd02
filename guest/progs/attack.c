/* A hostile guest that tries to run its own code at CPL0 through the
 * descriptor tables (prog=attack kind=...). Before pvmon owned the
 * descriptor-table registers, the baseline left GDTR and IDTR at KVM's
 * reset values (base 0, limit 0xffff): whatever the guest wrote at virtual
 * address 0 was its IDT and GDT. Each kind writes a gate there that would
 * enter guest code at CPL0 and then uses it. With pvmon's tables the CPU
 * never reads page 0: the instruction raises #GP for a selector or vector
 * past pvmon's limits, and the domain crashes with that report. Reaching
 * cpl0_land instead would fault with a different report (#UD, or #GP(0)
 * from `mov %cr0` if it ran at CPL3), which the test tells apart. */
#include "kernel.h"
#include "mm.h"

void cpl0_land(void), attack_int80(void), attack_callgate(void);
__asm__(".text\ncpl0_land:\n mov %cr0, %rax\n ud2\n"
        "attack_int80:\n int $0x80\n ret\n"
        "attack_callgate:\n lcall *callgate_target(%rip)\n ret\n"
        ".data\ncallgate_target: .long 0\n .word 0x53\n .text\n");   /* m16:32; the gate gives the offset */

/* A 16-byte interrupt or call gate to cpl0_land with pvmon's kernel CS. */
static void gate(volatile uint64_t *g, unsigned type)
{
	uint64_t h = (uint64_t)cpl0_land;
	g[0] = (h & 0xffff) | (0x10ULL << 16) | ((uint64_t)(0x80 | 3 << 5 | type) << 40) | ((h >> 16) & 0xffff) << 48;
	g[1] = h >> 32;
}

int prog_attack(void);
int prog_attack(void)
{
	char kind[16];
	cmdline_get("kind", "int80", kind, sizeof(kind));
	/* Page 0 of the kernel's space: where the reset GDTR/IDTR pointed. */
	if (!(pt_lookup(kernel_pml4, 0) & PTE_P)) {
		void *pg = page_alloc(1);
		if (!pg || pt_map(kernel_pml4, 0, (uint64_t)pg, PTE_P | PTE_RW | PTE_US) || pt_flush())
			return printk("attack: cannot map page 0\n"), 1;
	}
	volatile uint64_t *page0 = 0;
	__asm__ volatile("" : "+r"(page0));          /* a real store to address 0, not UB folded away */
	gate(page0 + 0x80 * 2, 0xe);                 /* IDT vector 0x80: interrupt gate, DPL 3 */
	gate(page0 + 0x50 / 8, 0xc);                 /* GDT selector 0x50: call gate, DPL 3 */
	printk("attack: cpl0_land at 0x%lx\n", (unsigned long)cpl0_land);
	if (!strcmp(kind, "int80")) {
		printk("attack: int $0x80 through an IDT at address 0, at rip=0x%lx\n", (unsigned long)attack_int80);
		attack_int80();
	} else if (!strcmp(kind, "callgate")) {
		printk("attack: far call through a call gate at GDT selector 0x50, at rip=0x%lx\n",
		       (unsigned long)attack_callgate);
		attack_callgate();
	} else {
		return printk("attack: kind=%s: no such attack (int80, callgate)\n", kind), 2;
	}
	printk("attack: the instruction returned (no fault at all)\n");
	return 99;
}
