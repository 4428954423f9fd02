/* xen_blkif.c: a blkif ring on plain memory. Requests are taken in
 * order and once; a producer index more than a ring ahead is refused;
 * responses go in order with Xen's notification rule; each request is
 * checked against the disk (segments within their page, sectors within
 * the disk, no writes to a read-only disk, unknown operations answered
 * EOPNOTSUPP); requests outstanding across turns come without a kick
 * each; the interrupt moderation's rule. */
#include <errno.h>
#include <stdlib.h>
#include "check.h"
#include "../../hypervisor/src/xen_blkif.h"

static uint8_t page[4096] __attribute__((aligned(4096)));

static blkif_request_t rq(uint8_t op, uint64_t sector, unsigned nseg, uint8_t first, uint8_t last)
{
	blkif_request_t r;
	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.id = 0x1000 + sector;
	r.sector_number = sector;
	r.nr_segments = (uint8_t)nseg;
	for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		r.seg[i] = (struct blkif_request_segment){ .gref = 7 + i, .first_sect = first, .last_sect = last };
	return r;
}

int main(void)
{
	struct xblk_req r;
	blkif_request_t in;
	/* Checks: a disk of 100 sectors. */
	in = rq(BLKIF_OP_READ, 0, 2, 0, 7);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.nseg, 2);
	CHECK_EQ(r.bytes, 8192);
	CHECK_EQ(r.seg[1].gref, 8);
	CHECK_EQ(r.seg[0].len, 4096);
	in = rq(BLKIF_OP_WRITE, 98, 1, 2, 3);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.offset, 98 * 512);
	CHECK_EQ(r.seg[0].off, 1024);
	CHECK_EQ(r.bytes, 1024);
	in = rq(BLKIF_OP_WRITE, 99, 1, 2, 3);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_ERROR);           /* one sector past the end */
	in = rq(BLKIF_OP_READ, ~0ULL, 1, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_ERROR);           /* far past */
	in = rq(BLKIF_OP_READ, 0, 1, 3, 2);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_ERROR);           /* first after last */
	in = rq(BLKIF_OP_READ, 0, 1, 0, 8);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_ERROR);           /* past the page */
	in = rq(BLKIF_OP_READ, 0, 12, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_ERROR);           /* 12 segments */
	in = rq(BLKIF_OP_READ, 0, 0, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_ERROR);           /* none */
	in = rq(BLKIF_OP_WRITE, 0, 1, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, true, &r), BLKIF_RSP_ERROR);            /* read-only disk */
	in = rq(BLKIF_OP_READ, 0, 1, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, true, &r), BLKIF_RSP_OKAY);
	in = rq(BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_OKAY);
	CHECK_EQ(r.nseg, 0);
	CHECK_EQ(xblk_check(&in, 100, true, &r), BLKIF_RSP_ERROR);
	in = rq(BLKIF_OP_DISCARD, 0, 0, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(r.id, in.id);
	in = rq(BLKIF_OP_INDIRECT, 0, 0, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_EOPNOTSUPP);
	in = rq(200, 0, 1, 0, 0);
	CHECK_EQ(xblk_check(&in, 100, false, &r), BLKIF_RSP_EOPNOTSUPP);

	/* The ring: a front and a back on one page. */
	blkif_sring_t *s = (blkif_sring_t *)page;
	SHARED_RING_INIT(s);
	blkif_front_ring_t f;
	blkif_back_ring_t b;
	FRONT_RING_INIT(&f, s, 4096);
	BACK_RING_INIT(&b, s, 4096);
	CHECK_EQ(RING_SIZE(&b), 32);
	blkif_request_t got[64];
	CHECK_EQ(xblk_take(&b, got, 64), 0);
	CHECK(!xblk_more(&b));
	CHECK_EQ(s->req_event, 1);
	for (unsigned i = 0; i < 5; i++)
		*RING_GET_REQUEST(&f, f.req_prod_pvt++) = rq(BLKIF_OP_READ, i, 1, 0, 7);
	int notify;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
	CHECK(notify);
	CHECK(xblk_more(&b));
	CHECK_EQ(xblk_take(&b, got, 3), 3);                       /* at most max */
	CHECK_EQ(got[2].sector_number, 2);
	CHECK_EQ(xblk_take(&b, got + 3, 64), 2);
	CHECK_EQ(got[4].sector_number, 4);
	for (unsigned i = 0; i < 5; i++)
		xblk_respond(&b, got[i].id, got[i].operation, BLKIF_RSP_OKAY);
	CHECK(xblk_push(&b));                                     /* rsp_event was 1: notify */
	CHECK_EQ(s->rsp_prod, 5);
	CHECK_EQ(RING_GET_RESPONSE(&f, 4)->id, got[4].id);
	CHECK(!xblk_push(&b));                                    /* nothing new: no event */
	/* A hostile producer index: more than a ring ahead of the responses. */
	s->req_prod = b.rsp_prod_pvt + 33;
	CHECK_EQ(xblk_take(&b, got, 64), -EPROTO);
	s->req_prod = b.rsp_prod_pvt - 1;                         /* behind: also more than a ring ahead, modulo */
	CHECK_EQ(xblk_take(&b, got, 64), -EPROTO);
	/* A full ring taken whole, then nothing until responses free it. */
	s->req_prod = b.rsp_prod_pvt + 32;
	CHECK_EQ(xblk_take(&b, got, 64), 32);
	CHECK_EQ(xblk_take(&b, got, 64), 0);

	/* Requests outstanding across turns (xen_blkback.c): the back end
	 * sets req_event only once none is; until then the frontend's
	 * requests come without an event each. */
	SHARED_RING_INIT(s);
	FRONT_RING_INIT(&f, s, 4096);
	BACK_RING_INIT(&b, s, 4096);
	CHECK(!xblk_more(&b));                                    /* idle: req_event 1 */
	*RING_GET_REQUEST(&f, f.req_prod_pvt++) = rq(BLKIF_OP_READ, 0, 1, 0, 7);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
	CHECK(notify);                                            /* the first: a kick */
	CHECK_EQ(xblk_take(&b, got, 64), 1);                      /* outstanding: no final check */
	unsigned kicks = 0;
	for (unsigned i = 1; i < 32; i++) {
		*RING_GET_REQUEST(&f, f.req_prod_pvt++) = rq(BLKIF_OP_READ, i, 1, 0, 7);
		RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
		kicks += (unsigned)notify;
		if (i % 4 == 0)                                   /* taken as completions come */
			CHECK_EQ(xblk_take(&b, got + 1, 64), 4);
	}
	CHECK_EQ(kicks, 0);
	CHECK_EQ(xblk_take(&b, got, 64), 3);
	CHECK_EQ(b.req_cons, 32);
	for (unsigned i = 0; i < 32; i++)                         /* answered in one batch: one event */
		xblk_respond(&b, i, BLKIF_OP_READ, BLKIF_RSP_OKAY);
	CHECK(xblk_push(&b));
	CHECK(!xblk_more(&b));                                    /* none outstanding: req_event set again */
	*RING_GET_REQUEST(&f, f.req_prod_pvt++) = rq(BLKIF_OP_READ, 0, 1, 0, 7);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&f, notify);
	CHECK(notify);

	/* Interrupt moderation: 100 us quiet, 1 ms hold. */
	const struct xblk_moderation m = { .quiet_ns = 100000, .hold_ns = 1000000 };
	CHECK(!xblk_answer_now(&m, 0, 0, 5000000, 0, 0));              /* nothing done: nothing to answer */
	CHECK(!xblk_answer_now(&m, 3, 0, 1050000, 1000000, 1000000));  /* the frontend may still be queueing */
	CHECK(xblk_answer_now(&m, 3, 0, 1100000, 1000000, 1000000));   /* quiet for 100 us */
	CHECK(!xblk_answer_now(&m, 3, 2, 1500000, 1000000, 1000000));  /* more in flight: wait for them */
	CHECK(xblk_answer_now(&m, 3, 2, 2000000, 1000000, 1900000));   /* but 1 ms at most */
	CHECK(!xblk_answer_now(&m, 3, 0, 1950000, 1000000, 1900000));  /* requests still coming */
	const struct xblk_moderation none = { 0, 0 };
	CHECK(xblk_answer_now(&none, 1, 1, 1000000, 1000000, 1000000));   /* no moderation: at once */
	CHECK_EQ(xblk_answer_due(&m, 0, 1000000, 1000000), 1100000);
	CHECK_EQ(xblk_answer_due(&m, 0, 1000000, 1950000), 2000000);   /* the hold's bound first */
	CHECK_EQ(xblk_answer_due(&m, 2, 1000000, 1000000), 2000000);   /* in flight: only the bound */
	for (uint64_t t = 1040000; t < 3000000; t += 7919) {          /* due is when answer_now turns true */
		uint64_t due = xblk_answer_due(&m, 0, 1000000, 1040000);
		CHECK_EQ(xblk_answer_now(&m, 1, 0, t, 1000000, 1040000), t >= due);
	}
	return CHECK_DONE();
}
