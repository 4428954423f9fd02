/* xen_netif.c: netif rings on plain memory, and xl.cfg's vif entry.
 * Transmit packets are taken slot by slot with Xen netback's checks:
 * multi-slot packets (NETTXF_more_data) whole, extra-info slots skipped
 * or refused, drops answered with an error for each slot, a broken ring
 * refused (-EPROTO); responses in slot order (NETIF_RSP_NULL for the
 * extras) with Xen's notification rule; receive buffers taken once; a
 * blank checksum completed as the host's stack would. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/xen_netif.h"

static uint8_t tpage[4096] __attribute__((aligned(4096)));
static uint8_t rpage[4096] __attribute__((aligned(4096)));
static netif_tx_front_ring_t f;
static netif_tx_back_ring_t b;

static void reset(void)
{
	netif_tx_sring_t *s = (netif_tx_sring_t *)tpage;
	memset(tpage, 0, sizeof(tpage));
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&f, s, 4096);
	BACK_RING_INIT(&b, s, 4096);
}

static void slot(uint32_t gref, uint16_t off, uint16_t size, uint16_t flags, uint16_t id)
{
	*RING_GET_REQUEST(&f, f.req_prod_pvt++) = (netif_tx_request_t){ gref, off, flags, id, size };
}

static void extra(uint8_t type, uint8_t flags)
{
	netif_extra_info_t x;
	memset(&x, 0, sizeof(x));
	x.type = type;
	x.flags = flags;
	memcpy(RING_GET_REQUEST(&f, f.req_prod_pvt++), &x, sizeof(x));
}

static void push(void)
{
	int notify;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
	(void)notify;
}

static void vif_parse(void)
{
	struct xnet_vif_cfg c;
	char err[256];
	CHECK_EQ(xnet_parse_vif("", &c, err, sizeof(err)), 0);
	CHECK(!c.has_mac && !c.ip[0] && !c.rate_bps);
	CHECK_EQ(xnet_parse_vif("mac=00:16:3e:0a:Bc:ff,ip=10.0.0.2,rate=10Mb/s", &c, err, sizeof(err)), 0);
	CHECK(c.has_mac && c.mac[0] == 0 && c.mac[2] == 0x3e && c.mac[4] == 0xbc && c.mac[5] == 0xff);
	CHECK_STR(c.ip, "10.0.0.2");
	CHECK_EQ(c.rate_bps, 1250000);
	CHECK_EQ(c.rate_window_us, 50000);
	CHECK_EQ(xnet_parse_vif("rate=1MB/s@20ms", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.rate_bps, 1000000);
	CHECK_EQ(c.rate_window_us, 20000);
	CHECK_EQ(xnet_parse_vif("rate=800b/s@1s", &c, err, sizeof(err)), 0);
	CHECK_EQ(c.rate_bps, 100);
	CHECK_EQ(c.rate_window_us, 1000000);
	static const char *const bad[][2] = {
		{ "mac=01:16:3e:00:00:01", "not a unicast" }, { "mac=00:16:3e:00:00", "not a unicast" },
		{ "mac=00:16:3e:00:00:01x", "not a unicast" }, { "mac=00:16:3e:00:00:0g", "not a unicast" },
		{ "ip=10.0.0.256", "not an IPv4" }, { "ip=10.0.0", "not an IPv4" }, { "ip=1.2.3.4.5", "not an IPv4" },
		{ "ip= 1.2.3.4", "not an IPv4" }, { "rate=10", "not RATE/s" }, { "rate=10Mb", "not RATE/s" },
		{ "rate=0Mb/s", "not RATE/s" }, { "rate=10Mb/s@", "not RATE/s" }, { "rate=10Mb/s@0ms", "not RATE/s" },
		{ "rate=99999999999999999999B/s", "not RATE/s" }, { "bridge=xenbr0", "unknown key 'bridge'" },
		{ "mac", "not KEY=VALUE" }, { "ip=10.0.0.1,", "a ',' ends it" },
		{ "0\n.0.0.2,rate=10Mb/s", "control character (0x0a) at offset 1" },   /* found by fuzz_xen_netif */
		{ "ip=10.0.0.2\r", "control character (0x0d)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CHECK_EQ(xnet_parse_vif(bad[i][0], &c, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, bad[i][1]) && !strchr(err, '\n'));
	}
}

static void tx(void)
{
	struct xnet_tx p;
	reset();
	CHECK_EQ(RING_SIZE(&b), 256);
	CHECK_EQ(xnet_tx_take(&b, &p), 0);
	CHECK(!xnet_tx_more(&b));
	CHECK_EQ(b.sring->req_event, 1);
	/* One slot; then a packet of three (1000 bytes: 600 + 300 + 100). */
	slot(5, 100, 60, NETTXF_csum_blank, 1);
	slot(6, 2000, 1000, NETTXF_more_data, 2);
	slot(7, 0, 300, NETTXF_more_data, 3);
	slot(8, 3996, 100, 0, 4);
	push();
	CHECK(xnet_tx_more(&b));
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK_EQ(p.status, NETIF_RSP_OKAY);
	CHECK(p.nfrag == 1 && p.len == 60 && p.frag[0].len == 60 && p.frag[0].off == 100 && p.frag[0].gref == 5);
	CHECK_EQ(p.flags, NETTXF_csum_blank);
	xnet_tx_respond(&b, &p, p.status);
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(p.status == NETIF_RSP_OKAY && p.nfrag == 3 && p.len == 1000);
	CHECK(p.frag[0].len == 600 && p.frag[1].len == 300 && p.frag[2].len == 100 && p.frag[2].off == 3996);
	CHECK(p.frag[1].id == 3 && p.frag[2].gref == 8);
	xnet_tx_respond(&b, &p, p.status);
	CHECK_EQ(xnet_tx_take(&b, &p), 0);
	CHECK(xnet_tx_push(&b));                   /* rsp_event was 1: notify */
	CHECK_EQ(b.sring->rsp_prod, 4);
	CHECK(RING_GET_RESPONSE(&f, 2)->id == 3 && RING_GET_RESPONSE(&f, 2)->status == NETIF_RSP_OKAY);
	CHECK(!xnet_tx_push(&b));                  /* nothing new: no event */

	/* Extras: a multicast add answered at once (its NULL slot after it);
	 * a GSO packet taken whole and refused; a HASH extra skipped. */
	slot(9, 0, 0, NETTXF_extra_info, 10);
	extra(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0);
	slot(11, 0, 1514, NETTXF_extra_info | NETTXF_more_data, 12);
	extra(XEN_NETIF_EXTRA_TYPE_GSO, 0);
	slot(13, 0, 14, 0, 14);
	slot(15, 0, 60, NETTXF_extra_info, 16);
	extra(XEN_NETIF_EXTRA_TYPE_HASH, 0);
	push();
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(p.mcast && p.nfrag == 1 && p.nextra == 1 && p.status == NETIF_RSP_OKAY);
	xnet_tx_respond(&b, &p, p.status);
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(p.gso && p.nfrag == 2 && p.nextra == 1 && p.status == NETIF_RSP_ERROR);
	xnet_tx_respond(&b, &p, p.status);
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(!p.gso && !p.mcast && p.nextra == 1 && p.status == NETIF_RSP_OKAY && p.len == 60);
	xnet_tx_respond(&b, &p, p.status);
	xnet_tx_push(&b);
	CHECK_EQ(b.sring->rsp_prod, 11);
	CHECK(RING_GET_RESPONSE(&f, 4)->id == 10 && RING_GET_RESPONSE(&f, 4)->status == NETIF_RSP_OKAY);
	CHECK_EQ(RING_GET_RESPONSE(&f, 5)->status, NETIF_RSP_NULL);
	CHECK(RING_GET_RESPONSE(&f, 6)->id == 12 && RING_GET_RESPONSE(&f, 6)->status == NETIF_RSP_ERROR);
	CHECK_EQ(RING_GET_RESPONSE(&f, 7)->status, NETIF_RSP_NULL);
	CHECK(RING_GET_RESPONSE(&f, 8)->id == 14 && RING_GET_RESPONSE(&f, 8)->status == NETIF_RSP_ERROR);
	CHECK_EQ(RING_GET_RESPONSE(&f, 10)->status, NETIF_RSP_NULL);

	/* Drops, each slot consumed and answered: shorter than an Ethernet
	 * header, a later slot bigger than what is left, 19 data slots. */
	slot(1, 0, 13, 0, 20);
	slot(1, 0, 100, NETTXF_more_data, 21);
	slot(1, 0, 101, 0, 22);
	push();
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK_EQ(p.status, NETIF_RSP_ERROR);
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(p.status == NETIF_RSP_ERROR && p.nfrag == 2);
	for (int i = 0; i < 19; i++)
		slot(1, 0, i ? 1 : 1000, i < 18 ? NETTXF_more_data : 0, (uint16_t)(30 + i));
	push();
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(p.status == NETIF_RSP_ERROR && p.nfrag == 19);
	CHECK_EQ(b.req_cons, b.sring->req_prod);
	for (int i = 0; i < 18; i++)               /* 18 is Xen's most: it goes */
		slot(1, 0, i ? 1 : 1000, i < 17 ? NETTXF_more_data : 0, (uint16_t)(30 + i));
	push();
	CHECK_EQ(xnet_tx_take(&b, &p), 1);
	CHECK(p.status == NETIF_RSP_OKAY && p.nfrag == 18 && p.frag[0].len == 983);

	/* Broken rings, nothing consumed: 20 data slots; slots past the
	 * producer; a slot across its page; an unknown extra; extras past
	 * the producer; a producer index more than a ring ahead. */
	static const int cases = 6;
	for (int c = 0; c < cases; c++) {
		reset();
		switch (c) {
		case 0:
			for (int i = 0; i < 20; i++)
				slot(1, 0, 100, NETTXF_more_data, 1);
			slot(1, 0, 100, 0, 1);
			break;
		case 1:
			slot(1, 0, 100, NETTXF_more_data, 1);
			break;
		case 2:
			slot(1, 4000, 100, 0, 1);
			break;
		case 3:
			slot(1, 0, 100, NETTXF_extra_info, 1);
			extra(XEN_NETIF_EXTRA_TYPE_MAX, 0);
			break;
		case 4:
			slot(1, 0, 100, NETTXF_extra_info, 1);
			extra(XEN_NETIF_EXTRA_TYPE_HASH, XEN_NETIF_EXTRA_FLAG_MORE);
			break;
		case 5:
			f.req_prod_pvt = 257;
			break;
		}
		push();
		CHECK_EQ(xnet_tx_take(&b, &p), -EPROTO);
		CHECK_EQ(b.req_cons, 0);
	}
}

static void rx(void)
{
	netif_rx_sring_t *s = (netif_rx_sring_t *)rpage;
	netif_rx_front_ring_t rf;
	netif_rx_back_ring_t rb;
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&rf, s, 4096);
	BACK_RING_INIT(&rb, s, 4096);
	netif_rx_request_t r;
	CHECK_EQ(xnet_rx_ready(&rb), 0);
	CHECK_EQ(s->req_event, 1);                 /* an event when the frontend posts a buffer */
	CHECK_EQ(xnet_rx_take(&rb, &r), 0);
	for (uint16_t i = 0; i < 3; i++)
		*RING_GET_REQUEST(&rf, rf.req_prod_pvt++) = (netif_rx_request_t){ .id = i, .gref = 100u + i };
	int notify;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&rf, notify);
	CHECK(notify);
	CHECK_EQ(xnet_rx_ready(&rb), 1);
	CHECK_EQ(xnet_rx_take(&rb, &r), 1);
	CHECK(r.id == 0 && r.gref == 100);
	xnet_rx_respond(&rb, r.id, 0, 0, 1514);
	CHECK(xnet_rx_push(&rb));
	CHECK(RING_GET_RESPONSE(&rf, 0)->status == 1514 && RING_GET_RESPONSE(&rf, 0)->id == 0);
	CHECK_EQ(xnet_rx_take(&rb, &r), 1);
	CHECK_EQ(xnet_rx_take(&rb, &r), 1);
	CHECK_EQ(r.gref, 102);
	CHECK_EQ(xnet_rx_take(&rb, &r), 0);
	s->req_prod = rb.rsp_prod_pvt + 257;       /* more than a ring ahead */
	CHECK_EQ(xnet_rx_take(&rb, &r), -EPROTO);
	CHECK_EQ(xnet_rx_ready(&rb), -EPROTO);
}

/* The one's-complement checksum of an IPv4 TCP/UDP packet computed the
 * long way, over the pseudo-header and the segment with its field zero. */
static uint16_t l4sum(const uint8_t *pkt, size_t len, size_t at)
{
	const uint8_t *ip = pkt + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, l4len = len - 14 - ihl;
	uint8_t buf[2048];
	memcpy(buf, ip + 12, 8);
	buf[8] = 0;
	buf[9] = ip[9];
	buf[10] = (uint8_t)(l4len >> 8);
	buf[11] = (uint8_t)l4len;
	memcpy(buf + 12, ip + ihl, l4len);
	buf[12 + at] = buf[13 + at] = 0;
	uint32_t s = 0;
	size_t n = 12 + l4len;
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)buf[i] << 8 | (i + 1 < n ? buf[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void csum(void)
{
	uint8_t pkt[14 + 20 + 20 + 101];
	for (int proto = 6; proto <= 17; proto += 11) {
		size_t at = proto == 6 ? 16 : 6, len = sizeof(pkt);
		srand(7);
		for (size_t i = 0; i < len; i++)
			pkt[i] = (uint8_t)rand();
		pkt[12] = 0x08, pkt[13] = 0;
		uint8_t *ip = pkt + 14;
		ip[0] = 0x45, ip[2] = (uint8_t)((len - 14) >> 8), ip[3] = (uint8_t)(len - 14), ip[6] = 0x40, ip[7] = 0;
		ip[9] = (uint8_t)proto;
		uint16_t want = l4sum(pkt, len, at);
		/* What Linux leaves with CHECKSUM_PARTIAL: the pseudo-header's sum. */
		uint8_t *l4 = ip + 20;
		uint32_t ps = ((uint32_t)ip[12] << 8 | ip[13]) + ((uint32_t)ip[14] << 8 | ip[15]) +
		              ((uint32_t)ip[16] << 8 | ip[17]) + ((uint32_t)ip[18] << 8 | ip[19]) + (uint32_t)proto +
		              (uint32_t)(len - 34);
		while (ps >> 16)
			ps = (ps & 0xffff) + (ps >> 16);
		l4[at] = (uint8_t)(ps >> 8), l4[at + 1] = (uint8_t)ps;
		CHECK(xnet_csum_fill(pkt, len));
		CHECK_EQ(l4[at] << 8 | l4[at + 1], want);
	}
	pkt[23] = 1;                               /* ICMP: nothing to fill */
	CHECK(!xnet_csum_fill(pkt, sizeof(pkt)));
	pkt[23] = 6;
	pkt[16] = 0xff;                            /* longer than the frame */
	CHECK(!xnet_csum_fill(pkt, sizeof(pkt)));
	CHECK(!xnet_csum_fill(pkt, 20));
}

/* The rate limit: 1 MB/s in 20 ms windows is 20000 bytes a window. */
static void credit(void)
{
	struct xnet_credit c;
	uint64_t t = 1000000000, when = 0;
	xnet_credit_init(&c, 1000000, 20000, t);
	CHECK_EQ(c.per_window, 20000);
	CHECK_EQ(c.max, XEN_NETIF_MAX_TX_SIZE);           /* one largest packet always fits */
	int sent = 0;
	while (xnet_credit_take(&c, t, 1500, &when))
		sent++;
	CHECK_EQ(sent, 13);                                 /* 13 * 1500 <= 20000 < 14 * 1500 */
	CHECK_EQ(when, t + 20000000);                       /* the next window */
	CHECK(!xnet_credit_take(&c, t + 19999999, 1500, &when));
	CHECK(xnet_credit_take(&c, t + 20000000, 1500, &when));
	/* A long pause fills the bucket to its size, no more. */
	CHECK(xnet_credit_take(&c, t + 5000000000ULL, 65535, &when));
	CHECK(!xnet_credit_take(&c, t + 5000000000ULL, 1, &when));
	/* A packet bigger than a window waits for the windows it needs. */
	xnet_credit_init(&c, 1000000, 20000, t);
	CHECK(xnet_credit_take(&c, t, 20000, &when));
	CHECK(!xnet_credit_take(&c, t, 50000, &when));
	CHECK_EQ(when, t + 20000000 + 2 * 20000000);
	CHECK(xnet_credit_take(&c, when, 50000, &when));
	/* 10 Mb/s in xl's 50 ms windows. */
	xnet_credit_init(&c, 1250000, 50000, t);
	CHECK_EQ(c.per_window, 62500);
}

int main(void)
{
	vif_parse();
	credit();
	tx();
	rx();
	csum();
	return CHECK_DONE();
}
