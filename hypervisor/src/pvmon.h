/* pvmon internal types: the host, its domains and their vCPUs.
 * Locks, by order of acquisition: domains_lock; a domain's mem_lock (read:
 * its own vCPU threads; another domain's only with trylock, in gnttab.c);
 * sched_lock; gnttab_lock; domain->pt.lock (two domains': lower domid
 * first); domain->evtchn_lock (two: lower domid first); console_lock. */
#ifndef PVMON_H
#define PVMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "pvlab/pv.h"
#include "config.h"
#include "guestmem.h"
#include "kvm.h"
#include "gnttab.h"
#include "memory.h"
#include "pagetable.h"

#define MAX_DOMAINS 1024
#define PV_EXIT_CRASHED 125   /* `pvmon run` status for a crashed domain */

/* Guest-physical layout pvmon builds for every domain (see include/pvlab/pv.h):
 * RAM from 0 (start info, shared info, kernel at 1 MiB), then the
 * page-table pool (hypervisor area first), then the two grant windows. */
#define GPA_START_INFO  0x1000ULL
#define GPA_SHARED_INFO 0x2000ULL
#define SLOT_RAM        0
#define SLOT_POOL       1
#define SLOT_GRANT_RW   2
#define SLOT_GRANT_RO   3
#define SLOT_HV_PRIVATE 4           /* the entry stub's stacks and data (fastpath.c), or the
                                       baseline's fault stacks (hvarea.c) */
#define GPA_KERNEL_MIN  0x100000ULL
#define BOOT_STACK_SIZE (64 * 1024)

enum vcpu_state { VS_DOWN, VS_RUNNING, VS_RUNNABLE, VS_BLOCKED, VS_PAUSED, VS_DEAD };

struct domain;
struct sched;
struct fp_domain;
struct xen_domain;
struct pvnet;

struct vcpu {
	struct domain *dom;
	uint32_t id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	pid_t tid;
	timer_t timer;
	bool timer_ok;

	/* Guarded by sched_lock. */
	enum vcpu_state state;
	int slot;                 /* physical CPU slot held, -1 none */
	int bound_slot;           /* slot whose CPU the thread is pinned to; vCPU thread only */
	pthread_cond_t cond;      /* slot granted / woken / state change */
	uint64_t state_since;     /* system ns of last state change */
	uint64_t run_ns, wait_ns, blocked_ns;
	uint64_t slice_end;       /* system ns the current slice ends */
	void *sched_priv;         /* scheduler's per-vCPU data */
	bool queued;

	atomic_bool kick;         /* another thread asks for an exit */
	atomic_bool preempt;      /* the scheduler wants the slot back */
	bool want_yield, want_block, polling;
	uint32_t poll_ports[128], nr_poll;
	bool pio_skip;            /* KVM will skip the `out` on the next entry */
	uint64_t armed_at;        /* expiry the preemption timer is set to */
	int64_t tsc_offset;       /* guest TSC - host TSC */
	struct pv_vcpu_context boot;
	uint64_t timer_deadline;  /* system ns, 0 none; vCPU thread only */
	uint64_t poll_deadline;   /* sched_op(poll) timeout, system ns, 0 none; vCPU thread only */

	/* Guest mode, vCPU thread only. */
	bool user_mode;
	uint64_t kernel_cr3, user_cr3, kernel_sp;
	struct kvm_sregs sregs;   /* pvmon's copy: the guest cannot change them at CPL3 */
	bool in_multicall;
	uint32_t cur_hcall;       /* hypercall being served, for traces */
	uint64_t hc_start;        /* its start time when tracing */

	struct kvm_stats kstats;   /* KVM's own counters for this vCPU */
	/* Statistics (vCPU thread writes, others read). */
	atomic_uint_fast64_t hypercalls, upcalls, exits;
	atomic_uint_fast64_t exit_reasons[64];
};

struct evtchn {
	uint8_t state;            /* PV_EVTCHNSTAT_* */
	uint8_t virq;
	uint16_t vcpu;
	uint32_t remote_dom, remote_port;
	/* Bound to a back end in pvmon (remote_dom PV_DOMID_BACKEND): what a
	 * send calls, on the sending vCPU's thread (evtchn_bind_backend). */
	void (*be)(void *ctx);
	void *be_ctx;
};

enum dom_state { DS_RUNNING, DS_PAUSED, DS_SHUTDOWN, DS_CRASHED };

struct domain {
	uint32_t id;
	struct dom_config cfg;
	int vm_fd;
	uint8_t *mem;             /* guest-physical 0 .. mem_size (RAM) */
	uint64_t mem_size;
	struct p2m_entry *p2m;    /* per RAM frame: what backs it (a memfd page) */
	uint64_t *pool;           /* page-table pool, pvmon's writable view */
	uint64_t pool_gpa, pool_frames;
	uint64_t hv_frames;       /* pool frames that are pvmon's (hypervisor area, fast path stub) */
	uint64_t pool_slot_size;  /* bytes of the pool's read-only slot (the pool, then any L4 twins) */
	struct fp_domain *fp;     /* fast path state, NULL on the baseline (fastpath.c) */
	struct xen_domain *xen;   /* a Linux PV domain (Xen's ABI, xen_domain.c), NULL for pvlab's */
	struct pvnet *net;        /* its network interface (pvnet.c), NULL none */
	uint8_t *hv_stacks;       /* baseline: a fault stack page per vCPU (hvarea.c) */
	uint64_t hv_stacks_gpa;
	uint8_t *grant_rw, *grant_ro;  /* grant windows, PV_GNTTAB_WINDOW_FRAMES each */
	uint64_t grant_rw_gpa, grant_ro_gpa;
	struct pagetable pt;       /* page-table types and counts (pt.lock) */
	struct guestmem gm;       /* what pvmon may touch of this domain */
	struct gnttab gnt;        /* grant state (gnttab.c, under its gnttab_lock) */
	/* Held for reading by each vCPU thread while its vCPU runs or is served,
	 * and by other domains' threads touching this domain's frames; held for
	 * writing to change what backs the guest's memory (memory slots, frames
	 * given back), with every vCPU of the domain out of KVM_RUN. */
	pthread_rwlock_t mem_lock;
	atomic_uint_fast64_t mmu_updates, mmu_rejected, tlb_flushes, tlb_zaps, pt_writes, page_flips;
	struct pv_shared_info *shared;
	struct pv_start_info *start;
	struct vcpu vcpus[PV_MAX_VCPUS];
	uint32_t nr_vcpus;

	_Atomic int state;        /* enum dom_state */
	int exit_code;
	char crash_reason[256];
	atomic_int live_vcpus;
	atomic_int refs;

	/* Entry points and traps, set by the guest (vCPU 0 writes, all read). */
	uint64_t event_entry, syscall_entry, failsafe_entry;
	uint64_t traps[PV_TRAP_MAX];
	uint8_t trap_flags[PV_TRAP_MAX];

	pthread_mutex_t evtchn_lock;  /* guards evtchn[] and virq_port[] */
	struct evtchn evtchn[PV_NR_EVTCHN];
	uint32_t virq_port[PV_MAX_VCPUS][PV_NR_VIRQS];
	atomic_uint_fast64_t events_sent;

	struct console *console;
	void (*on_exit)(struct domain *d);   /* called once all vCPUs stopped */
	uint64_t created_ns;      /* system time domain_create began */
	_Atomic uint64_t boot_ns; /* from then to the guest's first hypercall */
	atomic_bool linger;       /* stay listed after it ends, until reaped */
	atomic_bool ended;        /* all vCPUs have stopped */
};

/* host.c */
struct host {
	int kvm_fd;
	int run_size;
	int nr_pcpus;
	int nr_cpus_online;       /* slots map to CPUs slot % nr_cpus_online */
	bool pio_rip_advanced;    /* KVM leaves RIP after `out` at an I/O exit */
	uint64_t tsc_khz;
	bool tdp;                 /* nested paging (NPT/EPT): the pool slot is writable (memory.c) */
	const char *paging;       /* why: "shadow paging", "nested paging", ... */
	uint64_t boot_ns;         /* CLOCK_MONOTONIC at start: system time 0 */
	pthread_mutex_t domains_lock;  /* guards domains[] */
	struct domain *domains[MAX_DOMAINS];
	pthread_mutex_t exit_lock;     /* guards exit_cond waits on domain count */
	pthread_cond_t exit_cond;
};
extern struct host host;

/* vcpu.c */
int vcpu_create(struct domain *d, uint32_t id);
int vcpu_thread_start(struct vcpu *v);
bool vcpu_has_work(struct vcpu *v);        /* an upcall or polled port is pending */
void vcpu_set_cr3(struct vcpu *v, uint64_t cr3);
void vcpu_arm_timer(struct vcpu *v);
void vcpu_signals_init(void);
#define HC_REGS_SET (-0x7fffffffL)  /* handler replaced the registers: no rax */

#endif
