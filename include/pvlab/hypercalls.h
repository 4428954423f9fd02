/* The pvlab hypercalls, listed once as X(name, number). pv.h makes the
 * PV_HC_<name> numbers from it; pvmon's dispatch table and names, the
 * LTTng provider's enumeration and pvtrace's names are expanded from it
 * too. The numbers are ABI: never reuse or renumber one; keep them dense
 * and in order (PV_HC_MAX is the count). */
#ifndef PVLAB_HYPERCALLS_H
#define PVLAB_HYPERCALLS_H

#define PV_HYPERCALLS(X)        \
	X(console_io,        0) \
	X(sched_op,          1) \
	X(set_timer_op,      2) \
	X(event_channel_op,  3) \
	X(multicall,         4) \
	X(set_callbacks,     5) \
	X(set_trap_table,    6) \
	X(version_op,        7) \
	X(iret,              8) \
	X(stack_switch,      9) \
	X(mmuext_op,        10) \
	X(vcpu_op,          11) \
	X(null,             12) \
	X(mmu_update,       13) \
	X(memory_op,        14) \
	X(grant_table_op,   15) \
	X(net_op,           16)

#endif
