/* Guest access (guest_access.h): copies through the vCPU's page table,
 * checked by guestmem.c, and the trace of every refused argument. */
#include <errno.h>
#include "domain.h"
#include "guest_access.h"
#include "pvmon.h"
#include "trace.h"

long guest_reject(struct vcpu *v, const char *what, uint64_t value, long err)
{
	trace_hcall_reject(v->dom->id, v->id, v->cur_hcall, what, value, (int)err);
	return err;
}

long guest_copy_from(struct vcpu *v, void *dst, uint64_t gva, size_t len)
{
	const struct guestmem *gm = domain_gm(v->dom);
	if (guestmem_copy_from(gm, v->sregs.cr3, dst, gva, len))
		return guest_reject(v, "pointer", gva, -EFAULT);
	return 0;
}

long guest_copy_to(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
	const struct guestmem *gm = domain_gm(v->dom);
	if (guestmem_copy_to(gm, v->sregs.cr3, gva, src, len))
		return guest_reject(v, "pointer", gva, -EFAULT);
	return 0;
}

bool guest_kernel_text_ok(struct vcpu *v, uint64_t addr)
{
	const struct guestmem *gm = domain_gm(v->dom);
	uint64_t gpa;
	return addr < (uint64_t)PV_HV_L4_SLOT << 39 && guestmem_translate(gm, v->kernel_cr3, addr, false, &gpa) == 0;
}
