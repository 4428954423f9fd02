/* The fast path: a pvmon-owned entry stub that runs at the guest's CPL0 and
 * bounces exceptions, system calls and events to pvos's handlers without a
 * VM exit to pvmon. This header is shared by fastpath.c and the stub
 * (fastpath_stub.S): the layout both sides agree on, then the C interface.
 * Back ends: PVM, and VT-x/AMD-V (docs/architecture.md, "The fast path"). */
#ifndef PVMON_FASTPATH_H
#define PVMON_FASTPATH_H
#include "hvarea.h"

/* ---- where things are ------------------------------------------------
 * The stub's view lives in the top 2 GiB of the upper half (L4 slot 511),
 * so absolute 32-bit displacements reach it without a spare register. PVM
 * hides the upper half from CPL3 whatever the page tables say; on VT-x/
 * AMD-V the slot's L4 entry is supervisor-only. Either way guest code can
 * neither read nor write it. */
#define FP_STUB_VA      0xffffffff80000000  /* stub code, FP_CODE_PAGES pages, read-only */
#define FP_CODE_PAGES   2
#define FP_DOMDATA_VA   0xffffffff80010000  /* per-domain data, read-only to the stub */
#define FP_SHARED_VA    0xffffffff80011000  /* the domain's shared-info page */
#define FP_BLOCK_VA     0xffffffff80100000  /* per-vCPU blocks, FP_BLOCK_SIZE apart */
#define FP_BLOCK_SIZE   0x10000             /* aligned: the stub finds its block from rsp */
#define FP_BLOCK_PAGES  4                   /* vIF page, per-vCPU data, 2 stack pages */
#define FP_VIF_OFF      0x0000              /* PVM's vIF page: if_ byte, cr2 at +8 */
#define FP_PC_OFF       0x1000              /* struct fp_percpu */
#define FP_STACK_TOP    0x4000              /* TSS.RSP0 and the syscall stack */
#define FP_BLOCK(n)     (FP_BLOCK_VA + (n) * FP_BLOCK_SIZE)

/* The descriptor tables, selectors and the report port are the
 * hypervisor area's (hvarea.h); the event vector is the fast path's. */
#define FP_EVENT_VECTOR 32

/* struct fp_percpu, in each vCPU's block (the stub writes it; pvmon reads
 * it and writes the fields marked pvmon). */
#define PC_MODE      0     /* 0: pvos kernel runs, 1: a pvos process (stub) */
#define PC_KROOT     8     /* kernel root of the kernel page table's pair (pvmon) */
#define PC_UROOT     16    /* kernel root of the user page table's pair, 0 none (pvmon) */
#define PC_KSP       24    /* kernel stack for entries from user mode (pvmon) */
#define PC_RELOAD    32    /* pvmon: load PC_KROOT at the end of this hypercall */
#define PC_SCRATCH   40    /* guest rsp at syscall entry */
#define PC_VINFO     48    /* this vCPU's pv_vcpu_info in the stub's view (pvmon) */
#define PC_PHASE     56    /* what a fault inside the stub interrupted (FP_PHASE_*) */
#define PC_NSYSCALL  64    /* counters: system calls bounced to the kernel */
#define PC_NTRAP     72    /* exceptions bounced */
#define PC_NEVENT    80    /* upcalls delivered by the stub */
#define PC_NIRET     88    /* irets served */
#define PC_NCR3      96    /* CR3 loads (each an in-kernel exit on PVM) */
#define PC_NHCALL    104   /* hypercalls forwarded to pvmon */
#define PC_SIZE      112

#define FP_PHASE_NONE  0
#define FP_PHASE_PUSH  1   /* writing a callback frame on the guest stack */
#define FP_PHASE_IRET  2   /* reading the guest's iret frame */

/* Per-domain data (read-only to the stub). */
#define DD_EVENT     0
#define DD_SYSCALL   8
#define DD_TRAPS     64    /* handler per vector 0..31, 0: none */

/* The stub's frame on its own stack: the guest's registers in struct
 * pv_frame order, then vector and error code, then the hardware frame. */
#define SF_R15 0
#define SF_R11 32
#define SF_R8  56
#define SF_RBP 64
#define SF_RDI 72
#define SF_RSI 80
#define SF_RDX 88
#define SF_RCX 96
#define SF_RBX 104
#define SF_RAX 112
#define SF_VEC 120
#define SF_ERR 128
#define SF_RIP 136
#define SF_CS  144
#define SF_RFLAGS 152
#define SF_RSP 160
#define SF_SS  168
#define SF_SIZE 176
/* struct pv_frame (include/pvlab/pv.h): the same 17 first words, then: */
#define PF_ADDR 136
#define PF_RIP 144
#define PF_RFLAGS 152
#define PF_RSP 160
#define PF_FLAGS 168
#define PF_MASK 176
#define PF_SIZE 184
#define PF_WORDS 23
/* struct pv_vcpu_info */
#define VI_PENDING 0
#define VI_MASK 1
#define VI_SIZE 128

/* Exits the stub takes to pvmon: hypercalls on PV_HCALL_PORT, and reports
 * on HV_REPORT_PORT with rax = what happened, rdi = vector, rsi = error
 * code, rdx = rip, r10 = address (cr2), r8 = rsp (or the stub phase and
 * r9 = the callback frame being pushed). */
#define FP_R_UNHANDLED      1   /* exception with no handler registered */
#define FP_R_STUB_FAULT     2   /* exception inside the stub (bad guest stack/frame) */
#define FP_R_NO_KSTACK      3   /* entry from user mode before stack_switch */
#define FP_R_NO_ENTRY       4   /* system call with no syscall callback */
#define FP_R_BAD_STACK      5   /* callback frame would leave the guest half */
#define FP_R_PROBE          6   /* the start-up probe's guest finished */

#define FP_GVA_LIMIT 0x800000000000   /* the guest's half */
#define FP_RFLAGS_GUEST 0xCD5         /* CF PF AF ZF SF DF OF: the guest's to set */

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;
struct vcpu;

/* The back ends: PVM's own interface, or plain x86-64 at the guest's CPL0
 * under VT-x (vmx) or AMD-V (svm), which differ only in name. */
enum fp_kind { FP_NONE, FP_PVM, FP_VMX, FP_SVM };

/* What the start-up probe found (fastpath_probe). */
struct fp_host {
	int kind;               /* enum fp_kind in use */
	int found;              /* enum fp_kind the probe found working, whatever the option */
	bool forced_off;        /* --fast-path off / PVLAB_FAST_PATH=off */
	char why[400];          /* the reason printed by pvmon info */
	double syscall_us;      /* probe: syscall into the stub and back */
	double cr3_us;          /* probe: one CR3 load from the stub */
	uint64_t features;      /* PVM feature MSR */
};
extern struct fp_host fp_host;

/* "auto" or "off"; NULL: $PVLAB_FAST_PATH, else auto. -EINVAL if unknown. */
int fastpath_set_mode(const char *mode);
/* Probe the host's back ends (after /dev/kvm is open); iters: syscalls
 * the probe guest times (0: a quick functional check only). Fills fp_host. */
void fastpath_probe(unsigned long iters);
/* One line for pvmon info: "pvm|vmx|svm (...)" or "none (...)". */
const char *fastpath_info(void);
const char *fastpath_kind_name(int kind);           /* "pvm", ..., "none" */

/* Domain set-up, called from memory.c and domain.c. */
int fastpath_domain_init(struct domain *d);              /* decides d->fp */
uint64_t fastpath_hv_frames(const struct domain *d);     /* pvmon's pool frames */
uint64_t fastpath_twin_frames(const struct domain *d);   /* L4 twin pairs, after the pool */
int fastpath_layout(struct domain *d, char *err, size_t errlen);        /* frames, twins; no KVM */
int fastpath_memory_create(struct domain *d, char *err, size_t errlen); /* the private slot */
void fastpath_write_hv_page(struct domain *d, uint8_t *page);   /* the hypercall entry and tables */
void fastpath_domain_free(struct domain *d);
/* Registers, descriptor tables and MSRs of a vCPU entering the guest at
 * rip/rsp with rdi/rsi set, in kernel mode, through the stub. */
int fastpath_setup_vcpu(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rdi, uint64_t rsi);

/* The run loop (vcpu.c). */
void fastpath_before_run(struct vcpu *v);       /* sync state, deliver events */
void fastpath_after_run(struct vcpu *v);        /* the stub loaded a new kernel root: hold it */
void fastpath_report(struct vcpu *v);           /* an exit on HV_REPORT_PORT */
void fastpath_set_kernel_root(struct vcpu *v, uint64_t cr3);
void fastpath_callbacks_changed(struct domain *d);   /* set_callbacks / set_trap_table */

/* The guest context a crash report names: guest code's, not the stub's. */
struct guest_context;
void fastpath_context(struct vcpu *v, struct guest_context *c);
const char *fastpath_vector_name(unsigned vec);      /* "#PF", ... */

/* A vCPU's struct fp_percpu (PC_* words), pvmon's view. */
uint64_t *fastpath_percpu(struct domain *d, uint32_t vcpu);

/* The stub's counters summed over the domain's vCPUs. */
struct fp_stats {
	uint64_t syscalls, traps, events, irets, cr3_loads, hcalls;
};
void fastpath_stats(struct domain *d, struct fp_stats *s);
#endif
#endif
