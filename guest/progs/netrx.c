/* Receive packets from pvmon's network back end (prog=netrx): by page flip
 * and by copy, for each frame size, checking every packet (sequence number,
 * lengths, checksum: pvlab/netpkt.h), with a line before and after each
 * phase that `pvmon --console-counters` stamps with pvmon's counters
 * (pvbench netflip reads them). hostile=1 first breaks every rule of the
 * ring and its grants and checks each refusal.
 *   modes=flip,copy sizes=64,1500,4096 n=N hostile=0|1 gen=1|0
 * gen=0: the packets come from a TAP device (pvnet = "tap:NAME"), sent in
 * this order by tests/tools/udpsend.c; the host's other frames are skipped. */
#include "kernel.h"
#include "mm.h"
#include "net.h"
#include "pvlab/netpkt.h"

static struct netfront nf;
static struct tally tally = { "netrx: hostile", 0, 0 };
#define expect(what, got, want) tally_expect(&tally, what, got, want)

static const char *mode_name(uint32_t m) { return m == PV_NET_RX_flip ? "flip" : "copy"; }

/* Responses of one batch, the flip's buffers mapped: how many, into
 * ids/lens; an error response counts in *errors. */
static unsigned take_batch(uint16_t *ids, int16_t *lens, unsigned *errors)
{
	struct pv_net_rx_response r;
	unsigned k = 0;
	while (k < PV_NET_RING_SIZE && net_next(&nf, &r)) {
		if (r.status <= 0 || r.id >= PV_NET_RING_SIZE || r.offset) {
			if ((*errors)++ < 3)
				printk("netrx: response id %u status %d offset %u unexpected\n", r.id, r.status, r.offset);
			continue;
		}
		ids[k] = r.id;
		lens[k++] = r.status;
	}
	if (k && nf.mode == PV_NET_RX_flip)
		net_map_batch(&nf, ids, k, 1);
	return k;
}

/* One phase: n packets of size bytes in mode, from the generator (gen) or
 * a TAP device, where other frames of the host's are counted and skipped.
 * Returns the packets found bad. */
static unsigned long phase(uint32_t mode, uint32_t size, unsigned long n, int gen)
{
	static uint16_t ids[PV_NET_RING_SIZE];
	static int16_t lens[PV_NET_RING_SIZE];
	printk("netrx: begin %s %u n=%lu\n", mode_name(mode), size, n);
	uint64_t t0 = system_time();
	int rc = net_connect(&nf, mode, gen ? size : 0);
	if (rc)
		return printk("netrx: connect (%s, %u) refused: %d\n", mode_name(mode), size, rc), n;
	unsigned long outstanding = 0, got = 0, bad = 0, other = 0;
	unsigned errors = 0;
	for (uint16_t id = 0; id < PV_NET_RING_SIZE && outstanding < n; id++, outstanding++)
		net_post(&nf, id);
	net_push(&nf);
	while (got < n) {
		if (net_wait(&nf, 5000)) {
			printk("netrx: %s %u: no packet for 5 s after %lu\n", mode_name(mode), size, got);
			bad += n - got;
			break;
		}
		unsigned k = take_batch(ids, lens, &errors);
		if (errors) {
			bad += n - got;
			break;
		}
		outstanding -= k;
		for (unsigned i = 0; i < k; i++) {
			const uint8_t *f = nf.buf[ids[i]];
			uint32_t len = (uint32_t)lens[i];
			if (!gen && !pv_net_pkt_ours(f, len)) {
				other++;                     /* the host's own traffic */
				continue;
			}
			const char *why = len != size ? "frame length" : pv_net_pkt_check(f, len, (uint32_t)got);
			if (why && bad++ < 3)
				printk("netrx: %s %u: packet %lu (%u bytes): %s\n", mode_name(mode), size, got, len, why);
			got++;
		}
		/* Buffers again for what is still to come, no more. */
		unsigned m = 0;
		while (m < k && outstanding + m < n - got)
			m++;
		if (m && mode == PV_NET_RX_flip)
			net_map_batch(&nf, ids, m, 0);       /* a flip takes unmapped frames only */
		for (unsigned i = 0; i < m; i++)
			net_post(&nf, ids[i]);
		outstanding += m;
		if (m)
			net_push(&nf);
	}
	uint64_t ns = system_time() - t0;
	net_disconnect(&nf);
	printk("netrx: %s %u n=%lu ns=%lu bad=%lu errors=%u other=%lu\n", mode_name(mode), size, got, (unsigned long)ns,
	       bad, errors, other);
	return bad + errors;
}

/* ---- hostile ------------------------------------------------------------------------------ */

static int32_t connect(uint32_t ring_ref, uint32_t port, uint32_t mode, uint32_t gen_len)
{
	struct pv_net_connect c = { ring_ref, port, mode, gen_len };
	return (int32_t)HYPERVISOR_net_op(PV_NETOP_connect, &c);
}

/* The status of the one response to request gref (id 7), after a push. */
static long answer(uint32_t gref)
{
	net_post_raw(&nf, 7, gref);
	net_push(&nf);
	struct pv_net_rx_response r;
	if (net_wait(&nf, 2000) || !net_next(&nf, &r))
		return -9999;
	return r.id == 7 ? r.status : -9998;
}

/* A good buffer (id 0) gets the packet that waited: number 0. */
static long good(void)
{
	net_post(&nf, 0);
	net_push(&nf);
	struct pv_net_rx_response r;
	if (net_wait(&nf, 2000) || !net_next(&nf, &r) || r.status <= 0)
		return -1;
	uint16_t id = 0;
	if (nf.mode == PV_NET_RX_flip)
		net_map_batch(&nf, &id, 1, 1);
	return pv_net_pkt_check(nf.buf[0], (uint32_t)r.status, 0) ? -2 : r.status;
}

static int hostile(void)
{
	const uint32_t spare = NET_REF_FREE, other = NET_REF_FREE + 1;
	uint64_t ring = (uint64_t)nf.ring / 4096, table = (uint64_t)nf.gnt / 4096;
	char *mapped = page_alloc(1);
	/* Connecting: every argument checked. */
	expect("connect: ring ref past the table", connect(999, nf.port, PV_NET_RX_flip, 64), -PV_EINVAL);
	net_grant(&nf, spare, ring, PV_DOMID_BACKEND, PV_GTF_permit_access | PV_GTF_readonly);
	expect("connect: a read-only ring", connect(spare, nf.port, PV_NET_RX_flip, 64), -PV_EPERM);
	net_grant(&nf, spare, ring, 5, PV_GTF_permit_access);
	expect("connect: a ring granted to domain 5", connect(spare, nf.port, PV_NET_RX_flip, 64), -PV_EPERM);
	struct pv_evtchn_alloc_unbound au = { PV_DOMID_SELF, PV_DOMID_SELF, 0 };
	HYPERVISOR_event_channel_op(PV_EVTCHN_alloc_unbound, &au);
	expect("connect: a port not offered to domain 0", connect(NET_REF_RING, au.port, PV_NET_RX_flip, 64), -PV_EINVAL);
	expect("connect: port 5000", connect(NET_REF_RING, 5000, PV_NET_RX_flip, 64), -PV_EINVAL);
	expect("connect: mode 7", connect(NET_REF_RING, nf.port, 7, 64), -PV_EINVAL);
	expect("connect: gen_len 10", connect(NET_REF_RING, nf.port, PV_NET_RX_flip, 10), -PV_EINVAL);
	expect("connect: gen_len 5000", connect(NET_REF_RING, nf.port, PV_NET_RX_flip, 5000), -PV_EINVAL);
	expect("net_op: bad command", HYPERVISOR_net_op(9, 0), -PV_EINVAL);
	expect("net_op: a bad pointer", HYPERVISOR_net_op(PV_NETOP_connect, (void *)(start_info->nr_pages * 4096)),
	       -PV_EFAULT);
	expect("disconnect, not connected", net_disconnect(&nf), -PV_ENOTCONN);

	/* Flip: refused requests get error responses; the packet waits. */
	expect("connect for flips", net_connect(&nf, PV_NET_RX_flip, 64), 0);
	expect("connect twice", connect(NET_REF_RING, nf.port, PV_NET_RX_flip, 64), -PV_EBUSY);
	expect("the ring frame cannot be given back", HYPERVISOR_memory_op(PV_MEM_decrease_reservation,
	       &(struct pv_memory_reservation){ (uint64_t)&ring, 1, 0 }), -PV_EBUSY);
	expect("flip: gref 9999", answer(9999), -PV_EINVAL);
	net_grant(&nf, spare, (uint64_t)mapped / 4096, PV_DOMID_BACKEND, PV_GTF_accept_transfer);
	expect("flip: a frame still mapped", answer(spare), -PV_EBUSY);
	net_grant(&nf, spare, table, PV_DOMID_BACKEND, PV_GTF_accept_transfer);
	expect("flip: the grant table's frame", answer(spare), -PV_EBUSY);
	net_grant(&nf, spare, ring, PV_DOMID_BACKEND, PV_GTF_accept_transfer);
	expect("flip: the ring's own frame", answer(spare), -PV_EBUSY);
	net_grant(&nf, spare, kernel_pml4 / 4096, PV_DOMID_BACKEND, PV_GTF_accept_transfer);
	expect("flip: the kernel's page table (pinned, in the pool)", answer(spare), -PV_EBUSY);
	net_grant(&nf, other, start_info->nr_pages + 10, PV_DOMID_BACKEND, PV_GTF_accept_transfer);
	expect("flip: a frame past RAM", answer(other), -PV_EBUSY);
	expect("flip: a grant not offered for a transfer", answer(NET_REF_RING), -PV_EINVAL);
	net_grant(&nf, other, (uint64_t)nf.buf[1] / 4096, 5, PV_GTF_accept_transfer);
	expect("flip: offered to domain 5", answer(other), -PV_EPERM);
	expect("flip: then a good buffer gets packet 0", good(), 64);
	expect("disconnect", net_disconnect(&nf), 0);
	expect("disconnect twice", net_disconnect(&nf), -PV_ENOTCONN);

	/* Copy. */
	expect("connect for copies", net_connect(&nf, PV_NET_RX_copy, 1500), 0);
	net_grant(&nf, spare, (uint64_t)mapped / 4096, PV_DOMID_BACKEND, PV_GTF_permit_access | PV_GTF_readonly);
	expect("copy: a read-only buffer", answer(spare), -PV_EPERM);
	net_grant(&nf, spare, (uint64_t)mapped / 4096, PV_DOMID_BACKEND, PV_GTF_accept_transfer);
	expect("copy: a buffer only offered for a transfer", answer(spare), -PV_EACCES);
	net_grant(&nf, spare, (uint64_t)mapped / 4096, 5, PV_GTF_permit_access);
	expect("copy: granted to domain 5", answer(spare), -PV_EPERM);
	expect("copy: then a good buffer gets packet 0", good(), 1500);

	/* A producer index a ring and more ahead: the back end disconnects. */
	nf.ring->req_prod = nf.req_prod_pvt + 1000;
	struct pv_evtchn_send s = { nf.port };
	HYPERVISOR_event_channel_op(PV_EVTCHN_send, &s);
	uint64_t end = system_time() + 2000000000ULL;
	while (HYPERVISOR_net_op(PV_NETOP_status, 0) == 1 && system_time() < end)
		sleep_ns(1000000);
	expect("a producer index beyond the ring: disconnected", HYPERVISOR_net_op(PV_NETOP_status, 0), 0);
	expect("connect again", net_connect(&nf, PV_NET_RX_copy, 64), 0);
	expect("  and receive packet 0", good(), 64);
	expect("disconnect at the end", net_disconnect(&nf), 0);
	return tally_done(&tally);
}

static uint32_t parse_mode(const char *s, size_t n)
{
	return n == 4 && !strncmp(s, "copy", 4) ? PV_NET_RX_copy : n == 4 && !strncmp(s, "flip", 4) ? PV_NET_RX_flip : 99;
}

int prog_netrx(void);
int prog_netrx(void)
{
	char mbuf[64], sbuf[128];
	const char *modes = cmdline_get("modes", "flip,copy", mbuf, sizeof(mbuf));
	const char *sizes = cmdline_get("sizes", "64,1500,4096", sbuf, sizeof(sbuf));
	unsigned long n = cmdline_num("n", 1000);
	int gen = cmdline_num("gen", 1) != 0;
	timer_stop();                    /* no tick: the ring's events are the only ones */
	int rc = net_init(&nf);
	if (rc)
		return printk("netrx: no network interface (%d): give the domain pvnet = \"gen\"\n", rc), 2;
	int failed = 0;
	if (cmdline_num("hostile", 0) && gen)
		failed |= hostile();
	unsigned long bad = 0;
	for (const char *m = modes; *m;) {
		size_t ml = 0;
		while (m[ml] && m[ml] != ',')
			ml++;
		uint32_t mode = parse_mode(m, ml);
		if (mode == 99)
			return printk("netrx: modes= takes flip and copy\n"), 2;
		for (const char *p = sizes; *p;) {
			const char *end;
			unsigned long size = strtoul(p, &end, 10);
			if (size < PV_NET_GEN_MIN || size > PV_NET_GEN_MAX || (*end && *end != ','))
				return printk("netrx: sizes= takes %d..%d\n", PV_NET_GEN_MIN, PV_NET_GEN_MAX), 2;
			bad += phase(mode, (uint32_t)size, n, gen);
			p = *end ? end + 1 : end;
		}
		m += ml + (m[ml] == ',');
	}
	printk("netrx: done, %lu bad\n", bad);
	return failed || bad ? 1 : 0;
}
