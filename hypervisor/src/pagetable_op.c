/* mmu_update and mmuext_op: the guest's only way to change its page
 * tables, checked entry by entry by pagetable.c. A batch is copied in slices,
 * applied under the domain's pt lock, and stops early for the scheduler,
 * returning how many requests it processed (the guest re-issues the rest). */
#include <errno.h>
#include <string.h>
#include "domain.h"
#include "guest_access.h"
#include "hypercall.h"
#include "memory.h"
#include "pagetable_op.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"
#include "trace.h"

#define SLICE 256    /* requests copied in per step */

long hc_mmu_update(struct vcpu *v, const uint64_t a[5])
{
	struct domain *d = v->dom;
	uint64_t reqs = a[0], count = a[1], status = a[2];
	if (count == 0 || count > PV_MMU_UPDATE_MAX)
		return guest_reject(v, "count", count, -EINVAL);
	uint64_t t0 = time_mono_ns();
	struct pv_mmu_update r[SLICE];
	int32_t st[SLICE];
	/* done: requests whose status reached the guest; applied and rejected
	 * count every request validated, even in a slice whose status copy
	 * then fails (its entries are in the tables all the same). */
	uint64_t done = 0, applied = 0, rejected = 0;
	long rc = 0;
	while (done < count) {
		uint64_t n = count - done < SLICE ? count - done : SLICE;
		if ((rc = guest_copy_from(v, r, reqs + done * sizeof(r[0]), n * sizeof(r[0]))))
			break;
		pthread_mutex_lock(&d->pt.lock);
		for (uint64_t i = 0; i < n; i++) {
			st[i] = pt_update(&d->pt, r[i].ptr, r[i].val);
			applied += st[i] == 0;
			rejected += st[i] != 0;
		}
		pthread_mutex_unlock(&d->pt.lock);
		for (uint64_t i = 0; i < n; i++)
			if (st[i])
				guest_reject(v, "mmu_update", r[i].ptr, st[i]);
		if (status && (rc = guest_copy_to(v, status + done * sizeof(int32_t), st, n * sizeof(int32_t))))
			break;
		done += n;
		if (done < count && sched_preempt_pending(v))
			break;
	}
	atomic_fetch_add_explicit(&d->mmu_updates, applied, memory_order_relaxed);
	atomic_fetch_add_explicit(&d->mmu_rejected, rejected, memory_order_relaxed);
	trace_mmu_update(d->id, v->id, (uint32_t)count, (uint32_t)applied, (uint32_t)rejected, time_mono_ns() - t0);
	return rc ? rc : (long)done;
}

/* Swap the base pointer held in *slot for gpa (0: none), references and all. */
static long set_base(struct vcpu *v, uint64_t *slot, uint64_t gpa)
{
	struct pagetable *m = &v->dom->pt;
	pthread_mutex_lock(&m->lock);
	int rc = gpa ? pt_get_base(m, gpa) : 0;
	if (!rc && *slot)
		pt_put_base(m, *slot);
	pthread_mutex_unlock(&m->lock);
	if (rc)
		return guest_reject(v, "baseptr", gpa, rc);
	*slot = gpa;
	return 0;
}

long hc_mmuext_op(struct vcpu *v, const uint64_t a[5])
{
	struct domain *d = v->dom;
	uint64_t arg = a[1];
	long rc = 0;
	switch (a[0]) {
	case PV_MMUEXT_new_baseptr:
		if (!arg)
			return guest_reject(v, "baseptr", arg, -EINVAL);
		if ((rc = set_base(v, &v->kernel_cr3, arg)))
			return rc;
		if (!v->user_mode)
			vcpu_set_cr3(v, arg);
		memory_flush(v, "baseptr", arg);
		return 0;
	case PV_MMUEXT_new_user_baseptr:
		if ((rc = set_base(v, &v->user_cr3, arg)))
			return rc;
		memory_flush(v, "user_baseptr", arg);
		return 0;
	case PV_MMUEXT_tlb_flush_local:
		memory_flush(v, "local", 0);
		return 0;
	case PV_MMUEXT_tlb_flush_all:
		memory_flush(v, "all", 0);
		return 0;
	case PV_MMUEXT_invlpg_local:
	case PV_MMUEXT_invlpg_all:
		if (arg >= (1ULL << 47))
			return guest_reject(v, "va", arg, -EINVAL);
		memory_flush(v, a[0] == PV_MMUEXT_invlpg_local ? "invlpg" : "invlpg_all", arg);
		return 0;
	case PV_MMUEXT_pin_l1_table:
	case PV_MMUEXT_pin_l2_table:
	case PV_MMUEXT_pin_l3_table:
	case PV_MMUEXT_pin_l4_table:
		pthread_mutex_lock(&d->pt.lock);
		rc = pt_pin(&d->pt, arg, (int)(a[0] - PV_MMUEXT_pin_l1_table) + PT_L1);
		pthread_mutex_unlock(&d->pt.lock);
		return rc ? guest_reject(v, "pin", arg, rc) : 0;
	case PV_MMUEXT_clear_frame:
		pthread_mutex_lock(&d->pt.lock);
		rc = pt_clear(&d->pt, arg);
		pthread_mutex_unlock(&d->pt.lock);
		return rc ? guest_reject(v, "clear", arg, rc) : 0;
	case PV_MMUEXT_unpin_table:
		pthread_mutex_lock(&d->pt.lock);
		rc = pt_unpin(&d->pt, arg);
		pthread_mutex_unlock(&d->pt.lock);
		return rc ? guest_reject(v, "unpin", arg, rc) : 0;
	default:
		return guest_reject(v, "cmd", a[0], -EINVAL);
	}
}
