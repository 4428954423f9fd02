/* Xen's start-of-day layout, computed as Xen's domain builder does
 * (libxenguest's xc_dom_*: the segments packed after the kernel, the
 * bootstrap tables counted until they also map themselves, the stack, the
 * padding), for an identity p2m. Pure: the caller owns the memory. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xen/xen.h>   /* after stdint.h: it uses, never includes, it */
#include "xenlayout.h"
#include "kload.h"

#define PAGE 4096ULL
#define ENTRIES 512
#define ALIGN_4M (4ULL << 20)
#define PAD_FRAMES 128               /* xen.h: at least 512 KiB after the last element */
#define UPPER_FLAGS (XENLAYOUT_PTE_P | XENLAYOUT_PTE_RW | XENLAYOUT_PTE_US | XENLAYOUT_PTE_A | XENLAYOUT_PTE_D)

static uint64_t frames_of(uint64_t bytes)
{
	return (bytes + PAGE - 1) / PAGE;
}

/* Tables of the level whose entries each cover 1 << shift bytes that map
 * [start, end): one per distinct (va >> shift) (Xen's nr_page_tables). */
static uint64_t tables(uint64_t start, uint64_t end, unsigned shift)
{
	return ((end - 1) >> shift) - (start >> shift) + 1;
}

static struct xenlayout_seg take(uint64_t *next, uint64_t frames)
{
	struct xenlayout_seg s = { *next, frames };
	*next += frames;
	return s;
}

static int check_config(const struct xenlayout_config *c, char *err, size_t errlen)
{
	if (c->mem_bytes % PAGE || c->mem_bytes / PAGE == 0 || c->mem_bytes / PAGE > XENLAYOUT_MAX_PAGES)
		return kload_refuse(err, errlen, "memory of %llu bytes: a multiple of 4 KiB up to %llu GiB needed",
		                    (unsigned long long)c->mem_bytes, XENLAYOUT_MAX_PAGES * PAGE >> 30);
	if (!kload_canonical(c->virt_base) || c->virt_base % PAGE)
		return kload_refuse(err, errlen, "virt_base 0x%llx is not a canonical, page-aligned address",
		                    (unsigned long long)c->virt_base);
	if (c->kernel_start % PAGE || c->kernel_end <= c->kernel_start || c->kernel_end > c->mem_bytes)
		return kload_refuse(err, errlen, "kernel image [0x%llx, 0x%llx) is not a page-aligned range inside the domain's %llu MiB",
		                    (unsigned long long)c->kernel_start, (unsigned long long)c->kernel_end,
		                    (unsigned long long)c->mem_bytes >> 20);
	uint64_t kva = c->virt_base + c->kernel_start;   /* the region's wrap is checked later */
	if (c->entry < kva || c->entry - kva >= c->kernel_end - c->kernel_start)
		return kload_refuse(err, errlen, "entry 0x%llx is outside the kernel image", (unsigned long long)c->entry);
	if (c->initrd_len > c->mem_bytes)
		return kload_refuse(err, errlen, "initrd of %llu bytes is larger than the domain's memory",
		                    (unsigned long long)c->initrd_len);
	if (c->cmdline && strlen(c->cmdline) >= MAX_GUEST_CMDLINE)
		return kload_refuse(err, errlen, "command line of %zu bytes (start_info holds %d)", strlen(c->cmdline),
		                    MAX_GUEST_CMDLINE - 1);
	return 0;
}

int xenlayout_check_range(const char *what, uint64_t start, uint64_t end, char *err, size_t errlen)
{
	if (!kload_canonical(start) || !kload_canonical(end - 1) || (start >> 63) != ((end - 1) >> 63))
		return kload_refuse(err, errlen, "%s [0x%llx, 0x%llx) is not canonical", what,
		                    (unsigned long long)start, (unsigned long long)end);
	if (start < HYPERVISOR_VIRT_END && end > HYPERVISOR_VIRT_START)
		return kload_refuse(err, errlen, "%s [0x%llx, 0x%llx) meets the hypervisor's [0x%llx, 0x%llx)", what,
		                    (unsigned long long)start, (unsigned long long)end,
		                    (unsigned long long)HYPERVISOR_VIRT_START, (unsigned long long)HYPERVISOR_VIRT_END);
	return 0;
}

int xenlayout_compute(const struct xenlayout_config *c, struct xenlayout *l, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	int rc = check_config(c, err, errlen);
	if (rc)
		return rc;
	l->nr_pages = c->mem_bytes / PAGE;
	l->virt_base = c->virt_base;
	uint64_t next = c->kernel_start / PAGE;
	l->kernel = take(&next, frames_of(c->kernel_end) - next);
	l->initrd = take(&next, frames_of(c->initrd_len));
	l->p2m = take(&next, frames_of(l->nr_pages * sizeof(xen_pfn_t)));
	l->start_info = take(&next, 1);
	l->xenstore = take(&next, 1);
	l->console = take(&next, 1);

	/* The tables must map the region that holds them: count until the
	 * count no longer moves the 4 MiB-aligned end (Xen's count_pgtables). */
	uint64_t room = UINT64_MAX - c->virt_base;       /* bytes above virt_base, less one */
	uint64_t extra = 1 + PAD_FRAMES, pages = extra, end_off = 0, pt = 0;
	for (int round = 0; round < 8; round++) {
		uint64_t want = (next + pages) * PAGE;
		if (room < ALIGN_4M || want > room - ALIGN_4M)
			return kload_refuse(err, errlen, "the bootstrap region from 0x%llx would wrap past the top of the address space",
			                    (unsigned long long)c->virt_base);
		uint64_t end = (c->virt_base + want + ALIGN_4M - 1) & ~(ALIGN_4M - 1);
		end_off = end - c->virt_base;
		l->l4 = 1;
		l->l3 = (unsigned)tables(c->virt_base, end, 39);
		l->l2 = (unsigned)tables(c->virt_base, end, 30);
		l->l1 = (unsigned)tables(c->virt_base, end, 21);
		pt = l->l4 + l->l3 + l->l2 + l->l1;
		pages = pt + extra;
		if ((next + pages) * PAGE <= end_off)
			break;
	}
	if ((next + pages) * PAGE > end_off)
		return kload_refuse(err, errlen, "bootstrap page tables do not converge");   /* cannot happen: each round adds < 4 MiB */
	l->pt = take(&next, pt);
	l->stack = take(&next, 1);
	l->virt_end = c->virt_base + end_off;
	if (end_off / PAGE > l->nr_pages)
		return kload_refuse(err, errlen, "the domain's %llu MiB are too few: its bootstrap region needs %llu MiB",
		                    (unsigned long long)c->mem_bytes >> 20, (unsigned long long)(end_off + (1 << 20) - 1) >> 20);
	rc = xenlayout_check_range("the bootstrap region", c->virt_base, l->virt_end, err, errlen);
	if (rc)
		return rc;

	l->shared_info_mfn = l->nr_pages;
	l->gnt_mfn = l->shared_info_mfn + 1;
	l->gnt_frames = XENLAYOUT_GNT_FRAMES;
	l->rip = c->entry;
	l->rsp = c->virt_base + (l->stack.pfn + 1) * PAGE;
	l->rsi = c->virt_base + l->start_info.pfn * PAGE;
	l->cr3 = l->pt.pfn * PAGE;                        /* the L4's machine address */
	l->hv_start = HYPERVISOR_VIRT_START;
	l->hv_end = HYPERVISOR_VIRT_END;
	l->hv_l4_first = (unsigned)(HYPERVISOR_VIRT_START >> 39) & (ENTRIES - 1);
	l->hv_l4_last = (unsigned)((HYPERVISOR_VIRT_END - 1) >> 39) & (ENTRIES - 1);
	l->m2p_va = MACH2PHYS_VIRT_START;
	l->m2p_entries = l->gnt_mfn + l->gnt_frames;
	l->m2p_frames = frames_of(l->m2p_entries * sizeof(xen_pfn_t));
	return 0;
}

static uint64_t seg_va(const struct xenlayout *l, struct xenlayout_seg s)
{
	return l->virt_base + s.pfn * PAGE;
}

void xenlayout_start_info(const struct xenlayout *l, const struct xenlayout_config *c, struct start_info *si)
{
	memset(si, 0, sizeof(*si));
	snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
	si->nr_pages = l->nr_pages;
	si->shared_info = l->shared_info_mfn * PAGE;     /* a machine address */
	si->flags = 0;                                    /* an unprivileged domain (no SIF_*) */
	si->store_mfn = l->xenstore.pfn;
	si->store_evtchn = c->store_port;
	si->console.domU.mfn = l->console.pfn;
	si->console.domU.evtchn = c->console_port;
	si->pt_base = seg_va(l, l->pt);
	si->nr_pt_frames = l->pt.frames;
	si->mfn_list = seg_va(l, l->p2m);
	if (c->initrd_len) {
		si->mod_start = seg_va(l, l->initrd);
		si->mod_len = c->initrd_len;
	}
	if (c->cmdline)
		memcpy(si->cmd_line, c->cmdline, strlen(c->cmdline));   /* checked to fit, NUL from the memset */
	/* first_p2m_pfn, nr_p2m_frames: only for a p2m outside this region */
}

int xenlayout_page_tables(const struct xenlayout *l, uint64_t *t, size_t nframes)
{
	if (nframes != l->pt.frames || !nframes)
		return -EINVAL;
	memset(t, 0, nframes * PAGE);
	const uint64_t base = l->virt_base, pt0 = l->pt.pfn;
	const uint64_t l3_0 = 1, l2_0 = l3_0 + l->l3, l1_0 = l2_0 + l->l2;   /* frame indexes: L4, L3s, L2s, L1s */
	for (uint64_t va = base; va != l->virt_end; va += PAGE) {
		uint64_t i3 = l3_0 + ((va >> 39) - (base >> 39));
		uint64_t i2 = l2_0 + ((va >> 30) - (base >> 30));
		uint64_t i1 = l1_0 + ((va >> 21) - (base >> 21));
		uint64_t pfn = (va - base) / PAGE;
		t[(va >> 39) & (ENTRIES - 1)] = (pt0 + i3) * PAGE | UPPER_FLAGS;
		t[i3 * ENTRIES + ((va >> 30) & (ENTRIES - 1))] = (pt0 + i2) * PAGE | UPPER_FLAGS;
		t[i2 * ENTRIES + ((va >> 21) & (ENTRIES - 1))] = (pt0 + i1) * PAGE | UPPER_FLAGS;
		uint64_t leaf = pfn * PAGE | UPPER_FLAGS;
		if (pfn >= l->pt.pfn && pfn < l->pt.pfn + l->pt.frames)
			leaf &= ~XENLAYOUT_PTE_RW;                /* xen.h: the tables are mapped read-only */
		t[i1 * ENTRIES + ((va >> 12) & (ENTRIES - 1))] = leaf;
	}
	return 0;
}

void xenlayout_p2m(const struct xenlayout *l, uint64_t *p2m)
{
	for (uint64_t pfn = 0; pfn < l->nr_pages; pfn++)
		p2m[pfn] = pfn;
}

void xenlayout_m2p(const struct xenlayout *l, uint64_t *m2p)
{
	for (uint64_t mfn = 0; mfn < l->m2p_entries; mfn++)
		m2p[mfn] = mfn < l->nr_pages ? mfn : XENLAYOUT_M2P_INVALID;
}

void xenlayout_hypercall_page(uint8_t *page)
{
	memset(page, 0xcc, PAGE);
	for (uint32_t i = 0; i < PAGE / 32; i++) {
		uint8_t *p = page + 32 * i, *q = p;
		*q++ = 0x51;                        /* push %rcx */
		*q++ = 0x41, *q++ = 0x53;           /* push %r11 */
		if (i == __HYPERVISOR_iret)
			*q++ = 0x50;                /* push %rax: iret's frame starts with it */
		*q++ = 0xb8;                        /* mov $i, %eax */
		memcpy(q, &i, 4), q += 4;
		*q++ = 0x0f, *q++ = 0x05;           /* syscall */
		if (i == __HYPERVISOR_iret)
			continue;                   /* no way back: iret returns to the frame */
		*q++ = 0x41, *q++ = 0x5b;           /* pop %r11 */
		*q++ = 0x59;                        /* pop %rcx */
		*q++ = 0xc3;                        /* ret */
	}
}
