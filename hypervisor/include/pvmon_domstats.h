/* pvmon's per-domain statistics, written once. Two records, each with an
 * order its readers keep:
 *  - PVMON_DOMSTATS: what pvmon reports of a domain when it ends: pvmon
 *    run --stats-json writes it (one JSON object a line, these keys after
 *    name, id, state and exit_code), pvbench parses it (bench/result.c),
 *    prints it back from a nested host and stores it, a column each, in
 *    its database's domain_stats table (bench/db.c). A new statistic goes
 *    at the end, with a database migration that adds its column.
 *  - PVMON_LIST_COUNTERS: the counters of a domain in the control
 *    socket's `list` object (docs/control-protocol.md), after domid, name,
 *    state, vcpus, mem_mib, weight and exit_code, in this order; new keys
 *    only ever go at the end.
 *  - PVMON_CONSOLE_COUNTERS: what `pvmon --console-counters run` stamps on
 *    each console line, "[name] {key=N key=N ...} text": a domain's
 *    cumulative counters when pvmon took the line's last bytes from the
 *    guest; a Linux PV domain has those not marked pvnet, a pvos domain
 *    those marked neither xen nor pvnet, and those marked pvnet when it
 *    has a network interface (pvnet.c). pvbench lmbench and netflip read
 *    them by these keys.
 * X(NAME, key): NAME for the C names made from it, key as written. */
#ifndef PVMON_DOMSTATS_H
#define PVMON_DOMSTATS_H

#define PVMON_DOMSTATS(X)                                                              \
	X(RUN_NS, run_ns)                         /* ns its vCPUs ran */               \
	X(WAIT_NS, wait_ns)                       /* ns runnable, waiting for a pCPU */ \
	X(BLOCKED_NS, blocked_ns)                 /* ns blocked or paused */           \
	X(HYPERCALLS, hypercalls)                                                      \
	X(UPCALLS, upcalls)                       /* callback frames delivered */      \
	X(EXITS, exits)                           /* exits from KVM_RUN to pvmon */    \
	X(EVENTS_SENT, events_sent)               /* event-channel notifications */    \
	X(BOOT_NS, boot_ns)                       /* create to first hypercall */      \
	X(KVM_EXITS, kvm_exits)                   /* KVM's own statistics, summed */   \
	X(KVM_INSN_EMULATION, kvm_insn_emulation)                                      \
	X(KVM_IO_EXITS, kvm_io_exits)                                                  \
	X(KVM_HALT_EXITS, kvm_halt_exits)                                              \
	X(KVM_MMIO_EXITS, kvm_mmio_exits)

/* The index of each statistic of PVMON_DOMSTATS in an array of them. */
enum pvmon_domstat {
#define PVMON_DOMSTAT_INDEX(NAME, key) DOMSTAT_##NAME,
	PVMON_DOMSTATS(PVMON_DOMSTAT_INDEX)
#undef PVMON_DOMSTAT_INDEX
	DOMSTAT_NR
};

/* The key of statistic i of PVMON_DOMSTATS, NULL past the end. */
static inline const char *pvmon_domstat_key(int i)
{
	static const char *const keys[DOMSTAT_NR] = {
#define PVMON_DOMSTAT_KEY(NAME, key) #key,
		PVMON_DOMSTATS(PVMON_DOMSTAT_KEY)
#undef PVMON_DOMSTAT_KEY
	};
	return i >= 0 && i < DOMSTAT_NR ? keys[i] : 0;
}

#define PVMON_LIST_COUNTERS(X)                                                         \
	X(RUN_NS, run_ns)                                                              \
	X(WAIT_NS, wait_ns)                                                            \
	X(BLOCKED_NS, blocked_ns)                                                      \
	X(HYPERCALLS, hypercalls)                                                      \
	X(EVENTS, events)                         /* events_sent above */              \
	X(VM_EXITS, vm_exits)                     /* exits above */                    \
	X(UPCALLS, upcalls)                                                            \
	X(KVM_EXITS, kvm_exits)                                                        \
	X(KVM_INSN_EMULATION, kvm_insn_emulation)                                      \
	X(KVM_IO_EXITS, kvm_io_exits)                                                  \
	X(KVM_HALT_EXITS, kvm_halt_exits)                                              \
	X(KVM_MMIO_EXITS, kvm_mmio_exits)                                              \
	X(TLB_FLUSHES, tlb_flushes)                                                    \
	X(PAGE_FLIPS, page_flips)                                                      \
	X(TIME_NS, time_ns)                       /* pvmon's clock when read */        \
	X(MMU_UPDATES, mmu_updates)               /* page-table entries changed */     \
	X(MEM_KIB, mem_kib)                       /* memory held now */                \
	X(MEM_TARGET_KIB, mem_target_kib)         /* what pvctl mem-set asked for */ \
	X(PT_WRITES, pt_writes)                   /* page-table writes trapped and emulated */ \
	X(STUB_EXITS, stub_exits)                 /* Xen mode: the entry stub's exits */ \
	X(EMULATED, emulated)                     /* of them, instructions emulated */ \
	X(BOUNCES, bounces)                       /* deliveries to the guest kernel's handlers */ \
	X(STUB_SERVED, stub_served)               /* Xen mode: entries the stub served itself, no exit (xen_counts) */ \
	X(CREATED_NS, created_ns)                 /* pvmon's clock (as time_ns) at its creation */ \
	X(BLK_REQUESTS, blk_requests)             /* Linux PV: block requests its back end served */ \
	X(BLK_BYTES, blk_bytes)                   /* and their bytes read and written */ \
	X(NET_TX_PACKETS, net_tx_packets)         /* Linux PV: packets its VIFs sent to the host */ \
	X(NET_TX_BYTES, net_tx_bytes)                                                  \
	X(NET_RX_PACKETS, net_rx_packets)         /* and received from it */           \
	X(NET_RX_BYTES, net_rx_bytes)                                                  \
	X(NET_TX_KICKS, net_tx_kicks)             /* events from the guest to its back end */ \
	X(NET_RX_EVENTS, net_rx_events)           /* events to the guest for received packets */ \
	X(NET_DEFERRED, net_deferred)             /* packets held back by a vif's rate= */ \
	X(BLK_BATCHES, blk_batches)               /* Linux PV: block answers pushed together */ \
	X(BLK_EVENTS, blk_events)                 /* of them, with an event to the guest */ \
	X(BLK_KICKS, blk_kicks)                   /* events from the guest to its block back end */

#define PVMON_CONSOLE_COUNTERS(X)                                                      \
	X(EXITS, exits)                 /* exits from KVM_RUN to pvmon */              \
	X(HYPERCALLS, hypercalls)                                                      \
	X(PT_WRITES, pt_writes)         /* direct page-table writes trapped and done */ \
	X(MMU_UPDATES, mmu_updates)     /* entries changed by hypercalls */            \
	X(BOUNCES, bounces)             /* xen: exceptions, system calls pvmon bounced */ \
	X(EMULATED, emulated)           /* xen: instructions emulated, pt_writes too */ \
	X(STUB, stub)                   /* xen: system calls, page faults, irets the stub served itself */ \
	X(PAGE_FLIPS, page_flips)       /* pvnet: frames exchanged (grant transfers too) */ \
	X(NET_RX, net_rx)               /* pvnet: packets delivered to the guest */    \
	X(NET_COPIED, net_copied)       /* pvnet: of their bytes, copied */            \
	X(NET_EVENTS, net_events)       /* pvnet: notifications to the guest */        \
	X(NET_KICKS, net_kicks)         /* pvnet: notifications from the guest */

enum pvmon_console_counter {
#define PVMON_CONSOLE_COUNTER_INDEX(NAME, key) CONSCNT_##NAME,
	PVMON_CONSOLE_COUNTERS(PVMON_CONSOLE_COUNTER_INDEX)
#undef PVMON_CONSOLE_COUNTER_INDEX
	CONSCNT_NR
};

/* The key of counter i of PVMON_CONSOLE_COUNTERS, NULL past the end. */
static inline const char *pvmon_console_counter_key(int i)
{
	static const char *const keys[CONSCNT_NR] = {
#define PVMON_CONSOLE_COUNTER_KEY(NAME, key) #key,
		PVMON_CONSOLE_COUNTERS(PVMON_CONSOLE_COUNTER_KEY)
#undef PVMON_CONSOLE_COUNTER_KEY
	};
	return i >= 0 && i < CONSCNT_NR ? keys[i] : 0;
}
#endif
