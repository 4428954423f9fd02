/* Event channels, after Xen's event_channel.c: a per-domain port table
 * (guarded by evtchn_lock), pending and mask bitmaps in the shared-info
 * page, and an upcall to the bound vCPU when an unmasked port fires. */
#include <errno.h>
#include <string.h>
#include "domain.h"
#include "evtchn.h"
#include "guest_access.h"
#include "hypercall.h"
#include "pvmon.h"
#include "sched.h"
#include "trace.h"

void evtchn_init(struct domain *d)
{
	pthread_mutex_init(&d->evtchn_lock, NULL);
	memset(d->evtchn, 0, sizeof(d->evtchn));
	memset(d->virq_port, 0, sizeof(d->virq_port));
}

static void notify_vcpu(struct domain *d, uint32_t vid)
{
	if (vid >= d->nr_vcpus)
		return;
	struct vcpu *v = &d->vcpus[vid];
	struct pv_vcpu_info *vi = &d->shared->vcpu[vid];
	if (__atomic_exchange_n(&vi->upcall_pending, 1, __ATOMIC_SEQ_CST))
		return;                       /* already signalled */
	sched_wake(v, "event");
	if (!__atomic_load_n(&vi->upcall_mask, __ATOMIC_RELAXED) && v->state == VS_RUNNING)
		sched_kick(v);
}

/* Called with the port's vCPU known; bits live in guest memory, so every
 * access is atomic and nothing is trusted beyond the bit positions. */
static void mark_pending(struct domain *d, uint32_t port, uint32_t vid)
{
	struct pv_shared_info *s = d->shared;
	uint64_t bit = 1ULL << (port % 64);
	if (__atomic_fetch_or(&s->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return;
	/* As Xen's evtchn_check_pollers: a vCPU in sched_op(poll) wakes for
	 * a port it polls, masked or not (vcpu_has_work checks which). */
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		if (__atomic_load_n(&d->vcpus[i].polling, __ATOMIC_SEQ_CST))
			sched_wake(&d->vcpus[i], "poll");
	if (__atomic_load_n(&s->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit)
		return;
	if (vid >= d->nr_vcpus)
		vid = 0;
	__atomic_fetch_or(&s->vcpu[vid].pending_sel, 1ULL << (port / 64), __ATOMIC_SEQ_CST);
	notify_vcpu(d, vid);
}

int evtchn_set_pending(struct domain *d, uint32_t port)
{
	if (port == 0 || port >= PV_NR_EVTCHN)
		return -EINVAL;
	pthread_mutex_lock(&d->evtchn_lock);
	uint32_t vid = d->evtchn[port].vcpu;
	bool open = d->evtchn[port].state != PV_EVTCHNSTAT_closed;
	pthread_mutex_unlock(&d->evtchn_lock);
	if (!open)
		return -EINVAL;
	mark_pending(d, port, vid);
	return 0;
}

void evtchn_send_virq(struct domain *d, uint32_t vid, uint32_t virq)
{
	if (vid >= d->nr_vcpus || virq >= PV_NR_VIRQS)
		return;
	pthread_mutex_lock(&d->evtchn_lock);
	uint32_t port = d->virq_port[vid][virq];
	pthread_mutex_unlock(&d->evtchn_lock);
	if (port)
		mark_pending(d, port, vid);
}

static int alloc_port(struct domain *d)
{
	for (uint32_t p = 1; p < PV_NR_EVTCHN; p++)
		if (d->evtchn[p].state == PV_EVTCHNSTAT_closed)
			return (int)p;
	return -ENOSPC;
}

/* Lock two domains' tables in domid order (once if the same). */
static void lock_pair(struct domain *a, struct domain *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->evtchn_lock);
	} else if (a->id < b->id) {
		pthread_mutex_lock(&a->evtchn_lock);
		pthread_mutex_lock(&b->evtchn_lock);
	} else {
		pthread_mutex_lock(&b->evtchn_lock);
		pthread_mutex_lock(&a->evtchn_lock);
	}
}

static void unlock_pair(struct domain *a, struct domain *b)
{
	pthread_mutex_unlock(&a->evtchn_lock);
	if (a != b)
		pthread_mutex_unlock(&b->evtchn_lock);
}

static uint32_t resolve_dom(const struct domain *d, uint32_t dom)
{
	return dom == PV_DOMID_SELF ? d->id : dom;
}

static long op_alloc_unbound(struct vcpu *v, struct pv_evtchn_alloc_unbound *a)
{
	struct domain *d = v->dom;
	if (resolve_dom(d, a->dom) != d->id)
		return guest_reject(v, "dom", a->dom, -EPERM);
	uint32_t remote = resolve_dom(d, a->remote_dom);
	if (remote >= MAX_DOMAINS)                  /* 0: a back end of pvmon's (Domain 0) */
		return guest_reject(v, "remote_dom", a->remote_dom, -ESRCH);
	pthread_mutex_lock(&d->evtchn_lock);
	int port = alloc_port(d);
	if (port > 0) {
		d->evtchn[port] = (struct evtchn){ .state = PV_EVTCHNSTAT_unbound, .remote_dom = remote };
		a->port = (uint32_t)port;
	}
	pthread_mutex_unlock(&d->evtchn_lock);
	return port < 0 ? port : 0;
}

static long op_bind_interdomain(struct vcpu *v, struct pv_evtchn_bind_interdomain *b)
{
	struct domain *d = v->dom;
	uint32_t rid = resolve_dom(d, b->remote_dom);
	if (b->remote_port == 0 || b->remote_port >= PV_NR_EVTCHN)
		return guest_reject(v, "remote_port", b->remote_port, -EINVAL);
	struct domain *r = domain_get(rid);
	if (r && atomic_load(&r->ended)) {
		domain_put(r);
		r = NULL;
	}
	if (!r)
		return guest_reject(v, "remote_dom", b->remote_dom, -ESRCH);
	long rc;
	lock_pair(d, r);
	struct evtchn *rp = &r->evtchn[b->remote_port];
	if (rp->state != PV_EVTCHNSTAT_unbound || rp->remote_dom != d->id) {
		rc = guest_reject(v, "remote_port", b->remote_port, -EINVAL);
	} else if ((rc = alloc_port(d)) > 0) {
		uint32_t lp = (uint32_t)rc;
		d->evtchn[lp] = (struct evtchn){ .state = PV_EVTCHNSTAT_interdomain,
		                                 .remote_dom = r->id, .remote_port = b->remote_port };
		rp->state = PV_EVTCHNSTAT_interdomain;
		rp->remote_port = lp;
		b->local_port = lp;
		rc = 0;
	}
	unlock_pair(d, r);
	domain_put(r);
	return rc;
}

static long op_bind_virq(struct vcpu *v, struct pv_evtchn_bind_virq *b)
{
	struct domain *d = v->dom;
	if (b->virq >= PV_NR_VIRQS)
		return guest_reject(v, "virq", b->virq, -EINVAL);
	if (b->vcpu >= d->nr_vcpus)
		return guest_reject(v, "vcpu", b->vcpu, -EINVAL);
	long rc;
	pthread_mutex_lock(&d->evtchn_lock);
	if (d->virq_port[b->vcpu][b->virq]) {
		rc = -EEXIST;
	} else if ((rc = alloc_port(d)) > 0) {
		d->evtchn[rc] = (struct evtchn){ .state = PV_EVTCHNSTAT_virq, .virq = (uint8_t)b->virq,
		                                 .vcpu = (uint16_t)b->vcpu };
		d->virq_port[b->vcpu][b->virq] = (uint32_t)rc;
		b->port = (uint32_t)rc;
		rc = 0;
	}
	pthread_mutex_unlock(&d->evtchn_lock);
	return rc;
}

int evtchn_bind_backend(struct domain *d, uint32_t port, void (*fn)(void *ctx), void *ctx)
{
	if (port == 0 || port >= PV_NR_EVTCHN)
		return -EINVAL;
	pthread_mutex_lock(&d->evtchn_lock);
	struct evtchn *e = &d->evtchn[port];
	int rc = e->state == PV_EVTCHNSTAT_unbound && e->remote_dom == PV_DOMID_BACKEND ? 0 : -EINVAL;
	if (!rc) {
		e->state = PV_EVTCHNSTAT_interdomain;
		e->remote_port = 0;
		e->be = fn;
		e->be_ctx = ctx;
	}
	pthread_mutex_unlock(&d->evtchn_lock);
	return rc;
}

void evtchn_unbind_backend(struct domain *d, uint32_t port)
{
	if (port == 0 || port >= PV_NR_EVTCHN)
		return;
	pthread_mutex_lock(&d->evtchn_lock);
	struct evtchn *e = &d->evtchn[port];
	if (e->state == PV_EVTCHNSTAT_interdomain && e->be) {
		e->state = PV_EVTCHNSTAT_unbound;
		e->be = NULL;
		e->be_ctx = NULL;
	}
	pthread_mutex_unlock(&d->evtchn_lock);
}

/* A copy of the caller's port, after checking the number: 0 or -EINVAL. */
static long get_port(struct vcpu *v, uint32_t port, struct evtchn *e)
{
	struct domain *d = v->dom;
	if (port == 0 || port >= PV_NR_EVTCHN)
		return guest_reject(v, "port", port, -EINVAL);
	pthread_mutex_lock(&d->evtchn_lock);
	*e = d->evtchn[port];
	pthread_mutex_unlock(&d->evtchn_lock);
	return 0;
}

static long op_send(struct vcpu *v, uint32_t port)
{
	struct domain *d = v->dom;
	struct evtchn e = { 0 };
	if (get_port(v, port, &e))
		return -EINVAL;
	atomic_fetch_add_explicit(&d->events_sent, 1, memory_order_relaxed);
	switch (e.state) {
	case PV_EVTCHNSTAT_interdomain: {
		if (e.be) {                /* Domain 0's back end: it lives as long as d */
			trace_evtchn_send(d->id, port, PV_DOMID_BACKEND, 0);
			e.be(e.be_ctx);
			return 0;
		}
		struct domain *r = domain_get(e.remote_dom);
		if (!r)
			return 0;          /* peer died: the send is dropped, as in Xen */
		trace_evtchn_send(d->id, port, r->id, e.remote_port);
		evtchn_set_pending(r, e.remote_port);
		domain_put(r);
		return 0;
	}
	case PV_EVTCHNSTAT_virq:
		trace_evtchn_send(d->id, port, d->id, port);
		mark_pending(d, port, e.vcpu);
		return 0;
	case PV_EVTCHNSTAT_unbound:
		return 0;              /* nobody listens yet */
	default:
		return guest_reject(v, "port", port, -EINVAL);
	}
}

/* Close port in d; the caller holds d's lock and the peer's when bound. */
static void close_locked(struct domain *d, uint32_t port, struct domain *peer)
{
	struct evtchn *e = &d->evtchn[port];
	if (e->state == PV_EVTCHNSTAT_virq && e->vcpu < PV_MAX_VCPUS && e->virq < PV_NR_VIRQS)
		d->virq_port[e->vcpu][e->virq] = 0;
	if (e->state == PV_EVTCHNSTAT_interdomain && peer) {
		struct evtchn *pe = &peer->evtchn[e->remote_port];
		if (pe->state == PV_EVTCHNSTAT_interdomain && pe->remote_dom == d->id && pe->remote_port == port) {
			pe->state = PV_EVTCHNSTAT_unbound;
			pe->remote_port = 0;
		}
	}
	memset(e, 0, sizeof(*e));
}

static long op_close(struct vcpu *v, uint32_t port)
{
	struct domain *d = v->dom;
	struct evtchn e = { 0 };
	if (get_port(v, port, &e))
		return -EINVAL;
	if (e.state == PV_EVTCHNSTAT_closed)
		return guest_reject(v, "port", port, -EINVAL);
	struct domain *peer = e.state == PV_EVTCHNSTAT_interdomain ? domain_get(e.remote_dom) : NULL;
	lock_pair(d, peer ? peer : d);
	close_locked(d, port, peer);
	unlock_pair(d, peer ? peer : d);
	if (peer)
		domain_put(peer);
	__atomic_fetch_and(&d->shared->evtchn_pending[port / 64], ~(1ULL << (port % 64)), __ATOMIC_SEQ_CST);
	return 0;
}

static long op_status(struct vcpu *v, struct pv_evtchn_status *st)
{
	struct evtchn e = { 0 };
	if (get_port(v, st->port, &e))
		return -EINVAL;
	st->status = e.state;
	st->vcpu = e.vcpu;
	st->remote_dom = e.remote_dom;
	st->remote_port = e.remote_port;
	st->virq = e.virq;
	return 0;
}

static long op_unmask(struct vcpu *v, uint32_t port)
{
	struct domain *d = v->dom;
	struct evtchn e = { 0 };
	if (get_port(v, port, &e))
		return -EINVAL;
	struct pv_shared_info *s = d->shared;
	uint64_t bit = 1ULL << (port % 64);
	__atomic_fetch_and(&s->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & bit) {
		uint32_t vid = e.vcpu;
		if (vid >= d->nr_vcpus)
			vid = 0;
		__atomic_fetch_or(&s->vcpu[vid].pending_sel, 1ULL << (port / 64), __ATOMIC_SEQ_CST);
		notify_vcpu(d, vid);
	}
	return 0;
}

/* event_channel_op(cmd, arg): argument structs are copied in once,
 * validated on the copy, copied out. */
long hc_event_channel_op(struct vcpu *v, const uint64_t args[5])
{
	uint64_t cmd = args[0], arg = args[1];
	union {
		struct pv_evtchn_alloc_unbound au;
		struct pv_evtchn_bind_interdomain bi;
		struct pv_evtchn_bind_virq bv;
		struct pv_evtchn_status st;
		uint32_t port;
	} a;
	static const size_t size[] = {
		[PV_EVTCHN_alloc_unbound] = sizeof(a.au),
		[PV_EVTCHN_bind_interdomain] = sizeof(a.bi),
		[PV_EVTCHN_bind_virq] = sizeof(a.bv),
		[PV_EVTCHN_send] = sizeof(uint32_t),
		[PV_EVTCHN_close] = sizeof(uint32_t),
		[PV_EVTCHN_status] = sizeof(a.st),
		[PV_EVTCHN_unmask] = sizeof(uint32_t),
	};
	if (cmd >= sizeof(size) / sizeof(size[0]))
		return guest_reject(v, "cmd", cmd, -EINVAL);
	long rc = guest_copy_from(v, &a, arg, size[cmd]);
	if (rc)
		return rc;
	bool out = true;
	switch (cmd) {
	case PV_EVTCHN_alloc_unbound:    rc = op_alloc_unbound(v, &a.au); break;
	case PV_EVTCHN_bind_interdomain: rc = op_bind_interdomain(v, &a.bi); break;
	case PV_EVTCHN_bind_virq:        rc = op_bind_virq(v, &a.bv); break;
	case PV_EVTCHN_status:           rc = op_status(v, &a.st); break;
	case PV_EVTCHN_send:   rc = op_send(v, a.port); out = false; break;
	case PV_EVTCHN_close:  rc = op_close(v, a.port); out = false; break;
	default:               rc = op_unmask(v, a.port); out = false; break;
	}
	if (rc == 0 && out)
		rc = guest_copy_to(v, arg, &a, size[cmd]);
	return rc;
}

void evtchn_teardown(struct domain *d)
{
	for (uint32_t p = 1; p < PV_NR_EVTCHN; p++) {
		pthread_mutex_lock(&d->evtchn_lock);
		struct evtchn e = d->evtchn[p];
		pthread_mutex_unlock(&d->evtchn_lock);
		if (e.state != PV_EVTCHNSTAT_interdomain)
			continue;
		struct domain *peer = domain_get(e.remote_dom);
		lock_pair(d, peer ? peer : d);
		close_locked(d, p, peer);
		unlock_pair(d, peer ? peer : d);
		if (peer)
			domain_put(peer);
	}
}
