/* Xen's shared rings (io/ring.h) as pvmon's back ends use them
 * (xen_blkif.c, xen_netif.c): the barriers the macros want, and the
 * final check that every back ring makes before it waits. */
#ifndef PVMON_XEN_RING_H
#define PVMON_XEN_RING_H
#include <stdbool.h>
#include "xen_public.h"
#ifndef xen_mb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include <xen/io/ring.h>

/* Xen's RING_FINAL_CHECK_FOR_REQUESTS, for a back ring of any type:
 * true when requests wait; else req_event asks the frontend for an event
 * at its next request, and the producer index is read again (one may
 * have come meanwhile). */
static inline bool xring_more(RING_IDX *req_prod, RING_IDX *req_event, RING_IDX cons)
{
	if (__atomic_load_n(req_prod, __ATOMIC_ACQUIRE) != cons)
		return true;
	__atomic_store_n(req_event, cons + 1, __ATOMIC_SEQ_CST);
	xen_mb();
	return __atomic_load_n(req_prod, __ATOMIC_ACQUIRE) != cons;
}
#define XRING_MORE(r) xring_more(&(r)->sring->req_prod, &(r)->sring->req_event, (r)->req_cons)
#endif
