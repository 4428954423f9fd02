/* The netif rings' bookkeeping (xen_netif.h). The rings are the guest's
 * pages: every index and request is read once into pvmon's memory and
 * checked there; nothing read from them is trusted twice. The checks
 * and their outcomes (dropped with error responses, or the ring broken)
 * are Xen netback's (xenvif_tx_build_gops, xenvif_count_requests,
 * xenvif_get_extras). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xen_netif.h"

/* ---- xl.cfg's vif entry ------------------------------------------------------------ */

static int parse_mac(const char *v, size_t n, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	char s[24];
	if (n >= sizeof(s))
		return -EINVAL;
	memcpy(s, v, n);
	s[n] = 0;
	if (n != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return -EINVAL;                     /* a multicast address is no NIC's */
	return 0;
}

static int parse_ip(const char *v, size_t n, char ip[16])
{
	unsigned a[4];
	char tail, s[20];
	if (n >= sizeof(s))
		return -EINVAL;
	memcpy(s, v, n);
	s[n] = 0;
	if (strspn(s, "0123456789.") != n || sscanf(s, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		if (a[i] > 255)
			return -EINVAL;
	snprintf(ip, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	return 0;
}

/* A decimal number with one of the suffixes of units (each a suffix
 * and its multiplier), in *out. */
struct unit {
	const char *sfx;
	uint64_t mul, div;
};
static int number_unit(const char *s, size_t n, const struct unit *units, uint64_t *out)
{
	size_t d = 0;
	uint64_t v = 0;
	while (d < n && s[d] >= '0' && s[d] <= '9') {
		if (v > UINT64_MAX / 10 / 1000000000ULL)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[d++] - '0');
	}
	if (!d)
		return -EINVAL;
	for (const struct unit *u = units; u->sfx; u++)
		if (strlen(u->sfx) == n - d && !strncmp(s + d, u->sfx, n - d)) {
			*out = v * u->mul / u->div;
			return 0;
		}
	return -EINVAL;
}

/* xl's rate: "RATE/s" or "RATE/s@INTERVAL", RATE in bytes (B, KB, MB,
 * GB) or bits (b, Kb, Mb, Gb), INTERVAL in us, ms or s (50 ms). */
static int parse_rate(const char *v, size_t n, struct xnet_vif_cfg *c)
{
	static const struct unit rate[] = {
		{ "B/s", 1, 1 }, { "KB/s", 1000, 1 }, { "MB/s", 1000000, 1 }, { "GB/s", 1000000000, 1 },
		{ "b/s", 1, 8 }, { "Kb/s", 1000, 8 }, { "Mb/s", 1000000, 8 }, { "Gb/s", 1000000000, 8 }, { NULL, 0, 0 } };
	static const struct unit window[] = { { "us", 1, 1 }, { "ms", 1000, 1 }, { "s", 1000000, 1 }, { NULL, 0, 0 } };
	const char *at = memchr(v, '@', n);
	size_t rn = at ? (size_t)(at - v) : n;
	if (number_unit(v, rn, rate, &c->rate_bps) || !c->rate_bps)
		return -EINVAL;
	c->rate_window_us = 50000;
	if (at && (number_unit(at + 1, n - rn - 1, window, &c->rate_window_us) || !c->rate_window_us ||
	           c->rate_window_us > 10000000))
		return -EINVAL;
	return 0;
}

int xnet_parse_vif(const char *spec, struct xnet_vif_cfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	/* The messages below quote the entry: nothing in it may break the line. */
	for (const char *p = spec; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return snprintf(err, errlen, "vif entry: a control character (0x%02x) at offset %zu",
			                (unsigned)(unsigned char)*p, (size_t)(p - spec)), -EINVAL;
	for (const char *p = spec; *p;) {
		size_t n = strcspn(p, ",");
		const char *eq = memchr(p, '=', n);
		if (!eq)
			return snprintf(err, errlen, "vif '%s': '%.*s' is not KEY=VALUE", spec, (int)n, p), -EINVAL;
		size_t kn = (size_t)(eq - p), vn = n - kn - 1;
		const char *v = eq + 1;
		if (kn == 3 && !strncmp(p, "mac", 3)) {
			if (parse_mac(v, vn, c->mac))
				return snprintf(err, errlen, "vif '%s': mac '%.*s' is not a unicast xx:xx:xx:xx:xx:xx",
				                spec, (int)vn, v), -EINVAL;
			c->has_mac = true;
		} else if (kn == 2 && !strncmp(p, "ip", 2)) {
			if (parse_ip(v, vn, c->ip))
				return snprintf(err, errlen, "vif '%s': ip '%.*s' is not an IPv4 address", spec, (int)vn, v),
				       -EINVAL;
		} else if (kn == 4 && !strncmp(p, "rate", 4)) {
			if (parse_rate(v, vn, c))
				return snprintf(err, errlen, "vif '%s': rate '%.*s' is not RATE/s[@INTERVAL] (e.g. 10Mb/s, "
				                "1MB/s@20ms)", spec, (int)vn, v), -EINVAL;
		} else {
			return snprintf(err, errlen, "vif '%s': unknown key '%.*s' (mac, ip and rate are known)", spec,
			                (int)kn, p), -EINVAL;
		}
		p += n;
		if (*p == ',' && !*++p)
			return snprintf(err, errlen, "vif '%s': a ',' ends it", spec), -EINVAL;
	}
	return 0;
}

/* ---- transmit ------------------------------------------------------------------------ */

/* The request at index i, copied out. */
static netif_tx_request_t tx_slot(netif_tx_back_ring_t *ring, RING_IDX i)
{
	netif_tx_request_t r;
	memcpy(&r, RING_GET_REQUEST(ring, i), sizeof(r));
	return r;
}

int xnet_tx_take(netif_tx_back_ring_t *ring, struct xnet_tx *p)
{
	RING_IDX prod = __atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(ring, prod))
		return -EPROTO;
	if (ring->req_cons == prod || RING_REQUEST_CONS_OVERFLOW(ring, ring->req_cons))
		return 0;
	RING_IDX avail = prod - ring->req_cons, i = ring->req_cons;
	memset(p, 0, sizeof(*p));
	p->status = NETIF_RSP_OKAY;
	netif_tx_request_t first = tx_slot(ring, i++);
	/* The extras: each one slot, chained by XEN_NETIF_EXTRA_FLAG_MORE. */
	bool more = first.flags & NETTXF_extra_info;
	while (more) {
		if (i - ring->req_cons >= avail || p->nextra == XNET_MAX_EXTRAS)
			return -EPROTO;                 /* "Missed extra info", or more than one of each type */
		netif_tx_request_t raw = tx_slot(ring, i++);
		netif_extra_info_t x;
		memcpy(&x, &raw, sizeof(x));
		if (!x.type || x.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return -EPROTO;                 /* "Invalid extra type" */
		p->gso |= x.type == XEN_NETIF_EXTRA_TYPE_GSO;
		p->mcast |= x.type == XEN_NETIF_EXTRA_TYPE_MCAST_ADD || x.type == XEN_NETIF_EXTRA_TYPE_MCAST_DEL;
		p->nextra++;
		more = x.flags & XEN_NETIF_EXTRA_FLAG_MORE;
	}
	p->frag[0] = (struct xnet_frag){ first.gref, first.id, first.offset, 0 };
	p->flags = first.flags;
	p->nfrag = 1;
	if (p->mcast) {
		/* Xen answers a multicast add or delete at once, its data slots
		 * never looked at; every packet goes to the TAP anyway. */
		ring->req_cons = i;
		return 1;
	}
	/* The data slots after the first: each one's size comes off the
	 * first's, which holds the whole packet's (xenvif_count_requests). */
	p->len = first.size;
	uint32_t rest = first.size;
	bool drop = false;
	for (more = first.flags & NETTXF_more_data; more;) {
		if (i - ring->req_cons >= avail || p->nfrag + 1 >= XNET_FATAL_SLOTS)
			return -EPROTO;                 /* "Asked for slots but exceeds this limit", "Malicious frontend" */
		netif_tx_request_t t = tx_slot(ring, i++);
		p->frag[p->nfrag++] = (struct xnet_frag){ t.gref, t.id, t.offset, t.size };
		if (p->nfrag > XNET_MAX_SLOTS)
			drop = true;                    /* "Too many slots" */
		if (t.size > rest)
			drop = true;                    /* "Packet is bigger than frame" */
		else if (!drop)
			rest -= t.size;
		if ((uint32_t)t.offset + t.size > XNET_PAGE)
			return -EPROTO;                 /* "Cross page boundary" */
		more = t.flags & NETTXF_more_data;
	}
	p->frag[0].len = (uint16_t)rest;
	if (!drop && rest < XNET_ETH_HLEN)
		drop = true;                            /* "Bad packet size": the first slot holds the header */
	if (!drop && (uint32_t)first.offset + rest > XNET_PAGE)
		return -EPROTO;                         /* "Cross page boundary" */
	ring->req_cons = i;
	if (drop || p->gso)
		p->status = NETIF_RSP_ERROR;            /* dropped, the frontend told; GSO is not offered */
	return 1;
}

void xnet_tx_respond(netif_tx_back_ring_t *ring, const struct xnet_tx *p, int16_t status)
{
	for (unsigned k = 0; k < p->nfrag; k++) {
		netif_tx_response_t *r = RING_GET_RESPONSE(ring, ring->rsp_prod_pvt++);
		r->id = p->frag[k].id;
		r->status = status;
		for (unsigned e = 0; k == 0 && e < p->nextra; e++)
			RING_GET_RESPONSE(ring, ring->rsp_prod_pvt++)->status = NETIF_RSP_NULL;
	}
}

bool xnet_tx_push(netif_tx_back_ring_t *ring)
{
	int notify;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(ring, notify);
	return notify;
}

bool xnet_tx_more(netif_tx_back_ring_t *ring)
{
	return XRING_MORE(ring);
}

/* ---- receive ---------------------------------------------------------------------------- */

int xnet_rx_ready(netif_rx_back_ring_t *ring)
{
	RING_IDX prod = __atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(ring, prod))
		return -EPROTO;
	if (prod != ring->req_cons && !RING_REQUEST_CONS_OVERFLOW(ring, ring->req_cons))
		return 1;
	if (!XRING_MORE(ring))
		return 0;
	prod = __atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(ring, prod))
		return -EPROTO;
	return prod != ring->req_cons && !RING_REQUEST_CONS_OVERFLOW(ring, ring->req_cons);
}

int xnet_rx_take(netif_rx_back_ring_t *ring, netif_rx_request_t *out)
{
	RING_IDX prod = __atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(ring, prod))
		return -EPROTO;
	if (ring->req_cons == prod || RING_REQUEST_CONS_OVERFLOW(ring, ring->req_cons))
		return 0;
	memcpy(out, RING_GET_REQUEST(ring, ring->req_cons), sizeof(*out));
	ring->req_cons++;
	return 1;
}

void xnet_rx_respond(netif_rx_back_ring_t *ring, uint16_t id, uint16_t off, uint16_t flags, int16_t status)
{
	netif_rx_response_t *r = RING_GET_RESPONSE(ring, ring->rsp_prod_pvt++);
	r->id = id;
	r->offset = off;
	r->flags = flags;
	r->status = status;
}

bool xnet_rx_push(netif_rx_back_ring_t *ring)
{
	int notify;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(ring, notify);
	return notify;
}

/* ---- the rate limit ----------------------------------------------------------------------- */

void xnet_credit_init(struct xnet_credit *c, uint64_t bytes_per_s, uint64_t window_us, uint64_t now_ns)
{
	c->window_ns = window_us * 1000;
	/* bytes_per_s * window: at most 1e12 B/s times 1e7 us, well within 64 bits after the division */
	c->per_window = bytes_per_s / 1000 * window_us / 1000 + bytes_per_s % 1000 * window_us / 1000000;
	if (!c->per_window)
		c->per_window = 1;
	c->max = c->per_window > XEN_NETIF_MAX_TX_SIZE ? c->per_window : XEN_NETIF_MAX_TX_SIZE;
	c->left = c->per_window;
	c->next_ns = now_ns + c->window_ns;
}

bool xnet_credit_take(struct xnet_credit *c, uint64_t now_ns, uint32_t len, uint64_t *when_ns)
{
	if (now_ns >= c->next_ns) {
		/* every window passed adds its bytes, up to the bucket's size */
		uint64_t windows = (now_ns - c->next_ns) / c->window_ns + 1;
		uint64_t add = windows > c->max / c->per_window + 1 ? c->max : windows * c->per_window;
		c->left = c->left + add > c->max ? c->max : c->left + add;
		c->next_ns += windows * c->window_ns;
	}
	if (len <= c->left) {
		c->left -= len;
		return true;
	}
	/* Not enough yet: when the windows that bring enough have passed. */
	uint64_t need = len - c->left, windows = (need + c->per_window - 1) / c->per_window;
	*when_ns = c->next_ns + (windows - 1) * c->window_ns;
	return false;
}

/* ---- checksums ---------------------------------------------------------------------------- */

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

bool xnet_csum_fill(uint8_t *pkt, size_t len)
{
	if (len < XNET_ETH_HLEN + 20 || pkt[12] != 0x08 || pkt[13] != 0x00)
		return false;                           /* not IPv4 */
	const uint8_t *ip = pkt + XNET_ETH_HLEN;
	size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)ip[2] << 8 | ip[3];
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > len - XNET_ETH_HLEN)
		return false;
	if ((ip[6] & 0x3f) || ip[7])
		return false;                           /* a fragment: no whole L4 header to fill */
	size_t l4len = tot - ihl, at;
	if (ip[9] == 6)
		at = 16;                                /* TCP's checksum */
	else if (ip[9] == 17)
		at = 6;                                 /* UDP's */
	else
		return false;
	if (l4len < at + 2)
		return false;
	uint8_t *l4 = pkt + XNET_ETH_HLEN + ihl;
	/* The field holds the pseudo-header's sum (CHECKSUM_PARTIAL): the
	 * one's-complement sum from the L4 header on, complemented, is the
	 * checksum. */
	uint32_t s = sum16(l4, l4len, 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	uint16_t c = (uint16_t)~s;
	if (ip[9] == 17 && c == 0)
		c = 0xffff;                             /* UDP's "no checksum" is 0 */
	l4[at] = (uint8_t)(c >> 8);
	l4[at + 1] = (uint8_t)c;
	return true;
}
