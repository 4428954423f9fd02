/* The receive ring of a pvos network interface (pv.h's struct
 * pv_net_rx_sring), the part that is bookkeeping (no KVM, no grants):
 * requests taken from the guest's page once each, responses put back and
 * published with Xen's batched notification rule, the frontend's producer
 * index read once and refused when it claims more than the ring holds.
 * Unit tested (tests/unit/test_pvnet_ring.c). */
#ifndef PVMON_PVNET_RING_H
#define PVMON_PVNET_RING_H
#include <stdbool.h>
#include <stdint.h>
#include "pvlab/pv.h"

struct pvnet_ring {
	struct pv_net_rx_sring *s;  /* the guest's frame: read each field once */
	uint32_t req_cons;          /* requests taken */
	uint32_t rsp_prod_pvt;      /* responses written */
	uint32_t rsp_pushed;        /* of them, published in rsp_prod */
};

/* Start on the page s: nothing taken, nothing answered. */
void pvnet_ring_init(struct pvnet_ring *r, struct pv_net_rx_sring *s);
/* Up to max requests the frontend has posted, copied out: their number,
 * or -EPROTO when its producer index is more than a ring ahead of the
 * responses or behind the requests taken (a hostile or broken frontend). */
int pvnet_ring_take(struct pvnet_ring *r, struct pv_net_rx_request *out, unsigned max);
/* One response in the next slot (status: a length or -errno). */
void pvnet_ring_respond(struct pvnet_ring *r, uint16_t id, int16_t status);
/* Publish the responses written: true when rsp_prod passed the frontend's
 * rsp_event (it asked for an event). */
bool pvnet_ring_push(struct pvnet_ring *r);
/* Nothing left to take: ask for a notification at the next request;
 * true when one came meanwhile (Xen's RING_FINAL_CHECK_FOR_REQUESTS). */
bool pvnet_ring_more(struct pvnet_ring *r);
#endif
