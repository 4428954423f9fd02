/* The block back end of Linux PV domains (xen_blkback.c): Xen's blkback
 * in pvmon, one back-end thread for every virtual block device. */
#ifndef PVMON_XEN_BLKBACK_H
#define PVMON_XEN_BLKBACK_H
#include <stddef.h>
#include <stdint.h>

struct domain;
struct xs_store;

struct xen_vbd_stats {
	uint64_t requests, segments, bytes, batches, notifies, flushes, errors, bad_grants;
};

/* A device for xl.cfg's disk spec ("file:PATH,xvdX,w" or ",r") of the
 * Linux PV domain d, being built: the spec checked, the host file
 * opened. 0, or -errno with one line in err. */
int xen_blkback_add(struct domain *d, const char *spec, char *err, size_t errlen);
/* d has its id and is in store (domain_start): its devices' xenstore
 * nodes (as xl makes them), the back ends waiting for their frontends. */
int xen_blkback_start(struct domain *d, struct xs_store *store);
/* Every device of d gone (its end, or a build that failed): after it the
 * back end touches none of d's memory. */
void xen_blkback_remove(struct domain *d);
/* How the back end does its I/O: "io_uring", or why it is synchronous. */
const char *xen_blkback_io(void);
/* The sums over d's devices; their number. */
int xen_blkback_stats(const struct domain *d, struct xen_vbd_stats *sum);
#endif
