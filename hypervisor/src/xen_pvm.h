/* The PVM question (issue 15, item 5): can a Xen PV kernel run on KVM's
 * PVM back end? A probe guest (xen_pvm_probe.S) measures which L4 slots
 * of the upper half PVM's supervisor and user modes reach, whether a
 * frame that names a lower privilege level gets a mode between them, and
 * whether supervisor mode runs privileged instructions without an exit to
 * pvmon; xen_pvm.c runs it and words the answer `pvmon info` and a
 * refused Linux config give. Shared with the probe's assembly. */
#ifndef PVMON_XEN_PVM_H
#define PVMON_XEN_PVM_H

/* The probe guest's memory (guest-physical; also seen at XP_K + gpa in the
 * upper half through slot 511, like the fast path's stub). */
#define XP_K        0xffffffff80000000
#define XP_MEM      0x400000          /* 4 MiB, identity-mapped with 2 MiB pages */
#define XP_IDT      0x1000
#define XP_GDT      0x2000
#define XP_TSS      0x2100
#define XP_VIF      0x3000
#define XP_L4       0x4000            /* kernel root; its user root is 0x5000 */
#define XP_L3LOW    0x6000
#define XP_L2       0x7000            /* 0..4 MiB, two 2 MiB pages */
#define XP_L3UP     0x8000            /* what every upper slot's entry names */
#define XP_OWN_L4   0xA000            /* a root pair the guest builds itself */
#define XP_OWN_IDT  0xC000            /* an IDT the guest writes itself */
#define XP_CODE     0x10000
#define XP_DATA     0x20000           /* holds XP_MARK */
#define XP_RES      0x30000           /* results, below */
#define XP_KSTACK   0x50000           /* supervisor stack top (at XP_K + it) */
#define XP_RSP0     0x60000           /* TSS.RSP0 (at XP_K + it) */
#define XP_USTACK   0x80000           /* user stack top (lower half) */
#define XP_MARK     0x5a5a1234abcd9876

/* Result bytes: 1 = done (a read saw XP_MARK), 2 = done but wrong (a read
 * saw something else, LSTAR read back another value), 0x80 | vector = that
 * exception instead, 0 = never got there. */
#define XP_R_SUPER   0x000            /* [256]: a read in supervisor mode of slot 256 + i */
#define XP_R_USER    0x100            /* [256]: the same in user mode */
#define XP_R_ULOW    0x200            /* user mode reads the lower half (XP_R_USER + 256) */
#define XP_R_CR3     0x201            /* supervisor mode loads XP_OWN_L4 and reads through it */
#define XP_R_LSTAR   0x202            /* supervisor mode writes LSTAR and reads it back */
#define XP_R_SYSCALL 0x203            /* supervisor `syscall` arrives at that LSTAR */
#define XP_R_LIDT    0x204            /* supervisor lidt XP_OWN_IDT, then ud2 reaches its gate */
#define XP_R_DPL1    0x205            /* ERETU to a DPL1 frame in the upper half */
#define XP_R_IRET1   0x206            /* iretq to it: 1 = ran there and read CR3 */
#define XP_R_CS      0x208            /* qword: CS the CPU pushed for the last fault */
#define XP_R_SCRATCH 0x210            /* 10 bytes: lidt's operand */
#define XP_R_DPL1_CS 0x220            /* qword: XP_R_CS after the ERETU to the DPL1 frame */

/* The probe's report (rax at its `out` on HV_REPORT_PORT). */
#define XP_DONE      0x58
#define XP_FAULT     0x59             /* unexpected: rdi vector, rsi error code, rdx rip, r8 cs */

/* GDT entries beyond pvmon's own (hvarea.h): DPL1 code and data. */
#define XP_CS1       0x51
#define XP_SS1       0x59
#define XP_GDT_LIMIT 0x5f

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The L4 slots a Xen PV Linux needs: its image at __START_KERNEL_map
 * (0xffffffff80000000, Debian's VIRT_BASE) and its direct map at
 * 0xffff888000000000; Xen's own range is slots 256..271. */
#define XP_SLOT_IMAGE  511
#define XP_SLOT_DIRECT 273

struct xen_pvm_result {
	uint8_t super[256], user[256];    /* slot 256 + i */
	uint8_t user_low, cr3, lstar, syscall0, lidt, dpl1, iret1;
	uint64_t dpl1_cs;                 /* CS pushed for the DPL1 frame's fault */
	unsigned pvmon_exits;             /* KVM_RUN returns the run took (1: the report) */
	uint64_t kvm_exits;               /* in-kernel exits of the run, 0 if unknown */
};

/* Run the probe on this host's KVM (PVM back end only): 0, or -errno with
 * the step that failed in why. */
int xen_pvm_probe(struct xen_pvm_result *r, char *why, size_t n);
/* "257-511", "none", "256, 300-310": the slots whose byte is 1. */
void xen_pvm_slots(const uint8_t res[256], char *buf, size_t n);
/* What the probe found, one line for `pvmon info` (after "pvm modes: "). */
void xen_pvm_describe(const struct xen_pvm_result *r, char *buf, size_t n);
/* The answer: "no (...)" with the measured reason (pvmon has no Xen mode
 * for PVM; the reason says what stands in the way). */
void xen_pvm_verdict(const struct xen_pvm_result *r, char *buf, size_t n);
#endif
#endif
