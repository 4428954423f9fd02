/* The block back end of Linux PV domains (xen_blkback.c): Xen's blkback
 * in pvmon, one back-end thread for every virtual block device. */
#ifndef PVMON_XEN_BLKBACK_H
#define PVMON_XEN_BLKBACK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;
struct xs_store;

/* batches: answers pushed together (notifies of them with an event to
 * the guest); kicks: events from the guest. */
struct xen_vbd_stats {
	uint64_t requests, segments, bytes, batches, notifies, flushes, errors, bad_grants, kicks;
};

/* A device for xl.cfg's disk spec ("file:PATH,xvdX,w" or ",r") of the
 * Linux PV domain d, being built: the spec checked, the host file
 * opened. 0, or -errno with one line in err. */
int xen_blkback_add(struct domain *d, const char *spec, char *err, size_t errlen);
/* A config's n disk specs checked as xen_blkback_add takes them (each
 * spec, its host file opened in its mode, no device twice) and let go,
 * before the kernel is unpacked: a bad one fails at once. */
int xen_blkback_check(const char *const *specs, unsigned n, char *err, size_t errlen);
/* d has its id and is in store (domain_start): its devices' xenstore
 * nodes (as xl makes them), the back ends waiting for their frontends. */
int xen_blkback_start(struct domain *d, struct xs_store *store);
/* Every device of d gone (its end, or a build that failed): after it the
 * back end touches none of d's memory. */
void xen_blkback_remove(struct domain *d);
/* Hot-plug (pvctl block-attach): a device for spec added to the running
 * domain d, its nodes published for the domain's xenbus to find. 0, or
 * -errno with one line in err. */
int xen_blkback_attach(struct domain *d, const char *spec, char *err, size_t errlen);
/* pvctl block-detach: d's disk vdev (xvdX) closed Xen's way, waiting at
 * most wait_ms for the frontend to close, then removed; -EBUSY (left
 * Closing) if it did not close and not force. */
int xen_blkback_detach(struct domain *d, const char *vdev, bool force, unsigned wait_ms, char *err, size_t errlen);
/* How the back end does its I/O: "io_uring", or why it is synchronous. */
const char *xen_blkback_io(void);
/* The sums over d's devices; their number. */
int xen_blkback_stats(const struct domain *d, struct xen_vbd_stats *sum);
#endif
