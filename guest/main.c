/* pvos boot: read the start-info page, register callbacks and the trap
 * table, start events, threads and the tick, then run the program the
 * command line names (prog=NAME) and power off with its exit code. */
#include "kernel.h"
#include "mm.h"
#include "progs.h"
#include "traps.h"

struct pv_start_info *start_info;
struct pv_shared_info *shared;

void event_entry(void);
void syscall_entry(void);
void sched_init(void);

void pvos_start(struct pv_start_info *si);
void pvos_start(struct pv_start_info *si)
{
	start_info = si;
	shared = (struct pv_shared_info *)si->shared_info;
	if (memcmp(si->magic, PV_ABI_MAGIC, sizeof(PV_ABI_MAGIC)) ||
	    (si->abi_version >> 16) != PV_ABI_MAJOR)
		panic("start info speaks ABI %x, pvos needs %d.x", si->abi_version, PV_ABI_MAJOR);
	mm_init(si->first_free, si->nr_pages);
	struct pv_callbacks cb = { (uint64_t)event_entry, (uint64_t)syscall_entry, 0 };
	if (HYPERVISOR_set_callbacks(&cb))
		panic("set_callbacks refused");
	traps_init();
	proc_init();
	pt_init();
	events_init();
	sched_init();
	char prog[32];
	cmdline_get("prog", "hello", prog, sizeof(prog));
	uint64_t tick = cmdline_num("tick_ms", 10);
	if (tick)
		timer_start(tick * 1000000ULL);
	irq_enable();
	const struct program *p = find_program(prog);
	if (!p) {
		printk("pvos: unknown program '%s'; known:", prog);
		for (const struct program *q = programs; q->name; q++)
			printk(" %s", q->name);
		printk("\n");
		poweroff(2);
	}
	int code = p->fn();
	timer_stop();
	poweroff(code);
}
