/* xen_tlb.c: cross-vCPU TLB flushes without KVM. A vCPU that reloaded CR3
 * after the stamp (on its way out of pvmon, or by its stub's
 * TLB_FLUSH_LOCAL) is left alone; one out of KVM_RUN is marked and owes a
 * reload before its guest runs again; one in KVM_RUN is kicked and waited
 * for until it leaves; entering after a stub exit is a reload (the clock
 * moves), entering after a stop elsewhere is not one until the event
 * vector can be injected; a vCPU stopped inside the stub's fast path is
 * sent to its slow path, which touches no guest memory before its CR3
 * reload. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kvm.h>
#include "check.h"
#include "../../hypervisor/src/domain.h"
#include "../../hypervisor/src/pvmon.h"
#include "../../hypervisor/src/xen_domain.h"

static struct domain *d;
static struct xen_domain *x;
static struct kvm_run runs[2];
static uint64_t frame[XF_WORDS];
static uint64_t cells[2][XC_WORDS];
extern const uint8_t xs_stub_start[], xs_fast_begin[], xs_fast_commit[], xs_fast_abort[];

static uint64_t stub_va(const uint8_t *label)
{
	return XS_CODE_VA + (uint64_t)(label - xs_stub_start);
}

static void setup(void)
{
	d = calloc(1, sizeof(*d));
	x = calloc(1, sizeof(*x));
	d->xen = x;
	d->nr_vcpus = 2;
	x->mm.tlb_clock = &x->mm.tlb_clock_own;
	*x->mm.tlb_clock = 1;
	for (uint32_t i = 0; i < 2; i++) {
		d->vcpus[i].dom = d;
		d->vcpus[i].id = i;
		d->vcpus[i].fd = -1;          /* KVM_INTERRUPT fails: no vector queued */
		d->vcpus[i].run = &runs[i];
		x->v[i].cell = cells[i];
	}
}

static bool flag(bool *b)
{
	return __atomic_load_n(b, __ATOMIC_SEQ_CST);
}

/* vCPU 1 "in KVM_RUN": leaves it when kicked, as the signal makes it. */
static void *in_run_until_kicked(void *arg)
{
	struct vcpu *v = arg;
	while (!atomic_load(&v->kick))
		;
	xen_tlb_left(v);
	return NULL;
}

int main(void)
{
	setup();
	struct xen_vcpu *t = &x->v[1];

	/* Reloaded after the stamp: nothing asked. */
	t->flushed = 5;
	CHECK_EQ(xen_tlb_flush(d, 2, 4), 0);
	CHECK(!flag(&t->flush_want));

	/* Reloaded after the stamp by its stub's TLB_FLUSH_LOCAL (the cell,
	 * even with an older stamp of pvmon's, and while in KVM_RUN): nothing
	 * asked, no kick. */
	t->flushed = 3;
	cells[1][XC_FLUSHED] = 7;
	t->in_run = true;
	CHECK_EQ(xen_tlb_flush(d, 2, 6), 0);
	CHECK(!flag(&t->flush_want));
	CHECK_EQ(x->tlb_kicks, 0);
	t->in_run = false;
	cells[1][XC_FLUSHED] = 0;
	t->flushed = 5;

	/* Out of KVM_RUN: marked, no wait, no kick. */
	CHECK_EQ(xen_tlb_flush(d, 2, 5), 0);
	CHECK(flag(&t->flush_want));
	CHECK_EQ(x->tlb_kicks, 0);

	/* Entering after a stub exit: the stub's CR3 reload pays the debt. */
	x->v[1].frame = frame;
	uint64_t clock = xen_tlb_now(d);
	xen_tlb_enter(&d->vcpus[1]);
	CHECK(flag(&t->in_run));
	CHECK(!flag(&t->flush_want));
	CHECK_EQ(t->flushed, clock + 1);
	CHECK_EQ(xen_tlb_now(d), clock + 1);
	xen_tlb_left(&d->vcpus[1]);
	CHECK(!flag(&t->in_run));

	/* Stopped in the guest where no vector can be injected: still owed,
	 * and KVM asked for the interrupt window. */
	x->v[1].frame = NULL;
	t->flush_want = true;
	runs[1].ready_for_interrupt_injection = 0;
	xen_tlb_enter(&d->vcpus[1]);
	CHECK(flag(&t->flush_want));
	CHECK_EQ(runs[1].request_interrupt_window, 1);
	CHECK_EQ(t->flushed, clock + 1);
	xen_tlb_left(&d->vcpus[1]);

	/* Stopped inside the fast path's window (it may be about to write a
	 * bounce frame through its old TLB): sent to the slow path now, and
	 * the flush stays owed until the stub's reload. */
	runs[1].request_interrupt_window = 0;
	runs[1].s.regs.regs.rip = stub_va(xs_fast_begin) + 8;
	t->flush_want = true;
	xen_tlb_enter(&d->vcpus[1]);
	CHECK_EQ(runs[1].s.regs.regs.rip, stub_va(xs_fast_abort));
	CHECK(runs[1].kvm_dirty_regs & KVM_SYNC_X86_REGS);
	CHECK_EQ(cells[1][XC_FLUSH], 1);
	CHECK(flag(&t->flush_want));
	xen_tlb_left(&d->vcpus[1]);
	/* In the stub before the window: only the cell, which the window's
	 * first check reads; past the window (committed): left to finish. */
	for (int past = 0; past < 2; past++) {
		uint64_t at = past ? stub_va(xs_fast_commit) + 4 : stub_va(xs_stub_start) + 0x250;
		runs[1].s.regs.regs.rip = at;
		runs[1].kvm_dirty_regs = 0;
		cells[1][XC_FLUSH] = 0;
		t->flush_want = true;
		xen_tlb_enter(&d->vcpus[1]);
		CHECK_EQ(runs[1].s.regs.regs.rip, at);
		CHECK_EQ(runs[1].kvm_dirty_regs, 0);
		CHECK_EQ(cells[1][XC_FLUSH], 1);
		xen_tlb_left(&d->vcpus[1]);
	}
	/* In the guest: nothing of the stub's. */
	runs[1].s.regs.regs.rip = 0xffffffff81000000ULL;
	cells[1][XC_FLUSH] = 0;
	t->flush_want = true;
	xen_tlb_enter(&d->vcpus[1]);
	CHECK_EQ(cells[1][XC_FLUSH], 0);
	xen_tlb_left(&d->vcpus[1]);
	/* The reload after the stub's exit clears the cell. */
	cells[1][XC_FLUSH] = 1;
	x->v[1].frame = frame;
	xen_tlb_enter(&d->vcpus[1]);
	CHECK_EQ(cells[1][XC_FLUSH], 0);
	CHECK(!flag(&t->flush_want));
	xen_tlb_left(&d->vcpus[1]);
	x->v[1].frame = NULL;
	clock = t->flushed - 1;

	/* In KVM_RUN and owing: kicked, waited for until it leaves. */
	runs[1].request_interrupt_window = 0;
	x->v[1].frame = frame;
	t->flush_want = false;
	xen_tlb_enter(&d->vcpus[1]);            /* reloads: flushed = clock + 2 */
	atomic_store(&d->vcpus[1].kick, false);
	pthread_t th;
	pthread_create(&th, NULL, in_run_until_kicked, &d->vcpus[1]);
	CHECK_EQ(xen_tlb_flush(d, 3, xen_tlb_now(d)), 0);
	pthread_join(th, NULL);
	CHECK(atomic_load(&d->vcpus[1].kick));
	CHECK(x->tlb_kicks >= 1);
	CHECK(!flag(&t->in_run));
	CHECK(flag(&t->flush_want));            /* and it reloads before its guest runs again */
	CHECK(flag(&x->v[0].flush_want));       /* vCPU 0 (out of KVM_RUN) owes one too */

	/* A vCPU outside the mask is left alone. */
	x->v[0].flush_want = false;
	CHECK_EQ(xen_tlb_flush(d, 2, xen_tlb_now(d)), 0);
	CHECK(!flag(&x->v[0].flush_want));
	CHECK_EQ(x->tlb_flushes, 5);
	free(x);
	free(d);
	return CHECK_DONE();
}
