/* Event channels: virtual IRQs and inter-domain notifications. */
#ifndef PVMON_EVTCHN_H
#define PVMON_EVTCHN_H
#include <stdint.h>
struct domain;
struct vcpu;

void evtchn_init(struct domain *d);
void evtchn_teardown(struct domain *d);     /* peers' ports go back to unbound */
void evtchn_send_virq(struct domain *d, uint32_t vcpu, uint32_t virq);
/* Mark port pending in d and notify its vCPU; returns 0 or -EINVAL. */
int evtchn_set_pending(struct domain *d, uint32_t port);
/* A back end in pvmon takes port of d, which d allocated unbound for
 * remote domain PV_DOMID_BACKEND: it becomes interdomain, and each send
 * on it calls fn(ctx) on the sender's thread (fn must not block). 0, or
 * -EINVAL when the port is not such a port. unbind puts it back to
 * unbound (if d has not closed it meanwhile). */
int evtchn_bind_backend(struct domain *d, uint32_t port, void (*fn)(void *ctx), void *ctx);
void evtchn_unbind_backend(struct domain *d, uint32_t port);
#endif
