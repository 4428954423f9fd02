/* libFuzzer target: a hostile frontend's pvos receive ring (pvnet_ring.c).
 * The input is rounds of producer indices and batch sizes, then the start
 * of the shared page (the rest zero); the back end takes and answers requests as pvnet.c does, some
 * answered at once, some kept pending. Whatever the frontend writes: no
 * request is taken twice or beyond the ring, a producer index more than a
 * ring ahead of the responses or behind the consumer is refused and one
 * within them is not, and
 * the responses published are the ones written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../hypervisor/src/pvnet_ring.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_pvnet_ring: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pv_net_rx_sring page __attribute__((aligned(4096)));
	if (size < 1)
		return 0;
	size_t rounds = data[0] % 32, idx = rounds * 6 < size - 1 ? rounds * 6 : (size - 1) / 6 * 6;
	const uint8_t *rest = data + 1 + idx;
	size_t nrest = size - 1 - idx;
	memset(&page, 0, sizeof(page));
	memcpy(&page, rest, nrest < sizeof(page) ? nrest : sizeof(page));
	data += 1;
	size = idx;
	struct pvnet_ring r;
	pvnet_ring_init(&r, &page);
	struct pv_net_rx_request req[PV_NET_RING_SIZE];
	uint32_t pending = 0;                  /* taken, not answered yet */
	while (size >= 6) {
		uint32_t prod;
		memcpy(&prod, data, 4);
		unsigned max = 1 + data[4] % PV_NET_RING_SIZE, answer = data[5];
		data += 6;
		size -= 6;
		page.req_prod = prod;
		uint32_t before = r.req_cons;
		int n = pvnet_ring_take(&r, req, max);
		bool broken = prod - r.rsp_prod_pvt > PV_NET_RING_SIZE || prod - r.rsp_prod_pvt < before - r.rsp_prod_pvt;
		if (n < 0) {
			if (n != -EPROTO || !broken)
				fail("a producer index within the ring refused");
			continue;
		}
		if (broken)
			fail("a producer index beyond the ring or behind the consumer taken");
		if ((unsigned)n > max || r.req_cons - before != (uint32_t)n || r.req_cons - r.rsp_prod_pvt > PV_NET_RING_SIZE)
			fail("more taken than asked for or than the ring holds");
		pending += (uint32_t)n;
		unsigned answered = 0;
		for (; answer && pending; answer--, pending--, answered++)
			pvnet_ring_respond(&r, 0, 64);
		page.rsp_event = prod ^ answer;        /* whatever the frontend asks for */
		pvnet_ring_push(&r);
		if ((answered && page.rsp_prod != r.rsp_prod_pvt) || r.rsp_pushed != r.rsp_prod_pvt ||
		    r.rsp_prod_pvt + pending != r.req_cons)
			fail("responses published differ from those written");
		pvnet_ring_more(&r);
	}
	return 0;
}
