/* What the fast path's files share (fastpath.c, fastpath_cpu.c,
 * fastpath_probe.c) and nothing else includes: the two stubs' entries, the
 * CPU state the stub runs with, PVM's interface. */
#ifndef PVMON_FASTPATH_CPU_H
#define PVMON_FASTPATH_CPU_H
#include <stdint.h>
#include <linux/kvm.h>
#include "fastpath.h"
#include "pagetable.h"

/* PVM's interface on these hosts (read from the running kvm_pvm; see the
 * architecture notes): the vIF MSR registers the page whose if_ byte is the
 * virtual IF in kernel mode and where #PF addresses land, and enables
 * native execution of CPL0; the low bits select features. */
#define MSR_PVM_VIF       0x4b564d10
#define MSR_PVM_SIGNATURE 0x4b564d11
#define MSR_PVM_FEATURES  0x4b564d12
#define PVM_SIGNATURE     0x4d5650      /* "PVM" */
#define PVM_VIF_HOST      0x400         /* a write from user space must carry it */
#define PVM_VIF_FLAGS     0x7f          /* kpti root pairs, direct switches, ERETU, cr2 cell */
#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_SFMASK 0xc0000084
#define SFMASK_VAL 0x47700              /* TF IF DF IOPL NT AC cleared on syscall */
#define PAGE 4096ULL


/* One back end's stub: its bytes and the entries pvmon points at. */
struct fp_stub {
	const uint8_t *start, *end, *boot, *lstar0, *vectors, *hcall_return;
	const uint8_t *probe_lstar, *probe_trap, *probe_user, *probe_ud;
};
/* The PVM stub or the VT-x/AMD-V one (fastpath_stub_hw.S). */
const struct fp_stub *fastpath_stub_of(int kind);
/* Offset of an entry in its stub's bytes, and its address in the stub's
 * view for the back end in use. */
#define STUB_OFF(st, f) ((uint64_t)((st)->f - (st)->start))
#define STUB_VA(f) (FP_STUB_VA + STUB_OFF(fastpath_stub_of(fp_host.kind), f))

/* The L4 entry that maps the stub (slot 511). PVM wants U=1 on kernel
 * mappings and hides the upper half from CPL3 itself; on VT-x/AMD-V U=0
 * here is what keeps guest code out of the stub and its writable blocks. */
static inline uint64_t fastpath_slot_flags(int kind)
{
	return PTE_P | PTE_RW | PTE_A | (kind == FP_PVM ? PTE_US : 0);
}

/* Long mode at the stub's CPL0, tables at their lower-half addresses. */
void fastpath_sregs(struct kvm_sregs *s, uint64_t cr3, uint64_t gdt, uint64_t idt, uint64_t tss);
/* STAR, LSTAR, SFMASK of one vCPU, and on PVM its vIF registration. */
int fastpath_msrs(int fd, int kind, uint64_t lstar, uint64_t vif_gpa);
int fastpath_get_msr(int fd, uint32_t idx, uint64_t *val);
/* n (at most 8) MSRs of a vCPU at once: 0, or -errno / -EIO. */
int fastpath_get_msrs(int fd, const uint32_t *idx, uint64_t *val, int n);
int fastpath_set_msrs(int fd, const uint32_t *idx, const uint64_t *val, int n);
#endif
