/* Domains: creation from a config and kernel image, lifetime, lookup. */
#ifndef PVMON_DOMAIN_H
#define PVMON_DOMAIN_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "guestmem.h"
#include "pvmon.h"

/* Build a domain (memory, kernel, tables, vCPUs), not yet running.
 * out: console destination (NULL: history only). */
struct domain *domain_create(const struct dom_config *cfg, FILE *out, char *err, size_t errlen);
int domain_start(struct domain *d);
struct domain *domain_get(uint32_t id);       /* takes a reference, NULL if none */
void domain_put(struct domain *d);
static inline const struct guestmem *domain_gm(const struct domain *d)
{
	return &d->gm;
}
/* Stop the domain: crashed (reason printed) or shut down with a code. */
void domain_crash(struct domain *d, struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The guest context a crash report names (registers, page table, mode). */
struct guest_context {
	uint64_t rip, rsp, rflags, cr3;
	bool user;
};
/* domain_crash naming the context c instead of the vCPU's current one. */
void domain_crash_at(struct domain *d, struct vcpu *v, const struct guest_context *c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void domain_shutdown(struct domain *d, int exit_code);
/* Queue console input and raise VIRQ_CONSOLE; returns bytes taken. */
long domain_console_input(struct domain *d, const char *buf, size_t len);
int domain_pause(struct domain *d);
int domain_unpause(struct domain *d);
void domain_vcpu_stopped(struct domain *d);   /* called by each vCPU thread at exit */
int domain_count(void);                       /* live domains */
/* Take an ended (lingering) domain out of the table; -EBUSY if it runs. */
int domain_reap(struct domain *d);
/* Totals over a domain's vCPUs. */
struct domain_stats {
	uint64_t run_ns, wait_ns, blocked_ns, hypercalls, upcalls, exits;
	uint64_t mmu_updates, mmu_rejected, pt_writes, tlb_flushes, tlb_zaps, mem_pages, page_flips;
	uint64_t stub_exits, emulated, bounces, stub_served;   /* Xen mode's entry stub (xen_counts) */
	uint64_t blk_requests, blk_bytes;         /* Xen mode's block devices (xen_blkback_stats) */
	uint64_t net_tx_packets, net_tx_bytes, net_rx_packets, net_rx_bytes;   /* its VIFs (xen_netback_stats) */
	uint64_t net_tx_kicks, net_rx_events, net_deferred;
	uint64_t blk_batches, blk_events, blk_kicks;
	uint64_t kvm[KS_NR];       /* KVM's statistics, summed over vCPUs */
};
void domain_stats(struct domain *d, struct domain_stats *s);
/* pvmon --console-counters: a console stamp (console_stamp_fn; ctx is the
 * domain) of the counters of pvmon_domstats.h's PVMON_CONSOLE_COUNTERS,
 * "key=N ..."; lock-free, so any thread may write its console. */
void domain_console_counters(void *ctx, char *buf, size_t len);
const char *domain_state_name(const struct domain *d);
#endif
