/* Xen's hypercalls for a Linux PV domain, by Xen's numbers (xen/xen.h) and
 * argument structs (libxen-dev's public headers). Every argument is copied
 * in once and checked on the copy; what pvmon does not implement is refused
 * with Xen's own answer for it (-ENOSYS, -EPERM), never half done. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "console.h"
#include "domain.h"
#include "pvmon.h"
#include "pvtime.h"
#include "sched.h"
#include "trace.h"
#include "xen_domain.h"
#include "xen_public.h"
#include "pvlab/xen_hypercalls.h"

#define PAGE 4096ULL
#define MAX_BATCH XS_MAX_BATCH
/* Xen's own, not in the public headers: the top bit of a batch count marks
 * a preempted batch being continued (Linux never sets it). */
#define MMU_UPDATE_PREEMPTED (~(~0U >> 1))
#define MEMOP_CMD_MASK 0x3f         /* xen/include/xen/hypercall.h: MEMOP_EXTENT_SHIFT 6 */

static bool canonical(uint64_t a)
{
	uint64_t top = a >> 47;
	return top == 0 || top == 0x1ffff;
}

/* A code address the guest registers: canonical, outside Xen's range. */
static bool guest_code(uint64_t a)
{
	return canonical(a) && !(a >= HYPERVISOR_VIRT_START && a < HYPERVISOR_VIRT_END);
}

/* ---- traps, callbacks, stacks, segments ------------------------------------ */

/* Xen's do_set_trap_table: each entry of the list, up to one with address
 * 0, replaces its vector's; the others stay (Linux installs its IDT one
 * gate at a time); a NULL list clears them all. Entries read before a bad
 * one stay installed, as in Xen. */
static long set_trap_table(struct vcpu *v, uint64_t list)
{
	struct xen_trap *t = XV(v)->traps;
	long rc = 0;
	if (!list)
		memset(t, 0, 256 * sizeof(*t));
	for (unsigned i = 0; list && i < 256; i++) {   /* more than 256 entries only repeat vectors */
		struct trap_info ti;
		if (xen_copy_from(v, &ti, list + i * sizeof(ti), sizeof(ti))) {
			rc = -EFAULT;
			break;
		}
		if (!ti.address)
			break;
		if (!guest_code(ti.address)) {
			rc = -EINVAL;
			break;
		}
		t[ti.vector] = (struct xen_trap){ ti.address, ti.flags };
	}
	return rc;
}

static long set_callback(struct vcpu *v, uint32_t type, uint64_t addr, uint32_t flags)
{
	struct xen_vcpu *x = XV(v);
	if (addr && !guest_code(addr))
		return -EINVAL;
	switch (type) {
	case CALLBACKTYPE_event: x->cb_event = addr; return 0;
	case CALLBACKTYPE_failsafe: x->cb_failsafe = addr; return 0;
	case CALLBACKTYPE_syscall:
		x->cb_syscall = addr;
		x->cb_syscall_mask = flags & CALLBACKF_mask_events;
		return 0;
	case CALLBACKTYPE_syscall32: x->cb_syscall32 = addr; return 0;
	case CALLBACKTYPE_sysenter: x->cb_sysenter = addr; return 0;
	case CALLBACKTYPE_nmi: x->cb_nmi = addr; return 0;
	default: return -EINVAL;
	}
}

static long callback_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	if (cmd == CALLBACKOP_register) {
		struct callback_register r;
		if (xen_copy_from(v, &r, arg, sizeof(r)))
			return -EFAULT;
		if (r.flags & ~CALLBACKF_mask_events)
			return -EINVAL;
		return set_callback(v, (uint32_t)r.type, r.address, r.flags);
	}
	if (cmd == CALLBACKOP_unregister) {
		struct callback_unregister u;
		if (xen_copy_from(v, &u, arg, sizeof(u)))
			return -EFAULT;
		return set_callback(v, (uint32_t)u.type, 0, 0);
	}
	return -ENOSYS;
}

/* A descriptor a PV guest may install (Xen's check_descriptor, 64-bit):
 * not present; code or data of any DPL, raised to 3 (the guest kernel
 * runs at CPL3: Xen's __fixup_guest_selector); the empty upper half of a
 * 16-byte system descriptor (type 0). TSS, LDT and gate descriptors never
 * (Xen takes call gates; no PV Linux installs one). */
static bool descriptor_fixup(uint64_t *d)
{
	if (!(*d & (1ULL << 47)))
		return true;
	if (*d & (1ULL << 44)) {
		*d |= 3ULL << 45;
		return true;
	}
	return ((*d >> 40) & 0xf) == 0;
}

/* Xen's pv_set_gdt: entries descriptors in frames[] (RAM frames, never
 * a page table), each one a descriptor a PV guest may have. Checked, and
 * kept as the guest's: the CPU's GDT stays pvmon's, whose flat user
 * segments (0x2b data, 0x33 code) are the ones a PV kernel loads.
 * Under the domain's lock. */
static long check_gdt(struct xen_domain *x, const uint64_t *frames, uint64_t entries)
{
	if (entries > FIRST_RESERVED_GDT_ENTRY)
		return -EINVAL;
	long rc = 0;
	for (uint64_t i = 0; i < (entries + 511) / 512 && !rc; i++) {
		uint64_t mfn = frames[i];
		const uint64_t *g = mfn < x->nr_pages ? xmm_host(&x->mm, mfn * PAGE, PAGE) : NULL;
		if (!g || (x->mm.pg[mfn].count && x->mm.pg[mfn].type >= XMM_L1)) {
			rc = -EINVAL;
			break;
		}
		uint64_t n = entries - i * 512 < 512 ? entries - i * 512 : 512;
		for (uint64_t e = 0; e < n && !rc; e++) {
			uint64_t desc = g[e];
			if (!descriptor_fixup(&desc))
				rc = -EINVAL;
		}
	}
	return rc;
}

static long set_gdt(struct vcpu *v, uint64_t frames, uint64_t entries)
{
	uint64_t f[16];
	if (entries > FIRST_RESERVED_GDT_ENTRY)
		return -EINVAL;
	if (xen_copy_from(v, f, frames, (entries + 511) / 512 * 8))
		return -EFAULT;
	struct xen_domain *x = v->dom->xen;
	xen_lock(x);
	long rc = check_gdt(x, f, entries);
	xen_unlock(x);
	return rc;
}

static long update_descriptor(struct vcpu *v, uint64_t maddr, uint64_t desc)
{
	struct xen_domain *x = v->dom->xen;
	if ((maddr & 7) || maddr / PAGE >= x->nr_pages || !descriptor_fixup(&desc))
		return -EINVAL;
	xen_lock(x);
	const struct xmm_page *p = &x->mm.pg[maddr / PAGE];
	long rc = (p->count && p->type >= XMM_L1) || p->out ? -EINVAL : 0;
	if (!rc)
		*(uint64_t *)((uint8_t *)x->mm.ram + maddr) = desc;
	xen_unlock(x);
	return rc;
}

static long set_segment_base(struct vcpu *v, uint64_t which, uint64_t base)
{
	if (which != SEGBASE_GS_USER_SEL && !canonical(base))
		return -EINVAL;
	switch (which) {
	case SEGBASE_GS_USER:
		return xen_gs_other(v, NULL, &base);   /* hypercalls come from kernel mode: the other is the user's */
	case SEGBASE_GS_USER_SEL: {
		/* Xen never fails this one (Linux BUG()s if it does): a selector
		 * that does not load becomes the null one. The CPU's GDT is
		 * pvmon's, whose user segments are flat, so the user GS base is 0
		 * whichever selector the guest names. */
		uint64_t zero = 0;
		xen_gs_other(v, NULL, &zero);
		return 0;
	}
	case SEGBASE_FS:
	case SEGBASE_GS_KERNEL:
		return xen_seg_base(v, which == SEGBASE_FS ? 0 : 1, NULL, &base) ? -EIO : 0;
	default:
		return -EINVAL;
	}
}

/* ---- memory ------------------------------------------------------------------ */

/* One mmu_update request, under the domain's lock. */
static long mmu_update_one(struct vcpu *v, const void *req)
{
	struct xen_domain *x = v->dom->xen;
	const struct mmu_update *u = req;
	unsigned cmd = (unsigned)(u->ptr & 7);
	uint64_t ptr = u->ptr & ~7ULL;
	long rc;
	if (cmd == MMU_NORMAL_PT_UPDATE || cmd == MMU_PT_UPDATE_PRESERVE_AD)
		rc = xmm_update(&x->mm, ptr, u->val, cmd == MMU_PT_UPDATE_PRESERVE_AD);
	else if (cmd == MMU_MACHPHYS_UPDATE)
		rc = (ptr >> 12) == u->val && u->val < x->nr_pages ? 0 : -EINVAL;   /* identity only */
	else
		rc = -ENOSYS;
	if (xen_tracing())
		fprintf(stderr, "pvmon xen:   mmu_update ptr 0x%llx val 0x%llx = %ld\n", (unsigned long long)u->ptr,
		        (unsigned long long)u->val, rc);
	if (!rc && cmd != MMU_MACHPHYS_UPDATE)
		atomic_fetch_add_explicit(&v->dom->mmu_updates, 1, memory_order_relaxed);
	return rc;
}

/* mmu_update and mmuext_op: count requests of size bytes at list, each
 * copied once and handed to one under the domain's lock; the first
 * failure ends the batch, and *pdone says how many were done (also
 * *ndone; *refused: whether one refused a request). */
static long run_batch(struct vcpu *v, uint64_t list, uint64_t count, uint64_t pdone, uint64_t dom, size_t size,
                      long (*one)(struct vcpu *, const void *), uint64_t *ndone, bool *refused)
{
	struct xen_domain *x = v->dom->xen;
	union { struct mmu_update u; struct mmuext_op op; } req;
	if ((uint16_t)dom != DOMID_SELF)
		return -EPERM;
	count &= ~MMU_UPDATE_PREEMPTED;
	if (count > MAX_BATCH)
		return -EINVAL;            /* Xen would continue a long batch; pvmon has no continuations: bounded */
	long rc = 0;
	uint64_t done = 0;
	for (; done < count; done++) {
		if (xen_copy_from(v, &req, list + done * size, size)) {
			rc = -EFAULT;
			break;
		}
		xen_lock(x);
		rc = one(v, &req);
		xen_unlock(x);
		if (rc) {
			*refused = true;
			break;
		}
	}
	*ndone = done;
	if (pdone && xen_copy_to(v, pdone, &(uint32_t){ (uint32_t)done }, 4))
		return -EFAULT;
	return rc;
}

/* mmu_update: a batch traced as pvos's (pvmon:mmu_update). */
static long mmu_update(struct vcpu *v, const uint64_t a[5])
{
	struct domain *d = v->dom;
	uint64_t t0 = time_mono_ns(), done = 0;
	bool refused = false;
	long rc = run_batch(v, a[0], a[1], a[2], a[3], sizeof(struct mmu_update), mmu_update_one, &done, &refused);
	/* mmu_updates: counted per entry by mmu_update_one. */
	atomic_fetch_add_explicit(&d->mmu_rejected, refused, memory_order_relaxed);
	trace_mmu_update(d->id, v->id, (uint32_t)(a[1] & ~MMU_UPDATE_PREEMPTED), (uint32_t)done, refused,
	                 time_mono_ns() - t0);
	return rc;
}

/* A TLB flush the guest asked for: counted and traced as pvos's
 * (pvmon:tlb_flush, the same kinds plus "multi" and "invlpg_multi"). The
 * flush itself is the caller's xv->flush (xen_shadow_flush under shadow
 * paging) and the stub's CR3 reload on the way back into the guest. */
static void tlb_flush(struct vcpu *v, const char *kind, uint64_t addr)
{
	atomic_fetch_add_explicit(&v->dom->tlb_flushes, 1, memory_order_relaxed);
	trace_tlb_flush(v->dom->id, v->id, kind, addr);
}

/* pvmon:tlb_flush's kind of an mmuext flush command: pvos's names, and
 * Xen's multi ones. An invlpg's starts with 'i'. */
static const char *flush_kind(unsigned cmd)
{
	switch (cmd) {
	case MMUEXT_TLB_FLUSH_LOCAL: return "local";
	case MMUEXT_TLB_FLUSH_MULTI: return "multi";
	case MMUEXT_TLB_FLUSH_ALL: return "all";
	case MMUEXT_INVLPG_LOCAL: return "invlpg";
	case MMUEXT_INVLPG_MULTI: return "invlpg_multi";
	default: return "invlpg_all";
	}
}

static long update_va_mapping(struct vcpu *v, uint64_t va, uint64_t val, uint64_t flags)
{
	struct xen_domain *x = v->dom->xen;
	/* Which other vCPUs flush (Xen's do_update_va_mapping): UVMF_LOCAL
	 * none, UVMF_ALL all, anything else (UVMF_MULTI) is the address of
	 * a vCPU bitmap in guest memory, read before anything changes. */
	uint64_t who = flags & ~(uint64_t)UVMF_FLUSHTYPE_MASK, type = flags & UVMF_FLUSHTYPE_MASK, others = 0;
	if (who == UVMF_ALL) {
		others = ~0ULL;
	} else if (who != UVMF_LOCAL) {
		if (!type)
			return -EINVAL;          /* a vCPU mask with nothing to flush */
		if ((who & 7) || xen_copy_from(v, &others, who, sizeof(others)))
			return -EFAULT;
	}
	others &= ~(1ULL << v->id);
	uint64_t l1e;
	xen_lock(x);
	/* The L1 entry: walk the upper levels only (the page itself may be absent). */
	long rc = -EINVAL;
	uint64_t mfn = XV(v)->kernel_l4;
	unsigned slot = (unsigned)(va >> 39) & 511;
	if (canonical(va) && !(slot >= XMM_HV_FIRST && slot <= XMM_HV_LAST)) {
		rc = 0;
		for (int level = 3; level >= 1 && !rc; level--) {
			uint64_t e = x->mm.ram[mfn * 512 + ((va >> (12 + 9 * level)) & 511)];
			if (!(e & XMM_PTE_P) || (e & 0x80) || ((e & XMM_PTE_ADDR) >> 12) >= x->nr_pages)
				rc = -EINVAL;
			mfn = (e & XMM_PTE_ADDR) >> 12;
		}
		l1e = mfn * PAGE + ((va >> 12) & 511) * 8;
		if (!rc)
			rc = xmm_update(&x->mm, l1e, val, false);
	}
	if (type)
		XV(v)->shadow_flush = true;
	xen_unlock(x);
	if (!rc)
		atomic_fetch_add_explicit(&v->dom->mmu_updates, 1, memory_order_relaxed);
	/* The other vCPUs too (this one reloads CR3 on its way back). */
	if (!rc && type && others)
		rc = xen_tlb_flush(v->dom, others, xen_tlb_now(v->dom));
	/* Traced as the mmuext command that flushes the same. */
	bool all = who == UVMF_ALL, multi = who != UVMF_LOCAL && !all;
	if (!rc && type == UVMF_TLB_FLUSH)
		tlb_flush(v, flush_kind(all ? MMUEXT_TLB_FLUSH_ALL : multi ? MMUEXT_TLB_FLUSH_MULTI : MMUEXT_TLB_FLUSH_LOCAL), 0);
	else if (!rc && type == UVMF_INVLPG)
		tlb_flush(v, flush_kind(all ? MMUEXT_INVLPG_ALL : multi ? MMUEXT_INVLPG_MULTI : MMUEXT_INVLPG_LOCAL), va);
	return rc;
}


static void set_base(struct vcpu *v, uint64_t *slot, uint64_t mfn)
{
	struct xen_domain *x = v->dom->xen;
	uint64_t old = *slot;
	*slot = mfn;
	if (old)
		xmm_put_type(&x->mm, old);
	XV(v)->cell[0] = xen_cur_l4(v) * PAGE;
}

static long mmuext_do(struct vcpu *v, const struct mmuext_op *op)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = XV(v);
	uint64_t mfn = op->arg1.mfn;
	switch (op->cmd) {
	case MMUEXT_PIN_L1_TABLE: case MMUEXT_PIN_L2_TABLE: case MMUEXT_PIN_L3_TABLE: case MMUEXT_PIN_L4_TABLE:
		return xmm_pin(&x->mm, mfn, (enum xmm_type)(XMM_L1 + op->cmd - MMUEXT_PIN_L1_TABLE));
	case MMUEXT_UNPIN_TABLE:
		return xmm_unpin(&x->mm, mfn);
	case MMUEXT_NEW_BASEPTR: {
		if (xv->user)
			return -EINVAL;
		xv->shadow_flush = true;        /* a CR3 load flushes the TLB */
		int rc = xmm_get_type(&x->mm, mfn, XMM_L4);
		if (!rc) {
			set_base(v, &xv->kernel_l4, mfn);
			tlb_flush(v, "baseptr", mfn * PAGE);
		}
		return rc;
	}
	case MMUEXT_NEW_USER_BASEPTR: {
		xv->shadow_flush = true;
		int rc = mfn ? xmm_get_type(&x->mm, mfn, XMM_L4) : 0;
		if (!rc) {
			set_base(v, &xv->user_l4, mfn);
			tlb_flush(v, "user_baseptr", mfn * PAGE);
		}
		return rc;
	}
	/* Shadow paging: xen_shadow_flush as the hypercall returns; else the
	 * stub's CR3 reload on the way back into the guest, and the other
	 * vCPUs' through xen_tlb_flush. */
	case MMUEXT_TLB_FLUSH_LOCAL: case MMUEXT_INVLPG_LOCAL:
		xv->shadow_flush = true;
		tlb_flush(v, flush_kind(op->cmd), flush_kind(op->cmd)[0] == 'i' ? op->arg1.linear_addr : 0);
		return 0;
	case MMUEXT_TLB_FLUSH_MULTI: case MMUEXT_INVLPG_MULTI: case MMUEXT_TLB_FLUSH_ALL: case MMUEXT_INVLPG_ALL: {
		xv->shadow_flush = true;
		tlb_flush(v, flush_kind(op->cmd), flush_kind(op->cmd)[0] == 'i' ? op->arg1.linear_addr : 0);
		/* Xen's vcpumask_to_pcpumask: a bitmap of vCPUs in guest memory
		 * (one word holds all of pvmon's); this vCPU is flushed anyway. */
		uint64_t mask = ~0ULL;
		if ((op->cmd == MMUEXT_TLB_FLUSH_MULTI || op->cmd == MMUEXT_INVLPG_MULTI) &&
		    xen_copy_from(v, &mask, (uint64_t)(uintptr_t)op->arg2.vcpumask.p, sizeof(mask)))
			return -EFAULT;
		return xen_tlb_flush(v->dom, mask & ~(1ULL << v->id), xen_tlb_now(v->dom));
	}
	case MMUEXT_SET_LDT:
		return op->arg2.nr_ents ? -EINVAL : 0;   /* no LDT segments for now */
	case MMUEXT_CLEAR_PAGE: case MMUEXT_COPY_PAGE: {
		uint64_t src = op->arg2.src_mfn;
		if (mfn >= x->nr_pages || x->mm.pg[mfn].out || (x->mm.pg[mfn].count && x->mm.pg[mfn].type != XMM_WRITABLE))
			return -EINVAL;
		if (op->cmd == MMUEXT_COPY_PAGE && (src >= x->nr_pages || x->mm.pg[src].out))
			return -EINVAL;
		uint8_t *d = (uint8_t *)x->mm.ram + mfn * PAGE;
		if (op->cmd == MMUEXT_CLEAR_PAGE)
			memset(d, 0, PAGE);
		else
			memmove(d, (uint8_t *)x->mm.ram + src * PAGE, PAGE);
		return 0;
	}
	default:
		return -ENOSYS;
	}
}

/* One mmuext_op, under the domain's lock. */
static long mmuext_one(struct vcpu *v, const void *req)
{
	const struct mmuext_op *op = req;
	long rc = mmuext_do(v, op);
	if (xen_tracing())
		fprintf(stderr, "pvmon xen:   mmuext cmd %u arg1 0x%llx arg2 0x%llx = %ld\n", op->cmd,
		        (unsigned long long)op->arg1.mfn, (unsigned long long)op->arg2.nr_ents, rc);
	return rc;
}

/* A frame pvmon itself writes: the console ring, the xenstore page, a
 * registered vcpu_info. */
static bool pvmon_writes(const struct xen_domain *x, uint32_t nr_vcpus, uint64_t f)
{
	if (f == x->layout.console.pfn || f == x->layout.xenstore.pfn)
		return true;
	for (uint32_t i = 0; i < nr_vcpus && i < XS_MAX_VCPUS; i++) {
		uintptr_t at = (uintptr_t)x->v[i].vi - (uintptr_t)x->mm.ram;
		if (x->v[i].vi && (uintptr_t)x->v[i].vi >= (uintptr_t)x->mm.ram && at / PAGE == f)
			return true;
	}
	return false;
}

/* The balloon, one extent of order 0 at a time (all Linux asks for):
 * decrease_reservation gives the frames named (gmfns) back to the host,
 * populate_physmap takes back the frames of the gpfns named (pseudo-
 * physical and machine frames are the same here, so the M2P stays as it
 * is), increase_reservation takes back any out frames and says which.
 * Xen's answer: how many extents were done, the first refused one
 * stopping the batch; pvmon bounds a batch instead of continuing it. */
static long reservation(struct vcpu *v, unsigned cmd, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_memory_reservation r;
	if (xen_copy_from(v, &r, arg, sizeof(r)))
		return -EFAULT;
	if (r.domid != DOMID_SELF)
		return -EPERM;
	if (r.nr_extents > MAX_BATCH)
		return -EINVAL;
	uint64_t list = (uint64_t)(uintptr_t)r.extent_start.p;
	if (r.extent_order != 0 || (!list && cmd != XENMEM_increase_reservation))
		return 0;
	long done = 0;
	for (; done < (long)r.nr_extents; done++) {
		xen_pfn_t f = 0;
		if (cmd != XENMEM_increase_reservation && xen_copy_from(v, &f, list + (uint64_t)done * sizeof(f), sizeof(f)))
			break;
		int rc;
		xen_lock(x);
		if (cmd == XENMEM_increase_reservation) {
			for (f = 0; f < x->nr_pages && !x->mm.pg[f].out; f++)
				;
		}
		if (cmd == XENMEM_decrease_reservation) {
			/* pvmon's own pages of the domain stay (it reads and writes them). */
			rc = pvmon_writes(x, v->dom->nr_vcpus, f) ? -EINVAL : xmm_balloon_out(&x->mm, f);
			if (!rc)   /* The host has the memory; a later touch finds a zero page. */
				madvise((uint8_t *)x->mm.ram + f * PAGE, PAGE, MADV_DONTNEED);
		} else {
			rc = xmm_balloon_in(&x->mm, f);
		}
		xen_unlock(x);
		if (rc)
			break;
		if (cmd != XENMEM_decrease_reservation && list &&
		    xen_copy_to(v, list + (uint64_t)done * sizeof(f), &f, sizeof(f))) {
			xen_lock(x);       /* the guest cannot learn it: not its */
			xmm_balloon_out(&x->mm, f);
			xen_unlock(x);
			break;
		}
	}
	if (xen_tracing())
		fprintf(stderr, "pvmon xen:   memory_op %u: %ld of %llu extents\n", cmd, done,
		        (unsigned long long)r.nr_extents);
	return done;
}

static long mmuext_op(struct vcpu *v, const uint64_t a[5])
{
	uint64_t done = 0;
	bool refused = false;
	return run_batch(v, a[0], a[1], a[2], a[3], sizeof(struct mmuext_op), mmuext_one, &done, &refused);
}

static long memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	switch (cmd & MEMOP_CMD_MASK) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		if (cmd >> 6)
			return -EINVAL;            /* a continuation pvmon never asked for */
		return reservation(v, (unsigned)cmd, arg);
	case XENMEM_maximum_ram_page:
		return (long)x->nr_pages - 1;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation: {
		domid_t dom;
		if (xen_copy_from(v, &dom, arg, sizeof(dom)))
			return -EFAULT;
		if (dom != DOMID_SELF)
			return -ESRCH;
		if ((cmd & MEMOP_CMD_MASK) == XENMEM_maximum_reservation)
			return (long)x->nr_pages;
		xen_lock(x);
		long n = (long)(x->nr_pages - x->mm.out_frames);
		xen_unlock(x);
		return n;
	}
	case XENMEM_machphys_mapping: {
		struct xen_machphys_mapping m = { x->layout.m2p_va, x->layout.m2p_va + x->layout.m2p_frames * PAGE,
		                                  x->layout.m2p_entries - 1 };
		return xen_copy_to(v, arg, &m, sizeof(m));
	}
	case XENMEM_memory_map: {
		struct xen_memory_map m;
		if (xen_copy_from(v, &m, arg, sizeof(m)))
			return -EFAULT;
		if (m.nr_entries < 1)
			return -EINVAL;
		struct { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e = { 0, x->nr_pages * PAGE, 1 };
		if (xen_copy_to(v, (uint64_t)(uintptr_t)m.buffer.p, &e, sizeof(e)))
			return -EFAULT;
		m.nr_entries = 1;
		return xen_copy_to(v, arg, &m, sizeof(m));
	}
	default:
		return -ENOSYS;        /* no exchange, no translated-guest calls */
	}
	return 0;
}

/* ---- grant tables (v1) ------------------------------------------------------------ */

/* A domain names itself by DOMID_SELF or its own id; another domain's
 * table is Domain 0's business (Xen: XSM refuses, GNTST_permission_denied). */
static int16_t gnt_dom(struct vcpu *v, domid_t dom)
{
	if (dom == DOMID_SELF || dom == v->dom->id)
		return GNTST_okay;
	return dom >= DOMID_FIRST_RESERVED ? GNTST_bad_domain : GNTST_permission_denied;
}

/* Xen's gnttab_setup_table: the frames [0, nr_frames) of the table, the
 * table grown to them; status in the struct, -errno only for the call. */
static long gnt_setup_table(struct vcpu *v, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	struct gnttab_setup_table op;
	if (xen_copy_from(v, &op, arg, sizeof(op)))
		return -EFAULT;
	op.status = gnt_dom(v, op.dom);
	if (op.status == GNTST_okay && op.nr_frames > x->layout.gnt_frames)
		op.status = GNTST_general_error;
	for (uint32_t i = 0; op.status == GNTST_okay && i < op.nr_frames; i++) {
		xen_pfn_t f = x->layout.gnt_mfn + i;
		if (xen_copy_to(v, (uint64_t)(uintptr_t)op.frame_list.p + i * sizeof(f), &f, sizeof(f)))
			op.status = GNTST_bad_virt_addr;
	}
	if (op.status == GNTST_okay) {
		xen_lock(x);
		unsigned nr = op.nr_frames * (4096 / sizeof(grant_entry_v1_t));
		if (nr > x->gnt.nr)
			x->gnt.nr = nr;           /* Xen grows a table, never shrinks it */
		xen_unlock(x);
	}
	return xen_copy_to(v, arg, &op, sizeof(op)) ? -EFAULT : 0;
}

static long grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count)
{
	struct xen_domain *x = v->dom->xen;
	switch (cmd) {
	case GNTTABOP_setup_table: case GNTTABOP_query_size: case GNTTABOP_set_version: case GNTTABOP_get_version:
		if (count != 1)
			return -EINVAL;   /* Xen takes these one at a time */
		break;
	default:
		/* map, unmap, copy, transfer and the rest are a back end's:
		 * the back ends are pvmon's, a domain of it serves none. */
		return -ENOSYS;
	}
	switch (cmd) {
	case GNTTABOP_setup_table:
		return gnt_setup_table(v, arg);
	case GNTTABOP_query_size: {
		struct gnttab_query_size q;
		if (xen_copy_from(v, &q, arg, sizeof(q)))
			return -EFAULT;
		q.status = gnt_dom(v, q.dom);
		xen_lock(x);
		q.nr_frames = (uint32_t)(x->gnt.nr / (4096 / sizeof(grant_entry_v1_t)));
		xen_unlock(x);
		q.max_nr_frames = (uint32_t)x->layout.gnt_frames;
		return xen_copy_to(v, arg, &q, sizeof(q)) ? -EFAULT : 0;
	}
	case GNTTABOP_set_version: {
		struct gnttab_set_version sv;
		if (xen_copy_from(v, &sv, arg, sizeof(sv)))
			return -EFAULT;
		long rc = sv.version == 1 ? 0 : -EINVAL;   /* v2 (sub-page and transitive grants): not served */
		sv.version = 1;
		return xen_copy_to(v, arg, &sv, sizeof(sv)) ? -EFAULT : rc;
	}
	default: {                  /* GNTTABOP_get_version */
		struct gnttab_get_version gv;
		if (xen_copy_from(v, &gv, arg, sizeof(gv)))
			return -EFAULT;
		if (gnt_dom(v, gv.dom) != GNTST_okay)
			return -ESRCH;
		gv.version = 1;
		return xen_copy_to(v, arg, &gv, sizeof(gv)) ? -EFAULT : 0;
	}
	}
}

/* ---- events, time, scheduling ------------------------------------------------ */

/* Xen's arch_set_info_guest for a 64-bit PV vCPU that is not yet
 * initialised, checked on the copy c (from VCPUOP_initialise), under the
 * domain's lock. What pvmon does not do is refused with Xen's -EINVAL:
 * a start in user mode, FPU state, an LDT, debug registers. */
static long set_info_guest(struct xen_domain *x, struct xen_vcpu *t, const struct vcpu_guest_context *c)
{
	const struct cpu_user_regs *r = &c->user_regs;
	const uint64_t known = VGCF_i387_valid | VGCF_in_kernel | VGCF_failsafe_disables_events |
	                       VGCF_syscall_disables_events | VGCF_online;
	if ((c->flags & ~known) || !(c->flags & VGCF_in_kernel) || (c->flags & VGCF_i387_valid))
		return -EINVAL;
	if (!guest_code(r->rip) || !canonical(r->rsp) || !canonical(c->kernel_sp) || !canonical(c->fs_base) ||
	    !canonical(c->gs_base_kernel) || !canonical(c->gs_base_user))
		return -EINVAL;
	if ((c->event_callback_eip && !guest_code(c->event_callback_eip)) ||
	    (c->failsafe_callback_eip && !guest_code(c->failsafe_callback_eip)) ||
	    (c->syscall_callback_eip && !guest_code(c->syscall_callback_eip)))
		return -EINVAL;
	for (unsigned i = 0; i < 256; i++)
		if (c->trap_ctxt[i].address && !guest_code(c->trap_ctxt[i].address))
			return -EINVAL;
	if (c->ldt_ents || (c->ldt_base & (PAGE - 1)))
		return -EINVAL;
	for (unsigned i = 0; i < 8; i++) {
		uint64_t dr = c->debugreg[i];
		if (dr && !(i == 6 && dr == 0xffff0ff0) && !(i == 7 && dr == 0x400))
			return -EINVAL;
	}
	uint64_t cr3 = c->ctrlreg[3] >> 12, ucr3 = c->ctrlreg[1] >> 12;   /* xen_cr3_to_pfn (64-bit) */
	if (!cr3 || cr3 >= x->nr_pages || ucr3 >= x->nr_pages)
		return -EINVAL;
	long rc = check_gdt(x, c->gdt_frames, c->gdt_ents);
	if (rc)
		return rc;
	rc = xmm_get_type(&x->mm, cr3, XMM_L4);
	if (rc)
		return -EINVAL;
	if (ucr3 && xmm_get_type(&x->mm, ucr3, XMM_L4)) {
		xmm_put_type(&x->mm, cr3);
		return -EINVAL;
	}
	t->kernel_l4 = cr3;
	t->user_l4 = ucr3;
	t->user = false;
	t->kernel_sp = c->kernel_sp;
	t->iopl = (unsigned)(r->rflags >> 12) & 3;   /* Xen's virtual IOPL (Linux asks for 1) */
	t->cr0_ts = c->ctrlreg[0] & 8;
	for (unsigned i = 0; i < 256; i++)
		t->traps[i] = (struct xen_trap){ c->trap_ctxt[i].address, c->trap_ctxt[i].flags };
	t->cb_event = c->event_callback_eip;
	t->cb_failsafe = c->failsafe_callback_eip;
	t->cb_syscall = c->syscall_callback_eip;
	t->cb_syscall_mask = c->flags & VGCF_syscall_disables_events;
	const uint64_t gpr[16] = { r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp, r->rsi, r->rdi,
	                           r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memcpy(t->start.gpr, gpr, sizeof(gpr));
	t->start.rip = r->rip;
	t->start.rflags = r->rflags;
	t->start.fs_base = c->fs_base;
	t->start.gs_base = c->gs_base_kernel;
	t->start.gs_user = c->gs_base_user;
	t->initialised = true;
	return 0;
}

static long vcpu_initialise(struct vcpu *v, uint32_t id, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	static __thread struct vcpu_guest_context c;   /* 5 KiB: off the vCPU thread's stack */
	if (xen_copy_from(v, &c, arg, sizeof(c)))
		return -EFAULT;
	xen_lock(x);
	long rc = x->v[id].initialised ? -EEXIST : set_info_guest(x, &x->v[id], &c);
	xen_unlock(x);
	return rc;
}

/* VCPUOP_up: an initialised vCPU that is down runs (its thread starts
 * at the context VCPUOP_initialise gave, or goes on where it went down). */
static long vcpu_up(struct vcpu *v, uint32_t id)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	struct xen_vcpu *t = &x->v[id];
	xen_lock(x);
	long rc = t->initialised ? 0 : -EINVAL;
	bool wake = !rc && __atomic_exchange_n(&t->down, false, __ATOMIC_SEQ_CST);
	bool first = wake && !t->started;
	if (first)
		t->started = true;
	xen_unlock(x);
	if (first)
		sched_vcpu_start(&d->vcpus[id]);
	else if (wake)
		sched_wake(&d->vcpus[id], "vcpu up");
	return rc;
}

/* VCPUOP_down: the vCPU stops where it is; the last one going down is
 * Xen's poweroff. */
static long vcpu_down(struct vcpu *v, uint32_t id)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	bool others = false;
	xen_lock(x);
	for (uint32_t i = 0; i < d->nr_vcpus; i++)
		others |= i != id && !x->v[i].down;
	if (others)
		__atomic_store_n(&x->v[id].down, true, __ATOMIC_SEQ_CST);
	xen_unlock(x);
	if (!others)
		domain_shutdown(d, 0);
	else if (id != v->id)
		sched_kick(&d->vcpus[id]);     /* out of KVM_RUN: it parks in between_runs */
	return 0;
}

static long vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t id, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	if (id >= v->dom->nr_vcpus)
		return -ENOENT;
	struct xen_vcpu *t = &x->v[id];
	bool self = id == v->id;
	switch (cmd) {
	case VCPUOP_initialise:
		return vcpu_initialise(v, (uint32_t)id, arg);
	case VCPUOP_up:
		return vcpu_up(v, (uint32_t)id);
	case VCPUOP_down:
		return vcpu_down(v, (uint32_t)id);
	case VCPUOP_is_up:
		return !__atomic_load_n(&t->down, __ATOMIC_SEQ_CST);
	case VCPUOP_register_runstate_memory_area: {
		/* Xen takes the address as it is (a bad one only means the
		 * updates do not land); its vCPU publishes it from now on. */
		struct vcpu_register_runstate_memory_area r;
		if (xen_copy_from(v, &r, arg, sizeof(r)))
			return -EFAULT;
		__atomic_store_n(&t->runstate_va, r.addr.p, __ATOMIC_SEQ_CST);
		__atomic_store_n(&t->runstate_since, 0, __ATOMIC_SEQ_CST);
		if (self)
			xen_runstate_publish(v);
		return 0;
	}
	case VCPUOP_set_periodic_timer:
		return -ENOSYS;
	case VCPUOP_stop_periodic_timer:
		return 0;
	case VCPUOP_set_singleshot_timer: {
		struct vcpu_set_singleshot_timer st;
		if (!self)
			return -EINVAL;     /* Xen: only the calling vCPU's */
		if (xen_copy_from(v, &st, arg, sizeof(st)))
			return -EFAULT;
		if ((st.flags & VCPU_SSHOTTMR_future) && st.timeout_abs_ns < time_now())
			return -ETIME;
		xen_set_timer(v, st.timeout_abs_ns ? st.timeout_abs_ns : 1);
		return 0;
	}
	case VCPUOP_stop_singleshot_timer:
		if (!self)
			return -EINVAL;
		xen_set_timer(v, 0);
		return 0;
	case VCPUOP_register_vcpu_info: {
		struct vcpu_register_vcpu_info r;
		if (xen_copy_from(v, &r, arg, sizeof(r)))
			return -EFAULT;
		if (r.mfn >= x->nr_pages || r.offset > PAGE - sizeof(struct vcpu_info) || (r.offset & 7))
			return -EINVAL;
		xen_lock(x);
		/* A frame that holds a vcpu_info is written by pvmon: writable,
		 * never a table. Once per vCPU, as Xen's map_vcpu_info. */
		long rc = t->vi_mfn || (!self && !__atomic_load_n(&t->down, __ATOMIC_SEQ_CST))
		          ? -EINVAL : xmm_get_type(&x->mm, r.mfn, XMM_WRITABLE);   /* Xen: its own, or a vCPU that is down */
		if (!rc) {
			struct vcpu_info *vi = (struct vcpu_info *)((uint8_t *)x->mm.ram + r.mfn * PAGE + r.offset);
			memcpy(vi, t->vi, sizeof(*vi));
			t->vi_mfn = r.mfn;
			__atomic_store_n(&t->vi, vi, __ATOMIC_SEQ_CST);
			/* Its own: the stub's CR3 reload after this hypercall drops the
			 * old mapping; another's, which is down: its start loads CR3. */
			xen_stub_map_vinfo(x, (uint32_t)(t - x->v), r.mfn * PAGE + r.offset);
		}
		xen_unlock(x);
		return rc;
	}
	default:
		return -ENOSYS;
	}
}

/* Xen's do_poll: block until one of the ports is pending (masked or
 * not), the absolute timeout passes or an event is delivered. */
static long sched_poll(struct vcpu *v, uint64_t arg)
{
	struct xen_domain *x = v->dom->xen;
	struct sched_poll p;
	if (xen_copy_from(v, &p, arg, sizeof(p)))
		return -EFAULT;
	if (p.nr_ports > 128)
		return -EINVAL;
	uint32_t ports[128];
	if (xen_copy_from(v, ports, (uint64_t)(uintptr_t)p.ports.p, p.nr_ports * sizeof(ports[0])))
		return -EFAULT;
	const unsigned bits = sizeof(xen_ulong_t) * 8;
	for (unsigned i = 0; i < p.nr_ports; i++) {
		if (ports[i] >= XEN_NR_EVTCHN)
			return -EINVAL;
		if (__atomic_load_n(&x->shared->evtchn_pending[ports[i] / bits], __ATOMIC_SEQ_CST) & (1ULL << (ports[i] % bits)))
			return 0;
	}
	memcpy(v->poll_ports, ports, p.nr_ports * sizeof(ports[0]));
	v->nr_poll = p.nr_ports;
	v->poll_deadline = p.timeout;
	__atomic_store_n(&v->polling, true, __ATOMIC_SEQ_CST);
	v->want_block = true;
	return 0;
}

static long sched_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case SCHEDOP_yield:
		xen_console_drain(v);      /* hvc_xen yields while the ring is full */
		v->want_yield = true;
		return 0;
	case SCHEDOP_poll:
		return sched_poll(v, arg);
	case SCHEDOP_block:
		xen_console_drain(v);
		XV(v)->vi->evtchn_upcall_mask = 0;    /* Xen: blocking enables events */
		v->want_block = true;
		return 0;
	case SCHEDOP_shutdown: {
		struct sched_shutdown s;
		if (xen_copy_from(v, &s, arg, sizeof(s)))
			return -EFAULT;
		xen_console_drain(v);      /* the last lines before the shutdown */
		switch (s.reason) {
		case SHUTDOWN_poweroff: domain_shutdown(v->dom, 0); return 0;
		case SHUTDOWN_reboot: domain_shutdown(v->dom, 1); return 0;
		case SHUTDOWN_crash: xen_crash(v, "Linux reported a crash (SCHEDOP_shutdown, SHUTDOWN_crash)"); return 0;
		default: return -EINVAL;
		}
	}
	default:
		return -ENOSYS;
	}
}

/* ---- information ----------------------------------------------------------- */

static long xen_version(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	switch (cmd) {
	case XENVER_version:
		return XS_XEN_VERSION;      /* 4.17, as the stub answers it (xen_entry.h) */
	case XENVER_extraversion: {
		xen_extraversion_t e = ".0-pvmon";
		return xen_copy_to(v, arg, e, sizeof(e));
	}
	case XENVER_capabilities: {
		xen_capabilities_info_t c = "xen-3.0-x86_64";
		return xen_copy_to(v, arg, c, sizeof(c));
	}
	case XENVER_changeset: {
		xen_changeset_info_t c = "pvmon";
		return xen_copy_to(v, arg, c, sizeof(c));
	}
	case XENVER_platform_parameters: {
		struct xen_platform_parameters p = { HYPERVISOR_VIRT_START };
		return xen_copy_to(v, arg, &p, sizeof(p));
	}
	case XENVER_get_features: {
		struct xen_feature_info f;
		if (xen_copy_from(v, &f, arg, sizeof(f)))
			return -EFAULT;
		f.submap = f.submap_idx ? 0 : (1u << XENFEAT_writable_page_tables) | (1u << XENFEAT_mmu_pt_update_preserve_ad) |
		                              (1u << XENFEAT_highmem_assist) | (1u << XENFEAT_gnttab_map_avail_bits);
		return xen_copy_to(v, arg, &f, sizeof(f));
	}
	case XENVER_pagesize:
		return PAGE;
	case XENVER_guest_handle: {
		xen_domain_handle_t h = { 0 };
		return xen_copy_to(v, arg, h, sizeof(h));
	}
	default:
		return -EPERM;
	}
}

static long console_io(struct vcpu *v, uint64_t cmd, uint64_t count, uint64_t buf)
{
	char b[1024];
	if (cmd == CONSOLEIO_read)
		return 0;
	if (cmd != CONSOLEIO_write)
		return -ENOSYS;
	uint64_t done = 0;
	while (done < count) {
		size_t n = count - done < sizeof(b) ? (size_t)(count - done) : sizeof(b);
		if (xen_copy_from(v, b, buf + done, n))
			return -EFAULT;
		console_write(v->dom->console, b, n);
		done += n;
		if (done >= (1 << 20))
			break;                 /* a runaway count: what was written is the answer */
	}
	return (long)done;
}

static long physdev_op(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
	if (cmd != PHYSDEVOP_set_iopl)
		return -ENOSYS;
	struct physdev_set_iopl s;
	if (xen_copy_from(v, &s, arg, sizeof(s)))
		return -EFAULT;
	if (s.iopl > 3)
		return -EINVAL;
	XV(v)->iopl = s.iopl;              /* Xen's virtual IOPL: only emulate_gp reads it */
	return 0;
}

static long vm_assist(struct vcpu *v, uint64_t cmd, uint64_t type)
{
	struct xen_domain *x = v->dom->xen;
	const uint64_t ok = (1ULL << VMASST_TYPE_4gb_segments) | (1ULL << VMASST_TYPE_4gb_segments_notify) |
	                    (1ULL << VMASST_TYPE_writable_pagetables) | (1ULL << VMASST_TYPE_pae_extended_cr3) |
	                    (1ULL << VMASST_TYPE_runstate_update_flag);
	if (type >= 64 || !((ok >> type) & 1) || cmd > VMASST_CMD_disable)
		return type == VMASST_TYPE_m2p_strict ? 0 : -EINVAL;
	if (cmd == VMASST_CMD_enable)
		x->vm_assist |= 1u << type;
	else
		x->vm_assist &= ~(1u << type);
	return 0;
}

/* ---- iret, multicall, dispatch --------------------------------------------- */

long xen_iret(struct vcpu *v)
{
	struct xen_vcpu *xv = XV(v);
	uint64_t *f = xv->frame;
	struct iret_context c;
	if (xen_copy_from(v, &c, f[XF_RSP], sizeof(c))) {
		xen_crash(v, "iret: frame at 0x%llx is not readable", (unsigned long long)f[XF_RSP]);
		return XEN_HC_REGS_SET;
	}
	if (!canonical(c.rip) || !canonical(c.rsp)) {
		xen_crash(v, "iret to a non-canonical rip 0x%llx / rsp 0x%llx", (unsigned long long)c.rip,
		          (unsigned long long)c.rsp);
		return XEN_HC_REGS_SET;
	}
	if ((c.cs & 3) == 3) {
		if (!xv->user_l4) {
			xen_crash(v, "iret to user mode with no user page table");
			return XEN_HC_REGS_SET;
		}
		xen_set_mode(v, true);
	}
	struct kvm_regs *r = &v->run->s.regs.regs;
	f[XF_RAX] = c.rax;
	if (!(c.flags & VGCF_in_syscall)) {
		r->r11 = c.r11;
		r->rcx = c.rcx;
	}
	f[XF_RIP] = c.rip;
	f[XF_RSP] = c.rsp;
	f[XF_RFLAGS] = (f[XF_RFLAGS] & ~0x2c0dd5ULL) | (c.rflags & 0x2c0dd5ULL) | 0x200;   /* IF stays on in the CPU */
	xv->vi->evtchn_upcall_mask = !(c.rflags & 0x200);
	v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	return XEN_HC_REGS_SET;
}

static long multicall(struct vcpu *v, uint64_t list, uint64_t n)
{
	if (n > MAX_BATCH)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++) {
		struct multicall_entry e;
		uint64_t at = list + i * sizeof(e);
		if (xen_copy_from(v, &e, at, sizeof(e)))
			return -EFAULT;
		if (e.op == __HYPERVISOR_multicall || e.op == __HYPERVISOR_iret)
			e.result = (xen_ulong_t)-EINVAL;
		else
			e.result = (xen_ulong_t)xen_hypercall(v, e.op, (const uint64_t *)e.args);
		if (xen_copy_to(v, at + offsetof(struct multicall_entry, result), &e.result, sizeof(e.result)))
			return -EFAULT;
		if (atomic_load(&v->dom->state) >= DS_SHUTDOWN)
			break;
	}
	return 0;
}

static const char *const names[] = {
#define N(name, nr) [nr] = #name,
	XEN_HYPERCALLS(N)
#undef N
};

const char *xen_hypercall_name(uint64_t nr)
{
	return nr < sizeof(names) / sizeof(names[0]) && names[nr] ? names[nr] : "unknown";
}

static long dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = XV(v);
	switch (nr) {
	case __HYPERVISOR_set_trap_table: return set_trap_table(v, a[0]);
	case __HYPERVISOR_mmu_update: return mmu_update(v, a);
	case __HYPERVISOR_set_gdt: return set_gdt(v, a[0], a[1]);
	case __HYPERVISOR_stack_switch:
		if (!canonical(a[1]))
			return -EINVAL;
		xv->kernel_sp = a[1];
		return 0;
	case __HYPERVISOR_set_callbacks: {
		long rc = set_callback(v, CALLBACKTYPE_event, a[0], 0);
		if (!rc)
			rc = set_callback(v, CALLBACKTYPE_failsafe, a[1], 0);
		if (!rc)
			rc = set_callback(v, CALLBACKTYPE_syscall, a[2], 0);
		return rc;
	}
	case __HYPERVISOR_fpu_taskswitch:
		xv->cr0_ts = a[0] ? 8 : 0;
		return 0;
	case __HYPERVISOR_get_debugreg:
		return a[0] == 6 ? 0xffff0ff0L : a[0] == 7 ? 0x400L : a[0] < 4 ? 0L : (long)-EINVAL;
	case __HYPERVISOR_set_debugreg:
		return a[0] < 8 && (a[1] == 0 || (a[0] == 6 && a[1] == 0xffff0ff0) || (a[0] == 7 && a[1] == 0x400))
		       ? 0 : -EPERM;       /* no hardware breakpoints for the guest yet */
	case __HYPERVISOR_update_descriptor: return update_descriptor(v, a[0], a[1]);
	case __HYPERVISOR_memory_op: return memory_op(v, a[0], a[1]);
	case __HYPERVISOR_multicall: return multicall(v, a[0], a[1]);
	case __HYPERVISOR_update_va_mapping: return update_va_mapping(v, a[0], a[1], a[2]);
	case __HYPERVISOR_set_timer_op:
		xen_set_timer(v, a[0]);
		return 0;
	case __HYPERVISOR_xen_version: return xen_version(v, a[0], a[1]);
	case __HYPERVISOR_console_io: return console_io(v, a[0], a[1], a[2]);
	case __HYPERVISOR_grant_table_op: return grant_table_op(v, a[0], a[1], a[2]);
	case __HYPERVISOR_vm_assist: return vm_assist(v, a[0], a[1]);
	case __HYPERVISOR_iret: return xen_iret(v);
	case __HYPERVISOR_vcpu_op: return vcpu_op(v, a[0], a[1], a[2]);
	case __HYPERVISOR_set_segment_base: return set_segment_base(v, a[0], a[1]);
	case __HYPERVISOR_mmuext_op: return mmuext_op(v, a);
	case __HYPERVISOR_sched_op: return sched_op(v, a[0], a[1]);
	case __HYPERVISOR_callback_op: return callback_op(v, a[0], a[1]);
	case __HYPERVISOR_event_channel_op: return xen_event_channel_op(v, a[0], a[1]);
	case __HYPERVISOR_physdev_op: return physdev_op(v, a[0], a[1]);
	case __HYPERVISOR_platform_op: case __HYPERVISOR_sysctl: case __HYPERVISOR_domctl:
	case __HYPERVISOR_update_va_mapping_otherdomain:
		return -EPERM;
	default:
		(void)x;
		return -ENOSYS;
	}
}

/* Every hypercall, a multicall's entries included (as pvlab's dispatcher
 * traces them): pvmon:xen_hcall_entry/exit by Xen's numbers. The domain's
 * count (xen_trap.c) is of the guest's hypercall exits: a multicall once. */
long xen_hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[5])
{
	if (!trace_xen_hcall_enabled())
		return dispatch(v, nr, a);
	uint32_t n = (uint32_t)(nr > 0xffffffffULL ? 0xffffffffULL : nr);
	uint64_t t0 = time_mono_ns();
	trace_xen_hcall_entry(v->dom->id, v->id, n, a);
	long rc = dispatch(v, nr, a);
	trace_xen_hcall_exit(v->dom->id, v->id, n, rc, time_mono_ns() - t0);
	return rc;
}
