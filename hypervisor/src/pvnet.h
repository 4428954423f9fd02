/* The network back end of pvos domains (pvnet.c): one interface per
 * domain whose config has `pvnet = "gen"` (pvmon's packet generator) or
 * `pvnet = "tap:NAME"` (a TAP device on the host); packets are received
 * into the guest by page flip or by copy (pv.h's net_op). */
#ifndef PVMON_PVNET_H
#define PVMON_PVNET_H
#include <stddef.h>
#include <stdint.h>

struct domain;
struct vcpu;

struct pvnet_stats {
	uint64_t packets, bytes;    /* packets delivered, their bytes */
	uint64_t flips, copied;     /* of them, pages flipped; bytes copied */
	uint64_t events, kicks;     /* notifications to the guest; from it */
	uint64_t batches, errors;   /* response batches pushed; error responses */
};

/* The interface for config value spec, being built (d not yet started):
 * the spec checked, the TAP device opened, the back-end thread started.
 * 0, or -errno with one line in err. */
int pvnet_add(struct domain *d, const char *spec, char *err, size_t errlen);
/* d's vCPUs have stopped: the thread ends and gives back what it holds of
 * d (the ring's grant). */
void pvnet_stop(struct domain *d);
/* Free what pvnet_add made (d being freed). */
void pvnet_free(struct domain *d);
/* d's counters (zeros without an interface). */
void pvnet_stats(const struct domain *d, struct pvnet_stats *s);
/* The hypercall, net_op(cmd, arg), is hc_net_op (hypercall.h). */
#endif
