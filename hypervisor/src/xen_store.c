/* A Linux PV domain's xenstore ring (start_info's store page and event
 * channel), served by pvmon's store (xenstore.c) as xenstored serves a
 * domain: request bytes go from the req ring into the domain's
 * connection; replies and watch events are queued and copied into the
 * rsp ring as the guest makes room. The page is the guest's RAM: the
 * indices are read once and checked, pvmon writes it only while it is no
 * page table, and a guest that breaks its ring loses its store (as
 * xenstored drops such a connection), nothing else. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xen_public.h"
#include <xen/io/xs_wire.h>
#include "domain.h"
#include "xen_domain.h"
#include "xenstore.h"

#define PAGE 4096ULL
#define QUEUE_MAX (64 * 1024)   /* replies and events the guest has not read; beyond: it is not reading */

struct xen_store {
	struct domain *d;
	struct xs_conn *conn;
	uint32_t port;
	pthread_mutex_t in;         /* the req ring's consumer and the connection's input, in order */
	pthread_mutex_t lock;       /* guards out, len and the rsp ring's producer index */
	uint8_t out[QUEUE_MAX];
	size_t len;
	XENSTORE_RING_IDX seen_cons;   /* rsp_cons when last looked at: what the guest took since */
	bool broken;                /* atomic: the ring went wrong, no more service */
	uint32_t untold;            /* atomic: bytes the guest took that the store has not been told of */
};

/* The ring, or NULL while the guest has made its page a table (or a
 * table of it otherwise unwritable). Under the domain's lock. */
static struct xenstore_domain_interface *ring(struct xen_domain *x)
{
	uint64_t mfn = x->layout.xenstore.pfn;
	const struct xmm_page *p = &x->mm.pg[mfn];
	if (p->out || (p->count && p->type >= XMM_L1))
		return NULL;
	return (struct xenstore_domain_interface *)((uint8_t *)x->mm.ram + mfn * PAGE);
}

static void __attribute__((format(printf, 2, 3))) broken(struct xen_store *s, const char *fmt, ...)
{
	if (__atomic_exchange_n(&s->broken, true, __ATOMIC_SEQ_CST))
		return;
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pvmon: domain %s (%u): xenstore: %s; its store connection is closed\n", s->d->cfg.name,
	        s->d->id, why);
}

/* Queued replies into the rsp ring, as much as fits; raises the port
 * when something went in. Takes the domain's lock, then s->lock. Returns
 * how many bytes the guest took from the ring since the last push (for
 * the store's count of outstanding messages). */
static uint32_t push(struct xen_store *s)
{
	struct xen_domain *x = s->d->xen;
	uint32_t n = 0, taken = 0;
	xen_lock(x);
	pthread_mutex_lock(&s->lock);
	struct xenstore_domain_interface *r = ring(x);
	if (r && !__atomic_load_n(&s->broken, __ATOMIC_SEQ_CST)) {
		XENSTORE_RING_IDX cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
		XENSTORE_RING_IDX prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_RELAXED);
		XENSTORE_RING_IDX used = prod - cons;
		if (used > XENSTORE_RING_SIZE || cons - s->seen_cons > prod - s->seen_cons) {
			pthread_mutex_unlock(&s->lock);
			xen_unlock(x);
			broken(s, "rsp_cons %u is not between what was taken and rsp_prod %u", cons, prod);
			return 0;
		}
		taken = cons - s->seen_cons;
		s->seen_cons = cons;
		n = XENSTORE_RING_SIZE - used;
		if (n > s->len)
			n = (uint32_t)s->len;
		for (uint32_t i = 0; i < n; i++)
			r->rsp[MASK_XENSTORE_IDX(prod + i)] = (char)s->out[i];
		__atomic_store_n(&r->rsp_prod, prod + n, __ATOMIC_RELEASE);
		memmove(s->out, s->out + n, s->len - n);
		s->len -= n;
	}
	pthread_mutex_unlock(&s->lock);
	xen_unlock(x);
	if (n)
		xen_evtchn_set(s->d, s->port);
	return taken;
}

/* The store's send function: called with the store's lock held, so it
 * only queues and pushes (which never calls back into the store). */
static void queue(void *ctx, const void *msg, size_t len)
{
	struct xen_store *s = ctx;
	if (__atomic_load_n(&s->broken, __ATOMIC_SEQ_CST))
		return;
	pthread_mutex_lock(&s->lock);
	bool full = s->len + len > sizeof(s->out);
	if (!full) {
		memcpy(s->out + s->len, msg, len);
		s->len += len;
	}
	pthread_mutex_unlock(&s->lock);
	if (full) {
		broken(s, "more than %zu bytes of replies and watch events unread", sizeof(s->out));
		return;
	}
	/* Under the store's lock: what the guest took is told at its next kick. */
	__atomic_fetch_add(&s->untold, push(s), __ATOMIC_RELAXED);
}

/* What the guest took from the rsp ring, told to the store (which may
 * then answer a request it held back). Not under the store's lock. */
static void tell_taken(struct xen_store *s)
{
	uint32_t taken = push(s) + __atomic_exchange_n(&s->untold, 0, __ATOMIC_RELAXED);
	if (taken)
		xs_conn_output_done(s->conn, taken);
}

/* Up to max request bytes from the req ring into buf: their number, or
 * -EPROTO for a producer index more than a ring ahead (said, and the
 * connection closed). The domain's lock is taken here. */
static long pull(struct xen_store *s, char *buf, size_t max)
{
	struct xen_domain *x = s->d->xen;
	XENSTORE_RING_IDX n = 0;
	xen_lock(x);
	struct xenstore_domain_interface *r = ring(x);
	if (r) {
		XENSTORE_RING_IDX cons = __atomic_load_n(&r->req_cons, __ATOMIC_RELAXED);
		XENSTORE_RING_IDX prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
		n = prod - cons;
		if (n > XENSTORE_RING_SIZE) {
			xen_unlock(x);
			broken(s, "req_prod %u is more than a ring ahead of req_cons %u", prod, cons);
			return -EPROTO;
		}
		if (n > max)
			n = (XENSTORE_RING_IDX)max;
		for (XENSTORE_RING_IDX i = 0; i < n; i++)
			buf[i] = r->req[MASK_XENSTORE_IDX(cons + i)];
		__atomic_store_n(&r->req_cons, cons + n, __ATOMIC_RELEASE);
	}
	xen_unlock(x);
	return n;
}

/* The guest sent on the store's port: what it took of the replies told,
 * its requests in as far as the store takes them now (it takes a
 * message's header, then its payload; one held back for the quota leaves
 * the rest in the ring for a later kick), replies out. */
static void kick(struct vcpu *v, void *ctx)
{
	(void)v;
	struct xen_store *s = ctx;
	char buf[XENSTORE_RING_SIZE];
	long n, total = 0;
	int rc = 0;
	if (__atomic_load_n(&s->broken, __ATOMIC_SEQ_CST))
		return;
	tell_taken(s);
	pthread_mutex_lock(&s->in);
	for (;;) {
		size_t space = xs_conn_input_space(s->conn);
		if (!space || (n = pull(s, buf, space < sizeof(buf) ? space : sizeof(buf))) <= 0)
			break;
		total += n;
		if ((rc = xs_conn_input(s->conn, buf, (size_t)n)) < 0)
			break;
	}
	pthread_mutex_unlock(&s->in);
	if (rc < 0) {
		broken(s, "a request stream the store cannot follow (%s)", strerror(-rc));
		return;
	}
	if (total)
		xen_evtchn_set(s->d, s->port);   /* room in the req ring: a writer waiting for it goes on */
	tell_taken(s);
}

static int open_ring(struct domain *d, struct xs_store *store, uint32_t port)
{
	struct xen_domain *x = d->xen;
	if (!d->id)
		return -EINVAL;             /* not yet a domain: its connection would be Domain 0's */
	struct xen_store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->d = d;
	s->port = port;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->in, NULL);
	s->conn = xs_conn_new(store, d->id, queue, s);
	if (!s->conn) {
		pthread_mutex_destroy(&s->in);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return -ENOMEM;
	}
	struct xenstore_domain_interface *r = ring(x);
	r->connection = XENSTORE_CONNECTED;
	x->store = s;
	xen_evtchn_backend(d, port, kick, s);
	return 0;
}

void xen_store_close(struct domain *d)
{
	struct xen_store *s = d->xen ? d->xen->store : NULL;
	if (!s)
		return;
	xs_conn_free(s->conn);         /* no send to s after this */
	d->xen->store = NULL;
	pthread_mutex_destroy(&s->in);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The domain is in the store (domain_start): its ring served as its
 * connection, and what xl writes for a domain and Linux reads at boot:
 * the balloon's target and ceiling (KiB), each vCPU "online" (its CPU
 * hotplug reads them), in the domain's own tree. */
int xen_store_start(struct domain *d)
{
	int rc = open_ring(d, pvmon_store, XEN_STORE_PORT);
	if (rc)
		return rc;
	xen_store_target(d, d->cfg.memory_mib);
	char path[64], val[32];
	snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max", d->id);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)d->cfg.memory_mib * 1024);
	xs_write(pvmon_store, path, val, strlen(val));
	for (uint32_t i = 0; i < d->nr_vcpus; i++) {
		snprintf(path, sizeof(path), "/local/domain/%u/cpu/%u/availability", d->id, i);
		xs_write(pvmon_store, path, "online", 6);
	}
	return 0;
}

int xen_store_target(struct domain *d, uint64_t mib)
{
	if (!d->xen || !d->xen->store)
		return -EOPNOTSUPP;
	if (!mib || mib > d->cfg.memory_mib)
		return -EINVAL;
	char path[64], val[32];
	snprintf(path, sizeof(path), "/local/domain/%u/memory/target", d->id);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)mib * 1024);
	return xs_write(pvmon_store, path, val, strlen(val));
}
