/* pvmon's tracepoints. The LTTng-UST provider (tracing/) is loaded at run
 * time; without it, or with no session listening, each call costs a load
 * and a branch. Reasons and names are short static strings. */
#ifndef PVMON_TRACE_H
#define PVMON_TRACE_H
#include <stdbool.h>
#include <stdint.h>

void trace_init(void);              /* load provider if present; quiet if not */
bool trace_provider_loaded(void);
bool trace_hcall_enabled(void);     /* true when hcall entry/exit events are on */

void trace_hcall_entry(uint32_t dom, uint32_t vcpu, uint32_t nr, const uint64_t args[5]);
void trace_hcall_exit(uint32_t dom, uint32_t vcpu, uint32_t nr, int64_t result, uint64_t latency_ns);
/* A rejected guest pointer or index: what (e.g. "pointer", "port"), value, errno. */
void trace_hcall_reject(uint32_t dom, uint32_t vcpu, uint32_t nr, const char *what, uint64_t value, int err);
/* Xen mode (a Linux PV domain): hypercalls by Xen's numbers, the emulated
 * page-table writes and the bounces to the guest kernel (tracing/pvmon_tp.h
 * says what each field means). */
bool trace_xen_hcall_enabled(void);
void trace_xen_hcall_entry(uint32_t dom, uint32_t vcpu, uint32_t nr, const uint64_t args[5]);
void trace_xen_hcall_exit(uint32_t dom, uint32_t vcpu, uint32_t nr, int64_t result, uint64_t latency_ns);
void trace_xen_ptwr(uint32_t dom, uint32_t vcpu, uint64_t va, uint64_t maddr, uint64_t old, uint64_t new,
                    uint64_t rip, int err);
void trace_xen_bounce(uint32_t dom, uint32_t vcpu, uint32_t vector, uint64_t rip, uint64_t handler,
                      const char *what);
/* The block back end: a request answered, a batch taken (tracing/pvmon_tp.h). */
void trace_blk_request(uint32_t dom, uint32_t dev, uint32_t op, uint64_t sector, uint32_t nsect, int status,
                       uint64_t latency_ns);
void trace_blk_batch(uint32_t dom, uint32_t dev, uint32_t batch, bool notified);
/* The network back end: a packet each way, a ring's batch (ring 0 TX, 1 RX). */
void trace_net_tx(uint32_t dom, uint32_t vif, uint32_t len);
void trace_net_rx(uint32_t dom, uint32_t vif, uint32_t len);
void trace_net_batch(uint32_t dom, uint32_t vif, uint32_t ring, uint32_t batch, bool notified);
/* The packet scheduler: a VIF's turn to transmit, or a packet deferred by its rate. */
void trace_net_sched(uint32_t dom, uint32_t vif, bool deferred);
/* A VFR rule matched a packet (dir 0 from the guest, 1 to it; action 0 accept, 1 drop). */
void trace_vfr(uint32_t dom, uint32_t vif, uint32_t dir, uint32_t rule, uint32_t action);
void trace_xen_emulate(uint32_t dom, uint32_t vcpu, uint64_t rip, const char *what, uint64_t value);
/* What a Linux PV domain's entry stub served without an exit (its trace ring). */
bool trace_xen_stub_enabled(void);
void trace_xen_stub(uint32_t dom, uint32_t vcpu, const char *what, int hypercall, int bounce, uint64_t arg0,
                    uint64_t arg1, uint64_t time_ns, uint64_t tsc);
void trace_sched_switch(uint32_t cpu, int32_t prev_dom, int32_t prev_vcpu, int32_t next_dom,
                        int32_t next_vcpu, const char *reason, uint64_t slice_ns);
void trace_sched_wake(uint32_t dom, uint32_t vcpu, const char *why);
void trace_evtchn_send(uint32_t dom, uint32_t port, uint32_t remote_dom, uint32_t remote_port);
void trace_vm_exit(uint32_t dom, uint32_t vcpu, uint32_t kvm_reason, uint64_t rip);
void trace_domain_create(uint32_t dom, const char *name, uint64_t mem_mib, uint32_t vcpus);
void trace_domain_destroy(uint32_t dom, int32_t exit_code, bool crashed);
/* kind: pvos's "baseptr", "user_baseptr", "local", "all", "invlpg",
 * "invlpg_all"; Xen mode adds "multi" and "invlpg_multi". addr: the va of
 * an invlpg, the new base of a baseptr, else 0. */
void trace_tlb_flush(uint32_t dom, uint32_t vcpu, const char *kind, uint64_t addr);
void trace_mmu_update(uint32_t dom, uint32_t vcpu, uint32_t size, uint32_t applied,
                      uint32_t rejected, uint64_t latency_ns);
void trace_page_flip(uint32_t dom, uint32_t remote_dom, uint64_t gfn, uint64_t remote_gfn);
/* The pvos network back end: a packet received (mode "flip" or "copy"), a
 * batch of responses pushed, a grant copy's bytes. */
void trace_pvnet_rx(uint32_t dom, uint32_t len, const char *mode);
void trace_pvnet_batch(uint32_t dom, uint32_t batch, bool notified);
void trace_grant_copy(uint32_t dom, uint32_t remote_dom, uint32_t bytes);
#endif
