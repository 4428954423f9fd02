/* libFuzzer target: a hostile frontend's blkif ring (xen_blkif.c). The
 * input is the shared page, rounds of producer indices and the disk's
 * size; the back end takes, checks and answers requests as pvmon's does,
 * some held outstanding across rounds.
 * Whatever the frontend writes: no request is taken twice or beyond the
 * ring, a checked request stays inside the disk and its pages, and a
 * producer index more than a ring ahead is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../hypervisor/src/xen_blkif.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_xen_blkif: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t page[4096] __attribute__((aligned(4096)));
	if (size < 8)
		return 0;
	uint64_t sectors = 1 + (data[0] | (uint64_t)data[1] << 8 | (uint64_t)data[2] << 16);
	bool ro = data[3] & 1;
	unsigned rounds = 1 + data[4] % 8;
	uint8_t hold = data[5];                   /* which rounds answer half of what is outstanding */
	data += 8;
	size -= 8;
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));
	blkif_sring_t *s = (blkif_sring_t *)page;
	blkif_back_ring_t b;
	BACK_RING_INIT(&b, s, 4096);
	s->rsp_prod = 0;
	const uint8_t *idx = size > sizeof(page) ? data + sizeof(page) : NULL;
	size_t nidx = idx ? size - sizeof(page) : 0;
	/* As pvmon's back end: requests stay outstanding across rounds (their
	 * I/O in flight), some answered each round, and the final check
	 * (xblk_more) made only once none is outstanding. */
	RING_IDX taken = 0, answered = 0;
	blkif_request_t out[64];
	int16_t status[64];
	unsigned held = 0;
	for (unsigned r = 0; r < rounds; r++) {
		if (nidx >= 4) {                      /* the frontend moves its producer index */
			memcpy(&s->req_prod, idx, 4);
			idx += 4;
			nidx -= 4;
		}
		RING_IDX before = b.req_cons;
		unsigned want = 1 + (r * 7) % 64;
		if (want > 64 - held)
			want = 64 - held;            /* held <= RING_SIZE (32), checked below */
		int n = xblk_take(&b, out + held, want);
		if (n < 0) {
			if (!RING_REQUEST_PROD_OVERFLOW(&b, s->req_prod))
				fail("-EPROTO for a producer index within a ring");
			continue;
		}
		if (b.req_cons - before != (RING_IDX)n || b.req_cons - b.rsp_prod_pvt > RING_SIZE(&b))
			fail("more taken than the ring holds");
		taken += (RING_IDX)n;
		for (int i = 0; i < n; i++) {
			struct xblk_req c;
			int st = xblk_check(&out[held + (unsigned)i], sectors, ro, &c);
			if (st == BLKIF_RSP_OKAY && c.nseg) {
				if (c.offset / 512 >= sectors || c.bytes / 512 > sectors - c.offset / 512)
					fail("a checked request outside the disk");
				if (ro && c.op != BLKIF_OP_READ)
					fail("a write to a read-only disk passed");
				for (unsigned k = 0; k < c.nseg; k++)
					if (c.seg[k].off + c.seg[k].len > 4096 || !c.seg[k].len)
						fail("a segment outside its page");
			}
			status[held + (unsigned)i] = (int16_t)st;
		}
		held += (unsigned)n;
		/* Answer the oldest few (the last round: all), then push. */
		if (held > RING_SIZE(&b))
			fail("more outstanding than the ring holds");
		unsigned k = r + 1 == rounds ? held : (hold >> (r % 8)) & 1 ? held / 2 : 0;
		for (unsigned i = 0; i < k; i++)
			xblk_respond(&b, out[i].id, out[i].operation, status[i]);
		memmove(out, out + k, (held - k) * sizeof(out[0]));
		memmove(status, status + k, (held - k) * sizeof(status[0]));
		held -= k;
		answered += k;
		xblk_push(&b);
		if (!held)
			xblk_more(&b);
		if (b.rsp_prod_pvt != answered || s->rsp_prod != answered || taken - answered != held)
			fail("responses and requests differ");
	}
	return 0;
}
