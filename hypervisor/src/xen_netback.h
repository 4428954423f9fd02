/* The network back end of Linux PV domains (xen_netback.c): Xen's
 * netback in pvmon, a TAP device on the host for every virtual NIC, one
 * back-end thread for all of them. */
#ifndef PVMON_XEN_NETBACK_H
#define PVMON_XEN_NETBACK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;
struct xs_store;

/* What a domain's VIFs did. tx: from the guest to the host (its TX
 * ring), rx: from the host to the guest. */
struct xen_vif_stats {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	uint64_t tx_errors;         /* packets answered NETIF_RSP_ERROR (bad slots, bad grants, GSO) */
	uint64_t tx_dropped;        /* checked packets the TAP did not take */
	uint64_t rx_dropped;        /* host packets too big for a receive buffer, or with a bad grant */
	uint64_t tx_kicks;          /* events from the guest */
	uint64_t tx_batches, rx_batches;
	uint64_t tx_notifies, rx_notifies;   /* events to the guest, for each ring's responses */
	uint64_t bad_grants;
	uint64_t vfr_drops;         /* packets a VFR rule dropped, both ways */
	uint64_t deferred;          /* times a VIF's turn was skipped: over its rate */
};

/* A VIF for xl.cfg's vif entry spec of the Linux PV domain d, being
 * built: the entry checked, a TAP device opened. 0, or -errno with one
 * line in err. */
int xen_netback_add(struct domain *d, const char *spec, char *err, size_t errlen);
/* A config's n vif entries checked as xen_netback_add parses them, before
 * the kernel is unpacked. */
int xen_netback_check(const char *const *specs, unsigned n, char *err, size_t errlen);
/* d has its id: each VIF's TAP device named pvif<id>.<n> and up. 0, or
 * -errno with one line in err. */
int xen_netback_attach(struct domain *d, char *err, size_t errlen);
/* d is in store (domain_start): its VIFs' xenstore nodes (as xl makes
 * them), the back ends waiting for their frontends. */
int xen_netback_start(struct domain *d, struct xs_store *store);
/* Every VIF of d gone (its end, or a build that failed): after it the
 * back end touches none of d's memory. */
void xen_netback_remove(struct domain *d);
/* Hot-plug (pvctl network-attach): a VIF for spec added to the running
 * domain d, its TAP device up, its nodes published for the domain's
 * xenbus to find: its handle, or -errno with one line in err. */
int xen_netback_hotplug(struct domain *d, const char *spec, char *err, size_t errlen);
/* pvctl network-detach: d's vif handle closed Xen's way, waiting at most
 * wait_ms for the frontend to close, then removed with its TAP device;
 * -EBUSY (left Closing) if it did not close and not force. */
int xen_netback_unplug(struct domain *d, unsigned handle, bool force, unsigned wait_ms, char *err, size_t errlen);
/* The sums over d's VIFs; their number. */
int xen_netback_stats(const struct domain *d, struct xen_vif_stats *sum);
#endif
