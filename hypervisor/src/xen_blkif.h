/* The block device ring of a Linux PV domain (Xen's blkif protocol,
 * io/blkif.h), the part that is bookkeeping (no KVM, no files): requests
 * taken from the shared ring once each and checked, responses put back,
 * the frontend's producer index read once and refused when it claims
 * more requests than the ring holds. Unit tested and fuzzed. */
#ifndef PVMON_XEN_BLKIF_H
#define PVMON_XEN_BLKIF_H
#include <stdbool.h>
#include <stdint.h>
#include "xen_ring.h"
#include <xen/io/blkif.h>

#define XBLK_SECTOR 512

/* A checked read or write: segments of the granted pages, in order. */
struct xblk_req {
	uint64_t id;
	uint8_t op;                 /* BLKIF_OP_READ, _WRITE, _FLUSH_DISKCACHE, _WRITE_BARRIER */
	unsigned nseg;
	uint64_t offset;            /* bytes into the disk */
	uint64_t bytes;             /* all segments */
	struct xblk_seg {
		uint32_t gref;
		uint32_t off, len;  /* bytes within the granted page */
	} seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* Check request in (a private copy) against a disk of sectors 512-byte
 * sectors, read-only when ro: BLKIF_RSP_OKAY with r filled, or the
 * status to answer it with (BLKIF_RSP_ERROR: bad segments, outside the
 * disk, a write to a read-only disk; BLKIF_RSP_EOPNOTSUPP: discard,
 * indirect and unknown operations). r->id and r->op are always set. */
int xblk_check(const blkif_request_t *in, uint64_t sectors, bool ro, struct xblk_req *r);

/* Up to max requests the frontend has produced, copied out (each read
 * once): their number, or -EPROTO when its producer index is more than a
 * ring ahead of the responses (a hostile or broken frontend). */
int xblk_take(blkif_back_ring_t *ring, blkif_request_t *out, unsigned max);

/* One response in the next slot; xblk_push publishes them and says
 * whether the frontend asked to be notified. */
void xblk_respond(blkif_back_ring_t *ring, uint64_t id, uint8_t op, int16_t status);
bool xblk_push(blkif_back_ring_t *ring);
/* Nothing left: ask for an event at the next request (Xen's
 * RING_FINAL_CHECK_FOR_REQUESTS); true when requests came meanwhile. */
bool xblk_more(blkif_back_ring_t *ring);
#endif
