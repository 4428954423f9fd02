/* pvnet_ring.c: the pvos receive ring on plain memory. Requests are taken
 * in order and once; a producer index more than a ring ahead of the
 * responses is refused; responses are published with Xen's notification
 * rule both ways (one event per batch). And pvlab/netpkt.h: a packet made
 * for one sequence number passes its check, and fails it when it carries
 * another number, is cut short, or has a byte changed. */
#include <errno.h>
#include "check.h"
#include "../../hypervisor/src/pvnet_ring.h"
#include "pvlab/netpkt.h"

static struct pv_net_rx_sring page __attribute__((aligned(4096)));

static void post(uint32_t i, uint32_t gref)
{
	page.ring[i % PV_NET_RING_SIZE].req = (struct pv_net_rx_request){ .id = (uint16_t)i, .gref = gref };
}

static void ring_tests(void)
{
	_Static_assert(sizeof(struct pv_net_rx_sring) <= 4096, "the ring fits its frame");
	struct pvnet_ring r;
	struct pv_net_rx_request out[PV_NET_RING_SIZE];
	pvnet_ring_init(&r, &page);
	page.rsp_event = 1;
	CHECK_EQ(pvnet_ring_take(&r, out, 8), 0);
	CHECK(!pvnet_ring_more(&r));
	CHECK_EQ(page.req_event, 1);               /* notify me at the first request */

	for (uint32_t i = 0; i < 5; i++)
		post(i, 100 + i);
	page.req_prod = 5;
	CHECK_EQ(pvnet_ring_take(&r, out, 3), 3);  /* at most max */
	CHECK_EQ(out[2].gref, 102);
	CHECK_EQ(pvnet_ring_take(&r, out, 8), 2);
	CHECK_EQ(out[0].id, 3);
	CHECK_EQ(pvnet_ring_take(&r, out, 8), 0);  /* each once */
	CHECK(!pvnet_ring_more(&r));
	CHECK_EQ(page.req_event, 6);

	/* Responses: published together, one notification for the batch. */
	for (uint16_t i = 0; i < 5; i++)
		pvnet_ring_respond(&r, i, (int16_t)(i ? 64 : -EBUSY));
	CHECK_EQ(page.rsp_prod, 0);                /* not before push */
	CHECK(pvnet_ring_push(&r));                /* rsp_event 1 passed */
	CHECK_EQ(page.rsp_prod, 5);
	CHECK_EQ(page.ring[0].rsp.status, -EBUSY);
	CHECK_EQ(page.ring[4].rsp.status, 64);
	CHECK(!pvnet_ring_push(&r));               /* nothing new */
	pvnet_ring_respond(&r, 9, 64);
	CHECK(!pvnet_ring_push(&r));               /* the guest has not asked again */
	page.rsp_event = 7;
	pvnet_ring_respond(&r, 10, 64);
	CHECK(pvnet_ring_push(&r));                /* rsp_prod 7 reaches it */

	/* A request posted after the final check: more says so. */
	post(5, 1);
	page.req_prod = 6;
	CHECK(pvnet_ring_more(&r));

	/* Hostile producer indices: more than a ring ahead of the responses. */
	pvnet_ring_init(&r, &page);
	page.req_prod = PV_NET_RING_SIZE;
	CHECK_EQ(pvnet_ring_take(&r, out, PV_NET_RING_SIZE), PV_NET_RING_SIZE);   /* a full ring is fine */
	page.req_prod = PV_NET_RING_SIZE + 1;
	CHECK_EQ(pvnet_ring_take(&r, out, 8), -EPROTO);   /* one more with none answered is not */
	page.req_prod = 0xfffffff0u;
	CHECK_EQ(pvnet_ring_take(&r, out, 8), -EPROTO);
	for (int i = 0; i < 10; i++)
		pvnet_ring_respond(&r, (uint16_t)i, 64);
	page.req_prod = PV_NET_RING_SIZE + 10;
	CHECK_EQ(pvnet_ring_take(&r, out, 64), 10);       /* answered slots are free again */
	page.req_prod = PV_NET_RING_SIZE + 11;
	CHECK_EQ(pvnet_ring_take(&r, out, 64), -EPROTO);
	page.req_prod = 5;                                /* moved back behind the consumer */
	CHECK_EQ(pvnet_ring_take(&r, out, 64), -EPROTO);
	page.req_prod = PV_NET_RING_SIZE + 10;            /* where it was: nothing new */
	CHECK_EQ(pvnet_ring_take(&r, out, 64), 0);
}

static void packet_tests(void)
{
	static uint8_t f[PV_NET_GEN_MAX];
	static const uint32_t sizes[] = { PV_NET_GEN_MIN, 64, 1500, 4095, PV_NET_GEN_MAX };
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];
		pv_net_pkt_fill(f, n, 41 + i);
		CHECK(!pv_net_pkt_check(f, n, 41 + i));
		CHECK_STR(pv_net_pkt_check(f, n, 40 + i), "sequence number");
		CHECK(pv_net_pkt_check(f, n - 1, 41 + i) != NULL);   /* cut short */
		f[n - 1] ^= 1;
		CHECK_STR(pv_net_pkt_check(f, n, 41 + i), "checksum");
	}
	/* The previous packet's bytes under this one's header: caught. */
	pv_net_pkt_fill(f, 1500, 7);
	static uint8_t g[1500];
	pv_net_pkt_fill(g, 1500, 8);
	memcpy(g + PV_NET_HDR_LEN + sizeof(struct pv_net_pkt), f + PV_NET_HDR_LEN + sizeof(struct pv_net_pkt),
	       1500 - PV_NET_HDR_LEN - sizeof(struct pv_net_pkt));
	CHECK_STR(pv_net_pkt_check(g, 1500, 8), "checksum");
	CHECK_STR(pv_net_pkt_check(f, 30, 7), "length out of range");
	/* The generator's IPv4 header checksum is right (sums to 0xffff). */
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += pv_net_get16(f + 14 + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK_EQ(sum, 0xffff);
}

int main(void)
{
	ring_tests();
	packet_tests();
	return CHECK_DONE();
}
