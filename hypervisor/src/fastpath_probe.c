/* The fast path's start-up probe: which back end this host's KVM offers
 * (PVM, VT-x, AMD-V), tried with a scratch guest of its own through that
 * back end's stub, and the line `pvmon info` prints; --fast-path off. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include "fastpath_cpu.h"
#include "hvarea.h"
#include "kvm.h"
#include "pvmon.h"
#include "pvtime.h"

#define PAGE 4096ULL

struct fp_host fp_host;

int fastpath_set_mode(const char *mode)
{
	if (!mode)
		mode = getenv("PVLAB_FAST_PATH");
	if (!mode || !*mode || !strcmp(mode, "auto"))
		fp_host.forced_off = false;
	else if (!strcmp(mode, "off"))
		fp_host.forced_off = true;
	else
		return -EINVAL;
	return 0;
}

/* ---- the probe ------------------------------------------------------------ */

/* The probe's guest, identity-mapped below 4 MiB, the stub's code seen at
 * FP_STUB_VA through slot 511 of the kernel root only. */
#define PR_MEM    (4ULL << 20)
#define PR_IDT    0x1000
#define PR_GDT    0x2000
#define PR_TSS    0x2100
#define PR_VIF    0x3000
#define PR_L4     0x4000              /* kernel root; its user root is 0x5000 */
#define PR_L3     0x6000
#define PR_L2     0x7000
#define PR_L3TOP  0x8000
#define PR_L2TOP  0x9000
#define PR_CODE   0x10000
#define PR_STACK  0x31000             /* stub stack top, seen in the upper half */
#define PR_USTACK 0x80000

struct probe {
	struct kvm_scratch k;
	struct kvm_stats st;
	int kind;
	const struct fp_stub *stub;
};

static void probe_close(struct probe *p)
{
	kvm_stats_close(&p->st);
	kvm_scratch_close(&p->k);
}

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

static void probe_layout(const struct probe *p)
{
	uint8_t *m = p->k.mem;
	const struct fp_stub *st = p->stub;
	const uint64_t t = PTE_P | PTE_RW | PTE_US | PTE_A, big = t | PTE_D | PTE_PS;
	put64(m, PR_L4, PR_L3 | t);
	put64(m, PR_L4 + 0x1000, PR_L3 | t);
	put64(m, PR_L4 + 511 * 8, PR_L3TOP | fastpath_slot_flags(p->kind));
	put64(m, PR_L3, PR_L2 | t);
	put64(m, PR_L2, 0 | big);
	put64(m, PR_L2 + 8, 0x200000 | big);
	put64(m, PR_L3TOP + 510 * 8, PR_L2TOP | t);
	put64(m, PR_L2TOP, 0 | big);
	hv_write_gdt(m + PR_GDT, PR_TSS, p->kind == FP_PVM);
	hv_write_tss(m + PR_TSS, FP_STUB_VA + PR_STACK, HV_TSS_LIMIT + 1);
	memcpy(m + PR_CODE, st->start, (size_t)(st->end - st->start));
	for (int v = 0; v < 32; v++)
		hv_write_gate(m + PR_IDT, v, FP_STUB_VA + PR_CODE + STUB_OFF(st, probe_trap), 0);
}

static int probe_open(struct probe *p, int kind, char *why, size_t n)
{
	p->st.fd = -1;
	p->kind = kind;
	p->stub = fastpath_stub_of(kind);
	int rc = kvm_scratch_open(&p->k, PR_MEM, why, n);
	if (rc)
		return rc;
	probe_layout(p);
	kvm_stats_open(&p->st, p->k.cpu);
	return 0;
}

/* The MSRs of the probe's vCPU. On PVM: is this the PVM whose interface
 * pvmon speaks, and does it take our vIF? */
static int probe_msrs(struct probe *p, char *why, size_t n)
{
	uint64_t sig = 0, feat = 0, lstar = FP_STUB_VA + PR_CODE + STUB_OFF(p->stub, probe_lstar);
	if (p->kind != FP_PVM) {
		int rc = fastpath_msrs(p->k.cpu, p->kind, lstar, 0);
		if (rc)
			snprintf(why, n, "KVM_SET_MSRS (STAR, LSTAR, SFMASK): %s", strerror(-rc));
		return rc;
	}
	if (fastpath_get_msr(p->k.cpu, MSR_PVM_SIGNATURE, &sig) || sig != PVM_SIGNATURE)
		return snprintf(why, n, "MSR 0x%x reads 0x%llx, not the PVM signature 0x%x (another PVM variant)",
		                MSR_PVM_SIGNATURE, (unsigned long long)sig, PVM_SIGNATURE), -ENOTSUP;
	if (fastpath_get_msr(p->k.cpu, MSR_PVM_FEATURES, &feat) || (feat & PVM_VIF_FLAGS) != PVM_VIF_FLAGS)
		return snprintf(why, n, "PVM feature MSR 0x%llx lacks 0x%x (native CPL0, root pairs, ERETU)",
		                (unsigned long long)feat, PVM_VIF_FLAGS), -ENOTSUP;
	fp_host.features = feat;
	int rc = fastpath_msrs(p->k.cpu, p->kind, lstar, PR_VIF);
	if (rc)
		return snprintf(why, n, "KVM_SET_MSRS (STAR, LSTAR, SFMASK, vIF): %s", strerror(-rc)), rc;
	return 0;
}

static int probe_regs(struct probe *p, unsigned long iters, unsigned long cr3s, char *why, size_t n)
{
	struct kvm_sregs s;
	if (ioctl(p->k.cpu, KVM_GET_SREGS, &s))
		return snprintf(why, n, "KVM_GET_SREGS: %s", strerror(errno)), -errno;
	fastpath_sregs(&s, PR_L4, PR_GDT, PR_IDT, PR_TSS);
	uint64_t user = PR_CODE + STUB_OFF(p->stub, probe_user);
	struct kvm_regs g = { .rip = FP_STUB_VA + PR_CODE + STUB_OFF(p->stub, boot),
	                      .rsp = FP_STUB_VA + PR_STACK, .rflags = 2, .r12 = user, .r13 = PR_USTACK,
	                      .rdi = iters, .rsi = cr3s, .r10 = PR_L4 };
	if (ioctl(p->k.cpu, KVM_SET_SREGS, &s) || ioctl(p->k.cpu, KVM_SET_REGS, &g))
		return snprintf(why, n, "probe registers: %s", strerror(errno)), -errno;
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Run the probe guest to its report; a timer makes sure a guest that never
 * gets there cannot hang pvmon. */
static int probe_run(struct probe *p, struct kvm_regs *out, char *why, size_t n)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	struct itimerval it = { { 0, 200000 }, { 0, 200000 } }, off = { 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	uint64_t t0 = time_mono_ns();
	int rc = 0;
	for (;;) {
		if (ioctl(p->k.cpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && time_mono_ns() - t0 < 5000000000ULL)
				continue;
			rc = errno == EINTR ? -ETIMEDOUT : -errno;
			snprintf(why, n, "probe guest: %s", errno == EINTR ? "no report within 5 s" : strerror(errno));
			break;
		}
		struct kvm_run *r = p->k.run;
		if (r->exit_reason == KVM_EXIT_IO && r->io.port == HV_REPORT_PORT) {
			if (ioctl(p->k.cpu, KVM_GET_REGS, out))
				rc = -errno;
			break;
		}
		rc = -EIO;
		snprintf(why, n, "probe guest stopped with exit reason %u%s", r->exit_reason,
		         r->exit_reason != KVM_EXIT_SHUTDOWN ? ""
		         : p->kind == FP_PVM                 ? " (triple fault: PVM mode not entered)"
		                                             : " (triple fault)");
		break;
	}
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	return rc;
}

/* Run the probe guest through the stub of one back end: syscalls into the
 * stub and back, syscalls that also load CR3, then a ud2 whose #UD must
 * reach the stub's IDT with the right rip. */
static int probe_kind(int kind, unsigned long iters, char *why, size_t n)
{
	unsigned long cr3s = iters / 10 ? iters / 10 : 1;
	struct probe p;
	int rc = probe_open(&p, kind, why, n);
	if (!rc)
		rc = probe_msrs(&p, why, n);
	if (!rc)
		rc = probe_regs(&p, iters, cr3s, why, n);
	uint64_t k0[KS_NR], k1[KS_NR];
	kvm_stats_read(&p.st, k0);
	struct kvm_regs g;
	if (!rc)
		rc = probe_run(&p, &g, why, n);
	kvm_stats_read(&p.st, k1);
	uint64_t ud = PR_CODE + STUB_OFF(p.stub, probe_ud);
	if (!rc && (g.rax != FP_R_PROBE || g.rcx != ud || g.r12 != 0)) {
		rc = -EIO;
		snprintf(why, n, "probe guest reported rip 0x%llx (expected the ud2 at 0x%llx after its loops)",
		         (unsigned long long)g.rcx, (unsigned long long)ud);
	}
	uint64_t emulated = k1[KS_INSN_EMULATION] - k0[KS_INSN_EMULATION];
	if (!rc && p.st.fd >= 0 && emulated > iters / 2) {
		rc = -ENOTSUP;
		snprintf(why, n, "%llu instructions emulated for %lu system calls: CPL0 is not native",
		         (unsigned long long)emulated, iters);
	}
	if (!rc && host.tsc_khz) {
		fp_host.syscall_us = (double)g.r14 / (double)iters / (double)host.tsc_khz * 1000.0;
		fp_host.cr3_us = (double)g.r15 / (double)cr3s / (double)host.tsc_khz * 1000.0 - fp_host.syscall_us;
	}
	probe_close(&p);
	return rc;
}

void fastpath_probe(unsigned long iters)
{
	bool off = fp_host.forced_off;
	memset(&fp_host, 0, sizeof(fp_host));
	fp_host.forced_off = off;
	const char *be = kvm_backend();
	int kind = FP_SVM;                 /* kvm_backend() names a kind as fastpath_kind_name does */
	while (kind > FP_NONE && strcmp(be, fastpath_kind_name(kind)))
		kind--;
	char why[160] = "";
	if (kind == FP_NONE) {
		snprintf(fp_host.why, sizeof(fp_host.why), "no fast-path back end for this KVM (%s)", be);
		return;
	}
	if (probe_kind(kind, iters ? iters : 64, why, sizeof(why))) {
		snprintf(fp_host.why, sizeof(fp_host.why), "%s probe failed: %s", fastpath_kind_name(kind), why);
		return;
	}
	fp_host.found = kind;
	if (off) {
		snprintf(fp_host.why, sizeof(fp_host.why),
		         "turned off by --fast-path off or PVLAB_FAST_PATH=off; %s works on this host",
		         fastpath_kind_name(kind));
		return;
	}
	fp_host.kind = kind;
	if (kind == FP_PVM)
		snprintf(fp_host.why, sizeof(fp_host.why),
		         "exceptions, page faults and system calls reach pvos through the entry stub without exits "
		         "to pvmon; each exception's delivery and each switch between a process and the pvos kernel "
		         "(a CR3 load, %.1f us here) is one in-kernel PVM exit that never reaches pvmon",
		         fp_host.cr3_us);
	else
		snprintf(fp_host.why, sizeof(fp_host.why),
		         "exceptions, page faults and system calls reach pvos through the entry stub's IDT and LSTAR "
		         "at the guest's CPL0 without exits to pvmon; a switch between a process and the pvos kernel "
		         "is a CR3 load (%.2f us here)", fp_host.cr3_us);
}

const char *fastpath_kind_name(int kind)
{
	static const char *const names[] = { [FP_NONE] = "none", [FP_PVM] = "pvm", [FP_VMX] = "vmx", [FP_SVM] = "svm" };
	return kind >= FP_NONE && kind <= FP_SVM ? names[kind] : "none";
}

const char *fastpath_info(void)
{
	static char line[480];
	snprintf(line, sizeof(line), "%s (%s)", fastpath_kind_name(fp_host.kind),
	         fp_host.why[0] ? fp_host.why : "not probed");
	return line;
}

