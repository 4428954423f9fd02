/* Hypercall dispatch: the table of handlers, one per hypercall of the ABI's
 * list (include/pvlab/hypercalls.h), each named hc_<name>, defined by the
 * subsystem that owns it and called with the five argument registers. A
 * handler returns the result for rax (>= 0, or -errno) or HC_REGS_SET when
 * it replaced the registers itself (iret). Handlers reach guest memory
 * through guest_access.h, never through this file. */
#ifndef PVMON_HYPERCALL_H
#define PVMON_HYPERCALL_H
#include <stdint.h>
#include "pvlab/pv.h"
struct vcpu;

typedef long (*hcall_fn)(struct vcpu *v, const uint64_t a[5]);
#define HC_DECLARE(name, nr) long hc_##name(struct vcpu *v, const uint64_t a[5]);
PV_HYPERCALLS(HC_DECLARE)
#undef HC_DECLARE
extern const hcall_fn hcall_table[PV_HC_MAX];
extern const char *const hcall_names[PV_HC_MAX];

/* Serve hypercall nr (rax) with args; the result goes to rax. */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5]);
#endif
