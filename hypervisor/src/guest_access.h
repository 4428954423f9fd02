/* Guest access for hypercall handlers: every copy to or from guest memory
 * goes through the vCPU's current page table and fails with -EFAULT (and
 * a hcall_reject trace event) for anything outside the domain; every
 * refused argument is traced the same way. Handlers use these and nothing
 * of the dispatcher (hypercall.c), as Xen's guest_access.h. */
#ifndef PVMON_GUEST_ACCESS_H
#define PVMON_GUEST_ACCESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
struct vcpu;

/* Trace that the argument `what` (value) was refused with err; returns err. */
long guest_reject(struct vcpu *v, const char *what, uint64_t value, long err);
/* 0, or -EFAULT (traced) when any byte is not the domain's. */
long guest_copy_from(struct vcpu *v, void *dst, uint64_t gva, size_t len);
long guest_copy_to(struct vcpu *v, uint64_t gva, const void *src, size_t len);
/* A code address the guest registers (a callback, a trap handler, a new
 * vCPU's entry): mapped in its kernel space, below the hypervisor area's
 * slot (pvmon's hypercall entry and fault reporter) and the entry stub. */
bool guest_kernel_text_ok(struct vcpu *v, uint64_t addr);
#endif
