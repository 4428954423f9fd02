/* pvos's network frontend (net.c): one receive ring to pvmon's back end
 * (pv.h's net_op), its buffers and their grants, in flip or copy mode. */
#ifndef PVOS_NET_H
#define PVOS_NET_H
#include <stdint.h>
#include "pvlab/pv.h"

#define NET_REF_RING 1      /* grant refs: the ring, then one per buffer id */
#define NET_REF_BUF  2
#define NET_REF_FREE (NET_REF_BUF + PV_NET_RING_SIZE)   /* refs from here: the caller's */

struct netfront {
	volatile struct pv_net_rx_sring *ring;
	volatile struct pv_grant_entry *gnt;    /* our grant table, 512 entries */
	uint32_t port;
	uint32_t mode;                          /* PV_NET_RX_* */
	uint32_t req_prod_pvt, rsp_cons;
	uint8_t *buf[PV_NET_RING_SIZE];         /* buffer id -> its frame (identity-mapped va) */
	uint8_t mapped[PV_NET_RING_SIZE];       /* the kernel maps it now */
	uint8_t posted[PV_NET_RING_SIZE];
};

/* The grant table, the ring frame and its grant, the buffers, an unbound
 * port for domain 0: 0 or -errno (no interface: -PV_ENOSYS). */
int net_init(struct netfront *nf);
/* Connect in mode (gen_len: the generator's frame length, or 0): every
 * buffer is made ready for it first (unmapped for a flip). 0 or -errno. */
int net_connect(struct netfront *nf, uint32_t mode, uint32_t gen_len);
int net_disconnect(struct netfront *nf);
/* Set grant entry ref (frame, domid, then flags last). */
void net_grant(struct netfront *nf, uint32_t ref, uint64_t frame, uint16_t domid, uint16_t flags);
/* Post request {id, gref} without any check (the caller's: hostile tests). */
void net_post_raw(struct netfront *nf, uint16_t id, uint32_t gref);
/* Post buffer id (its grant made for the mode) and mark it posted. */
void net_post(struct netfront *nf, uint16_t id);
/* Publish posted requests; notify the back end when it asked. */
void net_push(struct netfront *nf);
/* Wait until a response is there or ms pass: 0, or -1 on timeout. */
int net_wait(struct netfront *nf, uint64_t ms);
/* The next response, if any: 1 and *r, or 0. Flip mode: the buffers it
 * names are not mapped yet: net_map_batch maps every one taken. */
int net_next(struct netfront *nf, struct pv_net_rx_response *r);
/* Flip mode: map (1) or unmap (0, with a TLB flush) the buffers in ids[n]
 * in one mmu_update batch. */
int net_map_batch(struct netfront *nf, const uint16_t *ids, unsigned n, int map);
#endif
