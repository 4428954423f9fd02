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

/* Interrupt moderation: whether a ring's completed requests are answered
 * now. done: completed and unanswered; busy: still with the host file;
 * first_done: when the oldest of done completed; last_take: when the
 * back end last took a request from the ring (ns, one clock with now).
 * Answered when one has waited hold_ns, or when nothing is busy and no
 * request came for quiet_ns (the frontend has stopped queueing); else
 * held, to go with those still coming in one batch and one event. */
struct xblk_moderation {
	uint64_t quiet_ns, hold_ns;
};
bool xblk_answer_now(const struct xblk_moderation *m, unsigned done, unsigned busy, uint64_t now,
                     uint64_t first_done, uint64_t last_take);
/* When to look again at a ring that holds answers: the moment
 * xblk_answer_now would say yes if nothing completed and no request came. */
uint64_t xblk_answer_due(const struct xblk_moderation *m, unsigned busy, uint64_t first_done, uint64_t last_take);
#endif
