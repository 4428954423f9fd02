/* pvos exceptions. Every vector 0..31 is registered with pvmon at boot;
 * where a fast path delivers exceptions (start_info.fast_path), they arrive
 * at trap_entry (start.S) with the frame the entry stub built and go to the
 * handlers subsystems added for their vector (copy-on-write in proc.c, the
 * demand-paged test region here). One nobody takes is handed back to pvmon
 * (vcpu_op crash_frame), which reports the domain crashed in the faulting
 * context, as it does on the baseline where no exception reaches pvos.
 * The self-tests are progs/traps_test.c. */
#include "kernel.h"
#include "mm.h"
#include "traps.h"

#define MAX_HANDLERS 4
static trap_handler handlers[PV_TRAP_MAX][MAX_HANDLERS];

int traps_delivered(void)
{
	return start_info->fast_path != PV_FAST_none;
}

/* int3, `int $4` and `int $5` are instructions guest code uses on
 * purpose: let them raise their vector rather than #GP (PVM lets only the
 * first two through). */
uint8_t trap_flags(unsigned v)
{
	return v >= 3 && v <= 5 ? PV_TRAP_USER : 0;
}

void traps_init(void)
{
	static struct pv_trap_info table[PV_TRAP_MAX + 1];
	for (unsigned v = 0; v < PV_TRAP_MAX; v++)
		table[v] = (struct pv_trap_info){ .vector = (uint8_t)v, .flags = trap_flags(v),
		                                  .address = (uint64_t)trap_entry };
	long rc = HYPERVISOR_set_trap_table(table);
	if (rc)
		panic("set_trap_table: %ld", rc);
	if (traps_delivered())
		printk("pvos: fast path: exceptions are delivered to pvos; fork is copy-on-write\n");
	else
		printk("pvos: baseline: an exception crashes the domain; fork copies eagerly\n");
}

int trap_add(unsigned vector, trap_handler h)
{
	if (vector >= PV_TRAP_MAX)
		return -PV_EINVAL;
	int m = irq_save();
	for (int i = 0; i < MAX_HANDLERS; i++)
		if (!handlers[vector][i] || handlers[vector][i] == h) {
			handlers[vector][i] = h;
			irq_restore(m);
			return 0;
		}
	irq_restore(m);
	return -PV_ENOSPC;
}

void trap_remove(unsigned vector, trap_handler h)
{
	if (vector >= PV_TRAP_MAX)
		return;
	int m = irq_save();
	for (int i = 0; i < MAX_HANDLERS; i++)
		if (handlers[vector][i] == h) {
			for (int j = i; j + 1 < MAX_HANDLERS; j++)
				handlers[vector][j] = handlers[vector][j + 1];
			handlers[vector][MAX_HANDLERS - 1] = 0;
			break;
		}
	irq_restore(m);
}

struct pv_frame *do_trap(struct pv_frame *f);
struct pv_frame *do_trap(struct pv_frame *f)
{
	for (int i = 0; f->vector < PV_TRAP_MAX && i < MAX_HANDLERS && handlers[f->vector][i]; i++)
		if (handlers[f->vector][i](f))
			return f;
	/* Nobody's: pvmon reports it in the context the frame describes. */
	long rc = HYPERVISOR_vcpu_op(PV_VCPUOP_crash_frame, 0, f);
	panic("exception %lu at rip %lx (error %lx, address %lx): crash_frame returned %ld", (unsigned long)f->vector,
	      (unsigned long)f->rip, (unsigned long)f->error_code, (unsigned long)f->fault_addr, rc);
}

