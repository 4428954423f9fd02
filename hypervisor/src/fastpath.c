/* The fast path in each domain: the frames of the entry stub (code,
 * descriptor tables, per-vCPU data and stacks, the L4 twins that pagetable.c
 * keeps), the set-up of a vCPU for it, and what the run loop does for it:
 * keep the stub's copy of pvmon's per-vCPU state, inject events while
 * guest code runs, turn the stub's reports into crash reports. Two back
 * ends share all of it: PVM (the vIF MSR puts the vCPU in PVM mode) and
 * VT-x/AMD-V (the stub is plain x86-64 at the guest's real CPL0). The stubs
 * are fastpath_stub.S, their CPU state fastpath_cpu.c, the start-up probe
 * fastpath_probe.c; the recipes and costs are in docs/architecture.md. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include "domain.h"
#include "fastpath.h"
#include "kvm.h"
#include "pvmon.h"
#include "pvtime.h"
#include "fastpath_cpu.h"

#define PAGE 4096ULL

_Static_assert(PV_HC_iret == 8 && PV_VEC_EVENT == 256 && PV_VEC_SYSCALL == 257 && PV_FRAME_USER == 1 &&
               PV_EINVAL == 22 && PV_EFAULT == 14 && offsetof(struct pv_frame, r8) == SF_R8,
               "fastpath_stub.S copies these from include/pvlab/pv.h");
_Static_assert(sizeof(struct pv_frame) == PF_SIZE && offsetof(struct pv_frame, vector) == SF_VEC &&
               offsetof(struct pv_frame, error_code) == SF_ERR && offsetof(struct pv_frame, fault_addr) == PF_ADDR &&
               offsetof(struct pv_frame, rip) == PF_RIP && offsetof(struct pv_frame, saved_mask) == PF_MASK &&
               offsetof(struct pv_frame, rdi) == SF_RDI && offsetof(struct pv_frame, rax) == SF_RAX,
               "the stub builds struct pv_frame by these offsets");
_Static_assert(sizeof(struct pv_vcpu_info) == VI_SIZE && offsetof(struct pv_vcpu_info, upcall_mask) == VI_MASK,
               "the stub reads pv_vcpu_info by these offsets");

/* pvmon's pool frames after the hypervisor area, in this order. */
enum { HV_CODE = HV_FRAMES, HV_DOMDATA = HV_CODE + FP_CODE_PAGES, HV_L3, HV_L2, HV_L1, HV_END };
#define FP_EXTRA_FRAMES (HV_END - HV_FRAMES)

struct fp_domain {
	uint8_t *priv;            /* per vCPU: vIF page, fp_percpu, stack (pvmon's view) */
	uint64_t priv_gpa, priv_size;
	uint64_t *domdata;        /* the stub's domain data (a pool frame) */
	uint8_t *hv;              /* the first hypervisor-area frame */
	/* vCPU thread only, per vCPU: what the stub was last told. */
	uint64_t ucr3_seen[PV_MAX_VCPUS], ksp_seen[PV_MAX_VCPUS];
	/* The L4 whose kernel twin the vCPU's CR3 may still hold, with a base
	 * reference of its own: a new_baseptr takes effect only when the stub
	 * reloads CR3 at the end of the hypercall, so the old L4 (and its twin,
	 * which the stub runs on until then) must keep its type that long even
	 * if nothing else holds it (it need not be pinned). */
	uint64_t cpu_l4[PV_MAX_VCPUS];
};

/* ---- domains ---------------------------------------------------------------- */

int fastpath_domain_init(struct domain *d)
{
	d->fp = NULL;
	if (fp_host.kind == FP_NONE)
		return 0;
	d->fp = calloc(1, sizeof(*d->fp));
	return d->fp ? 0 : -ENOMEM;
}

uint64_t fastpath_hv_frames(const struct domain *d)
{
	return d->fp ? FP_EXTRA_FRAMES : 0;
}

uint64_t fastpath_twin_frames(const struct domain *d)
{
	return d->fp ? 2 * d->pool_frames : 0;
}

static uint8_t *hv_frame(struct domain *d, int i)
{
	return (uint8_t *)d->pool + (uint64_t)i * PAGE;
}

static uint64_t hv_gpa(const struct domain *d, int i)
{
	return d->pool_gpa + (uint64_t)i * PAGE;
}

uint64_t *fastpath_percpu(struct domain *d, uint32_t id)
{
	return (uint64_t *)(d->fp->priv + (uint64_t)id * FP_BLOCK_PAGES * PAGE + FP_PC_OFF);
}

/* The stub's page tables: slot 511 -> L3[510] -> L2[0] -> one L1 for code,
 * domain data, shared info and the per-vCPU blocks. All entries U=1 (PVM's
 * rule for kernel mappings); the slot-511 entry decides who may use them
 * (stub_slot_flags). */
static void build_stub_tables(struct domain *d)
{
	const uint64_t t = PTE_P | PTE_RW | PTE_US | PTE_A, ro = PTE_P | PTE_US | PTE_A, rw = t | PTE_D;
	uint64_t *l3 = (uint64_t *)hv_frame(d, HV_L3), *l2 = (uint64_t *)hv_frame(d, HV_L2),
	         *l1 = (uint64_t *)hv_frame(d, HV_L1);
	memset(l3, 0, PAGE);
	memset(l2, 0, PAGE);
	memset(l1, 0, PAGE);
	l3[(FP_STUB_VA >> 30) & 511] = hv_gpa(d, HV_L2) | t;
	l2[(FP_STUB_VA >> 21) & 511] = hv_gpa(d, HV_L1) | t;
	for (int i = 0; i < FP_CODE_PAGES; i++)
		l1[i] = hv_gpa(d, HV_CODE + i) | ro;
	l1[(FP_DOMDATA_VA - FP_STUB_VA) >> 12] = hv_gpa(d, HV_DOMDATA) | ro;
	l1[(FP_SHARED_VA - FP_STUB_VA) >> 12] = GPA_SHARED_INFO | rw;
	for (uint32_t v = 0; v < d->nr_vcpus; v++)
		for (int k = 0; k < FP_BLOCK_PAGES; k++)
			l1[((FP_BLOCK(v) - FP_STUB_VA) >> 12) + k] =
			        (d->fp->priv_gpa + ((uint64_t)v * FP_BLOCK_PAGES + k) * PAGE) | rw;
}

/* The stub's frames, its per-vCPU memory and the L4 twins (no KVM yet). */
int fastpath_layout(struct domain *d, char *err, size_t errlen)
{
	struct fp_domain *f = d->fp;
	if (!f)
		return 0;
	const struct fp_stub *st = fastpath_stub_of(fp_host.kind);
	size_t code = (size_t)(st->end - st->start);
	if (code > FP_CODE_PAGES * PAGE)
		return snprintf(err, errlen, "fast path: the stub (%zu bytes) outgrew its %d pages", code,
		                FP_CODE_PAGES), -E2BIG;
	f->priv_size = (uint64_t)d->nr_vcpus * FP_BLOCK_PAGES * PAGE;
	f->priv_gpa = (d->grant_ro_gpa + PV_GNTTAB_WINDOW_FRAMES * PAGE + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
	f->priv = mmap(NULL, f->priv_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->priv == MAP_FAILED) {
		f->priv = NULL;
		return snprintf(err, errlen, "fast path: no memory for the stub's stacks"), -ENOMEM;
	}
	f->hv = hv_frame(d, 0);
	f->domdata = (uint64_t *)hv_frame(d, HV_DOMDATA);
	memset(f->domdata, 0, PAGE);
	for (int i = 0; i < FP_CODE_PAGES; i++)
		memset(hv_frame(d, HV_CODE + i), 0xcc, PAGE);    /* int3 past the end */
	memcpy(hv_frame(d, HV_CODE), st->start, code);
	build_stub_tables(d);
	uint64_t twins = d->pool_gpa + ((d->pool_frames + 1) & ~1ULL) * PAGE;
	pt_set_twins(&d->pt, d->pool + ((d->pool_frames + 1) & ~1ULL) * 512, twins,
	             hv_gpa(d, HV_L3) | fastpath_slot_flags(fp_host.kind));
	for (uint32_t v = 0; v < d->nr_vcpus; v++) {
		uint64_t *pc = fastpath_percpu(d, v);
		pc[PC_VINFO / 8] = FP_SHARED_VA + (uint64_t)v * VI_SIZE;
	}
	return 0;
}

int fastpath_memory_create(struct domain *d, char *err, size_t errlen)
{
	struct fp_domain *f = d->fp;
	if (!f)
		return 0;
	/* Writable for the stub, and nameable by no guest page table: pagetable.c
	 * takes only RAM, pool and grant-window frames. */
	struct kvm_userspace_memory_region r = { .slot = SLOT_HV_PRIVATE, .guest_phys_addr = f->priv_gpa,
	                                         .memory_size = f->priv_size, .userspace_addr = (uint64_t)f->priv };
	if (ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		return snprintf(err, errlen, "fast path: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno)), -errno;
	return 0;
}

/* The hypervisor area's page under the fast path (hvarea.c wrote the
 * rest): the hypercall entry goes through the stub, the IDT to its
 * vectors, each TSS's RSP0 to its stack; no I/O bitmap. */
void fastpath_write_hv_page(struct domain *d, uint8_t *page)
{
	static const uint8_t entry[] = { 0x0f, 0x05, 0xc3 };              /* syscall; ret */
	if (!d->fp)
		return;
	memcpy(page + HV_ENTRY, entry, sizeof(entry));
	hv_write_gdt(page + HV_GDT, PV_HV_AREA_VA + HV_TSS, fp_host.kind == FP_PVM);
	for (uint32_t v = 0; v < d->nr_vcpus; v++)
		hv_write_tss(page + HV_TSS + v * HV_TSS_SIZE, FP_BLOCK(v) + FP_STACK_TOP, HV_TSS_LIMIT + 1);   /* no I/O bitmap */
	memset(page + HV_IDT, 0, HV_NR_VECTORS * 16);
	for (int v = 0; v < HV_NR_VECTORS; v++)
		hv_write_gate(page + HV_IDT, v, STUB_VA(vectors) + (uint64_t)v * 16, 0);
}

void fastpath_domain_free(struct domain *d)
{
	if (!d->fp)
		return;
	if (d->fp->priv)
		munmap(d->fp->priv, d->fp->priv_size);
	free(d->fp);
	d->fp = NULL;
}

/* set_callbacks / set_trap_table changed what the stub bounces to. The
 * handlers were checked by the hypercalls (hypercall.c); a vector the guest
 * lets `int n` raise gets a DPL3 gate, unless the CPU pushes an error code
 * for it (`int n` there raises #GP, as without the flag). */
void fastpath_callbacks_changed(struct domain *d)
{
	struct fp_domain *f = d->fp;
	if (!f)
		return;
	__atomic_store_n(&f->domdata[DD_EVENT / 8], d->event_entry, __ATOMIC_RELEASE);
	__atomic_store_n(&f->domdata[DD_SYSCALL / 8], d->syscall_entry, __ATOMIC_RELEASE);
	for (int v = 0; v < PV_TRAP_MAX; v++) {
		__atomic_store_n(&f->domdata[DD_TRAPS / 8 + v], d->traps[v], __ATOMIC_RELEASE);
		hv_write_gate(f->hv + HV_IDT, v, STUB_VA(vectors) + (uint64_t)v * 16,
		           d->traps[v] && (d->trap_flags[v] & PV_TRAP_USER) && !((HV_ERRCODE_VECTORS >> v) & 1) ? 3 : 0);
	}
}

/* ---- vCPUs ---------------------------------------------------------------------- */

static int hold_cpu_l4(struct vcpu *v);

int fastpath_setup_vcpu(struct vcpu *v, uint64_t rip, uint64_t rsp, uint64_t rdi, uint64_t rsi)
{
	struct domain *d = v->dom;
	uint64_t root = pt_twin(&d->pt, v->kernel_cr3);
	if (!root)
		return -EINVAL;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s))
		return -errno;
	fastpath_sregs(&s, root, PV_HV_AREA_VA + HV_GDT, PV_HV_AREA_VA + HV_IDT,
	          PV_HV_AREA_VA + HV_TSS + v->id * HV_TSS_SIZE);
	uint64_t block_gpa = d->fp->priv_gpa + (uint64_t)v->id * FP_BLOCK_PAGES * PAGE;
	int rc = fastpath_msrs(v->fd, fp_host.kind, STUB_VA(lstar0) + v->id * 64, block_gpa + FP_VIF_OFF);
	if (rc)
		return rc;
	struct kvm_regs g = { .rip = STUB_VA(boot), .rsp = FP_BLOCK(v->id) + FP_STACK_TOP, .rflags = 2,
	                      .r12 = rip, .r13 = rsp, .rdi = rdi, .rsi = rsi };
	if (ioctl(v->fd, KVM_SET_SREGS, &s) || ioctl(v->fd, KVM_SET_REGS, &g))
		return -errno;
	v->run->kvm_dirty_regs = 0;
	v->run->s.regs.regs = g;
	/* pvmon's copy keeps the guest's own page table: hypercall pointers are
	 * translated through it (the twin mirrors it). */
	v->sregs = s;
	v->sregs.cr3 = v->kernel_cr3;
	v->user_mode = false;
	uint64_t *pc = fastpath_percpu(d, v->id);
	pc[PC_MODE / 8] = 0;
	pc[PC_KROOT / 8] = root;
	pc[PC_UROOT / 8] = 0;
	pc[PC_KSP / 8] = 0;
	d->fp->ucr3_seen[v->id] = d->fp->ksp_seen[v->id] = 0;
	return hold_cpu_l4(v);
}

/* Move the vCPU's own reference to the L4 its CR3 now runs on (the kernel
 * base pointer, once the stub has loaded it). */
static int hold_cpu_l4(struct vcpu *v)
{
	struct pagetable *m = &v->dom->pt;
	uint64_t *held = &v->dom->fp->cpu_l4[v->id];
	if (*held == v->kernel_cr3)
		return 0;
	pthread_mutex_lock(&m->lock);
	int rc = pt_get_base(m, v->kernel_cr3);
	if (!rc && *held)
		pt_put_base(m, *held);
	pthread_mutex_unlock(&m->lock);
	if (!rc)
		*held = v->kernel_cr3;
	return rc;
}

void fastpath_set_kernel_root(struct vcpu *v, uint64_t cr3)
{
	uint64_t *pc = fastpath_percpu(v->dom, v->id);
	v->sregs.cr3 = cr3;
	pc[PC_KROOT / 8] = pt_twin(&v->dom->pt, cr3);
	pc[PC_RELOAD / 8] = 1;
}

/* Before each KVM_RUN: the base pointer and kernel stack pvmon holds go to
 * the stub, and a deliverable event is injected while guest code runs
 * (PVM delivers interrupts in user mode whatever the vIF says). Inside the
 * stub the vIF is off: after a hypercall the stub looks for events itself;
 * anywhere else pvmon asks for the window the return to guest code opens. */
void fastpath_before_run(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct fp_domain *f = d->fp;
	uint64_t *pc = fastpath_percpu(d, v->id);
	if (v->user_cr3 != f->ucr3_seen[v->id]) {
		f->ucr3_seen[v->id] = v->user_cr3;
		pc[PC_UROOT / 8] = v->user_cr3 ? pt_twin(&d->pt, v->user_cr3) : 0;
	}
	if (v->kernel_sp != f->ksp_seen[v->id]) {
		f->ksp_seen[v->id] = v->kernel_sp;
		pc[PC_KSP / 8] = v->kernel_sp;
	}

	struct kvm_run *run = v->run;
	struct pv_vcpu_info *vi = &d->shared->vcpu[v->id];
	run->request_interrupt_window = 0;
	if (!d->event_entry || !__atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&vi->upcall_mask, __ATOMIC_SEQ_CST))
		return;
	uint64_t rip = run->s.regs.regs.rip;
	if (rip >= FP_GVA_LIMIT) {
		/* At the hypercall's `out` (before it completes, on VT-x/AMD-V)
		 * or just after it, the stub looks for events itself. */
		uint64_t ret = STUB_VA(hcall_return);
		if (rip != ret && rip + 2 != ret)
			run->request_interrupt_window = 1;
		return;
	}
	if (!run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		return;
	}
	struct kvm_interrupt irq = { .irq = FP_EVENT_VECTOR };
	if (ioctl(v->fd, KVM_INTERRUPT, &irq))
		run->request_interrupt_window = 1;
}

/* After each KVM_RUN, before its exit is served: once the stub has loaded
 * the kernel root a new_baseptr asked for, the vCPU's own reference moves
 * to it (the next hypercall may drop the old one's last other reference). */
void fastpath_after_run(struct vcpu *v)
{
	const uint64_t *pc = fastpath_percpu(v->dom, v->id);
	if (!__atomic_load_n(&pc[PC_RELOAD / 8], __ATOMIC_ACQUIRE) && hold_cpu_l4(v))
		domain_crash(v->dom, v, "cannot hold the kernel page table the vCPU runs on");
}

/* The guest context behind the vCPU's registers: guest code's own, or the
 * one the stub saved when it was entered (the outermost stub frame sits at
 * the top of the stub stack). */
void fastpath_context(struct vcpu *v, struct guest_context *c)
{
	struct domain *d = v->dom;
	const struct kvm_regs *r = &v->run->s.regs.regs;
	const uint64_t *pc = fastpath_percpu(d, v->id);
	c->rip = r->rip;
	c->rsp = r->rsp;
	c->rflags = r->rflags;
	if (r->rip >= FP_GVA_LIMIT) {
		const uint64_t *sf = (const uint64_t *)((const uint8_t *)pc - FP_PC_OFF + FP_STACK_TOP - SF_SIZE);
		c->rip = sf[SF_RIP / 8];
		c->rsp = sf[SF_RSP / 8];
		c->rflags = sf[SF_RFLAGS / 8];
	}
	c->user = pc[PC_MODE / 8] != 0;
	c->cr3 = c->user ? v->user_cr3 : v->kernel_cr3;
}

const char *fastpath_vector_name(unsigned vec)
{
	static const char *const n[32] = {
		"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS", "#NP",
		"#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
	};
	return vec < 32 && n[vec] ? n[vec] : "reserved";
}

/* An exit on HV_REPORT_PORT: something only pvmon decides. */
void fastpath_report(struct vcpu *v)
{
	struct domain *d = v->dom;
	const struct kvm_regs *r = &v->run->s.regs.regs;
	unsigned vec = (unsigned)r->rdi;
	switch (r->rax) {
	case FP_R_UNHANDLED:
		domain_crash(d, v, "exception %s (vector %u) error 0x%llx address 0x%llx with no handler registered",
		             fastpath_vector_name(vec), vec, (unsigned long long)r->rsi, (unsigned long long)r->r10);
		break;
	case FP_R_STUB_FAULT:
		if (r->r8 == FP_PHASE_PUSH)
			domain_crash(d, v, "cannot push a callback frame at 0x%llx: %s at 0x%llx in the entry stub",
			             (unsigned long long)r->r9, fastpath_vector_name(vec), (unsigned long long)r->r10);
		else
			domain_crash(d, v, "%s (vector %u, address 0x%llx) in the entry stub at +0x%llx (a stub bug)",
			             fastpath_vector_name(vec), vec, (unsigned long long)r->r10,
			             (unsigned long long)(r->rdx - FP_STUB_VA));
		break;
	case FP_R_NO_KSTACK:
		domain_crash(d, v, "callback from user mode with no kernel stack (stack_switch not called)");
		break;
	case FP_R_NO_ENTRY:
		domain_crash(d, v, "system call from user mode with no syscall entry registered");
		break;
	case FP_R_BAD_STACK:
		domain_crash(d, v, "cannot push a callback frame at 0x%llx (vector %u): outside the guest's half",
		             (unsigned long long)r->r10, vec);
		break;
	default:
		domain_crash(d, v, "the entry stub reported %llu", (unsigned long long)r->rax);
	}
}

void fastpath_stats(struct domain *d, struct fp_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!d->fp || !d->fp->priv)
		return;
	for (uint32_t v = 0; v < d->nr_vcpus; v++) {
		const uint64_t *pc = fastpath_percpu(d, v);
		s->syscalls += __atomic_load_n(&pc[PC_NSYSCALL / 8], __ATOMIC_RELAXED);
		s->traps += __atomic_load_n(&pc[PC_NTRAP / 8], __ATOMIC_RELAXED);
		s->events += __atomic_load_n(&pc[PC_NEVENT / 8], __ATOMIC_RELAXED);
		s->irets += __atomic_load_n(&pc[PC_NIRET / 8], __ATOMIC_RELAXED);
		s->cr3_loads += __atomic_load_n(&pc[PC_NCR3 / 8], __ATOMIC_RELAXED);
		s->hcalls += __atomic_load_n(&pc[PC_NHCALL / 8], __ATOMIC_RELAXED);
	}
}
