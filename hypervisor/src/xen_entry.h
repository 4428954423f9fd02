/* The Xen-mode entry stub: the only code at a Linux PV domain's CPL0.
 * Every exception and the event vector enter it through pvmon's IDT on
 * the vCPU's stub stack, every `syscall` (a hypercall from the guest
 * kernel, a system call from its processes) through the vCPU's LSTAR
 * trampoline, which builds the same frame on that stack; it exits to pvmon on
 * XEN_ENTRY_PORT with the frame below on that stack, and when pvmon lets
 * the vCPU go on it loads the CR3 pvmon left in the vCPU's cell (a full
 * TLB flush: CR4.PGE is off) and irets to whatever pvmon wrote into the
 * frame. Shared by xen_entry.S and the Xen files. */
#ifndef PVMON_XEN_ENTRY_H
#define PVMON_XEN_ENTRY_H

/* L4 slot 257 of every address space of the domain (inside Xen's range,
 * 256..271, which no guest entry can name), supervisor-only. */
#define XS_L4_SLOT     257
#define XS_VA          0xffff808000000000
#define XS_CODE_VA     XS_VA                 /* the stub, one read-only page */
#define XS_DESC_VA     (XS_VA + 0x1000)      /* GDTs, TSSs, IDT: one read-only page */
#define XS_GDT_OFF(n)  ((n) * 0x80)
#define XS_TSS_OFF(n)  (0x400 + (n) * 0x80)
#define XS_IDT_OFF     0x800
#define XS_MAX_VCPUS   8
#define XS_BLOCK_VA(n) (XS_VA + 0x10000 + (n) * 0x2000)   /* per vCPU: two writable pages */
#define XS_RSP0_OFF    0x1fc0               /* TSS.RSP0 in the block; the cells above it */
#define XS_EVENT_VECTOR 32
#define XS_NR_VECTORS  33
#define XS_SYSCALL_VECTOR 34                /* no IDT vector: the mark of the LSTAR trampolines' frames */
#define XS_SCRATCH_OFF (XS_RSP0_OFF + 8)    /* the trampoline keeps the guest's rsp there (cell 1) */
#define XEN_ENTRY_PORT 0xE3

/* The frame at the `out`, from rsp up (8-byte words), then the cells. */
#define XF_CR2    0
#define XF_RAX    1
#define XF_VEC    2
#define XF_ERR    3
#define XF_RIP    4
#define XF_CS     5
#define XF_RFLAGS 6
#define XF_RSP    7
#define XF_SS     8
#define XF_WORDS  9
#define XF_CELL_CR3 9      /* RSP0 + 0: the CR3 the stub loads before its iret */
#endif
