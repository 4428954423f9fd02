/* The page-table hypercalls: mmu_update (validated, batched, restartable)
 * and mmuext_op (pins, base pointers, TLB flushes). */
#ifndef PVMON_PAGETABLE_OP_H
#define PVMON_PAGETABLE_OP_H
#include <stdint.h>
struct vcpu;
long hc_mmu_update(struct vcpu *v, const uint64_t a[5]);
long hc_mmuext_op(struct vcpu *v, const uint64_t a[5]);
#endif
