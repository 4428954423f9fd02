/* The CPU state the fast path's entry stub runs with: the two stubs'
 * bytes and entries, the long-mode segments and descriptor-table registers
 * at the stub's CPL0, and the MSRs (STAR, LSTAR, SFMASK, PVM's vIF) set
 * from user space. Shared by the vCPUs' set-up and the start-up probe. */
#include <errno.h>
#include <sys/ioctl.h>
#include "fastpath_cpu.h"
#include "hvarea.h"

extern const uint8_t fp_stub_start[], fp_stub_end[], fp_boot[], fp_lstar0[], fp_vectors[], fp_hcall_return[];
extern const uint8_t fp_probe_lstar[], fp_probe_trap[], fp_probe_user[], fp_probe_ud[];
extern const uint8_t fp_hw_stub_start[], fp_hw_stub_end[], fp_hw_boot[], fp_hw_lstar0[], fp_hw_vectors[],
        fp_hw_hcall_return[];
extern const uint8_t fp_hw_probe_lstar[], fp_hw_probe_trap[], fp_hw_probe_user[], fp_hw_probe_ud[];

static const struct fp_stub pvm_stub = {
	fp_stub_start, fp_stub_end, fp_boot, fp_lstar0, fp_vectors, fp_hcall_return,
	fp_probe_lstar, fp_probe_trap, fp_probe_user, fp_probe_ud,
};
static const struct fp_stub hw_stub = {
	fp_hw_stub_start, fp_hw_stub_end, fp_hw_boot, fp_hw_lstar0, fp_hw_vectors, fp_hw_hcall_return,
	fp_hw_probe_lstar, fp_hw_probe_trap, fp_hw_probe_user, fp_hw_probe_ud,
};

const struct fp_stub *fastpath_stub_of(int kind)
{
	return kind == FP_PVM ? &pvm_stub : &hw_stub;
}

static void set_kseg(struct kvm_segment *s, uint16_t sel, bool code)
{
	*s = (struct kvm_segment){ .limit = 0xffffffff, .selector = sel, .type = code ? 11 : 3, .present = 1,
	                           .dpl = 0, .s = 1, .l = code, .db = !code, .g = 1 };
}

void fastpath_sregs(struct kvm_sregs *s, uint64_t cr3, uint64_t gdt, uint64_t idt, uint64_t tss)
{
	s->cr0 = 0x80050033;          /* PG AM WP NE ET MP PE */
	s->cr3 = cr3;
	s->cr4 = 0x620;               /* PAE OSFXSR OSXMMEXCPT */
	s->efer = 0xd01;              /* NXE LMA LME SCE */
	set_kseg(&s->cs, HV_KCS, true);
	set_kseg(&s->ss, HV_KDS, false);
	s->ds = s->es = s->fs = s->gs = s->ss;
	s->gdt = (struct kvm_dtable){ .base = gdt, .limit = HV_GDT_LIMIT };
	s->idt = (struct kvm_dtable){ .base = idt, .limit = HV_NR_VECTORS * 16 - 1 };
	s->tr = (struct kvm_segment){ .base = tss, .limit = HV_TSS_LIMIT, .selector = HV_TSS_SEL,
	                              .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .unusable = 1 };
}

/* KVM_SET_MSRS or KVM_GET_MSRS of n (at most 8) MSRs: 0 when all were done. */
static int msrs(int fd, unsigned long req, const uint32_t *idx, uint64_t *val, int n)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e[8]; } m = { .h.nmsrs = (uint32_t)n };
	for (int i = 0; i < n; i++)
		m.e[i] = (struct kvm_msr_entry){ .index = idx[i], .data = val[i] };
	int rc = ioctl(fd, req, &m);
	for (int i = 0; req == KVM_GET_MSRS && i < n; i++)
		val[i] = m.e[i].data;
	return rc == n ? 0 : rc < 0 ? -errno : -EIO;
}

int fastpath_set_msrs(int fd, const uint32_t *idx, const uint64_t *val, int n)
{
	uint64_t v[8];
	for (int i = 0; i < n; i++)
		v[i] = val[i];
	return msrs(fd, KVM_SET_MSRS, idx, v, n);
}

int fastpath_get_msrs(int fd, const uint32_t *idx, uint64_t *val, int n)
{
	return msrs(fd, KVM_GET_MSRS, idx, val, n);
}

int fastpath_get_msr(int fd, uint32_t idx, uint64_t *val)
{
	*val = 0;
	return msrs(fd, KVM_GET_MSRS, &idx, val, 1);
}

int fastpath_msrs(int fd, int kind, uint64_t lstar, uint64_t vif_gpa)
{
	const uint32_t idx[4] = { MSR_STAR, MSR_LSTAR, MSR_SFMASK, MSR_PVM_VIF };
	const uint64_t val[4] = { ((uint64_t)HV_UCS32 << 48) | ((uint64_t)HV_KCS << 32), lstar, SFMASK_VAL,
	                          vif_gpa | PVM_VIF_HOST | PVM_VIF_FLAGS };
	return fastpath_set_msrs(fd, idx, val, kind == FP_PVM ? 4 : 3);
}

