/* Xen's start-of-day layout of an x86-64 PV domain, as public/xen.h
 * documents it above struct start_info: pure arithmetic over the domain's
 * size and the kernel's notes, no KVM (as pagetable.c), with an identity
 * p2m (machine frame = pseudo-physical frame). The structures and numbers
 * are libxen-dev's (Xen 4.17's public headers). */
#ifndef PVMON_XENLAYOUT_H
#define PVMON_XENLAYOUT_H
#include <stddef.h>
#include <stdint.h>

struct start_info;

/* What the layout is computed from. */
struct xenlayout_config {
	uint64_t mem_bytes;          /* the domain's RAM, a multiple of 4 KiB */
	uint64_t virt_base;          /* VIRT_BASE: where pseudo-physical 0 is mapped */
	uint64_t kernel_start;       /* the image's pseudo-physical range: xenelf's pstart/pend */
	uint64_t kernel_end;         /*   less PADDR_OFFSET; kernel_start page-aligned */
	uint64_t entry;              /* ENTRY: virtual, inside the image */
	uint64_t initrd_len;         /* bytes; 0: no initrd */
	const char *cmdline;         /* NULL or at most MAX_GUEST_CMDLINE - 1 bytes */
	/* Event channels (not named as start_info's: xen.h's compatibility
	 * macros own console_evtchn). */
	uint32_t store_port;         /* 0: Linux takes xenstore as local (no xenstored) */
	uint32_t console_port;
};

/* A run of frames in the bootstrap region, at virt_base + pfn * 4 KiB. */
struct xenlayout_seg {
	uint64_t pfn, frames;
};

struct xenlayout {
	uint64_t nr_pages;
	/* The bootstrap region [virt_base, virt_end): pseudo-physical 0 up,
	 * mapped by the bootstrap tables, ending 4 MiB-aligned with at least
	 * 512 KiB free after the stack. In xen.h's order: */
	uint64_t virt_base, virt_end;
	struct xenlayout_seg kernel, initrd, p2m, start_info, xenstore, console, pt, stack;
	unsigned l4, l3, l2, l1;     /* bootstrap table frames of each level, in pt in this order */
	/* Outside RAM: the shared-info page (vcpu_info inside) is the machine
	 * frame right after the domain's last, as Xen's is none of its RAM;
	 * the grant table's frames (v1, GNTTABOP_setup_table) follow it. */
	uint64_t shared_info_mfn;
	uint64_t gnt_mfn, gnt_frames;
	/* vCPU 0 at the start. */
	uint64_t rip, rsp, rsi, cr3;
	/* The hypervisor's part of every address space (xen-x86_64.h):
	 * [HYPERVISOR_VIRT_START, HYPERVISOR_VIRT_END), L4 slots first..last,
	 * which the bootstrap L4 leaves empty for pvmon to fill; in it the
	 * read-only M2P table: one 8-byte pfn per machine frame (RAM, then the
	 * shared-info and grant frames, which have none: XENLAYOUT_M2P_INVALID). */
	uint64_t hv_start, hv_end;
	unsigned hv_l4_first, hv_l4_last;
	uint64_t m2p_va, m2p_entries, m2p_frames;
};

#define XENLAYOUT_MAX_PAGES (1ULL << 28)         /* 1 TiB */
/* Grant-table frames of a domain (query_size's max_nr_frames): 4 v1
 * frames are 2048 grants, Linux's "legacy" maximum, enough for a block
 * and a network front end's rings and buffers. */
#define XENLAYOUT_GNT_FRAMES 4
#define XENLAYOUT_M2P_INVALID (~0ULL)            /* Xen's INVALID_M2P_ENTRY */
/* Bootstrap page-table entries: present, writable (but the L1 entries that
 * map the tables themselves), user (the PV kernel runs at CPL3, as under
 * Xen, which adds _PAGE_USER to a 64-bit PV guest's entries itself),
 * accessed and dirty preset (the CPU's walk writes nothing). */
#define XENLAYOUT_PTE_P  0x001ULL
#define XENLAYOUT_PTE_RW 0x002ULL
#define XENLAYOUT_PTE_US 0x004ULL
#define XENLAYOUT_PTE_A  0x020ULL
#define XENLAYOUT_PTE_D  0x040ULL

/* A guest's range of virtual addresses [start, end) (end > start, no wrap):
 * 0 if it is canonical, in one half and clear of the hypervisor's range;
 * else -EINVAL with err saying so of `what`. */
int xenlayout_check_range(const char *what, uint64_t start, uint64_t end, char *err, size_t errlen);

/* Place everything: 0, or -EINVAL with err saying why (a size or address
 * out of range, an image that is not inside the domain's memory, a region
 * that does not fit the domain's memory, wraps or meets the hypervisor's
 * range, a command line too long for start_info). */
int xenlayout_compute(const struct xenlayout_config *c, struct xenlayout *l, char *err, size_t errlen);

/* Fill the start_info page (zeroed first) for c laid out as l. */
void xenlayout_start_info(const struct xenlayout *l, const struct xenlayout_config *c, struct start_info *si);

/* Write the bootstrap tables into tables[0 .. l->pt.frames * 512), frame i
 * of them being pseudo-physical frame l->pt.pfn + i. -EINVAL if nframes
 * is not l->pt.frames. */
int xenlayout_page_tables(const struct xenlayout *l, uint64_t *tables, size_t nframes);

/* The p2m list (l->nr_pages entries: mfn of each pfn) and the M2P table
 * (l->m2p_entries: pfn of each mfn), both identity. */
void xenlayout_p2m(const struct xenlayout *l, uint64_t *p2m);
void xenlayout_m2p(const struct xenlayout *l, uint64_t *m2p);
/* The hypercall page of a kernel whose HYPERCALL_PAGE note names one
 * (kernels without the XSA-466 fix call hypercall i at page + 32 * i):
 * Xen's 64-bit PV stubs, `push %rcx; push %r11; mov $i, %eax; syscall;
 * pop %r11; pop %rcx; ret`, iret's without the return (it never comes
 * back), int3 in the rest of each slot. */
void xenlayout_hypercall_page(uint8_t *page);
#endif
