/* pvos side of the hypercall ABI: a call to the hypercall entry pvmon put
 * in the hypervisor area (a port I/O exit on the baseline, a `syscall`
 * into the entry stub under a fast path); rcx and r11 are clobbered. */
#ifndef PVOS_HYPERCALL_H
#define PVOS_HYPERCALL_H
#include <stdint.h>
#include "pvlab/pv.h"

static inline long hypercall5(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	register uint64_t r10 __asm__("r10") = a4;
	register uint64_t r8 __asm__("r8") = a5;
	long ret = (long)nr;
	__asm__ volatile("call *%[entry]"
	                 : "+a"(ret)
	                 : "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), [entry] "r"(PV_HCALL_ENTRY)
	                 : "rcx", "r11", "memory", "cc");
	return ret;
}
#define hypercall0(nr) hypercall5(nr, 0, 0, 0, 0, 0)
#define hypercall1(nr, a) hypercall5(nr, (uint64_t)(a), 0, 0, 0, 0)
#define hypercall2(nr, a, b) hypercall5(nr, (uint64_t)(a), (uint64_t)(b), 0, 0, 0)
#define hypercall3(nr, a, b, c) hypercall5(nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), 0, 0)

static inline long HYPERVISOR_console_write(const char *s, uint64_t n) { return hypercall3(PV_HC_console_io, PV_CONSOLE_write, n, s); }
static inline long HYPERVISOR_sched_op(uint64_t cmd, void *arg) { return hypercall2(PV_HC_sched_op, cmd, arg); }
static inline long HYPERVISOR_set_timer_op(uint64_t deadline) { return hypercall1(PV_HC_set_timer_op, deadline); }
static inline long HYPERVISOR_event_channel_op(uint64_t cmd, void *arg) { return hypercall2(PV_HC_event_channel_op, cmd, arg); }
static inline long HYPERVISOR_multicall(void *calls, uint64_t n) { return hypercall2(PV_HC_multicall, calls, n); }
static inline long HYPERVISOR_set_callbacks(struct pv_callbacks *cb) { return hypercall1(PV_HC_set_callbacks, cb); }
static inline long HYPERVISOR_set_trap_table(struct pv_trap_info *t) { return hypercall1(PV_HC_set_trap_table, t); }
static inline long HYPERVISOR_version_op(uint64_t cmd, void *arg) { return hypercall2(PV_HC_version_op, cmd, arg); }
static inline long HYPERVISOR_stack_switch(uint64_t sp) { return hypercall1(PV_HC_stack_switch, sp); }
static inline long HYPERVISOR_mmuext_op(uint64_t cmd, uint64_t arg) { return hypercall2(PV_HC_mmuext_op, cmd, arg); }
static inline long HYPERVISOR_vcpu_op(uint64_t cmd, uint64_t id, void *arg) { return hypercall3(PV_HC_vcpu_op, cmd, id, arg); }
static inline long HYPERVISOR_null(void) { return hypercall0(PV_HC_null); }
static inline long HYPERVISOR_mmu_update(struct pv_mmu_update *r, uint64_t n, int32_t *status) { return hypercall3(PV_HC_mmu_update, r, n, status); }
static inline long HYPERVISOR_memory_op(uint64_t cmd, void *arg) { return hypercall2(PV_HC_memory_op, cmd, arg); }
static inline long HYPERVISOR_grant_table_op(uint64_t cmd, void *arg, uint64_t count) { return hypercall3(PV_HC_grant_table_op, cmd, arg, count); }
static inline long HYPERVISOR_net_op(uint64_t cmd, void *arg) { return hypercall2(PV_HC_net_op, cmd, arg); }
#endif
