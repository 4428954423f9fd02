/* xenlayout.c: Xen's start-of-day layout. Every layout computed here is
 * checked against xen.h's rules (order, 4 KiB packing, 4 MiB end, 512 KiB
 * padding, tables read-only) and its tables walked page by page; Debian's
 * kernel's own numbers where it is cached. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <xen/xen.h>
#include "check.h"
#include "kernelfile.h"
#include "../../hypervisor/src/bzimage.h"
#include "../../hypervisor/src/xenelf.h"
#include "../../hypervisor/src/xenlayout.h"

#define PAGE 4096ULL
#define VBASE 0xffffffff80000000ULL
#define ALL_FLAGS (XENLAYOUT_PTE_P | XENLAYOUT_PTE_RW | XENLAYOUT_PTE_US | XENLAYOUT_PTE_A | XENLAYOUT_PTE_D)
#define ADDR 0x000ffffffffff000ULL

static uint64_t va_of(const struct xenlayout *l, struct xenlayout_seg s) { return l->virt_base + s.pfn * PAGE; }

/* Walk the bootstrap tables for va: the leaf entry, or 0 where a level is
 * not present. Every table named must be one of the bootstrap frames. */
static uint64_t walk(const struct xenlayout *l, const uint64_t *t, uint64_t va, int *bad)
{
	uint64_t frame = 0;                       /* the L4 */
	for (int shift = 39; shift >= 12; shift -= 9) {
		uint64_t e = t[frame * 512 + ((va >> shift) & 511)];
		if (!(e & XENLAYOUT_PTE_P))
			return 0;
		if (e & ~(ADDR | ALL_FLAGS))
			*bad = 1;
		if (shift == 12)
			return e;
		uint64_t pfn = (e & ADDR) / PAGE;
		if (pfn < l->pt.pfn || pfn >= l->pt.pfn + l->pt.frames || !(e & XENLAYOUT_PTE_RW) || !(e & XENLAYOUT_PTE_US)) {
			*bad = 1;
			return 0;
		}
		frame = pfn - l->pt.pfn;
	}
	return 0;
}

static void check_layout(const struct xenlayout_config *c, const struct xenlayout *l)
{
	uint64_t nr = c->mem_bytes / PAGE;
	CHECK_EQ(l->nr_pages, nr);
	/* xen.h's order, packed, each element page-aligned */
	CHECK_EQ(l->kernel.pfn, c->kernel_start / PAGE);
	CHECK_EQ(l->kernel.pfn + l->kernel.frames, (c->kernel_end + PAGE - 1) / PAGE);
	CHECK_EQ(l->initrd.pfn, l->kernel.pfn + l->kernel.frames);
	CHECK_EQ(l->initrd.frames, (c->initrd_len + PAGE - 1) / PAGE);
	CHECK_EQ(l->p2m.pfn, l->initrd.pfn + l->initrd.frames);
	CHECK_EQ(l->p2m.frames, (nr * 8 + PAGE - 1) / PAGE);
	CHECK_EQ(l->start_info.pfn, l->p2m.pfn + l->p2m.frames);
	CHECK_EQ(l->xenstore.pfn, l->start_info.pfn + 1);
	CHECK_EQ(l->console.pfn, l->xenstore.pfn + 1);
	CHECK_EQ(l->pt.pfn, l->console.pfn + 1);
	CHECK_EQ(l->stack.pfn, l->pt.pfn + l->pt.frames);
	CHECK_EQ(l->stack.frames, 1);
	CHECK_EQ(l->pt.frames, l->l4 + l->l3 + l->l2 + l->l1);
	CHECK_EQ(l->l4, 1);
	/* the region: 4 MiB-aligned end, 512 KiB free after the stack, no
	 * more than needed for that, inside the domain's memory */
	uint64_t stack_end = va_of(l, l->stack) + PAGE;
	CHECK_EQ(l->virt_base, c->virt_base);
	CHECK_EQ(l->virt_end % (4ULL << 20), 0);
	CHECK(l->virt_end - stack_end >= (512ULL << 10));
	CHECK(l->virt_end - stack_end < (512ULL << 10) + (4ULL << 20));
	CHECK((l->virt_end - l->virt_base) / PAGE <= nr);
	/* vCPU 0 */
	CHECK_EQ(l->rip, c->entry);
	CHECK_EQ(l->rsp, stack_end);
	CHECK_EQ(l->rsi, va_of(l, l->start_info));
	CHECK_EQ(l->cr3, l->pt.pfn * PAGE);
	/* the hypervisor's range and the M2P in it */
	CHECK_EQ(l->hv_start, 0xffff800000000000ULL);
	CHECK_EQ(l->hv_end, 0xffff880000000000ULL);
	CHECK_EQ(l->hv_l4_first, 256);
	CHECK_EQ(l->hv_l4_last, 271);
	CHECK_EQ(l->m2p_va, 0xffff800000000000ULL);
	CHECK_EQ(l->shared_info_mfn, nr);
	CHECK_EQ(l->gnt_mfn, nr + 1);
	CHECK_EQ(l->m2p_entries, nr + 1 + XENLAYOUT_GNT_FRAMES);
	CHECK_EQ(l->m2p_frames, ((nr + 1) * 8 + PAGE - 1) / PAGE);

	/* The tables, walked for every page of the region and its edges. */
	uint64_t *t = malloc(l->pt.frames * PAGE);
	CHECK_EQ(xenlayout_page_tables(l, t, l->pt.frames + 1), -EINVAL);
	CHECK_EQ(xenlayout_page_tables(l, t, l->pt.frames), 0);
	int bad = 0, wrong = 0;
	for (uint64_t va = l->virt_base; va != l->virt_end; va += PAGE) {
		uint64_t e = walk(l, t, va, &bad), pfn = (va - l->virt_base) / PAGE;
		int is_pt = pfn >= l->pt.pfn && pfn < l->pt.pfn + l->pt.frames;
		if ((e & ADDR) != pfn * PAGE || !(e & XENLAYOUT_PTE_P) || !(e & XENLAYOUT_PTE_US) ||
		    !!(e & XENLAYOUT_PTE_RW) == is_pt)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(walk(l, t, l->virt_end, &bad), 0);
	if (l->virt_base)
		CHECK_EQ(walk(l, t, l->virt_base - PAGE, &bad), 0);
	for (unsigned s = l->hv_l4_first; s <= l->hv_l4_last; s++)
		CHECK_EQ(t[s], 0);                     /* pvmon's, filled when the L4 is validated */
	/* Every bootstrap table is used: as many as the region needs, no more. */
	uint64_t used = 1;
	for (uint64_t i = 0; i < l->pt.frames * 512; i++)
		if ((t[i] & XENLAYOUT_PTE_P) && i < (uint64_t)(1 + l->l3 + l->l2) * 512)
			used++;
	CHECK_EQ(used, l->pt.frames);
	free(t);

	/* start_info */
	struct start_info si;
	xenlayout_start_info(l, c, &si);
	CHECK_STR(si.magic, "xen-3.0-x86_64");
	CHECK_EQ(si.nr_pages, nr);
	CHECK_EQ(si.shared_info, nr * PAGE);
	CHECK_EQ(si.flags, 0);
	CHECK_EQ(si.store_mfn, l->xenstore.pfn);
	CHECK_EQ(si.store_evtchn, c->store_port);
	CHECK_EQ(si.console.domU.mfn, l->console.pfn);
	CHECK_EQ(si.console.domU.evtchn, c->console_port);
	CHECK_EQ(si.pt_base, va_of(l, l->pt));
	CHECK_EQ(si.nr_pt_frames, l->pt.frames);
	CHECK_EQ(si.mfn_list, va_of(l, l->p2m));
	CHECK_EQ(si.mod_start, c->initrd_len ? va_of(l, l->initrd) : 0);
	CHECK_EQ(si.mod_len, c->initrd_len);
	CHECK_STR((const char *)si.cmd_line, c->cmdline ? c->cmdline : "");

	/* The p2m and M2P: identity, the shared-info frame having no pfn. */
	uint64_t *p2m = malloc(nr * 8), *m2p = malloc(l->m2p_entries * 8);
	xenlayout_p2m(l, p2m);
	xenlayout_m2p(l, m2p);
	CHECK(p2m[0] == 0 && p2m[nr - 1] == nr - 1 && m2p[nr - 1] == nr - 1 && m2p[nr] == XENLAYOUT_M2P_INVALID);
	for (uint64_t i = 0; i < nr; i++)
		if (p2m[i] != i || m2p[p2m[i]] != i)
			wrong++;
	CHECK_EQ(wrong, 0);
	free(p2m);
	free(m2p);
}

static void print_layout(const char *what, const struct xenlayout_config *c, const struct xenlayout *l)
{
	printf("%s: %llu MiB, %llu pages\n", what, (unsigned long long)c->mem_bytes >> 20, (unsigned long long)l->nr_pages);
	struct { const char *name; struct xenlayout_seg s; } seg[] = {
		{ "kernel", l->kernel }, { "initrd", l->initrd }, { "p2m list", l->p2m }, { "start_info", l->start_info },
		{ "xenstore", l->xenstore }, { "console", l->console }, { "page tables", l->pt }, { "stack", l->stack },
	};
	for (size_t i = 0; i < sizeof(seg) / sizeof(seg[0]); i++)
		if (seg[i].s.frames)
			printf("  %-12s pfn 0x%05llx, %5llu frames, va 0x%llx\n", seg[i].name,
			       (unsigned long long)seg[i].s.pfn, (unsigned long long)seg[i].s.frames,
			       (unsigned long long)va_of(l, seg[i].s));
	printf("  region [0x%llx, 0x%llx): %llu KiB of padding after the stack; tables L4 %u L3 %u L2 %u L1 %u\n",
	       (unsigned long long)l->virt_base, (unsigned long long)l->virt_end,
	       (unsigned long long)(l->virt_end - va_of(l, l->stack) - PAGE) >> 10, l->l4, l->l3, l->l2, l->l1);
	printf("  rip 0x%llx rsp 0x%llx rsi 0x%llx cr3 0x%llx; shared_info mfn 0x%llx\n", (unsigned long long)l->rip,
	       (unsigned long long)l->rsp, (unsigned long long)l->rsi, (unsigned long long)l->cr3,
	       (unsigned long long)l->shared_info_mfn);
	printf("  hypervisor [0x%llx, 0x%llx) = L4 slots %u..%u; M2P at 0x%llx: %llu entries, %llu frames\n",
	       (unsigned long long)l->hv_start, (unsigned long long)l->hv_end, l->hv_l4_first, l->hv_l4_last,
	       (unsigned long long)l->m2p_va, (unsigned long long)l->m2p_entries, (unsigned long long)l->m2p_frames);
}

static struct xenlayout_config debian_like(uint64_t mib)
{
	/* Debian 6.1's image: pseudo-physical [16 MiB, 74 MiB), entry in .init.text */
	return (struct xenlayout_config){ .mem_bytes = mib << 20, .virt_base = VBASE, .kernel_start = 0x1000000,
	                                  .kernel_end = 0x4a00000, .entry = 0xffffffff830791c0ULL,
	                                  .cmdline = "console=hvc0 earlyprintk=xen", .console_port = 2 };
}

#define REFUSE(why, mutate) do { struct xenlayout_config c_ = debian_like(256); mutate; struct xenlayout l_; \
	char err_[256] = ""; int rc_ = xenlayout_compute(&c_, &l_, err_, sizeof(err_)); CHECK_EQ(rc_, -EINVAL); \
	CHECK(strstr(err_, why) != NULL); \
	if (rc_ != -EINVAL || !strstr(err_, why)) fprintf(stderr, "  wanted \"%s\", got rc %d \"%s\"\n", why, rc_, err_); \
	else printf("refused: %s\n", err_); } while (0)

static void refusals(void)
{
	char longline[MAX_GUEST_CMDLINE + 1];
	memset(longline, 'x', MAX_GUEST_CMDLINE);
	longline[MAX_GUEST_CMDLINE] = 0;
	REFUSE("too few: its bootstrap region needs 76 MiB", c_.mem_bytes = 75 << 20);
	REFUSE("a multiple of 4 KiB", c_.mem_bytes += 1);
	REFUSE("a multiple of 4 KiB", c_.mem_bytes = 0);
	REFUSE("a multiple of 4 KiB", c_.mem_bytes = 2ULL << 40);
	REFUSE("virt_base", c_.virt_base += 8);
	REFUSE("virt_base", c_.virt_base = 0x0000800000000000ULL);
	REFUSE("kernel image", c_.kernel_start += 1);
	REFUSE("kernel image", c_.kernel_end = c_.kernel_start);
	REFUSE("kernel image", c_.kernel_end = 300ULL << 20);
	REFUSE("entry", c_.entry = VBASE);
	REFUSE("entry", c_.entry = VBASE + 0x4a00000);
	REFUSE("initrd", c_.initrd_len = 257ULL << 20);
	REFUSE("command line of 1024 bytes", c_.cmdline = longline);
	REFUSE("wrap past the top", c_.virt_base = 0xffffffffff000000ULL; c_.kernel_start = 0; c_.kernel_end = 15 << 20;
	       c_.entry = c_.virt_base);
	REFUSE("wrap past the top", c_.virt_base = 0xffffffffffe00000ULL; c_.kernel_start = 0; c_.kernel_end = 0x1000;
	       c_.entry = c_.virt_base);
	REFUSE("meets the hypervisor's", c_.virt_base = 0xffff800000000000ULL; c_.entry = c_.virt_base + 0x1000000);
	REFUSE("not canonical", c_.virt_base = 0x00007fffff000000ULL; c_.kernel_start = 0; c_.kernel_end = 15 << 20;
	       c_.entry = c_.virt_base);
}

static void layouts(void)
{
	struct xenlayout l;
	char err[256] = "";
	struct xenlayout_config c = debian_like(256);
	CHECK_EQ(xenlayout_compute(&c, &l, err, sizeof(err)), 0);
	check_layout(&c, &l);
	print_layout("Debian-like kernel, no initrd", &c, &l);
	CHECK_EQ(l.p2m.frames, 128);                       /* 65536 pfns * 8 bytes */
	CHECK_EQ(l.pt.pfn + l.pt.frames, l.stack.pfn);

	c.initrd_len = 1987498;                            /* nested-svm.sh's initrd.gz */
	CHECK_EQ(xenlayout_compute(&c, &l, err, sizeof(err)), 0);
	check_layout(&c, &l);
	print_layout("with a 1.9 MiB initrd", &c, &l);

	c = debian_like(76);                               /* the least it fits */
	CHECK_EQ(xenlayout_compute(&c, &l, err, sizeof(err)), 0);
	check_layout(&c, &l);
	c = debian_like(4096);                             /* a 8 MiB p2m list */
	CHECK_EQ(xenlayout_compute(&c, &l, err, sizeof(err)), 0);
	check_layout(&c, &l);
	CHECK_EQ(l.p2m.frames, 2048);

	/* A region across an L4 slot and an L3 slot: two of each table above L1. */
	c = (struct xenlayout_config){ .mem_bytes = 64 << 20, .virt_base = (1ULL << 39) - (4 << 20),
	                               .kernel_end = 6 << 20, .entry = (1ULL << 39) - (4 << 20) + 0x1000,
	                               .store_port = 1, .console_port = 2 };
	CHECK_EQ(xenlayout_compute(&c, &l, err, sizeof(err)), 0);
	check_layout(&c, &l);
	CHECK_EQ(l.l3, 2);
	CHECK_EQ(l.l2, 2);

	/* Every kernel size across a few 4 MiB steps: the table count that
	 * moves the end, the padding, the walk. */
	int n = 0;
	for (uint64_t end = 0x3000; end < (13ULL << 20); end += 0x5000, n++) {
		c = (struct xenlayout_config){ .mem_bytes = 32 << 20, .virt_base = VBASE, .kernel_end = end, .entry = VBASE,
		                               .initrd_len = (end * 7) % 0x3000 };
		int rc = xenlayout_compute(&c, &l, err, sizeof(err));
		CHECK_EQ(rc, 0);
		if (rc) {
			fprintf(stderr, "  kernel_end 0x%llx: %s\n", (unsigned long long)end, err);
			break;
		}
		check_layout(&c, &l);
	}
	printf("%d kernel sizes from 12 KiB to 13 MiB in a 32 MiB domain: laid out and walked\n", n);
}

/* Debian's kernel, from its own notes. */
static void debian(void)
{
	char path[512], err[512];
	size_t len;
	uint8_t *file = kernelfile_debian(&len, path, sizeof(path));
	if (!file)
		return;
	struct bzimage bz;
	struct xenelf x;
	struct xenlayout l;
	int rc = bzimage_unpack(file, len, BZIMAGE_MAX_ELF, &bz, err, sizeof(err));
	CHECK_EQ(rc, 0);
	if (!rc) {
		rc = xenelf_parse(bz.elf, bz.len, &x, err, sizeof(err));
		CHECK_EQ(rc, 0);
		CHECK_EQ(x.kind, XENELF_XEN_PV);
	}
	if (!rc) {
		struct xenlayout_config c = { .mem_bytes = 256 << 20, .virt_base = x.xen.virt_base,
		                              .kernel_start = x.pstart - x.xen.paddr_offset,
		                              .kernel_end = x.pend - x.xen.paddr_offset, .entry = x.xen.entry,
		                              .cmdline = "console=hvc0", .console_port = 2 };
		rc = xenlayout_compute(&c, &l, err, sizeof(err));
		CHECK_EQ(rc, 0);
		if (!rc) {
			check_layout(&c, &l);
			print_layout("Debian's kernel (its notes)", &c, &l);
		}
	}
	if (rc)
		fprintf(stderr, "%s: %s\n", path, err);
	if (bz.elf)
		bzimage_free(&bz);
	free(file);
}

/* Xen's 64-bit PV hypercall page, byte for byte (xen/arch/x86/pv/hypercall.c). */
static void hypercall_page(void)
{
	static uint8_t page[4096];
	static const uint8_t mmu[] = { 0x51, 0x41, 0x53, 0xb8, __HYPERVISOR_mmu_update, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };
	static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, __HYPERVISOR_iret, 0, 0, 0, 0x0f, 0x05 };
	static const uint8_t last[] = { 0x51, 0x41, 0x53, 0xb8, 127, 0, 0, 0, 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };
	xenlayout_hypercall_page(page);
	CHECK(!memcmp(page + 32 * __HYPERVISOR_mmu_update, mmu, sizeof(mmu)));
	CHECK(!memcmp(page + 32 * __HYPERVISOR_iret, iret, sizeof(iret)));
	CHECK(!memcmp(page + 32 * 127, last, sizeof(last)));
	unsigned pad = 0;
	for (unsigned i = 0; i < 128; i++) {
		unsigned used = i == __HYPERVISOR_iret ? sizeof(iret) : sizeof(mmu);
		for (unsigned b = used; b < 32; b++)
			pad += page[32 * i + b] == 0xcc;
	}
	CHECK_EQ(pad, 127 * (32 - sizeof(mmu)) + (32 - sizeof(iret)));
}

int main(void)
{
	hypercall_page();
	layouts();
	refusals();
	debian();
	return CHECK_DONE();
}
