/* pvos's network frontend, after Xen's old netfront: the receive ring in a
 * frame granted to domain 0, a buffer for each ring slot (buffer id = its
 * slot at first post), grants made for the mode (accept_transfer of an
 * unmapped frame for a flip, permit_access writable for a copy), and Xen's
 * notification rules both ways, so one event covers a batch. */
#include "kernel.h"
#include "mm.h"
#include "net.h"

#define RW (PTE_P | PTE_RW | PTE_US)
#define GNT_ENTRIES 512
#define SLOT(i) ((i) & (PV_NET_RING_SIZE - 1))

void net_grant(struct netfront *nf, uint32_t ref, uint64_t frame, uint16_t domid, uint16_t flags)
{
	volatile struct pv_grant_entry *e = &nf->gnt[ref];
	e->frame = (uint32_t)frame;
	e->domid = domid;
	__asm__ volatile("" ::: "memory");      /* flags last: pvmon reads the whole entry */
	e->flags = flags;
}

int net_init(struct netfront *nf)
{
	memset(nf, 0, sizeof(*nf));
	if (!(HYPERVISOR_version_op(PV_VERSION_features, 0) & PV_FEAT_net))
		return -PV_ENOSYS;
	nf->gnt = page_alloc(1);
	nf->ring = page_alloc(1);
	if (!nf->gnt || !nf->ring)
		return -PV_ENOMEM;
	for (int i = 0; i < PV_NET_RING_SIZE; i++) {
		nf->buf[i] = page_alloc(1);
		if (!nf->buf[i])
			return -PV_ENOMEM;
		nf->mapped[i] = 1;
	}
	struct pv_gnttab_setup s = { (uint64_t)nf->gnt, GNT_ENTRIES, 0 };
	long rc = HYPERVISOR_grant_table_op(PV_GNTTABOP_setup_table, &s, 1);
	if (rc)
		return (int)rc;
	net_grant(nf, NET_REF_RING, (uint64_t)nf->ring / 4096, PV_DOMID_BACKEND, PV_GTF_permit_access);
	struct pv_evtchn_alloc_unbound au = { PV_DOMID_SELF, PV_DOMID_BACKEND, 0 };
	if ((rc = HYPERVISOR_event_channel_op(PV_EVTCHN_alloc_unbound, &au)))
		return (int)rc;
	nf->port = au.port;          /* left masked: net_wait polls it */
	return 0;
}

int net_map_batch(struct netfront *nf, const uint16_t *ids, unsigned n, int map)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t va = (uint64_t)nf->buf[ids[i]];
		if (map)
			pt_map(kernel_pml4, va, va, RW);
		else
			pt_unmap(kernel_pml4, va);
		nf->mapped[ids[i]] = (uint8_t)map;
	}
	int rc = pt_flush();
	if (!map)
		tlb_flush();
	return rc;
}

int net_connect(struct netfront *nf, uint32_t mode, uint32_t gen_len)
{
	/* Every buffer as the mode wants it: a flip takes only unmapped frames. */
	uint16_t ids[PV_NET_RING_SIZE];
	unsigned n = 0;
	for (uint16_t i = 0; i < PV_NET_RING_SIZE; i++)
		if (nf->mapped[i] == (mode == PV_NET_RX_flip))
			ids[n++] = i;
	if (n && net_map_batch(nf, ids, n, mode != PV_NET_RX_flip))
		return -PV_EINVAL;
	memset((void *)nf->ring, 0, 4096);
	nf->ring->rsp_event = 1;
	nf->ring->req_event = 1;
	nf->req_prod_pvt = nf->rsp_cons = 0;
	memset(nf->posted, 0, sizeof(nf->posted));
	nf->mode = mode;
	struct pv_net_connect c = { NET_REF_RING, nf->port, mode, gen_len };
	return (int)HYPERVISOR_net_op(PV_NETOP_connect, &c);
}

int net_disconnect(struct netfront *nf)
{
	(void)nf;
	return (int)HYPERVISOR_net_op(PV_NETOP_disconnect, 0);
}

void net_post_raw(struct netfront *nf, uint16_t id, uint32_t gref)
{
	volatile struct pv_net_rx_request *q = &nf->ring->ring[SLOT(nf->req_prod_pvt)].req;
	q->id = id;
	q->gref = gref;
	nf->req_prod_pvt++;
}

void net_post(struct netfront *nf, uint16_t id)
{
	uint64_t frame = (uint64_t)nf->buf[id] / 4096;
	uint16_t flags = nf->mode == PV_NET_RX_flip ? PV_GTF_accept_transfer : PV_GTF_permit_access;
	net_grant(nf, NET_REF_BUF + id, frame, PV_DOMID_BACKEND, flags);
	nf->posted[id] = 1;
	net_post_raw(nf, id, NET_REF_BUF + id);
}

void net_push(struct netfront *nf)
{
	uint32_t old = nf->ring->req_prod, new = nf->req_prod_pvt;
	__atomic_thread_fence(__ATOMIC_RELEASE);       /* requests before the index */
	nf->ring->req_prod = new;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);       /* the index before reading req_event */
	if ((uint32_t)(new - nf->ring->req_event) < (uint32_t)(new - old)) {
		struct pv_evtchn_send s = { nf->port };
		HYPERVISOR_event_channel_op(PV_EVTCHN_send, &s);
	}
}

int net_next(struct netfront *nf, struct pv_net_rx_response *r)
{
	if (nf->rsp_cons == nf->ring->rsp_prod)
		return 0;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	volatile struct pv_net_rx_response *p = &nf->ring->ring[SLOT(nf->rsp_cons)].rsp;
	r->id = p->id;
	r->offset = p->offset;
	r->flags = p->flags;
	r->status = p->status;
	nf->rsp_cons++;
	if (r->id < PV_NET_RING_SIZE)
		nf->posted[r->id] = 0;
	return 1;
}

int net_wait(struct netfront *nf, uint64_t ms)
{
	uint64_t end = system_time() + ms * 1000000ULL;
	uint64_t bit = 1ULL << (nf->port % 64);
	volatile uint64_t *pending = &shared->evtchn_pending[nf->port / 64];
	for (;;) {
		if (nf->rsp_cons != nf->ring->rsp_prod)
			return 0;
		/* Ask for an event at the next response, then look again: one
		 * pushed meanwhile would not send one. */
		nf->ring->rsp_event = nf->rsp_cons + 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (nf->rsp_cons != nf->ring->rsp_prod)
			return 0;
		if (system_time() > end)
			return -1;
		uint32_t ports[1] = { nf->port };
		struct pv_sched_poll p = { (uint64_t)ports, 1, 0, end };
		HYPERVISOR_sched_op(PV_SCHED_poll, &p);
		__atomic_fetch_and(pending, ~bit, __ATOMIC_SEQ_CST);
	}
}
