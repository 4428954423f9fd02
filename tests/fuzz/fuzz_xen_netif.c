/* libFuzzer target: a hostile frontend's netif rings (xen_netif.c). The
 * input is the TX ring's shared page, the RX ring's, and rounds of
 * producer indices; the back end takes, checks and answers packets and
 * receive buffers as pvmon's does, and parses the input's tail as a vif
 * entry and a packet whose checksum it completes. Whatever the frontend
 * writes: no slot is taken twice or beyond what it produced, a packet
 * passed to be sent has every slot within its page and its bytes add up,
 * each slot taken gets one response, and a producer index more than a
 * ring ahead is refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../hypervisor/src/xen_netif.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_xen_netif: %s\n", what);
	abort();
}

static uint32_t u32(const uint8_t **p, size_t *n)
{
	uint32_t v = 0;
	if (*n >= 4) {
		memcpy(&v, *p, 4);
		*p += 4;
		*n -= 4;
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t tpage[4096] __attribute__((aligned(4096))), rpage[4096] __attribute__((aligned(4096)));
	if (size < 4)
		return 0;
	unsigned rounds = 1 + data[0] % 8;
	data += 4;
	size -= 4;
	memset(tpage, 0, sizeof(tpage));
	memset(rpage, 0, sizeof(rpage));
	size_t k = size < 4096 ? size : 4096;
	memcpy(tpage, data, k);
	data += k, size -= k;
	k = size < 4096 ? size : 4096;
	memcpy(rpage, data, k);
	data += k, size -= k;
	netif_tx_sring_t *ts = (netif_tx_sring_t *)tpage;
	netif_rx_sring_t *rs = (netif_rx_sring_t *)rpage;
	netif_tx_back_ring_t tb;
	netif_rx_back_ring_t rb;
	BACK_RING_INIT(&tb, ts, 4096);
	BACK_RING_INIT(&rb, rs, 4096);
	ts->rsp_prod = rs->rsp_prod = 0;
	for (unsigned r = 0; r < rounds; r++) {
		ts->req_prod = u32(&data, &size) ?: ts->req_prod;
		rs->req_prod = u32(&data, &size) ?: rs->req_prod;
		for (unsigned n = 0; n < 300; n++) {
			RING_IDX before = tb.req_cons, prod = ts->req_prod;
			struct xnet_tx p;
			int rc = xnet_tx_take(&tb, &p);
			if (rc < 0) {
				if (tb.req_cons != before)
					fail("a broken ring's slots consumed");
				break;
			}
			if (!rc)
				break;
			RING_IDX used = tb.req_cons - before;
			if (used != p.nfrag + p.nextra || used > prod - before || p.nfrag > XNET_FATAL_SLOTS)
				fail("slots taken and the packet's differ, or past the producer");
			if (p.status == NETIF_RSP_OKAY && !p.mcast) {
				uint32_t sum = 0;
				for (unsigned f = 0; f < p.nfrag; f++) {
					if ((uint32_t)p.frag[f].off + p.frag[f].len > XNET_PAGE)
						fail("a slot to send outside its page");
					sum += p.frag[f].len;
				}
				if (sum != p.len || p.len < XNET_ETH_HLEN || p.nfrag > XNET_MAX_SLOTS)
					fail("a packet to send whose slots do not add up");
			}
			xnet_tx_respond(&tb, &p, p.status);
			if (tb.rsp_prod_pvt != tb.req_cons)
				fail("responses and slots differ");
		}
		xnet_tx_push(&tb);
		xnet_tx_more(&tb);
		for (unsigned n = 0; n < 300; n++) {
			netif_rx_request_t q;
			int ready = xnet_rx_ready(&rb);
			int rc = xnet_rx_take(&rb, &q);
			if (ready < 0 && rc != -EPROTO)
				fail("rx: a producer index refused once and taken next");
			if (rc <= 0)
				break;
			if (ready != 1)
				fail("rx: a buffer taken that was not ready");
			xnet_rx_respond(&rb, q.id, 0, 0, 60);
			if (rb.rsp_prod_pvt != rb.req_cons || rb.req_cons - rb.rsp_prod_pvt > RING_SIZE(&rb))
				fail("rx: responses and requests differ");
		}
		xnet_rx_push(&rb);
	}
	/* The tail: a vif entry, then a packet. */
	char spec[128], err[256];
	k = size < sizeof(spec) - 1 ? size : sizeof(spec) - 1;
	memcpy(spec, data, k);
	spec[k] = 0;
	struct xnet_vif_cfg c;
	if (xnet_parse_vif(spec, &c, err, sizeof(err)) && (!err[0] || strchr(err, '\n')))
		fail("a refused vif entry without one line");
	static uint8_t pkt[2048];
	k = size < sizeof(pkt) ? size : sizeof(pkt);
	memcpy(pkt, data, k);
	xnet_csum_fill(pkt, k);
	return 0;
}
