/* The Xen-mode entry path: every exit the stub takes (xen_entry.h) comes
 * here with the guest's frame on the stub stack. A `syscall` from the
 * guest kernel (the LSTAR trampoline's frame) is a hypercall; the privileged
 * instructions early Linux PV still executes (Xen's forced-emulation
 * cpuid, rdmsr/wrmsr, CR moves, port I/O) are emulated; everything else
 * is bounced to the handler the guest registered, in Xen's bounce frame,
 * or crashes the domain naming where and why. Events are bounced the
 * same way to the event callback. */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>
#include "xen_public.h"
#include "xen_ptwr.h"
#include "domain.h"
#include "fastpath.h"
#include "fastpath_cpu.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"
#include "trace.h"
#include "xen_domain.h"

#define PAGE 4096ULL
#define RF_IF  0x200ULL
#define RF_TF  0x100ULL
#define RF_GUEST (0xCD5ULL | RF_TF | 0x40000ULL | 0x200000ULL)   /* arithmetic, DF, TF, AC, ID */
#define TRAP_ERRCODE_VECTORS 0x27d00u                            /* 8, 10-14, 17 */

static inline struct kvm_regs *R(struct vcpu *v)
{
	return &v->run->s.regs.regs;
}

/* The stub's counters: each written by its vCPU's thread only, read by
 * any (pvctl list, pvtop), hence the relaxed atomic store. */
static inline void count(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static int trace_level = -1;

bool xen_tracing(void)
{
	if (trace_level < 0) {
		const char *e = getenv("PVLAB_XEN_TRACE");
		trace_level = e ? atoi(e) : 0;
	}
	return trace_level > 0;
}

uint64_t xen_cur_l4(const struct vcpu *v)
{
	const struct xen_vcpu *xv = &v->dom->xen->v[v->id];
	return xv->user ? xv->user_l4 : xv->kernel_l4;
}

static long copy_l4(struct vcpu *v, uint64_t l4, uint64_t va, void *buf, size_t len, bool to)
{
	struct xen_domain *x = v->dom->xen;
	uint8_t *p = buf;
	if (len && va + len < va)
		return -EFAULT;
	while (len) {
		size_t chunk = PAGE - (va & 4095);
		if (chunk > len)
			chunk = len;
		uint64_t ma;
		/* A store into a frame typed as a table would bypass validation:
		 * the walk finds it writable, so it is not one (xen_mm.c's rule),
		 * and the domain's lock keeps another vCPU from making it one
		 * between the walk and the store. A read needs no such care. */
		if (to)
			xen_lock(x);
		uint8_t *h = xmm_walk(&x->mm, l4, va, to, &ma, NULL) ? NULL : xmm_host(&x->mm, ma, chunk);
		if (h && to)
			memcpy(h, p, chunk);
		else if (h)
			memcpy(p, h, chunk);
		if (to)
			xen_unlock(x);
		if (!h)
			return -EFAULT;
		p += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

long xen_copy_from(struct vcpu *v, void *dst, uint64_t va, size_t len)
{
	return copy_l4(v, xen_cur_l4(v), va, dst, len, false);
}

long xen_copy_to(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
	return copy_l4(v, xen_cur_l4(v), va, (void *)src, len, true);
}

/* Xen's update_runstate_area: running since the scheduler last put the
 * vCPU on its slot, and the time it has had in each state, which are
 * pvmon's own accounts (sched.c): running, runnable (waiting for a
 * slot: Linux's steal time), blocked; never offline while it runs. With
 * VMASST_TYPE_runstate_update_flag the guest sees XEN_RUNSTATE_UPDATE in
 * state_entry_time while the rest changes. */
void xen_runstate_publish(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t va = __atomic_load_n(&xv->runstate_va, __ATOMIC_SEQ_CST);
	uint64_t since = __atomic_load_n(&v->state_since, __ATOMIC_RELAXED);
	if (!va || !xv->kernel_l4)
		return;
	__atomic_store_n(&xv->runstate_since, since, __ATOMIC_RELAXED);
	struct vcpu_runstate_info r = {
		.state = RUNSTATE_running,
		.state_entry_time = since,
		.time = { [RUNSTATE_running] = __atomic_load_n(&v->run_ns, __ATOMIC_RELAXED),
		          [RUNSTATE_runnable] = __atomic_load_n(&v->wait_ns, __ATOMIC_RELAXED),
		          [RUNSTATE_blocked] = __atomic_load_n(&v->blocked_ns, __ATOMIC_RELAXED) },
	};
	bool flag = v->dom->xen->vm_assist & (1u << VMASST_TYPE_runstate_update_flag);
	uint64_t set = since | XEN_RUNSTATE_UPDATE;
	if (flag)
		copy_l4(v, xv->kernel_l4, va + offsetof(struct vcpu_runstate_info, state_entry_time), &set, 8, true);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	copy_l4(v, xv->kernel_l4, va, &r, sizeof(r), true);   /* a bad address: the update does not land, as in Xen */
}

/* ---- the guest's context at this exit ------------------------------------- */

static void context(struct vcpu *v, struct guest_context *c)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	*c = (struct guest_context){ R(v)->rip, R(v)->rsp, R(v)->rflags, xen_cur_l4(v) * PAGE, xv->user };
	if (f)
		*c = (struct guest_context){ f[XF_RIP], f[XF_RSP], f[XF_RFLAGS], xen_cur_l4(v) * PAGE, xv->user };
}

void xen_crash(struct vcpu *v, const char *fmt, ...)
{
	char why[160], last[80] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	struct xen_vcpu *xv = XV(v);
	xen_console_drain(v);      /* what the guest printed before it went wrong comes first */
	size_t o = 0;
	unsigned n = xv->last_n < 8 ? xv->last_n : 8;
	for (unsigned i = 0; i < n && o < sizeof(last) - 8; i++)
		o += (size_t)snprintf(last + o, sizeof(last) - o, "%s%u", i ? "," : "",
		                      xv->last_hcall[(xv->last_n - n + i) % 8]);
	struct guest_context c;
	context(v, &c);
	domain_crash_at(v->dom, v, &c, "%s (hypercalls %llu, last %s)", why, (unsigned long long)xv->hcalls,
	                n ? last : "none");
}

/* Register n of an instruction (0 rax .. 15 r15): rax, rsp live in the frame. */
static uint64_t *reg(struct vcpu *v, unsigned n)
{
	struct kvm_regs *r = R(v);
	uint64_t *f = XV(v)->frame;
	switch (n) {
	case 0: return &f[XF_RAX];
	case 1: return (uint64_t *)&r->rcx;
	case 2: return (uint64_t *)&r->rdx;
	case 3: return (uint64_t *)&r->rbx;
	case 4: return &f[XF_RSP];
	case 5: return (uint64_t *)&r->rbp;
	case 6: return (uint64_t *)&r->rsi;
	case 7: return (uint64_t *)&r->rdi;
	case 8: return (uint64_t *)&r->r8;
	case 9: return (uint64_t *)&r->r9;
	case 10: return (uint64_t *)&r->r10;
	case 11: return (uint64_t *)&r->r11;
	case 12: return (uint64_t *)&r->r12;
	case 13: return (uint64_t *)&r->r13;
	case 14: return (uint64_t *)&r->r14;
	default: return (uint64_t *)&r->r15;
	}
}

static void regs_dirty(struct vcpu *v)
{
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

/* ---- modes, time ---------------------------------------------------------- */

int xen_seg_base(struct vcpu *v, int which, uint64_t *get, const uint64_t *set)
{
	struct kvm_sregs *s = &v->sregs;
	if (ioctl(v->fd, KVM_GET_SREGS, s))
		return -errno;
	struct kvm_segment *seg = which == 0 ? &s->fs : &s->gs;
	if (get)
		*get = seg->base;
	if (!set)
		return 0;
	seg->base = *set;
	return ioctl(v->fd, KVM_SET_SREGS, s) ? -errno : 0;
}

#define MSR_EFER 0xc0000080
#define MSR_FS_BASE XS_MSR_FS_BASE           /* the entry stub's numbers (xen_entry.h) */
#define MSR_GS_BASE XS_MSR_GS_BASE
#define MSR_SHADOW_GS_BASE XS_MSR_SHADOW_GS_BASE
#define MSR_PAT 0x277
#define XEN_PAT 0x050100070406ULL     /* Xen's fixed PAT for PV guests */

/* The GS base of the mode the vCPU is not in: the CPU's KERNEL_GS_BASE,
 * which swapgs exchanges with GS_BASE. 0 or -EIO. */
int xen_gs_other(struct vcpu *v, uint64_t *get, const uint64_t *set)
{
	const uint32_t idx = MSR_SHADOW_GS_BASE;
	if (get && fastpath_get_msr(v->fd, idx, get))
		return -EIO;
	if (set && fastpath_set_msrs(v->fd, &idx, set, 1))
		return -EIO;
	return 0;
}

void xen_set_mode(struct vcpu *v, bool user)
{
	struct xen_vcpu *xv = XV(v);
	if (xv->user == user)
		return;
	/* Xen's toggle_guest_mode: the other L4, and swapgs (as the stub's
	 * fast path does it: the two bases trade places). */
	const uint32_t idx[2] = { MSR_GS_BASE, MSR_SHADOW_GS_BASE }, swapped[2] = { MSR_SHADOW_GS_BASE, MSR_GS_BASE };
	uint64_t base[2];
	if (!fastpath_get_msrs(v->fd, idx, base, 2))
		fastpath_set_msrs(v->fd, swapped, base, 2);
	xv->user = user;
	xv->cell[XC_CR3] = xen_cur_l4(v) * PAGE;
}

/* ---- the fast path's cells ---------------------------------------------------- */

_Static_assert(XS_HYPERVISOR_IRET == __HYPERVISOR_iret && XS_VGCF_IN_SYSCALL == VGCF_in_syscall &&
	       XS_FLAT_USER_CS == FLAT_USER_CS && XS_FLAT_KERNEL_CS_RPL0 == (FLAT_KERNEL_CS & ~3) &&
	       XS_FLAT_SS == FLAT_USER_SS && XS_FLAT_SS == FLAT_KERNEL_SS &&
	       XS_VI_PENDING == offsetof(struct vcpu_info, evtchn_upcall_pending) &&
	       XS_VI_MASK == offsetof(struct vcpu_info, evtchn_upcall_mask) &&
	       XS_VI_CR2 == offsetof(struct vcpu_info, arch.cr2) &&
	       XS_HYPERVISOR_SET_SEGMENT_BASE == __HYPERVISOR_set_segment_base &&
	       XS_HYPERVISOR_STACK_SWITCH == __HYPERVISOR_stack_switch && XS_HYPERVISOR_VCPU_OP == __HYPERVISOR_vcpu_op &&
	       XS_ENOENT == ENOENT && XS_VCPUOP_SET_SINGLESHOT_TIMER == VCPUOP_set_singleshot_timer &&
	       XS_VCPUOP_STOP_SINGLESHOT_TIMER == VCPUOP_stop_singleshot_timer && XS_MMUEXT_TLB_FLUSH_LOCAL == MMUEXT_TLB_FLUSH_LOCAL &&
	       XS_MMUEXT_INVLPG_LOCAL == MMUEXT_INVLPG_LOCAL &&
	       XS_HYPERVISOR_EVENT_CHANNEL_OP == __HYPERVISOR_event_channel_op && XS_EVTCHNOP_SEND == EVTCHNOP_send &&
	       XS_HYPERVISOR_XEN_VERSION == __HYPERVISOR_xen_version && XS_XENVER_VERSION == XENVER_version &&
	       XS_SEGBASE_FS == SEGBASE_FS && XS_SEGBASE_GS_USER == SEGBASE_GS_USER &&
	       XS_SEGBASE_GS_KERNEL == SEGBASE_GS_KERNEL && XS_SEGBASE_GS_USER_SEL == SEGBASE_GS_USER_SEL,
	       "the entry stub's Xen numbers are libxen-dev's");
_Static_assert(XS_RSP0_OFF + XC_WORDS * 8 == 2 * 4096, "the cells end the vCPU's block");
_Static_assert(XS_TRACE_RECS * XS_TRACE_REC == 4096 && (XS_TRACE_RECS & (XS_TRACE_RECS - 1)) == 0 &&
	       XS_TRACE_VA(0) >= XS_BLOCK_VA(XS_MAX_VCPUS) && XS_TRACE_VA(XS_MAX_VCPUS) <= XS_VA + (2 << 20),
	       "a trace ring a page of whole records, in the stub's L1 after the blocks");
_Static_assert(XD_BELLS + XS_MAX_BELLS <= 512 && XD_BELLS > XD_VCPUS, "the bells in the domain's page");

bool xen_fast_on(void)
{
	return !fp_host.forced_off && !xen_tracing();
}

/* What the fast path reads, from pvmon's state, before every KVM_RUN (the
 * vCPU is out of the guest: its stub reads them only once it runs). */
static uint64_t stub_stop_mode(void);

static void cells_out(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *c = xv->cell;
	const struct xen_trap *pf = &xv->traps[14];
	c[XC_FAST] = xen_fast_on();
	c[XC_USER] = xv->user;
	c[XC_CR3] = xen_cur_l4(v) * PAGE;
	c[XC_KCR3] = xv->kernel_l4 * PAGE;
	c[XC_UCR3] = xv->user_l4 * PAGE;
	c[XC_KSP] = xv->kernel_sp;
	c[XC_CB_SYSCALL] = xv->cb_syscall;
	c[XC_CB_EVENT] = xv->cb_event;
	c[XC_SYSCALL_MASK] = xv->cb_syscall_mask;
	c[XC_PF] = pf->address;
	c[XC_PF_MASK] = (pf->flags & 4) != 0;
	c[XC_VI] = xv->vi_stub;
	c[XC_IOPL] = xv->iopl >= 1;
	c[XC_ID] = v->id + 1;
	c[XC_STOP] = stub_stop_mode();
	c[XC_T_LIMIT] = trace_xen_stub_enabled() ? xv->ring_tail + XS_TRACE_RECS : 0;
}

extern const uint8_t xs_stub_start[], xs_fast_abort[], xs_mmu_locked[], xs_mmu_unlocked[], xs_mmu_cas[],
	xs_mmu_commit[], xs_mmu_done[], xs_base_commit[], xs_base_done[], xs_bell_out[], xs_bell_rung[];

static bool stub_at(uint64_t off, const uint8_t *from, const uint8_t *to)
{
	return off >= (uint64_t)(from - xs_stub_start) && off < (uint64_t)(to - xs_stub_start);
}

/* A commit's page-type store, done again: frame f + 1 (0: none, more
 * than the domain's frames: refused) gets the first 8 bytes of its
 * xmm_page from the cell w. */
static bool pg_ok(const struct xen_domain *x, uint64_t f)
{
	return f <= x->mm.nr_frames;
}

static void pg_store(struct xen_domain *x, uint64_t f, const uint64_t *w)
{
	if (f)
		memcpy(&x->mm.pg[f - 1], w, 8);
}

/* The base pointers' commit, done again: the four counts, the cells. */
static bool base_commit(struct xen_domain *x, uint64_t *c)
{
	for (unsigned i = 0; i < 4; i++)
		if (!pg_ok(x, c[XC_BF + 2 * i]))
			return false;
	for (unsigned i = 0; i < 4; i++)
		pg_store(x, c[XC_BF + 2 * i], &c[XC_BW + 2 * i]);
	c[XC_KCR3] = c[XC_CR3] = c[XC_BK];
	c[XC_UCR3] = c[XC_BU];
	return true;
}

/* The update's commit past its cmpxchg (the entry is stored), done again:
 * the new and the old frame's counts, the old one's stamp. */
static bool mmu_commit(struct xen_domain *x, const uint64_t *c)
{
	if (!pg_ok(x, c[XC_MMU_NF]) || !pg_ok(x, c[XC_MMU_OF]))
		return false;
	pg_store(x, c[XC_MMU_NF], &c[XC_MMU_NW]);
	pg_store(x, c[XC_MMU_OF], &c[XC_MMU_OW]);
	if (c[XC_MMU_OF] && c[XC_MMU_OSTAMP])
		x->mm.pg[c[XC_MMU_OF] - 1].wstamp = xmm_tlb_stamp(&x->mm);   /* a later stamp: as safe */
	return true;
}

/* The stub's page-table update (mmu_update, update_va_mapping, a direct
 * write) or base-pointer pair stopped under the page-type lock: before
 * its commit nothing has changed, so it goes to the slow path (pvmon
 * serves the call); inside the commit pvmon does the commit's stores
 * again from the cells (absolute values: a store done twice is the same)
 * and lets it go on past them. An update's commit begins with the
 * entry's cmpxchg, which pvmon never does again (the CPU may have set
 * the new entry's dirty bit since): stopped just after it, ZF says
 * whether it stored. Either way the lock is given back here, before this
 * thread can take the domain's lock. */
static void stub_mmu_stopped(struct vcpu *v, struct xen_vcpu *xv)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	uint64_t *word = &x->stub_dom[XD_LOCK];
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != v->id + 1U)
		return;
	struct kvm_regs *r = &v->run->s.regs.regs;
	uint64_t off = r->rip - XS_CODE_VA;
	bool cas_failed = off == (uint64_t)(xs_mmu_commit - xs_stub_start) && !(r->rflags & 0x40);
	if (stub_at(off, xs_mmu_locked, xs_mmu_unlocked) || stub_at(off, xs_mmu_cas, xs_mmu_commit) || cas_failed) {
		r->rip = XS_CODE_VA + (uint64_t)(xs_fast_abort - xs_stub_start);
	} else if (stub_at(off, xs_base_commit, xs_base_done) && base_commit(x, xv->cell)) {
		r->rip = XS_CODE_VA + (uint64_t)(xs_base_done - xs_stub_start);
	} else if (stub_at(off, xs_mmu_commit, xs_mmu_done) && mmu_commit(x, xv->cell)) {
		r->rip = XS_CODE_VA + (uint64_t)(xs_mmu_done - xs_stub_start);
	} else {
		/* Cannot be: the stub holds it only there. Its page types can no
		 * longer be trusted, and this domain stops. */
		x->mm.corrupt = "the entry stub held the page-type lock outside its page-table updates";
		x->stub_dom[XD_FRAMES] = 0;
		__atomic_store_n(word, 0, __ATOMIC_RELEASE);
		xen_crash(v, "the entry stub held the page-type lock at rip %#llx", (unsigned long long)r->rip);
		return;
	}
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	__atomic_fetch_add(&x->stub_mmu_stops, 1, __ATOMIC_RELAXED);
	__atomic_store_n(word, 0, __ATOMIC_RELEASE);
}

/* A test's hook (PVLAB_XEN_STUB_STOP=locked or commit): the stub's
 * page-table update or base-pointer pair stops itself (an `out` to XS_STOP_PORT) where it has just
 * taken its lock, or halfway through its commit, so that pvmon finds every
 * such call stopped there and takes the path above (xen_hostile.sh).
 * With "event" the stub's event path raises the event vector inside the
 * stub (`int`), once a run, as KVM was seen to deliver it there.
 * Otherwise only a signal or an exit stops a vCPU there, by chance. */
static uint64_t stub_stop_mode(void)
{
	static int mode = -1;
	if (mode < 0) {
		const char *e = getenv("PVLAB_XEN_STUB_STOP");
		mode = !e ? 0 : !strcmp(e, "locked") ? 1 : !strcmp(e, "commit") ? 2 : !strcmp(e, "event") ? 3 : 0;
	}
	return (uint64_t)mode;
}

bool xen_stub_stopped(struct vcpu *v)
{
	uint64_t off = v->run->s.regs.regs.rip - XS_CODE_VA;   /* where stub_mmu_stopped sent it */
	return stub_stop_mode() && (off == (uint64_t)(xs_fast_abort - xs_stub_start) ||
	                            off == (uint64_t)(xs_mmu_done - xs_stub_start) ||
	                            off == (uint64_t)(xs_base_done - xs_stub_start));
}

bool xen_stub_belled(struct vcpu *v)
{
	uint64_t off = v->run->s.regs.regs.rip - XS_CODE_VA;   /* at the `out`, or past it where KVM moved on */
	return off == (uint64_t)(xs_bell_out - xs_stub_start) || off == (uint64_t)(xs_bell_rung - xs_stub_start);
}

/* What a count the stub keeps in a cell gained since this vCPU's
 * thread last looked (seen), added to the domain's counter. */
static void fold(atomic_uint_fast64_t *into, uint64_t now, uint64_t *seen)
{
	if (now != *seen) {
		atomic_fetch_add_explicit(into, now - *seen, memory_order_relaxed);
		*seen = now;
	}
}

#define BOUNCE_UPCALL 256         /* xen_bounce's vector of an event upcall */
#define BOUNCE_SYSCALL 257        /* and of a guest process's system call */

/* The trace ring's kinds (XT_*): pvmon:xen_stub's what, Xen's hypercall
 * number (-1: none) and xen_bounce's vector of the frame written (-1). */
static const struct { const char *what; int hypercall, bounce; } stub_kinds[XT_KINDS] = {
	[XT_SYSCALL] = { "syscall", -1, BOUNCE_SYSCALL },
	[XT_PF] = { "page_fault", -1, 14 },
	[XT_IRET] = { "iret", __HYPERVISOR_iret, -1 },
	[XT_EMUL] = { "emulated", -1, -1 },
	[XT_SEGBASE] = { "set_segment_base", __HYPERVISOR_set_segment_base, -1 },
	[XT_STACK] = { "stack_switch", __HYPERVISOR_stack_switch, -1 },
	[XT_MMU] = { "mmu_update", __HYPERVISOR_mmu_update, -1 },
	[XT_UVM] = { "update_va_mapping", __HYPERVISOR_update_va_mapping, -1 },
	[XT_BASE] = { "baseptr", __HYPERVISOR_mmuext_op, -1 },
	[XT_PTWR] = { "ptwr", -1, -1 },
	[XT_FLUSH] = { "tlb_flush_local", __HYPERVISOR_mmuext_op, -1 },
	[XT_INVLPG] = { "invlpg_local", __HYPERVISOR_mmuext_op, -1 },
	[XT_VCPUOP] = { "vcpu_op_absent", __HYPERVISOR_vcpu_op, -1 },
	[XT_TIMER] = { "singleshot_timer", __HYPERVISOR_vcpu_op, -1 },
	[XT_VERSION] = { "xen_version", __HYPERVISOR_xen_version, -1 },
	[XT_UPCALL] = { "xen_version_upcall", __HYPERVISOR_xen_version, BOUNCE_UPCALL },
	[XT_EVENT] = { "event", -1, -1 },
	[XT_EVUP] = { "event_upcall", -1, BOUNCE_UPCALL },
	[XT_BELL] = { "evtchn_send", __HYPERVISOR_event_channel_op, -1 },
};

/* The guest's TSC as CLOCK_MONOTONIC, LTTng's clock: its system time by
 * the vCPU's pvclock (xen_publish_time), from pvmon's start (time_now). */
static uint64_t pvclock_mono_ns(const struct vcpu_time_info *t, uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - t->tsc_timestamp);
	uint64_t ad = d < 0 ? -(uint64_t)d : (uint64_t)d;
	ad = t->tsc_shift >= 0 ? ad << t->tsc_shift : ad >> -t->tsc_shift;
	uint64_t ns = (uint64_t)(((unsigned __int128)ad * t->tsc_to_system_mul) >> 32);
	return host.boot_ns + (d < 0 ? t->system_time - ns : t->system_time + ns);
}

/* The records of the vCPU's trace ring since the last drain, as
 * pvmon:xen_stub events. A record of a kind the stub does not write is
 * a bug in it: skipped. */
static void stub_trace_drain(struct vcpu *v, struct xen_vcpu *xv)
{
	uint64_t head = __atomic_load_n(&xv->cell[XC_T_HEAD], __ATOMIC_ACQUIRE);
	if (head - xv->ring_tail > XS_TRACE_RECS)   /* cannot be (the stub checks its room): keep the newest */
		xv->ring_tail = head - XS_TRACE_RECS;
	for (; xv->ring_tail != head; xv->ring_tail++) {
		const uint64_t *r = xv->ring + (xv->ring_tail & (XS_TRACE_RECS - 1)) * (XS_TRACE_REC / 8);
		unsigned kind = r[1] & 0xff;
		if (kind >= XT_KINDS || !stub_kinds[kind].what)
			continue;
		trace_xen_stub(v->dom->id, v->id, stub_kinds[kind].what, stub_kinds[kind].hypercall,
		               stub_kinds[kind].bounce, r[2], r[3], pvclock_mono_ns(&xv->vi->time, r[0]), r[0]);
	}
}

void xen_after_run(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	if (v->dom->xen->stub_dom)
		stub_mmu_stopped(v, xv);
	if (xv->ring && xv->cell[XC_T_HEAD] != xv->ring_tail)
		stub_trace_drain(v, xv);
	/* The stub's page-table updates, local TLB flushes and direct
	 * writes, in the domain's counts. */
	fold(&v->dom->mmu_updates, xv->cell[XC_N_MMU], &xv->mmu_seen);
	fold(&v->dom->tlb_flushes, xv->cell[XC_N_FLUSH], &xv->flush_seen);
	fold(&v->dom->pt_writes, xv->cell[XC_N_PTWR], &xv->ptwr_seen);
	fold(&v->upcalls, xv->cell[XC_N_UPCALL], &xv->upcall_seen);   /* the stub's upcalls, in the vCPU's */
	fold(&v->upcalls, xv->cell[XC_N_EVUP], &xv->evup_seen);
	xv->user = xv->cell[XC_USER] != 0;   /* the fast path's mode switches (the GS bases are the CPU's) */
	xv->kernel_sp = xv->cell[XC_KSP];    /* and its stack_switch */
	xv->kernel_l4 = xv->cell[XC_KCR3] / PAGE;   /* and its base pointers (the references moved with them) */
	xv->user_l4 = xv->cell[XC_UCR3] / PAGE;
	xen_timer_sync(v);                   /* and its one-shot timer */
}

/* The guest's TSC now, read from KVM: the offset measured at the vCPU's
 * creation does not hold where KVM moves it (an unstable host TSC, as
 * under TCG, where a timestamp ahead of the guest's TSC made Linux's clock
 * jump by 2^64 cycles); never ahead of what the guest reads next. */
static uint64_t guest_tsc(struct vcpu *v)
{
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } m = { .h.nmsrs = 1, .e.index = 0x10 };
	if (ioctl(v->fd, KVM_GET_MSRS, &m) == 1)
		return m.e.data;
	return __rdtsc() + (uint64_t)v->tsc_offset;
}

/* The guest's TSC and the system time of one moment: the time read on
 * both sides of the TSC (an ioctl), the middle of the closest pair of a
 * few tries. A thread taken off its CPU between two bare reads put the
 * guest's clock ahead by as long as it was away, until the next publish
 * (more than 1 ms, seen in the nested host beside the back ends' threads:
 * a timer the guest set 1 ms in the past by its clock was in the future
 * by pvmon's). */
static void tsc_and_time(struct vcpu *v, uint64_t *tsc, uint64_t *ns)
{
	uint64_t gap = UINT64_MAX;
	for (int i = 0; i < 4 && gap > 50000; i++) {
		uint64_t t0 = time_now(), c = guest_tsc(v), t1 = time_now();
		if (t1 - t0 < gap) {
			gap = t1 - t0;
			*tsc = c;
			*ns = t0 + gap / 2;
		}
	}
}

void xen_publish_time(struct vcpu *v)
{
	struct vcpu_time_info *t = &XV(v)->vi->time;
	uint64_t tsc = 0, ns = 0;
	tsc_and_time(v, &tsc, &ns);
	uint32_t ver = t->version;
	__atomic_store_n(&t->version, ver + 1 + (ver & 1), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	t->tsc_timestamp = tsc;
	t->system_time = ns;
	/* ns = ((delta << shift) * mul) >> 32, mul < 2^32 (Xen's scale). */
	uint64_t khz = host.tsc_khz ? host.tsc_khz : 1000000;
	int shift = 0;
	uint64_t hz = khz * 1000;
	while (hz > 2000000000ULL) {            /* ticks faster than 2 GHz: shift them down */
		hz >>= 1;
		shift--;
	}
	while (hz < 1000000000ULL) {
		hz <<= 1;
		shift++;
	}
	t->tsc_shift = (int8_t)shift;
	t->tsc_to_system_mul = (uint32_t)((1000000000ULL << 32) / hz);
	t->flags = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&t->version, ver + 2 + (ver & 1), __ATOMIC_RELAXED);
}

/* ---- bounces (Xen's create_bounce_frame) ---------------------------------- */

/* Enter handler in guest kernel mode with Xen's frame: RCX, R11,
 * [error code], RIP, CS (saved upcall mask in bits 32-39), RFLAGS, RSP, SS.
 * False: the domain crashed. */

static bool bounce(struct vcpu *v, unsigned vector, uint64_t handler, bool has_err, uint64_t err, bool mask,
                   const char *what)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	struct kvm_regs *r = R(v);
	if (!handler) {
		xen_crash(v, "%s with no handler registered", what);
		return false;
	}
	bool from_user = xv->user;
	uint64_t sp = f[XF_RSP];
	if (from_user) {
		if (!xv->kernel_sp) {
			xen_crash(v, "%s from user mode before stack_switch", what);
			return false;
		}
		sp = xv->kernel_sp;
		xen_set_mode(v, false);
	}
	sp &= ~15ULL;
	uint8_t saved = xv->vi->evtchn_upcall_mask;
	uint64_t w[8];
	unsigned n = 0;
	w[n++] = r->rcx;
	w[n++] = r->r11;
	if (has_err)
		w[n++] = err;
	w[n++] = f[XF_RIP];
	w[n++] = (from_user ? FLAT_USER_CS : FLAT_KERNEL_CS & ~3ULL) | (uint64_t)saved << 32;
	w[n++] = (f[XF_RFLAGS] & ~(RF_IF | 0x3000ULL)) | (saved ? 0 : RF_IF);
	w[n++] = f[XF_RSP];
	w[n++] = from_user ? FLAT_USER_SS : FLAT_KERNEL_SS;
	sp -= n * 8;
	if (xen_copy_to(v, sp, w, n * 8)) {
		xen_crash(v, "cannot push a bounce frame at 0x%llx for %s", (unsigned long long)sp, what);
		return false;
	}
	if (mask)
		xv->vi->evtchn_upcall_mask = 1;
	f[XF_RIP] = handler;
	f[XF_RSP] = sp;
	f[XF_RFLAGS] = (f[XF_RFLAGS] & ~(0x40000ULL | 0x20000ULL | 0x10000ULL | 0x4000ULL | RF_TF)) | RF_IF;
	f[XF_CS] = HV_UCS;
	f[XF_SS] = HV_UDS;
	count(&xv->bounces);
	trace_xen_bounce(v->dom->id, v->id, vector, w[has_err ? 3 : 2], handler, what);   /* the rip it came from */
	return true;
}

static const char *vec_name(unsigned vec)
{
	return fastpath_vector_name(vec);
}

/* An exception for the guest's handler of vector vec. */
static void bounce_trap(struct vcpu *v, unsigned vec, uint64_t err)
{
	char what[64];
	snprintf(what, sizeof(what), "exception %s (vector %u, error 0x%llx)", vec_name(vec), vec,
	         (unsigned long long)err);
	if (xen_tracing())
		fprintf(stderr, "pvmon xen: %s at 0x%llx\n", what, (unsigned long long)XV(v)->frame[XF_RIP]);
	bool has_err = (TRAP_ERRCODE_VECTORS >> vec) & 1;
	struct xen_trap *t = &XV(v)->traps[vec];
	bounce(v, vec, t->address, has_err, err, t->flags & 4, what);
}

/* ---- events ---------------------------------------------------------------- */

void xen_evtchn_set(struct domain *d, uint32_t port)
{
	struct xen_domain *x = d->xen;
	struct shared_info *s = x->shared;
	if (port >= XEN_NR_EVTCHN)
		return;
	const unsigned bits = sizeof(xen_ulong_t) * 8;
	if (__atomic_fetch_or(&s->evtchn_pending[port / bits], 1ULL << (port % bits), __ATOMIC_SEQ_CST) &
	    (1ULL << (port % bits)))
		return;
	/* Xen's evtchn_check_pollers: a vCPU in SCHEDOP_poll wakes for a
	 * port it polls, masked or not (Linux's spinlock kicker is masked). */
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		if (__atomic_load_n(&d->vcpus[i].polling, __ATOMIC_SEQ_CST))
			sched_wake(&d->vcpus[i], "poll");
	if (__atomic_load_n(&s->evtchn_mask[port / bits], __ATOMIC_SEQ_CST) & (1ULL << (port % bits)))
		return;
	struct vcpu *v = &d->vcpus[x->evtchn_vcpu[port] < d->nr_vcpus ? x->evtchn_vcpu[port] : 0];
	struct vcpu_info *vi = x->v[v->id].vi;
	if (__atomic_fetch_or(&vi->evtchn_pending_sel, 1ULL << (port / bits), __ATOMIC_SEQ_CST) & (1ULL << (port / bits)))
		return;
	if (__atomic_exchange_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST))
		return;
	sched_wake(v, "event");
	if (!__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_RELAXED) && v->state == VS_RUNNING &&
	    !xen_event_msi(v))
		sched_kick(v);
}

/* KVM's APIC takes the vector and delivers it when the guest can take
 * it, in KVM_RUN or at the next entry, and the stub bounces the upcall
 * (xs_fast_event): no exit to pvmon. */
bool xen_event_msi(struct vcpu *v)
{
	struct xen_domain *x = v->dom->xen;
	if (!x->stub_dom[XD_LAPIC])
		return false;
	struct kvm_msi m = { .address_lo = XEN_APIC_ADDR | (v->id << 12), .data = XS_EVENT_VECTOR };
	if (ioctl(v->dom->vm_fd, KVM_SIGNAL_MSI, &m) <= 0)
		return false;
	__atomic_fetch_add(&x->event_msis, 1, __ATOMIC_RELAXED);
	return true;
}

bool xen_has_work(struct vcpu *v)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = XV(v);
	if (__atomic_load_n(&xv->down, __ATOMIC_SEQ_CST))
		return false;
	if (xv->parked)
		return true;               /* VCPUOP_up came: the thread goes on */
	/* Xen's local_events_need_delivery: an upcall pending and, for a
	 * poll (which keeps the mask as it is), not masked. */
	if (__atomic_load_n(&xv->vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) &&
	    (!v->polling || !__atomic_load_n(&xv->vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST)))
		return true;
	const unsigned bits = sizeof(xen_ulong_t) * 8;
	for (uint32_t i = 0; v->polling && i < v->nr_poll; i++) {
		uint32_t p = v->poll_ports[i];
		if (__atomic_load_n(&x->shared->evtchn_pending[p / bits], __ATOMIC_SEQ_CST) & (1ULL << (p % bits)))
			return true;
	}
	return false;
}

bool xen_vcpu_parks(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	xv->parked = __atomic_load_n(&xv->down, __ATOMIC_SEQ_CST);
	return xv->parked;
}

static void upcall_before_run(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	struct kvm_run *run = v->run;
	/* Back on a slot since the runstate was written: Xen's context switch. */
	if (__atomic_load_n(&xv->runstate_va, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&v->state_since, __ATOMIC_RELAXED) != __atomic_load_n(&xv->runstate_since, __ATOMIC_RELAXED))
		xen_runstate_publish(v);
	run->request_interrupt_window = 0;
	if (!xv->cb_event || !__atomic_load_n(&xv->vi->evtchn_upcall_pending, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&xv->vi->evtchn_upcall_mask, __ATOMIC_SEQ_CST))
		return;
	if (xv->frame) {           /* at the stub's `out`: bounce now */
		xen_publish_time(v);
		if (bounce(v, BOUNCE_UPCALL, xv->cb_event, false, 0, true, "event upcall")) {
			count(&xv->upcalls);
			atomic_fetch_add_explicit(&v->upcalls, 1, memory_order_relaxed);
		}
		if (xen_tracing())
			fprintf(stderr, "pvmon xen: upcall at 0x%llx\n", (unsigned long long)xv->frame[XF_RIP]);
		return;
	}
	if (!run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		return;
	}
	struct kvm_interrupt irq = { .irq = XS_EVENT_VECTOR };
	if (ioctl(v->fd, KVM_INTERRUPT, &irq))
		run->request_interrupt_window = 1;
}

void xen_before_run(struct vcpu *v)
{
	upcall_before_run(v);
	cells_out(v);
	xen_timer_enter(v);
}

/* ---- emulation -------------------------------------------------------------- */

static bool canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1ffff;
}

static int wrmsr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!canonical(val))
			return -EINVAL;
		return xen_seg_base(v, msr == MSR_FS_BASE ? 0 : 1, NULL, &val);
	case MSR_SHADOW_GS_BASE:
		if (!canonical(val))
			return -EINVAL;
		return xen_gs_other(v, NULL, &val);
	case MSR_PAT:
		return val == XEN_PAT ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static int rdmsr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_FS_BASE:
		return xen_seg_base(v, 0, val, NULL);
	case MSR_GS_BASE:
		return xen_seg_base(v, 1, val, NULL);
	case MSR_SHADOW_GS_BASE:
		return xen_gs_other(v, val, NULL);
	case MSR_EFER:
		*val = 0xd01;          /* SCE LME LMA NXE: what a PV kernel may assume */
		return 0;
	case MSR_PAT:
		*val = XEN_PAT;
		return 0;
	case 0x10:                 /* TSC */
		*val = guest_tsc(v);
		return 0;
	default:
		return -EINVAL;
	}
}

/* pvmon's CPUID policy for a PV guest: the host's, less what PV cannot
 * use (virtualization, XSAVE/AVX state, PCID, SMEP/SMAP, FSGSBASE, PKU,
 * superpages, monitor, x2APIC, performance counters), plus Xen's leaves
 * at 0x40000000 ("XenVMMXenVMM", version 4.17, no hypercall page). */
static void cpuid_policy(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	uint32_t max_basic, max_ext, t[4];
	__cpuid(0, max_basic, t[1], t[2], t[3]);
	__cpuid(0x80000000, max_ext, t[1], t[2], t[3]);
	if (max_basic > 0xd)
		max_basic = 0xd;
	memset(r, 0, 16);
	if (leaf >= 0x40000000 && leaf < 0x40010000) {
		if (leaf == 0x40000000) {
			r[0] = 0x40000002;
			memcpy(&r[1], "XenV", 4);
			memcpy(&r[2], "MMXe", 4);
			memcpy(&r[3], "nVMM", 4);
		} else if (leaf == 0x40000001) {
			r[0] = (4 << 16) | 17;
		}
		return;
	}
	if ((leaf <= max_basic) || (leaf >= 0x80000000 && leaf <= max_ext))
		__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
	else
		return;
	switch (leaf) {
	case 0:
		r[0] = max_basic;
		break;
	case 1:
		r[1] &= 0x0000ffff;                      /* APIC id 0, one logical CPU */
		r[1] |= 1 << 16;
		/* And RDRAND (bit 30): KVM on VT-x, given no CPUID by pvmon, makes
		 * RDRAND and RDSEED exit and raises #UD (found under Bochs: Linux's
		 * random_init_early died on rdseed). */
		r[2] &= ~((1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 15) | (1u << 17) |
		          (1u << 18) | (1u << 21) | (1u << 24) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29) |
		          (1u << 30));
		r[2] |= 1u << 31;                        /* hypervisor */
		/* Also PSE, PGE and PSE36, as Xen's pv_cpuid long did: pvmon's page
		 * types refuse superpages and global pages (Linux maps its direct
		 * map with 2 MiB pages where CPUID offers PSE). */
		r[3] &= ~((1u << 1) | (1u << 3) | (1u << 7) | (1u << 13) | (1u << 14) | (1u << 17) | (1u << 21) |
		          (1u << 22) | (1u << 29) | (1u << 31));
		break;
	case 6: case 0xa: case 0xd:
		memset(r, 0, 16);
		break;
	case 7:
		if (sub) {
			memset(r, 0, 16);
			break;
		}
		r[0] = 0;
		r[1] &= (1u << 3) | (1u << 8) | (1u << 9) | (1u << 19) | (1u << 23) | (1u << 24) | (1u << 29);   /* no RDSEED (18): as RDRAND */
		r[2] = 0;
		r[3] = 0;
		break;
	case 0x80000000:
		if (r[0] > 0x80000008)
			r[0] = 0x80000008;
		break;
	case 0x80000001:
		r[2] &= ~((1u << 2) | (1u << 3) | (1u << 10) | (1u << 12) | (1u << 13) | (1u << 15) | (1u << 22) |
		          (1u << 23) | (1u << 29));
		/* AMD's copies of PSE PGE PSE36; 1 GiB pages; RDTSCP (KVM, given no
		 * CPUID by pvmon, intercepts it as #UD, and its TSC_AUX is not emulated). */
		r[3] &= ~((1u << 3) | (1u << 13) | (1u << 17) | (1u << 26) | (1u << 27));
		break;
	}
}

/* The same policy as KVM's CPUID table for the vCPU. The guest's
 * processes (and its kernel outside the forced-emulation prefix) execute
 * a bare CPUID, which KVM answers from that table without an exit to
 * pvmon: without one they read zeros, and glibc's loader refused every
 * dynamically linked program ("CPU ISA level is lower than required": no
 * SSE2, CMOV, ... of the x86-64 baseline). 0 or -errno. */
int xen_cpuid_set(struct vcpu *v)
{
	enum { MAX_ENTRIES = 80 };
	struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[MAX_ENTRIES];
	} c;
	uint32_t r[4], max_basic, max_ext, n = 0;
	memset(&c, 0, sizeof(c));
	cpuid_policy(0, 0, r);
	max_basic = r[0];
	cpuid_policy(0x80000000, 0, r);
	max_ext = r[0];
	static const uint32_t xen_leaves[] = { 0x40000000, 0x40000001, 0x40000002 };
	for (uint32_t pass = 0; pass < 3; pass++) {
		uint32_t first = pass == 0 ? 0 : pass == 1 ? 0x40000000 : 0x80000000;
		uint32_t last = pass == 0 ? max_basic : pass == 1 ? xen_leaves[2] : max_ext;
		for (uint32_t leaf = first; leaf <= last; leaf++) {
			/* leaves with subleaves: 4 (caches), 7, 0xb (topology), 0xd */
			bool indexed = leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd;
			for (uint32_t sub = 0; sub < (indexed ? 8u : 1u); sub++) {
				cpuid_policy(leaf, sub, r);
				if (indexed && sub > 0 && !r[0] && !r[1] && !r[2] && !r[3])
					break;
				if (n == MAX_ENTRIES)
					return -E2BIG;
				c.e[n++] = (struct kvm_cpuid_entry2){
					.function = leaf, .index = sub, .eax = r[0], .ebx = r[1], .ecx = r[2], .edx = r[3],
					.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0 };
			}
		}
	}
	c.h.nent = n;
	/* KVM's table only: x2APIC for the stub's EOI (xen_lapic_init); the
	 * kernel's forced-emulation CPUID keeps it hidden. */
	for (uint32_t i = 0; i < n && v->dom->xen->stub_dom[XD_LAPIC]; i++)
		if (c.e[i].function == 1)
			c.e[i].ecx |= 1u << 21;
	return ioctl(v->fd, KVM_SET_CPUID2, &c) ? -errno : 0;
}

/* A #GP from guest kernel code: emulate the privileged instruction at rip.
 * 1: emulated (rip moved on), 0: not one pvmon emulates. */
static int emulate_gp(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	uint8_t b[16];
	memset(b, 0, sizeof(b));
	if (xen_copy_from(v, b, f[XF_RIP], 15) && xen_copy_from(v, b, f[XF_RIP], PAGE - (f[XF_RIP] & 4095)))
		return 0;
	unsigned i = 0, rex = 0;
	bool opsize = false;
	while (i < 4 && (b[i] == 0x66 || b[i] == 0x2e || b[i] == 0x3e)) {
		opsize |= b[i] == 0x66;
		i++;
	}
	if ((b[i] & 0xf0) == 0x40)
		rex = b[i++];
	uint64_t val = 0, what_val = 0;
	const char *what;
	if (b[i] == 0x0f && b[i + 1] == 0x30) {                    /* wrmsr */
		uint32_t msr = (uint32_t)*reg(v, 1);
		what = "wrmsr";
		what_val = msr;
		val = (uint32_t)*reg(v, 0) | (uint64_t)(uint32_t)*reg(v, 2) << 32;
		if (xen_tracing())
			fprintf(stderr, "pvmon xen: wrmsr 0x%x = 0x%llx\n", msr, (unsigned long long)val);
		if (wrmsr(v, msr, val))
			return 0;
		i += 2;
	} else if (b[i] == 0x0f && b[i + 1] == 0x32) {             /* rdmsr */
		uint32_t msr = (uint32_t)*reg(v, 1);
		what = "rdmsr";
		what_val = msr;
		if (xen_tracing())
			fprintf(stderr, "pvmon xen: rdmsr 0x%x\n", msr);
		if (rdmsr(v, msr, &val))
			return 0;
		*reg(v, 0) = (uint32_t)val;
		*reg(v, 2) = val >> 32;
		i += 2;
	} else if (b[i] == 0x0f && (b[i + 1] == 0x20 || b[i + 1] == 0x22)) {   /* mov from/to CRn */
		unsigned cr = ((b[i + 2] >> 3) & 7) | (rex & 4 ? 8 : 0), gpr = (b[i + 2] & 7) | (rex & 1 ? 8 : 0);
		what = b[i + 1] == 0x20 ? "mov from cr" : "mov to cr";
		what_val = cr;
		if (b[i + 1] == 0x20) {
			switch (cr) {
			case 0: val = 0x80050033 | (xv->cr0_ts ? 8 : 0); break;
			case 2: val = xv->vi->arch.cr2; break;
			case 3: val = xen_cur_l4(v) * PAGE; break;
			case 4: val = xv->cr4; break;
			default: return 0;
			}
			*reg(v, gpr) = val;
		} else {
			val = *reg(v, gpr);
			if (cr == 0 && ((val ^ 0x80050033) & ~8ULL) == 0)
				xv->cr0_ts = val & 8;
			else if (cr == 4 && !(val & ~0x7ffffULL))
				xv->cr4 = val;          /* what the guest sees; the CPU's CR4 stays pvmon's */
			else
				return 0;
		}
		i += 3;
	} else if (b[i] == 0x0f && (b[i + 1] == 0x06 || b[i + 1] == 0x09)) {   /* clts, wbinvd */
		what = b[i + 1] == 0x06 ? "clts" : "wbinvd";
		if (b[i + 1] == 0x06)
			xv->cr0_ts = 0;
		i += 2;
	} else if ((b[i] == 0xfa || b[i] == 0xfb) && xv->iopl >= 1) {   /* cli, sti */
		/* Xen's emulate_privileged_op: with a virtual IOPL the kernel may
		 * run them, and they do nothing (events stay the upcall mask's;
		 * Linux's early cmpxchg16b emulation runs `pushf; cli` before its
		 * alternatives are patched). */
		what = b[i] == 0xfa ? "cli" : "sti";
		i += 1;
	} else if ((b[i] & 0xf4) == 0xe4) {                        /* in/out, no port of ours: reads ~0 */
		bool in = !(b[i] & 2), imm = !(b[i] & 8);
		unsigned size = (b[i] & 1) ? (opsize ? 2 : 4) : 1;
		what = in ? "in" : "out";
		what_val = imm ? b[i + 1] : (uint16_t)*reg(v, 2);
		if (in) {
			uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1;
			*reg(v, 0) = size == 4 ? 0xffffffffULL : (*reg(v, 0) & ~mask) | mask;
		}
		i += imm ? 2 : 1;
	} else {
		return 0;
	}
	trace_xen_emulate(v->dom->id, v->id, f[XF_RIP], what, what_val);
	f[XF_RIP] += i;
	count(&xv->emulated);
	regs_dirty(v);
	return 1;
}

/* ---- the exit ---------------------------------------------------------------- */

/* A `syscall` through the LSTAR trampoline: the CPU set rcx (the next
 * rip, also the frame's) and r11 (rflags), which the guest saves itself. */
static void hypercall(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	struct kvm_regs *r = R(v);
	uint64_t nr = f[XF_RAX];
	if (xv->user) {
		/* A system call of a guest process: to the kernel's callback. */
		bounce(v, BOUNCE_SYSCALL, xv->cb_syscall, false, 0, xv->cb_syscall_mask, "system call");
		return;
	}
	uint64_t a[5] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8 };
	count(&xv->hcalls);
	atomic_fetch_add_explicit(&v->hypercalls, 1, memory_order_relaxed);
	xv->last_hcall[xv->last_n++ % 8] = (uint32_t)nr;
	if (!v->dom->boot_ns)
		v->dom->boot_ns = time_now() - v->dom->created_ns;
	/* An mmu_update batch the stub began: its first k entries are done
	 * (the stub took it only with no done pointer), the rest is pvmon's. */
	uint64_t k = xv->cell ? xv->cell[XC_MMU_I] : 0;
	if (k) {
		xv->cell[XC_MMU_I] = 0;
		if (nr == __HYPERVISOR_mmu_update && k < a[1]) {
			a[0] += k * sizeof(struct mmu_update);
			a[1] -= k;
		}
	}
	long rc = xen_hypercall(v, nr, a);
	if (xv->shadow_flush || v->dom->xen->force_flush)
		xen_shadow_flush(v);
	if (xen_tracing())
		fprintf(stderr, "pvmon xen: hypercall %s(%llu) (0x%llx, 0x%llx, 0x%llx, 0x%llx) = %ld\n",
		        xen_hypercall_name(nr), (unsigned long long)nr, (unsigned long long)a[0], (unsigned long long)a[1],
		        (unsigned long long)a[2], (unsigned long long)a[3], rc);
	if (rc != XEN_HC_REGS_SET)
		f[XF_RAX] = (uint64_t)rc;
}

static void undefined_opcode(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	uint8_t b[7] = { 0 };
	if (xen_copy_from(v, b, f[XF_RIP], 2)) {
		bounce_trap(v, 6, 0);
		return;
	}
	static const uint8_t xen_cpuid[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
	if (!xv->user && !xen_copy_from(v, b, f[XF_RIP], 7) && !memcmp(b, xen_cpuid, 7)) {
		uint32_t r[4];
		uint32_t leaf = (uint32_t)*reg(v, 0), sub = (uint32_t)*reg(v, 1);
		cpuid_policy(leaf, sub, r);
		trace_xen_emulate(v->dom->id, v->id, f[XF_RIP], "cpuid", leaf);
		*reg(v, 0) = r[0];
		*reg(v, 3) = r[1];
		*reg(v, 1) = r[2];
		*reg(v, 2) = r[3];
		f[XF_RIP] += 7;
		count(&xv->emulated);
		regs_dirty(v);
		return;
	}
	bounce_trap(v, 6, 0);
}

static void general_protection(struct vcpu *v, uint64_t err)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	if ((err & 3) == 2) {                  /* `int n` through a gate of pvmon's: the guest's table */
		unsigned n = (unsigned)(err >> 3) & 255;
		const struct xen_trap *t = &xv->traps[n];
		unsigned dpl = t->flags & 3;
		if (t->address && dpl >= (xv->user ? 3u : 1u)) {
			f[XF_RIP] += 2;
			char what[40];
			snprintf(what, sizeof(what), "int $0x%x", n);
			bounce(v, n, t->address, false, 0, t->flags & 4, what);
			return;
		}
	}
	if (!err && !xv->user && emulate_gp(v))
		return;
	bounce_trap(v, 13, err);
}

/* Xen's writable page tables (ptwr_do_page_fault): the guest kernel
 * wrote straight into a page-table entry of an L1 table, which is mapped
 * read-only. The write is decoded (xen_ptwr.c), validated as an
 * mmu_update of that entry would be, and done; the instruction is
 * skipped. 1: emulated; 0: not such a write (the fault goes to the guest). */
static int ptwr(struct vcpu *v, uint64_t cr2, uint64_t err)
{
	struct xen_vcpu *xv = XV(v);
	struct xen_domain *x = v->dom->xen;
	uint64_t *f = xv->frame;
	if (xv->user || (err & 3) != 3)
		return 0;                        /* not a kernel write to a present page */
	uint64_t ma;
	if (xmm_walk(&x->mm, xen_cur_l4(v), cr2, false, &ma, NULL) || (ma >> 12) >= x->mm.nr_frames)
		return 0;                        /* not mapped, or the shared-info frame */
	uint8_t b[16];
	memset(b, 0, sizeof(b));
	if (xen_copy_from(v, b, f[XF_RIP], 15) && xen_copy_from(v, b, f[XF_RIP], PAGE - (f[XF_RIP] & 4095)))
		return 0;
	struct xen_ptwr_insn in;
	if (!xen_ptwr_decode(b, &in))
		return 0;
	unsigned off = (unsigned)(ma & 7), size = in.size;
	if (off + size > 8 || (off & (size - 1)))
		return 0;                        /* not inside one entry */
	uint64_t vmask = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
	uint64_t entry = ma & ~7ULL, shift = off * 8ULL;
	uint64_t src = in.has_imm ? in.imm : *reg(v, in.reg);
	xen_lock(x);
	const struct xmm_page *p = &x->mm.pg[entry >> 12];
	if (!p->count || p->type != XMM_L1) {
		xen_unlock(x);
		return 0;                        /* Xen emulates writes to L1 tables only */
	}
	uint64_t old = x->mm.ram[entry / 8], cur = (old >> shift) & vmask, val, fl;
	int write = xen_ptwr_apply(&in, cur, src, *reg(v, 0), f[XF_RFLAGS], &val, &fl);
	if (write < 0) {
		xen_unlock(x);
		return 0;
	}
	uint64_t new = write ? (old & ~(vmask << shift)) | (val << shift) : old;
	int rc = write ? xmm_update(&x->mm, entry, new, false) : 0;
	xen_unlock(x);
	trace_xen_ptwr(v->dom->id, v->id, cr2, entry, old, new, f[XF_RIP], rc);
	if (rc) {
		if (xen_tracing())
			fprintf(stderr, "pvmon xen: ptwr at 0x%llx: 0x%llx refused (%d)\n", (unsigned long long)f[XF_RIP],
			        (unsigned long long)val, rc);
		return 0;                        /* an entry pvmon refuses: the guest's #PF */
	}
	if (in.kind == PT_XCHG)
		*reg(v, in.reg) = xen_ptwr_reg_result(size, *reg(v, in.reg), cur);
	if (in.kind == PT_CMPXCHG && !write)
		*reg(v, 0) = xen_ptwr_reg_result(size, *reg(v, 0), cur);
	f[XF_RFLAGS] = fl;
	f[XF_RIP] += in.len;
	count(&xv->emulated);
	atomic_fetch_add_explicit(&v->dom->pt_writes, 1, memory_order_relaxed);
	regs_dirty(v);
	return 1;
}

static void page_fault(struct vcpu *v, uint64_t err)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t cr2 = xv->frame[XF_CR2];
	if (ptwr(v, cr2, err))
		return;
	/* Xen: the user bit says the guest's mode, not the CPU's ring. */
	err &= ~4ULL;
	if (xv->user)
		err |= 4;
	xv->vi->arch.cr2 = cr2;
	if (xen_tracing())
		fprintf(stderr, "pvmon xen: #PF at 0x%llx address 0x%llx error 0x%llx\n",
		        (unsigned long long)xv->frame[XF_RIP], (unsigned long long)cr2, (unsigned long long)err);
	bounce_trap(v, 14, err);
}

void xen_exit(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	struct xen_vcpu *xv = XV(v);
	struct kvm_run *run = v->run;
	struct kvm_regs *r = R(v);
	uint64_t want = XS_BLOCK_VA(v->id) + XS_RSP0_OFF - XF_WORDS * 8;
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1 || r->rsp != want) {
		/* A fault inside the stub: its frame, where it lies in the block. */
		uint64_t base = XS_BLOCK_VA(v->id), at = r->rsp - base;
		char inner[128] = "";
		if (r->rsp >= base && at <= XS_RSP0_OFF - XF_WORDS * 8 && !(at & 7)) {
			const uint64_t *g = (const uint64_t *)(x->priv + x->stub_blocks + 2 * PAGE * v->id + at);
			snprintf(inner, sizeof(inner), " (vector %llu error 0x%llx at 0x%llx, rsp 0x%llx)",
			         (unsigned long long)g[XF_VEC], (unsigned long long)g[XF_ERR], (unsigned long long)g[XF_RIP],
			         (unsigned long long)g[XF_RSP]);
		}
		domain_crash(d, v, "exit on port 0x%x from outside the entry stub's frame (rsp 0x%llx): a fault inside the stub%s",
		             run->io.port, (unsigned long long)r->rsp, inner);
		return;
	}
	uint64_t *f = (uint64_t *)(x->priv + x->stub_blocks + 2 * PAGE * v->id + XS_RSP0_OFF) - XF_WORDS;
	xv->frame = f;
	if ((f[XF_CS] & 3) != 3) {
		domain_crash(d, v, "exception %llu inside the entry stub at 0x%llx", (unsigned long long)f[XF_VEC],
		             (unsigned long long)f[XF_RIP]);
		return;
	}
	count(&xv->traps_taken);
	unsigned vec = (unsigned)f[XF_VEC];
	uint64_t err = f[XF_ERR];
	switch (vec) {
	case XS_EVENT_VECTOR:
		if (xen_tracing())
			fprintf(stderr, "pvmon xen: event vector at 0x%llx\n", (unsigned long long)f[XF_RIP]);
		return;                 /* xen_before_run bounces the upcall */
	case XS_SYSCALL_VECTOR:
		hypercall(v);
		return;
	case 6:
		undefined_opcode(v);
		return;
	case 13:
		general_protection(v, err);
		return;
	case 14:
		page_fault(v, err);
		return;
	case 2: case 8: case 18:
		xen_crash(v, "exception %s (vector %u)", vec_name(vec), vec);
		return;
	default:
		bounce_trap(v, vec, err);
		return;
	}
}

void xen_counts(const struct domain *d, struct xen_counts *c)
{
	const struct xen_domain *x = d->xen;
	memset(c, 0, sizeof(*c));
	for (uint32_t i = 0; x && i < d->nr_vcpus && i < XS_MAX_VCPUS; i++) {
		c->stub_exits += __atomic_load_n(&x->v[i].traps_taken, __ATOMIC_RELAXED);
		c->hypercalls += __atomic_load_n(&x->v[i].hcalls, __ATOMIC_RELAXED);
		c->emulated += __atomic_load_n(&x->v[i].emulated, __ATOMIC_RELAXED);
		c->bounces += __atomic_load_n(&x->v[i].bounces, __ATOMIC_RELAXED);
		c->upcalls += __atomic_load_n(&x->v[i].upcalls, __ATOMIC_RELAXED);
		const uint64_t *cell = x->v[i].cell;   /* the stub's counts, written by the guest's CPU */
		c->fast_syscalls += __atomic_load_n(&cell[XC_N_SYSCALL], __ATOMIC_RELAXED);
		c->fast_faults += __atomic_load_n(&cell[XC_N_PF], __ATOMIC_RELAXED);
		c->fast_irets += __atomic_load_n(&cell[XC_N_IRET], __ATOMIC_RELAXED);
		c->fast_emulated += __atomic_load_n(&cell[XC_N_EMUL], __ATOMIC_RELAXED);
		c->fast_segbases += __atomic_load_n(&cell[XC_N_SEGBASE], __ATOMIC_RELAXED);
		c->fast_stacks += __atomic_load_n(&cell[XC_N_STACK], __ATOMIC_RELAXED);
		c->fast_mmu += __atomic_load_n(&cell[XC_N_MMU], __ATOMIC_RELAXED);
		c->fast_batches += __atomic_load_n(&cell[XC_N_BATCH], __ATOMIC_RELAXED);
		c->fast_base += __atomic_load_n(&cell[XC_N_BASE], __ATOMIC_RELAXED);
		c->fast_ptwr += __atomic_load_n(&cell[XC_N_PTWR], __ATOMIC_RELAXED);
		c->fast_vcpuop += __atomic_load_n(&cell[XC_N_VCPUOP], __ATOMIC_RELAXED);
		c->fast_flush += __atomic_load_n(&cell[XC_N_FLUSH], __ATOMIC_RELAXED);
		c->fast_timer += __atomic_load_n(&cell[XC_N_TIMER], __ATOMIC_RELAXED);
		c->fast_bells += __atomic_load_n(&cell[XC_N_BELL], __ATOMIC_RELAXED);
		c->fast_version += __atomic_load_n(&cell[XC_N_VERSION], __ATOMIC_RELAXED);
		c->fast_upcalls += __atomic_load_n(&cell[XC_N_UPCALL], __ATOMIC_RELAXED);
		c->fast_events += __atomic_load_n(&cell[XC_N_EVENT], __ATOMIC_RELAXED);
		c->fast_evups += __atomic_load_n(&cell[XC_N_EVUP], __ATOMIC_RELAXED);
		c->timer_kicks += __atomic_load_n(&x->v[i].timer_kicks, __ATOMIC_RELAXED);
		c->timer_fires += __atomic_load_n(&x->v[i].timer_fires, __ATOMIC_RELAXED);
		c->timer_parks += __atomic_load_n(&x->v[i].timer_parks, __ATOMIC_RELAXED);
	}
	c->fast = c->fast_syscalls + c->fast_faults + c->fast_irets + c->fast_emulated + c->fast_segbases +
	          c->fast_stacks + c->fast_mmu + c->fast_base + c->fast_ptwr + c->fast_vcpuop + c->fast_flush +
	          c->fast_timer + c->fast_bells + c->fast_version + c->fast_events;
}

void xen_stats(const struct domain *d, char *buf, size_t len)
{
	const struct xen_domain *x = d->xen;
	struct xen_counts c;
	xen_counts(d, &c);
	/* Per second of the domain's life: pvmon --stats prints this as it ends. */
	uint64_t end = time_now();
	double life = end > d->created_ns ? (double)(end - d->created_ns) / 1e9 : 0;
	double per_s = life > 0 ? 1 / life : 0;
	int n = snprintf(buf, len, "; xen: stub exits %llu (hypercalls %llu, emulated %llu, bounces %llu, upcalls %llu), "
	         "fast path %s: system calls %llu, page faults %llu, irets %llu, emulated %llu, segment bases %llu, "
	         "stack switches %llu, page-table updates %llu (stopped under the lock %llu), batches %llu, base pointers %llu, "
	         "page-table writes %llu, absent vCPUs %llu, local TLB flushes %llu, timers %llu (watcher kicks %llu, fired %llu, parks %llu), "
	         "doorbells %llu, xen_version %llu (upcalls %llu), event vectors %llu (upcalls %llu, by MSI %llu, inside the stub %llu), page types: validations %llu updates %llu, tlb flushes %llu (kicks %llu, reloads %llu, "
	         "type changes %llu); balloon: %llu frames out (given %llu, taken %llu); "
	         "per second over %.3fs: stub exits %.0f hypercalls %.0f emulated PT writes %.0f bounces %.0f",
	         (unsigned long long)c.stub_exits, (unsigned long long)c.hypercalls, (unsigned long long)c.emulated,
	         (unsigned long long)c.bounces, (unsigned long long)c.upcalls, xen_fast_on() ? "on" : "off",
	         (unsigned long long)c.fast_syscalls, (unsigned long long)c.fast_faults, (unsigned long long)c.fast_irets,
	         (unsigned long long)c.fast_emulated, (unsigned long long)c.fast_segbases,
	         (unsigned long long)c.fast_stacks, (unsigned long long)c.fast_mmu,
	         (unsigned long long)__atomic_load_n(&x->stub_mmu_stops, __ATOMIC_RELAXED),
	         (unsigned long long)c.fast_batches,
	         (unsigned long long)c.fast_base, (unsigned long long)c.fast_ptwr,
	         (unsigned long long)c.fast_vcpuop, (unsigned long long)c.fast_flush,
	         (unsigned long long)c.fast_timer, (unsigned long long)c.timer_kicks, (unsigned long long)c.timer_fires,
	         (unsigned long long)c.timer_parks, (unsigned long long)c.fast_bells,
	         (unsigned long long)c.fast_version, (unsigned long long)c.fast_upcalls,
	         (unsigned long long)c.fast_events, (unsigned long long)c.fast_evups,
	         (unsigned long long)__atomic_load_n(&x->event_msis, __ATOMIC_RELAXED),
	         (unsigned long long)__atomic_load_n(&x->stub_dom[XD_NESTED], __ATOMIC_RELAXED),
	         (unsigned long long)x->mm.validations,
	         (unsigned long long)x->mm.updates,
	         (unsigned long long)__atomic_load_n(&x->tlb_flushes, __ATOMIC_RELAXED),
	         (unsigned long long)__atomic_load_n(&x->tlb_kicks, __ATOMIC_RELAXED),
	         (unsigned long long)__atomic_load_n(&x->tlb_injects, __ATOMIC_RELAXED),
	         (unsigned long long)x->mm.flushes, (unsigned long long)x->mm.out_frames,
	         (unsigned long long)x->mm.given, (unsigned long long)x->mm.taken, life, (double)c.stub_exits * per_s,
	         (double)c.hypercalls * per_s, (double)atomic_load(&d->pt_writes) * per_s, (double)c.bounces * per_s);
	if (x->mm.shadow && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "; shadow paging: frames zapped %llu, whole drops %llu",
		              (unsigned long long)x->shadow_zaps, (unsigned long long)x->shadow_drops);
	struct xen_vbd_stats b;
	if ((xen_blkback_stats(d, &b) || b.requests) && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "; blk: requests %llu (segments %llu, %llu bytes, flushes %llu, "
		         "errors %llu, bad grants %llu) in %llu batches, %llu events to the guest, %llu kicks from it, I/O by %s",
		         (unsigned long long)b.requests, (unsigned long long)b.segments, (unsigned long long)b.bytes,
		         (unsigned long long)b.flushes, (unsigned long long)b.errors, (unsigned long long)b.bad_grants,
		         (unsigned long long)b.batches, (unsigned long long)b.notifies, (unsigned long long)b.kicks,
		         xen_blkback_io());
	struct xen_vif_stats t;
	if ((xen_netback_stats(d, &t) || t.tx_packets || t.rx_packets) && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; net: tx %llu packets (%llu bytes, errors %llu, dropped %llu) in %llu "
		         "batches, %llu kicks from the guest, %llu events; rx %llu packets (%llu bytes, dropped %llu) in %llu "
		         "batches, %llu events; bad grants %llu, vfr drops %llu, deferred %llu",
		         (unsigned long long)t.tx_packets, (unsigned long long)t.tx_bytes, (unsigned long long)t.tx_errors,
		         (unsigned long long)t.tx_dropped, (unsigned long long)t.tx_batches, (unsigned long long)t.tx_kicks,
		         (unsigned long long)t.tx_notifies, (unsigned long long)t.rx_packets, (unsigned long long)t.rx_bytes,
		         (unsigned long long)t.rx_dropped, (unsigned long long)t.rx_batches, (unsigned long long)t.rx_notifies,
		         (unsigned long long)t.bad_grants, (unsigned long long)t.vfr_drops, (unsigned long long)t.deferred);
}
