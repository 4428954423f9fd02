/* Event channels of Linux PV domains, by Xen's rules (xen/common/
 * event_channel.c, 2-level ABI): VIRQs, IPIs, ports between two Xen
 * domains of this pvmon (alloc_unbound, bind_interdomain) and ports whose
 * peer is pvmon itself as Domain 0, served by a back end's function
 * (the console, xenstore). A domain's ports are guarded by its lock; two
 * domains' locks are taken in domain-id order. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include "domain.h"
#include "trace.h"
#include "xen_domain.h"
#include "xen_public.h"

static int free_port(struct xen_domain *x)
{
	for (int p = 1; p < XEN_NR_EVTCHN; p++)
		if (!x->evtchn_state[p])
			return p;
	return -ENOSPC;
}

static void lock_pair(struct domain *a, struct domain *b)
{
	if (a == b) {
		xen_lock(a->xen);
		return;
	}
	struct domain *first = a->id < b->id ? a : b, *second = first == a ? b : a;
	xen_lock(first->xen);
	xen_lock(second->xen);
}

static void unlock_pair(struct domain *a, struct domain *b)
{
	xen_unlock(a->xen);
	if (a != b)
		xen_unlock(b->xen);
}

/* A live Xen domain of this pvmon by id, with a reference; NULL if none. */
static struct domain *xen_peer(uint32_t id)
{
	struct domain *r = domain_get(id);
	if (r && (!r->xen || atomic_load(&r->ended))) {
		domain_put(r);
		r = NULL;
	}
	return r;
}

void xen_evtchn_backend(struct domain *d, uint32_t port, xen_backend_fn *fn, void *ctx)
{
	struct xen_domain *x = d->xen;
	x->evtchn_state[port] = EVTCHNSTAT_interdomain;
	x->evtchn_rdom[port] = 0;
	x->evtchn_rport[port] = 0;
	x->evtchn_be[port] = fn;
	x->evtchn_be_ctx[port] = ctx;
}

int xen_evtchn_bind_backend(struct domain *d, uint32_t port, xen_backend_fn *fn, void *ctx)
{
	struct xen_domain *x = d->xen;
	if (port == 0 || port >= XEN_NR_EVTCHN)
		return -EINVAL;
	xen_lock(x);
	int rc = x->evtchn_state[port] == EVTCHNSTAT_unbound && x->evtchn_rdom[port] == 0 ? 0 : -EINVAL;
	if (!rc)
		xen_evtchn_backend(d, port, fn, ctx);
	xen_unlock(x);
	return rc;
}

/* The stub rings no bell for port after this (lock held). A vCPU that
 * read the table before may still ring it once: that send came first. */
static void silence_bell(struct xen_domain *x, uint32_t port)
{
	for (unsigned i = 0; x->stub_dom && i < XS_MAX_BELLS; i++)
		if (x->stub_dom[XD_BELLS + i] == port)
			__atomic_store_n(&x->stub_dom[XD_BELLS + i], 0, __ATOMIC_RELEASE);
}

static int ioeventfd(struct domain *d, unsigned bell, int efd, bool on)
{
	struct kvm_ioeventfd e = { .addr = XS_BELL_PORT + bell, .len = 1, .fd = efd,
	                           .flags = KVM_IOEVENTFD_FLAG_PIO | (on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN) };
	return ioctl(d->vm_fd, KVM_IOEVENTFD, &e) ? -errno : 0;
}

int xen_evtchn_bell(struct domain *d, uint32_t port, int *efd)
{
	struct xen_domain *x = d->xen;
	*efd = -1;
	if (!x->stub_dom || port == 0 || port >= XEN_NR_EVTCHN)
		return -EINVAL;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	xen_lock(x);
	/* A back end's port (not closed meanwhile), then a free bell. */
	int rc = x->evtchn_state[port] == EVTCHNSTAT_interdomain && x->evtchn_be[port] ? -ENOSPC : -EINVAL;
	for (unsigned i = 0; i < XS_MAX_BELLS && rc == -ENOSPC; i++)
		if (x->bell_fd[i] < 0 && !(rc = ioeventfd(d, i, fd, true))) {
			x->bell_fd[i] = fd;
			__atomic_store_n(&x->stub_dom[XD_BELLS + i], port, __ATOMIC_RELEASE);
			rc = (int)i;
		}
	xen_unlock(x);
	if (rc < 0)
		close(fd);
	else
		*efd = fd;
	return rc;
}

void xen_evtchn_bell_free(struct domain *d, int *bell, int *efd)
{
	struct xen_domain *x = d->xen;
	if (*bell >= 0 && *bell < XS_MAX_BELLS) {
		xen_lock(x);
		if (x->bell_fd[*bell] == *efd) {
			__atomic_store_n(&x->stub_dom[XD_BELLS + *bell], 0, __ATOMIC_RELEASE);
			ioeventfd(d, (unsigned)*bell, *efd, false);   /* a ring from here on is a bare `out`: dropped */
			x->bell_fd[*bell] = -1;
		}
		xen_unlock(x);
	}
	if (*efd >= 0)
		close(*efd);
	*bell = *efd = -1;
}

bool xen_evtchn_bell_rung(int efd, uint64_t *kicks)
{
	uint64_t c;
	if (efd < 0 || read(efd, &c, sizeof(c)) != (ssize_t)sizeof(c))
		return false;
	*kicks += c;
	return true;
}

void xen_evtchn_unbind_backend(struct domain *d, uint32_t port)
{
	struct xen_domain *x = d->xen;
	if (port == 0 || port >= XEN_NR_EVTCHN)
		return;
	xen_lock(x);
	silence_bell(x, port);
	if (x->evtchn_state[port] == EVTCHNSTAT_interdomain && x->evtchn_be[port]) {
		x->evtchn_state[port] = EVTCHNSTAT_unbound;    /* Domain 0 closed its end: unbound, waiting for it */
		x->evtchn_be[port] = NULL;
		x->evtchn_be_ctx[port] = NULL;
	}
	xen_unlock(x);
}

/* Close port of d (its lock held, and peer's when peer is not NULL):
 * a peer's port goes back to unbound, waiting for d again (Xen's
 * evtchn_close of ECS_INTERDOMAIN). */
static void close_locked(struct domain *d, uint32_t port, struct domain *peer)
{
	struct xen_domain *x = d->xen;
	silence_bell(x, port);
	if (x->evtchn_state[port] == EVTCHNSTAT_virq)
		x->v[x->evtchn_vcpu[port]].virq_port[x->evtchn_virq[port]] = 0;
	if (peer && x->evtchn_state[port] == EVTCHNSTAT_interdomain) {
		struct xen_domain *r = peer->xen;
		uint32_t rp = x->evtchn_rport[port];
		if (r->evtchn_state[rp] == EVTCHNSTAT_interdomain && r->evtchn_rdom[rp] == d->id &&
		    r->evtchn_rport[rp] == port) {
			r->evtchn_state[rp] = EVTCHNSTAT_unbound;
			r->evtchn_rport[rp] = 0;
		}
	}
	x->evtchn_state[port] = 0;
	x->evtchn_rdom[port] = 0;
	x->evtchn_rport[port] = 0;
	x->evtchn_be[port] = NULL;       /* a back end of pvmon finds it closed when it unbinds */
	x->evtchn_be_ctx[port] = NULL;
	/* Xen clears it too: a port bound again starts with nothing pending. */
	const unsigned bits = sizeof(xen_ulong_t) * 8;
	__atomic_fetch_and(&x->shared->evtchn_pending[port / bits], ~(1ULL << (port % bits)), __ATOMIC_SEQ_CST);
}

void xen_evtchn_teardown(struct domain *d)
{
	struct xen_domain *x = d->xen;
	for (uint32_t p = 1; p < XEN_NR_EVTCHN; p++) {
		xen_lock(x);
		bool linked = x->evtchn_state[p] == EVTCHNSTAT_interdomain && !x->evtchn_be[p];
		uint32_t rdom = x->evtchn_rdom[p];
		xen_unlock(x);
		if (!linked)
			continue;
		struct domain *peer = rdom == d->id ? NULL : domain_get(rdom);
		if (peer && !peer->xen) {
			domain_put(peer);
			peer = NULL;
		}
		lock_pair(d, peer ? peer : d);
		close_locked(d, p, peer ? peer : rdom == d->id ? d : NULL);
		unlock_pair(d, peer ? peer : d);
		if (peer)
			domain_put(peer);
	}
}

static long alloc_unbound(struct vcpu *v, struct evtchn_alloc_unbound *a)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	if (a->dom != DOMID_SELF && a->dom != d->id)
		return -EPERM;              /* another domain's table: Domain 0's business */
	uint32_t remote = a->remote_dom == DOMID_SELF ? d->id : a->remote_dom;
	if (remote >= DOMID_FIRST_RESERVED)
		return -ESRCH;
	xen_lock(x);
	int port = free_port(x);
	if (port > 0) {
		x->evtchn_state[port] = EVTCHNSTAT_unbound;
		x->evtchn_rdom[port] = (uint16_t)remote;
		x->evtchn_rport[port] = 0;
		x->evtchn_vcpu[port] = 0;
		a->port = (evtchn_port_t)port;
	}
	xen_unlock(x);
	return port < 0 ? port : 0;
}

/* Xen's evtchn_bind_interdomain: the remote port must be unbound and
 * waiting for this domain. pvmon (Domain 0) offers no unbound ports:
 * its back ends bind the guest's. */
static long bind_interdomain(struct vcpu *v, struct evtchn_bind_interdomain *b)
{
	struct domain *d = v->dom;
	uint32_t rid = b->remote_dom == DOMID_SELF ? d->id : b->remote_dom;
	if (rid == 0)
		return -EINVAL;
	struct domain *r = rid == d->id ? d : xen_peer(rid);
	if (!r)
		return -ESRCH;
	if (b->remote_port == 0 || b->remote_port >= XEN_NR_EVTCHN) {
		if (r != d)
			domain_put(r);
		return -EINVAL;
	}
	long rc;
	lock_pair(d, r);
	struct xen_domain *x = d->xen, *rx = r->xen;
	uint32_t rp = b->remote_port;
	if (rx->evtchn_state[rp] != EVTCHNSTAT_unbound || rx->evtchn_rdom[rp] != d->id) {
		rc = -EINVAL;
	} else if ((rc = free_port(x)) > 0) {
		uint32_t lp = (uint32_t)rc;
		x->evtchn_state[lp] = EVTCHNSTAT_interdomain;
		x->evtchn_rdom[lp] = (uint16_t)r->id;
		x->evtchn_rport[lp] = (uint16_t)rp;
		x->evtchn_vcpu[lp] = 0;
		rx->evtchn_state[rp] = EVTCHNSTAT_interdomain;
		rx->evtchn_rport[rp] = (uint16_t)lp;
		b->local_port = lp;
		rc = 0;
	}
	unlock_pair(d, r);
	if (r != d)
		domain_put(r);
	return rc;
}

static long send(struct vcpu *v, uint32_t port)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	if (port >= XEN_NR_EVTCHN)
		return -EINVAL;
	xen_lock(x);
	uint8_t st = x->evtchn_state[port];
	uint32_t rdom = x->evtchn_rdom[port], rport = x->evtchn_rport[port];
	xen_backend_fn *be = x->evtchn_be[port];
	void *be_ctx = x->evtchn_be_ctx[port];
	xen_unlock(x);
	switch (st) {
	case EVTCHNSTAT_unbound:
		return 0;                   /* Xen drops it silently */
	case EVTCHNSTAT_ipi:
		trace_evtchn_send(d->id, port, d->id, port);
		atomic_fetch_add_explicit(&d->events_sent, 1, memory_order_relaxed);
		xen_evtchn_set(d, port);    /* to the vCPU it is bound to: wakes it, kicks it */
		return 0;
	case EVTCHNSTAT_interdomain:
		break;
	default:
		return -EINVAL;             /* closed, a VIRQ */
	}
	atomic_fetch_add_explicit(&d->events_sent, 1, memory_order_relaxed);
	trace_evtchn_send(d->id, port, rdom, rport);
	if (be) {
		be(v, be_ctx);              /* pvmon's back end: the console, xenstore */
		return 0;
	}
	struct domain *r = rdom == d->id ? d : xen_peer(rdom);
	if (!r)
		return 0;                   /* the peer is ending: its teardown unbinds the port */
	xen_evtchn_set(r, rport);
	if (r != d)
		domain_put(r);
	return 0;
}

static long close_port(struct vcpu *v, uint32_t port)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	if (port >= XEN_NR_EVTCHN)
		return -EINVAL;
	xen_lock(x);
	uint8_t st = x->evtchn_state[port];
	uint32_t rdom = x->evtchn_rdom[port];
	xen_unlock(x);
	if (!st || port == x->console_port || port == XEN_STORE_PORT)
		return -EINVAL;             /* closed, or the console's or xenstore's (pvmon keeps those) */
	struct domain *peer = NULL;
	if (st == EVTCHNSTAT_interdomain && rdom != 0)
		peer = rdom == d->id ? d : xen_peer(rdom);
	lock_pair(d, peer ? peer : d);
	/* Looked at again under both locks: the port may have changed meanwhile. */
	long rc = x->evtchn_state[port] ? 0 : -EINVAL;
	if (!rc)
		close_locked(d, port, peer && x->evtchn_rdom[port] == peer->id ? peer : NULL);
	unlock_pair(d, peer ? peer : d);
	if (peer && peer != d)
		domain_put(peer);
	return rc;
}

static long bind_virq(struct vcpu *v, struct evtchn_bind_virq *b)
{
	struct xen_domain *x = v->dom->xen;
	if (b->virq >= XEN_NR_VIRQS || b->vcpu >= v->dom->nr_vcpus)
		return -EINVAL;
	if (b->virq != VIRQ_TIMER && b->virq != VIRQ_DEBUG && b->virq != VIRQ_CONSOLE)
		return -EINVAL;
	xen_lock(x);
	struct xen_vcpu *t = &x->v[b->vcpu];
	long rc = t->virq_port[b->virq] ? -EEXIST : free_port(x);
	if (rc > 0) {
		x->evtchn_state[rc] = EVTCHNSTAT_virq;
		x->evtchn_vcpu[rc] = (uint8_t)b->vcpu;
		x->evtchn_virq[rc] = (uint8_t)b->virq;
		t->virq_port[b->virq] = (uint64_t)rc;
		b->port = (evtchn_port_t)rc;
	}
	xen_unlock(x);
	return rc < 0 ? rc : 0;
}

static long bind_ipi(struct vcpu *v, struct evtchn_bind_ipi *b)
{
	struct xen_domain *x = v->dom->xen;
	if (b->vcpu >= v->dom->nr_vcpus)
		return -ENOENT;
	xen_lock(x);
	long rc = free_port(x);
	if (rc > 0) {
		x->evtchn_state[rc] = EVTCHNSTAT_ipi;
		x->evtchn_vcpu[rc] = (uint8_t)b->vcpu;
		b->port = (evtchn_port_t)rc;
	}
	xen_unlock(x);
	return rc < 0 ? rc : 0;
}

/* An operation on its argument struct: copied in, done by fn, copied
 * back out when fn succeeds. */
#define IN_OUT(type, fn) do {                                       \
		type a_;                                            \
		if (xen_copy_from(v, &a_, arg, sizeof(a_)))         \
			return -EFAULT;                             \
		rc = fn(v, &a_);                                    \
		return rc ? rc : xen_copy_to(v, arg, &a_, sizeof(a_)); \
	} while (0)

long xen_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	long rc;
	switch (cmd) {
	case EVTCHNOP_alloc_unbound:
		IN_OUT(struct evtchn_alloc_unbound, alloc_unbound);
	case EVTCHNOP_bind_interdomain:
		IN_OUT(struct evtchn_bind_interdomain, bind_interdomain);
	case EVTCHNOP_bind_virq:
		IN_OUT(struct evtchn_bind_virq, bind_virq);
	case EVTCHNOP_bind_ipi:
		IN_OUT(struct evtchn_bind_ipi, bind_ipi);
	case EVTCHNOP_bind_vcpu: {
		struct evtchn_bind_vcpu b;
		if (xen_copy_from(v, &b, arg, sizeof(b)))
			return -EFAULT;
		if (b.port >= XEN_NR_EVTCHN || b.vcpu >= v->dom->nr_vcpus)
			return -ENOENT;
		xen_lock(x);
		/* Xen: a VIRQ other than a global one and an IPI stay on their vCPU. */
		uint8_t st = x->evtchn_state[b.port];
		rc = st == EVTCHNSTAT_interdomain || st == EVTCHNSTAT_unbound ? 0 : st ? -EINVAL : -ENOENT;
		if (!rc)
			x->evtchn_vcpu[b.port] = (uint8_t)b.vcpu;
		xen_unlock(x);
		return rc;
	}
	case EVTCHNOP_status: {
		struct evtchn_status st;
		if (xen_copy_from(v, &st, arg, sizeof(st)))
			return -EFAULT;
		if (st.dom != DOMID_SELF && st.dom != v->dom->id)
			return -ESRCH;
		if (st.port >= XEN_NR_EVTCHN)
			return -EINVAL;
		xen_lock(x);
		st.status = x->evtchn_state[st.port];
		st.vcpu = x->evtchn_vcpu[st.port];
		memset(&st.u, 0, sizeof(st.u));
		if (st.status == EVTCHNSTAT_virq) {
			st.u.virq = x->evtchn_virq[st.port];
		} else if (st.status == EVTCHNSTAT_unbound) {
			st.u.unbound.dom = x->evtchn_rdom[st.port];
		} else if (st.status == EVTCHNSTAT_interdomain) {
			st.u.interdomain.dom = x->evtchn_rdom[st.port];
			st.u.interdomain.port = x->evtchn_rport[st.port];
		}
		xen_unlock(x);
		return xen_copy_to(v, arg, &st, sizeof(st));
	}
	case EVTCHNOP_close: {
		struct evtchn_close c;
		if (xen_copy_from(v, &c, arg, sizeof(c)))
			return -EFAULT;
		return close_port(v, c.port);
	}
	case EVTCHNOP_send: {
		struct evtchn_send s;
		if (xen_copy_from(v, &s, arg, sizeof(s)))
			return -EFAULT;
		return send(v, s.port);
	}
	case EVTCHNOP_unmask: {
		struct evtchn_unmask u;
		if (xen_copy_from(v, &u, arg, sizeof(u)))
			return -EFAULT;
		if (u.port >= XEN_NR_EVTCHN)
			return -EINVAL;
		const unsigned bits = sizeof(xen_ulong_t) * 8;
		__atomic_fetch_and(&x->shared->evtchn_mask[u.port / bits], ~(1ULL << (u.port % bits)), __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&x->shared->evtchn_pending[u.port / bits], __ATOMIC_SEQ_CST) & (1ULL << (u.port % bits))) {
			__atomic_fetch_and(&x->shared->evtchn_pending[u.port / bits], ~(1ULL << (u.port % bits)), __ATOMIC_SEQ_CST);
			xen_evtchn_set(v->dom, u.port);
		}
		return 0;
	}
	default:
		return -ENOSYS;         /* FIFO (init_control), PIRQs, reset: not served */
	}
}
