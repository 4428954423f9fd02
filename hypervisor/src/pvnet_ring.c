/* The pvos receive ring's bookkeeping (pvnet_ring.h). The ring is the
 * guest's page: every index and request is read once into pvmon's memory
 * and checked there; nothing read from it is trusted twice. */
#include <errno.h>
#include <string.h>
#include "pvnet_ring.h"

#define SLOT(i) ((i) & (PV_NET_RING_SIZE - 1))

void pvnet_ring_init(struct pvnet_ring *r, struct pv_net_rx_sring *s)
{
	r->s = s;
	r->req_cons = 0;
	r->rsp_prod_pvt = 0;
	r->rsp_pushed = 0;
}

int pvnet_ring_take(struct pvnet_ring *r, struct pv_net_rx_request *out, unsigned max)
{
	uint32_t prod = __atomic_load_n(&r->s->req_prod, __ATOMIC_ACQUIRE);
	/* Requests posted and not answered: at most a ring, and never fewer
	 * than those taken already (an index moved back). */
	uint32_t posted = prod - r->rsp_prod_pvt;
	if (posted > PV_NET_RING_SIZE || posted < r->req_cons - r->rsp_prod_pvt)
		return -EPROTO;
	unsigned n = 0;
	while (n < max && r->req_cons != prod) {
		memcpy(&out[n++], &r->s->ring[SLOT(r->req_cons)].req, sizeof(*out));
		r->req_cons++;
	}
	return (int)n;
}

void pvnet_ring_respond(struct pvnet_ring *r, uint16_t id, int16_t status)
{
	struct pv_net_rx_response rsp = { .id = id, .offset = 0, .flags = 0, .status = status };
	memcpy(&r->s->ring[SLOT(r->rsp_prod_pvt)].rsp, &rsp, sizeof(rsp));
	r->rsp_prod_pvt++;
}

bool pvnet_ring_push(struct pvnet_ring *r)
{
	uint32_t old = r->rsp_pushed, new = r->rsp_prod_pvt;
	if (old == new)
		return false;
	r->rsp_pushed = new;
	__atomic_store_n(&r->s->rsp_prod, new, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* rsp_prod before reading rsp_event */
	uint32_t event = __atomic_load_n(&r->s->rsp_event, __ATOMIC_RELAXED);
	return (uint32_t)(new - event) < (uint32_t)(new - old);
}

bool pvnet_ring_more(struct pvnet_ring *r)
{
	if (__atomic_load_n(&r->s->req_prod, __ATOMIC_ACQUIRE) != r->req_cons)
		return true;
	__atomic_store_n(&r->s->req_event, r->req_cons + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);        /* req_event before reading req_prod again */
	return __atomic_load_n(&r->s->req_prod, __ATOMIC_ACQUIRE) != r->req_cons;
}
