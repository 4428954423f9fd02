/* Hypercall dispatch and the helpers every handler uses to reach guest
 * memory: copies go through the vCPU's current page table and fail with
 * -EFAULT (and a trace event) for anything outside the domain. */
#ifndef PVMON_HYPERCALL_H
#define PVMON_HYPERCALL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "public/pv.h"
struct vcpu;

typedef long (*hcall_fn)(struct vcpu *v, const uint64_t a[5]);
extern const hcall_fn hcall_table[PV_HC_MAX];
extern const char *const hcall_names[PV_HC_MAX];

/* Serve hypercall nr (rax) with args; the result goes to rax. */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5]);
/* Should a long batch stop here for the scheduler or a deliverable event? */
bool hypercall_preempt_pending(struct vcpu *v);
long hc_reject(struct vcpu *v, const char *what, uint64_t value, long err);
long hc_copy_from(struct vcpu *v, void *dst, uint64_t gva, size_t len);
long hc_copy_to(struct vcpu *v, uint64_t gva, const void *src, size_t len);
#endif
