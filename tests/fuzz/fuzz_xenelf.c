/* libFuzzer target for the kernel-file parsers: the input is a kernel file.
 * bzimage.c finds its ELF (a 32 MiB limit, so a bomb costs little),
 * xenelf.c reads the notes of that ELF and of the raw input (most
 * mutations of an ELF seed land there), and a Xen kernel it accepts is
 * laid out by xenlayout.c in a 64 MiB domain, tables and start_info
 * written. Nothing may touch memory outside its buffers; whatever xenelf
 * accepts, the layout must either refuse with a reason or lay out whole. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>
#include "../../hypervisor/src/bzimage.h"
#include "../../hypervisor/src/xenelf.h"
#include "../../hypervisor/src/xenlayout.h"

static void lay_out(const struct xenelf *x)
{
	if (x->kind != XENELF_XEN_PV)
		return;
	struct xenlayout_config c = { .mem_bytes = 64 << 20, .virt_base = x->xen.virt_base,
	                              .kernel_start = x->pstart - x->xen.paddr_offset,
	                              .kernel_end = x->pend - x->xen.paddr_offset, .entry = x->xen.entry,
	                              .initrd_len = x->xen.phys32_entry & 0xfffff, .cmdline = x->xen.guest_os };
	struct xenlayout l;
	char err[256];
	if (xenlayout_compute(&c, &l, err, sizeof(err))) {
		if (!err[0])
			abort();                 /* a refusal always says why */
		return;
	}
	if (l.virt_end <= l.virt_base || (l.virt_end - l.virt_base) / 4096 > l.nr_pages || l.pt.frames > 64)
		abort();
	uint64_t *t = malloc(l.pt.frames * 4096);
	if (xenlayout_page_tables(&l, t, l.pt.frames))
		abort();
	free(t);
	struct start_info si;
	xenlayout_start_info(&l, &c, &si);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xenelf x;
	char err[512];
	if (xenelf_parse(data, size, &x, err, sizeof(err)) == 0)
		lay_out(&x);
	struct bzimage bz;
	if (bzimage_unpack(data, size, 32u << 20, &bz, err, sizeof(err)) == 0) {
		if (xenelf_parse(bz.elf, bz.len, &x, err, sizeof(err)) == 0)
			lay_out(&x);
		bzimage_free(&bz);
	}
	return 0;
}
