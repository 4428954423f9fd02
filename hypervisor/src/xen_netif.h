/* The network rings of a Linux PV domain (Xen's netif protocol,
 * io/netif.h), the part that is bookkeeping (no KVM, no TAP): a vif
 * entry of xl.cfg parsed, transmit packets taken from the TX ring slot
 * by slot and checked as Xen's netback checks them, receive buffers
 * taken from the RX ring, responses put back with Xen's notification
 * rule, a frontend's producer index read once and refused when it
 * claims more than a ring. Unit tested and fuzzed. */
#ifndef PVMON_XEN_NETIF_H
#define PVMON_XEN_NETIF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xen_ring.h"
#include <xen/io/netif.h>

#define XNET_PAGE 4096
#define XNET_ETH_HLEN 14
/* Xen netback's limits: a packet of more than XEN_NETIF_NR_SLOTS_MIN
 * data slots is dropped (an error response for each), one of
 * XNET_FATAL_SLOTS or more breaks the ring (fatal_skb_slots). */
#define XNET_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN
#define XNET_FATAL_SLOTS 20
#define XNET_MAX_EXTRAS (XEN_NETIF_EXTRA_TYPE_MAX - 1)

/* xl.cfg's vif entry: "mac=00:16:3e:xx:xx:xx,ip=A.B.C.D,rate=10Mb/s",
 * every key optional. */
struct xnet_vif_cfg {
	uint8_t mac[6];
	bool has_mac;
	char ip[16];                /* "" none */
	uint64_t rate_bps;          /* bytes a second, 0 unlimited */
	uint64_t rate_window_us;    /* xl's "@WINDOW", 50 ms by default */
};

/* Parse spec into c: 0, or -EINVAL with one line in err. */
int xnet_parse_vif(const char *spec, struct xnet_vif_cfg *c, char *err, size_t errlen);

/* One transmit packet taken from the ring: its data slots (the first
 * one's size already the first slot's own bytes, as Xen reduces it) and
 * how many extra-info slots came after the first. */
struct xnet_tx {
	unsigned nfrag, nextra;
	uint16_t flags;             /* the first slot's: NETTXF_csum_blank, ... */
	uint32_t len;               /* the packet's bytes, all slots */
	int16_t status;             /* NETIF_RSP_OKAY, or _ERROR: dropped with an error for each slot */
	bool gso, mcast;            /* a GSO extra (refused); a multicast add/del (answered, nothing sent) */
	struct xnet_frag {
		uint32_t gref;
		uint16_t id, off, len;
	} frag[XNET_FATAL_SLOTS];
};

/* The next packet of the TX ring, checked as Xen's netback does: 1 with
 * *p (its slots consumed; p->status says whether to send it), 0 when no
 * request waits, -EPROTO when the frontend broke the ring (its producer
 * index more than a ring ahead, a packet whose slots run past it or
 * number XNET_FATAL_SLOTS, a slot crossing its page, an extra-info slot
 * of no known type): Xen disconnects such a frontend. */
int xnet_tx_take(netif_tx_back_ring_t *ring, struct xnet_tx *p);
/* The responses to p, one a slot in its order (NETIF_RSP_NULL for the
 * extras), status for its data slots. */
void xnet_tx_respond(netif_tx_back_ring_t *ring, const struct xnet_tx *p, int16_t status);
/* Publish the responses; true when the frontend asked to be notified. */
bool xnet_tx_push(netif_tx_back_ring_t *ring);
/* Nothing left: ask for an event at the next request (Xen's
 * RING_FINAL_CHECK_FOR_REQUESTS); true when requests came meanwhile. */
bool xnet_tx_more(netif_tx_back_ring_t *ring);

/* The RX ring: 1 with the next receive buffer's request (consumed), 0
 * when none waits, -EPROTO for a producer index more than a ring ahead. */
int xnet_rx_take(netif_rx_back_ring_t *ring, netif_rx_request_t *out);
/* Whether a receive buffer waits (none consumed); when none does, the
 * frontend is asked for an event when it posts one, and true when one
 * came meanwhile. -EPROTO as xnet_rx_take. */
int xnet_rx_ready(netif_rx_back_ring_t *ring);
void xnet_rx_respond(netif_rx_back_ring_t *ring, uint16_t id, uint16_t off, uint16_t flags, int16_t status);
bool xnet_rx_push(netif_rx_back_ring_t *ring);

/* A VIF's transmit rate limit (xl's rate=): a token bucket of bytes,
 * per_window of them added every window_ns, at most enough for a
 * window's worth or one largest packet, whichever is more (Xen
 * netback's credit scheduler). */
struct xnet_credit {
	uint64_t per_window, window_ns, max;
	uint64_t left, next_ns;     /* bytes that may go now; when more come */
};
void xnet_credit_init(struct xnet_credit *c, uint64_t bytes_per_s, uint64_t window_us, uint64_t now_ns);
/* Whether a packet of len bytes may go at now_ns (its bytes taken if
 * so); false: not before *when_ns. */
bool xnet_credit_take(struct xnet_credit *c, uint64_t now_ns, uint32_t len, uint64_t *when_ns);

/* A packet the frontend sent with NETTXF_csum_blank (its TCP or UDP
 * checksum only the pseudo-header's sum, as Linux's CHECKSUM_PARTIAL
 * leaves it): the checksum completed in place, as Xen's
 * checksum_setup and the host's stack would. IPv4 TCP and UDP; false
 * (the packet left as it is) for anything else or a truncated header. */
bool xnet_csum_fill(uint8_t *pkt, size_t len);
#endif
