/* fastpath.c and the L4-twin rule of pagetable.c without KVM: the mode option,
 * what a baseline and a fast-path domain's memory look like (hypercall
 * entry, descriptor tables, the stub's page tables, twins kept in step and
 * out of the guest's reach), the run loop's event decisions and the guest
 * context a crash report names, for the PVM and the VT-x/AMD-V stub. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "fakedom.h"
#include "../../hypervisor/src/fastpath.h"

extern const uint8_t fp_stub_start[], fp_stub_end[], fp_lstar0[], fp_vectors[], fp_hcall_return[];
extern const uint8_t fp_hw_stub_start[], fp_hw_stub_end[], fp_hw_lstar0[], fp_hw_vectors[], fp_hw_hcall_return[];

/* The stub the domain under test must carry. */
static struct {
	const uint8_t *start, *end, *lstar0, *vectors, *hcall_return;
} st;

static void use_kind(int kind)
{
	fp_host.kind = kind;
	if (kind == FP_PVM) {
		st.start = fp_stub_start, st.end = fp_stub_end, st.lstar0 = fp_lstar0;
		st.vectors = fp_vectors, st.hcall_return = fp_hcall_return;
	} else {
		st.start = fp_hw_stub_start, st.end = fp_hw_stub_end, st.lstar0 = fp_hw_lstar0;
		st.vectors = fp_hw_vectors, st.hcall_return = fp_hw_hcall_return;
	}
}

#define RW (PTE_P | PTE_RW | PTE_US)

static uint64_t *frame(struct domain *d, uint64_t gpa)   /* pvmon's view of a pool-slot frame */
{
	return d->pool + (gpa - d->pool_gpa) / 8;
}

static void consistent(struct domain *d, int line)
{
	char why[256];
	int rc = pt_check(&d->pt, why, sizeof(why));
	if (rc)
		fprintf(stderr, "line %d: %s\n", line, why);
	CHECK_EQ(rc, 0);
}
#define CONSISTENT(d) consistent(d, __LINE__)

static void test_mode(void)
{
	unsetenv("PVLAB_FAST_PATH");
	CHECK_EQ(fastpath_set_mode(NULL), 0);
	CHECK(!fp_host.forced_off);
	CHECK_EQ(fastpath_set_mode("off"), 0);
	CHECK(fp_host.forced_off);
	CHECK_EQ(fastpath_set_mode("auto"), 0);
	CHECK(!fp_host.forced_off);
	CHECK_EQ(fastpath_set_mode("on"), -EINVAL);
	setenv("PVLAB_FAST_PATH", "off", 1);
	CHECK_EQ(fastpath_set_mode(NULL), 0);
	CHECK(fp_host.forced_off);
	setenv("PVLAB_FAST_PATH", "maybe", 1);
	CHECK_EQ(fastpath_set_mode(NULL), -EINVAL);
	unsetenv("PVLAB_FAST_PATH");
	CHECK_STR(fastpath_info(), "none (not probed)");
}

static void test_baseline(void)
{
	fp_host.kind = FP_NONE;
	struct domain *d = fakedom(1, 16);
	CHECK(!d->fp);
	CHECK_EQ(d->hv_frames, HV_FRAMES);
	CHECK_EQ(d->pool_slot_size, d->pool_frames * 4096);
	const uint8_t *entry = (const uint8_t *)d->pool + (PV_HCALL_ENTRY - PV_HV_AREA_VA);
	CHECK(entry[0] == 0xe6 && entry[1] == PV_HCALL_PORT && entry[2] == 0xc3);   /* outb; ret */
	CHECK_EQ(pt_twin(&d->pt, d->vcpus[0].kernel_cr3), 0);
	CONSISTENT(d);
}

static void test_layout(struct domain *d)
{
	CHECK(d->fp != NULL);
	CHECK_EQ(d->hv_frames, HV_FRAMES + 6);
	const uint8_t *hv = (const uint8_t *)d->pool;
	CHECK(hv[HV_ENTRY] == 0x0f && hv[HV_ENTRY + 1] == 0x05 && hv[HV_ENTRY + 2] == 0xc3);  /* syscall; ret */
	CHECK((size_t)(st.end - st.start) <= FP_CODE_PAGES * 4096);
	CHECK(!memcmp(hv + HV_FRAMES * 4096, st.start, (size_t)(st.end - st.start)));
	CHECK(st.vectors - st.lstar0 > (PV_MAX_VCPUS - 1) * 64); /* one 64-byte trampoline a vCPU */
	/* IDT: every vector to its 16-byte entry, kernel CS, DPL 0 until told. */
	const uint64_t *idt = (const uint64_t *)(hv + HV_IDT);
	int gates_ok = 1;
	for (int v = 0; v < HV_NR_VECTORS; v++) {
		uint64_t want = FP_STUB_VA + (uint64_t)(st.vectors - st.start) + 16 * (uint64_t)v;
		uint64_t off = (idt[2 * v] & 0xffff) | ((idt[2 * v] >> 48) << 16) | (idt[2 * v + 1] << 32);
		gates_ok &= off == want && ((idt[2 * v] >> 16) & 0xffff) == HV_KCS && ((idt[2 * v] >> 45) & 3) == 0;
	}
	CHECK(gates_ok);
	const uint64_t *gdt = (const uint64_t *)(hv + HV_GDT);
	CHECK(((gdt[HV_KCS / 8] >> 45) & 3) == 0 && (gdt[HV_KCS / 8] >> 53 & 1));   /* 64-bit, DPL 0 */
	CHECK(((gdt[HV_UCS / 8] >> 45) & 3) == 3 && (gdt[HV_UCS / 8] >> 53 & 1));
	/* No 32-bit user code segment under VT-x/AMD-V: no way into compat mode. */
	CHECK_EQ(gdt[HV_UCS32 / 8] == 0, fp_host.kind != FP_PVM);
	uint64_t rsp0;
	memcpy(&rsp0, hv + HV_TSS + 4, 8);
	CHECK_EQ(rsp0, FP_BLOCK(0) + FP_STACK_TOP);

	/* The twins: after the pool, 8 KiB aligned, outside what the guest may name. */
	uint64_t l4 = d->vcpus[0].kernel_cr3, k = pt_twin(&d->pt, l4);
	CHECK(k != 0 && (k & 0x1fff) == 0);
	CHECK(k >= d->pool_gpa + d->pool_frames * 4096 && k + 8192 <= d->pool_gpa + d->pool_slot_size);
	const uint64_t *g = frame(d, l4), *kt = frame(d, k), *ut = frame(d, k + 4096);
	CHECK(!memcmp(g, kt, 256 * 8) && !memcmp(g, ut, 256 * 8));
	CHECK(kt[511] & PTE_P);
	CHECK_EQ(ut[511], 0);
	/* PVM hides the upper half from CPL3 itself and wants U=1; on VT-x/
	 * AMD-V the slot is supervisor-only, or guest code could write the
	 * stub's per-vCPU data (the roots it loads). */
	CHECK_EQ(!!(kt[511] & PTE_US), fp_host.kind == FP_PVM);
	CHECK_EQ(pt_twin(&d->pt, l4 + 8), 0);                /* not a frame address */
	CONSISTENT(d);

	/* The stub's tables: code and domain data read-only, the per-vCPU
	 * block writable and in frames of the private slot; all U=1. */
	const uint64_t *l3 = frame(d, kt[511] & PTE_ADDR);
	const uint64_t *l2 = frame(d, l3[510] & PTE_ADDR), *l1 = frame(d, l2[0] & PTE_ADDR);
	CHECK((l1[0] & (PTE_P | PTE_RW | PTE_US)) == (PTE_P | PTE_US));
	CHECK((l1[(FP_DOMDATA_VA - FP_STUB_VA) >> 12] & PTE_RW) == 0);
	CHECK((l1[(FP_SHARED_VA - FP_STUB_VA) >> 12] & PTE_ADDR) == GPA_SHARED_INFO);
	uint64_t blk = l1[(FP_BLOCK(0) - FP_STUB_VA) >> 12];
	CHECK((blk & (PTE_P | PTE_RW | PTE_US)) == RW);
	uint64_t priv = blk & PTE_ADDR;
	CHECK(priv >= d->grant_ro_gpa + PV_GNTTAB_WINDOW_FRAMES * 4096);

	/* The guest can name neither the twins nor the stub's private frames,
	 * nor write a twin through mmu_update. */
	uint64_t l1f = d->pool_gpa + (d->pool_frames - 1) * 4096;    /* free pool frames: the last ones */
	CHECK_EQ(pt_update(&d->pt, l1f, k | RW), 0);                /* free: stored as is */
	CHECK_EQ(pt_pin(&d->pt, l1f, PT_L1), -EINVAL);
	CHECK_EQ(pt_update(&d->pt, l1f, 0), 0);
	CHECK_EQ(pt_update(&d->pt, l1f, priv | RW), 0);
	CHECK_EQ(pt_pin(&d->pt, l1f, PT_L1), -EINVAL);
	CHECK_EQ(pt_update(&d->pt, l1f, 0), 0);
	CHECK_EQ(pt_update(&d->pt, k, 0), -EFAULT);
	CHECK_EQ(pt_update(&d->pt, l4 + 8 * 5, k | RW), -EINVAL);   /* a twin as an L3 */
	CONSISTENT(d);

	/* Every change of a typed L4 reaches both twins; dropping the type
	 * clears them. */
	uint64_t l3f = d->pool_gpa + (d->pool_frames - 2) * 4096;
	CHECK_EQ(pt_update(&d->pt, l4 + 8 * 5, l3f | RW), 0);
	CHECK_EQ(kt[5], g[5]);
	CHECK_EQ(ut[5], g[5]);
	CONSISTENT(d);
	CHECK_EQ(pt_update(&d->pt, l4 + 8 * 5, 0), 0);
	CHECK_EQ(kt[5], 0);
	CHECK_EQ(ut[5], 0);
	uint64_t l4b = d->pool_gpa + (d->pool_frames - 3) * 4096;
	CHECK_EQ(pt_update(&d->pt, l4b, g[0]), 0);
	CHECK_EQ(pt_pin(&d->pt, l4b, PT_L4), 0);
	uint64_t kb = pt_twin(&d->pt, l4b);
	CHECK(kb && kb != k && frame(d, kb)[0] == frame(d, l4b)[0] && frame(d, kb)[511] == kt[511]);
	CONSISTENT(d);
	CHECK_EQ(pt_unpin(&d->pt, l4b), 0);
	CHECK_EQ(pt_twin(&d->pt, l4b), 0);
	CHECK_EQ(frame(d, kb)[0], 0);
	CHECK_EQ(frame(d, kb)[511], 0);
	CONSISTENT(d);
	/* A twin that drifts from its L4 is found. */
	uint64_t *kw = frame(d, k);
	kw[7] = 0x5000 | RW;
	char why[256];
	CHECK_EQ(pt_check(&d->pt, why, sizeof(why)), -EIO);
	kw[7] = 0;
	CONSISTENT(d);
}

/* set_callbacks / set_trap_table reach the stub's data and the IDT: a
 * vector the guest lets `int n` raise gets a DPL3 gate, others stay 0. */
static void test_callbacks(struct domain *d)
{
	d->event_entry = 0x100000;
	d->syscall_entry = 0x100010;
	d->traps[3] = 0x100020;
	d->trap_flags[3] = PV_TRAP_USER;
	d->traps[14] = 0x100030;
	d->trap_flags[5] = PV_TRAP_USER;          /* flag without a handler: no gate for it */
	d->trap_flags[14] = PV_TRAP_USER;         /* #PF has an error code `int $14` would not push */
	fastpath_callbacks_changed(d);
	const uint64_t *dd = d->pool + (HV_FRAMES + FP_CODE_PAGES) * 512;
	CHECK_EQ(dd[DD_EVENT / 8], 0x100000);
	CHECK_EQ(dd[DD_SYSCALL / 8], 0x100010);
	CHECK_EQ(dd[DD_TRAPS / 8 + 3], 0x100020);
	CHECK_EQ(dd[DD_TRAPS / 8 + 14], 0x100030);
	CHECK_EQ(dd[DD_TRAPS / 8 + 6], 0);
	const uint64_t *idt = (const uint64_t *)((const uint8_t *)d->pool + HV_IDT);
	CHECK_EQ((idt[2 * 3] >> 45) & 3, 3);
	CHECK_EQ((idt[2 * 5] >> 45) & 3, 0);
	CHECK_EQ((idt[2 * 14] >> 45) & 3, 0);
	d->traps[4] = 0x100040;
	d->trap_flags[4] = PV_TRAP_USER;
	fastpath_callbacks_changed(d);
	CHECK_EQ((idt[2 * 4] >> 45) & 3, 3);
	CHECK_EQ((idt[2 * 14] >> 45) & 3, 0);
}

static void test_run_loop(struct domain *d, uint64_t *pc, struct kvm_run *run)
{
	struct vcpu *v = &d->vcpus[0];
	struct pv_vcpu_info *vi = &d->shared->vcpu[0];
	v->fd = -1;                               /* KVM_INTERRUPT fails: the window is asked for */
	/* pvmon's base pointers and kernel stack reach the stub. */
	v->user_cr3 = d->vcpus[0].kernel_cr3;
	v->kernel_sp = 0x123000;
	run->s.regs.regs.rip = 0x100000;
	vi->upcall_pending = 0;
	fastpath_before_run(v);
	CHECK_EQ(pc[PC_UROOT / 8], pt_twin(&d->pt, v->user_cr3));
	CHECK_EQ(pc[PC_KSP / 8], 0x123000);
	CHECK_EQ(run->request_interrupt_window, 0);
	/* An event while guest code runs: injected (here refused: the window). */
	vi->upcall_pending = 1;
	vi->upcall_mask = 0;
	run->ready_for_interrupt_injection = 1;
	fastpath_before_run(v);
	CHECK_EQ(run->request_interrupt_window, 1);
	/* Masked: nothing. */
	vi->upcall_mask = 1;
	fastpath_before_run(v);
	CHECK_EQ(run->request_interrupt_window, 0);
	vi->upcall_mask = 0;
	/* After a hypercall the stub looks itself; anywhere else in the stub
	 * the window brings the vCPU back once guest code runs. */
	run->s.regs.regs.rip = FP_STUB_VA + (uint64_t)(st.hcall_return - st.start);
	fastpath_before_run(v);
	CHECK_EQ(run->request_interrupt_window, 0);
	run->s.regs.regs.rip -= 2;                /* VT-x/AMD-V: still at the `out` */
	fastpath_before_run(v);
	CHECK_EQ(run->request_interrupt_window, 0);
	run->s.regs.regs.rip = FP_STUB_VA + 0x10;
	fastpath_before_run(v);
	CHECK_EQ(run->request_interrupt_window, 1);
	vi->upcall_pending = 0;
	/* new_baseptr: the stub reloads the kernel root at the end of the call. */
	fastpath_set_kernel_root(v, v->kernel_cr3);
	CHECK_EQ(pc[PC_RELOAD / 8], 1);
	CHECK_EQ(pc[PC_KROOT / 8], pt_twin(&d->pt, v->kernel_cr3));
	CHECK_EQ(v->sregs.cr3, v->kernel_cr3);    /* pvmon translates through the guest's own table */
}

/* A crash report names guest code's context: the registers when guest
 * code exited, the outermost stub frame when the stub did. */
static void test_context(struct domain *d, uint64_t *pc, struct kvm_run *run)
{
	struct vcpu *v = &d->vcpus[0];
	struct guest_context c;
	run->s.regs.regs.rip = 0x104000;
	run->s.regs.regs.rsp = 0x140000;
	pc[PC_MODE / 8] = 0;
	fastpath_context(v, &c);
	CHECK_EQ(c.rip, 0x104000);
	CHECK_EQ(c.rsp, 0x140000);
	CHECK(!c.user);
	CHECK_EQ(c.cr3, v->kernel_cr3);
	uint64_t *sf = (uint64_t *)((uint8_t *)pc - FP_PC_OFF + FP_STACK_TOP - SF_SIZE);
	sf[SF_RIP / 8] = 0x8000001000;
	sf[SF_RSP / 8] = 0x8000fff0;
	run->s.regs.regs.rip = FP_STUB_VA + 0x200;
	pc[PC_MODE / 8] = 1;
	v->user_cr3 = 0x4321000;
	fastpath_context(v, &c);
	CHECK_EQ(c.rip, 0x8000001000);
	CHECK_EQ(c.rsp, 0x8000fff0);
	CHECK(c.user);
	CHECK_EQ(c.cr3, 0x4321000);
	CHECK_STR(fastpath_vector_name(14), "#PF");
	CHECK_STR(fastpath_vector_name(40), "reserved");
}

/* Nested paging (host.tdp): the pool slot is writable, so the guest's own
 * map of the pool is read-only, no L1 entry may map a pool frame writable,
 * and no entry the CPU walks (guest tables, twins, the stub's tables) is
 * missing an accessed or dirty bit the walker would write into the pool. */
static uint64_t leaf(struct domain *d, uint64_t l4, uint64_t va)
{
	uint64_t e = l4 | PTE_P;
	for (int level = 4; level >= 1 && (e & PTE_P); level--)
		e = frame(d, e & PTE_ADDR)[(va >> (12 + 9 * (level - 1))) & 511];
	return e;
}

static void test_tdp(void)
{
	use_kind(FP_SVM);
	host.tdp = true;
	struct domain *d = fakedom(4, 16);        /* ids 1..3 are the other tests' */
	CHECK(d->pt.ro_pool_maps);
	uint64_t l4 = d->vcpus[0].kernel_cr3;
	int ro = 1, ram_rw = 1;
	for (uint64_t a = d->pool_gpa; a < d->pool_gpa + d->pool_frames * 4096; a += 4096)
		ro &= (leaf(d, l4, a) & (PTE_P | PTE_RW | PTE_ADDR)) == (a | PTE_P);
	for (uint64_t a = 0; a < d->mem_size; a += 64 * 4096)
		ram_rw &= (leaf(d, l4, a) & (PTE_P | PTE_RW)) == (PTE_P | PTE_RW);
	CHECK(ro);
	CHECK(ram_rw);
	CONSISTENT(d);
	int nothing_to_write = 1;
	uint64_t slot_frames = d->pool_slot_size / 4096;
	for (uint64_t f = 0; f < slot_frames; f++) {
		bool typed = f < d->pool_frames && d->pt.pf[f].type >= PT_L1 && d->pt.pf[f].type <= PT_L4;
		/* the hypervisor area's slot tables, the stub's L3, L2, L1 */
		bool stub = (f >= HV_SLOT_L3 && f <= HV_SLOT_L1) || (f + 3 >= d->hv_frames && f < d->hv_frames);
		if (!typed && !stub && f < d->pool_frames)
			continue;                            /* free pool frames and code: never walked */
		const uint64_t *t = d->pool + f * 512;
		bool l1 = (typed && d->pt.pf[f].type == PT_L1) || f == d->hv_frames - 1 || f == HV_SLOT_L1;
		for (int i = 0; i < 512; i++)
			if (t[i] & PTE_P)
				nothing_to_write &= (t[i] & PTE_A) && (!l1 || !(t[i] & PTE_RW) || (t[i] & PTE_D));
	}
	CHECK(nothing_to_write);
	uint64_t l1e = d->pool_gpa + (d->pool_frames - 1) * 4096, k = pt_twin(&d->pt, l4);
	CHECK_EQ(pt_pin(&d->pt, l1e, PT_L1), 0);
	CHECK_EQ(pt_update(&d->pt, l1e, l4 | RW), -EPERM);             /* a live L4, writable */
	CHECK_EQ(pt_update(&d->pt, l1e, d->pool_gpa | RW), -EPERM);    /* the hypervisor area */
	CHECK_EQ(pt_update(&d->pt, l1e + 8, l4 | PTE_P | PTE_US), 0);  /* read-only: fine */
	CHECK_EQ(pt_update(&d->pt, l1e + 16, k | PTE_P | PTE_US), -EINVAL);   /* a twin: never */
	CONSISTENT(d);
	CHECK_EQ(pt_update(&d->pt, l1e + 8, 0), 0);
	CHECK_EQ(pt_unpin(&d->pt, l1e), 0);
	CONSISTENT(d);
	host.tdp = false;
}

int main(void)
{
	test_mode();
	test_baseline();
	test_tdp();
	const int kinds[] = { FP_PVM, FP_SVM };
	for (int i = 0; i < 2; i++) {
		use_kind(kinds[i]);
		struct domain *d = fakedom(2 + (uint32_t)i, 16);   /* in host.domains: not a leak */
		d->shared = (struct pv_shared_info *)(d->mem + GPA_SHARED_INFO);
		test_layout(d);
		test_callbacks(d);
		struct kvm_run *run = calloc(1, sizeof(*run));
		d->vcpus[0].run = run;
		d->vcpus[0].id = 0;
		uint64_t *pc = fastpath_percpu(d, 0);
		test_run_loop(d, pc, run);
		test_context(d, pc, run);
		free(run);
	}
	fp_host.kind = FP_NONE;
	return CHECK_DONE();
}
