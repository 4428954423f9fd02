/* The blkif ring's bookkeeping (xen_blkif.h). The ring is the guest's
 * page: every index and request is read once into pvmon's memory and
 * checked there; nothing read from it is trusted twice. */
#include <errno.h>
#include <string.h>
#include "xen_blkif.h"

int xblk_check(const blkif_request_t *in, uint64_t sectors, bool ro, struct xblk_req *r)
{
	memset(r, 0, sizeof(*r));
	r->id = in->id;
	r->op = in->operation;
	switch (in->operation) {
	case BLKIF_OP_FLUSH_DISKCACHE:
	case BLKIF_OP_WRITE_BARRIER:
		if (ro)
			return BLKIF_RSP_ERROR;
		if (!in->nr_segments)
			return BLKIF_RSP_OKAY;          /* a bare flush */
		break;                              /* a barrier write: a write, then a flush */
	case BLKIF_OP_READ:
		break;
	case BLKIF_OP_WRITE:
		if (ro)
			return BLKIF_RSP_ERROR;
		break;
	default:
		return BLKIF_RSP_EOPNOTSUPP;        /* discard, indirect: not offered */
	}
	if (!in->nr_segments || in->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return BLKIF_RSP_ERROR;
	uint64_t total = 0;
	for (unsigned i = 0; i < in->nr_segments; i++) {
		const struct blkif_request_segment *s = &in->seg[i];
		/* first_sect..last_sect within the page (Xen's blkback: last >= first, last < 8) */
		if (s->last_sect >= 4096 / XBLK_SECTOR || s->first_sect > s->last_sect)
			return BLKIF_RSP_ERROR;
		r->seg[i].gref = s->gref;
		r->seg[i].off = s->first_sect * XBLK_SECTOR;
		r->seg[i].len = (uint32_t)(s->last_sect - s->first_sect + 1) * XBLK_SECTOR;
		total += r->seg[i].len / XBLK_SECTOR;
	}
	if (in->sector_number >= sectors || total > sectors - in->sector_number)
		return BLKIF_RSP_ERROR;                 /* outside the disk */
	r->nseg = in->nr_segments;
	r->offset = in->sector_number * XBLK_SECTOR;
	r->bytes = total * XBLK_SECTOR;
	return BLKIF_RSP_OKAY;
}

int xblk_take(blkif_back_ring_t *ring, blkif_request_t *out, unsigned max)
{
	RING_IDX prod = __atomic_load_n(&ring->sring->req_prod, __ATOMIC_ACQUIRE);
	if (RING_REQUEST_PROD_OVERFLOW(ring, prod))
		return -EPROTO;
	unsigned n = 0;
	while (n < max && ring->req_cons != prod && !RING_REQUEST_CONS_OVERFLOW(ring, ring->req_cons)) {
		memcpy(&out[n++], RING_GET_REQUEST(ring, ring->req_cons), sizeof(*out));
		ring->req_cons++;
	}
	return (int)n;
}

void xblk_respond(blkif_back_ring_t *ring, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(ring, ring->rsp_prod_pvt);
	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
	ring->rsp_prod_pvt++;
}

bool xblk_push(blkif_back_ring_t *ring)
{
	int notify;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(ring, notify);
	return notify;
}

bool xblk_more(blkif_back_ring_t *ring)
{
	return XRING_MORE(ring);
}

uint64_t xblk_answer_due(const struct xblk_moderation *m, unsigned busy, uint64_t first_done, uint64_t last_take)
{
	uint64_t quiet = last_take + m->quiet_ns, hold = first_done + m->hold_ns;
	return busy || hold < quiet ? hold : quiet;
}

bool xblk_answer_now(const struct xblk_moderation *m, unsigned done, unsigned busy, uint64_t now,
                     uint64_t first_done, uint64_t last_take)
{
	if (!done)
		return false;
	if (now - first_done >= m->hold_ns)
		return true;
	return !busy && now - last_take >= m->quiet_ns;
}
