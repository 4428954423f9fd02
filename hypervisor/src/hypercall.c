/* The hypercall dispatcher: the table built from the ABI's list
 * (include/pvlab/hypercalls.h), with each handler in the subsystem that
 * owns it, and the hypercalls that are the dispatcher's own: multicall
 * (which dispatches again), version_op and null. Every argument is
 * untrusted: handlers copy structs in once through guest_access.h and
 * validate the copy; a refused argument gets -EFAULT/-EINVAL and a
 * hcall_reject trace event. */
#include <errno.h>
#include <string.h>
#include "domain.h"
#include "guest_access.h"
#include "hypercall.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"
#include "trace.h"

long hc_multicall(struct vcpu *v, const uint64_t a[5])
{
	uint64_t list = a[0], nr = a[1];
	if (v->in_multicall)
		return guest_reject(v, "nested", 0, -EINVAL);
	if (nr > PV_MULTICALL_MAX)
		return guest_reject(v, "nr_calls", nr, -EINVAL);
	v->in_multicall = true;
	uint64_t i;
	long rc = 0;
	for (i = 0; i < nr; i++) {
		struct pv_multicall_entry e;
		uint64_t at = list + i * sizeof(e);
		if ((rc = guest_copy_from(v, &e, at, sizeof(e))))
			break;
		long r;
		if (e.op == PV_HC_multicall || e.op == PV_HC_iret)
			r = guest_reject(v, "op", e.op, -EINVAL);
		else
			r = hypercall_dispatch(v, e.op, e.args);
		v->cur_hcall = PV_HC_multicall;
		if ((rc = guest_copy_to(v, at + offsetof(struct pv_multicall_entry, result), &r, sizeof(r))))
			break;
		if (i + 1 < nr && sched_preempt_pending(v)) {
			i++;
			break;
		}
	}
	v->in_multicall = false;
	return rc ? rc : (long)i;
}

long hc_version_op(struct vcpu *v, const uint64_t a[5])
{
	switch (a[0]) {
	case PV_VERSION_abi:
		return PV_ABI_VERSION;
	case PV_VERSION_features:
		return PV_FEAT_multicall | PV_FEAT_evtchn | PV_FEAT_timer | PV_FEAT_vcpu_op | PV_FEAT_mmu |
		       PV_FEAT_balloon | (v->dom->fp ? PV_FEAT_fast_traps : 0) | PV_FEAT_grant |
		       (v->dom->net ? PV_FEAT_net : 0);
	case PV_VERSION_magic: {
		char magic[16] = PV_ABI_MAGIC;
		return guest_copy_to(v, a[1], magic, sizeof(magic));
	}
	default:
		return guest_reject(v, "cmd", a[0], -EINVAL);
	}
}

long hc_null(struct vcpu *v, const uint64_t a[5])
{
	(void)v;
	(void)a;
	return 0;
}

#define HC_COUNT(name, nr) + 1
_Static_assert(0 PV_HYPERCALLS(HC_COUNT) == PV_HC_MAX, "hypercalls.h: numbers dense, from 0, in order");
#undef HC_COUNT

const hcall_fn hcall_table[PV_HC_MAX] = {
#define HC_ENTRY(name, nr) [PV_HC_##name] = hc_##name,
	PV_HYPERCALLS(HC_ENTRY)
#undef HC_ENTRY
};

const char *const hcall_names[PV_HC_MAX] = {
#define HC_NAME(name, nr) [PV_HC_##name] = #name,
	PV_HYPERCALLS(HC_NAME)
#undef HC_NAME
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
	if (__builtin_expect(!atomic_load_explicit(&v->dom->boot_ns, memory_order_relaxed), 0))
		atomic_store(&v->dom->boot_ns, time_now() - v->dom->created_ns);
	atomic_fetch_add_explicit(&v->hypercalls, 1, memory_order_relaxed);
	v->cur_hcall = (uint32_t)(nr > 0xffffffffULL ? 0xffffffffULL : nr);
	hcall_fn fn = nr < PV_HC_MAX ? hcall_table[nr] : NULL;
	if (!trace_hcall_enabled())
		return fn ? fn(v, a) : guest_reject(v, "number", nr, -ENOSYS);
	uint64_t t0 = time_mono_ns();
	trace_hcall_entry(v->dom->id, v->id, v->cur_hcall, a);
	long rc = fn ? fn(v, a) : guest_reject(v, "number", nr, -ENOSYS);
	trace_hcall_exit(v->dom->id, v->id, v->cur_hcall, rc, time_mono_ns() - t0);
	return rc;
}
