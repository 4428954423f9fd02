/* Building a Linux PV domain: Xen's start-of-day layout (xenlayout.c) in
 * the domain's RAM with an identity p2m, the bootstrap tables pinned as
 * Xen pins them, the shared-info frame after RAM, and pvmon's own slot
 * beyond it: the read-only M2P and the entry stub with its descriptor
 * tables and stacks, which pvmon's entries in L4 slots 256 (M2P) and 257
 * (stub, supervisor-only) of every guest L4 reach (xen_mm.c fills them). */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "xen_public.h"
#include "domain.h"
#include "fastpath_cpu.h"
#include "hvarea.h"
#include "memory.h"
#include "pvmon.h"
#include "pvtime.h"
#include "xen_domain.h"
#include "xenstore.h"
#include "xen_pvm.h"
#include "kvm.h"
#include "xenelf.h"
#include "config.h"

#define PAGE 4096ULL
#define SLOT_XEN_RAM 0
#define SLOT_XEN_SHARED 1
#define SLOT_XEN_PRIV 2
#define PTE_UPPER (XMM_PTE_P | XMM_PTE_RW | XMM_PTE_A | XMM_PTE_D)

extern const uint8_t xs_stub_start[], xs_stub_end[], xs_vectors[], xs_lstar0[];

#define MSR_KERNEL_GS_BASE 0xc0000102
#define XS_SFMASK  0x47700ULL     /* TF IF DF IOPL NT AC cleared on `syscall`: the stub runs as an interrupt gate would */

/* ---- does this host run Linux PV? ---------------------------------------- */

static const char *support_why;
static char support_buf[720], pvm_modes[720];

/* On PVM the answer is measured (xen_pvm.c): what the probe found says
 * why a Xen PV kernel cannot run there. */
static void decide_pvm(void)
{
	struct xen_pvm_result r;
	char why[200];
	if (xen_pvm_probe(&r, why, sizeof(why))) {
		snprintf(pvm_modes, sizeof(pvm_modes), "probe failed: %s", why);
		snprintf(support_buf, sizeof(support_buf), "no (PVM: the Linux PV probe failed: %s)", why);
	} else {
		xen_pvm_describe(&r, pvm_modes, sizeof(pvm_modes));
		xen_pvm_verdict(&r, support_buf, sizeof(support_buf));
	}
	support_why = support_buf;
}

static void decide(void)
{
	if (!strcmp(kvm_backend(), "pvm"))
		decide_pvm();
	else if (!access("/sys/module/kvm_amd", F_OK))
		support_why = host.paging && !host.tdp
		            ? "yes (AMD-V, shadow paging: pvmon's entry stub at CPL0, Xen's x86-64 PV ABI; "
		              "KVM's stale translations dropped at the guest's flushes)"
		            : "yes (AMD-V: pvmon's entry stub at CPL0, Xen's x86-64 PV ABI)";
	else if (!access("/sys/module/kvm_intel", F_OK))
		support_why = "yes (VT-x: pvmon's entry stub at CPL0, Xen's x86-64 PV ABI; tested under Bochs only: make check-vmx)";
	else
		support_why = "no (no kvm_amd or kvm_intel module: the entry stub needs hardware virtualization)";
}

/* Once per process, whichever thread asks first (the daemon creates
 * domains beside running ones). */
static void decide_support(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, decide);
}

const char *xen_pvm_modes(void)
{
	decide_support();
	return pvm_modes[0] ? pvm_modes : NULL;
}

const char *xen_support(void)
{
	decide_support();
	return support_why;
}

bool xen_supported(void)
{
	decide_support();
	return !strncmp(support_why, "yes", 3);
}

/* ---- shadow paging ----------------------------------------------------------- */

/* KVM drops every translation of a frame when the host's mapping of its
 * memory changes (the MMU notifier): two mprotects of its page do that
 * and leave it as it was. Exec added and taken away, never write: a
 * vCPU writing the frame meanwhile must not find it read-only (KVM would
 * fail its KVM_RUN). */
static void zap_frame(void *ctx, uint64_t mfn)
{
	struct domain *d = ctx;
	struct xen_domain *x = d->xen;
	/* RAM (in or ballooned out), or one of Xen's frames (the shared
	 * info, the grant table), which an L1 entry may map too. */
	uint8_t *h = mfn < x->mm.nr_frames ? d->mem + mfn * PAGE
	             : xmm_xen_frame(&x->mm, mfn) ? (uint8_t *)x->shared + (mfn - x->mm.shared_mfn) * PAGE : NULL;
	if (!h || mprotect(h, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC)) {
		x->mm.lost_all = true;      /* (no room to split the mapping) a whole drop instead */
		x->force_flush = true;
		return;
	}
	if (mprotect(h, PAGE, PROT_READ | PROT_WRITE)) {
		x->zap_errno = errno;       /* the frame stays read-only to KVM: the domain cannot go on */
		x->force_flush = true;
		return;
	}
	x->shadow_zaps++;
}

static int set_slot(struct domain *d, uint32_t slot, uint64_t gpa, uint64_t size, void *host);

void xen_shadow_flush(struct vcpu *v)
{
	struct domain *d = v->dom;
	struct xen_domain *x = d->xen;
	x->v[v->id].shadow_flush = false;
	if (!x->mm.shadow)
		return;
	/* The RAM slot goes away for a moment: the other vCPUs wait out of
	 * KVM_RUN (memory.c's exclusive section, as for pvos's pool slot). */
	bool excl = false;
	xen_lock(x);
	while (x->mm.lost_all && d->nr_vcpus > 1 && !excl) {
		xen_unlock(x);
		memory_exclusive_begin(d, v);
		excl = true;
		xen_lock(x);
	}
	x->force_flush = false;
	int rc = x->zap_errno ? -x->zap_errno : 0;
	if (!rc && x->mm.lost_all) {
		/* A table's upper entry changed: KVM rebuilds all it shadowed. */
		rc = set_slot(d, SLOT_XEN_RAM, 0, 0, d->mem);
		if (!rc)
			rc = set_slot(d, SLOT_XEN_RAM, 0, d->mem_size, d->mem);
		xmm_shadow_reset(&x->mm);
		x->shadow_drops++;
	} else {
		for (unsigned i = 0; i < x->mm.nlost; i++)
			zap_frame(d, x->mm.lost[i]);
		x->mm.nlost = 0;
	}
	xen_unlock(x);
	if (excl)
		memory_exclusive_end(d, v);
	if (rc)
		xen_crash(v, "cannot drop KVM's shadow of its memory: %s", strerror(-rc));
}

/* ---- the domain's lock ------------------------------------------------------- */

_Static_assert(sizeof(struct xmm_page) == XS_PG_SIZE && offsetof(struct xmm_page, type) == XS_PG_TYPE &&
               offsetof(struct xmm_page, out) == XS_PG_OUT && offsetof(struct xmm_page, count) == XS_PG_COUNT &&
               offsetof(struct xmm_page, wstamp) == XS_PG_WSTAMP && XMM_HV_FIRST == XS_HV_FIRST_SLOT &&
               XMM_HV_LAST == XS_HV_LAST_SLOT && __HYPERVISOR_update_va_mapping == XS_HYPERVISOR_UPDATE_VA_MAPPING &&
               XMM_WRITABLE == XS_XMM_WRITABLE && XMM_L1 == XS_XMM_L1 && XMM_L2 == XS_XMM_L2 && XMM_L4 == XS_XMM_L4 &&
               __HYPERVISOR_mmuext_op == XS_HYPERVISOR_MMUEXT_OP && MMUEXT_NEW_BASEPTR == XS_MMUEXT_NEW_BASEPTR &&
               MMUEXT_NEW_USER_BASEPTR == XS_MMUEXT_NEW_USER_BASEPTR && sizeof(struct mmuext_op) == XS_MMUEXT_SIZE &&
               offsetof(struct mmuext_op, arg1) == 8 && XMM_L1_DISALLOW == XS_L1_DISALLOW &&
               __HYPERVISOR_mmu_update == XS_HYPERVISOR_MMU_UPDATE && DOMID_SELF == XS_DOMID_SELF &&
               XS_MAX_VCPUS < XD_PVMON, "the entry stub's view of xen_mm is xen_mm.h's");

/* The mutex, then the stub's word: a stub holds it for a few
 * instructions, or its vCPU stopped under it, whose thread gives it
 * back as soon as KVM_RUN returns (xen_after_run), before anything that
 * takes this lock. */
void xen_lock(struct xen_domain *x)
{
	pthread_mutex_lock(&x->lock);
	if (!x->stub_dom)
		return;
	for (;;) {
		uint64_t free_word = 0;
		if (__atomic_compare_exchange_n(&x->stub_dom[XD_LOCK], &free_word, XD_PVMON, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			return;
		sched_yield();
	}
}

void xen_unlock(struct xen_domain *x)
{
	if (x->stub_dom) {
		if (x->mm.corrupt)
			x->stub_dom[XD_FRAMES] = 0;   /* every later update fails: pvmon's */
		__atomic_store_n(&x->stub_dom[XD_LOCK], 0, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&x->lock);
}

/* ---- pvmon's slot --------------------------------------------------------- */

/* Frames of the private slot, in order. */
struct priv_plan {
	uint64_t m2p_l3, m2p_l2, m2p_l1, m2p_l1s, m2p, m2p_frames;
	uint64_t st_l3, st_l2, st_l1, st_code, st_desc, st_blocks, st_trace;
	uint64_t dom, pg, pg_pages, pg_l2, pg_l1, pg_l1s, ram_l2, ram_l2s;
	bool mapped;
	uint64_t frames;
};

static void plan_priv(const struct xenlayout *l, uint32_t vcpus, struct priv_plan *p)
{
	uint64_t f = 0;
	p->m2p_frames = l->m2p_frames;
	p->m2p_l1s = (p->m2p_frames + 511) / 512;
	p->m2p_l3 = f++;
	p->m2p_l2 = f++;
	p->m2p_l1 = f;
	f += p->m2p_l1s;
	p->m2p = f;
	f += p->m2p_frames;
	p->st_l3 = f++;
	p->st_l2 = f++;
	p->st_l1 = f++;
	p->st_code = f;
	f += XS_CODE_PAGES;
	p->st_desc = f++;
	p->st_blocks = f;
	f += 2ULL * vcpus;
	p->st_trace = f;
	f += vcpus;
	p->dom = f++;
	p->pg_pages = (l->nr_pages * sizeof(struct xmm_page) + PAGE - 1) / PAGE;
	p->pg = f;
	f += p->pg_pages;
	/* The stub's maps of the page array (4 KiB pages) and of RAM (2 MiB
	 * pages), for domains it can map whole. */
	p->mapped = l->nr_pages <= XS_MAX_MAPPED_FRAMES;
	p->pg_l1s = p->mapped ? (p->pg_pages + 511) / 512 : 0;
	p->ram_l2s = p->mapped ? (l->nr_pages + (1ULL << 18) - 1) >> 18 : 0;
	p->pg_l2 = f;
	f += p->mapped;
	p->pg_l1 = f;
	f += p->pg_l1s;
	p->ram_l2 = f;
	f += p->ram_l2s;
	p->frames = f;
}

static uint64_t *pframe(struct xen_domain *x, uint64_t f)
{
	return (uint64_t *)(x->priv + f * PAGE);
}

static void build_priv(struct xen_domain *x, const struct priv_plan *p, uint32_t vcpus)
{
	uint64_t g = x->priv_gpa;
	/* Slot 256: the M2P, read-only and not executable, user-readable (the
	 * guest kernel runs at CPL3 and reads it on every PTE read). */
	uint64_t ro = XMM_PTE_P | XMM_PTE_US | XMM_PTE_A | XMM_PTE_D;
	x->mm.hv_l4e[0] = (g + p->m2p_l3 * PAGE) | ro;
	pframe(x, p->m2p_l3)[0] = (g + p->m2p_l2 * PAGE) | ro;
	for (uint64_t i = 0; i < p->m2p_l1s; i++)
		pframe(x, p->m2p_l2)[i] = (g + (p->m2p_l1 + i) * PAGE) | ro;
	for (uint64_t i = 0; i < p->m2p_frames; i++)
		pframe(x, p->m2p_l1)[i] = (g + (p->m2p + i) * PAGE) | ro | XMM_PTE_NX;
	xenlayout_m2p(&x->layout, pframe(x, p->m2p));

	/* Slot 257: the stub, supervisor-only at the L4 entry. */
	x->mm.hv_l4e[XS_L4_SLOT - XMM_HV_FIRST] = (g + p->st_l3 * PAGE) | PTE_UPPER;
	pframe(x, p->st_l3)[0] = (g + p->st_l2 * PAGE) | PTE_UPPER;
	pframe(x, p->st_l2)[0] = (g + p->st_l1 * PAGE) | PTE_UPPER;
	uint64_t *l1 = pframe(x, p->st_l1);
	for (unsigned k = 0; k < XS_CODE_PAGES; k++)
		l1[k] = (g + (p->st_code + k) * PAGE) | XMM_PTE_P | XMM_PTE_A | XMM_PTE_D;
	l1[(XS_DESC_VA - XS_VA) >> 12] = (g + p->st_desc * PAGE) | XMM_PTE_P | XMM_PTE_A | XMM_PTE_D | XMM_PTE_NX;
	for (uint32_t n = 0; n < vcpus; n++)
		for (unsigned k = 0; k < 2; k++)
			l1[((XS_BLOCK_VA(n) - XS_VA) >> 12) + k] = (g + (p->st_blocks + 2 * n + k) * PAGE) | PTE_UPPER | XMM_PTE_NX;
	for (uint32_t n = 0; n < vcpus; n++)
		l1[(XS_TRACE_VA(n) - XS_VA) >> 12] = (g + (p->st_trace + n) * PAGE) | PTE_UPPER | XMM_PTE_NX;
	memcpy(pframe(x, p->st_code), xs_stub_start, (size_t)(xs_stub_end - xs_stub_start));   /* its pages: xen_domain_build checked */

	/* The domain's page, and for the stub's mmu_update (not under shadow
	 * paging, where KVM must see every change of a table) xen_mm's page
	 * array and all of RAM, supervisor-only and not executable. */
	l1[(XS_DOM_VA - XS_VA) >> 12] = (g + p->dom * PAGE) | PTE_UPPER | XMM_PTE_NX;
	x->stub_dom = pframe(x, p->dom);
	if (p->mapped && !x->mm.shadow) {
		uint64_t *l3 = pframe(x, p->st_l3);
		l3[(XS_PG_VA - XS_VA) >> 30] = (g + p->pg_l2 * PAGE) | PTE_UPPER;
		for (uint64_t i = 0; i < p->pg_l1s; i++)
			pframe(x, p->pg_l2)[i] = (g + (p->pg_l1 + i) * PAGE) | PTE_UPPER;
		for (uint64_t i = 0; i < p->pg_pages; i++)
			pframe(x, p->pg_l1)[i] = (g + (p->pg + i) * PAGE) | PTE_UPPER | XMM_PTE_NX;
		for (uint64_t k = 0; k < p->ram_l2s; k++) {
			l3[((XS_RAM_VA - XS_VA) >> 30) + k] = (g + (p->ram_l2 + k) * PAGE) | PTE_UPPER;
			for (uint64_t j = 0; j < 512 && ((k << 18) + (j << 9)) < x->mm.nr_frames; j++)
				pframe(x, p->ram_l2 + k)[j] = (((k << 9) + j) << 21) | PTE_UPPER | XMM_PTE_PS | XMM_PTE_NX;
		}
		x->stub_dom[XD_FRAMES] = x->mm.nr_frames;
	}
	x->stub_dom[XD_VCPUS] = vcpus;
	x->stub_dom[XD_CLOCK] = *x->mm.tlb_clock;   /* the TLB clock where the stub reads it */
	x->mm.tlb_clock = &x->stub_dom[XD_CLOCK];

	uint8_t *desc = (uint8_t *)pframe(x, p->st_desc);
	uint64_t vectors = XS_CODE_VA + (uint64_t)(xs_vectors - xs_stub_start);
	for (int vec = 0; vec < XS_NR_VECTORS; vec++)
		hv_write_gate(desc + XS_IDT_OFF, vec, vectors + 16 * (uint64_t)vec, vec == 3 || vec == 4 ? 3 : 0);
	for (uint32_t n = 0; n < vcpus; n++) {
		hv_write_gdt(desc + XS_GDT_OFF(n), XS_DESC_VA + XS_TSS_OFF(n), false);
		hv_write_tss(desc + XS_TSS_OFF(n), XS_BLOCK_VA(n) + XS_RSP0_OFF, HV_TSS_LIMIT + 1);
	}
	x->stub_blocks = p->st_blocks * PAGE;
	x->stub_trace = p->st_trace * PAGE;
	x->stub_l1 = l1;
}

void xen_stub_map_vinfo(struct xen_domain *x, uint32_t n, uint64_t maddr)
{
	/* Supervisor, writable, not executable: the stub writes the upcall
	 * mask and cr2 there. The frame is shared_info or one holding a
	 * writable type reference for good (register_vcpu_info): never a table. */
	x->stub_l1[(XS_VINFO_VA(n) - XS_VA) >> 12] = (maddr & ~(PAGE - 1)) | PTE_UPPER | XMM_PTE_NX;
	x->v[n].vi_stub = XS_VINFO_VA(n) + (maddr & (PAGE - 1));
}

static int set_slot(struct domain *d, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
	struct kvm_userspace_memory_region r = { .slot = slot, .guest_phys_addr = gpa, .memory_size = size,
	                                          .userspace_addr = (uint64_t)(uintptr_t)host };
	return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static void *anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* The PT_LOAD segments at their pseudo-physical addresses (identity p2m). */
static int load_segments(struct domain *d, const uint8_t *img, size_t len, const struct xenelf *x,
                         char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff);   /* xenelf_parse checked the table */
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		uint64_t pa = p->p_paddr - x->xen.paddr_offset;
		if (p->p_filesz > p->p_memsz || p->p_offset > len || p->p_filesz > len - p->p_offset ||
		    pa > d->mem_size || p->p_memsz > d->mem_size - pa)
			return snprintf(err, errlen, "segment %d [0x%llx, +0x%llx) does not fit the domain's memory", i,
			                (unsigned long long)pa, (unsigned long long)p->p_memsz), -EINVAL;
		memcpy(d->mem + pa, img + p->p_offset, p->p_filesz);
	}
	return 0;
}

static void console_kick(struct vcpu *v, void *ctx)
{
	(void)ctx;
	xen_console_drain(v);
}

static int build(struct domain *d, const uint8_t *img, size_t len, const struct xenelf *xe, const char *initrd,
                 size_t initrd_len, char *err, size_t errlen);

int xen_domain_build(struct domain *d, const uint8_t *img, size_t len, const struct xenelf *xe,
                     char *err, size_t errlen)
{
	if (!xen_supported())
		return snprintf(err, errlen, "kernel '%s' is a Xen PV kernel, and Linux PV cannot run here: %s",
		                d->cfg.kernel, xen_support()), -EOPNOTSUPP;
	if (xs_stub_end - xs_stub_start > (long)XS_CODE_SIZE)
		return snprintf(err, errlen, "internal: the Xen-mode stub is %ld bytes, more than its pages",
		                (long)(xs_stub_end - xs_stub_start)), -EINVAL;
	if (d->nr_vcpus > XS_MAX_VCPUS)
		return snprintf(err, errlen, "a Linux PV domain has at most %d vCPUs (vcpus = %u)", XS_MAX_VCPUS,
		                d->nr_vcpus), -EINVAL;
	struct xen_domain *x = calloc(1, sizeof(*x));
	if (!x)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	d->xen = x;
	pthread_mutex_init(&x->lock, NULL);
	for (unsigned i = 0; i < XS_MAX_BELLS; i++)
		x->bell_fd[i] = -1;
	char *initrd = NULL;
	size_t initrd_len = 0;
	if (d->cfg.ramdisk[0] && config_read_file(d->cfg.ramdisk, "ramdisk", d->mem_size, &initrd, &initrd_len, err, errlen))
		return -EINVAL;
	int rc = build(d, img, len, xe, initrd, initrd_len, err, errlen);
	free(initrd);
	return rc;
}

static int build(struct domain *d, const uint8_t *img, size_t len, const struct xenelf *xe, const char *initrd,
                 size_t initrd_len, char *err, size_t errlen)
{
	struct xen_domain *x = d->xen;
	struct xenlayout_config c = {
		.mem_bytes = d->mem_size, .initrd_len = initrd_len, .virt_base = xe->xen.virt_base,
		.kernel_start = (xe->pstart - xe->xen.paddr_offset) & ~(PAGE - 1),
		.kernel_end = xe->pend - xe->xen.paddr_offset, .entry = xe->xen.entry,
		.cmdline = d->cfg.cmdline, .store_port = pvmon_store ? XEN_STORE_PORT : 0, .console_port = 1,
	};
	char why[256];
	int rc = xenlayout_compute(&c, &x->layout, why, sizeof(why));
	if (rc)
		return snprintf(err, errlen, "kernel '%s': %s", d->cfg.kernel, why), rc;
	const struct xenlayout *l = &x->layout;
	x->nr_pages = l->nr_pages;
	x->console_port = c.console_port;

	d->mem = anon(d->mem_size);
	x->shared = anon(XEN_SHARED_BYTES(l));       /* the shared info, then the grant table */
	x->gnt.e = (struct grant_entry_v1 *)((uint8_t *)x->shared + PAGE);
	struct priv_plan p;
	plan_priv(l, d->nr_vcpus, &p);
	x->priv_size = p.frames * PAGE;
	x->priv_gpa = (l->shared_info_mfn * PAGE + XEN_SHARED_BYTES(l) + (2 << 20) - 1) & ~((2ULL << 20) - 1);
	x->priv = anon(x->priv_size);
	if (!d->mem || !x->shared || !x->priv)
		return snprintf(err, errlen, "cannot map %llu MiB for the domain", (unsigned long long)d->mem_size >> 20), -ENOMEM;
	rc = xmm_init(&x->mm, (uint64_t *)d->mem, l->nr_pages, l->shared_info_mfn, x->shared,
	              (struct xmm_page *)pframe(x, p.pg));
	if (rc)
		return snprintf(err, errlen, "out of memory"), rc;
	x->mm.shared_n = 1 + l->gnt_frames;
	if (!host.tdp) {
		x->mm.shadow = true;
		x->mm.zap = zap_frame;
		x->mm.zap_ctx = d;
	}
	if (d->cfg.ndisks && !pvmon_store)
		return snprintf(err, errlen, "disk: a Linux domain finds its disks in xenstore, which this pvmon does not serve "
		                "(--xenstore off)"), -EINVAL;
	for (unsigned i = 0; i < d->cfg.ndisks; i++)
		if ((rc = xen_blkback_add(d, d->cfg.disk[i], err, errlen)))
			return rc;
	if (d->cfg.nvifs && !pvmon_store)
		return snprintf(err, errlen, "vif: a Linux domain finds its VIFs in xenstore, which this pvmon does not serve "
		                "(--xenstore off)"), -EINVAL;
	for (unsigned i = 0; i < d->cfg.nvifs; i++)
		if ((rc = xen_netback_add(d, d->cfg.vif[i], err, errlen)))
			return rc;
	rc = load_segments(d, img, len, xe, err, errlen);
	if (rc)
		return rc;
	if (initrd_len)
		memcpy(d->mem + l->initrd.pfn * PAGE, initrd, initrd_len);   /* xenlayout placed it inside RAM */
	if (xe->xen.hypercall_page)       /* xenelf: a page of the image */
		xenlayout_hypercall_page(d->mem + (xe->xen.hypercall_page - xe->xen.virt_base));

	struct start_info *si = (struct start_info *)(d->mem + l->start_info.pfn * PAGE);
	xenlayout_start_info(l, &c, si);
	xenlayout_p2m(l, (uint64_t *)(d->mem + l->p2m.pfn * PAGE));
	xenlayout_page_tables(l, (uint64_t *)(d->mem + l->pt.pfn * PAGE), l->pt.frames);
	build_priv(x, &p, d->nr_vcpus);
	for (uint32_t n = 0; n < d->nr_vcpus; n++) {
		struct xen_vcpu *xv = &x->v[n];
		uint8_t *block = x->priv + x->stub_blocks + 2 * PAGE * n;
		xv->cell = (uint64_t *)(block + XS_RSP0_OFF);
		xv->ring = (const uint64_t *)(x->priv + x->stub_trace + PAGE * n);
		xv->cell[XC_T_RING] = XS_TRACE_VA(n);
		xv->vi = &x->shared->vcpu_info[n];
		xen_stub_map_vinfo(x, n, l->shared_info_mfn * PAGE + n * sizeof(struct vcpu_info));
		for (unsigned q = 0; q < XEN_NR_VIRQS; q++)
			xv->virq_port[q] = 0;
		/* Xen's start: vCPU 0 initialised and up, the others neither,
		 * all with events masked until the guest says otherwise. */
		xv->initialised = xv->started = n == 0;
		xv->down = n != 0;
		xv->vi->evtchn_upcall_mask = 1;
	}
	x->mm.flush = xen_tlb_mm_flush;
	x->mm.flush_ctx = d;
	xen_evtchn_backend(d, (uint32_t)x->console_port, console_kick, NULL);


	/* Xen pins the bootstrap L4 and runs vCPU 0 on it (a base reference). */
	uint64_t l4 = l->cr3 / PAGE;
	rc = xmm_pin(&x->mm, l4, XMM_L4);
	if (!rc)
		rc = xmm_get_type(&x->mm, l4, XMM_L4);
	if (rc)
		return snprintf(err, errlen, "the bootstrap page tables do not validate (%s)", strerror(-rc)), rc;
	x->v[0].kernel_l4 = l4;

	if ((rc = set_slot(d, SLOT_XEN_RAM, 0, d->mem_size, d->mem)) ||
	    (rc = set_slot(d, SLOT_XEN_SHARED, l->shared_info_mfn * PAGE, XEN_SHARED_BYTES(l), x->shared)) ||
	    (rc = set_slot(d, SLOT_XEN_PRIV, x->priv_gpa, x->priv_size, x->priv)))
		return snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(-rc)), rc;
	/* pvlab's shared page is not this domain's: a private one keeps the
	 * code both ABIs share (domain listing, pvlab event bits) off NULL. */
	d->shared = calloc(1, sizeof(*d->shared));
	if (!d->shared)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	uint64_t wall = (uint64_t)rt.tv_sec * 1000000000ULL + (uint64_t)rt.tv_nsec - time_now();
	x->shared->wc_version = 2;
	x->shared->wc_sec = (uint32_t)(wall / 1000000000ULL);
	x->shared->wc_nsec = (uint32_t)(wall % 1000000000ULL);
	x->shared->wc_sec_hi = (uint32_t)((wall / 1000000000ULL) >> 32);
	x->shared->arch.max_pfn = l->nr_pages;
	return 0;
}

void xen_domain_free(struct domain *d)
{
	struct xen_domain *x = d->xen;
	if (!x)
		return;
	xen_blkback_remove(d);           /* a build that failed after opening its disks */
	xen_netback_remove(d);           /* or its TAP devices */
	xen_store_close(d);
	xmm_destroy(&x->mm);
	if (x->shared)
		munmap(x->shared, XEN_SHARED_BYTES(&x->layout));
	if (x->priv)
		munmap(x->priv, x->priv_size);
	if (d->mem)
		munmap(d->mem, d->mem_size);
	d->mem = NULL;
	free(d->shared);
	d->shared = NULL;
	pthread_mutex_destroy(&x->lock);
	free(x);
	d->xen = NULL;
}

/* ---- vCPU 0 at Xen's entry ------------------------------------------------ */

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC ((1u << 11) | (1u << 10))   /* enabled, x2APIC mode */
#define APIC_BASE_BSP (1u << 8)
#define APIC_SVR 0xf0
#define APIC_LVT0 0x350

void xen_lapic_init(struct domain *d)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP };
	if (!ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap))
		d->xen->stub_dom[XD_LAPIC] = 1;
}

/* The vCPU's APIC in x2APIC mode (the stub's EOI is a wrmsr: no APIC page
 * to map), software-enabled for the MSIs, and LINT0 ExtINT, unmasked, for
 * pvmon's KVM_INTERRUPT. */
static int lapic_setup(struct vcpu *v)
{
	const uint32_t idx[1] = { MSR_APIC_BASE };
	const uint64_t val[1] = { XEN_APIC_ADDR | APIC_BASE_X2APIC | (v->id ? 0 : APIC_BASE_BSP) };
	if (fastpath_set_msrs(v->fd, idx, val, 1))
		return -EIO;
	struct kvm_lapic_state s;
	if (ioctl(v->fd, KVM_GET_LAPIC, &s))
		return -errno;
	const uint32_t svr = 0x1ff, lvt0 = 0x700;    /* enabled, spurious vector 0xff; ExtINT */
	memcpy(s.regs + APIC_SVR, &svr, 4);
	memcpy(s.regs + APIC_LVT0, &lvt0, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &s))
		return -errno;
	/* With KVM's APIC an AP starts waiting for INIT and SIPI, in KVM_RUN;
	 * here VCPUOP_up starts it. */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	return ioctl(v->fd, KVM_SET_MP_STATE, &mp) ? -errno : 0;
}

/* The CPU state both entries share: pvmon's GDT, IDT and TSS of vCPU
 * v's block, its LSTAR trampoline, the flat user segments of a PV
 * kernel, CR3 the kernel L4, the given FS and GS bases. */
static int cpu_setup(struct vcpu *v, uint64_t fs_base, uint64_t gs_base, uint64_t gs_user)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = &x->v[v->id];
	struct kvm_sregs *s = &v->sregs;
	if (!xv->cpuid_set) {
		int rc = xen_cpuid_set(v);
		if (rc)
			return rc;
		xv->cpuid_set = true;
		if (x->stub_dom[XD_LAPIC] && (rc = lapic_setup(v)))
			return rc;
	}
	if (ioctl(v->fd, KVM_GET_SREGS, s))
		return -errno;
	s->cr0 = 0x80050033;          /* PG AM WP NE ET MP PE */
	s->cr3 = xv->kernel_l4 * PAGE;
	s->cr4 = 0x620;               /* PAE OSFXSR OSXMMEXCPT: no PGE, so a CR3 load flushes everything */
	s->efer = 0xd01;              /* NXE LMA LME SCE: `syscall` enters the stub through the vCPU's LSTAR */
	struct kvm_segment cs = { .limit = 0xffffffff, .selector = HV_UCS, .type = 11, .present = 1,
	                          .dpl = 3, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = { .limit = 0xffffffff, .selector = HV_UDS, .type = 3, .present = 1,
	                          .dpl = 3, .db = 1, .s = 1, .g = 1 };
	s->cs = cs;
	s->ds = s->es = s->fs = s->gs = s->ss = ds;
	s->fs.base = fs_base;
	s->gs.base = gs_base;
	s->gdt = (struct kvm_dtable){ .base = XS_DESC_VA + XS_GDT_OFF(v->id), .limit = HV_GDT_LIMIT };
	s->idt = (struct kvm_dtable){ .base = XS_DESC_VA + XS_IDT_OFF, .limit = XS_NR_VECTORS * 16 - 1 };
	s->tr = (struct kvm_segment){ .base = XS_DESC_VA + XS_TSS_OFF(v->id), .limit = HV_TSS_LIMIT,
	                              .selector = HV_TSS_SEL, .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .unusable = 1 };
	if (ioctl(v->fd, KVM_SET_SREGS, s))
		return -errno;
	/* STAR's kernel half is the stub's CPL0 code segment (its user half
	 * is never used: the stub leaves by iretq); LSTAR the vCPU's trampoline. */
	const uint32_t idx[4] = { MSR_STAR, MSR_LSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE };
	const uint64_t val[4] = { (uint64_t)HV_KCS << 32, XS_CODE_VA + (uint64_t)(xs_lstar0 - xs_stub_start) + 64ULL * v->id,
	                          XS_SFMASK, gs_user /* the other mode's GS base */ };
	if (fastpath_set_msrs(v->fd, idx, val, 4))
		return -EIO;
	xv->cell[XC_CR3] = s->cr3;
	xv->cr4 = s->cr4;             /* what the guest reads back; its writes change only this copy */
	return 0;
}

int xen_vcpu_setup(struct vcpu *v)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = &x->v[v->id];
	int rc = cpu_setup(v, 0, 0, 0);
	if (rc)
		return rc;
	struct kvm_regs *r = &v->run->s.regs.regs;
	memset(r, 0, sizeof(*r));
	r->rip = x->layout.rip;
	r->rsp = x->layout.rsp;
	r->rsi = x->layout.rsi;
	r->rflags = 0x202;            /* IF: pvmon's event vector can reach the stub; events are the mask's */
	v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	xv->vi->evtchn_upcall_mask = 1;   /* Xen starts a PV vCPU with events masked */
	xen_publish_time(v);
	return 0;
}

int xen_vcpu_start(struct vcpu *v)
{
	struct xen_domain *x = v->dom->xen;
	struct xen_vcpu *xv = &x->v[v->id];
	xen_lock(x);      /* VCPUOP_initialise wrote start under it */
	int rc = cpu_setup(v, xv->start.fs_base, xv->start.gs_base, xv->start.gs_user);
	xen_unlock(x);
	if (rc)
		return rc;
	/* rax rcx rdx rbx rsp rbp rsi rdi r8..r15, as VCPUOP_initialise's user_regs */
	const uint64_t *g = xv->start.gpr;
	struct kvm_regs *r = &v->run->s.regs.regs;
	*r = (struct kvm_regs){ .rax = g[0], .rcx = g[1], .rdx = g[2], .rbx = g[3], .rsp = g[4], .rbp = g[5],
	                        .rsi = g[6], .rdi = g[7], .r8 = g[8], .r9 = g[9], .r10 = g[10], .r11 = g[11],
	                        .r12 = g[12], .r13 = g[13], .r14 = g[14], .r15 = g[15], .rip = xv->start.rip };
	/* The guest's arithmetic flags; IF on in the CPU (events are the
	 * mask's), IOPL taken as Xen's virtual one. */
	r->rflags = (xv->start.rflags & 0xcd5ULL) | 0x202;
	v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
	/* A fresh vCPU's TLB is empty: no reload owed to earlier flushes. */
	__atomic_store_n(&xv->flush_want, false, __ATOMIC_SEQ_CST);
	xen_publish_time(v);
	return 0;
}
