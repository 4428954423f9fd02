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
#endif
