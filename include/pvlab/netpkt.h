/* The test packets of the pvos network path (pv.h's struct pv_net_pkt in
 * an Ethernet/IPv4/UDP frame): pvmon's packet generator makes them, pvos's
 * netrx checks every one (sequence number, lengths, checksum), so that a
 * page flipped wrong or a copy short by a byte cannot pass. Freestanding:
 * no libc, usable in pvmon, pvos and pvbench alike. */
#ifndef PVLAB_NETPKT_H
#define PVLAB_NETPKT_H
#include <stdint.h>
#include "pv.h"

static inline uint8_t pv_net_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u);
}

/* A position-sensitive sum over n bytes, 8 at a time (a byte moved or
 * lost changes it): sum of word i * (2i + 1), then the tail bytes. */
static inline uint32_t pv_net_csum(const uint8_t *p, uint32_t n)
{
	uint64_t h = 0, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		__builtin_memcpy(&w, p + i, 8);
		h += w * (2 * (i / 8) + 1);
	}
	for (; i < n; i++)
		h += (uint64_t)p[i] * (2 * i + 1);
	return (uint32_t)(h ^ (h >> 32));
}

static inline void pv_net_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t pv_net_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Frame f of len bytes (PV_NET_GEN_MIN..PV_NET_GEN_MAX) carrying packet seq:
 * 02:00:00:00:00:00 -> 02:00:00:00:00:01, 10.0.0.1:9000 -> 10.0.0.2:9001. */
static inline void pv_net_pkt_fill(uint8_t *f, uint32_t len, uint32_t seq)
{
	static const uint8_t eth[14] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0x08, 0x00 };
	static const uint8_t ip[20] = { 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	for (int i = 0; i < 14; i++)
		f[i] = eth[i];
	uint8_t *h = f + 14, *u = f + 34;
	for (int i = 0; i < 20; i++)
		h[i] = ip[i];
	pv_net_put16(h + 2, len - 14);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += pv_net_get16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pv_net_put16(h + 10, ~sum & 0xffff);
	pv_net_put16(u, 9000);
	pv_net_put16(u + 2, 9001);
	pv_net_put16(u + 4, len - 34);
	pv_net_put16(u + 6, 0);                 /* no UDP checksum: ours is inside */
	uint8_t *data = f + PV_NET_HDR_LEN + sizeof(struct pv_net_pkt);
	uint32_t n = len - PV_NET_HDR_LEN - (uint32_t)sizeof(struct pv_net_pkt);
	for (uint32_t i = 0; i < n; i++)
		data[i] = pv_net_byte(seq, i);
	struct pv_net_pkt k = { PV_NET_PKT_MAGIC, seq, len - PV_NET_HDR_LEN, pv_net_csum(data, n) };
	const uint8_t *kb = (const uint8_t *)&k;
	for (uint32_t i = 0; i < sizeof(k); i++)
		f[PV_NET_HDR_LEN + i] = kb[i];
}

/* Whether frame f of len bytes is a test packet at all (IPv4/UDP to port
 * 9001 with the magic): a TAP device also carries the host's own traffic. */
static inline int pv_net_pkt_ours(const uint8_t *f, uint32_t len)
{
	if (len < PV_NET_HDR_LEN + sizeof(struct pv_net_pkt) || pv_net_get16(f + 12) != 0x0800 || f[14] != 0x45 ||
	    f[23] != 17 || pv_net_get16(f + 36) != 9001)
		return 0;
	const uint8_t m[4] = { (uint8_t)PV_NET_PKT_MAGIC, (uint8_t)(PV_NET_PKT_MAGIC >> 8),
	                       (uint8_t)(PV_NET_PKT_MAGIC >> 16), (uint8_t)(PV_NET_PKT_MAGIC >> 24) };
	const uint8_t *k = f + PV_NET_HDR_LEN;
	return k[0] == m[0] && k[1] == m[1] && k[2] == m[2] && k[3] == m[3];
}

/* What is wrong with frame f of len bytes, expected to carry packet seq:
 * NULL when nothing is. */
static inline const char *pv_net_pkt_check(const uint8_t *f, uint32_t len, uint32_t seq)
{
	if (len < PV_NET_HDR_LEN + sizeof(struct pv_net_pkt) || len > PV_NET_GEN_MAX)
		return "length out of range";
	if (pv_net_get16(f + 12) != 0x0800 || f[14] != 0x45 || f[23] != 17)
		return "not IPv4/UDP";
	if (pv_net_get16(f + 16) != len - 14 || pv_net_get16(f + 38) != len - 34)
		return "IP or UDP length differs from the frame's";
	struct pv_net_pkt k;
	uint8_t *kb = (uint8_t *)&k;
	for (uint32_t i = 0; i < sizeof(k); i++)
		kb[i] = f[PV_NET_HDR_LEN + i];
	if (k.magic != PV_NET_PKT_MAGIC)
		return "no packet magic";
	if (k.seq != seq)
		return "sequence number";
	if (k.len != len - PV_NET_HDR_LEN)
		return "payload length";
	const uint8_t *data = f + PV_NET_HDR_LEN + sizeof(k);
	uint32_t n = len - PV_NET_HDR_LEN - (uint32_t)sizeof(k);
	if (pv_net_csum(data, n) != k.csum)
		return "checksum";
	return 0;
}
#endif
