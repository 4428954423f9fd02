/* The hypervisor area (hvarea.h): its frames in the pool, the L4 slot that
 * maps them in every address space, the descriptor tables every vCPU uses
 * from its first instruction, and the baseline's fault reporter. The guest
 * cannot write or remap any of it: pagetable.c keeps PT_HV_SLOT pvmon's in every
 * L4, and the frames are typed PT_HV (never a table, never writable). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "domain.h"
#include "fastpath.h"
#include "hvarea.h"
#include "pvmon.h"

#define PAGE 4096ULL

_Static_assert(((PV_HV_AREA_VA >> 39) & 511) == PT_HV_SLOT && PV_HV_L4_SLOT == PT_HV_SLOT, "the area's L4 slot");
_Static_assert(((PV_HV_AREA_VA >> 30) & 511) == 511 && ((PV_HV_AREA_VA >> 21) & 511) == 510 &&
               (PV_HV_AREA_VA & 0x1fffff) == 0, "the area is L3[511] -> L2[510] -> L1[0]");
_Static_assert(PV_HCALL_ENTRY == PV_HV_AREA_VA + HV_ENTRY, "hypercall entry offset");
_Static_assert(HV_TSS + PV_MAX_VCPUS * HV_TSS_SIZE <= HV_IDT && HV_IDT + HV_NR_VECTORS * 16 <= HV_IOMAP &&
               HV_IOMAP + HV_IOMAP_BYTES <= HV_FAULT && PV_HV_AREA_PAGES == 1,
               "the area's page layout");
_Static_assert(HV_STACK_VA(0) == PV_HV_AREA_VA + HV_STACK_L1(0) * PAGE, "fault stacks in the slot's L1");
_Static_assert(PV_HV_AREA_VA == 0x7FFFFFC00000ULL, "hvarea_in_reporter");

extern const uint8_t hv_fault_start[], hv_fault_end[];

/* ---- descriptors ---------------------------------------------------------- */

uint64_t hv_seg_desc(bool code, int dpl)
{
	/* base 0, limit 4 GiB, present, accessed (the tables are read-only to
	 * the guest, so nothing may need to set that bit later). */
	uint64_t d = 0xffffULL | (0xfULL << 48) | (1ULL << 55) | (1ULL << 47) | (1ULL << 44);
	d |= (uint64_t)dpl << 45;
	d |= (code ? 0xbULL : 0x3ULL) << 40;
	d |= code ? 1ULL << 53 : 1ULL << 54;        /* L for code, D/B for data */
	return d;
}

/* pvmon's GDT: no call gate, no LDT, nothing a guest can load to reach
 * CPL0 but the IDT's gates. A 32-bit user code segment only where PVM's
 * fast path needs it for STAR (compat_ucs): elsewhere a guest could
 * far-jump into compatibility mode, where `syscall` on AMD enters CPL0 at
 * CSTAR. */
void hv_write_gdt(uint8_t *gdt, uint64_t tss_base, bool compat_ucs)
{
	uint64_t *g = (uint64_t *)gdt;
	memset(gdt, 0, HV_GDT_LIMIT + 1);
	g[HV_KCS / 8] = hv_seg_desc(true, 0);
	g[HV_KDS / 8] = hv_seg_desc(false, 0);
	if (compat_ucs)
		g[HV_UCS32 / 8] = (hv_seg_desc(true, 3) & ~(1ULL << 53)) | 1ULL << 54;
	g[HV_UDS / 8] = hv_seg_desc(false, 3);
	g[HV_UCS / 8] = hv_seg_desc(true, 3);
	/* 64-bit TSS descriptor (busy): only TR's cached copy is used. */
	g[HV_TSS_SEL / 8] = HV_TSS_LIMIT | ((tss_base & 0xffffff) << 16) | (0x8bULL << 40) |
	                    (((tss_base >> 24) & 0xff) << 56);
	g[HV_TSS_SEL / 8 + 1] = tss_base >> 32;
}

void hv_write_gate(uint8_t *idt, int vec, uint64_t handler, int dpl)
{
	uint64_t *e = (uint64_t *)(idt + vec * 16);
	e[0] = (handler & 0xffff) | ((uint64_t)HV_KCS << 16) | ((uint64_t)(0x8e | dpl << 5) << 40) |
	       ((handler >> 16) & 0xffff) << 48;
	e[1] = handler >> 32;
}

/* iomap: offset of the I/O bitmap from the TSS; TR's limit says whether
 * there is one (hvarea_baseline_sregs, fastpath.c). */
void hv_write_tss(uint8_t *tss, uint64_t rsp0, uint16_t iomap)
{
	memset(tss, 0, HV_TSS_SIZE);
	memcpy(tss + 4, &rsp0, 8);
	memcpy(tss + 102, &iomap, 2);
}

/* ---- the area ------------------------------------------------------------- */

static uint64_t *frame(struct domain *d, int i)
{
	return d->pool + (uint64_t)i * 512;
}

static uint64_t frame_gpa(const struct domain *d, int i)
{
	return d->pool_gpa + (uint64_t)i * PAGE;
}

/* Offset from vCPU n's TSS to the shared I/O bitmap, and that TSS's limit. */
static uint16_t iomap_of(uint32_t n)
{
	return (uint16_t)(HV_IOMAP - HV_TSS - n * HV_TSS_SIZE);
}

static uint32_t tss_limit_of(uint32_t n)
{
	return iomap_of(n) + HV_IOMAP_BYTES - 1;
}

/* Frame 0 on the baseline: the hypercall entry is the port I/O itself; the
 * I/O bitmap opens PV_HCALL_PORT and nothing else to CPL3; every exception
 * goes through a DPL0 gate to the fault reporter on the vCPU's own stack. */
static void build_baseline_page(struct domain *d)
{
	static const uint8_t entry[] = { 0xe6, PV_HCALL_PORT, 0xc3 };   /* outb %al, $0xE0; ret */
	uint8_t *p = (uint8_t *)frame(d, HV_PAGE);
	memcpy(p + HV_ENTRY, entry, sizeof(entry));
	hv_write_gdt(p + HV_GDT, PV_HV_AREA_VA + HV_TSS, false);
	for (uint32_t n = 0; n < d->nr_vcpus; n++)
		hv_write_tss(p + HV_TSS + n * HV_TSS_SIZE, HV_STACK_VA(n) + PAGE, iomap_of(n));
	for (int v = 0; v < 32; v++)
		hv_write_gate(p + HV_IDT, v, PV_HV_AREA_VA + HV_FAULT + (uint64_t)v * 16, 0);
	memset(p + HV_IOMAP, 0xff, HV_IOMAP_BYTES);
	p[HV_IOMAP + PV_HCALL_PORT / 8] &= (uint8_t)~(1u << (PV_HCALL_PORT % 8));
	memcpy(p + HV_FAULT, hv_fault_start, (size_t)(hv_fault_end - hv_fault_start));
}

void hvarea_build(struct domain *d)
{
	const uint64_t table = PTE_P | PTE_RW | PTE_US | PTE_A;
	uint8_t *p = (uint8_t *)frame(d, HV_PAGE);
	uint64_t *l3 = frame(d, HV_SLOT_L3), *l2 = frame(d, HV_SLOT_L2), *l1 = frame(d, HV_SLOT_L1);
	memset(p, 0xcc, PAGE);          /* int3 wherever nothing is written */
	memset(p + HV_GDT, 0, HV_FAULT - HV_GDT);
	memset(l3, 0, PAGE);
	memset(l2, 0, PAGE);
	memset(l1, 0, PAGE);
	l3[511] = frame_gpa(d, HV_SLOT_L2) | table;
	l2[510] = frame_gpa(d, HV_SLOT_L1) | table;
	l1[0] = frame_gpa(d, HV_PAGE) | PTE_P | PTE_US | PTE_A;        /* read-only, user: CPL3 calls the entry */
	if (!d->fp) {
		for (uint32_t n = 0; n < d->nr_vcpus; n++)     /* supervisor-only (EFER.NXE is off: no NX) */
			l1[HV_STACK_L1(n)] = (d->hv_stacks_gpa + n * PAGE) | PTE_P | PTE_RW | PTE_A | PTE_D;
		build_baseline_page(d);
	}
	d->pt.hv_l4e = frame_gpa(d, HV_SLOT_L3) | table;
}

int hvarea_stacks_layout(struct domain *d, char *err, size_t errlen)
{
	if (d->fp)
		return 0;                 /* the stub has stacks of its own */
	d->hv_stacks_gpa = (d->grant_ro_gpa + PV_GNTTAB_WINDOW_FRAMES * PAGE + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
	d->hv_stacks = mmap(NULL, d->nr_vcpus * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->hv_stacks == MAP_FAILED) {
		d->hv_stacks = NULL;
		return snprintf(err, errlen, "no memory for the fault stacks"), -ENOMEM;
	}
	return 0;
}

int hvarea_stacks_create(struct domain *d, char *err, size_t errlen)
{
	if (!d->hv_stacks)
		return 0;
	/* Writable for the CPU's exception delivery, and nameable by no guest
	 * page table: pagetable.c takes only RAM, pool and grant-window frames. */
	struct kvm_userspace_memory_region r = { .slot = SLOT_HV_PRIVATE, .guest_phys_addr = d->hv_stacks_gpa,
	                                         .memory_size = d->nr_vcpus * PAGE,
	                                         .userspace_addr = (uint64_t)d->hv_stacks };
	if (ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return snprintf(err, errlen, "fault stacks: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno)), -errno;
	return 0;
}

void hvarea_free(struct domain *d)
{
	if (d->hv_stacks)
		munmap(d->hv_stacks, d->nr_vcpus * PAGE);
	d->hv_stacks = NULL;
}

void hvarea_baseline_sregs(const struct domain *d, uint32_t n, struct kvm_sregs *s)
{
	(void)d;
	s->gdt = (struct kvm_dtable){ .base = PV_HV_AREA_VA + HV_GDT, .limit = HV_GDT_LIMIT };
	s->idt = (struct kvm_dtable){ .base = PV_HV_AREA_VA + HV_IDT, .limit = 32 * 16 - 1 };
	s->tr = (struct kvm_segment){ .base = PV_HV_AREA_VA + HV_TSS + n * HV_TSS_SIZE, .limit = tss_limit_of(n),
	                              .selector = HV_TSS_SEL, .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .unusable = 1 };
}

/* The reporter ran at CPL0 on the vCPU's fault stack; its registers carry
 * the hardware frame the CPU pushed, so the report names the guest's rip,
 * rsp and mode, not the reporter's. */
void hvarea_report(struct vcpu *v)
{
	struct domain *d = v->dom;
	const struct kvm_regs *r = &v->run->s.regs.regs;
	struct kvm_sregs s;
	/* The baseline runs the guest with IOPL 3 (TCG's emulated SVM checks
	 * the I/O bitmap only in an "available" TSS, which VT-x refuses), so
	 * guest code could write this port too: only CPL0 is the reporter. */
	if (ioctl(v->fd, KVM_GET_SREGS, &s) || (s.cs.selector & 3) || r->rax != HV_R_FAULT || r->rdi >= 32) {
		domain_crash(d, v, "I/O to port 0x%x (only `outb %%al, $0x%x` is a hypercall)", HV_REPORT_PORT,
		             PV_HCALL_PORT);
		return;
	}
	struct guest_context c = { r->rdx, r->r8, r->r9, v->user_mode ? v->user_cr3 : v->kernel_cr3, v->user_mode };
	domain_crash_at(d, v, &c, "exception %s (vector %llu) error 0x%llx address 0x%llx not handled by the guest (the baseline delivers none)",
	                fastpath_vector_name((unsigned)r->rdi), (unsigned long long)r->rdi,
	                (unsigned long long)r->rsi, (unsigned long long)r->r10);
}
