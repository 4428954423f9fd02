/* Cross-vCPU TLB flushes of a Linux PV domain (Xen's flush_tlb_mask).
 * The stub reloads CR3 (no PGE: a full flush) whenever it returns to the
 * guest after an exit, so a vCPU that leaves pvmon through the stub is
 * flushed; one stopped elsewhere (a signal, an interrupt window) is made
 * to take the event vector first, whose way back through the stub does
 * the same. A vCPU in KVM_RUN is kicked out with the scheduler's signal
 * and waited for. The clock is xen_mm's: a vCPU that reloaded after a
 * stamp is not asked again. */
#include <errno.h>
#include <sys/ioctl.h>
#include <time.h>
#include "domain.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"
#include "xen_domain.h"

#define WAIT_LIMIT_NS 5000000000ULL    /* a vCPU that does not leave KVM_RUN in 5 s: the domain crashes */
#define REKICK_NS 1000000ULL

uint64_t xen_tlb_now(struct domain *d)
{
	return __atomic_load_n(d->xen->mm.tlb_clock, __ATOMIC_SEQ_CST);
}

/* The clock at vCPU t's last CR3 reload: on its way back through the
 * stub after an exit, or its stub's TLB_FLUSH_LOCAL (the cell). */
static uint64_t reloaded(struct xen_vcpu *t)
{
	uint64_t a = __atomic_load_n(&t->flushed, __ATOMIC_SEQ_CST);
	uint64_t b = t->cell ? __atomic_load_n(&t->cell[XC_FLUSHED], __ATOMIC_SEQ_CST) : 0;
	return a > b ? a : b;
}

/* Until vCPU n has reloaded CR3 after stamp, or is out of KVM_RUN (then
 * it sees flush_want before it enters again: the two sides store, then
 * load the other's flag, all sequentially consistent). */
static int wait_one(struct domain *d, uint32_t n, uint64_t stamp)
{
	struct xen_domain *x = d->xen;
	struct xen_vcpu *t = &x->v[n];
	if (reloaded(t) > stamp)
		return 0;
	__atomic_store_n(&t->flush_want, true, __ATOMIC_SEQ_CST);
	uint64_t start = time_now(), kicked = 0;
	while (__atomic_load_n(&t->in_run, __ATOMIC_SEQ_CST) && reloaded(t) <= stamp) {
		uint64_t now = time_now();
		if (now - start > WAIT_LIMIT_NS) {
			domain_crash(d, &d->vcpus[n], "vCPU %u did not leave KVM_RUN in 5 s for a TLB flush", n);
			return -ETIMEDOUT;
		}
		if (atomic_load(&d->state) >= DS_SHUTDOWN)
			return 0;              /* it stops without running its guest again */
		if (!kicked || now - kicked > REKICK_NS) {
			__atomic_fetch_add(&x->tlb_kicks, 1, __ATOMIC_RELAXED);
			sched_kick(&d->vcpus[n]);
			kicked = now;
		}
		nanosleep(&(struct timespec){ 0, 20000 }, NULL);
	}
	return 0;
}

int xen_tlb_flush(struct domain *d, uint64_t mask, uint64_t stamp)
{
	int rc = 0;
	for (uint32_t n = 0; n < d->nr_vcpus && !rc; n++)
		if ((mask >> n) & 1)
			rc = wait_one(d, n, stamp);
	__atomic_fetch_add(&d->xen->tlb_flushes, 1, __ATOMIC_RELAXED);
	return rc;
}

int xen_tlb_mm_flush(void *domain, uint64_t stamp)
{
	struct domain *d = domain;
	return xen_tlb_flush(d, ~0ULL, stamp);
}

extern const uint8_t xs_stub_start[], xs_fast_begin[], xs_fast_commit[], xs_fast_abort[];

/* A vCPU stopped inside the stub while a flush is owed must not touch
 * guest memory through its old TLB: whoever waited for it went on when
 * it left KVM_RUN. The fast path writes bounce frames on guest stacks
 * (a frame there may have become a page table since): the cell sends it
 * to the slow path at its next check, and one stopped past that check,
 * inside the window, is sent there now. The slow path touches no guest
 * memory before its `out`, after which the stub reloads CR3. */
static void stub_owes_flush(struct vcpu *v, struct xen_vcpu *xv)
{
	struct kvm_regs *r = &v->run->s.regs.regs;
	uint64_t off = r->rip - XS_CODE_VA;
	if (off >= XS_CODE_SIZE)
		return;
	xv->cell[XC_FLUSH] = 1;
	if (off >= (uint64_t)(xs_fast_begin - xs_stub_start) && off < (uint64_t)(xs_fast_commit - xs_stub_start)) {
		r->rip = XS_CODE_VA + (uint64_t)(xs_fast_abort - xs_stub_start);
		v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	}
}

void xen_tlb_enter(struct vcpu *v)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = &x->v[v->id];
	__atomic_store_n(&xv->in_run, true, __ATOMIC_SEQ_CST);
	bool want = __atomic_exchange_n(&xv->flush_want, false, __ATOMIC_SEQ_CST);
	if (!xv->frame && want) {
		stub_owes_flush(v, xv);
		/* Stopped in the guest: the event vector's way through the stub
		 * reloads CR3 before the next guest instruction. KVM injects what
		 * it is given whatever the guest's IF, so only where the guest can
		 * take it: stopped inside the stub (IF clear), the vCPU runs on to
		 * its `out` or its CR3 reload and asks again, and whoever waits
		 * for it waits until it is out of KVM_RUN. A vector queued already
		 * (EEXIST, or ENXIO from older KVM) does the same. */
		struct kvm_interrupt irq = { .irq = XS_EVENT_VECTOR };
		if (!v->run->ready_for_interrupt_injection ||
		    (ioctl(v->fd, KVM_INTERRUPT, &irq) && errno != EEXIST && errno != ENXIO)) {
			__atomic_store_n(&xv->flush_want, true, __ATOMIC_SEQ_CST);   /* next time */
			v->run->request_interrupt_window = 1;
			return;
		}
		__atomic_fetch_add(&x->tlb_injects, 1, __ATOMIC_RELAXED);
	} else if (!xv->frame) {
		return;                    /* no reload on this entry */
	}
	xv->cell[XC_FLUSH] = 0;        /* the stub reloads CR3 before the guest runs again */
	__atomic_store_n(&xv->flushed, __atomic_add_fetch(x->mm.tlb_clock, 1, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
}

void xen_tlb_left(struct vcpu *v)
{
	__atomic_store_n(&v->dom->xen->v[v->id].in_run, false, __ATOMIC_SEQ_CST);
}
