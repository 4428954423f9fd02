/* Linux as a Xen x86-64 PV guest: the second guest ABI beside pvlab's.
 * A domain whose kernel carries Xen's ELF notes gets this state (d->xen);
 * everything common (threads, scheduler, console, KVM plumbing) is
 * pvmon's. xen_domain.c builds the domain (Xen's start-of-day layout,
 * RAM page tables, the hypervisor's slots, the entry stub), xen_trap.c
 * serves the stub's exits (hypercalls, emulated instructions, bounces
 * to the guest's handlers, events), xen_hypercall.c the hypercalls by
 * Xen's numbers. Structures and numbers: libxen-dev's public headers. */
#ifndef PVMON_XEN_DOMAIN_H
#define PVMON_XEN_DOMAIN_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xen_entry.h"
#include "xen_mm.h"
#include "xenlayout.h"
#include "xen_gnttab.h"
#include "xen_blkback.h"
#include "xen_netback.h"

struct domain;
struct vcpu;
struct dom_config;
struct xenelf;
struct vcpu_info;
struct shared_info;

#define XEN_NR_EVTCHN 1024          /* ports this domain may bind (of Xen's 4096 in 2-level) */
#define XEN_NR_VIRQS 24             /* NR_VIRQS */
#define XEN_STORE_PORT 2            /* start_info's store event channel, when pvmon serves a store */
/* A back end in pvmon (Domain 0): called on the vCPU's thread that sent
 * on the port, without the domain's lock. */
typedef void xen_backend_fn(struct vcpu *v, void *ctx);
#define XEN_SHARED_BYTES(l) ((1 + (l)->gnt_frames) * 4096ULL)   /* shared info + grant frames */

struct xen_trap {
	uint64_t address;
	uint8_t flags;              /* trap_info flags: DPL (0-1), 4: mask events */
};

/* Per vCPU. Fields are the vCPU thread's, but for those marked. */
struct xen_vcpu {
	bool user;                  /* guest user mode (the user L4 loaded) */
	uint64_t kernel_l4, user_l4;   /* machine frames holding a base type reference; 0: none (user) */
	uint64_t kernel_sp;         /* stack_switch */
	/* The GS bases of the two modes are the CPU's: the mode's in GS_BASE,
	 * the other's in KERNEL_GS_BASE, so that a mode switch is a swapgs
	 * (the stub's fast path, xen_set_mode). */
	uint64_t cr0_ts, cr4;       /* what the guest sees of CR0.TS and CR4 */
	unsigned iopl;              /* PHYSDEVOP_set_iopl: the kernel's cli/sti are emulated no-ops from 1 */
	uint64_t *frame;            /* pvmon's view of the stub frame of the current exit */
	uint64_t *cell;             /* pvmon's view of the vCPU's cells */
	const uint64_t *ring;       /* and of its trace ring (XS_TRACE_*), drained up to ring_tail */
	uint64_t ring_tail;
	struct vcpu_info *vi;       /* where its vcpu_info is: shared_info's, or registered */
	uint64_t timer_ns;          /* VCPUOP_set_singleshot_timer / set_timer_op deadline, system ns (atomic: the watcher reads it) */
	pthread_t watcher;          /* xen_timer.c: looks at the stub's deadlines while the vCPU runs */
	bool watching, watch_stop, watch_parked;   /* the last two atomic */
	pthread_mutex_t watch_lock;  /* a parked watcher waits on watch_cond */
	pthread_cond_t watch_cond;
	uint64_t timer_kicks;       /* atomic: the watcher kicked the vCPU out for a deadline the stub set */
	uint64_t timer_fires;       /* atomic: or raised its VIRQ_TIMER itself (KVM's APIC: no exit) */
	uint64_t timer_parks;       /* atomic: the watcher parked (its vCPU out of the guest) */
	uint64_t virq_port[XEN_NR_VIRQS];
	/* Xen keeps these per vCPU (set_trap_table, callback_op, VCPUOP_initialise). */
	struct xen_trap traps[256];
	uint64_t cb_event, cb_failsafe, cb_syscall, cb_syscall32, cb_sysenter, cb_nmi;
	bool cb_syscall_mask;       /* CALLBACKF_mask_events on the syscall callback */
	/* Xen's is_initialised and _VPF_down, under the domain's lock (down
	 * also read by the vCPU's thread); VCPUOP_initialise leaves the
	 * registers for the thread in start (read once the thread runs). */
	bool initialised, down, started;
	bool cpuid_set;             /* KVM has its CPUID table (once, before its first run) */
	bool parked;                /* its thread sleeps because it is down */
	uint64_t vi_mfn;            /* the frame of a registered vcpu_info; 0: shared_info's */
	struct { uint64_t gpr[16], rip, rflags, fs_base, gs_base, gs_user; } start;
	uint64_t vi_stub;           /* where the stub sees its vcpu_info (XS_VINFO_VA) */
	/* TLB flushes (xen_tlb.c), atomics: in_run while in KVM_RUN; flushed
	 * the mm's tlb_clock when it last went back to its guest through the
	 * stub's CR3 reload; flush_want a reload another vCPU asked for. */
	bool in_run, flush_want;
	uint64_t flushed;
	uint64_t hcalls, traps_taken, emulated, bounces, upcalls;
	bool shadow_flush;          /* this hypercall asked for a TLB flush (shadow paging: xen_shadow_flush) */
	/* VCPUOP_register_runstate_memory_area: the guest's kernel address
	 * (0: none), and the scheduler's state_since it last saw (atomics). */
	uint64_t runstate_va, runstate_since;
	uint64_t mmu_seen;          /* the stub's mmu_updates already added to the domain's count */
	uint64_t ptwr_seen;         /* and its direct page-table writes */
	uint64_t upcall_seen;       /* and its upcalls (xen_version's) */
	uint64_t evup_seen;         /* and the event vector's */
	uint64_t flush_seen;        /* and its local TLB flushes */
	uint32_t last_hcall[8];     /* the last hypercalls, newest at last_n - 1 (crash reports) */
	unsigned last_n;
};

struct xen_domain {
	pthread_mutex_t lock;       /* guards mm, gnt, the vCPUs' up/down state, the event channels and the console ring's consumer */
	struct xen_mm mm;
	struct xenlayout layout;
	uint64_t nr_pages;
	struct shared_info *shared; /* machine frame layout.shared_info_mfn */
	struct xgnt gnt;            /* the grant table (layout.gnt_frames frames from layout.gnt_mfn); nr: under lock */
	uint8_t *priv;              /* pvmon's slot: M2P and its tables, the stub's tables, code, blocks */
	uint64_t priv_gpa, priv_size;
	uint64_t stub_blocks;       /* offset of vCPU 0's block in priv */
	uint64_t stub_trace;        /* and of vCPU 0's trace ring (XS_TRACE_VA) */
	uint64_t *stub_l1;          /* the stub slot's L1 (in priv): its vcpu_info mappings change */
	uint64_t *stub_dom;         /* the domain's page of the stub (XD_* words), in priv */
	uint64_t stub_mmu_stops;    /* atomic: vCPUs found stopped under the stub's lock (xen_after_run) */
	uint32_t vm_assist;
	uint64_t tlb_flushes, tlb_kicks, tlb_injects;   /* atomics: cross-vCPU flushes, signals, injected reloads */
	uint64_t event_msis;        /* atomic: event vectors sent to running vCPUs by MSI (xen_event_msi) */
	uint8_t evtchn_state[XEN_NR_EVTCHN];   /* EVTCHNSTAT_* */
	uint8_t evtchn_vcpu[XEN_NR_EVTCHN];
	uint8_t evtchn_virq[XEN_NR_EVTCHN];
	uint16_t evtchn_rdom[XEN_NR_EVTCHN];   /* unbound, interdomain: the remote domain (0: pvmon) */
	uint16_t evtchn_rport[XEN_NR_EVTCHN];  /* interdomain: the remote port */
	xen_backend_fn *evtchn_be[XEN_NR_EVTCHN];   /* interdomain to pvmon: its back end's function */
	void *evtchn_be_ctx[XEN_NR_EVTCHN];
	int bell_fd[XS_MAX_BELLS];  /* a doorbell's eventfd, -1: free (xen_evtchn_bell); under lock */
	uint64_t console_port;      /* start_info's console event channel (to pvmon) */
	struct xen_store *store;    /* its xenstore ring's service (xen_store.c); NULL: no store */
	struct xen_vbd_stats blk_gone;   /* what its removed block devices did (xen_blkback.c) */
	struct xen_vif_stats net_gone;   /* what its removed VIFs did (xen_netback.c) */
	bool console_gone;          /* its ring went wrong: no more output from it */
	uint64_t shadow_zaps, shadow_drops;   /* shadow paging: frames whose translations KVM dropped; whole drops */
	bool force_flush;           /* a zap could not be done: flush before the guest runs again */
	int zap_errno;              /* a zapped frame could not be made writable again */
	struct xen_vcpu v[XS_MAX_VCPUS];
};

/* The domain's lock (the mutex and the entry stub's page-type word): every
 * use of lock's state takes it through these. */
void xen_lock(struct xen_domain *x);
void xen_unlock(struct xen_domain *x);

/* pvmon info: "yes (...)" or "no (why)"; decided once per host. */
const char *xen_support(void);
bool xen_supported(void);
/* On a PVM host, what the Linux PV probe found (one line), else NULL. */
const char *xen_pvm_modes(void);

/* KVM's local APIC beside pvmon's own injection (a split irqchip: no
 * PIC, no IOAPIC), so that a back end's thread can hand a running vCPU
 * the event vector by an MSI (xen_event_msi) without taking it out of
 * KVM_RUN. Before the vCPUs are made; without it, signals as before. */
void xen_lapic_init(struct domain *d);
#define XEN_APIC_ADDR 0xfee00000u     /* the APIC base, and an MSI's address (its destination in bits 12-19) */
/* The event vector to v by an MSI: true if KVM took it. */
bool xen_event_msi(struct vcpu *v);

/* Build the Linux PV domain d from the ELF elf[0..len) whose notes are x:
 * memory, slots, start_info, bootstrap tables (pinned), the stub. 0, or
 * -errno with one line in err. */
int xen_domain_build(struct domain *d, const uint8_t *elf, size_t len, const struct xenelf *x,
                     char *err, size_t errlen);
/* Registers, descriptor tables and CR3 of vCPU 0 at Xen's entry. */
int xen_vcpu_setup(struct vcpu *v);
int xen_cpuid_set(struct vcpu *v);            /* KVM's CPUID table: pvmon's PV policy (xen_trap.c) */
/* The same for another vCPU from its VCPUOP_initialise (its thread, once up). */
int xen_vcpu_start(struct vcpu *v);
void xen_domain_free(struct domain *d);
/* The stub's mapping of vCPU n's vcpu_info at machine address maddr. */
void xen_stub_map_vinfo(struct xen_domain *x, uint32_t n, uint64_t maddr);

/* Shadow paging: make KVM forget the translations pvmon's own writes to
 * the guest's tables took away (xen_mm.h), at a flush the guest asked for. */
void xen_shadow_flush(struct vcpu *v);

/* xen_trap.c: the run loop's hooks. */
void xen_exit(struct vcpu *v);                /* an exit on XEN_ENTRY_PORT */
void xen_before_run(struct vcpu *v);          /* deliver a pending upcall; the cells for the fast path */
void xen_after_run(struct vcpu *v);           /* what the fast path changed in the cells */
bool xen_stub_stopped(struct vcpu *v);        /* an exit on XS_STOP_PORT was PVLAB_XEN_STUB_STOP's (a test's) */
bool xen_stub_belled(struct vcpu *v);         /* an exit on a bell's port is the stub's ring of a freed bell */
bool xen_has_work(struct vcpu *v);            /* an event (or a polled port) is pending for a blocked vCPU */
bool xen_vcpu_parks(struct vcpu *v);          /* down (VCPUOP_down): its thread sleeps until VCPUOP_up */
/* A vCPU's Xen state (where struct vcpu and struct domain are known). */
#define XV(v) (&(v)->dom->xen->v[(v)->id])

/* xen_timer.c: the one-shot timer, in the stub's cell XC_TIMER */
void xen_set_timer(struct vcpu *v, uint64_t deadline);   /* system ns, 0: none */
void xen_timer_sync(struct vcpu *v);          /* after a run: what the stub set */
void xen_timer_expired(struct vcpu *v);       /* due: VIRQ_TIMER */
void xen_timer_enter(struct vcpu *v);        /* before a run: a parked watcher looks again */
void xen_timer_watch_start(struct vcpu *v);   /* the vCPU thread's watcher (the fast path on) */
void xen_timer_watch_stop(struct vcpu *v);
bool xen_fast_on(void);                       /* the stub's fast path serves (xen_trap.c) */
/* Crash naming the guest context of the current exit. */
void xen_crash(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Guest memory through the vCPU's current L4 (kernel or user mode). */
long xen_copy_from(struct vcpu *v, void *dst, uint64_t va, size_t len);
long xen_copy_to(struct vcpu *v, uint64_t va, const void *src, size_t len);
uint64_t xen_cur_l4(const struct vcpu *v);
/* Send event channel port to the domain (sets pending, raises the upcall). */
void xen_evtchn_set(struct domain *d, uint32_t port);
void xen_publish_time(struct vcpu *v);
/* The vCPU's runstate area (if registered) from pvmon's scheduler times,
 * through the kernel's page tables (as Xen writes it); its own thread. */
void xen_runstate_publish(struct vcpu *v);
/* What the entry stub's exits were, summed over the vCPUs (any thread,
 * relaxed: pvmon --console-counters' stamps, pvctl list; zeros for a
 * domain that is not in Xen mode). */
struct xen_counts {
	uint64_t stub_exits;        /* exits on XEN_ENTRY_PORT */
	uint64_t hypercalls;        /* of them, hypercalls (a multicall is one) */
	uint64_t emulated;          /* instructions emulated: privileged ones and page-table writes */
	uint64_t bounces;           /* exceptions, upcalls and system calls delivered to the guest kernel */
	uint64_t upcalls;           /* of them, event upcalls */
	uint64_t fast;              /* entries the stub served itself, without an exit (in none of the above) */
	uint64_t fast_syscalls, fast_faults, fast_irets, fast_emulated, fast_segbases, fast_stacks, fast_mmu, fast_batches, fast_base, fast_ptwr, fast_vcpuop, fast_flush, fast_timer, fast_bells, fast_version, fast_upcalls, fast_events, fast_evups, timer_kicks, timer_fires, timer_parks;
};
void xen_counts(const struct domain *d, struct xen_counts *c);
/* pvmon --stats: what the Xen mode did, "; xen: ..." */
void xen_stats(const struct domain *d, char *buf, size_t len);
/* PVLAB_XEN_TRACE=1: each hypercall, emulation and bounce on stderr. */
bool xen_tracing(void);

/* xen_tlb.c: cross-vCPU TLB flushes (Xen's flush_tlb_mask). Every vCPU
 * in mask (bit n: vCPU n) reloads CR3 before its guest runs again, unless
 * it did so after stamp (the mm's tlb_clock); a vCPU in KVM_RUN is kicked
 * out and waited for. Any thread, with or without the domain's lock.
 * 0, or -ETIMEDOUT when a vCPU did not leave KVM_RUN. */
int xen_tlb_flush(struct domain *d, uint64_t mask, uint64_t stamp);
uint64_t xen_tlb_now(struct domain *d);      /* the stamp of a flush asked for now */
int xen_tlb_mm_flush(void *domain, uint64_t stamp);   /* xen_mm's hook: all vCPUs */
/* Around each KVM_RUN of a Xen vCPU: a reload asked for is done first. */
void xen_tlb_enter(struct vcpu *v);
void xen_tlb_left(struct vcpu *v);

/* xen_console.c: hvc0's output ring into pvmon's console (on the console
 * channel's send, a yield or block, and when the domain ends). */
void xen_console_drain(struct vcpu *v);
/* pvmon's console input into hvc0's input ring, as much as fits; raises
 * the console channel (any thread). */
void xen_console_feed(struct domain *d);

/* xen_evtchn.c: event_channel_op; a port bound to pvmon's back end fn
 * (while the domain is built); the domain's interdomain ports unbound
 * from their peers when it ends. */
long xen_event_channel_op(struct vcpu *v, uint64_t cmd, uint64_t arg);
void xen_evtchn_backend(struct domain *d, uint32_t port, xen_backend_fn *fn, void *ctx);
void xen_evtchn_teardown(struct domain *d);
/* A back end of pvmon takes the port the guest left unbound for Domain 0
 * (alloc_unbound, remote 0): 0, or -EINVAL when it is no such port;
 * unbinding leaves it unbound again, as Xen's close of the remote end. */
int xen_evtchn_bind_backend(struct domain *d, uint32_t port, xen_backend_fn *fn, void *ctx);
void xen_evtchn_unbind_backend(struct domain *d, uint32_t port);
/* A doorbell for a port a back end has bound: the entry stub serves the
 * guest's EVTCHNOP_send on it with a write of an eventfd (*efd), which
 * KVM makes (KVM_IOEVENTFD), instead of an exit to pvmon's function; the
 * back end's thread polls *efd and takes its count as kicks. The bell's
 * number, or -errno where there is none to give (no stub, all in use,
 * KVM refused; *efd -1): the sends then keep coming through the
 * function. Closing or unbinding the port silences the bell; freeing it
 * (after the unbind) gives it back and closes *efd. */
int xen_evtchn_bell(struct domain *d, uint32_t port, int *efd);
void xen_evtchn_bell_free(struct domain *d, int *bell, int *efd);
/* Rung since the last look (efd -1: no bell): the rings added to *kicks. */
bool xen_evtchn_bell_rung(int efd, uint64_t *kicks);

/* xen_store.c: the domain's xenstore ring (XEN_STORE_PORT) served as its
 * connection to pvmon_store, from when it is introduced (xen_store_start,
 * domain_start) until it ends (xen_store_close, before its memory goes). */
int xen_store_start(struct domain *d);
void xen_store_close(struct domain *d);
/* A new balloon target (pvctl mem-set): 0, -EINVAL (0 or over the
 * domain's memory), -EOPNOTSUPP (no store). */
int xen_store_target(struct domain *d, uint64_t mib);

/* xen_hypercall.c */
long xen_hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[5]);
#define XEN_HC_REGS_SET (-0x7ffffffeL)    /* the handler set the registers itself (iret) */
const char *xen_hypercall_name(uint64_t nr);
long xen_iret(struct vcpu *v);
/* A vCPU changes mode: load the other L4 and swap the GS bases. */
void xen_set_mode(struct vcpu *v, bool user);
/* The GS base of the other mode (KERNEL_GS_BASE): read and/or set; 0 or -EIO. */
int xen_gs_other(struct vcpu *v, uint64_t *get, const uint64_t *set);
/* The FS (which 0) or current GS (1) base, read and/or written through
 * KVM's segment registers. 0 or -errno. */
int xen_seg_base(struct vcpu *v, int which, uint64_t *get, const uint64_t *set);
#endif
