/* Where the guest wants its events, system calls and exceptions: the
 * callbacks (set_callbacks), the trap table (set_trap_table) and the
 * kernel stack for entries from user mode (stack_switch). Delivery itself
 * is vcpu.c's (the baseline's callback frames) and the entry stub's
 * (fastpath.c), which learns every change here. */
#include <errno.h>
#include <string.h>
#include "domain.h"
#include "fastpath.h"
#include "guest_access.h"
#include "hypercall.h"
#include "pvmon.h"

#define GVA_LIMIT (1ULL << 47)

long hc_set_callbacks(struct vcpu *v, const uint64_t a[5])
{
	struct pv_callbacks cb;
	long rc = guest_copy_from(v, &cb, a[0], sizeof(cb));
	if (rc)
		return rc;
	const uint64_t addr[3] = { cb.event_entry, cb.syscall_entry, cb.failsafe_entry };
	for (int i = 0; i < 3; i++)
		if (addr[i] && !guest_kernel_text_ok(v, addr[i]))
			return guest_reject(v, "entry", addr[i], -EINVAL);
	v->dom->event_entry = cb.event_entry;
	v->dom->syscall_entry = cb.syscall_entry;
	v->dom->failsafe_entry = cb.failsafe_entry;
	fastpath_callbacks_changed(v->dom);
	return 0;
}

/* All entries are checked before any is stored: a bad table changes nothing. */
long hc_set_trap_table(struct vcpu *v, const uint64_t a[5])
{
	uint64_t traps[PV_TRAP_MAX];
	uint8_t flags[PV_TRAP_MAX];
	memcpy(traps, v->dom->traps, sizeof(traps));
	memcpy(flags, v->dom->trap_flags, sizeof(flags));
	if (a[0] == 0) {
		memset(v->dom->traps, 0, sizeof(v->dom->traps));
		fastpath_callbacks_changed(v->dom);
		return 0;
	}
	for (int i = 0; i <= PV_TRAP_MAX; i++) {
		struct pv_trap_info t;
		long rc = guest_copy_from(v, &t, a[0] + (uint64_t)i * sizeof(t), sizeof(t));
		if (rc)
			return rc;
		if (t.address == 0) {
			memcpy(v->dom->traps, traps, sizeof(traps));
			memcpy(v->dom->trap_flags, flags, sizeof(flags));
			fastpath_callbacks_changed(v->dom);
			return 0;
		}
		if (t.vector >= PV_TRAP_MAX)
			return guest_reject(v, "vector", t.vector, -EINVAL);
		if (t.flags > 1)
			return guest_reject(v, "flags", t.flags, -EINVAL);
		if (!guest_kernel_text_ok(v, t.address))
			return guest_reject(v, "address", t.address, -EINVAL);
		traps[t.vector] = t.address;
		flags[t.vector] = t.flags;
	}
	return guest_reject(v, "unterminated", PV_TRAP_MAX, -EINVAL);
}

long hc_stack_switch(struct vcpu *v, const uint64_t a[5])
{
	const struct guestmem *gm = domain_gm(v->dom);
	uint64_t gpa;
	if (a[0] < 256 || a[0] >= GVA_LIMIT || guestmem_translate(gm, v->kernel_cr3, a[0] - 8, true, &gpa))
		return guest_reject(v, "sp", a[0], -EFAULT);
	v->kernel_sp = a[0];
	return 0;
}
