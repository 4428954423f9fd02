/* The PVM question (issue 15, item 5), answered by measurement: the probe
 * guest of xen_pvm_probe.S in a scratch VM on the PVM back end, and the
 * words `pvmon info` and a refused Linux config use for what it found
 * (docs/architecture.md, "Linux PV on PVM hosts"). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "fastpath_cpu.h"
#include "hvarea.h"
#include "kvm.h"
#include "pvtime.h"
#include "xen_pvm.h"

extern const uint8_t xp_start[], xp_end[], xp_entry[], xp_vectors[], xp_lstar[];

#define XP_OFF(sym) ((uint64_t)((sym) - xp_start))

static void put64(uint8_t *mem, uint64_t gpa, uint64_t v)
{
	memcpy(mem + gpa, &v, 8);
}

/* Both roots of the pair map the lower 4 MiB at 0 and every upper slot
 * onto the same L3, whose entries 0 and 510 (the XP_K alias) map it too:
 * what a slot shows is then decided by PVM alone, not by the tables. */
static void layout(uint8_t *m)
{
	const uint64_t t = PTE_P | PTE_RW | PTE_US | PTE_A, big = t | PTE_D | PTE_PS;
	put64(m, XP_L2, 0 | big);
	put64(m, XP_L2 + 8, 0x200000 | big);
	put64(m, XP_L3LOW, XP_L2 | t);
	put64(m, XP_L3UP, XP_L2 | t);
	put64(m, XP_L3UP + 510 * 8, XP_L2 | t);
	for (uint64_t root = XP_L4; root <= XP_L4 + PAGE; root += PAGE) {
		put64(m, root, XP_L3LOW | t);
		for (int s = 256; s < 512; s++)
			put64(m, root + (uint64_t)s * 8, XP_L3UP | t);
	}
	hv_write_gdt(m + XP_GDT, XP_TSS, true);
	put64(m, XP_GDT + (XP_CS1 & ~7), hv_seg_desc(true, 1));
	put64(m, XP_GDT + (XP_SS1 & ~7), hv_seg_desc(false, 1));
	hv_write_tss(m + XP_TSS, XP_K + XP_RSP0, HV_TSS_LIMIT + 1);
	for (int v = 0; v < HV_NR_VECTORS; v++)
		hv_write_gate(m + XP_IDT, v, XP_K + XP_CODE + XP_OFF(xp_vectors) + (uint64_t)v * 16, 0);
	memcpy(m + XP_CODE, xp_start, (size_t)(xp_end - xp_start));
	put64(m, XP_DATA, XP_MARK);
}

static int setup(struct kvm_scratch *k, char *why, size_t n)
{
	uint64_t sig = 0;
	if (fastpath_get_msr(k->cpu, MSR_PVM_SIGNATURE, &sig) || sig != PVM_SIGNATURE)
		return snprintf(why, n, "MSR 0x%x reads 0x%llx, not the PVM signature", MSR_PVM_SIGNATURE,
		                (unsigned long long)sig), -ENOTSUP;
	struct kvm_sregs s;
	if (ioctl(k->cpu, KVM_GET_SREGS, &s))
		return snprintf(why, n, "KVM_GET_SREGS: %s", strerror(errno)), -errno;
	fastpath_sregs(&s, XP_L4, XP_GDT, XP_IDT, XP_TSS);
	s.gdt.limit = XP_GDT_LIMIT;
	struct kvm_regs g = { .rip = XP_K + XP_CODE + XP_OFF(xp_entry), .rsp = XP_K + XP_KSTACK, .rflags = 2 };
	if (ioctl(k->cpu, KVM_SET_SREGS, &s) || ioctl(k->cpu, KVM_SET_REGS, &g))
		return snprintf(why, n, "probe registers: %s", strerror(errno)), -errno;
	int rc = fastpath_msrs(k->cpu, FP_PVM, XP_K + XP_CODE + XP_OFF(xp_lstar), XP_VIF);
	if (rc)
		return snprintf(why, n, "KVM_SET_MSRS (STAR, LSTAR, SFMASK, vIF): %s", strerror(-rc)), rc;
	return 0;
}

static void on_tick(int sig)
{
	(void)sig;
}

/* A tick for this thread alone, which ends a KVM_RUN of a probe guest that
 * never reports: the probe may run in the daemon beside running vCPU
 * threads, so no process-wide timer. The no-op handler stays installed,
 * so that a late tick cannot end pvmon. */
static int tick_start(timer_t *t, sigset_t *old)
{
	struct sigaction sa = { .sa_handler = on_tick };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, old);
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	struct itimerspec it = { { 0, 200000000 }, { 0, 200000000 } };
	if (timer_create(CLOCK_MONOTONIC, &ev, t))
		return -errno;
	timer_settime(*t, 0, &it, NULL);
	return 0;
}

static void tick_stop(timer_t t, const sigset_t *old)
{
	timer_delete(t);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* To the report; any other exit is a failed step (the probe's guest makes
 * none). */
static int run(struct kvm_scratch *k, unsigned *exits, char *why, size_t n)
{
	timer_t t;
	sigset_t old;
	int rc = tick_start(&t, &old);
	if (rc)
		return snprintf(why, n, "timer_create: %s", strerror(-rc)), rc;
	uint64_t t0 = time_mono_ns();
	for (;;) {
		if (ioctl(k->cpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR && time_mono_ns() - t0 < 5000000000ULL)
				continue;
			rc = errno == EINTR ? -ETIMEDOUT : -errno;
			snprintf(why, n, "probe guest: %s", errno == EINTR ? "no report within 5 s" : strerror(errno));
			break;
		}
		(*exits)++;
		struct kvm_regs g;
		if (ioctl(k->cpu, KVM_GET_REGS, &g)) {
			rc = -errno;
			snprintf(why, n, "KVM_GET_REGS: %s", strerror(errno));
			break;
		}
		if (k->run->exit_reason == KVM_EXIT_IO && k->run->io.port == HV_REPORT_PORT && g.rax == XP_DONE)
			break;
		rc = -EIO;
		if (k->run->exit_reason == KVM_EXIT_IO && k->run->io.port == HV_REPORT_PORT && g.rax == XP_FAULT)
			snprintf(why, n, "probe guest: vector %llu (error code 0x%llx) at rip 0x%llx, cs 0x%llx",
			         (unsigned long long)g.rdi, (unsigned long long)g.rsi, (unsigned long long)g.rdx,
			         (unsigned long long)g.r8);
		else
			snprintf(why, n, "probe guest stopped with exit reason %u at rip 0x%llx", k->run->exit_reason,
			         (unsigned long long)g.rip);
		break;
	}
	tick_stop(t, &old);
	return rc;
}

int xen_pvm_probe(struct xen_pvm_result *r, char *why, size_t n)
{
	memset(r, 0, sizeof(*r));
	struct kvm_scratch k;
	struct kvm_stats st = { .fd = -1 };
	int rc = kvm_scratch_open(&k, XP_MEM, why, n);
	if (!rc) {
		layout(k.mem);
		rc = setup(&k, why, n);
	}
	if (!rc) {
		uint64_t k0[KS_NR], k1[KS_NR];
		kvm_stats_open(&st, k.cpu);
		kvm_stats_read(&st, k0);
		rc = run(&k, &r->pvmon_exits, why, n);
		kvm_stats_read(&st, k1);
		r->kvm_exits = k1[KS_EXITS] - k0[KS_EXITS];
	}
	if (!rc) {
		const uint8_t *res = k.mem + XP_RES;
		memcpy(r->super, res + XP_R_SUPER, 256);
		memcpy(r->user, res + XP_R_USER, 256);
		r->user_low = res[XP_R_ULOW];
		r->cr3 = res[XP_R_CR3];
		r->lstar = res[XP_R_LSTAR];
		r->syscall0 = res[XP_R_SYSCALL];
		r->lidt = res[XP_R_LIDT];
		r->dpl1 = res[XP_R_DPL1];
		r->iret1 = res[XP_R_IRET1];
		memcpy(&r->dpl1_cs, res + XP_R_DPL1_CS, 8);
	}
	kvm_stats_close(&st);
	kvm_scratch_close(&k);
	return rc;
}

/* ---- the words ------------------------------------------------------------ */

void xen_pvm_slots(const uint8_t res[256], char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = 0;
	for (int i = 0; i < 256; i++) {
		if (res[i] != 1 || (i > 0 && res[i - 1] == 1))
			continue;
		int j = i;
		while (j + 1 < 256 && res[j + 1] == 1)
			j++;
		int w = j > i ? snprintf(buf + len, n - len, "%s%d-%d", len ? ", " : "", 256 + i, 256 + j)
		              : snprintf(buf + len, n - len, "%s%d", len ? ", " : "", 256 + i);
		if (w < 0 || (size_t)w >= n - len)
			return;
		len += (size_t)w;
	}
	if (!len)
		snprintf(buf, n, "none");
}

/* "ran", "#PF", "read another value" for a result byte. */
static const char *outcome(uint8_t b, char *buf, size_t n)
{
	static const char *const names[32] = { [0] = "#DE", [6] = "#UD", [13] = "#GP", [14] = "#PF" };
	if (b == 1)
		return "ran";
	if (b == 2)
		return "ran, wrong value";
	if (!b)
		return "never reached";
	if (!(b & 0x80) || (b & 0x7f) >= 32 || !names[b & 0x7f])
		snprintf(buf, n, "exception %d", b & 0x7f);
	else
		snprintf(buf, n, "%s", names[b & 0x7f]);
	return buf;
}

void xen_pvm_describe(const struct xen_pvm_result *r, char *buf, size_t n)
{
	char sup[96], usr[96], o[6][24];
	xen_pvm_slots(r->super, sup, sizeof(sup));
	xen_pvm_slots(r->user, usr, sizeof(usr));
	snprintf(buf, n,
	         "supervisor mode reads L4 slots %s of 256-511, user mode %s (lower half: %s); "
	         "a DPL1 frame in the upper half: by ERETU %s (cs 0x%llx), by iretq %s (mov from CR3 there); "
	         "in supervisor mode a CR3 of the guest's own: %s, wrmsr LSTAR: %s, syscall: %s, lidt of its own: %s; "
	         "%u exit to pvmon, %llu in-kernel (probe)",
	         sup, usr, r->user_low == 1 ? "yes" : "no", outcome(r->dpl1, o[0], sizeof(o[0])),
	         (unsigned long long)r->dpl1_cs, outcome(r->iret1, o[5], sizeof(o[5])), outcome(r->cr3, o[1], sizeof(o[1])),
	         outcome(r->lstar, o[2], sizeof(o[2])), outcome(r->syscall0, o[3], sizeof(o[3])),
	         outcome(r->lidt, o[4], sizeof(o[4])), r->pvmon_exits, (unsigned long long)r->kvm_exits);
}

/* "upper-half L4 slots 257-511" or "no upper-half L4 slot" */
static void reach(const uint8_t res[256], char *buf, size_t n)
{
	char s[96];
	xen_pvm_slots(res, s, sizeof(s));
	if (!strcmp(s, "none"))
		snprintf(buf, n, "no upper-half L4 slot");
	else
		snprintf(buf, n, "upper-half L4 slots %s", s);
}

void xen_pvm_verdict(const struct xen_pvm_result *r, char *buf, size_t n)
{
	char sup[128], usr[128], ran[96] = "";
	reach(r->super, sup, sizeof(sup));
	reach(r->user, usr, sizeof(usr));
	const int img = XP_SLOT_IMAGE - 256, dir = XP_SLOT_DIRECT - 256;
	bool user_reach = r->user[img] == 1 && r->user[dir] == 1;
	bool super_reach = r->super[img] == 1 && r->super[dir] == 1;
	/* Privileged instructions that completed in a run whose only exit to
	 * pvmon was the report: nothing pvmon or its stub could check. */
	const char *what[3] = { "a CR3 load of the guest's own", "wrmsr LSTAR", "lidt" };
	const uint8_t got[3] = { r->cr3, r->lstar, r->lidt };
	int nran = 0;
	for (int i = 0; i < 3 && r->pvmon_exits == 1; i++)
		if (got[i] == 1) {
			size_t len = strlen(ran);
			snprintf(ran + len, sizeof(ran) - len, "%s%s", nran ? ", " : "", what[i]);
			nran++;
		}
	if (user_reach) {
		xen_pvm_slots(r->user, usr, sizeof(usr));
		snprintf(buf, n, "no (PVM: user mode reaches the Xen PV kernel's L4 slots %d and %d here (%s), "
		         "but pvmon's Xen mode has no PVM entry stub)", XP_SLOT_IMAGE, XP_SLOT_DIRECT, usr);
	}
	else if (!super_reach)
		snprintf(buf, n, "no (PVM: a Xen PV kernel lives in L4 slots %d (image at 0xffffffff80000000) and %d "
		         "(direct map); user mode reaches %s, supervisor mode %s)", XP_SLOT_IMAGE, XP_SLOT_DIRECT,
		         usr, sup);
	else if (nran) {
		/* A frame naming DPL1 became user mode by ERETU and supervisor
		 * mode by iretq: there is no ring between the two. */
		bool between = !((r->dpl1 & 0x80) && (r->dpl1_cs & 3) == 3 && r->iret1 == 1);
		snprintf(buf, n, "no (PVM: a Xen PV kernel lives in L4 slots %d (image at 0xffffffff80000000) and %d "
		         "(direct map); user mode, where Xen would run it (CPL3), reaches %s; supervisor mode reaches "
		         "%s but is the guest's own CPL0 (%s ran there with no exit to pvmon), so neither Xen's "
		         "page-table rules nor the entry stub would bind the kernel there%s)",
		         XP_SLOT_IMAGE, XP_SLOT_DIRECT, usr, sup, ran,
		         between ? "" : "; no mode lies between (a DPL1 frame ran as user mode by ERETU, "
		                        "as supervisor mode by iretq)");
	}
	else
		snprintf(buf, n, "no (PVM: supervisor mode reaches %s and kept the guest from loading its own CR3, "
		         "LSTAR and IDT, but pvmon's Xen mode has no PVM entry stub)", sup);
}
