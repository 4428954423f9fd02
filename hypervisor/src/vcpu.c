/* vCPU threads: the run loop, exit handling, and the baseline delivery of
 * events and system calls through callback frames that pvmon builds on the
 * guest kernel stack (the guest runs wholly at CPL3 and takes no hardware
 * exceptions). Registers move through KVM_CAP_SYNC_REGS: no extra ioctl on
 * the hypercall path. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "domain.h"
#include "evtchn.h"
#include "fastpath.h"
#include "guest_access.h"
#include "hvarea.h"
#include "hypercall.h"
#include "pvmon.h"
#include "sched.h"
#include "pvtime.h"
#include "trace.h"
#include "xen_domain.h"

#define RFLAGS_GUEST 0xCD5ULL    /* CF PF AF ZF SF DF OF: the guest's to set */
#define GVA_LIMIT (1ULL << 47)

static __thread struct kvm_run *tls_run;

static void kick_handler(int sig)
{
	(void)sig;
	if (tls_run)
		tls_run->immediate_exit = 1;
}

void vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* Only vCPU threads take SIGUSR1; they unblock it themselves. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int vcpu_create(struct domain *d, uint32_t id)
{
	struct vcpu *v = &d->vcpus[id];
	v->dom = d;
	v->id = id;
	v->kstats.fd = -1;
	v->fd = ioctl(d->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, (size_t)host.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	/* Measure the guest's TSC against ours so guests can read time without exits. */
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e.index = 0x10 };
	uint64_t t0 = __rdtsc();
	if (ioctl(v->fd, KVM_GET_MSRS, &m) == 1) {
		uint64_t t1 = __rdtsc();
		v->tsc_offset = (int64_t)(m.e.data - (t0 + (t1 - t0) / 2));
	}
	v->slot = -1;
	kvm_stats_open(&v->kstats, v->fd);
	return sched_vcpu_add(v);
}

static inline struct kvm_regs *R(struct vcpu *v)
{
	return &v->run->s.regs.regs;
}

static inline void regs_dirty(struct vcpu *v)
{
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

void vcpu_set_cr3(struct vcpu *v, uint64_t cr3)
{
	if (v->dom->fp) {
		fastpath_set_kernel_root(v, cr3);     /* the stub loads it (its twin) */
		return;
	}
	v->sregs.cr3 = cr3;
	v->run->s.regs.sregs = v->sregs;
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
}

static void publish_time(struct vcpu *v)
{
	struct pv_vcpu_time *t = &v->dom->shared->vcpu[v->id].time;
	uint64_t now = time_now();
	time_publish(t, v->run_ns, now);
	t->tsc_timestamp += (uint64_t)v->tsc_offset;
}

/* The vCPU (re)gained a run slot: fresh time for the guest, and its thread
 * moves to the slot's physical CPU, so the slot really is a CPU. */
static void resumed(struct vcpu *v)
{
	if (v->dom->xen)
		xen_publish_time(v);
	else
		publish_time(v);
	if (v->slot == v->bound_slot || v->slot < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(v->slot % host.nr_cpus_online, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0)
		v->bound_slot = v->slot;
}

bool vcpu_has_work(struct vcpu *v)
{
	struct domain *d = v->dom;
	if (d->xen)
		return xen_has_work(v);
	if (__atomic_load_n(&d->shared->vcpu[v->id].upcall_pending, __ATOMIC_SEQ_CST))
		return true;
	if (v->polling) {
		for (uint32_t i = 0; i < v->nr_poll; i++) {
			uint32_t p = v->poll_ports[i];
			if (__atomic_load_n(&d->shared->evtchn_pending[p / 64], __ATOMIC_SEQ_CST) & (1ULL << (p % 64)))
				return true;
		}
	}
	return false;
}

/* During an I/O exit that KVM has not stepped past yet (pio_skip), KVM
 * skips the `out` on the next entry if RIP is still (or again) its address.
 * Before pvmon points RIP at new_rip, finish that `out` when new_rip is its
 * address: a frame may resume the guest at a hypercall it was stopped just
 * before (all go through the one entry in the hypervisor area), and KVM
 * would skip that hypercall instead. KVM_RUN with immediate_exit set does
 * only the completion and returns -EINTR (registers synced back). */
static int pio_settle(struct vcpu *v, uint64_t new_rip)
{
	uint64_t at = R(v)->rip;
	if (!v->pio_skip || new_rip != at)
		return 0;
	v->run->immediate_exit = 1;
	int rc = ioctl(v->fd, KVM_RUN, 0);
	int e = errno;
	v->run->immediate_exit = 0;
	v->pio_skip = false;
	if ((rc == 0 || e != EINTR) || R(v)->rip == at)
		return domain_crash(v->dom, v, "KVM did not step past the `out` at 0x%llx (KVM_RUN: %s)",
		                    (unsigned long long)at, rc ? strerror(e) : "it returned an exit"), -EIO;
	return 0;
}

/* Push a callback frame and enter the guest kernel at entry. */
static int deliver(struct vcpu *v, uint64_t vector, uint64_t err, uint64_t addr, uint64_t entry)
{
	struct domain *d = v->dom;
	struct kvm_regs *r = R(v);
	if (pio_settle(v, entry))
		return -EIO;
	struct pv_vcpu_info *vi = &d->shared->vcpu[v->id];
	struct pv_frame f = {
		.r15 = r->r15, .r14 = r->r14, .r13 = r->r13, .r12 = r->r12,
		.r11 = r->r11, .r10 = r->r10, .r9 = r->r9, .r8 = r->r8,
		.rbp = r->rbp, .rdi = r->rdi, .rsi = r->rsi, .rdx = r->rdx,
		.rcx = r->rcx, .rbx = r->rbx, .rax = r->rax,
		.vector = vector, .error_code = err, .fault_addr = addr,
		.rip = r->rip + (v->pio_skip ? 2 : 0), .rflags = r->rflags, .rsp = r->rsp,
		.flags = v->user_mode ? PV_FRAME_USER : 0,
		.saved_mask = __atomic_load_n(&vi->upcall_mask, __ATOMIC_RELAXED),
	};
	uint64_t sp;
	if (v->user_mode) {
		if (!v->kernel_sp)
			return domain_crash(d, v, "callback from user mode with no kernel stack (stack_switch not called)"), -EFAULT;
		sp = v->kernel_sp;
	} else {
		sp = r->rsp - 128;          /* leave a red zone alone */
	}
	sp = (sp - sizeof(f)) & ~15ULL;
	const struct guestmem *gm = domain_gm(d);
	if (guestmem_copy_to(gm, v->kernel_cr3, sp, &f, sizeof(f)))
		return domain_crash(d, v, "cannot push a callback frame at 0x%llx (vector %llu)",
		                    (unsigned long long)sp, (unsigned long long)vector), -EFAULT;
	if (v->user_mode) {
		v->user_mode = false;
		vcpu_set_cr3(v, v->kernel_cr3);
	}
	v->pio_skip = false;
	__atomic_store_n(&vi->upcall_mask, 1, __ATOMIC_SEQ_CST);
	r->rsp = sp;
	r->rdi = sp;
	r->rip = entry;
	regs_dirty(v);
	atomic_fetch_add_explicit(&v->upcalls, 1, memory_order_relaxed);
	return 0;
}

static void maybe_upcall(struct vcpu *v)
{
	struct domain *d = v->dom;
	if (d->xen) {
		xen_before_run(v);
		return;
	}
	if (d->fp) {
		fastpath_before_run(v);
		return;
	}
	struct pv_vcpu_info *vi = &d->shared->vcpu[v->id];
	if (!d->event_entry || !__atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&vi->upcall_mask, __ATOMIC_SEQ_CST))
		return;
	/* Stopped (a signal, an exit of KVM's own) inside the fault reporter:
	 * the guest has faulted and the report is on its way. */
	if (hvarea_in_reporter(R(v)->rip))
		return;
	/* An exception on its way in: the exit came while the CPU delivered
	 * it (a nested page fault on the IDT or the stack), and KVM injects it
	 * again on entry, at whatever rip it finds: moved to the callback, the
	 * fault would be reported there. The upcall waits for a later exit. */
	struct kvm_vcpu_events ev;
	if (!ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) &&
	    (ev.exception.injected || ev.exception.pending || ev.nmi.injected || ev.interrupt.injected))
		return;
	deliver(v, PV_VEC_EVENT, 0, 0, d->event_entry);
}

/* iret(frame): resume the context a callback frame describes. */
long hc_iret(struct vcpu *v, const uint64_t a[5])
{
	uint64_t frame = a[0];
	if (v->dom->fp)
		return guest_reject(v, "iret", frame, -EINVAL);   /* the entry stub serves iret */
	struct pv_frame f;
	long rc = guest_copy_from(v, &f, frame, sizeof(f));
	if (rc)
		return rc;
	if (f.rip >= GVA_LIMIT)
		return guest_reject(v, "rip", f.rip, -EINVAL);
	if (f.rsp >= GVA_LIMIT)
		return guest_reject(v, "rsp", f.rsp, -EINVAL);   /* as the entry stub checks it */
	if ((f.flags & PV_FRAME_USER) && !v->user_cr3)
		return guest_reject(v, "user_cr3", 0, -EINVAL);
	if (pio_settle(v, f.rip))
		return HC_REGS_SET;
	struct kvm_regs *r = R(v);
	r->r15 = f.r15; r->r14 = f.r14; r->r13 = f.r13; r->r12 = f.r12;
	r->r11 = f.r11; r->r10 = f.r10; r->r9 = f.r9; r->r8 = f.r8;
	r->rbp = f.rbp; r->rdi = f.rdi; r->rsi = f.rsi; r->rdx = f.rdx;
	r->rcx = f.rcx; r->rbx = f.rbx; r->rax = f.rax;
	r->rip = f.rip;
	r->rsp = f.rsp;
	r->rflags = (r->rflags & ~RFLAGS_GUEST) | (f.rflags & RFLAGS_GUEST);
	regs_dirty(v);
	v->pio_skip = false;
	if (f.flags & PV_FRAME_USER) {
		v->user_mode = true;
		vcpu_set_cr3(v, v->user_cr3);
	}
	__atomic_store_n(&v->dom->shared->vcpu[v->id].upcall_mask, (uint8_t)(f.saved_mask & 1), __ATOMIC_SEQ_CST);
	return HC_REGS_SET;
}

/* vcpu_op(crash_frame): the guest gives up on an exception it was handed;
 * the report names the context the frame describes. */
static long crash_frame(struct vcpu *v, uint64_t frame)
{
	struct pv_frame f;
	long rc = guest_copy_from(v, &f, frame, sizeof(f));
	if (rc)
		return rc;
	if (f.vector >= PV_TRAP_MAX)
		return guest_reject(v, "vector", f.vector, -EINVAL);
	bool user = f.flags & PV_FRAME_USER;
	struct guest_context c = { f.rip, f.rsp, f.rflags, user ? v->user_cr3 : v->kernel_cr3, user };
	domain_crash_at(v->dom, v, &c, "exception %s (vector %llu) error 0x%llx address 0x%llx not handled by the guest",
	                fastpath_vector_name((unsigned)f.vector), (unsigned long long)f.vector,
	                (unsigned long long)f.error_code, (unsigned long long)f.fault_addr);
	return 0;
}

static long vcpu_up(struct vcpu *v, uint32_t target, uint64_t ctx)
{
	struct domain *d = v->dom;
	struct pv_vcpu_context c;
	if (target >= d->nr_vcpus || target == v->id)
		return guest_reject(v, "vcpu", target, -EINVAL);
	long rc = guest_copy_from(v, &c, ctx, sizeof(c));
	if (rc)
		return rc;
	const struct guestmem *gm = domain_gm(d);
	uint64_t gpa;
	if (guestmem_translate(gm, v->kernel_cr3, c.rip, false, &gpa))
		return guest_reject(v, "rip", c.rip, -EINVAL);
	struct vcpu *t = &d->vcpus[target];
	pthread_mutex_lock(&sched_lock);
	bool down = t->state == VS_DOWN && !t->kernel_cr3;
	if (down) {
		t->boot = c;
		pthread_mutex_lock(&d->pt.lock);
		int rc2 = pt_get_base(&d->pt, v->kernel_cr3);   /* the new vCPU's CR3 holds a reference */
		pthread_mutex_unlock(&d->pt.lock);
		if (!rc2)
			t->kernel_cr3 = v->kernel_cr3;
		down = !rc2;
	}
	pthread_mutex_unlock(&sched_lock);
	if (!down)
		return -EBUSY;
	sched_vcpu_start(t);
	return 0;
}

/* vcpu_op(cmd, vcpuid, arg): bring up another vCPU, or give up on an
 * exception this one was delivered. */
long hc_vcpu_op(struct vcpu *v, const uint64_t a[5])
{
	if (a[0] == PV_VCPUOP_crash_frame)
		return a[1] == v->id ? crash_frame(v, a[2]) : guest_reject(v, "vcpu", a[1], -EINVAL);
	if (a[0] != PV_VCPUOP_up)
		return guest_reject(v, "cmd", a[0], -EINVAL);
	return vcpu_up(v, (uint32_t)(a[1] > 0xffffffffULL ? 0xffffffffULL : a[1]), a[2]);
}

/* Arm the preemption timer for the earlier of slice end and guest timer. */
void vcpu_arm_timer(struct vcpu *v)
{
	uint64_t when = v->slice_end;
	if (v->timer_deadline && v->timer_deadline < when)
		when = v->timer_deadline;
	if (!v->timer_ok || when == v->armed_at)
		return;
	v->armed_at = when;
	struct itimerspec its = { .it_value = time_abs(when) };
	timer_settime(v->timer, TIMER_ABSTIME, &its, NULL);
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "I/O";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN (triple fault)";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_EXCEPTION: return "EXCEPTION";
	case KVM_EXIT_DEBUG: return "DEBUG";
	default: return "unexpected";
	}
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	if (v->dom->xen) {
		if (run->io.port == XEN_ENTRY_PORT)
			xen_exit(v);
		else if (run->io.port == XS_STOP_PORT && xen_stub_stopped(v))
			;                     /* a test's stop in the stub: xen_after_run moved it on */
		else if (run->io.port >= XS_BELL_PORT && run->io.port < XS_BELL_PORT + XS_MAX_BELLS &&
		         xen_stub_belled(v))
			;                     /* a bell rung as pvmon freed it (xen_evtchn_bell_free): the send is dropped */
		else
			domain_crash(v->dom, v, "I/O to port 0x%x: only the entry stub's exits reach pvmon", run->io.port);
		return;
	}
	if (run->io.port == HV_REPORT_PORT) {
		if (v->dom->fp)
			fastpath_report(v);
		else
			hvarea_report(v);
		return;
	}
	if (run->io.port != PV_HCALL_PORT || run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1) {
		domain_crash(v->dom, v, "I/O to port 0x%x (only `outb %%al, $0x%x` is a hypercall)",
		             run->io.port, PV_HCALL_PORT);
		return;
	}
	v->pio_skip = !host.pio_rip_advanced;
	if (v->user_mode) {
		/* A system call from a guest process: to the guest kernel. */
		if (!v->dom->syscall_entry) {
			domain_crash(v->dom, v, "system call from user mode with no syscall entry registered");
			return;
		}
		deliver(v, PV_VEC_SYSCALL, 0, 0, v->dom->syscall_entry);
		return;
	}
	struct kvm_regs *r = R(v);
	uint64_t a[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };
	long rc = hypercall_dispatch(v, r->rax, a);
	if (rc != HC_REGS_SET) {
		r->rax = (uint64_t)rc;
		regs_dirty(v);
	}
}

/* An MMIO exit: a write into the read-only pool is a page-table write to
 * validate and emulate (trap-and-emulate mode). Anything else crashes the
 * domain. True: the vCPU goes on. */
static bool handle_mmio(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct kvm_run *run = v->run;
	uint64_t gpa = run->mmio.phys_addr;
	bool in_pool = pt_pool_index(&d->pt, gpa) >= 0;
	if (in_pool && run->mmio.is_write) {
		memory_pool_write(v, gpa, run->mmio.data, run->mmio.len);
		return atomic_load(&d->state) < DS_SHUTDOWN;
	}
	if (run->mmio.is_write && gpa >= d->grant_ro_gpa && gpa - d->grant_ro_gpa < PV_GNTTAB_WINDOW_FRAMES * 4096ULL)
		domain_crash(d, v, "write to a read-only grant at guest-physical 0x%llx", (unsigned long long)gpa);
	else
		domain_crash(d, v, "%s guest-physical 0x%llx outside the domain's memory (exit MMIO)",
		             run->mmio.is_write ? "write to" : "read of", (unsigned long long)gpa);
	return false;
}

/* Timer expiry, preemption, pause and yield/block requests. False: stop. */
static bool between_runs(struct vcpu *v)
{
	struct domain *d = v->dom;
	for (;;) {
		int ds = atomic_load(&d->state);
		if (ds == DS_SHUTDOWN || ds == DS_CRASHED)
			return false;
		if (ds == DS_PAUSED) {
			if (!sched_pause(v))
				return false;
			resumed(v);
			continue;
		}
		if (d->xen && xen_vcpu_parks(v)) {
			/* VCPUOP_down: asleep until VCPUOP_up (xen_has_work). */
			if (!sched_block(v, 0))
				return false;
			resumed(v);
			continue;
		}
		uint64_t now = time_now();
		if (v->timer_deadline && now >= v->timer_deadline) {
			v->timer_deadline = 0;
			if (d->xen)
				xen_timer_expired(v);
			else
				evtchn_send_virq(d, v->id, PV_VIRQ_TIMER);
		}
		if (v->want_block) {
			/* A poll whose timeout has passed returns at once, whether or
			 * not a timer is armed (0 after a timeout, as for an event). */
			uint64_t poll_end = v->polling ? v->poll_deadline : 0;
			v->want_block = false;
			if (!vcpu_has_work(v) && !(poll_end && now >= poll_end)) {
				uint64_t until = v->timer_deadline;
				if (poll_end && (!until || poll_end < until))
					until = poll_end;
				if (!sched_block(v, until))
					return false;
				resumed(v);
			}
			v->polling = false;
			v->poll_deadline = 0;
			continue;
		}
		const char *why = v->want_yield ? "yield" : atomic_exchange(&v->preempt, false) ? "preempt"
		                : now >= v->slice_end ? "slice" : NULL;
		if (why) {
			v->want_yield = false;
			sched_release(v, VS_RUNNABLE, why);
			if (!sched_wait_slot(v))
				return false;
			resumed(v);
			continue;
		}
		return true;
	}
}

static bool run_once(struct vcpu *v);

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct domain *d = v->dom;
	v->tid = (pid_t)syscall(SYS_gettid);
	tls_run = v->run;
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1 };
	sev._sigev_un._tid = v->tid;
	v->timer_ok = timer_create(CLOCK_MONOTONIC, &sev, &v->timer) == 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	if (!sched_wait_slot(v))
		goto out;
	if (v->id != 0 && d->xen) {
		/* VCPUOP_up: where VCPUOP_initialise said. */
		int rc = xen_vcpu_start(v);
		if (rc) {
			domain_crash(d, v, "cannot set up vCPU %u: %s", v->id, strerror(-rc));
			goto out;
		}
	} else if (v->id != 0 && d->fp) {
		int rc = fastpath_setup_vcpu(v, v->boot.rip, v->boot.rsp, v->boot.arg, 0);
		if (rc) {
			domain_crash(d, v, "cannot set up vCPU %u for the fast path: %s", v->id, strerror(-rc));
			goto out;
		}
	} else if (v->id != 0) {
		/* A secondary vCPU starts where vcpu_op(up) said, in kernel mode. */
		struct kvm_regs *r = R(v);
		memset(r, 0, sizeof(*r));
		r->rip = v->boot.rip;
		r->rsp = v->boot.rsp;
		r->rdi = v->boot.arg;
		r->rflags = 0x3002;
		regs_dirty(v);
		v->sregs = d->vcpus[0].sregs;
		hvarea_baseline_sregs(d, v->id, &v->sregs);   /* its own TSS and fault stack */
		vcpu_set_cr3(v, v->kernel_cr3);
	}
	v->bound_slot = -1;
	if (d->xen)
		xen_timer_watch_start(v);
	resumed(v);
	while (between_runs(v)) {
		pthread_rwlock_rdlock(&d->mem_lock);
		bool go = run_once(v);
		pthread_rwlock_unlock(&d->mem_lock);
		if (!go)
			break;
	}
out:
	if (d->xen)
		xen_timer_watch_stop(v);
	if (v->timer_ok)
		timer_delete(v->timer);
	tls_run = NULL;
	sched_vcpu_exit(v);
	domain_vcpu_stopped(d);
	return NULL;
}

/* Enter the guest once and serve the exit, with mem_lock held for reading.
 * False: the vCPU must stop. */
static bool run_once(struct vcpu *v)
{
	struct domain *d = v->dom;
	const char *bad = pt_corrupt(&d->pt);
	if (bad) {
		domain_crash(d, v, "page-table accounting is inconsistent: %s", bad);
		return false;
	}
	maybe_upcall(v);
	if (atomic_load(&d->state) >= DS_SHUTDOWN)
		return false;
	vcpu_arm_timer(v);
	atomic_store(&v->kick, false);
	if (d->xen)
		xen_tlb_enter(v);
	int rc = ioctl(v->fd, KVM_RUN, 0);
	if (d->xen) {
		xen_tlb_left(v);
		xen_after_run(v);
	}
	v->run->immediate_exit = 0;
	if (d->fp)
		fastpath_after_run(v);
	if (d->xen)
		d->xen->v[v->id].frame = NULL;     /* the stub's frame is the guest's again */
	/* KVM_RUN finishes a pending `out` before anything else (KVM's api.rst:
	 * incomplete operations first, then signals), skipping it if RIP is
	 * unchanged; an -EINTR may even come after the guest ran on. So no
	 * frame built from here on may skip it again. */
	v->pio_skip = false;
	if (rc < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return true;
		if (errno == EFAULT)
			domain_crash(d, v, "the guest touched memory it gave back (KVM_RUN: %s)", strerror(errno));
		else
			domain_crash(d, v, "KVM_RUN failed: %s", strerror(errno));
		return false;
	}
	uint32_t reason = v->run->exit_reason;
	atomic_fetch_add_explicit(&v->exits, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&v->exit_reasons[reason < 64 ? reason : 63], 1, memory_order_relaxed);
	trace_vm_exit(d->id, v->id, reason, R(v)->rip);
	switch (reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:          /* fast path: an event can be injected now */
		return true;
	case KVM_EXIT_MMIO:
		return handle_mmio(v);
	default:
		domain_crash(d, v, "exit %s (%u)%s", exit_name(reason), reason,
		             reason == KVM_EXIT_SHUTDOWN ? ": an exception the guest cannot take" : "");
		return false;
	}
}

int vcpu_thread_start(struct vcpu *v)
{
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	int rc = pthread_create(&v->thread, &at, vcpu_thread, v);
	pthread_attr_destroy(&at);
	return -rc;
}
