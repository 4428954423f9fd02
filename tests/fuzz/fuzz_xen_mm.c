/* libFuzzer target for Xen's page types over a Linux PV domain's RAM
 * (xen_mm.c): the input is a program of mmu_update, pin, unpin, base
 * pointer, balloon out and in, and direct-store steps on a small domain. After every step the
 * counts recomputed from the typed tables, the pins and the bases must
 * equal xen_mm's own (xmm_check: a table is never writable through a
 * typed L1, a frame never two types, pvmon's slots are pvmon's), nothing
 * may be noticed as corrupt, and walks stay inside RAM and the shared
 * frame and never reach a ballooned-out frame; at the end, with every pin and base given back, every count is 0. */
#include <stdint.h>
#include <string.h>
#include "xmm_fuzz.h"

#define NF 32
#define STEP 12
#define MAX_BASES 8

static uint64_t flags_of(uint8_t b)
{
	uint64_t f = 0;
	if (b & 1) f |= XMM_PTE_P;
	if (b & 2) f |= XMM_PTE_RW;
	if (b & 4) f |= XMM_PTE_US;
	if (b & 8) f |= 0x80;            /* PSE */
	if (b & 16) f |= XMM_PTE_G;
	if (b & 32) f |= 0x18;           /* PWT PCD */
	if (b & 64) f |= XMM_PTE_A | XMM_PTE_D;
	if (b & 128) f |= XMM_PTE_NX;
	return f;
}

static uint64_t value(const uint8_t *b)
{
	if ((b[0] & 7) == 7) {
		uint64_t v;
		memcpy(&v, b + 1, 7);
		return v;
	}
	return (uint64_t)(b[1] % (NF + 2)) << 12 | flags_of(b[2]);   /* NF: shared info; NF + 1: outside */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xen_mm m;
	uint64_t *ram = xmm_fuzz_domain(&m, NF);
	m.hv_l4e[1] = (uint64_t)(NF + 101) << 12 | XMM_PTE_P | XMM_PTE_RW;
	uint64_t base[MAX_BASES];
	unsigned nbase = 0;
	for (size_t at = 0; at + STEP <= size; at += STEP) {
		const uint8_t *s = data + at;
		uint64_t f = s[1] % NF;
		unsigned idx = (unsigned)(s[2] | s[3] << 8) % 512;
		switch (s[0] % 8) {
		case 0:
			xmm_update(&m, f * 4096 + idx * 8 + ((s[0] & 0x80) ? 4 : 0), value(s + 4), s[0] & 0x40);
			break;
		case 1:
			xmm_pin(&m, f, (enum xmm_type)(XMM_L1 + s[2] % 4));
			break;
		case 2:
			xmm_unpin(&m, f);
			break;
		case 3:
			if (nbase < MAX_BASES && !xmm_get_type(&m, f, XMM_L4))
				base[nbase++] = f;
			break;
		case 4:
			if (nbase)
				xmm_put_type(&m, base[--nbase]);
			break;
		case 6:
			xmm_balloon_out(&m, f);
			break;
		case 7:
			xmm_balloon_in(&m, f);
			break;
		default:
			/* The guest's own store: only where no typed table is (the
			 * CPU would fault on a read-only table; pvmon emulates those). */
			if (!m.pg[f].count || m.pg[f].type == XMM_WRITABLE)
				ram[f * 512 + idx] = value(s + 4);
			break;
		}
		xmm_fuzz_check(&m, base, nbase);
		uint64_t ma = 0, va = 0;
		memcpy(&va, s + 4, 8);
		if (nbase && !xmm_walk(&m, base[0], va, s[0] & 1, &ma, NULL) && !xmm_host(&m, ma, 1))
			xmm_fuzz_fail("walk", "an address outside RAM and the shared frame, or ballooned out");
	}
	for (uint64_t f = 0; f < NF; f++)
		if (m.pg[f].pinned)
			xmm_unpin(&m, f);
	while (nbase)
		xmm_put_type(&m, base[--nbase]);
	xmm_fuzz_end(&m);
	return 0;
}
