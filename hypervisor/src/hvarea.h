/* The hypervisor area: pvmon's own frames at the start of every domain's
 * page-table pool, mapped by pvmon alone at L4 slot PT_HV_SLOT of every
 * address space (PV_HV_AREA_VA), so no guest update can remap or reach
 * what the CPU reads there: the hypercall entry, the GDT, one TSS per
 * vCPU, the IDT. On the baseline the IDT sends every exception to a fault
 * reporter that exits to pvmon with where the guest faulted; the fast path
 * points it at its entry stub instead (fastpath.c). This header is shared
 * with the assembly of the reporter and of the stub. */
#ifndef PVMON_HVAREA_H
#define PVMON_HVAREA_H

/* Pool frames of the area, in this order: the page the guest sees at
 * PV_HV_AREA_VA, then the slot's L3, L2 and L1 (read-only to the guest). */
#define HV_PAGE        0
#define HV_SLOT_L3     1
#define HV_SLOT_L2     2
#define HV_SLOT_L1     3
#define HV_FRAMES      4

/* Offsets in the page at PV_HV_AREA_VA (the host reads the descriptor
 * tables through the guest's own page table, so they sit in its half). */
#define HV_ENTRY       0x100    /* PV_HCALL_ENTRY */
#define HV_GDT         0x180
#define HV_GDT_LIMIT   0x4f     /* null .. the TSS at 0x40 (16 bytes) */
#define HV_TSS         0x200    /* per-vCPU TSS, HV_TSS_SIZE apart */
#define HV_TSS_SIZE    0x80
#define HV_TSS_LIMIT   0x67     /* a TSS with no I/O bitmap (the fast path) */
#define HV_IDT         0x800
#define HV_NR_VECTORS  33       /* exceptions 0..31 and the fast path's event vector */
#define HV_IOMAP       0xc00    /* the baseline's I/O bitmap, shared by every TSS: */
#define HV_IOMAP_BYTES 33       /*   ports 0..255 and the byte the CPU may read past them */
#define HV_FAULT       0xd00    /* the baseline's fault reporter, 16 bytes a vector */

/* The baseline's fault stacks: one supervisor-only page per vCPU (a private
 * memory slot no guest table can name), TSS.RSP0 at its top. */
#define HV_STACK_VA(n) (0x7FFFFFC10000 + (n) * 0x1000)
#define HV_STACK_L1(n) (16 + (n))                 /* its entry in the slot's L1 */

/* Selectors. STAR puts kernel CS/SS at 0x10/0x18, user at 0x33/0x2b. */
#define HV_KCS     0x10
#define HV_KDS     0x18
#define HV_UCS32   0x23     /* PVM's fast path only: STAR's user base */
#define HV_UDS     0x2b
#define HV_UCS     0x33
#define HV_TSS_SEL 0x40

/* Vectors the CPU pushes an error code for (8, 10-14, 17, 21, 29, 30), a
 * bit per vector: entries push a zero for the others, and no vector of
 * these gets a DPL3 gate (`int n` pushes no error code). */
#define HV_ERRCODE_VECTORS 0x60227d00

/* Exits to pvmon that are reports, not hypercalls: rax = what happened
 * (FP_R_* of fastpath.h; HV_R_FAULT from the baseline's reporter),
 * rdi = vector, rsi = error code, rdx = rip, r10 = address (cr2),
 * r8 = rsp, r9 = rflags (the baseline) or what fastpath.h says. */
#define HV_REPORT_PORT 0xE1
#define HV_R_FAULT     7

#ifdef __ASSEMBLER__
/* One 16-byte IDT entry of the fault reporter or the entry stub: a zero
 * where the CPU pushes no error code, then the vector, then the common
 * code. */
.macro HV_VECTOR v, common
	.balign 16
	.if (HV_ERRCODE_VECTORS >> \v) & 1
	.else
	pushq $0
	.endif
	pushq $\v
	jmp \common
.endm
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

struct domain;
struct vcpu;

/* The area's frames and the slot's tables; sets d->pt.hv_l4e. On the
 * baseline also the descriptor tables, the I/O bitmap, the hypercall
 * entry and the fault reporter (the fast path writes its own after). */
void hvarea_build(struct domain *d);
/* The baseline's fault stacks: host memory and the private slot. */
int hvarea_stacks_layout(struct domain *d, char *err, size_t errlen);
int hvarea_stacks_create(struct domain *d, char *err, size_t errlen);
void hvarea_free(struct domain *d);
/* GDTR, IDTR and TR of a baseline vCPU: pvmon's tables, before the
 * guest's first instruction. */
void hvarea_baseline_sregs(const struct domain *d, uint32_t vcpu, struct kvm_sregs *s);
/* An exit on HV_REPORT_PORT from the baseline's reporter: crash the
 * domain, naming where and how the guest faulted. */
void hvarea_report(struct vcpu *v);

/* The vCPU is in the baseline's fault reporter (at CPL0, on its way to the
 * report): nothing may be delivered there; it only runs to its `out`. */
static inline bool hvarea_in_reporter(uint64_t rip)
{
	return rip >= 0x7FFFFFC00000ULL + HV_FAULT && rip < 0x7FFFFFC00000ULL + 0x1000;
}

/* Descriptors, shared with the fast path's tables. */
uint64_t hv_seg_desc(bool code, int dpl);
void hv_write_gdt(uint8_t *gdt, uint64_t tss_base, bool compat_ucs);
void hv_write_gate(uint8_t *idt, int vec, uint64_t handler, int dpl);
void hv_write_tss(uint8_t *tss, uint64_t rsp0, uint16_t iomap);
#endif
#endif
