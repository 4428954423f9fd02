/* evtchn.c without KVM: two fake domains with guest memory and an identity
 * page table, driven through evtchn_op with argument structs in guest memory. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/domain.h"
#include "../../hypervisor/src/hypercall.h"
#include "../../hypervisor/src/evtchn.h"
#include "../../hypervisor/src/sched.h"

#define MEM (4u << 20)
#define ARG 0x100000ULL           /* where argument structs go (gpa = gva) */


/* The hypercall with its arguments in registers, as the dispatcher calls it. */
static long evtchn_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	const uint64_t a[5] = { cmd, arg };
	return hc_event_channel_op(v, a);
}

static struct domain *mkdom(uint32_t id)
{
	struct domain *d = calloc(1, sizeof(*d));
	d->id = id;
	d->mem = calloc(1, MEM);
	d->mem_size = MEM;
	d->gm = (struct guestmem){ .base = d->mem, .size = MEM };
	d->nr_vcpus = 1;
	d->shared = (struct pv_shared_info *)(d->mem + GPA_SHARED_INFO);
	uint64_t *pml4 = (uint64_t *)(d->mem + 0x10000), *pdpt = (uint64_t *)(d->mem + 0x11000),
	         *pd = (uint64_t *)(d->mem + 0x12000);
	pml4[0] = 0x11000 | 7;
	pdpt[0] = 0x12000 | 7;
	pd[0] = 0x87;
	pd[1] = 0x200000 | 0x87;
	struct vcpu *v = &d->vcpus[0];
	v->dom = d;
	v->state = VS_DOWN;
	v->slot = -1;
	v->sregs.cr3 = v->kernel_cr3 = 0x10000;
	atomic_store(&d->refs, 1);
	evtchn_init(d);
	host.domains[id] = d;
	return d;
}

static long op(struct domain *d, uint64_t cmd, const void *arg, size_t len)
{
	memcpy(d->mem + ARG, arg, len);
	return evtchn_op(&d->vcpus[0], cmd, ARG);
}
static void *result(struct domain *d) { return d->mem + ARG; }

static bool pending(struct domain *d, uint32_t port)
{
	return d->shared->evtchn_pending[port / 64] & (1ULL << (port % 64));
}

int main(void)
{
	sched_init(&sched_rr_ops, 1);
	struct domain *a = mkdom(1), *b = mkdom(2);

	struct pv_evtchn_bind_virq bv = { PV_VIRQ_TIMER, 0, 0 };
	CHECK_EQ(op(a, PV_EVTCHN_bind_virq, &bv, sizeof(bv)), 0);
	uint32_t timer = ((struct pv_evtchn_bind_virq *)result(a))->port;
	CHECK_EQ(timer, 1);
	CHECK_EQ(op(a, PV_EVTCHN_bind_virq, &bv, sizeof(bv)), -EEXIST);
	bv.virq = 99;
	CHECK_EQ(op(a, PV_EVTCHN_bind_virq, &bv, sizeof(bv)), -EINVAL);
	bv = (struct pv_evtchn_bind_virq){ PV_VIRQ_TIMER, 3, 0 };
	CHECK_EQ(op(a, PV_EVTCHN_bind_virq, &bv, sizeof(bv)), -EINVAL);

	/* a offers a port to b; b binds; a sends; b sees it pending. */
	struct pv_evtchn_alloc_unbound au = { PV_DOMID_SELF, 2, 0 };
	CHECK_EQ(op(a, PV_EVTCHN_alloc_unbound, &au, sizeof(au)), 0);
	uint32_t pa = ((struct pv_evtchn_alloc_unbound *)result(a))->port;
	struct pv_evtchn_bind_interdomain bi = { 1, pa, 0 };
	CHECK_EQ(op(b, PV_EVTCHN_bind_interdomain, &bi, sizeof(bi)), 0);
	uint32_t pb = ((struct pv_evtchn_bind_interdomain *)result(b))->local_port;
	CHECK(pb >= 1);
	CHECK_EQ(op(b, PV_EVTCHN_bind_interdomain, &bi, sizeof(bi)), -EINVAL);   /* taken */
	struct pv_evtchn_send s = { pa };
	CHECK_EQ(op(a, PV_EVTCHN_send, &s, sizeof(s)), 0);
	CHECK(pending(b, pb));
	CHECK(b->shared->vcpu[0].upcall_pending);
	CHECK(b->shared->vcpu[0].pending_sel & (1ULL << (pb / 64)));
	/* A masked port only gets its pending bit. */
	b->shared->evtchn_pending[pb / 64] = 0;
	b->shared->vcpu[0].upcall_pending = 0;
	b->shared->vcpu[0].pending_sel = 0;
	b->shared->evtchn_mask[pb / 64] |= 1ULL << (pb % 64);
	CHECK_EQ(op(a, PV_EVTCHN_send, &s, sizeof(s)), 0);
	CHECK(pending(b, pb));
	CHECK_EQ(b->shared->vcpu[0].upcall_pending, 0);
	struct pv_evtchn_unmask um = { pb };
	CHECK_EQ(op(b, PV_EVTCHN_unmask, &um, sizeof(um)), 0);             /* unmask delivers it */
	CHECK_EQ(b->shared->vcpu[0].upcall_pending, 1);

	struct pv_evtchn_status st = { .port = pa };
	CHECK_EQ(op(a, PV_EVTCHN_status, &st, sizeof(st)), 0);
	st = *(struct pv_evtchn_status *)result(a);
	CHECK_EQ(st.status, PV_EVTCHNSTAT_interdomain);
	CHECK_EQ(st.remote_dom, 2);
	CHECK_EQ(st.remote_port, pb);
	/* b closes: a's port is unbound again and may be bound anew. */
	struct pv_evtchn_close cl = { pb };
	CHECK_EQ(op(b, PV_EVTCHN_close, &cl, sizeof(cl)), 0);
	st.port = pa;
	CHECK_EQ(op(a, PV_EVTCHN_status, &st, sizeof(st)), 0);
	CHECK_EQ(((struct pv_evtchn_status *)result(a))->status, PV_EVTCHNSTAT_unbound);
	CHECK_EQ(op(b, PV_EVTCHN_close, &cl, sizeof(cl)), -EINVAL);               /* already closed */
	CHECK_EQ(op(b, PV_EVTCHN_bind_interdomain, &bi, sizeof(bi)), 0);
	pb = ((struct pv_evtchn_bind_interdomain *)result(b))->local_port;
	/* b dies: a's port goes back to unbound. */
	evtchn_teardown(b);
	st.port = pa;
	CHECK_EQ(op(a, PV_EVTCHN_status, &st, sizeof(st)), 0);
	CHECK_EQ(((struct pv_evtchn_status *)result(a))->status, PV_EVTCHNSTAT_unbound);

	/* Bad ports, commands, pointers, domains. */
	const uint32_t badp[] = { 0, PV_NR_EVTCHN, 0xffffffff, 777 };
	for (int i = 0; i < 4; i++) {
		s.port = badp[i];
		CHECK_EQ(op(a, PV_EVTCHN_send, &s, sizeof(s)), -EINVAL);
		CHECK_EQ(op(a, PV_EVTCHN_close, &s, sizeof(s)), -EINVAL);
	}
	CHECK_EQ(op(a, 99, &s, sizeof(s)), -EINVAL);
	CHECK_EQ(evtchn_op(&a->vcpus[0], PV_EVTCHN_send, MEM + 4096), -EFAULT);
	CHECK_EQ(evtchn_op(&a->vcpus[0], PV_EVTCHN_status, 1ULL << 47), -EFAULT);
	bi = (struct pv_evtchn_bind_interdomain){ 77, 1, 0 };
	CHECK_EQ(op(a, PV_EVTCHN_bind_interdomain, &bi, sizeof(bi)), -ESRCH);
	bi = (struct pv_evtchn_bind_interdomain){ 2, timer, 0 };                   /* not offered */
	CHECK_EQ(op(a, PV_EVTCHN_bind_interdomain, &bi, sizeof(bi)), -EINVAL);
	au = (struct pv_evtchn_alloc_unbound){ 2, PV_DOMID_SELF, 0 };              /* for another domain */
	CHECK_EQ(op(a, PV_EVTCHN_alloc_unbound, &au, sizeof(au)), -EPERM);

	/* Exhaustion: every port in use gives -ENOSPC. */
	au = (struct pv_evtchn_alloc_unbound){ PV_DOMID_SELF, PV_DOMID_SELF, 0 };
	int got = 0;
	long rc;
	while ((rc = op(a, PV_EVTCHN_alloc_unbound, &au, sizeof(au))) == 0)
		got++;
	CHECK_EQ(rc, -ENOSPC);
	CHECK_EQ(got, PV_NR_EVTCHN - 1 - 2);            /* minus port 0, the timer, pa */

	host.domains[1] = host.domains[2] = NULL;
	free(a->mem);
	free(b->mem);
	free(a);
	free(b);
	sched.ops->fini(&sched);
	return CHECK_DONE();
}
