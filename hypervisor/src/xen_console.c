/* The console of a Linux PV domain: the output ring of start_info's
 * console page (hvc_xen writes it and notifies the console event channel)
 * drained into pvmon's console, so hvc0 streams like a pvos console; the
 * input ring fed from pvmon's console input (`pvctl input`) with the
 * channel raised. The page is the guest's RAM: the indices are read once
 * and checked, and pvmon writes only while the frame is no page table. */
#include <stdio.h>
#include "xen_public.h"
#include <xen/io/console.h>
#include "console.h"
#include "domain.h"
#include "xen_domain.h"

#define PAGE 4096ULL

void xen_console_drain(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	uint64_t mfn = x->layout.console.pfn;
	char buf[sizeof(((struct xencons_interface *)0)->out)];
	xen_lock(x);
	const struct xmm_page *p = &x->mm.pg[mfn];
	if (x->console_gone || (p->count && p->type >= XMM_L1)) {
		xen_unlock(x);
		return;                 /* the guest made the page a table: no console any more */
	}
	struct xencons_interface *c = (struct xencons_interface *)((uint8_t *)x->mm.ram + mfn * PAGE);
	XENCONS_RING_IDX cons = __atomic_load_n(&c->out_cons, __ATOMIC_RELAXED);
	XENCONS_RING_IDX prod = __atomic_load_n(&c->out_prod, __ATOMIC_ACQUIRE);
	XENCONS_RING_IDX n = prod - cons;
	if (n > sizeof(buf)) {
		x->console_gone = true;
		xen_unlock(x);
		xen_crash(v, "console ring: out_prod %u is %u bytes ahead of out_cons %u (the ring holds %zu)", prod, n,
		          cons, sizeof(buf));
		return;
	}
	for (XENCONS_RING_IDX i = 0; i < n; i++)
		buf[i] = c->out[MASK_XENCONS_IDX(cons + i, c->out)];
	__atomic_store_n(&c->out_cons, prod, __ATOMIC_RELEASE);
	xen_unlock(x);
	if (n)
		console_write(d->console, buf, n);
	xen_console_feed(d);           /* input left over while the ring was full */
}

void xen_console_feed(struct domain *d)
{
	struct xen_domain *x = d->xen;
	uint64_t mfn = x->layout.console.pfn;
	char buf[sizeof(((struct xencons_interface *)0)->in)];
	size_t n = 0;
	xen_lock(x);
	const struct xmm_page *p = &x->mm.pg[mfn];
	if (!x->console_gone && !(p->count && p->type >= XMM_L1)) {
		struct xencons_interface *c = (struct xencons_interface *)((uint8_t *)x->mm.ram + mfn * PAGE);
		XENCONS_RING_IDX cons = __atomic_load_n(&c->in_cons, __ATOMIC_ACQUIRE);
		XENCONS_RING_IDX prod = __atomic_load_n(&c->in_prod, __ATOMIC_RELAXED);
		XENCONS_RING_IDX used = prod - cons;
		if (used > sizeof(buf)) {
			x->console_gone = true;    /* the guest wrote nonsense into our index: no console */
		} else {
			n = console_input_pull(d->console, buf, sizeof(buf) - used);
			for (size_t i = 0; i < n; i++)
				c->in[MASK_XENCONS_IDX(prod + (XENCONS_RING_IDX)i, c->in)] = buf[i];
			__atomic_store_n(&c->in_prod, prod + (XENCONS_RING_IDX)n, __ATOMIC_RELEASE);
		}
	}
	xen_unlock(x);
	if (n)
		xen_evtchn_set(d, (uint32_t)x->console_port);
}
